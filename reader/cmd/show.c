/* cmd/show.c - show: an SV's common fields, magic, debug report, then what
 * its kind has (glob slots, scalar values, code and pads, hash and stash
 * names, object fields, C struct fields). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_shared.h"

/* show: its entry in the command table (commands.c). */
static int cmd_show(cm *m, int argc, char **argv);
const command command_show = {
    "show", "Show information about a given SV", cmd_show,
    "show [OPTIONS...] [SV ADDR]", NULL
};

static void say_with_sv(cm *m, const char *pre, uint64_t addr)
{
    char *s = cm_format_sv(m, addr);
    fprintf(cmd_out, "%s%s\n", pre, s);
    free(s);
}

/* PRE and the SV at addr, or the line NONE when nothing is there. */
static void say_with_sv_or(cm *m, const char *pre, uint64_t addr, const char *none)
{
    if (cm_exists(m, addr))
        say_with_sv(m, pre, addr);
    else
        fputs(none, cmd_out);
}

/* Devel::MAT 0.56's show_magicv2: funcs always, the rest when set. */
static void show_magicv2(cm *m, const pmat_ext *x)
{
    fprintf(cmd_out, "  has MagicV2 with funcs at %s", x->u.magicv2.funcs ? "" : "0");
    if (x->u.magicv2.funcs)
        fprintf(cmd_out, "0x%" PRIx64, x->u.magicv2.funcs);
    if (cm_exists(m, x->u.magicv2.auxsv)) {
        char *a = cm_format_sv(m, x->u.magicv2.auxsv);
        fprintf(cmd_out, "\n    with auxsv at %s", a);
        free(a);
    }
    uint64_t ptr = x->u.magicv2.ptr, len = x->u.magicv2.ptrlen;
    if (ptr && len)
        fprintf(cmd_out, "\n    with ptr 0x%" PRIx64 " len %" PRIu64, ptr, len);
    else if (ptr)
        fprintf(cmd_out, "\n    with ptr 0x%" PRIx64, ptr);
    else if (len)
        fprintf(cmd_out, "\n    with ptrlen %" PRIu64, len);
    if (x->u.magicv2.flags & PMAT_MAGICv2_HAS_KEYIV)
        fprintf(cmd_out, "\n    with keyiv %" PRIu64, x->u.magicv2.keyiv);
    if (cm_exists(m, x->u.magicv2.keysv)) {
        char *k = cm_format_sv(m, x->u.magicv2.keysv);
        fprintf(cmd_out, "\n    with keysv at %s", k);
        free(k);
    }
    fputc('\n', cmd_out);
}

static int cmd_show(cm *m, int argc, char **argv)
{
    optspec opts[] = { { "full-pv", 'F', 0, 0, 0, 0 }, { "pad", 'P', 0, 0, 0, 0 }, { 0 } };
    uint64_t addr;
    int rc = addr_args(m, "show", opts, argc, argv, &addr);
    if (rc)
        return rc;
    size_t idx = cm_find(m, addr);
    int immortal = cm_is_immortal(m, addr);
    pmat_sv sv;
    memset(&sv, 0, sizeof sv);
    if (!immortal && pmat_sv_get(m->f, idx, &sv, &m->err) < 0)
        return usage_err("show: %s", pmat_error_message(&m->err));
    char *f = cm_format_sv(m, addr);
    fprintf(cmd_out, "%s with refcount %u%s\n", f, immortal ? 0 : sv.refcnt,
            (!immortal && m->mortal && m->mortal[idx]) ? " (mortalized)" : "");
    free(f);
    uint64_t size = immortal ? 0 : sv.size;
    if (size < 1024)
        fprintf(cmd_out, "  size %" PRIu64 " bytes\n", size);
    else {
        char *b = cm_format_bytes(size);
        fprintf(cmd_out, "  size %s (%" PRIu64 " bytes)\n", b, size);
        free(b);
    }
    if (immortal) {
        const char *t = cm_type_of(m, addr);
        if (!strcmp(t, "SCALAR"))
            fprintf(cmd_out, "  UV=%d\n  IV=%d\n  NV=%d\n  PV=\"%s\"\n  PVLEN 1\n", addr == m->h->yes_at,
                    addr == m->h->yes_at, addr == m->h->yes_at, addr == m->h->yes_at ? "1" : "0");
        return 0;
    }
    pmat_str sn;
    if (sv.type != PMAT_SVt_C_STRUCT && cm_stashname(m, sv.blessed, &sn) == 0) {
        char *b = xstrdup_str(&sn);
        fprintf(cmd_out, "  blessed as %s\n", b);
        free(b);
    }
    char *sym = cm_symname(m, addr);
    if (sym)
        fprintf(cmd_out, "  named as %s\n", sym);
    free(sym);
    size_t first, nx = pmat_sv_extensions(m->f, addr, &first);
    uint64_t shared_hek = 0;
    for (size_t j = 0; j < nx; j++) {
        pmat_ext x;
        if (pmat_ext_get(m->f, first + j, &x, &m->err) < 0)
            continue;
        if (x.type == PMAT_SVx_PV_SHARED_HEK)
            shared_hek = x.u.shared_hek;   /* the last one wins, as in Devel::MAT */
        if (x.type == PMAT_SVx_MAGICv2)
            show_magicv2(m, &x);
        if (x.type != PMAT_SVx_MAGIC)
            continue;
        unsigned char t = x.u.magic.type;
        if (t == ' ' || t == '\t' || t == '\n' || t == '\r' || t == '\f')
            t = 0;
        if (t < 0x20)
            fprintf(cmd_out, "  has ^%c magic", 0x40 + t);
        else
            fprintf(cmd_out, "  has %c magic", t);
        if (cm_exists(m, x.u.magic.obj))
        {
            char *o = cm_format_sv(m, x.u.magic.obj);
            fprintf(cmd_out, " with object at %s", o);
            free(o);
        }
        if (cm_exists(m, x.u.magic.ptr)) {
            char *p = cm_format_sv(m, x.u.magic.ptr);
            fprintf(cmd_out, " with pointer at %s", p);
            free(p);
        }
        if (x.u.magic.vtbl)
            fprintf(cmd_out, "\n     with virtual table at 0x%" PRIx64, x.u.magic.vtbl);
        fputc('\n', cmd_out);
    }
    for (size_t j = 0; j < nx; j++) {
        pmat_ext x;
        if (pmat_ext_get(m->f, first + j, &x, &m->err) < 0 || x.type != PMAT_SVx_DEBUGREPORT)
            continue;
        fprintf(cmd_out, "  debug serial %" PRIu64 "\n", x.u.debug.serial);
        if (!x.u.debug.file.is_null) {
            char *fl = xstrdup_str(&x.u.debug.file);
            fprintf(cmd_out, "  created at %s:%" PRIu64 "\n", fl, x.u.debug.line);
            free(fl);
        }
    }
    switch (cm_kind_of(m, idx)) {
    case K_GLOB: {
        if (!sv.u.glob.name.is_null && sv.u.glob.name.len &&
            !(sv.u.glob.name.len == 1 && sv.u.glob.name.ptr[0] == '0')) {
            char *n = xstrdup_str(&sv.u.glob.name);
            fprintf(cmd_out, "  name=%s\n", n);
            free(n);
            if (sv.u.glob.name_hek)
                fprintf(cmd_out, "  name_hek=0x%" PRIx64 "\n", sv.u.glob.name_hek);
        }
        static const char *const lbl[] = { "  stash=", "  SCALAR=", "  ARRAY=", "  HASH=",
                                           "  CODE=", "  EGV=", "  IO=", "  FORM=" };
        uint64_t sl[] = { sv.u.glob.stash, sv.u.glob.scalar, sv.u.glob.array, sv.u.glob.hash,
                          sv.u.glob.code, sv.u.glob.egv, sv.u.glob.io, sv.u.glob.form };
        for (int k = 0; k < 8; k++)
            if (cm_exists(m, sl[k]))
                say_with_sv(m, lbl[k], sl[k]);
        break;
    }
    case K_SCALAR: {
        if (sv.type != PMAT_SVt_SCALAR)
            break;
        uint8_t fl = cm_scalar_flags(&sv);
        if (!(fl & (PMAT_SCALAR_HAS_IV | PMAT_SCALAR_HAS_NV | PMAT_SCALAR_HAS_PV)))
            break;
        if (fl & PMAT_SCALAR_HAS_IV) {
            if (fl & PMAT_SCALAR_IV_IS_UV)
                fprintf(cmd_out, "  UV=%" PRIu64 "\n", sv.u.scalar.uv);
            else
                fprintf(cmd_out, "  IV=%" PRId64 "\n", sv.u.scalar.iv);
        }
        if (fl & PMAT_SCALAR_HAS_NV) {
            char *n = fmt_nv(sv.u.scalar.nv);
            fprintf(cmd_out, "  NV=%s\n", n);
            free(n);
        }
        if (fl & PMAT_SCALAR_HAS_PV) {
            char *p = fmt_pv(&sv.u.scalar.pv, opts[0].set ? 0 : 64);
            fprintf(cmd_out, "  PV=%s\n  PVLEN %" PRIu64 "\n", p, sv.u.scalar.pvlen);
            free(p);
            if (shared_hek)
                fprintf(cmd_out, "  SHARED_HEK=0x%" PRIx64 "\n", shared_hek);
        }
        break;
    }
    case K_BOOL:
        fprintf(cmd_out, "  BOOL=%s\n", sv.type == PMAT_SVt_YES ? "true" : "false");
        break;
    case K_REF:
        if (cm_exists(m, sv.u.ref.rv))
            say_with_sv(m, "  RV=", sv.u.ref.rv);
        break;
    case K_ARRAY:
        fprintf(cmd_out, "  %" PRIu64 " elements (use 'elems' command to show)\n", sv.u.array.n);
        break;
    case K_STASH: case K_CLASS:
        if (cm_kind_of(m, idx) == K_CLASS) {
            fputs("  is CLASS\n", cmd_out);
            if (cm_exists(m, sv.u.hash.adjust_blocks))
                say_with_sv(m, "  adjust_blocks=", sv.u.hash.adjust_blocks);
        }
        if (cm_stashname(m, addr, &sn) == 0) {
            char *n = xstrdup_str(&sn);
            fprintf(cmd_out, "  stashname=%s\n", n);
            free(n);
        }
        /* fall through */
    case K_HASH:
        fprintf(cmd_out, "  %" PRIu64 " values (use 'values' command to show)\n",
                cm_hash_nvalues(m, addr, &sv));
        break;
    case K_CODE: {
        cm_code c;
        if (cm_code_load(m, addr, &c) < 0) {
            cm_code_free(&c);
            break;
        }
        if (sv.u.code.name_hek)
            fprintf(cmd_out, "  name_hek=0x%" PRIx64 "\n", sv.u.code.name_hek);
        if (!sv.u.code.name.is_null && sv.u.code.name.len) {
            char *n = xstrdup_str(&sv.u.code.name);
            fprintf(cmd_out, "  hekname=%s\n", n);
            free(n);
        } else
            fputs("  no hekname\n", cmd_out);
        say_with_sv_or(m, "  stash=", sv.u.code.stash, "  no stash\n");
        uint64_t g = cm_glob_at(m, idx);
        say_with_sv_or(m, "  glob=", g, "  no glob\n");
        if (sv.u.code.line && !sv.u.code.file.is_null) {
            char *fl = xstrdup_str(&sv.u.code.file);
            fprintf(cmd_out, "  location=%s line %" PRIu64 "\n", fl, sv.u.code.line);
            free(fl);
        } else if (!sv.u.code.file.is_null && sv.u.code.file.len) {
            char *fl = xstrdup_str(&sv.u.code.file);
            fprintf(cmd_out, "  location=%s\n", fl);
            free(fl);
        } else
            fputs("  no location\n", cmd_out);
        say_with_sv_or(m, "  scope=", sv.u.code.outside, "  no scope\n");
        if (cm_exists(m, sv.u.code.padlist))
            say_with_sv(m, "  padlist=", sv.u.code.padlist);
        if (cm_exists(m, c.padnames_av))
            say_with_sv(m, "  padnames_av=", c.padnames_av);
        /* protosub: the CvCLONE CODE with the same oproot, for a closure */
        if ((sv.u.code.flags & 0x02) && sv.u.code.oproot) {
            cm_refs r = { 0 };
            cm_outrefs_list(m, addr, M_INFERRED, &r);
            for (size_t k = 0; k < r.n; k++)
                if (!strcmp(r.v[k].name, "the protosub"))
                    say_with_sv(m, "  protosub=", r.v[k].addr);
            cm_refs_free(&r);
        }
        for (size_t d = 0; d < c.npads; d++)
            if (cm_exists(m, c.pads[d])) {
                char pre[48];
                snprintf(pre, sizeof pre, "  pad[%zu]=", d);
                say_with_sv(m, pre, c.pads[d]);
            }
        if (opts[1].set && c.npads && cm_exists(m, c.pads[0])) {
            pmat_sv pad;
            if (pmat_sv_get(m->f, cm_find(m, c.pads[0]), &pad, &m->err) == 0) {
                fputs("PAD[0]:\n", cmd_out);
                show_pad_contents(m, &pad, &c);
            }
        }
        int any = 0;
        for (size_t k = 0; k < c.ngvs; k++)
            if (cm_exists(m, c.gvs[k])) {
                if (!any)
                    fputs("Referenced globs:\n  ", cmd_out);
                any = 1;
                char *gs = cm_format_sv(m, c.gvs[k]);
                fprintf(cmd_out, "%s, ", gs);
                free(gs);
            }
        if (any)
            fputc('\n', cmd_out);
        cm_code_free(&c);
        break;
    }
    case K_PAD: {
        uint64_t cv = cm_padcv(m, idx);
        cm_code c;
        memset(&c, 0, sizeof c);
        if (cv)
            say_with_sv(m, "  padcv=", cv);
        else
            fputs("  no padcv\n", cmd_out);
        if (cv && cm_code_load(m, cv, &c) == 0)
            show_pad_contents(m, &sv, &c);
        cm_code_free(&c);
        break;
    }
    case K_PADNAMES: {
        uint64_t cv = cm_padcv(m, idx);
        if (cv)
            say_with_sv(m, "  padcv=", cv);
        else
            fputs("  no padcv\n", cmd_out);
        for (uint64_t j = 1; j < sv.u.array.n; j++) {
            uint64_t e = pmat_array_elem(m->f, &sv, j);
            size_t ei = cm_find(m, e);
            pmat_sv ns;
            if (ei == NO_IDX || cm_is_immortal(m, e) || pmat_sv_get(m->f, ei, &ns, &m->err) < 0 ||
                strcmp(cm_type_of(m, e), "SCALAR") || !(ns.u.scalar.flags & PMAT_SCALAR_HAS_PV))
                continue;
            char *n = xstrdup_str(&ns.u.scalar.pv);
            fprintf(cmd_out, "  [%" PRIu64 "] is %s\n", j, n);
            free(n);
        }
        break;
    }
    case K_IO:
        fprintf(cmd_out, "  ifileno=%" PRId64 "\n  ofileno=%" PRId64 "\n", sv.u.io.ifileno,
                sv.u.io.ofileno);
        break;
    case K_OBJECT: {
        size_t ci = cm_find(m, sv.blessed);
        pmat_sv cls;
        if (ci == NO_IDX || pmat_sv_get(m->f, ci, &cls, &m->err) < 0 || cls.type != PMAT_SVt_CLASS)
            break;
        pmat_iter it = { 0, 0 };
        uint64_t fix;
        pmat_str fname;
        while (pmat_class_next(m->f, &cls, &it, &fix, &fname, &m->err) > 0) {
            uint64_t x = fix < sv.u.array.n ? pmat_array_elem(m->f, &sv, fix) : 0;
            char *fn = xstrdup_str(&fname);
            char *v = cm_exists(m, x) ? format_sv_with_value(m, x, 0) : xstrdup("NULL");
            fprintf(cmd_out, "  %s=%s\n", fn, v);
            free(fn);
            free(v);
        }
        break;
    }
    case K_C_STRUCT: {
        uint64_t id, nf;
        pmat_str sname;
        if (pmat_struct_info(m->f, sv.u.cstruct.meta, &id, &sname, &nf) < 0)
            break;
        for (uint64_t j = 0; j < nf; j++) {
            pmat_str fname;
            unsigned type;
            uint64_t v;
            if (pmat_cstruct_field(m->f, &sv, j, &fname, &type, &v, &m->err) < 0)
                continue;
            char *fn = xstrdup_str(&fname);
            if (type == PMAT_FIELD_PTR) {
                if (cm_exists(m, v)) {
                    char *s2 = format_sv_with_value(m, v, 0);
                    fprintf(cmd_out, "  %s=%s\n", fn, s2);
                    free(s2);
                }
            } else if (type == PMAT_FIELD_BOOL)
                fprintf(cmd_out, "  %s=%s\n", fn, v ? "true" : "false");
            else
                fprintf(cmd_out, "  %s=%" PRIu64 "\n", fn, v);
            free(fn);
        }
        break;
    }
    default:
        /* UNDEF, LVALUE, REGEXP, FORMAT, INVLIST, PADLIST: pmat 0.51 has no
         * show_TYPE method and dies here; cpmat ends after the common part. */
        break;
    }
    return 0;
}
