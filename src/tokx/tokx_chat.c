/* tokx_chat: chat templates, as gguf-py's SpecialVocab finds them and GGUFWriter's
 * add_chat_template writes them.
 *
 * Source: tokenizer_config.json "chat_template" when the key is present (even null), else
 * chat_template.jinja (plus additional_chat_templates/NAME.jinja as named templates), else
 * chat_template.json's "chat_template". A string is tokenizer.chat_template; a list of
 * {name, template} gives tokenizer.chat_template.NAME per entry (non-alphanumerics in NAME
 * become '_'), tokenizer.chat_templates (the names) and tokenizer.chat_template for "default".
 * llama.cpp orders the names through a Python set (arbitrary order) and the extra .jinja
 * files in directory order; we use sorted file names and first-appearance order. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmap.h"
#include "json/json.h"
#include "tokx/tokx_internal.h"

/* The whole file as an arena string. */
static hf_status read_text(tokx_ctx *c, const char *path, const char **out, uint64_t *len, hf_err *err) {
    char *buf = NULL;
    size_t n = 0;
    hf_status st = hf_read_file(path, &buf, &n, err);
    if (st != HF_OK) return st;
    *out = tokx_arena_dup(&c->arena, buf, n);
    *len = n;
    free(buf);
    return *out ? HF_OK : hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", path);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* additional_chat_templates/NAME.jinja file names, sorted; *n = 0 when there are none. */
static hf_status list_jinja(tokx_ctx *c, const char *dir, char ***names, size_t *n, hf_err *err) {
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return HF_OK;
    size_t cap = 0;
    hf_status st = HF_OK;
    for (struct dirent *e; (e = readdir(d)) != NULL && st == HF_OK;) {
        size_t len = strlen(e->d_name);
        if (len <= 6 || strcmp(e->d_name + len - 6, ".jinja")) continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            char **p = realloc(*names, cap * sizeof(*p));
            if (!p) {
                st = hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", dir);
                break;
            }
            *names = p;
        }
        (*names)[*n] = tokx_arena_dup(&c->arena, e->d_name, len);
        if (!(*names)[*n]) st = hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", dir);
        else (*n)++;
    }
    closedir(d);
    if (*n) qsort(*names, *n, sizeof(**names), cmp_str);
    return st;
}

/* chat_template.jinja (+ additional templates) as a cJSON string or list we own. */
static hf_status jinja_templates(tokx_ctx *c, const char *path, cJSON **out, hf_err *err) {
    const char *text;
    uint64_t len;
    hf_status st = read_text(c, path, &text, &len, err);
    if (st != HF_OK) return st;
    const char *dir = tokx_path(c, "additional_chat_templates");
    char **names = NULL;
    size_t n = 0;
    if (!dir) return hf_fail(err, HF_ERR_NOMEM, "tokenizer export: out of memory");
    if ((st = list_jinja(c, dir, &names, &n, err)) != HF_OK) return st;
    if (n == 0) {
        *out = cJSON_CreateString(text);
        return *out ? HF_OK : hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", path);
    }
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; list && i <= n && st == HF_OK; i++) {
        cJSON *o = cJSON_CreateObject();
        if (i > 0) {
            char *full = malloc(strlen(dir) + strlen(names[i - 1]) + 2);
            if (!full) { cJSON_Delete(o); o = NULL; break; }
            strcpy(full, dir);
            strcat(full, "/");
            strcat(full, names[i - 1]);
            st = read_text(c, full, &text, &len, err);
            free(full);
            names[i - 1][strlen(names[i - 1]) - 6] = '\0'; /* the stem */
        }
        if (!o || !cJSON_AddStringToObject(o, "name", i ? names[i - 1] : "default") ||
            !cJSON_AddStringToObject(o, "template", text)) {
            cJSON_Delete(o);
            st = st != HF_OK ? st : hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", dir);
            break;
        }
        cJSON_AddItemToArray(list, o);
    }
    free(names);
    if (!list && st == HF_OK) st = hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", dir);
    if (st != HF_OK) {
        cJSON_Delete(list);
        return st;
    }
    *out = list;
    return HF_OK;
}

/* The fallback when tokenizer_config has no chat_template key; *out may stay NULL. */
static hf_status alt_template(tokx_ctx *c, cJSON **out, hf_err *err) {
    *out = NULL;
    const char *jinja = tokx_path(c, "chat_template.jinja"), *json = tokx_path(c, "chat_template.json");
    if (!jinja || !json) return hf_fail(err, HF_ERR_NOMEM, "tokenizer export: out of memory");
    if (tokx_is_file(jinja)) return jinja_templates(c, jinja, out, err);
    if (!tokx_is_file(json)) return HF_OK;
    cJSON *j = NULL;
    hf_status st = json_load_object(&j, json, err);
    if (st != HF_OK) return st;
    cJSON *t = cJSON_DetachItemFromObjectCaseSensitive(j, "chat_template");
    cJSON_Delete(j);
    *out = t;
    return HF_OK;
}

/* Stages a copy of text (the source JSON may be freed before the flush). */
static hf_status stage_copy(tokx_ctx *c, const char *key, const char *text, hf_err *err) {
    size_t len = strlen(text);
    const char *s = tokx_arena_dup(&c->arena, text, len);
    if (!s) return hf_fail(err, HF_ERR_NOMEM, "tokenizer export: out of memory");
    return tokx_kvs_set_str(&c->kvs, key, s, len, err);
}

static hf_status stage_named(tokx_ctx *c, const cJSON *list, hf_err *err) {
    int n = cJSON_GetArraySize(list), n_names = 0;
    const char **names = (const char **)tokx_arena_alloc(&c->arena, (size_t)(n + 1) * sizeof(*names));
    uint64_t *lens = (uint64_t *)tokx_arena_alloc(&c->arena, (size_t)(n + 1) * sizeof(*lens));
    const cJSON *def = NULL;
    if (!names || !lens) return hf_fail(err, HF_ERR_NOMEM, "tokenizer export: out of memory");
    for (const cJSON *it = list->child; it; it = it->next) {
        const cJSON *name = json_get(it, "name"), *tmpl = json_get(it, "template");
        if (!cJSON_IsString(name) || !name->valuestring[0] || !tmpl || cJSON_IsNull(tmpl)) continue;
        if (!cJSON_IsString(tmpl))
            return hf_fail(err, HF_ERR_FORMAT, "%s: chat template '%s': expected a string, found %s", c->dir,
                           name->valuestring, json_type_name(tmpl));
        char *clean = tokx_arena_dup(&c->arena, name->valuestring, strlen(name->valuestring));
        if (!clean) return hf_fail(err, HF_ERR_NOMEM, "tokenizer export: out of memory");
        for (char *p = clean; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))) *p = '_';
        if (!strcmp(clean, "default")) {
            def = tmpl;
            continue;
        }
        size_t klen = strlen("tokenizer.chat_template.") + strlen(clean);
        char *key = tokx_arena_alloc(&c->arena, klen + 1);
        if (!key) return hf_fail(err, HF_ERR_NOMEM, "tokenizer export: out of memory");
        strcpy(key, "tokenizer.chat_template.");
        strcat(key, clean);
        hf_status st = stage_copy(c, key, tmpl->valuestring, err);
        if (st != HF_OK) return st;
        int seen = 0;
        for (int i = 0; i < n_names; i++) seen |= !strcmp(names[i], clean);
        if (!seen) {
            names[n_names] = clean;
            lens[n_names++] = strlen(clean);
        }
    }
    hf_status st = tokx_kvs_set_strs(&c->kvs, "tokenizer.chat_templates", names, lens, (uint64_t)n_names, err);
    if (st == HF_OK && def) st = stage_copy(c, "tokenizer.chat_template", def->valuestring, err);
    return st;
}

hf_status tokx_chat_template_stage(tokx_ctx *c, hf_err *err) {
    cJSON *owned = NULL;
    const cJSON *t = json_get(c->tok_cfg, "chat_template");
    hf_status st = HF_OK;
    if (!t) {
        if ((st = alt_template(c, &owned, err)) != HF_OK) return st;
        t = owned;
    }
    if (!t || cJSON_IsNull(t)) {
        tokx_kvs_remove(&c->kvs, "tokenizer.chat_template");
    } else if (cJSON_IsString(t)) {
        st = stage_copy(c, "tokenizer.chat_template", t->valuestring, err);
    } else if (cJSON_IsArray(t)) {
        st = stage_named(c, t, err);
    } /* any other type: SpecialVocab warns and ignores it */
    cJSON_Delete(owned);
    return st;
}
