//! Token-level training on a batch of rollouts: every row's recorded tokens with its
//! advantage, dealt into `mini_batches` mini-batches (row i to mini-batch i mod K, so each
//! holds a slice of every episode), each packed into micro-batches and sent to the policy as
//! one optimiser step; the steps' metrics together with what the batch's responses looked
//! like. Several steps per batch are what lets a model trained from scratch get enough
//! updates out of the batches a CPU can play.

use super::pack::pack;
use crate::rollout::policy::{Policy, TokenLoss, TrainRow};
use crate::rollout::Rollouts;
use anyhow::{bail, Result};
use std::collections::BTreeMap;

/// Trains `policy` on every row of `played` that carries tokens; `advantages` is indexed like
/// the rows (ignored by SFT). `micro_batch_tokens` bounds each micro-batch's padded tokens.
pub fn train_on_rollouts(
    policy: &mut dyn Policy,
    played: &Rollouts,
    advantages: &[f64],
    loss: TokenLoss,
    micro_batch_tokens: usize,
    mini_batches: usize,
) -> Result<BTreeMap<String, f64>> {
    let rows = token_rows(played, advantages)?;
    if rows.is_empty() {
        return Ok(BTreeMap::new());
    }
    train_on_rows(policy, rows, loss, micro_batch_tokens, mini_batches)
}

/// Every row of `played` that carries tokens, with its advantage; an error when the batch
/// has rows but none carries tokens (the policy is not a language model).
pub fn token_rows<'a>(played: &'a Rollouts, advantages: &[f64]) -> Result<Vec<TrainRow<'a>>> {
    let rows: Vec<TrainRow> = played
        .transcripts
        .iter()
        .zip(advantages)
        .filter_map(|(t, &advantage)| {
            let tokens = t.as_ref()?.tokens.as_ref()?;
            Some(TrainRow { tokens, advantage })
        })
        .collect();
    if rows.is_empty() && !played.rows.is_empty() {
        bail!("this update trains a language model (policy.lm): the rollout's policy recorded no tokens");
    }
    Ok(rows)
}

/// Trains on `rows` (not empty): dealt into `mini_batches` optimiser steps, each packed into
/// micro-batches of at most `micro_batch_tokens` padded tokens.
pub fn train_on_rows(
    policy: &mut dyn Policy,
    rows: Vec<TrainRow>,
    loss: TokenLoss,
    micro_batch_tokens: usize,
    mini_batches: usize,
) -> Result<BTreeMap<String, f64>> {
    if loss == TokenLoss::Ppo {
        if let Some(r) = rows
            .iter()
            .find(|r| r.tokens.logprobs.len() != r.tokens.response.len())
        {
            bail!(
                "update.ppo needs sampled responses with their log-probs; a row has {} response tokens and {} log-probs (demonstrations train with update.sft)",
                r.tokens.response.len(),
                r.tokens.logprobs.len()
            );
        }
    }
    let lengths: Vec<usize> = rows.iter().map(|r| r.tokens.response.len()).collect();
    let truncated = rows.iter().filter(|r| r.tokens.truncated > 0).count();
    let n_rows = rows.len();
    let k = mini_batches.clamp(1, n_rows);
    let mut steps = Vec::with_capacity(k);
    let (mut micro, mut padding) = (0, 0.0);
    for first in 0..k {
        let share: Vec<TrainRow> = rows.iter().skip(first).step_by(k).cloned().collect();
        let packed = pack(share, micro_batch_tokens);
        micro += packed.micro_batches.len();
        padding += packed.padding_share / k as f64;
        steps.push(policy.train_tokens(loss, &packed.micro_batches)?);
    }
    let mut metrics = merge_steps(&steps);
    let extra = [
        ("micro_batches", micro as f64),
        ("optimizer_steps", k as f64),
        ("padding_share", padding),
        (
            "response_length_mean",
            lengths.iter().sum::<usize>() as f64 / n_rows as f64,
        ),
        (
            "response_length_max",
            lengths.iter().copied().max().unwrap_or(0) as f64,
        ),
        ("truncated_prompts", truncated as f64),
    ];
    metrics.extend(extra.into_iter().map(|(k, v)| (k.to_string(), v)));
    Ok(metrics)
}

/// One metrics map for several optimiser steps: token and time counts add up, everything
/// else (losses, norms, KL) is the mean over the steps that reported it.
fn merge_steps(steps: &[BTreeMap<String, f64>]) -> BTreeMap<String, f64> {
    const SUMMED: [&str; 2] = ["tokens", "seconds"];
    let mut sums: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    for step in steps {
        for (key, &value) in step {
            let entry = sums.entry(key.clone()).or_default();
            entry.0 += value;
            entry.1 += 1;
        }
    }
    sums.into_iter()
        .map(|(key, (sum, n))| {
            let value = match SUMMED.contains(&key.as_str()) {
                true => sum,
                false => sum / n as f64,
            };
            (key, value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::merge_steps;
    use std::collections::BTreeMap;

    #[test]
    fn steps_add_their_counts_and_average_the_rest() {
        let step = |loss: f64, tokens: f64| {
            BTreeMap::from([("loss".to_string(), loss), ("tokens".to_string(), tokens)])
        };
        let merged = merge_steps(&[step(2.0, 10.0), step(1.0, 30.0)]);
        assert_eq!(merged["loss"], 1.5);
        assert_eq!(merged["tokens"], 40.0);
    }
}
