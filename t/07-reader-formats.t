#!/usr/bin/perl
# cpmat on hand-built PMAT files in every layout the header flags allow:
# both byte orders, 4/8-byte UINT and PTR, double and x87 long double NV,
# format v0.6, v0.5, v0.4 and v0.1 (no extension/context size tables) --
# plus the records a perl-5.36 dump never holds (OBJECT, CLASS, META_STRUCT
# and C_STRUCT, a type the reader doesn't know, mortals).  v0.6 adds a HEK
# pointer to every hash entry, NAME_HEK to the GLOB and CODE headers, the
# PV_SHARED_HEK and MAGICv2 extensions and a mortal floor after a count of
# 0.  The same logical content must give the same dump whatever the layout.
use strict;
use warnings;
no warnings qw( portable );
use Test::More;
use File::Temp qw( tempdir );
use POSIX qw( frexp );

my $cpmat = $ENV{PMAT_CPMAT};
unless( defined $cpmat ) {
    ( $cpmat ) = grep { -x $_ } 'blib/script/cpmat', 'reader/cpmat';
}
plan skip_all => 'no cpmat built (run make, or set PMAT_CPMAT)'
    unless defined $cpmat and -x $cpmat;

my $dir = tempdir( 'reader-formats-XXXXXX', TMPDIR => 1, CLEANUP => 1 );

# ---- a tiny PMAT writer ------------------------------------------------------

my ( $BE, $U, $P, $LD, $MINOR, $MORTALS );
sub int_n {
    my ( $n, $v ) = @_;
    my $b = $n == 8 ? pack( 'Q<', $v ) : $n == 4 ? pack( 'L<', $v ) : $n == 2 ? pack( 'v', $v ) : pack( 'C', $v );
    return $BE ? scalar reverse $b : $b;
}
sub u8   { pack 'C', $_[0] }
sub u32  { int_n( 4, $_[0] ) }
sub uint { int_n( $U, $_[0] < 0 ? ( $U == 8 ? unpack( 'Q', pack 'q', $_[0] ) : $_[0] + 2**32 ) : $_[0] ) }
sub ptr  { int_n( $P, $_[0] ) }
sub str  { defined $_[0] ? uint( length $_[0] ) . $_[0] : uint( $U == 8 ? ~0 : 0xffffffff ) }
sub nv {
    my ( $v ) = @_;
    if( !$LD ) {
        my $b = pack 'd<', $v;
        return $BE ? scalar reverse $b : $b;
    }
    # x87 extended: sign+15-bit exponent, 64-bit mantissa with integer bit
    my ( $m, $e ) = frexp( abs $v );
    my ( $mant, $exp ) = $v == 0 ? ( 0, 0 ) : ( $m * 2**64, $e - 1 + 16383 );
    my $b = pack( 'Q<', $mant ) . pack( 'v', $exp | ( $v < 0 ? 0x8000 : 0 ) );
    return $BE ? scalar reverse $b : $b;
}
sub sizes { join '', map { pack 'C3', @$_ } @_ }

sub build {
    my $N = $LD ? 10 : 8;
    my $flags = ( $BE ? 1 : 0 ) | ( $U == 8 ? 2 : 0 ) | ( $P == 8 ? 4 : 0 ) | ( $LD ? 8 : 0 ) | 0x10;
    my $f = 'PMAT' . u8( $flags ) . u8( 0 ) . u8( 0 ) . u8( $MINOR ) . u32( 5 << 24 | 36 << 16 | 1 );
    my $v6 = $MINOR >= 6;
    my @types = (
        [ $P + 4 + $U, 1, 0 ],    # common
        [ $U + ( $v6 ? $P : 0 ), 8, 2 ],   # GLOB (+NAME_HEK)
        [ 1 + 2 * $U + $N, 1, 1 ],# SCALAR
        [ 1, 2, 0 ],              # REF
        [ $U + 1, 0, 0 ],         # ARRAY
        [ $U, 1, 0 ],             # HASH
        [ $U, 5, 1 ],             # STASH
        [ $U + 1 + $P + 4 + ( $v6 ? $P : 0 ), 5, 2 ],   # CODE (+NAME_HEK)
        [ 2 * $U, 3, 0 ],         # IO
        [ 1 + 2 * $U, 1, 0 ],     # LVALUE
        ( [ 0, 0, 0 ] ) x 6,      # REGEXP FORMAT INVLIST UNDEF YES NO
        [ $U, 0, 0 ],             # OBJECT
        [ $U, 6, 1 ],             # CLASS
        [ 3, 1, 1 ],              # 18: a type this reader doesn't know
    );
    $f .= u8( scalar @types ) . sizes( @types );
    if( $MINOR >= 4 ) {
        my @x = ( [ 2, 3, 0 ], [ 0, 1, 0 ], [ 0, 1, 0 ], [ 0, 1, 0 ], [ $U, 1, 0 ], [ 0, 2, 0 ],
                  [ 0, 1, 0 ], [ 0, 1, 1 ], [ 2 * $U, 0, 1 ] );
        push @x, [ $P, 0, 0 ], [ 4 + 2 * $U, 5, 0 ] if $v6;   # PV_SHARED_HEK, MAGICv2
        $f .= u8( scalar @x ) . sizes( @x );
    }
    if( $MINOR >= 2 ) {
        my @c = ( [ 1 + $U, 0, 1 ], [ 4, 2, 0 ], [ 0, 0, 0 ], [ 0, 1, 0 ] );
        $f .= u8( scalar @c ) . sizes( @c );
    }
    $f .= ptr( 0x1000 ) . ptr( 0x1008 ) . ptr( 0x1010 );                 # immortals
    $f .= u32( 2 ) . str( 'main_cv' ) . ptr( 0x2000 ) . str( 'defstash' ) . ptr( 0x2100 );
    $f .= uint( 2 ) . ptr( 0x3000 ) . ptr( 0x3008 );                     # stack

    my $common = sub { my ( $t, $addr, $rc, $size, $bl ) = @_;
                       u8( $t ) . ptr( $addr ) . u32( $rc ) . uint( $size ) . ptr( $bl // 0 ) };
    # a hash entry: KEY, [HEK,] VALUE
    my $entry = sub { my ( $k, $hek, $v ) = @_; str( $k ) . ( $v6 ? ptr( $hek ) : '' ) . ptr( $v ) };
    # SCALARs: IV+NV+PV, a UV, a NULL PV
    $f .= $common->( 2, 0x4000, 1, 40 ) . u8( 0x0d ) . uint( -5 ) . nv( 1.5 ) . uint( 3 )
        . ptr( 0 ) . str( "h\"\n" );
    $f .= $common->( 2, 0x4010, 2, 24 ) . u8( 0x03 ) . uint( 4000000000 ) . nv( 0 ) . uint( 0 )
        . ptr( 0x77 ) . str( undef );
    $f .= $common->( 2, 0x4018, 1, 24 ) . u8( 0x1c ) . uint( 0 ) . nv( -0.25 ) . uint( 2 )
        . ptr( 0 ) . str( "\xc3\xa9" );
    $f .= $common->( 3, 0x4020, 1, 24, 0x2100 ) . u8( 1 ) . ptr( 0x4000 ) . ptr( 0 );
    $f .= $common->( 1, 0x4030, 1, 64 ) . uint( 12 ) . ( $v6 ? ptr( 0x9030 ) : '' )
        . join( '', map { ptr( 0x5000 + $_ ) } 0 .. 7 )
        . str( 'foo' ) . str( 'x.pl' );
    $f .= $common->( 4, 0x4040, 1, 48 ) . uint( 2 ) . u8( 1 ) . ptr( 0x4000 ) . ptr( 0 );
    $f .= $common->( 5, 0x4050, 1, 80 ) . uint( 2 ) . ptr( 0x4058 )
        . $entry->( 'k1', 0x9100, 0x4000 ) . $entry->( "\0", 0x9108, 0x4010 );
    $f .= $common->( 6, 0x2100, 3, 99 ) . uint( 1 ) . ptr( 0 ) . ptr( 1 ) . ptr( 2 ) . ptr( 3 )
        . ptr( 4 ) . str( 'main' ) . $entry->( 'x', 0x9110, 0x4030 );
    $f .= $common->( 7, 0x2000, 2, 128 ) . uint( 7 ) . u8( 0x21 ) . ptr( 0xabc ) . u32( 1 )
        . ( $v6 ? ptr( 0x9200 ) : '' ) . ptr( 0x2100 ) . ptr( 0x4030 ) . ptr( 0 ) . ptr( 0x6000 ) . ptr( 0 )
        . str( 'x.pl' ) . str( 'foo' )
        . u8( 1 ) . ptr( 0x4000 ) . u8( 2 ) . uint( 3 ) . u8( 3 ) . ptr( 0x4030 ) . u8( 4 ) . uint( 4 )
        . u8( 7 ) . ptr( 0x6100 ) . u8( 5 ) . uint( 1 ) . str( '$x' ) . ptr( 0 )
        . u8( 5 ) . uint( 2 ) . str( '@y' ) . ptr( 0x2100 ) . u8( 9 ) . uint( 1 ) . u8( 0x10 )
        . u8( 6 ) . uint( 1 ) . uint( 1 ) . ptr( 0x99 )
        . u8( 10 ) . uint( 2 ) . uint( 0 ) . ptr( 0x2100 )
        . u8( 8 ) . uint( 1 ) . ptr( 0x6200 ) . u8( 0 );
    $f .= $common->( 8, 0x4060, 1, 160, 0x2100 ) . uint( 0 ) . uint( -1 ) . ptr( 1 ) . ptr( 0 ) . ptr( 2 );
    $f .= $common->( 9, 0x4070, 1, 48 ) . u8( ord 'x' ) . uint( 2 ) . uint( 5 ) . ptr( 0x4000 );
    $f .= $common->( 13, 0x1000, 0x7fffffff, 24 ) . $common->( 12, 0x4080, 1, 24 );
    $f .= $common->( 16, 0x4090, 1, 32, 0x40a0 ) . uint( 2 ) . ptr( 0x4000 ) . ptr( 0x4010 );
    $f .= $common->( 17, 0x40a0, 1, 99 ) . uint( 0 ) . ptr( 0 ) . ptr( 0 ) . ptr( 0 ) . ptr( 0 )
        . ptr( 0 ) . ptr( 0x40b0 ) . str( 'Pt' )
        . u8( 1 ) . uint( 0 ) . str( '$x' ) . u8( 1 ) . uint( 1 ) . str( '$y' ) . u8( 0 );
    if( $v6 ) {   # a CLASS with an entry: its HEK comes before the field records
        $f .= $common->( 17, 0x40e0, 1, 77 ) . uint( 1 ) . ptr( 0 ) . ptr( 0 ) . ptr( 0 ) . ptr( 0 )
            . ptr( 0 ) . ptr( 0 ) . str( 'Q' ) . $entry->( 'new', 0x9118, 0x2000 )
            . u8( 1 ) . uint( 0 ) . str( '$z' ) . u8( 0 );
    }
    $f .= $common->( 18, 0x40c0, 1, 8 ) . "\x01\x02\xff" . ptr( 0x4000 ) . str( 'odd' );
    if( $MINOR >= 4 ) {
        $f .= u8( 0x80 ) . ptr( 0x4000 ) . u8( ord 'q' ) . u8( 3 ) . ptr( 0x10 ) . ptr( 0x20 ) . ptr( 0x30 );
        $f .= u8( 0x84 ) . ptr( 0x4040 ) . uint( 1 ) . ptr( 0x4010 );
        $f .= u8( 0x85 ) . ptr( 0x4050 ) . ptr( 0x4000 ) . ptr( 0x4010 );
        $f .= u8( 0x87 ) . ptr( 0x4000 ) . ptr( 0x4010 ) . str( 'note' );
        $f .= u8( 0x88 ) . ptr( 0x4000 ) . uint( 42 ) . uint( 7 ) . str( 'x.pl' );
        $f .= u8( 0xF0 ) . uint( 1 ) . uint( 3 ) . str( 'PerlIO' ) . str( 'next' ) . u8( 0 )
            . str( 'flags' ) . u8( 3 ) . str( 'fd' ) . u8( 4 );
        $f .= $common->( 0x7F, 0x40d0, 0, 0, 1 ) . ptr( 0x40d8 ) . u32( 0x101 ) . uint( 9 );
    }
    else {
        $f .= u8( 0x80 ) . ptr( 0x4000 ) . u8( ord 'q' ) . u8( 3 ) . ptr( 0x10 ) . ptr( 0x20 );
    }
    if( $v6 ) {
        $f .= u8( 0x89 ) . ptr( 0x4018 ) . ptr( 0x9300 );
        # MAGICv2: shape, flags (WEAK_AUXSV|HAS_KEYIV), PRIV in the file's
        # byte order, PTRLEN, KEYIV; FUNCS AUXSV PTR KEYSV USERSTRUCT
        $f .= u8( 0x8A ) . ptr( 0x4000 ) . u8( 7 ) . u8( 3 ) . int_n( 2, 0x1234 ) . uint( 16 ) . uint( -2 )
            . ptr( 0x7100 ) . ptr( 0x4010 ) . ptr( 0x7200 ) . ptr( 0x4018 ) . ptr( 0x40d0 );
    }
    $f .= u8( 0 );
    # contexts
    if( $MINOR >= 2 ) {
        $f .= u8( 1 ) . u8( 1 ) . uint( 10 ) . str( 'x.pl' ) . u32( 0 ) . ptr( 0x2000 ) . ptr( 0x4040 );
        $f .= u8( 2 ) . u8( 0 ) . uint( 11 ) . str( 'x.pl' );
        $f .= u8( 3 ) . u8( 2 ) . uint( 12 ) . str( undef ) . ptr( 0x4000 );
    }
    else {
        $f .= u8( 1 ) . u8( 1 ) . str( 'x.pl' ) . uint( 10 ) . ptr( 0x2000 ) . ptr( 0x4040 );
        $f .= u8( 2 ) . u8( 0 ) . str( 'x.pl' ) . uint( 11 );
        $f .= u8( 3 ) . u8( 2 ) . str( undef ) . uint( 12 ) . ptr( 0x4000 );
    }
    $f .= u8( 0 );
    if( defined $MORTALS ) { $f .= $MORTALS->() }
    elsif( $v6 ) { $f .= uint( 2 ) . ptr( 0x4000 ) . ptr( 0x4010 ) . uint( 5 ) }   # mortals
    elsif( $MINOR >= 4 ) { $f .= uint( 1 ) . ptr( 0x4000 ) . uint( 3 ) }
    return $f;
}

my $expect_common = <<'EOD';
IMMORTAL undef 0x1000
IMMORTAL yes 0x1008
IMMORTAL no 0x1010
ROOT main_cv 0x2000
ROOT defstash 0x2100
STACK 0 0x3000
STACK 1 0x3008
SV 0x4000 SCALAR refcnt=1 size=40 blessed=0x0 flags=0x0d iv=-5 nv=1.5 pvlen=3 pv="h\"\n" utf8=0 ourstash=0x0
SV 0x4010 SCALAR refcnt=2 size=24 blessed=0x0 flags=0x03 uv=4000000000 ourstash=0x77
SV 0x4018 SCALAR refcnt=1 size=24 blessed=0x0 flags=0x1c nv=-0.25 pvlen=2 pv="\xc3\xa9" utf8=1 ourstash=0x0
SV 0x4020 REF refcnt=1 size=24 blessed=0x2100 rv=0x4000 weak=1 ourstash=0x0
SV 0x4030 GLOB refcnt=1 size=64 blessed=0x0 line=12 stash=0x5000 scalar=0x5001 array=0x5002 hash=0x5003 code=0x5004 egv=0x5005 io=0x5006 form=0x5007 name="foo" file="x.pl"
SV 0x4040 ARRAY refcnt=1 size=48 blessed=0x0 n=2 unreal=1 elems=[0x4000,0x0]
SV 0x4050 HASH refcnt=1 size=80 blessed=0x0 n=2 backrefs=0x4058 values={"k1":0x4000,"\x00":0x4010}
SV 0x2100 STASH refcnt=3 size=99 blessed=0x0 n=1 backrefs=0x0 values={"x":0x4030} mro_linear_all=0x1 mro_linear_current=0x2 mro_nextmethod=0x3 mro_isa=0x4 name="main"
SV 0x2000 CODE refcnt=2 size=128 blessed=0x0 line=7 flags=0x21 oproot=0xabc depth=1 stash=0x2100 glob=0x4030 outside=0x0 padlist=0x6000 constval=0x0 file="x.pl" name="foo" padnames_av=0x6100 consts=[0x4000] constix=[3] gvs=[0x4030] gvix=[4] pads=[1:0x6200] padnames=[1:"$x",2:"@y"] padflags=[1:0x10] padourstash=[2:0x2100] padfields=[2:0] padfieldstash=[2:0x2100]
SV 0x4060 IO refcnt=1 size=160 blessed=0x2100 ifileno=0 ofileno=-1 top=0x1 format=0x0 bottom=0x2
SV 0x4070 LVALUE refcnt=1 size=48 blessed=0x0 lvtype="x" off=2 len=5 targ=0x4000
SV 0x1000 UNDEF refcnt=2147483647 size=24 blessed=0x0
SV 0x4080 INVLIST refcnt=1 size=24 blessed=0x0
SV 0x4090 OBJECT refcnt=1 size=32 blessed=0x40a0 n=2 fields=[0x4000,0x4010]
SV 0x40a0 CLASS refcnt=1 size=99 blessed=0x0 n=0 backrefs=0x0 values={} mro_linear_all=0x0 mro_linear_current=0x0 mro_nextmethod=0x0 mro_isa=0x0 name="Pt" adjust_blocks=0x40b0 fields=[0:"$x",1:"$y"]
SV 0x40c0 TYPE18 refcnt=1 size=8 blessed=0x0 bytes=0102ff ptrs=[0x4000] strs=["odd"]
EOD

my $expect_v4 = <<'EOD';
MAGIC 0x4000 type="q" flags=3 obj=0x10 ptr=0x20 vtbl=0x30
SAVED_AELEM 0x4040 index=1 sv=0x4010
SAVED_HELEM 0x4050 key=0x4000 sv=0x4010
SVSV_NOTE 0x4000 sv=0x4010 name="note"
DEBUGREPORT 0x4000 serial=42 line=7 file="x.pl"
META_STRUCT id=1 name="PerlIO" fields=["next":0,"flags":3,"fd":4]
SV 0x40d0 C_STRUCT refcnt=0 size=0 blessed=0x1 struct=1 structname="PerlIO" fields=["next":0x40d8,"flags":257,"fd":9]
CTX 0 SUB gimme=1 line=10 file="x.pl" olddepth=0 cv=0x2000 args=0x4040
CTX 1 TRY gimme=0 line=11 file="x.pl"
CTX 2 EVAL gimme=2 line=12 file=undef codesv=0x4000
EOD
my $expect_mortals_v4 = "MORTAL 0 0x4000\nMORTAL_FLOOR 3\n";

# v0.6: the same records with their HEKs, one more CLASS, the two new
# extensions, two mortals
sub expect_v6 {
    my ( $common ) = @_;
    $common =~ s/^(SV 0x4030 GLOB .*)$/$1 name_hek=0x9030/m;
    $common =~ s/^(SV 0x4050 HASH .*values=\{[^}]*\})/$1 heks={"k1":0x9100,"\\x00":0x9108}/m;
    $common =~ s/^(SV 0x2100 STASH .*values=\{[^}]*\})/$1 heks={"x":0x9110}/m;
    $common =~ s/^(SV 0x40a0 CLASS .*values=\{\})/$1 heks={}/m;
    $common =~ s/^(SV 0x2000 CODE .* name="foo")/$1 name_hek=0x9200/m;
    $common =~ s/^(SV 0x40c0 TYPE18 .*\n)/SV 0x40e0 CLASS refcnt=1 size=77 blessed=0x0 n=1 backrefs=0x0 values={"new":0x2000} heks={"new":0x9118} mro_linear_all=0x0 mro_linear_current=0x0 mro_nextmethod=0x0 mro_isa=0x0 name="Q" adjust_blocks=0x0 fields=[0:"\$z"]\n$1/m;
    return $common;
}
my $expect_v6_ext = <<'EOD';
PV_SHARED_HEK 0x4018 hek=0x9300
MAGICv2 0x4000 shape=7 flags=3 priv=4660 ptrlen=16 keyiv=KEYIV funcs=0x7100 auxsv=0x4010 ptr=0x7200 keysv=0x4018 userstruct=0x40d0
EOD
my $expect_mortals_v6 = "MORTAL 0 0x4000\nMORTAL 1 0x4010\nMORTAL_FLOOR 5\n";

my $expect_v1 = <<'EOD';
MAGIC 0x4000 type="q" flags=3 obj=0x10 ptr=0x20 vtbl=0x0
CTX 0 SUB gimme=1 line=10 file="x.pl" olddepth=-1 cv=0x2000 args=0x4040
CTX 1 TRY gimme=0 line=11 file="x.pl"
CTX 2 EVAL gimme=2 line=12 file=undef codesv=0x4000
EOD

sub run_cpmat {
    my ( $file, $cmd ) = @_;
    open my $fh, '-|', $cpmat, $file, $cmd or die "cpmat: $!";
    local $/;
    my $out = <$fh>;
    close $fh;
    return ( $? >> 8, $out );
}

for my $minor ( 6, 5, 4, 1 ) {
    for my $be ( 0, 1 ) {
        for my $u ( 8, 4 ) {
            for my $p ( 8, 4 ) {
                for my $ld ( 0, 1 ) {
                    ( $BE, $U, $P, $LD, $MINOR ) = ( $be, $u, $p, $ld, $minor );
                    my $name = sprintf 'v0.%d %s uint=%d ptr=%d nv=%d', $minor,
                        $be ? 'big' : 'little', $u, $p, $ld ? 10 : 8;
                    my $file = "$dir/f.pmat";
                    open my $fh, '>:raw', $file or die;
                    print $fh build();
                    close $fh;
                    system( "cp", $file, "$ENV{PMAT_T07_KEEP}/" . join( "-", $minor, $be, $u, $p, $ld ) . ".pmat" ) if $ENV{PMAT_T07_KEEP};
                    my ( $rc, $out ) = run_cpmat( $file, 'dump' );
                    my $flags = sprintf '0x%02x', ( $be ? 1 : 0 ) | ( $u == 8 ? 2 : 0 )
                        | ( $p == 8 ? 4 : 0 ) | ( $ld ? 8 : 0 ) | 0x10;
                    my $head = sprintf "HEADER perl=5.36.1 format=0.%d flags=%s endian=%s uint=%d ptr=%d nv=%d ithreads=1\n",
                        $minor, $flags, $be ? 'big' : 'little', $u, $p, $ld ? 10 : 8;
                    my $want;
                    if( $minor >= 6 ) {
                        # the C_STRUCT record comes before the new extensions,
                        # the contexts after them
                        my ( $x4a, $x4b ) = $expect_v4 =~ m/\A(.*?^SV 0x40d0[^\n]*\n)(.*)\z/ms or die;
                        ( my $x6 = $expect_v6_ext ) =~ s/KEYIV/$u == 8 ? '18446744073709551614' : '4294967294'/e;
                        $want = $head . expect_v6( $expect_common ) . $x4a . $x6 . $x4b . $expect_mortals_v6;
                    }
                    else {
                        $want = $head . $expect_common
                            . ( $minor >= 4 ? $expect_v4 . $expect_mortals_v4 : $expect_v1 );
                    }
                    if( $u == 4 ) {   # a 4-byte UINT holds the UV as-is
                        $want =~ s/uv=4000000000/uv=4000000000/;
                    }
                    is( $rc, 0, "$name: exit 0" );
                    is( $out, $want, "$name: dump" );
                    ( $rc, $out ) = run_cpmat( $file, 'info' );
                    like( $out, qr/^svs @{[ $minor >= 6 ? 18 : $minor >= 4 ? 17 : 16 ]}$/m, "$name: info counts SVs" );
                    like( $out, qr/^mortals @{[ $minor >= 6 ? 2 : $minor >= 4 ? 1 : 0 ]}$/m, "$name: mortals" );
                }
            }
        }
    }
}

# The mortals section's ends: Devel::MAT reads a FLOOR only after a count
# above 0, the v0.6 format writes one after a count of 0 too; files of
# older dumpers end with the contexts.
( $BE, $U, $P, $LD, $MINOR ) = ( 0, 8, 8, 0, 6 );
for my $case (
    [ 'count 0, then the floor', sub { uint( 0 ) . uint( 9 ) }, "MORTAL_FLOOR 9\n", qr/^mortals 0$/m ],
    [ 'count 0, no floor',       sub { uint( 0 ) },             "",                 qr/^mortals 0$/m ],
    [ 'no mortals section',      sub { '' },                    "",                 qr/ mortals=0 /  ],
    [ 'a count, PTRs, floor 0',  sub { uint( 1 ) . ptr( 0x4010 ) . uint( 0 ) },
      "MORTAL 0 0x4010\nMORTAL_FLOOR 0\n", qr/^mortals 1$/m ],
) {
    my ( $name, $tail, $want, $info_re ) = @$case;
    $MORTALS = $tail;
    my $file = "$dir/m.pmat";
    open my $fh, '>:raw', $file or die;
    print $fh build();
    close $fh;
    my ( $rc, $out ) = run_cpmat( $file, 'dump' );
    is( $rc, 0, "v0.6 mortals, $name: exit 0" );
    my ( $tailout ) = $out =~ m/^CTX 2 [^\n]*\n(.*)\z/ms;
    is( $tailout, $want, "v0.6 mortals, $name: dumped" );
    ( $rc, $out ) = run_cpmat( $file, 'info' );
    like( $out, $info_re, "v0.6 mortals, $name: info" );
    $MORTALS = undef;
}
{
    # a count of 0 then two UINTs is not a floor: trailing bytes, ignored as before
    $MORTALS = sub { uint( 0 ) . uint( 9 ) . uint( 9 ) };
    my $file = "$dir/m.pmat";
    open my $fh, '>:raw', $file or die;
    print $fh build();
    close $fh;
    my ( $rc, $out ) = run_cpmat( $file, 'dump' );
    unlike( $out, qr/^MORTAL/m, 'v0.6 mortals: a count of 0 and 16 more bytes has no floor' );
    $MORTALS = undef;
}

done_testing;
