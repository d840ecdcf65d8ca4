//! The settings of an `env.bridge` stage: [`BridgeSpec`], built from the stage's typed config
//! (`crate::kinds::env::bridge`).

use super::protocol::{Bridge, SharedBridge};
use super::BridgeEnv;
use crate::env::StepOutcome;
use anyhow::Result;
use serde_json::{json, Map, Value as Json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How [`super::BridgeEnv`] turns the adapter's reward into the step reward the trainer sees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RewardMode {
    /// The shared agent wrapper's reward: this value on the step that ends the episode won,
    /// 0 otherwise (ALFWorld and WebShop use 10).
    Success(f64),
    /// The adapter's raw reward, unchanged (TextWorld points, WebShop's 0..1 purchase reward).
    Raw,
}

impl RewardMode {
    pub(super) fn shape(self, outcome: &mut StepOutcome) {
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
