/* cmd_synth: `hf2gguf synth`, random-weight HF checkpoints of any supported architecture
 * (library: synth/synth.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "synth/synth.h"

static void usage(FILE *out) {
    char archs[256], presets[512];
    fprintf(out,
            "usage: hf2gguf synth OUT_DIR --arch ARCH [--preset NAME] [shape options] [--dtype f32|f16|bf16]\n"
            "                     [--seed S] [--switch NAME=0|1]... [--max-shard-mb N] [--tokenizer-from DIR]\n"
            "\n"
            "Writes a Hugging Face checkpoint directory with random weights (config.json, safetensors,\n"
            "tokenizer files copied from DIR) that `hf2gguf convert` and llama.cpp's converter accept.\n"
            "Norm weights and biases are random too, so a conversion that drops or mangles one shows.\n"
            "\n"
            "  --arch ARCH         %s\n"
            "  --preset NAME       a real model's shape: %s\n"
            "  --layers N --embd N --ff N --heads N --kv-heads N --head-dim N --vocab N --ctx N\n"
            "  --rotary-factor F   partial_rotary_factor (phi2, stablelm)\n"
            "  --theta F           rope_theta\n"
            "  --tied | --untied   tie_word_embeddings\n"
            "  --switch NAME=0|1   an arch's config switch (e.g. use_qkv_bias=1; see 'switches' in errors)\n"
            "  --max-shard-mb N    split the weights into shards of at most N MiB, with an index\n"
            "  --dtype T           f32 (default), f16 or bf16\n"
            "  --seed S            random stream seed (default 1): same options, same bytes\n",
            syn_arch_list(archs, sizeof archs), syn_preset_list(presets, sizeof presets));
}

static int parse_i64(const char *s, int64_t *out) {
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || !end || *end || v < 0) return 0;
    *out = v;
    return 1;
}

static int parse_f64(const char *s, double *out) {
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || !end || *end) return 0;
    *out = v;
    return 1;
}

typedef struct int_flag {
    const char *flag;
    size_t offset;
} int_flag;

static const int_flag INT_FLAGS[] = {
    {"--layers", offsetof(syn_shape, n_layer)}, {"--embd", offsetof(syn_shape, n_embd)},
    {"--ff", offsetof(syn_shape, n_ff)},        {"--heads", offsetof(syn_shape, n_head)},
    {"--kv-heads", offsetof(syn_shape, n_head_kv)}, {"--head-dim", offsetof(syn_shape, head_dim)},
    {"--vocab", offsetof(syn_shape, n_vocab)},  {"--ctx", offsetof(syn_shape, n_ctx)},
};

static int bad_value(const char *flag, const char *v) {
    cli_error("synth: %s '%s': invalid value", flag, v);
    return 2;
}

int cmd_synth(int argc, char **argv) {
    syn_opts o;
    memset(&o, 0, sizeof o);
    o.seed = 1;
    syn_default_shape(&o.shape);
    const char *preset = NULL;
    int head_dim_given = 0;
    char sw_names[SYN_MAX_SWITCHES][64];
    /* Pass 1: the preset first, so that shape flags override it whatever their order. */
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--preset")) preset = argv[i + 1];
        else if (!strcmp(argv[i], "--arch")) o.gguf_arch = argv[i + 1];
    hf_err err = {0};
    if (preset && syn_preset(preset, &o.gguf_arch, &o.shape, &err) != HF_OK) {
        cli_error("%s", err.msg);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (a[0] != '-') {
            if (o.out_dir) return bad_value("OUT_DIR", a);
            o.out_dir = a;
            continue;
        }
        if (!strcmp(a, "--tied") || !strcmp(a, "--untied")) {
            o.shape.tied = !strcmp(a, "--tied");
            continue;
        }
        if (!v) {
            cli_error("synth: option %s needs a value", a);
            return 2;
        }
        i++;
        int done = 0;
        for (size_t k = 0; k < sizeof INT_FLAGS / sizeof INT_FLAGS[0] && !done; k++)
            if (!strcmp(a, INT_FLAGS[k].flag)) {
                if (!parse_i64(v, (int64_t *)((char *)&o.shape + INT_FLAGS[k].offset))) return bad_value(a, v);
                head_dim_given |= !strcmp(a, "--head-dim");
                done = 1;
            }
        if (done || !strcmp(a, "--preset") || !strcmp(a, "--arch")) continue;
        if (!strcmp(a, "--rotary-factor")) {
            if (!parse_f64(v, &o.shape.rotary_factor)) return bad_value(a, v);
        } else if (!strcmp(a, "--theta")) {
            if (!parse_f64(v, &o.shape.rope_theta)) return bad_value(a, v);
        } else if (!strcmp(a, "--seed")) {
            int64_t s;
            if (!parse_i64(v, &s)) return bad_value(a, v);
            o.seed = (uint64_t)s;
        } else if (!strcmp(a, "--max-shard-mb")) {
            int64_t mb;
            if (!parse_i64(v, &mb) || mb < 1) return bad_value(a, v);
            o.max_shard_bytes = (uint64_t)mb << 20;
        } else if (!strcmp(a, "--dtype")) {
            o.dtype = !strcmp(v, "f32") ? 0 : !strcmp(v, "f16") ? 1 : !strcmp(v, "bf16") ? 2 : -1;
            if (o.dtype < 0) return bad_value(a, v);
        } else if (!strcmp(a, "--tokenizer-from")) o.tokenizer_from = v;
        else if (!strcmp(a, "--switch")) {
            const char *eq = strchr(v, '=');
            if (!eq || (strcmp(eq + 1, "0") && strcmp(eq + 1, "1")) || o.n_switches == SYN_MAX_SWITCHES)
                return bad_value(a, v);
            snprintf(sw_names[o.n_switches], sizeof sw_names[0], "%.*s", (int)(eq - v), v);
            o.switch_names[o.n_switches] = sw_names[o.n_switches];
            o.switch_values[o.n_switches++] = eq[1] == '1';
        } else {
            cli_error("synth: unknown option '%s'", a);
            usage(stderr);
            return 2;
        }
    }
    if (!o.out_dir || !o.gguf_arch) {
        cli_error("synth: %s", !o.out_dir ? "missing OUT_DIR" : "missing --arch (or --preset)");
        usage(stderr);
        return 2;
    }
    if (!preset && !head_dim_given && o.shape.n_head > 0) o.shape.head_dim = o.shape.n_embd / o.shape.n_head;
    syn_result r;
    if (syn_write(&o, &r, &err) != HF_OK) {
        cli_error("%s", err.msg);
        return 1;
    }
    printf("synth: wrote %s (%s): %lld tensors, %lld parameters, %d shard%s, %.1f MiB\n", o.out_dir, o.gguf_arch,
           (long long)r.n_tensors, (long long)r.n_params, r.n_shards, r.n_shards == 1 ? "" : "s",
           (double)r.bytes / (1024.0 * 1024.0));
    return 0;
}
