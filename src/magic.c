/* magic.c -- one MAGIC extension record per MAGIC attached to an SV.
 *
 *   U8 0x80, PTR sv, U8 mg_type, U8 flags, PTR mg_obj, PTR mg_ptr, PTR vtbl
 *
 * flags: 0x01 when MGf_REFCOUNTED (mg_obj holds a reference).  mg_ptr is
 * only an SV when mg_len == HEf_SVKEY; otherwise it is a C buffer (or
 * nothing) and NULL is written.  The vtbl is the address of the MGVTBL, so
 * a reader can tell e.g. ext magic of different modules apart.
 *
 * The chain is only read, never acted on: no get/set/len callbacks, no tie
 * methods.  Only SVs of a type that has the magic slot (SVt_PVMG and up)
 * are looked at.
 */
#define PERL_NO_GET_CONTEXT
#include "dumper.h"

void write_sv_magic(pTHX_ pmat_dump *d, const SV *sv)
{
    pmat_writer *w = &d->w;
    const MAGIC *mg;

    if (SvTYPE(sv) < SVt_PVMG)
        return;

    for (mg = SvMAGIC(sv); mg; mg = mg->mg_moremagic) {
        if (!pmat_reserve(w, 1 + PMAT_PTR_SIZE + 2 + 3 * PMAT_PTR_SIZE))
            return;
        pmat_put_u8_nocheck(w, PMAT_SVxMAGIC);
        pmat_put_ptr_nocheck(w, sv);
        pmat_put_u8_nocheck(w, (U8)mg->mg_type);
        pmat_put_u8_nocheck(w, (mg->mg_flags & MGf_REFCOUNTED) ? 0x01 : 0x00);
        pmat_put_ptr_nocheck(w, mg->mg_obj);
        pmat_put_ptr_nocheck(w, mg->mg_len == HEf_SVKEY ? (const void *)mg->mg_ptr : NULL);
        pmat_put_ptr_nocheck(w, mg->mg_virtual);
    }
}
