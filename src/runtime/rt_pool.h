/* rt_pool: a small fixed thread pool for data-parallel kernels.
 *
 * rt_pool_run(pool, fn, arg, n_items, chunk) hands out [start, end) ranges of
 * `chunk` items through an atomic counter to the n threads (the caller is
 * thread 0 and works too) and returns when every item is done (a per-op
 * join). fn gets the calling thread's index ith in [0, n) so it can use
 * per-thread scratch.
 *
 * Determinism contract: callers split work only over independent outputs
 * (matrix rows, tokens, heads), never over the terms of one reduction, so
 * results do not depend on the thread count or on which thread ran what.
 * No global state: everything lives in the rt_pool. */
#pragma once

#include <stdint.h>

#include "base/status.h"

typedef struct rt_pool rt_pool;

/* Processes items [start, end); ith = index of the executing thread. */
typedef void (*rt_task_fn)(void *arg, int64_t start, int64_t end, int ith);

/* n_threads >= 1 (1 = no worker threads, everything runs on the caller). */
hf_status rt_pool_new(rt_pool **out, int n_threads, hf_err *err);
void rt_pool_free(rt_pool *p); /* NULL is a no-op; joins the workers */
int rt_pool_n_threads(const rt_pool *p);

/* Runs fn over n_items in chunks of `chunk` (>= 1) and waits for all of them.
 * Not reentrant: call from one thread at a time, never from inside fn. */
void rt_pool_run(rt_pool *p, rt_task_fn fn, void *arg, int64_t n_items, int64_t chunk);
