/* pmat_ctx.c - context records: the caller stack at the time of the dump. */
#include <inttypes.h>
#include <string.h>

#include "pmat_int.h"

/* v0.1 files had no context size table: fields were fixed per type. */
static int parse_v0_1(pmat_cur *c, pmat_ctx *o)
{
    if (pmat_rd_u8(c, &o->gimme) < 0 || pmat_rd_str(c, &o->file) < 0 ||
        pmat_rd_uint(c, &o->line) < 0)
        return -1;
    switch (o->type) {
    case PMAT_CTX_SUB:
        o->olddepth = -1;
        return (pmat_rd_ptr(c, &o->cv) < 0 || pmat_rd_ptr(c, &o->args) < 0) ? -1 : 1;
    case PMAT_CTX_TRY:
        return 1;
    case PMAT_CTX_EVAL:
        return pmat_rd_ptr(c, &o->codesv) < 0 ? -1 : 1;
    default:
        c->pos = o->offset;
        return pmat_fail(c, "unknown context type %u", o->type);
    }
}

static int read_part(pmat_cur *c, const pmat_sizes *sz, pmat_raw *r)
{
    r->hdr_off = c->pos;
    r->hdr_len = sz->bytes;
    if (pmat_rd_skip(c, sz->bytes) < 0)
        return -1;
    r->ptrs_off = c->pos;
    r->nptrs = sz->nptrs;
    if (pmat_rd_skip(c, (uint64_t)sz->nptrs * (uint64_t)c->f->h.ptr_len) < 0)
        return -1;
    r->strs_off = c->pos;
    r->nstrs = sz->nstrs;
    for (unsigned i = 0; i < sz->nstrs; i++) {
        pmat_str s;
        if (pmat_rd_str(c, &s) < 0)
            return -1;
    }
    r->body_off = r->end_off = c->pos;
    return 0;
}

/* 1 = a context, 0 = the terminating zero, -1 = error. */
int pmat_ctx_parse(pmat_cur *c, pmat_ctx *o)
{
    const pmat_file *f = c->f;
    uint8_t type;
    memset(o, 0, sizeof *o);
    o->offset = c->pos;
    c->what = "context type";
    c->has_sv = 0;
    if (pmat_rd_u8(c, &type) < 0)
        return -1;
    if (type == 0)
        return 0;
    o->type = type;
    c->what = "context";
    if (f->h.format_minor < 2)
        return parse_v0_1(c, o);
    if (type >= f->h.n_ctxs) {
        c->pos--;
        return pmat_fail(c, "unknown context type %u (the size table has %u)", type,
                         f->h.n_ctxs);
    }
    pmat_raw common;
    if (read_part(c, &f->h.ctxs[0], &common) < 0)
        return -1;
    o->gimme = f->map[common.hdr_off];
    o->line = pmat_get_uint_n(f, f->map + common.hdr_off + 1, f->h.uint_len);
    if (pmat_raw_str(f, &common, 0, &o->file, c->err) < 0)
        return -1;
    if (read_part(c, &f->h.ctxs[type], &o->raw) < 0)
        return -1;
    switch (type) {
    case PMAT_CTX_SUB:
        o->olddepth = o->raw.hdr_len >= 4
            ? (int64_t)pmat_get_uint_n(f, f->map + o->raw.hdr_off, 4) : -1;
        o->cv = pmat_raw_ptr(f, &o->raw, 0);
        o->args = pmat_raw_ptr(f, &o->raw, 1);
        break;
    case PMAT_CTX_EVAL:
        o->codesv = pmat_raw_ptr(f, &o->raw, 0);
        break;
    default:
        break;
    }
    return 1;
}

size_t pmat_ctx_count(const pmat_file *f) { return f->nctxs; }

int pmat_ctx_get(const pmat_file *f, size_t i, pmat_ctx *out, pmat_error *err)
{
    if (i >= f->nctxs)
        return -1;
    pmat_cur c;
    pmat_cur_init(&c, f, f->ctx_offs[i], err, "context");
    return pmat_ctx_parse(&c, out) == 1 ? 0 : -1;
}

const char *pmat_ctx_type_name(unsigned type)
{
    switch (type) {
    case PMAT_CTX_SUB: return "SUB";
    case PMAT_CTX_TRY: return "TRY";
    case PMAT_CTX_EVAL: return "EVAL";
    default: return NULL;
    }
}
