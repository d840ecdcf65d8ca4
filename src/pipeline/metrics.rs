//! What a run records about each batch: episode outcomes (overall and per task kind) and
//! the progress line printed for it.

use crate::data::jsonl::number;
use crate::rollout::Rollouts;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// Success rate, score and episode length, overall and per task kind.
pub fn add_episode_metrics(record: &mut Map<String, Json>, played: &Rollouts, seconds: f64) {
    let episodes = &played.episodes;
    let n = episodes.len().max(1) as f64;
    let won = episodes.iter().filter(|e| e.won).count() as f64;
    let steps: usize = episodes.iter().map(|e| e.steps).sum();
    record.insert("episodes".into(), Json::from(episodes.len()));
    record.insert("success_rate".into(), number(won / n));
    record.insert(
        "score".into(),
        number(100.0 * episodes.iter().map(|e| e.score).sum::<f64>() / n),
    );
    record.insert("mean_steps".into(), number(steps as f64 / n));
    record.insert(
        "env_steps_per_second".into(),
        number(steps as f64 / seconds.max(1e-9)),
    );
    let mut by_kind: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for e in episodes {
        if let Some(kind) = &e.task_kind {
            let entry = by_kind.entry(kind).or_default();
            entry.0 += 1;
            entry.1 += usize::from(e.won);
        }
    }
    if !by_kind.is_empty() {
        let per_kind: Map<String, Json> = by_kind
            .into_iter()
            .map(|(k, (n, w))| (k.to_string(), number(w as f64 / n as f64)))
            .collect();
        record.insert("success_by_kind".into(), Json::Object(per_kind));
    }
}

pub fn iteration_line(
    iteration: usize,
    iterations: usize,
    env: &str,
    r: &Map<String, Json>,
) -> String {
    let f = |k: &str| r.get(k).and_then(Json::as_f64).unwrap_or(f64::NAN);
    let mut line = format!(
        "iteration {}/{iterations} ({env}): {} episodes, success {:.3}, score {:.1}, {:.1} steps/episode, {:.0} env steps/s, advantage std {:.3}",
        iteration + 1,
        f("episodes"),
        f("success_rate"),
        f("score"),
        f("mean_steps"),
        f("env_steps_per_second"),
        f("advantage_std")
    );
    if r.contains_key("policy_entropy") {
        line.push_str(&format!(", policy entropy {:.3}", f("policy_entropy")));
    }
    line
}
