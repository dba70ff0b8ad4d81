/* cpmat - read PMAT heap dumps from the command line (see cpmat.pod).
 *
 *   cpmat FILE info     summary counts
 *   cpmat FILE dump     one line per record, the format in cpmat.pod
 *
 * Errors: one line "cpmat: ..." on stderr, exit status 2. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmat.h"
#include "cmd_int.h"

static FILE *out;

static int die_err(const pmat_error *err)
{
    fflush(out);
    fprintf(stderr, "cpmat: %s\n", pmat_error_message(err));
    return 2;
}

/* ---- value formatting (cpmat.pod: "Tokens", "Strings", ...) -------------- */

static void put_ptr(uint64_t p) { fprintf(out, "0x%" PRIx64, p); }

static void put_escaped(const unsigned char *p, uint64_t len)
{
    for (uint64_t i = 0; i < len; i++) {
        unsigned char ch = p[i];
        switch (ch) {
        case '\\': fputs("\\\\", out); break;
        case '"': fputs("\\\"", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (ch < 0x20 || ch >= 0x7f)
                fprintf(out, "\\x%02x", ch);
            else
                putc(ch, out);
        }
    }
}

static void put_str(const pmat_str *s)
{
    if (s->is_null) {
        fputs("undef", out);
        return;
    }
    putc('"', out);
    put_escaped(s->ptr, s->len);
    putc('"', out);
}

static void put_nv(double nv)
{
    if (isnan(nv))
        fputs("nan", out);
    else if (isinf(nv))
        fputs(nv < 0 ? "-inf" : "inf", out);
    else
        fprintf(out, "%.17g", nv);
}

static void put_field_ptr(const char *name, uint64_t p)
{
    fprintf(out, " %s=", name);
    put_ptr(p);
}

static void put_field_str(const char *name, const pmat_str *s)
{
    fprintf(out, " %s=", name);
    put_str(s);
}

/* bytes=HEX ptrs=[...] strs=[...] of a table-sized part nobody decodes */
static int put_raw(const pmat_file *f, const pmat_raw *raw, pmat_error *err)
{
    const unsigned char *b = pmat_raw_bytes(f, raw);
    fputs(" bytes=", out);
    for (unsigned i = 0; b && i < raw->hdr_len; i++)
        fprintf(out, "%02x", b[i]);
    fputs(" ptrs=[", out);
    for (unsigned i = 0; i < raw->nptrs; i++) {
        if (i)
            putc(',', out);
        put_ptr(pmat_raw_ptr(f, raw, i));
    }
    fputs("] strs=[", out);
    for (unsigned i = 0; i < raw->nstrs; i++) {
        pmat_str s;
        if (pmat_raw_str(f, raw, i, &s, err) < 0)
            return -1;
        if (i)
            putc(',', out);
        put_str(&s);
    }
    putc(']', out);
    return 0;
}

/* ---- SV lines ---------------------------------------------------------------- */

static void put_scalar(const pmat_sv *sv)
{
    uint8_t fl = sv->u.scalar.flags;
    fprintf(out, " flags=0x%02x", fl);
    if (fl & PMAT_SCALAR_HAS_IV) {
        if (fl & PMAT_SCALAR_IV_IS_UV)
            fprintf(out, " uv=%" PRIu64, sv->u.scalar.uv);
        else
            fprintf(out, " iv=%" PRId64, sv->u.scalar.iv);
    }
    if (fl & PMAT_SCALAR_HAS_NV) {
        fputs(" nv=", out);
        put_nv(sv->u.scalar.nv);
    }
    if (fl & PMAT_SCALAR_HAS_PV) {
        fprintf(out, " pvlen=%" PRIu64, sv->u.scalar.pvlen);
        put_field_str("pv", &sv->u.scalar.pv);
        fprintf(out, " utf8=%d", (fl & PMAT_SCALAR_PV_UTF8) ? 1 : 0);
    }
    put_field_ptr("ourstash", sv->u.scalar.ourstash);
}

static void put_glob(const pmat_sv *sv)
{
    fprintf(out, " line=%" PRIu64, sv->u.glob.line);
    put_field_ptr("stash", sv->u.glob.stash);
    put_field_ptr("scalar", sv->u.glob.scalar);
    put_field_ptr("array", sv->u.glob.array);
    put_field_ptr("hash", sv->u.glob.hash);
    put_field_ptr("code", sv->u.glob.code);
    put_field_ptr("egv", sv->u.glob.egv);
    put_field_ptr("io", sv->u.glob.io);
    put_field_ptr("form", sv->u.glob.form);
    put_field_str("name", &sv->u.glob.name);
    put_field_str("file", &sv->u.glob.file);
    if (sv->u.glob.has_name_hek)
        put_field_ptr("name_hek", sv->u.glob.name_hek);
}

static void put_elems(const pmat_file *f, const pmat_sv *sv, const char *name)
{
    fprintf(out, " %s=[", name);
    for (uint64_t i = 0; i < sv->u.array.n; i++) {
        if (i)
            putc(',', out);
        put_ptr(pmat_array_elem(f, sv, i));
    }
    putc(']', out);
}

/* name={"key":0xADDR,...}: the values, or (heks) each entry's HEK. */
static int put_hash_map(const pmat_file *f, const pmat_sv *sv, const char *name, int heks,
                        pmat_error *err)
{
    fprintf(out, " %s={", name);
    pmat_iter it = { 0, 0 };
    pmat_str key;
    uint64_t hek, val;
    int rc, first = 1;
    while ((rc = pmat_hash_next_hek(f, sv, &it, &key, &hek, &val, err)) > 0) {
        if (!first)
            putc(',', out);
        first = 0;
        put_str(&key);
        putc(':', out);
        put_ptr(heks ? hek : val);
    }
    putc('}', out);
    return rc;
}

static int put_hash(const pmat_file *f, const pmat_sv *sv, pmat_error *err)
{
    fprintf(out, " n=%" PRIu64, sv->u.hash.n);
    put_field_ptr("backrefs", sv->u.hash.backrefs);
    if (put_hash_map(f, sv, "values", 0, err) < 0)
        return -1;
    if (pmat_file_header(f)->hash_heks && put_hash_map(f, sv, "heks", 1, err) < 0)
        return -1;
    if (sv->type == PMAT_SVt_STASH || sv->type == PMAT_SVt_CLASS) {
        put_field_ptr("mro_linear_all", sv->u.hash.mro_linear_all);
        put_field_ptr("mro_linear_current", sv->u.hash.mro_linear_current);
        put_field_ptr("mro_nextmethod", sv->u.hash.mro_nextmethod);
        put_field_ptr("mro_isa", sv->u.hash.mro_isa);
        put_field_str("name", &sv->u.hash.name);
    }
    return 0;
}

static int put_class(const pmat_file *f, const pmat_sv *sv, pmat_error *err)
{
    put_field_ptr("adjust_blocks", sv->u.hash.adjust_blocks);
    fputs(" fields=[", out);
    pmat_iter it = { 0, 0 };
    uint64_t ix;
    pmat_str name;
    int rc, first = 1;
    while ((rc = pmat_class_next(f, sv, &it, &ix, &name, err)) > 0) {
        if (!first)
            putc(',', out);
        first = 0;
        fprintf(out, "%" PRIu64 ":", ix);
        put_str(&name);
    }
    putc(']', out);
    return rc;
}

/* The CODE body lists: one pass over the body records per list keeps the
 * output in file order without collecting anything in memory. */
enum list_kind { L_CONSTS, L_CONSTIX, L_GVS, L_GVIX, L_PADS, L_PADNAMES, L_PADFLAGS,
                 L_PADOURSTASH, L_PADFIELDS, L_PADFIELDSTASH };

static int put_code_list(const pmat_file *f, const pmat_sv *sv, enum list_kind kind,
                         const char *name, pmat_error *err)
{
    static const unsigned rectype[] = {
        PMAT_CODEx_CONSTSV, PMAT_CODEx_CONSTIX, PMAT_CODEx_GVSV, PMAT_CODEx_GVIX,
        PMAT_CODEx_PAD, PMAT_CODEx_PADNAME, PMAT_CODEx_PADNAME_FLAGS, PMAT_CODEx_PADNAME,
        PMAT_CODEx_PADNAME_FIELD, PMAT_CODEx_PADNAME_FIELD
    };
    fprintf(out, " %s=[", name);
    pmat_iter it = { 0, 0 };
    pmat_code_rec r;
    int rc, first = 1;
    while ((rc = pmat_code_next(f, sv, &it, &r, err)) > 0) {
        if (r.type != rectype[kind])
            continue;
        if (kind == L_PADOURSTASH && !r.ptr)
            continue;
        if (!first)
            putc(',', out);
        first = 0;
        switch (kind) {
        case L_CONSTS: case L_GVS: put_ptr(r.ptr); break;
        case L_CONSTIX: case L_GVIX: fprintf(out, "%" PRIu64, r.ix); break;
        case L_PADS: case L_PADOURSTASH: case L_PADFIELDSTASH:
            fprintf(out, "%" PRIu64 ":", r.ix);
            put_ptr(r.ptr);
            break;
        case L_PADNAMES:
            fprintf(out, "%" PRIu64 ":", r.ix);
            put_str(&r.name);
            break;
        case L_PADFLAGS: fprintf(out, "%" PRIu64 ":0x%02x", r.ix, r.flags); break;
        case L_PADFIELDS: fprintf(out, "%" PRIu64 ":%" PRIu64, r.ix, r.fieldix); break;
        }
    }
    putc(']', out);
    return rc;
}

static int put_code(const pmat_file *f, const pmat_sv *sv, pmat_error *err)
{
    fprintf(out, " line=%" PRIu64 " flags=0x%02x", sv->u.code.line, sv->u.code.flags);
    put_field_ptr("oproot", sv->u.code.oproot);
    fprintf(out, " depth=%" PRId64, sv->u.code.depth);
    put_field_ptr("stash", sv->u.code.stash);
    put_field_ptr("glob", sv->u.code.glob);
    put_field_ptr("outside", sv->u.code.outside);
    put_field_ptr("padlist", sv->u.code.padlist);
    put_field_ptr("constval", sv->u.code.constval);
    put_field_str("file", &sv->u.code.file);
    put_field_str("name", &sv->u.code.name);
    if (sv->u.code.has_name_hek)
        put_field_ptr("name_hek", sv->u.code.name_hek);

    uint64_t padnames_av = 0;
    pmat_iter it = { 0, 0 };
    pmat_code_rec r;
    int rc;
    while ((rc = pmat_code_next(f, sv, &it, &r, err)) > 0)
        if (r.type == PMAT_CODEx_PADNAMES)
            padnames_av = r.ptr;
    if (rc < 0)
        return -1;
    put_field_ptr("padnames_av", padnames_av);

    static const char *const names[] = { "consts", "constix", "gvs", "gvix", "pads",
                                         "padnames", "padflags", "padourstash",
                                         "padfields", "padfieldstash" };
    for (int k = L_CONSTS; k <= L_PADFIELDSTASH; k++)
        if (put_code_list(f, sv, (enum list_kind)k, names[k], err) < 0)
            return -1;
    return 0;
}

static int put_cstruct(const pmat_file *f, const pmat_sv *sv, pmat_error *err)
{
    uint64_t id, n;
    pmat_str sname;
    if (pmat_struct_info(f, sv->u.cstruct.meta, &id, &sname, &n) < 0)
        return 0;
    fprintf(out, " struct=%" PRIu64, id);
    put_field_str("structname", &sname);
    fputs(" fields=[", out);
    for (uint64_t j = 0; j < n; j++) {
        pmat_str name;
        unsigned type;
        uint64_t v;
        if (pmat_cstruct_field(f, sv, j, &name, &type, &v, err) < 0)
            return -1;
        if (j)
            putc(',', out);
        put_str(&name);
        putc(':', out);
        if (type == PMAT_FIELD_PTR)
            put_ptr(v);
        else
            fprintf(out, "%" PRIu64, v);
    }
    putc(']', out);
    return 0;
}

static int put_sv(const pmat_file *f, uint64_t offset, pmat_error *err)
{
    pmat_sv sv;
    if (pmat_sv_read(f, offset, &sv, err) < 0)
        return -1;
    const char *tn = pmat_sv_type_name(sv.type);
    fputs("SV ", out);
    put_ptr(sv.addr);
    if (tn)
        fprintf(out, " %s", tn);
    else
        fprintf(out, " TYPE%u", sv.type);
    fprintf(out, " refcnt=%" PRIu32 " size=%" PRIu64, sv.refcnt, sv.size);
    put_field_ptr("blessed", sv.blessed);
    int rc = 0;
    switch (sv.type) {
    case PMAT_SVt_SCALAR: put_scalar(&sv); break;
    case PMAT_SVt_REF:
        put_field_ptr("rv", sv.u.ref.rv);
        fprintf(out, " weak=%d", sv.u.ref.weak);
        put_field_ptr("ourstash", sv.u.ref.ourstash);
        break;
    case PMAT_SVt_GLOB: put_glob(&sv); break;
    case PMAT_SVt_ARRAY:
        fprintf(out, " n=%" PRIu64 " unreal=%d", sv.u.array.n, sv.u.array.unreal);
        put_elems(f, &sv, "elems");
        break;
    case PMAT_SVt_OBJECT:
        fprintf(out, " n=%" PRIu64, sv.u.array.n);
        put_elems(f, &sv, "fields");
        break;
    case PMAT_SVt_HASH:
    case PMAT_SVt_STASH:
        rc = put_hash(f, &sv, err);
        break;
    case PMAT_SVt_CLASS:
        rc = put_hash(f, &sv, err);
        if (rc == 0)
            rc = put_class(f, &sv, err);
        break;
    case PMAT_SVt_CODE: rc = put_code(f, &sv, err); break;
    case PMAT_SVt_IO:
        fprintf(out, " ifileno=%" PRId64 " ofileno=%" PRId64, sv.u.io.ifileno,
                sv.u.io.ofileno);
        put_field_ptr("top", sv.u.io.top);
        put_field_ptr("format", sv.u.io.format);
        put_field_ptr("bottom", sv.u.io.bottom);
        break;
    case PMAT_SVt_LVALUE:
        fputs(" lvtype=\"", out);
        put_escaped(&sv.u.lvalue.lvtype, 1);
        fprintf(out, "\" off=%" PRIu64 " len=%" PRIu64, sv.u.lvalue.off, sv.u.lvalue.len);
        put_field_ptr("targ", sv.u.lvalue.targ);
        break;
    case PMAT_SVt_C_STRUCT: rc = put_cstruct(f, &sv, err); break;
    case PMAT_SVt_UNDEF: case PMAT_SVt_YES: case PMAT_SVt_NO:
    case PMAT_SVt_REGEXP: case PMAT_SVt_FORMAT: case PMAT_SVt_INVLIST:
        break;
    default:
        rc = put_raw(f, &sv.raw, err);
        break;
    }
    putc('\n', out);
    return rc;
}

/* ---- extension, META and context lines ---------------------------------------- */

static int put_ext(const pmat_file *f, uint64_t offset, pmat_error *err)
{
    pmat_ext x;
    if (pmat_ext_read(f, offset, &x, err) < 0)
        return -1;
    const char *tn = pmat_ext_type_name(x.type);
    if (tn)
        fprintf(out, "%s ", tn);
    else
        fprintf(out, "EXT%02x ", x.type);
    put_ptr(x.sv);
    switch (x.type) {
    case PMAT_SVx_MAGIC:
        fputs(" type=\"", out);
        put_escaped(&x.u.magic.type, 1);
        fprintf(out, "\" flags=%u", x.u.magic.flags);
        put_field_ptr("obj", x.u.magic.obj);
        put_field_ptr("ptr", x.u.magic.ptr);
        put_field_ptr("vtbl", x.u.magic.vtbl);
        break;
    case PMAT_SVx_SAVED_SV: put_field_ptr("sv", x.u.saved); break;
    case PMAT_SVx_SAVED_AV: put_field_ptr("av", x.u.saved); break;
    case PMAT_SVx_SAVED_HV: put_field_ptr("hv", x.u.saved); break;
    case PMAT_SVx_SAVED_CV: put_field_ptr("cv", x.u.saved); break;
    case PMAT_SVx_SAVED_AELEM:
        fprintf(out, " index=%" PRIu64, x.u.aelem.index);
        put_field_ptr("sv", x.u.aelem.sv);
        break;
    case PMAT_SVx_SAVED_HELEM:
        put_field_ptr("key", x.u.helem.key);
        put_field_ptr("sv", x.u.helem.sv);
        break;
    case PMAT_SVx_SVSV_NOTE:
        put_field_ptr("sv", x.u.note.sv);
        put_field_str("name", &x.u.note.name);
        break;
    case PMAT_SVx_DEBUGREPORT:
        fprintf(out, " serial=%" PRIu64 " line=%" PRIu64, x.u.debug.serial, x.u.debug.line);
        put_field_str("file", &x.u.debug.file);
        break;
    case PMAT_SVx_PV_SHARED_HEK: put_field_ptr("hek", x.u.shared_hek); break;
    case PMAT_SVx_MAGICv2:
        fprintf(out, " shape=%u flags=%u priv=%u ptrlen=%" PRIu64 " keyiv=%" PRIu64,
                x.u.magicv2.shape, x.u.magicv2.flags, x.u.magicv2.priv, x.u.magicv2.ptrlen,
                x.u.magicv2.keyiv);
        put_field_ptr("funcs", x.u.magicv2.funcs);
        put_field_ptr("auxsv", x.u.magicv2.auxsv);
        put_field_ptr("ptr", x.u.magicv2.ptr);
        put_field_ptr("keysv", x.u.magicv2.keysv);
        put_field_ptr("userstruct", x.u.magicv2.userstruct);
        break;
    default:
        if (put_raw(f, &x.raw, err) < 0)
            return -1;
    }
    putc('\n', out);
    return 0;
}

/* The META_STRUCTs are indexed in file order, so the n-th META record of
 * the heap walk is struct number n. */
static int put_meta(const pmat_file *f, size_t i, pmat_error *err)
{
    uint64_t id, n;
    pmat_str name;
    if (pmat_struct_info(f, i, &id, &name, &n) < 0)
        return 0;
    fprintf(out, "META_STRUCT id=%" PRIu64, id);
    put_field_str("name", &name);
    fputs(" fields=[", out);
    for (uint64_t j = 0; j < n; j++) {
        pmat_str fname;
        unsigned type;
        if (pmat_struct_field_def(f, i, j, &fname, &type, err) < 0)
            return -1;
        if (j)
            putc(',', out);
        put_str(&fname);
        fprintf(out, ":%u", type);
    }
    fputs("]\n", out);
    return 0;
}

static int put_ctx(const pmat_file *f, size_t i, pmat_error *err)
{
    pmat_ctx ctx;
    if (pmat_ctx_get(f, i, &ctx, err) < 0)
        return -1;
    const char *tn = pmat_ctx_type_name(ctx.type);
    fprintf(out, "CTX %zu ", i);
    if (tn)
        fputs(tn, out);
    else
        fprintf(out, "TYPE%u", ctx.type);
    fprintf(out, " gimme=%u line=%" PRIu64, ctx.gimme, ctx.line);
    put_field_str("file", &ctx.file);
    switch (ctx.type) {
    case PMAT_CTX_SUB:
        fprintf(out, " olddepth=%" PRId64, ctx.olddepth);
        put_field_ptr("cv", ctx.cv);
        put_field_ptr("args", ctx.args);
        break;
    case PMAT_CTX_TRY:
        break;
    case PMAT_CTX_EVAL:
        put_field_ptr("codesv", ctx.codesv);
        break;
    default:
        if (put_raw(f, &ctx.raw, err) < 0)
            return -1;
    }
    putc('\n', out);
    return 0;
}

/* The mortals section (PL_tmps_stack from its base up, then PL_tmps_floor):
 * nothing when the file has none. */
static void put_mortals(const pmat_file *f)
{
    for (uint64_t i = 0; i < pmat_mortal_count(f); i++) {
        fprintf(out, "MORTAL %" PRIu64 " ", i);
        put_ptr(pmat_mortal_at(f, i));
        putc('\n', out);
    }
    if (pmat_mortal_has_floor(f))
        fprintf(out, "MORTAL_FLOOR %" PRIu64 "\n", pmat_mortal_floor(f));
}

/* ---- commands ------------------------------------------------------------------- */

static void put_header(const pmat_file *f)
{
    const pmat_header *h = pmat_file_header(f);
    char ver[40];
    fprintf(out, "HEADER perl=%s format=%u.%u flags=0x%02x endian=%s uint=%d ptr=%d nv=%d "
            "ithreads=%d\n", pmat_perl_version(f, ver, sizeof ver), h->format_major,
            h->format_minor, h->flags, h->big_endian ? "big" : "little", h->uint_len,
            h->ptr_len, h->nv_len, h->ithreads);
}

static int cmd_dump(const pmat_file *f, pmat_error *err)
{
    const pmat_header *h = pmat_file_header(f);
    put_header(f);
    fputs("IMMORTAL undef ", out); put_ptr(h->undef_at); putc('\n', out);
    fputs("IMMORTAL yes ", out); put_ptr(h->yes_at); putc('\n', out);
    fputs("IMMORTAL no ", out); put_ptr(h->no_at); putc('\n', out);
    for (size_t i = 0; i < pmat_root_count(f); i++) {
        pmat_str name;
        uint64_t addr;
        if (pmat_root(f, i, &name, &addr) < 0)
            continue;
        fputs("ROOT ", out);
        /* Root names are identifiers; written bare but escaped all the same. */
        if (name.is_null)
            fputs("undef", out);
        else
            put_escaped(name.ptr, name.len);
        putc(' ', out);
        put_ptr(addr);
        putc('\n', out);
    }
    for (uint64_t i = 0; i < pmat_stack_count(f); i++) {
        fprintf(out, "STACK %" PRIu64 " ", i);
        put_ptr(pmat_stack_at(f, i));
        putc('\n', out);
    }
    pmat_iter it = { 0, 0 };
    pmat_record rec;
    size_t nmeta = 0;
    int rc;
    while ((rc = pmat_heap_next(f, &it, &rec, err)) > 0) {
        int r = 0;
        if (rec.kind == PMAT_REC_SV)
            r = put_sv(f, rec.offset, err);
        else if (rec.kind == PMAT_REC_EXT)
            r = put_ext(f, rec.offset, err);
        else if (rec.kind == PMAT_REC_META)
            r = put_meta(f, nmeta++, err);
        if (r < 0)
            return -1;
    }
    if (rc < 0)
        return -1;
    for (size_t i = 0; i < pmat_ctx_count(f); i++)
        if (put_ctx(f, i, err) < 0)
            return -1;
    put_mortals(f);
    return 0;
}

static int cmd_info(const pmat_file *f)
{
    const pmat_header *h = pmat_file_header(f);
    char ver[40];
    uint64_t count[256] = { 0 };
    for (size_t i = 0; i < pmat_sv_count(f); i++)
        count[pmat_sv_type(f, i)]++;
    fprintf(out, "perl %s\n", pmat_perl_version(f, ver, sizeof ver));
    fprintf(out, "format %u.%u\n", h->format_major, h->format_minor);
    fprintf(out, "flags 0x%02x endian=%s uint=%d ptr=%d nv=%d ithreads=%d\n", h->flags,
            h->big_endian ? "big" : "little", h->uint_len, h->ptr_len, h->nv_len,
            h->ithreads);
    fprintf(out, "svs %zu\n", pmat_sv_count(f));
    for (unsigned t = 0; t < 256; t++) {
        if (!count[t])
            continue;
        const char *tn = pmat_sv_type_name(t);
        if (tn)
            fprintf(out, "type %s %" PRIu64 "\n", tn, count[t]);
        else
            fprintf(out, "type TYPE%u %" PRIu64 "\n", t, count[t]);
    }
    fprintf(out, "extensions %zu\n", pmat_ext_count(f));
    fprintf(out, "structs %zu\n", pmat_struct_count(f));
    fprintf(out, "roots %zu\n", pmat_root_count(f));
    fprintf(out, "stack %" PRIu64 "\n", pmat_stack_count(f));
    fprintf(out, "contexts %zu\n", pmat_ctx_count(f));
    fprintf(out, "mortals %" PRIu64 "\n", pmat_mortal_count(f));
    pmat_sections s;
    pmat_file_sections(f, &s);
    fprintf(out, "sections roots=%" PRIu64 " stack=%" PRIu64 " heap=%" PRIu64
            " contexts=%" PRIu64 " mortals=%" PRIu64 " end=%" PRIu64 " size=%" PRIu64 "\n",
            s.roots, s.stack, s.heap, s.contexts, s.mortals, s.end, pmat_file_size(f));
    return 0;
}

static const char usage[] =
    "usage: cpmat [--quiet] [--pmat-version 0.NN] FILE COMMAND [ARGS...]\n"
    "       cpmat help [COMMAND]\n"
    "       cpmat --help\n"
    "Answers pmat's commands natively; without --quiet it first prints pmat's\n"
    "two summary lines (not for info and dump).  Commands:\n";

static void help(FILE *o)
{
    fputs(usage, o);
    cm_help_summary(o);
    fputs("Exit status: 0 on success, 2 on any error (one line on stderr).\n", o);
}

int main(int argc, char **argv)
{
    out = stdout;
    int ai = 1, quiet = 0;
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        help(stdout);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "help")) {
        if (argc == 2) {
            help(stdout);
            return 0;
        }
        if (argc == 3 && cm_help_cmd(argv[2], stdout) == 0)
            return 0;
        if (argc == 3 && (!strcmp(argv[2], "info") || !strcmp(argv[2], "dump") ||
                          !strcmp(argv[2], "help"))) {
            help(stdout);
            return 0;
        }
        fprintf(stderr, "cpmat: help: no such command '%s'\n", argc > 2 ? argv[2] : "");
        return 2;
    }
    while (ai < argc && argv[ai][0] == '-' && argv[ai][1]) {
        if (!strcmp(argv[ai], "--quiet") || !strcmp(argv[ai], "-q"))
            quiet = 1;
        else if (!strcmp(argv[ai], "--pmat-version")) {
            if (ai + 1 >= argc || cm_set_pmat_version(argv[ai + 1]) < 0) {
                fprintf(stderr, "cpmat: --pmat-version needs a Devel::MAT version such as 0.51 or 0.56\n");
                return 2;
            }
            ai++;
        } else if (!strcmp(argv[ai], "--")) {
            ai++;
            break;
        } else {
            fprintf(stderr, "cpmat: unknown option '%s'; try cpmat --help\n", argv[ai]);
            return 2;
        }
        ai++;
    }
    if (argc - ai < 2) {
        fprintf(stderr, "cpmat: bad arguments: expected FILE and a command; try cpmat --help\n");
        return 2;
    }
    const char *path = argv[ai], *cmd = argv[ai + 1];
    int dump = !strcmp(cmd, "dump"), info = !strcmp(cmd, "info");
    if (!dump && !info && (!cm_is_command(cmd) || !strcmp(cmd, "help"))) {
        fprintf(stderr, "cpmat: %s: unknown command '%s'; try cpmat --help\n", path, cmd);
        return 2;
    }
    if ((dump || info) && argc - ai != 2) {
        fprintf(stderr, "cpmat: %s: unexpected argument '%s'\n", cmd, argv[ai + 2]);
        return 2;
    }
    /* Big dumps produce big output: a large stdio buffer keeps write(2)s few. */
    static char buf[1 << 16];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);

    int rc;
    if (dump || info) {
        pmat_error err;
        memset(&err, 0, sizeof err);
        pmat_file *f = pmat_open(path, &err);
        if (!f)
            return die_err(&err);
        rc = dump ? cmd_dump(f, &err) : cmd_info(f);
        if (rc < 0) {
            int r = die_err(&err);
            pmat_close(f);
            return r;
        }
        pmat_close(f);
    } else {
        cm m;
        if (cm_open(&m, path) < 0) {
            int r = die_err(&m.err);
            cm_close(&m);
            return r;
        }
        if (!quiet) {
            char ver[40];
            fprintf(out, "Perl memory dumpfile from perl %s %s\n",
                    pmat_perl_version(m.f, ver, sizeof ver),
                    m.h->ithreads ? "threaded" : "non-threaded");
            fprintf(out, "Heap contains %zu objects\n", m.n);
        }
        rc = cm_run(&m, cmd, argc - ai - 2, argv + ai + 2, stdout);
        cm_close(&m);
        if (rc)
            return rc;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "cpmat: %s: error writing output\n", path);
        return 2;
    }
    return 0;
}
