//! `advantages(...)`: step rows in, the library's four per-row columns out, in input order.

use crate::columns;
use crate::errors::{from_library, invalid};
use crate::params;
use proxmo::advantage::{compute, Advantages, Estimator};
use proxmo::batch::{Batch, RowInput};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The four columns, as Python gets them (the package turns them into numpy arrays).
type Columns = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>);

#[pyfunction]
#[pyo3(signature = (group, traj, step, obs, reward, valid=None, won=None, kind="proxmo", params=None))]
#[allow(clippy::too_many_arguments)]
pub fn advantages(
    py: Python<'_>,
    group: &Bound<'_, PyAny>,
    traj: &Bound<'_, PyAny>,
    step: &Bound<'_, PyAny>,
    obs: &Bound<'_, PyAny>,
    reward: &Bound<'_, PyAny>,
    valid: Option<&Bound<'_, PyAny>>,
    won: Option<&Bound<'_, PyAny>>,
    kind: &str,
    params: Option<&Bound<'_, PyDict>>,
) -> PyResult<Columns> {
    let kind = params::estimator_kind(kind)?;
    let est = params::estimator(&kind, &params::given(params)?)?;
    let group = columns::ids("group", group, None)?;
    let n = Some(group.len());
    let traj = columns::ids("traj", traj, n)?;
    let step = columns::steps("step", step, n)?;
    let obs = columns::texts("obs", obs, n)?;
    let reward = columns::floats("reward", reward, n)?;
    let valid = match valid {
        Some(v) => columns::flags("valid", v, n)?,
        None => vec![true; group.len()],
    };
    let won = match won {
        Some(w) => columns::optional_flags("won", w, n)?,
        None => vec![None; group.len()],
    };
    let rows: Vec<RowInput> = group
        .into_iter()
        .zip(traj)
        .zip(step)
        .zip(obs)
        .zip(reward)
        .zip(valid)
        .zip(won)
        .map(
            |((((((group, traj), step), obs), reward), valid), won)| RowInput {
                group,
                traj,
                step,
                obs,
                reward,
                valid,
                won,
            },
        )
        .collect();
    let out = py.detach(|| compute_rows(rows, &est))?;
    Ok((
        out.step_return,
        out.episode_advantage,
        out.step_advantage,
        out.advantage,
    ))
}

/// Groups rows into a batch and computes; runs without the GIL.
pub fn compute_rows(rows: Vec<RowInput>, est: &Estimator) -> PyResult<Advantages> {
    let batch = Batch::from_rows(rows).map_err(|e| {
        // Python indexes rows from 0 (the binary's messages count file lines from 1).
        invalid(format!("row {}: field `{}`: {}", e.row, e.field, e.message))
    })?;
    compute(&batch, est).map_err(from_library)
}
