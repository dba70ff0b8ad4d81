/* cmd/largest.c - largest: the SVs of the largest size (direct, --struct or
 * --owned), and with a second count the largest parts of each. */
#include <stdlib.h>
#include <string.h>

#include "cmd_shared.h"

/* largest: its entry in the command table (commands.c). */
static int cmd_largest(cm *m, int argc, char **argv);
const command command_largest = {
    "largest", "Find the largest SVs by size", cmd_largest,
    "largest [OPTIONS...] $COUNT*", NULL
};

static uint8_t *largest_seen;

static void list_largest(cm *m, const uint32_t *svs, size_t n, int metric, const char *indent,
                         const long long *counts, int ncounts)
{
    uint64_t *val = xmalloc((n + 1) * sizeof *val);
    uint8_t *taken = calloc(n + 1, 1);
    for (size_t j = 0; j < n; j++)
        val[j] = metric_size(m, svs[j], metric);
    long long count = ncounts ? counts[0] : 0;
    while (count-- > 0) {
        size_t best = NO_IDX;
        for (size_t j = 0; j < n; j++)
            if (!taken[j] && (best == NO_IDX || val[j] > val[best]))
                best = j;
        if (best == NO_IDX)
            break;
        taken[best] = 1;
        uint32_t sv = svs[best];
        largest_seen[sv] = 1;
        char *f = cm_format_sv(m, pmat_sv_addr(m->f, sv)), *b = cm_format_bytes(val[best]);
        fprintf(cmd_out, "%s%s: %s", indent, f, b);
        free(f);
        free(b);
        if (!metric || ncounts < 2) {
            fputc('\n', cmd_out);
            continue;
        }
        idxlist set = { 0 };
        if (metric == 1)
            structure_set(m, sv, &set);
        else
            owned_set(m, sv, &set);
        if (set.n <= 1) {
            fputc('\n', cmd_out);
            free(set.v);
            continue;
        }
        fputs(": of which\n", cmd_out);
        char *sub = xasprintf("%s |   ", indent);
        list_largest(m, set.v + 1, set.n - 1, metric, sub, counts + 1, ncounts - 1);
        free(sub);
        for (size_t j = 1; j < set.n; j++)
            largest_seen[set.v[j]] = 1;
        free(set.v);
    }
    uint64_t others = 0;
    for (size_t j = 0; j < n; j++)
        if (!largest_seen[svs[j]])
            others += sv_size(m, svs[j]);
    if (others) {
        char *b = cm_format_bytes(others);
        fprintf(cmd_out, "%sothers: %s\n", indent, b);
        free(b);
    }
    free(val);
    free(taken);
}

static int cmd_largest(cm *m, int argc, char **argv)
{
    optspec opts[] = { { "struct", 0, 0, 0, 0, 0 }, { "owned", 0, 0, 0, 0, 0 }, { 0 } };
    int i = parse_opts("largest", opts, argc, argv, 0);
    if (i < 0)
        return 2;
    long long counts[16] = { 5, 3, 2 };
    int nc = 3;
    for (int k = 0; i < argc; i++, k++) {
        char *end;
        if (k >= 16)
            return usage_err("largest: too many counts");
        counts[k] = strtoll(argv[i], &end, 10);
        if (!*argv[i] || *end)
            return usage_err("largest: expected a count, not '%s'", argv[i]);
        if (k >= nc)
            nc = k + 1;
    }
    int metric = opts[1].set ? 2 : opts[0].set ? 1 : 0;
    uint32_t *all = xmalloc((m->n + 1) * sizeof *all);
    for (size_t j = 0; j < m->n; j++)
        all[j] = (uint32_t)j;
    largest_seen = calloc(m->n + 1, 1);
    if (!largest_seen)
        return usage_err("largest: out of memory");
    list_largest(m, all, m->n, metric, "", counts, nc);
    free(all);
    free(largest_seen);
    return 0;
}
