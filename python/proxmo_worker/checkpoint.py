"""`save` and `load` of the policy as a Hugging Face model directory (safetensors weights,
config, generation config, tokenizer files and chat template), so the directory is also a
model `policy.lm`, transformers or vLLM can load. With full fine-tuning the AdamW state is
saved beside it (`optimizer.pt`) and restored by `load`; with LoRA the adapters are merged
into the saved weights and `load` starts fresh adapters and a fresh optimiser on them.

A save is written to a temporary sibling directory first, then renamed into place."""

import os

import torch
from safetensors.torch import load_file

from . import distributed
from .atomic_dir import writing_dir
from .settings import RequestError

OPTIMIZER_FILE = "optimizer.pt"


def save(policy, path):
    path = os.path.abspath(path)
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        raise RequestError(f"`path`: the directory {parent} does not exist")
    if policy.sharded:
        return save_sharded(policy, path)
    with writing_dir(path) as tmp:
        if policy.settings.lora_rank > 0:
            copy_merged(policy.model).save_pretrained(tmp)
        else:
            policy.model.save_pretrained(tmp)
            torch.save(policy.optimizer.state_dict(), os.path.join(tmp, OPTIMIZER_FILE))
        policy.tokenizer.save_pretrained(tmp)
    return path


def save_sharded(policy, path):
    """Under FSDP every rank gathers the full weights; rank 0 writes them. The optimiser
    state is not saved (a `load` then starts a fresh AdamW state)."""
    state = distributed.full_state_dict(policy.model)
    if distributed.rank() == 0:
        with writing_dir(path) as tmp:
            policy.model.save_pretrained(tmp, state_dict=state)
            policy.tokenizer.save_pretrained(tmp)
    torch.distributed.barrier()
    return path


def copy_merged(peft_model):
    """A plain transformers model with the LoRA adapters folded in (the live one is kept)."""
    import copy

    return copy.deepcopy(peft_model).merge_and_unload()


def load(policy, path):
    """Loads weights (and, with full fine-tuning, the optimiser state when saved) from a
    model directory of the same architecture."""
    weights = os.path.join(path, "model.safetensors")
    if not os.path.isfile(weights):
        raise RequestError(f"`path` {path!r}: no model.safetensors there")
    state = load_file(weights, device="cpu" if policy.sharded else str(policy.device))
    if policy.settings.lora_rank > 0:
        # Saved weights are merged; fresh adapters start from zero on top of them.
        reset_lora(policy)
        target = policy.model.get_base_model()
    else:
        target = policy.model
    own = target.state_dict()
    tied = getattr(target.config, "tie_word_embeddings", False)
    expected = {k for k in own if not (tied and k == "lm_head.weight") and "lora_" not in k}
    renamed = {base_key(k): k for k in expected}
    missing = sorted(set(renamed) - set(state))
    if missing:
        raise RequestError(f"{weights}: missing tensors, e.g. {missing[:3]}")
    for short, full in renamed.items():
        if tuple(own[full].shape) != tuple(state[short].shape):
            raise RequestError(f"{weights}: {short} has shape {tuple(state[short].shape)}, "
                               f"the model {tuple(own[full].shape)}")
    if policy.sharded:
        complete = {key: state[short] for short, key in renamed.items()}
        if tied and "lm_head.weight" in own:
            complete["lm_head.weight"] = complete["model.embed_tokens.weight"]
        distributed.load_full_state_dict(target, complete)
        return path
    with torch.no_grad():
        for short, full in renamed.items():
            own[full].copy_(state[short])
    optimizer_file = os.path.join(path, OPTIMIZER_FILE)
    if policy.settings.lora_rank == 0 and os.path.isfile(optimizer_file):
        policy.optimizer.load_state_dict(torch.load(optimizer_file, map_location=policy.device))
    return path


def base_key(key):
    """A state-dict key as saved by transformers: peft's `base_layer.` wrapper removed."""
    return key.replace(".base_layer.", ".")


def reset_lora(policy):
    """Zeroes the LoRA B matrices (adapters become the identity) and resets the optimiser."""
    with torch.no_grad():
        for name, p in policy.model.named_parameters():
            if "lora_B" in name:
                p.zero_()
    policy.optimizer = policy._optimizer()
