//! GiGPO's anchor-state groups: within one episode group, the step rows (of any trajectory,
//! at any step) whose anchor observations match (docs/estimators.md, section 4.1).

use super::sequence_ratio::ratio;
use crate::batch::Batch;
use std::collections::HashMap;

/// How observations are matched into anchor-state groups.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Matching {
    /// Identical text.
    Exact,
    /// Greedy first fit: join the first cluster whose first member has a ratio >= threshold.
    Similar { threshold: f64 },
}

/// Anchor-state clusters of every group, each a list of row indices.
pub fn clusters(batch: &Batch, matching: Matching) -> Vec<Vec<usize>> {
    let mut all = Vec::new();
    for g in 0..batch.groups.len() {
        match matching {
            Matching::Exact => all.extend(exact_clusters(batch, g)),
            Matching::Similar { threshold } => all.extend(similar_clusters(batch, g, threshold)),
        }
    }
    all
}

fn exact_clusters(batch: &Batch, group: usize) -> Vec<Vec<usize>> {
    let mut by_obs: HashMap<&str, usize> = HashMap::new();
    let mut out: Vec<Vec<usize>> = Vec::new();
    for r in batch.group_rows(group) {
        let c = *by_obs.entry(batch.rows[r].obs.as_str()).or_insert_with(|| {
            out.push(Vec::new());
            out.len() - 1
        });
        out[c].push(r);
    }
    out
}

fn similar_clusters(batch: &Batch, group: usize, threshold: f64) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    for r in batch.group_rows(group) {
        let obs = &batch.rows[r].obs;
        let home = out
            .iter()
            .position(|c| ratio(obs, &batch.rows[c[0]].obs) >= threshold);
        match home {
            Some(c) => out[c].push(r),
            None => out.push(vec![r]),
        }
    }
    out
}

/// Share of rows that are alone in their exact-match cluster (a GiGPO diagnostic: those
/// rows get no step-level signal under exact matching).
pub fn singleton_share(batch: &Batch) -> f64 {
    if batch.rows.is_empty() {
        return 0.0;
    }
    let singletons: usize = clusters(batch, Matching::Exact)
        .iter()
        .filter(|c| c.len() == 1)
        .count();
    singletons as f64 / batch.rows.len() as f64
}
