//! `update.ppo`: one PPO step per batch on the rollout's `policy.lm`, in its model worker:
//! each row's advantage broadcast to exactly its response tokens, the ratio taken to the
//! log-probs the tokens were sampled with (docs/ppo.md, docs/worker-protocol.md).

use crate::kinds::roles::Update;
use crate::kinds::Build;
use crate::rollout::lm::train::train_on_rollouts;
use crate::rollout::policy::{Policy, TokenLoss};
use crate::rollout::Rollouts;
use crate::stage::config::read;
use crate::stage::{
    ParamDefault, ParamSpec, ParamType, Params, Problem, Range, Role, StageConfig, StageSchema,
};
use anyhow::Result;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub micro_batch_tokens: i64,
    pub mini_batches: i64,
}

impl StageConfig for Config {
    fn validate(&self) -> Result<(), Problem> {
        Ok(())
    }
}

stage_kind!(
    "update.ppo",
    Config,
    Build::Update {
        build,
        trains: &["policy.lm"],
    }
);

/// The `micro_batch_tokens` parameter, shared with `update.sft`.
pub fn micro_batch_tokens_param() -> ParamSpec {
    ParamSpec::new(
        "micro_batch_tokens",
        ParamType::Int,
        ParamDefault::int(8192),
        "padded tokens per forward/backward pass (gradients accumulate over a mini-batch's passes)",
    )
    .range(Range::closed(1.0, 1e9))
}

/// The `mini_batches` parameter of the token-level updates.
pub fn mini_batches_param() -> ParamSpec {
    ParamSpec::new(
        "mini_batches",
        ParamType::Int,
        ParamDefault::int(1),
        "optimiser steps per batch: the rows are dealt into this many mini-batches, one step each (verl's ppo_mini_batch_size, as a count)",
    )
    .range(Range::closed(1.0, 1e6))
}

fn schema() -> StageSchema {
    StageSchema {
        kind: KIND.name,
        role: Role::Update,
        doc: "PPO step (verl's actor loss: clipped ratio, k3 KL to the initial model, entropy bonus; settings on policy.lm) on the batch's advantages; trains policy.lm",
        params: vec![micro_batch_tokens_param(), mini_batches_param()],
    }
}

struct Ppo {
    micro_batch_tokens: usize,
    mini_batches: usize,
}

fn build(params: &Params) -> Result<Box<dyn Update>> {
    let c: Config = read(params)?;
    Ok(Box::new(Ppo {
        micro_batch_tokens: c.micro_batch_tokens as usize,
        mini_batches: c.mini_batches as usize,
    }))
}

impl Update for Ppo {
    fn apply(
        &mut self,
        policy: &mut dyn Policy,
        played: &Rollouts,
        advantages: &[f64],
    ) -> Result<BTreeMap<String, f64>> {
        train_on_rollouts(
            policy,
            played,
            advantages,
            TokenLoss::Ppo,
            self.micro_batch_tokens,
            self.mini_batches,
        )
    }
}
