package ReaderFormat;

# The PMAT format our dumps must be written in for the Devel::MAT installed
# here to read them: 0.6 (our default) from Devel::MAT 0.53 on, 0.4 before
# (0.51, Debian bookworm's, stops at v0.5).  Tests that load our files with
# Devel::MAT, or compare them with Devel::MAT's answers, dump in this format;
# with no Devel::MAT installed it is the default, 0.6.
#
#   $Devel::MAT::Dumper::FORMAT = ReaderFormat::format();      # in-process
#   "-MDevel::MAT::Dumper=-dump_at_END," . ReaderFormat::opt()   # a child
#   $ENV{PMAT_TEST_FORMAT}                                      # fixtures

use strict;
use warnings;

my $FORMAT;

sub format
{
    return $FORMAT //= do {
        my $v = eval { require Devel::MAT; Devel::MAT->VERSION };
        defined $v && $v < 0.53 ? '0.4' : '0.6';
    };
}

# The import options that make a child's dumps readable here.
sub opt { return '-format,' . ReaderFormat::format() }

# A Devel::MAT tool on PATH (pmat, pmat-counts, pmat-leakreport), but only
# when this perl has Devel::MAT: a tool that belongs to another perl (the
# host's, as seen from a perl built from source) reads with that perl's
# Devel::MAT, whose formats need not be the one chosen above.
sub pmat_tool
{
    my ($name) = @_;
    return unless eval { require Devel::MAT; 1 };
    my ($tool) = grep { -x } map { "$_/$name" } split /:/, $ENV{PATH} // '';
    return $tool;
}

# For fixture scripts (run under our dumper and the reference's alike):
# they set $Devel::MAT::Dumper::FORMAT from it, which the reference ignores.
$ENV{PMAT_TEST_FORMAT} = ReaderFormat::format();

1;
