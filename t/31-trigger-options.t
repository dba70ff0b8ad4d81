# One test per import option, each in its own perl process.
use strict;
use warnings;
use Test::More;
use File::Temp qw( tempdir );
use POSIX ();
use Config;
use lib 't/fixtures';
use TriggerHelp;

my %signo;
@signo{ split ' ', $Config{sig_name} } = split ' ', $Config{sig_num};

sub fresh_dir { tempdir( CLEANUP => 1 ) }

subtest '-dump_at_SIGQUIT: dumps and carries on, again and again' => sub {
    my $d = fresh_dir();
    my ( $st, $out, $err ) = run_perl( { dir => $d },
        "-MDevel::MAT::Dumper=-dump_at_SIGQUIT,-file,$d/q-NNN.pmat", '-e', <<'E' );
for my $i ( 1 .. 3 ) { kill QUIT => $$; print "after $i\n" }
print "done\n";
E
    is( $st, 0, 'exit 0' );
    is( $out, "after 1\nafter 2\nafter 3\ndone\n", 'the program ran on after each signal' );
    is( () = $err =~ /^Dumping to \Q$d\E\/q-\d\.pmat because of SIGQUIT$/mg, 3, 'three dumps announced' );
    ok( cpmat_ok( "$d/q-$_.pmat" ), "q-$_.pmat parses" ) for 0 .. 2;
};

for my $sig (qw( USR1 INT TERM )) {
    subtest "-dump_at_SIG$sig: dump, then the default action (re-raised)" => sub {
        my $d = fresh_dir();
        my ( $st, $out, $err ) = run_perl( { dir => $d },
            "-MDevel::MAT::Dumper=-dump_at_SIG$sig,-file,$d/s.pmat", '-e',
            qq{\$| = 1; print "before\\n"; kill $sig => \$\$; sleep 2; print "not reached\\n"; exit 0} );
        ok( defined $st && POSIX::WIFSIGNALED( $st ), 'the process was ended by a signal' );
        is( defined $st && POSIX::WIFSIGNALED( $st ) && POSIX::WTERMSIG( $st ), $signo{$sig}, "... by SIG$sig" );
        is( $out, "before\n", 'nothing ran after the signal' );
        like( $err, qr/^Dumping to \Q$d\E\/s\.pmat because of SIG$sig$/m, 'dump announced' );
        ok( cpmat_ok( "$d/s.pmat" ), 'the dump parses' );
    };
}

subtest '-dump_at_SIGABRT: an immediate handler, dumping from inside XS' => sub {
    my $d = fresh_dir();
    # POSIX::abort is XS: the signal arrives inside C, not between ops.
    my ( $st, $out, $err ) = run_perl( { dir => $d, prelude => 'ulimit -c 0' },
        '-MPOSIX', "-MDevel::MAT::Dumper=-dump_at_SIGABRT,-file,$d/a-NNN.pmat", '-e',
        q{our $marker = "abort-marker"; $| = 1; print "before\n"; POSIX::abort(); print "not reached\n"} );
    is( defined $st && POSIX::WIFSIGNALED( $st ) && POSIX::WTERMSIG( $st ), $signo{ABRT}, 'ended by SIGABRT' );
    is( $out, "before\n", 'nothing ran after abort()' );
    like( $err, qr/^Dumping to \Q$d\E\/a-0\.pmat because of SIGABRT$/m, 'dump announced' );
    ok( cpmat_ok( "$d/a-0.pmat" ), 'the dump parses' );
    my ( undef, $dump ) = cpmat( "$d/a-0.pmat", 'dump' );
    like( $dump, qr/pv="abort-marker"/, 'it holds the program\'s data' );
    is_deeply( [ grep { /tmp-/ } dir_entries( $d ) ], [], 'no temporary file left' );

    # kill -ABRT while perl is deep inside C that never reaches the next op
    # (a regex backtracking for hours): a deferred handler would never run.
    my $pid = spawn( { out => "$d/out", err => "$d/err", prelude => 'ulimit -c 0' },
        "-MDevel::MAT::Dumper=-dump_at_SIGABRT,-file,$d/stuck.pmat", '-e',
        q{sub stuck { open my $fh, '>', shift; close $fh; ( "a" x 40 ) =~ /^(a+)+\\1b/ } stuck( shift )}, "$d/started" );
    ok( wait_for( sub { -e "$d/started" }, 10 ), 'the program is inside the regex' );
    select undef, undef, undef, 0.2;
    kill ABRT => $pid;
    # The regex engine keeps raw backtracking slots on the save stack
    # (SAVEt_REGCONTEXT); the save-stack walk must step over them.
    my $st2 = reap( $pid, 10 );
    is( defined $st2 && POSIX::WIFSIGNALED( $st2 ) && POSIX::WTERMSIG( $st2 ), $signo{ABRT},
        'kill -ABRT ended it at once, by SIGABRT' );
    ok( cpmat_ok( "$d/stuck.pmat" ), 'after a dump taken inside the regex engine, which parses' );
    my ( undef, $stuck ) = cpmat( "$d/stuck.pmat", 'dump' );
    like( $stuck, qr/^CTX 0 SUB .*file="-e"/m, 'it shows the program inside stuck()' );
};

subtest 'unknown signal names and uncatchable signals die at import' => sub {
    my $d = fresh_dir();
    my ( $st, $out, $err ) = run_perl( { dir => $d }, '-MDevel::MAT::Dumper=-dump_at_SIGFOO', '-e', 'print "ran\n"' );
    isnt( $st, 0, 'SIGFOO: non-zero exit' );
    is( $out, '', '... before the program ran' );
    like( $err, qr/^Unrecognised signal name SIGFOO in Devel::MAT::Dumper option -dump_at_SIGFOO$/m, '... with a clear message' );
    ( $st, $out, $err ) = run_perl( { dir => $d }, '-MDevel::MAT::Dumper=-dump_at_SIGKILL', '-e', 'print "ran\n"' );
    isnt( $st, 0, 'SIGKILL: non-zero exit' );
    like( $err, qr/SIGKILL cannot be caught/, '... it cannot be caught' );
};

subtest 'unknown option dies at compile time' => sub {
    my $d = fresh_dir();
    my ( $st, $out, $err ) = run_perl( { dir => $d }, '-MDevel::MAT::Dumper=-xyz', '-e', 'print "ran\n"' );
    isnt( $st, 0, 'non-zero exit' );
    is( $out, '', 'the program did not run' );
    like( $err, qr/^Unrecognised Devel::MAT::Dumper import symbol -xyz$/m, 'the message' );
    ( $st, $out, $err ) = run_perl( { dir => $d }, '-e',
        'use Devel::MAT::Dumper qw( -dump_at_END -frobnicate ); print "ran\n"' );
    like( $err, qr/^Unrecognised Devel::MAT::Dumper import symbol -frobnicate$/m, 'the same on the use line' );
    is( $out, '', 'the program did not run' );
    is_deeply( [ grep { /pmat/ } dir_entries( $d ) ], [], 'and -dump_at_END before it was never armed' );
};

subtest '-dump_at_DIE: only a die that ends the program; the die goes on' => sub {
    my $d = fresh_dir();
    my ( $st, $out, $err ) = run_perl( { dir => $d },
        "-MDevel::MAT::Dumper=-dump_at_DIE,-file,$d/d-NNN.pmat", '-e', <<'E' );
$| = 1;
eval { die "caught\n" };
print "eval: $@";
eval q{ die "caught in string eval\n" };
print "string eval: $@";
sub deep { die "fatal error\n" }
deep();
E
    is( $out, "eval: caught\nstring eval: caught in string eval\n", 'dies inside eval are caught as usual' );
    is( $st >> 8, 255, 'the fatal die still ends the program with status 255' );
    my @said = $err =~ /^Dumping to (\S+) because of DIE$/mg;
    is_deeply( \@said, ["$d/d-0.pmat"], 'exactly one dump: the dies inside eval made none' );
    like( $err, qr/because of DIE\n(?s:.*)^fatal error$/m, 'the die message is printed after the dump' );
    ok( cpmat_ok( "$d/d-0.pmat" ), 'the dump parses' );
    my ( undef, $dump ) = cpmat( "$d/d-0.pmat", 'dump' );
    like( $dump, qr/^CTX \d+ SUB .*/m, 'it was taken inside deep(): a SUB context' );
    ok( !-e "$d/d-1.pmat", 'no second dump' );
};

subtest '-dump_at_DIE chains to an earlier __DIE__ handler' => sub {
    my $d = fresh_dir();
    my ( $st, $out, $err ) = run_perl( { dir => $d }, '-e', <<"E" );
BEGIN { \$SIG{__DIE__} = sub { print STDERR "earlier handler: \$_[0]" } }
use Devel::MAT::Dumper qw( -dump_at_DIE -file $d/c.pmat );
die "boom\\n";
E
    like( $err, qr/^Dumping to \Q$d\E\/c\.pmat because of DIE\nearlier handler: boom\nboom$/m,
          'dump, then the earlier handler, then the message' );
    is( $st >> 8, 255, 'status 255' );
};

subtest '-dump_at_WARN: a dump per warning, and the warning still printed' => sub {
    my $d = fresh_dir();
    my ( $st, $out, $err ) = run_perl( { dir => $d },
        "-MDevel::MAT::Dumper=-dump_at_WARN,-file,$d/w-NNN.pmat", '-we', <<'E' );
warn "first warning\n";
my $x; my $y = "$x";      # a perl warning: uninitialized
print "done\n";
E
    is( $st, 0, 'exit 0' );
    is( $out, "done\n", 'the program ran on' );
    like( $err, qr/^Dumping to \Q$d\E\/w-0\.pmat because of WARN\nfirst warning\n/m, 'first: dump, then the warning' );
    like( $err, qr/^Dumping to \Q$d\E\/w-1\.pmat because of WARN\nUse of uninitialized value \$x/m, 'perl\'s own warning too' );
    ok( cpmat_ok( "$d/w-$_.pmat" ), "w-$_.pmat parses" ) for 0, 1;

    ( $st, $out, $err ) = run_perl( { dir => $d }, '-e', <<"E" );
BEGIN { \$SIG{__WARN__} = sub { print STDERR "earlier handler: \$_[0]" } }
use Devel::MAT::Dumper qw( -dump_at_WARN -file $d/c.pmat );
warn "hmm\\n";
E
    like( $err, qr/^Dumping to \Q$d\E\/c\.pmat because of WARN\nearlier handler: hmm\n\z/m,
          'an earlier __WARN__ handler gets the warning (and prints it its way)' );
};

subtest '-dump_at_END: just before exit, after every other END block' => sub {
    my $d = fresh_dir();
    my ( $st, $out, $err ) = run_perl( { dir => $d }, '-e', <<"E" );
END { print STDERR "END defined before the import\\n" }
BEGIN { require Devel::MAT::Dumper; Devel::MAT::Dumper->import( '-dump_at_END', -file => '$d/e.pmat' ) }
END { print STDERR "END defined after the import\\n"; \$? = 3 }
our \$final = "final-state";
print "body\\n";
E
    is( $out, "body\n", 'the program ran' );
    is( $st >> 8, 3, 'the exit status set in an END block is kept' );
    is( $err, "END defined after the import\nEND defined before the import\nDumping to $d/e.pmat because of END\n",
        'our END block runs last' );
    ok( cpmat_ok( "$d/e.pmat" ), 'the dump parses' );
    my ( undef, $dump ) = cpmat( "$d/e.pmat", 'dump' );
    like( $dump, qr/pv="final-state"/, 'it shows the final state' );

    ( $st, $out, $err ) = run_perl( { dir => $d }, "-MDevel::MAT::Dumper=-dump_at_END,-dump_at_END,-file,$d/once-NNN.pmat", '-e', 'die "dying\n"' );
    is( () = $err =~ /because of END/g, 1, 'armed twice, dumps once; also after a die' );
};

subtest '-file: NNN, absolute at import, not moved by chdir' => sub {
    my $d = fresh_dir();
    mkdir "$d/start";
    mkdir "$d/elsewhere";
    my ( $st, $out, $err ) = run_perl( { dir => $d, cwd => "$d/start" },
        '-MDevel::MAT::Dumper=-dump_at_SIGQUIT,-file,rel-NNN.pmat', '-e',
        qq{chdir "$d/elsewhere" or die; kill QUIT => \$\$; kill QUIT => \$\$; print "ok\\n"} );
    is( $out, "ok\n", 'the program ran' );
    ok( -f "$d/start/rel-0.pmat" && -f "$d/start/rel-1.pmat", 'files in the directory of the import' );
    is_deeply( [ dir_entries( "$d/elsewhere" ) ], [], 'nothing in the directory chdir went to' );
    like( $err, qr/^Dumping to \Q$d\E\/start\/rel-0\.pmat because of SIGQUIT$/m, 'the message names the absolute path' );

    # Only the file name's NNN count: a directory name that contains NNN
    # (a random temp dir can) is where the files go.
    ( $st, $out, $err ) = run_perl( { dir => $d },
        "-MDevel::MAT::Dumper=-dump_at_SIGQUIT,-file,$d/NNN/x-NNN-NNN.pmat", '-e', 'mkdir shift; kill QUIT => $$', "$d/NNN" );
    ok( -f "$d/NNN/x-0-0.pmat", 'every NNN of the file name is replaced, none of the directory' );
    ok( !-e "$d/0", 'no directory named after the serial' );
};

subtest 'the default file name' => sub {
    my $d = fresh_dir();
    for my $e (qw( -e -E )) {
        my ( $st, $out, $err ) = run_perl( { dir => $d, cwd => $d }, '-MDevel::MAT::Dumper=-dump_at_END', $e, 'chdir "/"' );
        is( $err, "Dumping to $d/perl-e.pmat because of END\n", "$e: perl-e.pmat, absolute" );
        ok( -f "$d/perl-e.pmat" && cpmat_ok( "$d/perl-e.pmat" ), "$e: in the cwd of the import, despite chdir" );
        unlink "$d/perl-e.pmat";
    }
    open my $fh, '>', "$d/myscript.pl" or die;
    print $fh "1;\n";
    close $fh;
    my ( $st, $out, $err ) = run_perl( { dir => $d, cwd => $d }, '-MDevel::MAT::Dumper=-dump_at_END', 'myscript.pl' );
    is( $err, "Dumping to $d/myscript.pl.pmat because of END\n", 'a script: its basename plus .pmat' );
};

subtest '-max_string' => sub {
    my $d = fresh_dir();
    my $prog = q{our $long = "abcdefghij" x 100; kill QUIT => $$};
    my %pv;
    for my $n ( 10, -1 ) {
        run_perl( { dir => $d }, "-MDevel::MAT::Dumper=-dump_at_SIGQUIT,-max_string,$n,-file,$d/m$n.pmat", '-e', $prog );
        my ( undef, $dump ) = cpmat( "$d/m$n.pmat", 'dump' );
        ( $pv{$n} ) = $dump =~ /pvlen=1000 pv="(abcdefghij[a-j]*)"/;
    }
    is( $pv{10}, 'abcdefghij', '-max_string 10: 10 bytes of the 1000-byte string' );
    is( length( $pv{-1} // '' ), 1000, '-max_string -1: the whole string' );
    my ( $st, $out, $err ) = run_perl( { dir => $d }, '-MDevel::MAT::Dumper=-max_string,lots', '-e', '1' );
    like( $err, qr/-max_string needs an integer, not 'lots'/, 'a non-number is refused at import' );
};

subtest '-eager_open: the file exists from import; the first dump uses it' => sub {
    my $d = fresh_dir();
    my ( $st, $out, $err ) = run_perl( { dir => $d },
        "-MDevel::MAT::Dumper=-dump_at_SIGQUIT,-eager_open,-file,$d/g-NNN.pmat", '-e', <<'E', $d );
my $d = shift;
opendir my $dh, $d; print join( ",", sort grep { /tmp-/ } readdir $dh ), "\n";
kill QUIT => $$; kill QUIT => $$;
E
    like( $out, qr/^\.g-0\.pmat\.tmp-\d+-0$/, 'a temporary file was created at import' );
    is_deeply( [ grep { /pmat/ } dir_entries( $d ) ], [ 'g-0.pmat', 'g-1.pmat' ],
               'the first dump went there and was renamed; the second made its own' );
    ok( cpmat_ok( "$d/g-$_.pmat" ), "g-$_.pmat parses" ) for 0, 1;

    ( $st, $out, $err ) = run_perl( { dir => $d }, "-MDevel::MAT::Dumper=-eager_open,-file,$d/missing/x.pmat", '-e', 'print "ran\n"' );
    isnt( $st, 0, 'an eager open that fails dies at import' );
    like( $err, qr/-eager_open: cannot create a temporary file for \Q$d\E\/missing\/x\.pmat: No such file or directory/,
          '... saying why' );

    # What it is for: the program loses the right to write to the directory
    # after the import (drops privileges).  The dump still gets written, into
    # the file opened at import; the rename is what fails, so it stays there.
    my $e = fresh_dir();
    my $drop = lose_write_access( $e );
    SKIP: {
    skip 'root, and cannot become nobody to lose write access', 4 unless $drop;
    ( $st, $out, $err ) = run_perl( { dir => $d }, '-MPOSIX',
        "-MDevel::MAT::Dumper=-dump_at_SIGQUIT,-eager_open,-file,$e/p.pmat", '-e', "$drop; kill QUIT => \$\$; print qq{ok\\n}" );
    chmod 0700, $e;
    is( $out, "ok\n", 'after losing the directory, a dump does not stop the program' );
    my @tmp = grep { /^\.p\.pmat\.tmp-/ } dir_entries( $e );
    is( scalar @tmp, 1, 'the dump is complete in the file opened at import' );
    like( $err, qr/^Devel::MAT::Dumper: no dump because of SIGQUIT: the dump is complete in \Q$e\E\/\.p\.pmat\.tmp-\d+-0 but could not be renamed to \Q$e\E\/p\.pmat: Permission denied$/m,
          '... and the warning says where' );
    ok( @tmp && cpmat_ok( "$e/$tmp[0]" ), '... and it parses' );
    }
};

done_testing;
