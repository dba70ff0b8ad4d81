#!/usr/bin/perl
# The value stacks are dumped as ARRAYs of their live slots only.
#
# Perl writes a stack's depth back into its AvFILLp only when it switches to
# another stack, so the running stack's AvFILLp is stale (longer after a sort
# block ran with items on the stack, shorter once more is pushed), and the
# stacks kept for reuse (a tied FETCH's, a sort block's) keep their last
# AvFILLp with slots that point at SVs freed since.  Every dump here checks:
#   - the running stack's ARRAY holds exactly what the STACK records hold;
#   - no ARRAY that is a stack reaches an SV the dump does not have
#     (list-dangling-ptrs is empty);
#   - SVs made after the stale slots were left are not "held" by a stack.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use PMATTest;

# A value stack in the dump: an ARRAY that does not own its elements, whose
# first slot is the &PL_sv_undef perl keeps below every stack frame.
# Value stacks are not AvREAL -- but from 5.40 a stack that push_stackinfo()
# made with flag 1 is (a sort block's): with real_too, REAL arrays whose base
# slot is &PL_sv_undef count as candidates too.
sub stack_arrays
{
    my ( $d, %o ) = @_;
    my $undef = $d->{immortals}{undef};
    return grep {
        $_->{type} eq 'ARRAY' && ( $_->{unreal} || $o{real_too} ) && @{ $_->{elems} || [] }
            && $_->{elems}[0] eq $undef
    } values %{ $d->{svs} };
}

sub dangling_lines
{
    my ($path) = @_;
    my $cpmat = cpmat_path();
    my @out = `"$cpmat" --quiet "$path" list-dangling-ptrs 2>&1`;
    is( $?, 0, 'list-dangling-ptrs ran' );
    return @out;
}

# The checks every dump gets; $what names the moment of the dump.
sub check_dump
{
    my ( $path, $what, %o ) = @_;
    my $d = cpmat_dump($path);
    my @stack = @{ $d->{stack} };
    my @running = grep { "@{ $_->{elems} }" eq "@stack" } stack_arrays( $d, real_too => 1 );
    is( scalar @running, 1, "$what: one stack ARRAY holds exactly the live stack (" . @stack . ' slots)' );
    is( $running[0] && $running[0]{unreal}, $o{real_stack} ? 0 : 1, "$what: ... and it is " . ( $o{real_stack} ? '' : 'not ' ) . 'AvREAL' )
        if exists $o{real_stack};
    if ( $o{running_is_main} ) {
        is( $running[0] && $running[0]{addr}, $d->{roots}{mainstack},
            "$what: ... and it is the main stack" );
        # With the main stack running, every other stack is one kept for
        # reuse: nothing is on it but its base slot.
        my @stale = map { "$_->{addr} (n=$_->{n})" }
            grep { $_->{addr} ne $d->{roots}{mainstack} && $_->{n} != 1 } stack_arrays($d);
        is_deeply( \@stale, [], "$what: the stacks kept for reuse hold only their base slot" );
    }
    my @dangling = dangling_lines($path);
    is_deeply( \@dangling, [], "$what: no dangling pointers" );
    if ( my $fresh = $o{fresh} ) {
        # SVs born after the stale slots were left: a stack holds them only
        # if they are really on it.
        my %held;
        for my $st ( stack_arrays($d) ) {
            $held{$_}++ for @{ $st->{elems} };
        }
        my %live = map { $_ => 1 } @stack;
        my @false = grep { $held{$_} && !$live{$_} } @$fresh;
        is_deeply( \@false, [], "$what: none of " . @$fresh . ' SVs made since is held by a stack' );
    }
    return $d;
}

# --- 1. the main stack after a sort block ran with 20 items under it --------
# pp_sort switches to its own stack for the block: the main stack's AvFILLp
# is set to 20-odd then and stays so after the sort returns.
{
    my $path = PMATTest::fresh_path();
    my @x = ( map( { [] } 1 .. 20 ), sort { my $r = $a <=> $b; $r } 3, 2, 1 );
    @x = ();                                # the 20 arrays are freed
    my @fresh_objs = map { {} } 1 .. 200;   # and their slots reused, in part
    my @fresh = map { addr_of($_) } @fresh_objs;
    Devel::MAT::Dumper::dump($path);
    check_dump( $path, 'after a sort block', running_is_main => 1, fresh => \@fresh );
}

# --- 2. inside a sort block ----------------------------------------------------
# The sort block runs on a stack of its own; the main stack under it holds
# what is being sorted (the lexicals themselves: they are not copied), below
# the two items of the list before the sort.
{
    my $path = PMATTest::fresh_path();
    my ( $p, $q, $r, $pre1, $pre2 ) = ( 3, 1, 2, 'pre1', 'pre2' );
    my $done;
    my @x = ( $pre1, $pre2, sort {
        Devel::MAT::Dumper::dump($path) unless $done++;
        $a <=> $b
    } $p, $q, $r );
    # perl 5.40's pp_sort runs the block on a stack push_stackinfo(PERLSI_SORT, 1)
    # made AvREAL; before 5.40 every stack is not REAL.
    my $d = check_dump( $path, 'inside a sort block', real_stack => $] >= 5.040 );
    my $main = sv_at( $d, $d->{roots}{mainstack} );
    my @want = sort( $d->{immortals}{undef}, map { addr_of( \$_ ) } $pre1, $pre2, $p, $q, $r );
    is_deeply( [ sort @{ $main->{elems} } ], \@want,
        'inside a sort block: the main stack holds the sorted items and what was before them' );
    isnt( $d->{roots}{mainstack}, undef, 'mainstack root written' );
    ok( !grep( { $_ eq $d->{roots}{mainstack} } map { $_->{addr} }
            grep { "@{ $_->{elems} }" eq "@{ $d->{stack} }" } stack_arrays($d) ),
        'inside a sort block: the running stack is not the main stack' );
}

# --- 3. inside a tied FETCH, and after it ----------------------------------------
# FETCH runs on a PERLSI_MAGIC stack; once it returns, that stack is kept
# for the next one with its last fill: the slot of FETCH's return value.
package Tied {
    our ( $dump_in, @made );
    sub TIESCALAR { return bless {}, shift }
    sub FETCH
    {
        my $v = [ map { {} } 1 .. 5 ];
        if ( defined $dump_in ) {
            my $path = $dump_in;
            undef $dump_in;
            Devel::MAT::Dumper::dump($path);
        }
        return $v;
    }
}
{
    my $in = PMATTest::fresh_path();
    tie my $t, 'Tied';
    $Tied::dump_in = $in;
    my $v = $t;
    check_dump( $in, 'inside a tied FETCH' );

    # Read it a few times so the magic stack's last slots point at copies
    # that are freed by now.
    for ( 1 .. 3 ) { my $w = $t; my @l = ( $t, $t, $t ); }
    undef $v;
    my @fresh_objs = map { [] } 1 .. 200;
    my @fresh = map { addr_of($_) } @fresh_objs;
    my $after = PMATTest::fresh_path();
    Devel::MAT::Dumper::dump($after);
    check_dump( $after, 'after tied FETCHes', running_is_main => 1, fresh => \@fresh );
}

# --- 4. slots that outlive their SVs: an END dump after exit, @DB::args ------
# exit() from inside a list leaves the main program's items on the main
# stack (the stack pointer is not reset before the END blocks; FREETMPS has
# freed the temporaries), and caller() from package DB copies @_'s elements
# into @DB::args without counting references: both hold SVs freed since.
# They go out as NULL, never as pointers to nothing.
{
    my $path = PMATTest::fresh_path();
    my $prog = <<'PROG';
sub args_to_db { package DB; my @c = caller(0); }
sub pass_temps { args_to_db(@_) }
pass_temps( map { [ $_ ] } 1 .. 10 );       # @DB::args: 10 freed arrays
sub leave { my @t = map { {} } 1 .. 30; exit 0 }
my @l = ( 1, 2, map( { {} } 1 .. 20 ), leave() );
PROG
    my $out = `"$^X" -Mblib -MDevel::MAT::Dumper=-dump_at_END,-file,"$path" -e '$prog' 2>&1`;
    is( $?, 0, 'END after exit: the program exits 0' ) or diag $out;
    my $d = cpmat_dump($path);
    my $main = sv_at( $d, $d->{roots}{mainstack} );
    # (perl 5.32 and 5.36 leave them there; 5.40 does not, seen in trixie;
    # and the checks below hold either way)
    cmp_ok( scalar @{ $main->{elems} }, '>=', 20, 'END after exit: the main program\'s items are still on the main stack' )
        if $] < 5.040;
    my %have = map { $_ => 1 } keys %{ $d->{svs} };
    my %immortal = map { $_ => 1 } values %{ $d->{immortals} };
    my @nothing = grep { $_ ne '0x0' && !$have{$_} && !$immortal{$_} } @{ $main->{elems} };
    is_deeply( \@nothing, [], 'END after exit: every main stack slot is an SV of the dump or NULL' );
    my $dbgv = glob_of( $d, 'DB::args' );
    my $dbargs = $dbgv && sv_at( $d, $dbgv->{array} );
    is( $dbargs && scalar @{ $dbargs->{elems} }, 10, 'END after exit: @DB::args has its 10 slots' );
    is( scalar grep( { $_ eq '0x0' } @{ $dbargs ? $dbargs->{elems} : [] } ), 10,
        'END after exit: ... all NULL, their SVs being freed' );
    my @dangling = dangling_lines($path);
    is_deeply( \@dangling, [], 'END after exit: no dangling pointers' );
}

done_testing;
