# The helper API (Devel::MAT::Dumper::Helper, DMD_helper.h): an XS module
# whose C side holds SVs (t/xs/LRU.xs, an LRU cache) tells the dump about
# them, and "not found" becomes a path.  The module is built here, never
# installed: once against our header and once against the reference's (when
# Debian's libdevel-mat-dumper-perl is installed), and each build is dumped
# by both dumpers.  What the helpers wrote is read back through cpmat and,
# where installed, Devel::MAT's pmat.
use strict;
use warnings;
use Test::More;
use Cwd qw(abs_path);
use File::Temp qw(tempdir);
use lib 't/lib';
use HelperXS qw(build_lru reference_helper_pm reference_has_context);
use ReaderFormat;    # PMAT_TEST_FORMAT: the fixture dumps in the format pmat here reads

my $ROOT    = abs_path('.');
my $CPMAT   = "$ROOT/blib/script/cpmat";
my @OURS    = ( "-I$ROOT/blib/lib", "-I$ROOT/blib/arch" );
my $FIXTURE = "$ROOT/t/fixtures/helpers/lru.pl";
my $tmp     = tempdir( CLEANUP => !$ENV{PMAT_KEEP} );
our $run    = 0;

my $have_pmat = defined ReaderFormat::pmat_tool('pmat');
my $have_ref  = eval { local @INC = grep { !/blib/ } @INC; require Devel::MAT::Dumper; 1 }
                && defined reference_helper_pm();

my %mod;
$mod{ours} = build_lru( "$tmp/ours", 'ours' );
$mod{none} = build_lru( "$tmp/none", 'none' );
# The reference 0.42 (bullseye) has the helper API before DMDContext: the
# test module is not written for its header (DMDTEST_OLD_API is our header's
# compatibility path), so there is no reference build there.
my $ref_ctx = $have_ref && reference_has_context();
$mod{reference} = build_lru( "$tmp/reference", 'reference' ) if $ref_ctx;
$mod{old} = build_lru( "$tmp/old", 'ours', old_api => 1 );

# Run the fixture with a module build and a dumper ('ours' or 'reference');
# returns ( wait status, { NAME => 0xADDR, ... }, stdout, stderr ).
sub run_fixture
{
    my ( $opt, @args ) = @_;
    my $n = ++$run;
    my @perl = ( $^X, "-I$mod{ $opt->{module} }", ( $opt->{dumper} eq 'ours' ? @OURS : () ),
                 '-MDevel::MAT::Dumper' . ( $opt->{import} // '' ), $opt->{fixture} // $FIXTURE, @args );
    local $ENV{DMDTEST_HELPERS} = $opt->{helpers} if defined $opt->{helpers};
    # the reference dumper is the system's: no blib of ours from PERL5LIB
    local $ENV{PERL5LIB} = join ':', grep { !m{/blib/} && !/^blib/ } split /:/, $ENV{PERL5LIB} // '';
    my $pid = fork // die "fork: $!";
    if ( !$pid ) {
        chdir $tmp;
        open STDOUT, '>', "$tmp/$n.out" or die;
        open STDERR, '>', "$tmp/$n.err" or die;
        exec @perl or POSIX::_exit(127);
    }
    my $end = time + 120;
    my $st;
    while (1) {
        my $r = waitpid $pid, 1;    # WNOHANG
        if ( $r == $pid ) { $st = $?; last }
        if ( time > $end ) { kill 'KILL', $pid; waitpid $pid, 0; last }
        select undef, undef, undef, 0.02;
    }
    my ( $out, $err ) = map { local $/; open my $fh, '<', $_ or die; scalar <$fh> } "$tmp/$n.out", "$tmp/$n.err";
    my %addr = $out =~ /^(\w+)=(0x[0-9a-f]+)$/mg;
    return ( $st, \%addr, $out, $err );
}

# The reference dumper's $VERSION (the system's, not our blib).
sub reference_version
{
    our $REF_VERSION //= do {
        local $ENV{PERL5LIB} = join ':', grep { !m{/blib/} && !/^blib/ } split /:/, $ENV{PERL5LIB} // '';
        my $v = `$^X -MDevel::MAT::Dumper -e 'print \$Devel::MAT::Dumper::VERSION'`;
        $v =~ /^\d+\.\d+$/ ? $v : 0;
    };
    return $REF_VERSION;
}

sub cpmat { my ( $f, @cmd ) = @_; my $o = qx{"$CPMAT" "$f" @cmd 2>&1}; return wantarray ? ( $? >> 8, $o ) : $o }
# pmat 0.51 reads the IV-is-UV flag the other way round (cpmat.pod,
# "Differences from pmat"): a blessed IV is SCALAR(UV) to it.
sub pmat  { my ( $f, @cmd ) = @_; my $o = qx{pmat "$f" @cmd 2>&1}; $o =~ s/SCALAR\(UV\)/SCALAR(IV)/g; return wantarray ? ( $? >> 8, $o ) : $o }

# What the helpers wrote, addresses named after the fixture's (others as
# ADDR), in file order: the part of a dump that both dumpers must agree on.
sub helper_records
{
    my ( $file, $addr ) = @_;
    my %name = reverse %$addr;
    my @r = grep { /^(SVSV_NOTE|META_STRUCT|SV 0x[0-9a-f]+ C_STRUCT)/ } split /\n/, cpmat( $file, 'dump' );
    s/(0x[0-9a-f]+)/$name{$1} \/\/ 'ADDR'/ge for @r;
    return [ sort @r ];
}

# The identify tree without its preamble (the object count differs).
sub tree { my ($t) = @_; $t =~ s/\A.*?\n(?=\S+.* is:\n)//s; return $t }

subtest 'without helpers, the cached object is not found' => sub {
    my ( $st, $a ) = run_fixture( { module => 'none', dumper => 'ours' }, 'dump', "$tmp/none.pmat" );
    is( $st, 0, 'the fixture ran' );
    my $id = cpmat( "$tmp/none.pmat", 'identify', $a->{cached} );
    like( $id, qr/^HASH\(1\)=Cached::Thing at $a->{cached} is:\n\S+the referrant of REF\(\) at 0x[0-9a-f]+, which is:\n +\S+not found\n\z/m,
          'cpmat identify: not found' );
    unlike( cpmat( "$tmp/none.pmat", 'dump' ), qr/^(SVSV_NOTE|META_STRUCT)/m, 'no helper records' );
};

my %file;
subtest 'our dump, our header: annotated paths, the root, the struct' => sub {
    my ( $st, $a, $out, $err ) = run_fixture( { module => 'ours', dumper => 'ours' }, 'dump', "$tmp/ours.pmat" );
    is( $st, 0, 'the fixture ran' );
    is( $err, '', 'nothing on STDERR' );
    $file{ours} = [ "$tmp/ours.pmat", $a ];
    my $f = "$tmp/ours.pmat";

    my $id = cpmat( $f, 'identify', $a->{cached} );
    like( $id, qr/^\S+\(via RV\) the LRU slot \[1\] of SCALAR\(IV\)=DMDTest::LRU at $a->{cache}, which is:$/m,
          'cpmat identify: the cached object is the LRU slot [1] of the cache' );
    like( $id, qr/^ *\S+\(via RV\) the lexical \$cache at depth 1 of CODE\(\) at 0x[0-9a-f]+=main_cv, which is:$/m,
          '... which is held by the lexical $cache' );
    unlike( $id, qr/not found/, '... and nothing is unexplained' );

    my $pin = cpmat( $f, 'identify', $a->{pinned} );
    like( $pin, qr/^\S+\(via RV\) the pinned value of REF\(\) at $a->{pinned_to}, which is:\n +\S+the lexical \$pinned_to at depth 1 of CODE/m,
          'the magic helper: the pinned object is the pinned value of $pinned_to' );

    my $gone = cpmat( $f, 'identify', $a->{evicted} );
    like( $gone, qr/^\S+\(via RV\) element \[0\] of ARRAY\(1\) at $a->{graveyard}=\+the DMDTest::LRU graveyard, which is:\n +\S+the DMDTest::LRU graveyard$/m,
          'DMD_ADD_ROOT: the evicted object is in the graveyard root' );
    like( cpmat( $f, 'roots' ), qr/^the DMDTest::LRU graveyard +: ARRAY\(1\) at $a->{graveyard}=\+the DMDTest::LRU graveyard$/m,
          'roots lists the graveyard' );

    my $show = cpmat( $f, 'show', $a->{table} );
    is( ( split /\n/, $show, 3 )[2],
        "C_STRUCT(DMDTest::LRU/lru) at $a->{table} with refcount 4294967295\n  size 40 bytes\n"
      . "  the first slot=SCALAR(PV) at " . ( $show =~ /the first slot=SCALAR\(PV\) at (0x[0-9a-f]+)/ )[0]
      . " = \"a string\"\n  capacity=2\n  used=2\n  full=true\n  puts=3\n  head=1\n",
        'show: the struct with its fields' );
    like( cpmat( $f, 'outrefs', $a->{table} ), qr/^s  the first slot +SCALAR\(PV\) at 0x[0-9a-f]+$/m,
          'outrefs: the pointer field is a strong reference' );
    like( cpmat( $f, 'outrefs', $a->{cache} ), qr/^s  the LRU table +C_STRUCT\(DMDTest::LRU\/lru\) at $a->{table}$/m,
          'outrefs of the cache: its table' );
    like( cpmat( $f, 'find', 'struct', 'DMDTest::LRU/lru' ), qr/^C_STRUCT\(DMDTest::LRU\/lru\) at $a->{table}: DMDTest::LRU\/lru$/m,
          'find struct' );

    # the REF in slot [1]: its referrers include the annotation
    my ($slot1) = cpmat( $f, 'dump' ) =~ /^SVSV_NOTE $a->{cache} sv=(0x[0-9a-f]+) name="the LRU slot \[1\]"$/m;
    like( cpmat( $f, 'inrefs', $slot1 ), qr/^s  the LRU slot \[1\] +SCALAR\(IV\)=DMDTest::LRU at $a->{cache}$/m,
          'inrefs of the REF in slot [1]: the annotation from the cache' );

  SKIP: {
        skip 'pmat (Devel::MAT) is not installed for this perl', 8 unless $have_pmat;
        for my $what (qw(cached pinned evicted)) {
            my $p = tree( pmat( $f, 'identify', $a->{$what} ) );
            is( $p, tree( cpmat( $f, 'identify', $a->{$what} ) ), "pmat identify of the $what object says what cpmat says" );
        }
        like( scalar pmat( $f, 'roots' ), qr/^the DMDTest::LRU graveyard +: ARRAY\(1\) at $a->{graveyard}=\+the DMDTest::LRU graveyard$/m,
              'pmat roots lists the graveyard' );
        for my $cmd ( 'show', 'outrefs' ) {
            is( ( split /\n/, pmat( $f, $cmd, $a->{table} ), 3 )[2], ( split /\n/, cpmat( $f, $cmd, $a->{table} ), 3 )[2],
                "pmat $cmd of the struct says what cpmat says" );
        }
        is( ( split /\n/, pmat( $f, 'inrefs', $slot1 ), 3 )[2], ( split /\n/, cpmat( $f, 'inrefs', $slot1 ), 3 )[2],
            'pmat inrefs of the annotated REF says what cpmat says' );
        my @p = sort split /\n/, pmat( $f, 'find', 'struct', 'DMDTest::LRU/lru' );
        my @c = sort split /\n/, cpmat( $f, 'find', 'struct', 'DMDTest::LRU/lru' );
        is( "@p[grep { $p[$_] =~ /^C_STRUCT/ } 0 .. $#p]", "@c[grep { $c[$_] =~ /^C_STRUCT/ } 0 .. $#c]",
            'pmat find struct finds the same structs' );
    }
};

subtest 'built twice, dumped twice: the same helper records' => sub {
    plan skip_all => "Debian's Devel::MAT::Dumper::Helper is not installed" unless $have_ref;
    my $want = helper_records( @{ $file{ours} } );
    ok( scalar(@$want) >= 8, scalar(@$want) . ' helper records in our dump of our build' );
    # With the reference 0.42 (no DMDContext API), only our build is run
    # through it: 0.42 does not look for helpers the newer API registers.
    my $ctx = $ref_ctx;
    my %got;
    for my $module ( $ctx ? qw(ours reference) : qw(ours) ) {
        for my $dumper (qw(ours reference)) {
            next if $module eq 'ours' && $dumper eq 'ours';
            my $f = "$tmp/$module-$dumper.pmat";
            my ( $st, $a, $out ) = run_fixture( { module => $module, dumper => $dumper }, 'dump', $f );
            my ($pm) = $out =~ /^dumper=(.*)$/m;
            ok( $dumper eq 'ours' ? $pm =~ m{/blib/} : $pm !~ m{/blib/}, "$module header, $dumper dumper: $pm" );
            is( $st, 0, "$module header, $dumper dumper: ran" );
            $got{$module}{$dumper} = helper_records( $f, $a );
            if ( $ctx ) {
                is_deeply( $got{$module}{$dumper}, $want, "$module header, $dumper dumper: the same records" )
                    or diag explain $got{$module}{$dumper}, $want;
            }
            elsif ( $module eq 'ours' ) {
                is_deeply( $got{$module}{$dumper}, [], "ours header, a reference without the DMDContext API: no helper records" );
            }
        }
    }
};

subtest 'a helper that annotates garbage' => sub {
    my ( $st, $a, $out, $err ) = run_fixture( { module => 'ours', dumper => 'ours', helpers => 'package,garbage' },
                                             'dump', "$tmp/garbage.pmat" );
    is( $st, 0, 'the fixture ran' );
    # two notes with no SV or struct at one end, one struct whose field
    # count differs from the first of its name
    is( $err, "Devel::MAT::Dumper: dropped 3 helper annotation(s) that named no SV or struct of the dump\n",
        'one line counts the dropped records' ) or diag explain $err;
    my ( $rc, $info ) = cpmat( "$tmp/garbage.pmat", 'info' );
    is( $rc, 0, 'the file reads back' ) or diag $info;
    my $recs = join "\n", @{ helper_records( "$tmp/garbage.pmat", $a ) };
    like( $recs, qr/name="a static array"/, 'a note to a struct of the dump is kept' ) or diag $recs;
    unlike( $recs, qr/from a static array|middle of an SV head/, 'notes from or to no SV are not' );
    is( () = $recs =~ /structname="DMDTest::LRU\/odd"/g, 1, 'the struct with the wrong field count is not' );
  SKIP: {
        skip 'pmat (Devel::MAT) is not installed for this perl', 1 unless $have_pmat;
        like( scalar pmat( "$tmp/garbage.pmat", 'count' ), qr/^\s*Kind\b/m, 'Devel::MAT loads it' );
    }
};

# A subclass gets the helpers of its ancestors: each helper once, in MRO
# order.  The reference 0.46 walks @ISA depth-first instead and calls a
# helper reached twice (a diamond) twice (0.50 and 0.52 do not), and
# crashes on an @ISA entry that names
# no package (0.46, on a subclass whose only parent was such a name); we
# take perl's linearised @ISA.
subtest 'a subclass: the helpers of its ancestors, each once' => sub {
    my $fx = "$ROOT/t/fixtures/helpers/mro.pl";
    my $slots = sub {
        my ( $file, $addr ) = @_;
        return scalar grep { /^SVSV_NOTE .*name="the LRU slot \[\d\]"/ && /\Q$addr\E/ } split /\n/, cpmat( $file, 'dump' );
    };
    for my $c ( [ 'DMDTest::Garbage', 'a grandparent' ], [ 'DMDTest::LRU,DMDTest::Garbage', 'a diamond' ],
                [ 'No::Such::Package,DMDTest::Garbage', 'an @ISA entry that names no package' ] ) {
        my ( $isa, $what ) = @$c;
        my $file = "$tmp/mro." . ( $run + 1 ) . ".pmat";
        my ( $st, $a, $out, $err ) = run_fixture( { module => 'ours', dumper => 'ours', fixture => $fx, helpers => 'package' },
                                                 $isa, $file );
        is( $st, 0, "$what: the fixture ran" ) or diag $err;
        like( $out, qr/^mro=My::Sub .*DMDTest::LRU/m, "$what: DMDTest::LRU is in the MRO" );
        is( $slots->( $file, $a->{object} ), 2, "$what: the LRU helper ran once (a note per slot)" );
        next unless $mod{reference} && $isa =~ /^DMDTest::LRU,/;
        $file = "$tmp/mro.ref.pmat";
        ( $st, $a ) = run_fixture( { module => 'reference', dumper => 'reference', fixture => $fx, helpers => 'package' },
                                   $isa, $file );
        is( $st, 0, "$what, the reference: the fixture ran" );
        # 0.46 (bookworm) walks @ISA depth-first and calls the diamond's
        # helper twice; 0.50 (trixie) and 0.52 (sid) call it once
        my $twice = reference_version() < 0.50;
        is( $slots->( $file, $a->{object} ), $twice ? 4 : 2,
            "$what, the reference " . reference_version() . ': the LRU helper ran ' . ( $twice ? 'twice' : 'once' ) );
    }
};

# The helpers run on the dumping thread after the walk: the same records
# whichever way the dump was triggered.
subtest 'helpers in a split walk, a fork-mode dump, a SIGQUIT dump' => sub {
    my ( $st, $a, $out ) = run_fixture( { module => 'ours', dumper => 'ours' }, 'dump', "$tmp/split.pmat" );
    my ($walkers) = $out =~ /^walkers=(\d+)$/m;
    my $want = helper_records( "$tmp/split.pmat", $a );
    ok( scalar(@$want) >= 8, "dump() with $walkers walker(s): " . scalar(@$want) . ' helper records' );

    ( $st, $a ) = run_fixture( { module => 'ours', dumper => 'ours' }, 'fork', "$tmp/fork.pmat" );
    is( $st, 0, 'dump_fork ran' );
    is_deeply( helper_records( "$tmp/fork.pmat", $a ), $want, 'the fork-mode dump has the same records' );

    my $err;
    ( $st, $a, $out, $err ) = run_fixture( { module => 'ours', dumper => 'ours',
                                             import => "=-dump_at_SIGQUIT,-file,$tmp/quit-NNN.pmat" }, 'quit' );
    is( $st, 0, 'the SIGQUIT program ran on' );
    like( $err, qr/^Dumping to \Q$tmp\E\/quit-0\.pmat because of SIGQUIT$/m, 'it dumped' );
    is_deeply( helper_records( "$tmp/quit-0.pmat", $a ), $want, 'the SIGQUIT dump has the same records' );
};

subtest 'a package helper for 10,000 objects' => sub {
    my ( $st, $a, $out, $err ) = run_fixture( { module => 'ours', dumper => 'ours' }, 'many', 10000, "$tmp/many.pmat" );
    is( $st, 0, 'the fixture ran' );
    is( $err, '', 'nothing on STDERR' );
    my $dump = cpmat( "$tmp/many.pmat", 'dump' );
    is( () = $dump =~ /^SV 0x[0-9a-f]+ C_STRUCT .*structname="DMDTest::LRU\/lru"/mg, 10002, 'a struct for each cache' );
    # (the fixture's DMDTest::Garbage object holds nothing)
    is( () = $dump =~ /^SVSV_NOTE .* name="the LRU slot \[0\]"$/mg, 10001, 'a slot note for each that holds one' );
    is( () = $dump =~ /^SVSV_NOTE .* name="the LRU table"$/mg, 10002, 'a note of its table for each' );
    is( () = $dump =~ /^META_STRUCT /mg, 1, 'one META_STRUCT' );
};

# Helpers built without WANT_DMD_API_044 register in package hashes and get
# no context.  The reference 0.46 and later no longer calls them (it says so
# on STDERR); we do.
subtest 'helpers of the API before 0.44' => sub {
    my ( $st, $a, $out, $err ) = run_fixture( { module => 'old', dumper => 'ours' }, 'dump', "$tmp/old.pmat" );
    is( $st, 0, 'the fixture ran' );
    is( $err, '', 'nothing on STDERR' );
    my $recs = helper_records( "$tmp/old.pmat", $a );
    is_deeply( $recs, [ 'SVSV_NOTE cache sv=ADDR name="the LRU slot [0]"', 'SVSV_NOTE cache sv=ADDR name="the LRU slot [1]"',
                        'SVSV_NOTE pinned_to sv=ADDR name="the pinned value"' ],
               'their notes, and no struct (that API has none)' );
    like( cpmat( "$tmp/old.pmat", 'identify', $a->{cached} ), qr/^\S+\(via RV\) the LRU slot \[1\] of SCALAR\(IV\)=DMDTest::LRU at $a->{cache}, which is:$/m,
          'identify follows them' );
};

# The leak summary asks whether anything reachable from the roots holds a
# candidate: an annotation is such a reference.
subtest 'cpmat-leakreport --summary counts annotated references' => sub {
    my $leakreport = "$ROOT/blib/script/cpmat-leakreport";
    for my $module (qw(none ours)) {
        my $d = tempdir( DIR => $tmp );
        my ($st) = run_fixture( { module => $module, dumper => 'ours' }, 'series', $d );
        is( $st, 0, "$module: four dumps" );
        my $sum = qx{"$leakreport" --summary $d/s-0.pmat $d/s-1.pmat $d/s-2.pmat $d/s-3.pmat 2>&1};
        my ($group) = $sum =~ /^(GROUP Leak::Item: .*)$/m;
        like( $group // $sum, $module eq 'none'
              ? qr/^GROUP Leak::Item: \d+ SVs, .*; held outside Perl's view: nothing reachable from the roots refers to them/
              : qr/^GROUP Leak::Item: \d+ SVs, .*; held by Perl data reachable from the roots$/,
              $module eq 'none' ? 'without helpers: held outside Perl\'s view' : 'with the helper: held by Perl data' );
    }
};

subtest 'the build-script side: MakeMaker and Module::Build' => sub {
    require "$ROOT/lib/Devel/MAT/Dumper/Helper.pm";
    my $d = tempdir( CLEANUP => 1 );
    require Cwd;
    my $was = Cwd::getcwd();
    chdir $d or die;
    my %args = Devel::MAT::Dumper::Helper->extend_makemaker( NAME => 'My::Cache', DEFINE => '-DX=1', INC => '-Iinc' );
    is_deeply( \%args, { NAME => 'My::Cache', DEFINE => '-DX=1 -DHAVE_DMD_HELPER', INC => '-Iinc -I.' },
               'extend_makemaker: DEFINE and INC extended, the rest kept' );
    ok( -s 'DMD_helper.h', '... and DMD_helper.h written' );
    unlink 'DMD_helper.h';
    my $mb = bless { flags => ['-O0'] }, 'FakeBuild';
    ok( Devel::MAT::Dumper::Helper->extend_module_build($mb), 'extend_module_build' );
    is_deeply( $mb->{flags}, [ '-O0', '-DHAVE_DMD_HELPER', '-I.' ], '... adds the flags after the existing ones' );
    ok( -s 'DMD_helper.h', '... and writes DMD_helper.h' );
    chdir $was;
};

package FakeBuild { sub extra_compiler_flags { my $s = shift; $s->{flags} = [@_] if @_; $s->{flags} } }

done_testing;
