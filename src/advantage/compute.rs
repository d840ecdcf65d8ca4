//! Putting the levels together: `A = A~^E + omega * A^S` (docs/estimators.md, section 5),
//! with the per-batch diagnostics users watch.

use super::anchor_groups::singleton_share;
use super::episode::{episode_advantages, mean_group_success};
use super::estimator::{Estimator, StepRule};
use super::returns::step_returns;
use super::reward_range::check_reward_range;
use super::step::{anchor_group_advantages, soft_baseline_advantages, SoftBaselineOptions};
use crate::batch::Batch;
use anyhow::Result;
use serde::Serialize;

/// Advantages of every row of a batch, indexed like `Batch::rows`.
#[derive(Debug, Clone, PartialEq)]
pub struct Advantages {
    pub step_return: Vec<f64>,
    pub episode_advantage: Vec<f64>,
    pub step_advantage: Vec<f64>,
    pub advantage: Vec<f64>,
    pub diagnostics: BatchDiagnostics,
}

/// What one batch looked like to the estimator.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BatchDiagnostics {
    pub rows: usize,
    pub trajectories: usize,
    pub groups: usize,
    /// Share of rows alone in their exact-match anchor group (no GiGPO step signal).
    pub singleton_share: f64,
    /// Share of won trajectories, averaged over groups.
    pub mean_group_success: f64,
    /// Smallest and largest PSC weight applied (1, 1 without PSC).
    pub psc_weight_min: f64,
    pub psc_weight_max: f64,
    /// Where the soft baseline ran (`cpu`, an adapter name), if it ran.
    pub backend: Option<String>,
    /// Set when the GPU failed and the CPU took over.
    pub backend_warning: Option<String>,
}

/// Computes every row's advantages. An empty batch gives empty results.
pub fn compute(batch: &Batch, est: &Estimator) -> Result<Advantages> {
    check_reward_range(batch)?;
    let returns = step_returns(batch, est.gamma, est.invalid_penalty);
    let episode = episode_advantages(batch, est);
    let std_kind = est.profile.std_kind();
    let (step, report) = match &est.step {
        StepRule::None => (vec![0.0; batch.rows.len()], None),
        StepRule::AnchorGroups {
            matching,
            divide_by_std,
        } => (
            anchor_group_advantages(
                batch,
                &returns,
                *matching,
                *divide_by_std,
                std_kind,
                est.eps,
            ),
            None,
        ),
        StepRule::SoftBaseline {
            tau,
            align_steps,
            max_features,
            vocabulary,
            device,
            allow_software,
        } => soft_baseline_advantages(
            batch,
            &returns,
            SoftBaselineOptions {
                tau: *tau,
                align_steps: *align_steps,
                max_features: *max_features,
                vocabulary: vocabulary.clone(),
                device: *device,
                allow_software: *allow_software,
            },
        )?,
    };
    let advantage: Vec<f64> = episode
        .advantage
        .iter()
        .zip(&step)
        .map(|(e, s)| e + est.omega * s)
        .collect();
    // Finite rewards can still overflow (sums near f64::MAX): refuse rather than emit NaN.
    if let Some(r) = advantage.iter().position(|a| !a.is_finite()) {
        return Err(crate::data::InvalidInput(format!(
            "the advantage of row {} overflowed to {}: rewards are too large to combine; rescale them",
            r + 1,
            advantage[r]
        ))
        .into());
    }
    let (psc_weight_min, psc_weight_max) = episode
        .psc_weight
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &w| {
            (lo.min(w), hi.max(w))
        });
    let diagnostics = BatchDiagnostics {
        rows: batch.rows.len(),
        trajectories: batch.trajectories.len(),
        groups: batch.groups.len(),
        singleton_share: singleton_share(batch),
        mean_group_success: mean_group_success(batch),
        psc_weight_min: if batch.rows.is_empty() {
            1.0
        } else {
            psc_weight_min
        },
        psc_weight_max: if batch.rows.is_empty() {
            1.0
        } else {
            psc_weight_max
        },
        backend: report.as_ref().map(|r| r.used.clone()),
        backend_warning: report.and_then(|r| r.fallback_warning),
    };
    Ok(Advantages {
        step_return: returns,
        episode_advantage: episode.advantage,
        step_advantage: step,
        advantage,
        diagnostics,
    })
}
