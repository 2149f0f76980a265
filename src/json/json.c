#include "json/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmap.h"

hf_status json_parse(cJSON **out, const char *text, size_t len, const char *src, hf_err *err) {
    *out = NULL;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        size_t at = (end && end >= text && (size_t)(end - text) <= len) ? (size_t)(end - text) : 0;
        return hf_fail(err, HF_ERR_FORMAT, "%s: malformed JSON near byte %zu", src, at);
    }
    /* cJSON stops at the end of the first value; anything but whitespace after it is an error. */
    for (size_t i = (size_t)(end - text); i < len; i++) {
        char c = text[i];
        if (c == '\0' && i + 1 == len) break;
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            cJSON_Delete(root);
            return hf_fail(err, HF_ERR_FORMAT, "%s: malformed JSON: trailing data at byte %zu", src, i);
        }
    }
    *out = root;
    return HF_OK;
}

hf_status json_load_object(cJSON **out, const char *path, hf_err *err) {
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    hf_status s = hf_read_file(path, &text, &len, err);
    if (s != HF_OK) return s;
    cJSON *root = NULL;
    s = json_parse(&root, text, len, path, err);
    free(text);
    if (s != HF_OK) return s;
    if (!cJSON_IsObject(root)) {
        hf_status r = hf_fail(err, HF_ERR_FORMAT, "%s: expected a JSON object at top level, found %s", path,
                              json_type_name(root));
        cJSON_Delete(root);
        return r;
    }
    *out = root;
    return HF_OK;
}

const char *json_type_name(const cJSON *v) {
    if (!v) return "nothing";
    if (cJSON_IsNull(v)) return "null";
    if (cJSON_IsBool(v)) return "boolean";
    if (cJSON_IsNumber(v)) return "number";
    if (cJSON_IsString(v)) return "string";
    if (cJSON_IsArray(v)) return "array";
    if (cJSON_IsObject(v)) return "object";
    return "invalid";
}

const cJSON *json_get(const cJSON *obj, const char *key) {
    if (!cJSON_IsObject(obj)) return NULL;
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

const cJSON *json_first(const cJSON *obj, const char *const *keys, const char **which) {
    for (; *keys; keys++) {
        const cJSON *v = json_get(obj, *keys);
        if (v) {
            if (which) *which = *keys;
            return v;
        }
    }
    if (which) *which = NULL;
    return NULL;
}

int json_is_integer(const cJSON *v) {
    if (!cJSON_IsNumber(v)) return 0;
    double d = v->valuedouble;
    return isfinite(d) && d == floor(d) && fabs(d) < 9.2e18;
}

static hf_status wrong_type(const char *src, const char *key, const char *want, const cJSON *v, hf_err *err) {
    return hf_fail(err, HF_ERR_FORMAT, "%s: key '%s': expected %s, found %s", src, key, want, json_type_name(v));
}

hf_status json_req_int(const cJSON *obj, const char *key, const char *src, int64_t *out, hf_err *err) {
    const cJSON *v = json_get(obj, key);
    if (!v) return hf_fail(err, HF_ERR_FORMAT, "%s: missing key '%s' (expected an integer)", src, key);
    if (!json_is_integer(v)) return wrong_type(src, key, "an integer", v, err);
    *out = (int64_t)v->valuedouble;
    return HF_OK;
}

hf_status json_req_str(const cJSON *obj, const char *key, const char *src, const char **out, hf_err *err) {
    const cJSON *v = json_get(obj, key);
    if (!v) return hf_fail(err, HF_ERR_FORMAT, "%s: missing key '%s' (expected a string)", src, key);
    if (!cJSON_IsString(v)) return wrong_type(src, key, "a string", v, err);
    *out = v->valuestring;
    return HF_OK;
}

int json_opt_int(const cJSON *obj, const char *key, const char *src, int64_t *out, hf_err *err) {
    const cJSON *v = json_get(obj, key);
    if (!v || cJSON_IsNull(v)) return 0;
    if (!json_is_integer(v)) return -(int)wrong_type(src, key, "an integer", v, err);
    *out = (int64_t)v->valuedouble;
    return 1;
}

int json_opt_num(const cJSON *obj, const char *key, const char *src, double *out, hf_err *err) {
    const cJSON *v = json_get(obj, key);
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsNumber(v)) return -(int)wrong_type(src, key, "a number", v, err);
    *out = v->valuedouble;
    return 1;
}

int json_opt_bool(const cJSON *obj, const char *key, const char *src, int *out, hf_err *err) {
    const cJSON *v = json_get(obj, key);
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsBool(v)) return -(int)wrong_type(src, key, "a boolean", v, err);
    *out = cJSON_IsTrue(v);
    return 1;
}

int json_opt_str(const cJSON *obj, const char *key, const char *src, const char **out, hf_err *err) {
    const cJSON *v = json_get(obj, key);
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsString(v)) return -(int)wrong_type(src, key, "a string", v, err);
    *out = v->valuestring;
    return 1;
}
