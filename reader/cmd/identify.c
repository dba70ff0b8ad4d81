/* cmd/identify.c - identify: the graph of referrers of an SV up to its
 * roots (or --depth), built depth first, then printed as pmat's tree, with
 * a guard against chains deeper than the stack. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cmd_shared.h"

/* identify: its entry in the command table (commands.c). */
static int cmd_identify(cm *m, int argc, char **argv);
const command command_identify = {
    "identify", "Identify an SV by its referrers", cmd_identify,
    "identify [OPTIONS...] [SV ADDR]", NULL
};

typedef struct gnode gnode;
typedef struct gedge { size_t from; char *name; int strength; } gedge;
struct gnode {
    uint64_t addr;
    char **roots; int *rstrength; size_t nroots;   /* name NULL = EDEPTH */
    gedge *in; size_t nin;
    size_t nout;
    int seen;
    char id[16];
};

typedef struct graph {
    gnode *v; size_t n, cap;
    size_t *hash; size_t hcap;   /* open addressing, node index + 1 */
} graph;

static size_t g_lookup(graph *g, uint64_t addr, int create)
{
    if (g->hcap == 0 || (create && g->n * 2 >= g->hcap)) {
        size_t nc = g->hcap ? g->hcap * 2 : 1024;
        size_t *nh = calloc(nc, sizeof *nh);
        if (!nh) {
            fprintf(stderr, "cpmat: out of memory\n");
            exit(2);
        }
        for (size_t i = 0; i < g->n; i++) {
            size_t h = (size_t)((g->v[i].addr * 0x9E3779B97F4A7C15ull) >> 20) & (nc - 1);
            while (nh[h])
                h = (h + 1) & (nc - 1);
            nh[h] = i + 1;
        }
        free(g->hash);
        g->hash = nh;
        g->hcap = nc;
    }
    size_t h = (size_t)((addr * 0x9E3779B97F4A7C15ull) >> 20) & (g->hcap - 1);
    while (g->hash[h]) {
        if (g->v[g->hash[h] - 1].addr == addr)
            return g->hash[h] - 1;
        h = (h + 1) & (g->hcap - 1);
    }
    if (!create)
        return NO_IDX;
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 256;
        g->v = xrealloc(g->v, g->cap * sizeof *g->v);
    }
    memset(&g->v[g->n], 0, sizeof g->v[g->n]);
    g->v[g->n].addr = addr;
    g->hash[h] = g->n + 1;
    return g->n++;
}

static void g_add_root(graph *g, uint64_t addr, const char *name, int strength)
{
    size_t ni = g_lookup(g, addr, 1);
    gnode *n = &g->v[ni];
    n->roots = xrealloc(n->roots, (n->nroots + 1) * sizeof *n->roots);
    n->rstrength = xrealloc(n->rstrength, (n->nroots + 1) * sizeof *n->rstrength);
    n->roots[n->nroots] = name ? xstrdup(name) : NULL;
    n->rstrength[n->nroots] = strength;
    n->nroots++;
}

static void g_add_ref(graph *g, uint64_t from, uint64_t to, const char *name, int strength)
{
    size_t fi = g_lookup(g, from, 1);
    size_t ti = g_lookup(g, to, 1);
    g->v[fi].nout++;
    gnode *t = &g->v[ti];
    t->in = xrealloc(t->in, (t->nin + 1) * sizeof *t->in);
    t->in[t->nin].from = fi;
    t->in[t->nin].name = xstrdup(name);
    t->in[t->nin].strength = strength;
    t->nin++;
}

typedef struct idopts { int strong, direct, elide; } idopts;

/* inref_graph and walk_graph recurse once per level of the reference
 * graph.  pmat (Perl) can recurse as deep as --depth allows; C cannot, so
 * both check how much stack they have used (the distance from a local of
 * cmd_identify's frame) and stop with an error when a chain would take
 * more than the stack limit minus a margin for the calls below them,
 * instead of overflowing.  Under the default depth (10) this never
 * triggers. */
static uintptr_t stack_top;
static size_t stack_budget;

static void stack_guard_init(void)
{
    char here;
    stack_top = (uintptr_t)&here;
    size_t lim = (size_t)8 << 20;
    struct rlimit rl;
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        lim = (size_t)rl.rlim_cur;
    if (lim > ((size_t)1 << 30))
        lim = (size_t)1 << 30;
    stack_budget = lim > ((size_t)2 << 20) ? lim - ((size_t)1 << 20) : lim / 2;
}

static void stack_guard(void)
{
    char here;
    uintptr_t p = (uintptr_t)&here;
    size_t used = p < stack_top ? stack_top - p : p - stack_top;
    if (used > stack_budget) {
        fflush(cmd_out);
        fprintf(stderr, "cpmat: identify: the reference chain is too deep for the stack "
                        "(%zu KiB used); use a smaller --depth\n", used >> 10);
        exit(2);
    }
}

static void get_inrefs_mode(cm *m, uint64_t addr, const idopts *o, cm_refs *r)
{
    static const int s_all[] = { S_STRONG, S_WEAK, S_INDIRECT, S_INFERRED };
    cm_inrefs_list(m, addr, s_all, o->strong ? 1 : o->direct ? 2 : 4, r);
}

static void inref_graph(cm *m, graph *g, uint64_t addr, const idopts *o, long long depth)
{
    stack_guard();
    if (cm_is_immortal(m, addr)) {
        const char *d = addr == m->h->undef_at ? "undef" : addr == m->h->yes_at ? "true" : "false";
        g_add_root(g, addr, d, S_STRONG);
        return;
    }
    if (o->elide) {
        char *name = cm_symname(m, addr);
        if (name) {
            size_t l = strlen(name);
            int anon = name[0] == '&' && l >= 10 && !strcmp(name + l - 9, "::__ANON__");
            if (!anon && cm_find_symbol(m, name) == addr) {
                char *r = xasprintf("the symbol '%s'", name);
                g_add_root(g, addr, r, S_STRONG);
                free(r);
                free(name);
                return;
            }
            free(name);
        }
        size_t i = cm_find(m, addr);
        if (i != NO_IDX && cm_kind_of(m, i) == K_GLOB) {
            char *sn = cm_glob_stashname(m, addr);
            if (sn) {
                char *r = xasprintf("the glob '*%s\"", sn);
                g_add_root(g, addr, r, S_STRONG);
                free(r);
                free(sn);
                return;
            }
        }
    }
    g_lookup(g, addr, 1);
    cm_refs r = { 0 };
    static const int s_all[] = { S_STRONG, S_WEAK, S_INDIRECT, S_INFERRED };
    cm_inrefs_list(m, addr, s_all, o->strong ? 1 : o->direct ? 2 : 4, &r);
    if (!r.n && o->strong)
        cm_inrefs_list(m, addr, s_all, 2, &r);
    if (!r.n && o->direct)
        cm_inrefs_list(m, addr, s_all, 4, &r);
    if (o->elide) {
        cm_refs r2 = { 0 };
        for (size_t j = 0; j < r.n; j++) {
            cm_ref *ref = &r.v[j];
            size_t si = ref->addr ? cm_find(m, ref->addr) : NO_IDX;
            if (si != NO_IDX && cm_kind_of(m, si) == K_REF && !strcmp(ref->name, "the referrant")) {
                cm_refs rv = { 0 };
                get_inrefs_mode(m, ref->addr, o, &rv);
                if (rv.n == 1) {
                    char *nm = xasprintf("(via RV) %s", rv.v[0].name);
                    if (r2.n == r2.cap) {
                        r2.cap = r2.cap ? r2.cap * 2 : 16;
                        r2.v = xrealloc(r2.v, r2.cap * sizeof *r2.v);
                    }
                    r2.v[r2.n].name = nm;
                    r2.v[r2.n].strength = rv.v[0].strength;
                    r2.v[r2.n].addr = rv.v[0].addr;
                    r2.n++;
                    cm_refs_free(&rv);
                    free(ref->name);
                    continue;
                }
                cm_refs_free(&rv);
            }
            if (r2.n == r2.cap) {
                r2.cap = r2.cap ? r2.cap * 2 : 16;
                r2.v = xrealloc(r2.v, r2.cap * sizeof *r2.v);
            }
            r2.v[r2.n++] = *ref;
        }
        free(r.v);
        r = r2;
        /* PADs: name the CODE and the depth */
        for (size_t j = 0; j < r.n; j++) {
            cm_ref *ref = &r.v[j];
            size_t si = ref->addr ? cm_find(m, ref->addr) : NO_IDX;
            if (si == NO_IDX || cm_kind_of(m, si) != K_PAD)
                continue;
            uint64_t cv = cm_padcv(m, si);
            cm_code c;
            if (!cv || cm_code_load(m, cv, &c) < 0) {
                cm_code_free(&c);
                continue;
            }
            int64_t maxd = c.sv.u.code.depth > 0 ? c.sv.u.code.depth : 1;
            size_t depthfound = 0;
            for (int64_t d = 1; d <= maxd; d++)
                if ((size_t)d <= c.npads && c.pads[d - 1] == ref->addr) {
                    depthfound = (size_t)d;
                    break;
                }
            cm_code_free(&c);
            char *nm = depthfound ? xasprintf("%s at depth %zu", ref->name, depthfound)
                                  : xasprintf("%s at depth ", ref->name);
            free(ref->name);
            ref->name = nm;
            ref->addr = cv;
        }
    }
    size_t ai = cm_find(m, addr);
    if (m->mortal && ai != NO_IDX && m->mortal[ai])
        g_add_root(g, addr, "a mortal", S_STRONG);
    stable_sort_refs(&r);
    for (size_t j = 0; j < r.n; j++) {
        cm_ref *ref = &r.v[j];
        if (!ref->addr) {
            g_add_root(g, addr, ref->name, ref->strength);
            continue;
        }
        if (depth == 0) {
            g_add_root(g, addr, NULL, 0);
            break;
        }
        if (g_lookup(g, ref->addr, 0) != NO_IDX) {
            g_add_ref(g, ref->addr, addr, ref->name, ref->strength);
        } else {
            g_lookup(g, ref->addr, 1);
            inref_graph(m, g, ref->addr, o, depth < 0 ? depth : depth - 1);
            g_add_ref(g, ref->addr, addr, ref->name, ref->strength);
        }
    }
    cm_refs_free(&r);
}

static const char *strength_word[] = { "strong", "weak", "indirect", "inferred" };

static void label(int strength)
{
    if (strength != S_STRONG)
        fprintf(cmd_out, "[%s] ", strength_word[strength]);
}

static void next_id(char *id)
{
    /* perl's magic string increment: "A".."Z", "AA".. */
    size_t l = strlen(id);
    for (size_t i = l; i-- > 0;) {
        if (id[i] != 'Z') {
            id[i]++;
            return;
        }
        id[i] = 'A';
    }
    memmove(id + 1, id, l + 1);
    id[0] = 'A';
}

static void walk_graph(cm *m, graph *g, size_t ni, const char *indent, char *nextid)
{
    stack_guard();
    gnode *n = &g->v[ni];
    if (!n->nroots && !n->nin) {
        fprintf(cmd_out, "%s└─not found\n", indent);
        return;
    }
    if (n->nroots == 1 && !n->roots[0]) {
        fprintf(cmd_out, "%s└─not found at this depth\n", indent);
        return;
    }
    size_t nin = n->nin;
    for (size_t r = 0; r < n->nroots; r++)
        if (n->roots[r] && n->rstrength[r] == S_STRONG)
            nin = 0;
    if (nin > 0 && n->seen) {
        int cyclic = n->seen == 1;
        fprintf(cmd_out, "%s└─already found ", indent);
        if (cyclic)
            fputs("circularly ", cmd_out);
        if (n->id[0])
            fprintf(cmd_out, "as *%s\n", n->id);
        else
            fputs("circularly\n", cmd_out);
        return;
    }
    n->seen++;
    for (size_t r = 0; r < n->nroots; r++) {
        int isfinal = r == n->nroots - 1 && !nin;
        fprintf(cmd_out, "%s%s", indent, isfinal ? "└─" : "├─");
        label(n->roots[r] ? n->rstrength[r] : 0);
        fprintf(cmd_out, "%s\n", n->roots[r] ? n->roots[r] : "EDEPTH");
    }
    /* stable sort of the edges by strength */
    size_t *ord = xmalloc((nin + 1) * sizeof *ord), k = 0;
    for (int s = 0; s < 4; s++)
        for (size_t e = 0; e < nin; e++)
            if (n->in[e].strength == s)
                ord[k++] = e;
    for (size_t x = 0; x < k; x++) {
        n = &g->v[ni];
        gedge *e = &n->in[ord[x]];
        int is_final = x == k - 1;
        gnode *rn = &g->v[e->from];
        const char *ref_id = NULL;
        if (rn->nout > 1 && !rn->nroots && !rn->id[0]) {
            snprintf(rn->id, sizeof rn->id, "%s", nextid);
            next_id(nextid);
            ref_id = rn->id;
        }
        fprintf(cmd_out, "%s%s", indent, is_final ? "└─" : "├─");
        label(e->strength);
        char *s = cm_format_sv(m, rn->addr);
        fprintf(cmd_out, "%s of %s, which is", e->name, s);
        free(s);
        if (ref_id)
            fprintf(cmd_out, " (*%s)", ref_id);
        fputs(":\n", cmd_out);
        char *sub = xasprintf("%s%s", indent, is_final ? "  " : "│ ");
        if (e->from == ni)
            fprintf(cmd_out, "%sitself\n", sub);
        else
            walk_graph(m, g, e->from, sub, nextid);
        free(sub);
    }
    free(ord);
    g->v[ni].seen++;
}

static int cmd_identify(cm *m, int argc, char **argv)
{
    optspec opts[] = { { "depth", 'd', 'i', 0, 0, 0 }, { "weak", 0, 0, 0, 0, 0 },
                       { "all", 'a', 0, 0, 0, 0 }, { "no-elide", 'n', 0, 0, 0, 0 }, { 0 } };
    uint64_t addr;
    int rc = addr_args(m, "identify", opts, argc, argv, &addr);
    if (rc)
        return rc;
    idopts o = { 1, 1, !opts[3].set };
    if (opts[1].set)
        o.strong = 0;
    if (opts[2].set)
        o.strong = o.direct = 0;
    long long depth = opts[0].set ? opts[0].ival : 10;
    if (cm_build_inrefs(m) < 0)
        return usage_err("identify: out of memory building inrefs");
    stack_guard_init();
    char *s = cm_format_sv(m, addr);
    fprintf(cmd_out, "%s is:\n", s);
    free(s);
    graph g = { 0 };
    inref_graph(m, &g, addr, &o, depth);
    char nextid[16] = "A";
    walk_graph(m, &g, g_lookup(&g, addr, 1), "", nextid);
    for (size_t j = 0; j < g.n; j++) {
        for (size_t r = 0; r < g.v[j].nroots; r++)
            free(g.v[j].roots[r]);
        free(g.v[j].roots);
        free(g.v[j].rstrength);
        for (size_t e = 0; e < g.v[j].nin; e++)
            free(g.v[j].in[e].name);
        free(g.v[j].in);
    }
    free(g.v);
    free(g.hash);
    return 0;
}
