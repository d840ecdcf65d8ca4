#!/usr/bin/env bash
# Runs every method of a training pipeline on several seeds, one run at a time, then prints
# the comparison (`proxmo report`). Runs whose metrics file exists are skipped, so an
# interrupted comparison resumes where it stopped; a run in progress (its `.part` file
# exists) is skipped too, so two of these can share the work (after an interruption, delete
# the stale `.part` files).
#
#   scripts/compare.sh pipelines/train_alfworld.pipe runs/alfworld 1 8
#   scripts/compare.sh pipelines/train_webshop.pipe  runs/webshop  1 8
#
# Arguments after the seeds go to every run (`--set lm.model=DIR ...`). CHECKPOINT=1 gives
# every run a checkpoint (OUT_DIR/METHOD.SEED.ck) and resumes interrupted ones instead of
# skipping them (then two of these must not share OUT_DIR).
#
# Methods: proxmo no_psc no_psa gigpo grpo (override with METHODS="..."); the binary is
# $PROXMO, else target/release/proxmo (build it with `cargo build --release`).
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "usage: $0 PIPE OUT_DIR FIRST_SEED LAST_SEED [--set STAGE.PARAM=VALUE ...]" >&2
    exit 2
fi
pipe=$1 out=$2 first=$3 last=$4
shift 4
bin=${PROXMO:-target/release/proxmo}
methods=${METHODS:-proxmo no_psc no_psa gigpo grpo}
mkdir -p "$out"
for seed in $(seq "$first" "$last"); do
    for m in $methods; do
        file=$out/$m.$seed.metrics.jsonl
        [ -s "$file" ] && continue
        # With CHECKPOINT=1 each run saves its state after every batch and an interrupted
        # one is continued (`--resume`), so long runs survive a lost session.
        ck=()
        if [ "${CHECKPOINT:-0}" = 1 ]; then
            ck=(--set "checkpoint=$out/$m.$seed.ck")
            [ -e "$out/$m.$seed.ck/state.json" ] && ck+=(--resume)
        else
            [ -e "$file.part" ] && continue
        fi
        echo "$(date +%T) $pipe $m seed $seed ${ck[*]}" >&2
        "$bin" run "$pipe" --pipeline "$m" --set seed="$seed" \
            --set "out_$m.path=$file.part" --quiet "$@" "${ck[@]}"
        mv "$file.part" "$file"
    done
done
files=()
for m in $methods; do
    for seed in $(seq "$first" "$last"); do files+=("$out/$m.$seed.metrics.jsonl"); done
done
for f in "${files[@]}"; do [ -s "$f" ] || exit 0; done   # another worker is still running
"$bin" report "${files[@]}"
