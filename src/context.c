/* context.c -- the context stack: where the program was when it dumped.
 *
 * Each record: U8 type, U8 gimme, UINT line, STR file, then by type
 *   SUB   U32 olddepth, PTR cv, PTR args
 *   TRY   (nothing)
 *   EVAL  PTR codesv
 * and a 0 byte after the last one.  Nothing follows: Devel::MAT 0.51 would
 * read an optional mortals section here, but the reference dumper (0.46)
 * writes none, and neither do we.
 *
 * Contexts go innermost first (the reader infers each SUB frame's true depth
 * from that order).  Only subs (not the frame faked for a (?{ }) block),
 * string evals and eval-blocks / try blocks are recorded; loops, bare blocks, formats, substs, require and do FILE
 * have no record type.  line and
 * file are those of the statement that was running when the context was
 * entered (blk_oldcop) -- for a sub, the call site.
 *
 * We walk the whole stackinfo chain (si_prev), so a dump taken inside a
 * tie method, DESTROY or a %SIG handler still shows the frames that led
 * there (the reference shows the same frames in those cases).
 *
 * One deliberate difference from the reference: a 5.34+ `try {}` block
 * (CXt_EVAL with CXp_TRY) is written as TRY; the reference leaves it out.
 */
#define PERL_NO_GET_CONTEXT
#include "dumper.h"

/* perl 5.34 renamed CxTRYBLOCK (an eval {}) to CxEVALBLOCK and added try {}
 * blocks (CxTRY); before, an eval block is CxTRYBLOCK and there is no try. */
#ifndef CxEVALBLOCK
#  define CxEVALBLOCK(cx) CxTRYBLOCK(cx)
#endif
#ifndef CxTRY
#  define CxTRY(cx) 0
#endif

static void write_ctx_common(pmat_writer *w, U8 type, const PERL_CONTEXT *cx)
{
    const COP *cop = cx->blk_oldcop;

    if (!pmat_reserve(w, 1 + 1 + PMAT_UINT_SIZE))
        return;
    pmat_put_u8_nocheck(w, type);
    pmat_put_u8_nocheck(w, (U8)(cx->blk_gimme & G_WANT));
    pmat_put_uint_nocheck(w, cop ? (UV)CopLINE(cop) : 0);
    pmat_put_cstr(w, cop ? CopFILE(cop) : NULL);
}

static void write_cx(pTHX_ pmat_dump *d, const PERL_CONTEXT *cx)
{
    pmat_writer *w = &d->w;

    switch (CxTYPE(cx)) {
    case CXt_SUB:
#ifdef CXp_SUB_RE_FAKE
        /* The frame perl fakes to run a (?{ }) block of a pattern compiled
         * in the current scope is no call: caller() skips it, and so does
         * the reference dumper. */
        if (cx->cx_type & CXp_SUB_RE_FAKE)
            return;
#endif
        write_ctx_common(w, PMAT_CTX_SUB, cx);
        if (!pmat_reserve(w, 4 + 2 * PMAT_PTR_SIZE))
            return;
        pmat_put_u32_nocheck(w, (uint32_t)cx->blk_sub.olddepth);
        pmat_put_ptr_nocheck(w, cx->blk_sub.cv);
        /* @_ is no longer kept in the context (5.23.8+): the reader finds
         * it as element 0 of the CV's pad at this depth. */
        pmat_put_ptr_nocheck(w, NULL);
        return;

    case CXt_EVAL:
        if (CxEVALBLOCK(cx) || CxTRY(cx)) {
            write_ctx_common(w, PMAT_CTX_TRY, cx);
            return;
        }
        /* require and do FILE push eval contexts too, but have no code
         * string (cur_text is whatever the parser last held): like the
         * reference, record only real string evals. */
        if (CxOLD_OP_TYPE(cx) != OP_ENTEREVAL)
            return;
        write_ctx_common(w, PMAT_CTX_EVAL, cx);
        if (!pmat_reserve(w, PMAT_PTR_SIZE))
            return;
        pmat_put_ptr_nocheck(w, cx->blk_eval.cur_text);
        return;

    default:
        return;
    }
}

void write_contexts(pTHX_ pmat_dump *d)
{
    const PERL_SI *si;

    for (si = PL_curstackinfo; si; si = si->si_prev) {
        I32 ix;
        for (ix = si->si_cxix; ix >= 0; ix--)
            write_cx(aTHX_ d, &si->si_cxstack[ix]);
    }

    if (!pmat_reserve(&d->w, 1))
        return;
    pmat_put_u8_nocheck(&d->w, PMAT_CTX_END);
}
