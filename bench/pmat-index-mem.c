/* pmat-index-mem.c -- what the reader's index costs, measured in-process.
 *
 *   pmat-index-mem FILE
 *
 * Opens FILE with pmat_open() (reader/libpmat.a) and prints "key value"
 * lines:
 *   svs, exts, bytes            from the library
 *   open_s, mb_s                wall time of pmat_open, file MB / that time
 *   anon_before, anon_after     RssAnon (bytes) around pmat_open
 *   hwm, rss_file               VmHWM and RssFile (bytes) after it
 *   index_bytes_per_sv          (anon_after - anon_before) / svs: what stays
 *   peak_bytes_per_sv           (hwm - rss_file - anon_before) / svs: the most
 *                               private memory the open ever held (assumes
 *                               no file page was evicted meanwhile)
 * The file's pages are mapped, not copied: they count in RssFile and the
 * kernel can drop them at will; the index is the private (anonymous) part.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pmat.h"

static uint64_t status_kb(const char *key)
{
    FILE *fp = fopen("/proc/self/status", "r");
    char line[256];
    size_t klen = strlen(key);
    uint64_t v = 0;
    if (!fp)
        return 0;
    while (fgets(line, sizeof line, fp))
        if (!strncmp(line, key, klen) && line[klen] == ':') {
            v = strtoull(line + klen + 1, NULL, 10);
            break;
        }
    fclose(fp);
    return v * 1024;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    pmat_error err;
    if (argc != 2) {
        fprintf(stderr, "usage: pmat-index-mem FILE\n");
        return 2;
    }
    uint64_t anon0 = status_kb("RssAnon");
    double t0 = now();
    pmat_file *f = pmat_open(argv[1], &err);
    double t = now() - t0;
    if (!f) {
        fprintf(stderr, "pmat-index-mem: %s\n", pmat_error_message(&err));
        return 2;
    }
    uint64_t anon1 = status_kb("RssAnon");
    uint64_t hwm = status_kb("VmHWM"), rfile = status_kb("RssFile");
    size_t n = pmat_sv_count(f);
    uint64_t size = pmat_file_size(f);

    printf("svs %zu\n", n);
    printf("exts %zu\n", pmat_ext_count(f));
    printf("bytes %" PRIu64 "\n", size);
    printf("open_s %.3f\n", t);
    printf("mb_s %.0f\n", size / 1e6 / t);
    printf("anon_before %" PRIu64 "\n", anon0);
    printf("anon_after %" PRIu64 "\n", anon1);
    printf("hwm %" PRIu64 "\n", hwm);
    printf("rss_file %" PRIu64 "\n", rfile);
    printf("index_bytes_per_sv %.1f\n", n ? (double)(anon1 - anon0) / n : 0.0);
    printf("peak_bytes_per_sv %.1f\n",
           n ? ((double)hwm - (double)rfile - (double)anon0) / n : 0.0);
    pmat_close(f);
    return 0;
}
