//! `sink.*` kinds: where a run's rows and metrics go.

pub mod jsonl;
pub mod metrics;
pub mod tensorboard;
pub mod tracker;

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

/// Ends a log's run: its bytes on disk before the run reports success.
fn close_log(file: Option<File>, path: &Path) -> Result<()> {
    if let Some(file) = file {
        file.sync_all()
            .with_context(|| format!("cannot flush {}", path.display()))?;
    }
    Ok(())
}

/// The numbers of a metrics line (`BatchMetrics::to_json`) as a tracker's scalars, under the
/// line's names (`a/b` for nested fields); the step fields, strings and booleans left out.
fn scalars(object: &serde_json::Map<String, serde_json::Value>) -> Vec<(String, f64)> {
    fn walk(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, f64)>) {
        match v {
            serde_json::Value::Number(n) => out.extend(n.as_f64().map(|x| (prefix.to_string(), x))),
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    walk(&format!("{prefix}/{k}"), v, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (k, v) in object {
        if k != "iteration" && k != crate::metrics::EVALUATED_AFTER {
            walk(k, v, &mut out);
        }
    }
    out
}

/// A metrics line's step for trackers: the number of batches trained. Batch i (from 0) is
/// step i + 1 and the evaluation before training step 0, so evaluations and batches share
/// one axis.
fn batches_trained(object: &serde_json::Map<String, serde_json::Value>) -> i64 {
    use serde_json::Value;
    object
        .get(crate::metrics::EVALUATED_AFTER)
        .and_then(Value::as_i64)
        .or_else(|| {
            object
                .get("iteration")
                .and_then(Value::as_i64)
                .map(|i| i + 1)
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn nested_numbers_become_slash_tags_and_steps_count_batches() {
        let line = json!({"iteration": 4, "a": 1, "b": {"c": 2.5}, "s": "text", "t": true});
        let line = line.as_object().unwrap();
        assert_eq!(
            super::scalars(line),
            vec![("a".into(), 1.0), ("b/c".into(), 2.5)]
        );
        assert_eq!(super::batches_trained(line), 5);
        let before = json!({"evaluated_after": 0, "eval_score": 3.0});
        assert_eq!(super::batches_trained(before.as_object().unwrap()), 0);
    }
}
