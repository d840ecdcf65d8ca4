"""The model worker on the tiny model: PPO moves log-probs the advantage's way, a zero
advantage moves nothing, save/load round-trips, seeded sampling is reproducible, and the
protocol survives bad requests (in-process, then through a real subprocess)."""

import json
import os
import subprocess
import sys

import pytest

from conftest import require

import proxmo_worker  # noqa: E402

torch = require("torch")


def worker(model, **settings):
    w = proxmo_worker.Worker()
    w.handle({"op": "hello", "model": model, **settings})
    return w


def prompt_and_response(w, seed=1):
    prompt = [5, 17, 33, 8, 250]
    out = w.handle({"op": "generate", "prompts": [prompt], "max_new_tokens": 6, "seed": seed})
    return prompt, out["responses"][0]["ids"]


def logprobs(w, prompt, response):
    return w.handle({"op": "logprobs",
                     "sequences": [{"prompt": prompt, "response": response}]})["logprobs"][0]


def ppo_step(w, prompt, response, advantage):
    old = logprobs(w, prompt, response)
    row = {"prompt": prompt, "response": response, "old_logprobs": old, "advantage": advantage}
    return old, w.handle({"op": "train", "loss": "ppo", "micro_batches": [[row]]})["metrics"]


@pytest.mark.parametrize("advantage", [1.0, -1.0])
def test_one_ppo_step_moves_the_response_log_prob_with_the_advantage(tiny_model, advantage):
    w = worker(tiny_model, lr=1e-3, kl_coef=0.0, entropy_coef=0.0, weight_decay=0.0)
    prompt, response = prompt_and_response(w)
    old, metrics = ppo_step(w, prompt, response, advantage)
    new = logprobs(w, prompt, response)
    change = sum(new) - sum(old)
    assert change * advantage > 0, (old, new)
    assert metrics["stepped"] and metrics["grad_norm"] > 0
    assert metrics["tokens"] == len(response)
    # The first step's ratio is 1: nothing clipped, no drift yet.
    assert metrics["pg_clipfrac"] == 0.0 and abs(metrics["ppo_kl"]) < 1e-6
    assert metrics["pg_loss"] == pytest.approx(-advantage, abs=1e-6)


def test_zero_advantages_without_kl_entropy_or_decay_leave_the_weights_unchanged(tiny_model):
    w = worker(tiny_model, lr=1e-2, kl_coef=0.0, entropy_coef=0.0, weight_decay=0.0)
    before = {k: v.clone() for k, v in w.policy.model.state_dict().items()}
    prompt, response = prompt_and_response(w)
    _, metrics = ppo_step(w, prompt, response, 0.0)
    assert metrics["grad_norm"] == 0.0
    after = w.policy.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_no_reference_model_is_kept_when_kl_coef_is_zero(tiny_model):
    assert worker(tiny_model, kl_coef=0.0).policy.reference is None
    w = worker(tiny_model, kl_coef=0.01, lr=1e-2)
    assert w.policy.reference is not None
    prompt, response = prompt_and_response(w)
    ppo_step(w, prompt, response, 1.0)
    # After one update the policy has left the reference: the k3 term is positive.
    _, metrics = ppo_step(w, prompt, response, 1.0)
    assert metrics["kl_ref"] > 0


def test_micro_batches_accumulate_into_one_token_mean_step(tiny_model):
    rows = []
    w = worker(tiny_model, lr=1e-3, kl_coef=0.0, entropy_coef=0.0)
    for seed in (1, 2, 3):
        prompt, response = prompt_and_response(w, seed)
        rows.append({"prompt": prompt[: 2 + seed], "response": response,
                     "old_logprobs": logprobs(w, prompt[: 2 + seed], response),
                     "advantage": float(seed - 2)})
    # AdamW's first step is about lr * sign(g): a gradient that is zero up to rounding (and so
    # summed in another order by the split) could move a weight by +lr or -lr. A large Adam
    # eps (with lr 1, so steps stay far above the tolerance) makes the step proportional to
    # the gradient, so the weights compare the accumulated gradients.
    whole = worker(tiny_model, lr=1.0, kl_coef=0.0, entropy_coef=0.0, eps=1.0)
    split = worker(tiny_model, lr=1.0, kl_coef=0.0, entropy_coef=0.0, eps=1.0)
    start = {k: v.clone() for k, v in whole.policy.model.state_dict().items()}
    a = whole.handle({"op": "train", "micro_batches": [rows]})["metrics"]
    b = split.handle({"op": "train", "micro_batches": [rows[:1], rows[1:]]})["metrics"]
    assert a["tokens"] == b["tokens"] == sum(len(r["response"]) for r in rows)
    assert b["loss"] == pytest.approx(a["loss"], abs=1e-6)
    assert b["grad_norm"] == pytest.approx(a["grad_norm"], rel=1e-4)
    pw, ps = whole.policy.model.state_dict(), split.policy.model.state_dict()
    assert all(torch.allclose(pw[k], ps[k], atol=1e-6) for k in pw)
    moved = max((pw[k] - start[k]).abs().max().item() for k in pw)
    assert moved > 1e-4, "the step moved the weights well beyond the tolerance"


def test_sft_steps_lower_the_cross_entropy_of_the_response(tiny_model):
    w = worker(tiny_model, lr=1e-2)
    prompt, response = prompt_and_response(w)
    batch = {"op": "train", "loss": "sft",
             "micro_batches": [[{"prompt": prompt, "response": response}]]}
    first = w.handle(batch)["metrics"]["loss"]
    for _ in range(3):
        last = w.handle(batch)["metrics"]["loss"]
    assert last < first


def test_the_lr_warms_up_then_decays_by_cosine_and_resumes_from_the_optimiser_state(
        tiny_model, tmp_path):
    settings = dict(lr=1e-3, lr_warmup_steps=2, lr_decay_steps=4, kl_coef=0.0)
    w = worker(tiny_model, **settings)
    prompt, response = prompt_and_response(w)
    lrs = [ppo_step(w, prompt, response, 1.0)[1]["lr"] for _ in range(2)]
    path = str(tmp_path / "m")
    w.handle({"op": "save", "path": path})
    resumed = worker(tiny_model, **settings)
    resumed.handle({"op": "load", "path": path})
    lrs += [ppo_step(resumed, prompt, response, 1.0)[1]["lr"] for _ in range(3)]
    # Warm-up 1/2 then 2/2 of lr, times the cosine at steps 0..4 of 4; 0 once it has decayed.
    expected = [1e-3 * 0.5 * 1.0, 1e-3 * 0.5 * (1 + 0.5 ** 0.5), 1e-3 * 0.5,
                1e-3 * 0.5 * (1 - 0.5 ** 0.5), 0.0]
    assert lrs == pytest.approx(expected, abs=1e-12)


def test_a_constant_lr_by_default(tiny_model):
    w = worker(tiny_model, lr=1e-3)
    prompt, response = prompt_and_response(w)
    assert [ppo_step(w, prompt, response, 1.0)[1]["lr"] for _ in range(2)] == [1e-3, 1e-3]


def test_a_save_never_replaces_a_directory_holding_other_files(tiny_model, tmp_path):
    w = worker(tiny_model)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("precious")
    with pytest.raises(ValueError, match="precious.txt"):
        w.handle({"op": "save", "path": str(victim)})
    assert (victim / "precious.txt").read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["victim"], "no temporary left"
    # A directory an earlier save wrote is replaced, as a warm start saving every batch needs.
    model = tmp_path / "model"
    w.handle({"op": "save", "path": str(model)})
    w.handle({"op": "save", "path": str(model)})
    assert (model / "model.safetensors").is_file()
    (model / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="notes.txt"):
        w.handle({"op": "save", "path": str(model)})
    assert (model / "notes.txt").read_text() == "mine"


def test_save_then_load_gives_identical_log_probs(tiny_model, tmp_path):
    w = worker(tiny_model, lr=1e-2)
    prompt, response = prompt_and_response(w)
    ppo_step(w, prompt, response, 1.0)  # weights and optimiser state move off the start
    trained = logprobs(w, prompt, response)
    path = str(tmp_path / "checkpoint")
    w.handle({"op": "save", "path": path})
    for name in ("model.safetensors", "config.json", "tokenizer.json", "chat_template.jinja",
                 "optimizer.pt"):
        assert os.path.isfile(os.path.join(path, name)), name
    fresh = worker(tiny_model, lr=1e-2)
    assert logprobs(fresh, prompt, response) != trained
    fresh.handle({"op": "load", "path": path})
    assert logprobs(fresh, prompt, response) == trained
    # The saved directory is itself a model a new worker can start from.
    assert logprobs(worker(path), prompt, response) == trained
    # Saving again over it replaces it whole.
    w.handle({"op": "save", "path": path})
    assert sorted(os.listdir(tmp_path)) == ["checkpoint"]


def test_seeded_generation_is_reproducible_and_log_probs_are_the_policy_s(tiny_model):
    w = worker(tiny_model)
    request = {"op": "generate", "prompts": [[5, 6, 7], [9]], "max_new_tokens": 8,
               "temperature": 1.0, "seed": 11}
    a = w.handle(request)["responses"]
    b = w.handle(request)["responses"]
    assert a == b
    c = w.handle({**request, "seed": 12})["responses"]
    assert c != a
    for prompt, out in zip(request["prompts"], a):
        assert out["finish"] in ("eos", "length")
        assert len(out["ids"]) == len(out["logprobs"])
        again = logprobs(w, prompt, out["ids"])
        assert again == pytest.approx(out["logprobs"], abs=1e-4)
    # At temperature 0.5 and top_p 0.9 the returned log-probs are still the policy's own.
    hot = w.handle({**request, "temperature": 0.5, "top_p": 0.9})["responses"][0]
    assert logprobs(w, [5, 6, 7], hot["ids"]) == pytest.approx(hot["logprobs"], abs=1e-4)


def test_left_padding_does_not_change_what_a_prompt_generates(tiny_model):
    w = worker(tiny_model)
    short, long = [5, 6, 7], list(range(40, 80))
    greedy = {"op": "generate", "temperature": 0, "max_new_tokens": 6}
    alone = w.handle({**greedy, "prompts": [short]})["responses"][0]
    batched = w.handle({**greedy, "prompts": [long, short]})["responses"][1]
    assert batched["ids"] == alone["ids"]
    assert batched["logprobs"] == pytest.approx(alone["logprobs"], abs=1e-4)


def test_generation_stops_at_eos_and_keeps_it(tiny_model):
    w = worker(tiny_model)
    greedy = {"op": "generate", "temperature": 0, "max_new_tokens": 6, "prompts": [[5, 6, 7]]}
    first = w.handle(greedy)["responses"][0]["ids"][0]
    w.policy.eos_ids = [first]
    out = w.handle(greedy)["responses"][0]
    assert out["ids"] == [first] and out["finish"] == "eos"


def run_worker(lines):
    proc = subprocess.run([sys.executable, "-m", "proxmo_worker"],
                          input="".join(line + "\n" for line in lines), capture_output=True,
                          text=True, timeout=300)
    return proc.returncode, [json.loads(line) for line in proc.stdout.splitlines()]


def test_protocol_through_a_subprocess_survives_bad_requests(tiny_model):
    good = json.dumps({"op": "generate", "prompts": [[1, 2]], "max_new_tokens": 2, "id": 7})
    code, answers = run_worker([
        "this is not json",
        "[1, 2]",
        json.dumps({"op": "generate", "prompts": [[1]]}),
        json.dumps({"op": "hello", "model": tiny_model, "lr": "fast"}),
        json.dumps({"op": "hello", "model": tiny_model, "learning_rate": 1}),
        json.dumps({"op": "hello", "model": "/no/such/dir"}),
        json.dumps({"op": "hello", "model": tiny_model}),
        json.dumps({"op": "dance"}),
        json.dumps({"op": "generate", "prompts": [[1, 99999999]]}),
        json.dumps({"op": "train", "micro_batches": [[{"prompt": [1], "response": [2, 3],
                                                        "old_logprobs": [-1.0],
                                                        "advantage": 1.0}]]}),
        json.dumps({"op": "load", "path": "/no/such/dir"}),
        good,
        json.dumps({"op": "shutdown"}),
        good,  # never read: the worker has exited
    ])
    assert code == 0
    oks = [a["ok"] for a in answers]
    assert oks == [False, False, False, False, False, False, True, False, False, False, False,
                   True, True]
    errors = [a.get("error", "") for a in answers]
    assert "not JSON" in errors[0] and "not a JSON object" in errors[1]
    assert "send hello first" in errors[2]
    assert "`lr` must be a number" in errors[3]
    assert "learning_rate" in errors[4]
    assert "/no/such/dir" in errors[5]
    assert answers[6]["architecture"] == "Qwen2ForCausalLM" and answers[6]["protocol"] == 1
    assert "unknown op" in errors[7]
    assert "prompts[0][1]" in errors[8]
    assert "micro_batches[0][0].old_logprobs" in errors[9]
    assert "no model.safetensors" in errors[10]
    assert answers[11]["id"] == 7 and len(answers[11]["responses"][0]["ids"]) == 2


def test_the_worker_exits_cleanly_at_end_of_input():
    code, answers = run_worker([json.dumps({"op": "nothing"})])
    assert code == 0 and answers[0]["ok"] is False


def test_lora_trains_adapters_only_and_saves_a_merged_model(tiny_model, tmp_path):
    pytest.importorskip("peft")
    w = proxmo_worker.Worker()
    facts = w.handle({"op": "hello", "model": tiny_model, "lr": 1e-2, "lora_rank": 4,
                      "kl_coef": 0.01})
    assert 0 < facts["trainable_parameters"] < facts["parameters"]
    assert facts["reference_model"]
    prompt, response = prompt_and_response(w)
    old, _ = ppo_step(w, prompt, response, 1.0)
    _, metrics = ppo_step(w, prompt, response, 1.0)
    assert metrics["kl_ref"] > 0  # the adapters moved the policy off the base model
    trained = logprobs(w, prompt, response)
    assert sum(trained) > sum(old)
    path = str(tmp_path / "merged")
    w.handle({"op": "save", "path": path})
    assert not os.path.exists(os.path.join(path, "adapter_config.json"))
    assert logprobs(worker(path), prompt, response) == pytest.approx(trained, abs=1e-5)
