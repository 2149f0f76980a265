/* fuzz_card: README.md model cards (YAML front matter through libyaml, conv_card_parse),
 * then a walk of the whole value tree with the lookups the metadata writer uses. */
#include <stdint.h>

#include "convert/conv_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned walk(const card_val *v, int depth) {
    if (!v || depth > 64) return 0;
    unsigned sum = (unsigned)conv_card_truthy(v) + (unsigned)conv_card_type_name(v)[0];
    if (v->type == CARD_STR && v->len) sum += (unsigned char)v->text[v->len - 1];
    if (v->type == CARD_SEQ || v->type == CARD_MAP)
        for (size_t i = 0; i < v->n; i++) {
            sum += walk(v->items[i], depth + 1);
            if (v->type == CARD_MAP) sum += walk(v->keys[i], depth + 1);
        }
    return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    card_val *card = NULL;
    hf_err err;
    if (conv_card_parse((const char *)data, size, "README.md", &card, &err) != HF_OK) return 0;
    volatile unsigned sink = walk(card, 0);
    static const char *const keys[] = {"license", "tags", "datasets", "base_model", "language", "model_name"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) sink += conv_card_get(card, keys[i]) != NULL;
    (void)sink;
    conv_card_free(card);
    return 0;
}
