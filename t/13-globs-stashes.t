#!/usr/bin/perl
# GLOBs and STASHes: the slots of a package variable's glob, its name, file
# and line, the stash chain from defstash, @ISA/MRO fields, `our` pad names.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use PMATTest;

my $FILE = __FILE__;
my $GLINE;

package Foo::Bar {
    BEGIN { $GLINE = __LINE__ + 1 }
    our $pkgvar = "scalar slot";
    our @pkgvar = ( 1, 2, 3 );
    our %pkgvar = ( k => 'v' );
    sub pkgvar { return 'code slot' }
    sub method { return 'method' }
}

package Child::Class {
    our @ISA = ('Foo::Bar');
}
package GrandChild {
    our @ISA = ('Child::Class');
}
# Resolve a method and an isa check through the chain, so perl computes
# and caches the linearised MRO and the isa hash.
GrandChild->method;
GrandChild->isa('Foo::Bar') or die;

open( FH, '<', $0 ) or die "open $0: $!";

our $main_our = "our in main";

my %addr = (
    glob   => addr_of( \*Foo::Bar::pkgvar ),
    scalar => addr_of( \$Foo::Bar::pkgvar ),
    array  => addr_of( \@Foo::Bar::pkgvar ),
    hash   => addr_of( \%Foo::Bar::pkgvar ),
    code   => addr_of( \&Foo::Bar::pkgvar ),
    fh     => addr_of( \*main::FH ),
    io     => addr_of( *main::FH{IO} ),
    stash  => addr_of( \%Foo::Bar:: ),
    child_isa  => addr_of( \@Child::Class::ISA ),
    gchild_isa => addr_of( \@GrandChild::ISA ),
    main_our   => addr_of( \$main::main_our ),
    defstash   => addr_of( \%main:: ),
);

my $d = cpmat_dump( dump_self() );

# --- the stash chain
{
    my $def = root_sv( $d, 'defstash' ) // {};
    is( $def->{addr}, $addr{defstash}, 'defstash root is %main::' );
    is( $def->{type}, 'STASH', 'defstash is a STASH' );
    is( $def->{name}, 'main', 'defstash is named main' );

    my $foo_gv = sv_at( $d, $def->{values}{'Foo::'} ) // {};
    is( $foo_gv->{type}, 'GLOB', '%main:: has the Foo:: glob' );
    is( $foo_gv->{name}, 'Foo::', 'Foo:: glob name' );
    my $foo = sv_at( $d, $foo_gv->{hash} ) // {};
    is( $foo->{type}, 'STASH', '*Foo::{HASH} is a STASH' );
    is( $foo->{name}, 'Foo', 'named Foo' );

    my $st = stash_of( $d, 'Foo::Bar' ) // {};
    is( $st->{addr}, $addr{stash}, 'stash_of(Foo::Bar) is %Foo::Bar::' );
    is( $st->{type}, 'STASH', 'Foo::Bar: type STASH' );
    is( $st->{name}, 'Foo::Bar', 'Foo::Bar: name' );
    is( $st->{values}{pkgvar}, $addr{glob}, 'Foo::Bar: key pkgvar -> the glob' );
    is( $st->{n}, scalar( keys %Foo::Bar:: ), 'Foo::Bar: n = number of symbols' );
    is_deeply( [ sort keys %{ $st->{values} // {} } ], [ sort keys %Foo::Bar:: ], 'Foo::Bar: the same symbol names as perl sees' );
}

# --- the glob
{
    my $gv = glob_of( $d, 'Foo::Bar::pkgvar' ) // {};
    is( $gv->{addr}, $addr{glob}, 'glob_of finds *Foo::Bar::pkgvar' );
    is( $gv->{type},   'GLOB',         'GLOB type' );
    is( $gv->{name},   'pkgvar',       'GLOB name' );
    is( $gv->{stash},  $addr{stash},   'GLOB stash -> %Foo::Bar::' );
    is( $gv->{scalar}, $addr{scalar},  'GLOB scalar slot -> $Foo::Bar::pkgvar' );
    is( $gv->{array},  $addr{array},   'GLOB array slot -> @Foo::Bar::pkgvar' );
    is( $gv->{hash},   $addr{hash},    'GLOB hash slot -> %Foo::Bar::pkgvar' );
    is( $gv->{code},   $addr{code},    'GLOB code slot -> &Foo::Bar::pkgvar' );
    is( $gv->{io},     '0x0',          'GLOB no io' );
    is( $gv->{form},   '0x0',          'GLOB no form' );
    is( $gv->{egv},    $addr{glob},    'GLOB egv is itself' );
    is( $gv->{file},   $FILE,          'GLOB file is this test' );
    is( $gv->{line},   $GLINE,         'GLOB line of first mention' );

    is( ( sv_at( $d, $gv->{scalar} ) // {} )->{pv}, 'scalar slot', 'scalar slot value' );
    is( ( sv_at( $d, $gv->{array} ) // {} )->{n}, 3, 'array slot: 3 elements' );
    is( ( sv_at( $d, $gv->{hash} ) // {} )->{type}, 'HASH', 'hash slot: a HASH' );
    my $cv = sv_at( $d, $gv->{code} ) // {};
    is( $cv->{type}, 'CODE', 'code slot: a CODE' );
    is( $cv->{glob}, $addr{glob}, 'code slot: its glob points back' );

    my $fh = glob_of( $d, 'main::FH' ) // {};
    is( $fh->{addr}, $addr{fh}, '*main::FH found' );
    is( $fh->{io}, $addr{io}, '*main::FH io slot -> the IO' );
    is( ( sv_at( $d, $fh->{io} ) // {} )->{type}, 'IO', 'io slot is an IO' );
}

# --- @ISA and the MRO fields
{
    my $child = stash_of( $d, 'Child::Class' ) // {};
    my $isa_gv = sv_at( $d, $child->{values}{ISA} ) // {};
    is( $isa_gv->{array}, $addr{child_isa}, 'Child::Class: *ISA array slot -> @ISA' );
    my $isa = sv_at( $d, $isa_gv->{array} ) // {};
    is( $isa->{n}, 1, 'Child::Class: @ISA has one element' );
    is( ( sv_at( $d, $isa->{elems}[0] ) // {} )->{pv}, 'Foo::Bar', 'Child::Class: @ISA = (Foo::Bar)' );
    ok( grep( { $_->{type} eq 'I' } @{ $isa->{magic} } ), '@ISA carries isa magic "I"' );

    # GrandChild->isa and ->method resolution made perl fill the MRO meta:
    # mro_isa is the HV of every class it is-a (itself included), and the
    # linearisation (dfs: mro_linear_current) is the AV of the chain.
    my $gc = stash_of( $d, 'GrandChild' ) // {};
    my $isahv = sv_at( $d, $gc->{mro_isa} ) // {};
    is( $isahv->{type}, 'HASH', 'GrandChild: mro_isa is a HASH' );
    is_deeply( [ sort keys %{ $isahv->{values} // {} } ], [ sort qw(GrandChild Child::Class Foo::Bar UNIVERSAL) ],
        'GrandChild: mro_isa keys are every class it is-a' );
    my $lin = sv_at( $d, $gc->{mro_linear_current} ) // {};
    is( $lin->{type}, 'ARRAY', 'GrandChild: mro_linear_current is an ARRAY' );
    is_deeply( [ map { ( sv_at( $d, $_ ) // {} )->{pv} } @{ $lin->{elems} // [] } ], mro::get_linear_isa('GrandChild'),
        'GrandChild: mro_linear_current holds the linearised @ISA' );
    is( $gc->{mro_nextmethod}, '0x0', 'GrandChild: no next::method cache' );
}

# --- `our` variables appear in the main CV's pad names with their stash
{
    my $gv = glob_of( $d, 'main::main_our' ) // {};
    is( $gv->{scalar}, $addr{main_our}, '*main::main_our scalar slot -> $main_our' );
    my $main_cv = root_sv( $d, 'main_cv' ) // {};
    is( $main_cv->{type}, 'CODE', 'main_cv is a CODE' );
    my ($ix) = grep { ( $main_cv->{padnames}{$_} // '' ) eq '$main_our' } keys %{ $main_cv->{padnames} // {} };
    ok( defined $ix, 'main_cv has a padname $main_our' );
    $ix //= -1;
    ok( hex( $main_cv->{padflags}{$ix} // 0 ) & 0x10, '$main_our padname has the OUR flag' );
    is( $main_cv->{padourstash}{$ix}, $addr{defstash}, '$main_our padname ourstash -> main' );

    my ($fix) = grep { ( $main_cv->{padnames}{$_} // '' ) eq '$pkgvar' } keys %{ $main_cv->{padnames} // {} };
    ok( defined $fix, 'main_cv has a padname $pkgvar (our in package Foo::Bar)' );
    is( $main_cv->{padourstash}{ $fix // -1 }, $addr{stash}, '$pkgvar padname ourstash -> Foo::Bar' );
}

done_testing;
