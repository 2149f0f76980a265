/* hf2gguf diff: structural comparison of two GGUF files. Compares the header, the KV pairs
 * position by position (key, type, value), the tensor infos and the tensor data, and finally
 * any remaining bytes (padding). Exit 0 identical, 1 different, 2 error. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/dtype.h"
#include "cli/cli.h"
#include "gguf/gguf.h"

#define SHOW_ELEMS 6
#define SHOW_CHARS 48

static void usage(FILE *out) {
    fputs("usage: hf2gguf diff A.gguf B.gguf\n"
          "  Compares header, KV pairs (order, key, type, value), tensor infos and tensor data.\n"
          "  Prints the first differing KV and tensor with counts, or \"identical\".\n"
          "  Exit status: 0 identical, 1 different, 2 error.\n",
          out);
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

static int diff_header(const gguf_file *a, const gguf_file *b) {
    int n = 0;
    struct {
        const char *what;
        uint64_t va, vb;
    } rows[] = {
        {"version", gguf_version(a), gguf_version(b)},
        {"alignment", gguf_alignment(a), gguf_alignment(b)},
        {"KV count", (uint64_t)gguf_n_kv(a), (uint64_t)gguf_n_kv(b)},
        {"tensor count", (uint64_t)gguf_n_tensors(a), (uint64_t)gguf_n_tensors(b)},
        {"data offset", gguf_data_offset(a), gguf_data_offset(b)},
        {"file size", gguf_file_size(a), gguf_file_size(b)},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i].va != rows[i].vb) {
            printf("header: %s: %" PRIu64 " vs %" PRIu64 "\n", rows[i].what, rows[i].va, rows[i].vb);
            n++;
        }
    return n;
}

static void print_kv(const char *side, const gguf_file *f, const gguf_kv *kv) {
    static char val[2048];
    if (!kv) {
        printf("  %s: (absent)\n", side);
        return;
    }
    printf("  %s: %s %s = %s\n", side, kv->key, gguf_vtype_name(kv->type),
           gguf_fmt_value(f, kv, SHOW_ELEMS, SHOW_CHARS, val, sizeof val));
}

static int64_t diff_kvs(const gguf_file *a, const gguf_file *b) {
    int64_t n = 0, first = -1, na = gguf_n_kv(a), nb = gguf_n_kv(b);
    for (int64_t i = 0; i < min64(na, nb); i++)
        if (!gguf_kv_equal(gguf_kv_at(a, i), gguf_kv_at(b, i)) && n++ == 0) first = i;
    if (na != nb) {
        if (first < 0) first = min64(na, nb);
        n += na > nb ? na - nb : nb - na;
    }
    if (n) {
        printf("kv: %" PRId64 " differ; first at #%" PRId64 ":\n", n, first);
        print_kv("A", a, gguf_kv_at(a, first));
        print_kv("B", b, gguf_kv_at(b, first));
    }
    return n;
}

static void describe_tensor(const char *side, const gguf_tensor *t) {
    if (!t) {
        printf("  %s: (absent)\n", side);
        return;
    }
    printf("  %s: %s %s [%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 "] n_dims %u offset %" PRIu64 "\n", side,
           t->name, hf_type_info(t->type)->name, t->ne[0], t->ne[1], t->ne[2], t->ne[3], t->n_dims, t->offset);
}

static int same_info(const gguf_tensor *x, const gguf_tensor *y) {
    return !strcmp(x->name, y->name) && x->type == y->type && x->n_dims == y->n_dims && x->offset == y->offset &&
           !memcmp(x->ne, y->ne, sizeof x->ne);
}

static uint64_t first_diff_byte(const uint8_t *x, const uint8_t *y, uint64_t n) {
    uint64_t i = 0;
    while (i < n && x[i] == y[i]) i++;
    return i;
}

static int64_t diff_tensors(const gguf_file *a, const gguf_file *b) {
    int64_t n = 0, first = -1, na = gguf_n_tensors(a), nb = gguf_n_tensors(b);
    int first_is_data = 0;
    for (int64_t i = 0; i < min64(na, nb); i++) {
        const gguf_tensor *x = gguf_tensor_at(a, i), *y = gguf_tensor_at(b, i);
        int info = same_info(x, y);
        int data = info && !memcmp(x->data, y->data, x->nbytes);
        if (info && data) continue;
        if (n++ == 0) {
            first = i;
            first_is_data = info;
        }
    }
    if (na != nb) {
        if (first < 0) first = min64(na, nb);
        n += na > nb ? na - nb : nb - na;
    }
    if (!n) return 0;
    printf("tensors: %" PRId64 " differ; first at #%" PRId64 ":\n", n, first);
    const gguf_tensor *x = gguf_tensor_at(a, first), *y = gguf_tensor_at(b, first);
    if (first_is_data) {
        uint64_t at = first_diff_byte(x->data, y->data, x->nbytes);
        printf("  %s: data differs (first at byte %" PRIu64 " of %" PRIu64 ")\n", x->name, at, x->nbytes);
    } else {
        describe_tensor("A", x);
        describe_tensor("B", y);
    }
    return n;
}

/* Parsed content equal: the files can still differ in padding bytes. */
static int diff_rest(const gguf_file *a, const gguf_file *b) {
    uint64_t n = gguf_file_size(a) < gguf_file_size(b) ? gguf_file_size(a) : gguf_file_size(b);
    uint64_t at = first_diff_byte(gguf_file_bytes(a), gguf_file_bytes(b), n);
    if (at == n && gguf_file_size(a) == gguf_file_size(b)) return 0;
    printf("bytes: files differ outside the KV and tensor content (first at file offset %" PRIu64 ")\n", at);
    return 1;
}

int cmd_diff(int argc, char **argv) {
    const char *paths[2];
    int np = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if ((argv[i][0] == '-' && argv[i][1]) || np == 2) {
            cli_error("diff: unexpected argument '%s'", argv[i]);
            usage(stderr);
            return 2;
        }
        paths[np++] = argv[i];
    }
    if (np != 2) {
        usage(stderr);
        return 2;
    }
    gguf_file *f[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        hf_err err = {0};
        if (gguf_open(&f[i], paths[i], &err) != HF_OK) {
            cli_error("%s", err.msg);
            gguf_close(f[0]);
            return 2;
        }
    }
    int64_t n = diff_header(f[0], f[1]);
    n += diff_kvs(f[0], f[1]);
    n += diff_tensors(f[0], f[1]);
    if (!n) n = diff_rest(f[0], f[1]);
    if (!n) printf("identical\n");
    gguf_close(f[0]);
    gguf_close(f[1]);
    return n ? 1 : 0;
}
