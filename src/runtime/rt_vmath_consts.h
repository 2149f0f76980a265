/* rt_vmath_consts: the constants of rt_expf (rt_vmath.h), shared by the reference and the
 * SIMD paths so both run the same operations on the same values. */
#pragma once

#define RT_EXP_HI 88.72283935546875f    /* from here on +inf (log(FLT_MAX) = 88.7228390...) */
#define RT_EXP_LO (-103.972084045410f)  /* below this +0 (e^x < 2^-150) */
#define RT_LOG2E 0x1.715476p+0f
#define RT_ROUND_MAGIC 0x1.8p+23f       /* adding it rounds a float below 2^22 to an integer */
#define RT_LN2_HI 0x1.62e430p-1f        /* ln 2 rounded to float */
#define RT_LN2_LO (-0x1.05c610p-29f)    /* ln 2 - RT_LN2_HI */
/* 1/k!, the Taylor coefficients of e^r past the first two */
#define RT_EXP_C2 (1.0f / 2.0f)
#define RT_EXP_C3 (1.0f / 6.0f)
#define RT_EXP_C4 (1.0f / 24.0f)
#define RT_EXP_C5 (1.0f / 120.0f)
#define RT_EXP_C6 (1.0f / 720.0f)
#define RT_EXP_C7 (1.0f / 5040.0f)
