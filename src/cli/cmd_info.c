/* hf2gguf info: print a GGUF file's header, KV pairs and tensor table, for people or (--json)
 * for programs. The JSON format is documented in docs/gguf.md. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dtype.h"
#include "cli/cli.h"
#include "gguf/gguf.h"
#include "gguftool/gt.h"

#define SHOW_ELEMS 8
#define SHOW_CHARS 64

static void usage(FILE *out) {
    fputs("usage: hf2gguf info FILE.gguf [--json]\n"
          "  Prints the version, alignment, every KV pair (arrays abbreviated) and the tensor table.\n"
          "  --json  print the complete content as JSON (format: docs/gguf.md)\n",
          out);
}

/* ==== human form ==== */

static void print_shape(const gguf_tensor *t, char *out, size_t n) {
    size_t len = 0;
    out[0] = 0;
    for (uint32_t d = 0; d < t->n_dims && len < n; d++)
        len += (size_t)snprintf(out + len, n - len, "%s%" PRId64, d ? ", " : "[", t->ne[d]);
    if (len < n) snprintf(out + len, n - len, "%s", t->n_dims ? "]" : "[]");
}

static void print_human(const gguf_file *f) {
    static char val[4096];
    printf("file:        %s\nversion:     %u\nalignment:   %" PRIu64 "\ndata offset: %" PRIu64
           "\nfile size:   %" PRIu64 "\n",
           gguf_path(f), gguf_version(f), gguf_alignment(f), gguf_data_offset(f), gguf_file_size(f));
    printf("\n%" PRId64 " KV pairs:\n", gguf_n_kv(f));
    for (int64_t i = 0; i < gguf_n_kv(f); i++) {
        const gguf_kv *kv = gguf_kv_at(f, i);
        gguf_fmt_value(f, kv, SHOW_ELEMS, SHOW_CHARS, val, sizeof val);
        printf("  %-44s %-6s %s\n", kv->key, gguf_vtype_name(kv->type), val);
    }
    printf("\n%" PRId64 " tensors:\n", gguf_n_tensors(f));
    printf("  %5s  %-40s %-8s %-22s %12s %12s\n", "#", "name", "type", "shape", "offset", "bytes");
    for (int64_t i = 0; i < gguf_n_tensors(f); i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        char shape[128];
        print_shape(t, shape, sizeof shape);
        printf("  %5" PRId64 "  %-40s %-8s %-22s %12" PRIu64 " %12" PRIu64 "\n", i, t->name,
               hf_type_info(t->type)->name, shape, t->offset, t->nbytes);
    }
}

/* ==== JSON form (gguftool/gt_json.c) ==== */

static int print_json(const gguf_file *f) {
    char *text;
    hf_err err = {0};
    if (gt_info_json(f, &text, &err) != HF_OK) {
        cli_error("%s", err.msg);
        return 1;
    }
    fputs(text, stdout);
    fputc('\n', stdout);
    free(text);
    return 0;
}

int cmd_info(int argc, char **argv) {
    const char *path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            cli_error("info: unknown option '%s'", argv[i]);
            usage(stderr);
            return 2;
        } else if (!path) {
            path = argv[i];
        } else {
            cli_error("info: more than one input file ('%s' and '%s')", path, argv[i]);
            return 2;
        }
    }
    if (!path) {
        usage(stderr);
        return 2;
    }
    gguf_file *f;
    hf_err err = {0};
    if (gguf_open(&f, path, &err) != HF_OK) {
        cli_error("%s", err.msg);
        return 1;
    }
    int rc = 0;
    if (json)
        rc = print_json(f);
    else
        print_human(f);
    gguf_close(f);
    if (fflush(stdout) != 0) {
        cli_error("info: cannot write to stdout");
        rc = 1;
    }
    return rc;
}
