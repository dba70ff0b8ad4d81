# The dominator tree (reader/dominators.c) against a brute-force oracle: on
# thousands of random graphs (cycles, self-loops, weak edges, unreachable
# islands, no roots at all), for every node X take X away, see what the
# roots (and the islands' entries) still reach, and compare what is lost --
# X's retained set -- and each node's immediate dominator with the tree's.
# Then a chain of a million nodes (the search and the path compression must
# not recurse).  The graphs go through a test-only driver, t/c/dominators.c,
# built here against the library's source, under ASan/UBSan when the
# compiler has them.
use strict;
use warnings;
use Test::More;
use Config;
use File::Temp qw(tempdir);

my $tmp = tempdir( CLEANUP => 1 );
my $drv = "$tmp/dominators";
my $cc  = $ENV{CC} || $Config{cc};
my @src = ( 't/c/dominators.c', 'reader/dominators.c' );
my $built;
for my $san ( '-fsanitize=address,undefined -fno-sanitize-recover=all', '' ) {
    $built = !system "$cc -std=c99 -O1 -g -Wall -Wextra -Werror $san -Ireader -o $drv @src 2>$tmp/cc.err";
    if ($built) { note $san ? "driver built with $san" : 'driver built without sanitizers'; last }
}
unless ($built) {
    plan skip_all => "no C compiler ($cc)" if system("$cc --version >/dev/null 2>&1");
    # the compiler is there: our code does not build, which is a failure
    fail('t/c/dominators.c and reader/dominators.c build warnings-clean');
    diag do { local ( @ARGV, $/ ) = "$tmp/cc.err"; <> };
    done_testing;
    exit;
}

# Run the driver on graphs [ n, roots, edges ]; returns, per graph,
# [ { node => [ idom, island, count, bytes ] }, [ total count, bytes ] ].
sub trees_of
{
    my (@g) = @_;
    my $in = "$tmp/g.txt";
    open my $fh, '>', $in or die;
    for (@g) {
        my ( $n, $roots, $edges ) = @$_;
        print {$fh} join( ' ', $n, scalar @$edges, scalar @$roots ), "\n@$roots\n";
        print {$fh} $_->[0], ' ', $_->[1] + ( $_->[2] ? $n : 0 ), "\n" for @$edges;
    }
    close $fh;
    my @out = `$drv < $in`;
    die "driver: exit $?" if $?;
    my ( @trees, %t );
    for (@out) {
        if (/^total (\d+) (\d+)$/) { push @trees, [ {%t}, [ $1, $2 ] ]; %t = (); next }
        my ( $v, @f ) = split;
        $t{$v} = \@f;
    }
    return @trees;
}
sub tree_of { return @{ ( trees_of( [@_] ) )[0] } }

# What the roots reach, never passing through $avoid.
sub reach
{
    my ( $succ, $starts, $avoid, $seen ) = @_;
    my @todo = grep { !defined $avoid || $_ != $avoid } @$starts;
    while ( defined( my $v = pop @todo ) ) {
        next if $seen->{$v}++;
        push @todo, grep { !$seen->{$_} && ( !defined $avoid || $_ != $avoid ) } @{ $succ->[$v] || [] };
    }
    return $seen;
}

# The brute force: the same tree, from the definition.
sub oracle
{
    my ( $n, $roots, $edges ) = @_;
    my ( @succ, @haspred );
    for (@$edges) {
        next if $_->[2];    # weak: not an edge
        push @{ $succ[ $_->[0] ] }, $_->[1];
        $haspred[ $_->[1] ] = 1;
    }
    my @entry = grep { $_ < $n } @$roots;
    my $seen = reach( \@succ, \@entry, undef, {} );
    my %reached = %$seen;
    # the islands' entries: first nodes nothing points at, then the rest
    for my $pass ( 0, 1 ) {
        for my $v ( 0 .. $n - 1 ) {
            next if $seen->{$v} || ( !$pass && $haspred[$v] );
            push @entry, $v;
            reach( \@succ, [$v], undef, $seen );
        }
    }
    my ( %lost, %t );
    for my $x ( 0 .. $n - 1 ) {
        my $r = reach( \@succ, \@entry, $x, {} );
        $lost{$x} = [ grep { !$r->{$_} } 0 .. $n - 1 ];
    }
    for my $y ( 0 .. $n - 1 ) {
        my @dom = sort { @{ $lost{$a} } <=> @{ $lost{$b} } } grep { $_ != $y && grep { $_ == $y } @{ $lost{$_} } } 0 .. $n - 1;
        my $bytes = 0;
        $bytes += $_ + 1 for @{ $lost{$y} };
        $t{$y} = [ @dom ? $dom[0] : $n, $reached{$y} ? 0 : 1, scalar @{ $lost{$y} }, $bytes ];
    }
    my $all = 0;
    $all += $_ + 1 for 0 .. $n - 1;
    return ( \%t, [ $n, $all ] );
}

srand( $ENV{DOM_SEED} // 20261204 );
note 'seed ', $ENV{DOM_SEED} // 20261204;
my @graphs;
for my $i ( 1 .. 2000 ) {
    my $n = 1 + int rand( $i % 10 ? 12 : 40 );
    my $density = rand 2.5;
    my @edges;
    push @edges, [ int rand $n, int rand $n, rand() < 0.1 ? 1 : 0 ] for 1 .. int( $n * $density );
    # shapes random edges seldom make: a chain, a cycle, self-loops
    if ( $i % 3 == 0 ) { my $s = int rand $n; push @edges, map { [ $_, $_ + 1, 0 ] } $s .. $n - 2 }
    if ( $i % 5 == 0 ) { my @c = map { int rand $n } 1 .. 4; push @edges, map { [ $c[$_], $c[ ( $_ + 1 ) % 4 ], 0 ] } 0 .. 3 }
    if ( $i % 7 == 0 ) { my $v = int rand $n; push @edges, [ $v, $v, 0 ] }
    my @roots = $i % 11 ? map { int rand $n } 0 .. int rand 3 : ();    # every 11th: no roots at all
    push @roots, $n if $i % 13 == 0;    # "none", which the driver ignores
    push @graphs, [ $n, \@roots, \@edges ];
}
my @trees = trees_of(@graphs);
is( scalar @trees, scalar @graphs, 'a tree for every graph' );
my $bad = 0;
for my $i ( 0 .. $#graphs ) {
    my ( $n, $roots, $edges ) = @{ $graphs[$i] };
    my ( $got, $gtot ) = @{ $trees[$i] };
    my ( $want, $wtot ) = oracle( $n, $roots, $edges );
    next if eq_deeply_simple( $got, $want ) && "@$gtot" eq "@$wtot";
    $bad++;
    if ( $bad <= 3 ) {
        diag "graph $i: n=$n roots=@$roots edges=" . join( ' ', map { "$_->[0]>$_->[1]" . ( $_->[2] ? 'w' : '' ) } @$edges );
        for my $v ( 0 .. $n - 1 ) {
            diag "  node $v: got @{ $got->{$v} || [] }, want @{ $want->{$v} }" if "@{ $got->{$v} || [] }" ne "@{ $want->{$v} }";
        }
    }
}
is( $bad, 0, scalar(@graphs) . " random graphs: every node's idom, island flag, retained count and bytes are the brute force's" );

sub eq_deeply_simple
{
    my ( $a, $b ) = @_;
    return 0 unless keys %$a == keys %$b;
    for ( keys %$b ) { return 0 unless $a->{$_} && "@{ $a->{$_} }" eq "@{ $b->{$_} }" }
    return 1;
}

# Exact shapes
{
    # a hash (0) owning an array (1) of 1,000 strings (2..1001), from a root
    my @e = ( [ 0, 1, 0 ], map { [ 1, $_, 0 ] } 2 .. 1001 );
    my ($t) = tree_of( 1002, [0], \@e );
    is( $t->{0}[2], 1002, 'a hash owning an array of 1,000 strings retains all of them' );
    # ... and the array also held from a second root (a package variable)
    ($t) = tree_of( 1002, [ 0, 1 ], \@e );
    is( $t->{0}[2], 1, '... the array held from elsewhere too: the hash retains itself only' );
    is( $t->{1}[0], 1002, '... and the array is dominated by the super-root' );
    # a cycle 1 -> 2 -> 3 -> 1 hanging off root 0
    ($t) = tree_of( 4, [0], [ [ 0, 1, 0 ], [ 1, 2, 0 ], [ 2, 3, 0 ], [ 3, 1, 0 ] ] );
    is_deeply( [ map { $t->{$_}[0] } 0 .. 3 ], [ 4, 0, 1, 2 ], 'a cycle hanging off a root: retained by its entry point' );
    is( $t->{1}[2], 3, '... which retains the whole cycle' );
    # an island: a leaked cycle 2 <-> 3, and 4 held only by the cycle
    ($t) = tree_of( 5, [0], [ [ 0, 1, 0 ], [ 2, 3, 0 ], [ 3, 2, 0 ], [ 3, 4, 0 ] ] );
    is_deeply( [ map { $t->{$_}[1] } 0 .. 4 ], [ 0, 0, 1, 1, 1 ], 'the unreachable cycle is an island' );
    is_deeply( [ $t->{2}[0], $t->{2}[2] ], [ 5, 3 ], "... its entry (the lowest index) is the super-root's and retains it all" );
    # weak edges are not edges
    ($t) = tree_of( 2, [0], [ [ 0, 1, 1 ] ] );
    is_deeply( [ @{ $t->{1} }[ 0, 1 ] ], [ 2, 1 ], 'held only weakly: an island' );
}

# A chain of a million: no recursion anywhere
{
    my $n = 1_000_000;
    my $in = "$tmp/chain.txt";
    open my $fh, '>', $in or die;
    print {$fh} "$n ", $n - 1 + 1, " 1\n0\n";
    print {$fh} map { "$_ " . ( $_ + 1 ) . "\n" } 0 .. $n - 2;
    print {$fh} $n - 1, " 0\n";    # and back to the start: one big cycle
    close $fh;
    my @out = `$drv < $in`;
    is( $?, 0, 'a chain of 1,000,000 nodes closed into a cycle: the driver finishes' );
    is( $out[0], "0 $n 0 $n " . ( $n * ( $n + 1 ) / 2 ) . "\n", '... the first node retains them all' );
    is( $out[-2], ( $n - 1 ) . ' ' . ( $n - 2 ) . " 0 1 $n\n", '... the last is dominated by the one before' );
}

done_testing;
