/* cmd/dominators.c - dominators: the SVs that retain the most (see
 * heap_dominators.h), or, with --by, what the SVs of each class, package
 * or type retain together, each byte once. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_shared.h"
#include "heap_dominators.h"

/* dominators: its entry in the command table (commands.c). */
static int cmd_dominators(cm *m, int argc, char **argv);
const command command_dominators = {
    "dominators", "List the SVs that keep the most memory alive (cpmat only)", cmd_dominators,
    "dominators [-N] [--by class|package|type]",
    "OPTIONS:\n"
    "  -N                 how many to list (default 20)\n"
    "  --by class|package|type\n"
    "                     what the SVs of each blessed class, package (its\n"
    "                     symbols) or type retain together\n"
};

/* ---- --by: groups, each byte once ------------------------------------------ */

enum { BY_CLASS, BY_PACKAGE, BY_TYPE };

/* The group of SV index i (an SV index or kind, plus 1), 0 for none. */
static uint32_t group_of(cm *m, size_t i, int by)
{
    uint64_t size, blessed;
    switch (by) {
    case BY_TYPE:
        return cm_kind_of(m, i) + 1;
    case BY_CLASS: {
        cm_size_blessed(m, i, &size, &blessed);
        size_t s = blessed ? cm_find(m, blessed) : NO_IDX;
        return s == NO_IDX ? 0 : (uint32_t)s + 1;
    }
    default: {
        /* a package's symbols: its globs, but not the NAME:: globs that
         * hold other packages' stashes */
        pmat_sv g;
        if (cm_kind_of(m, i) != K_GLOB || pmat_sv_get(m->f, i, &g, &m->err) < 0 || g.u.glob.name.is_null)
            return 0;
        size_t len = g.u.glob.name.len;
        if (len >= 2 && !memcmp(g.u.glob.name.ptr + len - 2, "::", 2))
            return 0;
        size_t s = g.u.glob.stash ? cm_find(m, g.u.glob.stash) : NO_IDX;
        return s == NO_IDX ? 0 : (uint32_t)s + 1;
    }
    }
}

typedef struct group { uint32_t key; uint64_t svs, count, bytes; } group;

static int cmp_group(const void *a, const void *b)
{
    const group *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes < y->bytes ? 1 : -1;
    return (x->key > y->key) - (x->key < y->key);
}

static char *group_name(cm *m, uint32_t key, int by)
{
    if (by == BY_TYPE)
        return xstrdup(cm_kind_name(key - 1));
    pmat_str sn;
    if (cm_stashname(m, pmat_sv_addr(m->f, key - 1), &sn) == 0)
        return xstrdup_str(&sn);
    return xasprintf("(stash at 0x%" PRIx64 ")", pmat_sv_addr(m->f, key - 1));
}

/* The groups' retained sizes, each byte once (cm_retained_by_key), the
 * top of them printed. */
static int by_groups(cm *m, const dom_tree *t, int by, size_t top)
{
    uint32_t nv = t->nvisited, nkeys = (uint32_t)m->n + K_NKINDS + 1;
    uint32_t *key = malloc(((size_t)nv + 1) * sizeof *key);
    uint64_t *bytes = malloc(((size_t)nkeys + 1) * sizeof *bytes);
    uint64_t *svs = malloc(((size_t)nkeys + 1) * sizeof *svs);
    uint64_t *members = malloc(((size_t)nkeys + 1) * sizeof *members);
    int rc = 0;
    if (!key || !bytes || !svs || !members) {
        rc = usage_err("dominators: out of memory");
        goto out;
    }
    key[0] = key[1] = 0;
    for (uint32_t w = 2; w <= nv; w++)
        key[w] = group_of(m, t->vertex[w], by);
    if (cm_retained_by_key(t, key, nkeys, bytes, svs, members) < 0) {
        rc = usage_err("dominators: out of memory");
        goto out;
    }
    size_t ng = 0;
    for (uint32_t k = 1; k <= nkeys; k++)
        ng += members[k] != 0;
    group *gv = xmalloc((ng + 1) * sizeof *gv);
    ng = 0;
    for (uint32_t k = 1; k <= nkeys; k++)
        if (members[k])
            gv[ng++] = (group){ k, svs[k], members[k], bytes[k] };
    qsort(gv, ng, sizeof *gv, cmp_group);
    static const char *const noun[] = { "object", "symbol", "SV" };
    for (size_t j = 0; j < ng && j < top; j++) {
        char *name = group_name(m, gv[j].key, by), *h = cm_format_bytes(gv[j].bytes);
        fprintf(cmd_out, "%s: %" PRIu64 " %s%s %s %" PRIu64 " SVs, %" PRIu64 " bytes (%s)\n", name,
                gv[j].count, noun[by], gv[j].count == 1 ? "" : "s", gv[j].count == 1 ? "retains" : "retain",
                gv[j].svs, gv[j].bytes, h);
        free(name);
        free(h);
    }
    free(gv);
out:
    free(key);
    free(bytes);
    free(svs);
    free(members);
    return rc;
}

static int cmd_dominators(cm *m, int argc, char **argv)
{
    long long top = 20;
    int by = -1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--by")) {
            if (++i >= argc)
                return usage_err("dominators: --by needs class, package or type");
            a = argv[i];
            by = !strcmp(a, "class") ? BY_CLASS : !strcmp(a, "package") ? BY_PACKAGE
               : !strcmp(a, "type") ? BY_TYPE : -2;
            if (by == -2)
                return usage_err("dominators: --by takes class, package or type, not '%s'", a);
        } else if (a[0] == '-' && a[1] >= '0' && a[1] <= '9') {
            char *end;
            top = strtoll(a + 1, &end, 10);
            if (*end || top < 1)
                return usage_err("dominators: expected -N with N a count, not '%s'", a);
        } else {
            return usage_err("dominators: unexpected argument '%s'", a);
        }
    }
    const dom_tree *t = cm_domtree(m);
    if (!t)
        return 2;
    if (by >= 0)
        return by_groups(m, t, by, (size_t)top);
    size_t got;
    uint32_t *v = cm_top_retained(m, t, (size_t)top, &got);
    for (size_t j = 0; j < got; j++) {
        char *f = cm_format_sv(m, pmat_sv_addr(m->f, v[j])), *r = cm_fmt_retained(t, v[j]);
        /* an island's SVs: nothing reachable holds them (see RETAINED SIZE) */
        fprintf(cmd_out, "%s: %s%s\n", f, r,
                dom_in_island(t, v[j]) ? "; not reachable from the roots: held outside Perl's view, or leaked" : "");
        free(f);
        free(r);
    }
    free(v);
    return 0;
}
