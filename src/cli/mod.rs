//! Subcommands of the `proxmo` binary. Each module has its clap `Args` and a `run` that
//! returns the process exit code.

pub mod bench;
pub mod check;
pub mod graph;
pub mod play;
pub mod run;
pub mod stages;

/// The run succeeded.
pub const EXIT_OK: u8 = 0;
/// Something failed while running (I/O, a device, a stage).
pub const EXIT_RUNTIME: u8 = 1;
/// The input was invalid: a `.pipe` file, a `--set`, a data file.
pub const EXIT_INVALID: u8 = 2;
