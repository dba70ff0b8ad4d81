/* pmat_index.c - one pass over the heap, contexts and mortals that checks
 * every record and builds the address-sorted SV index.
 *
 * Index memory: 16 bytes per SV (pmat_svent), 16 per extension record,
 * 8 per context; arrays grow by doubling and are trimmed at the end, so
 * the peak is at most twice that.  Growth is bounded by the file: each
 * record consumes at least one byte of it. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

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

static int add_record(pmat_file *f, pmat_cur *c, const pmat_record *rec, size_t *svcap,
                      size_t *xcap, size_t *mcap)
{
    const unsigned char *p = f->map + rec->offset + 1;
    switch (rec->kind) {
    case PMAT_REC_SV:
        if (grow(c, (void **)&f->svs, svcap, f->nsvs, sizeof *f->svs) < 0)
            return -1;
        f->svs[f->nsvs].addr = pmat_get_uint_n(f, p, f->h.ptr_len);
        f->svs[f->nsvs].off_type = (rec->offset << 8) | rec->type;
        f->nsvs++;
        return 0;
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

/* LSD radix sort of the SV index by address, RADIX_BITS a pass, skipping
 * the passes where every address has the same digit (addresses share their
 * high bits).  The index is built in file order, so off_type already
 * ascends and a stable sort by addr gives exactly qsort's cmp_sv order.
 * Needs a temporary copy of the index; -1 if it cannot be allocated (the
 * caller then falls back to qsort). */
#define RADIX_BITS 11
#define RADIX_SIZE (1u << RADIX_BITS)
static int radix_sort_svs(pmat_svent *v, size_t n)
{
    pmat_svent *tmp = malloc(n * sizeof *tmp);
    size_t *cnt = malloc(RADIX_SIZE * sizeof *cnt);
    if (!tmp || !cnt) {
        free(tmp);
        free(cnt);
        return -1;
    }
    pmat_svent *src = v, *dst = tmp;
    for (int shift = 0; shift < 64; shift += RADIX_BITS) {
        memset(cnt, 0, RADIX_SIZE * sizeof *cnt);
        for (size_t i = 0; i < n; i++)
            cnt[(src[i].addr >> shift) & (RADIX_SIZE - 1)]++;
        if (cnt[(src[0].addr >> shift) & (RADIX_SIZE - 1)] == n)
            continue;               /* all addresses share this digit */
        size_t sum = 0;
        for (size_t d = 0; d < RADIX_SIZE; d++) {
            size_t c = cnt[d];
            cnt[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[cnt[(src[i].addr >> shift) & (RADIX_SIZE - 1)]++] = src[i];
        pmat_svent *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        memcpy(v, src, n * sizeof *v);
    free(tmp);
    free(cnt);
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
 * from the size tables, checking every part against the end of the file.
 * 0 when anything is unusual: the caller then parses the record with the
 * full parser, which reports the exact error. */
static uint64_t fast_sv_end(const pmat_file *f, uint64_t pos)
{
    const unsigned char *map = f->map;
    uint64_t end = f->size, ul = (uint64_t)f->h.uint_len, pl = (uint64_t)f->h.ptr_len;
    unsigned type = map[pos];
    if (type == 0 || type >= 0x7f || type >= f->h.n_types || type == PMAT_SVt_CODE ||
        type == PMAT_SVt_CLASS)
        return 0;
    pos++;
    uint64_t body_n = 0;
    for (int part = 0; part < 2; part++) {
        const pmat_sizes *sz = &f->h.types[part ? type : 0];
        if (end - pos < sz->bytes)
            return 0;
        if (part && (type == PMAT_SVt_ARRAY || type == PMAT_SVt_OBJECT || type == PMAT_SVt_HASH ||
                     type == PMAT_SVt_STASH)) {
            if (sz->bytes < ul)
                return 0;
            body_n = pmat_get_uint_n(f, map + pos, (int)ul);
        }
        pos += sz->bytes;
        if ((end - pos) / pl < sz->nptrs)
            return 0;
        pos += sz->nptrs * pl;
        for (unsigned i = 0; i < sz->nstrs; i++) {
            if (end - pos < ul)
                return 0;
            uint64_t len = pmat_get_uint_n(f, map + pos, (int)ul);
            pos += ul;
            if (len == f->minus_1)
                continue;
            if (end - pos < len)
                return 0;
            pos += len;
        }
    }
    if (type == PMAT_SVt_ARRAY || type == PMAT_SVt_OBJECT) {
        if ((end - pos) / pl < body_n)
            return 0;
        pos += body_n * pl;
    } else if (type == PMAT_SVt_HASH || type == PMAT_SVt_STASH) {
        for (uint64_t i = 0; i < body_n; i++) {
            if (end - pos < ul)
                return 0;
            uint64_t len = pmat_get_uint_n(f, map + pos, (int)ul);
            pos += ul;
            if (len != f->minus_1) {
                if (end - pos < len)
                    return 0;
                pos += len;
            }
            if (end - pos < pl)
                return 0;
            pos += pl;
        }
    }
    return pos;
}

static int index_heap(pmat_file *f, pmat_error *err)
{
    size_t svcap = 0, xcap = 0, mcap = 0;
    pmat_iter it = { 0, 0 };
    pmat_record rec;
    pmat_cur c;
    pmat_cur_init(&c, f, f->heap_off, err, "heap");
    int rc;
    for (;;) {
        uint64_t at = it.pos ? it.pos : f->heap_off, next;
        if (at < f->size && (next = fast_sv_end(f, at)) != 0) {
            rec.kind = PMAT_REC_SV;
            rec.type = f->map[at];
            rec.offset = at;
            it.pos = next;
        } else if ((rc = pmat_heap_next(f, &it, &rec, err)) <= 0) {
            break;
        }
        c.pos = rec.offset;
        if (add_record(f, &c, &rec, &svcap, &xcap, &mcap) < 0)
            return -1;
    }
    if (rc < 0)
        return -1;
    f->ctx_off = it.pos;
    trim((void **)&f->svs, f->nsvs, sizeof *f->svs);
    trim((void **)&f->exts, f->nexts, sizeof *f->exts);
    /* qsort's base must not be NULL, even for zero elements. */
    if (f->nsvs > 1 && !svs_sorted(f->svs, f->nsvs)) {
        if (f->nsvs < 4096 || radix_sort_svs(f->svs, f->nsvs) < 0)
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

/* Newer dumpers end with UINT count, PTRs, UINT floor (the floor only when
 * count > 0).  A file that ends right after the contexts is an older one
 * and has no mortals section. */
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
