/* cmd/inrefs.c - inrefs: the references to an SV, strong only unless
 * --weak or --all. */
#include "cmd_shared.h"

/* inrefs: its entry in the command table (commands.c). */
static int cmd_inrefs(cm *m, int argc, char **argv);
const command command_inrefs = {
    "inrefs", "Show incoming references to a given SV", cmd_inrefs,
    "inrefs [OPTIONS...] [SV ADDR]", NULL
};

static void inrefs_of(cm *m, uint64_t addr, int all, int weak, cm_refs *r)
{
    static const int s_all[] = { S_STRONG, S_WEAK, S_INDIRECT, S_INFERRED };
    cm_inrefs_list(m, addr, s_all, all ? 4 : weak ? 2 : 1, r);
}

static int cmd_inrefs(cm *m, int argc, char **argv)
{
    return list_refs(m, "inrefs", argc, argv, inrefs_of);
}
