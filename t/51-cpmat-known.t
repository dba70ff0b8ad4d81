#!/usr/bin/perl
# cpmat's pmat commands on a dump of known structures, checked without
# Devel::MAT: counts, find, identify paths (and "not found" for an object
# held only by an unexplained refcount), show/outrefs/inrefs/size; bad
# arguments and bad files give one line on stderr and exit status 2.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use CpmatTest;

my $cpmat = find_cpmat() or plan skip_all => 'no cpmat built (run make, or set PMAT_CPMAT)';
my $file = make_dump('known') or plan skip_all => 'cannot write a dump with Devel::MAT::Dumper';

sub cp { my ( $rc, $out, $err ) = run_cpmat( $cpmat, '--quiet', $file, @_ ); return wantarray ? ( $rc, $out, $err ) : $out }

# ---- banner / summary / count --------------------------------------------
my ( $rc, $out ) = run_cpmat( $cpmat, $file, 'summary' );
is( $rc, 0, 'summary exits 0' );
like( $out, qr/\APerl memory dumpfile from perl 5\.\d+\.\d+ (?:non-)?threaded\nHeap contains (\d+) objects\n/,
      'banner: the two pmat lines' );
my ( $nsv ) = $out =~ m/Heap contains (\d+) objects/;
my @lines = split /\n/, $out;
is( scalar @lines, 4, 'summary without --quiet: banner + summary' );
is( cp('summary'), join( "\n", @lines[0, 1] ) . "\n", '--quiet summary is the two lines once' );

( $rc, $out ) = run_cpmat( $cpmat, $file, 'info' );
unlike( $out, qr/Perl memory dumpfile/, 'info never prints the banner' );
like( $out, qr/^svs $nsv$/m, 'info counts the same SVs' );

$out = cp('count');
like( $out, qr/^  Kind\s+Count \(blessed\)\s+Bytes \(blessed\)$/m, 'count heading' );
like( $out, qr/^  \(total\)\s+$nsv\s+\d+\s+\S+ (?:bytes|KiB|MiB)/m, 'count total row = heap size' );
like( $out, qr/^  HASH\s+\d+\s+\d+/m, 'count has HASH with blessed ones' );
like( cp( 'count', '--blessed' ), qr/^      Foo\s+0\s+7\s+0 bytes\s+\S+/m, 'count --blessed: 7 Foo' );

# ---- find ---------------------------------------------------------------------
is( cp( 'find', '--count', 'blessed', 'Foo' ), "Total: 7 SVs\n", 'find --count blessed Foo = 7' );
is( cp( 'find', '-C', 'blessed', 'Leaked' ), "Total: 1 SVs\n", 'the leaked object is in the heap' );
my @foo = grep { length } split /\n/, cp( 'find', 'blessed', 'Foo' );
is( scalar @foo, 7, 'find blessed Foo lists 7' );
like( $_, qr/^HASH\(1\)=Foo at 0x[0-9a-f]+: Foo$/, 'find blessed line format' ) for $foo[0];
like( cp( 'find', 'pv', '--eq', 'hello world' ), qr/^SCALAR\(PV\) at 0x[0-9a-f]+: "hello world"$/m, 'find pv --eq' );
like( cp( 'find', 'num', '--nv' ), qr/: 3\.5$/m, 'find num --nv' );
like( cp( 'find', 'num', '--iv', '-42' ), qr/^SCALAR\(IV\) at 0x[0-9a-f]+: -42$/m, 'find num: IVs signed as perl had them' );
like( cp( 'find', 'lexical', '$lexvar' ),
      qr/^REF\(\) at 0x[0-9a-f]+: \$lexvar at depth 1 of CODE\(PP\) at 0x[0-9a-f]+$/m, 'find lexical' );
like( cp( 'find', 'cv', '--package', 'Foo' ), qr/^CODE\(PP\) at 0x[0-9a-f]+: &Foo::new$/m, 'find cv --package' );

# ---- identify --------------------------------------------------------------------
my ( $leak ) = cp( 'find', 'blessed', 'Leaked' ) =~ m/ at (0x[0-9a-f]+)/;
like( cp( 'identify', $leak ), qr/\AHASH\(1\)=Leaked at $leak is:\n└─not found\n\z/,
      'identify: an object held only by an invisible refcount is not found' );

my ( $top ) = cp( 'show', '%main::TOP' ) =~ m/ at (0x[0-9a-f]+)/;
my ( $inner_ref ) = cp( 'values', '%main::TOP' ) =~ m/REF\(\) at (0x[0-9a-f]+)/;
my $nested;
for my $f (@foo) {
    my ( $a ) = $f =~ m/ at (0x[0-9a-f]+)/;
    my $id = cp( 'identify', $a );
    $nested = $id if $id =~ m/value \{inner\}/;
}
ok( defined $nested, 'one Foo is nested in %TOP' );
like( $nested // '', qr/^└─\(via RV\) element \[1\] of ARRAY\(2\) at 0x[0-9a-f]+, which is:$/m,
      'identify names the element' );
like( $nested // '', qr/^  └─\(via RV\) value \{inner\} of HASH\(1\) at 0x[0-9a-f]+, which is:$/m,
      'identify names the inner hash value' );
like( $nested // '', qr/^    └─\(via RV\) value \{outer\} of HASH\(1\) at $top, which is:$/m,
      'identify names the outer hash value' );
like( $nested // '', qr/^      └─the symbol '%main::TOP'$/m, 'identify ends at the symbol' );

my ( $lex ) = cp( 'find', 'lexical', '$lexvar' ) =~ m/ at (0x[0-9a-f]+)/;
like( cp( 'identify', $lex ), qr/the lexical \$lexvar at depth 1 of CODE\(PP\) at 0x[0-9a-f]+, which is:/,
      'identify of a lexical' );
like( cp( 'identify', 'main_cv' ), qr/\A\S+ at 0x[0-9a-f]+=main_cv is:\n└─the main code\n/, 'identify main_cv' );
like( cp( 'identify', '--depth', '0', $lex ), qr/└─not found at this depth$/m, 'identify --depth 0' );

# ---- show / outrefs / inrefs / size / elems / values ---------------------------
like( cp( 'show', $top ), qr/\AHASH\(1\) at $top with refcount 1\n  size \d+ bytes\n  named as %main::TOP\n  1 values/,
      'show of a hash' );
like( cp( 'outrefs', $top ), qr/^s  value \{outer\}  REF\(\) at 0x[0-9a-f]+$/m, 'outrefs' );
like( cp( 'outrefs', '--all', $top ), qr/^i  value \{outer\} via RV  HASH\(1\) at 0x[0-9a-f]+$/m, 'outrefs --all: via RV' );
like( cp( 'inrefs', $top ), qr/^s  the hash  GLOB\(%\*\) at 0x[0-9a-f]+$/m, 'inrefs' );
like( cp( 'size', $top ), qr/\AHASH\(1\) at $top consumes:\n  \d+ bytes directly\n  .* structurally\n  .* including owned referrants\n\z/,
      'size' );
like( cp( 'elems', '@main::LIST' ), qr/\A  \[0\] REF\(\) at 0x[0-9a-f]+ => HASH\(1\)=Foo at 0x[0-9a-f]+\n/, 'elems' );
like( cp( 'values', '%main::TOP' ), qr/\A  \{outer\} REF\(\) at 0x[0-9a-f]+ => HASH\(1\) at/, 'values' );
like( cp('roots'), qr/^the main code\s*: CODE\(\) at 0x[0-9a-f]+=main_cv$/m, 'roots' );
like( cp('callers'), qr/\Acaller\(0\): CODE\(PP\) at 0x[0-9a-f]+=&main::run_it => (?:void|scalar|array)\n  at -e line \d+\n/,
      'callers' );
like( cp('symbols'), qr/^%TOP at HASH\(1\) at $top$/m, 'symbols' );
like( cp('packages'), qr/^package Foo at STASH\(\d+\) at 0x[0-9a-f]+$/m, 'packages' );
like( cp( 'largest', '3' ), qr/\A(?:\S.*: \S+ (?:bytes|KiB|MiB)\n){3}others: /, 'largest 3' );
( $rc ) = cp('list-dangling-ptrs');
is( $rc, 0, 'list-dangling-ptrs runs' );

# ---- help ------------------------------------------------------------------------
( $rc, $out ) = run_cpmat( $cpmat, '--help' );
is( $rc, 0, '--help exits 0' );
like( $out, qr/^identify\s+- Identify an SV by its referrers$/m, '--help lists the commands' );
( $rc, $out ) = run_cpmat( $cpmat, 'help', 'identify' );
like( $out, qr/\Aidentify - Identify an SV by its referrers\n/, 'help COMMAND' );

# ---- errors: one line, exit status 2 --------------------------------------------
my $notdump = "$file.txt";
open my $fh, '>', $notdump or die;
print $fh "this is not a dump\n" x 10;
close $fh;
my @bad = (
    [ [], 'no arguments' ],
    [ [ $file ], 'no command' ],
    [ [ '--bogus', $file, 'count' ], 'unknown global option' ],
    [ [ $file, 'frobnicate' ], 'unknown command' ],
    [ [ $file, 'count', '--bogus' ], 'unknown command option' ],
    [ [ $file, 'show', '0x1' ], 'no SV at that address' ],
    [ [ $file, 'show', 'xyz' ], 'not an address' ],
    [ [ $file, 'identify' ], 'missing address' ],
    [ [ $file, 'find', 'nosuchfilter' ], 'unknown filter' ],
    [ [ $file, 'identify', '--depth', 'x', $top ], 'bad option value' ],
    [ [ "$file.missing", 'count' ], 'missing file' ],
    [ [ $notdump, 'count' ], 'not a dump' ],
    [ [ 'help', 'frobnicate' ], 'help for an unknown command' ],
    [ [ $file, 'find', 'pv', '--regexp', '(' ], 'a regexp that does not compile' ],
);
for (@bad) {
    my ( $args, $what ) = @$_;
    my ( $rc, $out, $err ) = run_cpmat( $cpmat, @$args );
    is( $rc, 2, "$what: exit 2" );
    like( $err, qr/\Acpmat: [^\n]+\n\z/, "$what: one line on stderr" );
}

# ---- find pv --regexp -------------------------------------------------------------
( $rc, $out ) = cp( 'find', '--count', 'pv', '--regexp', '^Fo+$' );
my ( undef, $eq ) = cp( 'find', '--count', 'pv', '--eq', 'Foo' );
is( $rc, 0, 'find pv --regexp runs' );
is( $out, $eq, 'find pv --regexp ^Fo+$ counts what --eq Foo does' );

# ---- a reference chain deeper than the C stack ----------------------------------
# 100,000 nested arrays; identify with no depth limit walks all of them: cpmat
# must answer or stop with one line and exit 2 (stack guard), never crash.
my $deep = make_dump( 'deep', 'my $t = [1]; my $x = $t; $x = [$x] for 1 .. 100_000; our $R = $x;'
                            . ' our $T = Scalar::Util::refaddr($t); Devel::MAT::Dumper::dump(shift)' );
SKIP: {
    skip 'cannot write the deep dump', 3 unless $deep;
    my ( undef, $sym ) = run_cpmat( $cpmat, '--quiet', $deep, 'show', '$main::T' );
    my ( $inner ) = $sym =~ /(?:IV|UV)=(\d+)/ or skip 'no $main::T in the deep dump', 3;
    my $a = sprintf '0x%x', $inner;
    my ( $rc, $out, $err ) = run_cpmat( $cpmat, '--quiet', $deep, 'identify', '--depth', '-1', $a );
    ok( $rc == 0 || $rc == 2, "identify of a 100,000-deep chain exits 0 or 2 (got $rc)" );
    like( $err, $rc ? qr/\Acpmat: [^\n]+\n\z/ : qr/\A\z/, 'identify of a deep chain: at most one line on stderr' );
    ( $rc, $out ) = run_cpmat( $cpmat, '--quiet', $deep, 'identify', $a );
    like( $out, qr/not found at this depth/, 'identify of a deep chain, default depth: stops at depth 10' );
}

# ---- what differs by Devel::MAT release: --pmat-version ------------------------
# 0.56 counts a SCALAR with no IV, NV or PV (and an UNDEF record) as kind UNDEF;
# 0.51 and 0.53 as SCALAR.  The SVs are the ones `cpmat dump` shows so.
{
    my ( undef, $dump ) = run_cpmat( $cpmat, $file, 'dump' );
    my $valueless = 0;
    for ( split /\n/, $dump ) {
        next unless /^SV \S+ (SCALAR|UNDEF) /;
        if( $1 eq 'UNDEF' ) { $valueless++; next }
        my ( $fl ) = /flags=0x([0-9a-f]+)/ or next;
        my ( $nv ) = /nv=(\S+)/;
        $fl = hex $fl;
        $fl &= ~0x04 if defined $nv && $nv == 0;    # an NV of 0.0 reads as none (cm_scalar_flags)
        $valueless++ unless $fl & 0x0d;
    }
    my %kind;
    for my $v (qw( 0.51 0.56 )) {
        my ( $rc, $out ) = run_cpmat( $cpmat, '--quiet', '--pmat-version', $v, $file, 'count' );
        is( $rc, 0, "count --pmat-version $v exits 0" );
        $kind{$v}{$1} = $2 while $out =~ /^  (\w+)\s+(\d+)/mg;
    }
    ok( $valueless > 0, "the known heap has valueless scalars ($valueless)" );
    ok( !exists $kind{'0.51'}{UNDEF}, '0.51: no UNDEF kind' );
    is( $kind{'0.56'}{UNDEF}, $valueless, '0.56: UNDEF = the valueless SCALARs and UNDEF records' );
    is( $kind{'0.56'}{SCALAR} + $kind{'0.56'}{UNDEF}, $kind{'0.51'}{SCALAR}, '0.56: SCALAR + UNDEF = 0.51\'s SCALAR' );
    my ( $rc, undef, $err ) = run_cpmat( $cpmat, '--pmat-version', '5.6', $file, 'count' );
    is( $rc, 2, '--pmat-version 5.6: exit 2' );
    like( $err, qr/\Acpmat: --pmat-version [^\n]+\n\z/, '--pmat-version 5.6: one line' );
}

# ---- packages --versions: version objects ------------------------------------------
my $vers = make_dump( 'versions', 'package Foo 1.06; package Bar; our $VERSION = "2.5"; package Baz; our $VERSION = 3;'
                              . ' package Qux; use version; our $VERSION = qv("1.2.3"); package Quux; our $VERSION = version->parse("v4.5");'
                              . ' package main; Devel::MAT::Dumper::dump(shift)' );
SKIP: {
    skip 'cannot write the versions dump', 5 unless $vers;
    my ( undef, $out ) = run_cpmat( $cpmat, '--quiet', $vers, 'packages', '--versions' );
    my %v = $out =~ /^package (\S+) (\S+) at STASH/mg;
    is( $v{Foo}, 'v1.06', 'package NAME 1.06: the version object\'s original, with a v' );
    is( $v{Bar}, '2.5', 'a string $VERSION as it is' );
    is( $v{Baz}, '3', 'a number $VERSION as it is' );
    is( $v{Qux}, 'v1.2.3', 'qv("1.2.3")' );
    is( $v{Quux}, 'v4.5', 'version->parse("v4.5"): no second v' );
}

done_testing;
