#!/usr/bin/perl
# CODE SVs: named subs, closures and their protosub, XSUBs, pads at depth,
# constants, lexical subs.
use strict;
use warnings;
use feature 'lexical_subs';
no warnings 'experimental::lexical_subs';
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use PMATTest;
use Scalar::Util ();
use B ();

my $FILE = __FILE__;
my ( $NAMED_LINE, $CLOSURE_LINE );

BEGIN { $NAMED_LINE = __LINE__ + 2 }
sub named_sub {
    my $local_lex = 'named';
    return $local_lex;
}

sub make_closure {
    my $captured = shift;
    BEGIN { $CLOSURE_LINE = __LINE__ + 1 }
    return ( sub { return $captured }, \$captured );
}
my ( $closure, $captured_ref ) = make_closure('caught');

# A closure containing a string-eval keeps its CvOUTSIDE (perl drops it for
# one that has neither an eval nor inner subs, as $closure above)
sub make_eval_closure {
    my $seen = shift;
    return sub { return eval q{$seen} };
}
my $eval_closure = make_eval_closure('evalled');

# What perl itself holds in a CV's pointer field, as cpmat prints it
sub b_addr
{
    my ($obj) = @_;
    return sprintf '0x%x', ${$obj};
}

# recursion: dumped from the innermost of three frames
my ( $rec_path, %rec_lex_addr );
sub recurse {
    my ($n) = @_;
    my $lex = "level$n";
    $rec_lex_addr{$n} = addr_of( \$lex );
    if ( $n < 3 ) { recurse( $n + 1 ) }
    else          { $rec_path = dump_self() }
    return;
}
recurse(1);

# A closure prototype that perl marks CvCONST (sub () { $lexical }): the
# protosub keeps its optree and has no constant value; each clone is an
# XS-style constant sub holding the captured value.
sub make_const_closure { my $cx = shift; return sub () { $cx } }
my $const_clone = make_const_closure(7);
my ($const_proto_b) = grep { ref($_) eq 'B::CV' && ( $_->CvFLAGS & B::CVf_CLONE() ) }
    B::svref_2object( \&make_const_closure )->PADLIST->ARRAYelt(1)->ARRAY;

sub FORTY_TWO () { 42 }
use constant ANSWER => 'forty-two';
my $answer_cv = \&ANSWER;    # makes the constant a real CV

my sub lexical_one { return 'lexical' }
my $lexical_cv = \&lexical_one;

my %addr = (
    named        => addr_of( \&named_sub ),
    named_glob   => addr_of( \*main::named_sub ),
    make_closure => addr_of( \&make_closure ),
    closure      => addr_of($closure),
    captured     => addr_of($captured_ref),
    xsub         => addr_of( \&Scalar::Util::blessed ),
    recurse      => addr_of( \&recurse ),
    forty_two    => addr_of( \&FORTY_TWO ),
    answer       => addr_of($answer_cv),
    lexical      => addr_of($lexical_cv),
    const_clone  => addr_of($const_clone),
    main_stash   => addr_of( \%main:: ),
    eval_closure => addr_of($eval_closure),
    make_eval_closure => addr_of( \&make_eval_closure ),
    b_closure_outside => b_addr( B::svref_2object($closure)->OUTSIDE ),
    b_xsub_stash      => b_addr( B::svref_2object( \&Scalar::Util::blessed )->STASH ),
    # CvGV as perl has it: on 5.42 Scalar::Util's blessed is builtin::blessed,
    # whose glob is *builtin::blessed, not *Scalar::Util::blessed
    b_xsub_gv         => b_addr( B::svref_2object( \&Scalar::Util::blessed )->GV ),
);

my $d = cpmat_dump( dump_self() );

sub flags_of { hex( ( $_[0] // {} )->{flags} // 0 ) }

# --- a named sub
{
    my $cv = sv_at( $d, $addr{named} ) // {};
    is( $cv->{type}, 'CODE', 'named_sub: CODE' );
    is( $cv->{stash}, $addr{main_stash}, 'named_sub: stash -> main' );
    is( $cv->{glob}, $addr{named_glob}, 'named_sub: glob -> *main::named_sub' );
    is( $cv->{file}, $FILE, 'named_sub: file' );
    is( $cv->{line}, $NAMED_LINE, 'named_sub: line of its first statement' );
    is( flags_of($cv) & 0x07, 0, 'named_sub: not CLONE/CLONED/XSUB' );
    isnt( $cv->{oproot}, '0x0', 'named_sub: has an oproot' );
    is( $cv->{depth}, 0, 'named_sub: depth 0 (not running)' );
    my $pl = sv_at( $d, $cv->{padlist} );
    ok( !defined $pl || $cv->{padlist} ne '0x0', 'named_sub: has a padlist' );
    ok( exists $cv->{pads}{1}, 'named_sub: a pad at depth 1' );
    my @ix = grep { ( $cv->{padnames}{$_} // '' ) eq '$local_lex' } keys %{ $cv->{padnames} // {} };
    is( scalar @ix, 1, 'named_sub: padname $local_lex' );
    my $gv = sv_at( $d, $addr{named_glob} ) // {};
    is( $gv->{code}, $addr{named}, 'named_sub: the glob points back at it' );
}

# --- closure and protosub
{
    my $cv = sv_at( $d, $addr{closure} ) // {};
    is( $cv->{type}, 'CODE', 'closure: CODE' );
    ok( flags_of($cv) & 0x02, 'closure: CLONED' );
    ok( !( flags_of($cv) & 0x01 ), 'closure: not CLONE' );
    is( $cv->{outside}, $addr{b_closure_outside}, 'closure: outside as perl has it (NULL: no eval, no inner sub)' );
    is( $cv->{line}, $CLOSURE_LINE, 'closure: line' );
    is( $cv->{file}, $FILE, 'closure: file' );

    my ($ix) = grep { ( $cv->{padnames}{$_} // '' ) eq '$captured' } keys %{ $cv->{padnames} // {} };
    ok( defined $ix, 'closure: padname $captured' );
    $ix //= -1;
    ok( hex( $cv->{padflags}{$ix} // 0 ) & 0x01, 'closure: $captured padname is OUTER' );
    my $pad = sv_at( $d, $cv->{pads}{1} ) // {};
    is( $pad->{type}, 'ARRAY', 'closure: pad at depth 1 is an ARRAY' );
    is( $pad->{elems}[$ix], $addr{captured}, 'closure: pad slot of $captured holds the captured SV' );
    is( ( sv_at( $d, $addr{captured} ) // {} )->{pv}, 'caught', 'closure: the captured value' );

    my @protos = grep { $_->{type} && $_->{type} eq 'CODE' && ( flags_of($_) & 0x01 ) && $_->{oproot} eq $cv->{oproot} }
        values %{ $d->{svs} };
    is( scalar @protos, 1, 'closure: exactly one protosub (CLONE) shares its oproot' );
    my $proto = $protos[0] // {};
    ok( !( flags_of($proto) & 0x02 ), 'protosub: not CLONED' );
    is( $proto->{outside}, $addr{make_closure}, 'protosub: outside -> make_closure' );
    ok( flags_of($proto) & 0x08, 'protosub: WEAKOUTSIDE' );

    my $ecv = sv_at( $d, $addr{eval_closure} ) // {};
    ok( flags_of($ecv) & 0x02, 'eval closure: CLONED' );
    is( $ecv->{outside}, $addr{make_eval_closure}, 'eval closure: outside -> make_eval_closure' );
}

# --- XSUB
{
    my $cv = sv_at( $d, $addr{xsub} ) // {};
    is( $cv->{type}, 'CODE', 'Scalar::Util::blessed: CODE' );
    ok( flags_of($cv) & 0x04, 'Scalar::Util::blessed: XSUB' );
    is( $cv->{oproot}, '0x0', 'Scalar::Util::blessed: no oproot' );
    is( $cv->{glob}, $addr{b_xsub_gv}, 'Scalar::Util::blessed: glob (CvGV) as perl has it' );
    if ( $] < 5.042 ) { is( $addr{b_xsub_gv}, addr_of( \*Scalar::Util::blessed ), 'Scalar::Util::blessed: ... which is *Scalar::Util::blessed before 5.42' ) }
    else              { is( $addr{b_xsub_gv}, addr_of( \*builtin::blessed ), 'Scalar::Util::blessed: ... which is *builtin::blessed from 5.42' ) }
    is( $cv->{stash}, $addr{b_xsub_stash}, 'Scalar::Util::blessed: stash as perl has it (CvSTASH of an XSUB is NULL)' );
}

# --- recursion: dumped at depth 3
{
    my $dr = cpmat_dump($rec_path);
    my $cv = sv_at( $dr, $addr{recurse} ) // {};
    is( $cv->{depth}, 3, 'recurse: depth 3 at the dump' );
    is_deeply( [ sort keys %{ $cv->{pads} // {} } ], [ 1, 2, 3 ], 'recurse: pads at depths 1..3' );
    my %pads = %{ $cv->{pads} // {} };
    is( scalar( keys %{ { reverse %pads } } ), 3, 'recurse: three different pad AVs' );
    my ($ix) = grep { ( $cv->{padnames}{$_} // '' ) eq '$lex' } keys %{ $cv->{padnames} // {} };
    ok( defined $ix, 'recurse: padname $lex' );
    for my $depth ( 1 .. 3 ) {
        my $pad = sv_at( $dr, $pads{$depth} ) // {};
        is( $pad->{type}, 'ARRAY', "recurse: pad $depth is an ARRAY" );
        my $slot = $pad->{elems}[ $ix // -1 ] // 'none';
        is( $slot, $rec_lex_addr{$depth}, "recurse: pad $depth slot of \$lex is that frame's \$lex" );
        is( ( sv_at( $dr, $slot ) // {} )->{pv}, "level$depth", "recurse: pad $depth \$lex = level$depth" );
    }
}

# --- constants
{
    my $cv = sv_at( $d, $addr{forty_two} ) // {};
    is( $cv->{type}, 'CODE', 'FORTY_TWO: CODE' );
    my $c = sv_at( $d, $cv->{constval} ) // {};
    is( $c->{type}, 'SCALAR', 'FORTY_TWO: constval is a SCALAR' );
    is( $c->{iv}, 42, 'FORTY_TWO: constval 42' );

    $cv = sv_at( $d, $addr{answer} ) // {};
    is( $cv->{type}, 'CODE', 'use constant ANSWER: CODE' );
    is( ( sv_at( $d, $cv->{constval} ) // {} )->{pv}, 'forty-two', 'use constant ANSWER: constval' );
}

# --- CvCONST closure prototype and its clone
{
    ok( $const_proto_b, 'B finds the protosub of make_const_closure' );
    ok( $const_proto_b->CvFLAGS & B::CVf_CONST(), 'perl marked that protosub CvCONST' );
    my $proto = sv_at( $d, sprintf( '0x%x', ${$const_proto_b} ) ) // {};
    is( $proto->{type}, 'CODE', 'const protosub: dumped as CODE' );
    ok( flags_of($proto) & 0x01, 'const protosub: CLONE' );
    is( $proto->{oproot}, sprintf( '0x%x', ${ $const_proto_b->ROOT } ), 'const protosub: oproot is its CvROOT (it is not an XSUB)' );
    is( $proto->{constval}, '0x0', 'const protosub: no constval (CvXSUBANY of a non-XSUB holds none)' );

    my $clone = sv_at( $d, $addr{const_clone} ) // {};
    ok( flags_of($clone) & 0x04, 'const clone: an XSUB-style constant sub' );
    my $val = sv_at( $d, $clone->{constval} ) // {};
    is( $val->{iv}, 7, 'const clone: constval holds the captured 7' );
}

# --- lexical sub
{
    my $cv = sv_at( $d, $addr{lexical} ) // {};
    is( $cv->{type}, 'CODE', 'lexical_one: CODE' );
    ok( flags_of($cv) & 0x20, 'lexical_one: LEXICAL' );
    is( $cv->{name}, 'lexical_one', 'lexical_one: name' );
    is( $cv->{glob}, '0x0', 'lexical_one: no glob' );
}

done_testing;
