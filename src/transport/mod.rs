//! Child processes spoken to over JSON lines: `env.bridge`'s adapter, `policy.command`'s
//! model process, and any other process proxmo starts and sends requests to. Framing, the
//! per-call timeouts, the caps and how children are tied to proxmo's life are described in
//! docs/transport.md.
//!
//! [`ChildProcess::spawn`] starts a command (split by [`split_command`], no shell);
//! [`ChildProcess::call`] sends one request and waits, up to a timeout given per call, for
//! its response; [`ChildProcess::hello`] checks the protocol version.

mod call;
mod child;
mod deadline;
mod lifetime;
mod lines;
mod pipes;
mod python_entry;
mod shell_words;
mod stderr_tail;

pub use call::error_text;
pub use child::{shortened, ChildProcess, MAX_LINE_BYTES};
pub use deadline::{format_bytes, format_duration, Deadline};
pub use python_entry::{entry_problem, explain_start_failure, missing_module_hint, python_command};
pub use shell_words::split_command;
pub use stderr_tail::{STDERR_LINES, STDERR_LINE_BYTES};

/// The longest per-call timeout a stage may ask for, in seconds (one day): larger values are
/// almost surely typos, and bounding them keeps every deadline representable.
pub const MAX_TIMEOUT_S: f64 = 86_400.0;
