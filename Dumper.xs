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

MODULE = Devel::MAT::Dumper    PACKAGE = Devel::MAT::Dumper

PROTOTYPES: DISABLE

void
dump(path)
    const char *path
  CODE:
  {
    IV max_string = current_max_string(aTHX);
    int err;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        croak("Cannot open %s for writing - %s", path, strerror(errno));
    err = pmat_dump_fd(aTHX_ fd, max_string);
    if (close(fd) < 0 && !err)
        err = errno;
    if (err)
        croak("Cannot write heap dump to %s - %s", path, strerror(err));
  }

void
dumpfh(fh)
    PerlIO *fh
  CODE:
  {
    IV max_string = current_max_string(aTHX);
    int err, fd;
    /* Whatever Perl buffered must reach the fd before our bytes do. */
    PerlIO_flush(fh);
    fd = PerlIO_fileno(fh);
    if (fd < 0)
        croak("Cannot dump to a handle without a file descriptor");
    err = pmat_dump_fd(aTHX_ fd, max_string);
    if (err)
        croak("Cannot write heap dump - %s", strerror(err));
  }
