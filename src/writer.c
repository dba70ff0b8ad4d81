/* writer.c -- buffered, error-latching output for heap dumps.  See writer.h. */
#include "writer.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

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

static int writer_init_cap(pmat_writer *w, int fd, size_t cap)
{
    pmat_writer_init_buf(w, fd, malloc(cap), cap);
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

/* write(2) all of [p, p+n), retrying short writes and EINTR (a signal that
 * arrives while we dump must not cut the file short).  Returns 0 or errno. */
static int write_all(int fd, const unsigned char *p, size_t n, uint64_t *written)
{
    while (n) {
        ssize_t got = write(fd, p, n);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return errno ? errno : EIO;
        }
        if (got == 0)
            return ENOSPC;
        p += got;
        n -= (size_t)got;
        *written += (uint64_t)got;
    }
    return 0;
}

/* ---- shared mode: writers on several threads, one fd ------------------ */

int pmat_outfile_init(struct pmat_outfile *o, int fd)
{
    o->fd = fd;
    o->err = 0;
    return pthread_mutex_init(&o->mu, NULL);
}

void pmat_outfile_destroy(struct pmat_outfile *o)
{
    pthread_mutex_destroy(&o->mu);
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

/* write(2) [p, p+n) under the file's lock (already ours if holding); a
 * failure of any writer stops them all. */
static void shared_write(pmat_writer *w, const unsigned char *p, size_t n)
{
    struct pmat_outfile *o = w->shared;

    if (!w->holding)
        outfile_lock(o);
    if (!o->err && n)
        o->err = write_all(o->fd, p, n, &w->written);
    if (o->err && !w->err)
        w->err = o->err;
    if (!w->holding)
        pthread_mutex_unlock(&o->mu);
}

/* Write buf[0, n) and move the rest to the front. */
static void shared_send(pmat_writer *w, size_t n)
{
    shared_write(w, w->buf, n);
    if (w->err) {
        w->len = w->boundary = 0;
        return;
    }
    if (n < w->len)
        memmove(w->buf, w->buf + n, w->len - n);
    w->len -= n;
    w->boundary = w->boundary > n ? w->boundary - n : 0;
    w->sent += n;
}

/* Room for need more bytes: first send the whole units; if the unit under
 * way still does not fit, it goes out in pieces, holding the file. */
static void shared_make_room(pmat_writer *w, size_t need)
{
    if (w->holding)
        shared_send(w, w->len);
    else if (w->boundary)
        shared_send(w, w->boundary);
    if (!w->err && w->cap - w->len < need) {
        shared_hold(w);
        shared_send(w, w->len);
    }
}

void pmat_writer_release(pmat_writer *w)
{
    shared_send(w, w->len);
    w->holding = 0;
    pthread_mutex_unlock(&w->shared->mu);
}

/* A block too big for the buffer, in the middle of a unit: straight from
 * the caller's memory, the file held until the unit ends. */
static void shared_put_big(pmat_writer *w, const void *src, size_t n)
{
    shared_hold(w);
    shared_send(w, w->len);
    shared_write(w, src, n);
    if (!w->err)
        w->sent += n;
}

/* The file offset every write(2) but the last starts and ends on, when the
 * buffer is sent because it is full: writes that cover whole pages of the
 * page cache are measurably cheaper (bench/plain-write with 512 KiB against
 * 524000-byte calls: ~15% faster) than ones that start or end mid-page. */
#define PMAT_WRITE_ALIGN 4096

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
            pmat_writer_release(w);
        else
            shared_send(w, w->len);
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
    free(w->buf);
    w->buf = NULL;
    w->cap = 0;
    return w->err;
}
