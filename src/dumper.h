/* dumper.h -- the contract between the parts of the heap dumper.
 *
 * A dump is one pass, in file order:
 *   write_header    heap.c     magic, flags, version, size tables
 *   write_roots     roots.c    the three immortals and the named roots
 *   write_stack     stack.c    the value stack
 *   write_heap      heap.c     every arena SV (each followed by its MAGIC
 *                              records, magic.c), then the SAVED_* records of
 *                              the save stack (saved.c), then the 0 terminator
 *   write_contexts  context.c  the context stack, then the 0 terminator
 *
 * Every writer appends to d->w (writer.h).  None of them allocates per SV,
 * croaks, or calls Perl code: a dump runs inside somebody else's process,
 * possibly from a signal handler.  Failures latch in d->w.err.
 */
#ifndef PMAT_DUMPER_H
#define PMAT_DUMPER_H

#include "EXTERN.h"
#include "perl.h"
#include "writer.h"

#ifndef PERL_VERSION_GE
/* perl.h has it only from 5.34 on. */
#  define PERL_VERSION_GE(r, v, s) \
    (PERL_REVISION > (r) || (PERL_REVISION == (r) && (PERL_VERSION > (v) \
     || (PERL_VERSION == (v) && PERL_SUBVERSION >= (s)))))
#endif

/* For the per-SV writers inlined into the arena walk (heap.c): the
 * compiler's size heuristics would otherwise leave a call frame per SV. */
#define PMAT_HOT_INLINE static inline __attribute__((always_inline))

/* Everything declared from here on is internal to Dumper.so: hidden, so
 * calls between our objects are direct instead of going through the PLT
 * (after the perl headers above, whose symbols libperl must resolve). */
#pragma GCC visibility push(hidden)

/* SV types as numbered by the format (Devel::MAT's SV.pm). */
enum {
    PMAT_SVt_END     = 0,
    PMAT_SVt_GLOB    = 1,
    PMAT_SVt_SCALAR  = 2,
    PMAT_SVt_REF     = 3,
    PMAT_SVt_ARRAY   = 4,
    PMAT_SVt_HASH    = 5,
    PMAT_SVt_STASH   = 6,
    PMAT_SVt_CODE    = 7,
    PMAT_SVt_IO      = 8,
    PMAT_SVt_LVALUE  = 9,
    PMAT_SVt_REGEXP  = 10,
    PMAT_SVt_FORMAT  = 11,
    PMAT_SVt_INVLIST = 12,
    PMAT_SVt_UNDEF   = 13,
    PMAT_SVt_YES     = 14,
    PMAT_SVt_NO      = 15,
    PMAT_SVt_MAX_0_4 = 16,         /* NTYPES of a v0.4 header */
    PMAT_SVt_OBJ     = 16,         /* format v0.5 on: `class` objects and */
    PMAT_SVt_CLASS   = 17,         /* the stashes of their classes (5.38+) */
    PMAT_SVt_MAX     = 18          /* NTYPES of a v0.5 or v0.6 header */
};

/* The layouts a dump can be written in ($Devel::MAT::Dumper::FORMAT).
 * 0.6 is what the current reference dumper (0.48 on) writes: HEK pointers
 * in hash entries, GLOB and CODE records, PV_SHARED_HEK records, and the
 * mortals section after the contexts.  0.4 is the layout readers before
 * Devel::MAT 0.53 take; a heap holding perl 5.38+ `class` objects or
 * classes then goes out as 0.5 (0.4 plus the OBJ and CLASS types and
 * PADNAME_FIELD), the newest those readers know. */
enum {
    PMAT_FORMAT_0_4 = 4,
    PMAT_FORMAT_0_6 = 6
};

/* SV extension records, written after the SV they annotate. */
enum {
    PMAT_SVxMAGIC       = 0x80,
    PMAT_SVxSAVED_SV    = 0x81,
    PMAT_SVxSAVED_AV    = 0x82,
    PMAT_SVxSAVED_HV    = 0x83,
    PMAT_SVxSAVED_AELEM = 0x84,
    PMAT_SVxSAVED_HELEM = 0x85,
    PMAT_SVxSAVED_CV    = 0x86,
    PMAT_SVxSVSVnote    = 0x87,
    PMAT_SVxDEBUGREPORT = 0x88,
    PMAT_SVx_MAX_0_4    = 0x89,    /* NEXTNS ends here in v0.4 and v0.5 */
    PMAT_SVxPV_SHARED_HEK = 0x89,  /* v0.6 */
    PMAT_SVxMAGICv2     = 0x8A,    /* v0.6; perl 5.45.2+ only (not written) */
    PMAT_SVx_MAX        = 0x8B
};

/* Context types. */
enum {
    PMAT_CTX_END  = 0,
    PMAT_CTX_SUB  = 1,
    PMAT_CTX_TRY  = 2,
    PMAT_CTX_EVAL = 3,
    PMAT_CTX_MAX  = 4
};

/* CODE body records. */
enum {
    PMAT_CODEx_CONSTSV       = 1,
    PMAT_CODEx_CONSTIX       = 2,
    PMAT_CODEx_GVSV          = 3,
    PMAT_CODEx_GVIX          = 4,
    PMAT_CODEx_PADNAME       = 5,
    PMAT_CODEx_PADNAMES      = 7,
    PMAT_CODEx_PAD           = 8,
    PMAT_CODEx_PADNAME_FLAGS = 9,
    PMAT_CODEx_PADNAME_FIELD = 10  /* v0.5: the pad name of a `class` field */
};

/* CLASS body records, after the stash's entries. */
enum {
    PMAT_CLASSx_FIELD = 1           /* UINT fieldix, STR name */
};

/* What the user asked of one dump, read before it starts. */
typedef struct pmat_opts {
    IV  max_string;              /* bytes of each PV written; < 0: all */
    int format;                  /* PMAT_FORMAT_0_4 or PMAT_FORMAT_0_6 */
} pmat_opts;

/* The format a $Devel::MAT::Dumper::FORMAT value names (its string, or a
 * plain number), PMAT_FORMAT_0_6 for undef, 0 for anything else.  Reads
 * the SV's slots only: no magic, no stringification (the SIGABRT handler
 * calls it). */
int pmat_format_of_sv(pTHX_ SV *sv);

typedef struct pmat_dump {
    pmat_writer w;
    IV          max_string;      /* bytes of each PV written; < 0: all */
    UV          unknown_svs;     /* SVs of a type we do not know, left out */
    U8          minor;           /* FORMATVER_MINOR in the header: 4, 5 or 6 */
    U8          heks;            /* v0.6: HEK pointers, PV_SHARED_HEK, mortals */
    SSize_t     tmps_ix;         /* PL_tmps_ix when the dump began: the mortals
                                    above it (an XS helper's) came later */
    /* The arena walk may be split with a helper thread when w is in shared
     * mode (w.shared set); never in signal handlers or the fork child. */
} pmat_dump;

/* The format's UINT is the width of a perl UV. */
#define PMAT_UINT_SIZE ((size_t)sizeof(UV))
#define PMAT_PTR_SIZE  ((size_t)sizeof(void *))

static inline void pmat_put_uint_nocheck(pmat_writer *w, UV v)
{
    memcpy(w->buf + w->len, &v, sizeof v);
    w->len += sizeof v;
}

/* STR: UINT length then the bytes; a NULL string is length -1 (all ones). */
static inline void pmat_put_str(pmat_writer *w, const char *s, STRLEN len)
{
    if (!pmat_reserve(w, PMAT_UINT_SIZE))
        return;
    if (!s) {
        pmat_put_uint_nocheck(w, ~(UV)0);
        return;
    }
    pmat_put_uint_nocheck(w, (UV)len);
    pmat_put_bytes(w, s, len);
}

static inline void pmat_put_cstr(pmat_writer *w, const char *s)
{
    pmat_put_str(w, s, s ? strlen(s) : 0);
}

/* NV as the file carries it: a double, or the 10 significant bytes of an
 * x87 long double (the header's 0x08 flag). */
#ifdef USE_LONG_DOUBLE
#  define PMAT_NV_SIZE ((size_t)10)
#else
#  define PMAT_NV_SIZE ((size_t)sizeof(NV))
#endif

static inline void pmat_put_nv_nocheck(pmat_writer *w, NV v)
{
    memcpy(w->buf + w->len, &v, PMAT_NV_SIZE);
    w->len += PMAT_NV_SIZE;
}

/* Cursor forms (writer.h) of the UINT and NV fields. */
static inline unsigned char *pmat_p_uint(unsigned char *p, UV v)
{
    memcpy(p, &v, sizeof v);
    return p + sizeof v;
}

static inline unsigned char *pmat_p_nv(unsigned char *p, NV v)
{
    memcpy(p, &v, PMAT_NV_SIZE);
    return p + PMAT_NV_SIZE;
}

/* Bytes of the TYPE byte plus the common header and its BLESSED pointer. */
#define PMAT_COMMON_LEN (1 + PMAT_PTR_SIZE + 4 + PMAT_UINT_SIZE + PMAT_PTR_SIZE)

/* The TYPE byte and common header, into room already reserved: kind writers
 * reserve PMAT_COMMON_LEN + their fixed fields once and call this. */
static inline void pmat_put_sv_common_nocheck(pmat_writer *w, const SV *sv,
                                              U8 type, UV size)
{
    pmat_put_u8_nocheck(w, type);
    pmat_put_ptr_nocheck(w, sv);
    pmat_put_u32_nocheck(w, (U32)SvREFCNT(sv));
    pmat_put_uint_nocheck(w, size);
    pmat_put_ptr_nocheck(w, SvOBJECT(sv) ? (const void *)SvSTASH(sv) : NULL);
}

/* size.h: bytes an SV owns -- its head, its body as perl allocates it for
 * its SvTYPE, and the string buffer (plus any OOK offset) when it has one.
 * Containers add their own extra storage on top (arrays, hash tables).
 *   pmat_sv_base_size(sv) = pmat_sv_body_size(sv) + pmat_pv_size(sv)
 * (head and body; the string buffer, 0 when none is owned). */
#include "size.h"

/* The same, through a cursor (writer.h). */
/* t: the SV's SvTYPE when the caller knows it as a constant (only a body
 * from PVMG up can be blessed, so for the smaller ones the test folds
 * away); SVt_PVMG when it does not. */
static inline unsigned char *pmat_p_sv_common_t(unsigned char *p, const SV *sv,
                                                U8 type, UV size, svtype t)
{
    p = pmat_p_u8(p, type);
    p = pmat_p_ptr(p, sv);
    p = pmat_p_u32(p, (U32)SvREFCNT(sv));
    p = pmat_p_uint(p, size);
    return pmat_p_ptr(p, t >= SVt_PVMG && SvOBJECT(sv) ? (const void *)SvSTASH(sv) : NULL);
}

static inline unsigned char *pmat_p_sv_common(unsigned char *p, const SV *sv,
                                              U8 type, UV size)
{
    return pmat_p_sv_common_t(p, sv, type, size, SVt_PVMG);
}

/* The kind writers, called by heap.c's dispatch on SvTYPE.  Each writes one
 * whole record (common header, fields, body) with one reservation for the
 * fixed part. */
/* SCALAR/REF/UNDEF/YES/NO, ARRAY, and HASH or STASH: static inline in
 * sv_scalar.h, sv_array.h and sv_hash.h, which heap.c includes. */
void write_sv_glob(pTHX_ pmat_dump *d, const GV *gv);
void write_sv_io(pTHX_ pmat_dump *d, const IO *io);
void write_sv_lvalue(pTHX_ pmat_dump *d, const SV *sv);
void write_sv_regexp(pTHX_ pmat_dump *d, const SV *sv);
void write_sv_format(pTHX_ pmat_dump *d, const CV *fm);
void write_sv_invlist(pTHX_ pmat_dump *d, const SV *sv);
#if PERL_VERSION_GE(5,38,0)  /* SVt_PVOBJ: `use feature 'class'` objects */
void write_sv_object(pTHX_ pmat_dump *d, const SV *obj);
/* A CLASS record's body after the stash entries: field records, then 0. */
void write_class_fields(pTHX_ pmat_dump *d, const struct xpvhv_aux *aux);
/* Bytes a class owns on top of its stash (added to the CLASS SIZE). */
UV   pmat_class_extra_size(const struct xpvhv_aux *aux);
#endif

/* heap.c: the TYPE byte and the common header (ADDRESS, REFCNT, SIZE,
 * BLESSED) of one SV.  Returns 0 if the writer has failed. */
int  write_sv_common(pTHX_ pmat_dump *d, const SV *sv, U8 type, UV size);
/* sv_code.c: a whole CODE record (common header, fields, body), called by
 * heap.c's dispatch for SVt_PVCV. */
void write_sv_code(pTHX_ pmat_dump *d, const CV *cv);

void write_header(pTHX_ pmat_dump *d);
/* bench/dump-speed's floor: reads what the walk reads, writes nothing. */
UV   pmat_touch_heap(pTHX);
void write_roots(pTHX_ pmat_dump *d);
void write_stack(pTHX_ pmat_dump *d);
/* How many slots of a value-stack AV are live (stack.c); any other AV
 * gets fill back. */
SSize_t pmat_stack_live_fill(pTHX_ const AV *av, SSize_t fill);
int pmat_is_value_stack(pTHX_ const AV *av);
/* The n element pointers of an array that owns no references (stack.c):
 * any that points at a freed SV head goes out as NULL. */
void pmat_put_unowned_elems(pmat_writer *w, SV *const *elems, size_t n);
void write_heap(pTHX_ pmat_dump *d);
/* Threads that walked the arenas in the last dump (1, or 2 when split). */
int  pmat_last_walkers(void);
void write_sv_magic(pTHX_ pmat_dump *d, const SV *sv);
/* v0.6: the mortals section, after the contexts (stack.c). */
void write_mortals(pTHX_ pmat_dump *d);
/* -format 0.4: does the heap hold an OBJ or CLASS record's SV (then the
 * header says 0.5)?  Stops at the first. */
int  pmat_heap_has_class(pTHX);
/* helpers.c: other modules' helpers (DMD_helper.h).  Their records, after
 * the arena walk, on the dumping thread; nothing when none is registered. */
void write_helper_records(pTHX_ pmat_dump *d);
/* The roots modules added with DMD_ADD_ROOT: how many, then the pairs. */
U32  pmat_extra_roots_count(pTHX);
void write_extra_roots(pTHX_ pmat_dump *d);
/* BOOT: where DMD_DUMP_STRUCT finds us; the registries' GVs. */
void pmat_helpers_boot(pTHX);
/* The immediate SIGABRT handler runs no helper (it may be inside malloc). */
void pmat_helpers_suspend(int on);
void write_saved(pTHX_ pmat_dump *d);
void write_contexts(pTHX_ pmat_dump *d);

/* The whole dump to an open fd (dump.c).  Returns 0 or an errno value. */
int  pmat_dump_fd(pTHX_ int fd, pmat_opts opts);
/* The same into a caller's buffer of cap bytes (at least
 * PMAT_WRITER_BUFSIZE), allocating nothing: for dumps from inside an
 * asynchronous signal handler, where malloc may deadlock. */
int  pmat_dump_fd_prealloc(pTHX_ int fd, pmat_opts opts, unsigned char *buf, size_t cap);

/* ---- dumpfile.c: dumps to named files, and the triggers ----------------
 * A file is written under a temporary name in its own directory and renamed
 * over the final name only once complete.  Nothing here calls Perl code or
 * allocates, except where noted, so the trigger can run from a signal. */

/* Write a complete dump to path (temp + rename).  Returns 0, or an errno
 * value with a one-line description (no trailing newline) in msg. */
int  pmat_dump_file(pTHX_ const char *path, pmat_opts opts, char *msg, size_t msglen);
/* The same, written by a detached grandchild (vfork + fork) from a
 * copy-on-write snapshot: returns as soon as the child exists.  The child
 * renames the file into place when complete and reports a failure on fd 2
 * ("Devel::MAT::Dumper: no dump because of dump_fork: ...").  If fork fails
 * it says so in one line on fd 2 and dumps in-process instead. */
int  pmat_dump_file_fork(pTHX_ const char *path, pmat_opts opts, char *msg, size_t msglen);
/* -fork: every trigger from now on dumps from a detached child, which says
 * "Dumping to FILE because of REASON" when the file is complete. */
void pmat_set_fork(int on);
/* pmat_dump_fd with the same in-progress flag (EBUSY if a dump is running):
 * for dumpfh(), so a trigger arriving meanwhile does not nest. */
int  pmat_dump_handle_fd(pTHX_ int fd, pmat_opts opts);
/* The path template (NNN becomes the serial); copied (allocates). */
int  pmat_set_template(const char *abs_path);
const char *pmat_get_template(void);
/* Create the temporary file of the next dump now and keep it open.
 * Returns 0 or an errno value with msg filled in. */
int  pmat_eager_open(char *msg, size_t msglen);
/* A triggered dump: picks the next file name, says "Dumping to FILE because
 * of REASON" on fd 2, dumps, and on failure says so once on fd 2.  Never
 * croaks.  Returns 1 if a file was written, 0 if not. */
int  pmat_trigger(pTHX_ const char *reason, pmat_opts opts);
/* Run a dump from an immediate (unsafe) SIGABRT handler, then re-raise.
 * max_string_gv, format_gv: *Devel::MAT::Dumper::MAX_STRING and *FORMAT
 * (read there, not looked up). */
int  pmat_arm_abrt(GV *max_string_gv, GV *format_gv);
/* Keeps perl's SIGQUIT handler installed through the END blocks and
 * global destruction (dumpfile.c); 0 or errno. */
int  pmat_quit_through_end(void);
/* Is a dump being written right now? */
int  pmat_dump_in_progress(void);

#pragma GCC visibility pop

#endif
