//! Episode-level advantages of every row (docs/estimators.md, sections 3 and 7).

use super::estimator::{EpisodeRule, Estimator, Profile};
use super::psc::Psc;
use super::stats::{all_equal, group_mean_std, normalize, StdKind};
use crate::batch::Batch;

/// Episode advantage per row, plus the PSC weight applied to each row (1 without PSC).
pub struct EpisodeAdvantages {
    pub advantage: Vec<f64>,
    pub psc_weight: Vec<f64>,
}

/// The outcome statistic each row contributes to its group, and the rows it stands for.
/// Paper: one value per trajectory, `R(tau)`. Reference: one per row, `R(tau) - c * invalid`.
struct GroupScores {
    values: Vec<f64>,
    /// `members[k]`: the rows that take the advantage of `values[k]`.
    members: Vec<Vec<usize>>,
    /// Whether `values[k]` counts as a success for PSC.
    succeeded: Vec<bool>,
    /// PSC's success rate `p` for the group.
    success_rate: f64,
}

fn group_scores(batch: &Batch, group: usize, est: &Estimator) -> GroupScores {
    let trajs = &batch.groups[group].trajectories;
    match est.profile {
        Profile::Paper => {
            let values: Vec<f64> = trajs.iter().map(|&t| batch.outcome(t)).collect();
            let succeeded: Vec<bool> = trajs.iter().map(|&t| batch.trajectories[t].won).collect();
            let won = succeeded.iter().filter(|&&w| w).count();
            GroupScores {
                members: trajs
                    .iter()
                    .map(|&t| batch.trajectories[t].rows.clone())
                    .collect(),
                success_rate: won as f64 / trajs.len().max(1) as f64,
                values,
                succeeded,
            }
        }
        Profile::Reference => {
            let rows: Vec<usize> = batch.group_rows(group).collect();
            let values: Vec<f64> = rows
                .iter()
                .map(|&r| {
                    let penalty = if batch.rows[r].valid {
                        0.0
                    } else {
                        est.invalid_penalty
                    };
                    batch.outcome(batch.rows[r].traj) - penalty
                })
                .collect();
            // A group of one row has mean 0 in the released code (as in the advantage,
            // which is then the row's own score), so its success rate is 0, not the row's.
            let mean = if values.len() > 1 {
                values.iter().sum::<f64>() / values.len() as f64
            } else {
                0.0
            };
            GroupScores {
                succeeded: values.iter().map(|&v| v > 0.5).collect(),
                members: rows.iter().map(|&r| vec![r]).collect(),
                success_rate: mean.clamp(0.0, 1.0),
                values,
            }
        }
    }
}

fn rloo(values: &[f64], kind: StdKind) -> Vec<f64> {
    let k = values.len();
    if k < 2 || all_equal(values) {
        return vec![0.0; k];
    }
    let (mean, _) = group_mean_std(values, kind);
    let scale = k as f64 / (k - 1) as f64;
    values.iter().map(|v| (v - mean) * scale).collect()
}

/// Episode advantages of the whole batch.
pub fn episode_advantages(batch: &Batch, est: &Estimator) -> EpisodeAdvantages {
    let n = batch.rows.len();
    let mut out = EpisodeAdvantages {
        advantage: vec![0.0; n],
        psc_weight: vec![1.0; n],
    };
    let kind = est.profile.std_kind();
    for g in 0..batch.groups.len() {
        let scores = group_scores(batch, g, est);
        let base = match est.episode {
            EpisodeRule::Grpo { divide_by_std } => {
                normalize(&scores.values, kind, divide_by_std, est.eps)
            }
            EpisodeRule::Rloo => rloo(&scores.values, kind),
        };
        for (k, rows) in scores.members.iter().enumerate() {
            let weight = est.psc.map_or(1.0, |psc: Psc| {
                psc.weight(scores.success_rate, scores.succeeded[k])
            });
            for &r in rows {
                out.advantage[r] = weight * base[k];
                out.psc_weight[r] = weight;
            }
        }
    }
    if est.profile == Profile::Paper {
        // The paper adds the penalty after normalising, so a zero-spread group never
        // divides it by eps.
        for (adv, row) in out.advantage.iter_mut().zip(&batch.rows) {
            if !row.valid {
                *adv -= est.invalid_penalty;
            }
        }
    }
    out
}

/// Share of won trajectories, averaged over groups.
pub fn mean_group_success(batch: &Batch) -> f64 {
    if batch.groups.is_empty() {
        return 0.0;
    }
    let total: f64 = batch
        .groups
        .iter()
        .map(|g| {
            let won = g
                .trajectories
                .iter()
                .filter(|&&t| batch.trajectories[t].won)
                .count();
            won as f64 / g.trajectories.len().max(1) as f64
        })
        .sum();
    total / batch.groups.len() as f64
}
