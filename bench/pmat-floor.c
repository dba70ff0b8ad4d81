/* pmat-floor.c -- how fast could pmat_open be on this machine?  Floors for
 * its parts, measured on the same file, next to pmat_open itself.
 *
 *   pmat-floor FILE
 *
 * "key value" lines:
 *   open_s        pmat_open (reader/libpmat.a), for reference
 *   touch_s       a fresh mmap of the file, one byte read per 4 KiB page:
 *                 the page-fault cost every mmap reader pays
 *   scan_s        a fresh mmap, every 8-byte word summed: touch + bandwidth
 *   qsort_s       qsort() of the n (addr, offset<<8|type) entries in file
 *                 order with a comparison like the reader's
 *   radix_s       the same entries, LSD radix sort on the address bits that
 *                 vary (RADIX_BITS (8) a pass, one temporary array)
 *   and MB/s of the file for each.
 * The entries are collected untimed with pmat_heap_next/pmat_sv_read.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pmat.h"

typedef struct ent { uint64_t addr, off_type; } ent;

#ifndef RADIX_BITS
#define RADIX_BITS 8
#endif
#define RADIX_N (1u << RADIX_BITS)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_ent(const void *a, const void *b)
{
    const ent *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->off_type < y->off_type ? -1 : x->off_type > y->off_type;
}

/* LSD radix sort by addr (stable, so equal addresses keep file order). */
static void radix(ent *a, size_t n)
{
    uint64_t lo = ~(uint64_t)0, hi = 0, diff;
    ent *tmp = malloc(n * sizeof *tmp), *src = a, *dst = tmp;
    size_t *cnt = malloc(RADIX_N * sizeof *cnt);
    if (!tmp || !cnt) { perror("malloc"); exit(1); }
    for (size_t i = 0; i < n; i++) {
        if (a[i].addr < lo) lo = a[i].addr;
        if (a[i].addr > hi) hi = a[i].addr;
    }
    diff = n ? hi - lo : 0;
    int bits = 0;
    while (bits < 64 && (diff >> bits))
        bits++;
    for (int shift = 0; shift < bits; shift += RADIX_BITS) {
        memset(cnt, 0, RADIX_N * sizeof *cnt);
        for (size_t i = 0; i < n; i++)
            cnt[((src[i].addr - lo) >> shift) & (RADIX_N - 1)]++;
        size_t sum = 0;
        for (unsigned b = 0; b < RADIX_N; b++) { size_t c = cnt[b]; cnt[b] = sum; sum += c; }
        for (size_t i = 0; i < n; i++)
            dst[cnt[((src[i].addr - lo) >> shift) & (RADIX_N - 1)]++] = src[i];
        ent *t = src; src = dst; dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
    free(tmp);
    free(cnt);
}

static const unsigned char *map_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) { perror(path); exit(2); }
    void *p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) { perror("mmap"); exit(2); }
    close(fd);
    *len = st.st_size;
    return p;
}

int main(int argc, char **argv)
{
    pmat_error err;
    if (argc != 2) {
        fprintf(stderr, "usage: pmat-floor FILE\n");
        return 2;
    }
    double t0 = now();
    pmat_file *f = pmat_open(argv[1], &err);
    double open_s = now() - t0;
    if (!f) {
        fprintf(stderr, "pmat-floor: %s\n", pmat_error_message(&err));
        return 2;
    }
    double mb = pmat_file_size(f) / 1e6;

    /* the entries in file order (untimed) */
    size_t n = pmat_sv_count(f), k = 0;
    ent *e = malloc((n ? n : 1) * sizeof *e), *e2 = malloc((n ? n : 1) * sizeof *e2);
    if (!e || !e2) { perror("malloc"); return 1; }
    pmat_iter it;
    pmat_record rec;
    memset(&it, 0, sizeof it);
    while (k < n && pmat_heap_next(f, &it, &rec, &err) == 1) {
        if (rec.kind != PMAT_REC_SV)
            continue;
        pmat_sv sv;
        if (pmat_sv_read(f, rec.offset, &sv, &err) < 0) {
            fprintf(stderr, "pmat-floor: %s\n", pmat_error_message(&err));
            return 2;
        }
        e[k].addr = sv.addr;
        e[k].off_type = rec.offset << 8 | rec.type;
        k++;
    }
    n = k;
    pmat_close(f);
    memcpy(e2, e, n * sizeof *e);

    size_t len;
    const unsigned char *p = map_file(argv[1], &len);
    t0 = now();
    unsigned long sink = 0;
    for (size_t i = 0; i < len; i += 4096)
        sink += p[i];
    double touch_s = now() - t0;
    munmap((void *)p, len);

    p = map_file(argv[1], &len);
    t0 = now();
    uint64_t sum = 0;
    for (size_t i = 0; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        sum += w;
    }
    double scan_s = now() - t0;
    munmap((void *)p, len);

    t0 = now();
    qsort(e, n, sizeof *e, cmp_ent);
    double qsort_s = now() - t0;
    t0 = now();
    radix(e2, n);
    double radix_s = now() - t0;
    if (memcmp(e, e2, n * sizeof *e)) {
        fprintf(stderr, "pmat-floor: radix and qsort disagree\n");
        return 1;
    }

    printf("svs %zu\n", n);
    printf("mb %.1f\n", mb);
    printf("open_s %.3f\nopen_mb_s %.0f\n", open_s, mb / open_s);
    printf("touch_s %.3f\ntouch_mb_s %.0f\n", touch_s, mb / touch_s);
    printf("scan_s %.3f\nscan_mb_s %.0f\n", scan_s, mb / scan_s);
    printf("qsort_s %.3f\nradix_s %.3f\n", qsort_s, radix_s);
    printf("sink %lu\n", (unsigned long)(sink + (sum & 1)));
    free(e);
    free(e2);
    return 0;
}
