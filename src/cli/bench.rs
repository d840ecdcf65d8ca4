//! `proxmo bench advantage`: throughput of the ProxMO advantage per device, and the whole
//! advantage pipeline on a JSONL file.

use super::EXIT_OK;
use crate::bench::advantage;

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
    /// Chat-template rendering and tokenisation of the environments' prompts.
    Tokenizer(TokenizerArgs),
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
    #[arg(long, value_delimiter = ',', default_values_t = [6_400usize, 50_000])]
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
    #[arg(long, default_value_t = 50_000)]
    pub pipeline_rows: usize,
}

pub fn run(args: BenchArgs) -> anyhow::Result<u8> {
    match args.what {
        BenchTarget::Advantage(a) => run_advantage(a),
        BenchTarget::Env(e) => run_env(e),
        BenchTarget::Tokenizer(t) => run_tokenizer(t),
    }
}

fn run_tokenizer(args: TokenizerArgs) -> anyhow::Result<u8> {
    println!(
        "render (chat template) + tokenise, {}: one thread, median of {}",
        args.model.display(),
        args.repeats.max(1)
    );
    match crate::bench::tokenizer::measure(&args.model, args.prompts, args.repeats, args.seed) {
        Ok(measurements) => {
            for m in measurements {
                println!("{}", crate::bench::tokenizer::report(&m));
            }
            Ok(EXIT_OK)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            Ok(super::exit_code_of(&e))
        }
    }
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
            println!("{}", crate::bench::env::report(&m));
        }
    }
    Ok(EXIT_OK)
}

fn run_advantage(args: AdvantageArgs) -> anyhow::Result<u8> {
    for d in &args.device {
        crate::advantage::backend::Device::parse(d)?;
    }
    println!(
        "ProxMO advantage (paper defaults), synthetic ALFWorld-like batches; {} rayon threads, median of {}",
        rayon::current_num_threads(),
        args.repeats.max(1)
    );
    let measurements =
        advantage::measure(&args.rows, &args.device, args.allow_software, args.repeats)?;
    print!("{}", advantage::table(&measurements));
    if args.pipeline_rows > 0 {
        let dir = std::env::temp_dir().join(format!("proxmo-bench-{}", std::process::id()));
        let t = advantage::measure_pipeline(args.pipeline_rows, &dir)?;
        let _ = std::fs::remove_dir_all(&dir);
        println!(
            "file pipeline source.jsonl -> advantage.proxmo -> sink.jsonl: {} rows in {:.3} s ({} rows/s)",
            crate::bench::thousands(t.rows),
            t.seconds,
            crate::bench::thousands((t.rows as f64 / t.seconds) as usize)
        );
    }
    Ok(EXIT_OK)
}
