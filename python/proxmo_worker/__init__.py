"""proxmo's model worker: the PyTorch process that holds a language model for proxmo's
`policy.lm` (started as `python -m proxmo_worker`; protocol: docs/worker-protocol.md), with
its loss maths, model I/O, generation and training steps, and `build_model`, which writes
the random-initialised models of the presets."""

from .worker import Worker, serve

__all__ = ["Worker", "serve"]
