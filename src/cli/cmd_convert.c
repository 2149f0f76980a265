/* cmd_convert: `hf2gguf convert MODEL_DIR [options]`, HF checkpoint -> GGUF. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "convert/conv.h"
#include "tokx/tokx.h"

static void convert_usage(FILE *out) {
    fputs("usage: hf2gguf convert MODEL_DIR [options]\n"
          "\n"
          "Convert a Hugging Face checkpoint (config.json + safetensors) to GGUF, byte for byte\n"
          "as llama.cpp's convert_hf_to_gguf.py (v0.5.0) does for the same arguments.\n"
          "\n"
          "options:\n"
          "  --outfile PATH         output file (default: <Name>-<size>-<TYPE>.gguf inside MODEL_DIR;\n"
          "                         a directory gets the default name; {ftype} is replaced by the type)\n"
          "  --outtype TYPE         f32, f16, bf16, q8_0 or auto (default auto: the checkpoint's\n"
          "                         16-bit type, F16 for an all-F32 checkpoint)\n"
          "  --fuse-qkv             write each layer's Q, K, V as one blk.N.attn_qkv tensor\n"
          "  --qkv-bias MODE        with --fuse-qkv: 'fused' (attn_qkv.bias, default) or 'separate'\n"
          "                         (keep attn_q/k/v.bias beside the fused weight)\n"
          "  --vocab-only           write only the metadata and tokenizer, no tensors\n"
          "  --alignment N          align the tensor data and every tensor to N bytes (a power of two,\n"
          "                         1 to 1048576; llama.cpp needs >= 32) and write general.alignment = N.\n"
          "                         Default 32, GGUF's default, which llama.cpp writes without the key;\n"
          "                         --alignment 32 does the same\n"
          "  --vocab-pre NAME       force tokenizer.ggml.pre (for BPE tokenizers we do not recognise)\n"
          "  --threads N            conversion threads (default: online CPUs)\n"
          "  -h, --help             this help\n",
          out);
}

typedef struct cli_opts {
    conv_opts conv;
    tokx_opts tok;
} cli_opts;

static hf_status write_vocab(gguf_writer *w, const char *model_dir, const cJSON *config, void *ctx, hf_err *err) {
    return tokx_write_vocab(w, model_dir, config, (const tokx_opts *)ctx, err);
}

typedef struct progress_state {
    struct timespec t0;
} progress_state;

static double seconds_since(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

static void progress_bar(void *ctx, int64_t i, int64_t n, const char *name, uint64_t done, uint64_t total) {
    progress_state *ps = ctx;
    double secs = seconds_since(&ps->t0);
    double mib = (double)done / (1024.0 * 1024.0);
    int width = 24, fill = total ? (int)((double)width * (double)done / (double)total) : width;
    char bar[32];
    for (int k = 0; k < width; k++) bar[k] = k < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r[%s] %lld/%lld %-28.28s %8.1f MiB %7.1f MiB/s", bar, (long long)i, (long long)n, name, mib,
            secs > 0 ? mib / secs : 0.0);
    if (i == n) fputc('\n', stderr);
    fflush(stderr);
}

static int parse_threads(const char *s, int *out) {
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !end || *end || v < 1 || v > 4096) return 0;
    *out = (int)v;
    return 1;
}

/* Returns 0 on success, 2 on a usage error (message printed), -1 for --help. */
static int parse_args(int argc, char **argv, cli_opts *o) {
    memset(o, 0, sizeof *o);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    o->conv.n_threads = ncpu > 0 ? (int)ncpu : 1;
    o->conv.outtype = CONV_OUT_AUTO;
    o->conv.qkv_bias = GGUF_QKV_BIAS_FUSED;
    int qkv_bias_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = !strcmp(a, "--outfile") || !strcmp(a, "--outtype") || !strcmp(a, "--qkv-bias") ||
                    !strcmp(a, "--vocab-pre") || !strcmp(a, "--threads") || !strcmp(a, "--alignment");
        if (takes && !val) {
            cli_error("convert: option %s needs a value", a);
            return 2;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return -1;
        else if (!strcmp(a, "--outfile")) o->conv.outfile = val;
        else if (!strcmp(a, "--outtype")) {
            int t = conv_outtype_parse(val);
            if (t < 0) {
                cli_error("convert: --outtype '%s': expected f32, f16, bf16, q8_0 or auto", val);
                return 2;
            }
            o->conv.outtype = (conv_outtype)t;
        } else if (!strcmp(a, "--fuse-qkv")) o->conv.fuse_qkv = 1;
        else if (!strcmp(a, "--qkv-bias")) {
            int mode = gguf_qkv_bias_parse(val);
            if (mode < 0) {
                cli_error("convert: --qkv-bias '%s': expected 'fused' or 'separate'", val);
                return 2;
            }
            o->conv.qkv_bias = (gguf_qkv_bias)mode;
            qkv_bias_given = 1;
        } else if (!strcmp(a, "--vocab-only")) o->conv.vocab_only = 1;
        else if (!strcmp(a, "--alignment")) {
            if (!cli_parse_alignment(val, &o->conv.alignment)) {
                cli_error("convert: --alignment '%s': expected a power of two from 1 to %u", val, CLI_MAX_ALIGNMENT);
                return 2;
            }
            cli_warn_small_alignment("convert", o->conv.alignment);
        }
        else if (!strcmp(a, "--vocab-pre")) o->tok.vocab_pre = val;
        else if (!strcmp(a, "--threads")) {
            if (!parse_threads(val, &o->conv.n_threads)) {
                cli_error("convert: --threads '%s': expected an integer from 1 to 4096", val);
                return 2;
            }
        } else if (a[0] == '-') {
            cli_error("convert: unknown option '%s' (see hf2gguf convert --help)", a);
            return 2;
        } else if (!o->conv.model_dir) {
            o->conv.model_dir = a;
            continue;
        } else {
            cli_error("convert: unexpected argument '%s' (one MODEL_DIR expected)", a);
            return 2;
        }
        if (takes) i++;
    }
    if (!o->conv.model_dir) {
        cli_error("convert: missing MODEL_DIR (see hf2gguf convert --help)");
        return 2;
    }
    if (qkv_bias_given && !o->conv.fuse_qkv) {
        cli_error("convert: --qkv-bias only applies with --fuse-qkv");
        return 2;
    }
    return 0;
}

int cmd_convert(int argc, char **argv) {
    cli_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc < 0) {
        convert_usage(stdout);
        return 0;
    }
    if (rc) return rc;
    progress_state ps;
    clock_gettime(CLOCK_MONOTONIC, &ps.t0);
    o.conv.write_vocab = write_vocab;
    o.conv.vocab_ctx = &o.tok;
    if (isatty(STDERR_FILENO)) {
        o.conv.progress = progress_bar;
        o.conv.progress_ctx = &ps;
    }
    conv_result res;
    hf_err err = {0};
    if (conv_run(&o.conv, &res, &err) != HF_OK) {
        cli_error("convert: %s", err.msg);
        return 1;
    }
    double secs = seconds_since(&ps.t0);
    fprintf(stderr, "hf2gguf: wrote %s: %s, %lld tensors (%lld fused QKV layers), %lld params, %.1f MiB in %.2f s\n",
            res.outfile, res.arch, (long long)res.n_tensors, (long long)res.n_fused_layers, (long long)res.n_params,
            (double)res.file_bytes / (1024.0 * 1024.0), secs);
    return 0;
}
