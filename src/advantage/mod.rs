//! Advantage estimators: GRPO, RLOO, GiGPO and ProxMO (docs/estimators.md).
//!
//! [`compute`] turns a [`crate::batch::Batch`] and an [`Estimator`] into per-row advantages.

pub mod anchor_groups;
pub mod backend;
pub mod compute;
pub mod cost;
pub mod episode;
pub mod estimator;
pub mod psc;
pub mod returns;
pub mod reward_range;
pub mod sequence_ratio;
pub mod soft_baseline;
pub mod stats;
pub mod step;
pub mod tfidf;

pub use compute::{compute, Advantages, BatchDiagnostics};
pub use estimator::{EpisodeRule, Estimator, Profile, StepRule};
