//! Subcommands of the `proxmo` binary. Each module has its clap `Args` and a `run` that
//! returns the process exit code.

pub mod bench;
pub mod check;
pub mod console;
pub mod graph;
pub mod play;
pub mod plot;
pub mod progress;
pub mod report;
pub mod run;
pub mod stages;
pub mod summary;

use crate::dsl::{Diagnostics, Program, Selection};
pub use crate::error::{exit_code as exit_code_of, EXIT_INVALID, EXIT_OK, EXIT_RUNTIME};
use crate::stage::Runnable;
use std::path::Path;

/// `--pipeline NAME` for commands that otherwise look at every pipeline of a file.
pub fn named_or_all(pipeline: &Option<String>) -> Selection {
    match pipeline {
        Some(name) => Selection::One(Some(name.clone())),
        None => Selection::All,
    }
}

/// Loads pipelines and sequences for a subcommand and plans each (so `check`, `graph` and
/// `run` refuse the same ones); on errors prints them all and gives the exit code.
pub fn load_or_report(file: &Path, selection: Selection, sets: &[String]) -> Result<Program, u8> {
    let plan_errors = |r: &Runnable| match r {
        Runnable::Pipeline(p) => crate::run::plan(p).err().unwrap_or_default(),
        Runnable::Sequence(s) => crate::run::sequence::check(s),
    };
    crate::dsl::load_checked(file, selection, sets, plan_errors).map_err(|d: Diagnostics| {
        console::err(&d.render());
        EXIT_INVALID
    })
}
