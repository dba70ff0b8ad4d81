/* cmd/symbols.c - symbols: every glob slot of a package (default main),
 * with --recurse the packages below it. */
#include <stdlib.h>
#include <string.h>

#include "cmd_shared.h"

/* symbols: its entry in the command table (commands.c). */
static int cmd_symbols(cm *m, int argc, char **argv);
const command command_symbols = {
    "symbols", "Display a list of the symbol table", cmd_symbols,
    "symbols [OPTIONS...] $START", NULL
};

static int cmd_symbols(cm *m, int argc, char **argv)
{
    optspec opts[] = { { "recurse", 'R', 0, 0, 0, 0 }, { 0 } };
    int i = parse_opts("symbols", opts, argc, argv, 0);
    if (i < 0)
        return 2;
    symqueue q = { 0 };
    symq *items;
    size_t n;
    if (i < argc) {
        const char *name = argv[i++];
        if (i < argc)
            return usage_err("symbols: unexpected argument '%s'", argv[i]);
        char *sym = xasprintf("%%%s::", name);
        /* find_stash NAME = the hash slot of glob NAME:: */
        uint64_t st = cm_find_symbol(m, sym);
        free(sym);
        if (!st)
            return usage_err("symbols: no such package %s", name);
        char *prefix = xasprintf("%s::", name);
        n = extract_symbols(m, st, prefix, &items);
        free(prefix);
    } else {
        n = extract_symbols(m, root_addr(m, "defstash"), "", &items);
        size_t k = 0;
        for (size_t j = 0; j < n; j++) {
            if (!strcmp(items[j].name, "main::") || !strncmp(items[j].name, "_<", 2))
                free(items[j].name);
            else
                items[k++] = items[j];
        }
        n = k;
    }
    sq_unshift_list(&q, items, n);
    free(items);
    while (q.head < q.n) {
        symq e = q.v[q.head++];
        size_t gi = cm_find(m, e.sv);
        if (gi != NO_IDX && !cm_is_immortal(m, e.sv) && cm_kind_of(m, gi) == K_GLOB) {
            pmat_sv g;
            pmat_sv_get(m->f, gi, &g, &m->err);
            const char sig[] = "$@%&";
            uint64_t sl[] = { g.u.glob.scalar, g.u.glob.array, g.u.glob.hash, g.u.glob.code };
            for (int k = 0; k < 4; k++)
                if (cm_exists(m, sl[k])) {
                    char *f = cm_format_sv(m, sl[k]);
                    fprintf(cmd_out, "%c%s at %s\n", sig[k], e.name, f);
                    free(f);
                }
            if (cm_exists(m, g.u.glob.hash)) {
                symq x = { g.u.glob.hash, xstrdup(e.name) };
                sq_unshift_list(&q, &x, 1);
            }
        } else if (opts[0].set && gi != NO_IDX && !cm_is_immortal(m, e.sv) &&
                   (cm_kind_of(m, gi) == K_STASH || cm_kind_of(m, gi) == K_CLASS)) {
            n = extract_symbols(m, e.sv, e.name, &items);
            sq_unshift_list(&q, items, n);
            free(items);
        }
        free(e.name);
    }
    free(q.v);
    return 0;
}
