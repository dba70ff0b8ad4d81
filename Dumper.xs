/* Dumper.xs -- thin glue between Perl and the dumper in src/.
 * No heap logic lives here: see src/dumper.h for the shape of a dump. */
#define PERL_NO_GET_CONTEXT
#include "EXTERN.h"
#include "perl.h"
#include "XSUB.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "dumper.h"

/* $Devel::MAT::Dumper::MAX_STRING, read once per dump before the walk
 * starts (reading it later could run magic in the middle of the file). */
static IV current_max_string(pTHX)
{
    SV *sv = get_sv("Devel::MAT::Dumper::MAX_STRING", 0);
    if (!sv || !SvOK(sv))
        return 256;
    return SvIV(sv);
}

/* $MAX_STRING and $Devel::MAT::Dumper::FORMAT, read before a dump starts.
 * A FORMAT that is neither 0.4 nor 0.6 dies here (dump(), dumpfh(),
 * dump_fork(): nothing written yet), or, for a trigger, which never dies,
 * gives the default 0.6 (import has checked -format already). */
static pmat_opts current_opts(pTHX_ int may_die)
{
    pmat_opts o;
    SV *sv = get_sv("Devel::MAT::Dumper::FORMAT", 0);

    o.max_string = current_max_string(aTHX);
    if (sv)
        SvGETMAGIC(sv);
    o.format = sv ? pmat_format_of_sv(aTHX_ sv) : PMAT_FORMAT_0_6;
    if (!o.format) {
        if (may_die)
            croak("Devel::MAT::Dumper: $FORMAT must be 0.4 or 0.6, not '%" SVf "'", SVfARG(sv));
        o.format = PMAT_FORMAT_0_6;
    }
    return o;
}

MODULE = Devel::MAT::Dumper    PACKAGE = Devel::MAT::Dumper

PROTOTYPES: DISABLE

BOOT:
    /* DMD_helper.h's DMD_DUMP_STRUCT and DMD_ADD_ROOT find us (helpers.c). */
    pmat_helpers_boot(aTHX);

void
dump(path)
    const char *path
  CODE:
  {
    /* Contract (POD): true on success; on failure nothing is left behind
     * and it dies with "Cannot write heap dump to PATH - WHY". */
    char msg[3 * 4096];             /* room for two paths and an error */
    int err = pmat_dump_file(aTHX_ path, current_opts(aTHX_ 1), msg, sizeof msg);
    if (err)
        croak("Cannot write heap dump to %s - %s", path, msg);
    /* &PL_sv_yes, not an int: returning through the caller's TARG would
     * change a pad slot, i.e. the heap we just described. */
    XSRETURN_YES;
  }

void
dump_fork(path)
    const char *path
  CODE:
  {
    /* Returns once the detached child that writes the file exists; the file
     * appears under path when complete.  Falls back to dump() (with a
     * warning line) when fork fails; dies as dump() does on what fails in
     * this process. */
    char msg[3 * 4096];
    int err = pmat_dump_file_fork(aTHX_ path, current_opts(aTHX_ 1), msg, sizeof msg);
    if (err)
        croak("Cannot write heap dump to %s - %s", path, msg);
    XSRETURN_YES;
  }

void
dumpfh(fh)
    PerlIO *fh
  CODE:
  {
    pmat_opts opts = current_opts(aTHX_ 1);
    int err, fd;
    /* Whatever Perl buffered must reach the fd before our bytes do. */
    PerlIO_flush(fh);
    fd = PerlIO_fileno(fh);
    if (fd < 0)
        croak("Cannot dump to a handle without a file descriptor");
    err = pmat_dump_handle_fd(aTHX_ fd, opts);
    if (err == EBUSY)
        croak("Cannot write heap dump - another dump is being written");
    if (err)
        croak("Cannot write heap dump - %s", strerror(err));
    XSRETURN_YES;
  }

# ---- the triggers' side (used by import in Dumper.pm) --------------------

UV
_touch_heap()
    CODE:
    /* Not API: bench/dump-speed times it as the memory floor of a dump. */
    RETVAL = pmat_touch_heap(aTHX);
    OUTPUT:
    RETVAL

int
_last_walkers()
    CODE:
    /* Not API: t/26 checks that dump() split the walk between two threads. */
    RETVAL = pmat_last_walkers();
    OUTPUT:
    RETVAL

void
_dump_over_bogus_save_entry(path)
    const char *path
  CODE:
  {
    /* Not API: t/21 puts on top of the save stack what an immediate
     * (SIGABRT) dump can find there while the regex engine is half-way
     * through pushing its raw slots -- a group that reads as a SAVEt_HV
     * whose "GV" is the integer 0x25 -- dumps, and takes it off again
     * before perl could ever unwind it. */
    char msg[3 * 4096];
    int err;

    SSGROW(3);
    SSPUSHPTR((void *)0x25);
    SSPUSHPTR((void *)0x21);
    SSPUSHUV(SAVEt_HV);
    err = pmat_dump_file(aTHX_ path, current_opts(aTHX_ 1), msg, sizeof msg);
    PL_savestack_ix -= 3;
    if (err)
        croak("Cannot write heap dump to %s - %s", path, msg);
    XSRETURN_YES;
  }

void
_dump_with_alien_sv(path)
    const char *path
  CODE:
  {
    /* Not API: t/23 checks the walk's answer to an SV type it does not
     * know (a future perl's), which no perl we build on has: one SV with
     * its type bits set to an unused value (below SVTYPEMASK, which marks
     * a freed slot) while we dump, put back before any perl code runs.
     * Its address is the return value, so the test can look for it. */
    char msg[3 * 4096];
    SV *alien = newSV(0);
    const U32 type_bits = SvFLAGS(alien) & SVTYPEMASK;
    int err;

    SvFLAGS(alien) = (SvFLAGS(alien) & ~(U32)SVTYPEMASK) | (SVTYPEMASK - 1);
    err = pmat_dump_file(aTHX_ path, current_opts(aTHX_ 1), msg, sizeof msg);
    SvFLAGS(alien) = (SvFLAGS(alien) & ~(U32)SVTYPEMASK) | type_bits;
    ST(0) = sv_2mortal(newSVuv(PTR2UV(alien)));
    SvREFCNT_dec(alien);
    if (err)
        croak("Cannot write heap dump to %s - %s", path, msg);
    XSRETURN(1);
  }

void
_set_file(path)
    const char *path
  CODE:
    if (pmat_set_template(path))
        croak("Devel::MAT::Dumper: out of memory");

int
_trigger(reason)
    const char *reason
  CODE:
    /* Never dies: a failure is one line on STDERR and a false return. */
    RETVAL = pmat_trigger(aTHX_ reason, current_opts(aTHX_ 0));
  OUTPUT:
    RETVAL

void
_set_fork(on)
    int on
  CODE:
    pmat_set_fork(on);

void
_eager_open()
  CODE:
  {
    char msg[1024];
    if (pmat_eager_open(msg, sizeof msg))
        croak("Devel::MAT::Dumper: -eager_open: %s\n", msg);
  }

void
_arm_abrt()
  CODE:
  {
    GV *gv = gv_fetchpvs("Devel::MAT::Dumper::MAX_STRING", GV_ADD, SVt_PV);
    GV *fgv = gv_fetchpvs("Devel::MAT::Dumper::FORMAT", GV_ADD, SVt_PV);
    int err = pmat_arm_abrt((GV *)SvREFCNT_inc_simple_NN((SV *)gv),
                            (GV *)SvREFCNT_inc_simple_NN((SV *)fgv));
    if (err)
        croak("Devel::MAT::Dumper: cannot install the SIGABRT handler: %s\n", strerror(err));
  }

void
_quit_through_end()
  CODE:
  {
    int err = pmat_quit_through_end();
    if (err)
        croak("Devel::MAT::Dumper: cannot install the SIGQUIT handler: %s\n", strerror(err));
  }

void
_no_debug(cv)
    CV *cv
  CODE:
    /* Under perl -d every sub call goes through DB::sub unless the sub is
     * CvNODEBUG; a DB::sub that cannot pass a call on (goto $DB::sub with a
     * sub's name) would then stop our END dump or signal handler. */
    CvNODEBUG_on(cv);

void
_run_last_at_end(cv)
    CV *cv
  CODE:
    /* END blocks run from the front of PL_endav and each new one is put at
     * the front; one pushed on the back runs after every other. */
    if (!PL_endav)
        PL_endav = newAV();
    av_push(PL_endav, SvREFCNT_inc_simple_NN((SV *)cv));
