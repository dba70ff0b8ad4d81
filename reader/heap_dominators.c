/* heap_dominators.c - the model's heap as a graph for domtree.c.
 *
 * The inrefs (cm_build_inrefs) are already the predecessor lists, strength
 * in the low two bits; the successor lists are their transpose, strong
 * references only, built in bulk and freed as soon as the search is done,
 * so that they and the solve's working arrays are never held at once.
 *
 * The super-root's successors: every root of the file (the immortals are
 * not in the heap), every value on the stack, every context's CV, @_ and
 * eval text, and every mortal (the temps stack holds a count on each until
 * the statement ends).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "heap_dominators.h"

static struct {
    const cm *m;          /* the model the tree is of */
    dom_tree t;
    int built;
} g_tree;

typedef struct idx_list { uint32_t *v; size_t n, cap; int oom; } idx_list;

static void list_add(idx_list *l, cm *m, uint64_t addr)
{
    if (!addr || cm_is_immortal(m, addr))
        return;
    size_t i = cm_find(m, addr);
    if (i == NO_IDX || l->oom)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        uint32_t *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            l->oom = 1;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (uint32_t)i;
}

/* The super-root's successors, in the order the search takes them: roots,
 * stack, contexts, mortals. */
static int held_by_interpreter(cm *m, idx_list *l)
{
    for (size_t i = 0; i < cm_nroots(m); i++) {
        const char *name, *desc;
        uint64_t addr;
        if (cm_root_get(m, i, &name, &desc, &addr) == 0)
            list_add(l, m, addr);
    }
    for (uint64_t i = 0; i < pmat_stack_count(m->f); i++)
        list_add(l, m, pmat_stack_at(m->f, i));
    for (size_t i = 0; i < pmat_ctx_count(m->f); i++) {
        pmat_ctx c;
        if (pmat_ctx_get(m->f, i, &c, &m->err) < 0)
            continue;
        list_add(l, m, c.cv);
        list_add(l, m, c.args);
        list_add(l, m, c.codesv);
    }
    for (uint64_t i = 0; i < pmat_mortal_count(m->f); i++)
        list_add(l, m, pmat_mortal_at(m->f, i));
    return l->oom ? -1 : 0;
}

/* The strong successors of every SV: the inrefs turned round. */
static int strong_successors(const cm *m, uint32_t **start_out, uint32_t **succ_out)
{
    size_t n = m->n;
    uint32_t *start = calloc(n + 1, sizeof *start), *succ;
    if (!start)
        return -1;
    for (size_t w = 0; w < n; w++)
        for (uint32_t j = m->in_start[w]; j < m->in_start[w + 1]; j++)
            if ((m->in_src[j] & 3) == S_STRONG)
                start[(m->in_src[j] >> 2) + 1]++;
    for (size_t v = 0; v < n; v++)
        start[v + 1] += start[v];
    succ = malloc(((size_t)start[n] + 1) * sizeof *succ);
    if (!succ) {
        free(start);
        return -1;
    }
    /* fill row by row with start[] as the cursor, then shift it back */
    for (size_t w = 0; w < n; w++)
        for (uint32_t j = m->in_start[w]; j < m->in_start[w + 1]; j++)
            if ((m->in_src[j] & 3) == S_STRONG)
                succ[start[m->in_src[j] >> 2]++] = (uint32_t)w;
    memmove(start + 1, start, n * sizeof *start);
    start[0] = 0;
    *start_out = start;
    *succ_out = succ;
    return 0;
}

/* Asked in index order, which is the file's: the mapped pages read so far
 * are given back as the build of the inrefs does, or the whole file would
 * stay resident. */
static uint64_t node_size(void *ctx, uint32_t node)
{
    const cm *m = ctx;
    uint64_t size, blessed;
    if (node >= m->n)
        return 0;
    if ((node & 0xffff) == 0xffff)
        pmat_release_pages(m->f);
    cm_size_blessed(m, node, &size, &blessed);
    return size;
}

uint32_t *cm_domtree_roots(cm *m, size_t *n)
{
    idx_list l = { NULL, 0, 0, 0 };
    if (held_by_interpreter(m, &l) < 0) {
        free(l.v);
        return NULL;
    }
    *n = l.n;
    return l.v ? l.v : xmalloc(sizeof *l.v);
}

static int build(cm *m, dom_tree *t)
{
    idx_list roots = { NULL, 0, 0, 0 };
    uint32_t *start = NULL, *succ = NULL;

    if (m->n >= UINT32_MAX - 2 || cm_build_inrefs(m) < 0 || held_by_interpreter(m, &roots) < 0 ||
        roots.n > UINT32_MAX || strong_successors(m, &start, &succ) < 0) {
        free(roots.v);
        return -1;
    }
    dom_graph g = { (uint32_t)m->n, roots.v, (uint32_t)roots.n, start, succ,
                    m->in_start, m->in_src, 2, 3 };
    int rc = dom_search(t, &g);
    free(start);
    free(succ);
    g.succ_start = g.succ = NULL;
    if (rc == 0)
        rc = dom_solve(t, &g);
    free(roots.v);
    if (rc == 0)
        rc = dom_sizes(t, node_size, m);
    return rc;
}

const dom_tree *cm_domtree(cm *m)
{
    if (g_tree.built && g_tree.m == m)
        return &g_tree.t;
    cm_domtree_free(NULL);
    if (build(m, &g_tree.t) < 0) {
        fprintf(stderr, "cpmat: out of memory building the dominator tree of %zu SVs\n", m->n);
        return NULL;
    }
    g_tree.m = m;
    g_tree.built = 1;
    return &g_tree.t;
}

void cm_domtree_free(cm *m)
{
    if (g_tree.built && (!m || g_tree.m == m))
        dom_free(&g_tree.t);
    if (!m || g_tree.m == m) {
        g_tree.built = 0;
        g_tree.m = NULL;
    }
}

const char *cm_domtree_held_as(cm *m, size_t i)
{
    uint64_t addr = pmat_sv_addr(m->f, i);

    for (size_t r = 0; r < cm_nroots(m); r++) {
        const char *name, *desc;
        uint64_t a;
        if (cm_root_get(m, r, &name, &desc, &a) == 0 && a == addr)
            return desc[0] == '+' || desc[0] == '-' ? desc + 1 : desc;
    }
    for (uint64_t s = 0; s < pmat_stack_count(m->f); s++)
        if (pmat_stack_at(m->f, s) == addr)
            return "a value on the stack";
    for (size_t c = 0; c < pmat_ctx_count(m->f); c++) {
        pmat_ctx x;
        if (pmat_ctx_get(m->f, c, &x, &m->err) < 0)
            continue;
        if (x.cv == addr)
            return "the sub of a call on the context stack";
        if (x.args == addr)
            return "the arguments (@_) of a call on the context stack";
        if (x.codesv == addr)
            return "the code of an eval on the context stack";
    }
    for (uint64_t k = 0; k < pmat_mortal_count(m->f); k++)
        if (pmat_mortal_at(m->f, k) == addr)
            return "a mortal (on the temps stack)";
    return NULL;
}

/* ---- what the commands print ------------------------------------------------- */

char *cm_fmt_retained(const dom_tree *t, size_t i)
{
    uint64_t b = cm_retained_bytes(t, i);
    char *h = cm_format_bytes(b);
    uint32_t n = cm_retained_count(t, i);
    char *s = xasprintf("%" PRIu32 " SV%s, %" PRIu64 " bytes (%s)", n, n == 1 ? "" : "s", b, h);
    free(h);
    return s;
}

/* A min-heap of SV indexes by retained bytes: the N largest so far. */
typedef struct topn { uint32_t *v; size_t n, cap; const dom_tree *t; } topn;

static int top_less(const topn *h, uint32_t a, uint32_t b)
{
    uint64_t x = cm_retained_bytes(h->t, a), y = cm_retained_bytes(h->t, b);
    return x < y || (x == y && a > b);
}

static void top_sift_down(topn *h, size_t k)
{
    for (;;) {
        size_t l = 2 * k + 1, s = k;
        if (l < h->n && top_less(h, h->v[l], h->v[s]))
            s = l;
        if (l + 1 < h->n && top_less(h, h->v[l + 1], h->v[s]))
            s = l + 1;
        if (s == k)
            return;
        uint32_t x = h->v[k];
        h->v[k] = h->v[s];
        h->v[s] = x;
        k = s;
    }
}

static void top_offer(topn *h, uint32_t i)
{
    if (h->n < h->cap) {
        size_t k = h->n++;
        h->v[k] = i;
        while (k && top_less(h, h->v[k], h->v[(k - 1) / 2])) {
            uint32_t x = h->v[k];
            h->v[k] = h->v[(k - 1) / 2];
            h->v[(k - 1) / 2] = x;
            k = (k - 1) / 2;
        }
    } else if (h->cap && top_less(h, h->v[0], i)) {
        h->v[0] = i;
        top_sift_down(h, 0);
    }
}

static const dom_tree *sort_tree;   /* qsort's comparator has no context */

static int cmp_desc_bytes(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    uint64_t bx = cm_retained_bytes(sort_tree, x), by = cm_retained_bytes(sort_tree, y);
    return bx != by ? (bx < by ? 1 : -1) : (x > y) - (x < y);
}

void cm_sort_by_retained(const dom_tree *t, uint32_t *v, size_t n)
{
    sort_tree = t;
    qsort(v, n, sizeof *v, cmp_desc_bytes);
}

uint32_t *cm_top_retained(cm *m, const dom_tree *t, size_t n, size_t *got)
{
    topn h = { xmalloc((n + 1) * sizeof *h.v), 0, n, t };
    for (size_t i = 0; i < m->n; i++)
        top_offer(&h, (uint32_t)i);
    cm_sort_by_retained(t, h.v, h.n);
    *got = h.n;
    return h.v;
}


/* ---- groups of SVs ---------------------------------------------------------- */

int cm_retained_by_key(const dom_tree *t, const uint32_t *key, uint32_t nkeys,
                       uint64_t *bytes, uint64_t *svs, uint64_t *members)
{
    uint32_t nv = t->nvisited;
    uint32_t *cstart = calloc((size_t)nv + 2, sizeof *cstart);
    uint32_t *child = malloc(((size_t)nv + 1) * sizeof *child);
    uint32_t *active = calloc((size_t)nkeys + 1, sizeof *active);
    size_t pcap = 1024, depth;
    uint32_t *pv = malloc(pcap * sizeof *pv), *pc = malloc(pcap * sizeof *pc);
    int rc = -1;

    if (!cstart || !child || !active || !pv || !pc)
        goto out;
    memset(bytes, 0, ((size_t)nkeys + 1) * sizeof *bytes);
    memset(svs, 0, ((size_t)nkeys + 1) * sizeof *svs);
    memset(members, 0, ((size_t)nkeys + 1) * sizeof *members);
    /* the dominator tree's children, by counting sort on idom */
    for (uint32_t w = 2; w <= nv; w++)
        cstart[t->idom[w] + 1]++;
    for (uint32_t w = 0; w <= nv; w++)
        cstart[w + 1] += cstart[w];
    for (uint32_t w = 2; w <= nv; w++)
        child[cstart[t->idom[w]]++] = w;
    memmove(cstart + 1, cstart, ((size_t)nv + 1) * sizeof *cstart);
    cstart[0] = 0;
    /* depth first from the super-root; active[k] counts the SVs of key k
     * on the path, so an SV adds its retained size only when it is the
     * topmost of its key */
    pv[0] = 1;
    pc[0] = cstart[1];
    depth = 1;
    while (depth) {
        uint32_t v = pv[depth - 1];
        if (pc[depth - 1] == cstart[v + 1]) {
            if (key[v])
                active[key[v]]--;
            depth--;
            continue;
        }
        uint32_t w = child[pc[depth - 1]++], k = key[w];
        if (k) {
            if (!active[k]) {
                bytes[k] += t->bytes[w];
                svs[k] += t->count[w];
            }
            members[k]++;
            active[k]++;
        }
        if (depth == pcap) {
            uint32_t *a = realloc(pv, 2 * pcap * sizeof *pv), *b = a ? realloc(pc, 2 * pcap * sizeof *pc) : NULL;
            if (a)
                pv = a;
            if (!b)
                goto out;
            pc = b;
            pcap *= 2;
        }
        pv[depth] = w;
        pc[depth] = cstart[w];
        depth++;
    }
    rc = 0;
out:
    free(cstart);
    free(child);
    free(active);
    free(pv);
    free(pc);
    return rc;
}

uint32_t cm_common_dominator(const dom_tree *t, const uint32_t *svs, size_t n)
{
    uint32_t nv = t->nvisited, *cnt = calloc((size_t)nv + 1, sizeof *cnt);
    uint32_t total = 0, best = 1;

    if (!cnt || !n) {
        free(cnt);
        return t->n;
    }
    for (size_t j = 0; j < n; j++)
        if (svs[j] < t->n && !cnt[t->pre[svs[j]]]) {
            cnt[t->pre[svs[j]]] = 1;
            total++;
        }
    /* how many of them each subtree holds: a dominator precedes what it
     * dominates in preorder, so one backward pass adds them up */
    for (uint32_t w = nv; w >= 2; w--)
        cnt[t->idom[w]] += cnt[w];
    /* the SVs whose subtree holds them all form a chain down from the
     * super-root, in increasing preorder: its last is the nearest */
    for (uint32_t w = 2; w <= nv; w++)
        if (cnt[w] == total)
            best = w;
    free(cnt);
    return t->vertex[best];
}

/* ---- the chain of dominators ---------------------------------------------------- */

typedef struct edge_name { uint64_t target; char *name; } edge_name;

static void first_name(void *ctx, int strength, uint64_t target, const char *name)
{
    edge_name *e = ctx;
    (void)strength;
    if (target == e->target && !e->name && name)
        e->name = xstrdup(name);
}

/* The step from SV index i up to its immediate dominator d: how d holds
 * it, as identify names a referrer, or, when every path from d to it goes
 * through others, that it is held only through d. */
static char *dominator_step(cm *m, size_t i, size_t d)
{
    uint64_t da = pmat_sv_addr(m->f, d);
    edge_name e = { pmat_sv_addr(m->f, i), NULL };
    cm_outrefs(m, da, M_STRONG, 1, first_name, &e);
    char *f = cm_format_sv(m, da), *s, *sym = NULL;
    if (e.name && cm_kind_of(m, d) == K_GLOB && (sym = cm_symname(m, e.target)))
        s = xasprintf("the symbol '%s' (%s of %s), which is:", sym, e.name, f);   /* as identify names it */
    else if (e.name)
        s = xasprintf("%s of %s, which is:", e.name, f);
    else
        s = xasprintf("held only through %s (every path to it passes there), which is:", f);
    free(e.name);
    free(f);
    free(sym);
    return s;
}

/* The last step: what the super-root is to SV index i.  malloc'd. */
static char *top_step(cm *m, const dom_tree *t, size_t i)
{
    const char *as = cm_domtree_held_as(m, i);
    if (as)
        return xstrdup(as);
    if (dom_in_island(t, (uint32_t)i))
        return xstrdup("not reachable from the roots: held outside Perl's view, or leaked");
    /* a package variable's glob: its stash and the code that names it */
    char *g = cm_kind_of(m, i) == K_GLOB ? cm_glob_stashname(m, pmat_sv_addr(m->f, i)) : NULL;
    char *s = xasprintf("%s%s%sreachable from the roots along more than one path: no one SV keeps it",
                        g ? "the glob '*" : "", g ? g : "", g ? "', " : "");
    free(g);
    return s;
}

void cm_print_dominator_chain(cm *m, const dom_tree *t, size_t i, FILE *out, const char *indent)
{
    for (size_t x = i, depth = 0;; depth++) {
        uint32_t d = dom_idom_of(t, (uint32_t)x);
        fputs(indent, out);
        for (size_t k = 0; k < depth; k++)
            fputs("  ", out);
        fputs("└─", out);
        if (d == t->n) {
            char *s = top_step(m, t, x);
            fprintf(out, "%s\n", s);
            free(s);
            return;
        }
        char *s = dominator_step(m, x, d);
        fprintf(out, "%s\n", s);
        free(s);
        x = d;
    }
}
