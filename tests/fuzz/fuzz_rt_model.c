/* fuzz_rt_model: a model load (rt_model_from_gguf) on top of the GGUF reader: every hparam,
 * tensor shape and type check of the runtime's loader on arbitrary bytes. */
#include <stdint.h>

#include "gguf/gguf.h"
#include "runtime/rt_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gguf_file *f = NULL;
    hf_err err;
    if (gguf_open_buffer(&f, data, size, "fuzz.gguf", &err) != HF_OK) return 0;
    rt_model *m = NULL;
    if (rt_model_from_gguf(&m, f, &err) != HF_OK) return 0; /* f is closed on failure too */
    rt_model_free(m);
    return 0;
}
