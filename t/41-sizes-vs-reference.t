# The SIZE we record for scalars, strings, arrays and hashes agrees with the
# reference dumper's (Debian libdevel-mat-dumper-perl) within 5%, per SV and
# per kind, on the same deterministic heap.
use strict;
use warnings;
use Test::More;
use File::Temp qw( tempdir );
use Config;
use lib 't/lib';
use ReaderFormat;    # PMAT_TEST_FORMAT: ours in the format this Devel::MAT reads

BEGIN {
    eval { require Devel::MAT; 1 }
        or plan skip_all => "Devel::MAT is not installed (Debian: libdevel-mat-perl); cannot read the reference's dump";
}

# The reference is whatever Devel::MAT::Dumper perl finds without blib/
# (the harness puts blib/ on PERL5LIB; the reference's children must not see it).
$ENV{PERL5LIB} = join ':', grep { !m{(^|/)blib(/|$)} } split /:/, $ENV{PERL5LIB} // '';
my $ref_version = qx{"$^X" -MDevel::MAT::Dumper -e "print Devel::MAT::Dumper->VERSION" 2>/dev/null};
plan skip_all => "the reference Devel::MAT::Dumper is not installed (Debian: libdevel-mat-dumper-perl)"
    unless $? == 0 and $ref_version =~ /^0\.[1-9]/ and $ref_version >= 0.40;

my $dir = tempdir( CLEANUP => 1 );
system( $^X, '-Mblib', 't/fixtures/sizes.pl', "$dir/ours.pmat" ) == 0 or BAIL_OUT("our dump failed");
system( $^X,           't/fixtures/sizes.pl', "$dir/ref.pmat" )  == 0 or BAIL_OUT("reference dump failed");

my %pm = map { $_ => Devel::MAT->load( "$dir/$_.pmat" ) } qw( ours ref );

sub within_5pct {
    my ( $ours, $ref, $what ) = @_;
    my $ok = $ref == 0 ? $ours == 0 : abs( $ours - $ref ) <= 0.05 * $ref;
    ok( $ok, "$what: ours $ours bytes, reference $ref bytes" );
}

# Per SV: the variable itself, and for containers their contents.
for my $sym ( qw( $INT $NUM $SHORT $LONG $UTF8 @SMALL @BIG @MIXED %SMALL %BIG %NESTED ) ) {
    ( my $name = $sym ) =~ s/^(.)/$1main::/;
    my %sv = map { $_ => $pm{$_}->find_symbol( $name ) } qw( ours ref );
    if( $sym eq '$NUM' and $Config{nvsize} <= $Config{ivsize} and $] >= 5.022 ) {
        # Perl keeps an NV in the SV head (a bodyless SVt_NV) where NVs fit
        # in an IV's space; the reference still adds an 8-byte body.
        is( $sv{ours}->size, $Config{sizesize} == 8 ? 24 : 12, "size of $sym: the head alone (bodyless NV)" );
        next;
    }
    within_5pct( $sv{ours}->size, $sv{ref}->size, "size of $sym" );

    if( $sv{ours}->type eq 'ARRAY' ) {
        my %sum = map { my $av = $sv{$_}; $_ => eval { my $t = 0; $t += $_->size for grep { defined } $av->elems; $t } } qw( ours ref );
        within_5pct( $sum{ours}, $sum{ref}, "size of the elements of $sym" );
    }
    elsif( $sv{ours}->type eq 'HASH' ) {
        my %sum = map { my $hv = $sv{$_}; $_ => eval { my $t = 0; $t += $_->size for grep { defined } $hv->values; $t } } qw( ours ref );
        within_5pct( $sum{ours}, $sum{ref}, "size of the values of $sym" );
    }
}

# Per kind, over everything the fixture's variables hold (the two dumpers'
# own modules differ, so whole-heap totals would compare unlike heaps).
my %bytes;
for my $which ( qw( ours ref ) ) {
    my %seen;
    my @queue = map { ( my $n = $_ ) =~ s/^(.)/$1main::/; $pm{$which}->find_symbol( $n ) }
        qw( $INT $NUM $SHORT $LONG $UTF8 @SMALL @BIG @MIXED %SMALL %BIG %NESTED );
    while( my $sv = shift @queue ) {
        next if $seen{ $sv->addr }++;
        $bytes{$which}{ $sv->type } += $sv->size;
        push @queue, grep { defined } $sv->elems  if $sv->type eq 'ARRAY';
        push @queue, grep { defined } $sv->values if $sv->type eq 'HASH';
        push @queue, $sv->rv                      if $sv->type eq 'REF';
    }
}
within_5pct( $bytes{ours}{$_} // 0, $bytes{ref}{$_} // 0, "total bytes of kind $_ held by the fixture" )
    for qw( SCALAR REF ARRAY HASH );

done_testing;
