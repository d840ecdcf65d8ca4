//! The settings of an `env.bridge` stage: [`BridgeSpec`], read from the stage's parameters,
//! and the stage's [`schema`].

use super::protocol::{Bridge, SharedBridge};
use super::BridgeEnv;
use crate::env::StepOutcome;
use crate::pipeline::schema::{
    Default, ParamSpec, ParamType, Range, Role, StageSchema, GROUP_SIZE_CAP, STEP_LIMIT_CAP,
};
use crate::pipeline::value::{Params, Value};
use crate::transport::MAX_TIMEOUT_S;
use anyhow::{bail, Result};
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
    /// A spec with the schema's defaults.
    pub fn new(command: &str, kind: &str) -> BridgeSpec {
        BridgeSpec {
            command: command.to_string(),
            kind: kind.to_string(),
            timeout: Duration::from_secs(30),
            setup_timeout: Duration::from_secs(600),
            group_size: 8,
            max_steps: 50,
            reward: RewardMode::Success(10.0),
            tasks: Vec::new(),
            config: Map::new(),
        }
    }

    /// Reads a resolved `env.bridge` stage's parameters.
    pub fn from_params(params: &Params) -> Result<BridgeSpec> {
        let command = params.str("command")?.to_string();
        let kind = params.str("kind")?.to_string();
        let seconds = |name: &str| -> Result<Duration> {
            let s = params.f64(name)?;
            if !(s > 0.0 && s <= MAX_TIMEOUT_S) {
                bail!("parameter `{name}` must be in (0, {MAX_TIMEOUT_S}] seconds, got {s}");
            }
            Ok(Duration::from_secs_f64(s))
        };
        let timeout = seconds("timeout_s")?;
        let setup_timeout = seconds("setup_timeout_s")?;
        let group_size = params.i64("group_size")?;
        let max_steps = params.i64("max_steps")?;
        if group_size < 2 {
            bail!("parameter `group_size` must be at least 2, got {group_size}");
        }
        if max_steps < 1 {
            bail!("parameter `max_steps` must be at least 1, got {max_steps}");
        }
        let reward = match params.str("reward")? {
            "success" => {
                let r = params.f64("success_reward")?;
                if !(r.is_finite() && r >= 0.0) {
                    bail!("parameter `success_reward` must be a non-negative number, got {r}");
                }
                RewardMode::Success(r)
            }
            "raw" => RewardMode::Raw,
            other => bail!("parameter `reward` must be \"success\" or \"raw\", got {other:?}"),
        };
        let tasks = match params.get("tasks") {
            None => Vec::new(),
            Some(Value::List(items)) => items
                .iter()
                .map(|v| match v {
                    Value::Str(s) => Ok(s.clone()),
                    Value::Int(i) => Ok(i.to_string()),
                    other => bail!("parameter `tasks` must list strings, found {other}"),
                })
                .collect::<Result<_>>()?,
            Some(other) => bail!("parameter `tasks` must be a list, got {other}"),
        };
        let config = match params.get("config").and_then(Value::as_str) {
            None | Some("") => Map::new(),
            Some(text) => match serde_json::from_str(text) {
                Ok(Json::Object(m)) => m,
                Ok(_) => bail!("parameter `config` must hold a JSON object"),
                Err(e) => bail!("parameter `config` is not valid JSON: {e}"),
            },
        };
        Ok(BridgeSpec {
            command,
            kind,
            timeout,
            setup_timeout: setup_timeout.max(timeout),
            group_size: group_size as usize,
            max_steps: max_steps as usize,
            reward,
            tasks,
            config,
        })
    }

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

/// The schema of the `env.bridge` stage kind.
pub fn schema() -> StageSchema {
    let float = |x: f64| Default::Value(Value::Float(x));
    let int = |x: i64| Default::Value(Value::Int(x));
    let string = |s: &str| Default::Value(Value::Str(s.to_string()));
    StageSchema {
        kind: "env.bridge",
        role: Role::Env,
        doc: "real Python environments (TextWorld, ALFWorld, WebShop) in an adapter process, \
              over a JSON-lines protocol",
        params: vec![
            ParamSpec::new(
                "command",
                ParamType::Str,
                Default::Required,
                "the command that starts the adapter, e.g. python3 python/proxmo_bridge.py",
            ),
            ParamSpec::new(
                "kind",
                ParamType::Str,
                string("textworld"),
                "environment kind the adapter serves: textworld, alfworld, webshop",
            ),
            ParamSpec::new(
                "timeout_s",
                ParamType::Float,
                float(30.0),
                "seconds each reset/step may take before the adapter is declared hung",
            )
            .range(Range::left_open(0.0, MAX_TIMEOUT_S)),
            ParamSpec::new(
                "setup_timeout_s",
                ParamType::Float,
                float(600.0),
                "seconds each create may take (it may generate games)",
            )
            .range(Range::left_open(0.0, MAX_TIMEOUT_S)),
            ParamSpec::new(
                "group_size",
                ParamType::Int,
                int(8),
                "rollouts per group; all members of a group play the same task",
            )
            .range(Range::closed(2.0, GROUP_SIZE_CAP)),
            ParamSpec::new(
                "max_steps",
                ParamType::Int,
                int(50),
                "steps after which an unfinished episode ends (done, not won)",
            )
            .range(Range::closed(1.0, STEP_LIMIT_CAP)),
            ParamSpec::new(
                "reward",
                ParamType::Choice(&["success", "raw"]),
                string("success"),
                "step reward: success_reward on the step that wins (the shared wrapper), or the \
                 adapter's raw reward",
            ),
            ParamSpec::new(
                "success_reward",
                ParamType::Float,
                float(10.0),
                "with reward = \"success\": the reward of the winning step",
            )
            .range(Range::at_least(0.0)),
            ParamSpec::new(
                "tasks",
                ParamType::List,
                Default::Value(Value::List(Vec::new())),
                "game files or task ids; empty: the kind's own task list",
            ),
            ParamSpec::new(
                "config",
                ParamType::Str,
                string(""),
                "a JSON object of kind-specific settings passed to the adapter's create",
            ),
        ],
    }
}
