"""Shared by the package tests: the proxmo binary they compare against, and the rule that
`PROXMO_REQUIRE_PY_TESTS=1` (set by CI) turns every skip into a failure."""

import os
import shutil

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def require_or_skip(reason):
    if os.environ.get("PROXMO_REQUIRE_PY_TESTS") == "1":
        pytest.fail(reason + " (PROXMO_REQUIRE_PY_TESTS=1 makes this a failure)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def binary():
    """The proxmo binary: $PROXMO, the repository's release build, or PATH."""
    for candidate in (os.environ.get("PROXMO"),
                      os.path.join(ROOT, "target", "release", "proxmo"),
                      shutil.which("proxmo")):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    require_or_skip("no proxmo binary: build it with `cargo build --release` or set $PROXMO")


@pytest.fixture(scope="session")
def torch():
    try:
        import torch
    except ImportError:
        require_or_skip("torch is not installed: the verl-agent drop-ins need it")
    return torch
