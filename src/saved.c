/* saved.c -- what `local` has put aside, from the save stack.
 *
 * Each record is an SV extension: U8 type, PTR owner, then
 *   SAVED_SV    (0x81)  PTR saved      owner = the GV of `local $x`
 *   SAVED_AV    (0x82)  PTR saved      owner = the GV of `local @x`
 *   SAVED_HV    (0x83)  PTR saved      owner = the GV of `local %x`
 *   SAVED_AELEM (0x84)  UINT index, PTR saved      owner = the AV
 *   SAVED_HELEM (0x85)  PTR key SV, PTR saved      owner = the HV
 *   SAVED_CV    (0x86)  PTR saved      owner = the GV of `local *x = sub..`
 * "saved" is the value that comes back when the scope is left.
 *
 * The walk goes from the top of PL_savestack down.  Each entry is a group of
 * ANY slots whose topmost slot holds a UV with the SAVEt_* type in its low
 * bits (SAVE_MASK); below it sit the type's arguments, a0 lowest.  How many
 * arguments each type has is what perl's leave_scope() uses: a fixed count
 * per type range, plus, for SAVEt_ALLOC, the number of raw slots stored in
 * the UV above SAVE_TIGHT_SHIFT (and likewise SAVEt_REGCONTEXT).  An unknown type, or a group that would
 * reach below slot 0, ends the walk: past that point we cannot tell where
 * the groups are, and reading on could read garbage as pointers.
 */
#define PERL_NO_GET_CONTEXT
#include "dumper.h"


/* Number of argument slots of a save-stack type, or -1 if unknown. */
static int save_argcount(U8 type)
{
#if defined(MAX_SAVEt)
    /* 5.38+: scope_types.h carries leave_scope()'s own table of counts. */
    return type <= MAX_SAVEt ? leave_scope_arg_counts[type] : -1;
#elif PERL_VERSION_GE(5, 36, 0) && !PERL_VERSION_GE(5, 37, 0)
    /* 5.36 (checked against its scope.h): the types are grouped by
     * argument count; the last member of each group is named here. */
    if (type <= SAVEt_REGCONTEXT)   return 0;   /* SAVEt_ALLOC ..         */
    if (type <= SAVEt_STRLEN_SMALL) return 1;   /* SAVEt_TMPSFLOOR ..     */
    if (type <= SAVEt_APTR)         return 2;   /* SAVEt_AV ..            */
    if (type <= SAVEt_HINTS_HH)     return 3;   /* SAVEt_HELEM ..         */
    return -1;
#elif PERL_VERSION_GE(5, 32, 0) && !PERL_VERSION_GE(5, 33, 0)
    /* 5.32 (checked against its scope.h): no SAVEt_STRLEN_SMALL nor
     * SAVEt_HINTS_HH yet, so the groups end one type earlier. */
    if (type <= SAVEt_REGCONTEXT)   return 0;   /* SAVEt_ALLOC ..         */
    if (type <= SAVEt_FREEPADNAME)  return 1;   /* SAVEt_TMPSFLOOR ..     */
    if (type <= SAVEt_APTR)         return 2;   /* SAVEt_AV ..            */
    if (type <= SAVEt_DELETE)       return 3;   /* SAVEt_HELEM ..         */
    return -1;
#else
    /* A perl whose grouping we have not checked (each release renumbers
     * the types): rather than guess where the entries begin, record
     * nothing. */
    PERL_UNUSED_ARG(type);
    return -1;
#endif
}

/* The reader attaches each record to the SV at its owner address and dies
 * if there is none, so a record goes out only when its owner is a live SV
 * of the kind the entry type implies.  And the owner pointer is checked to
 * lie on an SV slot of an arena before anything is read through it: a dump
 * from the immediate SIGABRT handler can land while the regex engine is
 * half-way through pushing its raw backtracking slots, whose integers then
 * look like an entry (seen: an "owner" of 0x25, and a SIGSEGV).
 *
 * The entries are gathered in batches, and each batch's owners are checked
 * in one pass over the arena list (sorted, so each arena costs a binary
 * search): a save stack of any depth costs a pass per SAVED_BATCH entries,
 * and nothing is allocated. */
#define SAVED_BATCH 256

typedef struct saved_entry {
    U8          rec;        /* PMAT_SVxSAVED_* */
    U8          ok;         /* the owner is a live SV of the right type */
    const void *owner;
    const void *p1, *p2;    /* the pointers after the owner, in file order */
    IV          index;      /* SAVED_AELEM's index */
} saved_entry;

/* The SvTYPE an entry's owner must have. */
static svtype owner_type(U8 rec)
{
    switch (rec) {
    case PMAT_SVxSAVED_AELEM: return SVt_PVAV;
    case PMAT_SVxSAVED_HELEM: return SVt_PVHV;
    default:                  return SVt_PVGV;
    }
}

/* Sort the batch's entry numbers by owner address (insertion sort: a batch
 * is small, and qsort may allocate). */
static void sort_by_owner(const saved_entry *e, unsigned short *order, int n)
{
    int i, j;

    for (i = 0; i < n; i++) {
        unsigned short k = (unsigned short)i;
        for (j = i; j > 0 && (uintptr_t)e[order[j - 1]].owner > (uintptr_t)e[k].owner; j--)
            order[j] = order[j - 1];
        order[j] = k;
    }
}

/* Set ok on each entry whose owner is the head of a live SV of the right
 * type in one of the arenas. */
static void check_owners(pTHX_ saved_entry *e, int n)
{
    unsigned short order[SAVED_BATCH];
    const SV *arena;
    int i;

    sort_by_owner(e, order, n);
    for (arena = PL_sv_arenaroot; arena; arena = (const SV *)SvANY(arena)) {
        const uintptr_t lo = (uintptr_t)(arena + 1);
        const uintptr_t hi = (uintptr_t)(arena + SvREFCNT(arena));
        int a = 0, b = n;

        /* The first owner at or above lo. */
        while (a < b) {
            int m = (a + b) / 2;
            if ((uintptr_t)e[order[m]].owner < lo)
                a = m + 1;
            else
                b = m;
        }
        for (i = a; i < n && (uintptr_t)e[order[i]].owner < hi; i++) {
            saved_entry *x = &e[order[i]];
            if (((uintptr_t)x->owner - lo) % sizeof(SV) == 0
                && SvTYPE((const SV *)x->owner) == owner_type(x->rec))
                x->ok = 1;
        }
    }
}

static void put_entries(pmat_writer *w, const saved_entry *e, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        const saved_entry *x = &e[i];
        if (!x->ok)
            continue;
        if (!pmat_reserve(w, 1 + 3 * PMAT_PTR_SIZE + PMAT_UINT_SIZE))
            return;
        pmat_put_u8_nocheck(w, x->rec);
        pmat_put_ptr_nocheck(w, x->owner);
        if (x->rec == PMAT_SVxSAVED_AELEM)
            pmat_put_uint_nocheck(w, (UV)x->index);
        pmat_put_ptr_nocheck(w, x->p1);
        if (x->rec == PMAT_SVxSAVED_HELEM)
            pmat_put_ptr_nocheck(w, x->p2);
    }
}

/* The entry a save-stack group stands for, if it is one we record. */
static int saved_entry_of(U8 type, const ANY *a, saved_entry *x)
{
    x->ok = 0;
    x->p2 = NULL;
    x->index = 0;
    switch (type) {
    case SAVEt_SV:                   /* a0 GV, a1 old SV */
        x->rec = PMAT_SVxSAVED_SV;
        break;
    case SAVEt_AV:                   /* a0 GV, a1 old AV */
        x->rec = PMAT_SVxSAVED_AV;
        break;
    case SAVEt_HV:                   /* a0 GV, a1 old HV */
        x->rec = PMAT_SVxSAVED_HV;
        break;
    case SAVEt_GVSLOT:               /* a0 GV, a1 slot address, a2 old value;
                                      * perl only uses it for the CODE slot
                                      * (glob_assign_ref) */
        x->rec = PMAT_SVxSAVED_CV;
        x->owner = a[0].any_ptr;
        x->p1 = a[2].any_ptr;
        return 1;
    case SAVEt_AELEM:                /* a0 AV, a1 I32 index, a2 old SV */
        x->rec = PMAT_SVxSAVED_AELEM;
        x->owner = a[0].any_ptr;
        x->index = (IV)a[1].any_i32;
        x->p1 = a[2].any_ptr;
        return 1;
    case SAVEt_HELEM:                /* a0 HV, a1 key SV, a2 old SV */
        x->rec = PMAT_SVxSAVED_HELEM;
        x->owner = a[0].any_ptr;
        x->p1 = a[1].any_ptr;
        x->p2 = a[2].any_ptr;
        return 1;
    default:
        return 0;
    }
    x->owner = a[0].any_ptr;
    x->p1 = a[1].any_ptr;
    return 1;
}

/* Check a batch's owners, then write the entries that passed. */
static void write_batch(pTHX_ pmat_writer *w, saved_entry *e, int n)
{
    check_owners(aTHX_ e, n);
    put_entries(w, e, n);
}

void write_saved(pTHX_ pmat_dump *d)
{
    pmat_writer *w = &d->w;
    const ANY *ss = PL_savestack;
    I32 ix = PL_savestack_ix;
    saved_entry batch[SAVED_BATCH];
    int n = 0;

    while (ix > 0 && !w->err) {
        UV uv = ss[ix - 1].any_uv;
        U8 type = (U8)(uv & SAVE_MASK);
        int argc = save_argcount(type);

        if (argc < 0 || ix - 1 - argc < 0)
            break;
        /* a[0] is the lowest argument */
        if (saved_entry_of(type, &ss[ix - 1 - argc], &batch[n]) && ++n == SAVED_BATCH) {
            write_batch(aTHX_ w, batch, n);
            n = 0;
        }
        ix -= 1 + argc;
        /* SAVEt_ALLOC and the regex engine's SAVEt_REGCONTEXT (its
         * backtracking state, pushed while a match runs) both keep their
         * count of raw slots above SAVE_TIGHT_SHIFT, as leave_scope()
         * reads it. */
        if (type == SAVEt_ALLOC || type == SAVEt_REGCONTEXT) {
            UV raw = uv >> SAVE_TIGHT_SHIFT;
            if (raw > (UV)ix)
                break;
            ix -= (I32)raw;
        }
    }
    if (n && !w->err)
        write_batch(aTHX_ w, batch, n);
}
