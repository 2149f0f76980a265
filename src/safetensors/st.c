#include "safetensors/st.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "base/checked.h"
#include "base/f16.h"
#include "base/fmap.h"
#include "json/json.h"

/* ==== dtypes ==== */

static float bf16_to_f32(uint16_t h) { return hf_bf16_to_f32(h); }

typedef struct st_dtype_row {
    const char *name;
    st_dtype dtype;
    uint32_t size;
    float (*half_to_f32)(uint16_t); /* 16-bit types; NULL for F32 */
} st_dtype_row;

/* Indexed by st_dtype. */
static const st_dtype_row DTYPES[] = {
    {"F32", ST_F32, 4, NULL},
    {"F16", ST_F16, 2, hf_f16_to_f32},
    {"BF16", ST_BF16, 2, bf16_to_f32},
};
#define N_DTYPES (sizeof DTYPES / sizeof DTYPES[0])

const char *st_dtype_name(st_dtype t) { return (unsigned)t < N_DTYPES ? DTYPES[t].name : "?"; }
uint32_t st_dtype_size(st_dtype t) { return (unsigned)t < N_DTYPES ? DTYPES[t].size : 0; }

static const st_dtype_row *dtype_lookup(const char *name) {
    for (size_t i = 0; i < N_DTYPES; i++)
        if (!strcmp(DTYPES[i].name, name)) return &DTYPES[i];
    return NULL;
}

/* ==== header parsing ==== */

void st_tensors_free(st_tensor *t, size_t n) {
    if (!t) return;
    for (size_t i = 0; i < n; i++) free(t[i].name);
    free(t);
}

static hf_status parse_shape(const cJSON *shape, const char *src, const char *name, st_tensor *t, hf_err *err) {
    if (!cJSON_IsArray(shape))
        return hf_fail(err, HF_ERR_FORMAT, "%s: tensor '%s': \"shape\" must be an array, found %s", src, name,
                       json_type_name(shape));
    int n = cJSON_GetArraySize(shape);
    if (n > ST_MAX_DIMS)
        return hf_fail(err, HF_ERR_UNSUPPORTED, "%s: tensor '%s': %d dimensions, at most %d supported", src, name, n,
                       ST_MAX_DIMS);
    uint64_t count = 1;
    int i = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, shape) {
        if (!json_is_integer(d) || d->valuedouble < 0)
            return hf_fail(err, HF_ERR_FORMAT, "%s: tensor '%s': shape[%d] must be a non-negative integer", src,
                           name, i);
        t->shape[i] = (int64_t)d->valuedouble;
        if (!hf_mul_u64(count, (uint64_t)t->shape[i], &count) || count > (uint64_t)INT64_MAX)
            return hf_fail(err, HF_ERR_FORMAT, "%s: tensor '%s': element count overflows", src, name);
        i++;
    }
    t->n_dims = (uint32_t)n;
    t->n_elements = (int64_t)count;
    return HF_OK;
}

static hf_status parse_offsets(const cJSON *offs, const char *src, const char *name, uint64_t data_size,
                               uint64_t *begin, uint64_t *end, hf_err *err) {
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 || !json_is_integer(offs->child) ||
        !json_is_integer(offs->child->next) || offs->child->valuedouble < 0 || offs->child->next->valuedouble < 0)
        return hf_fail(err, HF_ERR_FORMAT,
                       "%s: tensor '%s': \"data_offsets\" must be [begin, end] with non-negative integers", src,
                       name);
    *begin = (uint64_t)offs->child->valuedouble;
    *end = (uint64_t)offs->child->next->valuedouble;
    if (*begin > *end)
        return hf_fail(err, HF_ERR_FORMAT, "%s: tensor '%s': data_offsets begin %llu > end %llu", src, name,
                       (unsigned long long)*begin, (unsigned long long)*end);
    if (*end > data_size)
        return hf_fail(err, HF_ERR_FORMAT,
                       "%s: tensor '%s': data_offsets [%llu, %llu] outside the data section (%llu bytes)", src, name,
                       (unsigned long long)*begin, (unsigned long long)*end, (unsigned long long)data_size);
    return HF_OK;
}

/* One header entry -> tensor, with every field checked against the data size. */
static hf_status parse_entry(const cJSON *e, const char *src, const uint8_t *data, uint64_t data_size, st_tensor *t,
                             uint64_t *begin, hf_err *err) {
    const char *name = e->string;
    if (!cJSON_IsObject(e))
        return hf_fail(err, HF_ERR_FORMAT, "%s: tensor '%s': expected an object, found %s", src, name,
                       json_type_name(e));
    const char *dt = NULL;
    hf_status s = json_req_str(e, "dtype", src, &dt, err);
    if (s != HF_OK) return hf_err_prefix(err, "tensor '%s'", name);
    const st_dtype_row *row = dtype_lookup(dt);
    if (!row)
        return hf_fail(err, HF_ERR_UNSUPPORTED, "%s: tensor '%s': unsupported dtype \"%s\" (expected F32, F16 or BF16)",
                       src, name, dt);
    t->dtype = row->dtype;
    s = parse_shape(json_get(e, "shape"), src, name, t, err);
    if (s != HF_OK) return s;
    uint64_t end = 0;
    s = parse_offsets(json_get(e, "data_offsets"), src, name, data_size, begin, &end, err);
    if (s != HF_OK) return s;
    uint64_t want;
    if (!hf_mul_u64((uint64_t)t->n_elements, row->size, &want) || want != end - *begin)
        return hf_fail(err, HF_ERR_FORMAT,
                       "%s: tensor '%s': byte range [%llu, %llu] holds %llu bytes, but shape x %s needs %llu", src,
                       name, (unsigned long long)*begin, (unsigned long long)end,
                       (unsigned long long)(end - *begin), dt, (unsigned long long)want);
    t->data = data + *begin;
    t->nbytes = want;
    t->file = src;
    t->fd = -1;
    return HF_OK;
}

typedef struct range_ref {
    uint64_t begin, end;
    const char *name;
} range_ref;

static int cmp_range(const void *a, const void *b) {
    const range_ref *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : (x->end > y->end) - (x->end < y->end);
}

static hf_status check_no_overlap(st_tensor *t, const uint64_t *begins, size_t n, const char *src, hf_err *err) {
    range_ref *r = malloc((n ? n : 1) * sizeof *r);
    if (!r) return hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", src);
    for (size_t i = 0; i < n; i++) r[i] = (range_ref){begins[i], begins[i] + t[i].nbytes, t[i].name};
    qsort(r, n, sizeof *r, cmp_range);
    hf_status s = HF_OK;
    for (size_t i = 1; i < n && s == HF_OK; i++)
        if (r[i].begin < r[i - 1].end)
            s = hf_fail(err, HF_ERR_FORMAT, "%s: tensors '%s' and '%s' overlap (bytes %llu..%llu and %llu..%llu)",
                        src, r[i - 1].name, r[i].name, (unsigned long long)r[i - 1].begin,
                        (unsigned long long)r[i - 1].end, (unsigned long long)r[i].begin,
                        (unsigned long long)r[i].end);
    free(r);
    return s;
}

static int cmp_tensor_name(const void *a, const void *b) {
    return strcmp(((const st_tensor *)a)->name, ((const st_tensor *)b)->name);
}

static hf_status read_header_json(const uint8_t *buf, size_t size, const char *src, cJSON **root, uint64_t *data_off,
                                  hf_err *err) {
    if (size < 8)
        return hf_fail(err, HF_ERR_FORMAT, "%s: truncated safetensors file: %zu bytes, need at least 8", src, size);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | buf[i];
    if (hlen > size - 8)
        return hf_fail(err, HF_ERR_FORMAT, "%s: safetensors header length %llu exceeds the file (%zu bytes)", src,
                       (unsigned long long)hlen, size);
    hf_status s = json_parse(root, (const char *)buf + 8, (size_t)hlen, src, err);
    if (s != HF_OK) return hf_err_prefix(err, "safetensors header");
    if (!cJSON_IsObject(*root)) {
        cJSON_Delete(*root);
        *root = NULL;
        return hf_fail(err, HF_ERR_FORMAT, "%s: safetensors header must be a JSON object", src);
    }
    *data_off = 8 + hlen;
    return HF_OK;
}

hf_status st_parse(const uint8_t *buf, size_t size, const char *src, st_tensor **out, size_t *n_out, hf_err *err) {
    *out = NULL;
    *n_out = 0;
    cJSON *root = NULL;
    uint64_t data_off = 0;
    hf_status s = read_header_json(buf, size, src, &root, &data_off, err);
    if (s != HF_OK) return s;
    size_t cap = (size_t)cJSON_GetArraySize(root);
    st_tensor *t = calloc(cap ? cap : 1, sizeof *t);
    uint64_t *begins = calloc(cap ? cap : 1, sizeof *begins);
    size_t n = 0;
    if (!t || !begins) s = hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", src);
    const cJSON *e;
    cJSON_ArrayForEach(e, root) {
        if (s != HF_OK) break;
        if (!strcmp(e->string, "__metadata__")) continue;
        t[n].name = strdup(e->string);
        if (!t[n].name) {
            s = hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", src);
            break;
        }
        n++;
        s = parse_entry(e, src, buf + data_off, size - data_off, &t[n - 1], &begins[n - 1], err);
        if (s == HF_OK) t[n - 1].file_offset = data_off + begins[n - 1];
    }
    cJSON_Delete(root);
    if (s == HF_OK) s = check_no_overlap(t, begins, n, src, err);
    free(begins);
    if (s != HF_OK) {
        st_tensors_free(t, n);
        return s;
    }
    qsort(t, n, sizeof *t, cmp_tensor_name);
    for (size_t i = 1; i < n; i++)
        if (!strcmp(t[i].name, t[i - 1].name)) {
            s = hf_fail(err, HF_ERR_FORMAT, "%s: tensor '%s' appears twice in the header", src, t[i].name);
            st_tensors_free(t, n);
            return s;
        }
    *out = t;
    *n_out = n;
    return HF_OK;
}

/* ==== model directories ==== */

struct st_model {
    size_t n_files;
    char **paths;
    hf_fmap *maps;
    st_tensor *tensors; /* all shards, in llama.cpp order */
    size_t n_tensors;
    st_tensor **by_name; /* pointers into tensors, sorted by name, for lookups */
};

void st_model_close(st_model *m) {
    if (!m) return;
    for (size_t i = 0; i < m->n_tensors; i++) free(m->tensors[i].name);
    free(m->tensors);
    free(m->by_name);
    for (size_t i = 0; i < m->n_files; i++) {
        hf_fmap_close(&m->maps[i]);
        free(m->paths[i]);
    }
    free(m->paths);
    free(m->maps);
    free(m);
}

static char *join_path(const char *dir, const char *name) {
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p) return NULL;
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Appends name to a growing list unless already present (shard names repeat in weight_map). */
static hf_status list_add_unique(char ***list, size_t *n, const char *name, hf_err *err) {
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*list)[i], name)) return HF_OK;
    char **l = realloc(*list, (*n + 1) * sizeof *l);
    if (!l) return hf_fail(err, HF_ERR_NOMEM, "out of memory");
    *list = l;
    if (!(l[*n] = strdup(name))) return hf_fail(err, HF_ERR_NOMEM, "out of memory");
    (*n)++;
    return HF_OK;
}

static void list_free(char **list, size_t n) {
    for (size_t i = 0; i < n; i++) free(list[i]);
    free(list);
}

/* Shard names from the index's weight_map; each must be a plain file name in dir. */
hf_status st_index_parse(const char *text, size_t len, const char *src, cJSON **root, char ***names,
                         size_t *n_names, hf_err *err) {
    *root = NULL;
    *names = NULL;
    *n_names = 0;
    hf_status s = json_parse(root, text, len, src, err);
    if (s != HF_OK) return s;
    const cJSON *wm = json_get(*root, "weight_map");
    if (!cJSON_IsObject(*root))
        s = hf_fail(err, HF_ERR_FORMAT, "%s: expected a JSON object at top level, found %s", src,
                    json_type_name(*root));
    else if (!cJSON_IsObject(wm))
        s = hf_fail(err, HF_ERR_FORMAT, "%s: key 'weight_map': expected an object, found %s", src,
                    json_type_name(wm));
    const cJSON *e = NULL;
    if (s == HF_OK) e = wm->child;
    for (; s == HF_OK && e; e = e->next) {
        const char *f = e->valuestring;
        if (!cJSON_IsString(e))
            s = hf_fail(err, HF_ERR_FORMAT, "%s: weight_map['%s']: expected a file name string, found %s", src,
                        e->string, json_type_name(e));
        else if (!*f || strchr(f, '/') || !strcmp(f, ".") || !strcmp(f, ".."))
            s = hf_fail(err, HF_ERR_FORMAT, "%s: weight_map['%s']: \"%s\" is not a file name in the model directory",
                        src, e->string, f);
        else
            s = list_add_unique(names, n_names, f, err);
    }
    if (s != HF_OK) {
        cJSON_Delete(*root);
        *root = NULL;
        st_index_names_free(*names, *n_names);
        *names = NULL;
        *n_names = 0;
    }
    return s;
}

void st_index_names_free(char **names, size_t n) { list_free(names, n); }

static hf_status shards_from_index(const char *index_path, cJSON **weight_map_root, char ***names, size_t *n,
                                   hf_err *err) {
    char *text = NULL;
    size_t len = 0;
    hf_status s = hf_read_file(index_path, &text, &len, err);
    if (s != HF_OK) return s;
    s = st_index_parse(text, len, index_path, weight_map_root, names, n, err);
    free(text);
    return s;
}

/* Without an index: every model*.safetensors file, as llama.cpp's get_model_part_names. */
static hf_status shards_from_listing(const char *dir, char ***names, size_t *n, hf_err *err) {
    DIR *d = opendir(dir);
    if (!d) return hf_fail(err, HF_ERR_IO, "%s: cannot open model directory", dir);
    struct dirent *de;
    hf_status s = HF_OK;
    while (s == HF_OK && (de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len >= 5 + 12 && !strncmp(de->d_name, "model", 5) && !strcmp(de->d_name + len - 12, ".safetensors"))
            s = list_add_unique(names, n, de->d_name, err);
    }
    closedir(d);
    return s;
}

static hf_status check_index_matches(const st_model *m, const cJSON *wm, const char *index_path, hf_err *err) {
    size_t n_index = (size_t)cJSON_GetArraySize(wm);
    const cJSON *e;
    cJSON_ArrayForEach(e, wm) {
        const st_tensor *t = st_model_find(m, e->string);
        if (!t)
            return hf_fail(err, HF_ERR_FORMAT, "%s: tensor '%s' is listed in weight_map (file %s) but missing from it",
                           index_path, e->string, e->valuestring);
    }
    if (n_index != m->n_tensors) {
        for (size_t i = 0; i < m->n_tensors; i++)
            if (!json_get(wm, m->tensors[i].name))
                return hf_fail(err, HF_ERR_FORMAT, "%s: tensor '%s' is not listed in weight_map", m->tensors[i].file,
                               m->tensors[i].name);
    }
    return HF_OK;
}

static hf_status open_shard(st_model *m, size_t i, const char *dir, const char *name, hf_err *err) {
    m->paths[i] = join_path(dir, name);
    m->n_files = i + 1; /* owned from here on, even if the mapping fails (maps[] starts zeroed) */
    if (!m->paths[i]) return hf_fail(err, HF_ERR_NOMEM, "out of memory");
    hf_status s = hf_fmap_open(&m->maps[i], m->paths[i], err);
    if (s != HF_OK) return s;
    st_tensor *t = NULL;
    size_t n = 0;
    s = st_parse(m->maps[i].data, m->maps[i].size, m->paths[i], &t, &n, err);
    if (s != HF_OK) return s;
    st_tensor *all = realloc(m->tensors, (m->n_tensors + n + 1) * sizeof *all);
    if (!all) {
        st_tensors_free(t, n);
        return hf_fail(err, HF_ERR_NOMEM, "out of memory");
    }
    m->tensors = all;
    for (size_t k = 0; k < n; k++) t[k].fd = m->maps[i].fd; /* pread reads the file that was parsed */
    memcpy(all + m->n_tensors, t, n * sizeof *t);
    m->n_tensors += n;
    free(t);
    return HF_OK;
}

static int cmp_tensor_ptr(const void *a, const void *b) {
    return strcmp((*(st_tensor *const *)a)->name, (*(st_tensor *const *)b)->name);
}

static hf_status build_lookup(st_model *m, hf_err *err) {
    m->by_name = malloc((m->n_tensors + 1) * sizeof *m->by_name);
    if (!m->by_name) return hf_fail(err, HF_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < m->n_tensors; i++) m->by_name[i] = &m->tensors[i];
    qsort(m->by_name, m->n_tensors, sizeof *m->by_name, cmp_tensor_ptr);
    for (size_t i = 1; i < m->n_tensors; i++)
        if (!strcmp(m->by_name[i]->name, m->by_name[i - 1]->name))
            return hf_fail(err, HF_ERR_FORMAT, "tensor '%s' appears in both %s and %s", m->by_name[i]->name,
                           m->by_name[i - 1]->file, m->by_name[i]->file);
    return HF_OK;
}

hf_status st_model_open(st_model **out, const char *dir, hf_err *err) {
    *out = NULL;
    st_model *m = calloc(1, sizeof *m);
    if (!m) return hf_fail(err, HF_ERR_NOMEM, "out of memory");
    char **names = NULL;
    size_t n_names = 0;
    cJSON *index = NULL;
    char *index_path = join_path(dir, "model.safetensors.index.json");
    struct stat st;
    hf_status s = index_path ? HF_OK : hf_fail(err, HF_ERR_NOMEM, "out of memory");
    int have_index = s == HF_OK && stat(index_path, &st) == 0;
    if (s == HF_OK)
        s = have_index ? shards_from_index(index_path, &index, &names, &n_names, err)
                       : shards_from_listing(dir, &names, &n_names, err);
    if (s == HF_OK && n_names == 0)
        s = hf_fail(err, HF_ERR_IO, "%s: no model*.safetensors file (only safetensors checkpoints are supported)",
                    dir);
    if (s == HF_OK) {
        qsort(names, n_names, sizeof *names, cmp_str);
        m->paths = calloc(n_names, sizeof *m->paths);
        m->maps = calloc(n_names, sizeof *m->maps);
        if (!m->paths || !m->maps) s = hf_fail(err, HF_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; s == HF_OK && i < n_names; i++) s = open_shard(m, i, dir, names[i], err);
    if (s == HF_OK) s = build_lookup(m, err);
    if (s == HF_OK && have_index) s = check_index_matches(m, json_get(index, "weight_map"), index_path, err);
    list_free(names, n_names);
    cJSON_Delete(index);
    free(index_path);
    if (s != HF_OK) {
        st_model_close(m);
        return s;
    }
    *out = m;
    return HF_OK;
}

size_t st_model_n_tensors(const st_model *m) { return m->n_tensors; }
const st_tensor *st_model_tensor(const st_model *m, size_t i) { return i < m->n_tensors ? &m->tensors[i] : NULL; }
size_t st_model_n_files(const st_model *m) { return m->n_files; }

const st_tensor *st_model_find(const st_model *m, const char *name) {
    size_t lo = 0, hi = m->n_tensors;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->by_name[mid]->name, name);
        if (c == 0) return m->by_name[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

static inline void bf16_bits_to_f32(const uint8_t *src, float *dst) {
    uint16_t h;
    memcpy(&h, src, 2);
    const uint32_t u = (uint32_t)h << 16;
    memcpy(dst, &u, 4);
}

void st_read_f32(const st_tensor *t, int64_t first, int64_t n, float *dst) {
    float (*cvt)(uint16_t) = DTYPES[t->dtype].half_to_f32;
    if (!cvt) {
        memcpy(dst, t->data + (size_t)first * 4, (size_t)n * 4);
        return;
    }
    const uint8_t *src = t->data + (size_t)first * 2;
    if (t->dtype == ST_BF16) {
        /* The common checkpoint dtype: a shift. 8 at a time with SSE2 (part of every x86-64;
         * interleaving zero halves below each value is the shift), which the compilers do not
         * find themselves at -O2; then the tail. */
        const uint8_t *in = src;
        float *out = dst;
        int64_t i = 0;
#if defined(__SSE2__)
        const __m128i zero = _mm_setzero_si128();
        for (; i + 8 <= n; i += 8) {
            const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(in + (size_t)i * 2));
            _mm_storeu_si128((__m128i *)(void *)(out + i), _mm_unpacklo_epi16(zero, v));
            _mm_storeu_si128((__m128i *)(void *)(out + i + 4), _mm_unpackhi_epi16(zero, v));
        }
#endif
        for (; i < n; i++) bf16_bits_to_f32(in + (size_t)i * 2, &out[i]);
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        uint16_t h;
        memcpy(&h, src + (size_t)i * 2, 2);
        dst[i] = cvt(h);
    }
}
