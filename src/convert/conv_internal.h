/* conv_internal: interfaces between the files of the convert module (not for
 * other modules). */
#pragma once

#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/status.h"
#include "convert/arch.h"
#include "convert/conv.h"
#include "gguf/gguf.h"
#include "safetensors/st.h"

/* ---- conv_hparams.c ---- */

/* Resolves the hparams the plan needs (shapes, permute) from config.json. */
hf_status conv_hparams_resolve(const arch_def *a, const cJSON *cfg, const char *cfg_path, arch_hparams *hp, hf_err *err);
/* Writes the {arch}.* keys and general.file_type in llama.cpp's order
 * (TextModel.set_gguf_parameters, then the arch's extra_kv hook). */
hf_status conv_hparams_write(gguf_writer *w, const arch_def *a, const cJSON *cfg, const char *cfg_path,
                             const arch_hparams *hp, uint32_t file_type, hf_err *err);

/* ---- conv_card.c ---- */

/* A value of a README.md model card's YAML front matter, typed as PyYAML's safe_load types it. */
typedef enum card_type { CARD_NULL, CARD_BOOL, CARD_INT, CARD_FLOAT, CARD_STR, CARD_SEQ, CARD_MAP, CARD_OTHER } card_type;

typedef struct card_val card_val;
struct card_val {
    card_type type;       /* CARD_OTHER: a timestamp */
    char *text;           /* scalars: the text (CARD_STR: the string, len bytes + NUL) */
    size_t len;
    int64_t i;            /* CARD_INT (big: outside int64) */
    int big;
    double f;             /* CARD_FLOAT */
    int b;                /* CARD_BOOL */
    card_val **items;     /* CARD_SEQ items, CARD_MAP values */
    card_val **keys;      /* CARD_MAP keys */
    size_t n, cap;
    size_t line;          /* line in README.md */
    int merge_key;        /* a plain "<<" */
};

/* Reads model_dir/README.md (path gets its name). *out is NULL when there is no
 * README.md, no front matter, or front matter that is not a mapping (as gguf-py);
 * invalid UTF-8 or malformed YAML is HF_ERR_FORMAT naming the file and line. */
hf_status conv_card_load(const char *model_dir, card_val **out, char *path, size_t path_cap, hf_err *err);
/* The same on text already read; path is used in messages. */
hf_status conv_card_parse(const char *text, size_t len, const char *path, card_val **out, hf_err *err);
void conv_card_free(card_val *v);
/* The value of a string key of a mapping (the last if repeated), NULL if absent. */
const card_val *conv_card_get(const card_val *map, const char *key);
const char *conv_card_type_name(const card_val *v); /* "a string", "an integer", ... */
int conv_card_truthy(const card_val *v);            /* Python's bool(value) */

/* ---- conv_meta.c ---- */

/* Whole-string match, as Python's re.fullmatch (PCRE2, UTF); `caseless` mirrors re.IGNORECASE. */
int conv_fullmatch(const char *pattern, const char *s, int caseless);

/* A base model or dataset entry (general.base_model.N.* / general.dataset.N.*). */
enum { CONV_SRC_NAME, CONV_SRC_AUTHOR, CONV_SRC_VERSION, CONV_SRC_ORGANIZATION, CONV_SRC_DESCRIPTION,
       CONV_SRC_URL, CONV_SRC_DOI, CONV_SRC_UUID, CONV_SRC_REPO_URL, CONV_SRC_N };
typedef struct conv_meta_src {
    char *f[CONV_SRC_N]; /* NULL or "" when not written */
} conv_meta_src;

typedef struct conv_meta {
    /* Strings are NULL when unset; "" when set but not written (gguf-py skips empty strings). */
    char *name, *organization, *basename, *finetune, *version, *size_label;
    char *author, *description, *license, *license_name, *license_link;
    char *source_url, *source_doi, *source_uuid, *source_repo_url;
    conv_meta_src *base_models, *datasets;
    size_t n_base_models, n_datasets;
    int has_base_models, has_datasets; /* count written (even 0) when the card names them */
    const card_val **tags, **languages; /* point into card */
    size_t n_tags, n_languages;
    card_val *card;      /* README.md front matter, NULL if none */
    char card_path[4096];
    cJSON *gen_config; /* generation_config.json (sampling keys), NULL if absent or unreadable */
} conv_meta;

/* Fills meta the way gguf-py's Metadata.load does without an override file: the
 * README.md model card, then _name_or_path from config.json, then the directory name. */
hf_status conv_meta_load(conv_meta *m, const char *model_dir, const cJSON *cfg, int64_t total_params,
                         hf_err *err);
void conv_meta_free(conv_meta *m);
/* general.type, the sampling keys, general.name ... general.languages (set_gguf_meta_model order). */
hf_status conv_meta_write(gguf_writer *w, const conv_meta *m, hf_err *err);
/* llama.cpp's size label, e.g. 260032 -> "260K". buf >= 32 bytes. */
void conv_size_label(int64_t n_params, char *buf, size_t cap);
/* Resolves the output path: default name "<Name>-<size>-<TYPE>.gguf" (vocab: "<Name>-vocab.gguf")
 * inside model_dir or inside outfile when it is a directory; "{ftype}" templates filled. */
hf_status conv_output_path(const conv_meta *m, const char *model_dir, const char *outfile, const char *type_name,
                           int vocab_only, char *out, size_t cap, hf_err *err);

/* ---- conv_plan.c ---- */

typedef struct conv_part {
    const st_tensor *src;
    int64_t permute_heads; /* 0: rows copied in order; else the Q/K RoPE un-permute with this many heads */
} conv_part;

typedef struct conv_item {
    char *name;            /* GGUF name */
    conv_part *part;       /* n_parts source tensors, concatenated along their rows (owned) */
    int n_parts;           /* 1; 3 when fused (Q, K, V); the head count when stacked */
    int64_t rows;          /* rows of all parts together (1-D: elements, one per row) */
    int64_t row_len;       /* elements per row */
    uint32_t n_dims;
    int64_t ne[4];         /* GGUF order */
    uint32_t type;         /* ggml type */
} conv_item;

typedef struct conv_plan {
    conv_item *items;
    int64_t n, cap;
    uint32_t file_type;
    uint32_t weight_type;   /* the type of "quantizable" tensors under this file type */
    int64_t n_params;
    int64_t n_fused_layers;
} conv_plan;

/* Resolves --outtype auto from the checkpoint. */
conv_outtype conv_resolve_auto(const st_model *m);
uint32_t conv_file_type(conv_outtype t);
const char *conv_file_type_name(conv_outtype t); /* "F32", "F16", "BF16", "Q8_0" */

/* model_dir names the checkpoint in messages about missing tensors. */
hf_status conv_plan_build(conv_plan *p, const st_model *m, const char *model_dir, const arch_def *a,
                          const arch_hparams *hp, conv_outtype t, int fuse_qkv, gguf_qkv_bias qkv_bias, hf_err *err);
void conv_plan_free(conv_plan *p);

/* ---- conv_data.c ---- */

/* Row size in bytes of an item in the output. */
uint64_t conv_item_bytes(const conv_item *it);
/* Streams every item's data to the writer (after gguf_w_begin). */
hf_status conv_data_write(gguf_writer *w, const conv_plan *p, int n_threads, conv_progress_fn progress, void *pctx,
                          uint64_t *bytes_written, hf_err *err);
