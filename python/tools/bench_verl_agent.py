"""Speed of the verl-agent drop-ins (`proxmo.verl_agent`) on trainer-shaped batches: an
ALFWorld-like batch of 16 x 8 x 50 = 6,400 step rows and a WebShop-like one of 16k rows whose
anchors hold more than 1,024 distinct terms (so the TF-IDF vocabulary is cut at
`max_features`, the case where the cut's ties are ranked by numpy). Median milliseconds per
call, every mode the trainer uses.

    python python/tools/bench_verl_agent.py         # needs the package installed, torch and numpy
"""

import importlib.util
import os
import random

import numpy as np
import torch

import proxmo
import proxmo.verl_agent as drop_in

HERE = os.path.dirname(os.path.abspath(__file__))

# The timing loop of the package's other figures (bench_package.py beside this script).
_spec = importlib.util.spec_from_file_location("bench_package", os.path.join(HERE, "bench_package.py"))
_bench_package = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_bench_package)
median_ms = _bench_package.median_ms

RESPONSE_TOKENS = 32
PLACES = ["cabinet", "countertop", "drawer", "fridge", "microwave", "shelf", "sinkbasin",
          "stoveburner", "desk", "sidetable", "garbagecan", "toaster"]
ITEMS = ["mug", "apple", "egg", "lettuce", "knife", "plate", "pan", "spoon"]


def alfworld_anchor(rng):
    place, k = rng.choice(PLACES), rng.randint(1, 4)
    return rng.choice([
        f"You arrive at {place} {k}. On the {place} {k}, you see a {rng.choice(ITEMS)} {rng.randint(1, 3)}.",
        f"You arrive at {place} {k}. The {place} {k} is closed.",
        f"You open the {place} {k}. The {place} {k} is open. In it, you see nothing.",
        "Nothing happens.",
    ])


def webshop_anchor(rng, words):
    """A results page: the instruction and three products of random words and prices."""
    products = [" [SEP] ".join([f"B0{rng.randint(10000, 99999)}", " ".join(rng.sample(words, 8)),
                                f"${rng.randint(5, 90)}.{rng.randint(0, 99):02d}"]) for _ in range(3)]
    return "'Instruction:' [SEP] i need " + " ".join(rng.sample(words, 5)) + " [SEP] " + " [SEP] ".join(products)


def batch(groups, trajectories, steps, anchor, seed=0):
    """A batch as verl-agent hands it to an advantage function (random rewards and masks)."""
    rng = random.Random(seed)
    n = groups * trajectories * steps
    index, traj, anchors, scores = [], [], [], []
    for g in range(groups):
        for t in range(trajectories):
            won = 10.0 if rng.random() < 0.3 else 0.0
            for _ in range(steps):
                index.append(f"g{g}")
                traj.append(f"g{g}/{t}")
                anchors.append(anchor(rng))
                scores.append(won - (0.1 if rng.random() < 0.05 else 0.0))
    lengths = np.random.default_rng(seed).integers(1, RESPONSE_TOKENS + 1, size=n)
    mask = torch.zeros((n, RESPONSE_TOKENS), dtype=torch.long)
    token_rewards = torch.zeros((n, RESPONSE_TOKENS), dtype=torch.float32)
    for i in range(n):
        mask[i, :lengths[i]] = 1
        token_rewards[i, lengths[i] - 1] = scores[i]
    step_rewards = torch.tensor([s * 0.95 ** rng.randint(0, steps) for s in scores], dtype=torch.float32)
    return (token_rewards, step_rewards, mask, np.array(anchors, dtype=object),
            np.array(index, dtype=object), np.array(traj, dtype=object))


CALLS = [
    ("ProxMO soft_grouping + PSC", lambda a: drop_in.compute_proxmo_outcome_advantage(
        *a, mode="soft_grouping", enable_psc=True, psc_alpha=4.0, psc_beta=0.2164)),
    ("ProxMO mean_norm + PSC", lambda a: drop_in.compute_proxmo_outcome_advantage(
        *a, mode="mean_norm", enable_psc=True)),
    ("GiGPO mean_std_norm (exact anchors)", lambda a: drop_in.compute_gigpo_outcome_advantage(
        *a, mode="mean_std_norm")),
]


if __name__ == "__main__":
    words = sorted({"".join(random.Random(i).choices("abcdefghijklmnopqrstuvwxyz", k=6)) for i in range(3000)})
    batches = [
        ("ALFWorld-like 16 x 8 x 50", batch(16, 8, 50, alfworld_anchor)),
        ("WebShop-like 16 x 8 x 125", batch(16, 8, 125, lambda rng: webshop_anchor(rng, words))),
    ]
    print(f"machine: {os.cpu_count()} cores; proxmo {proxmo.__version__}; torch {torch.__version__}, "
          f"numpy {np.__version__}\n")
    print("| batch | rows | drop-in call | ms per call |")
    print("|---|---:|---|---:|")
    for name, args in batches:
        for call, fn in CALLS:
            print(f"| {name} | {len(args[3]):,} | {call} | {median_ms(lambda: fn(args), 5):.1f} |")
