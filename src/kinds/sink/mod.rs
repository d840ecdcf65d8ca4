//! `sink.*` kinds: where a run's rows and metrics go.

pub mod jsonl;
pub mod metrics;

use crate::stage::{ParamDefault, ParamSpec, ParamType, Problem, Role, StageConfig, StageSchema};
use serde::Deserialize;
use std::path::Path;

/// The config of every sink: the one file it writes.
#[derive(Debug, Clone, Deserialize)]
pub struct PathConfig {
    pub path: String,
}

impl StageConfig for PathConfig {
    /// The path must be a file proxmo can create or replace.
    fn validate(&self) -> Result<(), Problem> {
        crate::data::atomic::ensure_writable_target(Path::new(&self.path))
            .map_err(|e| Problem::at("path", format!("{e:#}")))
    }
}

/// The schema of sink `kind`: `doc` says what it writes, `path_doc` how it writes the file.
fn path_schema(kind: &'static str, doc: &'static str, path_doc: &'static str) -> StageSchema {
    StageSchema {
        kind,
        role: Role::Sink,
        doc,
        params: vec![ParamSpec::new(
            "path",
            ParamType::Str,
            ParamDefault::Required,
            path_doc,
        )],
    }
}
