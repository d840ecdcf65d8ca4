"""The verl-agent drop-ins (`proxmo.verl_agent`) against upstream's rules, restated in
upstream_rules.py, on the batches where they used to differ: a uid of a single row under PSC,
a TF-IDF vocabulary cut inside a tie, image anchors, Unicode word characters, the similarity
threshold; the swap beside the released code's namespace folder `proxmo/`; and a call site in
the shape of verl-agent's `compute_advantage`."""

import os
import random
import subprocess
import sys
import unicodedata

import numpy as np
import pytest

import proxmo.verl_agent as drop_in
from proxmo import _native

import upstream_rules as up

TOL = 1e-6
PSC = (5.0, 0.866)


def trainer_batch(torch, anchors, index, traj, scores, returns, seed=0, length=6):
    """Tensors as verl-agent hands them over: each row's score on its last response token."""
    n = len(anchors)
    lengths = np.random.default_rng(seed).integers(1, length + 1, size=n)
    mask = torch.zeros((n, length), dtype=torch.long)
    token_rewards = torch.zeros((n, length), dtype=torch.float64)
    for i in range(n):
        mask[i, :lengths[i]] = 1
        token_rewards[i, lengths[i] - 1] = scores[i]
    anchor = np.empty(n, dtype=object)
    anchor[:] = anchors
    return (token_rewards, torch.tensor(returns, dtype=torch.float64), mask, anchor,
            np.array(index, dtype=object), np.array(traj, dtype=object))


def per_row(tokens, mask):
    """The advantage a row carries, after checking it is broadcast over its response only."""
    t, m = tokens.numpy(), mask.numpy()
    assert (t[m == 0] == 0).all()
    first = t[:, 0]
    assert np.allclose(t[m == 1], np.repeat(first, m.sum(axis=1)), rtol=0, atol=0)
    return first


def random_rows(n_groups, per_group, anchor, seed):
    rng = random.Random(seed)
    anchors, index, traj, scores, returns = [], [], [], [], []
    for g in range(n_groups):
        for t in range(per_group):
            won = 10.0 if rng.random() < 0.4 else 0.0
            anchors.append(anchor(rng))
            index.append(f"u{g}")
            traj.append(f"u{g}/{t}")
            scores.append(won - (0.1 if rng.random() < 0.2 else 0.0))
            returns.append(won * 0.95 ** rng.randint(0, 5))
    return anchors, index, traj, scores, returns


def test_a_uid_of_one_row_has_success_rate_zero_under_psc(torch):
    """Upstream: a uid with one step row has mean 0, so PSC's p is 0 and a lone success of 10
    is amplified to 10 (1 + beta (s(1) - 1/2)) = 12.001, not left at 10."""
    anchors = ["a", "b", "c", "d", "e"]
    index = ["solo", "pair", "pair", "lost", "trio"]
    scores = [10.0, 10.0, 0.0, 0.0, 9.9]
    args = trainer_batch(torch, anchors, index, [str(i) for i in range(5)], scores, [0.0] * 5)
    for mode, std in (("mean_norm", False), ("mean_std_norm", True), ("soft_grouping", False)):
        episode, _ = drop_in.compute_proxmo_outcome_advantage(
            *args, mode=mode, enable_psc=True, psc_alpha=PSC[0], psc_beta=PSC[1],
            return_components=True)
        want = up.episode(scores, index, std=std, psc=PSC)
        np.testing.assert_allclose(per_row(episode, args[2]), want, rtol=0, atol=TOL)
    assert abs(want[0] - 12.001) < 1e-3


def webshop_anchor(rng, words):
    return "i need " + " ".join(rng.sample(words, 6)) + " [SEP] " + " ".join(
        f"B0{rng.randint(100, 999)} " + " ".join(rng.sample(words, 10)) for _ in range(3))


@pytest.mark.parametrize("seed", range(3))
def test_soft_grouping_keeps_the_terms_numpy_ranks_at_the_cut(torch, seed):
    """More than 1,024 terms, most of them once or twice in the batch: which tied terms the
    vocabulary keeps is numpy's sort's choice, and the advantages follow it."""
    words = sorted({"".join(random.Random(i).choices("abcdefghij", k=5)) for i in range(1500)})
    rows = random_rows(8, 8, lambda rng: webshop_anchor(rng, words), seed)
    anchors, index = rows[0], rows[1]
    cut = _native.tfidf_contested_cut(anchors, up.MAX_FEATURES)
    assert cut is not None, "the batch must put the cut inside a tie"
    terms, frequencies = cut
    by_numpy = set(np.asarray(terms)[(-np.asarray(frequencies, float)).argsort()[:up.MAX_FEATURES]])
    by_name = set(t for _, t in sorted(zip([-f for f in frequencies], terms))[:up.MAX_FEATURES])
    assert by_numpy != by_name, "the batch must tell numpy's ranking from alphabetical ties"
    args = trainer_batch(torch, *rows, seed=seed)
    for psc in (False, True):
        episode, step = drop_in.compute_proxmo_outcome_advantage(
            *args, mode="soft_grouping", enable_psc=psc, psc_alpha=PSC[0], psc_beta=PSC[1],
            return_components=True)
        np.testing.assert_allclose(per_row(step, args[2]), up.soft_step(rows[4], anchors, index),
                                   rtol=0, atol=TOL)
        np.testing.assert_allclose(per_row(episode, args[2]),
                                   up.episode(rows[3], index, psc=PSC if psc else None),
                                   rtol=0, atol=TOL)


def test_unicode_word_characters_split_as_pythons_re():
    """Every code point Python's unicodedata knows, doubled: the terms the vectorizer sees are
    the ones scikit-learn's token pattern finds (`½`, `²` are words; marks are not)."""
    known = [chr(c) for c in range(0x110000)
             if not 0xD800 <= c <= 0xDFFF and unicodedata.category(chr(c)) != "Cn"]
    doc = " ".join(c + c for c in known)
    # max_features 1 with every term once puts the cut inside a tie, so all terms come back.
    terms, _ = _native.tfidf_contested_cut([doc, "zz qq"], 1)
    want = sorted(set(up.TOKEN.findall(doc.lower())) | {"zz", "qq"})
    differ = sorted(set(terms) ^ set(want))
    assert not differ, f"{len(differ)} terms differ, e.g. {differ[:10]!r}"
    assert "½½" in want and "²²" in want


@pytest.mark.parametrize("seed", range(3))
def test_unicode_anchors_give_upstreams_soft_advantages(torch, seed):
    pieces = ["½ cup", "x² y³", "naïve café", "हिन्दी पाठ", "straße", "Ⅻ", "日本語", "a_b", "e\u0301t\u0301e"]
    rows = random_rows(4, 6, lambda rng: " ".join(rng.sample(pieces, 3)), seed)
    args = trainer_batch(torch, *rows, seed=seed)
    _, step = drop_in.compute_proxmo_outcome_advantage(*args, mode="soft_grouping",
                                                       return_components=True)
    np.testing.assert_allclose(per_row(step, args[2]), up.soft_step(rows[4], rows[0], rows[1]),
                               rtol=0, atol=TOL)


def images(seed):
    """Image anchors of 1,200 values (numpy abbreviates their print): a, its copy, and b that
    differs from a in one hidden value; small arrays, numbers and lists too."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 255, size=(3, 20, 20), dtype=np.uint8)
    b = a.copy()
    b[1, 10, 10] ^= 1
    assert str(a) == str(b)
    return a, b


def test_exact_anchor_groups_compare_arrays_by_their_values(torch):
    a, b = images(0)
    anchors = [a, a.copy(), b, b.astype(np.float32), a.reshape(-1), np.array([1, 2]), [1, 2],
               (1.0, 2.0), 3, 3.0, {"x": 1}, {"x": 1.0}, "text", np.array([np.nan] * 1001)]
    n = len(anchors)
    index = ["u"] * n
    rng = random.Random(1)
    returns = [rng.uniform(0, 10) for _ in range(n)]
    scores = [10.0 if i % 3 else 0.0 for i in range(n)]
    args = trainer_batch(torch, anchors, index, [str(i) for i in range(n)], scores, returns)
    for mode, std in (("mean_norm", False), ("mean_std_norm", True)):
        _, step = drop_in.compute_proxmo_outcome_advantage(*args, mode=mode, return_components=True)
        want = up.exact_step(returns, anchors, index, std=std)
        np.testing.assert_allclose(per_row(step, args[2]), want, rtol=0, atol=TOL)
        adv, _ = drop_in.compute_gigpo_outcome_advantage(*args, mode=mode)
        np.testing.assert_allclose(per_row(adv, args[2]), up.episode(scores, index, std=std) + want,
                                   rtol=0, atol=TOL)
    assert len({up.to_hashable(o) for o in anchors[:-1]}) == 6  # a; b; 1,2; 3; x:1; text (the NaN array alone)
    with pytest.raises(TypeError, match="Unsupported type"):
        drop_in.compute_gigpo_outcome_advantage(
            *trainer_batch(torch, [object(), "x"], ["u", "u"], ["0", "1"], [0.0, 1.0], [0.0, 1.0]))


def test_similar_anchor_groups_refuse_images_as_upstream_does(torch):
    a, b = images(1)
    args = trainer_batch(torch, [a, "text", "other"], ["u", "u", "v"], ["0", "1", "2"],
                         [10.0, 0.0, 0.0], [1.0, 0.0, 0.0])
    for fn, name in ((drop_in.compute_gigpo_outcome_advantage, "GiGPO"),
                     (drop_in.compute_proxmo_outcome_advantage, "ProxMO")):
        with pytest.raises(ValueError, match=f"Only text-based observations are supported for "
                                             f"similarity-based {name}"):
            fn(*args, enable_similarity=True)
    # A uid of one row compares nothing, so upstream raises nothing there.
    alone = trainer_batch(torch, [a, "text"], ["u", "v"], ["0", "1"], [10.0, 0.0], [1.0, 0.0])
    drop_in.compute_gigpo_outcome_advantage(*alone, enable_similarity=True)


def test_soft_grouping_reads_printed_images_unless_told_distinct(torch):
    a, b = images(2)
    anchors = [a, a.copy(), b, "look around", "look"]
    index = ["u"] * 5
    returns = [3.0, 1.0, 8.0, 0.0, 2.0]
    args = trainer_batch(torch, anchors, index, [str(i) for i in range(5)], [0.0] * 5, returns)
    _, printed = drop_in.compute_proxmo_outcome_advantage(*args, mode="soft_grouping",
                                                          return_components=True)
    np.testing.assert_allclose(per_row(printed, args[2]), up.soft_step(returns, anchors, index),
                               rtol=0, atol=TOL)
    _, distinct = drop_in.compute_proxmo_outcome_advantage(
        *args, mode="soft_grouping", return_components=True, image_anchors="distinct")
    # One term per distinct image: a and its copy alike, b unlike both.
    as_terms = ["image0", "image0", "image1", "look around", "look"]
    np.testing.assert_allclose(per_row(distinct, args[2]), up.soft_step(returns, as_terms, index),
                               rtol=0, atol=TOL)
    assert not np.allclose(per_row(printed, args[2]), per_row(distinct, args[2]))
    with pytest.raises(ValueError, match="image_anchors"):
        drop_in.compute_proxmo_outcome_advantage(*args, mode="soft_grouping", image_anchors="pixels")


@pytest.mark.parametrize("thresh", [1.0, 0.0, 1.5, -0.1])
def test_a_similarity_threshold_outside_0_1_is_refused_when_similarity_is_on(torch, thresh):
    args = trainer_batch(torch, ["a b", "a c"], ["u", "u"], ["0", "1"], [10.0, 0.0], [1.0, 0.0])
    for fn in (drop_in.compute_gigpo_outcome_advantage, drop_in.compute_proxmo_outcome_advantage):
        with pytest.raises(ValueError, match=r"similarity_thresh should be in \(0, 1\)"):
            fn(*args, enable_similarity=True, similarity_thresh=thresh)
        fn(*args, enable_similarity=False, similarity_thresh=thresh)  # unused, as upstream


def test_the_swap_line_imports_and_runs_beside_the_released_namespace_folder(tmp_path):
    """The released code's `proxmo/` folder has no __init__.py; with proxmo installed, its
    trainer's `from proxmo import core_proxmo` still finds its own module, and the README's
    swap line gives the drop-in."""
    released = tmp_path / "proxmo"
    released.mkdir()
    (released / "core_proxmo.py").write_text("WHO = 'released'\n")
    script = (
        "from proxmo import core_proxmo\n"
        "assert core_proxmo.WHO == 'released', core_proxmo\n"
        "from proxmo import verl_agent as core_proxmo\n"
        "import numpy as np, torch\n"
        "mask = torch.ones((2, 3), dtype=torch.long)\n"
        "rewards = torch.tensor([[0, 0, 10.0], [0, 0, 0.0]])\n"
        "adv, ret = core_proxmo.compute_proxmo_outcome_advantage(\n"
        "    token_level_rewards=rewards, step_rewards=torch.tensor([10.0, 0.0]),\n"
        "    response_mask=mask, anchor_obs=np.array(['a', 'b'], dtype=object),\n"
        "    index=np.array(['u', 'u'], dtype=object), traj_index=np.array(['0', '1'], dtype=object),\n"
        "    mode='soft_grouping', enable_psc=True)\n"
        "print(round(float(adv[0, 0]), 4), round(float(adv[1, 0]), 4))\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() and float(out.stdout.split()[0]) > 0 > float(out.stdout.split()[1])


class DataProto:
    """The two fields of verl's DataProto the advantage step reads and writes."""

    def __init__(self, batch, non_tensor_batch):
        self.batch, self.non_tensor_batch = batch, non_tensor_batch


def compute_advantage(data, core_proxmo, step_advantage_w=1.0, proxmo_mode="soft_grouping",
                      **kwargs):
    """verl-agent's / the released trainer's `compute_advantage` ProxMO branch, as its source
    calls the estimator (keyword arguments, batch fields by name)."""
    advantages, returns = core_proxmo.compute_proxmo_outcome_advantage(
        token_level_rewards=data.batch["token_level_rewards"],
        step_rewards=data.batch["step_rewards"],
        response_mask=data.batch["response_mask"],
        anchor_obs=data.non_tensor_batch["anchor_obs"],
        index=data.non_tensor_batch["uid"],
        traj_index=data.non_tensor_batch["traj_uid"],
        step_advantage_w=step_advantage_w,
        mode=proxmo_mode,
        enable_similarity=False,
        similarity_thresh=0.95,
        return_components=False,
        enable_psc=kwargs.get("enable_psc", False),
        psc_alpha=kwargs.get("psc_alpha", 5.0),
        psc_beta=kwargs.get("psc_beta", 0.866),
    )
    data.batch["advantages"] = advantages
    data.batch["returns"] = returns
    return data


def test_a_trainer_call_site_gets_upstreams_advantages_on_every_response_token(torch):
    pieces = ["You arrive at desk 1.", "On the desk 1, you see a mug 1.", "Nothing happens.",
              "You open the drawer 2.", "The drawer 2 is closed."]
    anchors, index, _, scores, _ = random_rows(4, 8, lambda rng: " ".join(rng.sample(pieces, 2)), 5)
    n = len(anchors)
    # Trajectories of two steps (rows 2k, 2k + 1), the reward on the second: the trainer's
    # compute_step_discounted_returns gives 0.95 r and r.
    traj = [f"{index[i]}/{i // 2}" for i in range(n)]
    step_rewards = [scores[i] if i % 2 else 0.0 for i in range(n)]
    token_rewards, _, mask, anchor, uid, traj_uid = trainer_batch(
        torch, anchors, index, traj, scores, [0.0] * n, seed=5)
    data = DataProto(
        {"token_level_rewards": token_rewards, "response_mask": mask,
         "input_ids": torch.zeros((n, 4), dtype=torch.long)},
        {"anchor_obs": anchor, "uid": uid, "traj_uid": traj_uid,
         "rewards": np.array(step_rewards), "active_masks": np.ones(n, dtype=bool)})
    data.batch["step_rewards"] = drop_in.compute_step_discounted_returns(batch=data, gamma=0.95)
    returns = data.batch["step_rewards"].numpy().astype(np.float64)
    want_returns = [0.95 * step_rewards[i + 1] if i % 2 == 0 else step_rewards[i] for i in range(n)]
    np.testing.assert_allclose(returns, want_returns, rtol=0, atol=1e-5)
    compute_advantage(data, drop_in, step_advantage_w=0.5, enable_psc=True, psc_alpha=4.0,
                      psc_beta=0.2164)
    want = up.episode(scores, index, psc=(4.0, 0.2164)) + 0.5 * up.soft_step(returns, anchors, index)
    got = per_row(data.batch["advantages"].to(torch.float64), mask)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)  # float32 step returns
    assert torch.equal(data.batch["advantages"], data.batch["returns"])


def test_the_episode_level_runs_from_stock_verls_registry_call(torch):
    """Stock verl hands a registered estimator token_level_rewards, response_mask, config and
    index only: ProxMO's episode level (PSC) is what those fields allow."""
    anchors, index, traj, scores, _ = random_rows(5, 4, lambda rng: "x", 7)
    token_rewards, _, mask, _, uid, _ = trainer_batch(torch, anchors, index, traj, scores, [0.0] * 20)
    config = {"proxmo": {"psc_alpha": 4.0, "psc_beta": 0.2164, "mode": "mean_std_norm"}}
    adv, ret = drop_in.compute_proxmo_episode_advantage(
        token_level_rewards=token_rewards, response_mask=mask, config=config, index=uid)
    np.testing.assert_allclose(per_row(adv, mask), up.episode(scores, index, std=True, psc=(4.0, 0.2164)),
                               rtol=0, atol=TOL)
    assert torch.equal(adv, ret)
    with pytest.raises(ValueError, match="index"):
        drop_in.compute_proxmo_episode_advantage(token_rewards, mask, config)


@pytest.mark.parametrize("mode", ["mean_norm", "soft_grouping"])
def test_an_advantage_that_overflows_is_refused_not_returned_as_inf(torch, mode):
    """Rewards inside the range the group statistics allow can still overflow once the step
    level is weighted (omega = 1e300): the call raises instead of handing back inf."""
    args = trainer_batch(torch, ["aa bb", "aa bb"], ["u", "u"], ["0", "1"],
                         [1e150, -1e150], [1e150, -1e150])
    with pytest.raises(ValueError, match="overflowed"):
        drop_in.compute_proxmo_outcome_advantage(
            *args, mode=mode, enable_psc=False, step_advantage_w=1e300)
