/* hugemem and the matrix-copy policy built on it: the transparent huge page mode and
 * MemAvailable are read from any text the kernel could print (and nothing else is taken for
 * them), a huge allocation is 2 MiB aligned and usable, and rt_matrix_copy_decide copies only
 * where huge pages can be had and the copy leaves half of the available memory. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/hugemem.h"
#include "runtime/rt_repack.h"
#include "testutil.h"

static void every_thp_mode_is_read_from_its_brackets(void **state) {
    (void)state;
    static const struct {
        const char *text;
        hf_thp_mode mode;
    } cases[] = {
        {"always [madvise] never\n", HF_THP_MADVISE},
        {"[always] madvise never\n", HF_THP_ALWAYS},
        {"always madvise [never]\n", HF_THP_NEVER},
        {"always madvise never\n", HF_THP_UNKNOWN}, /* nothing selected */
        {"always [inherit] madvise never\n", HF_THP_UNKNOWN},
        {"", HF_THP_UNKNOWN},
        {NULL, HF_THP_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (hf_thp_mode_parse(cases[i].text) != cases[i].mode)
            fail_msg("'%s': mode %d, expected %d", cases[i].text ? cases[i].text : "(null)",
                     (int)hf_thp_mode_parse(cases[i].text), (int)cases[i].mode);
    assert_true(hf_thp_usable(HF_THP_MADVISE));
    assert_true(hf_thp_usable(HF_THP_ALWAYS));
    assert_false(hf_thp_usable(HF_THP_NEVER));
    assert_false(hf_thp_usable(HF_THP_UNKNOWN));
}

static void mem_available_is_read_from_its_own_line_only(void **state) {
    (void)state;
    uint64_t b = 7;
    assert_true(hf_meminfo_available("MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   23000000 kB\n", &b));
    assert_int_equal(b, (uint64_t)23000000 * 1024);
    assert_true(hf_meminfo_available("MemAvailable: 0 kB", &b));
    assert_int_equal(b, 0);
    b = 7;
    static const char *const refused[] = {
        "MemTotal: 24000000 kB\nMemFree: 100 kB\n",          /* no such line (old kernels) */
        "MemAvailable: lots kB\n",                            /* not a number */
        "MemAvailable: 100 MB\n",                             /* not the kernel's unit */
        "MemAvailable: 99999999999999999999 kB\n",            /* past uint64 */
        "MemAvailable: 18014398509481984 kB\n",               /* 2^54 KiB: bytes overflow */
        " MemAvailable: 100 kB\n",                            /* not at a line start */
        "",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        if (hf_meminfo_available(refused[i], &b)) fail_msg("'%s' was read as %llu bytes", refused[i], (unsigned long long)b);
        assert_int_equal(b, 7); /* untouched */
    }
}

static void a_huge_allocation_is_aligned_and_usable(void **state) {
    (void)state;
    const size_t sizes[] = {1, (size_t)2 << 20, ((size_t)2 << 20) + 1, (size_t)5 << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int advised = -1;
        uint8_t *p = hf_huge_alloc(sizes[i], &advised);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % ((uintptr_t)2 << 20), 0);
        assert_true(advised == 0 || advised == 1);
        memset(p, 0xa5, sizes[i]);
        assert_int_equal(p[sizes[i] - 1], 0xa5);
        free(p);
    }
    assert_null(hf_huge_alloc(0, NULL));
    assert_null(hf_huge_alloc(SIZE_MAX, NULL));
}

static void matrices_are_copied_only_into_huge_pages_with_room_to_spare(void **state) {
    (void)state;
    const uint64_t GiB = (uint64_t)1 << 30;
    static const struct {
        rt_copy_matrices copy;
        size_t bytes;
        hf_thp_mode thp;
        int have_avail;
        uint64_t avail_gib;
        rt_matrix_place want;
    } cases[] = {
        {RT_COPY_AUTO, 0, HF_THP_MADVISE, 1, 16, RT_MATRICES_NONE}, /* nothing to place */
        {RT_COPY_AUTO, 1u << 30, HF_THP_MADVISE, 1, 16, RT_MATRICES_HUGE_PAGES},
        {RT_COPY_AUTO, 1u << 30, HF_THP_ALWAYS, 1, 2, RT_MATRICES_HUGE_PAGES}, /* exactly half */
        {RT_COPY_AUTO, (1u << 30) + 1, HF_THP_ALWAYS, 1, 2, RT_MATRICES_MAPPED_MEMORY},
        {RT_COPY_AUTO, 1u << 30, HF_THP_MADVISE, 0, 0, RT_MATRICES_MAPPED_MEMORY}, /* unknown memory */
        {RT_COPY_AUTO, 1u << 30, HF_THP_NEVER, 1, 16, RT_MATRICES_MAPPED_NO_THP},
        {RT_COPY_AUTO, 1u << 30, HF_THP_UNKNOWN, 1, 16, RT_MATRICES_MAPPED_NO_THP},
        {RT_COPY_NEVER, 1u << 30, HF_THP_MADVISE, 1, 16, RT_MATRICES_MAPPED_ASKED},
        {RT_COPY_ALWAYS, 1u << 30, HF_THP_NEVER, 0, 0, RT_MATRICES_HUGE_PAGES},
        {RT_COPY_NEVER, 0, HF_THP_NEVER, 0, 0, RT_MATRICES_NONE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const rt_matrix_place got = rt_matrix_copy_decide(cases[i].copy, cases[i].bytes, cases[i].thp,
                                                          cases[i].have_avail, cases[i].avail_gib * GiB);
        if (got != cases[i].want)
            fail_msg("case %zu: %s, expected %s", i, rt_matrix_place_text(got), rt_matrix_place_text(cases[i].want));
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_thp_mode_is_read_from_its_brackets),
        cmocka_unit_test(mem_available_is_read_from_its_own_line_only),
        cmocka_unit_test(a_huge_allocation_is_aligned_and_usable),
        cmocka_unit_test(matrices_are_copied_only_into_huge_pages_with_room_to_spare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
