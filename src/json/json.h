/* json: thin typed helpers over cJSON for the JSON files hf2gguf reads
 * (config.json, generation_config.json, tokenizer_config.json, safetensors
 * headers and shard indexes).
 *
 * Every getter names the file (the `src` given at parse time) and the key in
 * its error message, and says what type was expected and what was found.
 * Getters never fail on a missing key when the caller asked for an optional
 * value (the *_opt forms return 0 for "absent" and 1 for "present"). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/status.h"

/* Parses len bytes (not necessarily NUL-terminated) into a tree; `src` names
 * the input in messages (e.g. a path). Caller frees with cJSON_Delete. */
hf_status json_parse(cJSON **out, const char *text, size_t len, const char *src, hf_err *err);
/* Reads and parses a whole file; the top level must be an object. */
hf_status json_load_object(cJSON **out, const char *path, hf_err *err);

/* Short name of a node's type for messages ("number", "string", "object", ...). */
const char *json_type_name(const cJSON *v);

/* Member lookup (case-sensitive; NULL when obj is not an object or key absent). */
const cJSON *json_get(const cJSON *obj, const char *key);
/* The first member of `keys` (NULL-terminated list) present in obj, or NULL;
 * *which gets its key (may be NULL). Mirrors llama.cpp's find_hparam. */
const cJSON *json_first(const cJSON *obj, const char *const *keys, const char **which);

/* Is v a JSON number holding an integer value (no fraction, fits int64)? */
int json_is_integer(const cJSON *v);

/* Required getters: fail with "<src>: key '<key>': expected <type>, found <type>"
 * or "<src>: missing key '<key>'". */
hf_status json_req_int(const cJSON *obj, const char *key, const char *src, int64_t *out, hf_err *err);
hf_status json_req_str(const cJSON *obj, const char *key, const char *src, const char **out, hf_err *err);

/* Optional getters: 0 when absent or null, 1 when present with the right type,
 * negative status (as -(int)code) after filling err when present with a wrong type. */
int json_opt_int(const cJSON *obj, const char *key, const char *src, int64_t *out, hf_err *err);
int json_opt_num(const cJSON *obj, const char *key, const char *src, double *out, hf_err *err);
int json_opt_bool(const cJSON *obj, const char *key, const char *src, int *out, hf_err *err);
int json_opt_str(const cJSON *obj, const char *key, const char *src, const char **out, hf_err *err);
