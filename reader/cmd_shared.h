/* cmd_shared.h - what the pmat commands (reader/cmd/NAME.c) share, and nothing
 * else: the output stream and pmat's table layout (cmd_output.c), options
 * and SV arguments (cmd_args.c), SVs with values (cmd_format.c), reference
 * listings (cmd_refs.c), hash key listings (cmd_keys.c), the symbol-table
 * walk (cmd_symtab.c), the sizes (cmd_sizes.c), and the entry every
 * command gives the command table (commands.c).  Not installed; the
 * model the commands read through is cmd_int.h.
 */
#ifndef CMD_SHARED_H
#define CMD_SHARED_H

#include <regex.h>
#include <stdint.h>
#include <stdio.h>

#include "cmd_int.h"

/* ---- output (cmd_output.c) ---------------------------------------------- */

/* The stream cm_run was given: the commands print here, errors go to stderr. */
extern FILE *cmd_out;

/* A usage error: one line on stderr ("cpmat: ..."), after flushing
 * cmd_out; returns 2, the exit status. */
int usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A table laid out as Devel::MAT::Cmd's print_table: rows of cells
 * padded to each column's width. */
typedef struct table {
    char ***rows;      /* rows[r][c], NULL row = rule */
    size_t *ncols;
    size_t n, cap;
} table;

/* Add a row of ncols malloc'd strings (the table takes them); 0 cells is a
 * rule of dashes. */
void tab_row(table *t, size_t ncols, ...);
/* Print and free the table: indent spaces first; between columns
 * sep[c - 1], else onesep, else " "; right[c] right-aligns column c. */
void tab_print(table *t, int indent, const char *const *sep, const char *onesep,
               const int *right);
/* length in characters (UTF-8 aware, like perl's length on decoded text) */
size_t ulen(const char *s);

/* ---- arguments (cmd_args.c) --------------------------------------------- */

typedef struct optspec {
    const char *name;    /* long name, with '-' for '_' */
    char alias;          /* short alias or 0 */
    int type;            /* 0 flag, 'i' int, 's' string, 'x' hex */
    int set;
    long long ival;
    const char *sval;
} optspec;

/* Parse leading options out of argv from start, into opts (ended by a
 * NULL name); returns the index of the first non-option, or -1 after a
 * usage error. */
int parse_opts(const char *cmd, optspec *opts, int argc, char **argv, int start);
/* Options and no arguments: 0, or 2 after a usage error. */
int opts_only(const char *cmd, optspec *opts, int argc, char **argv);
/* An SV argument as pmat takes it: a root name, a symbol ($x @x %x &x),
 * or an address (0xHEX or decimal).  0 after a usage error. */
uint64_t get_sv_arg(cm *m, const char *cmd, const char *a);
/* [OPTIONS] ADDR, exactly one SV: 0, or 2 after a usage error. */
int addr_args(cm *m, const char *cmd, optspec *opts, int argc, char **argv, uint64_t *addr);
/* The address of the root named want ("defstash", "strtab", ...), 0 if none. */
uint64_t root_addr(cm *m, const char *want);

/* ---- values (cmd_format.c) ---------------------------------------------- */

/* An NV as perl prints it (%.15g, NaN, Inf, -Inf). */
char *fmt_nv(double nv);
/* A PV as perlstring() quotes it, cut at maxlen characters + "..." (0: whole). */
char *fmt_pv(const pmat_str *s, size_t maxlen);
/* A SCALAR's number as Devel::MAT reports it (NV, else IV/UV); NULL if none. */
char *scalar_num(const pmat_sv *sv);
/* format_sv_with_value: the SV, then "= value" / "=> referrant" / "is NAME";
 * depth is the REF nesting so far (0 from a command). */
char *format_sv_with_value(cm *m, uint64_t addr, int depth);
/* The slots of a pad of CODE c, one line each, named where c names them. */
void show_pad_contents(cm *m, const pmat_sv *pad, const cm_code *c);

/* ---- references (cmd_refs.c) -------------------------------------------- */

/* Sort by name, keeping the order of equal names (Perl's sort_by). */
void stable_sort_refs(cm_refs *r);
/* What outrefs or inrefs lists of the SV at addr: strong references, with
 * weak ones too (weak), or all (all). */
typedef void (*refs_collector)(cm *m, uint64_t addr, int all, int weak, cm_refs *r);
/* [--weak] [--all] ADDR, then what collect finds, sorted, without roots, 30
 * to a table.  0, or 2 after a usage error. */
int list_refs(cm *m, const char *cmd, int argc, char **argv, refs_collector collect);

/* ---- hash keys (cmd_keys.c) --------------------------------------------- */

/* One entry of a hash, for the key listings (values, strtab, symbols). */
typedef struct kv { pmat_str key; uint64_t hek, val; size_t pos; } kv;

/* Perl's default sort of keys: bytes, then length (a qsort comparator). */
int cmp_kv(const void *a, const void *b);
/* The keys a listing (values, strtab) shows of the hash at index i:
 * filter is its /PATTERN/FLAGS argument or NULL; each key once, filtered,
 * sorted unless no_sort, *n of them, *first the first to print after
 * skip.  The entries are malloc'd; NULL after a usage error (*rc its exit
 * status). */
kv *listed_keys(cm *m, const char *cmd, size_t i, const char *filter, int no_sort,
                long long skip, size_t *n, size_t *first, int *rc);
/* The options values and strtab share, Devel::MAT 0.56's: count, skip,
 * no-sort (values adds hek), at these places of their optspec arrays. */
enum { O_COUNT, O_SKIP, O_NOSORT, O_HEK };
/* ... and pmat's help lines for them, which their help texts are made of */
#define KEYS_HELP_COUNT  "  --count, -c INT    maximum count of values to print\n"
#define KEYS_HELP_NOSORT "  --no-sort, -n      don't sort keys before printing\n"
#define KEYS_HELP_SKIP   "  --skip, -s INT     count of keys to skip initially before printing\n"
#define KEYS_HELP_ARGUMENTS "\nARGUMENTS:\n  $FILTER    optional pattern to filter keys by\n"

/* A POSIX regex over all of a string's bytes (find pv --regexp, key filters). */
int regex_match_str(const regex_t *re, const pmat_str *s);

/* ---- the symbol table (cmd_symtab.c) ------------------------------------ */

typedef struct symq { uint64_t sv; char *name; } symq;
typedef struct symqueue { symq *v; size_t n, cap, head; } symqueue;

/* Put n items at the front of the queue, in their order (Perl's unshift). */
void sq_unshift_list(symqueue *q, symq *items, size_t n);
/* The stash's symbols sorted by key, named prefix . key; *out_ malloc'd. */
size_t extract_symbols(cm *m, uint64_t stash, const char *prefix, symq **out_);

/* ---- sizes (cmd_sizes.c) ------------------------------------------------ */

/* A set of SV indexes (list in insertion order, duplicates allowed as in
 * Devel::MAT's owned_set). */
typedef struct idxlist { uint32_t *v; size_t n, cap; } idxlist;

/* The size of the i-th SV as its record gives it (0 if unreadable). */
uint64_t sv_size(cm *m, size_t i);
/* Devel::MAT's structure_set / owned_set of the i-th SV, appended to out_
 * (the SV first). */
void structure_set(cm *m, size_t i, idxlist *out_);
void owned_set(cm *m, size_t i, idxlist *out_);
/* metric 0: the SV's own size; 1: its structure set's; 2: its owned set's. */
uint64_t metric_size(cm *m, size_t i, int metric);
/* Every SV's owned size (m->n + 1 entries, malloc'd), NULL if out of memory. */
uint64_t *owned_sizes(cm *m);

/* ---- the command table (commands.c) ------------------------------------- */

/* What a command gives the table: reader/cmd/NAME.c defines its
 * `const command command_NAME` (NAME with '_' for '-'). */
typedef struct command {
    const char *name, *desc;
    int (*run)(cm *, int, char **);   /* 0 ok, 2 on a usage error (message printed) */
    const char *synopsis;
    const char *help;    /* pmat's OPTIONS/ARGUMENTS text, or NULL: see the manual */
} command;

#endif
