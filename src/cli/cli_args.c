/* cli_args: argument helpers shared by the subcommands (contract: cli.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

int cli_default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 16 ? 16 : (int)n;
}
