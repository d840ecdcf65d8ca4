"""The ``webshop`` kind: the user's WebShop checkout, through its text environment."""

import os
import sys

from .common import BridgeError, Instance, _outcome, bad_request, missing_package


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
