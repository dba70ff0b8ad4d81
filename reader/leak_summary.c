/* leak_summary.c - cpmat-leakreport --summary: who owns the leak
 * candidates, and does anything Perl can see hold them?
 *
 * Owner: the nearest blessed SV found by walking referrers (strong and
 * indirect inrefs) from the candidate upwards, at most OWNER_DEPTH levels,
 * through plain containers only (arrays, hashes, refs, scalars): the
 * candidate itself if it is blessed, a REF's referent if that is blessed
 * (a reference to a Foo is part of the Foo leak), else the object whose
 * hash/array holds it.  The walk stops at stashes, globs and code, which
 * are named variables rather than objects.
 *
 * Held: whether the candidate is reachable from the roots (the interpreter
 * roots of the dump, which include the main stash and so every symbol, the
 * stack, the contexts' subs/args/eval code and the mortals) along non-weak
 * outrefs.  An unreachable candidate that is
 * still allocated is held by a count Perl cannot show: XS/C code keeping a
 * pointer, or a reference count raised without a reference (a refcount
 * leak).
 *
 * Retained: what each group keeps alive, from the heap's dominator tree
 * (heap_dominators.h), each byte once.  A group retaining at least the
 * suspect share of the heap is a suspect, after Eclipse MAT's leak
 * suspects: the report names it first, with the one SV that keeps all its
 * candidates (their nearest common dominator) and that SV's chain of
 * dominators up to the roots. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "heap_dominators.h"
#include "leak_series.h"

#define OWNER_DEPTH 4
#define OWNER_VISIT 256    /* bound on referrers examined per candidate */

typedef struct idxq { uint32_t *v; size_t n, cap; } idxq;

static void idxq_push(idxq *q, uint32_t x)
{
    if (q->n == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 4096;
        q->v = xrealloc(q->v, q->cap * sizeof *q->v);
    }
    q->v[q->n++] = x;
}

/* ---- reachability from the roots ---------------------------------------- */

typedef struct reach { cm *m; uint8_t *seen; idxq *todo; } reach;

static void reach_mark(reach *r, uint64_t addr)
{
    size_t j = cm_find(r->m, addr);
    if (j == NO_IDX || (r->seen[j >> 3] & (1u << (j & 7))))
        return;
    r->seen[j >> 3] |= (uint8_t)(1u << (j & 7));
    idxq_push(r->todo, (uint32_t)j);
}

static void reach_cb(void *ctx, int strength, uint64_t target, const char *name)
{
    (void)strength;
    (void)name;
    reach_mark(ctx, target);
}

/* A bit per SV: reachable along non-weak outrefs from what the
 * interpreter holds (cm_domtree_roots: the roots, the stack, the
 * contexts' subs, @_ and eval code, the mortals). */
static uint8_t *reachable_from_roots(cm *m)
{
    size_t nheld;
    uint32_t *held = cm_domtree_roots(m, &nheld);
    uint8_t *seen = held ? calloc(m->n / 8 + 1, 1) : NULL;
    if (!seen) {
        free(held);
        return NULL;
    }
    idxq todo = { 0 };
    reach r = { m, seen, &todo };
    for (size_t i = 0; i < nheld; i++)
        reach_mark(&r, pmat_sv_addr(m->f, held[i]));
    free(held);
    while (todo.n) {
        uint32_t j = todo.v[--todo.n];
        cm_outrefs(m, pmat_sv_addr(m->f, j), M_STRONG | M_INDIRECT | M_INFERRED, 0, reach_cb, &r);
    }
    free(todo.v);
    return seen;
}

/* ---- the nearest blessed owner ------------------------------------------- */

static uint64_t blessed_of(cm *m, size_t i)
{
    uint64_t size, blessed;
    cm_size_blessed(m, i, &size, &blessed);
    return cm_exists(m, blessed) ? blessed : 0;
}

/* Containers a walk may pass through: data, not named variables. */
static int plain_container(unsigned kind)
{
    return kind == K_ARRAY || kind == K_HASH || kind == K_REF || kind == K_SCALAR ||
           kind == K_OBJECT;
}

/* The stash of the nearest blessed owner of SV i, or 0. */
static uint64_t nearest_blessed_owner(cm *m, size_t i)
{
    uint64_t b = blessed_of(m, i);
    if (b)
        return b;
    if (cm_kind_of(m, i) == K_REF) {
        pmat_sv sv;
        if (pmat_sv_get(m->f, i, &sv, &m->err) == 0) {
            size_t t = cm_find(m, sv.u.ref.rv);
            if (t != NO_IDX && (b = blessed_of(m, t)))
                return b;
        }
    }
    /* breadth first, so the nearest owner wins */
    uint32_t q[OWNER_VISIT];
    uint8_t depth[OWNER_VISIT];
    size_t head = 0, tail = 0;
    q[tail] = (uint32_t)i;
    depth[tail++] = 0;
    while (head < tail) {
        uint32_t x = q[head];
        uint8_t d = depth[head++];
        if (d >= OWNER_DEPTH)
            continue;
        for (uint32_t e = m->in_start[x]; e < m->in_start[x + 1]; e++) {
            uint32_t src = m->in_src[e] >> 2, strength = m->in_src[e] & 3;
            if (strength != S_STRONG && strength != S_INDIRECT)
                continue;
            if ((b = blessed_of(m, src)))
                return b;
            if (!plain_container(cm_kind_of(m, src)) || tail == OWNER_VISIT)
                continue;
            int dup = 0;
            for (size_t k = 0; k < tail && !dup; k++)
                dup = q[k] == src;
            if (dup)
                continue;
            q[tail] = src;
            depth[tail++] = (uint8_t)(d + 1);
        }
    }
    return 0;
}

/* ---- groups -------------------------------------------------------------- */

typedef struct member { char *pkg; int held; uint64_t size, addr; uint32_t idx; } member;
typedef struct group {
    const char *pkg; int held; size_t count; uint64_t bytes, example;
    size_t first;                 /* its members: mb[first .. first + count) */
    uint64_t retained, retained_svs;
} group;

struct lk_sum {
    member *mb; size_t nm;
    group *g; size_t ng;
    const dom_tree *t;            /* NULL if it could not be built */
    double share;                 /* a suspect retains at least this much of the heap */
};

static int cmp_member(const void *a, const void *b)
{
    const member *x = a, *y = b;
    int c = strcmp(x->pkg, y->pkg);
    if (c)
        return c;
    if (x->held != y->held)
        return x->held - y->held;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int cmp_group(const void *a, const void *b)
{
    const group *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    int c = strcmp(x->pkg, y->pkg);
    return c ? c : x->held - y->held;
}

/* A stash's name as a new string, or where it is when it has none. */
char *lk_package_name(cm *m, uint64_t stash)
{
    pmat_str s;
    if (cm_stashname(m, stash, &s) < 0 || s.is_null)
        return xasprintf("(a stash at 0x%" PRIx64 ")", stash);
    return xstrdup_str(&s);
}

static const char *held_words(int held)
{
    return held ? "held by Perl data reachable from the roots"
                : "held outside Perl's view: nothing reachable from the roots refers "
                  "to them (XS/C code, or a refcount leak)";
}

/* Each group's retained bytes and SVs, its members together. */
static int group_retained(lk_sum *s)
{
    const dom_tree *t = s->t;
    uint32_t *key = calloc((size_t)t->nvisited + 1, sizeof *key);
    uint64_t *bytes = malloc((s->ng + 1) * sizeof *bytes), *svs = malloc((s->ng + 1) * sizeof *svs);
    uint64_t *members = malloc((s->ng + 1) * sizeof *members);
    int rc = -1;
    if (key && bytes && svs && members) {
        for (size_t k = 0; k < s->ng; k++)
            for (size_t j = 0; j < s->g[k].count; j++)
                key[t->pre[s->mb[s->g[k].first + j].idx]] = (uint32_t)k + 1;
        rc = cm_retained_by_key(t, key, (uint32_t)s->ng, bytes, svs, members);
        for (size_t k = 0; rc == 0 && k < s->ng; k++) {
            s->g[k].retained = bytes[k + 1];
            s->g[k].retained_svs = svs[k + 1];
        }
    }
    free(key);
    free(bytes);
    free(svs);
    free(members);
    return rc;
}

lk_sum *lk_summary_build(cm *m, const uint64_t *addr, size_t n, double share)
{
    if (cm_build_inrefs(m) < 0)
        return NULL;
    uint8_t *seen = reachable_from_roots(m);
    if (!seen)
        return NULL;
    lk_sum *s = xmalloc(sizeof *s);
    member *mb = xmalloc((n ? n : 1) * sizeof *mb);
    size_t nm = 0;
    for (size_t c = 0; c < n; c++) {
        size_t i = cm_find(m, addr[c]);
        if (i == NO_IDX)
            continue;
        uint64_t size, blessed;
        cm_size_blessed(m, i, &size, &blessed);
        uint64_t owner = nearest_blessed_owner(m, i);
        mb[nm].pkg = owner ? lk_package_name(m, owner) : xstrdup("(no blessed owner)");
        mb[nm].held = (seen[i >> 3] >> (i & 7)) & 1;
        mb[nm].size = size;
        mb[nm].addr = addr[c];
        mb[nm].idx = (uint32_t)i;
        nm++;
    }
    free(seen);
    qsort(mb, nm, sizeof *mb, cmp_member);
    group *g = xmalloc((nm ? nm : 1) * sizeof *g);
    size_t ng = 0;
    for (size_t k = 0; k < nm; k++) {
        if (!ng || strcmp(g[ng - 1].pkg, mb[k].pkg) || g[ng - 1].held != mb[k].held) {
            g[ng] = (group){ mb[k].pkg, mb[k].held, 0, 0, mb[k].addr, k, 0, 0 };
            ng++;   /* the example is the lowest address of the group */
        }
        g[ng - 1].count++;
        g[ng - 1].bytes += mb[k].size;
    }
    *s = (lk_sum){ mb, nm, g, ng, cm_domtree(m), share };
    if (!s->t || group_retained(s) < 0) {
        lk_summary_free(s);
        return NULL;
    }
    qsort(g, ng, sizeof *g, cmp_group);
    return s;
}

void lk_summary_free(lk_sum *s)
{
    if (!s)
        return;
    for (size_t k = 0; k < s->nm; k++)
        free(s->mb[k].pkg);
    free(s->mb);
    free(s->g);
    free(s);
}

static double share_of(const dom_tree *t, uint64_t bytes)
{
    return t->bytes[1] ? 100.0 * (double)bytes / (double)t->bytes[1] : 0.0;
}

/* One suspect: the group, then the SV that keeps all of it (or, if no
 * one SV does, the member that retains the most) and its dominators. */
static void print_suspect(cm *m, const lk_sum *s, const group *g, FILE *out)
{
    const dom_tree *t = s->t;
    char *r = cm_format_bytes(g->retained);
    fprintf(out, "SUSPECT %s: %zu SV%s retain %s (%.1f%% of the heap); %s\n", g->pkg, g->count,
            g->count == 1 ? "" : "s", r, share_of(t, g->retained), held_words(g->held));
    free(r);
    uint32_t *idx = xmalloc(g->count * sizeof *idx), top = 0;
    for (size_t j = 0; j < g->count; j++) {
        idx[j] = s->mb[g->first + j].idx;
        if (cm_retained_bytes(t, idx[j]) > cm_retained_bytes(t, idx[top]))
            top = (uint32_t)j;
    }
    uint32_t keeper = cm_common_dominator(t, idx, g->count);
    int one = keeper != t->n;
    uint32_t shown = one ? keeper : idx[top];
    free(idx);
    char *f = cm_format_sv(m, pmat_sv_addr(m->f, shown));
    char *b = cm_format_bytes(cm_retained_bytes(t, shown));
    if (one)
        fprintf(out, "  all kept by %s, which retains %s (%.1f%%):\n", f, b, share_of(t, cm_retained_bytes(t, shown)));
    else
        fprintf(out, "  no one SV keeps them all; the largest, %s, retains %s (%.1f%%):\n", f, b,
                share_of(t, cm_retained_bytes(t, shown)));
    free(f);
    free(b);
    cm_print_dominator_chain(m, t, shown, out, "  ");
}

void lk_summary_print_suspects(cm *m, const lk_sum *s, FILE *out)
{
    const dom_tree *t = s->t;
    char *heap = cm_format_bytes(t->bytes[1]);
    size_t n = 0;
    for (size_t k = 0; k < s->ng; k++)
        n += share_of(t, s->g[k].retained) >= s->share;
    fprintf(out, "SUSPECTS %zu group%s of candidates retaining at least %g%% of the heap (%s in %" PRIu32 " SVs)\n",
            n, n == 1 ? "" : "s", s->share, heap, t->count[1]);
    free(heap);
    for (size_t k = 0; k < s->ng; k++)
        if (share_of(t, s->g[k].retained) >= s->share)
            print_suspect(m, s, &s->g[k], out);
    fputc('\n', out);
}

void lk_summary_print_groups(const lk_sum *s, FILE *out)
{
    fprintf(out, "\nSUMMARY %zu candidate%s in %zu group%s, by nearest blessed owner "
            "(up to %d referrers up) and whether anything reachable from the roots holds them\n",
            s->nm, s->nm == 1 ? "" : "s", s->ng, s->ng == 1 ? "" : "s", OWNER_DEPTH);
    for (size_t i = 0; i < s->ng; i++) {
        const group *g = &s->g[i];
        char *bytes = cm_format_bytes(g->bytes), *ret = cm_format_bytes(g->retained);
        fprintf(out, "GROUP %s: %zu SV%s, %s, retaining %s (%.1f%%), e.g. 0x%" PRIx64 "; %s\n", g->pkg, g->count,
                g->count == 1 ? "" : "s", bytes, ret, share_of(s->t, g->retained), g->example, held_words(g->held));
        free(bytes);
        free(ret);
    }
}
