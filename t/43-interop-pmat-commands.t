# Every pmat command, and pmat-counts, pmat-diff, pmat-list-orphans and
# pmat-leakreport, run on our dumps of the interop fixtures (t/fixtures/
# interop) exit 0 and print nothing on STDERR.  Every command and every find
# filter runs as its own `pmat` process on each fixture's dump; `show`,
# `identify` and `outrefs` of every named variable of every fixture run
# in-process (one load per file).
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/fixtures/interop";
use Interop;

my $why = Interop::skip_reason( without_ref => 1 );
plan skip_all => $why if $why;
my %tool = map { my $t = $_; $t => ( grep { -x } map { "$_/$t" } split /:/, $ENV{PATH} )[0] }
    qw(pmat pmat-counts pmat-diff pmat-list-orphans pmat-leakreport);
if ( my @missing = grep { !$tool{$_} } sort keys %tool ) {
    plan skip_all => "not on PATH: @missing (Debian: libdevel-mat-perl)";
}

my $tmp = Interop::tmpdir();
my $seq = 0;
# Run a tool; returns ( exit status, STDOUT, STDERR ).
sub run
{
    my (@cmd) = @_;
    my ( $o, $e ) = ( "$tmp/out." . ++$seq, "$tmp/err.$seq" );
    open my $save_out, '>&', \*STDOUT or die;
    open my $save_err, '>&', \*STDERR or die;
    open STDOUT, '>', $o or die;
    open STDERR, '>', $e or die;
    my $rc = system(@cmd);
    open STDOUT, '>&', $save_out or die;
    open STDERR, '>&', $save_err or die;
    return ( $rc, Interop::slurp($o), Interop::slurp($e) );
}

sub runs_clean
{
    my ( $name, @cmd ) = @_;
    my ( $rc, $out, $err ) = run(@cmd);
    ok( $rc == 0 && $err eq '', $name ) or diag "exit $rc; STDERR:\n$err";
    return $out;
}

my %dump = map { $_ => Interop::run_fixture( 'ours', $_ ) } qw(kinds.pl magic.pl contexts.pl);

# Every command of pmat and every find filter, on every fixture, each as
# its own `pmat --quiet FILE COMMAND...` process: exit status 0 and nothing
# on STDERR.  (Devel::MAT 0.51's pmat cannot parse the long form
# --full-pv of show's option, whoever wrote the dump; -F works.)
sub commands
{
    my ( $pm, $owned ) = @_;
    # a vtable our dump recorded, for find magic --vtbl
    my ($vtbl) = map { sprintf '0x%x', $_->vtbl } grep { $_->vtbl } map { $_->magic } grep { $_->can('magic') } $pm->dumpfile->heap;
    return (
        ['summary'], ['count'], [ 'count', '--blessed' ], [ 'count', '--scalars' ], ( $owned ? ( [ 'count', '--owned' ], [ 'largest', '--owned', 5 ] ) : () ),    # slow: once
        [ 'count', '--struct' ], [ 'largest', 10 ], [ 'largest', '--struct', 5 ], ['list-dangling-ptrs'], ['packages'], ['roots'], ['stack'],
        ['callers'], [ 'callers', '--pad' ], ['symbols'], [ 'symbols', '-R', 'Fx' ],
        [ 'find', 'blessed', 'Fx::Thing' ], [ 'find', 'cv' ], [ 'find', 'cv', '--xsub' ], [ 'find', 'cv', '-p', 'Fx' ], [ 'find', 'io' ], [ 'find', 'io', '-f', 2 ],
        [ 'find', 'lexical', '$frame' ], [ 'find', 'lexical', '--inactive', '$x' ],
        ( $vtbl ? [ 'find', 'magic', '--vtbl', $vtbl ] : () ), [ 'find', 'num', 42 ], [ 'find', 'num', '--nv' ], [ 'find', 'pv', 'plain' ],
        [ 'find', 'pv', '-r', 'item1.$' ], [ 'find', 'pv', '--eq', '-i', 'PLAIN' ],
        [ 'find', 'struct', 'Nothing' ], [ 'find', '--count', 'blessed', 'Fx::Base' ],
        [ 'identify', '%Fx::' ], [ 'identify', '--all', '%Fx::' ], [ 'inrefs', '%Fx::' ], [ 'inrefs', '--all', '%Fx::' ],
        [ 'outrefs', '%Fx::' ], [ 'outrefs', '--all', '%Fx::' ], [ 'show', '%Fx::' ], [ 'size', '%Fx::' ],
        ['tools'], [ 'help', 'find' ],
    );
}

my %pm;
for my $fx ( sort keys %dump ) {
    my $pm = $pm{$fx} = Interop::load( $dump{$fx} );
    runs_clean( "pmat $fx @$_", $tool{pmat}, '--quiet', $dump{$fx}, @$_ ) for commands( $pm, $fx eq 'kinds.pl' );
}
for my $c ( [ 'elems', '@Fx::big', 100 ], [ 'elems', '--count', 3, '@Fx::small' ], [ 'values', '%Fx::h' ], [ 'values', '--count', 5, '%Fx::big', 10 ],
    [ 'show', '--pad', '&Fx::recurse' ], [ 'show', '-F', '$Fx::long' ], [ 'show', '-F', '&Fx::recurse' ], [ 'identify', '$Fx::weak' ],
    [ 'identify', '$Fx::pv' ], [ 'find', 'io', '--fileno', 0 ], [ 'find', 'lexical', '$depth' ] ) {
    runs_clean( "pmat kinds.pl @$c", $tool{pmat}, '--quiet', $dump{'kinds.pl'}, @$c );
}
my $out = runs_clean( 'pmat contexts count (with the summary)', $tool{pmat}, $dump{'contexts.pl'}, 'count' );
like( $out, qr/Perl memory dumpfile/, 'the summary comes first' );

# show, identify and outrefs of every named variable of every fixture run
# in-process (one load per file: some 150 variables), failing on any die or
# warning.
# show and identify of every named variable of every fixture
for my $fx ( sort keys %dump ) {
    my $pm = $pm{$fx};
    my @syms = map { /^(\S+) at / ? $1 : () } split /\n/, Interop::cmd( $pm, 'symbols', '-R', 'Fx' );
    cmp_ok( scalar @syms, '>=', 5, "$fx has its variables" );
    my @bad;
    for my $s (@syms) {
        my $sv = $pm->find_symbol($s) or do { push @bad, "$s: find_symbol found nothing"; next };
        for my $c ( [ 'show', $s ], [ 'identify', $s ], [ 'outrefs', $s ] ) {
            next if $c->[0] eq 'show' && !Devel::MAT::Tool::Show->can( 'show_' . $sv->type );    # Devel::MAT 0.51 has no view for these
            eval { Interop::cmd( $pm, @$c ); 1 } or push @bad, $@;
        }
    }
    is_deeply( \@bad, [], "$fx: show, identify and outrefs of its " . @syms . ' named variables run without error or warning' );
}

# The other tools
my @all = map { $dump{$_} } qw(kinds.pl magic.pl contexts.pl);
like( runs_clean( 'pmat-counts on three dumps', $tool{'pmat-counts'}, @all ), qr/ARRAY/, 'pmat-counts counts' );
runs_clean( 'pmat-counts --blessed', $tool{'pmat-counts'}, '--blessed', @all[ 0, 1 ] );
runs_clean( 'pmat-diff',               $tool{'pmat-diff'}, @all[ 1, 2 ] );
runs_clean( 'pmat-list-orphans',       $tool{'pmat-list-orphans'}, $all[0] );
runs_clean( 'pmat-leakreport',         $tool{'pmat-leakreport'}, @all );

done_testing;
