/* pmat_error.c - errors as values: "FILE: at byte N: what went wrong". */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <inttypes.h>

#include "pmat_int.h"

const char *pmat_error_message(const pmat_error *err)
{
    return err ? err->msg : "(no error)";
}

static void vset(pmat_error *err, const char *path, int has_off, uint64_t off,
                 const char *suffix, const char *fmt, va_list ap)
{
    if (!err)
        return;
    err->offset = off;
    err->has_offset = has_off;
    int n;
    if (has_off)
        n = snprintf(err->msg, sizeof err->msg, "%s: at byte %" PRIu64 ": ",
                     path ? path : "(unknown)", off);
    else
        n = snprintf(err->msg, sizeof err->msg, "%s: ", path ? path : "(unknown)");
    if (n < 0 || (size_t)n >= sizeof err->msg)
        return;
    int m = vsnprintf(err->msg + n, sizeof err->msg - (size_t)n, fmt, ap);
    if (m < 0 || (size_t)(n + m) >= sizeof err->msg)
        return;
    if (suffix)
        snprintf(err->msg + n + m, sizeof err->msg - (size_t)(n + m), "%s", suffix);
    /* The message must stay one line whatever bytes a path holds. */
    for (char *p = err->msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = '?';
}

int pmat_fail(pmat_cur *c, const char *fmt, ...)
{
    char suffix[160];
    suffix[0] = 0;
    if (c->what && c->has_sv)
        snprintf(suffix, sizeof suffix, " (in the %s of SV 0x%" PRIx64 ")", c->what, c->sv);
    else if (c->what)
        snprintf(suffix, sizeof suffix, " (in the %s)", c->what);
    va_list ap;
    va_start(ap, fmt);
    vset(c->err, c->f->path, 1, c->pos, suffix, fmt, ap);
    va_end(ap);
    return -1;
}

int pmat_fail_at(pmat_error *err, const char *path, uint64_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(err, path, 1, off, NULL, fmt, ap);
    va_end(ap);
    return -1;
}

int pmat_fail_noff(pmat_error *err, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(err, path, 0, 0, NULL, fmt, ap);
    va_end(ap);
    return -1;
}
