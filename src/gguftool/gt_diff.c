/* gguftool diff: structural comparison of two opened GGUF files (contract: gt.h). Compares the
 * header, the KV pairs position by position (key, type, value), the tensor infos and the
 * tensor data, and finally any remaining bytes (padding). Only counts and locates the
 * differences; `hf2gguf diff` prints them. */
#include <string.h>

#include "gguftool/gt.h"

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

static uint64_t first_diff_byte(const uint8_t *x, const uint8_t *y, uint64_t n) {
    uint64_t i = 0;
    while (i < n && x[i] == y[i]) i++;
    return i;
}

static void diff_header(const gguf_file *a, const gguf_file *b, gt_diff *d) {
    const gt_diff_field rows[GT_DIFF_HEADER_FIELDS] = {
        {"version", gguf_version(a), gguf_version(b)},
        {"alignment", gguf_alignment(a), gguf_alignment(b)},
        {"KV count", (uint64_t)gguf_n_kv(a), (uint64_t)gguf_n_kv(b)},
        {"tensor count", (uint64_t)gguf_n_tensors(a), (uint64_t)gguf_n_tensors(b)},
        {"data offset", gguf_data_offset(a), gguf_data_offset(b)},
        {"file size", gguf_file_size(a), gguf_file_size(b)},
    };
    for (int i = 0; i < GT_DIFF_HEADER_FIELDS; i++)
        if (rows[i].a != rows[i].b) d->header[d->n_header++] = rows[i];
}

/* Entries past the end of the shorter file count as differences; if nothing differed
 * before, the first of them is the first difference. */
static void count_extra(int64_t na, int64_t nb, int64_t *n, int64_t *first) {
    if (na == nb) return;
    if (*first < 0) *first = min64(na, nb);
    *n += na > nb ? na - nb : nb - na;
}

static void diff_kvs(const gguf_file *a, const gguf_file *b, gt_diff *d) {
    int64_t na = gguf_n_kv(a), nb = gguf_n_kv(b);
    for (int64_t i = 0; i < min64(na, nb); i++)
        if (!gguf_kv_equal(gguf_kv_at(a, i), gguf_kv_at(b, i)) && d->n_kv++ == 0) d->first_kv = i;
    count_extra(na, nb, &d->n_kv, &d->first_kv);
}

static int same_info(const gguf_tensor *x, const gguf_tensor *y) {
    return !strcmp(x->name, y->name) && x->type == y->type && x->n_dims == y->n_dims && x->offset == y->offset &&
           !memcmp(x->ne, y->ne, sizeof x->ne);
}

static void diff_tensors(const gguf_file *a, const gguf_file *b, gt_diff *d) {
    int64_t na = gguf_n_tensors(a), nb = gguf_n_tensors(b);
    for (int64_t i = 0; i < min64(na, nb); i++) {
        const gguf_tensor *x = gguf_tensor_at(a, i), *y = gguf_tensor_at(b, i);
        int info = same_info(x, y);
        if (info && !memcmp(x->data, y->data, x->nbytes)) continue;
        if (d->n_tensors++ == 0) {
            d->first_tensor = i;
            d->first_tensor_data_only = info;
            if (info) d->first_data_byte = first_diff_byte(x->data, y->data, x->nbytes);
        }
    }
    count_extra(na, nb, &d->n_tensors, &d->first_tensor);
}

/* Parsed content equal: the files can still differ in padding bytes. */
static void diff_rest(const gguf_file *a, const gguf_file *b, gt_diff *d) {
    uint64_t n = gguf_file_size(a) < gguf_file_size(b) ? gguf_file_size(a) : gguf_file_size(b);
    uint64_t at = first_diff_byte(gguf_file_bytes(a), gguf_file_bytes(b), n);
    if (at == n && gguf_file_size(a) == gguf_file_size(b)) return;
    d->bytes_differ = 1;
    d->first_byte = at;
}

int64_t gt_diff_files(const gguf_file *a, const gguf_file *b, gt_diff *d) {
    memset(d, 0, sizeof *d);
    d->first_kv = d->first_tensor = -1;
    diff_header(a, b, d);
    diff_kvs(a, b, d);
    diff_tensors(a, b, d);
    int64_t n = d->n_header + d->n_kv + d->n_tensors;
    if (n == 0) {
        diff_rest(a, b, d);
        n = d->bytes_differ;
    }
    return n;
}
