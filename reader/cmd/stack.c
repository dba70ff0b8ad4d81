/* cmd/stack.c - stack: the value stack, top first, with values. */
#include <inttypes.h>
#include <stdlib.h>

#include "cmd_shared.h"

/* stack: its entry in the command table (commands.c). */
static int cmd_stack(cm *m, int argc, char **argv);
const command command_stack = {
    "stack", "Display the value stack", cmd_stack,
    "stack", NULL
};

static int cmd_stack(cm *m, int argc, char **argv)
{
    if (argc)
        return usage_err("stack: unexpected argument '%s'", argv[0]);
    uint64_t n = pmat_stack_count(m->f);
    for (uint64_t i = n; i-- > 0;) {
        uint64_t a = pmat_stack_at(m->f, i);
        char *s = cm_exists(m, a) ? format_sv_with_value(m, a, 0) : xstrdup("NULL");
        fprintf(cmd_out, "[%" PRIu64 "]: %s\n", i, s);
        free(s);
    }
    return 0;
}
