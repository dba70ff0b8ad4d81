/* pmat_header.c - opening the file: mapping, header, size tables, roots,
 * stack; plus the accessors for those. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pmat_int.h"

/* Read a size table of n entries (HEADERLEN, NPTRS, NSTRS each). */
static int read_sizes(pmat_cur *c, pmat_sizes *tab, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (pmat_rd_u8(c, &tab[i].bytes) < 0 || pmat_rd_u8(c, &tab[i].nptrs) < 0 ||
            pmat_rd_u8(c, &tab[i].nstrs) < 0)
            return -1;
    return 0;
}

static int read_magic_and_flags(pmat_file *f, pmat_cur *c)
{
    c->what = NULL;   /* the messages below say it all */
    if (f->size < 4 || memcmp(f->map, "PMAT", 4) != 0) {
        if (f->size == 0)
            return pmat_fail(c, "empty file, not a PMAT heap dump");
        return pmat_fail(c, "not a PMAT heap dump (magic is not \"PMAT\")");
    }
    c->pos = 4;
    c->what = "header flags";
    uint8_t flags, zero, major, minor;
    if (pmat_rd_u8(c, &flags) < 0)
        return -1;
    if (flags & ~0x1f) {
        c->pos--;
        return pmat_fail(c, "unrecognised header flags 0x%02x", flags);
    }
    f->h.flags = flags;
    f->h.big_endian = flags & 0x01;
    f->h.uint_len = (flags & 0x02) ? 8 : 4;
    f->h.ptr_len = (flags & 0x04) ? 8 : 4;
    f->h.nv_len = (flags & 0x08) ? 10 : 8;
    f->h.ithreads = (flags & 0x10) != 0;
    f->minus_1 = f->h.uint_len == 8 ? UINT64_MAX : UINT32_MAX;

    c->what = "header";
    if (pmat_rd_u8(c, &zero) < 0)
        return -1;
    if (zero != 0) {
        c->pos--;
        return pmat_fail(c, "the 'zero' header byte is 0x%02x", zero);
    }
    c->what = "format version";
    if (pmat_rd_u8(c, &major) < 0)
        return -1;
    if (major != 0) {
        c->pos--;
        return pmat_fail(c, "unknown format version major %u (this reader knows 0)", major);
    }
    if (pmat_rd_u8(c, &minor) < 0)
        return -1;
    if (minor > 6) {
        c->pos--;
        return pmat_fail(c, "unknown format version 0.%u (this reader knows 0.0 to 0.6)", minor);
    }
    f->h.format_major = major;
    f->h.format_minor = minor;
    f->h.hash_heks = minor >= 6;
    return 0;
}

static int read_tables(pmat_file *f, pmat_cur *c)
{
    uint8_t n;
    c->what = "perl version";
    if (pmat_rd_u32(c, &f->h.perlver) < 0)
        return -1;

    c->what = "SV size table";
    if (pmat_rd_u8(c, &n) < 0)
        return -1;
    if (n < 1) {
        c->pos--;
        return pmat_fail(c, "SV size table is empty (no common header)");
    }
    f->h.n_types = n;
    if (read_sizes(c, f->h.types, n) < 0)
        return -1;
    uint64_t need = (uint64_t)f->h.ptr_len + 4 + (uint64_t)f->h.uint_len;
    if (f->h.types[0].bytes < need) {
        c->pos -= 3u * n;
        return pmat_fail(c, "common SV header of %u bytes is shorter than %" PRIu64,
                         f->h.types[0].bytes, need);
    }

    if (f->h.format_minor >= 4) {
        c->what = "extension size table";
        if (pmat_rd_u8(c, &n) < 0)
            return -1;
        if (n > 128) {
            c->pos--;
            return pmat_fail(c, "%u extension types is more than the 128 possible", n);
        }
        f->h.n_extns = n;
        if (read_sizes(c, f->h.extns, n) < 0)
            return -1;
    } else {
        /* Before v0.4 the only extension was MAGIC: type+flags, obj+ptr. */
        f->h.n_extns = 1;
        f->h.extns[0].bytes = 2;
        f->h.extns[0].nptrs = 2;
        f->h.extns[0].nstrs = 0;
    }

    if (f->h.format_minor >= 2) {
        c->what = "context size table";
        if (pmat_rd_u8(c, &n) < 0)
            return -1;
        f->h.n_ctxs = n;
        if (read_sizes(c, f->h.ctxs, n) < 0)
            return -1;
        if (n >= 1 && f->h.ctxs[0].bytes < 1u + (unsigned)f->h.uint_len) {
            c->pos -= 3u * n;
            return pmat_fail(c, "common context header of %u bytes is too short",
                             f->h.ctxs[0].bytes);
        }
    }
    return 0;
}

static int read_roots_and_stack(pmat_file *f, pmat_cur *c)
{
    c->what = "immortals";
    if (pmat_rd_ptr(c, &f->h.undef_at) < 0 || pmat_rd_ptr(c, &f->h.yes_at) < 0 ||
        pmat_rd_ptr(c, &f->h.no_at) < 0)
        return -1;

    f->roots_off = c->pos;
    c->what = "root count";
    uint32_t nroots;
    if (pmat_rd_u32(c, &nroots) < 0)
        return -1;
    if (pmat_rd_check_count(c, nroots, (uint64_t)f->h.uint_len + (uint64_t)f->h.ptr_len,
                            "roots") < 0)
        return -1;
    f->nroots = nroots;
    f->root_offs = malloc(sizeof *f->root_offs * (nroots ? nroots : 1));
    if (!f->root_offs)
        return pmat_fail(c, "out of memory for %" PRIu32 " roots", nroots);
    c->what = "roots";
    for (uint32_t i = 0; i < nroots; i++) {
        pmat_str name;
        uint64_t addr;
        f->root_offs[i] = c->pos;
        if (pmat_rd_str(c, &name) < 0 || pmat_rd_ptr(c, &addr) < 0)
            return -1;
    }

    f->stack_off = c->pos;
    c->what = "stack size";
    if (pmat_rd_uint(c, &f->nstack) < 0)
        return -1;
    if (pmat_rd_check_count(c, f->nstack, (uint64_t)f->h.ptr_len, "stack entries") < 0)
        return -1;
    f->stack_elems_off = c->pos;
    c->pos += f->nstack * (uint64_t)f->h.ptr_len;
    f->heap_off = c->pos;
    return 0;
}

int pmat_read_header(pmat_file *f, pmat_error *err)
{
    pmat_cur c;
    pmat_cur_init(&c, f, 0, err, "header");
    if (read_magic_and_flags(f, &c) < 0 || read_tables(f, &c) < 0 ||
        read_roots_and_stack(f, &c) < 0)
        return -1;
    return 0;
}

static int map_file(pmat_file *f, const char *path, pmat_error *err)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return pmat_fail_noff(err, path, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return pmat_fail_noff(err, path, "cannot stat: %s", strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return pmat_fail_noff(err, path, "not a regular file");
    }
    f->size = (uint64_t)st.st_size;
    if (f->size > ((uint64_t)1 << 56) || (uint64_t)(size_t)f->size != f->size) {
        close(fd);
        return pmat_fail_noff(err, path, "file too large to map");
    }
    if (f->size == 0) {
        /* mmap refuses zero length; an empty buffer reads the same. */
        close(fd);
        f->fd = -1;
        f->map = (const unsigned char *)"";
        return 0;
    }
    /* No MAP_POPULATE: pmat_open's pass reads the heap with pread() into a
     * small buffer (copying from the page cache is cheaper here than
     * mapping every page, and the pages do not stay in our RSS); the
     * mapping serves the lazy accessors, which touch only what they decode. */
    void *m = mmap(NULL, (size_t)f->size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    if (m == MAP_FAILED) {
        close(fd);
        return pmat_fail_noff(err, path, "cannot map: %s", strerror(e));
    }
    f->fd = fd;
    f->map = m;
    return 0;
}

pmat_file *pmat_open(const char *path, pmat_error *err)
{
    return pmat_open_ex(path, NULL, err);
}

void pmat_release_pages(const pmat_file *f)
{
#ifdef MADV_DONTNEED
    if (f->map && f->size)
        madvise((void *)f->map, (size_t)f->size, MADV_DONTNEED);
#else
    (void)f;
#endif
}

pmat_file *pmat_open_ex(const char *path, const pmat_open_opts *opts, pmat_error *err)
{
    pmat_file *f = calloc(1, sizeof *f);
    if (!f) {
        pmat_fail_noff(err, path, "out of memory");
        return NULL;
    }
    f->path = strdup(path);
    if (!f->path) {
        free(f);
        pmat_fail_noff(err, path, "out of memory");
        return NULL;
    }
    f->fd = -1;
    f->opts = opts;
    int rc = map_file(f, path, err) < 0 || pmat_read_header(f, err) < 0 ||
             pmat_build_index(f, err) < 0;
    f->opts = NULL;
    if (f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
    }
    if (rc) {
        pmat_close(f);
        return NULL;
    }
    return f;
}

void pmat_close(pmat_file *f)
{
    if (!f)
        return;
    if (f->map && f->size)
        munmap((void *)f->map, (size_t)f->size);
    free(f->root_offs);
    if (f->svs_maplen)
        munmap(f->svs, f->svs_maplen);
    else
        free(f->svs);
    if (f->fd >= 0)
        close(f->fd);
    free(f->exts);
    free(f->metas);
    free(f->ctx_offs);
    free(f->path);
    free(f);
}

const char *pmat_path(const pmat_file *f) { return f->path; }
uint64_t pmat_file_size(const pmat_file *f) { return f->size; }
const pmat_header *pmat_file_header(const pmat_file *f) { return &f->h; }

char *pmat_perl_version(const pmat_file *f, char *buf, size_t buflen)
{
    uint32_t v = f->h.perlver;
    snprintf(buf, buflen, "%u.%u.%u", (unsigned)(v >> 24), (unsigned)((v >> 16) & 0xff),
             (unsigned)(v & 0xffff));
    return buf;
}

void pmat_file_sections(const pmat_file *f, pmat_sections *out)
{
    out->roots = f->roots_off;
    out->stack = f->stack_off;
    out->heap = f->heap_off;
    out->contexts = f->ctx_off;
    out->mortals = f->mortals_off;
    out->end = f->end_off;
}

size_t pmat_root_count(const pmat_file *f) { return (size_t)f->nroots; }

int pmat_root(const pmat_file *f, size_t i, pmat_str *name, uint64_t *addr)
{
    if (i >= f->nroots)
        return -1;
    pmat_cur c;
    pmat_cur_init(&c, f, f->root_offs[i], NULL, "roots");
    if (pmat_rd_str(&c, name) < 0 || pmat_rd_ptr(&c, addr) < 0)
        return -1;
    return 0;
}

uint64_t pmat_stack_count(const pmat_file *f) { return f->nstack; }

uint64_t pmat_stack_at(const pmat_file *f, uint64_t i)
{
    if (i >= f->nstack)
        return 0;
    return pmat_get_uint_n(f, f->map + f->stack_elems_off + i * (uint64_t)f->h.ptr_len,
                           f->h.ptr_len);
}

uint64_t pmat_mortal_count(const pmat_file *f) { return f->nmortals; }
uint64_t pmat_mortal_floor(const pmat_file *f) { return f->mortal_floor; }
int pmat_mortal_has_floor(const pmat_file *f) { return f->mortal_has_floor; }

uint64_t pmat_mortal_at(const pmat_file *f, uint64_t i)
{
    if (i >= f->nmortals)
        return 0;
    return pmat_get_uint_n(f, f->map + f->mortals_elems_off + i * (uint64_t)f->h.ptr_len,
                           f->h.ptr_len);
}
