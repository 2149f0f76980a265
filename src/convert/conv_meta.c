/* conv_meta: the general.* metadata llama.cpp's converter derives when no
 * model card or override file is given (gguf-py Metadata.load): name,
 * organization, basename, finetune, version and size label from config
 * "_name_or_path" and the model directory's name, general.sampling.* from
 * generation_config.json, and the default output file name.
 *
 * The heuristics below follow get_model_id_components / id_to_title; the
 * regular expressions are theirs, run through PCRE2 with Unicode classes. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
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

/* Whole-string match, as Python's re.fullmatch; `caseless` mirrors re.IGNORECASE. */
static int full_match_opt(const char *pattern, const char *s, int caseless) {
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

static int full_match(const char *pattern, const char *s) { return full_match_opt(pattern, s, 1); }

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
        int versionish = full_match_opt("v\\d+(?:\\.\\d+)*|\\d.*", w, 0);
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
    if (slash && slash != model_id && model_id[0] != '.') out->org = strndup(model_id, (size_t)(slash - model_id));
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
    hf_status s = HF_OK;
    const cJSON *nop = json_get(cfg, "_name_or_path");
    if (cJSON_IsString(nop)) {
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

hf_status conv_meta_write(gguf_writer *w, const conv_meta *m, hf_err *err) {
    hf_status s = gguf_w_add_str(w, "general.type", "model", err);
    if (s == HF_OK) s = write_sampling(w, m->gen_config, err);
    if (s == HF_OK) s = gguf_w_add_str(w, "general.name", m->name, err);
    if (s == HF_OK && m->version) s = gguf_w_add_str(w, "general.version", m->version, err);
    if (s == HF_OK && m->organization) s = gguf_w_add_str(w, "general.organization", m->organization, err);
    if (s == HF_OK && m->finetune) s = gguf_w_add_str(w, "general.finetune", m->finetune, err);
    if (s == HF_OK && m->basename) s = gguf_w_add_str(w, "general.basename", m->basename, err);
    if (s == HF_OK && m->size_label) s = gguf_w_add_str(w, "general.size_label", m->size_label, err);
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
