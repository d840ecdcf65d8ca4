"""Each loss term of python/proxmo_worker/loss.py against a hand computation on fixed tensors."""

import math
import os
import sys

import pytest

from conftest import require

torch = require("torch")
from proxmo_worker.loss import (actor_loss, entropy_from_logits, k3_kl, policy_terms,  # noqa: E402
                                 sft_loss, token_mean)

# Five tokens: ratio 1.5, 0.5, 0.5, 5.0, 1.1 against the rollout's log-probs.
RATIOS = [1.5, 0.5, 0.5, 5.0, 1.1]
ADV = [1.0, 1.0, -1.0, -1.0, -2.0]
OLD = [-1.0, -2.0, -0.5, -3.0, -1.2]


def tensors():
    old = torch.tensor(OLD, dtype=torch.float64)
    logp = old + torch.log(torch.tensor(RATIOS, dtype=torch.float64))
    return logp, old, torch.tensor(ADV, dtype=torch.float64)


def test_clipped_surrogate_both_sides_and_the_dual_clip():
    logp, old, adv = tensors()
    t = policy_terms(logp, old, adv, clip_low=0.2, clip_high=0.2, clip_ratio_c=3.0)
    # A>0, r=1.5: max(-1.5, -1.2) = -1.2 (upper clip binds)
    # A>0, r=0.5: max(-0.5, -0.8) = -0.5 (unclipped)
    # A<0, r=0.5: max(0.5, 0.8) = 0.8 (lower clip binds), below the dual floor 3
    # A<0, r=5.0: max(5.0, 1.2) = 5.0, dual clip min(5.0, 3.0) = 3.0
    # A=-2, r=1.1: max(2.2, 2.2) = 2.2, floor 6
    assert t.losses.tolist() == pytest.approx([-1.2, -0.5, 0.8, 3.0, 2.2])
    assert t.clipped.tolist() == [1.0, 0.0, 1.0, 0.0, 0.0]
    assert t.dual_clipped.tolist() == [0.0, 0.0, 0.0, 1.0, 0.0]
    assert t.neg_log_ratio.tolist() == pytest.approx([-math.log(r) for r in RATIOS])


def test_separate_clip_low_and_high():
    logp, old, adv = tensors()
    t = policy_terms(logp, old, adv, clip_low=0.1, clip_high=0.3, clip_ratio_c=3.0)
    # r=1.5 clips at 1.3 for A>0; r=0.5 clips at 0.9 for A<0.
    assert t.losses.tolist() == pytest.approx([-1.3, -0.5, 0.9, 3.0, 2.2])


def test_token_mean_divides_by_the_mini_batch_token_count():
    x = torch.tensor([1.0, 2.0, 3.0])
    assert float(token_mean(x, 3)) == pytest.approx(2.0)
    # A micro-batch of 3 tokens in a mini-batch of 6: its share is sum / 6.
    assert float(token_mean(x, 6)) == pytest.approx(1.0)


def test_k3_kl_and_its_clamp():
    logp = torch.tensor([-1.0, -2.0, -1.0, -10.0], dtype=torch.float64)
    ref = torch.tensor([-1.0, -1.0, -2.0, -4.0], dtype=torch.float64)
    d = [0.0, 1.0, -1.0, 6.0]
    expected = [min(math.exp(x) - x - 1, 10.0) for x in d]
    assert expected[3] == 10.0  # exp(6) - 7 = 396.4, clamped
    assert k3_kl(logp, ref).tolist() == pytest.approx(expected)


def test_entropy_from_logits():
    logits = torch.tensor([[0.0, 0.0], [0.0, math.log(3.0)], [5.0, 5.0]], dtype=torch.float64)
    h = entropy_from_logits(logits).tolist()
    assert h[0] == pytest.approx(math.log(2))
    assert h[1] == pytest.approx(-(0.25 * math.log(0.25) + 0.75 * math.log(0.75)))
    assert h[2] == pytest.approx(math.log(2))


def test_actor_loss_adds_kl_and_subtracts_entropy_token_mean():
    logp, old, adv = tensors()
    entropy = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0], dtype=torch.float64)
    ref = logp + torch.tensor([0.0, 1.0, -1.0, 0.0, 0.5], dtype=torch.float64)
    loss, m = actor_loss(logp, old, adv, entropy, ref, n_tokens=5, kl_coef=0.01,
                         entropy_coef=0.001)
    pg = (-1.2 - 0.5 + 0.8 + 3.0 + 2.2) / 5
    kl = sum(math.exp(d) - d - 1 for d in [0.0, 1.0, -1.0, 0.0, 0.5]) / 5
    assert float(m["pg_loss"]) == pytest.approx(pg)
    assert float(m["kl_ref"]) == pytest.approx(kl)
    assert float(m["entropy"]) == pytest.approx(3.0)
    assert float(m["pg_clipfrac"]) == pytest.approx(2 / 5)
    assert float(m["pg_clipfrac_lower"]) == pytest.approx(1 / 5)
    assert float(m["ppo_kl"]) == pytest.approx(-sum(math.log(r) for r in RATIOS) / 5)
    assert float(loss) == pytest.approx(pg + 0.01 * kl - 0.001 * 3.0)
    # No reference model (kl_coef = 0): no KL term at all.
    loss, m = actor_loss(logp, old, adv, entropy, None, n_tokens=5, kl_coef=0.0,
                         entropy_coef=0.0)
    assert float(loss) == pytest.approx(pg) and float(m["kl_ref"]) == 0.0


def test_micro_batch_shares_add_up_to_the_mini_batch_token_mean():
    logp, old, adv = tensors()
    entropy = torch.ones(5, dtype=torch.float64)
    whole, _ = actor_loss(logp, old, adv, entropy, None, n_tokens=5, kl_coef=0.0)
    a, _ = actor_loss(logp[:2], old[:2], adv[:2], entropy[:2], None, n_tokens=5, kl_coef=0.0)
    b, _ = actor_loss(logp[2:], old[2:], adv[2:], entropy[2:], None, n_tokens=5, kl_coef=0.0)
    assert float(a + b) == pytest.approx(float(whole))


def test_gradient_of_the_surrogate_is_zero_where_the_clip_binds():
    logp, old, adv = tensors()
    logp = logp.clone().requires_grad_(True)
    t = policy_terms(logp, old, adv)
    t.losses.sum().backward()
    # d(-A r)/d logp = -A r where unclipped; 0 where the clip or the dual clip binds.
    expected = [0.0, -0.5, 0.0, 0.0, 2.0 * 1.1]
    assert logp.grad.tolist() == pytest.approx(expected)


def test_sft_loss_is_token_mean_cross_entropy():
    logp = torch.tensor([-1.0, -2.0, -3.0])
    assert float(sft_loss(logp, 3)) == pytest.approx(2.0)
    assert float(sft_loss(logp, 6)) == pytest.approx(1.0)
