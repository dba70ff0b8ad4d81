/* sv_io.c -- IO records.
 *
 * The file numbers are read from the bottom layer of each PerlIO stack
 * (PerlIO_fileno would ask the top layer, and a :via layer answers by
 * calling a Perl method -- we must never run Perl code mid-dump).
 *
 * Not every PVIO is a file handle.  filter_add() (source filters: the
 * UTF-16 script reader, Filter::Util::Call and its kin) upgrades each
 * filter's data SV to a PVIO, stores the filter function in IoDIRP and
 * marks it IOf_FAKE_DIRP.  Such an SV is a string buffer: IoIFP shares
 * sv_u with SvPVX, so IoIFP is the text being filtered, not a PerlIO, and
 * the GV slots hold whatever the filter keeps there (the UTF-16 filter a
 * plain string, Filter::Util::Call its object).  Those slots are written as
 * they are -- they point at SVs the filter owns -- and the buffer counts in
 * the IO's size, as perl frees it with the IO.
 */
#define PERL_NO_GET_CONTEXT
#include "dumper.h"
#include "perliol.h"

static IV io_fileno(pTHX_ PerlIO *f)
{
    PerlIO_funcs *tab;

    if (!PerlIOValid(f))
        return -1;
    while (PerlIOValid(PerlIONext(f)))
        f = PerlIONext(f);
    tab = PerlIOBase(f)->tab;
    /* The bottom layer is C (unix, stdio, scalar) in practice; refuse to
     * call anything that might be a Perl-implemented layer. */
    if (!tab || !tab->Fileno || !tab->name || strEQ(tab->name, "via"))
        return -1;
    return (IV)(*tab->Fileno)(aTHX_ f);
}

void write_sv_io(pTHX_ pmat_dump *d, const IO *io_c)
{
    IO *io = (IO *)io_c;
    pmat_writer *w = &d->w;
    int filter = (IoFLAGS(io) & IOf_FAKE_DIRP) != 0;
    IV ifd = filter ? -1 : io_fileno(aTHX_ IoIFP(io));
    IV ofd = filter ? -1 : io_fileno(aTHX_ IoOFP(io));
    UV size = pmat_sv_base_size((const SV *)io);

    if (filter && SvPVX_const(io))
        size += (UV)SvLEN(io);
    if (!pmat_reserve(w, PMAT_COMMON_LEN + 2 * PMAT_UINT_SIZE + 3 * PMAT_PTR_SIZE))
        return;
    pmat_put_sv_common_nocheck(w, (const SV *)io, PMAT_SVt_IO, size);
    pmat_put_uint_nocheck(w, (UV)ifd);
    pmat_put_uint_nocheck(w, (UV)ofd);
    pmat_put_ptr_nocheck(w, IoTOP_GV(io));
    pmat_put_ptr_nocheck(w, IoFMT_GV(io));
    pmat_put_ptr_nocheck(w, IoBOTTOM_GV(io));
}
