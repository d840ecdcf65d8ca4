//! `sink.tracker`: each batch's metrics streamed to W&B or MLflow through their own Python
//! libraries, in a logger process (the module `proxmo_tracker`, python/proxmo_tracker/, spoken to over JSON lines
//! like every child: docs/transport.md), with the resolved pipeline as the run's config
//! (docs/tracking.md). A library that is missing stops the run before its first batch with
//! the package to install; a tracker that fails later is warned about once and dropped,
//! and training goes on (the metrics file keeps every number).

use crate::kinds::roles::{Sink, SinkOffset};
use crate::kinds::Build;
use crate::metrics::BatchMetrics;
use crate::stage::config::read;
use crate::stage::{
    ParamDefault, ParamSpec, ParamType, Params, Problem, Role, StageConfig, StageSchema,
};
use crate::transport::{entry_problem, explain_start_failure, python_command, ChildProcess};
use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::{json, Map, Value as Json};
use std::path::{Path, PathBuf};
use std::time::Duration;

stage_kind!("sink.tracker", Config, Build::Sink(build));

/// How long the logger may take to import its library and start a run (W&B starts a
/// service process), to log one batch, and to finish (W&B writes its summary).
const START: Duration = Duration::from_secs(180);
const LOG: Duration = Duration::from_secs(60);
const FINISH: Duration = Duration::from_secs(180);

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub backend: String,
    pub project: String,
    pub run_name: String,
    pub dir: String,
    pub python: String,
    pub logger: String,
}

impl StageConfig for Config {
    fn validate(&self) -> Result<(), Problem> {
        if self.project.trim().is_empty() {
            return Err(Problem::at("project", "is empty"));
        }
        if self.python.trim().is_empty() {
            return Err(Problem::at("python", "is empty"));
        }
        if let Some(problem) = entry_problem(&self.logger) {
            return Err(Problem::at("logger", problem).help(
                "the logger is the module proxmo_tracker (`pip install ./python`), or a .py script of your own",
            ));
        }
        let dir = Path::new(&self.dir);
        if !self.dir.is_empty() && dir.exists() && !dir.is_dir() {
            return Err(Problem::at(
                "dir",
                format!("{} exists and is not a directory", dir.display()),
            ));
        }
        Ok(())
    }
}

fn text(name: &'static str, default: &'static str, doc: &'static str) -> ParamSpec {
    ParamSpec::new(name, ParamType::Str, ParamDefault::str(default), doc)
}

fn schema() -> StageSchema {
    StageSchema {
        kind: KIND.name,
        role: Role::Sink,
        doc: "streams each batch's metrics to W&B or MLflow with their Python libraries (the resolved pipeline as the run's config); a tracker that fails mid-run is warned about and dropped, training goes on",
        params: vec![
            ParamSpec::new(
                "backend",
                ParamType::Choice(&["wandb", "mlflow"]),
                ParamDefault::Required,
                "wandb (offline unless WANDB_MODE says otherwise) or mlflow (a local file store in `dir`, else MLflow's tracking URI)",
            ),
            text("project", "proxmo", "the W&B project or MLflow experiment"),
            text("run_name", "", "the run's name in the tracker (empty: the tracker picks one)"),
            text("dir", "", "where the tracker keeps the run: W&B's run directory, MLflow's file store (empty: the library's default)"),
            text("python", "python3", "the command that runs the logger, split into words like a shell's (a Python with the backend's library)"),
            text("logger", "proxmo_tracker", "the logger: a module run with `python -m` (proxmo_tracker, installed by `pip install ./python`) or the path of a .py script"),
        ],
    }
}

struct TrackerSink {
    config: Config,
    /// What messages call the output: the tracker and where it writes.
    shown: PathBuf,
    logger: Option<ChildProcess>,
    /// Batches logged (the checkpointed offset: a resumed run continues the same run).
    logged: SinkOffset,
    pipeline: Json,
}

fn build(params: &Params) -> Result<Box<dyn Sink>> {
    let config: Config = read(params)?;
    let shown = PathBuf::from(format!(
        "{} run {}{}",
        config.backend,
        config.project,
        match config.dir.is_empty() {
            true => String::new(),
            false => format!(" in {}", config.dir),
        }
    ));
    Ok(Box::new(TrackerSink {
        config,
        shown,
        logger: None,
        logged: 0,
        pipeline: Json::Null,
    }))
}

/// The key that names the tracker's run: the same for a run and its `--resume` (from the
/// checkpoint directory), else new for every run.
fn run_key(config: &Config, scratch: Option<&Path>) -> String {
    let mut key = crate::digest::Fnv64::default();
    match scratch {
        Some(dir) => {
            let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
            key.eat(dir.as_os_str().as_encoded_bytes());
        }
        None => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            key.eat(&now.to_le_bytes());
            key.eat(&std::process::id().to_le_bytes());
        }
    }
    key.eat(config.project.as_bytes());
    key.eat(config.run_name.as_bytes());
    format!("proxmo-{:016x}", key.finish())
}

fn request(op: &str, fields: Json) -> Map<String, Json> {
    let mut r = match fields {
        Json::Object(m) => m,
        _ => Map::new(),
    };
    r.insert("op".into(), json!(op));
    r
}

impl TrackerSink {
    fn start(&self, scratch: Option<&Path>) -> Result<ChildProcess> {
        let c = &self.config;
        let command = python_command(&c.python, &c.logger);
        let mut logger = ChildProcess::spawn(&command, "tracker logger")?;
        let site = format!("sink.tracker ({})", c.backend);
        logger
            .call(
                &site,
                request("hello", json!({ "backend": c.backend })),
                START,
            )
            .map_err(|e| explain_start_failure(e, &c.logger, "sink.tracker"))?;
        if !c.dir.is_empty() {
            std::fs::create_dir_all(&c.dir).with_context(|| format!("cannot create {}", c.dir))?;
        }
        let dir = match c.dir.is_empty() {
            true => String::new(),
            false => std::path::absolute(&c.dir)
                .unwrap_or_else(|_| PathBuf::from(&c.dir))
                .display()
                .to_string(),
        };
        logger.call(
            &site,
            request(
                "init",
                json!({
                    "project": c.project,
                    "run_name": c.run_name,
                    "dir": dir,
                    "key": run_key(c, scratch),
                    "config": self.pipeline,
                }),
            ),
            START,
        )?;
        Ok(logger)
    }

    /// A failure after the start: said once, and the tracker is dropped.
    fn drop_tracker(&mut self, e: anyhow::Error) {
        eprintln!(
            "proxmo: warning: {} stopped logging ({e:#}); training goes on, the metrics file has every batch",
            self.shown.display()
        );
        self.logger = None;
    }
}

impl Sink for TrackerSink {
    fn path(&self) -> &Path {
        &self.shown
    }

    fn describe_run(&mut self, pipeline: &Json) {
        self.pipeline = pipeline.clone();
    }

    fn open(&mut self, resume: Option<SinkOffset>, scratch: Option<&Path>) -> Result<()> {
        self.logged = resume.unwrap_or(0);
        self.logger = Some(self.start(scratch)?);
        Ok(())
    }

    fn write(&mut self, _: &[Map<String, Json>], metrics: &BatchMetrics) -> Result<()> {
        let object = metrics.to_json();
        let scalars: Map<String, Json> = super::scalars(&object)
            .into_iter()
            .map(|(k, v)| (k, json!(v)))
            .collect();
        let step = super::batches_trained(&object);
        self.logged += 1;
        let Some(logger) = self.logger.as_mut() else {
            return Ok(());
        };
        let site = format!("sink.tracker ({}), step {step}", self.config.backend);
        let sent = logger.call(
            &site,
            request("log", json!({ "step": step, "metrics": scalars })),
            LOG,
        );
        if let Err(e) = sent {
            self.drop_tracker(e);
        }
        Ok(())
    }

    fn offset(&self) -> SinkOffset {
        self.logged
    }

    fn finish(&mut self) -> Result<Option<String>> {
        let Some(mut logger) = self.logger.take() else {
            return Ok(None);
        };
        let site = format!("sink.tracker ({})", self.config.backend);
        if let Err(e) = logger.call(&site, request("finish", json!({})), FINISH) {
            self.drop_tracker(e);
            return Ok(None);
        }
        Ok(Some(format!(
            "logged {} batches to {}",
            self.logged,
            self.shown.display()
        )))
    }
}
