/* fuzz_st_index: model.safetensors.index.json (st_index_parse, which st_model_open uses). */
#include <stdint.h>

#include <cjson/cJSON.h>

#include "safetensors/st.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cJSON *root = NULL;
    char **names = NULL;
    size_t n = 0;
    hf_err err;
    if (st_index_parse((const char *)data, size, "model.safetensors.index.json", &root, &names, &n, &err) != HF_OK)
        return 0;
    st_index_names_free(names, n);
    cJSON_Delete(root);
    return 0;
}
