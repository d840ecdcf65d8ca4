//! `policy.command`: a language model served by a process of the user's (vLLM, transformers,
//! an API client), spoken to over the bridge's JSON-lines framing. At every step proxmo
//! builds the paper's prompt for each unfinished rollout, sends them in one request, and
//! projects each response onto an action (`agent::projection`); a response that breaks the
//! answer format makes its row invalid, which the advantage stage penalises.
//!
//! Protocol (one JSON object per line; `id` echoed):
//! - `{"id": N, "op": "hello"}` -> `{"id": N, "ok": true, "protocol": 1}`
//! - `{"id": N, "op": "generate", "prompts": ["...", ...]}` ->
//!   `{"id": N, "ok": true, "responses": ["...", ...]}` (one response per prompt, in order)
//! - errors: `{"id": N, "ok": false, "error": {"type": "...", "message": "..."}}`

use super::policy::{Choice, Policy, Request, View};
use super::Transcript;
use crate::agent::projection::{fallback_chars, project};
use crate::agent::prompt::{build, task_statement, Benchmark, PromptInput};
use crate::env::bridge::{Bridge, CallSite};
use crate::pipeline::schema::{Default, ParamSpec, ParamType, Range, Role, StageSchema};
use crate::pipeline::value::{Params, Value};
use crate::rng::Rng;
use anyhow::{bail, Context, Result};
use serde_json::{json, Map, Value as Json};
use std::sync::Mutex;
use std::time::Duration;

pub struct CommandPolicy {
    process: Mutex<Bridge>,
    /// `None`: follow the environment a bridge serves (told by its first observation).
    benchmark: Option<Benchmark>,
}

impl CommandPolicy {
    /// Starts the process and checks it speaks the protocol.
    pub fn start(command: &str, benchmark: Option<Benchmark>, timeout: Duration) -> Result<Self> {
        let mut process = Bridge::spawn(command, timeout)
            .with_context(|| format!("policy.command `{command}`"))?;
        process
            .hello()
            .with_context(|| format!("policy.command `{command}`"))?;
        Ok(CommandPolicy {
            process: Mutex::new(process),
            benchmark,
        })
    }

    pub fn from_params(params: &Params, env_kind: &str) -> Result<Self> {
        let benchmark = match params.str("prompts")? {
            "auto" if env_kind == "env.bridge" => None,
            "auto" => Some(Benchmark::for_env(env_kind)),
            name => Some(
                Benchmark::parse(name).with_context(|| format!("unknown prompt set {name:?}"))?,
            ),
        };
        let timeout = params.f64("timeout_s")?;
        if !(timeout > 0.0 && timeout.is_finite()) {
            bail!("policy.command: timeout_s must be > 0, got {timeout}");
        }
        CommandPolicy::start(
            params.str("command")?,
            benchmark,
            Duration::from_secs_f64(timeout),
        )
    }

    fn benchmark(&self, view: &View) -> Benchmark {
        self.benchmark
            .unwrap_or_else(|| Benchmark::of_first_observation(view.task))
    }

    fn prompt(&self, view: &View) -> String {
        let benchmark = self.benchmark(view);
        // WebShop shows the page after the instruction; other envs their raw text.
        let observation = match benchmark {
            Benchmark::Webshop => &view.seen.anchor,
            _ => &view.seen.observation,
        };
        build(&PromptInput {
            benchmark,
            task: &task_statement(benchmark, view.task),
            history: view.history,
            observation,
            admissible: &view.seen.admissible,
        })
    }

    fn generate(&self, prompts: &[String]) -> Result<Vec<String>> {
        let mut request = Map::new();
        request.insert("op".into(), json!("generate"));
        request.insert("prompts".into(), json!(prompts));
        let mut process = self
            .process
            .lock()
            .map_err(|_| anyhow::anyhow!("policy.command: an earlier call panicked"))?;
        let response = process.call(&CallSite::op("generate"), request)?;
        let responses = match response.get("responses") {
            Some(Json::Array(items)) => items
                .iter()
                .map(|r| r.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>(),
            _ => None,
        };
        match responses {
            Some(r) if r.len() == prompts.len() => Ok(r),
            Some(r) => bail!(
                "policy.command: {} prompts but {} responses",
                prompts.len(),
                r.len()
            ),
            None => {
                bail!("policy.command: `generate` must answer with `responses`, a list of strings")
            }
        }
    }
}

impl Policy for CommandPolicy {
    fn shows_history(&self) -> bool {
        true
    }

    fn lockstep_width(&self) -> usize {
        usize::MAX
    }

    fn act(&self, view: &View, rng: &mut Rng) -> Result<Choice> {
        let mut one = [Request { view: *view, rng }];
        Ok(self.act_batch(&mut one)?.remove(0))
    }

    fn act_batch(&self, requests: &mut [Request]) -> Result<Vec<Choice>> {
        let prompts: Vec<String> = requests.iter().map(|r| self.prompt(&r.view)).collect();
        let responses = self.generate(&prompts)?;
        let fallbacks: Vec<usize> = requests
            .iter()
            .map(|r| fallback_chars(self.benchmark(&r.view).name()))
            .collect();
        Ok(prompts
            .into_iter()
            .zip(responses)
            .zip(fallbacks)
            .map(|((prompt, response), fallback)| {
                let projected = project(&response, fallback);
                Choice {
                    action: projected.action,
                    valid: projected.valid,
                    decision: None,
                    transcript: Some(Transcript { prompt, response }),
                }
            })
            .collect())
    }
}

pub fn schema() -> StageSchema {
    StageSchema {
        kind: "policy.command",
        role: Role::Policy,
        doc: "a language model served by your own process over JSON lines (see src/rollout/command.rs); proxmo builds the paper's prompts and projects the responses",
        params: vec![
            ParamSpec::new(
                "command",
                ParamType::Str,
                Default::Required,
                "the command that starts the model process, e.g. \"python3 python/openai_policy.py\"",
            ),
            ParamSpec::new(
                "prompts",
                ParamType::Choice(&["auto", "alfworld", "webshop", "text"]),
                Default::Value(Value::Str("auto".into())),
                "prompt wording: the env's (auto; for env.bridge, that of the environment it serves: ALFWorld, WebShop, else neutral), or a fixed one",
            ),
            ParamSpec::new(
                "timeout_s",
                ParamType::Float,
                Default::Value(Value::Float(600.0)),
                "longest wait for one batch of responses",
            )
            .range(Range::above(0.0)),
        ],
    }
}
