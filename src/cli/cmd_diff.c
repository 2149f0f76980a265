/* hf2gguf diff: structural comparison of two GGUF files. The comparison lives in gguftool
 * (gt_diff_files); this prints the header fields that differ, the first differing KV pair and
 * tensor with counts, or "identical". Exit 0 identical, 1 different, 2 error. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/dtype.h"
#include "cli/cli.h"
#include "gguf/gguf.h"
#include "gguftool/gt.h"

#define SHOW_ELEMS 6
#define SHOW_CHARS 48

static void usage(FILE *out) {
    fputs("usage: hf2gguf diff A.gguf B.gguf\n"
          "  Compares header, KV pairs (order, key, type, value), tensor infos and tensor data.\n"
          "  Prints the first differing KV and tensor with counts, or \"identical\".\n"
          "  Exit status: 0 identical, 1 different, 2 error.\n",
          out);
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

static void describe_tensor(const char *side, const gguf_tensor *t) {
    if (!t) {
        printf("  %s: (absent)\n", side);
        return;
    }
    printf("  %s: %s %s [%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 "] n_dims %u offset %" PRIu64 "\n", side,
           t->name, hf_type_info(t->type)->name, t->ne[0], t->ne[1], t->ne[2], t->ne[3], t->n_dims, t->offset);
}

static void print_diff(const gguf_file *a, const gguf_file *b, const gt_diff *d) {
    for (int i = 0; i < d->n_header; i++)
        printf("header: %s: %" PRIu64 " vs %" PRIu64 "\n", d->header[i].what, d->header[i].a, d->header[i].b);
    if (d->n_kv) {
        printf("kv: %" PRId64 " differ; first at #%" PRId64 ":\n", d->n_kv, d->first_kv);
        print_kv("A", a, gguf_kv_at(a, d->first_kv));
        print_kv("B", b, gguf_kv_at(b, d->first_kv));
    }
    if (d->n_tensors) {
        printf("tensors: %" PRId64 " differ; first at #%" PRId64 ":\n", d->n_tensors, d->first_tensor);
        const gguf_tensor *x = gguf_tensor_at(a, d->first_tensor), *y = gguf_tensor_at(b, d->first_tensor);
        if (d->first_tensor_data_only) {
            printf("  %s: data differs (first at byte %" PRIu64 " of %" PRIu64 ")\n", x->name, d->first_data_byte,
                   x->nbytes);
        } else {
            describe_tensor("A", x);
            describe_tensor("B", y);
        }
    }
    if (d->bytes_differ)
        printf("bytes: files differ outside the KV and tensor content (first at file offset %" PRIu64 ")\n",
               d->first_byte);
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
    gt_diff d;
    int64_t n = gt_diff_files(f[0], f[1], &d);
    print_diff(f[0], f[1], &d);
    if (!n) printf("identical\n");
    gguf_close(f[0]);
    gguf_close(f[1]);
    return n ? 1 : 0;
}
