/* hugemem: large allocations backed by transparent huge pages where the kernel offers them,
 * and the two facts about the machine that decide whether to make one: the transparent huge
 * page mode and the memory available.
 *
 * Why: on the VMs we measure, weights read from 4 KiB pages (the file mapping, or fresh
 * anonymous memory) streamed at anything from 6 to 35 GB/s from one process to the next,
 * while the same bytes in 2 MiB pages ran at 36-38 GB/s every time (rt_repack.c has the
 * figures). The parsers take the files' text so tests can feed them any content. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* /sys/kernel/mm/transparent_hugepage/enabled: the bracketed word. */
typedef enum hf_thp_mode {
    HF_THP_UNKNOWN = 0, /* no such file, or text without a known bracketed mode */
    HF_THP_NEVER,
    HF_THP_MADVISE, /* huge pages only where madvise(MADV_HUGEPAGE) asks */
    HF_THP_ALWAYS,
} hf_thp_mode;

/* The mode named in text such as "always [madvise] never". */
hf_thp_mode hf_thp_mode_parse(const char *text);
/* The running kernel's mode. */
hf_thp_mode hf_thp_mode_now(void);
/* Whether an allocation can get huge pages in this mode (madvise or always). */
int hf_thp_usable(hf_thp_mode mode);

/* The MemAvailable line of /proc/meminfo text, in bytes; 0 when there is none. */
int hf_meminfo_available(const char *text, uint64_t *bytes);
/* MemAvailable now; 0 when it cannot be read. */
int hf_mem_available(uint64_t *bytes);

/* bytes of memory aligned to 2 MiB, with madvise(MADV_HUGEPAGE) asked before anything
 * touches it; NULL when it cannot be had. *advised (may be NULL) says whether the kernel took
 * the advice. Release with free(). */
void *hf_huge_alloc(size_t bytes, int *advised);
