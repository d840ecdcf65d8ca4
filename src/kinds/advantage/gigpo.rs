//! `advantage.gigpo`: GRPO's episode level plus anchor-state groups at the step level.

use super::{base_estimator, common_params, omega_param, ProfileName};
use crate::advantage::anchor_groups::Matching;
use crate::advantage::{EpisodeRule, Estimator, StepRule};
use crate::kinds::Build;
use crate::stage::config::read;
use crate::stage::{
    ParamDefault, ParamSpec, ParamType, Params, Range, Role, StageConfig, StageSchema,
};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Norm {
    MeanNorm,
    MeanStdNorm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchingName {
    Exact,
    Similar,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub profile: ProfileName,
    pub gamma: f64,
    pub eps: f64,
    pub invalid_penalty: f64,
    pub norm: Norm,
    pub matching: MatchingName,
    pub similarity: f64,
    pub omega: f64,
}

impl StageConfig for Config {}

stage_kind!("advantage.gigpo", Config, Build::Advantage(build));

fn schema() -> StageSchema {
    let own = vec![
        ParamSpec::new(
            "norm",
            ParamType::Choice(&["mean_norm", "mean_std_norm"]),
            ParamDefault::str("mean_std_norm"),
            "divide by the std at both levels (mean_std_norm) or subtract the mean only",
        ),
        ParamSpec::new(
            "matching",
            ParamType::Choice(&["exact", "similar"]),
            ParamDefault::str("exact"),
            "anchor-state groups: identical observations, or a string-similarity ratio",
        ),
        ParamSpec::new(
            "similarity",
            ParamType::Float,
            ParamDefault::float(0.95),
            "with matching = \"similar\": minimum ratio to a cluster's first member",
        )
        .range(Range::closed(0.0, 1.0)),
    ];
    StageSchema {
        kind: KIND.name,
        role: Role::Advantage,
        doc: "GiGPO: GRPO episode level plus exact anchor-state groups at the step level",
        params: [common_params(), own, vec![omega_param()]].concat(),
    }
}

fn build(params: &Params) -> anyhow::Result<Estimator> {
    let c: Config = read(params)?;
    let divide_by_std = c.norm == Norm::MeanStdNorm;
    let mut est = base_estimator(c.profile, c.gamma, c.eps, c.invalid_penalty);
    est.omega = c.omega;
    est.episode = EpisodeRule::Grpo { divide_by_std };
    est.step = StepRule::AnchorGroups {
        matching: match c.matching {
            MatchingName::Exact => Matching::Exact,
            MatchingName::Similar => Matching::Similar {
                threshold: c.similarity,
            },
        },
        divide_by_std,
    };
    Ok(est)
}
