//! Hostile outputs (issue 9, items 1, 2 and 4): special files and links are never replaced,
//! temporary files are unguessable, never followed, and never left behind (SIGINT, SIGTERM,
//! and after SIGKILL the next run cleans up); a closed or full stdout never stops a run.

mod hostile_support;

use hostile_support::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(60);

fn setup(name: &str, sink: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    std::fs::write(dir.join("in.jsonl"), ROWS).unwrap();
    std::fs::write(dir.join("p.pipe"), advantage_pipe("grpo", "in.jsonl", sink)).unwrap();
    dir
}

#[test]
fn a_symlink_output_is_refused_and_its_target_untouched() {
    let dir = setup("symlink", "out.jsonl");
    std::fs::write(dir.join("victim"), "precious").unwrap();
    std::os::unix::fs::symlink("victim", dir.join("out.jsonl")).unwrap();
    let out = proxmo_in(&dir, &["run", "p.pipe", "-q"], LIMIT);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("symbolic link"),
        "{}",
        text(&out.stderr)
    );
    assert!(is_symlink(&dir.join("out.jsonl")));
    assert_eq!(
        std::fs::read_to_string(dir.join("victim")).unwrap(),
        "precious"
    );
    assert!(temp_files(&dir).is_empty());
}

#[test]
fn a_fifo_output_is_refused_without_blocking() {
    let dir = setup("fifo", "out.jsonl");
    mkfifo(&dir.join("out.jsonl"));
    let out = proxmo_in(&dir, &["run", "p.pipe", "-q"], LIMIT);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("FIFO"), "{}", text(&out.stderr));
    assert!(is_fifo(&dir.join("out.jsonl")));
}

#[test]
fn dev_null_as_an_output_is_refused_and_stays_a_device() {
    let dir = setup("devnull", "/dev/null");
    let out = proxmo_in(&dir, &["run", "p.pipe", "-q"], LIMIT);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("is a device"),
        "{}",
        text(&out.stderr)
    );
    assert!(is_char_device(Path::new("/dev/null")));
}

#[test]
fn a_device_node_output_is_refused_where_one_can_be_made() {
    let dir = setup("mknod", "node");
    if let Err(why) = mknod_null(&dir.join("node")) {
        println!("skipped: {why}");
        return;
    }
    let out = proxmo_in(&dir, &["run", "p.pipe", "-q"], LIMIT);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(is_char_device(&dir.join("node")));
}

#[test]
fn the_metrics_file_and_weights_refuse_special_files_too() {
    let dir = scratch("metrics-fifo");
    mkfifo(&dir.join("m.jsonl"));
    let out = proxmo_in(
        &dir,
        &[
            "run",
            &format!("{}/pipelines/alfworld.pipe", env!("CARGO_MANIFEST_DIR")),
            "--set",
            "iterations=1",
            "--set",
            "rows.path=r.jsonl",
            "--set",
            "metrics.path=m.jsonl",
            "-q",
        ],
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(is_fifo(&dir.join("m.jsonl")));
    assert!(temp_files(&dir).is_empty());
}

#[test]
fn planted_links_at_old_style_temp_names_are_not_followed() {
    let dir = setup("planted", "out.jsonl");
    std::fs::write(dir.join("victim"), "precious").unwrap();
    // The old temporary name was `.out.jsonl.tmp-PID`: plant it for the pids likely next.
    let me = std::process::id();
    for pid in me..me + 400 {
        let _ = std::os::unix::fs::symlink("victim", dir.join(format!(".out.jsonl.tmp-{pid}")));
    }
    let out = proxmo_in(&dir, &["run", "p.pipe", "-q"], LIMIT);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(dir.join("victim")).unwrap(),
        "precious"
    );
    let meta = std::fs::symlink_metadata(dir.join("out.jsonl")).unwrap();
    assert!(meta.file_type().is_file(), "the output is a regular file");
}

#[test]
fn a_replaced_output_keeps_its_permissions() {
    let dir = setup("mode", "out.jsonl");
    let out_path = dir.join("out.jsonl");
    std::fs::write(&out_path, "old").unwrap();
    std::fs::set_permissions(&out_path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = proxmo_in(&dir, &["run", "p.pipe", "-q"], LIMIT);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mode = std::fs::metadata(&out_path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(std::fs::read_to_string(&out_path)
        .unwrap()
        .contains("advantage"));
}

/// A run whose output takes a while to write: many rows with long observations.
fn slow_writer(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    let obs = "o".repeat(1_000);
    let mut rows = String::new();
    for i in 0..60_000 {
        rows.push_str(&format!(
            "{{\"group\":\"g{}\",\"traj\":\"t{i}\",\"step\":0,\"obs\":\"{obs}\",\"reward\":{}}}\n",
            i / 8,
            i % 2
        ));
    }
    std::fs::write(dir.join("in.jsonl"), rows).unwrap();
    std::fs::write(
        dir.join("p.pipe"),
        advantage_pipe("grpo", "in.jsonl", "out.jsonl"),
    )
    .unwrap();
    dir
}

/// Starts the slow run and sends `signal` once its temporary file exists; the exit status.
fn signal_while_writing(dir: &Path, signal: i32) -> Option<std::process::ExitStatus> {
    let mut child = Command::new(BIN)
        .args(["run", "p.pipe", "-q"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while temp_files(dir).is_empty() {
        if let Some(status) = child.try_wait().unwrap() {
            println!("the run ended ({status}) before its temporary file was seen");
            return None;
        }
        assert!(t0.elapsed() < LIMIT, "no temporary file appeared");
        std::thread::sleep(Duration::from_micros(200));
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, signal) };
    Some(child.wait().unwrap())
}

#[test]
fn sigterm_and_sigint_leave_no_temporary_file() {
    use std::os::unix::process::ExitStatusExt;
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let dir = slow_writer(&format!("signal{signal}"));
        let Some(status) = signal_while_writing(&dir, signal) else {
            continue;
        };
        assert!(temp_files(&dir).is_empty(), "{:?}", temp_files(&dir));
        // The handler's cleaner thread races the writer: on a loaded machine the run may
        // finish (and rename its output into place) before the cleaner runs. Either way the
        // output is whole or absent, never partial.
        let out = dir.join("out.jsonl");
        let complete = || std::fs::read_to_string(&out).unwrap().lines().count() == 60_000;
        match status.signal() {
            Some(s) => {
                assert_eq!(s, signal, "ended by another signal: {status}");
                assert!(!out.exists() || complete(), "partial output after {status}");
            }
            None => {
                assert!(status.success(), "{status}");
                println!("the run finished before the signal's cleaner ran");
                assert!(complete(), "a finished run's output is whole");
            }
        }
    }
}

#[test]
fn after_sigkill_the_next_run_removes_the_stale_temporary_file() {
    let dir = slow_writer("sigkill");
    if signal_while_writing(&dir, libc::SIGKILL).is_none() {
        return;
    }
    assert_eq!(temp_files(&dir).len(), 1, "SIGKILL leaves the file behind");
    std::fs::write(dir.join("in.jsonl"), ROWS).unwrap();
    let out = proxmo_in(&dir, &["run", "p.pipe", "-q"], LIMIT);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(temp_files(&dir).is_empty(), "{:?}", temp_files(&dir));
}

/// Runs proxmo with stdout and stderr pipes whose readers are gone before it writes.
fn with_closed_pipes(dir: &Path, args: &[&str]) -> std::process::ExitStatus {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    drop(child.stderr.take());
    let t0 = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(t0.elapsed() < LIMIT, "proxmo {args:?} hung");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_closed_stdout_and_stderr_stop_the_printing_not_the_run() {
    let dir = scratch("closed");
    let pipe = format!("{}/pipelines/alfworld.pipe", env!("CARGO_MANIFEST_DIR"));
    let status = with_closed_pipes(
        &dir,
        &[
            "run",
            &pipe,
            "--pipeline",
            "random",
            "--set",
            "iterations=3",
            "--set",
            "rows.path=r.jsonl",
            "--set",
            "random_metrics.path=m.jsonl",
        ],
    );
    assert_eq!(status.code(), Some(0), "{status}");
    assert!(
        std::fs::metadata(dir.join("r.jsonl")).unwrap().len() > 0,
        "the rows were written"
    );
    for args in [
        vec!["check", "--resolved", pipe.as_str()],
        vec!["graph", pipe.as_str()],
        vec!["stages"],
    ] {
        let status = with_closed_pipes(&dir, &args);
        assert_eq!(status.code(), Some(0), "{args:?}: {status}");
    }
}

#[test]
fn a_full_stdout_is_not_a_crash() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        println!("skipped: this system has no /dev/full");
        return;
    };
    for args in [vec!["stages"], vec!["check", "pipelines/advantage.pipe"]] {
        let out = Command::new(BIN)
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(full.try_clone().unwrap())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn bench_refuses_a_batch_too_large_to_build() {
    let dir = scratch("bench");
    for rows in ["1e10", "10000000000"] {
        let out = proxmo_in(&dir, &["bench", "advantage", "--rows", rows], LIMIT);
        assert_eq!(out.status.code(), Some(2), "{rows}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains("limit"), "{}", text(&out.stderr));
    }
}

#[test]
fn plots_and_policy_weights_refuse_special_files_too() {
    let dir = scratch("plot-weights");
    std::fs::write(
        dir.join("m.jsonl"),
        "{\"iteration\":1,\"success_rate\":0.5}\n",
    )
    .unwrap();
    mkfifo(&dir.join("chart.svg"));
    let out = proxmo_in(&dir, &["plot", "m.jsonl", "--out", "chart.svg"], LIMIT);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(is_fifo(&dir.join("chart.svg")));

    std::fs::write(dir.join("victim"), "precious").unwrap();
    std::os::unix::fs::symlink("victim", dir.join("w.bin")).unwrap();
    std::fs::write(
        dir.join("train.pipe"),
        "stage env = env.alfworld { }\n\
         stage rollout = rollout.group { tasks = 2, policy = policy.linear { } }\n\
         stage credit = advantage.grpo { }\n\
         stage learn = update.pg { save = \"w.bin\" }\n\
         stage m = sink.metrics { path = \"m2.jsonl\" }\n\
         pipeline p { env -> rollout -> credit -> learn -> m; iterations = 1 }\n",
    )
    .unwrap();
    let out = proxmo_in(&dir, &["run", "train.pipe", "-q"], LIMIT);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("w.bin is a symbolic link"),
        "{}",
        text(&out.stderr)
    );
    assert!(is_symlink(&dir.join("w.bin")));
    assert_eq!(
        std::fs::read_to_string(dir.join("victim")).unwrap(),
        "precious"
    );
    assert!(temp_files(&dir).is_empty());
}

fn tensorboard_pipe(dir: &Path, sinks: &str, chain: &str) {
    std::fs::write(
        dir.join("tb.pipe"),
        format!(
            "stage env = env.alfworld {{ }}\n\
             stage rollout = rollout.group {{ tasks = 2, policy = policy.linear {{ }} }}\n\
             stage credit = advantage.grpo {{ }}\n\
             {sinks}\
             pipeline p {{ env -> rollout -> credit -> {chain}; iterations = 1 }}\n"
        ),
    )
    .unwrap();
}

#[test]
fn a_tensorboard_directory_must_be_a_directory_of_its_own() {
    let dir = scratch("tensorboard");
    std::fs::write(dir.join("logs"), "precious").unwrap();
    tensorboard_pipe(
        &dir,
        "stage tb = sink.tensorboard { dir = \"logs\" }\n",
        "tb",
    );
    let out = proxmo_in(&dir, &["run", "tb.pipe", "-q"], LIMIT);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("tb.pipe:4:") && err.contains("logs exists and is not a directory"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("logs")).unwrap(),
        "precious"
    );

    tensorboard_pipe(
        &dir,
        "stage a = sink.tensorboard { dir = \"tb\" }\nstage b = sink.tensorboard { dir = \"tb/\" }\n",
        "a -> b",
    );
    let out = proxmo_in(&dir, &["run", "tb.pipe", "-q"], LIMIT);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("which `a` writes too"),
        "{}",
        text(&out.stderr)
    );

    // The event file is appended to like a metrics file: a link there is never followed.
    std::fs::create_dir(dir.join("tb")).unwrap();
    std::os::unix::fs::symlink("../logs", dir.join("tb/events.out.tfevents.proxmo")).unwrap();
    tensorboard_pipe(&dir, "stage tb = sink.tensorboard { dir = \"tb\" }\n", "tb");
    let out = proxmo_in(&dir, &["run", "tb.pipe", "-q"], LIMIT);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("symbolic link"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("logs")).unwrap(),
        "precious"
    );
}
