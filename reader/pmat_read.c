/* pmat_read.c - bounds-checked primitive reads from the mapping.
 *
 * Integers are assembled byte by byte in the file's byte order, so the
 * host's endianness never matters and no unaligned loads happen. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <inttypes.h>

#include "pmat_int.h"

void pmat_cur_init(pmat_cur *c, const pmat_file *f, uint64_t pos, pmat_error *err,
                   const char *what)
{
    c->f = f;
    c->pos = pos;
    c->end = f->size;
    c->err = err;
    c->what = what;
    c->has_sv = 0;
    c->sv = 0;
}

static int truncated(pmat_cur *c)
{
    char suffix[120] = "";
    if (c->has_sv)
        snprintf(suffix, sizeof suffix, " of SV 0x%" PRIx64, c->sv);
    return pmat_fail_at(c->err, c->f->path, c->pos, "truncated while reading the %s%s",
                        c->what ? c->what : "file", suffix);
}

static int need(pmat_cur *c, uint64_t n)
{
    if (c->pos > c->end || c->end - c->pos < n)
        return truncated(c);
    return 0;
}

/* x87 80-bit extended: 1 sign bit, 15-bit exponent, 64-bit mantissa with
 * an explicit integer bit.  Converted by hand so it works on any host. */
static double extended_to_double(const pmat_file *f, const unsigned char *p)
{
    unsigned char b[10];
    if (f->h.big_endian)
        for (int i = 0; i < 10; i++)
            b[i] = p[9 - i];
    else
        memcpy(b, p, 10);
    uint64_t mant = 0;
    for (int i = 7; i >= 0; i--)
        mant = (mant << 8) | b[i];
    unsigned se = (unsigned)b[8] | ((unsigned)b[9] << 8);
    int neg = (se & 0x8000) != 0;
    int exp = (int)(se & 0x7fff);
    double v;
    if (exp == 0x7fff)
        v = (mant << 1) ? NAN : INFINITY;
    else if (exp == 0 && mant == 0)
        v = 0.0;
    else
        v = ldexp((double)mant, exp - 16383 - 63);
    return neg ? -v : v;
}

double pmat_get_nv(const pmat_file *f, const unsigned char *p)
{
    if (f->h.nv_len == 10)
        return extended_to_double(f, p);
    uint64_t bits = pmat_get_uint_n(f, p, 8);
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

int pmat_rd_u8(pmat_cur *c, uint8_t *v)
{
    if (need(c, 1) < 0)
        return -1;
    *v = c->f->map[c->pos++];
    return 0;
}

int pmat_rd_u32(pmat_cur *c, uint32_t *v)
{
    if (need(c, 4) < 0)
        return -1;
    *v = (uint32_t)pmat_get_uint_n(c->f, c->f->map + c->pos, 4);
    c->pos += 4;
    return 0;
}

int pmat_rd_uint(pmat_cur *c, uint64_t *v)
{
    int n = c->f->h.uint_len;
    if (need(c, (uint64_t)n) < 0)
        return -1;
    *v = pmat_get_uint_n(c->f, c->f->map + c->pos, n);
    c->pos += (uint64_t)n;
    return 0;
}

int pmat_rd_ptr(pmat_cur *c, uint64_t *v)
{
    int n = c->f->h.ptr_len;
    if (need(c, (uint64_t)n) < 0)
        return -1;
    *v = pmat_get_uint_n(c->f, c->f->map + c->pos, n);
    c->pos += (uint64_t)n;
    return 0;
}

int pmat_rd_nv(pmat_cur *c, double *v)
{
    int n = c->f->h.nv_len;
    if (need(c, (uint64_t)n) < 0)
        return -1;
    *v = pmat_get_nv(c->f, c->f->map + c->pos);
    c->pos += (uint64_t)n;
    return 0;
}

int pmat_rd_str(pmat_cur *c, pmat_str *s)
{
    uint64_t start = c->pos, len;
    if (pmat_rd_uint(c, &len) < 0)
        return -1;
    if (len == c->f->minus_1) {
        s->ptr = NULL;
        s->len = 0;
        s->is_null = 1;
        return 0;
    }
    if (c->end - c->pos < len) {
        uint64_t remain = c->end - c->pos;
        c->pos = start;
        return pmat_fail(c, "string length %" PRIu64 " exceeds the %" PRIu64
                         " bytes that remain", len, remain);
    }
    s->ptr = c->f->map + c->pos;
    s->len = len;
    s->is_null = 0;
    c->pos += len;
    return 0;
}

int pmat_rd_skip(pmat_cur *c, uint64_t n)
{
    if (need(c, n) < 0)
        return -1;
    c->pos += n;
    return 0;
}

int pmat_rd_sized(pmat_cur *c, const pmat_sizes *sz)
{
    if (pmat_rd_skip(c, sz->bytes) < 0)
        return -1;
    if (pmat_rd_skip(c, (uint64_t)sz->nptrs * (uint64_t)c->f->h.ptr_len) < 0)
        return -1;
    for (unsigned i = 0; i < sz->nstrs; i++) {
        pmat_str s;
        if (pmat_rd_str(c, &s) < 0)
            return -1;
    }
    return 0;
}

int pmat_rd_check_count(pmat_cur *c, uint64_t n, uint64_t each, const char *items)
{
    uint64_t remain = c->pos <= c->end ? c->end - c->pos : 0;
    if (each == 0)
        each = 1;
    if (n > remain / each)
        return pmat_fail(c, "count %" PRIu64 " of %s cannot fit in the %" PRIu64
                         " bytes that remain", n, items, remain);
    return 0;
}
