//! What each role of stage builds, and the one record the kind table holds per kind.
//! The runner composes these; kinds implement them.

use crate::advantage::Estimator;
use crate::data::jsonl::JsonlRows;
use crate::env::EnvFactory;
use crate::metrics::BatchMetrics;
use crate::rollout::policy::Policy;
use crate::rollout::Rollouts;
use crate::stage::{Params, Problem, Role, StageSchema, StageValue};
use anyhow::Result;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One entry of the kind table.
pub struct Kind {
    pub name: &'static str,
    pub schema: fn() -> StageSchema,
    /// The field names of the kind's typed config (checked against the schema by a test).
    pub fields: fn() -> Vec<&'static str>,
    /// Reads the typed config and checks what the schema cannot (no side effects, so
    /// `proxmo check` can run it).
    pub check: fn(&Params) -> Result<(), Problem>,
    pub build: Build,
}

/// How a kind is built, by role.
pub enum Build {
    /// `source.*`: rows from outside, read once.
    Source(fn(&Params) -> Result<Box<dyn Source>>),
    /// `env.*`: a factory of environment instances, and the shape of its batches.
    Env {
        build: fn(&Params) -> Result<EnvFactory>,
        shape: fn(&Params) -> Result<EnvShape>,
        /// The split parameter, for evaluating on another split (`eval_split`).
        split_param: Option<&'static str>,
    },
    /// `rollout.*`: how many tasks a batch plays, and with which policy.
    Rollout(fn(&Params) -> Result<RolloutPlan>),
    /// `advantage.*`: an estimator.
    Advantage(fn(&Params) -> Result<Estimator>),
    /// `update.*`: trains the rollout's policy; `trains` lists the policy kinds it can train.
    Update {
        build: fn(&Params) -> Result<Box<dyn Update>>,
        trains: &'static [&'static str],
    },
    /// `sink.*`: writes what a run produces.
    Sink(fn(&Params) -> Result<Box<dyn Sink>>),
    /// `policy.*`: chooses actions; built for an environment kind (its prompts).
    Policy(fn(&Params, &str) -> Result<Box<dyn Policy>>),
}

impl Build {
    pub fn role(&self) -> Role {
        match self {
            Build::Source(_) => Role::Source,
            Build::Env { .. } => Role::Env,
            Build::Rollout(_) => Role::Rollout,
            Build::Advantage(_) => Role::Advantage,
            Build::Update { .. } => Role::Update,
            Build::Sink(_) => Role::Sink,
            Build::Policy(_) => Role::Policy,
        }
    }
}

/// How big an environment's batches can get.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnvShape {
    /// Rollouts per task.
    pub group_size: usize,
    /// Step limit of an episode, where the environment has one it enforces.
    pub max_steps: Option<usize>,
}

/// A rollout stage, read: tasks per batch and the policy that plays them.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutPlan {
    pub tasks: usize,
    pub policy: StageValue,
}

/// Rows from outside (another trainer's trajectories).
pub trait Source: Send {
    /// Where the rows come from, for messages.
    fn describe(&self) -> String;
    fn read(&mut self) -> Result<JsonlRows>;
}

/// Trains a policy on a batch's advantages.
pub trait Update: Send {
    /// One update. `advantages` is indexed like `played.rows`. Returns the metrics to record
    /// (e.g. `policy_entropy`).
    fn apply(
        &mut self,
        policy: &mut dyn Policy,
        played: &Rollouts,
        advantages: &[f64],
    ) -> Result<BTreeMap<String, f64>>;
}

/// Where a sink stands in an interrupted run: how many bytes of its output are final.
pub type SinkOffset = u64;

/// Writes what a run produces, batch by batch.
pub trait Sink: Send {
    /// The file it writes.
    fn path(&self) -> &Path;
    /// The resolved pipeline of the run, given before `open`, for sinks that record the
    /// run's configuration (a tracker's run config); most ignore it.
    fn describe_run(&mut self, _pipeline: &Json) {}
    /// Starts writing. `resume` is the checkpointed offset of an interrupted run, and
    /// `scratch` a directory the sink may keep partial output in across crashes (the run's
    /// checkpoint directory), if the run has one.
    fn open(&mut self, resume: Option<SinkOffset>, scratch: Option<&Path>) -> Result<()>;
    /// One batch: its rows (with advantages) and its metrics.
    fn write(&mut self, rows: &[Map<String, Json>], metrics: &BatchMetrics) -> Result<()>;
    /// How many bytes are written and flushed so far (saved in checkpoints).
    fn offset(&self) -> SinkOffset;
    /// The run is over: makes the output final; returns a line for the progress log.
    fn finish(&mut self) -> Result<Option<String>>;
}

/// Where a kind built from a path stores partial output across crashes.
pub fn scratch_file(scratch: &Path, path: &Path) -> PathBuf {
    let name: String = path
        .to_string_lossy()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    scratch.join("sinks").join(name)
}
