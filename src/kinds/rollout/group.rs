//! `rollout.group`: every task of a batch is played `group_size` times (the env's) by the
//! policy; a task's rollouts form one group (see `crate::rollout::collect`).

use crate::kinds::roles::RolloutPlan;
use crate::kinds::Build;
use crate::stage::config::read;
use crate::stage::{
    ParamDefault, ParamSpec, ParamType, Params, Range, Role, StageConfig, StageSchema, StageValue,
    Value,
};
use serde::Deserialize;

/// Upper bound on tasks per batch, so a typo cannot ask for billions of rollouts.
pub const TASKS_PER_BATCH_CAP: f64 = 100_000.0;

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub tasks: usize,
    pub policy: StageValue,
}

impl StageConfig for Config {}

stage_kind!("rollout.group", Config, Build::Rollout(build));

/// `policy.random` with its defaults: what a rollout plays when no policy is given.
fn default_policy() -> Value {
    // Straight from the kind's schema: this runs while the schema list is being built.
    let random = crate::kinds::policy::random::KIND;
    let params = (random.schema)()
        .params_with(&[])
        .map(|p| p.0)
        .unwrap_or_default();
    Value::Stage(StageValue {
        kind: random.name.into(),
        params,
    })
}

fn schema() -> StageSchema {
    StageSchema {
        kind: KIND.name,
        role: Role::Rollout,
        doc: "plays `tasks` tasks of the environment, each `group_size` times (the env's), with the policy",
        params: vec![
            ParamSpec::new(
                "tasks",
                ParamType::Int,
                ParamDefault::int(16),
                "tasks per batch; each task's rollouts form one group",
            )
            .range(Range::closed(1.0, TASKS_PER_BATCH_CAP)),
            ParamSpec::new(
                "policy",
                ParamType::Stage("policy."),
                ParamDefault::Value(default_policy()),
                "the policy that acts: a policy.* stage",
            ),
        ],
    }
}

fn build(params: &Params) -> anyhow::Result<RolloutPlan> {
    let c: Config = read(params)?;
    Ok(RolloutPlan {
        tasks: c.tasks,
        policy: c.policy,
    })
}
