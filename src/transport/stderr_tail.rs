//! The last lines a child wrote to stderr, in bounded memory, for error messages
//! (docs/transport.md, "Stderr"). A `\r` returns to the start of the line as on a terminal,
//! so a progress bar redrawn a million times is one line holding its latest state.

use std::collections::VecDeque;

/// Complete lines kept.
pub const STDERR_LINES: usize = 20;
/// Bytes kept of each line; the rest of a longer line is dropped and marked `...`.
pub const STDERR_LINE_BYTES: usize = 400;

/// A ring of the last [`STDERR_LINES`] lines, each cut at [`STDERR_LINE_BYTES`], plus the
/// line being written: at most about 8 KiB whatever the child writes.
#[derive(Debug, Default)]
pub struct StderrTail {
    lines: VecDeque<String>,
    /// Complete lines seen in all.
    total: usize,
    current: Vec<u8>,
    current_cut: bool,
    /// The last byte was `\r`: the next byte other than `\n` starts the line over.
    carriage_return: bool,
}

impl StderrTail {
    pub fn push_bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                b'\n' => {
                    self.carriage_return = false;
                    self.end_line();
                }
                b'\r' => self.carriage_return = true,
                _ => {
                    if self.carriage_return {
                        self.carriage_return = false;
                        self.current.clear();
                        self.current_cut = false;
                    }
                    if self.current.len() < STDERR_LINE_BYTES {
                        self.current.push(b);
                    } else {
                        self.current_cut = true;
                    }
                }
            }
        }
    }

    fn end_line(&mut self) {
        let line = self.render_current();
        self.current.clear();
        self.current_cut = false;
        if self.lines.len() == STDERR_LINES {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
        self.total += 1;
    }

    fn render_current(&self) -> String {
        let mut line = String::from_utf8_lossy(&self.current)
            .trim_end()
            .to_string();
        if self.current_cut {
            line.push_str("...");
        }
        line
    }

    /// The kept lines, oldest first, with the unfinished last line (a progress bar's latest
    /// state) when there is one.
    pub fn lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self.lines.iter().cloned().collect();
        if !self.current.is_empty() {
            out.push(self.render_current());
        }
        out
    }

    /// Complete lines that were written but are no longer kept.
    pub fn dropped(&self) -> usize {
        self.total - self.lines.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carriage_returns_keep_the_latest_state_of_a_line() {
        let mut t = StderrTail::default();
        t.push_bytes(b"loading\r 10%\r 20%\r\nready\r\n 50%\r 60%");
        assert_eq!(t.lines(), vec![" 20%", "ready", " 60%"]);
    }

    #[test]
    fn memory_stays_bounded() {
        let mut t = StderrTail::default();
        let long = vec![b'x'; 10 * STDERR_LINE_BYTES];
        for i in 0..1000 {
            t.push_bytes(&long);
            t.push_bytes(format!(" {i}\n").as_bytes());
        }
        let lines = t.lines();
        assert_eq!(lines.len(), STDERR_LINES);
        assert!(lines
            .iter()
            .all(|l| l.len() == STDERR_LINE_BYTES + 3 && l.ends_with("...")));
        assert_eq!(t.dropped(), 1000 - STDERR_LINES);
    }
}
