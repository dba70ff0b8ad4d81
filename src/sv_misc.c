/* sv_misc.c -- the kinds with little or nothing past the common header:
 * LVALUE, REGEXP, FORMAT, INVLIST. */
#define PERL_NO_GET_CONTEXT
#include "dumper.h"

void write_sv_lvalue(pTHX_ pmat_dump *d, const SV *sv)
{
    pmat_writer *w = &d->w;

    if (!pmat_reserve(w, PMAT_COMMON_LEN + 1 + 2 * PMAT_UINT_SIZE + PMAT_PTR_SIZE))
        return;
    pmat_put_sv_common_nocheck(w, sv, PMAT_SVt_LVALUE, pmat_sv_base_size(sv));
    pmat_put_u8_nocheck(w, (U8)LvTYPE(sv));
    pmat_put_uint_nocheck(w, (UV)LvTARGOFF(sv));
    pmat_put_uint_nocheck(w, (UV)LvTARGLEN(sv));
    pmat_put_ptr_nocheck(w, LvTARG(sv));
}

static void common_only(pmat_dump *d, const SV *sv, U8 type)
{
    if (pmat_reserve(&d->w, PMAT_COMMON_LEN))
        pmat_put_sv_common_nocheck(&d->w, sv, type, pmat_sv_base_size(sv));
}

void write_sv_regexp(pTHX_ pmat_dump *d, const SV *sv)
{
    common_only(d, sv, PMAT_SVt_REGEXP);
}

void write_sv_format(pTHX_ pmat_dump *d, const CV *fm)
{
    common_only(d, (const SV *)fm, PMAT_SVt_FORMAT);
}

void write_sv_invlist(pTHX_ pmat_dump *d, const SV *sv)
{
    common_only(d, sv, PMAT_SVt_INVLIST);
}
