//! `proxmo graph FILE [--format text|dot]`: how a pipeline's stages are wired.

use super::console;
use super::{load_or_report, named_or_all, EXIT_OK};
use crate::stage::{ResolvedPipeline, ResolvedStage};
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
    /// Only this pipeline (default: every pipeline of the file).
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
        Ok(p) => p,
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

pub fn text(pipelines: &[ResolvedPipeline]) -> String {
    let mut out = String::new();
    for p in pipelines {
        let _ = writeln!(out, "pipeline {}", p.name);
        for (i, stage) in p.stages.iter().enumerate() {
            let arrow = if i == 0 { "   " } else { "-> " };
            let _ = writeln!(out, "  {arrow}{} [{}]", stage.name, stage.kind);
            let _ = writeln!(out, "       {}", summary(stage));
        }
        let settings: Vec<String> = p.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = writeln!(out, "  settings: {}\n", settings.join(", "));
    }
    out
}

fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

pub fn dot(pipelines: &[ResolvedPipeline]) -> String {
    let mut out = String::from(
        "digraph proxmo {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n",
    );
    for (n, p) in pipelines.iter().enumerate() {
        let _ = writeln!(
            out,
            "  subgraph cluster_{n} {{\n    label=\"{}\";",
            dot_escape(&p.name)
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
    out.push_str("}\n");
    out
}
