/* cmd_refs.c - references as outrefs, inrefs and identify order and show
 * them: the stable sort by name (Perl's sort_by), and the arguments and
 * listing outrefs and inrefs share. */
#include <stdlib.h>
#include <string.h>

#include "cmd_shared.h"

static int cmp_ref_name(const void *a, const void *b)
{
    const cm_ref *x = a, *y = b;
    return strcmp(x->name, y->name);
}

/* a stable sort by name (sort_by) */
static void sort_refs(cm_refs *r)
{
    for (size_t i = 1; i < r->n; i++)
        for (size_t j = i; j > 0 && cmp_ref_name(&r->v[j - 1], &r->v[j]) > 0; j--) {
            cm_ref t = r->v[j];
            r->v[j] = r->v[j - 1];
            r->v[j - 1] = t;
        }
}

static void merge_sort_refs(cm_ref *v, size_t n, cm_ref *tmp, int (*cmp)(const void *, const void *))
{
    if (n < 2)
        return;
    size_t h = n / 2;
    merge_sort_refs(v, h, tmp, cmp);
    merge_sort_refs(v + h, n - h, tmp, cmp);
    size_t a = 0, b = h, o = 0;
    while (a < h && b < n)
        tmp[o++] = cmp(&v[b], &v[a]) < 0 ? v[b++] : v[a++];
    while (a < h)
        tmp[o++] = v[a++];
    while (b < n)
        tmp[o++] = v[b++];
    memcpy(v, tmp, n * sizeof *v);
}

void stable_sort_refs(cm_refs *r)
{
    if (r->n < 64) {
        sort_refs(r);
        return;
    }
    cm_ref *tmp = xmalloc(r->n * sizeof *tmp);
    merge_sort_refs(r->v, r->n, tmp, cmp_ref_name);
    free(tmp);
}

static const char *const strength_note[] = { "s", "w", "i", "~" };

static void show_refs(cm *m, cm_refs *r)
{
    stable_sort_refs(r);
    size_t k = 0;
    /* drop refs without an SV (roots) */
    for (size_t i = 0; i < r->n; i++) {
        if (r->v[i].addr)
            r->v[k++] = r->v[i];
        else
            free(r->v[i].name);
    }
    r->n = k;
    for (size_t p = 0; p < r->n; p += 30) {
        table t = { 0 };
        for (size_t i = p; i < r->n && i < p + 30; i++)
            tab_row(&t, 3, xstrdup(strength_note[r->v[i].strength]), xstrdup(r->v[i].name),
                    cm_format_sv(m, r->v[i].addr));
        tab_print(&t, 0, NULL, "  ", NULL);
    }
}

/* outrefs and inrefs: [--weak] [--all] ADDR, then the references collect
 * finds, listed.  0, or 2 after a usage error. */
int list_refs(cm *m, const char *cmd, int argc, char **argv, refs_collector collect)
{
    optspec opts[] = { { "weak", 0, 0, 0, 0, 0 }, { "all", 'a', 0, 0, 0, 0 }, { 0 } };
    uint64_t addr;
    int rc = addr_args(m, cmd, opts, argc, argv, &addr);
    if (rc)
        return rc;
    cm_refs r = { 0 };
    collect(m, addr, opts[1].set, opts[0].set, &r);
    show_refs(m, &r);
    cm_refs_free(&r);
    return 0;
}
