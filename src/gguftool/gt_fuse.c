/* gguftool fuse/unfuse: convert an existing GGUF between separate Q/K/V attention tensors and
 * the fused blk.N.attn_qkv layout, copying every KV pair unchanged (contract: gt.h).
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
#include "gguf/gguf.h"
#include "gguftool/gt.h"

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

static hf_status no_memory(const char *op, const gguf_file *f, hf_err *err) {
    return hf_fail(err, HF_ERR_NOMEM, "%s: %s: out of memory", op, gguf_path(f));
}

/* Copies the KV pairs of src. alignment 0 copies them all unchanged (the input's layout).
 * Otherwise general.alignment becomes `alignment`: the input's key gets the new value in its
 * place, or, if the input has none, the key goes right after general.architecture (first when
 * that is missing too), where convert --alignment writes it; at GGUF's default 32 the key is
 * left out, as convert does. The writer pads with the value of the key it is given. */
static hf_status copy_kvs(gguf_writer *w, const gguf_file *src, uint32_t alignment, hf_err *err) {
    static const char KEY[] = "general.alignment";
    const int64_t n = gguf_n_kv(src);
    int64_t own = -1, arch = -1;
    for (int64_t i = 0; i < n; i++) {
        const char *k = gguf_kv_at(src, i)->key;
        if (!strcmp(k, KEY)) own = i;
        else if (!strcmp(k, "general.architecture")) arch = i;
    }
    const int64_t slot = own >= 0 ? own : arch >= 0 ? arch + 1 : 0; /* the new key goes before KV `slot` */
    hf_status s = HF_OK;
    for (int64_t i = 0; s == HF_OK && i <= n; i++) {
        if (alignment && alignment != GGUF_DEFAULT_ALIGNMENT && i == slot) s = gguf_w_add_u32(w, KEY, alignment, err);
        if (s == HF_OK && i < n && !(alignment && i == own)) s = gguf_w_add_kv_copy(w, src, gguf_kv_at(src, i), err);
    }
    return s;
}

/* Writes the KVs of src (see copy_kvs) and the planned tensors to path (temp file + rename). */
static hf_status write_plan(const gguf_file *src, const plan *p, uint32_t alignment, const char *path, hf_err *err) {
    gguf_writer *w = gguf_w_new();
    hf_status s = w ? copy_kvs(w, src, alignment, err) : hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", path);
    for (int64_t i = 0; s == HF_OK && i < p->n; i++)
        s = gguf_w_add_tensor(w, p->t[i].name, p->t[i].type, p->t[i].n_dims, p->t[i].ne, NULL, err);
    if (s == HF_OK) s = gguf_w_begin(w, path, err);
    for (int64_t i = 0; s == HF_OK && i < p->n; i++) {
        for (int k = 0; s == HF_OK && k < 3; k++)
            if (p->t[i].part[k].n) s = gguf_w_write_data(w, p->t[i].part[k].p, p->t[i].part[k].n, err);
        if (s == HF_OK) s = gguf_w_end_tensor(w, err);
    }
    if (s == HF_OK) s = gguf_w_finish(w, err);
    gguf_w_free(w);
    return s;
}

/* ==== per-layer Q/K/V lookup ==== */

enum { R_Q, R_K, R_V, R_QKV, R_ROLES };
static const gguf_tn ROLE_TN[R_ROLES] = {GGUF_TN_ATTN_Q, GGUF_TN_ATTN_K, GGUF_TN_ATTN_V, GGUF_TN_ATTN_QKV};
enum { S_WEIGHT = GGUF_SFX_WEIGHT, S_BIAS = GGUF_SFX_BIAS, S_SUFFIXES };

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
    return gguf_find_tensor_index(f, gguf_tn_format(name, sizeof name, ROLE_TN[role], layer, (gguf_sfx)suffix));
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
static hf_status check_fusable(const gguf_file *f, const int64_t idx[3], int suffix, hf_err *err) {
    const gguf_tensor *q = gguf_tensor_at(f, idx[0]);
    for (int r = 1; r < 3; r++) {
        const gguf_tensor *t = gguf_tensor_at(f, idx[r]);
        if (t->type != q->type)
            return hf_fail(err, HF_ERR_UNSUPPORTED,
                           "fuse-qkv: %s: %s is %s but %s is %s: Q, K and V must have the same type to be fused",
                           gguf_path(f), q->name, hf_type_info(q->type)->name, t->name, hf_type_info(t->type)->name);
        int ok = suffix == S_WEIGHT ? t->n_dims == 2 && t->ne[0] == q->ne[0] && q->n_dims == 2 : t->n_dims == 1;
        if (!ok)
            return hf_fail(err, HF_ERR_FORMAT,
                           "fuse-qkv: %s: %s has ne [%" PRId64 ", %" PRId64 "] (n_dims %u) but %s has ne [%" PRId64
                           ", %" PRId64 "] (n_dims %u): expected %s",
                           gguf_path(f), q->name, q->ne[0], q->ne[1], q->n_dims, t->name, t->ne[0], t->ne[1],
                           t->n_dims, suffix == S_WEIGHT ? "2-D tensors with the same ne[0]" : "1-D biases");
    }
    return HF_OK;
}

static int note_skipped(gt_fuse_report *r, int layer, int n_weights, int n_biases) {
    gt_skipped_layer *s = realloc(r->skipped, ((size_t)r->n_skipped + 1) * sizeof *s);
    if (!s) return 0;
    r->skipped = s;
    s[r->n_skipped++] = (gt_skipped_layer){layer, n_weights, n_biases};
    return 1;
}

/* Decides which layers fuse, like the converter: all three weights present, and biases either
 * all absent or all present (a layer with some biases is left alone, and noted in report). */
static hf_status plan_fuse_layer(const gguf_file *f, int layer, gguf_qkv_bias mode, fuse_layer *L, gt_fuse_report *report,
                                 hf_err *err) {
    int have[S_SUFFIXES] = {0, 0};
    for (int s = 0; s < S_SUFFIXES; s++)
        for (int r = 0; r < 3; r++) have[s] += (L->idx[s][r] = find_index(f, layer, r, s)) >= 0;
    L->fuse[S_WEIGHT] = L->fuse[S_BIAS] = 0;
    if (have[S_WEIGHT] == 0) return HF_OK;
    if (find_index(f, layer, R_QKV, S_WEIGHT) >= 0)
        return hf_fail(err, HF_ERR_FORMAT, "fuse-qkv: %s: layer %d has both blk.%d.attn_qkv.weight and separate Q/K/V tensors",
                       gguf_path(f), layer, layer);
    gguf_qkv_decision d = gguf_qkv_decide(have[S_WEIGHT], have[S_BIAS], mode);
    if (!d.fuse_weights)
        return note_skipped(report, layer, have[S_WEIGHT], have[S_BIAS]) ? HF_OK : no_memory("fuse-qkv", f, err);
    hf_status s = check_fusable(f, L->idx[S_WEIGHT], S_WEIGHT, err);
    if (s != HF_OK) return s;
    L->fuse[S_WEIGHT] = 1;
    if (d.fuse_biases) {
        if ((s = check_fusable(f, L->idx[S_BIAS], S_BIAS, err)) != HF_OK) return s;
        L->fuse[S_BIAS] = 1;
    }
    return HF_OK;
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
    gguf_tn_format(o->name, sizeof o->name, GGUF_TN_ATTN_QKV, layer, (gguf_sfx)suffix);
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

/* Returns 0 only when out of memory. */
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

static hf_status fuse_file(const gguf_file *f, const char *out_path, const gt_fuse_opts *o, gt_fuse_report *report,
                           hf_err *err) {
    int n_layers = max_layer(f) + 1;
    fuse_layer *layers = calloc(n_layers > 0 ? (size_t)n_layers : 1, sizeof *layers);
    plan p = {0};
    hf_status s = layers ? HF_OK : no_memory("fuse-qkv", f, err);
    for (int l = 0; s == HF_OK && l < n_layers; l++) {
        s = plan_fuse_layer(f, l, o->qkv_bias, &layers[l], report, err);
        report->n_fused += layers[l].fuse[S_WEIGHT];
    }
    if (s == HF_OK && !build_fuse_plan(f, layers, n_layers, &p)) s = no_memory("fuse-qkv", f, err);
    if (s == HF_OK) s = write_plan(f, &p, o->alignment, out_path, err);
    free(p.t);
    free(layers);
    return s;
}

/* The common frame of both directions: report reset, paths checked, input opened/closed. */
typedef hf_status (*qkv_op)(const gguf_file *f, const char *out_path, const gt_fuse_opts *o, gt_fuse_report *report,
                            hf_err *err);

static hf_status run_on_file(const char *op_name, qkv_op op, const char *in_path, const char *out_path,
                             const gt_fuse_opts *opts, gt_fuse_report *report, hf_err *err) {
    const gt_fuse_opts defaults = {.qkv_bias = GGUF_QKV_BIAS_FUSED, .alignment = 0};
    if (!opts) opts = &defaults;
    gt_fuse_report local;
    if (!report) report = &local;
    memset(report, 0, sizeof *report);
    hf_status s;
    if (!strcmp(in_path, out_path)) {
        /* the writer would rename over the file still mapped for reading */
        s = hf_fail(err, HF_ERR_ARG, "%s: output must differ from the input ('%s')", op_name, in_path);
    } else {
        gguf_file *f;
        s = gguf_open(&f, in_path, err);
        if (s == HF_OK) {
            s = op(f, out_path, opts, report, err);
            gguf_close(f);
        }
    }
    if (report == &local) gt_fuse_report_free(&local);
    return s;
}

hf_status gt_fuse_qkv(const char *in_path, const char *out_path, const gt_fuse_opts *opts, gt_fuse_report *report,
                      hf_err *err) {
    return run_on_file("fuse-qkv", fuse_file, in_path, out_path, opts, report, err);
}

void gt_fuse_report_free(gt_fuse_report *report) {
    if (!report) return;
    free(report->skipped);
    memset(report, 0, sizeof *report);
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
static hf_status qkv_rows(const gguf_file *f, int layer, uint64_t rows[3], hf_err *err) {
    gguf_str a;
    hf_err ignored;
    char arch[64];
    if (gguf_get_str(f, "general.architecture", &a, &ignored) != HF_OK || a.len >= sizeof arch)
        return hf_fail(err, HF_ERR_FORMAT, "unfuse-qkv: %s: %s", gguf_path(f), "missing or bad general.architecture");
    memcpy(arch, a.ptr, a.len);
    arch[a.len] = 0;
    uint64_t n_embd, n_head, n_head_kv, hd_k, hd_v;
    if (!layer_hparam(f, arch, "embedding_length", layer, 0, &n_embd) ||
        !layer_hparam(f, arch, "attention.head_count", layer, 0, &n_head))
        return hf_fail(err, HF_ERR_FORMAT,
                       "unfuse-qkv: %s: needs %s.embedding_length and %s.attention.head_count (missing or invalid)",
                       gguf_path(f), arch, arch);
    if (!layer_hparam(f, arch, "attention.head_count_kv", layer, n_head, &n_head_kv) ||
        !layer_hparam(f, arch, "attention.key_length", layer, n_embd / n_head, &hd_k) ||
        !layer_hparam(f, arch, "attention.value_length", layer, n_embd / n_head, &hd_v))
        return hf_fail(err, HF_ERR_FORMAT, "unfuse-qkv: %s: invalid %s.attention head count/length hparams",
                       gguf_path(f), arch);
    rows[0] = n_head * hd_k;
    rows[1] = n_head_kv * hd_k;
    rows[2] = n_head_kv * hd_v;
    return HF_OK;
}

/* Appends Q, K, V split from blk.L.attn_qkv.<suffix>, in that order. */
static hf_status split_fused(plan *p, const gguf_file *f, const gguf_tensor *t, int layer, int suffix, hf_err *err) {
    uint64_t rows[3];
    hf_status s = qkv_rows(f, layer, rows, err);
    if (s != HF_OK) return s;
    int rowdim = suffix == S_WEIGHT ? 1 : 0;
    uint64_t total = rows[0] + rows[1] + rows[2];
    if ((uint64_t)t->ne[rowdim] != total || (suffix == S_WEIGHT ? t->n_dims != 2 : t->n_dims != 1))
        return hf_fail(err, HF_ERR_FORMAT,
                       "unfuse-qkv: %s: %s: ne[%d] is %" PRId64 " (n_dims %u) but the hparams give Q+K+V = %" PRIu64
                       "+%" PRIu64 "+%" PRIu64 " = %" PRIu64 " rows",
                       gguf_path(f), t->name, rowdim, t->ne[rowdim], t->n_dims, rows[0], rows[1], rows[2], total);
    uint64_t unit = suffix == S_WEIGHT ? hf_row_size(t->type, t->ne[0]) : 0, off = 0;
    for (int r = 0; r < 3; r++) {
        uint64_t bytes = suffix == S_WEIGHT ? rows[r] * unit : hf_row_size(t->type, (int64_t)rows[r]);
        if (bytes == 0 && rows[r] != 0)
            return hf_fail(err, HF_ERR_UNSUPPORTED,
                           "unfuse-qkv: %s: %s: %" PRIu64 " elements cannot be split from a %s bias", gguf_path(f),
                           t->name, rows[r], hf_type_info(t->type)->name);
        out_tensor *o = plan_insert(p, p->n);
        if (!o) return no_memory("unfuse-qkv", f, err);
        gguf_tn_format(o->name, sizeof o->name, ROLE_TN[r], layer, (gguf_sfx)suffix);
        o->type = t->type;
        o->n_dims = t->n_dims;
        memcpy(o->ne, t->ne, sizeof o->ne);
        o->ne[rowdim] = (int64_t)rows[r];
        o->part[0] = (slice){t->data + off, bytes};
        o->layer = layer;
        o->split = 1;
        off += bytes;
    }
    return HF_OK;
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

/* A fused tensor beside separate Q/K/V of the same kind is ambiguous: refuse, naming them all. */
static hf_status check_no_separate(const gguf_file *f, const gguf_tensor *t, int layer, int suffix, hf_err *err) {
    char found[256] = "";
    for (int r = 0; r < 3; r++)
        if (find_index(f, layer, r, suffix) >= 0) {
            size_t n = strlen(found);
            char name[96];
            snprintf(found + n, sizeof found - n, "%s%s", n ? ", " : "",
                     gguf_tn_format(name, sizeof name, ROLE_TN[r], layer, (gguf_sfx)suffix));
        }
    if (!found[0]) return HF_OK;
    return hf_fail(err, HF_ERR_FORMAT, "unfuse-qkv: %s: %s exists beside %s", gguf_path(f), t->name, found);
}

static hf_status unfuse_file(const gguf_file *f, const char *out_path, const gt_fuse_opts *o, gt_fuse_report *report,
                             hf_err *err) {
    plan p = {0};
    hf_status s = HF_OK;
    for (int64_t i = 0; s == HF_OK && i < gguf_n_tensors(f); i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        const char *rest = "";
        int layer = parse_block(t->name, &rest);
        int suffix = layer < 0                          ? -1
                     : !strcmp(rest, "attn_qkv.weight") ? S_WEIGHT
                     : !strcmp(rest, "attn_qkv.bias")   ? S_BIAS
                                                        : -1;
        if (suffix < 0) {
            if (!plan_copy_of(&p, t, layer)) s = no_memory("unfuse-qkv", f, err);
            continue;
        }
        s = check_no_separate(f, t, layer, suffix, err);
        if (s == HF_OK) s = split_fused(&p, f, t, layer, suffix, err);
        report->n_split += suffix == S_WEIGHT;
    }
    if (s == HF_OK && uses_hf_order(f)) reorder_split(&p);
    if (s == HF_OK) s = write_plan(f, &p, o->alignment, out_path, err);
    free(p.t);
    return s;
}

hf_status gt_unfuse_qkv(const char *in_path, const char *out_path, const gt_fuse_opts *opts, gt_fuse_report *report,
                        hf_err *err) {
    return run_on_file("unfuse-qkv", unfuse_file, in_path, out_path, opts, report, err);
}
