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
