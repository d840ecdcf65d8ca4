//! `pipelines/alfworld_lm.pipe` end to end with the tiny model: the model worker generates,
//! proxmo projects and credits, `update.ppo` trains, the run evaluates, writes metrics and
//! checkpoints; a run stopped after one batch and resumed gives the uninterrupted run's
//! metrics (timings aside): sampling is seeded from the run's random stream and the worker's
//! checkpoint holds the weights and the AdamW state.
//!
//! Needs Python with torch and transformers (`PROXMO_PYTHON`, default `python3`) and the tiny
//! model (`PROXMO_TINY_MODEL`, made by `python -m proxmo_worker.build_model`). Missing pieces print
//! "skipped" and pass, unless `PROXMO_REQUIRE_LM_TESTS=1` (CI), which makes them failures.

use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> String {
    std::env::var("PROXMO_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// The tiny model and a Python that runs the worker, or why not.
fn setup() -> Result<PathBuf, String> {
    let model = std::env::var("PROXMO_TINY_MODEL")
        .map(PathBuf::from)
        .map_err(|_| "PROXMO_TINY_MODEL is not set".to_string())?;
    if !model.join("tokenizer.json").is_file() {
        return Err(format!("{} holds no tokenizer.json", model.display()));
    }
    let ok = Command::new(python())
        .args(["-c", "import torch, transformers, proxmo_worker"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    match ok {
        true => Ok(model),
        false => Err(format!(
            "{} cannot import torch, transformers and proxmo_worker (`pip install ./python`)",
            python()
        )),
    }
}

fn model_or_skip() -> Option<PathBuf> {
    match setup() {
        Ok(m) => Some(m),
        Err(reason) if std::env::var("PROXMO_REQUIRE_LM_TESTS").as_deref() == Ok("1") => {
            panic!("PROXMO_REQUIRE_LM_TESTS=1 but {reason}")
        }
        Err(reason) => {
            println!("skipped: {reason}");
            None
        }
    }
}

/// The `--set` values that point policy.lm at `model` and this Python (with proxmo's package
/// installed, so the default worker module `proxmo_worker` starts).
fn worker_sets(model: &Path) -> [String; 2] {
    [
        format!("lm.model={}", model.display()),
        format!("lm.python={}", python()),
    ]
}

/// `--set` for each of `sets`, as command-line arguments.
fn set_args(sets: &[String]) -> Vec<String> {
    sets.iter()
        .flat_map(|s| ["--set".to_string(), s.clone()])
        .collect()
}

/// Runs the ProxMO pipeline of alfworld_lm.pipe, small, in `dir`; returns the exit code and
/// the output.
fn run(dir: &Path, model: &Path, extra: &[&str]) -> (i32, String) {
    let pipe = repo().join("pipelines/alfworld_lm.pipe");
    let mut sets = worker_sets(model).to_vec();
    sets.extend(
        [
            "lm.max_new_tokens=8",
            // The paper's prompt (the pipeline's default is the compact one): longer than
            // the budget, so truncation is exercised.
            "lm.prompt_format=paper",
            "lm.max_prompt_tokens=256",
            "env.max_steps=2",
            "eval_every=2",
            "checkpoint=ck",
        ]
        .map(String::from),
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_proxmo"));
    cmd.current_dir(dir)
        .arg("run")
        .arg(&pipe)
        .args(["--pipeline", "proxmo"]);
    cmd.args(set_args(&sets));
    let out = cmd.args(extra).output().expect("proxmo runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn metrics(dir: &Path) -> Vec<Map<String, Value>> {
    let text = std::fs::read_to_string(dir.join("alfworld_lm.proxmo.metrics.jsonl")).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Drops what depends on the clock.
fn without_timings(m: Map<String, Value>) -> Map<String, Value> {
    m.into_iter()
        .filter(|(k, _)| !proxmo::metrics::is_timing_field(k))
        .collect()
}

/// Without the evaluation's fields (and `evaluated_after`, which marks a line that has them).
fn without_eval(m: Map<String, Value>) -> Map<String, Value> {
    m.into_iter()
        .filter(|(k, _)| !k.starts_with("eval_") && k != "evaluated_after")
        .collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("lm_pipeline")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn alfworld_lm_trains_evaluates_checkpoints_and_resumes_exactly() {
    let Some(model) = model_or_skip() else { return };

    let whole = scratch("whole");
    let (code, out) = run(&whole, &model, &["--set", "iterations=2"]);
    assert_eq!(code, 0, "{out}");
    let full = metrics(&whole);
    assert_eq!(full.len(), 2, "{out}");
    for m in &full {
        // Generated, projected, credited, trained by PPO in the worker.
        assert_eq!(m["episodes"], 8, "2 tasks x 4 rollouts");
        for key in [
            "loss",
            "pg_clipfrac",
            "ppo_kl",
            "kl_ref",
            "entropy",
            "grad_norm",
        ] {
            assert!(m[key].as_f64().is_some_and(f64::is_finite), "{key}: {m:?}");
        }
        assert_eq!(m["stepped"], 1.0);
        assert!(m["tokens"].as_f64().unwrap() > 0.0);
        let mean = m["response_length_mean"].as_f64().unwrap();
        let max = m["response_length_max"].as_f64().unwrap();
        assert!(0.0 < mean && mean <= max && max <= 8.0, "{m:?}");
        let padding = m["padding_share"].as_f64().unwrap();
        assert!((0.0..1.0).contains(&padding));
        let invalid = m["invalid_action_share"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&invalid));
        // 256-token prompts are shorter than ALFWorld's: every prompt was cut.
        assert_eq!(m["truncated_prompts"].as_f64(), m["rows"].as_f64(), "{m:?}");
        // The batch's time: the worker's parts and proxmo's own add up to the whole.
        let part = |k: &str| m[k].as_f64().unwrap();
        assert!(part("worker_generate_seconds") > 0.0 && part("worker_train_seconds") > 0.0);
        let parts = part("worker_generate_seconds")
            + part("worker_train_seconds")
            + part("worker_other_seconds")
            + part("proxmo_seconds");
        assert!((parts - part("batch_seconds")).abs() < 1e-9, "{m:?}");
    }
    // The first step starts at the reference: no KL yet; the second has moved.
    assert_eq!(full[0]["kl_ref"], 0.0);
    // Evaluated on every valid_unseen task after the last batch.
    assert_eq!(full[1]["eval_episodes"], 134, "{:?}", full[1]);
    assert!(whole.join("ck/state.json").is_file());

    // One batch, then resumed to two.
    let split = scratch("split");
    let (code, out) = run(&split, &model, &["--set", "iterations=1"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(&split, &model, &["--set", "iterations=2", "--resume"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("resuming"), "{out}");
    let resumed = metrics(&split);
    assert_eq!(resumed.len(), 2);
    // The one-batch run evaluated after its last batch; the whole run did not at batch 1.
    assert_eq!(
        without_eval(without_timings(resumed[0].clone())),
        without_timings(full[0].clone())
    );
    assert_eq!(
        without_timings(resumed[1].clone()),
        without_timings(full[1].clone())
    );
}

#[test]
fn bench_iteration_splits_each_batch_between_the_worker_and_proxmo() {
    let Some(model) = model_or_skip() else { return };
    let dir = scratch("bench");
    let out = Command::new(env!("CARGO_BIN_EXE_proxmo"))
        .current_dir(&dir)
        .args(["bench", "iteration"])
        .arg(repo().join("pipelines/alfworld_lm.pipe"))
        .args([
            "--pipeline",
            "grpo",
            "--set",
            "iterations=2",
            "--set",
            "eval_every=0",
        ])
        .args(["--set", "env.max_steps=2", "--set", "lm.max_new_tokens=4"])
        .args(set_args(&worker_sets(&model)))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect())
        .filter(|w: &Vec<&str>| matches!(w.first(), Some(&"1" | &"2" | &"all")))
        .collect();
    assert_eq!(rows.len(), 3, "{text}");
    for w in &rows {
        let x: Vec<f64> = w[1..7].iter().map(|v| v.parse().unwrap()).collect();
        // total = generate + train + other + proxmo (printed to a millisecond).
        assert!((x[0] - x[1] - x[2] - x[3] - x[5]).abs() < 0.003, "{text}");
        assert!(w[7].ends_with('%'), "{text}");
    }
}

#[test]
fn bench_iteration_refuses_a_pipeline_without_a_model_worker() {
    let dir = scratch("bench-linear");
    let out = Command::new(env!("CARGO_BIN_EXE_proxmo"))
        .current_dir(&dir)
        .args(["bench", "iteration"])
        .arg(repo().join("pipelines/train_alfworld.pipe"))
        .args([
            "--pipeline",
            "proxmo",
            "--set",
            "iterations=1",
            "--set",
            "eval_every=0",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("no model worker"), "{text}");
    // Refused before running: no batch was played or written.
    assert!(
        !dir.join("train_alfworld.proxmo.metrics.jsonl").exists(),
        "{text}"
    );
}

#[test]
fn update_ppo_refuses_a_policy_it_cannot_train() {
    let dir = scratch("refuse");
    let pipe = dir.join("bad.pipe");
    std::fs::write(
        &pipe,
        "stage env = env.alfworld { }\n\
         stage play = rollout.group { tasks = 2, policy = policy.random { } }\n\
         stage credit = advantage.grpo { }\n\
         stage ppo = update.ppo { }\n\
         pipeline p { env -> play -> credit -> ppo }\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_proxmo"))
        .arg("check")
        .arg(&pipe)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("policy.lm"), "{text}");
}

#[test]
fn a_missing_model_directory_is_refused_at_check() {
    let dir = scratch("missing");
    let out = Command::new(env!("CARGO_BIN_EXE_proxmo"))
        .current_dir(&dir)
        .arg("check")
        .arg(repo().join("pipelines/alfworld_lm.pipe"))
        .args(["--set", "lm.model=no/such/model"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("model") && text.contains("neither a model directory nor a preset"),
        "{text}"
    );
}

#[test]
fn sft_on_expert_demonstrations_saves_a_model_ppo_starts_from() {
    let Some(model) = model_or_skip() else { return };
    let dir = scratch("sft");
    std::fs::create_dir_all(dir.join("models")).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_proxmo"));
    cmd.current_dir(&dir)
        .arg("run")
        .arg(repo().join("pipelines/alfworld_lm.pipe"))
        .args([
            "--pipeline",
            "sft",
            "--set",
            "iterations=2",
            "--set",
            "demos.tasks=2",
            // An evaluation of all 134 valid_unseen tasks would triple the test's time.
            "--set",
            "eval_every=0",
        ])
        .args(set_args(&worker_sets(&model)))
        .args(["--set", "lm.lr=0.001"]);
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let m: Vec<Map<String, Value>> =
        std::fs::read_to_string(dir.join("alfworld_lm.sft.metrics.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    assert_eq!(m.len(), 2);
    // The expert's actions, in the answer format: every row valid, episodes won.
    for row in &m {
        assert_eq!(row["invalid_action_share"].as_f64(), Some(0.0));
        assert!(row["success_rate"].as_f64().unwrap() > 0.0, "{row:?}");
    }
    // Cross-entropy on the demonstrations goes down.
    assert!(m[1]["loss"].as_f64() < m[0]["loss"].as_f64(), "{m:?}");
    // The saved directory is a model policy.lm starts from.
    let saved = dir.join("models/small-sft");
    assert!(saved.join("model.safetensors").is_file());
    let (code, out) = run(
        &dir,
        &saved,
        &["--set", "iterations=1", "--set", "eval_every=0"],
    );
    assert_eq!(code, 0, "{out}");
}

/// `proxmo check` on alfworld_lm.pipe's sft pipeline with these `--set`s: exit code, stderr.
fn check_sft(sets: &[String]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_proxmo"))
        .current_dir(repo())
        .args(["check", "pipelines/alfworld_lm.pipe", "--pipeline", "sft"])
        .args(set_args(sets))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_refuses_values_the_worker_would_refuse() {
    for (set, names) in [
        ("lm.clip_low=1", "clip_low"),
        ("lm.lr=1e300", "lr"),
        ("lm.device=tpu", "not a torch device"),
        ("lm.device=cuda:x", "not a torch device"),
        (
            "lm.prompt_format=paper lm.local_actions=true",
            "local_actions",
        ),
    ] {
        let sets: Vec<String> = set.split(' ').map(String::from).collect();
        let (code, text) = check_sft(&sets);
        assert_eq!(code, 2, "{set}: {text}");
        assert!(text.contains(names), "{set}: {text}");
    }
    let (code, text) = check_sft(&["lm.device=cuda:1".to_string()]);
    assert_eq!(code, 0, "{text}");
}

#[test]
fn check_refuses_unknown_presets_incomplete_models_and_a_budget_below_the_template() {
    let (code, text) = check_sft(&["lm.model=large".to_string()]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("neither a model directory nor a preset"),
        "{text}"
    );
    assert!(text.contains("tiny, small, medium"), "{text}");

    let dir = scratch("no_tokenizer");
    std::fs::write(dir.join("config.json"), "{}").unwrap();
    let (code, text) = check_sft(&[format!("lm.model={}", dir.display())]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("tokenizer.json"), "{text}");

    let Some(model) = model_or_skip() else { return };
    let no_template = scratch("no_template");
    for f in ["config.json", "tokenizer.json"] {
        std::fs::copy(model.join(f), no_template.join(f)).unwrap();
    }
    let (code, text) = check_sft(&[format!("lm.model={}", no_template.display())]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("no chat template"), "{text}");

    // A truncated config.json or weights file: refused at check, as run would refuse it.
    let files = [
        "config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "chat_template.jinja",
        "model.safetensors",
    ];
    for (broken, keep) in [
        ("config.json", 10),
        ("model.safetensors", 4),
        ("model.safetensors", 5000),
    ] {
        let dir = scratch(&format!("truncated_{broken}_{keep}"));
        for f in files {
            if model.join(f).is_file() {
                std::fs::copy(model.join(f), dir.join(f)).unwrap();
            }
        }
        let bytes = std::fs::read(dir.join(broken)).unwrap();
        std::fs::write(dir.join(broken), &bytes[..keep]).unwrap();
        let (code, text) = check_sft(&[format!("lm.model={}", dir.display())]);
        assert_eq!(code, 2, "{broken} cut to {keep} bytes: {text}");
        assert!(
            text.contains(broken) && text.contains("truncated"),
            "{text}"
        );
    }

    let (code, text) = check_sft(&[
        format!("lm.model={}", model.display()),
        "lm.max_prompt_tokens=8".to_string(),
    ]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("max_prompt_tokens") && text.contains("system prompt"),
        "{text}"
    );
}

#[test]
fn a_preset_is_built_on_first_use_cached_and_warm_started_on_compact_prompts() {
    let Some(_) = model_or_skip() else { return };
    let dir = scratch("preset");
    let cache = dir.join("cache");
    let sft = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_proxmo"))
            .current_dir(&dir)
            .env("PROXMO_CACHE", &cache)
            .arg("run")
            .arg(repo().join("pipelines/alfworld_lm.pipe"))
            .args(["--pipeline", "sft", "--set", "lm.model=tiny"])
            .args(["--set", &format!("lm.python={}", python())])
            .args([
                "--set",
                "iterations=1",
                "--set",
                "demos.tasks=2",
                "--set",
                "eval_every=0",
            ])
            .args(["--set", "warm_start.save=sft"])
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, text) = sft(&[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("building model preset `tiny`"), "{text}");
    // Named by a digest of what it was built from: the one `tiny-seed0-` directory.
    let built: Vec<_> = std::fs::read_dir(cache.join("models"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("tiny-seed0-")
        })
        .collect();
    assert_eq!(built.len(), 1, "{built:?}");
    let built = &built[0];
    for f in [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "chat_template.jinja",
    ] {
        assert!(built.join(f).is_file(), "{f}");
    }
    let weights = std::fs::read(built.join("model.safetensors")).unwrap();
    // Used again: the cache, not a second build.
    let (code, text) = sft(&["--set", "warm_start.save=sft2"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains("building model preset"), "{text}");
    assert_eq!(
        std::fs::read(built.join("model.safetensors")).unwrap(),
        weights
    );
    let m = std::fs::read_to_string(dir.join("alfworld_lm.sft.metrics.jsonl")).unwrap();
    assert!(m.contains("\"loss\""), "{m}");
}

#[test]
fn dagger_plays_the_models_own_actions_and_keeps_the_experts_labels() {
    let Some(model) = model_or_skip() else { return };
    let demos = |share: &str| {
        let dir = scratch(&format!("dagger{share}"));
        std::fs::create_dir_all(dir.join("models")).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_proxmo"))
            .current_dir(&dir)
            .arg("run")
            .arg(repo().join("pipelines/alfworld_lm.pipe"))
            .args(["--pipeline", "sft", "--set", "iterations=1"])
            .args(["--set", "demos.tasks=2", "--set", "eval_every=0"])
            .args(["--set", "expert.teacher_noise=0"])
            .args(["--set", &format!("expert.learner_share={share}")])
            .args(set_args(&worker_sets(&model)))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{text}");
        let m = std::fs::read_to_string(dir.join("alfworld_lm.sft.metrics.jsonl")).unwrap();
        serde_json::from_str::<Map<String, Value>>(m.lines().next().unwrap()).unwrap()
    };
    let expert = demos("0");
    let learner = demos("1");
    // The expert alone never asks the model for an action and wins its tasks.
    assert_eq!(expert["worker_generate_seconds"].as_f64(), Some(0.0));
    let won = |m: &Map<String, Value>| m["success_rate"].as_f64().unwrap();
    assert!(won(&expert) > 0.0, "{expert:?}");
    // With every step the untrained model's, the worker generated and fewer tasks were won
    // (the run is seeded: both outcomes are fixed), yet there are expert answers to train on.
    assert!(learner["worker_generate_seconds"].as_f64().unwrap() > 0.0);
    assert!(won(&learner) < won(&expert), "{learner:?}");
    assert!(learner["loss"].as_f64().unwrap().is_finite(), "{learner:?}");
}

#[test]
fn check_refuses_a_save_directory_that_is_not_a_model() {
    let dir = scratch("victim");
    let victim = dir.join("victim");
    std::fs::create_dir_all(&victim).unwrap();
    std::fs::write(victim.join("precious.txt"), "precious").unwrap();
    let file = dir.join("a-file");
    std::fs::write(&file, "x").unwrap();
    for target in [&victim, &file] {
        let (code, text) = check_sft(&[format!("warm_start.save={}", target.display())]);
        assert_eq!(code, 2, "{text}");
        assert!(
            text.contains("save") && text.contains("new directory"),
            "{text}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(victim.join("precious.txt")).unwrap(),
        "precious"
    );
    // An empty directory, or none yet, is where a first save goes.
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    for target in [empty, dir.join("absent")] {
        let (code, text) = check_sft(&[format!("warm_start.save={}", target.display())]);
        assert_eq!(code, 0, "{text}");
    }
}

/// The learning benchmark's script end to end, tiny: a warm start, then two methods on two
/// seeds from it, each evaluated before, during and after PPO, and the paired report; run
/// again, it finds every run done and only reports.
#[test]
fn the_learning_benchmark_script_warm_starts_compares_and_reports() {
    let Some(model) = model_or_skip() else { return };
    let dir = scratch("script");
    let script = |out: &Path| {
        let mut sets = worker_sets(&model)[1..].to_vec();
        sets.extend(
            [
                "env.max_steps=2",
                "lm.max_new_tokens=8",
                "demos.tasks=2",
                "expert.lr_decay_steps=8",
            ]
            .map(String::from),
        );
        Command::new("bash")
            .arg(repo().join("scripts/lm_learning.sh"))
            .arg(out)
            .args(["1", "2"])
            .args(set_args(&sets))
            .current_dir(repo())
            .env("PROXMO", env!("CARGO_BIN_EXE_proxmo"))
            .env("MODEL", &model)
            .env("SFT_ITERATIONS", "1")
            .env("PPO_ITERATIONS", "2")
            .env("PPO_EVAL_EVERY", "1")
            .env("METHODS", "proxmo grpo")
            .output()
            .unwrap()
    };
    let out = script(&dir);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(dir.join("sft/model.safetensors").is_file(), "{text}");
    for method in ["proxmo", "grpo"] {
        for seed in [1, 2] {
            let file = dir.join(format!("{method}.{seed}.metrics.jsonl"));
            let lines = std::fs::read_to_string(&file).unwrap();
            let evaluated: Vec<u64> = lines
                .lines()
                .map(|l| serde_json::from_str::<Map<String, Value>>(l).unwrap())
                .filter_map(|m| m.get("evaluated_after")?.as_u64())
                .collect();
            assert_eq!(evaluated, [0, 1, 2], "{}", file.display());
        }
    }
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("| proxmo |") && report.contains("| grpo |"),
        "{report}"
    );
    let again = script(&dir);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&again.stdout),
        report,
        "a rerun reports the same runs"
    );
}
