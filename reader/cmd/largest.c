/* cmd/largest.c - largest: the SVs of the largest size (direct, --struct,
 * --owned or --retained), and with a second count the largest parts of
 * each (for --retained, of what each immediately dominates). */
#include <stdlib.h>
#include <string.h>

#include "cmd_shared.h"
#include "heap_dominators.h"

/* largest: its entry in the command table (commands.c). */
static int cmd_largest(cm *m, int argc, char **argv);
const command command_largest = {
    "largest", "Find the largest SVs by size", cmd_largest,
    "largest [OPTIONS...] $COUNT*", NULL
};

static uint8_t *largest_seen;

static void list_largest(cm *m, const uint32_t *svs, size_t n, int metric, const char *indent,
                         const long long *counts, int ncounts)
{
    uint64_t *val = xmalloc((n + 1) * sizeof *val);
    uint8_t *taken = calloc(n + 1, 1);
    for (size_t j = 0; j < n; j++)
        val[j] = metric_size(m, svs[j], metric);
    long long count = ncounts ? counts[0] : 0;
    while (count-- > 0) {
        size_t best = NO_IDX;
        for (size_t j = 0; j < n; j++)
            if (!taken[j] && (best == NO_IDX || val[j] > val[best]))
                best = j;
        if (best == NO_IDX)
            break;
        taken[best] = 1;
        uint32_t sv = svs[best];
        largest_seen[sv] = 1;
        char *f = cm_format_sv(m, pmat_sv_addr(m->f, sv)), *b = cm_format_bytes(val[best]);
        fprintf(cmd_out, "%s%s: %s", indent, f, b);
        free(f);
        free(b);
        if (!metric || ncounts < 2) {
            fputc('\n', cmd_out);
            continue;
        }
        idxlist set = { 0 };
        if (metric == 1)
            structure_set(m, sv, &set);
        else
            owned_set(m, sv, &set);
        if (set.n <= 1) {
            fputc('\n', cmd_out);
            free(set.v);
            continue;
        }
        fputs(": of which\n", cmd_out);
        char *sub = xasprintf("%s |   ", indent);
        list_largest(m, set.v + 1, set.n - 1, metric, sub, counts + 1, ncounts - 1);
        free(sub);
        for (size_t j = 1; j < set.n; j++)
            largest_seen[set.v[j]] = 1;
        free(set.v);
    }
    uint64_t others = 0;
    for (size_t j = 0; j < n; j++)
        if (!largest_seen[svs[j]])
            others += sv_size(m, svs[j]);
    if (others) {
        char *b = cm_format_bytes(others);
        fprintf(cmd_out, "%sothers: %s\n", indent, b);
        free(b);
    }
    free(val);
    free(taken);
}

/* ---- --retained: by retained size, nested through the dominator tree ---------- */

/* The immediate children of SV index x in the dominator tree (the SVs it
 * is the immediate dominator of), by a scan: a listing names a handful. */
static uint32_t *dominated_children(const dom_tree *t, uint32_t x, size_t *n)
{
    idxlist l = { 0 };
    uint32_t px = t->pre[x];
    for (uint32_t w = 2; w <= t->nvisited; w++)
        if (t->idom[w] == px) {
            if (l.n == l.cap) {
                l.cap = l.cap ? l.cap * 2 : 64;
                l.v = xrealloc(l.v, l.cap * sizeof *l.v);
            }
            l.v[l.n++] = t->vertex[w];
        }
    *n = l.n;
    return l.v;
}

/* Whether a is a strict dominator of b. */
static int dominates(const dom_tree *t, uint32_t a, uint32_t b)
{
    for (uint32_t p = t->idom[t->pre[b]]; p > 1; p = t->idom[p])
        if (t->vertex[p] == a)
            return 1;
    return 0;
}

/* The largest of svs (n of them; NULL: the whole heap) by retained size,
 * each with the largest of what it immediately dominates when there are
 * more counts, then "others": the bytes of the level that none listed
 * retains.  base is that level's bytes. */
static void list_retained(cm *m, const dom_tree *t, uint32_t *svs, size_t n, uint64_t base,
                          const char *indent, const long long *counts, int ncounts)
{
    size_t got = 0;
    uint32_t *top;
    if (!svs) {
        top = cm_top_retained(m, t, counts[0] > 0 ? (size_t)counts[0] : 0, &got);
    } else {
        cm_sort_by_retained(t, svs, n);
        top = svs;
        got = counts[0] > 0 && (size_t)counts[0] < n ? (size_t)counts[0] : n;
    }
    uint64_t covered = 0;
    for (size_t j = 0; j < got; j++) {
        uint32_t sv = top[j];
        char *f = cm_format_sv(m, pmat_sv_addr(m->f, sv)), *b = cm_format_bytes(cm_retained_bytes(t, sv));
        fprintf(cmd_out, "%s%s: %s", indent, f, b);
        free(f);
        free(b);
        /* each byte once: an SV listed under one listed above it is in it */
        int inside = 0;
        for (size_t k = 0; k < got && !inside; k++)
            inside = k != j && dominates(t, top[k], sv);
        if (!inside)
            covered += cm_retained_bytes(t, sv);
        size_t nc;
        uint32_t *kids = ncounts > 1 ? dominated_children(t, sv, &nc) : NULL;
        if (!kids || !nc) {
            fputc('\n', cmd_out);
            free(kids);
            continue;
        }
        fputs(": of which\n", cmd_out);
        char *sub = xasprintf("%s |   ", indent);
        list_retained(m, t, kids, nc, cm_retained_bytes(t, sv) - sv_size(m, sv), sub, counts + 1, ncounts - 1);
        free(sub);
        free(kids);
    }
    if (base > covered) {
        char *b = cm_format_bytes(base - covered);
        fprintf(cmd_out, "%sothers: %s\n", indent, b);
        free(b);
    }
    if (!svs)
        free(top);
}

static int cmd_largest(cm *m, int argc, char **argv)
{
    optspec opts[] = { { "struct", 0, 0, 0, 0, 0 }, { "owned", 0, 0, 0, 0, 0 },
                       { "retained", 0, 0, 0, 0, 0 }, { 0 } };
    int i = parse_opts("largest", opts, argc, argv, 0);
    if (i < 0)
        return 2;
    long long counts[16] = { 5, 3, 2 };
    int nc = 3;
    for (int k = 0; i < argc; i++, k++) {
        char *end;
        if (k >= 16)
            return usage_err("largest: too many counts");
        counts[k] = strtoll(argv[i], &end, 10);
        if (!*argv[i] || *end)
            return usage_err("largest: expected a count, not '%s'", argv[i]);
        if (k >= nc)
            nc = k + 1;
    }
    if (opts[2].set) {
        const dom_tree *t = cm_domtree(m);
        if (!t)
            return 2;
        list_retained(m, t, NULL, 0, t->bytes[1], "", counts, nc);
        return 0;
    }
    int metric = opts[1].set ? 2 : opts[0].set ? 1 : 0;
    uint32_t *all = xmalloc((m->n + 1) * sizeof *all);
    for (size_t j = 0; j < m->n; j++)
        all[j] = (uint32_t)j;
    largest_seen = calloc(m->n + 1, 1);
    if (!largest_seen)
        return usage_err("largest: out of memory");
    list_largest(m, all, m->n, metric, "", counts, nc);
    free(all);
    free(largest_seen);
    return 0;
}
