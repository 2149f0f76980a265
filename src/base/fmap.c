#include "base/fmap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

hf_status hf_fmap_open(hf_fmap *map, const char *path, hf_err *err) {
    map->data = NULL;
    map->size = 0;
    map->fd = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return hf_fail(err, HF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return hf_fail(err, HF_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return hf_fail(err, HF_ERR_IO, "%s: not a regular file", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return HF_OK;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        close(fd);
        return hf_fail(err, HF_ERR_IO, "%s: cannot mmap: %s", path, strerror(e));
    }
    map->data = p;
    map->size = (size_t)st.st_size;
    map->fd = fd;
    return HF_OK;
}

void hf_fmap_close(hf_fmap *map) {
    if (map && map->data) {
        munmap((void *)map->data, map->size);
        close(map->fd);
    }
    if (map) {
        map->data = NULL;
        map->size = 0;
        map->fd = -1;
    }
}

hf_status hf_read_file(const char *path, char **out, size_t *len, hf_err *err) {
    *out = NULL;
    hf_fmap m;
    hf_status s = hf_fmap_open(&m, path, err);
    if (s != HF_OK) return s;
    char *buf = malloc(m.size + 1);
    if (!buf) {
        hf_fmap_close(&m);
        return hf_fail(err, HF_ERR_NOMEM, "%s: out of memory reading %zu bytes", path, m.size);
    }
    if (m.size) memcpy(buf, m.data, m.size);
    buf[m.size] = '\0';
    if (len) *len = m.size;
    hf_fmap_close(&m);
    *out = buf;
    return HF_OK;
}
