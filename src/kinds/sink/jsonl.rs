//! `sink.jsonl`: every row with its advantages, one JSON object per line.
//!
//! Rows are written as each batch is produced, so memory stays flat over a long run, and the
//! file stays complete-or-absent: rows go to a temporary file beside the target, renamed over
//! it when the run ends. A run with a checkpoint directory keeps its partial rows there
//! instead (a temporary file does not survive a crash), and copies them to the target at the
//! end; `--resume` cuts them back to the last checkpoint and goes on.

use super::{path_schema, PathConfig};
use crate::data::atomic::AtomicFile;
use crate::kinds::roles::{scratch_file, Sink, SinkOffset};
use crate::kinds::Build;
use crate::metrics::BatchMetrics;
use crate::stage::config::read;
use crate::stage::{Params, StageSchema};
use anyhow::{bail, Context, Result};
use serde_json::{Map, Value as Json};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

stage_kind!("sink.jsonl", PathConfig, Build::Sink(build));

fn schema() -> StageSchema {
    path_schema(
        KIND.name,
        "writes every row with its advantages to a JSON-lines file, batch by batch; the file appears complete when the run ends",
        "output file; rows go to a temporary file (or the checkpoint directory) renamed over it at the end",
    )
}

enum Output {
    /// No checkpoint: a temporary file beside the target.
    Temporary(AtomicFile),
    /// A checkpointed run: a partial file in the checkpoint directory.
    Partial { file: BufWriter<File>, at: PathBuf },
}

struct JsonlSink {
    path: PathBuf,
    out: Option<Output>,
    offset: SinkOffset,
    rows: usize,
}

fn build(params: &Params) -> Result<Box<dyn Sink>> {
    let c: PathConfig = read(params)?;
    Ok(Box::new(JsonlSink {
        path: PathBuf::from(c.path),
        out: None,
        offset: 0,
        rows: 0,
    }))
}

impl JsonlSink {
    fn writer(&mut self) -> Result<&mut dyn Write> {
        match self.out.as_mut() {
            Some(Output::Temporary(f)) => Ok(f),
            Some(Output::Partial { file, .. }) => Ok(file),
            None => bail!("{} is not open", self.path.display()),
        }
    }
}

/// A finished run keeps no partial file (its output is final); when it is extended
/// (`--resume` with more iterations) the partial file starts again as the first `offset`
/// bytes of that output, written beside it and renamed, so a crash here loses nothing.
fn restart_from_output(at: &Path, output: &Path, offset: SinkOffset) -> Result<()> {
    let finished = std::fs::metadata(output).is_ok_and(|m| m.is_file() && m.len() >= offset);
    if at.exists() || !finished {
        return Ok(());
    }
    if let Some(dir) = at.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut copy = AtomicFile::create(at)?;
    let mut from = File::open(output)
        .with_context(|| format!("cannot read {}", output.display()))?
        .take(offset);
    std::io::copy(&mut from, &mut copy)
        .with_context(|| format!("cannot copy {} to {}", output.display(), at.display()))?;
    copy.commit()
}

fn open_partial(at: &Path, resume: Option<SinkOffset>) -> Result<File> {
    if let Some(dir) = at.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(resume.is_none())
        .open(at)
        .with_context(|| format!("cannot open {}", at.display()))?;
    if let Some(offset) = resume {
        let len = file.metadata()?.len();
        if len < offset {
            bail!(
                "{} holds {len} bytes but the checkpoint recorded {offset}: the partial rows were lost",
                at.display()
            );
        }
        file.set_len(offset)?;
        file.seek(SeekFrom::End(0))?;
    }
    Ok(file)
}

impl Sink for JsonlSink {
    fn path(&self) -> &Path {
        &self.path
    }

    fn open(&mut self, resume: Option<SinkOffset>, scratch: Option<&Path>) -> Result<()> {
        self.offset = resume.unwrap_or(0);
        self.out = Some(match scratch {
            None => Output::Temporary(AtomicFile::create(&self.path)?),
            Some(dir) => {
                let at = scratch_file(dir, &self.path);
                if let Some(offset) = resume {
                    restart_from_output(&at, &self.path, offset)?;
                }
                let file = BufWriter::new(open_partial(&at, resume)?);
                Output::Partial { file, at }
            }
        });
        Ok(())
    }

    fn write(&mut self, rows: &[Map<String, Json>], _: &BatchMetrics) -> Result<()> {
        let mut bytes = Vec::with_capacity(rows.len() * 256);
        for row in rows {
            serde_json::to_writer(&mut bytes, row)?;
            bytes.push(b'\n');
        }
        let path = self.path.display().to_string();
        let out = self.writer()?;
        out.write_all(&bytes)
            .and_then(|_| out.flush())
            .with_context(|| format!("cannot write rows for {path}"))?;
        self.offset += bytes.len() as u64;
        self.rows += rows.len();
        Ok(())
    }

    fn offset(&self) -> SinkOffset {
        self.offset
    }

    fn finish(&mut self) -> Result<Option<String>> {
        match self.out.take() {
            Some(Output::Temporary(file)) => file.commit()?,
            Some(Output::Partial { file, at }) => {
                drop(file);
                let mut target = AtomicFile::create(&self.path)?;
                let mut partial =
                    File::open(&at).with_context(|| format!("cannot read {}", at.display()))?;
                std::io::copy(&mut partial, &mut target)
                    .with_context(|| format!("cannot copy {} to the output", at.display()))?;
                target.commit()?;
            }
            None => bail!("{} was never opened", self.path.display()),
        }
        Ok(Some(format!(
            "wrote {} rows to {}",
            self.rows,
            self.path.display()
        )))
    }
}
