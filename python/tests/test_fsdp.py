"""The worker under torchrun with 2 CPU processes (FSDP2 on gloo) against one process: the
same PPO step (3 micro-batches over 2 ranks, so one rank runs a zero-weight pad), the same
log-probs, the same seeded samples, and a sharded save that a single process loads."""

import json
import os
import signal
import subprocess
import sys

import pytest

from conftest import PYTHON_DIR, require

import proxmo_worker  # noqa: E402


def requests(model, path):
    rows = [
        [{"prompt": [1, 5, 6], "response": [9, 10], "old_logprobs": [-7.4, -7.4],
          "advantage": 1.0}],
        [{"prompt": [4], "response": [9], "old_logprobs": [-7.3], "advantage": -1.0}],
        [{"prompt": [4, 7, 8, 9], "response": [19, 20, 21], "old_logprobs": [-7.3, -7.1, -7.2],
          "advantage": 0.5}],
    ]
    probe = {"op": "logprobs", "sequences": [{"prompt": [1, 5, 6], "response": [9, 10]},
                                             {"prompt": [3], "response": [7, 8, 9]}]}
    return [
        {"op": "hello", "model": model, "lr": 1e-3, "kl_coef": 0.01},
        {"op": "train", "micro_batches": rows},
        {"op": "train", "micro_batches": rows},  # the second step has a KL to the reference
        probe,
        {"op": "generate", "prompts": [[5, 6, 7], [9]], "max_new_tokens": 5, "seed": 3},
        {"op": "save", "path": path},
        {"op": "load", "path": path},
        probe,
    ]


def test_two_gloo_processes_give_the_single_process_results(tiny_model, tmp_path):
    torch = require("torch")
    if not torch.distributed.is_available() or not torch.distributed.is_gloo_available():
        pytest.skip("this torch has no gloo backend")
    sharded_path = str(tmp_path / "sharded")
    lines = "".join(json.dumps(r) + "\n" for r in requests(tiny_model, sharded_path))
    # Its own process group, so a hung run is ended with every rank.
    proc = subprocess.Popen(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         os.path.join(PYTHON_DIR, "proxmo_worker.py")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    try:
        stdout, stderr = proc.communicate(lines, timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("torchrun with 2 processes did not finish in 300 s")
    assert proc.returncode == 0, stderr[-3000:]
    sharded = [json.loads(line) for line in stdout.splitlines()]
    assert all(a["ok"] for a in sharded), sharded
    assert sharded[0]["world_size"] == 2

    w = proxmo_worker.Worker()
    single = [w.handle(r) for r in requests(tiny_model, str(tmp_path / "single"))]
    for step in (1, 2):
        a, b = sharded[step]["metrics"], single[step]["metrics"]
        assert a["tokens"] == b["tokens"] == 6
        for key in ("loss", "pg_loss", "kl_ref", "entropy", "ppo_kl"):
            assert a[key] == pytest.approx(b[key], rel=1e-4, abs=1e-6), key
        assert a["grad_norm"] == pytest.approx(b["grad_norm"], rel=1e-4)
    assert sharded[2]["metrics"]["kl_ref"] > 0
    for got, want in zip(sharded[3]["logprobs"], single[3]["logprobs"]):
        assert got == pytest.approx(want, abs=1e-5)
    assert [r["ids"] for r in sharded[4]["responses"]] == \
        [r["ids"] for r in single[4]["responses"]]
    assert sharded[7]["logprobs"] == sharded[3]["logprobs"]
    # The sharded save is a whole model one process loads to the same log-probs.
    w.handle({"op": "load", "path": sharded_path})
    reloaded = w.handle(requests(tiny_model, sharded_path)[3])["logprobs"]
    for got, want in zip(reloaded, sharded[3]["logprobs"]):
        assert got == pytest.approx(want, abs=1e-6)
