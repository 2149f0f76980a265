/* arch: lookup over the table of architecture rows and the helpers the rows share. */
#include "convert/arch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"

extern const arch_def arch_llama, arch_qwen2, arch_qwen3, arch_phi2, arch_starcoder2, arch_stablelm;

/* The table. Add a row here after writing arch_<name>.c (see arch.h). */
static const arch_def *const ARCHES[] = {
    &arch_llama, &arch_qwen2, &arch_qwen3, &arch_phi2, &arch_starcoder2, &arch_stablelm,
};
#define N_ARCHES (sizeof ARCHES / sizeof ARCHES[0])

uint32_t arch_count(void) { return (uint32_t)N_ARCHES; }
const arch_def *arch_at(uint32_t i) { return i < N_ARCHES ? ARCHES[i] : NULL; }

const arch_def *arch_find(const char *hf_class) {
    for (size_t i = 0; i < N_ARCHES; i++)
        for (const char *const *c = ARCHES[i]->hf_classes; *c; c++)
            if (!strcmp(*c, hf_class)) return ARCHES[i];
    return NULL;
}

char *arch_supported_list(char *buf, size_t cap) {
    size_t n = 0;
    if (cap) buf[0] = '\0';
    for (size_t i = 0; i < N_ARCHES; i++)
        for (const char *const *c = ARCHES[i]->hf_classes; *c && n < cap; c++)
            n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", *c);
    return buf;
}

/* Reads the decimal number at name[*pos] (plain decimal as HF writes it: "01" is not 1). */
static int read_index(const char *name, size_t len, size_t *pos, int64_t *out) {
    size_t i = *pos, nd = 0;
    int64_t v = 0;
    while (i < len && name[i] >= '0' && name[i] <= '9' && nd < 10) v = v * 10 + (name[i++] - '0'), nd++;
    if (nd == 0 || nd > 9 || (nd > 1 && name[*pos] == '0')) return 0;
    *pos = i;
    *out = v;
    return 1;
}

/* Matches `name` (exactly `len` bytes) against a pattern with up to two "%d". */
static int match_pattern(const char *pat, const char *name, size_t len, int64_t idx[2]) {
    size_t pos = 0;
    int n_idx = 0;
    idx[0] = idx[1] = -1;
    for (const char *p = pat; *p;) {
        if (p[0] == '%' && p[1] == 'd') {
            if (n_idx == 2 || !read_index(name, len, &pos, &idx[n_idx++])) return 0;
            p += 2;
            continue;
        }
        if (pos >= len || name[pos] != *p) return 0;
        pos++, p++;
    }
    return pos == len;
}

int arch_match(const arch_def *a, const char *hf_name, int64_t *layer, int64_t *sub, int *is_bias) {
    size_t len = strlen(hf_name);
    static const char *const SUFFIXES[] = {".weight", ".bias"};
    for (int sfx = 0; sfx < 2; sfx++) {
        size_t sl = strlen(SUFFIXES[sfx]);
        if (len <= sl || strcmp(hf_name + len - sl, SUFFIXES[sfx])) continue;
        for (uint32_t i = 0; i < a->n_tensors; i++) {
            int64_t idx[2];
            if (match_pattern(a->tensors[i].hf, hf_name, len - sl, idx)) {
                *layer = idx[0];
                *sub = idx[1];
                *is_bias = sfx == 1;
                return (int)i;
            }
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
    case DIM_HEAD: return hp->head_dim;
    }
    return 0;
}

int64_t arch_stack_count(const arch_tensor *row, const arch_hparams *hp) {
    if (row->role == ROLE_STACK_Q) return hp->n_head;
    if (row->role == ROLE_STACK_K) return hp->n_head_kv;
    return 0;
}

int arch_need_required(const arch_tensor *row, arch_need need, const arch_hparams *hp, int *forbidden) {
    *forbidden = 0;
    const int sw = row->sw >= 0 && row->sw < ARCH_MAX_SWITCHES ? hp->sw[row->sw] : -1;
    switch (need) {
    case NEED_NEVER: *forbidden = 1; return 0;
    case NEED_ALWAYS: return 1;
    /* Tied: llama.cpp still writes an lm_head it finds, so it is allowed, not required. */
    case NEED_UNLESS_TIED: return !hp->tie_embeddings;
    /* A switch absent from the config without a default (-1) leaves the tensors optional. */
    case NEED_IF_SW: *forbidden = sw == 0; return sw == 1;
    case NEED_UNLESS_SW: *forbidden = sw == 1; return sw == 0;
    }
    return 0;
}

/* ==== KV helpers ==== */

hf_status arch_put_u32(const arch_def *a, gguf_writer *w, const char *suffix, int64_t v, hf_err *err) {
    char key[160];
    return gguf_w_add_u32(w, gguf_arch_key(key, sizeof key, a->gguf_arch, suffix), (uint32_t)v, err);
}

hf_status arch_put_f32(const arch_def *a, gguf_writer *w, const char *suffix, double v, hf_err *err) {
    char key[160];
    return gguf_w_add_f32(w, gguf_arch_key(key, sizeof key, a->gguf_arch, suffix), (float)v, err);
}

hf_status arch_put_bool(const arch_def *a, gguf_writer *w, const char *suffix, int v, hf_err *err) {
    char key[160];
    return gguf_w_add_bool(w, gguf_arch_key(key, sizeof key, a->gguf_arch, suffix), v, err);
}

static hf_status missing_key(const char *const *keys, const char *src, const char *what, hf_err *err) {
    char list[256];
    size_t o = 0;
    list[0] = '\0';
    for (const char *const *k = keys; *k && o < sizeof list; k++)
        o += (size_t)snprintf(list + o, sizeof list - o, "%s'%s'", o ? ", " : "", *k);
    return hf_fail(err, HF_ERR_FORMAT, "%s: missing key %s (%s; any of these names)", src, list, what);
}

hf_status arch_cfg_int(const cJSON *cfg, const char *const *keys, const char *src, int required, int64_t *out,
                       int *found, hf_err *err) {
    const char *which = NULL;
    const cJSON *v = json_first(cfg, keys, &which);
    *found = 0;
    if (!v || cJSON_IsNull(v)) return required ? missing_key(keys, src, "an integer", err) : HF_OK;
    if (!json_is_integer(v) || v->valuedouble < 0 || v->valuedouble > 4294967295.0)
        return hf_fail(err, HF_ERR_FORMAT, "%s: key '%s': expected a non-negative 32-bit integer, found %s", src,
                       which, cJSON_IsNumber(v) ? "a number out of range or with a fraction" : json_type_name(v));
    *out = (int64_t)v->valuedouble;
    *found = 1;
    return HF_OK;
}

hf_status arch_cfg_num(const cJSON *cfg, const char *const *keys, const char *src, int required, double *out,
                       int *found, hf_err *err) {
    const char *which = NULL;
    const cJSON *v = json_first(cfg, keys, &which);
    *found = 0;
    if (!v || cJSON_IsNull(v)) return required ? missing_key(keys, src, "a number", err) : HF_OK;
    if (!cJSON_IsNumber(v))
        return hf_fail(err, HF_ERR_FORMAT, "%s: key '%s': expected a number, found %s", src, which,
                       json_type_name(v));
    *out = v->valuedouble;
    *found = 1;
    return HF_OK;
}

hf_status arch_cfg_rotary_factor(const cJSON *cfg, const char *src, double *out, hf_err *err) {
    static const char *const K_ROT[] = {"partial_rotary_factor", "rope_pct", "rope_percent", NULL};
    int found = 0;
    /* llama.cpp reads it from rope_parameters, where it is mirrored from the top level. */
    const cJSON *rp = json_get(cfg, "rope_parameters");
    hf_status s = HF_OK;
    if (cJSON_IsObject(rp)) s = arch_cfg_num(rp, K_ROT, src, 0, out, &found, err);
    if (s == HF_OK && !found) s = arch_cfg_num(cfg, K_ROT, src, 1, out, &found, err);
    if (s != HF_OK) return s;
    if (!(*out > 0.0 && *out <= 1.0))
        return hf_fail(err, HF_ERR_FORMAT, "%s: key 'partial_rotary_factor' = %g: expected a number in (0, 1]", src,
                       *out);
    return HF_OK;
}

hf_status arch_check_rot_dims(const char *src, int64_t n_rot, const arch_hparams *hp, hf_err *err) {
    if (n_rot > 0 && n_rot % 2 == 0 && n_rot <= hp->head_dim) return HF_OK;
    return hf_fail(err, HF_ERR_FORMAT,
                   "%s: key 'partial_rotary_factor' gives %lld rotary dimensions per head (head_dim %lld): "
                   "expected an even number from 2 to head_dim",
                   src, (long long)n_rot, (long long)hp->head_dim);
}
