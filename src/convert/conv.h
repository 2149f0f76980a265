/* conv: the HF -> GGUF converter driver. Reads a model directory
 * (config.json + safetensors), maps and transforms tensors through the arch
 * table (arch.h), and streams a GGUF file whose bytes are those llama.cpp's
 * convert_hf_to_gguf.py (v0.5.0) writes for the same arguments.
 *
 * Order of the work (each step is one file of this module):
 *   conv_hparams.c  config.json -> resolved hparams and the {arch}.* KV pairs
 *   conv_meta.c     general.* metadata (name/basename/size_label heuristics from
 *                   the directory name and config), default output file name
 *   conv_plan.c     source tensors -> ordered output tensors: dropped buffers,
 *                   name mapping, shape checks, Q/K permute, QKV fusion, types
 *   conv_data.c     streaming tensor data: rows converted/quantized in parallel
 *   conv.c          the driver below
 *
 * The output is written through the gguf writer to a temporary file renamed
 * into place only on success; any failure leaves no file behind. */
#pragma once

#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/status.h"
#include "gguf/gguf.h"
#include "gguf/gguf_names.h"

typedef enum conv_outtype {
    CONV_OUT_AUTO = 0, /* first >=2-D bf16/f16 source tensor decides; F16 otherwise */
    CONV_OUT_F32,
    CONV_OUT_F16,
    CONV_OUT_BF16,
    CONV_OUT_Q8_0,
} conv_outtype;

/* Parses "f32", "f16", "bf16", "q8_0", "auto"; -1 if unknown. */
int conv_outtype_parse(const char *s);

/* Appends the tokenizer.* KV pairs (called where llama.cpp writes the vocab). */
typedef hf_status (*conv_vocab_fn)(gguf_writer *w, const char *model_dir, const cJSON *config, void *ctx,
                                   hf_err *err);
/* Called after each tensor is written (i counts from 1). */
typedef void (*conv_progress_fn)(void *ctx, int64_t i, int64_t n, const char *name, uint64_t bytes_done,
                                 uint64_t bytes_total);

typedef struct conv_opts {
    const char *model_dir;
    const char *outfile;      /* NULL: llama.cpp's default name inside model_dir; a directory: default name there;
                                 "{ftype}"/"{outtype}" templates are filled in */
    conv_outtype outtype;
    int fuse_qkv;
    gguf_qkv_bias qkv_bias;   /* with fuse_qkv: where the Q/K/V biases go */
    int vocab_only;
    uint32_t alignment;       /* 0 or GGUF_DEFAULT_ALIGNMENT (32): llama.cpp's layout, no general.alignment key;
                                 else a power of two written as general.alignment (u32) right after
                                 general.architecture, and the data section and every tensor aligned to it */
    int n_threads;            /* <= 0: one */
    conv_vocab_fn write_vocab; /* NULL: no tokenizer keys (only for tests of the rest) */
    void *vocab_ctx;
    conv_progress_fn progress; /* may be NULL */
    void *progress_ctx;
} conv_opts;

typedef struct conv_result {
    char outfile[4096];
    int64_t n_tensors;
    int64_t n_params;
    int64_t n_fused_layers;
    uint64_t data_bytes;    /* tensor data written */
    uint64_t file_bytes;
    uint32_t file_type;     /* general.file_type */
    const char *arch;       /* general.architecture */
} conv_result;

hf_status conv_run(const conv_opts *o, conv_result *res, hf_err *err);
