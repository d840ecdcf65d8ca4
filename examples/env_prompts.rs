//! Writes the paper's step prompts from random ALFWorld and WebShop episodes as JSON lines
//! (`{"env": ..., "prompt": ...}`) on stdout: the corpus `python -m proxmo_worker.build_model --corpus` trains
//! the tiny model's tokenizer on.
//!
//!     cargo run --release --example env_prompts -- [PER_ENV] [SEED]

use proxmo::bench::prompts::env_prompts;
use std::io::Write;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parse = |i: usize, default: u64| -> Option<u64> {
        args.get(i).map_or(Some(default), |a| a.parse().ok())
    };
    let (Some(per_env), Some(seed)) = (parse(0, 2_000), parse(1, 0)) else {
        eprintln!("usage: env_prompts [PER_ENV] [SEED] (non-negative integers)");
        return std::process::ExitCode::from(2);
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (name, kind, split) in [
        ("alfworld", "env.alfworld", "train"),
        ("webshop", "env.webshop", "train"),
    ] {
        let prompts = match env_prompts(kind, split, per_env as usize, seed) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: {name}: {e:#}");
                return std::process::ExitCode::from(1);
            }
        };
        for prompt in prompts {
            let line = serde_json::json!({"env": name, "prompt": prompt});
            if writeln!(out, "{line}").is_err() {
                return std::process::ExitCode::from(1);
            }
        }
    }
    if out.flush().is_err() {
        return std::process::ExitCode::from(1);
    }
    std::process::ExitCode::SUCCESS
}
