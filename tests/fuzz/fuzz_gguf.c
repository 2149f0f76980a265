/* fuzz_gguf: the GGUF reader (gguf_open_buffer) on arbitrary bytes, then every reader a tool
 * uses on an accepted file: each KV pair formatted and read back through the getters, every
 * string array element, every tensor looked up by name, `info --json` and a self-diff. */
#include <stdint.h>
#include <stdlib.h>

#include "gguf/gguf.h"
#include "gguftool/gt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gguf_file *f = NULL;
    hf_err err;
    if (gguf_open_buffer(&f, data, size, "fuzz.gguf", &err) != HF_OK) return 0;
    char buf[512];
    volatile double sink = 0;
    for (int64_t i = 0; i < gguf_n_kv(f); i++) {
        const gguf_kv *kv = gguf_kv_at(f, i);
        gguf_fmt_value(f, kv, 8, 64, buf, sizeof buf);
        if (gguf_find_kv(f, kv->key) == NULL) abort();
        sink += gguf_kv_num(kv);
        uint32_t u;
        int64_t i64;
        float fl;
        int b;
        gguf_str s;
        gguf_get_u32(f, kv->key, &u, &err);
        gguf_get_i64(f, kv->key, &i64, &err);
        gguf_get_f32(f, kv->key, &fl, &err);
        gguf_get_bool(f, kv->key, &b, &err);
        gguf_get_str(f, kv->key, &s, &err);
        if (kv->type == GGUF_T_ARRAY) {
            uint64_t n = kv->n < 64 ? kv->n : 64;
            for (uint64_t j = 0; j < n; j++) {
                if (kv->arr_type == GGUF_T_STRING) {
                    gguf_str e = gguf_arr_str(f, kv, j);
                    for (uint64_t c = 0; c < e.len; c++) sink += (unsigned char)e.ptr[c];
                } else if (kv->arr_type != GGUF_T_ARRAY) {
                    sink += gguf_arr_num(kv, j);
                }
            }
        }
    }
    for (int64_t i = 0; i < gguf_n_tensors(f); i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        if (gguf_find_tensor_index(f, t->name) < 0) abort();
        if (t->nbytes) sink += t->data[0] + t->data[t->nbytes - 1];
    }
    char *json = NULL;
    if (gt_info_json(f, &json, &err) == HF_OK) free(json);
    gt_diff d;
    if (gt_diff_files(f, f, &d) != 0) abort();
    (void)sink;
    gguf_close(f);
    return 0;
}
