"""proxmo `policy.command` adapter for a model behind an OpenAI-compatible chat API (vLLM's
`vllm serve MODEL`, SGLang, llama.cpp's server, or a hosted API). Standard library only.

    stage rollout = rollout.group {
        policy = policy.command { command = "python3 python/examples/openai_policy.py" }
    }

Settings come from the environment: PROXMO_OPENAI_BASE (default http://localhost:8000/v1),
PROXMO_OPENAI_MODEL (default: the server's first model), PROXMO_OPENAI_KEY, and
PROXMO_TEMPERATURE (1.0; the paper evaluates at 0.4), PROXMO_MAX_TOKENS (512),
PROXMO_PARALLEL (32 requests in flight). Each prompt is sent as one user message, as the
paper's agent wrapper does.

Not run in proxmo's tests: no model server is reachable where they run. The protocol it
speaks is the one tests/llm_policy.rs checks with python/examples/scripted_policy.py.
"""

import json
import os
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor

BASE = os.environ.get("PROXMO_OPENAI_BASE", "http://localhost:8000/v1").rstrip("/")
KEY = os.environ.get("PROXMO_OPENAI_KEY", "EMPTY")
TEMPERATURE = float(os.environ.get("PROXMO_TEMPERATURE", "1.0"))
MAX_TOKENS = int(os.environ.get("PROXMO_MAX_TOKENS", "512"))
PARALLEL = int(os.environ.get("PROXMO_PARALLEL", "32"))


def http(path, body=None):
    request = urllib.request.Request(
        BASE + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + KEY},
    )
    with urllib.request.urlopen(request, timeout=600) as reply:
        return json.load(reply)


def model_name():
    return os.environ.get("PROXMO_OPENAI_MODEL") or http("/models")["data"][0]["id"]


def complete(model, prompt):
    reply = http("/chat/completions", {
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "temperature": TEMPERATURE,
        "max_tokens": MAX_TOKENS,
    })
    return reply["choices"][0]["message"]["content"] or ""


def main():
    model = None
    with ThreadPoolExecutor(PARALLEL) as pool:
        for line in sys.stdin:
            if not line.strip():
                continue
            request = json.loads(line)
            rid = request.get("id")
            try:
                if request.get("op") == "hello":
                    model = model or model_name()
                    reply = {"id": rid, "ok": True, "protocol": 1, "model": model}
                elif request.get("op") == "generate":
                    model = model or model_name()
                    prompts = request["prompts"]
                    reply = {"id": rid, "ok": True,
                             "responses": list(pool.map(lambda p: complete(model, p), prompts))}
                else:
                    reply = {"id": rid, "ok": False,
                             "error": {"type": "bad_request", "message": "unknown op %r" % request.get("op")}}
            except Exception as e:  # The message reaches proxmo's error.
                reply = {"id": rid, "ok": False, "error": {"type": type(e).__name__, "message": str(e)}}
            print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
