#!/usr/bin/perl
# References: REF SVs point (rv) at their referents, weak ones say so, and
# blessed things name their class's stash.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use PMATTest;
use Scalar::Util qw(weaken);

my $target  = "target";
my @array   = ( 1, 2 );
my %hash    = ( k => 'v' );
sub named_sub { return 1 }

my $sref  = \$target;
my $aref  = \@array;
my $href  = \%hash;
my $cref  = \&named_sub;
my $rref  = \$sref;                     # ref to a ref

my $strong = [ 'weak target' ];
my $weak   = $strong;
weaken($weak);

my $obj  = bless { name => 'obj' }, 'My::Class';
my $aobj = bless [], 'My::Other::Class';
my $sobj = bless \( my $inner = 7 ), 'My::Class';

# an object whose class has been deleted from the symbol table: its stash
# lives on (the object holds it) but %main:: no longer leads to it
package Gone::Away { sub new { bless { alive => 1 }, shift } }
my $orphan = Gone::Away->new;
delete $main::{'Gone::'};

my $thrice = { three => 'refs' };
my ( $r2, $r3 ) = ( $thrice, $thrice );

my $path = dump_self();
my $d    = cpmat_dump($path);

sub ref_ok
{
    my ( $name, $refvar, $target_addr, $weakflag ) = @_;
    my $sv = sv_at( $d, addr_of( \$_[1] ) );
    ok( $sv, "$name: the ref SV is dumped" ) or return;
    is( $sv->{type}, 'REF', "$name: type REF" );
    is( $sv->{rv}, $target_addr, "$name: rv points at the referent" );
    is( $sv->{weak}, $weakflag, "$name: weak=$weakflag" );
    return $sv;
}

ref_ok( 'scalar ref', $sref, addr_of( \$target ), 0 );
ref_ok( 'array ref',  $aref, addr_of( \@array ),  0 );
ref_ok( 'hash ref',   $href, addr_of( \%hash ),   0 );
ref_ok( 'code ref',   $cref, addr_of( \&named_sub ), 0 );
ref_ok( 'ref to ref', $rref, addr_of( \$sref ), 0 );

is( ( sv_at( $d, addr_of( \$target ) ) // {} )->{type}, 'SCALAR', 'scalar ref: referent is a SCALAR' );
is( ( sv_at( $d, addr_of( \@array ) )  // {} )->{type}, 'ARRAY',  'array ref: referent is an ARRAY' );
is( ( sv_at( $d, addr_of( \%hash ) )   // {} )->{type}, 'HASH',   'hash ref: referent is a HASH' );
is( ( sv_at( $d, addr_of( \&named_sub ) ) // {} )->{type}, 'CODE', 'code ref: referent is a CODE' );
is( ( sv_at( $d, addr_of( \$sref ) ) // {} )->{type}, 'REF', 'ref to ref: referent is itself a REF' );

# weak refs
ref_ok( 'strong ref', $strong, addr_of($strong), 0 );
ref_ok( 'weak ref',   $weak,   addr_of($strong), 1 );
{
    my $av = sv_at( $d, addr_of($strong) ) // {};
    is( $av->{refcnt}, 1, 'weak target: refcnt counts only the strong ref' );
}

# blessed objects
{
    my $hv = sv_at( $d, addr_of($obj) ) // {};
    is( $hv->{type}, 'HASH', 'blessed hash: type HASH' );
    isnt( $hv->{blessed} // '0x0', '0x0', 'blessed hash: blessed is set' );
    my $st = sv_at( $d, $hv->{blessed} ) // {};
    is( $st->{type}, 'STASH', 'blessed hash: blessed points at a STASH' );
    is( $st->{name}, 'My::Class', 'blessed hash: the stash is My::Class' );
    is( $hv->{blessed}, ( stash_of( $d, 'My::Class' ) // {} )->{addr}, 'blessed hash: same stash as found via %main:: -> My:: -> Class::' );
    is( ( sv_at( $d, $hv->{values}{name} ) // {} )->{pv}, 'obj', 'blessed hash: its value' );

    my $av = sv_at( $d, addr_of($aobj) ) // {};
    is( $av->{type}, 'ARRAY', 'blessed array: type ARRAY' );
    is( blessed_name( $d, $av ), 'My::Other::Class', 'blessed array: class My::Other::Class' );

    my $sv = sv_at( $d, addr_of($sobj) ) // {};
    is( $sv->{type}, 'SCALAR', 'blessed scalar: type SCALAR' );
    is( $sv->{iv}, 7, 'blessed scalar: iv' );
    is( blessed_name( $d, $sv ), 'My::Class', 'blessed scalar: class My::Class' );

    is( ( sv_at( $d, addr_of( \$obj ) ) // {} )->{blessed}, '0x0', 'the REF to an object is itself not blessed' );
}

# blessed into a deleted stash
{
    my $hv = sv_at( $d, addr_of($orphan) ) // {};
    my $st = sv_at( $d, $hv->{blessed} ) // {};
    is( $st->{type}, 'STASH', 'orphan: blessed points at a STASH' );
    is( $st->{name}, 'Gone::Away', 'orphan: the deleted stash keeps its name' );
    ok( !stash_of( $d, 'Gone::Away' ), 'orphan: the stash is no longer reachable from defstash' );
}

# refcnt of a thing with three refs
{
    my $hv = sv_at( $d, addr_of($thrice) ) // {};
    is( $hv->{refcnt}, 3, 'hash with three refs: refcnt 3' );
    my @refs = sort grep { $d->{svs}{$_}{type} && $d->{svs}{$_}{type} eq 'REF' && $d->{svs}{$_}{rv} eq addr_of($thrice) } keys %{ $d->{svs} };
    is_deeply( \@refs, [ sort map { addr_of( \$_ ) } $thrice, $r2, $r3 ], 'hash with three refs: exactly those three REFs point at it' );
}

done_testing;
