//! The Python helper trainers call (`python/examples/proxmo_advantages.py`) returns exactly what the
//! binary writes, and surfaces proxmo's own error messages.

use std::process::Command;

fn python(code: &str) -> std::process::Output {
    Command::new("python3")
        .args(["-c", code])
        .env("PYTHONPATH", "python/examples")
        .env("PROXMO", env!("CARGO_BIN_EXE_proxmo"))
        .output()
        .expect("python3 runs")
}

#[test]
fn python_helper_matches_the_binary() {
    let out = python(
        r#"
import json
from proxmo_advantages import proxmo_advantages, proxmo_rows
rows = [json.loads(l) for l in open("pipelines/data/example.jsonl")]
adv = proxmo_advantages(rows, sets=["credit.tau=0.5"])
full = proxmo_rows(rows, sets=["credit.tau=0.5"])
assert len(adv) == len(rows) == len(full)
assert [r["advantage"] for r in full] == adv
assert all(r["traj"] == f["traj"] and r["step"] == f["step"] for r, f in zip(rows, full))
print(json.dumps(adv))
"#,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let from_python: Vec<f64> = serde_json::from_slice(&out.stdout).unwrap();

    let dir = std::env::temp_dir().join(format!("proxmo-py-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sink = dir.join("out.jsonl");
    let status = Command::new(env!("CARGO_BIN_EXE_proxmo"))
        .args([
            "run",
            "pipelines/advantage.pipe",
            "--quiet",
            "--set",
            "credit.tau=0.5",
        ])
        .args(["--set", &format!("sink.path={}", sink.display())])
        .status()
        .unwrap();
    assert!(status.success());
    let from_binary: Vec<f64> = std::fs::read_to_string(&sink)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["advantage"]
                .as_f64()
                .unwrap()
        })
        .collect();
    assert_eq!(from_python, from_binary);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn python_helper_raises_proxmos_message() {
    let out = python(
        r#"
from proxmo_advantages import proxmo_advantages, ProxmoError
try:
    proxmo_advantages([{"group": "g", "traj": "a", "step": 0, "obs": "x", "reward": float("nan")}])
except ProxmoError as e:
    print(e)
else:
    raise SystemExit("accepted a NaN reward")
"#,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let message = String::from_utf8_lossy(&out.stdout);
    assert!(
        message.contains("row 0") && message.contains("`reward`"),
        "{message}"
    );
}

#[test]
fn a_nan_written_by_python_is_named_by_the_binary() {
    let dir = std::env::temp_dir().join(format!("proxmo-nan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("in.jsonl");
    std::fs::write(
        &input,
        "{\"group\": \"g\", \"traj\": \"a\", \"step\": 0, \"obs\": \"x\", \"reward\": NaN}\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_proxmo"))
        .args([
            "run",
            "pipelines/advantage.pipe",
            "--set",
            &format!("source.path={}", input.display()),
        ])
        .args([
            "--set",
            &format!("sink.path={}", dir.join("out.jsonl").display()),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("in.jsonl:1:") && err.contains("NaN and Infinity are not JSON"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
