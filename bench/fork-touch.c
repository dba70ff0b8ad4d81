/* bench/fork-touch.c -- why a fork-mode dump writes slower than an
 * in-process one: the cost of the first read of each page of a forked
 * child's copy-on-write snapshot, against the parent reading the same pages.
 *
 *   fork-touch [MB]          (default 150: about the bench heap's RSS)
 *
 * Fills MB of anonymous memory, reads one byte per 4 KiB page in the parent
 * (twice), then forks: the child reads every page once, then again; prints
 * seconds, microseconds per page and the child's minor faults for the first
 * pass.  Nothing is written in the child, so there is no copy-on-write
 * copying: any difference is the cost of a fresh address space's first
 * touch.  On bare metal this is close to zero (the PTEs are copied at fork);
 * under a hypervisor that builds its own mapping of the new page tables
 * lazily it is a VM exit per page, invisible to the guest's fault counters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static long minflt(void)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return r.ru_minflt;
}

static volatile unsigned long sink;

static double scan(const unsigned char *p, size_t n)
{
    double t = now();
    unsigned long s = 0;
    size_t i;
    for (i = 0; i < n; i += 4096)
        s += p[i];
    sink = s;
    return now() - t;
}

int main(int argc, char **argv)
{
    size_t mb = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 150;
    size_t n = mb << 20, pages = n / 4096;
    unsigned char *p;
    double a, b;
    pid_t pid;

    setvbuf(stdout, NULL, _IONBF, 0);
    p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    memset(p, 1, n);
    a = scan(p, n);
    b = scan(p, n);
    printf("parent: %zu pages read in %.4f s, again %.4f s (%.2f us/page)\n",
           pages, a, b, 1e6 * a / pages);
    pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        long f0 = minflt();
        a = scan(p, n);
        long f1 = minflt();
        b = scan(p, n);
        printf("child:  %zu pages read in %.4f s (%.2f us/page, %ld minor faults), again %.4f s\n",
               pages, a, 1e6 * a / pages, f1 - f0, b);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    return 0;
}
