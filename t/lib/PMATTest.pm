package PMATTest;

# Helpers for the dumper's test suite: dump the running test process, read
# the dump back through `cpmat FILE dump` (reader/cpmat.pod documents the
# line format) and find things in it.
#
# The dump is of the test process itself, so whatever a test wants to look at
# must still be alive when dump_self() runs.

use strict;
use warnings;

use Carp qw(croak);
use Exporter qw(import);
use File::Basename qw(dirname);
use File::Spec;
use File::Temp qw(tempdir);
use Scalar::Util qw(refaddr);

require Devel::MAT::Dumper;

our @EXPORT = qw(
    dump_self cpmat_dump cpmat_info cpmat_path addr_of
    sv_at glob_of stash_of blessed_name root_sv
    parse_line parse_value unquote
);

my $ROOT = File::Spec->rel2abs( File::Spec->catdir( dirname(__FILE__), '..', '..' ) );

# Where cpmat lives: $PMAT_CPMAT wins, then the built tool in blib, then the
# one built in reader/.
sub cpmat_path
{
    return $ENV{PMAT_CPMAT} if defined $ENV{PMAT_CPMAT} && length $ENV{PMAT_CPMAT};
    for my $p ( "$ROOT/blib/script/cpmat", "$ROOT/reader/cpmat" ) {
        return $p if -x $p;
    }
    croak "No cpmat found: build it (perl Makefile.PL && make) or set PMAT_CPMAT";
}

my $TMPDIR;
my $SEQ = 0;

sub _tmpdir
{
    return $TMPDIR //= tempdir( 'pmattest-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{PMAT_KEEP} );
}

# Dump the current process to a fresh file and return its path.  The dump
# happens inside this sub, so the caller's lexicals are alive and on the
# context stack as usual.
sub dump_self
{
    my $path = File::Spec->catfile( _tmpdir(), sprintf "dump-%d-%d.pmat", $$, ++$SEQ );
    Devel::MAT::Dumper::dump($path);
    croak "dump wrote nothing to $path" unless -s $path;
    return $path;
}

# A fresh path to dump to, for tests that call Devel::MAT::Dumper::dump
# themselves (e.g. from inside a string-eval).
sub fresh_path
{
    return File::Spec->catfile( _tmpdir(), sprintf "dump-%d-%d.pmat", $$, ++$SEQ );
}

sub addr_of
{
    my ($ref) = @_;
    croak "addr_of needs a reference" unless ref $ref;
    return sprintf "0x%x", refaddr($ref);
}

sub _run_cpmat
{
    my ( $path, $cmd ) = @_;
    my $cpmat = cpmat_path();
    open my $fh, '-|', $cpmat, $path, $cmd or croak "Cannot run $cpmat - $!";
    binmode $fh;
    my @lines = <$fh>;
    close $fh;
    my $rc = $?;
    croak sprintf "%s %s %s exited with status %d", $cpmat, $path, $cmd, $rc >> 8 if $rc;
    chomp @lines;
    return @lines;
}

# ---------------------------------------------------------------------------
# Parsing one line of `cpmat dump`

my %ESC = ( '\\' => '\\', '"' => '"', n => "\n", r => "\r", t => "\t" );

# Parse one value starting at pos($$lr).  Returns the value: a decoded byte
# string, undef, a plain token, an arrayref (list), a hashref (indexed list),
# or { list => [[k,v],...], hash => {k=>v} } for a hash-values map.
sub _value
{
    my ($lr) = @_;
    if ( $$lr =~ m/\G"/gc ) {
        my $s = '';
        while (1) {
            if    ( $$lr =~ m/\G([^"\\]+)/gc )          { $s .= $1 }
            elsif ( $$lr =~ m/\G\\x([0-9a-fA-F]{2})/gc ) { $s .= chr hex $1 }
            elsif ( $$lr =~ m/\G\\(["\\nrt])/gc )        { $s .= $ESC{$1} }
            elsif ( $$lr =~ m/\G"/gc )                   { last }
            else { croak "Bad string at offset " . ( pos($$lr) // 0 ) . " in: $$lr" }
        }
        return $s;
    }
    if ( $$lr =~ m/\Gundef(?=[\s,\]\}]|\z)/gc ) {
        return undef;
    }
    if ( $$lr =~ m/\G\[/gc ) {
        my ( @list, %idx, $indexed );
        if ( $$lr =~ m/\G\]/gc ) {
            return [];
        }
        while (1) {
            if ( $$lr =~ m/\G(-?\d+):/gc ) {
                $indexed = 1;
                $idx{$1} = _value($lr);
            }
            else {
                my $v = _value($lr);
                # "name":VALUE entries (C_STRUCT / META_STRUCT fields) are
                # kept as [name, value] pairs
                $v = [ $v, _value($lr) ] if $$lr =~ m/\G:/gc;
                push @list, $v;
            }
            next if $$lr =~ m/\G,/gc;
            last if $$lr =~ m/\G\]/gc;
            croak "Bad list at offset " . ( pos($$lr) // 0 ) . " in: $$lr";
        }
        croak "Mixed indexed/plain list in: $$lr" if $indexed && @list;
        return $indexed ? \%idx : \@list;
    }
    if ( $$lr =~ m/\G\{/gc ) {
        my ( @pairs, %h );
        unless ( $$lr =~ m/\G\}/gc ) {
            while (1) {
                my $k = _value($lr);
                $$lr =~ m/\G:/gc or croak "Expected ':' at offset " . ( pos($$lr) // 0 ) . " in: $$lr";
                my $v = _value($lr);
                push @pairs, [ $k, $v ];
                $h{$k} = $v;
                next if $$lr =~ m/\G,/gc;
                last if $$lr =~ m/\G\}/gc;
                croak "Bad hash at offset " . ( pos($$lr) // 0 ) . " in: $$lr";
            }
        }
        return { list => \@pairs, hash => \%h };
    }
    if ( $$lr =~ m/\G([^\s,\]\}:"]+)/gc ) {
        return $1;
    }
    croak "Cannot parse value at offset " . ( pos($$lr) // 0 ) . " in: $$lr";
}

sub parse_value
{
    my ($s) = @_;
    pos($s) = 0;
    my $v = _value( \$s );
    croak "Trailing junk in value: $s" if pos($s) != length $s;
    return $v;
}

sub unquote { parse_value(@_) }

# Split a line into its leading words (record kind, address, type, ...) and
# its name=value fields.  Returns ( \@words, \%fields, \@field_order ).
sub parse_line
{
    my ($line) = @_;
    my ( @words, %f, @order );
    pos($line) = 0;
    while ( pos($line) < length $line ) {
        if ( $line =~ m/\G([A-Za-z_][A-Za-z0-9_]*)=/gc ) {
            my $name = $1;
            croak "Duplicate field $name in: $line" if exists $f{$name};
            $f{$name} = _value( \$line );
            push @order, $name;
        }
        elsif (@order) {
            croak "Positional word after fields at offset " . pos($line) . " in: $line";
        }
        elsif ( $line =~ m/\G([^\s"=]+)(?= |\z)/gc ) {
            push @words, $1;    # bare word: kept verbatim ("undef" in IMMORTAL undef is a name)
        }
        else {
            push @words, _value( \$line );
        }
        last if pos($line) >= length $line;
        $line =~ m/\G /gc or croak "Expected a space at offset " . pos($line) . " in: $line";
    }
    return ( \@words, \%f, \@order );
}

my %INDEXED = map { $_ => 1 } qw( pads padnames padflags padourstash padfields padfieldstash );

# Run `cpmat FILE dump` and parse all of it.
sub cpmat_dump
{
    my ($path) = @_;
    my %d = ( header => {}, immortals => {}, roots => {}, stack => [], svs => {}, ctx => [], lines => 0 );
    for my $line ( _run_cpmat( $path, 'dump' ) ) {
        $d{lines}++;
        my ( $w, $f ) = parse_line($line);
        my $kind = shift @$w;
        if ( $kind eq 'HEADER' ) {
            $d{header} = $f;
        }
        elsif ( $kind eq 'IMMORTAL' ) {
            $d{immortals}{ $w->[0] } = $w->[1];
        }
        elsif ( $kind eq 'ROOT' ) {
            $d{roots}{ $w->[0] } = $w->[1];
        }
        elsif ( $kind eq 'STACK' ) {
            $d{stack}[ $w->[0] ] = $w->[1];
        }
        elsif ( $kind eq 'SV' ) {
            my ( $addr, $type ) = @$w;
            croak "SV $addr appears twice" if $d{svs}{$addr} && $d{svs}{$addr}{type};
            my $sv = $d{svs}{$addr} //= {};
            %$sv = ( %$sv, %$f, addr => $addr, type => $type );
            $sv->{magic} //= [];
            $sv->{saved} //= [];
            for my $k ( keys %INDEXED ) {
                $sv->{$k} = {} if ref $sv->{$k} eq 'ARRAY' && !@{ $sv->{$k} };
            }
            if ( ref $sv->{values} eq 'HASH' ) {
                $sv->{values_list} = $sv->{values}{list};
                $sv->{values}      = $sv->{values}{hash};
            }
            if ( ref $sv->{heks} eq 'HASH' ) {    # v0.6 files
                # (a list too: PL_strtab can hold one string twice, under
                # two HEKs whose flags differ)
                $sv->{heks_list} = $sv->{heks}{list};
                $sv->{heks}      = $sv->{heks}{hash};
            }
            $d{count}{$type}++;
            $d{nsv}++;
        }
        elsif ( $kind eq 'MAGIC' ) {
            push @{ ( $d{svs}{ $w->[0] } //= {} )->{magic} }, $f;
        }
        elsif ( $kind =~ m/^SAVED_(\w+)$/ ) {
            push @{ ( $d{svs}{ $w->[0] } //= {} )->{saved} }, { kind => $1, %$f };
        }
        elsif ( $kind eq 'SVSV_NOTE' ) {
            push @{ ( $d{svs}{ $w->[0] } //= {} )->{notes} }, $f;
        }
        elsif ( $kind eq 'PV_SHARED_HEK' ) {
            ( $d{svs}{ $w->[0] } //= {} )->{shared_hek} = $f->{hek};
        }
        elsif ( $kind eq 'MAGICv2' ) {
            push @{ ( $d{svs}{ $w->[0] } //= {} )->{magicv2} }, $f;
        }
        elsif ( $kind eq 'MORTAL' ) {
            $d{mortals}[ $w->[0] ] = $w->[1];
        }
        elsif ( $kind eq 'MORTAL_FLOOR' ) {
            $d{mortal_floor} = $w->[0];
        }
        elsif ( $kind eq 'DEBUGREPORT' ) {
            ( $d{svs}{ $w->[0] } //= {} )->{debugreport} = $f;
        }
        elsif ( $kind eq 'META_STRUCT' ) {
            push @{ $d{meta_structs} }, $f;
        }
        elsif ( $kind =~ m/^EXT[0-9a-fA-F]{2}$/ ) {
            push @{ ( $d{svs}{ $w->[0] } //= {} )->{ext} }, { kind => $kind, %$f };
        }
        elsif ( $kind eq 'CTX' ) {
            my ( $idx, $type ) = @$w;
            $d{ctx}[$idx] = { index => $idx, type => $type, %$f };
        }
        else {
            croak "Unknown cpmat line: $line";
        }
    }
    return \%d;
}

# `cpmat FILE info` as lines (format is free text; tests grep it).
sub cpmat_info
{
    my ($path) = @_;
    return _run_cpmat( $path, 'info' );
}

# ---------------------------------------------------------------------------
# Finding things in a parsed dump

sub sv_at
{
    my ( $d, $addr ) = @_;
    return undef if !defined $addr || $addr eq '0x0';
    my $sv = $d->{svs}{$addr};
    return $sv && $sv->{type} ? $sv : undef;
}

sub root_sv
{
    my ( $d, $name ) = @_;
    return sv_at( $d, $d->{roots}{$name} );
}

sub blessed_name
{
    my ( $d, $sv ) = @_;
    my $st = sv_at( $d, $sv->{blessed} ) or return undef;
    return $st->{name};
}

# The STASH of a package, walked from the defstash root through the
# "Pkg::" globs' hash slots.
sub stash_of
{
    my ( $d, $pkg ) = @_;
    my $st = root_sv( $d, 'defstash' ) or return undef;
    $pkg =~ s/^(?:main)?::// unless $pkg eq 'main';
    return $st if $pkg eq 'main' || $pkg eq '';
    for my $part ( split /::/, $pkg ) {
        my $gaddr = $st->{values}{"${part}::"} // return undef;
        my $gv = sv_at( $d, $gaddr ) or return undef;
        return undef unless $gv->{type} eq 'GLOB';
        $st = sv_at( $d, $gv->{hash} ) or return undef;
    }
    return $st;
}

# The GLOB of a fully-qualified name, e.g. glob_of($d, 'main::foo').
sub glob_of
{
    my ( $d, $name ) = @_;
    my ( $pkg, $leaf ) = $name =~ m/^(.*)::([^:]+)$/ or croak "glob_of needs Pkg::name, not $name";
    my $st = stash_of( $d, $pkg eq '' ? 'main' : $pkg ) or return undef;
    my $gv = sv_at( $d, $st->{values}{$leaf} ) or return undef;
    return $gv->{type} eq 'GLOB' ? $gv : undef;
}

1;
