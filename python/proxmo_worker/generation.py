"""Batched sampling of responses with a key-value cache, recording each sampled token's
log-probability under the policy itself (temperature 1, no top-p): the log-prob the PPO
ratio's denominator needs, since training computes the same quantity."""

import torch

from . import distributed
from .batching import left_pad
from .sampling import next_tokens


@torch.no_grad()
def generate(model, prompts, *, eos_ids, pad_id, device, temperature, top_p, max_new_tokens,
             generator):
    """Per prompt: {"ids", "logprobs", "finish": "eos" | "length"}. The EOS token that ends
    a response is part of it (the model must learn to stop)."""
    ids, mask, pos = left_pad(prompts, pad_id, device)
    eos = torch.tensor(sorted(eos_ids), dtype=torch.long, device=device)
    batch = len(prompts)
    out_ids = [[] for _ in range(batch)]
    out_logprobs = [[] for _ in range(batch)]
    finish = ["length"] * batch
    done = torch.zeros(batch, dtype=torch.bool, device=device)
    cache = None
    step_ids, step_pos = ids, pos
    for _ in range(max_new_tokens):
        out = model(input_ids=step_ids, attention_mask=mask, position_ids=step_pos,
                    cache=cache, use_cache=True, logits_to_keep=1)
        cache = out.cache
        logits = out.logits[:, -1, :].float()
        token = next_tokens(logits, temperature, top_p, generator)
        logprob = torch.log_softmax(logits, dim=-1).gather(-1, token[:, None]).squeeze(-1)
        for i in torch.nonzero(~done).flatten().tolist():
            out_ids[i].append(int(token[i]))
            out_logprobs[i].append(float(logprob[i]))
        finished_now = torch.isin(token, eos) & ~done
        for i in torch.nonzero(finished_now).flatten().tolist():
            finish[i] = "eos"
        done |= finished_now
        finished = bool(done.all())
        if distributed.active():
            # Every rank must run the same number of forward passes (sharded weights).
            finished = distributed.all_true(finished, device)
        if finished:
            break
        # Finished rows keep stepping on padding; what they produce is not recorded.
        step_ids = torch.where(done, torch.full_like(token, pad_id), token)[:, None]
        step_pos = step_pos[:, -1:] + 1
        mask = torch.cat([mask, torch.ones((batch, 1), dtype=mask.dtype, device=device)], dim=1)
    return [{"ids": i, "logprobs": lp, "finish": f}
            for i, lp, f in zip(out_ids, out_logprobs, finish)]
