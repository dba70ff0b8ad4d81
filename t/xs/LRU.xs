/* LRU.xs -- the test suite's XS module for the helper API (never installed).
 *
 * DMDTest::LRU is a cache of N entries whose values live only in a C array,
 * the way an XS module's private state does: no Perl-visible reference
 * holds them, so a heap dump cannot find what keeps them alive unless the
 * module's helpers say so.
 *
 * DMDTest::LRU::pin($target, $value) hides a reference to $value in ext
 * magic on $target (in mg_ptr, which the dumper cannot follow).
 *
 * It is also a tied-hash class, the shape of the cache in issue #17's seed
 * (Tie::Hash::LRU): tie %h, 'DMDTest::LRU', N makes the same object as new,
 * and $h{k} = $v puts a copy of the value perl hands STORE into the C array
 * (see STORE for why a copy).  Nothing comes back: FETCH is undef, the hash
 * has no keys, EXISTS is false, DELETE and CLEAR do nothing.  So what was
 * stored is held only by C, as a REF of refcount 1 nothing in Perl sees.
 *
 * Built by t/lib/HelperXS.pm against one DMD_helper.h or another (ours, the
 * reference's); with HAVE_DMD_HELPER unset it registers nothing; with
 * DMDTEST_OLD_API set it uses the API before 0.44 (helpers without a
 * context, no structs).  At BOOT,
 * $ENV{DMDTEST_HELPERS} chooses what is registered: unset = everything,
 * "none", or a comma list of package,magic,root,garbage,oldapi.
 */
#define PERL_NO_GET_CONTEXT
#include "EXTERN.h"
#include "perl.h"
#include "XSUB.h"

#include <string.h>

#ifdef HAVE_DMD_HELPER
#  ifndef DMDTEST_OLD_API
#    define WANT_DMD_API_044
#  endif
#  include "DMD_helper.h"
#endif

typedef struct lru {
    SV    **slots;      /* capacity entries, the newest at (head - 1) */
    size_t  capacity;
    size_t  used;
    size_t  head;       /* where the next put goes */
    U32     puts;
} lru;

static AV *graveyard;   /* evicted values, reachable only through a root */

static int pin_free(pTHX_ SV *sv, MAGIC *mg)
{
    SvREFCNT_dec((SV *)mg->mg_ptr);
    return 0;
}

static MGVTBL pin_vtbl = { 0, 0, 0, 0, pin_free, 0, 0, 0 };

static lru *lru_of(pTHX_ SV *self)
{
    if (!SvROK(self) || !sv_derived_from(self, "DMDTest::LRU"))
        croak("not a DMDTest::LRU");
    return INT2PTR(lru *, SvIV(SvRV(self)));
}

/* The C side of new and TIEHASH: an empty table of capacity slots (at
 * least one), in a blessed SCALAR holding its address as an IV. */
static SV *lru_new(pTHX_ const char *class, UV capacity)
{
    lru *c;
    Newxz(c, 1, lru);
    c->capacity = capacity ? capacity : 1;
    Newxz(c->slots, c->capacity, SV *);
    return sv_setref_pv(newSV(0), class, c);
}

/* The C side of put and STORE: the table takes a count on value itself
 * (not a copy); the oldest entry goes to the graveyard when it is full. */
static void lru_put(pTHX_ lru *c, SV *value)
{
    SV *old = c->slots[c->head];
    if (old)
        av_push(graveyard, old);
    c->slots[c->head] = SvREFCNT_inc_simple_NN(value);
    c->head = (c->head + 1) % c->capacity;
    if (c->used < c->capacity)
        c->used++;
    c->puts++;
}

static int want(const char *what)
{
    const char *e = getenv("DMDTEST_HELPERS");
    size_t n = strlen(what);
    const char *p;

    if (!e)
        return strcmp(what, "garbage") && strcmp(what, "oldapi");
    for (p = e; (p = strstr(p, what)); p += n)
        if ((p == e || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return 1;
    return 0;
}

#if defined(HAVE_DMD_HELPER) && defined(DMDTEST_OLD_API)
/* The earlier API: the same notes, no context and so no struct. */
static int dump_lru(pTHX_ const SV *sv)
{
    lru *c = INT2PTR(lru *, SvIVX(sv));
    int ret = 0;
    size_t i;

    for (i = 0; i < c->used; i++) {
        char label[64];
        snprintf(label, sizeof label, "the LRU slot [%u]", (unsigned)i);
        ret += DMD_ANNOTATE_SV(sv, c->slots[i], label);
    }
    return ret;
}

static int dump_pin(pTHX_ const SV *sv, MAGIC *mg)
{
    return DMD_ANNOTATE_SV(sv, (SV *)mg->mg_ptr, "the pinned value");
}
#elif defined(HAVE_DMD_HELPER)
/* Each slot in use is a reference from the object to its value; the table
 * itself goes out as a struct, which the object refers to. */
static int dump_lru(pTHX_ DMDContext *ctx, const SV *sv)
{
    lru *c = INT2PTR(lru *, SvIVX(sv));
    int ret = 0;
    size_t i;
    DMDNamedField fields[] = {
        { "the first slot", DMD_FIELD_PTR,  { .ptr = c->used ? c->slots[0] : NULL } },
        { "capacity",       DMD_FIELD_UINT, { .n = (long)c->capacity } },
        { "used",           DMD_FIELD_UINT, { .n = (long)c->used } },
        { "full",           DMD_FIELD_BOOL, { .b = c->used == c->capacity } },
        { "puts",           DMD_FIELD_U32,  { .n = (long)c->puts } },
        { "head",           DMD_FIELD_U8,   { .n = (long)(c->head & 0xff) } },
    };

    for (i = 0; i < c->used; i++) {
        char label[64];
        snprintf(label, sizeof label, "the LRU slot [%u]", (unsigned)i);
        ret += DMD_ANNOTATE_SV(sv, c->slots[i], label);
    }
    DMD_DUMP_STRUCT(ctx, "DMDTest::LRU/lru", c, sizeof *c,
                    sizeof fields / sizeof fields[0], fields);
    /* a note may name a struct of the dump as either end */
    ret += DMD_ANNOTATE_SV(sv, (const SV *)c, "the LRU table");
    return ret;
}

static int dump_pin(pTHX_ DMDContext *ctx, const SV *sv, MAGIC *mg)
{
    return DMD_ANNOTATE_SV(sv, (SV *)mg->mg_ptr, "the pinned value");
}

/* Annotates what is not an SV, and a struct whose field count changes. */
static int dump_garbage(pTHX_ DMDContext *ctx, const SV *sv)
{
    static long junk[4];
    DMDNamedField one[] = { { "a", DMD_FIELD_UINT, { .n = 1 } } };
    DMDNamedField two[] = { { "a", DMD_FIELD_UINT, { .n = 1 } },
                            { "b", DMD_FIELD_UINT, { .n = 2 } } };
    int ret = 0;

    ret += DMD_ANNOTATE_SV(sv, (SV *)junk, "a static array");
    ret += DMD_ANNOTATE_SV((SV *)(junk + 1), sv, "from a static array");
    ret += DMD_ANNOTATE_SV(sv, (SV *)((char *)sv + 3), "into the middle of an SV head");
    DMD_DUMP_STRUCT(ctx, "DMDTest::LRU/odd", junk, sizeof junk, 1, one);
    DMD_DUMP_STRUCT(ctx, "DMDTest::LRU/odd", junk + 2, sizeof junk, 2, two);
    return ret;
}
#endif

MODULE = DMDTest::LRU    PACKAGE = DMDTest::LRU

PROTOTYPES: DISABLE

BOOT:
    graveyard = newAV();
#ifdef HAVE_DMD_HELPER
    if (want("package"))
        DMD_SET_PACKAGE_HELPER("DMDTest::LRU", dump_lru);
    if (want("magic"))
        DMD_SET_MAGIC_HELPER(&pin_vtbl, dump_pin);
    if (want("root"))
        DMD_ADD_ROOT((SV *)graveyard, "+the DMDTest::LRU graveyard");
#  ifndef DMDTEST_OLD_API
    if (want("garbage"))
        DMD_SET_PACKAGE_HELPER("DMDTest::Garbage", dump_garbage);
#  endif
#endif

SV *
new(class, capacity)
    const char *class
    UV capacity
  CODE:
    RETVAL = lru_new(aTHX_ class, capacity);
  OUTPUT:
    RETVAL

void
put(self, value)
    SV *self
    SV *value
  CODE:
    lru_put(aTHX_ lru_of(aTHX_ self), value);

SV *
TIEHASH(class, capacity)
    const char *class
    UV capacity
  CODE:
    RETVAL = lru_new(aTHX_ class, capacity);
  OUTPUT:
    RETVAL

void
STORE(self, key, value)
    SV *self
    SV *key
    SV *value
  CODE:
    /* For $h{k} = $v perl hands STORE the tied element itself, a PVLV
     * whose reference to $v no dump shows (the format's LVALUE has no
     * referent; both dumpers drop it).  Holding a copy, as a C cache does,
     * leaves a plain REF in the C array, the seed's "not found" REF. */
    lru_put(aTHX_ lru_of(aTHX_ self), sv_2mortal(newSVsv(value)));

void
FETCH(self, key)
    SV *self
    SV *key
  CODE:
    XSRETURN_UNDEF;

void
FIRSTKEY(self)
    SV *self
  CODE:
    XSRETURN_UNDEF;

void
NEXTKEY(self, lastkey)
    SV *self
    SV *lastkey
  CODE:
    XSRETURN_UNDEF;

bool
EXISTS(self, key)
    SV *self
    SV *key
  CODE:
    RETVAL = 0;
  OUTPUT:
    RETVAL

void
DELETE(self, key)
    SV *self
    SV *key
  CODE:
    /* a no-op: the entry stays where it is */

void
CLEAR(self)
    SV *self
  CODE:
    /* a no-op: the entries stay where they are */

UV
used(self)
    SV *self
  CODE:
    RETVAL = lru_of(aTHX_ self)->used;
  OUTPUT:
    RETVAL

UV
table_addr(self)
    SV *self
  CODE:
    RETVAL = PTR2UV(lru_of(aTHX_ self));
  OUTPUT:
    RETVAL

void
DESTROY(self)
    SV *self
  CODE:
  {
    lru *c = lru_of(aTHX_ self);
    size_t i;
    for (i = 0; i < c->capacity; i++)
        SvREFCNT_dec(c->slots[i]);
    Safefree(c->slots);
    Safefree(c);
  }

void
pin(target, value)
    SV *target
    SV *value
  CODE:
    sv_magicext(target, NULL, PERL_MAGIC_ext, &pin_vtbl,
                (const char *)SvREFCNT_inc_simple_NN(value), 0);

UV
graveyard_addr()
  CODE:
    RETVAL = PTR2UV(graveyard);
  OUTPUT:
    RETVAL

UV
graveyard_size()
  CODE:
    RETVAL = (UV)(AvFILL(graveyard) + 1);
  OUTPUT:
    RETVAL
