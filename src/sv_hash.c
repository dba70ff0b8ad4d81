/* sv_hash.c -- HASH and STASH records.
 *
 * The buckets of HvARRAY are walked directly: hv_iterinit/hv_iternext would
 * run tie magic and reset the iterator the program may be in the middle of.
 * A tied hash therefore shows its real (usually empty) contents.  The first
 * pass counts the entries (the COUNT field comes before them) and the bytes
 * of the table; the second writes them.
 *
 * PL_strtab is the one hash whose values are not SVs (each slot holds the
 * shared key's refcount): its values are written as NULL.
 */
#define PERL_NO_GET_CONTEXT
#include "dumper.h"

/* An entry that exists for the reader: not a restricted hash's placeholder,
 * and with a plain key (an SV key only appears in a tied hash's iterator). */
#define ENTRY_WRITTEN(he, strtab) \
    (HeKLEN(he) != HEf_SVKEY && ((strtab) || HeVAL(he) != &PL_sv_placeholder))

static void put_entry(pmat_writer *w, const HE *he, int strtab)
{
    const char *key = HeKEY(he);
    STRLEN klen = (STRLEN)HeKLEN(he);
    const void *val = strtab ? NULL : HeVAL(he);

    if (klen < w->cap / 4) {
        /* The usual short key: the whole entry in one reservation. */
        if (!pmat_reserve(w, PMAT_UINT_SIZE + klen + PMAT_PTR_SIZE))
            return;
        pmat_put_uint_nocheck(w, (UV)klen);
        pmat_put_nocheck(w, key, klen);
        pmat_put_ptr_nocheck(w, val);
        return;
    }
    pmat_put_str(w, key, klen);
    if (pmat_reserve(w, PMAT_PTR_SIZE))
        pmat_put_ptr_nocheck(w, val);
}

void write_sv_hash(pTHX_ pmat_dump *d, const HV *hv_c)
{
    HV *hv = (HV *)hv_c;
    pmat_writer *w = &d->w;
    HE **buckets = HvARRAY(hv);
    const STRLEN max = HvMAX(hv);
    const int strtab = hv == PL_strtab;
    const int sharekeys = HvSHAREKEYS(hv) ? 1 : 0;
    const int has_aux = SvOOK(hv) ? 1 : 0;
    const struct mro_meta *meta = has_aux ? HvAUX(hv)->xhv_mro_meta : NULL;
    const char *name = has_aux ? HvNAME_get(hv) : NULL;
    STRLEN namelen = name ? (STRLEN)HvNAMELEN_get(hv) : 0;
    UV size = pmat_sv_base_size((const SV *)hv);
    UV n = 0;
    STRLEN i;
    const HE *he;

    if (buckets) {
        size += (UV)(max + 1) * sizeof(HE *);
#if !PERL_VERSION_GE(5,36,0)
        /* Before 5.36 the aux struct sat at the end of the bucket array. */
        if (has_aux)
            size += sizeof(struct xpvhv_aux);
#endif
        for (i = 0; i <= max; i++)
            for (he = buckets[i]; he; he = HeNEXT(he)) {
                size += sizeof(HE);
                /* Keys of a hash without shared keys are its own HEKs (the
                 * string table's entries are HE and HEK in one block). */
                if (!sharekeys && HeKLEN(he) != HEf_SVKEY)
                    size += HEK_BASESIZE + (UV)HeKLEN(he) + 2;
                if (ENTRY_WRITTEN(he, strtab))
                    n++;
            }
    }
    if (meta)
        size += sizeof(struct mro_meta);

    if (!pmat_reserve(w, PMAT_COMMON_LEN + 2 * PMAT_UINT_SIZE + 5 * PMAT_PTR_SIZE))
        return;
    pmat_put_sv_common_nocheck(w, (const SV *)hv,
                               name ? PMAT_SVt_STASH : PMAT_SVt_HASH, size);
    pmat_put_uint_nocheck(w, n);
    pmat_put_ptr_nocheck(w, has_aux ? HvAUX(hv)->xhv_backreferences : NULL);
    if (name) {
        pmat_put_ptr_nocheck(w, meta ? meta->mro_linear_all     : NULL);
        pmat_put_ptr_nocheck(w, meta ? meta->mro_linear_current : NULL);
        pmat_put_ptr_nocheck(w, meta ? meta->mro_nextmethod     : NULL);
        pmat_put_ptr_nocheck(w, meta ? meta->isa                : NULL);
        pmat_put_str(w, name, namelen);
    }

    if (!n)
        return;
    for (i = 0; i <= max; i++)
        for (he = buckets[i]; he; he = HeNEXT(he))
            if (ENTRY_WRITTEN(he, strtab))
                put_entry(w, he, strtab);
}
