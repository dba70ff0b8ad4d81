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

/* The indexes of the n SVs that retain the most, largest first (ties by
 * index); *got how many (fewer in a small heap).  malloc'd. */
uint32_t *cm_top_retained(cm *m, const dom_tree *t, size_t n, size_t *got);

#endif
