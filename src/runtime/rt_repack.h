/* rt_repack: a loaded model's Q8_0 matrices and vectors placed once in memory of its own.
 *
 * Every matmul weight (Q/K/V or fused QKV, O, gate, up, down, output head) of type Q8_0 gets
 * its rows [0, n - n % 16) packed into the 16-row groups of the packed kernels (quant_pack.h),
 * in one allocation owned by the model, 2 MiB aligned and advised to huge pages
 * (rt_model.packed_huge says whether the kernel's mode grants them); rows past the last whole
 * group keep using the mapping (rt_tensor.n_packed). The vectors read at every layer (norms,
 * biases, Q/K norms, a fused Q||K||V bias) are copied into a second aligned allocation, each
 * 64-byte aligned (rt_repack.c says why). The other matrices (F32/F16/BF16) are copied into a
 * third one, advised to transparent huge pages, where the kernel offers them and the copy
 * takes at most half of the available memory (rt_copy_matrices; else they stay mapped, and
 * rt_model.matrices says why). A tied F16/BF16/F32 token table reads its rows from the head's
 * copy. The mapped pages of what was placed are released with madvise, so the resident size
 * stays about the file's. No step
 * changes a result: the packed kernels compute the Q8_0 dot's exact arithmetic (a fused
 * Q||K||V matrix gives each row the bits of the separate Q, K and V rows), and a copy is a
 * copy. A Q8_0 tok_embd is packed too, or shares the packed groups of the output head it is
 * tied to: token lookups unpack their row from its group (rt_get_row), so a decode reads
 * nothing through the mapping but the rows past the last whole group (rt_repack.c says why). */
#pragma once

#include "base/hugemem.h"
#include "base/status.h"
#include "runtime/rt_model.h"

/* Packs m's Q8_0 matrices, copies its vectors, and copies the other matrices as copy says
 * (a no-op if already done). */
hf_status rt_model_repack(rt_model *m, rt_copy_matrices copy, hf_err *err);

/* Where bytes of unpacked matrices go under copy, given the transparent huge page mode and the
 * available memory (have_avail 0: unknown, which keeps them mapped); RT_MATRICES_HUGE_PAGES
 * means "copy them". */
rt_matrix_place rt_matrix_copy_decide(rt_copy_matrices copy, size_t bytes, hf_thp_mode thp, int have_avail,
                                      uint64_t avail);
