/* Load-time repacking of Q8_0 matrices into 16-row groups (rt_repack.h). */
#include "runtime/rt_repack.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/dtype.h"
#include "quant/quant_pack.h"

#define PACK_ALIGN 64 /* a cache line; group sizes are multiples of 64 bytes whenever k/32 is even */

/* The matmul weights of a layer, in a fixed order. */
static int layer_matrices(rt_layer *ly, rt_tensor **out) {
    rt_tensor *all[RT_LAYER_MATRICES] = RT_LAYER_MATRIX_LIST(ly);
    for (int i = 0; i < RT_LAYER_MATRICES; i++) out[i] = all[i];
    return RT_LAYER_MATRICES;
}

static size_t aligned_size(size_t n) { return (n + PACK_ALIGN - 1) / PACK_ALIGN * PACK_ALIGN; }

static int packable(const rt_tensor *t) { return t->data && t->type == HF_TYPE_Q8_0 && t->ne1 >= QP_ROWS && !t->packed; }

static int64_t packed_rows(const rt_tensor *t) { return t->ne1 - t->ne1 % QP_ROWS; }

static size_t packed_size(const rt_tensor *t) {
    return (size_t)(packed_rows(t) / QP_ROWS) * qp_group_bytes(t->ne0);
}

/* Drops the mapped pages that lie wholly inside [p, p + n) from the resident set; they come
 * back from the page cache if anything reads them again (a tied output's embedding rows). */
static void release_mapped(const void *p, size_t n) {
    const long page = sysconf(_SC_PAGESIZE);
    if (page <= 0) return;
    const uintptr_t lo = ((uintptr_t)p + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    const uintptr_t hi = ((uintptr_t)p + n) & ~((uintptr_t)page - 1);
    if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

static void pack_tensor(rt_tensor *t, uint8_t *dst) {
    const int64_t n = packed_rows(t);
    const size_t gb = qp_group_bytes(t->ne0);
    for (int64_t g = 0; g < n / QP_ROWS; g++)
        qp_pack_group((const uint8_t *)t->data + (size_t)(g * QP_ROWS) * t->row_bytes, t->row_bytes, t->ne0,
                      dst + (size_t)g * gb);
    t->packed = dst;
    t->n_packed = n;
}

/* A tied tok_embd looks its rows up in the output head's groups (the same Q8_0 bytes). */
static void share_packed(rt_tensor *tok_embd, const rt_tensor *output) {
    tok_embd->packed = output->packed;
    tok_embd->n_packed = output->n_packed;
}

/* Visits every packable matrix: sizing pass (dst NULL) or packing pass. */
static size_t walk_packs(rt_model *m, uint8_t *dst, int64_t *count) {
    size_t off = 0;
    const int mapped = gguf_is_file_mapping(m->file);
    rt_tensor *mats[RT_LAYER_MATRICES + 1];
    for (int64_t il = -1; il < m->hp.n_layer; il++) {
        int n = 0;
        if (il < 0) {
            mats[n++] = &m->output;
            if (!m->output_tied) mats[n++] = &m->tok_embd;
        } else n = layer_matrices(&m->layers[il], mats);
        for (int i = 0; i < n; i++) {
            rt_tensor *t = mats[i];
            if (!packable(t)) continue;
            const size_t bytes = packed_size(t);
            if (dst) {
                pack_tensor(t, dst + off);
                if (t == &m->output && m->output_tied) share_packed(&m->tok_embd, t);
                if (mapped) release_mapped(t->data, (size_t)t->n_packed * t->row_bytes);
            }
            off += aligned_size(bytes);
            ++*count;
        }
    }
    return off;
}

/* ==== Copies out of the mapping ====
 * The vectors the forward pass reads at every layer (norm weights, biases, Q/K norms, a fused
 * Q||K||V bias) are copied once into one aligned allocation. Why: on the VMs we measure,
 * touching them through the file mapping during inference slowed the whole process. The page
 * cache holds such files in large folios, and a fault on a 4 KiB norm vector maps its whole
 * 2 MiB folio; with those mappings touched at every layer, every step of a q8_0 decode ran
 * 1.3-1.5x slower, matmuls and RoPE alike (a fused file, whose norms happen to share folios
 * with matrices: 100-165 vs 210-230 tok/s, 214-227 with the norms copied).
 * Token lookups in a tied Q8_0 table did the same: with Qwen2.5-0.5B's shape (a 151936-row
 * head tied to the embedding, which packing had read through the mapping) random tokens
 * decoded at 17-19 tok/s, 41-46 with the rows unpacked from the head's groups (1 thread). */

/* The vectors of a layer that the forward pass reads. */
static int layer_vectors(rt_layer *ly, rt_tensor **out) {
    rt_tensor *all[] = {&ly->attn_norm, &ly->attn_norm_b, &ly->bo,     &ly->q_norm, &ly->k_norm,
                        &ly->ffn_norm,  &ly->ffn_norm_b,  &ly->b_gate, &ly->b_up,   &ly->b_down};
    int n = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) out[n++] = all[i];
    return n;
}

static size_t tensor_bytes(const rt_tensor *t) { return t->row_bytes * (size_t)t->ne1; }

/* Bytes of the fused Q||K||V bias when it points into the mapping (a separate layout's
 * concatenation is already owned), else 0. */
static size_t mapped_bias_bytes(const rt_model *m, const rt_layer *ly) {
    if (!ly->bqkv || ly->bqkv_owned) return 0;
    return (size_t)(rt_n_q(&m->hp) + 2 * rt_n_kv(&m->hp)) * sizeof(float);
}

/* Copies n bytes from src to *dst (advancing it) and releases src's pages unless shared. */
static const void *place(uint8_t **dst, const void *src, size_t n, int release) {
    memcpy(*dst, src, n);
    const void *at = *dst;
    *dst += aligned_size(n);
    if (release) release_mapped(src, n);
    return at;
}

/* Visits every vector: sizing pass (dst NULL) or copying pass. */
static size_t walk_copies(rt_model *m, uint8_t *dst, int64_t *count) {
    size_t total = 0;
    uint8_t *cur = dst;
    const int mapped = gguf_is_file_mapping(m->file);
    rt_tensor *model_level[] = {&m->output_norm, &m->output_norm_b, &m->output_b};
    rt_tensor *ts[16];
    for (int64_t il = -1; il < m->hp.n_layer; il++) {
        int n = 0;
        if (il < 0)
            for (size_t i = 0; i < sizeof model_level / sizeof model_level[0]; i++) ts[n++] = model_level[i];
        else n = layer_vectors(&m->layers[il], ts);
        for (int i = 0; i < n; i++) {
            rt_tensor *t = ts[i];
            if (!t->data) continue;
            total += aligned_size(tensor_bytes(t));
            ++*count;
            if (cur) t->data = place(&cur, t->data, tensor_bytes(t), mapped);
        }
        const size_t bias = il >= 0 ? mapped_bias_bytes(m, &m->layers[il]) : 0;
        if (bias) {
            total += aligned_size(bias);
            ++*count;
            if (cur) m->layers[il].bqkv = place(&cur, m->layers[il].bqkv, bias, mapped);
        }
    }
    return total;
}

/* ==== Copies of the other matrices ====
 * F32/F16/BF16 matrices (and Q8_0 ones too short to pack) are copied into one allocation
 * advised to transparent huge pages. Why: on the 2-vCPU Zen 5 VM we measure, a Qwen2.5-0.5B-
 * shaped F16 file (942 MB read per token) generated tg128 at 1 thread at 25-35 t/s read
 * through its mapping (4 KiB pages; from one process to the next) and at 35.0-38.5 t/s from a
 * huge-page copy, 12 of 12 runs; a fused BF16 twin 24-30 against 33-39. Copies in small pages
 * were the worst of all (6-34 t/s), which is why the copy is only made where huge pages can
 * be had (and why an earlier plain copy was reverted, 520ad88). The copy must also leave the
 * machine room: at most half of the available memory, else the file stays mapped and a model
 * larger than memory still runs from the page cache. The Q8_0 groups stay in small pages:
 * advised to huge pages they ran pp512 0.92-0.95x and tg128 no faster. */

/* Not packed: read from data (a packed matrix's rows past its last group stay mapped). */
static int copyable(const rt_tensor *t) { return t->data && !t->packed; }

/* Visits every unpacked matrix the forward multiplies with: sizing pass (dst NULL) or copying
 * pass. A tied token table then reads its rows from the head's copy; an untied one stays
 * mapped (a decode reads one row of it per token). */
static size_t walk_matrix_copies(rt_model *m, uint8_t *dst, int64_t *count) {
    size_t total = 0;
    uint8_t *cur = dst;
    const int mapped = gguf_is_file_mapping(m->file);
    rt_tensor *mats[RT_LAYER_MATRICES + 1];
    for (int64_t il = -1; il < m->hp.n_layer; il++) {
        int n = 0;
        if (il < 0) mats[n++] = &m->output;
        else n = layer_matrices(&m->layers[il], mats);
        for (int i = 0; i < n; i++) {
            rt_tensor *t = mats[i];
            if (!copyable(t)) continue;
            total += aligned_size(tensor_bytes(t));
            ++*count;
            if (!cur) continue;
            t->data = place(&cur, t->data, tensor_bytes(t), mapped);
            if (t == &m->output && m->output_tied) m->tok_embd.data = t->data;
        }
    }
    return total;
}

rt_matrix_place rt_matrix_copy_decide(rt_copy_matrices copy, size_t bytes, hf_thp_mode thp, int have_avail,
                                      uint64_t avail) {
    if (bytes == 0) return RT_MATRICES_NONE;
    if (copy == RT_COPY_NEVER) return RT_MATRICES_MAPPED_ASKED;
    if (copy == RT_COPY_ALWAYS) return RT_MATRICES_HUGE_PAGES;
    if (!hf_thp_usable(thp)) return RT_MATRICES_MAPPED_NO_THP;
    if (!have_avail || (uint64_t)bytes > avail / 2) return RT_MATRICES_MAPPED_MEMORY;
    return RT_MATRICES_HUGE_PAGES;
}

/* A walk: with dst NULL, sizes what it places (and counts it); else places it at dst. */
typedef size_t (*walk_fn)(rt_model *m, uint8_t *dst, int64_t *count);

/* Where a walk's placements go. */
typedef struct placement {
    uint8_t *mem;
    size_t bytes;
    int64_t count;
    int huge;    /* allocate in huge pages (hf_huge_alloc) */
    int advised; /* out: the kernel took the huge-page advice */
} placement;

static hf_status out_of_memory(const rt_model *m, int64_t n, const char *what, size_t total, hf_err *err) {
    return hf_fail(err, HF_ERR_NOMEM, "%s: out of memory placing %lld %s (%zu bytes)", gguf_path(m->file),
                   (long long)n, what, total);
}

/* Runs a walk into memory of its own, sized by a first pass; what names it in the message. */
static hf_status run_walk(rt_model *m, walk_fn fn, const char *what, size_t total, int64_t n, placement *pl,
                          hf_err *err) {
    void *p = NULL;
    if (pl->huge) p = hf_huge_alloc(total, &pl->advised);
    else if (posix_memalign(&p, PACK_ALIGN, total) != 0) p = NULL;
    if (!p) return out_of_memory(m, n, what, total, err);
    n = 0;
    fn(m, p, &n);
    pl->mem = p;
    pl->bytes = total;
    pl->count = n;
    return HF_OK;
}

/* Sizes a walk and runs it unless it places nothing. */
static hf_status place_all(rt_model *m, walk_fn fn, const char *what, placement *pl, hf_err *err) {
    int64_t n = 0;
    const size_t total = fn(m, NULL, &n);
    return total == 0 ? HF_OK : run_walk(m, fn, what, total, n, pl, err);
}

/* The unpacked matrices: copied or left mapped as rt_matrix_copy_decide says. */
static hf_status place_matrices(rt_model *m, rt_copy_matrices copy, hf_err *err) {
    int64_t n = 0;
    const size_t total = walk_matrix_copies(m, NULL, &n);
    if (total == 0) return HF_OK; /* every matrix packed (m->matrices stays NONE): nothing to probe */
    uint64_t avail = 0;
    const int have_avail = copy == RT_COPY_AUTO && hf_mem_available(&avail);
    const hf_thp_mode thp = copy == RT_COPY_AUTO ? hf_thp_mode_now() : HF_THP_UNKNOWN;
    m->matrices = rt_matrix_copy_decide(copy, total, thp, have_avail, avail);
    if (m->matrices != RT_MATRICES_HUGE_PAGES) return HF_OK;
    placement pl = {.huge = 1};
    hf_status st = run_walk(m, walk_matrix_copies, "matrices in huge pages", total, n, &pl, err);
    if (st != HF_OK) return st;
    m->matrix_mem = pl.mem;
    m->matrix_bytes = pl.bytes;
    m->n_matrix_copies = pl.count;
    if (!pl.advised) m->matrices = RT_MATRICES_COPIED;
    return HF_OK;
}

hf_status rt_model_repack(rt_model *m, rt_copy_matrices copy, hf_err *err) {
    if (m->packed_mem || m->copied_mem || m->matrix_mem) return HF_OK;
    /* The packed groups are what every decode streams, so they get huge pages too. On the
     * 2-vCPU Zen 5 VM (2026-12-04), builds alternating process by process, Qwen2.5-0.5B's
     * shape in q8_0 decoded (tg128, 1 thread) at 42-48 t/s in 5 of 6 processes with the groups
     * in 4 KiB pages (57 in the sixth), and at 51-57 in all 6 with them in 2 MiB pages.
     * Unlike the matrix copy this takes no memory beyond the packing's own (rounded up to
     * 2 MiB), so no policy decides it. */
    placement packs = {.huge = 1}, vectors = {0};
    hf_status st = place_all(m, walk_packs, "Q8_0 matrices in 16-row groups", &packs, err);
    if (st == HF_OK) st = place_all(m, walk_copies, "norm and bias tensors", &vectors, err);
    m->packed_mem = packs.mem;
    m->packed_bytes = packs.bytes;
    m->n_packed_tensors = packs.count;
    m->packed_huge = packs.mem && packs.advised && hf_thp_usable(hf_thp_mode_now());
    m->copied_mem = vectors.mem;
    m->copied_bytes = vectors.bytes;
    m->n_copied_tensors = vectors.count;
    if (st == HF_OK) st = place_matrices(m, copy, err);
    return st;
}
