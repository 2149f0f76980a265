/* bench_convert: conversion throughput and peak memory of `hf2gguf convert`.
 *
 *   bench_convert MODEL_DIR [--outtype T] [--fuse-qkv] [--threads N[,N...]] [--reps R] [--out DIR]
 *
 * Each run happens in a forked child, so its peak RSS (getrusage via wait4) is
 * its own. One line per run:
 *   convert outtype=q8_0 fused=1 threads=2 rep=0 secs=1.234 cpu_secs=2.1 in_MiB=848.0 out_MiB=451.2
 *           in_MiB/s=687.2 peak_rss_MiB=140.3 largest_tensor_MiB=125.0
 * largest_tensor_MiB is the biggest output tensor (peak RSS should stay below
 * it: data is streamed in chunks); in_MiB is the checkpoint's tensor bytes;
 * cpu_secs (user + system) is the figure to trust on a busy machine. A big synthetic checkpoint:
 *   mktiny /tmp/big --layers 8 --embd 2048 --heads 16 --kv-heads 4 --ff 5632 --vocab 32000 \
 *          --dtype bf16 --tokenizer-from ../shared/models/stories260K-hf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "convert/conv.h"
#include "gguf/gguf.h"
#include "safetensors/st.h"
#include "tokx/tokx.h"

static hf_status write_vocab(gguf_writer *w, const char *dir, const cJSON *cfg, void *ctx, hf_err *err) {
    return tokx_write_vocab(w, dir, cfg, (const tokx_opts *)ctx, err);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Checkpoint tensor bytes, and the largest output tensor from a finished file. */
static double input_mib(const char *dir) {
    st_model *m = NULL;
    hf_err e;
    if (st_model_open(&m, dir, &e) != HF_OK) return 0;
    double b = 0;
    for (size_t i = 0; i < st_model_n_tensors(m); i++) b += (double)st_model_tensor(m, i)->nbytes;
    st_model_close(m);
    return b / (1024.0 * 1024.0);
}

static double largest_tensor_mib(const char *path) {
    gguf_file *f = NULL;
    hf_err e;
    if (gguf_open(&f, path, &e) != HF_OK) return 0;
    uint64_t best = 0;
    for (int64_t i = 0; i < gguf_n_tensors(f); i++)
        if (gguf_tensor_at(f, i)->nbytes > best) best = gguf_tensor_at(f, i)->nbytes;
    gguf_close(f);
    return (double)best / (1024.0 * 1024.0);
}

/* The child: one conversion; exit code 0/1. */
static int run_child(conv_opts *o) {
    tokx_opts tok = {NULL};
    o->write_vocab = write_vocab;
    o->vocab_ctx = &tok;
    conv_result r;
    hf_err err = {0};
    if (conv_run(o, &r, &err) != HF_OK) {
        fprintf(stderr, "bench_convert: %s\n", err.msg);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *dir = NULL, *outdir = "/tmp", *threads = "1";
    int reps = 1;
    conv_opts o;
    memset(&o, 0, sizeof o);
    o.outtype = CONV_OUT_Q8_0;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--outtype") && v) o.outtype = (conv_outtype)conv_outtype_parse(argv[++i]);
        else if (!strcmp(argv[i], "--fuse-qkv")) o.fuse_qkv = 1;
        else if (!strcmp(argv[i], "--threads") && v) threads = argv[++i];
        else if (!strcmp(argv[i], "--reps") && v) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--out") && v) outdir = argv[++i];
        else if (argv[i][0] != '-' && !dir) dir = argv[i];
        else {
            fputs("usage: bench_convert MODEL_DIR [--outtype T] [--fuse-qkv] [--threads N[,N...]] [--reps R] [--out DIR]\n",
                  stderr);
            return 2;
        }
    }
    if (!dir || (int)o.outtype < 0) return 2;
    char out[4096];
    snprintf(out, sizeof out, "%s/bench_convert.%d.gguf", outdir, (int)getpid());
    o.model_dir = dir;
    o.outfile = out;
    double in_mib = input_mib(dir);
    char *list = strdup(threads), *save = NULL;
    static const char *const NAMES[] = {"auto", "f32", "f16", "bf16", "q8_0"};
    for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        o.n_threads = atoi(t);
        for (int r = 0; r < reps; r++) {
            double t0 = now();
            pid_t pid = fork();
            if (pid == 0) _exit(run_child(&o));
            int st = 0;
            struct rusage ru;
            if (pid < 0 || wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                fprintf(stderr, "bench_convert: conversion failed\n");
                free(list);
                return 1;
            }
            double secs = now() - t0;
            struct stat sb;
            double out_mib = stat(out, &sb) == 0 ? (double)sb.st_size / (1024.0 * 1024.0) : 0;
            double cpu = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
                         (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
            printf("convert outtype=%s fused=%d threads=%d rep=%d secs=%.3f cpu_secs=%.3f in_MiB=%.1f out_MiB=%.1f "
                   "in_MiB/s=%.1f peak_rss_MiB=%.1f largest_tensor_MiB=%.1f\n",
                   NAMES[o.outtype], o.fuse_qkv, o.n_threads, r, secs, cpu, in_mib, out_mib, in_mib / secs,
                   (double)ru.ru_maxrss / 1024.0, largest_tensor_mib(out));
            fflush(stdout);
        }
    }
    unlink(out);
    free(list);
    return 0;
}
