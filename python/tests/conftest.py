"""Shared by the Python tests.

- The package tests (test_package.py) compare against the proxmo binary; under
  `PROXMO_REQUIRE_PY_TESTS=1` (CI) their skips are failures.
- The model-worker tests need torch and transformers and a tiny model directory (built once
  per session); under `PROXMO_REQUIRE_LM_TESTS=1` (CI) a missing one is a failure."""

import os
import shutil
import subprocess
import sys

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


PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Appended, not prepended: the installed `proxmo` package must win over the source folder
# python/proxmo, while proxmo_lm and proxmo_worker are found here.
sys.path.append(PYTHON_DIR)


def require(module):
    try:
        return __import__(module)
    except ImportError:
        if os.environ.get("PROXMO_REQUIRE_LM_TESTS") == "1":
            raise
        pytest.skip(f"{module} is not installed", allow_module_level=True)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """PROXMO_TINY_MODEL, or a tiny model built here with python/make_tiny_model.py."""
    require("torch")
    require("transformers")
    given = os.environ.get("PROXMO_TINY_MODEL")
    if given:
        return given
    out = str(tmp_path_factory.mktemp("models") / "tiny")
    subprocess.run([sys.executable, os.path.join(PYTHON_DIR, "make_tiny_model.py"), out],
                   check=True)
    return out
