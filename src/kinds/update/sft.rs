//! `update.sft`: one supervised step per batch on the rollout's `policy.lm`: cross-entropy of
//! the recorded response tokens (demonstrations from `policy.lm { teacher = "expert" }`),
//! in the model worker (docs/worker-protocol.md, `train` with `loss: "sft"`). With `save`,
//! the model directory is written after every step, for a PPO pipeline to start from.

use super::ppo::{micro_batch_tokens_param, mini_batches_param};
use crate::kinds::roles::Update;
use crate::kinds::Build;
use crate::rollout::lm::train::train_on_rollouts;
use crate::rollout::policy::{Policy, TokenLoss};
use crate::rollout::Rollouts;
use crate::stage::config::read;
use crate::stage::{
    ParamDefault, ParamSpec, ParamType, Params, Problem, Role, StageConfig, StageSchema,
};
use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub micro_batch_tokens: i64,
    pub mini_batches: i64,
    pub save: String,
}

impl StageConfig for Config {
    fn validate(&self) -> Result<(), Problem> {
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
        ],
    }
}

struct Sft {
    micro_batch_tokens: usize,
    mini_batches: usize,
    save: Option<PathBuf>,
}

fn build(params: &Params) -> Result<Box<dyn Update>> {
    let c: Config = read(params)?;
    Ok(Box::new(Sft {
        micro_batch_tokens: c.micro_batch_tokens as usize,
        mini_batches: c.mini_batches as usize,
        save: (!c.save.is_empty()).then(|| PathBuf::from(c.save)),
    }))
}

impl Update for Sft {
    fn apply(
        &mut self,
        policy: &mut dyn Policy,
        played: &Rollouts,
        advantages: &[f64],
    ) -> Result<BTreeMap<String, f64>> {
        let metrics = train_on_rollouts(
            policy,
            played,
            advantages,
            TokenLoss::Sft,
            self.micro_batch_tokens,
            self.mini_batches,
        )?;
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
