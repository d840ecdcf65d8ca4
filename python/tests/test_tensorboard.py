"""`sink.tensorboard` read back by TensorBoard's own reader (EventAccumulator): one scalar per
metric per batch, equal to the metrics file's, the resolved pipeline as text, and a resumed
run's events equal to an uninterrupted run's."""

import json
import os
import subprocess

import pytest

from conftest import require_or_skip


@pytest.fixture(scope="module")
def accumulator():
    try:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    except ImportError:
        require_or_skip("tensorboard is not installed: pip install tensorboard")
    return EventAccumulator


def pipe(tmp, name, iterations, checkpoint=None, evaluate=False):
    """A WebShop pipeline that trains policy.linear and logs to TensorBoard and JSON lines."""
    text = (
        'stage env = env.webshop { split = "train", goal_mode = "synthetic" }\n'
        "stage rollout = rollout.group { tasks = 4, policy = policy.linear { } }\n"
        "stage credit = advantage.proxmo { }\n"
        "stage learn = update.pg { lr = 5.0 }\n"
        f"stage tb = sink.tensorboard {{ dir = {json.dumps(os.path.join(tmp, name))} }}\n"
        f"stage metrics = sink.metrics {{ path = {json.dumps(os.path.join(tmp, name + '.jsonl'))} }}\n"
        "pipeline p {\n"
        "    env -> rollout -> credit -> learn -> tb -> metrics\n"
        f"    seed = 5\n    iterations = {iterations}\n"
        + (f"    checkpoint = {json.dumps(checkpoint)}\n" if checkpoint else "")
        + (f'    eval_before = true\n    eval_every = {iterations}\n    eval_split = "test"\n'
           if evaluate else "")
        + "}\n"
    )
    path = os.path.join(tmp, name + ".pipe")
    with open(path, "w") as f:
        f.write(text)
    return path


def run(binary, *args):
    done = subprocess.run([binary, "run", *args, "--quiet"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def scalars(accumulator, logdir):
    ea = accumulator(logdir)
    ea.Reload()
    return ea, {tag: [(e.step, e.value) for e in ea.Scalars(tag)] for tag in ea.Tags()["scalars"]}


def test_scalars_match_the_metrics_file_batch_by_batch(binary, accumulator, tmp_path):
    tmp = str(tmp_path)
    run(binary, pipe(tmp, "a", 3, evaluate=True))
    ea, tags = scalars(accumulator, os.path.join(tmp, "a"))
    lines = [json.loads(l) for l in open(os.path.join(tmp, "a.jsonl"))]
    # The evaluation before training (step 0), then three batches, the last evaluated.
    assert len(lines) == 4
    assert [s for s, _ in tags["eval_score"]] == [0, 3]
    assert [v for _, v in tags["eval_score"]] == pytest.approx(
        [lines[0]["eval_score"], lines[3]["eval_score"]], rel=1e-6)
    lines = lines[1:]
    for key in ("success_rate", "advantage_mean", "score", "mean_steps"):
        assert [s for s, _ in tags[key]] == [1, 2, 3], key
        expected = [line[key] for line in lines]
        assert [v for _, v in tags[key]] == pytest.approx(expected, rel=1e-6, abs=1e-6), key
    # The pipeline, resolved, is the run's text.
    assert "pipeline" in ea.Tags()["tensors"]
    (event,) = ea.Tensors("pipeline")
    text = event.tensor_proto.string_val[0].decode()
    assert "sink.tensorboard" in text and '"iterations"' in text


def test_a_resumed_run_logs_what_an_uninterrupted_one_does(binary, accumulator, tmp_path):
    tmp = str(tmp_path)
    run(binary, pipe(tmp, "whole", 3))
    ck = os.path.join(tmp, "ck")
    first = pipe(tmp, "parts", 2, checkpoint=ck)
    run(binary, first)
    run(binary, pipe(tmp, "parts", 3, checkpoint=ck), "--resume")
    _, whole = scalars(accumulator, os.path.join(tmp, "whole"))
    _, parts = scalars(accumulator, os.path.join(tmp, "parts"))
    timing = {"env_steps_per_second", "advantage_ms"}
    keep = lambda tags: {k: v for k, v in tags.items() if k not in timing}
    assert keep(parts) == keep(whole)
    assert [s for s, _ in parts["success_rate"]] == [1, 2, 3]
