//! Work that cannot fit is refused before it starts, or announced: batches over
//! `max_batch_rows`, endless iteration counts, quadratic step levels on huge groups; and a
//! plot never replaces its own input.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn proxmo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_proxmo"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("proxmo-limits-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_batch_too_large_is_refused_by_check_unless_allowed() {
    let sets = [
        "--set",
        "rollout.tasks=100000",
        "--set",
        "env.group_size=1024",
    ];
    for command in ["check", "run"] {
        let mut args = vec![command, "pipelines/alfworld.pipe"];
        args.extend(sets);
        let out = proxmo(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("max_batch_rows") && err.contains("--set:1:"),
            "{err}"
        );
    }
    // Raised on purpose, the same batch passes the check.
    let mut args = vec![
        "check",
        "pipelines/alfworld.pipe",
        "--set",
        "max_batch_rows=10000000000",
    ];
    args.extend(sets);
    assert_eq!(proxmo(&args).status.code(), Some(0));
}

#[test]
fn an_endless_iteration_count_is_refused() {
    let out = proxmo(&[
        "check",
        "pipelines/alfworld.pipe",
        "--set",
        "iterations=9000000000000000000",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("iterations"), "{err}");
}

/// One group of `n` one-step trajectories with distinct observations.
fn one_big_group(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{{\"group\":\"g\",\"traj\":\"t{i}\",\"step\":0,\"obs\":\"room {i} with a {} on shelf {}\",\"reward\":{},\"won\":{}}}\n",
                ["mug", "apple", "key", "book"][i % 4],
                i % 97,
                i % 2,
                i % 2 == 1
            )
        })
        .collect()
}

#[test]
fn a_quadratic_step_level_is_announced_before_it_starts() {
    let dir = scratch("cost");
    let rows = dir.join("rows.jsonl");
    std::fs::write(&rows, one_big_group(3000)).unwrap();
    let pipe = dir.join("p.pipe");
    std::fs::write(
        &pipe,
        format!(
            "stage rows = source.jsonl {{ path = \"{}\" }}\n\
             stage credit = advantage.gigpo {{ matching = \"similar\" }}\n\
             pipeline p {{ rows -> credit }}\n",
            rows.display()
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_proxmo"))
        .args(["run", pipe.to_str().unwrap()])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let started = Instant::now();
    let mut announced = None;
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if line.contains("pairs of rows") {
            announced = Some(line);
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let line = announced.expect("the estimate is printed before the computation");
    assert!(line.contains("4498500 pairs"), "{line}");
    assert!(line.contains("estimated"), "{line}");
}

#[test]
fn a_plot_never_replaces_its_input() {
    let dir = scratch("plot");
    let metrics = dir.join("m.metrics.jsonl");
    let text = "{\"iteration\":0,\"success_rate\":0.5}\n";
    std::fs::write(&metrics, text).unwrap();
    let out = proxmo(&[
        "plot",
        metrics.to_str().unwrap(),
        "--out",
        metrics.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("its own input"));
    assert_eq!(std::fs::read_to_string(&metrics).unwrap(), text);
}
