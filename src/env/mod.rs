//! Environments: the `Env` trait every environment implements, and a runner that steps many
//! environments in parallel. Built-in ALFWorld and WebShop, and the bridge to external ones,
//! live in submodules.

pub mod alfworld;
pub mod bridge;
pub mod webshop;

use crate::pipeline::schema::StageSchema;
use crate::pipeline::value::Params;
use anyhow::Result;
use rayon::prelude::*;

/// What an environment returns after a reset or a step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepOutcome {
    /// The text the agent sees.
    pub observation: String,
    /// Reward of this step (0 on reset).
    pub reward: f64,
    /// The episode is over (success, failure or step limit).
    pub done: bool,
    /// The task was accomplished.
    pub won: bool,
    /// The benchmark's raw score so far (WebShop: the purchase reward in [0, 1]; ALFWorld: 0 or 1).
    pub score: f64,
    /// Actions the environment accepts now, in the order the original lists them
    /// (ALFWorld: sorted; WebShop: page order).
    pub admissible: Vec<String>,
    /// The anchor observation ProxMO compares states by (SPEC section 4).
    pub anchor: String,
}

/// One environment instance. Tasks are always chosen explicitly: `reset(task)` never draws a
/// hidden random task, so runs are reproducible from the seed that chose the task indices.
pub trait Env: Send {
    /// Number of tasks in this instance's split.
    fn n_tasks(&self) -> usize;
    /// Starts task `task` (an index into the split) and returns the first observation.
    fn reset(&mut self, task: usize) -> Result<StepOutcome>;
    /// Takes one action (free text) and returns what happened.
    fn step(&mut self, action: &str) -> Result<StepOutcome>;
    /// The category of task `task` where the benchmark reports results per category
    /// (ALFWorld's task types).
    fn task_kind(&self, _task: usize) -> Option<String> {
        None
    }
}

/// Makes instances of one configured environment: every rollout gets its own.
pub struct EnvFactory {
    pub kind: String,
    /// Rollouts per task (the env stage's `group_size`).
    pub group_size: usize,
    make: Box<dyn Fn() -> Result<Box<dyn Env>> + Send + Sync>,
}

impl EnvFactory {
    pub fn make(&self) -> Result<Box<dyn Env>> {
        (self.make)()
    }
}

/// The factory for a resolved `env.*` stage.
pub fn factory(kind: &str, params: &Params) -> Result<EnvFactory> {
    let group_size = usize::try_from(params.i64("group_size")?)?;
    let make: Box<dyn Fn() -> Result<Box<dyn Env>> + Send + Sync> = match kind {
        "env.alfworld" => {
            let params = params.clone();
            Box::new(
                move || Ok(Box::new(alfworld::AlfWorld::from_params(&params)?) as Box<dyn Env>),
            )
        }
        "env.webshop" => {
            let split = webshop::Split::parse(params.str("split")?)?;
            let seed = u64::try_from(params.i64("seed")?)?;
            let products = usize::try_from(params.i64("products")?)?;
            let max_steps = usize::try_from(params.i64("max_steps")?)?;
            let mode = webshop::GoalMode::parse(params.str("goal_mode")?)?;
            // Holding the shop here keeps its catalogue and index alive across rollouts.
            let shop = webshop::Shop::shared_with(products, seed, mode);
            Box::new(move || {
                let env =
                    webshop::WebShop::with_shared(shop.clone(), split).with_max_steps(max_steps);
                Ok(Box::new(env) as Box<dyn Env>)
            })
        }
        "env.bridge" => {
            let spec = bridge::BridgeSpec::from_params(params)?;
            // One adapter process serves every instance; instances take turns on it.
            let adapter = spec.start()?;
            Box::new(move || Ok(Box::new(spec.instance(&adapter)?) as Box<dyn Env>))
        }
        other => anyhow::bail!("environment kind `{other}` is not built"),
    };
    Ok(EnvFactory {
        kind: kind.to_string(),
        group_size,
        make,
    })
}

/// Steps every environment with its action, in parallel; result `i` belongs to `envs[i]`.
pub fn step_all(envs: &mut [Box<dyn Env>], actions: &[String]) -> Vec<Result<StepOutcome>> {
    envs.par_iter_mut()
        .zip(actions.par_iter())
        .map(|(env, action)| env.step(action))
        .collect()
}

/// Resets every environment to its task, in parallel; result `i` belongs to `envs[i]`.
pub fn reset_all(envs: &mut [Box<dyn Env>], tasks: &[usize]) -> Vec<Result<StepOutcome>> {
    envs.par_iter_mut()
        .zip(tasks.par_iter())
        .map(|(env, &task)| env.reset(task))
        .collect()
}

/// The stage schemas of the environment kinds (`env.*`).
pub fn stage_schemas() -> Vec<StageSchema> {
    vec![alfworld::schema(), webshop::schema(), bridge::schema()]
}
