"""ProxMO advantages for step rows collected by any trainer (verl, verl-agent, OpenRLHF, ...).

Standard library only. It writes the rows as JSON lines, runs proxmo's advantage pipeline
on them and returns one advantage per row, in the rows' order:

    from proxmo_advantages import proxmo_advantages
    rows = [  # one dict per step row of the batch
        {"group": uid, "traj": traj_uid, "step": t, "obs": anchor_obs, "reward": r,
         "valid": is_action_valid, "won": won},
        ...
    ]
    adv = proxmo_advantages(rows, sets=["credit.profile=reference"])

In verl-agent terms: `group` is the prompt/task uid shared by a group's rollouts, `traj` the
trajectory uid, `obs` the anchor observation (the raw environment text, no prompt template)
and `reward` the step reward. Broadcast `adv[i]` to every response token of row i.
"""

import json
import os
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PIPELINE = os.path.join(os.path.dirname(os.path.dirname(HERE)), "pipelines", "advantage.pipe")
FIELDS = ("step_return", "episode_advantage", "step_advantage", "advantage")


class ProxmoError(RuntimeError):
    """proxmo refused the rows or the pipeline (exit 2) or failed (exit 1); the message is
    proxmo's own, naming the row (line) and field."""


def proxmo_rows(rows, pipeline=DEFAULT_PIPELINE, sets=(), binary=None):
    """Every row as a dict with `step_return`, `episode_advantage`, `step_advantage` and
    `advantage` added, in input order."""
    binary = binary or os.environ.get("PROXMO") or shutil.which("proxmo") or "proxmo"
    with tempfile.TemporaryDirectory(prefix="proxmo-") as tmp:
        source = os.path.join(tmp, "rows.jsonl")
        sink = os.path.join(tmp, "advantages.jsonl")
        with open(source, "w", encoding="utf-8") as f:
            for i, row in enumerate(rows):
                try:
                    f.write(json.dumps(row, allow_nan=False) + "\n")
                except ValueError:
                    bad = [k for k, v in row.items() if isinstance(v, float) and v != v or v in (float("inf"), float("-inf"))]
                    raise ProxmoError("row %d: field %s is not finite: every reward must be a finite number"
                                      % (i, ", ".join("`%s`" % k for k in bad) or "?"))
        # proxmo takes a --set value literally (docs/inputs.md), so the temporary paths pass
        # as they are, whatever characters TMPDIR holds; the caller may not redirect them.
        for s in sets:
            if s.split("=", 1)[0] in ("source.path", "sink.path"):
                raise ProxmoError("--set %s: the input and output paths are proxmo_rows' own" % s)
        command = [binary, "run", pipeline, "--quiet",
                   "--set", "source.path=" + source, "--set", "sink.path=" + sink]
        for s in sets:
            command += ["--set", s]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise ProxmoError(done.stderr.strip() or "proxmo exited with %d" % done.returncode)
        with open(sink, encoding="utf-8") as f:
            return [json.loads(line) for line in f]


def proxmo_advantages(rows, pipeline=DEFAULT_PIPELINE, sets=(), binary=None):
    """The `advantage` of every row, in input order."""
    return [r["advantage"] for r in proxmo_rows(rows, pipeline, sets, binary)]


if __name__ == "__main__":
    import sys
    rows = [json.loads(line) for line in sys.stdin if line.strip()]
    for row in proxmo_rows(rows, sets=sys.argv[1:]):
        print(json.dumps(row))
