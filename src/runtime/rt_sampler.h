/* rt_sampler: picks the next token from a row of logits.
 *
 * temp <= 0: greedy (argmax; the lowest id wins ties), no randomness.
 * temp > 0: candidates sorted by logit (ties by id), cut to the top_k best
 * (0 = all), softmax of logit/temp in double, cut to the smallest prefix whose
 * probability mass reaches top_p (1 = all), then one draw from a SplitMix64
 * stream seeded with `seed`, so a seed always reproduces the same text. */
#pragma once

#include <stdint.h>

#include "base/status.h"

typedef struct rt_sampler_params {
    float temp;
    int64_t top_k;
    float top_p;
    uint64_t seed;
} rt_sampler_params;

typedef struct rt_sampler rt_sampler;

hf_status rt_sampler_new(rt_sampler **out, int64_t n_vocab, const rt_sampler_params *p, hf_err *err);
void rt_sampler_free(rt_sampler *s); /* NULL is a no-op */
int32_t rt_sample(rt_sampler *s, const float *logits);
