/* size.h -- how many bytes an SV owns, for the SIZE field of its record.
 *
 * An SV owns its head, the body perl allocated for its SvTYPE, and its
 * string buffer when SvLEN says it has one of its own (a COW-shared HEK or a
 * static string such as a boolean's has SvLEN 0 and costs nothing here).
 * The container kinds add their tables in their own writers.
 */
/* Included by dumper.h.  Static inline (this was size.c): these run for
 * every SV of the heap, and as calls across objects of a shared library
 * they went through the PLT and kept the writers from folding the type
 * tests they already made. */
#ifndef PMAT_SIZE_H
#define PMAT_SIZE_H

#if PERL_VERSION_GE(5,36,0)
/* 5.36 moved perl's own table of body sizes (with the offset tricks for the
 * PV-family bodies and the bodyless IV/NV) into sv_inline.h, which perl.h
 * includes: use it, so we report what perl really allocates. */
#  define PMAT_BODY_SIZE(t) ((UV)bodies_by_type[t].body_size)
#else
/* Older perls keep the table private to sv.c: mirror it.  The PV family's
 * bodies start at xpv_cur (the head holds what comes before). */
#  define PMAT_PV_OFF STRUCT_OFFSET(XPV, xpv_cur)
static const U16 pmat_body_sizes[SVt_LAST] = {
    [SVt_NULL]   = 0,
    [SVt_IV]     = 0,
#  if NVSIZE <= IVSIZE
    [SVt_NV]     = 0,
#  else
    [SVt_NV]     = sizeof(NV),
#  endif
    [SVt_PV]     = sizeof(XPV)   - PMAT_PV_OFF,
#  if PERL_VERSION_GE(5,20,0)
    [SVt_INVLIST] = sizeof(XINVLIST) - PMAT_PV_OFF,
#  endif
    [SVt_PVIV]   = sizeof(XPVIV) - PMAT_PV_OFF,
    [SVt_PVNV]   = sizeof(XPVNV) - PMAT_PV_OFF,
    [SVt_PVMG]   = sizeof(XPVMG),
    [SVt_REGEXP] = sizeof(regexp),
    [SVt_PVGV]   = sizeof(XPVGV),
    [SVt_PVLV]   = sizeof(XPVLV),
    [SVt_PVAV]   = sizeof(XPVAV),
    [SVt_PVHV]   = sizeof(XPVHV),
    [SVt_PVCV]   = sizeof(XPVCV),
    [SVt_PVFM]   = sizeof(XPVFM),
    [SVt_PVIO]   = sizeof(XPVIO),
};
#  define PMAT_BODY_SIZE(t) ((UV)pmat_body_sizes[t])
#endif

/* The _t forms take the SvTYPE the caller has already switched on, so
 * that once inlined the type tests fold away. */
static inline UV pmat_pv_size_t(const SV *sv, svtype t)
{
    STRLEN off;

    if (t < SVt_PV || t == SVt_PVAV || t == SVt_PVHV
        || t == SVt_PVCV || t == SVt_PVFM || t == SVt_PVIO)
        return 0;
#if PERL_VERSION_GE(5,38,0)  /* an object's head has no string slot in use */
    if (t == SVt_PVOBJ)
        return 0;
#endif
    /* An RV lives in the same slot as the PV pointer. */
    if (SvROK(sv) || !SvPVX_const(sv) || !SvLEN(sv))
        return 0;
    /* A PVLV standing in for a REGEXP keeps a pointer to the regexp where
     * SvLEN would be, and borrows that regexp's string. */
    if (t == SVt_PVLV
        && (SvFLAGS(sv) & (SVpgv_GP | SVf_FAKE)) == SVf_FAKE)
        return 0;
    /* A GV with a GP has no string (its name is a shared HEK). */
    if (t == SVt_PVGV && isGV_with_GP(sv))
        return 0;
    /* A COW buffer (SvIsCOW with SvLEN) is shared by the SVs that copied it
     * and freed with the last: each of them counts it, as the reference
     * does -- no one SV is its owner. */
    /* sv_chop moved the start of the string forward: the allocation begins
     * `off` bytes earlier and SvLEN was reduced by as much. */
    SvOOK_offset(sv, off);
    return (UV)SvLEN(sv) + (UV)off;
}

static inline UV pmat_pv_size(const SV *sv)
{
    return pmat_pv_size_t(sv, SvTYPE(sv));
}

static inline UV pmat_sv_body_size_t(const SV *sv, svtype t)
{
    UV size = sizeof(SV);

    if ((unsigned)t < SVt_LAST)
        size += PMAT_BODY_SIZE(t);
#if PERL_VERSION_GE(5,36,0)
    /* A hash with an aux struct (stash name, iterator, backrefs) has been
     * given the larger xpvhv_with_aux body (5.36 moved aux into the body). */
    if (t == SVt_PVHV && SvOOK(sv))
        size += sizeof(struct xpvhv_with_aux) - sizeof(XPVHV);
#endif
    return size;
}

static inline UV pmat_sv_body_size(const SV *sv)
{
    return pmat_sv_body_size_t(sv, SvTYPE(sv));
}

static inline UV pmat_sv_base_size(const SV *sv)
{
    return pmat_sv_body_size(sv) + pmat_pv_size(sv);
}

#endif
