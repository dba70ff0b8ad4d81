/* cmd/summary.c - summary: the perl that wrote the file and how many SVs
 * it holds (pmat's first two lines). */
#include "cmd_shared.h"

/* summary: its entry in the command table (commands.c). */
static int cmd_summary(cm *m, int argc, char **argv);
const command command_summary = {
    "summary", "Print basic information about the loaded dumpfile", cmd_summary,
    "summary", NULL
};

static int cmd_summary(cm *m, int argc, char **argv)
{
    if (argc)
        return usage_err("summary: unexpected argument '%s'", argv[0]);
    char ver[40];
    fprintf(cmd_out, "Perl memory dumpfile from perl %s %s\n",
            pmat_perl_version(m->f, ver, sizeof ver), m->h->ithreads ? "threaded" : "non-threaded");
    fprintf(cmd_out, "Heap contains %zu objects\n", m->n);
    return 0;
}
