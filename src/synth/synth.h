/* synth: random-weight Hugging Face checkpoints for any architecture the converter supports
 * (`hf2gguf synth`): config.json with the fields that architecture's transformers class
 * reads, safetensors with HF's tensor names and layout (sharded with an index past a size
 * limit), tokenizer files copied from a given directory.
 *
 * The tensor list comes from the converter's own arch table (convert/arch.h), so every row
 * a converter knows is a tensor synth writes, with the config switches deciding the optional
 * ones exactly as the converter checks them. Values come from a SplitMix64 stream seeded by
 * syn_opts.seed (same options, same bytes): weights uniform in [-0.5, 0.5)/sqrt(fan_in),
 * norm weights 1 + uniform [-0.25, 0.25) and biases uniform [-0.1, 0.1) — never 1 and 0, so a
 * dropped bias, a missing norm offset or a wrong permutation changes the logits.
 *
 * The directory is built under a temporary name beside out_dir and renamed into place at the
 * end; out_dir must not exist (or be an empty directory). A failure leaves nothing behind. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

#define SYN_MAX_SWITCHES 4

typedef struct syn_shape {
    int64_t n_layer, n_embd, n_ff, n_head, n_head_kv, head_dim, n_vocab, n_ctx;
    double rope_theta;
    double rotary_factor; /* partial_rotary_factor for archs that have one (phi2, stablelm) */
    double norm_eps;
    int tied;             /* tie_word_embeddings */
} syn_shape;

typedef struct syn_opts {
    const char *out_dir;
    const char *gguf_arch;   /* "llama", "qwen2", ... */
    syn_shape shape;
    int dtype;               /* 0 f32, 1 f16, 2 bf16 */
    uint64_t seed;
    uint64_t max_shard_bytes; /* 0: one file */
    const char *tokenizer_from; /* NULL: no tokenizer files */
    /* Config switches of the arch (attention_bias, use_qkv_bias, ...): name=value pairs;
     * switches not named get the arch's default (0 where that is "unknown"). */
    const char *switch_names[SYN_MAX_SWITCHES];
    int switch_values[SYN_MAX_SWITCHES];
    int n_switches;
} syn_opts;

/* The default shape for an arch (tiny: fast tests), or a named preset of a real model's
 * shape ("qwen2.5-0.5b", "llama-3.2-1b", "phi-2", "llama-300m"), which also sets the arch
 * when *gguf_arch is NULL. Returns HF_ERR_ARG for an unknown preset or one of another arch. */
hf_status syn_preset(const char *name, const char **gguf_arch, syn_shape *shape, hf_err *err);
void syn_default_shape(syn_shape *shape);

/* Comma-separated lists for help texts (into buf, truncated to cap; return buf). */
char *syn_arch_list(char *buf, size_t cap);
char *syn_preset_list(char *buf, size_t cap);
/* The config switches an arch has, "name (default d)" comma-separated. */
char *syn_switch_list(const char *gguf_arch, char *buf, size_t cap);

typedef struct syn_result {
    int64_t n_tensors;
    int64_t n_params;
    int n_shards;
    uint64_t bytes;
} syn_result;

/* Writes the checkpoint. Errors name the option, file or key. */
hf_status syn_write(const syn_opts *o, syn_result *res, hf_err *err);
