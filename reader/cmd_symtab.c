/* cmd_symtab.c - the walk over the symbol table that symbols and packages
 * share: a stash's symbols sorted and named with their prefix, and the
 * queue pmat's tools take them from (unshift at the front). */
#include <stdlib.h>
#include <string.h>

#include "cmd_shared.h"

void sq_unshift_list(symqueue *q, symq *items, size_t n)
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
size_t extract_symbols(cm *m, uint64_t stash, const char *prefix, symq **out_)
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
