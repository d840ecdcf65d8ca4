//! `policy.command`: a language model served by the user's own process (see
//! `crate::rollout::command`). Building it starts the process; checking it does not.

use crate::agent::prompt::Benchmark;
use crate::kinds::Build;
use crate::rollout::command::CommandPolicy;
use crate::rollout::policy::Policy;
use crate::stage::config::read;
use crate::stage::{
    ParamDefault, ParamSpec, ParamType, Params, Problem, Range, Role, StageConfig, StageSchema,
};
use crate::transport::MAX_TIMEOUT_S;
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub command: String,
    pub prompts: String,
    pub timeout_s: f64,
    pub eval_temperature: f64,
}

impl StageConfig for Config {
    fn validate(&self) -> Result<(), Problem> {
        if self.command.trim().is_empty() {
            return Err(Problem::at("command", "is empty").help(
                "name your model process, e.g. command = \"python3 python/examples/openai_policy.py\"",
            ));
        }
        Ok(())
    }
}

stage_kind!("policy.command", Config, Build::Policy(build));

fn schema() -> StageSchema {
    StageSchema {
        kind: KIND.name,
        role: Role::Policy,
        doc: "a language model served by your own process over JSON lines (see README, \"Rollouts with your language model\"); proxmo builds the paper's prompts and projects the responses",
        params: vec![
            ParamSpec::new(
                "command",
                ParamType::Str,
                ParamDefault::Required,
                "the command that starts the model process, e.g. \"python3 python/examples/openai_policy.py\"",
            ),
            ParamSpec::new(
                "prompts",
                ParamType::Choice(&["auto", "alfworld", "webshop", "text"]),
                ParamDefault::str("auto"),
                "prompt wording: the env's (auto; for env.bridge, that of the environment it serves: ALFWorld, WebShop, else neutral), or a fixed one",
            ),
            ParamSpec::new(
                "timeout_s",
                ParamType::Float,
                ParamDefault::float(600.0),
                "longest wait for one batch of responses (sending the prompts included)",
            )
            .range(Range::left_open(0.0, MAX_TIMEOUT_S)),
            ParamSpec::new(
                "eval_temperature",
                ParamType::Float,
                ParamDefault::float(0.4),
                "sampling temperature asked for while evaluating (sent with each generate request)",
            )
            .range(Range::closed(0.0, 10.0)),
        ],
    }
}

fn build(params: &Params, env_kind: &str) -> anyhow::Result<Box<dyn Policy>> {
    let c: Config = read(params)?;
    let benchmark = match c.prompts.as_str() {
        "auto" => Benchmark::for_env(env_kind),
        name => Some(
            Benchmark::parse(name).ok_or_else(|| anyhow::anyhow!("unknown prompt set {name:?}"))?,
        ),
    };
    Ok(Box::new(CommandPolicy::start(
        &c.command,
        benchmark,
        Duration::from_secs_f64(c.timeout_s),
        c.eval_temperature,
    )?))
}
