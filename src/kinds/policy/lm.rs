//! `policy.lm`: a language model held by the model worker, which proxmo feeds token ids (see
//! `crate::rollout::lm`; the worker's protocol is docs/worker-protocol.md, its loss
//! docs/ppo.md). Building it starts the worker and loads the model; checking it does not.
//! The training settings live here because the worker takes them at `hello`.

use crate::agent::prompt::{Benchmark, Format};
use crate::error::invalid;
use crate::kinds::Build;
use crate::lm::PromptEncoder;
use crate::rollout::lm::worker::Worker;
use crate::rollout::lm::{LmPolicy, LmSampling};
use crate::rollout::policy::Policy;
use crate::stage::config::read;
use crate::stage::{
    ParamDefault, ParamSpec, ParamType, Params, Problem, Range, Role, StageConfig, StageSchema,
};
use crate::transport::{entry_problem, explain_start_failure, python_command, MAX_TIMEOUT_S};
use serde::Deserialize;
use serde_json::{json, Map, Value as Json};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub model: String,
    pub python: String,
    pub worker: String,
    pub device: String,
    pub dtype: String,
    pub seed: i64,
    pub max_prompt_tokens: i64,
    pub max_new_tokens: i64,
    pub temperature: f64,
    pub eval_temperature: f64,
    pub top_p: f64,
    pub prompts: String,
    pub prompt_format: String,
    pub history: i64,
    pub local_actions: bool,
    pub timeout_s: f64,
    pub lr: f64,
    pub lr_warmup_steps: i64,
    pub lr_decay_steps: i64,
    pub weight_decay: f64,
    pub kl_coef: f64,
    pub entropy_coef: f64,
    pub clip_low: f64,
    pub clip_high: f64,
    pub clip_ratio_c: f64,
    pub grad_clip: f64,
    pub lora_rank: i64,
    pub teacher: String,
    pub teacher_noise: f64,
    pub learner_share: f64,
}

impl StageConfig for Config {
    fn validate(&self) -> Result<(), Problem> {
        if self.local_actions && self.prompt_format != "compact" {
            return Err(Problem::at(
                "local_actions",
                "lists actions on the compact prompt's `Here:` line only",
            )
            .help("set prompt_format = \"compact\", or drop local_actions (the paper's prompt lists every admissible action already)"));
        }
        if super::lm_preset::find(&self.model).is_none() {
            check_model_dir(&self.model, self.max_prompt_tokens)?;
        }
        if let Some(problem) = entry_problem(&self.worker) {
            return Err(Problem::at("worker", problem).help(
                "the model worker is the module proxmo_worker (`pip install ./python`), or a .py script of your own",
            ));
        }
        if self.python.trim().is_empty() {
            return Err(Problem::at("python", "is empty"));
        }
        if !valid_device(&self.device) {
            return Err(
                Problem::at("device", format!("{:?} is not a torch device", self.device)).help(
                    "cpu, cuda, cuda:N (N a GPU index), mps or auto (CUDA when there is one)",
                ),
            );
        }
        Ok(())
    }
}

stage_kind!("policy.lm", Config, Build::Policy(build));

/// The device strings the worker's torch takes: `cpu`, `cuda`, `cuda:N`, `mps`, `auto`.
fn valid_device(device: &str) -> bool {
    match device.strip_prefix("cuda:") {
        Some(index) => !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()),
        None => matches!(device, "cpu" | "cuda" | "mps" | "auto"),
    }
}

/// A model directory the worker can load and proxmo can prompt: it exists, its tokenizer
/// and chat template load, and the prompt budget leaves room beyond the template's own
/// tokens (its system prompt).
fn check_model_dir(model: &str, max_prompt_tokens: i64) -> Result<(), Problem> {
    let dir = Path::new(model);
    if !dir.exists() {
        return Err(Problem::at(
            "model",
            format!("{model:?} is neither a model directory nor a preset"),
        )
        .help(format!(
            "give a model directory (config.json, model.safetensors, tokenizer.json, a chat template) or a preset: {}",
            super::lm_preset::names()
        )));
    }
    if !dir.join("config.json").is_file() {
        return Err(
            Problem::at("model", format!("{model:?} has no config.json"))
                .help("a transformers model directory, as save_pretrained writes it"),
        );
    }
    let config = std::fs::read(dir.join("config.json")).unwrap_or_default();
    if !serde_json::from_slice::<Json>(&config).is_ok_and(|c| c.is_object()) {
        return Err(Problem::at(
            "model",
            format!("{model:?}: config.json is not a JSON object (truncated?)"),
        )
        .help("a transformers model directory, as save_pretrained writes it"));
    }
    let encoder =
        PromptEncoder::load(dir).map_err(|e| Problem::at("model", format!("{model:?}: {e:#}")))?;
    let overhead = encoder
        .encode_user("", usize::MAX)
        .map(|e| e.ids.len())
        .map_err(|e| Problem::at("model", format!("{model:?}: {e:#}")))?;
    // A template that drops the user's message (an empty one, say) would send the model
    // the same prompt, or none, at every step.
    let with_message = encoder
        .encode_user("go to the kitchen", usize::MAX)
        .map(|e| e.ids.len())
        .map_err(|e| Problem::at("model", format!("{model:?}: {e:#}")))?;
    if with_message <= overhead {
        return Err(Problem::at(
            "model",
            format!("{model:?}: its chat template leaves the user's message out of the prompt (a message adds no token)"),
        )
        .help("the template must render `messages` (what tokenizer.apply_chat_template renders)"));
    }
    if max_prompt_tokens as usize <= overhead {
        return Err(Problem::at(
            "max_prompt_tokens",
            format!(
                "{max_prompt_tokens} tokens leave no room for the step's text: the chat template alone (its system prompt) takes {overhead}"
            ),
        )
        .help(format!("raise max_prompt_tokens well above {overhead}")));
    }
    let config: Json = serde_json::from_slice(&config).unwrap_or_default();
    super::lm_weights::check(dir, &config).map_err(|why| {
        Problem::at("model", format!("{model:?}: {why}"))
            .help("save the model again (save_pretrained writes model.safetensors)")
    })?;
    Ok(())
}

fn float(name: &'static str, default: f64, range: Range, doc: &'static str) -> ParamSpec {
    ParamSpec::new(name, ParamType::Float, ParamDefault::float(default), doc).range(range)
}

fn int(name: &'static str, default: i64, range: Range, doc: &'static str) -> ParamSpec {
    ParamSpec::new(name, ParamType::Int, ParamDefault::int(default), doc).range(range)
}

fn text(name: &'static str, default: &str, doc: &'static str) -> ParamSpec {
    ParamSpec::new(name, ParamType::Str, ParamDefault::str(default), doc)
}

fn schema() -> StageSchema {
    StageSchema {
        kind: KIND.name,
        role: Role::Policy,
        doc: "a language model in proxmo's PyTorch worker (the module proxmo_worker, python/proxmo_worker/): token-level rollouts with the paper's prompts, trained by update.ppo and update.sft",
        params: vec![
            ParamSpec::new(
                "model",
                ParamType::Str,
                ParamDefault::Required,
                "a model directory (config.json, model.safetensors, tokenizer.json, chat template), or a preset built and cached on first use: tiny (0.3M parameters, for tests), small (1.2M, learns on a CPU) or medium (4.5M)",
            ),
            text("python", "python3", "the command that runs the worker, split into words like a shell's (a Python with torch, transformers and proxmo's package, `pip install ./python`; or e.g. \"torchrun --nproc_per_node 8\")"),
            text("worker", "proxmo_worker", "the model worker: a module run with `python -m` (proxmo_worker, installed by `pip install ./python`) or the path of a .py script"),
            text("device", "cpu", "torch device: cpu, cuda, cuda:N or auto"),
            ParamSpec::new(
                "dtype",
                ParamType::Choice(&["float32", "bfloat16", "float16"]),
                ParamDefault::str("float32"),
                "weights' dtype",
            ),
            int("seed", 0, Range::closed(0.0, 9e15), "seeds the worker (torch); sampling is seeded from the run's seed"),
            int("max_prompt_tokens", 2048, Range::closed(1.0, 1e7), "longer prompts are cut from the left (counted as truncated)"),
            int("max_new_tokens", 256, Range::closed(1.0, 1e6), "longest response"),
            float("temperature", 1.0, Range::closed(0.0, 100.0), "sampling temperature in rollouts (0: greedy)"),
            float("eval_temperature", 0.4, Range::closed(0.0, 100.0), "sampling temperature while evaluating"),
            float("top_p", 1.0, Range::left_open(0.0, 1.0), "nucleus sampling mass"),
            ParamSpec::new(
                "prompts",
                ParamType::Choice(&["auto", "alfworld", "webshop", "text"]),
                ParamDefault::str("auto"),
                "prompt wording: the env's (auto), or a fixed one",
            ),
            ParamSpec::new(
                "prompt_format",
                ParamType::Choice(&["paper", "compact"]),
                ParamDefault::str("paper"),
                "paper: the paper's prompt (what real models were trained with); compact: the task, the episode's memory (what is held, where, the receptacles seen with their contents and those unseen), the last `history` steps and the observation, for small models (docs/environments.md)",
            ),
            int("history", 4, Range::closed(0.0, 1000.0), "steps of history the compact prompt shows (the paper's shows 2)"),
            ParamSpec::new(
                "local_actions",
                ParamType::Bool,
                ParamDefault::bool(false),
                "compact prompt, ALFWorld: list the admissible actions at the current place (take, open, move, heat, ...; not `go to`, examine, inventory, look or help) on a `Here:` line, so a small model can copy an object's name instead of guessing it",
            ),
            float("timeout_s", 3600.0, Range::left_open(0.0, MAX_TIMEOUT_S), "longest wait for one worker call (loading the model, one batch's generation, one training step)"),
            float("lr", 1e-6, Range::closed(0.0, 10.0), "AdamW learning rate"),
            int("lr_warmup_steps", 0, Range::at_least(0.0), "optimiser steps over which the learning rate rises linearly to lr (0: none)"),
            int("lr_decay_steps", 0, Range::at_least(0.0), "> 0: the learning rate follows a cosine from lr to 0 at this optimiser step (counted from the first, warm-up included; 0 after it; the metrics' `lr` shows it); 0: constant"),
            float("weight_decay", 0.01, Range::closed(0.0, 10.0), "AdamW weight decay"),
            float("kl_coef", 0.01, Range::at_least(0.0), "weight of the k3 KL to the frozen initial model (0: no reference model kept)"),
            float("entropy_coef", 0.001, Range::at_least(0.0), "weight of the entropy bonus"),
            float("clip_low", 0.2, Range::right_open(0.0, 1.0), "the PPO ratio is clipped below at 1 - clip_low (below 1: the lower bound stays positive)"),
            float("clip_high", 0.2, Range::at_least(0.0), "the PPO ratio is clipped above at 1 + clip_high"),
            float("clip_ratio_c", 3.0, Range::above(1.0), "dual clip for negative advantages"),
            float("grad_clip", 1.0, Range::above(0.0), "gradient norm clipping"),
            int("lora_rank", 0, Range::closed(0.0, 4096.0), "> 0: train LoRA adapters of this rank (needs peft)"),
            ParamSpec::new(
                "teacher",
                ParamType::Choice(&["none", "expert"]),
                ParamDefault::str("none"),
                "expert: act with the environment's expert and record its actions as this model's tokens (demonstrations for update.sft)",
            ),
            float("teacher_noise", 0.0, Range::closed(0.0, 1.0), "with teacher = \"expert\": the chance at each step of a detour (half the time the previous action again, else a random admissible action), the row still recording the expert's answer (demonstrations of recovering from detours)"),
            float("learner_share", 0.0, Range::closed(0.0, 1.0), "with teacher = \"expert\": the chance at each step that the model's own action (sampled at eval_temperature) is played instead, the row still recording the expert's answer (DAgger: the states the model's mistakes lead to; docs/imitation.md)"),
        ],
    }
}

fn hello_settings(c: &Config) -> Map<String, Json> {
    [
        ("model", json!(c.model)),
        ("device", json!(c.device)),
        ("dtype", json!(c.dtype)),
        ("seed", json!(c.seed)),
        ("lr", json!(c.lr)),
        ("lr_warmup_steps", json!(c.lr_warmup_steps)),
        ("lr_decay_steps", json!(c.lr_decay_steps)),
        ("weight_decay", json!(c.weight_decay)),
        ("kl_coef", json!(c.kl_coef)),
        ("entropy_coef", json!(c.entropy_coef)),
        ("clip_low", json!(c.clip_low)),
        ("clip_high", json!(c.clip_high)),
        ("clip_ratio_c", json!(c.clip_ratio_c)),
        ("grad_clip", json!(c.grad_clip)),
        ("lora_rank", json!(c.lora_rank)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn build(params: &Params, env_kind: &str) -> anyhow::Result<Box<dyn Policy>> {
    let c: Config = read(params)?;
    let benchmark = match c.prompts.as_str() {
        // A bridge's wording is not known before it runs: the neutral one.
        "auto" => Benchmark::for_env(env_kind).unwrap_or(Benchmark::Text),
        name => {
            Benchmark::parse(name).ok_or_else(|| invalid(format!("unknown prompt set {name:?}")))?
        }
    };
    let model: PathBuf = match super::lm_preset::find(&c.model) {
        Some(preset) => preset.ensure(c.seed, &c.python)?,
        None => PathBuf::from(&c.model),
    };
    // The tokenizer first: a directory that is not a model fails before Python starts.
    if let Err(p) = check_model_dir(&model.to_string_lossy(), c.max_prompt_tokens) {
        return Err(invalid(format!(
            "policy.lm: {}: {}",
            p.param.as_deref().unwrap_or("model"),
            p.message
        )));
    }
    let encoder = PromptEncoder::load(&model)
        .map_err(|e| invalid(format!("policy.lm: model {:?}: {e:#}", c.model)))?;
    let mut hello = hello_settings(&c);
    hello.insert("model".into(), json!(model.to_string_lossy()));
    let format = match c.prompt_format.as_str() {
        "compact" => Format::Compact {
            history: c.history as usize,
            local_actions: c.local_actions,
        },
        _ => Format::Paper,
    };
    let worker = Worker::start(
        &python_command(&c.python, &c.worker),
        hello,
        Duration::from_secs_f64(c.timeout_s),
    )
    .map_err(|e| explain_start_failure(e, &c.worker, "policy.lm"))?;
    let sampling = LmSampling {
        temperature: c.temperature,
        eval_temperature: c.eval_temperature,
        top_p: c.top_p,
        max_new_tokens: c.max_new_tokens as usize,
        max_prompt_tokens: c.max_prompt_tokens as usize,
    };
    let policy = LmPolicy::new(worker, encoder, benchmark, format, sampling);
    Ok(Box::new(match c.teacher.as_str() {
        "expert" => policy.as_teacher(c.teacher_noise, c.learner_share),
        _ => policy,
    }))
}
