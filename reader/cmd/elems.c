/* cmd/elems.c - elems: an ARRAY's elements with their values, a page of
 * --count from a start index. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_shared.h"

/* elems: its entry in the command table (commands.c). */
static int cmd_elems(cm *m, int argc, char **argv);
const command command_elems = {
    "elems", "List the elements of an ARRAY SV", cmd_elems,
    "elems [OPTIONS...] [SV ADDR] $STARTIDX", NULL
};

/* The arguments elems and values share: [--count N] ADDR [START].
 * Returns 0, or the exit status of a usage error (already reported). */
static int container_args(cm *m, const char *cmd, optspec *opts, int argc, char **argv,
                          uint64_t *addr, long long *start)
{
    int i = parse_opts(cmd, opts, argc, argv, 0);
    if (i < 0)
        return 2;
    if (i >= argc)
        return usage_err("%s: need an SV address", cmd);
    *addr = get_sv_arg(m, cmd, argv[i++]);
    if (!*addr)
        return 2;
    *start = 0;
    if (i < argc)
        *start = strtoll(argv[i++], NULL, 10);
    if (i < argc)
        return usage_err("%s: unexpected argument '%s'", cmd, argv[i]);
    return 0;
}

static int cmd_elems(cm *m, int argc, char **argv)
{
    optspec opts[] = { { "count", 'c', 'i', 0, 50, 0 }, { 0 } };
    uint64_t addr = 0;
    long long start = 0;
    int rc = container_args(m, "elems", opts, argc, argv, &addr, &start);
    if (rc)
        return rc;
    const char *type = cm_type_of(m, addr);
    if (!strcmp(type, "HASH") || !strcmp(type, "STASH"))
        return usage_err("elems: cannot 'elems' of a %s - maybe you wanted 'values'?", type);
    if (strcmp(type, "ARRAY"))
        return usage_err("elems: cannot 'elems' of a non-ARRAY");
    pmat_sv sv;
    pmat_sv_get(m->f, cm_find(m, addr), &sv, &m->err);
    uint64_t n = sv.u.array.n;
    uint64_t stop = (uint64_t)(start + opts[0].ival);
    if (stop > n)
        stop = n;
    table t = { 0 };
    for (uint64_t j = (uint64_t)start; j < stop; j++) {
        uint64_t e = pmat_array_elem(m->f, &sv, j);
        tab_row(&t, 2, xasprintf("[%" PRIu64 "]", j),
                cm_exists(m, e) ? format_sv_with_value(m, e, 0) : xstrdup("NULL"));
    }
    tab_print(&t, 2, NULL, NULL, NULL);
    if (n > stop)
        fprintf(cmd_out, "  ... (%" PRIu64 " more)\n", n - stop);
    return 0;
}
