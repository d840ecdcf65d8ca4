//! The `proxmo` binary end to end: exit codes, `check`, `stages`, `graph`, and `run` on the
//! advantage pipeline with each `--set` switch doing what it says.

mod common;

use common::{proxmo, temp_dir, text};
use serde_json::Value as Json;
use std::path::Path;

#[test]
fn check_accepts_the_shipped_pipelines() {
    for file in [
        "pipelines/advantage.pipe",
        "pipelines/ablations.pipe",
        "pipelines/lib/credit.pipe",
        "pipelines/lib/envs.pipe",
        "pipelines/alfworld.pipe",
        "pipelines/webshop.pipe",
        "pipelines/textworld.pipe",
        "pipelines/train_alfworld.pipe",
        "pipelines/train_webshop.pipe",
        "pipelines/alfworld_lm.pipe",
        "pipelines/webshop_lm.pipe",
        "tests/pipes/good/derived.pipe",
    ] {
        let out = proxmo(&["check", file]);
        assert_eq!(out.status.code(), Some(0), "{file}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains("ok"), "{file}");
    }
}

#[test]
fn check_rejects_a_broken_file_with_exit_2() {
    let out = proxmo(&["check", "tests/pipes/bad/tau_zero.pipe"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("tests/pipes/bad/tau_zero.pipe:2:41"), "{err}");
    assert!(err.contains("^"), "{err}");
}

#[test]
fn check_resolved_prints_yaml_with_defaults_and_derivations() {
    let out = proxmo(&["check", "tests/pipes/good/derived.pipe", "--resolved"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let yaml: serde_yaml::Value = serde_yaml::from_slice(&out.stdout).expect("valid YAML");
    let pipeline = &yaml[0];
    assert_eq!(pipeline["name"].as_str(), Some("sharp_run"));
    assert_eq!(pipeline["settings"]["seed"].as_i64(), Some(42));
    let credit = &pipeline["stages"][1];
    assert_eq!(credit["kind"].as_str(), Some("advantage.proxmo"));
    let params = &credit["params"];
    assert_eq!(params["tau"].as_f64(), Some(0.01), "own value wins");
    assert_eq!(
        params["gamma"].as_f64(),
        Some(1.0),
        "inherited from `warm`, widened"
    );
    assert_eq!(params["psc"].as_bool(), Some(false));
    assert_eq!(
        params["profile"].as_str(),
        Some("paper"),
        "inherited from the library"
    );
    assert_eq!(params["omega"].as_f64(), Some(1.0), "schema default");
}

#[test]
fn set_on_a_base_stage_reaches_stages_derived_from_it() {
    let out = proxmo(&[
        "check",
        "tests/pipes/good/derived.pipe",
        "--resolved",
        "--set",
        "warm.omega=0.5",
        "--set",
        "seed=3",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let yaml: serde_yaml::Value = serde_yaml::from_slice(&out.stdout).unwrap();
    assert_eq!(yaml[0]["stages"][1]["params"]["omega"].as_f64(), Some(0.5));
    assert_eq!(yaml[0]["settings"]["seed"].as_i64(), Some(3));
}

#[test]
fn stages_lists_every_kind_with_defaults_ranges_and_docs() {
    let out = proxmo(&["stages"]);
    assert_eq!(out.status.code(), Some(0));
    let listing = text(&out.stdout);
    for kind in proxmo::kinds::schemas() {
        assert!(listing.contains(kind.kind), "{} missing", kind.kind);
        for p in &kind.params {
            assert!(
                listing.contains(p.doc),
                "{}.{} doc missing",
                kind.kind,
                p.name
            );
        }
    }
    assert!(
        listing.contains("tau") && listing.contains("default 0.1") && listing.contains("(0, +inf)")
    );
    let filtered = text(&proxmo(&["stages", "gigpo"]).stdout);
    assert!(filtered.contains("advantage.gigpo") && !filtered.contains("advantage.rloo"));
    assert_eq!(
        proxmo(&["stages", "nothing-like-this"]).status.code(),
        Some(2)
    );
}

#[test]
fn graph_shows_the_wiring_as_text_and_dot() {
    let out = proxmo(&["graph", "pipelines/advantage.pipe"]);
    assert_eq!(out.status.code(), Some(0));
    let g = text(&out.stdout);
    assert!(
        g.contains("source [source.jsonl]")
            && g.contains("-> credit [advantage.proxmo]")
            && g.contains("-> sink [sink.jsonl]"),
        "{g}"
    );
    let out = proxmo(&["graph", "pipelines/ablations.pipe", "--format", "dot"]);
    let dot = text(&out.stdout);
    assert!(dot.starts_with("digraph proxmo {") && dot.trim_end().ends_with('}'));
    assert_eq!(dot.matches("subgraph cluster_").count(), 6);
    assert_eq!(dot.matches(" -> ").count(), 12, "two edges per pipeline");
    let broken = proxmo(&["graph", "tests/pipes/bad/sink_before_advantage.pipe"]);
    assert_eq!(broken.status.code(), Some(2));
    assert!(text(&broken.stderr).contains("cannot follow"));
}

/// Runs the advantage pipeline on the shipped example rows with extra `--set`s; returns the
/// output rows.
fn run_advantage(name: &str, sets: &[&str]) -> Vec<serde_json::Map<String, Json>> {
    let out_path = temp_dir(name).join("out.jsonl");
    let sink = format!("sink.path={}", out_path.display());
    let mut args = vec!["run", "pipelines/advantage.pipe", "--quiet", "--set", &sink];
    for s in sets {
        args.push("--set");
        args.push(s);
    }
    let out = proxmo(&args);
    assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out.stderr));
    read_objects(&out_path)
}

fn read_objects(path: &Path) -> Vec<serde_json::Map<String, Json>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Json>(l)
                .unwrap()
                .as_object()
                .unwrap()
                .clone()
        })
        .collect()
}

fn column(rows: &[serde_json::Map<String, Json>], field: &str) -> Vec<f64> {
    rows.iter().map(|r| r[field].as_f64().unwrap()).collect()
}

fn differs(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).any(|(x, y)| (x - y).abs() > 1e-9)
}

#[test]
fn run_writes_every_row_with_advantages_in_input_order() {
    let rows = run_advantage("default", &[]);
    let input: Vec<Json> = std::fs::read_to_string("pipelines/data/example.jsonl")
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), input.len());
    for (row, original) in rows.iter().zip(&input) {
        for (k, v) in original.as_object().unwrap() {
            assert_eq!(&row[k], v, "field {k} kept");
        }
        for f in [
            "step_return",
            "episode_advantage",
            "step_advantage",
            "advantage",
        ] {
            assert!(row[f].as_f64().unwrap().is_finite());
        }
    }
}

#[test]
fn each_set_switch_does_what_it_says() {
    let base = run_advantage("base", &[]);
    let episode = column(&base, "episode_advantage");
    let step = column(&base, "step_advantage");
    let total = column(&base, "advantage");

    // psa = false: the step level falls back to exact-match clusters
    // (docs/estimators.md, section 4.2):
    // a row whose observation is unique in its group has no peers, so a zero step advantage.
    let no_psa = run_advantage("no_psa", &["credit.psa=false"]);
    assert_eq!(column(&no_psa, "episode_advantage"), episode);
    assert!(differs(&column(&no_psa, "step_advantage"), &step));
    let mut counts = std::collections::HashMap::new();
    for r in &no_psa {
        *counts
            .entry((r["group"].to_string(), r["obs"].to_string()))
            .or_insert(0) += 1;
    }
    for r in &no_psa {
        if counts[&(r["group"].to_string(), r["obs"].to_string())] == 1 {
            assert_eq!(r["step_advantage"].as_f64(), Some(0.0), "singleton {r:?}");
        }
    }

    // psc = false: the episode level is plain GRPO; the step level is unchanged.
    let no_psc = run_advantage("no_psc", &["credit.psc=false"]);
    assert_eq!(column(&no_psc, "step_advantage"), step);
    let grpo_out = temp_dir("grpo").join("grpo.jsonl");
    let grpo = proxmo(&[
        "run",
        "pipelines/ablations.pipe",
        "--pipeline",
        "grpo",
        "--quiet",
        "--set",
        &format!("out_grpo.path={}", grpo_out.display()),
    ]);
    assert_eq!(grpo.status.code(), Some(0), "{}", text(&grpo.stderr));
    let grpo_rows = read_objects(&grpo_out);
    let grpo_episode = column(&grpo_rows, "episode_advantage");
    for (a, b) in column(&no_psc, "episode_advantage")
        .iter()
        .zip(&grpo_episode)
    {
        assert!((a - b).abs() < 1e-12, "psc=false episode {a} vs GRPO {b}");
    }
    assert!(
        differs(&episode, &grpo_episode),
        "PSC changes the episode level"
    );

    // tau and align change only the step level.
    for set in ["credit.tau=0.5", "credit.align=step"] {
        let rows = run_advantage(set, &[set]);
        assert_eq!(column(&rows, "episode_advantage"), episode, "{set}");
        assert!(
            differs(&column(&rows, "step_advantage"), &step),
            "{set} changes step advantages"
        );
    }

    // The reference profile changes the episode level (no std division, other beta).
    let reference = run_advantage("reference", &["credit.profile=reference"]);
    assert!(differs(&column(&reference, "episode_advantage"), &episode));
    assert!(differs(&column(&reference, "advantage"), &total));
}

#[test]
fn bad_rows_exit_2_and_write_nothing() {
    let dir = temp_dir("badrows");
    let input = dir.join("in.jsonl");
    std::fs::write(&input, "{\"group\": \"g\", \"traj\": \"a\", \"step\": 0, \"obs\": \"x\", \"reward\": 1}\n{\"group\": \"g\"\n").unwrap();
    let output = dir.join("out.jsonl");
    let out = proxmo(&[
        "run",
        "pipelines/advantage.pipe",
        "--set",
        &format!("source.path={}", input.display()),
        "--set",
        &format!("sink.path={}", output.display()),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains(":2:"), "{}", text(&out.stderr));
    assert!(!Path::new(&output).exists());
}

#[test]
fn an_output_in_a_missing_directory_is_refused_before_running() {
    for command in ["check", "run"] {
        let out = proxmo(&[
            command,
            "pipelines/advantage.pipe",
            "--set",
            "sink.path=/proc/no-such-dir/out.jsonl",
        ]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("--set:1:") && err.contains("does not exist"),
            "{err}"
        );
    }
}

#[test]
fn an_unwritable_output_is_a_runtime_failure() {
    // The directory exists, so the plan accepts it; creating a file there fails.
    let out = proxmo(&[
        "run",
        "pipelines/advantage.pipe",
        "--set",
        "sink.path=/proc/out.jsonl",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

#[test]
fn run_reports_progress_unless_quiet() {
    let out_path = temp_dir("progress").join("out.jsonl");
    let out = proxmo(&[
        "run",
        "pipelines/advantage.pipe",
        "--set",
        &format!("sink.path={}", out_path.display()),
    ]);
    let err = text(&out.stderr);
    assert!(
        err.contains("50 rows") && err.contains("singleton share") && err.contains("done:"),
        "{err}"
    );
}
