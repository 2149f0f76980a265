/* synth: random-weight HF checkpoints from the converter's arch table (contract: synth.h). */
#include "synth/synth.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/f16.h"
#include "convert/arch.h"

/* ==== What config.json says per architecture ====
 * The fields each transformers config class reads beyond the common ones. To add an
 * architecture the converter knows: one row. */
typedef struct syn_arch {
    const char *gguf_arch;
    const char *model_type;
    const char *eps_key;    /* rms_norm_eps, layer_norm_eps or norm_epsilon */
    const char *hidden_act;
    int head_dim_key;       /* the class reads head_dim */
    int rotary_key;         /* the class reads partial_rotary_factor */
} syn_arch;

static const syn_arch SYN_ARCHES[] = {
    {"llama", "llama", "rms_norm_eps", "silu", 1, 0},
    {"qwen2", "qwen2", "rms_norm_eps", "silu", 0, 0},
    {"qwen3", "qwen3", "rms_norm_eps", "silu", 1, 0},
    {"phi2", "phi", "layer_norm_eps", "gelu_new", 0, 1},
    {"starcoder2", "starcoder2", "norm_epsilon", "gelu_pytorch_tanh", 0, 0},
    {"stablelm", "stablelm", "layer_norm_eps", "silu", 0, 1},
};
#define N_SYN_ARCHES (sizeof SYN_ARCHES / sizeof SYN_ARCHES[0])

static const syn_arch *syn_arch_of(const char *name) {
    for (size_t i = 0; i < N_SYN_ARCHES; i++)
        if (!strcmp(SYN_ARCHES[i].gguf_arch, name)) return &SYN_ARCHES[i];
    return NULL;
}

static const arch_def *conv_arch_of(const char *gguf_arch) {
    for (uint32_t i = 0; i < arch_count(); i++)
        if (!strcmp(arch_at(i)->gguf_arch, gguf_arch)) return arch_at(i);
    return NULL;
}

/* ==== Presets: real models' shapes ==== */
typedef struct syn_preset_row {
    const char *name, *gguf_arch;
    syn_shape shape;
} syn_preset_row;

static const syn_preset_row PRESETS[] = {
    {"qwen2.5-0.5b", "qwen2", {24, 896, 4864, 14, 2, 64, 151936, 32768, 1000000.0, 0, 1e-6, 1}},
    {"llama-3.2-1b", "llama", {16, 2048, 8192, 32, 8, 64, 128256, 131072, 500000.0, 0, 1e-5, 1}},
    {"phi-2", "phi2", {32, 2560, 10240, 32, 32, 80, 51200, 2048, 10000.0, 0.4, 1e-5, 0}},
    {"llama-300m", "llama", {24, 1024, 2816, 16, 16, 64, 32000, 2048, 10000.0, 0, 1e-5, 1}},
};
#define N_PRESETS (sizeof PRESETS / sizeof PRESETS[0])

void syn_default_shape(syn_shape *s) {
    *s = (syn_shape){2, 64, 256, 4, 2, 16, 512, 256, 10000.0, 0.5, 1e-5, 0};
}

hf_status syn_preset(const char *name, const char **gguf_arch, syn_shape *shape, hf_err *err) {
    for (size_t i = 0; i < N_PRESETS; i++) {
        if (strcmp(PRESETS[i].name, name)) continue;
        if (*gguf_arch && strcmp(*gguf_arch, PRESETS[i].gguf_arch))
            return hf_fail(err, HF_ERR_ARG, "synth: preset '%s' is a %s model, not %s", name, PRESETS[i].gguf_arch,
                           *gguf_arch);
        *gguf_arch = PRESETS[i].gguf_arch;
        *shape = PRESETS[i].shape;
        return HF_OK;
    }
    char list[256];
    return hf_fail(err, HF_ERR_ARG, "synth: unknown preset '%s' (presets: %s)", name,
                   syn_preset_list(list, sizeof list));
}

char *syn_arch_list(char *buf, size_t cap) {
    size_t o = 0;
    if (cap) buf[0] = '\0';
    for (size_t i = 0; i < N_SYN_ARCHES && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", SYN_ARCHES[i].gguf_arch);
    return buf;
}

char *syn_preset_list(char *buf, size_t cap) {
    size_t o = 0;
    if (cap) buf[0] = '\0';
    for (size_t i = 0; i < N_PRESETS && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s (%s)", i ? ", " : "", PRESETS[i].name, PRESETS[i].gguf_arch);
    return buf;
}

char *syn_switch_list(const char *gguf_arch, char *buf, size_t cap) {
    const arch_def *a = conv_arch_of(gguf_arch);
    size_t o = 0;
    if (cap) buf[0] = '\0';
    for (uint32_t i = 0; a && i < a->n_switches && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s (default %d)", i ? ", " : "", a->switches[i].key,
                              a->switches[i].dflt < 0 ? 0 : a->switches[i].dflt);
    return buf;
}

/* ==== The tensor list ==== */
typedef struct syn_tensor {
    char name[160];
    int64_t rows, cols; /* cols == 0: 1-D of rows elements */
    int kind;           /* 0 weight, 1 norm weight, 2 bias */
    int shard;
} syn_tensor;

typedef struct syn_list {
    syn_tensor *t;
    int64_t n, cap;
} syn_list;

static hf_status list_add(syn_list *l, const char *name, int64_t rows, int64_t cols, int kind, hf_err *err) {
    if (l->n == l->cap) {
        int64_t cap = l->cap ? l->cap * 2 : 256;
        syn_tensor *t = realloc(l->t, (size_t)cap * sizeof *t);
        if (!t) return hf_fail(err, HF_ERR_NOMEM, "synth: out of memory");
        l->t = t;
        l->cap = cap;
    }
    syn_tensor *t = &l->t[l->n++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->rows = rows;
    t->cols = cols;
    t->kind = kind;
    t->shard = 0;
    return HF_OK;
}

static arch_hparams hparams_of(const arch_def *a, const syn_opts *o) {
    const syn_shape *s = &o->shape;
    arch_hparams hp = {s->n_layer, s->n_embd, s->n_ff, s->n_head, s->n_head_kv, s->head_dim, s->n_vocab, s->tied,
                       {0}};
    for (uint32_t i = 0; i < a->n_switches && i < ARCH_MAX_SWITCHES; i++) {
        hp.sw[i] = a->switches[i].dflt < 0 ? 0 : a->switches[i].dflt;
        for (int k = 0; k < o->n_switches; k++)
            if (!strcmp(o->switch_names[k], a->switches[i].key)) hp.sw[i] = o->switch_values[k];
    }
    return hp;
}

/* Every tensor the arch row implies, weight and bias, per layer and per head. */
static hf_status build_list(const arch_def *a, const arch_hparams *hp, syn_list *l, hf_err *err) {
    hf_status s = HF_OK;
    for (uint32_t r = 0; s == HF_OK && r < a->n_tensors; r++) {
        const arch_tensor *row = &a->tensors[r];
        const int64_t n_layers = strstr(row->hf, "%d") ? hp->n_layer : 1;
        const int64_t n_stack = arch_stack_count(row, hp);
        const int64_t d0 = arch_dim_value(row->shape[0], hp), d1 = arch_dim_value(row->shape[1], hp);
        for (int64_t il = 0; s == HF_OK && il < n_layers; il++)
            for (int64_t h = 0; s == HF_OK && h < (n_stack ? n_stack : 1); h++)
                for (int b = 0; s == HF_OK && b < 2; b++) {
                    int forbidden;
                    if (!arch_need_required(row, b ? row->bias : row->weight, hp, &forbidden)) continue;
                    char base[128], name[160];
                    snprintf(base, sizeof base, row->hf, (int)il, (int)h);
                    snprintf(name, sizeof name, "%s%s", base, b ? ".bias" : ".weight");
                    const int is_vec = b || row->shape[1] == DIM_NONE;
                    s = list_add(l, name, d0, is_vec ? 0 : d1, b ? 2 : is_vec ? 1 : 0, err);
                }
    }
    return s;
}

static int cmp_name(const void *x, const void *y) {
    return strcmp(((const syn_tensor *)x)->name, ((const syn_tensor *)y)->name);
}

static const char *const DTYPE_NAMES[] = {"F32", "F16", "BF16"};
static const char *const TORCH_DTYPES[] = {"float32", "float16", "bfloat16"};
static const int DTYPE_SIZES[] = {4, 2, 2};

static uint64_t tensor_bytes(const syn_tensor *t, int dtype) {
    return (uint64_t)t->rows * (uint64_t)(t->cols ? t->cols : 1) * (uint64_t)DTYPE_SIZES[dtype];
}

/* Shards in name order, a new one when the next tensor would pass the limit. */
static int assign_shards(syn_list *l, int dtype, uint64_t max_bytes) {
    int shard = 0;
    uint64_t used = 0;
    for (int64_t i = 0; i < l->n; i++) {
        uint64_t nb = tensor_bytes(&l->t[i], dtype);
        if (max_bytes && used && used + nb > max_bytes) shard++, used = 0;
        l->t[i].shard = shard;
        used += nb;
    }
    return shard + 1;
}

/* ==== Writing ==== */

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static float uniform(uint64_t *rng) { return (float)(splitmix(rng) >> 40) / (float)(1u << 24) - 0.5f; }

static float value_of(const syn_tensor *t, uint64_t *rng) {
    const float u = uniform(rng);
    if (t->kind == 1) return 1.0f + 0.5f * u;
    if (t->kind == 2) return 0.2f * u;
    return u / sqrtf((float)(t->cols ? t->cols : t->rows));
}

/* dir/name into buf; 0 when it does not fit (the caller reports it). */
static int join_path(char *buf, size_t cap, const char *dir, const char *name) {
    int n = snprintf(buf, cap, "%s/%s", dir, name);
    return n >= 0 && (size_t)n < cap;
}

static hf_status fail_io(const char *path, hf_err *err) {
    return hf_fail(err, HF_ERR_IO, "synth: writing '%s' failed: %s", path, strerror(errno));
}

static hf_status write_values(FILE *f, const char *path, const syn_tensor *t, int dtype, uint64_t *rng, hf_err *err) {
    const int64_t cols = t->cols ? t->cols : t->rows, rows = t->cols ? t->rows : 1;
    uint8_t *buf = malloc((size_t)cols * 4);
    if (!buf) return hf_fail(err, HF_ERR_NOMEM, "synth: out of memory");
    hf_status s = HF_OK;
    for (int64_t r = 0; s == HF_OK && r < rows; r++) {
        for (int64_t c = 0; c < cols; c++) {
            const float v = value_of(t, rng);
            if (dtype == 0) memcpy(buf + c * 4, &v, 4);
            else {
                const uint16_t h = dtype == 1 ? hf_f32_to_f16(v) : hf_f32_to_bf16(v);
                memcpy(buf + c * 2, &h, 2);
            }
        }
        const size_t nb = (size_t)cols * (size_t)DTYPE_SIZES[dtype];
        if (fwrite(buf, 1, nb, f) != nb) s = fail_io(path, err);
    }
    free(buf);
    return s;
}

static void shard_name(int shard, int n_shards, char *buf, size_t cap) {
    if (n_shards == 1) snprintf(buf, cap, "model.safetensors");
    else snprintf(buf, cap, "model-%05d-of-%05d.safetensors", shard + 1, n_shards);
}

static hf_status write_shard(const char *dir, const syn_list *l, int shard, int n_shards, int dtype, uint64_t *rng,
                             hf_err *err) {
    cJSON *hdr = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(hdr, "__metadata__");
    cJSON_AddStringToObject(meta, "format", "pt");
    uint64_t off = 0;
    for (int64_t i = 0; i < l->n; i++) {
        const syn_tensor *t = &l->t[i];
        if (t->shard != shard) continue;
        cJSON *e = cJSON_AddObjectToObject(hdr, t->name);
        cJSON_AddStringToObject(e, "dtype", DTYPE_NAMES[dtype]);
        cJSON *shape = cJSON_AddArrayToObject(e, "shape");
        cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t->rows));
        if (t->cols) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t->cols));
        const uint64_t nb = tensor_bytes(t, dtype);
        cJSON *offs = cJSON_AddArrayToObject(e, "data_offsets");
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)off));
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)(off + nb)));
        off += nb;
    }
    char *text = cJSON_PrintUnformatted(hdr);
    cJSON_Delete(hdr);
    if (!text) return hf_fail(err, HF_ERR_NOMEM, "synth: out of memory");
    size_t len = strlen(text), padded = (len + 7) / 8 * 8; /* data aligned to 8, as the safetensors library does */
    char fname[64], path[4096];
    shard_name(shard, n_shards, fname, sizeof fname);
    if (!join_path(path, sizeof path, dir, fname)) return hf_fail(err, HF_ERR_ARG, "synth: path too long: %s", dir);
    FILE *f = fopen(path, "wb");
    hf_status s = f ? HF_OK : fail_io(path, err);
    uint8_t le[8];
    for (int b = 0; b < 8; b++) le[b] = (uint8_t)((uint64_t)padded >> (8 * b));
    if (s == HF_OK && (fwrite(le, 1, 8, f) != 8 || fwrite(text, 1, len, f) != len)) s = fail_io(path, err);
    for (size_t i = len; s == HF_OK && i < padded; i++)
        if (fputc(' ', f) == EOF) s = fail_io(path, err);
    for (int64_t i = 0; s == HF_OK && i < l->n; i++)
        if (l->t[i].shard == shard) s = write_values(f, path, &l->t[i], dtype, rng, err);
    if (f && fclose(f) != 0 && s == HF_OK) s = fail_io(path, err);
    free(text);
    return s;
}

static hf_status write_json(const char *dir, const char *name, cJSON *root, hf_err *err) {
    char path[4096];
    if (!join_path(path, sizeof path, dir, name)) return hf_fail(err, HF_ERR_ARG, "synth: path too long: %s", dir);
    char *text = cJSON_Print(root);
    if (!text) return hf_fail(err, HF_ERR_NOMEM, "synth: out of memory");
    FILE *f = fopen(path, "w");
    hf_status s = f ? HF_OK : fail_io(path, err);
    if (s == HF_OK && (fputs(text, f) == EOF || fputc('\n', f) == EOF)) s = fail_io(path, err);
    if (f && fclose(f) != 0 && s == HF_OK) s = fail_io(path, err);
    free(text);
    return s;
}

static hf_status write_index(const char *dir, const syn_list *l, int n_shards, int dtype, hf_err *err) {
    cJSON *root = cJSON_CreateObject();
    uint64_t total = 0;
    for (int64_t i = 0; i < l->n; i++) total += tensor_bytes(&l->t[i], dtype);
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(root, "metadata"), "total_size", (double)total);
    cJSON *map = cJSON_AddObjectToObject(root, "weight_map");
    for (int64_t i = 0; i < l->n; i++) {
        char fname[64];
        shard_name(l->t[i].shard, n_shards, fname, sizeof fname);
        cJSON_AddStringToObject(map, l->t[i].name, fname);
    }
    hf_status s = write_json(dir, "model.safetensors.index.json", root, err);
    cJSON_Delete(root);
    return s;
}

static hf_status write_config(const char *dir, const syn_opts *o, const syn_arch *sa, const arch_def *a,
                              const arch_hparams *hp, hf_err *err) {
    const syn_shape *s = &o->shape;
    cJSON *c = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(c, "architectures"), cJSON_CreateString(a->hf_classes[0]));
    cJSON_AddStringToObject(c, "model_type", sa->model_type);
    cJSON_AddNumberToObject(c, "bos_token_id", 1);
    cJSON_AddNumberToObject(c, "eos_token_id", 2);
    cJSON_AddStringToObject(c, "hidden_act", sa->hidden_act);
    cJSON_AddNumberToObject(c, "hidden_size", (double)s->n_embd);
    cJSON_AddNumberToObject(c, "intermediate_size", (double)s->n_ff);
    cJSON_AddNumberToObject(c, "max_position_embeddings", (double)s->n_ctx);
    cJSON_AddNumberToObject(c, "num_attention_heads", (double)s->n_head);
    cJSON_AddNumberToObject(c, "num_hidden_layers", (double)s->n_layer);
    cJSON_AddNumberToObject(c, "num_key_value_heads", (double)s->n_head_kv);
    if (sa->head_dim_key) cJSON_AddNumberToObject(c, "head_dim", (double)s->head_dim);
    if (sa->rotary_key) cJSON_AddNumberToObject(c, "partial_rotary_factor", s->rotary_factor);
    cJSON_AddNumberToObject(c, sa->eps_key, s->norm_eps);
    cJSON_AddNumberToObject(c, "rope_theta", s->rope_theta);
    cJSON_AddBoolToObject(c, "tie_word_embeddings", s->tied);
    for (uint32_t i = 0; i < a->n_switches; i++) cJSON_AddBoolToObject(c, a->switches[i].key, hp->sw[i]);
    cJSON_AddStringToObject(c, "torch_dtype", TORCH_DTYPES[o->dtype]);
    cJSON_AddNumberToObject(c, "vocab_size", (double)s->n_vocab);
    hf_status st = write_json(dir, "config.json", c, err);
    cJSON_Delete(c);
    return st;
}

static hf_status copy_file(const char *from_dir, const char *to_dir, const char *name, hf_err *err) {
    char src[4096], dst[4096];
    if (!join_path(src, sizeof src, from_dir, name) || !join_path(dst, sizeof dst, to_dir, name))
        return hf_fail(err, HF_ERR_ARG, "synth: path too long: %s", from_dir);
    FILE *in = fopen(src, "rb");
    if (!in) return errno == ENOENT ? HF_OK : hf_fail(err, HF_ERR_IO, "synth: cannot read '%s': %s", src, strerror(errno));
    FILE *out = fopen(dst, "wb");
    hf_status s = out ? HF_OK : fail_io(dst, err);
    char buf[65536];
    size_t k;
    while (s == HF_OK && (k = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, k, out) != k) s = fail_io(dst, err);
    fclose(in);
    if (out && fclose(out) != 0 && s == HF_OK) s = fail_io(dst, err);
    return s;
}

static const char *const TOK_FILES[] = {"tokenizer.model", "tokenizer.json", "tokenizer_config.json",
                                        "special_tokens_map.json"};

/* Removes our own temporary directory and the files we put there (no subdirectories). */
static void remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4096];
    while (d && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (join_path(path, sizeof path, dir, e->d_name)) unlink(path);
    }
    if (d) closedir(d);
    rmdir(dir);
}

static hf_status check_opts(const syn_opts *o, const arch_def *a, hf_err *err) {
    const syn_shape *s = &o->shape;
    if (s->n_layer < 1 || s->n_embd < 1 || s->n_ff < 1 || s->n_head < 1 || s->n_head_kv < 1 || s->head_dim < 2 ||
        s->n_vocab < 1 || s->n_ctx < 1)
        return hf_fail(err, HF_ERR_ARG, "synth: every dimension must be >= 1 (head dim >= 2)");
    if (s->n_head % s->n_head_kv)
        return hf_fail(err, HF_ERR_ARG, "synth: --heads %lld is not a multiple of --kv-heads %lld", (long long)s->n_head,
                       (long long)s->n_head_kv);
    if (s->n_layer > 4096 || s->n_embd > 65536 || s->n_ff > 262144 || s->n_vocab > 1048576 || s->n_head > 1024)
        return hf_fail(err, HF_ERR_ARG, "synth: shape too large (layers <= 4096, embd <= 65536, ff <= 262144, "
                                        "vocab <= 1048576, heads <= 1024)");
    for (int k = 0; k < o->n_switches; k++) {
        int known = 0;
        for (uint32_t i = 0; i < a->n_switches; i++) known |= !strcmp(o->switch_names[k], a->switches[i].key);
        char list[256];
        if (!known)
            return hf_fail(err, HF_ERR_ARG, "synth: %s has no switch '%s' (switches: %s)", a->gguf_arch,
                           o->switch_names[k], a->n_switches ? syn_switch_list(a->gguf_arch, list, sizeof list) : "none");
    }
    return HF_OK;
}

hf_status syn_write(const syn_opts *o, syn_result *res, hf_err *err) {
    memset(res, 0, sizeof *res);
    const syn_arch *sa = syn_arch_of(o->gguf_arch);
    const arch_def *a = conv_arch_of(o->gguf_arch);
    char list[256];
    if (!sa || !a)
        return hf_fail(err, HF_ERR_ARG, "synth: unknown architecture '%s' (supported: %s)", o->gguf_arch,
                       syn_arch_list(list, sizeof list));
    hf_status s = check_opts(o, a, err);
    if (s != HF_OK) return s;
    struct stat st;
    if (stat(o->out_dir, &st) == 0 && (!S_ISDIR(st.st_mode) || rmdir(o->out_dir) != 0))
        return hf_fail(err, HF_ERR_ARG, "synth: '%s' exists and is not an empty directory", o->out_dir);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", o->out_dir, (long)getpid());
    if (mkdir(tmp, 0755) != 0) return hf_fail(err, HF_ERR_IO, "synth: cannot create '%s': %s", tmp, strerror(errno));
    const arch_hparams hp = hparams_of(a, o);
    syn_list l = {0};
    s = build_list(a, &hp, &l, err);
    if (s == HF_OK) qsort(l.t, (size_t)l.n, sizeof *l.t, cmp_name);
    const int n_shards = s == HF_OK ? assign_shards(&l, o->dtype, o->max_shard_bytes) : 0;
    uint64_t rng = o->seed;
    if (s == HF_OK) s = write_config(tmp, o, sa, a, &hp, err);
    for (int k = 0; s == HF_OK && k < n_shards; k++) s = write_shard(tmp, &l, k, n_shards, o->dtype, &rng, err);
    if (s == HF_OK && n_shards > 1) s = write_index(tmp, &l, n_shards, o->dtype, err);
    for (size_t i = 0; s == HF_OK && o->tokenizer_from && i < sizeof TOK_FILES / sizeof TOK_FILES[0]; i++)
        s = copy_file(o->tokenizer_from, tmp, TOK_FILES[i], err);
    if (s == HF_OK && rename(tmp, o->out_dir) != 0)
        s = hf_fail(err, HF_ERR_IO, "synth: cannot rename '%s' to '%s': %s", tmp, o->out_dir, strerror(errno));
    if (s != HF_OK) remove_tree(tmp);
    for (int64_t i = 0; s == HF_OK && i < l.n; i++) {
        res->n_params += l.t[i].rows * (l.t[i].cols ? l.t[i].cols : 1);
        res->bytes += tensor_bytes(&l.t[i], o->dtype);
    }
    res->n_tensors = l.n;
    res->n_shards = n_shards;
    free(l.t);
    return s;
}
