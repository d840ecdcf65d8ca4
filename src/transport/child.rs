//! One child process spoken to over JSON lines: starting it, writing and reading lines within
//! a deadline, reporting failures with its stderr's tail, and ending it. The rules are in
//! docs/transport.md.

use super::deadline::{format_bytes, format_duration, Deadline};
use super::lifetime::{kill_group, tie_to_proxmo, wait_without_reaping};
use super::pipes::{start_stderr_reader, start_stdout_reader, start_writer, StdoutEvent};
use super::shell_words::split_command;
use super::stderr_tail::StderrTail;
use anyhow::{anyhow, bail, Result};
use serde_json::Value as Json;
use std::fmt;
use std::io;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The longest line a child may print on stdout (the `\n` not counted).
pub const MAX_LINE_BYTES: usize = 64 << 20;
/// Longest excerpt of a bad stdout line quoted in an error (characters).
const EXCERPT_CHARS: usize = 200;
/// How long a child that closed its pipes gets to exit by itself before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(1);
/// How often a wait for an answer looks at the child's process state.
const LIVENESS_POLL: Duration = Duration::from_millis(500);
/// How long a child may stay stopped (SIGSTOP, a debugger) while proxmo waits for it before
/// the call fails, instead of waiting out a timeout that may be an hour.
const STOPPED_GRACE: Duration = Duration::from_secs(10);
/// How long a child gets to exit after its stdin is closed, when proxmo is done with it.
const CLOSE_GRACE: Duration = Duration::from_millis(200);

/// A child process and the threads that write its stdin and read its stdout and stderr.
/// Calls are synchronous; any transport failure kills the child and makes every later call
/// fail with the first failure's message.
pub struct ChildProcess {
    /// What the child is, in messages: "bridge adapter", "policy process", ...
    role: &'static str,
    command: String,
    child: Child,
    /// How the child ended, once it has been reaped.
    ended: Option<String>,
    max_line_bytes: usize,
    to_writer: Option<SyncSender<Vec<u8>>>,
    written: Receiver<io::Result<()>>,
    lines: Receiver<StdoutEvent>,
    stderr: Arc<Mutex<StderrTail>>,
    stderr_done: Arc<AtomicBool>,
    pub(super) next_id: u64,
    failure: Option<String>,
    /// When the request now being answered was handed to the child (after encoding).
    waiting_since: Option<Instant>,
    /// Time spent waiting for the child's answers: sending, its work, the answer's line.
    waited: Duration,
}

impl fmt::Debug for ChildProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildProcess")
            .field("role", &self.role)
            .field("command", &self.command)
            .field("pid", &self.child.id())
            .field("failure", &self.failure)
            .finish_non_exhaustive()
    }
}

impl ChildProcess {
    /// The total time this process has spent waiting for the child's answers: from each
    /// encoded request to its answer's line, so the child's share of a run can be told from
    /// proxmo's own.
    pub fn waited(&self) -> Duration {
        self.waited
    }

    /// Starts `command` (split into words by [`split_command`], no shell) with piped stdin,
    /// stdout and stderr, stdout lines capped at [`MAX_LINE_BYTES`]. `role` names the child
    /// in every message ("policy process").
    pub fn spawn(command: &str, role: &'static str) -> Result<ChildProcess> {
        ChildProcess::spawn_with_cap(command, role, MAX_LINE_BYTES)
    }

    /// [`ChildProcess::spawn`] with another stdout line cap.
    pub fn spawn_with_cap(
        command: &str,
        role: &'static str,
        max_line_bytes: usize,
    ) -> Result<ChildProcess> {
        let shown = shown_command(command);
        let words =
            split_command(command).map_err(|e| anyhow!("the {role} command {shown}: {e}"))?;
        let mut builder = Command::new(&words[0]);
        builder
            .args(&words[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        tie_to_proxmo(&mut builder);
        let mut child = builder
            .spawn()
            .map_err(|e| anyhow!("could not start the {role} {shown}: {e}"))?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            let _ = child.wait();
            bail!("could not start the {role} {shown}: its pipes were not created");
        };

        let (to_writer, writer_input) = mpsc::sync_channel::<Vec<u8>>(1);
        let (writer_done, written) = mpsc::channel();
        let (line_tx, lines) = mpsc::sync_channel(1);
        let stderr_tail = Arc::new(Mutex::new(StderrTail::default()));
        let stderr_done = Arc::new(AtomicBool::new(false));
        let started = start_writer(stdin, writer_input, writer_done)
            .and_then(|_| start_stdout_reader(stdout, line_tx, max_line_bytes))
            .and_then(|_| {
                start_stderr_reader(stderr, Arc::clone(&stderr_tail), Arc::clone(&stderr_done))
            });
        if let Err(e) = started {
            let _ = child.kill();
            let _ = child.wait();
            bail!("could not start the threads serving the {role} {shown}: {e}");
        }
        Ok(ChildProcess {
            role,
            command: command.to_string(),
            child,
            ended: None,
            max_line_bytes,
            to_writer: Some(to_writer),
            written,
            lines,
            stderr: stderr_tail,
            stderr_done,
            next_id: 1,
            failure: None,
            waiting_since: None,
            waited: Duration::ZERO,
        })
    }

    pub fn role(&self) -> &'static str {
        self.role
    }

    pub fn command(&self) -> &str {
        &self.command
    }

    /// The child's process id (also its process group id).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Why this child is unusable, if it is.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// The last 20 complete lines the child wrote to stderr, each cut at 400 bytes, then its
    /// unfinished line (a progress bar's latest state) if any.
    pub fn stderr_tail(&self) -> Vec<String> {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .lines()
    }

    /// Fails when an earlier failure made the child unusable.
    pub fn check_usable(&self, site: &dyn fmt::Display) -> Result<()> {
        match &self.failure {
            Some(reason) => bail!(
                "{site}: the {} is unusable after an earlier failure: {reason}",
                self.role
            ),
            None => Ok(()),
        }
    }

    /// Writes `value` as one line, waiting until `deadline` for the child to take it: a child
    /// that stops reading its stdin fails the call instead of blocking proxmo.
    pub fn send(
        &mut self,
        site: &dyn fmt::Display,
        value: &Json,
        deadline: &Deadline,
    ) -> Result<()> {
        self.check_usable(site)?;
        let mut line = serde_json::to_vec(value)
            .map_err(|e| anyhow!("{site}: could not encode the request: {e}"))?;
        line.push(b'\n');
        self.waiting_since = Some(Instant::now());
        let queued = match &self.to_writer {
            Some(tx) => tx.try_send(line).is_ok(),
            None => false,
        };
        if !queued {
            let what = "could not send the request (its stdin is closed)".to_string();
            return Err(self.fail(site, what, EXIT_GRACE));
        }
        match self.written.recv_timeout(deadline.left()) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                let what = format!("could not send the request ({e})");
                Err(self.fail(site, what, EXIT_GRACE))
            }
            Err(RecvTimeoutError::Timeout) => {
                let what = format!(
                    "could not send the request within {} (timeout: the {} is not reading its stdin)",
                    deadline.describe(),
                    self.role
                );
                Err(self.fail(site, what, Duration::ZERO))
            }
            Err(RecvTimeoutError::Disconnected) => {
                let what = "could not send the request (its stdin is closed)".to_string();
                Err(self.fail(site, what, EXIT_GRACE))
            }
        }
    }

    /// Waits until `deadline` for the next non-blank stdout line and parses it as JSON.
    pub fn receive(&mut self, site: &dyn fmt::Display, deadline: &Deadline) -> Result<Json> {
        self.check_usable(site)?;
        let mut stopped_since: Option<Instant> = None;
        loop {
            let event = match self.lines.recv_timeout(deadline.left().min(LIVENESS_POLL)) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) if deadline.left().is_zero() => {
                    let what = format!("no response within {} (timeout)", deadline.describe());
                    return Err(self.fail(site, what, Duration::ZERO));
                }
                Err(RecvTimeoutError::Timeout) => {
                    // A slow step and a stopped process look alike on the pipe; the process
                    // state tells them apart long before the timeout does.
                    match process_state(self.pid()) {
                        Some('T' | 't') => {
                            let since = *stopped_since.get_or_insert_with(Instant::now);
                            if since.elapsed() >= STOPPED_GRACE {
                                let what = format!(
                                    "process {} has been stopped (SIGSTOP or a debugger) for {} without answering",
                                    self.pid(),
                                    format_duration(STOPPED_GRACE)
                                );
                                return Err(self.fail(site, what, Duration::ZERO));
                            }
                        }
                        _ => stopped_since = None,
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => StdoutEvent::Eof,
            };
            let bytes = match event {
                StdoutEvent::Line(bytes) => {
                    if let Some(since) = self.waiting_since.take() {
                        self.waited += since.elapsed();
                    }
                    bytes
                }
                StdoutEvent::Eof => {
                    let what = "it closed its stdout without answering".to_string();
                    return Err(self.fail(site, what, EXIT_GRACE));
                }
                StdoutEvent::TooLong => {
                    let what = format!(
                        "it printed a line longer than the cap of {} without a newline",
                        format_bytes(self.max_line_bytes)
                    );
                    return Err(self.fail(site, what, Duration::ZERO));
                }
                StdoutEvent::Failed(e) => {
                    let what = format!("reading its stdout failed: {e}");
                    return Err(self.fail(site, what, Duration::ZERO));
                }
            };
            let text = match std::str::from_utf8(&bytes) {
                Ok(text) => text.trim(),
                Err(e) => {
                    let what = format!(
                        "it printed a line that is not UTF-8 (byte {} of {}); JSON lines must be \
                         UTF-8, e.g. as Python's json.dumps writes them",
                        e.valid_up_to(),
                        bytes.len()
                    );
                    return Err(self.fail(site, what, Duration::ZERO));
                }
            };
            if text.is_empty() {
                continue;
            }
            return match serde_json::from_str(text) {
                Ok(value) => Ok(value),
                Err(e) => {
                    let what = format!("it printed a non-JSON line {} ({e})", excerpt(text));
                    Err(self.fail(site, what, Duration::ZERO))
                }
            };
        }
    }

    /// Makes the child unusable: ends it (after `grace` for it to exit by itself, which lets
    /// its exit status be reported) and builds the error every later call repeats.
    pub fn fail(
        &mut self,
        site: &dyn fmt::Display,
        what: String,
        grace: Duration,
    ) -> anyhow::Error {
        let ended = self.end(grace);
        let message = format!(
            "{site}: the {role} failed: {what} ({ended}; {role} command {command}){stderr}",
            role = self.role,
            command = shown_command(&self.command),
            stderr = self.stderr_report()
        );
        self.failure = Some(message.clone());
        anyhow!(message)
    }

    /// Closes stdin, gives the child `grace` to exit, then kills its process group; returns
    /// how the child ended. Idempotent.
    fn end(&mut self, grace: Duration) -> String {
        self.to_writer = None;
        if let Some(ended) = &self.ended {
            return ended.clone();
        }
        let exited = wait_without_reaping(&mut self.child, grace);
        // The child is not reaped yet, so its process group id still belongs to it.
        kill_group(&mut self.child);
        let ended = match self.child.wait() {
            Ok(status) if exited => format!("the {} exited with {status}", self.role),
            Ok(_) => format!("the {} was killed by proxmo", self.role),
            Err(e) => format!("the {}'s status is unknown ({e})", self.role),
        };
        // Let the stderr reader catch what the child wrote last.
        let t = Instant::now();
        while !self.stderr_done.load(Ordering::SeqCst) && t.elapsed() < Duration::from_millis(500) {
            thread::sleep(Duration::from_millis(5));
        }
        self.ended = Some(ended.clone());
        ended
    }

    fn stderr_report(&self) -> String {
        let tail = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        let lines = tail.lines();
        if lines.is_empty() {
            return format!("; the {} wrote nothing to stderr", self.role);
        }
        let dropped = tail.dropped();
        let mut s = format!(
            "; last {} stderr line(s) of the {}{}:",
            lines.len(),
            self.role,
            if dropped > 0 {
                format!(" ({dropped} earlier omitted)")
            } else {
                String::new()
            }
        );
        for line in &lines {
            s.push_str("\n    ");
            s.push_str(line);
        }
        s
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        // Closing stdin asks a well-behaved child to exit; `end` makes sure it does.
        self.end(CLOSE_GRACE);
    }
}

/// A line as an error quotes it: the first characters, escaped, and the length.
/// `text` for a message, cut after `max_chars` characters with its length said: a worker's
/// answer or a `--set` command can be megabytes.
pub fn shortened(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}... ({} bytes)", &text[..cut], text.len()),
        None => text.to_string(),
    }
}

/// A command line for a message, in backquotes, cut short when it is long.
fn shown_command(command: &str) -> String {
    format!("`{}`", shortened(command, EXCERPT_CHARS))
}

pub(super) fn excerpt(line: &str) -> String {
    if line.chars().count() > EXCERPT_CHARS {
        format!(
            "{:?}... ({} bytes)",
            line.chars().take(EXCERPT_CHARS).collect::<String>(),
            line.len()
        )
    } else {
        format!("{line:?}")
    }
}

/// The state letter of process `pid` from `/proc/PID/stat` (`R`, `S`, `T` for stopped, ...);
/// `None` where there is no procfs or the process is gone.
fn process_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: the state follows
    // the last `)`.
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}
