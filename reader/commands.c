/* commands.c - the command table: the one place where a pmat command is
 * registered, and what cpmat asks of it (cm_run, cm_is_command, the help).
 * Each command lives in reader/cmd/NAME.c and defines `command_NAME`;
 * adding one is that file and one line in COMMANDS below (the build takes
 * every .c file of reader/cmd/). */
#include <string.h>

#include "cmd_shared.h"

/* The commands in the order `cpmat help` lists them (pmat's: by name).
 * X(NAME) names the entry `command_NAME` of reader/cmd/NAME.c ('_' for
 * '-'); the list declares the entries and fills the table, so a command is
 * named here once. */
#define COMMANDS(X) \
    X(callers) \
    X(count) \
    X(dominators) \
    X(elems) \
    X(find) \
    X(identify) \
    X(inrefs) \
    X(largest) \
    X(list_dangling_ptrs) \
    X(outrefs) \
    X(packages) \
    X(retained) \
    X(roots) \
    X(show) \
    X(size) \
    X(stack) \
    X(strtab) \
    X(summary) \
    X(symbols) \
    X(values)

#define DECLARE_COMMAND(c) extern const command command_##c;
COMMANDS(DECLARE_COMMAND)
#undef DECLARE_COMMAND

#define COMMAND_ENTRY(c) &command_##c,
static const command *const commands[] = { COMMANDS(COMMAND_ENTRY) NULL };
#undef COMMAND_ENTRY

static const command *find_command(const char *name)
{
    for (const command *const *c = commands; *c; c++)
        if (!strcmp((*c)->name, name))
            return *c;
    return NULL;
}

int cm_is_command(const char *cmd)
{
    return find_command(cmd) != NULL || !strcmp(cmd, "help");
}

void cm_help_summary(FILE *o)
{
    size_t w = 4;
    for (const command *const *c = commands; *c; c++)
        if (strlen((*c)->name) > w)
            w = strlen((*c)->name);
    fprintf(o, "%-*s - %s\n", (int)w, "dump", "One line per record of the file (cpmat only)");
    fprintf(o, "%-*s - %s\n", (int)w, "help", "Display a list of available commands");
    fprintf(o, "%-*s - %s\n", (int)w, "info", "Counts per type and section offsets (cpmat only)");
    for (const command *const *c = commands; *c; c++)
        fprintf(o, "%-*s - %s\n", (int)w, (*c)->name, (*c)->desc);
}

int cm_help_cmd(const char *cmd, FILE *o)
{
    const command *c = find_command(cmd);
    if (!c)
        return -1;
    fprintf(o, "%s - %s\n\nSYNOPSIS:\n  %s\n", c->name, c->desc, c->synopsis);
    if (c->help)
        fprintf(o, "\n%s", c->help);
    else
        fputs("\nSee the cpmat manual page for the options.\n", o);
    return 0;
}

int cm_run(cm *m, const char *cmd, int argc, char **argv, FILE *o)
{
    cmd_out = o;
    const command *c = find_command(cmd);
    if (!c)
        return usage_err("unrecognised command '%s'", cmd);
    /* cpmat FILE COMMAND --help: the command's help, as 'help COMMAND' */
    if (argc == 1 && !strcmp(argv[0], "--help"))
        return cm_help_cmd(cmd, cmd_out) == 0 ? 0 : 2;
    return c->run(m, argc, argv);
}
