//! Rewards so large that the statistics of a group overflow (docs/inputs.md, "Reward
//! range"): every estimator sums rewards into returns, takes means over a group and squares
//! deviations from them. With `n` rows in a batch, a return is at most `n` rewards, a
//! deviation at most twice that, and a sum of squares `n` of those, so every reward must lie
//! within `sqrt(f64::MAX / (8 n^3))` (a factor 2 spare for rounding) for all of it to stay
//! finite. Beyond that, the std would overflow to infinity and every advantage would
//! silently become 0; such a batch is refused, naming the first row, the same way for every
//! estimator.

use crate::batch::Batch;
use crate::data::InvalidInput;

/// The largest reward magnitude whose statistics stay finite in a batch of `rows` rows.
pub fn reward_limit(rows: usize) -> f64 {
    let n = rows.max(1) as f64;
    (f64::MAX / (8.0 * n * n * n)).sqrt()
}

/// Refuses a batch holding a reward beyond [`reward_limit`], naming its row.
pub fn check_reward_range(batch: &Batch) -> Result<(), InvalidInput> {
    let limit = reward_limit(batch.rows.len());
    let Some((i, row)) = batch
        .rows
        .iter()
        .enumerate()
        .find(|(_, r)| r.reward.abs() > limit)
    else {
        return Ok(());
    };
    let traj = &batch.trajectories[row.traj];
    Err(InvalidInput(format!(
        "row {} (group {:?}, traj {:?}, step {}): reward {:e} is too large: in a batch of {} \
         rows the group statistics overflow unless every |reward| <= {limit:.3e}; rescale the \
         rewards",
        i + 1,
        batch.groups[row.group].id,
        traj.id,
        row.step,
        row.reward,
        batch.rows.len()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::RowInput;

    fn batch(rewards: &[f64]) -> Batch {
        let rows = rewards
            .iter()
            .enumerate()
            .map(|(i, &reward)| RowInput {
                group: "g".into(),
                traj: format!("t{i}"),
                step: 0,
                obs: "o".into(),
                reward,
                valid: true,
                won: None,
            })
            .collect();
        Batch::from_rows(rows).unwrap()
    }

    #[test]
    fn the_limit_keeps_the_sum_of_squared_deviations_finite() {
        for n in [1usize, 2, 8, 6_400, 1_000_000] {
            let l = reward_limit(n);
            let nf = n as f64;
            // n deviations of at most 2 n l each, squared and summed.
            assert!((nf * (2.0 * nf * l).powi(2)).is_finite(), "n = {n}");
        }
    }

    #[test]
    fn huge_rewards_are_refused_naming_the_row() {
        let err = check_reward_range(&batch(&[1.0, 1.7e308, -1.7e308])).unwrap_err();
        assert!(
            err.0
                .starts_with("row 2 (group \"g\", traj \"t1\", step 0)"),
            "{err}"
        );
        assert!(check_reward_range(&batch(&[1.0, -1e100, 3.0])).is_ok());
    }
}
