//! Running pipelines: the plan (every rule checked before anything runs), the runner that
//! composes built stages, the records each batch leaves, and checkpoints for `--resume`.

pub mod checkpoint;
pub mod plan;
pub mod record;
pub mod runner;

pub use plan::{plan, Plan, Producer};
pub use runner::{run, Progress, RunOptions, RunSummary};
