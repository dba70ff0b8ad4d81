#!/usr/bin/perl
# cpmat must survive any damage to its input: truncated and bit-flipped
# dumps, wrong magic, absurd counts.  Every run must end with exit status 0
# or 2 -- never a signal, never a sanitizer's exit code -- and a failure must
# be ONE line on stderr naming the file and the byte offset.
#
# cpmat is $ENV{PMAT_CPMAT}, else blib/script/cpmat, else reader/cpmat.
# CI runs this a second time with PMAT_CPMAT=reader/cpmat-asan ('make asan').
use strict;
use warnings;
use Test::More;
use File::Temp qw( tempdir );
use File::Copy qw( copy );
use File::Spec;
use POSIX qw( WIFEXITED WEXITSTATUS WIFSIGNALED WTERMSIG );

my $cpmat = $ENV{PMAT_CPMAT};
unless( defined $cpmat ) {
    ( $cpmat ) = grep { -x $_ } 'blib/script/cpmat', 'reader/cpmat';
}
plan skip_all => 'no cpmat built (run make, or set PMAT_CPMAT)'
    unless defined $cpmat and -x $cpmat;
$cpmat = File::Spec->rel2abs( $cpmat );

my $dir = tempdir( 'reader-corrupt-XXXXXX', TMPDIR => 1, CLEANUP => 1 );
my $orig = "$dir/orig.pmat";

# A small (~1 MB) dump from whatever Devel::MAT::Dumper comes first in @INC
# (under 'make test' that is ours from blib); the installed reference
# dumper is the fallback so the reader can be tested on its own.
sub make_dump {
    my ( @inc ) = @_;
    unlink $orig;
    my $pid = fork // die "fork: $!";
    if( !$pid ) {
        open STDOUT, '>', File::Spec->devnull;
        open STDERR, '>', File::Spec->devnull;
        # the fallback must not find blib through PERL5LIB either
        $ENV{PERL5LIB} = join ':', grep { !m/blib/ } split /:/, $ENV{PERL5LIB} // ''
            unless @inc;
        exec $^X, ( map { "-I$_" } @inc ), '-MDevel::MAT::Dumper', '-e',
            'our @x = (1..5); our %h = (a => [1], b => \"x"); Devel::MAT::Dumper::dump(shift)',
            $orig;
        exit 127;
    }
    waitpid $pid, 0;
    return $? == 0 && -s $orig;
}
make_dump( grep { !ref } @INC )
    or make_dump()
    or plan skip_all => 'cannot write a dump with Devel::MAT::Dumper';

my $size = -s $orig;

# Run cpmat; returns (exit status or undef, signal or 0, stderr text).
# Under ASan, LeakSanitizer's exit-time scan costs ~40 ms a run; it stays on
# for every 10th run (leaks on error paths still show) unless the caller
# set ASAN_OPTIONS.
my $runs = 0;
sub run { return run_prog( $cpmat, @_ ) }
sub run_prog {
    my ( $prog, @args ) = @_;
    my $errf = "$dir/stderr";
    my $quick = $runs++ % 10 != 0 && !defined $ENV{ASAN_OPTIONS};
    my $pid = fork // die "fork: $!";
    if( !$pid ) {
        $ENV{ASAN_OPTIONS} = 'detect_leaks=0' if $quick;
        open STDOUT, '>', File::Spec->devnull;
        open STDERR, '>', $errf;
        exec $prog, @args;
        exit 127;
    }
    waitpid $pid, 0;
    my $st = $?;
    open my $fh, '<', $errf or die "$errf: $!";
    my $err = do { local $/; <$fh> };
    return ( WIFEXITED($st) ? WEXITSTATUS($st) : undef,
             WIFSIGNALED($st) ? WTERMSIG($st) : 0, $err );
}

# Check one run of a damaged file; returns a complaint or undef if fine.
sub judge {
    my ( $what, $file, $must_fail, $exit, $sig, $err ) = @_;
    return "$what: killed by signal $sig" if $sig;
    return "$what: exit status $exit" unless $exit == 0 || $exit == 2;
    return "$what: exit 0 but must fail" if $must_fail && $exit == 0;
    if( $exit == 2 ) {
        my $lines = () = $err =~ m/\n/g;
        return "$what: $lines stderr lines: $err" unless $lines == 1 && $err =~ m/\n\z/;
        return "$what: stderr lacks the file name: $err" unless index( $err, $file ) >= 0;
        return "$what: stderr lacks 'byte': $err" unless $err =~ m/\bbyte\b/;
    }
    elsif( length $err ) {
        return "$what: exit 0 with stderr: $err";
    }
    return undef;
}

sub slurp { open my $fh, '<:raw', $_[0] or die "$_[0]: $!"; local $/; return scalar <$fh> }
sub spew  { open my $fh, '>:raw', $_[0] or die "$_[0]: $!"; print $fh $_[1]; close $fh or die }

# ---- the undamaged file -------------------------------------------------

my ( $exit, $sig, $err ) = run( $orig, 'info' );
is( $exit, 0, 'cpmat FILE info succeeds on a fresh dump' ) or diag $err;

my $info = do {
    my $pid = open my $fh, '-|', $cpmat, $orig, 'info' or die "cpmat: $!";
    local $/;
    <$fh>;
};
my %sect = $info =~ m/^sections .*$/m ? ( $& =~ m/(\w+)=(\d+)/g ) : ();
ok( defined $sect{heap} && $sect{heap} > 0, 'info reports the section offsets' )
    or diag $info;
my ( $nsvs ) = $info =~ m/^svs (\d+)$/m;
ok( $nsvs && $nsvs > 1000, "info counts the SVs ($nsvs)" );
my $uint = ( ord( substr slurp($orig), 4, 1 ) & 0x02 ) ? 8 : 4;

( $exit, $sig, $err ) = run( $orig, 'dump' );
is( $exit, 0, 'cpmat FILE dump succeeds on a fresh dump' ) or diag $err;

# ---- truncation -----------------------------------------------------------

my $bytes = slurp( $orig );
my $heap = $sect{heap} || 2000;
# Every offset of the header proper (magic, flags, size tables, immortals,
# the root count and the first roots); past that the roots and stack are a
# repetition of the same few reads, so every 7th offset does.  Each run is a
# process (~10 ms, ~100 ms under ASan): PMAT_CORRUPT_THOROUGH=1 cuts at
# every offset up to the heap.
my $every = $ENV{PMAT_CORRUPT_THOROUGH} ? $heap + 16 : ( $sect{roots} // 200 ) + 64;
my %cut;
$cut{$_} = 1 for 0 .. $every;
$cut{ $_ * 7 } = 1 for 0 .. ( $heap + 16 ) / 7;
$cut{ int( $_ * $size / 300 ) } = 1 for 0 .. 299;      # and ~300 across the file
$cut{$_} = 1 for grep { $_ >= 0 } $size - 40 .. $size - 1;  # the tail sections
delete $cut{$_} for grep { $_ >= $size } keys %cut;

# A file that ends right after its contexts is a valid older-format file,
# so a cut exactly where the mortals section starts may legitimately parse.
my $legit_cut = $sect{mortals} || -1;

{
    my $trunc = "$dir/trunc.pmat";
    spew( $trunc, $bytes );
    my @bad;
    # Longest first: truncate(2) the same copy down step by step.
    for my $len ( sort { $b <=> $a } keys %cut ) {
        truncate $trunc, $len or die "truncate: $!";
        my $why = judge( "truncated at $len", $trunc, $len != $legit_cut,
                         run( $trunc, 'info' ) );
        push @bad, $why if defined $why;
    }
    ok( !@bad, 'truncated at ' . scalar( keys %cut ) . ' offsets: exit 2, one line' )
        or diag join "\n", @bad[ 0 .. ( $#bad < 9 ? $#bad : 9 ) ];
}

# ---- byte flips ----------------------------------------------------------------

{
    my $flip = "$dir/flip.pmat";
    spew( $flip, $bytes );
    open my $fh, '+<:raw', $flip or die "$flip: $!";
    srand( 20240505 );
    my @pos = ( ( map { int rand( $heap + 16 ) } 1 .. 150 ),
                ( map { int rand $size } 1 .. 250 ) );
    my @xor = ( 0xff, 0x01, 0x80, 0x10, 0x7f );
    my @bad;
    for my $i ( 0 .. $#pos ) {
        my $p = $pos[$i] % $size;
        my $x = $xor[ $i % @xor ];
        my $old = substr $bytes, $p, 1;
        sysseek $fh, $p, 0; syswrite $fh, chr( ord($old) ^ $x );
        # dump exercises the lazy decoders as well as the index
        my $why = judge( sprintf( 'byte %d ^ 0x%02x', $p, $x ), $flip, 0,
                         run( $flip, $i % 2 ? 'dump' : 'info' ) );
        push @bad, $why if defined $why;
        sysseek $fh, $p, 0; syswrite $fh, $old;
    }
    close $fh;
    ok( !@bad, scalar(@pos) . ' byte flips: exit 0 or 2, never a crash' )
        or diag join "\n", @bad[ 0 .. ( $#bad < 9 ? $#bad : 9 ) ];
}

# ---- a v0.6 file ------------------------------------------------------------------
#
# bench/gen-pmat --format 0.6 writes what Devel::MAT::Dumper 0.52 adds: a
# HEK in every hash entry (PL_strtab first in the heap, with 18 of them),
# NAME_HEK in every GLOB, and at the end of the heap a PV_SHARED_HEK
# record, a CLASS, an OBJECT, a MAGICv2 record, then the mortals section.
# Cut at every third byte of the heap's first 2500 (HEK fields of the
# stashes and strtab) and at every byte of the last 400 (the new records
# and the mortals); flip bytes there.  Each failure must be the one line,
# and between them the messages must name the new parts.
SKIP: {
    my $gen = File::Spec->rel2abs( 'bench/gen-pmat' );
    skip 'no bench/gen-pmat', 6 unless -x $gen;
    my $v6 = "$dir/v06.pmat";
    local $ENV{GEN_PMAT_BUILD} = "$dir/gen-build";
    my $out = `"$gen" --svs 3000 --format 0.6 "$v6" 2>&1`;
    skip "bench/gen-pmat failed (no C compiler?): $out", 6 unless $? == 0 && -s $v6;
    my $info6 = do { open my $fh, '-|', $cpmat, $v6, 'info' or die; local $/; <$fh> };
    like( $info6, qr/^format 0\.6$/m, 'gen-pmat --format 0.6: a v0.6 file cpmat reads' );
    my %s6 = $info6 =~ m/^sections .*$/m ? ( $& =~ m/(\w+)=(\d+)/g ) : ();
    my $b6 = slurp( $v6 );
    my $len6 = length $b6;
    my @cuts = ( ( grep { $_ % 3 == 0 } $s6{heap} .. $s6{heap} + 2500 ),
                 ( $len6 - 400 .. $len6 - 1 ) );
    my $trunc = "$dir/v06-trunc.pmat";
    spew( $trunc, $b6 );
    my ( @bad, %said );
    for my $len ( sort { $b <=> $a } @cuts ) {
        truncate $trunc, $len or die "truncate: $!";
        my @r = run( $trunc, 'info' );
        my $why = judge( "v0.6 truncated at $len", $trunc, $len != $s6{mortals}, @r );
        push @bad, $why if defined $why;
        # "truncated while reading the X", "... cannot fit ... (in the X)"
        $said{$1}++ while ( $r[2] // '' ) =~ m/(?:reading|\(in) the ([\w ]+?)(?: of SV|\)| \(|$)/mg;
    }
    ok( !@bad, 'v0.6: truncated at ' . scalar(@cuts) . ' offsets: exit 2, one line' )
        or diag join "\n", @bad[ 0 .. ( $#bad < 9 ? $#bad : 9 ) ];
    my @want = ( 'HASH entry HEK', 'GLOB header', 'PV_SHARED_HEK', 'CLASS body',
                 'OBJECT fields', 'MAGICv2', 'mortals count', 'mortals', 'mortal floor' );
    my @missing = grep { !$said{$_} } @want;
    ok( !@missing, 'v0.6: the errors name the new parts (' . join( ', ', @want ) . ')' )
        or diag "not named: @missing; named: " . join ', ', sort keys %said;

    my $flip = "$dir/v06-flip.pmat";
    spew( $flip, $b6 );
    open my $fh, '+<:raw', $flip or die "$flip: $!";
    srand( 20261204 );
    my @pos = ( ( map { $s6{heap} + int rand 2500 } 1 .. 60 ), ( map { $len6 - 1 - int rand 400 } 1 .. 120 ) );
    my @xor = ( 0xff, 0x01, 0x80, 0x10, 0x7f );
    @bad = ();
    my @cmds = ( [ 'dump' ], [ '--quiet', 'strtab' ], [ 'info' ], [ '--quiet', 'values', '-H', 'strtab' ] );
    for my $i ( 0 .. $#pos ) {
        my $p = $pos[$i];
        my $x = $xor[ $i % @xor ];
        my $old = substr $b6, $p, 1;
        sysseek $fh, $p, 0; syswrite $fh, chr( ord($old) ^ $x );
        my @cmd = @{ $cmds[ $i % @cmds ] };
        my @args = $cmd[0] eq '--quiet' ? ( '--quiet', $flip, @cmd[ 1 .. $#cmd ] ) : ( $flip, @cmd );
        my ( $exit, $sig, $err ) = run( @args );
        # a flipped strtab root may leave no strtab: an argument error
        my $why = defined $exit && $exit == 2 && $err =~ /\Acpmat: (strtab|values): [^\n]*(strtab|SV)[^\n]*\n\z/ && $err !~ /byte/ ? undef
                : judge( sprintf( 'v0.6 byte %d ^ 0x%02x (%s)', $p, $x, "@cmd" ), $flip, 0, $exit, $sig, $err );
        push @bad, $why if defined $why;
        sysseek $fh, $p, 0; syswrite $fh, $old;
    }
    close $fh;
    ok( !@bad, scalar(@pos) . ' v0.6 byte flips (dump, strtab, values -H): exit 0 or 2, never a crash' )
        or diag join "\n", @bad[ 0 .. ( $#bad < 9 ? $#bad : 9 ) ];

    my $m6 = $s6{mortals};
    bad_file( 'v0.6-absurd-mortals', do {
                  my $b = $b6;
                  substr( $b, $m6, 8 ) = pack 'Q<', 2**60;
                  $b;
              }, qr/count \d+ of mortals cannot fit/, 1 );
    bad_file( 'v0.6-no-floor', substr( $b6, 0, $len6 - 8 ), qr/mortal floor/, 1 );
}

# ---- specific bad files ------------------------------------------------------------

sub bad_file {
    my ( $name, $content, $re, $need_byte ) = @_;
    my $file = "$dir/$name.pmat";
    spew( $file, $content );
    my ( $exit, $sig, $err ) = run( $file, 'info' );
    is( $exit, 2, "$name: exit status 2" ) or diag "signal $sig; $err";
    like( $err, qr/^cpmat: .*\Q$file\E.*$re/, "$name: says why" );
    like( $err, qr/\bbyte \d+\b/, "$name: gives the byte offset" ) if $need_byte;
    is( scalar( () = $err =~ m/\n/g ), 1, "$name: one line" );
}

bad_file( 'empty', '', qr/empty/, 1 );
bad_file( 'wrong-magic', 'PMAX' . substr( $bytes, 4 ), qr/magic/, 1 );
bad_file( 'major-version', do { my $b = $bytes; substr( $b, 6, 1 ) = chr 1; $b },
          qr/major/, 1 );
bad_file( 'minor-version', do { my $b = $bytes; substr( $b, 7, 1 ) = chr 99; $b },
          qr/version/, 1 );
bad_file( 'bad-flags', do { my $b = $bytes; substr( $b, 4, 1 ) = chr 0xe0; $b },
          qr/flags/, 1 );
bad_file( 'absurd-stack', do {
              my $b = $bytes;
              my $v = $uint == 8 ? pack( 'Q<', 2**60 ) : pack( 'L<', 0xfffffff0 );
              substr( $b, $sect{stack}, $uint ) = $v;
              $b;
          }, qr/count \d+ of stack entries/, 1 ) if defined $sect{stack};
bad_file( 'absurd-roots', do {
              my $b = $bytes;
              substr( $b, $sect{roots}, 4 ) = pack 'L<', 0xffffffff;
              $b;
          }, qr/count \d+ of roots/, 1 ) if defined $sect{roots};

# Files AFL++ found (t/fixtures/corrupt): each must end as any damaged file
# does, within a memory limit (a 919-byte file with a PADNAME index of ~16M
# made `count` allocate 800 MB and take seconds; `symbols` on a stash with
# no symbols passed NULL to memcpy, which UBSan stops in the ASan run; a
# v0.6 file whose main_cv is its own pad made `show main_cv` list the
# CODE's line number, 9.5M, as pad slots).  The limit is left off
# for an ASan build, which reserves terabytes of shadow address space.
my @fuzzed = sort glob 't/fixtures/corrupt/*.pmat';
cmp_ok( scalar @fuzzed, '>=', 3, 'the fuzzed files are there (t/fixtures/corrupt)' );
for my $f (@fuzzed) {
    my $limit = $cpmat =~ /asan/ ? '' : 'ulimit -v 262144; ';
    for my $cmd ( [ 'count' ], [ 'identify', 'defstash' ], [ 'find', 'cv' ], [ 'symbols' ],
                  [ 'strtab' ], [ 'show', 'main_cv' ] ) {
        my ( $exit, $sig, $err ) = run_prog( '/bin/sh', '-c', qq{${limit}exec "\$0" "\$@"}, $cpmat, '--quiet', $f, @$cmd );
        # the damage may also leave no SV at the root named: an argument
        # error, one line without a byte offset
        my $bad = defined $exit && $exit == 2 &&
                  $err =~ /\Acpmat: \w+: (no SV at root \w+|the file has no shared string table[^\n]*)\n\z/ ? undef
                : judge( "$f @$cmd", $f, 0, $exit, $sig, $err );
        ok( !$bad, "fuzzed file $f, @$cmd: exit 0, or 2 with one line" . ( $limit ? ' (256 MB address space)' : '' ) ) or diag $bad;
    }
}

{
    my $missing = "$dir/no-such-file.pmat";
    my ( $exit, $sig, $err ) = run( $missing, 'info' );
    is( $exit, 2, 'missing file: exit status 2' );
    like( $err, qr/^cpmat: \Q$missing\E: cannot open/, 'missing file: says so' );
}
{
    my ( $exit, undef, $err ) = run( $orig, 'frobnicate' );
    is( $exit, 2, 'unknown command: exit status 2' );
    like( $err, qr/unknown command/, 'unknown command: says so' );
    ( $exit, undef, $err ) = run( $orig );
    is( $exit, 2, 'missing command: exit status 2' );
    ( $exit, undef, $err ) = run( '--help' );
    is( $exit, 0, '--help: exit status 0' );
}

done_testing;
