#!/usr/bin/env bash
# Fuzz campaigns (docs/fuzzing.md).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Configures a clang build in build-fuzz/ with -DHF2GGUF_FUZZ=ON (libFuzzer + ASan + UBSan),
# builds the `fuzz` target, makes seed corpora in build-fuzz/corpus/NAME/ from the real files
# in ../shared/models (plus GGUF files converted by build/hf2gguf from the stories checkpoints
# and from `hf2gguf synth` checkpoints of several architectures) and tests/corpus/NAME/, then
# runs each target for SECONDS_PER_TARGET (default 600), at most FUZZ_JOBS (default 2) at a
# time, with -rss_limit_mb=2048 -timeout=10. Prints per target the executions, coverage
# (cov/ft of the final corpus, replayed once with -runs=0) and any crash/leak/timeout/oom
# file (left in build-fuzz/findings/NAME/). Logs:
# build-fuzz/logs/NAME.log. Targets default to every tests/fuzz/fuzz_*.c.
# FUZZ_KEEP_GOING=1 (the default) runs libFuzzer with -fork=1 -ignore_crashes=1
# -ignore_timeouts=1 -ignore_ooms=1, so a campaign runs its whole time and collects every
# finding; FUZZ_KEEP_GOING=0 stops each target at its first finding (plain libFuzzer).
# Exits 1 if any target left a finding.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECS=${1:-600}
[ $# -gt 0 ] && shift
JOBS=${FUZZ_JOBS:-2}
KEEP=()
[ "${FUZZ_KEEP_GOING:-1}" = 1 ] && KEEP=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
SHARED=${HF2GGUF_SHARED_DIR:-$ROOT/../shared}
M=$SHARED/models
B=$ROOT/build-fuzz
HF=$ROOT/build/hf2gguf

if [ $# -gt 0 ]; then TARGETS=("$@"); else
    TARGETS=()
    for f in tests/fuzz/fuzz_*.c; do n=${f##*/fuzz_}; TARGETS+=("${n%.c}"); done
fi

cmake -S . -B "$B" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHF2GGUF_FUZZ=ON >/dev/null
cmake --build "$B" -j"$(nproc)" --target fuzz
[ -x "$HF" ] || bash scripts/build.sh

# ---- seed corpora ---------------------------------------------------------------------
C=$B/corpus
W=$B/seed-work
mkdir -p "$C" "$W"
seed() { # seed NAME FILE [COPY_NAME]
    mkdir -p "$C/$1"
    [ -f "$2" ] && cp -f "$2" "$C/$1/${3:-$(basename "$2")}" && chmod u+w "$C/$1/${3:-$(basename "$2")}"
    return 0
}
if [ ! -f "$W/.done" ]; then
    rm -rf "$W"; mkdir -p "$W"
    # GGUF files: the stories checkpoints and small synth checkpoints, converted (+ fused).
    i=0
    for d in "$M/stories260K-hf" "$M/stories260K-hf-untied"; do
        i=$((i + 1))
        "$HF" convert "$d" --outtype f32 --outfile "$W/stories$i-f32.gguf" >/dev/null 2>&1 || true
        "$HF" convert "$d" --outtype q8_0 --outfile "$W/stories$i-q8_0.gguf" >/dev/null 2>&1 || true
    done
    SHAPE=(--layers 2 --embd 64 --ff 256 --heads 4 --kv-heads 2 --vocab 512 --ctx 64)
    # "ARCH [synth options that override SHAPE]" (phi2: llama.cpp wants kv-heads = heads)
    for spec in "llama" "llama --untied" "qwen2" "qwen3" "phi2 --kv-heads 4" "starcoder2" "stablelm"; do
        read -r arch rest <<< "$spec"
        read -r -a extra <<< "${rest:-}"
        tag=${rest//-/}; dir=$W/synth-$arch${tag:+-${tag// /}}
        "$HF" synth "$dir" --arch "$arch" "${SHAPE[@]}" "${extra[@]}" --tokenizer-from "$M/stories260K-hf" \
            >/dev/null 2>&1 || { echo "fuzz.sh: synth $arch failed (skipped)"; continue; }
        "$HF" convert "$dir" --outtype f16 --outfile "$dir.gguf" >/dev/null 2>&1 || continue
        "$HF" convert "$dir" --outtype q8_0 --fuse-qkv --outfile "$dir-fused.gguf" >/dev/null 2>&1 || true
    done
    # A sharded checkpoint, for an index.json seed.
    "$HF" synth "$W/synth-sharded" --arch llama --layers 4 --embd 256 --ff 512 --heads 4 --kv-heads 4 \
        --vocab 512 --max-shard-mb 1 --tokenizer-from "$M/stories260K-hf" >/dev/null 2>&1 || true
    # Gemma 3's tokenizer.json is xz-compressed.
    xz -dc "$M/hf-tokenizers/gemma3/tokenizer.json.xz" > "$W/gemma3-tokenizer.json" 2>/dev/null || rm -f "$W/gemma3-tokenizer.json"
    touch "$W/.done"
fi
for t in gguf rt_model gt_fuse; do
    for f in "$W"/*.gguf; do seed $t "$f"; done
done
for f in "$M"/gguf-vocab/*.gguf; do seed gguf "$f"; seed gt_fuse "$f"; done
seed rt_model "$M/gguf-vocab/ggml-vocab-llama-spm.gguf"
for f in "$M/stories260K-hf/model.safetensors" "$M/stories260K-hf-untied/model.safetensors" "$W"/synth-*/*.safetensors; do
    [ -f "$f" ] && seed st "$f" "$(basename "$(dirname "$f")")-$(basename "$f")"
done
seed st_index "$W/synth-sharded/model.safetensors.index.json"
for f in "$M"/*/config.json "$W"/synth-*/config.json; do seed config "$f" "$(basename "$(dirname "$f")").json"; done
# tokjson: the real tokenizers cut to 400 tokens (scripts/fuzz_shrink_tok.py; whole ones are
# MBs: a few execs/s and timeouts), alone and with a NUL + their tokenizer_config.json.
mkdir -p "$C/tokjson"
for d in "$M"/hf-tokenizers/*/; do
    n=$(basename "$d")
    tj=$d/tokenizer.json; [ -f "$tj" ] || tj=$W/$n-tokenizer.json
    [ -f "$tj" ] || continue
    python3 scripts/fuzz_shrink_tok.py "$tj" "$C/tokjson/$n-small.json" 400 || continue
    [ -f "$d/tokenizer_config.json" ] && python3 - "$d/tokenizer_config.json" "$C/tokjson/$n-small.json" \
        "$C/tokjson/$n-small+config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1], encoding="utf-8"))
atd = c.get("added_tokens_decoder")
if isinstance(atd, dict):
    c["added_tokens_decoder"] = dict(list(atd.items())[:16])
open(sys.argv[3], "wb").write(open(sys.argv[2], "rb").read() + b"\0" + json.dumps(c).encode())
PY
done
for f in "$M/llama2-sentencepiece/tokenizer.model" "$M/stories260K-hf/tokenizer.model" "$M/stories260K/tok512.model"; do
    seed spm "$f" "$(basename "$(dirname "$f")")-$(basename "$f")"
done
for f in tests/data/cards/*; do seed card "$f"; done
# tok_encode: byte 0 picks the vocabulary (fuzz_tok_encode.c order), byte 1 the flags.
k=0
for v in falcon gpt-2 llama-bpe llama-spm phi-3 qwen2 qwen35 starcoder; do
    mkdir -p "$C/tok_encode"
    [ -f "$M/gguf-vocab/ggml-vocab-$v.gguf.inp" ] &&
        { printf "\\$(printf %03o $k)\\003"; cat "$M/gguf-vocab/ggml-vocab-$v.gguf.inp"; } > "$C/tok_encode/$v.inp"
    k=$((k + 1))
done
for t in "${TARGETS[@]}"; do
    mkdir -p "$C/$t"
    [ -d "tests/corpus/$t" ] && cp -f tests/corpus/"$t"/* "$C/$t/" 2>/dev/null || true
done

# ---- campaigns ----------------------------------------------------------------------
mkdir -p "$B/logs"
run_one() {
    local t=$1 find=$B/findings/$1
    mkdir -p "$find"
    (cd "$find" && "$B/fuzz_$t" -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 "${KEEP[@]}" \
        -artifact_prefix="$find/" "$C/$t" > "$B/logs/$t.log" 2>&1) || true
}
running=0
for t in "${TARGETS[@]}"; do
    [ -x "$B/fuzz_$t" ] || { echo "fuzz.sh: no target fuzz_$t"; exit 1; }
    echo "fuzz.sh: $t for ${SECS}s"
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then wait -n || true; running=$((running - 1)); fi
done
wait

# ---- summary --------------------------------------------------------------------------
bad=0
printf '%-12s %12s %8s %8s %s\n' target execs cov ft findings
for t in "${TARGETS[@]}"; do
    log=$B/logs/$t.log
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    [ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' <<< "$last" | tr -d '#')
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
    # Fork mode's running cov undercounts; replay the final corpus once for comparable numbers.
    inited=$("$B/fuzz_$t" -runs=0 -rss_limit_mb=2048 "$C/$t" 2>&1 | grep -E '^#[0-9]+ +INITED' | tail -1 || true)
    icov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$inited")
    ift=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$inited")
    [ -n "$icov" ] && cov=$icov && ft=$ift
    found=$(ls "$B/findings/$t" 2>/dev/null | tr '\n' ' ')
    [ -n "$found" ] && bad=1
    printf '%-12s %12s %8s %8s %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${found:-none}"
done
exit $bad
