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
"""

from . import _native

__all__ = ["compute_step_discounted_returns", "compute_gigpo_outcome_advantage",
           "compute_proxmo_outcome_advantage"]

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
    return compute_proxmo_outcome_advantage(
        token_level_rewards, step_rewards, response_mask, anchor_obs, index, traj_index,
        epsilon, step_advantage_w, mode, enable_similarity, similarity_thresh)


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
):
    """ProxMO as released: ``mode="soft_grouping"`` is PSA (TF-IDF soft baseline, mean only);
    ``"mean_norm"`` / ``"mean_std_norm"`` use GiGPO's anchor groups at the step level.
    ``enable_psc`` modulates the episode level with ``psc_alpha`` / ``psc_beta``.

    Returns ``(advantages, returns)`` (both the token-level advantages), or with
    ``return_components`` the token-level ``(episode_advantages, step_advantages)``.
    """
    _check_mode(mode, _MODES + ("soft_grouping",))
    psc = {"psc": True, "alpha": float(psc_alpha), "beta": float(psc_beta)}
    if mode == "soft_grouping":
        kind = "proxmo"
        params = {"eps": float(epsilon), "omega": float(step_advantage_w), "psa": True,
                  "normalize_std": False, **(psc if enable_psc else {"psc": False})}
        psc_from = None
    else:
        kind = "gigpo"
        params = {"eps": float(epsilon), "omega": float(step_advantage_w), "norm": mode,
                  "matching": "similar" if enable_similarity else "exact",
                  "similarity": float(similarity_thresh)}
        psc_from = psc if enable_psc else None
    episode, step, total = _run(token_level_rewards, step_rewards, response_mask, anchor_obs,
                                index, traj_index, kind, params, psc_from)
    if return_components:
        return (_tokens(episode, token_level_rewards, response_mask),
                _tokens(step, token_level_rewards, response_mask))
    scores = _tokens(total, token_level_rewards, response_mask)
    return scores, scores


def _check_mode(mode, allowed):
    if mode not in allowed:
        raise ValueError(f"Unknown mode: {mode!r}; expected one of {', '.join(allowed)}")


def _run(token_level_rewards, step_rewards, response_mask, anchor_obs, index, traj_index,
         kind, params, psc_from):
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
    for name, values in (("anchor_obs", anchor_obs), ("index", index), ("traj_index", traj_index)):
        if len(values) != rows:
            raise ValueError(f"{name} has {len(values)} entries for {rows} rows")
    with torch.no_grad():
        scores = token_level_rewards.detach().to(torch.float64).sum(dim=-1).cpu().tolist()
        returns = step_rewards.detach().to(torch.float64).cpu().tolist()
    return _native.trainer_advantages(
        scores, returns, [str(o) for o in anchor_obs], [str(i) for i in index],
        kind, params, psc_from)


def _tokens(per_row, like, response_mask):
    """A per-row advantage on every token of the row's response, in ``like``'s dtype and device."""
    import torch

    values = torch.tensor(per_row, dtype=torch.float64, device=like.device)
    return (values.unsqueeze(-1) * response_mask.to(torch.float64)).to(like.dtype)
