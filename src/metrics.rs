//! What a run records about each batch: one [`BatchMetrics`] per iteration, written as one
//! JSON line by `sink.metrics` and read back by `proxmo report` and `proxmo plot`. Fields
//! that do not apply to a run (no update, no evaluation this batch) are left out of the line;
//! an evaluation before the first batch is a line with only its evaluation (docs/metrics.md).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Episode outcomes of a set of rollouts (a training batch or an evaluation).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EpisodeMetrics {
    pub episodes: usize,
    pub success_rate: f64,
    /// The benchmark's score, 0-100 (WebShop's purchase reward x 100).
    pub score: f64,
    pub mean_steps: f64,
    /// Share of steps whose answer could not be read as an action (an invalid action).
    pub invalid_action_share: f64,
    /// Share of steps whose action was readable but not admissible in its state (an
    /// object that is not there, a place the agent already stands at).
    #[serde(default)]
    pub inadmissible_action_share: f64,
    /// Wall-clock throughput: a timing field, not reproducible across runs.
    pub env_steps_per_second: f64,
    /// Success rate per task type, where the environment has them (ALFWorld).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub success_by_kind: BTreeMap<String, f64>,
}

/// What the advantage stage saw in a batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CreditMetrics {
    pub rows: usize,
    pub groups: usize,
    pub singleton_share: f64,
    pub mean_group_success: f64,
    pub psc_weight_min: f64,
    pub psc_weight_max: f64,
    pub advantage_mean: f64,
    pub advantage_std: f64,
    /// Wall-clock time of the advantage computation: a timing field.
    pub advantage_ms: f64,
}

/// Where a batch's wall time went, for a policy with a model worker (timing fields). The
/// batch is its play, credit and update; the evaluation and the writing are not counted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TimingMetrics {
    pub batch_seconds: f64,
    /// Waiting for the worker to sample responses.
    pub worker_generate_seconds: f64,
    /// Waiting for the worker's optimiser step.
    pub worker_train_seconds: f64,
    /// Waiting for the worker's other work: saving or loading the model.
    pub worker_other_seconds: f64,
    /// The rest of the batch: proxmo's own work (prompts, chat template, tokenising,
    /// decoding, projecting onto actions, environment steps, credit, packing, JSON).
    pub proxmo_seconds: f64,
    /// `proxmo_seconds` over the time spent waiting for the worker.
    pub proxmo_share: f64,
}

impl TimingMetrics {
    /// The split of a batch of `batch_seconds` during which proxmo waited for the worker's
    /// `generate`, `train` and other answers for the given times.
    pub fn split(batch_seconds: f64, generate: f64, train: f64, other: f64) -> TimingMetrics {
        let worker = generate + train + other;
        let proxmo_seconds = (batch_seconds - worker).max(0.0);
        TimingMetrics {
            batch_seconds,
            worker_generate_seconds: generate,
            worker_train_seconds: train,
            worker_other_seconds: other,
            proxmo_seconds,
            proxmo_share: proxmo_seconds / worker.max(1e-12),
        }
    }
}

/// One line of a metrics file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchMetrics {
    /// 0-based; absent for a source pipeline, which has one batch, and for an evaluation
    /// before the first batch.
    pub iteration: Option<usize>,
    /// Absent only from the line of an evaluation before the first batch.
    pub credit: Option<CreditMetrics>,
    /// Rollout outcomes (env -> rollout pipelines only).
    pub episodes: Option<EpisodeMetrics>,
    /// What the update stage reports (`policy_entropy`, `update_norm`, a PPO step's loss...).
    pub update: BTreeMap<String, f64>,
    /// The evaluation after this batch, if one was due; written with an `eval_` prefix.
    pub eval: Option<EpisodeMetrics>,
    /// How many batches the policy had trained on when `eval` was played: 0 for the
    /// evaluation before the first batch (`eval_before`), else `iteration + 1`.
    pub evaluated_after: Option<usize>,
    /// Evaluations on further splits (`eval_splits`), by split; written `eval_<split>_`.
    pub more_evals: BTreeMap<String, EpisodeMetrics>,
    /// Where the batch's time went (policies with a model worker only).
    pub timing: Option<TimingMetrics>,
}

/// Names of the fields that hold wall-clock timings, which differ between identical runs.
/// An evaluation's copies of them carry an `eval_` (or `eval_<split>_`) prefix.
pub const TIMING_FIELDS: &[&str] = &[
    "advantage_ms",
    "env_steps_per_second",
    // The model worker's own clock for an optimiser step, and its throughput.
    "seconds",
    "tokens_per_s",
    "batch_seconds",
    "worker_generate_seconds",
    "worker_train_seconds",
    "worker_other_seconds",
    "proxmo_seconds",
    "proxmo_share",
];

/// Whether `key` of a metrics line is a timing field, an evaluation's included.
pub fn is_timing_field(key: &str) -> bool {
    TIMING_FIELDS.iter().any(|f| {
        key == *f
            || (key.starts_with("eval_")
                && key.strip_suffix(f).is_some_and(|head| head.ends_with('_')))
    })
}

/// The field saying how many batches an evaluation's policy had trained on.
pub const EVALUATED_AFTER: &str = "evaluated_after";

type Object = serde_json::Map<String, serde_json::Value>;

fn object_of<T: Serialize>(value: &T) -> Object {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => Object::new(),
    }
}

impl BatchMetrics {
    /// The flat JSON object written to a metrics file: credit, episode and update fields
    /// side by side, evaluation fields prefixed `eval_`.
    pub fn to_json(&self) -> Object {
        let mut out = Object::new();
        if let Some(i) = self.iteration {
            out.insert("iteration".into(), i.into());
        }
        if let Some(n) = self.evaluated_after {
            out.insert(EVALUATED_AFTER.into(), n.into());
        }
        if let Some(c) = &self.credit {
            out.extend(object_of(c));
        }
        if let Some(e) = &self.episodes {
            out.extend(object_of(e));
        }
        for (k, v) in &self.update {
            out.insert(k.clone(), crate::data::jsonl::number(*v));
        }
        if let Some(t) = &self.timing {
            out.extend(object_of(t));
        }
        if let Some(e) = &self.eval {
            out.extend(
                object_of(e)
                    .into_iter()
                    .map(|(k, v)| (format!("eval_{k}"), v)),
            );
        }
        for (split, e) in &self.more_evals {
            out.extend(
                object_of(e)
                    .into_iter()
                    .map(|(k, v)| (format!("eval_{split}_{k}"), v)),
            );
        }
        out
    }

    /// Reads a line written by `to_json` (fields missing from it take their defaults). A
    /// known field that is not a number (a `null` where a run diverged) is an error naming it.
    pub fn from_json(record: &Object) -> Result<BatchMetrics, String> {
        let credit_fields = crate::stage::config::field_names::<CreditMetrics>();
        let episode_fields = crate::stage::config::field_names::<EpisodeMetrics>();
        let timing_fields = crate::stage::config::field_names::<TimingMetrics>();
        for (key, value) in record {
            let name = key.strip_prefix("eval_").unwrap_or(key);
            let numeric = credit_fields.contains(&key.as_str())
                || timing_fields.contains(&key.as_str())
                || (episode_fields.contains(&name) && name != "success_by_kind");
            if numeric && !value.is_number() {
                return Err(format!("`{key}` is {value}, not a number"));
            }
        }
        let credit = match credit_fields.iter().any(|f| record.contains_key(*f)) {
            true => Some(parse(record.clone())?),
            false => None,
        };
        let has_any = |prefix: &str| {
            episode_fields
                .iter()
                .any(|f| record.contains_key(&format!("{prefix}{f}")))
        };
        let episodes = match has_any("") {
            true => Some(parse(record.clone())?),
            false => None,
        };
        let eval_fields: Object = record
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("eval_")?.to_string(), v.clone())))
            .collect();
        let eval = match has_any("eval_") {
            true => Some(parse(eval_fields)?),
            false => None,
        };
        // `eval_<split>_episodes` marks an evaluation on a further split.
        let mut more_evals = BTreeMap::new();
        for key in record.keys() {
            let Some(split) = key
                .strip_prefix("eval_")
                .and_then(|k| k.strip_suffix("_episodes"))
            else {
                continue;
            };
            let prefix = format!("eval_{split}_");
            let fields: Object = record
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?.to_string(), v.clone())))
                .collect();
            more_evals.insert(split.to_string(), parse(fields)?);
        }
        let timing = match timing_fields.iter().any(|f| record.contains_key(*f)) {
            true => Some(parse(record.clone())?),
            false => None,
        };
        let update = record
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "iteration" | EVALUATED_AFTER))
            .filter(|(k, _)| !k.starts_with("eval_"))
            .filter(|(k, _)| {
                let k = k.as_str();
                !credit_fields.contains(&k)
                    && !episode_fields.contains(&k)
                    && !timing_fields.contains(&k)
            })
            .filter_map(|(k, v)| Some((k.clone(), v.as_f64()?)))
            .collect();
        let count = |key: &str| {
            record
                .get(key)
                .and_then(serde_json::Value::as_u64)
                .map(|i| i as usize)
        };
        Ok(BatchMetrics {
            iteration: count("iteration"),
            credit,
            episodes,
            update,
            eval,
            evaluated_after: count(EVALUATED_AFTER),
            more_evals,
            timing,
        })
    }
}

/// One part of a record, read from its fields.
fn parse<T: serde::de::DeserializeOwned>(fields: Object) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::Object(fields)).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_survives_writing_and_reading() {
        let episodes = EpisodeMetrics {
            episodes: 128,
            success_rate: 0.25,
            score: 25.0,
            mean_steps: 31.5,
            invalid_action_share: 0.125,
            inadmissible_action_share: 0.375,
            env_steps_per_second: 1e5,
            success_by_kind: [("pick".to_string(), 0.5)].into_iter().collect(),
        };
        let m = BatchMetrics {
            iteration: Some(3),
            credit: Some(CreditMetrics {
                rows: 4000,
                groups: 16,
                advantage_std: 0.7,
                ..CreditMetrics::default()
            }),
            episodes: Some(episodes.clone()),
            update: [("policy_entropy".to_string(), 1.5)].into_iter().collect(),
            eval: Some(episodes.clone()),
            evaluated_after: Some(4),
            more_evals: [("valid_seen".to_string(), episodes)].into_iter().collect(),
            timing: Some(TimingMetrics::split(10.0, 5.0, 3.0, 1.0)),
        };
        let json = m.to_json();
        assert_eq!(json["proxmo_seconds"], 1.0);
        assert_eq!(json["eval_success_rate"], 0.25);
        assert_eq!(json["policy_entropy"], 1.5);
        assert_eq!(json["eval_valid_seen_mean_steps"], 31.5);
        assert_eq!(json["evaluated_after"], 4);
        assert_eq!(BatchMetrics::from_json(&json).unwrap(), m);
    }

    #[test]
    fn an_evaluation_before_training_is_a_line_of_its_own() {
        let m = BatchMetrics {
            eval: Some(EpisodeMetrics {
                episodes: 134,
                success_rate: 0.01,
                ..EpisodeMetrics::default()
            }),
            evaluated_after: Some(0),
            ..BatchMetrics::default()
        };
        let json = m.to_json();
        assert!(!json.contains_key("iteration") && !json.contains_key("rows"));
        assert!(!json.contains_key("success_rate"), "no training episodes");
        assert_eq!(json["eval_episodes"], 134);
        let back = BatchMetrics::from_json(&json).unwrap();
        assert_eq!(back, m);
        assert!(back.update.is_empty(), "evaluated_after is no update field");
    }

    #[test]
    fn the_split_gives_proxmo_what_the_worker_did_not_take() {
        let t = TimingMetrics::split(10.0, 5.0, 3.0, 1.0);
        assert_eq!(t.proxmo_seconds, 1.0);
        assert!((t.proxmo_share - 1.0 / 9.0).abs() < 1e-12);
        // Clock jitter cannot make proxmo's share negative.
        assert_eq!(TimingMetrics::split(1.0, 0.7, 0.3, 0.1).proxmo_seconds, 0.0);
    }

    #[test]
    fn timing_fields_are_known_with_their_evaluation_prefixes() {
        for key in [
            "seconds",
            "advantage_ms",
            "eval_env_steps_per_second",
            "proxmo_share",
        ] {
            assert!(is_timing_field(key), "{key}");
        }
        assert!(is_timing_field("eval_valid_seen_env_steps_per_second"));
        for key in [
            "success_rate",
            "eval_success_rate",
            "steps",
            "eval_mean_steps",
        ] {
            assert!(!is_timing_field(key), "{key}");
        }
    }
}
