/* cmd/retained.c - retained: what an SV keeps alive (the SVs it dominates,
 * see heap_dominators.h), then why: its chain of immediate dominators up
 * to the roots, one step a line in identify's wording. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_shared.h"
#include "heap_dominators.h"

/* retained: its entry in the command table (commands.c). */
static int cmd_retained(cm *m, int argc, char **argv);
const command command_retained = {
    "retained", "Show what an SV keeps alive, and what keeps it (cpmat only)", cmd_retained,
    "retained [SV ADDR]", NULL
};

static int cmd_retained(cm *m, int argc, char **argv)
{
    optspec none[] = { { 0 } };
    uint64_t addr;
    int rc = addr_args(m, "retained", none, argc, argv, &addr);
    if (rc)
        return rc;
    size_t i = cm_find(m, addr);
    if (i == NO_IDX || cm_is_immortal(m, addr))
        return usage_err("retained: %s is not an SV of the heap", argv[0]);
    const dom_tree *t = cm_domtree(m);
    if (!t)
        return 2;
    char *f = cm_format_sv(m, addr), *r = cm_fmt_retained(t, i);
    fprintf(cmd_out, "Retained by %s: %s\n", f, r);
    free(f);
    free(r);
    cm_print_dominator_chain(m, t, i, cmd_out, "");
    return 0;
}
