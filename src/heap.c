/* heap.c -- the file header, the common SV header, and the arena walk.
 *
 * The walk visits every slot of every SV arena, skips the arena headers and
 * the freed slots, and hands each live SV to the writer for its kind.  The
 * immortals (PL_sv_undef/yes/no/zero) live in the interpreter struct, not in
 * an arena; like the reference dumper we write no record for undef/yes/no
 * (the file names them in the roots section and the reader makes them up),
 * but PL_sv_zero, which has no such slot, gets a record of its own.
 */
#define PERL_NO_GET_CONTEXT
#include "dumper.h"
#include "sv_scalar.h"
#include "sv_array.h"
#include "sv_hash.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

/* HEADERLEN, NPTRS, NSTRS of each record kind, as Devel::MAT reads them. */
#define U (PMAT_UINT_SIZE)
#define P (PMAT_PTR_SIZE)

void write_header(pTHX_ pmat_dump *d)
{
    /* v0.6 puts a NAME_HEK pointer at the end of the GLOB and CODE headers
     * (h6 below); an older reader must get the v0.4 sizes, as the records
     * then have no such field. */
    const U8 h6 = d->heks ? (U8)P : 0;
    const U8 sv_sizes[PMAT_SVt_MAX][3] = {
        [0]                 = { (U8)(P + 4 + U), 1, 0 },   /* common */
        [PMAT_SVt_GLOB]     = { (U8)(U + h6), 8, 2 },
        [PMAT_SVt_SCALAR]   = { (U8)(1 + 2 * U + PMAT_NV_SIZE), 1, 1 },
        [PMAT_SVt_REF]      = { 1, 2, 0 },
        [PMAT_SVt_ARRAY]    = { (U8)(U + 1), 0, 0 },
        [PMAT_SVt_HASH]     = { (U8)U, 1, 0 },
        [PMAT_SVt_STASH]    = { (U8)U, 5, 1 },
        [PMAT_SVt_CODE]     = { (U8)(U + 1 + P + 4 + h6), 5, 2 },
        [PMAT_SVt_IO]       = { (U8)(2 * U), 3, 0 },
        [PMAT_SVt_LVALUE]   = { (U8)(1 + 2 * U), 1, 0 },
        /* REGEXP, FORMAT, INVLIST, UNDEF, YES, NO: the common header only */
        /* v0.5 on (5.38+ `class`): an OBJ is a field count and its fields;
         * a CLASS is a STASH's fields, then ADJUST_BLOCKS */
        [PMAT_SVt_OBJ]      = { (U8)U, 0, 0 },
        [PMAT_SVt_CLASS]    = { (U8)U, 5 + 1, 1 },
    };
    const U8 svx_sizes[PMAT_SVx_MAX - PMAT_SVxMAGIC][3] = {
        [PMAT_SVxMAGIC       - 0x80] = { 2, 3, 0 },
        [PMAT_SVxSAVED_SV    - 0x80] = { 0, 1, 0 },
        [PMAT_SVxSAVED_AV    - 0x80] = { 0, 1, 0 },
        [PMAT_SVxSAVED_HV    - 0x80] = { 0, 1, 0 },
        [PMAT_SVxSAVED_AELEM - 0x80] = { (U8)U, 1, 0 },
        [PMAT_SVxSAVED_HELEM - 0x80] = { 0, 2, 0 },
        [PMAT_SVxSAVED_CV    - 0x80] = { 0, 1, 0 },
        [PMAT_SVxSVSVnote    - 0x80] = { 0, 1, 1 },
        [PMAT_SVxDEBUGREPORT - 0x80] = { (U8)(2 * U), 0, 1 },
        [PMAT_SVxPV_SHARED_HEK - 0x80] = { (U8)P, 0, 0 },
        /* Listed so a reader can size (and skip) it; no perl we build on
         * has magic v2 (5.45.2+), so none is written yet. */
        [PMAT_SVxMAGICv2     - 0x80] = { (U8)(4 + 2 * U), 5, 0 },
    };
    const U8 ctx_sizes[PMAT_CTX_MAX][3] = {
        [0]             = { (U8)(1 + U), 0, 1 },   /* common: GIMME, LINE; FILE */
        [PMAT_CTX_SUB]  = { 4, 2, 0 },
        [PMAT_CTX_TRY]  = { 0, 0, 0 },
        [PMAT_CTX_EVAL] = { 0, 1, 0 },
    };
    /* A v0.4 table stops before the types and extensions it lacks. */
    const unsigned ntypes = d->minor >= 5 ? PMAT_SVt_MAX : PMAT_SVt_MAX_0_4;
    const unsigned nexts = (d->heks ? PMAT_SVx_MAX : PMAT_SVx_MAX_0_4) - PMAT_SVxMAGIC;
    pmat_writer *w = &d->w;
    U8 flags = 0;

#if BYTEORDER == 0x4321 || BYTEORDER == 0x87654321
    flags |= 0x01;
#endif
    if (sizeof(UV) == 8)
        flags |= 0x02;
    if (sizeof(void *) == 8)
        flags |= 0x04;
#ifdef USE_LONG_DOUBLE
    flags |= 0x08;
#endif
#ifdef USE_ITHREADS
    flags |= 0x10;
#endif

    if (!pmat_reserve(w, 4 + 4 + 4 + 1 + sizeof sv_sizes + 1 + sizeof svx_sizes
                         + 1 + sizeof ctx_sizes))
        return;
    pmat_put_nocheck(w, "PMAT", 4);
    pmat_put_u8_nocheck(w, flags);
    pmat_put_u8_nocheck(w, 0);
    pmat_put_u8_nocheck(w, 0);      /* format major */
    pmat_put_u8_nocheck(w, d->minor);
    pmat_put_u32_nocheck(w, ((U32)PERL_REVISION << 24) | ((U32)PERL_VERSION << 16)
                             | (U32)PERL_SUBVERSION);
    pmat_put_u8_nocheck(w, (U8)ntypes);
    pmat_put_nocheck(w, sv_sizes, ntypes * 3);
    pmat_put_u8_nocheck(w, (U8)nexts);
    pmat_put_nocheck(w, svx_sizes, nexts * 3);
    pmat_put_u8_nocheck(w, PMAT_CTX_MAX);
    pmat_put_nocheck(w, ctx_sizes, sizeof ctx_sizes);
}

#undef U
#undef P

int write_sv_common(pTHX_ pmat_dump *d, const SV *sv, U8 type, UV size)
{
    if (!pmat_reserve(&d->w, PMAT_COMMON_LEN))
        return 0;
    pmat_commit(&d->w, pmat_p_sv_common(pmat_cursor(&d->w), sv, type, size));
    return 1;
}

/* One live SV: its record, then its MAGIC records.  Returns 0 for a type we
 * do not know (nothing written). */
PMAT_HOT_INLINE int write_one_sv(pTHX_ pmat_dump *d, const SV *sv)
{
    /* Read once: the records' byte stores may alias the head as far as the
     * compiler knows, so SvTYPE(sv) after them would be a reload. */
    const svtype t = SvTYPE(sv);

    switch (t) {
    /* The commonest kinds get a copy of the scalar writer each, with the
     * type as a constant. */
    case SVt_IV:
        write_sv_scalar(aTHX_ d, sv, SVt_IV);
        return 1;                       /* no MAGIC below PVMG */
    case SVt_NV:
        write_sv_scalar(aTHX_ d, sv, SVt_NV);
        return 1;
    case SVt_PV:
        write_sv_scalar(aTHX_ d, sv, SVt_PV);
        return 1;
    case SVt_NULL:
    case SVt_PVIV:
    case SVt_PVNV:
    case SVt_PVMG:
        write_sv_scalar(aTHX_ d, sv, t);
        break;
#if PERL_VERSION_GE(5,20,0)  /* SVt_INVLIST is an enum member, not a macro */
    case SVt_INVLIST:
        write_sv_invlist(aTHX_ d, sv);
        break;
#endif
    case SVt_REGEXP:
        write_sv_regexp(aTHX_ d, sv);
        break;
    case SVt_PVGV:
        /* A PVGV without a GP is a scalar that was once a glob. */
        if (isGV_with_GP(sv))
            write_sv_glob(aTHX_ d, (const GV *)sv);
        else
            write_sv_scalar(aTHX_ d, sv, SVt_PVGV);
        break;
    case SVt_PVLV:
        write_sv_lvalue(aTHX_ d, sv);
        break;
    case SVt_PVAV:
        write_sv_array(aTHX_ d, (const AV *)sv);
        break;
    case SVt_PVHV:
        write_sv_hash(aTHX_ d, (const HV *)sv);
        break;
    case SVt_PVCV:
        write_sv_code(aTHX_ d, (const CV *)sv);
        break;
    case SVt_PVFM:
        write_sv_format(aTHX_ d, (const CV *)sv);
        break;
    case SVt_PVIO:
        write_sv_io(aTHX_ d, (const IO *)sv);
        break;
#if PERL_VERSION_GE(5,38,0)  /* SVt_PVOBJ: `use feature 'class'` objects */
    case SVt_PVOBJ:
        write_sv_object(aTHX_ d, sv);
        break;
#endif
    default:
        return 0;
    }
    /* Only bodies from PVMG up carry a magic chain. */
    if (t >= SVt_PVMG && SvMAGIC(sv))
        write_sv_magic(aTHX_ d, sv);
    return 1;
}

/* The arena list, handed out a few arenas at a time to the threads that
 * walk it.  The list does not change during a dump (the dumping thread is
 * in our code and allocates no SV; other threads of the process have
 * interpreters of their own), so the only shared state is the cursor. */
typedef struct arena_share {
    const SV *next;             /* the first arena not yet taken; NULL: done */
} arena_share;

/* Arenas per grab: enough to make the compare-and-swap rare (an arena holds
 * ~170 SVs), few enough that both threads finish at about the same time. */
#define ARENAS_PER_GRAB 8

/* Take the next few arenas: returns the first (NULL when none are left)
 * and sets *stop to the arena after the last. */
static const SV *take_arenas(arena_share *share, const SV **stop)
{
    const SV *first = __atomic_load_n(&share->next, __ATOMIC_ACQUIRE);

    while (first) {
        const SV *last = first;
        int k;

        for (k = 0; k < ARENAS_PER_GRAB && last; k++)
            last = (const SV *)SvANY(last);
        if (__atomic_compare_exchange_n(&share->next, &first, last, 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            *stop = last;
            return first;
        }
        /* Another thread took them; first now holds the new cursor. */
    }
    return NULL;
}

/* Write the live SVs of the arenas this thread takes until none are left.
 * Each SV with its MAGIC records is one unit of the writer: in shared mode
 * the units of the two threads interleave in the file, whole. */
static void write_arenas(pTHX_ pmat_dump *d, arena_share *share)
{
    const SV *arena, *stop;

    /* Each arena's first slot is its header: SvANY links to the next arena,
     * SvREFCNT counts the slots (header included).  (Software prefetching
     * of the bodies and strings 12 or 32 slots ahead was tried and made no
     * measurable difference: perl allocates heads, bodies and buffers in
     * much the same order, and the hardware prefetchers follow that.) */
    while ((arena = take_arenas(share, &stop))) {
        for (; arena != stop; arena = (const SV *)SvANY(arena)) {
            const SV *end = arena + SvREFCNT(arena);
            const SV *sv;

            for (sv = arena + 1; sv < end; sv++) {
                if (SvTYPE(sv) == (svtype)SVTYPEMASK)
                    continue;                           /* freed slot */
                if (!write_one_sv(aTHX_ d, sv))
                    d->unknown_svs++;
                pmat_unit_done(&d->w);
            }
            if (d->w.err)
                return;
        }
    }
}

/* The second walker: a thread with a writer of its own on the same file. */
typedef struct heap_helper {
    pthread_t    thread;
    PerlInterpreter *perl;
    pmat_dump    d;
    arena_share *share;
} heap_helper;

static void *heap_helper_main(void *arg)
{
    heap_helper *h = arg;
    dTHXa(h->perl);

    write_arenas(aTHX_ &h->d, h->share);
    pmat_writer_flush(&h->d.w);
    return NULL;
}

/* CPUs this process may run on: a process pinned to one (taskset, a
 * cpuset) gains nothing from a second walker. */
static long usable_cpus(void)
{
#ifdef CPU_COUNT
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof set, &set) == 0)
        return CPU_COUNT(&set);
#endif
    return sysconf(_SC_NPROCESSORS_ONLN);
}

/* Start the helper with every signal blocked: the program's handlers keep
 * running on its own threads, and a SIGPIPE from the helper's write to a
 * closed pipe stays pending on the helper (discarded when it ends) while the
 * write fails with EPIPE, latched like any other error.  Returns 0 if it is
 * not running: one CPU, no memory, no thread -- the caller then walks all
 * the arenas alone. */
static int heap_helper_start(pTHX_ heap_helper *h, pmat_dump *d, arena_share *share)
{
    pthread_attr_t attr;
    sigset_t all, old;
    int ok;

    if (usable_cpus() < 2)
        return 0;
#ifdef MULTIPLICITY
    h->perl = aTHX;     /* the thread reads the caller's interpreter */
#endif
    h->share = share;
    h->d.max_string = d->max_string;
    h->d.minor = d->minor;
    h->d.heks = d->heks;
    h->d.unknown_svs = 0;
    if (pmat_writer_init_shared(&h->d.w, d->w.shared, PMAT_WALKER_BUFSIZE) != 0)
        return 0;
    sigfillset(&all);
    ok = pthread_sigmask(SIG_BLOCK, &all, &old) == 0;
    if (ok) {
        ok = pthread_attr_init(&attr) == 0;
        if (ok) {
            /* The walk recurses nowhere; its deepest frames are a few KiB. */
            pthread_attr_setstacksize(&attr, 256 * 1024);
            ok = pthread_create(&h->thread, &attr, heap_helper_main, h) == 0;
            pthread_attr_destroy(&attr);
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    if (!ok)
        pmat_writer_finish(&h->d.w);
    return ok;
}

/* Wait for the helper and take its counts and its error. */
static void heap_helper_join(heap_helper *h, pmat_dump *d)
{
    pthread_join(h->thread, NULL);
    d->unknown_svs += h->d.unknown_svs;
    d->w.written += h->d.w.written;
    if (h->d.w.err && !d->w.err)
        d->w.err = h->d.w.err;
    pmat_writer_finish(&h->d.w);
}

/* How many threads walked the arenas in this process's last dump (tests
 * check that the split happened). */
static int last_walkers;

int pmat_last_walkers(void)
{
    return last_walkers;
}

void write_heap(pTHX_ pmat_dump *d)
{
    arena_share share;
    heap_helper helper;
    int helped = 0;

    share.next = PL_sv_arenaroot;
    if (d->w.shared) {
        /* What the main writer holds so far (header, roots, stack) goes
         * first; then both threads walk, each taking arenas as it goes. */
        if (pmat_writer_flush(&d->w))
            return;
        helped = heap_helper_start(aTHX_ &helper, d, &share);
    }
    last_walkers = 1 + helped;
    write_arenas(aTHX_ d, &share);
    if (helped) {
        if (d->w.err)       /* stop the helper at its next arena */
            __atomic_store_n(&share.next, (const SV *)NULL, __ATOMIC_RELEASE);
        pmat_writer_flush(&d->w);
        heap_helper_join(&helper, d);
    }
    if (d->w.err)
        return;

#ifdef PL_sv_zero
    /* 5.28+: the immortal 0 lives in the interpreter, not in an arena, and
     * the header has no slot for it (only undef/yes/no): a record of its own
     * so any pointer to it resolves. */
    write_one_sv(aTHX_ d, &PL_sv_zero);
#endif

    /* Every SV is in the file by now, and the second walker has ended:
     * the helpers may run (helpers.c). */
    write_helper_records(aTHX_ d);

    write_saved(aTHX_ d);

    if (pmat_reserve(&d->w, 1))
        pmat_put_u8_nocheck(&d->w, 0);
}

int pmat_heap_has_class(pTHX)
{
#if PERL_VERSION_GE(5,38,0)  /* SVt_PVOBJ and class stashes exist from 5.38 */
    const SV *arena;

    for (arena = PL_sv_arenaroot; arena; arena = (const SV *)SvANY(arena)) {
        const SV *end = arena + SvREFCNT(arena);
        const SV *sv;

        for (sv = arena + 1; sv < end; sv++) {
            const svtype t = SvTYPE(sv);
            if (t == SVt_PVOBJ)
                return 1;
            /* a class nobody has instantiated yet is a CLASS record too */
            if (t == SVt_PVHV && HvSTASH_IS_CLASS((HV *)sv))
                return 1;
        }
    }
#else
    PERL_UNUSED_CONTEXT;
#endif
    return 0;
}

/* For bench/dump-speed only: the memory floor of the walk.  Visits every
 * live arena SV as write_heap does (in the same order) and reads
 * what the kind writers read -- the head, the body's first word, the first
 * byte of the string buffer, the element or bucket array, and for a hash
 * each HE with its key and value pointer -- but formats and writes nothing.
 * Returns a sum of what it read, so the compiler cannot drop the loads. */
UV pmat_touch_heap(pTHX)
{
    const SV *arena;
    UV sum = 0;

    for (arena = PL_sv_arenaroot; arena; arena = (const SV *)SvANY(arena)) {
        const SV *end = arena + SvREFCNT(arena);
        const SV *sv;

        for (sv = arena + 1; sv < end; sv++) {
            const U32 f = SvFLAGS(sv);
            const svtype t = (svtype)(f & SVTYPEMASK);

            if (t == (svtype)SVTYPEMASK)
                continue;
            sum += f + SvREFCNT(sv);
            if (t == SVt_NULL)
                continue;
            sum += *(const UV *)SvANY(sv);
            if (t == SVt_PVHV) {
                HE **b = HvARRAY((const HV *)sv);
                STRLEN i;
                if (b)
                    for (i = 0; i <= HvMAX((const HV *)sv); i++) {
                        const HE *he;
                        for (he = b[i]; he; he = HeNEXT(he))
                            sum += (UV)(U8)HeKEY(he)[0] + PTR2UV(HeVAL(he));
                    }
            }
            else if (t == SVt_PVAV) {
                if (AvARRAY((const AV *)sv) && AvFILLp((const AV *)sv) >= 0)
                    sum += PTR2UV(AvARRAY((const AV *)sv)[0]);
            }
            else if ((f & (SVp_POK | SVf_ROK)) == SVp_POK && t != SVt_PVGV && t != SVt_PVCV
                     && t != SVt_PVFM && t != SVt_PVIO && SvPVX_const(sv))
                sum += (U8)SvPVX_const(sv)[0];
        }
    }
    return sum;
}
