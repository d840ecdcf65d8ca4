"""The worker's settings, read from the `hello` request with their defaults (verl's actor
defaults; docs/ppo.md) and checked, so a bad value is refused before any model is loaded."""

from dataclasses import dataclass, fields


class RequestError(ValueError):
    """A request the worker refuses: answered with ok:false, the worker carries on."""


@dataclass
class Settings:
    model: str = ""
    device: str = "cpu"
    dtype: str = "float32"
    seed: int = 0
    lr: float = 1e-6
    lr_warmup_steps: int = 0
    lr_decay_steps: int = 0  # 0: a constant lr; else cosine to 0 over this many steps
    weight_decay: float = 0.01
    betas: tuple = (0.9, 0.999)
    eps: float = 1e-8
    kl_coef: float = 0.01
    entropy_coef: float = 0.001
    clip_low: float = 0.2
    clip_high: float = 0.2
    clip_ratio_c: float = 3.0
    grad_clip: float = 1.0
    lora_rank: int = 0
    lora_alpha: float = 0.0  # 0 means 2 x lora_rank


DTYPES = ("float32", "bfloat16", "float16")


def number(request, key, default, *, minimum=None, integer=False, above=None):
    value = request.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestError(f"`{key}` must be a number, got {value!r}")
    if integer and value != int(value):
        raise RequestError(f"`{key}` must be an integer, got {value!r}")
    if value != value or value in (float("inf"), float("-inf")):
        raise RequestError(f"`{key}` must be finite, got {value!r}")
    if minimum is not None and value < minimum:
        raise RequestError(f"`{key}` must be at least {minimum}, got {value!r}")
    if above is not None and value <= above:
        raise RequestError(f"`{key}` must be greater than {above}, got {value!r}")
    return int(value) if integer else float(value)


def text(request, key, default):
    value = request.get(key, default)
    if not isinstance(value, str) or not value:
        raise RequestError(f"`{key}` must be a non-empty string, got {value!r}")
    return value


def from_hello(request):
    known = {f.name for f in fields(Settings)} | {"op", "id"}
    unknown = sorted(set(request) - known)
    if unknown:
        raise RequestError(f"hello: unknown settings {unknown}; known: {sorted(known - {'op', 'id'})}")
    d = Settings()
    s = Settings(
        model=text(request, "model", None),
        device=text(request, "device", d.device),
        dtype=text(request, "dtype", d.dtype),
        seed=number(request, "seed", d.seed, minimum=0, integer=True),
        lr=number(request, "lr", d.lr, minimum=0),
        lr_warmup_steps=number(request, "lr_warmup_steps", d.lr_warmup_steps, minimum=0,
                               integer=True),
        lr_decay_steps=number(request, "lr_decay_steps", d.lr_decay_steps, minimum=0,
                              integer=True),
        weight_decay=number(request, "weight_decay", d.weight_decay, minimum=0),
        eps=number(request, "eps", d.eps, above=0),
        kl_coef=number(request, "kl_coef", d.kl_coef, minimum=0),
        entropy_coef=number(request, "entropy_coef", d.entropy_coef, minimum=0),
        clip_low=number(request, "clip_low", d.clip_low, minimum=0),
        clip_high=number(request, "clip_high", d.clip_high, minimum=0),
        clip_ratio_c=number(request, "clip_ratio_c", d.clip_ratio_c, above=1),
        grad_clip=number(request, "grad_clip", d.grad_clip, above=0),
        lora_rank=number(request, "lora_rank", d.lora_rank, minimum=0, integer=True),
        lora_alpha=number(request, "lora_alpha", d.lora_alpha, minimum=0),
    )
    betas = request.get("betas", list(d.betas))
    if (not isinstance(betas, list) or len(betas) != 2
            or not all(isinstance(b, (int, float)) and not isinstance(b, bool) and 0 <= b < 1
                       for b in betas)):
        raise RequestError(f"`betas` must be two numbers in [0, 1), got {betas!r}")
    s.betas = (float(betas[0]), float(betas[1]))
    if s.dtype not in DTYPES:
        raise RequestError(f"`dtype` must be one of {list(DTYPES)}, got {s.dtype!r}")
    if s.clip_low >= 1:
        raise RequestError(f"`clip_low` must be below 1, got {s.clip_low}")
    return s
