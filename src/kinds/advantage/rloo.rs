//! `advantage.rloo`: the episode outcome minus the leave-one-out mean, no step level.

use super::{base_estimator, common_params, ProfileName};
use crate::advantage::{EpisodeRule, Estimator};
use crate::kinds::Build;
use crate::stage::config::read;
use crate::stage::{Params, Role, StageConfig, StageSchema};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub profile: ProfileName,
    pub gamma: f64,
    pub eps: f64,
    pub invalid_penalty: f64,
}

impl StageConfig for Config {}

stage_kind!("advantage.rloo", Config, Build::Advantage(build));

fn schema() -> StageSchema {
    StageSchema {
        kind: KIND.name,
        role: Role::Advantage,
        doc: "RLOO: episode outcome minus the leave-one-out mean, no step level",
        params: common_params(),
    }
}

fn build(params: &Params) -> anyhow::Result<Estimator> {
    let c: Config = read(params)?;
    let mut est = base_estimator(c.profile, c.gamma, c.eps, c.invalid_penalty);
    est.episode = EpisodeRule::Rloo;
    Ok(est)
}
