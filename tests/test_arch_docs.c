/* README.md's "Supported architectures" table lists exactly the architectures the code
 * supports: one row per converter arch (its GGUF name and HF classes, in table order), and
 * every one of them is also a runtime arch (and the runtime has no arch the converter lacks). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert/arch.h"
#include "runtime/rt_arch.h"
#include "testutil.h"

static char *readme(void) {
    size_t n;
    char *s = (char *)tu_read(HF_SOURCE_DIR "/README.md", &n);
    assert_non_null(s);
    char *z = realloc(s, n + 1);
    assert_non_null(z);
    z[n] = '\0';
    return z;
}

/* The table: the lines after "## Supported architectures" that start with "| " and are
 * neither the header nor the separator. */
static int table_rows(const char *md, char rows[][512], int cap) {
    const char *p = strstr(md, "## Supported architectures");
    assert_non_null(p);
    int n = 0, seen_table = 0;
    while ((p = strchr(p, '\n')) != NULL) {
        p++;
        if (!strncmp(p, "## ", 3)) break;
        if (strncmp(p, "| ", 2)) {
            if (seen_table) break;
            continue;
        }
        seen_table = 1;
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (strstr(p, "GGUF arch") == p + 2 || !strncmp(p, "| ---", 5)) continue;
        assert_true(n < cap && len < 512);
        memcpy(rows[n], p, len);
        rows[n][len] = '\0';
        n++;
    }
    return n;
}

static void test_readme_lists_every_arch(void **state) {
    (void)state;
    char *md = readme();
    char rows[64][512];
    int n = table_rows(md, rows, 64);
    assert_int_equal(n, (int)arch_count());
    for (uint32_t i = 0; i < arch_count(); i++) {
        const arch_def *a = arch_at(i);
        char want[512], classes[400];
        classes[0] = '\0';
        for (const char *const *c = a->hf_classes; *c; c++)
            snprintf(classes + strlen(classes), sizeof classes - strlen(classes), "%s%s", c == a->hf_classes ? "" : ", ", *c);
        snprintf(want, sizeof want, "| %s | %s | ", a->gguf_arch, classes);
        if (strncmp(rows[i], want, strlen(want))) fail_msg("README row %u is '%s', expected it to start '%s'", i, rows[i], want);
        assert_non_null(rt_arch_find(a->gguf_arch, strlen(a->gguf_arch)));
    }
    assert_int_equal(rt_arch_count(), arch_count());
    free(md);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_readme_lists_every_arch)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
