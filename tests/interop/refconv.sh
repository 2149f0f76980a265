# shellcheck shell=bash
# Sourced by record-expected.sh and compare-converter.sh: runs llama.cpp v0.5.0's own
# convert_hf_to_gguf.py, taken from the source bundle inside the npm package node-llama-cpp@3.22.1.
#
# Needs Debian's python3-numpy python3-torch python3-sentencepiece python3-yaml python3-tqdm
# (`refconv_install_deps` installs them) and /usr/bin/python3: the python3 first on PATH may be
# another interpreter that does not see Debian's packages. Nothing here enters the repository:
# the checkout and the stub live under the WORKDIR given to refconv_prepare.

REFCONV_PY=/usr/bin/python3
REFCONV_DEBS=(python3-numpy python3-torch python3-sentencepiece python3-yaml python3-tqdm)

refconv_install_deps() {
    local missing=() p
    for p in "${REFCONV_DEBS[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    local sudo=""
    [[ $(id -u) == 0 ]] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

# refconv_prepare WORKDIR NPM_DIR: full checkout of the bundle in WORKDIR/llama.cpp-full and the
# `transformers` stub in WORKDIR/pystub. Sets REFCONV_DIR and REFCONV_COMMIT.
refconv_prepare() {
    local work=$1 npm_dir=$2
    local bundle=$npm_dir/node_modules/node-llama-cpp/llama/gitRelease.bundle
    REFCONV_DIR=$work/llama.cpp-full
    if [[ ! -f $REFCONV_DIR/convert_hf_to_gguf.py ]]; then
        rm -rf "$REFCONV_DIR"
        git -c advice.detachedHead=false clone --quiet "$bundle" "$REFCONV_DIR"
    fi
    # shellcheck disable=SC2034 # read by the scripts that source this file
    REFCONV_COMMIT=$(git -C "$REFCONV_DIR" rev-parse HEAD)
    mkdir -p "$work/pystub/transformers"
    # The converter imports transformers only for AutoConfig (conversion/base.py); when that
    # raises it reads config.json itself. Debian's torch 1.13 also lacks the float8 dtypes that
    # conversion/base.py names in a dtype table at import time (used only for F8 checkpoints):
    # inert placeholders let the module import. This stub is imported before that table is built.
    cat > "$work/pystub/transformers/__init__.py" <<'PY'
import torch as _torch

for _name in ("float8_e4m3fn", "float8_e5m2"):
    if not hasattr(_torch, _name):
        setattr(_torch, _name, "unsupported-" + _name)


class AutoConfig:
    @staticmethod
    def from_pretrained(*args, **kwargs):
        raise OSError("transformers stub: read config.json directly")


class AutoTokenizer:
    @staticmethod
    def from_pretrained(*args, **kwargs):
        raise OSError("transformers stub: no AutoTokenizer")
PY
    REFCONV_PYTHONPATH=$work/pystub:$REFCONV_DIR/gguf-py
}

# refconv_convert MODEL_DIR OUT.gguf [converter options...]: one conversion, log beside OUT.
refconv_convert() {
    local model=$1 out=$2
    shift 2
    PYTHONPATH=$REFCONV_PYTHONPATH "$REFCONV_PY" "$REFCONV_DIR/convert_hf_to_gguf.py" "$model" \
        --outfile "$out" "$@" > "$out.log" 2>&1 || {
        echo "llama.cpp's converter failed on $model $*:" >&2
        tail -20 "$out.log" >&2
        return 1
    }
}
