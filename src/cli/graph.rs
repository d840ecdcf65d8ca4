//! `proxmo graph FILE [--format text|dot]`: how a pipeline's stages are wired.

use super::console;
use super::{load_or_report, named_or_all, EXIT_OK};
use crate::stage::{ResolvedPipeline, ResolvedStage, Runnable};
use std::fmt::Write;
use std::path::PathBuf;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One line per stage, arrows between them.
    Text,
    /// Graphviz DOT (`proxmo graph f.pipe --format dot | dot -Tsvg > f.svg`).
    Dot,
}

#[derive(clap::Args, Debug)]
pub struct GraphArgs {
    /// The .pipe file.
    pub file: PathBuf,
    /// Only this pipeline or sequence (default: every one of the file).
    #[arg(long)]
    pub pipeline: Option<String>,
    /// Override a parameter, as in `proxmo run`.
    #[arg(long = "set", value_name = "STAGE.PARAM=VALUE")]
    pub sets: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(args: GraphArgs) -> anyhow::Result<u8> {
    let pipelines = match load_or_report(&args.file, named_or_all(&args.pipeline), &args.sets) {
        Ok(p) => p.runnables,
        Err(code) => return Ok(code),
    };
    let text = match args.format {
        Format::Text => text(&pipelines),
        Format::Dot => dot(&pipelines),
    };
    console::out(&text);
    Ok(EXIT_OK)
}

/// The parameters worth showing in a graph: the ones that are not the kind's defaults would
/// be ideal, but every set value is short, so all of them are listed.
fn summary(stage: &ResolvedStage) -> String {
    stage
        .params
        .0
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn text(runnables: &[Runnable]) -> String {
    let mut out = String::new();
    for r in runnables {
        match r {
            Runnable::Pipeline(p) => pipeline_text(&mut out, p, ""),
            Runnable::Sequence(seq) => {
                let _ = writeln!(out, "sequence {}", seq.sequence);
                for (i, step) in seq.steps.iter().enumerate() {
                    let inputs: Vec<String> = step
                        .inputs
                        .iter()
                        .map(|i| format!("{} = {} ({})", i.target, i.from, i.path))
                        .collect();
                    let _ = match inputs.is_empty() {
                        true => writeln!(out, "  {}. {}", i + 1, step.pipeline.name),
                        false => writeln!(
                            out,
                            "  {}. {}: {}",
                            i + 1,
                            step.pipeline.name,
                            inputs.join(", ")
                        ),
                    };
                }
                out.push('\n');
                for (i, step) in seq.steps.iter().enumerate() {
                    let label = format!(" (step {} of {})", i + 1, seq.sequence);
                    pipeline_text(&mut out, &step.pipeline, &label);
                }
            }
        }
    }
    out
}

fn pipeline_text(out: &mut String, p: &ResolvedPipeline, label: &str) {
    let _ = writeln!(out, "pipeline {}{label}", p.name);
    for (i, stage) in p.stages.iter().enumerate() {
        let arrow = if i == 0 { "   " } else { "-> " };
        let _ = writeln!(out, "  {arrow}{} [{}]", stage.name, stage.kind);
        let _ = writeln!(out, "       {}", summary(stage));
    }
    let settings: Vec<String> = p.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let _ = writeln!(out, "  settings: {}\n", settings.join(", "));
}

fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

pub fn dot(runnables: &[Runnable]) -> String {
    let mut out = String::from(
        "digraph proxmo {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n",
    );
    let mut n = 0;
    for r in runnables {
        match r {
            Runnable::Pipeline(p) => {
                dot_cluster(&mut out, n, p, &p.name);
                n += 1;
            }
            Runnable::Sequence(seq) => {
                for (i, step) in seq.steps.iter().enumerate() {
                    let label = format!("{}: {}. {}", seq.sequence, i + 1, step.pipeline.name);
                    dot_cluster(&mut out, n, &step.pipeline, &label);
                    // The next step starts once this one has ended.
                    if i > 0 {
                        let last = seq.steps[i - 1].pipeline.stages.len().saturating_sub(1);
                        let _ = writeln!(out, "  p{}_s{last} -> p{n}_s0 [style=dashed];", n - 1);
                    }
                    n += 1;
                }
            }
        }
    }
    out.push_str("}\n");
    out
}

fn dot_cluster(out: &mut String, n: usize, p: &ResolvedPipeline, label: &str) {
    let _ = writeln!(
        out,
        "  subgraph cluster_{n} {{\n    label=\"{}\";",
        dot_escape(label)
    );
    for (i, stage) in p.stages.iter().enumerate() {
        let label = format!("{}\\n{}", dot_escape(&stage.name), dot_escape(&stage.kind));
        let _ = writeln!(out, "    p{n}_s{i} [label=\"{label}\"];");
        if i > 0 {
            let _ = writeln!(out, "    p{n}_s{} -> p{n}_s{i};", i - 1);
        }
    }
    out.push_str("  }\n");
}
