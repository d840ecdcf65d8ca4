//! `policy.random`: uniform over the admissible actions (a baseline and a plumbing check).

use super::exclude_param;
use crate::kinds::{Build, Kind};
use crate::rollout::policy::{Policy, RandomPolicy};
use crate::stage::config::{check, field_names, read};
use crate::stage::{Params, Role, StageConfig, StageSchema};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub exclude: Vec<String>,
}

impl StageConfig for Config {}

pub const KIND: Kind = Kind {
    name: "policy.random",
    schema,
    fields: field_names::<Config>,
    check: check::<Config>,
    build: Build::Policy(build),
};

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
