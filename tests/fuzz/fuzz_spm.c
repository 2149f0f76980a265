/* fuzz_spm: the SentencePiece ModelProto parser (tokx_spm_parse) on arbitrary bytes. */
#include <stdint.h>

#include "tokx/tokx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tokx_spm m = {0};
    hf_err err;
    if (tokx_spm_parse(data, size, "tokenizer.model", &m, &err) != HF_OK) return 0;
    volatile unsigned sink = 0;
    for (uint64_t i = 0; i < m.n; i++) {
        const tokx_spm_piece *p = &m.pieces[i];
        if (p->len) sink += (unsigned char)p->text[0] + (unsigned char)p->text[p->len - 1];
        sink += (unsigned)p->type;
    }
    (void)sink;
    tokx_spm_free(&m);
    return 0;
}
