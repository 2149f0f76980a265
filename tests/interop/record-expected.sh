#!/usr/bin/env bash
# Regenerates tests/interop/expected/<model>.json: the greedy tokens (and top-5, for reference)
# that llama.cpp v0.5.0 generates from the f32 file that llama.cpp's OWN converter writes for each
# test checkpoint. The interop tests compare hf2gguf's f32 files against these, so CI needs no
# Python or torch. Run it by hand after changing the prompt, the token count or the checkpoints:
#
#   bash tests/interop/record-expected.sh [WORKDIR] [SHARED_DIR] [MKTINY]
#
# MKTINY (default build/mktiny) writes the tiny Llama checkpoint with Q/K/V biases from the flags
# in tiny-qkv-bias.args (make-tiny.sh), exactly as the ctest fixture interop_make_tiny does.
# It installs Debian's python3-torch & co. (apt-get) if missing; see docs/interop.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${1:-$repo/build/interop-record}
shared=${2:-$repo/../shared}
mktiny=${3:-$repo/build/mktiny}
# shellcheck source=refconv.sh
source "$here/refconv.sh"

bash "$here/setup.sh" "$work" "$repo"
refconv_install_deps
refconv_prepare "$work" "$work/npm"
mkdir -p "$work/ref"

record() { # NAME MODEL_DIR
    local name=$1 dir=$2 out=$work/ref/$1-f32.gguf
    refconv_convert "$dir" "$out" --outtype f32
    node "$work/npm/generate.mjs" --record "$here/expected/$name.json" \
        --note "llama.cpp v0.5.0 convert_hf_to_gguf.py (bundle commit $REFCONV_COMMIT) --outtype f32 on $name; gguf sha256 $(sha256sum "$out" | cut -c1-64)" \
        --checkpoint "$dir" "$out"
}

record stories260K-hf "$shared/models/stories260K-hf"
record stories260K-hf-untied "$shared/models/stories260K-hf-untied"
bash "$here/make-tiny.sh" "$mktiny" "$shared" "$work/models/tiny-qkv-bias"
record tiny-qkv-bias "$work/models/tiny-qkv-bias"
echo "wrote $here/expected/*.json"
