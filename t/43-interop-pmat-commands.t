# Every pmat command, and pmat-counts, pmat-diff, pmat-list-orphans and
# pmat-leakreport, run on our dumps of the interop fixtures (t/fixtures/
# interop) exit 0 and print nothing on STDERR.  Every command and every find
# filter runs as its own `pmat` process on each fixture's dump; `show`,
# `identify` and `outrefs` of every named variable of every fixture run
# in-process (one load per file).
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/fixtures/interop";
use Interop;

my $why = Interop::skip_reason( without_ref => 1 );
plan skip_all => $why if $why;
my %tool = map { my $t = $_; $t => ( grep { -x } map { "$_/$t" } split /:/, $ENV{PATH} )[0] }
    qw(pmat pmat-counts pmat-diff pmat-list-orphans pmat-leakreport);
if ( my @missing = grep { !$tool{$_} } sort keys %tool ) {
    plan skip_all => "not on PATH: @missing (Debian: libdevel-mat-perl)";
}

my $tmp = Interop::tmpdir();
my $seq = 0;
# Run a tool; returns ( exit status, STDOUT, STDERR ).
sub run
{
    my (@cmd) = @_;
    my ( $o, $e ) = ( "$tmp/out." . ++$seq, "$tmp/err.$seq" );
    open my $save_out, '>&', \*STDOUT or die;
    open my $save_err, '>&', \*STDERR or die;
    open STDOUT, '>', $o or die;
    open STDERR, '>', $e or die;
    my $rc = system(@cmd);
    open STDOUT, '>&', $save_out or die;
    open STDERR, '>&', $save_err or die;
    return ( $rc, Interop::slurp($o), Interop::slurp($e) );
}

sub runs_clean
{
    my ( $name, @cmd ) = @_;
    my ( $rc, $out, $err ) = run(@cmd);
    ok( $rc == 0 && $err eq '', $name ) or diag "exit $rc; STDERR:\n$err";
    return $out;
}

my %dump = map { $_ => Interop::run_fixture( 'ours', $_ ) } qw(kinds.pl magic.pl contexts.pl);

# The reference's dumps of the same fixtures, when it is installed: newer
# Devel::MAT releases have bugs of their own (0.53/0.56: show of a glob dies
# in name_hek_at, list-dangling-ptrs calls hek_at wrongly, 0.56's count
# --blessed warns).  A command that fails on our file passes only if pmat
# fails the same way on the reference's file of the same program: then the
# fault is pmat's, not our file's, and the test says so.
my %refdump = Interop::ref_inc() ? map { $_ => Interop::run_fixture( 'ref', $_ ) } keys %dump : ();

# What a failure looks like, with the addresses and counts taken out.
sub failure_shape
{
    my ( $rc, $err ) = @_;
    # Devel::MAT 0.53+ warns about each freed mortal the reference lists
    # (see Interop::load): the reference's defect, not part of the failure
    $err =~ s/^SV address 0x[0-9a-f]+ is marked mortal but there is no SV at .*\n//mg;
    $err = Interop::dangling_bug_shape($err);    # and the addresses out
    $err =~ s/\b\d+\b(?! line)/N/g;
    # a warning per kind or per SV: how often it came depends on the heap
    my %seen;
    $err = join '', grep { !$seen{$_}++ } split /^/, $err;
    return "exit $rc: $err";
}

sub runs_clean_or_pmat_bug
{
    my ( $name, $fx, @args ) = @_;
    return tool_clean_or_pmat_bug( $name, $tool{pmat}, [ '--quiet', \$fx, @args ] );
}

# TOOL ARGS, where a ref to a fixture's name stands for its dump file:
# clean on our files, or failing just as on the reference's.
sub tool_clean_or_pmat_bug
{
    my ( $name, $tool, $args ) = @_;
    my @ours = map { ref ? $dump{$$_} : $_ } @$args;
    my @fx = map { ref ? $$_ : () } @$args;
    my ( $rc, $out, $err ) = run( $tool, @ours );
    return $out if $rc == 0 && $err eq '' && pass($name);
    if ( @fx == grep { $refdump{$_} } @fx ) {
        my ( $rrc, undef, $rerr ) = run( $tool, map { ref ? $refdump{$$_} : $_ } @$args );
        if ( failure_shape( $rc, $err ) eq failure_shape( $rrc, $rerr ) ) {
            pass("$name: pmat $Devel::MAT::VERSION fails the same way on the reference's file (pmat's bug)");
            note "pmat's own failure, on both files: $err";
            return $out;
        }
        fail($name);
        diag "exit $rc; STDERR:\n$err\non the reference's file: exit $rrc; STDERR:\n$rerr";
        return $out;
    }
    fail($name);
    diag "exit $rc; STDERR:\n$err(no reference dumper to tell pmat's bugs from ours)";
    return $out;
}

# Every command of pmat and every find filter, on every fixture, each as
# its own `pmat --quiet FILE COMMAND...` process: exit status 0 and nothing
# on STDERR.  (Devel::MAT 0.51's pmat cannot parse the long form
# --full-pv of show's option, whoever wrote the dump; -F works.)
sub commands
{
    my ( $pm, $owned ) = @_;
    # a vtable our dump recorded, for find magic --vtbl
    my ($vtbl) = map { sprintf '0x%x', $_->vtbl } grep { $_->vtbl } map { $_->magic } grep { $_->can('magic') } $pm->dumpfile->heap;
    return (
        ['summary'], ['count'], [ 'count', '--blessed' ], [ 'count', '--scalars' ], ( $owned ? ( [ 'count', '--owned' ], [ 'largest', '--owned', 5 ] ) : () ),    # slow: once
        [ 'count', '--struct' ], [ 'largest', 10 ], [ 'largest', '--struct', 5 ], ['list-dangling-ptrs'], ['packages'], ['roots'], ['stack'],
        ['callers'], [ 'callers', '--pad' ], ['symbols'], [ 'symbols', '-R', 'Fx' ],
        [ 'find', 'blessed', 'Fx::Thing' ], [ 'find', 'cv' ], [ 'find', 'cv', '--xsub' ], [ 'find', 'cv', '-p', 'Fx' ], [ 'find', 'io' ], [ 'find', 'io', '-f', 2 ],
        [ 'find', 'lexical', '$frame' ], [ 'find', 'lexical', '--inactive', '$x' ],
        ( $vtbl ? [ 'find', 'magic', '--vtbl', $vtbl ] : () ), [ 'find', 'num', 42 ], [ 'find', 'num', '--nv' ], [ 'find', 'pv', 'plain' ],
        [ 'find', 'pv', '-r', 'item1.$' ], [ 'find', 'pv', '--eq', '-i', 'PLAIN' ],
        [ 'find', 'struct', 'Nothing' ], [ 'find', '--count', 'blessed', 'Fx::Base' ],
        [ 'identify', '%Fx::' ], [ 'identify', '--all', '%Fx::' ], [ 'inrefs', '%Fx::' ], [ 'inrefs', '--all', '%Fx::' ],
        [ 'outrefs', '%Fx::' ], [ 'outrefs', '--all', '%Fx::' ], [ 'show', '%Fx::' ], [ 'size', '%Fx::' ],
        ['tools'], [ 'help', 'find' ],
    );
}

my %pm;
for my $fx ( sort keys %dump ) {
    my $pm = $pm{$fx} = Interop::load( $dump{$fx} );
    runs_clean_or_pmat_bug( "pmat $fx @$_", $fx, @$_ ) for commands( $pm, $fx eq 'kinds.pl' );
}
for my $c ( [ 'elems', '@Fx::big', 100 ], [ 'elems', '--count', 3, '@Fx::small' ], [ 'values', '%Fx::h' ], [ 'values', '--count', 5, '%Fx::big' ],
    ( $Devel::MAT::VERSION < 0.53 ? [ 'values', '--count', 5, '%Fx::big', 10 ] : () ),    # 0.53 takes a /PATTERN/ there, not a skip count
    [ 'show', '--pad', '&Fx::recurse' ], [ 'show', '-F', '$Fx::long' ], [ 'show', '-F', '&Fx::recurse' ], [ 'identify', '$Fx::weak' ],
    [ 'identify', '$Fx::pv' ], [ 'find', 'io', '--fileno', 0 ], [ 'find', 'lexical', '$depth' ] ) {
    runs_clean_or_pmat_bug( "pmat kinds.pl @$c", 'kinds.pl', @$c );
}
my $out = runs_clean( 'pmat contexts count (with the summary)', $tool{pmat}, $dump{'contexts.pl'}, 'count' );
like( $out, qr/Perl memory dumpfile/, 'the summary comes first' );

# show, identify and outrefs of every named variable of every fixture run
# in-process (one load per file: some 150 variables), failing on any die or
# warning.
# show and identify of every named variable of every fixture
for my $fx ( sort keys %dump ) {
    my $pm = $pm{$fx};
    my $refpm = $refdump{$fx} && Interop::load( $refdump{$fx} );
    my @syms = map { /^(\S+) at / ? $1 : () } split /\n/, Interop::cmd( $pm, 'symbols', '-R', 'Fx' );
    cmp_ok( scalar @syms, '>=', 5, "$fx has its variables" );
    my ( @bad, @pmat_bugs );
    for my $s (@syms) {
        my $sv = $pm->find_symbol($s) or do { push @bad, "$s: find_symbol found nothing"; next };
        for my $c ( [ 'show', $s ], [ 'identify', $s ], [ 'outrefs', $s ] ) {
            next if $c->[0] eq 'show' && !Devel::MAT::Tool::Show->can( 'show_' . $sv->type );    # Devel::MAT 0.51 has no view for these
            next if eval { Interop::cmd( $pm, @$c ); 1 };
            my $e = $@;
            # the same die on the reference's file: pmat's bug (see above)
            if ( $refpm && !eval { Interop::cmd( $refpm, @$c ); 1 } && failure_shape( 0, $@ ) eq failure_shape( 0, $e ) ) {
                push @pmat_bugs, $e;
                next;
            }
            push @bad, $e;
        }
    }
    is_deeply( \@bad, [], "$fx: show, identify and outrefs of its " . @syms . ' named variables run without error or warning'
        . ( @pmat_bugs ? ' (but ' . @pmat_bugs . " that fail on the reference's file too: pmat's bugs)" : '' ) );
    note "pmat's own failures: @pmat_bugs" if @pmat_bugs;
}

# The other tools
my @all = map { $dump{$_} } qw(kinds.pl magic.pl contexts.pl);
like( runs_clean( 'pmat-counts on three dumps', $tool{'pmat-counts'}, @all ), qr/ARRAY/, 'pmat-counts counts' );
# 0.56's pmat-counts --blessed warns as its count --blessed does
tool_clean_or_pmat_bug( 'pmat-counts --blessed', $tool{'pmat-counts'}, [ '--blessed', \'kinds.pl', \'magic.pl' ] );
runs_clean( 'pmat-diff',               $tool{'pmat-diff'}, @all[ 1, 2 ] );
runs_clean( 'pmat-list-orphans',       $tool{'pmat-list-orphans'}, $all[0] );
runs_clean( 'pmat-leakreport',         $tool{'pmat-leakreport'}, @all );

done_testing;
