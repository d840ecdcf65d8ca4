"""proxmo's built-in ALFWorld and WebShop as vectorised environments, shaped like
verl-agent's environment managers.

    env = proxmo.envs.make("alfworld", split="train", seed=0, n=16, group_n=8)
    obs, infos = env.reset()                 # obs = {"text": [...], "image": None, "anchor": [...]}
    obs, rewards, dones, infos = env.step(responses)

With ``prompts=True`` (the default) ``obs["text"]`` holds the paper's prompts (task, last
two steps, admissible actions) and ``step`` takes model responses, projected onto actions
as the paper's agent does (``infos[i]["is_action_valid"]`` says whether a response followed
the format). With ``prompts=False`` the text is the raw observation and actions are sent
as given. Resets and steps run in parallel on all cores, without holding the GIL.
"""

import numpy as np

from . import _native

__all__ = ["make", "VecEnv"]


def make(name, split=None, seed=0, n=1, group_n=1, max_steps=None, prompts=True):
    """``n`` tasks x ``group_n`` rollouts each of ``"alfworld"`` or ``"webshop"``.

    ``split``: ALFWorld ``train`` / ``valid_seen`` / ``valid_unseen`` (default), WebShop
    ``train`` / ``eval`` / ``test`` (default); ``seed`` seeds the task generator and the
    tasks ``reset()`` draws; ``max_steps`` defaults to the benchmark's (50 / 15).
    """
    return VecEnv(_native.VecEnv(name, n, group_n, split, seed, max_steps, prompts))


class VecEnv:
    """Environments ``0 .. n * group_n - 1``; environment ``i`` belongs to group
    ``i // group_n``, and a group's environments share their task."""

    def __init__(self, native):
        self._native = native
        self.name = native.name
        self.num_envs = native.num_envs
        self.n_tasks = native.n_tasks

    def reset(self, task_ids=None):
        """Starts every group on a task: ``task_ids`` (one per group, in ``0 .. n_tasks - 1``)
        or tasks drawn from the seed. Returns ``(observations, infos)``."""
        if task_ids is not None and hasattr(task_ids, "tolist"):
            task_ids = task_ids.tolist()
        frame = self._native.reset(None if task_ids is None else list(task_ids))
        return _observations(frame), _infos(frame)

    def step(self, text_actions):
        """One action (or, with prompts, one model response) per environment. Returns
        ``(observations, rewards, dones, infos)``; finished environments stay finished."""
        if isinstance(text_actions, (str, bytes)):
            raise TypeError(
                f"step takes one action per environment (a list of {self.num_envs} strings), "
                f"not a single string: {text_actions[:40]!r}")
        frame = self._native.step(list(text_actions))
        rewards = np.asarray(frame["reward"], dtype=np.float64)
        dones = np.asarray(frame["done"], dtype=bool)
        return _observations(frame), rewards, dones, _infos(frame)

    def __len__(self):
        return self.num_envs


def _observations(frame):
    return {"text": frame["text"], "image": None, "anchor": frame["anchor"]}


def _infos(frame):
    keys = ("won", "is_action_valid", "task_type", "task_id", "score", "admissible")
    return [
        {("admissible_actions" if k == "admissible" else k): frame[k][i] for k in keys}
        for i in range(len(frame["text"]))
    ]
