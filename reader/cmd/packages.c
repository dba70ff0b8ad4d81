/* cmd/packages.c - packages: every package of the symbol table, depth
 * first, with its $VERSION under --versions. */
#include <stdlib.h>
#include <string.h>

#include "cmd_shared.h"

/* packages: its entry in the command table (commands.c). */
static int cmd_packages(cm *m, int argc, char **argv);
const command command_packages = {
    "packages", "Display a list of the packages in the symbol table", cmd_packages,
    "packages [OPTIONS...]", NULL
};

static uint64_t stash_value_of(cm *m, uint64_t stash, const char *key)
{
    size_t i = cm_find(m, stash);
    pmat_sv sv;
    if (i == NO_IDX || pmat_sv_get(m->f, i, &sv, &m->err) < 0)
        return 0;
    pmat_iter it = { 0, 0 };
    pmat_str k;
    uint64_t v, r = 0;
    size_t kl = strlen(key);
    while (pmat_hash_next(m->f, &sv, &it, &k, &v, &m->err) > 0)
        if (k.len == kl && !memcmp(k.ptr, key, kl))
            r = v;
    return r;
}

/* A scalar's value as packages --versions shows it: PV, else NV, else IV/UV. */
static char *scalar_version_text(cm *m, uint64_t addr)
{
    size_t xi = cm_find(m, addr);
    pmat_sv vs;
    if (xi == NO_IDX || pmat_sv_get(m->f, xi, &vs, &m->err) < 0 || vs.type != PMAT_SVt_SCALAR)
        return NULL;
    if (cm_scalar_flags(&vs) & PMAT_SCALAR_HAS_PV)
        return xstrdup_str(&vs.u.scalar.pv);
    return scalar_num(&vs);
}

/* The $VERSION of a stash as text, or NULL.  `package NAME 1.06;` and
 * `our $VERSION = qv(...)` make it a REF to a hash blessed into "version":
 * Devel::MAT 0.53+ shows that object's {original}, with a "v" in front
 * when it has none. */
static char *package_version(cm *m, uint64_t stash)
{
    uint64_t vg = stash_value_of(m, stash, "VERSION");
    size_t vi = cm_find(m, vg), ri, hi;
    pmat_sv vgs, ref, obj;
    if (vi == NO_IDX || cm_kind_of(m, vi) != K_GLOB || pmat_sv_get(m->f, vi, &vgs, &m->err) < 0)
        return NULL;
    uint64_t sc = vgs.u.glob.scalar;
    if ((ri = cm_find(m, sc)) == NO_IDX || pmat_sv_get(m->f, ri, &ref, &m->err) < 0)
        return NULL;
    if (ref.type != PMAT_SVt_REF)
        return scalar_version_text(m, sc);
    pmat_str sn;
    if ((hi = cm_find(m, ref.u.ref.rv)) == NO_IDX || pmat_sv_get(m->f, hi, &obj, &m->err) < 0 ||
        !obj.blessed || cm_stashname(m, obj.blessed, &sn) < 0 || sn.len != 7 ||
        memcmp(sn.ptr, "version", 7) || cm_kind_of(m, hi) != K_HASH)
        return NULL;
    char *t = scalar_version_text(m, stash_value_of(m, ref.u.ref.rv, "original"));
    if (t && t[0] != 'v') {
        char *v = xasprintf("v%s", t);
        free(t);
        t = v;
    }
    return t;
}

static int cmd_packages(cm *m, int argc, char **argv)
{
    optspec opts[] = { { "versions", 'V', 0, 0, 0, 0 }, { 0 } };
    if (opts_only("packages", opts, argc, argv))
        return 2;
    symqueue q = { 0 };
    symq *items;
    size_t n = extract_symbols(m, root_addr(m, "defstash"), "", &items), k = 0;
    for (size_t j = 0; j < n; j++) {
        size_t gi = cm_find(m, items[j].sv);
        if (gi != NO_IDX && cm_kind_of(m, gi) == K_GLOB && strcmp(items[j].name, "main::"))
            items[k++] = items[j];
        else
            free(items[j].name);
    }
    sq_unshift_list(&q, items, k);
    free(items);
    while (q.head < q.n) {
        symq e = q.v[q.head++];
        size_t gi = cm_find(m, e.sv);
        pmat_sv g;
        size_t si;
        if (gi == NO_IDX || pmat_sv_get(m->f, gi, &g, &m->err) < 0 ||
            (si = cm_find(m, g.u.glob.hash)) == NO_IDX ||
            (cm_kind_of(m, si) != K_STASH && cm_kind_of(m, si) != K_CLASS)) {
            free(e.name);
            continue;
        }
        char *nm = xstrdup(e.name);
        size_t l = strlen(nm);
        if (l >= 2 && !strcmp(nm + l - 2, "::"))
            nm[l - 2] = 0;
        char *ver = opts[0].set ? package_version(m, g.u.glob.hash) : NULL;
        char *f = cm_format_sv(m, g.u.glob.hash);
        fprintf(cmd_out, "package %s%s%s at %s\n", nm, ver ? " " : "", ver ? ver : "", f);
        free(f);
        free(ver);
        free(nm);
        n = extract_symbols(m, g.u.glob.hash, e.name, &items);
        k = 0;
        for (size_t j = 0; j < n; j++) {
            size_t xi = cm_find(m, items[j].sv);
            if (xi != NO_IDX && !cm_is_immortal(m, items[j].sv) && cm_kind_of(m, xi) == K_GLOB)
                items[k++] = items[j];
            else
                free(items[j].name);
        }
        sq_unshift_list(&q, items, k);
        free(items);
        free(e.name);
    }
    free(q.v);
    return 0;
}
