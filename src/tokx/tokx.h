/* tokx: tokenizer export, HF model directory -> the tokenizer.* GGUF KV pairs that
 * llama.cpp v0.5.0's convert_hf_to_gguf.py writes (see docs/tokenizer-export.md).
 *
 * ==== What is read ====
 *   tokenizer.model          SentencePiece ModelProto (protobuf; read by tokx_spm_parse)
 *   tokenizer.json           HF tokenizers: byte-level BPE ("gpt2") or SentencePiece-style BPE
 *                            with byte_fallback (llama.cpp's LlamaHfVocab, model "llama")
 *   tokenizer_config.json    added_tokens_decoder, *_token, add_*_token, chat_template
 *   added_tokens.json        SentencePiece added tokens
 *   merges.txt               BPE merges when tokenizer.json has none
 *   chat_template.jinja / chat_template.json, additional_chat_templates/
 *   config.json              passed in parsed: vocab_size, model_type, *_token_id
 *
 * ==== Which vocabulary path ====
 * As llama.cpp's Llama model class: tokenizer.model if present (SentencePiece), else a
 * tokenizer.json with byte_fallback BPE (LlamaHfVocab), else tokenizer.json byte-level BPE.
 * For config model_type qwen2/qwen3 (Qwen2 class): SentencePiece, else byte-level BPE.
 * For phi, starcoder2, stablelm (TextModel.set_vocab / StableLM): byte-level BPE from
 * tokenizer.json; SentencePiece only when there is just a tokenizer.model (llama.cpp fails
 * there; we write what its SentencePiece path writes).
 *
 * ==== tokenizer.ggml.pre ====
 * llama.cpp names the BPE pre-tokenizer by hashing the tokenizer's output on a check
 * string; we recognise known tokenizers instead (pre-tokenizer structure + merges
 * fingerprint, table in tokx_pre.c). An unknown one is HF_ERR_UNSUPPORTED naming the file
 * and suggesting --vocab-pre NAME; opts->vocab_pre overrides detection.
 *
 * All functions return HF_OK or fill err with a message naming the file and the key. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "gguf/gguf.h"

typedef struct tokx_opts {
    const char *vocab_pre; /* --vocab-pre override, or NULL */
} tokx_opts;

/* Appends every tokenizer.* KV pair for the HF model directory to w, in the order
 * llama.cpp v0.5.0's convert_hf_to_gguf.py writes them. config is the parsed config.json
 * (vocab_size, bos/eos ids...); it may be NULL when the directory has none. opts may be NULL.
 * Everything is read and checked before the first KV pair goes to w, so a bad input adds
 * nothing (only a failing gguf_w_add_* itself can leave some pairs added). */
hf_status tokx_write_vocab(gguf_writer *w, const char *model_dir, const cJSON *config, const tokx_opts *opts,
                           hf_err *err);

/* ==== SentencePiece model (tokenizer.model) ==== */

/* SentencePiece piece types, the same numbers as GGUF's tokenizer.ggml.token_type. */
enum {
    TOKX_NORMAL = 1,
    TOKX_UNKNOWN = 2,
    TOKX_CONTROL = 3,
    TOKX_USER_DEFINED = 4,
    TOKX_UNUSED = 5,
    TOKX_BYTE = 6,
};

typedef struct tokx_spm_piece {
    const char *text; /* into the parsed buffer, not NUL-terminated, valid UTF-8 */
    uint64_t len;
    float score;      /* 0 when absent, as protobuf's default */
    int type;         /* TOKX_*; NORMAL when absent */
} tokx_spm_piece;

typedef struct tokx_spm {
    tokx_spm_piece *pieces;
    uint64_t n;
} tokx_spm;

/* Parses a serialized ModelProto: every varint, length and field is bounds-checked against
 * len; fields other than `pieces` are skipped by wire type. Pieces point into buf, which the
 * caller keeps alive. name is used in messages (e.g. the path). */
hf_status tokx_spm_parse(const uint8_t *buf, size_t len, const char *name, tokx_spm *out, hf_err *err);
void tokx_spm_free(tokx_spm *m); /* zeroed or NULL is a no-op */
