/* sv_array.c -- ARRAY records.
 *
 * The element pointers are copied straight out of AvARRAY in one block
 * (holes are NULL there already); the reader takes them as host-order PTRs.
 */
#define PERL_NO_GET_CONTEXT
#include "dumper.h"

void write_sv_array(pTHX_ pmat_dump *d, const AV *av_c)
{
    AV *av = (AV *)av_c;
    pmat_writer *w = &d->w;
    SV **array = AvARRAY(av);
    SSize_t n = array ? AvFILLp(av) + 1 : 0;
    UV size = pmat_sv_base_size((const SV *)av);

    if (n < 0)
        n = 0;
    /* The slots allocated: AvMAX+1 from AvARRAY on, plus those shift() left
     * unused before it. */
    if (AvALLOC(av))
        size += (UV)(AvMAX(av) + 1 + (array - AvALLOC(av))) * sizeof(SV *);

    if (!pmat_reserve(w, PMAT_COMMON_LEN + PMAT_UINT_SIZE + 1))
        return;
    pmat_put_sv_common_nocheck(w, (const SV *)av, PMAT_SVt_ARRAY, size);
    pmat_put_uint_nocheck(w, (UV)n);
    /* Not REAL: @_ and backref lists do not own a refcount on their elements. */
    pmat_put_u8_nocheck(w, AvREAL(av) ? 0 : 0x01);
    if (n)
        pmat_put_bytes(w, array, (size_t)n * sizeof(SV *));
}
