/* rt_repack: a loaded model's Q8_0 matrices and vectors placed once in memory of its own.
 *
 * Every matmul weight (Q/K/V or fused QKV, O, gate, up, down, output head) of type Q8_0 gets
 * its rows [0, n - n % 16) packed into the 16-row groups of the packed kernels (quant_pack.h),
 * in one aligned allocation owned by the model; rows past the last whole group keep using the
 * mapping (rt_tensor.n_packed). The vectors read at every layer (norms, biases, Q/K norms, a
 * fused Q||K||V bias) are copied into a second aligned allocation, each 64-byte aligned
 * (rt_repack.c says why); F32/F16/BF16 matrices stay mapped. The mapped pages of what was
 * placed are released with madvise, so the resident size stays about the file's. Neither step
 * changes a result: the packed kernels compute the Q8_0 dot's exact arithmetic (a fused
 * Q||K||V matrix gives each row the bits of the separate Q, K and V rows), and a copy is a
 * copy. A Q8_0 tok_embd is packed too, or shares the packed groups of the output head it is
 * tied to: token lookups unpack their row from its group (rt_get_row), so a decode reads
 * nothing through the mapping but the rows past the last whole group (rt_repack.c says why). */
#pragma once

#include "base/status.h"
#include "runtime/rt_model.h"

/* Packs m's Q8_0 matrices and copies its vectors (a no-op if already done). */
hf_status rt_model_repack(rt_model *m, hf_err *err);
