//! `policy.linear`: a softmax over the admissible actions, linear in hashed text features
//! (see `crate::rollout::linear`); trained by `update.pg`.

use super::exclude_param;
use crate::data::input::{check_regular, MAX_WEIGHTS_BYTES};
use crate::kinds::Build;
use crate::rollout::linear::LinearPolicy;
use crate::rollout::policy::Policy;
use crate::stage::config::read;
use crate::stage::{
    ParamDefault, ParamSpec, ParamType, Params, Problem, Range, Role, StageConfig, StageSchema,
};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub exclude: Vec<String>,
    pub features_log2: u32,
    pub temperature: f64,
    pub weights: String,
}

impl StageConfig for Config {
    fn validate(&self) -> Result<(), Problem> {
        if self.weights.is_empty() {
            return Ok(());
        }
        let path = Path::new(&self.weights);
        check_regular(path, MAX_WEIGHTS_BYTES, "the weights file").map_err(|e| {
            Problem::at("weights", e.0)
                .help("give a file saved by update.pg's `save`, or \"\" to start from zero")
        })
    }
}

stage_kind!("policy.linear", Config, Build::Policy(build));

fn schema() -> StageSchema {
    StageSchema {
        kind: KIND.name,
        role: Role::Policy,
        doc: "softmax over admissible actions, linear in hashed text features; trainable by update.pg (a small stand-in for an LLM policy)",
        params: vec![
            exclude_param(),
            ParamSpec::new(
                "features_log2",
                ParamType::Int,
                ParamDefault::int(18),
                "log2 of the number of hashed feature weights",
            )
            .range(Range::closed(8.0, 26.0)),
            ParamSpec::new(
                "temperature",
                ParamType::Float,
                ParamDefault::float(1.0),
                "sampling temperature of the softmax",
            )
            .range(Range::closed(1e-6, 1e6)),
            ParamSpec::new(
                "weights",
                ParamType::Str,
                ParamDefault::str(""),
                "start from weights saved by update.pg's `save` (empty: all zero, the uniform policy)",
            ),
        ],
    }
}

fn build(params: &Params, _env_kind: &str) -> anyhow::Result<Box<dyn Policy>> {
    let c: Config = read(params)?;
    let mut policy = LinearPolicy::new(c.features_log2, c.temperature, c.exclude)?;
    if !c.weights.is_empty() {
        policy.load(Path::new(&c.weights))?;
    }
    Ok(Box::new(policy))
}
