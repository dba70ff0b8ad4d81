#!/usr/bin/perl
# Under ithreads each thread is its own interpreter with its own arenas: a
# dump taken inside a thread must hold that interpreter's SVs (its clones of
# the parent's data), not the parent's.
use strict;
use warnings;
use Config;
use Test::More;

BEGIN {
    plan skip_all => 'perl built without ithreads' unless $Config{useithreads};
}
use threads;
use FindBin;
use lib "$FindBin::Bin/lib";
use PMATTest;

my $parent_lex      = "parent value";
my $parent_lex_addr = addr_of( \$parent_lex );

my ( $tpath, $thread_lex_addr, $clone_addr, $tid ) = threads->create(
    { context => 'list' },
    sub {
        my $thread_lex = "thread value " . threads->tid;
        my $path       = dump_self();
        # $parent_lex here is the thread's clone of the parent's variable
        return ( $path, addr_of( \$thread_lex ), addr_of( \$parent_lex ), threads->tid );
    }
)->join;

my $ppath = dump_self();

ok( defined $tpath && -s $tpath, 'the thread wrote a dump' );
isnt( $clone_addr, $parent_lex_addr, 'the thread has its own copy of $parent_lex' );

my $dt = cpmat_dump($tpath);
{
    my $sv = sv_at( $dt, $thread_lex_addr ) // {};
    is( $sv->{type}, 'SCALAR', "thread dump: the thread's lexical is there" );
    is( $sv->{pv}, "thread value $tid", "thread dump: with the thread's value" );
    my $clone = sv_at( $dt, $clone_addr ) // {};
    is( $clone->{pv}, 'parent value', "thread dump: the thread's clone of \$parent_lex" );
    ok( !sv_at( $dt, $parent_lex_addr ), "thread dump: not the parent interpreter's \$parent_lex" );
    my $defstash = root_sv( $dt, 'defstash' ) // {};
    is( $defstash->{name}, 'main', 'thread dump: its own defstash named main' );
    isnt( $dt->{roots}{defstash}, addr_of( \%main:: ), "thread dump: the thread's defstash is not the parent's" );
    my @ctx = grep { $_->{type} eq 'SUB' } @{ $dt->{ctx} };
    ok( scalar @ctx >= 1, 'thread dump: the thread entry sub is on its context stack' );
}
undef $dt;

my $dp = cpmat_dump($ppath);
{
    my $sv = sv_at( $dp, $parent_lex_addr ) // {};
    is( $sv->{pv}, 'parent value', 'parent dump after join: $parent_lex' );
    ok( !sv_at( $dp, $thread_lex_addr ) || ( sv_at( $dp, $thread_lex_addr )->{pv} // '' ) ne "thread value $tid",
        "parent dump: the joined thread's lexical is gone" );
    is( $dp->{roots}{defstash}, addr_of( \%main:: ), 'parent dump: defstash is %main::' );
}

done_testing;
