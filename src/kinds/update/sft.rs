//! `update.sft`: one supervised step per batch on the rollout's `policy.lm`: cross-entropy of
//! the recorded response tokens (demonstrations from `policy.lm { teacher = "expert" }`),
//! in the model worker (docs/worker-protocol.md, `train` with `loss: "sft"`). With `save`,
//! the model directory is written after every step, for a PPO pipeline to start from. With
//! `replay_batches` > 1 it trains on a random sample of the last batches' demonstrations
//! (DAgger's aggregated dataset; docs/imitation.md) instead of on this batch's alone.

use super::ppo::{micro_batch_tokens_param, mini_batches_param};
use crate::kinds::roles::Update;
use crate::kinds::Build;
use crate::rng::Rng;
use crate::rollout::lm::train::{token_rows, train_on_rows};
use crate::rollout::policy::{Policy, TokenLoss, TokenRecord, TrainRow};
use crate::rollout::Rollouts;
use crate::stage::config::read;
use crate::stage::{
    ParamDefault, ParamSpec, ParamType, Params, Problem, Role, StageConfig, StageSchema,
};
use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub micro_batch_tokens: i64,
    pub mini_batches: i64,
    pub save: String,
    pub replay_batches: i64,
}

impl StageConfig for Config {
    /// A save replaces its directory: refuse one that is not a model (the worker refuses
    /// a model directory holding other files too), so no user file is deleted.
    fn validate(&self) -> Result<(), Problem> {
        let dir = std::path::Path::new(&self.save);
        if self.save.is_empty() || !dir.exists() {
            return Ok(());
        }
        let fix = "give a new directory, or one an earlier save wrote";
        if !dir.is_dir() {
            return Err(Problem::at(
                "save",
                format!("{:?} exists and is not a directory", self.save),
            )
            .help(fix));
        }
        let empty = std::fs::read_dir(dir)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !empty && !dir.join("config.json").is_file() {
            return Err(Problem::at(
                "save",
                format!("{:?} is a directory that is not a model (no config.json); a save would replace what it holds", self.save),
            )
            .help(fix));
        }
        Ok(())
    }
}

stage_kind!(
    "update.sft",
    Config,
    Build::Update {
        build,
        trains: &["policy.lm"],
    }
);

fn schema() -> StageSchema {
    StageSchema {
        kind: KIND.name,
        role: Role::Update,
        doc: "supervised step (cross-entropy on the response tokens) on the batch's demonstrations; trains policy.lm",
        params: vec![
            micro_batch_tokens_param(),
            mini_batches_param(),
            ParamSpec::new(
                "save",
                ParamType::Str,
                ParamDefault::str(""),
                "write the model directory here after every step, atomically (empty: never)",
            ),
            ParamSpec::new(
                "replay_batches",
                ParamType::Int,
                ParamDefault::int(1),
                "train on as many rows as this batch has, drawn at random from the demonstrations of the last this-many batches (this one included): DAgger's aggregated dataset, so consecutive steps do not all see the same few tasks (1: this batch only). Not kept in checkpoints: a resumed run starts it again",
            )
            .range(crate::stage::Range::closed(1.0, 10_000.0)),
        ],
    }
}

struct Sft {
    micro_batch_tokens: usize,
    mini_batches: usize,
    save: Option<PathBuf>,
    /// With `replay_batches` > 1, the demonstrations each batch is drawn from.
    replay: Option<Replay>,
}

fn build(params: &Params) -> Result<Box<dyn Update>> {
    let c: Config = read(params)?;
    Ok(Box::new(Sft {
        micro_batch_tokens: c.micro_batch_tokens as usize,
        mini_batches: c.mini_batches as usize,
        save: (!c.save.is_empty()).then(|| PathBuf::from(c.save)),
        replay: (c.replay_batches > 1).then(|| Replay::new(c.replay_batches as usize)),
    }))
}

/// The token records of the last `window` batches (DAgger's aggregated dataset).
struct Replay {
    batches: VecDeque<Vec<TokenRecord>>,
    window: usize,
    /// Draws the sample; a fixed seed, since the rows themselves follow the run's seed.
    rng: Rng,
}

impl Replay {
    fn new(window: usize) -> Replay {
        Replay {
            batches: VecDeque::new(),
            window,
            rng: Rng::new(0x5_eed0_f5f7),
        }
    }

    /// Keeps `batch` (dropping the oldest beyond the window) and draws as many rows as it has,
    /// without replacement, from every kept batch. Also returns how many rows were kept.
    fn sample(&mut self, batch: &[TrainRow]) -> (Vec<TrainRow<'_>>, usize) {
        self.batches
            .push_back(batch.iter().map(|r| r.tokens.clone()).collect());
        while self.batches.len() > self.window {
            self.batches.pop_front();
        }
        let pool: Vec<&TokenRecord> = self.batches.iter().flatten().collect();
        let mut order: Vec<usize> = (0..pool.len()).collect();
        self.rng.shuffle(&mut order);
        let sample = order[..batch.len()]
            .iter()
            .map(|&i| TrainRow {
                tokens: pool[i],
                advantage: 0.0,
            })
            .collect();
        (sample, pool.len())
    }
}

impl Update for Sft {
    fn apply(
        &mut self,
        policy: &mut dyn Policy,
        played: &Rollouts,
        advantages: &[f64],
    ) -> Result<BTreeMap<String, f64>> {
        let rows = token_rows(played, advantages)?;
        if rows.is_empty() {
            return Ok(BTreeMap::new());
        }
        let (micro, mini) = (self.micro_batch_tokens, self.mini_batches);
        let metrics = match &mut self.replay {
            None => train_on_rows(policy, rows, TokenLoss::Sft, micro, mini)?,
            Some(replay) => {
                let (sample, kept) = replay.sample(&rows);
                let mut m = train_on_rows(policy, sample, TokenLoss::Sft, micro, mini)?;
                m.insert("replay_rows".into(), kept as f64);
                m
            }
        };
        if let Some(dir) = &self.save {
            // The worker writes beside `dir` and renames: its parent must exist.
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("update.sft: cannot create {}", parent.display()))?;
            }
            policy.save(dir)?;
        }
        Ok(metrics)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u32) -> TokenRecord {
        TokenRecord {
            prompt: vec![id],
            response: vec![id],
            logprobs: Vec::new(),
            truncated: 0,
        }
    }

    #[test]
    fn the_replay_draws_a_batch_sized_sample_from_the_last_batches_only() {
        let mut replay = Replay::new(2);
        let records: Vec<Vec<TokenRecord>> = (0..3)
            .map(|b| (0..4).map(|i| record(10 * b + i)).collect())
            .collect();
        let rows = |b: usize| -> Vec<TrainRow> {
            records[b]
                .iter()
                .map(|tokens| TrainRow {
                    tokens,
                    advantage: 1.0,
                })
                .collect()
        };
        let mut seen = std::collections::BTreeSet::new();
        for b in 0..3 {
            let (sample, kept) = replay.sample(&rows(b));
            assert_eq!(sample.len(), 4);
            assert_eq!(kept, 4 * (b + 1).min(2));
            let ids: std::collections::BTreeSet<u32> =
                sample.iter().map(|r| r.tokens.prompt[0]).collect();
            assert_eq!(ids.len(), 4, "without replacement");
            if b == 2 {
                // Batch 0 left the window: only batches 1 and 2 are drawn from.
                assert!(ids.iter().all(|&id| id >= 10), "{ids:?}");
            }
            seen.extend(ids);
        }
        // Every draw came from rows that were kept.
        assert!(seen
            .iter()
            .all(|id| records.iter().flatten().any(|r| r.prompt[0] == *id)));
    }
}
