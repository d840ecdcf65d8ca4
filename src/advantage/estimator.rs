//! An advantage estimator, fully specified: which episode-level rule, which step-level rule,
//! and every knob of the profiles (docs/estimators.md, section 7). Stages build one from
//! their `.pipe` parameters.

use super::anchor_groups::Matching;
use super::backend::Device;
use super::psc::Psc;
use super::stats::StdKind;
use crate::pipeline::value::Params;
use anyhow::{bail, Result};

/// Which reading of the method (docs/estimators.md, section 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// The paper's text: episode statistics over trajectories, population std, the invalid
    /// penalty added after normalising.
    Paper,
    /// The released code: statistics over step rows, unbiased std, penalty inside the score.
    Reference,
}

impl Profile {
    pub fn parse(name: &str) -> Result<Profile> {
        match name {
            "paper" => Ok(Profile::Paper),
            "reference" => Ok(Profile::Reference),
            other => bail!("unknown profile {other:?}: expected \"paper\" or \"reference\""),
        }
    }

    pub fn std_kind(self) -> StdKind {
        match self {
            Profile::Paper => StdKind::Population,
            Profile::Reference => StdKind::Unbiased,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EpisodeRule {
    /// Group-normalised outcome; `divide_by_std = false` is Dr.GRPO's mean-only variant.
    Grpo { divide_by_std: bool },
    /// Outcome minus the leave-one-out mean.
    Rloo,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepRule {
    /// No step level.
    None,
    /// GiGPO: matched anchor-state groups, mean-subtracted, optionally std-divided.
    AnchorGroups {
        matching: Matching,
        divide_by_std: bool,
    },
    /// ProxMO PSA: softmax-weighted baseline over TF-IDF-similar rows of the group.
    SoftBaseline {
        tau: f64,
        align_steps: bool,
        max_features: usize,
        device: Device,
        allow_software: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Estimator {
    pub profile: Profile,
    pub gamma: f64,
    pub eps: f64,
    pub invalid_penalty: f64,
    pub omega: f64,
    pub episode: EpisodeRule,
    /// `Some` when the episode level is PSC-modulated.
    pub psc: Option<Psc>,
    pub step: StepRule,
}

impl Estimator {
    /// Builds the estimator of an `advantage.*` stage kind from its resolved parameters.
    pub fn from_stage(kind: &str, params: &Params) -> Result<Estimator> {
        let profile = Profile::parse(params.str("profile")?)?;
        let mut est = Estimator {
            profile,
            gamma: params.f64("gamma")?,
            eps: params.f64("eps")?,
            invalid_penalty: params.f64("invalid_penalty")?,
            omega: params.opt_f64("omega")?.unwrap_or(1.0),
            episode: EpisodeRule::Grpo {
                divide_by_std: true,
            },
            psc: None,
            step: StepRule::None,
        };
        match kind {
            "advantage.grpo" => {
                est.episode = EpisodeRule::Grpo {
                    divide_by_std: params.bool("normalize_std")?,
                };
            }
            "advantage.rloo" => est.episode = EpisodeRule::Rloo,
            "advantage.gigpo" => {
                let divide_by_std = params.str("norm")? == "mean_std_norm";
                let matching = match params.str("matching")? {
                    "similar" => Matching::Similar {
                        threshold: params.f64("similarity")?,
                    },
                    _ => Matching::Exact,
                };
                est.episode = EpisodeRule::Grpo { divide_by_std };
                est.step = StepRule::AnchorGroups {
                    matching,
                    divide_by_std,
                };
            }
            "advantage.proxmo" => {
                let divide_by_std = params
                    .opt_bool("normalize_std")?
                    .unwrap_or(profile == Profile::Paper);
                est.episode = EpisodeRule::Grpo { divide_by_std };
                if params.bool("psc")? {
                    let beta = match params.opt_f64("beta")? {
                        Some(b) => b,
                        None if profile == Profile::Paper => Psc::PAPER_BETA,
                        None => Psc::reference_beta(),
                    };
                    est.psc = Some(Psc {
                        alpha: params.f64("alpha")?,
                        beta,
                    });
                }
                est.step = if params.bool("psa")? {
                    StepRule::SoftBaseline {
                        tau: params.f64("tau")?,
                        align_steps: params.str("align")? == "step",
                        max_features: usize::try_from(params.i64("max_features")?)?,
                        device: Device::parse(params.str("device")?)?,
                        allow_software: params.bool("allow_software")?,
                    }
                } else {
                    // The ablation without PSA: exact groups, mean-subtracted only.
                    StepRule::AnchorGroups {
                        matching: Matching::Exact,
                        divide_by_std: false,
                    }
                };
            }
            other => bail!("`{other}` is not an advantage estimator"),
        }
        Ok(est)
    }
}
