//! The bridge to external Python environments: proxmo starts an adapter process (by default
//! `python3 -m proxmo_bridge`) and plays environments inside it over a JSON-lines
//! protocol (`protocol`). One adapter process serves one environment kind and any number of
//! instances, each keyed by an integer id. The adapter returns raw text, raw reward, done and
//! the admissible actions; prompts, action projection and reward shaping stay in Rust. The
//! process itself (spawning, timeouts, caps, stderr) is the transport's (docs/transport.md).
//!
//! # Kinds served by `proxmo_bridge` (`python/proxmo_bridge/`)
//!
//! `textworld` (config `games` and/or `generate {count, seed, world_size, nb_objects,
//! quest_length, dir}`), `alfworld` (`data` or `$ALFWORLD_DATA`, `split`), `webshop` (`path` of
//! a WebShop checkout, `split`), and `debug` (a tiny built-in game for protocol tests, with
//! `n_tasks` and `step_sleep_s`). A `tasks` list in any config replaces the kind's own list.
//!
//! # Use
//!
//! As a stage (`env.bridge`, config and schema in `crate::kinds::env::bridge`):
//!
//! ```text
//! stage env = env.bridge {
//!   command = "python3 -m proxmo_bridge",
//!   kind = "alfworld",
//!   config = "{\"split\": \"valid_unseen\"}",   # data from $ALFWORLD_DATA
//!   max_steps = 50, group_size = 8, timeout_s = 30.0
//! }
//! ```
//!
//! From Rust: [`BridgeSpec::open`] starts one adapter and creates `n` [`BridgeEnv`]s in it;
//! each implements [`Env`] (reset by task index, or [`BridgeEnv::reset_task`] by id). The
//! adapter needs Python 3 and, per kind: `pip install textworld==1.7.0`; for ALFWorld also
//! `pip install alfworld 'textworld[pddl]'` and `alfworld-download`; for WebShop a checkout
//! set up as its README says.

mod config;
mod protocol;

pub use config::{BridgeSpec, RewardMode};
pub use protocol::{
    parse_outcome, Bridge, BridgeOutcome, CallSite, Created, SharedBridge, MAX_TASKS,
    PROTOCOL_VERSION,
};

use super::{Env, StepOutcome};
use anyhow::{bail, Result};
use protocol::lock;
use serde_json::{json, Value as Json};
use std::fmt;
use std::sync::Arc;

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

    /// Closes the instance in the adapter (also done, best effort, on drop).
    pub fn close(mut self) -> Result<()> {
        self.closed = true;
        let result = lock(&self.bridge).close(self.id);
        result
    }
}

impl Env for BridgeEnv {
    /// The first command of the adapter's expert plan, where it sends one.
    fn expert_action(&self) -> Option<String> {
        self.expert()?.first().cloned()
    }

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
