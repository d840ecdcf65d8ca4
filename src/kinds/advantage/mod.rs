//! `advantage.*` kinds: GRPO, RLOO, GiGPO and ProxMO. Each module reads its config and
//! builds an [`Estimator`]; the parameters they share are declared once here. The maths and
//! defaults are in docs/estimators.md.

pub mod gigpo;
pub mod grpo;
pub mod proxmo;
pub mod rloo;

use crate::advantage::{Estimator, Profile};
use crate::stage::config::field_names;
use crate::stage::{
    ParamDefault, ParamSpec, ParamType, Params, Range, Role, StageConfig, StageSchema,
};
use anyhow::{bail, Result};
use serde::Deserialize;

/// Which reading of the method (docs/estimators.md, "Two profiles").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileName {
    Paper,
    Reference,
}

impl From<ProfileName> for Profile {
    fn from(p: ProfileName) -> Profile {
        match p {
            ProfileName::Paper => Profile::Paper,
            ProfileName::Reference => Profile::Reference,
        }
    }
}

/// The estimator of an `advantage.*` kind with resolved parameters `params`, for code that
/// builds one without a `.pipe` file (tests, benchmarks, bindings).
pub fn estimator(kind: &str, params: &Params) -> Result<Estimator> {
    match super::find(kind).map(|k| &k.build) {
        Some(super::Build::Advantage(build)) => build(params),
        _ => bail!("`{kind}` is not an advantage kind"),
    }
}

/// The parameters every estimator shares ([`common_params`]); RLOO reads nothing else.
#[derive(Debug, Clone, Deserialize)]
pub struct Common {
    pub profile: ProfileName,
    pub gamma: f64,
    pub eps: f64,
    pub invalid_penalty: f64,
}

impl StageConfig for Common {}

impl Common {
    /// A fresh estimator with these values; each kind then sets its own rules.
    fn estimator(&self) -> Estimator {
        Estimator {
            profile: self.profile.into(),
            gamma: self.gamma,
            eps: self.eps,
            invalid_penalty: self.invalid_penalty,
            omega: 1.0,
            episode: crate::advantage::EpisodeRule::Grpo {
                divide_by_std: true,
            },
            psc: None,
            step: crate::advantage::StepRule::None,
        }
    }
}

/// An advantage kind's config: the shared parameters plus the kind's own (`Own`).
#[derive(Debug, Clone, Deserialize)]
pub struct Config<Own> {
    #[serde(flatten)]
    pub common: Common,
    #[serde(flatten)]
    pub own: Own,
}

impl<Own: StageConfig> StageConfig for Config<Own> {
    fn validate(&self) -> Result<(), crate::stage::Problem> {
        self.common.validate()?;
        self.own.validate()
    }

    fn fields() -> Vec<&'static str> {
        [field_names::<Common>(), Own::fields()].concat()
    }
}

/// The schema of advantage kind `kind`: the shared parameters, then its `own`.
fn schema_with(kind: &'static str, doc: &'static str, own: Vec<ParamSpec>) -> StageSchema {
    StageSchema {
        kind,
        role: Role::Advantage,
        doc,
        params: [common_params(), own].concat(),
    }
}

/// Parameters every estimator shares.
fn common_params() -> Vec<ParamSpec> {
    vec![
        ParamSpec::new(
            "profile",
            ParamType::Choice(&["paper", "reference"]),
            ParamDefault::str("paper"),
            "which reading of the method: the paper's text or the released code (docs/estimators.md)",
        ),
        ParamSpec::new(
            "gamma",
            ParamType::Float,
            ParamDefault::float(0.95),
            "discount for step returns",
        )
        .range(Range::left_open(0.0, 1.0)),
        ParamSpec::new(
            "eps",
            ParamType::Float,
            ParamDefault::float(1e-6),
            "added to a std before dividing by it",
        )
        .range(Range::above(0.0)),
        ParamSpec::new(
            "invalid_penalty",
            ParamType::Float,
            ParamDefault::float(0.1),
            "subtracted on a step whose action was malformed (valid = false)",
        )
        .range(Range::at_least(0.0)),
    ]
}

fn omega_param() -> ParamSpec {
    ParamSpec::new(
        "omega",
        ParamType::Float,
        ParamDefault::float(1.0),
        "weight of the step-level advantage in A = A_episode + omega * A_step",
    )
    .range(Range::at_least(0.0))
}

fn normalize_std_param(default: ParamDefault) -> ParamSpec {
    ParamSpec::new(
        "normalize_std",
        ParamType::Bool,
        default,
        "divide episode advantages by the group std (false: mean only, Dr.GRPO)",
    )
}
