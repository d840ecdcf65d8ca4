"""Shared fixtures: the tiny model directory (built once per session) and a skip rule.

The worker tests need torch and transformers; without them they skip, unless
PROXMO_REQUIRE_LM_TESTS=1 (CI), which turns the skip into a failure."""

import os
import subprocess
import sys

import pytest

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, PYTHON_DIR)


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
