package CpmatTest;
# Helpers for the cpmat command tests (t/5*.t): find the tool, write dumps
# of known structures with our dumper in a child perl, run cpmat.
use strict;
use warnings;
use File::Spec;
use File::Temp qw( tempdir );
use Exporter 'import';
our @EXPORT = qw( find_cpmat make_dump run_cpmat $KNOWN_PROG );

sub find_cpmat {
    my $cpmat = $ENV{PMAT_CPMAT};
    ( $cpmat ) = grep { -x $_ } 'blib/script/cpmat', 'reader/cpmat' unless defined $cpmat;
    return defined $cpmat && -x $cpmat ? $cpmat : undef;
}

# Known structures: 7 Foo objects (one nested two levels down in %main::TOP,
# one lexical at depth 1 of a running sub), and one 'Leaked' object kept alive
# only by an extra reference count that no reference explains.
our $KNOWN_PROG = <<'EOP';
package Foo; sub new { bless { id => $_[1] }, $_[0] }
package main;
our %TOP = ( outer => { inner => [ 10, Foo->new(1) ] } );
our @LIST = map { Foo->new($_) } 2 .. 5;
our $NUM = 3.5; our $STR = "hello world"; our $NEG = -42;
our $weak = $LIST[0]; Scalar::Util::weaken($weak) if defined &Scalar::Util::weaken;
{ my $leak = bless { big => [ 1 .. 3 ] }, 'Leaked'; Internals::SvREFCNT( %$leak, 2 ); }
sub run_it { my $lexvar = Foo->new(6); my $other = Foo->new(7);
             Devel::MAT::Dumper::dump( $_[0] ); return $lexvar }
run_it( shift );
EOP

# Writes a dump made by running $prog (default: the known structures) with
# our Devel::MAT::Dumper (blib), in a child perl.  Returns the path or undef.
my $dir;
sub make_dump {
    my ( $name, $prog ) = @_;
    $dir //= tempdir( 'cpmat-t-XXXXXX', TMPDIR => 1, CLEANUP => 1 );
    my $file = "$dir/$name.pmat";
    $prog //= $KNOWN_PROG;
    my @inc = grep { !ref } @INC;
    open my $saved, '>&', \*STDERR or die;
    open STDERR, '>', File::Spec->devnull;
    my $ok = system( $^X, ( map { "-I$_" } @inc ), "-MScalar::Util", "-MDevel::MAT::Dumper",
                     "-e", $prog, $file ) == 0;
    open STDERR, '>&', $saved or die;
    return $ok && -s $file ? $file : undef;
}

# ( exit status, stdout, stderr ) of cpmat ARGS
# cpmat answers as the installed Devel::MAT does where its releases differ
# (count's UNDEF kind from 0.56): these tests compare the two.
sub pmat_version_args {
    my ( $cpmat ) = @_;
    return () unless $cpmat =~ m{(?:^|/)cpmat(?:-asan)?$};
    my $v = eval { require Devel::MAT; $Devel::MAT::VERSION } or return ();
    return ( '--pmat-version', sprintf '%.2f', $v );
}

sub run_cpmat {
    my ( $cpmat, @args ) = @_;
    unshift @args, pmat_version_args($cpmat)
        unless @args && $args[0] =~ /^(?:help|--help|-h)$/;
    $dir //= tempdir( 'cpmat-t-XXXXXX', TMPDIR => 1, CLEANUP => 1 );
    my $err = "$dir/stderr";
    my $pid = open my $fh, '-|';
    die "fork: $!" unless defined $pid;
    if( !$pid ) {
        open STDERR, '>', $err or die;
        exec $cpmat, @args or exit 127;
    }
    local $/;
    my $out = <$fh> // '';
    close $fh;
    my $rc = $? >> 8;
    open my $efh, '<', $err or die;
    my $e = <$efh> // '';
    return ( $rc, $out, $e );
}

1;
