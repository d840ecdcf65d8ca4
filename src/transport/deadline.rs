//! Per-call deadlines and how durations read in messages (docs/transport.md, "Timeouts").

use std::time::{Duration, Instant};

/// The moment a call gives up: its write and its read share one budget.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    /// `None` when the timeout is too large to be added to the clock: no limit in practice.
    at: Option<Instant>,
    timeout: Duration,
}

impl Deadline {
    pub fn after(timeout: Duration) -> Deadline {
        Deadline {
            at: Instant::now().checked_add(timeout),
            timeout,
        }
    }

    /// Time left (zero once passed; `Duration::MAX` when unbounded).
    pub fn left(&self) -> Duration {
        match self.at {
            Some(at) => at.saturating_duration_since(Instant::now()),
            None => Duration::MAX,
        }
    }

    /// The whole timeout, as a message shows it.
    pub fn describe(&self) -> String {
        format_duration(self.timeout)
    }
}

/// A duration the way a person reads it: `5 s`, `1.5 s`, `250 ms`, `40 µs`.
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        let text = format!("{s:.1}");
        format!("{} s", text.strip_suffix(".0").unwrap_or(&text))
    } else if s >= 1e-3 {
        format!("{} ms", (s * 1e3).round())
    } else {
        format!("{} µs", d.as_micros())
    }
}

/// A byte count the way a person reads it: `64 MiB`, `400 KiB`, `12 bytes`.
pub fn format_bytes(n: usize) -> String {
    match n {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(Duration::from_secs(5)), "5 s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(format_duration(Duration::from_millis(50)), "50 ms");
        assert_eq!(format_duration(Duration::from_micros(40)), "40 µs");
        assert_eq!(format_bytes(64 << 20), "64 MiB");
        assert_eq!(format_bytes(12), "12 bytes");
    }

    #[test]
    fn a_huge_timeout_never_overflows() {
        let d = Deadline::after(Duration::MAX);
        assert_eq!(d.left(), Duration::MAX);
        assert!(Deadline::after(Duration::ZERO).left().is_zero());
    }
}
