/* gguf: reading and writing GGUF files (v2 and v3, little-endian).
 *
 * ==== On-disk layout ====
 *   magic "GGUF" | u32 version | u64 n_tensors | u64 n_kv
 *   n_kv × { string key | i32 value type | value }
 *   n_tensors × { string name | u32 n_dims (<=4) | i64 ne[n_dims] | i32 ggml type | u64 offset }
 *   zero padding to `alignment` (general.alignment, default 32)
 *   data section: tensor blobs at their offsets (relative to the section), each padded to alignment
 * Strings are u64 length + bytes, no NUL. Arrays are i32 element type + u64 count + packed
 * elements (arrays of arrays are rejected). ne[0] is the contiguous dimension.
 *
 * ==== Reader contract ====
 * gguf_open maps the file read-only and validates everything before returning: every count,
 * length and offset against the file size with overflow-checked arithmetic, value types,
 * duplicate keys/tensor names, n_dims, ne >= 0, ne[0] a multiple of the type's block size,
 * offsets equal to the aligned running sum (as ggml's reader requires), data inside the file.
 * After that, accessors cannot fail on the file's structure; typed getters fail only on a
 * missing key or a type mismatch, with a message naming the key, the expected and actual type.
 * Pointers returned (kv, tensor info, string views, data) live until gguf_close.
 *
 * ==== Writer contract ====
 * Single pass, streaming: add all KV pairs and tensor infos (the "plan"), then gguf_w_begin
 * writes the header to "<dir>/.<name>.tmp.XXXXXX", then tensor data is appended in plan order
 * (gguf_w_write_data may be called several times per tensor; gguf_w_end_tensor checks the byte
 * count and pads), then gguf_w_finish renames into place. Any failure, or gguf_w_abort, removes
 * the temp file: no half-written output is ever left. KV pairs are written in insertion order
 * (byte-identity with llama.cpp's converter depends on it). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

#define GGUF_MAGIC "GGUF"
#define GGUF_DEFAULT_ALIGNMENT 32

typedef enum gguf_vtype {
    GGUF_T_UINT8 = 0,
    GGUF_T_INT8 = 1,
    GGUF_T_UINT16 = 2,
    GGUF_T_INT16 = 3,
    GGUF_T_UINT32 = 4,
    GGUF_T_INT32 = 5,
    GGUF_T_FLOAT32 = 6,
    GGUF_T_BOOL = 7,
    GGUF_T_STRING = 8,
    GGUF_T_ARRAY = 9,
    GGUF_T_UINT64 = 10,
    GGUF_T_INT64 = 11,
    GGUF_T_FLOAT64 = 12,
    GGUF_T_COUNT = 13,
} gguf_vtype;

const char *gguf_vtype_name(gguf_vtype t); /* "u32", "string", "array", ... */
size_t gguf_vtype_size(gguf_vtype t);      /* fixed size of a scalar; 0 for string/array */

/* A string view into the mapping: not NUL-terminated. */
typedef struct gguf_str {
    const char *ptr;
    uint64_t len;
} gguf_str;

/* ==== Reading ==== */

typedef struct gguf_file gguf_file;

typedef struct gguf_kv {
    const char *key;       /* NUL-terminated copy */
    gguf_vtype type;       /* value type */
    gguf_vtype arr_type;   /* element type when type == GGUF_T_ARRAY */
    uint64_t n;            /* element count for arrays, 1 for scalars */
    const uint8_t *data;   /* value bytes in the mapping, possibly unaligned. Scalars: the value.
                              Strings: the characters (after the u64 length). Arrays: the first
                              element (for string arrays, its u64 length prefix). */
    uint64_t nbytes;       /* scalars: the type's size; strings: the length; arrays: bytes of all
                              elements as stored (string arrays include the length prefixes) */
} gguf_kv;

typedef struct gguf_tensor {
    const char *name;      /* NUL-terminated copy */
    uint32_t n_dims;
    int64_t ne[4];         /* unused dims are 1 */
    uint32_t type;         /* ggml type id (base/dtype.h) */
    uint64_t offset;       /* relative to the data section */
    uint64_t nbytes;       /* size of the blob, without padding */
    const uint8_t *data;   /* blob in the mapping */
} gguf_tensor;

hf_status gguf_open(gguf_file **out, const char *path, hf_err *err);
/* Same validation over a caller-owned buffer (kept alive by the caller); name is used in
 * messages. For tests and fuzzing. */
hf_status gguf_open_buffer(gguf_file **out, const void *data, size_t size, const char *name, hf_err *err);
void gguf_close(gguf_file *f); /* NULL is a no-op */

const char *gguf_path(const gguf_file *f);
uint32_t gguf_version(const gguf_file *f);
uint64_t gguf_alignment(const gguf_file *f);
uint64_t gguf_data_offset(const gguf_file *f); /* file offset of the data section */
uint64_t gguf_file_size(const gguf_file *f);
/* Whether the tensor data is a read-only file mapping (gguf_open), whose pages may be
 * released and faulted back in, rather than a caller's buffer (gguf_open_buffer). */
int gguf_is_file_mapping(const gguf_file *f);
const uint8_t *gguf_file_bytes(const gguf_file *f); /* the whole file (mapping or caller's buffer) */

int64_t gguf_n_kv(const gguf_file *f);
const gguf_kv *gguf_kv_at(const gguf_file *f, int64_t i);
const gguf_kv *gguf_find_kv(const gguf_file *f, const char *key); /* NULL if absent */

/* Typed getters. Integer getters accept any integer value type whose value fits the target
 * (llama.cpp writes u32 for most counts, but files from other tools vary). */
hf_status gguf_get_u32(const gguf_file *f, const char *key, uint32_t *out, hf_err *err);
hf_status gguf_get_i64(const gguf_file *f, const char *key, int64_t *out, hf_err *err);
hf_status gguf_get_f32(const gguf_file *f, const char *key, float *out, hf_err *err);
hf_status gguf_get_bool(const gguf_file *f, const char *key, int *out, hf_err *err);
hf_status gguf_get_str(const gguf_file *f, const char *key, gguf_str *out, hf_err *err);
/* An array KV with the given element type (any element type if elem == GGUF_T_COUNT). */
hf_status gguf_get_arr(const gguf_file *f, const char *key, gguf_vtype elem, const gguf_kv **out, hf_err *err);

/* Element i of an array KV. String arrays are indexed at open time, so this is O(1). */
gguf_str gguf_arr_str(const gguf_file *f, const gguf_kv *kv, uint64_t i);
/* Element i of a numeric/bool array, converted (no range checks beyond the type's). */
double gguf_arr_num(const gguf_kv *kv, uint64_t i);
/* Scalar KV as a number (integers, floats, bool); 0 for strings/arrays. */
double gguf_kv_num(const gguf_kv *kv);

/* ==== Formatting (gguf_fmt.c), for tools ==== */

/* One scalar of type t (not string/array) at p as text: integers in decimal, f32 with %.9g and
 * f64 with %.17g (both round-trip), bool as true/false. Returns out. */
const char *gguf_fmt_scalar(gguf_vtype t, const uint8_t *p, char *out, size_t out_size);
/* A KV value for humans: scalars as above; strings quoted with C-style escapes and cut after
 * max_chars bytes ("..."); arrays as "[u32 x 3] 1, 2, 3" showing at most max_elems elements.
 * Always NUL-terminates (truncating if out is too small). Returns out. */
const char *gguf_fmt_value(const gguf_file *f, const gguf_kv *kv, uint64_t max_elems, uint64_t max_chars,
                           char *out, size_t out_size);
/* Whether two KVs (possibly of different files) have the same key, type and value bytes. */
int gguf_kv_equal(const gguf_kv *a, const gguf_kv *b);

int64_t gguf_n_tensors(const gguf_file *f);
const gguf_tensor *gguf_tensor_at(const gguf_file *f, int64_t i);
const gguf_tensor *gguf_find_tensor(const gguf_file *f, const char *name); /* NULL if absent */
int64_t gguf_find_tensor_index(const gguf_file *f, const char *name); /* -1 if absent */

/* ==== Writing ==== */

typedef struct gguf_writer gguf_writer;

gguf_writer *gguf_w_new(void);
void gguf_w_free(gguf_writer *w); /* aborts (removes the temp file) if begun but not finished */

/* KV pairs, written in call order. Keys must be unique (HF_ERR_ARG otherwise). Values are copied. */
hf_status gguf_w_add_u8(gguf_writer *w, const char *key, uint8_t v, hf_err *err);
hf_status gguf_w_add_i32(gguf_writer *w, const char *key, int32_t v, hf_err *err);
hf_status gguf_w_add_u32(gguf_writer *w, const char *key, uint32_t v, hf_err *err);
hf_status gguf_w_add_u64(gguf_writer *w, const char *key, uint64_t v, hf_err *err);
hf_status gguf_w_add_f32(gguf_writer *w, const char *key, float v, hf_err *err);
hf_status gguf_w_add_bool(gguf_writer *w, const char *key, int v, hf_err *err);
/* Adds a bool, or, when key already exists as a bool, changes its value in place (gguf-py's
 * dict semantics: a key set twice keeps its first position). */
hf_status gguf_w_set_bool(gguf_writer *w, const char *key, int v, hf_err *err);
hf_status gguf_w_add_str(gguf_writer *w, const char *key, const char *v, hf_err *err);
hf_status gguf_w_add_str_n(gguf_writer *w, const char *key, const char *v, uint64_t len, hf_err *err);
/* Any scalar (not string/array) from its little-endian bytes (gguf_vtype_size(type) of them). */
hf_status gguf_w_add_scalar(gguf_writer *w, const char *key, gguf_vtype type, const void *le_bytes, hf_err *err);
/* Numeric/bool array: n elements of elem type, packed as in the file (little-endian). */
hf_status gguf_w_add_arr(gguf_writer *w, const char *key, gguf_vtype elem, const void *data, uint64_t n,
                         hf_err *err);
/* String array; lens may be NULL (then strs are NUL-terminated). */
hf_status gguf_w_add_arr_str(gguf_writer *w, const char *key, const char *const *strs, const uint64_t *lens,
                             uint64_t n, hf_err *err);
/* Copies a KV pair from a file being read (any type), e.g. for fuse/unfuse tools. */
hf_status gguf_w_add_kv_copy(gguf_writer *w, const gguf_file *src, const gguf_kv *kv, hf_err *err);

/* Tensor infos, in data order. Offsets are computed here. ne[0] must be a multiple of the
 * type's block size. Returns the tensor's index in *index (may be NULL). */
hf_status gguf_w_add_tensor(gguf_writer *w, const char *name, uint32_t type, uint32_t n_dims,
                            const int64_t *ne, int64_t *index, hf_err *err);
int64_t gguf_w_n_tensors(const gguf_writer *w);
uint64_t gguf_w_tensor_nbytes(const gguf_writer *w, int64_t index);

/* Opens the temp file beside path and writes header, KV pairs, tensor infos and padding. */
hf_status gguf_w_begin(gguf_writer *w, const char *path, hf_err *err);
/* Appends bytes of the current tensor (tensors in plan order). */
hf_status gguf_w_write_data(gguf_writer *w, const void *data, size_t n, hf_err *err);
/* Ends the current tensor: checks its byte count against the plan and writes padding. */
hf_status gguf_w_end_tensor(gguf_writer *w, hf_err *err);
/* Checks every tensor was written, writes what is staged and renames into place (hf_outfile_commit). */
hf_status gguf_w_finish(gguf_writer *w, hf_err *err);
/* Removes the temp file (safe to call at any point). */
void gguf_w_abort(gguf_writer *w);
