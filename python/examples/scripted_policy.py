"""A scripted stand-in for a language model, speaking proxmo's `policy.command` protocol.

It is not a model: for every prompt it picks an admissible action listed in the prompt (the
first one that is not `look`/`inventory`/`examine`, else the first, or a random one with
`--random SEED`) and answers in the format the paper's prompts ask for,
`<think>...</think><action>...</action>`. `--malformed-every N` breaks every N-th answer (no
tags) so the projection's invalid path can be seen. `--log FILE` appends one line per
`generate` request: the number of prompts and the temperature asked for (or none). Use it to check a pipeline end to end
before plugging in a real model (see openai_policy.py).

    stage rollout = rollout.group { policy = policy.command { command = "python3 python/examples/scripted_policy.py" } }
"""

import json
import random
import re
import sys

ACTIONS = re.compile(r"admissible actions of the current situation are: ?\s*\[(.*?)\]\.\s*\n\nNow", re.S)
QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


def admissible(prompt):
    m = ACTIONS.search(prompt)
    return QUOTED.findall(m.group(1)) if m else []


def answer(prompt, rng, count, malformed_every):
    actions = admissible(prompt)
    if rng is not None and actions:
        action = rng.choice(actions)
    else:
        useful = [a for a in actions if not a.startswith(("look", "inventory", "examine"))]
        action = (useful or actions or ["look"])[0]
    if action.startswith("search["):
        action = "search[" + " ".join(re.findall(r"Your task is to: (.*?)\.\n", prompt)[:1] or ["item"]) + "]"
    if malformed_every and count % malformed_every == 0:
        return "i will " + action
    return "<think>I take an admissible action.</think><action>%s</action>" % action


def main():
    args = sys.argv[1:]
    rng = random.Random(int(args[args.index("--random") + 1])) if "--random" in args else None
    malformed_every = int(args[args.index("--malformed-every") + 1]) if "--malformed-every" in args else 0
    log = open(args[args.index("--log") + 1], "a") if "--log" in args else None
    count = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except ValueError as e:
            print(json.dumps({"id": None, "ok": False, "error": {"type": "bad_json", "message": str(e)}}), flush=True)
            continue
        rid = request.get("id")
        op = request.get("op")
        if op == "hello":
            reply = {"id": rid, "ok": True, "protocol": 1}
        elif op == "generate" and isinstance(request.get("prompts"), list):
            if log is not None:
                log.write(json.dumps({"prompts": len(request["prompts"]),
                                      "temperature": request.get("temperature")}) + "\n")
                log.flush()
            responses = []
            for prompt in request["prompts"]:
                count += 1
                responses.append(answer(str(prompt), rng, count, malformed_every))
            reply = {"id": rid, "ok": True, "responses": responses}
        else:
            reply = {"id": rid, "ok": False, "error": {"type": "bad_request", "message": "unknown op %r" % op}}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
