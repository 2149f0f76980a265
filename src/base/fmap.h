/* fmap: a whole file mapped read-only (O_RDONLY, PROT_READ, MAP_PRIVATE).
 *
 * The descriptor is closed right after mapping. An empty file maps to
 * data == NULL, size == 0. Pair every successful hf_fmap_open with
 * hf_fmap_close (which accepts a zeroed map). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

typedef struct hf_fmap {
    const uint8_t *data;
    size_t size;
} hf_fmap;

hf_status hf_fmap_open(hf_fmap *map, const char *path, hf_err *err);
void hf_fmap_close(hf_fmap *map);

/* Reads a whole (small) file into a NUL-terminated heap buffer; *len gets the
 * byte count without the NUL. For JSON files; caller frees. */
hf_status hf_read_file(const char *path, char **out, size_t *len, hf_err *err);
