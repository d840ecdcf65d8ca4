"""Token sequences to padded tensors. Everything is left-padded, so each row's last token
sits at the last position: generation appends there, and the logits of every row's response
are the last positions of the batch (one `logits_to_keep` for all rows)."""

import torch


def left_pad(seqs, pad_id, device):
    """(ids, attention_mask, position_ids), each (batch, longest)."""
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        if s:
            ids[i, width - len(s):] = torch.tensor(s, dtype=torch.long)
            mask[i, width - len(s):] = 1
    return ids.to(device), mask.to(device), positions(mask).to(device)


def positions(mask):
    """Position of each real token counted from the row's first real token (0 on padding)."""
    return (mask.cumsum(-1) - 1).clamp(min=0)


def response_logits(model, rows, pad_id, device):
    """The logits predicting each response token, and those tokens.

    rows: [(prompt ids, response ids)], prompts and responses non-empty. Returns
    (logits (N, vocab) in float32, targets (N,), row (N,)): one entry per response token, rows
    in order, tokens in order; `row` is the index of the row each token belongs to."""
    seqs = [p + r for p, r in rows]
    ids, mask, pos = left_pad(seqs, pad_id, device)
    longest = max(len(r) for _, r in rows)
    out = model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=False,
                logits_to_keep=longest + 1)
    # Position j of the kept window predicts the token at j + 1.
    logits = out.logits[:, :-1, :]
    keep = torch.zeros((len(rows), longest), dtype=torch.bool)
    targets = torch.zeros((len(rows), longest), dtype=torch.long)
    for i, (_, r) in enumerate(rows):
        keep[i, longest - len(r):] = True
        targets[i, longest - len(r):] = torch.tensor(r, dtype=torch.long)
    keep = keep.to(device)
    row = torch.arange(len(rows), device=device)[:, None].expand(-1, longest)
    return logits[keep].float(), targets.to(device)[keep], row[keep]


def token_logprobs(logits, targets):
    """log softmax(logits)[target] per token."""
    return torch.log_softmax(logits, dim=-1).gather(-1, targets[:, None]).squeeze(-1)
