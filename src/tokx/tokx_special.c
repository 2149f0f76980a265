/* tokx_special: gguf-py's SpecialVocab, the part every vocabulary path ends with: merges,
 * special token ids, add_{bos,eos,sep}_token, chat templates and normalizer flags.
 *
 * It is a port of SpecialVocab._load and add_to_gguf, decision for decision, including the
 * crude TemplateProcessing inference (which may rewrite tokenizer_config's bos/eos/...
 * entries before they are matched against tokenizer.json's added_tokens). Python's
 * truthiness and == are modelled on cJSON values (py_truthy, cJSON_Compare). */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "json/json.h"
#include "tokx/tokx_internal.h"

/* One row per special token type: its GGUF id key and add-flag key (NULL where
 * GGUFWriter has no add_<typ>_token_id / add_add_<typ>_token handler: skipped). */
typedef struct special_type {
    const char *name;
    const char *id_key;
    const char *add_key;
} special_type;

static const special_type SPECIAL_TYPES[] = {
    {"bos", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.add_bos_token"},
    {"eos", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.add_eos_token"},
    {"unk", "tokenizer.ggml.unknown_token_id", NULL},
    {"sep", "tokenizer.ggml.seperator_token_id", "tokenizer.ggml.add_sep_token"},
    {"pad", "tokenizer.ggml.padding_token_id", NULL},
    {"cls", NULL, NULL},
    {"mask", "tokenizer.ggml.mask_token_id", NULL},
    {"eot", "tokenizer.ggml.eot_token_id", NULL}, /* only when TemplateProcessing adds them */
    {"eom", "tokenizer.ggml.eom_token_id", NULL},
};
enum { T_BOS, T_EOS, T_UNK, T_SEP, T_PAD, T_CLS, T_MASK, T_EOT, T_EOM, T_COUNT };

/* An insertion-ordered dict typ -> value, like Python's. */
typedef struct ordered {
    int typ[T_COUNT];
    int64_t val[T_COUNT];
    int n;
} ordered;

static void ordered_set(ordered *o, int typ, int64_t v, int keep_first) {
    for (int i = 0; i < o->n; i++)
        if (o->typ[i] == typ) {
            if (!keep_first) o->val[i] = v;
            return;
        }
    o->typ[o->n] = typ;
    o->val[o->n++] = v;
}

typedef struct special {
    tokx_ctx *c;
    uint64_t n_vocab; /* 0: no range check */
    int n_types;      /* SPECIAL_TYPES[0..n_types) are active: 7, +eot, +eom */
    ordered ids, add;
    int lowercase, strip_accents; /* -1 unset */
    cJSON *graveyard;             /* tokenizer_config items replaced during inference */
} special;

/* del tokenizer_config[key], keeping the item alive until the export ends. */
static void cfg_unset(special *s, const char *key) {
    cJSON *old = cJSON_DetachItemFromObjectCaseSensitive(s->c->tok_cfg, key);
    if (old) cJSON_AddItemToArray(s->graveyard, old);
}

static int py_truthy(const cJSON *v) {
    if (!v || cJSON_IsNull(v) || cJSON_IsFalse(v)) return 0;
    if (cJSON_IsString(v)) return v->valuestring[0] != '\0';
    if (cJSON_IsNumber(v)) return v->valuedouble != 0;
    if (cJSON_IsArray(v) || cJSON_IsObject(v)) return v->child != NULL;
    return 1;
}

static int py_eq(const cJSON *a, const cJSON *b) {
    if (!a || cJSON_IsNull(a)) return !b || cJSON_IsNull(b);
    return b && cJSON_Compare(a, b, 1);
}

/* tokenizer_config[key] = value (a copy), as SpecialVocab mutates its tokenizer_config dict.
 * A replaced item is moved to the graveyard, not freed: other `specials_seen` pointers may
 * still refer to it (Python's variables keep their old values too). */
static hf_status cfg_set(special *s, const char *key, const cJSON *value, const cJSON **out, hf_err *err) {
    cJSON *dup = cJSON_Duplicate(value, 1);
    if (!dup) return hf_fail(err, HF_ERR_NOMEM, "tokenizer export: out of memory");
    cfg_unset(s, key);
    cJSON_AddItemToObject(s->c->tok_cfg, key, dup);
    *out = dup;
    return HF_OK;
}

static const cJSON *special_token_id(const cJSON *entry) {
    return json_get(json_get(entry, "SpecialToken"), "id");
}

/* _set_special_token: ints only (JSON true/false count as 1/0, as bool is an int in Python),
 * negative is an error, ids past n_vocab are skipped, the first value for a type wins. */
static hf_status set_special(special *s, int typ, const cJSON *tid, const char *src, hf_err *err) {
    double d;
    if (cJSON_IsBool(tid)) d = cJSON_IsTrue(tid) ? 1 : 0;
    else if (json_is_integer(tid)) d = tid->valuedouble;
    else return HF_OK;
    if (d < 0)
        return hf_fail(err, HF_ERR_FORMAT, "%s: invalid value for special token type %s: %.0f", src,
                       SPECIAL_TYPES[typ].name, d);
    if (s->n_vocab && d >= (double)s->n_vocab) return HF_OK;
    ordered_set(&s->ids, typ, (int64_t)d, 1);
    return HF_OK;
}

/* ==== post_processor inference ==== */

typedef struct specials_seen {
    const cJSON *bos, *cls, *eos, *sep;
} specials_seen;

static void roberta(special *s, const cJSON *proc, specials_seen *t, hf_err *err, hf_status *st) {
    ordered_set(&s->add, T_BOS, 1, 0);
    ordered_set(&s->add, T_EOS, 1, 0);
    ordered_set(&s->add, T_SEP, 1, 0);
    int cfg = py_truthy(s->c->tok_cfg);
    if (!py_truthy(t->cls) && cfg) {
        const cJSON *v = cJSON_GetArrayItem(json_get(proc, "cls"), 0);
        if (!json_get(proc, "cls")) v = t->bos;
        if (*st == HF_OK) *st = v ? cfg_set(s, "cls_token", v, &t->cls, err) : HF_OK;
    }
    if (!py_truthy(t->sep) && cfg) {
        const cJSON *v = cJSON_GetArrayItem(json_get(proc, "sep"), 0);
        if (!json_get(proc, "sep")) v = t->eos;
        if (*st == HF_OK) *st = v ? cfg_set(s, "sep_token", v, &t->sep, err) : HF_OK;
    }
}

/* The trailing special token of TemplateProcessing<single> differs from eos: the old eos
 * becomes eot (or eom), and eos becomes the trailing token. */
static hf_status move_eos(special *s, const cJSON *last, specials_seen *t, hf_err *err) {
    hf_status st = HF_OK;
    const cJSON *tmp;
    if (s->n_types <= T_EOT) {
        s->n_types = T_EOT + 1;
        if (t->eos) st = cfg_set(s, "eot_token", t->eos, &tmp, err);
        else cfg_unset(s, "eot_token");
    } else if (s->n_types <= T_EOM) {
        s->n_types = T_EOM + 1;
        if (t->eos) st = cfg_set(s, "eom_token", t->eos, &tmp, err);
        else cfg_unset(s, "eom_token");
    }
    if (st == HF_OK) st = cfg_set(s, "eos_token", last, &t->eos, err);
    return st;
}

static hf_status template_single(special *s, const cJSON *single, specials_seen *t, const cJSON **first_out,
                                 const cJSON **last_out, hf_err *err) {
    hf_status st = HF_OK;
    int cfg = py_truthy(s->c->tok_cfg);
    *first_out = *last_out = NULL;
    if (cJSON_GetArraySize(single) <= 1) return HF_OK;
    const cJSON *first = special_token_id(cJSON_GetArrayItem(single, 0));
    if (py_truthy(first)) {
        *first_out = first;
        if (!cfg) {
            t->bos = first;
        } else if (!py_eq(first, t->bos) && !py_eq(first, t->cls)) {
            if (!py_truthy(t->bos)) st = cfg_set(s, "bos_token", first, &t->bos, err);
            if (st == HF_OK && !py_truthy(t->cls)) st = cfg_set(s, "cls_token", first, &t->cls, err);
        }
        ordered_set(&s->add, T_BOS, py_eq(first, t->bos) || py_eq(first, t->cls), 0);
    }
    const cJSON *last = special_token_id(cJSON_GetArrayItem(single, cJSON_GetArraySize(single) - 1));
    if (st == HF_OK && py_truthy(last)) {
        *last_out = last;
        if (!cfg) t->eos = last;
        else if (!py_eq(last, t->eos)) st = move_eos(s, last, t, err);
        ordered_set(&s->add, T_EOS, py_eq(last, t->eos), 0);
    }
    return st;
}

/* The pair template decides add_sep: "A [sep|eos] [sep|eos] B" between the single template's
 * leading/trailing tokens. */
static hf_status template_pair(special *s, const cJSON *pair, const cJSON *first, const cJSON *last,
                               specials_seen *t, hf_err *err) {
    int n = cJSON_GetArraySize(pair);
    if (n == 0) return HF_OK;
    int start = first && py_eq(special_token_id(cJSON_GetArrayItem(pair, 0)), first) ? 1 : 0;
    int stop = last && py_eq(special_token_id(cJSON_GetArrayItem(pair, n - 1)), last) ? n - 1 : n;
    if (stop - start <= 0) return HF_OK;
    const cJSON *a = json_get(json_get(cJSON_GetArrayItem(pair, start), "Sequence"), "id");
    const cJSON *b = json_get(json_get(cJSON_GetArrayItem(pair, stop - 1), "Sequence"), "id");
    if (!(cJSON_IsString(a) && !strcmp(a->valuestring, "A") && cJSON_IsString(b) && !strcmp(b->valuestring, "B")))
        return HF_OK;
    int mid = start + 1, mid_n = (stop - 1) - mid;
    if (mid_n <= 0) return HF_OK;
    int add_sep = 0;
    const cJSON *e = special_token_id(cJSON_GetArrayItem(pair, mid));
    if (py_truthy(e) && (py_eq(e, t->sep) || py_eq(e, t->eos)) && !last) add_sep = 1;
    if (mid_n == 2) {
        e = special_token_id(cJSON_GetArrayItem(pair, mid + 1));
        if (py_truthy(e) && (py_eq(e, t->sep) || py_eq(e, t->eos))) add_sep = 1;
    }
    ordered_set(&s->add, T_SEP, add_sep, 0);
    if (add_sep && !py_truthy(t->sep) && py_truthy(s->c->tok_cfg) && t->eos) {
        const cJSON *tmp;
        return cfg_set(s, "sep_token", t->eos, &tmp, err);
    }
    return HF_OK;
}

static hf_status post_processor(special *s, hf_err *err) {
    const cJSON *cfg = s->c->tok_cfg;
    specials_seen t = {json_get(cfg, "bos_token"), json_get(cfg, "cls_token"), json_get(cfg, "eos_token"),
                       json_get(cfg, "sep_token")};
    hf_status st = HF_OK;
    if (!py_truthy(t.bos) && py_truthy(t.cls) && py_truthy(cfg)) st = cfg_set(s, "bos_token", t.cls, &t.bos, err);
    if (st == HF_OK && !py_truthy(t.eos) && py_truthy(t.sep) && py_truthy(cfg))
        st = cfg_set(s, "eos_token", t.sep, &t.eos, err);
    const cJSON *pp = json_get(s->c->tok_json, "post_processor");
    if (st != HF_OK || !py_truthy(pp)) return st;
    const cJSON *procs = json_get(pp, "processors");
    const cJSON *one = pp;
    for (const cJSON *p = procs ? procs->child : one; p && st == HF_OK; p = procs ? p->next : NULL) {
        const cJSON *type = json_get(p, "type");
        if (!cJSON_IsString(type)) continue;
        if (!strcmp(type->valuestring, "RobertaProcessing")) {
            roberta(s, p, &t, err, &st);
        } else if (!strcmp(type->valuestring, "TemplateProcessing")) {
            const cJSON *first, *last;
            st = template_single(s, json_get(p, "single"), &t, &first, &last, err);
            if (st == HF_OK) st = template_pair(s, json_get(p, "pair"), first, last, &t, err);
        }
    }
    return st;
}

/* ==== tokenizer_config.json and config.json ==== */

static void parse_normalizer(special *s, const cJSON *n) {
    const cJSON *type = json_get(n, "type");
    if (!cJSON_IsString(type)) return;
    const char *t = type->valuestring;
    if (!strcmp(t, "Lowercase")) s->lowercase = 1;
    else if (!strcmp(t, "StripAccents")) s->strip_accents = 1;
    else if (!strcmp(t, "BertNormalizer")) {
        const cJSON *lc = json_get(n, "lowercase"), *sa = json_get(n, "strip_accents");
        /* A present key is assigned even when null (which unsets the flag again). */
        if (lc) s->lowercase = cJSON_IsNull(lc) ? -1 : py_truthy(lc);
        if (sa) s->strip_accents = cJSON_IsNull(sa) ? -1 : py_truthy(sa);
    } else if (!strcmp(t, "Sequence")) {
        const cJSON *list = json_get(n, "normalizers");
        for (const cJSON *it = list ? list->child : NULL; it; it = it->next) parse_normalizer(s, it);
    }
}

/* tokenizer_config <typ>_token (a string or {"content": ...}) matched by content against
 * tokenizer.json's added_tokens; the first match's id. */
static hf_status match_config_tokens(special *s, hf_err *err) {
    const cJSON *cfg = s->c->tok_cfg;
    const cJSON *added = json_get(s->c->tok_json, "added_tokens");
    char key[32];
    for (int typ = 0; typ < s->n_types; typ++) {
        snprintf(key, sizeof(key), "add_%s_token", SPECIAL_TYPES[typ].name);
        const cJSON *add = json_get(cfg, key);
        if (cJSON_IsBool(add)) ordered_set(&s->add, typ, cJSON_IsTrue(add), 0);
        snprintf(key, sizeof(key), "%s_token", SPECIAL_TYPES[typ].name);
        const cJSON *entry = json_get(cfg, key);
        if (cJSON_IsObject(entry)) entry = json_get(entry, "content");
        if (!cJSON_IsString(entry)) continue;
        for (const cJSON *a = cJSON_IsArray(added) ? added->child : NULL; a; a = a->next) {
            const cJSON *content = json_get(a, "content");
            if (cJSON_IsString(content) && !strcmp(content->valuestring, entry->valuestring)) {
                hf_status st = set_special(s, typ, json_get(a, "id"), s->c->tok_json_path, err);
                if (st != HF_OK) return st;
                break;
            }
        }
    }
    return HF_OK;
}

static hf_status config_token_ids(special *s, hf_err *err) {
    const cJSON *config = s->c->config;
    if (!config) return HF_OK;
    const cJSON *tc = json_get(config, "text_config");
    char key[32];
    for (int typ = 0; typ < s->n_types; typ++) {
        snprintf(key, sizeof(key), "%s_token_id", SPECIAL_TYPES[typ].name);
        const cJSON *v = json_get(config, key);
        if ((!v || cJSON_IsNull(v)) && tc) v = json_get(tc, key);
        hf_status st = set_special(s, typ, v, "config.json", err);
        if (st != HF_OK) return st;
    }
    return HF_OK;
}

/* ==== Staging ==== */

static hf_status stage(special *s, const char **merges, const uint64_t *mlens, uint64_t n_merges, hf_err *err) {
    tokx_kvs *k = &s->c->kvs;
    hf_status st = tokx_kvs_set_strs(k, "tokenizer.ggml.merges", merges, mlens, n_merges, err);
    for (int i = 0; i < s->ids.n && st == HF_OK; i++) {
        const char *key = SPECIAL_TYPES[s->ids.typ[i]].id_key;
        if (key) st = tokx_kvs_set_u32(k, key, (uint32_t)s->ids.val[i], err);
    }
    for (int i = 0; i < s->add.n && st == HF_OK; i++) {
        const char *key = SPECIAL_TYPES[s->add.typ[i]].add_key;
        if (key) st = tokx_kvs_set_bool(k, key, (int)s->add.val[i], err);
    }
    /* SpecialVocab returns before reading chat templates when tokenizer_config is empty. */
    if (st == HF_OK && py_truthy(s->c->tok_cfg)) st = tokx_chat_template_stage(s->c, err);
    if (st == HF_OK && s->lowercase >= 0)
        st = tokx_kvs_set_bool(k, "tokenizer.ggml.normalizer.lowercase", s->lowercase, err);
    if (st == HF_OK && s->strip_accents >= 0)
        st = tokx_kvs_set_bool(k, "tokenizer.ggml.normalizer.strip_accents", s->strip_accents, err);
    return st;
}

hf_status tokx_special_export(tokx_ctx *c, int load_merges, uint64_t n_vocab, hf_err *err) {
    special s = {.c = c, .n_vocab = n_vocab, .n_types = T_EOT, .lowercase = -1, .strip_accents = -1,
                 .graveyard = cJSON_CreateArray()};
    const char **merges = NULL;
    uint64_t *mlens = NULL, n_merges = 0;
    hf_status st = s.graveyard ? HF_OK : hf_fail(err, HF_ERR_NOMEM, "tokenizer export: out of memory");
    if (load_merges) st = tokx_load_merges(c, &merges, &mlens, &n_merges, err);
    if (st == HF_OK && c->tok_json) {
        const cJSON *norm = json_get(c->tok_json, "normalizer");
        if (py_truthy(norm)) parse_normalizer(&s, norm);
    }
    if (st == HF_OK && py_truthy(c->tok_json)) st = post_processor(&s, err);
    if (st == HF_OK && py_truthy(c->tok_cfg)) st = match_config_tokens(&s, err);
    if (st == HF_OK) st = config_token_ids(&s, err);
    if (st == HF_OK) st = stage(&s, merges, mlens, n_merges, err);
    cJSON_Delete(s.graveyard);
    return st;
}
