#!/usr/bin/env bash
# Converter parity: llama.cpp v0.5.0's convert_hf_to_gguf.py (from the npm package's source bundle)
# and `hf2gguf convert` on the same checkpoints and arguments; prints a table
#   file | identical | first difference
# and exits 1 unless every pair is byte-identical.
#
#   bash tests/interop/compare-converter.sh [HF2GGUF_BIN] [SHARED_DIR] [WORKDIR] [MKTINY]
#
# Defaults: build/hf2gguf, ../shared beside the repository, build/interop-parity, mktiny beside
# HF2GGUF_BIN. Installs the
# npm peers (setup.sh) and Debian's python3-torch & co. (apt-get) if missing; see docs/interop.md.
# Pairs: stories260K-hf and stories260K-hf-untied x {f32, f16, bf16, q8_0, auto} x {plain,
# --fuse-qkv} and --vocab-only, and the same for the tiny checkpoint with Q/K/V biases
# (make-tiny.sh). llama.cpp's converter has no --qkv-bias separate: our separate-bias layout has no
# reference file and is covered by the llama.cpp load tests instead.
# Then synthetic random-weight checkpoints made here by `hf2gguf synth` with stories260K-hf's
# SentencePiece tokenizer: qwen2, qwen3 (also head_dim 32 != n_embd/n_head), starcoder2, phi2,
# stablelm with Q/K/V biases and with the parallel residual, and bf16-stored qwen2 and phi2, each x
# {f32, f16, bf16, q8_0} x {plain, --fuse-qkv}. llama.cpp's Qwen2/Qwen3 classes read tokenizer.model
# natively; for phi2, starcoder2 and stablelm, whose set_vocab needs the real transformers, the
# reference runs through refconv.sh's wrapper that swaps in the converter's own SentencePiece vocab.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${1:-$repo/build/hf2gguf}
shared=${2:-$repo/../shared}
work=${3:-$repo/build/interop-parity}
mktiny=${4:-$(dirname "$bin")/mktiny}
# shellcheck source=refconv.sh
source "$here/refconv.sh"

start=$(date +%s)
bash "$here/setup.sh" "$work" "$repo" > /dev/null
refconv_install_deps
refconv_prepare "$work" "$work/npm"
ours=$work/ours theirs=$work/llama.cpp
rm -rf "$ours" "$theirs"
mkdir -p "$ours" "$theirs"

pairs=0 same=0
rows=()

# first_difference OURS THEIRS: from `hf2gguf diff`, the first differing KV (else tensor) with its
# detail lines, else its first header line; cmp's byte offset if diff says nothing.
first_difference() {
    local report d
    report=$("$bin" diff "$1" "$2" 2>&1 || true)
    d=$(awk '/^(kv|tensors):/ && !found { found = 1; sub(/:$/, ""); printf "%s", $0; next }
             found == 1 && /^ / { sub(/^ +/, ""); printf "; %s", $0; next }
             found == 1 { exit }' <<< "$report")
    [[ -n $d ]] || d=$(head -1 <<< "$report")
    [[ -n $d ]] || d=$(cmp "$1" "$2" 2>&1 | head -1)
    d=${d//A: /ours: }
    d=${d//B: /llama.cpp: }
    echo "${d//|/\\|}"
}

# The llama.cpp side of compare: refconv_convert, or refconv_convert_sp_vocab (the SentencePiece
# vocab wrapper) for the phi2, starcoder2 and stablelm checkpoints only.
reference=refconv_convert

compare() { # FILE_NAME MODEL_DIR [converter options...]
    local name=$1 model=$2
    shift 2
    "$reference" "$model" "$theirs/$name" "$@"
    "$bin" convert "$model" --outfile "$ours/$name" "$@" 2> "$ours/$name.log" || {
        rows+=("| $name | no | hf2gguf convert failed: $(tail -1 "$ours/$name.log") |")
        pairs=$((pairs + 1))
        return
    }
    pairs=$((pairs + 1))
    if cmp -s "$ours/$name" "$theirs/$name"; then
        same=$((same + 1))
        rows+=("| $name | yes | |")
    else
        rows+=("| $name | no | $(first_difference "$ours/$name" "$theirs/$name") |")
    fi
}

bash "$here/make-tiny.sh" "$mktiny" "$shared" "$work/models/tiny-qkv-bias" > /dev/null
models=("$shared/models/stories260K-hf" "$shared/models/stories260K-hf-untied" "$work/models/tiny-qkv-bias")
for model in "${models[@]}"; do
    m=$(basename "$model")
    for type in f32 f16 bf16 q8_0 auto; do
        compare "$m-$type.gguf" "$model" --outtype "$type"
        compare "$m-$type-fused.gguf" "$model" --outtype "$type" --fuse-qkv
    done
    compare "$m-vocab-only.gguf" "$model" --vocab-only
done

# Synthetic checkpoints: NAME|ARCH|synth options. Those of phi2, starcoder2 and stablelm go
# through the SentencePiece vocab wrapper.
synths=(
    "synth-qwen2|qwen2|"
    "synth-qwen2-bf16|qwen2|--dtype bf16"
    "synth-qwen3|qwen3|"
    "synth-qwen3-head-dim-32|qwen3|--head-dim 32"
    "synth-starcoder2|starcoder2|"
    "synth-phi2|phi2|--ff 256 --heads 4 --kv-heads 4"
    "synth-phi2-bf16|phi2|--ff 256 --heads 4 --kv-heads 4 --dtype bf16"
    "synth-stablelm-qkv-bias|stablelm|--switch use_qkv_bias=1"
    "synth-stablelm-parallel-residual|stablelm|--switch use_parallel_residual=1"
)
for spec in "${synths[@]}"; do
    IFS='|' read -r m arch opts <<< "$spec"
    model=$work/models/$m
    rm -rf "$model"
    # shellcheck disable=SC2086 # opts is a list of words
    "$bin" synth "$model" --arch "$arch" $opts --tokenizer-from "$shared/models/stories260K-hf" \
        > /dev/null
    case $arch in
        phi2 | starcoder2 | stablelm) reference=refconv_convert_sp_vocab ;;
        *) reference=refconv_convert ;;
    esac
    for type in f32 f16 bf16 q8_0; do
        compare "$m-$type.gguf" "$model" --outtype "$type"
        compare "$m-$type-fused.gguf" "$model" --outtype "$type" --fuse-qkv
    done
done
reference=refconv_convert

echo "Converter parity: hf2gguf ($bin) vs llama.cpp v0.5.0 convert_hf_to_gguf.py (bundle commit $REFCONV_COMMIT)"
echo "For the synth-phi2*, synth-starcoder2* and synth-stablelm* files only, llama.cpp's converter runs through $REFCONV_SP_WRAPPER, which replaces TextModel.set_vocab and StableLMModel.set_vocab with self._set_vocab_sentencepiece() and changes nothing else."
echo
echo "| file | identical | first difference |"
echo "| --- | --- | --- |"
printf '%s\n' "${rows[@]}"
echo
echo "$same of $pairs files byte-identical ($(($(date +%s) - start)) s)"
((same == pairs))
