/* leak_series.c - the keys of the SVs of a dump, for comparing a series
 * (cpmat-leakreport). */
#include <stdlib.h>
#include <string.h>

#include "leak_series.h"

/* Devel::MAT's basetype() per SV class: every scalar-ish class (SCALAR,
 * REF, BOOL, UNDEF, YES, NO) is "SV", every array-ish one (ARRAY and the
 * PAD/PADLIST/PADNAMES it reblesses) "AV", HASH/STASH/CLASS "HV".  It
 * depends on the type byte alone, so the keys need no model. */
uint8_t lk_basetype(unsigned type)
{
    switch (type) {
    case PMAT_SVt_SCALAR: case PMAT_SVt_REF: case PMAT_SVt_UNDEF:
    case PMAT_SVt_YES: case PMAT_SVt_NO:
        return LK_BT_SV;
    case PMAT_SVt_ARRAY: return LK_BT_AV;
    case PMAT_SVt_HASH: case PMAT_SVt_STASH: case PMAT_SVt_CLASS: return LK_BT_HV;
    case PMAT_SVt_CODE: return LK_BT_CV;
    case PMAT_SVt_GLOB: return LK_BT_GV;
    case PMAT_SVt_IO: return LK_BT_IO;
    case PMAT_SVt_LVALUE: return LK_BT_LV;
    case PMAT_SVt_REGEXP: return LK_BT_REGEXP;
    case PMAT_SVt_FORMAT: return LK_BT_PVFM;
    case PMAT_SVt_INVLIST: return LK_BT_INVLIST;
    case PMAT_SVt_OBJECT: return LK_BT_OBJ;
    case PMAT_SVt_C_STRUCT: return LK_BT_C_STRUCT;
    default: return LK_BT_OTHER;
    }
}

const char *lk_basetype_name(uint8_t bt)
{
    static const char *const names[] = { "?", "SV", "AV", "HV", "CV", "GV", "IO", "LV",
                                         "REGEXP", "PVFM", "INVLIST", "OBJ", "C_STRUCT", "OTHER" };
    return bt < sizeof names / sizeof names[0] ? names[bt] : "?";
}

/* Position on the last record of a run of equal addresses. */
static void cursor_settle(lk_cursor *c)
{
    while (c->i + 1 < c->n && pmat_sv_addr(c->f, c->i + 1) == pmat_sv_addr(c->f, c->i))
        c->i++;
}

void lk_cursor_init(lk_cursor *c, const pmat_file *f)
{
    c->f = f;
    c->i = 0;
    c->n = pmat_sv_count(f);
    cursor_settle(c);
}

lk_key lk_cursor_key(const lk_cursor *c)
{
    lk_key k = { pmat_sv_addr(c->f, c->i), lk_basetype(pmat_sv_type(c->f, c->i)) };
    return k;
}

void lk_cursor_next(lk_cursor *c)
{
    c->i++;
    cursor_settle(c);
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

void lk_keys_load(lk_keys *k, const pmat_file *f)
{
    /* free first: nothing of the old keys is needed any more */
    lk_keys_free(k);
    size_t n = pmat_sv_count(f);
    /* at most 10 varint bytes + 1 type byte a key; pages never written
     * are never resident, and the buffer shrinks to fit at the end */
    uint8_t *buf = xmalloc(n * 11 + 1), *p = buf;
    uint64_t last = 0;
    size_t j = 0;
    lk_cursor c;
    for (lk_cursor_init(&c, f); !lk_cursor_done(&c); lk_cursor_next(&c)) {
        lk_key key = lk_cursor_key(&c);
        p = put_varint(p, key.addr - last);
        *p++ = key.bt;
        last = key.addr;
        j++;
    }
    k->len = (size_t)(p - buf);
    k->buf = xrealloc(buf, k->len + 1);
    k->n = j;
}

void lk_keys_free(lk_keys *k)
{
    free(k->buf);
    memset(k, 0, sizeof *k);
}

void lk_kcur_init(lk_kcur *c, const lk_keys *k)
{
    c->p = k->buf;
    c->end = k->buf + k->len;
    c->key.addr = 0;
    c->key.bt = 0;
    c->done = 0;
    lk_kcur_next(c);
}

void lk_kcur_next(lk_kcur *c)
{
    if (c->p >= c->end) {
        c->done = 1;
        return;
    }
    uint64_t delta = 0;
    unsigned shift = 0;
    while (c->p < c->end && shift < 64) {
        uint8_t b = *c->p++;
        delta |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    c->key.addr += delta;
    c->key.bt = c->p < c->end ? *c->p++ : 0;
}

size_t lk_count_new(const lk_keys *prev, const pmat_file *f)
{
    size_t nnew = 0;
    lk_kcur j;
    lk_kcur_init(&j, prev);
    lk_cursor c;
    for (lk_cursor_init(&c, f); !lk_cursor_done(&c); lk_cursor_next(&c)) {
        lk_key key = lk_cursor_key(&c);
        while (!j.done && lk_key_cmp(j.key, key) < 0)
            lk_kcur_next(&j);
        if (j.done || lk_key_cmp(j.key, key) != 0)
            nnew++;
    }
    return nnew;
}
