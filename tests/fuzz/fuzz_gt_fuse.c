/* fuzz_gt_fuse: the GGUF-to-GGUF tools (fuse-qkv, unfuse-qkv) on arbitrary bytes. They work
 * on paths, so each input is written to in.gguf in a per-process temp directory (made once,
 * removed at exit); both tools run on it (fuse with fused and with separate biases), then
 * unfuse on fuse's output, and every output is removed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gguftool/gt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char g_dir[256], g_in[300], g_out[300], g_out2[300];

static void cleanup(void) {
    unlink(g_in);
    unlink(g_out);
    unlink(g_out2);
    rmdir(g_dir);
}

static int setup(void) {
    if (g_dir[0]) return 1;
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/hf2gguf-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(g_dir)) {
        g_dir[0] = 0;
        return 0;
    }
    snprintf(g_in, sizeof g_in, "%s/in.gguf", g_dir);
    snprintf(g_out, sizeof g_out, "%s/out.gguf", g_dir);
    snprintf(g_out2, sizeof g_out2, "%s/out2.gguf", g_dir);
    atexit(cleanup);
    return 1;
}

static int write_input(const uint8_t *data, size_t size) {
    FILE *fp = fopen(g_in, "wb");
    if (!fp) return 0;
    int ok = fwrite(data, 1, size, fp) == size;
    return fclose(fp) == 0 && ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!setup() || !write_input(data, size)) abort(); /* the temp dir is setup, not a finding */
    hf_err err;
    gt_fuse_report rep;
    static const gguf_qkv_bias BIAS[] = {GGUF_QKV_BIAS_FUSED, GGUF_QKV_BIAS_SEPARATE};
    for (int b = 0; b < 2; b++) {
        gt_fuse_opts opts = {.qkv_bias = BIAS[b]};
        hf_status st = gt_fuse_qkv(g_in, g_out, &opts, &rep, &err);
        gt_fuse_report_free(&rep);
        if (st == HF_OK) {
            gt_unfuse_qkv(g_out, g_out2, NULL, &rep, &err);
            gt_fuse_report_free(&rep);
            unlink(g_out2);
        }
        unlink(g_out);
    }
    gt_unfuse_qkv(g_in, g_out, NULL, &rep, &err);
    gt_fuse_report_free(&rep);
    unlink(g_out);
    return 0;
}
