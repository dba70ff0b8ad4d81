/* writer.c -- buffered, error-latching output for heap dumps.  See writer.h. */
#include "writer.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

int pmat_writer_init(pmat_writer *w, int fd)
{
    w->fd = fd;
    w->len = 0;
    w->err = 0;
    w->written = 0;
    w->cap = PMAT_WRITER_BUFSIZE;
    w->buf = malloc(w->cap);
    if (!w->buf) {
        w->cap = 0;
        w->err = ENOMEM;
    }
    return w->err;
}

/* write(2) all of [p, p+n), retrying short writes and EINTR (a signal that
 * arrives while we dump must not cut the file short). */
static void write_fully(pmat_writer *w, const unsigned char *p, size_t n)
{
    while (n && !w->err) {
        ssize_t got = write(w->fd, p, n);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            w->err = errno ? errno : EIO;
            return;
        }
        if (got == 0) {
            w->err = ENOSPC;
            return;
        }
        p += got;
        n -= (size_t)got;
        w->written += (uint64_t)got;
    }
}

int pmat_writer_flush(pmat_writer *w)
{
    if (w->len && !w->err)
        write_fully(w, w->buf, w->len);
    w->len = 0;
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
        pmat_writer_flush(w);
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
     * straight from the caller's memory. */
    pmat_writer_flush(w);
    if (n < w->cap / 2)
        pmat_put_nocheck(w, src, n);
    else
        write_fully(w, src, n);
}

int pmat_writer_finish(pmat_writer *w)
{
    pmat_writer_flush(w);
    free(w->buf);
    w->buf = NULL;
    w->cap = 0;
    return w->err;
}
