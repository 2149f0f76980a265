/* gguf_internal: helpers shared by the reader and the writer (not part of the public API). */
#pragma once

#include <stdint.h>
#include <string.h>

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

/* A scalar value as stored in the file; read with gguf_load_scalar because
 * values in the mapping are not aligned. */
typedef union gguf_scalar {
    uint8_t u8;
    int8_t i8;
    uint16_t u16;
    int16_t i16;
    uint32_t u32;
    int32_t i32;
    uint64_t u64;
    int64_t i64;
    float f32;
    double f64;
} gguf_scalar;

/* Copies the scalar of type t at p into *v; returns its size (0 for strings and arrays,
 * leaving *v untouched). */
static inline size_t gguf_load_scalar(gguf_vtype t, const uint8_t *p, gguf_scalar *v) {
    size_t n = gguf_vtype_size(t);
    if (n) memcpy(v, p, n);
    return n;
}
