/* cmd/list-dangling-ptrs.c - list-dangling-ptrs: every pointer field of an
 * SV whose address is neither an SV of the heap nor a root. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_shared.h"

/* list-dangling-ptrs: its entry in the command table (commands.c). */
static int cmd_dangling(cm *m, int argc, char **argv);
const command command_list_dangling_ptrs = {
    "list-dangling-ptrs", "Show pointers in SVs that don't lead anywhere", cmd_dangling,
    "list-dangling-ptrs", NULL
};

static void dangle(cm *m, uint64_t sv, const char *name, uint64_t addr)
{
    if (!addr || cm_find(m, addr) != NO_IDX)
        return;
    for (size_t j = 0; j < cm_nroots(m); j++) {
        const char *n, *d;
        uint64_t a;
        cm_root_get(m, j, &n, &d, &a);
        if (a == addr && cm_exists(m, a))
            return;
    }
    char *f = cm_format_sv(m, sv);
    fprintf(cmd_out, "%s has no %s SV at addr 0x%" PRIx64 "\n", f, name, addr);
    free(f);
}

static int cmd_dangling(cm *m, int argc, char **argv)
{
    if (argc)
        return usage_err("list-dangling-ptrs: unexpected argument '%s'", argv[0]);
    for (size_t i = 0; i < m->n; i++) {
        pmat_sv sv;
        if (pmat_sv_get(m->f, i, &sv, &m->err) < 0)
            continue;
        uint64_t a = sv.addr;
        char buf[64];
        if (sv.type != PMAT_SVt_C_STRUCT)
            dangle(m, a, "blessed", sv.blessed);
        switch (cm_kind_of(m, i)) {
        case K_GLOB:
            dangle(m, a, "stash", sv.u.glob.stash);
            dangle(m, a, "scalar", sv.u.glob.scalar);
            dangle(m, a, "array", sv.u.glob.array);
            dangle(m, a, "hash", sv.u.glob.hash);
            dangle(m, a, "code", sv.u.glob.code);
            dangle(m, a, "egv", sv.u.glob.egv);
            dangle(m, a, "io", sv.u.glob.io);
            dangle(m, a, "form", sv.u.glob.form);
            break;
        case K_SCALAR:
            if (sv.type == PMAT_SVt_SCALAR)
                dangle(m, a, "ourstash", sv.u.scalar.ourstash);
            break;
        case K_REF:
            dangle(m, a, "rv", sv.u.ref.rv);
            dangle(m, a, "ourstash", sv.u.ref.ourstash);
            break;
        case K_ARRAY: case K_PAD: case K_PADLIST: case K_PADNAMES:
            for (uint64_t j = 0; j < sv.u.array.n; j++) {
                snprintf(buf, sizeof buf, "elem [%" PRIu64 "]", j);
                dangle(m, a, buf, pmat_array_elem(m->f, &sv, j));
            }
            break;
        case K_HASH: case K_STASH: case K_CLASS: {
            dangle(m, a, "backrefs", sv.u.hash.backrefs);
            pmat_iter it = { 0, 0 };
            pmat_str key;
            uint64_t val;
            while (pmat_hash_next(m->f, &sv, &it, &key, &val, &m->err) > 0) {
                char *k = xstrdup_str(&key), *nm = xasprintf("value {%s}", k);
                dangle(m, a, nm, val);
                free(k);
                free(nm);
            }
            break;
        }
        case K_CODE: {
            dangle(m, a, "stash", sv.u.code.stash);
            dangle(m, a, "glob", cm_glob_at(m, i));
            dangle(m, a, "outside", sv.u.code.outside);
            dangle(m, a, "padlist", sv.u.code.padlist);
            dangle(m, a, "constval", sv.u.code.constval);
            break;
        }
        default:
            break;
        }
    }
    return 0;
}
