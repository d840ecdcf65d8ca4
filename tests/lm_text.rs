//! The Rust tokenizer and chat template against transformers, on the paper's prompts from
//! both environments: same token ids, same rendered text, same decoded text.
//!
//! Needs Python with transformers (`PROXMO_PYTHON`, default `python3`). The tiny model is
//! built here with `python -m proxmo_worker.build_model` (or taken from `PROXMO_TINY_MODEL`); the
//! converted SmolLM2 is taken from `PROXMO_SMOLLM2_MODEL` (`python/tools/import_gguf.py` writes
//! it). Missing pieces print "skipped" and pass, unless `PROXMO_REQUIRE_LM_TESTS=1`, which
//! turns them into failures (for CI).

use proxmo::bench::prompts::env_prompts;
use proxmo::lm::{Message, PromptEncoder};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Prompts per environment compared token by token.
const PROMPTS_PER_ENV: usize = 200;

fn python() -> String {
    std::env::var("PROXMO_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Skips (prints why) or, under PROXMO_REQUIRE_LM_TESTS=1, fails.
fn skip(reason: &str) {
    if std::env::var("PROXMO_REQUIRE_LM_TESTS").as_deref() == Ok("1") {
        panic!("PROXMO_REQUIRE_LM_TESTS=1 but {reason}");
    }
    println!("skipped: {reason}");
}

fn has_transformers() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        Command::new(python())
            .args(["-c", "import transformers, tokenizers, proxmo_worker"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// The tiny model directory, built once per test run.
fn tiny_model() -> Result<PathBuf, String> {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Ok(dir) = std::env::var("PROXMO_TINY_MODEL") {
            return Ok(PathBuf::from(dir));
        }
        let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("lm_text");
        let dir = scratch.join("tiny");
        std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
        let corpus = scratch.join("corpus.jsonl");
        let mut lines = String::new();
        for kind in ["env.alfworld", "env.webshop"] {
            for p in env_prompts(kind, "train", 1_000, 0).map_err(|e| format!("{e:#}"))? {
                lines.push_str(&json!({ "prompt": p }).to_string());
                lines.push('\n');
            }
        }
        std::fs::write(&corpus, lines).map_err(|e| e.to_string())?;
        let out = Command::new(python())
            .args(["-m", "proxmo_worker.build_model"])
            .arg(&dir)
            .arg("--force")
            .arg("--corpus")
            .arg(&corpus)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "proxmo_worker.build_model failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(dir)
    })
    .clone()
}

/// The model directories to compare on, or None (skipped) when Python lacks transformers.
fn model(which: &str) -> Option<PathBuf> {
    if !has_transformers() {
        skip(&format!(
            "{} cannot import transformers and proxmo_worker (`pip install ./python`)",
            python()
        ));
        return None;
    }
    match which {
        "tiny" => Some(tiny_model().unwrap_or_else(|e| panic!("tiny model: {e}"))),
        _ => match std::env::var("PROXMO_SMOLLM2_MODEL") {
            Ok(dir) => Some(PathBuf::from(dir)),
            Err(_) => {
                skip("PROXMO_SMOLLM2_MODEL does not name a converted SmolLM2 directory");
                None
            }
        },
    }
}

/// transformers' answer to a request of tests/reference/hf_text.py.
fn reference(model: &Path, texts: &[String], conversations: &[Vec<Message>]) -> Value {
    let request = json!({"model": model, "texts": texts, "conversations": conversations});
    let mut child = Command::new(python())
        .arg(repo().join("tests/reference/hf_text.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "hf_text.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ids_of(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

/// Prompts from episodes not in the tiny tokenizer's training corpus.
fn prompts() -> Vec<String> {
    let mut all = env_prompts("env.alfworld", "valid_unseen", PROMPTS_PER_ENV, 7).unwrap();
    all.extend(env_prompts("env.webshop", "test", PROMPTS_PER_ENV, 7).unwrap());
    assert_eq!(all.len(), 2 * PROMPTS_PER_ENV);
    all
}

fn conversations() -> Vec<Vec<Message>> {
    let m = Message::new;
    vec![
        vec![m("user", "go to desk 1")],
        vec![m("system", "You are an agent."), m("user", "look")],
        vec![
            m("user", "Your task is to: put a mug in desk."),
            m(
                "assistant",
                "<think>find a mug</think><action>go to shelf 1</action>",
            ),
            m("user", "You arrive at shelf 1. On it you see a mug 1.\n"),
        ],
        vec![m(
            "user",
            "  spaces, tabs\t and unicode: e\u{2011}commerce caf\u{e9} \u{1F600}  ",
        )],
    ]
}

fn check_token_ids(which: &str) {
    let Some(dir) = model(which) else { return };
    let encoder = PromptEncoder::load(&dir).unwrap();
    let prompts = prompts();
    let user_turns: Vec<Vec<Message>> = prompts
        .iter()
        .map(|p| vec![Message::new("user", p)])
        .collect();
    let expected = reference(&dir, &prompts, &user_turns);
    let mut tokens = 0;
    for (i, prompt) in prompts.iter().enumerate() {
        let ids = encoder.tokenizer.encode(prompt).unwrap();
        assert_eq!(ids, ids_of(&expected["ids"][i]), "{which}: prompt {i} ids");
        tokens += ids.len();
        let chat = encoder.encode_user(prompt, usize::MAX).unwrap();
        assert_eq!(chat.truncated, 0);
        assert_eq!(
            chat.ids,
            ids_of(&expected["chat_ids"][i]),
            "{which}: prompt {i} chat ids"
        );
        let decoded = encoder.tokenizer.decode(&ids, false).unwrap();
        assert_eq!(decoded, expected["decoded"][i].as_str().unwrap());
    }
    println!(
        "{which}: {} prompts, {tokens} tokens, identical ids",
        prompts.len()
    );
}

fn check_chat_template(which: &str) {
    let Some(dir) = model(which) else { return };
    let encoder = PromptEncoder::load(&dir).unwrap();
    let conversations = conversations();
    let expected = reference(&dir, &[], &conversations);
    for (i, c) in conversations.iter().enumerate() {
        for (j, generation_prompt) in [false, true].into_iter().enumerate() {
            assert_eq!(
                encoder.template.render(c, generation_prompt).unwrap(),
                expected["rendered"][i][j].as_str().unwrap(),
                "{which}: conversation {i}, add_generation_prompt={generation_prompt}"
            );
        }
        let ids = encoder.encode_chat(c, usize::MAX).unwrap().ids;
        assert_eq!(
            ids,
            ids_of(&expected["chat_ids"][i]),
            "{which}: conversation {i}"
        );
    }
}

#[test]
fn tiny_model_token_ids_match_transformers_on_400_env_prompts() {
    check_token_ids("tiny");
}

#[test]
fn smollm2_token_ids_match_transformers_on_400_env_prompts() {
    check_token_ids("smollm2");
}

#[test]
fn tiny_model_chat_template_renders_as_transformers() {
    check_chat_template("tiny");
}

#[test]
fn smollm2_chat_template_renders_as_transformers() {
    check_chat_template("smollm2");
}

#[test]
fn long_prompts_lose_their_oldest_tokens_and_say_how_many() {
    let Some(dir) = model("tiny") else { return };
    let encoder = PromptEncoder::load(&dir).unwrap();
    let prompt = &prompts()[PROMPTS_PER_ENV + 5];
    let full = encoder.encode_user(prompt, usize::MAX).unwrap();
    assert!(full.ids.len() > 64);
    let cut = encoder.encode_user(prompt, 64).unwrap();
    assert_eq!(cut.ids, full.ids[full.ids.len() - 64..]);
    assert_eq!(cut.truncated, full.ids.len() - 64);
    // The assistant's turn, at the end, survives the cut.
    let tail = encoder.tokenizer.decode(&cut.ids, false).unwrap();
    assert!(tail.ends_with("<|im_start|>assistant\n"), "{tail:?}");
}

#[test]
fn a_directory_without_a_tokenizer_is_refused_by_name() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("lm_text_empty");
    std::fs::create_dir_all(&dir).unwrap();
    let err = PromptEncoder::load(&dir).err().unwrap();
    let text = format!("{err:#}");
    assert!(
        text.contains("no tokenizer.json") && text.contains("lm_text_empty"),
        "{text}"
    );
}

#[test]
fn bench_tokenizer_on_a_directory_without_a_model_exits_2() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("lm_text_bench_empty");
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_proxmo"))
        .args(["bench", "tokenizer", "--model"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no tokenizer.json"));
}
