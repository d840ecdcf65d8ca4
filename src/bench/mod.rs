//! Benchmarks behind `proxmo bench`: measured in one process, side by side, so figures can be
//! compared as ratios. Timings are medians of repeated runs; memory is the process's peak
//! resident set (it only grows, so sizes are run from small to large).

pub mod advantage;
pub mod check;
pub mod env;
pub mod expert;
pub mod iteration;
pub mod prompts;
pub mod tokenizer;

use std::time::{Duration, Instant};

/// The median wall time of `repeats` calls of `f` (at least one), and the last result.
pub fn median_time<T>(
    repeats: usize,
    mut f: impl FnMut() -> anyhow::Result<T>,
) -> anyhow::Result<(Duration, T)> {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..repeats.max(1) {
        let t0 = Instant::now();
        let out = f()?;
        times.push(t0.elapsed());
        last = Some(out);
    }
    times.sort();
    let result = last.ok_or_else(|| anyhow::anyhow!("no repeat ran"))?;
    Ok((times[times.len() / 2], result))
}

/// Peak resident memory of this process in MiB (Linux `VmHWM`), if the platform tells.
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
