/* sv_scalar.c -- the plain scalar kinds: SCALAR, REF, and the compact
 * UNDEF / YES / NO records.
 *
 * Only the slots perl says are valid are read (the private OK flags, which a
 * magical scalar's last get left behind); nothing here stringifies, numifies
 * or runs magic.
 */
/* Included by heap.c only: the kinds that make up nearly every SV of a
 * heap are inlined into the arena walk, which saves a call frame (and the
 * saving and restoring of the registers it needs) per SV. */
#ifndef PMAT_SV_SCALAR_H
#define PMAT_SV_SCALAR_H

#define SCALAR_FIXED (1 + 2 * PMAT_UINT_SIZE + PMAT_NV_SIZE + PMAT_PTR_SIZE)

#ifdef SVppv_STATIC
/* 5.36 booleans: a static PV pointing at PL_Yes or PL_No.  Checked inline
 * (SvIsBOOL is a function call in 5.36). */
#  define IS_BOOL(sv) (SvPOK(sv) && SvIsCOW_static(sv) \
                       && (SvPVX_const(sv) == PL_Yes || SvPVX_const(sv) == PL_No))
#else
#  define IS_BOOL(sv) 0
#endif

PMAT_HOT_INLINE void write_ref(pTHX_ pmat_dump *d, const SV *sv, UV size, svtype t)
{
    pmat_writer *w = &d->w;
    unsigned char *p;

    if (!pmat_reserve(w, PMAT_COMMON_LEN + 1 + 2 * PMAT_PTR_SIZE))
        return;
    p = pmat_cursor(w);
    p = pmat_p_sv_common_t(p, sv, PMAT_SVt_REF, size, t);
    p = pmat_p_u8(p, SvWEAKREF(sv) ? 0x01 : 0);
    /* (the cast: a DEBUGGING perl's SvRV goes through MUTABLE_SV, which
     * takes a non-const pointer) */
    p = pmat_p_ptr(p, SvRV((SV *)sv));
    p = pmat_p_ptr(p, NULL);                /* OURSTASH: no pad-name SVs since 5.22 */
    pmat_commit(w, p);
}

/* A record of the common header alone (UNDEF, YES, NO). */
PMAT_HOT_INLINE void write_common_only(pmat_writer *w, const SV *sv, U8 type, UV size,
                                       svtype t)
{
    if (pmat_reserve(w, PMAT_COMMON_LEN))
        pmat_commit(w, pmat_p_sv_common_t(pmat_cursor(w), sv, type, size, t));
}

/* v0.6: a string that is a shared hash key (a copy of a hash key or a
 * constant method name, say) gets a PV_SHARED_HEK record after its SCALAR,
 * naming the HEK in PL_strtab whose key bytes the PV is.  Rare enough to
 * stay out of line. */
static __attribute__((noinline)) void write_pv_shared_hek(pmat_writer *w, const SV *sv,
                                                          const char *pv)
{
    if (!pmat_reserve(w, 1 + 2 * PMAT_PTR_SIZE))
        return;
    pmat_put_u8_nocheck(w, PMAT_SVxPV_SHARED_HEK);
    pmat_put_ptr_nocheck(w, sv);
    pmat_put_ptr_nocheck(w, SvSHARED_HEK_FROM_PV(pv));
}

/* Strings up to this long go into the record's one reservation; longer ones
 * through the checked append, which can write them past the buffer. */
#define SCALAR_INLINE_PV 4096

/* The value slots a body of type t has.  Perl upgrades a bodyless IV or NV
 * and a plain PV before giving it another kind of value, so an SVt_IV only
 * ever holds an integer (or a reference), an SVt_NV a number, an SVt_PV a
 * string; with t a constant the tests for the other slots fold away (and
 * stale flags could not make us read a slot the body does not have). */
#define CAN_IV(t) ((t) != SVt_NV && (t) != SVt_PV)
#define CAN_NV(t) ((t) != SVt_IV && (t) != SVt_PV)
#define CAN_PV(t) ((t) != SVt_IV && (t) != SVt_NV)

/* t: SvTYPE(sv), which heap.c's dispatch passes as a constant for the
 * common bodyless and plain-string types, so their records are written
 * without the tests that only the bigger bodies need. */
PMAT_HOT_INLINE void write_sv_scalar(pTHX_ pmat_dump *d, const SV *sv, svtype t)
{
    pmat_writer *w = &d->w;
    const U32 f = SvFLAGS(sv);
    UV size = pmat_sv_body_size_t(sv, t);
    U8 flags = 0;
    U32 ok;
    UV iv = 0;
    NV nv = 0;
    const char *pv = NULL;
    STRLEN cur = 0, wlen = 0, inline_pv;
    unsigned char *p;

    /* The string buffer is counted only with the string the record shows,
     * as the reference does: not for a REF, an UNDEF whose old buffer was
     * kept, a boolean's static string, or the private-only string 5.36
     * caches for a stringified number. */
    if (f & SVf_ROK) {
        write_ref(aTHX_ d, sv, size, t);
        return;
    }
    if (!(f & (SVp_IOK | SVp_NOK | SVp_POK))) {
        write_common_only(w, sv, PMAT_SVt_UNDEF, size, t);
        return;
    }
    if (CAN_PV(t) && IS_BOOL(sv)) {
        write_common_only(w, sv, SvPVX_const(sv) == PL_Yes ? PMAT_SVt_YES : PMAT_SVt_NO,
                          size, t);
        return;
    }

    /* Which slots hold the value: the public flags, as the reference does
     * (5.36 marks the string an integer was stringified to as private-only
     * so the value stays an integer).  A get-magical scalar keeps the value
     * its last get fetched under the private flags only. */
    if (t >= SVt_PVMG && (f & SVs_GMG))
        ok = f & (SVp_IOK | SVp_NOK | SVp_POK);
    else
        ok = ((CAN_IV(t) && (f & SVf_IOK)) ? SVp_IOK : 0)
           | ((CAN_NV(t) && (f & SVf_NOK)) ? SVp_NOK : 0)
           | ((CAN_PV(t) && (f & SVf_POK)) ? SVp_POK : 0);

    if (ok & SVp_IOK) {
        flags |= 0x01;
        if (f & SVf_IVisUV)
            flags |= 0x02;
        iv = (UV)SvIVX(sv);
    }
    if (ok & SVp_NOK) {
        flags |= 0x04;
        nv = SvNVX(sv);
    }
    if ((ok & SVp_POK) && SvPVX_const(sv)) {
        flags |= 0x08;
        if (f & SVf_UTF8)
            flags |= 0x10;
        pv = SvPVX_const(sv);
        cur = SvCUR(sv);
        size += pmat_pv_size_t(sv, t);
        wlen = cur;
        if (d->max_string >= 0 && (UV)d->max_string < (UV)cur)
            wlen = (STRLEN)d->max_string;
    }

    /* Fixed part, the PV's length word and (when short) the string itself
     * in one reservation; a long string goes through the checked append. */
    inline_pv = wlen <= SCALAR_INLINE_PV ? wlen : 0;
    if (!pmat_reserve(w, PMAT_COMMON_LEN + SCALAR_FIXED + PMAT_UINT_SIZE + inline_pv))
        return;
    p = pmat_cursor(w);
    p = pmat_p_sv_common_t(p, sv, PMAT_SVt_SCALAR, size, t);
    p = pmat_p_u8(p, flags);
    p = pmat_p_uint(p, iv);
    p = pmat_p_nv(p, nv);
    p = pmat_p_uint(p, (UV)cur);
    p = pmat_p_ptr(p, NULL);                /* OURSTASH: no pad-name SVs since 5.22 */
    if (!pv) {
        pmat_commit(w, pmat_p_uint(p, ~(UV)0));
        return;
    }
    p = pmat_p_uint(p, (UV)wlen);
    if (wlen <= SCALAR_INLINE_PV)
        pmat_commit(w, pmat_p_mem(p, pv, wlen));
    else {
        pmat_commit(w, p);
        pmat_put_bytes(w, pv, wlen);
    }
    /* (the cast: SvIsCOW_shared_hash's SvLEN may take a non-const SV) */
    if (d->heks && SvIsCOW_shared_hash((SV *)sv))
        write_pv_shared_hek(w, sv, pv);
}

#endif
