//! Advantages from a trainer's own per-row numbers (verl-agent's inputs): a row score (the
//! episode outcome minus the row's invalid-action penalty) and a step return (already
//! discounted and penalised), instead of raw step rewards.
//!
//! The library computes both from step rewards, so each row becomes a one-step trajectory of
//! its group: its outcome, and its return, is then exactly the reward it is given. One pass
//! with the scores gives the episode level, one with the returns the step level. That equals
//! the `reference` profile on the original trajectories, whose statistics are over the
//! group's rows, never its trajectories (README, "Estimators and profiles").

use crate::advantages::compute_rows;
use crate::columns;
use crate::errors::invalid;
use crate::params::{self, Given};
use proxmo::advantage::estimator::{Estimator, StepRule};
use proxmo::advantage::tfidf::contested_cut;
use proxmo::batch::RowInput;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Episode advantages, step advantages and their sum `episode + omega * step`, per row.
type Parts = (Vec<f64>, Vec<f64>, Vec<f64>);

/// `kind`'s estimator on the rows' scores and returns. `psc_from`, when given, is a set of
/// `advantage.proxmo` parameters whose PSC replaces the estimator's (the released code runs
/// GiGPO's step level under ProxMO's episode modulation). `vocabulary`, when given, is the
/// set of terms the soft baseline's TF-IDF keeps (see `tfidf_contested_cut`).
#[pyfunction]
#[pyo3(signature = (score, step_return, obs, group, kind, params=None, psc_from=None, vocabulary=None))]
#[allow(clippy::too_many_arguments)]
pub fn trainer_advantages(
    py: Python<'_>,
    score: &Bound<'_, PyAny>,
    step_return: &Bound<'_, PyAny>,
    obs: &Bound<'_, PyAny>,
    group: &Bound<'_, PyAny>,
    kind: &str,
    params: Option<&Bound<'_, PyDict>>,
    psc_from: Option<&Bound<'_, PyDict>>,
    vocabulary: Option<Vec<String>>,
) -> PyResult<Parts> {
    let kind = params::estimator_kind(kind)?;
    let mut est = params::estimator(&kind, &given_reference(params)?)?;
    if let Some(psc) = psc_from {
        est.psc = params::estimator("advantage.proxmo", &given_reference(Some(psc))?)?.psc;
    }
    if let (Some(terms), StepRule::SoftBaseline { vocabulary, .. }) = (vocabulary, &mut est.step) {
        *vocabulary = Some(terms.into());
    }
    let group = columns::ids("index", group, None)?;
    let n = Some(group.len());
    let score = columns::floats("token_level_rewards", score, n)?;
    let step_return = columns::floats("step_rewards", step_return, n)?;
    let obs = columns::texts("anchor_obs", obs, n)?;
    // Each pass computes only the level it is read for: the step level of the scores (a
    // TF-IDF fit and a kernel under soft grouping) would be thrown away.
    let episode_only = Estimator {
        step: StepRule::None,
        ..est.clone()
    };
    py.detach(|| {
        let episode = compute_rows(one_step_rows(&group, &obs, &score), &episode_only)?;
        let step = compute_rows(one_step_rows(&group, &obs, &step_return), &est)?;
        // The combination of the two levels, as `advantage::compute` forms it.
        let total: Vec<f64> = episode
            .episode_advantage
            .iter()
            .zip(&step.step_advantage)
            .map(|(e, s)| e + est.omega * s)
            .collect();
        if let Some(r) = total.iter().position(|a| !a.is_finite()) {
            return Err(invalid(format!(
                "row {r}: the advantage overflowed to {}: scores and returns are too large to combine; rescale them",
                total[r]
            )));
        }
        Ok((episode.episode_advantage, step.step_advantage, total))
    })
}

/// Every term of `obs` (alphabetical) with its corpus frequency, when the `max_features`
/// cut of the TF-IDF vocabulary falls inside a run of equally frequent terms, so that which
/// are kept depends on how the tie is ranked; `None` otherwise. scikit-learn ranks with
/// numpy's default (unstable) sort, which the caller then runs on these frequencies.
#[pyfunction]
pub fn tfidf_contested_cut(
    py: Python<'_>,
    obs: &Bound<'_, PyAny>,
    max_features: usize,
) -> PyResult<Option<(Vec<String>, Vec<u64>)>> {
    let obs = columns::texts("anchor_obs", obs, None)?;
    Ok(py.detach(|| {
        let docs: Vec<&str> = obs.iter().map(|s| s.as_str()).collect();
        contested_cut(&docs, max_features)
    }))
}

/// The caller's parameters under the reference profile, with no penalty of proxmo's own:
/// the trainer's scores and returns already carry it.
fn given_reference(params: Option<&Bound<'_, PyDict>>) -> PyResult<Given> {
    let mut given = vec![
        params::text("profile", "reference"),
        params::float("invalid_penalty", 0.0),
    ];
    given.extend(params::given(params)?);
    Ok(given)
}

/// Row `i` as trajectory `i` of its group, with one step whose reward is `reward[i]`.
fn one_step_rows(group: &[String], obs: &[String], reward: &[f64]) -> Vec<RowInput> {
    (0..group.len())
        .map(|i| RowInput {
            group: group[i].clone(),
            traj: i.to_string(),
            step: 0,
            obs: obs[i].clone(),
            reward: reward[i],
            valid: true,
            won: None,
        })
        .collect()
}
