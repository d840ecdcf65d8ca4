//! `proxmo bench advantage`: throughput of the ProxMO advantage per device, and the whole
//! advantage pipeline on a JSONL file.

use super::console;
use super::{EXIT_INVALID, EXIT_OK};
use crate::bench::advantage;
use crate::stage::Runnable;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub what: BenchTarget,
}

#[derive(clap::Subcommand, Debug)]
pub enum BenchTarget {
    /// ProxMO advantages on synthetic ALFWorld-like batches.
    Advantage(AdvantageArgs),
    /// Environment steps per second with random admissible actions.
    Env(EnvArgs),
    /// Every task of a split played by the environment's expert (the demonstrations'
    /// source): success, score and length.
    Expert(ExpertArgs),
    /// `proxmo check` on a generated hostile .pipe file (repeated parameters, thousands of
    /// errors, a multi-megabyte line).
    Check(CheckArgs),
    /// Chat-template rendering and tokenisation of the environments' prompts.
    Tokenizer(TokenizerArgs),
    /// Runs a language-model pipeline and splits each batch's wall time: waiting for the
    /// model worker (generate, train) against proxmo's own work.
    Iteration(IterationArgs),
}

#[derive(clap::Args, Debug)]
pub struct IterationArgs {
    /// The .pipe file to run (its policy must be policy.lm).
    pub file: std::path::PathBuf,
    /// Which pipeline of the file to run.
    #[arg(long)]
    pub pipeline: Option<String>,
    /// Override a parameter, as with `proxmo run`.
    #[arg(long = "set", value_name = "STAGE.PARAM=VALUE")]
    pub sets: Vec<String>,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Size of the generated file in MiB (at most 60, below the .pipe size cap).
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub mib: u64,
}

#[derive(clap::Args, Debug)]
pub struct TokenizerArgs {
    /// A model directory with tokenizer.json and a chat template.
    #[arg(long)]
    pub model: std::path::PathBuf,
    /// Prompts per environment.
    #[arg(long, default_value_t = 500)]
    pub prompts: usize,
    /// Repeats; the median is reported.
    #[arg(long, default_value_t = 5)]
    pub repeats: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

#[derive(clap::Args, Debug)]
pub struct ExpertArgs {
    /// Which environments.
    #[arg(value_delimiter = ',', default_values_t = ["alfworld".to_string(), "webshop".to_string()])]
    pub envs: Vec<String>,
    /// Splits to play (default: ALFWorld train and valid_unseen, WebShop train and test).
    #[arg(long, value_delimiter = ',')]
    pub splits: Vec<String>,
    /// Step limit of an episode (default: 50 for ALFWorld, 15 for WebShop, the paper's).
    #[arg(long)]
    pub max_steps: Option<u32>,
    /// Play at most this many tasks of each split (the first ones).
    #[arg(long, default_value_t = usize::MAX)]
    pub limit: usize,
}

#[derive(clap::Args, Debug)]
pub struct EnvArgs {
    /// Which environments.
    #[arg(value_delimiter = ',', default_values_t = ["alfworld".to_string(), "webshop".to_string()])]
    pub envs: Vec<String>,
    /// Random-policy episodes per measurement.
    #[arg(long, default_value_t = 2_000)]
    pub episodes: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

#[derive(clap::Args, Debug)]
pub struct AdvantageArgs {
    /// Batch sizes in step rows; 6400 is the paper's 16 groups x 8 trajectories x 50 steps.
    /// At most 10,000,000 (`1e7`); scientific notation is accepted.
    #[arg(long, value_delimiter = ',', default_values_t = [6_400usize, 50_000], value_parser = parse_rows)]
    pub rows: Vec<usize>,
    /// Devices to compare side by side: cpu, gpu, auto.
    #[arg(long, value_delimiter = ',', default_values_t = ["cpu".to_string()])]
    pub device: Vec<String>,
    /// Accept a software GPU adapter (Mesa's lavapipe) for `gpu`.
    #[arg(long)]
    pub allow_software: bool,
    /// Repeats per configuration; the median is reported.
    #[arg(long, default_value_t = 5)]
    pub repeats: usize,
    /// Also time the file pipeline (read JSONL, advantages, write JSONL) at this many rows;
    /// 0 skips it.
    #[arg(long, default_value_t = 50_000, value_parser = parse_rows)]
    pub pipeline_rows: usize,
}

/// The largest batch a benchmark builds: ten million rows take a few GB of memory.
pub const MAX_BENCH_ROWS: usize = 10_000_000;

/// A row count: a whole number, written plainly (`50000`) or in scientific notation (`5e4`),
/// up to [`MAX_BENCH_ROWS`].
fn parse_rows(text: &str) -> Result<usize, String> {
    let x: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of rows"))?;
    if !(x >= 0.0 && x.fract() == 0.0) {
        return Err(format!(
            "`{text}` is not a whole, non-negative number of rows"
        ));
    }
    if x > MAX_BENCH_ROWS as f64 {
        return Err(format!(
            "{text} rows is more than the benchmark's limit of {MAX_BENCH_ROWS} (1e7)"
        ));
    }
    Ok(x as usize)
}

pub fn run(args: BenchArgs) -> anyhow::Result<u8> {
    match args.what {
        BenchTarget::Advantage(a) => run_advantage(a),
        BenchTarget::Env(e) => run_env(e),
        BenchTarget::Expert(e) => run_expert(e),
        BenchTarget::Check(c) => run_check(c),
        BenchTarget::Tokenizer(t) => run_tokenizer(t),
        BenchTarget::Iteration(i) => run_iteration(i),
    }
}

fn run_iteration(args: IterationArgs) -> anyhow::Result<u8> {
    let selection = crate::dsl::Selection::One(args.pipeline.clone());
    let pipeline = match super::load_or_report(&args.file, selection, &args.sets) {
        Ok(p) => match p.runnables.into_iter().next() {
            Some(Runnable::Pipeline(p)) => p,
            Some(Runnable::Sequence(s)) => {
                let steps: Vec<&str> = s.steps.iter().map(|t| t.pipeline.name.as_str()).collect();
                console::errln(&format!(
                    "error: bench iteration measures one pipeline, and `{}` is a sequence\n  = help: name one of its steps with --pipeline: {}",
                    s.sequence,
                    steps.join(", ")
                ));
                return Ok(EXIT_INVALID);
            }
            None => return Ok(EXIT_INVALID),
        },
        Err(code) => return Ok(code),
    };
    let mut progress = super::progress::RunProgress::new(false);
    let measured = crate::bench::iteration::measure(&pipeline, &mut progress);
    progress.finish();
    match measured {
        Ok(batches) => {
            console::outln(&format!(
                "pipeline `{}`: each batch's wall time (play, credit, update; evaluations not counted)",
                pipeline.name
            ));
            console::out(&crate::bench::iteration::table(&batches));
            Ok(EXIT_OK)
        }
        Err(e) => {
            console::errln(&format!("error: {e:#}"));
            Ok(super::exit_code_of(&e))
        }
    }
}

fn run_tokenizer(args: TokenizerArgs) -> anyhow::Result<u8> {
    console::outln(&format!(
        "render (chat template) + tokenise, {}: one thread, median of {}",
        args.model.display(),
        args.repeats.max(1)
    ));
    match crate::bench::tokenizer::measure(&args.model, args.prompts, args.repeats, args.seed) {
        Ok(measurements) => {
            for m in measurements {
                console::outln(&crate::bench::tokenizer::report(&m));
            }
            Ok(EXIT_OK)
        }
        Err(e) => {
            console::errln(&format!("error: {e:#}"));
            Ok(super::exit_code_of(&e))
        }
    }
}

fn run_check(args: CheckArgs) -> anyhow::Result<u8> {
    let dir = std::env::temp_dir().join(format!("proxmo-bench-check-{}", std::process::id()));
    let t = crate::bench::check::measure((args.mib as usize) << 20, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    let t = t?;
    console::outln(&format!(
        "check of a generated hostile .pipe file: {} bytes, {} errors, {:.2} s, peak memory {}",
        crate::bench::thousands(t.bytes),
        crate::bench::thousands(t.errors),
        t.seconds,
        t.peak_mib
            .map_or("unknown".to_string(), |m| format!("{m:.0} MiB"))
    ));
    Ok(EXIT_OK)
}

fn run_expert(args: ExpertArgs) -> anyhow::Result<u8> {
    for name in &args.envs {
        let (kind, splits, max_steps) = match name.as_str() {
            "alfworld" => ("env.alfworld", ["train", "valid_unseen"], 50),
            "webshop" => ("env.webshop", ["train", "test"], 15),
            other => anyhow::bail!("unknown environment {other:?}: expected alfworld or webshop"),
        };
        let splits: Vec<String> = match args.splits.is_empty() {
            true => splits.iter().map(|s| s.to_string()).collect(),
            false => args.splits.clone(),
        };
        for split in &splits {
            let max_steps = args.max_steps.unwrap_or(max_steps);
            let m = crate::bench::expert::measure(kind, split, max_steps, args.limit)?;
            console::outln(&crate::bench::expert::report(&m));
        }
    }
    Ok(EXIT_OK)
}

fn run_env(args: EnvArgs) -> anyhow::Result<u8> {
    let all_threads = rayon::current_num_threads();
    for name in &args.envs {
        let (kind, split) = match name.as_str() {
            "alfworld" => ("env.alfworld", "valid_unseen"),
            "webshop" => ("env.webshop", "test"),
            other => anyhow::bail!("unknown environment {other:?}: expected alfworld or webshop"),
        };
        let mut threads = vec![1];
        if all_threads > 1 {
            threads.push(all_threads);
        }
        for t in threads {
            let m = crate::bench::env::measure(kind, split, args.episodes, t, args.seed)?;
            console::outln(&crate::bench::env::report(&m).to_string());
        }
    }
    Ok(EXIT_OK)
}

fn run_advantage(args: AdvantageArgs) -> anyhow::Result<u8> {
    for d in &args.device {
        crate::advantage::backend::Device::parse(d)?;
    }
    console::outln(&format!(
        "ProxMO advantage (paper defaults), synthetic ALFWorld-like batches; {} rayon threads, median of {}",
        rayon::current_num_threads(),
        args.repeats.max(1)
    ));
    let measurements =
        advantage::measure(&args.rows, &args.device, args.allow_software, args.repeats)?;
    console::out(&advantage::table(&measurements));
    if args.pipeline_rows > 0 {
        let dir = std::env::temp_dir().join(format!("proxmo-bench-{}", std::process::id()));
        let t = advantage::measure_pipeline(args.pipeline_rows, &dir)?;
        let _ = std::fs::remove_dir_all(&dir);
        console::outln(&format!(
            "file pipeline source.jsonl -> advantage.proxmo -> sink.jsonl: {} rows in {:.3} s ({} rows/s)",
            crate::bench::thousands(t.rows),
            t.seconds,
            crate::bench::thousands((t.rows as f64 / t.seconds) as usize)
        ));
    }
    Ok(EXIT_OK)
}
