//! PSA's soft baseline on the CPU (docs/estimators.md, section 4.2, steps 2-4):
//! `B_i = sum_j softmax_j(sim(i, j) / tau) * R_j` over the rows `j` of `i`'s group.
//!
//! This is attention with queries = keys = TF-IDF rows and values = step returns, restricted
//! to same-group blocks, so only within-group pairs are ever touched and no matrix is stored.

use crate::sparse::SoftBaselineProblem;
use rayon::prelude::*;

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
