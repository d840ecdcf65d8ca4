//! The threads that serve a child's pipes: one writes its stdin, one reads its stdout in
//! capped lines, one keeps the tail of its stderr (docs/transport.md). Each ends with its pipe.

use super::lines::{read_capped_line, LineRead};
use super::stderr_tail::StderrTail;
use std::io::{self, BufReader, Read, Write};
use std::process::{ChildStderr, ChildStdin, ChildStdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;

/// What the stdout reader found.
pub enum StdoutEvent {
    Line(Vec<u8>),
    Eof,
    TooLong,
    Failed(String),
}

/// Writes each line it receives, answering with the write's result; ends when the sender
/// is dropped (closing the child's stdin) or a write fails.
pub fn start_writer(
    mut stdin: ChildStdin,
    input: Receiver<Vec<u8>>,
    done: Sender<io::Result<()>>,
) -> io::Result<()> {
    thread::Builder::new()
        .name("proxmo-child-stdin".into())
        .spawn(move || {
            // Ends when the sender is dropped (closing the child's stdin) or a write fails.
            for line in input {
                let result = stdin.write_all(&line).and_then(|_| stdin.flush());
                let failed = result.is_err();
                if done.send(result).is_err() || failed {
                    break;
                }
            }
        })
        .map(|_| ())
}

/// Sends each stdout line (at most `cap` bytes); ends at the first event that is not a line.
pub fn start_stdout_reader(
    stdout: ChildStdout,
    lines: SyncSender<StdoutEvent>,
    cap: usize,
) -> io::Result<()> {
    thread::Builder::new()
        .name("proxmo-child-stdout".into())
        .spawn(move || {
            let mut reader = BufReader::with_capacity(1 << 16, stdout);
            loop {
                let event = match read_capped_line(&mut reader, cap) {
                    Ok(LineRead::Line(bytes)) => StdoutEvent::Line(bytes),
                    Ok(LineRead::Eof) => StdoutEvent::Eof,
                    Ok(LineRead::TooLong) => StdoutEvent::TooLong,
                    Err(e) => StdoutEvent::Failed(e.to_string()),
                };
                let last = !matches!(event, StdoutEvent::Line(_));
                if lines.send(event).is_err() || last {
                    break;
                }
            }
        })
        .map(|_| ())
}

/// Feeds stderr into `tail`; sets `done` when the pipe closes.
pub fn start_stderr_reader(
    mut stderr: ChildStderr,
    tail: Arc<Mutex<StderrTail>>,
    done: Arc<AtomicBool>,
) -> io::Result<()> {
    thread::Builder::new()
        .name("proxmo-child-stderr".into())
        .spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match stderr.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => tail
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push_bytes(&buf[..n]),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            done.store(true, Ordering::SeqCst);
        })
        .map(|_| ())
}
