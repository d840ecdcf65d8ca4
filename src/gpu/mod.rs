//! wgpu back end for ProxMO's kernels.
//!
//! [`context`] opens one device per process (a real GPU preferred; a CPU adapter such as Mesa
//! lavapipe only when the caller allows software) and reports errors instead of panicking;
//! [`soft_baseline`] runs the fused PSA soft-baseline kernel (`shaders/soft_baseline.wgsl`).

pub mod context;
pub mod soft_baseline;

pub use context::{best_adapter, has_hardware_adapter, usable_adapter, AdapterSummary};
pub use soft_baseline::soft_baseline_gpu;
