//! `proxmo run FILE [--pipeline NAME] [--set stage.param=value ...]`

use super::console;
use super::progress::RunProgress;
use super::{exit_code_of, load_or_report, EXIT_OK};
use crate::dsl::Selection;
use crate::run::{self, RunOptions};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The .pipe file to run.
    pub file: PathBuf,
    /// Which pipeline of the file to run (needed when it declares several).
    #[arg(long)]
    pub pipeline: Option<String>,
    /// Override a parameter: STAGE.PARAM=VALUE (or SETTING=VALUE for pipeline settings).
    /// Repeatable. Words need no quotes: --set credit.profile=reference.
    #[arg(long = "set", value_name = "STAGE.PARAM=VALUE")]
    pub sets: Vec<String>,
    /// Continue an interrupted run from the state in the pipeline's `checkpoint` directory.
    #[arg(long)]
    pub resume: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: RunArgs) -> anyhow::Result<u8> {
    let selection = Selection::One(args.pipeline.clone());
    let pipeline = match load_or_report(&args.file, selection, &args.sets) {
        Ok(mut p) => p.remove(0),
        Err(code) => return Ok(code),
    };
    let quiet = args.quiet;
    let mut progress = RunProgress::new(quiet);
    let outcome = run::plan(&pipeline)
        .map_err(|_| anyhow::anyhow!("pipeline `{}` no longer plans", pipeline.name))
        .and_then(|plan| {
            let options = RunOptions {
                resume: args.resume,
            };
            run::run(&plan, options, &mut progress)
        });
    progress.finish();
    match outcome {
        Ok(summary) if summary.already_finished => Ok(EXIT_OK),
        Ok(summary) => {
            if !quiet {
                console::errln(&format!(
                    "done: pipeline `{}`, {} rows in {:.2} s",
                    pipeline.name, summary.rows, summary.seconds
                ));
            }
            Ok(EXIT_OK)
        }
        Err(error) => {
            console::errln(&format!("error: {error:#}"));
            Ok(exit_code_of(&error))
        }
    }
}
