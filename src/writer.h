/* writer.h -- the output stream of a heap dump.
 *
 * Contract: a writer owns one fixed buffer (allocated once per dump, its size
 * independent of the heap) and one file descriptor.  Records are written by
 * reserving the bytes they need once (pmat_reserve) and then appending with
 * the unchecked put_* helpers, so the hot path costs one bounds check per
 * record rather than one per byte.  Variable-length data (strings, element
 * lists) goes through the checked pmat_put_str / pmat_put_bytes.
 *
 * Errors are latched: the first failing write(2) records errno in w->err and
 * every later call becomes a no-op, so the walk never has to unwind halfway
 * through a record.  The caller checks w->err once at the end.
 *
 * This layer knows nothing about Perl; values are written in host byte order
 * (the file header's FLAGS say which order that is).
 */
#ifndef PMAT_WRITER_H
#define PMAT_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>

/* Internal to Dumper.so (see dumper.h). */
#pragma GCC visibility push(hidden)

#define PMAT_WRITER_BUFSIZE (1024 * 1024)
/* Each walker's buffer when the walk is split: the two together use what
 * the single writer's buffer does, so the dump's extra memory stays. */
#define PMAT_WALKER_BUFSIZE (PMAT_WRITER_BUFSIZE / 2)

/* The file offset every write(2) but the last starts and ends on, for the
 * in-line writer: writes that cover whole pages of the page cache are
 * measurably cheaper (bench/plain-write with 512 KiB against 524000-byte
 * calls: ~15% faster) than ones that start or end mid-page. */
#define PMAT_WRITE_ALIGN 4096
/* The same for the shared writers, coarser: the page cache takes a write in
 * large folios when its offset is aligned to them, so alignment beyond a page
 * pays too.  132 MB in 512 KiB write(2)s, median of 9 each, here: 0.0193 s
 * at 512 KiB-aligned offsets, 0.0197 s at 256 KiB, 0.0205 s at 128 KiB,
 * 0.0215 s at 64 KiB, 0.0235 s at 4 KiB, 0.0245 s unaligned. */
#define PMAT_SHARED_ALIGN (256 * 1024)

struct pmat_outfile;

typedef struct pmat_writer {
    int            fd;
    unsigned char *buf;
    size_t         len;      /* bytes pending in buf */
    size_t         cap;
    int            err;      /* 0, or the errno of the first failure */
    uint64_t       written;  /* bytes handed to write(2) so far */
    uint64_t       sent;     /* in-line: bytes of the file before buf[0] */
    /* Shared mode (pmat_writer_init_shared): several writers, one per
     * thread, append whole units of records to the same fd. */
    struct pmat_outfile *shared;
    size_t         boundary; /* buf[0, boundary) holds only whole units */
    int            holding;  /* owns the file until the current unit ends */
} pmat_writer;

/* The fd that shared-mode writers take turns at: each write(2) carries
 * whole units (an SV's record with its MAGIC records, ended by
 * pmat_unit_done), so the units of two threads interleave in the file but
 * never mix.  A unit larger than a writer's buffer keeps the file locked
 * from its first byte to its last.  Outside the arena walk no units are
 * marked: a writer that has to write then holds the file until its next
 * pmat_writer_flush, which is right where it is the only one writing. */
struct pmat_outfile {
    pthread_mutex_t mu;
    int             fd;
    int             err;     /* the first failure of any writer */
    /* The bytes past the last PMAT_SHARED_ALIGN boundary that a writer sent:
     * they go out at the front of the next write(2), whoever makes it (see
     * outfile_append), or at a flush. */
    unsigned char  *carry;   /* PMAT_SHARED_ALIGN bytes, mmap'd */
    size_t          carry_len;
    uint64_t        off;     /* file offset of carry[0] */
};

/* The fd, lock and carry for shared writers; returns 0 or an errno value. */
int  pmat_outfile_init(struct pmat_outfile *o, int fd);
void pmat_outfile_destroy(struct pmat_outfile *o);
/* A writer with a buffer of cap bytes (mmap'd) whose write(2)s go to o's
 * fd under o's lock, each made of whole units.  Returns 0 or errno. */
int  pmat_writer_init_shared(pmat_writer *w, struct pmat_outfile *o, size_t cap);
/* Slow path of pmat_unit_done: the unit that held the file is complete. */
void pmat_writer_release(pmat_writer *w);

/* The end of a unit: the bytes so far may go to the file on their own.
 * (One store for writers that are not shared.) */
static inline void pmat_unit_done(pmat_writer *w)
{
    if (__builtin_expect(w->holding, 0))
        pmat_writer_release(w);
    w->boundary = w->len;
}

/* A plain writer on the caller's buffer of cap bytes: allocates nothing
 * (for dumps from signal handlers and the fork child). */
void pmat_writer_init_buf(pmat_writer *w, int fd, unsigned char *buf, size_t cap);
/* Allocate the buffer; returns 0 on success, an errno value on failure. */
int  pmat_writer_init(pmat_writer *w, int fd);
/* Flush what is pending and free the buffer; returns w->err (0 if all went
 * out).  Does not close the fd. */
int  pmat_writer_finish(pmat_writer *w);
/* Write out the pending bytes; returns 0 if the writer is (still) healthy. */
int  pmat_writer_flush(pmat_writer *w);
/* Slow path of pmat_reserve: flush to make room.  Returns 1 if n bytes can
 * now be appended, 0 if the writer has failed (n exceeding the buffer is
 * latched as EOVERFLOW: a caller bug must not silently drop a record). */
int  pmat_writer_make_room(pmat_writer *w, size_t n);

/* Make sure n bytes can be appended with the put_*_nocheck helpers.
 * Returns 0 (and appends nothing afterwards) once the writer has failed. */
static inline int pmat_reserve(pmat_writer *w, size_t n)
{
    if (w->cap - w->len >= n && !w->err)
        return 1;
    return pmat_writer_make_room(w, n);
}

static inline void pmat_put_u8_nocheck(pmat_writer *w, uint8_t v)
{
    w->buf[w->len++] = v;
}

static inline void pmat_put_u32_nocheck(pmat_writer *w, uint32_t v)
{
    memcpy(w->buf + w->len, &v, 4);
    w->len += 4;
}

static inline void pmat_put_u64_nocheck(pmat_writer *w, uint64_t v)
{
    memcpy(w->buf + w->len, &v, 8);
    w->len += 8;
}

/* PTR fields carry the address as the file's pointer width (uintptr_t). */
static inline void pmat_put_ptr_nocheck(pmat_writer *w, const void *p)
{
    uintptr_t v = (uintptr_t)p;
    memcpy(w->buf + w->len, &v, sizeof v);
    w->len += sizeof v;
}

static inline void pmat_put_nocheck(pmat_writer *w, const void *src, size_t n)
{
    memcpy(w->buf + w->len, src, n);
    w->len += n;
}

/* Cursor-style appends for the hot record writers: after one pmat_reserve,
 * take p = pmat_cursor(w), store every field through p (each helper returns
 * the advanced cursor), and hand it back with pmat_commit(w, p).  Why: the
 * put_*_nocheck helpers store bytes through w->buf, and a byte store may
 * alias w->len and w->buf themselves, so the compiler reloads both after
 * every field; a local cursor stays in a register. */
static inline unsigned char *pmat_cursor(const pmat_writer *w)
{
    return w->buf + w->len;
}

static inline void pmat_commit(pmat_writer *w, unsigned char *p)
{
    w->len = (size_t)(p - w->buf);
}

static inline unsigned char *pmat_p_u8(unsigned char *p, uint8_t v)
{
    *p = v;
    return p + 1;
}

static inline unsigned char *pmat_p_u32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, 4);
    return p + 4;
}

static inline unsigned char *pmat_p_u64(unsigned char *p, uint64_t v)
{
    memcpy(p, &v, 8);
    return p + 8;
}

static inline unsigned char *pmat_p_ptr(unsigned char *p, const void *ptr)
{
    uintptr_t v = (uintptr_t)ptr;
    memcpy(p, &v, sizeof v);
    return p + sizeof v;
}

/* n bytes from src.  Short strings (hash keys, most PVs) are the common
 * case: copied with two possibly overlapping loads and stores that stay
 * inside [src, src+n), rather than a call into the C library's memcpy. */
static inline unsigned char *pmat_p_mem(unsigned char *p, const void *src, size_t n)
{
    const unsigned char *s = (const unsigned char *)src;

    if (n <= 16) {
        if (n >= 8) {
            uint64_t a, b;
            memcpy(&a, s, 8);
            memcpy(&b, s + n - 8, 8);
            memcpy(p, &a, 8);
            memcpy(p + n - 8, &b, 8);
        }
        else if (n >= 4) {
            uint32_t a, b;
            memcpy(&a, s, 4);
            memcpy(&b, s + n - 4, 4);
            memcpy(p, &a, 4);
            memcpy(p + n - 4, &b, 4);
        }
        else if (n) {
            p[0] = s[0];
            p[n / 2] = s[n / 2];
            p[n - 1] = s[n - 1];
        }
    }
    else if (n <= 32) {
        unsigned char a[16], b[16];
        memcpy(a, s, 16);
        memcpy(b, s + n - 16, 16);
        memcpy(p, a, 16);
        memcpy(p + n - 16, b, 16);
    }
    else
        memcpy(p, s, n);
    return p + n;
}

/* Checked appends for data of any length: large blocks bypass the buffer. */
void pmat_put_bytes(pmat_writer *w, const void *src, size_t n);

#pragma GCC visibility pop

#endif
