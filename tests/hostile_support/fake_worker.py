"""A stand-in for the model worker (python/proxmo_worker/) that speaks the worker protocol without torch
(docs/worker-protocol.md): it answers every request well-formed, except the one a test
names, which it answers with a fault. It lets tests/hostile_lm_corpus.rs try hundreds of
bad worker replies in seconds.

    FAKE_WORKER_FAULT="OP N FAULT" python3 fake_worker.py

OP (hello, generate, train, save, load) and N (0-based: the N-th request of that op) pick
the request that gets FAULT; without the variable every answer is well-formed. The worker appends
its pid to the file named by $FAKE_WORKER_PIDS, so a test can check it was reaped.
"""

import json
import os
import shutil
import signal
import sys
import time


def write(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def read_config(model):
    """The model's vocabulary size and EOS id, each with a stand-in when the directory's
    config lacks it or is unreadable (the corpus damages it on purpose: proxmo, not this
    stand-in, must refuse such a directory)."""
    try:
        with open(os.path.join(model, "config.json")) as f:
            config = json.load(f)
    except Exception:
        config = {}
    if not isinstance(config, dict):
        config = {}
    vocab = config.get("vocab_size")
    vocab = vocab if isinstance(vocab, int) and vocab > 2 else 1 << 20
    eos = config.get("eos_token_id")
    eos = eos if isinstance(eos, int) and 0 <= eos < vocab else 2
    return vocab, eos


def good_answer(req, state):
    op = req.get("op")
    if op == "hello":
        state["model"] = req["model"]
        state["vocab"], state["eos"] = read_config(req["model"])
        return {"protocol": 1, "architecture": "Qwen2ForCausalLM", "model_type": "qwen2",
                "parameters": 1, "trainable_parameters": 1, "vocab_size": state["vocab"],
                "eos_ids": [state["eos"]], "pad_id": 0, "device": "cpu", "dtype": "float32",
                "reference_model": False, "lora_rank": 0, "load_seconds": 0.0}
    if op == "generate":
        # What the real worker refuses, this one refuses too, so the corpus sees proxmo send
        # nothing the worker would not take.
        for i, prompt in enumerate(req["prompts"]):
            if not prompt or not all(isinstance(t, int) and 0 <= t < state["vocab"] for t in prompt):
                return {"error": f"generate: prompts[{i}]: must be a non-empty list of token ids"}
        n = min(3, req["max_new_tokens"])
        # A few ordinary ids, then EOS: an invalid action, but a well-formed response.
        ids = [(7 + i) % state["vocab"] for i in range(n - 1)] + [state["eos"]]
        responses = [{"ids": ids, "logprobs": [-1.0] * len(ids), "finish": "eos"}
                     for _ in req["prompts"]]
        return {"responses": responses, "tokens": n * len(responses), "seconds": 0.0}
    if op == "train":
        tokens = sum(len(r["response"]) for mb in req["micro_batches"] for r in mb)
        return {"metrics": {"loss": 0.5, "grad_norm": 1.0, "stepped": True, "lr": 1e-6,
                            "tokens": tokens, "tokens_per_s": 1.0, "seconds": 0.0,
                            "entropy": 1.0}}
    if op == "save":
        path = req["path"]
        tmp = path + ".fake-tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(state["model"], tmp)
        if os.path.isdir(path):
            shutil.rmtree(path)
        os.rename(tmp, path)
        return {"path": path, "seconds": 0.0}
    if op == "load":
        return {"path": req["path"]}
    if op == "shutdown":
        return {}
    return None


def faulty(fault, req, answer, state):
    """Writes the faulty answer for `req` (whose good answer is `answer`); returns False when
    the worker should then carry on as if nothing happened."""
    rid = req.get("id")
    good = dict(answer or {}, id=rid, ok=True)
    if fault == "exit1":
        sys.exit(1)
    if fault == "exit0":
        sys.exit(0)
    if fault == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if fault == "stop":
        os.kill(os.getpid(), signal.SIGSTOP)
    if fault == "hang":
        time.sleep(3600)
    if fault == "partial_then_exit":
        sys.stdout.write(json.dumps(good)[:20])
        sys.stdout.flush()
        sys.exit(0)
    if fault == "garbage":
        write("this is not JSON")
    elif fault == "banner_then_answer":
        write("Loading checkpoint shards: 100%")
        write(json.dumps(good))
    elif fault == "not_object":
        write("[1, 2, 3]")
    elif fault == "no_ok":
        write(json.dumps({"id": rid}))
    elif fault == "ok_string":
        write(json.dumps(dict(good, ok="yes")))
    elif fault == "refused":
        write(json.dumps({"id": rid, "ok": False, "error": "fake refusal \u202e\x1b[31m"}))
    elif fault == "refused_without_error":
        write(json.dumps({"id": rid, "ok": False}))
    elif fault == "wrong_id":
        write(json.dumps(dict(good, id=(rid or 0) + 100)))
    elif fault == "no_id":
        good.pop("id")
        write(json.dumps(good))
    elif fault == "twice":
        write(json.dumps(good))
        write(json.dumps(good))
    elif fault == "nan_literal":
        write(json.dumps(dict(good, extra=float("nan"))))
    elif fault == "non_utf8":
        sys.stdout.buffer.write(b'{"id": %d, "ok": true, "x": "\xff\xfe"}\n' % (rid or 0))
        sys.stdout.flush()
    elif fault == "huge_line":
        write(json.dumps(dict(good, padding="x" * (64 << 20))))
    elif fault == "deep":
        write('{"id": %d, "ok": true, "x": %s%s}' % (rid or 0, "[" * 100000, "]" * 100000))
    elif fault == "stderr_flood":
        sys.stderr.write(("progress \r" * 100000) + "\n")
        sys.stderr.flush()
        write(json.dumps(good))
    elif fault in ("oov_id", "too_long", "empty_response", "positive_logprob"):
        for r in good["responses"]:
            r["ids"] = {"oov_id": [state["vocab"] + 5, state["eos"]],
                        "too_long": [7] * (req["max_new_tokens"] + 5) + [state["eos"]],
                        "empty_response": [],
                        "positive_logprob": r["ids"]}[fault]
            r["logprobs"] = [3.0 if fault == "positive_logprob" else -1.0] * len(r["ids"])
        write(json.dumps(good))
    elif fault == "empty_object":
        write(json.dumps({"id": rid, "ok": True}))
    elif fault.startswith("field:"):
        # field:NAME=JSON sets (or with JSON `delete`, removes) one field of the answer,
        # or of every response / the metrics for generate / train.
        name, value = fault[len("field:"):].split("=", 1)
        target = good
        if req.get("op") == "generate" and name.startswith("responses."):
            name = name[len("responses."):]
            for r in good["responses"]:
                set_field(r, name, value)
        elif req.get("op") == "train" and name.startswith("metrics."):
            set_field(good["metrics"], name[len("metrics."):], value)
        else:
            set_field(target, name, value)
        write(json.dumps(good))
    else:
        raise SystemExit(f"fake_worker: unknown fault {fault!r}")
    return True


def set_field(obj, name, value):
    if value == "delete":
        obj.pop(name, None)
    else:
        obj[name] = json.loads(value)


def main():
    pids = os.environ.get("FAKE_WORKER_PIDS")
    if pids:
        with open(pids, "a") as f:
            f.write(f"{os.getpid()}\n")
    fault_op, fault_n, fault = None, -1, None
    if os.environ.get("FAKE_WORKER_FAULT"):
        fault_op, n, fault = os.environ["FAKE_WORKER_FAULT"].split(" ", 2)
        fault_n = int(n)
    seen = {}
    state = {}
    for line in sys.stdin:
        req = json.loads(line)
        op = req.get("op")
        index = seen.get(op, 0)
        seen[op] = index + 1
        answer = good_answer(req, state)
        if op == fault_op and index == fault_n:
            faulty(fault, req, answer, state)
        else:
            ok = answer is not None and "error" not in answer
            write(json.dumps(dict(answer or {"error": f"unknown op {op!r}"}, id=req.get("id"), ok=ok)))
        if op == "shutdown":
            return


if __name__ == "__main__":
    main()
