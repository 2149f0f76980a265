#!/usr/bin/env bash
# One architecture against the real llama.cpp: `hf2gguf synth` writes a tiny random checkpoint
# (random norm weights and biases; stories260K's SentencePiece tokenizer), `hf2gguf convert`
# makes f32/f16/bf16/q8_0 files in all three QKV layouts (unfused, --fuse-qkv,
# --fuse-qkv --qkv-bias separate), and for each file llama.cpp (llama_logits, its C API) and
# `hf2gguf run` evaluate "Once upon a time" greedily for 20 tokens with an F32 KV cache, one
# thread, end-of-generation ignored: every row must have the same argmax (so llama.cpp loads the
# file and generates the same tokens in every layout), and for f32 every logit must agree within
# 1e-4. Prints the largest difference per file.
#
#   check-arch.sh HF2GGUF_BIN SHARED_DIR WORKDIR NAME SYNTH_OPTIONS...
set -euo pipefail
bin=$1 shared=$2 work=$3 name=$4
shift 4
npm_dir=$work/npm
bins=$npm_dir/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64
out=$work/arch/$name
rm -rf "$out"
mkdir -p "$out"
"$bin" synth "$out/hf" "$@" --tokenizer-from "$shared/models/stories260K-hf" > /dev/null
n_generate=20
for type in f32 f16 bf16 q8_0; do
    tol=none
    [[ $type == f32 ]] && tol=1e-4
    for layout in unfused fused sepbias; do
        case $layout in
        unfused) lo=() ;;
        fused) lo=(--fuse-qkv) ;;
        sepbias) lo=(--fuse-qkv --qkv-bias separate) ;;
        esac
        f=$out/$name-$type-$layout.gguf
        "$bin" convert "$out/hf" --outfile "$f" --outtype "$type" "${lo[@]}" > "$f.convert.log" 2>&1 ||
            { cat "$f.convert.log" >&2; exit 1; }
        "$bin" run "$f" -p "Once upon a time" -n $n_generate --temp 0 -t 1 --kv-type f32 --ignore-eos \
            --dump-logits "$f.ours.bin" > "$f.ours.txt" 2> "$f.ours.log" || { cat "$f.ours.log" >&2; exit 1; }
        "$work/llama_logits" "$f" --backends "$bins" -p "Once upon a time" -n $n_generate --kv f32 \
            --dump "$f.llama.bin" > "$f.llama.txt"
        rows=$(($(stat -c %s "$f.llama.bin") / (4 * 512)))
        ((rows == n_generate + 4)) || { echo "$f: llama.cpp evaluated $rows rows, expected $((n_generate + 4))" >&2; exit 1; }
        echo -n "$name $type $layout: "
        node "$npm_dir/compare-logits.mjs" "$f.ours.bin" "$f.llama.bin" 512 "$rows" "$tol"
    done
done
