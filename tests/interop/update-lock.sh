#!/usr/bin/env bash
# Regenerates tests/interop/package-lock.json after a change to package.json.
#
# The npm registry these machines reach carries only some of node-llama-cpp's per-platform
# optional packages (@node-llama-cpp/win-*, mac-*, linux-riscv64 answer 404). npm then leaves them
# out of the lock but keeps them in node-llama-cpp's recorded optionalDependencies, and `npm ci`
# refuses such a lock ("Missing: ... from lock file"). We drop exactly those unresolvable optional
# edges from the lock: they are other platforms' binaries, never installed here.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp package.json "$tmp/"
(cd "$tmp" && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true \
    npm install --package-lock-only --ignore-scripts --no-audit --no-fund)
node --input-type=module - "$tmp/package-lock.json" <<'JS'
import {readFileSync, writeFileSync} from "node:fs";
const path = process.argv[2];
const lock = JSON.parse(readFileSync(path, "utf8"));
for (const [key, entry] of Object.entries(lock.packages)) {
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) {
        if (!(`node_modules/${dep}` in lock.packages)) {
            delete entry.optionalDependencies[dep];
            console.log(`dropped unresolvable optional ${dep} of ${key || "(root)"}`);
        }
    }
}
writeFileSync(path, JSON.stringify(lock, null, 2) + "\n");
JS
cp "$tmp/package-lock.json" package-lock.json
echo "wrote $(pwd)/package-lock.json"
