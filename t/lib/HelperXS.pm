package HelperXS;

# Builds the test suite's XS module (t/xs/LRU.xs) into a directory of its
# own, against a given DMD_helper.h: ours (lib/Devel/MAT/Dumper/Helper.pm
# writes it) or the reference's (Debian's libdevel-mat-dumper-perl).  The
# module is never installed; a test puts the directory on @INC of the perl
# it runs.

use strict;
use warnings;

use Config;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path);
use File::Spec;
use Exporter qw(import);

our @EXPORT_OK = qw(build_lru reference_helper_pm);

my $ROOT = abs_path( File::Spec->catdir( dirname(__FILE__), '..', '..' ) );

# Where Debian's Devel::MAT::Dumper::Helper is, if installed: the system
# perl's @INC without our blib.
sub reference_helper_pm
{
    for my $d ( @Config{qw(vendorarchexp vendorlibexp sitearchexp sitelibexp)} ) {
        next unless defined $d && length $d;
        my $f = "$d/Devel/MAT/Dumper/Helper.pm";
        return $f if -f $f && $f !~ m{/blib/};
    }
    return;
}

# build_lru( $dir, $header [, old_api => 1] ): $header is 'ours',
# 'reference' or 'none' (compiled without HAVE_DMD_HELPER); old_api builds
# against the header's API before 0.44.  Returns $dir, which then holds
# DMDTest/LRU.pm and auto/DMDTest/LRU/LRU.so.  Dies with the compiler's
# output on failure.
sub build_lru
{
    my ( $dir, $header, %opt ) = @_;
    require ExtUtils::CBuilder;
    require ExtUtils::ParseXS;

    make_path( "$dir/src", "$dir/DMDTest", "$dir/auto/DMDTest/LRU" );
    my @defines;
    if ( $header ne 'none' ) {
        my $pm = $header eq 'ours' ? "$ROOT/lib/Devel/MAT/Dumper/Helper.pm" : reference_helper_pm()
            or die "no reference Devel::MAT::Dumper::Helper installed\n";
        # write_DMD_helper_h writes into the current directory
        my $pid = fork // die "fork: $!";
        if ( !$pid ) {
            chdir "$dir/src" or die "chdir: $!";
            # only the one file, with whatever else is on @INC
            do $pm or die "loading $pm: " . ( $@ || $! );
            eval { Devel::MAT::Dumper::Helper->write_DMD_helper_h; 1 } or die $@;
            exit 0;
        }
        waitpid $pid, 0;
        die "write_DMD_helper_h ($header) failed\n" if $? || !-s "$dir/src/DMD_helper.h";
        @defines = ( '-DHAVE_DMD_HELPER', "-I$dir/src", $opt{old_api} ? '-DDMDTEST_OLD_API' : () );
    }

    my $c = "$dir/src/LRU.c";
    ExtUtils::ParseXS->new->process_file(
        filename => "$ROOT/t/xs/LRU.xs", output => $c, prototypes => 0,
        typemap => [ "$Config{privlibexp}/ExtUtils/typemap" ],
    );
    my $out = '';
    my $cb = ExtUtils::CBuilder->new( quiet => 1 );
    my $obj = eval {
        _quietly( \$out, sub {
            $cb->compile( source => $c, object_file => "$dir/src/LRU$Config{obj_ext}",
                          extra_compiler_flags => [ '-Wall', '-Wextra', '-Wno-unused-parameter', @defines ] )
        } );
    } or die "compiling LRU.xs ($header) failed: $@$out";
    my $so = "$dir/auto/DMDTest/LRU/LRU.$Config{dlext}";
    eval {
        _quietly( \$out, sub { $cb->link( objects => [$obj], lib_file => $so, module_name => 'DMDTest::LRU' ) } );
        1;
    } or die "linking LRU ($header) failed: $@$out";

    open my $fh, '>', "$dir/DMDTest/LRU.pm" or die "$dir/DMDTest/LRU.pm: $!";
    print $fh "package DMDTest::LRU;\nuse strict;\nrequire XSLoader;\nXSLoader::load('DMDTest::LRU');\n"
            . "package DMDTest::Garbage;\nour \@ISA = ('DMDTest::LRU');\n1;\n";
    close $fh;
    return $dir;
}

# Run $code with fd 1 and 2 going to a string (the compiler's chatter),
# returning its value.
sub _quietly
{
    my ( $out, $code ) = @_;
    open my $o1, '>&', \*STDOUT or die;
    open my $o2, '>&', \*STDERR or die;
    my $tmp = File::Spec->catfile( File::Spec->tmpdir, "helperxs-$$.log" );
    open STDOUT, '>', $tmp or die;
    open STDERR, '>&', \*STDOUT or die;
    my @r = eval { $code->() };
    my $e = $@;
    open STDOUT, '>&', $o1;
    open STDERR, '>&', $o2;
    if ( open my $l, '<', $tmp ) { local $/; $$out = <$l> // '' }
    unlink $tmp;
    die $e if $e;
    return wantarray ? @r : $r[0];
}

1;
