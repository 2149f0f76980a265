/* fuzz_st: the safetensors header parser (st_parse) on arbitrary bytes; every accepted
 * tensor's first and last elements are read back (the range checks must make that safe). */
#include <stdint.h>

#include "safetensors/st.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    st_tensor *t = NULL;
    size_t n = 0;
    hf_err err;
    if (st_parse(data, size, "fuzz.safetensors", &t, &n, &err) != HF_OK) return 0;
    volatile float sink = 0;
    for (size_t i = 0; i < n; i++) {
        float v[2];
        if (t[i].n_elements > 0) {
            st_read_f32(&t[i], 0, 1, v);
            st_read_f32(&t[i], t[i].n_elements - 1, 1, v + 1);
            sink += v[0] + v[1];
        }
    }
    (void)sink;
    st_tensors_free(t, n);
    return 0;
}
