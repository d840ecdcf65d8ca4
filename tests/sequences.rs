//! `default` and `sequence` through the binary (docs/pipe-language.md, "Which pipeline runs"
//! and "Sequences"): which pipeline `proxmo run FILE` picks, and pipelines run one after
//! another, a later step reading what an earlier one saved. Cheap policies only: the linear
//! policy trains in seconds, and its saved weights stand in for a saved model.

mod common;

use common::{temp_dir, text};
use std::path::Path;
use std::process::{Command, Output};

/// `proxmo ARGS` run in `dir`, where the test's `.pipe` files and outputs live.
fn proxmo_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_proxmo"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the proxmo binary runs")
}

/// A directory holding `files` (name, text) and a copy of the shipped example rows.
fn scratch(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = temp_dir(name);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let _ = std::fs::remove_file(entry.unwrap().path());
    }
    std::fs::copy("pipelines/data/example.jsonl", dir.join("rows.jsonl")).unwrap();
    for (file, body) in files {
        std::fs::write(dir.join(file), body).unwrap();
    }
    dir
}

const TWO_ADVANTAGE_PIPELINES: &str = r#"stage source = source.jsonl { path = "rows.jsonl" }
stage grpo = advantage.grpo { }
stage rloo = advantage.rloo { }
stage out_grpo = sink.jsonl { path = "grpo.jsonl" }
stage out_rloo = sink.jsonl { path = "rloo.jsonl" }
"#;

#[test]
fn run_without_pipeline_runs_the_default_and_pipeline_still_picks_another() {
    let file = format!(
        "{TWO_ADVANTAGE_PIPELINES}pipeline grpo_run {{ source -> grpo -> out_grpo }}\ndefault pipeline rloo_run {{ source -> rloo -> out_rloo }}\n"
    );
    let dir = scratch("default", &[("p.pipe", &file)]);
    let out = proxmo_in(&dir, &["run", "p.pipe"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("done: pipeline `rloo_run`"));
    assert!(dir.join("rloo.jsonl").exists() && !dir.join("grpo.jsonl").exists());

    let out = proxmo_in(&dir, &["run", "p.pipe", "--pipeline", "grpo_run", "-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(dir.join("grpo.jsonl").exists());

    // Commands that look at every pipeline still see both.
    let out = proxmo_in(&dir, &["check", "p.pipe"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("grpo_run (3 stages), rloo_run (3 stages)"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn several_pipelines_and_no_default_is_refused_with_the_names_and_the_fix() {
    let file = format!(
        "{TWO_ADVANTAGE_PIPELINES}\npipeline grpo_run {{ source -> grpo -> out_grpo }}\npipeline rloo_run {{ source -> rloo -> out_rloo }}\n"
    );
    let dir = scratch("no-default", &[("p.pipe", &file)]);
    let out = proxmo_in(&dir, &["run", "p.pipe"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("the file declares 2 pipelines and marks none as the default")
            && err.contains("p.pipe:7:1")
            && err.contains("--pipeline NAME (`grpo_run`, `rloo_run`)")
            && err.contains("`default pipeline grpo_run { ... }`"),
        "{err}"
    );
    assert!(!dir.join("grpo.jsonl").exists() && !dir.join("rloo.jsonl").exists());
}

#[test]
fn a_default_in_an_imported_file_is_not_the_importing_files_default() {
    let lib = format!(
        "{TWO_ADVANTAGE_PIPELINES}default pipeline lib_default {{ source -> grpo -> out_grpo }}\n"
    );
    let two = "import \"lib.pipe\"\npipeline a { source -> rloo -> out_rloo }\npipeline b { source -> grpo -> out_grpo }\n";
    let none = "import \"lib.pipe\"\n";
    let one = "import \"lib.pipe\"\npipeline mine { source -> rloo -> out_rloo }\n";
    let dir = scratch(
        "imported-default",
        &[
            ("lib.pipe", &lib),
            ("two.pipe", two),
            ("none.pipe", none),
            ("one.pipe", one),
        ],
    );
    let out = proxmo_in(&dir, &["run", "two.pipe"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("marks none as the default"),
        "{}",
        text(&out.stderr)
    );

    let out = proxmo_in(&dir, &["run", "none.pipe"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("declares no pipeline") && err.contains("--pipeline lib_default"),
        "{err}"
    );

    // The root file's only pipeline runs, whatever its imports mark.
    let out = proxmo_in(&dir, &["run", "one.pipe"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("done: pipeline `mine`"));
    // The imported file run on its own has its default.
    let out = proxmo_in(&dir, &["run", "lib.pipe", "-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// Trains the linear policy on ALFWorld and saves its weights; then a second pipeline plays
/// a policy that starts from them. The weights do not exist until the first step has run.
const TRAIN_THEN_EVALUATE: &str = r#"stage env = env.alfworld { split = "train" }
stage learner = policy.linear { }
stage play = rollout.group { tasks = 16, policy = learner }
stage credit = advantage.proxmo { }
stage learn = update.pg { save = "w.bin" }
stage train_metrics = sink.metrics { path = "train.jsonl" }

stage trained = policy.linear { }
stage replay = rollout.group { tasks = 1, policy = trained }
stage replay_metrics = sink.metrics { path = "eval.jsonl" }

pipeline train { env -> play -> credit -> learn -> train_metrics; iterations = 25 }
pipeline evaluate {
    env -> replay -> credit -> replay_metrics
    eval_every = 1; eval_split = "valid_unseen"
}
"#;

fn last_record(path: &Path) -> serde_json::Value {
    let body = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(body.lines().last().unwrap()).unwrap()
}

#[test]
fn a_sequence_runs_its_steps_in_order_and_a_step_reads_what_an_earlier_one_saved() {
    let file = format!(
        "{TRAIN_THEN_EVALUATE}\ndefault sequence both {{\n    train\n    evaluate {{ trained.weights = train.learn.save }}\n}}\n"
    );
    let dir = scratch("sequence", &[("p.pipe", &file)]);
    // Checked before anything exists: the weights are an input, checked when its step starts.
    let out = proxmo_in(&dir, &["check", "p.pipe"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("sequence both (train, evaluate)"));
    assert!(!dir.join("w.bin").exists());

    let out = proxmo_in(&dir, &["run", "p.pipe"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let first = err.find("step 1/2, pipeline `train`").expect(&err);
    let second = err
        .find("step 2/2, pipeline `evaluate`, with trained.weights = w.bin (train.learn.save)")
        .expect(&err);
    assert!(first < second && err.contains("done: sequence `both`: train then evaluate"));
    // The evaluation plays the trained weights: far above the uniform policy's 0.2 %.
    let success = last_record(&dir.join("eval.jsonl"))["eval_success_rate"]
        .as_f64()
        .unwrap();
    assert!(success > 0.03, "evaluated success {success}");
}

#[test]
fn set_reaches_every_step_and_a_steps_own_set_wins() {
    let file = format!(
        "{TRAIN_THEN_EVALUATE}\nsequence both {{\n    train {{ iterations = 2 }}\n    evaluate {{ trained.weights = train.learn.save }}\n}}\n"
    );
    let dir = scratch("sequence-sets", &[("p.pipe", &file)]);
    let out = proxmo_in(
        &dir,
        &[
            "check",
            "p.pipe",
            "--pipeline",
            "both",
            "--resolved",
            "--set",
            "seed=3",
            "--set",
            "iterations=7",
            "--set",
            "trained.weights=elsewhere.bin",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let yaml: serde_yaml::Value = serde_yaml::from_slice(&out.stdout).unwrap();
    let steps = &yaml[0]["steps"];
    let settings = |i: usize| &steps[i]["pipeline"]["settings"];
    assert_eq!(settings(0)["seed"].as_i64(), Some(3));
    assert_eq!(settings(1)["seed"].as_i64(), Some(3));
    assert_eq!(
        settings(0)["iterations"].as_i64(),
        Some(2),
        "the step's own set"
    );
    assert_eq!(
        settings(1)["iterations"].as_i64(),
        Some(7),
        "the command line's"
    );
    let policy = &steps[1]["pipeline"]["stages"][1]["params"]["policy"];
    assert_eq!(policy["params"]["weights"].as_str(), Some("w.bin"));
    assert_eq!(
        steps[1]["inputs"][0]["from"].as_str(),
        Some("train.learn.save")
    );
}

#[test]
fn a_step_that_cannot_use_an_earlier_output_fails_when_it_starts_and_keeps_the_rest() {
    // A metrics file is no weights file: only the step reading it can tell.
    let file = format!(
        "{TRAIN_THEN_EVALUATE}\ndefault sequence both {{\n    train {{ iterations = 1 }}\n    evaluate {{ trained.weights = train.train_metrics.path }}\n}}\n"
    );
    let dir = scratch("sequence-fails", &[("p.pipe", &file)]);
    let out = proxmo_in(&dir, &["check", "p.pipe"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = proxmo_in(&dir, &["run", "p.pipe", "-q"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("not a policy.linear weights file")
            && err.contains(
                "step 2/2 (`evaluate`) of sequence `both` failed; what steps train wrote is kept"
            ),
        "{err}"
    );
    assert!(dir.join("train.jsonl").exists() && !dir.join("eval.jsonl").exists());
}

#[test]
fn two_steps_writing_one_file_and_resuming_a_sequence_are_refused() {
    let file = format!(
        "{TWO_ADVANTAGE_PIPELINES}pipeline a {{ source -> grpo -> out_grpo }}\npipeline b {{ source -> rloo -> out_rloo }}\ndefault sequence both {{ a; b {{ out_rloo.path = \"grpo.jsonl\" }} }}\n"
    );
    let dir = scratch("sequence-collide", &[("p.pipe", &file)]);
    let out = proxmo_in(&dir, &["check", "p.pipe"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("step `b` of sequence `both` writes grpo.jsonl (`out_rloo`), which step `a` writes too (`out_grpo`)")
            && err.contains("p.pipe:8:48"),
        "{err}"
    );

    let file = file.replace(r#"out_rloo.path = "grpo.jsonl""#, "seed = 1");
    std::fs::write(dir.join("p.pipe"), file).unwrap();
    let out = proxmo_in(&dir, &["run", "p.pipe", "--resume"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .contains("--resume continues one pipeline, and `both` is a sequence (a, b)"),
        "{}",
        text(&out.stderr)
    );
    let out = proxmo_in(&dir, &["bench", "iteration", "p.pipe"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("name one of its steps with --pipeline: a, b"));
}

/// `proxmo run pipelines/alfworld_lm.pipe` (and webshop_lm.pipe) runs the warm start, then
/// ProxMO PPO from the model it saves; checked here without torch, before that model exists.
#[test]
fn the_lm_files_run_their_warm_start_then_ppo_by_default() {
    use proxmo::dsl::{load_checked, Selection};
    use proxmo::stage::{Runnable, Value};
    for (file, model) in [
        ("pipelines/alfworld_lm.pipe", "models/small-sft"),
        ("pipelines/webshop_lm.pipe", "models/small-webshop-sft"),
    ] {
        let plan = |r: &Runnable| match r {
            Runnable::Pipeline(p) => proxmo::run::plan(p).err().unwrap_or_default(),
            Runnable::Sequence(s) => proxmo::run::sequence::check(s),
        };
        let program = load_checked(Path::new(file), Selection::One(None), &[], plan)
            .unwrap_or_else(|d| panic!("{file}: {}", d.render()));
        let Runnable::Sequence(seq) = &program.runnables[0] else {
            panic!("{file}: the default is not a sequence");
        };
        let steps: Vec<&str> = seq.steps.iter().map(|s| s.pipeline.name.as_str()).collect();
        assert_eq!(steps, ["sft", "proxmo"], "{file}");
        let policy = seq.steps[1].pipeline.stages[1].params.get("policy");
        let Some(Value::Stage(lm)) = policy else {
            panic!("{file}: {policy:?}");
        };
        assert_eq!(
            lm.params.get("model"),
            Some(&Value::Str(model.into())),
            "{file}"
        );
        assert_eq!(seq.steps[1].inputs[0].from, "sft.warm_start.save");
    }
}
