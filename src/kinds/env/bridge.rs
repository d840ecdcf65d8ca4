//! `env.bridge`: real Python environments in an adapter process (see `crate::env::bridge`).
//! Building it starts the adapter; checking it does not.

use super::{group_size_param, max_steps_param, shape};
use crate::env::bridge::{BridgeSpec, RewardMode};
use crate::env::{Env, EnvFactory};
use crate::kinds::Build;
use crate::stage::config::read;
use crate::stage::{
    ParamDefault, ParamSpec, ParamType, Params, Problem, Range, Role, StageConfig, StageSchema,
    Value,
};
use crate::transport::MAX_TIMEOUT_S;
use serde::Deserialize;
use serde_json::{Map, Value as Json};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reward {
    Success,
    Raw,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub command: String,
    pub kind: String,
    pub timeout_s: f64,
    pub setup_timeout_s: f64,
    pub group_size: usize,
    pub max_steps: usize,
    pub reward: Reward,
    pub success_reward: f64,
    pub tasks: Vec<String>,
    pub config: String,
}

impl Config {
    fn create_config(&self) -> Result<Map<String, Json>, Problem> {
        if self.config.trim().is_empty() {
            return Ok(Map::new());
        }
        match serde_json::from_str(&self.config) {
            Ok(Json::Object(m)) => Ok(m),
            Ok(other) => Err(Problem::at(
                "config",
                format!("must hold a JSON object, found {other}"),
            )
            .help("write e.g. config = \"{\\\"split\\\": \\\"train\\\"}\"")),
            Err(e) => Err(Problem::at("config", format!("is not valid JSON: {e}"))),
        }
    }

    fn spec(&self) -> Result<BridgeSpec, Problem> {
        Ok(BridgeSpec {
            command: self.command.clone(),
            kind: self.kind.clone(),
            timeout: Duration::from_secs_f64(self.timeout_s),
            setup_timeout: Duration::from_secs_f64(self.setup_timeout_s.max(self.timeout_s)),
            group_size: self.group_size,
            max_steps: self.max_steps,
            reward: match self.reward {
                Reward::Success => RewardMode::Success(self.success_reward),
                Reward::Raw => RewardMode::Raw,
            },
            tasks: self.tasks.clone(),
            config: self.create_config()?,
        })
    }
}

impl StageConfig for Config {
    fn validate(&self) -> Result<(), Problem> {
        if self.command.trim().is_empty() {
            return Err(Problem::at("command", "is empty")
                .help("name the adapter, e.g. command = \"python3 -m proxmo_bridge\""));
        }
        self.create_config().map(|_| ())
    }
}

stage_kind!(
    "env.bridge",
    Config,
    Build::Env {
        build,
        shape,
        // The adapter decides which splits exist.
        split_param: None,
    }
);

fn seconds_param(name: &'static str, default: f64, doc: &'static str) -> ParamSpec {
    ParamSpec::new(name, ParamType::Float, ParamDefault::float(default), doc)
        .range(Range::left_open(0.0, MAX_TIMEOUT_S))
}

fn schema() -> StageSchema {
    StageSchema {
        kind: KIND.name,
        role: Role::Env,
        doc: "real Python environments (TextWorld, ALFWorld, WebShop) in an adapter process, \
              over a JSON-lines protocol",
        params: vec![
            ParamSpec::new(
                "command",
                ParamType::Str,
                ParamDefault::Required,
                "the command that starts the adapter, e.g. python3 -m proxmo_bridge",
            ),
            ParamSpec::new(
                "kind",
                ParamType::Str,
                ParamDefault::str("textworld"),
                "environment kind the adapter serves: textworld, alfworld, webshop",
            ),
            seconds_param(
                "timeout_s",
                30.0,
                "seconds each reset/step may take before the adapter is declared hung",
            ),
            seconds_param(
                "setup_timeout_s",
                600.0,
                "seconds each create may take (it may generate games)",
            ),
            group_size_param("rollouts per group; all members of a group play the same task"),
            max_steps_param(
                50,
                "steps after which an unfinished episode ends (done, not won)",
            ),
            ParamSpec::new(
                "reward",
                ParamType::Choice(&["success", "raw"]),
                ParamDefault::str("success"),
                "step reward: success_reward on the step that wins (the shared wrapper), or the \
                 adapter's raw reward",
            ),
            ParamSpec::new(
                "success_reward",
                ParamType::Float,
                ParamDefault::float(10.0),
                "with reward = \"success\": the reward of the winning step",
            )
            .range(Range::closed(0.0, 1e12)),
            ParamSpec::new(
                "tasks",
                ParamType::List(&ParamType::Str),
                ParamDefault::strings(&[]),
                "game files or task ids; empty: the kind's own task list",
            ),
            ParamSpec::new(
                "config",
                ParamType::Str,
                ParamDefault::str(""),
                "a JSON object of kind-specific settings passed to the adapter's create",
            ),
        ],
    }
}

/// The spec of an `env.bridge` stage with the schema's defaults, for tools and tests that
/// start an adapter without a `.pipe` file.
pub fn default_spec(command: &str, kind: &str) -> anyhow::Result<BridgeSpec> {
    let params = crate::kinds::params_with_defaults(
        KIND.name,
        &[
            ("command", Value::Str(command.to_string())),
            ("kind", Value::Str(kind.to_string())),
        ],
    )?;
    let c: Config = read(&params)?;
    Ok(c.spec()?)
}

fn build(params: &Params) -> anyhow::Result<EnvFactory> {
    let c: Config = read(params)?;
    let spec = c.spec()?;
    // One adapter process serves every instance; instances take turns on it.
    let adapter = spec.start()?;
    Ok(EnvFactory::new(
        KIND.name,
        c.group_size,
        Box::new(move || Ok(Box::new(spec.instance(&adapter)?) as Box<dyn Env>)),
    ))
}
