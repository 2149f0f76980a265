/* gguf_get: typed getters and numeric views of KV values. The file was validated at open, so
 * the only failures here are a missing key, a type mismatch or a value out of range. */
#include "gguf/gguf.h"
#include "gguf/gguf_internal.h"

#include <string.h>

/* A scalar of an integer value type at p, widened; returns 0 for non-integer types. */
static int read_int(gguf_vtype t, const uint8_t *p, int64_t *sv, uint64_t *uv, int *is_signed) {
    gguf_scalar v;
    if (t == GGUF_T_FLOAT32 || t == GGUF_T_FLOAT64 || t == GGUF_T_BOOL || !gguf_load_scalar(t, p, &v)) return 0;
    *is_signed = 1;
    switch (t) {
    case GGUF_T_UINT8: *sv = v.u8; break;
    case GGUF_T_INT8: *sv = v.i8; break;
    case GGUF_T_UINT16: *sv = v.u16; break;
    case GGUF_T_INT16: *sv = v.i16; break;
    case GGUF_T_UINT32: *sv = v.u32; break;
    case GGUF_T_INT32: *sv = v.i32; break;
    case GGUF_T_INT64: *sv = v.i64; break;
    default: *is_signed = 0; *uv = v.u64; break; /* UINT64 */
    }
    return 1;
}

static double elem_num(gguf_vtype t, const uint8_t *p) {
    int64_t sv = 0;
    uint64_t uv = 0;
    int is_signed = 0;
    if (read_int(t, p, &sv, &uv, &is_signed)) return is_signed ? (double)sv : (double)uv;
    if (t == GGUF_T_FLOAT32) {
        float f;
        memcpy(&f, p, 4);
        return f;
    }
    if (t == GGUF_T_FLOAT64) {
        double d;
        memcpy(&d, p, 8);
        return d;
    }
    if (t == GGUF_T_BOOL) return *p ? 1.0 : 0.0;
    return 0.0;
}

double gguf_kv_num(const gguf_kv *kv) {
    return kv->type == GGUF_T_STRING || kv->type == GGUF_T_ARRAY ? 0.0 : elem_num(kv->type, kv->data);
}

double gguf_arr_num(const gguf_kv *kv, uint64_t i) {
    if (kv->type != GGUF_T_ARRAY || i >= kv->n) return 0.0;
    size_t sz = gguf_vtype_size(kv->arr_type);
    return sz ? elem_num(kv->arr_type, kv->data + i * sz) : 0.0;
}

static hf_status find(const gguf_file *f, const char *key, const gguf_kv **kv, hf_err *err) {
    *kv = gguf_find_kv(f, key);
    if (!*kv) return hf_fail(err, HF_ERR_FORMAT, "%s: missing key '%s'", gguf_path(f), key);
    return HF_OK;
}

static hf_status wrong_type(const gguf_file *f, const gguf_kv *kv, const char *expected, hf_err *err) {
    return hf_fail(err, HF_ERR_FORMAT, "%s: key '%s' has the wrong type (expected %s, found %s)", gguf_path(f),
                   kv->key, expected, gguf_vtype_name(kv->type));
}

/* Any integer KV whose value lies in [lo, hi]. */
static hf_status get_int_range(const gguf_file *f, const char *key, int64_t lo, uint64_t hi, int64_t *s_out,
                               uint64_t *u_out, hf_err *err) {
    const gguf_kv *kv;
    hf_status s = find(f, key, &kv, err);
    if (s != HF_OK) return s;
    int64_t sv = 0;
    uint64_t uv = 0;
    int is_signed = 0;
    if (!read_int(kv->type, kv->data, &sv, &uv, &is_signed)) return wrong_type(f, kv, "an integer", err);
    int fits = is_signed ? sv >= lo && (sv < 0 || (uint64_t)sv <= hi) : uv <= hi;
    if (!fits) {
        if (is_signed)
            return hf_fail(err, HF_ERR_RANGE, "%s: key '%s' is out of range (expected %lld..%llu, found %lld)",
                           gguf_path(f), key, (long long)lo, (unsigned long long)hi, (long long)sv);
        return hf_fail(err, HF_ERR_RANGE, "%s: key '%s' is out of range (expected %lld..%llu, found %llu)",
                       gguf_path(f), key, (long long)lo, (unsigned long long)hi, (unsigned long long)uv);
    }
    *s_out = is_signed ? sv : (int64_t)uv;
    *u_out = is_signed ? (uint64_t)sv : uv;
    return HF_OK;
}

hf_status gguf_get_u32(const gguf_file *f, const char *key, uint32_t *out, hf_err *err) {
    int64_t sv = 0;
    uint64_t uv = 0;
    hf_status s = get_int_range(f, key, 0, UINT32_MAX, &sv, &uv, err);
    if (s == HF_OK) *out = (uint32_t)uv;
    return s;
}

hf_status gguf_get_i64(const gguf_file *f, const char *key, int64_t *out, hf_err *err) {
    int64_t sv = 0;
    uint64_t uv = 0;
    hf_status s = get_int_range(f, key, INT64_MIN, INT64_MAX, &sv, &uv, err);
    if (s == HF_OK) *out = sv;
    return s;
}

hf_status gguf_get_f32(const gguf_file *f, const char *key, float *out, hf_err *err) {
    const gguf_kv *kv;
    hf_status s = find(f, key, &kv, err);
    if (s != HF_OK) return s;
    if (kv->type != GGUF_T_FLOAT32 && kv->type != GGUF_T_FLOAT64) return wrong_type(f, kv, "f32", err);
    *out = (float)elem_num(kv->type, kv->data);
    return HF_OK;
}

hf_status gguf_get_bool(const gguf_file *f, const char *key, int *out, hf_err *err) {
    const gguf_kv *kv;
    hf_status s = find(f, key, &kv, err);
    if (s != HF_OK) return s;
    if (kv->type != GGUF_T_BOOL) return wrong_type(f, kv, "bool", err);
    *out = kv->data[0] != 0;
    return HF_OK;
}

hf_status gguf_get_str(const gguf_file *f, const char *key, gguf_str *out, hf_err *err) {
    const gguf_kv *kv;
    hf_status s = find(f, key, &kv, err);
    if (s != HF_OK) return s;
    if (kv->type != GGUF_T_STRING) return wrong_type(f, kv, "string", err);
    out->ptr = (const char *)kv->data;
    out->len = kv->nbytes;
    return HF_OK;
}

hf_status gguf_get_arr(const gguf_file *f, const char *key, gguf_vtype elem, const gguf_kv **out, hf_err *err) {
    const gguf_kv *kv;
    hf_status s = find(f, key, &kv, err);
    if (s != HF_OK) return s;
    if (kv->type != GGUF_T_ARRAY) return wrong_type(f, kv, "array", err);
    if (elem != GGUF_T_COUNT && kv->arr_type != elem)
        return hf_fail(err, HF_ERR_FORMAT, "%s: key '%s' has the wrong element type (expected %s[], found %s[])",
                       gguf_path(f), key, gguf_vtype_name(elem), gguf_vtype_name(kv->arr_type));
    *out = kv;
    return HF_OK;
}
