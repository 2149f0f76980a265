/* tok: runtime tokenizers loaded from GGUF, encoding and decoding exactly like llama.cpp.
 *
 * ==== What is read from the GGUF ====
 *   tokenizer.ggml.model        "llama" (SentencePiece-style, SPM) or "gpt2" (byte-level BPE)
 *   tokenizer.ggml.pre          BPE pre-tokenizer name (llama-bpe, qwen2, gpt-2, ...; see tok_pre.c)
 *   tokenizer.ggml.tokens       string[n]  token texts; index = id              (required)
 *   tokenizer.ggml.scores       f32|i32[>=n] SPM merge scores                     (optional, 0)
 *   tokenizer.ggml.token_type   i32[>=n]   1 normal 2 unknown 3 control 4 user 5 unused 6 byte
 *   tokenizer.ggml.merges       string[]   BPE merges "left right", rank = index (required for gpt2)
 *   tokenizer.ggml.{bos,eos,unknown,eot,eom,padding,seperator}_token_id        (optional)
 *   tokenizer.ggml.add_bos_token / add_eos_token / add_space_prefix            (optional)
 *   general.name                (phi-3 special-token rstrip rule, as llama.cpp)
 * Defaults when keys are absent follow llama.cpp's llama_vocab::load: SPM bos=1 eos=2 unk=0,
 * add_bos=true, add_space_prefix=true; BPE bos=eos=11, add_bos only for llama-bpe-like pres.
 *
 * ==== Contract ====
 * tok_load copies everything it needs: the vocab outlives the gguf_file. It fails with
 * HF_ERR_FORMAT (malformed/missing keys, wrong array lengths, bad merges) or
 * HF_ERR_UNSUPPORTED (another tokenizer model or pre-tokenizer), naming the key.
 * A loaded vocab is read-only; encode/decode may run concurrently from several threads. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "gguf/gguf.h"

#define TOK_NULL (-1) /* "no such token" (llama.cpp's LLAMA_TOKEN_NULL) */

typedef struct tok_vocab tok_vocab;

typedef enum tok_model {
    TOK_MODEL_SPM = 1, /* tokenizer.ggml.model = "llama" */
    TOK_MODEL_BPE = 2, /* tokenizer.ggml.model = "gpt2" */
} tok_model;

/* Token attributes, same bits as llama.cpp's llama_token_attr. */
enum {
    TOK_ATTR_UNKNOWN = 1 << 0,
    TOK_ATTR_UNUSED = 1 << 1,
    TOK_ATTR_NORMAL = 1 << 2,
    TOK_ATTR_CONTROL = 1 << 3,
    TOK_ATTR_USER_DEFINED = 1 << 4,
    TOK_ATTR_BYTE = 1 << 5,
    TOK_ATTR_LSTRIP = 1 << 7,
    TOK_ATTR_RSTRIP = 1 << 8,
};

hf_status tok_load(tok_vocab **out, const gguf_file *f, hf_err *err);
void tok_free(tok_vocab *v); /* NULL is a no-op */

/* Encodes len bytes of text (any bytes; invalid UTF-8 is handled like llama.cpp). *ids is
 * malloc'd (free() it; may be NULL when *n_ids == 0). add_special adds BOS/EOS per
 * add_bos_token/add_eos_token; parse_special lets CONTROL tokens written in the text match
 * (USER_DEFINED tokens always match, as in llama.cpp). */
hf_status tok_encode(const tok_vocab *v, const char *text, size_t len, int add_special, int parse_special,
                     int32_t **ids, size_t *n_ids, hf_err *err);

/* Decoded bytes of one token (llama.cpp token_to_piece with special=true: control tokens
 * render their text). Writes min(needed, cap) bytes; returns the needed length (0 for an id
 * out of range). */
size_t tok_piece(const tok_vocab *v, int32_t id, char *buf, size_t cap);
/* Same with llama.cpp's `special` flag: special=0 renders CONTROL/UNKNOWN tokens as "". */
size_t tok_piece_ex(const tok_vocab *v, int32_t id, int special, char *buf, size_t cap);

/* Detokenizes like llama_detokenize(remove_special, unparse_special): the leading space added by
 * add_space_prefix is dropped, BPE clean_spaces rules applied. Returns needed length; writes at
 * most cap bytes (the text is complete only when the return value <= cap). */
size_t tok_decode(const tok_vocab *v, const int32_t *ids, size_t n, int remove_special, int unparse_special,
                  char *buf, size_t cap);

int32_t tok_bos(const tok_vocab *v);     /* TOK_NULL if none */
int32_t tok_eos(const tok_vocab *v);     /* TOK_NULL if none */
int tok_is_eog(const tok_vocab *v, int32_t id); /* end of generation: eos, eot, eom, <|im_end|>, ... */
int32_t tok_n_vocab(const tok_vocab *v);

tok_model tok_model_of(const tok_vocab *v);
const char *tok_pre_name(const tok_vocab *v); /* BPE pre-tokenizer name; "default" for SPM */
int tok_add_bos(const tok_vocab *v);
int tok_add_eos(const tok_vocab *v);
uint32_t tok_attr(const tok_vocab *v, int32_t id); /* TOK_ATTR_* bits; 0 for out of range */
/* Token text as stored (not decoded); NULL for out of range. *len gets its length. */
const char *tok_text(const tok_vocab *v, int32_t id, size_t *len);
/* Exact text -> id lookup; TOK_NULL when absent. */
int32_t tok_find(const tok_vocab *v, const char *text, size_t len);
