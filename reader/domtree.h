/* domtree.h - the dominator tree of a heap graph (SEMI-NCA).
 *
 * A node X dominates Y when every path from the roots to Y passes through
 * X; X's immediate dominator is the closest such node.  What X dominates is
 * what would be freed with X: its retained set.
 *
 * The graph has nodes 0..n-1 (the SVs, by index) and a virtual super-root,
 * node n, whose successors are the roots.  Nodes that no path from the
 * super-root reaches are taken in as islands: first each node with no
 * predecessor at all, in index order, then whatever is still unreached
 * (cycles that only point at each other), again in index order; each
 * becomes a successor of the super-root, so an island's entry retains what
 * only it reaches.
 *
 * The search and the solve are iterative (no recursion: chains of
 * millions); all arrays are allocated in bulk, per phase.  Bytes per node:
 *   dom_search   pre, vertex, idom, semi (the search's edge cursors): 16
 *   dom_solve    + ancestor, label: 24, then back to 12 when it returns
 *   dom_sizes    + bytes (8) and count (4) by preorder: 24
 * plus an n-bit set of the roots' targets.  The caller's successor CSR is
 * needed only by dom_search, its predecessor CSR only by dom_solve.
 */
#ifndef DOMTREE_H
#define DOMTREE_H

#include <stdint.h>

typedef struct dom_graph {
    uint32_t n;                   /* nodes 0..n-1; the super-root is n */
    const uint32_t *roots;        /* the super-root's successors (repeats allowed) */
    uint32_t nroots;
    /* successors: succ[succ_start[v] .. succ_start[v+1]) for v < n */
    const uint32_t *succ_start, *succ;
    /* predecessors: entries pred[pred_start[v] .. pred_start[v+1]), each
     * (node << pred_shift | tag); an entry counts only when (tag &
     * pred_skip) == 0, so the reader's inrefs (strength in the low two
     * bits) serve as they are */
    const uint32_t *pred_start, *pred;
    unsigned pred_shift;
    uint32_t pred_skip;
} dom_graph;

typedef struct dom_tree {
    uint32_t n;          /* the graph's n */
    uint32_t nvisited;   /* preorder numbers 1..nvisited are in use (1 = the super-root) */
    uint32_t reach_end;  /* 1..reach_end were reached from the roots; the rest are islands */
    uint32_t *pre;       /* by node (n+1 entries): its preorder number */
    uint32_t *vertex;    /* by preorder number: the node (vertex[1] == n) */
    uint32_t *idom;      /* by preorder number: the immediate dominator's (0 for the super-root) */
    uint64_t *bytes;     /* dom_sizes: by preorder number, the retained bytes */
    uint32_t *count;     /* dom_sizes: by preorder number, the retained nodes */
    /* working arrays, NULL outside dom_search/dom_solve */
    uint32_t *semi, *ancestor, *label;
    uint8_t *from_root;  /* n bits: the node is one of the roots */
} dom_tree;

/* The depth-first search from the super-root, then the islands.  Needs the
 * successors.  0, or -1 when memory ran out (t is then freed). */
int dom_search(dom_tree *t, const dom_graph *g);
/* The immediate dominators, after dom_search.  Needs the predecessors.
 * 0, or -1 when memory ran out (t is then freed). */
int dom_solve(dom_tree *t, const dom_graph *g);
/* Retained bytes and nodes of every node, from each node's own size
 * (size(ctx, node), asked in node order); the super-root's are the whole
 * graph's.  0 or -1. */
int dom_sizes(dom_tree *t, uint64_t (*size)(void *ctx, uint32_t node), void *ctx);
void dom_free(dom_tree *t);

/* By node: its immediate dominator (n for the super-root), and whether it
 * hangs in an island rather than under the roots. */
static inline uint32_t dom_idom_of(const dom_tree *t, uint32_t node)
{
    return t->vertex[t->idom[t->pre[node]]];
}
static inline int dom_in_island(const dom_tree *t, uint32_t node)
{
    return t->pre[node] > t->reach_end;
}

#endif
