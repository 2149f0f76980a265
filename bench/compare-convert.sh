#!/usr/bin/env bash
# hf2gguf convert against llama.cpp v0.5.0's own convert_hf_to_gguf.py (the source bundle of
# node-llama-cpp@3.22.1, run by Debian's /usr/bin/python3 as tests/interop/refconv.sh sets it up)
# on the same checkpoint, alternating the two tools: wall time and peak RSS (/usr/bin/time),
# and a byte comparison of the two outputs (a speed figure for a different file would mean
# nothing).
#
#   bench/compare-convert.sh [options] HF_DIR
#     -w DIR        work dir for the llama.cpp checkout and the outputs (default /tmp/hf2gguf-bench)
#     -b BIN        hf2gguf binary (default: build/hf2gguf of this checkout)
#     --npm DIR     folder with node_modules/ holding node-llama-cpp@3.22.1 (default build/interop/npm)
#     -t TYPE       --outtype of both converters (default q8_0)
#     -r N          runs of each tool (default 3)
#
# Prints one line per run, then the medians and the ratios (llama.cpp / hf2gguf for time,
# llama.cpp / hf2gguf for peak RSS). The page cache is left warm on purpose: both tools read
# the same files right after each other, so neither pays the first read; `sync` runs before
# every run (untimed). Neither tool waits for the disk at the end (no fsync; hf2gguf writes
# whole blocks with O_DIRECT and renames a complete file into place). Needs the refconv
# Debian packages (python3-numpy, python3-torch, ...; `tests/interop/refconv.sh` names them).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=/tmp/hf2gguf-bench
BIN=$ROOT/build/hf2gguf
NPM=$ROOT/build/interop/npm
TYPE=q8_0
REPS=3
while (($#)); do
    case $1 in
    -w) WORK=$2; shift 2 ;;
    -b) BIN=$2; shift 2 ;;
    --npm) NPM=$2; shift 2 ;;
    -t) TYPE=$2; shift 2 ;;
    -r) REPS=$2; shift 2 ;;
    -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
    -*) echo "compare-convert: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
(($# == 1)) || { echo "usage: bench/compare-convert.sh [options] HF_DIR (--help)" >&2; exit 2; }
HF=$1
[[ -d $HF ]] || { echo "compare-convert: $HF is not a directory" >&2; exit 2; }
[[ -x $BIN ]] || { echo "compare-convert: no hf2gguf binary at $BIN (build first, or -b)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "compare-convert: needs /usr/bin/time (Debian package 'time')" >&2; exit 2; }

# shellcheck source=../tests/interop/refconv.sh
source "$ROOT/tests/interop/refconv.sh"
refconv_install_deps
mkdir -p "$WORK/convert"
refconv_prepare "$WORK" "$NPM"

OUT=$WORK/convert
measure() { # NAME COMMAND... : appends "seconds kib" to $OUT/NAME.times
    local name=$1
    shift
    sync # the other tool's output is on disk before this run starts, so neither waits for the other's writeback
    /usr/bin/time -f "%e %M" -o "$OUT/$name.one" "$@" > "$OUT/$name.log" 2>&1 ||
        { echo "compare-convert: $name failed:" >&2; tail -20 "$OUT/$name.log" >&2; exit 1; }
    cat "$OUT/$name.one" >> "$OUT/$name.times"
    echo "compare-convert: $name run: $(cat "$OUT/$name.one") (seconds, peak KiB)"
}
: > "$OUT/hf2gguf.times"
: > "$OUT/llama.cpp.times"
for ((i = 0; i < REPS; i++)); do
    # the order flips every round, so drift does not favour one tool
    for who in $( ((i % 2)) && echo "llama.cpp hf2gguf" || echo "hf2gguf llama.cpp"); do
        if [[ $who == hf2gguf ]]; then
            measure hf2gguf "$BIN" convert "$HF" --outtype "$TYPE" --outfile "$OUT/hf2gguf.gguf"
        else
            measure llama.cpp env REFCONV_DIR="$REFCONV_DIR" PYTHONPATH="$REFCONV_PYTHONPATH" "$REFCONV_PY" \
                "$REFCONV_DIR/convert_hf_to_gguf.py" "$HF" --outtype "$TYPE" --outfile "$OUT/llama.cpp.gguf"
        fi
    done
done
if cmp -s "$OUT/hf2gguf.gguf" "$OUT/llama.cpp.gguf"; then same="byte-identical"; else same="DIFFERENT"; fi

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ht=$(cut -d' ' -f1 "$OUT/hf2gguf.times" | median)
lt=$(cut -d' ' -f1 "$OUT/llama.cpp.times" | median)
hm=$(cut -d' ' -f2 "$OUT/hf2gguf.times" | median)
lm=$(cut -d' ' -f2 "$OUT/llama.cpp.times" | median)
echo
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores online; llama.cpp $REFCONV_COMMIT"
echo "checkpoint: $HF ($(du -sh "$HF" | cut -f1)); --outtype $TYPE; $REPS runs each, alternating; outputs $same"
echo
echo "| tool | median wall s | median peak RSS MiB |"
echo "| --- | ---: | ---: |"
awk -v t="$lt" -v m="$lm" 'BEGIN {printf "| llama.cpp convert_hf_to_gguf.py | %.2f | %.0f |\n", t, m / 1024}'
awk -v t="$ht" -v m="$hm" 'BEGIN {printf "| hf2gguf convert | %.2f | %.0f |\n", t, m / 1024}'
awk -v a="$lt" -v b="$ht" -v c="$lm" -v d="$hm" \
    'BEGIN {printf "\nhf2gguf is %.1fx faster, with %.1fx less peak RSS\n", a / b, c / d}'
[[ $same == byte-identical ]] || { echo "compare-convert: the outputs differ" >&2; exit 1; }
