/* Helpers for the tokenizer-export tests (test_tokx_*.c): run tokx_write_vocab into a
 * vocab-only GGUF, compare KV pairs with llama.cpp's files element by element, hash the
 * serialized tokenizer KV section. Header-only (static) so every test binary gets a copy. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "gguf/gguf.h"
#include "json/json.h"
#include "tokx/tokx.h"

/* Exports the tokenizer of dir (config: JSON text or NULL) to out_path as a GGUF with only
 * the tokenizer KV pairs. Returns the status; err gets the message. */
static inline hf_status tt_export(const char *dir, const char *config_text, const char *vocab_pre, const char *out_path,
                           hf_err *err) {
    cJSON *config = NULL;
    if (config_text) {
        config = cJSON_Parse(config_text);
        if (!config) return hf_fail(err, HF_ERR_ARG, "test config does not parse");
    }
    tokx_opts opts = {vocab_pre};
    gguf_writer *w = gguf_w_new();
    hf_status st = tokx_write_vocab(w, dir, config, &opts, err);
    if (st == HF_OK) st = gguf_w_begin(w, out_path, err);
    if (st == HF_OK) st = gguf_w_finish(w, err);
    gguf_w_free(w);
    cJSON_Delete(config);
    return st;
}

static inline gguf_file *tt_open(const char *path) {
    gguf_file *f = NULL;
    hf_err err = {0};
    if (gguf_open(&f, path, &err) != HF_OK) fail_msg("cannot open %s: %s", path, err.msg);
    return f;
}

/* Asserts that key has the same type and value in both files; for arrays reports the
 * first differing element with its index. */
static inline void tt_assert_kv_equal(const gguf_file *ours, const gguf_file *ref, const char *key) {
    const gguf_kv *a = gguf_find_kv(ours, key), *b = gguf_find_kv(ref, key);
    if (!b) fail_msg("%s: missing in the reference file", key);
    if (!a) fail_msg("%s: missing in our output", key);
    if (a->type != b->type || a->arr_type != b->arr_type)
        fail_msg("%s: type %s/%s, reference %s/%s", key, gguf_vtype_name(a->type), gguf_vtype_name(a->arr_type),
                 gguf_vtype_name(b->type), gguf_vtype_name(b->arr_type));
    if (a->n != b->n) fail_msg("%s: %llu elements, reference has %llu", key, (unsigned long long)a->n,
                               (unsigned long long)b->n);
    if (a->type == GGUF_T_ARRAY && a->arr_type == GGUF_T_STRING) {
        for (uint64_t i = 0; i < a->n; i++) {
            gguf_str x = gguf_arr_str(ours, a, i), y = gguf_arr_str(ref, b, i);
            if (x.len != y.len || memcmp(x.ptr, y.ptr, x.len))
                fail_msg("%s[%llu]: '%.*s', reference '%.*s'", key, (unsigned long long)i, (int)x.len, x.ptr,
                         (int)y.len, y.ptr);
        }
    } else if (a->type == GGUF_T_ARRAY) {
        size_t es = gguf_vtype_size(a->arr_type);
        for (uint64_t i = 0; i < a->n; i++)
            if (memcmp(a->data + i * es, b->data + i * es, es))
                fail_msg("%s[%llu]: %g, reference %g", key, (unsigned long long)i, gguf_arr_num(a, i),
                         gguf_arr_num(b, i));
    }
    /* Bit-exact on the stored bytes, whatever the type. */
    if (a->nbytes != b->nbytes || memcmp(a->data, b->data, a->nbytes)) fail_msg("%s: value bytes differ", key);
}

/* The keys starting with "tokenizer.", in file order, as one newline-separated string. */
static inline char *tt_tokenizer_keys(const gguf_file *f) {
    size_t cap = 4096, len = 0;
    char *out = calloc(1, cap);
    for (int64_t i = 0; i < gguf_n_kv(f); i++) {
        const char *k = gguf_kv_at(f, i)->key;
        if (strncmp(k, "tokenizer.", 10)) continue;
        size_t n = strlen(k);
        if (len + n + 2 > cap) out = realloc(out, cap = 2 * cap + n);
        memcpy(out + len, k, n);
        len += n;
        out[len++] = '\n';
        out[len] = '\0';
    }
    return out;
}

/* Serialized bytes of the KV record i (key, type, value) inside the file. */
static inline void tt_kv_record(const gguf_file *f, int64_t i, const uint8_t **start, uint64_t *len) {
    const gguf_kv *kv = gguf_kv_at(f, i);
    uint64_t head = 8 + strlen(kv->key) + 4;
    if (kv->type == GGUF_T_STRING) head += 8;
    if (kv->type == GGUF_T_ARRAY) head += 4 + 8;
    *start = kv->data - head;
    *len = head + kv->nbytes;
}

/* ==== SHA-256 (FIPS 180-4), to pin serialized bytes checked against llama.cpp ==== */

static inline uint32_t tt_ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static inline void tt_sha256_block(uint32_t h[8], const uint8_t *p) {
    static const uint32_t k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
    uint32_t w[64], v[8];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = tt_ror(w[i - 15], 7) ^ tt_ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = tt_ror(w[i - 2], 17) ^ tt_ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    memcpy(v, h, sizeof(v));
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = v[7] + (tt_ror(v[4], 6) ^ tt_ror(v[4], 11) ^ tt_ror(v[4], 25)) + ((v[4] & v[5]) ^ (~v[4] & v[6])) +
                      k[i] + w[i];
        uint32_t t2 = (tt_ror(v[0], 2) ^ tt_ror(v[0], 13) ^ tt_ror(v[0], 22)) +
                      ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
        memmove(v + 1, v, 7 * sizeof(uint32_t));
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (int i = 0; i < 8; i++) h[i] += v[i];
}

/* Hex SHA-256 of n bytes. */
static inline void tt_sha256(const uint8_t *p, uint64_t n, char hex[65]) {
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    uint8_t buf[64];
    uint64_t i = 0;
    for (; n - i >= 64; i += 64) tt_sha256_block(h, p + i);
    size_t fill = (size_t)(n - i);
    memcpy(buf, p + i, fill);
    buf[fill++] = 0x80;
    if (fill > 56) {
        memset(buf + fill, 0, 64 - fill);
        tt_sha256_block(h, buf);
        fill = 0;
    }
    memset(buf + fill, 0, 56 - fill);
    for (int k = 0; k < 8; k++) buf[56 + k] = (uint8_t)((n * 8) >> (56 - 8 * k));
    tt_sha256_block(h, buf);
    for (int k = 0; k < 8; k++) snprintf(hex + 8 * k, 9, "%08x", h[k]);
}

/* Hex SHA-256 of the concatenated records of every tokenizer.* KV pair, in file order. */
static inline void tt_tokenizer_sha256(const gguf_file *f, char hex[65]) {
    uint64_t total = 0, at = 0;
    for (int pass = 0; pass < 2; pass++) {
        uint8_t *buf = pass ? malloc(total + 1) : NULL;
        for (int64_t i = 0; i < gguf_n_kv(f); i++) {
            if (strncmp(gguf_kv_at(f, i)->key, "tokenizer.", 10)) continue;
            const uint8_t *p;
            uint64_t n;
            tt_kv_record(f, i, &p, &n);
            if (pass) memcpy(buf + at, p, n), at += n;
            else total += n;
        }
        if (pass) {
            tt_sha256(buf, total, hex);
            free(buf);
        }
    }
}

/* A temp model directory with symlinks to shared files and small written ones. */
static inline void tt_link(const char *dir, const char *name, const char *target) {
    if (symlink(target, tu_path(dir, name)) != 0) fail_msg("symlink %s failed", name);
}

static inline void tt_write_text(const char *dir, const char *name, const char *text) {
    if (tu_write(tu_path(dir, name), text, strlen(text)) != 0) fail_msg("cannot write %s", name);
}
