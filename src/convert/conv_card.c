/* conv_card: the YAML front matter of a model directory's README.md, read the
 * way gguf-py's Metadata.load_model_card does: the file is decoded as strict
 * UTF-8 (universal newlines), split into lines like str.splitlines(), the lines
 * between a leading "---" line and the next "---" line are the YAML, after
 * gguf-py's two textual fixes ("- no\n" quoted, tabs -> two spaces). The YAML is
 * parsed with libyaml and its plain scalars typed the way PyYAML's safe_load
 * does (YAML 1.1 implicit resolvers: null, bool, int, float, timestamp). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "convert/conv_internal.h"

#define CARD_MAX_NODES 200000 /* alias expansion guard */
#define CARD_MAX_DEPTH 200

/* YAML 1.1 resolution patterns are ASCII and case-sensitive. */
static int full_match(const char *pattern, const char *s) { return conv_fullmatch(pattern, s, 0); }

/* ==== values ==== */

static card_val *val_new(card_type t, size_t line) {
    card_val *v = calloc(1, sizeof *v);
    if (v) {
        v->type = t;
        v->line = line;
    }
    return v;
}

void conv_card_free(card_val *v) {
    if (!v) return;
    for (size_t i = 0; i < v->n; i++) {
        conv_card_free(v->items[i]);
        if (v->keys) conv_card_free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->text);
    free(v);
}

static int val_push(card_val *c, card_val *key, card_val *item) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        card_val **it = realloc(c->items, cap * sizeof *it);
        if (!it) return 0;
        c->items = it;
        if (c->type == CARD_MAP) {
            card_val **k = realloc(c->keys, cap * sizeof *k);
            if (!k) return 0;
            c->keys = k;
        }
        c->cap = cap;
    }
    if (c->type == CARD_MAP) c->keys[c->n] = key;
    c->items[c->n++] = item;
    return 1;
}

static card_val *val_copy(const card_val *v, size_t *budget) {
    if (*budget == 0) return NULL;
    (*budget)--;
    card_val *c = val_new(v->type, v->line);
    if (!c) return NULL;
    c->len = v->len;
    c->i = v->i;
    c->f = v->f;
    c->b = v->b;
    c->big = v->big;
    c->merge_key = v->merge_key;
    if (v->text && !(c->text = malloc(v->len + 1))) goto fail;
    if (v->text) memcpy(c->text, v->text, v->len + 1);
    for (size_t i = 0; i < v->n; i++) {
        card_val *k = v->keys ? val_copy(v->keys[i], budget) : NULL;
        card_val *it = val_copy(v->items[i], budget);
        if (!it || (v->keys && !k) || !val_push(c, k, it)) {
            conv_card_free(k);
            conv_card_free(it);
            goto fail;
        }
    }
    return c;
fail:
    conv_card_free(c);
    return NULL;
}

const card_val *conv_card_get(const card_val *map, const char *key) {
    if (!map || map->type != CARD_MAP) return NULL;
    size_t kl = strlen(key);
    for (size_t i = map->n; i-- > 0;) /* PyYAML: a repeated key keeps its last value */
        if (map->keys[i]->type == CARD_STR && map->keys[i]->len == kl && !memcmp(map->keys[i]->text, key, kl))
            return map->items[i];
    return NULL;
}

const char *conv_card_type_name(const card_val *v) {
    switch (v->type) {
    case CARD_NULL: return "null";
    case CARD_BOOL: return "a boolean";
    case CARD_INT: return "an integer";
    case CARD_FLOAT: return "a float";
    case CARD_STR: return "a string";
    case CARD_SEQ: return "a list";
    case CARD_MAP: return "a mapping";
    case CARD_OTHER: return "a timestamp";
    }
    return "?";
}

int conv_card_truthy(const card_val *v) {
    switch (v->type) {
    case CARD_NULL: return 0;
    case CARD_BOOL: return v->b;
    case CARD_INT: return v->i != 0 || v->big;
    case CARD_FLOAT: return v->f != 0.0;
    case CARD_STR: return v->len != 0;
    case CARD_SEQ:
    case CARD_MAP: return v->n != 0;
    case CARD_OTHER: return 1;
    }
    return 1;
}

/* ==== scalar typing (PyYAML Resolver + SafeConstructor) ==== */

static const char RE_BOOL[] = "yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF";
static const char RE_FLOAT[] = "[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?|\\.[0-9_]+(?:[eE][-+][0-9]+)?"
                               "|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN)";
static const char RE_INT[] = "[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
                             "|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+";
static const char RE_NULL[] = "~|null|Null|NULL|";
static const char RE_TIMESTAMP[] = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
                                   "|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \\t]+)[0-9][0-9]?"
                                   ":[0-9][0-9]:[0-9][0-9](?:\\.[0-9]*)?(?:[ \\t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?";

/* Copies s without '_' (PyYAML strips them from numbers); returns the sign. */
static int strip_number(const char *s, char *buf, size_t cap) {
    size_t o = 0;
    for (; *s && o + 1 < cap; s++)
        if (*s != '_') buf[o++] = *s;
    buf[o] = '\0';
    int sign = 1;
    if (buf[0] == '-' || buf[0] == '+') {
        if (buf[0] == '-') sign = -1;
        memmove(buf, buf + 1, strlen(buf));
    }
    return sign;
}

static void to_int(card_val *v) {
    char buf[256];
    int sign = strip_number(v->text, buf, sizeof buf);
    errno = 0;
    long long r = 0;
    if (!strcmp(buf, "0")) r = 0;
    else if (!strncmp(buf, "0b", 2)) r = strtoll(buf + 2, NULL, 2);
    else if (!strncmp(buf, "0x", 2)) r = strtoll(buf + 2, NULL, 16);
    else if (buf[0] == '0') r = strtoll(buf, NULL, 8);
    else if (strchr(buf, ':')) { /* sexagesimal */
        char *save = NULL;
        for (char *p = strtok_r(buf, ":", &save); p && !errno; p = strtok_r(NULL, ":", &save)) {
            long long d = strtoll(p, NULL, 10);
            if (r > (LLONG_MAX - d) / 60) errno = ERANGE;
            else r = r * 60 + d;
        }
    } else r = strtoll(buf, NULL, 10);
    v->big = errno == ERANGE;
    v->i = sign * r;
}

static void to_float(card_val *v) {
    char buf[256];
    int sign = strip_number(v->text, buf, sizeof buf);
    for (char *c = buf; *c; c++)
        if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
    double r;
    if (!strcmp(buf, ".inf")) r = INFINITY;
    else if (!strcmp(buf, ".nan")) r = NAN;
    else if (strchr(buf, ':')) {
        r = 0;
        char *save = NULL;
        for (char *p = strtok_r(buf, ":", &save); p; p = strtok_r(NULL, ":", &save)) r = r * 60 + strtod(p, NULL);
    } else r = strtod(buf, NULL);
    v->f = sign * r;
}

static void to_bool(card_val *v) {
    char c = v->text[0];
    v->b = c == 'y' || c == 'Y' || c == 't' || c == 'T' || !strcmp(v->text, "on") || !strcmp(v->text, "On") ||
           !strcmp(v->text, "ON");
}

/* Resolves a plain, untagged scalar the way PyYAML's implicit resolvers do. */
static void resolve_plain(card_val *v) {
    const char *t = v->text;
    char c = t[0];
    if (strchr("yYnNtTfFoO", c) && c && full_match(RE_BOOL, t)) {
        v->type = CARD_BOOL;
        to_bool(v);
    } else if (c && strchr("-+0123456789.", c) && full_match(RE_FLOAT, t)) {
        v->type = CARD_FLOAT;
        to_float(v);
    } else if (c && strchr("-+0123456789", c) && full_match(RE_INT, t)) {
        v->type = CARD_INT;
        to_int(v);
    } else if ((c == 0 || strchr("~nN", c)) && full_match(RE_NULL, t)) {
        v->type = CARD_NULL;
    } else if (c && strchr("0123456789", c) && full_match(RE_TIMESTAMP, t)) {
        v->type = CARD_OTHER;
    }
}

/* ==== libyaml events -> values ==== */

typedef struct anchor {
    char *name;
    card_val *val; /* owned by the tree; copied on each alias */
} anchor;

typedef struct card_parser {
    yaml_parser_t yp;
    const char *path;
    anchor *anchors;
    size_t n_anchors, cap_anchors;
    size_t budget;
    hf_err *err;
} card_parser;

static hf_status yaml_error(card_parser *p) {
    const yaml_parser_t *y = &p->yp;
    if (y->error == YAML_MEMORY_ERROR) return hf_fail(p->err, HF_ERR_NOMEM, "out of memory");
    /* Line numbers are README.md's: the YAML starts on its second line. */
    if (y->context)
        return hf_fail(p->err, HF_ERR_FORMAT,
                       "%s: malformed YAML front matter: line %zu, column %zu: %s (line %zu, column %zu): %s", p->path,
                       (size_t)y->problem_mark.line + 2, (size_t)y->problem_mark.column + 1, y->context,
                       (size_t)y->context_mark.line + 2, (size_t)y->context_mark.column + 1,
                       y->problem ? y->problem : "syntax error");
    return hf_fail(p->err, HF_ERR_FORMAT, "%s: malformed YAML front matter: line %zu, column %zu: %s", p->path,
                   (size_t)y->problem_mark.line + 2, (size_t)y->problem_mark.column + 1,
                   y->problem ? y->problem : "syntax error");
}

static hf_status bad_at(card_parser *p, const yaml_mark_t *m, const char *what, const char *detail) {
    return hf_fail(p->err, HF_ERR_FORMAT, "%s: malformed YAML front matter: line %zu, column %zu: %s%s%s", p->path,
                   (size_t)m->line + 2, (size_t)m->column + 1, what, detail ? " " : "", detail ? detail : "");
}

static hf_status next_event(card_parser *p, yaml_event_t *ev) {
    if (!yaml_parser_parse(&p->yp, ev)) return yaml_error(p);
    return HF_OK;
}

static hf_status remember_anchor(card_parser *p, const yaml_char_t *name, card_val *v) {
    if (!name) return HF_OK;
    if (p->n_anchors == p->cap_anchors) {
        size_t cap = p->cap_anchors ? p->cap_anchors * 2 : 8;
        anchor *a = realloc(p->anchors, cap * sizeof *a);
        if (!a) return hf_fail(p->err, HF_ERR_NOMEM, "out of memory");
        p->anchors = a;
        p->cap_anchors = cap;
    }
    char *n = strdup((const char *)name);
    if (!n) return hf_fail(p->err, HF_ERR_NOMEM, "out of memory");
    p->anchors[p->n_anchors].name = n;
    p->anchors[p->n_anchors++].val = v;
    return HF_OK;
}

#define TAG_PREFIX "tag:yaml.org,2002:"

static hf_status scalar_value(card_parser *p, const yaml_event_t *ev, card_val **out) {
    const char *tag = (const char *)ev->data.scalar.tag;
    card_val *v = val_new(CARD_STR, ev->start_mark.line + 2);
    if (!v || !(v->text = malloc(ev->data.scalar.length + 1))) {
        conv_card_free(v);
        return hf_fail(p->err, HF_ERR_NOMEM, "out of memory");
    }
    memcpy(v->text, ev->data.scalar.value, ev->data.scalar.length);
    v->text[ev->data.scalar.length] = '\0';
    v->len = ev->data.scalar.length;
    int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (!tag) {
        if (plain) resolve_plain(v);
    } else if (!strcmp(tag, "!") || !strcmp(tag, TAG_PREFIX "str")) {
        /* a string */
    } else {
        int ok = 0;
        if (!strcmp(tag, TAG_PREFIX "int") && full_match(RE_INT, v->text)) {
            v->type = CARD_INT;
            to_int(v);
            ok = 1;
        } else if (!strcmp(tag, TAG_PREFIX "float") && (full_match(RE_FLOAT, v->text) || full_match(RE_INT, v->text))) {
            v->type = CARD_FLOAT;
            to_float(v);
            ok = 1;
        } else if (!strcmp(tag, TAG_PREFIX "bool") && full_match(RE_BOOL, v->text)) {
            v->type = CARD_BOOL;
            to_bool(v);
            ok = 1;
        } else if (!strcmp(tag, TAG_PREFIX "null")) {
            v->type = CARD_NULL;
            ok = 1;
        }
        if (!ok) {
            conv_card_free(v);
            return bad_at(p, &ev->start_mark, "unsupported tag or value for tag", tag);
        }
    }
    *out = v;
    return HF_OK;
}

static hf_status parse_node(card_parser *p, yaml_event_t *ev, int depth, card_val **out);

/* PyYAML's merge key: "<<: *base" or "<<: [*a, *b]" inserts the keys of those mappings
 * before the mapping's own (earlier list entries win over later ones). */
static hf_status merge_into(card_parser *p, card_val *map, card_val *src, const yaml_mark_t *mark) {
    card_val *maps[64];
    size_t n = 0;
    if (src->type == CARD_MAP) maps[n++] = src;
    else if (src->type == CARD_SEQ && src->n <= 64) {
        for (size_t i = src->n; i-- > 0;) {
            if (src->items[i]->type != CARD_MAP) return bad_at(p, mark, "merge key '<<' needs mappings", NULL);
            maps[n++] = src->items[i];
        }
    } else return bad_at(p, mark, "merge key '<<' needs a mapping or a list of mappings", NULL);
    for (size_t m = 0; m < n; m++)
        for (size_t i = 0; i < maps[m]->n; i++) {
            card_val *k = val_copy(maps[m]->keys[i], &p->budget);
            card_val *v = val_copy(maps[m]->items[i], &p->budget);
            if (!k || !v || !val_push(map, k, v)) {
                conv_card_free(k);
                conv_card_free(v);
                return hf_fail(p->err, HF_ERR_FORMAT, "%s: YAML front matter too large (alias expansion)", p->path);
            }
        }
    return HF_OK;
}

static hf_status parse_collection(card_parser *p, yaml_event_t *start, int depth, card_val **out) {
    int is_map = start->type == YAML_MAPPING_START_EVENT;
    const char *tag = (const char *)(is_map ? start->data.mapping_start.tag : start->data.sequence_start.tag);
    if (tag && strcmp(tag, is_map ? TAG_PREFIX "map" : TAG_PREFIX "seq") && strcmp(tag, "!"))
        return bad_at(p, &start->start_mark, "unsupported tag", tag);
    if (depth > CARD_MAX_DEPTH) return bad_at(p, &start->start_mark, "nesting too deep", NULL);
    card_val *c = val_new(is_map ? CARD_MAP : CARD_SEQ, start->start_mark.line + 2);
    if (!c) return hf_fail(p->err, HF_ERR_NOMEM, "out of memory");
    /* Merged keys come first, so collect own pairs separately. */
    card_val *own = is_map ? val_new(CARD_MAP, c->line) : NULL;
    hf_status s = is_map && !own ? hf_fail(p->err, HF_ERR_NOMEM, "out of memory") : HF_OK;
    yaml_event_type_t end = is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
    while (s == HF_OK) {
        yaml_event_t ev;
        if ((s = next_event(p, &ev)) != HF_OK) break;
        if (ev.type == end) {
            yaml_event_delete(&ev);
            break;
        }
        yaml_mark_t mark = ev.start_mark;
        card_val *k = NULL, *v = NULL;
        s = parse_node(p, &ev, depth + 1, is_map ? &k : &v);
        if (s == HF_OK && is_map) {
            if (k->type == CARD_SEQ || k->type == CARD_MAP)
                s = bad_at(p, &mark, "found unhashable key (a list or mapping)", NULL);
            yaml_event_t ev2;
            if (s == HF_OK && (s = next_event(p, &ev2)) == HF_OK) s = parse_node(p, &ev2, depth + 1, &v);
            int merge = s == HF_OK && k->merge_key;
            if (merge) {
                s = merge_into(p, c, v, &mark);
                conv_card_free(k);
                conv_card_free(v);
                continue;
            }
        }
        if (s == HF_OK && !val_push(is_map ? own : c, k, v)) s = hf_fail(p->err, HF_ERR_NOMEM, "out of memory");
        if (s != HF_OK) {
            conv_card_free(k);
            conv_card_free(v);
        }
    }
    if (s == HF_OK && own) {
        for (size_t i = 0; i < own->n && s == HF_OK; i++) {
            if (!val_push(c, own->keys[i], own->items[i])) {
                s = hf_fail(p->err, HF_ERR_NOMEM, "out of memory");
                for (size_t j = i; j < own->n; j++) {
                    conv_card_free(own->keys[j]);
                    conv_card_free(own->items[j]);
                }
            }
        }
        own->n = 0;
    }
    conv_card_free(own);
    if (s != HF_OK) {
        conv_card_free(c);
        return s;
    }
    *out = c;
    return HF_OK;
}

/* Builds the value that starts with event ev (consumed). */
static hf_status parse_node(card_parser *p, yaml_event_t *ev, int depth, card_val **out) {
    hf_status s = HF_OK;
    const yaml_char_t *anchor_name = NULL;
    *out = NULL;
    if (p->budget == 0) s = hf_fail(p->err, HF_ERR_FORMAT, "%s: YAML front matter too large", p->path);
    else p->budget--;
    if (s != HF_OK) {
    } else if (ev->type == YAML_SCALAR_EVENT) {
        anchor_name = ev->data.scalar.anchor;
        s = scalar_value(p, ev, out);
        /* Mark a plain "<<" so the mapping can tell a merge key from a quoted "<<". */
        if (s == HF_OK && (*out)->type == CARD_STR && !ev->data.scalar.tag &&
            ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !strcmp((*out)->text, "<<"))
            (*out)->merge_key = 1;
    } else if (ev->type == YAML_ALIAS_EVENT) {
        const char *name = (const char *)ev->data.alias.anchor;
        card_val *src = NULL;
        for (size_t i = p->n_anchors; i-- > 0 && !src;)
            if (!strcmp(p->anchors[i].name, name)) src = p->anchors[i].val;
        if (!src) s = bad_at(p, &ev->start_mark, "found undefined alias", name);
        else if (!(*out = val_copy(src, &p->budget)))
            s = hf_fail(p->err, HF_ERR_FORMAT, "%s: YAML front matter too large (alias expansion)", p->path);
    } else if (ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT) {
        anchor_name = ev->type == YAML_SEQUENCE_START_EVENT ? ev->data.sequence_start.anchor
                                                            : ev->data.mapping_start.anchor;
        /* The anchor is only usable after the collection ends (PyYAML rejects
         * recursive aliases in safe_load's constructor for our purposes). */
        char *keep = anchor_name ? strdup((const char *)anchor_name) : NULL;
        if (anchor_name && !keep) s = hf_fail(p->err, HF_ERR_NOMEM, "out of memory");
        if (s == HF_OK) s = parse_collection(p, ev, depth, out);
        if (s == HF_OK) s = remember_anchor(p, (const yaml_char_t *)keep, *out);
        free(keep);
        yaml_event_delete(ev);
        return s;
    } else {
        s = bad_at(p, &ev->start_mark, "unexpected YAML event", NULL);
    }
    if (s == HF_OK && anchor_name) s = remember_anchor(p, anchor_name, *out);
    yaml_event_delete(ev);
    return s;
}

/* Parses a YAML stream of at most one document; *out is NULL for an empty stream. */
static hf_status parse_yaml(const char *yaml_text, size_t len, const char *path, card_val **out, hf_err *err) {
    card_parser p;
    memset(&p, 0, sizeof p);
    p.path = path;
    p.err = err;
    p.budget = CARD_MAX_NODES;
    *out = NULL;
    if (!yaml_parser_initialize(&p.yp)) return hf_fail(err, HF_ERR_NOMEM, "out of memory");
    yaml_parser_set_input_string(&p.yp, (const unsigned char *)yaml_text, len);
    yaml_parser_set_encoding(&p.yp, YAML_UTF8_ENCODING);
    card_val *root = NULL;
    int docs = 0;
    hf_status s = HF_OK;
    for (;;) {
        yaml_event_t ev;
        if ((s = next_event(&p, &ev)) != HF_OK) break;
        yaml_event_type_t t = ev.type;
        yaml_mark_t mark = ev.start_mark;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (t == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
            yaml_event_delete(&ev);
            s = bad_at(&p, &mark, "expected a single document in the stream", NULL);
            break;
        }
        if (t == YAML_SCALAR_EVENT || t == YAML_ALIAS_EVENT || t == YAML_SEQUENCE_START_EVENT ||
            t == YAML_MAPPING_START_EVENT) {
            if ((s = parse_node(&p, &ev, 0, &root)) != HF_OK) break;
            continue;
        }
        yaml_event_delete(&ev);
    }
    for (size_t i = 0; i < p.n_anchors; i++) free(p.anchors[i].name);
    free(p.anchors);
    yaml_parser_delete(&p.yp);
    if (s != HF_OK) {
        conv_card_free(root);
        return s;
    }
    *out = root;
    return HF_OK;
}

/* ==== front matter ==== */

/* Strict UTF-8 as Python's decoder: no overlongs, surrogates or code points above U+10FFFF.
 * Returns the offset of the first bad byte, or len. */
static size_t utf8_check(const unsigned char *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) n = 1, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF) n = 2, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4) n = 3, cp = c & 0x07;
        else return i;
        for (size_t k = 1; k <= n; k++) {
            if (i + k >= len || (s[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n + 1;
    }
    return len;
}

/* Length of the line break at s (str.splitlines after universal newlines), 0 if none. */
static size_t line_break(const unsigned char *s, size_t left) {
    if (s[0] == '\r') return left > 1 && s[1] == '\n' ? 2 : 1;
    if (s[0] == '\n' || s[0] == '\v' || s[0] == '\f' || s[0] == 0x1C || s[0] == 0x1D || s[0] == 0x1E) return 1;
    if (left > 1 && s[0] == 0xC2 && s[1] == 0x85) return 2;
    if (left > 2 && s[0] == 0xE2 && s[1] == 0x80 && (s[2] == 0xA8 || s[2] == 0xA9)) return 3;
    return 0;
}

/* Appends src[0..n) to the buffer, applying gguf-py's replacements on the joined text
 * later; here just a growable byte buffer. */
typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static int buf_add(buf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) return 0;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
    return 1;
}

/* str.replace(old, new) over the whole text (non-overlapping, left to right). */
static int replace_all(buf *b, const char *old, const char *rep) {
    size_t ol = strlen(old), rl = strlen(rep);
    buf o = {0};
    size_t i = 0;
    while (i < b->n) {
        if (b->n - i >= ol && !memcmp(b->p + i, old, ol)) {
            if (!buf_add(&o, rep, rl)) goto fail;
            i += ol;
        } else {
            if (!buf_add(&o, b->p + i, 1)) goto fail;
            i++;
        }
    }
    if (!buf_add(&o, "", 0)) goto fail;
    free(b->p);
    *b = o;
    return 1;
fail:
    free(o.p);
    return 0;
}

hf_status conv_card_parse(const char *text, size_t len, const char *path, card_val **out, hf_err *err) {
    *out = NULL;
    const unsigned char *s = (const unsigned char *)text;
    size_t bad = utf8_check(s, len);
    if (bad != len) return hf_fail(err, HF_ERR_FORMAT, "%s: not valid UTF-8 (byte offset %zu)", path, bad);
    if (len == 0) return HF_OK;
    /* Lines as str.splitlines(); the first must be exactly "---". */
    size_t i = 0, line_start = 0;
    int first = 1;
    buf y = {0};
    for (;;) {
        size_t brk = i < len ? line_break(s + i, len - i) : 0;
        if (i < len && !brk) {
            i++;
            continue;
        }
        if (i == len && line_start == len && !first) break; /* no empty line after a final break */
        size_t ll = i - line_start;
        const char *line = text + line_start;
        int dashes = ll == 3 && !memcmp(line, "---", 3);
        if (first) {
            if (!dashes) return HF_OK; /* no front matter */
            first = 0;
        } else if (dashes) {
            break;
        } else if (!buf_add(&y, line, ll) || !buf_add(&y, "\n", 1)) {
            free(y.p);
            return hf_fail(err, HF_ERR_NOMEM, "out of memory");
        }
        if (i == len) break;
        i += brk;
        line_start = i;
    }
    /* "\n".join(lines) + "\n" is each line followed by "\n"; an empty list gives "\n". */
    if (!y.n && !buf_add(&y, "\n", 1)) return hf_fail(err, HF_ERR_NOMEM, "out of memory");
    if (!replace_all(&y, "- no\n", "- \"no\"\n") || !replace_all(&y, "\t", "  ")) {
        free(y.p);
        return hf_fail(err, HF_ERR_NOMEM, "out of memory");
    }
    card_val *root = NULL;
    hf_status st = parse_yaml(y.p, y.n, path, &root, err);
    free(y.p);
    if (st != HF_OK) return st;
    /* Like gguf-py, front matter that is not a mapping (empty, a list, a scalar) is ignored. */
    if (root && root->type != CARD_MAP) {
        conv_card_free(root);
        root = NULL;
    }
    *out = root;
    return HF_OK;
}

hf_status conv_card_load(const char *model_dir, card_val **out, char *path, size_t path_cap, hf_err *err) {
    *out = NULL;
    int n = snprintf(path, path_cap, "%s/README.md", model_dir);
    if (n < 0 || (size_t)n >= path_cap) return hf_fail(err, HF_ERR_ARG, "%s: path too long", model_dir);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return HF_OK; /* no model card */
    FILE *f = fopen(path, "rb");
    if (!f) return hf_fail(err, HF_ERR_IO, "%s: %s", path, strerror(errno));
    buf b = {0};
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (!buf_add(&b, chunk, got)) {
            fclose(f);
            free(b.p);
            return hf_fail(err, HF_ERR_NOMEM, "out of memory");
        }
    int rerr = ferror(f);
    fclose(f);
    if (rerr) {
        free(b.p);
        return hf_fail(err, HF_ERR_IO, "%s: read error", path);
    }
    hf_status s = conv_card_parse(b.p ? b.p : "", b.n, path, out, err);
    free(b.p);
    return s;
}
