/* stack.c -- the value stack of the running interpreter.
 *
 *   UINT count, then count x PTR
 *
 * Like the reference dumper, this is the current stack from PL_stack_base[0]
 * (the slot perl keeps below every frame, normally &PL_sv_undef) up to and
 * including *PL_stack_sp.  During Devel::MAT::Dumper::dump() the XSUB's own
 * arguments are still on it (an XSUB's dXSARGS does not move PL_stack_sp).
 * Only the innermost stack is written here: every stack of the stackinfo
 * chain (the main one, sort blocks, tie methods, signal handlers...) is
 * also an AV in the heap and is dumped there, as an ARRAY of its live
 * slots only (pmat_stack_live_fill).
 *
 * A stack's AvFILLp is not its depth.  Perl keeps the depth of the running
 * stack in PL_stack_sp and writes it back to AvFILLp only when it switches
 * stacks (SWITCHSTACK), so the running stack's AvFILLp is whatever it was
 * at the last switch: slots past PL_stack_sp hold SVs long freed or reused,
 * and slots below it may be missing.  The stacks of the chain:
 *
 *   PL_curstackinfo->si_prev...  suspended under the running one; their
 *                                AvFILLp was set when perl switched away
 *   PL_curstackinfo              running: PL_stack_sp - PL_stack_base
 *   PL_curstackinfo->si_next...  kept for reuse by the next PUSHSTACK (a
 *                                tied FETCH's, a sort block's); nothing is
 *                                on them, and PUSHSTACK resets their fill
 *                                to 0: only the base slot is live
 */
#define PERL_NO_GET_CONTEXT
#include "dumper.h"

/* Perl's stacks (unless PERL_RC_STACK) and @DB::args hold no reference
 * counts, so a slot can outlive its SV: the main program's part of the
 * stack under an END block (FREETMPS ran at exit, the stack pointer stayed),
 * @_'s elements that caller() copied into @DB::args.  Perl never reads
 * those slots again; a freed SV's head stays in its arena with the flags
 * SVTYPEMASK (SvIS_FREED), so it is safe to test, and such a slot is
 * written as NULL instead of as a pointer to nothing. */
void pmat_put_unowned_elems(pmat_writer *w, SV *const *elems, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const SV *sv = elems[i];
        if (!pmat_reserve(w, PMAT_PTR_SIZE))
            return;
        pmat_put_ptr_nocheck(w, sv && SvIS_FREED(sv) ? NULL : sv);
    }
}

void write_stack(pTHX_ pmat_dump *d)
{
    pmat_writer *w = &d->w;
    SV **sp = PL_stack_sp;
    SV **base = PL_stack_base;
    UV count = (base && sp >= base) ? (UV)(sp - base) + 1 : 0;

    if (!pmat_reserve(w, PMAT_UINT_SIZE))
        return;
    pmat_put_uint_nocheck(w, count);
    if (count)
        pmat_put_unowned_elems(w, base, (size_t)count);
}

/* Whether AV is the value stack of some stackinfo: the running one, one
 * suspended under it or one kept for reuse. */
int pmat_is_value_stack(pTHX_ const AV *av)
{
    const PERL_SI *si;

    if (!PL_curstackinfo)
        return 0;
    for (si = PL_curstackinfo; si; si = si->si_prev)
        if (av == si->si_stack)
            return 1;
    for (si = PL_curstackinfo->si_next; si; si = si->si_next)
        if (av == si->si_stack)
            return 1;
    return 0;
}

SSize_t pmat_stack_live_fill(pTHX_ const AV *av, SSize_t fill)
{
    const PERL_SI *si;

    if (!PL_curstackinfo)
        return fill;
    if (av == PL_curstack)
        return (PL_stack_base == AvARRAY(av) && PL_stack_sp >= PL_stack_base)
             ? PL_stack_sp - PL_stack_base : fill;
    for (si = PL_curstackinfo->si_next; si; si = si->si_next)
        if (av == si->si_stack)
            return fill < 0 ? fill : 0;
    return fill;
}

/* v0.6's mortals section: UINT count, the entries, UINT floor.  The
 * entries are the temps stack, PL_tmps_stack[0] up to and including
 * PL_tmps_ix, each holding a reference count its SV gives up at the next
 * FREETMPS.  Entering a sub or a block moves PL_tmps_floor up to the top,
 * so the entries above it were made inside the innermost one and those at
 * or below it by the statements around it: a dump from inside
 * foo(bar(), "x" . $y) finds bar()'s returned copy and the concatenation's
 * (foo's temporary arguments) at or below the floor.
 *
 * A NULL slot (perl leaves some behind) or one whose SV is gone (a
 * FREETMPS half-way through, under the SIGABRT handler) is left out:
 * Devel::MAT warns about every mortal that is no SV.  The floor is moved
 * down by the ones left out at or below it, so it still parts the same
 * entries. */
static int mortal_written(const SV *sv)
{
    return sv && !SvIS_FREED(sv);
}

void write_mortals(pTHX_ pmat_dump *d)
{
    pmat_writer *w = &d->w;
    /* Only what was mortal when the dump began: the helpers, which run after
     * the arena walk, may mortalize SVs of their own, which the file has not
     * got (Devel::MAT warns on each). */
    const SSize_t now = PL_tmps_stack ? PL_tmps_ix : -1;
    const SSize_t ix = now < d->tmps_ix ? now : d->tmps_ix;
    SSize_t floor = PL_tmps_floor, i;
    UV count = 0;

    if (floor > ix)     /* a floor a helper set above what is written */
        floor = ix;

    for (i = 0; i <= ix; i++) {
        if (mortal_written(PL_tmps_stack[i]))
            count++;
        else if (i <= PL_tmps_floor)
            floor--;
    }
    if (!pmat_reserve(w, PMAT_UINT_SIZE))
        return;
    pmat_put_uint_nocheck(w, count);
    for (i = 0; i <= ix; i++) {
        if (!mortal_written(PL_tmps_stack[i]))
            continue;
        if (!pmat_reserve(w, PMAT_PTR_SIZE))
            return;
        pmat_put_ptr_nocheck(w, PL_tmps_stack[i]);
    }
    if (!pmat_reserve(w, PMAT_UINT_SIZE))
        return;
    /* -1 (no floor set: nothing has been saved) goes out as all ones */
    pmat_put_uint_nocheck(w, (UV)floor);
}
