//! `sink.tensorboard`: each batch's metrics as TensorBoard scalars (the step is the number of
//! batches trained: batch 1 is step 1, the evaluation before training step 0), and the resolved pipeline
//! as text, in one event file of the directory (`crate::data::tfevents`, docs/tracking.md).
//! The file keeps one fixed name so `--resume` finds it: it is cut back to the last
//! checkpoint and appended to, like `sink.metrics`.

use crate::data::tfevents;
use crate::kinds::roles::{Sink, SinkOffset};
use crate::kinds::Build;
use crate::metrics::BatchMetrics;
use crate::stage::config::read;
use crate::stage::{
    ParamDefault, ParamSpec, ParamType, Params, Problem, Role, StageConfig, StageSchema,
};
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use serde_json::{Map, Value as Json};
use std::fs::File;
use std::path::{Path, PathBuf};

stage_kind!("sink.tensorboard", DirConfig, Build::Sink(build));

/// The event file's name in the directory (TensorBoard reads files whose name holds
/// `tfevents`).
pub const EVENT_FILE: &str = "events.out.tfevents.proxmo";

#[derive(Debug, Clone, Deserialize)]
pub struct DirConfig {
    pub dir: String,
}

impl StageConfig for DirConfig {
    fn validate(&self) -> Result<(), Problem> {
        let dir = Path::new(&self.dir);
        if self.dir.is_empty() {
            return Err(Problem::at("dir", "the log directory is empty".to_string()));
        }
        if dir.exists() && !dir.is_dir() {
            return Err(Problem::at(
                "dir",
                format!("{} exists and is not a directory", dir.display()),
            ));
        }
        Ok(())
    }
}

fn schema() -> StageSchema {
    StageSchema {
        kind: KIND.name,
        role: Role::Sink,
        doc: "writes each batch's metrics as TensorBoard scalars and the resolved pipeline as text (`tensorboard --logdir DIR`)",
        params: vec![ParamSpec::new(
            "dir",
            ParamType::Str,
            ParamDefault::Required,
            "log directory, created if missing; the run writes its one event file there",
        )],
    }
}

struct TensorBoardSink {
    path: PathBuf,
    file: Option<File>,
    offset: SinkOffset,
    /// The resolved pipeline, written as text when a fresh run opens the file.
    pipeline: Option<String>,
}

fn build(params: &Params) -> Result<Box<dyn Sink>> {
    let c: DirConfig = read(params)?;
    Ok(Box::new(TensorBoardSink {
        path: Path::new(&c.dir).join(EVENT_FILE),
        file: None,
        offset: 0,
        pipeline: None,
    }))
}

fn wall_time() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Markdown that shows `json` as a code block (TensorBoard's text tab renders Markdown).
fn as_code_block(json: &str) -> String {
    json.lines().map(|l| format!("    {l}\n")).collect()
}

impl TensorBoardSink {
    fn append(&mut self, bytes: &[u8]) -> Result<()> {
        let Some(file) = self.file.as_mut() else {
            bail!("{} is not open", self.path.display());
        };
        super::append(file, bytes, &self.path)?;
        self.offset += bytes.len() as u64;
        Ok(())
    }
}

impl Sink for TensorBoardSink {
    fn path(&self) -> &Path {
        &self.path
    }

    fn describe_run(&mut self, pipeline: &Json) {
        self.pipeline = serde_json::to_string_pretty(pipeline).ok();
    }

    fn open(&mut self, resume: Option<SinkOffset>, _scratch: Option<&Path>) -> Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        self.file = Some(super::open_log(&self.path, resume)?);
        self.offset = resume.unwrap_or(0);
        if resume.is_none() {
            let now = wall_time();
            let mut head = tfevents::file_version(now);
            if let Some(p) = &self.pipeline {
                head.extend(tfevents::text(now, 0, "pipeline", &as_code_block(p)));
            }
            self.append(&head)?;
        }
        Ok(())
    }

    fn write(&mut self, _: &[Map<String, Json>], metrics: &BatchMetrics) -> Result<()> {
        let object = metrics.to_json();
        let scalars: Vec<(String, f32)> = super::scalars(&object)
            .into_iter()
            .map(|(tag, v)| (tag, v as f32))
            .collect();
        if scalars.is_empty() {
            return Ok(());
        }
        let step = super::batches_trained(&object);
        self.append(&tfevents::scalars(wall_time(), step, &scalars))
    }

    fn offset(&self) -> SinkOffset {
        self.offset
    }

    fn finish(&mut self) -> Result<Option<String>> {
        super::close_log(self.file.take(), &self.path)?;
        Ok(Some(format!(
            "TensorBoard events in {} (tensorboard --logdir {})",
            self.path.display(),
            self.path.parent().unwrap_or(Path::new(".")).display()
        )))
    }
}
