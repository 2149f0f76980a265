#!/bin/bash
# Pins `hf2gguf convert` output on the shared stories260K checkpoints to the exact
# bytes of llama.cpp v0.5.0's convert_hf_to_gguf.py for the same arguments.
# Each sha256 below was checked equal (cmp) to llama.cpp's own file; the live
# comparison against the reference converter is tests/interop's job (needs torch).
# usage: convert_matches_llamacpp.sh HF2GGUF_BIN SHARED_DIR SOURCE_DIR
set -u
BIN=$1 SHARED=$2
M=$SHARED/models
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
fail=0

# model outtype fused(0/1) sha256
EXPECTED='
stories260K-hf f32 0 39872331e0f183de39d4e8b2cc61d045267701de9258d10e581023aa545cc128
stories260K-hf f32 1 450139b500c73cc508ba8d0a3480a4bd040f665d27b8debc5fc62b0c1768f612
stories260K-hf f16 0 be215fbf82a6c70cbb64b55cc4f90e426b6f2c32c2873768e5271baa1b2183e2
stories260K-hf f16 1 e6d281134f9f3e34efab76b7661c1009eac48e45adce85e93bf9ef122cd5e244
stories260K-hf bf16 0 f38d6d2df56789165e20263f153244d517826b550ada0956bdccad3ee99ae472
stories260K-hf bf16 1 4e978b4c63ba18d119b824d9a685c136a3a514464b8b98cfea105c8d4249a9fa
stories260K-hf q8_0 0 a82f963d34b6d86ef917e8ac2092d42d9cd18551a8b055300be70b10b9d2db46
stories260K-hf q8_0 1 ce79ebf311b1ef8ca1159d4627b70be62b6d06766419e5a717f32a60c8839908
stories260K-hf auto 0 be215fbf82a6c70cbb64b55cc4f90e426b6f2c32c2873768e5271baa1b2183e2
stories260K-hf auto 1 e6d281134f9f3e34efab76b7661c1009eac48e45adce85e93bf9ef122cd5e244
stories260K-hf-untied f32 0 18bf6f7655d22a18d560df12b5e8e3d7c1b9b6ef8bbcb46ceb35c56b801d0cf8
stories260K-hf-untied f32 1 86d733c30cf2f80591ddc71ba285c62264d63d83428602d21ce0f491ec702097
stories260K-hf-untied f16 0 8c5809ca2352facaca95956ad8134c17c67ae4936b2341c206c7d084637bab15
stories260K-hf-untied f16 1 c32e1f4d4616a9684ecc5907a9e767b92906be6338713ada3c6ae9e25d777417
stories260K-hf-untied bf16 0 1accddf0db5d928779dbe0167716e51fae6751c1963c20bbb596166ad0377cf8
stories260K-hf-untied bf16 1 97000a92098dc99afb7d020d3418e099aac52e6920945b56bd74ef32a16968d5
stories260K-hf-untied q8_0 0 38043db49832d4865ee2cf716836f775d21ad990cc91911737f5433b6241b177
stories260K-hf-untied q8_0 1 4e2581a901f6cf8f2daf6f174bd661592904939e8f39a690d4c726454d39afba
stories260K-hf-untied auto 0 8c5809ca2352facaca95956ad8134c17c67ae4936b2341c206c7d084637bab15
stories260K-hf-untied auto 1 c32e1f4d4616a9684ecc5907a9e767b92906be6338713ada3c6ae9e25d777417
stories260K-hf vocab-only 0 b6d87e07153116c717494fbe7273054578b829cd1e473ec6a7f32414c4812188
stories260K-hf-untied vocab-only 0 96de9586051df34420c2abe022cef367cef7bc22ae51b1d972bf6acf4f176919
'

check() { # name file expected
    local got
    got=$(sha256sum < "$2" | cut -c1-64)
    if [ "$got" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: sha256 $got, expected $3"; fail=1; fi
}

while read -r model type fused sha; do
    [ -z "$model" ] && continue
    args=(--outtype "$type")
    [ "$type" = vocab-only ] && args=(--vocab-only)
    [ "$fused" = 1 ] && args+=(--fuse-qkv)
    out="$OUT/$model-$type-$fused.gguf"
    if ! "$BIN" convert "$M/$model" "${args[@]}" --outfile "$out" 2>"$OUT/err"; then
        echo "FAIL $model ${args[*]}: $(cat "$OUT/err")"; fail=1; continue
    fi
    check "$model ${args[*]}" "$out" "$sha"
done <<< "$EXPECTED"

# The thread count must not change a byte.
for t in 1 3 7; do
    "$BIN" convert "$M/stories260K-hf" --outtype q8_0 --fuse-qkv --threads $t --outfile "$OUT/t$t.gguf" 2>/dev/null || fail=1
    check "q8_0 --fuse-qkv --threads $t" "$OUT/t$t.gguf" ce79ebf311b1ef8ca1159d4627b70be62b6d06766419e5a717f32a60c8839908
done

# Same on a checkpoint big enough for the parallel path (tensors over 64K elements).
MKTINY=$(dirname "$BIN")/mktiny
"$MKTINY" "$OUT/wide" --embd 256 --heads 8 --kv-heads 2 --ff 512 --vocab 2048 --layers 2 --attention-bias \
    --dtype bf16 --tokenizer-from "$M/stories260K-hf" || fail=1
for t in 1 4; do
    "$BIN" convert "$OUT/wide" --outtype q8_0 --fuse-qkv --threads $t --outfile "$OUT/w$t.gguf" 2>/dev/null || fail=1
done
cmp -s "$OUT/w1.gguf" "$OUT/w4.gguf" && echo "ok   --threads 1 and 4 give the same bytes" || { echo "FAIL --threads 1 vs 4 differ"; fail=1; }

# Default output name: llama.cpp's naming convention inside the model directory.
cp -r "$M/stories260K-hf" "$OUT/stories260K-hf"
if "$BIN" convert "$OUT/stories260K-hf" --outtype q8_0 2>/dev/null && [ -f "$OUT/stories260K-hf/stories260K-Hf-260K-Q8_0.gguf" ]; then
    echo "ok   default name stories260K-Hf-260K-Q8_0.gguf"
else
    echo "FAIL default output name: $(ls "$OUT/stories260K-hf")"; fail=1
fi
if "$BIN" convert "$OUT/stories260K-hf" --vocab-only 2>/dev/null && [ -f "$OUT/stories260K-hf/stories260K-Hf-vocab.gguf" ]; then
    echo "ok   default vocab name stories260K-Hf-vocab.gguf"
else
    echo "FAIL default vocab name: $(ls "$OUT/stories260K-hf")"; fail=1
fi
# An --outfile template gets the resolved type.
"$BIN" convert "$M/stories260K-hf" --outfile "$OUT/m-{ftype}.gguf" 2>/dev/null
[ -f "$OUT/m-f16.gguf" ] && echo "ok   {ftype} template" || { echo "FAIL {ftype} template: $(ls "$OUT")"; fail=1; }
exit $fail
