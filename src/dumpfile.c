/* dumpfile.c -- dumps to named files, written safely, and the triggers.
 *
 * A dump to PATH goes to a new file DIR/.BASE.tmp-PID-K in the same
 * directory, created with O_CREAT|O_EXCL|O_NOFOLLOW (never an existing file,
 * never through a symlink) and mode 0600, and is renamed over PATH only once
 * every byte is written.  So a reader never sees a half-written file under
 * the final name, a symlink planted at the final name is replaced rather than
 * written through, and a failed dump leaves nothing behind.  Files are not
 * fsync'd: the rename protects against the process dying mid-dump, not
 * against the machine doing so.  Its descriptor is above 2 and close-on-exec
 * (fd_above_stdio): the one descriptor a dump opens, whether it is written
 * here, by the walk's helper thread or by a fork-mode child.
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
#include <stdarg.h>
#include <signal.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
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

static int   fork_mode;                 /* -fork: triggers dump from a child */

static unsigned char *abrt_buf;         /* the SIGABRT path's writer buffer */
static GV *abrt_max_string_gv;          /* *MAX_STRING, looked up when armed */
static GV *abrt_format_gv;              /* *FORMAT, likewise */

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

/* Append each string up to a NULL: the failure messages are built from
 * several pieces, without snprintf (it is not async-signal-safe). */
static void sb_strs(sbuf *b, ...)
{
    va_list ap;
    const char *s;

    va_start(ap, b);
    while ((s = va_arg(ap, const char *)))
        sb_str(b, s);
    va_end(ap);
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
 * of its file name replaced by n.  Directory names are left alone: a
 * directory that happens to contain NNN (a random temp dir, say) is where
 * the user asked for the files.  Returns 0 or ENAMETOOLONG. */
static int final_name(char *out, size_t cap, const char *tmpl, unsigned long n)
{
    sbuf b;
    const char *slash = strrchr(tmpl, '/');
    const char *s = slash ? slash + 1 : tmpl, *hit;

    sb_init(&b, out, cap);
    sb_mem(&b, tmpl, (size_t)(s - tmpl));
    while ((hit = strstr(s, "NNN")) != NULL) {
        sb_mem(&b, s, (size_t)(hit - s));
        sb_ulong(&b, n);
        s = hit + 3;
    }
    sb_str(&b, s);
    return b.overflow ? ENAMETOOLONG : 0;
}

/* A daemon often runs with fd 0, 1 or 2 closed, and open() hands out the
 * lowest free number: a dump opened as fd 2 would take our own "Dumping
 * to ..." line into byte 0, one kept as fd 1 (-eager_open) would be written
 * over by the next reopen of STDOUT, and a child would inherit it as its
 * stdio.  So a dump's fd always lies above them, close-on-exec.  Returns
 * the new fd, or -1 with errno set (fd is closed either way). */
static int fd_above_stdio(int fd)
{
    int moved, err;

    if (fd > 2)
        return fd;
#ifdef F_DUPFD_CLOEXEC
    moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
#else
    moved = fcntl(fd, F_DUPFD, 3);
    if (moved >= 0)
        fcntl(moved, F_SETFD, FD_CLOEXEC);
#endif
    err = errno;
    close(fd);
    errno = err;
    return moved;
}

/* Create a new temporary file next to final; its name goes to tmp.
 * Returns the fd (never 0, 1 or 2), or -1 with errno set. */
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
        if (fd >= 0) {
            int moved = fd_above_stdio(fd);
            if (moved < 0) {
                int err = errno;
                unlink(tmp);
                errno = err;
            }
            return moved;
        }
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
                            pmat_opts opts, unsigned char *buf, int keep_complete,
                            sbuf *msg)
{
    int err = buf ? pmat_dump_fd_prealloc(aTHX_ fd, opts, buf, PMAT_WRITER_BUFSIZE)
                  : pmat_dump_fd(aTHX_ fd, opts);

    /* close() can be where a network filesystem reports the lost write. */
    if (close(fd) < 0 && errno != EINTR && !err)
        err = errno;
    if (err) {
        unlink(tmp);
        sb_strs(msg, "writing ", tmp, " failed: ", errtext(err), " (removed)",
                (const char *)NULL);
        return err;
    }
    if (rename(tmp, final) < 0) {
        err = errno;
        if (keep_complete) {
            sb_strs(msg, "the dump is complete in ", tmp,
                    " but could not be renamed to ", final, ": ", errtext(err),
                    (const char *)NULL);
        }
        else {
            unlink(tmp);
            sb_strs(msg, "cannot rename ", tmp, " to ", final, ": ", errtext(err),
                    " (removed)", (const char *)NULL);
        }
        return err;
    }
    return 0;
}

/* ---- fork mode --------------------------------------------------------- */

/* In the dumping child: close every descriptor but fd 2 (our messages) and
 * keep (the dump), so sockets and pipes the program holds are not kept open
 * by us for the length of the dump. */
static void close_all_but(int keep)
{
    int i;
#ifdef SYS_close_range
    /* (close_range(2) is Linux 5.9+; older headers, as bullseye's, lack it) */
    int lo = keep < 2 ? keep : 2, hi = keep < 2 ? 2 : keep;
    for (i = 0; i < lo; i++)
        close(i);
    if (hi > lo + 1)
        syscall(SYS_close_range, (unsigned)(lo + 1), (unsigned)(hi - 1), 0u);
    if (syscall(SYS_close_range, (unsigned)(hi + 1), ~0u, 0u) == 0)
        return;
#endif
    {
        long max = sysconf(_SC_OPEN_MAX);
        if (max < 0 || max > 65536)
            max = 65536;
        for (i = 0; i < max; i++)
            if (i != 2 && i != keep)
                close(i);
    }
}

/* The test hook: PMAT_TEST_FAIL_FORK=1 makes the first fork fail, =2 the
 * second (in the intermediate child), as under a process-count limit.
 * Read once (getenv is not for signal handlers) when -fork is armed or
 * dump_fork is first called. */
static int fail_fork_hook = -1;

static int read_fail_fork_hook(void)
{
    if (fail_fork_hook < 0) {
        const char *e = getenv("PMAT_TEST_FAIL_FORK");
        fail_fork_hook = (e && (e[0] == '1' || e[0] == '2')) ? e[0] - '0' : 0;
    }
    return fail_fork_hook;
}

/* The grandchild: a copy-on-write snapshot of the process.  Runs no Perl
 * code, no atexit handlers, no destructors: dumps into fd, renames, says so
 * on fd 2 and leaves with _exit. */
static void dump_child(pTHX_ int fd, const char *tmp, const char *final,
                       pmat_opts opts, unsigned char *buf, int keep,
                       const char *reason) __attribute__((noreturn));
static void dump_child(pTHX_ int fd, const char *tmp, const char *final,
                       pmat_opts opts, unsigned char *buf, int keep,
                       const char *reason)
{
    char text[PMAT_MSG_MAX], detail[PMAT_MSG_MAX];
    sbuf out, msg;
    int err;

    close_all_but(fd);
    sb_init(&msg, detail, sizeof detail);
    err = write_and_rename(aTHX_ fd, tmp, final, opts, buf, keep, &msg);
    sb_init(&out, text, sizeof text);
    if (!err) {
        if (reason) {
            sb_str(&out, "Dumping to ");
            sb_str(&out, final);
            sb_str(&out, " because of ");
            sb_str(&out, reason);
            sb_str(&out, "\n");
        }
    }
    else {
        sb_str(&out, "Devel::MAT::Dumper: no dump because of ");
        sb_str(&out, reason ? reason : "dump_fork");
        sb_str(&out, ": ");
        sb_str(&out, detail);
        sb_str(&out, "\n");
    }
    say(&out);
    _exit(err ? 1 : 0);
}

/* The result of the second fork, as the vfork child saw it: it shares our
 * memory until it exits.  The grandchild's pid, or -errno. */
static volatile long vf_result;

/* The second fork, in the vfork child: a bare fork system call, so none of
 * the C library's or perl's fork handlers run on memory the caller shares
 * (the grandchild then must not rely on them: it does not malloc or use
 * stdio, and knows its pid only through the kernel). */
static long raw_fork(void)
{
#if defined(SYS_fork)
    return syscall(SYS_fork);
#else
    return syscall(SYS_clone, (unsigned long)SIGCHLD, 0UL, 0UL, 0UL, 0UL);
#endif
}

/* vfork, then a bare fork from the vfork child: the caller waits for one
 * copy of the page tables (the grandchild's) instead of two plus the
 * teardown of an intermediate copy.  The vfork child only forks, stores the
 * result in vf_result and _exits.  Returns the vfork child's pid (exited by
 * then), or -1 with errno set.  Kept out of line so nothing of the caller's
 * frame lives across the vfork. */
static pid_t spawn_dumper(pTHX_ int fd, const char *tmp, const char *final,
                          pmat_opts opts, unsigned char *buf, int keep,
                          const char *reason, const sigset_t *old)
    __attribute__((noinline));
static pid_t spawn_dumper(pTHX_ int fd, const char *tmp, const char *final,
                          pmat_opts opts, unsigned char *buf, int keep,
                          const char *reason, const sigset_t *old)
{
    pid_t pid;

    vf_result = -EAGAIN;
    if (fail_fork_hook == 1) {
        errno = EAGAIN;
        return -1;
    }
    pid = vfork();
    if (pid == 0) {
        long g = fail_fork_hook == 2 ? -1 : raw_fork();
        if (g == 0) {
            /* The grandchild: the caller's mask back, SIGPIPE kept blocked
             * (a closed STDERR must not kill it before it cleans up). */
            sigset_t m = *old;
            sigaddset(&m, SIGPIPE);
            pthread_sigmask(SIG_SETMASK, &m, NULL);
            dump_child(aTHX_ fd, tmp, final, opts, buf, keep, reason);
        }
        vf_result = g > 0 ? g : fail_fork_hook == 2 ? -EAGAIN : -(long)errno;
        _exit(0);
    }
    return pid;
}

/* Hand the dump into fd to a detached grandchild (vfork + fork).  Returns 1
 * once the grandchild exists (fd is then closed here), or 0 with errno set
 * when either fork failed: nothing was written and fd is still open for an
 * in-process dump.  SIGCHLD is blocked meanwhile, and the one the
 * vfork child raised is consumed, so the program's own handler does
 * not see it (and if another child of the program is waiting to be reaped
 * by then, SIGCHLD is raised again for it). */
static int fork_dump(pTHX_ int fd, const char *tmp, const char *final,
                     pmat_opts opts, unsigned char *buf, int keep,
                     const char *reason)
{
    sigset_t chld, all, old, pending;
    int was_pending, masked, status = 0, ok = 1, saved = 0;
    unsigned char *own = NULL;
    pid_t pid;

    /* The grandchild may not malloc (see raw_fork): it gets its buffer from
     * here.  Never touched in this process, so it costs us no RSS. */
    if (!buf) {
        buf = own = malloc(PMAT_WRITER_BUFSIZE);
        if (!buf) {
            errno = ENOMEM;
            return 0;
        }
    }

    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigpending(&pending);
    was_pending = sigismember(&pending, SIGCHLD) == 1;
    /* Every signal blocked: no handler may run in the vfork child, which
     * runs on our stack and memory. */
    sigfillset(&all);
    masked = pthread_sigmask(SIG_BLOCK, &all, &old) == 0;

    if (!masked) {
        free(own);
        errno = EINVAL;                 /* cannot happen; no vfork unguarded */
        return 0;
    }

    pid = spawn_dumper(aTHX_ fd, tmp, final, opts, buf, keep, reason, &old);
    if (pid < 0) {
        saved = errno;
        ok = 0;
    }
    else {
        /* The vfork child has exited by now: reap it (by pid, so nothing of
         * the program's is touched). */
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (vf_result <= 0) {
            saved = vf_result < 0 ? (int)-vf_result : EAGAIN;
            ok = 0;
        }
    }
    free(own);

    if (masked) {
        if (!was_pending && !sigismember(&old, SIGCHLD)) {
            struct timespec zero = { 0, 0 };
            siginfo_t si;
            sigpending(&pending);
            if (pid > 0 && sigismember(&pending, SIGCHLD) == 1) {
                while (sigtimedwait(&chld, NULL, &zero) < 0 && errno == EINTR)
                    ;
                /* Another child of the program finished meanwhile: its
                 * SIGCHLD was merged with ours, so raise it again. */
                memset(&si, 0, sizeof si);
                if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0
                    && si.si_pid != 0)
                    raise(SIGCHLD);
            }
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    if (!ok) {
        errno = saved;
        return 0;
    }
    close(fd);
    return 1;
}

/* Say that fork mode falls back: one line on fd 2. */
static void say_fork_failed(const char *what, int err)
{
    char text[PMAT_MSG_MAX];
    sbuf out;
    sb_init(&out, text, sizeof text);
    sb_str(&out, "Devel::MAT::Dumper: cannot fork for ");
    sb_str(&out, what);
    sb_str(&out, " (");
    sb_str(&out, errtext(err));
    sb_str(&out, "): dumping in-process\n");
    say(&out);
}

/* Open the file of a dump to final: the eager one if it is ours, else a new
 * temporary.  Returns the fd or -1 with msg filled in (and errno set). */
static int open_for(const char *final, char *tmp, size_t cap, int *keep, sbuf *msg)
{
    int fd;
    *keep = 0;
    if (eager_fd >= 0 && eager_pid == getpid()) {
        /* The file opened at import: used once, by the first dump. */
        fd = eager_fd;
        eager_fd = -1;
        memcpy(tmp, eager_tmp, cap < sizeof eager_tmp ? cap : sizeof eager_tmp);
        *keep = 1;
        return fd;
    }
    fd = create_temp(final, tmp, cap);
    if (fd < 0) {
        int err = errno;
        sb_strs(msg, "cannot create a temporary file for ", final, ": ", errtext(err),
                (const char *)NULL);
        errno = err;
    }
    return fd;
}

/* ---- the interface (dumper.h) ------------------------------------------ */

int pmat_dump_in_progress(void)
{
    return in_dump;
}

int pmat_dump_file(pTHX_ const char *path, pmat_opts opts, char *msgbuf, size_t msglen)
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
        err = write_and_rename(aTHX_ fd, tmp, path, opts, NULL, 0, &msg);
    in_dump = 0;
    return err;
}

int pmat_dump_file_fork(pTHX_ const char *path, pmat_opts opts, char *msgbuf, size_t msglen)
{
    char tmp[PMAT_PATH_MAX];
    sbuf msg;
    int fd, err, saved_errno = errno;

    sb_init(&msg, msgbuf, msglen);
    if (in_dump) {
        sb_str(&msg, "another dump is being written");
        return EBUSY;
    }
    in_dump = 1;
    read_fail_fork_hook();
    fd = create_temp(path, tmp, sizeof tmp);
    if (fd < 0) {
        err = errno;
        sb_str(&msg, "cannot create a temporary file: ");
        sb_str(&msg, errtext(err));
    }
    else if (fork_dump(aTHX_ fd, tmp, path, opts, NULL, 0, NULL))
        err = 0;
    else {
        say_fork_failed("dump_fork", errno);
        err = write_and_rename(aTHX_ fd, tmp, path, opts, NULL, 0, &msg);
    }
    in_dump = 0;
    errno = saved_errno;                /* $! as it was */
    return err;
}

void pmat_set_fork(int on)
{
    read_fail_fork_hook();
    fork_mode = on;
}

int pmat_dump_handle_fd(pTHX_ int fd, pmat_opts opts)
{
    int err;
    if (in_dump)
        return EBUSY;
    in_dump = 1;
    err = pmat_dump_fd(aTHX_ fd, opts);
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

static int trigger_(pTHX_ const char *reason, pmat_opts opts, unsigned char *buf);

/* A trigger leaves errno as it found it: a die's exit status is $!, and the
 * program may be looking at $! around a signal. */
static int trigger(pTHX_ const char *reason, pmat_opts opts, unsigned char *buf)
{
    int saved_errno = errno;
    int r = trigger_(aTHX_ reason, opts, buf);
    errno = saved_errno;
    return r;
}

static int trigger_(pTHX_ const char *reason, pmat_opts opts, unsigned char *buf)
{
    char final[PMAT_PATH_MAX], tmp[PMAT_PATH_MAX];
    char text[PMAT_MSG_MAX], detail[PMAT_MSG_MAX];
    sbuf out, msg;
    pipe_guard pg;
    int err, fd = -1, keep = 0;

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

    /* The serial is taken here, in the parent, before any fork: successive
     * fork-mode dumps get distinct names. */
    sb_init(&msg, detail, sizeof detail);
    err = final_name(final, sizeof final, template_path, next_serial++);
    if (err)
        sb_str(&msg, "file name too long");
    else {
        fd = open_for(final, tmp, sizeof tmp, &keep, &msg);
        if (fd < 0)
            err = errno ? errno : EIO;
    }

    if (!err && fork_mode) {
        /* The child says "Dumping to ..." once the file is complete. */
        if (fork_dump(aTHX_ fd, tmp, final, opts, buf, keep, reason)) {
            in_dump = 0;
            pipe_guard_off(&pg);
            return 1;
        }
        say_fork_failed(reason, errno);
    }

    if (!err) {
        sb_str(&out, "Dumping to ");
        sb_str(&out, final);
        sb_str(&out, " because of ");
        sb_str(&out, reason);
        sb_str(&out, "\n");
        say(&out);
        err = write_and_rename(aTHX_ fd, tmp, final, opts, buf, keep, &msg);
    }
    else if (fork_mode) {
        /* No "Dumping to" line comes in fork mode when the file cannot even
         * be opened; the failure line below says which file. */
    }
    else {
        sb_str(&out, "Dumping to ");
        sb_str(&out, final);
        sb_str(&out, " because of ");
        sb_str(&out, reason);
        sb_str(&out, "\n");
        say(&out);
    }

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

int pmat_trigger(pTHX_ const char *reason, pmat_opts opts)
{
    return trigger(aTHX_ reason, opts, NULL);
}

/* ---- SIGQUIT through the END blocks ------------------------------------ */

/* perl's main() resets every signal whose C handler is perl's own
 * (PL_csighandlerp) to SIG_DFL after the main program has run and before
 * perl_destruct runs the END blocks, so a SIGQUIT in an END block or in
 * global destruction would take the default action and end the program
 * with a core.  This handler is not perl's, so it stays installed; it hands
 * the signal to perl's, which defers it to the next op as before. */
static void quit_forward(int sig)
{
    /* PL_csighandlerp takes three arguments where perl uses SA_SIGINFO;
     * 5.32 added PL_csighandler1p, the entry for a plain one-argument call. */
#if PERL_VERSION_GE(5, 32, 0)
    (*PL_csighandler1p)(sig);
#else
    (*PL_csighandlerp)(sig);
#endif
}

int pmat_quit_through_end(void)
{
    struct sigaction cur, sa;

    if (sigaction(SIGQUIT, NULL, &cur) < 0)
        return errno;
    /* Only over perl's own handler: one the program installed in C is not
     * ours to wrap. */
    if (cur.sa_handler != (void (*)(int))PL_csighandlerp || (cur.sa_flags & SA_SIGINFO))
        return 0;
    sa = cur;
    sa.sa_handler = quit_forward;
    return sigaction(SIGQUIT, &sa, NULL) < 0 ? errno : 0;
}

/* ---- the immediate SIGABRT handler ------------------------------------- */

static void abrt_handler(int sig)
{
    int saved_errno = errno;
    struct sigaction dfl;

    {
        dTHX;
#ifdef MULTIPLICITY
        const int have_perl = aTHX != NULL;  /* NULL in a thread perl never saw */
#else
        const int have_perl = 1;             /* one interpreter, no context */
#endif
        if (have_perl) {
            /* No lookup by name here (that walks hashes the abort may have
             * caught half-changed): the GV found when the handler was
             * armed, and only a plain integer value is believed. */
            SV *ms = abrt_max_string_gv ? GvSV(abrt_max_string_gv) : NULL;
            SV *fs = abrt_format_gv ? GvSV(abrt_format_gv) : NULL;
            pmat_opts opts;
            opts.max_string = (ms && SvIOK(ms) && !SvGMAGICAL(ms)) ? SvIVX(ms) : 256;
            opts.format = (fs && !SvGMAGICAL(fs)) ? pmat_format_of_sv(aTHX_ fs) : 0;
            if (!opts.format)
                opts.format = PMAT_FORMAT_0_6;
            /* No helper here: the abort may have come from inside malloc. */
            pmat_helpers_suspend(1);
            trigger(aTHX_ "SIGABRT", opts, abrt_buf);
            pmat_helpers_suspend(0);
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

int pmat_arm_abrt(GV *max_string_gv, GV *format_gv)
{
    struct sigaction sa;

    abrt_max_string_gv = max_string_gv;
    abrt_format_gv = format_gv;
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
