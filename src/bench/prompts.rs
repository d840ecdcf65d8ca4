//! The paper's step prompts as an agent sees them, from random-policy episodes of the
//! built-in environments: text for tokenizer benchmarks, tokenizer parity tests and the tiny
//! model's tokenizer corpus. Built exactly as `policy.command` builds its prompts (WebShop
//! shows the page after the instruction, history holds anchor observations).

use crate::agent::prompt::{build, task_statement, Benchmark, PromptInput};
use crate::kinds::env::build_env;
use crate::kinds::params_with_defaults;
use crate::rng::Rng;
use crate::stage::Value;
use anyhow::Result;

/// Up to `count` prompts of `kind` (`env.alfworld` or `env.webshop`) on `split`, from
/// episodes of uniformly random admissible actions over the split's tasks in turn.
pub fn env_prompts(kind: &str, split: &str, count: usize, seed: u64) -> Result<Vec<String>> {
    let benchmark = Benchmark::for_env(kind);
    let params = params_with_defaults(
        kind,
        &[
            ("split", Value::Str(split.to_string())),
            ("seed", Value::Int((seed % i64::MAX as u64) as i64)),
        ],
    )?;
    let mut env = build_env(kind, &params)?.make()?;
    let mut rng = Rng::new(seed);
    let mut prompts = Vec::with_capacity(count);
    let mut task = 0;
    while prompts.len() < count && env.n_tasks() > 0 {
        let mut seen = env.reset(task % env.n_tasks())?;
        task += 1;
        let first = seen.observation.clone();
        let mut history: Vec<(String, String)> = Vec::new();
        while !seen.done && prompts.len() < count {
            let observation = match benchmark {
                Benchmark::Webshop => &seen.anchor,
                _ => &seen.observation,
            };
            prompts.push(build(&PromptInput {
                benchmark,
                task: &task_statement(benchmark, &first),
                history: &history,
                observation,
                admissible: &seen.admissible,
            }));
            let Some(action) = rng.choose(&seen.admissible).cloned() else {
                break;
            };
            let anchor = seen.anchor.clone();
            seen = env.step(&action)?;
            history.push((anchor, action));
        }
    }
    Ok(prompts)
}
