#!/usr/bin/env bash
# llama.cpp loads files written with --alignment N (general.alignment = N, data and tensors at
# multiples of N) exactly like the default-aligned file.
#
#   check-alignment.sh HF2GGUF_BIN MODEL_DIR SOURCE_DIR WORKDIR NAME
#
# Files (f32): the default conversion; convert --alignment 64; convert --fuse-qkv --alignment 4096;
# fuse-qkv --alignment 64 of the default file; plus q8_0 --alignment 64.
#  - generate.mjs: llama.cpp loads each f32 file and generates the tokens recorded from llama.cpp's
#    own converter (expected/NAME.json), with bit-identical top-5 probabilities across the files;
#  - llama_logits (C API, mmap): the raw logits dump of each f32 file is byte-identical to the
#    default file's;
#  - reader.mjs: @huggingface/gguf reads the same KVs (general.alignment included), data offset and
#    tensor offsets as `hf2gguf info --json`.
# WORKDIR is the fixture made by setup.sh.
set -euo pipefail
bin=$1 model_dir=$2 src=$3 work=$4 name=$5
npm_dir=$work/npm
bins=$npm_dir/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64
out=$work/out/$name-alignment
rm -rf "$out"
mkdir -p "$out"

"$bin" convert "$model_dir" --outtype f32 --outfile "$out/default.gguf"
"$bin" convert "$model_dir" --outtype f32 --alignment 64 --outfile "$out/a64.gguf"
"$bin" convert "$model_dir" --outtype f32 --fuse-qkv --alignment 4096 --outfile "$out/a4096-fused.gguf"
"$bin" fuse-qkv "$out/default.gguf" "$out/fz64.gguf" --alignment 64
"$bin" convert "$model_dir" --outtype q8_0 --alignment 64 --outfile "$out/q8_0-a64.gguf"
files=("$out/default.gguf" "$out/a64.gguf" "$out/a4096-fused.gguf" "$out/fz64.gguf")

node "$npm_dir/generate.mjs" --expect "$src/tests/interop/expected/$name.json" --checkpoint "$model_dir" "${files[@]}"

prompt="Once upon a time"
"$work/llama_logits" "$out/default.gguf" --backends "$bins" -p "$prompt" -n 32 --kv f32 --dump "$out/default.bin" > /dev/null
for f in "${files[@]:1}"; do
    "$work/llama_logits" "$f" --backends "$bins" -p "$prompt" -n 32 --kv f32 --dump "$out/l.bin" > /dev/null
    if ! cmp -s "$out/default.bin" "$out/l.bin"; then
        echo "FAIL: llama.cpp's logits for $(basename "$f") differ from the default-aligned file's" >&2
        exit 1
    fi
done
"$work/llama_logits" "$out/q8_0-a64.gguf" --backends "$bins" -p "$prompt" -n 8 --kv f32 > /dev/null
echo "ok: llama_logits gives byte-identical logits for alignments 64 and 4096 (and loads q8_0 at 64)"

node "$npm_dir/reader.mjs" "$bin" "${files[@]:1}" "$out/q8_0-a64.gguf"
