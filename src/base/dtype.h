/* dtype: the ggml tensor type ids used in GGUF files, with their block
 * geometry. Ids and sizes are those of ggml (ggml.h / GGML_QUANT_SIZES);
 * ids that ggml retired are absent from the table (hf_type_info returns NULL).
 *
 * This table only says how big a tensor is; the numerics of the types we
 * produce and compute with live in quant/. */
#pragma once

#include <stdint.h>

typedef enum hf_type {
    HF_TYPE_F32 = 0,
    HF_TYPE_F16 = 1,
    HF_TYPE_Q4_0 = 2,
    HF_TYPE_Q4_1 = 3,
    HF_TYPE_Q5_0 = 6,
    HF_TYPE_Q5_1 = 7,
    HF_TYPE_Q8_0 = 8,
    HF_TYPE_Q8_1 = 9,
    HF_TYPE_Q2_K = 10,
    HF_TYPE_Q3_K = 11,
    HF_TYPE_Q4_K = 12,
    HF_TYPE_Q5_K = 13,
    HF_TYPE_Q6_K = 14,
    HF_TYPE_Q8_K = 15,
    HF_TYPE_IQ2_XXS = 16,
    HF_TYPE_IQ2_XS = 17,
    HF_TYPE_IQ3_XXS = 18,
    HF_TYPE_IQ1_S = 19,
    HF_TYPE_IQ4_NL = 20,
    HF_TYPE_IQ3_S = 21,
    HF_TYPE_IQ2_S = 22,
    HF_TYPE_IQ4_XS = 23,
    HF_TYPE_I8 = 24,
    HF_TYPE_I16 = 25,
    HF_TYPE_I32 = 26,
    HF_TYPE_I64 = 27,
    HF_TYPE_F64 = 28,
    HF_TYPE_IQ1_M = 29,
    HF_TYPE_BF16 = 30,
    HF_TYPE_TQ1_0 = 34,
    HF_TYPE_TQ2_0 = 35,
    HF_TYPE_MXFP4 = 39,
    HF_TYPE_NVFP4 = 40,
    HF_TYPE_COUNT = 41,
} hf_type;

typedef struct hf_type_traits {
    const char *name;    /* ggml's name, e.g. "q8_0" */
    uint32_t blck;       /* elements per block */
    uint32_t type_size;  /* bytes per block */
} hf_type_traits;

/* NULL for ids outside the table (unknown or retired). */
const hf_type_traits *hf_type_info(uint32_t type);

/* Bytes of one row of ne0 elements; 0 if the type is unknown or ne0 is not a
 * multiple of the block size. */
uint64_t hf_row_size(uint32_t type, int64_t ne0);
