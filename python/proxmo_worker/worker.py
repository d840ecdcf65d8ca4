"""proxmo's model worker: a PyTorch process holding a language model, driven by one JSON
request per line on stdin and answering one JSON line per request on stdout (logs go to
stderr). The protocol is docs/worker-protocol.md.

    python -m proxmo_worker

Requests: hello, generate, logprobs, train, save, load, shutdown. A bad request gets
{"ok": false, "error": ...} and the worker carries on; it exits on end of input or shutdown.
"""

import json
import os
import sys
import time

PROTOCOL = 1


class Worker:
    def __init__(self):
        self.policy = None

    def handle(self, request):
        from .settings import RequestError

        op = request.get("op")
        handler = {
            "hello": self.hello, "generate": self.generate, "logprobs": self.logprobs,
            "train": self.train, "save": self.save, "load": self.load,
        }.get(op)
        if handler is None:
            raise RequestError(f"unknown op {op!r}: expected hello, generate, logprobs, "
                               "train, save, load or shutdown")
        if op != "hello" and self.policy is None:
            raise RequestError("no model yet, send hello first")
        return handler(request)

    def hello(self, request):
        from .policy import Policy
        from .settings import from_hello

        settings = from_hello(request)
        t0 = time.perf_counter()
        self.policy = None  # a second hello replaces the model
        self.policy = Policy(settings)
        facts = self.policy.facts()
        facts.update(protocol=PROTOCOL, load_seconds=time.perf_counter() - t0)
        return facts

    def generate(self, request):
        import torch
        from .generation import generate
        from .requests import list_of, token_ids
        from .settings import RequestError, number

        p = self.policy
        vocab = p.model.config.vocab_size
        prompts = [token_ids(x, f"prompts[{i}]", vocab)
                   for i, x in enumerate(list_of(request, "prompts"))]
        temperature = number(request, "temperature", 1.0, minimum=0)
        top_p = number(request, "top_p", 1.0, above=0)
        if top_p > 1:
            raise RequestError(f"`top_p` must be in (0, 1], got {top_p}")
        max_new = number(request, "max_new_tokens", 256, minimum=1, integer=True)
        generator = p.generator
        if "seed" in request:
            seed = number(request, "seed", 0, minimum=0, integer=True)
            generator = torch.Generator(device=p.device).manual_seed(seed)
        t0 = time.perf_counter()
        out = generate(p.model, prompts, eos_ids=p.eos_ids, pad_id=p.pad_id, device=p.device,
                       temperature=temperature, top_p=top_p, max_new_tokens=max_new,
                       generator=generator)
        seconds = time.perf_counter() - t0
        tokens = sum(len(o["ids"]) for o in out)
        return {"responses": out, "tokens": tokens, "seconds": seconds}

    def logprobs(self, request):
        from .requests import list_of, pair

        p = self.policy
        vocab = p.model.config.vocab_size
        pairs = [pair(x, f"sequences[{i}]", vocab)
                 for i, x in enumerate(list_of(request, "sequences"))]
        return {"logprobs": p.logprobs(pairs)}

    def train(self, request):
        from .requests import train_rows
        from .settings import RequestError
        from .train import train_step

        loss_kind = request.get("loss", "ppo")
        if loss_kind not in ("ppo", "sft"):
            raise RequestError(f"`loss` must be \"ppo\" or \"sft\", got {loss_kind!r}")
        rows = train_rows(request, loss_kind, self.policy.model.config.vocab_size)
        return {"metrics": train_step(self.policy, loss_kind, rows)}

    def save(self, request):
        from . import checkpoint
        from .settings import text

        t0 = time.perf_counter()
        path = checkpoint.save(self.policy, text(request, "path", None))
        return {"path": path, "seconds": time.perf_counter() - t0}

    def load(self, request):
        from . import checkpoint
        from .settings import text

        path = checkpoint.load(self.policy, text(request, "path", None))
        return {"path": path}


def answer_line(request_id, body):
    """The JSON answer; non-finite numbers (a diverged loss) are sent as null."""
    if request_id is not None:
        body["id"] = request_id
    try:
        return json.dumps(body, allow_nan=False)
    except ValueError:
        return json.dumps(nan_to_null(body), allow_nan=False)


def nan_to_null(x):
    if isinstance(x, float) and (x != x or x in (float("inf"), float("-inf"))):
        return None
    if isinstance(x, dict):
        return {k: nan_to_null(v) for k, v in x.items()}
    if isinstance(x, list):
        return [nan_to_null(v) for v in x]
    return x


def serve(lines, out, log):
    worker = Worker()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        request_id = None
        try:
            request = json.loads(line)
        except json.JSONDecodeError as e:
            body = {"ok": False, "error": f"request line {n}: not JSON: {e}"}
        else:
            if not isinstance(request, dict):
                body = {"ok": False, "error": f"request line {n}: not a JSON object"}
            elif request.get("op") == "shutdown":
                out.write(answer_line(request.get("id"), {"ok": True}) + "\n")
                out.flush()
                return
            else:
                request_id = request.get("id")
                try:
                    body = {"ok": True, **worker.handle(request)}
                except Exception as e:  # the worker outlives any single request
                    kind = type(e).__name__
                    message = str(e) if kind in ("RequestError",) else f"{kind}: {e}"
                    body = {"ok": False, "error": f"{request.get('op')}: {message}"}
                    print(f"request line {n}: {body['error']}", file=log)
        out.write(answer_line(request_id, body) + "\n")
        out.flush()


def broadcast_lines(stdin):
    """Under torchrun: rank 0's request lines, on every rank (None marks the end)."""
    from . import distributed

    distributed.init("cpu")
    if distributed.rank() == 0:
        for line in stdin:
            distributed.broadcast(line)
            yield line
        distributed.broadcast(None)
    else:
        while (line := distributed.broadcast(None)) is not None:
            yield line


def main():
    out = sys.stdout
    # Anything a library prints goes to the log, never into the protocol.
    sys.stdout = sys.stderr
    lines = sys.stdin
    sharded = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if sharded:
        lines = broadcast_lines(sys.stdin)
        if int(os.environ.get("RANK", "0")) != 0:
            out = open(os.devnull, "w")
    try:
        serve(lines, out, sys.stderr)
    except BrokenPipeError:
        return 1
    if sharded:
        # Not in a `finally`: after an exception or a broken pipe a rank must just exit
        # non-zero. This does not return; see exit_after_serving for why.
        from . import distributed

        distributed.exit_after_serving()
    return 0


if __name__ == "__main__":
    sys.exit("run the worker as `python -m proxmo_worker` (after `pip install ./python`)")
