//! The environment benchmark: episodes of the uniform random policy over the admissible
//! actions, through the same rollout code pipelines use; steps per second on one thread and
//! on all of rayon's, and what the random policy achieves.

use crate::kinds::env::build_env;
use crate::kinds::params_with_defaults;
use crate::rng::Rng;
use crate::rollout::policy::RandomPolicy;
use crate::rollout::{collect, sample_tasks, Rollouts};
use crate::stage::Value;
use anyhow::Result;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct EnvMeasurement {
    pub kind: String,
    pub split: String,
    pub threads: usize,
    pub episodes: usize,
    pub steps: usize,
    pub seconds: f64,
    pub success: f64,
    /// Mean raw score x 100 (WebShop's Score).
    pub score: f64,
    /// Success per task kind, where the env has kinds.
    pub by_kind: BTreeMap<String, (usize, usize)>,
}

impl EnvMeasurement {
    pub fn steps_per_second(&self) -> f64 {
        self.steps as f64 / self.seconds.max(1e-9)
    }
}

/// Plays `episodes` random episodes of `kind` on `split` with `threads` threads.
pub fn measure(
    kind: &str,
    split: &str,
    episodes: usize,
    threads: usize,
    seed: u64,
) -> Result<EnvMeasurement> {
    let params = params_with_defaults(kind, &[("split", Value::Str(split.into()))])?;
    let envs = build_env(kind, &params)?;
    let n_tasks = envs.make()?.n_tasks();
    let mut rng = Rng::new(seed);
    let group_size = envs.group_size.max(1);
    let tasks = sample_tasks(n_tasks, episodes.div_ceil(group_size), &mut rng);
    let policy = RandomPolicy {
        exclude: vec!["help".into()],
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()?;
    let t0 = Instant::now();
    let played: Rollouts =
        pool.install(|| collect(&|| envs.make(), &tasks, group_size, &policy, &mut rng))?;
    let seconds = t0.elapsed().as_secs_f64();
    let mut by_kind: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for e in &played.episodes {
        if let Some(k) = &e.task_kind {
            let entry = by_kind.entry(k.clone()).or_default();
            entry.0 += 1;
            entry.1 += usize::from(e.won);
        }
    }
    let n = played.episodes.len().max(1) as f64;
    Ok(EnvMeasurement {
        kind: kind.into(),
        split: split.into(),
        threads: threads.max(1),
        episodes: played.episodes.len(),
        steps: played.episodes.iter().map(|e| e.steps).sum(),
        seconds,
        success: played.episodes.iter().filter(|e| e.won).count() as f64 / n,
        score: 100.0 * played.episodes.iter().map(|e| e.score).sum::<f64>() / n,
        by_kind,
    })
}

pub fn report(m: &EnvMeasurement) -> String {
    let mut out = format!(
        "{} ({}), {} thread{}: {} episodes, {} steps in {:.3} s = {} steps/s; random policy: success {:.2}%, score {:.2}",
        m.kind,
        m.split,
        m.threads,
        if m.threads == 1 { "" } else { "s" },
        super::thousands(m.episodes),
        super::thousands(m.steps),
        m.seconds,
        super::thousands(m.steps_per_second() as usize),
        100.0 * m.success,
        m.score
    );
    if !m.by_kind.is_empty() {
        out.push_str("\n    success by task type:");
        for (k, (n, w)) in &m.by_kind {
            let _ = write!(
                out,
                " {k} {:.2}% ({w}/{n})",
                100.0 * *w as f64 / (*n).max(1) as f64
            );
        }
    }
    out
}
