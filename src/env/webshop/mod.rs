//! A native WebShop: a seeded catalogue standing in for the scraped products, BM25 search,
//! the original page flow and text observations, and the original purchase reward
//! (shared/ENVS.md, "WebShop").

pub mod catalogue;
pub mod fuzzy;
pub mod game;
pub mod goals;
pub mod pages;
pub mod reward;
pub mod search;

pub use catalogue::{Catalogue, Product};
pub use game::{random_policy, PolicyEval, Shop, WebShop, DEFAULT_MAX_STEPS, DEFAULT_PRODUCTS};
pub use goals::{Goal, GoalMode, Split};

use crate::pipeline::schema::{
    Default, ParamSpec, ParamType, Range, Role, StageSchema, GROUP_SIZE_CAP, STEP_LIMIT_CAP,
};
use crate::pipeline::value::Value;

/// The stage schema of `env.webshop`.
pub fn schema() -> StageSchema {
    StageSchema {
        kind: "env.webshop",
        role: Role::Env,
        doc: "built-in WebShop: seeded catalogue, BM25 search, original pages and purchase reward",
        params: vec![
            ParamSpec::new(
                "split",
                ParamType::Choice(Split::NAMES),
                Default::Value(Value::Str("test".into())),
                "goal split: test (first 500), eval (next 1000), train (the rest), or verl_train (all after the first 500, verl-agent's training goals)",
            ),
            ParamSpec::new(
                "seed",
                ParamType::Int,
                Default::Value(Value::Int(0)),
                "seed of the catalogue and goals",
            )
            .range(Range::at_least(0.0)),
            ParamSpec::new(
                "max_steps",
                ParamType::Int,
                Default::Value(Value::Int(15)),
                "step limit of an episode",
            )
            .range(Range::closed(1.0, STEP_LIMIT_CAP)),
            ParamSpec::new(
                "group_size",
                ParamType::Int,
                Default::Value(Value::Int(8)),
                "rollouts per task (all reset to the same task)",
            )
            .range(Range::closed(2.0, GROUP_SIZE_CAP)),
            ParamSpec::new(
                "goal_mode",
                ParamType::Choice(GoalMode::NAMES),
                Default::Value(Value::Str("synthetic".into())),
                "goals as the original's human_goals switch makes them: synthetic (verl-agent's setting; options matched as (name, value) pairs) or human (option values matched after colour normalisation)",
            ),
            ParamSpec::new(
                "products",
                ParamType::Int,
                Default::Value(Value::Int(1000)),
                "catalogue size (1,000 like the original small set)",
            )
            .range(Range::at_least(10.0)),
        ],
    }
}
