//! The hand-checked vectors of docs/estimators.md (section 10), kept as tests.

use proxmo::advantage::psc::Psc;
use proxmo::advantage::{compute, Estimator};
use proxmo::batch::{Batch, RowInput};
use proxmo::kinds::advantage::estimator as build_estimator;
use proxmo::kinds::params_with_defaults;
use proxmo::stage::Value;

fn row(group: &str, traj: &str, step: u32, obs: &str, reward: f64) -> RowInput {
    RowInput {
        group: group.into(),
        traj: traj.into(),
        step,
        obs: obs.into(),
        reward,
        valid: true,
        won: None,
    }
}

fn estimator(kind: &str, overrides: &[(&str, Value)]) -> Estimator {
    let params = params_with_defaults(kind, overrides).unwrap();
    build_estimator(kind, &params).unwrap()
}

fn assert_close(actual: &[f64], expected: &[f64], tol: f64) {
    assert_eq!(actual.len(), expected.len());
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= tol,
            "index {i}: {a} != {e} (tol {tol})\n{actual:?}"
        );
    }
}

#[test]
fn psc_weight_table() {
    let psc = Psc {
        alpha: 4.0,
        beta: 0.1,
    };
    let table = [
        (0.125, 1.01425, 0.99999),
        (0.25, 1.00784, 0.99990),
        (0.5, 1.00156, 0.99844),
        (0.75, 1.00010, 0.99216),
        (0.875, 1.00001, 0.98575),
    ];
    for (p, success, failure) in table {
        assert!((psc.weight(p, true) - success).abs() < 5e-6, "p = {p}");
        assert!((psc.weight(p, false) - failure).abs() < 5e-6, "p = {p}");
    }
}

#[test]
fn reference_beta_is_derived_from_the_target_range() {
    assert!((Psc::reference_beta() - 0.2164).abs() < 1e-4);
}

/// docs/estimators.md, section 10: A = [s0, s1, s2] rewards [0, 0, 10];
/// B = [s0, s3] rewards [0, 0].
fn two_trajectory_batch() -> Batch {
    Batch::from_rows(vec![
        row("g", "A", 0, "s0", 0.0),
        row("g", "A", 1, "s1", 0.0),
        row("g", "A", 2, "s2", 10.0),
        row("g", "B", 0, "s0", 0.0),
        row("g", "B", 1, "s3", 0.0),
    ])
    .unwrap()
}

#[test]
fn gigpo_reference_vectors() {
    let cases: [(&str, [f64; 5], f64); 2] = [
        ("mean_norm", [8.5125, 4.0, 4.0, -10.5125, -6.0], 1e-9),
        (
            "mean_std_norm",
            [1.437403, 0.730297, 0.730297, -1.802552, -1.095445],
            1e-6,
        ),
    ];
    for (norm, expected, tol) in cases {
        let est = estimator(
            "advantage.gigpo",
            &[
                ("profile", Value::Str("reference".into())),
                ("norm", Value::Str(norm.into())),
            ],
        );
        let adv = compute(&two_trajectory_batch(), &est).unwrap();
        assert_close(&adv.step_return, &[9.025, 9.5, 10.0, 0.0, 0.0], 1e-12);
        assert_close(&adv.advantage, &expected, tol);
    }
}

#[test]
fn paper_profile_puts_the_penalty_after_normalising() {
    // Every trajectory fails: zero spread, so the episode advantage is exactly the penalty.
    let mut rows = vec![
        row("g", "A", 0, "x", 0.0),
        row("g", "A", 1, "y", 0.0),
        row("g", "B", 0, "x", 0.0),
    ];
    rows[1].valid = false;
    let batch = Batch::from_rows(rows).unwrap();
    let est = estimator("advantage.grpo", &[]);
    let adv = compute(&batch, &est).unwrap();
    assert_close(&adv.episode_advantage, &[0.0, -0.1, 0.0], 1e-12);
    // ... and the step return of the offending row only.
    assert_close(&adv.step_return, &[0.0, -0.1, 0.0], 1e-12);
}

#[test]
fn rloo_is_outcome_minus_leave_one_out_mean() {
    let batch = Batch::from_rows(vec![
        row("g", "A", 0, "x", 1.0),
        row("g", "B", 0, "x", 0.0),
        row("g", "C", 0, "x", 0.0),
        row("g", "D", 0, "x", 3.0),
    ])
    .unwrap();
    let adv = compute(&batch, &estimator("advantage.rloo", &[])).unwrap();
    // A: 1 - (0 + 0 + 3) / 3 = 0; B: 0 - 4/3; D: 3 - 1/3
    assert_close(
        &adv.episode_advantage,
        &[0.0, -4.0 / 3.0, -4.0 / 3.0, 3.0 - 1.0 / 3.0],
        1e-12,
    );
}

#[test]
fn proxmo_paper_episode_level_is_psc_weighted_z_score() {
    // One success out of four: p = 0.25, population std.
    let batch = Batch::from_rows(vec![
        row("g", "A", 0, "a room", 10.0),
        row("g", "B", 0, "a room", 0.0),
        row("g", "C", 0, "a room", 0.0),
        row("g", "D", 0, "a room", 0.0),
    ])
    .unwrap();
    let adv = compute(&batch, &estimator("advantage.proxmo", &[])).unwrap();
    let (mean, std) = (2.5, (75.0f64 / 4.0).sqrt());
    let z_win = (10.0 - mean) / (std + 1e-6);
    let z_fail = (0.0 - mean) / (std + 1e-6);
    let psc = Psc {
        alpha: 4.0,
        beta: 0.1,
    };
    assert_close(
        &adv.episode_advantage,
        &[
            psc.weight(0.25, true) * z_win,
            psc.weight(0.25, false) * z_fail,
            psc.weight(0.25, false) * z_fail,
            psc.weight(0.25, false) * z_fail,
        ],
        1e-12,
    );
    // All observations identical: the soft baseline is the plain mean of returns.
    // ("a" is no token: scikit-learn's pattern needs two word characters.)
    assert_close(&adv.step_advantage, &[7.5, -2.5, -2.5, -2.5], 1e-9);
}

#[test]
fn soft_baseline_prefers_similar_states() {
    // Two rows see "red door", two see "blue window": with a small tau, each row's baseline
    // is (almost) the mean of its look-alikes.
    let batch = Batch::from_rows(vec![
        row("g", "A", 0, "red door", 10.0),
        row("g", "B", 0, "red door", 0.0),
        row("g", "C", 0, "blue window", 10.0),
        row("g", "D", 0, "blue window", 10.0),
    ])
    .unwrap();
    let est = estimator("advantage.proxmo", &[("tau", Value::Float(0.01))]);
    let adv = compute(&batch, &est).unwrap();
    assert_close(&adv.step_advantage, &[5.0, -5.0, 0.0, 0.0], 1e-9);
}

#[test]
fn observations_without_tokens_give_zero_step_advantage() {
    let batch =
        Batch::from_rows(vec![row("g", "A", 0, "x", 10.0), row("g", "B", 0, "", 0.0)]).unwrap();
    let adv = compute(&batch, &estimator("advantage.proxmo", &[])).unwrap();
    assert_close(&adv.step_advantage, &[0.0, 0.0], 0.0);
}
