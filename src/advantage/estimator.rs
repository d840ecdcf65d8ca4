//! An advantage estimator, fully specified: which episode-level rule, which step-level rule,
//! and every knob (docs/estimators.md). The `advantage.*` stage kinds build one.

use super::anchor_groups::Matching;
use super::backend::Device;
use super::psc::Psc;
use super::stats::StdKind;
use std::sync::Arc;

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
        /// The terms the TF-IDF vocabulary keeps instead of the `max_features` most
        /// frequent: set by a caller that ranks the cut's ties itself (the verl-agent
        /// drop-in, with numpy's sort as scikit-learn does); no stage parameter sets it.
        vocabulary: Option<Arc<[String]>>,
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
