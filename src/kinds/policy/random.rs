//! `policy.random`: uniform over the admissible actions (a baseline and a plumbing check).

use super::exclude_param;
use crate::kinds::Build;
use crate::rollout::policy::{Policy, RandomPolicy};
use crate::stage::config::read;
use crate::stage::{Params, Role, StageConfig, StageSchema};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub exclude: Vec<String>,
}

impl StageConfig for Config {}

stage_kind!("policy.random", Config, Build::Policy(build));

fn schema() -> StageSchema {
    StageSchema {
        kind: KIND.name,
        role: Role::Policy,
        doc: "picks uniformly among the admissible actions: a baseline and a plumbing check",
        params: vec![exclude_param()],
    }
}

fn build(params: &Params, _env_kind: &str) -> anyhow::Result<Box<dyn Policy>> {
    let c: Config = read(params)?;
    Ok(Box::new(RandomPolicy { exclude: c.exclude }))
}
