#!/usr/bin/perl
# The header, the roots, the value stack and the context stack.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use PMATTest;
use Config;
use B ();

my $FILE = __FILE__;
my %L;    # line numbers of call sites, taken on the same line as the call

# --- nested calls: outer(1,2) -> inner("x") -> eval {} -> eval "dump"
my ( $ctx_path, %ctx_addr, @outer_args, @inner_args );
my $EVAL_TEXT;

sub inner
{
    my $r = eval {
        $L{eval_string} = __LINE__; my $ok = eval $EVAL_TEXT;
        die $@ unless $ok;
        1;
    };
    die $@ unless $r;
    @inner_args = map { addr_of( \$_ ) } @_;
    $ctx_addr{inner_argav} = addr_of( \@_ );
    return 'scalar';
}

sub outer
{
    $L{try} = __LINE__ + 1;
    my @res = eval {
        $L{inner_call} = __LINE__; my $s = inner("x");
        ( $s );
    };
    die $@ unless @res;
    @outer_args = map { addr_of( \$_ ) } @_;
    $ctx_addr{outer_argav} = addr_of( \@_ );
    return;
}

$ctx_path  = PMATTest::fresh_path();
$EVAL_TEXT = "Devel::MAT::Dumper::dump(\$ctx_path); 1";
my ( $one, $two ) = ( 1, 2 );
$L{outer_call} = __LINE__; outer( $one, $two );

# --- recursion three deep
my $rec_path;
sub rec
{
    my ($n) = @_;
    if ( $n < 3 ) { $L{"rec_call_$n"} = __LINE__; rec( $n + 1 ); }
    else          { $rec_path = PMATTest::fresh_path(); Devel::MAT::Dumper::dump($rec_path) }
    return;
}
$L{rec_call_0} = __LINE__; rec(1);

# --- the value stack, dumped inside a list expression
my $stack_path;
my ( $sa, $sb ) = ( "stack a", "stack b" );
sub dump_in_list
{
    $stack_path = PMATTest::fresh_path();
    Devel::MAT::Dumper::dump($stack_path);
    return 'c';
}
my @list = ( $sa, $sb, dump_in_list() );

my $d = cpmat_dump( dump_self() );

sub b_addr { my $o = shift; return sprintf '0x%x', ${$o} }

# --- header
{
    my $h = $d->{header};
    is( $h->{perl}, sprintf( '%vd', $^V ), 'header: perl version' );
    is( $h->{format}, '0.6', 'header: format 0.6 by default' );
    is( $h->{ithreads}, $Config{useithreads} ? 1 : 0, 'header: ithreads' );
    is( $h->{ptr}, $Config{ptrsize}, 'header: pointer size' );
    is( $h->{uint}, $Config{uvsize}, 'header: uint size' );
    is( $h->{nv}, $Config{nvsize}, 'header: nv size' );
    is( $h->{endian}, ( $Config{byteorder} =~ /^1/ ? 'little' : 'big' ), 'header: endianness' );
}

# --- roots
{
    my %r = %{ $d->{roots} };
    my %want = (
        main_cv  => [ CODE  => b_addr( B::main_cv() ) ],
        defstash => [ STASH => addr_of( \%main:: ) ],
        incgv    => [ GLOB  => addr_of( \*main::INC ) ],
        envgv    => [ GLOB  => addr_of( \*main::ENV ) ],
        defgv    => [ GLOB  => addr_of( \*main::_ ) ],
        errgv    => [ GLOB  => do { no strict 'refs'; addr_of( \*{'main::@'} ) } ],
        argvgv   => [ GLOB  => addr_of( \*main::ARGV ) ],
    );
    for my $name ( sort keys %want ) {
        my ( $type, $addr ) = @{ $want{$name} };
        is( $r{$name}, $addr, "root $name is at the right address" );
        is( ( sv_at( $d, $r{$name} ) // {} )->{type}, $type, "root $name is a $type" );
    }
    is( ( root_sv( $d, 'defstash' ) // {} )->{name}, 'main', 'root defstash is named main' );
    is( ( root_sv( $d, 'incgv' ) // {} )->{name}, 'INC', 'root incgv is *INC' );
    is( ( root_sv( $d, 'incgv' ) // {} )->{array}, addr_of( \@INC ), 'root incgv array slot is @INC' );
    like( ( root_sv( $d, 'strtab' ) // {} )->{type} // '', qr/^(HASH|STASH)$/, 'root strtab is a hash' );
    ok( exists $r{strtab} && $r{strtab} ne '0x0', 'root strtab is set' );
    is( ( root_sv( $d, 'mainstack' ) // {} )->{type}, 'ARRAY', 'root mainstack is an ARRAY' );
    is( ( root_sv( $d, 'beginav' ) // {} )->{type}, 'ARRAY', 'root beginav is an ARRAY (BEGIN blocks ran)' );

  SKIP: {
        skip 'Devel::MAT is not installed (CI installs it)', 1 unless eval { require Devel::MAT::Dumpfile; 1 };
        # pmat names and describes roots by these names; one it does not know
        # (e.g. "fdpid" for PL_fdpid, which Devel::MAT calls "fdpidav") shows
        # up undescribed
        my %known = map { $_ => 1 } Devel::MAT::Dumpfile->ROOTS;
        is_deeply( [ grep { !$known{$_} } sort keys %r ], [], 'every root name is one Devel::MAT knows' );
    }

    my @dangling = grep { $r{$_} ne '0x0' && !sv_at( $d, $r{$_} ) } sort keys %r;
    is_deeply( \@dangling, [], 'every non-NULL root points at an SV in the dump' );
}

# --- contexts: outer -> TRY -> inner -> TRY -> EVAL.  The file has them
# innermost FIRST: the reference dumper walks cxstack from the top down and
# Devel::MAT::Dumpfile's depth fix-up relies on that order (the first SUB
# context of a CV gets the CV's current depth).
{
    my $dc = cpmat_dump($ctx_path);
    my @ctx = reverse @{ $dc->{ctx} };    # outermost first from here on
    is_deeply( [ map { $_->{type} } @ctx ], [qw(SUB TRY SUB TRY EVAL)], 'contexts: EVAL TRY SUB TRY SUB in the file, innermost first' )
        or diag explain [ map { "$_->{type} line $_->{line}" } @ctx ];
    is_deeply( [ map { $_->{index} } @{ $dc->{ctx} } ], [ 0 .. $#ctx ], 'contexts: indexed from 0' );
    my ( $c_outer, $c_try1, $c_inner, $c_try2, $c_eval ) = map { $_ // {} } @ctx;

    is( $c_outer->{cv}, addr_of( \&outer ), 'outer: cv is &outer' );
    is( $c_outer->{file}, $FILE, 'outer: file' );
    is( $c_outer->{line}, $L{outer_call}, 'outer: line of the call' );
    is( $c_outer->{gimme}, 1, 'outer: called in void context (G_VOID=1)' );
    is( $c_outer->{olddepth}, 0, 'outer: olddepth 0' );

    is( $c_try1->{line}, $L{try}, 'eval {} in outer: line' );
    is( $c_try1->{file}, $FILE, 'eval {} in outer: file' );
    is( $c_try1->{gimme}, 3, 'eval {} in outer: list context (G_LIST=3)' );

    is( $c_inner->{cv}, addr_of( \&inner ), 'inner: cv is &inner' );
    is( $c_inner->{line}, $L{inner_call}, 'inner: line of the call' );
    is( $c_inner->{gimme}, 2, 'inner: scalar context (G_SCALAR=2)' );
    is( $c_inner->{olddepth}, 0, 'inner: olddepth 0' );

    is( $c_try2->{gimme}, 2, 'eval {} in inner: scalar context' );

    is( $c_eval->{line}, $L{eval_string}, 'eval "": line' );
    is( $c_eval->{file}, $FILE, 'eval "": file' );
    my $code = sv_at( $dc, $c_eval->{codesv} ) // {};
    is( $code->{type}, 'SCALAR', 'eval "": codesv is a SCALAR' );
    like( $code->{pv} // '', qr/^\Q$EVAL_TEXT\E\n?;?$/, 'eval "": codesv holds the evaluated text' );

    # @_ of each call: at the CV's pad slot 0 for its depth (how perl >= 5.24
    # keeps it), and the args pointer of the context
    for ( [ outer => $c_outer, $ctx_addr{outer_argav}, \@outer_args ], [ inner => $c_inner, $ctx_addr{inner_argav}, \@inner_args ] ) {
        my ( $name, $c, $argav, $args ) = @$_;
        my $cv  = sv_at( $dc, $c->{cv} ) // {};
        my $pad = sv_at( $dc, ( $cv->{pads} // {} )->{1} ) // {};
        is( ( $pad->{elems} // [] )->[0], $argav, "$name: pad[1][0] is its \@_" );
        my $av = sv_at( $dc, $argav ) // {};
        is_deeply( $av->{elems}, $args, "$name: \@_ holds the args" );
        TODO: {
            # Perl 5.23.8 removed blk_sub.argarray; the reference dumper
            # (0.46) writes NULL here and Devel::MAT 0.51 ignores the field
            # on such perls, finding @_ at pad[depth][0] (checked above).
            local $TODO = 'ARGS of a SUB context is NULL on perl >= 5.23.8, in the reference dumper too';
            is( $c->{args}, $argav, "$name: ctx args -> its \@_" );
        }
    }
    is( scalar @outer_args, 2, 'outer had two args' );
    is( $outer_args[0], addr_of( \$one ), 'outer: @_ aliases $one' );
}

# --- recursion: three SUB contexts for rec, olddepth 0,1,2
{
    my $dr  = cpmat_dump($rec_path);
    my @ctx = reverse grep { $_->{type} eq 'SUB' } @{ $dr->{ctx} };    # outermost first
    is( scalar @ctx, 3, 'recursion: three SUB contexts' );
    is_deeply( [ map { $_->{cv} } @ctx ], [ ( addr_of( \&rec ) ) x 3 ], 'recursion: all for &rec' );
    is_deeply( [ map { $_->{olddepth} } @ctx ], [ 0, 1, 2 ], 'recursion: olddepth 0, 1, 2' );
    is_deeply( [ map { $_->{line} } @ctx ], [ @L{qw(rec_call_0 rec_call_1 rec_call_2)} ], 'recursion: call-site lines' );
    is( ( sv_at( $dr, addr_of( \&rec ) ) // {} )->{depth}, 3, 'recursion: &rec at depth 3' );
}

# --- the value stack inside a list expression
{
    my $ds = cpmat_dump($stack_path);
    my @stack = @{ $ds->{stack} };
    ok( scalar @stack >= 2, 'stack: has entries inside a list expression' );
    my %on = map { $_ => 1 } @stack;
    ok( $on{ addr_of( \$sa ) }, 'stack: $sa is on the stack' );
    ok( $on{ addr_of( \$sb ) }, 'stack: $sb is on the stack' );
    my %imm = map { $_ => 1 } values %{ $ds->{immortals} };
    my @missing = grep { $_ ne '0x0' && !sv_at( $ds, $_ ) && !$imm{$_} } @stack;
    is_deeply( \@missing, [], 'stack: every entry is a dumped SV (or an immortal)' );
}

done_testing;
