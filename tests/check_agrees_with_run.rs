//! `proxmo check` and `proxmo run` agree: every pipeline below either passes both (run with
//! small settings, exit 0) or is refused by both with exit 2 and a located message before
//! anything runs. None passes `check` and then fails `run` on its wiring, parameters or
//! output paths.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn proxmo(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_proxmo"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("proxmo runs")
}

fn example_rows() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("pipelines/data/example.jsonl")
        .display()
        .to_string()
}

/// Small stages every case may use.
fn library() -> String {
    format!(
        r#"
stage rows     = source.jsonl {{ path = "{rows}" }}
stage alf      = env.alfworld {{ split = "train", group_size = 2, max_steps = 5 }}
stage shop     = env.webshop {{ group_size = 2, max_steps = 4, products = 50 }}
stage play     = rollout.group {{ tasks = 2 }}
stage learner  = rollout.group {{ tasks = 2, policy = policy.linear {{ features_log2 = 10 }} }}
stage proxmo   = advantage.proxmo {{ }}
stage grpo     = advantage.grpo {{ }}
stage rloo     = advantage.rloo {{ }}
stage gigpo    = advantage.gigpo {{ }}
stage learn    = update.pg {{ }}
stage out      = sink.jsonl {{ path = "out.jsonl" }}
stage metrics  = sink.metrics {{ path = "metrics.jsonl" }}
"#,
        rows = example_rows()
    )
}

/// (name, pipeline text after the library, accepted?)
fn cases() -> Vec<(&'static str, &'static str, bool)> {
    vec![
        ("source to proxmo to rows", "pipeline p { rows -> proxmo -> out }", true),
        ("source to grpo to metrics", "pipeline p { rows -> grpo -> metrics }", true),
        ("source to rloo to both sinks", "pipeline p { rows -> rloo -> out -> metrics }", true),
        ("source to gigpo", "pipeline p { rows -> gigpo -> out }", true),
        ("source to proxmo, no sink", "pipeline p { rows -> proxmo }", true),
        ("alfworld random", "pipeline p { alf -> play -> proxmo -> metrics\n iterations = 2 }", true),
        ("webshop random", "pipeline p { shop -> play -> grpo -> out }", true),
        (
            "alfworld trained and evaluated",
            "stage small = env.alfworld { split = \"valid_seen\", group_size = 2, max_steps = 3 }\n\
             pipeline p { small -> learner -> proxmo -> learn -> metrics\n iterations = 2\n eval_every = 2 }",
            true,
        ),
        (
            "update saving weights",
            "stage keep = update.pg { save = \"w.bin\" }\npipeline p { alf -> learner -> gigpo -> keep }",
            true,
        ),
        (
            "checkpointed run",
            "pipeline p { alf -> play -> proxmo -> out -> metrics\n iterations = 2\n checkpoint = \"state\" }",
            true,
        ),
        ("env, rollout, sink: no advantage", "pipeline p { alf -> play -> out }", false),
        ("update after a source", "pipeline p { rows -> grpo -> learn }", false),
        ("source straight to a sink", "pipeline p { rows -> out }", false),
        (
            "an eval split that does not exist",
            "pipeline p { alf -> learner -> proxmo -> learn\n eval_every = 1\n eval_split = \"bogus\" }",
            false,
        ),
        (
            "another env's split",
            "pipeline p { shop -> play -> proxmo\n eval_every = 1\n eval_split = \"valid_unseen\" }",
            false,
        ),
        (
            "numbers where strings belong",
            "stage odd = rollout.group { policy = policy.random { exclude = [1, 2] } }\npipeline p { alf -> odd -> proxmo }",
            false,
        ),
        ("an empty sink path", "stage e = sink.jsonl { path = \"\" }\npipeline p { rows -> proxmo -> e }", false),
        ("a directory as sink path", "stage e = sink.jsonl { path = \"/\" }\npipeline p { rows -> proxmo -> e }", false),
        (
            "a sink in a missing directory",
            "stage e = sink.metrics { path = \"no/such/dir/m.jsonl\" }\npipeline p { rows -> proxmo -> e }",
            false,
        ),
        ("an update of an untrainable policy", "pipeline p { alf -> play -> proxmo -> learn }", false),
        ("a source read three times", "pipeline p { rows -> proxmo -> out\n iterations = 3 }", false),
        ("evaluating a source", "pipeline p { rows -> proxmo -> out\n eval_every = 1 }", false),
        (
            "two sinks on one path",
            "stage again = sink.metrics { path = \"./out.jsonl\" }\npipeline p { rows -> proxmo -> out -> again }",
            false,
        ),
        (
            "a missing input file",
            "stage gone = source.jsonl { path = \"no-such-rows.jsonl\" }\npipeline p { gone -> proxmo -> out }",
            false,
        ),
        ("an env nobody plays", "pipeline p { alf }", false),
        (
            "batches larger than allowed",
            "pipeline p { alf -> play -> proxmo\n max_batch_rows = 10 }",
            false,
        ),
        (
            "a checkpoint that is a file",
            "pipeline p { alf -> play -> proxmo\n checkpoint = \"ckpt-file\" }",
            false,
        ),
        (
            "a bridge config that is not JSON",
            "stage far = env.bridge { command = \"python3 -c pass\", config = \"{nope\" }\npipeline p { far -> play -> proxmo }",
            false,
        ),
        (
            "a bridge without a command",
            "stage far = env.bridge { command = \"\" }\npipeline p { far -> play -> proxmo }",
            false,
        ),
        (
            "weights saved into a directory",
            "stage keep = update.pg { save = \"/tmp\" }\npipeline p { alf -> learner -> proxmo -> keep }",
            false,
        ),
        (
            "weights that do not exist",
            "stage warm = rollout.group { policy = policy.linear { weights = \"nope.bin\" } }\npipeline p { alf -> warm -> proxmo }",
            false,
        ),
        (
            "an unknown split among eval_splits",
            "pipeline p { alf -> learner -> proxmo -> learn\n eval_every = 1\n eval_splits = [\"valid_seen\", \"nope\"] }",
            false,
        ),
        (
            "a policy in the chain",
            "stage pol = policy.random { }\npipeline p { pol -> proxmo }",
            false,
        ),
    ]
}

fn case_dir(i: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("proxmo-check-run-{}-{i}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ckpt-file"), "not a directory").unwrap();
    dir
}

#[test]
fn check_and_run_agree_on_every_pipeline() {
    let cases = cases();
    assert!(cases.len() >= 25);
    for (i, (name, text, accepted)) in cases.into_iter().enumerate() {
        let dir = case_dir(i);
        std::fs::write(dir.join("case.pipe"), format!("{}\n{text}\n", library())).unwrap();
        let check = proxmo(&["check", "case.pipe"], &dir);
        let run = proxmo(&["run", "case.pipe", "--quiet"], &dir);
        let (check_err, run_err) = (
            String::from_utf8_lossy(&check.stderr),
            String::from_utf8_lossy(&run.stderr),
        );
        if accepted {
            assert_eq!(
                check.status.code(),
                Some(0),
                "{name}: check said\n{check_err}"
            );
            assert_eq!(run.status.code(), Some(0), "{name}: run said\n{run_err}");
        } else {
            assert_eq!(
                check.status.code(),
                Some(2),
                "{name}: check said\n{check_err}"
            );
            assert!(
                check_err.contains("--> case.pipe:"),
                "{name}: no location in\n{check_err}"
            );
            assert_eq!(run.status.code(), Some(2), "{name}: run said\n{run_err}");
            assert_eq!(check_err, run_err, "{name}: run refuses as check does");
            for output in ["out.jsonl", "metrics.jsonl", "w.bin", "state"] {
                assert!(!dir.join(output).exists(), "{name}: {output} was written");
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// `eval_splits` evaluates several splits after the same batch, each under its own prefix.
#[test]
fn several_evaluation_splits_are_reported_side_by_side() {
    let dir = case_dir(999);
    let text = "stage small = env.alfworld { split = \"train\", group_size = 2, max_steps = 3 }\n\
         pipeline p { small -> learner -> proxmo -> learn -> metrics\n iterations = 1\n eval_every = 1\n \
         eval_split = \"valid_unseen\"\n eval_splits = [\"valid_seen\"] }";
    std::fs::write(dir.join("case.pipe"), format!("{}\n{text}\n", library())).unwrap();
    let run = proxmo(&["run", "case.pipe", "--quiet"], &dir);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let line = std::fs::read_to_string(dir.join("metrics.jsonl")).unwrap();
    let record: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    assert_eq!(record["eval_episodes"], 134, "valid_unseen has 134 tasks");
    assert_eq!(
        record["eval_valid_seen_episodes"], 140,
        "valid_seen has 140 tasks"
    );
    assert!(record["eval_valid_seen_success_rate"].is_number());
    let _ = std::fs::remove_dir_all(&dir);
}
