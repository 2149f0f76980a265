#!/bin/bash
# Where outputs go, for every writer (convert, fuse-qkv, unfuse-qkv): an output path that is a
# directory (for the GGUF tools; convert's --outfile DIR means "default name inside"), a dangling
# symbolic link, a link to a directory, a file inside a path that is not a directory, and a full
# device (ulimit -f) fail with one message naming the path, exit 1, and leave no file; a symbolic
# link to a file is followed (the link stays, its target gets the new content).
# Usage: output_safety.sh BIN SHARED_DIR SOURCE_DIR
set -u
BIN=$1 SHARED=$2
MODEL=$SHARED/models/stories260K-hf
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hf2gguf-out-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
"$BIN" convert "$MODEL" --outtype f32 --outfile "$TMP/in.gguf" > /dev/null 2>&1 || fail "convert"

expect_fail() { # WHAT PATTERN CMD...
    local what=$1 pat=$2
    shift 2
    local before after
    before=$(cd "$TMP" && find . | sort)
    if "$@" > "$TMP/.msg" 2>&1; then fail "$what: succeeded"; fi
    grep -q -- "$pat" "$TMP/.msg" || fail "$what: message lacks '$pat': $(cat "$TMP/.msg")"
    [ "$(wc -l < "$TMP/.msg")" -le 1 ] || fail "$what: more than one line: $(cat "$TMP/.msg")"
    rm -f "$TMP/.msg"
    after=$(cd "$TMP" && find . | sort)
    [ "$before" = "$after" ] || fail "$what: files changed: $(diff <(echo "$before") <(echo "$after"))"
}

mkdir "$TMP/adir"
expect_fail "fuse-qkv into a directory" "is a directory" "$BIN" fuse-qkv "$TMP/in.gguf" "$TMP/adir"
expect_fail "unfuse-qkv into a directory" "is a directory" "$BIN" unfuse-qkv "$TMP/in.gguf" "$TMP/adir"
ln -s "$TMP/nowhere/x.gguf" "$TMP/dangling.gguf"
expect_fail "convert to a dangling link" "cannot be resolved" "$BIN" convert "$MODEL" --outfile "$TMP/dangling.gguf"
ln -s "$TMP/adir" "$TMP/dirlink.gguf"
expect_fail "fuse-qkv to a link to a directory" "links to a directory" "$BIN" fuse-qkv "$TMP/in.gguf" "$TMP/dirlink.gguf"
expect_fail "convert below a regular file" "in.gguf/x.gguf" "$BIN" convert "$MODEL" --outfile "$TMP/in.gguf/x.gguf"
expect_fail "fuse-qkv on a full device" "x.gguf" bash -c "trap '' XFSZ; ulimit -f 64; '$BIN' fuse-qkv '$TMP/in.gguf' '$TMP/x.gguf'"

# A link to a file: followed.
echo old > "$TMP/target.gguf"
ln -s "$TMP/target.gguf" "$TMP/link.gguf"
"$BIN" fuse-qkv "$TMP/in.gguf" "$TMP/link.gguf" > /dev/null 2>&1 || fail "fuse-qkv through a link"
[ -L "$TMP/link.gguf" ] || fail "the link was replaced by a file"
"$BIN" info "$TMP/target.gguf" > /dev/null 2>&1 || fail "the link's target is not the new GGUF"
ls -a "$TMP" | grep -q '\.tmp\.' && fail "temporary file left behind"
echo "output_safety: 6 refused destinations left no file; a link to a file is followed"
