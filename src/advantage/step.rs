//! Step-level advantages (docs/estimators.md, section 4): GiGPO's matched anchor groups, or
//! ProxMO's soft baseline over TF-IDF-similar rows.

use super::anchor_groups::{clusters, Matching};
use super::backend::{self, BackendReport, Device};
use super::stats::{normalize, StdKind};
use super::tfidf::{fit_transform_with, TermCut};
use crate::batch::Batch;
use crate::sparse::SoftBaselineProblem;
use anyhow::Result;
use std::sync::Arc;

/// `A^S` of every row under GiGPO: return minus its cluster's mean (over the std when
/// asked); a row alone in its cluster gets 0.
pub fn anchor_group_advantages(
    batch: &Batch,
    returns: &[f64],
    matching: Matching,
    divide_by_std: bool,
    std_kind: StdKind,
    eps: f64,
) -> Vec<f64> {
    let mut out = vec![0.0; batch.rows.len()];
    for cluster in clusters(batch, matching) {
        if cluster.len() < 2 {
            continue;
        }
        let values: Vec<f64> = cluster.iter().map(|&r| returns[r]).collect();
        for (&r, a) in cluster
            .iter()
            .zip(normalize(&values, std_kind, divide_by_std, eps))
        {
            out[r] = a;
        }
    }
    out
}

/// Knobs of the soft baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct SoftBaselineOptions {
    pub tau: f64,
    pub align_steps: bool,
    pub max_features: usize,
    /// Kept terms given by the caller, instead of the `max_features` most frequent.
    pub vocabulary: Option<Arc<[String]>>,
    pub device: Device,
    pub allow_software: bool,
}

/// `A^S_i = R_i - B_i` with PSA's soft baseline. Returns the advantages and which back end
/// ran; an empty vocabulary gives zeros (and no back end).
pub fn soft_baseline_advantages(
    batch: &Batch,
    returns: &[f64],
    opts: SoftBaselineOptions,
) -> Result<(Vec<f64>, Option<BackendReport>)> {
    let docs: Vec<&str> = batch.rows.iter().map(|r| r.obs.as_str()).collect();
    let cut = match &opts.vocabulary {
        Some(terms) => TermCut::Given(terms),
        None => TermCut::MostFrequent(opts.max_features),
    };
    let (vocab, vectors) = fit_transform_with(&docs, cut);
    if vocab.terms.is_empty() {
        return Ok((vec![0.0; batch.rows.len()], None));
    }

    // Lay rows out group after group, as the kernels expect.
    let mut order = Vec::with_capacity(batch.rows.len());
    let mut group_offsets = vec![0];
    for g in 0..batch.groups.len() {
        order.extend(batch.group_rows(g));
        group_offsets.push(order.len());
    }
    let problem = SoftBaselineProblem {
        vectors: vectors.select(&order),
        returns: order.iter().map(|&r| returns[r]).collect(),
        steps: order.iter().map(|&r| batch.rows[r].step).collect(),
        group_offsets,
        tau: opts.tau,
        align_steps: opts.align_steps,
    };
    let (baselines, report) = backend::soft_baseline(&problem, opts.device, opts.allow_software)?;

    let mut out = vec![0.0; batch.rows.len()];
    for (&r, b) in order.iter().zip(baselines) {
        out[r] = returns[r] - b;
    }
    Ok((out, Some(report)))
}
