#!/usr/bin/env bash
# Checks that hf2gguf installs like a Debian tool, on an existing build:
#   bash scripts/check-package.sh [BUILD_DIR]      (default: build)
# 1. `cmake --install BUILD_DIR --prefix SCRATCH` puts bin/hf2gguf and the man page there;
# 2. `cpack -G DEB` builds the .deb (log: BUILD_DIR/cpack-deb.log); it is extracted into a
#    scratch root with `dpkg-deb -x` (nothing is installed on this machine), where
#    usr/bin/hf2gguf --version and --help must work and the man page must be present, and
#    its Depends (dpkg-shlibdeps) must name the Debian libraries we link.
# Prints one summary line; exits non-zero on the first failure.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "check-package: FAIL: $*" >&2; exit 1; }

# -- cmake --install ------------------------------------------------------------
cmake --install "$build" --prefix "$scratch/prefix" >"$scratch/install.log" 2>&1 ||
  { cat "$scratch/install.log" >&2; fail "cmake --install"; }
[ -x "$scratch/prefix/bin/hf2gguf" ] || fail "cmake --install: no bin/hf2gguf"
compgen -G "$scratch/prefix/share/man/man1/hf2gguf.1*" >/dev/null ||
  fail "cmake --install: no share/man/man1/hf2gguf.1* (is help2man installed? scripts/deps.sh)"

# -- cpack -G DEB -----------------------------------------------------------------
log="$build/cpack-deb.log"
rm -f "$build"/hf2gguf_*.deb
(cd "$build" && cpack -G DEB) >"$log" 2>&1 || { tail -20 "$log" >&2; fail "cpack -G DEB (log: $log)"; }
debs=("$build"/hf2gguf_*.deb)
[ -f "${debs[0]}" ] && [ ${#debs[@]} = 1 ] || fail "cpack made no single hf2gguf_*.deb (log: $log)"
deb=${debs[0]}

root="$scratch/root"
dpkg-deb -x "$deb" "$root"
bin="$root/usr/bin/hf2gguf"
[ -x "$bin" ] || fail "$deb: no usr/bin/hf2gguf"
version=$("$bin" --version) || fail "$bin --version exited non-zero"
[[ $version =~ ^hf2gguf\ [0-9]+\.[0-9]+\.[0-9]+\ \(git\ .+\)$ ]] || fail "unexpected --version: '$version'"
"$bin" --help | grep -q '^usage: hf2gguf' || fail "$bin --help: no usage line"
compgen -G "$root/usr/share/man/man1/hf2gguf.1*" >/dev/null || fail "$deb: no usr/share/man/man1/hf2gguf.1*"

depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libcjson libpcre2 libyaml; do
  [[ $depends == *"$lib"* ]] || fail "$deb: Depends '$depends' does not name $lib"
done

echo "check-package: OK: $(basename "$deb") ($version); Depends: $depends"
