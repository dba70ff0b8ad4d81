package Devel::MAT::Dumper;

use strict;
use warnings;

our $VERSION = '0.01';

require XSLoader;
XSLoader::load( __PACKAGE__, $VERSION );

# Bytes of each string value written into a dump; negative writes them whole.
our $MAX_STRING = 256;

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
