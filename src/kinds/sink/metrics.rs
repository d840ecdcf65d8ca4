//! `sink.metrics`: one JSON line of metrics per batch (`crate::metrics::BatchMetrics`),
//! appended and flushed as each batch ends so a long run can be followed with `tail -f` or
//! plotted mid-run. A fresh run starts the file empty; `--resume` cuts it back to the last
//! checkpoint and appends from there.

use super::{path_schema, PathConfig};
use crate::kinds::roles::{Sink, SinkOffset};
use crate::kinds::Build;
use crate::metrics::BatchMetrics;
use crate::stage::config::read;
use crate::stage::{Params, StageSchema};
use anyhow::{bail, Result};
use serde_json::{Map, Value as Json};
use std::fs::File;
use std::path::{Path, PathBuf};

stage_kind!("sink.metrics", PathConfig, Build::Sink(build));

fn schema() -> StageSchema {
    path_schema(
        KIND.name,
        "appends one JSON line of metrics per batch (success, score, advantage statistics, update and evaluation results)",
        "output file; started empty by a fresh run, a line appended after every batch",
    )
}

struct MetricsSink {
    path: PathBuf,
    file: Option<File>,
    offset: SinkOffset,
}

fn build(params: &Params) -> Result<Box<dyn Sink>> {
    let c: PathConfig = read(params)?;
    Ok(Box::new(MetricsSink {
        path: PathBuf::from(c.path),
        file: None,
        offset: 0,
    }))
}

impl Sink for MetricsSink {
    fn path(&self) -> &Path {
        &self.path
    }

    fn open(&mut self, resume: Option<SinkOffset>, _scratch: Option<&Path>) -> Result<()> {
        self.file = Some(super::open_log(&self.path, resume)?);
        self.offset = resume.unwrap_or(0);
        Ok(())
    }

    fn write(&mut self, _: &[Map<String, Json>], metrics: &BatchMetrics) -> Result<()> {
        let mut line = serde_json::to_vec(&metrics.to_json())?;
        line.push(b'\n');
        let Some(file) = self.file.as_mut() else {
            bail!("{} is not open", self.path.display());
        };
        super::append(file, &line, &self.path)?;
        self.offset += line.len() as u64;
        Ok(())
    }

    fn offset(&self) -> SinkOffset {
        self.offset
    }

    fn finish(&mut self) -> Result<Option<String>> {
        super::close_log(self.file.take(), &self.path)?;
        Ok(None)
    }
}
