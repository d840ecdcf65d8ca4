"""The ``textworld`` kind: TextWorld games, from files or generated offline.

``import textworld`` below is an absolute import, so it loads the TextWorld library, not this
module (``proxmo_bridge.textworld``)."""

import os
import re
import shutil
import tempfile

from .common import BridgeError, Instance, _outcome, bad_request, missing_package


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
