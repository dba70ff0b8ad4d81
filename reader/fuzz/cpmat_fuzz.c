/* cpmat_fuzz.c - fuzz harness for the pmat commands over the reader: open
 * a file as cpmat does (cm_open) and run the commands that read the v0.6
 * data (strtab, values with HEKs and a filter, show and outrefs of the
 * first SVs, which covers MagicV2 and the HEK fields), output to
 * /dev/null.  Not part of the build; see reader/README.md, "Fuzzing". */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmd_int.h"

#ifndef __AFL_LOOP
#define __AFL_LOOP(n) (once++ == 0)
#endif

static void run(cm *m, FILE *o, const char *cmd, int argc, const char **argv)
{
    char *a[8];
    for (int i = 0; i < argc && i < 8; i++)
        a[i] = (char *)argv[i];
    (void)cm_run(m, cmd, argc, a, o);
}

static void touch_commands(const char *path, FILE *o)
{
    cm m;
    if (cm_open(&m, path) < 0) {
        cm_close(&m);
        return;
    }
    const char *st[] = { "-c", "1000" };
    run(&m, o, "strtab", 2, st);
    const char *vs[] = { "-H", "-n", "strtab", "/a|b/ix" };
    run(&m, o, "values", 4, vs);
    const char *vd[] = { "defstash", "-s", "-2", "/^[A-Z]/" };
    run(&m, o, "values", 4, vd);
    for (size_t i = 0; i < m.n && i < 64; i++) {
        char addr[32];
        snprintf(addr, sizeof addr, "0x%" PRIx64, pmat_sv_addr(m.f, i));
        const char *one[] = { addr };
        run(&m, o, "show", 1, one);
        const char *all[] = { "--all", addr };
        run(&m, o, "outrefs", 2, all);
    }
    cm_close(&m);
}

int main(int argc, char **argv)
{
    int once = 0;
    (void)once;
    if (argc != 2) {
        fprintf(stderr, "usage: cpmat_fuzz FILE\n");
        return 2;
    }
    FILE *o = fopen("/dev/null", "w");
    if (!o)
        return 2;
    while (__AFL_LOOP(1000))
        touch_commands(argv[1], o);
    fclose(o);
    return 0;
}
