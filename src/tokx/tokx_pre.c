/* tokx_pre: which llama.cpp pre-tokenizer name ("tokenizer.ggml.pre") a byte-level BPE
 * tokenizer.json gets.
 *
 * llama.cpp encodes a check string with the HF tokenizer and looks the SHA-256 of the ids up
 * in a table (get_vocab_base_pre). We cannot run the HF tokenizer, so we recognise a
 * tokenizer by what determines those ids: its pre-tokenizer chain (reduced to a signature
 * string) and its merges (count + FNV-1a 64 fingerprint). A tokenizer matching no row is an
 * error that suggests --vocab-pre, as llama.cpp itself refuses tokenizers it does not know.
 *
 * How to add a tokenizer: convert it once with llama.cpp to learn the name, run hf2gguf on
 * it with --vocab-pre NAME (or read the error message, which prints the signature and the
 * fingerprint), and add a row. docs/tokenizer-export.md has the details. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json/json.h"
#include "tokx/tokx_internal.h"

typedef struct pre_row {
    const char *name;      /* llama.cpp's tokenizer.ggml.pre */
    const char *signature; /* pre_signature() of the tokenizer.json pre_tokenizer */
    uint64_t n_merges;
    uint64_t fingerprint;  /* tokx_merges_fingerprint of the "a b" merges */
    const char *source;    /* where the row's numbers come from */
} pre_row;

#define RE_LLAMA3                                                                                           \
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|" \
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
#define RE_QWEN2                                                                                         \
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|" \
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
#define RE_QWEN35                                                                                              \
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+" \
    "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"

static const pre_row PRE_TABLE[] = {
    {"llama-bpe", "Split(Regex:" RE_LLAMA3 ",Isolated,0)|ByteLevel(0,0)", 280147, 0x418150f3f6746ab1ull,
     "Meta-Llama-3 tokenizer.json; merges = ggml-vocab-llama-bpe.gguf"},
    {"qwen2", "Split(Regex:" RE_QWEN2 ",Isolated,0)|ByteLevel(0,0)", 151387, 0x891687f62ed8cbd2ull,
     "Qwen3 tokenizer.json (Qwen1.5..Qwen3 share it); merges = ggml-vocab-qwen2.gguf"},
    {"qwen35", "Split(Regex:" RE_QWEN35 ",Isolated,0)|ByteLevel(0,0)", 151387, 0x891687f62ed8cbd2ull,
     "regex from llama-vocab.cpp's QWEN35 comment; merges = ggml-vocab-qwen35.gguf"},
    {"gpt-2", "ByteLevel(0,1)", 50000, 0xe9cb995b5ed1931eull, "openai-community/gpt2; merges = ggml-vocab-gpt-2.gguf"},
    {"starcoder", "Digits(1)|ByteLevel(0,1)", 48872, 0xe680b79eda65b03bull,
     "starcoder2 Digits+ByteLevel chain; merges = ggml-vocab-starcoder.gguf"},
    {"falcon", "Punctuation|ByteLevel(0,1)|Digits(0)|Split(Regex:[0-9][0-9][0-9],Isolated,0)", 64784,
     0x6d9e5774e17ee8fbull, "falcon-7b chain (public tokenizer.json copies); merges = ggml-vocab-falcon.gguf"},
};

uint64_t tokx_merges_fingerprint(const char *const *merges, const uint64_t *lens, uint64_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint64_t i = 0; i < n; i++) {
        for (uint64_t j = 0; j < lens[i]; j++) {
            h ^= (unsigned char)merges[i][j];
            h *= 0x100000001b3ull;
        }
        h ^= '\n';
        h *= 0x100000001b3ull;
    }
    return h;
}

/* A growing signature buffer; overflow is reported by the caller as "no match". */
typedef struct sig {
    char buf[2048];
    size_t len;
    int overflow;
} sig;

static void sig_put(sig *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sig_put(sig *s, const char *fmt, ...) {
    if (s->overflow) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s->buf + s->len, sizeof(s->buf) - s->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(s->buf) - s->len) s->overflow = 1;
    else s->len += (size_t)n;
}

static int flag(const cJSON *o, const char *key, int dflt) {
    const cJSON *v = json_get(o, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : dflt;
}

static const char *str_or(const cJSON *o, const char *key, const char *dflt) {
    const cJSON *v = json_get(o, key);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

/* The parts of a pre-tokenizer that change token ids, as "Type(params)" joined by '|';
 * Sequences are flattened. Unknown types contribute their name only. */
static void pre_signature(const cJSON *p, sig *s) {
    const char *type = str_or(p, "type", "?");
    if (!strcmp(type, "Sequence")) {
        const cJSON *list = json_get(p, "pretokenizers");
        for (const cJSON *it = list ? list->child : NULL; it; it = it->next) pre_signature(it, s);
        return;
    }
    if (s->len) sig_put(s, "|");
    if (!strcmp(type, "ByteLevel")) {
        /* tokenizers' defaults: add_prefix_space true, use_regex true */
        sig_put(s, "ByteLevel(%d,%d)", flag(p, "add_prefix_space", 1), flag(p, "use_regex", 1));
    } else if (!strcmp(type, "Split")) {
        const cJSON *pat = json_get(p, "pattern");
        const char *kind = json_get(pat, "Regex") ? "Regex" : "String";
        sig_put(s, "Split(%s:%s,%s,%d)", kind, str_or(pat, kind, ""), str_or(p, "behavior", "?"),
                flag(p, "invert", 0));
    } else if (!strcmp(type, "Digits")) {
        sig_put(s, "Digits(%d)", flag(p, "individual_digits", 0));
    } else {
        sig_put(s, "%s", type);
    }
}

static void known_names(char *out, size_t cap) {
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(PRE_TABLE) / sizeof(PRE_TABLE[0]); i++) {
        int n = snprintf(out + len, cap - len, "%s%s", i ? ", " : "", PRE_TABLE[i].name);
        if (n < 0 || (size_t)n >= cap - len) return;
        len += (size_t)n;
    }
}

hf_status tokx_pre_detect(tokx_ctx *c, const char **pre, hf_err *err) {
    const char **merges;
    uint64_t *lens, n;
    hf_status st = tokx_load_merges(c, &merges, &lens, &n, err);
    if (st != HF_OK) return st;
    sig s = {.len = 0};
    const cJSON *p = json_get(c->tok_json, "pre_tokenizer");
    if (p && !cJSON_IsNull(p)) pre_signature(p, &s);
    uint64_t fp = tokx_merges_fingerprint(merges, lens, n);
    int same_pre = 0;
    for (size_t i = 0; i < sizeof(PRE_TABLE) / sizeof(PRE_TABLE[0]); i++) {
        const pre_row *r = &PRE_TABLE[i];
        if (s.overflow || strcmp(r->signature, s.buf)) continue;
        same_pre = 1;
        if (r->n_merges == n && r->fingerprint == fp) {
            *pre = r->name;
            return HF_OK;
        }
    }
    char names[256];
    known_names(names, sizeof(names));
    return hf_fail(err, HF_ERR_UNSUPPORTED,
                   "%s: BPE pre-tokenizer not recognized (%s; pre_tokenizer %.160s%s, %llu merges, fingerprint "
                   "%016llx). llama.cpp names it by hashing the HF tokenizer's output, which hf2gguf cannot run; "
                   "if you know llama.cpp's name for this tokenizer, pass --vocab-pre NAME (known here: %s)",
                   c->tok_json_path,
                   same_pre ? "its pre-tokenizer is known but its merges differ from every known model"
                            : "unknown pre-tokenizer chain",
                   s.len ? s.buf : "(none)", s.len > 160 ? "..." : "", (unsigned long long)n,
                   (unsigned long long)fp, names);
}
