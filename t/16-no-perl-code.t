# The walk runs no Perl code: dumping a heap full of tied variables and
# overloaded objects calls none of their methods, and leaves a hash iterator
# where it was.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use PMATTest;

our $CALLS = 0;
{
    package Trap;
    # Every tie method counts the call and dies: a dump that ran any of
    # them would die or leave $CALLS above zero.
    for my $m ( qw( FETCH STORE FETCHSIZE STORESIZE EXISTS DELETE CLEAR FIRSTKEY NEXTKEY SCALAR
                    EXTEND PUSH POP SHIFT UNSHIFT SPLICE READLINE GETC WRITE PRINT PRINTF READ
                    FILENO CLOSE EOF BINMODE SEEK TELL UNTIE DESTROY ) ) {
        no strict 'refs';
        *{"Trap::$m"} = sub { $main::CALLS++; die "Trap::$m called during the dump\n" unless $m eq 'DESTROY' };
    }
    sub TIESCALAR { bless {}, shift }
    sub TIEARRAY  { bless {}, shift }
    sub TIEHASH   { bless {}, shift }
    sub TIEHANDLE { bless {}, shift }
}
{
    package Loud;
    use overload
        '""'   => sub { $main::CALLS++; die "stringified during the dump\n" },
        '0+'   => sub { $main::CALLS++; die "numified during the dump\n" },
        'bool' => sub { $main::CALLS++; die "boolified during the dump\n" },
        'eq'   => sub { $main::CALLS++; die "compared during the dump\n" };
}

tie my $ts, 'Trap';
tie my @ta, 'Trap';
tie my %th, 'Trap';
{ no warnings 'once'; tie *TH, 'Trap'; }    # a tied handle (named once)
my $loud = bless { secret => 'x' }, 'Loud';
my %h = map { ( "k$_" => $_ ) } 1 .. 50;
my @first = each %h;             # an iteration in progress

my $path = dump_self();
is( $CALLS, 0, 'no tie or overload method was called by the dump' );

my @rest;
while ( my ( $k ) = each %h ) { push @rest, $k }
is( scalar(@rest), 49, 'the hash iterator carried on where it was (49 keys left)' );
ok( !grep( { $_ eq $first[0] } @rest ), 'and did not start again' );

my $d = cpmat_dump($path);
my $hv = sv_at( $d, addr_of( \%th ) ) // {};
is( $hv->{type}, 'HASH', 'the tied hash is in the dump' );
ok( scalar( grep { $_->{type} eq 'P' } @{ $hv->{magic} // [] } ), 'with its tie magic' );
my $obj = sv_at( $d, addr_of($loud) ) // {};
is( $obj->{type}, 'HASH', 'the overloaded object is in the dump' );
is( ( sv_at( $d, $obj->{blessed} ) // {} )->{name}, 'Loud', 'blessed into Loud' );

done_testing;
