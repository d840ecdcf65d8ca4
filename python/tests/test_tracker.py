"""`sink.tracker` read back with each tracker's own reader: MLflow's client (a local file
store) and W&B's offline run file (parsed with W&B's protobuf records); a resumed run
continues the same tracker run; a missing library stops the run before its first batch
naming the package; a logger that dies mid-run is warned about and training goes on."""

import json
import os
import struct
import subprocess
import sys

import pytest

from conftest import require_or_skip

# The installed logger module, as a pipeline names it by default.
LOGGER = "proxmo_tracker"


def library(name):
    try:
        return __import__(name)
    except ImportError:
        require_or_skip(f"{name} is not installed: pip install {name}")


def pipe(tmp, name, tracker, iterations=3, checkpoint=None):
    text = (
        'stage env = env.webshop { split = "train", goal_mode = "synthetic" }\n'
        "stage rollout = rollout.group { tasks = 4, policy = policy.linear { } }\n"
        "stage credit = advantage.proxmo { }\n"
        "stage learn = update.pg { lr = 5.0 }\n"
        f"stage track = sink.tracker {{ {tracker}, python = {json.dumps(sys.executable)}, "
        f"logger = {json.dumps(LOGGER)} }}\n"
        f"stage metrics = sink.metrics {{ path = {json.dumps(os.path.join(tmp, name + '.jsonl'))} }}\n"
        "pipeline p {\n    env -> rollout -> credit -> learn -> track -> metrics\n"
        f"    seed = 5\n    iterations = {iterations}\n"
        + (f"    checkpoint = {json.dumps(checkpoint)}\n" if checkpoint else "")
        + "}\n"
    )
    path = os.path.join(tmp, name + ".pipe")
    with open(path, "w") as f:
        f.write(text)
    return path


def run(binary, *args, env=None):
    return subprocess.run([binary, "run", *args, "--quiet"], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600)


def metrics(tmp, name):
    return [json.loads(l) for l in open(os.path.join(tmp, name + ".jsonl"))]


def mlflow_history(store, key):
    mlflow = library("mlflow")
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    client = mlflow.tracking.MlflowClient(tracking_uri="file:" + store)
    (experiment,) = [e for e in client.search_experiments() if e.name == "t"]
    runs = client.search_runs([experiment.experiment_id])
    return runs, [(m.step, m.value) for m in
                  sorted(client.get_metric_history(runs[0].info.run_id, key), key=lambda m: m.step)]


def test_mlflow_gets_every_batch_and_the_pipeline(binary, tmp_path):
    library("mlflow")
    tmp, store = str(tmp_path), str(tmp_path / "mlruns")
    done = run(binary, pipe(tmp, "m", f'backend = "mlflow", project = "t", dir = {json.dumps(store)}'))
    assert done.returncode == 0, done.stderr
    runs, history = mlflow_history(store, "success_rate")
    assert len(runs) == 1
    assert history == [(i + 1, pytest.approx(line["success_rate"]))
                       for i, line in enumerate(metrics(tmp, "m"))]
    params = runs[0].data.params
    assert params["settings.iterations"] == "3"
    assert any(k.startswith("stages") for k in params), sorted(params)[:5]


def test_a_resumed_run_continues_its_mlflow_run(binary, tmp_path):
    library("mlflow")
    tmp, store = str(tmp_path), str(tmp_path / "mlruns")
    tracker = f'backend = "mlflow", project = "t", dir = {json.dumps(store)}'
    ck = os.path.join(tmp, "ck")
    assert run(binary, pipe(tmp, "r", tracker, 2, ck)).returncode == 0
    done = run(binary, pipe(tmp, "r", tracker, 3, ck), "--resume")
    assert done.returncode == 0, done.stderr
    runs, history = mlflow_history(store, "success_rate")
    assert len(runs) == 1
    assert [s for s, _ in history] == [1, 2, 3]


def wandb_history(run_dir):
    """The history rows of a W&B offline run file: a LevelDB-style log (a 7-byte header,
    32 KiB blocks of chunks with 7-byte headers) of W&B's protobuf `Record`s."""
    from wandb.proto import wandb_internal_pb2 as pb

    (name,) = [f for f in os.listdir(run_dir) if f.endswith(".wandb")]
    data = open(os.path.join(run_dir, name), "rb").read()
    assert data[:4] == b":W&B"
    block, pos, pending, rows, config = 32768, 7, b"", [], None
    while pos + 7 <= len(data):
        if block - pos % block < 7:
            pos += block - pos % block
            continue
        _, length, kind = struct.unpack("<IHB", data[pos:pos + 7])
        pos += 7
        chunk, pos = data[pos:pos + length], pos + length
        if kind in (1, 2):
            pending = chunk
        elif kind in (3, 4):
            pending += chunk
        if kind in (1, 4):
            record = pb.Record()
            record.ParseFromString(pending)
            which = record.WhichOneof("record_type")
            if which == "history":
                rows.append({(i.key or "/".join(i.nested_key)): json.loads(i.value_json)
                             for i in record.history.item})
            elif which == "run":
                config = {(u.key or "/".join(u.nested_key)) for u in record.run.config.update}
    return rows, config


def test_wandb_offline_gets_every_batch_and_the_pipeline(binary, tmp_path):
    library("wandb")
    tmp, where = str(tmp_path), str(tmp_path / "wb")
    done = run(binary, pipe(tmp, "w", f'backend = "wandb", project = "t", dir = {json.dumps(where)}'),
               env={"WANDB_MODE": "offline", "WANDB_SILENT": "true"})
    assert done.returncode == 0, done.stderr
    (run_dir,) = [os.path.join(where, "wandb", d) for d in os.listdir(os.path.join(where, "wandb"))
                  if d.startswith("offline-run-")]
    rows, config = wandb_history(run_dir)
    lines = metrics(tmp, "w")
    assert [r["_step"] for r in rows] == [1, 2, 3]
    assert [r["success_rate"] for r in rows] == pytest.approx([l["success_rate"] for l in lines])
    assert {"stages", "settings"} <= config


def test_a_missing_library_stops_the_run_before_its_first_batch(binary, tmp_path):
    tmp = str(tmp_path)
    # A Python that cannot import the backend: the module name is hidden from it.
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "mlflow.py").write_text("raise ImportError('hidden by the test')\n")
    done = run(binary, pipe(tmp, "x", 'backend = "mlflow", project = "t"'),
               env={"PYTHONPATH": str(blocker)})
    assert done.returncode != 0
    assert "pip install mlflow" in done.stderr, done.stderr
    assert not os.path.exists(os.path.join(tmp, "x.jsonl")) or metrics(tmp, "x") == []


def test_a_logger_that_dies_mid_run_is_warned_about_and_training_goes_on(binary, tmp_path):
    tmp = str(tmp_path)
    dying = tmp_path / "dying_logger.py"
    dying.write_text(
        "import json, sys\n"
        "for n, line in enumerate(sys.stdin):\n"
        "    r = json.loads(line)\n"
        "    if r['op'] == 'log' and r['step'] == 2:\n"
        "        sys.exit(3)\n"
        "    print(json.dumps({'id': r['id'], 'ok': True}), flush=True)\n")
    text = open(pipe(tmp, "d", 'backend = "mlflow", project = "t"')).read()
    text = text.replace(json.dumps(LOGGER), json.dumps(str(dying)))
    path = tmp_path / "d.pipe"
    path.write_text(text)
    done = run(binary, str(path))
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("stopped logging") == 1, done.stderr
    assert len(metrics(tmp, "d")) == 3
