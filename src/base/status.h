/* status: error codes plus a human message, the error convention of every module.
 *
 * Library functions return hf_status and, on failure, fill an hf_err whose
 * message names the file, the tensor or key, and what was expected. Only the
 * CLI prints messages and chooses exit codes; libraries never exit(). */
#pragma once

#include <stdarg.h>

typedef enum hf_status {
    HF_OK = 0,
    HF_ERR_IO,          /* open/read/write/rename failed (errno text in the message) */
    HF_ERR_FORMAT,      /* malformed input file */
    HF_ERR_NOMEM,       /* allocation failed */
    HF_ERR_ARG,         /* bad argument or option from the caller */
    HF_ERR_UNSUPPORTED, /* well-formed input we do not handle (arch, dtype, tokenizer) */
    HF_ERR_RANGE,       /* a value out of its allowed range (prompt longer than ctx, ...) */
} hf_status;

#define HF_ERR_MSG_MAX 1024

typedef struct hf_err {
    hf_status code;
    char msg[HF_ERR_MSG_MAX];
} hf_err;

/* Records code and a printf-style message in err (which may be NULL) and
 * returns code, so callers can write `return hf_fail(err, HF_ERR_FORMAT, ...)`. */
hf_status hf_fail(hf_err *err, hf_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to an existing message, to add context as an error
 * travels outwards (e.g. the file name). Returns err->code. */
hf_status hf_err_prefix(hf_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

const char *hf_status_str(hf_status s);
