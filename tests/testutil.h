/* testutil: helpers shared by the cmocka tests (paths, temp dirs, running the
 * CLI). Tests read the team's data from ../shared beside the repository. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

/* "<HF_SHARED_DIR>/<rel>" in a static rotating buffer (valid for a few calls). */
const char *tu_shared(const char *rel);
/* A fresh temp directory (mkdtemp under $TMPDIR or /tmp); removed by tu_rmrf. */
char *tu_tmpdir(void);
void tu_rmrf(const char *dir);
/* "<dir>/<name>" in a static rotating buffer. */
const char *tu_path(const char *dir, const char *name);
/* Runs `HF_BIN args...` through /bin/sh; returns the exit status (-1 if it died by a signal).
 * stderr is captured into *err_out (malloc'd, may be NULL to discard). */
int tu_run_cli(char **err_out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reads a whole file (malloc'd); NULL if it cannot be read. */
uint8_t *tu_read(const char *path, size_t *len);
int tu_write(const char *path, const void *data, size_t len);
int tu_exists(const char *path);
/* Number of entries in dir (excluding . and ..), to check no temp file was left. */
int tu_count_entries(const char *dir);
