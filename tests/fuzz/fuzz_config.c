/* fuzz_config: config.json -> hparams. The text goes through json_parse, then every
 * architecture row's conv_hparams_resolve and, where that accepts it, conv_hparams_write
 * into a writer that is never begun (no file is written). */
#include <stdint.h>

#include <cjson/cJSON.h>

#include "convert/arch.h"
#include "convert/conv_internal.h"
#include "gguf/gguf.h"
#include "json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cJSON *cfg = NULL;
    hf_err err;
    if (json_parse(&cfg, (const char *)data, size, "config.json", &err) != HF_OK) return 0;
    for (uint32_t i = 0; i < arch_count(); i++) {
        const arch_def *a = arch_at(i);
        arch_hparams hp;
        if (conv_hparams_resolve(a, cfg, "config.json", &hp, &err) != HF_OK) continue;
        gguf_writer *w = gguf_w_new();
        if (!w) break;
        conv_hparams_write(w, a, cfg, "config.json", &hp, 0, &err);
        gguf_w_free(w);
    }
    cJSON_Delete(cfg);
    return 0;
}
