//! Turning a batch's rollouts and advantages into its metrics record and progress line.

use crate::advantage::Advantages;
use crate::metrics::{BatchMetrics, CreditMetrics, EpisodeMetrics};
use crate::rollout::Rollouts;
use crate::stats::{mean_std, StdKind};
use std::collections::BTreeMap;

/// Success rate, score and episode length, overall and per task kind.
pub fn episode_metrics(played: &Rollouts, seconds: f64) -> EpisodeMetrics {
    let episodes = &played.episodes;
    let n = episodes.len().max(1) as f64;
    let won = episodes.iter().filter(|e| e.won).count() as f64;
    let steps: usize = episodes.iter().map(|e| e.steps).sum();
    let mut by_kind: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for e in episodes {
        if let Some(kind) = &e.task_kind {
            let entry = by_kind.entry(kind).or_default();
            entry.0 += 1;
            entry.1 += usize::from(e.won);
        }
    }
    EpisodeMetrics {
        episodes: episodes.len(),
        success_rate: won / n,
        score: 100.0 * episodes.iter().map(|e| e.score).sum::<f64>() / n,
        mean_steps: steps as f64 / n,
        invalid_action_share: played.rows.iter().filter(|r| !r.valid).count() as f64
            / played.rows.len().max(1) as f64,
        inadmissible_action_share: episodes.iter().map(|e| e.inadmissible_steps).sum::<usize>()
            as f64
            / steps.max(1) as f64,
        env_steps_per_second: steps as f64 / seconds.max(1e-9),
        success_by_kind: by_kind
            .into_iter()
            .map(|(k, (n, w))| (k.to_string(), w as f64 / n as f64))
            .collect(),
    }
}

/// What the advantage stage saw.
pub fn credit_metrics(adv: &Advantages, millis: f64) -> CreditMetrics {
    let d = &adv.diagnostics;
    let (advantage_mean, advantage_std) = mean_std(&adv.advantage, StdKind::Population);
    CreditMetrics {
        rows: d.rows,
        groups: d.groups,
        singleton_share: d.singleton_share,
        mean_group_success: d.mean_group_success,
        psc_weight_min: d.psc_weight_min,
        psc_weight_max: d.psc_weight_max,
        advantage_mean,
        advantage_std,
        advantage_ms: millis,
    }
}

/// The progress line of one batch.
pub fn iteration_line(iterations: usize, env: &str, m: &BatchMetrics) -> String {
    let e = m.episodes.clone().unwrap_or_default();
    let mut line = format!(
        "iteration {}/{iterations} ({env}): {} episodes, success {:.3}, score {:.1}, {:.1} steps/episode, invalid actions {:.3}, {:.0} env steps/s, advantage std {:.3}",
        m.iteration.unwrap_or(0) + 1,
        e.episodes,
        e.success_rate,
        e.score,
        e.mean_steps,
        e.invalid_action_share,
        e.env_steps_per_second,
        m.credit.as_ref().map_or(0.0, |c| c.advantage_std)
    );
    for (k, v) in &m.update {
        line.push_str(&format!(", {} {v:.3}", k.replace('_', " ")));
    }
    if let Some(t) = &m.timing {
        line.push_str(&format!(
            "; {:.2} s: worker generate {:.2} s, train {:.2} s, other {:.2} s, proxmo {:.3} s",
            t.batch_seconds,
            t.worker_generate_seconds,
            t.worker_train_seconds,
            t.worker_other_seconds,
            t.proxmo_seconds
        ));
    }
    line
}

/// The progress line of an evaluation of the policy trained on `after` batches.
pub fn evaluation_line(after: usize, e: &EpisodeMetrics) -> String {
    let when = match after {
        0 => "before training".to_string(),
        n => format!("after batch {n}"),
    };
    format!(
        "evaluation {when}: success {:.3}, score {:.1}, invalid actions {:.3}, inadmissible {:.3} on {} episodes",
        e.success_rate, e.score, e.invalid_action_share, e.inadmissible_action_share, e.episodes
    )
}
