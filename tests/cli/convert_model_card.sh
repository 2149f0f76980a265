#!/bin/bash
# README.md model cards (YAML front matter -> general.* keys, as gguf-py's Metadata.load_model_card).
# Each card in tests/data/cards/ is copied as README.md into a copy of stories260K-hf named after
# the card (the directory name feeds the name heuristics). Each sha256 below was checked equal
# (cmp) to llama.cpp v0.5.0's convert_hf_to_gguf.py output for the same directory, --outtype f32.
# The bad cards make llama.cpp fail too (a traceback); we fail with one message naming README.md
# and leave no output file.
# usage: convert_model_card.sh HF2GGUF_BIN SHARED_DIR SOURCE_DIR
set -u
BIN=$1 SHARED=$2 SRC=$3
CARDS=$SRC/tests/data/cards
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
fail=0

# card sha256 (f32)
EXPECTED='
qwen2.5-instruct 7e76b531835497a8c492c5c3c4420ed9206b76a91f806f88328c015687733248
llama3.2-gated 80257e5603999fd5c8ca47a5c3f467c7d5b1764c68521157e924c8c25c31e6ab
datasets 05c30c496bc988406c5013ed8640dfea0eb87bb14c6c07d9e40a2552b761e745
base-model-string 1de7b9dce82ad4fa003bc6b2cb2c5c7f32370ce41e851a7c9563d63200bd9558
edge-cases ec4d20ab656e05f1cd07995143af4d170c6bf3a93de996ea45d05e56e6e02abc
crlf c4a925bb4f7008d335e50bf53491192958ac809e883f96a5053a7f5d2d94f227
typed-arrays e5825b3125b89f7a485b88b63a18182cf3813302bc64fbc31517cebf2d476657
no-front-matter 98f3c078dc6721fc919fee9be672643989515c3e7e764aeae601eae4f730cd2d
list-front-matter 24f3398c4f3b5ef26b9639e8e3edbae87dd91681535c46df0d3f0284cb7a9c59
empty-front-matter d00eb8dc6d1f80c4c49c722ea6f8ca9eb082cc8f71a58fe9e63ebae5f2f4844e
'

mkmodel() { # card -> model dir
    rm -rf "${OUT:?}/m/$1"
    mkdir -p "$OUT/m/$1"
    cp -r "$SHARED/models/stories260K-hf/." "$OUT/m/$1/"
    cp "$CARDS/$1.md" "$OUT/m/$1/README.md"
}

while read -r card sha; do
    [ -z "$card" ] && continue
    mkmodel "$card"
    out="$OUT/$card.gguf"
    if ! "$BIN" convert "$OUT/m/$card" --outtype f32 --outfile "$out" 2>"$OUT/err"; then
        echo "FAIL $card: $(cat "$OUT/err")"; fail=1; continue
    fi
    got=$(sha256sum < "$out" | cut -c1-64)
    if [ "$got" = "$sha" ]; then echo "ok   $card"; else echo "FAIL $card: sha256 $got, expected $sha"; fail=1; fi
done <<< "$EXPECTED"

expect_kv() { # file key expected-line-substring
    if "$BIN" info "$1" | grep -F -- "$2" | grep -qF -- "$3"; then echo "ok   $(basename "$1"): $2 $3"
    else echo "FAIL $(basename "$1"): $2: want '$3', got '$("$BIN" info "$1" | grep -F -- "$2")'"; fail=1; fi
}
Q=$OUT/qwen2.5-instruct.gguf
expect_kv "$Q" general.license '"apache-2.0"'
expect_kv "$Q" general.license.link '"https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct/blob/main/LICE'
expect_kv "$Q" general.base_model.count 'u32    1'
expect_kv "$Q" general.base_model.0.name '"Qwen2.5 0.5B"'
expect_kv "$Q" general.base_model.0.organization '"Qwen"'
expect_kv "$Q" general.base_model.0.repo_url '"https://huggingface.co/Qwen/Qwen2.5-0.5B"'
expect_kv "$Q" general.tags '"chat", "text-generation"'
expect_kv "$Q" general.languages '"en"'
L=$OUT/llama3.2-gated.gguf
expect_kv "$L" general.license '"llama3.2"'
expect_kv "$L" general.languages '[string x 8] "en", "de", "fr", "it", "pt", "hi", "es", "th"'
D=$OUT/datasets.gguf
expect_kv "$D" general.name '"TinyStories Mini Chat v0.3"'
expect_kv "$D" general.author '"Jane Doe"'
expect_kv "$D" general.license '"mit,cc-by-4.0"'
expect_kv "$D" general.dataset.count 'u32    4'
expect_kv "$D" general.dataset.3.version '"v2.1"'
B=$OUT/base-model-string.gguf
expect_kv "$B" general.author '"TheBloke"'
expect_kv "$B" general.basename '"llama"'
expect_kv "$B" general.languages '"en", "no"'
expect_kv "$B" general.tags '"gguf", "q8_0"'
T=$OUT/typed-arrays.gguf
expect_kv "$T" general.tags '[i32 x 3] 2024, 31, 1000'
expect_kv "$T" general.languages '[bool x 2] true, false'
if "$BIN" info "$OUT/no-front-matter.gguf" | grep -q general.license; then
    echo "FAIL no-front-matter: a license was read from outside the front matter"; fail=1
else echo "ok   no-front-matter: no general.license"; fi

# The card's name feeds the default output file name.
mkmodel datasets
if "$BIN" convert "$OUT/m/datasets" --outtype f32 2>/dev/null &&
    [ -f "$OUT/m/datasets/TinyStories-Mini-Chat-v0.3-260K-F32.gguf" ]; then
    echo "ok   default name TinyStories-Mini-Chat-v0.3-260K-F32.gguf"
else echo "FAIL default name from the card: $(ls "$OUT/m/datasets")"; fail=1; fi

# Bad cards: one error naming README.md (and the key or line), non-zero exit, no output.
bad() { # card expected-substring
    mkmodel "$1"
    local out=$OUT/bad-$1.gguf
    if "$BIN" convert "$OUT/m/$1" --outtype f32 --outfile "$out" 2>"$OUT/err"; then
        echo "FAIL $1: converted"; fail=1
    elif [ -e "$out" ] || ls "$OUT" | grep -q "bad-$1.gguf"; then
        echo "FAIL $1: output left behind"; fail=1
    elif grep -q "README.md" "$OUT/err" && grep -qF -- "$2" "$OUT/err" && [ "$(wc -l < "$OUT/err")" -le 2 ]; then
        echo "ok   $1: $(cat "$OUT/err")"
    else echo "FAIL $1: message: $(cat "$OUT/err")"; fail=1; fi
}
bad malformed "line 5, column 1: while scanning a quoted scalar (line 3, column 14)"
bad bad-type "line 3: key 'model_name': expected a string, found an integer"
bad mixed-tags "key 'tags': item 2 is an integer"
mkdir -p "$OUT/m/bad-utf8" && cp -r "$SHARED/models/stories260K-hf/." "$OUT/m/bad-utf8/"
printf -- '---\nlicense: mit\n---\n\xff\n' > "$OUT/m/bad-utf8/README.md"
if "$BIN" convert "$OUT/m/bad-utf8" --outtype f32 --outfile "$OUT/u.gguf" 2>"$OUT/err" || [ -e "$OUT/u.gguf" ]; then
    echo "FAIL bad-utf8: converted"; fail=1
elif grep -q "README.md: not valid UTF-8" "$OUT/err"; then echo "ok   bad-utf8: $(cat "$OUT/err")"
else echo "FAIL bad-utf8: $(cat "$OUT/err")"; fail=1; fi
exit $fail
