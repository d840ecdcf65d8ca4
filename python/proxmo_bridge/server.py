"""proxmo bridge adapter: serves real Python text environments to proxmo over JSON lines.

proxmo (Rust) starts this adapter (``python3 -m proxmo_bridge``) as a child process and talks
to it over stdin/stdout, one JSON object per line in each direction. The full protocol is
documented in ``src/env/bridge/protocol.rs``; in short:

    -> {"id": 1, "op": "hello"}
    <- {"id": 1, "ok": true, "protocol": 1, "kinds": [...], "python": "3.11.7"}
    -> {"id": 2, "op": "create", "env": 0, "kind": "textworld", "config": {...}}
    <- {"id": 2, "ok": true, "env": 0, "kind": "textworld", "n_tasks": 2, "tasks": [...]}
    -> {"id": 3, "op": "reset", "env": 0, "task": 1}          (index, or a game file / task id)
    <- {"id": 3, "ok": true, "env": 0, "task": "...", "observation": "...", "reward": 0.0,
        "done": false, "won": false, "score": 0.0, "admissible": [...], "expert": [...]}
    -> {"id": 4, "op": "step", "env": 0, "action": "open door"}
    <- {"id": 4, "ok": true, ... same fields as reset ...}
    -> {"id": 5, "op": "close", "env": 0}
    <- {"id": 5, "ok": true, "env": 0}

Errors never end the process: a bad request gets
``{"id": N, "ok": false, "error": {"type": "...", "message": "..."}}``.
There is no auto-reset: stepping a finished episode is an error until the next reset.

Kinds:

* ``textworld``: TextWorld games (PyPI ``textworld``). Config ``{"games": [paths]}`` and/or
  ``{"generate": {"count", "seed", "world_size", "nb_objects", "quest_length", "dir"}}``, which
  makes games offline with the TextWorld generator (the same as ``tw-make custom``).
* ``alfworld``: real ALFWorld (PyPI ``alfworld`` and ``textworld[pddl]``, data from
  ``alfworld-download``). Config ``{"data": DIR or $ALFWORLD_DATA, "split": "valid_unseen",
  "task_types": [1..6], "expert": false}``; ``expert: true`` adds ALFWorld's hand-coded expert
  plan as ``expert``.
* ``webshop``: the user's WebShop checkout (``{"path": DIR, "split": "test",
  "num_products": null, "human_goals": false}``), played through ``WebAgentTextEnv``.
* ``debug``: a tiny built-in environment for protocol tests (no third-party imports).

Only the standard library is imported at start-up; each kind imports its packages lazily, and a
missing package becomes a protocol error that says what to install.
"""

import json
import os
import sys
import time
import traceback

from .alfworld import AlfWorldInstance
from .common import BridgeError, _require, bad_request
from .debug import DebugInstance
from .textworld import TextWorldInstance
from .webshop import WebShopInstance

PROTOCOL_VERSION = 1


KINDS = {
    "textworld": TextWorldInstance,
    "alfworld": AlfWorldInstance,
    "webshop": WebShopInstance,
    "debug": DebugInstance,
}


class Server:
    def __init__(self):
        self.envs = {}

    def env(self, request, what):
        env_id = _require(request, "env", int, what)
        if env_id not in self.envs:
            raise BridgeError("unknown_env", "%s: unknown env id %d (create it first)"
                              % (what, env_id))
        return env_id, self.envs[env_id]

    def handle(self, request):
        op = _require(request, "op", str, "request")
        if op == "hello":
            return {"protocol": PROTOCOL_VERSION, "kinds": sorted(KINDS),
                    "python": sys.version.split()[0], "pid": os.getpid()}
        if op == "create":
            env_id = _require(request, "env", int, "create")
            kind = _require(request, "kind", str, "create")
            config = request.get("config", {})
            if config is None:
                config = {}
            if not isinstance(config, dict):
                raise bad_request("create: config must be an object")
            if kind not in KINDS:
                raise BridgeError("unknown_kind", "create: unknown kind %r (known: %s)"
                                  % (kind, ", ".join(sorted(KINDS))))
            if env_id in self.envs:
                raise BridgeError("env_exists", "create: env id %d already exists" % env_id)
            inst = KINDS[kind](config)
            tasks = config.get("tasks")
            if tasks:
                if not isinstance(tasks, list) or not all(
                        isinstance(t, (str, int)) and not isinstance(t, bool) for t in tasks):
                    raise bad_request("create: config.tasks must be a list of task ids")
                inst.tasks = list(tasks)
            self.envs[env_id] = inst
            out = {"env": env_id, "kind": kind}
            out.update(inst.describe())
            return out
        if op == "reset":
            env_id, inst = self.env(request, "reset")
            if "task" not in request:
                raise bad_request("reset: missing field 'task' (an index or a task id)")
            out = inst.reset(request["task"])
            out["env"] = env_id
            return out
        if op == "step":
            env_id, inst = self.env(request, "step")
            action = _require(request, "action", str, "step")
            out = inst.step(action)
            out["env"] = env_id
            return out
        if op == "close":
            env_id, inst = self.env(request, "close")
            del self.envs[env_id]
            inst.close()
            return {"env": env_id}
        if op == "sleep":  # for tests of the caller's timeout
            seconds = request.get("seconds", 1.0)
            if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
                raise bad_request("sleep: seconds must be a number")
            time.sleep(float(seconds))
            return {}
        raise BridgeError("unknown_op", "unknown op %r" % op)


def error_of(exc):
    if isinstance(exc, BridgeError):
        return {"type": exc.type, "message": exc.message}
    tb = traceback.format_exc(limit=6)
    sys.stderr.write(tb)
    return {"type": type(exc).__name__, "message": "%s: %s" % (type(exc).__name__, exc)}


def main():
    # The protocol owns the real stdout; anything else that writes to fd 1 (libraries, child
    # processes) goes to stderr so it cannot corrupt the stream.
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    server = Server()
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req_id = None
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise bad_request("a request must be a JSON object")
            req_id = request.get("id")
            response = {"id": req_id, "ok": True}
            response.update(server.handle(request))
        except json.JSONDecodeError as exc:
            response = {"id": None, "ok": False,
                        "error": {"type": "bad_json", "message": "request is not JSON: %s" % exc}}
        except Exception as exc:  # never die on a bad request
            response = {"id": req_id, "ok": False, "error": error_of(exc)}
        try:
            text = json.dumps(response, allow_nan=False)
        except (TypeError, ValueError) as exc:
            text = json.dumps({"id": req_id, "ok": False, "error": {
                "type": "unserialisable", "message": "response could not be encoded: %s" % exc}})
        proto.write(text + "\n")
        proto.flush()
    for inst in server.envs.values():
        inst.close()
