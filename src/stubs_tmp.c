/* stubs_tmp.c -- TEMPORARY: minimal correct stand-ins for the parts written
 * on branch dumper2 (roots, stack, contexts, saved, magic, CODE), so this
 * branch builds and writes loadable files.  Delete once dumper2 is merged. */
#define PERL_NO_GET_CONTEXT
#include "dumper.h"

void write_roots(pTHX_ pmat_dump *d)
{
    pmat_writer *w = &d->w;
    if (!pmat_reserve(w, 3 * PMAT_PTR_SIZE + 4))
        return;
    pmat_put_ptr_nocheck(w, &PL_sv_undef);
    pmat_put_ptr_nocheck(w, &PL_sv_yes);
    pmat_put_ptr_nocheck(w, &PL_sv_no);
    /* defstash only, so find_symbol works while testing the heap writers. */
    pmat_put_u32_nocheck(w, 1);
    pmat_put_cstr(w, "defstash");
    if (pmat_reserve(w, PMAT_PTR_SIZE))
        pmat_put_ptr_nocheck(w, PL_defstash);
}

void write_stack(pTHX_ pmat_dump *d)
{
    if (pmat_reserve(&d->w, PMAT_UINT_SIZE))
        pmat_put_uint_nocheck(&d->w, 0);
}

void write_contexts(pTHX_ pmat_dump *d)
{
    if (pmat_reserve(&d->w, 1))
        pmat_put_u8_nocheck(&d->w, 0);
}

void write_saved(pTHX_ pmat_dump *d) { (void)d; }

void write_sv_magic(pTHX_ pmat_dump *d, const SV *sv) { (void)d; (void)sv; }

void write_sv_code(pTHX_ pmat_dump *d, const CV *cv)
{
    pmat_writer *w = &d->w;
    if (!pmat_reserve(w, PMAT_COMMON_LEN + PMAT_UINT_SIZE + 1 + PMAT_PTR_SIZE + 4
                         + 5 * PMAT_PTR_SIZE + 2 * PMAT_UINT_SIZE + 1))
        return;
    pmat_put_sv_common_nocheck(w, (const SV *)cv, PMAT_SVt_CODE,
                               pmat_sv_base_size((const SV *)cv));
    memset(w->buf + w->len, 0, PMAT_UINT_SIZE + 1 + PMAT_PTR_SIZE + 4 + 5 * PMAT_PTR_SIZE);
    w->len += PMAT_UINT_SIZE + 1 + PMAT_PTR_SIZE + 4 + 5 * PMAT_PTR_SIZE;
    pmat_put_uint_nocheck(w, ~(UV)0);
    pmat_put_uint_nocheck(w, ~(UV)0);
    pmat_put_u8_nocheck(w, 0);
}
