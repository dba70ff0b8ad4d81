/* writer.c -- buffered, error-latching output for heap dumps.  See writer.h. */
#include "writer.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

/* The background writer (pmat_writer_init_async).  The dumping thread fills
 * one half of the buffer while the helper write(2)s the other: a dump costs
 * about max(walk, write) instead of walk + write.  One block is in flight at
 * a time; the dumping thread waits only when it has filled its half before
 * the helper is done with the other. */
struct pmat_async {
    pthread_t        thread;
    pthread_mutex_t  mu;
    pthread_cond_t   cv;
    const unsigned char *pending;   /* the block being written, or NULL */
    size_t           pending_len;
    int              quit;          /* no more blocks: the helper returns */
    int              err;           /* the helper's first failure */
    uint64_t         written;       /* bytes the helper has written */
    int              fd;
    unsigned char   *mem;           /* both halves, one allocation */
    unsigned char   *half[2];
    int              cur;           /* the half w->buf is (0 or 1) */
};

int pmat_writer_init(pmat_writer *w, int fd)
{
    w->fd = fd;
    w->len = 0;
    w->err = 0;
    w->written = 0;
    w->sent = 0;
    w->async = NULL;
    w->cap = PMAT_WRITER_BUFSIZE;
    w->buf = malloc(w->cap);
    if (!w->buf) {
        w->cap = 0;
        w->err = ENOMEM;
    }
    return w->err;
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

static void *async_main(void *arg)
{
    struct pmat_async *a = arg;

    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (!a->pending && !a->quit)
            pthread_cond_wait(&a->cv, &a->mu);
        if (!a->pending)
            break;                              /* quit, nothing left */
        {
            const unsigned char *p = a->pending;
            size_t n = a->pending_len;
            uint64_t done = 0;
            int err = 0;

            pthread_mutex_unlock(&a->mu);
            /* After a failure the rest is dropped, as the plain writer's
             * latch does. */
            if (!a->err)
                err = write_all(a->fd, p, n, &done);
            pthread_mutex_lock(&a->mu);
            a->written += done;
            if (err && !a->err)
                a->err = err;
            a->pending = NULL;
            pthread_cond_broadcast(&a->cv);
        }
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

int pmat_writer_init_async(pmat_writer *w, int fd)
{
    struct pmat_async *a;
    pthread_attr_t attr;
    sigset_t all, old;
    int ok;

    w->fd = fd;
    w->len = 0;
    w->err = 0;
    w->written = 0;
    w->sent = 0;
    w->async = NULL;
    a = calloc(1, sizeof *a);
    if (!a || !(a->mem = malloc(PMAT_WRITER_BUFSIZE))) {
        free(a);
        return pmat_writer_init(w, fd);
    }
    a->fd = fd;
    a->half[0] = a->mem;
    a->half[1] = a->mem + PMAT_WRITER_BUFSIZE / 2;
    a->cur = 0;
    if (pthread_mutex_init(&a->mu, NULL) != 0) {
        free(a->mem);
        free(a);
        return pmat_writer_init(w, fd);
    }
    if (pthread_cond_init(&a->cv, NULL) != 0) {
        pthread_mutex_destroy(&a->mu);
        free(a->mem);
        free(a);
        return pmat_writer_init(w, fd);
    }

    /* The helper runs with every signal blocked, so the program's handlers
     * keep running on its own threads; a SIGPIPE from a write to a closed
     * pipe stays pending on the helper (which ends with the dump) and the
     * write fails with EPIPE, latched like any other error.  A small stack:
     * it only ever calls write(2). */
    sigfillset(&all);
    ok = pthread_sigmask(SIG_BLOCK, &all, &old) == 0;
    if (ok) {
        ok = pthread_attr_init(&attr) == 0;
        if (ok) {
            pthread_attr_setstacksize(&attr, 64 * 1024);
            ok = pthread_create(&a->thread, &attr, async_main, a) == 0;
            pthread_attr_destroy(&attr);
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    if (!ok) {
        pthread_cond_destroy(&a->cv);
        pthread_mutex_destroy(&a->mu);
        free(a->mem);
        free(a);
        return pmat_writer_init(w, fd);
    }

    w->async = a;
    w->buf = a->half[0];
    w->cap = PMAT_WRITER_BUFSIZE / 2;
    return 0;
}

/* Async, with a->mu held: wait until the helper has no block in flight,
 * then take its error and byte count. */
static void async_idle_locked(pmat_writer *w, struct pmat_async *a)
{
    while (a->pending)
        pthread_cond_wait(&a->cv, &a->mu);
    if (a->err && !w->err)
        w->err = a->err;
    w->written = a->written;
}

/* Async: wait until the helper has no block in flight; take its error. */
static void async_wait_idle(pmat_writer *w)
{
    struct pmat_async *a = w->async;

    pthread_mutex_lock(&a->mu);
    async_idle_locked(w, a);
    pthread_mutex_unlock(&a->mu);
}

/* Async: hand [p, p+n) to the helper once it is idle.  The block must stay
 * untouched until the next async_wait_idle. */
static void async_submit(pmat_writer *w, const unsigned char *p, size_t n)
{
    struct pmat_async *a = w->async;

    pthread_mutex_lock(&a->mu);
    async_idle_locked(w, a);
    if (!w->err && n) {
        a->pending = p;
        a->pending_len = n;
        pthread_cond_broadcast(&a->cv);
    }
    pthread_mutex_unlock(&a->mu);
}

/* The file offset every write(2) but the last starts and ends on, when the
 * buffer is sent because it is full: writes that cover whole pages of the
 * page cache are measurably cheaper (bench/plain-write with 512 KiB against
 * 524000-byte calls: ~15% faster) than ones that start or end mid-page. */
#define PMAT_WRITE_ALIGN 4096

/* Send the pending bytes on their way: all of them (whole), or only up to
 * the last PMAT_WRITE_ALIGN boundary of the file, the rest (less than
 * PMAT_WRITE_ALIGN bytes) staying at the start of the buffer.
 * Plain: written before returning.  Async: handed to the helper, and w->buf
 * switched to the other half (which the helper has finished with, or
 * async_submit would still be waiting). */
static void send_pending(pmat_writer *w, int whole)
{
    size_t n = w->len, tail;

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
    if (w->async) {
        struct pmat_async *a = w->async;
        const unsigned char *old = w->buf;
        async_submit(w, old, n);
        a->cur ^= 1;
        w->buf = a->half[a->cur];
        /* The helper only reads the old half: copying from it is safe. */
        if (tail)
            memcpy(w->buf, old + n, tail);
    }
    else {
        int err = write_all(w->fd, w->buf, n, &w->written);
        if (err)
            w->err = err;
        if (tail)
            memmove(w->buf, w->buf + n, tail);
    }
    w->sent += n;
    w->len = w->err ? 0 : tail;
}

int pmat_writer_flush(pmat_writer *w)
{
    send_pending(w, 1);
    if (w->async)
        async_wait_idle(w);
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
    /* Too big for what is left: send the pending bytes, then either buffer
     * the block or, if it would fill most of the buffer anyway, write it
     * straight from the caller's memory (async: by the helper, and waited
     * for, since the caller's memory is only borrowed for this call). */
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
    else if (w->async) {
        async_submit(w, src, n);
        async_wait_idle(w);
        w->sent += n;
    }
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
    if (w->async) {
        struct pmat_async *a = w->async;

        pthread_mutex_lock(&a->mu);
        a->quit = 1;
        pthread_cond_broadcast(&a->cv);
        pthread_mutex_unlock(&a->mu);
        pthread_join(a->thread, NULL);
        pthread_cond_destroy(&a->cv);
        pthread_mutex_destroy(&a->mu);
        free(a->mem);
        free(a);
        w->async = NULL;
    }
    else
        free(w->buf);
    w->buf = NULL;
    w->cap = 0;
    return w->err;
}
