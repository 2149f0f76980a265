#!/usr/bin/env bash
# The interop checks must catch real QKV bugs. From hf2gguf's fused f32 file of MODEL_DIR, writes
# two broken copies (break-gguf.mjs: Q and K rows swapped in blk.0.attn_qkv; the Q/K RoPE
# permutation undone in every layer, as a converter that forgot it would write) and requires:
#  - generate.mjs FAILS on [good, broken] (tokens / top-5 differ between "layouts"), and on the
#    broken file alone against the tokens of llama.cpp's converter;
#  - compare-logits.mjs FAILS on hf2gguf run of the broken file vs llama.cpp on the good one;
#  - reader.mjs FAILS when `hf2gguf info --json` and @huggingface/gguf disagree (a tampered info);
#  - with BIAS_MODEL_DIR (a checkpoint with Q/K/V biases): Q and K entries swapped in
#    blk.0.attn_qkv.bias must fail generate.mjs and compare-logits.mjs the same way;
# and that each failure message names the problem. Exit 0 only if every check failed as expected.
#
#   check-broken.sh HF2GGUF_BIN MODEL_DIR SOURCE_DIR WORKDIR [BIAS_MODEL_DIR]
set -euo pipefail
bin=$1 model_dir=$2 src=$3 work=$4 bias_model_dir=${5:-}
npm_dir=$work/npm
bins=$npm_dir/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64
name=$(basename "$model_dir")
expected=$src/tests/interop/expected/$name.json
out=$work/broken
rm -rf "$out"
mkdir -p "$out"
good=$out/good.gguf
"$bin" convert "$model_dir" --outfile "$good" --outtype f32 --fuse-qkv

# expect_failure WHAT PATTERN COMMAND...: COMMAND must exit 1 and print PATTERN on stderr.
expect_failure() {
    local what=$1 pattern=$2
    shift 2
    local rc=0
    "$@" > "$out/last.out" 2> "$out/last.err" || rc=$?
    if [[ $rc != 1 ]] || ! grep -q -- "$pattern" "$out/last.err"; then
        echo "FAIL: $what was not caught (exit $rc, wanted 1 with '$pattern'):" >&2
        cat "$out/last.out" "$out/last.err" >&2
        exit 1
    fi
    echo "ok: $what is caught: $(grep -m1 -- "$pattern" "$out/last.err")"
}

# Sanity: the good file passes the very checks the broken ones must fail.
node "$npm_dir/generate.mjs" --expect "$expected" "$good" > /dev/null

# expect_caught MODE GOOD: the broken copy differs from GOOD in llama.cpp, and hf2gguf run on it
# differs from llama.cpp on GOOD (raw logits; 512-token vocabularies, 5 prompt tokens).
expect_caught() {
    local mode=$1 good=$2 bad=$out/$1.gguf
    node "$npm_dir/break-gguf.mjs" "$mode" "$good" "$bad"
    expect_failure "$mode vs the good file (llama.cpp)" "differ" \
        node "$npm_dir/generate.mjs" "$good" "$bad"
    "$bin" run "$bad" -p "Once upon a time" -n 32 -t 1 --dump-logits "$out/$mode.ours.bin" > /dev/null
    "$work/llama_logits" "$good" --backends "$bins" -p "Once upon a time" -n 32 --dump "$out/$mode.llama.bin" > /dev/null
    expect_failure "$mode in hf2gguf run vs llama.cpp (raw logits)" "vs llama.cpp" \
        node "$npm_dir/compare-logits.mjs" "$out/$mode.ours.bin" "$out/$mode.llama.bin" 512 36 1e-4
}

for mode in swap-qk skip-permute; do
    expect_caught "$mode" "$good"
    expect_failure "$mode vs llama.cpp's converter tokens" "the file from llama.cpp's converter gives" \
        node "$npm_dir/generate.mjs" --expect "$expected" "$out/$mode.gguf"
done

if [[ -n $bias_model_dir ]]; then
    "$bin" convert "$bias_model_dir" --outfile "$out/good-bias.gguf" --outtype f32 --fuse-qkv
    expect_caught swap-qk-bias "$out/good-bias.gguf"
fi

# A second reader that disagrees must be reported: hf2gguf info with one tensor offset changed.
tampered=$out/tampered-info.sh
cat > "$tampered" <<SH
#!/usr/bin/env bash
"$bin" "\$@" | sed '0,/"offset":\t0,/s//"offset":\t32,/'
SH
chmod +x "$tampered"
expect_failure "a tensor offset that differs between readers" "offset 32 vs 0" \
    node "$npm_dir/reader.mjs" "$tampered" "$good"
