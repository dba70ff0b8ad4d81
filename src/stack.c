/* stack.c -- the value stack of the running interpreter.
 *
 *   UINT count, then count x PTR
 *
 * Like the reference dumper, this is the current stack from PL_stack_base[0]
 * (the slot perl keeps below every frame, normally &PL_sv_undef) up to and
 * including *PL_stack_sp.  During Devel::MAT::Dumper::dump() the XSUB's own
 * arguments are still on it (an XSUB's dXSARGS does not move PL_stack_sp).
 * Only the innermost stack is written: the outer stacks of the stackinfo
 * chain (sort blocks, tie methods, signal handlers...) are AVs in the heap
 * and are dumped there.
 */
#define PERL_NO_GET_CONTEXT
#include "dumper.h"

void write_stack(pTHX_ pmat_dump *d)
{
    pmat_writer *w = &d->w;
    SV **sp = PL_stack_sp;
    SV **base = PL_stack_base;
    SV **p;
    UV count = (base && sp >= base) ? (UV)(sp - base) + 1 : 0;

    if (!pmat_reserve(w, PMAT_UINT_SIZE))
        return;
    pmat_put_uint_nocheck(w, count);

    for (p = base; count && p <= sp; p++) {
        if (!pmat_reserve(w, PMAT_PTR_SIZE))
            return;
        pmat_put_ptr_nocheck(w, *p);
    }
}
