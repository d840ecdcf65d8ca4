"""The model side of proxmo's language-model agents: loss maths, model I/O, generation and
training steps used by `python/proxmo_worker.py` (protocol: docs/worker-protocol.md)."""
