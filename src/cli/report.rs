//! `proxmo report METRICS...`: the last evaluation of several runs as one Markdown table,
//! runs of the same method (file name without its seed) pooled as mean ± std.

use super::console;
use super::{EXIT_INVALID, EXIT_OK};
use crate::report::table::{markdown, read_run};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// Metrics files of runs with evaluations (`eval_every` > 0).
    #[arg(required = true)]
    pub metrics: Vec<PathBuf>,
}

pub fn run(args: ReportArgs) -> anyhow::Result<u8> {
    let mut runs = Vec::new();
    for path in &args.metrics {
        match read_run(path) {
            Ok(r) => runs.push(r),
            Err(e) => {
                console::errln(&format!("error: {e:#}"));
                return Ok(EXIT_INVALID);
            }
        }
    }
    console::out(&markdown(&runs));
    Ok(EXIT_OK)
}
