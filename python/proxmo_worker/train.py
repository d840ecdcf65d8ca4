"""One optimiser step over a mini-batch given as micro-batches: PPO's actor loss or SFT's
cross-entropy, token-mean over every response token of the mini-batch, gradients accumulated
over the micro-batches, clipped, then one AdamW step."""

import math
import time

import torch

from . import distributed
from .batching import response_logits, token_logprobs
from .loss import actor_loss, entropy_from_logits, sft_loss, token_mean

METRIC_KEYS = ("pg_loss", "pg_clipfrac", "pg_clipfrac_lower", "ppo_kl", "kl_ref", "entropy")


def train_step(policy, loss_kind, micro_batches):
    """Returns the step's metrics; micro_batches are lists of checked rows (see protocol)."""
    s = policy.settings
    t0 = time.perf_counter()
    n_tokens = sum(len(row["response"]) for mb in micro_batches for row in mb)
    model = policy.model
    model.zero_grad(set_to_none=True)
    totals = {k: 0.0 for k in METRIC_KEYS}
    total_loss = 0.0
    world = distributed.world_size() if distributed.active() else 1
    for rows, weight in my_share(micro_batches, distributed.rank(), world):
        pairs = [(row["prompt"], row["response"]) for row in rows]
        logits, targets, row_of = response_logits(model, pairs, policy.pad_id, policy.device)
        logp = token_logprobs(logits, targets)
        if loss_kind == "sft":
            loss = sft_loss(logp, n_tokens)
            with torch.no_grad():
                totals["entropy"] += weight * float(
                    token_mean(entropy_from_logits(logits), n_tokens))
        else:
            old = torch.tensor([x for row in rows for x in row["old_logprobs"]],
                               dtype=torch.float32, device=policy.device)
            adv = torch.tensor([row["advantage"] for row in rows], dtype=torch.float32,
                               device=policy.device)[row_of]
            if s.entropy_coef > 0:
                entropy = entropy_from_logits(logits)
            else:
                with torch.no_grad():
                    entropy = entropy_from_logits(logits)
            ref_logp = policy.reference_logprobs(pairs) if s.kl_coef > 0 else None
            loss, metrics = actor_loss(
                logp, old, adv, entropy, ref_logp, n_tokens, kl_coef=s.kl_coef,
                entropy_coef=s.entropy_coef, clip_low=s.clip_low, clip_high=s.clip_high,
                clip_ratio_c=s.clip_ratio_c)
            for k, v in metrics.items():
                totals[k] += weight * float(v)
        # FSDP averages gradients over ranks; the token-mean needs their sum.
        (loss * (weight * world)).backward()
        total_loss += weight * float(loss.detach())
    if world > 1:
        keys = list(totals)
        summed = distributed.sum_values([totals[k] for k in keys] + [total_loss], policy.device)
        totals, total_loss = dict(zip(keys, summed[:-1])), summed[-1]
    params = [p for p in model.parameters() if p.requires_grad]
    grad_norm = distributed.to_float(torch.nn.utils.clip_grad_norm_(params, s.grad_clip))
    stepped = math.isfinite(grad_norm)
    lr = scheduled_lr(s, steps_taken(policy.optimizer))
    for group in policy.optimizer.param_groups:
        group["lr"] = lr
    if stepped:
        policy.optimizer.step()
    # A non-finite gradient norm skips the step rather than corrupting the weights.
    model.zero_grad(set_to_none=True)
    seconds = time.perf_counter() - t0
    metrics = {"loss": total_loss, "grad_norm": grad_norm if stepped else None,
               "stepped": stepped, "lr": lr, "tokens": n_tokens,
               "tokens_per_s": n_tokens / seconds if seconds > 0 else None,
               "seconds": seconds}
    if loss_kind == "ppo":
        metrics.update(totals)
    else:
        metrics["entropy"] = totals["entropy"]
    return metrics


def scheduled_lr(settings, step):
    """The learning rate of optimiser step `step` (0-based): a linear warm-up over
    `lr_warmup_steps`, then with `lr_decay_steps` > 0 a cosine from `lr` down to 0 at step
    `lr_decay_steps` (counted from the first step, warm-up included), 0 after it."""
    lr = settings.lr
    if settings.lr_warmup_steps > 0 and step < settings.lr_warmup_steps:
        lr *= (step + 1) / settings.lr_warmup_steps
    if settings.lr_decay_steps > 0:
        progress = min(step, settings.lr_decay_steps) / settings.lr_decay_steps
        lr *= 0.5 * (1.0 + math.cos(math.pi * progress))
    return lr


def steps_taken(optimizer):
    """How many steps the optimiser has taken, from its own state: a checkpoint restores
    it with the optimiser, so a resumed run's schedule carries on where it stopped."""
    for state in optimizer.state.values():
        step = state.get("step")
        if step is not None:
            return int(step)
    return 0


def my_share(micro_batches, rank, world):
    """(micro-batch, weight) pairs this rank runs: micro-batch i on rank i mod world; a rank
    left short runs the first micro-batch again with weight 0, so every rank makes the same
    number of passes."""
    rounds = -(-len(micro_batches) // world)
    return [(micro_batches[i], 1.0) if i < len(micro_batches) else (micro_batches[0], 0.0)
            for i in range(rank, rounds * world, world)]
