#!/usr/bin/perl
# perl 5.38's `use feature 'class'` (format v0.5): OBJ records for objects,
# CLASS records for class stashes (ADJUST blocks, field names), PADNAME_FIELD
# for the pad names of fields.  The heap is t/fixtures/class/ClassHeap.pm.
#   1. dumped in-process and read back through cpmat: every field exact;
#   2. the same file through Devel::MAT (where installed);
#   3. ClassHeap dumped by a child under our dumper and under the reference
#      (where installed): pmat's identify, show, outrefs and
#      find --count blessed answer alike on both files, and cpmat gives
#      pmat's answers on both.
use strict;
use warnings;
use Test::More;
use Config;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/fixtures/class", "$FindBin::Bin/fixtures/interop";
use PMATTest;
use CpmatTest qw( find_cpmat run_cpmat );

BEGIN { plan skip_all => 'perl < 5.38 has no class feature' if $] < 5.038 }

require ClassHeap;

my $P = $Config{ptrsize};
# SIZE of an object: its head (SvANY, refcount and flags, sv_u), its XPVOBJ
# body (stash, magic, maxfield, iterator, fields pointer) and its array of
# field pointers (sv.h, class.c).
sub obj_size { my ($n) = @_; return ( 2 * $P + 8 ) + 5 * $P + $n * $P }

# --- 1. in-process, through cpmat -----------------------------------------
my $h = ClassHeap::build( empty => 1 );
my ( $p, $q, $e ) = @{$h}{qw( p q e )};

my $stderr_file = PMATTest::fresh_path() . '.stderr';
open my $save_err, '>&', \*STDERR or die;
open STDERR, '>', $stderr_file or die "$stderr_file: $!";
my $file = eval { dump_self() };
my $dump_err = $@;
open STDERR, '>&', $save_err or die;
die $dump_err if $dump_err;
my $stderr = do { open my $fh, '<', $stderr_file or die; local $/; <$fh> };
is( $stderr, '', 'the dump says nothing on STDERR (no SV of unknown type left out)' );

my $d = cpmat_dump($file);
my ($minor) = $d->{header}{format} =~ m/^0\.(\d+)$/;
cmp_ok( $minor, '>=', 5, "the header announces a format with OBJ and CLASS (v0.$minor)" );

sub stash_addr { no strict 'refs'; return addr_of( \%{"$_[0]::"} ) }
my %class = map { $_ => sv_at( $d, stash_addr($_) ) }
    qw( ClassHeap::Point ClassHeap::Point3D ClassHeap::Empty );

# An object's record: type, class, and every field pointer exact.
sub check_object
{
    my ( $what, $obj, $class, @field_refs ) = @_;
    my $sv = sv_at( $d, addr_of($obj) );
    ok( $sv, "$what is in the dump" ) or return;
    is( $sv->{type}, 'OBJECT', "$what is an OBJECT record" );
    is( $sv->{blessed}, stash_addr($class), "$what is blessed into ${class}'s stash" );
    is( $sv->{n}, scalar @field_refs, "$what has " . @field_refs . ' fields' );
    is_deeply( $sv->{fields}, [ map { addr_of($_) } @field_refs ], "$what: each field points at its SV" );
    is( $sv->{size}, obj_size( scalar @field_refs ), "$what SIZE: head, body and field array" );
    return $sv;
}

my $p_sv = check_object( '$p', $p, 'ClassHeap::Point', $p->field_refs );
my $q_sv = check_object( '$q', $q, 'ClassHeap::Point3D', $q->field_refs, $q->own_refs );
check_object( '$e', $e, 'ClassHeap::Empty' );
# $p is held by the heap's hash, our $p and $q's $peer field; $q by two.
is( $p_sv->{refcnt}, 3, '$p refcount: %$h, my $p, $q\'s $peer' );
is( $q_sv->{refcnt}, 2, '$q refcount: %$h, my $q' );

# The field SVs hold what the constructor and the ADJUST blocks put there.
{
    my ( $x, $y, $hist, $tags, $label ) = map { sv_at( $d, addr_of($_) ) } $p->field_refs;
    is( $x->{iv}, 1, '$p: $x = 1 (a :param)' );
    is( $y->{iv}, 2, '$p: $y = 2' );
    is( $label->{pv}, 'pt', '$p: $label = "pt" (a default)' );
    is( $hist->{type}, 'ARRAY', '$p: @hist is an ARRAY' );
    is( $hist->{n}, 1, '$p: @hist has the first ADJUST block\'s element' );
    is( sv_at( $d, $hist->{elems}[0] )->{pv}, 'adjusted', '$p: $hist[0]' );
    is( $tags->{type}, 'HASH', '$p: %tags is a HASH' );
    is_deeply( [ keys %{ $tags->{values} } ], ['made'], '$p: %tags has the second ADJUST block\'s key' );
    my ( $z, $peer ) = map { sv_at( $d, addr_of($_) ) } $q->own_refs;
    is( $z->{iv}, 5, '$q: $z = 5' );
    is( $peer->{type}, 'REF', '$q: $peer is a REF' );
    is( $peer->{rv}, addr_of($p), '$q: $peer refers to $p' );
}

# CLASS records: the stash's fields, ADJUST_BLOCKS and the field names.
sub check_class
{
    my ( $name, $fields, @adjust_stash ) = @_;
    my $sv = $class{$name};
    ok( $sv, "${name}'s stash is in the dump" ) or return;
    is( $sv->{type}, 'CLASS', "$name is a CLASS record" );
    is( $sv->{name}, $name, "$name: the stash name" );
    my $have = $sv->{fields};
    $have = {} if ref $have eq 'ARRAY' && !@$have;    # cpmat prints none as []
    is_deeply( $have, $fields, "$name: its own fields, by field index" );
    ok( exists $sv->{values}{new}, "$name: the stash's entries are there (new)" );
    if ( !@adjust_stash ) {
        is( $sv->{adjust_blocks}, '0x0', "$name: no ADJUST blocks" );
        return;
    }
    my $av = sv_at( $d, $sv->{adjust_blocks} );
    ok( $av && $av->{type} eq 'ARRAY', "$name: ADJUST_BLOCKS is an ARRAY" ) or return;
    is( $av->{n}, scalar @adjust_stash, "$name: " . @adjust_stash . ' ADJUST block(s)' );
    for my $i ( 0 .. $#adjust_stash ) {
        my $cv = sv_at( $d, $av->{elems}[$i] );
        is( $cv && $cv->{type}, 'CODE', "$name: ADJUST block $i is CODE" );
        is( $cv && $cv->{stash}, stash_addr( $adjust_stash[$i] ), "$name: ADJUST block $i is $adjust_stash[$i]'s" );
    }
    return $av;
}

my $point_adjust = check_class( 'ClassHeap::Point',
    { 0 => '$x', 1 => '$y', 2 => '@hist', 3 => '%tags', 4 => '$label' }, ('ClassHeap::Point') x 2 );
# A subclass runs its superclass's ADJUST blocks first: class.c copies them
# into the subclass's list at :isa, then appends its own.
my $p3d_adjust = check_class( 'ClassHeap::Point3D', { 5 => '$z', 6 => '$peer' },
    ('ClassHeap::Point') x 2, 'ClassHeap::Point3D' );
is_deeply( [ @{ $p3d_adjust->{elems} }[ 0, 1 ] ], $point_adjust->{elems},
    'ClassHeap::Point3D: the inherited ADJUST blocks are the same CVs' );
check_class( 'ClassHeap::Empty', {} );
is( $class{'ClassHeap::Point3D'}{mro_isa} && sv_at( $d, $class{'ClassHeap::Point3D'}{mro_isa} )->{type}, 'HASH',
    'ClassHeap::Point3D: its MRO isa cache is written as for any stash' );

# PADNAME_FIELD: a method's pad names for fields say which field and whose.
sub check_padfields
{
    my ( $sub, $class, %want ) = @_;
    my $cv = sv_at( $d, addr_of( \&{$sub} ) );
    ok( $cv, "$sub is in the dump" ) or return;
    my %ix_of = map { ( $cv->{padnames}{$_} // '' ) => $_ } keys %{ $cv->{padnames} };
    for my $name ( sort keys %want ) {
        my $ix = $ix_of{$name};
        ok( defined $ix, "$sub has the pad name $name" ) or next;
        is( $cv->{padfields}{$ix}, $want{$name}, "$sub: $name is field $want{$name}" );
        is( $cv->{padfieldstash}{$ix}, $class{$class}{addr}, "$sub: $name was declared by $class" );
    }
    my $self_ix = $ix_of{'$self'};
    ok( defined $self_ix && !exists $cv->{padfields}{$self_ix}, "$sub: \$self is no field" );
}

check_padfields( 'ClassHeap::Point::field_refs', 'ClassHeap::Point',
    '$x' => 0, '$y' => 1, '@hist' => 2, '%tags' => 3, '$label' => 4 );
check_padfields( 'ClassHeap::Point3D::own_refs', 'ClassHeap::Point3D', '$z' => 5, '$peer' => 6 );

# The 1,000 objects: each one, with its fields.
{
    my ( $bad, $n ) = ( 0, 0 );
    for my $i ( 0 .. $#{ $h->{many} } ) {
        my $obj = $h->{many}[$i];
        my $sv = sv_at( $d, addr_of($obj) );
        my ( $x, $y ) = map { sv_at( $d, addr_of($_) ) } ( $obj->field_refs )[ 0, 1 ];
        $n++;
        $bad++ unless $sv && $sv->{type} eq 'OBJECT' && $sv->{n} == 5
            && $sv->{blessed} eq $class{'ClassHeap::Point'}{addr}
            && $x && $x->{iv} == $i + 1 && $y && $y->{iv} == -( $i + 1 );
    }
    is( $n, 1000, '1,000 objects looked at' );
    is( $bad, 0, 'each of the 1,000 objects is an OBJECT with its x and y' );
    my $points = grep { $_->{type} eq 'OBJECT' && $_->{blessed} eq $class{'ClassHeap::Point'}{addr} }
        values %{ $d->{svs} };
    is( $points, 1001, 'OBJECT records of ClassHeap::Point: $p and the 1,000' );
}
is( cpmat_out( $file, qw( find --count blessed ClassHeap::Point ) ), 'Total: 1001 SVs',
    'cpmat find --count blessed ClassHeap::Point' );

# cpmat --quiet FILE ARGS: its output, without the last newline.
sub cpmat_out
{
    my ( $path, @args ) = @_;
    my ( $rc, $out, $err ) = run_cpmat( find_cpmat() // cpmat_path(), '--quiet', $path, @args );
    is( "$rc $err", '0 ', "cpmat @args: exit 0, nothing on STDERR" ) if $rc || length $err;
    $out =~ s/\n\z//;
    utf8::decode($out);    # pmat's text is characters (the tree's lines)
    return $out;
}

# --- 2. the same file through Devel::MAT ----------------------------------
SKIP: {
    skip 'Devel::MAT is not installed (Debian: libdevel-mat-perl)', 1
        unless eval { require Devel::MAT; 1 };
    my $pm = load_pmat($file);
    my $df = $pm->dumpfile;
    my $obj = $df->sv_at( $q + 0 );
    is( $obj && $obj->type, 'OBJECT', 'Devel::MAT: $q is an OBJECT' );
    is( $obj->blessed->stashname, 'ClassHeap::Point3D', 'Devel::MAT: $q is a ClassHeap::Point3D' );
    is_deeply( [ map { $_->addr } $obj->fields ], [ map { $_ + 0 } $q->field_refs, $q->own_refs ],
        'Devel::MAT: $q\'s fields' );
    is( $obj->field('$peer')->rv->addr, $p + 0, 'Devel::MAT: $q->field("$peer") refers to $p' );
    my $cls = $df->sv_at( \%ClassHeap::Point:: + 0 );
    is( $cls->type, 'CLASS', 'Devel::MAT: ClassHeap::Point is a CLASS' );
    is_deeply( [ map { [ $_->fieldix, $_->name ] } $cls->fields ],
        [ [ 0, '$x' ], [ 1, '$y' ], [ 2, '@hist' ], [ 3, '%tags' ], [ 4, '$label' ] ],
        'Devel::MAT: ClassHeap::Point\'s fields' );
    is( scalar( $cls->adjust_blocks->elems ), 2, 'Devel::MAT: two ADJUST blocks' );
    my $cv = $df->sv_at( \&ClassHeap::Point3D::own_refs + 0 );
    my ($pn) = grep { defined && $_->name eq '$z' } map { $cv->padname($_) } 1 .. 20;
    ok( $pn && $pn->is_field, 'Devel::MAT: own_refs\'s $z is a field' );
    is( $pn && $pn->fieldix, 5, 'Devel::MAT: ... with field index 5' );
    is( $pn && $pn->fieldstash_at, \%ClassHeap::Point3D:: + 0, 'Devel::MAT: ... of ClassHeap::Point3D' );
    my $empty = $df->sv_at( $e + 0 );
    is( scalar( () = $empty->fields ), 0, 'Devel::MAT: the object of a class without fields has none' );
}

# Devel::MAT warns that reading `class` records is experimental; nothing
# else may be said.
sub load_pmat
{
    my ($path) = @_;
    require Devel::MAT;
    my @w;
    my $pm = do {
        local $SIG{__WARN__} = sub { push @w, $_[0] };
        Devel::MAT->load($path);
    };
    my @other = grep { !/^Support for (class features in PMAT file|PMAT file format v0\.5) is experimental/ } @w;
    is( "@other", '', "Devel::MAT loads $path without other warnings" );
    return $pm;
}

# --- 3. against the reference dumper, through pmat and cpmat ---------------
require Interop;
SKIP: {
    my $why = Interop::skip_reason( without_ref => 1 );
    skip $why, 1 if $why;

    my $ours_e = run_child( 'ours', 1 );
    compare_tools( 'ours (with ClassHeap::Empty)', $ours_e, undef, 1 );

    skip 'the reference Devel::MAT::Dumper is not installed (Debian: libdevel-mat-dumper-perl)', 1
        unless Interop::ref_inc();
    # Without the class that has no fields: the reference crashes on it.
    my $ours = run_child( 'ours', 0 );
    my $ref  = run_child( 'ref', 0 );
    compare_tools( 'ours', $ours, $ref, 0 );
}

# The child under WHICH dumper; returns the dump's path.
sub run_child
{
    my ( $which, $empty ) = @_;
    my $out = PMATTest::fresh_path() . ".$which.pmat";
    local %ENV = Interop::ref_env();
    $ENV{PERL_HASH_SEED} = 0;
    $ENV{PERL_PERTURB_KEYS} = 0;
    my @inc = $which eq 'ours' ? ( "-I$Interop::ROOT/blib/arch", "-I$Interop::ROOT/blib/lib" ) : ();
    my $rc = system( $^X, @inc, "$FindBin::Bin/fixtures/class/class-dump.pl", $out, $empty ? 1 : 0 );
    die "class-dump.pl under $which exited with $?\n" if $rc;
    return $out;
}

# pmat's questions about the objects and classes of a child's dump: text
# with every address replaced by what it is, so two processes compare.
sub questions
{
    my ( $pm, $empty, $cpmat_only ) = @_;
    my $df = $pm->dumpfile;
    my %addr;
    my @objs = ( P => '$main::P', Q => '$main::Q', $empty ? ( E => '$main::E' ) : () );
    while ( my ( $tag, $sym ) = splice @objs, 0, 2 ) {
        $addr{$tag} = sprintf '0x%x', $pm->find_symbol($sym)->rv->addr;
    }
    my @classes = ( 'ClassHeap::Point', 'ClassHeap::Point3D', $empty ? 'ClassHeap::Empty' : () );
    $addr{$_} = sprintf '0x%x', $pm->find_symbol("%${_}::")->addr for @classes;
    my $many = $pm->find_symbol('@main::MANY');
    $addr{M0} = sprintf '0x%x', $many->elem(0)->rv->addr;
    my @q;
    for my $tag ( grep { $addr{$_} } qw( P Q E M0 ) ) {
        push @q, map { [ "$_ $tag", $_, $addr{$tag} ] } qw( identify show outrefs );
    }
    # pmat's OBJECT and CLASS rows of count (cpmat only: the byte totals
    # differ between the dumpers by design; the other rows are t/50's, and
    # Devel::MAT 0.56 counts UNDEF apart; not --blessed, where 0.56 warns
    # on any file, the reference's too)
    push @q, [ 'count', 'count' ] if $cpmat_only;
    for my $c (@classes) {
        push @q, [ "show $c", 'show', $addr{$c} ], [ "outrefs $c", 'outrefs', $addr{$c} ],
                 [ "find --count blessed $c", 'find', '--count', 'blessed', $c ],
                 [ "find blessed $c", 'find', 'blessed', $c ];
    }
    return ( \@q, \%addr );
}

# Every line of pmat's answer equal between the two files (ours vs the
# reference), and cpmat's answer equal to pmat's on each file.
sub compare_tools
{
    my ( $label, $ours, $ref, $empty ) = @_;
    my %ans;
    for my $f ( [ ours => $ours ], $ref ? [ ref => $ref ] : () ) {
        my ( $which, $path ) = @$f;
        my $pm = load_pmat($path);
        $pm->load_tool('Inrefs');
        my ( $qs, $addr ) = questions( $pm, $empty, !$ref );
        my %name = reverse %$addr;
        for my $q (@$qs) {
            my ( $title, @tokens ) = @$q;
            my $pmat = Interop::cmd( $pm, @tokens );
            my $cpmat = cpmat_out( $path, @tokens );
            ( $pmat, $cpmat ) = map { in_order($_) } $pmat, $cpmat if $title =~ /^find blessed/;
            ( $pmat, $cpmat ) = map { join "\n", grep { /^\s*(?:OBJECT|CLASS)\s/ } split /\n/ } $pmat, $cpmat
                if $title eq 'count';
            like( $cpmat, qr{^\s*CLASS\s+3\s.*\n\s*OBJECT\s+1003\s+1003\s}, "$label: count has 3 classes, and \$P, \$Q, \$E and the 1,000" )
                if $title eq 'count';
            is( int_sign( $cpmat ), int_sign( $pmat ), "$label: cpmat $title as pmat ($which)" )
                or diag "pmat:\n$pmat\ncpmat:\n$cpmat";
            $ans{$which}{$title} = $pmat;
        }
        $ans{"$which-names"} = \%name;
    }
    return unless $ref;
    for my $title ( sort keys %{ $ans{ours} } ) {
        my ( $o, $r ) = ( $ans{ours}{$title}, $ans{ref}{$title} );
        # Our SIZE of an object also counts its field pointer array.
        if ( $title =~ /^show (P|Q|M0)$/ ) {
            my ( $os, $rs, $n ) = ( $o =~ /size (\d+) bytes/, $r =~ /size (\d+) bytes/, $title =~ /Q/ ? 7 : 5 );
            is( $os - $rs, $n * $P, "$title: our SIZE is the reference's plus the $n field pointers" )
                or diag "ours:\n$o\nref:\n$r";
        }
        my ( $oc, $rc ) = ( canon( $o, $ans{'ours-names'} ), canon( $r, $ans{'ref-names'} ) );
        ( $oc, $rc ) = map { in_order($_) } $oc, $rc if $title =~ /^find blessed/;
        is( $oc, $rc, "$title: ours as the reference, through pmat" )
            or diag "ours:\n$o\nref:\n$r";
    }
}

# find lists the SVs in the order it meets them (the file's for cpmat, the
# reader's hash for pmat): as a sorted list.
sub in_order { my ($text) = @_; return join "\n", sort split /\n/, $text }

# Addresses to names (the objects and classes asked about) or to ADDR; the
# size lines out (checked above for objects; a CLASS's SIZE also counts its
# field list, and stashes differ by design, POD "SIZE"); the refcount of
# a class stash, which counts the CVs and globs each dumper module holds.
sub canon
{
    my ( $text, $names ) = @_;
    $text =~ s/\b(0x[0-9a-f]+)\b/$names->{$1} \/\/ 'ADDR'/ge;
    $text =~ s/^\s*size .*\n//mg;
    $text =~ s/^(STASH\(\d+\) at ClassHeap::\S+ with refcount) \d+/$1 N/mg;
    return $text;
}

# cpmat.pod, "The sign of IVs": Devel::MAT reads the IV/UV flag the wrong
# way round; the letters and a signed value's two's complement are pmat's.
sub int_sign
{
    my ($text) = @_;
    $text =~ s/SCALAR\((?:UV|IV)/SCALAR(INT/g;
    $text =~ s/^(\s*)[UI]V=(\d+)/$1 . 'INT=' . unpack( 'q', pack( 'Q', $2 ) )/mge;
    $text =~ s/^(\s*)[UI]V=(-\d+)/$1INT=$2/mg;
    $text =~ s/(SCALAR\(INT[^)]*\) at 0x[0-9a-f]+ = )(\d{19,20})$/$1 . unpack( 'q', pack( 'Q', $2 ) )/mge;
    $text =~ s/\n+\z//;
    return $text;
}

done_testing;
