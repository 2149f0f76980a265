/* conv_data: streams the planned tensors' data into the GGUF writer.
 *
 * One output tensor at a time: its rows (Q, K, V rows in turn when fused) are
 * read from the mmapped safetensors, converted to float32, un-permuted for
 * RoPE where planned, and converted/quantized into one output buffer by
 * n_threads workers, each taking a contiguous block of rows. The buffer is
 * written, then the source pages are released (MADV_DONTNEED on the private
 * read-only mapping), so peak memory is one output tensor (the fused Q/K/V
 * group when fusing) plus the pages of its sources, never the whole model. */
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
    uint8_t *out;
    uint64_t row_bytes;
    int64_t first, last; /* output rows [first, last) */
    float *scratch;
} job;

static void convert_rows(const job *jb) {
    const conv_item *it = jb->it;
    int64_t base = 0;
    int p = 0;
    int64_t part_rows = it->part[0].src->n_elements / it->row_len;
    for (int64_t r = jb->first; r < jb->last; r++) {
        while (r >= base + part_rows) {
            base += part_rows;
            p++;
            part_rows = it->part[p].src->n_elements / it->row_len;
        }
        int64_t src_row = source_row(r - base, part_rows, it->part[p].permute_heads);
        st_read_f32(it->part[p].src, src_row * it->row_len, it->row_len, jb->scratch);
        q_from_f32(it->type, jb->scratch, jb->out + (size_t)r * jb->row_bytes, it->row_len);
    }
}

static void *worker(void *arg) {
    convert_rows(arg);
    return NULL;
}

static hf_status convert_item(const conv_item *it, uint8_t *out, int n_threads, hf_err *err) {
    uint64_t row_bytes = hf_row_size(it->type, it->row_len);
    int64_t n_el = it->rows * it->row_len;
    int nt = (n_el < PARALLEL_MIN_ELEMENTS || n_threads < 1) ? 1 : n_threads;
    if (nt > it->rows) nt = (int)(it->rows > 0 ? it->rows : 1);
    job *jobs = calloc((size_t)nt, sizeof *jobs);
    pthread_t *tids = calloc((size_t)nt, sizeof *tids);
    float *scratch = malloc((size_t)nt * (size_t)(it->row_len ? it->row_len : 1) * sizeof(float));
    hf_status s = (jobs && tids && scratch) ? HF_OK : hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", it->name);
    int started = 0;
    for (int i = 0; s == HF_OK && i < nt; i++) {
        jobs[i] = (job){it, out, row_bytes, it->rows * i / nt, it->rows * (i + 1) / nt,
                        scratch + (size_t)i * (size_t)(it->row_len ? it->row_len : 1)};
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

/* Drops the source pages of a finished tensor from this process (they stay in the page cache). */
static void release_sources(const conv_item *it) {
    long page = sysconf(_SC_PAGESIZE);
    for (int i = 0; i < it->n_parts; i++) {
        const st_tensor *t = it->part[i].src;
        uintptr_t a = (uintptr_t)t->data & ~(uintptr_t)(page - 1);
        uintptr_t e = (uintptr_t)t->data + t->nbytes;
        if (e > a) madvise((void *)a, e - a, MADV_DONTNEED);
    }
}

hf_status conv_data_write(gguf_writer *w, const conv_plan *p, int n_threads, conv_progress_fn progress, void *pctx,
                          uint64_t *bytes_written, hf_err *err) {
    uint64_t total = 0, done = 0, cap = 0;
    for (int64_t i = 0; i < p->n; i++) total += conv_item_bytes(&p->items[i]);
    uint8_t *buf = NULL;
    hf_status s = HF_OK;
    for (int64_t i = 0; s == HF_OK && i < p->n; i++) {
        const conv_item *it = &p->items[i];
        uint64_t n = conv_item_bytes(it);
        if (n > cap) {
            free(buf);
            buf = malloc(n);
            cap = buf ? n : 0;
            if (!buf) {
                s = hf_fail(err, HF_ERR_NOMEM, "%s: out of memory for %llu bytes", it->name, (unsigned long long)n);
                break;
            }
        }
        s = convert_item(it, buf, n_threads, err);
        if (s == HF_OK) s = gguf_w_write_data(w, buf, (size_t)n, err);
        if (s == HF_OK) s = gguf_w_end_tensor(w, err);
        release_sources(it);
        done += n;
        if (s == HF_OK && progress) progress(pctx, i + 1, p->n, it->name, done, total);
    }
    free(buf);
    if (bytes_written) *bytes_written = done;
    return s;
}
