#!/usr/bin/env bash
# Configures and builds hf2gguf into build/ (Release-with-debug-info).
# Extra arguments are passed to cmake's configure step (e.g. -DHF2GGUF_CONVERTER_PARITY=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build build -j"$(nproc)"
