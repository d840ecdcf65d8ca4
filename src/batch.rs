//! The Batch: step rows grouped into trajectories and groups (docs/estimators.md, section 1).
//!
//! Rows keep the order they arrived in (so output can preserve input order); trajectories
//! and groups index into them. Every index is validated when the batch is built, so code
//! downstream can index without checks.

use anyhow::{bail, Result};
use std::collections::HashMap;

/// One (trajectory, step) pair.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRow {
    /// Index into `Batch::groups`.
    pub group: usize,
    /// Index into `Batch::trajectories`.
    pub traj: usize,
    /// Step index `t` within the trajectory.
    pub step: u32,
    /// The anchor observation: raw environment text, no prompt template.
    pub obs: String,
    /// Step reward `r_t` (finite: checked on construction).
    pub reward: f64,
    /// False when the action at this step was malformed (invalid-action penalty applies).
    pub valid: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    pub id: String,
    pub group: usize,
    /// Row indices sorted by step.
    pub rows: Vec<usize>,
    /// Whether the episode succeeded.
    pub won: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: String,
    /// Trajectory indices in order of first appearance.
    pub trajectories: Vec<usize>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    pub rows: Vec<StepRow>,
    pub trajectories: Vec<Trajectory>,
    pub groups: Vec<Group>,
}

/// A row as it arrives from a source or a rollout, before grouping.
#[derive(Debug, Clone, PartialEq)]
pub struct RowInput {
    pub group: String,
    pub traj: String,
    pub step: u32,
    pub obs: String,
    pub reward: f64,
    pub valid: bool,
    /// `Some` when the producer states the outcome of the trajectory on this row.
    pub won: Option<bool>,
}

/// Why a set of rows cannot form a batch; `row` is the 0-based index of the offending row.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchError {
    pub row: usize,
    pub field: &'static str,
    pub message: String,
}

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "row {}: field `{}`: {}",
            self.row + 1,
            self.field,
            self.message
        )
    }
}

impl std::error::Error for BatchError {}

impl Batch {
    /// Groups rows into trajectories and groups. A trajectory is won if any row says
    /// `won: true`; if none of its rows carries `won`, it is won when its reward sum is > 0.
    pub fn from_rows(inputs: Vec<RowInput>) -> std::result::Result<Batch, BatchError> {
        let mut batch = Batch::default();
        let mut group_index: HashMap<String, usize> = HashMap::new();
        let mut traj_index: HashMap<String, usize> = HashMap::new();
        let mut stated_won: Vec<Option<bool>> = Vec::new();
        let mut seen_steps: HashMap<(usize, u32), usize> = HashMap::new();

        for (i, input) in inputs.into_iter().enumerate() {
            if !input.reward.is_finite() {
                return Err(BatchError {
                    row: i,
                    field: "reward",
                    message: format!("must be a finite number, got {}", input.reward),
                });
            }
            let group = *group_index.entry(input.group.clone()).or_insert_with(|| {
                batch.groups.push(Group {
                    id: input.group.clone(),
                    trajectories: Vec::new(),
                });
                batch.groups.len() - 1
            });
            let traj = match traj_index.get(&input.traj) {
                Some(&t) => {
                    let existing = batch.trajectories[t].group;
                    if existing != group {
                        return Err(BatchError {
                            row: i,
                            field: "group",
                            message: format!(
                                "trajectory {:?} is already in group {:?}, not {:?}: a trajectory belongs to one group",
                                input.traj, batch.groups[existing].id, input.group
                            ),
                        });
                    }
                    t
                }
                None => {
                    batch.trajectories.push(Trajectory {
                        id: input.traj.clone(),
                        group,
                        rows: Vec::new(),
                        won: false,
                    });
                    stated_won.push(None);
                    let t = batch.trajectories.len() - 1;
                    batch.groups[group].trajectories.push(t);
                    traj_index.insert(input.traj.clone(), t);
                    t
                }
            };
            if let Some(first) = seen_steps.insert((traj, input.step), i) {
                return Err(BatchError {
                    row: i,
                    field: "step",
                    message: format!(
                        "trajectory {:?} already has step {} (row {})",
                        input.traj,
                        input.step,
                        first + 1
                    ),
                });
            }
            if let Some(won) = input.won {
                let s = &mut stated_won[traj];
                *s = Some(s.unwrap_or(false) || won);
            }
            batch.trajectories[traj].rows.push(i);
            batch.rows.push(StepRow {
                group,
                traj,
                step: input.step,
                obs: input.obs,
                reward: input.reward,
                valid: input.valid,
            });
        }

        for (t, traj) in batch.trajectories.iter_mut().enumerate() {
            let rows = &batch.rows;
            traj.rows.sort_by_key(|&r| rows[r].step);
            traj.won = match stated_won[t] {
                Some(won) => won,
                None => traj.rows.iter().map(|&r| rows[r].reward).sum::<f64>() > 0.0,
            };
        }
        Ok(batch)
    }

    /// The episode outcome `R(tau)`: the sum of a trajectory's step rewards.
    pub fn outcome(&self, traj: usize) -> f64 {
        self.trajectories[traj]
            .rows
            .iter()
            .map(|&r| self.rows[r].reward)
            .sum()
    }

    /// Row indices of one group, trajectory by trajectory, each in step order.
    pub fn group_rows(&self, group: usize) -> impl Iterator<Item = usize> + '_ {
        self.groups[group]
            .trajectories
            .iter()
            .flat_map(move |&t| self.trajectories[t].rows.iter().copied())
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Checks a batch is usable for advantage estimation.
pub fn ensure_not_empty(batch: &Batch) -> Result<()> {
    if batch.is_empty() {
        bail!("the batch has no step rows");
    }
    Ok(())
}
