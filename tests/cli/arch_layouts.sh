#!/bin/bash
# Every architecture, every QKV layout, bit for bit: for each variant below, `hf2gguf synth`
# writes a tiny random checkpoint (random norm weights and biases), `hf2gguf convert` turns it
# into f32/f16/bf16/q8_0 GGUFs unfused, --fuse-qkv and --fuse-qkv --qkv-bias separate, and
# `hf2gguf run --dump-logits` must give byte-identical logits (cmp) across the three layouts of
# each type. Also: bad checkpoints of these architectures (a config promising a bias the
# tensors lack and the reverse, an odd partial-rotary dimension, an inconsistent head_dim)
# fail with one message naming the file and key or tensor, exit 1, and leave no output.
# Usage: arch_layouts.sh BIN SHARED_DIR SOURCE_DIR
set -u
BIN=$1 SHARED=$2
TOK=$SHARED/models/stories260K-hf
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hf2gguf-arch-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# name | synth options (phi2 needs ff = 4*embd and kv heads = heads)
VARIANTS=(
    "llama-bias|--arch llama --switch attention_bias=1 --switch mlp_bias=1"
    "qwen2|--arch qwen2"
    "qwen3|--arch qwen3 --head-dim 32"
    "phi2|--arch phi2 --ff 256 --heads 4 --kv-heads 4 --seed 2"
    "starcoder2|--arch starcoder2"
    "stablelm|--arch stablelm --switch use_qkv_bias=1 --switch qk_layernorm=1"
    "stablelm-par|--arch stablelm --switch use_parallel_residual=1 --rotary-factor 0.25"
)
TOKENS=1,403,407,261,378,300,12,99
n_checked=0
for v in "${VARIANTS[@]}"; do
    name=${v%%|*} opts=${v#*|}
    # shellcheck disable=SC2086
    "$BIN" synth "$TMP/$name" $opts --tokenizer-from "$TOK" > /dev/null || fail "synth $name"
    for t in f32 f16 bf16 q8_0; do
        for layout in unfused fused sepbias; do
            case $layout in
            unfused) lo=() ;;
            fused) lo=(--fuse-qkv) ;;
            sepbias) lo=(--fuse-qkv --qkv-bias separate) ;;
            esac
            f=$TMP/$name-$t-$layout.gguf
            "$BIN" convert "$TMP/$name" --outtype $t "${lo[@]}" --outfile "$f" > /dev/null 2>&1 || fail "convert $name $t $layout"
            "$BIN" run "$f" --tokens $TOKENS -n 6 --temp 0 -t 2 --dump-logits "$f.logits" > /dev/null 2>&1 ||
                fail "run $name $t $layout"
            [ -s "$f.logits" ] || fail "$name $t $layout: no logits"
        done
        cmp "$TMP/$name-$t-unfused.gguf.logits" "$TMP/$name-$t-fused.gguf.logits" ||
            fail "$name $t: fused logits differ from unfused"
        cmp "$TMP/$name-$t-unfused.gguf.logits" "$TMP/$name-$t-sepbias.gguf.logits" ||
            fail "$name $t: fused (separate biases) logits differ from unfused"
        n_checked=$((n_checked + 1))
    done
    # The fused file really is fused (one attn_qkv per layer), and biases sit where asked.
    "$BIN" info "$TMP/$name-f32-fused.gguf" | grep -q 'blk\.0\.attn_qkv\.weight' || fail "$name: no attn_qkv in the fused file"
done

# ---- vocabulary path: phi2/starcoder2/stablelm take llama.cpp's gpt2 path from tokenizer.json ----
"$BIN" synth "$TMP/phi2-bpe" --arch phi2 --ff 256 --heads 4 --kv-heads 4 --vocab 151669 --dtype bf16 \
    --tokenizer-from "$SHARED/models/hf-tokenizers/qwen3" > /dev/null || fail "synth phi2-bpe"
cp "$TOK/tokenizer.model" "$TMP/phi2-bpe/" # tokenizer.json wins even beside a tokenizer.model
"$BIN" convert "$TMP/phi2-bpe" --outtype q8_0 --outfile "$TMP/phi2-bpe.gguf" > /dev/null 2>&1 || fail "convert phi2-bpe"
"$BIN" info "$TMP/phi2-bpe.gguf" > "$TMP/phi2-bpe.txt" || fail "info phi2-bpe"
grep -q 'tokenizer.ggml.model .*"gpt2"' "$TMP/phi2-bpe.txt" || fail "phi2 with tokenizer.json: not the gpt2 vocabulary"
grep -q 'tokenizer.ggml.pre .*"qwen2"' "$TMP/phi2-bpe.txt" || fail "phi2 with the Qwen tokenizer: pre is not qwen2"
grep -q 'add_space_prefix' "$TMP/phi2-bpe.txt" && fail "phi2: add_space_prefix is LlamaModel's, not Phi2Model's"
"$BIN" run "$TMP/phi2-bpe.gguf" -p "Hello world" -n 3 --temp 0 > /dev/null 2>&1 || fail "run phi2-bpe"

# ---- bad input ----
expect_fail() { # DIR WHAT PATTERN
    local out=$TMP/bad.gguf
    rm -f "$out"
    if "$BIN" convert "$1" --outfile "$out" > "$TMP/bad.txt" 2>&1; then fail "$2: convert succeeded"; fi
    grep -q -- "$3" "$TMP/bad.txt" || fail "$2: message lacks '$3': $(cat "$TMP/bad.txt")"
    [ "$(wc -l < "$TMP/bad.txt")" -le 1 ] || fail "$2: more than one line: $(cat "$TMP/bad.txt")"
    [ ! -e "$out" ] || fail "$2: output left behind"
    ls -a "$TMP" | grep -q '\.tmp\.' && fail "$2: temporary file left behind"
    return 0
}
edit_config() { # SRC DST SED_EXPR
    rm -rf "$2"
    cp -r "$1" "$2"
    sed -i "$3" "$2/config.json"
}
# starcoder2 with use_bias false, but the tensors have biases.
edit_config "$TMP/starcoder2" "$TMP/b1" 's/"use_bias":[[:space:]]*true/"use_bias": false/'
expect_fail "$TMP/b1" "starcoder2 use_bias=false with biases" "config.json says 'use_bias' is false"
# stablelm promising Q/K/V biases the tensors lack.
"$BIN" synth "$TMP/b2src" --arch stablelm --tokenizer-from "$TOK" > /dev/null || fail "synth b2"
edit_config "$TMP/b2src" "$TMP/b2" 's/"use_qkv_bias":[[:space:]]*false/"use_qkv_bias": true/'
expect_fail "$TMP/b2" "stablelm use_qkv_bias=true without biases" "missing tensor 'model.layers.0.self_attn.q_proj.bias'"
# phi2 whose partial rotary factor gives an odd rotary dimension: int(0.45 * 64) // 4 = 7.
edit_config "$TMP/phi2" "$TMP/b3" 's/"partial_rotary_factor":[[:space:]]*[0-9.e+-]*/"partial_rotary_factor": 0.45/'
expect_fail "$TMP/b3" "phi2 odd rotary dims" "partial_rotary_factor"
# qwen3 whose head_dim disagrees with the q_norm / q_proj shapes.
edit_config "$TMP/qwen3" "$TMP/b4" 's/"head_dim":[[:space:]]*32/"head_dim": 16/'
expect_fail "$TMP/b4" "qwen3 head_dim mismatch" "config.json implies"
# A config promising a billion layers: refused naming the key, before allocating for them.
edit_config "$TMP/qwen2" "$TMP/b5" 's/"num_hidden_layers":[[:space:]]*2/"num_hidden_layers": 1000000000/'
expect_fail "$TMP/b5" "a billion layers" "key 'num_hidden_layers' = 1000000000"
echo "arch_layouts: $n_checked arch x type combinations byte-identical across 3 layouts; 5 bad checkpoints refused"
