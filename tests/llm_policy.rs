//! `policy.command`: rollouts driven by an external model process. The process here is
//! python/examples/scripted_policy.py, a scripted stand-in that answers in the paper's format: it
//! checks the protocol, the prompts proxmo builds, the projection of responses and the
//! validity flags, not a model.

mod common;

use common::{temp_dir, text};
use serde_json::Value;
use std::process::{Command, Output};

/// Writes a pipeline with `env` and a command policy, runs it, returns (output, rows).
fn run(name: &str, env: &str, command: &str) -> (Output, Vec<Value>) {
    let dir = temp_dir(name);
    let rows = dir.join("rows.jsonl");
    let pipe = dir.join("p.pipe");
    std::fs::write(
        &pipe,
        format!(
            "stage env = {env}\n\
             stage rollout = rollout.group {{ tasks = 2, policy = policy.command {{ command = \"{command}\", timeout_s = 30 }} }}\n\
             stage credit = advantage.proxmo {{ }}\n\
             stage rows = sink.jsonl {{ path = \"{}\" }}\n\
             pipeline p {{ env -> rollout -> credit -> rows }}\n",
            rows.display()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_proxmo"))
        .args(["run", pipe.to_str().unwrap(), "--quiet"])
        .output()
        .unwrap();
    let rows = std::fs::read_to_string(&rows)
        .map(|t| {
            t.lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        })
        .unwrap_or_default();
    (out, rows)
}

#[test]
fn alfworld_rollouts_carry_prompts_responses_and_validity() {
    let (out, rows) = run(
        "alf",
        "env.alfworld { group_size = 2, max_steps = 6 }",
        "python3 python/examples/scripted_policy.py --malformed-every 5",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(rows.len(), 2 * 2 * 6, "2 tasks x 2 rollouts x 6 steps");
    for r in &rows {
        let prompt = r["prompt"].as_str().unwrap();
        let response = r["response"].as_str().unwrap();
        let tagged = response.contains("<action>") && response.contains("<think>");
        assert_eq!(r["valid"].as_bool(), Some(tagged), "{response}");
        assert!(prompt.contains("ALFRED Embodied Environment"));
        if r["step"].as_u64() == Some(0) {
            assert!(!prompt.contains("Prior to this step"), "{prompt}");
        } else {
            assert!(prompt.contains("Your task is to: "), "{prompt}");
        }
        assert!(r["advantage"].as_f64().unwrap().is_finite());
    }
    let invalid = rows
        .iter()
        .filter(|r| r["valid"] == Value::Bool(false))
        .count();
    assert!(invalid > 0 && invalid < rows.len());
}

#[test]
fn webshop_prompts_list_actions_and_searches_go_through() {
    let (out, rows) = run(
        "web",
        "env.webshop { group_size = 2 }",
        "python3 python/examples/scripted_policy.py",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let first = rows.iter().find(|r| r["step"].as_u64() == Some(0)).unwrap();
    let prompt = first["prompt"].as_str().unwrap();
    assert!(
        prompt.contains("WebShop e\u{2011}commerce environment"),
        "{prompt}"
    );
    // verl-agent's listing: the search bar, then the page's clickables in page order.
    assert!(
        prompt.contains("[\n'search[<your query>]',\n'click[search]',\n]."),
        "{prompt}"
    );
    // The page parts after the instruction, quoted.
    assert!(
        prompt.contains("current observation is: 'Search'"),
        "{prompt}"
    );
    assert!(first["response"]
        .as_str()
        .unwrap()
        .contains("<action>search["));
    assert!(rows.iter().all(|r| r["valid"] == Value::Bool(true)));
}

#[test]
fn a_model_process_that_dies_is_named_in_the_error() {
    let (out, _) = run(
        "dead",
        "env.alfworld { }",
        "python3 -c 'import sys; sys.exit(4)'",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("policy.command") && err.contains("hello"),
        "{err}"
    );
}

#[test]
fn a_model_process_that_answers_wrongly_is_an_error() {
    let script = temp_dir("wrong").join("wrong.py");
    std::fs::write(
        &script,
        "import json, sys\n\
         for line in sys.stdin:\n\
         \x20   r = json.loads(line)\n\
         \x20   reply = {'id': r['id'], 'ok': True, 'protocol': 1} if r['op'] == 'hello' else {'id': r['id'], 'ok': True, 'responses': []}\n\
         \x20   print(json.dumps(reply), flush=True)\n",
    )
    .unwrap();
    let (out, _) = run(
        "wrong",
        "env.alfworld { }",
        &format!("python3 {}", script.display()),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("prompts but 0 responses"),
        "{}",
        text(&out.stderr)
    );
}

/// Evaluations ask the model process for the evaluation temperature (0.4 by default, as the
/// paper evaluates); training requests ask for none (the process's own sampling).
#[test]
fn evaluations_ask_for_the_evaluation_temperature() {
    let dir = temp_dir("eval-temperature");
    let log = dir.join("requests.jsonl");
    let pipe = dir.join("p.pipe");
    std::fs::write(
        &pipe,
        format!(
            "stage env = env.alfworld {{ split = \"train\", group_size = 2, max_steps = 2 }}\n\
             stage rollout = rollout.group {{ tasks = 2, policy = policy.command {{ command = \"python3 python/examples/scripted_policy.py --log {}\", timeout_s = 30 }} }}\n\
             stage credit = advantage.proxmo {{ }}\n\
             pipeline p {{ env -> rollout -> credit\n eval_every = 1\n eval_split = \"valid_seen\" }}\n",
            log.display()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_proxmo"))
        .args(["run", pipe.to_str().unwrap(), "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let requests: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Training: 2 tasks x 2 rollouts for 2 steps; evaluation: 140 valid_seen tasks once.
    let (training, evaluation): (Vec<&Value>, Vec<&Value>) =
        requests.iter().partition(|r| r["prompts"] == 4);
    assert_eq!(training.len(), 2);
    assert!(training.iter().all(|r| r["temperature"].is_null()));
    assert!(!evaluation.is_empty());
    assert!(
        evaluation.iter().all(|r| r["temperature"] == 0.4),
        "{evaluation:?}"
    );
}
