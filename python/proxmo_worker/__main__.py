"""`python -m proxmo_worker`: serve proxmo's worker protocol on stdin/stdout."""

import argparse
import sys

from .worker import main

USAGE = """proxmo's model worker. proxmo starts it (policy.lm's `python`, e.g. a Python with torch
and transformers, or `torchrun --nproc_per_node N`) and sends one JSON request per line on
stdin: hello, generate, logprobs, train, save, load, shutdown. Each gets one JSON answer line
on stdout; logs go to stderr. The protocol is docs/worker-protocol.md in the repository."""

if __name__ == "__main__":
    argparse.ArgumentParser(prog="python -m proxmo_worker", description=USAGE,
                            formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    sys.exit(main())
