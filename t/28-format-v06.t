#!/usr/bin/perl
# The format a dump is written in: v0.6 by default, v0.4 on request
# (-format 0.4, $Devel::MAT::Dumper::FORMAT), v0.5 for a v0.4 dump whose
# heap has `class` objects or classes.  And what v0.6 adds, checked against
# perl's own structures through our reader: the HEK pointers of hash
# entries, glob names, sub names and shared-key strings lead to the string
# table's entries of those very strings, and the mortals section holds the
# temporaries of the statement that dumped.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use lib "$FindBin::Bin/fixtures";
use PMATTest;
use TriggerHelp qw( run_perl wait_for );
use File::Temp qw( tempdir );
use feature 'lexical_subs';
no warnings 'experimental::lexical_subs';   # (5.26+ needs neither)

my $dir = tempdir( CLEANUP => 1 );

# --- the heap the HEK checks look at
our %Hek_probe = ( hek_probe_key_one => 1, hek_probe_key_two => [ 2 ] );
our $Hek_probe_copy = ( sort keys %Hek_probe )[0];   # a copy of a shared key
our @Hek_probe_glob_only = ( 1 );
my sub hek_probe_lexsub { return 42 }
my $lexsub_ref = \&hek_probe_lexsub;
sub hek_probe_with_glob { return 43 }
our $glob_ref = \*hek_probe_with_glob;    # the glob made real: CvGV

# --- a statement that dumps half-way: take()'s arguments are evaluated
# (ret()'s returned copy and the concatenation, both made mortal for the
# call) when it dumps.
my $mortal_path;
my $y = 'yv';
sub ret  { return "ret-$_[0]" }
sub take { $mortal_path = PMATTest::fresh_path(); Devel::MAT::Dumper::dump($mortal_path); return scalar @_ }
my $took = take( ret('mq'), "cat-" . $y );

my $d = cpmat_dump($mortal_path);

is( $d->{header}{format}, '0.6', 'the default format is 0.6' );

# --- HEKs: each one is the string table's own entry for its string
my $strtab = root_sv( $d, 'strtab' );
ok( $strtab && $strtab->{heks}, 'the string table has its HEKs' );
my %strtab_hek = %{ $strtab->{heks} // {} };
# HEK => its string, from every entry: a string can be in the table twice,
# under two HEKs whose flags differ (a lexical sub's name, for one)
my %hek_key = map { ( $_->[1] => $_->[0] ) } @{ $strtab->{heks_list} // [] };
is( scalar( keys %hek_key ), scalar @{ $strtab->{heks_list} // [] }, 'no two entries of the table share a HEK' );

{
    my $hv = sv_at( $d, ( glob_of( $d, 'main::Hek_probe' ) // {} )->{hash} );
    ok( $hv, '%Hek_probe found' );
    for my $k (qw( hek_probe_key_one hek_probe_key_two )) {
        ok( $strtab_hek{$k}, "the string table holds '$k'" );
        is( $hv->{heks}{$k}, $strtab_hek{$k}, "the entry '$k' points at the table's HEK of '$k'" );
    }
    my $main = stash_of( $d, 'main' );
    is( $main->{heks}{Hek_probe}, $strtab_hek{Hek_probe}, 'a stash entry too (main::Hek_probe)' );
}
{
    my $gv = glob_of( $d, 'main::Hek_probe_glob_only' );
    is( $gv->{name}, 'Hek_probe_glob_only', 'the glob' );
    is( $gv->{name_hek}, $strtab_hek{Hek_probe_glob_only}, "its NAME_HEK is the table's HEK of its name" );
}
{
    my @cv = grep { $_->{type} eq 'CODE' && ( $_->{name} // '' ) eq 'hek_probe_lexsub' } values %{ $d->{svs} };
    ok( @cv, 'the lexical sub' );
    is_deeply( [ map { $_->{name_hek} } @cv ], [ ( $strtab_hek{hek_probe_lexsub} ) x @cv ],
        "its NAME_HEK is the table's HEK of its name" );
    # (since 5.22 a sub nothing has asked the glob of is kept without one,
    # CvNAMED, and named by a HEK: take() here)
    my ($named) = grep { ( $_->{name} // '' ) eq 'take' } values %{ $d->{svs} };
    is( $named && ( $hek_key{ $named->{name_hek} } // '' ), 'take', 'so has a sub kept without a glob (take)' );
    my ($glob_named) = grep { $_->{type} eq 'CODE' && $_->{glob} ne '0x0'
                              && ( sv_at( $d, $_->{glob} ) // {} )->{name} eq 'hek_probe_with_glob' } values %{ $d->{svs} };
    is( $glob_named && $glob_named->{name_hek}, '0x0', 'a sub with a glob has no NAME_HEK (its name is the glob\'s)' );
}
{
    my $sv = sv_at( $d, ( glob_of( $d, 'main::Hek_probe_copy' ) // {} )->{scalar} );
    is( $sv && $sv->{pv}, 'hek_probe_key_one', 'the copy of a key' );
    is( $sv && $sv->{shared_hek}, $strtab_hek{hek_probe_key_one},
        "is a shared string: PV_SHARED_HEK names the table's HEK of it" );
    my $plain = sv_at( $d, ( glob_of( $d, 'main::y' ) // {} )->{scalar} );
    my @unshared = grep { $_->{type} eq 'SCALAR' && defined $_->{pv} && $_->{pv} eq 'cat-yv' } values %{ $d->{svs} };
    ok( @unshared && !grep( { defined $_->{shared_hek} } @unshared ), 'a string of its own has none' );
}
{
    my @bad = grep { $_->{type} =~ /^(HASH|STASH)$/ && $_->{heks} && $_->{addr} ne $strtab->{addr}
                     && grep( { $_ ne '0x0' && !exists $hek_key{$_} } values %{ $_->{heks} } ) }
              grep { $_->{type} } values %{ $d->{svs} };
    # (a hash that does not share its keys has HEKs of its own: none here
    # but %ENV's kind, so check the shared ones resolve)
    my @wrong;
    for my $sv ( grep { $_->{type} && $_->{heks} && $_->{addr} ne $strtab->{addr} } values %{ $d->{svs} } ) {
        for my $k ( keys %{ $sv->{heks} } ) {
            my $h = $sv->{heks}{$k};
            push @wrong, "$sv->{addr}\{$k}" if exists $hek_key{$h} && $hek_key{$h} ne $k;
        }
    }
    is_deeply( \@wrong, [], 'no hash entry anywhere points at the HEK of another string' );
    my @globs = grep { ( $_->{type} // '' ) eq 'GLOB' } values %{ $d->{svs} };
    my @gwrong = map { $_->{name} } grep { ( $hek_key{ $_->{name_hek} } // '' ) ne $_->{name} } @globs;
    is_deeply( \@gwrong, [], 'every glob\'s NAME_HEK is the table\'s HEK of its name (' . scalar(@globs) . ' globs)' );
    my @swrong = grep { defined $_->{shared_hek} && ( $hek_key{ $_->{shared_hek} } // "\0" ) ne ( $_->{pv} // '' ) }
                 grep { ( $_->{type} // '' ) eq 'SCALAR' } values %{ $d->{svs} };
    is( scalar @swrong, 0, 'every PV_SHARED_HEK is the table\'s HEK of the string' )
        or diag explain [ map { +{ %$_, table_key => $hek_key{ $_->{shared_hek} } } } grep { defined } @swrong[ 0 .. 2 ] ];
}

# --- mortals
{
    my @m = @{ $d->{mortals} // [] };
    ok( defined $d->{mortal_floor}, 'the mortals section ends with the floor' );
    my %at = map { ( $m[$_] => $_ ) } grep { defined $m[$_] } 0 .. $#m;
    my @args = grep { $_->{type} eq 'SCALAR' && defined $_->{pv} && ( $_->{pv} eq 'ret-mq' || $_->{pv} eq 'cat-yv' ) && exists $at{ $_->{addr} } }
               grep { $_->{type} } values %{ $d->{svs} };
    is_deeply( [ sort map { $_->{pv} } @args ], [ 'cat-yv', 'ret-mq' ],
        "take()'s two temporary arguments are mortals" );
    my $floor = $d->{mortal_floor};
    # take() was entered after they were made: they belong to the statement
    # outside its body, at or below the floor its call set.
    ok( !grep( { $at{ $_->{addr} } > $floor } @args ), "... at or below the floor ($floor)" );
    cmp_ok( $floor, '<', scalar @m, 'the floor is an index into the list' );
    is( scalar( grep { !defined sv_at( $d, $_ ) } grep { defined && $_ ne '0x0' } @m ), 0, 'every mortal is an SV of the dump' );
}

# (the parsed dump is a heap of its own: gone before the next dumps)
undef $d;
undef $strtab;
%strtab_hek = %hek_key = ();

# --- -format 0.4 and $FORMAT
sub header_format { my $f = shift; my ($l) = grep { /^format / } cpmat_info($f); return $l && ( split ' ', $l )[1] }
sub info_count { my ( $f, $what ) = @_; my ($l) = grep { /^\Q$what\E / } cpmat_info($f); return $l ? ( split ' ', $l )[1] : undef }

{
    local $Devel::MAT::Dumper::FORMAT = '0.4';
    my $f = dump_self();
    is( header_format($f), '0.4', "\$FORMAT = '0.4': dump() writes 0.4" );
    my $d4 = cpmat_dump($f);
    my @v6 = grep { $_->{type} && ( exists $_->{heks} || exists $_->{name_hek} || exists $_->{shared_hek} ) } values %{ $d4->{svs} };
    is( scalar @v6, 0, '... without HEK pointers' );
    is( info_count( $f, 'mortals' ), 0, '... and without a mortals section' );
    my $gv = glob_of( $d4, 'main::Hek_probe_glob_only' );
    is( $gv && $gv->{name}, 'Hek_probe_glob_only', '... with the records as v0.4 has them' );

    open my $fh, '>', "$dir/fh.pmat" or die;
    Devel::MAT::Dumper::dumpfh($fh);
    close $fh;
    is( header_format("$dir/fh.pmat"), '0.4', '... and so does dumpfh()' );

    Devel::MAT::Dumper::dump_fork("$dir/fork.pmat");
    ok( wait_for( sub { -e "$dir/fork.pmat" }, 30 ), 'dump_fork() wrote its file' );
    is( header_format("$dir/fork.pmat"), '0.4', '... in 0.4' );
}
{
    local $Devel::MAT::Dumper::FORMAT = 0.4;
    is( header_format( dump_self() ), '0.4', '$FORMAT = 0.4 (a number) too' );
    $Devel::MAT::Dumper::FORMAT = '0.6';
    is( header_format( dump_self() ), '0.6', "\$FORMAT = '0.6'" );
    $Devel::MAT::Dumper::FORMAT = undef;
    is( header_format( dump_self() ), '0.6', '$FORMAT undef: the default, 0.6' );
    $Devel::MAT::Dumper::FORMAT = '0.5';
    my $p = PMATTest::fresh_path();
    ok( !eval { Devel::MAT::Dumper::dump($p); 1 }, "\$FORMAT = '0.5': dump() dies" );
    like( $@, qr/^Devel::MAT::Dumper: \$FORMAT must be 0\.4 or 0\.6, not '0\.5'/, '... saying why' );
    ok( !-e $p, '... before writing anything' );
}

# import
{
    my ( $st, $out, $err ) = run_perl( { dir => $dir }, '-MDevel::MAT::Dumper=-format,0.5', '-e', '1' );
    isnt( $st, 0, '-format 0.5 dies at import' );
    like( $err, qr/^Devel::MAT::Dumper: -format needs 0\.4 or 0\.6, not '0\.5'/m, '... saying why' );
    ( $st, $out, $err ) = run_perl( { dir => $dir }, "-MDevel::MAT::Dumper=-dump_at_END,-format,0.4,-file,$dir/end.pmat", '-e', '1' );
    is( $st, 0, '-format 0.4 -dump_at_END: exit 0' );
    is( header_format("$dir/end.pmat"), '0.4', '... the END dump is 0.4' );
    # A trigger never dies: a bad $FORMAT set later gives the default.
    ( $st, $out, $err ) = run_perl( { dir => $dir }, "-MDevel::MAT::Dumper=-dump_at_END,-file,$dir/end6.pmat",
        '-e', q{$Devel::MAT::Dumper::FORMAT = "junk"} );
    is( $st, 0, "\$FORMAT = 'junk', then -dump_at_END: exit 0" );
    is( header_format("$dir/end6.pmat"), '0.6', '... the END dump is 0.6' );
}

# 0.5: only where the heap has `class` objects or classes (perl 5.38+)
{
    my ( $st, $out, $err ) = run_perl( { dir => $dir }, '-MDevel::MAT::Dumper', '-e',
        qq{\$Devel::MAT::Dumper::FORMAT = '0.4'; Devel::MAT::Dumper::dump("$dir/noclass.pmat")} );
    is( header_format("$dir/noclass.pmat"), '0.4', '-format 0.4 without `class`: 0.4' );
  SKIP: {
        skip "perl $] has no `class` (5.38+)", 2 unless $] >= 5.038;
        ( $st, $out, $err ) = run_perl( { dir => $dir }, '-MDevel::MAT::Dumper', '-e',
            qq{use experimental 'class'; class Fmt::Pt { field \$x = 1; } my \$o = Fmt::Pt->new; }
            . qq{\$Devel::MAT::Dumper::FORMAT = '0.4'; Devel::MAT::Dumper::dump("$dir/class.pmat")} );
        is( header_format("$dir/class.pmat"), '0.5', '... with a `class` object: 0.5' );
        ( $st, $out, $err ) = run_perl( { dir => $dir }, '-MDevel::MAT::Dumper', '-e',
            qq{use experimental 'class'; class Fmt::Empty { } }
            . qq{\$Devel::MAT::Dumper::FORMAT = '0.4'; Devel::MAT::Dumper::dump("$dir/classonly.pmat")} );
        is( header_format("$dir/classonly.pmat"), '0.5', '... with a class and no object of it: 0.5' );
    }
}

done_testing;
