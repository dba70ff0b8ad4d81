# Dumps are written safely: under a temporary name (O_EXCL, 0600, no
# symlinks followed), renamed when complete, removed when not; a failure is
# one line on STDERR and the program carries on; bursts of signals coalesce.
use strict;
use warnings;
use Test::More;
use File::Temp qw( tempdir );
use Time::HiRes ();
use POSIX ();
use lib 't/fixtures';
use TriggerHelp;

sub fresh_dir { tempdir( CLEANUP => 1 ) }

subtest 'dump() returns true; dumpfh on /dev/full dies, the program goes on' => sub {
    my $d = fresh_dir();
    my ( $st, $out, $err ) = run_perl( { dir => $d }, '-MDevel::MAT::Dumper', '-e', <<'E', $d );
my $d = shift;
print "dump returned ", Devel::MAT::Dumper::dump( "$d/ok.pmat" ), "\n";
open my $fh, '>', '/dev/full' or die;
print "dumpfh: ", ( eval { Devel::MAT::Dumper::dumpfh( $fh ); 1 } ? "no error\n" : $@ );
print "alive\n";
E
    is( $st, 0, 'exit 0' );
    like( $out, qr/^dump returned 1$/m, 'dump() returns 1 on success' );
    like( $out, qr/^dumpfh: Cannot write heap dump - No space left on device at /m, 'dumpfh to /dev/full dies with ENOSPC' );
    like( $out, qr/^alive$/m, 'the program carried on' );
    ok( cpmat_ok( "$d/ok.pmat" ), 'the good dump parses' );
};

subtest 'a directory that is missing, or goes away: warn once, carry on, dump again later' => sub {
    my $d = fresh_dir();
    mkdir "$d/out";
    my ( $st, $out, $err ) = run_perl( { dir => $d },
        "-MDevel::MAT::Dumper=-dump_at_SIGQUIT,-file,$d/out/x-NNN.pmat", '-e', <<'E', $d );
my $d = shift; $| = 1;
rmdir "$d/out" or die "rmdir: $!";
kill QUIT => $$;
print "after the failed dump\n";
mkdir "$d/out" or die;
kill QUIT => $$;
print "after the second dump\n";
print "direct: ", ( eval { Devel::MAT::Dumper::dump( "$d/gone/y.pmat" ) } ? "no error\n" : $@ );
E
    is( $st, 0, 'exit 0' );
    is( $out, "after the failed dump\nafter the second dump\n"
            . "direct: Cannot write heap dump to $d/gone/y.pmat - cannot create a temporary file: No such file or directory at -e line 8.\n",
        'the program carried on; dump() called directly died with the documented message' );
    my @warn = grep { /^Devel::MAT::Dumper:/ } split /\n/, $err;
    is_deeply( \@warn, [ "Devel::MAT::Dumper: no dump because of SIGQUIT: cannot create a temporary file for $d/out/x-0.pmat: No such file or directory" ],
               'exactly one warning line for the failed dump' );
    ok( !-e "$d/out/x-0.pmat", 'no x-0.pmat (its number is used up)' );
    ok( cpmat_ok( "$d/out/x-1.pmat" ), 'the next signal dumped again: x-1.pmat' );
    is_deeply( [ tmps( "$d/out" ) ], [], 'no temporary file left' );
};

subtest 'running out of space mid-write: the partial file is removed' => sub {
    my $d = fresh_dir();
    # RLIMIT_FSIZE makes write(2) fail (EFBIG) part-way, as a full disk would.
    my ( $st, $out, $err ) = run_perl( { dir => $d, prelude => 'ulimit -S -f 64' },
        "-MDevel::MAT::Dumper=-dump_at_SIGQUIT,-file,$d/big-NNN.pmat", '-e', <<'E', $d );
my $d = shift; $| = 1;
$SIG{XFSZ} = 'IGNORE';
kill QUIT => $$;
print "after the trigger\n";
print "direct: ", ( eval { Devel::MAT::Dumper::dump( "$d/direct.pmat" ) } ? "no error\n" : $@ );
kill QUIT => $$;
print "alive\n";
E
    is( $st, 0, 'exit 0' );
    like( $out, qr/\Aafter the trigger\ndirect: Cannot write heap dump to \Q$d\E\/direct\.pmat - writing \Q$d\E\/\.direct\.pmat\.tmp-\d+-\d+ failed: File too large \(removed\) at -e line 5\.\nalive\n\z/,
          'the program carried on; dump() died saying what happened' );
    my @warn = grep { /^Devel::MAT::Dumper:/ } split /\n/, $err;
    is( scalar @warn, 2, 'one warning per failed dump' );
    like( $warn[0] // '', qr/^Devel::MAT::Dumper: no dump because of SIGQUIT: writing \Q$d\E\/\.big-0\.pmat\.tmp-\d+-\d+ failed: File too large \(removed\)$/,
          '... naming the temporary file and the error' );
    is_deeply( [ dir_entries( $d ) ], [], 'no dump, no temporary file left' );
};

subtest 'an unwritable directory' => sub {
    my $d = fresh_dir();
    chmod 0755, $d;
    my $lose = lose_write_access( $d )
        or plan skip_all => 'root, and cannot become nobody to lose write access';
    my ( $st, $out, $err ) = run_perl( { dir => fresh_dir() }, '-MPOSIX',
        "-MDevel::MAT::Dumper=-dump_at_SIGQUIT,-file,$d/u.pmat", '-e', $lose . '; kill QUIT => $$; print "alive\n"' );
    chmod 0700, $d;
    is( $st, 0, 'exit 0' );
    is( $out, "alive\n", 'the program carried on' );
    like( $err, qr/^Devel::MAT::Dumper: no dump because of SIGQUIT: cannot create a temporary file for \Q$d\E\/u\.pmat: Permission denied$/m,
          'one warning: permission denied' );
    is_deeply( [ dir_entries( $d ) ], [], 'nothing written' );
};

subtest 'a symlink planted at the temporary name is not followed' => sub {
    my $d = fresh_dir();
    my ( $st, $out, $err ) = run_perl( { dir => $d }, '-MDevel::MAT::Dumper', '-e', <<'E', $d );
my $d = shift;
open my $fh, '>', "$d/victim" or die; print $fh "precious\n"; close $fh;
# The names this process would try first: one pointing at a file, one
# dangling (O_CREAT alone would create its target).
symlink "$d/victim", "$d/.t.pmat.tmp-$$-0" or die;
symlink "$d/created", "$d/.t.pmat.tmp-$$-1" or die;
print Devel::MAT::Dumper::dump( "$d/t.pmat" ) ? "dumped\n" : "failed\n";
E
    is( $out, "dumped\n", 'the dump went ahead under another name' );
    is( slurp( "$d/victim" ), "precious\n", 'the symlink target is untouched' );
    ok( !-e "$d/created" && !-l "$d/created", 'the dangling symlink created nothing' );
    my @left = tmps( $d );
    is( scalar @left, 2, 'only the two planted names are left' );
    ok( -l "$d/$_", "$_ is still a link" ) for @left;
    ok( -f "$d/t.pmat" && !-l "$d/t.pmat", 't.pmat is a regular file' );
    is( ( lstat "$d/t.pmat" )[2] & 07777, 0600, '... mode 0600' );
    ok( cpmat_ok( "$d/t.pmat" ), '... and parses' );
};

subtest 'a symlink at the final name is replaced, never written through' => sub {
    my $d = fresh_dir();
    open my $fh, '>', "$d/victim" or die;
    print $fh "precious\n";
    close $fh;
    symlink "$d/victim", "$d/f.pmat" or die;
    my ( $st, $out, $err ) = run_perl( { dir => $d },
        "-MDevel::MAT::Dumper=-dump_at_SIGQUIT,-file,$d/f.pmat", '-e', 'kill QUIT => $$; print "alive\n"' );
    is( $out, "alive\n", 'the program carried on' );
    is( slurp( "$d/victim" ), "precious\n", 'the symlink target is untouched' );
    ok( -f "$d/f.pmat" && !-l "$d/f.pmat", 'f.pmat is now a regular file (the link itself was replaced)' );
    is( ( lstat "$d/f.pmat" )[2] & 07777, 0600, '... mode 0600' );
    ok( cpmat_ok( "$d/f.pmat" ), '... and parses' );
};

subtest 'a directory at the final name: the rename fails, the temporary is removed' => sub {
    my $d = fresh_dir();
    mkdir "$d/dir.pmat";
    open my $fh, '>', "$d/dir.pmat/keep" or die;
    close $fh;
    my ( $st, $out, $err ) = run_perl( { dir => fresh_dir() },
        "-MDevel::MAT::Dumper=-dump_at_SIGQUIT,-file,$d/dir.pmat", '-e', 'kill QUIT => $$; print "alive\n"' );
    is( $out, "alive\n", 'the program carried on' );
    like( $err, qr/^Devel::MAT::Dumper: no dump because of SIGQUIT: cannot rename \Q$d\E\/\.dir\.pmat\.tmp-\d+-0 to \Q$d\E\/dir\.pmat: .* \(removed\)$/m,
          'one warning naming both files' );
    is_deeply( [ dir_entries( $d ) ], ['dir.pmat'], 'no temporary file left' );
    ok( -e "$d/dir.pmat/keep", 'the directory is as it was' );
};

subtest 'STDERR is a pipe nobody reads: no SIGPIPE death' => sub {
    my $d = fresh_dir();
    my ( $st, $out, $err ) = run_perl( { dir => $d },
        "-MDevel::MAT::Dumper=-dump_at_SIGQUIT,-file,$d/p.pmat", '-e', <<'E' );
$| = 1;
pipe my $r, my $w or die; close $r;
open STDERR, '>&', $w or die;
kill QUIT => $$;
print "alive\n";
E
    is( $st, 0, 'exit 0' );
    is( $out, "alive\n", 'the program carried on' );
    ok( cpmat_ok( "$d/p.pmat" ), 'and the dump was written' );
};

# A dump that is held up: dumpfh() into a FIFO the test does not read yet
# blocks in write(2) with the dump half done; signals are sent then.
sub held_dump
{
    my ( $d, $opts, $after ) = @_;
    POSIX::mkfifo( "$d/fifo", 0600 ) or die "mkfifo: $!";
    my $pid = spawn( { out => "$d/out", err => "$d/err", prelude => 'ulimit -c 0' },
        "-MDevel::MAT::Dumper=$opts", '-e', <<'E', $d );
my $d = shift; $| = 1;
open my $fh, '>', "$d/fifo" or die "fifo: $!";
Devel::MAT::Dumper::dumpfh( $fh );
close $fh;
print "dumpfh returned\n";
E
    open my $r, '<', "$d/fifo" or die "fifo: $!";
    my $rin = '';
    vec( $rin, fileno $r, 1 ) = 1;
    ok( select( my $rout = $rin, undef, undef, 10 ), 'the dump has started writing' );
    Time::HiRes::sleep( 0.3 );       # and filled the pipe: it is blocked now
    $after->( $pid );
    my $bytes = 0;
    while ( 1 ) {
        my $got = sysread $r, my $buf, 65536;
        last unless $got;
        $bytes += $got;
    }
    return ( $pid, $bytes );
}

subtest 'SIGQUITs during a dump wait for it to finish' => sub {
    my $d = fresh_dir();
    my ( $pid, $bytes ) = held_dump( $d, "-dump_at_SIGQUIT,-file,$d/q-NNN.pmat", sub {
        my ( $pid ) = @_;
        kill QUIT => $pid for 1 .. 5;
        Time::HiRes::sleep( 0.5 );
        is_deeply( [ grep { /pmat/ } dir_entries( $d ) ], [], 'no dump starts while one is being written' );
    } );
    is( reap( $pid, 20 ), 0, 'exit 0' );
    cmp_ok( $bytes, '>', 100_000, 'the held dump was written whole meanwhile' );
    is( slurp( "$d/out" ), "dumpfh returned\n", 'dumpfh finished (the signals did not cut it short)' );
    is_deeply( [ grep { /pmat/ } dir_entries( $d ) ], ['q-0.pmat'], 'then the 5 signals made one dump' );
    ok( cpmat_ok( "$d/q-0.pmat" ), '... which parses' );
};

subtest 'SIGABRT (immediate) during a dump: skipped, not nested, then re-raised' => sub {
    my $d = fresh_dir();
    my ( $pid ) = held_dump( $d, "-dump_at_SIGABRT,-file,$d/a.pmat", sub { kill ABRT => $_[0] } );
    my $st = reap( $pid, 20 );
    ok( defined $st && POSIX::WIFSIGNALED( $st ) && POSIX::WTERMSIG( $st ) == POSIX::SIGABRT(), 'ended by SIGABRT' );
    is( slurp( "$d/err" ), "Devel::MAT::Dumper: not dumping because of SIGABRT: a dump is already being written\n",
        'one line says why there is no dump' );
    is_deeply( [ grep { /pmat/ } dir_entries( $d ) ], [], 'no file' );
};

subtest 'mode 0600 whatever the umask' => sub {
    my $d = fresh_dir();
    run_perl( { dir => $d, umask => 0 }, "-MDevel::MAT::Dumper=-dump_at_SIGQUIT,-file,$d/m.pmat", '-e', 'kill QUIT => $$' );
    is( ( stat "$d/m.pmat" )[2] & 07777, 0600, 'umask 0: still 0600' );
};

sub burst
{
    my ( $gap, $ballast ) = @_;
    my $d = fresh_dir();
    my $pid = spawn( { out => "$d/out", err => "$d/err" },
                     "-MDevel::MAT::Dumper=-dump_at_SIGQUIT,-file,$d/srv-NNN.pmat", 't/fixtures/server.pl', $d, $ballast );
    ok( wait_for( sub { -e "$d/progress" }, 10 ), 'the server started' ) or return;

    my $burst = fork // die;
    if ( !$burst ) {
        # Back to back: a shell loop, as a user would type it; spaced: a
        # perl loop, as sleep(1) costs a fork each.
        if ( !$gap ) {
            exec '/bin/sh', '-c', 'i=0; while [ $i -lt 50 ]; do kill -QUIT $0 || exit 1; i=$((i+1)); done', $pid;
        }
        for ( 1 .. 50 ) {
            kill( QUIT => $pid ) or POSIX::_exit( 1 );
            Time::HiRes::sleep( $gap );
        }
        POSIX::_exit( 0 );
    }
    # Watch the directory meanwhile: a file must be complete the moment it
    # appears, so its size when first seen is its final size.
    my %first_size;
    my $quiet_since = Time::HiRes::time();
    my $end = $quiet_since + 20;
    my $last_sig;
    while ( Time::HiRes::time() < $end ) {
        for my $f ( grep { /^srv-\d+\.pmat$/ } dir_entries( $d ) ) {
            next if exists $first_size{$f};
            $first_size{$f} = -s "$d/$f";
            $quiet_since = Time::HiRes::time();
        }
        if ( !defined $last_sig ) {
            my $got = waitpid $burst, POSIX::WNOHANG();
            $last_sig = $? if $got == $burst;
        }
        # Done once the sender is done and no file appeared for a second.
        last if defined $last_sig && Time::HiRes::time() - $quiet_since > 1;
        Time::HiRes::sleep( 0.005 );
    }
    is( $last_sig, 0, 'the 50 signals were sent' );
    ok( kill( 0, $pid ), 'the server is alive' );
    my $before = slurp( "$d/progress" ) // 0;
    ok( wait_for( sub { ( slurp( "$d/progress" ) // 0 ) > $before }, 5 ), '... and still working' );
    open my $fh, '>', "$d/stop" or die;
    close $fh;
    is( reap( $pid, 20 ), 0, 'it ended normally (exit 0)' );

    my @files = grep { /^srv-\d+\.pmat$/ } dir_entries( $d );
    my $n = @files;
    ok( $n >= 1 && $n <= 50, "$n dump(s): signals arriving during a dump coalesce" );
    is_deeply( [ sort { $a <=> $b } map { /(\d+)/ } @files ], [ 0 .. $n - 1 ], 'numbered 0 .. N-1, no gaps' );
    my @bad = grep { !cpmat_ok( "$d/$_" ) } @files;
    is_deeply( \@bad, [], 'every file parses' );
    my @grew = grep { $first_size{$_} != -s "$d/$_" } keys %first_size;
    is_deeply( \@grew, [], 'no file changed size after it appeared (' . scalar( keys %first_size ) . ' watched)' );
    is_deeply( [ tmps( $d ) ], [], 'no temporary file left' );
    my $err = slurp( "$d/err" ) // '';
    is( () = $err =~ /^Dumping to .* because of SIGQUIT$/mg, $n, 'one announcement per file' );
    unlike( $err, qr/^Devel::MAT::Dumper:/m, 'no failure' );
}

# All 50 at once: they land during the first dump or two and coalesce.
subtest 'a burst of 50 SIGQUITs, back to back' => sub { burst( 0, 0 ) };
# Spaced so that many arrive while a (bigger) dump is being written.
subtest 'a burst of 50 SIGQUITs, 2 ms apart, against dumps of ~60k SVs' => sub { burst( 0.002, 60_000 ) };

done_testing;
