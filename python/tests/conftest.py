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


def require(module):
    try:
        return __import__(module)
    except ImportError:
        if os.environ.get("PROXMO_REQUIRE_LM_TESTS") == "1":
            raise
        pytest.skip(f"{module} is not installed", allow_module_level=True)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """PROXMO_TINY_MODEL, or a tiny model built here by proxmo_worker.build_model with the
    tokenizer fitted on the environments' prompts (the env_prompts example), as CI does."""
    require("torch")
    require("transformers")
    given = os.environ.get("PROXMO_TINY_MODEL")
    if given:
        return given
    models = tmp_path_factory.mktemp("models")
    prompts = models / "prompts.jsonl"
    with open(prompts, "w") as f:
        subprocess.run(["cargo", "run", "--release", "--quiet", "--example", "env_prompts"],
                       cwd=ROOT, stdout=f, check=True)
    out = str(models / "tiny")
    subprocess.run([sys.executable, "-m", "proxmo_worker.build_model", out,
                    "--corpus", str(prompts)], check=True)
    return out
