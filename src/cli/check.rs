//! `proxmo check FILE [--resolved]`: validate without running.

use super::console;
use super::{load_or_report, named_or_all, EXIT_OK, EXIT_RUNTIME};
use crate::stage::Runnable;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// The .pipe file to check (with everything it imports).
    pub file: PathBuf,
    /// Check only this pipeline or sequence (default: every one of the file).
    #[arg(long)]
    pub pipeline: Option<String>,
    /// Override a parameter, as in `proxmo run`.
    #[arg(long = "set", value_name = "STAGE.PARAM=VALUE")]
    pub sets: Vec<String>,
    /// Print the fully resolved pipelines (defaults filled in) as YAML.
    #[arg(long)]
    pub resolved: bool,
}

pub fn run(args: CheckArgs) -> anyhow::Result<u8> {
    let runnables = match load_or_report(&args.file, named_or_all(&args.pipeline), &args.sets) {
        Ok(p) => p.runnables,
        Err(code) => return Ok(code),
    };
    if args.resolved {
        match serde_yaml::to_string(&runnables) {
            Ok(yaml) => console::out(&yaml),
            Err(e) => {
                console::errln(&format!(
                    "error: cannot write the resolved pipelines as YAML: {e}"
                ));
                return Ok(EXIT_RUNTIME);
            }
        }
    } else {
        let names: Vec<String> = runnables.iter().map(described).collect();
        console::outln(&format!(
            "{}: ok{}",
            args.file.display(),
            if names.is_empty() {
                ", no pipelines".to_string()
            } else {
                format!(": {}", names.join(", "))
            }
        ));
    }
    Ok(EXIT_OK)
}

/// `advantage (3 stages)`, or `sequence both (first, second)`.
fn described(runnable: &Runnable) -> String {
    match runnable {
        Runnable::Pipeline(p) => format!("{} ({} stages)", p.name, p.stages.len()),
        Runnable::Sequence(s) => {
            let steps: Vec<&str> = s.steps.iter().map(|t| t.pipeline.name.as_str()).collect();
            format!("sequence {} ({})", s.sequence, steps.join(", "))
        }
    }
}
