#!/usr/bin/env python3
"""What transformers makes of text, for the Rust tokenizer and chat template parity tests.

Reads one JSON request on stdin: {"model": DIR, "texts": [...], "conversations":
[[{"role", "content"}, ...], ...]}. Writes one JSON answer on stdout:
{"ids": ids of each text (no special tokens added), "decoded": each ids list decoded back,
 "rendered": [[without, with generation prompt] per conversation],
 "chat_ids": ids of each conversation by apply_chat_template(tokenize=True,
 add_generation_prompt=True)}.
"""

import json
import sys

from transformers import AutoTokenizer


def as_ids(out):
    # transformers 5 returns a BatchEncoding from apply_chat_template(tokenize=True).
    return list(out["input_ids"]) if hasattr(out, "keys") else list(out)


def main():
    request = json.load(sys.stdin)
    tok = AutoTokenizer.from_pretrained(request["model"])
    ids = [tok(t, add_special_tokens=False)["input_ids"] for t in request["texts"]]
    answer = {
        "ids": ids,
        "decoded": [tok.decode(i, skip_special_tokens=False) for i in ids],
        "rendered": [
            [tok.apply_chat_template(c, tokenize=False, add_generation_prompt=g) for g in (False, True)]
            for c in request["conversations"]
        ],
        "chat_ids": [
            as_ids(tok.apply_chat_template(c, tokenize=True, add_generation_prompt=True))
            for c in request["conversations"]
        ],
    }
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
