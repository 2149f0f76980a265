/* rt_repack: a loaded model's weights placed once in memory of its own, so that inference
 * reads nothing through the file mapping but tok_embd's looked-up rows.
 *
 * Every matmul weight (Q/K/V or fused QKV, O, gate, up, down, output head) of type Q8_0 gets
 * its rows [0, n - n % 16) packed into the 16-row groups of the packed kernels (quant_pack.h),
 * in one aligned allocation owned by the model; rows past the last whole group keep using the
 * mapping (rt_tensor.n_packed). Every other tensor the forward pass reads (norms, biases, Q/K
 * norms, a fused Q||K||V bias, F32/F16/BF16 matrices) is copied into a second aligned
 * allocation, each tensor 64-byte aligned (rt_repack.c says why and what it measured). The
 * mapped pages of what was placed are released with madvise, so the resident size stays about
 * the file's. Neither step changes a result: the packed kernels compute the Q8_0 dot's exact
 * arithmetic (a fused Q||K||V matrix gives each row the bits of the separate Q, K and V rows),
 * and a copy is a copy. tok_embd stays mapped (rows are looked up, not multiplied); a tied
 * output head gets its own copy. */
#pragma once

#include "base/status.h"
#include "runtime/rt_model.h"

/* Packs m's Q8_0 matrices and copies its other tensors (a no-op if already done). */
hf_status rt_model_repack(rt_model *m, hf_err *err);
