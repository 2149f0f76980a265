/* conv: the driver. Reads the model directory, plans, then writes the GGUF in
 * llama.cpp's KV order:
 *   general.architecture, general.alignment (only with a non-default
 *   conv_opts.alignment), general.type, sampling/name/... metadata,
 *   {arch}.* hparams and general.file_type, arch extras,
 *   general.quantization_version, tokenizer.* (the vocab callback),
 * followed by the tensor infos and data in plan order. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "convert/conv_internal.h"
#include "json/json.h"

#define GGML_QUANT_VERSION 2

/* config.json as llama.cpp reads it without transformers: a multimodal
 * wrapper's "text_config" is merged over the top level. */
static hf_status load_config(const char *dir, char *path, size_t cap, cJSON **cfg, hf_err *err) {
    snprintf(path, cap, "%s/config.json", dir);
    struct stat st;
    if (stat(path, &st) != 0) return hf_fail(err, HF_ERR_IO, "%s: missing (every HF model directory has one)", path);
    hf_status s = json_load_object(cfg, path, err);
    if (s != HF_OK) return s;
    cJSON *text = cJSON_GetObjectItemCaseSensitive(*cfg, "text_config");
    if (!cJSON_IsObject(text)) return HF_OK;
    const cJSON *e;
    cJSON_ArrayForEach(e, text) {
        cJSON *dup = cJSON_Duplicate(e, 1);
        if (!dup) return hf_fail(err, HF_ERR_NOMEM, "out of memory");
        if (cJSON_GetObjectItemCaseSensitive(*cfg, e->string)) cJSON_ReplaceItemInObjectCaseSensitive(*cfg, e->string, dup);
        else cJSON_AddItemToObject(*cfg, e->string, dup);
    }
    return HF_OK;
}

static hf_status find_arch(const cJSON *cfg, const char *path, const arch_def **out, hf_err *err) {
    const cJSON *archs = json_get(cfg, "architectures");
    if (!cJSON_IsArray(archs) || !cJSON_IsString(cJSON_GetArrayItem(archs, 0)))
        return hf_fail(err, HF_ERR_FORMAT, "%s: key 'architectures': expected a list of HF class names, found %s",
                       path, json_type_name(archs));
    const char *cls = cJSON_GetArrayItem(archs, 0)->valuestring;
    *out = arch_find(cls);
    char list[1024];
    if (!*out)
        return hf_fail(err, HF_ERR_UNSUPPORTED, "%s: architecture '%s' is not supported (supported: %s)", path, cls,
                       arch_supported_list(list, sizeof list));
    return HF_OK;
}

typedef struct run_state {
    cJSON *cfg;
    char cfg_path[PATH_MAX];
    const arch_def *arch;
    arch_hparams hp;
    st_model *model;
    conv_plan plan;
    conv_meta meta;
    gguf_writer *w;
    conv_outtype outtype;
} run_state;

static void run_state_free(run_state *r) {
    gguf_w_free(r->w); /* removes the temp file if not finished */
    conv_meta_free(&r->meta);
    conv_plan_free(&r->plan);
    st_model_close(r->model);
    cJSON_Delete(r->cfg);
}

/* The weights are needed for conversion; for --vocab-only only to resolve "auto",
 * and a directory without weights then means F16, as in llama.cpp. */
static hf_status open_weights(run_state *r, const conv_opts *o, hf_err *err) {
    if (o->vocab_only && o->outtype != CONV_OUT_AUTO) return HF_OK;
    hf_err ignored;
    hf_status s = st_model_open(&r->model, o->model_dir, o->vocab_only ? &ignored : err);
    if (s != HF_OK && o->vocab_only) s = HF_OK;
    return s;
}

static hf_status add_tensor_infos(run_state *r, hf_err *err) {
    for (int64_t i = 0; i < r->plan.n; i++) {
        const conv_item *it = &r->plan.items[i];
        hf_status s = gguf_w_add_tensor(r->w, it->name, it->type, it->n_dims, it->ne, NULL, err);
        if (s != HF_OK) return s;
    }
    return HF_OK;
}

static hf_status write_kvs(run_state *r, const conv_opts *o, hf_err *err) {
    hf_status s = gguf_w_add_str(r->w, "general.architecture", r->arch->gguf_arch, err);
    /* the writer checks the value and pads with it; at 32 nothing is written, as llama.cpp does */
    if (s == HF_OK && o->alignment && o->alignment != GGUF_DEFAULT_ALIGNMENT)
        s = gguf_w_add_u32(r->w, "general.alignment", o->alignment, err);
    if (s == HF_OK) s = conv_meta_write(r->w, &r->meta, err);
    if (s == HF_OK)
        s = conv_hparams_write(r->w, r->arch, r->cfg, r->cfg_path, &r->hp, conv_file_type(r->outtype), err);
    if (s == HF_OK) s = gguf_w_add_u32(r->w, "general.quantization_version", GGML_QUANT_VERSION, err);
    if (s == HF_OK && o->write_vocab) s = o->write_vocab(r->w, o->model_dir, r->cfg, o->vocab_ctx, err);
    return s;
}

hf_status conv_run(const conv_opts *o, conv_result *res, hf_err *err) {
    run_state r;
    memset(&r, 0, sizeof r);
    memset(res, 0, sizeof *res);
    hf_status s = load_config(o->model_dir, r.cfg_path, sizeof r.cfg_path, &r.cfg, err);
    if (s == HF_OK) s = find_arch(r.cfg, r.cfg_path, &r.arch, err);
    if (s == HF_OK) s = conv_hparams_resolve(r.arch, r.cfg, r.cfg_path, &r.hp, err);
    if (s == HF_OK) s = open_weights(&r, o, err);
    if (s == HF_OK) {
        r.outtype = o->outtype;
        if (r.outtype == CONV_OUT_AUTO) r.outtype = r.model ? conv_resolve_auto(r.model) : CONV_OUT_F16;
    }
    if (s == HF_OK && !o->vocab_only)
        s = conv_plan_build(&r.plan, r.model, o->model_dir, r.arch, &r.hp, r.outtype, o->fuse_qkv, o->qkv_bias, err);
    if (s == HF_OK) s = conv_meta_load(&r.meta, o->model_dir, r.cfg, r.plan.n_params, err);
    if (s == HF_OK)
        s = conv_output_path(&r.meta, o->model_dir, o->outfile, conv_file_type_name(r.outtype), o->vocab_only,
                             res->outfile, sizeof res->outfile, err);
    if (s == HF_OK && !(r.w = gguf_w_new())) s = hf_fail(err, HF_ERR_NOMEM, "out of memory");
    if (s == HF_OK) s = write_kvs(&r, o, err);
    if (s == HF_OK) s = add_tensor_infos(&r, err);
    if (s == HF_OK) s = gguf_w_begin(r.w, res->outfile, err);
    if (s == HF_OK)
        s = conv_data_write(r.w, &r.plan, o->n_threads, o->progress, o->progress_ctx, &res->data_bytes, err);
    if (s == HF_OK) s = gguf_w_finish(r.w, err);
    if (s == HF_OK) {
        struct stat st;
        res->file_bytes = stat(res->outfile, &st) == 0 ? (uint64_t)st.st_size : 0;
        res->n_tensors = r.plan.n;
        res->n_params = r.plan.n_params;
        res->n_fused_layers = r.plan.n_fused_layers;
        res->file_type = conv_file_type(r.outtype);
        res->arch = r.arch->gguf_arch;
    }
    run_state_free(&r);
    return s;
}
