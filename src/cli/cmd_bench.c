/* hf2gguf bench: prompt-processing and generation speed, shaped like llama.cpp's llama-bench.
 *
 * For every model (-m, repeatable), thread count (-t list) and micro-batch size (-ub list):
 *   ppP: P prompt tokens evaluated by one rt_decode call (micro-batches of ub) from an empty
 *        cache, logits of the last token only (llama-bench's test_prompt);
 *   tgN: N single-token rt_decode steps from an empty cache (llama-bench's test_gen; tg does
 *        not depend on ub, so it has one row per model and thread count).
 * Tokens are a fixed pseudo-random sequence of ids (the same for every run). Each
 * configuration gets one untimed warm-up run, then -r timed repetitions; the repetitions are
 * interleaved over all configurations and models (rep 1 of everything, rep 2 of everything,
 * ...; the models of one configuration back to back, in -m order in odd rounds and reversed
 * in even ones), so slow drift of the machine (thermal, other load) does not favour one file,
 * not even the one that runs first. With several files, a second table gives each file's
 * t/s over the first file's in the same round (median, min, max over the rounds): a paired
 * figure, which cancels the drift between rounds that widens the mean +- stddev columns. The
 * cache is reset (rt_ctx_reset) before every run.
 *
 * GEMV layouts (rt_tune.h) are timed once per model and thread count, and once for twins
 * (files with the same matrices, e.g. fused and unfused conversions of one checkpoint): the
 * other contexts reuse that choice, so twins differ by their file alone, not by a timing.
 *
 * Reported besides t/s (mean +- sample stddev of the per-repetition t/s, as llama-bench): the
 * dot-product kernel chosen per weight type present (q_dot traits' impl), the weight bytes one
 * generated token reads (every layer's projections + the output head + one token_embd row) and
 * the GB/s (1e9 bytes) that tg achieves. --roofline also measures the machine's streaming read
 * bandwidth (best of several multi-threaded passes over a buffer much larger than the LLC, in
 * huge pages where the kernel offers them, as the weights are; the same thread counts) and
 * prints tg's GB/s as a fraction of it. That fraction pairs every tg
 * repetition with reads measured just before and just after it: on a shared machine (the VMs
 * this was written on) the read bandwidth drifts by up to 2x within a minute, so a bandwidth
 * measured once at the start says little about the seconds a repetition ran in. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/dtype.h"
#include "base/hugemem.h"
#include "cli/cli.h"
#include "gguf/gguf.h"
#include "runtime/rt_forward.h"
#include "runtime/rt_kernels.h"
#include "runtime/rt_model.h"

#define BENCH_MAX_LIST 64
#define BENCH_MAX_MODELS 64
#define BENCH_MAX_TYPES 8
#define ROOFLINE_PASSES 5 /* per read pattern, for the headline figure */
/* Passes per read pattern before and after each tg repetition. More than one because the first
 * read of the buffer after a decode often runs far below what the next ones get here (7-20
 * against 31-35 GB/s after F16 decodes, whose weights are read through the file mapping): a
 * single pass measured the buffer's page state rather than the memory. */
#define BRACKET_PASSES 3

typedef struct int_list {
    int64_t v[BENCH_MAX_LIST];
    int n;
} int_list;

typedef struct bench_opts {
    const char *models[BENCH_MAX_MODELS];
    int n_models;
    int_list p, n, ub, t;
    int64_t reps;
    int json;
    int roofline;
    int64_t roofline_mib;
    uint32_t kv_type;
    int no_repack;
    q_isa max_isa; /* --isa */
    rt_copy_matrices copy_matrices; /* --copy-matrices */
    rt_gemv_pick gemv;              /* --gemv */
} bench_opts;

static void bench_usage(FILE *out) {
    fputs("usage: hf2gguf bench -m MODEL.gguf [-m MODEL2.gguf ...] [options]\n"
          "  -m FILE             model to benchmark; repeat to compare files in one run (their runs\n"
          "                      are interleaved, and a second table gives each file's t/s over\n"
          "                      the first file's, paired by round)\n"
          "  -p N[,N...]         prompt tokens of the pp test (default 512; 0 = no pp test)\n"
          "  -n N[,N...]         generated tokens of the tg test (default 128; 0 = no tg test)\n"
          "  -ub N[,N...]        micro-batch sizes of the pp test (default 512)\n"
          "  -t N[,N...]         thread counts (default: online CPUs, at most 16)\n"
          "  -r N                repetitions of each test (default 5)\n"
          "  -o md|json          output format on stdout (default md)\n"
          "  --kv-type f32|f16   KV cache type (default f32; llama-bench's default is f16)\n"
          "  --roofline          also measure the streaming read bandwidth (best of one and of four\n"
          "                      sequential streams per thread) and print tg's GB/s as a fraction\n"
          "                      of it, read again just before and after every tg repetition\n"
          "                      (which leaves the caches cold for each one)\n"
          "  --roofline-mib N    size of the roofline buffer in MiB (default 1024)\n"
          "  --no-repack         read every tensor through the file mapping: Q8_0 matrices row by\n"
          "                      row instead of repacked into 16-row groups, norms and biases\n"
          "                      not copied out at load\n"
          CLI_COPY_MATRICES_HELP
          CLI_GEMV_HELP
          "  --isa TIER          use no kernels above TIER (ref, avx2, avxvnni, avx512; default: the\n"
          "                      best this CPU runs), e.g. to measure what an AVX2-only CPU runs\n"
          "Lists may also be given by repeating an option. A progress line goes to stderr when it\n"
          "is a terminal.\n",
          out);
}

/* Appends the comma-separated integers of s (each in [lo, hi]) to l. */
static int parse_list(const char *s, int64_t lo, int64_t hi, int_list *l) {
    char buf[32];
    for (const char *p = s;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0 || len >= sizeof buf || l->n >= BENCH_MAX_LIST) return 0;
        memcpy(buf, p, len);
        buf[len] = '\0';
        if (!cli_parse_int(buf, lo, hi, &l->v[l->n])) return 0;
        l->n++;
        if (!comma) return 1;
        p = comma + 1;
    }
}

static int parse_option(bench_opts *o, const char *name, const char *val) {
    if (!strcmp(name, "-m")) {
        if (o->n_models >= BENCH_MAX_MODELS || !*val) return 0;
        o->models[o->n_models++] = val;
    } else if (!strcmp(name, "-p")) return parse_list(val, 0, 1 << 20, &o->p);
    else if (!strcmp(name, "-n")) return parse_list(val, 0, 1 << 20, &o->n);
    else if (!strcmp(name, "-ub")) return parse_list(val, 1, 65536, &o->ub);
    else if (!strcmp(name, "-t")) return parse_list(val, 1, 1024, &o->t);
    else if (!strcmp(name, "-r")) return cli_parse_int(val, 1, 1000000, &o->reps);
    else if (!strcmp(name, "--roofline-mib")) return cli_parse_int(val, 1, 1 << 20, &o->roofline_mib);
    else if (!strcmp(name, "-o")) {
        if (!strcmp(val, "md")) o->json = 0;
        else if (!strcmp(val, "json")) o->json = 1;
        else return 0;
    } else if (!strcmp(name, "--kv-type")) {
        if (!strcmp(val, "f32")) o->kv_type = HF_TYPE_F32;
        else if (!strcmp(val, "f16")) o->kv_type = HF_TYPE_F16;
        else return 0;
    } else return -1;
    return 1;
}

static int parse_args(bench_opts *o, int argc, char **argv) {
    *o = (bench_opts){0};
    o->reps = 5;
    o->roofline_mib = 1024;
    o->kv_type = HF_TYPE_F32;
    o->max_isa = Q_ISA_BEST;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            bench_usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--roofline")) {
            o->roofline = 1;
            continue;
        }
        if (!strcmp(argv[i], "--no-repack")) {
            o->no_repack = 1;
            continue;
        }
        if (argv[i][0] != '-') {
            cli_error("bench: unexpected argument '%s' (models are given with -m FILE)", argv[i]);
            return 2;
        }
        if (i + 1 >= argc) {
            cli_error("bench: option %s needs a value", argv[i]);
            return 2;
        }
        if (!strcmp(argv[i], "--isa")) {
            if (!cli_parse_isa("bench", argv[++i], &o->max_isa)) return 2;
            continue;
        }
        if (!strcmp(argv[i], "--copy-matrices")) {
            if (!cli_parse_copy_matrices("bench", argv[++i], &o->copy_matrices)) return 2;
            continue;
        }
        if (!strcmp(argv[i], "--gemv")) {
            if (!cli_parse_gemv("bench", argv[++i], &o->gemv)) return 2;
            continue;
        }
        int r = parse_option(o, argv[i], argv[i + 1]);
        if (r < 0) cli_error("bench: unknown option %s", argv[i]);
        if (r == 0) cli_error("bench: bad value '%s' for %s", argv[i + 1], argv[i]);
        if (r <= 0) return 2;
        i++;
    }
    if (o->p.n == 0) o->p.v[o->p.n++] = 512;
    if (o->n.n == 0) o->n.v[o->n.n++] = 128;
    if (o->ub.n == 0) o->ub.v[o->ub.n++] = 512;
    if (o->t.n == 0) o->t.v[o->t.n++] = cli_default_threads();
    if (o->n_models == 0) {
        cli_error("bench: need at least one -m MODEL.gguf");
        bench_usage(stderr);
        return 2;
    }
    int any = 0;
    for (int i = 0; i < o->p.n; i++) any |= o->p.v[i] > 0;
    for (int i = 0; i < o->n.n; i++) any |= o->n.v[i] > 0;
    if (!any) {
        cli_error("bench: nothing to run: every -p and -n value is 0");
        return 2;
    }
    return -1; /* go on */
}

/* ==== Models ==== */

typedef struct bench_model {
    const char *path;
    rt_model *m;
    uint64_t size_bytes; /* all tensors' data */
    uint64_t n_params;   /* all tensors' elements */
    uint64_t read_bytes; /* weight bytes one generated token reads */
    uint32_t types[BENCH_MAX_TYPES]; /* matrix types, most bytes first */
    uint64_t type_bytes[BENCH_MAX_TYPES];
    int n_types;
    int32_t *tokens; /* the pseudo-random ids, max(p, n) of them */
    float *logits;   /* one row */
} bench_model;

static void add_matrix(bench_model *b, const rt_tensor *w) {
    if (!w->data) return;
    uint64_t bytes = (uint64_t)w->row_bytes * (uint64_t)w->ne1;
    b->read_bytes += bytes;
    int i = 0;
    while (i < b->n_types && b->types[i] != w->type) i++;
    if (i == b->n_types) {
        if (i == BENCH_MAX_TYPES) return;
        b->types[i] = w->type;
        b->type_bytes[i] = 0;
        b->n_types++;
    }
    b->type_bytes[i] += bytes;
}

/* The matrices one token's forward pass multiplies with: every layer's projections and the
 * output head (token_embd, when tied, is read whole as the head); plus the one token_embd row
 * the lookup reads. Norm weights and biases (vectors) are left out. */
static void model_summary(bench_model *b) {
    const rt_model *m = b->m;
    for (int64_t i = 0; i < gguf_n_tensors(m->file); i++) {
        const gguf_tensor *t = gguf_tensor_at(m->file, i);
        b->size_bytes += t->nbytes;
        b->n_params += (uint64_t)(t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3]);
    }
    for (int64_t l = 0; l < m->hp.n_layer; l++) {
        const rt_layer *L = &m->layers[l];
        if (L->qkv_fused) add_matrix(b, &L->wqkv);
        else {
            add_matrix(b, &L->wq);
            add_matrix(b, &L->wk);
            add_matrix(b, &L->wv);
        }
        add_matrix(b, &L->wo);
        add_matrix(b, &L->w_gate);
        add_matrix(b, &L->w_up);
        add_matrix(b, &L->w_down);
    }
    add_matrix(b, &m->output);
    b->read_bytes += m->tok_embd.row_bytes;
    for (int i = 1; i < b->n_types; i++) /* insertion sort, most bytes first */
        for (int j = i; j > 0 && b->type_bytes[j] > b->type_bytes[j - 1]; j--) {
            uint32_t t = b->types[j];
            uint64_t y = b->type_bytes[j];
            b->types[j] = b->types[j - 1], b->type_bytes[j] = b->type_bytes[j - 1];
            b->types[j - 1] = t, b->type_bytes[j - 1] = y;
        }
}

static const char *type_name(uint32_t t) {
    const hf_type_traits *tr = hf_type_info(t);
    return tr ? tr->name : "?";
}

static void types_str(const bench_model *b, char *out, size_t size) {
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < b->n_types && len < size; i++)
        len += (size_t)snprintf(out + len, size - len, "%s%s", i ? "+" : "", type_name(b->types[i]));
}

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* A fixed pseudo-random sequence (xorshift64*), the same for every run and file. */
static void fill_tokens(int32_t *ids, int64_t n, int64_t n_vocab) {
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (int64_t i = 0; i < n; i++) {
        s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
        ids[i] = (int32_t)(((s * 0x2545F4914F6CDD1Dull) >> 33) % (uint64_t)n_vocab);
    }
}

/* ==== Tests ==== */

typedef struct bench_test {
    int model;
    int is_tg;
    int64_t n_tokens;
    int64_t ub; /* 0 for tg */
    int threads;
    rt_ctx *ctx;
    double *secs; /* [reps] */
    double *roof; /* [reps] with --roofline, tg only: read GB/s around each repetition */
    int gemv_from; /* the test whose GEMV layouts this one reuses, or -1 (timed or fixed here) */
} bench_test;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One run from an empty cache; *secs = wall time of the decode calls. */
static hf_status run_test(bench_test *t, bench_model *b, double *secs, hf_err *err) {
    rt_ctx_reset(t->ctx);
    hf_status st = HF_OK;
    double t0 = now_s();
    if (!t->is_tg) st = rt_decode(t->ctx, b->tokens, t->n_tokens, b->logits, 0, err);
    else
        for (int64_t i = 0; st == HF_OK && i < t->n_tokens; i++) st = rt_decode(t->ctx, &b->tokens[i], 1, b->logits, 0, err);
    *secs = now_s() - t0;
    return st;
}

static void stats(const bench_test *t, int64_t reps, double *mean, double *sd) {
    double s = 0, s2 = 0;
    for (int64_t r = 0; r < reps; r++) s += (double)t->n_tokens / t->secs[r];
    *mean = s / (double)reps;
    for (int64_t r = 0; r < reps; r++) {
        double d = (double)t->n_tokens / t->secs[r] - *mean;
        s2 += d * d;
    }
    *sd = reps > 1 ? sqrt(s2 / (double)(reps - 1)) : 0.0;
}

/* The median, min and max over the repetitions of t's t/s over base's in the same round; v has
 * room for reps values. */
static void paired_ratio(const bench_test *t, const bench_test *base, int64_t reps, double *v, double *med, double *lo,
                         double *hi) {
    for (int64_t k = 0; k < reps; k++) v[k] = base->secs[k] / t->secs[k]; /* same n_tokens */
    for (int64_t i = 1; i < reps; i++) /* insertion sort: reps is small */
        for (int64_t j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double x = v[j];
            v[j] = v[j - 1], v[j - 1] = x;
        }
    *lo = v[0], *hi = v[reps - 1];
    *med = reps % 2 ? v[reps / 2] : (v[reps / 2 - 1] + v[reps / 2]) / 2;
}

/* ==== Roofline: streaming read bandwidth ==== */

typedef struct rl_job {
    const uint64_t *p;
    size_t n;
    int streams; /* 1 or 4 */
    uint64_t sum;
} rl_job;

static volatile uint64_t rl_sink;

/* Sums a slice as one stream, or as 4 streams over its quarters in step. Why both: which
 * pattern reads DRAM faster differs from one machine to the next (GEMV kernels have been tuned
 * both ways, quant_pack_avx512.c), and the roofline is the faster of the two. */
static void *rl_read(void *arg) {
    rl_job *j = arg;
    uint64_t a = 0, b = 0, c = 0, d = 0;
    size_t i = 0;
    if (j->streams == 4) {
        const size_t q = j->n / 4;
        const uint64_t *p0 = j->p, *p1 = p0 + q, *p2 = p1 + q, *p3 = p2 + q;
        for (; i < q; i++) {
            a += p0[i];
            b += p1[i];
            c += p2[i];
            d += p3[i];
        }
        i = 4 * q;
    } else
        for (; i + 4 <= j->n; i += 4) {
            a += j->p[i];
            b += j->p[i + 1];
            c += j->p[i + 2];
            d += j->p[i + 3];
        }
    for (; i < j->n; i++) a += j->p[i];
    j->sum = a + b + c + d;
    return NULL;
}

/* Best GB/s of `passes` passes of each read pattern of n_threads threads summing their
 * slices of buf. */
static double roofline_pass(const uint64_t *buf, size_t n_words, int n_threads, int passes) {
    pthread_t th[1024]; /* -t is at most 1024 */
    rl_job jobs[1024];
    double best = 0;
    for (int pass = 0; pass < 2 * passes; pass++) { /* one stream, then four, per thread */
        size_t per = n_words / (size_t)n_threads;
        for (int i = 0; i < n_threads; i++) {
            jobs[i].p = buf + (size_t)i * per;
            jobs[i].n = i == n_threads - 1 ? n_words - (size_t)i * per : per;
            jobs[i].streams = pass < passes ? 1 : 4;
        }
        double t0 = now_s();
        int started = 1;
        for (int i = 1; i < n_threads; i++, started++)
            if (pthread_create(&th[i], NULL, rl_read, &jobs[i]) != 0) break;
        rl_read(&jobs[0]);
        for (int i = started; i < n_threads; i++) rl_read(&jobs[i]); /* threads that did not start */
        for (int i = 1; i < started; i++) pthread_join(th[i], NULL);
        double dt = now_s() - t0;
        for (int i = 0; i < n_threads; i++) rl_sink += jobs[i].sum;
        double gbs = (double)(n_words * sizeof(uint64_t)) / dt / 1e9;
        if (gbs > best) best = gbs;
    }
    return best;
}

/* ==== Output ==== */

static void fmt_size(uint64_t bytes, char *out, size_t size) {
    if (bytes >= (1ull << 30)) snprintf(out, size, "%.2f GiB", (double)bytes / (double)(1ull << 30));
    else snprintf(out, size, "%.2f MiB", (double)bytes / (double)(1ull << 20));
}

static void fmt_params(uint64_t n, char *out, size_t size) {
    if (n >= 1000000000ull) snprintf(out, size, "%.2f B", (double)n / 1e9);
    else if (n >= 1000000ull) snprintf(out, size, "%.2f M", (double)n / 1e6);
    else snprintf(out, size, "%.2f K", (double)n / 1e3);
}

static void json_str(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

static void test_name(const bench_test *t, char *out, size_t size) {
    snprintf(out, size, "%s%lld", t->is_tg ? "tg" : "pp", (long long)t->n_tokens);
}

/* The CPU's model name from /proc/cpuinfo (Linux), or "unknown". */
static void cpu_name(char *out, size_t size) {
    snprintf(out, size, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10)) continue;
        const char *v = strchr(line, ':');
        if (!v) break;
        v++;
        while (*v == ' ' || *v == '\t') v++;
        snprintf(out, size, "%s", v);
        out[strcspn(out, "\n")] = '\0';
        break;
    }
    fclose(f);
}

typedef struct bench_run {
    const bench_opts *o;
    bench_model *models;
    bench_test *tests;
    int n_tests;
    int per_model;  /* tests per model: test c of model mi is tests[mi * per_model + c] */
    double *ratios; /* [reps] scratch for paired_ratio */
    rt_kernel_set ks;
    double roofline_gbs[BENCH_MAX_LIST]; /* per -t entry */
    uint64_t *rl_buf;                    /* the roofline buffer, kept for the bracketing reads */
    size_t rl_words;
} bench_run;

static int thread_index(const bench_opts *o, int threads) {
    for (int i = 0; i < o->t.n; i++)
        if (o->t.v[i] == threads) return i;
    return 0;
}

static double tg_gbs(const bench_run *r, const bench_test *t, double mean) {
    return (double)r->models[t->model].read_bytes * mean / 1e9;
}

/* Mean over the repetitions of tg's GB/s over the read bandwidth measured around it. */
static double paired_fraction(const bench_run *r, const bench_test *t) {
    double s = 0;
    for (int64_t k = 0; k < r->o->reps; k++) s += tg_gbs(r, t, (double)t->n_tokens / t->secs[k]) / t->roof[k];
    return s / (double)r->o->reps;
}

/* The kernel that multiplies a weight type: the packed one for repacked Q8_0 matrices. */
static const char *kernel_name(const bench_run *r, const bench_model *b, uint32_t type) {
    if (type == HF_TYPE_Q8_0 && b->m->n_packed_tensors > 0) return r->ks.packed->impl;
    return r->ks.dot[type] ? r->ks.dot[type]->impl : "none";
}

/* The first test of model mi at each thread count: where its GEMV layouts are reported. */
static const bench_test *first_test_at(const bench_run *r, int mi, int threads) {
    for (int i = 0; i < r->n_tests; i++)
        if (r->tests[i].model == mi && r->tests[i].threads == threads) return &r->tests[i];
    return NULL;
}

static void print_gemv_md(const bench_run *r, int mi) {
    for (int i = 0; i < r->o->t.n; i++) {
        const bench_test *t = first_test_at(r, mi, (int)r->o->t.v[i]);
        char text[512];
        if (!t || !*rt_gemv_report_text(rt_ctx_gemv(t->ctx), text, sizeof text)) continue;
        printf("    GEMV layouts at %d thread%s (--gemv %s): %s", t->threads, t->threads == 1 ? "" : "s",
               rt_gemv_pick_name(r->o->gemv), text);
        const int from = t->gemv_from >= 0 ? r->tests[t->gemv_from].model : mi;
        if (from != mi) printf(", as for %s (the same matrices)", r->models[from].path);
        printf("\n");
    }
}

/* Each later file's t/s over the first file's, paired by round. */
static void print_paired_md(const bench_run *r) {
    const bench_opts *o = r->o;
    printf("\nt/s over %s's in the same round (median, min and max over the %lld rounds; a round runs the"
           " files back to back, in reversed order every other round):\n\n",
           r->models[0].path, (long long)o->reps);
    printf("| model | qkv | threads | n_ubatch | test | ratio | min | max |\n");
    printf("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (int i = r->per_model; i < r->n_tests; i++) {
        const bench_test *t = &r->tests[i];
        const bench_model *b = &r->models[t->model];
        char name[32], ub[32];
        test_name(t, name, sizeof name);
        if (t->is_tg) snprintf(ub, sizeof ub, "-");
        else snprintf(ub, sizeof ub, "%lld", (long long)t->ub);
        double med, lo, hi;
        paired_ratio(t, &r->tests[i % r->per_model], o->reps, r->ratios, &med, &lo, &hi);
        printf("| %s | %s | %d | %s | %s | %.3f | %.3f | %.3f |\n", b->path, b->m->layers[0].qkv_fused ? "fused" : "separate",
               t->threads, ub, name, med, lo, hi);
    }
}

static void print_md(const bench_run *r) {
    const bench_opts *o = r->o;
    char cpu[256];
    cpu_name(cpu, sizeof cpu);
    char tier[32];
    printf("hf2gguf bench: CPU %s, %ld online; kernels up to %s; KV cache %s; %lld repetitions after 1 warm-up run\n",
           cpu, sysconf(_SC_NPROCESSORS_ONLN), cli_tier_label(o->max_isa, tier, sizeof tier),
           o->kv_type == HF_TYPE_F16 ? "f16" : "f32", (long long)o->reps);
    for (int i = 0; i < o->n_models; i++) {
        const bench_model *b = &r->models[i];
        printf("  %s: %s, %lld layers, qkv %s, kernels", b->path, b->m->arch, (long long)b->m->hp.n_layer,
               b->m->layers[0].qkv_fused ? "fused" : "separate");
        for (int k = 0; k < b->n_types; k++)
            printf("%s %s=%s", k ? "," : "", type_name(b->types[k]), kernel_name(r, b, b->types[k]));
        if (b->m->n_packed_tensors > 0)
            printf("; %lld Q8_0 matrices repacked into 16-row groups at load (%.2f MiB, %s)",
                   (long long)b->m->n_packed_tensors, (double)b->m->packed_bytes / (double)(1u << 20),
                   rt_packed_pages_text(b->m));
        if (b->m->n_copied_tensors > 0)
            printf("; %lld norm and bias tensors copied out of the mapping (%.1f KiB)", (long long)b->m->n_copied_tensors,
                   (double)b->m->copied_bytes / 1024.0);
        if (b->m->n_matrix_copies > 0)
            printf("; %lld matrices %s (%.2f MiB)", (long long)b->m->n_matrix_copies,
                   rt_matrix_place_text(b->m->matrices), (double)b->m->matrix_bytes / (double)(1u << 20));
        else if (b->m->matrices != RT_MATRICES_NONE)
            printf("; matrices %s", rt_matrix_place_text(b->m->matrices));
        printf("; weights read per generated token %.2f MiB\n", (double)b->read_bytes / (double)(1u << 20));
        print_gemv_md(r, i);
    }
    if (o->roofline) {
        printf("  roofline: streaming read of %lld MiB, best of %d passes:", (long long)o->roofline_mib, ROOFLINE_PASSES);
        for (int i = 0; i < o->t.n; i++)
            printf("%s %lld thread%s %.2f GB/s", i ? "," : "", (long long)o->t.v[i], o->t.v[i] == 1 ? "" : "s",
                   r->roofline_gbs[i]);
        printf("; a tg row's roofline is its GB/s over the reads measured just before and after each repetition"
               " (mean over the repetitions; -o json also gives the fraction of the best above)\n");
    }
    printf("\n| model | size | params | type | qkv | threads | n_ubatch | test | t/s | GB/s |%s\n",
           o->roofline ? " roofline |" : "");
    printf("| --- | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |%s\n", o->roofline ? " ---: |" : "");
    for (int i = 0; i < r->n_tests; i++) {
        const bench_test *t = &r->tests[i];
        const bench_model *b = &r->models[t->model];
        char size[32], params[32], types[64], name[32], ub[32];
        fmt_size(b->size_bytes, size, sizeof size);
        fmt_params(b->n_params, params, sizeof params);
        types_str(b, types, sizeof types);
        test_name(t, name, sizeof name);
        if (t->is_tg) snprintf(ub, sizeof ub, "-");
        else snprintf(ub, sizeof ub, "%lld", (long long)t->ub);
        double mean, sd;
        stats(t, o->reps, &mean, &sd);
        printf("| %s | %s | %s | %s | %s | %d | %s | %s | %.2f ± %.2f |", b->path, size, params, types,
               b->m->layers[0].qkv_fused ? "fused" : "separate", t->threads, ub, name, mean, sd);
        if (t->is_tg) printf(" %.2f |", tg_gbs(r, t, mean));
        else printf(" - |");
        if (o->roofline) {
            if (t->is_tg) printf(" %.1f%% |", 100.0 * paired_fraction(r, t));
            else printf(" - |");
        }
        printf("\n");
    }
    if (o->n_models > 1) print_paired_md(r);
}

/* {"f16": {"layout": "many", "streams": 4, "timed_ms": [few, many]}, ...}; timed_ms null when
 * the layout was not timed. */
static void print_gemv_json(const rt_gemv_report *g) {
    printf("{");
    int n = 0;
    for (uint32_t k = 0; k < RT_GEMV_KINDS; k++) {
        const rt_gemv_choice *c = &g->kind[k];
        if (!c->present) continue;
        printf("%s\"%s\": {\"layout\": \"%s\", \"streams\": %d, \"timed_ms\": ", n++ ? ", " : "",
               k == RT_GEMV_PACKED ? "q8_0_groups" : type_name(k), q_gemv_layout_name(c->layout), c->streams);
        if (c->timed) printf("[%.4f, %.4f]", c->ms[Q_GEMV_FEW], c->ms[Q_GEMV_MANY]);
        else printf("null");
        printf(", \"reused\": %s}", c->reused ? "true" : "false");
    }
    printf("}");
}

static void print_json(const bench_run *r) {
    const bench_opts *o = r->o;
    char cpu[256];
    cpu_name(cpu, sizeof cpu);
    printf("{\n  \"cpu\": ");
    json_str(cpu);
    printf(",\n  \"n_cpus_online\": %ld,\n  \"max_isa\": \"%s\",\n  \"kv_type\": \"%s\",\n  \"repetitions\": %lld,\n"
           "  \"warmup_runs\": 1,\n",
           sysconf(_SC_NPROCESSORS_ONLN), q_isa_name(q_cpu_top_isa(o->max_isa)), o->kv_type == HF_TYPE_F16 ? "f16" : "f32",
           (long long)o->reps);
    printf("  \"roofline\": ");
    if (!o->roofline) printf("null");
    else {
        printf("{\"buffer_bytes\": %llu, \"passes\": %d, \"bracket_passes\": %d, \"gb_per_s\": [",
               (unsigned long long)o->roofline_mib << 20, ROOFLINE_PASSES, BRACKET_PASSES);
        for (int i = 0; i < o->t.n; i++)
            printf("%s{\"n_threads\": %lld, \"gb_per_s\": %.4f}", i ? ", " : "", (long long)o->t.v[i], r->roofline_gbs[i]);
        printf("]}");
    }
    printf(",\n  \"models\": [\n");
    for (int i = 0; i < o->n_models; i++) {
        const bench_model *b = &r->models[i];
        printf("    {\"file\": ");
        json_str(b->path);
        printf(", \"arch\": ");
        json_str(b->m->arch);
        printf(", \"n_layer\": %lld, \"qkv\": \"%s\", \"size_bytes\": %llu, \"n_params\": %llu, "
               "\"weight_bytes_per_token\": %llu, \"repacked_matrices\": %lld, \"repacked_bytes\": %llu, "
               "\"repacked_huge_pages\": %s, "
               "\"copied_tensors\": %lld, \"copied_bytes\": %llu, \"copied_matrices\": %lld, "
               "\"copied_matrix_bytes\": %llu, \"matrices\": \"%s\", \"kernels\": {",
               (long long)b->m->hp.n_layer, b->m->layers[0].qkv_fused ? "fused" : "separate",
               (unsigned long long)b->size_bytes, (unsigned long long)b->n_params, (unsigned long long)b->read_bytes,
               (long long)b->m->n_packed_tensors, (unsigned long long)b->m->packed_bytes,
               b->m->packed_huge ? "true" : "false",
               (long long)b->m->n_copied_tensors, (unsigned long long)b->m->copied_bytes,
               (long long)b->m->n_matrix_copies, (unsigned long long)b->m->matrix_bytes,
               rt_matrix_place_text(b->m->matrices));
        for (int k = 0; k < b->n_types; k++)
            printf("%s\"%s\": \"%s\"", k ? ", " : "", type_name(b->types[k]), kernel_name(r, b, b->types[k]));
        printf("}}%s\n", i + 1 < o->n_models ? "," : "");
    }
    printf("  ],\n  \"results\": [\n");
    for (int i = 0; i < r->n_tests; i++) {
        const bench_test *t = &r->tests[i];
        const bench_model *b = &r->models[t->model];
        char name[32], types[64];
        test_name(t, name, sizeof name);
        types_str(b, types, sizeof types);
        double mean, sd;
        stats(t, o->reps, &mean, &sd);
        printf("    {\"model\": ");
        json_str(b->path);
        printf(", \"model_file\": ");
        json_str(base_name(b->path));
        printf(", \"type\": \"%s\", \"qkv\": \"%s\", \"test\": \"%s\", \"n_prompt\": %lld, \"n_gen\": %lld, "
               "\"n_threads\": %d, \"n_ubatch\": ",
               types, b->m->layers[0].qkv_fused ? "fused" : "separate", name, t->is_tg ? 0LL : (long long)t->n_tokens,
               t->is_tg ? (long long)t->n_tokens : 0LL, t->threads);
        if (t->is_tg) printf("null");
        else printf("%lld", (long long)t->ub);
        printf(", \"samples_ns\": [");
        for (int64_t k = 0; k < o->reps; k++) printf("%s%.0f", k ? ", " : "", t->secs[k] * 1e9);
        printf("], \"samples_ts\": [");
        for (int64_t k = 0; k < o->reps; k++) printf("%s%.4f", k ? ", " : "", (double)t->n_tokens / t->secs[k]);
        printf("], \"avg_ts\": %.4f, \"stddev_ts\": %.4f, \"gemv\": ", mean, sd);
        print_gemv_json(rt_ctx_gemv(t->ctx));
        printf(", \"gemv_from\": ");
        if (t->gemv_from >= 0) json_str(r->models[r->tests[t->gemv_from].model].path);
        else printf("null");
        printf(", \"vs_first\": ");
        if (t->model == 0) printf("null");
        else {
            double med, lo, hi;
            paired_ratio(t, &r->tests[i % r->per_model], o->reps, r->ratios, &med, &lo, &hi);
            printf("{\"median\": %.6f, \"min\": %.6f, \"max\": %.6f}", med, lo, hi);
        }
        if (t->is_tg) {
            double g = tg_gbs(r, t, mean);
            printf(", \"gb_per_s\": %.4f", g);
            if (o->roofline) {
                printf(", \"roofline_samples_gb_per_s\": [");
                for (int64_t k = 0; k < o->reps; k++) printf("%s%.4f", k ? ", " : "", t->roof[k]);
                printf("], \"roofline_fraction\": %.6f, \"roofline_fraction_of_best\": %.6f", paired_fraction(r, t),
                       g / r->roofline_gbs[thread_index(o, t->threads)]);
            }
        }
        printf("}%s\n", i + 1 < r->n_tests ? "," : "");
    }
    printf("  ]\n}\n");
}

/* ==== Driver ==== */

static void progress(int on, const char *what, int done, int total, const bench_test *t, const bench_model *b) {
    if (!on) return;
    if (!t) {
        fputs("\r\033[K", stderr);
        return;
    }
    char name[32];
    test_name(t, name, sizeof name);
    fprintf(stderr, "\r\033[Khf2gguf bench: %s %d/%d: %s %s t=%d", what, done + 1, total, base_name(b->path), name,
            t->threads);
    if (!t->is_tg) fprintf(stderr, " ub=%lld", (long long)t->ub);
    fflush(stderr);
}

/* Whether two models multiply the same matrices as far as GEMV timing can tell: the same
 * weight types with the same bytes, repacked and placed alike (one file, or twins such as the
 * fused and unfused conversions of one checkpoint). Bytes, not tensor counts: a fused file
 * holds one QKV matrix per layer where its twin holds three. */
static int same_matrices(const bench_model *a, const bench_model *b) {
    if (a == b) return 1;
    if (a->n_types != b->n_types || a->read_bytes != b->read_bytes || a->m->packed_bytes != b->m->packed_bytes ||
        a->m->matrices != b->m->matrices ||
        a->m->matrix_bytes != b->m->matrix_bytes)
        return 0;
    for (int i = 0; i < a->n_types; i++)
        if (a->types[i] != b->types[i] || a->type_bytes[i] != b->type_bytes[i]) return 0;
    return 1;
}

/* The first earlier test, at the same thread count, of a model with the same matrices as test
 * i's, whose timed GEMV layouts it reuses; -1 when there is none (then it times its own). */
static int gemv_donor(const bench_run *r, int i) {
    const bench_test *t = &r->tests[i];
    for (int j = 0; j < i; j++) {
        const bench_test *d = &r->tests[j];
        if (d->threads == t->threads && d->gemv_from < 0 && same_matrices(&r->models[d->model], &r->models[t->model]))
            return j;
    }
    return -1;
}

static hf_status build_tests(bench_run *r, hf_err *err) {
    const bench_opts *o = r->o;
    int per_model = 0;
    for (int ti = 0; ti < o->t.n; ti++) {
        for (int pi = 0; pi < o->p.n; pi++) per_model += o->p.v[pi] > 0 ? o->ub.n : 0;
        for (int ni = 0; ni < o->n.n; ni++) per_model += o->n.v[ni] > 0;
    }
    r->per_model = per_model;
    r->n_tests = per_model * o->n_models;
    r->tests = calloc((size_t)r->n_tests, sizeof *r->tests);
    r->ratios = malloc((size_t)o->reps * sizeof *r->ratios);
    if (!r->tests || !r->ratios) return hf_fail(err, HF_ERR_NOMEM, "out of memory");
    int k = 0;
    for (int mi = 0; mi < o->n_models; mi++)
        for (int ti = 0; ti < o->t.n; ti++) {
            for (int pi = 0; pi < o->p.n; pi++)
                for (int ui = 0; o->p.v[pi] > 0 && ui < o->ub.n; ui++)
                    r->tests[k++] = (bench_test){mi, 0, o->p.v[pi], o->ub.v[ui], (int)o->t.v[ti], NULL, NULL, NULL, -1};
            for (int ni = 0; ni < o->n.n; ni++)
                if (o->n.v[ni] > 0) r->tests[k++] = (bench_test){mi, 1, o->n.v[ni], 0, (int)o->t.v[ti], NULL, NULL, NULL, -1};
        }
    for (int i = 0; i < r->n_tests; i++) {
        bench_test *t = &r->tests[i];
        rt_ctx_params cp = rt_ctx_default_params();
        cp.n_ctx = t->n_tokens;
        cp.n_ubatch = t->is_tg ? 1 : t->ub;
        cp.kv_type = o->kv_type;
        cp.max_isa = o->max_isa;
        cp.gemv = o->gemv;
        cp.n_threads = t->threads;
        t->gemv_from = o->gemv == RT_GEMV_TIMED ? gemv_donor(r, i) : -1;
        if (t->gemv_from >= 0) cp.gemv_from = rt_ctx_gemv(r->tests[t->gemv_from].ctx);
        t->secs = calloc((size_t)o->reps, sizeof *t->secs);
        if (!t->secs) return hf_fail(err, HF_ERR_NOMEM, "out of memory");
        if (o->roofline && t->is_tg && !(t->roof = calloc((size_t)o->reps, sizeof *t->roof)))
            return hf_fail(err, HF_ERR_NOMEM, "out of memory");
        hf_status st = rt_ctx_new(&t->ctx, r->models[t->model].m, &cp, err);
        if (st != HF_OK) return st;
    }
    return HF_OK;
}

static hf_status load_models(bench_run *r, hf_err *err) {
    const bench_opts *o = r->o;
    int64_t max_tokens = 1;
    for (int i = 0; i < o->p.n; i++) max_tokens = o->p.v[i] > max_tokens ? o->p.v[i] : max_tokens;
    for (int i = 0; i < o->n.n; i++) max_tokens = o->n.v[i] > max_tokens ? o->n.v[i] : max_tokens;
    r->models = calloc((size_t)o->n_models, sizeof *r->models);
    if (!r->models) return hf_fail(err, HF_ERR_NOMEM, "out of memory");
    for (int i = 0; i < o->n_models; i++) {
        bench_model *b = &r->models[i];
        b->path = o->models[i];
        rt_model_params mp = rt_model_default_params();
        mp.repack = !o->no_repack;
        mp.copy_matrices = o->copy_matrices;
        hf_status st = rt_model_load_with(&b->m, b->path, &mp, err);
        if (st != HF_OK) return st;
        model_summary(b);
        b->tokens = malloc((size_t)max_tokens * sizeof *b->tokens);
        b->logits = malloc((size_t)b->m->hp.n_vocab * sizeof *b->logits);
        if (!b->tokens || !b->logits) return hf_fail(err, HF_ERR_NOMEM, "out of memory");
        fill_tokens(b->tokens, max_tokens, b->m->hp.n_vocab);
    }
    return HF_OK;
}

static hf_status measure_roofline(bench_run *r, int show, hf_err *err) {
    const bench_opts *o = r->o;
    size_t bytes = (size_t)o->roofline_mib << 20;
    /* In huge pages where the kernel offers them, as the weights are (rt_repack.h): the
     * roofline is the best read the machine gives, and reads from 4 KiB pages vary more here. */
    r->rl_buf = hf_huge_alloc(bytes, NULL);
    if (!r->rl_buf) return hf_fail(err, HF_ERR_NOMEM, "roofline: cannot allocate %lld MiB", (long long)o->roofline_mib);
    r->rl_words = bytes / sizeof(uint64_t);
    /* Fault every page in before timing, with distinct contents: pages of one repeated byte
     * could be merged by a hypervisor's same-page sharing, which no weight matrix is. */
    for (size_t i = 0; i < r->rl_words; i++) r->rl_buf[i] = (uint64_t)i * 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < o->t.n; i++) {
        if (show) fprintf(stderr, "\r\033[Khf2gguf bench: roofline, %lld threads", (long long)o->t.v[i]);
        r->roofline_gbs[i] = roofline_pass(r->rl_buf, r->rl_words, (int)o->t.v[i], ROOFLINE_PASSES);
    }
    return HF_OK;
}

/* One timed repetition; with --roofline a tg run is bracketed by reads of the roofline buffer
 * with its thread count, whose mean is the bandwidth that repetition is compared with. */
static hf_status timed_run(bench_run *r, bench_test *t, int round, hf_err *err) {
    const int bracket = r->o->roofline && t->is_tg;
    double before = bracket ? roofline_pass(r->rl_buf, r->rl_words, t->threads, BRACKET_PASSES) : 0, secs;
    hf_status st = run_test(t, &r->models[t->model], &secs, err);
    if (st != HF_OK) return st;
    t->secs[round] = secs > 1e-9 ? secs : 1e-9;
    if (bracket) t->roof[round] = (before + roofline_pass(r->rl_buf, r->rl_words, t->threads, BRACKET_PASSES)) / 2;
    return HF_OK;
}

static hf_status bench(const bench_opts *o, hf_err *err) {
    bench_run r = {0};
    r.o = o;
    rt_kernels_pick(&r.ks, o->max_isa);
    const int show = isatty(STDERR_FILENO);
    hf_status st = load_models(&r, err);
    if (st == HF_OK) st = build_tests(&r, err);
    if (st == HF_OK && o->roofline) st = measure_roofline(&r, show, err);
    /* Execution order: configurations outer, models inner, so the files of one configuration
     * run back to back in every round; every other round in reverse, so that no file always
     * runs first (right after another configuration) or last. */
    const int per_model = r.per_model;
    const int total = r.n_tests;
    for (int round = -1; st == HF_OK && round < o->reps; round++) { /* round -1: warm-up */
        for (int c = 0; st == HF_OK && c < per_model; c++)
            for (int k = 0; st == HF_OK && k < o->n_models; k++) {
                const int mi = round > 0 && round % 2 ? o->n_models - 1 - k : k; /* rounds 1, 3, ...: reversed */
                bench_test *t = &r.tests[mi * per_model + c];
                if (round < 0) {
                    progress(show, "warm-up", c * o->n_models + k, total, t, &r.models[mi]);
                    double secs;
                    st = run_test(t, &r.models[mi], &secs, err);
                } else {
                    char what[64];
                    snprintf(what, sizeof what, "rep %d/%lld, run", round + 1, (long long)o->reps);
                    progress(show, what, c * o->n_models + k, total, t, &r.models[mi]);
                    st = timed_run(&r, t, round, err);
                }
            }
    }
    progress(show, NULL, 0, 0, NULL, NULL);
    if (st == HF_OK) {
        if (o->json) print_json(&r);
        else print_md(&r);
        if (fflush(stdout) != 0 || ferror(stdout)) st = hf_fail(err, HF_ERR_IO, "writing to stdout failed");
    }
    for (int i = 0; i < r.n_tests && r.tests; i++) {
        rt_ctx_free(r.tests[i].ctx);
        free(r.tests[i].secs);
        free(r.tests[i].roof);
    }
    free(r.tests);
    free(r.ratios);
    for (int i = 0; i < o->n_models && r.models; i++) {
        rt_model_free(r.models[i].m);
        free(r.models[i].tokens);
        free(r.models[i].logits);
    }
    free(r.models);
    free(r.rl_buf);
    return st;
}

int cmd_bench(int argc, char **argv) {
    bench_opts o;
    int r = parse_args(&o, argc, argv);
    if (r >= 0) return r;
    hf_err err = {0};
    if (bench(&o, &err) != HF_OK) {
        cli_error("bench: %s", err.msg);
        return 1;
    }
    return 0;
}
