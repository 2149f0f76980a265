/* bench_kernels: matmul throughput of the runtime's kernels, per weight type,
 * implementation (reference / best) and thread count. Never run by ctest.
 *
 *   bench_kernels [N K T [MAX_THREADS]]     (default 4096 4096 1 and 32 tokens, up to 4 threads)
 *
 * One line per case: type impl threads T N K ms GFLOP/s GB/s(weights). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base/dtype.h"
#include "quant/quant.h"
#include "quant/quant_dot.h"
#include "runtime/rt_kernels.h"
#include "runtime/rt_pool.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Time of one Y = X . W^T with the given dot implementation (median-free: best of reps). */
static double time_matmul(rt_pool *pool, const rt_kernel_set *ks, const rt_tensor *w, const float *x, int64_t t,
                          float *y, void *acts, const q_dot_traits *impl) {
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        const double t0 = now_s();
        rt_acts a;
        rt_acts_convert(pool, impl->act_type, x, w->ne0, t, w->ne0, acts, &a);
        if (impl == ks->dot[w->type]) rt_matmul(pool, ks, w, &a, y, w->ne1);
        else /* the reference, row by row on one thread: what the fast paths replace */
            for (int64_t n = 0; n < w->ne1; n++)
                for (int64_t i = 0; i < t; i++)
                    y[i * w->ne1 + n] = impl->dot((const uint8_t *)w->data + (size_t)n * w->row_bytes,
                                                  (const uint8_t *)a.data + (size_t)i * a.row_bytes, w->ne0);
        const double dt = now_s() - t0;
        if (dt < best) best = dt;
    }
    return best;
}

/* Positional integer argument i, or def when absent; 0 when malformed or < 1. */
static int64_t arg_or(int argc, char **argv, int i, int64_t def) {
    if (argc <= i) return def;
    char *end;
    long long v = strtoll(argv[i], &end, 10);
    return (end == argv[i] || *end || v < 1) ? 0 : v;
}

int main(int argc, char **argv) {
    int64_t N = arg_or(argc, argv, 1, 4096), K = arg_or(argc, argv, 2, 4096);
    int64_t Ts[2] = {arg_or(argc, argv, 3, 1), 32};
    int max_threads = (int)arg_or(argc, argv, 4, 4);
    if (argc > 5 || !N || !K || !Ts[0] || max_threads < 1 || max_threads > 1024 || K % 32) {
        fprintf(stderr, "usage: bench_kernels [N K T [MAX_THREADS]]  (positive integers, K a multiple of 32)\n");
        return 2;
    }
    const uint32_t types[4] = {HF_TYPE_F32, HF_TYPE_F16, HF_TYPE_BF16, HF_TYPE_Q8_0};
    const int64_t T_max = Ts[0] > Ts[1] ? Ts[0] : Ts[1];
    float *wf = malloc((size_t)(N * K) * sizeof(float)), *x = malloc((size_t)(T_max * K) * sizeof(float));
    float *y = malloc((size_t)(T_max * N) * sizeof(float));
    void *acts = malloc(rt_acts_max_bytes(T_max, K)), *wq = malloc((size_t)N * (size_t)hf_row_size(HF_TYPE_F32, K));
    if (!wf || !x || !y || !acts || !wq || K % 32 != 0) {
        fprintf(stderr, "bench_kernels: out of memory or K not a multiple of 32\n");
        return 1;
    }
    uint64_t s = 1;
    for (int64_t i = 0; i < N * K; i++) wf[i] = (float)((s = s * 6364136223846793005ull + 1) >> 40) / 16777216.0f - 0.5f;
    for (int64_t i = 0; i < T_max * K; i++) x[i] = (float)(i % 97) / 97.0f - 0.5f;
    rt_kernel_set ks;
    rt_kernels_pick(&ks, Q_ISA_BEST);
    printf("type impl threads T N K ms GFLOP/s GB/s\n");
    for (int ti = 0; ti < 4; ti++) {
        const uint32_t ty = types[ti];
        const size_t row = (size_t)hf_row_size(ty, K);
        for (int64_t r = 0; r < N; r++) q_from_f32(ty, wf + r * K, (uint8_t *)wq + r * row, K);
        rt_tensor w = {.name = "w", .data = wq, .type = ty, .ne0 = K, .ne1 = N, .row_bytes = row};
        for (int ii = 0; ii < 2; ii++) {
            const q_dot_traits *impl = ii == 0 ? q_dot_ref_order(ty, ks.dot[ty]->order) : ks.dot[ty];
            for (int th = 1; th <= (ii == 0 ? 1 : max_threads); th *= 2) {
                rt_pool *pool;
                hf_err err = {0};
                if (rt_pool_new(&pool, th, &err) != HF_OK) return 1;
                for (int k = 0; k < 2; k++) {
                    const double dt = time_matmul(pool, &ks, &w, x, Ts[k], y, acts, impl);
                    printf("%s %s %d %lld %lld %lld %.3f %.2f %.2f\n", hf_type_info(ty)->name,
                           ii == 0 ? "ref" : impl->impl, th, (long long)Ts[k], (long long)N, (long long)K, dt * 1e3,
                           2.0 * (double)N * (double)K * (double)Ts[k] / dt * 1e-9, (double)(row * (size_t)N) / dt * 1e-9);
                }
                rt_pool_free(pool);
            }
        }
    }
    free(wf), free(x), free(y), free(acts), free(wq);
    return 0;
}
