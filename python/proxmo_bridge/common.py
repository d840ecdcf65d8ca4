"""What every kind shares: the protocol's errors, request-field checks, the ``Instance`` base
class (task resolution, reset/step bookkeeping, no auto-reset) and the outcome dict each reset
and step answers with."""


class BridgeError(Exception):
    """An error reported back to proxmo as ``{"ok": false, "error": {"type", "message"}}``."""

    def __init__(self, type_, message):
        super().__init__(message)
        self.type = type_
        self.message = message


def bad_request(message):
    return BridgeError("bad_request", message)


def missing_package(kind, package, install, exc):
    return BridgeError(
        "missing_package",
        "kind %r needs the Python package %r, which could not be imported (%s: %s); install it "
        "with: %s" % (kind, package, type(exc).__name__, exc, install),
    )


def _require(obj, key, typ, what):
    if key not in obj:
        raise bad_request("%s: missing field %r" % (what, key))
    value = obj[key]
    if typ is int and isinstance(value, bool):
        raise bad_request("%s: field %r must be an integer, got %r" % (what, key, value))
    if not isinstance(value, typ):
        raise bad_request(
            "%s: field %r must be %s, got %r" % (what, key, getattr(typ, "__name__", typ), value)
        )
    return value


def _sorted_unique(items):
    return sorted(set(str(a) for a in items))


def _resolve_task(task, tasks, kind):
    """An index into ``tasks`` or an explicit task id / game file (kept as given)."""
    if isinstance(task, bool):
        raise bad_request("reset: task must be an index or a task id, got %r" % (task,))
    if isinstance(task, int):
        if task < 0 or task >= len(tasks):
            raise BridgeError(
                "bad_task",
                "task index %d out of range: kind %r has %d task(s)" % (task, kind, len(tasks)),
            )
        return tasks[task]
    if isinstance(task, str) and task:
        return task
    raise bad_request("reset: task must be an index or a non-empty task id, got %r" % (task,))


class Instance:
    """One environment instance. Subclasses fill ``tasks`` and implement ``_reset``/``_step``,
    each returning a dict with observation, reward, done, won, score, admissible (and
    optionally expert, anchor, info)."""

    kind = "?"

    def __init__(self, config):
        self.config = config
        self.tasks = []
        self.task = None
        self.done = False
        self.steps = 0

    def describe(self):
        return {"n_tasks": len(self.tasks), "tasks": [str(t) for t in self.tasks[:1000]]}

    def reset(self, task):
        resolved = _resolve_task(task, self.tasks, self.kind)
        # A failed reset leaves the instance needing a reset, never half-started.
        self.task = None
        self.done = False
        self.steps = 0
        out = self._reset(resolved)
        self.task = resolved
        self.done = bool(out.get("done", False))
        out["task"] = str(resolved)
        return out

    def step(self, action):
        if self.task is None:
            raise BridgeError("not_reset", "step before the first reset")
        if self.done:
            raise BridgeError(
                "episode_done", "the episode is over (no auto-reset); send reset first"
            )
        out = self._step(action)
        self.steps += 1
        self.done = bool(out.get("done", False))
        return out

    def close(self):
        pass


def _unique_in_order(items):
    seen, out = set(), []
    for a in items:
        a = str(a)
        if a not in seen:
            seen.add(a)
            out.append(a)
    return out


def _outcome(observation, reward, done, won, score, admissible, expert=None, ordered=False,
             **extra):
    """One reset/step answer. ``ordered`` keeps the admissible actions in the environment's
    order (WebShop lists them in page order, as verl-agent shows them); otherwise sorted."""
    out = {
        "observation": "" if observation is None else str(observation),
        "reward": float(reward or 0.0),
        "done": bool(done),
        "won": bool(won),
        "score": float(score or 0.0),
        "admissible": (_unique_in_order if ordered else _sorted_unique)(admissible or []),
    }
    if expert is not None:
        out["expert"] = [str(a) for a in expert]
    out.update(extra)
    return out
