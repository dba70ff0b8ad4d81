# The live-server workflow: a script started with
# -MDevel::MAT::Dumper=-dump_at_SIGQUIT,-file,DIR/srv-NNN.pmat keeps working
# while a shell loop sends it SIGQUIT N times, waiting for each file.
use strict;
use warnings;
use Test::More;
use File::Temp qw( tempdir );
use lib 't/fixtures';
use TriggerHelp;
use lib 't/lib';
use ReaderFormat;    # Devel::MAT loads the last snapshot: in the format it reads

my $N   = 5;
my $dir = tempdir( CLEANUP => 1 );

my $pid = spawn( { out => "$dir/out", err => "$dir/err" },
                 "-MDevel::MAT::Dumper=-dump_at_SIGQUIT,-file,$dir/srv-NNN.pmat," . ReaderFormat::opt(),
                 't/fixtures/server.pl', $dir );
ok( wait_for( sub { -e "$dir/progress" }, 10 ), 'the server started working' )
    or BAIL_OUT( 'server did not start: ' . ( slurp( "$dir/err" ) // '' ) );

# The shell loop a user would run (with a short sleep instead of 600), plus
# a bounded wait for each file and a note of the progress the server made.
my $loop = <<'SH';
pid=$1 dir=$2 n=$3
i=0
while [ $i -lt $n ]; do
    sleep 0.2
    kill -QUIT $pid || exit 3
    t=0
    while [ ! -e "$dir/srv-$i.pmat" ]; do
        t=$((t + 1)); [ $t -gt 200 ] && exit 4
        sleep 0.05
    done
    cat "$dir/progress" >> "$dir/seen"
    i=$((i + 1))
done
SH
my $rc = system( '/bin/sh', '-c', $loop, 'sh', $pid, $dir, $N );
is( $rc, 0, "the shell loop sent $N SIGQUITs and saw each file appear" );

my $last = ( split /\n/, slurp( "$dir/seen" ) // '' )[-1] // 0;
ok( wait_for( sub { ( slurp( "$dir/progress" ) // 0 ) > $last + 10 }, 10 ),
    'the server kept working after the last dump' );
ok( kill( 0, $pid ), '... and is still alive' );

open my $fh, '>', "$dir/stop" or die;
close $fh;
my $status = reap( $pid, 20 );
is( $status, 0, 'the server ended normally (exit 0)' );
like( slurp( "$dir/out" ), qr/^stopped at \d+$/m, '... from its own loop' );

my $err = slurp( "$dir/err" ) // '';
my @said = $err =~ /^Dumping to (\S+) because of SIGQUIT$/mg;
is_deeply( \@said, [ map { "$dir/srv-$_.pmat" } 0 .. $N - 1 ],
           'one "Dumping to FILE because of SIGQUIT" line per dump, in order' );
unlike( $err, qr/no dump|Devel::MAT::Dumper:/, 'no failure reported' );

my @seen = split /\n/, slurp( "$dir/seen" ) // '';
my ( @counts, $prev );
for my $i ( 0 .. $N - 1 ) {
    my $f = "$dir/srv-$i.pmat";
    ok( cpmat_ok( $f ), "srv-$i.pmat parses with cpmat" );
    is( ( stat $f )[2] & 07777, 0600, "srv-$i.pmat is mode 0600" );
    push @counts, count_items( $f );
}
ok( ( !grep { !defined } @counts ), '@main::items found in every dump' )
    or diag explain \@counts;
for my $i ( 1 .. $N - 1 ) {
    cmp_ok( $counts[$i] // 0, '>', $counts[$i - 1] // 0,
            "srv-$i shows more items than srv-" . ( $i - 1 ) );
    cmp_ok( $seen[$i] // 0, '>', $seen[$i - 1] // 0,
            "the server made progress between dump " . ( $i - 1 ) . " and $i" );
}
# The dump shows the state when the signal was handled: no later than the
# progress seen once the file had appeared.
for my $i ( 0 .. $N - 1 ) {
    cmp_ok( $counts[$i] // 0, '<=', $seen[$i] // 0, "srv-$i is the state at its signal, not later" );
}
SKIP: {
    skip 'Devel::MAT is not installed', 2 unless eval { require Devel::MAT; 1 };
    my @warnings;
    my $pm = do {
        local $SIG{__WARN__} = sub { push @warnings, @_ };
        Devel::MAT->load( "$dir/srv-" . ( $N - 1 ) . ".pmat" );
    };
    is_deeply( \@warnings, [], 'Devel::MAT loads the last snapshot without a warning' );
    my $av = $pm->find_symbol( '@main::items' );
    is( $av && $av->n_elems, $counts[-1], '... and sees the same @main::items' );
}
is_deeply( [ grep { /tmp-/ } dir_entries( $dir ) ], [], 'no temporary file left behind' );
is( scalar( grep { /\.pmat$/ } dir_entries( $dir ) ), $N, "exactly $N dump files" );

done_testing;
