#!/usr/bin/perl
# Completeness: the dump holds every live SV, no more, no less.
#
# Perl offers no SV counter without a DEBUGGING build, so this checks it
# from four independent directions:
#   1. exact deltas: dump, allocate a known number of SVs of known types
#      (spanning many arenas), dump again: the per-type counts must move by
#      exactly that much;
#   2. Devel::Peek::DeadCode walks perl's SV arenas itself and reports every
#      non-XS CV that has a GV and an optree: the same CVs must be in the dump;
#   3. the same deterministic script dumped in child processes by our dumper
#      and by the reference dumper (Debian's Devel::MAT::Dumper) must give
#      per-type counts that differ only by the dumper modules' own footprint;
#   4. the reader's bookkeeping: `cpmat info` per-type counts sum to its total
#      and to the number of SV lines of `cpmat dump`; Devel::MAT (when
#      installed) loads the same number of SVs.
# And the one SV that is left out on purpose: one of a type the dumper does
# not know (5). No perl we build on has such a type, so a test-only XS
# function gives one arena SV unused type bits for the length of a dump.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use PMATTest;
use ReaderFormat;
use Config;
use File::Spec;
use Devel::Peek ();

my $ROOT = File::Spec->rel2abs("$FindBin::Bin/..");

sub info_counts
{
    my ($path) = @_;
    my %c;
    my $total;
    for ( cpmat_info($path) ) {
        $c{$1} = $2 if m/^type (\w+) (\d+)$/;
        $total = $1 if m/^svs (\d+)$/;
    }
    return ( \%c, $total );
}

# ---------------------------------------------------------------------------
# 1. exact deltas, in this process
my ( $pa, $pb ) = ( PMATTest::fresh_path(), PMATTest::fresh_path() );
{
    my ( @s, @a, @h );
    $#s = 1999;
    $#a = 999;
    $#h = 499;
    my $i = 0;    # defined before the first dump, so it is SCALAR in both
    Devel::MAT::Dumper::dump($pa);
    for ( $i = 0; $i < 2000; $i++ ) { $s[$i] = $i }     # +2000 SCALAR
    for ( $i = 0; $i < 1000; $i++ ) { $a[$i] = [] }     # +1000 REF +1000 ARRAY
    for ( $i = 0; $i < 500;  $i++ ) { $h[$i] = {} }     # +500 REF +500 HASH
    Devel::MAT::Dumper::dump($pb);
}

# 2. Devel::Peek's own arena walk, immediately before a dump
my ( $pc, $deadcode_file ) = ( PMATTest::fresh_path(), PMATTest::fresh_path() . '.deadcode' );
{
    open( my $saved_err, '>&', \*STDERR ) or die "dup STDERR: $!";
    open( STDERR, '>', $deadcode_file ) or die "redirect STDERR: $!";
    Devel::Peek::DeadCode();
    # (Devel::MAT loads this one below: in the format it reads)
    local $Devel::MAT::Dumper::FORMAT = ReaderFormat::format();
    Devel::MAT::Dumper::dump($pc);
    open( STDERR, '>&', $saved_err ) or die "restore STDERR: $!";
}

# --- 1.
{
    my ( $ca, $ta ) = info_counts($pa);
    my ( $cb, $tb ) = info_counts($pb);
    my %types = map { $_ => 1 } keys %$ca, keys %$cb;
    my %delta = map { $_ => ( $cb->{$_} // 0 ) - ( $ca->{$_} // 0 ) } keys %types;
    delete $delta{$_} for grep { !$delta{$_} } keys %delta;
    is_deeply( \%delta, { SCALAR => 2000, REF => 1500, ARRAY => 1000, HASH => 500 },
        'exact deltas: +2000 SCALAR, +1500 REF, +1000 ARRAY, +500 HASH and nothing else' );
    is( $tb - $ta, 5000, 'exact deltas: 5000 more SVs in total' );
}

# --- 2.
{
    open( my $fh, '<', $deadcode_file ) or die "read $deadcode_file: $!";
    my @peek = sort map { m/^GVGV::GV = (0x[0-9a-f]+)/ ? lc $1 : () } <$fh>;
    close $fh;
    cmp_ok( scalar @peek, '>', 50, 'Devel::Peek::DeadCode reported the CVs it found in the arenas' );

    my $d = cpmat_dump($pc);
    my @ours = sort map { $_->{glob} }
        grep { $_->{type} && $_->{type} eq 'CODE' && !( hex( $_->{flags} ) & 0x04 ) && $_->{glob} ne '0x0' && $_->{oproot} ne '0x0' }
        values %{ $d->{svs} };
    is( scalar @ours, scalar @peek, 'as many non-XS named CVs with an optree as Devel::Peek found' );
    is_deeply( \@ours, \@peek, 'the same CVs (compared by their GV addresses)' );

    # --- 4. the reader's bookkeeping on the same file
    my ( $c, $total ) = info_counts($pc);
    my $sum = 0;
    $sum += $_ for values %$c;
    is( $sum, $total, 'cpmat info: per-type counts sum to the total' );
    is( $total, $d->{nsv}, 'cpmat info: total = number of SV lines of cpmat dump' );
    is( $total, scalar( grep { $_->{type} } values %{ $d->{svs} } ), 'cpmat dump: no address appears twice' );
    is_deeply( $c, $d->{count}, 'cpmat info: per-type counts = per-type SV lines' );

    # --- completeness seen from the pointers: every SV pointer in the file
    # leads to NULL, an immortal or an SV that is in the file.  (The
    # non-refcounted MAGIC obj is excluded: perl stores plain data there, e.g.
    # the '-' / '+' character of @-/@+'s regdata magic.)
    {
        my %imm = map { $_ => 1 } values %{ $d->{immortals} };
        my $ok  = sub { my $a = shift; !defined $a || $a eq '0x0' || $imm{$a} || sv_at( $d, $a ) };
        my %bad;
        my @ptr = qw(blessed rv ourstash stash scalar array hash code egv io form backrefs mro_linear_all
            mro_linear_current mro_nextmethod mro_isa outside padlist constval padnames_av top format bottom targ glob);
        for my $sv ( grep { $_->{type} } values %{ $d->{svs} } ) {
            for my $k ( grep { exists $sv->{$_} } @ptr ) {
                push @{ $bad{"$sv->{type}.$k"} }, $sv->{addr} unless $ok->( $sv->{$k} );
            }
            for my $k (qw(elems consts gvs)) {
                next unless ref $sv->{$k} eq 'ARRAY';
                $ok->($_) or push @{ $bad{"$sv->{type}.$k"} }, $sv->{addr} for @{ $sv->{$k} };
            }
            for my $k (qw(values pads padourstash)) {
                next unless ref $sv->{$k} eq 'HASH';
                $ok->($_) or push @{ $bad{"$sv->{type}.$k"} }, $sv->{addr} for values %{ $sv->{$k} };
            }
            for my $m ( grep { $_->{flags} & 1 } @{ $sv->{magic} } ) {
                push @{ $bad{"MAGIC($m->{type}).obj"} }, $sv->{addr} unless $ok->( $m->{obj} );
            }
            for my $sav ( @{ $sv->{saved} } ) {
                $ok->( $sav->{$_} ) or push @{ $bad{"SAVED_$sav->{kind}.$_"} }, $sv->{addr} for grep { exists $sav->{$_} } qw(sv av hv cv key);
            }
        }
        for my $c ( @{ $d->{ctx} } ) {
            $ok->( $c->{$_} ) or push @{ $bad{"CTX.$_"} }, $c->{index} for grep { exists $c->{$_} } qw(cv args codesv);
        }
        $ok->($_) or push @{ $bad{STACK} }, $_ for @{ $d->{stack} };
        $ok->( $d->{roots}{$_} ) or push @{ $bad{ROOT} }, $_ for keys %{ $d->{roots} };
        is_deeply( { map { ( $_ => scalar @{ $bad{$_} } ) } keys %bad }, {}, 'no dangling pointers: every SV pointer leads to a dumped SV' )
            or diag explain { map { ( $_ => [ @{ $bad{$_} }[ 0 .. 2 ] ] ) } keys %bad };
    }

  SKIP: {
        skip 'Devel::MAT is not installed (CI installs it)', 1 unless eval { require Devel::MAT::Dumpfile; 1 };
        my $df = Devel::MAT::Dumpfile->load( $pc, no_fixup => 1 );
        my $n = scalar( () = $df->heap );
        is( $n, $total, 'Devel::MAT loads as many SVs as cpmat counts' );
    }
}

# --- 3. our dumper vs the reference dumper in child processes
SKIP: {
    my $ours_pm = $INC{'Devel/MAT/Dumper.pm'};
    my @inc_ours = grep { -d } map { File::Spec->catdir( $ROOT, 'blib', $_ ) } qw(arch lib);
    skip 'this run uses the reference dumper itself (no blib)', 2 unless $ours_pm =~ m{/blib/};

    # children get a clean environment: no PERL5LIB/PERL5OPT pointing at blib
    local $ENV{PERL5LIB};
    local $ENV{PERL5OPT};
    delete $ENV{PERL5LIB};
    delete $ENV{PERL5OPT};

    my $ref_pm = `"$^X" -MDevel::MAT::Dumper -e "print \\\$INC{'Devel/MAT/Dumper.pm'}" 2>/dev/null`;
    skip 'no reference Devel::MAT::Dumper installed', 2 unless $? == 0 && $ref_pm;
    skip "the installed Devel::MAT::Dumper ($ref_pm) is not the reference", 2
        if $ref_pm =~ m{/blib/} || !eval { my $v = `"$^X" -MDevel::MAT::Dumper -e "print \\\$Devel::MAT::Dumper::VERSION"`; $v >= 0.40 };

    my $script = PMATTest::fresh_path() . '.pl';
    open( my $sfh, '>', $script ) or die "write $script: $!";
    print {$sfh} <<'EOS';
use strict;
use warnings;
# Load everything either dumper module loads, into the same places, so the
# two runs differ only by the dumper module's own code.  The reference
# imports POSIX into its package (twice, once per load path): do it twice
# here too, so the imported proxy constant subs are upgraded the same way.
use Carp (); use Cwd (); use Fcntl (); use Tie::Hash (); use constant ();
use overloading (); use Config (); use DynaLoader (); use vars ();
use Exporter (); require Exporter::Heavy; use XSLoader ();
{ package Devel::MAT::Dumper; use File::Basename qw( basename ); use File::Spec; use POSIX; }
{ package Devel::MAT::Dumper; use POSIX; }
use Devel::MAT::Dumper;
my $n_data = $ARGV[1];
my @data = map { { id => $_, name => "n$_", list => [ $_, "$_", $_ / 7 ], re => qr/x$_/ } } 1 .. $n_data;
my @subs = map { my $n = $_; sub { $n } } 1 .. $n_data / 6;
Devel::MAT::Dumper::dump( $ARGV[0] );
EOS
    close $sfh;

    # Each dumper dumps the script twice: with 3000 records (+500 closures)
    # and with none.  The modules differ (the reference's is smaller than
    # ours now that ours has its triggers), but the growth between the two
    # runs is the same data and must be counted the same by both dumpers.
    my %f;
    for my $n ( 0, 3000 ) {
        $f{ours}{$n} = "$script.ours.$n.pmat";
        $f{ref}{$n}  = "$script.ref.$n.pmat";
        system( $^X, ( map { "-I$_" } @inc_ours ), $script, $f{ours}{$n}, $n ) == 0 or die "child (ours) failed: $?";
        system( $^X, '-I/nonexistent/arch', '-I/nonexistent/lib', $script, $f{ref}{$n}, $n ) == 0 or die "child (reference) failed: $?";
    }
    my %grow;
    for my $which ( qw( ours ref ) ) {
        my ( $c0, $t0 ) = info_counts( $f{$which}{0} );
        my ( $c1, $t1 ) = info_counts( $f{$which}{3000} );
        $grow{$which} = { map { $_ => ( $c1->{$_} // 0 ) - ( $c0->{$_} // 0 ) } keys %$c0, keys %$c1 };
        $grow{$which}{TOTAL} = $t1 - $t0;
    }
    cmp_ok( $grow{ours}{TOTAL}, '>', 30_000, "the data made a big heap ($grow{ours}{TOTAL} SVs more)" );
    for my $h ( values %grow ) { delete $h->{$_} for grep { !$h->{$_} } keys %$h }
    diag sprintf 'growth ours: %s; reference: %s',
        map { my $h = $grow{$_}; join ' ', map { "$_=$h->{$_}" } sort keys %$h } qw( ours ref );
    is_deeply( $grow{ours}, $grow{ref}, 'the same growth per type as the reference dumper counts' );
}

# --- 5. an SV of a type the dumper does not know
{
    my $path = PMATTest::fresh_path();
    my $err_file = "$path.stderr";
    open( my $saved_err, '>&', \*STDERR ) or die "dup STDERR: $!";
    open( STDERR, '>', $err_file ) or die "redirect STDERR: $!";
    my $alien = eval { Devel::MAT::Dumper::_dump_with_alien_sv($path) };
    my $died = $@;
    open( STDERR, '>&', $saved_err ) or die "restore STDERR: $!";
    is( $died, '', 'unknown type: the dump does not die' );
    my $err = do { open my $fh, '<', $err_file or die; local $/; <$fh> };
    is( $err, "Devel::MAT::Dumper: left out 1 SV(s) of unknown type\n",
        'unknown type: one line on STDERR, counting the one SV' );
    my $d = cpmat_dump($path);
    my ( $c, $total ) = info_counts($path);
    is( $d->{nsv}, $total, 'unknown type: the file reads to its end, every record whole' );
    ok( !exists $d->{svs}{ sprintf '0x%x', $alien }, 'unknown type: that SV is left out' );
    ok( $c->{SCALAR} > 1000 && $c->{CODE} > 100, 'unknown type: the SVs around it are all there' );
}

done_testing;
