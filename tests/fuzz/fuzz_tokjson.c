/* fuzz_tokjson: tokenizer.json (and optionally tokenizer_config.json) through the tokenizer
 * export (tokx): the input is tokenizer.json, optionally followed by a NUL byte and a
 * tokenizer_config.json. It takes LlamaModel's tokenizer.json paths (LlamaHfVocab when it
 * applies, else byte-level BPE, as tokx_write_vocab with no tokenizer.model), in a model
 * directory that does not exist, so no other file is read; an unknown pre-tokenizer is
 * retried with --vocab-pre gpt-2 so the rest of the export is reached too. The staged KV
 * pairs are flushed into a writer that is never begun (nothing is written). */
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gguf/gguf.h"
#include "json/json.h"
#include "tokx/tokx.h"
#include "tokx/tokx_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static hf_status export_once(const cJSON *tok_json, const cJSON *tok_cfg, const tokx_opts *opts) {
    tokx_ctx c;
    memset(&c, 0, sizeof c);
    c.dir = "/nonexistent/hf2gguf-fuzz";
    c.tok_json = (cJSON *)tok_json;
    c.tok_json_path = "tokenizer.json";
    c.tok_cfg = (cJSON *)tok_cfg;
    c.tok_cfg_path = "tokenizer_config.json";
    hf_err err;
    hf_status st = tokx_llamahf_applies(c.tok_json) ? tokx_llamahf_export(&c, &err) : tokx_bpe_export(&c, opts, &err);
    if (st == HF_OK) {
        gguf_writer *w = gguf_w_new();
        if (w) tokx_kvs_flush(&c.kvs, w, &err);
        gguf_w_free(w);
    }
    tokx_kvs_free(&c.kvs);
    tokx_arena_free(&c.arena);
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nul = memchr(data, 0, size);
    size_t n_json = nul ? (size_t)(nul - data) : size;
    cJSON *tok_json = NULL, *tok_cfg = NULL;
    hf_err err;
    if (json_parse(&tok_json, (const char *)data, n_json, "tokenizer.json", &err) != HF_OK) return 0;
    if (nul && json_parse(&tok_cfg, (const char *)nul + 1, size - n_json - 1, "tokenizer_config.json", &err) != HF_OK)
        tok_cfg = NULL;
    if (cJSON_IsObject(tok_json) && (!tok_cfg || cJSON_IsObject(tok_cfg))) {
        if (export_once(tok_json, tok_cfg, NULL) == HF_ERR_UNSUPPORTED) {
            tokx_opts opts = {.vocab_pre = "gpt-2"};
            export_once(tok_json, tok_cfg, &opts);
        }
    }
    cJSON_Delete(tok_json);
    cJSON_Delete(tok_cfg);
    return 0;
}
