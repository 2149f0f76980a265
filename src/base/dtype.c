#include "base/dtype.h"

#include <stddef.h>

static const hf_type_traits TYPE_TABLE[HF_TYPE_COUNT] = {
    [HF_TYPE_F32] = {"f32", 1, 4},          [HF_TYPE_F16] = {"f16", 1, 2},
    [HF_TYPE_Q4_0] = {"q4_0", 32, 18},      [HF_TYPE_Q4_1] = {"q4_1", 32, 20},
    [HF_TYPE_Q5_0] = {"q5_0", 32, 22},      [HF_TYPE_Q5_1] = {"q5_1", 32, 24},
    [HF_TYPE_Q8_0] = {"q8_0", 32, 34},      [HF_TYPE_Q8_1] = {"q8_1", 32, 36},
    [HF_TYPE_Q2_K] = {"q2_K", 256, 84},     [HF_TYPE_Q3_K] = {"q3_K", 256, 110},
    [HF_TYPE_Q4_K] = {"q4_K", 256, 144},    [HF_TYPE_Q5_K] = {"q5_K", 256, 176},
    [HF_TYPE_Q6_K] = {"q6_K", 256, 210},    [HF_TYPE_Q8_K] = {"q8_K", 256, 292},
    [HF_TYPE_IQ2_XXS] = {"iq2_xxs", 256, 66}, [HF_TYPE_IQ2_XS] = {"iq2_xs", 256, 74},
    [HF_TYPE_IQ3_XXS] = {"iq3_xxs", 256, 98}, [HF_TYPE_IQ1_S] = {"iq1_s", 256, 50},
    [HF_TYPE_IQ4_NL] = {"iq4_nl", 32, 18},  [HF_TYPE_IQ3_S] = {"iq3_s", 256, 110},
    [HF_TYPE_IQ2_S] = {"iq2_s", 256, 82},   [HF_TYPE_IQ4_XS] = {"iq4_xs", 256, 136},
    [HF_TYPE_I8] = {"i8", 1, 1},            [HF_TYPE_I16] = {"i16", 1, 2},
    [HF_TYPE_I32] = {"i32", 1, 4},          [HF_TYPE_I64] = {"i64", 1, 8},
    [HF_TYPE_F64] = {"f64", 1, 8},          [HF_TYPE_IQ1_M] = {"iq1_m", 256, 56},
    [HF_TYPE_BF16] = {"bf16", 1, 2},        [HF_TYPE_TQ1_0] = {"tq1_0", 256, 54},
    [HF_TYPE_TQ2_0] = {"tq2_0", 256, 66},   [HF_TYPE_MXFP4] = {"mxfp4", 32, 17},
    [HF_TYPE_NVFP4] = {"nvfp4", 64, 36},
};

const hf_type_traits *hf_type_info(uint32_t type) {
    if (type >= HF_TYPE_COUNT || TYPE_TABLE[type].name == NULL) return NULL;
    return &TYPE_TABLE[type];
}

uint64_t hf_row_size(uint32_t type, int64_t ne0) {
    const hf_type_traits *t = hf_type_info(type);
    if (!t || ne0 < 0 || ne0 % t->blck != 0) return 0;
    return (uint64_t)(ne0 / t->blck) * t->type_size;
}
