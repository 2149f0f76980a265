/* hf2gguf fuse-qkv / unfuse-qkv: convert an existing GGUF between separate Q/K/V attention
 * tensors and the fused blk.N.attn_qkv layout. The planning and writing live in gguftool
 * (gt_fuse_qkv / gt_unfuse_qkv, semantics in gguftool/gt.h and docs/gguf.md); this parses the
 * arguments, prints the notes, the summary or the error, and picks the exit code. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "gguftool/gt.h"

#define ALIGNMENT_HELP                                                                               \
    "  --alignment N  align the tensor data and every tensor to N bytes (a power of two, 1 to\n"     \
    "                 1048576; llama.cpp needs >= 32) and set general.alignment = N in place (or\n"  \
    "                 after general.architecture); 32, GGUF's default, removes the key. Default:\n"  \
    "                 keep the input's alignment.\n"

static void fuse_usage(FILE *out) {
    fputs("usage: hf2gguf fuse-qkv IN.gguf OUT.gguf [--qkv-bias fused|separate] [--alignment N]\n"
          "  Concatenates each layer's blk.N.attn_q/k/v.weight (same type, same ne[0]) into\n"
          "  blk.N.attn_qkv.weight (rows Q||K||V). Biases are fused into attn_qkv.bias by default,\n"
          "  or left as attn_q/k/v.bias with --qkv-bias separate. Layers missing any of Q/K/V, or\n"
          "  with only some of the biases, stay unfused. KV pairs are copied unchanged.\n"
          ALIGNMENT_HELP,
          out);
}

static void unfuse_usage(FILE *out) {
    fputs("usage: hf2gguf unfuse-qkv IN.gguf OUT.gguf [--alignment N]\n"
          "  Splits each blk.N.attn_qkv.weight (and attn_qkv.bias) into attn_q/k/v using the\n"
          "  {arch}.attention.head_count / head_count_kv / key_length / value_length and\n"
          "  {arch}.embedding_length hparams. KV pairs are copied unchanged.\n"
          ALIGNMENT_HELP,
          out);
}

/* Shared argument parsing: IN OUT, --alignment, and for fuse --qkv-bias. Returns -1 to continue. */
static int parse_args(int argc, char **argv, void (*usage)(FILE *), int allow_bias, const char **in,
                      const char **out, gt_fuse_opts *opts) {
    int np = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (allow_bias && !strcmp(argv[i], "--qkv-bias") && i + 1 < argc) {
            const char *v = argv[++i];
            int mode = gguf_qkv_bias_parse(v);
            if (mode < 0) {
                cli_error("%s: --qkv-bias must be 'fused' or 'separate' (found '%s')", argv[0], v);
                return 2;
            }
            opts->qkv_bias = (gguf_qkv_bias)mode;
        } else if (!strcmp(argv[i], "--alignment")) {
            if (i + 1 == argc) {
                cli_error("%s: option --alignment needs a value", argv[0]);
                return 2;
            }
            const char *v = argv[++i];
            if (!cli_parse_alignment(v, &opts->alignment)) {
                cli_error("%s: --alignment '%s': expected a power of two from 1 to %u", argv[0], v, CLI_MAX_ALIGNMENT);
                return 2;
            }
            cli_warn_small_alignment(argv[0], opts->alignment);
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
    gt_fuse_opts opts = {.qkv_bias = GGUF_QKV_BIAS_FUSED, .alignment = 0};
    int rc = parse_args(argc, argv, fuse_usage, 1, &in, &out, &opts);
    if (rc >= 0) return rc;
    gt_fuse_report rep;
    hf_err err = {0};
    hf_status s = gt_fuse_qkv(in, out, &opts, &rep, &err);
    /* notes first: they were found before any later error */
    for (int i = 0; i < rep.n_skipped; i++)
        fprintf(stderr, "fuse-qkv: layer %d has %d of 3 Q/K/V weights and %d of 3 biases: left unfused\n",
                rep.skipped[i].layer, rep.skipped[i].n_weights, rep.skipped[i].n_biases);
    if (s != HF_OK)
        cli_error("%s", err.msg);
    else
        fprintf(stderr, "fuse-qkv: %s -> %s: %d layer(s) fused, %d left unfused\n", in, out, rep.n_fused,
                rep.n_skipped);
    gt_fuse_report_free(&rep);
    return s == HF_OK ? 0 : 1;
}

int cmd_unfuse_qkv(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    gt_fuse_opts opts = {.qkv_bias = GGUF_QKV_BIAS_FUSED, .alignment = 0};
    int rc = parse_args(argc, argv, unfuse_usage, 0, &in, &out, &opts);
    if (rc >= 0) return rc;
    gt_fuse_report rep;
    hf_err err = {0};
    hf_status s = gt_unfuse_qkv(in, out, &opts, &rep, &err);
    if (s != HF_OK)
        cli_error("%s", err.msg);
    else
        fprintf(stderr, "unfuse-qkv: %s -> %s: %d layer(s) split\n", in, out, rep.n_split);
    gt_fuse_report_free(&rep);
    return s == HF_OK ? 0 : 1;
}
