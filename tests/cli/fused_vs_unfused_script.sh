#!/bin/bash
# bench/fused-vs-unfused.sh on the real stories260K model (f32 unfused against f32 --fuse-qkv):
#  - one table row per test x thread count x micro-batch (sorted so), each with one ratio per
#    invocation;
#  - every per-invocation ratio is the paired median of that invocation's JSON, inverted when
#    the fused file ran first (odd invocations), and the row's median, min, max and ">= 1"
#    count are those of the ratios listed;
#  - bad arguments exit 2 with a message.
# No timing assertions: performance goals live in bench/, never in tests.
# Usage: fused_vs_unfused_script.sh BIN SHARED_DIR SOURCE_DIR
set -u
BIN=$1 SHARED=$2 SRC=$3
SCRIPT=$SRC/bench/fused-vs-unfused.sh
MODEL=$SHARED/models/stories260K-hf
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hf2gguf-fvu-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -d "$MODEL" ] || fail "missing test model $MODEL"
A=$TMP/a.gguf B=$TMP/b.gguf
"$BIN" convert "$MODEL" --outtype f32 --outfile "$A" 2>/dev/null || fail "convert f32"
"$BIN" convert "$MODEL" --outtype f32 --fuse-qkv --outfile "$B" 2>/dev/null || fail "convert f32 --fuse-qkv"

bash "$SCRIPT" -b "$BIN" -w "$TMP/work" -N 3 -p 8 -n 4 -ub 2,8 -t 1,2 -r 2 "$A" "$B" >"$TMP/out.txt" 2>"$TMP/err.txt" ||
    fail "script failed: $(cat "$TMP/err.txt")"
grep -q '^| file | test | threads | ubatch | median | min | max | >= 1 | per invocation |$' "$TMP/out.txt" ||
    fail "table header: $(cat "$TMP/out.txt")"
awk -F' *\\| *' '/^\| b\.gguf/ { print $2, $3, $4, $5 }' "$TMP/out.txt" >"$TMP/rows.txt"
want="b.gguf pp8 1 2
b.gguf pp8 1 8
b.gguf pp8 2 2
b.gguf pp8 2 8
b.gguf tg4 1 -
b.gguf tg4 2 -"
[ "$(cat "$TMP/rows.txt")" = "$want" ] || fail "rows:
$(cat "$TMP/rows.txt")
want:
$want"
raw=$(sed -n 's/^raw results: //p' "$TMP/out.txt")
n_json=$(find "$raw" -maxdepth 1 -name 'b.*.json' 2>/dev/null | wc -l)
if ! [ -f "$raw/b.0.json" ] || ! [ -f "$raw/b.1.json" ] || ! [ -f "$raw/b.2.json" ] || [ "$n_json" -ne 3 ]; then
    fail "expected three invocations' JSON in '$raw': $(ls "$raw" 2>&1)"
fi
# In the odd invocation the fused file is listed first, so the paired ratio is a.gguf's.
grep -q '"vs_first": {"median"' "$raw/b.1.json" || fail "no paired ratios in $raw/b.1.json"
grep -q '"model_file": "a.gguf".*"vs_first": {"median"' "$raw/b.1.json" || fail "invocation 2 did not list b.gguf first"
grep -q '"model_file": "b.gguf".*"vs_first": {"median"' "$raw/b.0.json" || fail "invocation 1 did not list a.gguf first"

# Recompute each row from the JSON: per invocation, the paired median (1 / it when odd).
while read -r test threads ub; do
    jub=$ub; [ "$ub" = - ] && jub=null
    expect="" exact=""
    for i in 0 1 2; do
        m=$(grep "\"test\": \"$test\".*\"n_threads\": $threads, \"n_ubatch\": $jub,.*\"vs_first\": {\"median\"" "$raw/b.$i.json" |
            sed 's/.*"vs_first": {"median": \([0-9.]*\).*/\1/')
        [ -n "$m" ] || fail "no paired median for $test t$threads ub$ub in invocation $i"
        # the script keeps 6 decimals per ratio and prints 3
        r=$(awk -v m="$m" -v inv=$((i % 2)) 'BEGIN { printf "%.6f", inv ? 1 / m : m }')
        exact+="$r "
        expect+=$(awk -v r="$r" 'BEGIN { printf "%.3f ", r }')
    done
    line=$(grep "^| b\.gguf | $test | $threads | $ub |" "$TMP/out.txt")
    got=$(echo "$line" | awk -F' *\\| *' '{ print $10 }')
    [ "$got" = "${expect% }" ] || fail "$test t$threads ub$ub: per-invocation ratios '$got', from the JSON '${expect% }'"
    # median, min, max and the count >= 1 of those three ratios
    stats=$(echo "${exact% }" | tr ' ' '\n' | sort -g | awk '{ v[NR] = $1; ge += ($1 >= 1) }
        END { printf "%.3f %.3f %.3f %d/3", v[2], v[1], v[3], ge }')
    cells=$(echo "$line" | awk -F' *\\| *' '{ print $6, $7, $8, $9 }')
    [ "$cells" = "$stats" ] || fail "$test t$threads ub$ub: median/min/max/>=1 '$cells', expected '$stats'"
done <<EOF
pp8 1 2
pp8 1 8
tg4 1 -
pp8 2 2
pp8 2 8
tg4 2 -
EOF
echo "ok table: 6 rows, each 3 invocations, ratios and statistics match the JSON"

# Bad arguments: exit 2 with a message, nothing run.
for args in "" "$A" "$A $B $A" "-N 0 $A $B" "-w $SRC/tmp $A $B" "--bogus $A $B" "$A $TMP/missing.gguf"; do
    # shellcheck disable=SC2086
    bash "$SCRIPT" -b "$BIN" $args >"$TMP/o.txt" 2>"$TMP/e.txt"
    rc=$?
    [ $rc -eq 2 ] || fail "args '$args': exit $rc, expected 2"
    [ -s "$TMP/e.txt" ] || fail "args '$args': no message"
done
echo "ok bad arguments exit 2"
