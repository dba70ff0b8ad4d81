#!/usr/bin/perl
# Triggers at the edges of a program's life: under the debugger, and from
# the last END block into global destruction.
use strict;
use warnings;
use Test::More;
use File::Temp qw( tempdir );
use lib 't/fixtures';
use TriggerHelp;

# A DB::sub that passes each call on with `goto $DB::sub`, as t/op/lexsub.t
# of perl's own suite has it: for a named sub $DB::sub is its name, so the
# goto looks for a label of that name and dies.  Our END dump and signal
# handler must not be routed through it.
subtest 'perl -d with a DB::sub that cannot pass named calls on' => sub {
    my $d = tempdir( CLEANUP => 1 );
    my $prog = 'sub DB::sub { goto $DB::sub } my $f = sub { print "ran\n" }; $f->(); kill QUIT => $$; $f->();';
    local $ENV{PERL5DB} = 'sub DB::DB {}';
    my ( $want, $want_out ) = run_perl( { dir => $d }, '-d', '-e', $prog =~ s/kill QUIT => \$\$;//r );
    is( $want, 0, 'without the dumper: exit 0' );
    my ( $st, $out, $err ) = run_perl( { dir => $d },
        "-MDevel::MAT::Dumper=-dump_at_END,-dump_at_SIGQUIT,-file,$d/db-NNN.pmat", '-d', '-e', $prog );
    is( $st, $want, 'with it: the same exit status' );
    is( $out, "ran\nran\n", 'the program ran' );
    unlike( $err, qr/Can't find label/, 'no call of ours went through DB::sub' );
    like( $err, qr/^Dumping to \Q$d\E\/db-0\.pmat because of SIGQUIT$/m, 'SIGQUIT dumped' );
    like( $err, qr/^Dumping to \Q$d\E\/db-1\.pmat because of END$/m, 'END dumped' );
    ok( cpmat_ok( "$d/db-$_.pmat" ), "db-$_.pmat reads" ) for 0, 1;
};

# A debugger that traces every statement (a watchpoint does that, and a
# session driven by scripted commands then waits at a prompt in our END
# block: perl's own lib/perl5db.t hung so).  Our file is compiled without
# the statement hooks, so DB::DB is never called in it.
subtest 'perl -d tracing every statement never stops in our code' => sub {
    my $d = tempdir( CLEANUP => 1 );
    my $log = "$d/steps";
    local $ENV{PERL5DB} = "BEGIN { \$DB::trace = 1 } sub DB::DB { my \@c = caller; open my \$fh, '>>', '$log' or die; print \$fh \"\$c[1]\\n\" }";
    my ( $st, $out, $err ) = run_perl( { dir => $d },
        "-MDevel::MAT::Dumper=-dump_at_END,-dump_at_SIGQUIT,-file,$d/t-NNN.pmat", '-d', '-e',
        'my $x = 1; kill QUIT => $$; $x++; print "ran $x\n"' );
    is( $st, 0, 'exit 0' );
    is( $out, "ran 2\n", 'the program ran' );
    open my $fh, '<', $log or die "$log: $!";
    my @files = <$fh>;
    ok( scalar( grep { /^-e$/ } @files ), 'the debugger traced the program (' . @files . ' statements)' );
    # (the -M load runs two of the module's statements before the program)
    shift @files while @files && $files[0] ne "-e\n";
    is_deeply( [ grep { m{Devel/MAT/Dumper\.pm} } @files ], [], 'and not one statement of ours after the program started' );
    like( $err, qr/^Dumping to \Q$d\E\/t-1\.pmat because of END$/m, 'END dumped' );
    ok( cpmat_ok("$d/t-$_.pmat"), "t-$_.pmat reads" ) for 0, 1;
};

# perl drops a code handler in %SIG during global destruction, and a
# SIGQUIT then takes the default action: a core dump.  Ours is turned into
# SIG_IGN by our last END block instead.
my $destruct = <<'E';
package Noisy;
sub DESTROY { kill QUIT => $$ for 1 .. 5; select undef, undef, undef, 0.2; print "destroyed\n" }
package main;
our $obj = bless {}, 'Noisy';
E

subtest 'a burst of SIGQUITs during global destruction' => sub {
    my $d = tempdir( CLEANUP => 1 );
    my ( $st, $out, $err ) = run_perl( { dir => $d },
        "-MDevel::MAT::Dumper=-dump_at_SIGQUIT,-file,$d/q-NNN.pmat", '-e',
        'kill QUIT => $$; select undef, undef, undef, 0.05;' . $destruct );
    is( $st, 0, 'exit 0, no core' );
    is( $out, "destroyed\n", 'global destruction ran to its end' );
    is_deeply( [ grep { /\.pmat$/ } dir_entries( $d ) ], [ 'q-0.pmat' ],
        'the SIGQUIT before the end dumped; those in global destruction did not' );
    ok( cpmat_ok( "$d/q-0.pmat" ), 'and it reads' );
};

subtest 'a burst of SIGQUITs in an END block, with -dump_at_END too' => sub {
    my $d = tempdir( CLEANUP => 1 );
    # SIGQUIT armed before END: our one END block still dumps first and
    # ignores SIGQUIT only after.
    my ( $st, $out, $err ) = run_perl( { dir => $d },
        "-MDevel::MAT::Dumper=-dump_at_SIGQUIT,-dump_at_END,-file,$d/e-NNN.pmat", '-e',
        'END { kill QUIT => $$ for 1 .. 3; select undef, undef, undef, 0.05; print "end ran\n" }' . $destruct );
    is( $st, 0, 'exit 0' );
    is( $out, "end ran\ndestroyed\n", 'the END block and global destruction ran' );
    my @reasons = $err =~ /^Dumping to \S+ because of (\w+)$/mg;
    is( $reasons[-1], 'END', 'the END dump came after those of the END block' );
    cmp_ok( scalar( grep { $_ eq 'SIGQUIT' } @reasons ), '>=', 1, 'SIGQUIT dumped in the END block' );
    ok( cpmat_ok( "$d/e-$_.pmat" ), "e-$_.pmat reads" ) for 0 .. $#reasons;
};

subtest 'a QUIT handler the program installed itself is left alone' => sub {
    my $d = tempdir( CLEANUP => 1 );
    my ( $st, $out ) = run_perl( { dir => $d },
        "-MDevel::MAT::Dumper=-dump_at_SIGQUIT,-file,$d/m-NNN.pmat", '-e', <<'E' );
$SIG{QUIT} = 'DEFAULT';
package Look;
sub DESTROY { print "QUIT is $SIG{QUIT}\n" }
package main;
our $obj = bless {}, 'Look';
E
    is( $st, 0, 'exit 0' );
    is( $out, "QUIT is DEFAULT\n", 'still DEFAULT in global destruction' );
};

done_testing;
