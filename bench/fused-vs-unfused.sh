#!/usr/bin/env bash
# Fused QKV against unfused, as a median over several processes rather than over the rounds
# of one: on a shared VM one process (one set of allocations, page placements, a core's
# neighbours) can run a file several per cent fast or slow for its whole life, so a single
# `hf2gguf bench -m A -m B` gives a sample of the fused/unfused ratio, not a measurement.
#
#   bench/fused-vs-unfused.sh [options] BASE.gguf OTHER.gguf [BASE2.gguf OTHER2.gguf ...]
#     -N N          bench invocations per pair (default 5); the -m order flips every time
#     -b BIN        hf2gguf binary (default: build/hf2gguf of this checkout)
#     -w DIR        where the raw JSON goes (default /tmp/hf2gguf-bench; outside the repository)
#     -p N -n N     prompt / generated tokens (default 512 / 128)
#     -ub LIST      micro-batch sizes of the pp test (default 512)
#     -t LIST       thread counts (default 1,2)
#     -r N          repetitions per invocation (default 4)
#     --kv-type T   f32 or f16 (default f16, llama-bench's)
#     -- ARGS       passed on to every hf2gguf bench (e.g. -- --isa avx2)
#
# Each invocation is one `hf2gguf bench -m BASE -m OTHER` (or OTHER first): its paired table
# gives OTHER's t/s over BASE's, median over the rounds; this script takes those per-invocation
# medians (inverted when OTHER ran as the first file) and prints, per test, thread count and
# micro-batch, their median, min and max and how many were >= 1.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=/tmp/hf2gguf-bench
bin=$repo/build/hf2gguf
invocations=5 p=512 n=128 ub=512 threads=1,2 reps=4 kv=f16
files=() extra=()
while (($#)); do
    case $1 in
    -N) invocations=$2; shift 2 ;;
    -b) bin=$2; shift 2 ;;
    -w) work=$2; shift 2 ;;
    -p) p=$2; shift 2 ;;
    -n) n=$2; shift 2 ;;
    -ub) ub=$2; shift 2 ;;
    -t) threads=$2; shift 2 ;;
    -r) reps=$2; shift 2 ;;
    --kv-type) kv=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h | --help) sed -n '2,/^set /{/^set /d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    -*) echo "fused-vs-unfused: unknown option $1" >&2; exit 2 ;;
    *) files+=("$1"); shift ;;
    esac
done
((${#files[@]} >= 2 && ${#files[@]} % 2 == 0)) ||
    { echo "fused-vs-unfused: expected pairs of GGUF files, BASE then OTHER (see --help)" >&2; exit 2; }
for f in "${files[@]}"; do [[ -f $f ]] || { echo "fused-vs-unfused: $f: no such file" >&2; exit 2; }; done
[[ -x $bin ]] || { echo "fused-vs-unfused: $bin not built (cmake --build build)" >&2; exit 2; }
[[ $invocations =~ ^[1-9][0-9]*$ ]] || { echo "fused-vs-unfused: -N $invocations: expected a count >= 1" >&2; exit 2; }
case $work/ in "$repo"/*) echo "fused-vs-unfused: the work dir must be outside the repository" >&2; exit 2 ;; esac

out=$work/results/fvu-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"

# One line per result of a bench JSON that has a paired ratio:
#   file test threads ubatch ratio
# (ubatch "-" for tg). The JSON puts each result on one line.
paired_ratios() {
    sed -n 's/.*"model_file": "\([^"]*\)".*"test": "\([^"]*\)".*"n_threads": \([0-9]*\), "n_ubatch": \([0-9a-z]*\),.*"vs_first": {"median": \([0-9.]*\).*/\1 \2 \3 \4 \5/p' "$1" |
        sed 's/ null / - /'
}

summary=$out/summary.txt
: >"$summary"
# Invocation by invocation, every pair in each: drift over minutes (this VM has it) then
# spreads over the pairs instead of landing on the last one.
for ((i = 0; i < invocations; i++)); do
    for ((pi = 0; pi < ${#files[@]}; pi += 2)); do
        base=${files[pi]} other=${files[pi + 1]}
        tag=$(basename "$other" .gguf)
        if ((i % 2 == 0)); then order=(-m "$base" -m "$other"); else order=(-m "$other" -m "$base"); fi
        echo "fused-vs-unfused: invocation $((i + 1))/$invocations, $(basename "$other") over $(basename "$base")" >&2
        json=$out/$tag.$i.json
        "$bin" bench "${order[@]}" -p "$p" -n "$n" -ub "$ub" -t "$threads" -r "$reps" --kv-type "$kv" \
            "${extra[@]}" -o json >"$json" 2>"$out/$tag.$i.err" ||
            { echo "fused-vs-unfused: hf2gguf bench failed, see $out/$tag.$i.err" >&2; exit 1; }
        # OTHER over BASE: as printed when BASE ran first, inverted when OTHER did.
        paired_ratios "$json" | awk -v inv=$((i % 2)) -v pair=$((pi / 2)) -v name="$(basename "$other")" \
            '{ r = inv ? 1 / $5 : $5; printf "%d %s %s %s %s %.6f\n", pair, name, $2, $3, $4, r }' >>"$summary"
    done
done

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
echo "machine: $cpu, $(nproc) cores online; $("$bin" --version 2>/dev/null || echo "$bin: no --version")"
echo "each ratio: OTHER t/s over BASE t/s, the median over one invocation's rounds (-r $reps); $invocations invocations per pair"
echo
echo "| file | test | threads | ubatch | median | min | max | >= 1 | per invocation |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
sort -k1,1n -k3,3 -k4,4n -k5,5n -s "$summary" | awk '
    function flush(   i, j, t, m, ge, list) {
        if (!cnt) return
        for (i = 2; i <= cnt; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
        m = cnt % 2 ? v[(cnt + 1) / 2] : (v[cnt / 2] + v[cnt / 2 + 1]) / 2
        ge = 0
        for (i = 1; i <= cnt; i++) if (v[i] >= 1) ge++
        printf "| %s | %s | %s | %s | %.3f | %.3f | %.3f | %d/%d | %s |\n", f, tt, th, u, m, v[1], v[cnt], ge, cnt, seq
        cnt = 0; seq = ""
    }
    { key = $1 " " $3 " " $4 " " $5
      if (key != last) { flush(); last = key; f = $2; tt = $3; th = $4; u = $5 }
      v[++cnt] = $6; seq = seq (seq == "" ? "" : " ") sprintf("%.3f", $6) }
    END { flush() }'
echo
echo "raw results: $out"
