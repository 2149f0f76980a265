/* rt_fixture: writes small random Llama-shaped GGUF models for the runtime
 * tests, with the gguf writer (no files from outside the repository).
 *
 * Every tensor's float values come from a generator seeded by (spec seed,
 * tensor name), so the same logical weights appear in every QKV layout: the
 * fused attn_qkv.weight is the row concatenation Q||K||V of exactly the
 * values the separate layout writes, and attn_qkv.bias likewise. Matrices
 * are converted with q_from_f32 row by row, so a fused Q8_0 tensor is the
 * byte concatenation of the separate ones (blocks are row-local).
 *
 * Fault injection (skip/retype/reshape/extra/arch) makes the bad-input files.
 * Header-only (static functions) because CMake links each test with
 * testutil.c only; include it from one translation unit per test. */
#pragma once

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dtype.h"
#include "gguf/gguf.h"
#include "quant/quant.h"
#include "testutil.h"

typedef enum fx_layout {
    FX_SEPARATE = 0,       /* attn_q/k/v.weight (+ attn_q/k/v.bias) */
    FX_FUSED = 1,          /* attn_qkv.weight (+ attn_qkv.bias) */
    FX_FUSED_SEP_BIAS = 2, /* attn_qkv.weight + attn_q/k/v.bias */
} fx_layout;

typedef struct fx_spec {
    const char *arch;      /* "llama" unless set */
    uint32_t wtype;        /* type of every matrix (token_embd and output included) */
    fx_layout layout;
    int biases;            /* Q/K/V biases */
    int untied;            /* write output.weight (a copy of token_embd's values) */
    int64_t n_vocab, n_embd, n_layer, n_head, n_head_kv, n_ff, n_ctx;
    uint64_t seed;
    /* fault injection */
    const char *skip;          /* omit this tensor */
    const char *retype;        /* write this tensor with retype_to */
    uint32_t retype_to;
    const char *reshape;       /* write this tensor with one row more (1-D: one element more) */
    int extra;                 /* add an unused tensor "blk.0.extra.weight" */
    const char *skip_key;      /* omit this KV key */
    int64_t claim_layers;      /* nonzero: write this block_count (the tensors stay n_layer's) */
} fx_spec;

static fx_spec fx_default(uint32_t wtype, fx_layout layout, int biases) {
    fx_spec s = {0};
    s.arch = "llama";
    s.wtype = wtype;
    s.layout = layout;
    s.biases = biases;
    s.n_vocab = 80;
    s.n_embd = 64;
    s.n_layer = 2;
    s.n_head = 4;
    s.n_head_kv = 2;
    s.n_ff = 96;
    s.n_ctx = 64;
    s.seed = 1234;
    return s;
}

typedef struct fx_tensor {
    char name[64];
    uint32_t type;
    uint32_t n_dims;
    int64_t ne[2];
    float *data; /* ne0*ne1 floats */
} fx_tensor;

typedef struct fx_list {
    fx_tensor t[64 * 16];
    int n;
} fx_list;

static uint64_t fx_mix(uint64_t z) {
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform values in center +- spread, from (seed, name). */
static float *fx_values(uint64_t seed, const char *name, int64_t n, float center, float spread) {
    uint64_t st = seed;
    for (const char *p = name; *p; p++) st = fx_mix(st ^ (uint8_t)*p);
    float *v = malloc((size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++) {
        st = fx_mix(st);
        v[i] = center + spread * (float)((double)(st >> 11) * 0x1p-53 * 2.0 - 1.0);
    }
    return v;
}

static void fx_push(fx_list *L, const fx_spec *s, const char *name, uint32_t type, uint32_t n_dims, int64_t ne0,
                    int64_t ne1, float *data) {
    if (s->skip && !strcmp(s->skip, name)) {
        free(data);
        return;
    }
    fx_tensor *t = &L->t[L->n++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->type = type;
    t->n_dims = n_dims;
    t->ne[0] = ne0;
    t->ne[1] = n_dims == 2 ? ne1 : 1;
    t->data = data;
    if (s->retype && !strcmp(s->retype, name)) t->type = s->retype_to;
    if (s->reshape && !strcmp(s->reshape, name)) {
        const int64_t n_old = t->ne[0] * t->ne[1];
        if (n_dims == 2) t->ne[1]++;
        else t->ne[0]++;
        t->data = realloc(t->data, (size_t)(t->ne[0] * t->ne[1]) * sizeof(float));
        for (int64_t i = n_old; i < t->ne[0] * t->ne[1]; i++) t->data[i] = 0.5f;
    }
}

static float *fx_concat3(float *a, int64_t na, float *b, int64_t nb, float *c, int64_t nc) {
    float *r = malloc((size_t)(na + nb + nc) * sizeof(float));
    memcpy(r, a, (size_t)na * sizeof(float));
    memcpy(r + na, b, (size_t)nb * sizeof(float));
    memcpy(r + na + nb, c, (size_t)nc * sizeof(float));
    free(a);
    free(b);
    free(c);
    return r;
}

/* Sets name before the values are drawn from it (argument evaluation order
 * is unspecified, so never do both in one call). */
static void fx_name(char name[64], int64_t il, const char *suffix) {
    snprintf(name, 64, "blk.%lld.%s", (long long)il, suffix);
}

static void fx_layer(fx_list *L, const fx_spec *s, int64_t il) {
    const int64_t E = s->n_embd, hd = s->n_embd / s->n_head, nq = s->n_head * hd, nkv = s->n_head_kv * hd;
    const float ws = 1.0f / sqrtf((float)E);
    char nm[6][64];
    const char *kinds[6] = {"attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_q.bias", "attn_k.bias",
                            "attn_v.bias"};
    for (int i = 0; i < 6; i++) snprintf(nm[i], 64, "blk.%lld.%s", (long long)il, kinds[i]);
    char name[64];
    fx_name(name, il, "attn_norm.weight");
    fx_push(L, s, name, HF_TYPE_F32, 1, E, 1, fx_values(s->seed, name, E, 1.0f, 0.2f));
    float *wq = fx_values(s->seed, nm[0], E * nq, 0.0f, ws);
    float *wk = fx_values(s->seed, nm[1], E * nkv, 0.0f, ws);
    float *wv = fx_values(s->seed, nm[2], E * nkv, 0.0f, ws);
    if (s->layout == FX_SEPARATE) {
        fx_push(L, s, nm[0], s->wtype, 2, E, nq, wq);
        fx_push(L, s, nm[1], s->wtype, 2, E, nkv, wk);
        fx_push(L, s, nm[2], s->wtype, 2, E, nkv, wv);
    } else {
        fx_name(name, il, "attn_qkv.weight");
        fx_push(L, s, name, s->wtype, 2, E, nq + 2 * nkv,
                fx_concat3(wq, E * nq, wk, E * nkv, wv, E * nkv));
    }
    if (s->biases) {
        float *bq = fx_values(s->seed, nm[3], nq, 0.0f, 0.3f);
        float *bk = fx_values(s->seed, nm[4], nkv, 0.0f, 0.3f);
        float *bv = fx_values(s->seed, nm[5], nkv, 0.0f, 0.3f);
        if (s->layout == FX_FUSED) {
            fx_name(name, il, "attn_qkv.bias");
            fx_push(L, s, name, HF_TYPE_F32, 1, nq + 2 * nkv, 1,
                    fx_concat3(bq, nq, bk, nkv, bv, nkv));
        } else {
            fx_push(L, s, nm[3], HF_TYPE_F32, 1, nq, 1, bq);
            fx_push(L, s, nm[4], HF_TYPE_F32, 1, nkv, 1, bk);
            fx_push(L, s, nm[5], HF_TYPE_F32, 1, nkv, 1, bv);
        }
    }
    fx_name(name, il, "attn_output.weight");
    fx_push(L, s, name, s->wtype, 2, nq, E, fx_values(s->seed, name, nq * E, 0.0f, ws));
    fx_name(name, il, "ffn_norm.weight");
    fx_push(L, s, name, HF_TYPE_F32, 1, E, 1, fx_values(s->seed, name, E, 1.0f, 0.2f));
    fx_name(name, il, "ffn_gate.weight");
    fx_push(L, s, name, s->wtype, 2, E, s->n_ff, fx_values(s->seed, name, E * s->n_ff, 0.0f, ws));
    fx_name(name, il, "ffn_up.weight");
    fx_push(L, s, name, s->wtype, 2, E, s->n_ff, fx_values(s->seed, name, E * s->n_ff, 0.0f, ws));
    fx_name(name, il, "ffn_down.weight");
    fx_push(L, s, name, s->wtype, 2, s->n_ff, E,
            fx_values(s->seed, name, s->n_ff * E, 0.0f, 1.0f / sqrtf((float)s->n_ff)));
}

static void fx_tensors(fx_list *L, const fx_spec *s) {
    L->n = 0;
    const int64_t E = s->n_embd, V = s->n_vocab;
    fx_push(L, s, "token_embd.weight", s->wtype, 2, E, V, fx_values(s->seed, "token_embd.weight", E * V, 0.0f, 1.0f));
    for (int64_t il = 0; il < s->n_layer; il++) fx_layer(L, s, il);
    fx_push(L, s, "output_norm.weight", HF_TYPE_F32, 1, E, 1, fx_values(s->seed, "output_norm.weight", E, 1.0f, 0.2f));
    if (s->untied) /* same values as token_embd: logits must equal the tied file's */
        fx_push(L, s, "output.weight", s->wtype, 2, E, V, fx_values(s->seed, "token_embd.weight", E * V, 0.0f, 1.0f));
    if (s->extra) fx_push(L, s, "blk.0.extra.weight", HF_TYPE_F32, 1, E, 1, fx_values(s->seed, "extra", E, 0.0f, 1.0f));
}

/* A small SentencePiece-style vocabulary: <unk> <s> </s>, "▁", letters,
 * "▁"+letter, then filler pieces. */
static int fx_vocab(gguf_writer *w, const fx_spec *s, hf_err *err) {
    const int64_t V = s->n_vocab;
    char **toks = calloc((size_t)V, sizeof *toks);
    float *scores = calloc((size_t)V, sizeof *scores);
    int32_t *types = calloc((size_t)V, sizeof *types);
    for (int64_t i = 0; i < V; i++) {
        char buf[32];
        if (i == 0) snprintf(buf, sizeof buf, "<unk>");
        else if (i == 1) snprintf(buf, sizeof buf, "<s>");
        else if (i == 2) snprintf(buf, sizeof buf, "</s>");
        else if (i == 3) snprintf(buf, sizeof buf, "\xe2\x96\x81");
        else if (i < 4 + 26) snprintf(buf, sizeof buf, "%c", (char)('a' + i - 4));
        else if (i < 4 + 52) snprintf(buf, sizeof buf, "\xe2\x96\x81%c", (char)('a' + i - 30));
        else snprintf(buf, sizeof buf, "zz%lld", (long long)i);
        toks[i] = strdup(buf);
        scores[i] = -(float)i;
        types[i] = i == 0 ? 2 : (i < 3 ? 3 : 1);
    }
    hf_status st = gguf_w_add_str(w, "tokenizer.ggml.model", "llama", err);
    if (!st) st = gguf_w_add_arr_str(w, "tokenizer.ggml.tokens", (const char *const *)toks, NULL, (uint64_t)V, err);
    if (!st) st = gguf_w_add_arr(w, "tokenizer.ggml.scores", GGUF_T_FLOAT32, scores, (uint64_t)V, err);
    if (!st) st = gguf_w_add_arr(w, "tokenizer.ggml.token_type", GGUF_T_INT32, types, (uint64_t)V, err);
    if (!st) st = gguf_w_add_u32(w, "tokenizer.ggml.bos_token_id", 1, err);
    if (!st) st = gguf_w_add_u32(w, "tokenizer.ggml.eos_token_id", 2, err);
    for (int64_t i = 0; i < V; i++) free(toks[i]);
    free(toks);
    free(scores);
    free(types);
    return st;
}

static hf_status fx_add_u32(gguf_writer *w, const fx_spec *s, const char *suffix, uint32_t v, hf_err *err) {
    char key[128];
    snprintf(key, sizeof key, "%s.%s", s->arch, suffix);
    if (s->skip_key && !strcmp(s->skip_key, key)) return HF_OK;
    return gguf_w_add_u32(w, key, v, err);
}

static hf_status fx_kv(gguf_writer *w, const fx_spec *s, hf_err *err) {
    char key[128];
    hf_status st = gguf_w_add_str(w, "general.architecture", s->arch, err);
    if (!st) st = fx_add_u32(w, s, "block_count", (uint32_t)(s->claim_layers ? s->claim_layers : s->n_layer), err);
    if (!st) st = fx_add_u32(w, s, "context_length", (uint32_t)s->n_ctx, err);
    if (!st) st = fx_add_u32(w, s, "embedding_length", (uint32_t)s->n_embd, err);
    if (!st) st = fx_add_u32(w, s, "feed_forward_length", (uint32_t)s->n_ff, err);
    if (!st) st = fx_add_u32(w, s, "attention.head_count", (uint32_t)s->n_head, err);
    if (!st) st = fx_add_u32(w, s, "attention.head_count_kv", (uint32_t)s->n_head_kv, err);
    snprintf(key, sizeof key, "%s.attention.layer_norm_rms_epsilon", s->arch);
    if (!st && !(s->skip_key && !strcmp(s->skip_key, key))) st = gguf_w_add_f32(w, key, 1e-5f, err);
    snprintf(key, sizeof key, "%s.rope.freq_base", s->arch);
    if (!st) st = gguf_w_add_f32(w, key, 10000.0f, err);
    if (!st) st = fx_vocab(w, s, err);
    return st;
}

/* Writes data of t as its type (unsupported types: zero bytes of the right size). */
static hf_status fx_write_data(gguf_writer *w, const fx_tensor *t, hf_err *err) {
    const size_t row = (size_t)hf_row_size(t->type, t->ne[0]);
    uint8_t *buf = calloc(1, row);
    hf_status st = HF_OK;
    for (int64_t r = 0; st == HF_OK && r < t->ne[1]; r++) {
        if (q_type_supported(t->type)) q_from_f32(t->type, t->data + r * t->ne[0], buf, t->ne[0]);
        st = gguf_w_write_data(w, buf, row, err);
    }
    free(buf);
    return st == HF_OK ? gguf_w_end_tensor(w, err) : st;
}

/* Writes the model described by s to path. */
static hf_status fx_write(const char *path, const fx_spec *s, hf_err *err) {
    fx_list *L = calloc(1, sizeof *L);
    fx_tensors(L, s);
    gguf_writer *w = gguf_w_new();
    hf_status st = fx_kv(w, s, err);
    for (int i = 0; st == HF_OK && i < L->n; i++)
        st = gguf_w_add_tensor(w, L->t[i].name, L->t[i].type, L->t[i].n_dims, L->t[i].ne, NULL, err);
    if (st == HF_OK) st = gguf_w_begin(w, path, err);
    for (int i = 0; st == HF_OK && i < L->n; i++) st = fx_write_data(w, &L->t[i], err);
    if (st == HF_OK) st = gguf_w_finish(w, err);
    gguf_w_free(w);
    for (int i = 0; i < L->n; i++) free(L->t[i].data);
    free(L);
    return st;
}

/* ==== Test-group plumbing shared by the runtime tests ==== */

static char *fx_dir; /* the group's temp directory */

static int fx_setup(void **state) {
    (void)state;
    fx_dir = tu_tmpdir();
    return fx_dir ? 0 : -1;
}

static int fx_teardown(void **state) {
    (void)state;
    tu_rmrf(fx_dir);
    free(fx_dir);
    return 0;
}

/* Writes s as <fx_dir>/<name>; fails the test on error. */
static const char *fx_write_tmp(const fx_spec *s, const char *name) {
    const char *path = tu_path(fx_dir, name);
    hf_err err = {0};
    if (fx_write(path, s, &err) != HF_OK) fail_msg("fixture %s: %s", name, err.msg);
    return path;
}
