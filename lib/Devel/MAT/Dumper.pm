package Devel::MAT::Dumper;

use strict;
use warnings;

our $VERSION = '0.01';

require XSLoader;
XSLoader::load( __PACKAGE__, $VERSION );

# Bytes of each string value written into a dump; negative writes them whole.
our $MAX_STRING = 256;

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

my ( $END_armed, %SIG_armed );

sub import
{
    my $pkg = shift;
    my ( @arm, $eager );

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
        elsif ( $opt eq '-eager_open' ) {
            $eager = 1;
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

    _arm( $_ ) for @arm;
    _eager_open() if $eager;
}

sub _arm
{
    my ( $what ) = @_;

    if ( $what eq 'END' ) {
        return if $END_armed++;
        _run_last_at_end( sub { _trigger( 'END' ) } );
    }
    elsif ( $what eq 'DIE' ) {
        my $old = $SIG{__DIE__};
        $SIG{__DIE__} = sub {
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
        $SIG{__WARN__} = sub {
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
        $SIG{QUIT} = sub { _trigger( 'SIGQUIT' ) };
    }
    elsif ( $what eq 'SIGABRT' ) {
        # An immediate handler (in C, not deferred to the next op), so the
        # dump shows the state inside whatever C or XS code aborted.
        _arm_abrt();
    }
    else {
        ( my $name = $what ) =~ s/\ASIG//;
        $SIG{$name} = sub {
            _trigger( $what );
            # Then as if we had never been here: the default disposition, and
            # the signal again (delivered as soon as this handler returns).
            $SIG{$name} = 'DEFAULT';
            kill $name => $$;
        };
    }
    $SIG_armed{$what}++;
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

1;

__END__

=head1 NAME

Devel::MAT::Dumper - write a heap dump of the running perl in the PMAT format

=head1 SYNOPSIS

 use Devel::MAT::Dumper;

 Devel::MAT::Dumper::dump( "/tmp/myapp.pmat" );

 open my $fh, ">", "/tmp/myapp.pmat" or die;
 Devel::MAT::Dumper::dumpfh( $fh );

=head1 DESCRIPTION

Walks every SV arena of the running interpreter and writes one record per
live SV, plus the roots, the value stack and the context stack, as a PMAT
file (format version 0.4) that L<Devel::MAT> and the C<cpmat> tool read.

=head1 FUNCTIONS

=head2 dump

 Devel::MAT::Dumper::dump( $path );

Writes a heap dump to C<$path>, created with mode 0600 (a dump holds every
string in the process). Dies with a message naming the path and the error if
the file cannot be opened or written.

=head2 dumpfh

 Devel::MAT::Dumper::dumpfh( $fh );

Writes a heap dump to an already open handle: a file, a pipe or a socket (it
need not be seekable). Anything Perl had buffered on the handle is flushed
first.

=head1 WHAT A DUMP HOLDS

Every live SV of every arena, one record each, followed by its magic
(type, refcounted flag, object, pointer when it is an SV, vtable address);
the values that C<local> saved (scalars, arrays, hashes, array and hash
elements, code slots); the named roots of the interpreter (main CV, default
stash, string table, C<%INC> glob, ...); the value stack; and the context
stack (sub calls with their CV, C<@_> and old depth, C<eval> blocks, string
C<eval>s with their code). The immortals C<undef>, C<yes> and C<no> are named
in the roots, not written as records.

The dump is written without running any Perl code: hashes are read bucket by
bucket (tie methods are not called and an C<each> iterator in progress is not
disturbed), strings are written as they are stored (no overloading or
get-magic), and the walk allocates nothing per SV.

An SV of a type this build does not know (a newer perl) is left out, and one
line on STDERR says how many were.

=head2 SIZE

Each record carries the bytes that SV owns: its head, the body perl
allocated for its type, its string buffer (counted by every SV that shares a
copy-on-write buffer, as the reference dumper does), an array's slot storage,
a hash's bucket array, entries and unshared keys (and the auxiliary struct of
a hash that has one). For scalars, strings, arrays and hashes these agree
with the reference dumper (Devel::MAT::Dumper 0.46) within 5%; the test
F<t/41-sizes-vs-reference.t> shows it. Where they differ, and why:

=over 4

=item *

A plain NV or IV is the SV head alone (24 bytes on 64-bit perls), because
perl stores the number in the head; the reference adds a body.

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

=back

=head1 VARIABLES

=head2 $MAX_STRING

The number of bytes of each string value written into the dump (default
256). The full length is still recorded. A negative value writes every string
whole.

=cut
