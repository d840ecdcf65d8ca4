"""proxmo's tracker logger: streams a run's metrics to W&B or MLflow with their own
libraries, driven by one JSON request per line on stdin, one JSON answer per line on stdout
(docs/tracking.md, "W&B and MLflow").

    python -m proxmo_tracker

Requests (each with an `id` the answer echoes):
  {"op": "hello", "backend": "wandb" | "mlflow"}   imports the library
  {"op": "init", "project": P, "run_name": N, "dir": D, "key": K, "config": {...}}
      starts (or, with the same key, continues) a run; config is the resolved pipeline
  {"op": "log", "step": S, "metrics": {...}}                    one batch's numbers
  {"op": "finish"}                                              ends the run
"""

import json
import os
import sys

BACKENDS = {"wandb": "wandb", "mlflow": "mlflow"}
# What to install for each backend (mlflow-skinny holds the client and the file store).
PACKAGES = {"wandb": "wandb", "mlflow": "mlflow-skinny (or mlflow)"}


class RequestError(Exception):
    pass


def flat(config, prefix=""):
    """A nested config as `a.b.c` keys (MLflow's parameters are flat strings)."""
    out = {}
    for k, v in config.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flat(v, key + "."))
        else:
            out[key] = v if isinstance(v, (int, float, str, bool)) else json.dumps(v)
    return out


class Wandb:
    def __init__(self, lib, init):
        # Offline unless the user's environment says otherwise (WANDB_MODE).
        settings = {"dir": init.get("dir") or None}
        self.run = lib.init(project=init["project"], name=init.get("run_name") or None,
                            id=init["key"], resume="allow", config=init.get("config", {}),
                            **{k: v for k, v in settings.items() if v})

    def log(self, step, metrics):
        self.run.log(metrics, step=step)

    def finish(self):
        self.run.finish()


class Mlflow:
    def __init__(self, lib, init):
        if init.get("dir"):
            # A local file store: what works with no server and no database. MLflow 3 keeps
            # it in maintenance mode and asks for this opt-in.
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
            lib.set_tracking_uri("file:" + init["dir"])
        lib.set_experiment(init["project"])
        client = lib.tracking.MlflowClient()
        experiment = client.get_experiment_by_name(init["project"])
        found = client.search_runs([experiment.experiment_id],
                                   filter_string=f"tags.proxmo_key = '{init['key']}'")
        self.lib = lib
        if found:
            self.run = lib.start_run(run_id=found[0].info.run_id)
        else:
            self.run = lib.start_run(run_name=init.get("run_name") or None,
                                     tags={"proxmo_key": init["key"]})
            params = flat(init.get("config", {}))
            # MLflow caps a parameter's value at 6000 characters.
            lib.log_params({k: str(v)[:6000] for k, v in params.items()})

    def log(self, step, metrics):
        self.lib.log_metrics(metrics, step=step)

    def finish(self):
        self.lib.end_run()


class Tracker:
    def __init__(self):
        self.backend = None
        self.lib = None
        self.run = None

    def handle(self, request):
        op = request.get("op")
        if op == "hello":
            backend = request.get("backend")
            if backend not in BACKENDS:
                raise RequestError(f"unknown backend {backend!r}: expected wandb or mlflow")
            try:
                self.lib = __import__(BACKENDS[backend])
            except ImportError as e:
                raise RequestError(f"{backend} is not installed in this Python ({sys.executable}):"
                                   f" pip install {PACKAGES[backend]} ({e})")
            self.backend = backend
            return {"version": getattr(self.lib, "__version__", "unknown")}
        if self.lib is None:
            raise RequestError("send hello first")
        if op == "init":
            make = {"wandb": Wandb, "mlflow": Mlflow}[self.backend]
            self.run = make(self.lib, request)
            return {}
        if self.run is None:
            raise RequestError("send init first")
        if op == "log":
            self.run.log(int(request["step"]), dict(request["metrics"]))
            return {}
        if op == "finish":
            self.run.finish()
            self.run = None
            return {}
        raise RequestError(f"unknown op {op!r}: expected hello, init, log or finish")


def serve(lines, out):
    tracker = Tracker()
    for line in lines:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            answer = {"id": request.get("id"), "ok": True, **tracker.handle(request)}
        except Exception as e:  # every failure is an answer; proxmo decides what it means
            rid = request.get("id") if isinstance(locals().get("request"), dict) else None
            answer = {"id": rid, "ok": False, "error": f"{type(e).__name__}: {e}"}
        out.write(json.dumps(answer) + "\n")
        out.flush()


def main():
    out = sys.stdout
    # Anything a library prints goes to the log, never into the protocol.
    sys.stdout = sys.stderr
    try:
        serve(sys.stdin, out)
    except BrokenPipeError:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit("run the logger as `python -m proxmo_tracker` (after `pip install ./python`)")
