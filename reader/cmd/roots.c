/* cmd/roots.c - roots: the root SVs with pmat's descriptions. */
#include <inttypes.h>
#include <stdlib.h>

#include "cmd_shared.h"

/* roots: its entry in the command table (commands.c). */
static int cmd_roots(cm *m, int argc, char **argv);
const command command_roots = {
    "roots", "Display a list of the root SVs", cmd_roots,
    "roots", NULL
};

static int cmd_roots(cm *m, int argc, char **argv)
{
    (void)argv;
    if (argc)
        return usage_err("roots: unexpected argument '%s'", argv[0]);
    table t = { 0 };
    for (size_t i = 0; i < cm_nroots(m); i++) {
        const char *n, *d;
        uint64_t addr;
        cm_root_get(m, i, &n, &d, &addr);
        if (cm_exists(m, addr))
            tab_row(&t, 2, xstrdup(d + 1), cm_format_sv(m, addr));
        else if (addr)
            tab_row(&t, 2, xstrdup(d + 1), xasprintf("PTR(0x%" PRIx64 ")", addr));
    }
    tab_print(&t, 0, NULL, ": ", NULL);
    return 0;
}
