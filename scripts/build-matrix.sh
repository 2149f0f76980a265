#!/usr/bin/env bash
# The build matrix of the test command: gcc and clang, Debug, Release and RelWithDebInfo, every
# target (library, CLI, tests, benches, tools), warnings as errors. gcc RelWithDebInfo is the
# main build of scripts/test.sh, so it is not repeated here. Build trees: build-matrix/CC-TYPE/.
set -euo pipefail
cd "$(dirname "$0")/.."
n=0
for cc in gcc clang; do
    for type in Debug Release RelWithDebInfo; do
        [[ $cc == gcc && $type == RelWithDebInfo ]] && continue
        dir=build-matrix/$cc-$type
        cmake -S . -B "$dir" -DCMAKE_C_COMPILER=$cc -DCMAKE_BUILD_TYPE=$type -DHF2GGUF_WERROR=ON > /dev/null
        if ! cmake --build "$dir" -j"$(nproc)" > "$dir/build.log" 2>&1; then
            echo "build-matrix: $cc $type failed:" >&2
            grep -E "error|warning" "$dir/build.log" | head -40 >&2
            exit 1
        fi
        n=$((n + 1))
    done
done
echo "build-matrix: $n builds (gcc, clang x Debug, Release, RelWithDebInfo) warning-free"
