/* t/c/dominators.c - the test suite's driver for reader/dominators.c
 * (never installed): reads a graph on stdin, prints its dominator tree.
 *
 * Input, whitespace-separated numbers:
 *   N M R            nodes 0..N-1, M edges, R roots
 *   R root nodes     (the super-root's successors; N stands for none)
 *   M pairs U V      an edge U -> V; V with the tag 1 added as V+N is a
 *                    weak edge, which must not count
 * Output, one line per node V:
 *   V IDOM ISLAND COUNT BYTES   IDOM is N for the super-root; a node's
 *                               size is V+1 bytes
 * then "total COUNT BYTES" (the super-root's).  Any number of graphs, one
 * after the other, until the end of the input (one process for thousands
 * of graphs: a sanitized process is slow to start). */
#include <stdio.h>
#include <stdlib.h>

#include "dominators.h"

static uint64_t node_size(void *ctx, uint32_t node)
{
    (void)ctx;
    return (uint64_t)node + 1;
}

static uint32_t *csr(uint32_t n, uint32_t m, const uint32_t *from, const uint32_t *to, uint32_t **start)
{
    uint32_t *s = calloc((size_t)n + 1, sizeof *s), *cur = malloc(((size_t)n + 1) * sizeof *cur);
    uint32_t *e = malloc(((size_t)m + 1) * sizeof *e);
    if (!s || !cur || !e)
        exit(3);
    for (uint32_t j = 0; j < m; j++)
        s[from[j] + 1]++;
    for (uint32_t i = 0; i < n; i++)
        s[i + 1] += s[i];
    for (uint32_t i = 0; i <= n; i++)
        cur[i] = s[i];
    for (uint32_t j = 0; j < m; j++)
        e[cur[from[j]]++] = to[j];
    free(cur);
    *start = s;
    return e;
}

static int one_graph(unsigned n, unsigned m, unsigned r)
{
    uint32_t *roots = malloc(((size_t)r + 1) * sizeof *roots);
    uint32_t *u = malloc(((size_t)m + 1) * sizeof *u), *v = malloc(((size_t)m + 1) * sizeof *v);
    uint32_t *sv = malloc(((size_t)m + 1) * sizeof *sv), *pv = malloc(((size_t)m + 1) * sizeof *pv);
    uint32_t *tv = malloc(((size_t)m + 1) * sizeof *tv);
    uint32_t ms = 0;
    if (!roots || !u || !v || !sv || !pv || !tv)
        return 3;
    for (unsigned i = 0; i < r; i++)
        if (scanf("%u", &roots[i]) != 1)
            return 2;
    for (unsigned j = 0; j < m; j++) {
        unsigned a, b;
        if (scanf("%u %u", &a, &b) != 2 || a >= n || b >= 2 * n)
            return 2;
        int weak = b >= n;
        u[j] = a;
        v[j] = weak ? b - n : b;
        /* predecessors carry the tag in the low bit, as the reader's
         * inrefs carry the strength; the successors hold strong edges only */
        pv[j] = a << 1 | (uint32_t)weak;
        if (!weak) {
            sv[ms] = a;
            tv[ms] = v[j];
            ms++;
        }
    }
    dom_graph g = { n, roots, r, NULL, NULL, NULL, NULL, 1, 1 };
    uint32_t *ss, *ps;
    uint32_t *succ = csr(n, ms, sv, tv, &ss);
    uint32_t *pred = csr(n, m, v, pv, &ps);
    g.succ_start = ss;
    g.succ = succ;
    g.pred_start = ps;
    g.pred = pred;
    dom_tree t;
    if (dom_search(&t, &g) < 0 || dom_solve(&t, &g) < 0 || dom_sizes(&t, node_size, NULL) < 0)
        return 4;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t p = t.pre[i];
        printf("%u %u %d %u %llu\n", (unsigned)i, (unsigned)dom_idom_of(&t, i), dom_in_island(&t, i),
               (unsigned)t.count[p], (unsigned long long)t.bytes[p]);
    }
    printf("total %u %llu\n", (unsigned)t.count[1], (unsigned long long)t.bytes[1]);
    dom_free(&t);
    free(ss); free(succ); free(ps); free(pred);
    free(roots); free(u); free(v); free(sv); free(pv); free(tv);
    return 0;
}

int main(void)
{
    unsigned n, m, r;
    while (scanf("%u %u %u", &n, &m, &r) == 3) {
        int rc = one_graph(n, m, r);
        if (rc)
            return rc;
    }
    return feof(stdin) ? 0 : 2;
}
