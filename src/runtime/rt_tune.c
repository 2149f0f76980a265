/* GEMV layouts timed on the model's own matrices (rt_tune.h). */
#include "runtime/rt_tune.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "quant/quant_pack.h"

static const char *const PICK_NAMES[] = {"auto", "few", "many"};

const char *rt_gemv_pick_name(rt_gemv_pick pick) {
    return (unsigned)pick < sizeof PICK_NAMES / sizeof PICK_NAMES[0] ? PICK_NAMES[pick] : "?";
}

int rt_gemv_pick_parse(const char *name, rt_gemv_pick *out) {
    for (size_t i = 0; i < sizeof PICK_NAMES / sizeof PICK_NAMES[0]; i++)
        if (!strcmp(name, PICK_NAMES[i])) {
            *out = (rt_gemv_pick)i;
            return 1;
        }
    return 0;
}

/* ==== Kinds of matrix (rt_tune.h: a row type, or RT_GEMV_PACKED) ==== */

static int kind_of(const rt_tensor *t) { return t->n_packed > 0 ? RT_GEMV_PACKED : (int)t->type; }

/* What a kind's kernel offers (whether it has a layout, that layout's streams), and setting
 * the layout it uses. */
static int kind_has(const rt_kernel_set *ks, int kind, q_gemv_layout l) {
    if (kind == RT_GEMV_PACKED) return ks->packed->gemv[l] != NULL;
    return ks->dot[kind] && ks->dot[kind]->gemv[l] != NULL;
}
static int kind_streams(const rt_kernel_set *ks, int kind, q_gemv_layout l) {
    return kind == RT_GEMV_PACKED ? ks->packed->gemv_streams[l] : ks->dot[kind]->gemv_streams[l];
}
static void kind_set(rt_kernel_set *ks, int kind, q_gemv_layout l) {
    if (kind == RT_GEMV_PACKED) ks->packed_gemv = l;
    else ks->gemv[kind] = l;
}

/* The matrices a decode multiplies, in its order: each layer's present ones (rt_model.h's
 * list), then the output head. */
static int layer_matrices(const rt_layer *ly, const rt_tensor **out) {
    const rt_tensor *all[RT_LAYER_MATRICES] = RT_LAYER_MATRIX_LIST(ly);
    int n = 0;
    for (int i = 0; i < RT_LAYER_MATRICES; i++)
        if (all[i]->data || all[i]->packed) out[n++] = all[i];
    return n;
}

/* A pass: the first matrices of one kind, in decode order, up to RT_TUNE_BYTES. */
typedef struct pass_set {
    const rt_tensor **mats;
    int n, cap;
    int64_t bytes, max_k, max_rows;
} pass_set;

static int64_t weight_bytes(const rt_tensor *t) { return (int64_t)t->row_bytes * t->ne1; }

static int pass_add(pass_set *ps, const rt_tensor *t) {
    if (ps->bytes >= RT_TUNE_BYTES) return 1;
    if (ps->n == ps->cap) {
        const int cap = ps->cap ? 2 * ps->cap : 64;
        const rt_tensor **m = realloc(ps->mats, (size_t)cap * sizeof *m);
        if (!m) return 0;
        ps->mats = m;
        ps->cap = cap;
    }
    ps->mats[ps->n++] = t;
    ps->bytes += weight_bytes(t);
    if (t->ne0 > ps->max_k) ps->max_k = t->ne0;
    if (t->ne1 > ps->max_rows) ps->max_rows = t->ne1;
    return 1;
}

static int collect_kind(const rt_model *m, int kind, pass_set *ps) {
    for (int64_t il = 0; il < m->hp.n_layer; il++) {
        const rt_tensor *mats[RT_LAYER_MATRICES];
        const int n = layer_matrices(&m->layers[il], mats);
        for (int i = 0; i < n; i++)
            if (kind_of(mats[i]) == kind && !pass_add(ps, mats[i])) return 0;
    }
    if ((m->output.data || m->output.packed) && kind_of(&m->output) == kind && !pass_add(ps, &m->output)) return 0;
    return 1;
}

/* ==== Timing ==== */

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* Buffers for one pass: a token's activations (as floats and converted) and an output row. */
typedef struct pass_bufs {
    float *x;
    void *acts;
    float *y;
} pass_bufs;

static int bufs_alloc(pass_bufs *b, const pass_set *ps) {
    b->x = malloc((size_t)ps->max_k * sizeof(float));
    b->acts = aligned_alloc(64, (rt_acts_max_bytes(1, ps->max_k) + 63) / 64 * 64);
    b->y = malloc((size_t)ps->max_rows * sizeof(float));
    if (!b->x || !b->acts || !b->y) return 0;
    /* a smooth, nonzero token: the values change no timing, only denormals would */
    for (int64_t i = 0; i < ps->max_k; i++) b->x[i] = (float)sin(0.37 * (double)i + 0.5);
    return 1;
}

static void bufs_free(pass_bufs *b) {
    free(b->x);
    free(b->acts);
    free(b->y);
}

/* Milliseconds of the pass's one-token matmuls (the conversions untimed). */
static double time_pass(const rt_kernel_set *ks, rt_pool *pool, const pass_set *ps, pass_bufs *b) {
    double ms = 0;
    for (int i = 0; i < ps->n; i++) {
        const rt_tensor *t = ps->mats[i];
        rt_acts acts;
        rt_acts_convert(pool, rt_act_type_for(ks, t), b->x, t->ne0, 1, t->ne0, b->acts, &acts);
        const double t0 = now_ms();
        rt_matmul(pool, ks, t, &acts, b->y, 0);
        ms += now_ms() - t0;
    }
    return ms;
}

/* Times both layouts of a kind on ps and keeps the faster in ks. */
static void time_layouts(rt_kernel_set *ks, rt_pool *pool, int kind, const pass_set *ps, pass_bufs *b,
                         rt_gemv_choice *c) {
    kind_set(ks, kind, Q_GEMV_FEW);
    (void)time_pass(ks, pool, ps, b); /* faults the pages in, warms the caches and the pool */
    double best[Q_GEMV_COUNT] = {INFINITY, INFINITY};
    for (int round = 0; round < RT_TUNE_ROUNDS; round++)
        for (int i = 0; i < Q_GEMV_COUNT; i++) {
            const q_gemv_layout l = (q_gemv_layout)(round % 2 ? Q_GEMV_COUNT - 1 - i : i);
            kind_set(ks, kind, l);
            const double ms = time_pass(ks, pool, ps, b);
            if (ms < best[l]) best[l] = ms;
        }
    const q_gemv_layout win = best[Q_GEMV_MANY] < RT_TUNE_MARGIN * best[Q_GEMV_FEW] ? Q_GEMV_MANY : Q_GEMV_FEW;
    kind_set(ks, kind, win);
    c->timed = 1;
    c->layout = win;
    c->bytes = ps->bytes;
    for (int i = 0; i < Q_GEMV_COUNT; i++) c->ms[i] = best[i];
}

static hf_status tune_kind(rt_kernel_set *ks, const rt_model *m, rt_pool *pool, int kind, rt_gemv_choice *c,
                           hf_err *err) {
    pass_set ps = {0};
    pass_bufs b = {0};
    hf_status st = HF_OK;
    if (!collect_kind(m, kind, &ps) || !bufs_alloc(&b, &ps))
        st = hf_fail(err, HF_ERR_NOMEM, "%s: out of memory timing the GEMV layouts", gguf_path(m->file));
    else time_layouts(ks, pool, kind, &ps, &b, c);
    bufs_free(&b);
    free(ps.mats);
    return st;
}

/* Which kinds m has. */
static void find_kinds(const rt_model *m, int present[RT_GEMV_KINDS]) {
    memset(present, 0, RT_GEMV_KINDS * sizeof present[0]);
    for (int64_t il = 0; il < m->hp.n_layer; il++) {
        const rt_tensor *mats[RT_LAYER_MATRICES];
        const int n = layer_matrices(&m->layers[il], mats);
        for (int i = 0; i < n; i++) present[kind_of(mats[i])] = 1;
    }
    if (m->output.data || m->output.packed) present[kind_of(&m->output)] = 1;
}

/* from's choice for a kind, when it has one this kernel set can follow. */
static const rt_gemv_choice *reusable(const rt_kernel_set *ks, const rt_gemv_report *from, int kind) {
    if (!from || !from->kind[kind].present || !kind_has(ks, kind, from->kind[kind].layout)) return NULL;
    return &from->kind[kind];
}

hf_status rt_tune_gemv(rt_kernel_set *ks, const rt_model *m, rt_pool *pool, rt_gemv_pick pick, const rt_gemv_report *from,
                       rt_gemv_report *report, hf_err *err) {
    memset(report, 0, sizeof *report);
    int present[RT_GEMV_KINDS];
    find_kinds(m, present);
    for (int kind = 0; kind < RT_GEMV_KINDS; kind++) {
        if (!present[kind] || (kind != RT_GEMV_PACKED && !ks->dot[kind])) continue;
        rt_gemv_choice *c = &report->kind[kind];
        c->present = 1;
        const int two = kind_has(ks, kind, Q_GEMV_MANY);
        q_gemv_layout l = pick == RT_GEMV_MANY && two ? Q_GEMV_MANY : Q_GEMV_FEW;
        kind_set(ks, kind, l);
        const rt_gemv_choice *prev = pick == RT_GEMV_TIMED ? reusable(ks, from, kind) : NULL;
        if (prev) {
            *c = *prev;
            c->reused = 1;
            l = c->layout;
            kind_set(ks, kind, l);
        } else if (pick == RT_GEMV_TIMED && two) {
            hf_status st = tune_kind(ks, m, pool, kind, c, err);
            if (st != HF_OK) return st;
            l = c->layout;
        }
        c->layout = l;
        c->streams = kind_streams(ks, kind, l);
    }
    return HF_OK;
}

static const char *kind_name(int kind) {
    if (kind == RT_GEMV_PACKED) return "q8_0 groups";
    const hf_type_traits *tr = hf_type_info((uint32_t)kind);
    return tr ? tr->name : "?";
}

char *rt_gemv_report_text(const rt_gemv_report *report, char *buf, size_t size) {
    size_t len = 0;
    buf[0] = '\0';
    for (int kind = 0; kind < RT_GEMV_KINDS && len < size; kind++) {
        const rt_gemv_choice *c = &report->kind[kind];
        if (!c->present) continue;
        int n = snprintf(buf + len, size - len, "%s%s: %d stream%s", len ? "; " : "", kind_name(kind), c->streams,
                         c->streams == 1 ? "" : "s");
        if (n > 0 && c->timed && len + (size_t)n < size)
            n += snprintf(buf + len + (size_t)n, size - len - (size_t)n, " (%s: few %.2f ms, many %.2f ms)",
                          c->reused ? "timed before" : "timed", c->ms[Q_GEMV_FEW], c->ms[Q_GEMV_MANY]);
        if (n < 0) break;
        len += (size_t)n;
    }
    if (len >= size && size > 0) buf[size - 1] = '\0';
    return buf;
}
