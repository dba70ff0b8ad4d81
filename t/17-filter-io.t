#!/usr/bin/perl
# Source filters.  filter_add() turns each filter's data SV into a PVIO that
# is no file handle: IoDIRP holds the filter function (IOf_FAKE_DIRP), the
# SV's string buffer lies where a real IO keeps its PerlIO (IoIFP), and the
# "top GV" slot holds whatever the filter keeps there (Filter::Util::Call its
# object, the UTF-16 reader a plain string).  Taking that buffer for a PerlIO
# crashed the dump.  A filter is active while its file compiles, so a dump
# from a BEGIN block, a compile-time warning or a signal handled then sees it.
use strict;
use warnings;
use Test::More;
use File::Temp qw( tempdir );
use lib 't/fixtures';
use TriggerHelp;
use lib 't/lib';
use ReaderFormat;    # Devel::MAT loads the dumps: in the format it reads

my $dir = tempdir( CLEANUP => 1 );

sub spew
{
    my ( $name, $bytes ) = @_;
    open my $fh, '>:raw', "$dir/$name" or die "$name: $!";
    print $fh $bytes;
    close $fh or die;
    return "$dir/$name";
}

# A Filter::Util::Call object filter: it rewrites FOO to 42.
spew( 'MyFilter.pm', <<'E' );
package MyFilter;
use Filter::Util::Call;
sub import { filter_add( bless { tag => 'the filter object' }, shift ) }
sub filter { my $st = filter_read(); s/\bFOO\b/42/g if $st > 0; $st }
1;
E

# The IO records of a dump that are filters, not handles: by what they point
# at.  Returns ( status of cpmat, [ IO lines ], { addr => SV line } ).
sub dump_lines
{
    my ( $file ) = @_;
    my ( $rc, $out ) = cpmat( $file, 'dump' );
    my %sv = map { /^SV (0x[0-9a-f]+) / ? ( $1 => $_ ) : () } split /\n/, $out;
    return ( $rc, \%sv );
}

# The IO whose "top GV" is a REF to the MyFilter object.
sub filter_object_io
{
    my ( $sv ) = @_;
    for my $line ( values %$sv ) {
        my ( $top ) = $line =~ /^SV 0x[0-9a-f]+ IO .* top=(0x[0-9a-f]+)/ or next;
        my ( $rv ) = ( $sv->{$top} // '' ) =~ /^SV 0x[0-9a-f]+ REF .* rv=(0x[0-9a-f]+)/ or next;
        my $obj = $sv->{$rv} // '';
        my ( $stash ) = $obj =~ /^SV 0x[0-9a-f]+ HASH .* blessed=(0x[0-9a-f]+)/ or next;
        return $line if ( $sv->{$stash} // '' ) =~ /name="MyFilter"/;
    }
    return undef;
}

sub check_filter_dump
{
    my ( $what, $file, %o ) = @_;
    ok( -e $file, "$what: the dump is there" ) or return;
    my ( $rc, $sv ) = dump_lines( $file );
    is( $rc, 0, "$what: cpmat reads it" );
    my $io = filter_object_io( $sv );
    ok( $io, "$what: the filter's IO points at the filter object" );
    like( $io // '', qr/ ifileno=-1 ofileno=-1 /, "$what: ... and has no file numbers" );
    my ( $size ) = ( $io // '' ) =~ / size=(\d+)/;
    # The buffer is the filter's (perl frees it with the IO): counted in.
    cmp_ok( $size // 0, '>', io_handle_size( $sv ), "$what: its size counts its buffer" );
    if ( eval { require Devel::MAT; 1 } ) {
        ok( eval { Devel::MAT->load( $file ); 1 }, "$what: Devel::MAT loads it" ) or diag $@;
    }
}

# The size of an IO without a buffer: STDIN's.
sub io_handle_size
{
    my ( $sv ) = @_;
    my ( $s ) = map { / size=(\d+)/ } grep { / IO .* ifileno=0 / } values %$sv;
    return $s // 0;
}

subtest 'dump() in a BEGIN block of a filtered file' => sub {
    my $src = spew( 'begin.pl', <<'E' );
use MyFilter;
BEGIN { Devel::MAT::Dumper::dump( "$ENV{PMAT_DIR}/begin.pmat" ) }
print FOO, "\n";
E
    local $ENV{PMAT_DIR} = $dir;
    my ( $st, $out ) = run_perl( { dir => $dir }, "-I$dir", '-MDevel::MAT::Dumper=' . ReaderFormat::opt(), $src );
    is( $st, 0, 'exit 0' );
    is( $out, "42\n", 'the filter did its work' );
    check_filter_dump( 'BEGIN', "$dir/begin.pmat" );
};

subtest '-dump_at_WARN on a warning the lexer raises in a filtered file' => sub {
    my $src = spew( 'warn.pl', <<'E' );
use MyFilter;
my $x = FOO;
my $x = FOO;
print "$x\n";
E
    my ( $st, $out, $err ) = run_perl( { dir => $dir }, "-I$dir",
        "-MDevel::MAT::Dumper=-dump_at_WARN,-file,$dir/warn-NNN.pmat," . ReaderFormat::opt(), '-w', $src );
    is( $st, 0, 'exit 0' );
    like( $err, qr/"my" variable \$x masks earlier declaration/, 'the warning came' );
    like( $err, qr/^Dumping to \Q$dir\E\/warn-0\.pmat because of WARN$/m, 'and was dumped' );
    check_filter_dump( 'WARN', "$dir/warn-0.pmat" );
};

subtest 'a burst of SIGQUITs while a filtered file compiles' => sub {
    my $src = spew( 'quit.pl', <<'E' );
use MyFilter;
BEGIN { for ( 1 .. 3 ) { kill QUIT => $$ for 1 .. 5; my $i = 0; $i++ while $i < 20000 } }
BEGIN { kill QUIT => $$; my $i = 0; $i++ while $i < 20000 }
print FOO, "\n";
E
    my ( $st, $out, $err ) = run_perl( { dir => $dir }, "-I$dir",
        "-MDevel::MAT::Dumper=-dump_at_SIGQUIT,-file,$dir/quit-NNN.pmat," . ReaderFormat::opt(), $src );
    is( $st, 0, 'exit 0: no crash' );
    is( $out, "42\n", 'the program ran to its end' );
    my @dumps = grep { /^quit-\d+\.pmat$/ } dir_entries( $dir );
    cmp_ok( scalar @dumps, '>=', 2, scalar( @dumps ) . ' dumps' );
    check_filter_dump( "SIGQUIT $_", "$dir/$_" ) for @dumps;
};

# perl reads a UTF-16 script through a filter of its own, whose "top GV"
# slot holds the undecoded rest of the file as a plain string.
subtest 'a UTF-16 script, dumped from its BEGIN block' => sub {
    my $text = qq{BEGIN { Devel::MAT::Dumper::dump( "\$ENV{PMAT_DIR}/utf16.pmat" ) }\nprint "utf16 ran\\n";\n};
    my $src = spew( 'utf16.pl', "\xFF\xFE" . join '', map { "$_\0" } split //, $text );
    local $ENV{PMAT_DIR} = $dir;
    my ( $st, $out ) = run_perl( { dir => $dir }, '-MDevel::MAT::Dumper=' . ReaderFormat::opt(), $src );
    is( $st, 0, 'exit 0' );
    is( $out, "utf16 ran\n", 'the script ran' );
    my ( $rc, $sv ) = dump_lines( "$dir/utf16.pmat" );
    is( $rc, 0, 'cpmat reads the dump' );
    my @filters = grep {
        my ( $top ) = / IO .* top=(0x[0-9a-f]+)/;
        $top && ( $sv->{$top} // '' ) =~ / SCALAR /;
    } values %$sv;
    is( scalar @filters, 1, "one IO's top slot is the UTF-16 filter's string" );
};

done_testing;
