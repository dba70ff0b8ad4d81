#!/usr/bin/perl
# cpmat's dump must agree with the reference reader, Devel::MAT::Dumpfile:
# every SV with its common fields and the type-specific ones, the roots,
# the stack and the contexts.  Skipped when Devel::MAT is not installed.
use strict;
use warnings;
no warnings qw( portable );   # 64-bit addresses via hex()
use Test::More;
use File::Temp qw( tempdir );
use File::Spec;
use lib 't/lib';
use ReaderFormat;    # Devel::MAT::Dumpfile reads the dump: in the format it reads

my $cpmat = $ENV{PMAT_CPMAT};
unless( defined $cpmat ) {
    ( $cpmat ) = grep { -x $_ } 'blib/script/cpmat', 'reader/cpmat';
}
plan skip_all => 'no cpmat built (run make, or set PMAT_CPMAT)'
    unless defined $cpmat and -x $cpmat;
eval { require Devel::MAT::Dumpfile; 1 }
    or plan skip_all => 'Devel::MAT is not installed';

my $dir = tempdir( 'reader-xcheck-XXXXXX', TMPDIR => 1, CLEANUP => 1 );
my $file = "$dir/x.pmat";

# Enough variety: numbers of each kind, strings with odd bytes, refs (one
# weak), a closure with pads and lexicals, a blessed hash, a filehandle.
my $prog = <<'EOP';
use Scalar::Util qw( weaken );
our @nums = ( 1, -7, 2**63, 3.25, -0.5, "12abc", 1e300 );
our %h = ( "a\tb" => "x\x{263a}y", "\0\xff" => [ \"q" ], n => undef );
our $weak = \@nums; weaken $weak;
our $obj = bless { k => 1 }, 'Some::Class';
sub make { my ( $x ) = @_; my @l = ( $x ); return sub { our $o; return $x + @l + $o } }
our $clo = make( 4 );
open our $fh, '<', $0;
Devel::MAT::Dumper::dump( shift );
EOP
sub make_dump {
    my ( @inc ) = @_;
    unlink $file;
    # the fallback must not find blib through PERL5LIB either
    local $ENV{PERL5LIB} = join ':', grep { !m/blib/ } split /:/, $ENV{PERL5LIB} // ''
        unless @inc;
    open my $saved, '>&', \*STDERR or die;
    open STDERR, '>', File::Spec->devnull;
    my $ok = system( $^X, ( map { "-I$_" } @inc ), "-MDevel::MAT::Dumper=" . ReaderFormat::opt(), "-e", $prog, $file ) == 0;
    open STDERR, '>&', $saved or die;
    return $ok && -s $file;
}
# PMAT_XCHECK_FILE=some.pmat checks an existing dump instead.
if( $ENV{PMAT_XCHECK_FILE} ) { $file = $ENV{PMAT_XCHECK_FILE} }
else {
    make_dump( grep { !ref } @INC ) or make_dump()
        or plan skip_all => 'cannot write a dump with Devel::MAT::Dumper';
}

my $df = Devel::MAT::Dumpfile->load( $file, no_fixup => 1 );

open my $fh, '-|', $cpmat, $file, 'dump' or die "cpmat: $!";
my ( %sv, @roots, @stack, @ctx, %magic, $header );
while( <$fh> ) {
    chomp;
    if( m/^SV (0x[0-9a-f]+) (\S+) (.*)$/ ) {
        $sv{ hex $1 } = { type => $2, fields( $3 ) };
    }
    elsif( m/^ROOT (\S+) (0x[0-9a-f]+)$/ ) { push @roots, [ $1, hex $2 ] }
    elsif( m/^STACK (\d+) (0x[0-9a-f]+)$/ ) { push @stack, hex $2 }
    elsif( m/^CTX (\d+) (\S+) (.*)$/ ) { push @ctx, { type => $2, fields( $3 ) } }
    elsif( m/^MAGIC (0x[0-9a-f]+) (.*)$/ ) { push @{ $magic{ hex $1 } }, { fields( $2 ) } }
    elsif( m/^HEADER / ) { $header = $_ }
}
close $fh;
is( $?, 0, 'cpmat dump exits 0' );

# name=value pairs of a dump line; values keep their syntax
sub fields {
    my ( $s ) = @_;
    my %f;
    while( $s =~ m/\G\s*(\w+)=("(?:[^"\\]|\\.)*"|\[[^\]]*\]|\{(?:"(?:[^"\\]|\\.)*"|[^}"])*\}|\S+)/gc ) {
        $f{$1} = $2;
    }
    return %f;
}
sub unq {
    my ( $s ) = @_;
    return undef if $s eq 'undef';
    $s =~ s/^"|"$//g;
    my %e = ( n => "\n", r => "\r", t => "\t", '\\' => '\\', '"' => '"' );
    $s =~ s/\\(x([0-9a-f]{2})|.)/defined $2 ? chr hex $2 : $e{$1}/ge;
    return $s;
}
sub ptrs { my ( $l ) = @_; $l =~ s/^\[|\]$//g; return [ map { hex } grep { length } split /,/, $l ] }
sub h0 { return $_[0] // 0 }

my $ver = $df->perlversion;
like( $header, qr/^HEADER perl=\Q$ver\E format=0\.\d+ /, 'HEADER perl version' );

my @addrs = map { $_->addr } $df->heap;
is( scalar keys %sv, scalar @addrs, 'same number of SVs' );

my %typemap = ( UNDEF => 'SCALAR', YES => 'BOOL', NO => 'BOOL' );
my @bad;
my $checked = 0;
foreach my $sv ( $df->heap ) {
    my $c = $sv{ $sv->addr } or do { push @bad, sprintf "0x%x missing", $sv->addr; next };
    # Compare with the class: Devel::MAT's ->type derives e.g. "UNDEF" from
    # a SCALAR's value, and reblesses the immortals.
    my ( $class ) = ref( $sv ) =~ m/::(\w+)$/;
    my $t = $c->{type} eq $class ? $c->{type} : $typemap{ $c->{type} } // $c->{type};
    my $say = sub { push @bad, sprintf "0x%x %s: %s", $sv->addr, $t, $_[0] };
    $t eq $class or $say->( "type $c->{type} vs $class" ), next;
    $c->{refcnt} == $sv->refcnt or $say->( "refcnt" );
    $c->{size} == $sv->size or $say->( "size" );
    hex( $c->{blessed} ) == h0( $sv->blessed_at ) or $say->( "blessed" );
    $checked++;
    next if $c->{type} =~ m/^(UNDEF|YES|NO)$/;
    if( $t eq 'SCALAR' ) {
        my $fl = hex $c->{flags};
        if( $fl & 1 ) {
            # Devel::MAT 0.51's iv/uv accessors are swapped relative to the
            # format's "0x02: IV is UV" (a UV_MAX reads back as iv=-1), so
            # compare the 64-bit patterns.
            my $mine = defined $c->{uv} ? pack( 'Q', $c->{uv} ) : pack( 'q', $c->{iv} // 0 );
            my $theirs = defined $sv->uv ? pack( 'Q', $sv->uv ) : pack( 'q', $sv->iv // 0 );
            $mine eq $theirs or $say->( 'iv/uv' );
            ( ( $fl & 2 ) ? defined $c->{uv} : defined $c->{iv} ) or $say->( 'iv vs uv' );
        }
        if( $fl & 4 ) {
            my $nv = $sv->nv;
            # (Devel::MAT reports no NV for some flags=0x04 scalars, e.g. a
            # DBL_MIN one it classifies as UNDEF; nothing to compare then)
            $nv = 0 + $c->{nv} if !defined $nv and $c->{nv} ne 'nan';
            ( $c->{nv} eq 'nan' ? $nv != $nv : $c->{nv} == $nv ) or $say->( "nv $c->{nv} vs $nv" );
        }
        if( $fl & 8 ) {
            my $pv = $sv->pv;
            utf8::encode( $pv ) if defined $pv and $sv->pv_is_utf8;   # cpmat shows bytes
            ( unq( $c->{pv} ) // '' ) eq ( $pv // '' )
                or $say->( sprintf 'pv %s vs %s', $c->{pv}, $sv->pv // 'undef' );
            $c->{pvlen} == $sv->pvlen or $say->( 'pvlen' );
            $c->{utf8} == ( $sv->pv_is_utf8 ? 1 : 0 ) or $say->( 'utf8' );
        }
        hex( $c->{ourstash} ) == h0( $sv->ourstash_at ) or $say->( 'ourstash' );
    }
    elsif( $t eq 'REF' ) {
        hex( $c->{rv} ) == h0( $sv->rv_at ) or $say->( 'rv' );
        $c->{weak} == ( $sv->is_weak ? 1 : 0 ) or $say->( 'weak' );
    }
    elsif( $t eq 'GLOB' ) {
        $c->{line} == h0( $sv->line ) or $say->( 'line' );
        ( unq( $c->{name} ) // '' ) eq ( $sv->name // '' ) or $say->( 'name' );
        ( unq( $c->{file} ) // '' ) eq ( $sv->file // '' ) or $say->( 'file' );
        for (qw( stash scalar array hash code egv io form )) {
            my $m = "${_}_at";
            hex( $c->{$_} ) == h0( $sv->$m ) or $say->( $_ );
        }
    }
    elsif( $t eq 'ARRAY' ) {
        my $e = ptrs( $c->{elems} );
        "@$e" eq join( ' ', map { h0( $sv->elem_at( $_ ) ) } 0 .. $sv->n_elems - 1 )
            or $say->( 'elems' );
        $c->{unreal} == ( $sv->is_unreal ? 1 : 0 ) or $say->( 'unreal' );
    }
    elsif( $t eq 'HASH' or $t eq 'STASH' ) {
        my %v;
        my $vals = $c->{values};
        while( $vals =~ m/("(?:[^"\\]|\\.)*"|undef):(0x[0-9a-f]+)/g ) {
            $v{ unq( $1 ) // '' } = hex $2;
        }
        join( ',', map { "$_=$v{$_}" } sort keys %v ) eq
            join( ',', map { "$_=" . h0( $sv->value_at( $_ ) ) } sort $sv->keys )
            or $say->( 'values' );
        hex( $c->{backrefs} ) == h0( $sv->backrefs_at ) or $say->( 'backrefs' );
        if( $t eq 'STASH' ) {
            ( unq( $c->{name} ) // '' ) eq ( $sv->stashname // '' ) or $say->( 'name' );
        }
    }
    elsif( $t eq 'CODE' ) {
        $c->{line} == h0( $sv->line ) or $say->( 'line' );
        $c->{depth} == $sv->depth or $say->( 'depth' );
        hex( $c->{oproot} ) == h0( $sv->oproot ) or $say->( 'oproot' );
        ( unq( $c->{file} ) // '' ) eq ( $sv->file // '' ) or $say->( 'file' );
        ( unq( $c->{name} ) // '' ) eq ( $sv->hekname // '' ) or $say->( 'name' );
        for (qw( stash outside padlist constval padnames )) {
            my $m = "${_}_at";
            my $k = $_ eq 'padnames' ? 'padnames_av' : $_;
            hex( $c->{$k} ) == h0( $sv->$m ) or $say->( $k );
        }
        hex( $c->{glob} ) == h0( $sv->glob_at ) or $say->( 'glob' );
        my @consts = @{ $sv->{consts_at} // [] };
        "@{ ptrs( $c->{consts} ) }" eq "@consts" or $say->( 'consts' );
        my @gvs = @{ $sv->{gvs_at} // [] };
        "@{ ptrs( $c->{gvs} ) }" eq "@gvs" or $say->( 'gvs' );
        my @pads = @{ $sv->{pads_at} // [] };
        my %cp = $c->{pads} =~ m/(\d+):(0x[0-9a-f]+)/g;
        for my $d ( 0 .. $#pads ) {
            next unless defined $pads[$d];
            hex( $cp{$d} // 0 ) == $pads[$d] or $say->( "pad $d" );
        }
        my @pn = @{ $sv->{padnames} // [] };
        my %cn;
        while( $c->{padnames} =~ m/(\d+):("(?:[^"\\]|\\.)*"|undef)/g ) { $cn{$1} = unq( $2 ) }
        for my $ix ( 0 .. $#pn ) {
            next unless $pn[$ix];
            ( $cn{$ix} // '' ) eq ( $pn[$ix]->name // '' ) or $say->( "padname $ix" );
        }
    }
    elsif( $t eq 'IO' ) {
        $c->{ifileno} == $sv->ifileno or $say->( 'ifileno' );
        $c->{ofileno} == $sv->ofileno or $say->( 'ofileno' );
    }
    # MAGIC attached to this SV, in file order
    my @pm = map { $_->type } $sv->magic;
    # (Devel::MAT unpacks the type with "A1", which turns "\0" into "")
    my @cm = map { my $t = unq( $_->{type} ); $t eq "\0" ? '' : $t } @{ $magic{ $sv->addr } // [] };
    "@pm" eq "@cm" or $say->( "magic [@cm] vs [@pm]" );
}
ok( !@bad, "$checked SVs agree with Devel::MAT" )
    or diag join "\n", @bad[ 0 .. ( $#bad < 19 ? $#bad : 19 ) ];

# roots (cpmat lists them as written; the Perl reader keys them by name)
my %pr = $df->_roots;
my @rbad;
for ( @roots ) {
    my ( $name, $addr ) = @$_;
    next unless exists $df->{roots}{$name};
    $df->{roots}{$name}[0] == $addr or push @rbad, $name;
}
ok( @roots && !@rbad, scalar(@roots) . ' roots agree' ) or diag "@rbad";
is( "@stack", join( ' ', @{ $df->{stack_at} } ), 'stack agrees' );

my @pc = $df->contexts;
is( scalar @ctx, scalar @pc, 'same number of contexts' );
for my $i ( 0 .. $#pc ) {
    my ( $c, $p ) = ( $ctx[$i], $pc[$i] );
    is( $c->{type}, $p->type, "ctx $i type" );
    is( $c->{line}, $p->line, "ctx $i line" );
    is( unq( $c->{file} ), $p->file, "ctx $i file" );
}

done_testing;
