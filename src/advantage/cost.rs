//! What a batch will cost the step level before it is computed: both similarity-based step
//! rules compare rows pairwise within a group, so a few huge groups can take minutes. The
//! runner prints the estimate when it exceeds a few seconds (docs/estimators.md, "Cost").

use super::anchor_groups::Matching;
use super::estimator::{Estimator, StepRule};
use crate::batch::Batch;

/// Row pairs per second, measured on the development machine (one core): the soft baseline's
/// sparse dot products (a 100,000-row group took 127 s), and the string-similarity ratio of
/// `matching = "similar"` (a 2,000-row group took 81 s in the worst case, every row its own
/// cluster).
const SOFT_BASELINE_PAIRS_PER_S: f64 = 7.9e7;
const SIMILAR_MATCHING_PAIRS_PER_S: f64 = 4.9e4;

/// The step level's estimated work on `batch`: row pairs compared and seconds, or `None` when
/// its cost is linear (no pairwise comparisons).
pub fn estimated_step_cost(batch: &Batch, estimator: &Estimator) -> Option<(u64, f64)> {
    let rate = match &estimator.step {
        StepRule::SoftBaseline { .. } => SOFT_BASELINE_PAIRS_PER_S,
        StepRule::AnchorGroups {
            matching: Matching::Similar { .. },
            ..
        } => SIMILAR_MATCHING_PAIRS_PER_S,
        _ => return None,
    };
    let pairs: u64 = (0..batch.groups.len())
        .map(|g| {
            let n = batch.group_rows(g).count() as u64;
            n * n.saturating_sub(1) / 2
        })
        .sum();
    Some((pairs, pairs as f64 / rate))
}
