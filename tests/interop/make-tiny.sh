#!/usr/bin/env bash
# Writes the tiny Llama checkpoint WITH Q/K/V biases used by the interop tests (random weights,
# deterministic: the flags in tiny-qkv-bias.args, stories260K's 512-piece tokenizer).
#
#   make-tiny.sh MKTINY SHARED_DIR OUTDIR
set -euo pipefail
mktiny=$1 shared=$2 out=$3
rm -rf "$out"
mkdir -p "$(dirname "$out")"
# shellcheck disable=SC2046 # the args file is a list of flags
"$mktiny" "$out" $(cat "$(dirname "$0")/tiny-qkv-bias.args") --tokenizer-from "$shared/models/stories260K-hf"
echo "wrote $out (model.safetensors sha256 $(sha256sum "$out/model.safetensors" | cut -c1-64))"
