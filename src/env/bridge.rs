//! The bridge to external Python environments: proxmo starts an adapter process (by default
//! `python3 python/proxmo_bridge.py`) and plays environments inside it over a JSON-lines
//! protocol. One adapter process serves one environment kind and any number of instances,
//! each keyed by an integer id. The adapter returns raw text, raw reward, done and the
//! admissible actions; prompts, action projection and reward shaping stay in Rust.
//!
//! # Protocol (version 1)
//!
//! Every request and every response is one JSON object on one line (UTF-8, `\n`-terminated),
//! requests on the adapter's stdin, responses on its stdout. Requests are answered in order;
//! each carries an integer `id` that its response echoes. The adapter writes nothing else to
//! stdout (diagnostics go to stderr, of which proxmo keeps the last lines for error messages).
//!
//! | request | success response fields (besides `"id"` and `"ok": true`) |
//! |---|---|
//! | `{"id": N, "op": "hello"}` | `protocol` (int, 1), `kinds` (list of kind names) |
//! | `{"id": N, "op": "create", "env": E, "kind": K, "config": {...}}` | `env`, `kind`, `n_tasks` (int), `tasks` (the first task ids, up to 1000; optional) |
//! | `{"id": N, "op": "reset", "env": E, "task": T}` | an *outcome* (below), plus `task` |
//! | `{"id": N, "op": "step", "env": E, "action": "..."}` | an *outcome* |
//! | `{"id": N, "op": "step_batch", "steps": [{"env": E, "action": "..."}, ...]}` | `results`: one object per step, in order, each `{"ok": true, ...outcome}` or `{"ok": false, "error": {...}}` |
//! | `{"id": N, "op": "close", "env": E}` | `env` |
//!
//! `T` in `reset` is either an index into the instance's task list (`0 <= T < n_tasks`) or an
//! explicit task id (a string: a game file for TextWorld/ALFWorld, a goal session for WebShop).
//! Tasks are always explicit; the adapter never draws a task itself.
//!
//! An *outcome* is `observation` (string: the environment's raw text), `reward` (number: the
//! raw reward of this step, 0 on reset; [`BridgeEnv`] shapes it, see [`RewardMode`]), `done` (bool), `won` (bool), `score` (number: the raw
//! task score so far, 0..1), `admissible` (list of strings), and optionally `expert` (list of
//! strings: an expert plan from this state, e.g. TextWorld's `policy_commands`), `anchor`
//! (string: the observation ProxMO groups states by; defaults to `observation`) and `info`
//! (object, free-form). There is no auto-reset: once `done` is true, `step` fails until the
//! next `reset`.
//!
//! A request that cannot be served gets `{"id": N, "ok": false, "error": {"type": "...",
//! "message": "..."}}` and the adapter keeps serving. Types used by the shipped adapter:
//! `bad_request`, `bad_json`, `unknown_op`, `unknown_kind`, `unknown_env`, `env_exists`,
//! `bad_task`, `not_reset`, `episode_done`, `not_found`, `missing_package`, `missing_data`,
//! `generation_failed`, `env_init_failed`, or a Python exception name.
//!
//! # Failures on the Rust side
//!
//! Every call has a timeout. A crash (EOF on stdout), a timeout, a line that is not JSON or
//! not a response object, or a response with the wrong id makes the [`Bridge`] unusable: the
//! child is killed and this and every later call fail with an error naming the env instance
//! id, the step number, the op, the adapter command and the last lines of its stderr. An
//! `ok: false` response is an ordinary error for that call only.
//!
//! # Kinds served by `python/proxmo_bridge.py`
//!
//! `textworld` (config `games` and/or `generate {count, seed, world_size, nb_objects,
//! quest_length, dir}`), `alfworld` (`data` or `$ALFWORLD_DATA`, `split`), `webshop` (`path` of
//! a WebShop checkout, `split`), and `debug` (a tiny built-in game for protocol tests, with
//! `n_tasks` and `step_sleep_s`). A `tasks` list in any config replaces the kind's own list.
//!
//! # Use
//!
//! As a stage (schema: [`schema`]; read with [`BridgeSpec::from_params`]):
//!
//! ```text
//! stage env = env.bridge {
//!   command = "python3 python/proxmo_bridge.py",
//!   kind = "alfworld",
//!   config = "{\"split\": \"valid_unseen\"}",   # data from $ALFWORLD_DATA
//!   max_steps = 50, group_size = 8, timeout_s = 30.0
//! }
//! ```
//!
//! From Rust: [`BridgeSpec::open`] starts one adapter and creates `n` [`BridgeEnv`]s in it;
//! each implements [`Env`] (reset by task index, or [`BridgeEnv::reset_task`] by id), and
//! [`BridgeEnv::step_many`] steps many instances in one `step_batch` round trip. The
//! adapter needs Python 3 and, per kind: `pip install textworld==1.7.0`; for ALFWorld also
//! `pip install alfworld 'textworld[pddl]'` and `alfworld-download`; for WebShop a checkout
//! set up as its README says.

use super::{Env, StepOutcome};
use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Map, Value as Json};
use std::collections::VecDeque;
use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// The protocol version this module speaks (`hello` returns it).
pub const PROTOCOL_VERSION: i64 = 1;

/// Lines of the adapter's stderr kept for error messages.
const STDERR_LINES: usize = 20;
/// Longest stderr line kept (characters).
const STDERR_LINE_CHARS: usize = 400;
/// Longest excerpt of a bad stdout line quoted in an error.
const BAD_LINE_CHARS: usize = 200;

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
/// From [`Bridge`] calls, `outcome.reward` is the adapter's raw reward; [`BridgeEnv`] replaces
/// it by the shaped reward of its [`RewardMode`] (the raw one stays in `raw_reward`).
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
    pub n_tasks: usize,
    /// Task ids, when the adapter lists them.
    pub tasks: Vec<String>,
}

enum ReadEvent {
    Line(String),
    Eof,
    Failed(String),
}

#[derive(Default)]
struct StderrTail {
    lines: VecDeque<String>,
    total: usize,
}

impl StderrTail {
    fn push(&mut self, line: &str) {
        let mut line = line.trim_end().to_string();
        if line.chars().count() > STDERR_LINE_CHARS {
            line = line.chars().take(STDERR_LINE_CHARS).collect::<String>() + "...";
        }
        if self.lines.len() == STDERR_LINES {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
        self.total += 1;
    }
}

/// One adapter process. Calls are synchronous: a request is written, then the matching
/// response is awaited for at most the timeout.
pub struct Bridge {
    command: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<ReadEvent>,
    stderr: Arc<Mutex<StderrTail>>,
    stderr_done: Arc<AtomicBool>,
    timeout: Duration,
    setup_timeout: Duration,
    next_id: u64,
    next_env: u64,
    failure: Option<String>,
}

impl fmt::Debug for Bridge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bridge")
            .field("command", &self.command)
            .field("pid", &self.child.id())
            .field("timeout", &self.timeout)
            .field("failure", &self.failure)
            .finish_non_exhaustive()
    }
}

/// A bridge shared by the env instances it serves.
pub type SharedBridge = Arc<Mutex<Bridge>>;

fn lock(bridge: &SharedBridge) -> MutexGuard<'_, Bridge> {
    bridge.lock().unwrap_or_else(|e| e.into_inner())
}

/// Splits a command line into words: whitespace separates words, `'...'` quotes literally,
/// `"..."` quotes with `\"` and `\\` escapes, and a backslash outside quotes escapes the next
/// character. No shell is involved.
pub fn split_command(command: &str) -> Result<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => bail!("unterminated ' quote in command {command:?}"),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => bail!("unterminated \" quote in command {command:?}"),
                        },
                        Some(c) => word.push(c),
                        None => bail!("unterminated \" quote in command {command:?}"),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(c) => word.push(c),
                    None => bail!("command {command:?} ends with a lone backslash"),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    if words.is_empty() {
        bail!("the bridge command is empty");
    }
    Ok(words)
}

fn excerpt(line: &str) -> String {
    if line.chars().count() > BAD_LINE_CHARS {
        format!(
            "{:?}... ({} bytes)",
            line.chars().take(BAD_LINE_CHARS).collect::<String>(),
            line.len()
        )
    } else {
        format!("{line:?}")
    }
}

impl Bridge {
    /// Starts the adapter (`command` is split into words, see [`split_command`]) with piped
    /// stdin/stdout/stderr. Nothing is sent yet; call [`Bridge::hello`] to check the protocol.
    /// `timeout` bounds every call, except `create`, which gets the (longer) setup timeout
    /// (see [`Bridge::set_setup_timeout`]), as creating may generate games.
    pub fn spawn(command: &str, timeout: Duration) -> Result<Bridge> {
        if timeout.is_zero() {
            bail!("bridge timeout must be positive");
        }
        let words = split_command(command)?;
        let mut child = Command::new(&words[0])
            .args(&words[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("could not start the bridge adapter `{command}`"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");

        let (tx, rx) = mpsc::channel();
        thread::Builder::new()
            .name("proxmo-bridge-stdout".into())
            .spawn(move || {
                let mut reader = BufReader::new(stdout);
                loop {
                    let mut buf = Vec::new();
                    let event = match reader.read_until(b'\n', &mut buf) {
                        Ok(0) => ReadEvent::Eof,
                        Ok(_) => ReadEvent::Line(String::from_utf8_lossy(&buf).into_owned()),
                        Err(e) => ReadEvent::Failed(e.to_string()),
                    };
                    let last = !matches!(event, ReadEvent::Line(_));
                    if tx.send(event).is_err() || last {
                        break;
                    }
                }
            })
            .context("could not start the bridge reader thread")?;

        let tail = Arc::new(Mutex::new(StderrTail::default()));
        let done = Arc::new(AtomicBool::new(false));
        {
            let tail = Arc::clone(&tail);
            let done = Arc::clone(&done);
            thread::Builder::new()
                .name("proxmo-bridge-stderr".into())
                .spawn(move || {
                    let mut reader = BufReader::new(stderr);
                    let mut buf = Vec::new();
                    loop {
                        buf.clear();
                        match reader.by_ref().read_until(b'\n', &mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(_) => tail
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .push(&String::from_utf8_lossy(&buf)),
                        }
                    }
                    done.store(true, Ordering::SeqCst);
                })
                .context("could not start the bridge stderr thread")?;
        }

        Ok(Bridge {
            command: command.to_string(),
            child,
            stdin,
            lines: rx,
            stderr: tail,
            stderr_done: done,
            timeout,
            setup_timeout: timeout.max(Duration::from_secs(600)),
            next_id: 1,
            next_env: 0,
            failure: None,
        })
    }

    /// The timeout of `create` (default: the larger of the call timeout and 600 s).
    pub fn set_setup_timeout(&mut self, timeout: Duration) {
        self.setup_timeout = timeout.max(self.timeout);
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn command(&self) -> &str {
        &self.command
    }

    /// The adapter's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Why this bridge is unusable, if it is.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// The last lines the adapter wrote to stderr.
    pub fn stderr_tail(&self) -> Vec<String> {
        let tail = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        tail.lines.iter().cloned().collect()
    }

    /// A fresh env instance id for this adapter.
    pub fn allocate_env_id(&mut self) -> u64 {
        let id = self.next_env;
        self.next_env += 1;
        id
    }

    fn stderr_report(&self) -> String {
        let tail = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        if tail.lines.is_empty() {
            return "; the adapter wrote nothing to stderr".to_string();
        }
        let skipped = tail.total - tail.lines.len();
        let mut s = format!(
            "; last {} stderr line(s) of the adapter{}:",
            tail.lines.len(),
            if skipped > 0 {
                format!(" ({skipped} earlier omitted)")
            } else {
                String::new()
            }
        );
        for line in &tail.lines {
            s.push_str("\n    ");
            s.push_str(line);
        }
        s
    }

    /// Ends the child (if it has not ended by itself) and says how it ended.
    fn kill_child(&mut self) -> String {
        self.stdin = None;
        if let Ok(Some(_)) = self.child.try_wait() {
            return self.wait_exit(Duration::ZERO);
        }
        let _ = self.child.kill();
        self.wait_exit(Duration::from_secs(2));
        "adapter killed by proxmo".to_string()
    }

    /// Waits up to `limit` for the child to exit and describes its status.
    fn wait_exit(&mut self, limit: Duration) -> String {
        let start = Instant::now();
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    // Let the stderr reader catch up with what the child wrote last.
                    let t = Instant::now();
                    while !self.stderr_done.load(Ordering::SeqCst)
                        && t.elapsed() < Duration::from_millis(500)
                    {
                        thread::sleep(Duration::from_millis(5));
                    }
                    return format!("adapter exited with {status}");
                }
                Ok(None) if start.elapsed() < limit => thread::sleep(Duration::from_millis(10)),
                Ok(None) => return "adapter is still running".to_string(),
                Err(e) => return format!("adapter status unknown ({e})"),
            }
        }
    }

    /// Marks the bridge unusable (killing the child) and builds the error.
    fn fatal(&mut self, site: &CallSite, what: String) -> anyhow::Error {
        let ended = self.kill_child();
        let message = format!(
            "{site}: {what} ({ended}; adapter command `{}`){}",
            self.command,
            self.stderr_report()
        );
        self.failure = Some(message.clone());
        anyhow!(message)
    }

    /// Sends one request (`id` is filled in) and returns the success response's fields, or an
    /// error: `ok: false` from the adapter, or a fatal transport failure.
    pub fn call(
        &mut self,
        site: &CallSite,
        mut request: Map<String, Json>,
    ) -> Result<Map<String, Json>> {
        if let Some(reason) = &self.failure {
            bail!("{site}: the bridge is unusable after an earlier failure: {reason}");
        }
        let timeout = if site.op == "create" {
            self.setup_timeout
        } else {
            self.timeout
        };
        let id = self.next_id;
        self.next_id += 1;
        request.insert("id".into(), json!(id));
        let mut line = serde_json::to_string(&Json::Object(request))
            .with_context(|| format!("{site}: could not encode the request"))?;
        line.push('\n');

        let written = match self.stdin.as_mut() {
            None => Err(std::io::Error::other("stdin closed")),
            Some(stdin) => stdin.write_all(line.as_bytes()).and_then(|_| stdin.flush()),
        };
        if let Err(e) = written {
            self.wait_exit(Duration::from_millis(500));
            return Err(self.fatal(site, format!("could not send the request ({e})")));
        }

        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = match self.lines.recv_timeout(left) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) => {
                    let what = format!(
                        "no response within {:.1} s (timeout)",
                        timeout.as_secs_f64()
                    );
                    return Err(self.fatal(site, what));
                }
                Err(RecvTimeoutError::Disconnected) => ReadEvent::Eof,
            };
            let text = match event {
                ReadEvent::Line(text) => text,
                ReadEvent::Eof => {
                    self.wait_exit(Duration::from_secs(1));
                    let what = "the adapter closed its stdout without answering".to_string();
                    return Err(self.fatal(site, what));
                }
                ReadEvent::Failed(e) => {
                    return Err(
                        self.fatal(site, format!("reading the adapter's stdout failed: {e}"))
                    )
                }
            };
            let trimmed = text.trim();
            if trimmed.is_empty() {
                continue;
            }
            let value: Json = match serde_json::from_str(trimmed) {
                Ok(v) => v,
                Err(e) => {
                    let what = format!(
                        "the adapter printed a non-JSON line {} ({e})",
                        excerpt(trimmed)
                    );
                    return Err(self.fatal(site, what));
                }
            };
            let Json::Object(mut response) = value else {
                let what = format!(
                    "the adapter printed a JSON line that is not an object: {}",
                    excerpt(trimmed)
                );
                return Err(self.fatal(site, what));
            };
            let got_id = response.get("id").cloned().unwrap_or(Json::Null);
            let ok = response.get("ok").and_then(Json::as_bool);
            if got_id.as_u64() != Some(id) {
                let detail = if ok == Some(false) {
                    format!(" (it reported: {})", error_text(&response))
                } else {
                    String::new()
                };
                let what = format!("response id {got_id} does not match request id {id}{detail}");
                return Err(self.fatal(site, what));
            }
            return match ok {
                Some(true) => {
                    response.remove("id");
                    response.remove("ok");
                    Ok(response)
                }
                Some(false) => Err(anyhow!(
                    "{site}: the adapter refused the request: {}",
                    error_text(&response)
                )),
                None => {
                    let what = format!("response without a boolean `ok`: {}", excerpt(trimmed));
                    Err(self.fatal(site, what))
                }
            };
        }
    }

    /// Checks the adapter speaks this protocol; returns its `hello` response.
    pub fn hello(&mut self) -> Result<Map<String, Json>> {
        let site = CallSite::op("hello");
        let response = self.call(&site, obj(&[("op", json!("hello"))]))?;
        match response.get("protocol").and_then(Json::as_i64) {
            Some(PROTOCOL_VERSION) => Ok(response),
            other => bail!(
                "{site}: the adapter speaks protocol {other:?}, proxmo speaks {PROTOCOL_VERSION}"
            ),
        }
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
        let n_tasks = response
            .get("n_tasks")
            .and_then(Json::as_u64)
            .ok_or_else(|| anyhow!("{site}: response has no non-negative integer `n_tasks`"))?;
        let tasks = match response.get("tasks") {
            None | Some(Json::Null) => Vec::new(),
            Some(v) => string_list(v).map_err(|e| anyhow!("{site}: `tasks` {e}"))?,
        };
        Ok(Created {
            n_tasks: n_tasks as usize,
            tasks,
        })
    }

    /// Resets `env` to task `task`: `Json::from(index)` or a task id string.
    pub fn reset(&mut self, env: u64, task: Json) -> Result<BridgeOutcome> {
        let site = CallSite::env(env, Some(0), "reset");
        let response = self.call(
            &site,
            obj(&[("op", json!("reset")), ("env", json!(env)), ("task", task)]),
        )?;
        parse_outcome(&response).map_err(|e| anyhow!("{site}: {e}"))
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

    /// Steps several instances in one round trip: `(env, step, action)` each. The outer error
    /// is a failure of the whole request; inner errors are per instance.
    pub fn step_batch(
        &mut self,
        steps: &[(u64, usize, &str)],
    ) -> Result<Vec<Result<BridgeOutcome>>> {
        let envs: Vec<String> = steps.iter().map(|s| s.0.to_string()).collect();
        let label = format!("step_batch of envs [{}]", envs.join(", "));
        let site = CallSite::op(&label);
        let items: Vec<Json> = steps
            .iter()
            .map(|(env, _, action)| json!({"env": env, "action": action}))
            .collect();
        let response = self.call(
            &site,
            obj(&[("op", json!("step_batch")), ("steps", Json::Array(items))]),
        )?;
        let results = match response.get("results") {
            Some(Json::Array(results)) if results.len() == steps.len() => results,
            _ => bail!(
                "{site}: response needs `results`, a list of {} objects",
                steps.len()
            ),
        };
        Ok(steps
            .iter()
            .zip(results)
            .map(|(&(env, step, _), result)| {
                let site = CallSite::env(env, Some(step), "step_batch");
                match result {
                    Json::Object(r) => match r.get("ok").and_then(Json::as_bool) {
                        Some(true) => parse_outcome(r).map_err(|e| anyhow!("{site}: {e}")),
                        Some(false) => Err(anyhow!(
                            "{site}: the adapter refused the step: {}",
                            error_text(r)
                        )),
                        None => Err(anyhow!("{site}: result without a boolean `ok`")),
                    },
                    _ => Err(anyhow!("{site}: result is not an object")),
                }
            })
            .collect())
    }

    /// Closes env instance `env` in the adapter.
    pub fn close(&mut self, env: u64) -> Result<()> {
        let site = CallSite::env(env, None, "close");
        self.call(&site, obj(&[("op", json!("close")), ("env", json!(env))]))?;
        Ok(())
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        // Closing stdin asks a well-behaved adapter to exit; then make sure it does.
        self.stdin = None;
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(200) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn obj(fields: &[(&str, Json)]) -> Map<String, Json> {
    fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn error_text(response: &Map<String, Json>) -> String {
    match response.get("error") {
        Some(Json::Object(e)) => {
            let ty = e.get("type").and_then(Json::as_str).unwrap_or("error");
            let message = e
                .get("message")
                .and_then(Json::as_str)
                .unwrap_or("(no message)");
            format!("{ty}: {message}")
        }
        Some(other) => format!("error: {other}"),
        None => "error without details".to_string(),
    }
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
    admissible.sort();
    admissible.dedup();
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

/// How [`BridgeEnv`] turns the adapter's reward into the step reward the trainer sees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RewardMode {
    /// The shared agent wrapper's reward: this value on the step that ends the episode won,
    /// 0 otherwise (ALFWorld and WebShop use 10).
    Success(f64),
    /// The adapter's raw reward, unchanged (TextWorld points, WebShop's 0..1 purchase reward).
    Raw,
}

impl RewardMode {
    fn shape(self, outcome: &mut StepOutcome) {
        if let RewardMode::Success(r) = self {
            outcome.reward = if outcome.won && outcome.done { r } else { 0.0 };
        }
    }
}

/// The settings of an `env.bridge` stage.
#[derive(Debug, Clone, PartialEq)]
pub struct BridgeSpec {
    /// The command that starts the adapter.
    pub command: String,
    /// The environment kind the adapter serves (`textworld`, `alfworld`, `webshop`, ...).
    pub kind: String,
    /// Per-call timeout.
    pub timeout: Duration,
    /// Timeout of `create` (which may generate games).
    pub setup_timeout: Duration,
    /// Rollouts per group (all members share a task).
    pub group_size: usize,
    /// Steps after which an episode ends (done, not won) if the environment has not ended it.
    pub max_steps: usize,
    /// The step reward the trainer sees.
    pub reward: RewardMode,
    /// Game files or task ids; empty: the kind's own task list.
    pub tasks: Vec<String>,
    /// Extra kind-specific configuration passed to `create`.
    pub config: Map<String, Json>,
}

impl BridgeSpec {
    /// The config sent with `create`: `config`, plus `tasks` when given.
    pub fn create_config(&self) -> Json {
        let mut config = self.config.clone();
        if !self.tasks.is_empty() {
            config.insert("tasks".into(), json!(self.tasks));
        }
        Json::Object(config)
    }

    /// Starts the adapter and checks its protocol.
    pub fn start(&self) -> Result<SharedBridge> {
        let mut bridge = Bridge::spawn(&self.command, self.timeout)?;
        bridge.set_setup_timeout(self.setup_timeout);
        bridge.hello()?;
        Ok(Arc::new(Mutex::new(bridge)))
    }

    /// Starts one adapter and creates `n` instances in it.
    pub fn open(&self, n: usize) -> Result<Vec<BridgeEnv>> {
        let bridge = self.start()?;
        (0..n).map(|_| self.instance(&bridge)).collect()
    }

    /// Creates one more instance in a running adapter.
    pub fn instance(&self, bridge: &SharedBridge) -> Result<BridgeEnv> {
        BridgeEnv::create(bridge, &self.kind, &self.create_config(), self.max_steps)
            .map(|env| env.with_reward(self.reward))
    }
}

/// One environment instance inside an adapter. Implements [`Env`]; instances sharing a
/// [`SharedBridge`] take turns on it.
pub struct BridgeEnv {
    bridge: SharedBridge,
    id: u64,
    kind: String,
    n_tasks: usize,
    tasks: Vec<String>,
    max_steps: usize,
    reward: RewardMode,
    steps: usize,
    started: bool,
    done: bool,
    last: Option<BridgeOutcome>,
    closed: bool,
}

impl fmt::Debug for BridgeEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BridgeEnv")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("n_tasks", &self.n_tasks)
            .field("steps", &self.steps)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl BridgeEnv {
    /// Creates an instance of `kind` in `bridge`, with a fresh id and the default reward
    /// ([`RewardMode::Success`] of 10).
    pub fn create(
        bridge: &SharedBridge,
        kind: &str,
        config: &Json,
        max_steps: usize,
    ) -> Result<BridgeEnv> {
        if max_steps == 0 {
            bail!("max_steps must be at least 1");
        }
        let mut b = lock(bridge);
        let id = b.allocate_env_id();
        let created = b.create(id, kind, config)?;
        drop(b);
        Ok(BridgeEnv {
            bridge: Arc::clone(bridge),
            id,
            kind: kind.to_string(),
            n_tasks: created.n_tasks,
            tasks: created.tasks,
            max_steps,
            reward: RewardMode::Success(10.0),
            steps: 0,
            started: false,
            done: false,
            last: None,
            closed: false,
        })
    }

    /// Sets how the step reward is computed.
    pub fn with_reward(mut self, reward: RewardMode) -> Self {
        self.reward = reward;
        self
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn kind(&self) -> &str {
        &self.kind
    }

    pub fn bridge(&self) -> &SharedBridge {
        &self.bridge
    }

    /// Task ids the adapter listed at create (may be empty or only the first ones).
    pub fn tasks(&self) -> &[String] {
        &self.tasks
    }

    /// Steps taken since the last reset.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The full last outcome (with expert plan and extras).
    pub fn last(&self) -> Option<&BridgeOutcome> {
        self.last.as_ref()
    }

    /// The expert plan from the current state, if the adapter gives one.
    pub fn expert(&self) -> Option<&[String]> {
        self.last.as_ref().and_then(|o| o.expert.as_deref())
    }

    /// Resets to an explicit task id or game file.
    pub fn reset_task(&mut self, task: &str) -> Result<StepOutcome> {
        self.reset_json(json!(task))
    }

    fn reset_json(&mut self, task: Json) -> Result<StepOutcome> {
        let mut out = lock(&self.bridge).reset(self.id, task)?;
        out.outcome.reward = 0.0;
        self.started = true;
        self.steps = 0;
        self.done = out.outcome.done;
        let outcome = out.outcome.clone();
        self.last = Some(out);
        Ok(outcome)
    }

    fn check_can_step(&self) -> Result<()> {
        let site = CallSite::env(self.id, Some(self.steps + 1), "step");
        if !self.started {
            bail!("{site}: step before the first reset");
        }
        if self.done {
            bail!("{site}: the episode is over (no auto-reset); reset first");
        }
        Ok(())
    }

    /// Applies the step limit and records the outcome.
    fn finish_step(&mut self, mut out: BridgeOutcome) -> StepOutcome {
        self.steps += 1;
        if self.steps >= self.max_steps {
            out.outcome.done = true;
        }
        self.reward.shape(&mut out.outcome);
        self.done = out.outcome.done;
        let outcome = out.outcome.clone();
        self.last = Some(out);
        outcome
    }

    /// Steps many instances: those sharing an adapter go in one `step_batch` round trip.
    /// Result `i` belongs to `envs[i]`.
    pub fn step_many(envs: &mut [BridgeEnv], actions: &[String]) -> Vec<Result<StepOutcome>> {
        assert_eq!(envs.len(), actions.len(), "one action per env");
        let mut results: Vec<Option<Result<StepOutcome>>> = (0..envs.len()).map(|_| None).collect();
        let mut pending: Vec<usize> = Vec::new();
        for (i, env) in envs.iter().enumerate() {
            match env.check_can_step() {
                Ok(()) => pending.push(i),
                Err(e) => results[i] = Some(Err(e)),
            }
        }
        while let Some(&first) = pending.first() {
            let bridge = Arc::clone(&envs[first].bridge);
            let (group, rest): (Vec<usize>, Vec<usize>) = pending
                .iter()
                .partition(|&&i| Arc::ptr_eq(&envs[i].bridge, &bridge));
            pending = rest;
            let steps: Vec<(u64, usize, &str)> = group
                .iter()
                .map(|&i| (envs[i].id, envs[i].steps + 1, actions[i].as_str()))
                .collect();
            let batch = lock(&bridge).step_batch(&steps);
            match batch {
                Ok(outs) => {
                    for (&i, out) in group.iter().zip(outs) {
                        results[i] = Some(out.map(|o| envs[i].finish_step(o)));
                    }
                }
                Err(e) => {
                    let message = format!("{e:#}");
                    for &i in &group {
                        results[i] = Some(Err(anyhow!("{message}")));
                    }
                }
            }
        }
        results
            .into_iter()
            .map(|r| r.expect("every env has a result"))
            .collect()
    }

    /// Closes the instance in the adapter (also done, best effort, on drop).
    pub fn close(mut self) -> Result<()> {
        self.closed = true;
        let result = lock(&self.bridge).close(self.id);
        result
    }
}

impl Env for BridgeEnv {
    fn n_tasks(&self) -> usize {
        self.n_tasks
    }

    fn reset(&mut self, task: usize) -> Result<StepOutcome> {
        if task >= self.n_tasks {
            bail!(
                "{}: task {task} out of range: the adapter has {} task(s)",
                CallSite::env(self.id, Some(0), "reset"),
                self.n_tasks
            );
        }
        self.reset_json(json!(task))
    }

    fn step(&mut self, action: &str) -> Result<StepOutcome> {
        self.check_can_step()?;
        let out = lock(&self.bridge).step(self.id, self.steps + 1, action)?;
        Ok(self.finish_step(out))
    }
}

impl Drop for BridgeEnv {
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        let mut bridge = lock(&self.bridge);
        if bridge.failure().is_none() {
            let _ = bridge.close(self.id);
        }
    }
}
