/* gguf_read: the validating GGUF reader. Everything in the file is checked once, in gguf_open;
 * accessors afterwards trust the parsed tables. Error messages have the form
 * "<file>: <item>: <problem> (expected ..., found ...)". */
#include "gguf/gguf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/checked.h"
#include "base/dtype.h"
#include "base/fmap.h"
#include "gguf/gguf_internal.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the GGUF reader assumes a little-endian host"
#endif

/* ggml keeps tensor names in a fixed char[64]; longer names make llama.cpp fail to load. */
#define GGUF_MAX_NAME 64
#define GGUF_MAX_DIMS 4

/* A KV entry plus, for string arrays, the file offset of every element (the O(1) index). */
typedef struct kv_entry {
    gguf_kv pub; /* first member: a gguf_kv* handed out is also a kv_entry* */
    uint64_t *str_off;
} kv_entry;

struct gguf_file {
    char *path;
    hf_fmap map; /* zeroed for gguf_open_buffer */
    const uint8_t *base;
    uint64_t size;
    uint32_t version;
    uint64_t alignment;
    uint64_t data_offset;
    int64_t n_kv;
    kv_entry *kvs;
    int64_t n_tensors;
    gguf_tensor *tensors;
    gguf_name_index kv_index;
    gguf_name_index tensor_index;
};

/* ==== value type table ==== */

static const struct {
    const char *name;
    size_t size;
} VTYPES[GGUF_T_COUNT] = {
    [GGUF_T_UINT8] = {"u8", 1},    [GGUF_T_INT8] = {"i8", 1},     [GGUF_T_UINT16] = {"u16", 2},
    [GGUF_T_INT16] = {"i16", 2},   [GGUF_T_UINT32] = {"u32", 4},  [GGUF_T_INT32] = {"i32", 4},
    [GGUF_T_FLOAT32] = {"f32", 4}, [GGUF_T_BOOL] = {"bool", 1},   [GGUF_T_STRING] = {"string", 0},
    [GGUF_T_ARRAY] = {"array", 0}, [GGUF_T_UINT64] = {"u64", 8},  [GGUF_T_INT64] = {"i64", 8},
    [GGUF_T_FLOAT64] = {"f64", 8},
};

const char *gguf_vtype_name(gguf_vtype t) {
    return (unsigned)t < GGUF_T_COUNT ? VTYPES[t].name : "unknown";
}

size_t gguf_vtype_size(gguf_vtype t) {
    return (unsigned)t < GGUF_T_COUNT ? VTYPES[t].size : 0;
}

/* ==== name index (open addressing, FNV-1a) ==== */

static uint64_t fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

hf_status gguf_index_init(gguf_name_index *ix, int64_t n) {
    uint64_t cap = 16;
    while (cap < (uint64_t)n * 2) cap <<= 1;
    ix->slots = calloc(cap, sizeof *ix->slots);
    ix->mask = cap - 1;
    return ix->slots ? HF_OK : HF_ERR_NOMEM;
}

void gguf_index_free(gguf_name_index *ix) {
    free(ix->slots);
    ix->slots = NULL;
}

int64_t gguf_index_find(const gguf_name_index *ix, const char *name) {
    if (!ix->slots) return -1;
    for (uint64_t i = fnv1a(name) & ix->mask;; i = (i + 1) & ix->mask) {
        if (!ix->slots[i].name) return -1;
        if (!strcmp(ix->slots[i].name, name)) return ix->slots[i].idx;
    }
}

/* Inserts name -> idx; returns the existing index if the name is already present, else -1. */
int64_t gguf_index_insert(gguf_name_index *ix, const char *name, int64_t idx) {
    for (uint64_t i = fnv1a(name) & ix->mask;; i = (i + 1) & ix->mask) {
        if (!ix->slots[i].name) {
            ix->slots[i].name = name;
            ix->slots[i].idx = idx;
            return -1;
        }
        if (!strcmp(ix->slots[i].name, name)) return ix->slots[i].idx;
    }
}

/* ==== cursor over the mapping ==== */

typedef struct cursor {
    const uint8_t *p;
    uint64_t size;
    uint64_t pos;
    const char *file;
    char item[192]; /* what is being read, for messages: "KV 'general.name'" */
    hf_err *err;
} cursor;

static hf_status need(cursor *c, uint64_t n, const char *what) {
    if (n <= c->size - c->pos) return HF_OK;
    return hf_fail(c->err, HF_ERR_FORMAT,
                   "%s: %s: %s runs past the end of the file (expected %llu bytes at offset %llu, found %llu)",
                   c->file, c->item, what, (unsigned long long)n, (unsigned long long)c->pos,
                   (unsigned long long)(c->size - c->pos));
}

static hf_status rd(cursor *c, void *out, uint64_t n, const char *what) {
    hf_status s = need(c, n, what);
    if (s != HF_OK) return s;
    memcpy(out, c->p + c->pos, n);
    c->pos += n;
    return HF_OK;
}

static hf_status rd_u32(cursor *c, uint32_t *v, const char *what) { return rd(c, v, 4, what); }
static hf_status rd_u64(cursor *c, uint64_t *v, const char *what) { return rd(c, v, 8, what); }

/* Reads a string header and returns a view of its bytes (bounds-checked). */
static hf_status rd_str(cursor *c, gguf_str *out, const char *what) {
    uint64_t len;
    hf_status s = rd_u64(c, &len, what);
    if (s != HF_OK) return s;
    if ((s = need(c, len, what)) != HF_OK) return s;
    out->ptr = (const char *)c->p + c->pos;
    out->len = len;
    c->pos += len;
    return HF_OK;
}

/* Copies a name (key or tensor name) out of the mapping as a C string; rejects embedded NULs,
 * which could not be looked up by name. */
static hf_status copy_name(cursor *c, gguf_str s, const char *kind, char **out) {
    if (memchr(s.ptr, 0, s.len))
        return hf_fail(c->err, HF_ERR_FORMAT, "%s: %s: %s contains a NUL byte", c->file, c->item, kind);
    *out = malloc(s.len + 1);
    if (!*out) return hf_fail(c->err, HF_ERR_NOMEM, "%s: out of memory reading a %s", c->file, kind);
    memcpy(*out, s.ptr, s.len);
    (*out)[s.len] = 0;
    return HF_OK;
}

/* ==== KV section ==== */

/* Walks n strings of an array, bounds-checking each and recording its offset. */
static hf_status index_string_array(cursor *c, kv_entry *e) {
    uint64_t n = e->pub.n;
    if (n > (c->size - c->pos) / 8)
        return hf_fail(c->err, HF_ERR_FORMAT,
                       "%s: %s: array of %llu strings cannot fit in the %llu bytes left (each needs >= 8)",
                       c->file, c->item, (unsigned long long)n, (unsigned long long)(c->size - c->pos));
    e->str_off = malloc((n ? n : 1) * sizeof *e->str_off);
    if (!e->str_off) return hf_fail(c->err, HF_ERR_NOMEM, "%s: %s: out of memory", c->file, c->item);
    uint64_t start = c->pos;
    for (uint64_t i = 0; i < n; i++) {
        e->str_off[i] = c->pos;
        gguf_str s;
        hf_status st = rd_str(c, &s, "array string element");
        if (st != HF_OK) return hf_err_prefix(c->err, "element %llu", (unsigned long long)i);
    }
    e->pub.nbytes = c->pos - start;
    return HF_OK;
}

static hf_status read_array(cursor *c, kv_entry *e) {
    int32_t et;
    uint64_t n;
    hf_status s = rd(c, &et, 4, "array element type");
    if (s == HF_OK) s = rd_u64(c, &n, "array count");
    if (s != HF_OK) return s;
    if (et < 0 || et >= GGUF_T_COUNT)
        return hf_fail(c->err, HF_ERR_FORMAT, "%s: %s: unknown array element type (expected 0..12, found %d)",
                       c->file, c->item, et);
    if (et == GGUF_T_ARRAY)
        return hf_fail(c->err, HF_ERR_FORMAT,
                       "%s: %s: arrays of arrays are not allowed (expected a scalar or string element type)",
                       c->file, c->item);
    e->pub.arr_type = (gguf_vtype)et;
    e->pub.n = n;
    e->pub.data = c->p + c->pos;
    if (et == GGUF_T_STRING) return index_string_array(c, e);
    uint64_t bytes;
    if (!hf_mul_u64(n, VTYPES[et].size, &bytes) || bytes > c->size - c->pos)
        return hf_fail(c->err, HF_ERR_FORMAT,
                       "%s: %s: array of %llu %s elements runs past the end of the file (%llu bytes left)",
                       c->file, c->item, (unsigned long long)n, VTYPES[et].name,
                       (unsigned long long)(c->size - c->pos));
    e->pub.nbytes = bytes;
    c->pos += bytes;
    return HF_OK;
}

static hf_status read_value(cursor *c, kv_entry *e) {
    gguf_vtype t = e->pub.type;
    e->pub.n = 1;
    if (t == GGUF_T_ARRAY) return read_array(c, e);
    if (t == GGUF_T_STRING) {
        gguf_str s;
        hf_status st = rd_str(c, &s, "string value");
        if (st != HF_OK) return st;
        e->pub.data = (const uint8_t *)s.ptr;
        e->pub.nbytes = s.len;
        return HF_OK;
    }
    hf_status st = need(c, VTYPES[t].size, "value");
    if (st != HF_OK) return st;
    e->pub.data = c->p + c->pos;
    e->pub.nbytes = VTYPES[t].size;
    c->pos += VTYPES[t].size;
    return HF_OK;
}

static hf_status check_alignment_kv(cursor *c, gguf_file *f, const gguf_kv *kv) {
    if (kv->type != GGUF_T_UINT32)
        return hf_fail(c->err, HF_ERR_FORMAT, "%s: KV 'general.alignment': wrong type (expected u32, found %s)",
                       c->file, gguf_vtype_name(kv->type));
    uint32_t a;
    memcpy(&a, kv->data, 4);
    if (a == 0 || (a & (a - 1)))
        return hf_fail(c->err, HF_ERR_FORMAT,
                       "%s: KV 'general.alignment': expected a non-zero power of two, found %u", c->file, a);
    f->alignment = a;
    return HF_OK;
}

static hf_status read_one_kv(cursor *c, gguf_file *f, int64_t i) {
    kv_entry *e = &f->kvs[i];
    gguf_str key;
    int32_t t;
    snprintf(c->item, sizeof c->item, "KV #%lld", (long long)i);
    hf_status s = rd_str(c, &key, "key");
    if (s != HF_OK) return s;
    char *k;
    if ((s = copy_name(c, key, "key", &k)) != HF_OK) return s;
    e->pub.key = k;
    f->n_kv = i + 1; /* from here on the entry is owned by f */
    snprintf(c->item, sizeof c->item, "KV #%lld '%.120s'", (long long)i, k);
    if ((s = rd(c, &t, 4, "value type")) != HF_OK) return s;
    if (t < 0 || t >= GGUF_T_COUNT)
        return hf_fail(c->err, HF_ERR_FORMAT, "%s: %s: unknown value type (expected 0..12, found %d)", c->file,
                       c->item, t);
    e->pub.type = (gguf_vtype)t;
    e->pub.arr_type = GGUF_T_COUNT;
    if ((s = read_value(c, e)) != HF_OK) return s;
    if (gguf_index_insert(&f->kv_index, k, i) >= 0)
        return hf_fail(c->err, HF_ERR_FORMAT, "%s: %s: duplicate key (expected each key once)", c->file, c->item);
    if (!strcmp(k, "general.alignment")) return check_alignment_kv(c, f, &e->pub);
    return HF_OK;
}

/* ==== tensor infos ==== */

static hf_status read_shape(cursor *c, gguf_tensor *t) {
    hf_status s = rd_u32(c, &t->n_dims, "n_dims");
    if (s != HF_OK) return s;
    if (t->n_dims > GGUF_MAX_DIMS)
        return hf_fail(c->err, HF_ERR_FORMAT, "%s: %s: too many dimensions (expected <= 4, found %u)", c->file,
                       c->item, t->n_dims);
    for (int d = 0; d < GGUF_MAX_DIMS; d++) t->ne[d] = 1;
    for (uint32_t d = 0; d < t->n_dims; d++) {
        if ((s = rd(c, &t->ne[d], 8, "dimension")) != HF_OK) return s;
        if (t->ne[d] < 0)
            return hf_fail(c->err, HF_ERR_FORMAT, "%s: %s: ne[%u] is negative (expected >= 0, found %lld)",
                           c->file, c->item, d, (long long)t->ne[d]);
    }
    uint64_t count = 1;
    for (int d = 0; d < GGUF_MAX_DIMS; d++)
        if (!hf_mul_u64(count, (uint64_t)t->ne[d], &count) || count > INT64_MAX)
            return hf_fail(c->err, HF_ERR_FORMAT,
                           "%s: %s: element count overflows int64 (ne = %lld x %lld x %lld x %lld)", c->file,
                           c->item, (long long)t->ne[0], (long long)t->ne[1], (long long)t->ne[2],
                           (long long)t->ne[3]);
    return HF_OK;
}

static hf_status compute_nbytes(cursor *c, gguf_tensor *t) {
    const hf_type_traits *tt = hf_type_info(t->type);
    if (!tt)
        return hf_fail(c->err, HF_ERR_FORMAT, "%s: %s: unknown ggml type (expected a known type id, found %u)",
                       c->file, c->item, t->type);
    if (t->ne[0] % tt->blck != 0)
        return hf_fail(c->err, HF_ERR_FORMAT,
                       "%s: %s: ne[0] is not a multiple of the %s block size (expected a multiple of %u, found "
                       "%lld)",
                       c->file, c->item, tt->name, tt->blck, (long long)t->ne[0]);
    uint64_t n = hf_row_size(t->type, t->ne[0]);
    for (int d = 1; d < GGUF_MAX_DIMS; d++)
        if (!hf_mul_u64(n, (uint64_t)t->ne[d], &n))
            return hf_fail(c->err, HF_ERR_FORMAT, "%s: %s: byte size overflows 64 bits", c->file, c->item);
    t->nbytes = n;
    return HF_OK;
}

static hf_status read_one_tensor(cursor *c, gguf_file *f, int64_t i) {
    gguf_tensor *t = &f->tensors[i];
    gguf_str name;
    snprintf(c->item, sizeof c->item, "tensor #%lld", (long long)i);
    hf_status s = rd_str(c, &name, "tensor name");
    if (s != HF_OK) return s;
    if (name.len >= GGUF_MAX_NAME)
        return hf_fail(c->err, HF_ERR_FORMAT, "%s: %s: name too long (expected < %d bytes, found %llu)", c->file,
                       c->item, GGUF_MAX_NAME, (unsigned long long)name.len);
    char *nm;
    if ((s = copy_name(c, name, "tensor name", &nm)) != HF_OK) return s;
    t->name = nm;
    f->n_tensors = i + 1;
    snprintf(c->item, sizeof c->item, "tensor '%s'", nm);
    if (gguf_index_insert(&f->tensor_index, nm, i) >= 0)
        return hf_fail(c->err, HF_ERR_FORMAT, "%s: %s: duplicate tensor name (expected each name once)", c->file,
                       c->item);
    if ((s = read_shape(c, t)) != HF_OK) return s;
    if ((s = rd_u32(c, &t->type, "type")) != HF_OK) return s;
    if ((s = rd_u64(c, &t->offset, "offset")) != HF_OK) return s;
    return compute_nbytes(c, t);
}

/* ggml's rule: tensor i starts where tensor i-1 ended, rounded up to the alignment. */
static hf_status check_data_layout(cursor *c, gguf_file *f) {
    uint64_t expect = 0;
    for (int64_t i = 0; i < f->n_tensors; i++) {
        gguf_tensor *t = &f->tensors[i];
        snprintf(c->item, sizeof c->item, "tensor '%s'", t->name);
        if (t->offset != expect)
            return hf_fail(c->err, HF_ERR_FORMAT,
                           "%s: %s: data offset is not the aligned running sum (expected %llu, found %llu)",
                           c->file, c->item, (unsigned long long)expect, (unsigned long long)t->offset);
        uint64_t end;
        if (!hf_add_u64(f->data_offset, t->offset, &end) || !hf_add_u64(end, t->nbytes, &end) || end > f->size)
            return hf_fail(c->err, HF_ERR_FORMAT,
                           "%s: %s: data (%llu bytes at data offset %llu) runs past the end of the file (size "
                           "%llu, data section at %llu)",
                           c->file, c->item, (unsigned long long)t->nbytes, (unsigned long long)t->offset,
                           (unsigned long long)f->size, (unsigned long long)f->data_offset);
        t->data = f->base + f->data_offset + t->offset;
        uint64_t padded;
        if (!hf_align_u64(t->nbytes, f->alignment, &padded) || !hf_add_u64(expect, padded, &expect))
            return hf_fail(c->err, HF_ERR_FORMAT, "%s: %s: data offsets overflow", c->file, c->item);
    }
    return HF_OK;
}

/* ==== header and top level ==== */

static hf_status read_header(cursor *c, gguf_file *f, uint64_t *n_tensors, uint64_t *n_kv) {
    char magic[4];
    snprintf(c->item, sizeof c->item, "header");
    hf_status s = rd(c, magic, 4, "magic");
    if (s != HF_OK) return s;
    if (memcmp(magic, GGUF_MAGIC, 4))
        return hf_fail(c->err, HF_ERR_FORMAT, "%s: not a GGUF file (expected magic \"GGUF\", found %02x %02x %02x %02x)",
                       c->file, (uint8_t)magic[0], (uint8_t)magic[1], (uint8_t)magic[2], (uint8_t)magic[3]);
    if ((s = rd_u32(c, &f->version, "version")) != HF_OK) return s;
    if (f->version != 0 && (f->version & 0xFFFF) == 0)
        return hf_fail(c->err, HF_ERR_UNSUPPORTED,
                       "%s: file is big-endian (version field reads 0x%08x); only little-endian GGUF is supported",
                       c->file, f->version);
    if (f->version != 2 && f->version != 3)
        return hf_fail(c->err, HF_ERR_UNSUPPORTED, "%s: unsupported GGUF version (expected 2 or 3, found %u)",
                       c->file, f->version);
    if ((s = rd_u64(c, n_tensors, "tensor count")) != HF_OK) return s;
    if ((s = rd_u64(c, n_kv, "KV count")) != HF_OK) return s;
    /* Smallest possible encodings: a KV needs 8+4+1 bytes, a tensor info 8+4+4+8. */
    uint64_t left = c->size - c->pos;
    if (*n_kv > left / 13)
        return hf_fail(c->err, HF_ERR_FORMAT, "%s: header: KV count %llu cannot fit in the %llu bytes left", c->file,
                       (unsigned long long)*n_kv, (unsigned long long)left);
    if (*n_tensors > left / 24)
        return hf_fail(c->err, HF_ERR_FORMAT, "%s: header: tensor count %llu cannot fit in the %llu bytes left",
                       c->file, (unsigned long long)*n_tensors, (unsigned long long)left);
    return HF_OK;
}

static hf_status parse(gguf_file *f, hf_err *err) {
    cursor c = {.p = f->base, .size = f->size, .file = f->path, .err = err};
    uint64_t n_tensors = 0, n_kv = 0; /* read_header sets both whenever it returns HF_OK */
    hf_status s = read_header(&c, f, &n_tensors, &n_kv);
    if (s != HF_OK) return s;
    f->alignment = GGUF_DEFAULT_ALIGNMENT;
    f->kvs = calloc(n_kv ? n_kv : 1, sizeof *f->kvs);
    f->tensors = calloc(n_tensors ? n_tensors : 1, sizeof *f->tensors);
    if (!f->kvs || !f->tensors || gguf_index_init(&f->kv_index, (int64_t)n_kv) != HF_OK ||
        gguf_index_init(&f->tensor_index, (int64_t)n_tensors) != HF_OK)
        return hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", f->path);
    for (uint64_t i = 0; i < n_kv; i++)
        if ((s = read_one_kv(&c, f, (int64_t)i)) != HF_OK) return s;
    for (uint64_t i = 0; i < n_tensors; i++)
        if ((s = read_one_tensor(&c, f, (int64_t)i)) != HF_OK) return s;
    /* A vocab-only file may end right after the infos: the padding is only needed before data. */
    if (!hf_align_u64(c.pos, f->alignment, &f->data_offset))
        return hf_fail(err, HF_ERR_FORMAT, "%s: data section offset overflows", f->path);
    return check_data_layout(&c, f);
}

static hf_status open_common(gguf_file **out, gguf_file *f, hf_err *err) {
    hf_status s = parse(f, err);
    if (s != HF_OK) {
        gguf_close(f);
        *out = NULL;
        return s;
    }
    *out = f;
    return HF_OK;
}

static gguf_file *new_file(const char *name) {
    gguf_file *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->path = strdup(name ? name : "(buffer)");
    if (!f->path) {
        free(f);
        return NULL;
    }
    return f;
}

hf_status gguf_open(gguf_file **out, const char *path, hf_err *err) {
    *out = NULL;
    gguf_file *f = new_file(path);
    if (!f) return hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", path);
    hf_status s = hf_fmap_open(&f->map, path, err);
    if (s != HF_OK) {
        gguf_close(f);
        return s;
    }
    f->base = f->map.data;
    f->size = f->map.size;
    return open_common(out, f, err);
}

hf_status gguf_open_buffer(gguf_file **out, const void *data, size_t size, const char *name, hf_err *err) {
    *out = NULL;
    gguf_file *f = new_file(name);
    if (!f) return hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", name ? name : "(buffer)");
    f->base = data;
    f->size = size;
    return open_common(out, f, err);
}

void gguf_close(gguf_file *f) {
    if (!f) return;
    for (int64_t i = 0; i < f->n_kv; i++) {
        free((char *)f->kvs[i].pub.key);
        free(f->kvs[i].str_off);
    }
    for (int64_t i = 0; i < f->n_tensors; i++) free((char *)f->tensors[i].name);
    free(f->kvs);
    free(f->tensors);
    gguf_index_free(&f->kv_index);
    gguf_index_free(&f->tensor_index);
    hf_fmap_close(&f->map);
    free(f->path);
    free(f);
}

/* ==== accessors ==== */

int gguf_is_file_mapping(const gguf_file *f) { return f->map.data != NULL; }

const char *gguf_path(const gguf_file *f) { return f->path; }
uint32_t gguf_version(const gguf_file *f) { return f->version; }
uint64_t gguf_alignment(const gguf_file *f) { return f->alignment; }
uint64_t gguf_data_offset(const gguf_file *f) { return f->data_offset; }
uint64_t gguf_file_size(const gguf_file *f) { return f->size; }
const uint8_t *gguf_file_bytes(const gguf_file *f) { return f->base; }

int64_t gguf_n_kv(const gguf_file *f) { return f->n_kv; }

const gguf_kv *gguf_kv_at(const gguf_file *f, int64_t i) {
    return i >= 0 && i < f->n_kv ? &f->kvs[i].pub : NULL;
}

const gguf_kv *gguf_find_kv(const gguf_file *f, const char *key) {
    int64_t i = gguf_index_find(&f->kv_index, key);
    return i < 0 ? NULL : &f->kvs[i].pub;
}

int64_t gguf_n_tensors(const gguf_file *f) { return f->n_tensors; }

const gguf_tensor *gguf_tensor_at(const gguf_file *f, int64_t i) {
    return i >= 0 && i < f->n_tensors ? &f->tensors[i] : NULL;
}

int64_t gguf_find_tensor_index(const gguf_file *f, const char *name) {
    return gguf_index_find(&f->tensor_index, name);
}

const gguf_tensor *gguf_find_tensor(const gguf_file *f, const char *name) {
    int64_t i = gguf_index_find(&f->tensor_index, name);
    return i < 0 ? NULL : &f->tensors[i];
}

gguf_str gguf_arr_str(const gguf_file *f, const gguf_kv *kv, uint64_t i) {
    const kv_entry *e = (const kv_entry *)kv;
    gguf_str s = {"", 0};
    if (kv->type != GGUF_T_ARRAY || kv->arr_type != GGUF_T_STRING || i >= kv->n) return s;
    uint64_t off = e->str_off[i];
    memcpy(&s.len, f->base + off, 8);
    s.ptr = (const char *)f->base + off + 8;
    return s;
}
