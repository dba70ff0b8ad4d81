# cpmat retained, dominators and largest --retained on dumps of known heaps:
# the exact retained sets the dominator tree must give (a hash owning an
# array of 1,000 strings; the same array held twice; a cycle off a root; an
# object kept only by a raised refcount), the chain of dominators in
# identify's words, the top lists and the --by groups (each byte once).
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use CpmatTest;

my $cpmat = find_cpmat() or plan skip_all => 'cpmat is not built';
plan skip_all => 'our dumper is not built' unless -e 'blib/lib/Devel/MAT/Dumper.pm';

my $prog = <<'EOP';
package Owner; sub new { bless { list => [ map { "string $_" } 1 .. 1000 ] }, $_[0] }
package Node;  sub new { bless { name => $_[1] }, $_[0] }
package main;
our $owner  = Owner->new;
our $shared = Owner->new; our $again = $shared->{list};   # the array held twice
our $ring;
{ my $a = Node->new('a'); my $b = Node->new('b'); my $c = Node->new('c');
  $a->{next} = $b; $b->{next} = $c; $c->{next} = $a; $ring = $a; }
{ my $lost = Node->new('lost'); $lost->{kids} = [ map { Node->new("kid $_") } 1 .. 3 ];
  Internals::SvREFCNT( %$lost, 2 ); }
Devel::MAT::Dumper::dump( shift );
EOP
my $file = make_dump( 'retained', $prog ) or BAIL_OUT('cannot make the dump');

sub cp { my ( $rc, $out, $err ) = run_cpmat( $cpmat, '--quiet', $file, @_ ); return wantarray ? ( $rc, $out, $err ) : $out }
sub addr_of { my ($sym) = @_; my ($a) = cp( 'identify', $sym ) =~ /^\S+ at (0x[0-9a-f]+)/ or die "no $sym"; return $a }
sub referent { my ($ref) = @_; my ($a) = cp( 'show', $ref ) =~ /^  RV=\S+ at (0x[0-9a-f]+)/m or die "no RV in $ref"; return $a }
# the SV a hash's value KEY refers to (through its REF)
sub value_ref { my ( $hv, $key ) = @_; my ($a) = cp( 'values', $hv ) =~ /^  \{\Q$key\E\} REF\(\) at 0x[0-9a-f]+ => \S+ at (0x[0-9a-f]+)/m or die "no {$key} in $hv"; return $a }
sub first_line { ( split /\n/, $_[0] )[0] }

# the objects behind the package variables
my ( $owner, $shared, $ring ) = map { referent( addr_of($_) ) } qw($main::owner $main::shared $main::ring);
my $r = cp( 'retained', $owner );
like( first_line($r), qr/^Retained by HASH\(1\)=Owner at \Q$owner\E: 1003 SVs, (\d+) bytes \((?:[\d.]+ KiB|\d+ bytes)\)$/,
    'a hash owning an array of 1,000 strings retains 1,003 SVs (itself, the REF, the array, the strings)' );
my ($bytes) = first_line($r) =~ /: 1003 SVs, (\d+) bytes/;
like( $r, qr/\n\x{e2}\x{94}\x{94}\x{e2}\x{94}\x{80}the referrant of REF\(\) at 0x[0-9a-f]+, which is:\n  \x{e2}\x{94}\x{94}\x{e2}\x{94}\x{80}the symbol '\$main::owner' \(the scalar of GLOB\(\$\*\) at 0x[0-9a-f]+\), which is:\n    \x{e2}\x{94}\x{94}\x{e2}\x{94}\x{80}the glob '\*main::owner', reachable from the roots along more than one path/,
    '... held by the REF in $main::owner, the chain in identify\'s words' ) or diag $r;

like( first_line( scalar cp( 'retained', $shared ) ), qr/: 2 SVs, \d+ bytes/, 'the same array also referenced from a package variable: the hash retains 2 (itself and its REF)' );

like( first_line( scalar cp( 'retained', $ring ) ), qr/^Retained by HASH\(2\)=Node at \Q$ring\E: 9 SVs,/,
    'a cycle hanging off one root is retained by its entry point (3 hashes, 3 names, 3 REFs)' );
my $rb = cp( 'retained', value_ref( $ring, 'next' ) );
like( first_line($rb), qr/: 6 SVs,/, '... the next one in the ring retains the rest of it' );
like( $rb, qr/^\S+the referrant of REF\(\) at 0x[0-9a-f]+, which is:\n  \S+value \{next\} of HASH\(2\)=Node at \Q$ring\E, which is:/m,
    '... and is dominated through the entry point' ) or diag $rb;

# the object kept only by a raised refcount, with what it holds
my @nodes = cp( 'find', 'blessed', 'Node' ) =~ /at (0x[0-9a-f]+)/g;
# (its kids hang in the same island, under it: the one that retains most)
my ($island) = map { $_->[0] } sort { $b->[1] <=> $a->[1] }
    map { my $r = cp( 'retained', $_ ); $r =~ /not reachable from the roots/ ? [ $_, $r =~ /: (\d+) SVs?,/ ] : () } @nodes;
ok( $island, 'the object kept by a raised refcount: not reachable from the roots' );
like( first_line( scalar cp( 'retained', $island ) ), qr/: 1[0-9] SVs,/, '... and retains its kids (3 Nodes, their names, the array, the REFs)' );

# dominators: the top list, each with its retained size
my $top = cp( 'dominators', '-5' );
my @rows = split /\n/, $top;
is( scalar @rows, 5, 'dominators -5: five rows' );
like( $rows[0], qr/^STASH\(\d+\) at 0x[0-9a-f]+=defstash: \d+ SVs, \d+ bytes \(/, '... the default stash first' );
my @b = map { /: \d+ SVs?, (\d+) bytes/ } @rows;
is_deeply( \@b, [ sort { $b <=> $a } @b ], '... largest first' );
like( cp( 'dominators' ), qr/\A(?:.*\n){20}\z/, 'dominators: 20 rows by default' );
my ($isl_row) = grep { /^HASH\(\d+\)=Node at \Q$island\E: / } split /\n/, cp( 'dominators', '-100000' );
like( $isl_row // '', qr/: 1\d SVs, \d+ bytes \([^)]*\); not reachable from the roots: held outside Perl's view, or leaked$/,
    'dominators: the lost object\'s row says nothing reachable holds it' );
unlike( $rows[0], qr/not reachable/, '... the default stash\'s does not' );
my $by = cp( 'dominators', '--by', 'class' );
like( $by, qr/^Owner: 2 objects retain 1005 SVs, $bytes|^Owner: 2 objects retain 1005 SVs/m,
    '--by class: the two Owners retain 1003 + 2 SVs' ) or diag $by;
like( $by, qr/^Node: 7 objects retain (\d+) SVs/m, '--by class: the 7 Nodes (the ring of 3, the lost one and its 3 kids)' );
my ($ring_svs) = first_line( scalar cp( 'retained', $ring ) ) =~ /: (\d+) SVs/;
my ($isl_svs) = first_line( scalar cp( 'retained', $island ) ) =~ /: (\d+) SVs/;
like( $by, qr/^Node: 7 objects retain @{[ $ring_svs + $isl_svs ]} SVs/m, '... each byte once: the ring\'s entry and the lost one, whose SVs hold the others' );
my @types = split /\n/, cp( 'dominators', '--by', 'type' );
ok( ( grep { /^STASH: \d+ SVs retain \d+ SVs/ } @types ) && ( grep { /^HASH: \d+ SVs retain/ } @types ), '--by type: a row per type' );
my @tb = map { /, (\d+) bytes/ } @types;
is_deeply( \@tb, [ sort { $b <=> $a } @tb ], '--by type: largest first' );
like( cp( 'dominators', '--by', 'package' ), qr/^main: \d+ symbols retain/m, '--by package: main\'s symbols' );
for my $bad ( [ '--by', 'colour' ], ['-x'], ['--by'] ) {
    my ( $rc, $out, $err ) = cp( 'dominators', @$bad );
    is( $rc, 2, "dominators @$bad: exit 2" );
    like( $err, qr/\Acpmat: dominators: .*\n\z/, "dominators @$bad: one line" );
}

# largest --retained: the same order as dominators
my $lr = cp( 'largest', '--retained', 5 );
my @lrows = grep { !/^others/ } split /\n/, $lr;
is_deeply( [ map { /^(\S+ at 0x[0-9a-f]+)/ } @lrows ], [ map { /^(\S+ at 0x[0-9a-f]+)/ } @rows ], 'largest --retained 5: the SVs dominators lists' );
like( $lr, qr/^others: /m, '... then what none of them retains' );
my $nested = cp( 'largest', '--retained', 1, 2 );
like( $nested, qr/\ASTASH\(\d+\) at 0x[0-9a-f]+=defstash: [\d.]+ \w+: of which\n \|   \S+ at 0x[0-9a-f]+: /, 'largest --retained 1 2: what the top one dominates, under it' );

# errors
my ( $rc, $out, $err ) = cp( 'retained', '0x1' );
is( $rc, 2, 'retained of no SV: exit 2' );
like( $err, qr/\Acpmat: retained: .*\n\z/, '... with one line' );
done_testing;
