//! `env.webshop`: the built-in WebShop (see `crate::env::webshop`).

use super::{group_size_param, max_steps_param, seed_param, shape};
use crate::env::webshop::{GoalMode, Shop, Split, WebShop};
use crate::env::{Env, EnvFactory};
use crate::kinds::Build;
use crate::stage::config::read;
use crate::stage::{
    ParamDefault, ParamSpec, ParamType, Params, Problem, Range, Role, StageConfig, StageSchema,
};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub split: String,
    pub seed: u64,
    pub max_steps: usize,
    pub group_size: usize,
    pub goal_mode: String,
    pub products: usize,
}

impl StageConfig for Config {
    fn validate(&self) -> Result<(), Problem> {
        Split::parse(&self.split).map_err(|e| Problem::at("split", format!("{e:#}")))?;
        GoalMode::parse(&self.goal_mode).map_err(|e| Problem::at("goal_mode", format!("{e:#}")))?;
        Ok(())
    }
}

stage_kind!(
    "env.webshop",
    Config,
    Build::Env {
        build,
        shape,
        split_param: Some("split"),
    }
);

fn schema() -> StageSchema {
    StageSchema {
        kind: KIND.name,
        role: Role::Env,
        doc: "built-in WebShop: seeded catalogue, BM25 search, original pages and purchase reward",
        params: vec![
            ParamSpec::new(
                "split",
                ParamType::Choice(Split::NAMES),
                ParamDefault::str("test"),
                "goal split: test (first 500), eval (next 1000), train (the rest), or verl_train (all after the first 500, verl-agent's training goals)",
            ),
            seed_param("seed of the catalogue and goals"),
            max_steps_param(15, "step limit of an episode"),
            group_size_param("rollouts per task (all reset to the same task)"),
            ParamSpec::new(
                "goal_mode",
                ParamType::Choice(GoalMode::NAMES),
                ParamDefault::str("synthetic"),
                "goals as the original's human_goals switch makes them: synthetic (verl-agent's setting; options matched as (name, value) pairs) or human (option values matched after colour normalisation)",
            ),
            ParamSpec::new(
                "products",
                ParamType::Int,
                ParamDefault::int(1000),
                "catalogue size (1,000 like the original small set)",
            )
            .range(Range::closed(10.0, 1_000_000.0)),
        ],
    }
}

fn build(params: &Params) -> anyhow::Result<EnvFactory> {
    let c: Config = read(params)?;
    let split = Split::parse(&c.split)?;
    // Holding the shop here keeps its catalogue and index alive across rollouts.
    let shop = Shop::shared_with(c.products, c.seed, GoalMode::parse(&c.goal_mode)?);
    let max_steps = c.max_steps;
    Ok(EnvFactory::new(
        KIND.name,
        c.group_size,
        Box::new(move || {
            let env = WebShop::with_shared(shop.clone(), split).with_max_steps(max_steps);
            Ok(Box::new(env) as Box<dyn Env>)
        }),
    ))
}
