# cpmat-leakreport on a SIGQUIT series of t/fixtures/leak/leaky.pl, whose
# rounds (one between each pair of snapshots) leak Lk::Record objects onto
# a list, keep Lk::Session objects alive by a raised refcount only, replace
# a temporary array and cycle a 2-entry cache.  The script writes the
# address of everything it made, so the expected candidates are known:
# what round r made first exists in file r+1 (1-based), so it is LEAK[r+1]
# if it lives to the last file and r+1 < N.  Then -1, --summary, the
# comparison with pmat-leakreport (when installed) and the bad inputs.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/fixtures/leak";
use LeakSeries;

my $tool = LeakSeries::tool('cpmat-leakreport');
plan skip_all => 'cpmat-leakreport is not built (perl Makefile.PL && make)' unless $tool && -x $tool;
plan skip_all => 'our dumper is not built' unless -e "$LeakSeries::ROOT/blib/lib/Devel/MAT/Dumper.pm";

my $N = 5;
my $s = LeakSeries::series( 'sq', $N );
my @files = @{ $s->{files} };
my %made = %{ $s->{made} };

my ( $rc, $out, $err ) = LeakSeries::run( $tool, @files );
is( $rc, 0, 'exit 0 on a series of 5 dumps' );
is( $err, '', 'nothing on STDERR when it is not a terminal' );
my @lines = split /\n/, $out;
my @bad = grep { !/^LEAK\[\d+\] \S+ at 0x[0-9a-f]+$/ } @lines;
ok( !@bad, 'every line is LEAK[n] DESC at 0xADDR' ) or diag join "\n", @bad;
my %leak;    # addr => [ n, desc ]
for (@lines) { /^LEAK\[(\d+)\] (\S+) at (0x[0-9a-f]+)$/ and $leak{$3} = [ $1, $2 ] }
my @n = map { /^LEAK\[(\d+)\]/ ? $1 : () } @lines;
is_deeply( \@n, [ sort { $a <=> $b } @n ], 'ordered by n' );
ok( !( grep { $_ < 2 || $_ > $N - 1 } @n ), "n is between 2 and N-1 (no candidates from the last pair)" );

# The objects each round leaked: exactly LEAK[r+1] HASH(2)
for my $r ( 1 .. $N - 2 ) {
    for my $kind (qw(record session)) {
        my @got = map { $leak{$_} ? "LEAK[$leak{$_}[0]] $leak{$_}[1]" : 'not listed' } @{ $made{$r}{$kind} };
        is_deeply( \@got, [ ("LEAK[" . ( $r + 1 ) . "] HASH(2)") x @{ $made{$r}{$kind} } ],
            "round $r: its $kind objects are LEAK[" . ( $r + 1 ) . "]" );
        # their values and the list's refs: listed, at the latest from file r+1
        # (a freed scalar's slot reused by one of them is the same key to pmat)
        my @parts = map { @{ $made{$r}{$_} || [] } } "$kind-value", "$kind-ref";
        my @missing = grep { !$leak{$_} || $leak{$_}[0] > $r + 1 } @parts;
        ok( !@missing, "round $r: the $kind values/refs are listed" ) or diag "@missing";
    }
}
# The last round's objects only appear in the last file: no candidates.
ok( !( grep { $leak{$_} } map { @{ $made{ $N - 1 }{$_} } } qw(record session) ), 'the last round is not reported' );
# The 2-entry cache: the entry of round N-2 lives on; older ones were freed.
is( $leak{ $made{ $N - 2 }{entry}[0] }[0], $N - 1, "the cache entry of round " . ( $N - 2 ) . " is LEAK[" . ( $N - 1 ) . "]" );
for my $r ( 1 .. $N - 3 ) {
    my $a = $made{$r}{entry}[0];
    ok( !( $leak{$a} && $leak{$a}[0] == $r + 1 && $leak{$a}[1] eq 'HASH(1)' ), "round $r: the evicted cache entry is not reported" );
    $a = $made{$r}{temp}[0];
    ok( !( $leak{$a} && $leak{$a}[1] eq 'ARRAY(2)' ), "round $r: the replaced temporary is not reported" );
}
# An address reused with another base type is a new SV (the key includes
# it): a temp array of round r freed in round r+1 and an Lk::Entry hash
# allocated there.
my $reused = 0;
for my $r ( 1 .. $N - 3 ) {
    my $t = $made{$r}{temp}[0];
    my ($e) = grep { $_ eq $t } @{ $made{ $r + 1 }{entry} };
    next unless $e && $r + 1 == $N - 2;
    $reused++;
    is_deeply( $leak{$e}, [ $N - 1, 'HASH(1)' ], "0x.. was round $r\'s ARRAY, is round " . ( $r + 1 ) . "'s Lk::Entry: a new key, LEAK[" . ( $N - 1 ) . "]" );
}
note $reused ? "address reuse AV -> HV seen" : "perl did not reuse the temp's address for the entry this time";

# -1: candidates from the first pair only
( $rc, $out, $err ) = LeakSeries::run( $tool, '-1', @files );
is( $rc, 0, '-1: exit 0' );
my @n1 = $out =~ /^LEAK\[(\d+)\]/mg;
ok( @n1 && !( grep { $_ != 2 } @n1 ), '-1: only LEAK[2] (the first pair had candidates)' );
my %one = map { /at (0x[0-9a-f]+)$/ ? ( $1 => 1 ) : () } split /\n/, $out;
ok( !( grep { !$one{$_} } @{ $made{1}{record} }, @{ $made{1}{session} } ), '-1: round 1 objects are listed' );
( undef, my $out2 ) = LeakSeries::run( $tool, '--onefile', @files );
is( $out2, $out, '--onefile is -1' );

# --summary: the invisible cache's class first, held outside Perl's view
( $rc, $out, $err ) = LeakSeries::run( $tool, '--summary', @files );
is( $rc, 0, '--summary: exit 0' );
my @groups = $out =~ /^GROUP (.*)$/mg;
my $sessions = 12 * ( $N - 2 );    # 4 objects of 3 SVs a round
like( $groups[0] // '', qr/^Lk::Session: $sessions SVs, [\d.]+ (?:bytes|KiB), e\.g\. 0x[0-9a-f]+; held outside Perl's view/,
    "--summary: the top group is Lk::Session ($sessions SVs), held outside Perl's view" );
my $records = 8 * ( $N - 2 );    # 2 objects of 3 SVs + a ref a round
ok( ( grep { /^Lk::Record: $records SVs, .*; held by Perl data reachable from the roots$/ } @groups ),
    "--summary: Lk::Record ($records SVs) held by reachable Perl data" ) or diag join "\n", @groups;
ok( !( grep { /^Lk::Session: .*held by Perl data/ } @groups ), '--summary: no Lk::Session is reachable' );
like( $out, qr/^SUMMARY \d+ candidates in \d+ groups/m, '--summary: a heading line' );
my $nleak = () = $out =~ /^LEAK/mg;
my $sum = 0;
$sum += $_ for map { /: (\d+) SVs?,/ ? $1 : 0 } @groups;
is( $sum, $nleak, '--summary: the groups add up to the LEAK lines' );

# pmat-leakreport on the same files: the same set (Devel::MAT 0.51 reads
# the IV/UV flag the other way round, see cpmat.pod)
SKIP: {
    my $ref = ReaderFormat::pmat_tool('pmat-leakreport');
    skip 'pmat-leakreport (Devel::MAT) is not installed for this perl (Debian: libdevel-mat-perl)', 1 unless $ref;
    my ( $rrc, $rout ) = LeakSeries::run( $ref, @files );
    ( undef, my $ours ) = LeakSeries::run( $tool, @files );
    my $norm = sub { [ sort map { s/SCALAR\((UV|IV)/"SCALAR(" . ( $1 eq 'UV' ? 'IV' : 'UV' )/er } split /\n/, $_[0] ] };
    is_deeply( [ sort split /\n/, $ours ], $norm->($rout), 'the same LEAK lines as pmat-leakreport, as a set' );
}

# Series written by hand, keys chosen: an address whose SV changes base
# type is a new SV; -1 skips a file with candidates altogether, so when
# they are all dropped later, new ones are what appeared since the last
# file compared (as pmat-leakreport does).
{
    my $v = ( 5 << 24 ) | ( 36 << 16 );
    my $n = 0;
    my $series = sub {
        map { my $f = LeakSeries::tmpdir() . "/hand-" . ++$n . ".pmat";
              system( $^X, "$FindBin::Bin/fixtures/leak/tiny-pmat.pl", $f, 8, $v, @$_ ) == 0 or die; $f } @_;
    };
    my @t = $series->( ['S:10000'], [ 'S:10000', 'A:10018' ], [ 'S:10000', 'H:10018' ], [ 'H:10018', 'S:10000' ] );
    is( ( LeakSeries::run( $tool, @t ) )[1], "LEAK[3] HASH(0) at 0x10018\n",
        'an ARRAY at 0x10018 in file 2 and a HASH there from file 3: the HASH is LEAK[3]' );
    my @o = $series->( ['S:10000'], [qw(S:10000 S:20000)], [qw(S:10000 S:20000 S:20018)], [qw(S:10000 S:20018 S:20030)], [qw(S:10000 S:20018 S:20030)] );
    is( ( LeakSeries::run( $tool, @o ) )[1], "LEAK[3] UNDEF() at 0x20018\nLEAK[4] UNDEF() at 0x20030\n", 'without -1: each SV tagged where it appeared' );
    is( ( LeakSeries::run( $tool, '-1', @o ) )[1], "LEAK[4] UNDEF() at 0x20018\nLEAK[4] UNDEF() at 0x20030\n",
        '-1: file 3 skipped while 0x20000 was a candidate; after it went, file 4 is compared with file 2' );
    # two records at one address: the later one in the file counts
    my @d = $series->( ['S:10000'], [qw(S:10000 S:20000 A:20000)], [qw(S:10000 A:20000)] );
    is( ( LeakSeries::run( $tool, @d ) )[1], "LEAK[2] ARRAY(0) at 0x20000\n", 'two records at 0x20000, SCALAR then ARRAY: the ARRAY is the SV' );
    my @e = $series->( ['S:10000'], [qw(S:10000 A:20000 S:20000)], [qw(S:10000 S:20000)] );
    is( ( LeakSeries::run( $tool, @e ) )[1], "LEAK[2] UNDEF() at 0x20000\n", 'two records at 0x20000, ARRAY then SCALAR: the SCALAR is the SV' );
    SKIP: {
        my $ref = ReaderFormat::pmat_tool('pmat-leakreport');
        skip 'pmat-leakreport (Devel::MAT) is not installed for this perl', 5 unless $ref;
        for my $c ( [ 'type change', [], \@t ], [ 'without -1', [], \@o ], [ '-1', ['-1'], \@o ], [ 'SCALAR then ARRAY', [], \@d ], [ 'ARRAY then SCALAR', [], \@e ] ) {
            my @a = sort split /\n/, ( LeakSeries::run( $tool, @{ $c->[1] }, @{ $c->[2] } ) )[1];
            my @b = sort split /\n/, ( LeakSeries::run( $ref, @{ $c->[1] }, @{ $c->[2] } ) )[1];
            is_deeply( \@a, \@b, "hand-written series, $c->[0]: as pmat-leakreport" );
        }
    }
}

# a progress line per file when STDERR is a terminal (script(1) gives it one)
SKIP: {
    my ($script) = grep { -x } map { "$_/script" } split /:/, $ENV{PATH};
    skip 'script(1) is not installed (Debian: bsdutils)', 2 unless $script;
    my $o = LeakSeries::tmpdir() . '/tty.out';
    my ( $trc, $tty ) = LeakSeries::run( $script, '-qc', join( ' ', $tool, @files[ 0 .. 2 ] ) . " >$o", '/dev/null' );
    like( $tty, qr/\[file 1 of 3, 0%\] \Q$files[0]\E.*\[file 3 of 3, 66%\] \Q$files[2]\E/s, 'on a terminal: which file, and how far' );
    is( LeakSeries::slurp($o), ( LeakSeries::run( $tool, @files[ 0 .. 2 ] ) )[1], 'on a terminal: the same report on STDOUT' );
}

# bad inputs: one line on STDERR, exit 2
my $tiny = LeakSeries::tmpdir() . '/p4.pmat';
my ($ver) = `$LeakSeries::ROOT/reader/cpmat $files[0] info` =~ /^perl (\d+)\.(\d+)\.(\d+)$/m ? ( ( $1 << 24 ) | ( $2 << 16 ) | $3 ) : (0);
system( $^X, "$FindBin::Bin/fixtures/leak/tiny-pmat.pl", $tiny, 4, $ver ) == 0 or die;
my $other = LeakSeries::patched( $files[2], 'other-perl.pmat', 8 => pack( 'L<', ( 5 << 24 ) | ( 34 << 16 ) ) );
my $text = LeakSeries::tmpdir() . '/not-a-dump.pmat';
{ open my $fh, '>', $text or die; print {$fh} "hello, I am not a heap dump\n" }
my $trunc = LeakSeries::tmpdir() . '/truncated.pmat';
{ my $d = LeakSeries::slurp( $files[1] ); open my $fh, '>', $trunc or die; print {$fh} substr( $d, 0, int( length($d) / 2 ) ) }
for my $c (
    [ 'two files', [ @files[ 0, 1 ] ], qr/needs at least three files \(got 2\)/ ],
    [ 'no files', [], qr/needs at least three files \(got 0\)/ ],
    [ 'an unreadable file', [ @files[ 0, 1 ], '/nonexistent/x.pmat' ], qr{/nonexistent/x\.pmat: cannot read} ],
    [ 'not a dump', [ $files[0], $text, $files[2] ], qr/\Q$text\E: at byte \d+: / ],
    [ 'a truncated dump', [ @files[ 0, 1 ], $trunc ], qr/\Q$trunc\E: at byte \d+: / ],
    [ 'another perl', [ @files[ 0, 1 ], $other ], qr/\Q$other\E: written by perl 5\.34\.0 with 8-byte pointers, but .* by perl \S+ with 8-byte pointers: not one series/ ],
    [ 'another pointer size', [ @files[ 0, 1 ], $tiny ], qr/\Q$tiny\E: written by perl \S+ with 4-byte pointers, but .* with 8-byte pointers/ ],
    [ 'an unknown option', [ '--frobnicate', @files ], qr/unknown option --frobnicate/ ],
) {
    LeakSeries::refuses( $tool, @$c );
}
( $rc, $out ) = LeakSeries::run( $tool, '--help' );
is( $rc, 0, '--help: exit 0' );
like( $out, qr/^usage: cpmat-leakreport \[-1\|--onefile\] \[--summary\] FILE FILE FILE/, '--help: the usage line' );

done_testing;
