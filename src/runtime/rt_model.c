/* Loader: GGUF -> rt_model (hyper-parameters + tensor views, all checked). */
#include "runtime/rt_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dtype.h"
#include "runtime/rt_repack.h"

/* Architectures and their tensor tables live in rt_arch.c; this file only interprets them. */

/* ==== Hyper-parameter keys ("{arch}.<suffix>") ====
 * dflt < 0 marks a required key; defaults that depend on other values are
 * filled in by derive_defaults (marked DERIVED). */
#define DERIVED (-2.0)
#define REQUIRED (-1.0)

typedef enum hp_kind { HP_INT, HP_FLOAT } hp_kind;

typedef struct hp_row {
    const char *suffix;
    hp_kind kind;
    size_t offset; /* into rt_hparams */
    double dflt;
} hp_row;

static const hp_row HPARAMS[] = {
    {"block_count", HP_INT, offsetof(rt_hparams, n_layer), REQUIRED},
    {"embedding_length", HP_INT, offsetof(rt_hparams, n_embd), REQUIRED},
    {"feed_forward_length", HP_INT, offsetof(rt_hparams, n_ff), REQUIRED},
    {"context_length", HP_INT, offsetof(rt_hparams, n_ctx_train), REQUIRED},
    {"attention.head_count", HP_INT, offsetof(rt_hparams, n_head), REQUIRED},
    {"attention.head_count_kv", HP_INT, offsetof(rt_hparams, n_head_kv), DERIVED},
    {"attention.key_length", HP_INT, offsetof(rt_hparams, head_dim), DERIVED},
    {"rope.dimension_count", HP_INT, offsetof(rt_hparams, n_rot), DERIVED},
    {"vocab_size", HP_INT, offsetof(rt_hparams, n_vocab), DERIVED},
    {"rope.freq_base", HP_FLOAT, offsetof(rt_hparams, rope_base), 10000.0},
};

/* The epsilon key of each norm kind (required). */
static const char *const NORM_EPS_KEY[] = {
    [RT_NORM_RMS] = GGUF_KEY_LAYERNORM_RMS_EPS,
    [RT_NORM_LAYER] = GGUF_KEY_LAYERNORM_EPS,
};

#define MAX_DIM ((int64_t)1 << 31) /* keeps every product of two dims in int64 */

int rt_weight_type_supported(uint32_t type) {
    return type == HF_TYPE_F32 || type == HF_TYPE_F16 || type == HF_TYPE_BF16 || type == HF_TYPE_Q8_0;
}

/* ==== Loader state ==== */
typedef struct loader {
    rt_model *m;
    const gguf_tensor **used; /* tensors resolved so far */
    int64_t n_used;
} loader;

static const char *fpath(const loader *L) { return gguf_path(L->m->file); }

static hf_status read_arch(loader *L, hf_err *err) {
    gguf_str s;
    hf_status st = gguf_get_str(L->m->file, "general.architecture", &s, err);
    if (st != HF_OK) return st;
    const rt_arch *a = rt_arch_find(s.ptr, s.len);
    if (a) {
        L->m->arch = a->name;
        L->m->arch_row = a;
        L->m->hp.rope_mode = a->rope_mode;
        return HF_OK;
    }
    char list[256];
    return hf_fail(err, HF_ERR_UNSUPPORTED, "%s: unsupported architecture '%.*s' (supported: %s)", fpath(L),
                   (int)(s.len > 64 ? 64 : s.len), s.ptr, rt_arch_supported_list(list, sizeof list));
}

static hf_status read_one_hparam(loader *L, const hp_row *r, hf_err *err) {
    char key[256];
    snprintf(key, sizeof key, "%s.%s", L->m->arch, r->suffix);
    const gguf_file *f = L->m->file;
    void *field = (char *)&L->m->hp + r->offset;
    if (!gguf_find_kv(f, key)) {
        if (r->dflt == REQUIRED) return hf_fail(err, HF_ERR_FORMAT, "%s: missing key '%s'", fpath(L), key);
        if (r->kind == HP_INT) *(int64_t *)field = r->dflt == DERIVED ? -1 : (int64_t)r->dflt;
        else *(float *)field = (float)r->dflt;
        return HF_OK;
    }
    if (r->kind == HP_FLOAT) return gguf_get_f32(f, key, field, err);
    int64_t v;
    hf_status st = gguf_get_i64(f, key, &v, err);
    if (st != HF_OK) return st;
    if (v <= 0 || v >= MAX_DIM)
        return hf_fail(err, HF_ERR_FORMAT, "%s: key '%s' = %lld, expected 1..%lld", fpath(L), key, (long long)v,
                       (long long)MAX_DIM - 1);
    *(int64_t *)field = v;
    return HF_OK;
}

/* Linear RoPE scaling is a frequency factor; other scaling schemes change
 * the rotation itself and are refused rather than silently ignored. */
static hf_status read_rope_scaling(loader *L, hf_err *err) {
    char key[256];
    L->m->hp.rope_freq_scale = 1.0f;
    snprintf(key, sizeof key, "%s.rope.scaling.type", L->m->arch);
    gguf_str s;
    if (!gguf_find_kv(L->m->file, key)) return HF_OK;
    hf_status st = gguf_get_str(L->m->file, key, &s, err);
    if (st != HF_OK) return st;
    if (s.len == 4 && memcmp(s.ptr, "none", 4) == 0) return HF_OK;
    if (!(s.len == 6 && memcmp(s.ptr, "linear", 6) == 0))
        return hf_fail(err, HF_ERR_UNSUPPORTED, "%s: unsupported RoPE scaling '%.*s' (supported: none, linear)",
                       fpath(L), (int)(s.len > 64 ? 64 : s.len), s.ptr);
    float factor;
    snprintf(key, sizeof key, "%s.rope.scaling.factor", L->m->arch);
    st = gguf_get_f32(L->m->file, key, &factor, err);
    if (st != HF_OK) return st;
    if (!(factor > 0.0f)) return hf_fail(err, HF_ERR_FORMAT, "%s: key '%s' must be > 0", fpath(L), key);
    L->m->hp.rope_freq_scale = 1.0f / factor;
    return HF_OK;
}

static hf_status derive_and_check_hparams(loader *L, hf_err *err) {
    rt_hparams *hp = &L->m->hp;
    const char *a = L->m->arch;
    if (hp->n_head_kv < 0) hp->n_head_kv = hp->n_head;
    if (hp->head_dim < 0) {
        if (hp->n_embd % hp->n_head != 0)
            return hf_fail(err, HF_ERR_FORMAT, "%s: %s.embedding_length %lld is not a multiple of head_count %lld",
                           fpath(L), a, (long long)hp->n_embd, (long long)hp->n_head);
        hp->head_dim = hp->n_embd / hp->n_head;
    }
    char key[256];
    snprintf(key, sizeof key, "%s.attention.value_length", a);
    if (gguf_find_kv(L->m->file, key)) {
        int64_t vl;
        hf_status st = gguf_get_i64(L->m->file, key, &vl, err);
        if (st != HF_OK) return st;
        if (vl != hp->head_dim)
            return hf_fail(err, HF_ERR_UNSUPPORTED, "%s: %s = %lld differs from key_length %lld (unsupported)",
                           fpath(L), key, (long long)vl, (long long)hp->head_dim);
    }
    if (hp->n_rot < 0) hp->n_rot = hp->head_dim;
    if (hp->n_head % hp->n_head_kv != 0)
        return hf_fail(err, HF_ERR_FORMAT, "%s: head_count %lld is not a multiple of head_count_kv %lld", fpath(L),
                       (long long)hp->n_head, (long long)hp->n_head_kv);
    if (hp->n_rot > hp->head_dim || hp->n_rot % 2 != 0)
        return hf_fail(err, HF_ERR_FORMAT, "%s: %s.rope.dimension_count %lld must be even and <= head dim %lld",
                       fpath(L), a, (long long)hp->n_rot, (long long)hp->head_dim);
    if (!(hp->norm_eps > 0.0f) || !(hp->rope_base > 0.0f))
        return hf_fail(err, HF_ERR_FORMAT, "%s: %s.%s (%g) and rope.freq_base (%g) must be > 0", fpath(L), a,
                       NORM_EPS_KEY[L->m->arch_row->norm], (double)hp->norm_eps, (double)hp->rope_base);
    if (rt_n_q(hp) >= MAX_DIM || rt_n_kv(hp) >= MAX_DIM)
        return hf_fail(err, HF_ERR_FORMAT, "%s: head_count x head dim too large", fpath(L));
    return HF_OK;
}

static hf_status read_hparams(loader *L, hf_err *err) {
    hf_status st = read_arch(L, err);
    for (size_t i = 0; st == HF_OK && i < sizeof HPARAMS / sizeof HPARAMS[0]; i++)
        st = read_one_hparam(L, &HPARAMS[i], err);
    if (st == HF_OK) {
        const hp_row eps = {NORM_EPS_KEY[L->m->arch_row->norm], HP_FLOAT, offsetof(rt_hparams, norm_eps), REQUIRED};
        st = read_one_hparam(L, &eps, err);
    }
    if (st == HF_OK) st = read_rope_scaling(L, err);
    if (st == HF_OK) st = derive_and_check_hparams(L, err);
    return st;
}

/* ==== Tensors ==== */

typedef enum tensor_role {
    ROLE_MATRIX, /* any type the matmul supports */
    ROLE_VECTOR, /* norms and biases: F32 (1-D, or 2-D for stacked per-head norms) */
} tensor_role;

static const char *type_name(uint32_t type) {
    const hf_type_traits *t = hf_type_info(type);
    return t ? t->name : "unknown";
}

static void format_shape(char *buf, size_t cap, const int64_t *ne, uint32_t n_dims) {
    size_t o = (size_t)snprintf(buf, cap, "{");
    for (uint32_t i = 0; i < n_dims && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%lld", i ? ", " : "", (long long)ne[i]);
    if (o < cap) snprintf(buf + o, cap - o, "}");
}

/* Shapes compare as llama.cpp's loader does: trailing dimensions of 1 are equal to absent
 * ones ({64} == {64, 1}). */
static hf_status check_tensor(loader *L, const gguf_tensor *t, tensor_role role, int64_t ne0, int64_t ne1,
                              hf_err *err) {
    const int64_t want[2] = {ne0, ne1};
    const uint32_t want_dims = ne1 == 1 ? 1 : 2;
    int ok = t->n_dims <= 2 && t->ne[0] == ne0 && (t->n_dims < 2 ? ne1 == 1 : t->ne[1] == ne1);
    if (role == ROLE_MATRIX && t->n_dims != 2) ok = 0;
    if (!ok) {
        char w[96], f[160];
        format_shape(w, sizeof w, want, role == ROLE_MATRIX ? 2 : want_dims);
        format_shape(f, sizeof f, t->ne, t->n_dims);
        return hf_fail(err, HF_ERR_FORMAT, "%s: tensor '%s' has shape %s, expected %s", fpath(L), t->name, f, w);
    }
    if (role == ROLE_VECTOR && t->type != HF_TYPE_F32)
        return hf_fail(err, HF_ERR_FORMAT, "%s: tensor '%s' has type %s, expected f32", fpath(L), t->name,
                       type_name(t->type));
    if (role == ROLE_MATRIX && !rt_weight_type_supported(t->type))
        return hf_fail(err, HF_ERR_UNSUPPORTED, "%s: tensor '%s' has type %s, expected one of f32, f16, bf16, q8_0",
                       fpath(L), t->name, type_name(t->type));
    /* Elements are read in place, so the data must sit at its element alignment (4 bytes for
     * f32, 2 for the 16-bit types and Q8_0's fp16 scales); only a file written with
     * general.alignment 1 or 2 can miss it (llama.cpp refuses anything below 32). */
    const uintptr_t need = t->type == HF_TYPE_F32 ? 4 : 2;
    if ((uintptr_t)t->data % need != 0)
        return hf_fail(err, HF_ERR_UNSUPPORTED,
                       "%s: tensor '%s': data at file offset %llu is not %u-byte aligned (general.alignment %llu); "
                       "expected tensor data aligned to its element size",
                       fpath(L), t->name, (unsigned long long)(gguf_data_offset(L->m->file) + t->offset),
                       (unsigned)need, (unsigned long long)gguf_alignment(L->m->file));
    return HF_OK;
}

/* Resolves `name` into *out. Absent + !required leaves *out zeroed. */
static hf_status take_tensor(loader *L, rt_tensor *out, const char *name, tensor_role role, int64_t ne0,
                             int64_t ne1, int required, hf_err *err) {
    memset(out, 0, sizeof *out);
    const gguf_tensor *t = gguf_find_tensor(L->m->file, name);
    if (!t) {
        if (!required) return HF_OK;
        return hf_fail(err, HF_ERR_FORMAT, "%s: missing tensor '%s'", fpath(L), name);
    }
    hf_status st = check_tensor(L, t, role, ne0, ne1, err);
    if (st != HF_OK) return st;
    L->used[L->n_used++] = t;
    *out = (rt_tensor){.name = t->name, .data = t->data, .type = t->type, .ne0 = ne0, .ne1 = ne1,
                       .row_bytes = (size_t)hf_row_size(t->type, ne0)};
    return HF_OK;
}

static hf_status take_named(loader *L, rt_tensor *out, gguf_tn tn, int64_t il, gguf_sfx sfx, tensor_role role,
                            int64_t ne0, int64_t ne1, int required, hf_err *err) {
    char name[128];
    return take_tensor(L, out, gguf_tn_format(name, sizeof name, tn, il, sfx), role, ne0, ne1, required, err);
}

static int64_t dim_value(rt_dim d, const rt_hparams *hp) {
    switch (d) {
    case RT_D_1: return 1;
    case RT_D_EMBD: return hp->n_embd;
    case RT_D_FF: return hp->n_ff;
    case RT_D_VOCAB: return hp->n_vocab;
    case RT_D_Q: return rt_n_q(hp);
    case RT_D_HEAD: return hp->head_dim;
    case RT_D_NHEAD: return hp->n_head;
    case RT_D_NHEAD_KV: return hp->n_head_kv;
    }
    return 0;
}

/* Resolves every row of the arch's table owned by `owner` (layer il for RT_IN_LAYER). */
static hf_status take_rows(loader *L, rt_owner owner, void *base, int64_t il, hf_err *err) {
    const rt_arch *a = L->m->arch_row;
    const rt_hparams *hp = &L->m->hp;
    hf_status st = HF_OK;
    for (size_t i = 0; st == HF_OK && i < a->n_tensors; i++) {
        const rt_tensor_row *r = &a->tensors[i];
        if (r->owner != owner) continue;
        rt_tensor *dst = (rt_tensor *)((char *)base + r->offset);
        st = take_named(L, dst, r->tn, il, r->sfx, r->matrix ? ROLE_MATRIX : ROLE_VECTOR, dim_value(r->ne0, hp),
                        dim_value(r->ne1, hp), r->need == RT_REQUIRED, err);
    }
    return st;
}

/* Q||K||V bias: fused tensor, or the separate biases concatenated once
 * (missing ones as zeros, so every layout adds one vector after the matmul). */
static hf_status take_qkv_bias(loader *L, rt_layer *ly, int64_t il, hf_err *err) {
    const rt_hparams *hp = &L->m->hp;
    const int64_t nq = rt_n_q(hp), nkv = rt_n_kv(hp), n = nq + 2 * nkv;
    rt_tensor fused, sep[3];
    hf_status st = take_named(L, &fused, GGUF_TN_ATTN_QKV, il, GGUF_SFX_BIAS, ROLE_VECTOR, n, 1, 0, err);
    const gguf_tn tns[3] = {GGUF_TN_ATTN_Q, GGUF_TN_ATTN_K, GGUF_TN_ATTN_V};
    const int64_t len[3] = {nq, nkv, nkv};
    for (int i = 0; st == HF_OK && i < 3; i++)
        st = take_named(L, &sep[i], tns[i], il, GGUF_SFX_BIAS, ROLE_VECTOR, len[i], 1, 0, err);
    if (st != HF_OK) return st;
    const int any_sep = sep[0].data || sep[1].data || sep[2].data;
    if (fused.data && any_sep)
        return hf_fail(err, HF_ERR_FORMAT, "%s: layer %lld has both attn_qkv.bias and separate attn_q/k/v biases",
                       fpath(L), (long long)il);
    if (fused.data) {
        ly->bqkv = fused.data; /* F32 checked; GGUF data is 32-byte aligned */
        return HF_OK;
    }
    if (!any_sep) return HF_OK;
    ly->bqkv_owned = calloc((size_t)n, sizeof(float));
    if (!ly->bqkv_owned) return hf_fail(err, HF_ERR_NOMEM, "out of memory for layer %lld biases", (long long)il);
    int64_t off = 0;
    for (int i = 0; i < 3; off += len[i], i++)
        if (sep[i].data) memcpy(ly->bqkv_owned + off, sep[i].data, (size_t)len[i] * sizeof(float));
    ly->bqkv = ly->bqkv_owned;
    return HF_OK;
}

/* Every architecture loads Q/K/V the same way, in any of the three layouts (rt_model.h). */
static hf_status take_qkv(loader *L, rt_layer *ly, int64_t il, hf_err *err) {
    const rt_hparams *hp = &L->m->hp;
    const int64_t nq = rt_n_q(hp), nkv = rt_n_kv(hp), E = hp->n_embd;
    hf_status st = take_named(L, &ly->wqkv, GGUF_TN_ATTN_QKV, il, GGUF_SFX_WEIGHT, ROLE_MATRIX, E, nq + 2 * nkv, 0, err);
    if (st != HF_OK) return st;
    ly->qkv_fused = ly->wqkv.data != NULL;
    if (!ly->qkv_fused) {
        st = take_named(L, &ly->wq, GGUF_TN_ATTN_Q, il, GGUF_SFX_WEIGHT, ROLE_MATRIX, E, nq, 1, err);
        if (st == HF_OK) st = take_named(L, &ly->wk, GGUF_TN_ATTN_K, il, GGUF_SFX_WEIGHT, ROLE_MATRIX, E, nkv, 1, err);
        if (st == HF_OK) st = take_named(L, &ly->wv, GGUF_TN_ATTN_V, il, GGUF_SFX_WEIGHT, ROLE_MATRIX, E, nkv, 1, err);
        if (st != HF_OK) return st;
    }
    return take_qkv_bias(L, ly, il, err);
}

static hf_status take_layer(loader *L, int64_t il, hf_err *err) {
    rt_layer *ly = &L->m->layers[il];
    hf_status st = take_qkv(L, ly, il, err);
    return st == HF_OK ? take_rows(L, RT_IN_LAYER, ly, il, err) : st;
}

/* n_vocab comes from the key when present, else from token_embd's rows. */
static hf_status take_embeddings(loader *L, hf_err *err) {
    rt_model *m = L->m;
    rt_hparams *hp = &m->hp;
    char name[96];
    gguf_tn_format(name, sizeof name, GGUF_TN_TOKEN_EMBD, -1, GGUF_SFX_WEIGHT);
    const gguf_tensor *te = gguf_find_tensor(m->file, name);
    if (!te) return hf_fail(err, HF_ERR_FORMAT, "%s: missing tensor '%s'", fpath(L), name);
    if (hp->n_vocab < 0) {
        if (te->n_dims != 2 || te->ne[1] <= 0 || te->ne[1] >= MAX_DIM)
            return hf_fail(err, HF_ERR_FORMAT, "%s: tensor '%s' must be 2-D {n_embd, n_vocab}", fpath(L), name);
        hp->n_vocab = te->ne[1];
    }
    hf_status st = take_rows(L, RT_IN_MODEL, m, -1, err);
    if (st != HF_OK) return st;
    if (!m->output.data) {
        m->output = m->tok_embd;
        m->output_tied = 1;
    }
    return HF_OK;
}

static hf_status check_all_used(loader *L, hf_err *err) {
    const int64_t n = gguf_n_tensors(L->m->file);
    if (L->n_used == n) return HF_OK;
    for (int64_t i = 0; i < n; i++) {
        const gguf_tensor *t = gguf_tensor_at(L->m->file, i);
        int found = 0;
        for (int64_t j = 0; j < L->n_used && !found; j++) found = L->used[j] == t;
        if (!found)
            return hf_fail(err, HF_ERR_UNSUPPORTED, "%s: unexpected tensor '%s' (not used by the %s forward pass)",
                           fpath(L), t->name, L->m->arch);
    }
    return hf_fail(err, HF_ERR_FORMAT, "%s: tensor accounting mismatch", fpath(L));
}

hf_status rt_model_from_gguf(rt_model **out, gguf_file *f, hf_err *err) {
    *out = NULL;
    rt_model *m = calloc(1, sizeof *m);
    if (!m) {
        gguf_close(f);
        return hf_fail(err, HF_ERR_NOMEM, "out of memory loading a model");
    }
    m->file = f;
    loader L = {m, NULL, 0};
    hf_status st = read_hparams(&L, err);
    /* Every layer has tensors: refuse a block_count the tensor table cannot back before
     * allocating per-layer state for it. */
    if (st == HF_OK && m->hp.n_layer > gguf_n_tensors(f))
        st = hf_fail(err, HF_ERR_FORMAT, "%s: key '%s.block_count' = %lld, but the file has only %lld tensors",
                     gguf_path(f), m->arch, (long long)m->hp.n_layer, (long long)gguf_n_tensors(f));
    if (st == HF_OK) {
        m->layers = calloc((size_t)m->hp.n_layer, sizeof *m->layers);
        L.used = calloc((size_t)gguf_n_tensors(f) + 1, sizeof *L.used);
        if (!m->layers || !L.used) st = hf_fail(err, HF_ERR_NOMEM, "out of memory loading %s", gguf_path(f));
    }
    if (st == HF_OK) st = take_embeddings(&L, err);
    for (int64_t il = 0; st == HF_OK && il < m->hp.n_layer; il++) st = take_layer(&L, il, err);
    if (st == HF_OK) st = check_all_used(&L, err);
    free(L.used);
    if (st != HF_OK) {
        rt_model_free(m);
        return st;
    }
    *out = m;
    return HF_OK;
}

const char *rt_matrix_place_text(rt_matrix_place p) {
    static const char *const text[] = {
        [RT_MATRICES_NONE] = "none to place",
        [RT_MATRICES_HUGE_PAGES] = "copied into huge pages",
        [RT_MATRICES_COPIED] = "copied into small pages (huge pages refused)",
        [RT_MATRICES_MAPPED_ASKED] = "read through the mapping (as asked)",
        [RT_MATRICES_MAPPED_NO_THP] = "read through the mapping (transparent huge pages off)",
        [RT_MATRICES_MAPPED_MEMORY] = "read through the mapping (a copy would take over half of the available memory)",
    };
    return (unsigned)p < sizeof text / sizeof text[0] && text[p] ? text[p] : "unknown";
}

const char *rt_packed_pages_text(const rt_model *m) {
    return m->packed_huge ? "in huge pages" : "in small pages (transparent huge pages off or refused)";
}

rt_model_params rt_model_default_params(void) { return (rt_model_params){1, RT_COPY_AUTO}; }

hf_status rt_model_load_with(rt_model **out, const char *path, const rt_model_params *p, hf_err *err) {
    *out = NULL;
    gguf_file *f;
    hf_status st = gguf_open(&f, path, err);
    if (st == HF_OK) st = rt_model_from_gguf(out, f, err);
    if (st == HF_OK && p->repack && (st = rt_model_repack(*out, p->copy_matrices, err)) != HF_OK) {
        rt_model_free(*out);
        *out = NULL;
    }
    return st;
}

hf_status rt_model_load(rt_model **out, const char *path, hf_err *err) {
    const rt_model_params p = rt_model_default_params();
    return rt_model_load_with(out, path, &p, err);
}

void rt_model_free(rt_model *m) {
    if (!m) return;
    if (m->layers)
        for (int64_t il = 0; il < m->hp.n_layer; il++) free(m->layers[il].bqkv_owned);
    free(m->layers);
    free(m->packed_mem);
    free(m->copied_mem);
    free(m->matrix_mem);
    gguf_close(m->file);
    free(m);
}
