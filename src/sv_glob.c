/* sv_glob.c -- GLOB records: a GV that has a GP.
 *
 * The GP may be shared by several GVs (glob aliasing): its bytes are counted
 * only for the GV that GP's EGV names, its effective owner.
 */
#define PERL_NO_GET_CONTEXT
#include "dumper.h"

void write_sv_glob(pTHX_ pmat_dump *d, const GV *gv_c)
{
    GV *gv = (GV *)gv_c;
    pmat_writer *w = &d->w;
    const GP *gp = GvGP(gv);
    const HEK *name = GvNAME_HEK(gv);
    const HEK *file = gp ? GvFILE_HEK(gv) : NULL;
    UV size = pmat_sv_base_size((const SV *)gv);

    if (gp && (!gp->gp_egv || gp->gp_egv == gv))
        size += sizeof(GP);

    if (!pmat_reserve(w, PMAT_COMMON_LEN + PMAT_UINT_SIZE + 9 * PMAT_PTR_SIZE))
        return;
    pmat_put_sv_common_nocheck(w, (const SV *)gv, PMAT_SVt_GLOB, size);
    pmat_put_uint_nocheck(w, gp ? (UV)gp->gp_line : 0);
    if (d->heks)
        pmat_put_ptr_nocheck(w, name);       /* NAME_HEK: GvNAME's shared HEK */
    pmat_put_ptr_nocheck(w, GvSTASH(gv));
    pmat_put_ptr_nocheck(w, gp ? gp->gp_sv   : NULL);
    pmat_put_ptr_nocheck(w, gp ? gp->gp_av   : NULL);
    pmat_put_ptr_nocheck(w, gp ? gp->gp_hv   : NULL);
    pmat_put_ptr_nocheck(w, gp ? gp->gp_cv   : NULL);
    pmat_put_ptr_nocheck(w, gp ? gp->gp_egv  : NULL);
    pmat_put_ptr_nocheck(w, gp ? gp->gp_io   : NULL);
    pmat_put_ptr_nocheck(w, gp ? gp->gp_form : NULL);
    pmat_put_str(w, name ? HEK_KEY(name) : NULL, name ? (STRLEN)HEK_LEN(name) : 0);
    pmat_put_str(w, file ? HEK_KEY(file) : NULL, file ? (STRLEN)HEK_LEN(file) : 0);
}
