#!/bin/bash
# hf2gguf run on the real stories260K model, converted by hf2gguf convert in every weight type
# and all three QKV layouts (unfused, --fuse-qkv, --fuse-qkv --qkv-bias separate):
#  - greedy "Once upon a time" (ids 1,403,407,261,378), 60 tokens: the tokens llama.cpp v0.5.0
#    generates (recorded with tests/interop/llama_logits on llama.cpp's own f32 conversion; the
#    first 32 are also in tests/interop/expected/stories260K-hf.json), for f32, f16, bf16, q8_0;
#  - --dump-logits: (5 prompt + 59 fed-back) rows x 512 floats, byte-identical across the three
#    layouts and across 1, 2 and 3 threads, per weight type; also with --ubatch 2 and --kv-type f16
#    across layouts;
#  - bad input: prompt longer than the context, truncated file, missing file, bad options.
# Usage: run_stories.sh BIN SHARED_DIR SOURCE_DIR
set -u
BIN=$1 SHARED=$2
MODEL=$SHARED/models/stories260K-hf
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hf2gguf-run-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -d "$MODEL" ] || fail "missing test model $MODEL"
PROMPT_IDS=1,403,407,261,378
LLAMA_IDS="432 383 286 261 376 298 315 421 395 317 426 338 401 396 267 337 410 408 419 292 411 322 265 282 295 433 426 385 328 432 358 394 261 370 432 352 266 268 388 426 338 391 266 267 337 335 312 432 398 312 286 267 414 270 333 415 426 13 438 310"
LLAMA_TEXT=$'Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high.\nLily'

# The generated ids, from stdout: "[id]" pieces when the file has no tokenizer, else text.
check_generation() { # FILE OUT
    if grep -q '^\[1\]' "$2"; then
        got=$(tr -d '\n' <"$2" | sed 's/\]\[/ /g; s/^\[//; s/\]$//' | cut -d' ' -f6-)
        [ "$got" = "$LLAMA_IDS" ] || fail "$1: generated ids differ from llama.cpp's:
  got  $got
  want $LLAMA_IDS"
    else
        [ "$(cat "$2")" = "$LLAMA_TEXT" ] || fail "$1: generated text differs from llama.cpp's: $(cat "$2")"
    fi
}

for t in f32 f16 bf16 q8_0; do
    "$BIN" convert "$MODEL" --outtype $t --outfile "$TMP/$t-unfused.gguf" 2>/dev/null || fail "convert $t"
    "$BIN" convert "$MODEL" --outtype $t --fuse-qkv --outfile "$TMP/$t-fused.gguf" 2>/dev/null || fail "convert $t --fuse-qkv"
    "$BIN" convert "$MODEL" --outtype $t --fuse-qkv --qkv-bias separate --outfile "$TMP/$t-sepbias.gguf" 2>/dev/null ||
        fail "convert $t --fuse-qkv --qkv-bias separate"
    ref=""
    for layout in unfused fused sepbias; do
        f=$TMP/$t-$layout.gguf
        for th in 1 2 3; do
            "$BIN" run "$f" --tokens $PROMPT_IDS -n 60 -t $th --dump-logits "$TMP/l.bin" >"$TMP/out.txt" 2>"$TMP/err.txt" ||
                fail "run $t $layout -t $th: $(cat "$TMP/err.txt")"
            check_generation "$t-$layout" "$TMP/out.txt"
            if [ $th -eq 1 ] && ! grep -q '^\[1\]' "$TMP/out.txt"; then # the file has a tokenizer: -p too
                "$BIN" run "$f" -p "Once upon a time" -n 60 >"$TMP/outp.txt" 2>/dev/null || fail "run -p $t $layout"
                [ "$(cat "$TMP/outp.txt")" = "$LLAMA_TEXT" ] || fail "$t $layout -p: $(cat "$TMP/outp.txt")"
            fi
            size=$(stat -c %s "$TMP/l.bin")
            [ "$size" -eq $((64 * 512 * 4)) ] || fail "$t $layout: dump has $size bytes, expected $((64 * 512 * 4))"
            if [ -z "$ref" ]; then ref=$TMP/ref-$t.bin; cp "$TMP/l.bin" "$ref"; fi
            cmp -s "$ref" "$TMP/l.bin" || fail "$t $layout -t $th: logits differ from $t unfused -t 1"
        done
        "$BIN" run "$f" --tokens $PROMPT_IDS -n 60 -t 2 --ubatch 2 --dump-logits "$TMP/l.bin" >/dev/null 2>&1 || fail "ubatch 2"
        cmp -s "$ref" "$TMP/l.bin" || fail "$t $layout --ubatch 2: logits differ"
        "$BIN" run "$f" --tokens $PROMPT_IDS -n 20 -t 3 --kv-type f16 --dump-logits "$TMP/k-$layout.bin" >/dev/null 2>&1 ||
            fail "kv f16"
    done
    cmp -s "$TMP/k-unfused.bin" "$TMP/k-fused.bin" && cmp -s "$TMP/k-unfused.bin" "$TMP/k-sepbias.bin" ||
        fail "$t --kv-type f16: logits differ across layouts"
    echo "ok $t: llama.cpp's 60 greedy tokens; logits identical across 3 layouts x 3 thread counts (+ubatch 2, +f16 kv)"
done

# ---- bad input: clear message, exit status 1, no crash, no dump file left ----
expect_error() { # WHAT NEEDLE ARGS...
    local what=$1 needle=$2
    shift 2
    "$BIN" run "$@" >/dev/null 2>"$TMP/err.txt"
    rc=$?
    [ $rc -eq 1 ] || [ $rc -eq 2 ] || fail "$what: exit status $rc, expected 1 or 2"
    grep -q -- "$needle" "$TMP/err.txt" || fail "$what: message lacks '$needle': $(cat "$TMP/err.txt")"
    echo "ok $what: $(grep -m1 -- "$needle" "$TMP/err.txt")"
}
f=$TMP/f32-fused.gguf
rm -f "$TMP/never.bin"
expect_error "prompt longer than context" "context holds 4" "$f" --tokens $PROMPT_IDS --ctx 4 --dump-logits "$TMP/never.bin"
[ ! -e "$TMP/never.bin" ] || fail "a dump file was left behind after an error"
[ "$(ls -A "$TMP" | grep -c '^\.')" -eq 0 ] || fail "a temp file was left behind"
head -c 600000 "$f" >"$TMP/trunc.gguf"
expect_error "truncated data section" "runs past the end" "$TMP/trunc.gguf" --tokens 1
expect_error "missing file" "trunc-nope.gguf" "$TMP/trunc-nope.gguf" --tokens 1
expect_error "token id out of range" "outside the vocabulary" "$f" --tokens 1,512
expect_error "bad kv type" "bad value" "$f" --tokens 1 --kv-type q8_0
expect_error "no prompt" "exactly one of" "$f"
echo "all ok"
