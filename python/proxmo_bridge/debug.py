"""The ``debug`` kind: no third-party packages; used by the protocol tests."""

import os
import time

from .common import Instance, _outcome, bad_request


class DebugInstance(Instance):
    """Every task is won by the action ``win``; ``crash`` kills the adapter (exit status 7).
    Config: ``n_tasks`` (default 3), ``step_sleep_s`` (delays each step, to test timeouts),
    ``chatty`` (each step also prints to stdout, to test that stray output cannot corrupt the
    protocol). Observations echo the task and the action."""

    kind = "debug"

    def __init__(self, config):
        super().__init__(config)
        n = config.get("n_tasks", 3)
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise bad_request("debug: n_tasks must be a positive integer")
        self.tasks = ["debug-%d" % i for i in range(n)]
        self.sleep = float(config.get("step_sleep_s", 0.0))
        self.chatty = bool(config.get("chatty", False))

    def _reset(self, task):
        return _outcome("task %s: say win" % task, 0.0, False, False, 0.0, ["look", "win"],
                        expert=["win"])

    def _step(self, action):
        if self.sleep > 0:
            time.sleep(self.sleep)
        if action == "crash":
            os._exit(7)
        if self.chatty:  # libraries that print must not corrupt the protocol stream
            print("debug: chatty print to stdout")
            os.write(1, b"debug: chatty write to fd 1\n")
        won = action == "win"
        return _outcome("task %s step %d: you said %r" % (self.task, self.steps + 1, action),
                        1.0 if won else 0.0, won, won, 1.0 if won else 0.0, ["look", "win"],
                        expert=[] if won else ["win"])
