#!/bin/bash
# --alignment N (convert, fuse-qkv, unfuse-qkv) on the real stories260K model:
#  - the file has general.alignment = N (u32, right after general.architecture), and an
#    independent parse of its bytes (below, not our reader) finds the data section and every
#    tensor at a multiple of N, the offsets equal to ggml's aligned running sum, zero padding;
#  - `info --json` reads it back; `run --dump-logits` gives byte-identical logits to the default
#    file, unfused and fused;
#  - fuse-qkv --alignment N == convert --fuse-qkv --alignment N, byte for byte; fuse/unfuse keep
#    the input's alignment by default; unfuse-qkv --alignment 32 == the default convert; an
#    existing key is replaced in place;
#  - the default (and --alignment 32) writes no general.alignment key;
#  - bad values exit 2 with one message naming the option, and leave no file.
# Usage: alignment.sh BIN SHARED_DIR SOURCE_DIR
set -u
BIN=$1 SHARED=$2
MODEL=$SHARED/models/stories260K-hf
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hf2gguf-align-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -d "$MODEL" ] || fail "missing test model $MODEL"
command -v python3 >/dev/null || fail "python3 is needed to parse the GGUF bytes independently"

# layout FILE ALIGNMENT: walks the GGUF bytes with its own parser and checks the layout. ALIGNMENT
# "none" means the file must have no general.alignment key (then 32 applies).
layout() {
    python3 - "$1" "$2" <<'EOF' || fail "layout of $(basename "$1") (expected alignment $2)"
import struct, sys
path, want = sys.argv[1], sys.argv[2]
b = open(path, "rb").read()
pos = 0
def take(fmt):
    global pos
    v = struct.unpack_from("<" + fmt, b, pos)
    pos += struct.calcsize("<" + fmt)
    return v[0]
def string():
    global pos
    n = take("Q"); s = b[pos:pos + n]; pos += n
    return s.decode()
SCALAR = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "B", 10: "Q", 11: "q", 12: "d"}
def value(t):
    if t == 8: return string()
    if t == 9:
        et, n = take("i"), take("Q")
        return [value(et) for _ in range(n)]
    return take(SCALAR[t])
assert take("4s") == b"GGUF", "not a GGUF file"
assert take("I") == 3, "not GGUF v3"
n_t, n_kv = take("Q"), take("Q")
keys, align_kv = [], None
for i in range(n_kv):
    k, t = string(), take("i")
    v = value(t)
    keys.append(k)
    if k == "general.alignment":
        assert t == 4, f"general.alignment has type {t}, expected 4 (u32)"
        align_kv = (i, v)
if want == "none":
    assert align_kv is None, f"unexpected general.alignment {align_kv}"
    align = 32
else:
    align = int(want)
    assert align_kv is not None, "no general.alignment key"
    assert align_kv[1] == align, f"general.alignment is {align_kv[1]}, expected {align}"
    assert keys[align_kv[0] - 1] == "general.architecture", f"general.alignment follows {keys[align_kv[0] - 1]}"
# ggml type -> (block elements, block bytes)
SIZE = {0: (1, 4), 1: (1, 2), 30: (1, 2), 8: (32, 34)}
infos = []
for _ in range(n_t):
    name, nd = string(), take("I")
    ne = [take("q") for _ in range(nd)]
    t, off = take("i"), take("Q")
    assert t in SIZE, f"{name}: unexpected ggml type {t}"
    n = 1
    for d in ne: n *= d
    infos.append((name, off, n // SIZE[t][0] * SIZE[t][1]))
up = lambda x: (x + align - 1) // align * align
data = up(pos)
assert data % align == 0
assert not any(b[pos:data]), "non-zero padding before the data section"
expect = 0
for name, off, nbytes in infos:
    assert off == expect, f"{name}: offset {off}, expected the aligned running sum {expect}"
    assert (data + off) % align == 0, f"{name}: file offset {data + off} is not a multiple of {align}"
    assert not any(b[data + off + nbytes:data + up(off + nbytes)]), f"{name}: non-zero padding"
    expect = up(off + nbytes)
assert len(b) == data + expect, f"file size {len(b)}, expected {data + expect}"
print(f"{path.rsplit('/', 1)[-1]}: {n_t} tensors, data at {data}, alignment {align}")
EOF
}

# info_alignment FILE: "ALIGNMENT KEYVALUE" as `hf2gguf info --json` reports them (KEYVALUE "none").
info_alignment() {
    "$BIN" info --json "$1" | python3 -c '
import json, sys
j = json.load(sys.stdin)
kv = [e for e in j["kv"] if e["key"] == "general.alignment"]
print(j["alignment"], kv[0]["value"] if kv else "none")' || fail "info --json $1"
}

logits() { # FILE OUT
    "$BIN" run "$1" --tokens 1,403,407,261,378 -n 24 -t 2 --dump-logits "$2" > /dev/null 2> "$TMP/err" ||
        fail "run $(basename "$1"): $(cat "$TMP/err")"
}

conv() { # OUT [convert options...]
    local out=$1
    shift
    "$BIN" convert "$MODEL" --outfile "$TMP/$out" "$@" 2> "$TMP/err" || fail "convert $*: $(cat "$TMP/err")"
}

for t in f32 q8_0; do
    conv $t.gguf --outtype $t
    conv $t-fused.gguf --outtype $t --fuse-qkv
    conv $t-a64.gguf --outtype $t --alignment 64
    conv $t-a64-fused.gguf --outtype $t --alignment 64 --fuse-qkv
    conv $t-a32.gguf --outtype $t --alignment 32
    layout "$TMP/$t.gguf" none
    layout "$TMP/$t-a64.gguf" 64
    layout "$TMP/$t-a64-fused.gguf" 64
    [ "$(info_alignment "$TMP/$t.gguf")" = "32 none" ] || fail "$t default: info says $(info_alignment "$TMP/$t.gguf")"
    [ "$(info_alignment "$TMP/$t-a64.gguf")" = "64 64" ] || fail "$t --alignment 64: info says $(info_alignment "$TMP/$t-a64.gguf")"
    cmp -s "$TMP/$t.gguf" "$TMP/$t-a32.gguf" || fail "$t: --alignment 32 differs from the default"

    # same tensor data: same logits, unfused and fused
    logits "$TMP/$t.gguf" "$TMP/ref.bin"
    for f in $t-a64 $t-a64-fused; do
        logits "$TMP/$f.gguf" "$TMP/l.bin"
        cmp -s "$TMP/ref.bin" "$TMP/l.bin" || fail "$f: logits differ from the default-aligned file"
    done

    # the GGUF tools: set, keep, replace, drop
    "$BIN" fuse-qkv "$TMP/$t.gguf" "$TMP/$t-fz64.gguf" --alignment 64 2> "$TMP/err" || fail "fuse-qkv --alignment 64: $(cat "$TMP/err")"
    layout "$TMP/$t-fz64.gguf" 64
    cmp -s "$TMP/$t-fz64.gguf" "$TMP/$t-a64-fused.gguf" || fail "$t: fuse-qkv --alignment 64 differs from convert --fuse-qkv --alignment 64"
    logits "$TMP/$t-fz64.gguf" "$TMP/l.bin"
    cmp -s "$TMP/ref.bin" "$TMP/l.bin" || fail "$t: fuse-qkv --alignment 64 logits differ from the default-aligned file"
    "$BIN" fuse-qkv "$TMP/$t-a64.gguf" "$TMP/$t-fzkeep.gguf" 2> /dev/null || fail "fuse-qkv of a 64-aligned file"
    cmp -s "$TMP/$t-fzkeep.gguf" "$TMP/$t-a64-fused.gguf" || fail "$t: fuse-qkv does not keep the input's alignment"
    "$BIN" unfuse-qkv "$TMP/$t-a64-fused.gguf" "$TMP/$t-ufkeep.gguf" 2> /dev/null || fail "unfuse-qkv of a 64-aligned file"
    cmp -s "$TMP/$t-ufkeep.gguf" "$TMP/$t-a64.gguf" || fail "$t: unfuse-qkv does not keep the input's alignment"
    "$BIN" unfuse-qkv "$TMP/$t-a64-fused.gguf" "$TMP/$t-uf32.gguf" --alignment 32 2> /dev/null || fail "unfuse-qkv --alignment 32"
    cmp -s "$TMP/$t-uf32.gguf" "$TMP/$t.gguf" || fail "$t: unfuse-qkv --alignment 32 differs from the default convert"
    "$BIN" unfuse-qkv "$TMP/$t-a64-fused.gguf" "$TMP/$t-uf4k.gguf" --alignment 4096 2> /dev/null || fail "unfuse-qkv --alignment 4096"
    layout "$TMP/$t-uf4k.gguf" 4096 # the key replaced in place (still right after general.architecture)
    logits "$TMP/$t-uf4k.gguf" "$TMP/l.bin"
    cmp -s "$TMP/ref.bin" "$TMP/l.bin" || fail "$t: unfuse-qkv --alignment 4096 logits differ"
    "$BIN" fuse-qkv "$TMP/$t.gguf" "$TMP/$t-fz32.gguf" --alignment 32 2> /dev/null || fail "fuse-qkv --alignment 32"
    cmp -s "$TMP/$t-fz32.gguf" "$TMP/$t-fused.gguf" || fail "$t: fuse-qkv --alignment 32 differs from convert --fuse-qkv"
    echo "ok $t"
done

# Below 32: valid GGUF (read back, same logits) but a warning, since llama.cpp refuses to mmap it.
conv a16.gguf --outtype f32 --alignment 16
grep -q "warning: --alignment 16 is below 32" "$TMP/err" || fail "no warning for --alignment 16: $(cat "$TMP/err")"
layout "$TMP/a16.gguf" 16
logits "$TMP/f32.gguf" "$TMP/ref.bin"
logits "$TMP/a16.gguf" "$TMP/l.bin"
cmp -s "$TMP/ref.bin" "$TMP/l.bin" || fail "--alignment 16: logits differ"
# 1 and 2: tensor data may then sit off its element alignment; the runtime reads elements in
# place, so it must refuse such a tensor by name (exit 1), never read it misaligned; where the
# layout happens to be aligned it runs with the same logits.
for a in 1 2; do
    conv a$a.gguf --outtype f32 --alignment $a
    rc=0
    "$BIN" run "$TMP/a$a.gguf" --tokens 1,403,407,261,378 -n 24 -t 2 --dump-logits "$TMP/l.bin" > /dev/null 2> "$TMP/err" || rc=$?
    if [ $rc -eq 0 ]; then
        cmp -s "$TMP/ref.bin" "$TMP/l.bin" || fail "--alignment $a: logits differ"
        echo "alignment $a: tensors happen to sit aligned; same logits"
    else
        [ $rc -eq 1 ] || fail "--alignment $a: run exit status $rc, expected 1"
        grep -q "tensor '.*': data at file offset [0-9]* is not [24]-byte aligned" "$TMP/err" ||
            fail "--alignment $a: unexpected error: $(cat "$TMP/err")"
        echo "alignment $a: refused: $(cat "$TMP/err")"
    fi
done
conv a1m.gguf --outtype q8_0 --alignment 1048576
layout "$TMP/a1m.gguf" 1048576
conv vocab-a64.gguf --vocab-only --alignment 64
[ "$(info_alignment "$TMP/vocab-a64.gguf")" = "64 64" ] || fail "--vocab-only --alignment 64: $(info_alignment "$TMP/vocab-a64.gguf")"
echo "ok 16, 1 MiB, vocab-only"

# Bad values: exit 2, one line naming the option, no file made.
mkdir "$TMP/bad"
bad() { # WHAT CMD...
    local what=$1
    shift
    "$@" > "$TMP/msg" 2>&1
    local rc=$?
    [ $rc -eq 2 ] || fail "$what: exit $rc, expected 2: $(cat "$TMP/msg")"
    grep -q -- "--alignment" "$TMP/msg" || fail "$what: message does not name --alignment: $(cat "$TMP/msg")"
    [ "$(wc -l < "$TMP/msg")" -eq 1 ] || fail "$what: more than one line: $(cat "$TMP/msg")"
    [ -z "$(ls -A "$TMP/bad")" ] || fail "$what left files: $(ls -A "$TMP/bad")"
}
for v in 0 3 48 -1 2097152 4294967296 99999999999999999999 abc 64x 0x40 ""; do
    bad "convert --alignment '$v'" "$BIN" convert "$MODEL" --outfile "$TMP/bad/x.gguf" --alignment "$v"
    bad "fuse-qkv --alignment '$v'" "$BIN" fuse-qkv "$TMP/f32.gguf" "$TMP/bad/x.gguf" --alignment "$v"
    bad "unfuse-qkv --alignment '$v'" "$BIN" unfuse-qkv "$TMP/f32-fused.gguf" "$TMP/bad/x.gguf" --alignment "$v"
done
grep -q "expected a power of two from 1 to 1048576" "$TMP/msg" || fail "message does not say what is expected: $(cat "$TMP/msg")"
bad "convert --alignment without a value" "$BIN" convert "$MODEL" --outfile "$TMP/bad/x.gguf" --alignment
bad "fuse-qkv --alignment without a value" "$BIN" fuse-qkv "$TMP/f32.gguf" "$TMP/bad/x.gguf" --alignment
echo "ok bad values refused"
