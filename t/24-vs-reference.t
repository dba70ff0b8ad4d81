#!/usr/bin/perl
# Differential test: the same deterministic script is dumped in two child
# processes, once by our dumper and once by the reference dumper (Debian's
# Devel::MAT::Dumper: 0.46 writes v0.4 files, 0.50 and 0.52 v0.6 ones; ours
# writes the format the reference's file is in), and every SV reachable from the package Probe
# (its globs, their slots, and what those point at, a few levels deep) must
# be written with the same fields: type, refcnt, size, flags, values, names,
# counts, and pointers that lead to SVs of the same types at the same places.
# Addresses differ between the processes, so SVs are matched by their path
# from the Probe stash.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use PMATTest;
use File::Spec;

my $ROOT = File::Spec->rel2abs("$FindBin::Bin/..");

my $ours_pm = $INC{'Devel/MAT/Dumper.pm'};
plan skip_all => 'this run uses the reference dumper itself (no blib): nothing to compare'
    unless $ours_pm =~ m{/blib/};

local $ENV{PERL5LIB};
local $ENV{PERL5OPT};
delete $ENV{PERL5LIB};
delete $ENV{PERL5OPT};
my $ref_pm = `"$^X" -MDevel::MAT::Dumper -e "print \\\$INC{'Devel/MAT/Dumper.pm'}" 2>/dev/null`;
plan skip_all => 'no reference Devel::MAT::Dumper installed' unless $? == 0 && $ref_pm && $ref_pm !~ m{/blib/};

my $script = PMATTest::fresh_path() . '.pl';
open( my $sfh, '>', $script ) or die "write $script: $!";
print {$sfh} <<'EOS';
use strict;
use warnings;
no warnings 'once';
use Scalar::Util qw(weaken dualvar);
package Probe;
our $iv      = -12345;
our $uv      = ~0;
our $nv      = 2.5e-7;
our $pv      = "plain string";
our $utf8    = "\x{100}\x{263a} wide";
our $bin     = "\0\x01\xfe\xff";
our $long    = "L" x 5000;
our $numstr  = "42";   my $t1 = $numstr + 0;     # PV used as a number
our $nvstr   = 1.25;   my $t2 = "$nvstr";        # NV used as a string
our $dual    = Scalar::Util::dualvar( 7, "seven" );
our $undef;
our $cleared = "was here"; undef $cleared;
our $yes     = !!1;
our $no      = !!0;
our $ref     = \"target";
our $aref    = [ 1, "two", 3.0, undef, [ 'nested' ] ];
our @array   = ( 10 .. 20 );
$#array = 30;                                     # trailing space, holes
our @sparse; $sparse[5] = 'five';
our %hash    = ( a => 1, b => [ 2 ], "\x{263a}" => 'smile', '' => 'empty key' );
our $obj     = bless { field => 'value' }, 'Probe::Class';
our $weak    = $obj; Scalar::Util::weaken($weak);
our $code    = sub { return $pv };
sub named { my $lex = shift; my @l = ( $lex, 2 ); return \@l }
sub CONST () { 99 }
sub closure_maker { my $c = shift; return sub { $c } }
our $closure = closure_maker('closed');
our $re      = qr/(?<name>ab+c)\d*/i;
our $lv      = \substr( $pv, 2, 3 );
open( our $fh, '<', $0 ) or die;
our $glob_ref = \*Probe::array;
format Probe::FMT =
@<<<< @>>>>
$pv, $iv
.
# magic of all kinds
package Probe::Tie {
    sub TIESCALAR { bless [ 'ts' ], shift }
    sub TIEARRAY  { bless { ta => 1 }, shift }
    sub TIEHASH   { bless \( my $x = 'th' ), shift }
    sub FETCH     { 'f' }
    sub FETCHSIZE { 2 }
    sub FIRSTKEY  { undef }
}
tie our $tied_sv, 'Probe::Tie';
tie our @tied_av, 'Probe::Tie';
tie our %tied_hv, 'Probe::Tie';
our $vstr    = v1.22.333;
our $posd    = "xxxx"; $posd =~ /x/g;
our $vec     = "\x{ff}\x{00}"; our $veclv = \vec( $vec, 1, 8 );
our $pos_lv  = \pos($posd);
our %deh     = ( k => 1 );
our $defelem; for my $e ( $deh{nonexistent} ) { $defelem = \$e }
"abcd" =~ /(b)(c)/;
our $capture = $1;
our $magic_ref = \$1;
our $study   = "studied"; study $study;
# subs with interesting pad names
package Probe;
use feature qw(state lexical_subs); no warnings 'experimental::lexical_subs';
package Probe::Class { } package Probe;
sub with_state { state $st = 5; our $pkg_our; my Probe::Class $typed; my sub inner_lex { 1 } return $st }
with_state();
our $xs = \&Scalar::Util::blessed;
*Probe::imported_xs = \&Scalar::Util::reftype;
our @closures = map { my $n = $_; sub { $n } } 1 .. 3;
sub recurse { my $d = shift; return $d <= 0 ? 0 : recurse( $d - 1 ) } recurse(3);
our $anon_glob = do { no strict 'refs'; \*{"Probe::Anon::glob"} };
our $io_only = *STDOUT{IO};
our @ISA_probe;
package Probe::Left  { sub m1 { 1 } }
package Probe::Right { sub m2 { 1 } }
package Probe::C3 { use mro 'c3'; our @ISA = ( 'Probe::Left', 'Probe::Right' ); }
Probe::C3->m2; Probe::C3->isa('Probe::Left');
package Probe::Overloaded { use overload '""' => sub { 'ov' }, '+' => sub { 42 }, fallback => 1; }
our $ovobj = bless [], 'Probe::Overloaded'; my $str = "$Probe::ovobj";
package Probe;
our $big_utf8 = "\x{263a}" x 200;
our $empty_pv = "";
our $negzero  = -0.0;
our $inf      = 9**9**9;
our $nan      = -sin(9**9**9);
our $iv_min   = -9223372036854775807 - 1;
our $stash_ref = \%Probe::Class::;
# container and string edge cases
use Hash::Util ();
our %locked = ( a => 1, b => 2, c => 3 ); Hash::Util::lock_keys(%locked); delete $locked{a};
our @shifted = ( 1 .. 5 ); shift @shifted for 1 .. 2;
our $ook = "abcdefghij"; substr( $ook, 0, 3 ) = "";
our %iterating = map { ( $_ => $_ ) } 1 .. 10; my ( $firstkey ) = each %iterating; delete $iterating{$firstkey};
our $cow_a = "shared buffer " x 3; our $cow_b = $cow_a;
our $blessed_re = bless qr/blessed/, 'Probe::Re';
our $gv_copy = *STDOUT;
our $core_sub = \&CORE::length;
our $ref_to_ref = \\\"deep";
our $num_pv = 3.75; my $np = "$num_pv"; my $ni = int($num_pv + 0);
our $int_then_str = 17; $int_then_str .= "";
# an object whose class stash has been deleted from the symbol table
package Gone::Away { sub new { bless { alive => 1 }, shift } }
package Probe;
our $orphan = Gone::Away->new;
delete $main::{'Gone::'};
our %hv_iterated = ( p => 1, q => 2 ); keys %hv_iterated; my $first = each %hv_iterated;
package main;
Devel::MAT::Dumper::dump( $ARGV[0] );
EOS
close $sfh;

# Same hash order in both children (the script deletes "the first key")
local $ENV{PERL_HASH_SEED}     = 0;
local $ENV{PERL_PERTURB_KEYS}  = 0;
my @inc_ours = grep { -d } map { File::Spec->catdir( $ROOT, 'blib', $_ ) } qw(arch lib);
my ( $f_ours, $f_ref ) = ( "$script.ours.pmat", "$script.ref.pmat" );
system( $^X, '-MDevel::MAT::Dumper', $script, $f_ref ) == 0 or die "child (reference) failed: $?";
my $dref = cpmat_dump($f_ref);
# Ours in the reference's format: v0.6 against 0.48 and later, else v0.4.
my $format = $dref->{header}{format} eq '0.6' ? '0.6' : '0.4';
system( $^X, ( map { "-I$_" } @inc_ours ), "-MDevel::MAT::Dumper=-format,$format", $script, $f_ours ) == 0
    or die "child (ours) failed: $?";
my $dour = cpmat_dump($f_ours);
is( $dour->{header}{format}, $dref->{header}{format}, "both files are format $format" );

# Fields that are addresses (compared as "what they point at") or that
# legitimately differ between two processes.
my %PTR = map { $_ => 1 } qw(blessed rv ourstash stash scalar array hash code egv io form backrefs
    mro_linear_all mro_linear_current mro_nextmethod mro_isa outside padlist constval padnames_av
    oproot top format bottom targ obj ptr vtbl key sv av hv cv glob);
# `size` is an estimate whose policy differs on purpose: the reference
# counts sizeof(SV) + the body as perls before 5.22 laid it out (an NV has
# an 8-byte body; a CODE is always 128; a copied YES/NO or an UNDEF is only
# the head), ours the 5.36 layout plus owned buffers (bodyless NVs, HvARRAY,
# padlists and op trees of a CODE).  It is checked against perl's own
# numbers below instead.
my %SKIP = map { $_ => 1 } qw(addr magic saved notes size);

# Describe a pointer by what it leads to, so two processes can be compared
sub ptr_desc
{
    my ( $d, $addr ) = @_;
    return 'NULL' if !defined $addr || $addr eq '0x0';
    for my $im (qw(undef yes no)) {
        return "IMMORTAL:$im" if $d->{immortals}{$im} eq $addr;
    }
    my $sv = sv_at( $d, $addr ) or return 'MISSING';
    return $sv->{type} eq 'STASH' ? "STASH:$sv->{name}" : $sv->{type};
}

# A shared-string pointer (v0.6) by the string it leads to: the key of the
# string table's entry with that HEK, or UNSHARED when the table has none.
my %strtab_key;
sub hek_desc
{
    my ( $d, $hek ) = @_;
    return 'NULL' if !defined $hek || $hek eq '0x0';
    my $keys = $strtab_key{$d} //= do {
        my $st = sv_at( $d, $d->{roots}{strtab} );
        my $h = $st && $st->{heks} || {};
        +{ map { ( $h->{$_} => $_ ) } keys %$h };
    };
    return exists $keys->{$hek} ? "HEK:$keys->{$hek}" : 'UNSHARED';
}

# A comparable, address-free description of one SV's own fields
sub describe
{
    my ( $d, $sv ) = @_;
    my %out;
    for my $k ( sort keys %$sv ) {
        next if $SKIP{$k};
        my $v = $sv->{$k};
        if ( $k eq 'oproot' || $k eq 'vtbl' || $k eq 'ptr' ) { $out{$k} = ( $v eq '0x0' ? 'NULL' : 'set' ); next }
        if ( $PTR{$k} ) { $out{$k} = ptr_desc( $d, $v ); next }
        if ( $k eq 'elems' || $k eq 'consts' || $k eq 'gvs' ) { $out{$k} = [ map { ptr_desc( $d, $_ ) } @$v ]; next }
        if ( $k eq 'values' ) {
            $out{$k} = { map { ( $_ => ptr_desc( $d, $v->{$_} ) ) } keys %$v };
            if ( $d == $dref ) {
                # The reference writes the placeholders of a restricted hash
                # (deleted keys) as entries whose value is
                # &PL_sv_placeholder, which is no SV of the dump; ours leaves
                # them out, as perl's keys() does (checked in
                # t/12-arrays-hashes.t).  Compare without them.
                my @ph = grep { $out{$k}{$_} eq 'MISSING' } keys %{ $out{$k} };
                delete @{ $out{$k} }{@ph};
                $out{n} = $sv->{n} - @ph if exists $sv->{n};
            }
            next;
        }
        if ( $k eq 'values_list' || $k eq 'heks_list' ) { next }
        if ( $k eq 'name_hek' || $k eq 'shared_hek' ) { $out{$k} = hek_desc( $d, $v ); next }
        if ( $k eq 'heks' ) {
            $out{$k} = { map { ( $_ => hek_desc( $d, $v->{$_} ) ) } keys %$v };
            # (the reference's placeholders again, as for values)
            delete @{ $out{$k} }{ grep { ptr_desc( $d, $sv->{values}{$_} ) eq 'MISSING' } keys %{ $out{$k} } }
                if $d == $dref;
            next;
        }
        if ( $k eq 'pads' ) { $out{$k} = { map { ( $_ => ptr_desc( $d, $v->{$_} ) ) } keys %$v }; next }
        if ( $k eq 'padourstash' ) { $out{$k} = { map { ( $_ => ptr_desc( $d, $v->{$_} ) ) } keys %$v }; next }
        $out{$k} //= $v;
    }
    $out{magic} = [ sort map { "$_->{type}/$_->{flags}/" . ptr_desc( $d, $_->{obj} ) } @{ $sv->{magic} // [] } ];
    return \%out;
}

# Walk from the Probe stash: path => SV
sub walk
{
    my ($d) = @_;
    my %at;
    my $st = stash_of( $d, 'Probe' ) or return {};
    my @todo = map { [ "STASH:$_", ( stash_of( $d, $_ ) // {} )->{addr}, 2 ] } qw(Probe Probe::Class Probe::C3 Probe::Overloaded Probe::Tie);
    for my $name ( keys %{ $st->{values} } ) {
        push @todo, [ "Probe::$name", $st->{values}{$name}, 0 ];
    }
    while ( my $t = shift @todo ) {
        my ( $path, $addr, $depth ) = @$t;
        my $sv = sv_at( $d, $addr ) or next;
        next if exists $at{$path};
        $at{$path} = $sv;
        next if $depth >= 3;
        if ( $sv->{type} eq 'GLOB' ) {
            push @todo, map { [ "$path\{$_}", $sv->{$_}, $depth + 1 ] } grep { $sv->{$_} ne '0x0' } qw(scalar array hash code io form);
        }
        elsif ( $sv->{type} eq 'REF' ) {
            push @todo, [ "$path->", $sv->{rv}, $depth + 1 ];
        }
        elsif ( $sv->{type} eq 'ARRAY' ) {
            my $i = 0;
            push @todo, map { [ "$path\[" . $i++ . "]", $_, $depth + 1 ] } @{ $sv->{elems} };
        }
        elsif ( $sv->{type} eq 'HASH' ) {
            push @todo, map { [ "$path\{'$_'}", $sv->{values}{$_}, $depth + 1 ] } keys %{ $sv->{values} };
        }
        elsif ( $sv->{type} eq 'CODE' ) {
            push @todo, [ "$path(constval)", $sv->{constval}, $depth + 1 ] if $sv->{constval} ne '0x0';
            push @todo, map { [ "$path(pad$_)", $sv->{pads}{$_}, $depth + 1 ] } keys %{ $sv->{pads} };
        }
        elsif ( $sv->{type} eq 'LVALUE' ) {
            push @todo, [ "$path(targ)", $sv->{targ}, $depth + 1 ];
        }
    }
    return \%at;
}

my $wo = walk($dour);
my $wr = walk($dref);
cmp_ok( scalar keys %$wr, '>', 60, 'the reference dump has the Probe structures (' . scalar( keys %$wr ) . ' SVs)' );
is_deeply( [ sort keys %$wo ], [ sort keys %$wr ], 'the same SVs are reachable from %Probe:: in both dumps' );

for my $path ( sort keys %$wr ) {
    next unless $wo->{$path};
    my $o = describe( $dour, $wo->{$path} );
    my $r = describe( $dref, $wr->{$path} );
    # A lexical or otherwise GV-less sub (CvNAMED) has its name in a shared
    # HEK, which ours writes as NAME_HEK; the reference 0.50/0.52 writes
    # NULL there for every CODE (POD, "Differences from the reference").
    $r->{name_hek} = $o->{name_hek}
        if $r->{type} eq 'CODE' && ( $r->{name_hek} // '' ) eq 'NULL' && defined $wo->{$path}{name}
        && ( $o->{name_hek} // '' ) eq "HEK:$wo->{$path}{name}";
    # The reference 0.47+ looks up package helpers along each blessed SV's
    # MRO while it dumps (mro_get_linear_isa), which makes a class's MRO
    # caches if perl had none yet: its stash record then points at an AV and
    # an HV that are not in its own file (MISSING) or, when the new SVs took
    # arena slots the walk had not reached yet, are (sid, 5.42), where ours
    # has NULL, as the heap was before the dump (see t/44 for the same
    # caches in a series).
    my %cache_type = ( mro_isa => 'HASH', mro_linear_current => 'ARRAY' );
    for my $f ( sort keys %cache_type ) {
        $r->{$f} = $o->{$f}
            if $r->{type} eq 'STASH' && ( $r->{$f} // '' ) =~ /^(?:MISSING|$cache_type{$f})$/ && ( $o->{$f} // '' ) eq 'NULL';
    }
    # The reference writes no `oproot` for a constant sub's CV and NULL
    # for a few fields perl 5.36 does not keep; those are compared in the
    # focussed tests instead.
    is_deeply( $o, $r, "$path: same fields as the reference ($r->{type})" )
        or diag explain { ours => { map { ( $_ => $o->{$_} ) } grep { !eq_field( $o->{$_}, $r->{$_} ) } sort keys %$o }, reference => { map { ( $_ => $r->{$_} ) } grep { !eq_field( $o->{$_}, $r->{$_} ) } sort keys %$r } };
}

# v0.6: every hash key, glob name and shared string above resolved to a
# string-table entry of its own text, in our file
{
    my @bad;
    for my $path ( sort keys %$wo ) {
        my $sv = $wo->{$path};
        push @bad, "$path: name_hek " . hek_desc( $dour, $sv->{name_hek} )
            if $sv->{type} eq 'GLOB' && defined $sv->{name_hek} && hek_desc( $dour, $sv->{name_hek} ) ne "HEK:$sv->{name}";
        for my $key ( keys %{ $sv->{heks} // {} } ) {
            my $h = hek_desc( $dour, $sv->{heks}{$key} );
            push @bad, "$path\{$key}: $h" unless $h eq "HEK:$key";
        }
        push @bad, "$path: shared_hek " . hek_desc( $dour, $sv->{shared_hek} )
            if defined $sv->{shared_hek} && hek_desc( $dour, $sv->{shared_hek} ) ne "HEK:$sv->{pv}";
    }
    is_deeply( \@bad, [], 'every HEK pointer leads to the string-table entry of its own string' );
}

# (The mortals are not compared: the reference's file has temporaries and a
# floor of its own dump() call's making; t/28 checks ours against the
# statement that dumps.)

# Sizes: lower bounds perl's layout guarantees (head = 3 words + sv_u)
{
    my @bad;
    my $head = 24;
    for my $path ( sort keys %$wo ) {
        my $sv = $wo->{$path};
        my $min = $head;
        $min += $sv->{pvlen}        if $sv->{type} eq 'SCALAR' && defined $sv->{pvlen};
        $min += 8 * $sv->{n}        if $sv->{type} eq 'ARRAY';
        $min += 8 * $sv->{n}        if $sv->{type} eq 'HASH' || $sv->{type} eq 'STASH';
        push @bad, "$path: $sv->{type} size $sv->{size} < $min" if $sv->{size} < $min;
    }
    is_deeply( \@bad, [], 'every size covers at least the head, the string buffer and the element/bucket arrays' );
    my @differ = map { "$_ ($wr->{$_}{type}): ours $wo->{$_}{size}, reference $wr->{$_}{size}" }
        grep { $wo->{$_} && $wo->{$_}{size} != $wr->{$_}{size} } sort keys %$wr;
    note "size differs from the reference (by policy, see above):\n  " . join( "\n  ", @differ ) if @differ;
}

sub eq_field
{
    my ( $x, $y ) = @_;
    return Test::More::eq_array( [$x], [$y] );
}

done_testing;
