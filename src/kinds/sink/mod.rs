//! `sink.*` kinds: where a run's rows and metrics go.

pub mod jsonl;
pub mod metrics;

use crate::stage::{ParamDefault, ParamSpec, ParamType, Problem};
use std::path::Path;

/// The `path` parameter of a sink.
fn path_param(doc: &'static str) -> ParamSpec {
    ParamSpec::new("path", ParamType::Str, ParamDefault::Required, doc)
}

/// A sink's path must be a file proxmo can create or replace.
fn check_path(path: &str) -> Result<(), Problem> {
    crate::data::atomic::ensure_writable_target(Path::new(path))
        .map_err(|e| Problem::at("path", format!("{e:#}")))
}
