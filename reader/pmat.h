/* pmat.h - the C reader library for PMAT heap dumps (Devel::MAT::Dumper).
 *
 * CONTRACT
 *
 *  - pmat_open() maps a PMAT file (format v0.1 .. v0.6, either endianness,
 *    4- or 8-byte UINT/PTR, 8-byte double or 10-byte x87 long double NV),
 *    validates the header, walks every record once and builds a compact
 *    index of the SVs sorted by address.  If it returns non-NULL, every
 *    record in the heap and context sections has been bounds-checked, so
 *    the lazy accessors below only fail if the caller passes a bogus
 *    offset or index.
 *  - Nothing is ever read outside the mapping, nothing aborts, nothing
 *    loops without consuming bytes.  Every count read from the file is
 *    checked against the bytes that remain BEFORE anything is allocated or
 *    skipped, so a corrupt count yields an error, not a huge malloc.
 *  - Errors are values: a pmat_error carrying the file name, the byte
 *    offset at which reading failed, and what was being read.  Functions
 *    return NULL / -1 and fill the caller's pmat_error.
 *  - Memory: one mapping of the file (read lazily; pmat_open itself reads
 *    the heap through a small buffer, so the mapping's pages only become
 *    resident where records are decoded), 16 bytes per SV (address + packed
 *    offset/type) for the index, 16 bytes per extension record, 8 bytes
 *    per root and per context.  No per-SV malloc.  Strings (pmat_str)
 *    point into the mapping and live as long as the pmat_file.
 *  - Field values are decoded lazily from the mapping each time they are
 *    asked for (pmat_sv_read / pmat_ext_read / the iterators).
 *  - Vocabulary follows the format description: SV types, extensions
 *    (MAGIC, SAVED_*, SVSV note, DEBUGREPORT), META_STRUCT, contexts.
 *  - Not thread-safe for concurrent open/close of the same pmat_file; a
 *    const pmat_file may be read from many threads.
 */
#ifndef PMAT_H
#define PMAT_H

#include <stddef.h>
#include <stdint.h>

/* ---- errors -------------------------------------------------------- */

typedef struct pmat_error {
    uint64_t offset;      /* byte offset in the file where reading failed */
    int      has_offset;  /* 0 for errors that are not about a position */
    char     msg[1024];   /* "FILE: at byte N: what went wrong" */
} pmat_error;

/* The one-line description of an error (no trailing newline). */
const char *pmat_error_message(const pmat_error *err);

/* ---- SV types, extensions, contexts -------------------------------- */

enum {
    PMAT_SVt_END      = 0,
    PMAT_SVt_GLOB     = 1,
    PMAT_SVt_SCALAR   = 2,
    PMAT_SVt_REF      = 3,
    PMAT_SVt_ARRAY    = 4,
    PMAT_SVt_HASH     = 5,
    PMAT_SVt_STASH    = 6,
    PMAT_SVt_CODE     = 7,
    PMAT_SVt_IO       = 8,
    PMAT_SVt_LVALUE   = 9,
    PMAT_SVt_REGEXP   = 10,
    PMAT_SVt_FORMAT   = 11,
    PMAT_SVt_INVLIST  = 12,
    PMAT_SVt_UNDEF    = 13,
    PMAT_SVt_YES      = 14,
    PMAT_SVt_NO       = 15,
    PMAT_SVt_OBJECT   = 16,
    PMAT_SVt_CLASS    = 17,
    PMAT_SVt_C_STRUCT = 0x7F,

    PMAT_SVx_MAGIC       = 0x80,
    PMAT_SVx_SAVED_SV    = 0x81,
    PMAT_SVx_SAVED_AV    = 0x82,
    PMAT_SVx_SAVED_HV    = 0x83,
    PMAT_SVx_SAVED_AELEM = 0x84,
    PMAT_SVx_SAVED_HELEM = 0x85,
    PMAT_SVx_SAVED_CV    = 0x86,
    PMAT_SVx_SVSV_NOTE   = 0x87,
    PMAT_SVx_DEBUGREPORT = 0x88,
    PMAT_SVx_PV_SHARED_HEK = 0x89,   /* v0.6: a SCALAR's PV is a shared HEK */
    PMAT_SVx_MAGICv2     = 0x8A,     /* v0.6: perl 5.42's MagicV2 attachments */

    PMAT_META_STRUCT = 0xF0,

    PMAT_CTX_SUB  = 1,
    PMAT_CTX_TRY  = 2,
    PMAT_CTX_EVAL = 3
};

/* SCALAR flags */
#define PMAT_SCALAR_HAS_IV  0x01
#define PMAT_SCALAR_IV_IS_UV 0x02
#define PMAT_SCALAR_HAS_NV  0x04
#define PMAT_SCALAR_HAS_PV  0x08
#define PMAT_SCALAR_PV_UTF8 0x10

/* MAGICv2 flags */
#define PMAT_MAGICv2_WEAK_AUXSV 0x01   /* AUXSV is not counted: a weak reference */
#define PMAT_MAGICv2_HAS_KEYIV  0x02   /* KEYIV holds a value */

/* CODE body record types */
enum {
    PMAT_CODEx_CONSTSV = 1, PMAT_CODEx_CONSTIX = 2, PMAT_CODEx_GVSV = 3,
    PMAT_CODEx_GVIX = 4, PMAT_CODEx_PADNAME = 5, PMAT_CODEx_PADSV = 6,
    PMAT_CODEx_PADNAMES = 7, PMAT_CODEx_PAD = 8, PMAT_CODEx_PADNAME_FLAGS = 9,
    PMAT_CODEx_PADNAME_FIELD = 10
};

/* META_STRUCT field types */
enum {
    PMAT_FIELD_PTR = 0, PMAT_FIELD_BOOL = 1, PMAT_FIELD_U8 = 2,
    PMAT_FIELD_U32 = 3, PMAT_FIELD_UINT = 4
};

/* Type name ("GLOB", "MAGIC", "SUB", ...) or NULL when unknown. */
const char *pmat_sv_type_name(unsigned type);
const char *pmat_ext_type_name(unsigned type);
const char *pmat_ctx_type_name(unsigned type);

/* ---- strings -------------------------------------------------------- */

/* A STR of the file: bytes in the mapping, not NUL-terminated. */
typedef struct pmat_str {
    const unsigned char *ptr;
    uint64_t len;
    int      is_null;     /* the dumper wrote a NULL string */
} pmat_str;

/* ---- the file -------------------------------------------------------- */

typedef struct pmat_file pmat_file;

/* Size table entry: how many header bytes, PTRs and STRs a record has. */
typedef struct pmat_sizes {
    uint8_t bytes, nptrs, nstrs;
} pmat_sizes;

typedef struct pmat_header {
    uint8_t  flags;          /* raw flags byte */
    int      big_endian;
    int      uint_len;       /* 4 or 8 */
    int      ptr_len;        /* 4 or 8 */
    int      nv_len;         /* 8 (double) or 10 (long double) */
    int      ithreads;
    unsigned format_major, format_minor;
    uint32_t perlver;        /* rev<<24 | ver<<16 | sub */
    unsigned n_types, n_extns, n_ctxs;
    pmat_sizes types[256];   /* [0] is the common SV header */
    pmat_sizes extns[128];   /* indexed by type - 0x80 */
    pmat_sizes ctxs[256];    /* [0] is the common context header */
    uint64_t undef_at, yes_at, no_at;   /* the immortals */
    /* v0.6 on: every HASH/STASH/CLASS entry is STR KEY, PTR HEK, PTR VALUE
     * (before: no HEK).  Hash bodies are not described by the size tables,
     * so this follows the format version, as Devel::MAT does. */
    int hash_heks;
} pmat_header;

pmat_file *pmat_open(const char *path, pmat_error *err);

/* pmat_open with options.  sv_hook, when set, is called once for every SV
 * record during pmat_open's pass over the heap, in file order, with the
 * record's bytes (rec[0] is the type byte; len bytes, all inside the file
 * and already checked to form a complete record).  It lets a caller gather
 * per-record figures (sizes, bless packages, ...) without reading the file
 * a second time.  Only pmat_file_header() may be used on f inside the hook;
 * rec is valid only during the call.  The hook's results are meaningless if
 * pmat_open_ex then fails. */
typedef void (*pmat_sv_hook)(void *ctx, const pmat_file *f, const unsigned char *rec,
                             uint64_t len, uint64_t offset);
typedef struct pmat_open_opts {
    pmat_sv_hook sv_hook;
    void *ctx;
} pmat_open_opts;
pmat_file *pmat_open_ex(const char *path, const pmat_open_opts *opts, pmat_error *err);

/* Give the file's pages back to the kernel (madvise MADV_DONTNEED on the
 * mapping).  Nothing else changes: pages are read back from the page cache
 * when next touched.  Long passes over many SVs call it now and then so
 * that the mapped file does not stay resident as a whole. */
void pmat_release_pages(const pmat_file *f);
void pmat_close(pmat_file *f);

const char *pmat_path(const pmat_file *f);
uint64_t pmat_file_size(const pmat_file *f);
const pmat_header *pmat_file_header(const pmat_file *f);
/* "5.36.0" into buf; returns buf */
char *pmat_perl_version(const pmat_file *f, char *buf, size_t buflen);

/* Section offsets, for diagnostics. mortals is 0 when the file has no
 * mortals section (files from older dumpers). */
typedef struct pmat_sections {
    uint64_t roots, stack, heap, contexts, mortals, end;
} pmat_sections;
void pmat_file_sections(const pmat_file *f, pmat_sections *out);

/* ---- roots, stack, mortals ------------------------------------------- */

size_t pmat_root_count(const pmat_file *f);
int pmat_root(const pmat_file *f, size_t i, pmat_str *name, uint64_t *addr);

uint64_t pmat_stack_count(const pmat_file *f);
uint64_t pmat_stack_at(const pmat_file *f, uint64_t i);

uint64_t pmat_mortal_count(const pmat_file *f);
uint64_t pmat_mortal_at(const pmat_file *f, uint64_t i);
uint64_t pmat_mortal_floor(const pmat_file *f);
/* 1 if the file wrote a FLOOR after the mortals (always when the count is
 * above 0; v0.6 dumpers also after a count of 0), else 0. */
int pmat_mortal_has_floor(const pmat_file *f);

/* ---- SVs --------------------------------------------------------------- */

/* Where the variable-length / table-sized parts of a record live. */
typedef struct pmat_raw {
    uint64_t hdr_off;  unsigned hdr_len;   /* type-specific header bytes */
    uint64_t ptrs_off; unsigned nptrs;
    uint64_t strs_off; unsigned nstrs;
    uint64_t body_off;                     /* after the STRs */
    uint64_t end_off;                      /* one past the whole record */
} pmat_raw;

typedef struct pmat_sv {
    uint64_t offset;     /* of the type byte */
    unsigned type;
    uint64_t addr;
    uint32_t refcnt;
    uint64_t size;
    uint64_t blessed;    /* for C_STRUCT: the struct id (see pmat_sv.c) */
    pmat_raw raw;
    union {
        struct {
            uint8_t flags; uint64_t uv; int64_t iv; double nv;
            uint64_t pvlen; pmat_str pv; uint64_t ourstash;
        } scalar;
        struct { uint64_t rv, ourstash; int weak; } ref;
        struct {
            uint64_t line, stash, scalar, array, hash, code, egv, io, form;
            pmat_str name, file;
            uint64_t name_hek;   /* v0.6: the HEK of GvNAME; 0 when absent */
            int has_name_hek;    /* the file's GLOB header holds NAME_HEK */
        } glob;
        struct { uint64_t n; int unreal; } array;       /* also OBJECT */
        struct {                                        /* HASH, STASH, CLASS */
            uint64_t n, backrefs;
            uint64_t mro_linear_all, mro_linear_current, mro_nextmethod, mro_isa;
            pmat_str name;
            uint64_t adjust_blocks;
            uint64_t class_body_off;   /* CLASS: the field records */
        } hash;
        struct {
            uint64_t line; uint8_t flags; uint64_t oproot; int64_t depth;
            uint64_t stash, glob, outside, padlist, constval;
            pmat_str file, name;
            uint64_t name_hek;   /* v0.6: the HEK of a CvNAMED sub; 0 when absent */
            int has_name_hek;    /* the file's CODE header holds NAME_HEK */
        } code;
        struct { int64_t ifileno, ofileno; uint64_t top, format, bottom; } io;
        struct { uint8_t lvtype; uint64_t off, len, targ; } lvalue;
        struct { uint64_t id; size_t meta; } cstruct;
    } u;
} pmat_sv;

size_t pmat_sv_count(const pmat_file *f);
/* Index (in address order) of the first SV at addr, or (size_t)-1. */
size_t pmat_sv_find(const pmat_file *f, uint64_t addr);
/* Address / type of the i-th SV in address order, without decoding. */
uint64_t pmat_sv_addr(const pmat_file *f, size_t i);
unsigned pmat_sv_type(const pmat_file *f, size_t i);
/* Decode the i-th SV (address order) / the SV record at a file offset. */
int pmat_sv_get(const pmat_file *f, size_t i, pmat_sv *out, pmat_error *err);
int pmat_sv_read(const pmat_file *f, uint64_t offset, pmat_sv *out, pmat_error *err);

/* ARRAY elements / OBJECT fields: random access, 0 <= i < u.array.n. */
uint64_t pmat_array_elem(const pmat_file *f, const pmat_sv *sv, uint64_t i);

/* Iterate HASH/STASH/CLASS values in file order. it starts zeroed.
 * Returns 1 with an entry, 0 at the end, -1 on error. */
typedef struct pmat_iter { uint64_t pos; uint64_t done; } pmat_iter;
int pmat_hash_next(const pmat_file *f, const pmat_sv *sv, pmat_iter *it,
                   pmat_str *key, uint64_t *value, pmat_error *err);
/* The same, with each entry's HEK pointer (0 in files before v0.6, see
 * pmat_header.hash_heks). */
int pmat_hash_next_hek(const pmat_file *f, const pmat_sv *sv, pmat_iter *it,
                       pmat_str *key, uint64_t *hek, uint64_t *value, pmat_error *err);

/* Iterate CODE body records in file order. */
typedef struct pmat_code_rec {
    unsigned type;       /* PMAT_CODEx_* */
    uint64_t ix;         /* PADIX / DEPTH / CONSTIX / GVIX */
    uint64_t ptr;        /* SV / PADNAMES / PAD / OURSTASH / FIELDSTASH */
    pmat_str name;       /* PADNAME */
    uint8_t  flags;      /* PADNAME_FLAGS */
    uint64_t fieldix;    /* PADNAME_FIELD */
} pmat_code_rec;
int pmat_code_next(const pmat_file *f, const pmat_sv *sv, pmat_iter *it,
                   pmat_code_rec *rec, pmat_error *err);

/* Iterate CLASS field records (ix, name). */
int pmat_class_next(const pmat_file *f, const pmat_sv *sv, pmat_iter *it,
                    uint64_t *fieldix, pmat_str *name, pmat_error *err);

/* Raw header bytes / PTRs / STRs of any record (for types this reader
 * doesn't know).  The bytes pointer is into the mapping (raw->hdr_len). */
const unsigned char *pmat_raw_bytes(const pmat_file *f, const pmat_raw *raw);
uint64_t pmat_raw_ptr(const pmat_file *f, const pmat_raw *raw, unsigned i);
int pmat_raw_str(const pmat_file *f, const pmat_raw *raw, unsigned i,
                 pmat_str *out, pmat_error *err);

/* ---- META_STRUCT / C_STRUCT ----------------------------------------- */

size_t pmat_struct_count(const pmat_file *f);
/* Name and number of fields of the i-th META_STRUCT. */
int pmat_struct_info(const pmat_file *f, size_t i, uint64_t *id, pmat_str *name,
                     uint64_t *nfields);
/* Field j of META_STRUCT i: name and PMAT_FIELD_* type. */
int pmat_struct_field_def(const pmat_file *f, size_t i, uint64_t j,
                          pmat_str *name, unsigned *type, pmat_error *err);
/* Value of field j of a C_STRUCT SV. */
int pmat_cstruct_field(const pmat_file *f, const pmat_sv *sv, uint64_t j,
                       pmat_str *name, unsigned *type, uint64_t *value,
                       pmat_error *err);

/* ---- extensions ---------------------------------------------------------- */

typedef struct pmat_ext {
    uint64_t offset;     /* of the type byte */
    unsigned type;       /* PMAT_SVx_* */
    uint64_t sv;         /* the SV it is attached to */
    pmat_raw raw;
    union {
        struct { uint8_t type, flags; uint64_t obj, ptr, vtbl; } magic;
        uint64_t saved;                               /* SAVED_SV/AV/HV/CV */
        struct { uint64_t index, sv; } aelem;
        struct { uint64_t key, sv; } helem;
        struct { uint64_t sv; pmat_str name; } note;
        struct { uint64_t serial, line; pmat_str file; } debug;
        uint64_t shared_hek;                          /* PV_SHARED_HEK */
        struct {                                      /* MAGICv2 */
            uint8_t shape, flags;                     /* PMAT_MAGICv2_* */
            uint16_t priv;
            uint64_t ptrlen, keyiv;                   /* keyiv: see HAS_KEYIV */
            uint64_t funcs, auxsv, ptr, keysv, userstruct;
        } magicv2;
    } u;
} pmat_ext;

size_t pmat_ext_count(const pmat_file *f);
/* The extension records of the SV at addr: indexes [*first, *first+n). */
size_t pmat_sv_extensions(const pmat_file *f, uint64_t addr, size_t *first);
int pmat_ext_get(const pmat_file *f, size_t i, pmat_ext *out, pmat_error *err);
int pmat_ext_read(const pmat_file *f, uint64_t offset, pmat_ext *out, pmat_error *err);

/* ---- walking the heap in file order ------------------------------------ */

enum { PMAT_REC_END = 0, PMAT_REC_SV, PMAT_REC_EXT, PMAT_REC_META };
typedef struct pmat_record {
    int kind;            /* PMAT_REC_* */
    unsigned type;       /* the type byte */
    uint64_t offset;     /* of the type byte */
} pmat_record;
/* it starts zeroed. Returns 1 with a record, 0 after the heap's end, -1 on error. */
int pmat_heap_next(const pmat_file *f, pmat_iter *it, pmat_record *rec, pmat_error *err);

/* ---- contexts ------------------------------------------------------------- */

typedef struct pmat_ctx {
    uint64_t offset;
    unsigned type;       /* PMAT_CTX_* */
    uint8_t  gimme;
    uint64_t line;
    pmat_str file;
    int64_t  olddepth;   /* SUB; -1 in v0.1 files */
    uint64_t cv, args;   /* SUB */
    uint64_t codesv;     /* EVAL */
    pmat_raw raw;        /* type-specific part (v0.2+) */
} pmat_ctx;

size_t pmat_ctx_count(const pmat_file *f);
int pmat_ctx_get(const pmat_file *f, size_t i, pmat_ctx *out, pmat_error *err);

#endif
