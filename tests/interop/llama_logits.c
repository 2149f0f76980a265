/*
 * llama_logits: raw logits from the real llama.cpp (the prebuilt libllama that node-llama-cpp ships),
 * for comparison with `hf2gguf run --dump-logits`.
 *
 *   llama_logits MODEL.gguf --backends DIR (--tokens 1,2,3 | -p TEXT) [-n N] [--dump FILE] [--kv f32|f16]
 *
 * Evaluates the prompt in one batch with logits requested for every position, then generates N tokens
 * greedily (argmax, lowest id on ties), one decode per token. The dump file receives raw little-endian
 * float32 logits, one row of n_vocab per evaluated position, prompt positions first, in order: the
 * layout of `hf2gguf run --dump-logits`. stdout gets one line: the generated token ids, comma separated.
 *
 * Built at test time by tests/interop/setup.sh against headers cloned from the npm package's source
 * bundle (never part of the repository), so it follows llama.cpp's C API of release v0.5.0.
 */
#include "llama.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS 4096

typedef struct {
    const char *model_path;
    const char *backend_dir;
    const char *tokens_csv;
    const char *prompt_text;
    const char *dump_path;
    int n_generate;
    enum ggml_type kv_type;
} options;

static int usage(void)
{
    fprintf(stderr, "usage: llama_logits MODEL.gguf --backends DIR (--tokens 1,2,3 | -p TEXT) [-n N] "
                    "[--dump FILE] [--kv f32|f16]\n");
    return 2;
}

/* Parses argv; returns 0 or prints why and returns non-zero. */
static int parse_options(int argc, char **argv, options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->kv_type = GGML_TYPE_F32; /* the runtime comparison is specified with an F32 KV cache */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-') {
            opt->model_path = a;
            continue;
        }
        if (!v)
            return usage();
        i++;
        if (!strcmp(a, "--backends"))
            opt->backend_dir = v;
        else if (!strcmp(a, "--tokens"))
            opt->tokens_csv = v;
        else if (!strcmp(a, "-p"))
            opt->prompt_text = v;
        else if (!strcmp(a, "--dump"))
            opt->dump_path = v;
        else if (!strcmp(a, "-n"))
            opt->n_generate = atoi(v);
        else if (!strcmp(a, "--kv") && !strcmp(v, "f32"))
            opt->kv_type = GGML_TYPE_F32;
        else if (!strcmp(a, "--kv") && !strcmp(v, "f16"))
            opt->kv_type = GGML_TYPE_F16;
        else
            return usage();
    }
    if (!opt->model_path || !opt->backend_dir || (!opt->tokens_csv == !opt->prompt_text) || opt->n_generate < 0)
        return usage();
    return 0;
}

static int parse_token_list(const char *csv, llama_token *out, int cap)
{
    int n = 0;
    const char *p = csv;
    while (*p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || v > 0x7fffffffL || n == cap) {
            fprintf(stderr, "llama_logits: bad token list '%s'\n", csv);
            return -1;
        }
        out[n++] = (llama_token)v;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') {
            fprintf(stderr, "llama_logits: bad token list '%s'\n", csv);
            return -1;
        }
    }
    return n;
}

static int prompt_tokens(const options *opt, const struct llama_vocab *vocab, llama_token *out, int cap)
{
    if (opt->tokens_csv)
        return parse_token_list(opt->tokens_csv, out, cap);
    int n = llama_tokenize(vocab, opt->prompt_text, (int32_t)strlen(opt->prompt_text), out, cap, true, false);
    if (n < 0)
        fprintf(stderr, "llama_logits: prompt needs more than %d tokens\n", cap);
    return n;
}

static llama_token argmax(const float *row, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (row[i] > row[best])
            best = i;
    return (llama_token)best;
}

static int write_row(FILE *f, const float *row, int n)
{
    return f && fwrite(row, sizeof(float), (size_t)n, f) != (size_t)n ? -1 : 0;
}

/* Decodes `n` tokens starting at position `pos`, with logits for every one of them. */
static int decode_all_logits(struct llama_context *ctx, const llama_token *toks, int n, int pos)
{
    struct llama_batch b = llama_batch_init(n, 0, 1);
    for (int i = 0; i < n; i++) {
        b.token[i] = toks[i];
        b.pos[i] = pos + i;
        b.n_seq_id[i] = 1;
        b.seq_id[i][0] = 0;
        b.logits[i] = 1;
    }
    b.n_tokens = n;
    int rc = llama_decode(ctx, b);
    llama_batch_free(b);
    if (rc != 0)
        fprintf(stderr, "llama_logits: llama_decode failed (%d)\n", rc);
    return rc;
}

static int run(const options *opt, struct llama_model *model)
{
    const struct llama_vocab *vocab = llama_model_get_vocab(model);
    const int n_vocab = llama_vocab_n_tokens(vocab);
    static llama_token toks[MAX_TOKENS];
    int n_prompt = prompt_tokens(opt, vocab, toks, MAX_TOKENS);
    if (n_prompt <= 0 || n_prompt + opt->n_generate > MAX_TOKENS)
        return 1;

    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t)(n_prompt + opt->n_generate + 8);
    cp.n_batch = cp.n_ubatch = (uint32_t)n_prompt;
    cp.n_threads = cp.n_threads_batch = 1;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    cp.type_k = cp.type_v = opt->kv_type;
    struct llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) {
        fprintf(stderr, "llama_logits: cannot create a context\n");
        return 1;
    }

    FILE *dump = NULL;
    if (opt->dump_path && !(dump = fopen(opt->dump_path, "wb"))) {
        fprintf(stderr, "llama_logits: cannot write %s: %s\n", opt->dump_path, strerror(errno));
        llama_free(ctx);
        return 1;
    }

    int rc = decode_all_logits(ctx, toks, n_prompt, 0);
    for (int i = 0; rc == 0 && i < n_prompt; i++)
        rc = write_row(dump, llama_get_logits_ith(ctx, i), n_vocab);
    int last = n_prompt - 1;
    for (int g = 0; rc == 0 && g < opt->n_generate; g++) {
        llama_token next = argmax(llama_get_logits_ith(ctx, last), n_vocab);
        printf(g ? ",%d" : "%d", next);
        if (g + 1 == opt->n_generate)
            break; /* the last generated token is never evaluated */
        rc = decode_all_logits(ctx, &next, 1, n_prompt + g);
        last = 0;
        if (rc == 0)
            rc = write_row(dump, llama_get_logits_ith(ctx, 0), n_vocab);
    }
    printf("\n");
    if (dump && fclose(dump) != 0)
        rc = 1;
    llama_free(ctx);
    return rc ? 1 : 0;
}

static void quiet_log(enum ggml_log_level level, const char *text, void *user)
{
    (void)user;
    if (level == GGML_LOG_LEVEL_ERROR || level == GGML_LOG_LEVEL_WARN)
        fputs(text, stderr);
}

int main(int argc, char **argv)
{
    options opt;
    if (parse_options(argc, argv, &opt))
        return 2;
    llama_log_set(quiet_log, NULL);
    /* The npm package builds ggml with dynamically loaded CPU variants: load them before the model. */
    ggml_backend_load_all_from_path(opt.backend_dir);
    llama_backend_init();

    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    struct llama_model *model = llama_model_load_from_file(opt.model_path, mp);
    if (!model) {
        fprintf(stderr, "llama_logits: llama.cpp cannot load %s\n", opt.model_path);
        return 1;
    }
    int rc = run(&opt, model);
    llama_model_free(model);
    llama_backend_free();
    return rc;
}
