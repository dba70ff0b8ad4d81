# Fork mode (-fork, dump_fork): the file is written by a detached grandchild
# from a copy-on-write snapshot.  Its content matches an in-process dump of
# the same state; no zombie is left and the program's SIGCHLD handler and
# waitpid(-1) never see our children; END blocks run once and the exit
# status is the program's; bursts are safe; a failing fork falls back.
use strict;
use warnings;
use Test::More;
use POSIX ();
use lib 't/fixtures';
use TriggerHelp;


# Perl code for the program under test: wait (bounded) until FILE exists.
my $WAIT = <<'P';
use POSIX ();
use Time::HiRes ();
sub wait_file { my ( $f, $s ) = @_; my $end = time + ( $s // 20 );
    Time::HiRes::sleep( 0.01 ) until -e $f or time > $end; Time::HiRes::sleep( 0.2 ); -e $f }
sub children { my $me = $$; my @c;
    for my $st ( glob '/proc/[0-9]*/stat' ) { open my $fh, '<', $st or next; my $l = <$fh> // next;
        my ( $pid, $state, $ppid ) = $l =~ /^(\d+) \(.*\) (\S) (\d+)/ or next;
        push @c, "$pid:$state" if $ppid == $me }
    @c }
P

subtest 'dump_fork: same content as an in-process dump of the same state' => sub {
    my $d = fresh_shared_dir();
    my ( $st, $out, $err ) = run_perl( { dir => $d }, '-MDevel::MAT::Dumper', '-e', $WAIT . <<'E', $d );
my $d = shift; $| = 1;
our %data = map { ( "key$_" => [ $_, "value-$_", { n => $_ / 3 } ] ) } 1 .. 300;
our $marker = "fork-mode-marker";
my ( $n, @r ) = ( 0, 0, 0 );
# The same statement dumps both ways, so stack and contexts are alike.
for my $f ( \&Devel::MAT::Dumper::dump, \&Devel::MAT::Dumper::dump_fork ) {
    $r[$n] = $f->( "$d/$n.pmat" );
    $n++;
}
print "returned $_\n" for @r;
print wait_file( "$d/1.pmat" ) ? "appeared\n" : "missing\n";
E
    is( $st, 0, 'exit 0' );
    is( $out, "returned 1\nreturned 1\nappeared\n", 'both return 1; the fork-mode file appeared' );
    is( $err, '', 'nothing on STDERR (dump_fork says nothing when it succeeds)' );
    my ( $rc0, $in )   = cpmat( "$d/0.pmat", 'dump' );
    my ( $rc1, $fork ) = cpmat( "$d/1.pmat", 'dump' );
    is( $rc0, 0, 'in-process dump parses' );
    is( $rc1, 0, 'fork-mode dump parses (complete)' );
    # SV records by address.
    my $by_addr = sub { my %h; for ( split /\n/, $_[0] ) { $h{$1} = $_ if /^SV (0x[0-9a-f]+) / } \%h };
    my ( $A, $B ) = ( $by_addr->( $in ), $by_addr->( $fork ) );
    cmp_ok( scalar keys %$A, '>', 5000, scalar( keys %$A ) . ' SVs in the in-process dump' );
    is_deeply( [ sort keys %$B ], [ sort keys %$A ], 'the same SVs at the same addresses' );
    # What the fork itself changes: the loop's counter and code ref, the
    # path string (0.pmat vs 1.pmat), @r and the pad that holds them.
    my @diff = grep { exists $B->{$_} && $A->{$_} ne $B->{$_} } sort keys %$A;
    cmp_ok( scalar @diff, '<=', 12, scalar( @diff ) . ' SV records differ (at most a dozen)' )
        or diag( join "\n", map { "- $A->{$_}\n+ $B->{$_}" } @diff[ 0 .. 5 ] );
    my @other = grep { ( my $x = $A->{$_} ) =~ s{/0\.pmat}{/N.pmat}g; ( my $y = $B->{$_} ) =~ s{/1\.pmat}{/N.pmat}g;
                       $x ne $y && $A->{$_} !~ /^SV 0x[0-9a-f]+ (SCALAR|REF|ARRAY) / } @diff;
    is_deeply( \@other, [], 'besides those only scalars, refs and pads differ' );
    my @b = split /\n/, $fork;
    is( ( grep { /^(ROOT|STACK|CTX|MAGIC)/ } @b ), ( grep { /^(ROOT|STACK|CTX|MAGIC)/ } split /\n/, $in ), 'as many roots, stack entries, contexts and magic records' );
    my %values = map { /pv="value-(\d+)"/ ? ( $1 => 1 ) : () } @b;
    is( scalar keys %values, 300, 'all 300 value strings in the fork-mode dump' );
    ok( scalar( grep { /pv="fork-mode-marker"/ } @b ), 'the marker is there' );
    is_deeply( [ tmps( $d ) ], [], 'no temporary file left' );
};

subtest 'no zombie; SIGCHLD handler and waitpid(-1) never see our children; END once; exit status kept' => sub {
    my $d = fresh_shared_dir();
    my ( $st, $out, $err ) = run_perl( { dir => $d },
        "-MDevel::MAT::Dumper=-fork,-dump_at_SIGQUIT,-file,$d/q-NNN.pmat", '-e', $WAIT . <<'E', $d );
my $d = shift; $| = 1;
my $chld = 0;
$SIG{CHLD} = sub { $chld++ };
END { print "END in $$\n" }
our @stuff = map { [ $_ ] } 1 .. 1000;
$! = 5;
Devel::MAT::Dumper::dump_fork( "$d/direct.pmat" );
print "errno: ", $! + 0, "\n";
kill QUIT => $$;
kill QUIT => $$;
wait_file( "$d/direct.pmat" ) && wait_file( "$d/q-1.pmat" ) or print "files missing\n";
print "children: [@{[ children() ]}]\n";
print "waitpid: ", waitpid( -1, POSIX::WNOHANG() ), "\n";
print "sigchld: $chld\n";
print "main is $$\n";
exit 7;
E
    is( $st >> 8, 7, 'the exit status is the program\'s (7)' );
    my ( $main ) = $out =~ /^main is (\d+)$/m;
    is( $out, "errno: 5\nchildren: []\nwaitpid: -1\nsigchld: 0\nmain is $main\nEND in $main\n",
        '$! kept; no child left (no zombie), waitpid(-1) finds none, the SIGCHLD handler never ran, END ran once in the program' );
    like( $err, qr/^Dumping to \Q$d\E\/q-0\.pmat because of SIGQUIT$/m, 'the child announced q-0.pmat' );
    like( $err, qr/^Dumping to \Q$d\E\/q-1\.pmat because of SIGQUIT$/m, 'and q-1.pmat (serials taken in the parent)' );
    unlike( $err, qr/cannot fork|no dump/, 'no failure' );
    ok( cpmat_ok( "$_" ), "$_ is complete" ) for map { "$d/$_" } qw( direct.pmat q-0.pmat q-1.pmat );
    is( ( stat "$d/q-0.pmat" )[2] & 07777, 0600, 'mode 0600' );
    is_deeply( [ tmps( $d ) ], [], 'no temporary file left' );
};

subtest 'the file appears only when complete; the message comes after it' => sub {
    my $d = fresh_shared_dir();
    my ( $st, $out, $err ) = run_perl( { dir => $d },
        "-MDevel::MAT::Dumper=-fork,-dump_at_SIGUSR1,-file,$d/u.pmat", '-e', $WAIT . <<'E', $d );
my $d = shift; $| = 1;
our @big = map { "string $_" x 3 } 1 .. 50000;
$SIG{ALRM} = 'IGNORE';
kill USR1 => $$;
print "not reached\n";
E
    # The program ends by SIGUSR1 (re-raised); the child goes on.
    ok( POSIX::WIFSIGNALED( $st ) && POSIX::WTERMSIG( $st ) == POSIX::SIGUSR1(), 'the program ended by SIGUSR1, as without us' );
    ok( wait_for( sub { -e "$d/u.pmat" }, 20 ), 'the detached child finished the file after the program ended' );
    ok( cpmat_ok( "$d/u.pmat" ), 'it is complete' );
};

subtest '-fork combines with every trigger' => sub {
    my %prog = (
        END     => [ 'END { print "program END\n" } exit 3;', sub { $_[0] >> 8 == 3 } ],
        DIE     => [ '$! = 7; die "fatal\n";', sub { $_[0] >> 8 == 7 } ],   # die exits with $!: ours must not change errno
        WARN    => [ 'warn "careful\n"; Time::HiRes::sleep( 0.5 );', sub { $_[0] == 0 } ],
        SIGABRT => [ 'kill ABRT => $$; Time::HiRes::sleep( 2 );', sub { POSIX::WIFSIGNALED( $_[0] ) && POSIX::WTERMSIG( $_[0] ) == POSIX::SIGABRT() } ],
        SIGTERM => [ 'kill TERM => $$; Time::HiRes::sleep( 2 );', sub { POSIX::WIFSIGNALED( $_[0] ) && POSIX::WTERMSIG( $_[0] ) == POSIX::SIGTERM() } ],
    );
    for my $t ( sort keys %prog ) {
        my $d = fresh_shared_dir();
        my ( $code, $status_ok ) = @{ $prog{$t} };
        my $err_file = "$d/err.txt";
        my $pid = spawn( { err => $err_file, out => "$d/out.txt" },
            "-MDevel::MAT::Dumper=-fork,-dump_at_$t,-file,$d/t-NNN.pmat", '-e',
            "use POSIX (); use Time::HiRes (); our \@stuff = ( 1 .. 1000 ); $code" );
        my $st = reap( $pid, 20 );
        ok( defined $st && $status_ok->( $st ), "$t: the program ended as it would without us" )
            or diag( "status " . ( $st // 'undef' ) );
        ok( wait_for( sub { -e "$d/t-0.pmat" && ( slurp( $err_file ) // '' ) =~ /^Dumping to/m }, 20 ), "$t: the child wrote t-0.pmat and said so" );
        ok( cpmat_ok( "$d/t-0.pmat" ), "$t: complete" );
        like( slurp( $err_file ), qr/^Dumping to \Q$d\E\/t-0\.pmat because of $t$/m, "$t: the message" );
        is_deeply( [ tmps( $d ) ], [], "$t: no temporary file left" );
    }
};

subtest 'a burst of fork-mode SIGQUITs' => sub {
    my $d = fresh_shared_dir();
    my ( $st, $out, $err ) = run_perl( { dir => $d, timeout => 60 },
        "-MDevel::MAT::Dumper=-fork,-dump_at_SIGQUIT,-file,$d/b-NNN.pmat", '-e', $WAIT . <<'E', $d );
my $d = shift; $| = 1;
our @stuff = map { { n => $_ } } 1 .. 5000;
my $pid = fork // die;
if ( !$pid ) { for ( 1 .. 30 ) { kill QUIT => getppid(); Time::HiRes::sleep( 0.003 ) } POSIX::_exit( 0 ) }
# Busy (signals are handled between ops) until the helper is done.
my ( $spins, $got ) = ( 0, 0 );
$spins++ until ( $got = waitpid( $pid, POSIX::WNOHANG() ) ) != 0;
print "reaped helper: ", ( $got == $pid ? $? : "got $got" ), "\n";
# Wait until every announced file is complete (bounded).
my $end = time + 30;
Time::HiRes::sleep( 0.1 ) while grep( /\.tmp-/, glob "$d/.b-*" ) and time < $end;
Time::HiRes::sleep( 0.3 );
print "children: [@{[ children() ]}]\n";
E
    is( $st, 0, 'exit 0' );
    is( $out, "reaped helper: 0\nchildren: []\n", 'the program reaped its own child normally; nothing of ours left' );
    my @files = grep { /^b-\d+\.pmat$/ } dir_entries( $d );
    my @said  = $err =~ /^Dumping to \Q$d\E\/(b-\d+\.pmat) because of SIGQUIT$/mg;
    cmp_ok( scalar @files, '>=', 2, scalar( @files ) . ' dumps from 30 signals, several under way at once' );
    my %n = map { /(\d+)/ ? ( $1 => 1 ) : () } @files;
    is_deeply( [ sort { $a <=> $b } keys %n ], [ 0 .. $#files ], 'numbered 0 .. N-1, no gap, no name used twice' );
    is_deeply( [ sort @said ], [ sort @files ], 'one message per file, each after it was complete' );
    ok( !grep( { !cpmat_ok( "$d/$_" ) } @files ), 'every file parses' );
    is_deeply( [ tmps( $d ) ], [], 'no temporary file left' );
    unlike( $err, qr/no dump|cannot fork/, 'no failure' );
};

subtest 'failure in the child is reported by the child' => sub {
    my $d = fresh_shared_dir();
    my ( $st, $out, $err ) = run_perl( { dir => $d }, '-MDevel::MAT::Dumper', '-e', $WAIT . <<'E', $d );
my $d = shift; $| = 1;
mkdir "$d/final.pmat" or die;                 # rename onto a non-empty directory fails
open my $fh, '>', "$d/final.pmat/x" or die; close $fh;
print "returned ", Devel::MAT::Dumper::dump_fork( "$d/final.pmat" ), "\n";
Time::HiRes::sleep( 0.05 ) for 1 .. 100;
E
    is( $st, 0, 'exit 0' );
    is( $out, "returned 1\n", 'dump_fork returned once the child started' );
    like( $err, qr/^Devel::MAT::Dumper: no dump because of dump_fork: cannot rename \Q$d\E\/\.final\.pmat\.tmp-\d+-\d+ to \Q$d\E\/final\.pmat: .* \(removed\)$/m,
          'the child reported the failed rename' );
    is_deeply( [ tmps( $d ) ], [], 'its temporary file was removed' );
};

subtest 'fork fails: one warning line, then an in-process dump (test hook)' => sub {
    for my $which ( 1, 2 ) {
        my $d = fresh_shared_dir();
        local $ENV{PMAT_TEST_FAIL_FORK} = $which;
        my ( $st, $out, $err ) = run_perl( { dir => $d },
            "-MDevel::MAT::Dumper=-fork,-dump_at_SIGQUIT,-file,$d/f-NNN.pmat", '-e', <<'E', $d );
my $d = shift; $| = 1;
kill QUIT => $$;
print "after: ", ( -e "$d/f-0.pmat" ? "there" : "missing" ), "\n";
print "dump_fork: ", Devel::MAT::Dumper::dump_fork( "$d/g.pmat" ), ( -e "$d/g.pmat" ? " there" : " missing" ), "\n";
E
        my $what = $which == 1 ? 'first' : 'second';
        is( $st, 0, "$what fork fails: exit 0" );
        is( $out, "after: there\ndump_fork: 1 there\n", 'both dumps were written in-process, before returning' );
        is( $err, "Devel::MAT::Dumper: cannot fork for SIGQUIT (Resource temporarily unavailable): dumping in-process\n"
                . "Dumping to $d/f-0.pmat because of SIGQUIT\n"
                . "Devel::MAT::Dumper: cannot fork for dump_fork (Resource temporarily unavailable): dumping in-process\n",
            'one warning line each, then the usual message' );
        ok( cpmat_ok( "$d/f-0.pmat" ) && cpmat_ok( "$d/g.pmat" ), 'both files complete' );
        is_deeply( [ tmps( $d ) ], [], 'no temporary file left' );
    }
};

subtest 'fork fails for real under a process-count limit' => sub {
    my $prelude = nproc_one_prelude()
        or plan skip_all => 'needs root with setpriv and prlimit (RLIMIT_NPROC does not bind root)';
    my $d = fresh_shared_dir();
    my ( $st, $out, $err ) = run_perl( { dir => $d, prelude => $prelude },
        "-MDevel::MAT::Dumper=-fork,-dump_at_SIGQUIT,-file,$d/l-NNN.pmat", '-e', <<'E', $d );
my $d = shift; $| = 1;
print "fork: ", ( defined( my $p = fork ) ? "works" : "fails" ), "\n";
POSIX::_exit( 0 ) if defined $p && !$p;
kill QUIT => $$;
print "after: ", ( -e "$d/l-0.pmat" ? "there" : "missing" ), "\n";
E
    plan skip_all => 'fork still works under prlimit --nproc=1 here (other processes of uid 65534?)'
        if $out =~ /fork: works/;
    is( $st, 0, 'exit 0' );
    is( $out, "fork: fails\nafter: there\n", 'fork fails in this process; the dump was written in-process' );
    like( $err, qr/^Devel::MAT::Dumper: cannot fork for SIGQUIT \(Resource temporarily unavailable\): dumping in-process\nDumping to \Q$d\E\/l-0\.pmat because of SIGQUIT\n\z/,
          'one warning line, then the usual message' );
    ok( cpmat_ok( "$d/l-0.pmat" ), 'the file is complete' );
};

done_testing;
