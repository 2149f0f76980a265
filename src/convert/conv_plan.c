/* conv_plan: the ordered list of output tensors, as llama.cpp's prepare_tensors
 * produces them: source tensors in checkpoint order (shards sorted, names
 * sorted), buffers dropped, names mapped through the arch row, shapes checked
 * against config.json, Q/K un-permuted, Q/K/V fused (emitted where the last of
 * the three arrives), and each tensor's output type chosen. No data is touched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dtype.h"
#include "convert/conv_internal.h"

/* HF buffers that are not weights (llama.cpp skips these names). */
static const char *const DROPPED_SUFFIXES[] = {".attention.masked_bias", ".attention.bias", ".rotary_emb.inv_freq"};

static int is_dropped(const char *name) {
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof DROPPED_SUFFIXES / sizeof DROPPED_SUFFIXES[0]; i++) {
        size_t l = strlen(DROPPED_SUFFIXES[i]);
        if (n >= l && !strcmp(name + n - l, DROPPED_SUFFIXES[i])) return 1;
    }
    return 0;
}

/* ==== output types ==== */

typedef struct outtype_row {
    conv_outtype t;
    const char *name;      /* --outtype */
    const char *type_name; /* LlamaFileType suffix used in file names */
    uint32_t file_type;    /* general.file_type */
    uint32_t ggml_type;
} outtype_row;

static const outtype_row OUTTYPES[] = {
    {CONV_OUT_F32, "f32", "F32", 0, HF_TYPE_F32},
    {CONV_OUT_F16, "f16", "F16", 1, HF_TYPE_F16},
    {CONV_OUT_BF16, "bf16", "BF16", 32, HF_TYPE_BF16},
    {CONV_OUT_Q8_0, "q8_0", "Q8_0", 7, HF_TYPE_Q8_0},
};
#define N_OUTTYPES (sizeof OUTTYPES / sizeof OUTTYPES[0])

static const outtype_row *outtype_row_of(conv_outtype t) {
    for (size_t i = 0; i < N_OUTTYPES; i++)
        if (OUTTYPES[i].t == t) return &OUTTYPES[i];
    return &OUTTYPES[1];
}

int conv_outtype_parse(const char *s) {
    if (!strcmp(s, "auto")) return CONV_OUT_AUTO;
    for (size_t i = 0; i < N_OUTTYPES; i++)
        if (!strcmp(s, OUTTYPES[i].name)) return (int)OUTTYPES[i].t;
    return -1;
}

uint32_t conv_file_type(conv_outtype t) { return outtype_row_of(t)->file_type; }
const char *conv_file_type_name(conv_outtype t) { return outtype_row_of(t)->type_name; }

conv_outtype conv_resolve_auto(const st_model *m) {
    for (size_t i = 0; i < st_model_n_tensors(m); i++) {
        const st_tensor *t = st_model_tensor(m, i);
        if (t->n_dims < 2) continue;
        if (t->dtype == ST_BF16) return CONV_OUT_BF16;
        if (t->dtype == ST_F16) return CONV_OUT_F16;
    }
    return CONV_OUT_F16;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), l = strlen(suffix);
    return n >= l && !strcmp(s + n - l, suffix);
}

/* llama.cpp's per-tensor type rule for the Llama-family tensors we emit. */
static uint32_t tensor_type(const char *gguf_name, uint32_t n_dims, int64_t row_len, uint32_t weight_type) {
    if (n_dims <= 1 || ends_with(gguf_name, "_norm.weight")) return HF_TYPE_F32;
    size_t n = strlen(gguf_name);
    const char *last7 = n >= 7 ? gguf_name + n - 7 : gguf_name;
    if (strcmp(last7, ".weight") && strcmp(last7, ".lora_a") && strcmp(last7, ".lora_b")) return HF_TYPE_F32;
    /* Q8_0 needs whole 32-element blocks per row; llama.cpp falls back to F16. */
    if (weight_type == HF_TYPE_Q8_0 && row_len % 32) return HF_TYPE_F16;
    return weight_type;
}

/* ==== plan building ==== */

void conv_plan_free(conv_plan *p) {
    for (int64_t i = 0; i < p->n; i++) {
        free(p->items[i].name);
        free(p->items[i].part);
    }
    free(p->items);
    memset(p, 0, sizeof *p);
}

static conv_item *plan_push(conv_plan *p, hf_err *err) {
    if (p->n == p->cap) {
        int64_t cap = p->cap ? p->cap * 2 : 64;
        conv_item *it = realloc(p->items, (size_t)cap * sizeof *it);
        if (!it) {
            hf_fail(err, HF_ERR_NOMEM, "out of memory");
            return NULL;
        }
        p->items = it;
        p->cap = cap;
    }
    conv_item *it = &p->items[p->n++];
    memset(it, 0, sizeof *it);
    return it;
}

/* A mapped source tensor. */
typedef struct mapped {
    const st_tensor *src;
    int row;       /* arch row index */
    int64_t layer; /* -1 for non-layer tensors */
    int64_t sub;   /* head of a stacked row, else -1 */
    int is_bias;
    char name[128]; /* GGUF name with suffix */
} mapped;

static void fmt_shape(const int64_t *shape, uint32_t n, char *buf, size_t cap) {
    size_t o = 0;
    o += (size_t)snprintf(buf, cap, "[");
    for (uint32_t i = 0; i < n && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (o < cap) snprintf(buf + o, cap - o, "]");
}

static hf_status check_shape(const mapped *mt, const arch_def *a, const arch_hparams *hp, hf_err *err) {
    const arch_tensor *row = &a->tensors[mt->row];
    int64_t want[2];
    uint32_t want_n = (mt->is_bias || row->shape[1] == DIM_NONE) ? 1 : 2;
    want[0] = arch_dim_value(row->shape[0], hp);
    want[1] = want_n == 2 ? arch_dim_value(row->shape[1], hp) : 0;
    int ok = mt->src->n_dims == want_n;
    for (uint32_t i = 0; ok && i < want_n; i++) ok = mt->src->shape[i] == want[i];
    if (ok) return HF_OK;
    char got_s[128], want_s[128];
    fmt_shape(mt->src->shape, mt->src->n_dims, got_s, sizeof got_s);
    fmt_shape(want, want_n, want_s, sizeof want_s);
    return hf_fail(err, HF_ERR_FORMAT, "%s: tensor '%s' has shape %s, but config.json implies %s", mt->src->file,
                   mt->src->name, got_s, want_s);
}

static hf_status map_source(const st_tensor *t, const arch_def *a, const arch_hparams *hp, mapped *mt, hf_err *err) {
    mt->src = t;
    if (t->n_dims > 4)
        return hf_fail(err, HF_ERR_UNSUPPORTED, "%s: tensor '%s' has %u dimensions; GGUF holds at most 4", t->file,
                       t->name, t->n_dims);
    mt->row = arch_match(a, t->name, &mt->layer, &mt->sub, &mt->is_bias);
    if (mt->row < 0)
        return hf_fail(err, HF_ERR_UNSUPPORTED, "%s: tensor '%s' has no GGUF name in the %s architecture table",
                       t->file, t->name, a->gguf_arch);
    if (mt->layer >= hp->n_layer)
        return hf_fail(err, HF_ERR_FORMAT, "%s: tensor '%s' belongs to layer %lld, but config.json has %lld layers",
                       t->file, t->name, (long long)mt->layer, (long long)hp->n_layer);
    const int64_t n_stack = arch_stack_count(&a->tensors[mt->row], hp);
    if (n_stack && mt->sub >= n_stack)
        return hf_fail(err, HF_ERR_FORMAT, "%s: tensor '%s' is for head %lld, but config.json has %lld heads",
                       t->file, t->name, (long long)mt->sub, (long long)n_stack);
    gguf_tn_format(mt->name, sizeof mt->name, a->tensors[mt->row].gguf, mt->layer,
                   mt->is_bias ? GGUF_SFX_BIAS : GGUF_SFX_WEIGHT);
    return check_shape(mt, a, hp, err);
}

/* Presence bookkeeping: seen[(row * n_slots + slot) * 2 + is_bias] counts the parts seen
 * (one, or one per head of a stacked row). */
typedef struct presence {
    uint32_t *seen;
    int64_t n_slots; /* n_layer (>= 1) */
} presence;

static size_t presence_at(const presence *pr, int row, int64_t layer, int is_bias) {
    return ((size_t)row * (size_t)pr->n_slots + (size_t)(layer < 0 ? 0 : layer)) * 2 + (size_t)is_bias;
}

static hf_status check_presence(const presence *pr, const arch_def *a, const arch_hparams *hp, const char *dir,
                                hf_err *err) {
    for (uint32_t r = 0; r < a->n_tensors; r++) {
        const arch_tensor *row = &a->tensors[r];
        const int64_t n_layers = strstr(row->hf, "%d") ? hp->n_layer : 1;
        const int64_t n_stack = arch_stack_count(row, hp);
        for (int64_t l = 0; l < n_layers; l++)
            for (int b = 0; b < 2; b++) {
                int forbidden = 0;
                int required = arch_need_required(row, b ? row->bias : row->weight, hp, &forbidden);
                uint32_t seen = l < pr->n_slots ? pr->seen[presence_at(pr, (int)r, l, b)] : 0;
                char hf[160];
                snprintf(hf, sizeof hf, row->hf, (int)l, 0);
                if (n_stack && seen && seen != (uint32_t)n_stack)
                    return hf_fail(err, HF_ERR_FORMAT,
                                   "%s: layer %lld has %u of its %lld per-head tensors like '%s%s' (need all)", dir,
                                   (long long)l, (unsigned)seen, (long long)n_stack, hf, b ? ".bias" : ".weight");
                if (required && !seen)
                    return hf_fail(err, HF_ERR_FORMAT, "%s: missing tensor '%s%s' (required by config.json)", dir, hf,
                                   b ? ".bias" : ".weight");
                if (forbidden && seen) {
                    arch_need need = b ? row->bias : row->weight;
                    int has_sw = (need == NEED_IF_SW || need == NEED_UNLESS_SW) && row->sw >= 0 &&
                                 row->sw < (int)a->n_switches;
                    char why[128];
                    if (has_sw)
                        snprintf(why, sizeof why, "'%s' is %s", a->switches[row->sw].key,
                                 need == NEED_IF_SW ? "false" : "true");
                    else snprintf(why, sizeof why, "a %s checkpoint has no such tensor", a->gguf_arch);
                    return hf_fail(err, HF_ERR_FORMAT, "%s: tensor '%s%s' is present, but config.json says %s", dir,
                                   hf, b ? ".bias" : ".weight", why);
                }
            }
    }
    return HF_OK;
}

static hf_status item_alloc_parts(conv_item *it, int n, hf_err *err) {
    it->part = calloc((size_t)n, sizeof *it->part);
    it->n_parts = it->part ? n : 0;
    return it->part ? HF_OK : hf_fail(err, HF_ERR_NOMEM, "out of memory");
}

static void item_from_parts(conv_item *it, const char *name, uint32_t weight_type, int stacked) {
    const st_tensor *t0 = it->part[0].src;
    it->rows = 0;
    if (t0->n_dims <= 1 && !stacked) {
        /* 1-D: one element per row, so the Q/K permutation of biases is a row permutation too. */
        it->row_len = 1;
        for (int i = 0; i < it->n_parts; i++) it->rows += it->part[i].src->n_elements;
        it->n_dims = 1;
        it->ne[0] = it->rows;
    } else if (stacked) {
        /* n_parts vectors of the same length -> {len, n_parts}: one row per part. */
        it->row_len = t0->n_elements;
        it->rows = it->n_parts;
        it->n_dims = 2;
        it->ne[0] = it->row_len;
        it->ne[1] = it->rows;
    } else {
        it->row_len = t0->shape[t0->n_dims - 1];
        for (int i = 0; i < it->n_parts; i++)
            it->rows += it->row_len ? it->part[i].src->n_elements / it->row_len : 0;
        it->n_dims = t0->n_dims;
        /* GGUF order is PyTorch order reversed; fusion concatenates along PyTorch dim 0. */
        for (uint32_t d = 0; d < t0->n_dims; d++) it->ne[d] = t0->shape[t0->n_dims - 1 - d];
        it->ne[t0->n_dims - 1] = 0;
        for (int i = 0; i < it->n_parts; i++) it->ne[t0->n_dims - 1] += it->part[i].src->shape[0];
    }
    for (uint32_t d = it->n_dims; d < 4; d++) it->ne[d] = 1;
    it->type = tensor_type(name, it->n_dims, it->row_len, weight_type);
}

static conv_part part_of(const arch_def *a, const arch_hparams *hp, const mapped *mt) {
    arch_xform x = {0};
    if (a->xform) a->xform(a, &a->tensors[mt->row], hp, &x);
    return (conv_part){mt->src, x.permute_heads};
}

static hf_status emit_single(conv_plan *p, const arch_def *a, const arch_hparams *hp, const mapped *mt, hf_err *err) {
    conv_item *it = plan_push(p, err);
    if (!it) return HF_ERR_NOMEM;
    if (!(it->name = strdup(mt->name))) return hf_fail(err, HF_ERR_NOMEM, "out of memory");
    hf_status s = item_alloc_parts(it, 1, err);
    if (s != HF_OK) return s;
    it->part[0] = part_of(a, hp, mt);
    item_from_parts(it, mt->name, p->weight_type, 0);
    const int64_t heads = it->part[0].permute_heads;
    if (heads && it->rows % (2 * heads))
        return hf_fail(err, HF_ERR_FORMAT, "%s: tensor '%s': %lld rows cannot be split into %lld RoPE heads of pairs",
                       mt->src->file, mt->src->name, (long long)it->rows, (long long)heads);
    return HF_OK;
}

/* Q, K, V of one layer (weights or biases) -> one attn_qkv tensor. The three must
 * get the same output type when converted separately (one type per tensor). */
static hf_status emit_fused(conv_plan *p, const arch_def *a, const arch_hparams *hp, const mapped *const qkv[3],
                            hf_err *err) {
    uint32_t types[3];
    for (int i = 0; i < 3; i++) {
        conv_part part = part_of(a, hp, qkv[i]);
        conv_item probe = {.part = &part, .n_parts = 1};
        item_from_parts(&probe, qkv[i]->name, p->weight_type, 0);
        types[i] = probe.type;
    }
    if (types[0] != types[1] || types[0] != types[2])
        return hf_fail(err, HF_ERR_FORMAT, "cannot fuse '%s', '%s', '%s': their output types differ (%s, %s, %s)",
                       qkv[0]->name, qkv[1]->name, qkv[2]->name, hf_type_info(types[0])->name,
                       hf_type_info(types[1])->name, hf_type_info(types[2])->name);
    conv_item *it = plan_push(p, err);
    if (!it) return HF_ERR_NOMEM;
    char name[128];
    gguf_tn_format(name, sizeof name, GGUF_TN_ATTN_QKV, qkv[0]->layer, qkv[0]->is_bias ? GGUF_SFX_BIAS : GGUF_SFX_WEIGHT);
    if (!(it->name = strdup(name))) return hf_fail(err, HF_ERR_NOMEM, "out of memory");
    hf_status s = item_alloc_parts(it, 3, err);
    if (s != HF_OK) return s;
    for (int i = 0; i < 3; i++) it->part[i] = part_of(a, hp, qkv[i]);
    item_from_parts(it, name, p->weight_type, 0);
    return HF_OK;
}

/* The per-head parts of one stacked tensor, in head order -> {len, heads}. */
static hf_status emit_stacked(conv_plan *p, const arch_def *a, const arch_hparams *hp, const mapped *const *heads,
                              int64_t n, hf_err *err) {
    for (int64_t i = 1; i < n; i++)
        if (heads[i]->src->n_elements != heads[0]->src->n_elements)
            return hf_fail(err, HF_ERR_FORMAT, "%s: tensor '%s' has %lld elements, but '%s' has %lld: cannot stack",
                           heads[i]->src->file, heads[i]->src->name, (long long)heads[i]->src->n_elements,
                           heads[0]->src->name, (long long)heads[0]->src->n_elements);
    conv_item *it = plan_push(p, err);
    if (!it) return HF_ERR_NOMEM;
    if (!(it->name = strdup(heads[0]->name))) return hf_fail(err, HF_ERR_NOMEM, "out of memory");
    hf_status s = item_alloc_parts(it, (int)n, err);
    if (s != HF_OK) return s;
    for (int64_t i = 0; i < n; i++) it->part[i] = part_of(a, hp, heads[i]);
    item_from_parts(it, heads[0]->name, p->weight_type, 1);
    return HF_OK;
}

/* Per layer: which of Q/K/V weights and biases exist (bit = role - ROLE_Q). */
typedef struct fuse_state {
    unsigned char *w_roles, *b_roles;
    mapped *buf;      /* [layer][is_bias][3] buffered tensors */
    unsigned char *have;
} fuse_state;

static int role_bit(const arch_def *a, const mapped *mt) {
    arch_role r = a->tensors[mt->row].role;
    return (r == ROLE_Q || r == ROLE_K || r == ROLE_V) ? (int)(r - ROLE_Q) : -1;
}

static int n_bits3(unsigned v) { return (int)(v & 1u) + (int)((v >> 1) & 1u) + (int)((v >> 2) & 1u); }

/* Whether this Q/K/V weight or bias goes into attn_qkv (the shared rule, gguf_names.h). */
static int part_fuses(const fuse_state *fs, const mapped *mt, gguf_qkv_bias mode) {
    gguf_qkv_decision d = gguf_qkv_decide(n_bits3(fs->w_roles[mt->layer]), n_bits3(fs->b_roles[mt->layer]), mode);
    return mt->is_bias ? d.fuse_biases : d.fuse_weights;
}

/* Stacked rows: the per-head parts seen so far of one (row, layer, suffix). */
typedef struct stack_state {
    const mapped **slot; /* [presence slot][head] */
    int64_t max_heads;
} stack_state;

/* Buffers a per-head part; emits the stacked tensor when the last head arrives
 * (llama.cpp emits what it buffers where the last part comes). */
static hf_status stack_part(conv_plan *p, stack_state *ss, const presence *pr, const arch_def *a,
                            const arch_hparams *hp, const mapped *mt, hf_err *err) {
    const int64_t n = arch_stack_count(&a->tensors[mt->row], hp);
    const mapped **heads = ss->slot + presence_at(pr, mt->row, mt->layer, mt->is_bias) * (size_t)ss->max_heads;
    if (heads[mt->sub])
        return hf_fail(err, HF_ERR_FORMAT, "%s: tensor '%s' appears twice", mt->src->file, mt->src->name);
    heads[mt->sub] = mt;
    for (int64_t h = 0; h < n; h++)
        if (!heads[h]) return HF_OK;
    return emit_stacked(p, a, hp, heads, n, err);
}

hf_status conv_plan_build(conv_plan *p, const st_model *m, const char *model_dir, const arch_def *a,
                          const arch_hparams *hp, conv_outtype t, int fuse_qkv, gguf_qkv_bias qkv_bias, hf_err *err) {
    memset(p, 0, sizeof *p);
    size_t n_src_tensors = st_model_n_tensors(m);
    /* Every layer has tensors: a config promising more layers than the checkpoint has tensors is
     * refused before any per-layer table is allocated (a billion layers would be gigabytes). */
    if (n_src_tensors && (uint64_t)hp->n_layer > (uint64_t)n_src_tensors)
        return hf_fail(err, HF_ERR_FORMAT,
                       "%s/config.json: key 'num_hidden_layers' = %lld, but the checkpoint has only %llu tensors",
                       model_dir, (long long)hp->n_layer, (unsigned long long)n_src_tensors);
    p->file_type = conv_file_type(t);
    p->weight_type = outtype_row_of(t)->ggml_type;
    fuse_qkv = fuse_qkv && (a->flags & ARCH_FUSE_QKV);
    size_t n_src = st_model_n_tensors(m);
    /* Per-layer tables: n_layer slots (bounded above by the tensor count); one for a checkpoint
     * without tensors, whose first missing tensor check_presence then reports. */
    int64_t n_slots = hp->n_layer > 0 && n_src ? hp->n_layer : 1;
    size_t n_presence = (size_t)a->n_tensors * (size_t)n_slots * 2;
    presence pr = {calloc(n_presence, sizeof(uint32_t)), n_slots};
    mapped *maps = calloc(n_src ? n_src : 1, sizeof *maps);
    unsigned char *keep = calloc(n_src ? n_src : 1, 1);
    fuse_state fs = {calloc((size_t)n_slots, 1), calloc((size_t)n_slots, 1), calloc((size_t)n_slots * 6, sizeof(mapped)),
                     calloc((size_t)n_slots * 6, 1)};
    int any_stack = 0;
    for (uint32_t r = 0; r < a->n_tensors; r++) any_stack |= arch_stack_count(&a->tensors[r], hp) > 0;
    stack_state ss = {NULL, hp->n_head > hp->n_head_kv ? hp->n_head : hp->n_head_kv};
    if (any_stack) ss.slot = calloc(n_presence * (size_t)ss.max_heads, sizeof *ss.slot);
    hf_status s = (pr.seen && maps && keep && fs.w_roles && fs.b_roles && fs.buf && fs.have && (!any_stack || ss.slot))
                      ? HF_OK
                      : hf_fail(err, HF_ERR_NOMEM, "out of memory");
    /* Pass 1: map and check every tensor, note which Q/K/V exist per layer. */
    for (size_t i = 0; s == HF_OK && i < n_src; i++) {
        const st_tensor *src = st_model_tensor(m, i);
        if (is_dropped(src->name)) continue;
        keep[i] = 1;
        s = map_source(src, a, hp, &maps[i], err);
        if (s != HF_OK) break;
        pr.seen[presence_at(&pr, maps[i].row, maps[i].layer, maps[i].is_bias)]++;
        int bit = role_bit(a, &maps[i]);
        if (bit >= 0 && maps[i].layer >= 0)
            (maps[i].is_bias ? fs.b_roles : fs.w_roles)[maps[i].layer] |= (unsigned char)(1u << bit);
    }
    if (s == HF_OK) s = check_presence(&pr, a, hp, model_dir, err);
    /* Pass 2: emit in source order; fused and stacked tensors appear where their last part arrives. */
    for (size_t i = 0; s == HF_OK && i < n_src; i++) {
        if (!keep[i]) continue;
        const mapped *mt = &maps[i];
        if (arch_stack_count(&a->tensors[mt->row], hp)) {
            s = stack_part(p, &ss, &pr, a, hp, mt, err);
            continue;
        }
        int bit = role_bit(a, mt);
        int fuse = fuse_qkv && bit >= 0 && mt->layer >= 0 && part_fuses(&fs, mt, qkv_bias);
        if (!fuse) {
            s = emit_single(p, a, hp, mt, err);
            continue;
        }
        size_t slot = ((size_t)mt->layer * 2 + (size_t)mt->is_bias) * 3;
        fs.buf[slot + (size_t)bit] = *mt;
        fs.have[slot + (size_t)bit] = 1;
        if (!(fs.have[slot] && fs.have[slot + 1] && fs.have[slot + 2])) continue;
        const mapped *qkv[3] = {&fs.buf[slot], &fs.buf[slot + 1], &fs.buf[slot + 2]};
        s = emit_fused(p, a, hp, qkv, err);
        if (s == HF_OK && !mt->is_bias) p->n_fused_layers++;
    }
    for (int64_t i = 0; s == HF_OK && i < p->n; i++) p->n_params += p->items[i].rows * p->items[i].row_len;
    free(pr.seen);
    free(maps);
    free(keep);
    free(fs.w_roles);
    free(fs.b_roles);
    free(fs.buf);
    free(fs.have);
    free(ss.slot);
    if (s != HF_OK) conv_plan_free(p);
    return s;
}
