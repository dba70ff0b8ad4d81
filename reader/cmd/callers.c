/* cmd/callers.c - callers: the context stack, innermost first, with each
 * sub call's arguments, and its $self or (--pad) its pad. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_shared.h"

/* callers: its entry in the command table (commands.c). */
static int cmd_callers(cm *m, int argc, char **argv);
const command command_callers = {
    "callers", "Display the caller stack", cmd_callers,
    "callers [OPTIONS...]", NULL
};

static int cmd_callers(cm *m, int argc, char **argv)
{
    optspec opts[] = { { "pad", 'P', 0, 0, 0, 0 }, { 0 } };
    if (opts_only("callers", opts, argc, argv))
        return 2;
    size_t n = pmat_ctx_count(m->f);
    /* the true depth of SUB contexts (Dumpfile _fixup) */
    int64_t *depth = xmalloc((n + 1) * sizeof *depth);
    for (size_t c = 0; c < n; c++) {
        pmat_ctx ctx;
        depth[c] = -1;
        if (pmat_ctx_get(m->f, c, &ctx, &m->err) < 0 || ctx.type != PMAT_CTX_SUB)
            continue;
        int found = 0;
        for (size_t p = c; p-- > 0;) {
            pmat_ctx pc;
            if (pmat_ctx_get(m->f, p, &pc, &m->err) == 0 && pc.type == PMAT_CTX_SUB &&
                pc.cv == ctx.cv) {
                depth[c] = pc.olddepth;
                found = 1;
                break;
            }
        }
        if (!found) {
            size_t ci = cm_find(m, ctx.cv);
            pmat_sv cv;
            if (ci != NO_IDX && pmat_sv_get(m->f, ci, &cv, &m->err) == 0 && cv.type == PMAT_SVt_CODE)
                depth[c] = cv.u.code.depth;
        }
    }
    static const char *const gimmes[] = { "", "void", "scalar", "array" };
    for (size_t c = 0; c < n; c++) {
        pmat_ctx ctx;
        if (pmat_ctx_get(m->f, c, &ctx, &m->err) < 0)
            continue;
        char *what;
        if (ctx.type == PMAT_CTX_SUB) {
            char *f = cm_format_sv(m, ctx.cv), *sym = cm_symname(m, ctx.cv);
            what = xasprintf("%s=%s", f, sym ? sym : "");
            free(f);
            free(sym);
        } else if (ctx.type == PMAT_CTX_TRY) {
            what = xstrdup("eval {...}");
        } else if (ctx.type == PMAT_CTX_EVAL) {
            size_t ci = cm_find(m, ctx.codesv);
            pmat_sv cs;
            char *pv = NULL;
            if (ci != NO_IDX && pmat_sv_get(m->f, ci, &cs, &m->err) == 0 &&
                cs.type == PMAT_SVt_SCALAR && (cs.u.scalar.flags & PMAT_SCALAR_HAS_PV))
                pv = fmt_pv(&cs.u.scalar.pv, 64);
            what = xasprintf("eval (%s)", pv ? pv : "");
            free(pv);
        } else {
            what = xstrdup("");
        }
        char *file = ctx.file.is_null ? xstrdup("") : xstrdup_str(&ctx.file);
        fprintf(cmd_out, "caller(%zu): %s => %s\n  at %s line %" PRIu64 "\n", c, what,
                ctx.gimme < 4 ? gimmes[ctx.gimme] : "", file, ctx.line);
        free(what);
        free(file);
        if (ctx.type != PMAT_CTX_SUB)
            continue;
        /* perl >= 5.23.8 has no blk_sub.argarray: @_ is pad[0] at the depth */
        uint64_t argsav = ctx.args;
        if (!argsav && depth[c] >= 1) {
            cm_code code;
            if (cm_code_load(m, ctx.cv, &code) == 0 && (size_t)depth[c] <= code.npads) {
                size_t pi = cm_find(m, code.pads[depth[c] - 1]);
                pmat_sv psv;
                if (pi != NO_IDX && pmat_sv_get(m->f, pi, &psv, &m->err) == 0 && psv.u.array.n)
                    argsav = pmat_array_elem(m->f, &psv, 0);
            }
            cm_code_free(&code);
        }
        size_t ai = cm_find(m, argsav);
        if (ai == NO_IDX)
            continue;
        int done = 0;
        pmat_sv args;
        if (pmat_sv_get(m->f, ai, &args, &m->err) == 0 && args.type == PMAT_SVt_ARRAY)
            for (uint64_t j = 0; j < args.u.array.n; j++) {
                uint64_t e = pmat_array_elem(m->f, &args, j);
                char *v = cm_exists(m, e) ? format_sv_with_value(m, e, 0) : xstrdup("NULL");
                fprintf(cmd_out, "  $_[%" PRIu64 "]: %s\n", j, v);
                free(v);
                done++;
            }
        char *cvs = cm_format_sv(m, ctx.cv);
        fprintf(cmd_out, "  cv=%s\n", cvs);
        free(cvs);
        if (depth[c] > -1) {
            cm_code code;
            if (cm_code_load(m, ctx.cv, &code) == 0) {
                uint64_t pad = depth[c] >= 1 && (size_t)depth[c] <= code.npads ? code.pads[depth[c] - 1] : 0;
                if (opts[0].set) {
                    char *ps = cm_exists(m, pad) ? cm_format_sv(m, pad) : xstrdup("NULL");
                    fprintf(cmd_out, "  curpad=%s\n", ps);
                    free(ps);
                    pmat_sv psv;
                    size_t pi = cm_find(m, pad);
                    if (pi != NO_IDX && pmat_sv_get(m->f, pi, &psv, &m->err) == 0)
                        show_pad_contents(m, &psv, &code);
                } else {
                    size_t six = 0;
                    for (size_t k = 1; k < code.npadnames && !six; k++)
                        if (!code.padnames[k].is_null && code.padnames[k].len == 5 &&
                            !memcmp(code.padnames[k].ptr, "$self", 5))
                            six = k;
                    if (six) {
                        pmat_sv psv;
                        size_t pi = cm_find(m, pad);
                        uint64_t e = 0;
                        if (pi != NO_IDX && pmat_sv_get(m->f, pi, &psv, &m->err) == 0 &&
                            six < psv.u.array.n)
                            e = pmat_array_elem(m->f, &psv, six);
                        done++;
                        if (cm_exists(m, e)) {
                            char *v = format_sv_with_value(m, e, 0);
                            fprintf(cmd_out, "  $self: %s\n", v);
                            free(v);
                        } else
                            fputs("  no $self\n", cmd_out);
                    }
                }
            }
            cm_code_free(&code);
        }
        if (!done)
            fputs("  (no args)\n", cmd_out);
    }
    free(depth);
    return 0;
}
