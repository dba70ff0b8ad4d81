/* bench/plain-write.c -- the I/O limit for bench/dump-speed: create a new
 * file (O_EXCL, 0600, as a dump does), write N bytes to it with write(2)
 * calls of CHUNK bytes (default 1 MiB; bench/dump-speed passes the size of
 * the dumper's own write(2) calls) from one buffer, close it; no fsync, as
 * a dump does none.  Print the seconds that took.  Timed from inside, the
 * same way the worker times a dump, so process start-up is not counted
 * against it.  PATH may be /dev/null (then it is opened, not created).
 *
 *   plain-write PATH BYTES [CHUNK [go]]
 *
 * With "go", it first waits for one byte on stdin (not timed): the bench
 * starts it ahead, then runs its write at the same time as a walk of the
 * heap, for the floor of the two together.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_CHUNK (1024 * 1024)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    static unsigned char buf[MAX_CHUNK];
    unsigned long long left;
    size_t chunk = MAX_CHUNK;
    double t0;
    int fd;

    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: plain-write PATH BYTES [CHUNK [go]]\n");
        return 2;
    }
    left = strtoull(argv[2], NULL, 10);
    if (argc >= 4) {
        chunk = (size_t)strtoull(argv[3], NULL, 10);
        if (chunk == 0 || chunk > MAX_CHUNK) {
            fprintf(stderr, "plain-write: CHUNK must be 1..%d\n", MAX_CHUNK);
            return 2;
        }
    }
    memset(buf, 0x5a, sizeof buf);      /* touched, like a dump's buffer */
    if (argc == 5) {
        char go;
        if (read(0, &go, 1) != 1) {
            fprintf(stderr, "plain-write: no go\n");
            return 1;
        }
    }
    t0 = now();
    fd = strcmp(argv[1], "/dev/null") == 0 ? open(argv[1], O_WRONLY)
                                           : open(argv[1], O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    while (left) {
        size_t n = left < chunk ? (size_t)left : chunk;
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
