/* cmd/values.c - values: a HASH's or STASH's entries with their values,
 * filtered, sorted and a page of --count at a time. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_shared.h"

static const char values_help[] =
    "OPTIONS:\n"
    KEYS_HELP_COUNT
    "  --hek, -H          also show HEK pointers\n"
    KEYS_HELP_NOSORT
    KEYS_HELP_SKIP
    KEYS_HELP_ARGUMENTS;

/* values: its entry in the command table (commands.c). */
static int cmd_values(cm *m, int argc, char **argv);
const command command_values = {
    "values", "List the values of a HASH-like SV", cmd_values,
    "values [OPTIONS...] [SV ADDR] $FILTER", values_help
};

/* A key as values prints it: perlstring-quoted, except that a stash's
 * control-character names (^W..., ^H...) show as {^W...}, like pmat. */
static char *stash_key(const pmat_str *k, int stash)
{
    if (stash && k->len && k->ptr[0] < 0x20) {
        int ok = 1;
        for (uint64_t i = 1; i < k->len; i++)
            if (!(k->ptr[i] == '_' || (k->ptr[i] >= '0' && k->ptr[i] <= '9') ||
                  ((k->ptr[i] | 0x20) >= 'a' && (k->ptr[i] | 0x20) <= 'z')))
                ok = 0;
        if (ok) {
            char *rest = xmalloc(k->len);
            memcpy(rest, k->ptr + 1, k->len - 1);
            rest[k->len - 1] = 0;
            char *r = xasprintf("{^%c%s}", 64 + k->ptr[0], rest);
            free(rest);
            return r;
        }
    }
    return cm_format_key(k->ptr, k->len);
}

static int cmd_values(cm *m, int argc, char **argv)
{
    optspec opts[] = { { "count", 'c', 'i', 0, 50, 0 }, { "skip", 's', 'i', 0, 0, 0 },
                       { "no-sort", 'n', 0, 0, 0, 0 }, { "hek", 'H', 0, 0, 0, 0 }, { 0 } };
    int i = parse_opts("values", opts, argc, argv, 0);
    if (i < 0)
        return 2;
    if (i >= argc)
        return usage_err("values: need an SV address");
    uint64_t addr = get_sv_arg(m, "values", argv[i++]);
    if (!addr)
        return 2;
    /* pmat takes the options after the arguments too */
    if ((i = parse_opts("values", opts, argc, argv, i)) < 0)
        return 2;
    const char *filter_arg = NULL;
    long long skip = opts[O_SKIP].ival;
    if (i < argc) {
        const char *a = argv[i++];
        /* pmat 0.51 took a skip count here, 0.56 a /PATTERN/: both work */
        if (*a && strspn(a, "0123456789") == strlen(a) && !opts[O_SKIP].set)
            skip = strtoll(a, NULL, 10);
        else
            filter_arg = a;
        if ((i = parse_opts("values", opts, argc, argv, i)) < 0)
            return 2;
        if (!filter_arg && opts[O_SKIP].set)
            skip = opts[O_SKIP].ival;
    }
    if (i < argc)
        return usage_err("values: unexpected argument '%s'", argv[i]);
    const char *type = cm_type_of(m, addr);
    if (!strcmp(type, "ARRAY"))
        return usage_err("values: cannot 'values' of a ARRAY - maybe you wanted 'elems'?");
    if (strcmp(type, "HASH") && strcmp(type, "STASH"))
        return usage_err("values: cannot 'elems' of a non-HASHlike");
    int stash = !strcmp(type, "STASH");
    size_t n, p;
    int rc;
    kv *v = listed_keys(m, "values", cm_find(m, addr), filter_arg, opts[O_NOSORT].set, skip, &n,
                        &p, &rc);
    if (!v)
        return rc;
    size_t page = opts[O_COUNT].ival > 0 ? (size_t)opts[O_COUNT].ival : 0;
    int heks = opts[O_HEK].set;
    do {
        table t = { 0 };
        size_t end = p + page < n ? p + page : n;
        for (; p < end; p++) {
            char *key = stash_key(&v[p].key, stash);
            char *val = cm_exists(m, v[p].val) ? format_sv_with_value(m, v[p].val, 0)
                                               : xstrdup("NULL");
            /* the HEK column only in rows whose entry has one, as pmat */
            if (heks && v[p].hek)
                tab_row(&t, 3, key, xasprintf("HEK at 0x%" PRIx64, v[p].hek), val);
            else
                tab_row(&t, 2, key, val);
        }
        tab_print(&t, 2, NULL, NULL, NULL);
        if (n > p)
            fprintf(cmd_out, "  ... (%zu more)\n", n - p);
    } while (p < n && page);
    free(v);
    return 0;
}
