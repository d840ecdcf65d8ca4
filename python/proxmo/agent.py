"""The paper's agent wrapper (verl-agent's): the prompt a model sees at each step, and the
projection of its free-text response onto an environment action."""

from . import _native

__all__ = ["prompt", "project", "task_statement"]


def prompt(benchmark, task, observation, admissible, history=()):
    """The prompt for one step.

    ``benchmark`` is ``"alfworld"``, ``"webshop"`` or ``"text"`` (any other text game);
    ``task`` the task statement (see ``task_statement``); ``history`` the (observation,
    action) pairs of the steps so far, oldest first (the prompt shows the last two).
    """
    return _native.prompt(benchmark, task, observation, list(admissible), [tuple(h) for h in history])


def project(response, benchmark="alfworld"):
    """``(action, valid)``: the text inside the first ``<action>...</action>`` (lowercased,
    trimmed), and whether the response followed the format (both tags, ``<think>`` tags, no
    CJK characters). Without action tags the response's last characters are the action."""
    return _native.project(response, benchmark)


def task_statement(benchmark, first_observation):
    """The task statement inside an episode's first observation."""
    return _native.task_statement(benchmark, first_observation)
