#!/usr/bin/perl
# ARRAY and HASH SVs: element/value pointers, holes, @_ (not REAL), keys as
# bytes, backrefs, and big containers.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use PMATTest;
use Scalar::Util qw(weaken);
use Hash::Util qw(lock_keys);

my @arr = ( 10, "x", 3.5 );
$arr[5] = 'end';                                   # 3 and 4 are holes
my @empty;
my @big = map { "e$_" } 1 .. 10_000;

my $ukey = "\x{263a}smile";
my $bkey = "k\0\xff";
my %h    = ( alpha => 1, beta => "two", $ukey => 3, $bkey => 4 );
my %empty_h;
my %big_h = map { ( "key$_" => $_ ) } 1 .. 5_000;

my %one_weak   = ( a => 1 );
my $w1         = \%one_weak;
weaken($w1);
my %two_weak   = ( b => 2 );
my ( $w2, $w3 ) = ( \%two_weak, \%two_weak );
weaken($w2);
weaken($w3);

# a restricted hash with a deleted key keeps a placeholder entry internally
my %locked = ( a => 1, b => 2, c => 3 );
lock_keys(%locked);
delete $locked{a};

# an array that has been shifted (AvARRAY != AvALLOC)
my @shifted = ( 'gone', 'gone too', 'x', 'y', 'z' );
shift @shifted for 1 .. 2;

# @_ inside a sub: dumped from inside, while it's alive and aliasing the args
my ( $arg0, $arg1 ) = ( "first", 22 );
my ( $args_path, $args_av, @args_elems );
sub with_args
{
    # addresses taken only after the dump: referencing @_ (\@_) reifies it,
    # which would make it REAL
    $args_path  = dump_self();
    $args_av    = addr_of( \@_ );
    @args_elems = map { addr_of( \$_ ) } @_;
}
with_args( $arg0, $arg1 );

my $path = dump_self();
my $d    = cpmat_dump($path);

# --- arrays
{
    my $av = sv_at( $d, addr_of( \@arr ) ) // {};
    is( $av->{type}, 'ARRAY', '@arr: type ARRAY' );
    is( $av->{n}, 6, '@arr: n=6' );
    is( $av->{unreal}, 0, '@arr: a REAL array (unreal=0)' );
    is( $av->{blessed}, '0x0', '@arr: not blessed' );
    my @want = map { exists $arr[$_] ? addr_of( \$arr[$_] ) : '0x0' } 0 .. 5;
    is_deeply( $av->{elems}, \@want, '@arr: elems point at the element SVs, holes are 0x0' );
    is( $av->{elems}[3], '0x0', '@arr: hole at [3]' );
    is( ( sv_at( $d, $av->{elems}[0] ) // {} )->{iv}, 10, '@arr: [0] is 10' );
    is( ( sv_at( $d, $av->{elems}[1] ) // {} )->{pv}, 'x', '@arr: [1] is "x"' );
    cmp_ok( ( sv_at( $d, $av->{elems}[2] ) // {} )->{nv} // 'NaN', '==', 3.5, '@arr: [2] is 3.5' );
    is( ( sv_at( $d, $av->{elems}[5] ) // {} )->{pv}, 'end', '@arr: [5] is "end"' );

    my $e = sv_at( $d, addr_of( \@empty ) ) // {};
    is( $e->{type}, 'ARRAY', '@empty: ARRAY' );
    is( $e->{n}, 0, '@empty: n=0' );
    is_deeply( $e->{elems}, [], '@empty: no elems' );

    my $b = sv_at( $d, addr_of( \@big ) ) // {};
    is( $b->{n}, 10_000, '@big: n=10000' );
    is( scalar @{ $b->{elems} // [] }, 10_000, '@big: 10000 elems listed' );
    is_deeply( $b->{elems}, [ map { addr_of( \$_ ) } @big ], '@big: every element address right' );
    is( ( sv_at( $d, $b->{elems}[9_999] ) // {} )->{pv}, 'e10000', '@big: last element value' );
}

# --- @_
{
    my $da = cpmat_dump($args_path);
    my $av = sv_at( $da, $args_av ) // {};
    is( $av->{type}, 'ARRAY', '@_: ARRAY' );
    is( $av->{unreal}, 1, '@_: not REAL (unreal=1)' );
    is( $av->{n}, 2, '@_: n=2' );
    is_deeply( $av->{elems}, \@args_elems, '@_: elems are the args' );
    is_deeply( $av->{elems}, [ addr_of( \$arg0 ), addr_of( \$arg1 ) ], '@_: elems alias the caller\'s variables' );
}

# --- hashes
{
    my $hv = sv_at( $d, addr_of( \%h ) ) // {};
    is( $hv->{type}, 'HASH', '%h: type HASH' );
    is( $hv->{n}, 4, '%h: n=4' );
    is( $hv->{backrefs}, '0x0', '%h: no backrefs' );
    my $ukey_bytes = $ukey;
    utf8::encode($ukey_bytes);
    my %want = map {
        my $k = $_;
        my $kb = $k;
        utf8::encode($kb) if $k =~ /[^\x00-\xff]/;
        ( $kb => addr_of( \$h{$k} ) )
    } keys %h;
    is_deeply( $hv->{values}, \%want, '%h: every key maps to its value SV' );
    ok( exists $hv->{values}{$ukey_bytes}, '%h: the UTF-8 key appears as its UTF-8 bytes' );
    ok( exists $hv->{values}{$bkey}, '%h: the binary key survives (NUL, \xff)' );
    is( scalar @{ $hv->{values_list} // [] }, 4, '%h: 4 key/value pairs in file order' );
    is( ( sv_at( $d, $hv->{values}{beta} ) // {} )->{pv}, 'two', '%h: beta => "two"' );

    my $e = sv_at( $d, addr_of( \%empty_h ) ) // {};
    is( $e->{type}, 'HASH', '%empty_h: HASH' );
    is( $e->{n}, 0, '%empty_h: n=0' );
    is_deeply( $e->{values}, {}, '%empty_h: no values' );

    my $b = sv_at( $d, addr_of( \%big_h ) ) // {};
    is( $b->{n}, 5_000, '%big_h: n=5000' );
    is_deeply( $b->{values}, { map { ( $_ => addr_of( \$big_h{$_} ) ) } keys %big_h }, '%big_h: every key/value right' );
}

# --- restricted hash: placeholders are not keys
{
    my $hv = sv_at( $d, addr_of( \%locked ) ) // {};
    is( $hv->{n}, 2, '%locked: n=2 (the deleted key\'s placeholder is not counted)' );
    is_deeply( $hv->{values}, { map { ( $_ => addr_of( \$locked{$_} ) ) } keys %locked }, '%locked: only the real keys b and c' );
}

# --- shifted array: elems start at the first live element
{
    my $av = sv_at( $d, addr_of( \@shifted ) ) // {};
    is( $av->{n}, 3, '@shifted: n=3' );
    is_deeply( $av->{elems}, [ map { addr_of( \$_ ) } @shifted ], '@shifted: elems are the remaining elements' );
}

# --- backrefs
{
    my $hv = sv_at( $d, addr_of( \%one_weak ) ) // {};
    is( $hv->{backrefs}, addr_of( \$w1 ), '%one_weak: a single weakref is stored directly as backrefs' );

    $hv = sv_at( $d, addr_of( \%two_weak ) ) // {};
    my $br = sv_at( $d, $hv->{backrefs} ) // {};
    is( $br->{type}, 'ARRAY', '%two_weak: backrefs is an ARRAY' );
    is_deeply( [ sort grep { $_ ne '0x0' } @{ $br->{elems} // [] } ], [ sort map { addr_of( \$_ ) } $w2, $w3 ],
        '%two_weak: backrefs array holds both weak REFs' );
    is( ( sv_at( $d, addr_of( \$w2 ) ) // {} )->{weak}, 1, '%two_weak: the REF is weak' );
}

done_testing;
