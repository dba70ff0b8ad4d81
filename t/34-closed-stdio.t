#!/usr/bin/perl
# Daemons run with STDIN, STDOUT or STDERR closed.  open() hands out the
# lowest free descriptor, so a dump file could become fd 2 and take our own
# "Dumping to ..." line into its first bytes.  Every trigger, in-process and
# in fork mode, with each of fds 0, 1, 2 closed and with all three closed:
# the dump is complete and readable, starts with the PMAT magic, is mode
# 0600, leaves no temporary file, and the program's exit status is the one
# it has without the dumper.
use strict;
use warnings;
use Test::More;
use File::Temp qw( tempdir );
use lib 't/fixtures';
use TriggerHelp;

my %close = (
    'STDERR'     => 'close STDERR;',
    'STDIN'      => 'close STDIN;',
    'STDOUT'     => 'close STDOUT;',
    'all three'  => 'close STDIN; close STDOUT; close STDERR;',
);

# name => [ import options, program after the close, fork mode? ]
# Each program leaves $d/alive behind if it got past the trigger.
my %trigger = (
    'END'            => [ '-dump_at_END',            '' ],
    'SIGQUIT'        => [ '-dump_at_SIGQUIT',        'kill QUIT => $$; select undef, undef, undef, 0.05;' ],
    'DIE'            => [ '-dump_at_DIE',            'alive(); die "the end\n";' ],
    'fork END'       => [ '-fork,-dump_at_END',      '', 1 ],
    'fork SIGQUIT'   => [ '-fork,-dump_at_SIGQUIT',  'kill QUIT => $$; select undef, undef, undef, 0.05;', 1 ],
    'dump_fork'      => [ '',                        'Devel::MAT::Dumper::dump_fork( "$d/x-0.pmat" );', 1 ],
    'dump'           => [ '',                        'Devel::MAT::Dumper::dump( "$d/x-0.pmat" );' ],
);

sub program
{
    my ( $closing, $body ) = @_;
    return <<"E";
my \$d = shift;
sub alive { open my \$fh, '>', "\$d/alive" or die; close \$fh }
$closing
$body
alive();
E
}

for my $what ( sort keys %close ) {
    for my $t ( sort keys %trigger ) {
        my ( $opts, $body, $forked ) = @{ $trigger{$t} };
        subtest "$what closed, $t" => sub {
            my $d = tempdir( CLEANUP => 1 );
            my $prog = program( $close{$what}, $body );
            ( my $plain = $prog ) =~ s/Devel::MAT::Dumper::dump(?:_fork)?\([^)]*\);//;
            $plain =~ s/kill QUIT => \$\$;//;
            my ( $want ) = run_perl( { dir => $d }, '-e', $plain, $d );
            unlink "$d/alive";

            my @m = length $opts ? ( "-MDevel::MAT::Dumper=$opts,-file,$d/x-NNN.pmat" )
                                 : ( '-MDevel::MAT::Dumper' );
            my ( $st ) = run_perl( { dir => $d }, @m, '-e', $prog, $d );
            is( $st, $want, "exit status $st, as without the dumper" );
            ok( -e "$d/alive", 'the program went on past the trigger' );
            my $file = "$d/x-0.pmat";
            ok( wait_for( sub { -e $file }, $forked ? 20 : 0 ), 'the dump is there' )
                or return;
            wait_for( sub { !tmps( $d ) }, 20 ) if $forked;
            open my $fh, '<', $file or die "$file: $!";
            read $fh, my $magic, 4;
            is( $magic, 'PMAT', 'it starts with the PMAT magic' );
            ok( cpmat_ok( $file ), 'cpmat reads it' );
            is( ( stat $file )[2] & 07777, 0600, 'mode 0600' );
            is_deeply( [ tmps( $d ) ], [], 'no temporary file left' );
        };
    }
}

# -eager_open holds its file from the import on: opened with STDERR closed,
# it must not sit on fd 2 either.
subtest 'STDERR closed before the import, -eager_open' => sub {
    my $d = tempdir( CLEANUP => 1 );
    my ( $st ) = run_perl( { dir => $d }, '-e', <<'E', $d );
my $d;
BEGIN { $d = shift; close STDERR }
use Devel::MAT::Dumper ();
BEGIN { Devel::MAT::Dumper->import( '-eager_open', '-dump_at_SIGQUIT', '-file', "$d/x-NNN.pmat" ) }
open my $probe, '<', '/dev/null' or die;
open my $out, '>', "$d/fd" or die;
print $out fileno($probe), "\n";
close $out;
kill QUIT => $$;
select undef, undef, undef, 0.05;
E
    is( $st, 0, 'exit 0' );
    is( TriggerHelp::slurp( "$d/fd" ), "2\n", 'fd 2 was still free after the eager open' );
    open my $fh, '<', "$d/x-0.pmat" or die "x-0.pmat: $!";
    read $fh, my $magic, 4;
    is( $magic, 'PMAT', 'the dump starts with the PMAT magic' );
    ok( cpmat_ok( "$d/x-0.pmat" ), 'cpmat reads it' );
};

done_testing;
