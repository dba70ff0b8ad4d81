package Devel::MAT::Dumper::Helper;

use strict;
use warnings;

our $VERSION = '0.01';

# The header every helper-using XS module compiles in.  Its registry keys,
# its calling conventions and the layout of DMDNamedField are the ABI that
# Devel::MAT::Dumper 0.44 and later (the reference) define, so a module built
# against this header works with either dumper, and one built against the
# reference's header works with ours.
my $HEADER = <<'C';
/* DMD_helper.h -- lets an XS module describe to Devel::MAT::Dumper what its
 * C side holds.  Written by Devel::MAT::Dumper::Helper (the C dumper's,
 * version @VERSION@); see its documentation.  Nothing here needs
 * Devel::MAT::Dumper at build time or at run time: the helpers are only
 * looked at when a dump is being written.
 */
#ifndef DMD_HELPER_H
#define DMD_HELPER_H

/* Where the dumper looks (PL_modglobal keys and package variables). */
#define DMD_KEY_PER_PACKAGE  "Devel::MAT::Dumper/%helper_per_package"
#define DMD_KEY_PER_MAGIC    "Devel::MAT::Dumper/%helper_per_magic"
#define DMD_KEY_WRITESTRUCT  "Devel::MAT::Dumper/writestruct()"

/* One hidden reference, referrer -> referrant, under a label: four items
 * on the Perl stack (the record type 0x87, both SVs, the label), which the
 * dumper takes off again after the helper returns.  Evaluates to the
 * number of items pushed, which the helper adds up and returns. */
#define DMD_ANNOTATE_SV(targ, val, name)  DMD_annotate_sv(aTHX_ (targ), (val), (name))
PERL_STATIC_INLINE int DMD_annotate_sv(pTHX_ const SV *referrer, const SV *referrant, const char *label)
{
  dSP;

  if (referrer == NULL || referrant == NULL)
    return 0;
  EXTEND(SP, 4);
  mPUSHi(0x87);
  PUSHs((SV *)referrer);
  PUSHs((SV *)referrant);
  mPUSHp(label, strlen(label));
  PUTBACK;
  return 4;
}

/* registry{key} = the function's address, as a UV */
PERL_STATIC_INLINE void DMD_register(pTHX_ HV *registry, SV *key, void (*fn)(void))
{
  (void)hv_store_ent(registry, key, newSVuv(PTR2UV(fn)), 0);
}

#ifdef WANT_DMD_API_044

typedef struct DMDContext DMDContext;

typedef int DMD_Helper(pTHX_ DMDContext *ctx, const SV *sv);
typedef int DMD_MagicHelper(pTHX_ DMDContext *ctx, const SV *sv, MAGIC *mg);

/* The registry hash under a PL_modglobal key, made on first use. */
PERL_STATIC_INLINE HV *DMD_modglobal_hv(pTHX_ const char *key)
{
  SV **svp = hv_fetch(PL_modglobal, key, (I32)strlen(key), 1);

  if (!SvROK(*svp))
    sv_setsv(*svp, sv_2mortal(newRV_noinc((SV *)newHV())));
  return (HV *)SvRV(*svp);
}

#define DMD_SET_PACKAGE_HELPER(package, helper)  DMD_set_package_helper(aTHX_ (package), (helper))
PERL_STATIC_INLINE void DMD_set_package_helper(pTHX_ const char *package, DMD_Helper *helper)
{
  SV *key = sv_2mortal(newSVpv(package, 0));
  DMD_register(aTHX_ DMD_modglobal_hv(aTHX_ DMD_KEY_PER_PACKAGE), key, (void (*)(void))helper);
}

#define DMD_SET_MAGIC_HELPER(vtbl, helper)  DMD_set_magic_helper(aTHX_ (vtbl), (helper))
PERL_STATIC_INLINE void DMD_set_magic_helper(pTHX_ MGVTBL *vtbl, DMD_MagicHelper *helper)
{
  /* keyed by the vtable's address as a decimal integer */
  SV *key = sv_2mortal(newSViv(PTR2IV(vtbl)));
  DMD_register(aTHX_ DMD_modglobal_hv(aTHX_ DMD_KEY_PER_MAGIC), key, (void (*)(void))helper);
}

/* A field of a C structure: its name, its type, and the value in the
 * member that goes with the type (ptr for PTR, b for BOOL, n otherwise).
 * The three value members sit side by side, not in a union. */
typedef struct {
  const char *name;
  enum {
    DMD_FIELD_PTR,
    DMD_FIELD_BOOL,
    DMD_FIELD_U8,
    DMD_FIELD_U32,
    DMD_FIELD_UINT
  } type;
  struct {
    void *ptr;
    bool  b;
    long  n;
  };
} DMDNamedField;

typedef void DMD_WriteStruct(pTHX_ DMDContext *ctx, const char *name, void *addr,
                             size_t size, size_t nfields, const DMDNamedField fields[]);

#define DMD_DUMP_STRUCT(ctx, name, addr, size, nfields, fields)  \
  DMD_dump_struct(aTHX_ (ctx), (name), (addr), (size), (nfields), (fields))
PERL_STATIC_INLINE void DMD_dump_struct(pTHX_ DMDContext *ctx, const char *name, void *addr,
                            size_t size, size_t nfields, const DMDNamedField fields[])
{
  /* The dumper leaves its writer's address in PL_modglobal (a dumper too
   * old to have one leaves nothing, and the struct is not written).  Only
   * a dump calls us, so the dumper is loaded: its address, once found,
   * stays (one shared object per process, whatever the interpreter). */
  static DMD_WriteStruct *writer;

  if (!writer) {
    SV **svp = hv_fetch(PL_modglobal, DMD_KEY_WRITESTRUCT, (I32)strlen(DMD_KEY_WRITESTRUCT), 0);
    if (svp && SvIOK(*svp))
      writer = INT2PTR(DMD_WriteStruct *, SvUV(*svp));
  }
  if (writer)
    (*writer)(aTHX_ ctx, name, addr, size, nfields, fields);
}

#else  /* the API before 0.44: helpers get no context, no structs */

typedef int DMD_Helper(pTHX_ const SV *sv);
typedef int DMD_MagicHelper(pTHX_ const SV *sv, MAGIC *mg);

#define DMD_SET_PACKAGE_HELPER(package, helper)  DMD_set_package_helper(aTHX_ (package), (helper))
PERL_STATIC_INLINE void DMD_set_package_helper(pTHX_ const char *package, DMD_Helper *helper)
{
  SV *key = sv_2mortal(newSVpv(package, 0));
  DMD_register(aTHX_ get_hv("Devel::MAT::Dumper::HELPER_PER_PACKAGE", GV_ADD), key,
               (void (*)(void))helper);
}

#define DMD_SET_MAGIC_HELPER(vtbl, helper)  DMD_set_magic_helper(aTHX_ (vtbl), (helper))
PERL_STATIC_INLINE void DMD_set_magic_helper(pTHX_ MGVTBL *vtbl, DMD_MagicHelper *helper)
{
  SV *key = sv_2mortal(newSViv(PTR2IV(vtbl)));
  DMD_register(aTHX_ get_hv("Devel::MAT::Dumper::HELPER_PER_MAGIC", GV_ADD), key,
               (void (*)(void))helper);
}

#endif

/* True when Devel::MAT::Dumper is loaded in this interpreter. */
#define DMD_IS_ACTIVE()  DMD_is_active(aTHX)
PERL_STATIC_INLINE bool DMD_is_active(pTHX)
{
  return get_cv("Devel::MAT::Dumper::dump", 0) != NULL;
}

/* Another root: an SV (often a static one of the module's) that the heap
 * walk would not find, under a name whose first character says whether it
 * holds a strong ('+') or a weak ('-') reference.  The dumper's
 * @MORE_ROOTS takes over the reference the module passes. */
#define DMD_ADD_ROOT(sv, name)  DMD_add_root(aTHX_ (SV *)(sv), (name))
PERL_STATIC_INLINE void DMD_add_root(pTHX_ SV *sv, const char *name)
{
  AV *roots = get_av("Devel::MAT::Dumper::MORE_ROOTS", GV_ADD);

  av_push(roots, newSVpv(name, 0));
  av_push(roots, sv);
}

#endif /* DMD_HELPER_H */
C

sub write_DMD_helper_h
{
    my $class = shift;
    ( my $text = $HEADER ) =~ s/\@VERSION\@/$VERSION/g;
    open my $out, '>', 'DMD_helper.h' or die "Cannot open DMD_helper.h for writing - $!\n";
    print {$out} $text or die "Cannot write DMD_helper.h - $!\n";
    close $out or die "Cannot write DMD_helper.h - $!\n";
    return 1;
}

sub extra_compiler_flags
{
    return ( '-DHAVE_DMD_HELPER', '-I.' );
}

sub extend_module_build
{
    my ( $class, $build ) = @_;
    eval { $class->write_DMD_helper_h; 1 } or do { warn $@; return; };
    $build->extra_compiler_flags( @{ $build->extra_compiler_flags || [] }, $class->extra_compiler_flags );
    return 1;
}

# ExtUtils::MakeMaker: the arguments to WriteMakefile, with the header
# written and the flags added to DEFINE and INC (which MakeMaker passes to
# every compile of the module's C).
sub extend_makemaker
{
    my ( $class, %args ) = @_;
    eval { $class->write_DMD_helper_h; 1 } or do { warn $@; return %args; };
    my ( @define, @inc );
    for ( $class->extra_compiler_flags ) {
        if (/^-D/) { push @define, $_ } else { push @inc, $_ }
    }
    $args{DEFINE} = join ' ', grep { defined && length } $args{DEFINE}, @define;
    $args{INC}    = join ' ', grep { defined && length } $args{INC}, @inc;
    return %args;
}

1;

__END__

=encoding utf8

=head1 NAME

Devel::MAT::Dumper::Helper - let an XS module tell the heap dump what its C side holds

=head1 SYNOPSIS

In F<Makefile.PL> (ExtUtils::MakeMaker):

 my %args = ( NAME => 'My::Cache', VERSION_FROM => 'lib/My/Cache.pm' );
 %args = Devel::MAT::Dumper::Helper->extend_makemaker(%args)
     if eval { require Devel::MAT::Dumper::Helper };
 WriteMakefile(%args);

In F<Build.PL> (Module::Build):

 Devel::MAT::Dumper::Helper->extend_module_build($build)
     if eval { require Devel::MAT::Dumper::Helper };

In the XS source:

 #ifdef HAVE_DMD_HELPER
 #  define WANT_DMD_API_044
 #  include "DMD_helper.h"
 #endif

=head1 DESCRIPTION

A heap dump sees what Perl can see.  An XS module that keeps SVs in C
memory - a cache in a C array, a callback in a C struct, a value hidden in
C<mg_ptr> - holds references that no Perl structure shows, and Devel::MAT's
C<identify> says of what they keep alive: "not found".

This module writes F<DMD_helper.h>, a header with which the XS module
registers I<helpers>: C functions the dumper calls while it writes a dump,
which describe those references as annotations (C<DMD_ANNOTATE_SV>) and C
structures as records of their own (C<DMD_DUMP_STRUCT>).  Devel::MAT and
this distribution's C<cpmat> then follow them like any other reference.

The header and its protocol are those of the reference Devel::MAT::Dumper
(0.44 and later): a module built against either header works with either
dumper, without a rebuild.  Neither dumper is needed to build or to run the
module; the helpers are only looked at while a dump is written.

=head1 FUNCTIONS

=head2 write_DMD_helper_h

 Devel::MAT::Dumper::Helper->write_DMD_helper_h;

Writes F<DMD_helper.h> into the current directory.

=head2 extra_compiler_flags

 my @flags = Devel::MAT::Dumper::Helper->extra_compiler_flags;

C<-DHAVE_DMD_HELPER> and C<-I.>: the C compiler then finds the header, and
the XS code can test C<HAVE_DMD_HELPER>.

=head2 extend_module_build

 Devel::MAT::Dumper::Helper->extend_module_build($build);

Writes the header and adds L</extra_compiler_flags> to the
L<Module::Build> object's C<extra_compiler_flags>.

=head2 extend_makemaker

 %args = Devel::MAT::Dumper::Helper->extend_makemaker(%args);

The same for L<ExtUtils::MakeMaker>: writes the header and returns the
C<WriteMakefile> arguments with C<-DHAVE_DMD_HELPER> added to C<DEFINE> and
C<-I.> to C<INC>.  (The reference has no such function.)

=head1 THE XS MACROS

=head2 DMD_SET_PACKAGE_HELPER

 typedef int DMD_Helper(pTHX_ DMDContext *ctx, const SV *sv);
 DMD_SET_PACKAGE_HELPER(const char *package, DMD_Helper *helper);

From C<BOOT>: call I<helper> for every SV blessed into I<package> or a
class that inherits from it (through its MRO).  It gets the object itself
(the SV the reference points at, not the reference) and returns the sum of
what its C<DMD_ANNOTATE_SV> calls returned.

An object whose class and ancestors have several helpers gets each of them
once, in the order of perl's linearised C<@ISA> (C<mro::get_linear_isa>),
up to four.  The reference dumper 0.46 walks C<@ISA> depth-first instead:
a helper that two parents inherit (a diamond) runs twice there, so its
notes come out twice (0.50 and 0.52 run it once, as this does).

=head2 DMD_SET_MAGIC_HELPER

 typedef int DMD_MagicHelper(pTHX_ DMDContext *ctx, const SV *sv, MAGIC *mg);
 DMD_SET_MAGIC_HELPER(MGVTBL *vtbl, DMD_MagicHelper *helper);

From C<BOOT>: call I<helper> for every MAGIC whose C<mg_virtual> is
I<vtbl>, with the SV that carries it.  Returns as a package helper does.

=head2 DMD_ANNOTATE_SV

 int DMD_ANNOTATE_SV(const SV *referrer, const SV *referrant, const char *label);

Says that I<referrer> holds a (strong) reference to I<referrant>, which
Devel::MAT then describes by I<label>.  Either end may also be the address
of a struct written with C<DMD_DUMP_STRUCT> in the same dump.  Returns the
number to add to the helper's result.

=head2 DMD_DUMP_STRUCT

 typedef struct {
     const char *name;
     enum { DMD_FIELD_PTR, DMD_FIELD_BOOL, DMD_FIELD_U8,
            DMD_FIELD_U32, DMD_FIELD_UINT } type;
     struct { void *ptr; bool b; long n; };
 } DMDNamedField;

 DMD_DUMP_STRUCT(DMDContext *ctx, const char *name, void *addr, size_t size,
                 size_t nfields, const DMDNamedField fields[]);

Writes the C structure at I<addr> (I<size> bytes) as a C_STRUCT record of
the type I<name> (by convention C<"Module/struct">): each field has a
name, a type and its value in C<ptr> (PTR, which Devel::MAT follows like a
reference), C<b> (BOOL) or C<n> (the numbers).  The first struct of a name
in a dump defines its fields; every later one must have the same number
and types of fields.  I<ctx> is the one the helper was given.

=head2 DMD_ADD_ROOT

 DMD_ADD_ROOT(SV *sv, const char *name);

From C<BOOT>: makes I<sv> a root of every dump, shown by C<roots> under
I<name>.  The name starts with C<+> for a strong reference and C<-> for a
weak one.  The dumper's C<@Devel::MAT::Dumper::MORE_ROOTS> takes over the
reference passed.

=head2 Without WANT_DMD_API_044

The header's API before 0.44: helpers take no I<ctx> (C<int helper(pTHX_
const SV *sv)>, C<int helper(pTHX_ const SV *sv, MAGIC *mg)>), register in
C<%Devel::MAT::Dumper::HELPER_PER_PACKAGE> and C<HELPER_PER_MAGIC>, and
cannot write structs.  This dumper still calls them; the reference (0.46 and
later) no longer does, and says so on STDERR.

=head2 DMD_IS_ACTIVE

 bool DMD_IS_ACTIVE();

True when Devel::MAT::Dumper is loaded.

=head1 WHAT A HELPER MAY DO

A helper runs in the middle of a dump: after every SV has been written, on
the thread that is dumping, one helper at a time.  That can be inside the
handler of a signal (perl's deferred one, at an op boundary), in a fork-mode
dump's child, or after the walk was split between two threads (the second
thread has ended by then).  No helper runs from the immediate SIGABRT
handler, which may have interrupted malloc.  So a helper:

=over 4

=item * may read its module's C state, the SV it was given and its MAGIC;

=item * may call C<DMD_ANNOTATE_SV> and C<DMD_DUMP_STRUCT>, and the small
allocations those make (two mortals per annotation);

=item * may not call Perl code (no C<call_sv>, no tie or overload methods,
no C<SvPV> on magical values), die, change the SVs it looks at, free or
create SVs that outlive it, or take locks that the dumped program may hold;

=item * must return exactly the sum of its C<DMD_ANNOTATE_SV> results.

=back

In a fork-mode dump the helpers run in the child, a copy of the program
made with a bare fork(2): what a helper allocates comes from a copy of the
program's malloc, which is safe unless another thread of the program was
inside malloc at that moment.  A threaded program with helpers is better
dumped without C<-fork>.

The dumper checks what it is told before writing it.  An annotation is kept
only when both ends are SVs of the dump or structs it wrote; a struct only
when its fields match the first struct of its name and its address is not
an SV's; a helper's result only when it is the number of items it pushed.
What fails is left out, and one line on STDERR counts it:

 Devel::MAT::Dumper: dropped 3 helper annotation(s) that named no SV or struct of the dump

The file stays valid: a bad pointer costs its record, never the dump.

=head1 A WORKED EXAMPLE

An LRU cache of I<N> entries whose values live only in a C array (this
distribution's tests build exactly this module, F<t/xs/LRU.xs>):

 /* Cache.xs */
 #define PERL_NO_GET_CONTEXT
 #include "EXTERN.h"
 #include "perl.h"
 #include "XSUB.h"

 #ifdef HAVE_DMD_HELPER
 #  define WANT_DMD_API_044
 #  include "DMD_helper.h"
 #endif

 typedef struct { SV **slots; size_t capacity, used, head; } lru;

 #ifdef HAVE_DMD_HELPER
 static int dump_cache(pTHX_ DMDContext *ctx, const SV *sv)
 {
     lru *c = INT2PTR(lru *, SvIVX(sv));   /* the object: a blessed IV */
     int ret = 0;
     size_t i;
     DMDNamedField fields[] = {
         { "capacity", DMD_FIELD_UINT, { .n = (long)c->capacity } },
         { "used",     DMD_FIELD_UINT, { .n = (long)c->used } },
     };

     for (i = 0; i < c->used; i++)
         ret += DMD_ANNOTATE_SV(sv, c->slots[i], "a cache slot");
     DMD_DUMP_STRUCT(ctx, "My::Cache/lru", c, sizeof *c, 2, fields);
     ret += DMD_ANNOTATE_SV(sv, (const SV *)c, "the table");
     return ret;
 }
 #endif

 MODULE = My::Cache    PACKAGE = My::Cache

 BOOT:
 #ifdef HAVE_DMD_HELPER
     DMD_SET_PACKAGE_HELPER("My::Cache", dump_cache);
 #endif

 SV *
 new(class, capacity)
     const char *class
     UV capacity
   CODE:
     lru *c;
     Newxz(c, 1, lru);
     Newxz(c->slots, capacity, SV *);
     c->capacity = capacity;
     RETVAL = sv_setref_pv(newSV(0), class, c);
   OUTPUT:
     RETVAL

 void
 put(self, value)
     SV *self
     SV *value
   CODE:
     lru *c = INT2PTR(lru *, SvIV(SvRV(self)));
     SvREFCNT_dec(c->slots[c->head]);
     c->slots[c->head] = SvREFCNT_inc_simple_NN(value);
     c->head = (c->head + 1) % c->capacity;
     if (c->used < c->capacity)
         c->used++;

with the two lines in F<Makefile.PL> shown in L</SYNOPSIS>.  Without the
helper, an object put in the cache is, to C<identify>, "the referrant of
REF() at 0x..., which is: not found".  With it:

 $ cpmat app.pmat identify 0x55d0c2a1e8c0
 HASH(1)=Session at 0x55d0c2a1e8c0 is:
 └─(via RV) a cache slot of SCALAR(IV)=My::Cache at 0x55d0c2a1e680, which is:
   └─(via RV) the lexical $cache at depth 1 of CODE() at 0x55d0c2a1e938=main_cv, which is:
     └─the main code

and C<show 0xTABLE>, C<outrefs 0xTABLE> and C<find struct My::Cache/lru>
show the table with its fields.

=head1 SEE ALSO

L<Devel::MAT::Dumper>, L<cpmat>, L<Devel::MAT>.

=cut
