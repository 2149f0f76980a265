#!/usr/bin/env bash
# Installs the Debian packages hf2gguf needs to build and test (idempotent).
set -euo pipefail
pkgs=(build-essential cmake pkg-config libcjson-dev libpcre2-dev libcmocka-dev nodejs npm xz-utils)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
