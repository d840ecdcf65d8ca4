//! PSA's soft baseline on the CPU (docs/estimators.md, section 4.2, steps 2-4):
//! `B_i = sum_j softmax_j(sim(i, j) / tau) * R_j` over the rows `j` of `i`'s group.
//!
//! This is attention with queries = keys = TF-IDF rows and values = step returns, restricted
//! to same-group blocks, so only within-group pairs are ever touched and no matrix is stored.

use super::tfidf::SparseRows;
use rayon::prelude::*;

/// One soft-baseline computation, with rows laid out group after group.
#[derive(Debug, Clone, PartialEq)]
pub struct SoftBaselineProblem {
    /// TF-IDF rows in group-contiguous order.
    pub vectors: SparseRows,
    /// Step return of each row, same order.
    pub returns: Vec<f64>,
    /// Step index of each row, same order (used when `align_steps`).
    pub steps: Vec<u32>,
    /// Group `g` holds rows `group_offsets[g]..group_offsets[g + 1]`.
    pub group_offsets: Vec<usize>,
    /// Softmax temperature (> 0).
    pub tau: f64,
    /// Compare only rows with the same step index (`align = "step"`).
    pub align_steps: bool,
}

impl SoftBaselineProblem {
    pub fn n_rows(&self) -> usize {
        self.returns.len()
    }

    /// The group of every row, derived from the offsets.
    pub fn row_groups(&self) -> Vec<u32> {
        let mut groups = vec![0u32; self.n_rows()];
        for g in 0..self.group_offsets.len().saturating_sub(1) {
            groups[self.group_offsets[g]..self.group_offsets[g + 1]].fill(g as u32);
        }
        groups
    }
}

/// The soft baseline of every row, in the problem's row order.
pub fn soft_baseline_cpu(problem: &SoftBaselineProblem) -> Vec<f64> {
    let groups = problem.row_groups();
    let n_features = problem.vectors.n_features;
    (0..problem.n_rows())
        .into_par_iter()
        .map_init(
            || (vec![0.0f64; n_features], Vec::<(f64, f64)>::new()),
            |(dense, scored), i| {
                let g = groups[i] as usize;
                let members = problem.group_offsets[g]..problem.group_offsets[g + 1];
                row_baseline(problem, i, members, dense, scored)
            },
        )
        .collect()
}

/// Baseline of row `i` against `members`; `dense` is an all-zero scratch vector on entry and
/// on exit, `scored` a scratch list of (similarity, return) pairs.
fn row_baseline(
    problem: &SoftBaselineProblem,
    i: usize,
    members: std::ops::Range<usize>,
    dense: &mut [f64],
    scored: &mut Vec<(f64, f64)>,
) -> f64 {
    let (qi, qv) = problem.vectors.row(i);
    for (&j, &v) in qi.iter().zip(qv) {
        dense[j as usize] = v;
    }
    scored.clear();
    for j in members {
        if problem.align_steps && problem.steps[j] != problem.steps[i] {
            continue;
        }
        let (ki, kv) = problem.vectors.row(j);
        let sim: f64 = ki
            .iter()
            .zip(kv)
            .map(|(&f, &v)| dense[f as usize] * v)
            .sum();
        scored.push((sim, problem.returns[j]));
    }
    for &j in qi {
        dense[j as usize] = 0.0;
    }
    // Subtracting the largest logit keeps exp() finite for any tau.
    let max_sim = scored.iter().map(|s| s.0).fold(f64::NEG_INFINITY, f64::max);
    let (mut weight_sum, mut weighted) = (0.0, 0.0);
    for &(sim, ret) in scored.iter() {
        let w = ((sim - max_sim) / problem.tau).exp();
        weight_sum += w;
        weighted += w * ret;
    }
    weighted / weight_sum
}
