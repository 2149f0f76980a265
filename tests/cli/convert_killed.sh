#!/bin/bash
# A conversion killed by SIGTERM, SIGINT or SIGHUP half-way leaves neither the output nor a
# temporary file, and an existing output of the same name survives untouched.
# Usage: convert_killed.sh BIN SHARED_DIR SOURCE_DIR
set -u
BIN=$1 SHARED=$2
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hf2gguf-kill-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# ~120 MB of f32 weights: long enough to be interrupted.
"$BIN" synth "$TMP/m" --arch llama --layers 8 --embd 512 --ff 1536 --heads 8 --kv-heads 8 --vocab 8000 \
    --tokenizer-from "$SHARED/models/stories260K-hf" > /dev/null || fail synth
"$BIN" convert "$TMP/m" --outtype q8_0 --outfile "$TMP/ref.gguf" > /dev/null 2>&1 || fail "reference conversion"
mkdir "$TMP/out"
echo "previous output" > "$TMP/out/model.gguf"
killed=0
for sig in TERM INT HUP; do
    "$BIN" convert "$TMP/m" --outtype q8_0 --threads 1 --outfile "$TMP/out/model.gguf" > /dev/null 2>&1 &
    pid=$!
    # Signal it once its temporary file exists, i.e. while it writes.
    for _ in $(seq 1 500); do
        compgen -G "$TMP/out/.model.gguf.tmp.*" > /dev/null && break
        sleep 0.002
    done
    compgen -G "$TMP/out/.model.gguf.tmp.*" > /dev/null && { kill -s $sig $pid 2> /dev/null; saw_tmp=1; } || saw_tmp=0
    wait $pid 2> /dev/null
    rc=$?
    [ "$(ls -A "$TMP/out")" = model.gguf ] || fail "SIG$sig: left $(ls -A "$TMP/out" | tr '\n' ' ')"
    # Whatever the moment of the signal: the old output, or (signal after the final rename) the
    # complete new one, never anything in between.
    if [ "$(head -c 15 "$TMP/out/model.gguf")" != "previous output" ]; then
        cmp -s "$TMP/out/model.gguf" "$TMP/ref.gguf" || fail "SIG$sig: the output is neither the old file nor a complete new one"
    fi
    if [ $saw_tmp = 1 ] && [ $rc -gt 128 ] && [ "$(head -c 15 "$TMP/out/model.gguf")" = "previous output" ]; then
        killed=$((killed + 1))
    else
        echo "previous output" > "$TMP/out/model.gguf" # it finished first: restore
    fi
done
[ $killed -ge 1 ] || fail "no conversion was interrupted mid-way (machine too fast for the delays)"
echo "convert_killed: $killed of 3 signals interrupted a conversion; no temp file, old output intact"
