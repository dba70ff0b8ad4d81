#!/usr/bin/perl
# Plain scalars: each kind of SCALAR the dumper writes, checked field by field
# through `cpmat dump` at the scalar's own address.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use PMATTest;
use Scalar::Util qw(dualvar);

my $iv_neg  = -42;
my $iv_pos  = 1234567;
my $uv_big  = ~0;                          # > IV_MAX: stored as a UV
my $nv      = 3.25;
my $nv_frac = 0.1;
my $pv      = "hello world";
my $utf8    = "caf\x{e9} \x{263a}";        # characters; dumped as UTF-8 bytes
my $bin     = "a\0b\0\xff\n\"\\\x7f\t";    # every kind of escape
my $long    = join '', map { chr( 65 + $_ % 26 ) } 0 .. 999;
my $undef;
my $yes     = !!1;
my $no      = !!0;
my $dual    = dualvar( 5, "five" );
my $shared  = "shared";
my @three   = ( \$shared, \$shared );       # + the pad: refcnt 3

my $utf8_bytes = $utf8;
utf8::encode($utf8_bytes);

my %addr = (
    iv_neg => addr_of( \$iv_neg ), iv_pos => addr_of( \$iv_pos ), uv_big => addr_of( \$uv_big ),
    nv     => addr_of( \$nv ),     nv_frac => addr_of( \$nv_frac ), pv => addr_of( \$pv ),
    utf8   => addr_of( \$utf8 ),   bin => addr_of( \$bin ), long => addr_of( \$long ),
    undef  => addr_of( \$undef ),  yes => addr_of( \$yes ), no => addr_of( \$no ),
    dual   => addr_of( \$dual ),   shared => addr_of( \$shared ),
);

# Take every dump before parsing any: a parsed dump is a big Perl structure
# that would otherwise end up in (and slow down) the later dumps.
my $path = dump_self();
my $path_all = do { local $Devel::MAT::Dumper::MAX_STRING = -1; dump_self() };
my $path_10  = do { local $Devel::MAT::Dumper::MAX_STRING = 10; dump_self() };
my $path_0   = do { local $Devel::MAT::Dumper::MAX_STRING = 0; dump_self() };
my ( $path_fh, $path_pre ) = ( PMATTest::fresh_path(), PMATTest::fresh_path() );
{
    open( my $fh, '>', $path_fh ) or die "open $path_fh: $!";
    binmode $fh;
    Devel::MAT::Dumper::dump($path_pre);    # back to back: the same heap
    Devel::MAT::Dumper::dumpfh($fh);
    close $fh or die "close $path_fh: $!";
}
# dumpfh onto a pipe: not seekable, written front to back.
my $path_pipe = PMATTest::fresh_path();
{
    open( my $fh, '|-', "cat > '$path_pipe'" ) or die "open pipe: $!";
    Devel::MAT::Dumper::dumpfh($fh);
    close $fh or die "close pipe: $! $?";
}
my $unwritable_err = do {
    my $dir = PMATTest::fresh_path() . '.no-such-dir';
    eval { Devel::MAT::Dumper::dump("$dir/x.pmat"); 1 } ? '' : $@;
};

my $d = cpmat_dump($path);

sub sv_ok
{
    my ( $name, $type ) = @_;
    my $sv = sv_at( $d, $addr{$name} );
    ok( $sv, "$name: an SV is dumped at its address $addr{$name}" ) or return {};
    is( $sv->{type}, $type, "$name: type $type" );
    is( $sv->{blessed}, '0x0', "$name: not blessed" );
    return $sv;
}

{
    my $sv = sv_ok( iv_neg => 'SCALAR' );
    is( hex( $sv->{flags} // 0 ) & 0x1f, 0x01, 'iv_neg: flags = IV only' );
    is( $sv->{iv}, -42, 'iv_neg: iv=-42' );
    ok( !exists $sv->{uv} && !exists $sv->{pv} && !exists $sv->{nv}, 'iv_neg: no uv/pv/nv fields' );
    is( $sv->{refcnt}, 1, 'iv_neg: refcnt 1 (the pad)' );
}
{
    my $sv = sv_ok( iv_pos => 'SCALAR' );
    is( $sv->{iv}, 1234567, 'iv_pos: iv' );
}
{
    my $sv = sv_ok( uv_big => 'SCALAR' );
    is( hex( $sv->{flags} // 0 ) & 0x03, 0x03, 'uv_big: flags has IV and IV-is-UV' );
    is( $sv->{uv}, "$uv_big", "uv_big: uv=$uv_big" );
    ok( !exists $sv->{iv}, 'uv_big: printed as uv, not iv' );
}
{
    my $sv = sv_ok( nv => 'SCALAR' );
    is( hex( $sv->{flags} // 0 ) & 0x1f, 0x04, 'nv: flags = NV only' );
    cmp_ok( $sv->{nv}, '==', 3.25, 'nv: nv=3.25' );
    $sv = sv_ok( nv_frac => 'SCALAR' );
    is( $sv->{nv}, sprintf( '%.17g', 0.1 ), 'nv_frac: 0.1 printed with all 17 digits' );
    cmp_ok( $sv->{nv}, '==', $nv_frac, 'nv_frac: round-trips exactly' );
}
{
    my $sv = sv_ok( pv => 'SCALAR' );
    is( hex( $sv->{flags} // 0 ) & 0x1f, 0x08, 'pv: flags = PV only' );
    is( $sv->{pv}, 'hello world', 'pv: bytes' );
    is( $sv->{pvlen}, 11, 'pv: pvlen' );
    is( $sv->{utf8}, 0, 'pv: not utf8' );
}
{
    my $sv = sv_ok( utf8 => 'SCALAR' );
    is( hex( $sv->{flags} // 0 ) & 0x18, 0x18, 'utf8: flags = PV + UTF8' );
    is( $sv->{utf8}, 1, 'utf8: utf8=1' );
    is( $sv->{pv}, $utf8_bytes, 'utf8: pv is the UTF-8 encoded bytes' );
    is( $sv->{pvlen}, length $utf8_bytes, 'utf8: pvlen counts bytes, not characters' );
}
{
    my $sv = sv_ok( bin => 'SCALAR' );
    is( $sv->{pv}, $bin, 'bin: NULs, high bytes and escapes survive' );
    is( $sv->{pvlen}, length $bin, 'bin: pvlen' );
}
{
    my $sv = sv_ok( long => 'SCALAR' );
    is( $sv->{pvlen}, 1000, 'long: pvlen=1000 (the real length)' );
    is( $sv->{pv}, substr( $long, 0, 256 ), 'long: pv cut to MAX_STRING=256 bytes' );
    cmp_ok( $sv->{size}, '>=', 1000, 'long: size includes the 1000-byte buffer' );
}
{
    my $d2 = cpmat_dump($path_all);
    my $sv = sv_at( $d2, $addr{long} ) // {};
    is( $sv->{pv}, $long, 'long: MAX_STRING=-1 writes the whole string' );
    is( $sv->{pvlen}, 1000, 'long: MAX_STRING=-1 pvlen' );
}
{
    my $d2 = cpmat_dump($path_10);
    my $sv = sv_at( $d2, $addr{long} ) // {};
    is( $sv->{pv}, substr( $long, 0, 10 ), 'long: MAX_STRING=10 writes 10 bytes' );
    is( $sv->{pvlen}, 1000, 'long: MAX_STRING=10 still has pvlen 1000' );
    $sv = sv_at( $d2, $addr{pv} ) // {};
    is( $sv->{pv}, 'hello worl', 'pv: MAX_STRING=10 cuts an 11-byte string too' );
}
{
    my $d2 = cpmat_dump($path_0);
    my $sv = sv_at( $d2, $addr{long} ) // {};
    is( $sv->{pv}, '', 'long: MAX_STRING=0 writes no bytes' );
    is( $sv->{pvlen}, 1000, 'long: MAX_STRING=0 still has pvlen 1000' );
}
{
    my $d2 = cpmat_dump($path_fh);
    my $sv = sv_at( $d2, $addr{utf8} ) // {};
    is( $sv->{pv}, $utf8_bytes, 'dumpfh: writes a complete dump (a UTF-8 scalar found in it)' );
    is( ( sv_at( $d2, $addr{iv_neg} ) // {} )->{iv}, -42, 'dumpfh: iv_neg in it' );
    my $dp = cpmat_dump($path_pre);
    is( $d2->{nsv}, $dp->{nsv}, 'dumpfh: as many SVs as dump() wrote just before' );
    is_deeply( $d2->{count}, $dp->{count}, 'dumpfh: the same per-type counts as dump()' );
}
like( $unwritable_err, qr/^Cannot write heap dump to \S+x\.pmat - cannot create a temporary file: No such file or directory/, 'dump() to a missing directory dies, naming the path and why' );
{
    sv_ok( undef => 'UNDEF' );
}
{
    # A copy of !!1 keeps its boolean-ness from 5.36 on (a static PV
    # pointing at PL_Yes); before, it is a plain dualvar scalar.
    my $sv = sv_ok( yes => $] >= 5.036 ? 'YES' : 'SCALAR' );
    $sv = sv_ok( no => $] >= 5.036 ? 'NO' : 'SCALAR' );
}
{
    my $sv = sv_ok( dual => 'SCALAR' );
    is( hex( $sv->{flags} // 0 ) & 0x0f, 0x09, 'dual: flags IV + PV' );
    is( $sv->{iv}, 5, 'dual: iv=5' );
    is( $sv->{pv}, 'five', 'dual: pv=five' );
}
{
    my $sv = sv_ok( shared => 'SCALAR' );
    is( $sv->{refcnt}, 3, 'shared: refcnt 3 (pad + two refs)' );
    # the two REFs in @three point at it
    my @refs = grep { $_->{type} eq 'REF' && $_->{rv} eq $addr{shared} } values %{ $d->{svs} };
    is( scalar @refs, 2, 'shared: two REF SVs point at it' );
}

# The immortals are not arena SVs of this process's heap walk but the file
# names them; they must differ from each other.
{
    my %im = %{ $d->{immortals} };
    is( scalar( grep { defined && /^0x[0-9a-f]+$/ && $_ ne '0x0' } @im{qw(undef yes no)} ), 3, 'three immortals named' );
    is( $im{undef}, addr_of( \undef ), 'IMMORTAL undef is &PL_sv_undef' );
    is( $im{yes}, addr_of( \!!1 ), 'IMMORTAL yes is &PL_sv_yes' );
    is( $im{no}, addr_of( \!!0 ), 'IMMORTAL no is &PL_sv_no' );
}

{
    my $dpipe = cpmat_dump($path_pipe);
    is( ( sv_at( $dpipe, $addr{utf8} ) // {} )->{pv}, $utf8_bytes, 'dumpfh to a pipe: a complete dump' );
}

# PL_sv_zero (5.28+) has no slot in the header, so it is written as a record:
# the one immortal (refcount SvREFCNT_IMMORTAL) SCALAR holding 0.
SKIP: {
    skip 'PL_sv_zero exists from perl 5.28', 3 if $] < 5.028;
    # A DEBUGGING perl sets immortals' refcounts to 1000 (SvREFCNT_IMMORTAL,
    # so that its resurrection code runs), others to 2**31-1.
    require Config;
    my $immortal = ( $Config::Config{ccflags} =~ /-DDEBUGGING\b/ ) ? 500 : 2**31 - 1;
    my @zero = grep { $_->{type} eq 'SCALAR' && $_->{refcnt} >= $immortal && defined $_->{iv} && $_->{iv} == 0 }
        values %{ $d->{svs} };
    is( scalar @zero, 1, 'one record for the immortal zero' );
    is( $zero[0]{pv}, '0', 'its string is "0"' );
    ok( !grep( { $_ eq ( $zero[0]{addr} // '' ) } values %{ $d->{immortals} } ), 'and it is not one of the three header immortals' );
}

done_testing;
