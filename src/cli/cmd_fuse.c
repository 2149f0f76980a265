/* hf2gguf fuse-qkv / unfuse-qkv: convert an existing GGUF between separate Q/K/V attention
 * tensors and the fused blk.N.attn_qkv layout, copying every KV pair unchanged.
 *
 * Fusing concatenates raw bytes Q||K||V (every ggml block lies inside one row, so this is valid
 * for quantized types too). Tensor order reproduces llama.cpp's converter with --fuse-qkv: it
 * buffers Q, K and V and emits the fused tensor when the last of the three arrives, so the
 * fused tensor takes the place of whichever of the three came last. Unfusing cannot recover
 * that order from the fused file alone; for Llama-naming architectures it re-creates the
 * converter's order (the sort order of the HF checkpoint's tensor names, see HF_NAMES), for
 * others Q, K, V go where the fused tensor was. Semantics: docs/gguf.md. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dtype.h"
#include "cli/cli.h"
#include "gguf/gguf.h"

/* ==== the output plan ==== */

typedef struct slice {
    const uint8_t *p;
    uint64_t n;
} slice;

typedef struct out_tensor {
    char name[64];
    uint32_t type, n_dims;
    int64_t ne[4];
    slice part[3]; /* data, concatenated (unused parts have n == 0) */
    int layer;     /* block id, -1 if none */
    int split;     /* unfuse: a part split off attn_qkv */
    int placed;    /* unfuse: already moved to its final position */
} out_tensor;

typedef struct plan {
    out_tensor *t;
    int64_t n, cap;
} plan;

static out_tensor *plan_insert(plan *p, int64_t at) {
    if (p->n == p->cap) {
        int64_t cap = p->cap ? p->cap * 2 : 256;
        out_tensor *t = realloc(p->t, (size_t)cap * sizeof *t);
        if (!t) return NULL;
        p->t = t;
        p->cap = cap;
    }
    memmove(p->t + at + 1, p->t + at, (size_t)(p->n - at) * sizeof *p->t);
    p->n++;
    memset(&p->t[at], 0, sizeof p->t[at]);
    return &p->t[at];
}

static out_tensor *plan_copy_of(plan *p, const gguf_tensor *t, int layer) {
    out_tensor *o = plan_insert(p, p->n);
    if (!o) return NULL;
    snprintf(o->name, sizeof o->name, "%s", t->name);
    o->type = t->type;
    o->n_dims = t->n_dims;
    memcpy(o->ne, t->ne, sizeof o->ne);
    o->part[0] = (slice){t->data, t->nbytes};
    o->layer = layer;
    return o;
}

/* Writes every KV of src and the planned tensors to path (temp file + rename). */
static int write_plan(const gguf_file *src, const plan *p, const char *path) {
    hf_err err = {0};
    gguf_writer *w = gguf_w_new();
    hf_status s = w ? HF_OK : hf_fail(&err, HF_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; s == HF_OK && i < gguf_n_kv(src); i++) s = gguf_w_add_kv_copy(w, src, gguf_kv_at(src, i), &err);
    for (int64_t i = 0; s == HF_OK && i < p->n; i++)
        s = gguf_w_add_tensor(w, p->t[i].name, p->t[i].type, p->t[i].n_dims, p->t[i].ne, NULL, &err);
    if (s == HF_OK) s = gguf_w_begin(w, path, &err);
    for (int64_t i = 0; s == HF_OK && i < p->n; i++) {
        for (int k = 0; s == HF_OK && k < 3; k++)
            if (p->t[i].part[k].n) s = gguf_w_write_data(w, p->t[i].part[k].p, p->t[i].part[k].n, &err);
        if (s == HF_OK) s = gguf_w_end_tensor(w, &err);
    }
    if (s == HF_OK) s = gguf_w_finish(w, &err);
    gguf_w_free(w);
    if (s != HF_OK) cli_error("%s", err.msg);
    return s == HF_OK ? 0 : 1;
}

/* ==== per-layer Q/K/V lookup ==== */

enum { R_Q, R_K, R_V, R_QKV, R_ROLES };
static const char *const ROLE_NAMES[R_ROLES] = {"attn_q", "attn_k", "attn_v", "attn_qkv"};
enum { S_WEIGHT, S_BIAS, S_SUFFIXES };
static const char *const SUFFIXES[S_SUFFIXES] = {"weight", "bias"};

/* Splits "blk.N.rest" into N and rest; -1 if the name is not a block tensor. Layer numbers
 * are capped so that per-layer tables stay small whatever the file says. */
#define MAX_LAYERS 100000
static int parse_block(const char *name, const char **rest) {
    if (strncmp(name, "blk.", 4)) return -1;
    const char *p = name + 4;
    int layer = 0, digits = 0;
    for (; *p >= '0' && *p <= '9' && digits < 6; p++, digits++) layer = layer * 10 + (*p - '0');
    if (digits == 0 || *p != '.' || layer >= MAX_LAYERS) return -1;
    *rest = p + 1;
    return layer;
}

/* Index into the input file of blk.<layer>.<role>.<suffix>, or -1. */
static int64_t find_index(const gguf_file *f, int layer, int role, int suffix) {
    char name[96];
    snprintf(name, sizeof name, "blk.%d.%s.%s", layer, ROLE_NAMES[role], SUFFIXES[suffix]);
    return gguf_find_tensor_index(f, name);
}

static int max_layer(const gguf_file *f) {
    int m = -1;
    for (int64_t i = 0; i < gguf_n_tensors(f); i++) {
        const char *rest;
        int l = parse_block(gguf_tensor_at(f, i)->name, &rest);
        if (l > m) m = l;
    }
    return m;
}

/* ==== fuse ==== */

typedef struct fuse_layer {
    int64_t idx[S_SUFFIXES][3]; /* input index of Q/K/V weight and bias, -1 if absent */
    int fuse[S_SUFFIXES];       /* fuse weights / biases of this layer */
} fuse_layer;

/* Q, K, V of one kind must share type and row length to be concatenated. */
static int check_fusable(const gguf_file *f, const int64_t idx[3], int suffix) {
    const gguf_tensor *q = gguf_tensor_at(f, idx[0]);
    for (int r = 1; r < 3; r++) {
        const gguf_tensor *t = gguf_tensor_at(f, idx[r]);
        if (t->type != q->type) {
            cli_error("fuse-qkv: %s is %s but %s is %s: Q, K and V must have the same type to be fused", q->name,
                      hf_type_info(q->type)->name, t->name, hf_type_info(t->type)->name);
            return 0;
        }
        int ok = suffix == S_WEIGHT ? t->n_dims == 2 && t->ne[0] == q->ne[0] && q->n_dims == 2 : t->n_dims == 1;
        if (!ok) {
            cli_error("fuse-qkv: %s has ne [%" PRId64 ", %" PRId64 "] (n_dims %u) but %s has ne [%" PRId64 ", %" PRId64
                      "] (n_dims %u): expected %s",
                      q->name, q->ne[0], q->ne[1], q->n_dims, t->name, t->ne[0], t->ne[1], t->n_dims,
                      suffix == S_WEIGHT ? "2-D tensors with the same ne[0]" : "1-D biases");
            return 0;
        }
    }
    return 1;
}

/* Decides which layers fuse, like the converter: all three weights present, and biases either
 * all absent or all present (a layer with some biases is left alone). */
static int plan_fuse_layer(const gguf_file *f, int layer, int fuse_bias, fuse_layer *L, int *skipped) {
    int have[S_SUFFIXES] = {0, 0};
    for (int s = 0; s < S_SUFFIXES; s++)
        for (int r = 0; r < 3; r++) have[s] += (L->idx[s][r] = find_index(f, layer, r, s)) >= 0;
    L->fuse[S_WEIGHT] = L->fuse[S_BIAS] = 0;
    if (have[S_WEIGHT] == 0) return 1;
    if (find_index(f, layer, R_QKV, S_WEIGHT) >= 0) {
        cli_error("fuse-qkv: layer %d has both blk.%d.attn_qkv.weight and separate Q/K/V tensors", layer, layer);
        return 0;
    }
    if (have[S_WEIGHT] < 3 || (have[S_BIAS] != 0 && have[S_BIAS] != 3)) {
        fprintf(stderr, "fuse-qkv: layer %d has %d of 3 Q/K/V weights and %d of 3 biases: left unfused\n", layer,
                have[S_WEIGHT], have[S_BIAS]);
        (*skipped)++;
        return 1;
    }
    if (!check_fusable(f, L->idx[S_WEIGHT], S_WEIGHT)) return 0;
    L->fuse[S_WEIGHT] = 1;
    if (have[S_BIAS] == 3 && fuse_bias) {
        if (!check_fusable(f, L->idx[S_BIAS], S_BIAS)) return 0;
        L->fuse[S_BIAS] = 1;
    }
    return 1;
}

static int64_t max3(const int64_t v[3]) {
    int64_t m = v[0] > v[1] ? v[0] : v[1];
    return m > v[2] ? m : v[2];
}

/* The fused tensor: Q||K||V along the row (ne[1], or ne[0] for biases) dimension. */
static int add_fused(plan *p, const gguf_file *f, int layer, int suffix, const int64_t idx[3]) {
    out_tensor *o = plan_insert(p, p->n);
    if (!o) return 0;
    const gguf_tensor *q = gguf_tensor_at(f, idx[0]);
    int rowdim = suffix == S_WEIGHT ? 1 : 0;
    snprintf(o->name, sizeof o->name, "blk.%d.attn_qkv.%s", layer, SUFFIXES[suffix]);
    o->type = q->type;
    o->n_dims = q->n_dims;
    memcpy(o->ne, q->ne, sizeof o->ne);
    o->ne[rowdim] = 0;
    for (int r = 0; r < 3; r++) {
        const gguf_tensor *t = gguf_tensor_at(f, idx[r]);
        o->ne[rowdim] += t->ne[rowdim];
        o->part[r] = (slice){t->data, t->nbytes};
    }
    o->layer = layer;
    return 1;
}

static int build_fuse_plan(const gguf_file *f, const fuse_layer *layers, int n_layers, plan *p) {
    for (int64_t i = 0; i < gguf_n_tensors(f); i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        const char *rest;
        int layer = parse_block(t->name, &rest);
        int handled = 0;
        for (int s = 0; layer >= 0 && layer < n_layers && s < S_SUFFIXES && !handled; s++) {
            const fuse_layer *L = &layers[layer];
            if (!L->fuse[s] || (L->idx[s][0] != i && L->idx[s][1] != i && L->idx[s][2] != i)) continue;
            handled = 1; /* a fused part: emitted (all three) where the last one stood */
            if (i == max3(L->idx[s]) && !add_fused(p, f, layer, s, L->idx[s])) return 0;
        }
        if (!handled && !plan_copy_of(p, t, layer)) return 0;
    }
    return 1;
}

static void fuse_usage(FILE *out) {
    fputs("usage: hf2gguf fuse-qkv IN.gguf OUT.gguf [--qkv-bias fused|separate]\n"
          "  Concatenates each layer's blk.N.attn_q/k/v.weight (same type, same ne[0]) into\n"
          "  blk.N.attn_qkv.weight (rows Q||K||V). Biases are fused into attn_qkv.bias by default,\n"
          "  or left as attn_q/k/v.bias with --qkv-bias separate. Layers missing any of Q/K/V, or\n"
          "  with only some of the biases, stay unfused. KV pairs are copied unchanged.\n",
          out);
}

/* Shared argument parsing: IN OUT plus, for fuse, --qkv-bias. Returns -1 to continue. */
static int parse_args(int argc, char **argv, void (*usage)(FILE *), int allow_bias, const char **in,
                      const char **out, int *fuse_bias) {
    int np = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (allow_bias && !strcmp(argv[i], "--qkv-bias") && i + 1 < argc) {
            const char *v = argv[++i];
            if (strcmp(v, "fused") && strcmp(v, "separate")) {
                cli_error("%s: --qkv-bias must be 'fused' or 'separate' (found '%s')", argv[0], v);
                return 2;
            }
            *fuse_bias = !strcmp(v, "fused");
        } else if ((argv[i][0] == '-' && argv[i][1]) || np == 2) {
            cli_error("%s: unexpected argument '%s'", argv[0], argv[i]);
            usage(stderr);
            return 2;
        } else {
            (np == 0 ? in : out)[0] = argv[i];
            np++;
        }
    }
    if (np != 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(*in, *out)) {
        cli_error("%s: output must differ from the input ('%s')", argv[0], *in);
        return 2;
    }
    return -1;
}

int cmd_fuse_qkv(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    int fuse_bias = 1;
    int rc = parse_args(argc, argv, fuse_usage, 1, &in, &out, &fuse_bias);
    if (rc >= 0) return rc;
    gguf_file *f;
    hf_err err = {0};
    if (gguf_open(&f, in, &err) != HF_OK) {
        cli_error("%s", err.msg);
        return 1;
    }
    int n_layers = max_layer(f) + 1, skipped = 0, fused = 0;
    fuse_layer *layers = calloc(n_layers > 0 ? (size_t)n_layers : 1, sizeof *layers);
    plan p = {0};
    rc = 0;
    if (!layers) {
        cli_error("fuse-qkv: out of memory");
        rc = 1;
    }
    for (int l = 0; rc == 0 && l < n_layers; l++) {
        if (!plan_fuse_layer(f, l, fuse_bias, &layers[l], &skipped)) rc = 1;
        fused += layers[l].fuse[S_WEIGHT];
    }
    if (rc == 0 && !build_fuse_plan(f, layers, n_layers, &p)) {
        cli_error("fuse-qkv: out of memory");
        rc = 1;
    }
    if (rc == 0) rc = write_plan(f, &p, out);
    if (rc == 0)
        fprintf(stderr, "fuse-qkv: %s -> %s: %d layer(s) fused, %d left unfused\n", in, out, fused, skipped);
    free(p.t);
    free(layers);
    gguf_close(f);
    return rc;
}

/* ==== unfuse ==== */

/* HF checkpoint tensor names (after "model.layers.N.") of the Llama-naming architectures.
 * llama.cpp's converter emits tensors in the checkpoint's order, which for these files is the
 * sorted order of these names; unfuse puts Q, K and V back into that order. To support another
 * architecture with the same names, add it to HF_ORDER_ARCHS. */
static const struct {
    const char *gguf, *hf;
} HF_NAMES[] = {
    {"attn_norm", "input_layernorm"},      {"ffn_norm", "post_attention_layernorm"},
    {"ffn_down", "mlp.down_proj"},         {"ffn_gate", "mlp.gate_proj"},
    {"ffn_up", "mlp.up_proj"},             {"attn_q", "self_attn.q_proj"},
    {"attn_k", "self_attn.k_proj"},        {"attn_v", "self_attn.v_proj"},
    {"attn_output", "self_attn.o_proj"},   {"attn_q_norm", "self_attn.q_norm"},
    {"attn_k_norm", "self_attn.k_norm"},
};
static const char *const HF_ORDER_ARCHS[] = {"llama", "qwen2", "qwen3"};

/* "self_attn.q_proj.weight" for "blk.3.attn_q.weight"; 0 if unknown. */
static int hf_key(const char *gguf_name, char *out, size_t n) {
    const char *rest;
    if (parse_block(gguf_name, &rest) < 0) return 0;
    const char *dot = strrchr(rest, '.');
    if (!dot) return 0;
    for (size_t i = 0; i < sizeof HF_NAMES / sizeof HF_NAMES[0]; i++)
        if (strlen(HF_NAMES[i].gguf) == (size_t)(dot - rest) && !strncmp(rest, HF_NAMES[i].gguf, (size_t)(dot - rest))) {
            snprintf(out, n, "%s%s", HF_NAMES[i].hf, dot);
            return 1;
        }
    return 0;
}

static int uses_hf_order(const gguf_file *f) {
    gguf_str arch;
    hf_err err;
    if (gguf_get_str(f, "general.architecture", &arch, &err) != HF_OK) return 0;
    for (size_t i = 0; i < sizeof HF_ORDER_ARCHS / sizeof HF_ORDER_ARCHS[0]; i++)
        if (strlen(HF_ORDER_ARCHS[i]) == arch.len && !memcmp(HF_ORDER_ARCHS[i], arch.ptr, arch.len)) return 1;
    return 0;
}

/* Where a split-off tensor goes: before the first tensor of its layer whose HF name sorts
 * after it, else after the layer's last tensor; `fallback` if any name there is unknown. */
static int64_t hf_position(const plan *p, const char *name, int layer, int64_t fallback) {
    char key[96], other[96];
    if (!hf_key(name, key, sizeof key)) return fallback;
    int64_t before = -1, last = -1;
    for (int64_t i = 0; i < p->n; i++) {
        if (p->t[i].layer != layer) continue;
        if (!hf_key(p->t[i].name, other, sizeof other)) return fallback;
        if (before < 0 && strcmp(other, key) > 0) before = i;
        last = i;
    }
    return before >= 0 ? before : last >= 0 ? last + 1 : fallback;
}

/* Per-layer value of an hparam that may be a scalar or a per-layer array. */
static int layer_hparam(const gguf_file *f, const char *arch, const char *name, int layer, uint64_t dflt,
                        uint64_t *out) {
    char key[160];
    snprintf(key, sizeof key, "%s.%s", arch, name);
    const gguf_kv *kv = gguf_find_kv(f, key);
    if (!kv) {
        *out = dflt;
        return dflt != 0;
    }
    double v = kv->type == GGUF_T_ARRAY ? ((uint64_t)layer < kv->n ? gguf_arr_num(kv, (uint64_t)layer) : -1)
                                        : gguf_kv_num(kv);
    if (!(v >= 1 && v <= 1e9)) return 0; /* keeps every product below 2^64 */
    *out = (uint64_t)v;
    return 1;
}

/* Rows of Q, K, V for a layer from the {arch}.attention.* hparams. */
static int qkv_rows(const gguf_file *f, int layer, uint64_t rows[3]) {
    gguf_str a;
    hf_err err;
    char arch[64];
    if (gguf_get_str(f, "general.architecture", &a, &err) != HF_OK || a.len >= sizeof arch) {
        cli_error("unfuse-qkv: %s: %s", gguf_path(f), "missing or bad general.architecture");
        return 0;
    }
    memcpy(arch, a.ptr, a.len);
    arch[a.len] = 0;
    uint64_t n_embd, n_head, n_head_kv, hd_k, hd_v;
    if (!layer_hparam(f, arch, "embedding_length", layer, 0, &n_embd) ||
        !layer_hparam(f, arch, "attention.head_count", layer, 0, &n_head)) {
        cli_error("unfuse-qkv: %s: needs %s.embedding_length and %s.attention.head_count (missing or invalid)",
                  gguf_path(f), arch, arch);
        return 0;
    }
    if (!layer_hparam(f, arch, "attention.head_count_kv", layer, n_head, &n_head_kv) ||
        !layer_hparam(f, arch, "attention.key_length", layer, n_embd / n_head, &hd_k) ||
        !layer_hparam(f, arch, "attention.value_length", layer, n_embd / n_head, &hd_v)) {
        cli_error("unfuse-qkv: %s: invalid %s.attention head count/length hparams", gguf_path(f), arch);
        return 0;
    }
    rows[0] = n_head * hd_k;
    rows[1] = n_head_kv * hd_k;
    rows[2] = n_head_kv * hd_v;
    return 1;
}

/* Appends Q, K, V split from blk.L.attn_qkv.<suffix>, in that order. */
static int split_fused(plan *p, const gguf_file *f, const gguf_tensor *t, int layer, int suffix) {
    uint64_t rows[3];
    if (!qkv_rows(f, layer, rows)) return 0;
    int rowdim = suffix == S_WEIGHT ? 1 : 0;
    uint64_t total = rows[0] + rows[1] + rows[2];
    if ((uint64_t)t->ne[rowdim] != total || (suffix == S_WEIGHT ? t->n_dims != 2 : t->n_dims != 1)) {
        cli_error("unfuse-qkv: %s: ne[%d] is %" PRId64 " (n_dims %u) but the hparams give Q+K+V = %" PRIu64 "+%" PRIu64
                  "+%" PRIu64 " = %" PRIu64 " rows",
                  t->name, rowdim, t->ne[rowdim], t->n_dims, rows[0], rows[1], rows[2], total);
        return 0;
    }
    uint64_t unit = suffix == S_WEIGHT ? hf_row_size(t->type, t->ne[0]) : 0, off = 0;
    for (int r = 0; r < 3; r++) {
        uint64_t bytes = suffix == S_WEIGHT ? rows[r] * unit : hf_row_size(t->type, (int64_t)rows[r]);
        if (bytes == 0 && rows[r] != 0) {
            cli_error("unfuse-qkv: %s: %" PRIu64 " elements cannot be split from a %s bias", t->name, rows[r],
                      hf_type_info(t->type)->name);
            return 0;
        }
        out_tensor *o = plan_insert(p, p->n);
        if (!o) return 0;
        snprintf(o->name, sizeof o->name, "blk.%d.%s.%s", layer, ROLE_NAMES[r], SUFFIXES[suffix]);
        o->type = t->type;
        o->n_dims = t->n_dims;
        memcpy(o->ne, t->ne, sizeof o->ne);
        o->ne[rowdim] = (int64_t)rows[r];
        o->part[0] = (slice){t->data + off, bytes};
        o->layer = layer;
        o->split = 1;
        off += bytes;
    }
    return 1;
}

/* Moves every split-off tensor to its place in the converter's order (see HF_NAMES). Each
 * move sees the rest of its layer, split parts included, so the layer ends up sorted. */
static void reorder_split(plan *p) {
    for (int64_t i = 0; i < p->n; i++) {
        if (!p->t[i].split || p->t[i].placed) continue;
        out_tensor moving = p->t[i];
        memmove(p->t + i, p->t + i + 1, (size_t)(p->n - i - 1) * sizeof *p->t);
        p->n--;
        int64_t pos = hf_position(p, moving.name, moving.layer, i);
        out_tensor *o = plan_insert(p, pos); /* cannot fail: the slot was just freed */
        *o = moving;
        o->placed = 1;
        i = -1; /* positions shifted: rescan for the next unplaced part */
    }
}

static void unfuse_usage(FILE *out) {
    fputs("usage: hf2gguf unfuse-qkv IN.gguf OUT.gguf\n"
          "  Splits each blk.N.attn_qkv.weight (and attn_qkv.bias) into attn_q/k/v using the\n"
          "  {arch}.attention.head_count / head_count_kv / key_length / value_length and\n"
          "  {arch}.embedding_length hparams. KV pairs are copied unchanged.\n",
          out);
}

int cmd_unfuse_qkv(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    int unused = 0;
    int rc = parse_args(argc, argv, unfuse_usage, 0, &in, &out, &unused);
    if (rc >= 0) return rc;
    gguf_file *f;
    hf_err err = {0};
    if (gguf_open(&f, in, &err) != HF_OK) {
        cli_error("%s", err.msg);
        return 1;
    }
    int hf_order = uses_hf_order(f), n_split = 0;
    plan p = {0};
    rc = 0;
    for (int64_t i = 0; rc == 0 && i < gguf_n_tensors(f); i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        const char *rest = "";
        int layer = parse_block(t->name, &rest);
        int suffix = layer < 0                          ? -1
                     : !strcmp(rest, "attn_qkv.weight") ? S_WEIGHT
                     : !strcmp(rest, "attn_qkv.bias")   ? S_BIAS
                                                        : -1;
        if (suffix < 0) {
            if (!plan_copy_of(&p, t, layer)) rc = 1;
            continue;
        }
        for (int r = 0; r < 3; r++)
            if (find_index(f, layer, r, suffix) >= 0) {
                cli_error("unfuse-qkv: %s exists beside blk.%d.%s.%s", t->name, layer, ROLE_NAMES[r], SUFFIXES[suffix]);
                rc = 1;
            }
        if (rc == 0 && !split_fused(&p, f, t, layer, suffix)) rc = 1;
        n_split += suffix == S_WEIGHT;
    }
    if (rc == 0 && hf_order) reorder_split(&p);
    if (rc == 0) rc = write_plan(f, &p, out);
    if (rc == 0) fprintf(stderr, "unfuse-qkv: %s -> %s: %d layer(s) split\n", in, out, n_split);
    free(p.t);
    gguf_close(f);
    return rc;
}
