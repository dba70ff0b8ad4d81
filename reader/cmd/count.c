/* cmd/count.c - count: SVs and bytes per kind, optionally per blessed
 * package (--blessed), per scalar kind (--scalars), by structure or owned
 * size; plain and --blessed from pmat_open's figures without a second
 * read. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_shared.h"

/* count: its entry in the command table (commands.c). */
static int cmd_count(cm *m, int argc, char **argv);
const command command_count = {
    "count", "Count the various kinds of SV", cmd_count,
    "count [OPTIONS...]", NULL
};

typedef struct pkgcount { char *name; uint64_t svs, bytes; } pkgcount;

static int cmp_pkgname(const void *a, const void *b)
{
    return strcmp(((const pkgcount *)a)->name, ((const pkgcount *)b)->name);
}

static int cmp_pkgcount(const void *a, const void *b)
{
    const pkgcount *x = a, *y = b;
    if (x->svs != y->svs)
        return x->svs > y->svs ? -1 : 1;
    return strcmp(x->name, y->name);
}

static char *cnt_str(int blessed_col, uint64_t v)
{
    if (blessed_col && !v)
        return xstrdup("");
    return xasprintf("%" PRIu64, v);
}

static char *bytes_str(int blessed_col, uint64_t v)
{
    if (blessed_col && !v)
        return xstrdup("");
    return cm_format_bytes(v);
}

/* Devel::MAT 0.56 counts by $sv->type, which names a SCALAR with no IV, NV
 * or PV "UNDEF"; 0.51 counted it as SCALAR. */
static int count_as_undef(cm *m, size_t idx)
{
    return cm_pmat_version >= 56 && cm_is_valueless_scalar(m, idx);
}

static int cmd_count(cm *m, int argc, char **argv)
{
    optspec opts[] = { { "blessed", 'b', 0, 0, 0, 0 }, { "scalars", 'S', 0, 0, 0, 0 },
                       { "struct", 0, 0, 0, 0, 0 }, { "owned", 0, 0, 0, 0, 0 }, { 0 } };
    if (opts_only("count", opts, argc, argv))
        return 2;
    int blessed = opts[0].set, scalars = opts[1].set, owned = opts[3].set;
    int structsz = opts[2].set;
    uint64_t c[K_NKINDS][4];
    memset(c, 0, sizeof c);
    /* per kind: svs, bytes, blessed svs, blessed bytes */
    typedef struct { char desc[24]; uint64_t v[4]; } scount;
    scount sc[16];
    size_t nsc = 0;
    pkgcount *pk[K_NKINDS];
    size_t npk[K_NKINDS];
    memset(pk, 0, sizeof pk);
    memset(npk, 0, sizeof npk);
    uint64_t *own = owned ? owned_sizes(m) : NULL;
    if (owned && !own)
        return usage_err("count: out of memory");
    uint64_t last_bl = 0;
    int last_isb = 0;
    /* Plain count and count --blessed add up the (type, blessed) figures
     * pmat_open gathered (cm_stats), then move the SVs whose kind
     * Devel::MAT's fixups changed (PAD, PADLIST, PADNAMES: ARRAYs by type)
     * to their kind: no record is read again.  The other options need
     * every SV. */
    size_t scap = 0;
    const cm_stat *st = !scalars && !own && !structsz ? cm_stats(m, &scap) : NULL;
    /* after the stats and the pad fixups, with 0.56: each valueless SCALAR
     * moves from SCALAR to UNDEF (a pair of items, as the pad fixups) */
    size_t nfix = st ? scap + 2 * m->npadcv : 0;
    size_t nitems = st ? nfix + (cm_pmat_version >= 56 ? 2 * m->n : 0) : m->n;
    int moved = 0;      /* the pair's SV is valueless: decided on its first item */
    for (size_t j = 0; j < nitems; j++) {
        uint64_t fsize, fbl, nsv = 1;
        unsigned k;
        size_t sv_i = NO_IDX;
        if (st && j >= nfix) {
            size_t idx = (j - nfix) / 2;
            if ((j - nfix) % 2 == 0)
                moved = count_as_undef(m, idx);
            if (!moved)
                continue;
            cm_size_blessed(m, idx, &fsize, &fbl);
            if ((j - nfix) % 2 == 0) {
                k = K_SCALAR;
                nsv = (uint64_t)-1;
                fsize = (uint64_t)0 - fsize;
            } else {
                k = K_UNDEF;
            }
        } else if (st && j < scap) {
            if (!st[j].used)
                continue;
            k = cm_kind_of_type(st[j].type);
            fbl = st[j].blessed;
            fsize = st[j].bytes;
            nsv = st[j].svs;
        } else if (st) {
            /* a reclassified SV: out of its type's kind (even j), into
             * its own (odd j); each SV once though several CVs claim it */
            size_t p = (j - scap) / 2;
            if (p && m->padcv[p - 1].key == m->padcv[p].key)
                continue;
            size_t idx = m->padcv[p].key;
            unsigned tk = cm_kind_of_type(pmat_sv_type(m->f, idx));
            if (tk == cm_kind_of(m, idx))
                continue;
            cm_size_blessed(m, idx, &fsize, &fbl);
            if ((j - scap) % 2 == 0) {
                k = tk;
                nsv = (uint64_t)-1;      /* subtract: the sums are modulo 2^64 */
                fsize = (uint64_t)0 - fsize;
            } else {
                k = cm_kind_of(m, idx);
            }
        } else {
            sv_i = j;
            if ((j & 0xffff) == 0xffff)
                pmat_release_pages(m->f);
            cm_size_blessed(m, j, &fsize, &fbl);
            k = count_as_undef(m, j) ? K_UNDEF : cm_kind_of(m, j);
        }
        uint64_t bytes = sv_i == NO_IDX ? fsize : own ? own[j] : structsz ? metric_size(m, j, 1) : fsize;
        if (fbl && fbl != last_bl) {
            last_bl = fbl;
            last_isb = cm_exists(m, fbl);
        }
        int isb = fbl && last_isb;
        c[k][0] += nsv;
        c[k][1] += bytes;
        if (isb) {
            c[k][2] += nsv;
            c[k][3] += bytes;
        }
        if (scalars && (k == K_SCALAR || k == K_BOOL || k == K_UNDEF)) {
            char *d = cm_desc(m, pmat_sv_addr(m->f, j));
            size_t s;
            for (s = 0; s < nsc; s++)
                if (!strcmp(sc[s].desc, d))
                    break;
            if (s == nsc && nsc < 16) {
                snprintf(sc[nsc].desc, sizeof sc[nsc].desc, "%s", d);
                memset(sc[nsc].v, 0, sizeof sc[nsc].v);
                nsc++;
            }
            if (s < nsc) {
                sc[s].v[0]++;
                sc[s].v[1] += bytes;
                if (isb) {
                    sc[s].v[2]++;
                    sc[s].v[3] += bytes;
                }
            }
            free(d);
        }
        if (blessed && isb) {
            pmat_str sn;
            if (cm_stashname(m, fbl, &sn) < 0)
                continue;
            size_t p;
            for (p = 0; p < npk[k]; p++)
                if (strlen(pk[k][p].name) == sn.len && !memcmp(pk[k][p].name, sn.ptr, sn.len))
                    break;
            if (p == npk[k]) {
                pk[k] = xrealloc(pk[k], (npk[k] + 1) * sizeof *pk[k]);
                pk[k][p].name = xstrdup_str(&sn);
                pk[k][p].svs = pk[k][p].bytes = 0;
                npk[k]++;
            }
            pk[k][p].svs += nsv;
            pk[k][p].bytes += bytes;
        }
    }
    /* a package whose only SVs were moved to another kind */
    for (unsigned k = 0; k < K_NKINDS; k++) {
        size_t w = 0;
        for (size_t p = 0; p < npk[k]; p++) {
            if (pk[k][p].svs)
                pk[k][w++] = pk[k][p];
            else
                free(pk[k][p].name);
        }
        npk[k] = w;
    }
    free(own);
    /* kinds sorted by name */
    unsigned order[K_NKINDS];
    size_t no = 0;
    for (unsigned k = 0; k < K_NKINDS; k++)
        if (c[k][0])
            order[no++] = k;
    for (size_t a = 1; a < no; a++)
        for (size_t b = a; b > 0 && strcmp(cm_kind_name(order[b - 1]), cm_kind_name(order[b])) > 0; b--) {
            unsigned t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
    table t = { 0 };
    tab_row(&t, 5, xstrdup("Kind"), xstrdup("Count"), xstrdup("(blessed)"), xstrdup("Bytes"),
            xstrdup("(blessed)"));
    uint64_t tot[4] = { 0, 0, 0, 0 };
    for (size_t o = 0; o < no; o++) {
        unsigned k = order[o];
        for (int x = 0; x < 4; x++)
            tot[x] += c[k][x];
        tab_row(&t, 5, xstrdup(cm_kind_name(k)), cnt_str(0, c[k][0]), cnt_str(1, c[k][2]),
                bytes_str(0, c[k][1]), bytes_str(1, c[k][3]));
        if (blessed && npk[k]) {
            qsort(pk[k], npk[k], sizeof *pk[k], cmp_pkgname);
            /* stable sort by count descending over the name-sorted list */
            for (size_t a = 1; a < npk[k]; a++)
                for (size_t b = a; b > 0 && pk[k][b - 1].svs < pk[k][b].svs; b--) {
                    pkgcount tmp = pk[k][b];
                    pk[k][b] = pk[k][b - 1];
                    pk[k][b - 1] = tmp;
                }
            (void)cmp_pkgcount;
            uint64_t rs = 0, rb = 0;
            for (size_t p = 0; p < npk[k]; p++) {
                if (p < 10)
                    tab_row(&t, 5, xasprintf("    %s", pk[k][p].name), cnt_str(0, 0),
                            cnt_str(1, pk[k][p].svs), bytes_str(0, 0), bytes_str(1, pk[k][p].bytes));
                else {
                    rs += pk[k][p].svs;
                    rb += pk[k][p].bytes;
                }
            }
            if (npk[k] > 10)
                tab_row(&t, 5, xstrdup("    (others)"), cnt_str(0, 0), cnt_str(1, rs), bytes_str(0, 0),
                        bytes_str(1, rb));
        }
        if (k == K_SCALAR && scalars) {
            for (size_t a = 1; a < nsc; a++)
                for (size_t b = a; b > 0 && strcmp(sc[b - 1].desc, sc[b].desc) > 0; b--) {
                    scount tmp = sc[b];
                    sc[b] = sc[b - 1];
                    sc[b - 1] = tmp;
                }
            for (size_t s = 0; s < nsc; s++)
                tab_row(&t, 5, xasprintf("  %s", sc[s].desc), cnt_str(0, sc[s].v[0]),
                        cnt_str(1, sc[s].v[2]), bytes_str(0, sc[s].v[1]), bytes_str(1, sc[s].v[3]));
        }
    }
    for (unsigned k = 0; k < K_NKINDS; k++) {
        for (size_t p = 0; p < npk[k]; p++)
            free(pk[k][p].name);
        free(pk[k]);
    }
    tab_row(&t, 0);
    tab_row(&t, 5, xstrdup("(total)"), cnt_str(0, tot[0]), cnt_str(1, tot[2]),
            bytes_str(0, tot[1]), bytes_str(1, tot[3]));
    static const char *const sep[] = { "    ", " ", "    ", " " };
    static const int right[] = { 0, 1, 1, 1, 1 };
    tab_print(&t, 2, sep, NULL, right);
    return 0;
}
