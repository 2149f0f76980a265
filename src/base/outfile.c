#include "base/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
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

/* Makes a rename durable: fsync of the directory holding path (best effort). */
static void sync_parent_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else {
        size_t len = (size_t)(slash - path);
        if (len >= sizeof dir) return; /* too long to sync; the rename itself is done */
        memcpy(dir, path, len);
        dir[len] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

hf_status hf_outfile_open(hf_outfile *of, const char *requested_path, hf_err *err) {
    memset(of, 0, sizeof *of);
    char *resolved;
    hf_status rs = resolve_destination(requested_path, &resolved, err);
    if (rs != HF_OK) return rs;
    const char *final_path = resolved ? resolved : requested_path;
    size_t n = strlen(final_path);
    const char *slash = strrchr(final_path, '/');
    size_t dirlen = slash ? (size_t)(slash - final_path) + 1 : 0;
    of->final_path = strdup(final_path);
    of->tmp_path = malloc(n + 32);
    free(resolved);
    final_path = of->final_path;
    if (!of->final_path || !of->tmp_path) {
        free(of->final_path);
        free(of->tmp_path);
        memset(of, 0, sizeof *of);
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
        free(of->final_path);
        free(of->tmp_path);
        memset(of, 0, sizeof *of);
        return hf_fail(err, HF_ERR_IO, "%s: cannot create output file: %s", requested_path, strerror(e));
    }
    /* mkstemp creates 0600; give the output the mode a plain open() would (0666 & ~umask).
     * A failure is not fatal: the content is still right, only the mode differs. */
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(fd, 0666 & ~mask);
    of->fp = fdopen(fd, "wb");
    if (!of->fp) {
        close(fd);
        unlink(of->tmp_path);
        unregister_tmp(of->tmp_path);
        free(of->final_path);
        free(of->tmp_path);
        memset(of, 0, sizeof *of);
        return hf_fail(err, HF_ERR_IO, "%s: cannot open output stream", requested_path);
    }
    setvbuf(of->fp, NULL, _IOFBF, 1 << 20);
    return HF_OK;
}

/* Every WRITEBACK_STEP bytes the written range is flushed to the kernel and its writeback
 * started (sync_file_range, asynchronous), so the disk works while the rest is produced and
 * the fsync of hf_outfile_commit waits only for the tail (measured here, a 361 MB GGUF:
 * that fsync alone took 0.32 s of a 0.85 s conversion without this). */
#define WRITEBACK_STEP ((uint64_t)32 << 20)

/* Flushes what was written and starts its writeback; nonzero (errno set) when the flush fails,
 * which must fail the write: stdio drops a buffer it could not flush. */
static int start_writeback(hf_outfile *of) {
#if defined(__linux__)
    if (fflush(of->fp) != 0) return -1;
    (void)sync_file_range(fileno(of->fp), (off_t)of->flushed, (off_t)(of->written - of->flushed),
                          SYNC_FILE_RANGE_WRITE);
#endif
    of->flushed = of->written;
    return 0;
}

hf_status hf_outfile_write(hf_outfile *of, const void *data, size_t n, hf_err *err) {
    if (n && fwrite(data, 1, n, of->fp) != n)
        return hf_fail(err, HF_ERR_IO, "%s: write failed after %llu bytes: %s", of->final_path,
                       (unsigned long long)of->written, strerror(errno));
    of->written += n;
    if (of->written - of->flushed >= WRITEBACK_STEP && start_writeback(of) != 0)
        return hf_fail(err, HF_ERR_IO, "%s: write failed after %llu bytes: %s", of->final_path,
                       (unsigned long long)of->flushed, strerror(errno));
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

static void release(hf_outfile *of) {
    unregister_tmp(of->tmp_path);
    free(of->final_path);
    free(of->tmp_path);
    memset(of, 0, sizeof *of);
}

hf_status hf_outfile_commit(hf_outfile *of, hf_err *err) {
    /* ferror: a failed write earlier, whatever was flushed since, means bytes are missing */
    int bad = ferror(of->fp) || fflush(of->fp) != 0 || fsync(fileno(of->fp)) != 0;
    int e = errno;
    if (fclose(of->fp) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    of->fp = NULL;
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
    sync_parent_dir(of->final_path);
    release(of);
    return HF_OK;
}

void hf_outfile_abort(hf_outfile *of) {
    if (!of || !of->tmp_path) return;
    if (of->fp) fclose(of->fp);
    unlink(of->tmp_path);
    release(of);
}
