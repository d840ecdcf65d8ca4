//! A generated corpus for the language-model surfaces (issue 22): faulty model-worker replies,
//! random and mutated `policy.lm` / `update.ppo` / `update.sft` parameters, damaged model
//! directories and damaged checkpoints. For every input: no panic, abort or hang; bad input
//! exits 2 with a message naming it; a worker fault exits 1 naming the model worker, and its
//! process is reaped; metrics lines already written stay as they were, no temporary file is
//! left, and a checkpointed run stopped by a fault resumes to the uninterrupted run's metrics.
//!
//! The worker is `tests/hostile_support/fake_worker.py`, which speaks the protocol without
//! torch, so hundreds of runs take seconds; it needs `python3` and the tiny model
//! (`PROXMO_TINY_MODEL`), and skips without them unless `PROXMO_REQUIRE_LM_TESTS=1`.
//! `PROXMO_LM_CORPUS_SCALE=N` (default 1, what CI runs) multiplies the random inputs; the
//! count and the time taken are printed.

mod common;
mod hostile_support;

use hostile_support::{assert_no_crash, temp_files, text, wait_limited, BIN};
use proxmo::rng::Rng;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(60);
/// Iterations of the corpus's small run (one task, two rollouts, three steps).
const ITERATIONS: usize = 3;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scale() -> usize {
    std::env::var("PROXMO_LM_CORPUS_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1)
}

fn tiny_model_or_skip() -> Option<PathBuf> {
    let found = std::env::var("PROXMO_TINY_MODEL")
        .map(PathBuf::from)
        .ok()
        .filter(|m| m.join("tokenizer.json").is_file());
    let python = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    match (found, python) {
        (Some(model), true) => Some(model),
        _ if std::env::var("PROXMO_REQUIRE_LM_TESTS").as_deref() == Ok("1") => {
            panic!("PROXMO_REQUIRE_LM_TESTS=1 but PROXMO_TINY_MODEL or python3 is missing")
        }
        _ => {
            println!("skipped: needs PROXMO_TINY_MODEL and python3");
            None
        }
    }
}

/// One case's scratch directory, and how proxmo runs in it.
struct Case {
    dir: PathBuf,
    pids: PathBuf,
}

impl Case {
    fn new(root: &Path, name: &str) -> Case {
        let dir = root.join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Case {
            pids: dir.join("worker.pids"),
            dir,
        }
    }

    fn metrics_path(&self) -> PathBuf {
        self.dir.join("m.jsonl")
    }

    /// `proxmo ARGS` on the ALFWorld LM pipeline with the fake worker answering `fault`.
    /// Its output goes to files, not pipes nobody reads while it runs (a long message would
    /// fill a pipe and stall it).
    fn proxmo(&self, args: &[String], fault: Option<&str>) -> Output {
        let (out_path, err_path) = (self.dir.join("stdout"), self.dir.join("stderr"));
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .current_dir(&self.dir)
            .env("FAKE_WORKER_PIDS", &self.pids)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out_path).unwrap())
            .stderr(std::fs::File::create(&err_path).unwrap());
        match fault {
            Some(f) => cmd.env("FAKE_WORKER_FAULT", f),
            None => cmd.env_remove("FAKE_WORKER_FAULT"),
        };
        let what: String = format!("proxmo {args:?} (fault {fault:?})")
            .chars()
            .take(2000)
            .collect();
        let mut out = wait_limited(cmd.spawn().unwrap(), LIMIT, &what);
        out.stdout = std::fs::read(&out_path).unwrap();
        out.stderr = std::fs::read(&err_path).unwrap();
        out
    }

    /// The arguments of a small run (`verb` = run or check) of `pipeline` with `model`.
    fn args(&self, verb: &str, pipeline: &str, model: &Path, extra: &[String]) -> Vec<String> {
        let sink = match pipeline {
            "sft" => "out_sft",
            _ => "out_proxmo",
        };
        let mut args: Vec<String> = vec![
            verb.into(),
            repo()
                .join("pipelines/alfworld_lm.pipe")
                .display()
                .to_string(),
            "--pipeline".into(),
            pipeline.into(),
        ];
        if verb == "run" {
            args.push("-q".into());
        }
        for set in [
            format!("lm.model={}", model.display()),
            "lm.python=python3".into(),
            format!(
                "lm.worker={}",
                repo()
                    .join("tests/hostile_support/fake_worker.py")
                    .display()
            ),
            format!("iterations={ITERATIONS}"),
            "eval_every=0".into(),
            "env.max_steps=3".into(),
            "demo_env.max_steps=3".into(),
            "rollout.tasks=1".into(),
            "demos.tasks=1".into(),
            "env.group_size=2".into(),
            "lm.timeout_s=3".into(),
            format!("{sink}.path={}", self.metrics_path().display()),
            format!("warm_start.save={}", self.dir.join("saved").display()),
        ]
        .into_iter()
        .chain(extra.iter().cloned())
        {
            args.push("--set".into());
            args.push(set);
        }
        args
    }

    /// Every worker this case started has ended (a stopped or hung one was killed).
    fn assert_workers_reaped(&self, what: &str) {
        let pids = std::fs::read_to_string(&self.pids).unwrap_or_default();
        for pid in pids.lines() {
            let t0 = Instant::now();
            while running(pid) {
                assert!(
                    t0.elapsed() < Duration::from_secs(5),
                    "{what}: worker {pid} still runs after proxmo exited"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    fn assert_no_temp_files(&self, what: &str) {
        let left = temp_files(&self.dir);
        assert!(left.is_empty(), "{what}: left {left:?}");
    }

    fn metrics(&self) -> Vec<Map<String, Value>> {
        read_metrics(&self.metrics_path())
    }
}

/// A process that is alive (a zombie whose parent is gone counts as ended).
fn running(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z') && !state.starts_with('X')
        }
        Err(_) => false,
    }
}

/// Every line of a metrics file, each a whole JSON object whose `iteration` is its index.
fn read_metrics(path: &Path) -> Vec<Map<String, Value>> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "{}: a half-written last line",
        path.display()
    );
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            let m: Map<String, Value> = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}: line {i} is not JSON ({e}): {l}", path.display()));
            assert_eq!(m["iteration"].as_u64(), Some(i as u64), "{l}");
            m.into_iter()
                .filter(|(k, _)| !proxmo::metrics::is_timing_field(k))
                .collect()
        })
        .collect()
}

/// Faults a worker can make, and whether a run survives them.
const FAULTS: &[(&str, bool)] = &[
    ("exit1", false),
    ("exit0", false),
    ("kill", false),
    ("stop", false),
    ("hang", false),
    ("partial_then_exit", false),
    ("garbage", false),
    ("banner_then_answer", false),
    ("not_object", false),
    ("no_ok", false),
    ("ok_string", false),
    ("refused", false),
    ("refused_without_error", false),
    ("wrong_id", false),
    ("no_id", false),
    ("twice", false),
    ("nan_literal", false),
    ("non_utf8", false),
    ("huge_line", false),
    ("deep", false),
    ("stderr_flood", true),
];

/// Faults of one request kind's answer fields, and whether a run survives them.
const FIELD_FAULTS: &[(&str, &str, bool)] = &[
    ("hello", "field:protocol=2", false),
    ("hello", "field:protocol=delete", false),
    ("hello", "field:eos_ids=delete", false),
    ("hello", "field:eos_ids=[]", false),
    ("hello", "field:eos_ids=[99999999]", false),
    ("hello", "field:eos_ids=[-1]", false),
    ("hello", "field:vocab_size=0", false),
    ("hello", "field:vocab_size=\"big\"", false),
    ("hello", "empty_object", false),
    ("generate", "field:responses=delete", false),
    ("generate", "field:responses={}", false),
    ("generate", "field:responses=[]", false),
    ("generate", "field:responses.ids=delete", false),
    ("generate", "field:responses.ids=\"abc\"", false),
    ("generate", "field:responses.ids=[1.5]", false),
    ("generate", "field:responses.ids=[-3]", false),
    (
        "generate",
        "field:responses.ids=[18446744073709551616]",
        false,
    ),
    ("generate", "field:responses.logprobs=delete", false),
    (
        "generate",
        "field:responses.logprobs=[null, null, null]",
        false,
    ),
    ("generate", "field:responses.logprobs=[1e999, 0, 0]", false),
    ("generate", "field:responses.logprobs=[-1]", false),
    ("generate", "field:responses.finish=7", true),
    ("generate", "oov_id", false),
    ("generate", "too_long", false),
    ("generate", "empty_response", false),
    ("generate", "positive_logprob", false),
    ("train", "field:metrics=delete", false),
    ("train", "field:metrics=[]", false),
    ("train", "field:metrics.loss=null", true),
    ("train", "field:metrics.loss=\"x\"", false),
    ("train", "field:metrics.loss=[1]", false),
    ("train", "field:metrics.stepped=false", true),
    ("train", "field:metrics.grad_norm=1e308", true),
];

fn worker_faults(root: &Path, model: &Path) -> usize {
    // Where a fault strikes: the handshake, mid-run (batch 1, after batch 0's line was
    // written) in generation and in training.
    let sites = [("hello", 0, 0), ("generate", 4, 1), ("train", 1, 1)];
    let mut cases: Vec<(String, bool, usize)> = Vec::new();
    for (fault, survives) in FAULTS {
        for (op, n, lines) in sites {
            cases.push((format!("{op} {n} {fault}"), *survives, lines));
        }
    }
    for (op, fault, survives) in FIELD_FAULTS {
        let (n, lines) = match *op {
            "hello" => (0, 0),
            "generate" => (4, 1),
            _ => (1, 1),
        };
        cases.push((format!("{op} {n} {fault}"), *survives, lines));
    }
    for (i, (fault, survives, lines_before)) in cases.iter().enumerate() {
        let case = Case::new(root, &format!("worker{i}"));
        let out = case.proxmo(&case.args("run", "proxmo", model, &[]), Some(fault));
        let what = format!("worker fault {fault:?}");
        let err = text(&out.stderr);
        assert_no_crash(&out, &what);
        let lines = case.metrics().len();
        if *survives {
            assert_eq!(out.status.code(), Some(0), "{what}: {err}");
            assert_eq!(lines, ITERATIONS, "{what}");
        } else {
            // A refused `hello` is the model or settings the user gave (exit 2); anything
            // else is the worker's fault (exit 1).
            let code = match fault.starts_with("hello 0 refused") {
                true => 2,
                false => 1,
            };
            assert_eq!(
                out.status.code(),
                Some(code),
                "{what}: exit {code} expected: {err}"
            );
            assert!(
                err.contains("policy.lm") && err.contains("model worker"),
                "{what}: the error does not name the model worker: {err}"
            );
            // A second answer to one request surfaces at the next request: after this batch's
            // line when the request was the batch's last (train).
            let late = fault.ends_with("twice") && fault.starts_with("train");
            assert_eq!(
                lines,
                lines_before + usize::from(late),
                "{what}: metrics lines"
            );
        }
        case.assert_workers_reaped(&what);
        case.assert_no_temp_files(&what);
    }
    cases.len()
}

/// A checkpointed run stopped by a worker fault resumes (with a sound worker) to exactly the
/// metrics of a run that was never stopped.
fn faults_then_resume(root: &Path, model: &Path) -> usize {
    let ck = |case: &Case| vec![format!("checkpoint={}", case.dir.join("ck").display())];
    let clean = Case::new(root, "resume-clean");
    let out = clean.proxmo(&clean.args("run", "proxmo", model, &ck(&clean)), None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let want = clean.metrics();
    let faults = [
        "generate 4 kill",
        "train 2 hang",
        "save 1 exit1",
        "save 2 garbage",
    ];
    for (i, fault) in faults.iter().enumerate() {
        let case = Case::new(root, &format!("resume{i}"));
        let first = case.proxmo(&case.args("run", "proxmo", model, &ck(&case)), Some(fault));
        assert_eq!(
            first.status.code(),
            Some(1),
            "{fault}: {}",
            text(&first.stderr)
        );
        let resumed = case.args("run", "proxmo", model, &ck(&case));
        let mut resumed = resumed;
        resumed.push("--resume".into());
        let out = case.proxmo(&resumed, None);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{fault}, resumed: {}",
            text(&out.stderr)
        );
        assert_eq!(case.metrics(), want, "{fault}: resumed metrics");
        case.assert_workers_reaped(fault);
        case.assert_no_temp_files(fault);
    }
    faults.len()
}

/// The parameters of a stage kind, read off `proxmo stages KIND`.
fn parameters(kind: &str) -> Vec<String> {
    let out = Command::new(BIN).args(["stages", kind]).output().unwrap();
    text(&out.stdout)
        .lines()
        .take_while(|l| !l.starts_with("pipeline settings"))
        .filter_map(|l| {
            let l = l.strip_prefix("  ")?;
            let name = l.split_whitespace().next()?;
            let typed = l[name.len()..].trim_start();
            let is_param = !l.starts_with(' ')
                && (typed.starts_with("int")
                    || typed.starts_with("float")
                    || typed.starts_with("bool")
                    || typed.starts_with("string")
                    || typed.starts_with('"'));
            is_param.then(|| name.to_string())
        })
        .collect()
}

const VALUES: &[&str] = &[
    "0",
    "-1",
    "1",
    "0.5",
    "1e309",
    "-1e309",
    "1e-400",
    "99999999999999999999",
    "9223372036854775807",
    "NaN",
    "inf",
    "true",
    "\"\"",
    "\"tpu\"",
    "\"cuda:99\"",
    "\"/dev/zero\"",
    "\"/\"",
    "\"\u{202e}\u{1b}x\"",
    "[1, 2]",
    "{",
];

fn parameter_values(root: &Path, model: &Path) -> usize {
    let mut rng = Rng::new(22);
    let mut tried = 0;
    let long = format!("\"{}\"", "x".repeat(100_000));
    let per_param = (6 * scale()).min(VALUES.len() + 1);
    for (kind, prefix, pipeline) in [
        ("policy.lm", "lm", "proxmo"),
        ("update.ppo", "ppo", "proxmo"),
        ("update.sft", "warm_start", "sft"),
    ] {
        let names = parameters(kind);
        assert!(names.len() >= 2, "{kind}: no parameters read: {names:?}");
        for name in names {
            let mut values: Vec<&str> = VALUES.to_vec();
            values.push(&long);
            rng.shuffle(&mut values);
            for value in values.into_iter().take(per_param) {
                let case = Case::new(root, &format!("param{tried}"));
                let set = vec![format!("{prefix}.{name}={value}")];
                let what = format!("--set {}", set[0].chars().take(80).collect::<String>());
                let check = case.proxmo(&case.args("check", pipeline, model, &set), None);
                assert_no_crash(&check, &what);
                let err = text(&check.stderr);
                match check.status.code() {
                    Some(2) => assert!(err.contains(&name), "{what}: not named: {err}"),
                    Some(0) => {
                        // What check accepts, run takes (the fake worker then carries it out).
                        let run = case.proxmo(&case.args("run", pipeline, model, &set), None);
                        assert_no_crash(&run, &what);
                        let err = text(&run.stderr);
                        assert_ne!(run.status.code(), Some(2), "{what}: check 0, run 2: {err}");
                        if run.status.code() == Some(1) {
                            assert!(err.contains("model worker"), "{what}: {err}");
                        }
                        case.assert_workers_reaped(&what);
                    }
                    other => panic!("{what}: check exit {other:?}: {err}"),
                }
                case.assert_no_temp_files(&what);
                tried += 1;
            }
        }
    }
    tried
}

/// Ways to damage one file.
const DAMAGE: &[&str] = &[
    "delete",
    "empty",
    "half",
    "flip",
    "garbage",
    "append",
    "directory",
    "fifo",
    "zero",
];

fn damage(path: &Path, how: &str, rng: &mut Rng) {
    let bytes = std::fs::read(path).unwrap_or_default();
    let _ = std::fs::remove_file(path);
    match how {
        "delete" => {}
        "empty" => std::fs::write(path, b"").unwrap(),
        "half" => std::fs::write(path, &bytes[..bytes.len() / 2]).unwrap(),
        "flip" => {
            let mut b = bytes;
            for _ in 0..4 {
                if !b.is_empty() {
                    let at = rng.below(b.len());
                    b[at] ^= 1 << rng.below(8);
                }
            }
            std::fs::write(path, b).unwrap()
        }
        "garbage" => {
            let junk: Vec<u8> = (0..256).map(|_| rng.below(256) as u8).collect();
            std::fs::write(path, junk).unwrap()
        }
        "append" => std::fs::write(path, [bytes.as_slice(), b"{\"x\":1}\n"].concat()).unwrap(),
        "directory" => std::fs::create_dir_all(path).unwrap(),
        "fifo" => hostile_support::mkfifo(path),
        "zero" => std::os::unix::fs::symlink("/dev/zero", path).unwrap(),
        other => {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let edits = other.parse().unwrap_or(4);
            let hostile = [
                '{', '}', '"', '\\', ',', ':', '\0', '\u{feff}', '9', '-', 'e',
            ];
            std::fs::write(path, common::mutate(&text, &hostile, edits, rng)).unwrap()
        }
    }
}

/// Every file below `dir`, relative to it.
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            match p.is_dir() {
                true => stack.push(p),
                false => out.push(p.strip_prefix(dir).unwrap().to_path_buf()),
            }
        }
    }
    out.sort();
    out
}

fn copy_tree(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    for rel in files_below(from) {
        let target = to.join(&rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(from.join(&rel), target).unwrap();
    }
}

/// The ways each file is damaged: every fixed way, and for text files random edits.
fn damages_for(file: &Path) -> Vec<String> {
    let mut hows: Vec<String> = DAMAGE.iter().map(|s| s.to_string()).collect();
    let textual = matches!(
        file.extension().and_then(|e| e.to_str()),
        Some("json" | "jinja" | "jsonl")
    );
    if textual {
        hows.extend((0..2 * scale()).map(|i| (1 + i % 8).to_string()));
    }
    hows
}

/// A Python that runs the real worker (`PROXMO_PYTHON` with torch, transformers and proxmo's
/// package), if any.
fn real_python() -> Option<String> {
    let python = std::env::var("PROXMO_PYTHON").ok()?;
    Command::new(&python)
        .args(["-c", "import torch, transformers, proxmo_worker"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
        .then_some(python)
}

fn model_directories(root: &Path, model: &Path) -> usize {
    let mut rng = Rng::new(23);
    let mut tried = 0;
    let mut accepted: Vec<(Case, PathBuf, String)> = Vec::new();
    for file in files_below(model) {
        for how in damages_for(&file) {
            let case = Case::new(root, &format!("model{tried}"));
            let damaged = case.dir.join("model");
            copy_tree(model, &damaged);
            damage(&damaged.join(&file), &how, &mut rng);
            let what = format!("model {} {how}", file.display());
            let check = case.proxmo(&case.args("check", "proxmo", &damaged, &[]), None);
            assert_no_crash(&check, &what);
            let err = text(&check.stderr);
            match check.status.code() {
                Some(2) => assert!(
                    err.contains("lm.model") || err.contains("model"),
                    "{what}: {err}"
                ),
                Some(0) => {
                    let run = case.proxmo(&case.args("run", "proxmo", &damaged, &[]), None);
                    assert_no_crash(&run, &what);
                    assert_eq!(
                        run.status.code(),
                        Some(0),
                        "{what}: check accepted it, run did not: {}",
                        text(&run.stderr)
                    );
                    case.assert_workers_reaped(&what);
                    case.assert_no_temp_files(&what);
                    accepted.push((case, damaged, what));
                    tried += 1;
                    continue;
                }
                other => panic!("{what}: check exit {other:?}: {err}"),
            }
            case.assert_no_temp_files(&what);
            tried += 1;
        }
    }
    // What check accepts, the real worker loads too (a few in CI: each takes seconds).
    if let Some(python) = real_python() {
        let real = [
            format!("lm.python={python}"),
            // After the fake worker Case::args names: the later --set wins.
            "lm.worker=proxmo_worker".to_string(),
            "iterations=1".to_string(),
            "lm.timeout_s=120".to_string(),
        ];
        let step = accepted.len().div_ceil(2 * scale()).max(1);
        for (case, damaged, what) in accepted.iter().step_by(step) {
            let out = case.proxmo(&case.args("run", "proxmo", damaged, &real), None);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{what}, real worker: check accepted it, run did not: {}",
                text(&out.stderr)
            );
            tried += 1;
        }
    }
    tried
}

/// Damaged checkpoints: `--resume` refuses them (exit 2, naming the checkpoint) or resumes
/// soundly; the metrics lines written before are never lost.
fn checkpoints(root: &Path, model: &Path) -> usize {
    let mut rng = Rng::new(24);
    let case = Case::new(root, "checkpoint");
    let ck = case.dir.join("ck");
    let pristine = case.dir.join("pristine");
    let first = vec![
        format!("checkpoint={}", ck.display()),
        "iterations=2".to_string(),
    ];
    let out = case.proxmo(&case.args("run", "proxmo", model, &first), None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    copy_tree(&ck, &pristine);
    let lines = std::fs::read(case.metrics_path()).unwrap();
    let mut resume = case.args("run", "proxmo", model, &first[..1]);
    resume.push("--resume".into());
    let mut tried = 0;
    for file in files_below(&pristine) {
        for how in damages_for(&file) {
            copy_tree(&pristine, &ck);
            std::fs::write(case.metrics_path(), &lines).unwrap();
            damage(&ck.join(&file), &how, &mut rng);
            let what = format!("checkpoint {} {how}", file.display());
            let out = case.proxmo(&resume, None);
            assert_no_crash(&out, &what);
            let err = text(&out.stderr);
            let after = std::fs::read(case.metrics_path()).unwrap();
            match out.status.code() {
                Some(0) => assert!(after.starts_with(&lines), "{what}: lines lost"),
                Some(2) => {
                    assert!(err.contains("checkpoint"), "{what}: {err}");
                    assert_eq!(after, lines, "{what}: metrics changed by a refused resume");
                }
                other => panic!("{what}: exit {other:?} (bad input is 2): {err}"),
            }
            case.assert_workers_reaped(&what);
            case.assert_no_temp_files(&what);
            tried += 1;
        }
    }
    tried
}

#[test]
fn no_bad_worker_reply_parameter_model_or_checkpoint_crashes_hangs_or_loses_lines() {
    let Some(model) = tiny_model_or_skip() else {
        return;
    };
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hostile_lm_corpus");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let t0 = Instant::now();
    let mut report = Vec::new();
    for (part, count) in [
        ("worker replies", worker_faults as fn(&Path, &Path) -> usize),
        ("faults then --resume", faults_then_resume),
        ("parameter values", parameter_values),
        ("model directories", model_directories),
        ("checkpoints", checkpoints),
    ] {
        let t = Instant::now();
        let n = count(&root, &model);
        report.push(format!(
            "{part}: {n} inputs in {:.1} s",
            t.elapsed().as_secs_f64()
        ));
    }
    println!(
        "LM corpus (scale {}): {}; {:.1} s in all",
        scale(),
        report.join(", "),
        t0.elapsed().as_secs_f64()
    );
}
