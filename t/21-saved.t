#!/usr/bin/perl
# SAVED_* records: `local` inside a running sub leaves the old values on the
# save stack; the dump attaches each to its owner (glob, array or hash).
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use PMATTest;

our $x    = 'old x';
our @arr  = ( 1, 2, 3 );
our %h    = ( k => 'old h' );
our @arr2 = qw(a b c);
our %h2   = ( k => 'old h2{k}', other => 'untouched' );
sub foo { return 'old foo' }

# Addresses of the values the globals, elements and code slot hold now:
# taken before `local` sets them aside and again while it is in force.
sub current_addrs
{
    return (
        x       => addr_of( \$x ),
        arr     => addr_of( \@arr ),
        h       => addr_of( \%h ),
        arr2_1  => addr_of( \$arr2[1] ),
        h2_k    => addr_of( \$h2{k} ),
        foo     => addr_of( \&foo ),
    );
}
my %old = current_addrs();
my %owner = (
    gx    => addr_of( \*main::x ),
    garr  => addr_of( \*main::arr ),
    gh    => addr_of( \*main::h ),
    arr2  => addr_of( \@arr2 ),
    h2    => addr_of( \%h2 ),
    gfoo  => addr_of( \*main::foo ),
);

my ( $path, %new );
sub inner
{
    $path = dump_self();
}
sub outer
{
    local $x       = 5;
    local @arr     = ('new arr');
    local %h       = ( new => 'h' );
    local $arr2[1] = 'new elem';
    local $h2{k}   = 'new h2{k}';
    local *foo     = sub { return 'new foo' };
    inner();
    %new = current_addrs();
    return;
}
outer();

# sanity: `local` really swapped in new SVs, so the test can tell them apart
isnt( $new{$_}, $old{$_}, "local gave $_ a new SV" ) for sort keys %old;

my $d = cpmat_dump($path);

sub saved_of
{
    my ( $addr, $kind ) = @_;
    return grep { $_->{kind} eq $kind } @{ ( $d->{svs}{$addr} // {} )->{saved} // [] };
}

# local $x: SAVED_SV on *x with the old scalar
{
    my @s = saved_of( $owner{gx}, 'SV' );
    is( scalar @s, 1, 'local $x: one SAVED_SV on *x' );
    is( ( $s[0] // {} )->{sv}, $old{x}, 'local $x: saved sv is the old $x' );
    is( ( sv_at( $d, $old{x} ) // {} )->{pv}, 'old x', 'local $x: the old value is still in the dump' );
    my $gv = sv_at( $d, $owner{gx} ) // {};
    is( $gv->{scalar}, $new{x}, 'local $x: *x scalar slot holds the new $x' );
    is( ( sv_at( $d, $gv->{scalar} ) // {} )->{iv}, 5, 'local $x: new value 5' );
}

# local @arr: SAVED_AV on *arr
{
    my @s = saved_of( $owner{garr}, 'AV' );
    is( scalar @s, 1, 'local @arr: one SAVED_AV on *arr' );
    is( ( $s[0] // {} )->{av}, $old{arr}, 'local @arr: saved av is the old @arr' );
    is( ( sv_at( $d, $old{arr} ) // {} )->{n}, 3, 'local @arr: old @arr still has 3 elements' );
    is( ( sv_at( $d, $owner{garr} ) // {} )->{array}, $new{arr}, 'local @arr: *arr array slot holds the new @arr' );
}

# local %h: SAVED_HV on *h
{
    my @s = saved_of( $owner{gh}, 'HV' );
    is( scalar @s, 1, 'local %h: one SAVED_HV on *h' );
    is( ( $s[0] // {} )->{hv}, $old{h}, 'local %h: saved hv is the old %h' );
    is_deeply( [ keys %{ ( sv_at( $d, $old{h} ) // {} )->{values} // {} } ], ['k'], 'local %h: old %h has key k' );
    is( ( sv_at( $d, $owner{gh} ) // {} )->{hash}, $new{h}, 'local %h: *h hash slot holds the new %h' );
}

# local $arr2[1]: SAVED_AELEM on @arr2, index 1
{
    my @s = saved_of( $owner{arr2}, 'AELEM' );
    is( scalar @s, 1, 'local $arr2[1]: one SAVED_AELEM on @arr2' );
    is( ( $s[0] // {} )->{index}, 1, 'local $arr2[1]: index 1' );
    is( ( $s[0] // {} )->{sv}, $old{arr2_1}, 'local $arr2[1]: saved sv is the old element' );
    is( ( sv_at( $d, $old{arr2_1} ) // {} )->{pv}, 'b', 'local $arr2[1]: old element value b' );
    is( ( ( sv_at( $d, $owner{arr2} ) // {} )->{elems} // [] )->[1], $new{arr2_1}, 'local $arr2[1]: @arr2 now holds the new element' );
}

# local $h2{k}: SAVED_HELEM on %h2 with the key SV
{
    my @s = saved_of( $owner{h2}, 'HELEM' );
    is( scalar @s, 1, 'local $h2{k}: one SAVED_HELEM on %h2' );
    my $key = sv_at( $d, ( $s[0] // {} )->{key} ) // {};
    is( $key->{type}, 'SCALAR', 'local $h2{k}: key is a SCALAR' );
    is( $key->{pv}, 'k', 'local $h2{k}: key pv is "k"' );
    is( ( $s[0] // {} )->{sv}, $old{h2_k}, 'local $h2{k}: saved sv is the old value' );
    is( ( sv_at( $d, $old{h2_k} ) // {} )->{pv}, 'old h2{k}', 'local $h2{k}: old value' );
    is( ( ( sv_at( $d, $owner{h2} ) // {} )->{values} // {} )->{k}, $new{h2_k}, 'local $h2{k}: %h2 now holds the new value' );
}

# local *foo = sub {}: SAVED_CV on *foo with the old sub
{
    my @s = saved_of( $owner{gfoo}, 'CV' );
    is( scalar @s, 1, 'local *foo = sub: one SAVED_CV on *foo' );
    is( ( $s[0] // {} )->{cv}, $old{foo}, 'local *foo = sub: saved cv is the old &foo' );
    is( ( sv_at( $d, $old{foo} ) // {} )->{type}, 'CODE', 'local *foo = sub: old &foo is dumped as CODE' );
    is( ( sv_at( $d, $owner{gfoo} ) // {} )->{code}, $new{foo}, 'local *foo = sub: *foo code slot holds the new sub' );
}

# Test::More and perl itself may have other things localised on the save
# stack; whatever is there must at least belong to a dumped SV.
{
    my @bad = grep {
        my $sv = $d->{svs}{$_};
        @{ $sv->{saved} // [] } && !$sv->{type}
    } keys %{ $d->{svs} };
    is_deeply( \@bad, [], 'every SAVED record belongs to an SV in the dump' );
}

# An immediate (SIGABRT) dump can land while the regex engine is half-way
# through pushing its raw backtracking slots: integers that read as a save
# entry.  The dump must check such an "owner" before reading through it
# (this crashed with SIGSEGV about 1 time in 100 in t/31's kill -ABRT test)
# and leave the entry out.
{
    my $bogus = PMATTest::fresh_path();
    ok( eval { Devel::MAT::Dumper::_dump_over_bogus_save_entry( $bogus ); 1 },
        'a dump over a save entry whose GV is the integer 0x25 completes' ) or diag( $@ );
    my $b = cpmat_dump( $bogus );
    ok( $b && scalar keys %{ $b->{svs} }, 'and parses' );
    my @saved = map { @{ $_->{saved} // [] } } values %{ $b->{svs} };
    is( scalar( grep { ( $_->{sv} // $_->{hv} // '' ) eq '0x21' } @saved ), 0, 'the bogus entry is not in it' );
    is_deeply( [ grep { !$b->{svs}{$_}{type} && @{ $b->{svs}{$_}{saved} // [] } } keys %{ $b->{svs} } ], [],
               'every SAVED record still belongs to an SV in the dump' );
}

done_testing;
