/* cmd_model.c - Devel::MAT's view of a dump, on top of libpmat (see cmd_int.h).
 *
 * What Devel::MAT computes when it loads a file (Dumpfile.pm, SV.pm _fixup)
 * is recomputed here from the mapping, lazily where possible:
 *  - kinds: ARRAYs that are a CODE's padlist / padnames / pads become
 *    PADLIST / PADNAMES / PAD, UNDEF records count as SCALAR, YES/NO as BOOL;
 *  - the protosub of a closure (same oproot as a CvCLONE CODE);
 *  - on ithreads perls, a CODE's constants and globrefs are the elements
 *    of its depth-1 pad at the CONSTIX/GVIX indexes;
 *  - outrefs with Devel::MAT's names and strengths, inrefs as CSR arrays.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cmd_int.h"
#include "pmat_int.h"

/* ---- helpers ---------------------------------------------------------- */

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "cpmat: out of memory\n");
        exit(2);
    }
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fprintf(stderr, "cpmat: out of memory\n");
        exit(2);
    }
    return p;
}

char *xstrdup(const char *s)
{
    size_t l = strlen(s);
    char *p = xmalloc(l + 1);
    memcpy(p, s, l + 1);
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

char *xstrdup_str(const pmat_str *s)
{
    char *p = xmalloc(s->len + 1);
    if (s->len)
        memcpy(p, s->ptr, s->len);
    p[s->len] = 0;
    return p;
}

/* B::perlstring: "..." with \" \\ \$ \@ escaped, non-printables as \x{..} */
char *cm_perlstring(const unsigned char *p, size_t len)
{
    char *o = xmalloc(len * 8 + 3), *q = o;
    *q++ = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\' || c == '$' || c == '@') {
            *q++ = '\\';
            *q++ = (char)c;
        } else if (c >= 0x20 && c < 0x7f) {
            *q++ = (char)c;
        } else if (c && strchr("\a\b\t\n\f\r", c)) {
            *q++ = '\\';
            *q++ = "abtnfr"[strchr("\a\b\t\n\f\r", c) - "\a\b\t\n\f\r"];
        } else {
            q += sprintf(q, "\\%03o", c);
        }
    }
    *q++ = '"';
    *q = 0;
    return o;
}

char *cm_format_key(const unsigned char *p, size_t len)
{
    int ident = len > 0 && (p[0] == '_' || ((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z'));
    for (size_t i = 1; ident && i < len; i++)
        if (!(p[i] == '_' || (p[i] >= '0' && p[i] <= '9') ||
              ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z')))
            ident = 0;
    if (ident) {
        char *o = xmalloc(len + 3);
        o[0] = '{';
        memcpy(o + 1, p, len);
        o[len + 1] = '}';
        o[len + 2] = 0;
        return o;
    }
    char *ps = cm_perlstring(p, len);
    char *o = xasprintf("{%s}", ps);
    free(ps);
    return o;
}

char *cm_format_bytes(uint64_t b)
{
    if (b < 1024)
        return xasprintf("%d bytes", (int)b);
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
    double v = (double)b;
    int u = 0;
    v /= 1024;
    while (u < 3 && v >= 1024) {
        v /= 1024;
        u++;
    }
    return xasprintf("%.1f %s", v, units[u]);
}

void cm_refs_free(cm_refs *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i].name);
    free(r->v);
    r->v = NULL;
    r->n = r->cap = 0;
}

static void refs_push(cm_refs *r, const char *name, int strength, uint64_t addr)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->v = xrealloc(r->v, r->cap * sizeof *r->v);
    }
    r->v[r->n].name = xstrdup(name ? name : "");
    r->v[r->n].strength = strength;
    r->v[r->n].addr = addr;
    r->n++;
}

/* ---- kinds ----------------------------------------------------------------- */

static const char *const kind_names[K_NKINDS] = {
    "Unknown", "GLOB", "SCALAR", "REF", "ARRAY", "HASH", "STASH", "CODE", "IO",
    "LVALUE", "REGEXP", "FORMAT", "INVLIST", "BOOL", "OBJECT", "CLASS", "C_STRUCT",
    "PADLIST", "PADNAMES", "PAD", "UNDEF"
};

int cm_pmat_version = 56;

/* "0.51" or "0.56" (Devel::MAT's $VERSION); -1 when it is no such number. */
int cm_set_pmat_version(const char *text)
{
    unsigned a, b;
    int n = 0;
    if (sscanf(text, "%u.%2u%n", &a, &b, &n) != 2 || text[n] || a != 0 || strlen(text) != 4)
        return -1;
    cm_pmat_version = (int)b;
    return 0;
}

const char *cm_kind_name(unsigned k) { return k < K_NKINDS ? kind_names[k] : "Unknown"; }

static uint8_t kind_of_type(unsigned t)
{
    switch (t) {
    case PMAT_SVt_GLOB: return K_GLOB;
    case PMAT_SVt_SCALAR: case PMAT_SVt_UNDEF: return K_SCALAR;
    case PMAT_SVt_REF: return K_REF;
    case PMAT_SVt_ARRAY: return K_ARRAY;
    case PMAT_SVt_HASH: return K_HASH;
    case PMAT_SVt_STASH: return K_STASH;
    case PMAT_SVt_CODE: return K_CODE;
    case PMAT_SVt_IO: return K_IO;
    case PMAT_SVt_LVALUE: return K_LVALUE;
    case PMAT_SVt_REGEXP: return K_REGEXP;
    case PMAT_SVt_FORMAT: return K_FORMAT;
    case PMAT_SVt_INVLIST: return K_INVLIST;
    case PMAT_SVt_YES: case PMAT_SVt_NO: return K_BOOL;
    case PMAT_SVt_OBJECT: return K_OBJECT;
    case PMAT_SVt_CLASS: return K_CLASS;
    case PMAT_SVt_C_STRUCT: return K_C_STRUCT;
    default: return K_UNKNOWN;
    }
}

unsigned cm_kind_of(const cm *m, size_t i) { return m->kind[i]; }
unsigned cm_kind_of_type(unsigned type) { return kind_of_type(type); }


size_t cm_find(const cm *m, uint64_t addr)
{
    if (!addr)
        return NO_IDX;
    /* outrefs look the same target up several times in a row */
    if (addr == m->last_addr)
        return m->last_idx;
    size_t r;
    if (m->adir) {
        /* The SVs of bucket b (addresses abase + [b, b+1) << ashift) are
         * svs[adir[b] .. adir[b+1]): a few entries, searched for the first
         * one at addr. */
        uint64_t b = (addr - m->abase) >> m->ashift;
        r = NO_IDX;
        if (addr >= m->abase && b < m->nadir) {
            const pmat_svent *v = m->f->svs;
            size_t lo = m->adir[b], hi = m->adir[b + 1];
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (v[mid].addr < addr)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < m->adir[b + 1] && v[lo].addr == addr)
                r = lo;
        }
    } else {
        r = pmat_sv_find(m->f, addr);
    }
    ((cm *)m)->last_addr = addr;
    ((cm *)m)->last_idx = r;
    return r;
}

/* Ask for 2 MiB pages on a big fresh array (before it is touched): the
 * per-SV and per-reference arrays of identify/inrefs are tens of MB, and
 * on the VMs this runs on each 4 KiB page fault costs microseconds. */
static void *hint_huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    if (p && bytes >= ((size_t)4 << 20)) {
        uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
        uintptr_t e = ((uintptr_t)p + bytes) & ~(uintptr_t)4095;
        if (e > a)
            madvise((void *)a, e - a, MADV_HUGEPAGE);
    }
#else
    (void)bytes;
#endif
    return p;
}

/* An address directory over the sorted index: bucket b holds the SVs at
 * abase + [b << ashift, (b + 1) << ashift), adir[b] is the first of them.
 * The bucket width is the smallest power of two that keeps the directory
 * within 2 entries per SV (4-8 bytes per SV).  Unlike a hash it keeps the
 * index's order: the inrefs pass goes through the SVs in address order
 * and their references mostly point nearby (an object's body was allocated
 * next to it), so lookups hit the same cache lines instead of missing on
 * every one; and it is built in one sequential pass. */
static void build_addr_dir(cm *m)
{
    const pmat_svent *v = m->f->svs;
    if (m->n < 2)
        return;                 /* binary search is as good */
    uint64_t base = v[0].addr, span = v[m->n - 1].addr - base;
    unsigned shift = 0;
    while (shift < 63 && (span >> shift) >= 2 * (uint64_t)m->n)
        shift++;
    size_t nb = (size_t)(span >> shift) + 1;
    uint32_t *d = hint_huge(malloc((nb + 1) * sizeof *d), (nb + 1) * sizeof *d);
    if (!d)
        return;                 /* fall back to binary search */
    size_t i = 0;
    for (size_t b = 0; b <= nb; b++) {
        while (i < m->n && ((v[i].addr - base) >> shift) < b)
            i++;
        d[b] = (uint32_t)i;
    }
    m->adir = d;
    m->nadir = nb;
    m->abase = base;
    m->ashift = shift;
}

void cm_size_blessed(const cm *m, size_t i, uint64_t *size, uint64_t *blessed)
{
    const pmat_file *f = m->f;
    const pmat_sizes *c = &f->h.types[0];
    int pl = f->h.ptr_len, ul = f->h.uint_len;
    const unsigned char *p = f->map + (f->svs[i].off_type >> 8) + 1;
    /* common header: PTR address, U32 refcnt, UINT size; then PTR blessed.
     * The index pass checked the record, so these bytes are in the map. */
    if (c->bytes >= (unsigned)(pl + 4 + ul) && c->nptrs >= 1) {
        *size = pmat_get_uint_n(f, p + pl + 4, ul);
        *blessed = pmat_get_uint_n(f, p + c->bytes, pl);
        if ((f->svs[i].off_type & 0xff) == PMAT_SVt_C_STRUCT)
            *blessed = 0;
        return;
    }
    pmat_sv sv;
    pmat_error e;
    if (pmat_sv_get(f, i, &sv, &e) < 0) {
        *size = *blessed = 0;
        return;
    }
    *size = sv.size;
    *blessed = sv.type == PMAT_SVt_C_STRUCT ? 0 : sv.blessed;
}

int cm_is_immortal(const cm *m, uint64_t addr)
{
    return addr && (addr == m->h->undef_at || addr == m->h->yes_at || addr == m->h->no_at);
}

int cm_exists(const cm *m, uint64_t addr)
{
    return addr && (cm_is_immortal(m, addr) || cm_find(m, addr) != NO_IDX);
}

int cm_has_magic(const cm *m, uint64_t addr)
{
    if (m->magic) {
        size_t i = cm_find(m, addr);
        return i != NO_IDX && (m->magic[i >> 3] >> (i & 7)) & 1;
    }
    size_t first, n = pmat_sv_extensions(m->f, addr, &first);
    for (size_t i = 0; i < n; i++) {
        pmat_ext x;
        pmat_error e;
        if (pmat_ext_get(m->f, first + i, &x, &e) == 0 &&
            (x.type == PMAT_SVx_MAGIC || x.type == PMAT_SVx_MAGICv2))
            return 1;
    }
    return 0;
}

static int scalar_defined(const pmat_sv *sv)
{
    return (cm_scalar_flags(sv) & (PMAT_SCALAR_HAS_IV | PMAT_SCALAR_HAS_NV | PMAT_SCALAR_HAS_PV)) != 0;
}

const char *cm_type_of(cm *m, uint64_t addr)
{
    if (addr == m->h->undef_at)
        return "UNDEF";
    if (addr == m->h->yes_at || addr == m->h->no_at)
        return "SCALAR";
    size_t i = cm_find(m, addr);
    if (i == NO_IDX)
        return "";
    unsigned k = m->kind[i];
    if (k == K_SCALAR)
        return cm_is_valueless_scalar(m, i) ? "UNDEF" : "SCALAR";
    return cm_kind_name(k);
}

int cm_is_valueless_scalar(cm *m, size_t i)
{
    if (m->kind[i] != K_SCALAR)
        return 0;
    if (pmat_sv_type(m->f, i) == PMAT_SVt_UNDEF)
        return 1;   /* _UNDEFSV: a SCALAR with no field defined */
    pmat_sv sv;
    if (pmat_sv_get(m->f, i, &sv, &m->err) < 0)
        return 0;
    return !scalar_defined(&sv);
}

static int cmp_pair(const void *a, const void *b)
{
    const cm_pair *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key;
}

static void pair_add(cm_pair **v, size_t *n, size_t *cap, uint32_t key, uint32_t val)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        *v = xrealloc(*v, *cap * sizeof **v);
    }
    (*v)[*n].key = key;
    (*v)[*n].val = val;
    (*n)++;
}

/* ---- CODE details ------------------------------------------------------------ */

static void u64_push(uint64_t **v, size_t *n, uint64_t x)
{
    if ((*n & (*n - 1)) == 0 || *n == 0)
        *v = xrealloc(*v, (*n ? *n * 2 : 4) * sizeof **v);
    (*v)[(*n)++] = x;
}

void cm_code_free(cm_code *c)
{
    free(c->pads);
    free(c->padnames);
    free(c->padflags);
    free(c->consts);
    free(c->gvs);
    free(c->constix);
    free(c->gvix);
    memset(c, 0, sizeof *c);
}

static uint64_t array_elem_addr(cm *m, uint64_t av, uint64_t i)
{
    size_t idx = cm_find(m, av);
    if (idx == NO_IDX)
        return 0;
    pmat_sv sv;
    if (pmat_sv_get(m->f, idx, &sv, &m->err) < 0)
        return 0;
    if (sv.type != PMAT_SVt_ARRAY || i >= sv.u.array.n)
        return 0;
    return pmat_array_elem(m->f, &sv, i);
}

int cm_code_load(cm *m, uint64_t addr, cm_code *c)
{
    memset(c, 0, sizeof *c);
    size_t idx = cm_find(m, addr);
    if (idx == NO_IDX || pmat_sv_get(m->f, idx, &c->sv, &m->err) < 0 ||
        c->sv.type != PMAT_SVt_CODE)
        return -1;
    pmat_iter it = { 0, 0 };
    pmat_code_rec r;
    int rc;
    size_t padcap = 0;
    /* The pad and pad-name indexes are numbers in the file, not counts of
     * records: a corrupt one must not size our arrays.  In a valid file a
     * PAD at depth N comes with one record per depth 1..N, and a name's
     * index is a slot of its pad, which the file holds as a PTR, so both
     * stay below the file's size / 4.  (A fuzzed 919-byte file asked for
     * 800 MB here.) */
    uint64_t ixmax = pmat_file_size(m->f) / 4;
    if (ixmax > (1u << 24))
        ixmax = 1u << 24;
    while ((rc = pmat_code_next(m->f, &c->sv, &it, &r, &m->err)) > 0) {
        switch (r.type) {
        case PMAT_CODEx_CONSTSV: u64_push(&c->consts, &c->nconsts, r.ptr); break;
        case PMAT_CODEx_CONSTIX: u64_push(&c->constix, &c->nconstix, r.ix); break;
        case PMAT_CODEx_GVSV: u64_push(&c->gvs, &c->ngvs, r.ptr); break;
        case PMAT_CODEx_GVIX: u64_push(&c->gvix, &c->ngvix, r.ix); break;
        case PMAT_CODEx_PADNAMES: c->padnames_av = r.ptr; break;
        case PMAT_CODEx_PADNAME_FLAGS:
            if (r.ix < padcap)
                c->padflags[r.ix] = (uint16_t)((c->padflags[r.ix] & 0x8100) | r.flags);
            break;
        case PMAT_CODEx_PADNAME_FIELD:
            if (r.ix < padcap)
                c->padflags[r.ix] |= 0x100;
            break;
        case PMAT_CODEx_PAD:
            if (r.ix >= 1 && r.ix < ixmax) {
                if (r.ix > c->npads) {
                    c->pads = xrealloc(c->pads, r.ix * sizeof *c->pads);
                    memset(c->pads + c->npads, 0, (r.ix - c->npads) * sizeof *c->pads);
                    c->npads = r.ix;
                }
                c->pads[r.ix - 1] = r.ptr;
            }
            break;
        case PMAT_CODEx_PADNAME:
            if (r.ix < ixmax) {
                if (r.ix >= padcap) {
                    size_t nc = padcap * 2 > r.ix + 1 ? padcap * 2 : r.ix + 1;
                    c->padnames = xrealloc(c->padnames, nc * sizeof *c->padnames);
                    c->padflags = xrealloc(c->padflags, nc * sizeof *c->padflags);
                    for (size_t j = padcap; j < nc; j++) {
                        c->padflags[j] = 0;
                        c->padnames[j].ptr = NULL;
                        c->padnames[j].len = 0;
                        c->padnames[j].is_null = 1;
                    }
                    padcap = nc;
                }
                c->padnames[r.ix] = r.name;
                c->padflags[r.ix] |= 0x8000;   /* a PADNAME record exists */
                if (r.ix + 1 > c->npadnames)
                    c->npadnames = r.ix + 1;
            }
            break;
        default: break;
        }
    }
    if (rc < 0)
        return -1;
    /* A padnames AV (older perls) overrides the PADNAME records. */
    size_t pi = cm_find(m, c->padnames_av);
    if (pi != NO_IDX) {
        pmat_sv av;
        if (pmat_sv_get(m->f, pi, &av, &m->err) == 0 && av.type == PMAT_SVt_ARRAY) {
            free(c->padnames);
            free(c->padflags);
            c->npadnames = av.u.array.n;
            c->padnames = xmalloc((c->npadnames + 1) * sizeof *c->padnames);
            c->padflags = calloc(c->npadnames + 1, sizeof *c->padflags);
            if (!c->padflags)
                return -1;
            for (uint64_t j = 0; j < av.u.array.n; j++) {
                c->padnames[j].is_null = 1;
                c->padnames[j].ptr = NULL;
                c->padnames[j].len = 0;
                uint64_t e = pmat_array_elem(m->f, &av, j);
                size_t ei = cm_find(m, e);
                if (j == 0 || ei == NO_IDX || cm_is_immortal(m, e))
                    continue;
                pmat_sv nsv;
                if (pmat_sv_get(m->f, ei, &nsv, &m->err) == 0 && nsv.type == PMAT_SVt_SCALAR &&
                    (nsv.u.scalar.flags & PMAT_SCALAR_HAS_PV)) {
                    c->padnames[j] = nsv.u.scalar.pv;
                    c->padflags[j] = 0x8000;
                }
            }
        }
    }
    /* ithreads: constants and globrefs live in the depth-1 pad */
    if (m->h->ithreads) {
        uint64_t pad0 = c->npads ? c->pads[0] : 0;
        for (int t = 0; t < 2; t++) {
            uint64_t *ix = t ? c->gvix : c->constix;
            size_t nix = t ? c->ngvix : c->nconstix;
            if (!nix)
                continue;
            uint64_t **dst = t ? &c->gvs : &c->consts;
            size_t *nd = t ? &c->ngvs : &c->nconsts;
            free(*dst);
            *dst = NULL;
            *nd = 0;
            for (size_t j = 0; j < nix; j++) {
                int dup = 0;
                for (size_t k = 0; k < j && !dup; k++)
                    dup = ix[k] == ix[j];
                if (dup)
                    continue;
                u64_push(dst, nd, pad0 ? array_elem_addr(m, pad0, ix[j]) : 0);
            }
        }
    }
    return 0;
}

/* ---- open / close ------------------------------------------------------------- */

static int cmp_u64idx(const void *a, const void *b, uint64_t *keys)
{
    (void)a; (void)b; (void)keys;
    return 0;
}

typedef struct protoent { uint64_t oproot; uint32_t cv; } protoent;
static int cmp_proto(const void *a, const void *b)
{
    const protoent *x = a, *y = b;
    if (x->oproot != y->oproot)
        return x->oproot < y->oproot ? -1 : 1;
    return x->cv < y->cv ? -1 : x->cv > y->cv;
}

/* ---- per-(type, blessed) figures gathered while pmat_open reads ---------- */

#define STATS_MAX 65536   /* more distinct keys than this: a corrupt file, give up */

static inline uint64_t stat_hash(uint64_t bl, unsigned type)
{
    return ((bl >> 3) ^ ((uint64_t)type << 56)) * 0x9E3779B97F4A7C15ull;
}

static cm_stat *stat_slot(cm *m, uint64_t bl, unsigned type)
{
    uint64_t mask = m->stats_cap - 1, h = (stat_hash(bl, type) >> 40) & mask;
    for (;;) {
        cm_stat *e = &m->stats[h];
        if (!e->used || (e->blessed == bl && e->type == type))
            return e;
        h = (h + 1) & mask;
    }
}

static void stats_hook(void *ctx, const pmat_file *f, const unsigned char *rec, uint64_t len,
                       uint64_t offset)
{
    (void)offset;
    cm *m = ctx;
    if (m->stats_broken)
        return;
    const pmat_header *h = pmat_file_header(f);
    const pmat_sizes *c0 = &h->types[0];
    int pl = h->ptr_len, ul = h->uint_len;
    /* the same fields cm_size_blessed reads; a short common header or no
     * blessed PTR: leave it to the slow path */
    if (c0->bytes < (unsigned)(pl + 4 + ul) || c0->nptrs < 1 ||
        len < 1 + (uint64_t)c0->bytes + (uint64_t)pl) {
        m->stats_broken = 1;
        return;
    }
    unsigned type = rec[0];
    uint64_t size = pmat_ld(rec + 1 + pl + 4, ul, h->big_endian);
    uint64_t bl = type == PMAT_SVt_C_STRUCT ? 0 : pmat_ld(rec + 1 + c0->bytes, pl, h->big_endian);
    if (2 * (m->nstats + 1) > m->stats_cap) {
        if (m->nstats >= STATS_MAX) {
            m->stats_broken = 1;
            return;
        }
        cm_stat *old = m->stats;
        size_t ocap = m->stats_cap;
        m->stats_cap = ocap ? ocap * 2 : 256;
        m->stats = calloc(m->stats_cap, sizeof *m->stats);
        if (!m->stats) {
            m->stats = old;
            m->stats_cap = ocap;
            m->stats_broken = 1;
            return;
        }
        for (size_t i = 0; i < ocap; i++)
            if (old[i].used)
                *stat_slot(m, old[i].blessed, old[i].type) = old[i];
        free(old);
    }
    cm_stat *e = stat_slot(m, bl, type);
    if (!e->used) {
        e->used = 1;
        e->blessed = bl;
        e->type = type;
        m->nstats++;
    }
    e->svs++;
    e->bytes += size;
}

const cm_stat *cm_stats(const cm *m, size_t *cap)
{
    if (!m->stats || m->stats_broken)
        return NULL;
    *cap = m->stats_cap;
    return m->stats;
}

int cm_open(cm *m, const char *path)
{
    memset(m, 0, sizeof *m);
    (void)cmp_u64idx;
    pmat_open_opts oo = { stats_hook, m };
    m->f = pmat_open_ex(path, &oo, &m->err);
    if (!m->f)
        return -1;
    m->h = pmat_file_header(m->f);
    m->n = pmat_sv_count(m->f);
    if (m->n >= (1u << 30)) {
        snprintf(m->err.msg, sizeof m->err.msg, "%s: too many SVs (%zu) for cpmat's indexes",
                 path, m->n);
        return -1;
    }
    m->kind = xmalloc(m->n);
    for (size_t i = 0; i < m->n; i++)
        m->kind[i] = kind_of_type(pmat_sv_type(m->f, i));
    /* CODE fixup: pads, padlists, padnames AVs; protosubs */
    size_t cap = 0, pcap = 0;
    protoent *pv = NULL;
    size_t np = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (m->kind[i] != K_CODE)
            continue;
        cm_code c;
        if (cm_code_load(m, pmat_sv_addr(m->f, i), &c) < 0) {
            cm_code_free(&c);
            continue;
        }
        /* Only ARRAY records become PADLIST/PADNAMES/PAD: in a damaged file
         * the pointer may lead to any record (a CODE that is its own pad),
         * and the pad listings take their length from the array count,
         * which the index checked against the file only for ARRAYs. */
        size_t j = cm_find(m, c.sv.u.code.padlist);
        if (j != NO_IDX && pmat_sv_type(m->f, j) == PMAT_SVt_ARRAY &&
            !cm_is_immortal(m, c.sv.u.code.padlist)) {
            m->kind[j] = K_PADLIST;
            pair_add(&m->padcv, &m->npadcv, &cap, (uint32_t)j, (uint32_t)i);
        }
        j = cm_find(m, c.padnames_av);
        if (j != NO_IDX && pmat_sv_type(m->f, j) == PMAT_SVt_ARRAY &&
            !cm_is_immortal(m, c.padnames_av)) {
            m->kind[j] = K_PADNAMES;
            pair_add(&m->padcv, &m->npadcv, &cap, (uint32_t)j, (uint32_t)i);
        }
        for (size_t d = 0; d < c.npads; d++) {
            j = cm_find(m, c.pads[d]);
            if (j == NO_IDX || pmat_sv_type(m->f, j) != PMAT_SVt_ARRAY ||
                cm_is_immortal(m, c.pads[d]))
                continue;
            m->kind[j] = K_PAD;
            pair_add(&m->padcv, &m->npadcv, &cap, (uint32_t)j, (uint32_t)i);
        }
        if (c.sv.u.code.oproot && (c.sv.u.code.flags & 0x01)) {
            if (np == pcap) {
                pcap = pcap ? pcap * 2 : 64;
                pv = xrealloc(pv, pcap * sizeof *pv);
            }
            pv[np].oproot = c.sv.u.code.oproot;
            pv[np].cv = (uint32_t)i;
            np++;
        }
        cm_code_free(&c);
    }
    /* glob slots (GLOB _fixup) */
    cap = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (m->kind[i] != K_GLOB)
            continue;
        pmat_sv g;
        if (pmat_sv_get(m->f, i, &g, &m->err) < 0)
            continue;
        uint64_t slots[4] = { g.u.glob.scalar, g.u.glob.array, g.u.glob.hash, g.u.glob.code };
        for (int s = 0; s < 4; s++) {
            size_t j = cm_find(m, slots[s]);
            if (j != NO_IDX && !cm_is_immortal(m, slots[s]))
                pair_add(&m->globat, &m->nglobat, &cap, (uint32_t)j, (uint32_t)i);
        }
    }
    if (m->nglobat > 1)
        qsort(m->globat, m->nglobat, sizeof *m->globat, cmp_pair);
    if (m->npadcv > 1)
        qsort(m->padcv, m->npadcv, sizeof *m->padcv, cmp_pair);
    if (np > 1)
        qsort(pv, np, sizeof *pv, cmp_proto);
    m->nprotos = np;
    m->proto_oproot = xmalloc(np * sizeof(uint64_t) + 1);
    m->proto_cv = xmalloc(np * sizeof(uint32_t) + 1);
    for (size_t i = 0; i < np; i++) {
        m->proto_oproot[i] = pv[i].oproot;
        m->proto_cv[i] = pv[i].cv;
    }
    free(pv);
    /* which SVs have magic (a bit each), from the sorted extension index */
    m->magic = calloc(m->n / 8 + 1, 1);
    m->hasext = calloc(m->n / 8 + 1, 1);
    if (!m->magic || !m->hasext)
        return -1;
    for (size_t x = 0; x < m->f->nexts; x++) {
        uint64_t off = m->f->exts[x].off;
        size_t j = pmat_sv_find(m->f, m->f->exts[x].sv);
        if (j == NO_IDX)
            continue;
        m->hasext[j >> 3] |= (uint8_t)(1u << (j & 7));
        /* Devel::MAT 0.56 keeps both kinds in one list, $sv->{magic} */
        if (m->f->map[off] == PMAT_SVx_MAGIC || m->f->map[off] == PMAT_SVx_MAGICv2)
            m->magic[j >> 3] |= (uint8_t)(1u << (j & 7));
    }
    /* mortals */
    uint64_t nm = pmat_mortal_count(m->f);
    if (nm) {
        m->mortal = calloc(m->n ? m->n : 1, 1);
        if (!m->mortal)
            return -1;
        for (uint64_t i = 0; i < nm; i++) {
            size_t j = cm_find(m, pmat_mortal_at(m->f, i));
            if (j != NO_IDX)
                m->mortal[j] = 1;
        }
    }
    return 0;
}

void cm_close(cm *m)
{
    if (m->f)
        pmat_close(m->f);
    free(m->kind);
    free(m->padcv);
    free(m->globat);
    free(m->proto_oproot);
    free(m->proto_cv);
    free(m->in_start);
    free(m->in_src);
    free(m->mortal);
    free(m->adir);
    free(m->magic);
    free(m->hasext);
    free(m->stats);
    memset(m, 0, sizeof *m);
}

/* The first entry of a sorted pair list whose key is not below key. */
static size_t pair_lower_bound(const cm_pair *v, size_t n, size_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The last value for key in a sorted pair list (Devel::MAT's fixups run
 * in hash order; with several claimants one of them wins). */
static size_t pair_last(const cm_pair *v, size_t n, size_t key)
{
    size_t lo = pair_lower_bound(v, n, key);
    size_t last = NO_IDX;
    while (lo < n && v[lo].key == key)
        last = v[lo++].val;
    return last;
}

uint64_t cm_padcv(cm *m, size_t idx)
{
    size_t last = pair_last(m->padcv, m->npadcv, idx);
    return last == NO_IDX ? 0 : pmat_sv_addr(m->f, last);
}

uint64_t cm_glob_at(cm *m, size_t idx)
{
    if (m->kind[idx] == K_CODE) {
        /* several globs may hold the CODE (imports); Devel::MAT picks one in
         * hash order, cpmat prefers the CODE's own GV when it is one of them */
        pmat_sv c;
        if (pmat_sv_get(m->f, idx, &c, &m->err) == 0) {
            size_t lo = pair_lower_bound(m->globat, m->nglobat, idx);
            for (; lo < m->nglobat && m->globat[lo].key == idx; lo++)
                if (pmat_sv_addr(m->f, m->globat[lo].val) == c.u.code.glob)
                    return c.u.code.glob;
        }
    }
    size_t last = pair_last(m->globat, m->nglobat, idx);
    if (last != NO_IDX)
        return pmat_sv_addr(m->f, last);
    if (m->kind[idx] == K_CODE) {
        pmat_sv c;
        if (pmat_sv_get(m->f, idx, &c, &m->err) == 0)
            return c.u.code.glob;
    }
    return 0;
}

static uint64_t protosub_of(cm *m, uint64_t oproot)
{
    size_t lo = 0, hi = m->nprotos;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->proto_oproot[mid] < oproot)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t last = NO_IDX;
    while (lo < m->nprotos && m->proto_oproot[lo] == oproot)
        last = m->proto_cv[lo++];
    return last == NO_IDX ? 0 : pmat_sv_addr(m->f, last);
}

/* ---- roots ---------------------------------------------------------------- */

static const char *const rootdesc[][2] = {
    { "sv_undef", "+the undef SV" }, { "sv_yes", "+the true SV" },
    { "sv_no", "+the false SV" }, { "main_cv", "+the main code" },
    { "defstash", "+the default stash" }, { "mainstack", "+the main stack AV" },
    { "beginav", "+the BEGIN list" }, { "checkav", "+the CHECK list" },
    { "unitcheckav", "+the UNITCHECK list" }, { "initav", "+the INIT list" },
    { "endav", "+the END list" }, { "strtab", "+the shared string table HV" },
    { "envgv", "-the ENV GV" }, { "incgv", "+the INC GV" }, { "statgv", "+the stat GV" },
    { "statname", "+the statname SV" }, { "tmpsv", "-the temporary SV" },
    { "defgv", "+the default GV" }, { "argvgv", "-the ARGV GV" },
    { "argvoutgv", "+the argvout GV" }, { "argvout_stack", "+the argvout stack AV" },
    { "errgv", "+the *@ GV" }, { "fdpidav", "+the FD-to-PID mapping AV" },
    { "preambleav", "+the compiler preamble AV" },
    { "modglobalhv", "+the module data globals HV" },
    { "regex_padav", "+the REGEXP pad AV" }, { "sortstash", "+the sort stash" },
    { "firstgv", "-the *a GV" }, { "secondgv", "-the *b GV" },
    { "debstash", "-the debugger stash" }, { "stashcache", "+the stash cache" },
    { "isarev", "+the reverse map of @ISA dependencies" },
    { "registered_mros", "+the registered MROs HV" }, { "rs", "+the IRS" },
    { "last_in_gv", "+the last input GV" }, { "ofsgv", "+the OFS GV" },
    { "defoutgv", "+the default output GV" }, { "hintgv", "-the hints (%^H) GV" },
    { "patchlevel", "+the patch level" }, { "apiversion", "+the API version" },
    { "e_script", "+the '-e' script" }, { "mess_sv", "+the message SV" },
    { "ors_sv", "+the ORS SV" }, { "encoding", "+the encoding" },
    { "blockhooks", "+the block hooks" }, { "custom_ops", "+the custom ops HV" },
    { "custom_op_names", "+the custom op names HV" },
    { "custom_op_descs", "+the custom op descriptions HV" },
};

typedef struct rootent { char *name, *desc; uint64_t addr; } rootent;
static rootent *roots_tab;
static size_t nroots_tab;

static const char *lookup_desc(const char *name)
{
    for (size_t i = 0; i < sizeof rootdesc / sizeof rootdesc[0]; i++)
        if (!strcmp(rootdesc[i][0], name))
            return rootdesc[i][1];
    return NULL;
}

static void root_set(const char *name, uint64_t addr)
{
    for (size_t i = 0; i < nroots_tab; i++)
        if (!strcmp(roots_tab[i].name, name)) {
            roots_tab[i].addr = addr;
            return;
        }
    roots_tab = xrealloc(roots_tab, (nroots_tab + 1) * sizeof *roots_tab);
    roots_tab[nroots_tab].name = xstrdup(name);
    const char *d = lookup_desc(name);
    if (!d) {
        static const char *const l1[] = {
            "Latin1", "UpperLatin1", "AboveLatin1", "NonL1NonFinalFold", "HasMultiCharFold",
            "utf8_mark", "utf8_X_regular_begin", "utf8_X_extend", "utf8_toupper",
            "utf8_totitle", "utf8_tolower", "utf8_tofold", "utf8_charname_begin",
            "utf8_charname_continue", "utf8_idstart", "utf8_idcont", "utf8_xidstart",
            "utf8_perl_idstart", "utf8_perl_idcont", "utf8_xidcont", "utf8_foldclosures",
            "utf8_foldable" };
        int known = 0;
        for (size_t i = 0; i < sizeof l1 / sizeof l1[0]; i++)
            known |= !strcmp(l1[i], name);
        roots_tab[nroots_tab].desc = xasprintf("%s%s%s", known ? "+the " : "",
                                               (!known && name[0] != '+' && name[0] != '-') ? "+" : "",
                                               name);
    } else {
        roots_tab[nroots_tab].desc = xstrdup(d);
    }
    roots_tab[nroots_tab].addr = addr;
    nroots_tab++;
}

static void roots_init(cm *m)
{
    if (roots_tab)
        return;
    root_set("sv_undef", m->h->undef_at);
    root_set("sv_yes", m->h->yes_at);
    root_set("sv_no", m->h->no_at);
    for (size_t i = 0; i < pmat_root_count(m->f); i++) {
        pmat_str name;
        uint64_t addr;
        if (pmat_root(m->f, i, &name, &addr) < 0 || name.is_null)
            continue;
        char *n = xstrdup_str(&name);
        root_set(n, addr);
        free(n);
    }
}

size_t cm_nroots(const cm *m)
{
    roots_init((cm *)m);
    return nroots_tab;
}

int cm_root_get(cm *m, size_t i, const char **name, const char **desc, uint64_t *addr)
{
    roots_init(m);
    if (i >= nroots_tab)
        return -1;
    *name = roots_tab[i].name;
    *desc = roots_tab[i].desc;
    *addr = roots_tab[i].addr;
    return 0;
}

const char *cm_root_name(const cm *m, uint64_t addr)
{
    roots_init((cm *)m);
    const char *r = NULL;
    for (size_t i = 0; i < nroots_tab; i++)
        if (roots_tab[i].addr == addr && addr && cm_exists(m, addr))
            r = roots_tab[i].name;
    return r;
}

/* ---- names -------------------------------------------------------------------- */

int cm_stashname(cm *m, uint64_t addr, pmat_str *out)
{
    size_t i = cm_find(m, addr);
    if (i == NO_IDX || cm_is_immortal(m, addr))
        return -1;
    unsigned t = pmat_sv_type(m->f, i);
    if (t != PMAT_SVt_STASH && t != PMAT_SVt_CLASS)
        return -1;
    pmat_sv sv;
    if (pmat_sv_get(m->f, i, &sv, &m->err) < 0 || sv.u.hash.name.is_null)
        return -1;
    *out = sv.u.hash.name;
    return 0;
}

char *cm_glob_stashname(cm *m, uint64_t addr)
{
    size_t i = cm_find(m, addr);
    if (i == NO_IDX || m->kind[i] != K_GLOB)
        return NULL;
    pmat_sv sv;
    pmat_str sn;
    if (pmat_sv_get(m->f, i, &sv, &m->err) < 0 || sv.u.glob.name.is_null ||
        cm_stashname(m, sv.u.glob.stash, &sn) < 0)
        return NULL;
    char *stash = xstrdup_str(&sn), *name;
    const unsigned char *p = sv.u.glob.name.ptr;
    uint64_t len = sv.u.glob.name.len;
    if (len && p[0] < 0x20) {
        char *rest = xmalloc(len);
        memcpy(rest, p + 1, len - 1);
        rest[len - 1] = 0;
        name = xasprintf("%s::^%c%s", stash, 64 + p[0], rest);
        free(rest);
    } else {
        char *nm = xstrdup_str(&sv.u.glob.name);
        name = xasprintf("%s::%s", stash, nm);
        free(nm);
    }
    free(stash);
    return name;
}

static char *scalar_desc(const pmat_sv *sv)
{
    uint8_t fl = cm_scalar_flags(sv);
    char buf[32] = "";
    int has_uv = 0, has_iv = 0;
    /* The sign as perl had it (SvIsUV): Devel::MAT 0.51 reads this flag the
     * other way round (see cpmat.pod, "Differences from pmat"). */
    if (fl & PMAT_SCALAR_HAS_IV) {
        if (fl & PMAT_SCALAR_IV_IS_UV)
            has_uv = 1;
        else
            has_iv = 1;
    }
    if (has_uv)
        strcat(buf, "UV,");
    if (has_iv)
        strcat(buf, "IV,");
    if (fl & PMAT_SCALAR_HAS_NV)
        strcat(buf, "NV,");
    if (fl & PMAT_SCALAR_HAS_PV)
        strcat(buf, "PV,");
    if (!buf[0])
        return xstrdup("UNDEF()");
    buf[strlen(buf) - 1] = 0;
    return xasprintf("SCALAR(%s)", buf);
}

static int cmp_str(const void *a, const void *b)
{
    const pmat_str *x = a, *y = b;
    size_t l = x->len < y->len ? (size_t)x->len : (size_t)y->len;
    int c = l ? memcmp(x->ptr, y->ptr, l) : 0;
    return c ? c : (x->len < y->len ? -1 : x->len > y->len);
}

static uint64_t distinct_keys(cm *m, const pmat_sv *sv)
{
    pmat_str *k = xmalloc((sv->u.hash.n + 1) * sizeof *k);
    size_t n = 0;
    pmat_iter it = { 0, 0 };
    uint64_t v;
    while (n < sv->u.hash.n && pmat_hash_next(m->f, sv, &it, &k[n], &v, &m->err) > 0)
        n++;
    qsort(k, n, sizeof *k, cmp_str);
    uint64_t d = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || cmp_str(&k[i - 1], &k[i]))
            d++;
    free(k);
    return d;
}

uint64_t cm_hash_nvalues(cm *m, uint64_t addr, const pmat_sv *sv)
{
    if (sv->u.hash.n < 2)
        return sv->u.hash.n;
    if (!m->strtab_counted) {
        uint64_t st = 0;
        for (size_t i = 0; i < cm_nroots(m) && !st; i++) {
            const char *name, *desc;
            uint64_t a;
            if (cm_root_get(m, i, &name, &desc, &a) == 0 && !strcmp(name, "strtab"))
                st = a;
        }
        m->strtab_counted = 1;
        m->strtab_nkeys = 0;
        if (st == addr)
            m->strtab_nkeys = distinct_keys(m, sv);
        else if (st) {
            size_t i = cm_find(m, st);
            pmat_sv ssv;
            if (i != NO_IDX && pmat_sv_get(m->f, i, &ssv, &m->err) == 0 &&
                (ssv.type == PMAT_SVt_HASH || ssv.type == PMAT_SVt_STASH))
                m->strtab_nkeys = distinct_keys(m, &ssv);
        }
        m->strtab_addr = st;
    }
    return addr == m->strtab_addr && m->strtab_addr ? m->strtab_nkeys : sv->u.hash.n;
}

char *cm_desc(cm *m, uint64_t addr)
{
    if (addr == m->h->undef_at)
        return xstrdup("UNDEF");
    if (addr == m->h->yes_at)
        return xstrdup("YES");
    if (addr == m->h->no_at)
        return xstrdup("NO");
    size_t i = cm_find(m, addr);
    if (i == NO_IDX)
        return xstrdup("UNKNOWN");
    pmat_sv sv;
    if (pmat_sv_get(m->f, i, &sv, &m->err) < 0)
        return xstrdup("UNKNOWN");
    switch (m->kind[i]) {
    case K_GLOB: {
        char s[8], *p = s;
        if (cm_exists(m, sv.u.glob.scalar)) *p++ = '$';
        if (cm_exists(m, sv.u.glob.array)) *p++ = '@';
        if (cm_exists(m, sv.u.glob.hash)) *p++ = '%';
        if (cm_exists(m, sv.u.glob.code)) *p++ = '&';
        if (cm_exists(m, sv.u.glob.egv)) *p++ = '*';
        if (cm_exists(m, sv.u.glob.io)) *p++ = 'I';
        if (cm_exists(m, sv.u.glob.form)) *p++ = 'F';
        *p = 0;
        return xasprintf("GLOB(%s)", s);
    }
    case K_SCALAR:
        if (sv.type == PMAT_SVt_UNDEF)
            return xstrdup("UNDEF()");
        return scalar_desc(&sv);
    case K_BOOL:
        return xstrdup(sv.type == PMAT_SVt_YES ? "BOOL(YES)" : "BOOL(NO)");
    case K_REF: return xstrdup(sv.u.ref.weak ? "REF(W)" : "REF()");
    case K_ARRAY:
        return xasprintf("ARRAY(%" PRIu64 "%s)", sv.u.array.n, sv.u.array.unreal ? ",!REAL" : "");
    case K_PADLIST: return xasprintf("PADLIST(%" PRIu64 ")", sv.u.array.n);
    case K_PADNAMES: return xasprintf("PADNAMES(%" PRIu64 ")", sv.u.array.n);
    case K_PAD: return xasprintf("PAD(%" PRIu64 ")", sv.u.array.n);
    case K_HASH: return xasprintf("HASH(%" PRIu64 ")", cm_hash_nvalues(m, addr, &sv));
    case K_STASH: case K_CLASS: return xasprintf("STASH(%" PRIu64 ")", sv.u.hash.n);
    case K_CODE: {
        char buf[64] = "";
        if (sv.u.code.oproot) strcat(buf, "PP,");
        if (cm_exists(m, sv.u.code.constval)) strcat(buf, "CONST,");
        if (sv.u.code.flags & 0x04) strcat(buf, "XS,");
        if (sv.u.code.flags & 0x02) strcat(buf, "closure,");
        if (sv.u.code.flags & 0x01) strcat(buf, "proto,");
        if (buf[0])
            buf[strlen(buf) - 1] = 0;
        return xasprintf("CODE(%s)", buf);
    }
    case K_IO: return xstrdup("IO()");
    case K_LVALUE: return xstrdup("LVALUE()");
    case K_REGEXP: return xstrdup("REGEXP()");
    case K_FORMAT: return xstrdup("FORMAT()");
    case K_INVLIST: return xstrdup("INVLIST()");
    case K_OBJECT: return xstrdup("OBJ()");
    case K_C_STRUCT: {
        uint64_t id, nf;
        pmat_str name;
        if (pmat_struct_info(m->f, sv.u.cstruct.meta, &id, &name, &nf) < 0)
            return xstrdup("C_STRUCT()");
        char *n = xstrdup_str(&name), *r = xasprintf("C_STRUCT(%s)", n);
        free(n);
        return r;
    }
    default: return xstrdup("UNKNOWN");
    }
}

char *cm_format_sv(cm *m, uint64_t addr)
{
    char *d = cm_desc(m, addr), *b = NULL, *r;
    size_t i = cm_find(m, addr);
    if (i != NO_IDX && !cm_is_immortal(m, addr)) {
        pmat_sv sv;
        pmat_str sn;
        if (pmat_sv_get(m->f, i, &sv, &m->err) == 0 && sv.type != PMAT_SVt_C_STRUCT &&
            sv.blessed && cm_stashname(m, sv.blessed, &sn) == 0)
            b = xstrdup_str(&sn);
    }
    const char *rn = cm_root_name(m, addr);
    r = xasprintf("%s%s%s at 0x%" PRIx64 "%s%s", d, b ? "=" : "", b ? b : "", addr,
                  rn ? "=" : "", rn ? rn : "");
    free(d);
    free(b);
    return r;
}

/* ---- outrefs ------------------------------------------------------------------ */

typedef struct emit {
    cm *m;
    unsigned mask;
    int want;
    cm_ref_cb cb;
    void *ctx;
    uint64_t only;      /* nonzero: the caller only wants refs to this SV */
} emit;

/* Elements that cannot matter to a caller wanting refs to e->only: skip
 * them before any lookup (big arrays and hashes in inrefs). */
#define SKIP_ELEM(e, x) ((e)->only && (x) != (e)->only && !((e)->mask & M_INDIRECT))

static uint64_t g_only;   /* set by cm_inrefs_list around its outrefs calls */

static void put(emit *e, int strength, uint64_t target, const char *name)
{
    if (!(e->mask & (1u << strength)) || (e->only && target != e->only))
        return;
    e->cb(e->ctx, strength, target, name);
}

/* A MAGICv2 record's references, named as Devel::MAT 0.56 does: the AUXSV
 * (weak when WEAK_AUXSV), the KEYSV and the USERSTRUCT. */
static void put_magicv2_refs(cm *m, emit *e, const pmat_ext *x)
{
    if (cm_exists(m, x->u.magicv2.auxsv))
        put(e, (x->u.magicv2.flags & PMAT_MAGICv2_WEAK_AUXSV) ? S_WEAK : S_STRONG,
            x->u.magicv2.auxsv, "MagicV2 auxsv");
    if (cm_exists(m, x->u.magicv2.keysv))
        put(e, S_STRONG, x->u.magicv2.keysv, "MagicV2 keysv");
    if (cm_exists(m, x->u.magicv2.userstruct))
        put(e, S_STRONG, x->u.magicv2.userstruct, "MagicV2 userstruct");
}

/* "REF" type, no magic, rv exists: the via-RV indirect reference */
static uint64_t via_rv(cm *m, uint64_t sv)
{
    if (cm_is_immortal(m, sv))
        return 0;
    size_t i = cm_find(m, sv);
    if (i == NO_IDX)
        return 0;
    if (m->refrv)
        return m->refrv[i];
    if (m->kind[i] != K_REF || cm_has_magic(m, sv))
        return 0;
    const pmat_file *f = m->f;
    const pmat_sizes *c0 = &f->h.types[0], *cr = &f->h.types[PMAT_SVt_REF];
    if (c0->nstrs == 0 && cr->nptrs >= 1 && f->h.n_types > PMAT_SVt_REF) {
        /* the RV is the first PTR of the REF part; the record was checked */
        const unsigned char *p = f->map + (f->svs[i].off_type >> 8) + 1 + c0->bytes +
                                 (size_t)c0->nptrs * f->h.ptr_len + cr->bytes;
        uint64_t rv = pmat_get_uint_n(f, p, f->h.ptr_len);
        return cm_exists(m, rv) ? rv : 0;
    }
    pmat_sv r;
    if (pmat_sv_get(m->f, i, &r, &m->err) < 0 || !cm_exists(m, r.u.ref.rv))
        return 0;
    return r.u.ref.rv;
}

static void elem_refs(emit *e, uint64_t target, int strength, const char *name)
{
    char buf[600];
    put(e, strength, target, name);
    if (e->mask & M_INDIRECT) {
        uint64_t rv = via_rv(e->m, target);
        if (rv) {
            if (e->want)
                snprintf(buf, sizeof buf, "%s via RV", name);
            put(e, S_INDIRECT, rv, e->want ? buf : NULL);
        }
    }
}

static void hash_refs(emit *e, const pmat_sv *sv, uint64_t addr)
{
    cm *m = e->m;
    uint64_t br = sv->u.hash.backrefs;
    if (cm_exists(m, br)) {
        size_t bi = cm_find(m, br);
        if (bi != NO_IDX && !cm_is_immortal(m, br) && m->kind[bi] == K_ARRAY) {
            put(e, S_STRONG, br, "the backrefs list");
            if (e->mask & M_INDIRECT) {
                pmat_sv av;
                if (pmat_sv_get(m->f, bi, &av, &m->err) == 0)
                    for (uint64_t j = 0; j < av.u.array.n; j++) {
                        uint64_t x = pmat_array_elem(m->f, &av, j);
                        if (cm_exists(m, x))
                            put(e, S_INDIRECT, x, "a backref");
                    }
            }
        } else {
            put(e, S_WEAK, br, "a backref");
        }
    }
    pmat_iter it = { 0, 0 };
    pmat_str key;
    uint64_t val;
    while (pmat_hash_next(m->f, sv, &it, &key, &val, &m->err) > 0) {
        if (SKIP_ELEM(e, val) || !cm_exists(m, val))
            continue;
        char *k = e->want ? cm_format_key(key.ptr, key.len) : NULL;
        char *name = e->want ? xasprintf("value %s", k) : NULL;
        put(e, S_STRONG, val, name);
        if (e->mask & M_INDIRECT) {
            uint64_t rv = via_rv(m, val);
            if (rv) {
                /* Devel::MAT names the RV's referrant but, without names,
                 * reports the REF itself; inrefs see the latter. */
                char *n2 = e->want ? xasprintf("%s via RV", name) : NULL;
                put(e, S_INDIRECT, e->want ? rv : val, n2);
                free(n2);
            }
        }
        free(k);
        free(name);
    }
    /* saved values */
    size_t first, nx = pmat_sv_extensions(m->f, addr, &first);
    for (size_t j = 0; j < nx; j++) {
        pmat_ext x;
        if (pmat_ext_get(m->f, first + j, &x, &m->err) < 0 || x.type != PMAT_SVx_SAVED_HELEM)
            continue;
        put(e, S_INFERRED, x.u.helem.key, "a key for saved value");
        char *name = NULL;
        if (e->want) {
            size_t ki = cm_find(m, x.u.helem.key);
            pmat_sv ks;
            if (ki != NO_IDX && pmat_sv_get(m->f, ki, &ks, &m->err) == 0 &&
                ks.type == PMAT_SVt_SCALAR && !ks.u.scalar.pv.is_null) {
                char *k = cm_format_key(ks.u.scalar.pv.ptr, ks.u.scalar.pv.len);
                name = xasprintf("saved value of value %s", k);
                free(k);
            } else {
                name = xstrdup("saved value of value {}");
            }
        }
        put(e, S_INFERRED, x.u.helem.sv, name);
        free(name);
    }
}

static void code_refs(emit *e, const pmat_sv *sv, uint64_t addr)
{
    cm *m = e->m;
    uint8_t fl = sv->u.code.flags;
    if (cm_exists(m, sv->u.code.outside))
        put(e, (fl & 0x08) ? S_WEAK : S_STRONG, sv->u.code.outside, "the scope");
    if (cm_exists(m, sv->u.code.stash))
        put(e, S_WEAK, sv->u.code.stash, "the stash");
    uint64_t glob = cm_glob_at(m, cm_find(m, addr));
    if (cm_exists(m, glob))
        put(e, (fl & 0x10) ? S_STRONG : S_WEAK, glob, "the glob");
    if (cm_exists(m, sv->u.code.constval))
        put(e, S_STRONG, sv->u.code.constval, "the constant value");
    if ((fl & 0x02) && sv->u.code.oproot) {
        uint64_t p = protosub_of(m, sv->u.code.oproot);
        if (p)
            put(e, S_INFERRED, p, "the protosub");
    }
    cm_code c;
    if (cm_code_load(m, addr, &c) < 0) {
        cm_code_free(&c);
        return;
    }
    int cs = m->h->ithreads ? S_INDIRECT : S_STRONG;
    for (size_t j = 0; j < c.nconsts; j++)
        if (cm_exists(m, c.consts[j]))
            put(e, cs, c.consts[j], "a constant");
    for (size_t j = 0; j < c.ngvs; j++)
        if (cm_exists(m, c.gvs[j]))
            put(e, cs, c.gvs[j], "a referenced glob");
    int have_padlist = cm_exists(m, sv->u.code.padlist);
    if (have_padlist)
        put(e, S_STRONG, sv->u.code.padlist, "the padlist");
    int ps = have_padlist ? S_INDIRECT : S_STRONG;
    if (cm_exists(m, c.padnames_av))
        put(e, ps, c.padnames_av, "the padnames");
    for (size_t d = 0; d < c.npads; d++) {
        if (!cm_exists(m, c.pads[d]))
            continue;
        char buf[64];
        snprintf(buf, sizeof buf, "pad at depth %zu", d + 1);
        put(e, ps, c.pads[d], buf);
    }
    cm_code_free(&c);
}

static void pad_refs(emit *e, const pmat_sv *sv, size_t idx)
{
    cm *m = e->m;
    cm_code c;
    int have_cv = 0;
    memset(&c, 0, sizeof c);
    if (e->want) {
        uint64_t cv = cm_padcv(m, idx);
        have_cv = cv && cm_code_load(m, cv, &c) == 0;
    }
    for (uint64_t j = 0; j < sv->u.array.n; j++) {
        uint64_t x = pmat_array_elem(m->f, sv, j);
        if (SKIP_ELEM(e, x) || !cm_exists(m, x))
            continue;
        if (j == 0) {
            put(e, S_STRONG, x, "the @_ av");
            continue;
        }
        char *name = NULL;
        if (e->want) {
            if (have_cv && j < c.npadnames && !c.padnames[j].is_null && c.padnames[j].len &&
                !(c.padnames[j].len == 1 && c.padnames[j].ptr[0] == '0')) {
                char *n = xstrdup_str(&c.padnames[j]);
                name = xasprintf("the lexical %s", n);
                free(n);
            } else {
                name = xasprintf("pad temporary %" PRIu64, j);
            }
        }
        elem_refs(e, x, S_STRONG, name);
        free(name);
    }
    cm_code_free(&c);
}

int cm_outrefs(cm *m, uint64_t addr, unsigned mask, int want, cm_ref_cb cb, void *ctx)
{
    emit e = { m, mask, want, cb, ctx, g_only };
    if (cm_is_immortal(m, addr))
        return 0;
    size_t idx = cm_find(m, addr);
    if (idx == NO_IDX)
        return -1;
    pmat_sv sv;
    if (pmat_sv_get(m->f, idx, &sv, &m->err) < 0)
        return -1;
    char buf[128];
    switch (m->kind[idx]) {
    case K_GLOB: {
        static const char *const slotn[] = { "the scalar", "the array", "the hash", "the code",
                                             "the io", "the form" };
        uint64_t slots[] = { sv.u.glob.scalar, sv.u.glob.array, sv.u.glob.hash, sv.u.glob.code,
                             sv.u.glob.io, sv.u.glob.form };
        for (int s = 0; s < 6; s++)
            if (cm_exists(m, slots[s]))
                put(&e, S_STRONG, slots[s], slotn[s]);
        if (cm_exists(m, sv.u.glob.egv))
            put(&e, sv.u.glob.egv == addr ? S_WEAK : S_STRONG, sv.u.glob.egv, "the egv");
        size_t first, nx = pmat_sv_extensions(m->f, addr, &first);
        for (size_t j = 0; j < nx; j++) {
            pmat_ext x;
            if (pmat_ext_get(m->f, first + j, &x, &m->err) < 0)
                continue;
            const char *slot = x.type == PMAT_SVx_SAVED_SV ? "SCALAR" :
                               x.type == PMAT_SVx_SAVED_AV ? "ARRAY" :
                               x.type == PMAT_SVx_SAVED_HV ? "HASH" :
                               x.type == PMAT_SVx_SAVED_CV ? "CODE" : NULL;
            if (!slot || !cm_exists(m, x.u.saved))
                continue;
            snprintf(buf, sizeof buf, "saved value of %s slot", slot);
            put(&e, S_INFERRED, x.u.saved, buf);
        }
        break;
    }
    case K_SCALAR:
        if (sv.type == PMAT_SVt_SCALAR && cm_exists(m, sv.u.scalar.ourstash))
            put(&e, S_STRONG, sv.u.scalar.ourstash, "the our stash");
        break;
    case K_REF:
        if (cm_exists(m, sv.u.ref.rv))
            put(&e, sv.u.ref.weak ? S_WEAK : S_STRONG, sv.u.ref.rv, "the referrant");
        if (cm_exists(m, sv.u.ref.ourstash))
            put(&e, S_STRONG, sv.u.ref.ourstash, "the our stash");
        break;
    case K_ARRAY: {
        for (uint64_t j = 0; j < sv.u.array.n; j++) {
            uint64_t x = pmat_array_elem(m->f, &sv, j);
            if (SKIP_ELEM(&e, x) || !cm_exists(m, x))
                continue;
            if (e.want)
                snprintf(buf, sizeof buf, "element [%" PRIu64 "]", j);
            if (sv.u.array.unreal)
                put(&e, S_WEAK, x, buf);
            else
                elem_refs(&e, x, S_STRONG, buf);
        }
        size_t first, nx = pmat_sv_extensions(m->f, addr, &first);
        for (size_t j = 0; j < nx; j++) {
            pmat_ext x;
            if (pmat_ext_get(m->f, first + j, &x, &m->err) < 0 ||
                x.type != PMAT_SVx_SAVED_AELEM || !cm_exists(m, x.u.aelem.sv))
                continue;
            snprintf(buf, sizeof buf, "saved value of element [%" PRIu64 "]", x.u.aelem.index);
            put(&e, S_INFERRED, x.u.aelem.sv, buf);
        }
        break;
    }
    case K_PADLIST:
        for (uint64_t j = 0; j < sv.u.array.n; j++) {
            uint64_t x = pmat_array_elem(m->f, &sv, j);
            if (!cm_exists(m, x))
                continue;
            if (j == 0)
                put(&e, S_STRONG, x, "the padnames");
            else {
                snprintf(buf, sizeof buf, "pad at depth %" PRIu64, j);
                put(&e, S_STRONG, x, buf);
            }
        }
        break;
    case K_PADNAMES:
        for (uint64_t j = 1; j < sv.u.array.n; j++) {
            uint64_t x = pmat_array_elem(m->f, &sv, j);
            if (!cm_exists(m, x))
                continue;
            snprintf(buf, sizeof buf, "padname [%" PRIu64 "]", j);
            put(&e, S_STRONG, x, buf);
        }
        break;
    case K_PAD:
        pad_refs(&e, &sv, idx);
        break;
    case K_HASH:
        hash_refs(&e, &sv, addr);
        break;
    case K_STASH: case K_CLASS:
        hash_refs(&e, &sv, addr);
        if (cm_exists(m, sv.u.hash.mro_linear_all))
            put(&e, S_STRONG, sv.u.hash.mro_linear_all, "the mro linear all HV");
        if (cm_exists(m, sv.u.hash.mro_linear_current))
            put(&e, S_STRONG, sv.u.hash.mro_linear_current, "the mro linear current");
        if (cm_exists(m, sv.u.hash.mro_nextmethod))
            put(&e, S_STRONG, sv.u.hash.mro_nextmethod, "the mro next::method");
        if (cm_exists(m, sv.u.hash.mro_isa))
            put(&e, S_STRONG, sv.u.hash.mro_isa, "the mro ISA cache");
        if (m->kind[idx] == K_CLASS && cm_exists(m, sv.u.hash.adjust_blocks))
            put(&e, S_STRONG, sv.u.hash.adjust_blocks, "the ADJUST blocks AV");
        break;
    case K_CODE:
        code_refs(&e, &sv, addr);
        break;
    case K_IO:
        if (cm_exists(m, sv.u.io.top)) put(&e, S_STRONG, sv.u.io.top, "the top GV");
        if (cm_exists(m, sv.u.io.format)) put(&e, S_STRONG, sv.u.io.format, "the format GV");
        if (cm_exists(m, sv.u.io.bottom)) put(&e, S_STRONG, sv.u.io.bottom, "the bottom GV");
        break;
    case K_LVALUE:
        if (cm_exists(m, sv.u.lvalue.targ))
            put(&e, S_STRONG, sv.u.lvalue.targ, "the target");
        break;
    case K_OBJECT: {
        size_t ci = cm_find(m, sv.blessed);
        pmat_sv cls;
        if (ci == NO_IDX || pmat_sv_get(m->f, ci, &cls, &m->err) < 0 || cls.type != PMAT_SVt_CLASS)
            break;
        pmat_iter it = { 0, 0 };
        uint64_t fix;
        pmat_str fname;
        while (pmat_class_next(m->f, &cls, &it, &fix, &fname, &m->err) > 0) {
            if (fix >= sv.u.array.n)
                continue;
            uint64_t x = pmat_array_elem(m->f, &sv, fix);
            if (!cm_exists(m, x))
                continue;
            char *fn = xstrdup_str(&fname), *name = xasprintf("the %s field", fn);
            elem_refs(&e, x, S_STRONG, name);
            free(fn);
            free(name);
        }
        break;
    }
    case K_C_STRUCT: {
        uint64_t id, nf;
        pmat_str sname;
        if (pmat_struct_info(m->f, sv.u.cstruct.meta, &id, &sname, &nf) < 0)
            break;
        for (uint64_t j = 0; j < nf; j++) {
            pmat_str fname;
            unsigned type;
            uint64_t v;
            if (pmat_cstruct_field(m->f, &sv, j, &fname, &type, &v, &m->err) < 0 ||
                type != PMAT_FIELD_PTR || !cm_exists(m, v))
                continue;
            char *fn = xstrdup_str(&fname);
            put(&e, S_STRONG, v, fn);
            free(fn);
        }
        break;
    }
    default:
        break;
    }
    /* common: bless package, magic, annotations */
    if (sv.type != PMAT_SVt_C_STRUCT && cm_exists(m, sv.blessed))
        put(&e, S_WEAK, sv.blessed, "the bless package");
    size_t first, nx = pmat_sv_extensions(m->f, addr, &first);
    for (size_t j = 0; j < nx; j++) {
        pmat_ext x;
        if (pmat_ext_get(m->f, first + j, &x, &m->err) < 0)
            continue;
        if (x.type == PMAT_SVx_MAGICv2) {
            put_magicv2_refs(m, &e, &x);
            continue;
        }
        if (x.type != PMAT_SVx_MAGIC)
            continue;
        /* unpack "A1": a NUL or blank type reads as the empty string */
        char t[2] = { (char)x.u.magic.type, 0 };
        if (!t[0] || strchr(" \t\n\r\f", t[0]))
            t[0] = 0;
        if (cm_exists(m, x.u.magic.obj)) {
            snprintf(buf, sizeof buf, "'%s' magic object", t);
            put(&e, (x.u.magic.flags & 1) ? S_STRONG : S_WEAK, x.u.magic.obj, buf);
        }
        if (cm_exists(m, x.u.magic.ptr)) {
            snprintf(buf, sizeof buf, "'%s' magic pointer", t);
            put(&e, S_STRONG, x.u.magic.ptr, buf);
        }
    }
    for (size_t j = 0; j < nx; j++) {
        pmat_ext x;
        if (pmat_ext_get(m->f, first + j, &x, &m->err) < 0 || x.type != PMAT_SVx_SVSV_NOTE ||
            !cm_exists(m, x.u.note.sv))
            continue;
        char *n = e.want ? xstrdup_str(&x.u.note.name) : NULL;
        put(&e, S_STRONG, x.u.note.sv, n);
        free(n);
    }
    return 0;
}

static void list_cb(void *ctx, int strength, uint64_t target, const char *name)
{
    refs_push(ctx, name, strength, target);
}

int cm_outrefs_list(cm *m, uint64_t addr, unsigned mask, cm_refs *out)
{
    return cm_outrefs(m, addr, mask, 1, list_cb, out);
}

/* ---- inrefs (CSR) ---------------------------------------------------------- */

/* One pass over every SV's outrefs collects (target, source << 2 | strength)
 * pairs; a counting sort by target turns them into the CSR rows.  Pairs
 * come in source order, so each row lists its sources in index order. */
typedef struct build_ctx { cm *m; uint32_t src; uint32_t *pairs; size_t n, cap; int oom; } build_ctx;

/* The pairs array grows to tens of MB by doubling.  glibc's realloc
 * copies such blocks once its dynamic mmap threshold has risen (after
 * the radix sort's buffer and other big blocks were freed): that copying
 * was 12% of identify.  An mmap grown with mremap moves pages instead. */
static uint32_t *pairs_resize(uint32_t *p, size_t oldbytes, size_t newbytes)
{
#ifdef MREMAP_MAYMOVE
    void *q = p ? mremap(p, oldbytes, newbytes, MREMAP_MAYMOVE)
                : mmap(NULL, newbytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (q == MAP_FAILED)
        return NULL;
    return hint_huge(q, newbytes);
#else
    (void)oldbytes;
    return hint_huge(realloc(p, newbytes), newbytes);
#endif
}

static void pairs_free(uint32_t *p, size_t bytes)
{
#ifdef MREMAP_MAYMOVE
    if (p)
        munmap(p, bytes);
#else
    (void)bytes;
    free(p);
#endif
}

static void build_cb(void *ctx, int strength, uint64_t target, const char *name)
{
    (void)name;
    build_ctx *b = ctx;
    if (cm_is_immortal(b->m, target))
        return;
    size_t t = cm_find(b->m, target);
    if (t == NO_IDX)
        return;
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : (size_t)1 << 20;
        uint32_t *p = pairs_resize(b->pairs, b->cap * 2 * sizeof *p, nc * 2 * sizeof *p);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->pairs = p;
        b->cap = nc;
    }
    b->pairs[2 * b->n] = (uint32_t)t;
    b->pairs[2 * b->n + 1] = (b->src << 2) | (uint32_t)strength;
    b->n++;
}

/* The outrefs of a plain SCALAR without extension records (most of a
 * heap): its bless package and our-stash, read from the record without
 * decoding it.  0 if the SV needs the full path. */
static int scalar_fast_outrefs(cm *m, size_t i, cm_ref_cb cb, void *ctx)
{
    const pmat_file *f = m->f;
    unsigned t = (unsigned)(f->svs[i].off_type & 0xff);
    if (t != PMAT_SVt_SCALAR && t != PMAT_SVt_UNDEF && t != PMAT_SVt_YES && t != PMAT_SVt_NO)
        return 0;
    if ((m->hasext[i >> 3] >> (i & 7)) & 1)
        return 0;
    const pmat_sizes *c0 = &f->h.types[0];
    if (c0->nstrs != 0 || t >= f->h.n_types)
        return 0;
    uint64_t size, blessed;
    cm_size_blessed(m, i, &size, &blessed);
    if (t == PMAT_SVt_SCALAR) {
        const pmat_sizes *cs = &f->h.types[PMAT_SVt_SCALAR];
        if (cs->nptrs >= 1) {
            const unsigned char *p = f->map + (f->svs[i].off_type >> 8) + 1 + c0->bytes +
                                     (size_t)c0->nptrs * f->h.ptr_len + cs->bytes;
            uint64_t our = pmat_get_uint_n(f, p, f->h.ptr_len);
            if (cm_exists(m, our))
                cb(ctx, S_STRONG, our, NULL);
        }
    }
    if (cm_exists(m, blessed))
        cb(ctx, S_WEAK, blessed, NULL);
    return 1;
}

int cm_build_inrefs(cm *m)
{
    if (m->in_start)
        return 0;
    if (!m->adir)
        build_addr_dir(m);
    build_ctx b = { m, 0, NULL, 0, 0, 0 };
    /* The via-RV answer of every REF first, in address order: the main
     * pass asks it for array and hash elements, which would otherwise read
     * each REF's record at a random place in the file (and fault the whole
     * mapping back in between two pmat_release_pages). */
    m->refrv = hint_huge(calloc(m->n ? m->n : 1, sizeof *m->refrv), m->n * sizeof *m->refrv);
    if (m->refrv) {
        uint64_t *rv = m->refrv;
        m->refrv = NULL;           /* via_rv computes it the ordinary way */
        for (size_t i = 0; i < m->n; i++) {
            if ((i & 0xffff) == 0xffff)
                pmat_release_pages(m->f);
            if (m->kind[i] == K_REF)
                rv[i] = via_rv(m, pmat_sv_addr(m->f, i));
        }
        m->refrv = rv;
    }
    for (size_t i = 0; i < m->n && !b.oom; i++) {
        /* This pass decodes every record in address order: without this
         * the whole mapped file would end up resident (in peak RSS). */
        if ((i & 0xffff) == 0xffff)
            pmat_release_pages(m->f);
        b.src = (uint32_t)i;
        if (!scalar_fast_outrefs(m, i, build_cb, &b))
            cm_outrefs(m, pmat_sv_addr(m->f, i), M_ALL, 0, build_cb, &b);
    }
    free(m->refrv);
    m->refrv = NULL;
    if (b.oom || b.n >= UINT32_MAX) {
        pairs_free(b.pairs, b.cap * 2 * sizeof *b.pairs);
        return -1;
    }
    m->in_start = hint_huge(calloc(m->n + 1, sizeof *m->in_start), (m->n + 1) * sizeof(uint32_t));
    m->in_src = hint_huge(malloc((b.n ? b.n : 1) * sizeof *m->in_src), b.n * sizeof(uint32_t));
    uint32_t *cur = hint_huge(malloc((m->n + 1) * sizeof *cur), (m->n + 1) * sizeof *cur);
    if (!m->in_start || !m->in_src || !cur) {
        pairs_free(b.pairs, b.cap * 2 * sizeof *b.pairs);
        free(cur);
        free(m->in_start);
        free(m->in_src);
        m->in_start = NULL;
        m->in_src = NULL;
        return -1;
    }
    for (size_t j = 0; j < b.n; j++)
        m->in_start[b.pairs[2 * j] + 1]++;
    for (size_t i = 0; i < m->n; i++)
        m->in_start[i + 1] += m->in_start[i];
    memcpy(cur, m->in_start, (m->n + 1) * sizeof *cur);
    for (size_t j = 0; j < b.n; j++)
        m->in_src[cur[b.pairs[2 * j]]++] = b.pairs[2 * j + 1];
    free(cur);
    pairs_free(b.pairs, b.cap * 2 * sizeof *b.pairs);
    return 0;
}

typedef struct match_ctx { cm_refs *out; uint64_t self; int strength; uint64_t src; } match_ctx;

static void match_cb(void *ctx, int strength, uint64_t target, const char *name)
{
    match_ctx *mc = ctx;
    if (strength == mc->strength && target == mc->self)
        refs_push(mc->out, name, strength, mc->src);
}

int cm_inrefs_list(cm *m, uint64_t addr, const int *strengths, int nstr, cm_refs *out)
{
    if (cm_build_inrefs(m) < 0)
        return -1;
    size_t idx = cm_find(m, addr);
    if (idx != NO_IDX && !cm_is_immortal(m, addr)) {
        for (int s = 0; s < nstr; s++) {
            uint32_t prev = UINT32_MAX;
            for (uint32_t j = m->in_start[idx]; j < m->in_start[idx + 1]; j++) {
                uint32_t e = m->in_src[j];
                if ((int)(e & 3) != strengths[s] || (e >> 2) == prev)
                    continue;
                prev = e >> 2;
                match_ctx mc = { out, addr, strengths[s], pmat_sv_addr(m->f, prev) };
                g_only = addr;
                cm_outrefs(m, mc.src, 1u << strengths[s], 1, match_cb, &mc);
                g_only = 0;
            }
        }
    }
    int has_weak = 0;
    for (int s = 0; s < nstr; s++)
        has_weak |= strengths[s] == S_WEAK;
    roots_init(m);
    if (nstr && strengths[0] == S_STRONG)
        for (size_t i = 0; i < nroots_tab; i++)
            if (roots_tab[i].desc[0] == '+' && roots_tab[i].addr == addr && cm_exists(m, addr))
                refs_push(out, roots_tab[i].desc + 1, S_STRONG, 0);
    if (has_weak) {
        for (size_t i = 0; i < nroots_tab; i++)
            if (roots_tab[i].desc[0] == '-' && roots_tab[i].addr == addr && cm_exists(m, addr))
                refs_push(out, roots_tab[i].desc + 1, S_WEAK, 0);
        for (uint64_t i = 0; i < pmat_stack_count(m->f); i++)
            if (pmat_stack_at(m->f, i) == addr)
                refs_push(out, "a value on the stack", S_STRONG, 0);
    }
    return 0;
}

/* ---- symbols ------------------------------------------------------------------ */

static uint64_t glob_at(cm *m, uint64_t addr, size_t idx)
{
    (void)addr;
    return cm_glob_at(m, idx);
}

char *cm_symname(cm *m, uint64_t addr)
{
    size_t idx = cm_find(m, addr);
    if (idx == NO_IDX || cm_is_immortal(m, addr))
        return NULL;
    unsigned k = m->kind[idx];
    char sigil;
    switch (k) {
    case K_SCALAR: case K_REF: case K_BOOL: sigil = '$'; break;
    case K_ARRAY: case K_PAD: case K_PADLIST: case K_PADNAMES: sigil = '@'; break;
    case K_HASH: case K_STASH: case K_CLASS: sigil = '%'; break;
    case K_CODE: {
        pmat_sv c;
        if (pmat_sv_get(m->f, idx, &c, &m->err) < 0)
            return NULL;
        if (!c.u.code.name.is_null) {
            pmat_str sn;
            char *stash = cm_stashname(m, c.u.code.stash, &sn) == 0 ? xstrdup_str(&sn) : xstrdup("");
            char *s = stash;
            if (!strncmp(s, "main::", 6))
                s += 6;
            char *hek = xstrdup_str(&c.u.code.name);
            char *r = xasprintf("&%s::%s", s, hek);
            free(stash);
            free(hek);
            return r;
        }
        uint64_t g = glob_at(m, addr, idx);
        char *gn = g ? cm_glob_stashname(m, g) : NULL;
        if (!gn)
            return NULL;
        char *r = xasprintf("&%s", gn);
        free(gn);
        return r;
    }
    default:
        return NULL;
    }
    uint64_t g = glob_at(m, addr, idx);
    char *gn = g ? cm_glob_stashname(m, g) : NULL;
    if (!gn)
        return NULL;
    const char *s = gn;
    if (!strncmp(s, "main::", 6) && strstr(s + 6, "::") && s[6] != ':')
        s += 6;
    char *r = xasprintf("%c%s", sigil, s);
    free(gn);
    return r;
}

static uint64_t stash_value(cm *m, uint64_t stash, const char *key, size_t klen)
{
    size_t i = cm_find(m, stash);
    if (i == NO_IDX)
        return 0;
    pmat_sv sv;
    if (pmat_sv_get(m->f, i, &sv, &m->err) < 0 ||
        (sv.type != PMAT_SVt_HASH && sv.type != PMAT_SVt_STASH && sv.type != PMAT_SVt_CLASS))
        return 0;
    pmat_iter it = { 0, 0 };
    pmat_str k;
    uint64_t v, found = 0;
    while (pmat_hash_next(m->f, &sv, &it, &k, &v, &m->err) > 0)
        if (k.len == klen && !memcmp(k.ptr, key, klen))
            found = v;
    return found;
}

static uint64_t find_stashvalue(cm *m, const char *name, size_t len, int depth);

static uint64_t find_stash(cm *m, const char *name, size_t len, int depth)
{
    char *g = xmalloc(len + 3);
    memcpy(g, name, len);
    memcpy(g + len, "::", 3);
    uint64_t gv = find_stashvalue(m, g, len + 2, depth + 1);
    free(g);
    size_t i = cm_find(m, gv);
    if (i == NO_IDX || m->kind[i] != K_GLOB)
        return 0;
    pmat_sv sv;
    if (pmat_sv_get(m->f, i, &sv, &m->err) < 0)
        return 0;
    return sv.u.glob.hash;
}

static uint64_t find_stashvalue(cm *m, const char *name, size_t len, int depth)
{
    if (depth > 64 || !len)
        return 0;
    /* split at the last "::" that leaves a non-empty short name */
    size_t split = (size_t)-1;
    for (size_t i = 0; i + 2 < len; i++)
        if (name[i] == ':' && name[i + 1] == ':')
            split = i;
    uint64_t stash;
    const char *shortn = name;
    size_t slen = len;
    if (split != (size_t)-1 && split > 0) {
        stash = find_stash(m, name, split, depth);
        shortn = name + split + 2;
        slen = len - split - 2;
    } else {
        if (split == 0) {
            shortn = name + 2;
            slen = len - 2;
        }
        size_t n = pmat_root_count(m->f);
        stash = 0;
        for (size_t i = 0; i < n; i++) {
            pmat_str rn;
            uint64_t a;
            if (pmat_root(m->f, i, &rn, &a) == 0 && rn.len == 8 && !memcmp(rn.ptr, "defstash", 8))
                stash = a;
        }
    }
    if (!stash)
        return 0;
    return stash_value(m, stash, shortn, slen);
}

uint64_t cm_find_symbol(cm *m, const char *name)
{
    char sigil = name[0];
    if (sigil != '$' && sigil != '@' && sigil != '%' && sigil != '&')
        return 0;
    uint64_t v = find_stashvalue(m, name + 1, strlen(name + 1), 0);
    size_t i = cm_find(m, v);
    if (i == NO_IDX)
        return 0;
    pmat_sv sv;
    if (pmat_sv_get(m->f, i, &sv, &m->err) < 0)
        return 0;
    if (sigil == '&' && m->kind[i] == K_REF)
        return sv.u.ref.rv;
    if (m->kind[i] != K_GLOB)
        return 0;
    uint64_t r = sigil == '$' ? sv.u.glob.scalar : sigil == '@' ? sv.u.glob.array :
                 sigil == '%' ? sv.u.glob.hash : sv.u.glob.code;
    return cm_exists(m, r) ? r : 0;
}
