"""Runs the proxmo binary the way a user does, for the tests to compare against."""

import json
import os
import subprocess
import tempfile

COLUMNS = ("step_return", "episode_advantage", "step_advantage", "advantage")


def run_advantages(binary, rows, kind, params):
    """Every output row of `source -> advantage.KIND { params } -> sink` on `rows`, or
    `(exit code, stderr)` when the binary refuses or fails."""
    with tempfile.TemporaryDirectory(prefix="proxmo-test-") as tmp:
        source, sink, pipe = (os.path.join(tmp, n) for n in ("in.jsonl", "out.jsonl", "p.pipe"))
        with open(source, "w") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
        with open(pipe, "w") as f:
            f.write(f'stage source = source.jsonl {{ path = {json.dumps(source)} }}\n'
                    f'stage credit = advantage.{kind} {{ }}\n'
                    f'stage sink = sink.jsonl {{ path = {json.dumps(sink)} }}\n'
                    'pipeline p { source -> credit -> sink }\n')
        sets = []
        for name, value in params.items():
            literal = json.dumps(value) if not isinstance(value, bool) else str(value).lower()
            sets += ["--set", f"credit.{name}={literal}"]
        done = subprocess.run([binary, "run", pipe, "--quiet", *sets], capture_output=True, text=True)
        if done.returncode != 0:
            return done.returncode, done.stderr
        with open(sink) as f:
            return [json.loads(line) for line in f]


def play(binary, game, task, seed, split, actions):
    """The transcript `proxmo play` prints for these typed actions (then `:q`)."""
    stdin = "".join(a + "\n" for a in actions) + ":q\n"
    done = subprocess.run([binary, "play", game, "--task", str(task), "--seed", str(seed),
                           "--split", split], input=stdin, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout
