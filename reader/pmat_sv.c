/* pmat_sv.c - decoding SV records from the mapping.
 *
 * A record is: type byte, the common header (size table entry 0: bytes,
 * PTRs, STRs), the type's header/PTRs/STRs (entry [type]), then a body for
 * the types that have one.  Fields are picked out of the table-sized parts
 * by position; a field beyond what the table says the file holds reads as
 * its default (files of older format versions have fewer fields), and
 * trailing fields this reader doesn't know are skipped by size. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pmat_int.h"

/* A read position inside a table-sized header: running off the end yields
 * the default instead of an error, for the reason given above. */
typedef struct hdr {
    const pmat_file *f;
    uint64_t pos, end;
} hdr;

static uint64_t h_int(hdr *h, int len, uint64_t dflt)
{
    if (h->end - h->pos < (uint64_t)len) {
        h->pos = h->end;
        return dflt;
    }
    uint64_t v = pmat_get_uint_n(h->f, h->f->map + h->pos, len);
    h->pos += (uint64_t)len;
    return v;
}
static uint64_t h_u8(hdr *h) { return h_int(h, 1, 0); }
static uint64_t h_uint(hdr *h) { return h_int(h, h->f->h.uint_len, 0); }
static uint64_t h_ptr(hdr *h) { return h_int(h, h->f->h.ptr_len, 0); }

static double h_nv(hdr *h)
{
    if (h->end - h->pos < (uint64_t)h->f->h.nv_len) {
        h->pos = h->end;
        return 0.0;
    }
    double d = pmat_get_nv(h->f, h->f->map + h->pos);
    h->pos += (uint64_t)h->f->h.nv_len;
    return d;
}

/* A UINT as a signed number of the file's width. */
static int64_t uint_signed(const pmat_file *f, uint64_t v)
{
    if (f->h.uint_len == 4)
        return (int64_t)(int32_t)(uint32_t)v;
    return (int64_t)v;
}

const unsigned char *pmat_raw_bytes(const pmat_file *f, const pmat_raw *raw)
{
    if (raw->hdr_off > f->size || f->size - raw->hdr_off < raw->hdr_len)
        return NULL;
    return f->map + raw->hdr_off;
}

uint64_t pmat_raw_ptr(const pmat_file *f, const pmat_raw *raw, unsigned i)
{
    if (i >= raw->nptrs)
        return 0;
    return pmat_get_uint_n(f, f->map + raw->ptrs_off + (uint64_t)i * (uint64_t)f->h.ptr_len,
                           f->h.ptr_len);
}

int pmat_raw_str(const pmat_file *f, const pmat_raw *raw, unsigned i, pmat_str *out,
                 pmat_error *err)
{
    out->ptr = NULL;
    out->len = 0;
    out->is_null = 1;
    if (i >= raw->nstrs)
        return 0;
    pmat_cur c;
    pmat_cur_init(&c, f, raw->strs_off, err, "strings");
    for (unsigned k = 0; k <= i; k++)
        if (pmat_rd_str(&c, out) < 0)
            return -1;
    return 0;
}

/* Read a table-sized part into raw (header region, PTRs, STRs). */
static int read_part(pmat_cur *c, const pmat_sizes *sz, pmat_raw *raw)
{
    raw->hdr_off = c->pos;
    raw->hdr_len = sz->bytes;
    if (pmat_rd_skip(c, sz->bytes) < 0)
        return -1;
    raw->ptrs_off = c->pos;
    raw->nptrs = sz->nptrs;
    if (pmat_rd_skip(c, (uint64_t)sz->nptrs * (uint64_t)c->f->h.ptr_len) < 0)
        return -1;
    raw->strs_off = c->pos;
    raw->nstrs = sz->nstrs;
    for (unsigned i = 0; i < sz->nstrs; i++) {
        pmat_str s;
        if (pmat_rd_str(c, &s) < 0)
            return -1;
    }
    raw->body_off = c->pos;
    return 0;
}

static const pmat_sizes *type_sizes(const pmat_file *f, unsigned type)
{
    static const pmat_sizes none = { 0, 0, 0 };
    return type < f->h.n_types ? &f->h.types[type] : &none;
}

static int str_at(pmat_cur *c, const pmat_raw *raw, unsigned i, pmat_str *s)
{
    return pmat_raw_str(c->f, raw, i, s, c->err);
}

/* ---- bodies ----------------------------------------------------------- */

/* STR KEY, [PTR HEK (v0.6 on),] PTR VALUE */
static int read_hash_entry(pmat_cur *c, pmat_str *key, uint64_t *hek, uint64_t *value)
{
    if (pmat_rd_str(c, key) < 0)
        return -1;
    *hek = 0;
    if (c->f->h.hash_heks) {
        c->what = "HASH entry HEK";
        if (pmat_rd_ptr(c, hek) < 0)
            return -1;
        c->what = "HASH body";
    }
    return pmat_rd_ptr(c, value) < 0 ? -1 : 0;
}

static int skip_hash_body(pmat_cur *c, uint64_t n)
{
    const pmat_header *h = &c->f->h;
    uint64_t entry = (uint64_t)h->uint_len + (uint64_t)h->ptr_len * (h->hash_heks ? 2u : 1u);
    if (pmat_rd_check_count(c, n, entry, "hash entries") < 0)
        return -1;
    for (uint64_t i = 0; i < n; i++) {
        pmat_str k;
        uint64_t hek, v;
        if (read_hash_entry(c, &k, &hek, &v) < 0)
            return -1;
    }
    return 0;
}

/* One CODE body record. 1 = record, 0 = the terminating zero, -1 = error. */
static int read_code_rec(pmat_cur *c, pmat_code_rec *r)
{
    uint8_t t;
    memset(r, 0, sizeof *r);
    if (pmat_rd_u8(c, &t) < 0)
        return -1;
    r->type = t;
    switch (t) {
    case 0:
        return 0;
    case PMAT_CODEx_CONSTSV:
    case PMAT_CODEx_GVSV:
    case PMAT_CODEx_PADNAMES:
        return pmat_rd_ptr(c, &r->ptr) < 0 ? -1 : 1;
    case PMAT_CODEx_CONSTIX:
    case PMAT_CODEx_GVIX:
        return pmat_rd_uint(c, &r->ix) < 0 ? -1 : 1;
    case PMAT_CODEx_PADNAME:
        if (pmat_rd_uint(c, &r->ix) < 0 || pmat_rd_str(c, &r->name) < 0 ||
            pmat_rd_ptr(c, &r->ptr) < 0)
            return -1;
        return 1;
    case PMAT_CODEx_PADSV:   /* obsolete: depth, padix, sv */
        if (pmat_rd_uint(c, &r->ix) < 0 || pmat_rd_uint(c, &r->fieldix) < 0 ||
            pmat_rd_ptr(c, &r->ptr) < 0)
            return -1;
        return 1;
    case PMAT_CODEx_PAD:
        if (pmat_rd_uint(c, &r->ix) < 0 || pmat_rd_ptr(c, &r->ptr) < 0)
            return -1;
        return 1;
    case PMAT_CODEx_PADNAME_FLAGS:
        if (pmat_rd_uint(c, &r->ix) < 0 || pmat_rd_u8(c, &r->flags) < 0)
            return -1;
        return 1;
    case PMAT_CODEx_PADNAME_FIELD:
        if (pmat_rd_uint(c, &r->ix) < 0 || pmat_rd_uint(c, &r->fieldix) < 0 ||
            pmat_rd_ptr(c, &r->ptr) < 0)
            return -1;
        return 1;
    default:
        /* Records carry no length, so one unknown type ends the parse. */
        c->pos--;
        return pmat_fail(c, "unknown CODE body record type %u", t);
    }
}

static int skip_code_body(pmat_cur *c)
{
    pmat_code_rec r;
    int rc;
    while ((rc = read_code_rec(c, &r)) > 0)
        ;
    return rc;
}

static int read_class_rec(pmat_cur *c, uint64_t *ix, pmat_str *name)
{
    uint8_t t;
    if (pmat_rd_u8(c, &t) < 0)
        return -1;
    if (t == 0)
        return 0;
    if (t != 1) {
        c->pos--;
        return pmat_fail(c, "unknown CLASS body record type %u", t);
    }
    if (pmat_rd_uint(c, ix) < 0 || pmat_rd_str(c, name) < 0)
        return -1;
    return 1;
}

/* ---- C_STRUCT ------------------------------------------------------------ */

/* The META_STRUCT in force at a file offset: the latest one before it. */
static const pmat_meta *find_meta(const pmat_file *f, uint64_t id, uint64_t before,
                                  size_t *index)
{
    for (size_t i = f->nmetas; i-- > 0;)
        if (f->metas[i].id == id && f->metas[i].fields_off < before) {
            if (index)
                *index = i;
            return &f->metas[i];
        }
    return NULL;
}

static int field_width(const pmat_file *f, unsigned type)
{
    switch (type) {
    case PMAT_FIELD_PTR: return f->h.ptr_len;
    case PMAT_FIELD_BOOL:
    case PMAT_FIELD_U8: return 1;
    case PMAT_FIELD_U32: return 4;
    case PMAT_FIELD_UINT: return f->h.uint_len;
    default: return -1;
    }
}

static int read_cstruct(pmat_cur *c, pmat_sv *o)
{
    size_t mi;
    const pmat_meta *m = find_meta(c->f, o->blessed, o->offset, &mi);
    if (!m)
        return pmat_fail(c, "C_STRUCT of undefined struct id %" PRIu64, o->blessed);
    o->u.cstruct.id = o->blessed;
    o->u.cstruct.meta = mi;
    o->raw.body_off = c->pos;
    pmat_cur d;
    pmat_cur_init(&d, c->f, m->fields_off, c->err, "META_STRUCT fields");
    for (uint64_t j = 0; j < m->nfields; j++) {
        pmat_str name;
        uint8_t t;
        if (pmat_rd_str(&d, &name) < 0 || pmat_rd_u8(&d, &t) < 0)
            return -1;
        int w = field_width(c->f, t);
        if (w < 0)
            return pmat_fail(c, "C_STRUCT field of unknown type %u", t);
        if (pmat_rd_skip(c, (uint64_t)w) < 0)
            return -1;
    }
    return 0;
}

/* ---- type-specific decoding --------------------------------------------- */

static void decode_scalar(pmat_cur *c, pmat_sv *o, hdr *h)
{
    o->u.scalar.flags = (uint8_t)h_u8(h);
    o->u.scalar.uv = h_uint(h);
    o->u.scalar.iv = uint_signed(c->f, o->u.scalar.uv);
    o->u.scalar.nv = h_nv(h);
    o->u.scalar.pvlen = h_uint(h);
    o->u.scalar.ourstash = pmat_raw_ptr(c->f, &o->raw, 0);
}

static void decode_glob(pmat_cur *c, pmat_sv *o, hdr *h)
{
    const pmat_file *f = c->f;
    o->u.glob.line = h_uint(h);
    /* v0.6 appended NAME_HEK to the header; older tables stop before it */
    o->u.glob.has_name_hek = h->end - h->pos >= (uint64_t)f->h.ptr_len;
    o->u.glob.name_hek = h_ptr(h);
    o->u.glob.stash = pmat_raw_ptr(f, &o->raw, 0);
    o->u.glob.scalar = pmat_raw_ptr(f, &o->raw, 1);
    o->u.glob.array = pmat_raw_ptr(f, &o->raw, 2);
    o->u.glob.hash = pmat_raw_ptr(f, &o->raw, 3);
    o->u.glob.code = pmat_raw_ptr(f, &o->raw, 4);
    o->u.glob.egv = pmat_raw_ptr(f, &o->raw, 5);
    o->u.glob.io = pmat_raw_ptr(f, &o->raw, 6);
    o->u.glob.form = pmat_raw_ptr(f, &o->raw, 7);
}

static void decode_code(pmat_cur *c, pmat_sv *o, hdr *h)
{
    const pmat_file *f = c->f;
    o->u.code.line = h_uint(h);
    o->u.code.flags = (uint8_t)h_u8(h);
    o->u.code.oproot = h_ptr(h);
    /* DEPTH came later; files without it say -1 like Devel::MAT does. */
    if (h->end - h->pos >= 4)
        o->u.code.depth = (int64_t)h_int(h, 4, 0);
    else
        o->u.code.depth = -1;
    o->u.code.has_name_hek = h->end - h->pos >= (uint64_t)f->h.ptr_len;
    o->u.code.name_hek = h_ptr(h);
    o->u.code.stash = pmat_raw_ptr(f, &o->raw, 0);
    o->u.code.glob = pmat_raw_ptr(f, &o->raw, 1);
    o->u.code.outside = pmat_raw_ptr(f, &o->raw, 2);
    o->u.code.padlist = pmat_raw_ptr(f, &o->raw, 3);
    o->u.code.constval = pmat_raw_ptr(f, &o->raw, 4);
}

/* HASH, STASH and CLASS nest: a STASH's header/PTRs/STRs begin with a
 * HASH's, a CLASS's with a STASH's; the inner sizes come from the table. */
static int decode_hashlike(pmat_cur *c, pmat_sv *o, hdr *h)
{
    const pmat_file *f = c->f;
    const pmat_sizes *hs = type_sizes(f, PMAT_SVt_HASH);
    const pmat_sizes *ss = type_sizes(f, PMAT_SVt_STASH);
    o->u.hash.n = h_uint(h);
    o->u.hash.backrefs = pmat_raw_ptr(f, &o->raw, 0);
    if (o->type == PMAT_SVt_STASH || o->type == PMAT_SVt_CLASS) {
        o->u.hash.mro_linear_all = pmat_raw_ptr(f, &o->raw, hs->nptrs + 0u);
        o->u.hash.mro_linear_current = pmat_raw_ptr(f, &o->raw, hs->nptrs + 1u);
        o->u.hash.mro_nextmethod = pmat_raw_ptr(f, &o->raw, hs->nptrs + 2u);
        o->u.hash.mro_isa = pmat_raw_ptr(f, &o->raw, hs->nptrs + 3u);
        if (str_at(c, &o->raw, hs->nstrs, &o->u.hash.name) < 0)
            return -1;
    }
    if (o->type == PMAT_SVt_CLASS)
        o->u.hash.adjust_blocks = pmat_raw_ptr(f, &o->raw, ss->nptrs);
    return 0;
}

static int decode_type(pmat_cur *c, pmat_sv *o, hdr *h)
{
    const pmat_file *f = c->f;
    switch (o->type) {
    case PMAT_SVt_GLOB:
        decode_glob(c, o, h);
        if (str_at(c, &o->raw, 0, &o->u.glob.name) < 0 ||
            str_at(c, &o->raw, 1, &o->u.glob.file) < 0)
            return -1;
        return 0;
    case PMAT_SVt_SCALAR:
        decode_scalar(c, o, h);
        return str_at(c, &o->raw, 0, &o->u.scalar.pv);
    case PMAT_SVt_REF: {
        uint64_t flags = h_u8(h);
        o->u.ref.weak = (int)(flags & 1);
        o->u.ref.rv = pmat_raw_ptr(f, &o->raw, 0);
        o->u.ref.ourstash = pmat_raw_ptr(f, &o->raw, 1);
        return 0;
    }
    case PMAT_SVt_ARRAY:
        o->u.array.n = h_uint(h);
        o->u.array.unreal = (int)(h_u8(h) & 1);
        return 0;
    case PMAT_SVt_OBJECT:
        o->u.array.n = h_uint(h);
        return 0;
    case PMAT_SVt_HASH:
    case PMAT_SVt_STASH:
    case PMAT_SVt_CLASS:
        return decode_hashlike(c, o, h);
    case PMAT_SVt_CODE:
        decode_code(c, o, h);
        if (str_at(c, &o->raw, 0, &o->u.code.file) < 0 ||
            str_at(c, &o->raw, 1, &o->u.code.name) < 0)
            return -1;
        return 0;
    case PMAT_SVt_IO:
        o->u.io.ifileno = uint_signed(f, h_uint(h));
        o->u.io.ofileno = uint_signed(f, h_uint(h));
        o->u.io.top = pmat_raw_ptr(f, &o->raw, 0);
        o->u.io.format = pmat_raw_ptr(f, &o->raw, 1);
        o->u.io.bottom = pmat_raw_ptr(f, &o->raw, 2);
        return 0;
    case PMAT_SVt_LVALUE:
        o->u.lvalue.lvtype = (uint8_t)h_u8(h);
        o->u.lvalue.off = h_uint(h);
        o->u.lvalue.len = h_uint(h);
        o->u.lvalue.targ = pmat_raw_ptr(f, &o->raw, 0);
        return 0;
    default:
        return 0;
    }
}

/* Walk the body of ARRAY/OBJECT/HASH/STASH/CLASS/CODE so the cursor ends
 * after the record.  Every count is checked against the remaining bytes. */
static int read_body(pmat_cur *c, pmat_sv *o)
{
    const pmat_file *f = c->f;
    switch (o->type) {
    case PMAT_SVt_ARRAY:
    case PMAT_SVt_OBJECT:
        c->what = o->type == PMAT_SVt_ARRAY ? "ARRAY elements" : "OBJECT fields";
        if (pmat_rd_check_count(c, o->u.array.n, (uint64_t)f->h.ptr_len, "elements") < 0)
            return -1;
        c->pos += o->u.array.n * (uint64_t)f->h.ptr_len;
        return 0;
    case PMAT_SVt_HASH:
    case PMAT_SVt_STASH:
    case PMAT_SVt_CLASS:
        c->what = "HASH body";
        if (skip_hash_body(c, o->u.hash.n) < 0)
            return -1;
        if (o->type == PMAT_SVt_CLASS) {
            uint64_t ix;
            pmat_str name;
            int rc;
            c->what = "CLASS body";
            o->u.hash.class_body_off = c->pos;
            while ((rc = read_class_rec(c, &ix, &name)) > 0)
                ;
            return rc;
        }
        return 0;
    case PMAT_SVt_CODE:
        c->what = "CODE body";
        return skip_code_body(c);
    default:
        return 0;
    }
}

static int sv_parse(pmat_cur *c, pmat_sv *o, int walk_body)
{
    const pmat_file *f = c->f;
    uint8_t type;
    memset(o, 0, sizeof *o);
    o->offset = c->pos;
    c->what = "SV type";
    c->has_sv = 0;
    if (pmat_rd_u8(c, &type) < 0)
        return -1;
    o->type = type;
    if (type == 0 || type >= 0x80) {
        c->pos--;
        return pmat_fail(c, "record type 0x%02x is not an SV", type);
    }

    c->what = "SV header";
    pmat_raw common;
    if (read_part(c, &f->h.types[0], &common) < 0)
        return -1;
    hdr h = { f, common.hdr_off, common.hdr_off + common.hdr_len };
    o->addr = h_ptr(&h);
    o->refcnt = (uint32_t)h_int(&h, 4, 0);
    o->size = h_uint(&h);
    o->blessed = pmat_raw_ptr(f, &common, 0);
    c->has_sv = 1;
    c->sv = o->addr;

    if (type == PMAT_SVt_C_STRUCT) {
        c->what = "C_STRUCT fields";
        if (read_cstruct(c, o) < 0)
            return -1;
        o->raw.end_off = c->pos;
        return 0;
    }
    if (type >= f->h.n_types) {
        c->pos = o->offset;
        return pmat_fail(c, "unknown SV type %u (the size table has %u types)", type,
                         f->h.n_types);
    }
    /* "GLOB header", ...; "SV type header" for types without a name (no
     * formatting per record: this runs for every SV of the file) */
    static const char *const what_hdr[] = {
        "SV type header", "GLOB header", "SCALAR header", "REF header", "ARRAY header",
        "HASH header", "STASH header", "CODE header", "IO header", "LVALUE header",
        "REGEXP header", "FORMAT header", "INVLIST header", "UNDEF header", "YES header",
        "NO header", "OBJECT header", "CLASS header"
    };
    const char *tn = pmat_sv_type_name(type);
    char what[40];
    if (type < sizeof what_hdr / sizeof what_hdr[0] && (tn != NULL) == (type != 0) &&
        (!tn || !strncmp(what_hdr[type], tn, strlen(tn)))) {
        c->what = what_hdr[type];
    } else {
        snprintf(what, sizeof what, "%s%s header", tn ? tn : "SV", tn ? "" : " type");
        c->what = what;
    }
    if (read_part(c, &f->h.types[type], &o->raw) < 0)
        return -1;
    hdr th = { f, o->raw.hdr_off, o->raw.hdr_off + o->raw.hdr_len };
    if (decode_type(c, o, &th) < 0)
        return -1;
    if (walk_body || type == PMAT_SVt_CLASS || type == PMAT_SVt_ARRAY ||
        type == PMAT_SVt_OBJECT) {
        if (read_body(c, o) < 0)
            return -1;
        o->raw.end_off = c->pos;
    }
    c->what = NULL;
    return 0;
}

int pmat_sv_parse(pmat_cur *c, pmat_sv *out)
{
    return sv_parse(c, out, 1);
}

int pmat_sv_read(const pmat_file *f, uint64_t offset, pmat_sv *out, pmat_error *err)
{
    pmat_cur c;
    pmat_cur_init(&c, f, offset, err, "SV");
    return sv_parse(&c, out, 0);
}

/* ---- accessors over the bodies ------------------------------------------ */

uint64_t pmat_array_elem(const pmat_file *f, const pmat_sv *sv, uint64_t i)
{
    if ((sv->type != PMAT_SVt_ARRAY && sv->type != PMAT_SVt_OBJECT) || i >= sv->u.array.n)
        return 0;
    uint64_t off = sv->raw.body_off + i * (uint64_t)f->h.ptr_len;
    if (off > f->size || f->size - off < (uint64_t)f->h.ptr_len)
        return 0;
    return pmat_get_uint_n(f, f->map + off, f->h.ptr_len);
}

static void iter_cursor(const pmat_file *f, const pmat_sv *sv, pmat_iter *it, pmat_cur *c,
                        pmat_error *err, const char *what, uint64_t start)
{
    pmat_cur_init(c, f, it->pos ? it->pos : start, err, what);
    c->has_sv = 1;
    c->sv = sv->addr;
}

int pmat_hash_next(const pmat_file *f, const pmat_sv *sv, pmat_iter *it, pmat_str *key,
                   uint64_t *value, pmat_error *err)
{
    uint64_t hek;
    return pmat_hash_next_hek(f, sv, it, key, &hek, value, err);
}

int pmat_hash_next_hek(const pmat_file *f, const pmat_sv *sv, pmat_iter *it, pmat_str *key,
                       uint64_t *hek, uint64_t *value, pmat_error *err)
{
    if (sv->type != PMAT_SVt_HASH && sv->type != PMAT_SVt_STASH && sv->type != PMAT_SVt_CLASS)
        return 0;
    if (it->done >= sv->u.hash.n)
        return 0;
    pmat_cur c;
    iter_cursor(f, sv, it, &c, err, "HASH body", sv->raw.body_off);
    if (read_hash_entry(&c, key, hek, value) < 0)
        return -1;
    it->pos = c.pos;
    it->done++;
    return 1;
}

int pmat_code_next(const pmat_file *f, const pmat_sv *sv, pmat_iter *it, pmat_code_rec *rec,
                   pmat_error *err)
{
    if (sv->type != PMAT_SVt_CODE || it->done)
        return 0;
    pmat_cur c;
    iter_cursor(f, sv, it, &c, err, "CODE body", sv->raw.body_off);
    int rc = read_code_rec(&c, rec);
    it->pos = c.pos;
    if (rc <= 0)
        it->done = 1;
    return rc;
}

int pmat_class_next(const pmat_file *f, const pmat_sv *sv, pmat_iter *it, uint64_t *fieldix,
                    pmat_str *name, pmat_error *err)
{
    if (sv->type != PMAT_SVt_CLASS || it->done)
        return 0;
    pmat_cur c;
    iter_cursor(f, sv, it, &c, err, "CLASS body", sv->u.hash.class_body_off);
    int rc = read_class_rec(&c, fieldix, name);
    it->pos = c.pos;
    if (rc <= 0)
        it->done = 1;
    return rc;
}

/* ---- META_STRUCT ------------------------------------------------------------- */

int pmat_meta_parse(pmat_cur *c, pmat_meta *m)
{
    uint8_t type;
    pmat_str name;
    c->what = "META_STRUCT";
    c->has_sv = 0;
    if (pmat_rd_u8(c, &type) < 0 || pmat_rd_uint(c, &m->id) < 0 ||
        pmat_rd_uint(c, &m->nfields) < 0)
        return -1;
    m->name_off = c->pos;
    if (pmat_rd_str(c, &name) < 0)
        return -1;
    if (pmat_rd_check_count(c, m->nfields, (uint64_t)c->f->h.uint_len + 1, "struct fields") < 0)
        return -1;
    m->fields_off = c->pos;
    for (uint64_t j = 0; j < m->nfields; j++) {
        uint8_t t;
        if (pmat_rd_str(c, &name) < 0 || pmat_rd_u8(c, &t) < 0)
            return -1;
        if (field_width(c->f, t) < 0) {
            c->pos--;
            return pmat_fail(c, "unknown struct field type %u", t);
        }
    }
    return 0;
}

size_t pmat_struct_count(const pmat_file *f) { return f->nmetas; }

int pmat_struct_info(const pmat_file *f, size_t i, uint64_t *id, pmat_str *name,
                     uint64_t *nfields)
{
    if (i >= f->nmetas)
        return -1;
    pmat_cur c;
    pmat_cur_init(&c, f, f->metas[i].name_off, NULL, "META_STRUCT");
    if (pmat_rd_str(&c, name) < 0)
        return -1;
    *id = f->metas[i].id;
    *nfields = f->metas[i].nfields;
    return 0;
}

int pmat_struct_field_def(const pmat_file *f, size_t i, uint64_t j, pmat_str *name,
                          unsigned *type, pmat_error *err)
{
    if (i >= f->nmetas || j >= f->metas[i].nfields)
        return -1;
    pmat_cur c;
    pmat_cur_init(&c, f, f->metas[i].fields_off, err, "META_STRUCT fields");
    uint8_t t = 0;
    for (uint64_t k = 0; k <= j; k++)
        if (pmat_rd_str(&c, name) < 0 || pmat_rd_u8(&c, &t) < 0)
            return -1;
    *type = t;
    return 0;
}

int pmat_cstruct_field(const pmat_file *f, const pmat_sv *sv, uint64_t j, pmat_str *name,
                       unsigned *type, uint64_t *value, pmat_error *err)
{
    if (sv->type != PMAT_SVt_C_STRUCT || sv->u.cstruct.meta >= f->nmetas)
        return -1;
    const pmat_meta *m = &f->metas[sv->u.cstruct.meta];
    if (j >= m->nfields)
        return -1;
    pmat_cur d;
    pmat_cur_init(&d, f, m->fields_off, err, "META_STRUCT fields");
    uint64_t off = sv->raw.body_off;
    uint8_t t = 0;
    for (uint64_t k = 0; k <= j; k++) {
        if (pmat_rd_str(&d, name) < 0 || pmat_rd_u8(&d, &t) < 0)
            return -1;
        int w = field_width(f, t);
        if (w < 0)
            return -1;
        if (k < j)
            off += (uint64_t)w;
    }
    int w = field_width(f, t);
    if (off > f->size || f->size - off < (uint64_t)w)
        return -1;
    *type = t;
    *value = pmat_get_uint_n(f, f->map + off, w);
    return 0;
}

/* ---- names --------------------------------------------------------------------- */

const char *pmat_sv_type_name(unsigned type)
{
    static const char *const names[] = {
        NULL, "GLOB", "SCALAR", "REF", "ARRAY", "HASH", "STASH", "CODE", "IO", "LVALUE",
        "REGEXP", "FORMAT", "INVLIST", "UNDEF", "YES", "NO", "OBJECT", "CLASS"
    };
    if (type < sizeof names / sizeof names[0])
        return names[type];
    if (type == PMAT_SVt_C_STRUCT)
        return "C_STRUCT";
    return NULL;
}
