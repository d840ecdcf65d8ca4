"""The ``alfworld`` kind: real ALFWorld games, played through TextWorld with ALFWorld's own
wrappers."""

import json
import os

from .common import BridgeError, Instance, _outcome, bad_request, missing_package
from .textworld import TextWorldInstance, _import_textworld


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
