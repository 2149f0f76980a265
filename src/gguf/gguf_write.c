/* gguf_write: the streaming GGUF writer. KV pairs are serialized into one buffer as they are
 * added (so insertion order is the file order); tensor infos are kept as a plan, offsets are
 * computed at gguf_w_begin, and data is streamed through base/outfile (temp file + rename).
 * The byte layout is the one gguf-py's GGUFWriter produces: header, KVs, infos, zero padding
 * to the alignment, then each blob followed by zeros up to the alignment. */
#include "gguf/gguf.h"

#include <stdlib.h>
#include <string.h>

#include "base/checked.h"
#include "base/dtype.h"
#include "base/outfile.h"

#define GGUF_MAX_NAME 64 /* ggml's limit, see gguf_read.c */

typedef struct plan_tensor {
    char *name;
    uint32_t n_dims;
    int64_t ne[4];
    uint32_t type;
    uint64_t nbytes;
} plan_tensor;

typedef enum { W_PLAN, W_WRITING, W_DONE, W_FAILED } wstate;

struct gguf_writer {
    uint8_t *kv; /* serialized KV pairs */
    size_t kv_len, kv_cap;
    char **keys;
    size_t *val_off;      /* per key: offset of its value bytes in kv */
    gguf_vtype *val_type; /* per key: its value type */
    int64_t n_kv, keys_cap;
    uint64_t alignment;
    plan_tensor *t;
    int64_t n_t, t_cap;
    wstate state;
    hf_outfile out;
    int64_t cur;          /* tensor being written */
    uint64_t cur_written; /* its bytes so far */
};

gguf_writer *gguf_w_new(void) {
    gguf_writer *w = calloc(1, sizeof *w);
    if (w) w->alignment = GGUF_DEFAULT_ALIGNMENT;
    return w;
}

void gguf_w_abort(gguf_writer *w) {
    if (!w) return;
    if (w->state == W_WRITING) hf_outfile_abort(&w->out);
    if (w->state != W_DONE) w->state = W_FAILED;
}

void gguf_w_free(gguf_writer *w) {
    if (!w) return;
    gguf_w_abort(w);
    for (int64_t i = 0; i < w->n_kv; i++) free(w->keys[i]);
    for (int64_t i = 0; i < w->n_t; i++) free(w->t[i].name);
    free(w->keys);
    free(w->val_off);
    free(w->val_type);
    free(w->t);
    free(w->kv);
    free(w);
}

/* ==== KV serialization ==== */

static int kv_reserve(gguf_writer *w, uint64_t extra) {
    uint64_t need;
    if (!hf_add_u64(w->kv_len, extra, &need) || need > SIZE_MAX / 2) return 0;
    if (need <= w->kv_cap) return 1;
    size_t cap = w->kv_cap ? w->kv_cap : 4096;
    while (cap < need) cap *= 2;
    uint8_t *p = realloc(w->kv, cap);
    if (!p) return 0;
    w->kv = p;
    w->kv_cap = cap;
    return 1;
}

static void put(gguf_writer *w, const void *p, size_t n) {
    if (n) memcpy(w->kv + w->kv_len, p, n);
    w->kv_len += n;
}
static void put_u64(gguf_writer *w, uint64_t v) { put(w, &v, 8); }
static void put_i32(gguf_writer *w, int32_t v) { put(w, &v, 4); }

/* Checks the writer state and key uniqueness, reserves room for key + type + body bytes and
 * writes the key and the value type. The caller then puts exactly `body` bytes. */
static hf_status begin_kv(gguf_writer *w, const char *key, gguf_vtype type, uint64_t body, hf_err *err) {
    if (w->state != W_PLAN)
        return hf_fail(err, HF_ERR_ARG, "gguf writer: KV '%s' added after the header was written", key);
    for (int64_t i = 0; i < w->n_kv; i++)
        if (!strcmp(w->keys[i], key)) return hf_fail(err, HF_ERR_ARG, "gguf writer: duplicate key '%s'", key);
    if (w->n_kv == w->keys_cap) {
        int64_t cap = w->keys_cap ? w->keys_cap * 2 : 64;
        char **k = realloc(w->keys, (size_t)cap * sizeof *k);
        if (k) w->keys = k;
        size_t *o = k ? realloc(w->val_off, (size_t)cap * sizeof *o) : NULL;
        if (o) w->val_off = o;
        gguf_vtype *t = o ? realloc(w->val_type, (size_t)cap * sizeof *t) : NULL;
        if (t) w->val_type = t;
        if (!t) return hf_fail(err, HF_ERR_NOMEM, "gguf writer: out of memory adding key '%s'", key);
        w->keys_cap = cap;
    }
    size_t klen = strlen(key);
    uint64_t total;
    char *copy = strdup(key);
    if (!copy || !hf_add_u64(body, 12 + klen, &total) || !kv_reserve(w, total)) {
        free(copy);
        return hf_fail(err, HF_ERR_NOMEM, "gguf writer: out of memory adding key '%s'", key);
    }
    put_u64(w, klen);
    put(w, key, klen);
    put_i32(w, (int32_t)type);
    w->keys[w->n_kv] = copy;
    w->val_off[w->n_kv] = w->kv_len;
    w->val_type[w->n_kv++] = type;
    return HF_OK;
}

static int is_scalar(gguf_vtype t) {
    return (unsigned)t < GGUF_T_COUNT && t != GGUF_T_STRING && t != GGUF_T_ARRAY;
}

hf_status gguf_w_add_scalar(gguf_writer *w, const char *key, gguf_vtype type, const void *le_bytes, hf_err *err) {
    if (!is_scalar(type))
        return hf_fail(err, HF_ERR_ARG, "gguf writer: key '%s': expected a scalar type, found %s", key,
                       gguf_vtype_name(type));
    if (!strcmp(key, "general.alignment")) {
        uint32_t a = 0; /* read 4 bytes only from a u32: a smaller scalar has fewer */
        if (type == GGUF_T_UINT32) memcpy(&a, le_bytes, 4);
        if (type != GGUF_T_UINT32 || a == 0 || (a & (a - 1)))
            return hf_fail(err, HF_ERR_ARG,
                           "gguf writer: 'general.alignment' must be a u32 non-zero power of two (found %s %u)",
                           gguf_vtype_name(type), type == GGUF_T_UINT32 ? a : 0);
    }
    size_t n = gguf_vtype_size(type);
    hf_status s = begin_kv(w, key, type, n, err);
    if (s != HF_OK) return s;
    put(w, le_bytes, n);
    if (!strcmp(key, "general.alignment")) {
        uint32_t a;
        memcpy(&a, le_bytes, 4); /* a u32, checked above */
        w->alignment = a; /* validated above; gguf-py also pads with the custom alignment */
    }
    return HF_OK;
}

hf_status gguf_w_add_u8(gguf_writer *w, const char *key, uint8_t v, hf_err *err) {
    return gguf_w_add_scalar(w, key, GGUF_T_UINT8, &v, err);
}
hf_status gguf_w_add_i32(gguf_writer *w, const char *key, int32_t v, hf_err *err) {
    return gguf_w_add_scalar(w, key, GGUF_T_INT32, &v, err);
}
hf_status gguf_w_add_u32(gguf_writer *w, const char *key, uint32_t v, hf_err *err) {
    return gguf_w_add_scalar(w, key, GGUF_T_UINT32, &v, err);
}
hf_status gguf_w_add_u64(gguf_writer *w, const char *key, uint64_t v, hf_err *err) {
    return gguf_w_add_scalar(w, key, GGUF_T_UINT64, &v, err);
}
hf_status gguf_w_add_f32(gguf_writer *w, const char *key, float v, hf_err *err) {
    return gguf_w_add_scalar(w, key, GGUF_T_FLOAT32, &v, err);
}
hf_status gguf_w_add_bool(gguf_writer *w, const char *key, int v, hf_err *err) {
    uint8_t b = v ? 1 : 0;
    return gguf_w_add_scalar(w, key, GGUF_T_BOOL, &b, err);
}

hf_status gguf_w_set_bool(gguf_writer *w, const char *key, int v, hf_err *err) {
    for (int64_t i = 0; i < w->n_kv; i++) {
        if (strcmp(w->keys[i], key)) continue;
        if (w->state != W_PLAN)
            return hf_fail(err, HF_ERR_ARG, "gguf writer: KV '%s' changed after the header was written", key);
        if (w->val_type[i] != GGUF_T_BOOL)
            return hf_fail(err, HF_ERR_ARG, "gguf writer: key '%s' is a %s, not a bool", key,
                           gguf_vtype_name(w->val_type[i]));
        w->kv[w->val_off[i]] = v ? 1 : 0;
        return HF_OK;
    }
    return gguf_w_add_bool(w, key, v, err);
}

hf_status gguf_w_add_str_n(gguf_writer *w, const char *key, const char *v, uint64_t len, hf_err *err) {
    uint64_t body;
    if (!hf_add_u64(len, 8, &body)) return hf_fail(err, HF_ERR_ARG, "gguf writer: key '%s': string too long", key);
    hf_status s = begin_kv(w, key, GGUF_T_STRING, body, err);
    if (s != HF_OK) return s;
    put_u64(w, len);
    put(w, v, (size_t)len);
    return HF_OK;
}

hf_status gguf_w_add_str(gguf_writer *w, const char *key, const char *v, hf_err *err) {
    return gguf_w_add_str_n(w, key, v, strlen(v), err);
}

/* An array whose elements are already encoded as in the file (nbytes of them). */
static hf_status add_arr_raw(gguf_writer *w, const char *key, gguf_vtype elem, const void *data, uint64_t n,
                             uint64_t nbytes, hf_err *err) {
    if ((unsigned)elem >= GGUF_T_COUNT || elem == GGUF_T_ARRAY)
        return hf_fail(err, HF_ERR_ARG, "gguf writer: key '%s': invalid array element type %d", key, (int)elem);
    uint64_t body;
    if (!hf_add_u64(nbytes, 12, &body)) return hf_fail(err, HF_ERR_ARG, "gguf writer: key '%s': array too big", key);
    hf_status s = begin_kv(w, key, GGUF_T_ARRAY, body, err);
    if (s != HF_OK) return s;
    put_i32(w, (int32_t)elem);
    put_u64(w, n);
    put(w, data, (size_t)nbytes);
    return HF_OK;
}

hf_status gguf_w_add_arr(gguf_writer *w, const char *key, gguf_vtype elem, const void *data, uint64_t n,
                         hf_err *err) {
    uint64_t nbytes;
    if (!is_scalar(elem))
        return hf_fail(err, HF_ERR_ARG, "gguf writer: key '%s': expected a numeric/bool element type, found %s",
                       key, gguf_vtype_name(elem));
    if (!hf_mul_u64(n, gguf_vtype_size(elem), &nbytes))
        return hf_fail(err, HF_ERR_ARG, "gguf writer: key '%s': array too big", key);
    return add_arr_raw(w, key, elem, data, n, nbytes, err);
}

hf_status gguf_w_add_arr_str(gguf_writer *w, const char *key, const char *const *strs, const uint64_t *lens,
                             uint64_t n, hf_err *err) {
    uint64_t body = 12;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t len = lens ? lens[i] : strlen(strs[i]);
        if (!hf_add_u64(body, len, &body) || !hf_add_u64(body, 8, &body))
            return hf_fail(err, HF_ERR_ARG, "gguf writer: key '%s': array too big", key);
    }
    hf_status s = begin_kv(w, key, GGUF_T_ARRAY, body, err);
    if (s != HF_OK) return s;
    put_i32(w, GGUF_T_STRING);
    put_u64(w, n);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t len = lens ? lens[i] : strlen(strs[i]);
        put_u64(w, len);
        put(w, strs[i], (size_t)len);
    }
    return HF_OK;
}

hf_status gguf_w_add_kv_copy(gguf_writer *w, const gguf_file *src, const gguf_kv *kv, hf_err *err) {
    (void)src; /* string arrays are copied as stored, so the index is not needed */
    if (kv->type == GGUF_T_STRING) return gguf_w_add_str_n(w, kv->key, (const char *)kv->data, kv->nbytes, err);
    if (kv->type == GGUF_T_ARRAY) return add_arr_raw(w, kv->key, kv->arr_type, kv->data, kv->n, kv->nbytes, err);
    return gguf_w_add_scalar(w, kv->key, kv->type, kv->data, err);
}

/* ==== tensor plan ==== */

static hf_status check_tensor(const gguf_writer *w, const char *name, uint32_t type, uint32_t n_dims,
                              const int64_t *ne, uint64_t *nbytes, hf_err *err) {
    if (w->state != W_PLAN)
        return hf_fail(err, HF_ERR_ARG, "gguf writer: tensor '%s' added after the header was written", name);
    if (strlen(name) >= GGUF_MAX_NAME)
        return hf_fail(err, HF_ERR_ARG, "gguf writer: tensor name '%s' too long (expected < %d bytes)", name,
                       GGUF_MAX_NAME);
    for (int64_t i = 0; i < w->n_t; i++)
        if (!strcmp(w->t[i].name, name))
            return hf_fail(err, HF_ERR_ARG, "gguf writer: duplicate tensor name '%s'", name);
    const hf_type_traits *tt = hf_type_info(type);
    if (!tt) return hf_fail(err, HF_ERR_ARG, "gguf writer: tensor '%s': unknown ggml type %u", name, type);
    if (n_dims > 4)
        return hf_fail(err, HF_ERR_ARG, "gguf writer: tensor '%s': expected <= 4 dims, found %u", name, n_dims);
    uint64_t count = 1;
    for (uint32_t d = 0; d < n_dims; d++)
        if (ne[d] < 0 || !hf_mul_u64(count, (uint64_t)ne[d], &count) || count > INT64_MAX)
            return hf_fail(err, HF_ERR_ARG, "gguf writer: tensor '%s': invalid ne[%u] = %lld", name, d,
                           (long long)ne[d]);
    int64_t ne0 = n_dims ? ne[0] : 1;
    if (ne0 % tt->blck)
        return hf_fail(err, HF_ERR_ARG,
                       "gguf writer: tensor '%s': ne[0] must be a multiple of the %s block size %u (found %lld)",
                       name, tt->name, tt->blck, (long long)ne0);
    uint64_t n = hf_row_size(type, ne0);
    for (uint32_t d = 1; d < n_dims; d++)
        if (!hf_mul_u64(n, (uint64_t)ne[d], &n))
            return hf_fail(err, HF_ERR_ARG, "gguf writer: tensor '%s': byte size overflows", name);
    *nbytes = n;
    return HF_OK;
}

hf_status gguf_w_add_tensor(gguf_writer *w, const char *name, uint32_t type, uint32_t n_dims, const int64_t *ne,
                            int64_t *index, hf_err *err) {
    uint64_t nbytes = 0;
    hf_status s = check_tensor(w, name, type, n_dims, ne, &nbytes, err);
    if (s != HF_OK) return s;
    if (w->n_t == w->t_cap) {
        int64_t cap = w->t_cap ? w->t_cap * 2 : 64;
        plan_tensor *t = realloc(w->t, (size_t)cap * sizeof *t);
        if (!t) return hf_fail(err, HF_ERR_NOMEM, "gguf writer: out of memory adding tensor '%s'", name);
        w->t = t;
        w->t_cap = cap;
    }
    plan_tensor *t = &w->t[w->n_t];
    memset(t, 0, sizeof *t);
    if (!(t->name = strdup(name))) return hf_fail(err, HF_ERR_NOMEM, "gguf writer: out of memory");
    t->n_dims = n_dims;
    for (int d = 0; d < 4; d++) t->ne[d] = d < (int)n_dims ? ne[d] : 1;
    t->type = type;
    t->nbytes = nbytes;
    if (index) *index = w->n_t;
    w->n_t++;
    return HF_OK;
}

int64_t gguf_w_n_tensors(const gguf_writer *w) { return w->n_t; }

uint64_t gguf_w_tensor_nbytes(const gguf_writer *w, int64_t index) {
    return index >= 0 && index < w->n_t ? w->t[index].nbytes : 0;
}

/* ==== streaming ==== */

/* Records the failure: the temp file goes, and later calls report the writer as failed. */
static hf_status fail_stream(gguf_writer *w, hf_status s) {
    gguf_w_abort(w);
    return s;
}

static hf_status write_infos(gguf_writer *w, hf_err *err) {
    uint64_t offset = 0;
    for (int64_t i = 0; i < w->n_t; i++) {
        const plan_tensor *t = &w->t[i];
        uint64_t len = strlen(t->name);
        int32_t type = (int32_t)t->type;
        hf_status s = hf_outfile_write(&w->out, &len, 8, err);
        if (s == HF_OK) s = hf_outfile_write(&w->out, t->name, len, err);
        if (s == HF_OK) s = hf_outfile_write(&w->out, &t->n_dims, 4, err);
        if (s == HF_OK) s = hf_outfile_write(&w->out, t->ne, 8 * (size_t)t->n_dims, err);
        if (s == HF_OK) s = hf_outfile_write(&w->out, &type, 4, err);
        if (s == HF_OK) s = hf_outfile_write(&w->out, &offset, 8, err);
        if (s != HF_OK) return s;
        uint64_t padded;
        if (!hf_align_u64(t->nbytes, w->alignment, &padded) || !hf_add_u64(offset, padded, &offset))
            return hf_fail(err, HF_ERR_ARG, "gguf writer: tensor '%s': data offsets overflow", t->name);
    }
    return HF_OK;
}

static hf_status pad_to_alignment(gguf_writer *w, hf_err *err) {
    uint64_t rem = w->out.written % w->alignment;
    return rem ? hf_outfile_write_zeros(&w->out, (size_t)(w->alignment - rem), err) : HF_OK;
}

hf_status gguf_w_begin(gguf_writer *w, const char *path, hf_err *err) {
    if (w->state != W_PLAN) return hf_fail(err, HF_ERR_ARG, "%s: gguf writer already begun or failed", path);
    hf_status s = hf_outfile_open(&w->out, path, err);
    if (s != HF_OK) {
        w->state = W_FAILED;
        return s;
    }
    w->state = W_WRITING;
    uint32_t version = 3;
    uint64_t n_t = (uint64_t)w->n_t, n_kv = (uint64_t)w->n_kv;
    s = hf_outfile_write(&w->out, GGUF_MAGIC, 4, err);
    if (s == HF_OK) s = hf_outfile_write(&w->out, &version, 4, err);
    if (s == HF_OK) s = hf_outfile_write(&w->out, &n_t, 8, err);
    if (s == HF_OK) s = hf_outfile_write(&w->out, &n_kv, 8, err);
    if (s == HF_OK) s = hf_outfile_write(&w->out, w->kv, w->kv_len, err);
    if (s == HF_OK) s = write_infos(w, err);
    /* gguf-py pads before the data section; a file without tensors is written the way its
     * vocab-only mode does it: header and KVs, nothing after. */
    if (s == HF_OK && w->n_t > 0) s = pad_to_alignment(w, err);
    if (s != HF_OK) return fail_stream(w, s);
    w->cur = 0;
    w->cur_written = 0;
    return HF_OK;
}

static const char *out_name(const gguf_writer *w) { return w->out.final_path ? w->out.final_path : "(output)"; }

hf_status gguf_w_write_data(gguf_writer *w, const void *data, size_t n, hf_err *err) {
    if (w->state != W_WRITING) return hf_fail(err, HF_ERR_ARG, "gguf writer: data written while not writing");
    if (w->cur >= w->n_t)
        return fail_stream(w, hf_fail(err, HF_ERR_ARG, "%s: data written after the last tensor", out_name(w)));
    const plan_tensor *t = &w->t[w->cur];
    if (n > t->nbytes - w->cur_written)
        return fail_stream(w, hf_fail(err, HF_ERR_ARG,
                                      "%s: tensor '%s': too much data (expected %llu bytes, found at least %llu)",
                                      out_name(w), t->name, (unsigned long long)t->nbytes,
                                      (unsigned long long)(w->cur_written + n)));
    hf_status s = hf_outfile_write(&w->out, data, n, err);
    if (s != HF_OK) return fail_stream(w, s);
    w->cur_written += n;
    return HF_OK;
}

hf_status gguf_w_end_tensor(gguf_writer *w, hf_err *err) {
    if (w->state != W_WRITING) return hf_fail(err, HF_ERR_ARG, "gguf writer: tensor ended while not writing");
    if (w->cur >= w->n_t)
        return fail_stream(w, hf_fail(err, HF_ERR_ARG, "%s: more tensors ended than planned", out_name(w)));
    const plan_tensor *t = &w->t[w->cur];
    if (w->cur_written != t->nbytes)
        return fail_stream(w, hf_fail(err, HF_ERR_ARG, "%s: tensor '%s': wrong data size (expected %llu bytes, found %llu)",
                                      out_name(w), t->name, (unsigned long long)t->nbytes,
                                      (unsigned long long)w->cur_written));
    hf_status s = pad_to_alignment(w, err);
    if (s != HF_OK) return fail_stream(w, s);
    w->cur++;
    w->cur_written = 0;
    return HF_OK;
}

hf_status gguf_w_finish(gguf_writer *w, hf_err *err) {
    if (w->state != W_WRITING) return hf_fail(err, HF_ERR_ARG, "gguf writer: finish while not writing");
    if (w->cur != w->n_t)
        return fail_stream(w, hf_fail(err, HF_ERR_ARG, "%s: only %lld of %lld tensors were written (next: '%s')",
                                      out_name(w), (long long)w->cur, (long long)w->n_t, w->t[w->cur].name));
    hf_status s = hf_outfile_commit(&w->out, err);
    w->state = s == HF_OK ? W_DONE : W_FAILED;
    return s;
}
