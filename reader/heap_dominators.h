/* heap_dominators.h - the dominator tree of a dump's heap (see cpmat.pod,
 * "RETAINED SIZE"): nodes are the SVs, edges the strong references as the
 * model's inrefs class them, and the super-root holds every root, every
 * value on the stack, every context's SVs and every mortal.
 *
 * Built once per model, on the first question that needs it, on top of
 * the inrefs; then 24 bytes per SV stay (preorder number, vertex, idom,
 * retained bytes and count).
 */
#ifndef HEAP_DOMINATORS_H
#define HEAP_DOMINATORS_H

#include "cmd_int.h"
#include "domtree.h"

/* The tree of m's heap, built on first use; NULL (with a message on
 * stderr) when memory ran out. */
const dom_tree *cm_domtree(cm *m);
void cm_domtree_free(cm *m);

/* Retained bytes and SVs of SV index i (in the tree t of m). */
static inline uint64_t cm_retained_bytes(const dom_tree *t, size_t i) { return t->bytes[t->pre[i]]; }
static inline uint32_t cm_retained_count(const dom_tree *t, size_t i) { return t->count[t->pre[i]]; }

/* The super-root's successors as SV indexes (repeats possible), in the
 * order the search takes them; malloc'd, NULL when memory ran out. */
uint32_t *cm_domtree_roots(cm *m, size_t *n);

/* Why the super-root holds SV index i directly: the first root naming it
 * ("the default stash"), "a value on the stack", a context's SV, "a
 * mortal"; NULL if none does.  Static storage or the root table's. */
const char *cm_domtree_held_as(cm *m, size_t i);

/* "N SVs, B bytes (human)": how retained and dominators say SV index i's
 * retained size.  malloc'd. */
char *cm_fmt_retained(const dom_tree *t, size_t i);

/* Sort the n SV indexes v by retained bytes, largest first (ties by index). */
void cm_sort_by_retained(const dom_tree *t, uint32_t *v, size_t n);

/* The indexes of the n SVs that retain the most, largest first (ties by
 * index); *got how many (fewer in a small heap).  malloc'd. */
uint32_t *cm_top_retained(cm *m, const dom_tree *t, size_t n, size_t *got);

/* Per key (key[] by preorder number: 0 for none, else 1..nkeys), what its
 * SVs retain together, each SV once (one counts only where no SV above it
 * in the tree has its key): bytes[k] and svs[k], and members[k], how many
 * SVs have key k.  The arrays hold nkeys+1.  Walks the dominator tree depth
 * first: 8 bytes per SV for its children, 4 per key, and the path.  0, or
 * -1 when memory ran out. */
int cm_retained_by_key(const dom_tree *t, const uint32_t *key, uint32_t nkeys,
                       uint64_t *bytes, uint64_t *svs, uint64_t *members);

/* The nearest SV that dominates all of the n SV indexes svs (one of them,
 * if it dominates the others), or t->n (the super-root) if none does.
 * 4 bytes per SV while it runs. */
uint32_t cm_common_dominator(const dom_tree *t, const uint32_t *svs, size_t n);

/* SV index i's chain of immediate dominators up to the roots, a line a
 * step ("└─element [2] of ARRAY(5) at 0x..., which is:"), each line
 * starting with indent and two spaces more for each step. */
void cm_print_dominator_chain(cm *m, const dom_tree *t, size_t i, FILE *out, const char *indent);

#endif
