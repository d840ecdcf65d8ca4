//! `proxmo play ENV [--split S] [--task N]`: play a built-in environment by hand. It shows
//! exactly what the agent sees (the observation and the admissible actions); type an action,
//! or its number in the list. `:q` quits. Reads stdin, so a script can be piped in.

use super::console;
use super::{EXIT_INVALID, EXIT_OK};
use crate::env::{Env, StepOutcome};
use crate::kinds::env::build_env;
use crate::kinds::params_with_defaults;
use crate::stage::Value;
use std::io::{BufRead, Write};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Game {
    Alfworld,
    Webshop,
}

#[derive(clap::Args, Debug)]
pub struct PlayArgs {
    /// Which environment.
    #[arg(value_enum)]
    pub game: Game,
    /// Task split (default: the env's evaluation split).
    #[arg(long)]
    pub split: Option<String>,
    /// Task index within the split.
    #[arg(long, default_value_t = 0)]
    pub task: usize,
    /// Seed of the task generator.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

pub fn run(args: PlayArgs) -> anyhow::Result<u8> {
    let kind = match args.game {
        Game::Alfworld => "env.alfworld",
        Game::Webshop => "env.webshop",
    };
    let mut overrides = vec![("seed", Value::Int(args.seed.min(i64::MAX as u64) as i64))];
    if let Some(split) = &args.split {
        overrides.push(("split", Value::Str(split.clone())));
    }
    let params = params_with_defaults(kind, &overrides)?;
    let mut env = match build_env(kind, &params).and_then(|f| f.make()) {
        Ok(env) => env,
        Err(e) => {
            console::errln(&format!("error: {e:#}"));
            return Ok(EXIT_INVALID);
        }
    };
    if args.task >= env.n_tasks() {
        console::errln(&format!(
            "error: task {} does not exist: the split has tasks 0..{}",
            args.task,
            env.n_tasks().saturating_sub(1)
        ));
        return Ok(EXIT_INVALID);
    }
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout();
    play(env.as_mut(), args.task, &mut stdin.lock(), &mut stdout)?;
    Ok(EXIT_OK)
}

/// The interactive loop, over any input and output so it can be tested.
pub fn play(
    env: &mut dyn Env,
    task: usize,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut seen = env.reset(task)?;
    let mut steps = 0usize;
    show(out, &seen)?;
    let mut line = String::new();
    while !seen.done {
        write!(out, "> ")?;
        out.flush()?;
        line.clear();
        if input.read_line(&mut line)? == 0 {
            writeln!(out)?;
            return Ok(()); // End of input.
        }
        let typed = line.trim_end_matches(['\n', '\r']);
        if typed == ":q" {
            return Ok(());
        }
        let action = match typed.trim().parse::<usize>() {
            Ok(n) if (1..=seen.admissible.len()).contains(&n) => seen.admissible[n - 1].clone(),
            _ => typed.to_string(),
        };
        seen = env.step(&action)?;
        steps += 1;
        writeln!(out, "[{action}] reward {}", seen.reward)?;
        show(out, &seen)?;
    }
    writeln!(
        out,
        "episode over after {steps} steps: {} (score {})",
        if seen.won { "won" } else { "not won" },
        seen.score
    )?;
    Ok(())
}

fn show(out: &mut dyn Write, seen: &StepOutcome) -> std::io::Result<()> {
    writeln!(out, "\n{}\n", seen.observation)?;
    if !seen.done {
        writeln!(out, "admissible actions:")?;
        for (i, a) in seen.admissible.iter().enumerate() {
            writeln!(out, "  {:>3}. {a}", i + 1)?;
        }
    }
    Ok(())
}
