#include "runtime/rt_generate.h"

#include <stdlib.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The prompt in chunks so the logits buffer stays chunk x n_vocab; results do
 * not depend on how the prompt is split (rt_forward.h). */
static hf_status eval_prompt(rt_ctx *c, const rt_model *m, const int32_t *prompt, int64_t n, float *logits,
                             int64_t chunk, const rt_gen_callbacks *cb, hf_err *err) {
    const int all = cb->on_logits != NULL;
    for (int64_t done = 0; done < n; done += chunk) {
        const int64_t t = n - done < chunk ? n - done : chunk;
        hf_status st = rt_decode(c, prompt + done, t, logits, all, err);
        if (st != HF_OK) return st;
        if (all && cb->on_logits(cb->user, logits, t))
            return hf_fail(err, HF_ERR_IO, "could not write the logits");
        if (all && done + t == n) /* keep the last row at the front for sampling */
            for (int64_t i = 0; i < m->hp.n_vocab; i++) logits[i] = logits[(t - 1) * m->hp.n_vocab + i];
    }
    return HF_OK;
}

hf_status rt_generate(rt_ctx *c, rt_sampler *s, const rt_model *m, const int32_t *prompt, int64_t n_prompt,
                      int64_t n_predict, const rt_gen_callbacks *cb, rt_gen_stats *stats, hf_err *err) {
    *stats = (rt_gen_stats){0};
    if (n_prompt < 1) return hf_fail(err, HF_ERR_ARG, "the prompt has no tokens");
    if (n_prompt > rt_ctx_n_ctx(c) - rt_ctx_n_past(c))
        return hf_fail(err, HF_ERR_RANGE, "the prompt has %lld tokens but the context holds %lld", (long long)n_prompt,
                       (long long)(rt_ctx_n_ctx(c) - rt_ctx_n_past(c)));
    const int64_t chunk = 64;
    float *logits = malloc((size_t)chunk * (size_t)m->hp.n_vocab * sizeof(float));
    if (!logits) return hf_fail(err, HF_ERR_NOMEM, "out of memory for the logits");
    double t0 = now_s();
    hf_status st = eval_prompt(c, m, prompt, n_prompt, logits, chunk, cb, err);
    double t1 = now_s();
    stats->n_prompt = n_prompt;
    stats->prompt_s = t1 - t0;
    for (int64_t i = 0; st == HF_OK && i < n_predict; i++) {
        const int32_t id = rt_sample(s, logits);
        if (cb->is_stop && cb->is_stop(cb->user, id)) break;
        stats->n_gen++;
        if (cb->on_token && cb->on_token(cb->user, id)) break;
        if (i + 1 == n_predict || rt_ctx_n_past(c) >= rt_ctx_n_ctx(c)) break; /* nothing more to sample */
        st = rt_decode(c, &id, 1, logits, 0, err);
        if (st == HF_OK && cb->on_logits && cb->on_logits(cb->user, logits, 1))
            st = hf_fail(err, HF_ERR_IO, "could not write the logits");
    }
    stats->gen_s = now_s() - t1;
    free(logits);
    return st;
}
