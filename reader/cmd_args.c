/* cmd_args.c - how the commands read their arguments: pmat's options
 * (parse_opts over an optspec array) and SV arguments (a root name, a
 * symbol, or an address), as Devel::MAT::Tool's option and argument
 * parsing takes them. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_shared.h"

/* Parse leading options out of argv; returns index of the first non-option
 * or -1 after printing an error. */
int parse_opts(const char *cmd, optspec *opts, int argc, char **argv, int start)
{
    int i = start;
    while (i < argc) {
        const char *a = argv[i];
        if (a[0] != '-' || !a[1] || (a[1] >= '0' && a[1] <= '9'))
            break;
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        optspec *o = NULL;
        const char *val = NULL;
        if (a[1] == '-') {
            const char *n = a + 2, *eq = strchr(n, '=');
            size_t nl = eq ? (size_t)(eq - n) : strlen(n);
            for (optspec *p = opts; p && p->name; p++)
                if (strlen(p->name) == nl && !strncmp(p->name, n, nl))
                    o = p;
            if (eq)
                val = eq + 1;
        } else if (!a[2]) {
            for (optspec *p = opts; p && p->name; p++)
                if (p->alias == a[1])
                    o = p;
        }
        if (!o) {
            usage_err("%s: unknown option '%s'", cmd, a);
            return -1;
        }
        i++;
        o->set = 1;
        if (o->type) {
            if (!val) {
                if (i >= argc) {
                    usage_err("%s: option '%s' needs a value", cmd, a);
                    return -1;
                }
                val = argv[i++];
            }
            char *end;
            if (o->type == 'i') {
                o->ival = strtoll(val, &end, 10);
                if (!*val || *end) {
                    usage_err("%s: option '%s' needs an integer, not '%s'", cmd, a, val);
                    return -1;
                }
            } else if (o->type == 'x') {
                o->ival = (long long)strtoull(val, &end, 16);
                if (!*val || *end) {
                    usage_err("%s: option '%s' needs a hex number, not '%s'", cmd, a, val);
                    return -1;
                }
            }
            o->sval = val;
        } else if (val) {
            usage_err("%s: option '--%s' takes no value", cmd, o->name);
            return -1;
        }
    }
    return i;
}

static const char *const rootmeth[] = {
    "sv_undef", "sv_yes", "sv_no", "main_cv", "defstash", "mainstack", "beginav", "checkav",
    "unitcheckav", "initav", "endav", "strtab", "envgv", "incgv", "statgv", "statname", "tmpsv",
    "defgv", "argvgv", "argvoutgv", "argvout_stack", "errgv", "fdpidav", "preambleav",
    "modglobalhv", "regex_padav", "sortstash", "firstgv", "secondgv", "debstash", "stashcache",
    "isarev", "registered_mros", "rs", "last_in_gv", "ofsgv", "defoutgv", "hintgv",
    "patchlevel", "apiversion", "e_script", "mess_sv", "ors_sv", "encoding", "blockhooks",
    "custom_ops", "custom_op_names", "custom_op_descs", NULL
};

/* A command that takes options and no arguments: 0, or 2 after a usage
 * error. */
int opts_only(const char *cmd, optspec *opts, int argc, char **argv)
{
    int i = parse_opts(cmd, opts, argc, argv, 0);
    if (i < 0)
        return 2;
    if (i < argc)
        return usage_err("%s: unexpected argument '%s'", cmd, argv[i]);
    return 0;
}

/* An SV argument as pmat takes it: a root name, a symbol ($x @x %x &x),
 * or an address (0xHEX or decimal).  0 with a message on failure. */
uint64_t get_sv_arg(cm *m, const char *cmd, const char *a)
{
    for (int i = 0; rootmeth[i]; i++)
        if (!strcmp(a, rootmeth[i])) {
            for (size_t j = 0; j < cm_nroots(m); j++) {
                const char *n, *d;
                uint64_t addr;
                cm_root_get(m, j, &n, &d, &addr);
                if (!strcmp(n, a) && cm_exists(m, addr))
                    return addr;
            }
            usage_err("%s: no SV at root %s", cmd, a);
            return 0;
        }
    if (strchr("$@%&", a[0])) {
        uint64_t r = cm_find_symbol(m, a);
        if (!r)
            usage_err("%s: no such symbol %s", cmd, a);
        return r;
    }
    char *end;
    uint64_t addr;
    if (!strncmp(a, "0x", 2) || !strncmp(a, "0X", 2))
        addr = strtoull(a + 2, &end, 16);
    else
        addr = strtoull(a, &end, 10);
    if (!*a || *end || (a[0] == '0' && (a[1] | 0x20) == 'x' && !a[2])) {
        usage_err("%s: expected numerical SV address, not '%s'", cmd, a);
        return 0;
    }
    if (!cm_exists(m, addr)) {
        usage_err("%s: no such SV at address %" PRIx64, cmd, addr);
        return 0;
    }
    return addr;
}

/* The arguments of the commands that take options and exactly one SV:
 * [OPTIONS] ADDR.  Returns 0, or the exit status of a usage error (already
 * reported). */
int addr_args(cm *m, const char *cmd, optspec *opts, int argc, char **argv, uint64_t *addr)
{
    int i = parse_opts(cmd, opts, argc, argv, 0);
    if (i < 0)
        return 2;
    if (i >= argc)
        return usage_err("%s: need an SV address", cmd);
    if (i + 1 < argc)
        return usage_err("%s: unexpected argument '%s'", cmd, argv[i + 1]);
    *addr = get_sv_arg(m, cmd, argv[i]);
    return *addr ? 0 : 2;
}

/* The address of the root named want ("defstash", "strtab", ...), 0 if the
 * file has none. */
uint64_t root_addr(cm *m, const char *want)
{
    for (size_t i = 0; i < cm_nroots(m); i++) {
        const char *name, *desc;
        uint64_t a;
        if (cm_root_get(m, i, &name, &desc, &a) == 0 && !strcmp(name, want))
            return a;
    }
    return 0;
}
