//! `advantage.grpo`: the group-normalised episode outcome, no step level.

use super::{normalize_std_param, schema_with};
use crate::advantage::{EpisodeRule, Estimator};
use crate::kinds::Build;
use crate::stage::config::read;
use crate::stage::{ParamDefault, Params, StageConfig, StageSchema};
use serde::Deserialize;

/// GRPO's own parameters, beside the shared ones.
#[derive(Debug, Clone, Deserialize)]
pub struct Own {
    pub normalize_std: bool,
}

impl StageConfig for Own {}

pub type Config = super::Config<Own>;

stage_kind!("advantage.grpo", Config, Build::Advantage(build));

fn schema() -> StageSchema {
    schema_with(
        KIND.name,
        "GRPO: group-normalised episode outcome, no step level",
        vec![normalize_std_param(ParamDefault::bool(true))],
    )
}

fn build(params: &Params) -> anyhow::Result<Estimator> {
    let c: Config = read(params)?;
    let mut est = c.common.estimator();
    est.episode = EpisodeRule::Grpo {
        divide_by_std: c.own.normalize_std,
    };
    Ok(est)
}
