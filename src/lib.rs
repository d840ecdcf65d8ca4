//! proxmo: a training engine for multi-turn LLM agents with ProxMO credit assignment.
//!
//! The flow is `.pipe` file -> [`dsl`] (parse, resolve against the [`kinds`] table) ->
//! [`run::plan`] (every rule checked) -> [`run::run`] (stages composed over batches):
//! environment -> rollout -> advantage -> update -> sinks. docs/architecture.md describes
//! the layers; each imports only those below it.

pub mod advantage;
pub mod agent;
pub mod batch;
pub mod bench;
pub mod cli;
pub mod data;
pub mod digest;
pub mod dsl;
pub mod env;
pub mod error;
pub mod gpu;
pub mod kinds;
pub mod lm;
pub mod metrics;
pub mod report;
pub mod rng;
pub mod rollout;
pub mod run;
pub mod sparse;
pub mod stage;
pub mod stats;
pub mod synthetic;
pub mod transport;
