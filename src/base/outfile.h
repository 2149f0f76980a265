/* outfile: write a file under a temporary name, rename it into place only
 * when complete.
 *
 * hf_outfile_open creates "<dir>/.<base>.tmp.XXXXXX" beside the destination
 * (same filesystem, so the final rename is atomic). A destination that is a
 * symbolic link is followed (the link stays, its target gets the new file); one
 * that is a directory, or a link that cannot be resolved, is refused. An existing
 * destination is untouched until the commit. hf_outfile_commit writes what is staged,
 * closes and renames; hf_outfile_abort closes and unlinks. Either must be called exactly
 * once after a successful open. A failed write (disk full, ...) is reported by
 * hf_outfile_write or hf_outfile_commit with the destination's name.
 *
 * Atomic, not synchronous: readers see the old file or the whole new one, never a part, but
 * the commit does not wait for the disk (no fsync), as neither cp nor llama.cpp's converter
 * does. On this VM's disk any fsync of a 346 MiB output, of the file or of its directory,
 * waited 0.2-0.25 s for the disk to take every byte: a quarter of a conversion. Run `sync`
 * when the file must survive a power cut the moment the command returns. (ext4 by default
 * commits the rename only after the data it replaces the old file with.)
 *
 * Every open outfile's temp path is kept in a small process-wide registry (the
 * one piece of global state we accept: signal handlers cannot receive a
 * context), so that a program's SIGINT/SIGTERM/SIGHUP handler can remove them
 * with hf_outfile_unlink_all_tmp. The library installs no handler: that is the
 * program's decision (the CLI installs one, cli/main.c).
 *
 * Writes are staged in an aligned buffer and reach the kernel in whole buffers. Where the
 * filesystem allows it, those go with O_DIRECT, past the page cache: copying a conversion's
 * output into the page cache (fresh pages, each faulted in) was the largest and most variable
 * part of its system time here (outfile.c). The tail that is
 * not a whole block, and every write on a filesystem that refuses O_DIRECT, go through the
 * page cache as usual. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

/* Bytes staged before a write: large enough that a direct write keeps the disk busy (a few
 * milliseconds each), a multiple of every block size. */
#define HF_OUTFILE_BUF ((size_t)4 << 20)

typedef struct hf_outfile {
    int fd;           /* -1 when not open */
    unsigned char *buf; /* staging buffer (HF_OUTFILE_BUF bytes, page aligned) */
    size_t buf_len;   /* bytes staged in buf */
    int direct;       /* whole buffers are written with O_DIRECT */
    int err_no;       /* errno of the first failed write; later writes fail at once */
    char *final_path;
    char *tmp_path;
    uint64_t written; /* bytes accepted by hf_outfile_write so far */
    uint64_t flushed; /* bytes handed to the kernel so far (the file's size) */
} hf_outfile;

hf_status hf_outfile_open(hf_outfile *of, const char *final_path, hf_err *err);
hf_status hf_outfile_write(hf_outfile *of, const void *data, size_t n, hf_err *err);
hf_status hf_outfile_write_zeros(hf_outfile *of, size_t n, hf_err *err);
hf_status hf_outfile_commit(hf_outfile *of, hf_err *err);
void hf_outfile_abort(hf_outfile *of);
/* Async-signal-safe: unlinks the temp file of every outfile open in this process. */
void hf_outfile_unlink_all_tmp(void);
