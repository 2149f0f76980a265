/* outfile: write a file under a temporary name, rename it into place only
 * when complete.
 *
 * hf_outfile_open creates "<dir>/.<base>.tmp.XXXXXX" beside the destination
 * (same filesystem, so the final rename is atomic). A destination that is a
 * symbolic link is followed (the link stays, its target gets the new file); one
 * that is a directory, or a link that cannot be resolved, is refused. An existing
 * destination is untouched until the commit. hf_outfile_commit flushes, fsyncs,
 * renames and fsyncs the directory; hf_outfile_abort closes and unlinks. Either must be
 * called exactly once after a successful open. A failed write (disk full,
 * ...) is reported by hf_outfile_write with the destination's name.
 *
 * Every open outfile's temp path is kept in a small process-wide registry (the
 * one piece of global state we accept: signal handlers cannot receive a
 * context), so that a program's SIGINT/SIGTERM/SIGHUP handler can remove them
 * with hf_outfile_unlink_all_tmp. The library installs no handler: that is the
 * program's decision (the CLI installs one, cli/main.c). */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "base/status.h"

typedef struct hf_outfile {
    FILE *fp;
    char *final_path;
    char *tmp_path;
    uint64_t written; /* bytes written so far */
    uint64_t flushed; /* bytes handed to the kernel's writeback so far (see hf_outfile_write) */
} hf_outfile;

hf_status hf_outfile_open(hf_outfile *of, const char *final_path, hf_err *err);
hf_status hf_outfile_write(hf_outfile *of, const void *data, size_t n, hf_err *err);
hf_status hf_outfile_write_zeros(hf_outfile *of, size_t n, hf_err *err);
hf_status hf_outfile_commit(hf_outfile *of, hf_err *err);
void hf_outfile_abort(hf_outfile *of);
/* Async-signal-safe: unlinks the temp file of every outfile open in this process. */
void hf_outfile_unlink_all_tmp(void);
