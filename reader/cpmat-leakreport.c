/* cpmat-leakreport - leak candidates across a series of PMAT dumps
 * (see cpmat-leakreport.pod).
 *
 * The key of an SV is its address plus its base type (Devel::MAT's
 * basetype: SV, AV, HV, CV, GV, ...), so an arena slot reused for a
 * different kind of SV counts as a new SV.  Keys that are new between two
 * consecutive files are candidates, tagged with the 1-based number of the
 * file where they appeared; a candidate whose key is missing from a later
 * file was a temporary and is dropped.  The last file only confirms.
 *
 * Streaming: only one file is open at a time.  Besides the open file we
 * keep the previous file's keys (delta-encoded, ~2 bytes per SV) and the
 * candidates (13 bytes each).  The open file's own index is
 * walked in place, so the current file's keys are never copied until the
 * previous ones are no longer needed.
 *
 * Errors: one line "cpmat-leakreport: ..." on stderr, exit status 2. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "pmat.h"
#include "cmd_int.h"
#include "leak_series.h"

static const char *prog = "cpmat-leakreport";

/* One line "cpmat-leakreport: ..." on stderr; the exit status 2. */
static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 2;
}

static void usage(FILE *to)
{
    fprintf(to,
        "usage: %s [-1|--onefile] [--summary] [--suspects PCT] FILE FILE FILE...\n"
        "  Lists the SVs that appeared between consecutive dumps and survived\n"
        "  to the last one, as LEAK[n] DESC at 0xADDR (n: the file, counted\n"
        "  from 1, in which the SV first appeared), described from the last file.\n"
        "  -1, --onefile  stop taking new candidates once there are some\n"
        "  --summary      first the suspects (groups retaining 10%% of the heap\n"
        "                 or more), then the candidates, then the groups by nearest\n"
        "                 blessed owner, whether anything reachable from the roots\n"
        "                 holds them, and what they retain\n"
        "  --suspects PCT --summary, suspects retaining at least PCT%% of the heap\n"
        "  --help         this text (man cpmat-leakreport for more)\n", prog);
}

/* ---- the candidates -------------------------------------------------- */

typedef struct candidates {
    uint64_t *addr;
    uint8_t *bt;
    uint32_t *findex;    /* 1-based number of the file where it appeared */
    size_t n, cap;
} candidates;

static void cand_reserve(candidates *c, size_t want)
{
    if (want <= c->cap)
        return;
    /* a fresh list gets exactly what is asked for: cand_add_new knows the
     * final size, and the candidates are held while the next file opens */
    size_t cap = c->cap ? c->cap : want;
    while (cap < want)
        cap *= 2;
    c->addr = xrealloc(c->addr, cap * sizeof *c->addr);
    c->bt = xrealloc(c->bt, cap);
    c->findex = xrealloc(c->findex, cap * sizeof *c->findex);
    c->cap = cap;
}

static void cand_push(candidates *c, uint64_t addr, uint8_t bt, uint32_t findex)
{
    cand_reserve(c, c->n + 1);
    c->addr[c->n] = addr;
    c->bt[c->n] = bt;
    c->findex[c->n] = findex;
    c->n++;
}

/* Drop the candidates whose key is not in the open file: both are sorted
 * by key, so one merge walk does it, compacting in place. */
static void cand_keep_present(candidates *c, const pmat_file *f)
{
    lk_cursor cur;
    lk_cursor_init(&cur, f);
    size_t out = 0;
    for (size_t i = 0; i < c->n; i++) {
        lk_key k = { c->addr[i], c->bt[i] };
        while (!lk_cursor_done(&cur) && lk_key_cmp(lk_cursor_key(&cur), k) < 0)
            lk_cursor_next(&cur);
        if (lk_cursor_done(&cur) || lk_key_cmp(lk_cursor_key(&cur), k) != 0)
            continue;
        c->addr[out] = c->addr[i];
        c->bt[out] = c->bt[i];
        c->findex[out] = c->findex[i];
        out++;
    }
    c->n = out;
}

/* Add every key of the open file that the previous file did not have,
 * tagged findex.  New keys are disjoint from the surviving candidates (a
 * surviving candidate was in the previous file), so the sorted candidates
 * and the sorted new keys merge into one sorted list. */
static void cand_add_new(candidates *c, const lk_keys *prev, const pmat_file *f, uint32_t findex)
{
    size_t nnew = lk_count_new(prev, f);
    if (!nnew)
        return;
    candidates m = { 0 };
    cand_reserve(&m, c->n + nnew);
    size_t a = 0;
    lk_kcur j;
    lk_kcur_init(&j, prev);
    lk_cursor cur;
    for (lk_cursor_init(&cur, f); !lk_cursor_done(&cur); lk_cursor_next(&cur)) {
        lk_key key = lk_cursor_key(&cur);
        while (!j.done && lk_key_cmp(j.key, key) < 0)
            lk_kcur_next(&j);
        if (!j.done && lk_key_cmp(j.key, key) == 0)
            continue;
        /* older candidates that sort before this new key go first */
        while (a < c->n && lk_key_cmp((lk_key){ c->addr[a], c->bt[a] }, key) < 0)
            cand_push(&m, c->addr[a], c->bt[a], c->findex[a]), a++;
        cand_push(&m, key.addr, key.bt, findex);
    }
    while (a < c->n)
        cand_push(&m, c->addr[a], c->bt[a], c->findex[a]), a++;
    free(c->addr);
    free(c->bt);
    free(c->findex);
    *c = m;
}

/* ---- the report -------------------------------------------------------- */

typedef struct order { uint32_t findex; uint64_t addr; } order;

static int cmp_order(const void *a, const void *b)
{
    const order *x = a, *y = b;
    if (x->findex != y->findex)
        return x->findex < y->findex ? -1 : 1;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* LEAK[n] DESC at 0xADDR, in order of n (then address, where pmat's order
 * is its hash order). */
static void print_leaks(cm *m, const candidates *c)
{
    order *o = xmalloc((c->n ? c->n : 1) * sizeof *o);
    for (size_t i = 0; i < c->n; i++) {
        o[i].findex = c->findex[i];
        o[i].addr = c->addr[i];
    }
    qsort(o, c->n, sizeof *o, cmp_order);
    for (size_t i = 0; i < c->n; i++) {
        char *d = cm_desc(m, o[i].addr);
        printf("LEAK[%" PRIu32 "] %s at 0x%" PRIx64 "\n", o[i].findex, d, o[i].addr);
        free(d);
    }
    free(o);
}

/* ---- progress ------------------------------------------------------------ */

static int show_progress;

static void progress(int k, int nfiles, const char *path)
{
    if (!show_progress)
        return;
    fprintf(stderr, "\r\033[K[file %d of %d, %d%%] %s", k, nfiles,
            (int)(100.0 * (k - 1) / nfiles), path);
    fflush(stderr);
}

static void progress_done(void)
{
    if (show_progress)
        fputs("\r\033[K", stderr);
}

/* ---- the series ---------------------------------------------------------- */

/* Every file must come from the same perl with the same pointer size as
 * the first: addresses from different perls' layouts are not keys of one
 * heap.  Only the first file's header is kept, not its mapping. */
typedef struct series_ref {
    const char *path;
    uint32_t perlver;
    int ptr_len;
    char version[32];
} series_ref;

static void series_ref_set(series_ref *r, const pmat_file *f, const char *path)
{
    r->path = path;    /* the argument: it outlives the file */
    r->perlver = pmat_file_header(f)->perlver;
    r->ptr_len = pmat_file_header(f)->ptr_len;
    pmat_perl_version(f, r->version, sizeof r->version);
}

static int same_perl(const series_ref *r, const pmat_file *f)
{
    const pmat_header *h = pmat_file_header(f);
    if (h->perlver == r->perlver && h->ptr_len == r->ptr_len)
        return 1;
    char v[32];
    pmat_perl_version(f, v, sizeof v);
    fflush(stdout);
    fprintf(stderr, "%s: %s: written by perl %s with %d-byte pointers, but %s by perl %s "
            "with %d-byte pointers: not one series\n",
            prog, pmat_path(f), v, h->ptr_len, r->path, r->version, r->ptr_len);
    return 0;
}

static int bad_file(const pmat_error *err)
{
    progress_done();
    fflush(stdout);
    fprintf(stderr, "%s: %s\n", prog, pmat_error_message(err));
    return 2;
}

/* Walk the series; on success the last file stays open as *m. */
static int run_series(char **files, int nfiles, int onefile, candidates *c, cm *m)
{
    pmat_error err;
    lk_keys prev = { 0 };
    series_ref ref;

    progress(1, nfiles, files[0]);
    pmat_file *f = pmat_open(files[0], &err);
    if (!f)
        return bad_file(&err);
    series_ref_set(&ref, f, files[0]);
    lk_keys_load(&prev, f);
    pmat_close(f);

    for (int k = 2; k <= nfiles; k++) {
        int last = k == nfiles;
        progress(k, nfiles, files[k - 1]);
        /* the last file only confirms candidates: the previous keys are
         * not needed while it is open */
        if (last)
            lk_keys_free(&prev);
        if (last) {
            /* the last file is also the one the report describes */
            if (cm_open(m, files[k - 1]) < 0) {
                err = m->err;
                cm_close(m);
                lk_keys_free(&prev);
                return bad_file(&err);
            }
            f = m->f;
        } else if (!(f = pmat_open(files[k - 1], &err))) {
            lk_keys_free(&prev);
            return bad_file(&err);
        }
        if (!same_perl(&ref, f)) {
            progress_done();
            if (last)
                cm_close(m);
            else
                pmat_close(f);
            lk_keys_free(&prev);
            return 2;
        }
        cand_keep_present(c, f);
        if (last)
            break;
        /* no new candidates from the last pair: nothing could drop them */
        /* -1 with candidates skips the file altogether, as pmat-leakreport
         * does: the previous keys stay those of the last file that was
         * compared, so if every candidate is dropped later, the new ones
         * are what appeared since then */
        if (!(onefile && c->n)) {
            cand_add_new(c, &prev, f, (uint32_t)k);
            lk_keys_load(&prev, f);
        }
        pmat_close(f);
    }
    progress_done();
    lk_keys_free(&prev);
    return 0;
}

int main(int argc, char **argv)
{
    int onefile = 0, summary = 0, nfiles = 0, opts_done = 0;
    double share = 10.0;
    char **files = xmalloc((size_t)argc * sizeof *files);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!opts_done && a[0] == '-' && a[1]) {
            if (!strcmp(a, "--")) opts_done = 1;
            else if (!strcmp(a, "-1") || !strcmp(a, "--onefile")) onefile = 1;
            else if (!strcmp(a, "--summary")) summary = 1;
            else if (!strcmp(a, "--suspects")) {
                char *end = NULL;
                if (i + 1 < argc)
                    share = strtod(argv[i + 1], &end);
                if (i + 1 >= argc || end == argv[i + 1] || *end || !(share >= 0 && share <= 100)) {
                    free(files);
                    return fail("--suspects wants a percentage of the heap from 0 to 100");
                }
                i++;
                summary = 1;
            }
            else if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); free(files); return 0; }
            else {
                free(files);
                return fail("unknown option %s (try --help)", a);
            }
            continue;
        }
        files[nfiles++] = argv[i];
    }
    if (nfiles < 3) {
        free(files);
        fprintf(stderr, "%s: needs at least three files (got %d): two to find new SVs, "
                "a later one to drop the temporaries (try --help)\n", prog, nfiles);
        return 2;
    }
    /* a missing file is reported before any work is done */
    for (int i = 0; i < nfiles; i++)
        if (access(files[i], R_OK) != 0) {
            int r = fail("%s: cannot read the file", files[i]);
            free(files);
            return r;
        }
    show_progress = isatty(2);
    /* One file's index (tens of MB) is freed before the next is built:
     * with glibc's sliding mmap threshold those buffers would come from the
     * heap after the first free and stay resident; a fixed threshold keeps
     * every large buffer an mmap that free() returns. */
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD)
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif

    candidates c = { 0 };
    cm m;
    int rc = run_series(files, nfiles, onefile, &c, &m);
    if (rc == 0) {
        lk_sum *sum = NULL;
        if (summary && !(sum = lk_summary_build(&m, c.addr, c.n, share)))
            rc = fail("%s: out of memory building the referrers and dominators for --summary",
                      files[nfiles - 1]);
        if (rc == 0) {
            if (sum)
                lk_summary_print_suspects(&m, sum, stdout);
            print_leaks(&m, &c);
            if (sum)
                lk_summary_print_groups(sum, stdout);
        }
        lk_summary_free(sum);
        cm_close(&m);
    }
    free(c.addr);
    free(c.bt);
    free(c.findex);
    free(files);
    return rc;
}
