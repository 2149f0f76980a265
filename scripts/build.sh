#!/usr/bin/env bash
# Configures and builds hf2gguf into build/ (Release-with-debug-info).
# Extra arguments are passed to cmake's configure step (e.g. -DHF2GGUF_CONVERTER_PARITY=ON);
# they come last, so they override the defaults here. Warnings are not errors
# unless asked for (-DHF2GGUF_WERROR=ON, as scripts/test.sh does); passing OFF
# explicitly keeps a build/ once configured by test.sh from staying on -Werror.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHF2GGUF_WERROR=OFF "$@" >/dev/null
cmake --build build -j"$(nproc)"
