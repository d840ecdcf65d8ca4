//! `policy.command`: a language model served by a process of the user's (vLLM, transformers,
//! an API client), spoken to over JSON lines (the transport: docs/transport.md). At every step proxmo
//! builds the paper's prompt for each unfinished rollout, sends them in one request, and
//! projects each response onto an action (`agent::projection`); a response that breaks the
//! answer format makes its row invalid, which the advantage stage penalises.
//!
//! Protocol (one JSON object per line; `id` echoed):
//! - `{"id": N, "op": "hello"}` -> `{"id": N, "ok": true, "protocol": 1}`
//! - `{"id": N, "op": "generate", "prompts": ["...", ...]}` (plus `"temperature": T` while
//!   evaluating: the stage's `eval_temperature`, 0.4 by default, as the paper evaluates) ->
//!   `{"id": N, "ok": true, "responses": ["...", ...]}` (one response per prompt, in order)
//! - errors: `{"id": N, "ok": false, "error": {"type": "...", "message": "..."}}`
//!
//! Lines must be UTF-8: a line with other bytes ends the run with an error rather than
//! having them silently replaced (docs/transport.md, "Framing").

use super::policy::{Choice, Policy, Request, View};
use crate::agent::projection::fallback_chars;
use crate::agent::prompt::{for_step, Benchmark};
use crate::rng::Rng;
use crate::transport::ChildProcess;
use anyhow::{bail, Result};
use serde_json::{json, Map, Value as Json};
use std::sync::Mutex;
use std::time::Duration;

/// The protocol version `hello` must return.
const PROTOCOL_VERSION: i64 = 1;
/// How the child is named in messages.
const ROLE: &str = "policy process";

pub struct CommandPolicy {
    process: Mutex<ChildProcess>,
    /// Bounds each call (the handshake and every `generate`).
    timeout: Duration,
    /// `None`: follow the environment a bridge serves (told by its first observation).
    benchmark: Option<Benchmark>,
    /// Sent as `temperature` with every `generate` while evaluating.
    eval_temperature: f64,
    evaluating: bool,
}

impl CommandPolicy {
    /// Starts the process and checks it speaks the protocol.
    pub fn start(
        command: &str,
        benchmark: Option<Benchmark>,
        timeout: Duration,
        eval_temperature: f64,
    ) -> Result<Self> {
        // The transport's messages name the command already.
        let mut process = ChildProcess::spawn(command, ROLE)?;
        process.hello(&"policy.command, op `hello`", PROTOCOL_VERSION, timeout)?;
        Ok(CommandPolicy {
            process: Mutex::new(process),
            timeout,
            benchmark,
            eval_temperature,
            evaluating: false,
        })
    }

    fn benchmark(&self, view: &View) -> Benchmark {
        self.benchmark
            .unwrap_or_else(|| Benchmark::of_first_observation(view.task))
    }

    fn prompt(&self, view: &View) -> String {
        for_step(self.benchmark(view), view.task, view.history, view.seen)
    }

    fn generate(&self, prompts: &[String]) -> Result<Vec<String>> {
        let mut request = Map::new();
        request.insert("op".into(), json!("generate"));
        request.insert("prompts".into(), json!(prompts));
        if self.evaluating {
            request.insert("temperature".into(), json!(self.eval_temperature));
        }
        let mut process = self
            .process
            .lock()
            .map_err(|_| anyhow::anyhow!("policy.command: an earlier call panicked"))?;
        let response = process.call(&"policy.command, op `generate`", request, self.timeout)?;
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

    fn set_evaluating(&mut self, evaluating: bool) {
        self.evaluating = evaluating;
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
                Choice::projected(prompt, response, fallback, None)
            })
            .collect())
    }
}
