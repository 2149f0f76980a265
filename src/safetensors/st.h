/* st: the safetensors container, read-only and validated.
 *
 * ==== On-disk layout ====
 *   u64 LE header length N | N bytes of JSON | data
 * The JSON object maps each tensor name to {"dtype": "F32", "shape": [..],
 * "data_offsets": [begin, end]} (offsets relative to the data start); the
 * optional "__metadata__" entry holds string pairs and is ignored.
 * A sharded checkpoint has "model.safetensors.index.json" whose "weight_map"
 * maps every tensor name to the shard file holding it.
 *
 * ==== Contract ====
 * Everything is checked before a tensor is handed out: the header length lies
 * within the file, the JSON is an object, every dtype is one we convert (F32,
 * F16, BF16; others are rejected by name), shapes are non-negative with an
 * element count that does not overflow, begin <= end <= data size, the byte
 * range equals elements x dtype size, and no two ranges overlap. Messages name
 * the file and the tensor.
 *
 * Tensor order is llama.cpp's: shards in sorted file-name order, tensors
 * sorted by name (byte order) within each shard. Data pointers point into
 * read-only mappings that live until st_model_close. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

#define ST_MAX_DIMS 8

typedef enum st_dtype {
    ST_F32 = 0,
    ST_F16 = 1,
    ST_BF16 = 2,
} st_dtype;

const char *st_dtype_name(st_dtype t); /* "F32", "F16", "BF16" */
uint32_t st_dtype_size(st_dtype t);

typedef struct st_tensor {
    char *name;
    st_dtype dtype;
    uint32_t n_dims;
    int64_t shape[ST_MAX_DIMS]; /* PyTorch order: shape[n_dims-1] is contiguous */
    int64_t n_elements;
    const uint8_t *data;        /* into the mapping */
    uint64_t nbytes;
    const char *file;           /* path of the shard holding it */
    uint64_t file_offset;       /* of data[0] in that file (for reading it with pread) */
    int fd;                     /* that file, open while the model is (st_model_open); -1 from st_parse */
} st_tensor;

typedef struct st_model st_model;

/* Parses a safetensors image held in memory (buf stays owned by the caller and
 * must outlive the tensors). `src` names it in messages. Tensors come sorted
 * by name; *out is malloc'd (free with st_tensors_free). */
hf_status st_parse(const uint8_t *buf, size_t size, const char *src, st_tensor **out, size_t *n_out, hf_err *err);
void st_tensors_free(st_tensor *t, size_t n);

/* Parses the text of a model.safetensors.index.json (len bytes, not NUL-terminated):
 * a JSON object whose "weight_map" maps tensor names to plain file names of the model
 * directory. *names gets each shard name once, in first-seen order (free with
 * st_index_names_free); *root keeps the parsed JSON (cJSON_Delete it) for the weight_map.
 * On failure both are NULL / 0 and err names `src` and the key. */
struct cJSON;
hf_status st_index_parse(const char *text, size_t len, const char *src, struct cJSON **root, char ***names,
                         size_t *n_names, hf_err *err);
void st_index_names_free(char **names, size_t n);

/* Opens the checkpoint of a model directory: model.safetensors.index.json if
 * present, otherwise every "model*.safetensors" file (sorted). */
hf_status st_model_open(st_model **out, const char *dir, hf_err *err);
void st_model_close(st_model *m); /* NULL is a no-op */

size_t st_model_n_tensors(const st_model *m);
const st_tensor *st_model_tensor(const st_model *m, size_t i);
const st_tensor *st_model_find(const st_model *m, const char *name); /* NULL if absent */
size_t st_model_n_files(const st_model *m);

/* Converts elements [first, first+n) of t to float32 (exact for all three dtypes). */
void st_read_f32(const st_tensor *t, int64_t first, int64_t n, float *dst);
