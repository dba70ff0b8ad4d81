/* cmd/strtab.c - strtab: the keys of PL_strtab (a page of --count), each
 * with its HEK and who shares it (hash keys, glob and code names, shared
 * PVs). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_shared.h"

static const char strtab_help[] =
    "OPTIONS:\n"
    KEYS_HELP_COUNT
    KEYS_HELP_NOSORT
    KEYS_HELP_SKIP
    KEYS_HELP_ARGUMENTS;

/* strtab: its entry in the command table (commands.c). */
static int cmd_strtab(cm *m, int argc, char **argv);
const command command_strtab = {
    "strtab", "Show information about the shared strings table (PL_strtab)", cmd_strtab,
    "strtab [OPTIONS...] $FILTER", strtab_help
};

/* Who shares a HEK of PL_strtab, as Devel::MAT 0.56's Strtab tool sees it:
 * plain HASHes by their keys, GLOBs and CODEs by NAME_HEK, SCALARs by
 * PV_SHARED_HEK.  Sorted by (hek, SV index). */
enum { U_KEY, U_NAME, U_SHARED_PV };
typedef struct hekuser { uint64_t hek; uint32_t idx; uint8_t how; } hekuser;
typedef struct hekusers { hekuser *v; size_t n, cap; } hekusers;

static void hekusers_push(hekusers *u, uint64_t hek, size_t idx, int how)
{
    if (!hek)
        return;
    if (u->n == u->cap) {
        u->cap = u->cap ? u->cap * 2 : 256;
        u->v = xrealloc(u->v, u->cap * sizeof *u->v);
    }
    u->v[u->n].hek = hek;
    u->v[u->n].idx = (uint32_t)idx;
    u->v[u->n].how = (uint8_t)how;
    u->n++;
}

static int cmp_hekuser(const void *a, const void *b)
{
    const hekuser *x = a, *y = b;
    if (x->hek != y->hek)
        return x->hek < y->hek ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int collect_hek_users(cm *m, uint64_t strtab, hekusers *u)
{
    for (size_t i = 0; i < m->n; i++) {
        unsigned k = cm_kind_of(m, i);
        if (k != K_HASH && k != K_GLOB && k != K_CODE)
            continue;
        if (pmat_sv_addr(m->f, i) == strtab)
            continue;
        pmat_sv sv;
        if (pmat_sv_get(m->f, i, &sv, &m->err) < 0)
            return usage_err("strtab: %s", pmat_error_message(&m->err));
        if (k == K_GLOB)
            hekusers_push(u, sv.u.glob.name_hek, i, U_NAME);
        else if (k == K_CODE)
            hekusers_push(u, sv.u.code.name_hek, i, U_NAME);
        else {
            pmat_iter it = { 0, 0 };
            pmat_str key;
            uint64_t hek, val;
            int rc;
            while ((rc = pmat_hash_next_hek(m->f, &sv, &it, &key, &hek, &val, &m->err)) > 0)
                hekusers_push(u, hek, i, U_KEY);
            if (rc < 0)
                return usage_err("strtab: %s", pmat_error_message(&m->err));
        }
        if ((i & 0xffff) == 0xffff)
            pmat_release_pages(m->f);
    }
    /* PV_SHARED_HEK counts for what Devel::MAT calls a SCALAR (it ignores
     * the record on anything else); the extensions are sorted by (SV,
     * offset), so the last one of an SV is the one that stays. */
    for (size_t x = 0; x < pmat_ext_count(m->f); x++) {
        pmat_ext e;
        if (pmat_ext_get(m->f, x, &e, &m->err) < 0)
            return usage_err("strtab: %s", pmat_error_message(&m->err));
        if (e.type != PMAT_SVx_PV_SHARED_HEK)
            continue;
        pmat_ext next;
        if (x + 1 < pmat_ext_count(m->f) && pmat_ext_get(m->f, x + 1, &next, &m->err) == 0 &&
            next.sv == e.sv && next.type == PMAT_SVx_PV_SHARED_HEK)
            continue;
        size_t i = cm_find(m, e.sv);
        if (i != NO_IDX && !strcmp(cm_type_of(m, e.sv), "SCALAR"))
            hekusers_push(u, e.u.shared_hek, i, U_SHARED_PV);
    }
    if (u->n > 1)
        qsort(u->v, u->n, sizeof *u->v, cmp_hekuser);
    return 0;
}

static void strtab_key_rows(cm *m, table *t, const kv *e, const hekusers *u)
{
    tab_row(t, 2, cm_format_key(e->key.ptr, e->key.len),
            xasprintf("HEK at %s%" PRIx64, e->hek ? "0x" : "", e->hek));
    if (!e->hek)
        return;
    size_t lo = 0, hi = u->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (u->v[mid].hek < e->hek)
            lo = mid + 1;
        else
            hi = mid;
    }
    static const char *const how[] = { "  key of ", "  name of ", "  shared PV of " };
    for (; lo < u->n && u->v[lo].hek == e->hek; lo++) {
        char *f = cm_format_sv(m, pmat_sv_addr(m->f, u->v[lo].idx));
        tab_row(t, 2, xasprintf("%s%s", how[u->v[lo].how], f), xstrdup(""));
        free(f);
    }
}

static int cmd_strtab(cm *m, int argc, char **argv)
{
    optspec opts[] = { { "count", 'c', 'i', 0, 10, 0 }, { "skip", 's', 'i', 0, 0, 0 },
                       { "no-sort", 'n', 0, 0, 0, 0 }, { 0 } };
    int i = parse_opts("strtab", opts, argc, argv, 0);
    if (i < 0)
        return 2;
    const char *filter_arg = i < argc ? argv[i++] : NULL;
    if ((i = parse_opts("strtab", opts, argc, argv, i)) < 0)   /* options after it too */
        return 2;
    if (i < argc)
        return usage_err("strtab: unexpected argument '%s'", argv[i]);
    uint64_t strtab = root_addr(m, "strtab");
    size_t si = strtab ? cm_find(m, strtab) : NO_IDX;
    if (si == NO_IDX || cm_is_immortal(m, strtab))
        return usage_err("strtab: the file has no shared string table (no 'strtab' root SV)");
    unsigned k = cm_kind_of(m, si);
    if (k != K_HASH && k != K_STASH && k != K_CLASS)
        return usage_err("strtab: the 'strtab' root is a %s, not a HASH", cm_kind_name(k));
    size_t n, p;
    int rc;
    kv *v = listed_keys(m, "strtab", si, filter_arg, opts[O_NOSORT].set, opts[O_SKIP].ival, &n,
                        &p, &rc);
    if (!v)
        return rc;
    hekusers u = { 0 };
    if ((rc = collect_hek_users(m, strtab, &u)) != 0) {
        free(u.v);
        free(v);
        return rc;
    }
    size_t page = opts[O_COUNT].ival > 0 ? (size_t)opts[O_COUNT].ival : 0;
    do {
        table t = { 0 };
        size_t end = p + page < n ? p + page : n;
        for (; p < end; p++)
            strtab_key_rows(m, &t, &v[p], &u);
        tab_print(&t, 2, NULL, NULL, NULL);
        if (n > p)
            fprintf(cmd_out, "  ... (%zu more)\n", n - p);
    } while (p < n && page);
    free(u.v);
    free(v);
    return 0;
}
