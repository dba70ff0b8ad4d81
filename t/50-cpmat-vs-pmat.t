#!/usr/bin/perl
# cpmat against pmat (Devel::MAT 0.51) on dumps of known structures, for
# every command: the output must be equal, after normalising only what
# cpmat.pod documents as different:
#  - ties: pmat walks Perl hashes, so lines that tie (same sort key) come in
#    a random order; lines are compared as sorted multisets per command;
#  - the sign of IVs (SCALAR(IV)/SCALAR(UV) letters and find num values);
#  - which of several globs holding the same SV names it (symbol names),
#    and which key of a hash format_sv_with_value shows first;
#  - show of types pmat has no show_TYPE method for (pmat dies).
# pmat is loaded once per dump (Devel::MAT API, like pmat's own loop).
use strict;
use warnings;
use utf8;
use Test::More;
use lib 't/lib';
use CpmatTest;

my $cpmat = find_cpmat() or plan skip_all => 'no cpmat built (run make, or set PMAT_CPMAT)';
eval { require Devel::MAT; require Devel::MAT::Cmd::Terminal; require Commandable::Invocation; 1 }
    or plan skip_all => 'Devel::MAT is not installed';

my $closures = <<'EOP';
package Counter; sub new { my ( $c, $n ) = @_; bless { n => $n, cb => sub { $n++ } }, $c }
package main;
our @C = map { Counter->new($_) } 1 .. 3;
our %BYNAME = map { ( "k$_" => $C[$_] ) } 0 .. 2;
our $cycle = {}; $cycle->{self} = $cycle;
our $wk = $C[0]; Scalar::Util::weaken($wk);
open our $FH, '<', '/dev/null';
our @nums = ( 1, -7, 2**63, 3.25, "12abc" );
sub deep { my ( $d, $f ) = @_; my $here = [ $d ]; return $d ? deep( $d - 1, $f ) : Devel::MAT::Dumper::dump($f) }
deep( 3, shift );
EOP

my %dumps = ( known => make_dump('known'), closures => make_dump( 'closures', $closures ) );
$dumps{$_} or plan skip_all => 'cannot write a dump with Devel::MAT::Dumper' for keys %dumps;

binmode STDOUT, ':encoding(UTF-8)';
binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw( output failure_output todo_output );

our %pmat_warned;
sub pmat_output {
    my ( $pmat, $line ) = @_;
    my $out = '';
    open my $fh, '>:encoding(UTF-8)', \$out or die;
    my $old = select $fh;
    my @w;
    local $SIG{__WARN__} = sub { push @w, $_[0] };
    local $_;    # the tools read and assign $_ (0.56's count --blessed reads it)
    my $ok = eval {
        $pmat->run_command( Commandable::Invocation->new_from_tokens( split / /, $line ) );
        Devel::MAT::Tool::more->run while Devel::MAT::Tool::more->can_more;
        1;
    };
    select $old;
    close $fh;
    utf8::decode($out);
    # A pmat that warns has failed, as one that dies: Devel::MAT 0.56's
    # count --blessed warns (uninitialized $_, Count.pm) and prints no
    # package breakdown, whoever wrote the dump.  Such commands are not
    # compared, and only the known ones may be among them (below).
    if( @w ) { $pmat_warned{$line}++; return undef }
    return $ok ? $out : undef;
}
# The commands known to warn in a pmat release (its bugs), by release.
sub known_pmat_warnings { return $Devel::MAT::VERSION >= 0.56 ? ( 'count --blessed' ) : () }

sub normalise {
    my ( $text, $cmd ) = @_;
    my @l = split /\n/, $text;
    for (@l) {
        s/SCALAR\((?:UV|IV)/SCALAR(INT/g;
        s/^  [UI]V=.*/  INT=/;
        # an integer listed as an element (show of a PAD, an ARRAY, ...):
        # pmat shows a signed IV as its two's complement (cpmat.pod, "The
        # sign of IVs"), so compare both as signed 64-bit values
        s/(SCALAR\(INT[^)]*\) at 0x[0-9a-f]+ = )(\d{19,20})$/$1 . unpack( 'q', pack( 'Q', $2 ) )/e;
        s/ +/ /g;
        s/[├└]─/+-/g;
        s/│ /  /g;
        # the symbol naming a glob-held SV may differ (hash order in pmat)
        s/(the symbol '|the glob '\*|named as |: &)[^' ]+/$1SYMBOL/g;
        s/ = \{.*\}$/ = {...}/;
        s/^(\w the glob) \S+ at 0x[0-9a-f]+$/$1/;     # the glob of an imported CODE
        s/^( glob=).*/$1/;
        $_ = "" if $cmd =~ /^inrefs/ and /^\w the glob( |$)/;   # that CODE's glob is a coin toss in pmat
        s/=[^ ]*$// if $cmd =~ /^find cv/;
        # pmat's find num drops values that read as 0 (a filter returning "0")
        $_ = '' if $cmd =~ /^find num/ and /: -?0$/;
        s/: \S+$// if $cmd =~ /^find num/;
        # below the top level, ties decide which SVs are listed and so the others
        $_ = '' if $cmd =~ /^largest --/ and ( /^ / or /^others/ );
        s/^.*: (\S+ (?:bytes|KiB|MiB))$/$1/ if $cmd =~ /^largest/;   # ties at the cut
    }
    if( $cmd =~ /^identify/ ) {
        # equal-named referrers come in pmat's hash order, which decides
        # where a shared subtree is printed and where "already found" goes:
        # compare the set of distinct lines, without indentation
        s/^\s+// for @l;
        @l = grep { !/already found/ } @l;
        my %u;
        @l = grep { !$u{$_}++ } @l;
    }
    return join "\n", sort grep { length } @l;
}

# the pmat script, to run it under chosen hash seeds
sub pmat_bin {
    for my $d ( split /:/, $ENV{PATH} // '' ) {
        return "$d/pmat" if -x "$d/pmat";
    }
    return undef;
}

for my $name ( sort keys %dumps ) {
    my $file = $dumps{$name};
    my $pmat = Devel::MAT->load($file);
    my $df = $pmat->dumpfile;

    my @addr = map { sprintf '0x%x', $_->addr } sort { $a->addr <=> $b->addr } $df->heap;
    my @sample = @addr[ grep { $_ % 20 == 0 } 0 .. $#addr ];   # every 20th SV
    my @foo = map { sprintf '0x%x', $_->addr } grep { $_->blessed and $_->blessed->stashname =~ /^(?:Foo|Leaked|Counter)$/ } $df->heap;

    my @cmds = (
        'summary', 'count', 'count --blessed', 'count --scalars', 'count --owned', 'count --struct',
        'find --count blessed Foo', 'find blessed Foo', 'find blessed Counter', 'find --count cv',
        'find io', 'find pv hello', 'find pv -i --eq HELLO', 'find pv -r ^h.l+o', 'find pv -r -i ^[A-Z]+::', 'find num', 'find lexical $lexvar',
        'find lexical -I $here', 'find cv --xsub', 'find cv --package Foo',
        'roots', 'stack', 'callers', 'callers --pad', 'symbols', 'symbols Foo', 'packages',
        'packages --versions', 'largest', 'largest --owned', 'largest --struct 4 2',
        'list-dangling-ptrs', 'values defstash', 'values -c 5 defstash 2', 'elems mainstack',
        'size defstash', 'show defstash', 'identify main_cv',
        ( map { ( "identify $_", "show $_", "inrefs --all $_", "outrefs --all $_", "size $_" ) } @foo ),
    );
    # Every 20th SV of the heap (which SVs those are changes with each run:
    # the dump's addresses do).
    my %sampled = map { ( $_ => 1 ) } map { ( "outrefs --all $_", "inrefs --all $_", "identify $_", "show $_" ) } @sample;
    push @cmds, sort keys %sampled;
    my ( $same, @bad ) = (0);
    for my $cmd (@cmds) {
        my $want = pmat_output( $pmat, $cmd );
        next unless defined $want;     # pmat died (documented: e.g. show of UNDEF)
        my ( $rc, $got, $err ) = run_cpmat( $cpmat, '--quiet', $file, split / /, $cmd );
        utf8::decode($got);
        if( $rc == 0 and normalise( $got, $cmd ) eq normalise( $want, $cmd ) ) { $same++ }
        else {
            push @bad, $cmd;
            # the exit status and stderr too: a flake seen once was cpmat
            # failing to start (exit 127 while its binary was being rebuilt)
            diag "--- $cmd (cpmat exit $rc" . ( length $err ? ", stderr: $err" : "" ) . ")\n--- pmat:\n"
                . normalise( $want, $cmd ) . "\n--- cpmat:\n" . normalise( $got, $cmd )
                if @bad <= 3 and $ENV{TEST_VERBOSE};
        }
    }
    # pmat's owned sizes depend on its hash order: its owned_set walk pushes
    # an SV with refcount 1 once per strong reference that reaches it before
    # it is visited (counting it twice), and the walk's order follows
    # Perl's random hash order for hash values.  So `count --owned` changes
    # from one pmat run to the next (e.g. the STASH bytes by a few hundred
    # bytes, from the globs in the Config stash).  cpmat walks in file order,
    # which is one of pmat's orders: its output must equal pmat's under
    # one of several hash seeds (cpmat.pod, "Owned sizes").
    my @owned = grep { $_ eq 'count --owned' } @bad;
    @bad = grep { $_ ne 'count --owned' } @bad;
    my @sampled_bad = grep { $sampled{$_} } @bad;
    @bad = grep { !$sampled{$_} } @bad;
    my $owned_ok = !@owned;
    if( @owned and my $pmat_bin = pmat_bin() ) {
        my ( undef, $got ) = run_cpmat( $cpmat, '--quiet', $file, qw( count --owned ) );
        utf8::decode($got);
        for my $seed ( 1 .. 12 ) {
            local $ENV{PERL_HASH_SEED} = $seed;
            local $ENV{PERL_PERTURB_KEYS} = 0;
            my $want = `$pmat_bin --quiet $file count --owned 2>/dev/null`;
            utf8::decode($want);
            $owned_ok = 1, last if normalise( $got, 'count --owned' ) eq normalise( $want, 'count --owned' );
        }
    }
    ok( $owned_ok, "$name: count --owned = pmat's under one of its hash orders" );
    is( scalar @bad, 0, "$name: cpmat = pmat for all " . ( $same + @bad + @owned + @sampled_bad ) . " commands but count --owned and the sampled SVs' (below)" )
        or diag "differ: @bad[0 .. ( $#bad < 9 ? $#bad : 9 )]";
    is( scalar @sampled_bad, 0, "$name: show/identify/inrefs/outrefs of every 20th SV = pmat" )
        or diag "differ: @sampled_bad";   # TEST_VERBOSE=1 shows each with cpmat's exit status
}

my %known = map { $_ => 1 } known_pmat_warnings();
is_deeply( [ grep { !$known{$_} } sort keys %pmat_warned ], [],
    "pmat $Devel::MAT::VERSION warned only in its known bugs (" . ( join( ', ', sort keys %known ) || 'none' ) . '): those are not compared' );

done_testing;
