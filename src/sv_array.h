/* sv_array.c -- ARRAY records.
 *
 * The element pointers are copied straight out of AvARRAY in one block
 * (holes are NULL there already); the reader takes them as host-order PTRs.
 */
/* Included by heap.c only: the kinds that make up nearly every SV of a
 * heap are inlined into the arena walk, which saves a call frame (and the
 * saving and restoring of the registers it needs) per SV. */
#ifndef PMAT_SV_ARRAY_H
#define PMAT_SV_ARRAY_H

#define ARRAY_INLINE_BYTES 4096

PMAT_HOT_INLINE void write_sv_array(pTHX_ pmat_dump *d, const AV *av_c)
{
    AV *av = (AV *)av_c;
    pmat_writer *w = &d->w;
    SV **array = AvARRAY(av);
    SSize_t n = array ? AvFILLp(av) + 1 : 0;
    UV size = pmat_sv_body_size_t((const SV *)av, SVt_PVAV);   /* no string */
    size_t nbytes, inline_bytes;
    unsigned char *p;

    /* Not REAL: the array owns no reference counts (a REIFY one, @_ or
     * @DB::args, would take them only when modified). */
    int unowned = array && !AvREAL(av);
    int stack;

    /* A value stack is neither REAL nor REIFY (unless perl counts the
     * stack's references, PERL_RC_STACK), and its AvFILLp is not its
     * depth: see stack.c. */
#ifdef PERL_RC_STACK
    stack = array != NULL;
#else
    stack = unowned && !AvREIFY(av);
# if PERL_VERSION >= 40
    /* 5.40's push_stackinfo(type, 1) turns AvREAL on for a new stack (pp_sort's
     * block runs on one): it is a stack by its place in the stackinfo chain,
     * and it counts no references either, since nothing pushed on it does. */
    if (!stack && array && SvREFCNT(av) == 1 && pmat_is_value_stack(aTHX_ av))
        stack = unowned = 1;
# endif
#endif
    if (stack)
        n = pmat_stack_live_fill(aTHX_ av, n - 1) + 1;

    if (n < 0)
        n = 0;
    /* The slots allocated: AvMAX+1 from AvARRAY on, plus those shift() left
     * unused before it. */
    if (AvALLOC(av))
        size += (UV)(AvMAX(av) + 1 + (array - AvALLOC(av))) * sizeof(SV *);

    /* The elements of a short array (the usual case) go into the same
     * reservation as the head; a long one through the checked append. */
    nbytes = (size_t)n * sizeof(SV *);
    inline_bytes = nbytes <= ARRAY_INLINE_BYTES ? nbytes : 0;
    if (!pmat_reserve(w, PMAT_COMMON_LEN + PMAT_UINT_SIZE + 1 + inline_bytes))
        return;
    p = pmat_cursor(w);
    p = pmat_p_sv_common(p, (const SV *)av, PMAT_SVt_ARRAY, size);
    p = pmat_p_uint(p, (UV)n);
    /* Not REAL: @_ and backref lists do not own a refcount on their elements. */
    p = pmat_p_u8(p, AvREAL(av) ? 0 : 0x01);
    /* An array that owns no references (a value stack, @_, @DB::args, a
     * backref list) may hold SVs freed since they were put there. */
    if (unowned) {
        pmat_commit(w, p);
        pmat_put_unowned_elems(w, array, (size_t)n);
        return;
    }
    if (nbytes <= ARRAY_INLINE_BYTES) {
        if (nbytes)
            p = pmat_p_mem(p, array, nbytes);
        pmat_commit(w, p);
        return;
    }
    pmat_commit(w, p);
    pmat_put_bytes(w, array, nbytes);
}

#endif
