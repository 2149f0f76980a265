/* Huge-page allocations and the machine facts behind them (hugemem.h). */
#include "base/hugemem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20) /* x86-64's PMD size, the unit of a transparent huge page */

hf_thp_mode hf_thp_mode_parse(const char *text) {
    static const struct {
        const char *word;
        hf_thp_mode mode;
    } modes[] = {{"[never]", HF_THP_NEVER}, {"[madvise]", HF_THP_MADVISE}, {"[always]", HF_THP_ALWAYS}};
    for (size_t i = 0; text && i < sizeof modes / sizeof modes[0]; i++)
        if (strstr(text, modes[i].word)) return modes[i].mode;
    return HF_THP_UNKNOWN;
}

int hf_thp_usable(hf_thp_mode mode) { return mode == HF_THP_MADVISE || mode == HF_THP_ALWAYS; }

/* A small kernel text file (procfs and sysfs report size 0, so it is read to EOF into buf). */
static int read_small(const char *path, char *buf, size_t cap) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    const size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n > 0;
}

hf_thp_mode hf_thp_mode_now(void) {
    char buf[256];
    if (!read_small("/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof buf)) return HF_THP_UNKNOWN;
    return hf_thp_mode_parse(buf);
}

int hf_meminfo_available(const char *text, uint64_t *bytes) {
    static const char key[] = "MemAvailable:";
    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, key, sizeof key - 1) != 0) continue;
        const char *p = line + sizeof key - 1;
        while (*p == ' ' || *p == '\t') p++;
        if (*p < '0' || *p > '9') return 0;
        char *end = NULL;
        errno = 0;
        const unsigned long long kib = strtoull(p, &end, 10);
        if (errno == ERANGE || kib > UINT64_MAX / 1024 || strncmp(end, " kB", 3) != 0) return 0;
        *bytes = (uint64_t)kib * 1024;
        return 1;
    }
    return 0;
}

int hf_mem_available(uint64_t *bytes) {
    char buf[8192];
    return read_small("/proc/meminfo", buf, sizeof buf) && hf_meminfo_available(buf, bytes);
}

void *hf_huge_alloc(size_t bytes, int *advised) {
    if (advised) *advised = 0;
    if (bytes == 0 || bytes > SIZE_MAX - HUGE_PAGE) return NULL;
    /* a whole number of huge pages, so the tail page can be huge too */
    const size_t rounded = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, rounded) != 0) return NULL;
    const int ok = madvise(p, rounded, MADV_HUGEPAGE) == 0;
    if (advised) *advised = ok;
    return p;
}
