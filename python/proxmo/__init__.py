"""proxmo in process: ProxMO, GiGPO, GRPO and RLOO advantages on your arrays, proxmo's
built-in ALFWorld and WebShop as vectorised environments, and drop-ins for verl-agent.

Everything is computed by the compiled Rust library (``proxmo._native``), the same code the
``proxmo`` binary runs.
"""

import pkgutil

import numpy as np

# The released ProxMO code ships a folder `proxmo/` without `__init__.py` (a namespace
# package) and imports `from proxmo import core_proxmo`. An installed regular package named
# proxmo always wins over a namespace folder, so the released trainer would find no
# core_proxmo; extending the package path with every `proxmo/` folder on sys.path lets its
# own module still import beside this package (docs/verl-agent.md).
__path__ = pkgutil.extend_path(__path__, __name__)

from . import _native  # noqa: E402
from . import agent, envs  # noqa: E402

__all__ = ["advantages", "ESTIMATORS", "agent", "envs"]
__version__ = "0.1.0"

ESTIMATORS = tuple(_native.ESTIMATORS)

_COLUMNS = ("step_return", "episode_advantage", "step_advantage", "advantage")


def _plain(values):
    """numpy arrays and torch tensors as Python lists; other sequences as they are."""
    if hasattr(values, "detach"):
        values = values.detach().cpu()
    if hasattr(values, "tolist"):
        return values.tolist()
    return values


def advantages(group, traj, step, obs, reward, valid=None, won=None, kind="proxmo", **params):
    """Advantages of every step row, in input order.

    One entry per row in each argument (sequences, numpy arrays or torch tensors):
    ``group`` the task the trajectory was rolled out from (str or int), ``traj`` the
    trajectory id, ``step`` the step index, ``obs`` the anchor observation (raw environment
    text), ``reward`` the step reward, ``valid`` (default all True) False where the action
    was malformed, ``won`` (default: reward sum > 0) the episode outcome, None where unknown.

    ``kind`` is ``"proxmo"``, ``"gigpo"``, ``"grpo"`` or ``"rloo"``; ``params`` are the
    parameters of that ``advantage.*`` stage (``proxmo stages advantage`` lists them), checked
    the same way: ``profile="reference"``, ``tau=0.5``, ``device="gpu"``, ...

    Returns a dict of float64 arrays: ``step_return``, ``episode_advantage``,
    ``step_advantage`` and ``advantage`` (broadcast it to every token of that step).
    Raises ``ValueError`` for a bad parameter or row (naming the row index and field), and
    ``RuntimeError`` when the computation itself fails (``device="gpu"`` without a GPU).
    """
    columns = _native.advantages(
        _plain(group),
        _plain(traj),
        _plain(step),
        _plain(obs),
        _plain(reward),
        None if valid is None else _plain(valid),
        None if won is None else _plain(won),
        kind,
        params,
    )
    return {name: np.asarray(col, dtype=np.float64) for name, col in zip(_COLUMNS, columns)}
