"""Figures for README, from one run: ProxMO advantages on a 16 x 8 x 50 batch (6,400 step
rows) in process (`proxmo.advantages`), through the subprocess helper
(`python/examples/proxmo_advantages.py`) and with the binary alone (`proxmo run` on a JSON-lines file); then
vectorised environment steps per second from Python (`proxmo.envs`).

    python python/tools/bench_package.py           # needs the package installed and the binary
                                               # ($PROXMO, target/release/proxmo or PATH)
"""

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import importlib.util

import proxmo
import proxmo.envs

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# The subprocess helper, python/examples/proxmo_advantages.py (a script, not a package).
_spec = importlib.util.spec_from_file_location(
    "proxmo_advantages", os.path.join(os.path.dirname(HERE), "examples", "proxmo_advantages.py"))
_helper = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_helper)
proxmo_rows = _helper.proxmo_rows

GROUPS, TRAJECTORIES, STEPS = 16, 8, 50
OBJECTS = ["cabinet", "countertop", "drawer", "fridge", "microwave", "shelf", "sinkbasin",
           "stoveburner", "desk", "sidetable", "garbagecan", "toaster"]
ITEMS = ["mug", "apple", "egg", "lettuce", "knife", "plate", "pan", "spoon"]


def batch(seed=0):
    """16 groups x 8 trajectories x 50 steps of ALFWorld-like anchor observations."""
    rng = random.Random(seed)
    rows = []
    for g in range(GROUPS):
        for t in range(TRAJECTORIES):
            won = rng.random() < 0.3
            for s in range(STEPS):
                obj, k = rng.choice(OBJECTS), rng.randint(1, 4)
                obs = rng.choice([
                    f"You arrive at {obj} {k}. On the {obj} {k}, you see a {rng.choice(ITEMS)} {rng.randint(1, 3)}.",
                    f"You arrive at {obj} {k}. The {obj} {k} is closed.",
                    f"You open the {obj} {k}. The {obj} {k} is open. In it, you see nothing.",
                    "Nothing happens.",
                ])
                rows.append({"group": f"task{g}", "traj": f"task{g}/{t}", "step": s, "obs": obs,
                             "reward": 10.0 if won and s == STEPS - 1 else 0.0,
                             "valid": rng.random() > 0.05})
    return rows


def median_ms(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def find_binary():
    for candidate in (os.environ.get("PROXMO"), os.path.join(ROOT, "target", "release", "proxmo"),
                      shutil.which("proxmo")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    sys.exit("no proxmo binary: build it with `cargo build --release` or set $PROXMO")


def library_ms(binary):
    """The compute alone, as `proxmo bench advantage` measures it: what the other paths add
    to it is conversion, files and process start."""
    out = subprocess.run([binary, "bench", "advantage", "--rows", "6400", "--repeats", "15",
                          "--pipeline-rows", "0"], check=True, capture_output=True, text=True).stdout
    line = next(l for l in out.splitlines() if l.strip().startswith("6,400"))
    return float(line.split()[3])


def advantage_figures(binary):
    rows = batch()
    columns = {k: [r[k] for r in rows] for k in ("group", "traj", "step", "obs", "reward", "valid")}
    proxmo.advantages(**columns)  # warm-up
    in_process = median_ms(lambda: proxmo.advantages(**columns), 30)
    helper = median_ms(lambda: proxmo_rows(rows, binary=binary), 7)
    with tempfile.TemporaryDirectory() as tmp:
        source, sink = os.path.join(tmp, "rows.jsonl"), os.path.join(tmp, "out.jsonl")
        with open(source, "w") as f:
            f.writelines(json.dumps(r) + "\n" for r in rows)
        command = [binary, "run", os.path.join(ROOT, "pipelines", "advantage.pipe"), "--quiet",
                   "--set", "source.path=" + source, "--set", "sink.path=" + sink]
        alone = median_ms(lambda: subprocess.run(command, check=True), 7)
    library = library_ms(binary)
    print(f"ProxMO advantages (paper profile, CPU), {len(rows):,} step rows "
          f"({GROUPS} x {TRAJECTORIES} x {STEPS}), median ms per batch:\n")
    print("| path | ms per batch | vs in process |")
    print("|---|---:|---:|")
    for name, ms in (("`proxmo.advantages` (in process)", in_process),
                     ("`proxmo_advantages.py` (subprocess helper: JSON files + the binary)", helper),
                     ("the binary alone (`proxmo run` on a JSON-lines file)", alone),
                     ("the library alone, no I/O (`proxmo bench advantage`, its own 6,400-row batch)", library)):
        print(f"| {name} | {ms:.1f} | {ms / in_process:.1f}x |")


def env_figures():
    print(f"\nVectorised environments from Python, {GROUPS} tasks x {TRAJECTORIES} rollouts "
          f"= {GROUPS * TRAJECTORIES} environments, uniform random admissible actions chosen in "
          "Python, 3 batches; steps counted on environments not yet done:\n")
    print("| env | observations | steps/s |")
    print("|---|---|---:|")
    for name in ("alfworld", "webshop"):
        for prompts in (False, True):
            env = proxmo.envs.make(name, seed=0, n=GROUPS, group_n=TRAJECTORIES, prompts=prompts)
            rng = random.Random(0)
            steps, elapsed = 0, 0.0
            for _ in range(3):
                obs, infos = env.reset()
                done = [False] * env.num_envs
                while not all(done):
                    actions = [rng.choice(i["admissible_actions"] or ["look"]) for i in infos]
                    if prompts:
                        actions = [f"<think>...</think><action>{a}</action>" for a in actions]
                    start = time.perf_counter()
                    obs, rewards, dones, infos = env.step(actions)
                    elapsed += time.perf_counter() - start
                    steps += done.count(False)
                    done = dones.tolist()
            kind = "the paper's prompts (history, actions)" if prompts else "raw text"
            print(f"| `{name}` | {kind} | {steps / elapsed:,.0f} |")


if __name__ == "__main__":
    print(f"machine: {os.cpu_count()} cores; proxmo {proxmo.__version__}\n")
    advantage_figures(find_binary())
    env_figures()
