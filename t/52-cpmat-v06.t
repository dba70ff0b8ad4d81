#!/usr/bin/perl
# cpmat's commands on what format v0.6 adds (issue #14), on a synthetic
# v0.6 dump from bench/gen-pmat --format 0.6 whose structure is known:
# strtab (HEK users, paging, sorting, skip, filter), values --hek / --skip /
# --no-sort / filter, show's name_hek, SHARED_HEK and MagicV2 lines, the
# MagicV2 references in outrefs and inrefs, find magicv2.
#
# Then, when a Debian sid chroot with Devel::MAT 0.56's pmat is there
# ($PMAT056_CHROOT, default /var/cache/perl-matrix/chroots/sid; we must be
# root to chroot), the same commands on this file and on a real v0.6 dump
# made in the chroot (perl 5.42, Devel::MAT::Dumper 0.52) are compared
# with pmat 0.56's output line for line, normalising only the documented
# differences (cpmat.pod: the order of a key's users in strtab, and the
# IV/UV sign).  Without the chroot that part is skipped and says why.
use strict;
use warnings;
no warnings qw( portable );
use Test::More;
use File::Temp qw( tempdir );
use File::Spec;
use File::Copy qw( copy );

use lib 't/lib';
use CpmatTest;

my $cpmat = find_cpmat() or plan skip_all => 'no cpmat built (run make, or set PMAT_CPMAT)';
my $gen = File::Spec->rel2abs( 'bench/gen-pmat' );
plan skip_all => 'no bench/gen-pmat' unless -x $gen;

my $dir = tempdir( 'cpmat-v06-XXXXXX', TMPDIR => 1, CLEANUP => 1 );
local $ENV{GEN_PMAT_BUILD} = "$dir/gen-build";
my $file = "$dir/v06.pmat";
my %g = map { m/^(\S+) (.*)$/ ? ( $1 => $2 ) : () } `"$gen" --svs 1000 --format 0.6 "$file" 2>&1`;
plan skip_all => 'bench/gen-pmat failed (no C compiler?)' unless $? == 0 && -s $file;
my $file4 = "$dir/v04.pmat";
system( "\"$gen\" --svs 1000 \"$file4\" >/dev/null" ) == 0 or die "gen-pmat 0.4 failed";

# cpmat --quiet FILE ARGS: ( exit status, stdout, stderr )
sub cp {
    my ( $f, @args ) = @_;
    my $errf = "$dir/stderr";
    open my $saved, '>&', \*STDERR or die;
    open STDERR, '>', $errf or die;
    open my $fh, '-|', $cpmat, '--quiet', $f, @args or die "cpmat: $!";
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    my $rc = $? >> 8;
    open STDERR, '>&', $saved or die;
    my $err = do { open my $e, '<', $errf or die; local $/; <$e> } // '';
    return ( $rc, $out, $err );
}
sub out { my ( $rc, $out, $err ) = cp( @_ ); is( $rc, 0, "cpmat @_[1..$#_]: exit 0" ) or diag $err; return $out }

# ---- what the file holds, from cpmat dump (t/07 checks dump itself) -------------

my ( %sv, %ext, @lines );
{
    open my $fh, '-|', $cpmat, $file, 'dump' or die;
    while( <$fh> ) {
        chomp;
        if( m/^SV (0x[0-9a-f]+) (\S+) (.*)$/ ) { $sv{$1} = { type => $2, line => $3 } }
        elsif( m/^(PV_SHARED_HEK|MAGICv2) (0x[0-9a-f]+) (.*)$/ ) { $ext{$1}{$2} = $3 }
    }
}
sub sv_where { my ( $re ) = @_; my @a = grep { $sv{$_}{line} =~ $re } sort keys %sv; return $a[0] }
my $spv   = sv_where( qr/pv="widgets"/ );
my $mgsv  = sv_where( qr/pv="magic"/ );
my ( $obj ) = grep { $sv{$_}{type} eq 'OBJECT' } keys %sv;
my ( $cls ) = grep { $sv{$_}{type} eq 'CLASS' } keys %sv;
my $strtab = sv_where( qr/^refcnt=1 size=\d+ blessed=0x0 n=18 / );
my $cache_gv = sv_where( qr/ name="CACHE"/ );
ok( $spv && $mgsv && $obj && $cls && $strtab && $cache_gv, 'the v0.6 records are in the file' );
my %strtab_hek = $sv{$strtab}{line} =~ m/heks=\{(.*?)\}/ ? ( $1 =~ m/"((?:[^"\\]|\\.)*)":(0x[0-9a-f]+)/g ) : ();
is( scalar keys %strtab_hek, 18, 'strtab has 18 HEKs' );
my ( $cache_hek ) = $sv{$cache_gv}{line} =~ m/name_hek=(0x[0-9a-f]+)/;
is( $cache_hek, $strtab_hek{CACHE}, "the GLOB's NAME_HEK is strtab's HEK of CACHE" );

# ---- strtab ---------------------------------------------------------------------------

# key => [ HEK, users... ] from strtab's output
sub strtab_blocks {
    my ( $out ) = @_;
    my ( %b, @order, $k );
    for ( split /\n/, $out ) {
        if( m/^  (\{.*?\})\s+HEK at (\S+)$/ ) { $k = $1; push @order, $k; $b{$k} = [ $2 ] }
        elsif( m/^    (.*?)\s*$/ ) { push @{ $b{$k} }, $1 }
        elsif( m/^  \.\.\. \((\d+) more\)$/ ) { push @order, "more $1" }
        else { die "odd strtab line: $_" }
    }
    return ( \%b, \@order );
}
{
    my ( $b, $order ) = strtab_blocks( out( $file, 'strtab', '-c', 100 ) );
    is( scalar @$order, 18, 'strtab: 18 keys, one page' );
    my @raw = map { my $k = $_; $k =~ s/^\{"?|"?\}$//g; $k =~ s/\\//g; $k } @$order;
    is_deeply( \@raw, [ sort keys %strtab_hek ], 'strtab: keys in Perl\'s sort order' );
    is( $b->{'{widgets}'}[0], $strtab_hek{widgets}, 'strtab: HEK of widgets' );
    is_deeply( [ sort @{ $b->{'{widgets}'} }[ 1 .. $#{ $b->{'{widgets}'} } ] ],
               [ "key of HASH(1) at $g{cache_hv}", "shared PV of SCALAR(PV) at $spv" ],
               'strtab: widgets is a key of %CACHE and the shared PV of a SCALAR' );
    is_deeply( [ @{ $b->{'{INC}'} }[ 1 .. $#{ $b->{'{INC}'} } ] ], [ map { "name of GLOB(\@%*) at $_=incgv" }
               sv_where( qr/ name="INC"/ ) ], 'strtab: INC is the name of *INC, not a key of the STASH' );
    is( scalar @{ $b->{'{new}'} }, 1, 'strtab: the key of a CLASS is no user (only plain HASHes are)' );
    my @id = @{ $b->{'{id}'} }[ 1 .. $#{ $b->{'{id}'} } ];
    is( scalar @id, 3 + $g{records}, 'strtab: id is a key of the 3 widgets and every record' );
    ok( ( grep { $_ eq "key of HASH(1)=Leak::Widget at $g{orphan}" } @id ), 'strtab: ... the orphan among them' );
}
{
    my ( undef, $order ) = strtab_blocks( out( $file, 'strtab', '-c', 5 ) );
    is_deeply( [ grep { /^more/ } @$order ], [ 'more 13', 'more 8', 'more 3' ], 'strtab -c 5: 4 pages, pmat\'s "... (N more)"' );
    ( undef, $order ) = strtab_blocks( out( $file, 'strtab', '--skip', 16 ) );
    is_deeply( $order, [ '{tags}', '{widgets}' ], 'strtab --skip 16: the last two keys' );
    ( undef, $order ) = strtab_blocks( out( $file, 'strtab', '-s', -3 ) );
    is_deeply( $order, [ '{score}', '{tags}', '{widgets}' ], 'strtab -s -3: splice keeps the last 3' );
    ( undef, $order ) = strtab_blocks( out( $file, 'strtab', '/^c/i' ) );
    is_deeply( $order, [ '{CACHE}', '{"Cache::"}' ], 'strtab /^c/i: the filter, case-insensitive' );
    ( undef, $order ) = strtab_blocks( out( $file, 'strtab', '-n', '-c', 3 ) );
    is_deeply( [ @$order[ 0 .. 2 ] ], [ '{"main::"}', '{INC}', '{_}' ], 'strtab --no-sort: file order' );
    ( undef, $order ) = strtab_blocks( out( $file, 'strtab', '/^[st] # s or t/x' ) );
    is_deeply( $order, [ '{score}', '{tags}' ], 'strtab /.../x: blanks and comments dropped' );
    my ( $rc, $o, $err ) = cp( $file, 'strtab', 'widgets' );
    is( $rc, 2, 'strtab with a bare word: exit 2' );
    is( $err, "cpmat: strtab: Filter must be a /PATTERN.../ with optional flags\n", '... pmat\'s message, one line' );
    ( $rc, $o, $err ) = cp( $file, 'strtab', '/x/q' );
    is( $rc, 2, 'strtab /x/q: a flag pmat does not allow is an error' );
    ( $rc, $o ) = cp( $file4, 'strtab' );
    is( $rc, 0, 'strtab on a v0.4 file: exit 0' );
    is( $o, '', '... an empty strtab there: nothing' );
}

# ---- values ----------------------------------------------------------------------------

{
    my $o = out( $file, 'values', '-H', 'defstash' );
    my %defstash_hek = $sv{ sv_where( qr/name="main"$/ ) }{line} =~ m/heks=\{(.*?)\}/
        ? ( $1 =~ m/"((?:[^"\\]|\\.)*)":(0x[0-9a-f]+)/g ) : ();
    my @rows = split /\n/, $o;
    is( scalar @rows, 10, 'values -H defstash: 10 rows' );
    my ( $inc ) = grep { /^  \{INC\} / } @rows;
    like( $inc, qr/^  \{INC\}\s+HEK at \Q$defstash_hek{INC}\E GLOB\(\@%\*\) at 0x/, 'values -H: the HEK column' );
    is( $defstash_hek{INC}, $strtab_hek{INC}, "... the defstash's HEK of INC is strtab's" );
    my $o4 = out( $file4, 'values', '-H', 'defstash' );
    unlike( $o4, qr/HEK at/, 'values -H on a v0.4 file: no HEK column (no HEKs)' );
    is( out( $file, 'values', 'defstash', 3 ), out( $file, 'values', '--skip', 3, 'defstash' ),
        'values SV 3 is 0.51\'s skip count, the same as --skip 3' );
    my @f = map { m/^  (\{.*?\})/ ? $1 : () } split /\n/, out( $file, 'values', 'defstash', '/^[A-Z]/', '-c', 2 );
    is_deeply( \@f, [ qw( {CACHE} {"Cache::"} {INC} {"Leak::"} {RECORDS} {"Record::"} {STRINGS} ) ],
               'values with a filter, options after it' );
    my @more = out( $file, 'values', '-c', 2, 'defstash', '/^[A-Z]/' ) =~ m/^  \.\.\. \((\d+) more\)$/mg;
    is_deeply( \@more, [ 5, 3, 1 ], '... 2 per page, "(N more)" after each but the last' );
    @f = map { m/^  (\{.*?\})/ ? $1 : () } split /\n/, out( $file, 'values', '-n', 'defstash' );
    is( $f[0], '{"main::"}', 'values --no-sort: file order' );
}

# ---- show, outrefs, inrefs ---------------------------------------------------------------

{
    my ( $funcs, $ptr ) = $ext{MAGICv2}{$mgsv} =~ m/funcs=(\S+) .* ptr=(\S+) keysv/;
    is( out( $file, 'show', $mgsv ), <<"EOT", 'show: MagicV2 as pmat 0.56 shows it' );
SCALAR(PV) at $mgsv with refcount 1
  size 56 bytes
  has MagicV2 with funcs at $funcs
    with auxsv at OBJ()=Point at $obj
    with ptr $ptr len 8
    with keyiv 42
    with keysv at SCALAR(PV) at $spv
  PV="magic"
  PVLEN 5
EOT
    my ( $hek ) = $ext{PV_SHARED_HEK}{$spv} =~ m/hek=(\S+)/;
    like( out( $file, 'show', $spv ), qr/^  PVLEN 7\n  SHARED_HEK=\Q$hek\E\n\z/m, 'show: SHARED_HEK after PVLEN' );
    like( out( $file, 'show', $cache_gv ), qr/^  name=CACHE\n  name_hek=\Q$cache_hek\E\n/m, 'show: a GLOB\'s name_hek' );
    my $o = out( $file, 'outrefs', '--all', $mgsv );
    like( $o, qr/^s  MagicV2 auxsv\s+OBJ\(\)=Point at \Q$obj\E$/m, 'outrefs: MagicV2 auxsv, strong without WEAK_AUXSV' );
    like( $o, qr/^s  MagicV2 keysv\s+SCALAR\(PV\) at \Q$spv\E$/m, 'outrefs: MagicV2 keysv' );
    like( out( $file, 'inrefs', $obj ), qr/^s  MagicV2 auxsv\s+SCALAR\(PV\) at \Q$mgsv\E$/m, 'inrefs: MagicV2 auxsv' );
    $o = out( $file, 'outrefs', $obj );
    like( $o, qr/^s  the \$x field\s+SCALAR\(IV\) at 0x/m, 'outrefs of an OBJ: the $x field' );
    like( out( $file, 'identify', $obj ), qr/MagicV2 auxsv of SCALAR\(PV\) at \Q$mgsv\E/, 'identify: through MagicV2 auxsv' );
    my $line = "SCALAR(PV) at $mgsv: MagicV2 funcs $funcs, with auxsv OBJ()=Point at $obj\n";
    is( out( $file, 'find', 'magicv2' ), $line, 'find magicv2: the one attachment' );
    is( out( $file, 'find', 'magicv2', '--funcs', $funcs ), $line, 'find magicv2 --funcs: matching' );
    is( out( $file, 'find', 'magicv2', '-f', '0x1' ), '', 'find magicv2 -f: another funcs, nothing' );
    is( out( $file, 'find', 'magicv2', '--auxsv', $obj ), $line, 'find magicv2 --auxsv: by the AUXSV address' );
    is( out( $file, 'find', 'magicv2', '-A', $spv ), '', 'find magicv2 -A: another SV, nothing' );
    is( out( $file, 'find', 'magic', '--vtbl', $funcs ), '', 'find magic --vtbl: MagicV2 is not v1 magic' );
}

# ---- help ----------------------------------------------------------------------------------

{
    my $h = `"$cpmat" help strtab`;
    is( $?, 0, 'help strtab: exit 0' );
    like( $h, qr/^strtab - Show information about the shared strings table \(PL_strtab\)\n\nSYNOPSIS:\n  strtab \[OPTIONS\.\.\.\] \$FILTER\n\nOPTIONS:\n  --count, -c INT /, 'help strtab: pmat\'s text' );
    my ( $rc, $o ) = cp( $file, 'values', '--help' );
    is( $rc, 0, 'FILE values --help: exit 0' );
    like( $o, qr/--hek, -H\s+also show HEK pointers/, 'FILE values --help: the option list' );
}

# ---- against pmat 0.56 ------------------------------------------------------------------------

my $root = $ENV{PMAT056_CHROOT} // '/var/cache/perl-matrix/chroots/sid';
SKIP: {
    skip "no Devel::MAT 0.56 chroot at $root (set PMAT056_CHROOT): not compared with pmat 0.56", 1
        unless -x "$root/usr/bin/pmat" && -d "$root/tmp";
    skip 'not root: cannot chroot to run pmat 0.56', 1 if $>;
    my $ver = `chroot "$root" perl -MDevel::MAT -e 'print Devel::MAT->VERSION' 2>/dev/null`;
    skip "the chroot's Devel::MAT is '$ver', not 0.56", 1 unless $ver eq '0.56';
    my $cdir = "/tmp/cpmat-t52-$$";
    mkdir "$root$cdir" or die "mkdir $root$cdir: $!";
    my @cleanup = ( "$root$cdir" );
    copy( $file, "$root$cdir/gen.pmat" ) or die;
    # a real v0.6 dump: perl 5.42 and Devel::MAT::Dumper 0.52 in the chroot
    my $prog = q{use v5.38; no warnings; use experimental 'class'; use Devel::MAT::Dumper;
        class Pt { field $x :param = 0; field @h; method m { $x } }
        our %H = ( one => 1, two => [ 2 ], three => { x => 'str' } ); our $O = Pt->new( x => 1 );
        our $S = "shared"; my %k = ( $S => 1 ); our @K = keys %k;
        Devel::MAT::Dumper::dump( shift )};
    system( 'chroot', $root, 'perl', '-e', $prog, "$cdir/real.pmat" ) == 0 && -s "$root$cdir/real.pmat"
        or skip 'cannot make a dump in the chroot', 1;

    # cpmat and pmat 0.56 on the same file and command; returns a complaint or ''
    my $compare = sub {
        my ( $name, @cmd ) = @_;
        my $theirs = `chroot "$root" pmat --quiet "$cdir/$name" @{[ map { "'$_'" } @cmd ]} 2>/dev/null`;
        my ( $rc, $mine ) = cp( "$root$cdir/$name", @cmd );
        for ( $theirs, $mine ) {
            s/SCALAR\((?:IV|UV)/SCALAR(NUM/g;          # cpmat.pod: the sign of IVs
            if( $cmd[0] eq 'strtab' ) {                # cpmat.pod: the order of a key's users
                my @blocks = split /(?=^  \S)/m;
                $_ = join '', map { my ( $k, @u ) = split /(?<=\n)/; $k . join '', sort @u } @blocks;
            }
        }
        return $mine eq $theirs ? '' : "$name @cmd: differs\n--- pmat 0.56\n$theirs--- cpmat\n$mine";
    };
    my @cases = (
        [ 'gen.pmat', 'strtab' ], [ 'gen.pmat', 'strtab', '-c', 4, '-s', 3 ], [ 'gen.pmat', 'strtab', '/^[a-m]/i' ],
        [ 'gen.pmat', 'values', '-H', 'defstash' ], [ 'gen.pmat', 'values', '-c', 3, '-s', 2, 'defstash' ],
        [ 'gen.pmat', 'values', 'strtab', '/e/' ], [ 'gen.pmat', 'show', $mgsv ], [ 'gen.pmat', 'show', $spv ],
        [ 'gen.pmat', 'show', $cache_gv ], [ 'gen.pmat', 'outrefs', '--all', $mgsv ], [ 'gen.pmat', 'inrefs', $obj ],
        [ 'gen.pmat', 'identify', $obj ], [ 'gen.pmat', 'find', 'magicv2' ],
        [ 'gen.pmat', 'find', 'magicv2', '--funcs', ( $ext{MAGICv2}{$mgsv} =~ m/funcs=(\S+)/ )[0] ], [ 'gen.pmat', 'show', $cls ], [ 'gen.pmat', 'outrefs', $cls ],
        [ 'real.pmat', 'strtab' ], [ 'real.pmat', 'strtab', '-c', 7, '/^[A-Z]/' ], [ 'real.pmat', 'values', '-H', '%main::H' ],
        [ 'real.pmat', 'values', '-H', '-s', 5, '-c', 9, 'strtab' ], [ 'real.pmat', 'values', '-H', 'strtab', '/^sh/' ],
        [ 'real.pmat', 'show', '$main::O' ], [ 'real.pmat', 'outrefs', '$main::O' ], [ 'real.pmat', 'identify', '$main::O' ],
        [ 'real.pmat', 'show', '&Pt::m' ],
    );
    my @bad = grep { length } map { $compare->( @$_ ) } @cases;
    ok( !@bad, scalar(@cases) . ' commands on a gen-pmat and a perl-5.42 v0.6 dump: cpmat = pmat 0.56' )
        or diag join "\n", @bad[ 0 .. ( $#bad < 2 ? $#bad : 2 ) ];
    system( 'rm', '-rf', @cleanup );
}

done_testing;
