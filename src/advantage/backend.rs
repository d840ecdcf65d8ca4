//! Where the soft baseline runs: the CPU (rayon, f64) or the GPU (wgpu, f32).
//!
//! - `cpu`: always the CPU.
//! - `gpu`: the GPU; an error when there is no adapter, or when the only adapter is a software
//!   one (Mesa lavapipe) and `allow_software` is false. If the GPU fails mid-run, the CPU
//!   result is returned with a warning.
//! - `auto`: the GPU only when a real (non-CPU) adapter exists and the batch has at least
//!   [`AUTO_GPU_MIN_ROWS`] rows; otherwise the CPU. Never picks a software adapter.

use super::soft_baseline::soft_baseline_cpu;
use crate::gpu;
use crate::sparse::SoftBaselineProblem;
use anyhow::{bail, Context as _, Result};

/// Smallest batch (in rows) that `device = "auto"` sends to a real GPU.
///
/// An estimate: no real GPU was available when this was set. Measured on the 2-core build
/// machine (tests/gpu_parity.rs, `timing_4096_rows_groups_of_64`, best of 7): the f64 CPU
/// path takes 1.3-2.7 ms for 4,096 rows in groups of 64 (about 0.3-0.7 us per row; the cost
/// grows with the group size, since it is quadratic per group), and one GPU call on lavapipe
/// has a fixed cost of about 0.2 ms. A discrete GPU adds PCIe transfers and driver latency:
/// assume about 1 ms per call, plus a one-off 50-200 ms per process to open the device and
/// compile the pipeline. Break-even is then a few thousand rows on 2 cores, and more on a
/// many-core host; 16,384 rows keeps paper-sized batches (16 groups x 8 trajectories, a few
/// thousand rows) on the exact f64 CPU path and sends clearly large batches to the GPU, where
/// it wins by an order of magnitude. Re-measure on real hardware before relying on it.
pub const AUTO_GPU_MIN_ROWS: usize = 16_384;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    Auto,
    Cpu,
    Gpu,
}

impl Device {
    pub fn parse(name: &str) -> Result<Device> {
        match name {
            "auto" => Ok(Device::Auto),
            "cpu" => Ok(Device::Cpu),
            "gpu" => Ok(Device::Gpu),
            other => bail!("unknown device {other:?}: expected \"auto\", \"cpu\" or \"gpu\""),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BackendReport {
    /// `cpu`, or `gpu (<adapter>, <API>, hardware|software)`.
    pub used: String,
    /// Set when the GPU failed and the CPU result was used instead.
    pub fallback_warning: Option<String>,
}

fn cpu(problem: &SoftBaselineProblem) -> (Vec<f64>, BackendReport) {
    (
        soft_baseline_cpu(problem),
        BackendReport {
            used: "cpu".into(),
            fallback_warning: None,
        },
    )
}

/// Runs on the GPU; on failure, the CPU result with one warning.
fn gpu_or_fallback(
    problem: &SoftBaselineProblem,
    allow_software: bool,
) -> (Vec<f64>, BackendReport) {
    match gpu::soft_baseline_gpu(problem, allow_software) {
        Ok((out, adapter)) => (
            out,
            BackendReport {
                used: format!("gpu ({adapter})"),
                fallback_warning: None,
            },
        ),
        Err(e) => {
            let (out, mut report) = cpu(problem);
            report.fallback_warning = Some(format!(
                "the GPU soft baseline failed, used the CPU instead: {e:#}"
            ));
            (out, report)
        }
    }
}

pub fn soft_baseline(
    problem: &SoftBaselineProblem,
    device: Device,
    allow_software: bool,
) -> Result<(Vec<f64>, BackendReport)> {
    match device {
        Device::Cpu => Ok(cpu(problem)),
        Device::Auto => {
            if problem.n_rows() >= AUTO_GPU_MIN_ROWS && gpu::has_hardware_adapter() {
                Ok(gpu_or_fallback(problem, false))
            } else {
                Ok(cpu(problem))
            }
        }
        Device::Gpu => {
            gpu::usable_adapter(allow_software).context("device = \"gpu\"")?;
            if problem.n_rows() == 0 {
                return Ok(cpu(problem));
            }
            Ok(gpu_or_fallback(problem, allow_software))
        }
    }
}
