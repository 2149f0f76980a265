#include "base/status.h"

#include <stdio.h>
#include <string.h>

hf_status hf_fail(hf_err *err, hf_status code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

hf_status hf_err_prefix(hf_err *err, const char *fmt, ...) {
    if (!err) return HF_ERR_ARG;
    char prefix[HF_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    char old[HF_ERR_MSG_MAX];
    memcpy(old, err->msg, sizeof old);
    /* Truncation of an over-long message is acceptable; the start matters most. */
    size_t n = strlen(prefix);
    if (n > sizeof err->msg - 3) n = sizeof err->msg - 3;
    memcpy(err->msg, prefix, n);
    memcpy(err->msg + n, ": ", 2);
    size_t rest = sizeof err->msg - n - 3;
    size_t m = strlen(old);
    if (m > rest) m = rest;
    memcpy(err->msg + n + 2, old, m);
    err->msg[n + 2 + m] = '\0';
    return err->code;
}

const char *hf_status_str(hf_status s) {
    switch (s) {
    case HF_OK: return "ok";
    case HF_ERR_IO: return "I/O error";
    case HF_ERR_FORMAT: return "malformed input";
    case HF_ERR_NOMEM: return "out of memory";
    case HF_ERR_ARG: return "invalid argument";
    case HF_ERR_UNSUPPORTED: return "unsupported";
    case HF_ERR_RANGE: return "out of range";
    }
    return "unknown status";
}
