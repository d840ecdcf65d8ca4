//! One token-level training step on a batch of rollouts: every row's recorded tokens with its
//! advantage, packed into micro-batches, sent to the policy as one optimiser step, and the
//! step's metrics together with what the batch's responses looked like.

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
) -> Result<BTreeMap<String, f64>> {
    let rows: Vec<TrainRow> = played
        .transcripts
        .iter()
        .zip(advantages)
        .filter_map(|(t, &advantage)| {
            let tokens = t.as_ref()?.tokens.as_ref()?;
            Some(TrainRow { tokens, advantage })
        })
        .collect();
    if rows.is_empty() {
        if played.rows.is_empty() {
            return Ok(BTreeMap::new());
        }
        bail!("this update trains a language model (policy.lm): the rollout's policy recorded no tokens");
    }
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
    let packed = pack(rows, micro_batch_tokens);
    let mut metrics = policy.train_tokens(loss, &packed.micro_batches)?;
    let extra = [
        ("micro_batches", packed.micro_batches.len() as f64),
        ("padding_share", packed.padding_share),
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
