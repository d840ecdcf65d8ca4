//! The bridge protocol (version 1): the requests proxmo sends an adapter and how their
//! responses are read. Framing, timeouts and caps are the transport's (docs/transport.md).
//!
//! Every request and every response is one JSON object on one line, requests on the
//! adapter's stdin, responses on its stdout. Requests are answered in order; each carries an
//! integer `id` that its response echoes. The adapter writes nothing else to stdout
//! (diagnostics go to stderr, whose last lines proxmo quotes in error messages).
//!
//! | request | success response fields (besides `"id"` and `"ok": true`) |
//! |---|---|
//! | `{"id": N, "op": "hello"}` | `protocol` (int, 1), `kinds` (list of kind names) |
//! | `{"id": N, "op": "create", "env": E, "kind": K, "config": {...}}` | `env`, `kind`, `n_tasks` (int, 1 to [`MAX_TASKS`]), `tasks` (the first task ids, up to 1000; optional) |
//! | `{"id": N, "op": "reset", "env": E, "task": T}` | an *outcome* (below), plus `task` |
//! | `{"id": N, "op": "step", "env": E, "action": "..."}` | an *outcome* |
//! | `{"id": N, "op": "close", "env": E}` | `env` |
//!
//! `T` in `reset` is either an index into the instance's task list (`0 <= T < n_tasks`) or an
//! explicit task id (a string: a game file for TextWorld/ALFWorld, a goal session for WebShop).
//! Tasks are always explicit; the adapter never draws a task itself.
//!
//! An *outcome* is `observation` (string: the environment's raw text), `reward` (number: the
//! raw reward of this step, 0 on reset; [`super::BridgeEnv`] shapes it, see
//! [`super::RewardMode`]), `done` (bool; never true on reset), `won` (bool), `score` (number:
//! the raw task score so far, 0..1), `admissible` (list of strings), and optionally `expert`
//! (list of strings: an expert plan from this state, e.g. TextWorld's `policy_commands`),
//! `anchor` (string: the observation ProxMO groups states by; defaults to `observation`) and
//! `info` (object, free-form). There is no auto-reset: once `done` is true, `step` fails until
//! the next `reset`.
//!
//! A request that cannot be served gets `{"id": N, "ok": false, "error": {"type": "...",
//! "message": "..."}}` and the adapter keeps serving. Types used by the shipped adapter:
//! `bad_request`, `bad_json`, `unknown_op`, `unknown_kind`, `unknown_env`, `env_exists`,
//! `bad_task`, `not_reset`, `episode_done`, `not_found`, `missing_package`, `missing_data`,
//! `generation_failed`, `env_init_failed`, or a Python exception name.
//!
//! A crash, a timeout, a line that is not a response, or a wrong id makes the [`Bridge`]
//! unusable: the adapter is killed and this and every later call fail with an error naming
//! the env instance, the step, the op, the adapter command and the last lines of its stderr.
//! An `ok: false` response is an ordinary error for that call only.

use crate::env::StepOutcome;
use crate::transport::ChildProcess;
use anyhow::{anyhow, bail, Result};
use serde_json::{json, Map, Value as Json};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The protocol version this module speaks (`hello` returns it).
pub const PROTOCOL_VERSION: i64 = 1;

/// The most tasks an adapter may report at `create`: far above any benchmark's split, and
/// low enough that a garbled count is caught rather than believed.
pub const MAX_TASKS: u64 = 1_000_000_000;

/// How the child is named in messages.
const ROLE: &str = "bridge adapter";

/// Which request an error belongs to: the env instance, its step number, the op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallSite<'a> {
    pub env: Option<u64>,
    pub step: Option<usize>,
    pub op: &'a str,
}

impl<'a> CallSite<'a> {
    pub fn op(op: &'a str) -> Self {
        CallSite {
            env: None,
            step: None,
            op,
        }
    }

    pub fn env(env: u64, step: Option<usize>, op: &'a str) -> Self {
        CallSite {
            env: Some(env),
            step,
            op,
        }
    }
}

impl fmt::Display for CallSite<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.env {
            Some(e) => write!(f, "bridge env {e}")?,
            None => write!(f, "bridge")?,
        }
        if let Some(s) = self.step {
            write!(f, ", step {s}")?;
        }
        write!(f, ", op `{}`", self.op)
    }
}

/// What an adapter returned for a reset or a step: the [`StepOutcome`] plus the extras.
/// From [`Bridge`] calls, `outcome.reward` is the adapter's raw reward; `BridgeEnv` replaces
/// it by the shaped reward of its `RewardMode` (the raw one stays in `raw_reward`).
#[derive(Debug, Clone, PartialEq)]
pub struct BridgeOutcome {
    pub outcome: StepOutcome,
    /// The adapter's own reward for this step.
    pub raw_reward: f64,
    /// Expert plan from this state, when the adapter provides one (TextWorld: `policy_commands`).
    pub expert: Option<Vec<String>>,
    /// The task the adapter resolved (reset only).
    pub task: Option<String>,
    /// Free-form extra information.
    pub info: Option<Json>,
}

/// What `create` returned.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    /// Between 1 and [`MAX_TASKS`].
    pub n_tasks: usize,
    /// Task ids, when the adapter lists them.
    pub tasks: Vec<String>,
}

/// One adapter process speaking the protocol. Calls are synchronous; each gets the call
/// timeout, except `create`, which gets the (longer) setup timeout, as creating may generate
/// games.
#[derive(Debug)]
pub struct Bridge {
    process: ChildProcess,
    timeout: Duration,
    setup_timeout: Duration,
    next_env: u64,
}

/// A bridge shared by the env instances it serves.
pub type SharedBridge = Arc<Mutex<Bridge>>;

pub(super) fn lock(bridge: &SharedBridge) -> MutexGuard<'_, Bridge> {
    bridge.lock().unwrap_or_else(|e| e.into_inner())
}

impl Bridge {
    /// Starts the adapter (see [`crate::transport::split_command`] for how `command` is
    /// split). Nothing is sent yet; call [`Bridge::hello`] to check the protocol.
    pub fn spawn(command: &str, timeout: Duration) -> Result<Bridge> {
        if timeout.is_zero() {
            bail!("bridge timeout must be positive");
        }
        Ok(Bridge {
            process: ChildProcess::spawn(command, ROLE)?,
            timeout,
            setup_timeout: timeout.max(Duration::from_secs(600)),
            next_env: 0,
        })
    }

    /// The timeout of `hello` and `create` (default: the larger of the call timeout and 600 s).
    pub fn set_setup_timeout(&mut self, timeout: Duration) {
        self.setup_timeout = timeout.max(self.timeout);
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn command(&self) -> &str {
        self.process.command()
    }

    /// The adapter's process id.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Why this bridge is unusable, if it is.
    pub fn failure(&self) -> Option<&str> {
        self.process.failure()
    }

    /// The last lines the adapter wrote to stderr.
    pub fn stderr_tail(&self) -> Vec<String> {
        self.process.stderr_tail()
    }

    /// A fresh env instance id for this adapter.
    pub fn allocate_env_id(&mut self) -> u64 {
        let id = self.next_env;
        self.next_env += 1;
        id
    }

    /// Sends one request (`id` is filled in) and returns the success response's fields, or an
    /// error: `ok: false` from the adapter, or a fatal transport failure.
    pub fn call(
        &mut self,
        site: &CallSite,
        request: Map<String, Json>,
    ) -> Result<Map<String, Json>> {
        let timeout = match site.op {
            "create" => self.setup_timeout,
            _ => self.timeout,
        };
        self.process.call(site, request, timeout)
    }

    /// Checks the adapter speaks this protocol; returns its `hello` response. The first
    /// answer waits for the interpreter to start and import its engine, so it gets the
    /// set-up timeout, not the per-step one (a 1 s step limit failed here on a loaded machine).
    pub fn hello(&mut self) -> Result<Map<String, Json>> {
        self.process
            .hello(&CallSite::op("hello"), PROTOCOL_VERSION, self.setup_timeout)
    }

    /// Creates env instance `env` of `kind` with `config` (a JSON object).
    pub fn create(&mut self, env: u64, kind: &str, config: &Json) -> Result<Created> {
        let site = CallSite::env(env, None, "create");
        let response = self.call(
            &site,
            obj(&[
                ("op", json!("create")),
                ("env", json!(env)),
                ("kind", json!(kind)),
                ("config", config.clone()),
            ]),
        )?;
        let n_tasks = match response.get("n_tasks") {
            None => bail!("{site}: response has no `n_tasks`"),
            Some(n) => match n.as_u64() {
                Some(0) => bail!(
                    "{site}: the adapter reports no task for kind `{kind}` (n_tasks = 0): there \
                     is nothing to play"
                ),
                Some(n) if n <= MAX_TASKS => n,
                _ => bail!(
                    "{site}: the adapter reports n_tasks = {n}, not an integer in 1..={MAX_TASKS} \
                     (the most tasks an adapter may report)"
                ),
            },
        };
        let tasks = match response.get("tasks") {
            None | Some(Json::Null) => Vec::new(),
            Some(v) => string_list(v).map_err(|e| anyhow!("{site}: `tasks` {e}"))?,
        };
        Ok(Created {
            n_tasks: usize::try_from(n_tasks)
                .map_err(|_| anyhow!("{site}: n_tasks = {n_tasks} does not fit this machine"))?,
            tasks,
        })
    }

    /// Resets `env` to task `task`: `Json::from(index)` or a task id string. An episode that
    /// is over before it starts is an error: it would give no step to learn from.
    pub fn reset(&mut self, env: u64, task: Json) -> Result<BridgeOutcome> {
        let site = CallSite::env(env, Some(0), "reset");
        let response = self.call(
            &site,
            obj(&[
                ("op", json!("reset")),
                ("env", json!(env)),
                ("task", task.clone()),
            ]),
        )?;
        let out = parse_outcome(&response).map_err(|e| anyhow!("{site}: {e}"))?;
        if out.outcome.done {
            bail!(
                "{site}: the adapter reports task {task} done at reset: there is nothing to play"
            );
        }
        Ok(out)
    }

    /// Takes one step; `step` (1-based, the step being taken) only labels errors.
    pub fn step(&mut self, env: u64, step: usize, action: &str) -> Result<BridgeOutcome> {
        let site = CallSite::env(env, Some(step), "step");
        let response = self.call(
            &site,
            obj(&[
                ("op", json!("step")),
                ("env", json!(env)),
                ("action", json!(action)),
            ]),
        )?;
        parse_outcome(&response).map_err(|e| anyhow!("{site}: {e}"))
    }

    /// Closes env instance `env` in the adapter.
    pub fn close(&mut self, env: u64) -> Result<()> {
        let site = CallSite::env(env, None, "close");
        self.call(&site, obj(&[("op", json!("close")), ("env", json!(env))]))?;
        Ok(())
    }
}

fn obj(fields: &[(&str, Json)]) -> Map<String, Json> {
    fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn string_list(v: &Json) -> std::result::Result<Vec<String>, String> {
    match v {
        Json::Array(items) => items
            .iter()
            .map(|a| {
                a.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("must be a list of strings, found {a}"))
            })
            .collect(),
        other => Err(format!("must be a list of strings, got {other}")),
    }
}

/// Reads an outcome from a response; any wrong field is an error naming it.
pub fn parse_outcome(r: &Map<String, Json>) -> std::result::Result<BridgeOutcome, String> {
    let observation = match r.get("observation") {
        Some(Json::String(s)) => s.clone(),
        _ => return Err("response field `observation` must be a string".into()),
    };
    let number = |name: &str| -> std::result::Result<f64, String> {
        match r.get(name).and_then(Json::as_f64) {
            Some(x) if x.is_finite() => Ok(x),
            _ => Err(format!("response field `{name}` must be a finite number")),
        }
    };
    let flag = |name: &str| -> std::result::Result<bool, String> {
        r.get(name)
            .and_then(Json::as_bool)
            .ok_or_else(|| format!("response field `{name}` must be a bool"))
    };
    let reward = number("reward")?;
    let score = number("score")?;
    let done = flag("done")?;
    let won = flag("won")?;
    let mut admissible = match r.get("admissible") {
        Some(v) => string_list(v).map_err(|e| format!("response field `admissible` {e}"))?,
        None => return Err("response field `admissible` is missing".into()),
    };
    // The adapter's order is the environment's (WebShop: page order): keep it, dropping
    // repeats.
    let mut seen = std::collections::HashSet::new();
    admissible.retain(|a| seen.insert(a.clone()));
    let expert = match r.get("expert") {
        None | Some(Json::Null) => None,
        Some(v) => Some(string_list(v).map_err(|e| format!("response field `expert` {e}"))?),
    };
    let anchor = match r.get("anchor") {
        None | Some(Json::Null) => observation.clone(),
        Some(Json::String(s)) => s.clone(),
        Some(_) => return Err("response field `anchor` must be a string".into()),
    };
    let task = r.get("task").and_then(Json::as_str).map(str::to_string);
    Ok(BridgeOutcome {
        outcome: StepOutcome {
            observation,
            reward,
            done,
            won,
            score,
            admissible,
            anchor,
        },
        raw_reward: reward,
        expert,
        task,
        info: r.get("info").cloned(),
    })
}
