//! `advantage.gigpo`: GRPO's episode level plus anchor-state groups at the step level.

use super::{omega_param, schema_with};
use crate::advantage::anchor_groups::Matching;
use crate::advantage::{EpisodeRule, Estimator, StepRule};
use crate::kinds::Build;
use crate::stage::config::read;
use crate::stage::{ParamDefault, ParamSpec, ParamType, Params, Range, StageConfig, StageSchema};
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

/// GiGPO's own parameters, beside the shared ones.
#[derive(Debug, Clone, Deserialize)]
pub struct Own {
    pub norm: Norm,
    pub matching: MatchingName,
    pub similarity: f64,
    pub omega: f64,
}

impl StageConfig for Own {}

pub type Config = super::Config<Own>;

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
        omega_param(),
    ];
    schema_with(
        KIND.name,
        "GiGPO: GRPO episode level plus exact anchor-state groups at the step level",
        own,
    )
}

fn build(params: &Params) -> anyhow::Result<Estimator> {
    let Config { common, own: c } = read(params)?;
    let divide_by_std = c.norm == Norm::MeanStdNorm;
    let mut est = common.estimator();
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
