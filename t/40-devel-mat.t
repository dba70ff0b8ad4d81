# Interop with the real reader: our dumps load in Devel::MAT without a
# warning and answer symbol, identify, count and find questions.
use strict;
use warnings;
use Test::More;
use File::Temp qw( tempdir );
use Config;
use lib 't/lib';
use ReaderFormat;    # sets PMAT_TEST_FORMAT: the fixture dumps in the format Devel::MAT reads

BEGIN {
    eval { require Devel::MAT; 1 }
        or plan skip_all => "Devel::MAT is not installed (Debian: libdevel-mat-perl); cannot check interop";
}

my ($pmat) = grep { -x } map { "$_/pmat" } split /:/, $ENV{PATH};

my $dir = tempdir( CLEANUP => 1 );
my $file = "$dir/interop.pmat";
system( $^X, '-Mblib', 't/fixtures/interop.pl', $file ) == 0
    or BAIL_OUT("the fixture could not dump itself (exit $?)");
ok( -s $file, 'the fixture wrote a dump' );
is( ( stat $file )[2] & 07777, 0600, 'the dump is private (mode 0600)' );

my @warnings;
my $pm = do {
    local $SIG{__WARN__} = sub { push @warnings, $_[0] };
    Devel::MAT->load( $file );
};
is_deeply( \@warnings, [], 'Devel::MAT->load gives no warning' ) or diag @warnings;

my $df = $pm->dumpfile;
is( $df->perlversion, sprintf( '%vd', $^V ), 'perl version recorded' );
is( !!$df->ithreads, !!$Config{useithreads}, 'ithreads flag matches this perl' );

my $config = $pm->find_symbol( '%main::CONFIG' );
ok( $config, 'find_symbol %main::CONFIG' );
is( $config && $config->type, 'HASH', '%main::CONFIG is a HASH' );
my $servers = $config && $config->value( 'servers' );
is( $servers && $servers->type, 'REF', '$CONFIG{servers} is a REF' );
is( $servers && $servers->rv->type, 'ARRAY', '... to an ARRAY' );
is( $servers && $servers->rv->elem( 0 )->rv->value( 'name' )->pv, 'alpha-server',
    'the nested string is reachable through the structure' );

my $greeting = $pm->find_symbol( '$main::GREETING' );
is( $greeting && $greeting->pv, 'hello, world', '$main::GREETING value' );

my $widgets = $pm->find_symbol( '@main::WIDGETS' );
is( $widgets && $widgets->n_elems, 7, '@main::WIDGETS has 7 elements' );
is( $widgets && $widgets->elem( 3 )->rv->blessed->stashname, 'Widget', 'elements are Widget objects' );
is( $widgets && $widgets->elem( 3 )->rv->value( 'id' )->uv, 4, 'Widget 4 has id 4' );

SKIP: {
    skip "the pmat tool is not on PATH", 6 unless $pmat;

    open my $ah, '<', "$file.addr" or die;
    chomp( my $addr = <$ah> );
    my $ident = qx{"$pmat" "$file" identify $addr 2>&1};
    is( $?, 0, 'pmat identify exits 0' );
    like( $ident, qr/value \{name\} of HASH\(1\).*\n.*element \[0\] of ARRAY\(1\).*\n.*value \{servers\} of HASH\(1\).*\n.*the symbol '%main::CONFIG'/,
        'identify walks the nested structure back to %main::CONFIG' );

    my $count = qx{"$pmat" --quiet "$file" count 2>&1};
    is( $?, 0, 'pmat count exits 0' );
    my ($blessed_hashes) = $count =~ m/^\s+HASH\s+\d+\s+(\d+)\s/m;
    cmp_ok( $blessed_hashes // 0, '>=', 7, 'count shows at least the 7 blessed Widget hashes' );

    my $find = qx{"$pmat" --quiet "$file" find --count blessed Widget 2>&1};
    is( $?, 0, 'pmat find --count exits 0' );
    like( $find, qr/^Total: 7 SVs$/m, 'find --count blessed Widget finds the 7 objects' );
}

done_testing;
