/* outfile: what a caller writes is what the file holds, whatever the sizes of the writes and
 * of the file, with the staged direct writes (whole buffers past the page cache, the tail
 * through it) and with page-cache writes only; the destination appears at the commit only,
 * and an abort leaves the old one. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/outfile.h"
#include "testutil.h"

/* Byte i of every test file: position-dependent, so a lost, doubled or shifted block shows. */
static unsigned char pattern(uint64_t i) { return (unsigned char)((i * 2654435761u) >> 13); }

/* Writes total bytes in pieces of the given sizes (cycled), commits, and compares. */
static void write_and_check(const char *dir, int direct, uint64_t total, const size_t *pieces, int n_pieces) {
    const char *path = tu_path(dir, "out.bin");
    unlink(path);
    hf_outfile of;
    hf_err err = {0};
    assert_int_equal(hf_outfile_open(&of, path, &err), HF_OK);
    if (!direct && of.direct) { /* page-cache writes only, as on a filesystem refusing O_DIRECT */
        int fl = fcntl(of.fd, F_GETFL);
        assert_int_equal(fcntl(of.fd, F_SETFL, fl & ~O_DIRECT), 0);
        of.direct = 0;
    }
    unsigned char *src = malloc((size_t)total + 1);
    assert_non_null(src);
    for (uint64_t i = 0; i < total; i++) src[i] = pattern(i);
    uint64_t done = 0;
    for (int k = 0; done < total; k = (k + 1) % n_pieces) {
        size_t n = pieces[k];
        if (n > total - done) n = (size_t)(total - done);
        assert_int_equal(hf_outfile_write(&of, src + done, n, &err), HF_OK);
        done += n;
        assert_int_equal(of.written, done);
    }
    assert_false(tu_exists(path)); /* only the commit puts it in place */
    assert_int_equal(hf_outfile_commit(&of, &err), HF_OK);
    size_t len = 0;
    uint8_t *got = tu_read(path, &len);
    assert_non_null(got);
    assert_int_equal(len, total);
    assert_memory_equal(got, src, (size_t)total);
    assert_int_equal(tu_count_entries(dir), 1); /* no temp file left */
    free(got);
    free(src);
}

static const size_t MIB = (size_t)1 << 20;

/* File sizes around the block and the staging buffer, written in pieces that straddle them. */
static void contents_survive_every_size(int direct) {
    char *dir = tu_tmpdir();
    const uint64_t sizes[] = {0, 1, 4095, 4096, 4097, HF_OUTFILE_BUF - 1, HF_OUTFILE_BUF, HF_OUTFILE_BUF + 1,
                              2 * HF_OUTFILE_BUF + 4096, 9 * MIB + 123};
    const size_t small[] = {1, 7, 4093, 32}, large[] = {5 * MIB + 3, 1, MIB}, whole[] = {(size_t)-1};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        write_and_check(dir, direct, sizes[i], small, 4);
        write_and_check(dir, direct, sizes[i], large, 3);
        write_and_check(dir, direct, sizes[i], whole, 1);
    }
    tu_rmrf(dir);
    free(dir);
}

static void direct_writes_keep_every_byte(void **state) {
    (void)state;
    contents_survive_every_size(1);
}

static void page_cache_writes_keep_every_byte(void **state) {
    (void)state;
    contents_survive_every_size(0);
}

/* An abort after whole buffers went to the temp file leaves the previous output as it was. */
static void abort_keeps_the_previous_output(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    const char *path = tu_path(dir, "out.bin");
    assert_int_equal(tu_write(path, "previous", 8), 0);
    hf_outfile of;
    hf_err err = {0};
    assert_int_equal(hf_outfile_open(&of, path, &err), HF_OK);
    unsigned char *junk = calloc(1, 3 * HF_OUTFILE_BUF);
    assert_non_null(junk);
    assert_int_equal(hf_outfile_write(&of, junk, 3 * HF_OUTFILE_BUF - 5, &err), HF_OK);
    hf_outfile_abort(&of);
    size_t len = 0;
    uint8_t *got = tu_read(path, &len);
    assert_non_null(got);
    assert_int_equal(len, 8);
    assert_memory_equal(got, "previous", 8);
    assert_int_equal(tu_count_entries(dir), 1);
    free(got);
    free(junk);
    tu_rmrf(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(direct_writes_keep_every_byte),
        cmocka_unit_test(page_cache_writes_keep_every_byte),
        cmocka_unit_test(abort_keeps_the_previous_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
