/* cmd/find.c - find: the SVs that every given filter accepts (blessed, cv,
 * io, lexical, magic, magicv2, num, pv, struct), with what each filter
 * says of them; --count only counts. */
#include <inttypes.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd_shared.h"

/* find: its entry in the command table (commands.c). */
static int cmd_find(cm *m, int argc, char **argv);
const command command_find = {
    "find", "List SVs matching given criteria", cmd_find,
    "find [FILTER...]", NULL
};

enum { F_BLESSED, F_CV, F_IO, F_LEXICAL, F_MAGIC, F_MAGICV2, F_NUM, F_PV, F_STRUCT };

typedef struct filter {
    int type;
    char *arg;
    int o_iv, o_uv, o_nv, o_eq, o_re, o_icase, o_xsub, o_inactive, has_value;
    double value;
    long long fileno;
    int has_fileno;
    const char *package, *file;
    uint64_t vtbl;
    uint64_t funcs, auxsv;   /* find magicv2: 0 = any */
    regex_t re;          /* find pv --regexp: compiled when has_re */
    int has_re;
} filter;

static int match_pv(const filter *fl, const pmat_str *pv)
{
    if (fl->has_re)
        return regex_match_str(&fl->re, pv);
    const char *pat = fl->arg;
    size_t pl = strlen(pat);
    if (fl->o_eq)
        return pv->len == pl && (fl->o_icase ? !strncasecmp((const char *)pv->ptr, pat, pl)
                                             : !memcmp(pv->ptr, pat, pl));
    if (pl > pv->len)
        return 0;
    for (uint64_t i = 0; i + pl <= pv->len; i++)
        if (fl->o_icase ? !strncasecmp((const char *)pv->ptr + i, pat, pl)
                        : !memcmp(pv->ptr + i, pat, pl))
            return 1;
    return 0;
}

/* Returns 1 and *outtext (malloc'd, may be NULL) and possibly a new *addr
 * when the filter accepts the SV. */
static int apply_filter(cm *m, const filter *fl, size_t idx, uint64_t *addr, char **outtext)
{
    *outtext = NULL;
    pmat_sv sv;
    size_t i = cm_find(m, *addr);
    if (i == NO_IDX || pmat_sv_get(m->f, i, &sv, &m->err) < 0)
        return 0;
    (void)idx;
    unsigned k = cm_kind_of(m, i);
    switch (fl->type) {
    case F_BLESSED: {
        pmat_str sn;
        if (sv.type == PMAT_SVt_C_STRUCT || !sv.blessed || cm_stashname(m, sv.blessed, &sn) < 0)
            return 0;
        if (strlen(fl->arg) != sn.len || memcmp(fl->arg, sn.ptr, sn.len))
            return 0;
        *outtext = xstrdup(fl->arg);
        return 1;
    }
    case F_CV: {
        if (k != K_CODE)
            return 0;
        if (fl->o_xsub && !(sv.u.code.flags & 0x04))
            return 0;
        if (fl->package) {
            size_t gi = cm_find(m, cm_glob_at(m, i));
            pmat_sv g;
            pmat_str sn;
            if (gi == NO_IDX || cm_kind_of(m, gi) != K_GLOB ||
                pmat_sv_get(m->f, gi, &g, &m->err) < 0 || cm_stashname(m, g.u.glob.stash, &sn) < 0)
                return 0;
            if (strlen(fl->package) != sn.len || memcmp(fl->package, sn.ptr, sn.len))
                return 0;
        }
        if (fl->file) {
            pmat_str *f = &sv.u.code.file;
            if (f->is_null || strlen(fl->file) != f->len || memcmp(fl->file, f->ptr, f->len))
                return 0;
        }
        char *s = cm_symname(m, *addr);
        *outtext = s ? s : xstrdup("__ANON__");
        return 1;
    }
    case F_IO: {
        if (k != K_IO)
            return 0;
        if (fl->has_fileno && sv.u.io.ifileno != fl->fileno && sv.u.io.ofileno != fl->fileno)
            return 0;
        *outtext = xasprintf("ifileno=%" PRId64 " ofileno=%" PRId64, sv.u.io.ifileno,
                             sv.u.io.ofileno);
        return 1;
    }
    case F_NUM: {
        if (k != K_SCALAR || sv.type != PMAT_SVt_SCALAR)
            return 0;
        uint8_t f = cm_scalar_flags(&sv);
        int all = !fl->o_iv && !fl->o_uv && !fl->o_nv;
        if ((all || fl->o_nv) && (f & PMAT_SCALAR_HAS_NV)) {
            if (fl->has_value && sv.u.scalar.nv != fl->value)
                return 0;
            *outtext = fmt_nv(sv.u.scalar.nv);
            return 1;
        }
        if (f & PMAT_SCALAR_HAS_IV) {
            int isuv = (f & PMAT_SCALAR_IV_IS_UV) != 0;
            if ((all || fl->o_iv) && !isuv) {
                if (fl->has_value && (double)sv.u.scalar.iv != fl->value)
                    return 0;
                *outtext = xasprintf("%" PRId64, sv.u.scalar.iv);
                return 1;
            }
            if ((all || fl->o_uv) && isuv) {
                if (fl->has_value && (double)sv.u.scalar.uv != fl->value)
                    return 0;
                *outtext = xasprintf("%" PRIu64, sv.u.scalar.uv);
                return 1;
            }
        }
        return 0;
    }
    case F_PV: {
        if (k != K_SCALAR || sv.type != PMAT_SVt_SCALAR || !(sv.u.scalar.flags & PMAT_SCALAR_HAS_PV))
            return 0;
        if (!match_pv(fl, &sv.u.scalar.pv))
            return 0;
        *outtext = fmt_pv(&sv.u.scalar.pv, 64);
        return 1;
    }
    case F_STRUCT: {
        if (k != K_C_STRUCT)
            return 0;
        uint64_t id, nf;
        pmat_str name;
        if (pmat_struct_info(m->f, sv.u.cstruct.meta, &id, &name, &nf) < 0 ||
            strlen(fl->arg) != name.len || memcmp(fl->arg, name.ptr, name.len))
            return 0;
        *outtext = xstrdup(fl->arg);
        return 1;
    }
    case F_MAGICV2: {
        /* Devel::MAT 0.56's filter: the first MagicV2 attachment that
         * matches --funcs / --auxsv */
        size_t first, nx = pmat_sv_extensions(m->f, *addr, &first);
        for (size_t j = 0; j < nx; j++) {
            pmat_ext x;
            if (pmat_ext_get(m->f, first + j, &x, &m->err) < 0 || x.type != PMAT_SVx_MAGICv2)
                continue;
            if (fl->funcs && x.u.magicv2.funcs != fl->funcs)
                continue;
            int has_aux = cm_exists(m, x.u.magicv2.auxsv);
            if (fl->auxsv && (!has_aux || x.u.magicv2.auxsv != fl->auxsv))
                continue;
            char *s = x.u.magicv2.funcs ? xasprintf("MagicV2 funcs 0x%" PRIx64, x.u.magicv2.funcs)
                                        : xstrdup("MagicV2 funcs 0");
            if (has_aux) {
                char *o = cm_format_sv(m, x.u.magicv2.auxsv), *t = xasprintf("%s, with auxsv %s", s, o);
                free(o);
                free(s);
                s = t;
            }
            *outtext = s;
            return 1;
        }
        return 0;
    }
    case F_MAGIC: {
        size_t first, nx = pmat_sv_extensions(m->f, *addr, &first);
        for (size_t j = 0; j < nx; j++) {
            pmat_ext x;
            if (pmat_ext_get(m->f, first + j, &x, &m->err) < 0 || x.type != PMAT_SVx_MAGIC ||
                x.u.magic.vtbl != fl->vtbl)
                continue;
            char *s = xasprintf("magic type '%c'", x.u.magic.type);
            if (cm_exists(m, x.u.magic.obj)) {
                char *o = cm_format_sv(m, x.u.magic.obj), *t = xasprintf("%s, with object %s", s, o);
                free(o);
                free(s);
                s = t;
            }
            if (cm_exists(m, x.u.magic.ptr)) {
                char *o = cm_format_sv(m, x.u.magic.ptr), *t = xasprintf("%s, with pointer %s", s, o);
                free(o);
                free(s);
                s = t;
            }
            *outtext = s;
            return 1;
        }
        return 0;
    }
    case F_LEXICAL: {
        if (k != K_PAD)
            return 0;
        uint64_t cvaddr = cm_padcv(m, i);
        cm_code c;
        if (!cvaddr || cm_code_load(m, cvaddr, &c) < 0)
            return 0;
        size_t nl = strlen(fl->arg), padix = 0;
        for (size_t p = 1; p < c.npadnames; p++)
            if (!c.padnames[p].is_null && c.padnames[p].len == nl &&
                !memcmp(c.padnames[p].ptr, fl->arg, nl)) {
                padix = p;
                break;
            }
        size_t depth = 0;
        for (size_t d = 0; d < c.npads; d++)
            if (c.pads[d] == *addr) {
                depth = d + 1;
                break;
            }
        int64_t cvdepth = c.sv.u.code.depth;
        cm_code_free(&c);
        if (!padix || padix >= sv.u.array.n)
            return 0;
        uint64_t lex = pmat_array_elem(m->f, &sv, padix);
        if (!cm_exists(m, lex))
            return 0;
        int live = (int64_t)depth <= cvdepth;
        if (!live && !fl->o_inactive)
            return 0;
        char *cvs = cm_format_sv(m, cvaddr);
        *outtext = xasprintf("%s at depth %zu%s of %s", fl->arg, depth, live ? "" : " [inactive]",
                             cvs);
        free(cvs);
        *addr = lex;
        return 1;
    }
    }
    return 0;
}

static int parse_filter(int argc, char **argv, int *pi, filter *fl)
{
    int i = *pi;
    const char *name = argv[i++];
    memset(fl, 0, sizeof *fl);
    if (!strcmp(name, "blessed") || !strcmp(name, "lexical") || !strcmp(name, "struct")) {
        fl->type = name[0] == 'b' ? F_BLESSED : name[0] == 'l' ? F_LEXICAL : F_STRUCT;
        if (fl->type == F_LEXICAL) {
            optspec o[] = { { "inactive", 'I', 0, 0, 0, 0 }, { 0 } };
            if ((i = parse_opts("find lexical", o, argc, argv, i)) < 0)
                return 2;
            fl->o_inactive = o[0].set;
        }
        if (i >= argc)
            return usage_err("find %s: expected %s", name,
                             fl->type == F_BLESSED ? "a package name" :
                             fl->type == F_LEXICAL ? "a variable name" : "a structure type name");
        fl->arg = argv[i++];
    } else if (!strcmp(name, "cv")) {
        fl->type = F_CV;
        optspec o[] = { { "xsub", 0, 0, 0, 0, 0 }, { "package", 'p', 's', 0, 0, 0 },
                        { "file", 'f', 's', 0, 0, 0 }, { 0 } };
        if ((i = parse_opts("find cv", o, argc, argv, i)) < 0)
            return 2;
        fl->o_xsub = o[0].set;
        fl->package = o[1].set ? o[1].sval : NULL;
        fl->file = o[2].set ? o[2].sval : NULL;
    } else if (!strcmp(name, "io")) {
        fl->type = F_IO;
        optspec o[] = { { "fileno", 'f', 'i', 0, 0, 0 }, { 0 } };
        if ((i = parse_opts("find io", o, argc, argv, i)) < 0)
            return 2;
        if (o[0].set) {
            fl->has_fileno = 1;
            fl->fileno = o[0].ival;
        } else if (i < argc && argv[i][0] && strspn(argv[i], "0123456789") == strlen(argv[i])) {
            fl->has_fileno = 1;
            fl->fileno = strtoll(argv[i++], NULL, 10);
        }
    } else if (!strcmp(name, "num")) {
        fl->type = F_NUM;
        optspec o[] = { { "iv", 0, 0, 0, 0, 0 }, { "uv", 0, 0, 0, 0, 0 }, { "nv", 0, 0, 0, 0, 0 },
                        { 0 } };
        if ((i = parse_opts("find num", o, argc, argv, i)) < 0)
            return 2;
        fl->o_iv = o[0].set;
        fl->o_uv = o[1].set;
        fl->o_nv = o[2].set;
        if (i < argc) {
            char *end;
            fl->value = strtod(argv[i], &end);
            if (*end || !*argv[i])
                return usage_err("find num: expected a number, not '%s'", argv[i]);
            fl->has_value = 1;
            i++;
        }
    } else if (!strcmp(name, "pv")) {
        fl->type = F_PV;
        optspec o[] = { { "eq", 0, 0, 0, 0, 0 }, { "regexp", 'r', 0, 0, 0, 0 },
                        { "ignorecase", 'i', 0, 0, 0, 0 }, { 0 } };
        if ((i = parse_opts("find pv", o, argc, argv, i)) < 0)
            return 2;
        fl->o_eq = o[0].set;
        fl->o_re = o[1].set;
        fl->o_icase = o[2].set;
        if (i >= argc)
            return usage_err("find pv: expected a pattern");
        fl->arg = argv[i++];
        if (fl->o_re) {
            int rc = regcomp(&fl->re, fl->arg, REG_EXTENDED | REG_NOSUB | (fl->o_icase ? REG_ICASE : 0));
            if (rc) {
                char msg[256];
                regerror(rc, &fl->re, msg, sizeof msg);
                return usage_err("find pv: bad --regexp '%s': %s", fl->arg, msg);
            }
            fl->has_re = 1;
        }
    } else if (!strcmp(name, "magic")) {
        fl->type = F_MAGIC;
        optspec o[] = { { "vtbl", 'v', 'x', 0, 0, 0 }, { 0 } };
        if ((i = parse_opts("find magic", o, argc, argv, i)) < 0)
            return 2;
        if (!o[0].set || !o[0].ival)
            return usage_err("find magic: expected --vtbl");
        fl->vtbl = (uint64_t)o[0].ival;
    } else if (!strcmp(name, "magicv2")) {
        fl->type = F_MAGICV2;
        optspec o[] = { { "funcs", 'f', 'x', 0, 0, 0 }, { "auxsv", 'A', 'x', 0, 0, 0 }, { 0 } };
        if ((i = parse_opts("find magicv2", o, argc, argv, i)) < 0)
            return 2;
        fl->funcs = (uint64_t)o[0].ival;
        fl->auxsv = (uint64_t)o[1].ival;
    } else {
        return usage_err("find: unknown filter type '%s'", name);
    }
    *pi = i;
    return 0;
}

static int find_run(cm *m, int argc, char **argv, filter *fl, int *nfp);

static int cmd_find(cm *m, int argc, char **argv)
{
    filter fl[16];
    int nf = 0;
    int rc = find_run(m, argc, argv, fl, &nf);
    for (int f = 0; f < nf; f++)
        if (fl[f].has_re)
            regfree(&fl[f].re);
    return rc;
}

static int find_run(cm *m, int argc, char **argv, filter *fl, int *nfp)
{
    optspec opts[] = { { "count", 'C', 0, 0, 0, 0 }, { 0 } };
    int i = parse_opts("find", opts, argc, argv, 0);
    if (i < 0)
        return 2;
    int nf = 0;
    while (i < argc) {
        if (nf == 16)
            return usage_err("find: too many filters");
        int rc = parse_filter(argc, argv, &i, &fl[nf]);
        if (rc)
            return rc;
        *nfp = ++nf;
    }
    uint64_t count = 0;
    int fast_blessed = opts[0].set && nf == 1 && fl[0].type == F_BLESSED;
    uint64_t stash = 0;
    if (fast_blessed) {
        /* Resolve the package to the stash address(es) once; then only the
         * blessed field of each record is compared. */
        (void)stash;
    }
    /* find --count blessed PKG alone: compare the blessed pointer of each
     * record with the stashes named PKG, without decoding the records */
    if (fast_blessed) {
        /* From pmat_open's (type, blessed) figures: one stash-name check
         * per distinct blessed pointer (records alternating between two
         * packages made the per-SV version re-decode a stash per SV). */
        size_t scap = 0;
        const cm_stat *st = cm_stats(m, &scap);
        size_t nitems = st ? scap : m->n;
        size_t alen = strlen(fl[0].arg);
        uint64_t last = 0;
        int last_match = 0;
        for (size_t j = 0; j < nitems; j++) {
            uint64_t size, bl, nsv = 1;
            if (st) {
                if (!st[j].used)
                    continue;
                bl = st[j].blessed;
                nsv = st[j].svs;
            } else {
                cm_size_blessed(m, j, &size, &bl);
            }
            if (!bl)
                continue;
            if (bl != last) {
                pmat_str sn;
                last = bl;
                last_match = cm_stashname(m, bl, &sn) == 0 && alen == sn.len &&
                             !memcmp(fl[0].arg, sn.ptr, sn.len);
            }
            if (last_match)
                count += nsv;
        }
        fprintf(cmd_out, "Total: %" PRIu64 " SVs\n", count);
        return 0;
    }
    for (size_t j = 0; j < m->n; j++) {
        /* every record is decoded: keep the mapped file from piling up in RSS */
        if ((j & 0xffff) == 0xffff)
            pmat_release_pages(m->f);
        uint64_t addr = pmat_sv_addr(m->f, j);
        if (nf && fl[0].type == F_BLESSED) {
            uint64_t size, bl;
            cm_size_blessed(m, j, &size, &bl);
            if (!bl)
                continue;
        }
        char *texts[16];
        int ok = 1, nt = 0;
        for (int f = 0; f < nf && ok; f++) {
            char *t;
            ok = apply_filter(m, &fl[f], j, &addr, &t);
            if (ok)
                texts[nt++] = t;
        }
        if (ok) {
            count++;
            if (!opts[0].set) {
                char *s = cm_format_sv(m, addr);
                fputs(s, cmd_out);
                free(s);
                for (int t = 0; t < nt; t++)
                    fprintf(cmd_out, "%s%s", t ? " " : ": ", texts[t] ? texts[t] : "");
                fputc('\n', cmd_out);
            }
        }
        for (int t = 0; t < nt; t++)
            free(texts[t]);
    }
    if (opts[0].set)
        fprintf(cmd_out, "Total: %" PRIu64 " SVs\n", count);
    return 0;
}
