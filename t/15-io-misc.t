#!/usr/bin/perl
# IO handles, LVALUEs, REGEXPs, FORMATs and INVLISTs.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use PMATTest;
use File::Temp qw(tempfile);

open( my $rfh, '<', $0 ) or die "open $0: $!";
my ( $wfh, $wname ) = tempfile( UNLINK => 1 );
open( my $rwfh, '+<', $wname ) or die "open $wname: $!";
open( my $closed, '<', $0 ) or die "open $0: $!";
close $closed;

my $s  = "abcdef";
my $lv = \substr( $s, 1, 2 );

my $re = qr/ab+c/;

our $fmt_value = 'x';
format MYFMT =
@<<<<<<
$fmt_value
.

my %addr = (
    rfh       => addr_of( *{$rfh}{IO} ),
    wfh       => addr_of( *{$wfh}{IO} ),
    rwfh      => addr_of( *{$rwfh}{IO} ),
    closed    => addr_of( *{$closed}{IO} ),
    stdin     => addr_of( *STDIN{IO} ),
    stdout    => addr_of( *STDOUT{IO} ),
    stderr    => addr_of( *STDERR{IO} ),
    lv        => addr_of($lv),
    s         => addr_of( \$s ),
    re        => addr_of($re),
    fmt       => addr_of( *MYFMT{FORMAT} ),
    fmt_glob  => addr_of( \*main::MYFMT ),
);
my %fileno = ( rfh => fileno($rfh), wfh => fileno($wfh), rwfh => fileno($rwfh) );

my $d = cpmat_dump( dump_self() );

sub io_ok
{
    my ( $name, $ifileno, $ofileno ) = @_;
    my $io = sv_at( $d, $addr{$name} ) // {};
    is( $io->{type}, 'IO', "$name: type IO" );
    is( $io->{ifileno}, $ifileno, "$name: ifileno $ifileno" );
    is( $io->{ofileno}, $ofileno, "$name: ofileno $ofileno" );
    is( blessed_name( $d, $io ), 'IO::File', "$name: blessed into IO::File" );
    return $io;
}

io_ok( rfh    => $fileno{rfh},  -1 );              # read-only: no output PerlIO
io_ok( wfh    => $fileno{wfh},  $fileno{wfh} );    # write: both ends the same fd
io_ok( rwfh   => $fileno{rwfh}, $fileno{rwfh} );
io_ok( closed => -1, -1 );
# CI may run us with standard input closed: take the std filenos from perl
my %std = map { ( $_ => fileno( $_ eq 'stdin' ? \*STDIN : $_ eq 'stdout' ? \*STDOUT : \*STDERR ) // -1 ) } qw(stdin stdout stderr);
io_ok( stdin  => $std{stdin}, -1 );
io_ok( stdout => $std{stdout}, $std{stdout} );
io_ok( stderr => $std{stderr}, $std{stderr} );
is( $std{stdin}, 0, 'STDIN is fd 0 (when open)' ) if $std{stdin} != -1;

# --- LVALUE
{
    my $sv = sv_at( $d, $addr{lv} ) // {};
    is( $sv->{type},   'LVALUE', 'substr lvalue: type LVALUE' );
    is( $sv->{lvtype}, 'x',      'substr lvalue: lvtype x' );
    is( $sv->{off},    1,        'substr lvalue: off 1' );
    is( $sv->{len},    2,        'substr lvalue: len 2' );
    is( $sv->{targ},   $addr{s}, 'substr lvalue: targ -> $s' );
    is( ( sv_at( $d, $sv->{targ} ) // {} )->{pv}, 'abcdef', 'substr lvalue: the target string' );
}

# --- REGEXP
{
    my $sv = sv_at( $d, $addr{re} ) // {};
    is( $sv->{type}, 'REGEXP', 'qr//: type REGEXP' );
    is( blessed_name( $d, $sv ), 'Regexp', 'qr//: blessed Regexp' );
    my $ref = sv_at( $d, addr_of( \$re ) ) // {};
    is( $ref->{rv}, $addr{re}, 'qr//: $re is a REF to it' );
}

# --- FORMAT
{
    my $sv = sv_at( $d, $addr{fmt} ) // {};
    is( $sv->{type}, 'FORMAT', 'format: type FORMAT' );
    my $gv = glob_of( $d, 'main::MYFMT' ) // {};
    is( $gv->{addr}, $addr{fmt_glob}, 'format: *MYFMT found' );
    is( $gv->{form}, $addr{fmt}, 'format: the glob form slot points at it' );
}

# --- INVLIST: perl's own inversion lists, e.g. PL_Latin1
{
    cmp_ok( $d->{count}{INVLIST} // 0, '>', 0, 'INVLIST SVs are dumped' );
    for my $root (qw(Latin1 AboveLatin1)) {
        my $sv = root_sv( $d, $root );
        ok( $sv, "root $root is dumped" );
        is( ( $sv // {} )->{type}, 'INVLIST', "root $root is an INVLIST" );
    }
}

done_testing;
