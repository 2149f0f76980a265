/* cli_args: argument helpers shared by the subcommands (contract: cli.h). */
#include <errno.h>
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

int cli_default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 16 ? 16 : (int)n;
}
