/* pmat_index.c - one pass over the heap, contexts and mortals that checks
 * every record and builds the address-sorted SV index.
 *
 * Index memory: 16 bytes per SV (pmat_svent), 16 per extension record,
 * 8 per context.  The SV index is an mmap reserved for as many SVs as the
 * file could hold (virtual only: pages are touched as it fills; the unused
 * tail is unmapped at the end); the radix sort needs a second 16 bytes
 * per SV while it runs, so the peak is 32 bytes per SV.  The other arrays
 * grow by doubling and are trimmed at the end.  Growth is bounded by the
 * file: each record consumes at least one byte of it. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include "pmat_int.h"

/* Make room for one more element; -1 (with error) if memory runs out. */
static int grow(pmat_cur *c, void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 1024;
    if (ncap > SIZE_MAX / elem)
        return pmat_fail(c, "too many records to index");
    void *p = realloc(*arr, ncap * elem);
    if (!p)
        return pmat_fail(c, "out of memory indexing %zu records", n);
    *arr = p;
    *cap = ncap;
    return 0;
}

static void trim(void **arr, size_t n, size_t elem)
{
    if (n == 0)
        return;
    void *p = realloc(*arr, n * elem);
    if (p)
        *arr = p;
}

int pmat_heap_next(const pmat_file *f, pmat_iter *it, pmat_record *rec, pmat_error *err)
{
    if (it->done)
        return 0;
    pmat_cur c;
    pmat_cur_init(&c, f, it->pos ? it->pos : f->heap_off, err, "heap record type");
    uint64_t start = c.pos;
    uint8_t type;
    if (pmat_rd_u8(&c, &type) < 0)
        return -1;
    rec->type = type;
    rec->offset = start;
    if (type == 0) {
        rec->kind = PMAT_REC_END;
        it->pos = c.pos;
        it->done = 1;
        return 0;
    }
    c.pos = start;
    int rc;
    if (type == PMAT_META_STRUCT) {
        pmat_meta m;
        rec->kind = PMAT_REC_META;
        rc = pmat_meta_parse(&c, &m);
    } else if (type > PMAT_META_STRUCT) {
        return pmat_fail(&c, "unrecognised META record type 0x%02x", type);
    } else if (type >= 0x80) {
        pmat_ext x;
        rec->kind = PMAT_REC_EXT;
        rc = pmat_ext_parse(&c, &x);
    } else {
        pmat_sv sv;
        rec->kind = PMAT_REC_SV;
        rc = pmat_sv_parse(&c, &sv);
    }
    if (rc < 0)
        return -1;
    it->pos = c.pos;
    return 1;
}

/* An extension or META_STRUCT record into its index (SVs: index_heap). */
static int add_record(pmat_file *f, pmat_cur *c, const pmat_record *rec, size_t *xcap,
                      size_t *mcap)
{
    const unsigned char *p = f->map + rec->offset + 1;
    switch (rec->kind) {
    case PMAT_REC_EXT:
        if (grow(c, (void **)&f->exts, xcap, f->nexts, sizeof *f->exts) < 0)
            return -1;
        f->exts[f->nexts].sv = pmat_get_uint_n(f, p, f->h.ptr_len);
        f->exts[f->nexts].off = rec->offset;
        f->nexts++;
        return 0;
    case PMAT_REC_META: {
        pmat_cur m;
        pmat_cur_init(&m, f, rec->offset, c->err, "META_STRUCT");
        if (grow(c, (void **)&f->metas, mcap, f->nmetas, sizeof *f->metas) < 0 ||
            pmat_meta_parse(&m, &f->metas[f->nmetas]) < 0)
            return -1;
        f->nmetas++;
        return 0;
    }
    default:
        return 0;
    }
}

static int cmp_sv(const void *a, const void *b)
{
    const pmat_svent *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->off_type < y->off_type ? -1 : x->off_type > y->off_type;
}

static int cmp_ext(const void *a, const void *b)
{
    const pmat_xent *x = a, *y = b;
    if (x->sv != y->sv)
        return x->sv < y->sv ? -1 : 1;
    return x->off < y->off ? -1 : x->off > y->off;
}

/* Large arrays (the SV index, the radix sort's buffer) come straight from
 * mmap with MADV_HUGEPAGE: on the VMs this runs on, a 4 KiB page fault
 * costs ~4 us, so the ~16,000 faults of a 2M-SV index and its sort buffer
 * were a tenth of pmat_open; with 2 MiB pages they are a few dozen.
 * NULL if the mapping fails (callers fall back to malloc). */
static void *big_alloc(size_t bytes)
{
    if (bytes < ((size_t)4 << 20))
        return NULL;                 /* small: malloc is as good */
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
}

/* LSD radix sort of the SV index by address over the bits where the
 * addresses differ (they share their high bits, and SV heads are aligned,
 * so the low ones are equal too): as few passes as digits of at most
 * RADIX_MAX_BITS bits cover them (2 for a 2M-SV heap, instead of 3 with
 * fixed 11-bit digits).  The index is built in file order, so off_type
 * already ascends and a stable sort by addr gives exactly qsort's cmp_sv
 * order.  Needs a buffer as large as the index; when the result ends up in
 * it, the buffer becomes the index (no copy back).  -1 if the buffer
 * cannot be allocated (the caller then falls back to qsort). */
#define RADIX_MAX_BITS 14
static int radix_sort_svs(pmat_file *f)
{
    pmat_svent *v = f->svs;
    size_t n = f->nsvs;
    size_t tbytes = n * sizeof(pmat_svent);
    pmat_svent *tmp = big_alloc(tbytes);
    int tmapped = tmp != NULL;
    if (!tmp)
        tmp = malloc(tbytes);
    size_t *cnt = malloc(((size_t)1 << RADIX_MAX_BITS) * sizeof *cnt);
    if (!tmp || !cnt) {
        if (tmapped)
            munmap(tmp, tbytes);
        else
            free(tmp);
        free(cnt);
        return -1;
    }
    uint64_t diff = 0;
    for (size_t i = 1; i < n; i++)
        diff |= v[i].addr ^ v[0].addr;
    int lo = diff ? __builtin_ctzll(diff) : 0, hi = diff ? 64 - __builtin_clzll(diff) : 0;
    int passes = (hi - lo + RADIX_MAX_BITS - 1) / RADIX_MAX_BITS;
    int bits = passes ? (hi - lo + passes - 1) / passes : 0;
    uint64_t mask = ((uint64_t)1 << bits) - 1;
    pmat_svent *src = v, *dst = tmp;
    for (int p = 0; p < passes; p++) {
        int shift = lo + p * bits;
        size_t nd = (size_t)1 << bits;
        memset(cnt, 0, nd * sizeof *cnt);
        for (size_t i = 0; i < n; i++)
            cnt[(src[i].addr >> shift) & mask]++;
        size_t sum = 0;
        for (size_t d = 0; d < nd; d++) {
            size_t c = cnt[d];
            cnt[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[cnt[(src[i].addr >> shift) & mask]++] = src[i];
        pmat_svent *t = src;
        src = dst;
        dst = t;
    }
    free(cnt);
    if (src != v && tmapped && f->svs_maplen) {
        /* the sorted copy is the buffer: keep it, drop the old index */
        munmap(v, f->svs_maplen);
        f->svs = src;
        f->svs_maplen = tbytes;
        return 0;
    }
    if (src != v)
        memcpy(v, src, n * sizeof *v);
    if (tmapped)
        munmap(tmp, tbytes);
    else
        free(tmp);
    return 0;
}

/* Already in order?  Dumps walk the arenas, so often nearly. */
static int svs_sorted(const pmat_svent *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (cmp_sv(&v[i - 1], &v[i]) > 0)
            return 0;
    return 1;
}

/* Fast path of the indexing pass: the end of a plain SV record (GLOB,
 * SCALAR, REF, ARRAY, HASH, STASH, IO, ... - not CODE, CLASS, C_STRUCT)
 * from the size tables.  buf holds bytes [0, len) of the file window and
 * the record starts at buf[pos]; every part is checked against len.
 * Returns the record's end (relative to buf), or 0 when anything is unusual
 * or the record does not fit in the window: the caller then parses it with
 * the full parser over the mapping, which reports the exact error.
 * Always inlined so that the common layout (ul = pl = 8, little-endian)
 * compiles to fixed-size loads. */
static inline __attribute__((always_inline)) size_t
fast_sv_end(const pmat_file *f, const unsigned char *buf, size_t len, size_t pos, int ul, int pl,
            int be)
{
    uint64_t m1 = f->minus_1;
    unsigned type = buf[pos];
    if (type == 0 || type >= 0x7f || type >= f->h.n_types || type == PMAT_SVt_CODE ||
        type == PMAT_SVt_CLASS)
        return 0;
    pos++;
    uint64_t body_n = 0;
    int has_n = type == PMAT_SVt_ARRAY || type == PMAT_SVt_OBJECT || type == PMAT_SVt_HASH ||
                type == PMAT_SVt_STASH;
    for (int part = 0; part < 2; part++) {
        const pmat_sizes *sz = &f->h.types[part ? type : 0];
        if (len - pos < sz->bytes)
            return 0;
        if (part && has_n) {
            if (sz->bytes < (unsigned)ul)
                return 0;
            body_n = pmat_ld(buf + pos, ul, be);
        }
        pos += sz->bytes;
        if ((len - pos) / (unsigned)pl < sz->nptrs)
            return 0;
        pos += (size_t)sz->nptrs * (unsigned)pl;
        for (unsigned i = 0; i < sz->nstrs; i++) {
            if (len - pos < (unsigned)ul)
                return 0;
            uint64_t sl = pmat_ld(buf + pos, ul, be);
            pos += (unsigned)ul;
            if (sl == m1)
                continue;
            if (len - pos < sl)
                return 0;
            pos += (size_t)sl;
        }
    }
    if (type == PMAT_SVt_ARRAY || type == PMAT_SVt_OBJECT) {
        if ((len - pos) / (unsigned)pl < body_n)
            return 0;
        pos += (size_t)body_n * (unsigned)pl;
    } else if (type == PMAT_SVt_HASH || type == PMAT_SVt_STASH) {
        size_t entry_ptrs = f->h.hash_heks ? 2 : 1;   /* [HEK,] VALUE */
        for (uint64_t i = 0; i < body_n; i++) {
            if (len - pos < (unsigned)ul)
                return 0;
            uint64_t kl = pmat_ld(buf + pos, ul, be);
            pos += (unsigned)ul;
            if (kl != m1) {
                if (len - pos < kl)
                    return 0;
                pos += (size_t)kl;
            }
            if ((len - pos) / (unsigned)pl < entry_ptrs)
                return 0;
            pos += entry_ptrs * (unsigned)pl;
        }
    }
    return pos;
}

/* The window the index pass reads the heap through: file bytes
 * [off, off + len) in buf.  1 MiB stays in the L2/L3 cache between the
 * kernel's copy and our parse. */
#define WIN_SIZE ((size_t)1 << 20)
typedef struct win {
    unsigned char *buf;
    uint64_t off;
    size_t len;
    int eof;          /* the window reaches the end of the file */
    int failed;       /* pread failed: use the mapping from now on */
} win;

static void win_fill(const pmat_file *f, win *w, uint64_t pos)
{
    w->off = pos;
    w->len = 0;
    w->eof = 0;
    size_t want = f->size - pos < WIN_SIZE ? (size_t)(f->size - pos) : WIN_SIZE;
    while (w->len < want) {
        ssize_t r = pread(f->fd, w->buf + w->len, want - w->len, (off_t)(pos + w->len));
        if (r <= 0) {
            w->failed = 1;   /* e.g. EIO: the mapping path reports it */
            w->len = 0;
            return;
        }
        w->len += (size_t)r;
    }
    w->eof = pos + w->len == f->size;
}

typedef struct svsink {
    size_t cap;
    int mapped;       /* f->svs is a big_alloc reservation of cap entries */
} svsink;

/* Room for one more SV in the index. */
static inline int sv_room(pmat_file *f, pmat_cur *c, svsink *k)
{
    if (f->nsvs < k->cap)
        return 0;
    if (k->mapped)   /* the reservation is an upper bound: cannot happen */
        return pmat_fail(c, "too many records to index");
    return grow(c, (void **)&f->svs, &k->cap, f->nsvs, sizeof *f->svs);
}

/* The pass over the heap: SV records of the common kinds through the
 * window (fast_sv_end), everything else (CODE, extension and META records,
 * records larger than the window, anything malformed) through the full
 * parser over the mapping. */
static int index_heap(pmat_file *f, pmat_error *err)
{
    size_t xcap = 0, mcap = 0;
    pmat_iter it = { 0, 0 };
    pmat_record rec;
    pmat_cur c;
    pmat_cur_init(&c, f, f->heap_off, err, "heap");
    pmat_sv_hook hook = f->opts ? f->opts->sv_hook : NULL;
    void *hctx = f->opts ? f->opts->ctx : NULL;
    int ul = f->h.uint_len, pl = f->h.ptr_len, be = f->h.big_endian;
    int common = !be && ul == 8 && pl == 8;

    /* Reserve the index for as many SVs as could fit: every SV record has
     * at least the type byte and the common header. */
    svsink k = { 0, 0 };
    const pmat_sizes *c0 = &f->h.types[0];
    uint64_t minrec = 1 + (uint64_t)c0->bytes + (uint64_t)c0->nptrs * pl + (uint64_t)c0->nstrs * ul;
    uint64_t maxsv = f->size > f->heap_off ? (f->size - f->heap_off) / minrec + 1 : 1;
    if (maxsv <= SIZE_MAX / sizeof *f->svs) {
        size_t bytes = (size_t)maxsv * sizeof *f->svs;
        void *p = big_alloc(bytes);
        if (p) {
            f->svs = p;
            f->svs_maplen = bytes;
            k.cap = (size_t)maxsv;
            k.mapped = 1;
        }
    }

    win w = { NULL, 0, 0, 0, 0 };
    if (f->fd >= 0 && f->size)
        w.buf = malloc(WIN_SIZE);
    if (!w.buf)
        w.failed = 1;
    uint64_t pos = f->heap_off;
    uint64_t touched_from = UINT64_MAX;   /* mapping pages the slow path faulted in */
    int rc = 1;
    for (;;) {
        if (!w.failed && pos < f->size) {
            if (pos < w.off || pos - w.off >= w.len ||
                (!w.eof && w.len - (pos - w.off) < (WIN_SIZE >> 4)))
                win_fill(f, &w, pos);
            if (!w.failed) {
                size_t rp = (size_t)(pos - w.off), next;
                next = common ? fast_sv_end(f, w.buf, w.len, rp, 8, 8, 0)
                              : fast_sv_end(f, w.buf, w.len, rp, ul, pl, be);
                unsigned t = w.buf[rp];
                if (!next && !w.eof && rp && t && t < 0x7f && t < f->h.n_types &&
                    t != PMAT_SVt_CODE && t != PMAT_SVt_CLASS) {
                    /* perhaps it only ran past the window */
                    win_fill(f, &w, pos);
                    rp = 0;
                    if (!w.failed)
                        next = common ? fast_sv_end(f, w.buf, w.len, 0, 8, 8, 0)
                                      : fast_sv_end(f, w.buf, w.len, 0, ul, pl, be);
                }
                if (next) {
                    if (sv_room(f, &c, &k) < 0) {
                        rc = -1;
                        break;
                    }
                    const unsigned char *r = w.buf + rp;
                    f->svs[f->nsvs].addr = common ? pmat_ld(r + 1, 8, 0) : pmat_ld(r + 1, pl, be);
                    f->svs[f->nsvs].off_type = (pos << 8) | r[0];
                    f->nsvs++;
                    if (hook)
                        hook(hctx, f, r, next - rp, pos);
                    pos = w.off + next;
                    continue;
                }
            }
        }
        /* the full parser, over the mapping */
        it.pos = pos;
        if ((rc = pmat_heap_next(f, &it, &rec, err)) <= 0)
            break;
        if (touched_from == UINT64_MAX)
            touched_from = pos;
        c.pos = rec.offset;
        if (rec.kind == PMAT_REC_SV) {
            if (sv_room(f, &c, &k) < 0) {
                rc = -1;
                break;
            }
            const unsigned char *r = f->map + rec.offset;
            f->svs[f->nsvs].addr = pmat_ld(r + 1, pl, be);
            f->svs[f->nsvs].off_type = (rec.offset << 8) | rec.type;
            f->nsvs++;
            if (hook)
                hook(hctx, f, r, it.pos - rec.offset, rec.offset);
        } else if (add_record(f, &c, &rec, &xcap, &mcap) < 0) {
            rc = -1;
            break;
        }
        pos = it.pos;
        /* Big records (a stash, a long array) and the rarer kinds were read
         * through the mapping: give those pages back now and then. */
        if (pos - touched_from > ((uint64_t)16 << 20)) {
            pmat_release_pages(f);
            touched_from = UINT64_MAX;
        }
    }
    free(w.buf);
    if (touched_from != UINT64_MAX)
        pmat_release_pages(f);
    if (rc < 0)
        return -1;
    f->ctx_off = it.pos;
    if (k.mapped) {
        /* give back the unused tail of the reservation */
        size_t used = (f->nsvs * sizeof *f->svs + 4095) & ~(size_t)4095;
        if (used < f->svs_maplen) {
            munmap((char *)f->svs + used, f->svs_maplen - used);
            f->svs_maplen = used;
        }
        if (!used) {
            f->svs = NULL;
            f->svs_maplen = 0;
        }
    } else {
        trim((void **)&f->svs, f->nsvs, sizeof *f->svs);
    }
    trim((void **)&f->exts, f->nexts, sizeof *f->exts);
    /* qsort's base must not be NULL, even for zero elements. */
    if (f->nsvs > 1 && !svs_sorted(f->svs, f->nsvs)) {
        if (f->nsvs < 4096 || radix_sort_svs(f) < 0)
            qsort(f->svs, f->nsvs, sizeof *f->svs, cmp_sv);
    }
    if (f->nexts > 1)
        qsort(f->exts, f->nexts, sizeof *f->exts, cmp_ext);
    return 0;
}

static int index_contexts(pmat_file *f, pmat_error *err)
{
    size_t cap = 0;
    pmat_cur c;
    pmat_cur_init(&c, f, f->ctx_off, err, "contexts");
    for (;;) {
        pmat_ctx ctx;
        uint64_t at = c.pos;
        int rc = pmat_ctx_parse(&c, &ctx);
        if (rc < 0)
            return -1;
        if (rc == 0)
            break;
        if (grow(&c, (void **)&f->ctx_offs, &cap, f->nctxs, sizeof *f->ctx_offs) < 0)
            return -1;
        f->ctx_offs[f->nctxs++] = at;
    }
    f->mortals_off = c.pos;
    return 0;
}

/* Newer dumpers end with UINT count, PTRs, UINT floor.  Devel::MAT reads
 * the floor only when count > 0, but the v0.6 format writes it after a
 * count of 0 too: a floor is read when it is there.  A file that ends
 * right after the contexts is an older one and has no mortals section. */
static int index_mortals(pmat_file *f, pmat_error *err)
{
    pmat_cur c;
    pmat_cur_init(&c, f, f->mortals_off, err, "mortals count");
    if (c.pos == f->size) {
        f->mortals_off = 0;
        f->end_off = c.pos;
        return 0;
    }
    if (pmat_rd_uint(&c, &f->nmortals) < 0)
        return -1;
    if (f->nmortals) {
        c.what = "mortals";
        if (pmat_rd_check_count(&c, f->nmortals, (uint64_t)f->h.ptr_len, "mortals") < 0)
            return -1;
        f->mortals_elems_off = c.pos;
        c.pos += f->nmortals * (uint64_t)f->h.ptr_len;
        c.what = "mortal floor";
        if (pmat_rd_uint(&c, &f->mortal_floor) < 0)
            return -1;
        f->mortal_has_floor = 1;
    } else if (f->size - c.pos == (uint64_t)f->h.uint_len) {
        c.what = "mortal floor";
        if (pmat_rd_uint(&c, &f->mortal_floor) < 0)
            return -1;
        f->mortal_has_floor = 1;
    }
    f->end_off = c.pos;
    return 0;
}

int pmat_build_index(pmat_file *f, pmat_error *err)
{
    if (index_heap(f, err) < 0 || index_contexts(f, err) < 0 || index_mortals(f, err) < 0)
        return -1;
    return 0;
}

size_t pmat_sv_count(const pmat_file *f) { return f->nsvs; }

size_t pmat_sv_find(const pmat_file *f, uint64_t addr)
{
    size_t lo = 0, hi = f->nsvs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->svs[mid].addr < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < f->nsvs && f->svs[lo].addr == addr) ? lo : (size_t)-1;
}

uint64_t pmat_sv_addr(const pmat_file *f, size_t i)
{
    return i < f->nsvs ? f->svs[i].addr : 0;
}

unsigned pmat_sv_type(const pmat_file *f, size_t i)
{
    return i < f->nsvs ? (unsigned)(f->svs[i].off_type & 0xff) : 0;
}

int pmat_sv_get(const pmat_file *f, size_t i, pmat_sv *out, pmat_error *err)
{
    if (i >= f->nsvs)
        return pmat_fail_noff(err, f->path, "SV index %zu out of range", i);
    return pmat_sv_read(f, f->svs[i].off_type >> 8, out, err);
}
