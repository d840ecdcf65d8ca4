//! Subcommands of the `proxmo` binary. Each module has its clap `Args` and a `run` that
//! returns the process exit code.

pub mod bench;
pub mod check;
pub mod console;
pub mod graph;
pub mod play;
pub mod plot;
pub mod report;
pub mod run;
pub mod stages;

use crate::dsl::{Diagnostics, Selection};
use crate::pipeline::resolved::ResolvedPipeline;
use std::path::Path;

/// The run succeeded.
pub const EXIT_OK: u8 = 0;
/// Something failed while running (I/O, a device, a stage).
pub const EXIT_RUNTIME: u8 = 1;
/// The input was invalid: a `.pipe` file, a `--set`, a data file.
pub const EXIT_INVALID: u8 = 2;

/// `--pipeline NAME` for commands that otherwise look at every pipeline of a file.
pub fn named_or_all(pipeline: &Option<String>) -> Selection {
    match pipeline {
        Some(name) => Selection::One(Some(name.clone())),
        None => Selection::All,
    }
}

/// Loads pipelines for a subcommand; on errors prints them all and gives the exit code.
pub fn load_or_report(
    file: &Path,
    selection: Selection,
    sets: &[String],
) -> Result<Vec<ResolvedPipeline>, u8> {
    crate::dsl::load_pipelines(file, selection, sets).map_err(|d: Diagnostics| {
        console::err(&d.render());
        EXIT_INVALID
    })
}

/// The exit code for an error raised while running: 2 when the user's data was at fault.
pub fn exit_code_of(error: &anyhow::Error) -> u8 {
    if error.chain().any(|e| e.is::<crate::data::InvalidInput>()) {
        EXIT_INVALID
    } else {
        EXIT_RUNTIME
    }
}
