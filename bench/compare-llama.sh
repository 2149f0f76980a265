#!/usr/bin/env bash
# hf2gguf bench against llama.cpp's own llama-bench (v0.5.0, the prebuilt CPU libraries of
# node-llama-cpp@3.22.1) on the same GGUF files, alternating the two tools.
#
#   bench/compare-llama.sh [options] FILE.gguf...
#     -w DIR        work dir for the llama.cpp clone, the llama-bench build and the raw results
#                   (default /tmp/hf2gguf-bench; keep it outside the repository)
#     -b BIN        hf2gguf binary (default: build/hf2gguf of this checkout)
#     --npm DIR     folder with node_modules/ holding node-llama-cpp@3.22.1
#                   (default: build/interop/npm, which tests/interop/setup.sh installs)
#     -p N -n N     prompt / generated tokens (default 512 / 128)
#     -t LIST       thread counts (default 1,2)
#     -r N          repetitions (default 3)
#     --lm LIST     llama-bench load modes (default mmap,none: mmap and no mmap)
#     --isa TIER    run both tools as on an older CPU: hf2gguf bench --isa TIER, and llama-bench
#                   with only the matching ggml CPU variant beside it (ref: x64, avx2: haswell,
#                   avxvnni: alderlake; avx512: every variant, ggml picks, as without --isa)
#
# llama-bench is built once (about 15 s) from tools/llama-bench of the source bundle shipped in
# the npm package, linked against the package's prebuilt libllama/libggml/libllama-common, with
# the package's CPU backend variants symlinked next to the binary (ggml loads them from the
# executable's folder). For every file and thread count, llama-bench and hf2gguf bench run one
# after the other, the order flipping every time. Both use an f16 KV cache (llama-bench's
# default; hf2gguf bench --kv-type f16) and micro-batches of 512. The table goes to stdout;
# the raw JSON of every run stays in DIR/results/.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=/tmp/hf2gguf-bench
bin=$repo/build/hf2gguf
npm=$repo/build/interop/npm
p=512 n=128 threads=1,2 reps=3 lm=mmap,none isa=
files=()
while (($#)); do
    case $1 in
    -w) work=$2; shift 2 ;;
    -b) bin=$2; shift 2 ;;
    --npm) npm=$2; shift 2 ;;
    -p) p=$2; shift 2 ;;
    -n) n=$2; shift 2 ;;
    -t) threads=$2; shift 2 ;;
    -r) reps=$2; shift 2 ;;
    --lm) lm=$2; shift 2 ;;
    --isa) isa=$2; shift 2 ;;
    -h | --help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "compare-llama: unknown option $1" >&2; exit 2 ;;
    *) files+=("$1"); shift ;;
    esac
done
((${#files[@]})) || { echo "compare-llama: no GGUF files given (see --help)" >&2; exit 2; }
for f in "${files[@]}"; do [[ -f $f ]] || { echo "compare-llama: $f: no such file" >&2; exit 2; }; done
[[ -x $bin ]] || { echo "compare-llama: $bin not built (cmake --build build)" >&2; exit 2; }
case $work/ in "$repo"/*) echo "compare-llama: the work dir must be outside the repository" >&2; exit 2 ;; esac

bins=$npm/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64
bundle=$npm/node_modules/node-llama-cpp/llama/gitRelease.bundle
[[ -f $bundle && -f $bins/libllama.v0.5.0.so ]] || {
    echo "compare-llama: node-llama-cpp@3.22.1 not found under $npm (run tests/interop/setup.sh $npm/.. $repo," \
        "or pass --npm)" >&2
    exit 2
}

# ---- llama-bench, built against the prebuilt libraries ----
src=$work/llama.cpp
lb=$work/bin/llama-bench
stamp=$(sha256sum "$bundle" | cut -d' ' -f1)
if [[ ! -x $lb || ! -f $work/bin/.bundle-sha256 || $(cat "$work/bin/.bundle-sha256") != "$stamp" ]]; then
    rm -rf "$src" "$work/bin"
    mkdir -p "$work/bin"
    git clone --quiet --no-checkout "$bundle" "$src"
    git -C "$src" -c advice.detachedHead=false checkout --quiet HEAD -- include ggml/include common tools/llama-bench
    echo "compare-llama: building $lb" >&2
    g++ -std=c++17 -O2 -DNDEBUG -I"$src/include" -I"$src/ggml/include" -I"$src/common" \
        "$src/tools/llama-bench/llama-bench.cpp" "$src/tools/llama-bench/main.cpp" -o "$lb" \
        -L"$bins" -l:libllama-common.so -l:libllama.v0.5.0.so -l:libggml.v0.5.0.so -l:libggml-base.so \
        -Wl,-rpath,"$bins" -pthread
    for so in "$bins"/libggml-cpu-*.so; do ln -sf "$so" "$work/bin/"; done
    echo "$stamp" >"$work/bin/.bundle-sha256"
fi

# ---- --isa: a folder with llama-bench (a copy: ggml looks beside the real executable) and
# only the CPU variant of that tier ----
hf_isa=()
case $isa in
'' | avx512) variant= ;;
ref) variant=x64 ;;
avx2) variant=haswell ;;
avxvnni) variant=alderlake ;;
*) echo "compare-llama: --isa $isa: expected ref, avx2, avxvnni or avx512" >&2; exit 2 ;;
esac
[[ -z $isa ]] || hf_isa=(--isa "$isa")
if [[ -n $variant ]]; then
    vdir=$work/bin-$isa
    rm -rf "$vdir"
    mkdir -p "$vdir"
    cp "$lb" "$vdir/llama-bench"
    ln -s "$bins/libggml-cpu-$variant.so" "$vdir/"
    lb=$vdir/llama-bench
fi

# ---- alternate runs ----
out=$work/results/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
IFS=, read -r -a tlist <<<"$threads"
i=0
for f in "${files[@]}"; do
    for t in "${tlist[@]}"; do
        tag=$(basename "$f" .gguf)-t$t
        run_llama() {
            echo "compare-llama: llama-bench $f -t $t" >&2
            "$lb" -m "$f" -p "$p" -n "$n" -t "$t" -r "$reps" -lm "$lm" -o json >"$out/$tag.llama.json" 2>"$out/$tag.llama.err"
            grep -h "loaded CPU backend" "$out/$tag.llama.err" | head -1 >&2 || true
        }
        run_hf() {
            echo "compare-llama: hf2gguf bench $f -t $t" >&2
            "$bin" bench -m "$f" -p "$p" -n "$n" -t "$t" -r "$reps" --kv-type f16 "${hf_isa[@]}" -o json \
                >"$out/$tag.hf.json" 2>/dev/null
        }
        if ((i % 2 == 0)); then run_llama; run_hf; else run_hf; run_llama; fi
        i=$((i + 1))
    done
done

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
cores=$(nproc)
commit=$(git -C "$src" rev-parse --short HEAD)
[[ -z $variant ]] || echo "kernel tier: hf2gguf bench --isa $isa, llama.cpp with only libggml-cpu-$variant.so"
python3 - "$out" "$lm" "$cpu" "$cores" "$commit" "${files[@]}" <<'EOF'
import glob, json, os, sys
out, lm, cpu, cores, commit, files = sys.argv[1], sys.argv[2].split(","), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:]
rows = []
for f in files:
    base = os.path.basename(f)[:-5] if f.endswith(".gguf") else os.path.basename(f)
    for hp in sorted(glob.glob(os.path.join(out, base + "-t*.hf.json")), key=lambda s: int(s.rsplit("-t", 1)[1].split(".")[0])):
        hf = json.load(open(hp))
        ll = json.load(open(hp[:-len(".hf.json")] + ".llama.json"))
        m = hf["models"][0]
        for r in hf["results"]:
            key = (r["n_prompt"], r["n_gen"], r["n_threads"])
            lt = {x["load_mode"]: x for x in ll if (x["n_prompt"], x["n_gen"], x["n_threads"]) == key}
            rows.append((os.path.basename(f), m["kernels"], m["qkv"], r["test"], r["n_threads"], lt, r))
print(f"machine: {cpu}, {cores} cores online; llama.cpp {commit} (v0.5.0, node-llama-cpp@3.22.1 prebuilt CPU libraries)")
print()
label = {"none": "no mmap"}
head = (["file", "qkv", "test", "threads"] + [f"llama.cpp ({label.get(m, m)}) t/s" for m in lm] + ["hf2gguf t/s"]
        + [f"hf2gguf / llama.cpp ({label.get(m, m)})" for m in lm])
print("| " + " | ".join(head) + " |")
print("| --- | --- | ---: | ---: |" + " ---: |" * (2 * len(lm) + 1))
for f, kernels, qkv, test, t, lt, r in rows:
    cells = [f, qkv, test, str(t)]
    for m in lm:
        cells.append(f"{lt[m]['avg_ts']:.2f} ± {lt[m]['stddev_ts']:.2f}" if m in lt else "-")
    cells.append(f"{r['avg_ts']:.2f} ± {r['stddev_ts']:.2f}")
    for m in lm:
        cells.append(f"{r['avg_ts'] / lt[m]['avg_ts']:.2f}" if m in lt else "-")
    print("| " + " | ".join(cells) + " |")
print()
print(f"raw results: {out}")
print(f"date: {os.path.basename(out)}")
EOF
