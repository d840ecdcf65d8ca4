//! proxmo: a training engine for multi-turn LLM agents with ProxMO credit assignment.
//!
//! The flow is `.pipe` file -> [`dsl`] (parse, resolve, validate) -> [`pipeline`] (typed
//! stages) -> stages over a [`batch::Batch`]: environment -> rollout -> advantage -> update.

pub mod advantage;
pub mod agent;
pub mod batch;
pub mod bench;
pub mod cli;
pub mod data;
pub mod dsl;
pub mod env;
pub mod gpu;
pub mod lm;
pub mod pipeline;
pub mod report;
pub mod rng;
pub mod rollout;
pub mod synthetic;
