# Debian's XS modules that register helpers, through our dump and the
# reference's: Future::AsyncAwait's magic helper (the pad of a suspended
# async sub) and Syntax::Keyword::Dynamically's package helper (a value set
# with `dynamically` in a suspended sub).  The identify path of an object
# only they hold must be the same through both dumps, read by cpmat and by
# Devel::MAT's pmat, addresses aside.
use strict;
use warnings;
use Test::More;
use Cwd qw(abs_path);
use File::Temp qw(tempdir);
use lib 't/lib';
use ReaderFormat;    # PMAT_TEST_FORMAT: the fixture dumps in the format Devel::MAT here reads

eval { require Future::AsyncAwait; require Future; 1 }
    or plan skip_all => 'Future::AsyncAwait is not installed (libfuture-asyncawait-perl)';

my $ROOT    = abs_path('.');
my $CPMAT   = "$ROOT/blib/script/cpmat";
my $FIXTURE = "$ROOT/t/fixtures/helpers/async.pl";
my $tmp     = tempdir( CLEANUP => 1 );
my $have_pmat = defined ReaderFormat::pmat_tool('pmat');
my @plain_inc = grep { !m{/blib/} && !/^blib/ } split /:/, $ENV{PERL5LIB} // '';
my $have_ref  = !system 'sh', '-c', qq{PERL5LIB='@{[ join ':', @plain_inc ]}' "$^X" -MDevel::MAT::Dumper -e1 2>/dev/null};
my $have_dyn  = eval { require Syntax::Keyword::Dynamically; 1 };

# Whether a module's shared object was built with DMD_helper.h: Debian's
# bookworm builds were, its trixie and sid builds are not.  Each perl's
# truth is asserted: a path where helpers exist, the reference's "not
# found" where they do not.
sub registers_helpers
{
    my ($mod) = @_;
    ( my $rel = $mod ) =~ s{::}{/}g;
    my ($last) = $mod =~ /(\w+)$/;
    for my $d (@INC) {
        my $so = "$d/auto/$rel/$last.so";
        next unless -f $so;
        open my $fh, '<:raw', $so or return 0;
        local $/;
        my $bin = <$fh>;
        return index( $bin, 'Devel::MAT::Dumper/%helper_per_' ) >= 0 ? 1 : 0;
    }
    return 0;
}
my %helped = ( held => registers_helpers('Future::AsyncAwait'),
               dynamic => registers_helpers('Syntax::Keyword::Dynamically') );
note "Future::AsyncAwait registers helpers: " . ( $helped{held} ? 'yes' : 'no' )
   . "; Syntax::Keyword::Dynamically: " . ( $helped{dynamic} ? 'yes' : 'no' );

# ( { NAME => ADDR }, stdout ) of the fixture dumped by 'ours' or 'reference'
sub run_fixture
{
    my ( $dumper, $file ) = @_;
    local $ENV{PERL5LIB} = join ':', @plain_inc;
    my @inc = $dumper eq 'ours' ? ( "-I$ROOT/blib/lib", "-I$ROOT/blib/arch" ) : ();
    my $out = qx{"$^X" @inc -MDevel::MAT::Dumper "$FIXTURE" "$file" 2>&1};
    is( $? >> 8, 0, "$dumper dumper: the fixture ran" ) or diag $out;
    my %addr = $out =~ /^(\w+)=(0x[0-9a-f]+)$/mg;
    return ( \%addr, $out );
}

# An identify tree as a sorted list of lines, addresses and tree drawing
# aside (sibling order follows addresses, which differ between runs).
sub path_lines
{
    my ($text) = @_;
    my @l = map { s/0x[0-9a-f]+/ADDR/g; s/^[\s\x{80}-\x{ff}|]+//; $_ } grep { !/^(Perl memory dumpfile|Heap contains)/ } split /\n/, $text;
    return [ sort @l ];
}

sub identify
{
    my ( $tool, $file, $addr ) = @_;
    my $cmd = $tool eq 'cpmat' ? qq{"$CPMAT" "$file" identify $addr} : qq{pmat "$file" identify --depth 8 $addr};
    return scalar qx{$cmd 2>&1};
}

my ( $ours, $out ) = run_fixture( 'ours', "$tmp/ours.pmat" );
like( $out, qr{^dumper=.*/blib/}m, 'ours is this build' );

my $held = identify( 'cpmat', "$tmp/ours.pmat", $ours->{held} );
if ( $helped{held} ) {
    like( $held, qr/^\S+\(via RV\) a suspended pad slot of CODE\(PP\) at 0x[0-9a-f]+, which is \(\*A\):$/m,
          'cpmat identify, our dump: the object is a suspended pad slot of the async sub' );
    unlike( $held, qr/not found/, '... and the path reaches a root' );
}
else {
    like( $held, qr/^\S+the referrant of REF\(\) at 0x[0-9a-f]+, which is:\n +\S+not found$/m,
          'this Future::AsyncAwait has no helper: the suspended pad slot is not found' );
}

SKIP: {
    skip 'Syntax::Keyword::Dynamically is not installed', 1 unless $have_dyn;
    my $dyn = identify( 'cpmat', "$tmp/ours.pmat", $ours->{dynamic} );
    if ( $helped{dynamic} ) {
        like( $dyn, qr/^\S+\(via RV\) the current value slot of UNDEF\(\)=Syntax::Keyword::Dynamically::_SuspendedDynamicVar at 0x[0-9a-f]+, which is:$/m,
              'the dynamically value: the current value slot of the suspended variable' );
    }
    else {
        like( $dyn, qr/not found/, 'this Syntax::Keyword::Dynamically has no helper: the value is not found' );
    }
}

SKIP: {
    skip 'the reference Devel::MAT::Dumper is not installed', 4 unless $have_ref;
    my ( $ref, $rout ) = run_fixture( 'reference', "$tmp/ref.pmat" );
    unlike( $rout, qr{^dumper=.*/blib/}m, 'the reference is the system one' );
    for my $what ( 'held', $have_dyn ? 'dynamic' : () ) {
        is_deeply( path_lines( identify( 'cpmat', "$tmp/ours.pmat", $ours->{$what} ) ),
                   path_lines( identify( 'cpmat', "$tmp/ref.pmat", $ref->{$what} ) ),
                   "cpmat: the $what object has the same path in both dumps" );
      SKIP: {
            skip 'pmat (Devel::MAT) is not installed for this perl', 1 unless $have_pmat;
            # Devel::MAT 0.53 cannot load some files of the reference 0.50
            # ("SV address ... is marked mortal but there is no SV"): then
            # cpmat's reading of the reference dump is the expectation.
            my $want = identify( 'pmat', "$tmp/ref.pmat", $ref->{$what} );
            my $by = 'pmat';
            ( $want, $by ) = ( identify( 'cpmat', "$tmp/ref.pmat", $ref->{$what} ), 'cpmat' )
                if $want =~ /is marked mortal but there is no SV/;
            is_deeply( path_lines( identify( 'pmat', "$tmp/ours.pmat", $ours->{$what} ) ), path_lines($want),
                       "pmat: the $what object has the same path in our dump as $by finds in the reference's" );
        }
    }
}

done_testing;
