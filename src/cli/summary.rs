//! The line `proxmo run` ends a pipeline with: what training did to the evaluations (the
//! first and the last of the run), or else how much was written, and the time.

use crate::metrics::EpisodeMetrics;
use crate::run::{EvalSummary, RunSummary};

/// `done: pipeline `webshop`: eval success 0.004 -> 0.038, score 2.0 -> 48.9 on 500 test
/// tasks (before training -> after batch 100); 100 batches in 17.5 s`.
pub fn done_line(pipeline: &str, summary: &RunSummary) -> String {
    let time = format!("{:.1} s", summary.seconds);
    let batches = match summary.iterations {
        1 => "1 batch".to_string(),
        n => format!("{n} batches"),
    };
    match (&summary.evaluations, summary.iterations) {
        (Some(evals), _) => format!(
            "done: pipeline `{pipeline}`: {}; {batches} in {time}",
            evaluations(evals)
        ),
        (None, 1) => format!(
            "done: pipeline `{pipeline}`, {} rows in {time}",
            summary.rows
        ),
        (None, _) => format!(
            "done: pipeline `{pipeline}`, {batches}, {} rows in {time}",
            summary.rows
        ),
    }
}

fn when(after: usize) -> String {
    match after {
        0 => "before training".into(),
        n => format!("after batch {n}"),
    }
}

/// Success (and the score where it says more than success: WebShop's partial purchases),
/// first -> last, on the split's tasks.
fn evaluations(e: &EvalSummary) -> String {
    let ((a, first), (b, last)) = (&e.first, &e.last);
    // Where the score is the success in percent (ALFWorld), it is not repeated.
    let score_differs = |m: &EpisodeMetrics| (m.score - 100.0 * m.success_rate).abs() > 1e-9;
    let show_score = score_differs(first) || score_differs(last);
    let on = match e.split.as_str() {
        "" => format!("on {} tasks", last.episodes),
        split => format!("on {} {split} tasks", last.episodes),
    };
    if a == b {
        let score = match show_score {
            true => format!(", score {:.1}", last.score),
            false => String::new(),
        };
        return format!(
            "eval success {:.3}{score} {on} ({})",
            last.success_rate,
            when(*b)
        );
    }
    let score = match show_score {
        true => format!(", score {:.1} -> {:.1}", first.score, last.score),
        false => String::new(),
    };
    format!(
        "eval success {:.3} -> {:.3}{score} {on} ({} -> {})",
        first.success_rate,
        last.success_rate,
        when(*a),
        when(*b)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advantage::BatchDiagnostics;

    fn eval(success_rate: f64, score: f64) -> EpisodeMetrics {
        EpisodeMetrics {
            episodes: 500,
            success_rate,
            score,
            ..EpisodeMetrics::default()
        }
    }

    fn summary(evaluations: Option<EvalSummary>, iterations: usize) -> RunSummary {
        RunSummary {
            rows: 1234,
            iterations,
            diagnostics: BatchDiagnostics::default(),
            seconds: 17.46,
            already_finished: false,
            evaluations,
        }
    }

    #[test]
    fn the_line_gives_the_first_and_last_evaluation_and_the_time() {
        let evals = EvalSummary {
            split: "test".into(),
            first: (0, eval(0.004, 2.0)),
            last: (100, eval(0.038, 48.9)),
        };
        assert_eq!(
            done_line("webshop", &summary(Some(evals), 100)),
            "done: pipeline `webshop`: eval success 0.004 -> 0.038, score 2.0 -> 48.9 on 500 test tasks (before training -> after batch 100); 100 batches in 17.5 s"
        );
    }

    #[test]
    fn a_score_that_is_the_success_is_not_repeated() {
        let evals = EvalSummary {
            split: "valid_unseen".into(),
            first: (25, eval(0.25, 25.0)),
            last: (25, eval(0.25, 25.0)),
        };
        assert_eq!(
            done_line("alfworld", &summary(Some(evals), 25)),
            "done: pipeline `alfworld`: eval success 0.250 on 500 valid_unseen tasks (after batch 25); 25 batches in 17.5 s"
        );
    }

    #[test]
    fn without_evaluations_the_line_counts_what_was_written() {
        assert_eq!(
            done_line("advantage", &summary(None, 1)),
            "done: pipeline `advantage`, 1234 rows in 17.5 s"
        );
        assert_eq!(
            done_line("random", &summary(None, 4)),
            "done: pipeline `random`, 4 batches, 1234 rows in 17.5 s"
        );
    }
}
