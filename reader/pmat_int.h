/* pmat_int.h - internals shared by the reader's .c files (not installed). */
#ifndef PMAT_INT_H
#define PMAT_INT_H

#include <string.h>

#include "pmat.h"

/* One SV of the index: 16 bytes.  The record offset and the type share a
 * word (offset << 8 | type) because files beyond 2^56 bytes don't exist. */
typedef struct pmat_svent {
    uint64_t addr;
    uint64_t off_type;
} pmat_svent;

/* One extension of the index, sorted by (sv, offset): 16 bytes. */
typedef struct pmat_xent {
    uint64_t sv;
    uint64_t off;
} pmat_xent;

/* A META_STRUCT definition: where its field list starts. */
typedef struct pmat_meta {
    uint64_t id;
    uint64_t nfields;
    uint64_t name_off;
    uint64_t fields_off;
} pmat_meta;

struct pmat_file {
    char *path;
    const unsigned char *map;
    uint64_t size;
    pmat_header h;
    uint64_t minus_1;            /* all-ones UINT: the NULL string length */

    uint64_t roots_off, stack_off, heap_off, ctx_off, mortals_off, end_off;
    uint64_t nroots;
    uint64_t *root_offs;         /* nroots offsets of (STR name, PTR root) */
    uint64_t nstack;
    uint64_t stack_elems_off;
    uint64_t nmortals, mortals_elems_off, mortal_floor;
    int mortal_has_floor;

    int fd;                      /* open only during pmat_open's pass */
    const struct pmat_open_opts *opts;   /* only during pmat_open */

    pmat_svent *svs;  size_t nsvs;
    size_t svs_maplen;           /* svs is an mmap of this many bytes; 0: malloc'd */
    pmat_xent *exts;  size_t nexts;
    pmat_meta *metas; size_t nmetas;
    uint64_t *ctx_offs; size_t nctxs;
};

/* A bounds-checked read position.  'what' names the thing being read
 * ("CODE body", "stack", ...) for the error message; has_sv adds
 * "of SV 0x..." to it. */
typedef struct pmat_cur {
    const pmat_file *f;
    uint64_t pos, end;
    pmat_error *err;
    const char *what;
    int has_sv;
    uint64_t sv;
} pmat_cur;

void pmat_cur_init(pmat_cur *c, const pmat_file *f, uint64_t pos, pmat_error *err,
                   const char *what);

/* Each returns 0 on success, -1 (with *err filled) when the bytes run out. */
int pmat_rd_u8(pmat_cur *c, uint8_t *v);
int pmat_rd_u32(pmat_cur *c, uint32_t *v);
int pmat_rd_uint(pmat_cur *c, uint64_t *v);
int pmat_rd_ptr(pmat_cur *c, uint64_t *v);
int pmat_rd_nv(pmat_cur *c, double *v);
int pmat_rd_str(pmat_cur *c, pmat_str *s);
int pmat_rd_skip(pmat_cur *c, uint64_t n);
/* Skip a table-sized part: bytes, PTRs, STRs. */
int pmat_rd_sized(pmat_cur *c, const pmat_sizes *sz);
/* Fail unless n items of at least 'each' bytes could still fit. */
int pmat_rd_check_count(pmat_cur *c, uint64_t n, uint64_t each, const char *items);

/* Little-endian / big-endian load of len (4 or 8, or any 1..8) bytes;
 * inlined so that constant lengths fold into single loads. */
static inline uint64_t pmat_ld(const unsigned char *p, int len, int big_endian)
{
    uint64_t v = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (!big_endian && len == 8) {
        memcpy(&v, p, 8);
        return v;
    }
    if (!big_endian && len == 4) {
        uint32_t w;
        memcpy(&w, p, 4);
        return w;
    }
#endif
    if (big_endian)
        for (int i = 0; i < len; i++)
            v = (v << 8) | p[i];
    else
        for (int i = len - 1; i >= 0; i--)
            v = (v << 8) | p[i];
    return v;
}

/* Decoders over the mapping without bounds checks (caller checked).
 * pmat_get_uint_n is inline: it is called for every field of every record
 * decoded, and as a call it was 7-16% of a profile. */
static inline uint64_t pmat_get_uint_n(const pmat_file *f, const unsigned char *p, int len)
{
    return pmat_ld(p, len, f->h.big_endian);
}
double pmat_get_nv(const pmat_file *f, const unsigned char *p);

/* Error reporting. */
int pmat_fail(pmat_cur *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int pmat_fail_at(pmat_error *err, const char *path, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int pmat_fail_noff(pmat_error *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Header, roots and stack (pmat_header.c). Sets f->heap_off. */
int pmat_read_header(pmat_file *f, pmat_error *err);
/* Heap, contexts, mortals (pmat_index.c). */
int pmat_build_index(pmat_file *f, pmat_error *err);
/* Parse one context at c->pos (pmat_ctx.c); advances the cursor. */
int pmat_ctx_parse(pmat_cur *c, pmat_ctx *out);
/* Parse one SV / extension record (pmat_sv.c, pmat_ext.c); advance cursor
 * to the end of the record. */
int pmat_sv_parse(pmat_cur *c, pmat_sv *out);
int pmat_ext_parse(pmat_cur *c, pmat_ext *out);
int pmat_meta_parse(pmat_cur *c, pmat_meta *out);

#endif
