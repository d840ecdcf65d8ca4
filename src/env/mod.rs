//! Environments: the `Env` trait every environment implements and the factory rollouts make
//! instances with. Built-in ALFWorld and WebShop, and the bridge to external ones, live in
//! submodules; their stage kinds are in `crate::kinds::env`.

pub mod alfworld;
pub mod bridge;
pub mod webshop;

use anyhow::Result;

/// The slot a template action leaves for the agent's own text, as in WebShop's
/// `search[<your query>]`: a policy fills it before acting.
pub const QUERY_SLOT: &str = "<your query>";

/// Whether `action` is one the environment listed as admissible: equal to an entry, or
/// filling an entry's [`QUERY_SLOT`]. An environment that lists nothing accepts anything.
pub fn is_admissible(admissible: &[String], action: &str) -> bool {
    admissible.is_empty()
        || admissible.iter().any(|a| match a.split_once(QUERY_SLOT) {
            None => a == action,
            Some((head, tail)) => {
                action.len() > head.len() + tail.len()
                    && action.starts_with(head)
                    && action.ends_with(tail)
            }
        })
}

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
    /// The anchor observation ProxMO compares states by (docs/estimators.md, section 1).
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
    /// The action the environment's expert would take now (for demonstrations), where it has
    /// one.
    fn expert_action(&self) -> Option<String> {
        None
    }
}

/// Makes instances of one configured environment: every rollout gets its own.
pub struct EnvFactory {
    pub kind: String,
    /// Rollouts per task (the env stage's `group_size`).
    pub group_size: usize,
    make: MakeEnv,
}

/// Builds one environment instance.
pub type MakeEnv = Box<dyn Fn() -> Result<Box<dyn Env>> + Send + Sync>;

impl EnvFactory {
    pub fn new(kind: &str, group_size: usize, make: MakeEnv) -> EnvFactory {
        EnvFactory {
            kind: kind.to_string(),
            group_size,
            make,
        }
    }

    pub fn make(&self) -> Result<Box<dyn Env>> {
        (self.make)()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_admissible_action_is_listed_or_fills_a_slot() {
        let listed: Vec<String> = ["go to desk 1", "search[<your query>]", "click[buy now]"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert!(is_admissible(&listed, "go to desk 1"));
        assert!(is_admissible(&listed, "search[red shoes]"));
        assert!(is_admissible(&listed, "click[buy now]"));
        assert!(!is_admissible(&listed, "go to desk 2"));
        assert!(!is_admissible(&listed, "search[]"));
        assert!(!is_admissible(&listed, "click[back]"));
        assert!(is_admissible(&[], "anything"));
    }
}
