/* rt_tune: each kernel's GEMV layout (quant_dot.h, q_gemv_layout) chosen by timing both on the
 * model's own matrices, when a context is made.
 *
 * Why at run time: whether a one-token matmul reads DRAM fastest as one or two sequential
 * streams per thread or as four depends on the machine's memory system (quant_dot.h gives the
 * figures: the better layout on one VM ran 0.6-0.8x on another). The layouts compute the same
 * bits, so the choice changes speed only, never a logit.
 *
 * How: per kind of matrix that has two layouts (a row type's kernel, or the packed Q8_0
 * kernel), the model's matrices of that kind in decode order (layers, then the output head), up
 * to RT_TUNE_BYTES of weights, are multiplied by one token through the context's thread pool:
 * one pass to fault them in, then RT_TUNE_ROUNDS rounds of one pass per layout, the order
 * flipping each round. A layout's figure is its fastest pass (a shared machine only ever slows
 * a pass down); MANY wins only when it is faster by the margin RT_TUNE_MARGIN, else FEW, the
 * layout that reads memory in the fewest places. Why whole-model passes: on the 2-vCPU Zen 5
 * VM of 2026-12-03, passes of the first 96 or 256 MiB of Qwen2.5-0.5B's Q8_0 groups timed the
 * two layouts within 1-3% either way (a last-level cache holds part of such a pass), while the
 * whole 500 MiB put FEW ahead by 4-8%, as whole decodes did then (67.6-70.1 against 63.8-68.5
 * t/s at 1 thread); its F16 twin timed 33 against 25 ms in every run (decodes: 30-31 against
 * 35-37 t/s). That is 7 passes over the model's matrices, about 0.1 s for 500 MiB at 35 GB/s.
 * The passes are not a decode: later the same VM timed the AVX-512 Q8_0 kernel's four streams
 * 7-12% faster while decodes ran slower with them, and that kernel now offers one layout
 * (quant_pack_avx512.c says more). */
#pragma once

#include <stdint.h>

#include "base/dtype.h"
#include "base/status.h"
#include "runtime/rt_kernels.h"
#include "runtime/rt_model.h"
#include "runtime/rt_pool.h"

#define RT_TUNE_BYTES ((int64_t)2 << 30)
#define RT_TUNE_ROUNDS 3
#define RT_TUNE_MARGIN 0.95 /* MANY must take at most 95% of FEW's time */

/* How rt_ctx_new sets the GEMV layouts (rt_ctx_params.gemv). */
typedef enum rt_gemv_pick {
    RT_GEMV_TIMED = 0, /* time both where a kernel has two (the default) */
    RT_GEMV_FEW,       /* Q_GEMV_FEW everywhere, untimed */
    RT_GEMV_MANY,      /* Q_GEMV_MANY wherever a kernel has it, untimed */
} rt_gemv_pick;

/* "auto", "few", "many" <-> the picks; 0 when the name is not one. */
const char *rt_gemv_pick_name(rt_gemv_pick pick);
int rt_gemv_pick_parse(const char *name, rt_gemv_pick *out);

/* What was decided for one kind of matrix. */
typedef struct rt_gemv_choice {
    int present;            /* the model has matrices of this kind */
    q_gemv_layout layout;   /* the layout its one-token matmuls use */
    int streams;            /* that layout's streams per row range (q_dot_traits.gemv_streams) */
    int timed;              /* both layouts were timed (here, or for the context it was reused from) */
    int reused;             /* taken from an earlier context's report (rt_ctx_params.gemv_from), untimed here */
    double ms[Q_GEMV_COUNT]; /* when timed: the fastest pass of each layout */
    int64_t bytes;          /* when timed: weight bytes of a pass */
} rt_gemv_choice;

/* Kinds of matrix: a weight type's index for matrices read by rows, RT_GEMV_PACKED for Q8_0
 * matrices in 16-row groups. */
#define RT_GEMV_PACKED HF_TYPE_COUNT
#define RT_GEMV_KINDS (HF_TYPE_COUNT + 1)

typedef struct rt_gemv_report {
    rt_gemv_choice kind[RT_GEMV_KINDS];
} rt_gemv_report;

/* Sets ks->gemv[] and ks->packed_gemv for m as pick says, timing on pool where it says so, and
 * describes the outcome in *report. With from (not NULL) and pick RT_GEMV_TIMED, a kind that
 * from has, in a layout this kernel set offers, takes from's choice instead of being timed
 * again: from is an earlier context's report, at the same thread count and tier, for this
 * model or one with the same matrices in another layout (a bench's fused and unfused twins),
 * so that their runs differ by the file alone and not by a noisy timing. Fails only when out
 * of memory (HF_ERR_NOMEM). */
hf_status rt_tune_gemv(rt_kernel_set *ks, const rt_model *m, rt_pool *pool, rt_gemv_pick pick, const rt_gemv_report *from,
                       rt_gemv_report *report, hf_err *err);

/* One line for logs: "q8_0 packed: 4 streams (timed 3.1 vs 2.6 ms)", kinds joined by "; ";
 * "" when the model has no matrices. Returns buf. */
char *rt_gemv_report_text(const rt_gemv_report *report, char *buf, size_t size);
