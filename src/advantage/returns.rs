//! Discounted step returns (docs/estimators.md, section 2).

use crate::batch::Batch;

/// `R_t = r_t + gamma * R_{t+1}` along each trajectory, minus the invalid-action penalty on
/// the offending row only (it is not propagated to earlier steps). Indexed by row.
pub fn step_returns(batch: &Batch, gamma: f64, invalid_penalty: f64) -> Vec<f64> {
    let mut returns = vec![0.0; batch.rows.len()];
    for traj in &batch.trajectories {
        let mut running = 0.0;
        for &r in traj.rows.iter().rev() {
            running = batch.rows[r].reward + gamma * running;
            returns[r] = running;
        }
    }
    for (ret, row) in returns.iter_mut().zip(&batch.rows) {
        if !row.valid {
            *ret -= invalid_penalty;
        }
    }
    returns
}
