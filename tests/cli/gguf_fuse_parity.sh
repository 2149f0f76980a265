#!/bin/bash
# fuse-qkv / unfuse-qkv against the converter: for stories260K-hf in every output type,
#   fuse-qkv(convert)            == convert --fuse-qkv   (byte for byte)
#   unfuse-qkv(convert --fuse-qkv) == convert            (byte for byte)
# and `diff` agrees (exit 0 "identical" / exit 1). The converter itself is pinned to
# llama.cpp by its own tests; this pins the GGUF tools to the converter.
# Usage: gguf_fuse_parity.sh BIN SHARED_DIR SOURCE_DIR
set -u
BIN=$1 SHARED=$2
MODEL=$SHARED/models/stories260K-hf
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hf2gguf-fuse-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -d "$MODEL" ] || fail "missing test model $MODEL"
"$BIN" convert --help >/dev/null 2>&1 || fail "hf2gguf has no working convert command"

for t in f32 f16 bf16 q8_0; do
    "$BIN" convert "$MODEL" --outtype $t --outfile "$TMP/$t.gguf" 2>/dev/null || fail "convert $t"
    "$BIN" convert "$MODEL" --outtype $t --fuse-qkv --outfile "$TMP/$t-fused.gguf" 2>/dev/null || fail "convert $t --fuse-qkv"
    "$BIN" fuse-qkv "$TMP/$t.gguf" "$TMP/$t-fz.gguf" 2>/dev/null || fail "fuse-qkv $t"
    "$BIN" unfuse-qkv "$TMP/$t-fused.gguf" "$TMP/$t-uf.gguf" 2>/dev/null || fail "unfuse-qkv $t"
    cmp -s "$TMP/$t-fz.gguf" "$TMP/$t-fused.gguf" || fail "$t: fuse-qkv output differs from convert --fuse-qkv"
    cmp -s "$TMP/$t-uf.gguf" "$TMP/$t.gguf" || fail "$t: unfuse-qkv output differs from convert"
    out=$("$BIN" diff "$TMP/$t-fz.gguf" "$TMP/$t-fused.gguf"); rc=$?
    [ $rc -eq 0 ] && [ "$out" = identical ] || fail "$t: diff of identical files said rc=$rc '$out'"
    "$BIN" diff "$TMP/$t.gguf" "$TMP/$t-fused.gguf" >/dev/null; rc=$?
    [ $rc -eq 1 ] || fail "$t: diff of fused vs unfused exited $rc, expected 1"
    echo "ok $t"
done

# Errors: exit non-zero, message names the file, no output or temp file left behind.
mkdir "$TMP/err"
printf 'GGUF\003\000\000\000' > "$TMP/err/trunc.gguf"
for cmd in fuse-qkv unfuse-qkv; do
    msg=$("$BIN" $cmd "$TMP/err/trunc.gguf" "$TMP/err/out.gguf" 2>&1 >/dev/null) && fail "$cmd accepted a truncated file"
    case $msg in *trunc.gguf*) ;; *) fail "$cmd: message does not name the file: $msg" ;; esac
    [ "$(ls -A "$TMP/err")" = trunc.gguf ] || fail "$cmd left files: $(ls -A "$TMP/err")"
done
"$BIN" info "$TMP/err/trunc.gguf" >/dev/null 2>&1 && fail "info accepted a truncated file"
"$BIN" diff "$TMP/err/trunc.gguf" "$TMP/f32.gguf" >/dev/null 2>&1; [ $? -eq 2 ] || fail "diff error exit is not 2"
echo "ok errors"
