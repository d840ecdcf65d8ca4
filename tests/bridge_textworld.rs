//! The bridge against the real adapter (`python3 -m proxmo_bridge`, the package in
//! `python/proxmo_bridge/`, found through `PYTHONPATH`): TextWorld games generated offline and
//! played to a win, and the failure modes (crash, garbage, refusal, timeout).
//!
//! Needs `python3` (and `pip install textworld==1.7.0` for the TextWorld part). Without them
//! these tests print "skipped" and pass, unless `PROXMO_REQUIRE_BRIDGE_TESTS=1`, which turns a
//! missing dependency into a failure (for CI).

use proxmo::env::bridge::{Bridge, BridgeEnv, BridgeSpec, RewardMode};
use proxmo::env::{Env, StepOutcome};
use proxmo::kinds::env::bridge::default_spec;
use proxmo::transport::split_command;
use serde_json::json;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// `PYTHONPATH` with this checkout's `python/` first, so `python3 -m proxmo_bridge` runs the
/// adapter in this tree, installed or not.
fn python_path() -> String {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python");
    let rest = std::env::var_os("PYTHONPATH").unwrap_or_default();
    let paths = std::iter::once(here)
        .chain(std::env::split_paths(&rest).filter(|p| !p.as_os_str().is_empty()));
    std::env::join_paths(paths)
        .expect("PYTHONPATH entries join")
        .to_string_lossy()
        .into_owned()
}

fn adapter_command() -> String {
    format!(
        "env 'PYTHONPATH={}' python3 -m proxmo_bridge",
        python_path()
    )
}

fn python_has(import: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {import}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// True when the dependency is there; otherwise skips (or fails under
/// PROXMO_REQUIRE_BRIDGE_TESTS=1).
fn require(what: &str, import: &str) -> bool {
    if python_has(import) {
        return true;
    }
    if std::env::var("PROXMO_REQUIRE_BRIDGE_TESTS").as_deref() == Ok("1") {
        panic!(
            "PROXMO_REQUIRE_BRIDGE_TESTS=1 but {what} is not available to python3 \
             (install with: pip install textworld==1.7.0)"
        );
    }
    println!("skipped: {what} is not available to python3");
    false
}

/// A scratch directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "proxmo-bridge-{tag}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn assert_sorted_nonempty(out: &StepOutcome) {
    assert!(!out.admissible.is_empty(), "no admissible actions: {out:?}");
    let mut sorted = out.admissible.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        out.admissible, sorted,
        "admissible actions not sorted/unique"
    );
}

fn err_text<T>(r: anyhow::Result<T>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => format!("{e:#}"),
    }
}

fn debug_spec(config: serde_json::Value) -> BridgeSpec {
    let mut spec = default_spec(&adapter_command(), "debug").unwrap();
    spec.timeout = Duration::from_secs(10);
    spec.config = config.as_object().unwrap().clone();
    spec
}

#[test]
fn textworld_games_generated_offline_play_to_a_win() {
    if !require("textworld", "textworld") {
        return;
    }
    let t0 = Instant::now();
    let dir = TempDir::new("tw");
    let mut spec = default_spec(&adapter_command(), "textworld").unwrap();
    spec.timeout = Duration::from_secs(30);
    // Generating the games takes seconds alone and over a minute on a loaded 2-core machine.
    spec.setup_timeout = Duration::from_secs(300);
    spec.config = json!({"generate": {
        "count": 2, "seed": 1, "world_size": 3, "nb_objects": 5, "quest_length": 3,
        "dir": dir.0.to_str().unwrap()
    }})
    .as_object()
    .unwrap()
    .clone();
    let mut envs = spec.open(2).expect("open two textworld instances");
    println!(
        "generated 2 games and opened 2 instances in {:?}",
        t0.elapsed()
    );
    assert_eq!(envs[0].n_tasks(), 2);
    assert_eq!(envs[1].n_tasks(), 2);
    let games = envs[0].tasks().to_vec();
    assert_eq!(games.len(), 2);
    for g in &games {
        assert!(std::path::Path::new(g).is_file(), "game file {g} missing");
    }

    // Play game 0 to a win by following the expert plan (TextWorld's policy_commands).
    let first = envs[0].reset(0).unwrap();
    assert!(!first.done && !first.won);
    assert_eq!(first.reward, 0.0);
    assert_eq!(first.anchor, first.observation);
    assert_sorted_nonempty(&first);
    let mut last = first.clone();
    let mut steps = 0;
    while !last.done {
        let plan = envs[0]
            .expert()
            .expect("textworld gives an expert plan")
            .to_vec();
        assert!(!plan.is_empty(), "empty expert plan before the end");
        last = envs[0].step(&plan[0]).unwrap();
        steps += 1;
        assert!(!last.admissible.is_empty());
        assert_sorted_nonempty(&last);
        assert!(steps <= 20, "expert did not win within 20 steps");
    }
    assert!(last.won, "expert plan ended without a win: {last:?}");
    assert!(last.done);
    // The shared wrapper's reward on the winning step; the adapter's raw points are kept.
    assert_eq!(last.reward, 10.0);
    assert!(envs[0].last().unwrap().raw_reward > 0.0);
    assert_eq!(last.score, 1.0);
    assert_eq!(envs[0].steps(), steps);
    println!("won game 0 in {steps} expert steps");
    // No auto-reset after done.
    let e = err_text(envs[0].step("look"));
    assert!(
        e.contains("episode is over") && e.contains("bridge env 0"),
        "{e}"
    );

    // Explicit task resets are deterministic: by index, by game file, on another instance.
    let a = envs[1].reset(1).unwrap();
    let b = envs[1].reset_task(&games[1]).unwrap();
    let c = envs[0].reset(1).unwrap();
    assert_eq!(a.observation, b.observation);
    assert_eq!(a.observation, c.observation);
    assert_eq!(a.admissible, c.admissible);
    let d = envs[0].reset(0).unwrap();
    assert_eq!(
        d.observation, first.observation,
        "same game twice, different start"
    );
    assert_ne!(
        a.observation, first.observation,
        "two seeds gave the same game"
    );

    // Both instances step on the one adapter.
    envs[1].reset(0).unwrap();
    for (env, action) in envs.iter_mut().zip(["look", "inventory"]) {
        assert_sorted_nonempty(&env.step(action).unwrap());
    }

    // Instances sharing one adapter reset to one task alike.
    let resets: Vec<_> = envs.iter_mut().map(|e| e.reset(0).unwrap()).collect();
    assert_eq!(resets[0], resets[1]);
    let bad = envs[0].reset(2);
    assert!(err_text(bad).contains("out of range"));
    println!("textworld bridge test took {:?}", t0.elapsed());
}

#[test]
fn debug_kind_plays_refuses_and_limits_steps() {
    if !require("python3", "json") {
        return;
    }
    let mut spec = debug_spec(json!({"n_tasks": 3}));
    spec.max_steps = 3;
    let mut envs = spec.open(1).unwrap();
    let env = &mut envs[0];
    assert_eq!(env.n_tasks(), 3);
    let r = env.reset(2).unwrap();
    assert_eq!(r.admissible, vec!["look", "win"]);
    let s = env.step("win").unwrap();
    assert!(s.won && s.done && s.reward == 10.0);
    assert_eq!(env.last().unwrap().raw_reward, 1.0);
    // The step limit ends an episode that the environment has not ended.
    env.reset(0).unwrap();
    assert!(!env.step("look").unwrap().done);
    assert!(!env.step("look").unwrap().done);
    let third = env.step("look").unwrap();
    assert!(third.done && !third.won);
    assert!(err_text(env.step("look")).contains("episode is over"));

    // Raw rewards on request.
    let mut raw = BridgeEnv::create(env.bridge(), "debug", &json!({}), 5)
        .unwrap()
        .with_reward(RewardMode::Raw);
    raw.reset(0).unwrap();
    assert_eq!(raw.step("look").unwrap().reward, 0.0);
    assert_eq!(raw.step("win").unwrap().reward, 1.0);
    raw.close().unwrap();

    // A request to an unknown env id: ok=false, surfaced as an error; the bridge survives.
    let bridge = env.bridge().clone();
    let e = err_text(bridge.lock().unwrap().step(999, 4, "look"));
    assert!(e.contains("bridge env 999") && e.contains("step 4"), "{e}");
    assert!(e.contains("op `step`") && e.contains("unknown_env"), "{e}");
    let e = err_text(bridge.lock().unwrap().create(5, "no-such-kind", &json!({})));
    assert!(
        e.contains("unknown_kind") && e.contains("bridge env 5"),
        "{e}"
    );
    assert!(bridge.lock().unwrap().failure().is_none());
    env.reset(1).unwrap();

    // A kind whose package is missing gives an error saying what to install.
    let e = err_text(bridge.lock().unwrap().create(6, "webshop", &json!({})));
    assert!(
        e.contains("missing_data") || e.contains("missing_package"),
        "{e}"
    );
    if !python_has("alfworld") {
        let e = err_text(bridge.lock().unwrap().create(7, "alfworld", &json!({})));
        assert!(e.contains("pip install"), "{e}");
    }

    // An adapter that dies mid-episode: the error names the env, step, op and exit status.
    let e = err_text(env.step("crash"));
    assert!(e.contains("bridge env 0, step 1, op `step`"), "{e}");
    assert!(e.contains("exit status: 7"), "{e}");
    let e = err_text(env.reset(0));
    assert!(e.contains("unusable after an earlier failure"), "{e}");
}

#[test]
fn dropping_the_envs_ends_the_adapter() {
    if !require("python3", "json") {
        return;
    }
    let envs = debug_spec(json!({})).open(3).unwrap();
    let pid = envs[0].bridge().lock().unwrap().pid();
    let alive = || std::path::Path::new(&format!("/proc/{pid}")).exists();
    if cfg!(target_os = "linux") {
        assert!(alive());
    }
    drop(envs);
    if cfg!(target_os = "linux") {
        assert!(
            !alive(),
            "adapter {pid} still running after the envs were dropped"
        );
    }
}

#[test]
fn adapter_that_exits_immediately_is_reported() {
    if !require("python3", "json") {
        return;
    }
    let cmd =
        r#"python3 -c "import sys; sys.stderr.write('boom: no environment here\n'); sys.exit(3)""#;
    // The bound is half the timeout: the exit is noticed, not waited out (a loaded CI
    // machine can take seconds to start Python, so the bound is not tight).
    let mut bridge = Bridge::spawn(cmd, Duration::from_secs(60)).unwrap();
    let t = Instant::now();
    let e = err_text(bridge.create(0, "textworld", &json!({})));
    println!("exit error: {e}");
    assert!(
        t.elapsed() < Duration::from_secs(30),
        "took {:?}",
        t.elapsed()
    );
    assert!(
        e.contains("bridge env 0") && e.contains("op `create`"),
        "{e}"
    );
    assert!(e.contains("exit status: 3"), "{e}");
    assert!(e.contains("boom: no environment here"), "{e}");
    assert!(e.contains("sys.exit(3)"), "the command is named: {e}");
    // Through the spec: the failing op is the handshake.
    let e = err_text(default_spec(cmd, "textworld").unwrap().open(1));
    assert!(
        e.contains("op `hello`") && e.contains("exit status: 3"),
        "{e}"
    );
    // A command that cannot start at all.
    let e = err_text(Bridge::spawn(
        "/nonexistent/proxmo-adapter --x",
        Duration::from_secs(1),
    ));
    assert!(e.contains("could not start"), "{e}");
}

#[test]
fn garbage_and_wrong_shape_lines_are_reported() {
    if !require("python3", "json") {
        return;
    }
    let cases = [
        ("print('this is not json', flush=True)", "non-JSON line"),
        ("print('[1, 2]', flush=True)", "not an object"),
        (
            "print('{\"id\": 99, \"ok\": true}', flush=True)",
            "does not match request id",
        ),
        ("print('{\"id\": 1}', flush=True)", "boolean `ok`"),
    ];
    for (script, expected) in cases {
        let cmd = format!(
            "python3 -c \"import sys, time; sys.stdin.readline(); {}; time.sleep(120)\"",
            script.replace('"', "\\\"")
        );
        // Half the timeout: the bad line fails the call, the timeout is not waited out.
        let mut bridge = Bridge::spawn(&cmd, Duration::from_secs(60)).unwrap();
        let t = Instant::now();
        let e = err_text(bridge.create(3, "debug", &json!({})));
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "took {:?}",
            t.elapsed()
        );
        println!("garbage error: {e}");
        assert!(e.contains(expected), "{expected:?} not in: {e}");
        assert!(
            e.contains("bridge env 3") && e.contains("op `create`"),
            "{e}"
        );
        assert!(bridge.failure().is_some());
    }
    // Outcome fields of the wrong type are rejected with the field's name.
    let cmd = r#"python3 -c "import sys; sys.stdin.readline(); print('{\"id\": 1, \"ok\": true, \"observation\": 5}', flush=True); sys.stdin.readline()""#;
    let mut bridge = Bridge::spawn(cmd, Duration::from_secs(10)).unwrap();
    let e = err_text(bridge.reset(0, json!(0)));
    assert!(e.contains("`observation` must be a string"), "{e}");
}

#[test]
fn step_timeout_fails_within_the_timeout() {
    if !require("python3", "json") {
        return;
    }
    let mut spec = debug_spec(json!({"step_sleep_s": 20}));
    spec.timeout = Duration::from_secs(1);
    spec.setup_timeout = Duration::from_secs(20);
    let mut envs = spec.open(1).unwrap();
    envs[0].reset(0).unwrap();
    let t = Instant::now();
    let e = err_text(envs[0].step("look"));
    let took = t.elapsed();
    println!("timeout error after {took:?}: {e}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "took {took:?}"
    );
    assert!(e.contains("bridge env 0, step 1, op `step`"), "{e}");
    assert!(e.contains("timeout"), "{e}");
    let e = err_text(envs[0].reset(0));
    assert!(e.contains("unusable"), "{e}");
}

#[test]
fn command_splitting_and_schema() {
    assert_eq!(
        split_command(r#"python3 -c "print('a b')" 'x y' z\ w"#).unwrap(),
        vec!["python3", "-c", "print('a b')", "x y", "z w"]
    );
    assert!(split_command("   ").is_err());
    assert!(split_command("python3 'oops").is_err());

    let s = proxmo::kinds::schema("env.bridge").unwrap();
    assert_eq!(s.role, proxmo::stage::Role::Env);
    assert_eq!(
        s.param("command").unwrap().default,
        proxmo::stage::ParamDefault::Required
    );
    for name in ["kind", "timeout_s", "group_size", "max_steps", "tasks"] {
        assert!(s.param(name).is_some(), "missing param {name}");
    }
    // The spec from the schema's defaults.
    let spec = default_spec("python3 -m proxmo_bridge", "textworld").unwrap();
    assert_eq!(spec.timeout, std::time::Duration::from_secs(30));
    assert_eq!((spec.group_size, spec.max_steps), (8, 50));
    assert!(spec.tasks.is_empty() && spec.config.is_empty());
}

/// The adapter's own Python tests (protocol robustness, TextWorld, and real ALFWorld when its
/// packages are installed) run with the rest of the suite.
#[test]
fn python_adapter_tests_pass() {
    if !require("textworld", "textworld") {
        return;
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/tests/test_bridge.py");
    let out = Command::new("python3")
        .arg(&script)
        .env("PYTHONPATH", python_path())
        .output()
        .expect("python3 runs");
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "python/tests/test_bridge.py failed:\n{report}"
    );
    println!("{}", report.lines().last().unwrap_or(""));
}
