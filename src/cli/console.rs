//! Every line the CLI prints goes through here. A closed or full stdout or stderr (`| head -1`,
//! `> /dev/full`) must stop the printing, never the run: `println!` would panic on EPIPE, so
//! write errors are ignored and the run goes on to write its files.

use std::io::Write;

/// Writes `text` to stdout as is; a failed write is dropped.
pub fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// Writes `text` and a newline to stdout.
pub fn outln(text: &str) {
    out(&format!("{text}\n"));
}

/// Writes `text` to stderr as is; a failed write is dropped.
pub fn err(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Writes `text` and a newline to stderr.
pub fn errln(text: &str) {
    err(&format!("{text}\n"));
}
