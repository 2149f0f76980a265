/* rt_generate: the prompt -> tokens loop.
 *
 * Evaluates the prompt (in micro-batches, one forward pass each), then
 * repeatedly samples a token, reports it, and evaluates it, until n_predict
 * tokens were produced or the stop predicate says the token ends generation
 * (that token is neither reported nor evaluated). The last sampled token is
 * not evaluated either, so the logits rows reported through on_logits are:
 * every prompt position, then every generated token that was fed back, in
 * order. */
#pragma once

#include <stdint.h>

#include "base/status.h"
#include "runtime/rt_forward.h"
#include "runtime/rt_sampler.h"

typedef struct rt_gen_callbacks {
    void *user;
    /* Nonzero when id ends generation (e.g. EOS); may be NULL. */
    int (*is_stop)(void *user, int32_t id);
    /* A generated token; return nonzero to stop early (e.g. a write error). */
    int (*on_token)(void *user, int32_t id);
    /* n rows of n_vocab logits for consecutive evaluated positions; may be NULL.
     * Return nonzero to stop with an error. */
    int (*on_logits)(void *user, const float *rows, int64_t n);
} rt_gen_callbacks;

typedef struct rt_gen_stats {
    int64_t n_prompt, n_gen;
    double prompt_s, gen_s; /* wall-clock seconds of prompt evaluation / generation */
} rt_gen_stats;

hf_status rt_generate(rt_ctx *c, rt_sampler *s, const rt_model *m, const int32_t *prompt, int64_t n_prompt,
                      int64_t n_predict, const rt_gen_callbacks *cb, rt_gen_stats *stats, hf_err *err);
