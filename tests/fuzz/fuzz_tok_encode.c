/* fuzz_tok_encode: the runtime tokenizer's encode on arbitrary text. The first input byte
 * picks one of the real GGUF vocabularies of ../shared/models/gguf-vocab/ (loaded once per
 * process and kept), the second the add_special / parse_special flags; the rest is the
 * text. The ids are decoded back (both decode modes) and each piece looked up. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "gguf/gguf.h"
#include "tokenizer/tok.h"

#ifndef HF_SHARED_DIR
#define HF_SHARED_DIR "../shared"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const VOCABS[] = {"falcon", "gpt-2", "llama-bpe", "llama-spm",
                                     "phi-3",  "qwen2", "qwen35",    "starcoder"};
#define N_VOCABS (sizeof VOCABS / sizeof *VOCABS)

/* Loaded on first use; kept for the life of the process (reachable, so not a leak). */
static gguf_file *g_files[N_VOCABS];
static tok_vocab *g_vocabs[N_VOCABS];

static const tok_vocab *vocab(size_t i) {
    if (g_vocabs[i]) return g_vocabs[i];
    char path[4096];
    snprintf(path, sizeof path, "%s/models/gguf-vocab/ggml-vocab-%s.gguf", HF_SHARED_DIR, VOCABS[i]);
    hf_err err;
    if (gguf_open(&g_files[i], path, &err) != HF_OK || tok_load(&g_vocabs[i], g_files[i], &err) != HF_OK) {
        fprintf(stderr, "fuzz_tok_encode: cannot load %s: %s\n", path, err.msg);
        abort(); /* a setup failure, not a finding: the vocabularies are fixed inputs */
    }
    return g_vocabs[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    const tok_vocab *v = vocab(data[0] % N_VOCABS);
    int add_special = data[1] & 1, parse_special = (data[1] >> 1) & 1;
    int32_t *ids = NULL;
    size_t n = 0;
    hf_err err;
    if (tok_encode(v, (const char *)data + 2, size - 2, add_special, parse_special, &ids, &n, &err) != HF_OK)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= tok_n_vocab(v)) abort();
    size_t cap = 4 * (size + 16);
    char *buf = malloc(cap);
    if (buf) {
        size_t need = tok_decode(v, ids, n, 0, 1, buf, cap);
        if (need > cap) {
            char *big = realloc(buf, need);
            if (big) {
                buf = big;
                tok_decode(v, ids, n, 0, 1, buf, need);
            }
        }
        tok_decode(v, ids, n, 1, 0, buf, cap);
        char piece[64];
        for (size_t i = 0; i < n && i < 256; i++) tok_piece_ex(v, ids[i], (int)(i & 1), piece, sizeof piece);
        free(buf);
    }
    free(ids);
    return 0;
}
