/* Thread pool: persistent workers; an op is published by bumping an atomic generation number.
 * Between ops a worker spins for a while (ops follow each other within microseconds during a
 * forward pass, and a futex wake costs more than a small matmul), then sleeps on a condition
 * variable; the caller wakes sleepers only when there are any. The end of an op is the same
 * handoff the other way: the caller spins on the count of threads still working, then sleeps.
 * Chunks are claimed with atomic_fetch_add.
 *
 * The sleep/wake handoffs are Dekker-style with sequentially consistent atomics: the
 * publisher stores the generation, then reads the sleeper count; a sleeper raises the count
 * under the mutex, then re-reads the generation. At least one of them sees the other, and the
 * wake is sent under the mutex, so no wake-up is lost. */
#include "runtime/rt_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void cpu_relax(void) { _mm_pause(); }
#else
static inline void cpu_relax(void) {}
#endif

/* Spin iterations before sleeping: a few tens of microseconds. */
#define SPIN_ITERS 20000

struct rt_pool {
    int n_threads;
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t wake;          /* sleeping workers wait here for a new generation */
    pthread_cond_t done;          /* a sleeping caller waits here for the op to finish */
    atomic_uint_fast64_t generation;
    atomic_int stop;
    atomic_int sleepers;          /* workers blocked (or about to block) on wake */
    atomic_int caller_sleeping;   /* the caller blocked (or about to block) on done */
    atomic_int busy;              /* threads that have not finished the current op */
    /* the current op (written before the generation is published) */
    rt_task_fn fn;
    void *arg;
    int64_t n_items, chunk;
    atomic_int_fast64_t next; /* next unclaimed item */
};

typedef struct worker_start {
    rt_pool *pool;
    int ith;
} worker_start;

static void work_on_current_op(rt_pool *p, int ith) {
    for (;;) {
        int64_t start = atomic_fetch_add_explicit(&p->next, p->chunk, memory_order_relaxed);
        if (start >= p->n_items) break;
        int64_t end = start + p->chunk < p->n_items ? start + p->chunk : p->n_items;
        p->fn(p->arg, start, end, ith);
    }
}

/* Waits until the generation differs from `seen` or the pool stops; returns the new one. */
static uint64_t wait_for_op(rt_pool *p, uint64_t seen) {
    for (int i = 0; i < SPIN_ITERS; i++) {
        uint64_t g = atomic_load(&p->generation);
        if (g != seen || atomic_load(&p->stop)) return g;
        cpu_relax();
    }
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(&p->sleepers, 1);
    uint64_t g;
    while ((g = atomic_load(&p->generation)) == seen && !atomic_load(&p->stop)) pthread_cond_wait(&p->wake, &p->mu);
    atomic_fetch_sub(&p->sleepers, 1);
    pthread_mutex_unlock(&p->mu);
    return g;
}

/* A thread's share of the op is done; the last one wakes a sleeping caller. */
static void finish_share(rt_pool *p) {
    if (atomic_fetch_sub(&p->busy, 1) != 1) return;
    if (atomic_load(&p->caller_sleeping)) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_signal(&p->done);
        pthread_mutex_unlock(&p->mu);
    }
}

static void *worker_main(void *argp) {
    worker_start *ws = argp;
    rt_pool *p = ws->pool;
    const int ith = ws->ith;
    free(ws);
    uint64_t seen = 0;
    for (;;) {
        seen = wait_for_op(p, seen);
        if (atomic_load(&p->stop)) return NULL;
        work_on_current_op(p, ith);
        finish_share(p);
    }
}

static void stop_workers(rt_pool *p, int n_started) {
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < n_started; i++) pthread_join(p->threads[i], NULL);
}

hf_status rt_pool_new(rt_pool **out, int n_threads, hf_err *err) {
    *out = NULL;
    if (n_threads < 1 || n_threads > 1024)
        return hf_fail(err, HF_ERR_ARG, "thread count %d out of range 1..1024", n_threads);
    rt_pool *p = calloc(1, sizeof *p);
    if (!p) return hf_fail(err, HF_ERR_NOMEM, "out of memory for the thread pool");
    p->n_threads = n_threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    atomic_init(&p->generation, 0);
    atomic_init(&p->stop, 0);
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->caller_sleeping, 0);
    atomic_init(&p->busy, 0);
    atomic_init(&p->next, 0);
    p->threads = calloc((size_t)n_threads, sizeof *p->threads);
    if (!p->threads) {
        rt_pool_free(p);
        return hf_fail(err, HF_ERR_NOMEM, "out of memory for the thread pool");
    }
    for (int i = 1; i < n_threads; i++) {
        worker_start *ws = malloc(sizeof *ws);
        if (ws) *ws = (worker_start){p, i};
        if (!ws || pthread_create(&p->threads[i - 1], NULL, worker_main, ws) != 0) {
            free(ws);
            stop_workers(p, i - 1);
            p->n_threads = 1; /* nothing left to join */
            rt_pool_free(p);
            return hf_fail(err, HF_ERR_NOMEM, "could not start worker thread %d of %d", i, n_threads);
        }
    }
    *out = p;
    return HF_OK;
}

void rt_pool_free(rt_pool *p) {
    if (!p) return;
    if (p->threads && p->n_threads > 1) stop_workers(p, p->n_threads - 1);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p->threads);
    free(p);
}

int rt_pool_n_threads(const rt_pool *p) { return p->n_threads; }

/* The caller's side of the end-of-op handoff. */
static void wait_for_workers(rt_pool *p) {
    for (int i = 0; i < SPIN_ITERS; i++) {
        if (atomic_load(&p->busy) == 0) return;
        cpu_relax();
    }
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->caller_sleeping, 1);
    while (atomic_load(&p->busy) != 0) pthread_cond_wait(&p->done, &p->mu);
    atomic_store(&p->caller_sleeping, 0);
    pthread_mutex_unlock(&p->mu);
}

void rt_pool_run(rt_pool *p, rt_task_fn fn, void *arg, int64_t n_items, int64_t chunk) {
    if (n_items <= 0) return;
    if (chunk < 1) chunk = 1;
    if (p->n_threads == 1 || n_items <= chunk) {
        fn(arg, 0, n_items, 0); /* one chunk: not worth waking anyone */
        return;
    }
    p->fn = fn;
    p->arg = arg;
    p->n_items = n_items;
    p->chunk = chunk;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    atomic_store(&p->busy, p->n_threads);
    atomic_fetch_add(&p->generation, 1); /* publishes the op (seq_cst: after the fields above) */
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->mu);
    }
    work_on_current_op(p, 0);
    finish_share(p);
    wait_for_workers(p);
}
