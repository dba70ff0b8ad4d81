# dump() and dumpfh() split the arena walk between the calling thread and a
# helper, each with a writer of its own on the same file: an SV's record and
# its MAGIC records go out whole, whatever their size, and the file holds the
# same records as a one-thread walk of the same state (a fork-mode dump,
# whose child walks alone).  A write that fails part-way stops both walkers.
use strict;
use warnings;
use Test::More;
use lib 't/fixtures';
use TriggerHelp;


# The CPUs this process may run on (as sched_getaffinity counts them): the
# helper is started only when there are two or more.
my $cpus = 0;
if ( open my $fh, '<', '/proc/self/status' ) {
    for ( <$fh> ) {
        next unless /^Cpus_allowed_list:\s*(\S+)/;
        for ( split /,/, $1 ) { $cpus += /^(\d+)-(\d+)$/ ? $2 - $1 + 1 : 1 }
    }
}
my $walkers = $cpus >= 2 ? 2 : 1;

# A heap of many arenas (so both walkers take some) with records larger
# than a walker's 512 KiB buffer: a 3 MiB string with a MAGIC record, a hash
# of 40,000 keys (about 1 MB of entries), 150,000 array elements (1.2 MB).
my $HEAP = <<'P';
our @small = map { [ $_, "s$_" ] } 1 .. 60000;
our $big = "B" x ( 3 << 20 );
pos( $big ) = 7;
our %bighash = map { ( "key$_" => $_ ) } 1 .. 40000;
our @bigarray = ( 1 .. 150000 );
$Devel::MAT::Dumper::MAX_STRING = -1;
P

subtest 'two walkers write the same records as one' => sub {
    my $d = fresh_shared_dir();
    my ( $st, $out, $err ) = run_perl( { dir => $d, timeout => 60 }, '-MDevel::MAT::Dumper', '-e', $HEAP . <<'E', $d );
my $d = shift; $| = 1;
# Every SV the loop stores into exists before the first dump.
my ( $n, @r, @w ) = 0;
@r = @w = ( 0, 0 );
# The same statement dumps both ways, so stack and contexts are alike.
for my $f ( \&Devel::MAT::Dumper::dump, \&Devel::MAT::Dumper::dump_fork ) {
    $r[$n] = $f->( "$d/$n.pmat" );
    $w[$n] = Devel::MAT::Dumper::_last_walkers();
    $n++;
}
my $end = time + 30;
select undef, undef, undef, 0.05 until -e "$d/1.pmat" or time > $end;
print "returned @r; walkers $w[0]; ", ( -e "$d/1.pmat" ? "appeared\n" : "missing\n" );
E
    is( $st, 0, 'exit 0' );
    is( $err, '', 'nothing on STDERR' );
    is( $out, "returned 1 1; walkers $walkers; appeared\n",
        "both dumps returned 1; dump() walked with $walkers thread(s) ($cpus CPUs)" );

    my ( $rc0, $split ) = cpmat( "$d/0.pmat", 'dump' );
    my ( $rc1, $one )   = cpmat( "$d/1.pmat", 'dump' );
    is( $rc0, 0, 'the split-walk dump parses' );
    is( $rc1, 0, 'the one-walker (fork-mode) dump parses' );
    my $by_addr = sub {
        my ( %h, $dup );
        for ( split /\n/, $_[0] ) { next unless /^SV (0x[0-9a-f]+) /; $dup++ if exists $h{$1}; $h{$1} = $_ }
        return ( \%h, $dup // 0 );
    };
    my ( $A, $dupA ) = $by_addr->( $split );
    my ( $B ) = $by_addr->( $one );
    is( $dupA, 0, 'no SV record twice in the split-walk dump' );
    cmp_ok( scalar keys %$A, '>', 180_000, scalar( keys %$A ) . ' SVs' );
    is_deeply( [ sort keys %$A ], [ sort keys %$B ], 'the same SVs at the same addresses' );
    # What the fork itself changes: the loop's counter, the path strings
    # (0.pmat, 1.pmat), @r, @w and the pad that holds them.
    my @diff = grep { $A->{$_} ne ( $B->{$_} // '' ) } sort keys %$A;
    cmp_ok( scalar @diff, '<=', 12, scalar( @diff ) . ' SV records differ (at most a dozen)' )
        or diag( join "\n", map { substr( "- $A->{$_}", 0, 200 ) . "\n" . substr( "+ $B->{$_}", 0, 200 ) } @diff[ 0 .. 5 ] );
    my @magic = ( [ grep { /^MAGIC/ } split /\n/, $split ], [ grep { /^MAGIC/ } split /\n/, $one ] );
    is_deeply( [ sort @{ $magic[0] } ], [ sort @{ $magic[1] } ], 'the same MAGIC records' );

    # The records larger than a walker's buffer, whole.
    my @big = grep { /^SV 0x\S+ SCALAR .* pvlen=3145728 / } values %$A;
    ok( @big && !grep( { !( /pv="(B+)"/ && length( $1 ) == 3 << 20 ) } @big ), 'the 3 MiB string, all of it' );
    my %big_addr = map { /^SV (0x[0-9a-f]+)/ ? ( $1 => 1 ) : () } @big;
    ok( scalar( grep { /^MAGIC (0x[0-9a-f]+) type="g"/ && $big_addr{$1} } @{ $magic[0] } ), '... and its pos() MAGIC record' );
    my ( $hash ) = grep { /^SV 0x\S+ HASH .* n=40000 / } values %$A;
    ok( $hash, 'the hash of 40,000 keys' );
    # (the keys of values={...}; a v0.6 file lists them again in heks={...})
    my ( $values ) = $hash ? $hash =~ /\bvalues=\{([^}]*)\}/ : ();
    my @k = defined $values ? $values =~ /"key(\d+)":0x/g : ();
    is_deeply( [ sort { $a <=> $b } @k ], [ 1 .. 40000 ], '... with all its entries' );
    ok( scalar( grep { /^SV 0x\S+ ARRAY .* n=150000 / } values %$A ), 'the array of 150,000 elements' );
    is_deeply( [ tmps( $d ) ], [], 'no temporary file left' );
};

subtest 'dumpfh() to a pipe: the writers take turns, units stay whole' => sub {
    my $d = fresh_shared_dir();
    dumpfh_ok( $d, q{open my $fh, "| cat > '$d/p.pmat'" or die "cat: $!";},
               q{close $fh or die "cat failed: $?";} );
    check_whole( "$d/p.pmat", 'the piped dump' );
};

subtest 'dumpfh() on a handle part-way into a file: the dump follows its bytes' => sub {
    # The shared writers align their write(2)s to the file's offsets, which
    # here start at an odd one.
    my $d = fresh_shared_dir();
    dumpfh_ok( $d, q{open my $fh, '>', "$d/f.bin" or die "open: $!"; binmode $fh; print $fh "P" x 300_007;},
               q{close $fh or die "close: $!";} );
    open my $in, '<:raw', "$d/f.bin" or die "f.bin: $!";
    my $all = do { local $/; <$in> };
    is( substr( $all, 0, 300_007 ), "P" x 300_007, 'the bytes before the dump are untouched' );
    is( substr( $all, 300_007, 4 ), 'PMAT', 'the dump starts right after them' );
    open my $o, '>:raw', "$d/f.pmat" or die "f.pmat: $!";
    print $o substr( $all, 300_007 );
    close $o or die "f.pmat: $!";
    check_whole( "$d/f.pmat", 'the dump after the prefix' );
};

# Runs $HEAP, then dumpfh() onto the handle $fh that the code OPEN makes
# (with $d the directory), closed by the code CLOSE; checks that the program
# exited 0, said nothing on STDERR, and that dumpfh returned true after a
# walk by the expected number of threads.
sub dumpfh_ok
{
    my ( $d, $open, $close ) = @_;
    my $prog = $HEAP . join "\n", 'my $d = shift; $| = 1;', $open,
        'my $ok = Devel::MAT::Dumper::dumpfh( $fh );', $close,
        'print "dumpfh: $ok; walkers ", Devel::MAT::Dumper::_last_walkers(), "\n";', '';
    my ( $st, $out, $err ) = run_perl( { dir => $d, timeout => 60 }, '-MDevel::MAT::Dumper', '-e', $prog, $d );
    is( $st, 0, 'exit 0' );
    is( $err, '', 'nothing on STDERR' );
    is( $out, "dumpfh: 1; walkers $walkers\n", "dumpfh returned 1, walked with $walkers thread(s)" );
}

# FILE (a dump of $HEAP) parses, has no SV twice, and holds the 3 MiB
# string whole.
sub check_whole
{
    my ( $file, $what ) = @_;
    my ( $rc, $dump ) = cpmat( $file, 'dump' );
    is( $rc, 0, "$what parses" );
    my @lines = split /\n/, $dump;
    my @sv = map { /^SV (0x[0-9a-f]+) / ? $1 : () } @lines;
    my %seen;
    is( scalar( grep { $seen{$_}++ } @sv ), 0, 'no SV record twice' );
    cmp_ok( scalar @sv, '>', 180_000, scalar( @sv ) . ' SVs' );
    # (Line by line: one regex over the whole 77 MB text backtracks for minutes.)
    my @big = map { /^SV 0x\S+ SCALAR .* pvlen=3145728 pv="(B*)"/ ? $1 : () } @lines;
    ok( @big && !grep( { length != 3 << 20 } @big ), 'the 3 MiB string, whole' );
}

subtest 'a write failing part-way stops both walkers' => sub {
    my $d = fresh_shared_dir();
    # RLIMIT_FSIZE of 4 MiB: write(2) fails with EFBIG once both walkers are
    # well under way (the file would be about 12 MB).
    my ( $st, $out, $err ) = run_perl( { dir => $d, timeout => 60, prelude => 'ulimit -S -f 4096' },
        '-MDevel::MAT::Dumper', '-e', $HEAP . <<'E', $d );
my $d = shift; $| = 1;
$SIG{XFSZ} = 'IGNORE';
for my $i ( 1 .. 3 ) {
    print "dump $i: ", ( eval { Devel::MAT::Dumper::dump( "$d/x.pmat" ) } ? "no error\n" : $@ );
}
print "walkers ", Devel::MAT::Dumper::_last_walkers(), "\n";
open my $null, '>', '/dev/null' or die;
print "to /dev/null: ", Devel::MAT::Dumper::dumpfh( $null ), "\n";
E
    is( $st, 0, 'exit 0: the program carried on' );
    my @lines = split /\n/, $out // '';
    is( scalar @lines, 5, 'five lines of output' ) or diag( $out );
    like( $lines[ $_ - 1 ] // '', qr/^dump $_: Cannot write heap dump to \Q$d\E\/x\.pmat - writing \Q$d\E\/\.x\.pmat\.tmp-\d+-\d+ failed: File too large \(removed\) at -e line \d+\.$/,
          "dump $_ failed with EFBIG, its temporary file removed" ) for 1 .. 3;
    is( $lines[3], "walkers $walkers", "with $walkers walker(s)" );
    is( $lines[4], 'to /dev/null: 1', 'a later dump works' );
    is( $err, '', 'nothing on STDERR' );
    is_deeply( [ dir_entries( $d ) ], [], 'no dump, no temporary file left' );
};

subtest 'no thread can be started: one walker, a complete file, no noise' => sub {
    my $prelude = nproc_one_prelude()
        or plan skip_all => 'needs root with setpriv and prlimit (RLIMIT_NPROC does not bind root)';
    my $d = fresh_shared_dir();
    # RLIMIT_NPROC counts threads too: at 1, pthread_create fails (EAGAIN).
    my ( $st, $out, $err ) = run_perl( { dir => $d, timeout => 60, prelude => $prelude },
        '-MDevel::MAT::Dumper', '-e', $HEAP . <<'E', $d );
my $d = shift; $| = 1;
print "fork: ", ( defined( my $p = fork ) ? "works" : "fails" ), "\n";
POSIX::_exit( 0 ) if defined $p && !$p;
print "dump: ", Devel::MAT::Dumper::dump( "$d/n.pmat" ), "; walkers ", Devel::MAT::Dumper::_last_walkers(), "\n";
E
    plan skip_all => 'new processes still start under prlimit --nproc=1 here (other processes of uid 65534?)'
        if $out =~ /fork: works/;
    is( $st, 0, 'exit 0' );
    is( $out, "fork: fails\ndump: 1; walkers 1\n", 'no helper could start: dump() walked alone and returned 1' );
    is( $err, '', 'nothing on STDERR' );
    my ( $rc, $info ) = cpmat( "$d/n.pmat", 'info' );
    is( $rc, 0, 'the file parses' );
    like( $info, qr/^svs (\d+)/m, 'it has its SVs' );
    cmp_ok( ( $info =~ /^svs (\d+)/m )[0] // 0, '>', 180_000, 'all of them' );
};

done_testing;
