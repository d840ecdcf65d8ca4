"""Writes a small random-initialised language model directory, with nothing downloaded.

    python -m proxmo_worker.build_model OUT_DIR --corpus TEXTS.jsonl [--seed 0] ...

proxmo runs it to build a model preset (`policy.lm { model = "small" }`), with a corpus of
the environments' own prompts and answers. The model is a Qwen2 architecture from
transformers at toy size (about 0.3M parameters by default); its byte-level BPE tokenizer is
trained with the `tokenizers` library on the corpus (for the test model, the paper's step
prompts from `cargo run --release --example env_prompts`). The chat template is Qwen-style
(`<|im_start|>role ... <|im_end|>`). Everything is written with `save_pretrained`
(safetensors, config.json, tokenizer.json, tokenizer_config.json, chat_template.jinja) into a
temporary directory that is renamed to OUT_DIR at the end, so OUT_DIR is complete or absent.

Exit codes: 0 written, 1 failure while building, 2 bad arguments.
"""

import argparse
import json
import os
import sys

from .atomic_dir import writing_dir

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

# Qwen2's pre-tokenisation pattern: words, single digits, punctuation runs, newlines.
SPLIT_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)

CHAT_TEMPLATE = (
    "{%- if messages[0]['role'] == 'system' %}\n"
    "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n"
    "{%- else %}\n"
    "{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}\n"
    "{%- endif %}\n"
    "{%- for message in messages %}\n"
    "{%- if not (loop.first and message['role'] == 'system') %}\n"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}\n"
    "{%- endif %}\n"
    "{%- endfor %}\n"
    "{%- if add_generation_prompt %}\n"
    "{{- '<|im_start|>assistant\\n' }}\n"
    "{%- endif %}\n"
)


class UsageError(Exception):
    pass


def corpus_from_file(path):
    """Prompts from a JSON-lines file with a `prompt` (or `text`) field per line."""
    texts = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text = row.get("prompt", row.get("text"))
            except (json.JSONDecodeError, AttributeError) as e:
                raise UsageError(f"{path}:{n}: not a JSON object: {e}") from None
            if not isinstance(text, str):
                raise UsageError(f"{path}:{n}: no string `prompt` or `text` field")
            texts.append(text)
    if not texts:
        raise UsageError(f"{path}: no prompts")
    return texts


def train_tokenizer(texts, vocab_size):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers import trainers

    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(SPLIT_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    # The answer format the model must learn to write, beside the prompts it reads.
    answers = ["<think>I should look around first.</think>\n<action>look</action>"]
    tok.train_from_iterator(texts + answers, trainer=trainer)
    return tok


def build(out_dir, texts, args):
    import torch
    from transformers import GenerationConfig, PreTrainedTokenizerFast, Qwen2Config
    from transformers import Qwen2ForCausalLM

    raw = train_tokenizer(texts, args.vocab_size)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    im_end = raw.token_to_id("<|im_end|>")
    endoftext = raw.token_to_id("<|endoftext|>")

    torch.manual_seed(args.seed)
    config = Qwen2Config(
        vocab_size=raw.get_vocab_size(),
        hidden_size=args.hidden,
        intermediate_size=args.hidden * 4,
        num_hidden_layers=args.layers,
        num_attention_heads=args.heads,
        num_key_value_heads=max(1, args.heads // 2),
        max_position_embeddings=8192,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=im_end,
        pad_token_id=endoftext,
    )
    model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(
        eos_token_id=[im_end, endoftext], pad_token_id=endoftext, bos_token_id=None
    )
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return sum(p.numel() for p in model.parameters()), raw.get_vocab_size()


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out_dir")
    p.add_argument("--corpus", required=True,
                   help="JSON lines with a `prompt` (or `text`) field: the text the tokenizer is fitted on")
    p.add_argument("--vocab-size", type=int, default=2048)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--force", action="store_true", help="replace OUT_DIR if it exists")
    args = p.parse_args(argv)
    for name in ("vocab_size", "hidden", "layers", "heads"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.hidden % args.heads:
        p.error("--hidden must be a multiple of --heads")
    if args.vocab_size < 300:
        p.error("--vocab-size must be at least 300 (256 bytes and the special tokens)")
    return args


def main(argv):
    args = parse_args(argv)
    out_dir = os.path.abspath(args.out_dir)
    try:
        if os.path.exists(out_dir) and not args.force:
            raise UsageError(f"{out_dir} exists (pass --force to replace it)")
        texts = corpus_from_file(args.corpus)
        os.makedirs(os.path.dirname(out_dir), exist_ok=True)
        with writing_dir(out_dir) as tmp:
            params, vocab = build(tmp, texts, args)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (OSError, RuntimeError, ValueError, ImportError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {out_dir}: Qwen2, {params:,} parameters, vocabulary {vocab}, "
          f"tokenizer trained on {len(texts)} prompts")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
