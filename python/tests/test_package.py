"""The installed `proxmo` package against the proxmo binary: the same numbers (to 1e-9) on
the shipped example and on random batches, for every estimator and both profiles; every
error path; environments reproducible by seed and equal to `proxmo play`; the verl-agent
drop-ins' shapes, token broadcast and equality with the binary's reference profile."""

import json
import math
import os
import threading

import numpy as np
import pytest

import proxmo
import proxmo.agent
import proxmo.envs
import proxmo.verl_agent

from cli_runs import COLUMNS, play, run_advantages
from conftest import ROOT

TOL = 1e-9
EXAMPLE = os.path.join(ROOT, "pipelines", "data", "example.jsonl")
PROFILES = ("paper", "reference")
# Every estimator with its variants, as (kind, params) the binary takes as `--set`s.
CONFIGS = [
    ("grpo", {}),
    ("grpo", {"normalize_std": False}),
    ("rloo", {}),
    ("gigpo", {}),
    ("gigpo", {"norm": "mean_norm"}),
    ("gigpo", {"matching": "similar", "similarity": 0.8}),
    ("proxmo", {}),
    ("proxmo", {"psc": False}),
    ("proxmo", {"psa": False}),
    ("proxmo", {"align": "step", "tau": 0.5, "alpha": 2.0, "beta": 0.3, "omega": 0.5}),
    ("proxmo", {"normalize_std": True, "gamma": 0.9, "invalid_penalty": 0.2, "max_features": 8}),
]


def columns_of(rows):
    """The fields `proxmo.advantages` takes, from JSON-lines rows."""
    return dict(
        group=[r["group"] for r in rows],
        traj=[r["traj"] for r in rows],
        step=[r["step"] for r in rows],
        obs=[r["obs"] for r in rows],
        reward=[r["reward"] for r in rows],
        valid=[r.get("valid", True) for r in rows],
        won=[r.get("won") for r in rows],
    )


def assert_same(expected_rows, got):
    for name in COLUMNS:
        want = np.array([r[name] for r in expected_rows])
        assert got[name].dtype == np.float64 and got[name].shape == want.shape
        np.testing.assert_allclose(got[name], want, rtol=0, atol=TOL, err_msg=name)


def random_rows(seed):
    """A random batch: groups of trajectories of random lengths over a small vocabulary of
    observations (so anchor states repeat), random validity, some stated outcomes, rows
    shuffled."""
    rng = np.random.default_rng(seed)
    words = ["mug", "desk", "fridge", "apple", "drawer", "shelf", "sink", "lamp", "open", "closed"]
    rows = []
    for g in range(int(rng.integers(1, 5))):
        for t in range(int(rng.integers(1, 6))):
            length = int(rng.integers(1, 9))
            win = bool(rng.random() < 0.4)
            for s in range(length):
                obs = " ".join(rng.choice(words, size=int(rng.integers(0, 4))))
                reward = 10.0 if (win and s == length - 1) else float(rng.choice([0.0, 0.0, 0.5, -1.0]))
                row = {"group": f"g{g}", "traj": f"g{g}/{t}", "step": s, "obs": obs,
                       "reward": reward, "valid": bool(rng.random() > 0.15)}
                if rng.random() < 0.3:
                    row["won"] = win
                rows.append(row)
    order = rng.permutation(len(rows))
    return [rows[i] for i in order]


def example_rows():
    with open(EXAMPLE) as f:
        return [json.loads(line) for line in f]


# ---------------------------------------------------------------- numbers equal the binary's


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("kind,params", CONFIGS)
def test_the_shipped_example_equals_the_binary(binary, kind, params, profile):
    rows = example_rows()
    params = {**params, "profile": profile}
    expected = run_advantages(binary, rows, kind, params)
    assert isinstance(expected, list), expected
    assert_same(expected, proxmo.advantages(**columns_of(rows), kind=kind, **params))


@pytest.mark.parametrize("seed", range(24))
def test_random_batches_equal_the_binary(binary, seed):
    rows = random_rows(seed)
    for kind, params in CONFIGS:
        for profile in PROFILES:
            p = {**params, "profile": profile}
            expected = run_advantages(binary, rows, kind, p)
            assert isinstance(expected, list), (kind, p, expected)
            assert_same(expected, proxmo.advantages(**columns_of(rows), kind=kind, **p))


def test_numpy_arrays_and_int_ids_are_accepted():
    rows = random_rows(3)
    c = columns_of(rows)
    as_lists = proxmo.advantages(**c)
    arrays = proxmo.advantages(
        group=np.array(c["group"]), traj=np.array(c["traj"]), step=np.array(c["step"], dtype=np.int64),
        obs=np.array(c["obs"], dtype=object), reward=np.array(c["reward"], dtype=np.float32).astype(np.float64),
        valid=np.array(c["valid"]), won=c["won"])
    for name in COLUMNS:
        np.testing.assert_array_equal(as_lists[name], arrays[name])
    groups = sorted(set(c["group"]))
    int_groups = proxmo.advantages(**{**c, "group": [groups.index(g) for g in c["group"]]})
    np.testing.assert_array_equal(as_lists["advantage"], int_groups["advantage"])


def test_torch_tensors_are_accepted(torch):
    c = columns_of(random_rows(4))
    as_lists = proxmo.advantages(**c)
    tensors = proxmo.advantages(**{**c, "step": torch.tensor(c["step"]),
                                   "reward": torch.tensor(c["reward"], dtype=torch.float64),
                                   "valid": torch.tensor(c["valid"])})
    for name in COLUMNS:
        np.testing.assert_array_equal(as_lists[name], tensors[name])


def test_an_empty_batch_gives_empty_arrays():
    out = proxmo.advantages([], [], [], [], [])
    assert set(out) == set(COLUMNS) and all(v.shape == (0,) for v in out.values())


@pytest.mark.parametrize("params", [{"device": "gpu"}, {"device": "gpu", "allow_software": True}])
def test_the_gpu_works_exactly_where_the_binarys_does(binary, params):
    rows = example_rows()
    expected = run_advantages(binary, rows, "proxmo", params)
    if isinstance(expected, list):
        got = proxmo.advantages(**columns_of(rows), **params)
        for name in COLUMNS:  # GPU and CPU agree to 1e-4 (f32 kernel), as the binary's tests say
            np.testing.assert_allclose(got[name], [r[name] for r in expected], atol=1e-4)
    else:
        code, message = expected
        assert code == 1, message
        with pytest.raises(RuntimeError, match="adapter|GPU|gpu"):
            proxmo.advantages(**columns_of(rows), **params)


def test_the_gil_is_released_while_computing():
    """A second Python thread keeps running while a large batch is computed."""
    n = 40_000
    rng = np.random.default_rng(0)
    words = np.array(["mug desk", "fridge apple", "drawer shelf", "sink lamp open"])
    args = dict(group=[f"g{i // 400}" for i in range(n)], traj=[f"t{i // 40}" for i in range(n)],
                step=[i % 40 for i in range(n)], obs=list(rng.choice(words, n)),
                reward=list(rng.random(n)))
    ticks = []
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks.append(1)

    worker = threading.Thread(target=count)
    worker.start()
    try:
        before = len(ticks)
        proxmo.advantages(**args)
        during = len(ticks) - before
    finally:
        done.set()
        worker.join()
    assert during > 100, f"the other thread ran only {during} times during the call"


# ---------------------------------------------------------------- error paths


ROW = dict(group=["g", "g"], traj=["a", "b"], step=[0, 0], obs=["x y", "x z"], reward=[0.0, 10.0])


@pytest.mark.parametrize("params,message", [
    ({"tua": 0.2}, r"`advantage.proxmo` has no parameter `tua`; did you mean `tau`\?"),
    ({"gamma": 1.5}, r"`advantage.proxmo.gamma` must lie in \(0, 1\], found 1.5"),
    ({"tau": 0}, r"`advantage.proxmo.tau` must lie in \(0, \+inf\)"),
    ({"psc": 1}, r"`advantage.proxmo.psc` expects a bool, found int `1`"),
    ({"profile": "papre"}, r"must be one of \"paper\" \| \"reference\", found \"papre\"; did you mean \"paper\"\?"),
    ({"max_features": 1.5}, r"`advantage.proxmo.max_features` expects an int"),
    ({"device": "tpu"}, r"`advantage.proxmo.device` must be one of"),
    ({"alpha": None}, r"parameter `alpha`: a NoneType is not a parameter value"),
    ({"tau": "0.1"}, r"`advantage.proxmo.tau` expects a float, found string"),
])
def test_bad_parameters_raise_value_error_like_a_pipe_file(params, message):
    with pytest.raises(ValueError, match=message):
        proxmo.advantages(**ROW, **params)


def test_parameters_are_checked_against_the_chosen_kind():
    with pytest.raises(ValueError, match=r"`advantage.grpo` has no parameter `tau`"):
        proxmo.advantages(**ROW, kind="grpo", tau=0.1)
    with pytest.raises(ValueError, match=r"unknown estimator kind \"gipgo\"; did you mean \"gigpo\"\?"):
        proxmo.advantages(**ROW, kind="gipgo")
    with pytest.raises(ValueError, match=r"unknown estimator kind \"ppo\"; expected one of grpo, rloo, gigpo, proxmo"):
        proxmo.advantages(**ROW, kind="ppo")
    assert proxmo.advantages(**ROW, kind="advantage.rloo")["advantage"].shape == (2,)


@pytest.mark.parametrize("change,message", [
    ({"traj": ["a"]}, r"field `traj` has 1 values but there are 2 rows"),
    ({"reward": [0.0, 1.0, 2.0]}, r"field `reward` has 3 values but there are 2 rows"),
    ({"obs": "x y"}, r"field `obs` must be a sequence with one value per row, got a str"),
    ({"step": 3}, r"field `step` must be a sequence with one value per row, got an int"),
    ({"step": [0, -1]}, r"row 1: field `step`: expected an int in 0..=4294967295, got -1"),
    ({"step": [0, 1.0]}, r"row 1: field `step`: expected an int .*, got 1.0 \(a float\)"),
    ({"step": [True, 0]}, r"row 0: field `step`: expected an int"),
    ({"step": [0, 2**40]}, r"row 1: field `step`: expected an int"),
    ({"obs": ["x", None]}, r"row 1: field `obs`: expected a str, got None \(a NoneType\)"),
    ({"group": ["g", 1.5]}, r"row 1: field `group`: expected a str or an int, got 1.5"),
    ({"traj": [None, "b"]}, r"row 0: field `traj`: expected a str or an int"),
    ({"reward": [0.0, "10"]}, r"row 1: field `reward`: expected a number, got '10' \(a str\)"),
    ({"reward": [0.0, float("nan")]}, r"row 1: field `reward`: must be a finite number, got NaN"),
    ({"reward": [float("inf"), 0.0]}, r"row 0: field `reward`: must be a finite number, got inf"),
    ({"valid": [True, 1]}, r"row 1: field `valid`: expected a bool, got 1 \(an int\)"),
    ({"won": [None, "yes"]}, r"row 1: field `won`: expected a bool or None"),
    ({"traj": ["a", "a"]}, r"row 1: field `step`: trajectory \"a\" already has step 0"),
    ({"group": ["g", "h"], "traj": ["a", "a"], "step": [0, 1]},
     r"row 1: field `group`: trajectory \"a\" is already in group \"g\", not \"h\""),
    ({"traj": ["a", "a"], "step": [0, 1], "reward": [1.7e308, 1.7e308]}, r"too large"),
])
def test_bad_rows_raise_value_error_naming_the_index_and_field(change, message):
    with pytest.raises(ValueError, match=message):
        proxmo.advantages(**{**ROW, **change})


def test_bad_rows_are_refused_by_the_binary_too(binary):
    """The in-process checks are the binary's: a row it refuses is refused here."""
    rows = [{"group": "g", "traj": "a", "step": 0, "obs": "x", "reward": 0.0},
            {"group": "h", "traj": "a", "step": 1, "obs": "x", "reward": 0.0}]
    code, message = run_advantages(binary, rows, "proxmo", {})
    assert code == 2 and "already in group" in message
    with pytest.raises(ValueError, match="already in group"):
        proxmo.advantages(**columns_of(rows))


# ---------------------------------------------------------------- environments


def rust_number(x):
    """A float as Rust's `{}` prints it (the binary's transcripts)."""
    return str(int(x)) if x == int(x) and abs(x) < 1e15 else repr(x)


def transcript(frames):
    """What `proxmo play` prints for a sequence of (action, observation-frame) pairs."""
    out = []

    def show(text, admissible, done):
        out.append(f"\n{text}\n\n")
        if not done:
            out.append("admissible actions:\n")
            out.extend(f"  {i + 1:>3}. {a}\n" for i, a in enumerate(admissible))

    action, (text, admissible, reward, done, won, score) = frames[0]
    show(text, admissible, done)
    steps = 0
    for action, (text, admissible, reward, done, won, score) in frames[1:]:
        out.append("> ")
        steps += 1
        out.append(f"[{action}] reward {rust_number(reward)}\n")
        show(text, admissible, done)
        if done:
            out.append(f"episode over after {steps} steps: {'won' if won else 'not won'} "
                       f"(score {rust_number(score)})\n")
            return "".join(out)
    out.append("> ")  # `:q`
    return "".join(out)


def played(game, split, task, seed, pick, steps):
    """Plays one environment with actions chosen by `pick(step, observation, admissible)`;
    returns the frames and the actions."""
    env = proxmo.envs.make(game, split=split, seed=seed, n=1, prompts=False)
    obs, infos = env.reset([task])
    frames = [(None, (obs["text"][0], infos[0]["admissible_actions"], 0.0, False, False, 0.0))]
    actions = []
    for k in range(steps):
        action = pick(k, obs["text"][0], infos[0]["admissible_actions"])
        obs, rewards, dones, infos = env.step([action])
        i = infos[0]
        actions.append(action)
        frames.append((action, (obs["text"][0], i["admissible_actions"], rewards[0], bool(dones[0]),
                                i["won"], i["score"])))
        if dones[0]:
            break
    return frames, actions


def alfworld_pick(k, text, admissible):
    return admissible[(7 * k + 3) % len(admissible)]


def webshop_pick(k, text, admissible):
    if k == 0:
        words = proxmo.agent.task_statement("webshop", text).split()
        return "search[" + " ".join(words[2:7]) + "]"
    return admissible[(5 * k + 1) % len(admissible)]


@pytest.mark.parametrize("game,split,task,seed,pick,steps", [
    ("alfworld", "valid_unseen", 5, 0, alfworld_pick, 12),
    ("alfworld", "train", 1234, 7, alfworld_pick, 60),
    ("webshop", "test", 3, 0, webshop_pick, 10),
    ("webshop", "eval", 17, 2, webshop_pick, 20),
])
def test_environments_equal_the_binarys_play_transcripts(binary, game, split, task, seed, pick, steps):
    frames, actions = played(game, split, task, seed, pick, steps)
    assert transcript(frames) == play(binary, game, task, seed, split, actions)


def test_an_expert_like_episode_ends_and_stays_ended():
    """Stepping past the end keeps an environment done with reward 0."""
    env = proxmo.envs.make("alfworld", n=1, max_steps=2, prompts=False)
    obs, infos = env.reset([0])
    for _ in range(2):
        obs, rewards, dones, infos = env.step([infos[0]["admissible_actions"][0]])
    assert dones.tolist() == [True]
    obs, rewards, dones, infos = env.step(["look"])
    assert dones.tolist() == [True] and rewards.tolist() == [0.0]


@pytest.mark.parametrize("game", ["alfworld", "webshop"])
def test_environments_are_reproducible_by_seed(game):
    def run(seed):
        env = proxmo.envs.make(game, seed=seed, n=4, group_n=2)
        obs, infos = env.reset()
        trace = [(obs["text"], [i["task_id"] for i in infos])]
        for k in range(6):
            responses = [f"<think>step {k}</think><action>{i['admissible_actions'][(k + j) % len(i['admissible_actions'])]}</action>"
                         for j, i in enumerate(infos)]
            obs, rewards, dones, infos = env.step(responses)
            trace.append((obs["text"], obs["anchor"], rewards.tolist(), dones.tolist(),
                          [(i["won"], i["is_action_valid"], i["score"]) for i in infos]))
        obs, infos = env.reset()  # the next draw follows from the seed too
        trace.append([i["task_id"] for i in infos])
        return trace

    assert run(11) == run(11)
    assert run(11) != run(12)


def test_verl_agent_shapes_groups_and_infos():
    env = proxmo.envs.make("alfworld", split="train", seed=3, n=3, group_n=4)
    assert len(env) == env.num_envs == 12 and env.n_tasks == 3553
    obs, infos = env.reset()
    assert set(obs) == {"text", "image", "anchor"} and obs["image"] is None
    assert len(obs["text"]) == len(obs["anchor"]) == len(infos) == 12
    tasks = [i["task_id"] for i in infos]
    assert all(tasks[g * 4:(g + 1) * 4] == [tasks[g * 4]] * 4 for g in range(3))
    assert len(set(tasks)) == 3
    assert all(i["task_type"] in {"pick", "look", "clean", "heat", "cool", "pick2"} for i in infos)
    assert obs["text"][0].startswith("\nYou are an expert agent operating in the ALFRED Embodied Environment.")
    responses = ["<think>go</think><action>look</action>"] * 6 + ["look"] * 6
    obs, rewards, dones, infos = env.step(responses)
    assert rewards.shape == (12,) and rewards.dtype == np.float64 and dones.dtype == bool
    assert [i["is_action_valid"] for i in infos] == [True] * 6 + [False] * 6
    assert {"won", "is_action_valid", "task_type", "task_id", "score", "admissible_actions"} <= set(infos[0])


def test_prompts_are_the_agent_modules_with_history():
    env = proxmo.envs.make("webshop", seed=0, n=1)
    raw = proxmo.envs.make("webshop", seed=0, n=1, prompts=False)
    obs, infos = env.reset([9])
    first, _ = raw.reset([9])
    task = proxmo.agent.task_statement("webshop", first["text"][0])
    assert obs["text"][0] == proxmo.agent.prompt("webshop", task, obs["anchor"][0], infos[0]["admissible_actions"])
    response = "<think>search</think><action>search[" + task + "]</action>"
    action, valid = proxmo.agent.project(response, "webshop")
    assert valid and action == "search[" + task.lower() + "]"
    before = obs["anchor"][0]
    obs, _, _, infos = env.step([response])
    raw.step([action])
    assert obs["text"][0] == proxmo.agent.prompt("webshop", task, obs["anchor"][0],
                                                 infos[0]["admissible_actions"], [(before, action)])


def test_projection_follows_the_paper():
    assert proxmo.agent.project("<think>x</think> <action> Go To Desk 1 </action>") == ("go to desk 1", True)
    assert proxmo.agent.project("<action>look</action>") == ("look", False)
    assert proxmo.agent.project("x" * 40 + "tail") == (("x" * 40 + "tail")[-30:], False)
    assert proxmo.agent.project("x" * 40 + "tail", "webshop") == (("x" * 40 + "tail")[-20:], False)
    with pytest.raises(ValueError, match="unknown benchmark \"chess\""):
        proxmo.agent.project("x", "chess")


@pytest.mark.parametrize("kwargs,error,message", [
    (dict(name="alfwrld"), ValueError, r"unknown environment \"alfwrld\"; did you mean \"alfworld\"\?"),
    (dict(name="alfworld", split="valid"), ValueError, r"`env.alfworld.split` must be one of .*found \"valid\""),
    (dict(name="webshop", split="tset"), ValueError, r"did you mean \"test\"\?"),
    (dict(name="alfworld", n=0), ValueError, r"need at least 1 of each"),
    (dict(name="alfworld", n=1000, group_n=1000), ValueError, r"at most 100000 environments"),
    (dict(name="alfworld", seed=-1), ValueError, r"`env.alfworld.seed` must lie in \[0, \+inf\)"),
    (dict(name="webshop", max_steps=0), ValueError, r"`env.webshop.max_steps` must lie in \[1, 100000\]"),
])
def test_bad_environment_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        proxmo.envs.make(**kwargs)


def test_bad_resets_and_steps():
    env = proxmo.envs.make("alfworld", n=2, group_n=2)
    with pytest.raises(RuntimeError, match="step before reset"):
        env.step(["look"] * 4)
    with pytest.raises(ValueError, match=r"task_ids has 1 ids but there are 2 groups"):
        env.reset([0])
    with pytest.raises(ValueError, match=r"task_ids\[1\]: task 134 does not exist: the split has tasks 0..133"):
        env.reset([0, 134])
    with pytest.raises(ValueError, match=r"task_ids\[0\]: task -1 does not exist"):
        env.reset(np.array([-1, 0]))
    env.reset()
    with pytest.raises(ValueError, match=r"3 actions for 4 environments"):
        env.step(["look"] * 3)
    # A bare string is one action, not a sequence of one-letter actions.
    with pytest.raises(TypeError, match="not a single string"):
        env.step("look")


# ---------------------------------------------------------------- verl-agent drop-ins


def trainer_batch(binary, seed, torch, dtype):
    """A random batch as verl-agent hands it to an advantage function, plus its JSON rows:
    row scores at the last response token (outcome minus the row's 0.1 penalty), step returns
    as the binary computes them (discounted, penalised), response masks of random lengths."""
    rows = random_rows(seed)
    for r in rows:
        r.pop("won", None)  # the released code has no won flag: success is score > 0.5
    base = run_advantages(binary, rows, "grpo", {"profile": "reference"})
    outcome = {}
    for r in rows:
        outcome[r["traj"]] = outcome.get(r["traj"], 0.0) + r["reward"]
    n, length = len(rows), 7
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, length + 1, size=n)
    mask = torch.zeros((n, length), dtype=torch.long)
    scores = torch.zeros((n, length), dtype=dtype)
    for i, r in enumerate(rows):
        mask[i, :lengths[i]] = 1
        scores[i, lengths[i] - 1] = outcome[r["traj"]] - (0.0 if r["valid"] else 0.1)
    step_rewards = torch.tensor([b["step_return"] for b in base], dtype=dtype)
    anchor = np.array([r["obs"] for r in rows], dtype=object)
    index = np.array([r["group"] for r in rows], dtype=object)
    traj = np.array([r["traj"] for r in rows], dtype=object)
    return rows, (scores, step_rewards, mask, anchor, index, traj)


def assert_tokens(tokens, per_row, mask, atol=TOL):
    want = np.array(per_row)[:, None] * mask.numpy()
    np.testing.assert_allclose(tokens.numpy(), want, rtol=0, atol=atol)
    assert (tokens.numpy()[mask.numpy() == 0] == 0).all()


@pytest.mark.parametrize("seed", range(20))
def test_gigpo_drop_in_equals_the_binarys_reference_profile(binary, torch, seed):
    rows, args = trainer_batch(binary, seed, torch, torch.float64)
    for mode in ("mean_norm", "mean_std_norm"):
        for similar in (False, True):
            want = run_advantages(binary, rows, "gigpo", {
                "profile": "reference", "norm": mode, "eps": 1e-5, "omega": 0.7,
                "matching": "similar" if similar else "exact", "similarity": 0.9})
            adv, ret = proxmo.verl_agent.compute_gigpo_outcome_advantage(
                *args, epsilon=1e-5, step_advantage_w=0.7, mode=mode,
                enable_similarity=similar, similarity_thresh=0.9)
            assert adv.shape == args[0].shape and adv.dtype == torch.float64
            assert torch.equal(adv, ret)
            assert_tokens(adv, [w["advantage"] for w in want], args[2])


@pytest.mark.parametrize("seed", range(20))
def test_proxmo_drop_in_equals_the_binarys_reference_profile(binary, torch, seed):
    rows, args = trainer_batch(binary, seed, torch, torch.float64)
    beta = 0.05 / (1 / (1 + math.exp(-1)) - 0.5)  # the released run's derived beta
    for psc in (False, True):
        want = run_advantages(binary, rows, "proxmo", {"profile": "reference", "psc": psc, "alpha": 4.0,
                                                       "beta": beta})
        adv, ret = proxmo.verl_agent.compute_proxmo_outcome_advantage(
            *args, mode="soft_grouping", enable_psc=psc, psc_alpha=4.0, psc_beta=beta)
        assert torch.equal(adv, ret)
        assert_tokens(adv, [w["advantage"] for w in want], args[2])
        episode, step = proxmo.verl_agent.compute_proxmo_outcome_advantage(
            *args, mode="soft_grouping", enable_psc=psc, psc_alpha=4.0, psc_beta=beta,
            return_components=True)
        assert_tokens(episode, [w["episode_advantage"] for w in want], args[2])
        assert_tokens(step, [w["step_advantage"] for w in want], args[2])


@pytest.mark.parametrize("seed", range(5))
def test_proxmo_drop_in_with_anchor_groups_is_gigpo_under_psc(binary, torch, seed):
    """The released code's `mean_norm` / `mean_std_norm` modes: GiGPO's step level, with
    ProxMO's PSC on the episode level when enabled."""
    rows, args = trainer_batch(binary, seed, torch, torch.float64)
    for mode in ("mean_norm", "mean_std_norm"):
        gigpo = run_advantages(binary, rows, "gigpo", {"profile": "reference", "norm": mode})
        adv, _ = proxmo.verl_agent.compute_proxmo_outcome_advantage(*args, mode=mode)
        assert_tokens(adv, [w["advantage"] for w in gigpo], args[2])
        psc = run_advantages(binary, rows, "proxmo", {"profile": "reference", "psa": False, "alpha": 5.0,
                                                      "beta": 0.866, "normalize_std": mode == "mean_std_norm"})
        episode, step = proxmo.verl_agent.compute_proxmo_outcome_advantage(
            *args, mode=mode, enable_psc=True, return_components=True)
        assert_tokens(episode, [w["episode_advantage"] for w in psc], args[2])
        assert_tokens(step, [w["step_advantage"] for w in gigpo], args[2])


def test_drop_ins_keep_the_trainers_dtype_and_device(binary, torch):
    rows, args = trainer_batch(binary, 1, torch, torch.float32)
    adv, _ = proxmo.verl_agent.compute_proxmo_outcome_advantage(*args, mode="soft_grouping")
    assert adv.dtype == torch.float32 and adv.device == args[0].device and adv.shape == args[0].shape
    want = run_advantages(binary, rows, "proxmo", {"profile": "reference", "psc": False})
    assert_tokens(adv.to(torch.float64), [w["advantage"] for w in want], args[2], atol=1e-4)


def test_step_returns_are_the_binarys(binary, torch):
    """`compute_step_discounted_returns` on a verl DataProto-like batch: the rows' returns."""
    class Batch:
        pass

    rows = random_rows(5)
    for r in rows:
        r["valid"] = True
    batch = Batch()
    batch.non_tensor_batch = {"rewards": np.array([r["reward"] for r in rows], dtype=np.float32),
                              "traj_uid": np.array([r["traj"] for r in rows], dtype=object),
                              "active_masks": np.ones(len(rows), dtype=bool)}
    batch.batch = {"input_ids": torch.zeros((len(rows), 3), dtype=torch.long)}
    # rows of a trajectory in batch order: number the steps that way for the binary
    seen = {}
    for r in rows:
        r["step"] = seen.get(r["traj"], 0)
        seen[r["traj"]] = r["step"] + 1
    want = run_advantages(binary, rows, "grpo", {"gamma": 0.9})
    got = proxmo.verl_agent.compute_step_discounted_returns(batch, 0.9)
    assert got.dtype == torch.float32 and got.shape == (len(rows),)
    np.testing.assert_allclose(got.numpy(), [w["step_return"] for w in want], rtol=1e-6, atol=1e-5)
    batch.non_tensor_batch["active_masks"][0] = False
    with pytest.raises(ValueError, match="active_masks must be all true"):
        proxmo.verl_agent.compute_step_discounted_returns(batch, 0.9)


def test_drop_in_errors(binary, torch):
    rows, (scores, returns, mask, anchor, index, traj) = trainer_batch(binary, 2, torch, torch.float64)
    f = proxmo.verl_agent.compute_proxmo_outcome_advantage
    with pytest.raises(ValueError, match="Unknown mode: 'soft'"):
        f(scores, returns, mask, anchor, index, traj, mode="soft")
    with pytest.raises(ValueError, match="Unknown mode"):
        proxmo.verl_agent.compute_gigpo_outcome_advantage(scores, returns, mask, anchor, index, traj,
                                                          mode="soft_grouping")
    with pytest.raises(ValueError, match=r"response_mask has shape"):
        f(scores, returns, mask[:, :3], anchor, index, traj)
    with pytest.raises(ValueError, match=r"token_level_rewards must be \(batch, tokens\)"):
        f(scores[:, 0], returns, mask, anchor, index, traj)
    with pytest.raises(ValueError, match=r"step_rewards must have shape"):
        f(scores, returns[1:], mask, anchor, index, traj)
    with pytest.raises(ValueError, match=r"index has 1 entries"):
        f(scores, returns, mask, anchor, index[:1], traj)
    bad = returns.clone()
    bad[0] = float("nan")
    with pytest.raises(ValueError, match="row 0: field `reward`: must be a finite number"):
        f(scores, bad, mask, anchor, index, traj)
    with pytest.raises(ValueError, match=r"`advantage.proxmo.alpha` must lie in \(0, \+inf\)"):
        f(scores, returns, mask, anchor, index, traj, enable_psc=True, psc_alpha=0.0)
    with pytest.raises(ValueError, match=r"similarity_thresh should be in \(0, 1\)"):
        f(scores, returns, mask, anchor, index, traj, enable_similarity=True, similarity_thresh=1.5)
