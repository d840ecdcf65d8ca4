"""Drop-in replacements for the advantage functions of verl-agent and of the ProxMO code the
paper released, computed by proxmo's ``reference`` profile (the released code's reading).

In a verl-agent checkout, swap one import in ``verl/trainer/ppo/ray_trainer.py``::

    from gigpo import core_gigpo                   # before
    from proxmo import verl_agent as core_gigpo    # after

This module has every function the trainer calls there (``compute_step_discounted_returns``
and ``compute_gigpo_outcome_advantage``), plus ``compute_proxmo_outcome_advantage``. Same
signatures, torch tensors in and out (token level, broadcast over ``response_mask``).
The trainer's inputs are used as they are: each row's score is ``token_level_rewards`` summed
over its tokens (the episode reward minus the row's invalid-action penalty) and its step
return is ``step_rewards`` (already discounted and penalised), so proxmo adds no penalty and
no discount of its own. torch is imported only when these functions run.

Anchor observations are read as upstream reads them: exact anchor groups compare any anchor
(text, numbers, lists, dicts, numpy arrays such as Sokoban's images) by its values, as
verl-agent's ``to_hashable`` does; similar-anchor groups (``enable_similarity``) take text only
and refuse other anchors as upstream does; soft grouping reads ``str(anchor)``, and the terms its
TF-IDF keeps at the 1,024-term cut are ranked with the same numpy call scikit-learn makes.
Upstream's one reading a user would not want, soft grouping on arrays (numpy abbreviates the
print of an array of more than 1,000 elements, so different images read alike), stays the
default; ``image_anchors="distinct"`` makes each distinct array a term of its own instead.
docs/verl-agent.md has the details.
"""

from . import _native

# scikit-learn's `max_features` in the released code's `TfidfVectorizer(max_features=1024)`.
_MAX_FEATURES = 1024
_SIMILARITY_TEXT_ONLY = ("Only text-based observations are supported for similarity-based "
                         "{} in this version.")

__all__ = ["compute_step_discounted_returns", "compute_gigpo_outcome_advantage",
           "compute_proxmo_outcome_advantage", "compute_proxmo_episode_advantage",
           "register_with_verl"]

_MODES = ("mean_norm", "mean_std_norm")


def compute_step_discounted_returns(batch, gamma):
    """Every row's discounted return within its trajectory (rows of a trajectory in batch
    order), from a verl ``DataProto``'s ``rewards``, ``traj_uid`` and ``active_masks``, as a
    float32 tensor on the batch's device. ``gamma`` must lie in (0, 1]."""
    import torch

    extra = batch.non_tensor_batch
    trajectories = [str(t) for t in extra["traj_uid"]]
    active = list(extra["active_masks"])
    if not all(bool(a) for a in active):
        raise ValueError("active_masks must be all true: inactive rows have no return")
    steps, seen = [], {}
    for t in trajectories:
        steps.append(seen.get(t, 0))
        seen[t] = steps[-1] + 1
    rewards = [float(r) for r in extra["rewards"]]
    returns = _native.advantages(trajectories, trajectories, steps, [""] * len(steps), rewards,
                                 None, None, "grpo", {"gamma": float(gamma), "invalid_penalty": 0.0})[0]
    return torch.tensor(returns, dtype=torch.float32, device=batch.batch["input_ids"].device)


def compute_gigpo_outcome_advantage(
    token_level_rewards,
    step_rewards,
    response_mask,
    anchor_obs,
    index,
    traj_index,
    epsilon=1e-6,
    step_advantage_w=1.0,
    mode="mean_norm",
    enable_similarity=False,
    similarity_thresh=0.95,
):
    """GiGPO: episode-normalised row scores plus exact (or similar, ``enable_similarity``)
    anchor-state groups. Returns ``(advantages, returns)``, both the token-level advantages.

    The released ProxMO function computes exactly this in GiGPO's modes with PSC off, so this
    one only narrows the modes and hands over."""
    _check_mode(mode, _MODES)
    return _proxmo(token_level_rewards, step_rewards, response_mask, anchor_obs, index, traj_index,
                   epsilon, step_advantage_w, mode, enable_similarity, similarity_thresh,
                   estimator_name="GiGPO")


def compute_proxmo_outcome_advantage(
    token_level_rewards,
    step_rewards,
    response_mask,
    anchor_obs,
    index,
    traj_index,
    epsilon=1e-6,
    step_advantage_w=1.0,
    mode="mean_norm",
    enable_similarity=False,
    similarity_thresh=0.95,
    return_components=False,
    enable_psc=False,
    psc_alpha=5.0,
    psc_beta=0.866,
    image_anchors="printed",
):
    """ProxMO as released: ``mode="soft_grouping"`` is PSA (TF-IDF soft baseline, mean only);
    ``"mean_norm"`` / ``"mean_std_norm"`` use GiGPO's anchor groups at the step level.
    ``enable_psc`` modulates the episode level with ``psc_alpha`` / ``psc_beta``.

    Returns ``(advantages, returns)`` (both the token-level advantages), or with
    ``return_components`` the token-level ``(episode_advantages, step_advantages)``.
    ``image_anchors`` (soft grouping only): ``"printed"`` reads an array anchor as
    ``str(array)``, as upstream does; ``"distinct"`` makes each distinct array one term.
    """
    return _proxmo(token_level_rewards, step_rewards, response_mask, anchor_obs, index, traj_index,
                   epsilon, step_advantage_w, mode, enable_similarity, similarity_thresh,
                   return_components, enable_psc, psc_alpha, psc_beta, image_anchors)


def _proxmo(token_level_rewards, step_rewards, response_mask, anchor_obs, index, traj_index,
            epsilon, step_advantage_w, mode, enable_similarity, similarity_thresh,
            return_components=False, enable_psc=False, psc_alpha=5.0, psc_beta=0.866,
            image_anchors="printed", estimator_name="ProxMO"):
    _check_mode(mode, _MODES + ("soft_grouping",))
    if image_anchors not in ("printed", "distinct"):
        raise ValueError(f"Unknown image_anchors: {image_anchors!r}; expected printed or distinct")
    psc = {"psc": True, "alpha": float(psc_alpha), "beta": float(psc_beta)}
    if mode == "soft_grouping":
        kind = "proxmo"
        params = {"eps": float(epsilon), "omega": float(step_advantage_w), "psa": True,
                  "normalize_std": False, **(psc if enable_psc else {"psc": False})}
        psc_from = None
        anchors = _printed_anchors(anchor_obs, image_anchors)
    else:
        if enable_similarity and not 0.0 < similarity_thresh < 1.0:
            raise ValueError("When enabling similarity-based step-level group, "
                             f"similarity_thresh should be in (0, 1), got {similarity_thresh!r}")
        kind = "gigpo"
        params = {"eps": float(epsilon), "omega": float(step_advantage_w), "norm": mode,
                  "matching": "similar" if enable_similarity else "exact"}
        if enable_similarity:  # upstream reads the threshold only then
            params["similarity"] = float(similarity_thresh)
        psc_from = psc if enable_psc else None
        anchors = (_text_anchors(anchor_obs, index, estimator_name) if enable_similarity
                   else _exact_anchors(anchor_obs))
    episode, step, total = _run(token_level_rewards, step_rewards, response_mask, anchors,
                                index, traj_index, kind, params, psc_from,
                                _vocabulary(anchors) if mode == "soft_grouping" else None)
    if return_components:
        return (_tokens(episode, token_level_rewards, response_mask),
                _tokens(step, token_level_rewards, response_mask))
    scores = _tokens(total, token_level_rewards, response_mask)
    return scores, scores


def compute_proxmo_episode_advantage(token_level_rewards, response_mask, config=None, index=None,
                                     **kwargs):
    """ProxMO's episode level alone (PSC on group-centred scores), in the shape of stock verl's
    registered advantage estimators, which receive ``token_level_rewards``, ``response_mask``,
    ``config`` (the trainer's ``algorithm`` section) and ``index`` (the uid) and nothing else:
    stock verl passes no anchor observations, step returns or trajectory ids, so ProxMO's step
    level needs verl-agent's trainer (or the released one). Reads ``config.proxmo``'s
    ``mode`` (``"mean_norm"`` or ``"mean_std_norm"``), ``enable_psc`` (default True),
    ``psc_alpha`` (5.0) and ``psc_beta`` (0.866). Returns ``(advantages, returns)``."""
    if index is None:
        raise ValueError("index (the batch's uid) is required: ProxMO's episode level is per group")
    settings = _section(config, "proxmo")
    import torch

    rows = token_level_rewards.shape[0]
    no_step = torch.zeros(rows, dtype=token_level_rewards.dtype, device=token_level_rewards.device)
    import numpy as np

    episode, _ = _proxmo(token_level_rewards, no_step, response_mask,
                         [""] * rows, index, np.arange(rows).astype(str), 1e-6, 0.0,
                         settings.get("mode", "mean_norm"), False, 0.95, return_components=True,
                         enable_psc=bool(settings.get("enable_psc", True)),
                         psc_alpha=float(settings.get("psc_alpha", 5.0)),
                         psc_beta=float(settings.get("psc_beta", 0.866)))
    return episode, episode


def register_with_verl(name="proxmo_episode"):
    """Registers ``compute_proxmo_episode_advantage`` in stock verl's estimator registry
    (``algorithm.adv_estimator=<name>``); needs verl with ``register_adv_est``."""
    try:
        from verl.trainer.ppo.core_algos import register_adv_est
    except ImportError as e:
        raise ImportError("register_with_verl needs verl with an advantage-estimator registry "
                          "(verl.trainer.ppo.core_algos.register_adv_est)") from e
    return register_adv_est(name)(compute_proxmo_episode_advantage)


def _section(config, name):
    """``config[name]`` as a dict, from a dict, an OmegaConf node or None."""
    if config is None:
        return {}
    section = config.get(name) if hasattr(config, "get") else getattr(config, name, None)
    if section is None:
        return {}
    return {k: section[k] for k in section} if hasattr(section, "keys") else dict(section)


def _check_mode(mode, allowed):
    if mode not in allowed:
        raise ValueError(f"Unknown mode: {mode!r}; expected one of {', '.join(allowed)}")


def _printed_anchors(anchor_obs, image_anchors):
    """Soft grouping's text of each anchor: ``str(anchor)``, or with ``"distinct"`` one
    term per distinct array (identical images alike, all others unlike)."""
    if image_anchors == "printed":
        return [o if isinstance(o, str) else str(o) for o in anchor_obs]
    import numpy as np

    terms = {}
    return [f"image{terms.setdefault(_hashable(o), len(terms))}" if isinstance(o, np.ndarray)
            else str(o) for o in anchor_obs]


def _text_anchors(anchor_obs, index, estimator_name):
    """Anchors for similar-anchor groups: text only. Upstream refuses any other anchor once it
    compares it with another of its group, i.e. in every group of two or more rows."""
    sizes = {}
    for i in index:
        sizes[str(i)] = sizes.get(str(i), 0) + 1
    for o, i in zip(anchor_obs, index):
        if not isinstance(o, str) and sizes[str(i)] > 1:
            raise ValueError(_SIMILARITY_TEXT_ONLY.format(estimator_name))
    return [o if isinstance(o, str) else str(o) for o in anchor_obs]


def _exact_anchors(anchor_obs):
    """Anchors for exact groups: equal keys exactly where upstream's ``to_hashable`` values are
    equal. Text stays text; with any other anchor every anchor becomes the number of its
    distinct value (so text and numbers never meet by their spelling)."""
    if all(isinstance(o, str) for o in anchor_obs):
        return list(anchor_obs)
    ids = {}
    return [f"anchor {ids.setdefault(_hashable(o), len(ids))}" for o in anchor_obs]


# Arrays longer than this are keyed by their bytes rather than element by element.
_ELEMENTWISE_LIMIT = 1000


def _hashable(x):
    """A key equal for two anchors exactly when verl-agent's ``to_hashable`` makes them equal:
    numbers as Python compares them (1 == 1.0 == True), arrays by their flattened values
    (their shape and dtype do not count), lists and tuples element by element, dicts by their
    sorted items; any other type is refused as upstream refuses it."""
    import numpy as np

    if isinstance(x, (int, float, str, bool)):
        return x
    if isinstance(x, (np.integer, np.floating)):
        return x.item()
    if isinstance(x, np.ndarray):
        flat = x.ravel()
        if flat.size <= _ELEMENTWISE_LIMIT or flat.dtype.kind not in "biuf":
            return tuple(_hashable(v) for v in flat.tolist())
        if flat.dtype.kind == "f" and np.isnan(flat).any():
            # Upstream's tuple holds fresh NaN scalars, equal to nothing: the anchor is alone.
            return object()
        # As Python compares numbers: 1 == 1.0 == True, and -0.0 == 0.0 (adding 0.0).
        return ("array", (flat.astype(np.float64) + 0.0).tobytes())
    if isinstance(x, (list, tuple)):
        return tuple(_hashable(e) for e in x)
    if isinstance(x, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in x.items()))
    raise TypeError(f"Unsupported type: {type(x)}")


def _vocabulary(anchors):
    """The terms soft grouping's TF-IDF keeps, when the 1,024-term cut falls inside a run of
    equally frequent terms: scikit-learn ranks the terms (in alphabetical order) with numpy's
    default sort of their negated frequencies, which this repeats; ``None`` when there is no
    such tie (the kept terms are then the most frequent ones, however ties are ranked)."""
    cut = _native.tfidf_contested_cut(anchors, _MAX_FEATURES)
    if cut is None:
        return None
    import numpy as np

    terms, frequencies = cut
    kept = (-np.asarray(frequencies, dtype=np.float64)).argsort()[:_MAX_FEATURES]
    return [terms[i] for i in kept]


def _run(token_level_rewards, step_rewards, response_mask, anchors, index, traj_index,
         kind, params, psc_from, vocabulary):
    """Per-row (episode, step, total) advantages from the trainer's tensors."""
    import torch  # only here: the rest of the package works without torch

    if token_level_rewards.dim() != 2:
        raise ValueError(f"token_level_rewards must be (batch, tokens), got shape "
                         f"{tuple(token_level_rewards.shape)}")
    rows = token_level_rewards.shape[0]
    if tuple(response_mask.shape) != tuple(token_level_rewards.shape):
        raise ValueError(f"response_mask has shape {tuple(response_mask.shape)}, "
                         f"token_level_rewards {tuple(token_level_rewards.shape)}")
    if tuple(step_rewards.shape) != (rows,):
        raise ValueError(f"step_rewards must have shape ({rows},), got {tuple(step_rewards.shape)}")
    for name, values in (("anchor_obs", anchors), ("index", index), ("traj_index", traj_index)):
        if len(values) != rows:
            raise ValueError(f"{name} has {len(values)} entries for {rows} rows")
    with torch.no_grad():
        scores = token_level_rewards.detach().to(torch.float64).sum(dim=-1).cpu().tolist()
        returns = step_rewards.detach().to(torch.float64).cpu().tolist()
    return _native.trainer_advantages(
        scores, returns, anchors, [str(i) for i in index], kind, params, psc_from, vocabulary)


def _tokens(per_row, like, response_mask):
    """A per-row advantage on every token of the row's response, in ``like``'s dtype and device."""
    import torch

    values = torch.tensor(per_row, dtype=torch.float64, device=like.device)
    return (values.unsqueeze(-1) * response_mask.to(torch.float64)).to(like.dtype)
