//! `sink.*` kinds: where a run's rows and metrics go.

pub mod jsonl;
pub mod metrics;
pub mod tensorboard;

use super::roles::SinkOffset;
use crate::stage::{ParamDefault, ParamSpec, ParamType, Problem, Role, StageConfig, StageSchema};
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
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

/// Opens the log a sink appends to (held locked): a fresh run (`resume` = None) starts it
/// empty; `--resume` cuts it back to the checkpointed offset and appends from there.
fn open_log(path: &Path, resume: Option<SinkOffset>) -> Result<File> {
    let mut file = crate::data::atomic::open_append(path)?;
    let keep = match resume {
        None => 0,
        Some(offset) => {
            let len = file.metadata()?.len();
            if len < offset {
                bail!(
                    "{} holds {len} bytes but the checkpoint recorded {offset}: was it edited?",
                    path.display()
                );
            }
            offset
        }
    };
    file.set_len(keep)
        .with_context(|| format!("cannot cut {} back to {keep} bytes", path.display()))?;
    file.seek(SeekFrom::End(0))?;
    Ok(file)
}

/// Appends `bytes` to a log in one write, flushed, so a reader never sees half a record.
fn append(file: &mut File, bytes: &[u8], path: &Path) -> Result<()> {
    file.write_all(bytes)
        .and_then(|_| file.flush())
        .with_context(|| format!("cannot write {}", path.display()))
}
