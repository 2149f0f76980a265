#!/usr/bin/env bash
# Configures and builds hf2gguf into build/ (Release-with-debug-info).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
