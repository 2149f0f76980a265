/* gguf_internal: helpers shared by the reader and the writer (not part of the public API). */
#pragma once

#include <stdint.h>

#include "base/status.h"
#include "gguf/gguf.h"

/* Name -> index hash table (open addressing). Names are borrowed, not copied. */
typedef struct gguf_name_index {
    struct {
        const char *name;
        int64_t idx;
    } *slots;
    uint64_t mask;
} gguf_name_index;

/* Sized for n names (grows never: callers know n up front or rebuild). */
hf_status gguf_index_init(gguf_name_index *ix, int64_t n);
void gguf_index_free(gguf_name_index *ix);
int64_t gguf_index_find(const gguf_name_index *ix, const char *name);
/* Inserts name -> idx; returns the index already stored under name, or -1 if it was new. */
int64_t gguf_index_insert(gguf_name_index *ix, const char *name, int64_t idx);
