//! The split of a language-model run's batches (`proxmo bench iteration`): the time proxmo
//! waited for its model worker (sampling responses, optimiser steps, saving) against the time it
//! spent on its own work (prompts, chat template, tokenising, decoding, projecting onto
//! actions, environment steps, credit, packing, JSON). Measured in the run itself, batch by
//! batch, by the runner's clocks (`metrics::TimingMetrics`); the evaluations are not counted.

use crate::metrics::BatchMetrics;
use crate::run::{self, Producer, Progress, RunOptions};
use crate::stage::ResolvedPipeline;
use anyhow::{bail, Result};
use std::fmt::Write;

/// The policy kind whose batches carry the worker's time.
const TIMED_POLICY: &str = "policy.lm";

/// Forwards the run's messages and keeps each batch's metrics.
struct Recorder<'a> {
    inner: &'a mut dyn Progress,
    batches: Vec<BatchMetrics>,
}

impl Progress for Recorder<'_> {
    fn say(&mut self, message: &str) {
        self.inner.say(message)
    }

    fn advance(&mut self, unit: &str, done: usize, total: usize) {
        self.inner.advance(unit, done, total)
    }

    fn batch_done(&mut self, metrics: &BatchMetrics) {
        self.batches.push(metrics.clone());
    }
}

/// Runs `pipeline` (its sinks write as usual) and returns each batch's metrics.
pub fn measure(
    pipeline: &ResolvedPipeline,
    progress: &mut dyn Progress,
) -> Result<Vec<BatchMetrics>> {
    let plan = run::plan(pipeline)
        .map_err(|_| anyhow::anyhow!("pipeline `{}` no longer plans", pipeline.name))?;
    // Refused before anything runs: only policy.lm has a model worker to time.
    let policy = match &plan.producer {
        Producer::Rollout { policy, .. } => policy.kind.as_str(),
        Producer::Source(_) => "none (it reads a file)",
    };
    if policy != TIMED_POLICY {
        bail!(
            "pipeline `{}`: its policy is {policy}, which has no model worker to time (this benchmark is for {TIMED_POLICY})",
            pipeline.name
        );
    }
    let mut recorder = Recorder {
        inner: progress,
        batches: Vec::new(),
    };
    run::run(&plan, RunOptions::default(), &mut recorder)?;
    Ok(recorder.batches)
}

/// One line per batch and a total: seconds of each part and proxmo's share.
pub fn table(batches: &[BatchMetrics]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>6} {:>10} {:>12} {:>10} {:>10} {:>10} {:>10} {:>12}",
        "batch",
        "total s",
        "generate s",
        "train s",
        "other s",
        "credit s",
        "proxmo s",
        "proxmo share"
    );
    let mut sums = [0.0f64; 6];
    for b in batches {
        let Some(t) = &b.timing else { continue };
        let parts = [
            t.batch_seconds,
            t.worker_generate_seconds,
            t.worker_train_seconds,
            t.worker_other_seconds,
            b.credit.as_ref().map_or(0.0, |c| c.advantage_ms) / 1e3,
            t.proxmo_seconds,
        ];
        for (sum, x) in sums.iter_mut().zip(parts) {
            *sum += x;
        }
        let label = b.iteration.map_or("-".to_string(), |i| (i + 1).to_string());
        let _ = writeln!(out, "{}", row(&label, parts, t.proxmo_share));
    }
    let worker = sums[1] + sums[2] + sums[3];
    let _ = writeln!(out, "{}", row("all", sums, sums[5] / worker.max(1e-12)));
    out
}

fn row(label: &str, p: [f64; 6], share: f64) -> String {
    format!(
        "{label:>6} {:>10.3} {:>12.3} {:>10.3} {:>10.3} {:>10.4} {:>10.4} {:>11.3}%",
        p[0],
        p[1],
        p[2],
        p[3],
        p[4],
        p[5],
        100.0 * share
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::TimingMetrics;

    #[test]
    fn the_total_line_sums_the_batches_and_takes_the_share_of_the_sums() {
        let batch = |i, t: TimingMetrics| BatchMetrics {
            iteration: Some(i),
            timing: Some(t),
            credit: Some(crate::metrics::CreditMetrics {
                advantage_ms: 1.0,
                ..Default::default()
            }),
            ..BatchMetrics::default()
        };
        let text = table(&[
            batch(0, TimingMetrics::split(10.0, 7.0, 1.0, 1.0)),
            batch(1, TimingMetrics::split(4.0, 2.0, 1.0, 0.0)),
        ]);
        let total: Vec<&str> = text.lines().last().unwrap().split_whitespace().collect();
        // 14 s in all; the worker 9 + 2 + 1 s; proxmo 1 + 1 s: 2/12 = 16.667 %.
        assert_eq!(
            total,
            ["all", "14.000", "9.000", "2.000", "1.000", "0.0020", "2.0000", "16.667%"],
            "{text}"
        );
    }
}
