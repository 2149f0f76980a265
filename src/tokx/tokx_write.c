/* tokx_write: tokx_write_vocab, the entry point: loads the tokenizer files, picks the
 * vocabulary path the model class of llama.cpp's converter would take, stages the KV pairs
 * and hands them to the GGUF writer. */
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "tokx/tokx_internal.h"

/* How a model family's set_vocab chooses its vocabulary (convert_hf_to_gguf's model
 * classes). Add a row for a new family; config.json model_type selects it, the last row
 * (NULL) is the default. */
typedef struct vocab_flow {
    const char *model_type;
    int bpe_first;          /* TextModel.set_vocab (gpt2) whenever tokenizer.json exists */
    int try_llamahf;        /* LlamaModel: tokenizer.model, else LlamaHfVocab, else gpt2 */
    int add_space_prefix;   /* LlamaModel writes tokenizer_config's add_prefix_space first */
    int llama_vocab_quirks; /* LlamaModel: CodeLlama (32016) eot id, granite (49152) add_bos=false */
} vocab_flow;

static const vocab_flow FLOWS[] = {
    {"qwen2", 0, 0, 0, 0}, /* Qwen2Model: tokenizer.model, else gpt2 */
    {"qwen3", 0, 0, 0, 0}, /* Qwen3Model inherits Qwen2Model.set_vocab */
    /* Phi2Model and StarCoder2Model (TextModel.set_vocab) and StableLMModel take the gpt2 path
     * when tokenizer.json exists. With only a tokenizer.model llama.cpp fails (it needs
     * transformers' AutoTokenizer, or StableLM's Qwen tokenizer); we export the SentencePiece
     * vocabulary instead, which is what its _set_vocab_sentencepiece would write. */
    {"phi", 1, 0, 0, 0},
    {"starcoder2", 1, 0, 0, 0},
    {"stablelm", 1, 0, 0, 0},
    {NULL, 0, 1, 1, 1},    /* LlamaModel (llama, mistral, ...) */
};

static const vocab_flow *pick_flow(const cJSON *config) {
    const cJSON *mt = json_get(config, "model_type");
    size_t i = 0;
    for (; FLOWS[i].model_type; i++)
        if (cJSON_IsString(mt) && !strcmp(mt->valuestring, FLOWS[i].model_type)) break;
    return &FLOWS[i];
}

/* Loads name into *out when the file exists (NULL otherwise). */
static hf_status load_optional(tokx_ctx *c, const char *name, cJSON **out, char **path_out, hf_err *err) {
    const char *path = tokx_path(c, name);
    *out = NULL;
    if (!path) return hf_fail(err, HF_ERR_NOMEM, "tokenizer export: out of memory");
    *path_out = (char *)path;
    if (!tokx_is_file(path)) return HF_OK;
    return json_load_object(out, path, err);
}

static hf_status llama_prelude(tokx_ctx *c, hf_err *err) {
    const char *tekken = tokx_path(c, "tekken.json");
    if (tekken && tokx_is_file(tekken) && !c->tok_json)
        return hf_fail(err, HF_ERR_UNSUPPORTED, "%s: Mistral-format tokenizer (tekken.json) is not supported", tekken);
    const cJSON *cls = json_get(c->tok_cfg, "tokenizer_class");
    if (cJSON_IsString(cls) && !strcmp(cls->valuestring, "HybridDNATokenizer"))
        return hf_fail(err, HF_ERR_UNSUPPORTED, "%s: tokenizer_class HybridDNATokenizer is not supported",
                       c->tok_cfg_path);
    const cJSON *aps = json_get(c->tok_cfg, "add_prefix_space");
    if (aps && !cJSON_IsNull(aps)) {
        if (!cJSON_IsBool(aps))
            return hf_fail(err, HF_ERR_FORMAT, "%s: key 'add_prefix_space': expected a boolean, found %s",
                           c->tok_cfg_path, json_type_name(aps));
        return tokx_kvs_set_bool(&c->kvs, "tokenizer.ggml.add_space_prefix", cJSON_IsTrue(aps), err);
    }
    return HF_OK;
}

/* LlamaModel.set_vocab's vocab-size special cases after the vocabulary. */
static hf_status llama_quirks(tokx_ctx *c, hf_err *err) {
    const cJSON *vs = tokx_hparam(c->config, "vocab_size");
    double n = json_is_integer(vs) ? vs->valuedouble : 32000;
    /* CodeLlama: a second SpecialVocab sets eot = 32010 unless the files name one (its
     * prefix/suffix/middle ids have no GGUF handler and are dropped). */
    if (n == 32016 && !tokx_kvs_find(&c->kvs, "tokenizer.ggml.eot_token_id"))
        return tokx_kvs_set_u32(&c->kvs, "tokenizer.ggml.eot_token_id", 32010, err);
    if (n == 49152) return tokx_kvs_set_bool(&c->kvs, "tokenizer.ggml.add_bos_token", 0, err); /* granite */
    return HF_OK;
}

static hf_status export_vocab(tokx_ctx *c, const vocab_flow *flow, const tokx_opts *opts, hf_err *err) {
    hf_status st = HF_OK;
    if (flow->add_space_prefix && (st = llama_prelude(c, err)) != HF_OK) return st;
    const char *spm = tokx_path(c, "tokenizer.model");
    if (!spm) return hf_fail(err, HF_ERR_NOMEM, "tokenizer export: out of memory");
    if (flow->bpe_first && c->tok_json) st = tokx_bpe_export(c, opts, err);
    else if (tokx_is_file(spm)) st = tokx_spm_export(c, spm, err);
    else if (!c->tok_json)
        return hf_fail(err, HF_ERR_FORMAT, "%s: no tokenizer found (expected tokenizer.model or tokenizer.json)",
                       c->dir);
    else if (flow->try_llamahf && tokx_llamahf_applies(c->tok_json)) st = tokx_llamahf_export(c, err);
    else st = tokx_bpe_export(c, opts, err);
    if (st == HF_OK && flow->llama_vocab_quirks) st = llama_quirks(c, err);
    return st;
}

hf_status tokx_write_vocab(gguf_writer *w, const char *model_dir, const cJSON *config, const tokx_opts *opts,
                           hf_err *err) {
    tokx_ctx c;
    memset(&c, 0, sizeof(c));
    c.dir = model_dir;
    c.config = config;
    hf_status st = load_optional(&c, "tokenizer.json", &c.tok_json, &c.tok_json_path, err);
    if (st == HF_OK) st = load_optional(&c, "tokenizer_config.json", &c.tok_cfg, &c.tok_cfg_path, err);
    if (st == HF_OK) st = export_vocab(&c, pick_flow(config), opts, err);
    if (st == HF_OK) st = tokx_kvs_flush(&c.kvs, w, err);
    tokx_kvs_free(&c.kvs);
    cJSON_Delete(c.tok_json);
    cJSON_Delete(c.tok_cfg);
    tokx_arena_free(&c.arena);
    return st;
}
