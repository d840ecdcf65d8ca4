//! The advantage benchmark: ProxMO advantages on synthetic ALFWorld-like batches, per device,
//! and the whole file pipeline (read JSONL, compute, write JSONL) at one size.

use super::{median_time, peak_memory_mib, thousands};
use crate::advantage::{compute, Estimator};
use crate::batch::{Batch, RowInput};
use crate::kinds::advantage::estimator as build_estimator;
use crate::kinds::params_with_defaults;
use crate::stage::Value;
use crate::synthetic::{self, Shape};
use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

/// One measured configuration.
#[derive(Debug, Clone)]
pub struct Measurement {
    pub rows: usize,
    pub groups: usize,
    pub device: String,
    pub used: String,
    pub millis: f64,
    pub peak_mib: Option<f64>,
}

impl Measurement {
    pub fn rows_per_second(&self) -> f64 {
        self.rows as f64 / (self.millis / 1e3)
    }
}

/// The batch for `rows` rows: the paper's 16 x 8 x 50 shape when asked for 6,400 rows,
/// otherwise groups of 8 trajectories of 1..=50 steps.
pub fn synthetic_batch(rows: usize, seed: u64) -> Result<Batch> {
    let inputs = if rows == 6_400 {
        synthetic::rows(Shape::full_length(seed))
    } else {
        synthetic::rows_about(rows, 8, 50, seed)
    };
    Batch::from_rows(inputs).map_err(|e| anyhow::anyhow!("synthetic batch: {}", e.message))
}

fn estimator(device: &str, allow_software: bool) -> Result<Estimator> {
    let params = params_with_defaults(
        "advantage.proxmo",
        &[
            ("device", Value::Str(device.to_string())),
            ("allow_software", Value::Bool(allow_software)),
        ],
    )?;
    build_estimator("advantage.proxmo", &params)
}

/// Measures ProxMO advantages for every size on every device.
pub fn measure(
    sizes: &[usize],
    devices: &[String],
    allow_software: bool,
    repeats: usize,
) -> Result<Vec<Measurement>> {
    let mut out = Vec::new();
    let mut sizes = sizes.to_vec();
    sizes.sort_unstable();
    for &rows in &sizes {
        let batch = synthetic_batch(rows, 0)?;
        for device in devices {
            let est = estimator(device, allow_software)?;
            let (time, adv) = median_time(repeats, || compute(&batch, &est))
                .with_context(|| format!("{} rows on {device}", batch.rows.len()))?;
            out.push(Measurement {
                rows: batch.rows.len(),
                groups: batch.groups.len(),
                device: device.clone(),
                used: adv
                    .diagnostics
                    .backend
                    .clone()
                    .unwrap_or_else(|| "cpu".into()),
                millis: time.as_secs_f64() * 1e3,
                peak_mib: peak_memory_mib(),
            });
        }
    }
    Ok(out)
}

pub fn table(measurements: &[Measurement]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>10} {:>7} {:>8} {:>12} {:>14} {:>10}  ran on",
        "rows", "groups", "device", "ms/batch", "rows/s", "peak MiB"
    );
    for m in measurements {
        let _ = writeln!(
            out,
            "{:>10} {:>7} {:>8} {:>12.1} {:>14} {:>10}  {}",
            thousands(m.rows),
            thousands(m.groups),
            m.device,
            m.millis,
            thousands(m.rows_per_second() as usize),
            m.peak_mib.map_or("?".into(), |x| format!("{x:.0}")),
            m.used
        );
    }
    out
}

/// Timings of the file pipeline `source.jsonl -> advantage.proxmo -> sink.jsonl`.
#[derive(Debug, Clone)]
pub struct PipelineTiming {
    pub rows: usize,
    pub seconds: f64,
}

/// Writes a synthetic file of about `rows` rows into `dir`, then runs the advantage pipeline
/// on it exactly as `proxmo run` would.
pub fn measure_pipeline(rows: usize, dir: &Path) -> Result<PipelineTiming> {
    std::fs::create_dir_all(dir)?;
    let input = dir.join("bench-input.jsonl");
    let output = dir.join("bench-output.jsonl");
    write_input(&input, &synthetic::rows_about(rows, 8, 50, 1))?;
    // The pipeline as a user would write it, planned and run as `proxmo run` would.
    let pipe = dir.join("bench.pipe");
    let text = format!(
        "stage source = source.jsonl {{ path = {:?} }}\nstage credit = advantage.proxmo {{ }}\nstage sink = sink.jsonl {{ path = {:?} }}\npipeline bench {{ source -> credit -> sink }}\n",
        input.display().to_string(),
        output.display().to_string()
    );
    crate::data::atomic::write_string(&pipe, &text)?;
    let pipelines = crate::dsl::load_pipelines(&pipe, crate::dsl::Selection::All, &[])
        .map_err(|d| anyhow::anyhow!("{}", d.render()))?;
    let pipeline = pipelines.first().context("the benchmark pipeline")?;
    let plan = crate::run::plan(pipeline)
        .map_err(|_| anyhow::anyhow!("the benchmark pipeline does not plan"))?;
    let t0 = Instant::now();
    let summary = crate::run::run(&plan, Default::default(), &mut |_: &str| {})?;
    let seconds = t0.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&input);
    let _ = std::fs::remove_file(&output);
    let _ = std::fs::remove_file(&pipe);
    Ok(PipelineTiming {
        rows: summary.rows,
        seconds,
    })
}

fn write_input(path: &Path, rows: &[RowInput]) -> Result<()> {
    let mut text = String::with_capacity(rows.len() * 160);
    for r in rows {
        let line = serde_json::json!({
            "group": r.group, "traj": r.traj, "step": r.step, "obs": r.obs,
            "reward": r.reward, "valid": r.valid, "won": r.won,
        });
        let _ = writeln!(text, "{line}");
    }
    crate::data::atomic::write_string(path, &text)
}
