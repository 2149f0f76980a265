/* rt_repack: a loaded model's Q8_0 matrices copied once into the 16-row groups of the packed
 * kernels (quant_pack.h).
 *
 * Every matmul weight (Q/K/V or fused QKV, O, gate, up, down, output head) of type Q8_0 gets
 * its rows [0, n - n % 16) packed into one aligned allocation owned by the model; rows past
 * the last whole group keep using the mapping (rt_tensor.n_packed). The mapped pages of packed
 * rows are released with madvise, so the resident size stays about the file's. Packing
 * changes no result: the packed kernels compute the Q8_0 dot's exact arithmetic, and a fused
 * Q||K||V matrix gives each row the bits of the separate Q, K and V rows. tok_embd stays
 * mapped (rows are looked up, not multiplied); a tied output head gets its own packed copy. */
#pragma once

#include "base/status.h"
#include "runtime/rt_model.h"

/* Packs m's Q8_0 matrices (a no-op for other types and if already packed). */
hf_status rt_model_repack(rt_model *m, hf_err *err);
