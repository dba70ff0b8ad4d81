/* dumpfile.c -- dumps to named files, written safely, and the triggers.
 *
 * A dump to PATH goes to a new file DIR/.BASE.tmp-PID-K in the same
 * directory, created with O_CREAT|O_EXCL|O_NOFOLLOW (never an existing file,
 * never through a symlink) and mode 0600, and is renamed over PATH only once
 * every byte is written.  So a reader never sees a half-written file under
 * the final name, a symlink planted at the final name is replaced rather than
 * written through, and a failed dump leaves nothing behind.  Files are not
 * fsync'd: the rename protects against the process dying mid-dump, not
 * against the machine doing so.
 *
 * Everything a trigger does from the moment it starts is async-signal-safe
 * in practice: fixed buffers, no malloc (the SIGABRT path uses a buffer
 * allocated when the handler is armed), no stdio, no Perl code.
 */
#define PERL_NO_GET_CONTEXT
#include "dumper.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef O_NOFOLLOW
#  define O_NOFOLLOW 0
#endif
#ifndef O_CLOEXEC
#  define O_CLOEXEC 0
#endif

#define PMAT_PATH_MAX 4096
#define PMAT_MSG_MAX  (3 * PMAT_PATH_MAX)
/* Names tried when a temporary name is already taken (by a stale file, or
 * by somebody's symlink) before the dump gives up with EEXIST. */
#define PMAT_TMP_TRIES 32

static char *template_path;             /* absolute; NNN becomes the serial */
static unsigned long next_serial;       /* the next NNN */
static unsigned long tmp_counter;       /* the K of .BASE.tmp-PID-K */
static volatile sig_atomic_t in_dump;   /* a dump is being written */

static int   eager_fd = -1;             /* -eager_open: the first dump's file */
static pid_t eager_pid;
static char  eager_tmp[PMAT_PATH_MAX];

static unsigned char *abrt_buf;         /* the SIGABRT path's writer buffer */
static GV *abrt_max_string_gv;          /* *MAX_STRING, looked up when armed */

/* ---- a bounded string builder (no allocation, no stdio) ---------------- */

typedef struct {
    char  *p;
    size_t len, cap;                    /* cap includes the NUL */
    int    overflow;
} sbuf;

static void sb_init(sbuf *b, char *p, size_t cap)
{
    b->p = p;
    b->len = 0;
    b->cap = cap;
    b->overflow = 0;
    p[0] = '\0';
}

static void sb_mem(sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->overflow = 1;
        n = b->cap - 1 - b->len;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_mem(b, s, strlen(s));
}

static void sb_ulong(sbuf *b, unsigned long v)
{
    char digits[24];
    size_t i = sizeof digits;
    do {
        digits[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sb_mem(b, digits + i, sizeof digits - i);
}

static const char *errtext(int err)
{
#if defined(__GLIBC__) && defined(__GLIBC_PREREQ)
#  if __GLIBC_PREREQ(2, 32)
    /* Unlike strerror(), never allocates or consults the locale. */
    const char *s = strerrordesc_np(err);
    if (s)
        return s;
#  endif
#endif
    return strerror(err);
}

/* Our messages go to fd 2; if that is a pipe nobody reads any more, the
 * write must fail with EPIPE rather than kill the program with SIGPIPE.
 * Blocked for the whole trigger; a SIGPIPE we caused is swallowed, one that
 * was already pending is left for the program. */
typedef struct { sigset_t old; int was_pending, masked; } pipe_guard;

static void pipe_guard_on(pipe_guard *g)
{
    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigpending(&pending);
    g->was_pending = sigismember(&pending, SIGPIPE) == 1;
    g->masked = pthread_sigmask(SIG_BLOCK, &set, &g->old) == 0;
}

static void pipe_guard_off(pipe_guard *g)
{
    sigset_t set, pending;
    struct timespec zero = { 0, 0 };
    if (!g->masked)
        return;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigpending(&pending);
    if (!g->was_pending && sigismember(&pending, SIGPIPE) == 1
        && !sigismember(&g->old, SIGPIPE)) {
        while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

static void say(const sbuf *b)
{
    const char *p = b->p;
    size_t n = b->len;
    while (n) {
        ssize_t got = write(2, p, n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return;                     /* nowhere left to complain to */
        p += got;
        n -= (size_t)got;
    }
}

/* ---- names ------------------------------------------------------------- */

/* The final name of the dump with serial n: the template with every NNN
 * replaced by n.  Returns 0 or ENAMETOOLONG. */
static int final_name(char *out, size_t cap, const char *tmpl, unsigned long n)
{
    sbuf b;
    const char *s = tmpl, *hit;

    sb_init(&b, out, cap);
    while ((hit = strstr(s, "NNN")) != NULL) {
        sb_mem(&b, s, (size_t)(hit - s));
        sb_ulong(&b, n);
        s = hit + 3;
    }
    sb_str(&b, s);
    return b.overflow ? ENAMETOOLONG : 0;
}

/* Create a new temporary file next to final; its name goes to tmp.
 * Returns the fd, or -1 with errno set. */
static int create_temp(const char *final, char *tmp, size_t cap)
{
    const char *slash = strrchr(final, '/');
    size_t dirlen = slash ? (size_t)(slash - final) + 1 : 0;
    int tries;

    for (tries = 0; tries < PMAT_TMP_TRIES; tries++) {
        sbuf b;
        int fd;

        sb_init(&b, tmp, cap);
        sb_mem(&b, final, dirlen);
        sb_str(&b, ".");
        sb_str(&b, final + dirlen);
        sb_str(&b, ".tmp-");
        sb_ulong(&b, (unsigned long)getpid());
        sb_str(&b, "-");
        sb_ulong(&b, tmp_counter++);
        if (b.overflow) {
            errno = ENAMETOOLONG;
            return -1;
        }
        /* O_EXCL: never an existing file and never through a symlink, even
         * a dangling one; O_NOFOLLOW says the same for old kernels. */
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST && errno != EINTR)
            return -1;
    }
    errno = EEXIST;
    return -1;
}

/* ---- writing one file -------------------------------------------------- */

/* Dump into fd (the temporary tmp), close it and rename it to final.  On
 * failure fills msg and removes tmp -- unless keep_complete is set and only
 * the rename failed, in which case the complete dump stays where it is. */
static int write_and_rename(pTHX_ int fd, const char *tmp, const char *final,
                            IV max_string, unsigned char *buf, int keep_complete,
                            sbuf *msg)
{
    int err = buf ? pmat_dump_fd_prealloc(aTHX_ fd, max_string, buf, PMAT_WRITER_BUFSIZE)
                  : pmat_dump_fd(aTHX_ fd, max_string);

    /* close() can be where a network filesystem reports the lost write. */
    if (close(fd) < 0 && errno != EINTR && !err)
        err = errno;
    if (err) {
        unlink(tmp);
        sb_str(msg, "writing ");
        sb_str(msg, tmp);
        sb_str(msg, " failed: ");
        sb_str(msg, errtext(err));
        sb_str(msg, " (removed)");
        return err;
    }
    if (rename(tmp, final) < 0) {
        err = errno;
        if (keep_complete) {
            sb_str(msg, "the dump is complete in ");
            sb_str(msg, tmp);
            sb_str(msg, " but could not be renamed to ");
            sb_str(msg, final);
            sb_str(msg, ": ");
            sb_str(msg, errtext(err));
        }
        else {
            unlink(tmp);
            sb_str(msg, "cannot rename ");
            sb_str(msg, tmp);
            sb_str(msg, " to ");
            sb_str(msg, final);
            sb_str(msg, ": ");
            sb_str(msg, errtext(err));
            sb_str(msg, " (removed)");
        }
        return err;
    }
    return 0;
}

static int dump_to(pTHX_ const char *final, IV max_string, unsigned char *buf,
                   sbuf *msg)
{
    char tmp[PMAT_PATH_MAX];
    int fd, keep = 0;

    if (eager_fd >= 0 && eager_pid == getpid()) {
        /* The file opened at import: used once, by the first dump. */
        fd = eager_fd;
        eager_fd = -1;
        memcpy(tmp, eager_tmp, sizeof tmp);
        keep = 1;
    }
    else {
        fd = create_temp(final, tmp, sizeof tmp);
        if (fd < 0) {
            int err = errno;
            sb_str(msg, "cannot create a temporary file for ");
            sb_str(msg, final);
            sb_str(msg, ": ");
            sb_str(msg, errtext(err));
            return err;
        }
    }
    return write_and_rename(aTHX_ fd, tmp, final, max_string, buf, keep, msg);
}

/* ---- the interface (dumper.h) ------------------------------------------ */

int pmat_dump_in_progress(void)
{
    return in_dump;
}

int pmat_dump_file(pTHX_ const char *path, IV max_string, char *msgbuf, size_t msglen)
{
    char tmp[PMAT_PATH_MAX];
    sbuf msg;
    int fd, err;

    sb_init(&msg, msgbuf, msglen);
    if (in_dump) {
        sb_str(&msg, "another dump is being written");
        return EBUSY;
    }
    in_dump = 1;
    fd = create_temp(path, tmp, sizeof tmp);
    if (fd < 0) {
        err = errno;
        sb_str(&msg, "cannot create a temporary file: ");
        sb_str(&msg, errtext(err));
    }
    else
        err = write_and_rename(aTHX_ fd, tmp, path, max_string, NULL, 0, &msg);
    in_dump = 0;
    return err;
}

int pmat_dump_handle_fd(pTHX_ int fd, IV max_string)
{
    int err;
    if (in_dump)
        return EBUSY;
    in_dump = 1;
    err = pmat_dump_fd(aTHX_ fd, max_string);
    in_dump = 0;
    return err;
}

int pmat_set_template(const char *abs_path)
{
    char *copy = strdup(abs_path);
    if (!copy)
        return ENOMEM;
    free(template_path);
    template_path = copy;
    return 0;
}

const char *pmat_get_template(void)
{
    return template_path;
}

int pmat_eager_open(char *msgbuf, size_t msglen)
{
    char final[PMAT_PATH_MAX];
    sbuf msg;
    int err, fd;

    sb_init(&msg, msgbuf, msglen);
    if (eager_fd >= 0)
        return 0;                       /* already holding one */
    if (!template_path)
        return EINVAL;
    if ((err = final_name(final, sizeof final, template_path, next_serial)) != 0) {
        sb_str(&msg, "file name too long");
        return err;
    }
    fd = create_temp(final, eager_tmp, sizeof eager_tmp);
    if (fd < 0) {
        err = errno;
        sb_str(&msg, "cannot create a temporary file for ");
        sb_str(&msg, final);
        sb_str(&msg, ": ");
        sb_str(&msg, errtext(err));
        return err;
    }
    eager_fd = fd;
    eager_pid = getpid();
    return 0;
}

static int trigger(pTHX_ const char *reason, IV max_string, unsigned char *buf)
{
    char final[PMAT_PATH_MAX];
    char text[PMAT_MSG_MAX], detail[PMAT_MSG_MAX];
    sbuf out, msg;
    pipe_guard pg;
    int err;

    sb_init(&out, text, sizeof text);
    pipe_guard_on(&pg);
    if (in_dump || !template_path) {
        /* Only an immediate (SIGABRT) handler can get here mid-dump: the
         * writer is busy, so this one is skipped rather than nested. */
        sb_str(&out, "Devel::MAT::Dumper: not dumping because of ");
        sb_str(&out, reason);
        sb_str(&out, in_dump ? ": a dump is already being written\n" : ": no file name\n");
        say(&out);
        pipe_guard_off(&pg);
        return 0;
    }
    in_dump = 1;

    err = final_name(final, sizeof final, template_path, next_serial++);
    sb_str(&out, "Dumping to ");
    sb_str(&out, final);
    sb_str(&out, " because of ");
    sb_str(&out, reason);
    sb_str(&out, "\n");
    say(&out);

    sb_init(&msg, detail, sizeof detail);
    if (err)
        sb_str(&msg, "file name too long");
    else
        err = dump_to(aTHX_ final, max_string, buf, &msg);

    if (err) {
        sb_init(&out, text, sizeof text);
        sb_str(&out, "Devel::MAT::Dumper: no dump because of ");
        sb_str(&out, reason);
        sb_str(&out, ": ");
        sb_str(&out, detail);
        sb_str(&out, "\n");
        say(&out);
    }
    in_dump = 0;
    pipe_guard_off(&pg);
    return err == 0;
}

int pmat_trigger(pTHX_ const char *reason, IV max_string)
{
    return trigger(aTHX_ reason, max_string, NULL);
}

/* ---- the immediate SIGABRT handler ------------------------------------- */

static void abrt_handler(int sig)
{
    int saved_errno = errno;
    struct sigaction dfl;

    {
        dTHX;                           /* NULL in a thread perl never saw */
        if (aTHX) {
            /* No lookup by name here (that walks hashes the abort may have
             * caught half-changed): the GV found when the handler was
             * armed, and only a plain integer value is believed. */
            SV *ms = abrt_max_string_gv ? GvSV(abrt_max_string_gv) : NULL;
            IV max_string = (ms && SvIOK(ms) && !SvGMAGICAL(ms)) ? SvIVX(ms) : 256;
            trigger(aTHX_ "SIGABRT", max_string, abrt_buf);
        }
    }

    /* Back to the default disposition and raise it again: SIGABRT is
     * blocked while we run, so it is delivered as soon as we return. */
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    raise(sig);
    errno = saved_errno;
}

int pmat_arm_abrt(GV *max_string_gv)
{
    struct sigaction sa;

    abrt_max_string_gv = max_string_gv;
    if (!abrt_buf) {
        abrt_buf = malloc(PMAT_WRITER_BUFSIZE);
        if (!abrt_buf)
            return ENOMEM;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = abrt_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    if (sigaction(SIGABRT, &sa, NULL) < 0)
        return errno;
    return 0;
}
