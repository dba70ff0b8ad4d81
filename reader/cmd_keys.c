/* cmd_keys.c - a hash's keys as values and strtab list them: the entries
 * in file order, Perl's default sort, the /PATTERN/FLAGS key filter, the
 * selection by filter, --no-sort and --skip; and the match of a POSIX
 * regex over a string's bytes, which find pv --regexp uses too. */
#include <stdlib.h>
#include <string.h>

#include "cmd_shared.h"

/* A POSIX extended regex over a string's bytes, like pmat's unanchored =~
 * match.  REG_STARTEND (glibc, BSDs) bounds the subject by length, so a
 * string with NUL bytes is matched whole; without it the string is copied
 * and matched up to its first NUL. */
int regex_match_str(const regex_t *re, const pmat_str *s)
{
#ifdef REG_STARTEND
    regmatch_t rm[1];
    rm[0].rm_so = 0;
    rm[0].rm_eo = (regoff_t)s->len;
    return regexec(re, s->ptr ? (const char *)s->ptr : "", 1, rm, REG_STARTEND) == 0;
#else
    char *z = xmalloc(s->len + 1);
    memcpy(z, s->ptr, s->len);
    z[s->len] = 0;
    int r = regexec(re, z, 0, NULL, 0) == 0;
    free(z);
    return r;
#endif
}

/* Perl's default sort: bytes, then length. */
int cmp_kv(const void *a, const void *b)
{
    const kv *x = a, *y = b;
    size_t l = x->key.len < y->key.len ? x->key.len : y->key.len;
    int c = l ? memcmp(x->key.ptr, y->key.ptr, l) : 0;
    if (c)
        return c;
    return x->key.len < y->key.len ? -1 : x->key.len > y->key.len;
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
    return regex_match_str(&kf->re, key);
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

kv *listed_keys(cm *m, const char *cmd, size_t i, const char *filter, int no_sort,
                long long skip, size_t *n, size_t *first, int *rc)
{
    keyfilter kf;
    if ((*rc = keyfilter_parse(cmd, filter, &kf)) != 0)
        return NULL;
    pmat_sv sv;
    kv *v = NULL;
    if (pmat_sv_get(m->f, i, &sv, &m->err) < 0)
        *rc = usage_err("%s: %s", cmd, pmat_error_message(&m->err));
    else if (!(v = hash_entries(m, &sv, n)))
        *rc = 2;
    else
        *n = select_keys(v, *n, &kf, no_sort, skip, first);
    keyfilter_free(&kf);
    return v;
}
