//! Where the soft baseline runs. (Placeholder written by the lead so the crate compiles:
//! CPU only until the wgpu back end lands; the GPU helper owns and replaces this file.)

use super::soft_baseline::{soft_baseline_cpu, SoftBaselineProblem};
use anyhow::{bail, Result};

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
    pub used: String,
    pub fallback_warning: Option<String>,
}

pub fn soft_baseline(
    problem: &SoftBaselineProblem,
    device: Device,
    _allow_software: bool,
) -> Result<(Vec<f64>, BackendReport)> {
    if device == Device::Gpu {
        bail!("the GPU back end is not built yet");
    }
    Ok((
        soft_baseline_cpu(problem),
        BackendReport {
            used: "cpu".into(),
            fallback_warning: None,
        },
    ))
}
