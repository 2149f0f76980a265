/* cli: subcommands of the hf2gguf binary. Each takes argv after the subcommand
 * name (argv[0] is the subcommand) and returns the process exit code. Only
 * this module prints user-facing messages and chooses exit codes. */
#pragma once

#include <stdint.h>

#include "quant/quant_dot.h"
#include "runtime/rt_model.h"
#include "runtime/rt_tune.h"

typedef struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} cli_command;

/* ---- argument helpers shared by the subcommands (cli_args.c) ---- */

/* Parses a whole decimal integer in [lo, hi] into *out; 0 if malformed or out of range. */
int cli_parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out);
/* The largest --alignment the writers accept: far above any mmap or SIMD need, and small
 * enough that the padding (up to N - 1 zero bytes per tensor) cannot blow up a file. */
#define CLI_MAX_ALIGNMENT (1u << 20)
/* Parses an --alignment value: a whole decimal power of two in [1, CLI_MAX_ALIGNMENT].
 * Returns 1 and sets *out, or 0 (malformed, out of range, not a power of two). */
int cli_parse_alignment(const char *s, uint32_t *out);
/* For an accepted --alignment below GGUF's default 32, prints a one-line warning to stderr:
 * such files are valid GGUF, but llama.cpp's mmap loader aborts unless the tensor data happens
 * to start 32-byte aligned. `cmd` is the subcommand name. */
void cli_warn_small_alignment(const char *cmd, uint32_t alignment);
/* The default thread count: online CPUs, capped at 16 (past that the barrier cost of the
 * small matmuls of one generated token outweighs the gain). */
int cli_default_threads(void);
/* Parses an --isa value (a tier name of quant_dot.h) that this CPU runs; 0 with a message
 * (printed here, naming `cmd` and the tiers the CPU does run) otherwise. */
int cli_parse_isa(const char *cmd, const char *s, q_isa *out);
/* The tier run and bench report ("kernels up to ..."): the best this CPU runs within max_isa,
 * then " (--isa)" when the user capped it. Returns out. */
const char *cli_tier_label(q_isa max_isa, char *out, size_t size);

/* Parses a --copy-matrices value (auto, never, always); 0 with a message naming `cmd`. */
int cli_parse_copy_matrices(const char *cmd, const char *s, rt_copy_matrices *out);
/* The --copy-matrices help lines of run and bench (one text, two commands). */
#define CLI_COPY_MATRICES_HELP \
    "  --copy-matrices auto|never|always\n" \
    "                      F32/F16/BF16 matrices: copy into huge pages at load (auto: where\n" \
    "                      transparent huge pages are on and the copy takes at most half of\n" \
    "                      the available memory) or read them through the mapping\n"

/* Parses a --gemv value (auto, few, many: rt_tune.h); 0 with a message naming `cmd`. */
int cli_parse_gemv(const char *cmd, const char *s, rt_gemv_pick *out);
/* The --gemv help lines of run and bench. */
#define CLI_GEMV_HELP \
    "  --gemv auto|few|many\n" \
    "                      how one-token matmuls read the weights: few streams per thread (1\n" \
    "                      for Q8_0, 2 for F16/BF16/F32) or many (4); auto (default): time\n" \
    "                      both on the model's matrices at load and keep the faster (the\n" \
    "                      results are the same bits either way)\n"

/* Prints "hf2gguf: <msg>" to stderr; the one error format of the CLI. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- subcommands (one file each: cmd_<name>.c) ---- */
int cmd_convert(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_fuse_qkv(int argc, char **argv);
int cmd_unfuse_qkv(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_bench(int argc, char **argv);
