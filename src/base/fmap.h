/* fmap: a whole file mapped read-only (O_RDONLY, PROT_READ, MAP_PRIVATE).
 *
 * The descriptor stays open with the mapping (fd), so that a reader who wants pread instead
 * of page faults reads the very file that was mapped and parsed, even if the path is replaced
 * meanwhile. An empty file maps to data == NULL, size == 0, fd == -1. Pair every successful
 * hf_fmap_open with hf_fmap_close (which accepts a zeroed map: it closes fd only while data
 * is mapped). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

typedef struct hf_fmap {
    const uint8_t *data;
    size_t size;
    int fd; /* the mapped file, open read-only while data != NULL; else -1 (or 0 in a zeroed map) */
} hf_fmap;

hf_status hf_fmap_open(hf_fmap *map, const char *path, hf_err *err);
void hf_fmap_close(hf_fmap *map);

/* Reads a whole (small) file into a NUL-terminated heap buffer; *len gets the
 * byte count without the NUL. For JSON files; caller frees. */
hf_status hf_read_file(const char *path, char **out, size_t *len, hf_err *err);
