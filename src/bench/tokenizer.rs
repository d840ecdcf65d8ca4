//! The tokenizer benchmark: the paper's step prompts from random episodes of both built-in
//! environments, rendered with a model directory's chat template and tokenised, as
//! `policy.lm` will do at every step. Throughput in prompts and tokens per second, one thread.

use super::median_time;
use super::prompts::env_prompts;
use crate::lm::PromptEncoder;
use anyhow::Result;
use std::path::Path;

pub struct TokenizerMeasurement {
    pub env: &'static str,
    pub prompts: usize,
    pub tokens: usize,
    pub seconds: f64,
}

impl TokenizerMeasurement {
    pub fn tokens_per_second(&self) -> f64 {
        self.tokens as f64 / self.seconds.max(1e-12)
    }
}

/// Renders and tokenises `count` prompts of each environment, `repeats` times (median).
pub fn measure(
    model_dir: &Path,
    count: usize,
    repeats: usize,
    seed: u64,
) -> Result<Vec<TokenizerMeasurement>> {
    let encoder = PromptEncoder::load(model_dir)?;
    let mut out = Vec::new();
    for (env, kind, split) in [
        ("alfworld", "env.alfworld", "valid_unseen"),
        ("webshop", "env.webshop", "test"),
    ] {
        let prompts = env_prompts(kind, split, count, seed)?;
        let (time, tokens) = median_time(repeats, || {
            let mut tokens = 0;
            for p in &prompts {
                tokens += encoder.encode_user(p, usize::MAX)?.ids.len();
            }
            Ok(tokens)
        })?;
        out.push(TokenizerMeasurement {
            env,
            prompts: prompts.len(),
            tokens,
            seconds: time.as_secs_f64(),
        });
    }
    Ok(out)
}

pub fn report(m: &TokenizerMeasurement) -> String {
    format!(
        "{:<8} {:>5} prompts  {:>9} tokens  {:>8.3} s  {:>10} tokens/s  {:>7.0} prompts/s",
        m.env,
        m.prompts,
        super::thousands(m.tokens),
        m.seconds,
        super::thousands(m.tokens_per_second() as usize),
        m.prompts as f64 / m.seconds.max(1e-12)
    )
}
