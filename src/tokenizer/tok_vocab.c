/* tok_vocab: loading a tokenizer from GGUF metadata, following llama.cpp's
 * llama_vocab::impl::load (defaults, special ids, attribute fix-ups, EOG set). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok_int.h"

#define KEY_MODEL "tokenizer.ggml.model"
#define KEY_PRE "tokenizer.ggml.pre"
#define KEY_TOKENS "tokenizer.ggml.tokens"
#define KEY_SCORES "tokenizer.ggml.scores"
#define KEY_TYPES "tokenizer.ggml.token_type"
#define KEY_MERGES "tokenizer.ggml.merges"

/* GGUF token types (tokenizer.ggml.token_type) -> attributes. */
static uint32_t attr_of_type(int64_t t) {
    switch (t) {
    case 1: return TOK_ATTR_NORMAL;
    case 2: return TOK_ATTR_UNKNOWN;
    case 3: return TOK_ATTR_CONTROL;
    case 4: return TOK_ATTR_USER_DEFINED;
    case 5: return TOK_ATTR_UNUSED;
    case 6: return TOK_ATTR_BYTE;
    default: return 0; /* undefined */
    }
}

/* ==== Lookups used by the sessions ==== */

int32_t tok__find(const tok_vocab *v, const char *s, size_t len) {
    int64_t id;
    return tok_map_get(&v->text2id, s, len, &id) ? (int32_t)id : TOK_NULL;
}

/* Merge keys are "<u32 length of left>left right-bytes" so that the (left, right) split is
 * part of the key, as in llama.cpp's map keyed by the pair. */
static size_t merge_key(char *dst, const char *l, size_t ll, const char *r, size_t rl) {
    uint32_t n = (uint32_t)ll;
    memcpy(dst, &n, 4);
    memcpy(dst + 4, l, ll);
    memcpy(dst + 4 + ll, r, rl);
    return 4 + ll + rl;
}

int64_t tok__merge_rank(const tok_vocab *v, const char *l, size_t ll, const char *r, size_t rl) {
    char small[256];
    size_t need = 4 + ll + rl;
    char *key = need <= sizeof small ? small : malloc(need);
    if (!key) return -1;
    int64_t rank;
    int found = tok_map_get(&v->merges, key, merge_key(key, l, ll, r, rl), &rank);
    if (key != small) free(key);
    return found ? rank : -1;
}

/* ==== Loading: token texts, scores, types ==== */

static hf_status load_tokens(tok_vocab *v, const gguf_file *f, hf_err *err) {
    const gguf_kv *kv;
    if (!gguf_find_kv(f, KEY_TOKENS))
        return hf_fail(err, HF_ERR_FORMAT, "%s: tokenizer vocab missing: no key %s", gguf_path(f), KEY_TOKENS);
    if (gguf_get_arr(f, KEY_TOKENS, GGUF_T_STRING, &kv, err) != HF_OK) return err ? err->code : HF_ERR_FORMAT;
    if (kv->n == 0 || kv->n > INT32_MAX)
        return hf_fail(err, HF_ERR_FORMAT, "%s: %s has %llu entries, expected 1..%d", gguf_path(f), KEY_TOKENS,
                       (unsigned long long)kv->n, INT32_MAX);
    v->n = (int32_t)kv->n;
    uint64_t total = 0;
    for (int32_t i = 0; i < v->n; i++) total += gguf_arr_str(f, kv, (uint64_t)i).len + 24;
    v->arena = malloc(total);
    v->off = malloc((size_t)v->n * sizeof *v->off);
    v->len = malloc((size_t)v->n * sizeof *v->len);
    v->score = calloc((size_t)v->n, sizeof *v->score);
    v->attr = malloc((size_t)v->n * sizeof *v->attr);
    if (!v->arena || !v->off || !v->len || !v->score || !v->attr)
        return hf_fail(err, HF_ERR_NOMEM, "%s: out of memory for %d tokens", gguf_path(f), v->n);
    hf_status st = tok_map_init(&v->text2id, (uint64_t)v->n, err);
    uint64_t at = 0;
    for (int32_t i = 0; i < v->n && st == HF_OK; i++) {
        gguf_str s = gguf_arr_str(f, kv, (uint64_t)i);
        if (s.len > UINT32_MAX - 32)
            return hf_fail(err, HF_ERR_FORMAT, "%s: token %d is %llu bytes long", gguf_path(f), i,
                           (unsigned long long)s.len);
        char *dst = v->arena + at;
        size_t n = (size_t)s.len;
        if (n == 0) /* llama.cpp renames empty tokens so that the text -> id map stays 1:1 */
            n = (size_t)snprintf(dst, 24, "[EMPTY_%d]", i);
        else
            memcpy(dst, s.ptr, n);
        v->off[i] = at;
        v->len[i] = (uint32_t)n;
        v->attr[i] = TOK_ATTR_NORMAL;
        at += n;
        st = tok_map_put(&v->text2id, dst, n, i, 1, err);
    }
    return st;
}

/* An optional per-token array must cover every token (llama.cpp: "Index out of array bounds"). */
static hf_status optional_token_array(const gguf_file *f, const char *key, const gguf_vtype *ok, size_t n_ok,
                                      int32_t n_tokens, const gguf_kv **out, hf_err *err) {
    const gguf_kv *kv = gguf_find_kv(f, key);
    *out = NULL;
    if (!kv) return HF_OK;
    int type_ok = 0;
    for (size_t i = 0; i < n_ok; i++) type_ok |= kv->type == GGUF_T_ARRAY && kv->arr_type == ok[i];
    if (!type_ok)
        return hf_fail(err, HF_ERR_FORMAT, "%s: %s has type %s%s%s, expected an array of %s", gguf_path(f), key,
                       gguf_vtype_name(kv->type), kv->type == GGUF_T_ARRAY ? " of " : "",
                       kv->type == GGUF_T_ARRAY ? gguf_vtype_name(kv->arr_type) : "", gguf_vtype_name(ok[0]));
    if (kv->n < (uint64_t)n_tokens)
        return hf_fail(err, HF_ERR_FORMAT, "%s: %s has %llu entries, expected %d (one per token)", gguf_path(f),
                       key, (unsigned long long)kv->n, n_tokens);
    *out = kv;
    return HF_OK;
}

static hf_status load_scores_and_types(tok_vocab *v, const gguf_file *f, hf_err *err) {
    static const gguf_vtype score_types[] = {GGUF_T_FLOAT32, GGUF_T_INT32};
    static const gguf_vtype type_types[] = {GGUF_T_INT32};
    const gguf_kv *scores, *types;
    hf_status st = optional_token_array(f, KEY_SCORES, score_types, 2, v->n, &scores, err);
    if (st == HF_OK) st = optional_token_array(f, KEY_TYPES, type_types, 1, v->n, &types, err);
    if (st != HF_OK) return st;
    for (int32_t i = 0; i < v->n; i++) {
        if (scores) v->score[i] = (float)gguf_arr_num(scores, (uint64_t)i);
        if (types) v->attr[i] = attr_of_type((int64_t)gguf_arr_num(types, (uint64_t)i));
    }
    return HF_OK;
}

/* BPE merges "left right": split at the first space after the first byte (llama.cpp's
 * word.find(' ', 1)); rank = index, first occurrence wins. */
static hf_status load_merges(tok_vocab *v, const gguf_file *f, hf_err *err) {
    const gguf_kv *kv;
    if (!gguf_find_kv(f, KEY_MERGES))
        return hf_fail(err, HF_ERR_FORMAT, "%s: BPE tokenizer without merges: no key %s", gguf_path(f), KEY_MERGES);
    if (gguf_get_arr(f, KEY_MERGES, GGUF_T_STRING, &kv, err) != HF_OK) return err ? err->code : HF_ERR_FORMAT;
    uint64_t total = 0;
    for (uint64_t i = 0; i < kv->n; i++) total += gguf_arr_str(f, kv, i).len + 4;
    v->merge_arena = malloc(total ? total : 1);
    if (!v->merge_arena) return hf_fail(err, HF_ERR_NOMEM, "%s: out of memory for merges", gguf_path(f));
    hf_status st = tok_map_init(&v->merges, kv->n, err);
    uint64_t at = 0;
    for (uint64_t i = 0; i < kv->n && st == HF_OK; i++) {
        gguf_str s = gguf_arr_str(f, kv, i);
        const char *sp = s.len > 1 ? memchr(s.ptr + 1, ' ', (size_t)s.len - 1) : NULL;
        if (!sp)
            return hf_fail(err, HF_ERR_FORMAT, "%s: %s[%llu] = \"%.*s\" is not \"left right\"", gguf_path(f),
                           KEY_MERGES, (unsigned long long)i, (int)(s.len > 60 ? 60 : s.len), s.ptr);
        size_t ll = (size_t)(sp - s.ptr);
        char *key = (char *)v->merge_arena + at;
        size_t n = merge_key(key, s.ptr, ll, sp + 1, (size_t)s.len - ll - 1);
        at += n;
        st = tok_map_put(&v->merges, key, n, (int64_t)i, 0, err);
    }
    return st;
}

/* ==== Special ids ==== */

typedef struct special_key {
    const char *key;
    size_t field; /* offsetof into tok_vocab */
} special_key;

static const special_key SPECIAL_KEYS[] = {
    {"tokenizer.ggml.bos_token_id", offsetof(tok_vocab, bos)},
    {"tokenizer.ggml.eos_token_id", offsetof(tok_vocab, eos)},
    {"tokenizer.ggml.eot_token_id", offsetof(tok_vocab, eot)},
    {"tokenizer.ggml.eom_token_id", offsetof(tok_vocab, eom)},
    {"tokenizer.ggml.unknown_token_id", offsetof(tok_vocab, unk)},
    {"tokenizer.ggml.seperator_token_id", offsetof(tok_vocab, sep)},
    {"tokenizer.ggml.padding_token_id", offsetof(tok_vocab, pad)},
};

static int32_t *field_of(tok_vocab *v, size_t off) { return (int32_t *)((char *)v + off); }

/* Defaults per model, then the keys; an id outside the vocab is ignored as in llama.cpp. */
static hf_status load_special_ids(tok_vocab *v, const gguf_file *f, hf_err *err) {
    v->eot = v->eom = v->sep = v->pad = TOK_NULL;
    if (v->model == TOK_MODEL_SPM) {
        v->bos = 1;
        v->eos = 2;
        v->unk = 0;
    } else {
        v->bos = v->eos = 11;
        v->unk = TOK_NULL;
    }
    for (size_t i = 0; i < sizeof SPECIAL_KEYS / sizeof SPECIAL_KEYS[0]; i++) {
        int32_t *id = field_of(v, SPECIAL_KEYS[i].field);
        if (*id >= v->n) *id = TOK_NULL;
        const gguf_kv *kv = gguf_find_kv(f, SPECIAL_KEYS[i].key);
        if (!kv) continue;
        int64_t val;
        if (gguf_get_i64(f, SPECIAL_KEYS[i].key, &val, err) != HF_OK) return err ? err->code : HF_ERR_FORMAT;
        if (val >= 0 && val < v->n) *id = (int32_t)val; /* else keep the default, as llama.cpp */
    }
    return HF_OK;
}

static hf_status optional_bool(const gguf_file *f, const char *key, int *val, hf_err *err) {
    if (!gguf_find_kv(f, key)) return HF_OK;
    return gguf_get_bool(f, key, val, err);
}

static hf_status load_flags(tok_vocab *v, const gguf_file *f, hf_err *err) {
    if (v->model == TOK_MODEL_SPM) {
        v->add_space_prefix = 1;
        v->add_bos = 1;
        v->clean_spaces = 0;
    } else {
        v->add_space_prefix = 0;
        v->add_bos = v->pre_info.add_bos;
        v->clean_spaces = v->pre_info.clean_spaces;
        v->ignore_merges = v->pre_info.ignore_merges;
    }
    v->add_eos = 0;
    hf_status st = optional_bool(f, "tokenizer.ggml.add_space_prefix", &v->add_space_prefix, err);
    if (st == HF_OK) st = optional_bool(f, "tokenizer.ggml.add_bos_token", &v->add_bos, err);
    if (st == HF_OK) st = optional_bool(f, "tokenizer.ggml.add_eos_token", &v->add_eos, err);
    return st;
}

/* ==== Attribute fix-ups and EOG (llama.cpp detects these by token text) ==== */

static void mark_control(tok_vocab *v, int32_t id) { v->attr[id] |= TOK_ATTR_CONTROL; }

/* The first token (lowest id) whose text is in the list, or TOK_NULL. */
static int32_t find_any(const tok_vocab *v, const char *const *texts) {
    int32_t best = TOK_NULL;
    for (size_t i = 0; texts[i]; i++) {
        int32_t id = tok__find(v, texts[i], strlen(texts[i]));
        if (id != TOK_NULL && (best == TOK_NULL || id < best)) best = id;
    }
    return best;
}

static const char *const EOT_TEXTS[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                                        "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]",
                                        "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>",
                                        "<end_of_utterance>", NULL};
static const char *const EOM_TEXTS[] = {"<|eom_id|>", NULL};
/* FIM markers: found tokens become CONTROL; pad/repo/file-sep also end generation. */
static const char *const FIM_PRE_TEXTS[] = {"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>",
                                            "<\xef\xbd\x9c" "fim\xe2\x96\x81" "begin\xef\xbd\x9c>", "<PRE>",
                                            "\xe2\x96\x81<PRE>", "<|code_prefix|>", "<|prefix|>", NULL};
static const char *const FIM_SUF_TEXTS[] = {"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",
                                            "<\xef\xbd\x9c" "fim\xe2\x96\x81hole\xef\xbd\x9c>", "<SUF>",
                                            "\xe2\x96\x81<SUF>", "<|code_suffix|>", "<|suffix|>", NULL};
static const char *const FIM_MID_TEXTS[] = {"<|fim_middle|>", "<fim-middle>", "<fim_middle>",
                                            "<\xef\xbd\x9c" "fim\xe2\x96\x81" "end\xef\xbd\x9c>", "<MID>",
                                            "\xe2\x96\x81<MID>", "<|code_middle|>", "<|middle|>", NULL};
static const char *const FIM_PAD_TEXTS[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]", NULL};
static const char *const FIM_REP_TEXTS[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>",
                                            "<reponame>", NULL};
static const char *const FIM_SEP_TEXTS[] = {"<|file_sep|>", NULL};
static const char *const EOG_TEXTS[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>",
                                        "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>",
                                        "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
                                        "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
                                        "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>",
                                        "[e~[", NULL};
/* gpt-oss: always rendered, never special. */
static const char *const FORCE_USER_TEXTS[] = {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>", NULL};

static void set_eog(tok_vocab *v, int32_t id) {
    if (id >= 0 && id < v->n) v->eog[id] = 1;
}

static int32_t detect_marker(tok_vocab *v, int32_t current, const char *const *texts) {
    if (current != TOK_NULL) return current;
    int32_t id = find_any(v, texts);
    if (id != TOK_NULL) mark_control(v, id);
    return id;
}

static void apply_text_rules(tok_vocab *v) {
    v->eot = detect_marker(v, v->eot, EOT_TEXTS);
    v->eom = detect_marker(v, v->eom, EOM_TEXTS);
    detect_marker(v, TOK_NULL, FIM_PRE_TEXTS);
    detect_marker(v, TOK_NULL, FIM_SUF_TEXTS);
    detect_marker(v, TOK_NULL, FIM_MID_TEXTS);
    set_eog(v, detect_marker(v, TOK_NULL, FIM_PAD_TEXTS));
    set_eog(v, detect_marker(v, TOK_NULL, FIM_REP_TEXTS));
    set_eog(v, detect_marker(v, TOK_NULL, FIM_SEP_TEXTS));
    for (size_t i = 0; EOG_TEXTS[i]; i++) {
        int32_t id = tok__find(v, EOG_TEXTS[i], strlen(EOG_TEXTS[i]));
        if (id == TOK_NULL) continue;
        set_eog(v, id);
        mark_control(v, id);
    }
    for (size_t i = 0; FORCE_USER_TEXTS[i]; i++) {
        int32_t id = tok__find(v, FORCE_USER_TEXTS[i], strlen(FORCE_USER_TEXTS[i]));
        if (id != TOK_NULL) v->attr[id] = TOK_ATTR_USER_DEFINED;
    }
    set_eog(v, v->eos);
    set_eog(v, v->eot);
    set_eog(v, v->eom);
    /* o200k_harmony / solar-open: "<|end|>" is not EOG when the call/return markers exist. */
    int32_t end = tok__find(v, "<|end|>", 7), ret = tok__find(v, "<|return|>", 10);
    int32_t call = find_any(v, (const char *const[]){"<|call|>", "<|calls|>", NULL});
    int32_t flush = tok__find(v, "<|flush|>", 9);
    if (end != TOK_NULL && v->eog[end] && call != TOK_NULL &&
        ((ret != TOK_NULL && v->eog[ret]) || (flush != TOK_NULL && v->eog[flush]))) {
        v->eog[end] = 0;
        v->attr[end] = TOK_ATTR_USER_DEFINED;
    }
    /* gemma4 / paddleocr: "</s>" is not EOG next to "<|tool_response>". */
    int32_t s_end = tok__find(v, "</s>", 4), tool = tok__find(v, "<|tool_response>", 16);
    if (s_end != TOK_NULL && tool != TOK_NULL && v->eog[s_end] && v->eog[tool]) {
        v->eog[s_end] = 0;
        v->attr[s_end] = TOK_ATTR_NORMAL;
    }
}

/* Special tokens matched in text, longest first; a stable merge sort keeps equal lengths in
 * id order so the result is deterministic (llama.cpp uses std::sort). */
static hf_status build_special_cache(tok_vocab *v, hf_err *err) {
    const uint32_t mask = TOK_ATTR_CONTROL | TOK_ATTR_USER_DEFINED | TOK_ATTR_UNKNOWN;
    v->special = malloc((size_t)v->n * sizeof(int32_t));
    if (!v->special) return hf_fail(err, HF_ERR_NOMEM, "tokenizer: out of memory");
    for (int32_t i = 0; i < v->n; i++)
        if (v->attr[i] & mask) v->special[v->n_special++] = i;
    size_t n = v->n_special;
    int32_t *tmp = malloc((n ? n : 1) * sizeof(int32_t));
    if (!tmp) return hf_fail(err, HF_ERR_NOMEM, "tokenizer: out of memory");
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) tmp[k++] = v->len[v->special[j]] > v->len[v->special[i]] ? v->special[j++]
                                                                                               : v->special[i++];
            while (i < mid) tmp[k++] = v->special[i++];
            while (j < hi) tmp[k++] = v->special[j++];
        }
        memcpy(v->special, tmp, n * sizeof(int32_t));
    }
    free(tmp);
    return HF_OK;
}

/* phi-3 (by general.name, as llama.cpp): special tokens swallow following whitespace. */
static void apply_name_rules(tok_vocab *v, const gguf_file *f) {
    gguf_str name;
    if (!gguf_find_kv(f, "general.name") || gguf_get_str(f, "general.name", &name, NULL) != HF_OK) return;
    char lower[256];
    size_t n = name.len < sizeof lower - 1 ? (size_t)name.len : sizeof lower - 1;
    for (size_t i = 0; i < n; i++) lower[i] = (char)tolower((unsigned char)name.ptr[i]);
    lower[n] = 0;
    if (!strstr(lower, "phi-3") && !strstr(lower, "phi3")) return;
    for (size_t i = 0; i < v->n_special; i++) v->attr[v->special[i]] |= TOK_ATTR_RSTRIP;
    int32_t id = tok__find(v, "</s>", 4);
    if (id != TOK_NULL) v->attr[id] |= TOK_ATTR_RSTRIP;
    static const char *const no_rstrip[] = {"<unk>", "<s>", "<|endoftext|>"};
    for (size_t i = 0; i < 3; i++) {
        id = tok__find(v, no_rstrip[i], strlen(no_rstrip[i]));
        if (id != TOK_NULL) v->attr[id] &= ~(uint32_t)TOK_ATTR_RSTRIP;
    }
}

/* ==== tok_load ==== */

static hf_status load_model_kind(tok_vocab *v, const gguf_file *f, hf_err *err) {
    gguf_str model, pre = {"default", 7};
    if (!gguf_find_kv(f, KEY_MODEL))
        return hf_fail(err, HF_ERR_FORMAT, "%s: no tokenizer: key %s missing", gguf_path(f), KEY_MODEL);
    if (gguf_get_str(f, KEY_MODEL, &model, err) != HF_OK) return err ? err->code : HF_ERR_FORMAT;
    if (gguf_find_kv(f, KEY_PRE) && gguf_get_str(f, KEY_PRE, &pre, err) != HF_OK) return err ? err->code : HF_ERR_FORMAT;
    if (model.len == 5 && memcmp(model.ptr, "llama", 5) == 0) {
        v->model = TOK_MODEL_SPM;
        snprintf(v->pre_name, sizeof v->pre_name, "default");
        return HF_OK;
    }
    if (!(model.len == 4 && memcmp(model.ptr, "gpt2", 4) == 0))
        return hf_fail(err, HF_ERR_UNSUPPORTED, "%s: %s = \"%.*s\" is not supported (expected \"llama\" or \"gpt2\")",
                       gguf_path(f), KEY_MODEL, (int)(model.len > 40 ? 40 : model.len), model.ptr);
    v->model = TOK_MODEL_BPE;
    if (pre.len == 0) pre = (gguf_str){"default", 7}; /* llama.cpp warns and uses default */
    hf_status st = tok_pre_open(&v->pre, pre.ptr, (size_t)pre.len, &v->pre_info, err);
    if (st != HF_OK) return hf_err_prefix(err, "%s: %s", gguf_path(f), KEY_PRE);
    snprintf(v->pre_name, sizeof v->pre_name, "%.*s", (int)(pre.len > 60 ? 60 : pre.len), pre.ptr);
    return HF_OK;
}

hf_status tok_load(tok_vocab **out, const gguf_file *f, hf_err *err) {
    *out = NULL;
    tok_vocab *v = calloc(1, sizeof *v);
    if (!v) return hf_fail(err, HF_ERR_NOMEM, "tokenizer: out of memory");
    hf_status st = load_model_kind(v, f, err);
    if (st == HF_OK) st = load_tokens(v, f, err);
    if (st == HF_OK) st = load_scores_and_types(v, f, err);
    if (st == HF_OK && v->model == TOK_MODEL_BPE) st = load_merges(v, f, err);
    if (st == HF_OK) st = load_flags(v, f, err);
    if (st == HF_OK) st = load_special_ids(v, f, err);
    if (st == HF_OK && !(v->eog = calloc((size_t)v->n, 1))) st = hf_fail(err, HF_ERR_NOMEM, "tokenizer: out of memory");
    if (st == HF_OK) {
        apply_text_rules(v);
        st = build_special_cache(v, err);
    }
    if (st == HF_OK) apply_name_rules(v, f);
    if (st == HF_OK && v->add_bos && v->bos == TOK_NULL)
        st = hf_fail(err, HF_ERR_FORMAT, "%s: add_bos_token is set but there is no BOS token", gguf_path(f));
    if (st == HF_OK && v->add_eos && v->eos == TOK_NULL)
        st = hf_fail(err, HF_ERR_FORMAT, "%s: add_eos_token is set but there is no EOS token", gguf_path(f));
    if (st != HF_OK) {
        tok_free(v);
        return st;
    }
    *out = v;
    return HF_OK;
}

void tok_free(tok_vocab *v) {
    if (!v) return;
    tok_pre_free(v->pre);
    free(v->arena);
    free(v->off);
    free(v->len);
    free(v->score);
    free(v->attr);
    tok_map_free(&v->text2id);
    tok_map_free(&v->merges);
    free(v->merge_arena);
    free(v->special);
    free(v->eog);
    free(v);
}

/* ==== Accessors ==== */

int32_t tok_bos(const tok_vocab *v) { return v->bos; }
int32_t tok_eos(const tok_vocab *v) { return v->eos; }
int tok_is_eog(const tok_vocab *v, int32_t id) { return id >= 0 && id < v->n && v->eog[id]; }
int32_t tok_n_vocab(const tok_vocab *v) { return v->n; }
tok_model tok_model_of(const tok_vocab *v) { return v->model; }
const char *tok_pre_name(const tok_vocab *v) { return v->pre_name; }
int tok_add_bos(const tok_vocab *v) { return v->add_bos; }
int tok_add_eos(const tok_vocab *v) { return v->add_eos; }
uint32_t tok_attr(const tok_vocab *v, int32_t id) { return id >= 0 && id < v->n ? v->attr[id] : 0; }
int32_t tok_find(const tok_vocab *v, const char *text, size_t len) { return tok__find(v, text, len); }

const char *tok_text(const tok_vocab *v, int32_t id, size_t *len) {
    if (id < 0 || id >= v->n) return NULL;
    if (len) *len = v->len[id];
    return tok__text(v, id);
}
