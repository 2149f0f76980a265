#!/bin/bash
# hf2gguf bench on the real stories260K model (f32 unfused and q8_0 --fuse-qkv, in one run):
#  - the markdown table has one row per file x thread count x (each ubatch's pp + one tg), with
#    the expected test names, thread counts, ubatch values and QKV layouts;
#  - with two files, a paired table of the second's t/s over the first's per round;
#  - -o json parses and has the same results, with -r samples each; --roofline adds its column;
#  - GEMV layouts are timed once per file and thread count, once for twins;
#  - nothing on stderr when it is not a terminal (no progress line);
#  - bad arguments exit 2 with a message.
# No timing assertions: performance goals live in bench/, never in tests.
# Usage: bench_smoke.sh BIN SHARED_DIR SOURCE_DIR
set -u
BIN=$1 SHARED=$2
MODEL=$SHARED/models/stories260K-hf
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hf2gguf-bench-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -d "$MODEL" ] || fail "missing test model $MODEL"
A=$TMP/a.gguf B=$TMP/b.gguf
"$BIN" convert "$MODEL" --outtype f32 --outfile "$A" 2>/dev/null || fail "convert f32"
"$BIN" convert "$MODEL" --outtype q8_0 --fuse-qkv --outfile "$B" 2>/dev/null || fail "convert q8_0 --fuse-qkv"

ARGS=(-m "$A" -m "$B" -p 16 -n 8 -r 2 -t 1,2 -ub 4,16)
"$BIN" bench "${ARGS[@]}" >"$TMP/md.txt" 2>"$TMP/err.txt" || fail "bench: $(cat "$TMP/err.txt")"
[ ! -s "$TMP/err.txt" ] || fail "bench wrote to stderr (not a terminal): $(cat "$TMP/err.txt")"
grep -q "kernels f32=" "$TMP/md.txt" || fail "no kernel line for f32: $(cat "$TMP/md.txt")"
grep -q "kernels q8_0=" "$TMP/md.txt" || fail "no kernel line for q8_0: $(cat "$TMP/md.txt")"
grep -q "weights read per generated token" "$TMP/md.txt" || fail "no weight bytes per token"
grep -Eq "Q8_0 matrices repacked into 16-row groups at load \([0-9.]+ MiB, in (huge|small) pages" "$TMP/md.txt" ||
    fail "no page size for the packed groups: $(cat "$TMP/md.txt")"
grep -q '^| model | size | params | type | qkv | threads | n_ubatch | test | t/s | GB/s |$' "$TMP/md.txt" ||
    fail "table header: $(cat "$TMP/md.txt")"
# Rows of the main table as "file qkv threads ubatch test", in output order (it ends at the
# first blank line after its header).
awk -F' *\\| *' '/^\| model \| size/ { on = 1 } on && /^$/ { exit } on && /^\| .*\.gguf/ { print $2, $6, $7, $8, $9 }' \
    "$TMP/md.txt" >"$TMP/rows.txt"
want=""
for f in "$A:separate" "$B:fused"; do
    for t in 1 2; do
        want+="${f%%:*} ${f##*:} $t 4 pp16"$'\n'"${f%%:*} ${f##*:} $t 16 pp16"$'\n'"${f%%:*} ${f##*:} $t - tg8"$'\n'
    done
done
[ "$(cat "$TMP/rows.txt")" = "${want%$'\n'}" ] || fail "table rows:
$(cat "$TMP/rows.txt")
want:
$want"
# Every row has "mean ± stddev" t/s; tg rows a GB/s figure.
[ "$(grep -c '^| .*| [0-9.]* ± [0-9.]* |' "$TMP/md.txt")" -eq 12 ] || fail "t/s cells: $(cat "$TMP/md.txt")"
[ "$(grep -c '| tg8 | [0-9.]* ± [0-9.]* | [0-9.]* |$' "$TMP/md.txt")" -eq 4 ] || fail "GB/s cells: $(cat "$TMP/md.txt")"
echo "ok markdown: 12 rows (2 files x 2 threads x (2 ubatch pp + 1 tg))"
# The paired table: the second file's rows over the first's, "ratio | min | max" with
# min <= ratio <= max.
grep -q "^t/s over $A's in the same round (median, min and max over the 2 rounds" "$TMP/md.txt" ||
    fail "no paired-ratio caption: $(cat "$TMP/md.txt")"
grep -q '^| model | qkv | threads | n_ubatch | test | ratio | min | max |$' "$TMP/md.txt" || fail "paired table header"
awk -F' *\\| *' '/^\| model \| qkv/ { on = 1 } on && /^\| .*\.gguf/ { print $2, $3, $4, $5, $6 }' "$TMP/md.txt" >"$TMP/pairs.txt"
want=""
for t in 1 2; do want+="$B fused $t 4 pp16"$'\n'"$B fused $t 16 pp16"$'\n'"$B fused $t - tg8"$'\n'; done
[ "$(cat "$TMP/pairs.txt")" = "${want%$'\n'}" ] || fail "paired rows:
$(cat "$TMP/pairs.txt")
want:
$want"
awk -F' *\\| *' '/^\| model \| qkv/ { on = 1 } on && /^\| .*\.gguf/ { n++; if (!($8 > 0 && $8 <= $7 && $7 <= $9)) bad = 1 }
    END { exit !(n == 6 && !bad) }' "$TMP/md.txt" || fail "paired cells: $(cat "$TMP/md.txt")"
echo "ok markdown: paired table, 6 rows, min <= ratio <= max"

"$BIN" bench "${ARGS[@]}" -o json --roofline --roofline-mib 16 >"$TMP/out.json" 2>"$TMP/err.txt" ||
    fail "bench -o json: $(cat "$TMP/err.txt")"
python3 - "$TMP/out.json" "$A" "$B" <<'EOF' || fail "json check"
import json, sys
d = json.load(open(sys.argv[1]))
a, b = sys.argv[2], sys.argv[3]
assert [m["file"] for m in d["models"]] == [a, b], d["models"]
assert d["models"][0]["qkv"] == "separate" and d["models"][1]["qkv"] == "fused"
assert "f32" in d["models"][0]["kernels"] and "q8_0" in d["models"][1]["kernels"]
assert all(m["weight_bytes_per_token"] > 0 for m in d["models"])
# the packed Q8_0 groups are in huge pages exactly where the kernel's THP mode grants them
try:
    thp = open("/sys/kernel/mm/transparent_hugepage/enabled").read()
except OSError:
    thp = ""
huge = "[madvise]" in thp or "[always]" in thp
assert d["models"][0]["repacked_matrices"] == 0 and d["models"][0]["repacked_huge_pages"] is False, d["models"][0]
assert d["models"][1]["repacked_matrices"] > 0 and d["models"][1]["repacked_huge_pages"] is huge, (thp, d["models"][1])
assert d["roofline"]["buffer_bytes"] == 16 << 20 and d["roofline"]["bracket_passes"] >= 1
assert [r["n_threads"] for r in d["roofline"]["gb_per_s"]] == [1, 2]
assert all(r["gb_per_s"] > 0 for r in d["roofline"]["gb_per_s"])
res = d["results"]
assert len(res) == 12, len(res)
got = [(r["model"], r["n_threads"], r["n_ubatch"], r["test"]) for r in res]
want = [(f, t, u, n) for f in (a, b) for t in (1, 2) for u, n in ((4, "pp16"), (16, "pp16"), (None, "tg8"))]
assert got == want, got
for r in res:
    assert len(r["samples_ns"]) == 2 and len(r["samples_ts"]) == 2 and r["avg_ts"] > 0, r
    assert (r["n_prompt"], r["n_gen"]) == ((16, 0) if r["test"] == "pp16" else (0, 8)), r
    assert ("roofline_fraction" in r) == (r["test"] == "tg8"), r
    if r["test"] == "tg8":  # one bracketing read per repetition, the fraction paired with them
        rl = r["roofline_samples_gb_per_s"]
        assert len(rl) == 2 and all(g > 0 for g in rl), r
        # from the exact weight bytes, not the rounded gb_per_s (a tiny model reads ~0.04 GB/s)
        wb = next(m["weight_bytes_per_token"] for m in d["models"] if m["file"] == r["model"])
        want = sum(wb * t / 1e9 / g for t, g in zip(r["samples_ts"], rl)) / 2
        assert abs(r["roofline_fraction"] - want) <= 1e-3 * want + 1e-6, (r, want)
        best = next(x["gb_per_s"] for x in d["roofline"]["gb_per_s"] if x["n_threads"] == r["n_threads"])
        want = wb * r["avg_ts"] / 1e9 / best
        assert abs(r["roofline_fraction_of_best"] - want) <= 1e-3 * want + 1e-6, (r, want)
    else:
        assert not any(f in r for f in ("roofline_samples_gb_per_s", "roofline_fraction_of_best", "gb_per_s")), r
    # every result names its context's GEMV layout per kind of matrix: f32 rows, q8_0 groups
    g = r["gemv"]
    kind = "f32" if r["model"] == a else "q8_0_groups"
    assert kind in g and g[kind]["layout"] in ("few", "many") and g[kind]["streams"] in (1, 2, 4), r
    t = g[kind]["timed_ms"]
    assert t is None or (len(t) == 2 and all(x > 0 for x in t)), r
    # timed once per file and thread count (these two files are no twins): the first result at
    # a thread count times, the later ones reuse it
    first = next(x for x in res if x["model"] == r["model"] and x["n_threads"] == r["n_threads"])
    assert r["gemv_from"] == (None if r is first else r["model"]), r
    assert g[kind]["reused"] == (r is not first) and g[kind] == dict(first["gemv"][kind], reused=g[kind]["reused"]), r
    # paired ratios: null for the first file, else min <= median <= max, from the samples
    if r["model"] == a:
        assert r["vs_first"] is None, r
    else:
        v = r["vs_first"]
        base = next(x for x in res if x["model"] == a and (x["n_threads"], x["n_ubatch"], x["test"]) ==
                    (r["n_threads"], r["n_ubatch"], r["test"]))
        q = sorted(s / b for s, b in zip(r["samples_ts"], base["samples_ts"]))
        assert 0 < v["min"] <= v["median"] <= v["max"], r
        assert abs(v["min"] - q[0]) <= 1e-3 * q[0] and abs(v["max"] - q[-1]) <= 1e-3 * q[-1], (r, q)
        assert abs(v["median"] - (q[0] + q[1]) / 2) <= 1e-3 * v["median"], (r, q)
print("ok json: 12 results, 2 samples each, kernels, weight bytes, roofline, GEMV layouts")
EOF

"$BIN" bench -m "$A" -p 0 -n 4 -r 1 -t 1 --roofline --roofline-mib 16 >"$TMP/rl.txt" 2>/dev/null || fail "bench --roofline"
grep -q '| roofline |$' "$TMP/rl.txt" || fail "--roofline: no roofline column: $(cat "$TMP/rl.txt")"
grep -q '| tg4 | .*%' "$TMP/rl.txt" || fail "--roofline: no fraction in the tg row: $(cat "$TMP/rl.txt")"
[ "$(grep -c '^| .*\.gguf' "$TMP/rl.txt")" -eq 1 ] || fail "-p 0: expected only the tg row: $(cat "$TMP/rl.txt")"
echo "ok --roofline, -p 0"

# --isa ref: the header names the cap, every kernel is the plain C one.
"$BIN" bench -m "$B" -p 4 -n 2 -r 1 -t 1 --isa ref >"$TMP/isa.txt" 2>/dev/null || fail "bench --isa ref"
grep -q "kernels up to ref (--isa)" "$TMP/isa.txt" || fail "--isa ref: header: $(head -2 "$TMP/isa.txt")"
grep -q "kernels q8_0=ref, f16=ref;" "$TMP/isa.txt" || fail "--isa ref: kernel line: $(head -2 "$TMP/isa.txt")"
"$BIN" bench -m "$B" -p 4 -n 2 -r 1 -t 1 -o json --isa ref 2>/dev/null | grep -q '"max_isa": "ref"' ||
    fail "--isa ref: no max_isa in the json"
echo "ok --isa ref"

# --copy-matrices: always copies the f32 file's matrices (huge pages, or small ones where the
# kernel refuses), never keeps them mapped; the header and the json say which.
"$BIN" bench -m "$A" -p 0 -n 2 -r 1 -t 1 --copy-matrices always >"$TMP/cp.txt" 2>/dev/null || fail "--copy-matrices always"
grep -Eq "; [0-9]+ matrices copied into (huge|small) pages" "$TMP/cp.txt" || fail "--copy-matrices always: $(head -2 "$TMP/cp.txt")"
"$BIN" bench -m "$A" -p 0 -n 2 -r 1 -t 1 --copy-matrices always -o json 2>/dev/null |
    grep -Eq '"copied_matrices": [1-9][0-9]*, "copied_matrix_bytes": [1-9][0-9]*, "matrices": "copied into' ||
    fail "--copy-matrices always: json"
"$BIN" bench -m "$A" -p 0 -n 2 -r 1 -t 1 --copy-matrices never -o json 2>/dev/null |
    grep -q '"copied_matrices": 0, "copied_matrix_bytes": 0, "matrices": "read through the mapping (as asked)"' ||
    fail "--copy-matrices never: json"
echo "ok --copy-matrices"

# --gemv: the header reports each thread count's layouts as asked; few and many name their
# stream counts, auto its timings where the kernel has two layouts.
"$BIN" bench -m "$B" -p 0 -n 2 -r 1 -t 1 --gemv many >"$TMP/gm.txt" 2>/dev/null || fail "--gemv many"
many=1 # the 256-bit packed kernels have four streams; the plain C and AVX-512 ones one layout
grep -Eq "kernels q8_0=(avx2|avxvnni)" "$TMP/gm.txt" && many=4
grep -Eq "GEMV layouts at 1 thread \(--gemv many\): .*q8_0 groups: $many streams?$" "$TMP/gm.txt" ||
    fail "--gemv many: $(cat "$TMP/gm.txt")"
"$BIN" bench -m "$B" -p 0 -n 2 -r 1 -t 1 --gemv few >"$TMP/gf.txt" 2>/dev/null || fail "--gemv few"
grep -q "GEMV layouts at 1 thread (--gemv few): .*q8_0 groups: 1 stream$" "$TMP/gf.txt" || fail "--gemv few: $(cat "$TMP/gf.txt")"
"$BIN" bench -m "$A" -p 0 -n 2 -r 1 -t 1 >"$TMP/ga.txt" 2>/dev/null || fail "--gemv auto"
grep -Eq "GEMV layouts at 1 thread \(--gemv auto\): f32: [124] streams?( \(timed: few [0-9.]+ ms, many [0-9.]+ ms\))?$" \
    "$TMP/ga.txt" || fail "--gemv auto: $(cat "$TMP/ga.txt")"
echo "ok --gemv"

# Twins (the same checkpoint unfused and fused: f32, and q8_0 whose fused file repacks fewer,
# larger matrices): the second file takes the first's GEMV layouts at every thread count;
# --gemv few times nothing and shares nothing.
C=$TMP/c.gguf D=$TMP/d.gguf
"$BIN" convert "$MODEL" --outtype f32 --fuse-qkv --outfile "$C" 2>/dev/null || fail "convert f32 --fuse-qkv"
"$BIN" convert "$MODEL" --outtype q8_0 --outfile "$D" 2>/dev/null || fail "convert q8_0"
"$BIN" bench -m "$A" -m "$C" -p 4 -n 2 -r 1 -t 1,2 >"$TMP/tw.txt" 2>/dev/null || fail "bench twins"
[ "$(grep -c "GEMV layouts at [12] threads\? (--gemv auto): f32: .* (timed before: .*), as for $A (the same matrices)$" \
    "$TMP/tw.txt")" -eq 2 ] || fail "twins: GEMV layouts not shared: $(cat "$TMP/tw.txt")"
"$BIN" bench -m "$D" -m "$B" -p 4 -n 2 -r 1 -t 1,2 >"$TMP/tw8.txt" 2>/dev/null || fail "bench q8_0 twins"
[ "$(grep -c "GEMV layouts at [12] threads\? (--gemv auto): .*q8_0 groups: .*, as for $D (the same matrices)$" \
    "$TMP/tw8.txt")" -eq 2 ] || fail "q8_0 twins: GEMV layouts not shared: $(cat "$TMP/tw8.txt")"
"$BIN" bench -m "$A" -m "$C" -p 4 -n 2 -r 1 -t 1 -o json --gemv few 2>/dev/null |
    grep -c '"gemv_from": null' | grep -qx 4 || fail "--gemv few: layouts shared"
echo "ok GEMV layouts shared between twins"

# ---- bad arguments: exit 2 with a message; a file that does not load: exit 1 ----
expect_rc() { # RC NEEDLE ARGS...
    local want=$1 needle=$2
    shift 2
    "$BIN" bench "$@" >/dev/null 2>"$TMP/err.txt"
    rc=$?
    [ $rc -eq "$want" ] || fail "bench $*: exit status $rc, expected $want ($(cat "$TMP/err.txt"))"
    grep -q -- "$needle" "$TMP/err.txt" || fail "bench $*: message lacks '$needle': $(cat "$TMP/err.txt")"
    echo "ok bench $*: $(head -1 "$TMP/err.txt")"
}
expect_rc 2 "need at least one -m" -p 16
expect_rc 2 "needs a value" -m
expect_rc 2 "bad value '0' for -t" -m "$A" -t 0
expect_rc 2 "bad value '4,,16' for -ub" -m "$A" -ub 4,,16
expect_rc 2 "bad value 'x' for -p" -m "$A" -p x
expect_rc 2 "bad value '0' for -r" -m "$A" -r 0
expect_rc 2 "bad value 'csv' for -o" -m "$A" -o csv
expect_rc 2 "unknown option --nope" -m "$A" --nope 1
expect_rc 2 "every -p and -n value is 0" -m "$A" -p 0 -n 0
expect_rc 2 "unexpected argument" "$A"
expect_rc 2 "bad value 'avx3' for --isa" -m "$A" --isa avx3
expect_rc 2 "needs a value" -m "$A" --isa
expect_rc 2 "expected auto, never or always, got 'sometimes'" -m "$A" --copy-matrices sometimes
expect_rc 2 "--gemv: expected auto, few or many, got 'some'" -m "$A" --gemv some
expect_rc 1 "missing.gguf" -m "$TMP/missing.gguf"
echo "all ok"
