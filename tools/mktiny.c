/* mktiny: writes a small deterministic random Hugging Face Llama directory
 * (config.json, safetensors weights, tokenizer files copied from a source
 * directory), for converter tests, interop checks and the conversion bench.
 *
 *   mktiny OUTDIR [--layers N] [--embd N] [--ff N] [--heads N] [--kv-heads N]
 *          [--head-dim N] [--vocab N] [--ctx N] [--dtype f32|f16|bf16]
 *          [--attention-bias] [--untied] [--shards N] [--seed S]
 *          [--tokenizer-from DIR]
 *
 * Weights are uniform in [-0.5, 0.5) / sqrt(fan_in) from a SplitMix64 stream
 * seeded by --seed, so the same flags always give the same bytes. With
 * --shards N > 1 the tensors are spread round-robin over
 * model-0000i-of-0000N.safetensors with a model.safetensors.index.json. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/f16.h"

typedef struct opts {
    const char *out, *tok_from;
    long layers, embd, ff, heads, kv_heads, head_dim, vocab, ctx, shards;
    uint64_t seed;
    int dtype; /* 0 f32, 1 f16, 2 bf16 */
    int attn_bias, untied;
} opts;

typedef struct tensor {
    char name[128];
    long rows, cols; /* cols == 0: 1-D of `rows` elements */
    int is_norm;
} tensor;

static const char *const DTYPE_NAMES[] = {"F32", "F16", "BF16"};
static const int DTYPE_SIZES[] = {4, 2, 2};

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int usage(void) {
    fputs("usage: mktiny OUTDIR [--layers N] [--embd N] [--ff N] [--heads N] [--kv-heads N] [--head-dim N]\n"
          "              [--vocab N] [--ctx N] [--dtype f32|f16|bf16] [--attention-bias] [--untied]\n"
          "              [--shards N] [--seed S] [--tokenizer-from DIR]\n",
          stderr);
    return 2;
}

static int parse(int argc, char **argv, opts *o) {
    *o = (opts){.layers = 2, .embd = 64, .ff = 96, .heads = 4, .kv_heads = 2, .head_dim = 0, .vocab = 512,
                .ctx = 256, .shards = 1, .seed = 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        struct {
            const char *flag;
            long *dst;
        } nums[] = {{"--layers", &o->layers}, {"--embd", &o->embd},   {"--ff", &o->ff},
                    {"--heads", &o->heads},   {"--kv-heads", &o->kv_heads}, {"--head-dim", &o->head_dim},
                    {"--vocab", &o->vocab},   {"--ctx", &o->ctx},     {"--shards", &o->shards}};
        int done = 0;
        for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++)
            if (!strcmp(a, nums[k].flag)) {
                if (!v || (*nums[k].dst = strtol(v, NULL, 10)) < 0) return 0;
                i++;
                done = 1;
            }
        if (done) continue;
        if (!strcmp(a, "--seed") && v) o->seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--dtype") && v) {
            o->dtype = !strcmp(v, "f32") ? 0 : !strcmp(v, "f16") ? 1 : !strcmp(v, "bf16") ? 2 : -1;
            if (o->dtype < 0) return 0;
            i++;
        } else if (!strcmp(a, "--attention-bias")) o->attn_bias = 1;
        else if (!strcmp(a, "--untied")) o->untied = 1;
        else if (!strcmp(a, "--tokenizer-from") && v) o->tok_from = argv[++i];
        else if (a[0] != '-' && !o->out) o->out = a;
        else return 0;
    }
    if (!o->head_dim && o->heads) o->head_dim = o->embd / o->heads;
    return o->out && o->heads > 0 && o->kv_heads > 0 && o->shards >= 1 && o->layers >= 1;
}

static int write_config(const opts *o) {
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", o->out);
    FILE *f = fopen(path, "w");
    if (!f) return 0;
    fprintf(f,
            "{\n  \"architectures\": [\"LlamaForCausalLM\"],\n  \"attention_bias\": %s,\n  \"bos_token_id\": 1,\n"
            "  \"eos_token_id\": 2,\n  \"head_dim\": %ld,\n  \"hidden_act\": \"silu\",\n  \"hidden_size\": %ld,\n"
            "  \"intermediate_size\": %ld,\n  \"max_position_embeddings\": %ld,\n  \"mlp_bias\": false,\n"
            "  \"model_type\": \"llama\",\n  \"num_attention_heads\": %ld,\n  \"num_hidden_layers\": %ld,\n"
            "  \"num_key_value_heads\": %ld,\n  \"rms_norm_eps\": 1e-05,\n  \"rope_scaling\": null,\n"
            "  \"rope_theta\": 10000.0,\n  \"tie_word_embeddings\": %s,\n  \"torch_dtype\": \"%s\",\n"
            "  \"vocab_size\": %ld\n}\n",
            o->attn_bias ? "true" : "false", o->head_dim, o->embd, o->ff, o->ctx, o->heads, o->layers, o->kv_heads,
            o->untied ? "false" : "true", o->dtype == 0 ? "float32" : o->dtype == 1 ? "float16" : "bfloat16",
            o->vocab);
    return fclose(f) == 0;
}

static int cmp_tensor(const void *a, const void *b) { return strcmp(((const tensor *)a)->name, ((const tensor *)b)->name); }

static int add(tensor *t, int *n, const char *name, long rows, long cols, int is_norm) {
    snprintf(t[*n].name, sizeof t[*n].name, "%s", name);
    t[*n].rows = rows;
    t[*n].cols = cols;
    t[*n].is_norm = is_norm;
    return ++*n;
}

static int build_list(const opts *o, tensor *t) {
    int n = 0;
    char nm[128];
    long q = o->heads * o->head_dim, kv = o->kv_heads * o->head_dim;
    add(t, &n, "model.embed_tokens.weight", o->vocab, o->embd, 0);
    add(t, &n, "model.norm.weight", o->embd, 0, 1);
    if (o->untied) add(t, &n, "lm_head.weight", o->vocab, o->embd, 0);
    static const char *const PROJ[] = {"q_proj", "k_proj", "v_proj", "o_proj"};
    for (long l = 0; l < o->layers; l++) {
        snprintf(nm, sizeof nm, "model.layers.%ld.input_layernorm.weight", l), add(t, &n, nm, o->embd, 0, 1);
        snprintf(nm, sizeof nm, "model.layers.%ld.post_attention_layernorm.weight", l), add(t, &n, nm, o->embd, 0, 1);
        for (int p = 0; p < 4; p++) {
            long rows = p == 0 ? q : p == 3 ? o->embd : kv, cols = p == 3 ? q : o->embd;
            snprintf(nm, sizeof nm, "model.layers.%ld.self_attn.%s.weight", l, PROJ[p]);
            add(t, &n, nm, rows, cols, 0);
            if (o->attn_bias) {
                snprintf(nm, sizeof nm, "model.layers.%ld.self_attn.%s.bias", l, PROJ[p]);
                add(t, &n, nm, rows, 0, 0);
            }
        }
        snprintf(nm, sizeof nm, "model.layers.%ld.mlp.gate_proj.weight", l), add(t, &n, nm, o->ff, o->embd, 0);
        snprintf(nm, sizeof nm, "model.layers.%ld.mlp.up_proj.weight", l), add(t, &n, nm, o->ff, o->embd, 0);
        snprintf(nm, sizeof nm, "model.layers.%ld.mlp.down_proj.weight", l), add(t, &n, nm, o->embd, o->ff, 0);
        /* A non-weight buffer some exporters keep; converters must drop it. */
        if (l == 0) {
            snprintf(nm, sizeof nm, "model.layers.%ld.self_attn.rotary_emb.inv_freq", l);
            add(t, &n, nm, o->head_dim / 2, 0, 1);
        }
    }
    qsort(t, (size_t)n, sizeof *t, cmp_tensor);
    return n;
}

static uint64_t tensor_bytes(const opts *o, const tensor *t) {
    int dsz = strstr(t->name, "inv_freq") ? 4 : DTYPE_SIZES[o->dtype];
    return (uint64_t)t->rows * (uint64_t)(t->cols ? t->cols : 1) * (uint64_t)dsz;
}

/* Streams one tensor's values, one row at a time. */
static int write_values(FILE *f, const opts *o, const tensor *t, uint64_t *rng) {
    long cols = t->cols ? t->cols : t->rows, rows = t->cols ? t->rows : 1;
    int is_f32 = strstr(t->name, "inv_freq") != NULL;
    float scale = t->is_norm ? 0.25f : 1.0f / sqrtf((float)cols);
    uint8_t *buf = malloc((size_t)cols * 4);
    if (!buf) return 0;
    for (long r = 0; r < rows; r++) {
        for (long c = 0; c < cols; c++) {
            float u = (float)(splitmix(rng) >> 40) / (float)(1u << 24) - 0.5f;
            float v = t->is_norm ? 1.0f + u * scale : u * scale;
            if (is_f32 || o->dtype == 0) memcpy(buf + c * 4, &v, 4);
            else {
                uint16_t h = o->dtype == 1 ? hf_f32_to_f16(v) : hf_f32_to_bf16(v);
                memcpy(buf + c * 2, &h, 2);
            }
        }
        size_t nb = (size_t)cols * (is_f32 ? 4 : (size_t)DTYPE_SIZES[o->dtype]);
        if (fwrite(buf, 1, nb, f) != nb) {
            free(buf);
            return 0;
        }
    }
    free(buf);
    return 1;
}

static int write_shard(const opts *o, const tensor *t, int n, long shard, const char *fname, uint64_t *rng) {
    size_t cap = 256 + (size_t)n * 256, len = 0;
    char *hdr = malloc(cap);
    if (!hdr) return 0;
    len += (size_t)snprintf(hdr + len, cap - len, "{\"__metadata__\":{\"format\":\"pt\"}");
    uint64_t off = 0;
    for (int i = 0; i < n; i++) {
        if (i % o->shards != shard) continue;
        const char *dt = strstr(t[i].name, "inv_freq") ? "F32" : DTYPE_NAMES[o->dtype];
        uint64_t nb = tensor_bytes(o, &t[i]);
        if (t[i].cols)
            len += (size_t)snprintf(hdr + len, cap - len, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[%ld,%ld],\"data_offsets\":[%llu,%llu]}",
                                    t[i].name, dt, t[i].rows, t[i].cols, (unsigned long long)off, (unsigned long long)(off + nb));
        else
            len += (size_t)snprintf(hdr + len, cap - len, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[%ld],\"data_offsets\":[%llu,%llu]}",
                                    t[i].name, dt, t[i].rows, (unsigned long long)off, (unsigned long long)(off + nb));
        off += nb;
    }
    len += (size_t)snprintf(hdr + len, cap - len, "}");
    while (len % 8) hdr[len++] = ' '; /* data aligned to 8 bytes, as the safetensors library does */
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", o->out, fname);
    FILE *f = fopen(path, "wb");
    int ok = f != NULL;
    uint8_t le[8];
    for (int b = 0; b < 8; b++) le[b] = (uint8_t)((uint64_t)len >> (8 * b));
    ok = ok && fwrite(le, 1, 8, f) == 8 && fwrite(hdr, 1, len, f) == len;
    for (int i = 0; ok && i < n; i++)
        if (i % o->shards == shard) ok = write_values(f, o, &t[i], rng);
    if (f && fclose(f) != 0) ok = 0;
    free(hdr);
    return ok;
}

static void shard_name(const opts *o, long s, char *buf, size_t cap) {
    if (o->shards == 1) snprintf(buf, cap, "model.safetensors");
    else snprintf(buf, cap, "model-%05ld-of-%05ld.safetensors", s + 1, o->shards);
}

static int write_index(const opts *o, const tensor *t, int n) {
    char path[4096], fname[64];
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", o->out);
    FILE *f = fopen(path, "w");
    if (!f) return 0;
    uint64_t total = 0;
    for (int i = 0; i < n; i++) total += tensor_bytes(o, &t[i]);
    fprintf(f, "{\n  \"metadata\": {\"total_size\": %llu},\n  \"weight_map\": {\n", (unsigned long long)total);
    for (int i = 0; i < n; i++) {
        shard_name(o, i % o->shards, fname, sizeof fname);
        fprintf(f, "    \"%s\": \"%s\"%s\n", t[i].name, fname, i + 1 < n ? "," : "");
    }
    fputs("  }\n}\n", f);
    return fclose(f) == 0;
}

static int copy_file(const char *from_dir, const char *to_dir, const char *name) {
    char src[4096], dst[4096];
    snprintf(src, sizeof src, "%s/%s", from_dir, name);
    snprintf(dst, sizeof dst, "%s/%s", to_dir, name);
    FILE *in = fopen(src, "rb");
    if (!in) return errno == ENOENT; /* optional files */
    FILE *out = fopen(dst, "wb");
    int ok = out != NULL;
    char buf[65536];
    size_t k;
    while (ok && (k = fread(buf, 1, sizeof buf, in)) > 0) ok = fwrite(buf, 1, k, out) == k;
    fclose(in);
    if (out && fclose(out) != 0) ok = 0;
    return ok;
}

int main(int argc, char **argv) {
    opts o;
    if (!parse(argc, argv, &o)) return usage();
    if (mkdir(o.out, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "mktiny: cannot create %s: %s\n", o.out, strerror(errno));
        return 1;
    }
    int n_max = 8 + (int)o.layers * 16;
    tensor *t = calloc((size_t)n_max, sizeof *t);
    if (!t) return 1;
    int n = build_list(&o, t);
    uint64_t rng = o.seed;
    int ok = write_config(&o);
    for (long s = 0; ok && s < o.shards; s++) {
        char fname[64];
        shard_name(&o, s, fname, sizeof fname);
        ok = write_shard(&o, t, n, s, fname, &rng);
    }
    if (ok && o.shards > 1) ok = write_index(&o, t, n);
    static const char *const TOK_FILES[] = {"tokenizer.model", "tokenizer_config.json", "tokenizer.json",
                                            "special_tokens_map.json"};
    for (size_t i = 0; ok && o.tok_from && i < sizeof TOK_FILES / sizeof TOK_FILES[0]; i++)
        ok = copy_file(o.tok_from, o.out, TOK_FILES[i]);
    free(t);
    if (!ok) {
        fprintf(stderr, "mktiny: writing %s failed: %s\n", o.out, strerror(errno));
        return 1;
    }
    return 0;
}
