#!/usr/bin/env python3
"""proxmo bridge adapter: serves real Python text environments to proxmo over JSON lines.

proxmo (Rust) starts this script as a child process and talks to it over stdin/stdout, one
JSON object per line in each direction. The full protocol is documented in
``src/env/bridge/protocol.rs``; in short:

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
import re
import shutil
import sys
import tempfile
import time
import traceback

PROTOCOL_VERSION = 1


class BridgeError(Exception):
    """An error reported back to proxmo as ``{"ok": false, "error": {"type", "message"}}``."""

    def __init__(self, type_, message):
        super().__init__(message)
        self.type = type_
        self.message = message


def bad_request(message):
    return BridgeError("bad_request", message)


def missing_package(kind, package, install, exc):
    return BridgeError(
        "missing_package",
        "kind %r needs the Python package %r, which could not be imported (%s: %s); install it "
        "with: %s" % (kind, package, type(exc).__name__, exc, install),
    )


def _require(obj, key, typ, what):
    if key not in obj:
        raise bad_request("%s: missing field %r" % (what, key))
    value = obj[key]
    if typ is int and isinstance(value, bool):
        raise bad_request("%s: field %r must be an integer, got %r" % (what, key, value))
    if not isinstance(value, typ):
        raise bad_request(
            "%s: field %r must be %s, got %r" % (what, key, getattr(typ, "__name__", typ), value)
        )
    return value


def _sorted_unique(items):
    return sorted(set(str(a) for a in items))


def _resolve_task(task, tasks, kind):
    """An index into ``tasks`` or an explicit task id / game file (kept as given)."""
    if isinstance(task, bool):
        raise bad_request("reset: task must be an index or a task id, got %r" % (task,))
    if isinstance(task, int):
        if task < 0 or task >= len(tasks):
            raise BridgeError(
                "bad_task",
                "task index %d out of range: kind %r has %d task(s)" % (task, kind, len(tasks)),
            )
        return tasks[task]
    if isinstance(task, str) and task:
        return task
    raise bad_request("reset: task must be an index or a non-empty task id, got %r" % (task,))


class Instance:
    """One environment instance. Subclasses fill ``tasks`` and implement ``_reset``/``_step``,
    each returning a dict with observation, reward, done, won, score, admissible (and
    optionally expert, anchor, info)."""

    kind = "?"

    def __init__(self, config):
        self.config = config
        self.tasks = []
        self.task = None
        self.done = False
        self.steps = 0

    def describe(self):
        return {"n_tasks": len(self.tasks), "tasks": [str(t) for t in self.tasks[:1000]]}

    def reset(self, task):
        resolved = _resolve_task(task, self.tasks, self.kind)
        # A failed reset leaves the instance needing a reset, never half-started.
        self.task = None
        self.done = False
        self.steps = 0
        out = self._reset(resolved)
        self.task = resolved
        self.done = bool(out.get("done", False))
        out["task"] = str(resolved)
        return out

    def step(self, action):
        if self.task is None:
            raise BridgeError("not_reset", "step before the first reset")
        if self.done:
            raise BridgeError(
                "episode_done", "the episode is over (no auto-reset); send reset first"
            )
        out = self._step(action)
        self.steps += 1
        self.done = bool(out.get("done", False))
        return out

    def close(self):
        pass


def _unique_in_order(items):
    seen, out = set(), []
    for a in items:
        a = str(a)
        if a not in seen:
            seen.add(a)
            out.append(a)
    return out


def _outcome(observation, reward, done, won, score, admissible, expert=None, ordered=False,
             **extra):
    """One reset/step answer. ``ordered`` keeps the admissible actions in the environment's
    order (WebShop lists them in page order, as verl-agent shows them); otherwise sorted."""
    out = {
        "observation": "" if observation is None else str(observation),
        "reward": float(reward or 0.0),
        "done": bool(done),
        "won": bool(won),
        "score": float(score or 0.0),
        "admissible": (_unique_in_order if ordered else _sorted_unique)(admissible or []),
    }
    if expert is not None:
        out["expert"] = [str(a) for a in expert]
    out.update(extra)
    return out


# ----------------------------------------------------------------------------------------
# debug: no third-party packages; used by the protocol tests.


class DebugInstance(Instance):
    """Every task is won by the action ``win``; ``crash`` kills the adapter (exit status 7).
    Config: ``n_tasks`` (default 3), ``step_sleep_s`` (delays each step, to test timeouts),
    ``chatty`` (each step also prints to stdout, to test that stray output cannot corrupt the
    protocol). Observations echo the task and the action."""

    kind = "debug"

    def __init__(self, config):
        super().__init__(config)
        n = config.get("n_tasks", 3)
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise bad_request("debug: n_tasks must be a positive integer")
        self.tasks = ["debug-%d" % i for i in range(n)]
        self.sleep = float(config.get("step_sleep_s", 0.0))
        self.chatty = bool(config.get("chatty", False))

    def _reset(self, task):
        return _outcome("task %s: say win" % task, 0.0, False, False, 0.0, ["look", "win"],
                        expert=["win"])

    def _step(self, action):
        if self.sleep > 0:
            time.sleep(self.sleep)
        if action == "crash":
            os._exit(7)
        if self.chatty:  # libraries that print must not corrupt the protocol stream
            print("debug: chatty print to stdout")
            os.write(1, b"debug: chatty write to fd 1\n")
        won = action == "win"
        return _outcome("task %s step %d: you said %r" % (self.task, self.steps + 1, action),
                        1.0 if won else 0.0, won, won, 1.0 if won else 0.0, ["look", "win"],
                        expert=[] if won else ["win"])


# ----------------------------------------------------------------------------------------
# textworld


def _import_textworld(kind="textworld"):
    try:
        import textworld  # noqa: F401
        import textworld.generator  # noqa: F401
    except Exception as exc:  # ImportError or a broken install
        raise missing_package(kind, "textworld", "pip install textworld==1.7.0", exc)
    return textworld


def generate_textworld_games(spec):
    """Makes ``count`` games with the TextWorld generator (as ``tw-make custom`` does); game
    ``i`` uses seed ``seed + i``. Existing files with the same name are reused."""
    textworld = _import_textworld()
    if not isinstance(spec, dict):
        raise bad_request("textworld: generate must be an object")
    count = spec.get("count", 1)
    seed = spec.get("seed", 1)
    world_size = spec.get("world_size", 3)
    nb_objects = spec.get("nb_objects", 5)
    quest_length = spec.get("quest_length", 3)
    for name, value in [("count", count), ("seed", seed), ("world_size", world_size),
                        ("nb_objects", nb_objects), ("quest_length", quest_length)]:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise bad_request("textworld: generate.%s must be a non-negative integer" % name)
    if count < 1 or world_size < 1 or quest_length < 1:
        raise bad_request("textworld: generate.count, world_size and quest_length must be >= 1")
    out_dir = spec.get("dir")
    if not isinstance(out_dir, str) or not out_dir:
        raise bad_request("textworld: generate.dir (where games are written) is required")
    os.makedirs(out_dir, exist_ok=True)
    games = []
    for i in range(count):
        stem = "tw_s%d_w%d_o%d_q%d" % (seed + i, world_size, nb_objects, quest_length)
        path = os.path.abspath(os.path.join(out_dir, stem + ".z8"))
        meta = os.path.abspath(os.path.join(out_dir, stem + ".json"))
        if not (os.path.isfile(path) and os.path.isfile(meta)):
            # Build in a private folder, then move into place (the .z8 last), so concurrent
            # adapters sharing ``dir`` never see half-written games.
            tmp = tempfile.mkdtemp(prefix=".proxmo-gen-", dir=out_dir)
            try:
                options = textworld.GameOptions()
                options.seeds = seed + i
                options.nb_rooms = world_size
                options.nb_objects = nb_objects
                options.chaining.min_length = quest_length
                options.chaining.max_length = quest_length
                options.chaining.max_depth = quest_length
                options.path = os.path.join(tmp, stem + ".z8")
                options.file_ext = ".z8"
                try:
                    game_file, _ = textworld.make(options)
                except Exception as exc:
                    raise BridgeError(
                        "generation_failed",
                        "textworld could not make game %d (seed %d): %s: %s"
                        % (i, seed + i, type(exc).__name__, exc),
                    )
                made = os.path.splitext(game_file)[0]
                for ext in (".json", ".ni", ".z8"):
                    if os.path.isfile(made + ext):
                        os.replace(made + ext, os.path.join(out_dir, stem + ext))
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        games.append(path)
    return games


_STATUS_LINE = re.compile(r"\n*>[^\n]*\Z")


def strip_status_line(text):
    """Removes the Z-machine prompt and status bar TextWorld appends to ``.z8`` feedback
    (``>   -= Kitchen =-0/3``: room, score and move count), which would make every
    observation unique, and trims surrounding blank lines."""
    return _STATUS_LINE.sub("", text).strip("\n").rstrip()


class TextWorldInstance(Instance):
    """TextWorld games. ``strip_status`` (default true) drops the trailing prompt/status line
    from ``.z8`` feedback."""

    kind = "textworld"

    def __init__(self, config):
        super().__init__(config)
        self.tw = _import_textworld()
        games = config.get("games", [])
        if not isinstance(games, list) or not all(isinstance(g, str) for g in games):
            raise bad_request("textworld: games must be a list of game file paths")
        games = [os.path.abspath(g) for g in games]
        if "generate" in config:
            games += generate_textworld_games(config["generate"])
        missing = [g for g in games if not os.path.isfile(g)]
        if missing:
            raise BridgeError("not_found", "textworld: game file(s) not found: %s" % missing[:5])
        self.tasks = games
        self.env = None
        self.env_path = None
        self.points = 0.0
        self.max_score = 1.0
        self.strip_status = bool(config.get("strip_status", True))

    def _infos(self):
        return self.tw.EnvInfos(admissible_commands=True, won=True, lost=True,
                                policy_commands=True, max_score=True, score=True)

    def _open(self, path):
        if self.env is not None and self.env_path == path:
            return
        if not os.path.isfile(path):
            raise BridgeError("not_found", "textworld: game file not found: %s" % path)
        self.close()
        self.env = self.tw.start(path, request_infos=self._infos())
        self.env_path = path

    def _convert(self, state, points, done):
        won = bool(state.get("won", False))
        lost = bool(state.get("lost", False))
        reward = float(points) - self.points
        self.points = float(points)
        feedback = state.get("feedback", "") or ""
        if self.strip_status:
            feedback = strip_status_line(feedback)
        return _outcome(
            feedback, reward, bool(done) or won or lost, won,
            (self.points / self.max_score) if self.max_score else 0.0,
            state.get("admissible_commands") or [],
            expert=list(state.get("policy_commands") or []),
            info={"points": self.points, "max_score": self.max_score, "lost": lost},
        )

    def _reset(self, task):
        self._open(os.path.abspath(task))
        state = self.env.reset()
        self.points = float(state.get("score", 0) or 0)
        self.max_score = float(state.get("max_score", 1) or 1)
        return self._convert(state, self.points, False)

    def _step(self, action):
        state, points, done = self.env.step(action)
        return self._convert(state, points, done)

    def close(self):
        if self.env is not None:
            try:
                self.env.close()
            except Exception:
                pass
        self.env = None
        self.env_path = None


# ----------------------------------------------------------------------------------------
# alfworld

ALFWORLD_SPLITS = ("train", "valid_seen", "valid_unseen", "valid_train")
ALFWORLD_TASK_TYPES = {
    1: "pick_and_place_simple",
    2: "look_at_obj_in_light",
    3: "pick_clean_then_place_in_recep",
    4: "pick_heat_then_place_in_recep",
    5: "pick_cool_then_place_in_recep",
    6: "pick_two_obj_and_place",
}


class AlfWorldInstance(TextWorldInstance):
    """Real ALFWorld games (``game.tw-pddl`` files under ``$ALFWORLD_DATA/json_2.1.1/{split}``),
    played with the ALFWorld wrappers the original environment uses."""

    kind = "alfworld"

    def __init__(self, config):
        Instance.__init__(self, config)
        self.tw = _import_textworld("alfworld")
        try:
            from alfworld.agents.environment.alfred_tw_env import AlfredDemangler, AlfredInfos
        except Exception as exc:
            raise missing_package("alfworld", "alfworld",
                                  "pip install alfworld  (then alfworld-download for the data)",
                                  exc)
        self.demangler = AlfredDemangler
        self.infos_wrapper = AlfredInfos
        self.expert_wrapper = None
        if config.get("expert", False):
            try:
                from alfworld.agents.environment.alfred_tw_env import AlfredExpert
            except Exception as exc:
                raise missing_package("alfworld", "alfworld>=0.4 (AlfredExpert)",
                                      "pip install -U alfworld", exc)
            self.expert_wrapper = AlfredExpert
        data = config.get("data") or os.environ.get("ALFWORLD_DATA")
        if not data:
            raise BridgeError(
                "missing_data",
                "alfworld: no data directory: set config.data or ALFWORLD_DATA "
                "(download with alfworld-download)",
            )
        split = config.get("split", "valid_unseen")
        if split not in ALFWORLD_SPLITS:
            raise bad_request("alfworld: split must be one of %s" % (ALFWORLD_SPLITS,))
        root = os.path.join(os.path.expanduser(os.path.expandvars(data)), "json_2.1.1", split)
        if not os.path.isdir(root):
            raise BridgeError("missing_data", "alfworld: split directory not found: %s" % root)
        task_types = config.get("task_types")
        if task_types is not None:
            if not isinstance(task_types, list) or not all(t in ALFWORLD_TASK_TYPES for t in task_types):
                raise bad_request("alfworld: task_types must be a list of ids 1..6 (%s)"
                                  % ", ".join("%d=%s" % kv for kv in sorted(ALFWORLD_TASK_TYPES.items())))
            wanted = set(ALFWORLD_TASK_TYPES[t] for t in task_types)
        games = []
        for dirpath, _dirs, files in os.walk(root):
            # As ALFWorld's own loader: trials with traj_data.json and a game file, no
            # movable/sliced variants, only games known to be solvable.
            if "game.tw-pddl" not in files or "traj_data.json" not in files:
                continue
            if "movable" in dirpath or "Sliced" in dirpath:
                continue
            if task_types is not None:
                try:
                    with open(os.path.join(dirpath, "traj_data.json")) as f:
                        if json.load(f).get("task_type") not in wanted:
                            continue
                except Exception:
                    continue
            path = os.path.join(dirpath, "game.tw-pddl")
            try:
                with open(path) as f:
                    if json.load(f).get("solvable", True) is False:
                        continue
            except Exception:
                continue
            games.append(os.path.abspath(path))
        games.sort()
        if not games:
            raise BridgeError("missing_data", "alfworld: no game.tw-pddl files under %s" % root)
        self.tasks = games
        self.env = None
        self.env_path = None
        self.points = 0.0
        self.max_score = 1.0

    def _infos(self):
        return self.tw.EnvInfos(won=True, admissible_commands=True, extras=["gamefile"])

    def _open(self, path):
        if self.env is not None and self.env_path == path:
            return
        if not os.path.isfile(path):
            raise BridgeError("not_found", "alfworld: game file not found: %s" % path)
        self.close()
        wrappers = [self.demangler(shuffle=False), self.infos_wrapper]
        if self.expert_wrapper is not None:
            wrappers.append(self.expert_wrapper(expert_type="handcoded"))
        try:
            self.env = self.tw.start(path, request_infos=self._infos(), wrappers=wrappers)
        except ImportError as exc:
            raise missing_package("alfworld", "fast-downward-textworld (TextWorld's PDDL backend)",
                                  "pip install 'textworld[pddl]'", exc)
        self.env_path = path

    def _convert(self, state, points, done):
        won = bool(state.get("won", False))
        reward = float(points or 0) - self.points
        self.points = float(points or 0)
        expert = state.get("extra.expert_plan") if self.expert_wrapper is not None else None
        return _outcome(state.get("feedback", ""), reward, bool(done) or won, won,
                        1.0 if won else 0.0, state.get("admissible_commands") or [],
                        expert=expert)

    def _reset(self, task):
        self._open(os.path.abspath(task))
        state = self.env.reset()
        self.points = 0.0
        return self._convert(state, 0.0, False)


# ----------------------------------------------------------------------------------------
# webshop

# WebShop's own splits, plus verl-agent's training set: every goal after the first 500
# (verl-agent evaluates on the first 500, which is "test").
WEBSHOP_SPLITS = {"test": (0, 500), "eval": (500, 1500), "train": (1500, None),
                  "verl_train": (500, None), "all": (0, None)}
SEP = " [SEP] "


def webshop_anchor(obs, instruction):
    """The page as verl-agent shows it: the ``[SEP]``-separated parts after the instruction,
    each in single quotes; the text unchanged when it holds no instruction part (the done
    page)."""
    parts = obs.split(SEP)
    if instruction not in parts:
        return obs
    return SEP.join("'%s'" % p for p in parts[parts.index(instruction) + 1:])


def webshop_instruction(obs):
    """The instruction part of a WebShop page (the one after ``Instruction:``), or None."""
    parts = obs.split(SEP)
    if "Instruction:" in parts:
        at = parts.index("Instruction:") + 1
        if at < len(parts):
            return parts[at]
    return None


class WebShopInstance(Instance):
    """The user's WebShop checkout, through its text gym env ``WebAgentTextEnv``. Task ``i`` of
    a split is goal session ``offset + i`` (test = goals 0..500, eval = 500..1500, train = the
    rest, as WebShop splits them; verl_train = 500.., verl-agent's training goals). Goals are
    synthetic (``human_goals`` false, verl-agent's setting) unless the config says
    ``"human_goals": true``."""

    kind = "webshop"

    def __init__(self, config):
        super().__init__(config)
        path = config.get("path") or os.environ.get("WEBSHOP_PATH")
        if not path:
            raise BridgeError("missing_data",
                              "webshop: no checkout: set config.path or WEBSHOP_PATH to the "
                              "WebShop repository (with its data set up)")
        path = os.path.abspath(os.path.expanduser(path))
        if not os.path.isdir(path):
            raise BridgeError("missing_data", "webshop: checkout not found: %s" % path)
        if path not in sys.path:
            sys.path.insert(0, path)
        cwd = os.getcwd()
        try:
            os.chdir(path)  # WebShop resolves its data files relative to the checkout
            from web_agent_site.envs.web_agent_text_env import WebAgentTextEnv
        except Exception as exc:
            os.chdir(cwd)
            raise missing_package(
                "webshop", "web_agent_site (WebShop checkout)",
                "cd %s && pip install -r requirements.txt (and run its setup.sh for the data)"
                % path, exc)
        try:
            kwargs = {"observation_mode": "text",
                      "human_goals": bool(config.get("human_goals", False))}
            if config.get("num_products") is not None:
                kwargs["num_products"] = int(config["num_products"])
            self.env = WebAgentTextEnv(**kwargs)
        except Exception as exc:
            raise BridgeError("env_init_failed",
                              "webshop: WebAgentTextEnv failed: %s: %s" % (type(exc).__name__, exc))
        finally:
            os.chdir(cwd)
        split = config.get("split", "test")
        if split not in WEBSHOP_SPLITS:
            raise bad_request("webshop: split must be one of %s" % sorted(WEBSHOP_SPLITS))
        n_goals = len(getattr(self.env.server, "goals", []) or [])
        lo, hi = WEBSHOP_SPLITS[split]
        hi = n_goals if hi is None else min(hi, n_goals)
        self.tasks = list(range(lo, max(lo, hi)))
        self.score = 0.0
        self.instruction = None

    def _admissible(self):
        try:
            avail = self.env.get_available_actions()
        except Exception:
            return []
        acts = []
        if avail.get("has_search_bar"):
            acts.append("search[<your query>]")
        acts += ["click[%s]" % c for c in avail.get("clickables", [])]
        return acts

    def _anchor(self, obs):
        if self.instruction is None:
            return obs
        return webshop_anchor(obs, self.instruction)

    def _reset(self, task):
        session = int(task) if not isinstance(task, int) else task
        result = self.env.reset(session=session)
        obs = result[0] if isinstance(result, tuple) else result
        self.score = 0.0
        # The page text spells the instruction as it is shown (which can differ from
        # ``env.instruction_text``), so the anchor splits on the part the page holds.
        self.instruction = webshop_instruction(obs)
        return _outcome(obs, 0.0, False, False, 0.0, self._admissible(), ordered=True,
                        anchor=self._anchor(obs))

    def _step(self, action):
        obs, reward, done, _info = self.env.step(action)
        reward = float(reward or 0.0)
        if done:
            self.score = reward
        return _outcome(obs, reward, done, bool(done) and reward >= 1.0, self.score,
                        self._admissible(), ordered=True, anchor=self._anchor(obs))

    def reset(self, task):
        if isinstance(task, str) and task.isdigit():
            self.task, self.done, self.steps = None, False, 0
            out = self._reset(int(task))
            self.task = int(task)
            out["task"] = task
            return out
        return super().reset(task)

    def close(self):
        try:
            self.env.close()
        except Exception:
            pass


KINDS = {
    "textworld": TextWorldInstance,
    "alfworld": AlfWorldInstance,
    "webshop": WebShopInstance,
    "debug": DebugInstance,
}


# ----------------------------------------------------------------------------------------
# server


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


if __name__ == "__main__":
    main()
