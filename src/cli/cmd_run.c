/* hf2gguf run: load a GGUF, evaluate a prompt, generate text.
 *
 * stdout carries exactly the prompt text followed by the generated text (no
 * BOS, no statistics), so outputs can be compared byte for byte; stderr
 * carries load information and prompt/generation speed. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/dtype.h"
#include "base/outfile.h"
#include "cli/cli.h"
#include "runtime/rt_forward.h"
#include "runtime/rt_generate.h"
#include "runtime/rt_model.h"
#include "runtime/rt_sampler.h"
#include "tokenizer/tok.h"

typedef struct run_opts {
    const char *model;
    const char *prompt;     /* -p */
    const char *tokens;     /* --tokens 1,2,3 */
    const char *dump_path;  /* --dump-logits */
    int64_t n_predict;
    int ignore_eos;         /* --ignore-eos: end-of-generation tokens do not stop */
    rt_sampler_params sp;
    rt_ctx_params cp;
    rt_model_params mp;
} run_opts;

static void run_usage(FILE *out) {
    fputs("usage: hf2gguf run MODEL.gguf (-p PROMPT | --tokens 1,2,3) [options]\n"
          "  -n N               tokens to generate (default 128)\n"
          "  --temp T           sampling temperature; 0 = greedy (default 0)\n"
          "  --top-k K          keep the K most likely tokens (0 = all, default 40)\n"
          "  --top-p P          keep the smallest set with probability >= P (default 0.95)\n"
          "  --seed S           random seed for sampling (default 42)\n"
          "  -t THREADS         threads (default: online CPUs, at most 16)\n"
          "  --ctx N            context size in tokens (default: the model's context_length)\n"
          "  --ubatch N         tokens per forward pass of the prompt (default 512)\n"
          "  --kv-type f32|f16  KV cache type (default f32)\n"
          "  --ignore-eos       keep generating past end-of-generation tokens (as llama.cpp's)\n"
          "  --no-repack        read every tensor through the file mapping: Q8_0 matrices row by\n"
          "                     row instead of repacked into 16-row groups, norms and biases not\n"
          "                     copied out at load (same results, slower)\n"
          CLI_COPY_MATRICES_HELP
          CLI_GEMV_HELP
          "  --dump-logits FILE raw little-endian float32 logits, one row of n_vocab per\n"
          "                     evaluated position (prompt positions included), in order\n"
          "  --isa TIER         use no kernels above TIER (ref, avx2, avxvnni, avx512; default: the\n"
          "                     best this CPU runs), e.g. to measure what an AVX2-only CPU runs\n",
          out);
}

static int parse_float(const char *s, float *out) {
    char *end;
    errno = 0;
    float v = strtof(s, &end);
    if (errno || end == s || *end || v != v) return 0;
    *out = v;
    return 1;
}

/* Option table: name, what it fills. */
static int parse_option(run_opts *o, const char *name, const char *val) {
    int64_t v;
    if (!strcmp(name, "-p")) o->prompt = val;
    else if (!strcmp(name, "--tokens")) o->tokens = val;
    else if (!strcmp(name, "--dump-logits")) o->dump_path = val;
    else if (!strcmp(name, "-n")) return cli_parse_int(val, 0, INT32_MAX, &o->n_predict);
    else if (!strcmp(name, "--temp")) return parse_float(val, &o->sp.temp);
    else if (!strcmp(name, "--top-p")) return parse_float(val, &o->sp.top_p);
    else if (!strcmp(name, "--top-k")) return cli_parse_int(val, 0, INT32_MAX, &o->sp.top_k);
    else if (!strcmp(name, "--seed")) {
        if (!cli_parse_int(val, 0, INT64_MAX, &v)) return 0;
        o->sp.seed = (uint64_t)v;
    } else if (!strcmp(name, "-t")) {
        if (!cli_parse_int(val, 1, 1024, &v)) return 0;
        o->cp.n_threads = (int)v;
    } else if (!strcmp(name, "--ctx")) return cli_parse_int(val, 1, (int64_t)1 << 24, &o->cp.n_ctx);
    else if (!strcmp(name, "--ubatch")) return cli_parse_int(val, 1, 65536, &o->cp.n_ubatch);
    else if (!strcmp(name, "--kv-type")) {
        if (!strcmp(val, "f32")) o->cp.kv_type = HF_TYPE_F32;
        else if (!strcmp(val, "f16")) o->cp.kv_type = HF_TYPE_F16;
        else return 0;
    } else return -1;
    return 1;
}

static int parse_args(run_opts *o, int argc, char **argv) {
    *o = (run_opts){0};
    o->n_predict = 128;
    o->sp = (rt_sampler_params){0.0f, 40, 0.95f, 42};
    o->cp = rt_ctx_default_params();
    o->cp.n_threads = cli_default_threads();
    o->mp = rt_model_default_params();
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            run_usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--ignore-eos")) {
            o->ignore_eos = 1;
            continue;
        }
        if (!strcmp(argv[i], "--no-repack")) {
            o->mp.repack = 0;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            if (i + 1 >= argc) {
                cli_error("run: option %s needs a value", argv[i]);
                return 2;
            }
            if (!strcmp(argv[i], "--isa")) {
                if (!cli_parse_isa("run", argv[++i], &o->cp.max_isa)) return 2;
                continue;
            }
            if (!strcmp(argv[i], "--copy-matrices")) {
                if (!cli_parse_copy_matrices("run", argv[++i], &o->mp.copy_matrices)) return 2;
                continue;
            }
            if (!strcmp(argv[i], "--gemv")) {
                if (!cli_parse_gemv("run", argv[++i], &o->cp.gemv)) return 2;
                continue;
            }
            int r = parse_option(o, argv[i], argv[i + 1]);
            if (r < 0) cli_error("run: unknown option %s", argv[i]);
            if (r == 0) cli_error("run: bad value '%s' for %s", argv[i + 1], argv[i]);
            if (r <= 0) return 2;
            i++;
        } else if (!o->model) o->model = argv[i];
        else {
            cli_error("run: unexpected argument '%s'", argv[i]);
            return 2;
        }
    }
    if (!o->model || (!o->prompt) == (!o->tokens)) {
        cli_error("run: need MODEL.gguf and exactly one of -p PROMPT or --tokens LIST");
        run_usage(stderr);
        return 2;
    }
    return -1; /* go on */
}

static hf_status parse_token_list(const char *s, int32_t **out, size_t *n, hf_err *err) {
    size_t cap = 1;
    for (const char *p = s; *p; p++) cap += *p == ',';
    int32_t *ids = malloc(cap * sizeof *ids);
    if (!ids) return hf_fail(err, HF_ERR_NOMEM, "out of memory");
    size_t k = 0;
    for (const char *p = s;;) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || v < 0 || v > INT32_MAX || (*end != ',' && *end != '\0')) {
            free(ids);
            return hf_fail(err, HF_ERR_ARG, "--tokens: bad token list '%s' (expected ids like 1,2,3)", s);
        }
        ids[k++] = (int32_t)v;
        if (!*end) break;
        p = end + 1;
    }
    *out = ids;
    *n = k;
    return HF_OK;
}

/* ==== Output ==== */

typedef struct run_io {
    const tok_vocab *vocab;
    hf_outfile dump;
    int dumping;
    int64_t n_vocab;
    int write_failed;
} run_io;

/* Writes one token's text; without a vocabulary (a file with no tokenizer,
 * run with --tokens) the id is written as "[id]". */
static int write_piece(const tok_vocab *v, int32_t id) {
    char buf[256];
    if (!v) return printf("[%d]", (int)id) < 0;
    size_t n = tok_piece_ex(v, id, 0, buf, sizeof buf);
    if (n > sizeof buf) {
        char *big = malloc(n);
        if (!big) return 1;
        tok_piece_ex(v, id, 0, big, n);
        int bad = fwrite(big, 1, n, stdout) != n;
        free(big);
        return bad;
    }
    return fwrite(buf, 1, n, stdout) != n;
}

static int on_token(void *user, int32_t id) {
    run_io *io = user;
    if (write_piece(io->vocab, id) || fflush(stdout) != 0) io->write_failed = 1;
    return io->write_failed;
}

static int is_stop(void *user, int32_t id) {
    const tok_vocab *v = ((run_io *)user)->vocab;
    return v && tok_is_eog(v, id);
}

static int on_logits(void *user, const float *rows, int64_t n) {
    run_io *io = user;
    const size_t count = (size_t)n * (size_t)io->n_vocab;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    for (size_t i = 0; i < count; i++) {
        uint32_t u;
        memcpy(&u, &rows[i], 4);
        u = __builtin_bswap32(u);
        if (hf_outfile_write(&io->dump, &u, 4, NULL) != HF_OK) return 1;
    }
    return 0;
#else
    return hf_outfile_write(&io->dump, rows, count * sizeof(float), NULL) != HF_OK;
#endif
}

/* ==== Driver ==== */

static hf_status prompt_tokens(const run_opts *o, const tok_vocab *v, int32_t **ids, size_t *n, hf_err *err) {
    if (o->tokens) return parse_token_list(o->tokens, ids, n, err);
    return tok_encode(v, o->prompt, strlen(o->prompt), 1, 0, ids, n, err);
}

/* Echo of the prompt on stdout: the text itself, or for --tokens the
 * detokenized ids (llama.cpp's rules: BOS/EOS dropped, the SentencePiece
 * leading space removed), so both modes print the same text. */
static int echo_prompt(const run_opts *o, const tok_vocab *v, const int32_t *ids, size_t n) {
    if (o->prompt) return fputs(o->prompt, stdout) == EOF;
    if (!v) {
        for (size_t i = 0; i < n; i++)
            if (write_piece(v, ids[i])) return 1;
        return 0;
    }
    size_t skip = n > 0 && ids[0] == tok_bos(v); /* llama.cpp strips the space only from the first piece */
    size_t need = tok_decode(v, ids + skip, n - skip, 1, 0, NULL, 0);
    char *text = malloc(need + 1);
    if (!text) return 1;
    tok_decode(v, ids + skip, n - skip, 1, 0, text, need);
    int bad = fwrite(text, 1, need, stdout) != need;
    free(text);
    return bad;
}

static void print_load_info(const rt_model *m, const run_opts *o, const rt_ctx *c) {
    const rt_hparams *hp = &m->hp;
    fprintf(stderr,
            "hf2gguf run: %s: arch %s, %lld layers, n_embd %lld, heads %lld/%lld, head_dim %lld, n_ff %lld, "
            "vocab %lld, qkv %s, output %s\n",
            o->model, m->arch, (long long)hp->n_layer, (long long)hp->n_embd, (long long)hp->n_head,
            (long long)hp->n_head_kv, (long long)hp->head_dim, (long long)hp->n_ff, (long long)hp->n_vocab,
            m->layers[0].qkv_fused ? "fused" : "separate", m->output_tied ? "tied" : "separate");
    char tier[32];
    fprintf(stderr, "hf2gguf run: ctx %lld, ubatch %lld, kv %s, threads %d, kernels up to %s\n",
            (long long)rt_ctx_n_ctx(c), (long long)o->cp.n_ubatch, o->cp.kv_type == HF_TYPE_F16 ? "f16" : "f32",
            o->cp.n_threads, cli_tier_label(o->cp.max_isa, tier, sizeof tier));
    if (m->n_packed_tensors > 0)
        fprintf(stderr, "hf2gguf run: %lld Q8_0 matrices repacked into 16-row groups at load (%.2f MiB, %s)\n",
                (long long)m->n_packed_tensors, (double)m->packed_bytes / (double)(1u << 20), rt_packed_pages_text(m));
    if (m->n_copied_tensors > 0)
        fprintf(stderr, "hf2gguf run: %lld norm and bias tensors copied out of the mapping (%.1f KiB)\n",
                (long long)m->n_copied_tensors, (double)m->copied_bytes / 1024.0);
    if (m->n_matrix_copies > 0)
        fprintf(stderr, "hf2gguf run: %lld matrices %s (%.2f MiB)\n", (long long)m->n_matrix_copies,
                rt_matrix_place_text(m->matrices), (double)m->matrix_bytes / (double)(1u << 20));
    else if (m->matrices != RT_MATRICES_NONE)
        fprintf(stderr, "hf2gguf run: matrices %s\n", rt_matrix_place_text(m->matrices));
    char gemv[512];
    rt_gemv_report_text(rt_ctx_gemv(c), gemv, sizeof gemv);
    if (*gemv) fprintf(stderr, "hf2gguf run: GEMV layouts (--gemv %s): %s\n", rt_gemv_pick_name(o->cp.gemv), gemv);
}

/* The file's tokenizer; with --tokens a file without one still runs (ids
 * are echoed as "[id]", nothing stops generation early). */
static hf_status load_vocab(const run_opts *o, const rt_model *m, tok_vocab **v, hf_err *err) {
    *v = NULL;
    if (o->tokens && !gguf_find_kv(m->file, "tokenizer.ggml.model")) {
        fprintf(stderr, "hf2gguf run: warning: %s has no tokenizer; printing token ids\n", o->model);
        return HF_OK;
    }
    return tok_load(v, m->file, err);
}

static hf_status run_model(const run_opts *o, hf_err *err) {
    rt_model *m = NULL;
    tok_vocab *v = NULL;
    rt_ctx *c = NULL;
    rt_sampler *s = NULL;
    int32_t *ids = NULL;
    size_t n_ids = 0;
    run_io io = {0};
    hf_status st = rt_model_load_with(&m, o->model, &o->mp, err);
    if (st == HF_OK) st = load_vocab(o, m, &v, err);
    if (st == HF_OK && v && tok_n_vocab(v) != m->hp.n_vocab)
        st = hf_fail(err, HF_ERR_FORMAT, "%s: tokenizer has %d tokens but the model's vocabulary is %lld", o->model,
                     (int)tok_n_vocab(v), (long long)m->hp.n_vocab);
    if (st == HF_OK) st = rt_ctx_new(&c, m, &o->cp, err);
    if (st == HF_OK) st = rt_sampler_new(&s, m->hp.n_vocab, &o->sp, err);
    if (st == HF_OK) st = prompt_tokens(o, v, &ids, &n_ids, err);
    for (size_t i = 0; st == HF_OK && i < n_ids; i++)
        if (ids[i] < 0 || ids[i] >= m->hp.n_vocab)
            st = hf_fail(err, HF_ERR_ARG, "prompt token id %d is outside the vocabulary (0..%lld)", (int)ids[i],
                         (long long)m->hp.n_vocab - 1);
    if (st == HF_OK && (int64_t)n_ids > rt_ctx_n_ctx(c))
        st = hf_fail(err, HF_ERR_RANGE, "the prompt has %zu tokens but the context holds %lld (use --ctx)", n_ids,
                     (long long)rt_ctx_n_ctx(c));
    if (st == HF_OK && o->dump_path) {
        st = hf_outfile_open(&io.dump, o->dump_path, err);
        io.dumping = st == HF_OK;
    }
    if (st == HF_OK) {
        print_load_info(m, o, c);
        io.vocab = v;
        io.n_vocab = m->hp.n_vocab;
        if (echo_prompt(o, v, ids, n_ids) || fflush(stdout) != 0) st = hf_fail(err, HF_ERR_IO, "writing to stdout failed");
    }
    rt_gen_stats gs = {0};
    if (st == HF_OK) {
        rt_gen_callbacks cb = {&io, o->ignore_eos ? NULL : is_stop, on_token, o->dump_path ? on_logits : NULL};
        st = rt_generate(c, s, m, ids, (int64_t)n_ids, o->n_predict, &cb, &gs, err);
        if (st == HF_OK && io.write_failed) st = hf_fail(err, HF_ERR_IO, "writing to stdout failed");
        if (st == HF_OK && gs.n_gen < o->n_predict && rt_ctx_n_past(c) >= rt_ctx_n_ctx(c) - 1)
            fprintf(stderr, "\nhf2gguf run: stopped: the context (%lld positions) is full\n", (long long)rt_ctx_n_ctx(c));
    }
    if (st == HF_OK && io.dumping) {
        st = hf_outfile_commit(&io.dump, err);
        io.dumping = 0;
    }
    if (io.dumping) hf_outfile_abort(&io.dump);
    if (st == HF_OK)
        fprintf(stderr, "\nhf2gguf run: prompt %lld tokens in %.3f s (%.1f tok/s), generated %lld tokens in %.3f s (%.1f tok/s)\n",
                (long long)gs.n_prompt, gs.prompt_s, gs.prompt_s > 0 ? (double)gs.n_prompt / gs.prompt_s : 0.0,
                (long long)gs.n_gen, gs.gen_s, gs.gen_s > 0 ? (double)gs.n_gen / gs.gen_s : 0.0);
    free(ids);
    rt_sampler_free(s);
    rt_ctx_free(c);
    tok_free(v);
    rt_model_free(m);
    return st;
}

int cmd_run(int argc, char **argv) {
    run_opts o;
    int r = parse_args(&o, argc, argv);
    if (r >= 0) return r;
    hf_err err = {0};
    if (run_model(&o, &err) != HF_OK) {
        cli_error("run: %s", err.msg);
        return 1;
    }
    return 0;
}
