#!/usr/bin/env bash
# The main job on the built-in default: convert ../shared/models/stories260K-hf
# with --fuse-qkv, show the file, and run it (greedy, 60 tokens).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
model=${1:-../shared/models/stories260K-hf}
out=${2:-/tmp/stories260K-fused.gguf}
./build/hf2gguf convert "$model" --outfile "$out" --outtype f32 --fuse-qkv
./build/hf2gguf info "$out"
./build/hf2gguf run "$out" -p "Once upon a time" -n 60
echo
