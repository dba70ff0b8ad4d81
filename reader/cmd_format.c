/* cmd_format.c - SVs with their values, as pmat prints them in listings
 * (Devel::MAT::Cmd's format_sv_with_value and format_value), and a pad's
 * slots as show --pad and callers --pad list them. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_shared.h"

char *fmt_nv(double nv)
{
    if (isnan(nv))
        return xstrdup("NaN");
    if (isinf(nv))
        return xstrdup(nv < 0 ? "-Inf" : "Inf");
    return xasprintf("%.15g", nv);
}

/* format_value(pv => 1): perlstring, truncated at 64 characters + "..." */
char *fmt_pv(const pmat_str *s, size_t maxlen)
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
char *scalar_num(const pmat_sv *sv)
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

/* The SV and, for what has one, its value: a scalar's number and PV, a
 * REF's referrant (recursively, up to 64 deep), an unblessed container's
 * first element, a glob's or stash's name. */
char *format_sv_with_value(cm *m, uint64_t addr, int depth)
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

void show_pad_contents(cm *m, const pmat_sv *pad, const cm_code *c)
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
            fprintf(cmd_out, "  [%*" PRIu64 "/%s%*s]=%s\n", idxlen, j, nm,
                    (int)(namelen > ulen(nm) ? namelen - ulen(nm) : 0), "", v);
        } else {
            const char *t = "";
            for (size_t k = 0; k < c->ngvix; k++)
                if (c->gvix[k] == j)
                    t = "GLOB";
            for (size_t k = 0; k < c->nconstix; k++)
                if (c->constix[k] == j)
                    t = "CONST";
            fprintf(cmd_out, "  [%*" PRIu64 " %-*s]=%s\n", idxlen, j, (int)namelen, t, v);
        }
        free(v);
    }
    for (uint64_t j = 0; j < n; j++)
        free(names[j]);
    free(names);
}
