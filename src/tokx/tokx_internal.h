/* tokx_internal: shared between the tokx_*.c files of the tokenizer-export module (and its
 * tests); not part of the public API in tokx.h. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "tokx/tokx.h"

/* ==== Arena: owned strings that live until the export ends ==== */

typedef struct tokx_arena_blk tokx_arena_blk;
typedef struct tokx_arena {
    tokx_arena_blk *head;
} tokx_arena;

/* n bytes (uninitialised) or NULL when out of memory. */
char *tokx_arena_alloc(tokx_arena *a, size_t n);
/* A NUL-terminated copy of s[0..n) or NULL. */
char *tokx_arena_dup(tokx_arena *a, const char *s, size_t n);
void tokx_arena_free(tokx_arena *a);

/* ==== Staged KV pairs ====
 * llama.cpp's GGUFWriter keeps KV pairs in a dict: setting a key again replaces the value
 * in place, and an empty array is not written at all. We stage with the same semantics and
 * hand the result to the gguf writer at the end. Staged values are NOT copied: strings and
 * arrays must stay alive until tokx_kvs_flush (keys too). */

typedef struct tokx_kv {
    const char *key;
    gguf_vtype type;
    gguf_vtype elem;           /* arrays */
    uint32_t u32;              /* UINT32 and BOOL scalars */
    const char *str;           /* STRING */
    uint64_t str_len;
    const void *arr;           /* numeric arrays: packed little-endian elements */
    const char *const *strs;   /* string arrays */
    const uint64_t *lens;
    uint64_t n;
} tokx_kv;

typedef struct tokx_kvs {
    tokx_kv *items;
    size_t n, cap;
} tokx_kvs;

hf_status tokx_kvs_set_u32(tokx_kvs *k, const char *key, uint32_t v, hf_err *err);
hf_status tokx_kvs_set_bool(tokx_kvs *k, const char *key, int v, hf_err *err);
hf_status tokx_kvs_set_str(tokx_kvs *k, const char *key, const char *s, uint64_t len, hf_err *err);
hf_status tokx_kvs_set_arr(tokx_kvs *k, const char *key, gguf_vtype elem, const void *data, uint64_t n,
                           hf_err *err);
hf_status tokx_kvs_set_strs(tokx_kvs *k, const char *key, const char *const *strs, const uint64_t *lens,
                            uint64_t n, hf_err *err);
const tokx_kv *tokx_kvs_find(const tokx_kvs *k, const char *key);
void tokx_kvs_remove(tokx_kvs *k, const char *key);
hf_status tokx_kvs_flush(const tokx_kvs *k, gguf_writer *w, hf_err *err);
void tokx_kvs_free(tokx_kvs *k);

/* ==== One export in progress ==== */

typedef struct tokx_ctx {
    const char *dir;
    const cJSON *config;     /* config.json, may be NULL */
    cJSON *tok_json;         /* tokenizer.json, NULL when absent */
    char *tok_json_path;
    cJSON *tok_cfg;          /* tokenizer_config.json, NULL when absent */
    char *tok_cfg_path;
    tokx_arena arena;
    tokx_kvs kvs;
    /* merges, loaded once by tokx_load_merges (used by pre detection and SpecialVocab) */
    int merges_loaded;
    const char **merges;
    uint64_t *merge_lens;
    uint64_t n_merges;
} tokx_ctx;

/* "<dir>/<name>" in the arena, or NULL when out of memory. */
const char *tokx_path(tokx_ctx *c, const char *name);
int tokx_is_file(const char *path);

/* The vocabulary being built: texts point into sources or the arena. */
typedef struct tokx_vocab {
    uint64_t n;
    const char **text;
    uint64_t *len;
    float *scores;  /* NULL for BPE vocabularies (no scores written) */
    int32_t *types; /* TOKX_* */
} tokx_vocab;

/* n slots filled with "[PAD{i}]" of type UNUSED and (if with_scores) score pad_score; the
 * arrays live in the arena (they must outlive the KV flush). */
hf_status tokx_vocab_init(tokx_ctx *c, tokx_vocab *v, uint64_t n, int with_scores, float pad_score, hf_err *err);
/* Stages tokenizer.ggml.tokens, .scores (if any) and .token_type. */
hf_status tokx_vocab_stage(tokx_ctx *c, const tokx_vocab *v, hf_err *err);

/* llama.cpp's does_token_look_special: "<|...|>", "<｜...｜>", "<unused...>", a few names. */
int tokx_looks_special(const char *s, size_t len);
/* A copy of s with every U+2581 (▁) replaced by a space (user-defined tokens). */
const char *tokx_unspace(tokx_ctx *c, const char *s, uint64_t len, uint64_t *out_len);
/* A config.json hyper-parameter as llama.cpp sees it: text_config's members moved to the root
 * (text_config wins). NULL when absent or config is NULL. */
const cJSON *tokx_hparam(const cJSON *config, const char *key);
/* The vocab size from config.json (vocab_size_per_layer_input, vocab_size) or fallback. */
hf_status tokx_config_vocab_size(const tokx_ctx *c, uint64_t fallback, uint64_t *out, hf_err *err);

/* ==== The vocabulary paths (each stages model, pre, tokens, ... and the special vocab) ==== */

/* SentencePiece tokenizer.model (_set_vocab_sentencepiece). */
hf_status tokx_spm_export(tokx_ctx *c, const char *model_path, hf_err *err);
/* tokenizer.json with SentencePiece-style BPE (LlamaHfVocab); HF_ERR_UNSUPPORTED (no message
 * needed) when the file is not of that kind, so the caller can try byte-level BPE. */
hf_status tokx_llamahf_export(tokx_ctx *c, hf_err *err);
int tokx_llamahf_applies(const cJSON *tok_json);
/* tokenizer.json byte-level BPE (_set_vocab_gpt2). */
hf_status tokx_bpe_export(tokx_ctx *c, const tokx_opts *opts, hf_err *err);

/* gguf-py's SpecialVocab(dir, load_merges, n_vocab).add_to_gguf; n_vocab 0 = no range check. */
hf_status tokx_special_export(tokx_ctx *c, int load_merges, uint64_t n_vocab, hf_err *err);

/* Merges as "left right" strings from tokenizer.json model.merges (both formats) or merges.txt;
 * *n = 0 when there are none. Strings live in the arena. */
hf_status tokx_load_merges(tokx_ctx *c, const char ***merges, uint64_t **lens, uint64_t *n, hf_err *err);

/* The chat template(s) from tokenizer_config.json chat_template, else chat_template.jinja
 * (+ additional_chat_templates/NAME.jinja as named templates), else chat_template.json. */
hf_status tokx_chat_template_stage(tokx_ctx *c, hf_err *err);

/* The pre-tokenizer name for the byte-level BPE tokenizer.json in c (see tokx_pre.c). */
hf_status tokx_pre_detect(tokx_ctx *c, const char **pre, hf_err *err);
/* FNV-1a 64 of the merges, each followed by '\n': the vocabulary fingerprint of the table. */
uint64_t tokx_merges_fingerprint(const char *const *merges, const uint64_t *lens, uint64_t n);
