# cpmat-counts on a SIGQUIT series of t/fixtures/leak/leaky.pl: every round
# adds 4 Lk::Session and 2 Lk::Record objects and cycles a 2-entry
# Lk::Entry cache, so the package rows are known exactly; the kind rows
# are checked against pmat-counts when Devel::MAT is installed.  Then
# --blessed, --csv, --svg and the bad inputs.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/fixtures/leak";
use LeakSeries;

my $tool = LeakSeries::tool('cpmat-counts');
plan skip_all => 'cpmat-counts is not built (perl Makefile.PL && make)' unless $tool && -x $tool;
plan skip_all => 'our dumper is not built' unless -e "$LeakSeries::ROOT/blib/lib/Devel/MAT/Dumper.pm";

my $N = 4;
my $s = LeakSeries::series( 'cq', $N );
my @files = @{ $s->{files} };

my ( $rc, $out, $err ) = LeakSeries::run( $tool, @files );
is( $rc, 0, 'exit 0' );
is( $err, '', 'nothing on STDERR when it is not a terminal' );
my @lines = split /\n/, $out;
is_deeply( [ @lines[ 0 .. $N - 1 ] ], [ map { "#" . ( $_ + 1 ) . " $files[$_]" } 0 .. $N - 1 ], 'the files, numbered' );
my ($pk) = grep { $lines[$_] =~ /^Package\s/ } 0 .. $#lines;
ok( defined $pk, 'a Package section' );
my @rows = map { [ split /\s{2,}/ ] } @lines[ $pk + 1 .. $pk + 3 ];
is_deeply( \@rows, [
    [ 'Lk::Session', 0, '4 (+4)', '8 (+4)', '12 (+4)', '+12' ],
    [ 'Lk::Record',  0, '2 (+2)', '4 (+2)', '6 (+2)',  '+6' ],
    [ 'Lk::Entry',   0, '1 (+1)', '2 (+1)', '2',       '+2' ],
], 'the most growing packages first, each count with its change' );
like( $out, qr/^Kind\s+#1\s+#2\s+#3\s+#4\s+growth$/m, 'a Kind section with a column per file' );
like( $out, qr/^\(total\)\s+\d+/m, 'a (total) row' );

# The kinds as the installed Devel::MAT counts them (0.56 has UNDEF)
my $pmat_version = eval { require Devel::MAT; sprintf '%.2f', $Devel::MAT::VERSION };
my @pv = $pmat_version ? ( '--pmat-version', $pmat_version ) : ();

# --csv: the same numbers, machine-readable
( $rc, my $csv ) = LeakSeries::run( $tool, @pv, '--csv', @files );
is( $rc, 0, '--csv: exit 0' );
my @csv = split /\n/, $csv;
is( $csv[0], join( ',', 'section', 'name', @files, 'growth' ), '--csv: the header names the files' );
my %c = map { my @f = split /,/; ( "$f[0]/$f[1]" => [ @f[ 2 .. $#f ] ] ) } @csv[ 1 .. $#csv ];
is_deeply( $c{'package/Lk::Session'}, [ 0, 4, 8, 12, 12 ], '--csv: Lk::Session' );
is_deeply( $c{'package/Lk::Entry'}, [ 0, 1, 2, 2, 2 ], '--csv: Lk::Entry' );
my @g = map { $c{$_}[-1] } grep { m{^package/} } map { my @f = split /,/; "$f[0]/$f[1]" } @csv[ 1 .. $#csv ];
is_deeply( \@g, [ sort { $b <=> $a } @g ], '--csv: packages sorted by growth' );
for my $k ( 0 .. $N - 1 ) {
    my ($svs) = `$LeakSeries::ROOT/reader/cpmat $files[$k] info` =~ /^svs (\d+)$/m;
    my $sum = 0;
    $sum += $c{$_}[$k] for grep { m{^kind/} && $_ ne 'kind/(total)' } keys %c;
    is( $c{'kind/(total)'}[$k], $sum, "file $k: (total) is the sum of the kinds" );
    is( $sum, $svs, "file $k: ... and the file's SV count (cpmat info)" );
}
my $dir = LeakSeries::tmpdir();
symlink $files[0], "$dir/a,b.pmat" or die;
( undef, $csv ) = LeakSeries::run( $tool, '--csv', "$dir/a,b.pmat", $files[1] );
like( ( split /\n/, $csv )[0], qr/^section,name,"\Q$dir\E\/a,b\.pmat",/, '--csv: a file name with a comma is quoted' );

# --bytes: the same table of the SVs' sizes; every Lk object has the same size
( $rc, $csv ) = LeakSeries::run( $tool, '--bytes', '--csv', @files );
is( $rc, 0, '--bytes: exit 0' );
my ( undef, @brows ) = split /\n/, $csv;
my %b = map { my @f = split /,/; ( "$f[0]/$f[1]" => [ @f[ 2 .. $#f ] ] ) } @brows;
my ( $se, $en ) = ( $b{'package/Lk::Session'}[1] / 4, $b{'package/Lk::Entry'}[1] );
ok( $se > 0 && $en > 0, '--bytes: an Lk::Session and an Lk::Entry have a size' );
is_deeply( $b{'package/Lk::Session'}, [ 0, 4 * $se, 8 * $se, 12 * $se, 12 * $se ], '--bytes: Lk::Session grows by 4 objects a round' );
is_deeply( $b{'package/Lk::Entry'}, [ 0, $en, 2 * $en, 2 * $en, 2 * $en ], '--bytes: Lk::Entry stays at 2 objects' );
my $kb = 0;
$kb += $b{$_}[-2] for grep { m{^kind/} && $_ ne 'kind/(total)' } keys %b;
is( $b{'kind/(total)'}[-2], $kb, '--bytes: (total) is the sum of the kinds' );

# --blessed: a regex, unanchored
( $rc, $out ) = LeakSeries::run( $tool, '--blessed', '^Lk::(Record|Session)$', @files );
is( $rc, 0, '--blessed REGEX: exit 0' );
is_deeply( [ map { /^(\S+)/ } grep { /^Lk::/ } split /\n/, $out ], [qw(Lk::Session Lk::Record)], '--blessed REGEX: only the matching packages' );
unlike( $out, qr/^Kind/m, '--blessed: no Kind section' );
( undef, $out ) = LeakSeries::run( $tool, '--blessed', 'Entr', @files );
is_deeply( [ map { /^(\S+)/ } grep { !/^(#|Package|$)/ } split /\n/, $out ], ['Lk::Entry'], '--blessed SUBSTRING' );

# --svg
my $svg = "$dir/chart.svg";
( $rc, $out, $err ) = LeakSeries::run( $tool, '--svg', $svg, '--top', 2, @files );
is( $rc, 0, '--svg: exit 0' );
my $x = LeakSeries::slurp($svg);
like( $x, qr/\A<\?xml [^>]*\?>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, '--svg: an SVG document' );
like( $x, qr{</svg>\n\z}, '--svg: complete' );
is( scalar( () = $x =~ /<polyline /g ), 2, '--top 2: two lines' );
is_deeply( [ $x =~ /<text [^>]*>(Lk::\S+ \(\+\d+\))<\/text>/g ], [ 'Lk::Session (+12)', 'Lk::Record (+6)' ], '--svg: the legend, most growth first' );
like( $x, qr/>number of SVs</, '--svg: a y axis title' );
( undef, undef, $err ) = LeakSeries::run( $tool, '--bytes', '--svg', "$dir/bytes.svg", @files );
like( LeakSeries::slurp("$dir/bytes.svg"), qr/>bytes \(pmat's size\)</, '--bytes --svg: the y axis is bytes' );
like( $x, qr/>(dump \(file order\)|seconds since the first dump \(file mtime\))</, '--svg: an x axis title' );
my @pts = $x =~ /<polyline [^>]*points="([^"]+)"/;
is( scalar( my @p = split ' ', $pts[0] ), $N, '--svg: a point per file' );
SKIP: {
    my ($rsvg) = grep { -x } map { "$_/rsvg-convert" } split /:/, $ENV{PATH};
    skip 'rsvg-convert is not installed (Debian: librsvg2-bin)', 1 unless $rsvg;
    ( $rc, undef, $err ) = LeakSeries::run( $rsvg, '-o', "$dir/chart.png", $svg );
    ok( $rc == 0 && -s "$dir/chart.png", 'rsvg-convert renders the chart' ) or diag $err;
}

# distinct mtimes: x is seconds since the first dump, gaps to scale
{
    my @at = ( 0, 60, 120, 600 );
    utime 1_700_000_000 + $at[$_], 1_700_000_000 + $at[$_], $files[$_] or die for 0 .. $N - 1;
    ( $rc, undef, $err ) = LeakSeries::run( $tool, '--svg', $svg, @files );
    my $t = LeakSeries::slurp($svg);
    like( $t, qr/>seconds since the first dump \(file mtime\)</, 'distinct mtimes: the x axis is time' );
    my ($pts) = $t =~ /<polyline [^>]*points="([^"]+)"/;
    my @x = map { (split /,/)[0] } split ' ', $pts;
    my @frac = map { sprintf '%.2f', ( $x[$_] - $x[0] ) / ( $x[-1] - $x[0] ) } 0 .. $#x;
    is_deeply( \@frac, [qw(0.00 0.10 0.20 1.00)], 'distinct mtimes: points placed by time (0, 60, 120, 600 s)' );
    like( $t, qr/>600<\/text>/, 'distinct mtimes: a tick label at 600 s' );
}

# --pmat-version: 0.56 moves the SCALARs with no value to an UNDEF row
{
    my %k;
    for my $v (qw(0.51 0.56)) {
        ( $rc, my $o ) = LeakSeries::run( $tool, '--pmat-version', $v, '--csv', @files );
        is( $rc, 0, "--pmat-version $v: exit 0" );
        $k{$v} = { map { my @f = split /,/; $f[0] eq 'kind' ? ( $f[1] => [ @f[ 2 .. $#f ] ] ) : () } split /\n/, $o };
    }
    ok( !$k{'0.51'}{UNDEF}, '--pmat-version 0.51: no UNDEF row' );
    ok( $k{'0.56'}{UNDEF} && $k{'0.56'}{UNDEF}[0] > 0, '--pmat-version 0.56: an UNDEF row (every file has undef scalars)' );
    is_deeply( [ map { $k{'0.56'}{SCALAR}[$_] + $k{'0.56'}{UNDEF}[$_] } 0 .. $N - 1 ], [ @{ $k{'0.51'}{SCALAR} }[ 0 .. $N - 1 ] ],
        '... taken from the SCALAR row of 0.51' );
    is_deeply( $k{'0.56'}{'(total)'}, $k{'0.51'}{'(total)'}, '... the total stays' );
    LeakSeries::refuses( $tool, '--pmat-version 1.2', [ '--pmat-version', '1.2', @files ], qr/--pmat-version needs a Devel::MAT version/ );
}

# pmat-counts: the same counts per kind, and per package
SKIP: {
    my $ref = ReaderFormat::pmat_tool('pmat-counts');
    skip 'pmat-counts (Devel::MAT) is not installed for this perl (Debian: libdevel-mat-perl)', 2 unless $ref;
    my ( $rrc, $rout ) = LeakSeries::run( $ref, '--blessed', @files );
    my ( %kind, %pkg, $k );
    for ( split /\n/, $rout ) {
        if ( /^(\S.*)$/ ) { ($k) = grep { $files[$_] eq $1 } 0 .. $#files; next }
        if ( /^  ([A-Z_]+|\(total\))\s+(\d+)/ ) { $kind{$1}[$k] = $2; next }
        if ( /^      (\S+)\s+(\d+)/ ) { $pkg{$1}[$k] += $2 }
    }
    my %ours = map { m{^kind/(.*)} ? ( $1 => [ map { $_ || undef } @{ $c{$_} }[ 0 .. $N - 1 ] ] ) : () } keys %c;
    $_ = [ map { $_ || undef } @$_[ 0 .. $N - 1 ] ] for values %kind;
    is_deeply( \%ours, \%kind, 'the kinds\' counts in every file are pmat-counts\'' );
    my %op = map { m{^package/(.*)} ? ( $1 => [ map { $_ || undef } @{ $c{$_} }[ 0 .. $N - 1 ] ] ) : () } keys %c;
    if ( !%pkg ) {
        # pmat-counts 0.56 --blessed prints no package rows for any file
        # (Count.pm's breakdown is looked up by $_, not by the kind): the
        # packages are then counted through Devel::MAT's own reader.
        note "pmat-counts $pmat_version --blessed lists no packages (pmat's bug); counting through Devel::MAT's API";
        for my $k ( 0 .. $N - 1 ) {
            my $pm = Devel::MAT->load( $files[$k] );
            $pkg{ $_->blessed->stashname }[$k]++ for grep { $_->blessed } $pm->dumpfile->heap;
        }
    }
    $_ = [ map { $_ || undef } @$_[ 0 .. $N - 1 ] ] for values %pkg;
    is_deeply( \%op, \%pkg, 'the packages\' counts are pmat-counts --blessed\'s (summed over kinds), or Devel::MAT\'s' );
}

# bad inputs: one line on STDERR, exit 2
my $text = "$dir/not-a-dump.pmat";
{ open my $fh, '>', $text or die; print {$fh} "no heap here\n" }
my $trunc = "$dir/truncated.pmat";
{ my $d = LeakSeries::slurp( $files[1] ); open my $fh, '>', $trunc or die; print {$fh} substr( $d, 0, int( length($d) / 3 ) ) }
for my $c (
    [ 'no files', [], qr/no files/ ],
    [ 'an unknown option', [ '--frob', @files ], qr/unknown option --frob/ ],
    [ 'not a dump', [ $files[0], $text ], qr/\Q$text\E: at byte \d+: / ],
    [ 'a truncated dump', [ $files[0], $trunc ], qr/\Q$trunc\E: at byte \d+: / ],
    [ 'a missing file', [ $files[0], "$dir/nope.pmat" ], qr/\Q$dir\E\/nope\.pmat/ ],
    [ '--top 0', [ '--svg', "$dir/x.svg", '--top', 0, @files ], qr/--top wants a number/ ],
    [ 'a bad regex', [ '--blessed', '(', @files ], qr/--blessed \(: / ],
    [ '--svg without a value', ['--svg'], qr/--svg needs a value/ ],
) {
    LeakSeries::refuses( $tool, @$c );
}
( $rc, $out ) = LeakSeries::run( $tool, '--help' );
is( $rc, 0, '--help: exit 0' );
like( $out, qr/^usage: cpmat-counts /, '--help: the usage line' );

done_testing;
