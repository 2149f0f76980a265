/* conv_data: streams the planned tensors' data into the GGUF writer.
 *
 * One output tensor at a time: its rows (Q, K, V rows in turn when fused) are
 * read from the safetensors file (pread, see "Reading the source"), converted to float32,
 * un-permuted for RoPE where planned, and converted/quantized by n_threads workers,
 * each taking a contiguous block of rows, in chunks of about CHUNK_BYTES of output.
 * Each chunk is queued for a writer thread as soon as it is done, and the next one is
 * converted into the next of N_BUFFERS buffers meanwhile, so reading, conversion and the
 * writes overlap (measured here on a 341M-parameter BF16 checkpoint to q8_0: 1.21-1.39 s
 * with no overlap, 0.72-0.86 s with two buffers, 0.65-0.68 s with four; bench/README.md).
 * Peak memory is the N_BUFFERS chunks plus one chunk of source rows, whatever the tensor or
 * model size. Only the writer thread calls the GGUF writer. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/dtype.h"
#include "convert/conv_internal.h"
#include "quant/quant.h"

/* Below this many elements a tensor is converted on the calling thread: thread start-up would dominate. */
#define PARALLEL_MIN_ELEMENTS (1 << 16)
/* Output bytes converted per step: big enough to keep threads busy, small enough
 * that memory stays far below one large tensor. */
#define CHUNK_BYTES ((uint64_t)8 << 20)

uint64_t conv_item_bytes(const conv_item *it) { return hf_row_size(it->type, it->row_len) * (uint64_t)it->rows; }

/* Source row of output row r of a part: the inverse of HF's rotate_half layout.
 * Within each head of d rows, output row 2i+s comes from row s*(d/2)+i. */
static int64_t source_row(int64_t r, int64_t part_rows, int64_t heads) {
    if (!heads) return r;
    int64_t d = part_rows / heads;
    int64_t h = r / d, j = r % d;
    return h * d + (j % 2) * (d / 2) + j / 2;
}

/* ==== Reading the source ====
 * A chunk's source rows are read with pread into one reused buffer, not through the
 * checkpoint's mapping. Why: every first touch of a mapped page is a page fault, and on the
 * VMs we measure on faults are costly (a paravirtualized guest: each one a trip to the host);
 * releasing the pages again (madvise) cost TLB flushes on every core. Reading through the
 * mapping, a 341M BF16 -> q8_0 conversion spent more time in the BF16 widening loop's stalls and
 * the fault path than in quantizing, and ran no faster on 2 threads than on 1. pread copies from
 * the page cache through the kernel's own mapping into pages that stay mapped. Each worker
 * reads the rows it converts, so the reads run in parallel too. The descriptor is the one the
 * shard was mapped and parsed through (st_tensor.fd), never the path opened again: a file
 * replaced between the two would otherwise be read against the old header. A tensor without
 * one (parsed from memory) is copied from its data. */
typedef struct source_rows {
    const st_tensor *t;    /* the part's tensor (file offset and name for messages) */
    const st_tensor *view; /* t with data = buf: the chunk's rows once read */
    uint8_t *buf;
    int64_t base;          /* the part row at buf[0] */
    uint64_t row_bytes;    /* source bytes per row */
} source_rows;

/* Reads n bytes of t's data from offset off into dst. */
static hf_status read_source(const st_tensor *t, uint64_t off, uint64_t n, uint8_t *dst, hf_err *err) {
    if (t->fd < 0) {
        memcpy(dst, t->data + off, (size_t)n);
        return HF_OK;
    }
    for (uint64_t got = 0; got < n;) {
        const uint64_t at = t->file_offset + off + got;
        ssize_t k = pread(t->fd, dst + got, (size_t)(n - got), (off_t)at);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0)
            return hf_fail(err, HF_ERR_IO, "%s: tensor '%s': cannot read %llu bytes at offset %llu: %s", t->file,
                           t->name, (unsigned long long)(n - got), (unsigned long long)at,
                           k < 0 ? strerror(errno) : "the file is shorter than its header says");
        got += (uint64_t)k;
    }
    return HF_OK;
}

typedef struct job {
    const conv_item *it;
    const source_rows *src;
    int64_t permute_heads, part_rows;
    uint8_t *out;        /* output of row `first` */
    uint64_t row_bytes;
    int64_t first, last; /* rows of the part, [first, last): whole heads when permuted */
    float *scratch;
    hf_status st;
    hf_err err;
} job;

/* Reads the job's source rows (its rows are whole heads, so those are exactly [first, last))
 * and converts them. */
static void convert_rows(job *jb) {
    const conv_item *it = jb->it;
    const source_rows *sr = jb->src;
    jb->st = read_source(sr->t, (uint64_t)jb->first * sr->row_bytes, (uint64_t)(jb->last - jb->first) * sr->row_bytes,
                       sr->buf + (size_t)(jb->first - sr->base) * sr->row_bytes, &jb->err);
    if (jb->st != HF_OK) return;
    for (int64_t r = jb->first; r < jb->last; r++) {
        int64_t src_row = source_row(r, jb->part_rows, jb->permute_heads) - sr->base;
        st_read_f32(sr->view, src_row * it->row_len, it->row_len, jb->scratch);
        q_from_f32(it->type, jb->scratch, jb->out + (size_t)(r - jb->first) * jb->row_bytes, it->row_len);
    }
}

static void *worker(void *arg) {
    convert_rows(arg);
    return NULL;
}

/* Converts rows [first, last) of one part (src->base == first) into out, split over n_threads
 * in whole RoPE heads. */
static hf_status convert_chunk(const conv_item *it, const conv_part *part, const source_rows *src, int64_t part_rows,
                               int64_t first, int64_t last, uint8_t *out, int n_threads, hf_err *err) {
    uint64_t row_bytes = hf_row_size(it->type, it->row_len);
    const int64_t unit = part->permute_heads ? part_rows / part->permute_heads : 1;
    const int64_t units = (last - first) / unit;
    int nt = ((last - first) * it->row_len < PARALLEL_MIN_ELEMENTS || n_threads < 1) ? 1 : n_threads;
    if (nt > units) nt = (int)(units > 0 ? units : 1);
    size_t row_len = (size_t)(it->row_len ? it->row_len : 1);
    job *jobs = calloc((size_t)nt, sizeof *jobs);
    pthread_t *tids = calloc((size_t)nt, sizeof *tids);
    float *scratch = malloc((size_t)nt * row_len * sizeof(float));
    hf_status s = (jobs && tids && scratch) ? HF_OK : hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", it->name);
    int started = 0;
    for (int i = 0; s == HF_OK && i < nt; i++) {
        int64_t a = first + unit * (units * i / nt), b = i == nt - 1 ? last : first + unit * (units * (i + 1) / nt);
        jobs[i] = (job){it, src, part->permute_heads, part_rows, out + (size_t)(a - first) * row_bytes, row_bytes, a, b,
                        scratch + (size_t)i * row_len, HF_OK, {0}};
        if (i == nt - 1) break; /* the calling thread takes the last block */
        if (pthread_create(&tids[i], NULL, worker, &jobs[i]) != 0) {
            s = hf_fail(err, HF_ERR_NOMEM, "%s: cannot start a worker thread", it->name);
            break;
        }
        started++;
    }
    if (s == HF_OK) convert_rows(&jobs[nt - 1]);
    for (int i = 0; i < started; i++) pthread_join(tids[i], NULL);
    for (int i = 0; s == HF_OK && i < nt; i++)
        if (jobs[i].st != HF_OK) {
            *err = jobs[i].err;
            s = jobs[i].st;
        }
    free(jobs);
    free(tids);
    free(scratch);
    return s;
}

/* Rows per chunk: about CHUNK_BYTES of output, whole RoPE heads so that a chunk's
 * source rows are exactly its own (the permutation stays inside a head). */
static int64_t chunk_rows(const conv_item *it, const conv_part *part, int64_t part_rows) {
    uint64_t row_bytes = hf_row_size(it->type, it->row_len);
    int64_t unit = part->permute_heads ? part_rows / part->permute_heads : 1;
    int64_t n = row_bytes ? (int64_t)(CHUNK_BYTES / row_bytes) : part_rows;
    n -= n % unit;
    return n < unit ? unit : n;
}

/* ==== The writer thread ====
 * A queue of up to PIPE_DEPTH jobs: the converting thread posts a job (a filled buffer, or the
 * end of a tensor), the writer takes them in order, writes each, and marks its buffer free
 * again. The first write error stops all later writes and is reported at the next post or at
 * the end. */
#define N_BUFFERS 4 /* chunks in flight: converting one, up to three queued or being written */
#define PIPE_DEPTH (2 * N_BUFFERS) /* every buffer, and an end-of-tensor job after each */

typedef struct write_job {
    const uint8_t *data; /* NULL: end of the current tensor */
    size_t n;
} write_job;

typedef struct writer_pipe {
    gguf_writer *w;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    write_job queue[PIPE_DEPTH]; /* jobs [head, head + count) mod PIPE_DEPTH */
    int head, count, quit;
    const uint8_t *writing; /* the buffer being written, NULL when idle */
    hf_status st;
    hf_err err;
} writer_pipe;

static void *writer_main(void *arg) {
    writer_pipe *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->count && !p->quit) pthread_cond_wait(&p->cv, &p->mu);
        if (!p->count) break;
        const write_job j = p->queue[p->head];
        p->head = (p->head + 1) % PIPE_DEPTH;
        p->count--;
        p->writing = j.data;
        const int ok = p->st == HF_OK;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        hf_status s = HF_OK;
        if (ok) s = j.data ? gguf_w_write_data(p->w, j.data, j.n, &p->err) : gguf_w_end_tensor(p->w, &p->err);
        pthread_mutex_lock(&p->mu);
        if (s != HF_OK) p->st = s;
        p->writing = NULL;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static hf_status pipe_start(writer_pipe *p, gguf_writer *w, hf_err *err) {
    *p = (writer_pipe){.w = w, .st = HF_OK};
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    /* The writer starts with every signal blocked (it inherits the mask): a signal handler that
     * unlinks the temp file then never runs on the thread that may release that file's name. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    const int rc = pthread_create(&p->thread, NULL, writer_main, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        return hf_fail(err, HF_ERR_NOMEM, "cannot start the writer thread");
    }
    return HF_OK;
}

/* The writer's error, if it had one, into err. */
static hf_status pipe_status(writer_pipe *p, hf_err *err) {
    if (p->st != HF_OK) *err = p->err;
    return p->st;
}

/* Posts a job once the queue has room; fails with the writer's error if it had one. */
static hf_status pipe_post(writer_pipe *p, const uint8_t *data, size_t n, hf_err *err) {
    pthread_mutex_lock(&p->mu);
    while (p->count == PIPE_DEPTH && p->st == HF_OK) pthread_cond_wait(&p->cv, &p->mu);
    hf_status s = pipe_status(p, err);
    if (s == HF_OK) {
        p->queue[(p->head + p->count) % PIPE_DEPTH] = (write_job){data, n};
        p->count++;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return s;
}

/* Whether buf is queued (p->mu held). */
static int queued(const writer_pipe *p, const uint8_t *buf) {
    for (int i = 0; i < p->count; i++)
        if (p->queue[(p->head + i) % PIPE_DEPTH].data == buf) return 1;
    return 0;
}

/* Waits until buf is neither queued nor being written (it may then be refilled). */
static void pipe_wait_free(writer_pipe *p, const uint8_t *buf) {
    if (!buf) return; /* not allocated yet (NULL also marks end-of-tensor jobs) */
    pthread_mutex_lock(&p->mu);
    while (queued(p, buf) || p->writing == buf) pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

/* Lets the writer finish what was posted, joins it; returns its status. */
static hf_status pipe_finish(writer_pipe *p, hf_err *err) {
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    return pipe_status(p, err);
}

typedef struct stream {
    writer_pipe *pipe;
    uint8_t *buf[N_BUFFERS]; /* converted into in turn */
    uint64_t cap[N_BUFFERS];
    int cur;
    int n_threads;
    uint8_t *src; /* the source rows of the chunk being converted */
    uint64_t src_cap;
} stream;

/* Makes *buf (of *cap bytes) hold at least need bytes; its contents are not kept. 0 when out
 * of memory (then *buf is NULL and *cap 0). */
static int grow(uint8_t **buf, uint64_t *cap, uint64_t need) {
    if (need <= *cap) return 1;
    free(*buf);
    *buf = malloc(need);
    *cap = *buf ? need : 0;
    return *buf != NULL;
}

/* Makes room for n source bytes of t. */
static hf_status prepare_source(stream *st, const st_tensor *t, uint64_t n, hf_err *err) {
    if (!grow(&st->src, &st->src_cap, n))
        return hf_fail(err, HF_ERR_NOMEM, "%s: tensor '%s': out of memory for %llu bytes", t->file, t->name,
                       (unsigned long long)n);
    return HF_OK;
}

/* The next buffer to convert into, with room for need bytes, once the writer is done with it. */
static uint8_t *next_buffer(stream *st, uint64_t need, const char *name, hf_err *err) {
    const int i = st->cur;
    pipe_wait_free(st->pipe, st->buf[i]);
    if (!grow(&st->buf[i], &st->cap[i], need)) {
        hf_fail(err, HF_ERR_NOMEM, "%s: out of memory for %llu bytes", name, (unsigned long long)need);
        return NULL;
    }
    return st->buf[i];
}

static hf_status stream_part(stream *st, const conv_item *it, const conv_part *part, hf_err *err) {
    int64_t part_rows = part->src->n_elements / (it->row_len ? it->row_len : 1);
    uint64_t row_bytes = hf_row_size(it->type, it->row_len);
    uint64_t src_row_bytes = part->src->nbytes / (uint64_t)(part_rows ? part_rows : 1);
    int64_t step = chunk_rows(it, part, part_rows);
    uint64_t need = (uint64_t)(step < part_rows ? step : part_rows) * row_bytes;
    for (int64_t r = 0; r < part_rows; r += step) {
        int64_t e = r + step < part_rows ? r + step : part_rows;
        uint8_t *buf = next_buffer(st, need, it->name, err);
        if (!buf) return HF_ERR_NOMEM;
        hf_status s = prepare_source(st, part->src, (uint64_t)(e - r) * src_row_bytes, err);
        st_tensor rows = *part->src; /* the chunk's rows, once read */
        rows.data = st->src;
        rows.nbytes = (uint64_t)(e - r) * src_row_bytes;
        const source_rows src = {part->src, &rows, st->src, r, src_row_bytes};
        if (s == HF_OK) s = convert_chunk(it, part, &src, part_rows, r, e, buf, st->n_threads, err);
        if (s == HF_OK) s = pipe_post(st->pipe, buf, (size_t)((uint64_t)(e - r) * row_bytes), err);
        if (s != HF_OK) return s;
        st->cur = (st->cur + 1) % N_BUFFERS;
    }
    return HF_OK;
}

hf_status conv_data_write(gguf_writer *w, const conv_plan *p, int n_threads, conv_progress_fn progress, void *pctx,
                          uint64_t *bytes_written, hf_err *err) {
    uint64_t total = 0, done = 0;
    for (int64_t i = 0; i < p->n; i++) total += conv_item_bytes(&p->items[i]);
    writer_pipe pipe;
    hf_status s = pipe_start(&pipe, w, err);
    if (s != HF_OK) return s;
    stream st = {.pipe = &pipe, .n_threads = n_threads};
    for (int64_t i = 0; s == HF_OK && i < p->n; i++) {
        const conv_item *it = &p->items[i];
        for (int k = 0; s == HF_OK && k < it->n_parts; k++) s = stream_part(&st, it, &it->part[k], err);
        if (s == HF_OK) s = pipe_post(&pipe, NULL, 0, err); /* end of the tensor */
        if (s == HF_OK) done += conv_item_bytes(it);
        if (s == HF_OK && progress) progress(pctx, i + 1, p->n, it->name, done, total);
    }
    /* a conversion error keeps its own message; otherwise the writer's last word counts */
    hf_err werr = {0};
    const hf_status ws = pipe_finish(&pipe, &werr);
    if (s == HF_OK && ws != HF_OK) {
        *err = werr;
        s = ws;
    }
    for (int i = 0; i < N_BUFFERS; i++) free(st.buf[i]);
    free(st.src);
    if (bytes_written) *bytes_written = done;
    return s;
}
