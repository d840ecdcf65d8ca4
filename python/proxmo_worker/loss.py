"""The actor's loss terms, as pure functions of tensors (docs/ppo.md gives each formula and
where it comes from). Every per-token tensor here is 1-D over the response tokens of one
micro-batch; `n_tokens` is the number of response tokens of the whole mini-batch, so summing
micro-batch results gives the token-mean over the mini-batch (gradient accumulation)."""

from dataclasses import dataclass

import torch

# log-ratios are clamped before exp so one stale token cannot overflow the ratio.
LOG_RATIO_LIMIT = 20.0
# the k3 KL estimate per token is clamped to this range.
KL_LIMIT = 10.0


def token_mean(values, n_tokens):
    """Sum of per-token values divided by the mini-batch's response-token count."""
    return values.sum() / n_tokens


@dataclass
class PolicyTerms:
    """Per-token PPO quantities of one micro-batch."""
    losses: torch.Tensor  # the dual-clipped surrogate loss of each token
    clipped: torch.Tensor  # 1 where the clipped ratio was the binding term
    dual_clipped: torch.Tensor  # 1 where the dual clip (negative advantage) bound
    neg_log_ratio: torch.Tensor  # logp_old - logp_new, whose mean is ppo_kl


def policy_terms(logp, old_logp, advantages, clip_low=0.2, clip_high=0.2, clip_ratio_c=3.0):
    """The clipped surrogate with a dual clip for negative advantages, per token."""
    log_ratio = (logp - old_logp).clamp(-LOG_RATIO_LIMIT, LOG_RATIO_LIMIT)
    ratio = torch.exp(log_ratio)
    unclipped = -advantages * ratio
    clipped = -advantages * ratio.clamp(1.0 - clip_low, 1.0 + clip_high)
    pessimistic = torch.maximum(unclipped, clipped)
    floor = -advantages * clip_ratio_c
    negative = advantages < 0
    losses = torch.where(negative, torch.minimum(pessimistic, floor), pessimistic)
    return PolicyTerms(
        losses=losses,
        clipped=(clipped > unclipped).float(),
        dual_clipped=((pessimistic > floor) & negative).float(),
        neg_log_ratio=-log_ratio,
    )


def k3_kl(logp, ref_logp):
    """The low-variance KL estimate to the reference, per token, clamped to [-10, 10]."""
    d = (ref_logp - logp).clamp(-LOG_RATIO_LIMIT, LOG_RATIO_LIMIT)
    return (torch.exp(d) - d - 1.0).clamp(-KL_LIMIT, KL_LIMIT)


def entropy_from_logits(logits):
    """Entropy of softmax(logits) along the last axis: logsumexp(z) - sum(softmax(z) z)."""
    p = torch.softmax(logits, dim=-1)
    return torch.logsumexp(logits, dim=-1) - (p * logits).sum(dim=-1)


def actor_loss(logp, old_logp, advantages, entropy, ref_logp, n_tokens, kl_coef=0.01,
               entropy_coef=0.001, clip_low=0.2, clip_high=0.2, clip_ratio_c=3.0):
    """The micro-batch's share of the actor loss and its metric sums.

    loss = token-mean(pg) + kl_coef * token-mean(k3) - entropy_coef * token-mean(H);
    `ref_logp` is None when no reference model is kept (kl_coef = 0). Metric sums are
    detached and divided by n_tokens too, so they add up over micro-batches."""
    terms = policy_terms(logp, old_logp, advantages, clip_low, clip_high, clip_ratio_c)
    pg_loss = token_mean(terms.losses, n_tokens)
    entropy_mean = token_mean(entropy, n_tokens)
    loss = pg_loss - entropy_coef * entropy_mean
    kl_ref = torch.zeros((), dtype=logp.dtype, device=logp.device)
    if ref_logp is not None:
        kl_ref = token_mean(k3_kl(logp, ref_logp), n_tokens)
        loss = loss + kl_coef * kl_ref
    metrics = {
        "pg_loss": pg_loss.detach(),
        "pg_clipfrac": token_mean(terms.clipped, n_tokens),
        "pg_clipfrac_lower": token_mean(terms.dual_clipped, n_tokens),
        "ppo_kl": token_mean(terms.neg_log_ratio, n_tokens).detach(),
        "kl_ref": kl_ref.detach(),
        "entropy": entropy_mean.detach(),
    }
    return loss, metrics


def sft_loss(logp, n_tokens):
    """Cross-entropy of the response tokens: token-mean of -log p."""
    return token_mean(-logp, n_tokens)
