/* dump.c -- one whole dump, in file order (see dumper.h). */
#define PERL_NO_GET_CONTEXT
#include "dumper.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* A pipe or socket whose reader has gone would raise SIGPIPE on our write(2)
 * and kill the process we were only meant to look at.  Block it for the dump
 * so the write fails with EPIPE instead (latched like any other error), and
 * swallow the SIGPIPE our write caused -- but not one that was pending
 * before we started, which belongs to the program. */
static int sigpipe_block(sigset_t *old, int *was_pending)
{
    sigset_t pipe_set, pending;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigpending(&pending);
    *was_pending = sigismember(&pending, SIGPIPE) == 1;
    return pthread_sigmask(SIG_BLOCK, &pipe_set, old) == 0;
}

static void sigpipe_restore(const sigset_t *old, int was_pending)
{
    sigset_t pipe_set, pending;
    struct timespec zero = { 0, 0 };

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigpending(&pending);
    if (!was_pending && sigismember(&pending, SIGPIPE) == 1) {
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* The whole dump into d->w, which the caller has set up (a malloc'd buffer
 * or a preallocated one); flushes but neither frees nor closes. */
static int dump_into(pTHX_ pmat_dump *d)
{
    int err, sigpipe_was_pending;
    sigset_t old_mask;
    int masked;

    masked = sigpipe_block(&old_mask, &sigpipe_was_pending);

    d->tmps_ix = PL_tmps_stack ? PL_tmps_ix : -1;
    write_header(aTHX_ d);
    write_roots(aTHX_ d);
    write_stack(aTHX_ d);
    write_heap(aTHX_ d);
    write_contexts(aTHX_ d);
    if (d->heks)
        write_mortals(aTHX_ d);

    err = pmat_writer_flush(&d->w);
    if (masked)
        sigpipe_restore(&old_mask, sigpipe_was_pending);

    if (d->unknown_svs) {
        /* Straight to fd 2: no PerlIO, no Perl code, safe mid-signal. */
        char msg[128];
        int n = snprintf(msg, sizeof msg,
                         "Devel::MAT::Dumper: left out %" UVuf " SV(s) of unknown type\n",
                         d->unknown_svs);
        if (n > 0 && write(2, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1) < 0) {
            /* nothing more we can do about a failing stderr */
        }
    }
    return err;
}

int pmat_format_of_sv(pTHX_ SV *sv)
{
    if (!SvOK(sv))
        return PMAT_FORMAT_0_6;
    if (SvPOK(sv)) {
        const char *s = SvPVX_const(sv);
        if (SvCUR(sv) == 3 && s[0] == '0' && s[1] == '.' && (s[2] == '4' || s[2] == '6'))
            return s[2] - '0';
        return 0;
    }
    /* $FORMAT = 0.4 as a number: no string to look at */
    if (SvNOK(sv)) {
        const NV nv = SvNVX(sv);
        if (nv > 0.39 && nv < 0.41)
            return PMAT_FORMAT_0_4;
        if (nv > 0.59 && nv < 0.61)
            return PMAT_FORMAT_0_6;
    }
    PERL_UNUSED_CONTEXT;
    return 0;
}

/* The header's version and the layout of the records, from the format
 * asked for.  Under 0.4 a heap with `class` objects or classes says 0.5,
 * whose readers know OBJ and CLASS records (v0.4 readers would stop at
 * the first); only then is the heap looked at first. */
static void dump_init(pTHX_ pmat_dump *d, pmat_opts opts)
{
    d->max_string = opts.max_string;
    d->unknown_svs = 0;
    d->heks = opts.format == PMAT_FORMAT_0_6;
    d->minor = d->heks ? 6 : pmat_heap_has_class(aTHX) ? 5 : 4;
}

int pmat_dump_fd(pTHX_ int fd, pmat_opts opts)
{
    pmat_dump d;
    struct pmat_outfile out;
    int err;

    dump_init(aTHX_ &d, opts);
    /* Not from a signal handler (those come through the prealloc entry):
     * the arena walk can be split with a helper thread, the two writers
     * taking turns at the fd. */
#ifdef PMAT_WRITER_NO_THREAD
    /* Built without threads (cc -DPMAT_WRITER_NO_THREAD): the same
     * records, written in-line by one walk. */
    err = pmat_writer_init(&d.w, fd);
#else
    err = pmat_outfile_init(&out, fd);
    if (!err) {
        err = pmat_writer_init_shared(&d.w, &out, PMAT_WALKER_BUFSIZE);
        if (err)
            pmat_outfile_destroy(&out);
    }
    else
        err = pmat_writer_init(&d.w, fd);
#endif
    if (err)
        return err;
    err = dump_into(aTHX_ &d);
    /* Frees the buffer; err already holds any failure of the flush. */
    if (pmat_writer_finish(&d.w) && !err)
        err = d.w.err;
    if (d.w.shared)
        pmat_outfile_destroy(&out);
    return err;
}

int pmat_dump_fd_prealloc(pTHX_ int fd, pmat_opts opts, unsigned char *buf, size_t cap)
{
    pmat_dump d;

    dump_init(aTHX_ &d, opts);
    pmat_writer_init_buf(&d.w, fd, buf, cap);   /* maybe in a signal handler: no thread */
    return dump_into(aTHX_ &d);
}
