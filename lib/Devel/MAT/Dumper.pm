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

=head1 VARIABLES

=head2 $MAX_STRING

The number of bytes of each string value written into the dump (default
256). The full length is still recorded. A negative value writes every string
whole.

=cut
