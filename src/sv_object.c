/* sv_object.c -- perl 5.38's `use feature 'class'`: OBJ records, and what a
 * CLASS record adds to its stash's (format v0.5).
 *
 * An object (SVt_PVOBJ) is a fixed array of field SVs, ObjectFIELDS, with
 * ObjectMAXFIELD + 1 slots; the record is
 *   common header, UINT COUNT, then COUNT field PTRs.
 * The field names are not in the object: they are in its class, whose
 * CLASS record (sv_hash.h writes the stash part) ends with one
 *   {U8 PMAT_CLASSx_FIELD, UINT FIELDIX, STR NAME}
 * per field the class itself declares (inherited ones are in the
 * superclass's record), then a 0 byte.
 *
 * SIZE of an object: head, XPVOBJ body and the field pointer array, which
 * the object allocates and frees (perl's class.c).  The reference dumper
 * counts head and body only.
 */
#define PERL_NO_GET_CONTEXT
#include "dumper.h"

#if PERL_VERSION_GE(5,38,0)  /* SVt_PVOBJ and class stashes exist from 5.38 */

/* Fields of a short object go out in the same reservation as the head. */
#define OBJECT_INLINE_BYTES 4096

void write_sv_object(pTHX_ pmat_dump *d, const SV *obj)
{
    pmat_writer *w = &d->w;
    SV **fields = ObjectFIELDS(obj);
    /* An object whose constructor died before it allocated the fields (or
     * one that sv_clear has already emptied) has no array. */
    const SSize_t n = fields ? ObjectMAXFIELD(obj) + 1 : 0;
    const size_t nbytes = n > 0 ? (size_t)n * sizeof(SV *) : 0;
    const size_t inline_bytes = nbytes <= OBJECT_INLINE_BYTES ? nbytes : 0;
    const UV size = pmat_sv_body_size_t(obj, SVt_PVOBJ) + (UV)nbytes;
    unsigned char *p;

    if (!pmat_reserve(w, PMAT_COMMON_LEN + PMAT_UINT_SIZE + inline_bytes))
        return;
    p = pmat_cursor(w);
    p = pmat_p_sv_common_t(p, obj, PMAT_SVt_OBJ, size, SVt_PVOBJ);
    p = pmat_p_uint(p, (UV)(nbytes / sizeof(SV *)));
    if (inline_bytes) {
        pmat_commit(w, pmat_p_mem(p, fields, inline_bytes));
        return;
    }
    pmat_commit(w, p);
    if (nbytes)
        pmat_put_bytes(w, fields, nbytes);
}

/* The CLASS body's field records and its terminator.  xhv_class_fields is
 * NULL for a class that declares no field (class.c creates the list with
 * the first one): then only the 0 byte. */
void write_class_fields(pTHX_ pmat_dump *d, const struct xpvhv_aux *aux)
{
    pmat_writer *w = &d->w;
    const PADNAMELIST *fields = aux->xhv_class_fields;
    SSize_t ix;

    if (fields) {
        for (ix = 0; ix <= PadnamelistMAX(fields); ix++) {
            const PADNAME *pn = PadnamelistARRAY(fields)[ix];

            /* Every entry is a field's pad name; skip anything else rather
             * than read a fieldinfo that is not there. */
            if (!pn || !PadnameIsFIELD(pn) || !PadnameFIELDINFO(pn))
                continue;
            if (!pmat_reserve(w, 1 + PMAT_UINT_SIZE))
                return;
            pmat_put_u8_nocheck(w, PMAT_CLASSx_FIELD);
            pmat_put_uint_nocheck(w, (UV)PadnameFIELDINFO(pn)->fieldix);
            pmat_put_str(w, PadnamePV(pn), PadnameLEN(pn));
        }
    }
    if (pmat_reserve(w, 1))
        pmat_put_u8_nocheck(w, 0);
}

/* What the class owns beyond its stash: the PADNAMELIST of its fields (the
 * pad names themselves are shared with the pads that declared them). */
UV pmat_class_extra_size(const struct xpvhv_aux *aux)
{
    const PADNAMELIST *fields = aux->xhv_class_fields;

    if (!fields)
        return 0;
    return sizeof(PADNAMELIST) + (UV)(PadnamelistMAX(fields) + 1) * sizeof(PADNAME *);
}

#endif
