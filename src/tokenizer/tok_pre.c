/* tok_pre: BPE pre-tokenizers — llama.cpp's regex lists per tokenizer.ggml.pre, run with PCRE2.
 *
 * llama.cpp (unicode_regex_split) applies the regexes of a pre-tokenizer one after another:
 * each splits every current segment into its matches and the gaps between them. Some of its
 * regexes are hand-written code (gpt2, llama3, qwen2, qwen35), the rest std::regex over a
 * "collapsed" text; both behave like the regexes below with these adaptations, made explicit:
 *  - whitespace is the Unicode White_Space set llama.cpp uses (WS below), not PCRE2's \s
 *    (which lacks U+0085);
 *  - (?i:'s|...) is written '[sS]|... so that no Unicode case folding (e.g. U+017F) applies,
 *    as in llama.cpp's "adapted" patterns;
 *  - the gpt2 regex gets its trailing |\s+ alternative, which llama.cpp's code implements;
 *  - \p{L}, \p{N}, \p{M}, \p{P} get the code points Unicode 15.1 added (PL, PN, PM, PP).
 * Segment ends are subject ends, so (?!\S) succeeds at the end of a segment, as llama.cpp's
 * OUT_OF_RANGE check does. Text is decoded with llama.cpp's lenient UTF-8 rules first; code
 * points PCRE2 cannot see (surrogates) are matched as U+FFFD (same class: not L/N/space).
 *
 * How to add a pre-tokenizer: add a row to PRE_TABLE with its names (as in llama-vocab.cpp's
 * tokenizer_pre comparisons), its regex list, and its flags. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok_int.h"

#define WS "\\t-\\r\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}"
#define SP "[" WS "]"
#define NSP "[^" WS "]"

/* Letters, numbers, marks and punctuation for use inside [...]: PCRE2 10.42 knows Unicode 14;
 * llama.cpp's tables are Unicode 15.1, which added exactly these code points to the classes
 * (computed by comparing both over all code points; nothing was removed). */
#define PL                                                                                                 \
    "\\p{L}\\x{1123F}-\\x{11240}\\x{11F02}\\x{11F04}-\\x{11F10}\\x{11F12}-\\x{11F33}\\x{1342F}\\x{13441}-"    \
    "\\x{13446}\\x{1B132}\\x{1B155}\\x{1DF25}-\\x{1DF2A}\\x{1E030}-\\x{1E06D}\\x{1E4D0}-\\x{1E4EB}\\x{2B739}" \
    "\\x{2EBF0}-\\x{2EE5D}\\x{31350}-\\x{323AF}"
#define PN "\\p{N}\\x{11F50}-\\x{11F59}\\x{1D2C0}-\\x{1D2D3}\\x{1E4F0}-\\x{1E4F9}"
#define PM                                                                                                 \
    "\\p{M}\\x{0CF3}\\x{0ECE}\\x{10EFD}-\\x{10EFF}\\x{11241}\\x{11F00}-\\x{11F01}\\x{11F03}\\x{11F34}-"        \
    "\\x{11F3A}\\x{11F3E}-\\x{11F42}\\x{13440}\\x{13447}-\\x{13455}\\x{1E08F}\\x{1E4EC}-\\x{1E4EF}"
#define PP "\\p{P}\\x{11B00}-\\x{11B09}\\x{11F43}-\\x{11F4F}"

#define WS_TAIL SP "+(?!" NSP ")|" SP "+"
#define CONTRACTIONS_ANYCASE "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"

#define RE_GPT2 "'s|'t|'re|'ve|'m|'ll|'d| ?[" PL "]+| ?[" PN "]+| ?[^" WS PL PN "]+|" WS_TAIL
#define RE_LLAMA3                                                                                            \
    CONTRACTIONS_ANYCASE "|[^\\r\\n" PL PN "]?[" PL "]+|[" PN "]{1,3}| ?[^" WS PL PN "]+[\\r\\n]*|" SP "*[\\r\\n]+|" \
        WS_TAIL
#define RE_QWEN2                                                                                           \
    CONTRACTIONS_ANYCASE "|[^\\r\\n" PL PN "]?[" PL "]+|[" PN "]| ?[^" WS PL PN "]+[\\r\\n]*|" SP "*[\\r\\n]+|" \
        WS_TAIL
#define RE_QWEN35                                                                                                \
    CONTRACTIONS_ANYCASE "|[^\\r\\n" PL PN "]?[" PL PM "]+|[" PN "]| ?[^" WS PL PM PN "]+[\\r\\n]*|" SP         \
                         "*[\\r\\n]+|" WS_TAIL
#define RE_PUNCT_RUN "[" PP "\\$\\+<=>\\^~\\|]+"
#define RE_PUNCT_RUN_FALCON "[" PP "\\$\\+<=>\\^~\\|`]+" /* falcon's list has the backtick too */
#define RE_DIGIT "[" PN "]"

#define MAX_NAMES 12
#define MAX_REGEX 4

typedef struct pre_row {
    const char *names[MAX_NAMES];
    const char *regex[MAX_REGEX];
    int ignore_merges, add_bos, clean_spaces;
} pre_row;

/* clean_spaces: llama.cpp sets it for every BPE vocab, then clears it for some pres. */
static const pre_row PRE_TABLE[] = {
    {{"default"}, {RE_PUNCT_RUN, RE_GPT2, RE_DIGIT "+", "[0-9][0-9][0-9]"}, 0, 0, 1},
    {{"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano"},
     {RE_LLAMA3},
     1, 1, 1},
    {{"dbrx", "smaug-bpe"}, {RE_LLAMA3}, 0, 0, 1},
    {{"falcon"}, {RE_PUNCT_RUN_FALCON, RE_GPT2, "[0-9][0-9][0-9]"}, 0, 0, 1},
    {{"gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
      "modern-bert", "mpt", "olmo"},
     {RE_GPT2},
     0, 0, 1},
    {{"jais", "exaone4"}, {RE_GPT2}, 0, 0, 1},
    {{"trillion", "granite-docling"}, {RE_GPT2}, 0, 0, 0},
    {{"starcoder", "refact", "codeshell", "exaone", "minerva-7b", "mellum2"}, {RE_DIGIT, RE_GPT2}, 0, 0, 1},
    {{"smollm", "command-r"}, {RE_DIGIT, RE_GPT2}, 0, 0, 0},
    {{"qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "hunyuan", "solar-open"}, {RE_QWEN2}, 0, 0, 0},
    {{"stablelm2", "megrez"}, {RE_QWEN2}, 0, 0, 1},
    {{"qwen35"}, {RE_QWEN35}, 0, 0, 0},
};

struct tok_pre {
    pcre2_code *re[MAX_REGEX];
    size_t n_re;
};

static const pre_row *find_row(const char *name, size_t len) {
    for (size_t r = 0; r < sizeof PRE_TABLE / sizeof PRE_TABLE[0]; r++)
        for (size_t i = 0; i < MAX_NAMES && PRE_TABLE[r].names[i]; i++)
            if (strlen(PRE_TABLE[r].names[i]) == len && memcmp(PRE_TABLE[r].names[i], name, len) == 0)
                return &PRE_TABLE[r];
    return NULL;
}

void tok_pre_free(tok_pre *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n_re; i++) pcre2_code_free(p->re[i]);
    free(p);
}

hf_status tok_pre_open(tok_pre **out, const char *name, size_t name_len, tok_pre_info *info, hf_err *err) {
    *out = NULL;
    const pre_row *row = find_row(name, name_len);
    if (!row)
        return hf_fail(err, HF_ERR_UNSUPPORTED, "BPE pre-tokenizer \"%.*s\" is not supported",
                       (int)(name_len > 60 ? 60 : name_len), name);
    tok_pre *p = calloc(1, sizeof *p);
    if (!p) return hf_fail(err, HF_ERR_NOMEM, "tokenizer: out of memory");
    for (size_t i = 0; i < MAX_REGEX && row->regex[i]; i++) {
        int code;
        PCRE2_SIZE at;
        p->re[i] = pcre2_compile((PCRE2_SPTR)row->regex[i], PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &code, &at,
                                 NULL);
        if (!p->re[i]) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(code, msg, sizeof msg);
            tok_pre_free(p);
            return hf_fail(err, HF_ERR_UNSUPPORTED, "pre-tokenizer \"%s\": regex %zu does not compile at %zu: %s",
                           row->names[0], i, (size_t)at, (const char *)msg);
        }
        p->n_re++;
    }
    info->name = row->names[0];
    info->ignore_merges = row->ignore_merges;
    info->add_bos = row->add_bos;
    info->clean_spaces = row->clean_spaces;
    *out = p;
    return HF_OK;
}

/* ==== GPT-2 byte <-> unicode alphabet ==== */

/* Printable bytes (! .. ~, ¡ .. ¬, ® .. ÿ) stand for themselves; the other 68 bytes map, in
 * byte order, to U+0100 onwards. */
static uint32_t byte_cp(uint8_t b) {
    if ((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE) return b;
    if (b <= 0x20) return 256u + b;
    if (b <= 0xA0) return 256u + 33u + (b - 0x7Fu);
    return 256u + 67u; /* 0xAD */
}

size_t tok_byte_to_unicode(uint8_t b, char out[4]) { return tok_utf8_put(byte_cp(b), out); }

int tok_unicode_to_byte(const char *s, size_t len) {
    uint32_t *cps;
    size_t n;
    if (len == 0 || len > 4 || !tok_utf8_decode(s, len, &cps, &n)) return -1;
    uint32_t cp = cps[0];
    free(cps);
    if (n != 1) return -1;
    if (cp < 256) return byte_cp((uint8_t)cp) == cp ? (int)cp : -1;
    if (cp < 256 + 33) return (int)(cp - 256);
    if (cp < 256 + 67) return (int)(0x7F + (cp - 256 - 33));
    if (cp == 256 + 67) return 0xAD;
    return -1;
}

/* ==== Splitting ==== */

typedef struct split_state {
    uint32_t *cps;    /* [n] code points */
    size_t n;
    char *subj;       /* valid UTF-8 of cps for PCRE2 */
    size_t *boff;     /* [n+1] byte offset of each code point in subj */
    size_t *cp_at;    /* [bytes+1] code point index at a byte offset (valid at boundaries) */
    size_t *segs, n_segs, cap_segs; /* segment lengths in code points */
} split_state;

static int push_seg(size_t **segs, size_t *n, size_t *cap, size_t len) {
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        size_t *s = realloc(*segs, c * sizeof(size_t));
        if (!s) return 0;
        *segs = s;
        *cap = c;
    }
    (*segs)[(*n)++] = len;
    return 1;
}

static int build_subject(split_state *s) {
    s->subj = malloc(s->n * 4 + 1);
    s->boff = malloc((s->n + 1) * sizeof(size_t));
    s->cp_at = malloc((s->n * 4 + 1) * sizeof(size_t));
    if (!s->subj || !s->boff || !s->cp_at) return 0;
    size_t at = 0;
    for (size_t i = 0; i < s->n; i++) {
        uint32_t cp = s->cps[i];
        if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = 0xFFFD;
        s->boff[i] = at;
        s->cp_at[at] = i;
        at += tok_utf8_put(cp, s->subj + at);
    }
    s->boff[s->n] = at;
    s->cp_at[at] = s->n;
    return 1;
}

/* One regex over every current segment: matches and the gaps between them become segments. */
static hf_status apply_regex(split_state *s, const pcre2_code *re, hf_err *err) {
    size_t *out = NULL, n_out = 0, cap_out = 0;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    if (!md) return hf_fail(err, HF_ERR_NOMEM, "tokenizer: out of memory");
    int ok = 1;
    size_t start = 0;
    for (size_t k = 0; k < s->n_segs && ok; k++) {
        size_t seg_end = start + s->segs[k];
        const char *subj = s->subj + s->boff[start];
        size_t subj_len = s->boff[seg_end] - s->boff[start];
        size_t pos = 0, prev = 0; /* byte offsets within the segment */
        while (ok && pos < subj_len) {
            int rc = pcre2_match(re, (PCRE2_SPTR)subj, subj_len, pos, PCRE2_NO_UTF_CHECK, md, NULL);
            if (rc < 0) break; /* no more matches (other errors cannot occur on valid UTF-8) */
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            size_t m0 = ov[0], m1 = ov[1];
            if (m1 == m0) { /* empty match: step one character (none of our regexes do this) */
                pos = m0 + tok_utf8_len((uint8_t)subj[m0]);
                continue;
            }
            size_t base = s->boff[start];
            if (m0 > prev) ok = push_seg(&out, &n_out, &cap_out, s->cp_at[base + m0] - s->cp_at[base + prev]);
            if (ok) ok = push_seg(&out, &n_out, &cap_out, s->cp_at[base + m1] - s->cp_at[base + m0]);
            prev = pos = m1;
        }
        if (ok && prev < subj_len)
            ok = push_seg(&out, &n_out, &cap_out, seg_end - s->cp_at[s->boff[start] + prev]);
        start = seg_end;
    }
    pcre2_match_data_free(md);
    if (!ok) {
        free(out);
        return hf_fail(err, HF_ERR_NOMEM, "tokenizer: out of memory while splitting");
    }
    free(s->segs);
    s->segs = out;
    s->n_segs = n_out;
    s->cap_segs = cap_out;
    return HF_OK;
}

/* Segments -> byte-level words: each code point re-encoded (llama.cpp rebuilds words from code
 * points, so invalid input bytes come out as U+FFFD), then every byte mapped to its stand-in. */
static hf_status emit_words(const split_state *s, char **words, size_t **word_len, size_t *n_words, hf_err *err) {
    char *buf = malloc(s->n * 8 + 1);
    size_t *lens = malloc((s->n_segs ? s->n_segs : 1) * sizeof(size_t));
    if (!buf || !lens) {
        free(buf);
        free(lens);
        return hf_fail(err, HF_ERR_NOMEM, "tokenizer: out of memory");
    }
    size_t at = 0, cp = 0;
    for (size_t k = 0; k < s->n_segs; k++) {
        size_t begin = at;
        for (size_t end = cp + s->segs[k]; cp < end; cp++) {
            char raw[4];
            size_t nb = tok_utf8_put(s->cps[cp], raw);
            for (size_t b = 0; b < nb; b++) at += tok_byte_to_unicode((uint8_t)raw[b], buf + at);
        }
        lens[k] = at - begin;
    }
    *words = buf;
    *word_len = lens;
    *n_words = s->n_segs;
    return HF_OK;
}

hf_status tok_pre_split(const tok_pre *p, const char *text, size_t len, char **words, size_t **word_len,
                        size_t *n_words, hf_err *err) {
    split_state s = {0};
    *words = NULL;
    *word_len = NULL;
    *n_words = 0;
    hf_status st = HF_OK;
    if (!tok_utf8_decode(text, len, &s.cps, &s.n) || !build_subject(&s))
        st = hf_fail(err, HF_ERR_NOMEM, "tokenizer: out of memory for %zu bytes of text", len);
    if (st == HF_OK && s.n > 0 && !push_seg(&s.segs, &s.n_segs, &s.cap_segs, s.n))
        st = hf_fail(err, HF_ERR_NOMEM, "tokenizer: out of memory");
    for (size_t i = 0; i < p->n_re && st == HF_OK; i++) st = apply_regex(&s, p->re[i], err);
    if (st == HF_OK) st = emit_words(&s, words, word_len, n_words, err);
    free(s.cps);
    free(s.subj);
    free(s.boff);
    free(s.cp_at);
    free(s.segs);
    return st;
}
