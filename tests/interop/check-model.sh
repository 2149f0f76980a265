#!/usr/bin/env bash
# One interop test: one checkpoint, one outtype, all three QKV layouts written by `hf2gguf convert`.
#
#   check-model.sh HF2GGUF_BIN MODEL_DIR SOURCE_DIR WORKDIR NAME OUTTYPE
#
# 1. converts MODEL_DIR three times: unfused, --fuse-qkv, --fuse-qkv --qkv-bias separate,
#    and checks the files really have those layouts (layout.mjs);
# 2. llama.cpp loads each and greedily generates 32 tokens: identical tokens and identical top-5
#    probabilities across the layouts; for f32 also the tokens recorded from the f32 file of
#    llama.cpp's own converter (expected/NAME.json), and the raw-logits program (llama_logits)
#    must reproduce them too (generate.mjs, llama_logits);
# 3. @huggingface/gguf sees exactly what `hf2gguf info --json` reports (reader.mjs);
# 4. for f32 also --vocab-only: llama.cpp loads it and tokenizes/detokenizes as recorded (vocab.mjs),
#    and the second reader agrees on it too.
# WORKDIR is the fixture made by setup.sh.
set -euo pipefail
bin=$1 model_dir=$2 src=$3 work=$4 name=$5 type=$6
npm_dir=$work/npm
out=$work/out/$name-$type
rm -rf "$out"
mkdir -p "$out"

convert() { # LAYOUT [convert options...]
    local layout=$1
    shift
    "$bin" convert "$model_dir" --outfile "$out/$name-$type-$layout.gguf" --outtype "$type" "$@"
}
convert unfused
convert fused --fuse-qkv
convert fused-sepbias --fuse-qkv --qkv-bias separate
files=("$out/$name-$type-unfused.gguf" "$out/$name-$type-fused.gguf" "$out/$name-$type-fused-sepbias.gguf")

node "$npm_dir/layout.mjs" "${files[@]}"

expect=()
if [[ $type == f32 ]]; then
    expected=$src/tests/interop/expected/$name.json
    expect=(--expect "$expected" --checkpoint "$model_dir")
fi
node "$npm_dir/generate.mjs" "${expect[@]}" "${files[@]}"

if [[ $type == f32 ]]; then
    # The C program (used for raw logits) must be the same llama.cpp: same greedy tokens.
    prompt_tokens=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).promptTokens.join(","))' "$expected")
    want=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).tokens.join(","))' "$expected")
    bins=$npm_dir/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64
    for f in "${files[@]}"; do
        got=$("$work/llama_logits" "$f" --backends "$bins" --tokens "$prompt_tokens" -n 32)
        if [[ $got != "$want" ]]; then
            echo "FAIL: llama_logits on $(basename "$f") generated $got, expected $want" >&2
            exit 1
        fi
    done
    echo "ok: llama_logits (C API, F32 KV) generates the expected tokens for all ${#files[@]} layouts"
fi

if [[ $type == f32 ]]; then
    vocab=$out/$name-vocab-only.gguf
    "$bin" convert "$model_dir" --outfile "$vocab" --vocab-only
    node "$npm_dir/vocab.mjs" "$expected" "$vocab"
    files+=("$vocab")
fi

node "$npm_dir/reader.mjs" "$bin" "${files[@]}"
