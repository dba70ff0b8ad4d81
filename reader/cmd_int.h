/* cmd_int.h - the pmat-compatible commands of cpmat (not installed).
 *
 * A "model" sits on top of a pmat_file and adds what Devel::MAT's loader
 * computes after reading (its _fixup): the SV kinds as Devel::MAT names them
 * (PAD/PADLIST/PADNAMES reblessed from ARRAY, BOOL, SCALAR for undef SVs),
 * root names, the outgoing references of every SV in Devel::MAT's wording,
 * and - only when a command asks for them - the incoming references as
 * compact CSR arrays (uint32 indexes into the SV index, no pointers).
 *
 * Memory per SV: the reader's 16-byte index, 1 byte of kind; with inrefs
 * 4 bytes of row start + 4 bytes per reference (source index << 2 | strength).
 */
#ifndef CMD_INT_H
#define CMD_INT_H

#include <stdio.h>
#include <stdint.h>
#include "pmat.h"

enum {
    K_UNKNOWN = 0, K_GLOB, K_SCALAR, K_REF, K_ARRAY, K_HASH, K_STASH, K_CODE, K_IO,
    K_LVALUE, K_REGEXP, K_FORMAT, K_INVLIST, K_BOOL, K_OBJECT, K_CLASS, K_C_STRUCT,
    K_PADLIST, K_PADNAMES, K_PAD,
    K_UNDEF,        /* count's kind for a SCALAR with no value, from Devel::MAT 0.56 */
    K_NKINDS
};

enum { S_STRONG = 0, S_WEAK = 1, S_INDIRECT = 2, S_INFERRED = 3 };
#define M_STRONG   (1u << S_STRONG)
#define M_WEAK     (1u << S_WEAK)
#define M_INDIRECT (1u << S_INDIRECT)
#define M_INFERRED (1u << S_INFERRED)
#define M_ALL      15u

/* A target address that is neither in the heap nor an immortal is "no SV". */
#define NO_IDX ((size_t)-1)

typedef struct cm_pair { uint32_t key, val; } cm_pair;

/* Per (record type, blessed pointer): how many SVs and bytes, gathered
 * during pmat_open's pass (pmat_open_ex's sv_hook), so that count and
 * find --count blessed need not read the records a second time. */
typedef struct cm_stat { uint64_t blessed, svs, bytes; uint32_t type, used; } cm_stat;

typedef struct cm {
    pmat_file *f;
    const pmat_header *h;
    size_t n;
    uint8_t *kind;             /* n: K_* */
    cm_pair *padcv; size_t npadcv;   /* PAD/PADLIST/PADNAMES idx -> CODE idx, sorted */
    cm_pair *globat; size_t nglobat; /* SV idx -> GLOB idx holding it in a slot */
    uint64_t *proto_oproot; uint32_t *proto_cv; size_t nprotos; /* sorted by oproot */
    uint32_t *in_start;        /* n+1, or NULL until cm_build_inrefs */
    uint32_t *in_src;          /* src << 2 | strength */
    uint8_t  *mortal;          /* n bytes; NULL if the file has no mortals */
    uint32_t *adir; size_t nadir;    /* address directory, built with inrefs: see cm_find */
    uint64_t abase; unsigned ashift;
    uint64_t last_addr; size_t last_idx;   /* one-entry lookup cache */
    uint8_t *magic;            /* n bits: the SV has MAGIC extension records */
    uint8_t *hasext;           /* n bits: the SV has any extension record */
    uint64_t *refrv;           /* during cm_build_inrefs only: via_rv of each SV */
    cm_stat *stats; size_t nstats, stats_cap; /* open-addressed; NULL if not gathered */
    int stats_broken;          /* too many distinct keys or an odd header: not usable */
    uint64_t strtab_addr;      /* the strtab root; valid if strtab_counted */
    uint64_t strtab_nkeys;     /* distinct keys of the strtab root; valid if strtab_counted */
    int strtab_counted;
    pmat_error err;
} cm;

/* One outgoing/incoming reference with a name. */
typedef struct cm_ref {
    char *name;        /* malloc'd */
    int strength;
    uint64_t addr;     /* target (outrefs) or source (inrefs); 0 = a root */
} cm_ref;

typedef struct cm_refs { cm_ref *v; size_t n, cap; } cm_refs;
void cm_refs_free(cm_refs *r);

int cm_open(cm *m, const char *path);
/* The stats table (m->stats, stats_cap slots, unused ones have used == 0)
 * if pmat_open gathered it, else NULL.  Counts are by record type: the
 * kinds Devel::MAT's fixups change (PAD, PADLIST, PADNAMES) are still
 * counted as ARRAY there. */
const cm_stat *cm_stats(const cm *m, size_t *cap);
void cm_close(cm *m);
/* The kind name Devel::MAT gives (ref $sv without the prefix). */
const char *cm_kind_name(unsigned k);

/* The Devel::MAT whose output the commands reproduce where versions differ,
 * in hundredths (51 = 0.51); cpmat --pmat-version sets it.  The default is
 * the newest we know, 0.56. */
extern int cm_pmat_version;
int cm_set_pmat_version(const char *text);

/* SV i is a SCALAR with no IV, NV or PV (or an UNDEF record): what
 * Devel::MAT 0.56's $sv->type calls UNDEF. */
int cm_is_valueless_scalar(cm *m, size_t i);
unsigned cm_kind_of(const cm *m, size_t i);
/* The kind a record type has before Devel::MAT's fixups. */
unsigned cm_kind_of_type(unsigned type);
int cm_is_immortal(const cm *m, uint64_t addr);
/* SV exists in Devel::MAT's sense (heap or immortal, non-zero). */
int cm_exists(const cm *m, uint64_t addr);
size_t cm_find(const cm *m, uint64_t addr);
/* Devel::MAT's type() of an address: "REF", "SCALAR", "UNDEF", ... */
const char *cm_type_of(cm *m, uint64_t addr);
int cm_has_magic(const cm *m, uint64_t addr);
/* Devel::MAT's n_values of a HASH/STASH/CLASS: its distinct keys.  Only
 * PL_strtab holds one key twice (HEKs of the same bytes with different
 * flags), so only the strtab root's keys are counted; others are u.hash.n. */
uint64_t cm_hash_nvalues(cm *m, uint64_t addr, const pmat_sv *sv);
/* size and blessed of the i-th SV straight from its common header */
void cm_size_blessed(const cm *m, size_t i, uint64_t *size, uint64_t *blessed);

/* desc / format_sv into a malloc'd string */
char *cm_desc(cm *m, uint64_t addr);
char *cm_format_sv(cm *m, uint64_t addr);
const char *cm_root_name(const cm *m, uint64_t addr);
/* stashname of a STASH (NULL if not a stash); of a GLOB (malloc'd) */
int cm_stashname(cm *m, uint64_t addr, pmat_str *out);
char *cm_glob_stashname(cm *m, uint64_t addr);

/* outrefs of an SV, filtered by strength mask, in Devel::MAT's order. */
typedef void (*cm_ref_cb)(void *ctx, int strength, uint64_t target, const char *name);
int cm_outrefs(cm *m, uint64_t addr, unsigned mask, int want_names, cm_ref_cb cb, void *ctx);
int cm_outrefs_list(cm *m, uint64_t addr, unsigned mask, cm_refs *out);

int cm_build_inrefs(cm *m);
/* inrefs in Devel::MAT's order; strengths as a list like _inrefs */
int cm_inrefs_list(cm *m, uint64_t addr, const int *strengths, int nstr, cm_refs *out);

/* Devel::MAT's glob_at: the GLOB whose scalar/array/hash/code slot holds
 * the SV; for a CODE not in any glob, its own GV.  0 if none. */
uint64_t cm_glob_at(cm *m, size_t idx);

/* the padcv of a PAD/PADLIST/PADNAMES, 0 if unknown */
uint64_t cm_padcv(cm *m, size_t idx);

/* CODE details */
typedef struct cm_code {
    pmat_sv sv;
    uint64_t *pads; size_t npads;          /* pads[d-1] = pad at depth d */
    pmat_str *padnames; size_t npadnames;  /* by padix; is_null if none */
    uint16_t *padflags;                    /* by padix (npadnames) */
    uint64_t padnames_av;
    uint64_t *consts; size_t nconsts;
    uint64_t *gvs; size_t ngvs;
    uint64_t *constix; size_t nconstix;
    uint64_t *gvix; size_t ngvix;
} cm_code;
int cm_code_load(cm *m, uint64_t addr, cm_code *c);
void cm_code_free(cm_code *c);

char *cm_symname(cm *m, uint64_t addr);
uint64_t cm_find_symbol(cm *m, const char *name);

/* root tables: Devel::MAT's descriptions with +/- */
size_t cm_nroots(const cm *m);
int cm_root_get(cm *m, size_t i, const char **name, const char **desc, uint64_t *addr);

/* small string helpers */
char *xstrdup(const char *s);
/* a pmat_str (not NUL-terminated, maybe with NULs) as a new C string */
char *xstrdup_str(const pmat_str *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
/* perlstring()-style quoting of a key / pv into a malloc'd string */
char *cm_perlstring(const unsigned char *p, size_t len);
char *cm_format_key(const unsigned char *p, size_t len);
char *cm_format_bytes(uint64_t b);

/* the commands (the table in commands.c, each in reader/cmd/NAME.c):
 * return 0 ok, 2 on a usage error (message printed) */
int cm_run(cm *m, const char *cmd, int argc, char **argv, FILE *out);
int cm_is_command(const char *cmd);
void cm_help_summary(FILE *out);
int cm_help_cmd(const char *cmd, FILE *out);

/* A SCALAR's flags as Devel::MAT 0.51 reads them: it takes an NV of 0.0
 * for "no NV" (PL_sv_zero, for one, shows as SCALAR(UV,PV) there), so the
 * commands that mirror pmat's output do the same.  `cpmat dump` keeps the
 * raw flags. */
static inline uint8_t cm_scalar_flags(const pmat_sv *sv)
{
    uint8_t fl = sv->u.scalar.flags;
    if ((fl & PMAT_SCALAR_HAS_NV) && sv->u.scalar.nv == 0.0)
        fl &= (uint8_t)~PMAT_SCALAR_HAS_NV;
    return fl;
}

#endif
