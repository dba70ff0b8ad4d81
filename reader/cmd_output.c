/* cmd_output.c - where the commands write, and how: the output stream, the
 * one-line usage error, and pmat's table layout, which count, roots,
 * elems, values, strtab and the reference listings print through.
 *
 * Output formats follow Devel::MAT 0.51's tools (without colours): tables
 * are laid out like Devel::MAT::Cmd's print_table, lists that pmat pages 30
 * at a time are printed as the same pages (each page is its own table). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_shared.h"

/* The stream cm_run was given; every command writes to it. */
FILE *cmd_out;

/* A usage error: one line on stderr, exit status 2. */
int usage_err(const char *fmt, ...)
{
    va_list ap;
    fflush(cmd_out);
    fputs("cpmat: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 2;
}

void tab_row(table *t, size_t ncols, ...)
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
size_t ulen(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

/* sep: array of ncols-1 separators or NULL for " "; right[c]: right-align */
void tab_print(table *t, int indent, const char *const *sep, const char *onesep,
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
        fprintf(cmd_out, "%*s", indent, "");
        for (size_t c = 0; c < cols; c++) {
            if (c)
                fputs(sep ? sep[c - 1] : onesep ? onesep : " ", cmd_out);
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
                fputs(cell, cmd_out);
            } else if (ra) {
                fprintf(cmd_out, "%*s%s", (int)(w[c] > l ? w[c] - l : 0), "", cell);
            } else {
                fprintf(cmd_out, "%s%*s", cell, (int)(w[c] > l ? w[c] - l : 0), "");
            }
            free(dash);
        }
        fputc('\n', cmd_out);
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
