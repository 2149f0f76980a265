/* conv_meta: the general.* metadata llama.cpp's converter derives without an
 * override file (gguf-py Metadata.load): the README.md model card's front
 * matter (conv_card.c) first, then name, organization, basename, finetune,
 * version and size label from config "_name_or_path" and the model directory's
 * name, general.sampling.* from generation_config.json, and the default output
 * file name.
 *
 * The heuristics below follow get_model_id_components / id_to_title; the
 * regular expressions are theirs, run through PCRE2 with Unicode classes. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "convert/conv_internal.h"
#include "json/json.h"

/* ==== small string helpers ==== */

#define MAX_PARTS 64

int conv_fullmatch(const char *pattern, const char *s, int caseless) {
    int ec;
    PCRE2_SIZE eo;
    uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED | PCRE2_ENDANCHORED | (caseless ? PCRE2_CASELESS : 0);
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts, &ec, &eo, NULL);
    if (!re) return 0;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    int rc = md ? pcre2_match(re, (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0, 0, md, NULL) : -1;
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return rc >= 0;
}

static int full_match(const char *pattern, const char *s) { return conv_fullmatch(pattern, s, 1); }

static int is_all_lower(const char *w) { /* Python str.islower on ASCII */
    int cased = 0;
    for (; *w; w++) {
        if (isupper((unsigned char)*w)) return 0;
        if (islower((unsigned char)*w)) cased = 1;
    }
    return cased;
}

static void title_case(char *w) { /* Python str.title on ASCII */
    int prev_cased = 0;
    for (; *w; w++) {
        unsigned char c = (unsigned char)*w;
        if (isalpha(c)) {
            *w = (char)(prev_cased ? tolower(c) : toupper(c));
            prev_cased = 1;
        } else {
            prev_cased = 0;
        }
    }
}

static int has_digit(const char *s) {
    for (; *s; s++)
        if (isdigit((unsigned char)*s)) return 1;
    return 0;
}

static int all_alpha(const char *s) {
    if (!*s) return 0;
    for (; *s; s++)
        if (!isalpha((unsigned char)*s)) return 0;
    return 1;
}

/* id_to_title: '-' -> ' ', words split on whitespace; lowercase words that are
 * not version-like or digit-led get title case. Returns malloc'd text. */
static char *id_to_title(const char *id) {
    size_t n = strlen(id);
    char *tmp = strdup(id), *out = malloc(n + 1);
    if (!tmp || !out) {
        free(tmp);
        free(out);
        return NULL;
    }
    for (char *p = tmp; *p; p++)
        if (*p == '-') *p = ' ';
    size_t o = 0;
    char *save = NULL;
    for (char *w = strtok_r(tmp, " \t\n\r\f\v", &save); w; w = strtok_r(NULL, " \t\n\r\f\v", &save)) {
        /* re.match(r'^(v\d+(?:\.\d+)*|\d.*)$'): case-sensitive, whole word. */
        int versionish = conv_fullmatch("v\\d+(?:\\.\\d+)*|\\d.*", w, 0);
        if (is_all_lower(w) && !versionish) title_case(w);
        if (o) out[o++] = ' ';
        size_t l = strlen(w);
        memcpy(out + o, w, l);
        o += l;
    }
    out[o] = '\0';
    free(tmp);
    return out;
}

/* ==== get_model_id_components ==== */

enum { T_BASENAME = 1, T_SIZE = 2, T_FINETUNE = 4, T_VERSION = 8, T_TYPE = 16 };

typedef struct id_parts {
    char *full, *org, *basename, *finetune, *version, *size_label;
} id_parts;

static void id_parts_free(id_parts *p) {
    free(p->full);
    free(p->org);
    free(p->basename);
    free(p->finetune);
    free(p->version);
    free(p->size_label);
    memset(p, 0, sizeof *p);
}

/* Normalises a size part ("7b1" -> "7.1B", "1_5b" -> "1.5B") and decides whether it
 * is a size label or (when far from the real parameter count) a finetune like "32k". */
static unsigned classify_size(char *part, int64_t total_params) {
    for (char *c = part; *c; c++)
        if (*c == '_') *c = '.';
    size_t n = strlen(part);
    if (n >= 2 && isdigit((unsigned char)part[n - 1])) {
        char last = part[n - 1], prev = part[n - 2];
        part[n - 2] = '.';
        part[n - 1] = last;
        part[n] = prev;
        part[n + 1] = '\0';
        n++;
    }
    if (n > 1 && isdigit((unsigned char)part[n - 2]) && strchr("kmbt", part[n - 1]))
        part[n - 1] = (char)toupper((unsigned char)part[n - 1]);
    unsigned types = 0;
    if (total_params != 0 && n > 1) {
        char num[64];
        char *end = NULL;
        if (n - 1 < sizeof num) {
            memcpy(num, part, n - 1);
            num[n - 1] = '\0';
            double v = strtod(num, &end);
            const char *scales = " KMBT";
            const char *at = strchr(scales, part[n - 1]);
            if (end && *end == '\0' && end != num) {
                double label = v * pow(1000.0, at ? (double)(at - scales) : -1.0);
                if (!at) label = v * (1.0 / 1000.0); /* Python: find() == -1 gives 1000**-1 */
                int64_t tp = total_params;
                int far = (tp < 0 && label < (double)(-tp / 8)) ||
                          (tp > 0 && fabs(label - (double)tp) > (double)((7 * tp) / 8));
                if (far) {
                    types |= T_FINETUNE;
                    part[n - 1] = (char)tolower((unsigned char)part[n - 1]);
                }
            }
        }
    }
    if (!types) types |= T_SIZE;
    return types;
}

/* Joins the parts whose type has `bit` with '-' (dedup for size labels); NULL when none. */
static char *join_typed(char **parts, const unsigned *types, int n, unsigned bit, unsigned exclude, int dedup) {
    size_t cap = 1;
    for (int i = 0; i < n; i++) cap += strlen(parts[i]) + 1;
    char *out = malloc(cap);
    if (!out) return NULL;
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        if (!(types[i] & bit) || (types[i] & exclude)) continue;
        int dup = 0;
        for (int j = 0; dedup && j < i; j++)
            if ((types[j] & bit) && !strcmp(parts[j], parts[i])) dup = 1;
        if (dup) continue;
        if (o) out[o++] = '-';
        size_t l = strlen(parts[i]);
        memcpy(out + o, parts[i], l);
        o += l;
    }
    out[o] = '\0';
    if (!o) {
        free(out);
        return NULL;
    }
    return out;
}

static unsigned annotate_part(char *part, int i, int64_t total_params) {
    if (full_match("(v|iter)?\\d+([.]\\d+)*", part)) return T_VERSION;
    if (full_match("i?q\\d(_\\w)*|b?fp?(16|32)", part)) {
        for (char *c = part; *c; c++) *c = (char)toupper((unsigned char)*c);
        return T_TYPE;
    }
    if (i > 0 && full_match("(([A]|\\d+[x])?\\d+([._]\\d+)?[KMBT][\\d]?|small|mini|medium|large|x?xl)", part))
        return classify_size(part, total_params);
    if (i > 0 && full_match("chat|instruct|vision|lora", part))
        return (total_params < 0 && !strcasecmp(part, "lora")) ? T_TYPE : T_FINETUNE;
    return 0;
}

static void find_basename(char **parts, unsigned *types, int n) {
    int any_numeric_size = 0;
    for (int i = 0; i < n; i++)
        if ((types[i] & T_SIZE) && has_digit(parts[i])) any_numeric_size = 1;
    if (any_numeric_size)
        for (int i = 0; i < n; i++)
            if ((types[i] & T_SIZE) && all_alpha(parts[i])) types[i] &= ~(unsigned)T_SIZE;
    int at_start = 1;
    for (int i = 0; i < n; i++) {
        if (at_start && ((types[i] == 0 && isalpha((unsigned char)parts[i][0])) || (types[i] & T_VERSION))) {
            types[i] |= T_BASENAME;
        } else {
            at_start = 0;
            if (types[i] == 0) types[i] |= T_FINETUNE;
        }
    }
    /* A trailing version is not part of the basename. */
    for (int i = n - 1; i >= 0; i--) {
        if ((types[i] & T_BASENAME) && types[i] != T_BASENAME) types[i] &= ~(unsigned)T_BASENAME;
        else break;
    }
}

static int model_id_components(const char *model_id, int64_t total_params, id_parts *out) {
    memset(out, 0, sizeof *out);
    if (strchr(model_id, ' ')) return (out->full = strdup(model_id)) != NULL;
    const char *slash = strchr(model_id, '/');
    const char *name = slash ? slash + 1 : model_id;
    /* Python: an org starting with '.' is dropped; an empty org ("/name") stays "". */
    if (slash && !(slash != model_id && model_id[0] == '.')) out->org = strndup(model_id, (size_t)(slash - model_id));
    out->full = strdup(name);
    /* Each part gets 2 spare bytes for the "7b1" -> "7.1B" rewrite. */
    char *parts[MAX_PARTS];
    unsigned types[MAX_PARTS] = {0};
    int n = 0;
    char *copy = strdup(name), *save = NULL;
    if (!copy || !out->full) {
        free(copy);
        return 0;
    }
    for (char *p = strtok_r(copy, "-", &save); p && n < MAX_PARTS; p = strtok_r(NULL, "-", &save)) {
        size_t l = strlen(p);
        parts[n] = malloc(l + 3);
        if (!parts[n]) break;
        memcpy(parts[n], p, l + 1);
        n++;
    }
    for (int i = 0; i < n; i++) types[i] = annotate_part(parts[i], i, total_params);
    find_basename(parts, types, n);
    out->basename = join_typed(parts, types, n, T_BASENAME, 0, 0);
    out->size_label = join_typed(parts, types, n, T_SIZE, 0, 1);
    out->finetune = join_typed(parts, types, n, T_FINETUNE, 0, 0);
    out->version = join_typed(parts, types, n, T_VERSION, T_BASENAME, 0);
    if (!out->size_label && !out->finetune && !out->version) {
        free(out->basename);
        out->basename = NULL;
    }
    for (int i = 0; i < n; i++) free(parts[i]);
    free(copy);
    return 1;
}

/* Sets each still-empty field of m from one model id (Metadata.apply_metadata_heuristic). */
static hf_status apply_id(conv_meta *m, const char *model_id, int64_t total_params, hf_err *err) {
    id_parts p;
    if (!model_id_components(model_id, total_params, &p)) {
        id_parts_free(&p);
        return hf_fail(err, HF_ERR_NOMEM, "out of memory");
    }
    if (!m->name && p.full) m->name = id_to_title(p.full);
    if (!m->organization && p.org) m->organization = id_to_title(p.org);
#define TAKE(field)                  \
    if (!m->field && p.field) {      \
        m->field = p.field;          \
        p.field = NULL;              \
    }
    TAKE(basename)
    TAKE(finetune)
    TAKE(version)
    TAKE(size_label)
#undef TAKE
    id_parts_free(&p);
    return HF_OK;
}

/* ==== model card (Metadata.apply_metadata_heuristic, model card part) ==== */

/* A card value used where gguf-py expects a string: a string is taken; a falsy
 * value (false, 0, empty list) is set but never written (add_string skips it);
 * null leaves the field unset; anything else makes gguf-py fail when writing. */
static hf_status card_string(const conv_meta *m, const char *key, const card_val *v, char **out, hf_err *err) {
    if (!v || v->type == CARD_NULL) return HF_OK;
    if (v->type == CARD_STR) {
        if (strlen(v->text) != v->len)
            return hf_fail(err, HF_ERR_UNSUPPORTED, "%s: line %zu: key '%s': string contains a NUL character",
                           m->card_path, v->line, key);
        *out = strdup(v->text);
    } else if (!conv_card_truthy(v)) {
        *out = strdup("");
    } else {
        return hf_fail(err, HF_ERR_FORMAT, "%s: line %zu: key '%s': expected a string, found %s", m->card_path,
                       v->line, key, conv_card_type_name(v));
    }
    return *out ? HF_OK : hf_fail(err, HF_ERR_NOMEM, "out of memory");
}

/* use_model_card_metadata: sets an unset field from the card key. */
static hf_status card_take(conv_meta *m, char **field, const char *key, hf_err *err) {
    if (*field) return HF_OK;
    return card_string(m, key, conv_card_get(m->card, key), field, err);
}

/* license may be a list, joined with ','. */
static hf_status card_license(conv_meta *m, hf_err *err) {
    const card_val *v = conv_card_get(m->card, "license");
    if (!v || v->type != CARD_SEQ) return card_take(m, &m->license, "license", err);
    size_t total = 1;
    for (size_t i = 0; i < v->n; i++) {
        if (v->items[i]->type != CARD_STR)
            return hf_fail(err, HF_ERR_FORMAT, "%s: line %zu: key 'license': list item %zu: expected a string, found %s",
                           m->card_path, v->items[i]->line, i, conv_card_type_name(v->items[i]));
        total += v->items[i]->len + 1;
    }
    char *out = malloc(total);
    if (!out) return hf_fail(err, HF_ERR_NOMEM, "out of memory");
    size_t o = 0;
    for (size_t i = 0; i < v->n; i++) {
        if (i) out[o++] = ',';
        memcpy(out + o, v->items[i]->text, v->items[i]->len);
        o += v->items[i]->len;
    }
    out[o] = '\0';
    m->license = out;
    return HF_OK;
}

/* use_array_model_card_metadata: appends a string or a list's items. */
static hf_status card_array(conv_meta *m, const card_val ***arr, size_t *n, const char *key, hf_err *err) {
    const card_val *v = conv_card_get(m->card, key);
    if (!v || v->type == CARD_NULL) return HF_OK;
    size_t add = v->type == CARD_STR ? 1 : v->type == CARD_SEQ ? v->n : 0;
    if (!add) return HF_OK;
    const card_val **a = realloc(*arr, (*n + add) * sizeof *a);
    if (!a) return hf_fail(err, HF_ERR_NOMEM, "out of memory");
    *arr = a;
    if (v->type == CARD_STR) a[(*n)++] = v;
    else
        for (size_t i = 0; i < v->n; i++) a[(*n)++] = v->items[i];
    return HF_OK;
}

static int full_match_group1(const char *pattern, const char *s, char **group) {
    int ec;
    PCRE2_SIZE eo;
    *group = NULL;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_ANCHORED, &ec, &eo, NULL);
    if (!re) return 0;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    int rc = md ? pcre2_match(re, (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0, 0, md, NULL) : -1;
    if (rc >= 2) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        *group = strndup(s + ov[2], ov[3] - ov[2]);
    }
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return *group != NULL;
}

/* One base model / dataset given as a string: a URL or a Hugging Face id. */
static hf_status src_from_id(conv_meta_src *e, const char *id, int64_t total_params, hf_err *err) {
    id_parts p;
    int ok = 1;
    if (!strncmp(id, "http://", 7) || !strncmp(id, "https://", 8) || !strncmp(id, "ssh://", 6)) {
        ok = (e->f[CONV_SRC_REPO_URL] = strdup(id)) != NULL;
        char *hf_id = NULL;
        if (ok && strstr(id, "huggingface.co") && full_match_group1("https?://huggingface.co/([^/]+/[^/]+)$", id, &hf_id)) {
            ok = model_id_components(hf_id, total_params, &p);
            if (ok && p.full) ok = (e->f[CONV_SRC_NAME] = id_to_title(p.full)) != NULL;
            if (ok && p.org) ok = (e->f[CONV_SRC_ORGANIZATION] = id_to_title(p.org)) != NULL;
            if (ok && p.version) ok = (e->f[CONV_SRC_VERSION] = strdup(p.version)) != NULL;
            id_parts_free(&p);
        }
        free(hf_id);
    } else {
        ok = model_id_components(id, total_params, &p);
        if (ok && p.full) ok = (e->f[CONV_SRC_NAME] = id_to_title(p.full)) != NULL;
        if (ok && p.org) ok = (e->f[CONV_SRC_ORGANIZATION] = id_to_title(p.org)) != NULL;
        if (ok && p.version) ok = (e->f[CONV_SRC_VERSION] = strdup(p.version)) != NULL;
        if (ok && p.org && p.full) {
            size_t n = strlen(p.org) + strlen(p.full) + 32;
            ok = (e->f[CONV_SRC_REPO_URL] = malloc(n)) != NULL;
            if (ok) snprintf(e->f[CONV_SRC_REPO_URL], n, "https://huggingface.co/%s/%s", p.org, p.full);
        }
        id_parts_free(&p);
    }
    return ok ? HF_OK : hf_fail(err, HF_ERR_NOMEM, "out of memory");
}

static const char *const SRC_KEYS[CONV_SRC_N] = {"name", "author", "version", "organization", "description",
                                                  "url",  "doi",    "uuid",    "repo_url"};

/* base_model / datasets: keys in gguf-py's order of preference; entries are ids,
 * URLs or mappings; anything else gives an empty entry (gguf-py logs an error). */
static hf_status card_sources(conv_meta *m, const char *const keys[3], conv_meta_src **out, size_t *n, int *has,
                              int64_t total_params, hf_err *err) {
    const card_val *v = NULL;
    const char *key = NULL;
    for (int k = 0; k < 3 && !key; k++)
        if (conv_card_get(m->card, keys[k])) key = keys[k]; /* NULL only when absent; null is CARD_NULL */
    if (!key) return HF_OK;
    v = conv_card_get(m->card, key);
    *has = 1;
    size_t cnt = v->type == CARD_STR ? 1 : v->type == CARD_SEQ ? v->n : 0;
    if (!cnt) return HF_OK;
    *out = calloc(cnt, sizeof **out);
    if (!*out) return hf_fail(err, HF_ERR_NOMEM, "out of memory");
    *n = cnt;
    for (size_t i = 0; i < cnt; i++) {
        const card_val *it = v->type == CARD_STR ? v : v->items[i];
        conv_meta_src *e = &(*out)[i];
        hf_status s = HF_OK;
        if (it->type == CARD_STR) {
            if (strlen(it->text) != it->len)
                return hf_fail(err, HF_ERR_UNSUPPORTED, "%s: line %zu: key '%s': string contains a NUL character",
                               m->card_path, it->line, key);
            s = src_from_id(e, it->text, total_params, err);
        } else if (it->type == CARD_MAP) {
            for (int f = 0; f < CONV_SRC_N && s == HF_OK; f++) {
                char what[128];
                snprintf(what, sizeof what, "%s[%zu].%s", key, i, SRC_KEYS[f]);
                const card_val *fv = conv_card_get(it, SRC_KEYS[f]);
                /* "name" in entry with a null value: add_string(None) writes nothing. */
                s = card_string(m, what, fv, &e->f[f], err);
            }
        }
        if (s != HF_OK) return s;
    }
    return HF_OK;
}

static hf_status apply_card(conv_meta *m, int64_t total_params, hf_err *err) {
    static const struct {
        size_t off;
        const char *key;
    } TAKE[] = {
#define F(field, key) {offsetof(conv_meta, field), key}
        /* llama.cpp's own convention */
        F(name, "name"), F(author, "author"), F(version, "version"), F(organization, "organization"),
        F(description, "description"), F(finetune, "finetune"), F(basename, "basename"), F(size_label, "size_label"),
        F(source_url, "url"), F(source_doi, "doi"), F(source_uuid, "uuid"), F(source_repo_url, "repo_url"),
        /* the same with model_ prefixes */
        F(name, "model_name"), F(author, "model_author"), F(version, "model_version"),
        F(organization, "model_organization"), F(description, "model_description"), F(finetune, "model_finetune"),
        F(basename, "model_basename"), F(size_label, "model_size_label"), F(source_url, "model_url"),
        F(source_doi, "model_doi"), F(source_uuid, "model_uuid"), F(source_repo_url, "model_repo_url"),
        /* seen in the wild (TheBloke) */
        F(author, "model_creator"), F(basename, "model_type"),
#undef F
    };
    hf_status s = HF_OK;
    for (size_t i = 0; i < sizeof TAKE / sizeof TAKE[0] && s == HF_OK; i++)
        s = card_take(m, (char **)((char *)m + TAKE[i].off), TAKE[i].key, err);
    static const char *const BASE_KEYS[3] = {"base_model", "base_models", "base_model_sources"};
    static const char *const DATA_KEYS[3] = {"datasets", "dataset", "dataset_sources"};
    if (s == HF_OK) s = card_sources(m, BASE_KEYS, &m->base_models, &m->n_base_models, &m->has_base_models, total_params, err);
    if (s == HF_OK) s = card_sources(m, DATA_KEYS, &m->datasets, &m->n_datasets, &m->has_datasets, total_params, err);
    if (s == HF_OK) s = card_license(m, err);
    if (s == HF_OK) s = card_take(m, &m->license_name, "license_name", err);
    if (s == HF_OK) s = card_take(m, &m->license_link, "license_link", err);
    if (s == HF_OK) s = card_array(m, &m->tags, &m->n_tags, "tags", err);
    if (s == HF_OK) s = card_array(m, &m->tags, &m->n_tags, "pipeline_tag", err);
    if (s == HF_OK) s = card_array(m, &m->languages, &m->n_languages, "languages", err);
    if (s == HF_OK) s = card_array(m, &m->languages, &m->n_languages, "language", err);
    return s;
}

/* pathlib's Path(dir).name: the last component after dropping trailing "/" and "/."
 * ("." alone has the empty name). */
static const char *dir_basename(const char *dir, char *buf, size_t cap) {
    size_t n = strlen(dir);
    for (;;) {
        if (n > 1 && dir[n - 1] == '/') n--;
        else if (n > 1 && dir[n - 1] == '.' && dir[n - 2] == '/') n -= 2;
        else break;
    }
    if (n == 1 && dir[0] == '.') n = 0;
    size_t s = n;
    while (s > 0 && dir[s - 1] != '/') s--;
    size_t len = n - s < cap - 1 ? n - s : cap - 1;
    memcpy(buf, dir + s, len);
    buf[len] = '\0';
    return buf;
}

hf_status conv_meta_load(conv_meta *m, const char *model_dir, const cJSON *cfg, int64_t total_params, hf_err *err) {
    memset(m, 0, sizeof *m);
    hf_status s = conv_card_load(model_dir, &m->card, m->card_path, sizeof m->card_path, err);
    if (s == HF_OK && m->card) s = apply_card(m, total_params, err);
    const cJSON *nop = json_get(cfg, "_name_or_path");
    if (s == HF_OK && cJSON_IsString(nop)) {
        int slashes = 0;
        for (const char *c = nop->valuestring; *c; c++) slashes += *c == '/';
        if (slashes <= 1) s = apply_id(m, nop->valuestring, total_params, err);
    }
    char base[PATH_MAX];
    if (s == HF_OK) s = apply_id(m, dir_basename(model_dir, base, sizeof base), total_params, err);
    if (s == HF_OK && !m->name) m->name = strdup(base);
    if (s == HF_OK && !m->size_label && total_params > 0) {
        char label[32];
        conv_size_label(total_params, label, sizeof label);
        m->size_label = strdup(label);
    }
    /* Like llama.cpp, an unreadable generation_config.json is ignored. */
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/generation_config.json", model_dir);
    struct stat st;
    if (s == HF_OK && stat(path, &st) == 0) {
        hf_err ignored;
        if (json_load_object(&m->gen_config, path, &ignored) != HF_OK) m->gen_config = NULL;
    }
    return s;
}

void conv_meta_free(conv_meta *m) {
    free(m->name);
    free(m->organization);
    free(m->basename);
    free(m->finetune);
    free(m->version);
    free(m->size_label);
    char **strs[] = {&m->author, &m->description, &m->license, &m->license_name, &m->license_link,
                     &m->source_url, &m->source_doi, &m->source_uuid, &m->source_repo_url};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) free(*strs[i]);
    for (size_t i = 0; i < m->n_base_models; i++)
        for (int f = 0; f < CONV_SRC_N; f++) free(m->base_models[i].f[f]);
    for (size_t i = 0; i < m->n_datasets; i++)
        for (int f = 0; f < CONV_SRC_N; f++) free(m->datasets[i].f[f]);
    free(m->base_models);
    free(m->datasets);
    free(m->tags);
    free(m->languages);
    conv_card_free(m->card);
    cJSON_Delete(m->gen_config);
    memset(m, 0, sizeof *m);
}

/* ==== writing ==== */

typedef enum samp_kind { SAMP_STR, SAMP_I32, SAMP_F32 } samp_kind;

/* generation_config.json keys -> general.sampling.*, in llama.cpp's write order. */
static const struct {
    const char *cfg_key, *alt_key, *gguf_key;
    samp_kind kind;
} SAMPLING[] = {
    {"sequence", NULL, "general.sampling.sequence", SAMP_STR},
    {"top_k", NULL, "general.sampling.top_k", SAMP_I32},
    {"top_p", NULL, "general.sampling.top_p", SAMP_F32},
    {"min_p", NULL, "general.sampling.min_p", SAMP_F32},
    {"xtc_probability", NULL, "general.sampling.xtc_probability", SAMP_F32},
    {"xtc_threshold", NULL, "general.sampling.xtc_threshold", SAMP_F32},
    {"temperature", NULL, "general.sampling.temp", SAMP_F32},
    {"penalty_last_n", NULL, "general.sampling.penalty_last_n", SAMP_I32},
    {"penalty_repeat", "repetition_penalty", "general.sampling.penalty_repeat", SAMP_F32},
    {"mirostat", NULL, "general.sampling.mirostat", SAMP_I32},
    {"mirostat_tau", NULL, "general.sampling.mirostat_tau", SAMP_F32},
    {"mirostat_eta", NULL, "general.sampling.mirostat_eta", SAMP_F32},
};

static hf_status write_sampling(gguf_writer *w, const cJSON *gen, hf_err *err) {
    for (size_t i = 0; gen && i < sizeof SAMPLING / sizeof SAMPLING[0]; i++) {
        const cJSON *v = json_get(gen, SAMPLING[i].cfg_key);
        if (!v && SAMPLING[i].alt_key) v = json_get(gen, SAMPLING[i].alt_key);
        if (!v || cJSON_IsNull(v)) continue;
        hf_status s = HF_OK;
        int ok = SAMPLING[i].kind == SAMP_STR ? cJSON_IsString(v)
                 : SAMPLING[i].kind == SAMP_I32 ? json_is_integer(v) && fabs(v->valuedouble) < 2147483648.0
                                                 : cJSON_IsNumber(v);
        if (!ok)
            return hf_fail(err, HF_ERR_FORMAT, "generation_config.json: key '%s': expected %s, found %s",
                           SAMPLING[i].cfg_key,
                           SAMPLING[i].kind == SAMP_STR ? "a string" : SAMPLING[i].kind == SAMP_I32 ? "an integer" : "a number",
                           json_type_name(v));
        switch (SAMPLING[i].kind) {
        case SAMP_STR: s = gguf_w_add_str(w, SAMPLING[i].gguf_key, v->valuestring, err); break;
        case SAMP_I32: s = gguf_w_add_i32(w, SAMPLING[i].gguf_key, (int32_t)v->valuedouble, err); break;
        case SAMP_F32: s = gguf_w_add_f32(w, SAMPLING[i].gguf_key, (float)v->valuedouble, err); break;
        }
        if (s != HF_OK) return s;
    }
    return HF_OK;
}

/* add_string: nothing for an unset or empty value. */
static hf_status put_str(gguf_writer *w, const char *key, const char *v, hf_err *err) {
    return v && *v ? gguf_w_add_str(w, key, v, err) : HF_OK;
}

static hf_status write_sources(gguf_writer *w, const char *kind, const conv_meta_src *e, size_t n, hf_err *err) {
    char key[128];
    snprintf(key, sizeof key, "general.%s.count", kind);
    hf_status s = gguf_w_add_u32(w, key, (uint32_t)n, err);
    for (size_t i = 0; i < n && s == HF_OK; i++)
        for (int f = 0; f < CONV_SRC_N && s == HF_OK; f++) {
            snprintf(key, sizeof key, "general.%s.%zu.%s", kind, i, SRC_KEYS[f]);
            s = put_str(w, key, e[i].f[f], err);
        }
    return s;
}

/* add_array: gguf-py types the array by its first item (str, float, bool, int -> i32)
 * and fails unless all items have that type. */
static hf_status write_card_array(gguf_writer *w, const conv_meta *m, const char *key, const char *card_key,
                                  const card_val *const *a, size_t n, hf_err *err) {
    if (!n) return HF_OK;
    card_type t = a[0]->type;
    for (size_t i = 0; i < n; i++) {
        if (a[i]->type != t || (t != CARD_STR && t != CARD_INT && t != CARD_FLOAT && t != CARD_BOOL))
            return hf_fail(err, a[i]->type == t && t == CARD_SEQ ? HF_ERR_UNSUPPORTED : HF_ERR_FORMAT,
                           "%s: line %zu: key '%s': item %zu is %s; all items must be strings (or all numbers/booleans)",
                           m->card_path, a[i]->line, card_key, i, conv_card_type_name(a[i]));
        if (t == CARD_INT && (a[i]->big || a[i]->i < INT32_MIN || a[i]->i > INT32_MAX))
            return hf_fail(err, HF_ERR_FORMAT, "%s: line %zu: key '%s': integer %s does not fit in int32", m->card_path,
                           a[i]->line, card_key, a[i]->text);
        if (t == CARD_FLOAT && isfinite(a[i]->f) && isinf((float)a[i]->f))
            return hf_fail(err, HF_ERR_FORMAT, "%s: line %zu: key '%s': float %s does not fit in f32", m->card_path,
                           a[i]->line, card_key, a[i]->text);
    }
    hf_status s;
    if (t == CARD_STR) {
        const char **strs = malloc(n * sizeof *strs);
        uint64_t *lens = malloc(n * sizeof *lens);
        if (!strs || !lens) s = hf_fail(err, HF_ERR_NOMEM, "out of memory");
        else {
            for (size_t i = 0; i < n; i++) {
                strs[i] = a[i]->text;
                lens[i] = a[i]->len;
            }
            s = gguf_w_add_arr_str(w, key, strs, lens, n, err);
        }
        free(strs);
        free(lens);
        return s;
    }
    size_t es = t == CARD_BOOL ? 1 : 4;
    unsigned char *data = malloc(n * es);
    if (!data) return hf_fail(err, HF_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        uint32_t bits = 0;
        if (t == CARD_BOOL) {
            data[i] = (unsigned char)(a[i]->b ? 1 : 0);
            continue;
        }
        if (t == CARD_INT) bits = (uint32_t)(int32_t)a[i]->i;
        else {
            float f = (float)a[i]->f;
            memcpy(&bits, &f, 4);
        }
        for (int b = 0; b < 4; b++) data[i * 4 + (size_t)b] = (unsigned char)(bits >> (8 * b));
    }
    s = gguf_w_add_arr(w, key, t == CARD_BOOL ? GGUF_T_BOOL : t == CARD_INT ? GGUF_T_INT32 : GGUF_T_FLOAT32, data, n,
                       err);
    free(data);
    return s;
}

hf_status conv_meta_write(gguf_writer *w, const conv_meta *m, hf_err *err) {
    hf_status s = gguf_w_add_str(w, "general.type", "model", err);
    if (s == HF_OK) s = write_sampling(w, m->gen_config, err);
    /* Metadata.set_gguf_meta_model's order. */
    const struct {
        const char *key, *val;
    } S[] = {
        {"general.name", m->name},
        {"general.author", m->author},
        {"general.version", m->version},
        {"general.organization", m->organization},
        {"general.finetune", m->finetune},
        {"general.basename", m->basename},
        {"general.description", m->description},
        {"general.size_label", m->size_label},
        {"general.license", m->license},
        {"general.license.name", m->license_name},
        {"general.license.link", m->license_link},
        {"general.source.url", m->source_url},
        {"general.source.doi", m->source_doi},
        {"general.source.uuid", m->source_uuid},
        {"general.source.repo_url", m->source_repo_url},
    };
    for (size_t i = 0; i < sizeof S / sizeof S[0] && s == HF_OK; i++) s = put_str(w, S[i].key, S[i].val, err);
    if (s == HF_OK && m->has_base_models) s = write_sources(w, "base_model", m->base_models, m->n_base_models, err);
    if (s == HF_OK && m->has_datasets) s = write_sources(w, "dataset", m->datasets, m->n_datasets, err);
    if (s == HF_OK) s = write_card_array(w, m, "general.tags", "tags", m->tags, m->n_tags, err);
    if (s == HF_OK) s = write_card_array(w, m, "general.languages", "language", m->languages, m->n_languages, err);
    return s;
}

/* model_weight_count_rounded_notation(n, min_digits=2). */
void conv_size_label(int64_t n_params, char *buf, size_t cap) {
    double n = (double)(n_params < 0 ? -n_params : n_params);
    double scaled;
    const char *suffix;
    if (n > 1e12) {
        scaled = n * 1e-12;
        suffix = "T";
    } else if (n > 1e9) {
        scaled = n * 1e-9;
        suffix = "B";
    } else if (n > 1e6) {
        scaled = n * 1e-6;
        suffix = "M";
    } else {
        scaled = n * 1e-3;
        suffix = "K";
    }
    /* Digits of round(scaled) without leading zeros; Python rounds half to even, as nearbyint does. */
    char digits[64];
    snprintf(digits, sizeof digits, "%.0f", nearbyint(scaled));
    const char *d = digits;
    while (*d == '0') d++;
    int fix = 2 - (int)strlen(d);
    if (fix < 0) fix = 0;
    snprintf(buf, cap, "%.*f%s", fix, scaled, suffix);
}

/* ==== output path ==== */

static void dashify(char *s) {
    for (; *s; s++)
        if (*s == ' ' || *s == '/') *s = '-';
}

static char *trimmed_copy(const char *s) {
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) n--;
    return strndup(s, n);
}

/* gguf-py naming_convention(name, basename, finetune, version, size_label, output_type, model_type). */
static int default_name(const conv_meta *m, const char *type_name, int vocab_only, char *out, size_t cap) {
    char *name = trimmed_copy(m->basename ? m->basename : m->name ? m->name : "ggml-model");
    if (!name) return 0;
    dashify(name);
    char *fin = m->finetune ? trimmed_copy(m->finetune) : NULL;
    char *ver = m->version ? trimmed_copy(m->version) : NULL;
    if (fin)
        for (char *c = fin; *c; c++)
            if (*c == ' ') *c = '-';
    if (ver)
        for (char *c = ver; *c; c++)
            if (*c == ' ') *c = '-';
    int n;
    if (vocab_only)
        n = snprintf(out, cap, "%s%s%s%s%s-vocab.gguf", name, fin ? "-" : "", fin ? fin : "", ver ? "-" : "",
                     ver ? ver : "");
    else
        n = snprintf(out, cap, "%s%s%s%s%s%s%s-%s.gguf", name, m->size_label ? "-" : "",
                     m->size_label ? m->size_label : "", fin ? "-" : "", fin ? fin : "", ver ? "-" : "",
                     ver ? ver : "", type_name);
    free(name);
    free(fin);
    free(ver);
    return n > 0 && (size_t)n < cap;
}

/* Fills "{ftype}", "{outtype}", "{FTYPE}", "{OUTTYPE}" and "{}" (gguf-py fill_templated_filename). */
static int fill_template(const char *in, const char *type_name, char *out, size_t cap) {
    char lower[16], upper[16];
    size_t tl = strlen(type_name);
    if (tl >= sizeof lower) return 0;
    for (size_t i = 0; i <= tl; i++) {
        lower[i] = (char)tolower((unsigned char)type_name[i]);
        upper[i] = (char)toupper((unsigned char)type_name[i]);
    }
    static const struct {
        const char *tok;
        int up;
    } T[] = {{"{}", 0}, {"{ftype}", 0}, {"{outtype}", 0}, {"{FTYPE}", 1}, {"{OUTTYPE}", 1}};
    size_t o = 0;
    while (*in) {
        size_t k = 0;
        for (; k < sizeof T / sizeof T[0]; k++)
            if (!strncmp(in, T[k].tok, strlen(T[k].tok))) break;
        const char *rep = k < sizeof T / sizeof T[0] ? (T[k].up ? upper : lower) : NULL;
        size_t adv = rep ? strlen(T[k].tok) : 1;
        size_t rl = rep ? strlen(rep) : 1;
        if (o + rl >= cap) return 0;
        memcpy(out + o, rep ? rep : in, rl);
        o += rl;
        in += adv;
    }
    out[o] = '\0';
    return 1;
}

hf_status conv_output_path(const conv_meta *m, const char *model_dir, const char *outfile, const char *type_name,
                           int vocab_only, char *out, size_t cap, hf_err *err) {
    struct stat st;
    const char *dir = NULL;
    if (!outfile) dir = model_dir;
    else if (stat(outfile, &st) == 0 && S_ISDIR(st.st_mode)) dir = outfile;
    if (dir) {
        char name[1024];
        if (!default_name(m, type_name, vocab_only, name, sizeof name))
            return hf_fail(err, HF_ERR_ARG, "default output name too long");
        size_t dl = strlen(dir);
        const char *sep = dl && dir[dl - 1] == '/' ? "" : "/";
        int n = snprintf(out, cap, "%s%s%s", dir, sep, name);
        if (n < 0 || (size_t)n >= cap) return hf_fail(err, HF_ERR_ARG, "output path too long");
        return HF_OK;
    }
    /* The template is filled in the file name only, as llama.cpp does (fname_out.parent / filled name). */
    const char *slash = strrchr(outfile, '/');
    size_t dlen = slash ? (size_t)(slash - outfile + 1) : 0;
    if (dlen >= cap) return hf_fail(err, HF_ERR_ARG, "output path too long");
    memcpy(out, outfile, dlen);
    if (!fill_template(outfile + dlen, type_name, out + dlen, cap - dlen))
        return hf_fail(err, HF_ERR_ARG, "%s: output path too long", outfile);
    return HF_OK;
}
