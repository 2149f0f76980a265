/* cli_args: argument helpers shared by the subcommands (contract: cli.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

int cli_parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return 0;
    *out = v;
    return 1;
}

int cli_parse_alignment(const char *s, uint32_t *out) {
    int64_t v;
    if (!cli_parse_int(s, 1, CLI_MAX_ALIGNMENT, &v) || (v & (v - 1))) return 0;
    *out = (uint32_t)v;
    return 1;
}

void cli_warn_small_alignment(const char *cmd, uint32_t alignment) {
    if (alignment >= 32) return;
    fprintf(stderr,
            "hf2gguf: %s: warning: --alignment %u is below 32: llama.cpp (v0.5.0) aborts loading a file with mmap "
            "unless its tensor data starts 32-byte aligned\n",
            cmd, alignment);
}

int cli_parse_isa(const char *cmd, const char *s, q_isa *out) {
    q_isa isa;
    if (!q_isa_parse(s, &isa)) {
        cli_error("%s: bad value '%s' for --isa (expected ref, avx2, avxvnni or avx512)", cmd, s);
        return 0;
    }
    if (!q_cpu_has_isa(isa)) {
        char have[64] = "";
        for (int i = 0; i < Q_ISA_COUNT; i++)
            if (q_cpu_has_isa((q_isa)i)) {
                if (*have) strcat(have, ", ");
                strcat(have, q_isa_name((q_isa)i));
            }
        cli_error("%s: --isa %s: this CPU has no kernels of that tier (it runs: %s)", cmd, s, have);
        return 0;
    }
    *out = isa;
    return 1;
}

const char *cli_tier_label(q_isa max_isa, char *out, size_t size) {
    snprintf(out, size, "%s%s", q_isa_name(q_cpu_top_isa(max_isa)), max_isa == Q_ISA_BEST ? "" : " (--isa)");
    return out;
}

int cli_parse_copy_matrices(const char *cmd, const char *s, rt_copy_matrices *out) {
    static const struct {
        const char *name;
        rt_copy_matrices mode;
    } modes[] = {{"auto", RT_COPY_AUTO}, {"never", RT_COPY_NEVER}, {"always", RT_COPY_ALWAYS}};
    for (size_t i = 0; s && i < sizeof modes / sizeof modes[0]; i++)
        if (!strcmp(s, modes[i].name)) {
            *out = modes[i].mode;
            return 1;
        }
    cli_error("%s: --copy-matrices: expected auto, never or always, got '%s'", cmd, s ? s : "");
    return 0;
}

int cli_parse_gemv(const char *cmd, const char *s, rt_gemv_pick *out) {
    if (s && rt_gemv_pick_parse(s, out)) return 1;
    cli_error("%s: --gemv: expected auto, few or many, got '%s'", cmd, s ? s : "");
    return 0;
}

int cli_default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 16 ? 16 : (int)n;
}
