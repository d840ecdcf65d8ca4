//! The advantage pipeline's JSON-lines input: every kind of bad input is refused with a
//! message naming the line and the field; good input round-trips.

mod common;

use proxmo::advantage::compute;
use proxmo::data::jsonl::{read_rows, write_rows};
use proxmo::data::InvalidInput;
use proxmo::kinds::advantage::estimator;
use proxmo::kinds::params_with_defaults;
use std::path::PathBuf;

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("proxmo-jsonl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const GOOD: &str = r#"{"group": "g", "traj": "a", "step": 0, "obs": "room one", "reward": 0}"#;

fn refused(name: &str, text: &str) -> String {
    let path = temp_file(name, text);
    let err = read_rows(&path)
        .err()
        .unwrap_or_else(|| panic!("{name} was accepted"));
    assert!(
        err.downcast_ref::<InvalidInput>().is_some(),
        "{name}: {err}"
    );
    err.to_string()
}

#[test]
fn bad_inputs_name_line_and_field() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("empty", "", &["empty"]),
        ("blank", "\n  \n", &["empty"]),
        (
            "malformed",
            &format!("{GOOD}\n{{\"group\": \"g\",\n"),
            &[":2:", "invalid JSON"],
        ),
        ("not_object", "[1, 2]\n", &[":1:", "JSON object"]),
        (
            "missing_obs",
            r#"{"group": "g", "traj": "a", "step": 0, "reward": 1}"#,
            &[":1:", "`obs`", "missing"],
        ),
        (
            "missing_reward",
            r#"{"group": "g", "traj": "a", "step": 0, "obs": "x"}"#,
            &["`reward`"],
        ),
        (
            "group_number",
            r#"{"group": 3, "traj": "a", "step": 0, "obs": "x", "reward": 1}"#,
            &["`group`", "string"],
        ),
        (
            "step_negative",
            r#"{"group": "g", "traj": "a", "step": -1, "obs": "x", "reward": 1}"#,
            &["`step`"],
        ),
        (
            "step_float",
            r#"{"group": "g", "traj": "a", "step": 1.5, "obs": "x", "reward": 1}"#,
            &["`step`"],
        ),
        (
            "reward_string",
            r#"{"group": "g", "traj": "a", "step": 0, "obs": "x", "reward": "NaN"}"#,
            &["`reward`", "finite"],
        ),
        (
            "reward_nan_token",
            r#"{"group": "g", "traj": "a", "step": 0, "obs": "x", "reward": NaN}"#,
            &[":1:", "invalid JSON"],
        ),
        (
            "reward_overflow",
            r#"{"group": "g", "traj": "a", "step": 0, "obs": "x", "reward": 1e999}"#,
            &[":1:"],
        ),
        (
            "valid_string",
            r#"{"group": "g", "traj": "a", "step": 0, "obs": "x", "reward": 1, "valid": "yes"}"#,
            &["`valid`"],
        ),
        (
            "won_number",
            r#"{"group": "g", "traj": "a", "step": 0, "obs": "x", "reward": 1, "won": 1}"#,
            &["`won`"],
        ),
        (
            "duplicate_step",
            &format!("{GOOD}\n{GOOD}\n"),
            &[":2:", "`step`", "already has step 0"],
        ),
        (
            "two_groups",
            &format!(
                "{GOOD}\n{}\n",
                r#"{"group": "h", "traj": "a", "step": 1, "obs": "x", "reward": 0}"#
            ),
            &[":2:", "`group`", "one group"],
        ),
    ];
    for (name, text, expected) in cases {
        let message = refused(name, text);
        for piece in *expected {
            assert!(
                message.contains(piece),
                "{name}: {message:?} lacks {piece:?}"
            );
        }
    }
}

#[test]
fn missing_file_is_invalid_input() {
    let err = read_rows(&PathBuf::from("/nonexistent/rows.jsonl"))
        .err()
        .unwrap();
    assert!(err.downcast_ref::<InvalidInput>().is_some());
    assert!(err.to_string().contains("/nonexistent/rows.jsonl"));
}

#[test]
fn output_keeps_input_order_and_fields() {
    let text = concat!(
        r#"{"group": "g", "traj": "b", "step": 1, "obs": "hall", "reward": 10, "extra": [1]}"#,
        "\n",
        "\n",
        r#"{"group": "g", "traj": "a", "step": 0, "obs": "room one", "reward": 0, "valid": false}"#,
        "\n",
        r#"{"group": "g", "traj": "b", "step": 0, "obs": "room one", "reward": 0}"#,
        "\n",
    );
    let input = temp_file("order.jsonl", text);
    let rows = read_rows(&input).unwrap();
    assert_eq!(rows.lines, vec![1, 3, 4]);
    let params = params_with_defaults("advantage.proxmo", &[]).unwrap();
    let est = estimator("advantage.proxmo", &params).unwrap();
    let adv = compute(&rows.batch, &est).unwrap();
    let output = input.with_file_name("order.out.jsonl");
    write_rows(&output, &rows, &adv).unwrap();
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&output)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["traj"], "b");
    assert_eq!(lines[0]["extra"], serde_json::json!([1]));
    assert_eq!(lines[1]["valid"], false);
    for (i, line) in lines.iter().enumerate() {
        let sum =
            line["episode_advantage"].as_f64().unwrap() + line["step_advantage"].as_f64().unwrap();
        assert!(
            (line["advantage"].as_f64().unwrap() - sum).abs() < 1e-12,
            "line {i}"
        );
    }
    // b's step 0 return: 0 + 0.95 * 10.
    assert!((lines[2]["step_return"].as_f64().unwrap() - 9.5).abs() < 1e-12);
    // a's only step is invalid: its return carries the penalty.
    assert!((lines[1]["step_return"].as_f64().unwrap() + 0.1).abs() < 1e-12);
}

/// Random edits of the shipped rows go through reading and the estimator without a panic:
/// each either computes finite advantages or is refused as invalid input.
#[test]
fn mutated_rows_never_panic() {
    let original = std::fs::read_to_string("pipelines/data/example.jsonl").unwrap();
    let alphabet: Vec<char> = "{}[]\":,0123456789.-eE truefalsnul\\\n".chars().collect();
    let params = params_with_defaults("advantage.proxmo", &[]).unwrap();
    let estimator = estimator("advantage.proxmo", &params).unwrap();
    let mut rng = proxmo::rng::Rng::new(11);
    let (mut accepted, mut refused) = (0, 0);
    for i in 0..300 {
        let mutant = common::mutate(&original, &alphabet, 3, &mut rng);
        let path = temp_file(&format!("mutant{i}.jsonl"), &mutant);
        match read_rows(&path) {
            Ok(rows) => match compute(&rows.batch, &estimator) {
                Ok(adv) => {
                    assert!(adv.advantage.iter().all(|a| a.is_finite()));
                    accepted += 1;
                }
                // A reward like 9e307 overflows the returns: refused, not a panic.
                Err(e) => {
                    assert!(e.downcast_ref::<InvalidInput>().is_some(), "{e}");
                    refused += 1;
                }
            },
            Err(e) => {
                assert!(e.downcast_ref::<InvalidInput>().is_some(), "{e}");
                refused += 1;
            }
        }
    }
    assert!(
        accepted > 0 && refused > 0,
        "{accepted} accepted, {refused} refused"
    );
}
