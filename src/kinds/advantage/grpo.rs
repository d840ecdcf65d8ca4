//! `advantage.grpo`: the group-normalised episode outcome, no step level.

use super::{base_estimator, common_params, normalize_std_param, ProfileName};
use crate::advantage::{EpisodeRule, Estimator};
use crate::kinds::Build;
use crate::stage::config::read;
use crate::stage::{ParamDefault, Params, Role, StageConfig, StageSchema};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub profile: ProfileName,
    pub gamma: f64,
    pub eps: f64,
    pub invalid_penalty: f64,
    pub normalize_std: bool,
}

impl StageConfig for Config {}

stage_kind!("advantage.grpo", Config, Build::Advantage(build));

fn schema() -> StageSchema {
    StageSchema {
        kind: KIND.name,
        role: Role::Advantage,
        doc: "GRPO: group-normalised episode outcome, no step level",
        params: [
            common_params(),
            vec![normalize_std_param(ParamDefault::bool(true))],
        ]
        .concat(),
    }
}

fn build(params: &Params) -> anyhow::Result<Estimator> {
    let c: Config = read(params)?;
    let mut est = base_estimator(c.profile, c.gamma, c.eps, c.invalid_penalty);
    est.episode = EpisodeRule::Grpo {
        divide_by_std: c.normalize_std,
    };
    Ok(est)
}
