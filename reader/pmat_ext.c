/* pmat_ext.c - SV extension records (0x80..): PTR of the SV they belong
 * to, then header bytes/PTRs/STRs sized by the extension table. */
#include <inttypes.h>
#include <string.h>

#include "pmat_int.h"

static uint64_t hdr_uint(const pmat_file *f, const pmat_raw *raw, unsigned i)
{
    uint64_t w = (uint64_t)f->h.uint_len;
    if (raw->hdr_len < (i + 1) * w)
        return 0;
    return pmat_get_uint_n(f, f->map + raw->hdr_off + i * w, f->h.uint_len);
}

static uint8_t hdr_u8(const pmat_file *f, const pmat_raw *raw, unsigned i)
{
    return raw->hdr_len > i ? f->map[raw->hdr_off + i] : 0;
}

/* A field of len bytes at byte offset at of the header; 0 when the size
 * table makes the header shorter (an older or a leaner writer). */
static uint64_t hdr_field(const pmat_file *f, const pmat_raw *raw, unsigned at, int len)
{
    if (raw->hdr_len < at + (unsigned)len)
        return 0;
    return pmat_get_uint_n(f, f->map + raw->hdr_off + at, len);
}

/* MAGICv2: U8 SHAPE, U8 FLAGS, U16 PRIV, UINT PTRLEN, UINT KEYIV; PTRs
 * FUNCS, AUXSV, PTR, KEYSV, USERSTRUCT.  PRIV is read in the file's byte
 * order (Devel::MAT 0.56 unpacks it in the host's). */
static void decode_magicv2(const pmat_file *f, pmat_ext *o)
{
    const pmat_raw *r = &o->raw;
    unsigned ul = (unsigned)f->h.uint_len;
    o->u.magicv2.shape = hdr_u8(f, r, 0);
    o->u.magicv2.flags = hdr_u8(f, r, 1);
    o->u.magicv2.priv = (uint16_t)hdr_field(f, r, 2, 2);
    o->u.magicv2.ptrlen = hdr_field(f, r, 4, (int)ul);
    o->u.magicv2.keyiv = hdr_field(f, r, 4 + ul, (int)ul);
    o->u.magicv2.funcs = pmat_raw_ptr(f, r, 0);
    o->u.magicv2.auxsv = pmat_raw_ptr(f, r, 1);
    o->u.magicv2.ptr = pmat_raw_ptr(f, r, 2);
    o->u.magicv2.keysv = pmat_raw_ptr(f, r, 3);
    o->u.magicv2.userstruct = pmat_raw_ptr(f, r, 4);
}

static void decode_ext(const pmat_file *f, pmat_ext *o)
{
    const pmat_raw *r = &o->raw;
    switch (o->type) {
    case PMAT_SVx_MAGIC:
        o->u.magic.type = hdr_u8(f, r, 0);
        o->u.magic.flags = hdr_u8(f, r, 1);
        o->u.magic.obj = pmat_raw_ptr(f, r, 0);
        o->u.magic.ptr = pmat_raw_ptr(f, r, 1);
        o->u.magic.vtbl = pmat_raw_ptr(f, r, 2);
        break;
    case PMAT_SVx_SAVED_SV:
    case PMAT_SVx_SAVED_AV:
    case PMAT_SVx_SAVED_HV:
    case PMAT_SVx_SAVED_CV:
        o->u.saved = pmat_raw_ptr(f, r, 0);
        break;
    case PMAT_SVx_SAVED_AELEM:
        o->u.aelem.index = hdr_uint(f, r, 0);
        o->u.aelem.sv = pmat_raw_ptr(f, r, 0);
        break;
    case PMAT_SVx_SAVED_HELEM:
        o->u.helem.key = pmat_raw_ptr(f, r, 0);
        o->u.helem.sv = pmat_raw_ptr(f, r, 1);
        break;
    case PMAT_SVx_SVSV_NOTE:
        o->u.note.sv = pmat_raw_ptr(f, r, 0);
        break;
    case PMAT_SVx_DEBUGREPORT:
        o->u.debug.serial = hdr_uint(f, r, 0);
        o->u.debug.line = hdr_uint(f, r, 1);
        break;
    case PMAT_SVx_PV_SHARED_HEK:
        o->u.shared_hek = hdr_field(f, r, 0, f->h.ptr_len);
        break;
    case PMAT_SVx_MAGICv2:
        decode_magicv2(f, o);
        break;
    default:
        break;
    }
}

/* v0.0 MAGIC: SV, OBJ, then the type byte; no flags, no separate ptr. */
static int parse_legacy_magic(pmat_cur *c, pmat_ext *o)
{
    uint8_t t;
    if (pmat_rd_ptr(c, &o->sv) < 0)
        return -1;
    c->has_sv = 1;
    c->sv = o->sv;
    if (pmat_rd_ptr(c, &o->u.magic.obj) < 0 || pmat_rd_u8(c, &t) < 0)
        return -1;
    o->u.magic.type = t;
    o->u.magic.flags = 0x01;
    o->raw.end_off = c->pos;
    return 0;
}

int pmat_ext_parse(pmat_cur *c, pmat_ext *o)
{
    const pmat_file *f = c->f;
    uint8_t type;
    memset(o, 0, sizeof *o);
    o->offset = c->pos;
    c->what = "extension type";
    c->has_sv = 0;
    if (pmat_rd_u8(c, &type) < 0)
        return -1;
    o->type = type;
    if (type < 0x80 || type >= 0xF0) {
        c->pos--;
        return pmat_fail(c, "record type 0x%02x is not an SV extension", type);
    }
    const char *tn = pmat_ext_type_name(type);
    c->what = tn ? tn : "extension";
    if (f->h.format_minor == 0 && type == PMAT_SVx_MAGIC)
        return parse_legacy_magic(c, o);
    if ((unsigned)(type - 0x80) >= f->h.n_extns) {
        c->pos--;
        return pmat_fail(c, "unknown SV extension type 0x%02x (the size table has %u)", type,
                         f->h.n_extns);
    }
    if (pmat_rd_ptr(c, &o->sv) < 0)
        return -1;
    c->has_sv = 1;
    c->sv = o->sv;
    const pmat_sizes *sz = &f->h.extns[type - 0x80];
    pmat_raw *r = &o->raw;
    r->hdr_off = c->pos;
    r->hdr_len = sz->bytes;
    if (pmat_rd_skip(c, sz->bytes) < 0)
        return -1;
    r->ptrs_off = c->pos;
    r->nptrs = sz->nptrs;
    if (pmat_rd_skip(c, (uint64_t)sz->nptrs * (uint64_t)f->h.ptr_len) < 0)
        return -1;
    r->strs_off = c->pos;
    r->nstrs = sz->nstrs;
    pmat_str first = { NULL, 0, 1 };
    for (unsigned i = 0; i < sz->nstrs; i++) {
        pmat_str s;
        if (pmat_rd_str(c, &s) < 0)
            return -1;
        if (i == 0)
            first = s;
    }
    r->body_off = r->end_off = c->pos;
    decode_ext(f, o);
    if (type == PMAT_SVx_SVSV_NOTE)
        o->u.note.name = first;
    else if (type == PMAT_SVx_DEBUGREPORT)
        o->u.debug.file = first;
    c->what = NULL;
    return 0;
}

int pmat_ext_read(const pmat_file *f, uint64_t offset, pmat_ext *out, pmat_error *err)
{
    pmat_cur c;
    pmat_cur_init(&c, f, offset, err, "extension");
    return pmat_ext_parse(&c, out);
}

size_t pmat_ext_count(const pmat_file *f) { return f->nexts; }

int pmat_ext_get(const pmat_file *f, size_t i, pmat_ext *out, pmat_error *err)
{
    if (i >= f->nexts)
        return -1;
    return pmat_ext_read(f, f->exts[i].off, out, err);
}

size_t pmat_sv_extensions(const pmat_file *f, uint64_t addr, size_t *first)
{
    size_t lo = 0, hi = f->nexts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->exts[mid].sv < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    while (lo + n < f->nexts && f->exts[lo + n].sv == addr)
        n++;
    *first = lo;
    return n;
}

const char *pmat_ext_type_name(unsigned type)
{
    static const char *const names[] = {
        "MAGIC", "SAVED_SV", "SAVED_AV", "SAVED_HV", "SAVED_AELEM", "SAVED_HELEM",
        "SAVED_CV", "SVSV_NOTE", "DEBUGREPORT", "PV_SHARED_HEK", "MAGICv2"
    };
    if (type >= 0x80 && type - 0x80 < sizeof names / sizeof names[0])
        return names[type - 0x80];
    return NULL;
}
