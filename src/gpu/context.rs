//! One wgpu instance, adapter and device per process.
//!
//! The adapter list is probed once (cheap: no device is created), so `device = "auto"` can ask
//! whether a real GPU exists without paying for a device. The device, its queue and the
//! compiled pipelines are created on first use and cached; if the device is lost or a run
//! fails, the cache is dropped and the next call builds a fresh one.
//!
//! Adapter choice: a real GPU (discrete, then integrated, virtual, other) is always preferred;
//! a CPU adapter (Mesa lavapipe, `llvmpipe`) is the last resort and callers only accept it when
//! the user set `allow_software = true`.

use anyhow::{anyhow, bail, Context as _, Result};
use std::any::Any;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// What a probed adapter is, without holding a device.
#[derive(Debug, Clone, PartialEq)]
pub struct AdapterSummary {
    /// Driver's name for the adapter, e.g. `llvmpipe (LLVM 19.1.7, 256 bits)`.
    pub name: String,
    /// Graphics API, e.g. `Vulkan`.
    pub backend: String,
    pub device_type: wgpu::DeviceType,
    /// True for a CPU implementation (lavapipe, SwiftShader, WARP).
    pub software: bool,
    /// Driver name and version text, e.g. `llvmpipe`, `Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6)`.
    pub driver: String,
    pub driver_info: String,
}

impl AdapterSummary {
    fn of(info: &wgpu::AdapterInfo) -> AdapterSummary {
        AdapterSummary {
            name: info.name.clone(),
            backend: format!("{:?}", info.backend),
            device_type: info.device_type,
            software: info.device_type == wgpu::DeviceType::Cpu,
            driver: info.driver.clone(),
            driver_info: info.driver_info.clone(),
        }
    }

    /// The description plus the driver version, for logs and test output.
    pub fn describe_detailed(&self) -> String {
        if self.driver_info.is_empty() {
            self.describe()
        } else {
            format!("{} [{}]", self.describe(), self.driver_info)
        }
    }

    /// Why this adapter must not be used, if it is a driver known to compute wrong results.
    ///
    /// Mesa 22.3's lavapipe silently truncates shader loops longer than about 65,535
    /// iterations (a 4,096-row group came back with errors of 0.66, no error raised); Mesa
    /// 25.0.7 was verified correct. Older lavapipe builds than 25 are refused.
    pub fn known_defect(&self) -> Option<String> {
        if !self.software {
            return None;
        }
        let major: u32 = self
            .driver_info
            .strip_prefix("Mesa ")?
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()?;
        (major < 25).then(|| {
            format!(
                "{} is Mesa {major}'s lavapipe, whose long shader loops can silently return \
                 wrong results; install Mesa >= 25 (e.g. mesa-vulkan-drivers from \
                 bookworm-backports) to use the software adapter",
                self.describe_detailed()
            )
        })
    }

    /// `llvmpipe (LLVM 19.1.7, 256 bits), Vulkan, software`: what reports and logs print.
    pub fn describe(&self) -> String {
        let kind = if self.software {
            "software"
        } else {
            "hardware"
        };
        format!("{}, {}, {}", self.name, self.backend, kind)
    }
}

struct Probe {
    /// Kept alive for the process, with the adapters it found.
    #[allow(dead_code)]
    instance: Option<wgpu::Instance>,
    /// Adapters, best first.
    adapters: Vec<(wgpu::Adapter, AdapterSummary)>,
}

fn rank(device_type: wgpu::DeviceType) -> u8 {
    match device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    }
}

fn probe() -> &'static Probe {
    static PROBE: OnceLock<Probe> = OnceLock::new();
    PROBE.get_or_init(|| {
        // A driver that panics while being probed counts as no adapter.
        std::panic::catch_unwind(probe_now).unwrap_or(Probe {
            instance: None,
            adapters: Vec::new(),
        })
    })
}

fn probe_now() -> Probe {
    // GL needs a display connection and is no use for compute: keep to the primary APIs
    // unless WGPU_BACKEND asks otherwise.
    let backends = wgpu::Backends::from_env().unwrap_or(wgpu::Backends::PRIMARY);
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    desc.backends = backends;
    let instance = wgpu::Instance::new(desc);
    let found = pollster::block_on(instance.enumerate_adapters(backends));
    let mut adapters: Vec<(wgpu::Adapter, AdapterSummary)> = found
        .into_iter()
        .map(|a| {
            let summary = AdapterSummary::of(&a.get_info());
            (a, summary)
        })
        .collect();
    adapters.sort_by_key(|(_, s)| rank(s.device_type));
    Probe {
        instance: Some(instance),
        adapters,
    }
}

/// The adapter the GPU path would use, if any.
pub fn best_adapter() -> Option<AdapterSummary> {
    probe().adapters.first().map(|(_, s)| s.clone())
}

/// The best adapter, unless there is none, its driver is known to compute wrong results, or
/// it is a software one and `allow_software` is false (adapters are sorted best first, so
/// then every adapter is a software one).
fn usable(allow_software: bool) -> Result<&'static (wgpu::Adapter, AdapterSummary)> {
    let Some(best) = probe().adapters.first() else {
        bail!(
            "no GPU adapter was found (wgpu sees no Vulkan, Metal or DX12 device); use \
             device = \"cpu\" or \"auto\""
        );
    };
    let summary = &best.1;
    if let Some(defect) = summary.known_defect() {
        bail!("{defect}");
    }
    if summary.software && !allow_software {
        bail!(
            "the only adapter is a software one ({}); set `allow_software = true` to use it \
             (lavapipe runs on the CPU and is much slower than device = \"cpu\"; meant for \
             tests), or use device = \"cpu\"",
            summary.describe()
        );
    }
    Ok(best)
}

/// The adapter the GPU path would use, or why it cannot use any.
pub fn usable_adapter(allow_software: bool) -> Result<AdapterSummary> {
    usable(allow_software).map(|(_, summary)| summary.clone())
}

/// True when a real (non-CPU) GPU adapter exists.
pub fn has_hardware_adapter() -> bool {
    best_adapter().is_some_and(|s| !s.software)
}

/// An open device on the best adapter.
pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub summary: AdapterSummary,
    pub limits: wgpu::Limits,
    lost: Arc<AtomicBool>,
    /// Errors no error scope caught (reported instead of panicking).
    uncaptured: Arc<Mutex<Vec<String>>>,
    /// Kernels (compiled pipelines and their buffers) that the modules running them build on
    /// first use and keep with this device: at most one of each type.
    kernels: Mutex<Vec<Box<dyn Any + Send>>>,
}

impl GpuContext {
    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// Errors raised outside any error scope since the last call, drained.
    pub fn take_uncaptured(&self) -> Vec<String> {
        match self.uncaptured.lock() {
            Ok(mut v) => std::mem::take(&mut *v),
            Err(p) => std::mem::take(&mut *p.into_inner()),
        }
    }

    /// Runs `f` inside validation and out-of-memory error scopes; any error captured there
    /// (or lost device) becomes an `Err`.
    pub fn scoped<T>(&self, what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let out = f();
        let validation_err = pollster::block_on(validation.pop());
        let oom_err = pollster::block_on(oom.pop());
        if let Some(e) = validation_err {
            bail!("GPU validation error while {what}: {e}");
        }
        if let Some(e) = oom_err {
            bail!("GPU out of memory while {what}: {e}");
        }
        let stray = self.take_uncaptured();
        if !stray.is_empty() {
            bail!("GPU error while {what}: {}", stray.join("; "));
        }
        if self.is_lost() {
            bail!("GPU device lost while {what}");
        }
        out
    }

    /// Runs `f` on this device's kernel of type `K`, built by `build` on first use. Calls
    /// are serialised: a kernel's buffers are reused from call to call.
    pub fn with_kernel<K: Any + Send, T>(
        &self,
        build: impl FnOnce() -> Result<K>,
        f: impl FnOnce(&mut K) -> Result<T>,
    ) -> Result<T> {
        let mut kernels = self.kernels.lock().unwrap_or_else(|p| p.into_inner());
        let slot = match kernels.iter().position(|k| k.is::<K>()) {
            Some(slot) => slot,
            None => {
                kernels.push(Box::new(build()?));
                kernels.len() - 1
            }
        };
        let kernel = kernels[slot]
            .downcast_mut::<K>()
            .ok_or_else(|| anyhow!("the kernel cache holds another type in this slot"))?;
        f(kernel)
    }

    fn open(adapter: &wgpu::Adapter, summary: &AdapterSummary) -> Result<GpuContext> {
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("proxmo"),
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .with_context(|| format!("opening a device on {}", summary.describe()))?;
        let lost = Arc::new(AtomicBool::new(false));
        let lost_flag = lost.clone();
        device.set_device_lost_callback(move |_reason, _message| {
            lost_flag.store(true, Ordering::SeqCst);
        });
        let uncaptured = Arc::new(Mutex::new(Vec::new()));
        let sink = uncaptured.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut v) = sink.lock() {
                v.push(e.to_string());
            }
        }));
        Ok(GpuContext {
            device,
            queue,
            summary: summary.clone(),
            limits,
            lost,
            uncaptured,
            kernels: Mutex::new(Vec::new()),
        })
    }
}

fn slot() -> &'static Mutex<Option<Arc<GpuContext>>> {
    static SLOT: OnceLock<Mutex<Option<Arc<GpuContext>>>> = OnceLock::new();
    SLOT.get_or_init(|| Mutex::new(None))
}

/// The process's device, opened on first use. Fails when no adapter exists, or when only a
/// software adapter exists and `allow_software` is false.
pub fn context(allow_software: bool) -> Result<Arc<GpuContext>> {
    let (adapter, summary) = usable(allow_software)?;
    let mut guard = slot().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(ctx) = guard.as_ref() {
        if !ctx.is_lost() {
            return Ok(ctx.clone());
        }
    }
    let ctx = Arc::new(GpuContext::open(adapter, summary)?);
    *guard = Some(ctx.clone());
    Ok(ctx)
}

/// Drops the cached device (after a failure), so the next call opens a fresh one.
pub fn reset() {
    let mut guard = slot().lock().unwrap_or_else(|p| p.into_inner());
    *guard = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lavapipe(driver_info: &str) -> AdapterSummary {
        AdapterSummary {
            name: "llvmpipe (LLVM 15.0.6, 256 bits)".into(),
            backend: "Vulkan".into(),
            device_type: wgpu::DeviceType::Cpu,
            software: true,
            driver: "llvmpipe".into(),
            driver_info: driver_info.into(),
        }
    }

    #[test]
    fn old_lavapipe_is_refused() {
        assert!(lavapipe("Mesa 22.3.6 (LLVM 15.0.6)")
            .known_defect()
            .is_some());
        assert!(lavapipe("Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6)")
            .known_defect()
            .is_none());
        assert!(lavapipe("").known_defect().is_none());
        let mut gpu = lavapipe("Mesa 22.3.6");
        gpu.software = false;
        assert!(gpu.known_defect().is_none());
    }

    #[test]
    fn description_names_the_kind() {
        assert_eq!(
            lavapipe("").describe(),
            "llvmpipe (LLVM 15.0.6, 256 bits), Vulkan, software"
        );
    }
}
