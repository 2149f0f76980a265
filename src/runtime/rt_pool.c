/* Thread pool: workers sleep on a condition variable between ops; a new op
 * bumps a generation number. Chunks are claimed with atomic_fetch_add, and the
 * last thread to finish its share wakes the caller. */
#include "runtime/rt_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct rt_pool {
    int n_threads;
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t wake;     /* workers wait here for a new generation */
    pthread_cond_t done;     /* the caller waits here for the op to finish */
    uint64_t generation;     /* guarded by mu */
    int stop;                /* guarded by mu */
    int busy;                /* threads still working on the current op; guarded by mu */
    /* the current op */
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

static void finish_share(rt_pool *p) {
    pthread_mutex_lock(&p->mu);
    if (--p->busy == 0) pthread_cond_signal(&p->done);
    pthread_mutex_unlock(&p->mu);
}

static void *worker_main(void *argp) {
    worker_start *ws = argp;
    rt_pool *p = ws->pool;
    const int ith = ws->ith;
    free(ws);
    uint64_t seen = 0;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->stop && p->generation == seen) pthread_cond_wait(&p->wake, &p->mu);
        if (p->stop) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        seen = p->generation;
        pthread_mutex_unlock(&p->mu);
        work_on_current_op(p, ith);
        finish_share(p);
    }
}

static void stop_workers(rt_pool *p, int n_started) {
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
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

void rt_pool_run(rt_pool *p, rt_task_fn fn, void *arg, int64_t n_items, int64_t chunk) {
    if (n_items <= 0) return;
    if (chunk < 1) chunk = 1;
    if (p->n_threads == 1 || n_items <= chunk) {
        fn(arg, 0, n_items, 0); /* one chunk: not worth waking anyone */
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    p->n_items = n_items;
    p->chunk = chunk;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    p->busy = p->n_threads;
    p->generation++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    work_on_current_op(p, 0);
    pthread_mutex_lock(&p->mu);
    if (--p->busy > 0)
        while (p->busy > 0) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
