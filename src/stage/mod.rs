//! The stage core, the bottom layer every stage kind builds on: parameter values, schemas,
//! spans into `.pipe` sources, resolved stages and pipelines, and typed configs read from
//! resolved parameters. It imports nothing above itself (see docs/architecture.md).

pub mod config;
pub mod resolved;
pub mod schema;
pub mod span;
pub mod value;

pub use config::{Problem, StageConfig};
pub use resolved::{
    ResolvedPipeline, ResolvedSequence, ResolvedStage, ResolvedStep, Runnable, StepInput,
};
pub use schema::{ParamDefault, ParamSpec, ParamType, Range, Role, StageSchema};
pub use span::{FileId, Span};
pub use value::{Params, StageValue, Value};
