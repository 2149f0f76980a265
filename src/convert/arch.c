/* arch: lookup over the table of architecture rows and the helpers the rows share. */
#include "convert/arch.h"

#include <stdlib.h>
#include <string.h>

extern const arch_def arch_llama;

/* The table. Add a row here after writing arch_<name>.c (see arch.h). */
static const arch_def *const ARCHES[] = {
    &arch_llama,
};
#define N_ARCHES (sizeof ARCHES / sizeof ARCHES[0])

const arch_def *arch_find(const char *hf_class) {
    for (size_t i = 0; i < N_ARCHES; i++)
        for (const char *const *c = ARCHES[i]->hf_classes; *c; c++)
            if (!strcmp(*c, hf_class)) return ARCHES[i];
    return NULL;
}

const char *arch_supported_list(void) {
    /* Built from the table once per call into a static buffer: read-only use in messages. */
    static char buf[1024];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < N_ARCHES; i++)
        for (const char *const *c = ARCHES[i]->hf_classes; *c; c++) {
            size_t len = strlen(*c);
            if (n + len + 3 >= sizeof buf) return buf;
            if (n) {
                memcpy(buf + n, ", ", 2);
                n += 2;
            }
            memcpy(buf + n, *c, len + 1);
            n += len;
        }
    return buf;
}

/* Matches `name` (exactly `len` bytes) against a pattern with at most one "%d". */
static int match_pattern(const char *pat, const char *name, size_t len, int64_t *layer) {
    const char *pd = strstr(pat, "%d");
    *layer = -1;
    if (!pd) return strlen(pat) == len && !memcmp(pat, name, len);
    size_t pre = (size_t)(pd - pat), post = strlen(pd + 2);
    if (len < pre + post + 1 || memcmp(pat, name, pre) || memcmp(pd + 2, name + len - post, post)) return 0;
    int64_t v = 0;
    size_t ndig = len - pre - post;
    if (ndig > 9) return 0;
    for (size_t i = pre; i < pre + ndig; i++) {
        if (name[i] < '0' || name[i] > '9') return 0;
        v = v * 10 + (name[i] - '0');
    }
    /* "01" is not layer 1: HF writes plain decimal. */
    if (ndig > 1 && name[pre] == '0') return 0;
    *layer = v;
    return 1;
}

int arch_match(const arch_def *a, const char *hf_name, int64_t *layer, int *is_bias) {
    size_t len = strlen(hf_name);
    static const char *const SUFFIXES[] = {".weight", ".bias"};
    for (int sfx = 0; sfx < 2; sfx++) {
        size_t sl = strlen(SUFFIXES[sfx]);
        if (len <= sl || strcmp(hf_name + len - sl, SUFFIXES[sfx])) continue;
        for (uint32_t i = 0; i < a->n_tensors; i++)
            if (match_pattern(a->tensors[i].hf, hf_name, len - sl, layer)) {
                *is_bias = sfx == 1;
                return (int)i;
            }
    }
    return -1;
}

int64_t arch_dim_value(arch_dim d, const arch_hparams *hp) {
    switch (d) {
    case DIM_NONE: return 0;
    case DIM_EMBD: return hp->n_embd;
    case DIM_FF: return hp->n_ff;
    case DIM_VOCAB: return hp->n_vocab;
    case DIM_Q: return hp->n_head * hp->head_dim;
    case DIM_KV: return hp->n_head_kv * hp->head_dim;
    }
    return 0;
}

int arch_need_required(arch_need need, const arch_hparams *hp, int *forbidden) {
    *forbidden = 0;
    switch (need) {
    case NEED_NEVER: *forbidden = 1; return 0;
    case NEED_ALWAYS: return 1;
    /* Tied: llama.cpp still writes an lm_head it finds, so it is allowed, not required. */
    case NEED_UNLESS_TIED: return !hp->tie_embeddings;
    /* A bias flag absent from the config (-1) leaves the biases optional. */
    case NEED_IF_ATTN_BIAS: *forbidden = hp->attention_bias == 0; return hp->attention_bias == 1;
    case NEED_IF_MLP_BIAS: *forbidden = hp->mlp_bias == 0; return hp->mlp_bias == 1;
    }
    return 0;
}
