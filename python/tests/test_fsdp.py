"""The worker under torchrun with 2 CPU processes (FSDP2 on gloo) against one process: the
same PPO step (3 micro-batches over 2 ranks, so one rank runs a zero-weight pad), the same
log-probs, the same seeded samples, and a sharded save that a single process loads. And a rank
killed mid-run fails the run, without a hang."""

import json
import os
import signal
import subprocess
import sys
import threading

import pytest

from conftest import require

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


def require_gloo():
    torch = require("torch")
    if not torch.distributed.is_available() or not torch.distributed.is_gloo_available():
        pytest.skip("this torch has no gloo backend")


def torchrun(stderr=subprocess.PIPE):
    """The worker under torchrun with 2 processes, in its own session (see kill_all)."""
    return subprocess.Popen(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         "-m", "proxmo_worker"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True,
        start_new_session=True)


def rank_pids(torchrun_pid):
    """{rank: pid} of torchrun's worker processes: its children, found in /proc."""
    pids = {}
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid != torchrun_pid:
                continue
            with open(f"/proc/{entry}/environ", "rb") as f:
                env = dict(v.split(b"=", 1) for v in f.read().split(b"\0") if b"=" in v)
        except (OSError, ValueError, IndexError):
            continue
        if b"RANK" in env:
            pids[int(env[b"RANK"])] = int(entry)
    return pids


def kill_all(proc):
    """Ends a hung run: torchrun starts each rank in a session of its own, so killing
    torchrun's process group does not reach them; they are killed one by one first."""
    for pid in rank_pids(proc.pid).values():
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def test_two_gloo_processes_give_the_single_process_results(tiny_model, tmp_path):
    require_gloo()
    sharded_path = str(tmp_path / "sharded")
    lines = "".join(json.dumps(r) + "\n" for r in requests(tiny_model, sharded_path))
    proc = torchrun()
    try:
        stdout, stderr = proc.communicate(lines, timeout=300)
    except subprocess.TimeoutExpired:
        kill_all(proc)
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


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="finds the ranks in /proc")
def test_a_killed_rank_fails_the_run_and_nothing_hangs(tiny_model, tmp_path):
    """A rank that dies for real (SIGKILL, as the OOM killer does) is not hidden by the clean
    end at exit: torchrun exits non-zero, soon. Right after the kill the input ends, so rank 0
    goes on to its end (broadcasting the end of input, then the exit barrier) with its peer
    gone, unless torchrun has already stopped it."""
    require_gloo()
    with open(tmp_path / "stderr", "w+") as log:
        proc = torchrun(stderr=log)
        # Bounds the whole test, a hung `hello` included (readline then returns "").
        fired = []
        watchdog = threading.Timer(300, lambda: (fired.append(1), kill_all(proc)))
        watchdog.start()
        try:
            proc.stdin.write(json.dumps({"op": "hello", "model": tiny_model}) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            assert line, "no answer to hello"
            assert json.loads(line)["world_size"] == 2, line
            pids = rank_pids(proc.pid)
            assert sorted(pids) == [0, 1], pids
            os.kill(pids[1], signal.SIGKILL)
            proc.stdin.close()
            try:
                returncode = proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                kill_all(proc)
                proc.wait()
                pytest.fail("torchrun still running 120 s after a rank was killed")
        finally:
            watchdog.cancel()
        assert not fired, "the run hung: killed after 300 s"
        log.seek(0)
        stderr = log.read()
    assert returncode != 0, stderr[-3000:]
    assert "SIGKILL" in stderr, stderr[-3000:]  # torchrun names the rank that was killed


GONE_BEFORE_THE_END = """
import os
import torch.distributed
from proxmo_worker import distributed
torch.distributed.init_process_group("gloo")
distributed.broadcast("the last request")
if distributed.rank() == 1:
    os._exit(0)  # gone, and with a clean exit code, so torchrun does not stop rank 0
distributed.exit_after_serving()
"""


def test_the_exit_barrier_fails_when_a_rank_is_gone(tmp_path):
    """The worker's clean end (proxmo_worker.distributed.exit_after_serving) with the other rank
    already gone fails at once: an error and a non-zero exit, not a wait for the rank."""
    require_gloo()
    script = tmp_path / "gone.py"
    script.write_text(GONE_BEFORE_THE_END)
    proc = subprocess.Popen(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         str(script)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, stderr = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        kill_all(proc)
        proc.communicate()
        pytest.fail("rank 0 still waiting 120 s after rank 1 left")
    assert proc.returncode != 0, stderr[-3000:]
    assert "[rank0]: RuntimeError" in stderr, stderr[-3000:]
