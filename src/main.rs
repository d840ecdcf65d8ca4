//! The `proxmo` command line. Each subcommand lives in its own module under `cli/`.
//! Exit codes: 0 success, 1 runtime failure, 2 invalid input or invalid pipeline.

use clap::{Parser, Subcommand};
use proxmo::cli;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "proxmo",
    version,
    about = "Train multi-turn LLM agents with ProxMO credit assignment"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a pipeline from a .pipe file.
    Run(cli::run::RunArgs),
    /// Parse and validate a .pipe file without running it.
    Check(cli::check::CheckArgs),
    /// List every stage kind with its parameters, defaults, ranges and docs.
    Stages(cli::stages::StagesArgs),
    /// Show how a pipeline's stages are wired, as text or Graphviz DOT.
    Graph(cli::graph::GraphArgs),
    /// Measure throughput of proxmo's hot paths.
    Bench(cli::bench::BenchArgs),
    /// Play a built-in environment by hand in the terminal.
    Play(cli::play::PlayArgs),
    /// Plot the per-batch metrics of a run (a sink.metrics file) as SVG.
    Plot(cli::plot::PlotArgs),
    /// Compare runs: their last evaluations as a Markdown table, mean ± std over seeds.
    Report(cli::report::ReportArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Run(args) => cli::run::run(args),
        Command::Check(args) => cli::check::run(args),
        Command::Stages(args) => cli::stages::run(args),
        Command::Graph(args) => cli::graph::run(args),
        Command::Bench(args) => cli::bench::run(args),
        Command::Play(args) => cli::play::run(args),
        Command::Plot(args) => cli::plot::run(args),
        Command::Report(args) => cli::report::run(args),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            cli::console::errln(&format!("error: {err:#}"));
            ExitCode::from(cli::exit_code_of(&err))
        }
    }
}
