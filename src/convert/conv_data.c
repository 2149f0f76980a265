/* conv_data: streams the planned tensors' data into the GGUF writer.
 *
 * One output tensor at a time: its rows (Q, K, V rows in turn when fused) are
 * read from the mmapped safetensors, converted to float32, un-permuted for
 * RoPE where planned, and converted/quantized by n_threads workers, each
 * taking a contiguous block of rows, in chunks of about CHUNK_BYTES of output.
 * Each chunk is written as soon as it is done and its source pages released
 * (MADV_DONTNEED on the private read-only mapping), so peak memory is a chunk
 * plus the source pages of one chunk, whatever the tensor or model size. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

typedef struct job {
    const conv_item *it;
    const conv_part *part;
    int64_t part_rows;
    uint8_t *out;        /* output of row `first` */
    uint64_t row_bytes;
    int64_t first, last; /* rows of the part, [first, last) */
    float *scratch;
} job;

static void convert_rows(const job *jb) {
    const conv_item *it = jb->it;
    for (int64_t r = jb->first; r < jb->last; r++) {
        int64_t src_row = source_row(r, jb->part_rows, jb->part->permute_heads);
        st_read_f32(jb->part->src, src_row * it->row_len, it->row_len, jb->scratch);
        q_from_f32(it->type, jb->scratch, jb->out + (size_t)(r - jb->first) * jb->row_bytes, it->row_len);
    }
}

static void *worker(void *arg) {
    convert_rows(arg);
    return NULL;
}

/* Converts rows [first, last) of one part into out, split over n_threads. */
static hf_status convert_chunk(const conv_item *it, const conv_part *part, int64_t part_rows, int64_t first,
                               int64_t last, uint8_t *out, int n_threads, hf_err *err) {
    uint64_t row_bytes = hf_row_size(it->type, it->row_len);
    int64_t rows = last - first;
    int nt = (rows * it->row_len < PARALLEL_MIN_ELEMENTS || n_threads < 1) ? 1 : n_threads;
    if (nt > rows) nt = (int)(rows > 0 ? rows : 1);
    size_t row_len = (size_t)(it->row_len ? it->row_len : 1);
    job *jobs = calloc((size_t)nt, sizeof *jobs);
    pthread_t *tids = calloc((size_t)nt, sizeof *tids);
    float *scratch = malloc((size_t)nt * row_len * sizeof(float));
    hf_status s = (jobs && tids && scratch) ? HF_OK : hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", it->name);
    int started = 0;
    for (int i = 0; s == HF_OK && i < nt; i++) {
        int64_t a = first + rows * i / nt, b = first + rows * (i + 1) / nt;
        jobs[i] = (job){it, part, part_rows, out + (size_t)(a - first) * row_bytes, row_bytes, a, b,
                        scratch + (size_t)i * row_len};
        if (i == nt - 1) break; /* the calling thread takes the last block */
        if (pthread_create(&tids[i], NULL, worker, &jobs[i]) != 0) {
            s = hf_fail(err, HF_ERR_NOMEM, "%s: cannot start a worker thread", it->name);
            break;
        }
        started++;
    }
    if (s == HF_OK) convert_rows(&jobs[nt - 1]);
    for (int i = 0; i < started; i++) pthread_join(tids[i], NULL);
    free(jobs);
    free(tids);
    free(scratch);
    return s;
}

/* Drops source bytes [a, a+n) from this process's resident set; they stay in the page
 * cache, and a page shared with rows still to come is simply faulted in again. */
static void release_source(const uint8_t *a, uint64_t n) {
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t lo = (uintptr_t)a & ~(uintptr_t)(page - 1);
    uintptr_t hi = (uintptr_t)a + n;
    if (hi > lo) madvise((void *)lo, hi - lo, MADV_DONTNEED);
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

typedef struct stream {
    gguf_writer *w;
    uint8_t *buf;
    uint64_t cap;
    int n_threads;
} stream;

static hf_status stream_part(stream *st, const conv_item *it, const conv_part *part, hf_err *err) {
    int64_t part_rows = part->src->n_elements / (it->row_len ? it->row_len : 1);
    uint64_t row_bytes = hf_row_size(it->type, it->row_len);
    uint64_t src_row_bytes = part->src->nbytes / (uint64_t)(part_rows ? part_rows : 1);
    int64_t step = chunk_rows(it, part, part_rows);
    uint64_t need = (uint64_t)(step < part_rows ? step : part_rows) * row_bytes;
    if (need > st->cap) {
        free(st->buf);
        st->buf = malloc(need);
        st->cap = st->buf ? need : 0;
        if (!st->buf)
            return hf_fail(err, HF_ERR_NOMEM, "%s: out of memory for %llu bytes", it->name, (unsigned long long)need);
    }
    for (int64_t r = 0; r < part_rows; r += step) {
        int64_t e = r + step < part_rows ? r + step : part_rows;
        hf_status s = convert_chunk(it, part, part_rows, r, e, st->buf, st->n_threads, err);
        if (s == HF_OK) s = gguf_w_write_data(st->w, st->buf, (size_t)((uint64_t)(e - r) * row_bytes), err);
        release_source(part->src->data + (uint64_t)r * src_row_bytes, (uint64_t)(e - r) * src_row_bytes);
        if (s != HF_OK) return s;
    }
    return HF_OK;
}

hf_status conv_data_write(gguf_writer *w, const conv_plan *p, int n_threads, conv_progress_fn progress, void *pctx,
                          uint64_t *bytes_written, hf_err *err) {
    uint64_t total = 0, done = 0;
    for (int64_t i = 0; i < p->n; i++) total += conv_item_bytes(&p->items[i]);
    stream st = {w, NULL, 0, n_threads};
    hf_status s = HF_OK;
    for (int64_t i = 0; s == HF_OK && i < p->n; i++) {
        const conv_item *it = &p->items[i];
        for (int k = 0; s == HF_OK && k < it->n_parts; k++) s = stream_part(&st, it, &it->part[k], err);
        if (s == HF_OK) s = gguf_w_end_tensor(w, err);
        done += conv_item_bytes(it);
        if (s == HF_OK && progress) progress(pctx, i + 1, p->n, it->name, done, total);
    }
    free(st.buf);
    if (bytes_written) *bytes_written = done;
    return s;
}
