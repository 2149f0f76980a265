#include "base/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- registry of live temp files -------------------------------------------
 * Fixed-size table of temp paths so that hf_outfile_unlink_all_tmp, called from a
 * signal handler, needs no allocation or lock. */
#define MAX_LIVE_TMP 16
static char *volatile live_tmp[MAX_LIVE_TMP];

void hf_outfile_unlink_all_tmp(void) {
    for (int i = 0; i < MAX_LIVE_TMP; i++)
        if (live_tmp[i]) unlink(live_tmp[i]);
}

static void register_tmp(char *path) {
    for (int i = 0; i < MAX_LIVE_TMP; i++)
        if (!live_tmp[i]) {
            live_tmp[i] = path;
            return;
        }
}

static void unregister_tmp(char *path) {
    for (int i = 0; i < MAX_LIVE_TMP; i++)
        if (live_tmp[i] == path) live_tmp[i] = NULL;
}

/* ---- API --------------------------------------------------------------------- */

/* Direct writes need the buffer, the length and the file offset aligned to the device's
 * logical block (512 or 4096 bytes on the disks we know of); a page covers both. */
#define OUT_ALIGN 4096

/* Why direct: on this VM a 346 MiB conversion spent 0.25-0.9 s of system time copying its
 * output into the page cache (copy_folio_from_iter, 12-48% of samples), most of the run-to-run
 * spread; `dd` of the same size took 0.29-0.52 s with O_DIRECT and 0.56-1.27 s buffered with
 * the fsync. Returns whether O_DIRECT is on; a filesystem without it (tmpfs on older kernels)
 * refuses here or at the first write, and the file is written through the page cache. */
static int enable_direct(int fd) {
#if defined(O_DIRECT)
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && fcntl(fd, F_SETFL, fl | O_DIRECT) == 0;
#else
    (void)fd;
    return 0;
#endif
}

/* The path the file will really be written to: a symlink is followed (the link stays and its
 * target gets the new content, as `cp` or a compiler's -o would); a directory or a dangling
 * link is refused. *owned receives a malloc'd resolved path, or NULL to use final_path. */
static hf_status resolve_destination(const char *final_path, char **owned, hf_err *err) {
    struct stat st;
    *owned = NULL;
    if (lstat(final_path, &st) != 0) return HF_OK; /* does not exist yet */
    if (S_ISDIR(st.st_mode)) return hf_fail(err, HF_ERR_IO, "%s: is a directory, not an output file", final_path);
    if (!S_ISLNK(st.st_mode)) return HF_OK;
    *owned = realpath(final_path, NULL);
    if (!*owned)
        return hf_fail(err, HF_ERR_IO, "%s: is a symbolic link whose target cannot be resolved: %s", final_path,
                       strerror(errno));
    if (stat(*owned, &st) == 0 && S_ISDIR(st.st_mode)) {
        hf_status s = hf_fail(err, HF_ERR_IO, "%s: links to a directory (%s), not an output file", final_path, *owned);
        free(*owned);
        *owned = NULL;
        return s;
    }
    return HF_OK;
}

/* Frees what an outfile owns and drops its temp path from the registry (a path not
 * registered is simply not found); leaves it closed and zeroed. */
static void release(hf_outfile *of) {
    unregister_tmp(of->tmp_path);
    free(of->final_path);
    free(of->tmp_path);
    free(of->buf);
    memset(of, 0, sizeof *of);
    of->fd = -1;
}

hf_status hf_outfile_open(hf_outfile *of, const char *requested_path, hf_err *err) {
    memset(of, 0, sizeof *of);
    of->fd = -1;
    char *resolved;
    hf_status rs = resolve_destination(requested_path, &resolved, err);
    if (rs != HF_OK) return rs;
    const char *final_path = resolved ? resolved : requested_path;
    size_t n = strlen(final_path);
    const char *slash = strrchr(final_path, '/');
    size_t dirlen = slash ? (size_t)(slash - final_path) + 1 : 0;
    of->final_path = strdup(final_path);
    of->tmp_path = malloc(n + 32);
    if (posix_memalign((void **)&of->buf, OUT_ALIGN, HF_OUTFILE_BUF) != 0) of->buf = NULL;
    free(resolved);
    final_path = of->final_path;
    if (!of->final_path || !of->tmp_path || !of->buf) {
        release(of);
        return hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", requested_path);
    }
    snprintf(of->tmp_path, n + 32, "%.*s.%s.tmp.XXXXXX", (int)dirlen, final_path, final_path + dirlen);
    /* Creating the file and registering it is one step for a cleanup handler: a signal
     * between the two would leave an unregistered temp file behind. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int fd = mkstemp(of->tmp_path);
    if (fd >= 0) register_tmp(of->tmp_path);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (fd < 0) {
        int e = errno;
        release(of);
        return hf_fail(err, HF_ERR_IO, "%s: cannot create output file: %s", requested_path, strerror(e));
    }
    /* mkstemp creates 0600; give the output the mode a plain open() would (0666 & ~umask).
     * A failure is not fatal: the content is still right, only the mode differs. */
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(fd, 0666 & ~mask);
    of->fd = fd;
    of->direct = enable_direct(fd);
    return HF_OK;
}

/* Writes all n bytes at the file's position; -1 with errno set on failure. */
static int write_all(int fd, const unsigned char *p, size_t n) {
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return -1;
        if (k == 0) {
            errno = EIO;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Turns O_DIRECT off: for the tail, and after a filesystem refused a direct write. */
static void disable_direct(hf_outfile *of) {
    int fl = fcntl(of->fd, F_GETFL);
    if (fl >= 0) (void)fcntl(of->fd, F_SETFL, fl & ~O_DIRECT);
    of->direct = 0;
}

/* Hands buf[0, n) to the kernel. Direct writes need whole blocks at block offsets (n and the
 * file position are multiples of OUT_ALIGN whenever direct is on); one the filesystem refuses
 * (EINVAL) is written again through the page cache, and so is everything after it. */
static int write_out(hf_outfile *of, const unsigned char *p, size_t n) {
    int rc = write_all(of->fd, p, n);
    if (rc != 0 && of->direct && errno == EINVAL) {
        /* the kernel may have taken some blocks before refusing: go on from where the file ends */
        const off_t pos = lseek(of->fd, 0, SEEK_CUR);
        if (pos < 0 || (uint64_t)pos < of->flushed || (uint64_t)pos - of->flushed > n) return -1;
        const size_t done = (size_t)((uint64_t)pos - of->flushed);
        disable_direct(of);
        rc = write_all(of->fd, p + done, n - done);
    }
    if (rc != 0) return -1;
    of->flushed += n;
    return 0;
}

/* Writes the staged bytes. Before the end only whole buffers are written; at the end the
 * whole blocks go first and the rest through the page cache. */
static int flush_staged(hf_outfile *of, int at_end) {
    const size_t n = of->buf_len, head = at_end && of->direct ? n - n % OUT_ALIGN : n;
    if (head && write_out(of, of->buf, head) != 0) return -1;
    if (head < n) {
        disable_direct(of);
        if (write_out(of, of->buf + head, n - head) != 0) return -1;
    }
    of->buf_len = 0;
    return 0;
}

static hf_status write_failed(hf_outfile *of, hf_err *err) {
    return hf_fail(err, HF_ERR_IO, "%s: write failed after %llu bytes: %s", of->final_path,
                   (unsigned long long)of->flushed, strerror(of->err_no));
}

hf_status hf_outfile_write(hf_outfile *of, const void *data, size_t n, hf_err *err) {
    if (of->err_no) return write_failed(of, err);
    const unsigned char *p = data;
    while (n) {
        size_t k = HF_OUTFILE_BUF - of->buf_len;
        if (k > n) k = n;
        memcpy(of->buf + of->buf_len, p, k);
        of->buf_len += k;
        of->written += k;
        p += k;
        n -= k;
        if (of->buf_len == HF_OUTFILE_BUF && flush_staged(of, 0) != 0) {
            of->err_no = errno ? errno : EIO;
            return write_failed(of, err);
        }
    }
    return HF_OK;
}

hf_status hf_outfile_write_zeros(hf_outfile *of, size_t n, hf_err *err) {
    static const unsigned char zeros[256];
    while (n) {
        size_t k = n < sizeof zeros ? n : sizeof zeros;
        hf_status s = hf_outfile_write(of, zeros, k, err);
        if (s != HF_OK) return s;
        n -= k;
    }
    return HF_OK;
}

hf_status hf_outfile_commit(hf_outfile *of, hf_err *err) {
    /* a failed write earlier means bytes are missing, whatever was written since */
    if (!of->err_no && flush_staged(of, 1) != 0) of->err_no = errno ? errno : EIO;
    if (of->err_no) {
        write_failed(of, err);
        hf_outfile_abort(of);
        return HF_ERR_IO;
    }
    int bad = 0, e = 0;
    if (close(of->fd) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    of->fd = -1;
    if (!bad && rename(of->tmp_path, of->final_path) != 0) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        unlink(of->tmp_path);
        hf_fail(err, HF_ERR_IO, "%s: cannot finish writing: %s", of->final_path, strerror(e));
        release(of);
        return HF_ERR_IO;
    }
    release(of);
    return HF_OK;
}

void hf_outfile_abort(hf_outfile *of) {
    if (!of || !of->tmp_path) return;
    if (of->fd >= 0) close(of->fd);
    unlink(of->tmp_path);
    release(of);
}
