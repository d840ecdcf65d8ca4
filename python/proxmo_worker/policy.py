"""The trained policy: a transformers causal LM (LoRA adapters through peft when
`lora_rank > 0`), its tokenizer, its AdamW optimiser, and a frozen reference copy for the KL
term (kept only when kl_coef > 0). Models stay in eval mode: no dropout, so the log-probs of
`generate`, `logprobs` and `train` are the same function of the weights."""

import copy
import os

import torch

from . import distributed
from .batching import response_logits, token_logprobs
from .settings import RequestError

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def resolve_device(name):
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as e:
        raise RequestError(f"`device`: {e}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RequestError(f"`device` {name!r}: CUDA is not available to this torch")
    return device


def eos_ids_of(model, tokenizer):
    """Every id that ends a turn: the generation config's, the model config's, the
    tokenizer's."""
    ids = set()
    for source in (getattr(model, "generation_config", None), model.config):
        value = getattr(source, "eos_token_id", None) if source is not None else None
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, (list, tuple)):
            ids.update(v for v in value if isinstance(v, int))
    if tokenizer.eos_token_id is not None:
        ids.add(tokenizer.eos_token_id)
    return sorted(ids)


class Policy:
    def __init__(self, settings):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.settings = settings
        self.device = resolve_device(settings.device)
        self.sharded = distributed.world_size() > 1
        if self.sharded:
            if settings.lora_rank > 0:
                raise RequestError("`lora_rank` > 0 under torchrun is not supported")
            self.device = distributed.init(self.device.type)
        if not os.path.isdir(settings.model):
            raise RequestError(f"`model` {settings.model!r} is not a directory")
        torch.manual_seed(settings.seed)
        self.tokenizer = AutoTokenizer.from_pretrained(settings.model)
        base = AutoModelForCausalLM.from_pretrained(settings.model,
                                                    dtype=DTYPES[settings.dtype])
        base.to(self.device).eval()
        self.eos_ids = eos_ids_of(base, self.tokenizer)
        if not self.eos_ids:
            raise RequestError(f"{settings.model}: neither the configs nor the tokenizer name an EOS token")
        pad = self.tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else self.eos_ids[0]
        self.reference = None
        if settings.lora_rank > 0:
            self.model = self._with_lora(base)
        else:
            self.model = base
            if settings.kl_coef > 0:
                self.reference = copy.deepcopy(base).requires_grad_(False).eval()
            if self.sharded:
                distributed.shard(self.model)
                if self.reference is not None:
                    distributed.shard(self.reference)
        self.optimizer = self._optimizer()
        self.generator = torch.Generator(device=self.device).manual_seed(settings.seed)

    def _with_lora(self, base):
        from peft import LoraConfig, get_peft_model  # only needed for LoRA

        s = self.settings
        config = LoraConfig(r=s.lora_rank, lora_alpha=s.lora_alpha or 2 * s.lora_rank,
                            target_modules="all-linear", lora_dropout=0.0, bias="none",
                            task_type="CAUSAL_LM")
        return get_peft_model(base, config).eval()

    def _optimizer(self):
        s = self.settings
        params = [p for p in self.model.parameters() if p.requires_grad]
        return torch.optim.AdamW(params, lr=s.lr, betas=s.betas, eps=s.eps,
                                 weight_decay=s.weight_decay)

    def facts(self):
        import transformers

        config = self.model.config
        arch = (getattr(config, "architectures", None) or [type(self.model).__name__])[0]
        return {
            "architecture": arch,
            "model_type": getattr(config, "model_type", None),
            "parameters": sum(p.numel() for p in self.model.parameters()),
            "trainable_parameters": sum(p.numel() for p in self.model.parameters()
                                        if p.requires_grad),
            "vocab_size": int(config.vocab_size),
            "eos_ids": self.eos_ids,
            "pad_id": self.pad_id,
            "device": str(self.device),
            "dtype": self.settings.dtype,
            "reference_model": self.reference is not None or (
                self.settings.lora_rank > 0 and self.settings.kl_coef > 0),
            "lora_rank": self.settings.lora_rank,
            "world_size": distributed.world_size() if self.sharded else 1,
            "torch": torch.__version__,
            "transformers": transformers.__version__,
        }

    @torch.no_grad()
    def logprobs(self, pairs):
        """Per pair, the log-prob of each response token under the current weights."""
        logits, targets, row_of = response_logits(self.model, pairs, self.pad_id, self.device)
        return split_by_row(token_logprobs(logits, targets), row_of, len(pairs))

    @torch.no_grad()
    def reference_logprobs(self, pairs):
        """Flat response-token log-probs under the frozen reference: the copy kept at hello,
        or with LoRA the base model with its adapters switched off."""
        if self.settings.lora_rank > 0:
            with self.model.disable_adapter():
                logits, targets, _ = response_logits(self.model, pairs, self.pad_id, self.device)
        else:
            logits, targets, _ = response_logits(self.reference, pairs, self.pad_id, self.device)
        return token_logprobs(logits, targets)


def split_by_row(flat, row_of, n_rows):
    out = [[] for _ in range(n_rows)]
    for value, row in zip(flat.tolist(), row_of.tolist()):
        out[row].append(value)
    return out
