//! Running pipelines: the plan (every rule checked before anything runs), the runner that
//! composes built stages, the records each batch leaves, checkpoints for `--resume`, and
//! the checks of a sequence of pipelines.

pub mod checkpoint;
pub mod plan;
pub mod record;
pub mod runner;
pub mod sequence;

pub use plan::{plan, Plan, Producer};
pub use runner::{run, EvalSummary, Progress, RunOptions, RunSummary};
