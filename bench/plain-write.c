/* bench/plain-write.c -- the I/O limit for bench/dump-speed: create a new
 * file (O_EXCL, 0600, as a dump does), write N bytes to it from one 1 MiB
 * buffer with write(2), close it; print the seconds that took.  Timed from
 * inside, the same way the worker times a dump, so process start-up is not
 * counted against it.
 *
 *   plain-write PATH BYTES
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1024 * 1024)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    static unsigned char buf[CHUNK];
    unsigned long long left;
    double t0;
    int fd;

    if (argc != 3) {
        fprintf(stderr, "usage: plain-write PATH BYTES\n");
        return 2;
    }
    left = strtoull(argv[2], NULL, 10);
    memset(buf, 0x5a, sizeof buf);      /* touched, like a dump's buffer */
    t0 = now();
    fd = open(argv[1], O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    while (left) {
        size_t n = left < CHUNK ? (size_t)left : CHUNK;
        ssize_t got = write(fd, buf, n);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            perror("write");
            return 1;
        }
        left -= (unsigned long long)got;
    }
    if (close(fd) < 0) {
        perror("close");
        return 1;
    }
    printf("%.6f\n", now() - t0);
    return 0;
}
