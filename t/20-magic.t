#!/usr/bin/perl
# MAGIC records: tie (P/q/p), weakref backrefs (<), pos (g), %ENV (E/e),
# @ISA (I), ext magic (~) and uvar magic (U) via Hash::Util::FieldHash.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use PMATTest;
use Scalar::Util qw(weaken refaddr);
use Hash::Util::FieldHash qw(fieldhash id);

package TieAll {
    sub TIEHASH   { bless { kind => 'hash' }, shift }
    sub TIEARRAY  { bless { kind => 'array' }, shift }
    sub TIESCALAR { bless { kind => 'scalar' }, shift }
    sub FETCH     { 'fetched' }
    sub STORE     { }
    sub FETCHSIZE { 3 }
    sub STORESIZE { }
    sub FIRSTKEY  { undef }
    sub NEXTKEY   { undef }
    sub EXISTS    { 1 }
    sub DELETE    { }
    sub CLEAR     { }
    sub EXTEND    { }
}

tie my %th, 'TieAll';
tie my @ta, 'TieAll';
tie my $ts, 'TieAll';

my $weak_target = "weakly held";
my $w1          = \$weak_target;
weaken($w1);
my @weak_av = ( 1 );
my ( $w2, $w3 ) = ( \@weak_av, \@weak_av );
weaken($w2);
weaken($w3);

my $posstr = "aaaa";
$posstr =~ /a/g;
$posstr =~ /a/g;    # pos 2

$ENV{PMATTEST_MAGIC} = 'env value';

fieldhash my %fh;
my $fobj = {};
$fh{$fobj} = 'field';

my %addr = (
    th          => addr_of( \%th ),
    th_obj      => addr_of( tied %th ),
    ta          => addr_of( \@ta ),
    ta_obj      => addr_of( tied @ta ),
    ts          => addr_of( \$ts ),
    ts_obj      => addr_of( tied $ts ),
    weak_target => addr_of( \$weak_target ),
    w1          => addr_of( \$w1 ),
    weak_av     => addr_of( \@weak_av ),
    posstr      => addr_of( \$posstr ),
    env         => addr_of( \%ENV ),
    env_elem    => addr_of( \$ENV{PMATTEST_MAGIC} ),
    fh          => addr_of( \%fh ),
    fobj        => addr_of($fobj),
);
my @weak_refs = sort map { addr_of( \$_ ) } $w2, $w3;
my $fobj_id   = id($fobj);

my $d = cpmat_dump( dump_self() );

# The MAGIC records of type $type on the SV at $addr
sub magic_of
{
    my ( $addr, $type ) = @_;
    my $sv = $d->{svs}{$addr} // {};
    return grep { ( $_->{type} // '' ) eq $type } @{ $sv->{magic} // [] };
}

# A tie's mg_obj is the RV to the tie object
sub tie_ok
{
    my ( $name, $type ) = @_;
    my @mg = magic_of( $addr{$name}, $type );
    is( scalar @mg, 1, "$name: one '$type' magic" );
    my $mg = $mg[0] // {};
    ok( ( $mg->{flags} // 0 ) & 1, "$name: '$type' magic is MGf_REFCOUNTED" );
    my $obj = sv_at( $d, $mg->{obj} ) // {};
    is( $obj->{type}, 'REF', "$name: mg_obj is a REF" );
    is( $obj->{rv}, $addr{"${name}_obj"}, "$name: mg_obj refers to the tie object" );
    my $tobj = sv_at( $d, $addr{"${name}_obj"} ) // {};
    is( $tobj->{type}, 'HASH', "$name: the tie object is a HASH" );
    is( blessed_name( $d, $tobj ), 'TieAll', "$name: the tie object is a TieAll" );
}

tie_ok( th => 'P' );
tie_ok( ta => 'P' );
tie_ok( ts => 'q' );

# --- weakref backrefs
{
    my @mg = magic_of( $addr{weak_target}, '<' );
    is( scalar @mg, 1, 'weak scalar target: one "<" magic' );
    is( ( $mg[0] // {} )->{obj}, $addr{w1}, 'weak scalar target: a single backref is the weak REF itself' );
    is( ( sv_at( $d, $addr{w1} ) // {} )->{weak}, 1, 'weak scalar target: that REF is weak' );

    @mg = magic_of( $addr{weak_av}, '<' );
    is( scalar @mg, 1, 'weak array target: one "<" magic' );
    my $br = sv_at( $d, ( $mg[0] // {} )->{obj} ) // {};
    is( $br->{type}, 'ARRAY', 'weak array target: two backrefs are kept in an ARRAY' );
    is_deeply( [ sort grep { $_ ne '0x0' } @{ $br->{elems} // [] } ], \@weak_refs, 'weak array target: the ARRAY holds both weak REFs' );
}

# --- pos()
{
    my @mg = magic_of( $addr{posstr}, 'g' );
    is( scalar @mg, 1, 'pos: one "g" (regex_global) magic on the string' );
}

# --- %ENV
{
    my @mg = magic_of( $addr{env}, 'E' );
    is( scalar @mg, 1, '%ENV: "E" magic' );
    my $hv = sv_at( $d, $addr{env} ) // {};
    is( $hv->{values}{PMATTEST_MAGIC}, $addr{env_elem}, '%ENV: has our key' );
    is( ( sv_at( $d, $addr{env_elem} ) // {} )->{pv}, 'env value', '%ENV: its value' );
    @mg = magic_of( $addr{env_elem}, 'e' );
    is( scalar @mg, 1, '%ENV element: "e" magic' );
}

# --- @ISA
{
    my @mg = magic_of( addr_of( \@Hash::Util::FieldHash::ISA ), 'I' );
    is( scalar @mg, 1, '@Hash::Util::FieldHash::ISA: "I" magic' );
}

# --- ext (~) and uvar (U) magic, both set by Hash::Util::FieldHash
{
    my @mg = magic_of( $addr{fobj}, '~' );
    is( scalar @mg, 1, 'fieldhash key object: one "~" (ext) magic' );
    my $mg = $mg[0] // {};
    ok( ( $mg->{flags} // 0 ) & 1, 'fieldhash key object: "~" magic is MGf_REFCOUNTED' );
    my $trigger = sv_at( $d, $mg->{obj} ) // {};
    is( $trigger->{type}, 'SCALAR', 'fieldhash key object: mg_obj is a SCALAR' );
    cmp_ok( $trigger->{iv} // -1, '==', $fobj_id, 'fieldhash key object: mg_obj holds the object id' );

    @mg = magic_of( $addr{fh}, 'U' );
    is( scalar @mg, 1, 'fieldhash: "U" (uvar) magic on the hash' );
}

# every MAGIC record hangs off an SV that is in the dump
{
    my @orphans = grep { @{ $d->{svs}{$_}{magic} // [] } && !$d->{svs}{$_}{type} } keys %{ $d->{svs} };
    is_deeply( \@orphans, [], 'no MAGIC record for an SV that is not in the dump' );
}

done_testing;
