/* cmd_tools.c - pmat's commands over the model (cmd_model.c).
 *
 * Output formats follow Devel::MAT 0.51's tools (without colours): tables
 * are laid out like Devel::MAT::Cmd's print_table, lists that pmat pages 30
 * at a time are printed as the same pages (each page is its own table).
 */
#include <inttypes.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "cmd_int.h"

static FILE *out;

/* A usage error: one line on stderr, exit status 2. */
static int usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_err(const char *fmt, ...)
{
    va_list ap;
    fflush(out);
    fputs("cpmat: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 2;
}

/* ---- tables -------------------------------------------------------------- */

typedef struct table {
    char ***rows;      /* rows[r][c], NULL row = rule */
    size_t *ncols;
    size_t n, cap;
} table;

static void tab_row(table *t, size_t ncols, ...)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 32;
        t->rows = xrealloc(t->rows, t->cap * sizeof *t->rows);
        t->ncols = xrealloc(t->ncols, t->cap * sizeof *t->ncols);
    }
    va_list ap;
    va_start(ap, ncols);
    char **r = ncols ? xmalloc(ncols * sizeof *r) : NULL;
    for (size_t i = 0; i < ncols; i++)
        r[i] = va_arg(ap, char *);   /* takes ownership */
    va_end(ap);
    t->rows[t->n] = r;
    t->ncols[t->n] = ncols;
    t->n++;
}

/* length in characters (UTF-8 aware, like perl's length on decoded text) */
static size_t ulen(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

/* sep: array of ncols-1 separators or NULL for " "; right[c]: right-align */
static void tab_print(table *t, int indent, const char *const *sep, const char *onesep,
                      const int *right)
{
    if (!t->n)
        return;
    size_t cols = 0;
    for (size_t r = 0; r < t->n; r++)
        if (t->ncols[r] > cols)
            cols = t->ncols[r];
    size_t *w = calloc(cols + 1, sizeof *w);
    for (size_t r = 0; r < t->n; r++)
        for (size_t c = 0; c < t->ncols[r]; c++) {
            size_t l = ulen(t->rows[r][c]);
            if (l > w[c])
                w[c] = l;
        }
    for (size_t r = 0; r < t->n; r++) {
        fprintf(out, "%*s", indent, "");
        for (size_t c = 0; c < cols; c++) {
            if (c)
                fputs(sep ? sep[c - 1] : onesep ? onesep : " ", out);
            const char *cell;
            char *dash = NULL;
            if (!t->ncols[r]) {
                dash = xmalloc(w[c] + 1);
                memset(dash, '-', w[c]);
                dash[w[c]] = 0;
                cell = dash;
            } else {
                cell = c < t->ncols[r] ? t->rows[r][c] : "";
            }
            int ra = right && right[c];
            size_t l = ulen(cell);
            if (c == cols - 1 && !ra) {
                fputs(cell, out);
            } else if (ra) {
                fprintf(out, "%*s%s", (int)(w[c] > l ? w[c] - l : 0), "", cell);
            } else {
                fprintf(out, "%s%*s", cell, (int)(w[c] > l ? w[c] - l : 0), "");
            }
            free(dash);
        }
        fputc('\n', out);
    }
    for (size_t r = 0; r < t->n; r++) {
        for (size_t c = 0; c < t->ncols[r]; c++)
            free(t->rows[r][c]);
        free(t->rows[r]);
    }
    free(t->rows);
    free(t->ncols);
    free(w);
    memset(t, 0, sizeof *t);
}

/* ---- options ---------------------------------------------------------- */

typedef struct optspec {
    const char *name;    /* long name, with '-' for '_' */
    char alias;          /* short alias or 0 */
    int type;            /* 0 flag, 'i' int, 's' string, 'x' hex */
    int set;
    long long ival;
    const char *sval;
} optspec;

/* Parse leading options out of argv; returns index of the first non-option
 * or -1 after printing an error. */
static int parse_opts(const char *cmd, optspec *opts, int argc, char **argv, int start)
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

/* An SV argument as pmat takes it: a root name, a symbol ($x @x %x &x),
 * or an address (0xHEX or decimal).  0 with a message on failure. */
static uint64_t get_sv_arg(cm *m, const char *cmd, const char *a)
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

/* ---- value formatting ---------------------------------------------------- */

static char *fmt_nv(double nv)
{
    if (isnan(nv))
        return xstrdup("NaN");
    if (isinf(nv))
        return xstrdup(nv < 0 ? "-Inf" : "Inf");
    return xasprintf("%.15g", nv);
}

/* format_value(pv => 1): perlstring, truncated at 64 characters + "..." */
static char *fmt_pv(const pmat_str *s, size_t maxlen)
{
    size_t l = s->len;
    int trunc = 0;
    if (maxlen && l > maxlen) {
        l = maxlen;
        trunc = 1;
    }
    char *p = cm_perlstring(s->ptr, l);
    if (trunc) {
        char *q = xasprintf("%s...", p);
        free(p);
        p = q;
    }
    return p;
}

/* The numeric value Devel::MAT reports for a SCALAR (nv // uv) */
static char *scalar_num(const pmat_sv *sv)
{
    uint8_t fl = cm_scalar_flags(sv);
    if (fl & PMAT_SCALAR_HAS_NV)
        return fmt_nv(sv->u.scalar.nv);
    if (fl & PMAT_SCALAR_HAS_IV) {
        if (fl & PMAT_SCALAR_IV_IS_UV)
            return xasprintf("%" PRIu64, sv->u.scalar.uv);
        return xasprintf("%" PRId64, sv->u.scalar.iv);
    }
    return NULL;
}

static char *format_sv_with_value(cm *m, uint64_t addr, int depth);

static char *with_value_inner(cm *m, uint64_t addr, int depth)
{
    char *repr = cm_format_sv(m, addr);
    if (depth > 64)
        return repr;
    if (addr == m->h->yes_at || addr == m->h->no_at || addr == m->h->undef_at)
        return repr;
    size_t i = cm_find(m, addr);
    if (i == NO_IDX)
        return repr;
    pmat_sv sv;
    if (pmat_sv_get(m->f, i, &sv, &m->err) < 0)
        return repr;
    char *r = NULL;
    switch (cm_kind_of(m, i)) {
    case K_SCALAR: {
        if (sv.type != PMAT_SVt_SCALAR)
            break;
        char *num = scalar_num(&sv);
        char *pv = (sv.u.scalar.flags & PMAT_SCALAR_HAS_PV) ? fmt_pv(&sv.u.scalar.pv, 64) : NULL;
        if (num && pv)
            r = xasprintf("%s = %s / %s", repr, num, pv);
        else if (num || pv)
            r = xasprintf("%s = %s", repr, num ? num : pv);
        free(num);
        free(pv);
        break;
    }
    case K_BOOL:
        r = xasprintf("%s = %s", repr, sv.type == PMAT_SVt_YES ? "true" : "false");
        break;
    case K_REF:
        if (cm_exists(m, sv.u.ref.rv)) {
            char *inner = format_sv_with_value(m, sv.u.ref.rv, depth + 1);
            r = xasprintf("%s => %s", repr, inner);
            free(inner);
        }
        break;
    case K_ARRAY:
        if (cm_exists(m, sv.blessed))
            break;
        if (!sv.u.array.n)
            r = xasprintf("%s = []", repr);
        else {
            uint64_t e0 = pmat_array_elem(m->f, &sv, 0);
            char *e = cm_exists(m, e0) ? cm_format_sv(m, e0) : xstrdup("NULL");
            r = xasprintf("%s = [%s%s]", repr, e, sv.u.array.n > 1 ? ", ..." : "");
            free(e);
        }
        break;
    case K_HASH:
        if (cm_exists(m, sv.blessed))
            break;
        if (!sv.u.hash.n)
            r = xasprintf("%s = {}", repr);
        else {
            pmat_iter it = { 0, 0 };
            pmat_str key;
            uint64_t val;
            if (pmat_hash_next(m->f, &sv, &it, &key, &val, &m->err) > 0) {
                char *k = cm_format_key(key.ptr, key.len);
                char *v = cm_exists(m, val) ? cm_format_sv(m, val) : xstrdup("NULL");
                r = xasprintf("%s = {%s => %s%s}", repr, k, v, sv.u.hash.n > 1 ? ", ..." : "");
                free(k);
                free(v);
            }
        }
        break;
    case K_GLOB: {
        char *n = cm_glob_stashname(m, addr);
        if (n) {
            r = xasprintf("%s is *%s", repr, n);
            free(n);
        }
        break;
    }
    case K_STASH: case K_CLASS: {
        pmat_str sn;
        if (cm_stashname(m, addr, &sn) == 0) {
            char *n = xstrdup_str(&sn);
            r = xasprintf("%s is %s", repr, n);
            free(n);
        }
        break;
    }
    default:
        break;
    }
    if (r) {
        free(repr);
        return r;
    }
    return repr;
}

static char *format_sv_with_value(cm *m, uint64_t addr, int depth)
{
    return with_value_inner(m, addr, depth);
}

/* ---- summary / count ------------------------------------------------------ */

static int cmd_summary(cm *m)
{
    char ver[40];
    fprintf(out, "Perl memory dumpfile from perl %s %s\n",
            pmat_perl_version(m->f, ver, sizeof ver), m->h->ithreads ? "threaded" : "non-threaded");
    fprintf(out, "Heap contains %zu objects\n", m->n);
    return 0;
}

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

static uint64_t *owned_sizes(cm *m);
static uint64_t metric_size(cm *m, size_t i, int metric);

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
    int i = parse_opts("count", opts, argc, argv, 0);
    if (i < 0)
        return 2;
    if (i < argc)
        return usage_err("count: unexpected argument '%s'", argv[i]);
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

/* ---- find ------------------------------------------------------------------ */

enum { F_BLESSED, F_CV, F_IO, F_LEXICAL, F_MAGIC, F_MAGICV2, F_NUM, F_PV, F_STRUCT };

typedef struct filter {
    int type;
    char *arg;
    int o_iv, o_uv, o_nv, o_eq, o_re, o_icase, o_xsub, o_inactive, has_value;
    double value;
    long long fileno;
    int has_fileno;
    const char *package, *file;
    uint64_t vtbl;
    uint64_t funcs, auxsv;   /* find magicv2: 0 = any */
    regex_t re;          /* find pv --regexp: compiled when has_re */
    int has_re;
} filter;

static int match_pv(const filter *fl, const pmat_str *pv)
{
    if (fl->has_re) {
        /* POSIX extended regex over the PV's bytes, like pmat's unanchored
         * =~ match.  REG_STARTEND (glibc, BSDs) bounds the subject by
         * length, so a PV with NUL bytes is matched whole; without it the
         * PV is copied and matched up to its first NUL. */
#ifdef REG_STARTEND
        regmatch_t rm[1];
        rm[0].rm_so = 0;
        rm[0].rm_eo = (regoff_t)pv->len;
        return regexec(&fl->re, pv->ptr ? (const char *)pv->ptr : "", 1, rm, REG_STARTEND) == 0;
#else
        char *z = xmalloc(pv->len + 1);
        memcpy(z, pv->ptr, pv->len);
        z[pv->len] = 0;
        int r = regexec(&fl->re, z, 0, NULL, 0) == 0;
        free(z);
        return r;
#endif
    }
    const char *pat = fl->arg;
    size_t pl = strlen(pat);
    if (fl->o_eq)
        return pv->len == pl && (fl->o_icase ? !strncasecmp((const char *)pv->ptr, pat, pl)
                                             : !memcmp(pv->ptr, pat, pl));
    if (pl > pv->len)
        return 0;
    for (uint64_t i = 0; i + pl <= pv->len; i++)
        if (fl->o_icase ? !strncasecmp((const char *)pv->ptr + i, pat, pl)
                        : !memcmp(pv->ptr + i, pat, pl))
            return 1;
    return 0;
}

/* Returns 1 and *outtext (malloc'd, may be NULL) and possibly a new *addr
 * when the filter accepts the SV. */
static int apply_filter(cm *m, const filter *fl, size_t idx, uint64_t *addr, char **outtext)
{
    *outtext = NULL;
    pmat_sv sv;
    size_t i = cm_find(m, *addr);
    if (i == NO_IDX || pmat_sv_get(m->f, i, &sv, &m->err) < 0)
        return 0;
    (void)idx;
    unsigned k = cm_kind_of(m, i);
    switch (fl->type) {
    case F_BLESSED: {
        pmat_str sn;
        if (sv.type == PMAT_SVt_C_STRUCT || !sv.blessed || cm_stashname(m, sv.blessed, &sn) < 0)
            return 0;
        if (strlen(fl->arg) != sn.len || memcmp(fl->arg, sn.ptr, sn.len))
            return 0;
        *outtext = xstrdup(fl->arg);
        return 1;
    }
    case F_CV: {
        if (k != K_CODE)
            return 0;
        if (fl->o_xsub && !(sv.u.code.flags & 0x04))
            return 0;
        if (fl->package) {
            size_t gi = cm_find(m, cm_glob_at(m, i));
            pmat_sv g;
            pmat_str sn;
            if (gi == NO_IDX || cm_kind_of(m, gi) != K_GLOB ||
                pmat_sv_get(m->f, gi, &g, &m->err) < 0 || cm_stashname(m, g.u.glob.stash, &sn) < 0)
                return 0;
            if (strlen(fl->package) != sn.len || memcmp(fl->package, sn.ptr, sn.len))
                return 0;
        }
        if (fl->file) {
            pmat_str *f = &sv.u.code.file;
            if (f->is_null || strlen(fl->file) != f->len || memcmp(fl->file, f->ptr, f->len))
                return 0;
        }
        char *s = cm_symname(m, *addr);
        *outtext = s ? s : xstrdup("__ANON__");
        return 1;
    }
    case F_IO: {
        if (k != K_IO)
            return 0;
        if (fl->has_fileno && sv.u.io.ifileno != fl->fileno && sv.u.io.ofileno != fl->fileno)
            return 0;
        *outtext = xasprintf("ifileno=%" PRId64 " ofileno=%" PRId64, sv.u.io.ifileno,
                             sv.u.io.ofileno);
        return 1;
    }
    case F_NUM: {
        if (k != K_SCALAR || sv.type != PMAT_SVt_SCALAR)
            return 0;
        uint8_t f = cm_scalar_flags(&sv);
        int all = !fl->o_iv && !fl->o_uv && !fl->o_nv;
        if ((all || fl->o_nv) && (f & PMAT_SCALAR_HAS_NV)) {
            if (fl->has_value && sv.u.scalar.nv != fl->value)
                return 0;
            *outtext = fmt_nv(sv.u.scalar.nv);
            return 1;
        }
        if (f & PMAT_SCALAR_HAS_IV) {
            int isuv = (f & PMAT_SCALAR_IV_IS_UV) != 0;
            if ((all || fl->o_iv) && !isuv) {
                if (fl->has_value && (double)sv.u.scalar.iv != fl->value)
                    return 0;
                *outtext = xasprintf("%" PRId64, sv.u.scalar.iv);
                return 1;
            }
            if ((all || fl->o_uv) && isuv) {
                if (fl->has_value && (double)sv.u.scalar.uv != fl->value)
                    return 0;
                *outtext = xasprintf("%" PRIu64, sv.u.scalar.uv);
                return 1;
            }
        }
        return 0;
    }
    case F_PV: {
        if (k != K_SCALAR || sv.type != PMAT_SVt_SCALAR || !(sv.u.scalar.flags & PMAT_SCALAR_HAS_PV))
            return 0;
        if (!match_pv(fl, &sv.u.scalar.pv))
            return 0;
        *outtext = fmt_pv(&sv.u.scalar.pv, 64);
        return 1;
    }
    case F_STRUCT: {
        if (k != K_C_STRUCT)
            return 0;
        uint64_t id, nf;
        pmat_str name;
        if (pmat_struct_info(m->f, sv.u.cstruct.meta, &id, &name, &nf) < 0 ||
            strlen(fl->arg) != name.len || memcmp(fl->arg, name.ptr, name.len))
            return 0;
        *outtext = xstrdup(fl->arg);
        return 1;
    }
    case F_MAGICV2: {
        /* Devel::MAT 0.56's filter: the first MagicV2 attachment that
         * matches --funcs / --auxsv */
        size_t first, nx = pmat_sv_extensions(m->f, *addr, &first);
        for (size_t j = 0; j < nx; j++) {
            pmat_ext x;
            if (pmat_ext_get(m->f, first + j, &x, &m->err) < 0 || x.type != PMAT_SVx_MAGICv2)
                continue;
            if (fl->funcs && x.u.magicv2.funcs != fl->funcs)
                continue;
            int has_aux = cm_exists(m, x.u.magicv2.auxsv);
            if (fl->auxsv && (!has_aux || x.u.magicv2.auxsv != fl->auxsv))
                continue;
            char *s = x.u.magicv2.funcs ? xasprintf("MagicV2 funcs 0x%" PRIx64, x.u.magicv2.funcs)
                                        : xstrdup("MagicV2 funcs 0");
            if (has_aux) {
                char *o = cm_format_sv(m, x.u.magicv2.auxsv), *t = xasprintf("%s, with auxsv %s", s, o);
                free(o);
                free(s);
                s = t;
            }
            *outtext = s;
            return 1;
        }
        return 0;
    }
    case F_MAGIC: {
        size_t first, nx = pmat_sv_extensions(m->f, *addr, &first);
        for (size_t j = 0; j < nx; j++) {
            pmat_ext x;
            if (pmat_ext_get(m->f, first + j, &x, &m->err) < 0 || x.type != PMAT_SVx_MAGIC ||
                x.u.magic.vtbl != fl->vtbl)
                continue;
            char *s = xasprintf("magic type '%c'", x.u.magic.type);
            if (cm_exists(m, x.u.magic.obj)) {
                char *o = cm_format_sv(m, x.u.magic.obj), *t = xasprintf("%s, with object %s", s, o);
                free(o);
                free(s);
                s = t;
            }
            if (cm_exists(m, x.u.magic.ptr)) {
                char *o = cm_format_sv(m, x.u.magic.ptr), *t = xasprintf("%s, with pointer %s", s, o);
                free(o);
                free(s);
                s = t;
            }
            *outtext = s;
            return 1;
        }
        return 0;
    }
    case F_LEXICAL: {
        if (k != K_PAD)
            return 0;
        uint64_t cvaddr = cm_padcv(m, i);
        cm_code c;
        if (!cvaddr || cm_code_load(m, cvaddr, &c) < 0)
            return 0;
        size_t nl = strlen(fl->arg), padix = 0;
        for (size_t p = 1; p < c.npadnames; p++)
            if (!c.padnames[p].is_null && c.padnames[p].len == nl &&
                !memcmp(c.padnames[p].ptr, fl->arg, nl)) {
                padix = p;
                break;
            }
        size_t depth = 0;
        for (size_t d = 0; d < c.npads; d++)
            if (c.pads[d] == *addr) {
                depth = d + 1;
                break;
            }
        int64_t cvdepth = c.sv.u.code.depth;
        cm_code_free(&c);
        if (!padix || padix >= sv.u.array.n)
            return 0;
        uint64_t lex = pmat_array_elem(m->f, &sv, padix);
        if (!cm_exists(m, lex))
            return 0;
        int live = (int64_t)depth <= cvdepth;
        if (!live && !fl->o_inactive)
            return 0;
        char *cvs = cm_format_sv(m, cvaddr);
        *outtext = xasprintf("%s at depth %zu%s of %s", fl->arg, depth, live ? "" : " [inactive]",
                             cvs);
        free(cvs);
        *addr = lex;
        return 1;
    }
    }
    return 0;
}

static int parse_filter(int argc, char **argv, int *pi, filter *fl)
{
    int i = *pi;
    const char *name = argv[i++];
    memset(fl, 0, sizeof *fl);
    if (!strcmp(name, "blessed") || !strcmp(name, "lexical") || !strcmp(name, "struct")) {
        fl->type = name[0] == 'b' ? F_BLESSED : name[0] == 'l' ? F_LEXICAL : F_STRUCT;
        if (fl->type == F_LEXICAL) {
            optspec o[] = { { "inactive", 'I', 0, 0, 0, 0 }, { 0 } };
            if ((i = parse_opts("find lexical", o, argc, argv, i)) < 0)
                return 2;
            fl->o_inactive = o[0].set;
        }
        if (i >= argc)
            return usage_err("find %s: expected %s", name,
                             fl->type == F_BLESSED ? "a package name" :
                             fl->type == F_LEXICAL ? "a variable name" : "a structure type name");
        fl->arg = argv[i++];
    } else if (!strcmp(name, "cv")) {
        fl->type = F_CV;
        optspec o[] = { { "xsub", 0, 0, 0, 0, 0 }, { "package", 'p', 's', 0, 0, 0 },
                        { "file", 'f', 's', 0, 0, 0 }, { 0 } };
        if ((i = parse_opts("find cv", o, argc, argv, i)) < 0)
            return 2;
        fl->o_xsub = o[0].set;
        fl->package = o[1].set ? o[1].sval : NULL;
        fl->file = o[2].set ? o[2].sval : NULL;
    } else if (!strcmp(name, "io")) {
        fl->type = F_IO;
        optspec o[] = { { "fileno", 'f', 'i', 0, 0, 0 }, { 0 } };
        if ((i = parse_opts("find io", o, argc, argv, i)) < 0)
            return 2;
        if (o[0].set) {
            fl->has_fileno = 1;
            fl->fileno = o[0].ival;
        } else if (i < argc && argv[i][0] && strspn(argv[i], "0123456789") == strlen(argv[i])) {
            fl->has_fileno = 1;
            fl->fileno = strtoll(argv[i++], NULL, 10);
        }
    } else if (!strcmp(name, "num")) {
        fl->type = F_NUM;
        optspec o[] = { { "iv", 0, 0, 0, 0, 0 }, { "uv", 0, 0, 0, 0, 0 }, { "nv", 0, 0, 0, 0, 0 },
                        { 0 } };
        if ((i = parse_opts("find num", o, argc, argv, i)) < 0)
            return 2;
        fl->o_iv = o[0].set;
        fl->o_uv = o[1].set;
        fl->o_nv = o[2].set;
        if (i < argc) {
            char *end;
            fl->value = strtod(argv[i], &end);
            if (*end || !*argv[i])
                return usage_err("find num: expected a number, not '%s'", argv[i]);
            fl->has_value = 1;
            i++;
        }
    } else if (!strcmp(name, "pv")) {
        fl->type = F_PV;
        optspec o[] = { { "eq", 0, 0, 0, 0, 0 }, { "regexp", 'r', 0, 0, 0, 0 },
                        { "ignorecase", 'i', 0, 0, 0, 0 }, { 0 } };
        if ((i = parse_opts("find pv", o, argc, argv, i)) < 0)
            return 2;
        fl->o_eq = o[0].set;
        fl->o_re = o[1].set;
        fl->o_icase = o[2].set;
        if (i >= argc)
            return usage_err("find pv: expected a pattern");
        fl->arg = argv[i++];
        if (fl->o_re) {
            int rc = regcomp(&fl->re, fl->arg, REG_EXTENDED | REG_NOSUB | (fl->o_icase ? REG_ICASE : 0));
            if (rc) {
                char msg[256];
                regerror(rc, &fl->re, msg, sizeof msg);
                return usage_err("find pv: bad --regexp '%s': %s", fl->arg, msg);
            }
            fl->has_re = 1;
        }
    } else if (!strcmp(name, "magic")) {
        fl->type = F_MAGIC;
        optspec o[] = { { "vtbl", 'v', 'x', 0, 0, 0 }, { 0 } };
        if ((i = parse_opts("find magic", o, argc, argv, i)) < 0)
            return 2;
        if (!o[0].set || !o[0].ival)
            return usage_err("find magic: expected --vtbl");
        fl->vtbl = (uint64_t)o[0].ival;
    } else if (!strcmp(name, "magicv2")) {
        fl->type = F_MAGICV2;
        optspec o[] = { { "funcs", 'f', 'x', 0, 0, 0 }, { "auxsv", 'A', 'x', 0, 0, 0 }, { 0 } };
        if ((i = parse_opts("find magicv2", o, argc, argv, i)) < 0)
            return 2;
        fl->funcs = (uint64_t)o[0].ival;
        fl->auxsv = (uint64_t)o[1].ival;
    } else {
        return usage_err("find: unknown filter type '%s'", name);
    }
    *pi = i;
    return 0;
}

static int find_run(cm *m, int argc, char **argv, filter *fl, int *nfp);

static int cmd_find(cm *m, int argc, char **argv)
{
    filter fl[16];
    int nf = 0;
    int rc = find_run(m, argc, argv, fl, &nf);
    for (int f = 0; f < nf; f++)
        if (fl[f].has_re)
            regfree(&fl[f].re);
    return rc;
}

static int find_run(cm *m, int argc, char **argv, filter *fl, int *nfp)
{
    optspec opts[] = { { "count", 'C', 0, 0, 0, 0 }, { 0 } };
    int i = parse_opts("find", opts, argc, argv, 0);
    if (i < 0)
        return 2;
    int nf = 0;
    while (i < argc) {
        if (nf == 16)
            return usage_err("find: too many filters");
        int rc = parse_filter(argc, argv, &i, &fl[nf]);
        if (rc)
            return rc;
        *nfp = ++nf;
    }
    uint64_t count = 0;
    int fast_blessed = opts[0].set && nf == 1 && fl[0].type == F_BLESSED;
    uint64_t stash = 0;
    if (fast_blessed) {
        /* Resolve the package to the stash address(es) once; then only the
         * blessed field of each record is compared. */
        (void)stash;
    }
    /* find --count blessed PKG alone: compare the blessed pointer of each
     * record with the stashes named PKG, without decoding the records */
    if (fast_blessed) {
        /* From pmat_open's (type, blessed) figures: one stash-name check
         * per distinct blessed pointer (records alternating between two
         * packages made the per-SV version re-decode a stash per SV). */
        size_t scap = 0;
        const cm_stat *st = cm_stats(m, &scap);
        size_t nitems = st ? scap : m->n;
        size_t alen = strlen(fl[0].arg);
        uint64_t last = 0;
        int last_match = 0;
        for (size_t j = 0; j < nitems; j++) {
            uint64_t size, bl, nsv = 1;
            if (st) {
                if (!st[j].used)
                    continue;
                bl = st[j].blessed;
                nsv = st[j].svs;
            } else {
                cm_size_blessed(m, j, &size, &bl);
            }
            if (!bl)
                continue;
            if (bl != last) {
                pmat_str sn;
                last = bl;
                last_match = cm_stashname(m, bl, &sn) == 0 && alen == sn.len &&
                             !memcmp(fl[0].arg, sn.ptr, sn.len);
            }
            if (last_match)
                count += nsv;
        }
        fprintf(out, "Total: %" PRIu64 " SVs\n", count);
        return 0;
    }
    for (size_t j = 0; j < m->n; j++) {
        /* every record is decoded: keep the mapped file from piling up in RSS */
        if ((j & 0xffff) == 0xffff)
            pmat_release_pages(m->f);
        uint64_t addr = pmat_sv_addr(m->f, j);
        if (nf && fl[0].type == F_BLESSED) {
            uint64_t size, bl;
            cm_size_blessed(m, j, &size, &bl);
            if (!bl)
                continue;
        }
        char *texts[16];
        int ok = 1, nt = 0;
        for (int f = 0; f < nf && ok; f++) {
            char *t;
            ok = apply_filter(m, &fl[f], j, &addr, &t);
            if (ok)
                texts[nt++] = t;
        }
        if (ok) {
            count++;
            if (!opts[0].set) {
                char *s = cm_format_sv(m, addr);
                fputs(s, out);
                free(s);
                for (int t = 0; t < nt; t++)
                    fprintf(out, "%s%s", t ? " " : ": ", texts[t] ? texts[t] : "");
                fputc('\n', out);
            }
        }
        for (int t = 0; t < nt; t++)
            free(texts[t]);
    }
    if (opts[0].set)
        fprintf(out, "Total: %" PRIu64 " SVs\n", count);
    return 0;
}

/* ---- outrefs / inrefs --------------------------------------------------------- */

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

static void stable_sort_refs(cm_refs *r)
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

/* The arguments of the commands that take options and exactly one SV:
 * [OPTIONS] ADDR.  Returns 0, or the exit status of a usage error (already
 * reported). */
static int addr_args(cm *m, const char *cmd, optspec *opts, int argc, char **argv, uint64_t *addr)
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

static int refs_opts(const char *cmd, int argc, char **argv, int *all, int *weak, uint64_t *addr,
                     cm *m)
{
    optspec opts[] = { { "weak", 0, 0, 0, 0, 0 }, { "all", 'a', 0, 0, 0, 0 }, { 0 } };
    int rc = addr_args(m, cmd, opts, argc, argv, addr);
    *weak = opts[0].set;
    *all = opts[1].set;
    return rc;
}

static int cmd_outrefs(cm *m, int argc, char **argv)
{
    int all, weak;
    uint64_t addr;
    int rc = refs_opts("outrefs", argc, argv, &all, &weak, &addr, m);
    if (rc)
        return rc;
    cm_refs r = { 0 };
    cm_outrefs_list(m, addr, all ? M_ALL : weak ? (M_STRONG | M_WEAK) : M_STRONG, &r);
    show_refs(m, &r);
    cm_refs_free(&r);
    return 0;
}

static int cmd_inrefs(cm *m, int argc, char **argv)
{
    int all, weak;
    uint64_t addr;
    int rc = refs_opts("inrefs", argc, argv, &all, &weak, &addr, m);
    if (rc)
        return rc;
    static const int s_all[] = { S_STRONG, S_WEAK, S_INDIRECT, S_INFERRED };
    cm_refs r = { 0 };
    cm_inrefs_list(m, addr, s_all, all ? 4 : weak ? 2 : 1, &r);
    show_refs(m, &r);
    cm_refs_free(&r);
    return 0;
}

/* ---- identify ------------------------------------------------------------------ */

typedef struct gnode gnode;
typedef struct gedge { size_t from; char *name; int strength; } gedge;
struct gnode {
    uint64_t addr;
    char **roots; int *rstrength; size_t nroots;   /* name NULL = EDEPTH */
    gedge *in; size_t nin;
    size_t nout;
    int seen;
    char id[16];
};

typedef struct graph {
    gnode *v; size_t n, cap;
    size_t *hash; size_t hcap;   /* open addressing, node index + 1 */
} graph;

static size_t g_lookup(graph *g, uint64_t addr, int create)
{
    if (g->hcap == 0 || (create && g->n * 2 >= g->hcap)) {
        size_t nc = g->hcap ? g->hcap * 2 : 1024;
        size_t *nh = calloc(nc, sizeof *nh);
        if (!nh) {
            fprintf(stderr, "cpmat: out of memory\n");
            exit(2);
        }
        for (size_t i = 0; i < g->n; i++) {
            size_t h = (size_t)((g->v[i].addr * 0x9E3779B97F4A7C15ull) >> 20) & (nc - 1);
            while (nh[h])
                h = (h + 1) & (nc - 1);
            nh[h] = i + 1;
        }
        free(g->hash);
        g->hash = nh;
        g->hcap = nc;
    }
    size_t h = (size_t)((addr * 0x9E3779B97F4A7C15ull) >> 20) & (g->hcap - 1);
    while (g->hash[h]) {
        if (g->v[g->hash[h] - 1].addr == addr)
            return g->hash[h] - 1;
        h = (h + 1) & (g->hcap - 1);
    }
    if (!create)
        return NO_IDX;
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 256;
        g->v = xrealloc(g->v, g->cap * sizeof *g->v);
    }
    memset(&g->v[g->n], 0, sizeof g->v[g->n]);
    g->v[g->n].addr = addr;
    g->hash[h] = g->n + 1;
    return g->n++;
}

static void g_add_root(graph *g, uint64_t addr, const char *name, int strength)
{
    size_t ni = g_lookup(g, addr, 1);
    gnode *n = &g->v[ni];
    n->roots = xrealloc(n->roots, (n->nroots + 1) * sizeof *n->roots);
    n->rstrength = xrealloc(n->rstrength, (n->nroots + 1) * sizeof *n->rstrength);
    n->roots[n->nroots] = name ? xstrdup(name) : NULL;
    n->rstrength[n->nroots] = strength;
    n->nroots++;
}

static void g_add_ref(graph *g, uint64_t from, uint64_t to, const char *name, int strength)
{
    size_t fi = g_lookup(g, from, 1);
    size_t ti = g_lookup(g, to, 1);
    g->v[fi].nout++;
    gnode *t = &g->v[ti];
    t->in = xrealloc(t->in, (t->nin + 1) * sizeof *t->in);
    t->in[t->nin].from = fi;
    t->in[t->nin].name = xstrdup(name);
    t->in[t->nin].strength = strength;
    t->nin++;
}

typedef struct idopts { int strong, direct, elide; } idopts;

/* inref_graph and walk_graph recurse once per level of the reference
 * graph.  pmat (Perl) can recurse as deep as --depth allows; C cannot, so
 * both check how much stack they have used (the distance from a local of
 * cmd_identify's frame) and stop with an error when a chain would take
 * more than the stack limit minus a margin for the calls below them,
 * instead of overflowing.  Under the default depth (10) this never
 * triggers. */
static uintptr_t stack_top;
static size_t stack_budget;

static void stack_guard_init(void)
{
    char here;
    stack_top = (uintptr_t)&here;
    size_t lim = (size_t)8 << 20;
    struct rlimit rl;
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        lim = (size_t)rl.rlim_cur;
    if (lim > ((size_t)1 << 30))
        lim = (size_t)1 << 30;
    stack_budget = lim > ((size_t)2 << 20) ? lim - ((size_t)1 << 20) : lim / 2;
}

static void stack_guard(void)
{
    char here;
    uintptr_t p = (uintptr_t)&here;
    size_t used = p < stack_top ? stack_top - p : p - stack_top;
    if (used > stack_budget) {
        fflush(out);
        fprintf(stderr, "cpmat: identify: the reference chain is too deep for the stack "
                        "(%zu KiB used); use a smaller --depth\n", used >> 10);
        exit(2);
    }
}

static void get_inrefs_mode(cm *m, uint64_t addr, const idopts *o, cm_refs *r)
{
    static const int s_all[] = { S_STRONG, S_WEAK, S_INDIRECT, S_INFERRED };
    cm_inrefs_list(m, addr, s_all, o->strong ? 1 : o->direct ? 2 : 4, r);
}

static void inref_graph(cm *m, graph *g, uint64_t addr, const idopts *o, long long depth)
{
    stack_guard();
    if (cm_is_immortal(m, addr)) {
        const char *d = addr == m->h->undef_at ? "undef" : addr == m->h->yes_at ? "true" : "false";
        g_add_root(g, addr, d, S_STRONG);
        return;
    }
    if (o->elide) {
        char *name = cm_symname(m, addr);
        if (name) {
            size_t l = strlen(name);
            int anon = name[0] == '&' && l >= 10 && !strcmp(name + l - 9, "::__ANON__");
            if (!anon && cm_find_symbol(m, name) == addr) {
                char *r = xasprintf("the symbol '%s'", name);
                g_add_root(g, addr, r, S_STRONG);
                free(r);
                free(name);
                return;
            }
            free(name);
        }
        size_t i = cm_find(m, addr);
        if (i != NO_IDX && cm_kind_of(m, i) == K_GLOB) {
            char *sn = cm_glob_stashname(m, addr);
            if (sn) {
                char *r = xasprintf("the glob '*%s\"", sn);
                g_add_root(g, addr, r, S_STRONG);
                free(r);
                free(sn);
                return;
            }
        }
    }
    g_lookup(g, addr, 1);
    cm_refs r = { 0 };
    static const int s_all[] = { S_STRONG, S_WEAK, S_INDIRECT, S_INFERRED };
    cm_inrefs_list(m, addr, s_all, o->strong ? 1 : o->direct ? 2 : 4, &r);
    if (!r.n && o->strong)
        cm_inrefs_list(m, addr, s_all, 2, &r);
    if (!r.n && o->direct)
        cm_inrefs_list(m, addr, s_all, 4, &r);
    if (o->elide) {
        cm_refs r2 = { 0 };
        for (size_t j = 0; j < r.n; j++) {
            cm_ref *ref = &r.v[j];
            size_t si = ref->addr ? cm_find(m, ref->addr) : NO_IDX;
            if (si != NO_IDX && cm_kind_of(m, si) == K_REF && !strcmp(ref->name, "the referrant")) {
                cm_refs rv = { 0 };
                get_inrefs_mode(m, ref->addr, o, &rv);
                if (rv.n == 1) {
                    char *nm = xasprintf("(via RV) %s", rv.v[0].name);
                    if (r2.n == r2.cap) {
                        r2.cap = r2.cap ? r2.cap * 2 : 16;
                        r2.v = xrealloc(r2.v, r2.cap * sizeof *r2.v);
                    }
                    r2.v[r2.n].name = nm;
                    r2.v[r2.n].strength = rv.v[0].strength;
                    r2.v[r2.n].addr = rv.v[0].addr;
                    r2.n++;
                    cm_refs_free(&rv);
                    free(ref->name);
                    continue;
                }
                cm_refs_free(&rv);
            }
            if (r2.n == r2.cap) {
                r2.cap = r2.cap ? r2.cap * 2 : 16;
                r2.v = xrealloc(r2.v, r2.cap * sizeof *r2.v);
            }
            r2.v[r2.n++] = *ref;
        }
        free(r.v);
        r = r2;
        /* PADs: name the CODE and the depth */
        for (size_t j = 0; j < r.n; j++) {
            cm_ref *ref = &r.v[j];
            size_t si = ref->addr ? cm_find(m, ref->addr) : NO_IDX;
            if (si == NO_IDX || cm_kind_of(m, si) != K_PAD)
                continue;
            uint64_t cv = cm_padcv(m, si);
            cm_code c;
            if (!cv || cm_code_load(m, cv, &c) < 0) {
                cm_code_free(&c);
                continue;
            }
            int64_t maxd = c.sv.u.code.depth > 0 ? c.sv.u.code.depth : 1;
            size_t depthfound = 0;
            for (int64_t d = 1; d <= maxd; d++)
                if ((size_t)d <= c.npads && c.pads[d - 1] == ref->addr) {
                    depthfound = (size_t)d;
                    break;
                }
            cm_code_free(&c);
            char *nm = depthfound ? xasprintf("%s at depth %zu", ref->name, depthfound)
                                  : xasprintf("%s at depth ", ref->name);
            free(ref->name);
            ref->name = nm;
            ref->addr = cv;
        }
    }
    size_t ai = cm_find(m, addr);
    if (m->mortal && ai != NO_IDX && m->mortal[ai])
        g_add_root(g, addr, "a mortal", S_STRONG);
    stable_sort_refs(&r);
    for (size_t j = 0; j < r.n; j++) {
        cm_ref *ref = &r.v[j];
        if (!ref->addr) {
            g_add_root(g, addr, ref->name, ref->strength);
            continue;
        }
        if (depth == 0) {
            g_add_root(g, addr, NULL, 0);
            break;
        }
        if (g_lookup(g, ref->addr, 0) != NO_IDX) {
            g_add_ref(g, ref->addr, addr, ref->name, ref->strength);
        } else {
            g_lookup(g, ref->addr, 1);
            inref_graph(m, g, ref->addr, o, depth < 0 ? depth : depth - 1);
            g_add_ref(g, ref->addr, addr, ref->name, ref->strength);
        }
    }
    cm_refs_free(&r);
}

static const char *strength_word[] = { "strong", "weak", "indirect", "inferred" };

static void label(int strength)
{
    if (strength != S_STRONG)
        fprintf(out, "[%s] ", strength_word[strength]);
}

static void next_id(char *id)
{
    /* perl's magic string increment: "A".."Z", "AA".. */
    size_t l = strlen(id);
    for (size_t i = l; i-- > 0;) {
        if (id[i] != 'Z') {
            id[i]++;
            return;
        }
        id[i] = 'A';
    }
    memmove(id + 1, id, l + 1);
    id[0] = 'A';
}

static void walk_graph(cm *m, graph *g, size_t ni, const char *indent, char *nextid)
{
    stack_guard();
    gnode *n = &g->v[ni];
    if (!n->nroots && !n->nin) {
        fprintf(out, "%s└─not found\n", indent);
        return;
    }
    if (n->nroots == 1 && !n->roots[0]) {
        fprintf(out, "%s└─not found at this depth\n", indent);
        return;
    }
    size_t nin = n->nin;
    for (size_t r = 0; r < n->nroots; r++)
        if (n->roots[r] && n->rstrength[r] == S_STRONG)
            nin = 0;
    if (nin > 0 && n->seen) {
        int cyclic = n->seen == 1;
        fprintf(out, "%s└─already found ", indent);
        if (cyclic)
            fputs("circularly ", out);
        if (n->id[0])
            fprintf(out, "as *%s\n", n->id);
        else
            fputs("circularly\n", out);
        return;
    }
    n->seen++;
    for (size_t r = 0; r < n->nroots; r++) {
        int isfinal = r == n->nroots - 1 && !nin;
        fprintf(out, "%s%s", indent, isfinal ? "└─" : "├─");
        label(n->roots[r] ? n->rstrength[r] : 0);
        fprintf(out, "%s\n", n->roots[r] ? n->roots[r] : "EDEPTH");
    }
    /* stable sort of the edges by strength */
    size_t *ord = xmalloc((nin + 1) * sizeof *ord), k = 0;
    for (int s = 0; s < 4; s++)
        for (size_t e = 0; e < nin; e++)
            if (n->in[e].strength == s)
                ord[k++] = e;
    for (size_t x = 0; x < k; x++) {
        n = &g->v[ni];
        gedge *e = &n->in[ord[x]];
        int is_final = x == k - 1;
        gnode *rn = &g->v[e->from];
        const char *ref_id = NULL;
        if (rn->nout > 1 && !rn->nroots && !rn->id[0]) {
            snprintf(rn->id, sizeof rn->id, "%s", nextid);
            next_id(nextid);
            ref_id = rn->id;
        }
        fprintf(out, "%s%s", indent, is_final ? "└─" : "├─");
        label(e->strength);
        char *s = cm_format_sv(m, rn->addr);
        fprintf(out, "%s of %s, which is", e->name, s);
        free(s);
        if (ref_id)
            fprintf(out, " (*%s)", ref_id);
        fputs(":\n", out);
        char *sub = xasprintf("%s%s", indent, is_final ? "  " : "│ ");
        if (e->from == ni)
            fprintf(out, "%sitself\n", sub);
        else
            walk_graph(m, g, e->from, sub, nextid);
        free(sub);
    }
    free(ord);
    g->v[ni].seen++;
}

static int cmd_identify(cm *m, int argc, char **argv)
{
    optspec opts[] = { { "depth", 'd', 'i', 0, 0, 0 }, { "weak", 0, 0, 0, 0, 0 },
                       { "all", 'a', 0, 0, 0, 0 }, { "no-elide", 'n', 0, 0, 0, 0 }, { 0 } };
    uint64_t addr;
    int rc = addr_args(m, "identify", opts, argc, argv, &addr);
    if (rc)
        return rc;
    idopts o = { 1, 1, !opts[3].set };
    if (opts[1].set)
        o.strong = 0;
    if (opts[2].set)
        o.strong = o.direct = 0;
    long long depth = opts[0].set ? opts[0].ival : 10;
    if (cm_build_inrefs(m) < 0)
        return usage_err("identify: out of memory building inrefs");
    stack_guard_init();
    char *s = cm_format_sv(m, addr);
    fprintf(out, "%s is:\n", s);
    free(s);
    graph g = { 0 };
    inref_graph(m, &g, addr, &o, depth);
    char nextid[16] = "A";
    walk_graph(m, &g, g_lookup(&g, addr, 1), "", nextid);
    for (size_t j = 0; j < g.n; j++) {
        for (size_t r = 0; r < g.v[j].nroots; r++)
            free(g.v[j].roots[r]);
        free(g.v[j].roots);
        free(g.v[j].rstrength);
        for (size_t e = 0; e < g.v[j].nin; e++)
            free(g.v[j].in[e].name);
        free(g.v[j].in);
    }
    free(g.v);
    free(g.hash);
    return 0;
}

/* ---- roots / stack ---------------------------------------------------------- */

static int cmd_roots(cm *m, int argc, char **argv)
{
    (void)argv;
    if (argc)
        return usage_err("roots: unexpected argument '%s'", argv[0]);
    table t = { 0 };
    for (size_t i = 0; i < cm_nroots(m); i++) {
        const char *n, *d;
        uint64_t addr;
        cm_root_get(m, i, &n, &d, &addr);
        if (cm_exists(m, addr))
            tab_row(&t, 2, xstrdup(d + 1), cm_format_sv(m, addr));
        else if (addr)
            tab_row(&t, 2, xstrdup(d + 1), xasprintf("PTR(0x%" PRIx64 ")", addr));
    }
    tab_print(&t, 0, NULL, ": ", NULL);
    return 0;
}

static int cmd_stack(cm *m, int argc, char **argv)
{
    if (argc)
        return usage_err("stack: unexpected argument '%s'", argv[0]);
    uint64_t n = pmat_stack_count(m->f);
    for (uint64_t i = n; i-- > 0;) {
        uint64_t a = pmat_stack_at(m->f, i);
        char *s = cm_exists(m, a) ? format_sv_with_value(m, a, 0) : xstrdup("NULL");
        fprintf(out, "[%" PRIu64 "]: %s\n", i, s);
        free(s);
    }
    return 0;
}

/* ---- elems / values ------------------------------------------------------------ */

/* The arguments elems and values share: [--count N] ADDR [START].
 * Returns 0, or the exit status of a usage error (already reported). */
static int container_args(cm *m, const char *cmd, optspec *opts, int argc, char **argv,
                          uint64_t *addr, long long *start)
{
    int i = parse_opts(cmd, opts, argc, argv, 0);
    if (i < 0)
        return 2;
    if (i >= argc)
        return usage_err("%s: need an SV address", cmd);
    *addr = get_sv_arg(m, cmd, argv[i++]);
    if (!*addr)
        return 2;
    *start = 0;
    if (i < argc)
        *start = strtoll(argv[i++], NULL, 10);
    if (i < argc)
        return usage_err("%s: unexpected argument '%s'", cmd, argv[i]);
    return 0;
}

static int cmd_elems(cm *m, int argc, char **argv)
{
    optspec opts[] = { { "count", 'c', 'i', 0, 50, 0 }, { 0 } };
    uint64_t addr = 0;
    long long start = 0;
    int rc = container_args(m, "elems", opts, argc, argv, &addr, &start);
    if (rc)
        return rc;
    const char *type = cm_type_of(m, addr);
    if (!strcmp(type, "HASH") || !strcmp(type, "STASH"))
        return usage_err("elems: cannot 'elems' of a %s - maybe you wanted 'values'?", type);
    if (strcmp(type, "ARRAY"))
        return usage_err("elems: cannot 'elems' of a non-ARRAY");
    pmat_sv sv;
    pmat_sv_get(m->f, cm_find(m, addr), &sv, &m->err);
    uint64_t n = sv.u.array.n;
    uint64_t stop = (uint64_t)(start + opts[0].ival);
    if (stop > n)
        stop = n;
    table t = { 0 };
    for (uint64_t j = (uint64_t)start; j < stop; j++) {
        uint64_t e = pmat_array_elem(m->f, &sv, j);
        tab_row(&t, 2, xasprintf("[%" PRIu64 "]", j),
                cm_exists(m, e) ? format_sv_with_value(m, e, 0) : xstrdup("NULL"));
    }
    tab_print(&t, 2, NULL, NULL, NULL);
    if (n > stop)
        fprintf(out, "  ... (%" PRIu64 " more)\n", n - stop);
    return 0;
}

/* One entry of a hash, for the key listings (values, strtab). */
typedef struct kv { pmat_str key; uint64_t hek, val; size_t pos; } kv;

/* Perl's default sort: bytes, then length. */
static int cmp_kv(const void *a, const void *b)
{
    const kv *x = a, *y = b;
    size_t l = x->key.len < y->key.len ? x->key.len : y->key.len;
    int c = l ? memcmp(x->key.ptr, y->key.ptr, l) : 0;
    if (c)
        return c;
    return x->key.len < y->key.len ? -1 : x->key.len > y->key.len;
}

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

/* The entries of a HASH/STASH/CLASS in file order; *n set.  NULL (after a
 * usage error) when the body cannot be read. */
static kv *hash_entries(cm *m, const pmat_sv *sv, size_t *n)
{
    kv *v = xmalloc((sv->u.hash.n + 1) * sizeof *v);
    size_t k = 0;
    pmat_iter it = { 0, 0 };
    int rc = 0;
    while (k < sv->u.hash.n &&
           (rc = pmat_hash_next_hek(m->f, sv, &it, &v[k].key, &v[k].hek, &v[k].val, &m->err)) > 0) {
        v[k].pos = k;
        k++;
    }
    if (rc < 0) {
        free(v);
        usage_err("%s", pmat_error_message(&m->err));
        return NULL;
    }
    *n = k;
    return v;
}

/* The /PATTERN/FLAGS key filter of Devel::MAT 0.56's values and strtab.
 * PATTERN is a POSIX extended regex (see cpmat.pod: find pv --regexp);
 * of the flags adilmsux, i is REG_ICASE, m is REG_NEWLINE, x drops
 * unescaped blanks and #-comments outside brackets, and a d l u s (charset
 * and dot-all modifiers) are accepted and change nothing. */
typedef struct keyfilter { int on; regex_t re; } keyfilter;

/* x: Perl's /x, done on the pattern text before regcomp */
static char *strip_extended(const char *p, size_t len)
{
    char *o = xmalloc(len + 1), *q = o;
    int in_class = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = p[i];
        if (ch == '\\' && i + 1 < len) {
            *q++ = ch;
            *q++ = p[++i];
            continue;
        }
        if (in_class) {
            if (ch == ']')
                in_class = 0;
            *q++ = ch;
            continue;
        }
        if (ch == '[') {
            in_class = 1;
            *q++ = ch;
            if (i + 1 < len && p[i + 1] == ']')   /* "[]...]": a literal ] first */
                *q++ = p[++i];
            continue;
        }
        if (ch == '#') {
            while (i + 1 < len && p[i + 1] != '\n')
                i++;
            continue;
        }
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f')
            continue;
        *q++ = ch;
    }
    *q = 0;
    return o;
}

/* 0, or the exit status of a usage error (already reported). */
static int keyfilter_parse(const char *cmd, const char *arg, keyfilter *kf)
{
    kf->on = 0;
    if (!arg || !*arg)
        return 0;   /* pmat: length $filter */
    size_t len = strlen(arg);
    /* m{^/(.*)/([adilmsux]*)$}: the rightmost '/' whose tail is all flags */
    size_t slash = 0;
    if (arg[0] == '/')
        for (size_t i = len; i-- > 1;) {
            if (arg[i] != '/')
                continue;
            if (strspn(arg + i + 1, "adilmsux") == len - i - 1)
                slash = i;
            break;
        }
    if (!slash)
        return usage_err("%s: Filter must be a /PATTERN.../ with optional flags", cmd);
    const char *flags = arg + slash + 1;
    char *pat = strchr(flags, 'x') ? strip_extended(arg + 1, slash - 1) : NULL;
    if (!pat) {
        pat = xmalloc(slash);
        memcpy(pat, arg + 1, slash - 1);
        pat[slash - 1] = 0;
    }
    int cf = REG_EXTENDED | REG_NOSUB | (strchr(flags, 'i') ? REG_ICASE : 0) |
             (strchr(flags, 'm') ? REG_NEWLINE : 0);
    int rc = regcomp(&kf->re, pat, cf);
    if (rc) {
        char msg[256];
        regerror(rc, &kf->re, msg, sizeof msg);
        usage_err("%s: bad filter pattern '%s': %s", cmd, pat, msg);
        free(pat);
        return 2;
    }
    free(pat);
    kf->on = 1;
    return 0;
}

static int keyfilter_match(const keyfilter *kf, const pmat_str *key)
{
    if (!kf->on)
        return 1;
    filter fl;
    memset(&fl, 0, sizeof fl);
    fl.re = kf->re;
    fl.has_re = 1;
    return match_pv(&fl, key);
}

static void keyfilter_free(keyfilter *kf)
{
    if (kf->on)
        regfree(&kf->re);
    kf->on = 0;
}

static int cmp_kv_pos(const void *a, const void *b)
{
    int c = cmp_kv(a, b);
    if (c)
        return c;
    const kv *x = a, *y = b;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int cmp_pos(const void *a, const void *b)
{
    const kv *x = a, *y = b;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The keys a listing shows, in place: each key once (Devel::MAT's hash of
 * the entries keeps the last of equal keys, as PL_strtab can have),
 * filtered, sorted unless no_sort (then in file order), then
 * `splice @keys, 0, $skip` (a negative skip keeps only the last -skip). */
static size_t select_keys(kv *v, size_t n, const keyfilter *kf, int no_sort, long long skip,
                          size_t *first)
{
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_kv_pos);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && !cmp_kv(&v[i], &v[i + 1]))
            continue;   /* a later entry has the same key */
        if (keyfilter_match(kf, &v[i].key))
            v[k++] = v[i];
    }
    if (no_sort && k > 1)
        qsort(v, k, sizeof *v, cmp_pos);
    size_t drop = 0;
    if (skip > 0)
        drop = (uint64_t)skip < k ? (size_t)skip : k;
    else if (skip < 0)
        drop = (uint64_t)-skip < k ? k - (size_t)-skip : 0;
    *first = drop;
    return k;
}

/* The options values and strtab share, Devel::MAT 0.56's: count, skip,
 * no-sort (values adds hek). */
enum { O_COUNT, O_SKIP, O_NOSORT, O_HEK };

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
    keyfilter kf;
    int rc = keyfilter_parse("values", filter_arg, &kf);
    if (rc)
        return rc;
    int stash = !strcmp(type, "STASH");
    pmat_sv sv;
    if (pmat_sv_get(m->f, cm_find(m, addr), &sv, &m->err) < 0) {
        keyfilter_free(&kf);
        return usage_err("values: %s", pmat_error_message(&m->err));
    }
    size_t n, p;
    kv *v = hash_entries(m, &sv, &n);
    if (!v) {
        keyfilter_free(&kf);
        return 2;
    }
    n = select_keys(v, n, &kf, opts[O_NOSORT].set, skip, &p);
    keyfilter_free(&kf);
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
            fprintf(out, "  ... (%zu more)\n", n - p);
    } while (p < n && page);
    free(v);
    return 0;
}

/* ---- strtab ---------------------------------------------------------------------- */

/* Who shares a HEK of PL_strtab, as Devel::MAT 0.56's Strtab tool sees it:
 * plain HASHes by their keys, GLOBs and CODEs by NAME_HEK, SCALARs by
 * PV_SHARED_HEK.  Sorted by (hek, SV index). */
enum { U_KEY, U_NAME, U_SHARED_PV };
typedef struct hekuser { uint64_t hek; uint32_t idx; uint8_t how; } hekuser;
typedef struct hekusers { hekuser *v; size_t n, cap; } hekusers;

static void hekusers_push(hekusers *u, uint64_t hek, size_t idx, int how)
{
    if (!hek)
        return;
    if (u->n == u->cap) {
        u->cap = u->cap ? u->cap * 2 : 256;
        u->v = xrealloc(u->v, u->cap * sizeof *u->v);
    }
    u->v[u->n].hek = hek;
    u->v[u->n].idx = (uint32_t)idx;
    u->v[u->n].how = (uint8_t)how;
    u->n++;
}

static int cmp_hekuser(const void *a, const void *b)
{
    const hekuser *x = a, *y = b;
    if (x->hek != y->hek)
        return x->hek < y->hek ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int collect_hek_users(cm *m, uint64_t strtab, hekusers *u)
{
    for (size_t i = 0; i < m->n; i++) {
        unsigned k = cm_kind_of(m, i);
        if (k != K_HASH && k != K_GLOB && k != K_CODE)
            continue;
        if (pmat_sv_addr(m->f, i) == strtab)
            continue;
        pmat_sv sv;
        if (pmat_sv_get(m->f, i, &sv, &m->err) < 0)
            return usage_err("strtab: %s", pmat_error_message(&m->err));
        if (k == K_GLOB)
            hekusers_push(u, sv.u.glob.name_hek, i, U_NAME);
        else if (k == K_CODE)
            hekusers_push(u, sv.u.code.name_hek, i, U_NAME);
        else {
            pmat_iter it = { 0, 0 };
            pmat_str key;
            uint64_t hek, val;
            int rc;
            while ((rc = pmat_hash_next_hek(m->f, &sv, &it, &key, &hek, &val, &m->err)) > 0)
                hekusers_push(u, hek, i, U_KEY);
            if (rc < 0)
                return usage_err("strtab: %s", pmat_error_message(&m->err));
        }
        if ((i & 0xffff) == 0xffff)
            pmat_release_pages(m->f);
    }
    /* PV_SHARED_HEK counts for what Devel::MAT calls a SCALAR (it ignores
     * the record on anything else); the extensions are sorted by (SV,
     * offset), so the last one of an SV is the one that stays. */
    for (size_t x = 0; x < pmat_ext_count(m->f); x++) {
        pmat_ext e;
        if (pmat_ext_get(m->f, x, &e, &m->err) < 0)
            return usage_err("strtab: %s", pmat_error_message(&m->err));
        if (e.type != PMAT_SVx_PV_SHARED_HEK)
            continue;
        pmat_ext next;
        if (x + 1 < pmat_ext_count(m->f) && pmat_ext_get(m->f, x + 1, &next, &m->err) == 0 &&
            next.sv == e.sv && next.type == PMAT_SVx_PV_SHARED_HEK)
            continue;
        size_t i = cm_find(m, e.sv);
        if (i != NO_IDX && !strcmp(cm_type_of(m, e.sv), "SCALAR"))
            hekusers_push(u, e.u.shared_hek, i, U_SHARED_PV);
    }
    if (u->n > 1)
        qsort(u->v, u->n, sizeof *u->v, cmp_hekuser);
    return 0;
}

static void strtab_key_rows(cm *m, table *t, const kv *e, const hekusers *u)
{
    tab_row(t, 2, cm_format_key(e->key.ptr, e->key.len),
            xasprintf("HEK at %s%" PRIx64, e->hek ? "0x" : "", e->hek));
    if (!e->hek)
        return;
    size_t lo = 0, hi = u->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (u->v[mid].hek < e->hek)
            lo = mid + 1;
        else
            hi = mid;
    }
    static const char *const how[] = { "  key of ", "  name of ", "  shared PV of " };
    for (; lo < u->n && u->v[lo].hek == e->hek; lo++) {
        char *f = cm_format_sv(m, pmat_sv_addr(m->f, u->v[lo].idx));
        tab_row(t, 2, xasprintf("%s%s", how[u->v[lo].how], f), xstrdup(""));
        free(f);
    }
}

static uint64_t root_addr(cm *m, const char *want)
{
    for (size_t i = 0; i < cm_nroots(m); i++) {
        const char *name, *desc;
        uint64_t a;
        if (cm_root_get(m, i, &name, &desc, &a) == 0 && !strcmp(name, want))
            return a;
    }
    return 0;
}

static int cmd_strtab(cm *m, int argc, char **argv)
{
    optspec opts[] = { { "count", 'c', 'i', 0, 10, 0 }, { "skip", 's', 'i', 0, 0, 0 },
                       { "no-sort", 'n', 0, 0, 0, 0 }, { 0 } };
    int i = parse_opts("strtab", opts, argc, argv, 0);
    if (i < 0)
        return 2;
    const char *filter_arg = i < argc ? argv[i++] : NULL;
    if ((i = parse_opts("strtab", opts, argc, argv, i)) < 0)   /* options after it too */
        return 2;
    if (i < argc)
        return usage_err("strtab: unexpected argument '%s'", argv[i]);
    uint64_t strtab = root_addr(m, "strtab");
    size_t si = strtab ? cm_find(m, strtab) : NO_IDX;
    if (si == NO_IDX || cm_is_immortal(m, strtab))
        return usage_err("strtab: the file has no shared string table (no 'strtab' root SV)");
    unsigned k = cm_kind_of(m, si);
    if (k != K_HASH && k != K_STASH && k != K_CLASS)
        return usage_err("strtab: the 'strtab' root is a %s, not a HASH", cm_kind_name(k));
    keyfilter kf;
    int rc = keyfilter_parse("strtab", filter_arg, &kf);
    if (rc)
        return rc;
    pmat_sv sv;
    if (pmat_sv_get(m->f, si, &sv, &m->err) < 0) {
        keyfilter_free(&kf);
        return usage_err("strtab: %s", pmat_error_message(&m->err));
    }
    size_t n, p;
    kv *v = hash_entries(m, &sv, &n);
    if (!v) {
        keyfilter_free(&kf);
        return 2;
    }
    n = select_keys(v, n, &kf, opts[O_NOSORT].set, opts[O_SKIP].ival, &p);
    keyfilter_free(&kf);
    hekusers u = { 0 };
    if ((rc = collect_hek_users(m, strtab, &u)) != 0) {
        free(u.v);
        free(v);
        return rc;
    }
    size_t page = opts[O_COUNT].ival > 0 ? (size_t)opts[O_COUNT].ival : 0;
    do {
        table t = { 0 };
        size_t end = p + page < n ? p + page : n;
        for (; p < end; p++)
            strtab_key_rows(m, &t, &v[p], &u);
        tab_print(&t, 2, NULL, NULL, NULL);
        if (n > p)
            fprintf(out, "  ... (%zu more)\n", n - p);
    } while (p < n && page);
    free(u.v);
    free(v);
    return 0;
}

/* ---- show ----------------------------------------------------------------------- */

static void say_with_sv(cm *m, const char *pre, uint64_t addr)
{
    char *s = cm_format_sv(m, addr);
    fprintf(out, "%s%s\n", pre, s);
    free(s);
}

/* PRE and the SV at addr, or the line NONE when nothing is there. */
static void say_with_sv_or(cm *m, const char *pre, uint64_t addr, const char *none)
{
    if (cm_exists(m, addr))
        say_with_sv(m, pre, addr);
    else
        fputs(none, out);
}

static char *padname_text(const cm_code *c, size_t ix)
{
    if (ix >= c->npadnames || !c->padflags || !(c->padflags[ix] & 0x8000))
        return NULL;
    uint16_t fl = c->padflags[ix];
    char *n = c->padnames[ix].is_null ? xstrdup("") : xstrdup_str(&c->padnames[ix]);
    char *r = xasprintf("%s%s%s%s%s", (fl & 0x02) ? "state " : "", (fl & 0x10) ? "our " : "",
                        (fl & 0x100) ? "field " : "", n,
                        ((fl & 0x01) && !(fl & 0x10)) ? " *OUTER" : "");
    free(n);
    return r;
}

static void show_pad_contents(cm *m, const pmat_sv *pad, const cm_code *c)
{
    uint64_t n = pad->u.array.n;
    if (!n)
        return;
    char **names = xmalloc(n * sizeof *names);
    size_t namelen = 0;
    for (uint64_t j = 0; j < n; j++) {
        names[j] = padname_text(c, j);
        if (names[j] && ulen(names[j]) > namelen)
            namelen = ulen(names[j]);
    }
    int idxlen = snprintf(NULL, 0, "%" PRIu64, n - 1);
    for (uint64_t j = 0; j < n; j++) {
        uint64_t e = pmat_array_elem(m->f, pad, j);
        char *v = cm_exists(m, e) ? format_sv_with_value(m, e, 0) : xstrdup("NULL");
        const char *nm = j == 0 ? "@_" : names[j];
        if (nm && *nm) {
            fprintf(out, "  [%*" PRIu64 "/%s%*s]=%s\n", idxlen, j, nm,
                    (int)(namelen > ulen(nm) ? namelen - ulen(nm) : 0), "", v);
        } else {
            const char *t = "";
            for (size_t k = 0; k < c->ngvix; k++)
                if (c->gvix[k] == j)
                    t = "GLOB";
            for (size_t k = 0; k < c->nconstix; k++)
                if (c->constix[k] == j)
                    t = "CONST";
            fprintf(out, "  [%*" PRIu64 " %-*s]=%s\n", idxlen, j, (int)namelen, t, v);
        }
        free(v);
    }
    for (uint64_t j = 0; j < n; j++)
        free(names[j]);
    free(names);
}

/* Devel::MAT 0.56's show_magicv2: funcs always, the rest when set. */
static void show_magicv2(cm *m, const pmat_ext *x)
{
    fprintf(out, "  has MagicV2 with funcs at %s", x->u.magicv2.funcs ? "" : "0");
    if (x->u.magicv2.funcs)
        fprintf(out, "0x%" PRIx64, x->u.magicv2.funcs);
    if (cm_exists(m, x->u.magicv2.auxsv)) {
        char *a = cm_format_sv(m, x->u.magicv2.auxsv);
        fprintf(out, "\n    with auxsv at %s", a);
        free(a);
    }
    uint64_t ptr = x->u.magicv2.ptr, len = x->u.magicv2.ptrlen;
    if (ptr && len)
        fprintf(out, "\n    with ptr 0x%" PRIx64 " len %" PRIu64, ptr, len);
    else if (ptr)
        fprintf(out, "\n    with ptr 0x%" PRIx64, ptr);
    else if (len)
        fprintf(out, "\n    with ptrlen %" PRIu64, len);
    if (x->u.magicv2.flags & PMAT_MAGICv2_HAS_KEYIV)
        fprintf(out, "\n    with keyiv %" PRIu64, x->u.magicv2.keyiv);
    if (cm_exists(m, x->u.magicv2.keysv)) {
        char *k = cm_format_sv(m, x->u.magicv2.keysv);
        fprintf(out, "\n    with keysv at %s", k);
        free(k);
    }
    fputc('\n', out);
}

static int cmd_show(cm *m, int argc, char **argv)
{
    optspec opts[] = { { "full-pv", 'F', 0, 0, 0, 0 }, { "pad", 'P', 0, 0, 0, 0 }, { 0 } };
    uint64_t addr;
    int rc = addr_args(m, "show", opts, argc, argv, &addr);
    if (rc)
        return rc;
    size_t idx = cm_find(m, addr);
    int immortal = cm_is_immortal(m, addr);
    pmat_sv sv;
    memset(&sv, 0, sizeof sv);
    if (!immortal && pmat_sv_get(m->f, idx, &sv, &m->err) < 0)
        return usage_err("show: %s", pmat_error_message(&m->err));
    char *f = cm_format_sv(m, addr);
    fprintf(out, "%s with refcount %u%s\n", f, immortal ? 0 : sv.refcnt,
            (!immortal && m->mortal && m->mortal[idx]) ? " (mortalized)" : "");
    free(f);
    uint64_t size = immortal ? 0 : sv.size;
    if (size < 1024)
        fprintf(out, "  size %" PRIu64 " bytes\n", size);
    else {
        char *b = cm_format_bytes(size);
        fprintf(out, "  size %s (%" PRIu64 " bytes)\n", b, size);
        free(b);
    }
    if (immortal) {
        const char *t = cm_type_of(m, addr);
        if (!strcmp(t, "SCALAR"))
            fprintf(out, "  UV=%d\n  IV=%d\n  NV=%d\n  PV=\"%s\"\n  PVLEN 1\n", addr == m->h->yes_at,
                    addr == m->h->yes_at, addr == m->h->yes_at, addr == m->h->yes_at ? "1" : "0");
        return 0;
    }
    pmat_str sn;
    if (sv.type != PMAT_SVt_C_STRUCT && cm_stashname(m, sv.blessed, &sn) == 0) {
        char *b = xstrdup_str(&sn);
        fprintf(out, "  blessed as %s\n", b);
        free(b);
    }
    char *sym = cm_symname(m, addr);
    if (sym)
        fprintf(out, "  named as %s\n", sym);
    free(sym);
    size_t first, nx = pmat_sv_extensions(m->f, addr, &first);
    uint64_t shared_hek = 0;
    for (size_t j = 0; j < nx; j++) {
        pmat_ext x;
        if (pmat_ext_get(m->f, first + j, &x, &m->err) < 0)
            continue;
        if (x.type == PMAT_SVx_PV_SHARED_HEK)
            shared_hek = x.u.shared_hek;   /* the last one wins, as in Devel::MAT */
        if (x.type == PMAT_SVx_MAGICv2)
            show_magicv2(m, &x);
        if (x.type != PMAT_SVx_MAGIC)
            continue;
        unsigned char t = x.u.magic.type;
        if (t == ' ' || t == '\t' || t == '\n' || t == '\r' || t == '\f')
            t = 0;
        if (t < 0x20)
            fprintf(out, "  has ^%c magic", 0x40 + t);
        else
            fprintf(out, "  has %c magic", t);
        if (cm_exists(m, x.u.magic.obj))
        {
            char *o = cm_format_sv(m, x.u.magic.obj);
            fprintf(out, " with object at %s", o);
            free(o);
        }
        if (cm_exists(m, x.u.magic.ptr)) {
            char *p = cm_format_sv(m, x.u.magic.ptr);
            fprintf(out, " with pointer at %s", p);
            free(p);
        }
        if (x.u.magic.vtbl)
            fprintf(out, "\n     with virtual table at 0x%" PRIx64, x.u.magic.vtbl);
        fputc('\n', out);
    }
    for (size_t j = 0; j < nx; j++) {
        pmat_ext x;
        if (pmat_ext_get(m->f, first + j, &x, &m->err) < 0 || x.type != PMAT_SVx_DEBUGREPORT)
            continue;
        fprintf(out, "  debug serial %" PRIu64 "\n", x.u.debug.serial);
        if (!x.u.debug.file.is_null) {
            char *fl = xstrdup_str(&x.u.debug.file);
            fprintf(out, "  created at %s:%" PRIu64 "\n", fl, x.u.debug.line);
            free(fl);
        }
    }
    switch (cm_kind_of(m, idx)) {
    case K_GLOB: {
        if (!sv.u.glob.name.is_null && sv.u.glob.name.len &&
            !(sv.u.glob.name.len == 1 && sv.u.glob.name.ptr[0] == '0')) {
            char *n = xstrdup_str(&sv.u.glob.name);
            fprintf(out, "  name=%s\n", n);
            free(n);
            if (sv.u.glob.name_hek)
                fprintf(out, "  name_hek=0x%" PRIx64 "\n", sv.u.glob.name_hek);
        }
        static const char *const lbl[] = { "  stash=", "  SCALAR=", "  ARRAY=", "  HASH=",
                                           "  CODE=", "  EGV=", "  IO=", "  FORM=" };
        uint64_t sl[] = { sv.u.glob.stash, sv.u.glob.scalar, sv.u.glob.array, sv.u.glob.hash,
                          sv.u.glob.code, sv.u.glob.egv, sv.u.glob.io, sv.u.glob.form };
        for (int k = 0; k < 8; k++)
            if (cm_exists(m, sl[k]))
                say_with_sv(m, lbl[k], sl[k]);
        break;
    }
    case K_SCALAR: {
        if (sv.type != PMAT_SVt_SCALAR)
            break;
        uint8_t fl = cm_scalar_flags(&sv);
        if (!(fl & (PMAT_SCALAR_HAS_IV | PMAT_SCALAR_HAS_NV | PMAT_SCALAR_HAS_PV)))
            break;
        if (fl & PMAT_SCALAR_HAS_IV) {
            if (fl & PMAT_SCALAR_IV_IS_UV)
                fprintf(out, "  UV=%" PRIu64 "\n", sv.u.scalar.uv);
            else
                fprintf(out, "  IV=%" PRId64 "\n", sv.u.scalar.iv);
        }
        if (fl & PMAT_SCALAR_HAS_NV) {
            char *n = fmt_nv(sv.u.scalar.nv);
            fprintf(out, "  NV=%s\n", n);
            free(n);
        }
        if (fl & PMAT_SCALAR_HAS_PV) {
            char *p = fmt_pv(&sv.u.scalar.pv, opts[0].set ? 0 : 64);
            fprintf(out, "  PV=%s\n  PVLEN %" PRIu64 "\n", p, sv.u.scalar.pvlen);
            free(p);
            if (shared_hek)
                fprintf(out, "  SHARED_HEK=0x%" PRIx64 "\n", shared_hek);
        }
        break;
    }
    case K_BOOL:
        fprintf(out, "  BOOL=%s\n", sv.type == PMAT_SVt_YES ? "true" : "false");
        break;
    case K_REF:
        if (cm_exists(m, sv.u.ref.rv))
            say_with_sv(m, "  RV=", sv.u.ref.rv);
        break;
    case K_ARRAY:
        fprintf(out, "  %" PRIu64 " elements (use 'elems' command to show)\n", sv.u.array.n);
        break;
    case K_STASH: case K_CLASS:
        if (cm_kind_of(m, idx) == K_CLASS) {
            fputs("  is CLASS\n", out);
            if (cm_exists(m, sv.u.hash.adjust_blocks))
                say_with_sv(m, "  adjust_blocks=", sv.u.hash.adjust_blocks);
        }
        if (cm_stashname(m, addr, &sn) == 0) {
            char *n = xstrdup_str(&sn);
            fprintf(out, "  stashname=%s\n", n);
            free(n);
        }
        /* fall through */
    case K_HASH:
        fprintf(out, "  %" PRIu64 " values (use 'values' command to show)\n",
                cm_hash_nvalues(m, addr, &sv));
        break;
    case K_CODE: {
        cm_code c;
        if (cm_code_load(m, addr, &c) < 0) {
            cm_code_free(&c);
            break;
        }
        if (sv.u.code.name_hek)
            fprintf(out, "  name_hek=0x%" PRIx64 "\n", sv.u.code.name_hek);
        if (!sv.u.code.name.is_null && sv.u.code.name.len) {
            char *n = xstrdup_str(&sv.u.code.name);
            fprintf(out, "  hekname=%s\n", n);
            free(n);
        } else
            fputs("  no hekname\n", out);
        say_with_sv_or(m, "  stash=", sv.u.code.stash, "  no stash\n");
        uint64_t g = cm_glob_at(m, idx);
        say_with_sv_or(m, "  glob=", g, "  no glob\n");
        if (sv.u.code.line && !sv.u.code.file.is_null) {
            char *fl = xstrdup_str(&sv.u.code.file);
            fprintf(out, "  location=%s line %" PRIu64 "\n", fl, sv.u.code.line);
            free(fl);
        } else if (!sv.u.code.file.is_null && sv.u.code.file.len) {
            char *fl = xstrdup_str(&sv.u.code.file);
            fprintf(out, "  location=%s\n", fl);
            free(fl);
        } else
            fputs("  no location\n", out);
        say_with_sv_or(m, "  scope=", sv.u.code.outside, "  no scope\n");
        if (cm_exists(m, sv.u.code.padlist))
            say_with_sv(m, "  padlist=", sv.u.code.padlist);
        if (cm_exists(m, c.padnames_av))
            say_with_sv(m, "  padnames_av=", c.padnames_av);
        /* protosub: the CvCLONE CODE with the same oproot, for a closure */
        if ((sv.u.code.flags & 0x02) && sv.u.code.oproot) {
            cm_refs r = { 0 };
            cm_outrefs_list(m, addr, M_INFERRED, &r);
            for (size_t k = 0; k < r.n; k++)
                if (!strcmp(r.v[k].name, "the protosub"))
                    say_with_sv(m, "  protosub=", r.v[k].addr);
            cm_refs_free(&r);
        }
        for (size_t d = 0; d < c.npads; d++)
            if (cm_exists(m, c.pads[d])) {
                char pre[48];
                snprintf(pre, sizeof pre, "  pad[%zu]=", d);
                say_with_sv(m, pre, c.pads[d]);
            }
        if (opts[1].set && c.npads && cm_exists(m, c.pads[0])) {
            pmat_sv pad;
            if (pmat_sv_get(m->f, cm_find(m, c.pads[0]), &pad, &m->err) == 0) {
                fputs("PAD[0]:\n", out);
                show_pad_contents(m, &pad, &c);
            }
        }
        int any = 0;
        for (size_t k = 0; k < c.ngvs; k++)
            if (cm_exists(m, c.gvs[k])) {
                if (!any)
                    fputs("Referenced globs:\n  ", out);
                any = 1;
                char *gs = cm_format_sv(m, c.gvs[k]);
                fprintf(out, "%s, ", gs);
                free(gs);
            }
        if (any)
            fputc('\n', out);
        cm_code_free(&c);
        break;
    }
    case K_PAD: {
        uint64_t cv = cm_padcv(m, idx);
        cm_code c;
        memset(&c, 0, sizeof c);
        if (cv)
            say_with_sv(m, "  padcv=", cv);
        else
            fputs("  no padcv\n", out);
        if (cv && cm_code_load(m, cv, &c) == 0)
            show_pad_contents(m, &sv, &c);
        cm_code_free(&c);
        break;
    }
    case K_PADNAMES: {
        uint64_t cv = cm_padcv(m, idx);
        if (cv)
            say_with_sv(m, "  padcv=", cv);
        else
            fputs("  no padcv\n", out);
        for (uint64_t j = 1; j < sv.u.array.n; j++) {
            uint64_t e = pmat_array_elem(m->f, &sv, j);
            size_t ei = cm_find(m, e);
            pmat_sv ns;
            if (ei == NO_IDX || cm_is_immortal(m, e) || pmat_sv_get(m->f, ei, &ns, &m->err) < 0 ||
                strcmp(cm_type_of(m, e), "SCALAR") || !(ns.u.scalar.flags & PMAT_SCALAR_HAS_PV))
                continue;
            char *n = xstrdup_str(&ns.u.scalar.pv);
            fprintf(out, "  [%" PRIu64 "] is %s\n", j, n);
            free(n);
        }
        break;
    }
    case K_IO:
        fprintf(out, "  ifileno=%" PRId64 "\n  ofileno=%" PRId64 "\n", sv.u.io.ifileno,
                sv.u.io.ofileno);
        break;
    case K_OBJECT: {
        size_t ci = cm_find(m, sv.blessed);
        pmat_sv cls;
        if (ci == NO_IDX || pmat_sv_get(m->f, ci, &cls, &m->err) < 0 || cls.type != PMAT_SVt_CLASS)
            break;
        pmat_iter it = { 0, 0 };
        uint64_t fix;
        pmat_str fname;
        while (pmat_class_next(m->f, &cls, &it, &fix, &fname, &m->err) > 0) {
            uint64_t x = fix < sv.u.array.n ? pmat_array_elem(m->f, &sv, fix) : 0;
            char *fn = xstrdup_str(&fname);
            char *v = cm_exists(m, x) ? format_sv_with_value(m, x, 0) : xstrdup("NULL");
            fprintf(out, "  %s=%s\n", fn, v);
            free(fn);
            free(v);
        }
        break;
    }
    case K_C_STRUCT: {
        uint64_t id, nf;
        pmat_str sname;
        if (pmat_struct_info(m->f, sv.u.cstruct.meta, &id, &sname, &nf) < 0)
            break;
        for (uint64_t j = 0; j < nf; j++) {
            pmat_str fname;
            unsigned type;
            uint64_t v;
            if (pmat_cstruct_field(m->f, &sv, j, &fname, &type, &v, &m->err) < 0)
                continue;
            char *fn = xstrdup_str(&fname);
            if (type == PMAT_FIELD_PTR) {
                if (cm_exists(m, v)) {
                    char *s2 = format_sv_with_value(m, v, 0);
                    fprintf(out, "  %s=%s\n", fn, s2);
                    free(s2);
                }
            } else if (type == PMAT_FIELD_BOOL)
                fprintf(out, "  %s=%s\n", fn, v ? "true" : "false");
            else
                fprintf(out, "  %s=%" PRIu64 "\n", fn, v);
            free(fn);
        }
        break;
    }
    default:
        /* UNDEF, LVALUE, REGEXP, FORMAT, INVLIST, PADLIST: pmat 0.51 has no
         * show_TYPE method and dies here; cpmat ends after the common part. */
        break;
    }
    return 0;
}


static uint64_t stash_value_of(cm *m, uint64_t stash, const char *key)
{
    size_t i = cm_find(m, stash);
    pmat_sv sv;
    if (i == NO_IDX || pmat_sv_get(m->f, i, &sv, &m->err) < 0)
        return 0;
    pmat_iter it = { 0, 0 };
    pmat_str k;
    uint64_t v, r = 0;
    size_t kl = strlen(key);
    while (pmat_hash_next(m->f, &sv, &it, &k, &v, &m->err) > 0)
        if (k.len == kl && !memcmp(k.ptr, key, kl))
            r = v;
    return r;
}

/* ---- callers ------------------------------------------------------------------ */

static int cmd_callers(cm *m, int argc, char **argv)
{
    optspec opts[] = { { "pad", 'P', 0, 0, 0, 0 }, { 0 } };
    int i = parse_opts("callers", opts, argc, argv, 0);
    if (i < 0)
        return 2;
    if (i < argc)
        return usage_err("callers: unexpected argument '%s'", argv[i]);
    size_t n = pmat_ctx_count(m->f);
    /* the true depth of SUB contexts (Dumpfile _fixup) */
    int64_t *depth = xmalloc((n + 1) * sizeof *depth);
    for (size_t c = 0; c < n; c++) {
        pmat_ctx ctx;
        depth[c] = -1;
        if (pmat_ctx_get(m->f, c, &ctx, &m->err) < 0 || ctx.type != PMAT_CTX_SUB)
            continue;
        int found = 0;
        for (size_t p = c; p-- > 0;) {
            pmat_ctx pc;
            if (pmat_ctx_get(m->f, p, &pc, &m->err) == 0 && pc.type == PMAT_CTX_SUB &&
                pc.cv == ctx.cv) {
                depth[c] = pc.olddepth;
                found = 1;
                break;
            }
        }
        if (!found) {
            size_t ci = cm_find(m, ctx.cv);
            pmat_sv cv;
            if (ci != NO_IDX && pmat_sv_get(m->f, ci, &cv, &m->err) == 0 && cv.type == PMAT_SVt_CODE)
                depth[c] = cv.u.code.depth;
        }
    }
    static const char *const gimmes[] = { "", "void", "scalar", "array" };
    for (size_t c = 0; c < n; c++) {
        pmat_ctx ctx;
        if (pmat_ctx_get(m->f, c, &ctx, &m->err) < 0)
            continue;
        char *what;
        if (ctx.type == PMAT_CTX_SUB) {
            char *f = cm_format_sv(m, ctx.cv), *sym = cm_symname(m, ctx.cv);
            what = xasprintf("%s=%s", f, sym ? sym : "");
            free(f);
            free(sym);
        } else if (ctx.type == PMAT_CTX_TRY) {
            what = xstrdup("eval {...}");
        } else if (ctx.type == PMAT_CTX_EVAL) {
            size_t ci = cm_find(m, ctx.codesv);
            pmat_sv cs;
            char *pv = NULL;
            if (ci != NO_IDX && pmat_sv_get(m->f, ci, &cs, &m->err) == 0 &&
                cs.type == PMAT_SVt_SCALAR && (cs.u.scalar.flags & PMAT_SCALAR_HAS_PV))
                pv = fmt_pv(&cs.u.scalar.pv, 64);
            what = xasprintf("eval (%s)", pv ? pv : "");
            free(pv);
        } else {
            what = xstrdup("");
        }
        char *file = ctx.file.is_null ? xstrdup("") : xstrdup_str(&ctx.file);
        fprintf(out, "caller(%zu): %s => %s\n  at %s line %" PRIu64 "\n", c, what,
                ctx.gimme < 4 ? gimmes[ctx.gimme] : "", file, ctx.line);
        free(what);
        free(file);
        if (ctx.type != PMAT_CTX_SUB)
            continue;
        /* perl >= 5.23.8 has no blk_sub.argarray: @_ is pad[0] at the depth */
        uint64_t argsav = ctx.args;
        if (!argsav && depth[c] >= 1) {
            cm_code code;
            if (cm_code_load(m, ctx.cv, &code) == 0 && (size_t)depth[c] <= code.npads) {
                size_t pi = cm_find(m, code.pads[depth[c] - 1]);
                pmat_sv psv;
                if (pi != NO_IDX && pmat_sv_get(m->f, pi, &psv, &m->err) == 0 && psv.u.array.n)
                    argsav = pmat_array_elem(m->f, &psv, 0);
            }
            cm_code_free(&code);
        }
        size_t ai = cm_find(m, argsav);
        if (ai == NO_IDX)
            continue;
        int done = 0;
        pmat_sv args;
        if (pmat_sv_get(m->f, ai, &args, &m->err) == 0 && args.type == PMAT_SVt_ARRAY)
            for (uint64_t j = 0; j < args.u.array.n; j++) {
                uint64_t e = pmat_array_elem(m->f, &args, j);
                char *v = cm_exists(m, e) ? format_sv_with_value(m, e, 0) : xstrdup("NULL");
                fprintf(out, "  $_[%" PRIu64 "]: %s\n", j, v);
                free(v);
                done++;
            }
        char *cvs = cm_format_sv(m, ctx.cv);
        fprintf(out, "  cv=%s\n", cvs);
        free(cvs);
        if (depth[c] > -1) {
            cm_code code;
            if (cm_code_load(m, ctx.cv, &code) == 0) {
                uint64_t pad = depth[c] >= 1 && (size_t)depth[c] <= code.npads ? code.pads[depth[c] - 1] : 0;
                if (opts[0].set) {
                    char *ps = cm_exists(m, pad) ? cm_format_sv(m, pad) : xstrdup("NULL");
                    fprintf(out, "  curpad=%s\n", ps);
                    free(ps);
                    pmat_sv psv;
                    size_t pi = cm_find(m, pad);
                    if (pi != NO_IDX && pmat_sv_get(m->f, pi, &psv, &m->err) == 0)
                        show_pad_contents(m, &psv, &code);
                } else {
                    size_t six = 0;
                    for (size_t k = 1; k < code.npadnames && !six; k++)
                        if (!code.padnames[k].is_null && code.padnames[k].len == 5 &&
                            !memcmp(code.padnames[k].ptr, "$self", 5))
                            six = k;
                    if (six) {
                        pmat_sv psv;
                        size_t pi = cm_find(m, pad);
                        uint64_t e = 0;
                        if (pi != NO_IDX && pmat_sv_get(m->f, pi, &psv, &m->err) == 0 &&
                            six < psv.u.array.n)
                            e = pmat_array_elem(m->f, &psv, six);
                        done++;
                        if (cm_exists(m, e)) {
                            char *v = format_sv_with_value(m, e, 0);
                            fprintf(out, "  $self: %s\n", v);
                            free(v);
                        } else
                            fputs("  no $self\n", out);
                    }
                }
            }
            cm_code_free(&code);
        }
        if (!done)
            fputs("  (no args)\n", out);
    }
    free(depth);
    return 0;
}

/* ---- symbols / packages ---------------------------------------------------------- */

typedef struct symq { uint64_t sv; char *name; } symq;
typedef struct symqueue { symq *v; size_t n, cap, head; } symqueue;

static void sq_unshift_list(symqueue *q, symq *items, size_t n)
{
    size_t live = q->n - q->head;
    if (!n)             /* a stash with no symbols: q->v may still be NULL */
        return;
    if (q->head >= n) {
        q->head -= n;
        memcpy(q->v + q->head, items, n * sizeof *items);
        return;
    }
    symq *nv = xmalloc((live + n + 1) * sizeof *nv);
    memcpy(nv, items, n * sizeof *items);
    if (live)
        memcpy(nv + n, q->v + q->head, live * sizeof *nv);
    free(q->v);
    q->v = nv;
    q->n = q->cap = live + n;
    q->head = 0;
}

/* extract_symbols: the stash's keys sorted, named with the prefix */
static size_t extract_symbols(cm *m, uint64_t stash, const char *prefix, symq **out_)
{
    *out_ = NULL;
    size_t i = cm_find(m, stash);
    pmat_sv sv;
    if (i == NO_IDX || cm_is_immortal(m, stash) || pmat_sv_get(m->f, i, &sv, &m->err) < 0 ||
        (sv.type != PMAT_SVt_HASH && sv.type != PMAT_SVt_STASH && sv.type != PMAT_SVt_CLASS))
        return 0;
    kv *v = xmalloc((sv.u.hash.n + 1) * sizeof *v);
    size_t n = 0;
    pmat_iter it = { 0, 0 };
    while (n < sv.u.hash.n && pmat_hash_next(m->f, &sv, &it, &v[n].key, &v[n].val, &m->err) > 0)
        n++;
    qsort(v, n, sizeof *v, cmp_kv);
    symq *r = xmalloc((n + 1) * sizeof *r);
    for (size_t j = 0; j < n; j++) {
        char *k = xstrdup_str(&v[j].key);
        r[j].sv = v[j].val;
        if (v[j].key.len && v[j].key.ptr[0] < 0x20)
            r[j].name = xasprintf("{^%c%s}", v[j].key.ptr[0] + 0x40, k + 1);
        else
            r[j].name = xasprintf("%s%s", prefix, k);
        free(k);
    }
    free(v);
    *out_ = r;
    return n;
}

static uint64_t defstash(cm *m)
{
    for (size_t j = 0; j < cm_nroots(m); j++) {
        const char *n, *d;
        uint64_t a;
        cm_root_get(m, j, &n, &d, &a);
        if (!strcmp(n, "defstash"))
            return a;
    }
    return 0;
}

static int cmd_symbols(cm *m, int argc, char **argv)
{
    optspec opts[] = { { "recurse", 'R', 0, 0, 0, 0 }, { 0 } };
    int i = parse_opts("symbols", opts, argc, argv, 0);
    if (i < 0)
        return 2;
    symqueue q = { 0 };
    symq *items;
    size_t n;
    if (i < argc) {
        const char *name = argv[i++];
        if (i < argc)
            return usage_err("symbols: unexpected argument '%s'", argv[i]);
        char *sym = xasprintf("%%%s::", name);
        /* find_stash NAME = the hash slot of glob NAME:: */
        uint64_t st = cm_find_symbol(m, sym);
        free(sym);
        if (!st)
            return usage_err("symbols: no such package %s", name);
        char *prefix = xasprintf("%s::", name);
        n = extract_symbols(m, st, prefix, &items);
        free(prefix);
    } else {
        n = extract_symbols(m, defstash(m), "", &items);
        size_t k = 0;
        for (size_t j = 0; j < n; j++) {
            if (!strcmp(items[j].name, "main::") || !strncmp(items[j].name, "_<", 2))
                free(items[j].name);
            else
                items[k++] = items[j];
        }
        n = k;
    }
    sq_unshift_list(&q, items, n);
    free(items);
    while (q.head < q.n) {
        symq e = q.v[q.head++];
        size_t gi = cm_find(m, e.sv);
        if (gi != NO_IDX && !cm_is_immortal(m, e.sv) && cm_kind_of(m, gi) == K_GLOB) {
            pmat_sv g;
            pmat_sv_get(m->f, gi, &g, &m->err);
            const char sig[] = "$@%&";
            uint64_t sl[] = { g.u.glob.scalar, g.u.glob.array, g.u.glob.hash, g.u.glob.code };
            for (int k = 0; k < 4; k++)
                if (cm_exists(m, sl[k])) {
                    char *f = cm_format_sv(m, sl[k]);
                    fprintf(out, "%c%s at %s\n", sig[k], e.name, f);
                    free(f);
                }
            if (cm_exists(m, g.u.glob.hash)) {
                symq x = { g.u.glob.hash, xstrdup(e.name) };
                sq_unshift_list(&q, &x, 1);
            }
        } else if (opts[0].set && gi != NO_IDX && !cm_is_immortal(m, e.sv) &&
                   (cm_kind_of(m, gi) == K_STASH || cm_kind_of(m, gi) == K_CLASS)) {
            n = extract_symbols(m, e.sv, e.name, &items);
            sq_unshift_list(&q, items, n);
            free(items);
        }
        free(e.name);
    }
    free(q.v);
    return 0;
}

/* A scalar's value as packages --versions shows it: PV, else NV, else IV/UV. */
static char *scalar_version_text(cm *m, uint64_t addr)
{
    size_t xi = cm_find(m, addr);
    pmat_sv vs;
    if (xi == NO_IDX || pmat_sv_get(m->f, xi, &vs, &m->err) < 0 || vs.type != PMAT_SVt_SCALAR)
        return NULL;
    if (cm_scalar_flags(&vs) & PMAT_SCALAR_HAS_PV)
        return xstrdup_str(&vs.u.scalar.pv);
    return scalar_num(&vs);
}

/* The $VERSION of a stash as text, or NULL.  `package NAME 1.06;` and
 * `our $VERSION = qv(...)` make it a REF to a hash blessed into "version":
 * Devel::MAT 0.53+ shows that object's {original}, with a "v" in front
 * when it has none. */
static char *package_version(cm *m, uint64_t stash)
{
    uint64_t vg = stash_value_of(m, stash, "VERSION");
    size_t vi = cm_find(m, vg), ri, hi;
    pmat_sv vgs, ref, obj;
    if (vi == NO_IDX || cm_kind_of(m, vi) != K_GLOB || pmat_sv_get(m->f, vi, &vgs, &m->err) < 0)
        return NULL;
    uint64_t sc = vgs.u.glob.scalar;
    if ((ri = cm_find(m, sc)) == NO_IDX || pmat_sv_get(m->f, ri, &ref, &m->err) < 0)
        return NULL;
    if (ref.type != PMAT_SVt_REF)
        return scalar_version_text(m, sc);
    pmat_str sn;
    if ((hi = cm_find(m, ref.u.ref.rv)) == NO_IDX || pmat_sv_get(m->f, hi, &obj, &m->err) < 0 ||
        !obj.blessed || cm_stashname(m, obj.blessed, &sn) < 0 || sn.len != 7 ||
        memcmp(sn.ptr, "version", 7) || cm_kind_of(m, hi) != K_HASH)
        return NULL;
    char *t = scalar_version_text(m, stash_value_of(m, ref.u.ref.rv, "original"));
    if (t && t[0] != 'v') {
        char *v = xasprintf("v%s", t);
        free(t);
        t = v;
    }
    return t;
}

static int cmd_packages(cm *m, int argc, char **argv)
{
    optspec opts[] = { { "versions", 'V', 0, 0, 0, 0 }, { 0 } };
    int i = parse_opts("packages", opts, argc, argv, 0);
    if (i < 0)
        return 2;
    if (i < argc)
        return usage_err("packages: unexpected argument '%s'", argv[i]);
    symqueue q = { 0 };
    symq *items;
    size_t n = extract_symbols(m, defstash(m), "", &items), k = 0;
    for (size_t j = 0; j < n; j++) {
        size_t gi = cm_find(m, items[j].sv);
        if (gi != NO_IDX && cm_kind_of(m, gi) == K_GLOB && strcmp(items[j].name, "main::"))
            items[k++] = items[j];
        else
            free(items[j].name);
    }
    sq_unshift_list(&q, items, k);
    free(items);
    while (q.head < q.n) {
        symq e = q.v[q.head++];
        size_t gi = cm_find(m, e.sv);
        pmat_sv g;
        size_t si;
        if (gi == NO_IDX || pmat_sv_get(m->f, gi, &g, &m->err) < 0 ||
            (si = cm_find(m, g.u.glob.hash)) == NO_IDX ||
            (cm_kind_of(m, si) != K_STASH && cm_kind_of(m, si) != K_CLASS)) {
            free(e.name);
            continue;
        }
        char *nm = xstrdup(e.name);
        size_t l = strlen(nm);
        if (l >= 2 && !strcmp(nm + l - 2, "::"))
            nm[l - 2] = 0;
        char *ver = opts[0].set ? package_version(m, g.u.glob.hash) : NULL;
        char *f = cm_format_sv(m, g.u.glob.hash);
        fprintf(out, "package %s%s%s at %s\n", nm, ver ? " " : "", ver ? ver : "", f);
        free(f);
        free(ver);
        free(nm);
        n = extract_symbols(m, g.u.glob.hash, e.name, &items);
        k = 0;
        for (size_t j = 0; j < n; j++) {
            size_t xi = cm_find(m, items[j].sv);
            if (xi != NO_IDX && !cm_is_immortal(m, items[j].sv) && cm_kind_of(m, xi) == K_GLOB)
                items[k++] = items[j];
            else
                free(items[j].name);
        }
        sq_unshift_list(&q, items, k);
        free(items);
        free(e.name);
    }
    free(q.v);
    return 0;
}

/* ---- list-dangling-ptrs ------------------------------------------------------ */

static void dangle(cm *m, uint64_t sv, const char *name, uint64_t addr)
{
    if (!addr || cm_find(m, addr) != NO_IDX)
        return;
    for (size_t j = 0; j < cm_nroots(m); j++) {
        const char *n, *d;
        uint64_t a;
        cm_root_get(m, j, &n, &d, &a);
        if (a == addr && cm_exists(m, a))
            return;
    }
    char *f = cm_format_sv(m, sv);
    fprintf(out, "%s has no %s SV at addr 0x%" PRIx64 "\n", f, name, addr);
    free(f);
}

static int cmd_dangling(cm *m, int argc, char **argv)
{
    if (argc)
        return usage_err("list-dangling-ptrs: unexpected argument '%s'", argv[0]);
    for (size_t i = 0; i < m->n; i++) {
        pmat_sv sv;
        if (pmat_sv_get(m->f, i, &sv, &m->err) < 0)
            continue;
        uint64_t a = sv.addr;
        char buf[64];
        if (sv.type != PMAT_SVt_C_STRUCT)
            dangle(m, a, "blessed", sv.blessed);
        switch (cm_kind_of(m, i)) {
        case K_GLOB:
            dangle(m, a, "stash", sv.u.glob.stash);
            dangle(m, a, "scalar", sv.u.glob.scalar);
            dangle(m, a, "array", sv.u.glob.array);
            dangle(m, a, "hash", sv.u.glob.hash);
            dangle(m, a, "code", sv.u.glob.code);
            dangle(m, a, "egv", sv.u.glob.egv);
            dangle(m, a, "io", sv.u.glob.io);
            dangle(m, a, "form", sv.u.glob.form);
            break;
        case K_SCALAR:
            if (sv.type == PMAT_SVt_SCALAR)
                dangle(m, a, "ourstash", sv.u.scalar.ourstash);
            break;
        case K_REF:
            dangle(m, a, "rv", sv.u.ref.rv);
            dangle(m, a, "ourstash", sv.u.ref.ourstash);
            break;
        case K_ARRAY: case K_PAD: case K_PADLIST: case K_PADNAMES:
            for (uint64_t j = 0; j < sv.u.array.n; j++) {
                snprintf(buf, sizeof buf, "elem [%" PRIu64 "]", j);
                dangle(m, a, buf, pmat_array_elem(m->f, &sv, j));
            }
            break;
        case K_HASH: case K_STASH: case K_CLASS: {
            dangle(m, a, "backrefs", sv.u.hash.backrefs);
            pmat_iter it = { 0, 0 };
            pmat_str key;
            uint64_t val;
            while (pmat_hash_next(m->f, &sv, &it, &key, &val, &m->err) > 0) {
                char *k = xstrdup_str(&key), *nm = xasprintf("value {%s}", k);
                dangle(m, a, nm, val);
                free(k);
                free(nm);
            }
            break;
        }
        case K_CODE: {
            dangle(m, a, "stash", sv.u.code.stash);
            dangle(m, a, "glob", cm_glob_at(m, i));
            dangle(m, a, "outside", sv.u.code.outside);
            dangle(m, a, "padlist", sv.u.code.padlist);
            dangle(m, a, "constval", sv.u.code.constval);
            break;
        }
        default:
            break;
        }
    }
    return 0;
}

/* ---- sizes (Devel::MAT::Tool::Sizes) -------------------------------------------- */

/* A set of SV indexes (list in insertion order, duplicates allowed as in
 * Devel::MAT's owned_set). */
typedef struct idxlist { uint32_t *v; size_t n, cap; } idxlist;

static void il_push(idxlist *l, uint32_t x)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = x;
}

static uint64_t sv_size(cm *m, size_t i)
{
    pmat_sv sv;
    return pmat_sv_get(m->f, i, &sv, &m->err) == 0 ? sv.size : 0;
}

/* structure_set: the SV, then the parts of its structure (not immortals) */
static void structure_set(cm *m, size_t i, idxlist *out_)
{
    il_push(out_, (uint32_t)i);
    pmat_sv sv;
    if (pmat_sv_get(m->f, i, &sv, &m->err) < 0)
        return;
    unsigned k = cm_kind_of(m, i);
#define ADD(a) do { uint64_t a_ = (a); size_t j_ = cm_find(m, a_); \
        if (j_ != NO_IDX && !cm_is_immortal(m, a_)) il_push(out_, (uint32_t)j_); } while (0)
    if (k == K_ARRAY || k == K_PAD || k == K_PADLIST || k == K_PADNAMES) {
        for (uint64_t j = 0; j < sv.u.array.n; j++)
            ADD(pmat_array_elem(m->f, &sv, j));
    } else if (k == K_HASH || k == K_STASH || k == K_CLASS) {
        pmat_iter it = { 0, 0 };
        pmat_str key;
        uint64_t val;
        while (pmat_hash_next(m->f, &sv, &it, &key, &val, &m->err) > 0)
            ADD(val);
    } else if (k == K_CODE) {
        cm_code c;
        if (cm_code_load(m, sv.addr, &c) == 0) {
            ADD(sv.u.code.padlist);
            ADD(c.padnames_av);
            for (size_t d = 0; d < c.npads; d++)
                ADD(c.pads[d]);
            ADD(sv.u.code.constval);
            for (size_t j = 0; j < c.nconsts; j++)
                ADD(c.consts[j]);
            for (size_t j = 0; j < c.ngvs; j++)
                ADD(c.gvs[j]);
        }
        cm_code_free(&c);
    }
#undef ADD
}

typedef struct owned_ctx {
    cm *m;
    idxlist *more;
    uint32_t *stamp, gen;
} owned_ctx;

static void owned_cb(void *ctx, int strength, uint64_t target, const char *name)
{
    (void)strength;
    (void)name;
    owned_ctx *o = ctx;
    if (cm_is_immortal(o->m, target))
        return;
    size_t j = cm_find(o->m, target);
    if (j == NO_IDX || o->stamp[j] == o->gen)
        return;
    pmat_sv sv;
    if (pmat_sv_get(o->m->f, j, &sv, &o->m->err) < 0 || sv.refcnt != 1)
        return;
    il_push(o->more, (uint32_t)j);
}

static uint32_t *owned_stamp;
static uint32_t owned_gen;

/* owned_set: a depth-first walk of strong outrefs to SVs with refcount 1;
 * like Devel::MAT an SV reached twice before it is visited counts twice. */
static void owned_set(cm *m, size_t i, idxlist *out_)
{
    if (!owned_stamp) {
        owned_stamp = calloc(m->n + 1, sizeof *owned_stamp);
        if (!owned_stamp) {
            fprintf(stderr, "cpmat: out of memory\n");
            exit(2);
        }
    }
    if (++owned_gen == 0) {
        memset(owned_stamp, 0, (m->n + 1) * sizeof *owned_stamp);
        owned_gen = 1;
    }
    idxlist more = { 0 };
    il_push(&more, (uint32_t)i);
    owned_ctx o = { m, &more, owned_stamp, owned_gen };
    while (more.n) {
        uint32_t next = more.v[--more.n];
        il_push(out_, next);
        owned_stamp[next] = owned_gen;
        cm_outrefs(m, pmat_sv_addr(m->f, next), M_STRONG, 0, owned_cb, &o);
    }
    free(more.v);
}

static uint64_t set_size(cm *m, const idxlist *l)
{
    uint64_t t = 0;
    for (size_t j = 0; j < l->n; j++)
        t += sv_size(m, l->v[j]);
    return t;
}

static uint64_t metric_size(cm *m, size_t i, int metric)
{
    if (!metric)
        return sv_size(m, i);
    idxlist l = { 0 };
    if (metric == 1)
        structure_set(m, i, &l);
    else
        owned_set(m, i, &l);
    uint64_t t = set_size(m, &l);
    free(l.v);
    return t;
}

static uint64_t *owned_sizes(cm *m)
{
    uint64_t *r = malloc((m->n + 1) * sizeof *r);
    if (!r)
        return NULL;
    for (size_t i = 0; i < m->n; i++)
        r[i] = metric_size(m, i, 2);
    return r;
}

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
    fprintf(out, "%s consumes:\n", f);
    free(f);
    size_t i = cm_find(m, addr);
    uint64_t d = 0, st = 0, ow = 0;
    if (i != NO_IDX && !cm_is_immortal(m, addr)) {
        d = sv_size(m, i);
        st = metric_size(m, i, 1);
        ow = metric_size(m, i, 2);
    }
    char *a = cm_format_bytes(d), *b = cm_format_bytes(st), *c = cm_format_bytes(ow);
    fprintf(out, "  %s directly\n  %s structurally\n  %s including owned referrants\n", a, b, c);
    free(a);
    free(b);
    free(c);
    return 0;
}

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
        fprintf(out, "%s%s: %s", indent, f, b);
        free(f);
        free(b);
        if (!metric || ncounts < 2) {
            fputc('\n', out);
            continue;
        }
        idxlist set = { 0 };
        if (metric == 1)
            structure_set(m, sv, &set);
        else
            owned_set(m, sv, &set);
        if (set.n <= 1) {
            fputc('\n', out);
            free(set.v);
            continue;
        }
        fputs(": of which\n", out);
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
        fprintf(out, "%sothers: %s\n", indent, b);
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

/* ---- dispatch ------------------------------------------------------------------- */

typedef struct command {
    const char *name, *desc;
    int (*run)(cm *, int, char **);
    const char *synopsis;
    const char *help;    /* pmat's OPTIONS/ARGUMENTS text, or NULL: see the manual */
} command;

static const char values_help[] =
    "OPTIONS:\n"
    "  --count, -c INT    maximum count of values to print\n"
    "  --hek, -H          also show HEK pointers\n"
    "  --no-sort, -n      don't sort keys before printing\n"
    "  --skip, -s INT     count of keys to skip initially before printing\n"
    "\n"
    "ARGUMENTS:\n"
    "  $FILTER    optional pattern to filter keys by\n";
static const char strtab_help[] =
    "OPTIONS:\n"
    "  --count, -c INT    maximum count of values to print\n"
    "  --no-sort, -n      don't sort keys before printing\n"
    "  --skip, -s INT     count of keys to skip initially before printing\n"
    "\n"
    "ARGUMENTS:\n"
    "  $FILTER    optional pattern to filter keys by\n";

static int cmd_summary_args(cm *m, int argc, char **argv)
{
    if (argc)
        return usage_err("summary: unexpected argument '%s'", argv[0]);
    return cmd_summary(m);
}

static const command commands[] = {
    { "callers", "Display the caller stack", cmd_callers, "callers [OPTIONS...]", NULL },
    { "count", "Count the various kinds of SV", cmd_count, "count [OPTIONS...]", NULL },
    { "elems", "List the elements of an ARRAY SV", cmd_elems, "elems [OPTIONS...] [SV ADDR] $STARTIDX", NULL },
    { "find", "List SVs matching given criteria", cmd_find, "find [FILTER...]", NULL },
    { "identify", "Identify an SV by its referrers", cmd_identify, "identify [OPTIONS...] [SV ADDR]", NULL },
    { "inrefs", "Show incoming references to a given SV", cmd_inrefs, "inrefs [OPTIONS...] [SV ADDR]", NULL },
    { "largest", "Find the largest SVs by size", cmd_largest, "largest [OPTIONS...] $COUNT*", NULL },
    { "list-dangling-ptrs", "Show pointers in SVs that don't lead anywhere", cmd_dangling, "list-dangling-ptrs", NULL },
    { "outrefs", "Show outgoing references from a given SV", cmd_outrefs, "outrefs [OPTIONS...] [SV ADDR]", NULL },
    { "packages", "Display a list of the packages in the symbol table", cmd_packages, "packages [OPTIONS...]", NULL },
    { "roots", "Display a list of the root SVs", cmd_roots, "roots", NULL },
    { "show", "Show information about a given SV", cmd_show, "show [OPTIONS...] [SV ADDR]", NULL },
    { "size", "Show the size of a given SV", cmd_size, "size [SV ADDR]", NULL },
    { "stack", "Display the value stack", cmd_stack, "stack", NULL },
    { "strtab", "Show information about the shared strings table (PL_strtab)", cmd_strtab,
      "strtab [OPTIONS...] $FILTER", strtab_help },
    { "summary", "Print basic information about the loaded dumpfile", cmd_summary_args, "summary", NULL },
    { "symbols", "Display a list of the symbol table", cmd_symbols, "symbols [OPTIONS...] $START", NULL },
    { "values", "List the values of a HASH-like SV", cmd_values, "values [OPTIONS...] [SV ADDR] $FILTER",
      values_help },
    { NULL, NULL, NULL, NULL, NULL }
};

int cm_is_command(const char *cmd)
{
    for (const command *c = commands; c->name; c++)
        if (!strcmp(c->name, cmd))
            return 1;
    return !strcmp(cmd, "help");
}

void cm_help_summary(FILE *o)
{
    size_t w = 4;
    for (const command *c = commands; c->name; c++)
        if (strlen(c->name) > w)
            w = strlen(c->name);
    fprintf(o, "%-*s - %s\n", (int)w, "dump", "One line per record of the file (cpmat only)");
    fprintf(o, "%-*s - %s\n", (int)w, "help", "Display a list of available commands");
    fprintf(o, "%-*s - %s\n", (int)w, "info", "Counts per type and section offsets (cpmat only)");
    for (const command *c = commands; c->name; c++)
        fprintf(o, "%-*s - %s\n", (int)w, c->name, c->desc);
}

int cm_help_cmd(const char *cmd, FILE *o)
{
    for (const command *c = commands; c->name; c++)
        if (!strcmp(c->name, cmd)) {
            fprintf(o, "%s - %s\n\nSYNOPSIS:\n  %s\n", c->name, c->desc, c->synopsis);
            if (c->help)
                fprintf(o, "\n%s", c->help);
            else
                fputs("\nSee the cpmat manual page for the options.\n", o);
            return 0;
        }
    return -1;
}

int cm_run(cm *m, const char *cmd, int argc, char **argv, FILE *o)
{
    out = o;
    for (const command *c = commands; c->name; c++)
        if (!strcmp(c->name, cmd)) {
            /* cpmat FILE COMMAND --help: the command's help, as 'help COMMAND' */
            if (argc == 1 && !strcmp(argv[0], "--help"))
                return cm_help_cmd(cmd, out) == 0 ? 0 : 2;
            return c->run(m, argc, argv);
        }
    return usage_err("unrecognised command '%s'", cmd);
}
