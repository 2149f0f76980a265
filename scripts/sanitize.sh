#!/usr/bin/env bash
# The sanitizer runs of the test command: every unit and CLI test (not the llama.cpp interop
# suite, which runs llama.cpp's own libraries) under AddressSanitizer + UndefinedBehaviorSanitizer
# (leaks included), and the tests that run several threads under ThreadSanitizer. Any report
# fails the run. Build trees: build-asan/, build-tsan/ (warnings are errors, as in scripts/test.sh).
#
#   bash scripts/sanitize.sh [asan|tsan]...   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=("$@")
((${#runs[@]})) || runs=(asan tsan)
# Tests with threads: the forward pass at 1..3 threads, concurrent tokenizer use, conversion
# workers (convert runs with one thread per CPU by default).
TSAN_TESTS='^(test_rt_determinism|test_tok_special|test_rt_cli|test_convert_tensors|cli_run_stories|cli_convert_matches_llamacpp)$'
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
for run in "${runs[@]}"; do
    case $run in
    asan) dir=build-asan san=address,undefined filter=(-E interop) ;;
    tsan) dir=build-tsan san=thread filter=(-R "$TSAN_TESTS") ;;
    *) echo "sanitize.sh: unknown run '$run' (asan, tsan)" >&2; exit 2 ;;
    esac
    echo "sanitize: $run ($san) in $dir"
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHF2GGUF_SANITIZE=$san -DHF2GGUF_WERROR=ON > /dev/null
    cmake --build "$dir" -j"$(nproc)" > "$dir/build.log" 2>&1 || { tail -40 "$dir/build.log"; exit 1; }
    (cd "$dir" && ctest --output-on-failure -j"$(nproc)" "${filter[@]}")
done
