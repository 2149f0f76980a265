/* tok_int: internals shared by the tokenizer's files (not part of the public API).
 *
 *   tok_map.c    byte-string hash map and binary heap (the two data structures the
 *                merge loops need; no quadratic work anywhere)
 *   tok_vocab.c  loading from GGUF, special ids, attributes, EOG set, accessors
 *   tok_pre.c    BPE pre-tokenizer table and the PCRE2 regex splitter
 *   tok_spm.c    SentencePiece-style bigram merging by score, byte fallback
 *   tok_bpe.c    byte-level BPE merging by rank, byte<->unicode mapping
 *   tok_encode.c special-token partition, BOS/EOS, tok_encode, pieces and detokenize */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "tokenizer/tok.h"

/* ==== Hash map: byte string -> int64 ==== */

typedef struct tok_map_slot {
    const uint8_t *key; /* not owned: points into an arena that outlives the map */
    uint32_t len;
    uint32_t hash;
    int64_t val;
} tok_map_slot;

typedef struct tok_map {
    tok_map_slot *slots; /* cap entries, key == NULL means empty */
    uint64_t cap;        /* power of two */
    uint64_t n;
} tok_map;

hf_status tok_map_init(tok_map *m, uint64_t expected, hf_err *err);
void tok_map_free(tok_map *m);
/* Inserts key -> val. overwrite=1 replaces an existing value (std::map operator[] semantics),
 * overwrite=0 keeps the first one (emplace semantics). The key bytes must stay alive. */
hf_status tok_map_put(tok_map *m, const void *key, size_t len, int64_t val, int overwrite, hf_err *err);
/* Returns 1 and the value when present. */
int tok_map_get(const tok_map *m, const void *key, size_t len, int64_t *val);

/* ==== Priority queue of candidate merges (shared by SPM and BPE) ==== */

/* A candidate merge of symbols left+right. Pops highest prio first, then lowest left: SPM
 * uses prio = token score, BPE prio = -rank (both exact in a double), which is the order of
 * llama.cpp's std::priority_queue comparators. size = bytes of the pair when queued. */
typedef struct tok_bigram {
    int left, right;
    double prio;
    size_t size;
} tok_bigram;

typedef struct tok_heap {
    tok_bigram *v;
    size_t n, cap;
} tok_heap;

void tok_heap_free(tok_heap *h);
int tok_heap_push(tok_heap *h, const tok_bigram *b); /* 0 on allocation failure */
int tok_heap_pop(tok_heap *h, tok_bigram *out);      /* 0 when empty */

/* ==== Growable int32 output ==== */

typedef struct tok_ids {
    int32_t *v;
    size_t n, cap;
    int oom; /* sticky allocation failure */
} tok_ids;

void tok_ids_push(tok_ids *o, int32_t id);

/* ==== Symbol chains (the working state of both merge loops) ==== */

typedef struct tok_sym {
    int prev, next; /* neighbours, -1 at the ends */
    const char *text;
    size_t n; /* bytes; 0 once merged into its left neighbour */
} tok_sym;

/* One symbol per UTF-8 character (a truncated last sequence is cut at the end), linked in
 * order, into syms (room for len entries). Returns the count. */
size_t tok_syms_split(tok_sym *syms, const char *text, size_t len);
/* Merges syms[right] (the next of syms[left]) into syms[left] and unlinks it. */
void tok_syms_merge(tok_sym *syms, int left, int right);

/* ==== UTF-8 (llama.cpp's lenient rules) ==== */

/* Length of the sequence a lead byte announces (1 for stray continuation bytes). */
size_t tok_utf8_len(uint8_t lead);
/* Decodes text into code points exactly like llama.cpp's unicode_cpts_from_utf8: an invalid
 * sequence yields U+FFFD and skips one byte. *cps is malloc'd. Returns 0 on allocation failure. */
int tok_utf8_decode(const char *text, size_t len, uint32_t **cps, size_t *n);
/* Appends the UTF-8 encoding of cp (as llama.cpp; cp > 0x10FFFF is encoded as U+FFFD) to buf
 * (at least 4 bytes free); returns the byte count. */
size_t tok_utf8_put(uint32_t cp, char *buf);

/* ==== Pre-tokenizer (tok_pre.c) ==== */

typedef struct tok_pre_info {
    const char *name;         /* canonical row name */
    int ignore_merges;        /* a whole word that is a token skips merging (llama3) */
    int add_bos;              /* llama.cpp's default add_bos for this pre */
    int clean_spaces;         /* detokenize: clean_up_tokenization_spaces */
} tok_pre_info;

typedef struct tok_pre tok_pre; /* compiled regexes of one pre-tokenizer */

hf_status tok_pre_open(tok_pre **out, const char *name, size_t name_len, tok_pre_info *info, hf_err *err);
void tok_pre_free(tok_pre *p);
/* Splits text into words (llama.cpp unicode_regex_split with byte_encode): each word is
 * returned byte-level encoded (bytes mapped to the GPT-2 unicode alphabet). words is one
 * malloc'd buffer of concatenated words; word_len[i] their lengths (malloc'd). */
hf_status tok_pre_split(const tok_pre *p, const char *text, size_t len, char **words, size_t **word_len,
                        size_t *n_words, hf_err *err);
/* GPT-2 byte -> UTF-8 of its unicode stand-in (1 or 2 bytes); returns the length. */
size_t tok_byte_to_unicode(uint8_t b, char out[4]);
/* Inverse; returns -1 if s is not one of the 256 stand-ins. */
int tok_unicode_to_byte(const char *s, size_t len);

/* ==== The vocab ==== */

struct tok_vocab {
    tok_model model;
    char pre_name[64];
    tok_pre_info pre_info;
    tok_pre *pre; /* BPE only */

    int32_t n;
    char *arena;      /* all token texts, back to back */
    uint64_t *off;    /* [n] text offsets in arena */
    uint32_t *len;    /* [n] text lengths */
    float *score;     /* [n] */
    uint32_t *attr;   /* [n] TOK_ATTR_* */
    tok_map text2id;  /* text -> id (later duplicates win, as llama.cpp's token_to_id[word] = i) */

    tok_map merges;       /* "<u32 len(left)>left right" -> rank (first occurrence wins) */
    uint8_t *merge_arena; /* the keys of merges */

    int32_t bos, eos, unk, eot, eom, pad, sep;
    int add_bos, add_eos, add_space_prefix, ignore_merges, clean_spaces;

    int32_t *special; /* CONTROL/USER_DEFINED/UNKNOWN ids, longest text first */
    size_t n_special;
    uint8_t *eog; /* [n] 1 if end-of-generation */
};

static inline const char *tok__text(const tok_vocab *v, int32_t id) { return v->arena + v->off[id]; }

/* Exact text lookup; TOK_NULL when absent. */
int32_t tok__find(const tok_vocab *v, const char *s, size_t len);
/* Rank of the merge (left, right), or -1. */
int64_t tok__merge_rank(const tok_vocab *v, const char *l, size_t ll, const char *r, size_t rl);

/* Sessions: append the ids of one raw-text fragment (no special tokens inside). */
hf_status tok_spm_encode(const tok_vocab *v, const char *text, size_t len, tok_ids *out, hf_err *err);
hf_status tok_bpe_encode(const tok_vocab *v, const char *text, size_t len, tok_ids *out, hf_err *err);
