/* writer.c -- buffered, error-latching output for heap dumps.  See writer.h. */
#include "writer.h"

#include <errno.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/uio.h>

void pmat_writer_init_buf(pmat_writer *w, int fd, unsigned char *buf, size_t cap)
{
    w->fd = fd;
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->err = 0;
    w->written = 0;
    w->sent = 0;
    w->shared = NULL;
    w->boundary = 0;
    w->holding = 0;
}

/* Buffers come straight from mmap, not malloc: a malloc of this size, once
 * glibc's mmap threshold has grown past it (it does after the first free of
 * such a block), is carved from the main heap, and carving a large block
 * first consolidates the free small chunks -- it walks and rewrites perl's
 * freed memory all over the heap.  After a fork() every page it writes
 * takes a copy-on-write fault: measured, 10,238 faults and 0.087 s instead
 * of 0.032 s for the second dump after a fork.  Returns NULL on failure. */
static unsigned char *map_buffer(size_t cap)
{
    void *p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    return p == MAP_FAILED ? NULL : p;
}

static void unmap_buffer(unsigned char *p, size_t cap)
{
    if (p)
        munmap(p, cap);
}

static int writer_init_cap(pmat_writer *w, int fd, size_t cap)
{
    pmat_writer_init_buf(w, fd, map_buffer(cap), cap);
    if (!w->buf) {
        w->cap = 0;
        w->err = ENOMEM;
    }
    return w->err;
}

int pmat_writer_init(pmat_writer *w, int fd)
{
    return writer_init_cap(w, fd, PMAT_WRITER_BUFSIZE);
}

/* write(2) a then b, whole: short writes and EINTR are retried (a signal
 * that arrives while we dump must not cut the file short).  Returns 0 or
 * errno. */
static int write_two(int fd, const unsigned char *a, size_t na,
                     const unsigned char *b, size_t nb, uint64_t *written)
{
    while (na || nb) {
        struct iovec iov[2];
        int cnt = 0;
        ssize_t got;
        size_t k;

        if (na) {
            iov[cnt].iov_base = (void *)a;
            iov[cnt++].iov_len = na;
        }
        if (nb) {
            iov[cnt].iov_base = (void *)b;
            iov[cnt++].iov_len = nb;
        }
        /* One piece (always so for the in-line writer, which runs in
         * signal handlers and the fork child): plain write(2), on POSIX's
         * list of async-signal-safe calls, as writev is not. */
        got = cnt == 1 ? write(fd, iov[0].iov_base, iov[0].iov_len) : writev(fd, iov, cnt);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return errno ? errno : EIO;
        }
        if (got == 0)
            return ENOSPC;
        *written += (uint64_t)got;
        k = (size_t)got < na ? (size_t)got : na;
        if (k) {
            a += k;
            na -= k;
        }
        k = (size_t)got - k;
        if (k) {
            b += k;
            nb -= k;
        }
    }
    return 0;
}

static int write_all(int fd, const unsigned char *p, size_t n, uint64_t *written)
{
    return write_two(fd, p, n, NULL, 0, written);
}

/* ---- shared mode: writers on several threads, one fd ------------------ */

int pmat_outfile_init(struct pmat_outfile *o, int fd)
{
    off_t at;
    int err;

    o->fd = fd;
    o->err = 0;
    /* The alignment is the file's: a dumpfh() handle need not be at offset
     * 0.  (A pipe has no offset; its writes are merely larger or smaller.) */
    at = lseek(fd, 0, SEEK_CUR);
    o->off = at > 0 ? (uint64_t)at : 0;
    o->carry_len = 0;
    o->carry = map_buffer(PMAT_SHARED_ALIGN);
    if (!o->carry)
        return ENOMEM;
    err = pthread_mutex_init(&o->mu, NULL);
    if (err)
        unmap_buffer(o->carry, PMAT_SHARED_ALIGN);
    return err;
}

void pmat_outfile_destroy(struct pmat_outfile *o)
{
    pthread_mutex_destroy(&o->mu);
    unmap_buffer(o->carry, PMAT_SHARED_ALIGN);
    o->carry = NULL;
}

int pmat_writer_init_shared(pmat_writer *w, struct pmat_outfile *o, size_t cap)
{
    int err = writer_init_cap(w, o->fd, cap);

    if (err)
        return err;
    w->shared = o;
    return 0;
}

/* Take the file's lock.  The other writer holds it for one write(2) of at
 * most its buffer (~0.1 ms): spin for about that long (20,000 pauses are
 * 0.02-0.5 ms, by CPU) before sleeping -- a futex sleep and wake-up costs
 * more than the wait (A/B, 21 dumps each way: 0.0359 s spinning, 0.0375 s
 * not).  Only while a dump runs, and the helper is only started on a
 * machine with more than one CPU. */
static void outfile_lock(struct pmat_outfile *o)
{
    int i;

    for (i = 0; i < 20000; i++) {
        if (pthread_mutex_trylock(&o->mu) == 0)
            return;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
    pthread_mutex_lock(&o->mu);
}

/* Lock the file until the current unit ends: it is about to be written in
 * more than one write(2). */
static void shared_hold(pmat_writer *w)
{
    if (!w->holding) {
        outfile_lock(w->shared);
        w->holding = 1;
    }
}

/* Append [p, p+n) to the file (the lock held): the carry and as much of p
 * as ends on a PMAT_SHARED_ALIGN boundary of the file go out in one
 * writev(2); the rest becomes the carry.  Whole units end anywhere, so
 * without the carry every write(2) would start and end at a random offset.
 * Since the carry is less than PMAT_SHARED_ALIGN bytes, every write(2) but
 * those of a drain ends on such a boundary and starts on one. */
static int outfile_append(struct pmat_outfile *o, const unsigned char *p, size_t n,
                          uint64_t *written)
{
    const uint64_t start = o->off + o->carry_len;
    const uint64_t end = (start + n) & ~(uint64_t)(PMAT_SHARED_ALIGN - 1);
    size_t m, rest;
    int err;

    if (end <= o->off) {
        /* No boundary reached yet: keep it all. */
        memcpy(o->carry + o->carry_len, p, n);
        o->carry_len += n;
        return 0;
    }
    m = (size_t)(end - start);
    rest = n - m;
    err = write_two(o->fd, o->carry, o->carry_len, p, m, written);
    if (err)
        return err;
    memcpy(o->carry, p + m, rest);
    o->carry_len = rest;
    o->off = end;
    return 0;
}

/* Write the carry (the lock held): at a flush -- the end of the dump, or of
 * a walker's part.  The next write(2) then starts off a boundary; the one
 * after is aligned again. */
static int outfile_drain(struct pmat_outfile *o, uint64_t *written)
{
    int err = write_all(o->fd, o->carry, o->carry_len, written);

    o->off += o->carry_len;
    o->carry_len = 0;
    return err;
}

/* write(2) [p, p+n) under the file's lock (already ours if holding); a
 * failure of any writer stops them all.  With drain, the carry goes too. */
static void shared_write(pmat_writer *w, const unsigned char *p, size_t n, int drain)
{
    struct pmat_outfile *o = w->shared;

    if (!w->holding)
        outfile_lock(o);
    if (!o->err && n)
        o->err = outfile_append(o, p, n, &w->written);
    if (!o->err && drain && o->carry_len)
        o->err = outfile_drain(o, &w->written);
    if (o->err && !w->err)
        w->err = o->err;
    if (!w->holding)
        pthread_mutex_unlock(&o->mu);
}

/* Write buf[0, n) and move the rest to the front. */
static void shared_send(pmat_writer *w, size_t n, int drain)
{
    shared_write(w, w->buf, n, drain);
    if (w->err) {
        w->len = w->boundary = 0;
        return;
    }
    if (n < w->len)
        memmove(w->buf, w->buf + n, w->len - n);
    w->len -= n;
    w->boundary = w->boundary > n ? w->boundary - n : 0;
}

/* Room for need more bytes: first send the whole units; if the unit under
 * way still does not fit, it goes out in pieces, holding the file. */
static void shared_make_room(pmat_writer *w, size_t need)
{
    if (w->holding)
        shared_send(w, w->len, 0);
    else if (w->boundary)
        shared_send(w, w->boundary, 0);
    if (!w->err && w->cap - w->len < need) {
        shared_hold(w);
        shared_send(w, w->len, 0);
    }
}

static void shared_release(pmat_writer *w, int drain)
{
    shared_send(w, w->len, drain);
    w->holding = 0;
    pthread_mutex_unlock(&w->shared->mu);
}

void pmat_writer_release(pmat_writer *w)
{
    shared_release(w, 0);
}

/* A block too big for the buffer, in the middle of a unit: straight from
 * the caller's memory, the file held until the unit ends. */
static void shared_put_big(pmat_writer *w, const void *src, size_t n)
{
    shared_hold(w);
    shared_send(w, w->len, 0);
    shared_write(w, src, n, 0);
}

/* Not shared: write the pending bytes, all of them (whole), or only up to
 * the last PMAT_WRITE_ALIGN boundary of the file, the rest (less than
 * PMAT_WRITE_ALIGN bytes) moving to the start of the buffer. */
static void send_pending(pmat_writer *w, int whole)
{
    size_t n = w->len, tail;
    int err;

    if (!whole) {
        uint64_t end = (w->sent + w->len) & ~(uint64_t)(PMAT_WRITE_ALIGN - 1);
        if (end > w->sent)
            n = (size_t)(end - w->sent);
    }
    tail = w->len - n;
    if (w->err || !n) {
        if (w->err)
            w->len = 0;
        return;
    }
    err = write_all(w->fd, w->buf, n, &w->written);
    if (err)
        w->err = err;
    if (tail)
        memmove(w->buf, w->buf + n, tail);
    w->sent += n;
    w->len = w->err ? 0 : tail;
}

int pmat_writer_flush(pmat_writer *w)
{
    if (w->shared) {
        /* Called between units: all of it may go, and the file is free. */
        if (w->holding)
            shared_release(w, 1);
        else
            shared_send(w, w->len, 1);
        return w->err;
    }
    send_pending(w, 1);
    return w->err;
}

int pmat_writer_make_room(pmat_writer *w, size_t n)
{
    if (w->err)
        return 0;
    if (n > w->cap) {
        /* A record part larger than the whole buffer is a caller bug; fail
         * the dump rather than silently leave the record out of the file. */
        w->err = EOVERFLOW;
        return 0;
    }
    if (w->shared) {
        shared_make_room(w, n);
        return !w->err;
    }
    if (w->cap - w->len < n)
        send_pending(w, 0);
    if (w->cap - w->len < n)
        send_pending(w, 1);
    return !w->err;
}

void pmat_put_bytes(pmat_writer *w, const void *src, size_t n)
{
    if (w->err)
        return;
    if (n <= w->cap - w->len) {
        pmat_put_nocheck(w, src, n);
        return;
    }
    if (w->shared) {
        shared_make_room(w, n <= w->cap ? n : 0);
        if (w->err)
            return;
        if (n <= w->cap - w->len)
            pmat_put_nocheck(w, src, n);
        else
            shared_put_big(w, src, n);
        return;
    }
    /* Too big for what is left: send the pending bytes, then either buffer
     * the block or, if it would fill most of the buffer anyway, write it
     * straight from the caller's memory. */
    send_pending(w, 0);
    if (w->err)
        return;
    if (n <= w->cap - w->len) {
        pmat_put_nocheck(w, src, n);
        return;
    }
    send_pending(w, 1);
    if (n < w->cap / 2)
        pmat_put_nocheck(w, src, n);
    else if (!w->err) {
        int err = write_all(w->fd, src, n, &w->written);
        if (err)
            w->err = err;
        w->sent += n;
    }
}

int pmat_writer_finish(pmat_writer *w)
{
    pmat_writer_flush(w);
    unmap_buffer(w->buf, w->cap);
    w->buf = NULL;
    w->cap = 0;
    return w->err;
}
