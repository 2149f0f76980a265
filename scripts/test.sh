#!/usr/bin/env bash
# The test command: installs dependencies, builds, runs every test (ctest),
# including the llama.cpp interop suite and the converter-parity check against
# llama.cpp's own convert_hf_to_gguf.py (Debian's python3-torch & co., installed
# here up front so apt never runs in the middle of the parallel test run).
# It builds with -Werror (HF2GGUF_WERROR=ON, off for plain user builds), so CI
# (.ci/run) fails on any new warning, and runs the sanitizer builds (scripts/sanitize.sh)
# before the full suite, whose summary comes last.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash -c 'source tests/interop/refconv.sh && refconv_install_deps'
bash scripts/build.sh -DHF2GGUF_CONVERTER_PARITY=ON -DHF2GGUF_WERROR=ON
# gcc and clang x Debug/Release/RelWithDebInfo, warning-free (build-matrix/).
bash scripts/build-matrix.sh
# Unit and CLI tests under ASan+UBSan, threaded tests under TSan (build-asan/, build-tsan/).
bash scripts/sanitize.sh
(cd build && ctest --output-on-failure -j"$(nproc)")
# Packaging, outside ctest: cmake --install and the cpack .deb, run from a scratch root.
bash scripts/check-package.sh build
