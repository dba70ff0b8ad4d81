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
#if defined(SAVEt_ARG0_MAX) && defined(SAVEt_ARG1_MAX) && defined(SAVEt_ARG2_MAX) && defined(SAVEt_MAX)
    /* 5.38+: scope_types.h names the ends of the argument-count ranges. */
    if (type <= SAVEt_ARG0_MAX) return 0;
    if (type <= SAVEt_ARG1_MAX) return 1;
    if (type <= SAVEt_ARG2_MAX) return 2;
    if (type <= SAVEt_MAX)      return 3;
    return -1;
#elif PERL_VERSION_GE(5, 36, 0) && !PERL_VERSION_GE(5, 37, 0)
    /* 5.36 (checked against its scope.h): the types are grouped by
     * argument count; the last member of each group is named here.  Other
     * versions renumber the types, so they get no guess from this table. */
    if (type <= SAVEt_REGCONTEXT)   return 0;   /* SAVEt_ALLOC ..         */
    if (type <= SAVEt_STRLEN_SMALL) return 1;   /* SAVEt_TMPSFLOOR ..     */
    if (type <= SAVEt_APTR)         return 2;   /* SAVEt_AV ..            */
    if (type <= SAVEt_HINTS_HH)     return 3;   /* SAVEt_HELEM ..         */
    return -1;
#else
    /* A perl whose grouping we have not checked: rather than guess where
     * the entries begin, record nothing. */
    PERL_UNUSED_ARG(type);
    return -1;
#endif
}

/* The reader attaches each record to the SV at its owner address and dies
 * if there is none, so a record goes out only when its owner is a live SV
 * of the kind the entry type implies.  (The entries hold a reference on
 * their owner, so this is a sanity check, not a guess.) */
static int owner_ok(const void *owner, svtype want)
{
    return owner && SvTYPE((const SV *)owner) == want;
}

static void put_saved1(pmat_writer *w, U8 rec, const void *owner, const void *saved)
{
    if (!owner_ok(owner, SVt_PVGV))
        return;
    if (!pmat_reserve(w, 1 + 2 * PMAT_PTR_SIZE))
        return;
    pmat_put_u8_nocheck(w, rec);
    pmat_put_ptr_nocheck(w, owner);
    pmat_put_ptr_nocheck(w, saved);
}

void write_saved(pTHX_ pmat_dump *d)
{
    pmat_writer *w = &d->w;
    const ANY *ss = PL_savestack;
    I32 ix = PL_savestack_ix;

    while (ix > 0 && !w->err) {
        UV uv = ss[ix - 1].any_uv;
        U8 type = (U8)(uv & SAVE_MASK);
        int argc = save_argcount(type);
        const ANY *a;

        if (argc < 0 || ix - 1 - argc < 0)
            return;
        a = &ss[ix - 1 - argc];          /* a[0] is the lowest argument */

        switch (type) {
        case SAVEt_SV:                   /* a0 GV, a1 old SV */
            put_saved1(w, PMAT_SVxSAVED_SV, a[0].any_ptr, a[1].any_ptr);
            break;
        case SAVEt_AV:                   /* a0 GV, a1 old AV */
            put_saved1(w, PMAT_SVxSAVED_AV, a[0].any_ptr, a[1].any_ptr);
            break;
        case SAVEt_HV:                   /* a0 GV, a1 old HV */
            put_saved1(w, PMAT_SVxSAVED_HV, a[0].any_ptr, a[1].any_ptr);
            break;
        case SAVEt_GVSLOT:               /* a0 GV, a1 slot address, a2 old
                                          * value; perl only uses it for the
                                          * CODE slot (glob_assign_ref) */
            put_saved1(w, PMAT_SVxSAVED_CV, a[0].any_ptr, a[2].any_ptr);
            break;
        case SAVEt_AELEM:                /* a0 AV, a1 I32 index, a2 old SV */
            if (!owner_ok(a[0].any_ptr, SVt_PVAV))
                break;
            if (!pmat_reserve(w, 1 + PMAT_PTR_SIZE + PMAT_UINT_SIZE + PMAT_PTR_SIZE))
                return;
            pmat_put_u8_nocheck(w, PMAT_SVxSAVED_AELEM);
            pmat_put_ptr_nocheck(w, a[0].any_ptr);
            pmat_put_uint_nocheck(w, (UV)(IV)a[1].any_i32);
            pmat_put_ptr_nocheck(w, a[2].any_ptr);
            break;
        case SAVEt_HELEM:                /* a0 HV, a1 key SV, a2 old SV */
            if (!owner_ok(a[0].any_ptr, SVt_PVHV))
                break;
            if (!pmat_reserve(w, 1 + 3 * PMAT_PTR_SIZE))
                return;
            pmat_put_u8_nocheck(w, PMAT_SVxSAVED_HELEM);
            pmat_put_ptr_nocheck(w, a[0].any_ptr);
            pmat_put_ptr_nocheck(w, a[1].any_ptr);
            pmat_put_ptr_nocheck(w, a[2].any_ptr);
            break;
        default:
            break;
        }

        ix -= 1 + argc;
        /* SAVEt_ALLOC and the regex engine's SAVEt_REGCONTEXT (its
         * backtracking state, pushed while a match runs) both keep their
         * count of raw slots above SAVE_TIGHT_SHIFT, as leave_scope()
         * reads it. */
        if (type == SAVEt_ALLOC || type == SAVEt_REGCONTEXT) {
            UV raw = uv >> SAVE_TIGHT_SHIFT;
            if (raw > (UV)ix)
                return;
            ix -= (I32)raw;
        }
    }
}
