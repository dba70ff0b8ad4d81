package Devel::MAT::Dumper;

# Under the debugger (perl -d) this file is compiled without its statement
# hooks (PERLDBf_LINE, 0x02, off until the end of the file): the debugger
# never stops or steps in our END block or signal handlers, where a session
# driven by scripted commands (a watchpoint, then 'c') would wait forever.
# (Only this BEGIN block and the file's last statement keep them.)
BEGIN { our $_perldb = $^P; $^P &= ~0x02 }

use strict;
use warnings;

# The reference dumper's API level we match: the format it writes (v0.6 by
# default) and its behaviour, as of Devel::MAT::Dumper 0.52.
our $VERSION = '0.52';

require XSLoader;
XSLoader::load( __PACKAGE__, $VERSION );

# What runs when a trigger fires is never routed through the debugger's
# DB::sub (perl -d): a debugger may not pass the call on (see _no_debug in
# Dumper.xs).  The handlers made at import get the same by _undebugged.
_no_debug( $_ ) for \&_trigger, \&_chain, \&_is_handler;

sub _undebugged { _no_debug( $_[0] ); return $_[0] }

# Bytes of each string value written into a dump; negative writes them whole.
our $MAX_STRING = 256;

# The PMAT format a dump is written in: '0.6', or '0.4' for readers before
# Devel::MAT 0.53 (read at the start of each dump).
our $FORMAT = '0.6';

use Config ();
use File::Basename ();
use File::Spec;

# The default file: the program's name plus .pmat, in the directory the
# program was in when this module was loaded.  "-e" would make a file name
# that looks like an option, hence perl-e.pmat.
sub _default_file
{
    my $base = File::Basename::basename( $0 );
    $base = "perl$base" if $base eq '-e' or $base eq '-E';
    return File::Spec->rel2abs( "$base.pmat" );
}
_set_file( _default_file() );

my %signo;
{
    my @names = split ' ', $Config::Config{sig_name};
    my @nums  = split ' ', $Config::Config{sig_num};
    @signo{@names} = @nums;
}

# One END block of ours, run after every other one: the END dump if armed,
# then, if our SIGQUIT handler is still the one installed, SIGQUIT ignored
# for the rest of the process's life.  Global destruction comes next: no
# time for a dump of a heap being torn down, and a Perl handler is not
# called reliably then.
my ( $END_armed, $END_dump, $QUIT_handler );

sub _at_end
{
    _trigger( 'END' ) if $END_dump;
    $SIG{QUIT} = 'IGNORE'
        if $QUIT_handler && ref $SIG{QUIT} && $SIG{QUIT} == $QUIT_handler;
}
_no_debug( \&_at_end );

sub _arm_end
{
    _run_last_at_end( \&_at_end ) unless $END_armed++;
}

sub import
{
    my $pkg = shift;
    my ( @arm, $eager, $fork );

    # Read every option first, so a mistake anywhere on the line dies before
    # anything is installed.
    while ( @_ ) {
        my $opt = shift;
        if ( $opt eq '-file' ) {
            defined( my $path = shift )
                or die "Devel::MAT::Dumper: -file needs a path\n";
            length $path or die "Devel::MAT::Dumper: -file needs a non-empty path\n";
            _set_file( File::Spec->rel2abs( $path ) );
        }
        elsif ( $opt eq '-max_string' ) {
            my $n = shift;
            defined $n and $n =~ /\A\s*[-+]?\d+\s*\z/
                or die "Devel::MAT::Dumper: -max_string needs an integer, not "
                     . ( defined $n ? "'$n'" : 'nothing' ) . "\n";
            $MAX_STRING = 0 + $n;
        }
        elsif ( $opt eq '-format' ) {
            my $f = shift;
            defined $f and ( $f eq '0.4' or $f eq '0.6' )
                or die "Devel::MAT::Dumper: -format needs 0.4 or 0.6, not "
                     . ( defined $f ? "'$f'" : 'nothing' ) . "\n";
            $FORMAT = $f;
        }
        elsif ( $opt eq '-eager_open' ) {
            $eager = 1;
        }
        elsif ( $opt eq '-fork' ) {
            $fork = 1;
        }
        elsif ( $opt =~ /\A-dump_at_(DIE|WARN|END)\z/ ) {
            push @arm, $1;
        }
        elsif ( $opt =~ /\A-dump_at_SIG(\w+)\z/ ) {
            my $name = $1;
            defined $signo{$name} && $name ne 'ZERO'
                or die "Unrecognised signal name SIG$name in Devel::MAT::Dumper option $opt\n";
            $name eq 'KILL' || $name eq 'STOP'
                and die "Devel::MAT::Dumper: SIG$name cannot be caught ($opt)\n";
            push @arm, "SIG$name";
        }
        else {
            die "Unrecognised $pkg import symbol $opt\n";
        }
    }

    _set_fork( 1 ) if $fork;
    _arm( $_ ) for @arm;
    _eager_open() if $eager;
}

sub _arm
{
    my ( $what ) = @_;

    if ( $what eq 'END' ) {
        $END_dump = 1;
        _arm_end();
    }
    elsif ( $what eq 'DIE' ) {
        my $old = $SIG{__DIE__};
        $SIG{__DIE__} = _undebugged sub {
            # $^S: true inside an eval, undef while compiling -- only a die
            # that is about to end the program is dumped.
            _trigger( 'DIE' ) if defined $^S and !$^S;
            # Returning lets the die carry on with its message; an earlier
            # handler still gets its say first.
            _chain( $old, @_ );
        };
    }
    elsif ( $what eq 'WARN' ) {
        my $old = $SIG{__WARN__};
        $SIG{__WARN__} = _undebugged sub {
            _trigger( 'WARN' );
            if ( _is_handler( $old ) ) {
                _chain( $old, @_ );
            }
            else {
                # Inside a __WARN__ handler warn() prints instead of calling
                # the handler again.
                warn @_;
            }
        };
    }
    elsif ( $what eq 'SIGQUIT' ) {
        # Stays installed: every QUIT is a snapshot, then the program goes on.
        $SIG{QUIT} = $QUIT_handler = _undebugged sub { _trigger( 'SIGQUIT' ) };
        # ... also in the END blocks, which perl's main() would otherwise
        # leave without it (see dumpfile.c).
        _quit_through_end();
        _arm_end();
    }
    elsif ( $what eq 'SIGABRT' ) {
        # An immediate handler (in C, not deferred to the next op), so the
        # dump shows the state inside whatever C or XS code aborted.
        _arm_abrt();
    }
    else {
        ( my $name = $what ) =~ s/\ASIG//;
        $SIG{$name} = _undebugged sub {
            _trigger( $what );
            # Then as if we had never been here: the default disposition, and
            # the signal again (delivered as soon as this handler returns).
            $SIG{$name} = 'DEFAULT';
            kill $name => $$;
        };
    }
}

sub _is_handler
{
    my ( $h ) = @_;
    return ref $h eq 'CODE'
        || ( defined $h && !ref $h && length $h && $h ne 'DEFAULT' && $h ne 'IGNORE' );
}

sub _chain
{
    my ( $h, @args ) = @_;
    return unless _is_handler( $h );
    if ( !ref $h ) {
        # A handler named by a string, as %SIG allows.
        no strict 'refs';
        $h = $h =~ /::/ ? \&{$h} : \&{"main::$h"};
    }
    $h->( @args );
}

BEGIN { $^P = our $_perldb }

1;

__END__

=head1 NAME

Devel::MAT::Dumper - write a heap dump of the running perl in the PMAT format

=head1 SYNOPSIS

On a live server: a snapshot on every C<kill -QUIT>, numbered files.

 use Devel::MAT::Dumper qw( -dump_at_SIGQUIT -file /tmp/feed-NNN.pmat );

 $ perl -MDevel::MAT::Dumper=-dump_at_SIGQUIT,-file,/tmp/feed-NNN.pmat feed.pl &
 $ PID=$!
 $ while sleep 600; do kill -QUIT $PID; done

From your own code:

 use Devel::MAT::Dumper;

 Devel::MAT::Dumper::dump( "/tmp/myapp.pmat" );

 open my $fh, ">", "/tmp/myapp.pmat" or die;
 Devel::MAT::Dumper::dumpfh( $fh );

=head1 DESCRIPTION

Walks every SV arena of the running interpreter and writes one record per
live SV, plus the roots, the value stack, the context stack and the
mortals, as a PMAT file (format version 0.6, see L</FORMAT VERSIONS>) that
L<Devel::MAT> and the C<cpmat> tool read.  Devel::MAT before 0.53 needs
L</-format 0.4>.

Dumps are taken either by calling L</dump> or L</dumpfh>, or by the
triggers set up with L</IMPORT OPTIONS>: a signal, a fatal C<die>, a
warning, or the end of the program.

=head1 SNAPSHOTS OF A RUNNING PROGRAM WITH SIGQUIT

Load the module with C<-dump_at_SIGQUIT> and a C<-file> containing C<NNN>:

 $ perl -MDevel::MAT::Dumper=-dump_at_SIGQUIT,-file,/var/tmp/feed-NNN.pmat feed.pl &
 $ PID=$!

Each C<kill -QUIT $PID> then writes the next file of the series, and the
program carries on exactly where it was: F<feed-0.pmat>, F<feed-1.pmat>, ...
A shell loop collects a series overnight:

 $ while sleep 600; do kill -QUIT $PID; done

and comparing consecutive files (C<cpmat FILE info>, or L<Devel::MAT>'s
C<pmat> tools) shows what grew.  Each file appears under its name only once
it is complete (see L</WRITING FILES SAFELY>), so the loop, or anything
watching the directory, can pick it up as soon as it exists.  On STDERR the
program says

 Dumping to /var/tmp/feed-0.pmat because of SIGQUIT

The handler is a normal (deferred) Perl signal handler: the dump happens
between two perl ops, never in the middle of one, and while it is being
written no other Perl signal handler runs.  Signals that arrive meanwhile
wait until it is done; several SIGQUITs arriving during one dump make one
more dump, not one each (perl counts a pending signal once).  So a burst of
signals never nests dumps, and never crashes the program: not while a file
is being compiled (source filters included), not in an C<END> block, not in
global destruction (see L</-dump_at_SIGQUIT>).  It may produce fewer files
than signals.

Mind that C<Ctrl-\> on a terminal sends SIGQUIT to the whole foreground
process group, children included.  Forked children inherit the handler and
the serial number: give each process its own C<-file> if more than one of
them may be sent the signal.

=head1 IMPORT OPTIONS

Given on the C<use> line or with C<-M>; several may be combined.  An unknown
option dies at compile time:

 Unrecognised Devel::MAT::Dumper import symbol -xyz

Every triggered dump prints C<Dumping to FILE because of REASON> on STDERR
(REASON is C<SIGQUIT>, C<SIGUSR1>, ..., C<DIE>, C<WARN> or C<END>).  A
triggered dump never dies: if it cannot be written it says why in one line
on STDERR, removes its temporary file, and the program carries on; the next
trigger tries again.

 Devel::MAT::Dumper: no dump because of SIGQUIT: cannot create a temporary file for /var/tmp/feed-3.pmat: No space left on device

The messages are written straight to file descriptor 2, bypassing PerlIO
and C<$SIG{__WARN__}>.

The file named there is format v0.6 unless L</-format 0.4> is given.
Devel::MAT 0.53 and later (and C<cpmat>) read it; Devel::MAT 0.51 (Debian
bookworm's) and older refuse it with

 Cannot read FILE - format version minor unrecognised (6)

Dump for those with C<-format 0.4>.

Under the debugger (C<perl -d>) the handlers, the C<END> block and the
functions they call are not traced: no call of ours goes through
C<DB::sub>, so a debugger that cannot pass a call on does not stop a dump,
and the module is compiled without the debugger's statement hooks, so the
debugger never stops or steps in our code (a session driven by scripted
commands would wait at a prompt in our C<END> block).

=head2 -dump_at_SIGQUIT

 $ perl -MDevel::MAT::Dumper=-dump_at_SIGQUIT ...

Every SIGQUIT writes a dump, then the program continues.  The handler stays
installed (in C<$SIG{QUIT}>: assigning to C<$SIG{QUIT}> later replaces it).

It stays installed through the C<END> blocks too, so a SIGQUIT there still
dumps.  (Perl's own C<main()> sets every signal that has a Perl handler back
to its default action before the C<END> blocks run; a SIGQUIT in an C<END>
block would otherwise end the program with a core dump.  Other signals'
Perl handlers, ours for L</-dump_at_SIGI<NAME>> included, are gone by then.)
Once the last C<END> block has run, SIGQUIT is ignored for the rest of the
process's life: global destruction is tearing the heap down, no time to dump
it.  If the program has replaced C<$SIG{QUIT}> by then, its setting stands.

=head2 -dump_at_SIGI<NAME>

 $ perl -MDevel::MAT::Dumper=-dump_at_SIGUSR1 ...
 $ perl -MDevel::MAT::Dumper=-dump_at_SIGINT ...
 $ perl -MDevel::MAT::Dumper=-dump_at_SIGABRT ...

On the named signal: dump, restore the signal's default disposition and
raise it again, so the program then ends as it would have without us (its
exit status shows the signal).  For a signal whose default is to be ignored
(SIGCHLD, SIGWINCH) the program goes on, without the handler.

SIGABRT gets an immediate (unsafe) handler, installed with sigaction(2)
rather than through C<%SIG>: it dumps at once, inside whatever C or XS code
was running when the signal came (C<abort()> from a library, or a
C<kill -ABRT> while perl is stuck in C), and the dump shows the state there.
That handler allocates no memory (its buffer is allocated when it is armed)
and runs no Perl code; but a heap caught half-way through a change may hold
pointers the walk cannot make sense of, and the dump can then crash the
process instead (which SIGABRT was about to end anyway).

An unknown signal name dies at import:

 Unrecognised signal name SIGFOO in Devel::MAT::Dumper option -dump_at_SIGFOO

as does a signal that cannot be caught (SIGKILL, SIGSTOP).

=head2 -dump_at_DIE

 $ perl -MDevel::MAT::Dumper=-dump_at_DIE ...

Dumps when a C<die> is about to end the program; a C<die> inside an
C<eval> (which C<$^S> tells) does not dump, nor does one while code is
being compiled (syntax errors, C<die> in a C<BEGIN> block or a C<use>d
module's import: C<$^S> is undefined then, and such a C<die> may yet be
caught by an C<eval> around the C<require>).  The C<die> then goes on as before, with its message.
It is a C<$SIG{__DIE__}> handler: one installed before the import is still
called, after the dump; one assigned later replaces ours.

=head2 -dump_at_WARN

 $ perl -MDevel::MAT::Dumper=-dump_at_WARN,-file,warn-NNN.pmat ...

Dumps on every warning, then the warning is printed as usual (or handed to
the C<$SIG{__WARN__}> handler that was there before the import).  Combine it
with C<NNN> so each warning gets its own file.

=head2 -dump_at_END

 $ perl -MDevel::MAT::Dumper=-dump_at_END -e '...'
 Dumping to /home/me/perl-e.pmat because of END

Dumps just before the interpreter exits.  Our END block runs after every
other END block, including those compiled before this module was loaded
and those of modules loaded later, so the dump shows what your clean-up
code left behind; global destruction comes after it.  The program's exit
status is unchanged.  There is no dump when the program ends by a signal or
C<POSIX::_exit>.

=head2 -file PATH

 $ perl -MDevel::MAT::Dumper=-dump_at_SIGQUIT,-file,/var/tmp/feed-NNN.pmat ...

Where triggered dumps go.  Each C<NNN> in the file name (not in directory
names) is replaced by a serial
number, counting dumps from 0 (F<feed-0.pmat>, F<feed-1.pmat>, ...); a dump
that fails uses up its number too, so a gap in the series marks a failure.
Without C<NNN> each dump replaces the previous file.

A relative PATH is made absolute at import time: a later C<chdir> does not
move the files.  The default is the basename of C<$0> plus F<.pmat> in the
directory the program was started from (F<myscript.pl.pmat>), and
F<perl-e.pmat> when C<$0> is C<-e> or C<-E> (a name starting with C<->
would look like an option to other commands).

=head2 -max_string N

 $ perl -MDevel::MAT::Dumper=-dump_at_SIGQUIT,-max_string,4096 ...

Sets L</$MAX_STRING>: the bytes of each string written.  A negative N writes
every string whole.

=head2 -format 0.4

 $ perl -MDevel::MAT::Dumper=-dump_at_SIGQUIT,-format,0.4 ...

Sets L</$FORMAT>: the dumps are written in PMAT format v0.4, for readers
before Devel::MAT 0.53 (see L</FORMAT VERSIONS>).  C<-format 0.6>, the
default, is accepted too; anything else dies at import:

 Devel::MAT::Dumper: -format needs 0.4 or 0.6, not '0.5'

=head2 -eager_open

 $ perl -MDevel::MAT::Dumper=-dump_at_SIGQUIT,-eager_open,-file,/var/dump/app-NNN.pmat ...

Creates the first dump's file at import time (under its temporary name, see
below) and keeps it open; dies at import if it cannot.  Useful when the
program later gives up the right to create files there (dropping
privileges, a C<chroot>) or may run out of file descriptors.  The first
triggered dump writes into that file and renames it to its final name; if by
then the program may no longer rename files in the directory, the complete
dump stays under its temporary name and the message says where.  Later dumps
create their own files as usual.

=head2 -fork

 $ perl -MDevel::MAT::Dumper=-fork,-dump_at_SIGQUIT,-file,/var/tmp/feed-NNN.pmat feed.pl &

Combines with every trigger: the dump is written by a detached child
process from a copy-on-write snapshot of the program, so the program pauses
only for the C<fork> (tens of milliseconds for a heap of millions of SVs,
against a fraction of a second or more to write the whole dump), then
carries on while the child writes.  See L</FORK MODE>.

=head1 FORK MODE

With C<-fork>, and with L</dump_fork>, the file is written by a child:

=over 4

=item *

The serial number (C<NNN>) and the temporary file are taken in the program
before it forks, so successive dumps get distinct names, and a dump that
cannot even be started says so at once.

=item *

Double fork: the program starts an intermediate child with C<vfork> (which
copies nothing), that child forks the dumping child and exits at once, and
the program waits for the intermediate child only (by its pid).  So the
program pauses for one copy of its page tables, no zombie is ever left, and
the dumping child, an orphan, is never seen by the program's
C<waitpid(-1, ...)> or C<wait>.  All signals are blocked meanwhile, and the
SIGCHLD the intermediate child raised is consumed: the program's
C<$SIG{CHLD}> handler is not called for it.  (If another child of the
program ended in that moment, its SIGCHLD is raised again.)  C<$!> is left
as it was.

=item *

The dumping child runs no Perl code: no END blocks, no destructors, no
atexit or fork handlers, no PerlIO flush, no C<malloc> (its buffer was
allocated before the fork).  It closes every file descriptor but
STDERR and its dump (so sockets and pipes the program holds are not kept
open by the child), writes the dump, renames it into place and leaves with
C<_exit>.  Completion is visible as the file appearing under its name.  It
keeps STDERR open until it is done: a reader waiting for the end of the
program's STDERR waits for the dump too.

=item *

For a trigger, the child prints C<Dumping to FILE because of REASON> on
STDERR once the file is complete, or the usual C<no dump because of ...>
line if it could not write it.  For a trigger that re-raises its signal
(C<-dump_at_SIGUSR1>, ...) the program may well have ended before the file
is complete: the child carries on and finishes it.

=item *

If fork fails (the process-count limit, no memory for the page tables), one
line says so and the dump is written in-process as without C<-fork>:

 Devel::MAT::Dumper: cannot fork for SIGQUIT (Resource temporarily unavailable): dumping in-process

=back

The snapshot costs memory only as the program changes pages while the
child writes (each page it writes to is copied once).  A burst of signals
starts one child per dump the program takes, each writing its own file.
Only the thread that forks is carried into the child: with ithreads, the
dump is of the interpreter that took it.

For tests, the environment variable C<PMAT_TEST_FAIL_FORK> (read once, when
C<-fork> is given or at the first C<dump_fork>) makes the first (C<1>) or
the second (C<2>) fork fail as if the limit had been reached.

=head1 FORMAT VERSIONS

Dumps are written in PMAT format v0.6 by default, the format the reference
dumper (the CPAN Devel::MAT::Dumper) writes since its 0.48.  Next to what
v0.4 has, it gives

=over 4

=item *

the address of the HEK (the shared string in perl's string table, PL_strtab) of
every hash and stash entry, of each glob's name, and of the name of a sub
named by a HEK rather than by its glob (a lexical sub, or since perl 5.22 a
sub nothing has asked the glob of);

=item *

a PV_SHARED_HEK record after every scalar whose string is a shared key
(a copy of a hash key, say), naming that HEK.  Devel::MAT's C<strtab>
command (0.53+) and C<cpmat FILE strtab> show from these which hashes,
globs, subs and scalars share each string;

=item *

the mortals: every entry of perl's temps stack (what the next C<FREETMPS>
frees: a sub's returned values, its temporary arguments) and
C<PL_tmps_floor>, which tells those made since the innermost sub or block
began from those of the statements around it.  Devel::MAT marks them
C<(mortalized)> and counts them as roots (C<a mortal>).

=back

v0.6 also has a MAGICv2 record for perl's second kind of magic, which came
with perl 5.45.2; no perl this module builds on (5.32 to 5.42) has it, so
no MAGICv2 record is written (the header sizes it all the same, as the
format asks).

Devel::MAT 0.53 and later read v0.6; Devel::MAT 0.52 and older read up
to v0.5 (0.51, in Debian bookworm, warns that v0.5 is experimental).  For
those, L</-format 0.4> or C<$Devel::MAT::Dumper::FORMAT = '0.4'> writes
v0.4, as the reference 0.46 did: no HEK pointers, no PV_SHARED_HEK records,
no mortals.  A v0.4 dump of a perl 5.38+ heap that holds C<class> objects
or classes says v0.5, the version that added their records (OBJ and CLASS),
which a v0.4 reader would stop at; finding out takes one pass over the SV
heads before the dump, made only then.

=head1 WRITING FILES SAFELY

A dump holds every string in the process, passwords and tokens included,
and takes a moment to write.  So L</dump> and every triggered dump:

=over 4

=item *

write to a new file in the target directory, named
F<.NAME.tmp-PID-K> (a dot file, so C<*.pmat> globs skip it), created with
C<O_CREAT|O_EXCL|O_NOFOLLOW> and mode 0600: never an existing file, never
through a symlink (not even a dangling one), never readable by other users
whatever the umask.  If that name is taken (by anything, a planted
symlink included), the next K is tried, up to 32 names.

=item *

rename it to the final name only once every byte is written.  A reader
never sees a half-written file under the final name.  If the final name is
a symlink, the link itself is replaced: its target is never written.

=item *

remove the temporary file when anything fails (no space, no permission, the
directory gone, the final name a directory), and report the failure: a
triggered dump with one line on STDERR (the program carries on), L</dump>
by dying.

=back

The file's descriptor is never 0, 1 or 2, and is close-on-exec.  A daemon
that runs with STDIN, STDOUT or STDERR closed gets a complete dump all the
same (otherwise the file would become the lowest free descriptor, and a dump
on fd 2 would take the C<Dumping to ...> line into its first bytes); the
messages then go nowhere.  The same holds for the file L</-eager_open> keeps
open, and in L</FORK MODE>.

Files are not fsync'd: the rename protects against the process dying or
being killed mid-dump, not against the machine crashing.

While a dump is being written another one is never started: a trigger that
comes meanwhile waits (Perl signals) or, from the immediate SIGABRT handler,
is skipped with a message.

=head1 FUNCTIONS

=head2 dump

 Devel::MAT::Dumper::dump( $path ) or ...;   # returns 1

Writes a heap dump to C<$path> as described in L</WRITING FILES SAFELY>
and returns 1.  On failure nothing is left behind and it dies with

 Cannot write heap dump to PATH - WHAT at FILE line N.

where WHAT says which step failed and why, e.g. C<cannot create a temporary
file: Permission denied>, or C<writing /x/.y.pmat.tmp-123-0 failed: No space
left on device (removed)>.  Wrap it in C<eval> where a failure must not end
the program.  The C<-dump_at_*> triggers do not use this function and never
die.

=head2 dump_fork

 Devel::MAT::Dumper::dump_fork( $path );   # returns 1

Like L</dump>, but the file is written by a detached child (see
L</FORK MODE>): returns as soon as that child exists, and the complete file
appears under C<$path> when the child is done.  It prints nothing when all
goes well; a failure in the child is one line on STDERR:

 Devel::MAT::Dumper: no dump because of dump_fork: cannot rename ...

If fork fails it says so in one line and dumps in-process before returning,
as L</dump> does.  It dies, as L</dump> does, when the temporary file cannot
be created (or, after a failed fork, written).

=head2 dumpfh

 Devel::MAT::Dumper::dumpfh( $fh );   # returns 1

Writes a heap dump to an already open handle: a file, a pipe or a socket (it
need not be seekable). Anything Perl had buffered on the handle is flushed
first.  Returns 1, or dies with C<Cannot write heap dump - REASON> (for
example C<No space left on device> on F</dev/full>); what was written until
then stays written, as the handle is the caller's.

=head1 WHAT A DUMP HOLDS

Every live SV of every arena, one record each, followed by its magic
(type, refcounted flag, object, pointer when it is an SV, vtable address);
the values that C<local> saved (scalars, arrays, hashes, array and hash
elements, code slots); the named roots of the interpreter (main CV, default
stash, string table, C<%INC> glob, ...); the value stack; and the context
stack (sub calls with their CV, C<@_> and old depth, C<eval> blocks, string
C<eval>s with their code); in v0.6, the mortals and the shared-string
pointers (L</FORMAT VERSIONS>). The immortals C<undef>, C<yes> and C<no> are named
in the roots, not written as records.

On perl 5.38 and later, C<use feature 'class'> is written as formats 0.5 and 0.6
has it: each object as an OBJ record (its class, and its field SVs in field
order), each class stash as a CLASS record (the stash, its ADJUST blocks,
and the index and name of each field it declares; a class without fields
has none), and each pad name of a field with its field index and the class
that declared it (PADNAME_FIELD).  The reference dumper (0.50, 0.52)
crashes on a class that declares no field; this one does not.

The value stacks are written as their live part.  The running one (the
STACK section, and its ARRAY record) ends at the top of the stack, not at
its C<AvFILLp>, which perl updates only when it switches stacks; the stacks
suspended under it (the main stack while a sort block or a tied method
runs) end where they were left; the stacks perl keeps for reuse hold
nothing but their base slot.  So no stack claims SVs freed since, or others
that reuse their memory.  Within those slots, and in any other array that
owns no reference counts (C<@_>, C<@DB::args>), a slot whose SV has been
freed is written as NULL: perl leaves such slots behind (the main program's
items on the stack under an C<END> block after C<exit>; C<@_>'s elements
that C<caller> copied into C<@DB::args>) and never reads them again.

A source filter's data SV is a PVIO that is no file handle: it is written
as an IO without file numbers, its string buffer counted in its size, and
its GV slots as the filter filled them (Filter::Util::Call keeps its object
there, perl's UTF-16 reader a string).

The dump is written without running any Perl code: hashes are read bucket by
bucket (tie methods are not called and an C<each> iterator in progress is not
disturbed), strings are written as they are stored (no overloading or
get-magic), and the walk allocates nothing per SV.

L</dump>, L</dumpfh> and the triggers installed through C<%SIG> share the
walk with one helper thread when the process may run on more than one CPU
(its affinity mask allows two or more): the two take arenas in turn, each
writes through a 512 KiB buffer of its own, and every write carries whole
records (an SV with its magic), so their records interleave in the file but
never mix (readers, Devel::MAT's among them, do not depend on record
order).  The buffers (and the up to 256 KiB a write(2) leaves for the next
one, so that writes start and end on 256 KiB boundaries of the file) are
mapped for the dump and unmapped after it: about 1.3 MiB while it runs,
nothing from C<malloc>.  The helper has every signal blocked, runs no Perl code and has
ended when the dump returns; where no thread can be started (a process
limit, say) the dump walks alone, as the immediate SIGABRT handler and the
fork-mode child always do.

An SV of a type this build does not know (a newer perl) is left out, and one
line on STDERR says how many were.

=head2 SIZE

Each record carries the bytes that SV owns: its head, the body perl
allocated for its type, its string buffer (counted by every SV that shares a
copy-on-write buffer, as the reference dumper does), an array's slot storage,
a hash's bucket array, entries and unshared keys (and the auxiliary struct of
a hash that has one). For scalars, strings, arrays and hashes these agree
with the reference dumper (Devel::MAT::Dumper 0.46) within 5%; the test
F<t/41-sizes-vs-reference.t> shows it, and F<t/42-interop-tools.t> checks
every SV of its fixtures to be equal or to differ only for a reason listed
here. Where they differ, and why:

=over 4

=item *

A plain NV or IV is the SV head alone (24 bytes on 64-bit perls), because
perl stores the number in the head; the reference adds a body.

=item *

An UNDEF or REF record counts the body perl allocated for the SV's type: an
SV that once held a string, magic or a blessing keeps its body (16 to 48
bytes on 64-bit perls); the reference counts the head alone.

=item *

A hash with an iterator, weak back-references or a name has perl's larger
body with the auxiliary struct (56 bytes more on 64-bit perl 5.36, 112 from
5.38 on, which added the fields of a class), which the reference does not
count.

=item *

An object (perl 5.38+) also counts its array of field pointers, which it
allocates and frees itself; the reference counts head and body only.  A
class counts, on top of its stash, the list of its fields.

=item *

A string buffer is counted only when the record shows a string: perl 5.36
keeps a private string for every integer it has stringified, which both
dumpers report as a plain integer.

=item *

CODE counts more than the reference: besides head and body, its prototype
string, the PADLIST struct and its array of pad pointers, and (for a CV that
is not a closure clone, which shares its prototype's names) the PADNAMELIST,
its array and each PADNAME struct with its name. None of these are SVs of
their own, so nothing else would account for them. The pads themselves are
arrays and are counted as such.

=back

=head2 Differences from the reference dumper

=over 4

=item *

The whole save stack is decoded, so C<local> values inside subs are
recorded; the reference stops at the first entry type it does not handle.

=item *

C<try> blocks (perl 5.34+) are written as TRY contexts.

=item *

Hashes with restricted (locked) keys do not list deleted placeholder keys.

=item *

A write to a pipe whose reader has gone fails the dump with "Broken pipe"
instead of killing the process with SIGPIPE.

=item *

The FD-to-PID array is written as the root C<fdpidav>, which Devel::MAT
shows as "the FD-to-PID mapping AV"; the reference names it C<fdpid>, a root
Devel::MAT does not know.

=item *

Nothing is written to STDERR while dumping (the reference prints C<TODO:>
lines for the save-stack entries it does not decode).

=item *

A sub named by a HEK (a lexical sub, or one kept without a glob) has that
HEK as its NAME_HEK; the reference (0.50, 0.52) writes NULL there for
every sub.

=item *

Under C<-format 0.4> no mortals section is written (as 0.46, which wrote
v0.4, did not); the reference's 0.47 wrote one after v0.4 files.

=back

Apart from these and SIZE, Devel::MAT's tools (C<pmat> and its commands,
C<pmat-leakreport>, ...) answer the same on our dumps as on the reference's:
F<t/42-interop-tools.t>, F<t/43-interop-pmat-commands.t> and
F<t/44-interop-leak-workflow.t> compare them on fixture programs and list
the remaining allowed differences, each with its reason.

=head1 WHAT XS MODULES ADD

An XS module built with L<Devel::MAT::Dumper::Helper> (ours or the
reference's; the header is the same ABI) can register helpers that
describe what its C side holds.  After the arena walk, on the dumping
thread, the dumper calls the package helper of each blessed SV's class (and
its parents') and the magic helper of each MAGIC's vtable, one at a time,
and writes what they describe: SVxSVSVnote annotations, META_STRUCT and
C_STRUCT records; the roots they add with C<DMD_ADD_ROOT> go into the
roots section.  No helper runs from the immediate SIGABRT handler.  What
names no SV or struct of the dump is left out and counted in one line on
STDERR.  With no helper registered, nothing of this costs anything.

=head1 VARIABLES

=head2 $VERSION

0.52: the version of the reference dumper whose format (v0.6) and behaviour
this one matches, so that tools and tests that check the dumper's version
for a feature (C<local> saves, the mortals, the HEKs) find it.

=head2 $MAX_STRING

The number of bytes of each string value written into the dump (default
256). The full length is still recorded. A negative value writes every string
whole.  Read at the start of each dump; C<-max_string> sets it.

=head2 $FORMAT

The PMAT format of the dumps: C<'0.6'> (the default; C<undef> means it too)
or C<'0.4'> (see L</FORMAT VERSIONS>).  Read at the start of each dump, by
L</dump>, L</dumpfh>, L</dump_fork> and the triggers alike; C<-format> sets
it.  Any other value makes L</dump>, L</dumpfh> and L</dump_fork> die before
writing anything,

 Devel::MAT::Dumper: $FORMAT must be 0.4 or 0.6, not '0.5' at ...

while a triggered dump, which never dies, writes v0.6.

=head1 LIMITATIONS

The triggers' state (file name, serial number, whether a dump is running)
belongs to the process, not to a Perl interpreter: with several ithreads,
use the triggers from one of them.

=cut
