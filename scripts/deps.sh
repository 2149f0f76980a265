#!/usr/bin/env bash
# Installs the Debian packages hf2gguf needs to build and test (idempotent).
set -euo pipefail
pkgs=(build-essential cmake pkg-config libcjson-dev libpcre2-dev libyaml-dev libcmocka-dev git xz-utils help2man clang)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node + npm for the interop tests (tests/interop). Checked as commands: a NodeSource `nodejs`
# package bundles npm and conflicts with Debian's `npm`, so asking apt for `npm` there would fail.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
