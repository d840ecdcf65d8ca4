//! Runs a resolved pipeline. Today that is the advantage-only shape,
//! `source -> advantage -> sink`, which is how other trainers plug ProxMO in.

use super::resolved::{ResolvedPipeline, ResolvedStage};
use super::schema::Role;
use crate::advantage::{compute, Diagnostics, Estimator};
use crate::data::jsonl::{read_rows, write_rows};
use anyhow::{bail, Result};
use std::path::PathBuf;
use std::time::Instant;

/// What a finished run reports.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub rows: usize,
    pub output: Option<PathBuf>,
    pub diagnostics: Diagnostics,
    pub seconds: f64,
}

/// Progress messages go through this, so the CLI can print them and tests can keep quiet.
pub trait Progress {
    fn say(&mut self, message: &str);
}

impl<F: FnMut(&str)> Progress for F {
    fn say(&mut self, message: &str) {
        self(message)
    }
}

fn stages_with(p: &ResolvedPipeline, role: Role) -> Vec<&ResolvedStage> {
    p.stages.iter().filter(|s| s.role == role).collect()
}

/// Runs `pipeline` to completion.
pub fn run(pipeline: &ResolvedPipeline, progress: &mut dyn Progress) -> Result<RunSummary> {
    let sources = stages_with(pipeline, Role::Source);
    let advantages = stages_with(pipeline, Role::Advantage);
    let sinks = stages_with(pipeline, Role::Sink);
    let [source] = sources.as_slice() else {
        bail!(
            "pipeline `{}` has no source stage: proxmo runs advantage pipelines \
             (source.jsonl -> advantage.* -> sink.jsonl); environment rollouts and policy \
             updates are not built yet",
            pipeline.name
        );
    };
    let [credit] = advantages.as_slice() else {
        bail!(
            "pipeline `{}` needs exactly one advantage stage, found {}",
            pipeline.name,
            advantages.len()
        );
    };
    let started = Instant::now();

    let input = PathBuf::from(source.params.str("path")?);
    progress.say(&format!("{}: reading {}", source.name, input.display()));
    let rows = read_rows(&input)?;
    let batch = &rows.batch;
    progress.say(&format!(
        "{}: {} rows, {} trajectories, {} groups",
        source.name,
        batch.rows.len(),
        batch.trajectories.len(),
        batch.groups.len()
    ));

    let estimator = Estimator::from_stage(&credit.kind, &credit.params)?;
    let t0 = Instant::now();
    let adv = compute(batch, &estimator)?;
    let d = &adv.diagnostics;
    if let Some(warning) = &d.backend_warning {
        progress.say(&format!("warning: {warning}"));
    }
    progress.say(&format!(
        "{} ({}): advantages in {:.1} ms{}; singleton share {:.3}, mean group success {:.3}, PSC weights [{:.5}, {:.5}]",
        credit.name,
        credit.kind,
        t0.elapsed().as_secs_f64() * 1e3,
        d.backend
            .as_ref()
            .map(|b| format!(" on {b}"))
            .unwrap_or_default(),
        d.singleton_share,
        d.mean_group_success,
        d.psc_weight_min,
        d.psc_weight_max
    ));

    let mut output = None;
    for sink in sinks {
        let path = PathBuf::from(sink.params.str("path")?);
        write_rows(&path, &rows, &adv)?;
        progress.say(&format!("{}: wrote {}", sink.name, path.display()));
        output = Some(path);
    }
    Ok(RunSummary {
        rows: batch.rows.len(),
        output,
        diagnostics: adv.diagnostics,
        seconds: started.elapsed().as_secs_f64(),
    })
}
