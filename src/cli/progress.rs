//! What `proxmo run` shows while it works. On a terminal: each message on its own line and,
//! below them, a live bar with the batches done, their rate and the time left, redrawn in
//! place. In a log (stderr not a terminal): the same messages as plain lines, no bar.

use super::console;
use crate::run::Progress;
use std::io::IsTerminal;
use std::time::Instant;

pub struct RunProgress {
    quiet: bool,
    live: bool,
    started: Instant,
    /// When counting began, and the count then (a resumed run starts past 0).
    counting: Option<(Instant, usize)>,
    /// The bar's text, when one is shown.
    bar: Option<String>,
}

impl RunProgress {
    pub fn new(quiet: bool) -> RunProgress {
        RunProgress {
            quiet,
            live: !quiet && std::io::stderr().is_terminal(),
            started: Instant::now(),
            counting: None,
            bar: None,
        }
    }

    fn clear_bar(&mut self) {
        if self.bar.take().is_some() {
            console::err("\r\x1b[2K");
        }
    }

    /// Removes the bar before the final lines.
    pub fn finish(&mut self) {
        self.clear_bar();
    }
}

/// `1h02m`, `3m05s`, `12s`.
fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// The bar for `done` of `total`, at `rate` units per second.
pub fn bar_text(unit: &str, done: usize, total: usize, rate: Option<f64>) -> String {
    const WIDTH: usize = 30;
    let filled = (done * WIDTH)
        .checked_div(total)
        .unwrap_or(WIDTH)
        .min(WIDTH);
    let speed = match rate {
        Some(r) if r > 0.0 && r.is_finite() => {
            let left = total.saturating_sub(done) as f64 / r;
            let shown = if r >= 1.0 {
                format!("{r:.1} {unit}/s")
            } else {
                format!("{:.1} s/{unit}", 1.0 / r)
            };
            format!("  {shown}  ETA {}", duration(left))
        }
        _ => String::new(),
    };
    format!(
        "[{}{}] {done}/{total} {unit}es{speed}",
        "#".repeat(filled),
        ".".repeat(WIDTH - filled)
    )
}

impl Progress for RunProgress {
    fn say(&mut self, message: &str) {
        if self.quiet {
            return;
        }
        let bar = self.bar.clone();
        self.clear_bar();
        let clock = self.started.elapsed().as_secs_f64();
        console::errln(&format!("[{clock:7.2}s] {message}"));
        if let Some(bar) = bar {
            console::err(&bar);
            self.bar = Some(bar);
        }
    }

    fn advance(&mut self, unit: &str, done: usize, total: usize) {
        if !self.live {
            return;
        }
        let (since, first) = *self.counting.get_or_insert((Instant::now(), done));
        let elapsed = since.elapsed().as_secs_f64();
        let rate = (done > first && elapsed > 0.0).then(|| (done - first) as f64 / elapsed);
        let text = bar_text(unit, done, total, rate);
        console::err(&format!("\r\x1b[2K{text}"));
        self.bar = Some(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_shows_count_rate_and_time_left() {
        assert_eq!(
            bar_text("batch", 3, 10, Some(0.5)),
            "[#########.....................] 3/10 batches  2.0 s/batch  ETA 14s"
        );
        assert_eq!(
            bar_text("batch", 10, 10, Some(4.0)),
            "[##############################] 10/10 batches  4.0 batch/s  ETA 0s"
        );
        assert_eq!(
            bar_text("batch", 0, 100, None),
            "[..............................] 0/100 batches"
        );
        assert_eq!(duration(3725.0), "1h02m");
        assert_eq!(duration(185.0), "3m05s");
    }
}
