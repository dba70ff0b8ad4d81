/* helpers.c -- other modules' helpers: what XS code says it holds.
 *
 * An XS module built with Devel::MAT::Dumper::Helper's DMD_helper.h (ours
 * or the reference's: the two are the same ABI) registers, from its BOOT:
 *
 *   package helpers  PL_modglobal{"Devel::MAT::Dumper/%helper_per_package"}
 *                    (an RV to a hash: package name => UV function pointer)
 *   magic helpers    PL_modglobal{"Devel::MAT::Dumper/%helper_per_magic"}
 *                    (the same, keyed by the MGVTBL address as a decimal IV)
 *   extra roots      @Devel::MAT::Dumper::MORE_ROOTS (name, SV pairs)
 *
 * and, from modules built before the 0.44 API, the same two hashes as
 * %Devel::MAT::Dumper::HELPER_PER_PACKAGE / HELPER_PER_MAGIC, whose helpers
 * take no context argument.  A helper describes a hidden reference by
 * pushing four items on the Perl stack (the SVxSVSVnote type 0x87 as an IV,
 * the referrer, the referrant, the label as a PV) and returning how many
 * items it pushed; it describes a C structure by calling the function whose
 * address we leave in PL_modglobal{"Devel::MAT::Dumper/writestruct()"}.
 *
 * The helpers are other people's C code that allocates and uses the Perl
 * stack, so they run in a pass of their own after the arena walk, on the
 * dumping thread, one at a time: never on the walk's second thread, never
 * while it reads the heap, and never from the immediate SIGABRT handler
 * (an abort can come from inside malloc).  The pass visits the blessed and
 * the magical SVs again and calls the helpers registered for them; what
 * they describe goes out as SVxSVSVnote, META_STRUCT and C_STRUCT records
 * before the SAVED records and the heap's terminator, after every SV they
 * can name (Devel::MAT looks the referrer up as it reads the note).
 *
 * Every annotation is checked before it is written: both ends must be live
 * SVs of this dump (an arena slot in use, or an immortal) or structs it
 * wrote, and a struct must match the fields of the first of its name.  What
 * fails is dropped, and one line on fd 2 counts it: a wrong pointer from a
 * helper costs its record, never the file.
 */
#define PERL_NO_GET_CONTEXT
#include "dumper.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* The field types of DMD_helper.h's DMDNamedField, numbered as the
 * META_STRUCT record numbers them. */
enum {
    PMAT_FIELD_PTR  = 0,
    PMAT_FIELD_BOOL = 1,
    PMAT_FIELD_U8   = 2,
    PMAT_FIELD_U32  = 3,
    PMAT_FIELD_UINT = 4,
    PMAT_FIELD_MAX  = 5
};

#define PMAT_SVt_C_STRUCT   0x7F
#define PMAT_META_STRUCT    0xF0

/* DMDNamedField as both headers lay it out: the name, the type (an enum,
 * int-sized), then all three value members side by side (not a union). */
typedef struct pmat_named_field {
    const char *name;
    int         type;
    struct {
        void *ptr;
        bool  b;
        long  n;
    } v;
} pmat_named_field;

/* The context a helper gets and hands back to DMD_DUMP_STRUCT: opaque to
 * it.  DMD_helper.h only declares the struct tag. */
struct DMDContext {
    pmat_dump *d;
    int        in_helper;       /* a helper is running now */
};

typedef int (*pmat_pkg_helper)(pTHX_ struct DMDContext *ctx, const SV *sv);
typedef int (*pmat_mg_helper)(pTHX_ struct DMDContext *ctx, const SV *sv, MAGIC *mg);
typedef int (*pmat_old_pkg_helper)(pTHX_ const SV *sv);
typedef int (*pmat_old_mg_helper)(pTHX_ const SV *sv, MAGIC *mg);

/* A run of memory that holds SV heads: one arena without its header slot. */
typedef struct arena_span {
    const SV *first, *end;
} arena_span;

/* A note waiting for the end of the pass: one of its ends is not an SV, so
 * it is kept only if a struct of that address gets written. */
typedef struct pending_note {
    const void *targ, *val;
    size_t      len;            /* bytes of the label, which follow */
} pending_note;

/* A struct name seen in this dump: its META_STRUCT went out with id =
 * its index here, and every later struct of the name must match it. */
#define PMAT_STRUCT_KINDS   64
#define PMAT_STRUCT_FIELDS  64
#define PMAT_STRUCT_NAMELEN 128
typedef struct struct_kind {
    char   name[PMAT_STRUCT_NAMELEN];
    size_t nfields;
    U8     types[PMAT_STRUCT_FIELDS];
} struct_kind;

/* Blessed SVs of a stash share their helpers: looked up once per stash
 * (the MRO walk and the hash lookups), then found here. */
#define PMAT_STASH_CACHE   1024
#define PMAT_HELPERS_PER_STASH 4
typedef struct stash_helpers {
    const HV *stash;
    int       n;
    void     *fn[PMAT_HELPERS_PER_STASH];
    U8        api044[PMAT_HELPERS_PER_STASH];
} stash_helpers;

/* Memory of the pass, mmap'd rather than malloc'd (the pass may be in a
 * fork child, or a deferred signal's handler), grown by doubling. */
typedef struct pass_mem {
    unsigned char *p;
    size_t         len, cap;
} pass_mem;

typedef struct helper_pass {
    struct DMDContext ctx;
    HV *per_package, *per_magic;            /* the 0.44 API's */
    HV *old_per_package, *old_per_magic;    /* the earlier API's */
    pass_mem spans;                         /* arena_span, sorted */
    size_t   nspans;
    const SV *first_arena;                  /* the list's head when sorted */
    pass_mem structs;                       /* addresses written, then sorted */
    size_t   nstructs;
    pass_mem pending;                       /* pending_note + label, ... */
    struct_kind kinds[PMAT_STRUCT_KINDS];
    size_t   nkinds;
    UV       dropped;                       /* records not written */
    UV       calls;                         /* helpers called */
} helper_pass;

/* Not on the C stack: the pass is big (the kind and stash tables), and a
 * dump may run on a small stack (a signal handler's).  One pass at a time
 * in the process: pass_busy guards it across interpreters. */
static helper_pass the_pass;
static stash_helpers stash_cache[PMAT_STASH_CACHE];
static int pass_busy;
static volatile int helpers_suspended;

/* The GVs a module's BOOT may fill, created by ours so that a dump needs no
 * lookup by name (held for the life of the process). */
static GV *more_roots_gv, *old_pkg_gv, *old_mg_gv;

/* ---- memory ------------------------------------------------------------ */

static int mem_reserve(pass_mem *m, size_t n)
{
    size_t cap;
    unsigned char *p;

    if (m->cap - m->len >= n)
        return 1;
    for (cap = m->cap ? m->cap * 2 : 64 * 1024; cap - m->len < n; cap *= 2)
        ;
    p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 0;
    if (m->len)
        memcpy(p, m->p, m->len);
    if (m->p)
        munmap(m->p, m->cap);
    m->p = p;
    m->cap = cap;
    return 1;
}

static void mem_free(pass_mem *m)
{
    if (m->p)
        munmap(m->p, m->cap);
    m->p = NULL;
    m->len = m->cap = 0;
}

/* ---- what is an SV of this dump ----------------------------------------- */

/* A heapsort of n pointer-sized keys at the front of each elem-byte record
 * (qsort may call malloc). */
static int key_less(const unsigned char *a, const unsigned char *b)
{
    const void *x, *y;
    memcpy(&x, a, sizeof x);
    memcpy(&y, b, sizeof y);
    return (uintptr_t)x < (uintptr_t)y;
}

static void swap_elems(unsigned char *a, unsigned char *b, size_t elem)
{
    unsigned char t[sizeof(arena_span)];
    memcpy(t, a, elem);
    memcpy(a, b, elem);
    memcpy(b, t, elem);
}

static void sift_down(unsigned char *base, size_t elem, size_t i, size_t n)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            return;
        if (c + 1 < n && key_less(base + c * elem, base + (c + 1) * elem))
            c++;
        if (!key_less(base + i * elem, base + c * elem))
            return;
        swap_elems(base + i * elem, base + c * elem, elem);
        i = c;
    }
}

static void sort_by_address(unsigned char *base, size_t n, size_t elem)
{
    size_t i;

    for (i = n / 2; i-- > 0;)
        sift_down(base, elem, i, n);
    for (i = n; i-- > 1;) {
        swap_elems(base, base + i * elem, elem);
        sift_down(base, elem, 0, i);
    }
}

/* The arenas as sorted spans, so that any pointer can be checked without
 * touching the memory it points at. */
static int collect_spans(pTHX_ helper_pass *hp)
{
    const SV *arena;

    hp->first_arena = PL_sv_arenaroot;
    for (arena = PL_sv_arenaroot; arena; arena = (const SV *)SvANY(arena)) {
        arena_span s;
        if (!mem_reserve(&hp->spans, sizeof s))
            return 0;
        s.first = arena + 1;
        s.end = arena + SvREFCNT(arena);
        memcpy(hp->spans.p + hp->spans.len, &s, sizeof s);
        hp->spans.len += sizeof s;
        hp->nspans++;
    }
    sort_by_address(hp->spans.p, hp->nspans, sizeof(arena_span));
    return 1;
}

/* Is p the head of a live SV that this dump wrote (or named, for the
 * immortals the roots section carries)? */
static int is_live_sv(pTHX_ const helper_pass *hp, const void *p)
{
    const arena_span *s = (const arena_span *)hp->spans.p;
    size_t lo = 0, hi = hp->nspans;
    uintptr_t a = (uintptr_t)p;

    if (p == &PL_sv_undef || p == &PL_sv_yes || p == &PL_sv_no)
        return 1;
#ifdef PL_sv_zero
    if (p == &PL_sv_zero)       /* 5.28+: written after the arenas */
        return 1;
#endif
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a < (uintptr_t)s[mid].first)
            hi = mid;
        else if (a >= (uintptr_t)s[mid].end)
            lo = mid + 1;
        else
            return (a - (uintptr_t)s[mid].first) % sizeof(SV) == 0
                   && SvTYPE((const SV *)p) != (svtype)SVTYPEMASK;
    }
    return 0;
}

/* The same for an SV a helper made (the items it pushes are its mortals):
 * it may sit in an arena added since the spans were taken, at the list's
 * head.  No record of it is in the file, so it may not be a note's end. */
static int is_helper_sv(pTHX_ const helper_pass *hp, const void *p)
{
    const SV *arena;
    uintptr_t a = (uintptr_t)p;

    if (is_live_sv(aTHX_ hp, p))
        return 1;
    for (arena = PL_sv_arenaroot; arena && arena != hp->first_arena;
         arena = (const SV *)SvANY(arena)) {
        uintptr_t first = (uintptr_t)(arena + 1), end = (uintptr_t)(arena + SvREFCNT(arena));
        if (a >= first && a < end)
            return (a - first) % sizeof(SV) == 0
                   && SvTYPE((const SV *)p) != (svtype)SVTYPEMASK;
    }
    return 0;
}

static int is_struct(const helper_pass *hp, const void *p)
{
    const void *const *s = (const void *const *)hp->structs.p;
    size_t lo = 0, hi = hp->nstructs;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)p < (uintptr_t)s[mid])
            hi = mid;
        else if ((uintptr_t)p > (uintptr_t)s[mid])
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

/* ---- records ------------------------------------------------------------ */

static void write_note(pmat_dump *d, const void *targ, const void *val,
                       const char *label, size_t len)
{
    pmat_writer *w = &d->w;

    if (!pmat_reserve(w, 1 + 2 * PMAT_PTR_SIZE))
        return;
    pmat_put_u8_nocheck(w, PMAT_SVxSVSVnote);
    pmat_put_ptr_nocheck(w, targ);
    pmat_put_ptr_nocheck(w, val);
    pmat_put_str(w, label, len);
}

/* A note whose ends are not both SVs waits for the structs. */
static void defer_note(helper_pass *hp, const void *targ, const void *val,
                       const char *label, size_t len)
{
    pending_note n;
    size_t room = (sizeof n + len + 7) & ~(size_t)7;

    if (!mem_reserve(&hp->pending, room)) {
        hp->dropped++;
        return;
    }
    n.targ = targ;
    n.val = val;
    n.len = len;
    memcpy(hp->pending.p + hp->pending.len, &n, sizeof n);
    memcpy(hp->pending.p + hp->pending.len + sizeof n, label, len);
    hp->pending.len += room;
}

static void write_pending_notes(pTHX_ helper_pass *hp)
{
    size_t off = 0;

    sort_by_address(hp->structs.p, hp->nstructs, sizeof(void *));
    while (off < hp->pending.len) {
        pending_note n;
        memcpy(&n, hp->pending.p + off, sizeof n);
        if ((is_live_sv(aTHX_ hp, n.targ) || is_struct(hp, n.targ))
            && (is_live_sv(aTHX_ hp, n.val) || is_struct(hp, n.val)))
            write_note(hp->ctx.d, n.targ, n.val,
                       (const char *)hp->pending.p + off + sizeof n, n.len);
        else
            hp->dropped++;
        off += (sizeof n + n.len + 7) & ~(size_t)7;
    }
}

/* What a helper left on the stack: groups of (0x87, referrer, referrant,
 * label).  Nothing is dereferenced before it is known to be an SV; the
 * first item that makes no sense drops the rest. */
static void take_notes(pTHX_ helper_pass *hp, SV **item, SSize_t n)
{
    while (n > 0) {
        const SV *type = item[0], *label;
        const void *targ, *val;
        const char *pv;

        if (n < 4 || !is_helper_sv(aTHX_ hp, type) || !SvIOK(type)
            || SvIVX(type) != PMAT_SVxSVSVnote)
            break;
        targ = item[1];
        val = item[2];
        label = item[3];
        if (!is_helper_sv(aTHX_ hp, label) || !SvPOK(label))
            break;
        pv = SvPVX_const(label);
        if (is_live_sv(aTHX_ hp, targ) && is_live_sv(aTHX_ hp, val))
            write_note(hp->ctx.d, targ, val, pv, SvCUR(label));
        else
            defer_note(hp, targ, val, pv, SvCUR(label));
        item += 4;
        n -= 4;
    }
    if (n > 0)
        hp->dropped += (UV)(n + 3) / 4;
}

static struct_kind *find_kind(helper_pass *hp, const char *name, size_t *id)
{
    size_t i;

    for (i = 0; i < hp->nkinds; i++)
        if (strcmp(hp->kinds[i].name, name) == 0) {
            *id = i;
            return &hp->kinds[i];
        }
    return NULL;
}

static int fields_valid(size_t nfields, const pmat_named_field *fields)
{
    size_t i;

    if (nfields > PMAT_STRUCT_FIELDS || (nfields && !fields))
        return 0;
    for (i = 0; i < nfields; i++)
        if (!fields[i].name || fields[i].type < 0 || fields[i].type >= PMAT_FIELD_MAX)
            return 0;
    return 1;
}

/* The first struct of a name: its META_STRUCT, {id, nfields, name} then
 * each field's name and type. */
static struct_kind *new_kind(helper_pass *hp, const char *name, size_t nfields,
                             const pmat_named_field *fields, size_t *id)
{
    pmat_writer *w = &hp->ctx.d->w;
    size_t len = strlen(name), i;
    struct_kind *k;

    if (hp->nkinds == PMAT_STRUCT_KINDS || len >= PMAT_STRUCT_NAMELEN)
        return NULL;
    k = &hp->kinds[hp->nkinds];
    memcpy(k->name, name, len + 1);
    k->nfields = nfields;
    for (i = 0; i < nfields; i++)
        k->types[i] = (U8)fields[i].type;
    *id = hp->nkinds++;

    if (!pmat_reserve(w, 1 + 2 * PMAT_UINT_SIZE))
        return k;
    pmat_put_u8_nocheck(w, PMAT_META_STRUCT);
    pmat_put_uint_nocheck(w, (UV)*id);
    pmat_put_uint_nocheck(w, (UV)nfields);
    pmat_put_str(w, name, len);
    for (i = 0; i < nfields; i++) {
        pmat_put_cstr(w, fields[i].name);
        if (pmat_reserve(w, 1))
            pmat_put_u8_nocheck(w, (U8)fields[i].type);
    }
    return k;
}

static int same_fields(const struct_kind *k, size_t nfields, const pmat_named_field *fields)
{
    size_t i;

    if (k->nfields != nfields)
        return 0;
    for (i = 0; i < nfields; i++)
        if (k->types[i] != (U8)fields[i].type)
            return 0;
    return 1;
}

/* One C_STRUCT: the common header (the struct's address, a refcount of all
 * ones as the reference writes it, its size, and the struct id in the
 * BLESSED slot), then the field values at their widths. */
static void write_cstruct(pmat_dump *d, size_t id, const void *addr, size_t size,
                          size_t nfields, const pmat_named_field *fields)
{
    pmat_writer *w = &d->w;
    size_t i;

    if (!pmat_reserve(w, PMAT_COMMON_LEN + nfields * PMAT_UINT_SIZE))
        return;
    pmat_put_u8_nocheck(w, PMAT_SVt_C_STRUCT);
    pmat_put_ptr_nocheck(w, addr);
    pmat_put_u32_nocheck(w, 0xFFFFFFFFu);
    pmat_put_uint_nocheck(w, (UV)size);
    pmat_put_ptr_nocheck(w, (const void *)(uintptr_t)id);
    for (i = 0; i < nfields; i++) {
        switch (fields[i].type) {
        case PMAT_FIELD_PTR:  pmat_put_ptr_nocheck(w, fields[i].v.ptr); break;
        case PMAT_FIELD_BOOL: pmat_put_u8_nocheck(w, fields[i].v.b ? 1 : 0); break;
        case PMAT_FIELD_U8:   pmat_put_u8_nocheck(w, (U8)fields[i].v.n); break;
        case PMAT_FIELD_U32:  pmat_put_u32_nocheck(w, (U32)fields[i].v.n); break;
        default:              pmat_put_uint_nocheck(w, (UV)fields[i].v.n); break;
        }
    }
}

/* DMD_DUMP_STRUCT lands here, through PL_modglobal{".../writestruct()"}. */
static void dmd_write_struct(pTHX_ struct DMDContext *ctx, const char *name, void *addr,
                             size_t size, size_t nfields, const pmat_named_field fields[])
{
    helper_pass *hp = &the_pass;
    struct_kind *k;
    size_t id;

    /* Only from a helper that is running now, with the context it got. */
    if (ctx != &hp->ctx || !ctx->in_helper)
        return;
    if (!name || !addr || !fields_valid(nfields, fields) || is_live_sv(aTHX_ hp, addr)) {
        hp->dropped++;
        return;
    }
    k = find_kind(hp, name, &id);
    if (k ? !same_fields(k, nfields, fields)
          : !(k = new_kind(hp, name, nfields, fields, &id))) {
        hp->dropped++;
        return;
    }
    if (!mem_reserve(&hp->structs, sizeof addr)) {
        hp->dropped++;
        return;
    }
    memcpy(hp->structs.p + hp->structs.len, &addr, sizeof addr);
    hp->structs.len += sizeof addr;
    hp->nstructs++;
    write_cstruct(ctx->d, id, addr, size, nfields, fields);
}

/* ---- calling helpers --------------------------------------------------- */

/* One helper on one SV, with a scope of its own for the mortals it makes;
 * whatever it left on the stack is read and taken off again. */
static void call_helper(pTHX_ helper_pass *hp, void *fn, int api044, const SV *sv, MAGIC *mg)
{
    const SSize_t base = PL_stack_sp - PL_stack_base;
    SSize_t pushed;
    int ret;

    ENTER;
    SAVETMPS;
    hp->ctx.in_helper = 1;
    if (mg)
        ret = api044 ? ((pmat_mg_helper)fn)(aTHX_ &hp->ctx, sv, mg)
                     : ((pmat_old_mg_helper)fn)(aTHX_ sv, mg);
    else
        ret = api044 ? ((pmat_pkg_helper)fn)(aTHX_ &hp->ctx, sv)
                     : ((pmat_old_pkg_helper)fn)(aTHX_ sv);
    hp->ctx.in_helper = 0;
    hp->calls++;

    /* The stack may have moved (EXTEND): by offset, not by pointer. */
    pushed = (PL_stack_sp - PL_stack_base) - base;
    if (pushed > 0 && ret == pushed)
        take_notes(aTHX_ hp, PL_stack_base + base + 1, pushed);
    else if (pushed > 0 || ret != 0)
        hp->dropped += pushed > 0 ? (UV)(pushed + 3) / 4 : 1;
    PL_stack_sp = PL_stack_base + base;
    FREETMPS;
    LEAVE;
}

/* The function a registry entry holds: a UV (newSVuv of the pointer). */
static void *helper_fn(const SV *entry)
{
    if (!entry || !SvIOK(entry))
        return NULL;
    return INT2PTR(void *, SvUVX(entry));
}

static void *lookup_helper(pTHX_ HV *registry, const char *key, I32 klen)
{
    SV **svp;

    if (!registry)
        return NULL;
    svp = hv_fetch(registry, key, klen, 0);
    return svp ? helper_fn(*svp) : NULL;
}

/* The helpers of a stash: those registered for it or any class of its
 * linearised @ISA, in MRO order, each API's. */
static stash_helpers *helpers_of_stash(pTHX_ helper_pass *hp, HV *stash)
{
    stash_helpers *c = &stash_cache[(PTR2UV(stash) >> 4) % PMAT_STASH_CACHE];
    AV *isa;
    SSize_t i;

    if (c->stash == stash)
        return c;
    c->stash = stash;
    c->n = 0;
    if (!HvNAME_HEK(stash))
        return c;       /* mro_get_linear_isa would croak on an anonymous stash */
    isa = mro_get_linear_isa(stash);
    for (i = 0; isa && i <= AvFILLp(isa); i++) {
        SV *name = AvARRAY(isa)[i];
        const char *pv;
        STRLEN len;
        I32 klen;
        int api;

        if (!name || !SvPOK(name))
            continue;
        pv = SvPVX_const(name);
        len = SvCUR(name);
        klen = SvUTF8(name) ? -(I32)len : (I32)len;
        for (api = 1; api >= 0; api--) {
            void *fn = lookup_helper(aTHX_ api ? hp->per_package : hp->old_per_package, pv, klen);
            if (!fn)
                continue;
            if (c->n == PMAT_HELPERS_PER_STASH)
                return c;       /* more than four in one MRO: the first four */
            c->fn[c->n] = fn;
            c->api044[c->n] = (U8)api;
            c->n++;
        }
    }
    return c;
}

static void run_package_helpers(pTHX_ helper_pass *hp, const SV *sv)
{
    HV *stash = SvSTASH(sv);
    stash_helpers *c;
    int i;

    if (!stash)
        return;
    c = helpers_of_stash(aTHX_ hp, stash);
    for (i = 0; i < c->n; i++)
        call_helper(aTHX_ hp, c->fn[i], c->api044[i], sv, NULL);
}

static void run_magic_helpers(pTHX_ helper_pass *hp, const SV *sv)
{
    MAGIC *mg, *next;

    for (mg = SvMAGIC(sv); mg; mg = next) {
        char key[32];
        int klen;
        int api;

        next = mg->mg_moremagic;
        if (!mg->mg_virtual)
            continue;
        /* the registry's key: newSViv((IV)vtbl) stringified */
        klen = snprintf(key, sizeof key, "%" IVdf, PTR2IV(mg->mg_virtual));
        for (api = 1; api >= 0; api--) {
            void *fn = lookup_helper(aTHX_ api ? hp->per_magic : hp->old_per_magic, key, klen);
            if (fn)
                call_helper(aTHX_ hp, fn, api, sv, mg);
        }
    }
}

/* ---- the pass ----------------------------------------------------------- */

static HV *modglobal_registry(pTHX_ const char *key, I32 klen)
{
    SV **svp = PL_modglobal ? hv_fetch(PL_modglobal, key, klen, 0) : NULL;

    if (!svp || !SvROK(*svp) || SvTYPE(SvRV(*svp)) != SVt_PVHV)
        return NULL;
    return HvUSEDKEYS((HV *)SvRV(*svp)) ? (HV *)SvRV(*svp) : NULL;
}

static HV *gv_registry(pTHX_ GV *gv)
{
    HV *hv = gv ? GvHV(gv) : NULL;
    return hv && HvUSEDKEYS(hv) ? hv : NULL;
}

#define MODGLOBAL_KEY(k) ("Devel::MAT::Dumper/" k), (I32)(sizeof("Devel::MAT::Dumper/" k) - 1)

static int find_registries(pTHX_ helper_pass *hp)
{
    hp->per_package = modglobal_registry(aTHX_ MODGLOBAL_KEY("%helper_per_package"));
    hp->per_magic = modglobal_registry(aTHX_ MODGLOBAL_KEY("%helper_per_magic"));
    hp->old_per_package = gv_registry(aTHX_ old_pkg_gv);
    hp->old_per_magic = gv_registry(aTHX_ old_mg_gv);
    return hp->per_package || hp->per_magic || hp->old_per_package || hp->old_per_magic;
}

static void visit_arenas(pTHX_ helper_pass *hp)
{
    const int pkg = hp->per_package || hp->old_per_package;
    const int mgc = hp->per_magic || hp->old_per_magic;
    size_t i;

    /* The spans, not the arena list: helpers may add arenas (at the list's
     * head), whose SVs have no record in this file. */
    for (i = 0; i < hp->nspans && !hp->ctx.d->w.err; i++) {
        const arena_span s = ((const arena_span *)hp->spans.p)[i];
        const SV *sv;

        for (sv = s.first; sv < s.end; sv++) {
            const U32 f = SvFLAGS(sv);
            const svtype t = (svtype)(f & SVTYPEMASK);

            if (t == (svtype)SVTYPEMASK || t < SVt_PVMG)
                continue;
            if (pkg && (f & SVs_OBJECT))
                run_package_helpers(aTHX_ hp, sv);
            if (mgc && SvMAGIC(sv))
                run_magic_helpers(aTHX_ hp, sv);
        }
    }
}

static void say_dropped(UV dropped)
{
    char msg[160];
    int n = snprintf(msg, sizeof msg,
                     "Devel::MAT::Dumper: dropped %" UVuf " helper annotation(s) that named"
                     " no SV or struct of the dump\n", dropped);
    if (n > 0 && write(2, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1) < 0) {
        /* nothing more we can do about a failing stderr */
    }
}

void write_helper_records(pTHX_ pmat_dump *d)
{
    helper_pass *hp = &the_pass;
    size_t i;

    if (helpers_suspended || !find_registries(aTHX_ hp))
        return;
    if (__atomic_exchange_n(&pass_busy, 1, __ATOMIC_ACQUIRE))
        return;                 /* another interpreter's dump is in its pass */

    hp->ctx.d = d;
    hp->ctx.in_helper = 0;
    hp->nspans = hp->nstructs = hp->nkinds = 0;
    hp->spans.len = hp->structs.len = hp->pending.len = 0;
    hp->dropped = hp->calls = 0;
    for (i = 0; i < PMAT_STASH_CACHE; i++)
        stash_cache[i].stash = NULL;

    if (collect_spans(aTHX_ hp)) {
        visit_arenas(aTHX_ hp);
        write_pending_notes(aTHX_ hp);
    }
    if (hp->dropped)
        say_dropped(hp->dropped);
    hp->ctx.d = NULL;
    mem_free(&hp->spans);
    mem_free(&hp->structs);
    mem_free(&hp->pending);
    __atomic_store_n(&pass_busy, 0, __ATOMIC_RELEASE);
}

void pmat_helpers_suspend(int on)
{
    helpers_suspended = on;
}

/* ---- extra roots -------------------------------------------------------- */

/* @MORE_ROOTS: name, SV, name, SV, ...  Only pairs whose name is a string
 * count; the SV pointer goes out as the module gave it. */
static AV *more_roots(void)
{
    AV *av = more_roots_gv ? GvAV(more_roots_gv) : NULL;
    return av && AvFILLp(av) >= 1 ? av : NULL;
}

static int is_root_pair(SV **pair)
{
    return pair[0] && SvPOK(pair[0]) && !SvGMAGICAL(pair[0]);
}

U32 pmat_extra_roots_count(pTHX)
{
    AV *av = more_roots();
    SSize_t i;
    U32 n = 0;

    for (i = 0; av && i + 1 <= AvFILLp(av); i += 2)
        n += is_root_pair(AvARRAY(av) + i);
    return n;
}

void write_extra_roots(pTHX_ pmat_dump *d)
{
    AV *av = more_roots();
    SSize_t i;

    for (i = 0; av && i + 1 <= AvFILLp(av); i += 2) {
        SV **pair = AvARRAY(av) + i;
        if (!is_root_pair(pair))
            continue;
        pmat_put_str(&d->w, SvPVX_const(pair[0]), SvCUR(pair[0]));
        if (pmat_reserve(&d->w, PMAT_PTR_SIZE))
            pmat_put_ptr_nocheck(&d->w, pair[1]);
    }
}

/* ---- BOOT ---------------------------------------------------------------- */

void pmat_helpers_boot(pTHX)
{
    /* DMD_DUMP_STRUCT finds us here (it caches the pointer on first use). */
    (void)hv_stores(PL_modglobal, "Devel::MAT::Dumper/writestruct()",
                    newSVuv(PTR2UV(&dmd_write_struct)));
    more_roots_gv = (GV *)SvREFCNT_inc_simple_NN(
        gv_fetchpvs("Devel::MAT::Dumper::MORE_ROOTS", GV_ADD | GV_ADDMULTI, SVt_PVAV));
    old_pkg_gv = (GV *)SvREFCNT_inc_simple_NN(
        gv_fetchpvs("Devel::MAT::Dumper::HELPER_PER_PACKAGE", GV_ADD | GV_ADDMULTI, SVt_PVHV));
    old_mg_gv = (GV *)SvREFCNT_inc_simple_NN(
        gv_fetchpvs("Devel::MAT::Dumper::HELPER_PER_MAGIC", GV_ADD | GV_ADDMULTI, SVt_PVHV));
}
