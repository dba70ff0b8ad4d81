/* leak_series.h - what cpmat-leakreport needs beyond cmd_int.h: the keys
 * of a dump (address + base type), a cursor over an open file's keys, and
 * the --summary grouping (leak_series.c, leak_summary.c). */
#ifndef LEAK_SERIES_H
#define LEAK_SERIES_H

#include <stdio.h>
#include <stdint.h>
#include "pmat.h"
#include "cmd_int.h"

/* The key of an SV in a series: address + Devel::MAT's basetype. */
typedef struct lk_key { uint64_t addr; uint8_t bt; } lk_key;

static inline int lk_key_cmp(lk_key a, lk_key b)
{
    if (a.addr != b.addr)
        return a.addr < b.addr ? -1 : 1;
    return (a.bt > b.bt) - (a.bt < b.bt);
}

/* Devel::MAT's basetype of a type byte, as a small number (LK_BT_*). */
enum { LK_BT_SV = 1, LK_BT_AV, LK_BT_HV, LK_BT_CV, LK_BT_GV, LK_BT_IO, LK_BT_LV,
       LK_BT_REGEXP, LK_BT_PVFM, LK_BT_INVLIST, LK_BT_OBJ, LK_BT_C_STRUCT, LK_BT_OTHER };
uint8_t lk_basetype(unsigned type);
const char *lk_basetype_name(uint8_t bt);

/* A file's keys, sorted, delta-encoded: per key the address's distance
 * from the previous key as a LEB128 varint, then the base type byte.  SV
 * heads sit in arenas 24 bytes apart, so most keys take 2 bytes instead of
 * 9: the previous file's keys are what the series holds besides the open
 * file, and they are there while the next file is being indexed. */
typedef struct lk_keys { uint8_t *buf; size_t len, n; } lk_keys;
/* Replace k's contents with the keys of the open file. */
void lk_keys_load(lk_keys *k, const pmat_file *f);
void lk_keys_free(lk_keys *k);

/* Reading the keys back in order. */
typedef struct lk_kcur { const uint8_t *p, *end; lk_key key; int done; } lk_kcur;
void lk_kcur_init(lk_kcur *c, const lk_keys *k);
void lk_kcur_next(lk_kcur *c);

/* The keys of an open file, read from its index in address order.  When
 * several records share an address the last one in the file stands, as
 * in Devel::MAT's heap hash (the index sort is stable). */
typedef struct lk_cursor { const pmat_file *f; size_t i, n; } lk_cursor;
void lk_cursor_init(lk_cursor *c, const pmat_file *f);
static inline int lk_cursor_done(const lk_cursor *c) { return c->i >= c->n; }
lk_key lk_cursor_key(const lk_cursor *c);
void lk_cursor_next(lk_cursor *c);

/* How many keys of f are not in prev. */
size_t lk_count_new(const lk_keys *prev, const pmat_file *f);

/* --summary: group the candidates (addresses in the last file, m) by their
 * nearest blessed owner and by whether anything reachable from the roots
 * holds them, with what each group retains; a group retaining at least
 * share percent of the heap is a suspect.  NULL when out of memory. */
typedef struct lk_sum lk_sum;
lk_sum *lk_summary_build(cm *m, const uint64_t *addr, size_t n, double share);
/* The SUSPECTS section: each suspect group, the SV that keeps it and that
 * SV's dominators up to the roots; then an empty line. */
void lk_summary_print_suspects(cm *m, const lk_sum *s, FILE *out);
/* An empty line, the SUMMARY heading and the groups, most candidates first. */
void lk_summary_print_groups(const lk_sum *s, FILE *out);
void lk_summary_free(lk_sum *s);

/* The name of the package whose stash is at STASH, as a new string
 * ("(a stash at 0x...)" when the stash has no name); also cpmat-counts'. */
char *lk_package_name(cm *m, uint64_t stash);

#endif
