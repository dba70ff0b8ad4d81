/* cmd/outrefs.c - outrefs: the references an SV holds, strong only unless
 * --weak or --all. */
#include "cmd_shared.h"

/* outrefs: its entry in the command table (commands.c). */
static int cmd_outrefs(cm *m, int argc, char **argv);
const command command_outrefs = {
    "outrefs", "Show outgoing references from a given SV", cmd_outrefs,
    "outrefs [OPTIONS...] [SV ADDR]", NULL
};

static void outrefs_of(cm *m, uint64_t addr, int all, int weak, cm_refs *r)
{
    cm_outrefs_list(m, addr, all ? M_ALL : weak ? (M_STRONG | M_WEAK) : M_STRONG, r);
}

static int cmd_outrefs(cm *m, int argc, char **argv)
{
    return list_refs(m, "outrefs", argc, argv, outrefs_of);
}
