/* cmd_sizes.c - Devel::MAT::Tool::Sizes: the structure set and the owned
 * set of an SV, and their sizes, which size, largest and count --struct /
 * --owned measure by. */
#include <stdlib.h>
#include <string.h>

#include "cmd_shared.h"

static void il_push(idxlist *l, uint32_t x)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = x;
}

uint64_t sv_size(cm *m, size_t i)
{
    pmat_sv sv;
    return pmat_sv_get(m->f, i, &sv, &m->err) == 0 ? sv.size : 0;
}

/* structure_set: the SV, then the parts of its structure (not immortals) */
void structure_set(cm *m, size_t i, idxlist *out_)
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
void owned_set(cm *m, size_t i, idxlist *out_)
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

uint64_t metric_size(cm *m, size_t i, int metric)
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

uint64_t *owned_sizes(cm *m)
{
    uint64_t *r = malloc((m->n + 1) * sizeof *r);
    if (!r)
        return NULL;
    for (size_t i = 0; i < m->n; i++)
        r[i] = metric_size(m, i, 2);
    return r;
}
