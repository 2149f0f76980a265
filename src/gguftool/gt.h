/* gguftool: GGUF-to-GGUF tools behind `hf2gguf fuse-qkv`, `unfuse-qkv` and `diff`.
 *
 * ==== Contract ====
 * Every function here works on GGUF files only (no HF checkpoint, no arch module) and never
 * prints or exits: failures come back as hf_status plus an hf_err message; results come back
 * in caller-owned structs that the CLI turns into text. Inputs are opened read-only; outputs
 * go through the gguf writer (temp file + rename), so a failure never leaves an output or a
 * temp file behind.
 *
 * Messages of the fuse/unfuse planning start with the operation ("fuse-qkv: " or
 * "unfuse-qkv: "), then the input file, then the tensor or key and what was expected vs
 * found. Failures to open the input or write the output carry the gguf module's message,
 * which names the file.
 *
 * ==== QKV fusion ====
 * Fusing concatenates each layer's blk.N.attn_q/k/v.<weight|bias> as raw bytes Q||K||V into
 * blk.N.attn_qkv.<weight|bias> (every ggml block lies inside one row, so this is valid for
 * quantized types too); every KV pair is copied unchanged (general.alignment aside, when the
 * caller sets gt_fuse_opts.alignment). Tensor order reproduces llama.cpp's
 * converter with --fuse-qkv: the fused tensor takes the place of whichever of Q, K, V came
 * last. Unfusing splits by the {arch}.attention.* hparams; for Llama-naming architectures it
 * re-creates the converter's unfused order, for others Q, K, V go where the fused tensor was.
 * Full semantics: docs/gguf.md ("fuse-qkv", "unfuse-qkv"). */
#pragma once

#include <stdint.h>

#include "base/status.h"
#include "gguf/gguf.h"
#include "gguf/gguf_names.h"

/* ==== fuse-qkv / unfuse-qkv ==== */

/* Options of both directions; NULL means {GGUF_QKV_BIAS_FUSED, 0}. */
typedef struct gt_fuse_opts {
    gguf_qkv_bias qkv_bias; /* fuse only. FUSED: all three Q/K/V biases become attn_qkv.bias; SEPARATE: they stay */
    uint32_t alignment;     /* 0: keep the input's general.alignment (or its absence) and layout. Else the
                               output's alignment: general.alignment is set to it (in the input key's place,
                               or right after general.architecture), or left out at GGUF's default 32. Must
                               be a power of two (else HF_ERR_ARG from the writer, before any file is made) */
} gt_fuse_opts;

/* A layer fuse-qkv left alone: it lacks some Q/K/V weight, or has only some of the biases
 * (the rules of llama.cpp's prepare_qkv_fusion). */
typedef struct gt_skipped_layer {
    int layer;
    int n_weights; /* Q/K/V weights present, 0..3 */
    int n_biases;  /* Q/K/V biases present, 0..3 */
} gt_skipped_layer;

typedef struct gt_fuse_report {
    int n_fused;               /* fuse: layers whose weights became attn_qkv.weight */
    int n_split;               /* unfuse: attn_qkv.weight tensors split into Q, K, V */
    int n_skipped;             /* fuse: entries in skipped */
    gt_skipped_layer *skipped; /* fuse: in layer order; owned, see gt_fuse_report_free */
} gt_fuse_report;

/* Writes out_path: in_path with each layer's Q/K/V fused (opts NULL = fuse biases too, keep the
 * alignment). Returns HF_OK, or: HF_ERR_ARG if the paths are equal or the alignment is not a
 * power of two; HF_ERR_UNSUPPORTED if Q, K, V (or their biases) differ in type; HF_ERR_FORMAT
 * if their shapes cannot be concatenated or a layer has attn_qkv beside separate Q/K/V;
 * HF_ERR_NOMEM; or the open/write error.
 * *report is always reset and filled as far as the work went (skipped layers found before a
 * failure are listed); report may be NULL. Free it with gt_fuse_report_free in every case. */
hf_status gt_fuse_qkv(const char *in_path, const char *out_path, const gt_fuse_opts *opts, gt_fuse_report *report,
                      hf_err *err);

/* Writes out_path: in_path with each blk.N.attn_qkv.<weight|bias> split back into Q, K, V
 * (opts may be NULL; its qkv_bias is not used). Returns HF_OK, or: HF_ERR_ARG if the paths are
 * equal or the alignment is not a power of two; HF_ERR_FORMAT if the hparams are missing or
 * invalid, the fused rows do not add up to Q+K+V, or attn_qkv exists beside a separate Q/K/V
 * of the same kind; HF_ERR_UNSUPPORTED if a bias of a block type cannot be split at those
 * rows; HF_ERR_NOMEM; or the open/write error. Sets report->n_split. */
hf_status gt_unfuse_qkv(const char *in_path, const char *out_path, const gt_fuse_opts *opts, gt_fuse_report *report,
                        hf_err *err);

/* Frees report->skipped and zeroes the report; NULL is a no-op. */
void gt_fuse_report_free(gt_fuse_report *report);

/* ==== info --json ==== */

/* The whole file as pretty-printed JSON (header, every KV pair with its full value, every
 * tensor info; format in docs/gguf.md) into a malloc'ed string *out that the caller frees.
 * Fails only with HF_ERR_NOMEM. */
hf_status gt_info_json(const gguf_file *f, char **out, hf_err *err);

/* ==== diff ==== */

#define GT_DIFF_HEADER_FIELDS 6

typedef struct gt_diff_field {
    const char *what; /* "version", "alignment", "KV count", "tensor count", "data offset", "file size" */
    uint64_t a, b;
} gt_diff_field;

/* How two GGUF files differ. Indices refer to file positions (KV pairs and tensors are
 * compared position by position); a "first" index may be past the end of the shorter file. */
typedef struct gt_diff {
    int n_header;                               /* header fields that differ ...        */
    gt_diff_field header[GT_DIFF_HEADER_FIELDS]; /* ... in the order listed above        */
    int64_t n_kv;                               /* KV pairs differing in key, type or value, plus the count difference */
    int64_t first_kv;                           /* index of the first, -1 if n_kv == 0 */
    int64_t n_tensors;                          /* tensors differing in info or data, plus the count difference */
    int64_t first_tensor;                       /* index of the first, -1 if n_tensors == 0 */
    int first_tensor_data_only;                 /* 1: that tensor's infos are equal, only its data differs */
    uint64_t first_data_byte;                   /* then: offset of its first differing byte in the blob */
    int bytes_differ;  /* only when everything above is equal: the files still differ (padding) */
    uint64_t first_byte; /* then: file offset of the first differing byte */
} gt_diff;

/* Compares header, KV pairs (order, key, type, value), tensor infos and data, and (only if
 * all of these agree) the remaining bytes. Fills *d; returns the number of differences
 * counted there (0: the files are identical). Cannot fail: gguf_open validated both files. */
int64_t gt_diff_files(const gguf_file *a, const gguf_file *b, gt_diff *d);
