#!/usr/bin/env bash
# Interop fixture: installs the pinned peers and builds the raw-logits program, all under WORKDIR
# (a folder of the build tree, never the source tree, so several build trees can test at once).
#
#   setup.sh WORKDIR SOURCE_DIR
#
# - WORKDIR/npm: package.json + package-lock.json + the .mjs scripts, `npm ci` from the npm
#   registry without downloads or builds beyond the registry tarballs (re-run only when the lock
#   changes), then a load check of both peers: the prebuilt llama.cpp must actually load.
# - WORKDIR/llama.cpp-src: headers of llama.cpp v0.5.0 from the source bundle inside the npm package.
# - WORKDIR/llama_logits: tests/interop/llama_logits.c linked against the package's libllama.
# Any failure exits non-zero: the interop tests that need this fixture then do not pass.
set -euo pipefail
work=$1
src=$2/tests/interop
npm_dir=$work/npm
mkdir -p "$npm_dir"

require_node_20() {
    local major
    major=$(node -p 'process.versions.node.split(".")[0]')
    if ((major < 20)); then
        echo "interop: node $(node --version) is too old: node-llama-cpp 3.22.1 needs node >= 20" >&2
        exit 1
    fi
}

install_peers() {
    cp "$src/package.json" "$src/package-lock.json" "$src"/*.mjs "$npm_dir/"
    local stamp=$npm_dir/node_modules/.hf2gguf-lock-sha256
    local want
    want=$(sha256sum "$src/package-lock.json" | cut -d' ' -f1)
    if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
        echo "interop: peers already installed for this lock ($want)"
        return
    fi
    echo "interop: npm ci in $npm_dir"
    (cd "$npm_dir" && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true \
        npm ci --omit=optional --ignore-scripts --no-audit --no-fund)
    echo "$want" > "$stamp"
}

check_peers_load() {
    (cd "$npm_dir" && node check-peers.mjs)
}

bins_dir() {
    echo "$npm_dir/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
}

fetch_headers() {
    local bundle=$npm_dir/node_modules/node-llama-cpp/llama/gitRelease.bundle
    local dest=$work/llama.cpp-src
    [[ -f $dest/include/llama.h && -f $dest/.bundle-sha256 &&
       $(cat "$dest/.bundle-sha256") == $(sha256sum "$bundle" | cut -d' ' -f1) ]] && return
    rm -rf "$dest"
    git clone --quiet --no-checkout "$bundle" "$dest"
    git -C "$dest" -c advice.detachedHead=false checkout --quiet HEAD -- include ggml/include
    sha256sum "$bundle" | cut -d' ' -f1 > "$dest/.bundle-sha256"
}

build_llama_logits() {
    local bins
    bins=$(bins_dir)
    cc -std=c11 -O2 -Wall -Wextra -Werror \
        -I"$work/llama.cpp-src/include" -I"$work/llama.cpp-src/ggml/include" \
        "$src/llama_logits.c" -o "$work/llama_logits" \
        -L"$bins" -l:libllama.v0.5.0.so -l:libggml.v0.5.0.so -l:libggml-base.so -Wl,-rpath,"$bins"
    echo "interop: built $work/llama_logits against $bins"
}

require_node_20
install_peers
check_peers_load
fetch_headers
build_llama_logits
