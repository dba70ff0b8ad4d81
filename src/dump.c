/* dump.c -- one whole dump, in file order (see dumper.h). */
#define PERL_NO_GET_CONTEXT
#include "dumper.h"

#include <stdio.h>
#include <unistd.h>

int pmat_dump_fd(pTHX_ int fd, IV max_string)
{
    pmat_dump d;
    int err;

    d.max_string = max_string;
    d.unknown_svs = 0;
    if ((err = pmat_writer_init(&d.w, fd)) != 0)
        return err;

    write_header(aTHX_ &d);
    write_roots(aTHX_ &d);
    write_stack(aTHX_ &d);
    write_heap(aTHX_ &d);
    write_contexts(aTHX_ &d);

    err = pmat_writer_finish(&d.w);

    if (d.unknown_svs) {
        /* Straight to fd 2: no PerlIO, no Perl code, safe mid-signal. */
        char msg[128];
        int n = snprintf(msg, sizeof msg,
                         "Devel::MAT::Dumper: left out %" UVuf " SV(s) of unknown type\n",
                         d.unknown_svs);
        if (n > 0 && write(2, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1) < 0) {
            /* nothing more we can do about a failing stderr */
        }
    }
    return err;
}
