/* cpmat-counts - SV counts per kind and per blessed package across a
 * series of PMAT dumps, with the change from file to file (see
 * cpmat-counts.pod).
 *
 * One file is open at a time; per file only the counts are kept (a row per
 * kind and per package, a count per file), so a long series costs the
 * largest file plus the table.
 *
 * Errors: one line "cpmat-counts: ..." on stderr, exit status 2. */
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "pmat.h"
#include "cmd_int.h"
#include "leak_series.h"

static const char *prog = "cpmat-counts";
static int by_bytes;    /* --bytes: the table holds bytes, not numbers of SVs */

static void usage(FILE *to)
{
    fprintf(to,
        "usage: %s [--blessed PATTERN] [--bytes] [--csv] [--svg OUT.svg [--top N]]\n"
        "       [--pmat-version 0.NN] FILE...\n"
        "  For each kind of SV and each blessed package, its count in every file\n"
        "  and the change from the file before; rows sorted by growth (last - first).\n"
        "  --blessed PATTERN  only the packages matching PATTERN (a POSIX extended\n"
        "                     regex, unanchored: a plain name matches as a substring)\n"
        "  --bytes            the SVs' bytes (pmat's size) instead of their number\n"
        "  --csv              one machine-readable table instead of the text\n"
        "  --svg OUT.svg      also draw the top growing packages' counts as a line chart\n"
        "  --top N            how many packages the chart shows (default 8)\n"
        "  --pmat-version 0.NN  the kinds as that Devel::MAT counts them (default\n"
        "                     0.56: a SCALAR with no value is kind UNDEF)\n"
        "  --help             this text (man cpmat-counts for more)\n", prog);
}

/* ---- the table: a row per kind / package, a count per file -------------- */

typedef struct row {
    char *name;
    int is_package;
    uint64_t *count;     /* nfiles */
    uint64_t *bytes;     /* nfiles */
} row;

typedef struct table { row *v; size_t n, cap; int nfiles; } table;

static row *table_row(table *t, const char *name, int is_package)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].is_package == is_package && !strcmp(t->v[i].name, name))
            return &t->v[i];
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->v = xrealloc(t->v, t->cap * sizeof *t->v);
    }
    row *r = &t->v[t->n++];
    r->name = xstrdup(name);
    r->is_package = is_package;
    r->count = calloc((size_t)t->nfiles, sizeof *r->count);
    r->bytes = calloc((size_t)t->nfiles, sizeof *r->bytes);
    if (!r->count || !r->bytes) {
        fprintf(stderr, "%s: out of memory\n", prog);
        exit(2);
    }
    return r;
}

static int64_t row_growth(const table *t, const row *r)
{
    return (int64_t)r->count[t->nfiles - 1] - (int64_t)r->count[0];
}

static const table *sort_table;

/* Most growth first, then the larger last count, then by name. */
static int cmp_row(const void *a, const void *b)
{
    const row *x = a, *y = b;
    if (x->is_package != y->is_package)
        return x->is_package - y->is_package;
    int64_t gx = row_growth(sort_table, x), gy = row_growth(sort_table, y);
    if (gx != gy)
        return gx > gy ? -1 : 1;
    uint64_t lx = x->count[sort_table->nfiles - 1], ly = y->count[sort_table->nfiles - 1];
    if (lx != ly)
        return lx > ly ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* ---- counting one file --------------------------------------------------- */

/* blessed SVs per stash address, before the stash names are looked up */
typedef struct stash_count { uint64_t stash, count, bytes; } stash_count;

static int cmp_stash_count(const void *a, const void *b)
{
    const stash_count *x = a, *y = b;
    return x->stash < y->stash ? -1 : x->stash > y->stash;
}

/* Sort the blessed SVs' stash addresses and collapse the runs: no per-SV
 * lookup structure, one array of (stash, size) for the blessed SVs. */
static size_t collapse_stashes(stash_count *s, size_t n)
{
    if (!n)
        return 0;
    qsort(s, n, sizeof *s, cmp_stash_count);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (out && s[out - 1].stash == s[i].stash) {
            s[out - 1].count += s[i].count;
            s[out - 1].bytes += s[i].bytes;
        } else {
            s[out++] = s[i];
        }
    }
    return out;
}

static int count_file(table *t, int k, const char *path, const regex_t *pkg_re)
{
    cm m;
    if (cm_open(&m, path) < 0) {
        fprintf(stderr, "%s: %s\n", prog, pmat_error_message(&m.err));
        cm_close(&m);
        return -1;
    }
    uint64_t kc[K_NKINDS] = { 0 }, kb[K_NKINDS] = { 0 };
    stash_count *bl = NULL;
    size_t nbl = 0, capbl = 0;
    for (size_t i = 0; i < m.n; i++) {
        unsigned kind = cm_kind_of(&m, i);
        /* pmat-counts 0.56 names a SCALAR with no IV, NV or PV "UNDEF" */
        if (kind == K_SCALAR && cm_pmat_version >= 56 && cm_is_valueless_scalar(&m, i))
            kind = K_UNDEF;
        uint64_t size, blessed;
        cm_size_blessed(&m, i, &size, &blessed);
        kc[kind < K_NKINDS ? kind : K_UNKNOWN]++;
        kb[kind < K_NKINDS ? kind : K_UNKNOWN] += size;
        if (!blessed || !cm_exists(&m, blessed))
            continue;
        if (nbl == capbl) {
            capbl = capbl ? capbl * 2 : 1024;
            bl = xrealloc(bl, capbl * sizeof *bl);
        }
        bl[nbl].stash = blessed;
        bl[nbl].count = 1;
        bl[nbl].bytes = size;
        nbl++;
    }
    uint64_t total = 0, total_bytes = 0;
    for (unsigned kind = 0; kind < K_NKINDS; kind++) {
        total += kc[kind];
        total_bytes += kb[kind];
        if (!kc[kind])
            continue;
        row *r = table_row(t, cm_kind_name(kind), 0);
        r->count[k] = kc[kind];
        r->bytes[k] = kb[kind];
    }
    row *r = table_row(t, "(total)", 0);
    r->count[k] = total;
    r->bytes[k] = total_bytes;
    nbl = collapse_stashes(bl, nbl);
    for (size_t j = 0; j < nbl; j++) {
        char *name = lk_package_name(&m, bl[j].stash);
        if (!pkg_re || regexec(pkg_re, name, 0, NULL, 0) == 0) {
            r = table_row(t, name, 1);
            r->count[k] += bl[j].count;
            r->bytes[k] += bl[j].bytes;
        }
        free(name);
    }
    free(bl);
    cm_close(&m);
    return 0;
}

/* ---- text and CSV ---------------------------------------------------------- */

static int cellw = 8;    /* the widest cell of the table (print_text) */

static void format_cell(char *buf, size_t len, uint64_t now, const uint64_t *before)
{
    if (!before || *before == now)
        snprintf(buf, len, "%" PRIu64, now);
    else if (now > *before)
        snprintf(buf, len, "%" PRIu64 " (+%" PRIu64 ")", now, now - *before);
    else
        snprintf(buf, len, "%" PRIu64 " (-%" PRIu64 ")", now, *before - now);
}

static void print_cell(uint64_t now, const uint64_t *before)
{
    char buf[64];
    format_cell(buf, sizeof buf, now, before);
    printf("  %*s", cellw, buf);
}

static void print_section(const table *t, int packages, size_t namew)
{
    printf("%-*s", (int)namew, packages ? "Package" : "Kind");
    for (int k = 0; k < t->nfiles; k++) {
        char h[16];
        snprintf(h, sizeof h, "#%d", k + 1);
        printf("  %*s", cellw, h);
    }
    printf("  %10s\n", "growth");
    for (size_t i = 0; i < t->n; i++) {
        const row *r = &t->v[i];
        if (r->is_package != packages || (!packages && !strcmp(r->name, "(total)")))
            continue;
        printf("%-*s", (int)namew, r->name);
        for (int k = 0; k < t->nfiles; k++)
            print_cell(r->count[k], k ? &r->count[k - 1] : NULL);
        printf("  %+10" PRId64 "\n", row_growth(t, r));
    }
    if (!packages)
        for (size_t i = 0; i < t->n; i++)
            if (!t->v[i].is_package && !strcmp(t->v[i].name, "(total)")) {
                printf("%-*s", (int)namew, "(total)");
                for (int k = 0; k < t->nfiles; k++)
                    print_cell(t->v[i].count[k], k ? &t->v[i].count[k - 1] : NULL);
                printf("  %+10" PRId64 "\n", row_growth(t, &t->v[i]));
            }
}

static void print_text(const table *t, char **files, int kinds)
{
    size_t namew = 8;
    for (size_t i = 0; i < t->n; i++) {
        if (strlen(t->v[i].name) > namew)
            namew = strlen(t->v[i].name);
        for (int k = 0; k < t->nfiles; k++) {
            char buf[64];
            format_cell(buf, sizeof buf, t->v[i].count[k], k ? &t->v[i].count[k - 1] : NULL);
            if ((int)strlen(buf) > cellw)
                cellw = (int)strlen(buf);
        }
    }
    for (int k = 0; k < t->nfiles; k++)
        printf("#%d %s\n", k + 1, files[k]);
    if (kinds) {
        printf("\n");
        print_section(t, 0, namew);
    }
    printf("\n");
    print_section(t, 1, namew);
}

static void csv_field(const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static void print_csv(const table *t, char **files, int kinds)
{
    fputs("section,name", stdout);
    for (int k = 0; k < t->nfiles; k++) {
        putchar(',');
        csv_field(files[k]);
    }
    fputs(",growth\n", stdout);
    for (size_t i = 0; i < t->n; i++) {
        const row *r = &t->v[i];
        if (!r->is_package && !kinds)
            continue;
        fputs(r->is_package ? "package," : "kind,", stdout);
        csv_field(r->name);
        for (int k = 0; k < t->nfiles; k++)
            printf(",%" PRIu64, r->count[k]);
        printf(",%" PRId64 "\n", row_growth(t, r));
    }
}

/* ---- the chart ------------------------------------------------------------ */

/* A tick step of 1, 2 or 5 times a power of ten giving about five ticks. */
static double nice_step(double range)
{
    if (range <= 0)
        return 1;
    double raw = range / 5, p = 1;
    while (p * 10 <= raw)
        p *= 10;
    while (p > raw)
        p /= 10;
    double step = raw / p < 2 ? 2 * p : raw / p < 5 ? 5 * p : 10 * p;
    return step < 1 ? 1 : step;
}

static void svg_text(FILE *o, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", o); break;
        case '<': fputs("&lt;", o); break;
        case '>': fputs("&gt;", o); break;
        case '"': fputs("&quot;", o); break;
        default: fputc(*s, o);
        }
    }
}

/* A package name in the legend: long ones lose their start to fit its 250
 * pixels, the whole name kept as the tooltip. */
static void legend_name(FILE *o, const char *name)
{
    enum { FITS = 22 };
    if (strlen(name) <= FITS) {
        svg_text(o, name);
        return;
    }
    /* the end of a package name tells siblings apart, so keep that */
    char cut[FITS + 1];
    memcpy(cut, "...", 3);
    strcpy(cut + 3, name + strlen(name) - (FITS - 3));
    fputs("<title>", o);
    svg_text(o, name);
    fputs("</title>", o);
    svg_text(o, cut);
}

/* x of each file: its mtime (seconds after the first) when all differ, so
 * uneven gaps between dumps show; else its position in the series. */
static int file_x(char **files, int n, double *x)
{
    struct stat st;
    for (int k = 0; k < n; k++) {
        if (stat(files[k], &st) < 0)
            return 0;
        x[k] = (double)st.st_mtime;
    }
    for (int a = 0; a < n; a++)
        for (int b = a + 1; b < n; b++)
            if (x[a] == x[b])
                goto by_order;
    double min = x[0];
    for (int k = 1; k < n; k++)
        if (x[k] < min)
            min = x[k];
    for (int k = 0; k < n; k++)
        x[k] -= min;
    return 1;
by_order:
    for (int k = 0; k < n; k++)
        x[k] = k + 1;
    return 0;
}

enum { SVG_W = 960, SVG_MIN_H = 540, PL = 90, PR = 250, PT = 50, PB = 70, LEGEND_ROW = 22 };
static int SVG_H = SVG_MIN_H;    /* taller when the legend needs it (--top) */

static double px(double x, double x0, double x1)
{
    return PL + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * (SVG_W - PL - PR);
}

static double py(double y, double ymax)
{
    return SVG_H - PB - (ymax > 0 ? y / ymax : 0) * (SVG_H - PT - PB);
}

static int cc_write_svg(const char *path, const table *t, char **files, int top)
{
    static const char *const colour[] = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                          "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22" };
    const int ncol = (int)(sizeof colour / sizeof colour[0]);
    int n = t->nfiles;
    double *x = xmalloc((size_t)n * sizeof *x);
    int by_time = file_x(files, n, x);
    double x0 = x[0], x1 = x[0];
    for (int k = 0; k < n; k++) {
        if (x[k] < x0) x0 = x[k];
        if (x[k] > x1) x1 = x[k];
    }
    /* on a time axis, end the axis on a tick so the last label is on it */
    double xstep = nice_step(x1 - x0);
    if (by_time)
        x1 = x0 + xstep * (double)(uint64_t)((x1 - x0 + xstep - 1) / xstep);
    /* the series: the table is sorted by growth already */
    const row **series = xmalloc((size_t)top * sizeof *series);
    int ns = 0;
    double ymax = 0;
    for (size_t i = 0; i < t->n && ns < top; i++) {
        if (!t->v[i].is_package)
            continue;
        series[ns++] = &t->v[i];
        for (int k = 0; k < n; k++)
            if (t->v[i].count[k] > ymax)
                ymax = (double)t->v[i].count[k];
    }
    if (PT + 10 + ns * LEGEND_ROW + PB > SVG_H)
        SVG_H = PT + 10 + ns * LEGEND_ROW + PB;
    double ystep = nice_step(ymax);
    ymax = ymax > 0 ? ystep * (double)(uint64_t)((ymax + ystep - 1) / ystep) : ystep;
    if (ymax < ystep) ymax = ystep;

    FILE *o = fopen(path, "w");
    if (!o) {
        free(x);
        free(series);
        return -1;
    }
    fprintf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            SVG_W, SVG_H, SVG_W, SVG_H);
    fprintf(o, "<text x=\"%d\" y=\"28\" font-size=\"16\" font-weight=\"bold\">"
               "%s per blessed package: the %d growing most over %d dump%s</text>\n",
            PL, by_bytes ? "Bytes of SVs" : "SVs", ns, n, n == 1 ? "" : "s");
    /* y grid, ticks and labels */
    for (double y = 0; y <= ymax + ystep / 2; y += ystep) {
        double yy = py(y, ymax);
        fprintf(o, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                PL, yy, SVG_W - PR, yy);
        fprintf(o, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>\n", PL - 8, yy + 4, y);
    }
    /* x ticks: each file when the axis is the file order, else nice steps */
    if (by_time) {
        for (double v = 0; v <= x1 - x0 + xstep / 2; v += xstep) {
            double xx = px(x0 + v, x0, x1);
            fprintf(o, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\"/>\n",
                    xx, SVG_H - PB, xx, SVG_H - PB + 5);
            fprintf(o, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.0f</text>\n", xx, SVG_H - PB + 20, v);
        }
    } else {
        int every = n > 20 ? (n + 19) / 20 : 1;
        for (int k = 0; k < n; k += every) {
            double xx = px(x[k], x0, x1);
            fprintf(o, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\"/>\n",
                    xx, SVG_H - PB, xx, SVG_H - PB + 5);
            fprintf(o, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", xx, SVG_H - PB + 20, k + 1);
        }
    }
    /* axes and their titles */
    fprintf(o, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", PL, PT, PL, SVG_H - PB);
    fprintf(o, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n",
            PL, SVG_H - PB, SVG_W - PR, SVG_H - PB);
    fprintf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", (PL + SVG_W - PR) / 2,
            SVG_H - 25, by_time ? "seconds since the first dump (file mtime)" : "dump (file order)");
    fprintf(o, "<text transform=\"translate(24,%d) rotate(-90)\" text-anchor=\"middle\">"
               "%s</text>\n", (PT + SVG_H - PB) / 2, by_bytes ? "bytes (pmat's size)" : "number of SVs");
    /* the lines, and the legend in the same order */
    for (int s = 0; s < ns; s++) {
        const char *c = colour[s % ncol];
        /* past the palette, the colours come back dashed, then dotted */
        static const char *const dash[] = { "", " stroke-dasharray=\"8,4\"", " stroke-dasharray=\"2,3\"" };
        const char *d = dash[(s / ncol) % 3];
        fprintf(o, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", c, d);
        for (int k = 0; k < n; k++)
            fprintf(o, "%s%.1f,%.1f", k ? " " : "", px(x[k], x0, x1), py((double)series[s]->count[k], ymax));
        fprintf(o, "\"/>\n");
        for (int k = 0; k < n; k++)
            fprintf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
                    px(x[k], x0, x1), py((double)series[s]->count[k], ymax), c);
        int ly = PT + 10 + s * LEGEND_ROW;
        fprintf(o, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"%s/>\n",
                SVG_W - PR + 20, ly, SVG_W - PR + 44, ly, c, d);
        fprintf(o, "<text x=\"%d\" y=\"%d\">", SVG_W - PR + 50, ly + 4);
        legend_name(o, series[s]->name);
        fprintf(o, " (%+" PRId64 ")</text>\n", row_growth(t, series[s]));
    }
    if (!ns)
        fprintf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no blessed SVs</text>\n",
                (PL + SVG_W - PR) / 2, (PT + SVG_H - PB) / 2);
    fprintf(o, "</svg>\n");
    free(x);
    free(series);
    return fclose(o) == 0 ? 0 : -1;
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
    const char *pattern = NULL, *svg = NULL;
    int csv = 0, top = 8, nfiles = 0, opts_done = 0;
    char **files = xmalloc((size_t)argc * sizeof *files);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (opts_done || a[0] != '-' || !a[1]) {
            files[nfiles++] = argv[i];
            continue;
        }
        int needs_value = !strcmp(a, "--blessed") || !strcmp(a, "--svg") || !strcmp(a, "--top") ||
                          !strcmp(a, "--pmat-version");
        if (needs_value && i + 1 >= argc) {
            fprintf(stderr, "%s: %s needs a value (try --help)\n", prog, a);
            free(files);
            return 2;
        }
        if (!strcmp(a, "--")) opts_done = 1;
        else if (!strcmp(a, "--csv")) csv = 1;
        else if (!strcmp(a, "--bytes")) by_bytes = 1;
        else if (!strcmp(a, "--blessed")) pattern = argv[++i];
        else if (!strcmp(a, "--svg")) svg = argv[++i];
        else if (!strcmp(a, "--pmat-version")) {
            if (cm_set_pmat_version(argv[++i]) < 0) {
                fprintf(stderr, "%s: --pmat-version needs a Devel::MAT version such as 0.51 or 0.56, not \"%s\"\n",
                        prog, argv[i]);
                free(files);
                return 2;
            }
        }
        else if (!strcmp(a, "--top")) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 1000) {
                fprintf(stderr, "%s: --top wants a number from 1 to 1000, not \"%s\"\n", prog, argv[i]);
                free(files);
                return 2;
            }
            top = (int)v;
        }
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); free(files); return 0; }
        else {
            fprintf(stderr, "%s: unknown option %s (try --help)\n", prog, a);
            free(files);
            return 2;
        }
    }
    if (nfiles < 1) {
        fprintf(stderr, "%s: no files (try --help)\n", prog);
        free(files);
        return 2;
    }
    regex_t re;
    if (pattern) {
        int e = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);
        if (e) {
            char msg[256];
            regerror(e, &re, msg, sizeof msg);
            fprintf(stderr, "%s: --blessed %s: %s\n", prog, pattern, msg);
            free(files);
            return 2;
        }
    }
    int progress = isatty(2);
    /* One file's index (tens of MB) is freed before the next is built:
     * with glibc's sliding mmap threshold those buffers would come from the
     * heap after the first free and stay resident; a fixed threshold keeps
     * every large buffer an mmap that free() returns. */
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD)
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
    table t = { NULL, 0, 0, nfiles };
    int rc = 0;
    for (int k = 0; k < nfiles && !rc; k++) {
        if (progress)
            fprintf(stderr, "\r\033[K[file %d of %d, %d%%] %s", k + 1, nfiles,
                    100 * k / nfiles, files[k]), fflush(stderr);
        if (count_file(&t, k, files[k], pattern ? &re : NULL) < 0)
            rc = 2;
    }
    if (progress)
        fputs("\r\033[K", stderr);
    if (!rc) {
        /* --bytes: everything below (sorting, growth, text, CSV, chart)
         * reads the count arrays, so hand it the bytes there */
        for (size_t i = 0; by_bytes && i < t.n; i++) {
            uint64_t *c = t.v[i].count;
            t.v[i].count = t.v[i].bytes;
            t.v[i].bytes = c;
        }
        sort_table = &t;
        qsort(t.v, t.n, sizeof *t.v, cmp_row);
        if (csv)
            print_csv(&t, files, !pattern);
        else
            print_text(&t, files, !pattern);
        if (svg && cc_write_svg(svg, &t, files, top) < 0) {
            fprintf(stderr, "%s: %s: cannot write the chart\n", prog, svg);
            rc = 2;
        }
    }
    for (size_t i = 0; i < t.n; i++) {
        free(t.v[i].name);
        free(t.v[i].count);
        free(t.v[i].bytes);
    }
    free(t.v);
    if (pattern)
        regfree(&re);
    free(files);
    return rc;
}
