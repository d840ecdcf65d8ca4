//! `proxmo run FILE [--pipeline NAME] [--set stage.param=value ...]`: one pipeline, or a
//! sequence of them one after another (docs/pipe-language.md, "Sequences").

use super::console;
use super::progress::RunProgress;
use super::{exit_code_of, load_or_report, EXIT_INVALID, EXIT_OK};
use crate::dsl::{Program, Selection};
use crate::run::{self, RunOptions, RunSummary};
use crate::stage::{ResolvedPipeline, ResolvedSequence, Runnable};
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The .pipe file to run.
    pub file: PathBuf,
    /// Which pipeline or sequence of the file to run (needed when it declares several and
    /// marks none as `default`).
    #[arg(long)]
    pub pipeline: Option<String>,
    /// Override a parameter: STAGE.PARAM=VALUE (or SETTING=VALUE for pipeline settings).
    /// Repeatable. Words need no quotes: --set credit.profile=reference. In a sequence it
    /// applies to every step.
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
    let program = match load_or_report(&args.file, selection, &args.sets) {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    Ok(match program.runnables.first() {
        Some(Runnable::Pipeline(p)) => run_pipeline(p, &args).0,
        Some(Runnable::Sequence(s)) => run_sequence(&program, s, &args),
        None => EXIT_INVALID, // a selection of one resolves to one, or reports why not
    })
}

/// Plans and runs one pipeline, printing its progress and closing line; the exit code and,
/// on success, the summary.
fn run_pipeline(pipeline: &ResolvedPipeline, args: &RunArgs) -> (u8, Option<RunSummary>) {
    let mut progress = RunProgress::new(args.quiet);
    let options = RunOptions {
        resume: args.resume,
    };
    let outcome = run::plan(pipeline)
        .map_err(|_| anyhow::anyhow!("pipeline `{}` no longer plans", pipeline.name))
        .and_then(|plan| run::run(&plan, options, &mut progress));
    progress.finish();
    match outcome {
        Ok(summary) if summary.already_finished => (EXIT_OK, Some(summary)),
        Ok(summary) => {
            if !args.quiet {
                console::errln(&super::summary::done_line(&pipeline.name, &summary));
            }
            (EXIT_OK, Some(summary))
        }
        Err(error) => {
            console::errln(&format!("error: {error:#}"));
            (exit_code_of(&error), None)
        }
    }
}

/// Runs the steps of `seq` in order; each is planned again as it starts, now that the
/// steps before it have written what it reads. The first failure stops the sequence.
fn run_sequence(program: &Program, seq: &ResolvedSequence, args: &RunArgs) -> u8 {
    let names: Vec<&str> = seq.steps.iter().map(|s| s.pipeline.name.as_str()).collect();
    if args.resume {
        console::errln(&format!(
            "error: --resume continues one pipeline, and `{}` is a sequence ({})\n  = help: resume the step that was interrupted with --pipeline STEP --resume (with the parameters the step sets, as --set), then run the steps after it the same way",
            seq.sequence,
            names.join(", ")
        ));
        return EXIT_INVALID;
    }
    let started = Instant::now();
    let n = seq.steps.len();
    for (i, step) in seq.steps.iter().enumerate() {
        let name = &step.pipeline.name;
        if !args.quiet {
            let inputs: Vec<String> = step
                .inputs
                .iter()
                .map(|i| format!("{} = {} ({})", i.target, i.path, i.from))
                .collect();
            let with = match inputs.is_empty() {
                true => String::new(),
                false => format!(", with {}", inputs.join(", ")),
            };
            console::errln(&format!(
                "sequence `{}`: step {}/{n}, pipeline `{name}`{with}",
                seq.sequence,
                i + 1
            ));
        }
        let stopped = |what: &str| {
            let kept = match i {
                0 => String::new(),
                _ => format!("; what steps {} wrote is kept", names[..i].join(", ")),
            };
            format!(
                "step {}/{n} (`{name}`) of sequence `{}` {what}{kept}",
                i + 1,
                seq.sequence
            )
        };
        if let Err(errors) = run::plan(&step.pipeline) {
            console::err(
                &program
                    .diagnostics(errors)
                    .render_then(&stopped("was not run")),
            );
            return EXIT_INVALID;
        }
        let (code, _) = run_pipeline(&step.pipeline, args);
        if code != EXIT_OK {
            console::errln(&format!("error: {}", stopped("failed")));
            return code;
        }
    }
    if !args.quiet {
        console::errln(&format!(
            "done: sequence `{}`: {} in {:.0} s",
            seq.sequence,
            names.join(" then "),
            started.elapsed().as_secs_f64()
        ));
    }
    EXIT_OK
}
