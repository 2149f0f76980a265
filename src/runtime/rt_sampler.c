#include "runtime/rt_sampler.h"

#include <math.h>
#include <stdlib.h>

typedef struct cand {
    int32_t id;
    float logit;
    double p;
} cand;

struct rt_sampler {
    rt_sampler_params p;
    int64_t n_vocab;
    uint64_t rng;
    cand *c; /* [n_vocab] */
};

hf_status rt_sampler_new(rt_sampler **out, int64_t n_vocab, const rt_sampler_params *p, hf_err *err) {
    *out = NULL;
    if (!(p->top_p > 0.0f && p->top_p <= 1.0f))
        return hf_fail(err, HF_ERR_ARG, "top-p %g out of range (0, 1]", (double)p->top_p);
    if (p->top_k < 0) return hf_fail(err, HF_ERR_ARG, "top-k %lld must be >= 0", (long long)p->top_k);
    rt_sampler *s = calloc(1, sizeof *s);
    if (s) s->c = malloc((size_t)n_vocab * sizeof *s->c);
    if (!s || !s->c) {
        rt_sampler_free(s);
        return hf_fail(err, HF_ERR_NOMEM, "out of memory for the sampler");
    }
    s->p = *p;
    s->n_vocab = n_vocab;
    s->rng = p->seed;
    *out = s;
    return HF_OK;
}

void rt_sampler_free(rt_sampler *s) {
    if (!s) return;
    free(s->c);
    free(s);
}

/* SplitMix64 -> uniform double in [0, 1) with 53 random bits. */
static double next_uniform(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1p-53;
}

static int32_t argmax(const float *logits, int64_t n) {
    int64_t best = 0;
    for (int64_t i = 1; i < n; i++)
        if (logits[i] > logits[best]) best = i;
    return (int32_t)best;
}

static int by_logit_desc(const void *a, const void *b) {
    const cand *x = a, *y = b;
    if (x->logit != y->logit) return x->logit > y->logit ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

int32_t rt_sample(rt_sampler *s, const float *logits) {
    if (!(s->p.temp > 0.0f)) return argmax(logits, s->n_vocab);
    int64_t n = s->n_vocab;
    for (int64_t i = 0; i < n; i++) s->c[i] = (cand){(int32_t)i, logits[i], 0.0};
    qsort(s->c, (size_t)n, sizeof *s->c, by_logit_desc);
    if (s->p.top_k > 0 && s->p.top_k < n) n = s->p.top_k;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) {
        s->c[i].p = exp((double)(s->c[i].logit - s->c[0].logit) / (double)s->p.temp);
        sum += s->c[i].p;
    }
    double cum = 0.0;
    int64_t keep = n;
    for (int64_t i = 0; i < n; i++) {
        cum += s->c[i].p / sum;
        if (cum >= (double)s->p.top_p) {
            keep = i + 1;
            break;
        }
    }
    double mass = 0.0;
    for (int64_t i = 0; i < keep; i++) mass += s->c[i].p;
    double r = next_uniform(&s->rng) * mass;
    for (int64_t i = 0; i < keep; i++) {
        r -= s->c[i].p;
        if (r < 0.0) return s->c[i].id;
    }
    return s->c[keep - 1].id;
}
