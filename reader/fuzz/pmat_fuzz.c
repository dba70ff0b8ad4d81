/* pmat_fuzz.c - fuzz harness for the reader library: open a file and touch
 * every accessor, so a fuzzer (AFL++) or a sanitizer sees every decoder.
 * Not part of the build: it lives in reader/fuzz/ because Makefile.PL
 * puts every .c file directly in reader/ into libpmat.a.  See
 * reader/README.md. */
#include <stdio.h>
#include <string.h>

#include "pmat.h"

static void walk_sv(const pmat_file *f, const pmat_sv *sv)
{
    pmat_error err;
    pmat_iter it = { 0, 0 };
    pmat_str s;
    uint64_t v;
    pmat_code_rec rec;
    switch (sv->type) {
    case PMAT_SVt_ARRAY:
    case PMAT_SVt_OBJECT:
        for (uint64_t i = 0; i < sv->u.array.n; i++)
            (void)pmat_array_elem(f, sv, i);
        break;
    case PMAT_SVt_HASH:
    case PMAT_SVt_STASH:
    case PMAT_SVt_CLASS:
    {
        uint64_t hek;
        while (pmat_hash_next_hek(f, sv, &it, &s, &hek, &v, &err) > 0)
            ;
    }
        memset(&it, 0, sizeof it);
        while (pmat_class_next(f, sv, &it, &v, &s, &err) > 0)
            ;
        break;
    case PMAT_SVt_CODE:
        while (pmat_code_next(f, sv, &it, &rec, &err) > 0)
            ;
        break;
    case PMAT_SVt_C_STRUCT: {
        unsigned t;
        for (uint64_t j = 0; pmat_cstruct_field(f, sv, j, &s, &t, &v, &err) == 0; j++)
            ;
        break;
    }
    default:
        for (unsigned i = 0; i < sv->raw.nstrs; i++)
            (void)pmat_raw_str(f, &sv->raw, i, &s, &err);
        break;
    }
}

static void touch_all(const char *path);

/* Built with afl-clang-fast, the loop reruns in one process (AFL++'s
 * persistent mode: ~100x the executions of a fork per input). */
#ifndef __AFL_LOOP
#define __AFL_LOOP(n) (once++ == 0)
#endif

int main(int argc, char **argv)
{
    int once = 0;
    (void)once;
    if (argc != 2) {
        fprintf(stderr, "usage: pmat_fuzz FILE\n");
        return 2;
    }
    while (__AFL_LOOP(10000))
        touch_all(argv[1]);
    return 0;
}

static void touch_all(const char *path)
{
    pmat_error err;
    pmat_file *f = pmat_open(path, &err);
    if (!f)
        return;
    for (size_t i = 0; i < pmat_root_count(f); i++) {
        pmat_str name;
        uint64_t addr;
        if (pmat_root(f, i, &name, &addr) == 0)
            (void)pmat_sv_find(f, addr);
    }
    for (uint64_t i = 0; i < pmat_stack_count(f); i++)
        (void)pmat_sv_find(f, pmat_stack_at(f, i));
    for (uint64_t i = 0; i < pmat_mortal_count(f); i++)
        (void)pmat_mortal_at(f, i);
    if (pmat_mortal_has_floor(f))
        (void)pmat_mortal_floor(f);
    for (size_t i = 0; i < pmat_sv_count(f); i++) {
        pmat_sv sv;
        if (pmat_sv_get(f, i, &sv, &err) == 0) {
            walk_sv(f, &sv);
            size_t first, n = pmat_sv_extensions(f, sv.addr, &first);
            for (size_t k = 0; k < n; k++) {
                pmat_ext x;
                (void)pmat_ext_get(f, first + k, &x, &err);
            }
        }
    }
    for (size_t i = 0; i < pmat_ctx_count(f); i++) {
        pmat_ctx ctx;
        (void)pmat_ctx_get(f, i, &ctx, &err);
    }
    for (size_t i = 0; i < pmat_struct_count(f); i++) {
        uint64_t id, n;
        pmat_str name;
        unsigned t;
        if (pmat_struct_info(f, i, &id, &name, &n) == 0)
            for (uint64_t j = 0; j < n; j++)
                (void)pmat_struct_field_def(f, i, j, &name, &t, &err);
    }
    pmat_iter it = { 0, 0 };
    pmat_record rec;
    while (pmat_heap_next(f, &it, &rec, &err) > 0)
        ;
    pmat_close(f);
}
