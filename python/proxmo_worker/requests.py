"""Checks of the token-carrying parts of requests (docs/worker-protocol.md): every problem is
a RequestError naming the field and the index, so the client can find the bad row."""

import math

from .settings import RequestError


def token_ids(value, where, vocab_size):
    if not isinstance(value, list) or not value:
        raise RequestError(f"{where}: must be a non-empty list of token ids")
    for j, t in enumerate(value):
        if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t < vocab_size:
            raise RequestError(f"{where}[{j}]: {t!r} is not a token id in [0, {vocab_size})")
    return value


def finite(value, where):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RequestError(f"{where}: {value!r} is not a finite number")
    return float(value)


def list_of(request, key, where=None):
    value = request.get(key)
    if not isinstance(value, list) or not value:
        raise RequestError(f"{where or key}: must be a non-empty list")
    return value


def pair(row, where, vocab_size):
    if not isinstance(row, dict):
        raise RequestError(f"{where}: must be an object with `prompt` and `response`")
    return (token_ids(row.get("prompt"), f"{where}.prompt", vocab_size),
            token_ids(row.get("response"), f"{where}.response", vocab_size))


def train_rows(request, loss_kind, vocab_size):
    """The micro-batches of a train request, each row checked."""
    batches = list_of(request, "micro_batches")
    checked = []
    for b, rows in enumerate(batches):
        if not isinstance(rows, list) or not rows:
            raise RequestError(f"micro_batches[{b}]: must be a non-empty list of rows")
        out = []
        for r, row in enumerate(rows):
            where = f"micro_batches[{b}][{r}]"
            prompt, response = pair(row, where, vocab_size)
            item = {"prompt": prompt, "response": response}
            if loss_kind == "ppo":
                old = row.get("old_logprobs")
                if not isinstance(old, list) or len(old) != len(response):
                    raise RequestError(f"{where}.old_logprobs: must be a list of one log-prob "
                                       f"per response token ({len(response)})")
                item["old_logprobs"] = [finite(x, f"{where}.old_logprobs[{j}]")
                                        for j, x in enumerate(old)]
                item["advantage"] = finite(row.get("advantage"), f"{where}.advantage")
            out.append(item)
        checked.append(out)
    return checked
