/* cmd/size.c - size: an SV's size directly, structurally and with what it
 * owns. */
#include <stdlib.h>

#include "cmd_shared.h"

/* size: its entry in the command table (commands.c). */
static int cmd_size(cm *m, int argc, char **argv);
const command command_size = {
    "size", "Show the size of a given SV", cmd_size,
    "size [SV ADDR]", NULL
};

static int cmd_size(cm *m, int argc, char **argv)
{
    if (argc < 1)
        return usage_err("size: need an SV address");
    if (argc > 1)
        return usage_err("size: unexpected argument '%s'", argv[1]);
    uint64_t addr = get_sv_arg(m, "size", argv[0]);
    if (!addr)
        return 2;
    char *f = cm_format_sv(m, addr);
    fprintf(cmd_out, "%s consumes:\n", f);
    free(f);
    size_t i = cm_find(m, addr);
    uint64_t d = 0, st = 0, ow = 0;
    if (i != NO_IDX && !cm_is_immortal(m, addr)) {
        d = sv_size(m, i);
        st = metric_size(m, i, 1);
        ow = metric_size(m, i, 2);
    }
    char *a = cm_format_bytes(d), *b = cm_format_bytes(st), *c = cm_format_bytes(ow);
    fprintf(cmd_out, "  %s directly\n  %s structurally\n  %s including owned referrants\n", a, b, c);
    free(a);
    free(b);
    free(c);
    return 0;
}
