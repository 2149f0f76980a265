#!/usr/bin/env bash
# The test command: installs dependencies, builds, runs every test (ctest),
# including the llama.cpp interop suite and the converter-parity check (which
# apt-get installs Debian's python3-torch & co. for llama.cpp's own converter).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh -DHF2GGUF_CONVERTER_PARITY=ON
cd build
ctest --output-on-failure -j"$(nproc)"
