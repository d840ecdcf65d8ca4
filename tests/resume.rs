//! `--resume`: a training run killed with SIGKILL at any moment and resumed ends with the
//! same rows (byte for byte) and the same metrics (timings aside) as an uninterrupted run.

use proxmo::metrics::is_timing_field;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A working directory with the training pipeline of `pipelines/train_alfworld.pipe`, 10
/// batches, writing rows and metrics, checkpointed.
fn setup(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("proxmo-resume-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let pipe = format!(
        r#"import "{}"
stage rows    = sink.jsonl {{ path = "rows.jsonl" }}
stage metrics = sink.metrics {{ path = "metrics.jsonl" }}
pipeline resumable {{
    env -> rollout -> proxmo_paper -> learn -> rows -> metrics
    iterations = 10
    eval_every = 5
    eval_split = "valid_unseen"
    checkpoint = "ckpt"
}}
"#,
        repo().join("pipelines/train_alfworld.pipe").display()
    );
    std::fs::write(dir.join("run.pipe"), pipe).unwrap();
    dir
}

fn command(dir: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_proxmo"));
    c.args(["run", "run.pipe", "--pipeline", "resumable", "--quiet"])
        .args(extra)
        .current_dir(dir);
    c
}

fn run(dir: &Path, extra: &[&str]) -> Output {
    command(dir, extra).output().unwrap()
}

/// Metrics lines without their wall-clock fields (an evaluation's included).
fn metrics_without_timings(dir: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("metrics.jsonl")).unwrap();
    text.lines()
        .map(|line| {
            let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
            v.as_object_mut()
                .unwrap()
                .retain(|key, _| !is_timing_field(key));
            v
        })
        .collect()
}

/// Starts the run and kills it with SIGKILL after `millis`; true if it was still running.
fn kill_after(dir: &Path, extra: &[&str], millis: u64) -> bool {
    let mut child = command(dir, extra).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(millis));
    let running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    running
}

#[test]
fn killed_runs_resume_to_the_same_rows_and_metrics() {
    let reference = setup("reference");
    let out = run(&reference, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = std::fs::read(reference.join("rows.jsonl")).unwrap();
    let metrics = metrics_without_timings(&reference);
    assert_eq!(metrics.len(), 10);
    assert!(metrics[4].get("eval_success_rate").is_some());

    let mut interrupted = 0;
    for (i, kills) in [vec![150], vec![600], vec![1200], vec![300, 700]]
        .into_iter()
        .enumerate()
    {
        let dir = setup(&format!("killed{i}"));
        for (k, millis) in kills.iter().enumerate() {
            let extra: &[&str] = if k == 0 { &[] } else { &["--resume"] };
            interrupted += usize::from(kill_after(&dir, extra, *millis));
        }
        let out = run(&dir, &["--resume"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            std::fs::read(dir.join("rows.jsonl")).unwrap(),
            rows,
            "case {i}: rows differ from the uninterrupted run"
        );
        assert_eq!(
            metrics_without_timings(&dir),
            metrics,
            "case {i}: metrics differ"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        interrupted >= 3,
        "only {interrupted} kills hit a running process"
    );

    // Resuming a finished run says so and changes nothing.
    let again = Command::new(env!("CARGO_BIN_EXE_proxmo"))
        .args(["run", "run.pipe", "--pipeline", "resumable", "--resume"])
        .current_dir(&reference)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already finished"));
    assert_eq!(std::fs::read(reference.join("rows.jsonl")).unwrap(), rows);

    // Resuming with other parameters is refused, naming what changed.
    let changed = run(&reference, &["--resume", "--set", "proxmo_paper.tau=0.5"]);
    let err = String::from_utf8_lossy(&changed.stderr);
    assert_eq!(changed.status.code(), Some(2), "{err}");
    assert!(err.contains("proxmo_paper.tau: 0.1 -> 0.5"), "{err}");
    let _ = std::fs::remove_dir_all(&reference);
}

#[test]
fn resuming_with_fewer_iterations_than_are_done_is_refused() {
    let dir = setup("fewer");
    let out = run(&dir, &["--set", "iterations=3", "--set", "eval_every=0"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before = std::fs::read(dir.join("metrics.jsonl")).unwrap();
    let out = run(
        &dir,
        &["--set", "iterations=2", "--set", "eval_every=0", "--resume"],
    );
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("iterations >= 3"), "{text}");
    // Nothing already written is touched.
    assert_eq!(std::fs::read(dir.join("metrics.jsonl")).unwrap(), before);
    // The same count is "already finished"; more continues.
    let out = run(
        &dir,
        &["--set", "iterations=3", "--set", "eval_every=0", "--resume"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts a long run in `dir`, waits until `started` says it holds its outputs, runs a second
/// identical one, then kills the first. Returns the second's output and the first's pid.
fn second_run_beside_a_first(dir: &Path, started: impl Fn() -> bool) -> (Output, u32) {
    let long = ["--set", "iterations=100000", "--set", "eval_every=0"];
    let mut first = command(dir, &long).spawn().unwrap();
    while !started() {
        assert!(
            first.try_wait().unwrap().is_none(),
            "the first run ended early"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = run(dir, &long);
    let _ = first.kill();
    let _ = first.wait();
    (out, first.id())
}

#[test]
fn a_second_run_on_the_same_checkpoint_is_refused_while_the_first_runs() {
    let dir = setup("locked");
    let lock = dir.join("ckpt/lock");
    let (out, first) = second_run_beside_a_first(&dir, || {
        std::fs::read_to_string(&lock).is_ok_and(|pid| !pid.is_empty())
    });
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("another proxmo run") && text.contains(&format!("process {first}")),
        "{text}"
    );
    // Once the first is gone (killed), the checkpoint is free again: the lock died with it
    // (this resume then ends at once: done, or refused for asking fewer batches than done).
    let out = run(
        &dir,
        &["--set", "iterations=1", "--set", "eval_every=0", "--resume"],
    );
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!text.contains("another proxmo run"), "{text}");
}

#[test]
fn a_second_run_on_the_same_metrics_file_is_refused_without_a_checkpoint() {
    let dir = setup("unlocked-outputs");
    let pipe = std::fs::read_to_string(dir.join("run.pipe")).unwrap();
    std::fs::write(
        dir.join("run.pipe"),
        pipe.replace("    checkpoint = \"ckpt\"\n", ""),
    )
    .unwrap();
    let metrics = dir.join("metrics.jsonl");
    let (out, _) = second_run_beside_a_first(&dir, || {
        std::fs::metadata(&metrics).is_ok_and(|m| m.len() > 0)
    });
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("being written by another proxmo run"),
        "{text}"
    );
    // The first run's lines are intact: neither emptied nor interleaved by the second.
    let iterations: Vec<u64> = metrics_without_timings(&dir)
        .iter()
        .map(|line| line["iteration"].as_u64().unwrap())
        .collect();
    assert!(!iterations.is_empty());
    assert!(
        iterations.windows(2).all(|w| w[1] == w[0] + 1),
        "{iterations:?}"
    );
}

#[test]
fn a_finished_run_with_a_rows_sink_extends_to_the_uninterrupted_runs_rows() {
    let whole = setup("extend-whole");
    let out = run(&whole, &["--set", "iterations=5", "--set", "eval_every=0"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let extended = setup("extend-split");
    let out = run(
        &extended,
        &["--set", "iterations=3", "--set", "eval_every=0"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        &extended,
        &["--set", "iterations=5", "--set", "eval_every=0", "--resume"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(extended.join("rows.jsonl")).unwrap(),
        std::fs::read(whole.join("rows.jsonl")).unwrap()
    );
    assert_eq!(
        metrics_without_timings(&extended),
        metrics_without_timings(&whole)
    );
}

#[test]
fn a_policy_state_changed_after_the_checkpoint_is_refused_on_resume() {
    let dir = setup("corrupt");
    let out = run(&dir, &["--set", "iterations=3", "--set", "eval_every=0"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let state = std::fs::read_dir(dir.join("ckpt"))
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("state-"))
        .expect("a policy state directory")
        .path();
    let weights = std::fs::read_dir(&state)
        .unwrap()
        .flatten()
        .max_by_key(|e| e.metadata().unwrap().len())
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&weights).unwrap();
    let mid = bytes.len() / 2;
    // Four bytes of one weight: still a finite number, so only a digest can tell.
    bytes[mid..mid + 4].copy_from_slice(&[0x12, 0x34, 0x56, 0x78]);
    std::fs::write(&weights, bytes).unwrap();
    let out = run(
        &dir,
        &["--set", "iterations=5", "--set", "eval_every=0", "--resume"],
    );
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("changed after the checkpoint was written"),
        "{text}"
    );
}
