#!/bin/bash
# Pins `hf2gguf convert` on mktiny checkpoints that exercise what stories260K does
# not: Q/K/V/O biases, BF16/F16 sources, shards (12 layers: "10" sorts before "2"),
# Q8_0 -> F16 fallback, MistralForCausalLM, rope scaling, generation_config sampling
# keys, _name_or_path and directory-name heuristics. Every sha256 was checked equal
# to llama.cpp v0.5.0 convert_hf_to_gguf.py's file for the same directory and flags.
# usage: convert_checkpoint_variants.sh HF2GGUF_BIN SHARED_DIR SOURCE_DIR [KEEP_DIR]
set -u
BIN=$1 SHARED=$2
MKTINY=$(dirname "$BIN")/mktiny
TOK=$SHARED/models/stories260K-hf
OUT=${4:-$(mktemp -d)}
[ -z "${4:-}" ] && trap 'rm -rf "$OUT"' EXIT
mkdir -p "$OUT"
fail=0

make() { # dir mktiny-flags...
    local d=$OUT/$1; shift
    rm -rf "$d"
    "$MKTINY" "$d" --tokenizer-from "$TOK" "$@" || { echo "FAIL mktiny $*"; fail=1; }
}

make Llama-2-7b-chat-hf --attention-bias --dtype bf16
make shards-12 --shards 3 --layers 12
make odd-rows --embd 48 --heads 6 --kv-heads 2 --ff 80 --dtype f16 --untied
make meta-yarn --attention-bias --dtype bf16
cat > "$OUT/meta-yarn/config.json" <<'JSON'
{"architectures": ["LlamaForCausalLM"], "_name_or_path": "meta-llama/Llama-2-7b-chat-hf",
 "attention_bias": true, "head_dim": 16, "hidden_size": 64, "intermediate_size": 96,
 "max_position_embeddings": 256, "mlp_bias": false, "num_attention_heads": 4, "num_hidden_layers": 2,
 "num_key_value_heads": 2, "rms_norm_eps": 1e-05, "is_causal": false, "num_experts_per_tok": 2,
 "rope_scaling": {"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 256, "beta_fast": 32},
 "rope_theta": 10000.0, "tie_word_embeddings": true, "vocab_size": 512}
JSON
echo '{"temperature": 0.6, "top_p": 0.9, "top_k": 50, "repetition_penalty": 1.1, "do_sample": true}' \
    > "$OUT/meta-yarn/generation_config.json"
make mistral-linear --dtype f16 --untied --layers 3
cat > "$OUT/mistral-linear/config.json" <<'JSON'
{"architectures": ["MistralForCausalLM"], "_name_or_path": "Mistral-7B-Instruct-v0.3",
 "hidden_size": 64, "intermediate_size": 96, "max_position_embeddings": 256, "num_attention_heads": 4,
 "num_hidden_layers": 3, "num_key_value_heads": 2, "rms_norm_eps": 1e-05,
 "rope_scaling": {"rope_type": "linear", "factor": 2.0}, "rope_local_base_freq": 5000.0,
 "rope_theta": 10000.0, "tie_word_embeddings": false, "vocab_size": 512}
JSON

# dir flags sha256
EXPECTED='
Llama-2-7b-chat-hf|--outtype f32|05dd35ca92110b0993d3c5ffabc6d25d79666ce18921c4e1932f4330f2faac36
Llama-2-7b-chat-hf|--outtype q8_0 --fuse-qkv|bbf1d993d0f1822e12e4477eb808870f0145a8f7f668a3b0fe1aa6b13805db9e
Llama-2-7b-chat-hf|--outtype auto|eb7f9deb17fd391461e8530346658bf62967d78b7262f48096fd8c3df10f9508
shards-12|--outtype f16|45abd437c75c9094b8991ad75550f3299fc43b0811b3098c89d553e6f0d3ebf4
shards-12|--outtype q8_0 --fuse-qkv|68697d9afa2ff0407e89a79a87f16ab03d8ebcd2ab49ebec6068c58695bd15eb
odd-rows|--outtype q8_0|701d44db24f438d422db3f2a17c25c9e22449c77605efe47ea4b87b2331f5bb9
odd-rows|--outtype q8_0 --fuse-qkv|d496370b2a590ec8b82be9072d8e0fcb623e312ee3f2cca0c23ca5eb13a6aae0
meta-yarn|--outtype f32|57d99aa7f9cffcb125fac2b4e630dc98b6561d79bda2c0fba696b67437aa471a
mistral-linear|--outtype q8_0 --fuse-qkv|fe9ac5d9f4db52cc2e31a0009e53e3c2b29c7c040f50330af4dd2b940c2d1374
'
while IFS='|' read -r dir flags sha; do
    [ -z "$dir" ] && continue
    out="$OUT/$dir.$(echo "$flags" | tr -d ' -').gguf"
    if ! "$BIN" convert "$OUT/$dir" $flags --outfile "$out" 2>"$OUT/err"; then
        echo "FAIL $dir $flags: $(cat "$OUT/err")"; fail=1; continue
    fi
    got=$(sha256sum < "$out" | cut -c1-64)
    if [ "$got" = "$sha" ]; then echo "ok   $dir $flags"; else echo "FAIL $dir $flags: sha256 $got, expected $sha"; fail=1; fi
done <<< "$EXPECTED"
exit $fail
