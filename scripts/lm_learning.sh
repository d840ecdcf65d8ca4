#!/usr/bin/env bash
# The language-model learning benchmark: the `small` preset on ALFWorld (or WebShop),
# warm-started once on the expert's demonstrations (pipeline `sft`), then PPO with ProxMO,
# GRPO and GiGPO credit on the same budget, all from that warm start, over seeds
# (scripts/compare.sh), and the comparison on the evaluation split (`proxmo report`).
#
#   scripts/lm_learning.sh runs/alfworld_lm 1 3 --set lm.python=.venv/bin/python
#   PIPE=pipelines/webshop_lm.pipe scripts/lm_learning.sh runs/webshop_lm 1 3 --set ...
#
# Settings (environment): PIPE (pipelines/alfworld_lm.pipe), MODEL (small: a preset or a
# model directory), SFT_ITERATIONS (70), SFT_LR (1e-3), PPO_ITERATIONS (20), PPO_LR (the pipeline's lm.lr),
# PPO_EVAL_EVERY (10), METHODS ("proxmo grpo gigpo"), PROXMO (the binary), WARM_START (a
# warm-started model directory to start PPO from, instead of running the warm start).
# Arguments after the seeds go to every run. An interrupted benchmark resumes: the warm
# start is kept once written, and finished runs are skipped.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 OUT_DIR FIRST_SEED LAST_SEED [--set STAGE.PARAM=VALUE ...]" >&2
    exit 2
fi
out=$1 first=$2 last=$3
shift 3
bin=${PROXMO:-target/release/proxmo}
pipe=${PIPE:-pipelines/alfworld_lm.pipe}
sft_iterations=${SFT_ITERATIONS:-70}
ppo_iterations=${PPO_ITERATIONS:-20}
mkdir -p "$out"
# The warm start saves its model after every batch; its metrics file appears when it ends.
# WARM_START=DIR uses a model an earlier `--pipeline sft` saved instead.
warm=${WARM_START:-$out/sft}
if [ -z "${WARM_START:-}" ] && [ ! -s "$out/sft.metrics.jsonl" ]; then
    echo "$(date +%T) warm start: $sft_iterations batches of demonstrations" >&2
    "$bin" run "$pipe" --pipeline sft --quiet \
        --set "lm.model=${MODEL:-small}" \
        --set "iterations=$sft_iterations" --set "eval_every=$sft_iterations" \
        --set "expert.lr=${SFT_LR:-1e-3}" \
        --set "warm_start.save=$out/sft" --set "out_sft.path=$out/sft.metrics.jsonl.part" "$@"
    mv "$out/sft.metrics.jsonl.part" "$out/sft.metrics.jsonl"
fi
# Each PPO run evaluates before its first batch too (the warm start, with the run's own
# evaluation draws), so every run gives a paired before -> after difference.
METHODS=${METHODS:-proxmo grpo gigpo} CHECKPOINT=1 PROXMO=$bin scripts/compare.sh "$pipe" "$out" "$first" "$last" \
    --set "lm.model=$warm" ${PPO_LR:+--set "lm.lr=$PPO_LR"} \
    --set "iterations=$ppo_iterations" --set "eval_every=${PPO_EVAL_EVERY:-10}" \
    --set eval_before=true "$@"
