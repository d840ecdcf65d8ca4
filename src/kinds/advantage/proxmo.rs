//! `advantage.proxmo`: the success-rate modulated episode level (PSC) plus
//! similarity-weighted step baselines (PSA). docs/estimators.md has the maths.

use super::{normalize_std_param, omega_param, schema_with, ProfileName};
use crate::advantage::anchor_groups::Matching;
use crate::advantage::backend::Device;
use crate::advantage::psc::Psc;
use crate::advantage::{EpisodeRule, Estimator, StepRule};
use crate::kinds::Build;
use crate::stage::config::read;
use crate::stage::{ParamDefault, ParamSpec, ParamType, Params, Range, StageConfig, StageSchema};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    Any,
    Step,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceName {
    Auto,
    Cpu,
    Gpu,
}

/// ProxMO's own parameters, beside the shared ones.
#[derive(Debug, Clone, Deserialize)]
pub struct Own {
    /// Derived from the profile when unset.
    pub normalize_std: Option<bool>,
    pub psc: bool,
    pub alpha: f64,
    /// Derived from the profile when unset.
    pub beta: Option<f64>,
    pub psa: bool,
    pub tau: f64,
    pub align: Align,
    pub max_features: usize,
    pub device: DeviceName,
    pub allow_software: bool,
    pub omega: f64,
}

impl StageConfig for Own {}

pub type Config = super::Config<Own>;

stage_kind!("advantage.proxmo", Config, Build::Advantage(build));

fn psc_params() -> Vec<ParamSpec> {
    vec![
        ParamSpec::new(
            "psc",
            ParamType::Bool,
            ParamDefault::bool(true),
            "episode level: modulate by the group's success rate (polarized signal controller)",
        ),
        ParamSpec::new(
            "alpha",
            ParamType::Float,
            ParamDefault::float(4.0),
            "PSC exponent on p and 1 - p",
        )
        .range(Range::above(0.0)),
        ParamSpec::new(
            "beta",
            ParamType::Float,
            ParamDefault::Derived("0.1 (paper) or 0.2164 (reference)"),
            "PSC strength: weights lie in [1 - 0.231 beta, 1 + 0.231 beta] (0.231 = sigmoid(1) - 0.5)",
        )
        .range(Range::at_least(0.0)),
    ]
}

fn psa_params() -> Vec<ParamSpec> {
    vec![
        ParamSpec::new(
            "psa",
            ParamType::Bool,
            ParamDefault::bool(true),
            "step level: soft baseline over similar states (false: GiGPO exact groups, mean only)",
        ),
        ParamSpec::new(
            "tau",
            ParamType::Float,
            ParamDefault::float(0.1),
            "softmax temperature over TF-IDF cosine similarities",
        )
        .range(Range::above(0.0)),
        ParamSpec::new(
            "align",
            ParamType::Choice(&["any", "step"]),
            ParamDefault::str("any"),
            "compare a row with every row of its group (any) or only rows at the same step",
        ),
        ParamSpec::new(
            "max_features",
            ParamType::Int,
            ParamDefault::int(1024),
            "TF-IDF vocabulary size: the most frequent terms of the batch",
        )
        .range(Range::at_least(1.0)),
        ParamSpec::new(
            "device",
            ParamType::Choice(&["auto", "cpu", "gpu"]),
            ParamDefault::str("auto"),
            "where the soft baseline runs: auto picks a hardware GPU for large batches",
        ),
        ParamSpec::new(
            "allow_software",
            ParamType::Bool,
            ParamDefault::bool(false),
            "let device = \"gpu\" use a software adapter (Mesa lavapipe): for tests, not speed",
        ),
    ]
}

fn schema() -> StageSchema {
    schema_with(
        KIND.name,
        "ProxMO: success-rate modulated episode level (PSC) plus similarity-weighted step baselines (PSA)",
        [
            vec![normalize_std_param(ParamDefault::Derived(
                "true (paper) or false (reference)",
            ))],
            psc_params(),
            psa_params(),
            vec![omega_param()],
        ]
        .concat(),
    )
}

fn build(params: &Params) -> anyhow::Result<Estimator> {
    let Config { common, own: c } = read(params)?;
    let paper = common.profile == ProfileName::Paper;
    let mut est = common.estimator();
    est.omega = c.omega;
    est.episode = EpisodeRule::Grpo {
        divide_by_std: c.normalize_std.unwrap_or(paper),
    };
    if c.psc {
        let beta = match c.beta {
            Some(b) => b,
            None if paper => Psc::PAPER_BETA,
            None => Psc::reference_beta(),
        };
        est.psc = Some(Psc {
            alpha: c.alpha,
            beta,
        });
    }
    est.step = if c.psa {
        StepRule::SoftBaseline {
            tau: c.tau,
            align_steps: c.align == Align::Step,
            max_features: c.max_features,
            vocabulary: None,
            device: match c.device {
                DeviceName::Auto => Device::Auto,
                DeviceName::Cpu => Device::Cpu,
                DeviceName::Gpu => Device::Gpu,
            },
            allow_software: c.allow_software,
        }
    } else {
        // The ablation without PSA: exact groups, mean-subtracted only.
        StepRule::AnchorGroups {
            matching: Matching::Exact,
            divide_by_std: false,
        }
    };
    Ok(est)
}
