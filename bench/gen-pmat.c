/* gen-pmat.c -- write a synthetic, valid PMAT v0.4 or v0.6 heap dump of N SVs.
 *
 *   gen-pmat [--svs N] [--format 0.4|0.6] OUTFILE   (default N = 50,000,000, 0.4)
 *
 * The file looks like one our dumper writes on this perl (5.36, x86_64,
 * ithreads): 64-bit little-endian, UINT/PTR 8 bytes, NV a double, flags
 * 0x16, the same size tables as src/heap.c write_header, the same 61 root
 * names as src/roots.c (most of them NULL here), an empty stack, no
 * contexts, no mortals.  Exactly N SV records, in "arenas" of 169 slots
 * (4 KiB apart, arena order scrambled) so the reader really has to sort.
 *
 * Heap (SV numbers are file order):
 *   the stashes main, Leak, Leak::Widget, Record, Cache, Cache::Entry and
 *   their GLOBs; main_cv (a CODE), mainstack, strtab, modglobalhv, %INC,
 *   @INC, *_, *@ / $@;
 *   %main::CACHE = ( widgets => [ \TARGET1, \TARGET2 ] ): the identify
 *     chain  symbol %main::CACHE -> value {widgets} -> REF -> ARRAY
 *     element -> REF -> TARGET (a Leak::Widget HASH);
 *   ORPHAN: a Leak::Widget HASH, refcnt 1, that nothing points to;
 *   @main::RECORDS = ( \@chunk0, \@chunk1, ... ), each chunk an ARRAY of
 *     REFs to up to 1000 records; a record is 9 SVs:
 *       REF -> bless { id => IV, name => "record K", score => NV,
 *                      tags => REF -> [ IV, "tagK" ] }, PKG
 *     with PKG cycling Record, Leak::Widget, Cache::Entry;
 *   @main::STRINGS: the few plain strings that make the total exactly N.
 *
 * --format 0.6 writes what Devel::MAT::Dumper 0.52 adds: a HEK pointer in
 * every hash entry and NAME_HEK in every GLOB (one synthetic HEK address
 * per distinct string, so equal keys and names share it), PL_strtab
 * holding those strings, a mortals section (2 mortals and a floor), and in
 * place of the last 4 padding strings: a SCALAR "widgets" with a
 * PV_SHARED_HEK record, a CLASS Point (one method entry, fields $x $y) and
 * an OBJECT of it, a SCALAR with a MAGICv2 record (auxsv: the OBJECT).
 *
 * On stdout, "key value" lines for the bench scripts: svs, records,
 * blessed PKG COUNT, type TYPE COUNT, target ADDR, target2 ADDR,
 * orphan ADDR, bytes.
 */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { T_GLOB = 1, T_SCALAR = 2, T_REF = 3, T_ARRAY = 4, T_HASH = 5,
       T_STASH = 6, T_CODE = 7, T_MAX = 8, T_OBJECT = 16, T_CLASS = 17 };

static int v6;   /* --format 0.6 */

/* ---- output ------------------------------------------------------------ */

#define BUFSZ (16u << 20)
static unsigned char *buf;
static size_t blen;
static int fd;
static uint64_t written;
static const char *outpath;

static void flush_buf(void)
{
    size_t off = 0;
    while (off < blen) {
        ssize_t n = write(fd, buf + off, blen - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "gen-pmat: write %s: %s\n", outpath, strerror(errno));
            exit(1);
        }
        off += (size_t)n;
    }
    written += blen;
    blen = 0;
}

static inline void room(size_t n)
{
    if (BUFSZ - blen < n)
        flush_buf();
}
static inline void put(const void *p, size_t n) { room(n); memcpy(buf + blen, p, n); blen += n; }
static inline void u8(uint8_t v) { room(1); buf[blen++] = v; }
static inline void u32(uint32_t v) { put(&v, 4); }
static inline void u64(uint64_t v) { put(&v, 8); }   /* UINT and PTR: host = little-endian */
static inline void nv(double v) { put(&v, 8); }
static inline void str(const char *s, size_t len)
{
    if (!s) { u64(~(uint64_t)0); return; }
    u64(len);
    put(s, len);
}
static inline void cstr(const char *s) { str(s, s ? strlen(s) : 0); }

/* ---- addresses ----------------------------------------------------------- */

#define SLOTS 169                          /* SVs per 4 KiB arena (slot 0: header) */
static const uint64_t BASE = 0x55d000000000ULL;
static uint64_t amask;                     /* 2^k - 1 >= number of arenas */

static inline uint64_t addr(uint64_t i)
{
    uint64_t a = i / SLOTS, s = i % SLOTS;
    uint64_t p = (a * 0x9E3779B1ULL) & amask;          /* a bijection mod 2^k */
    return BASE + 0x100000 + (p << 12) + 24 * (s + 1);
}
#define IMM_UNDEF (BASE + 0x13e0)
#define IMM_YES   (BASE + 0x13c8)
#define IMM_NO    (BASE + 0x13f8)

/* ---- records ------------------------------------------------------------- */

static uint64_t nwritten, tcount[T_CLASS + 1];

/* The synthetic HEK of a string (v0.6): FNV-1a into a region no SV uses,
 * 16-byte aligned, so one string always has one HEK. */
static uint64_t hek_of(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return BASE + 0x40000000ULL + ((h & 0xffffff) << 4);
}

static void common(int type, uint64_t i, uint32_t refcnt, uint64_t size, uint64_t blessed)
{
    u8((uint8_t)type);
    u64(addr(i));
    u32(refcnt);
    u64(size);
    u64(blessed ? addr(blessed) : 0);
    nwritten++;
    tcount[type]++;
}
static void sv_iv(uint64_t i, int64_t iv)
{
    common(T_SCALAR, i, 1, 24, 0);
    u8(0x01); u64((uint64_t)iv); nv(0); u64(0); u64(0); str(NULL, 0);
}
static void sv_nv(uint64_t i, double v)
{
    common(T_SCALAR, i, 1, 40, 0);
    u8(0x04); u64(0); nv(v); u64(0); u64(0); str(NULL, 0);
}
static void sv_pv(uint64_t i, const char *s, size_t len)
{
    common(T_SCALAR, i, 1, 40 + ((len + 16) & ~(size_t)15), 0);
    u8(0x08); u64(0); nv(0); u64(len); u64(0); str(s, len);
}
static void sv_ref(uint64_t i, uint64_t to)
{
    common(T_REF, i, 1, 24, 0);
    u8(0); u64(addr(to)); u64(0);
}
/* ARRAY head; the caller writes n PTRs */
static void sv_array(uint64_t i, uint32_t refcnt, uint64_t n)
{
    common(T_ARRAY, i, refcnt, 64 + 8 * n, 0);
    u64(n); u8(0);
}
/* HASH head; the caller writes n (key, value) */
static void sv_hash(uint64_t i, uint32_t refcnt, uint64_t n, uint64_t blessed)
{
    uint64_t b = 8; while (b < n) b <<= 1;
    common(T_HASH, i, refcnt, 56 + 8 * b + 24 * n, blessed);
    u64(n); u64(0);
}
static void hent(const char *key, uint64_t val)
{
    cstr(key);
    if (v6)
        u64(hek_of(key));
    u64(addr(val));
}
static void sv_stash(uint64_t i, const char *name, uint64_t n)
{
    uint64_t b = 8; while (b < n) b <<= 1;
    common(T_STASH, i, 2, 120 + 8 * b + 24 * n, 0);
    u64(n); u64(0); u64(0); u64(0); u64(0); u64(0);
    cstr(name);
}
/* GLOB; slots are SV numbers, NONE = an empty slot */
#define NONE UINT64_MAX
static void sv_glob(uint64_t i, uint64_t stash, const char *name,
                    uint64_t sv, uint64_t av, uint64_t hv)
{
    common(T_GLOB, i, 1, 96, 0);
    u64(1);
    if (v6)
        u64(hek_of(name));              /* NAME_HEK */
    u64(addr(stash));
    u64(sv != NONE ? addr(sv) : 0);
    u64(av != NONE ? addr(av) : 0);
    u64(hv != NONE ? addr(hv) : 0);
    u64(0); u64(addr(i)); u64(0); u64(0);
    cstr(name);
    cstr("gen-pmat");
}

/* ---- the fixed part -------------------------------------------------------- */

enum {
    DEFSTASH, MAIN_CV, MAINSTACK, STRTAB, MODGLOBAL,
    INCGV, INC_HV, INC_AV, DEFGV, ERRGV, ERRSV,
    MAINGV, LEAKGV, LEAKSTASH, WIDGETGV, WIDGETSTASH,
    RECORDGV, RECORDSTASH, CACHEGV, CACHESTASH, ENTRYGV, ENTRYSTASH,
    CACHE_GV, CACHE_HV, CACHE_REF, CACHE_AV,
    T1_REF, T1, T1_ID, T2_REF, T2, T2_ID,
    ORPHAN, ORPHAN_ID,
    RECORDS_GV, RECORDS_AV, STRINGS_GV, STRINGS_AV,
    NFIXED
};

static const char *const root_names[] = {
    "main_cv", "defstash", "mainstack", "beginav", "checkav", "unitcheckav",
    "initav", "endav", "strtab", "envgv", "incgv", "statgv", "statname",
    "tmpsv", "defgv", "argvgv", "argvoutgv", "argvout_stack", "errgv",
    "fdpidav", "preambleav", "modglobalhv", "regex_padav", "sortstash",
    "firstgv", "secondgv", "debstash", "stashcache", "isarev",
    "registered_mros", "rs", "last_in_gv", "defoutgv", "hintgv",
    "patchlevel", "e_script", "mess_sv", "ors_sv", "ofsgv", "blockhooks",
    "custom_ops", "custom_op_names", "custom_op_descs", "utf8_mark",
    "utf8_toupper", "utf8_totitle", "utf8_tolower", "utf8_tofold",
    "utf8_idstart", "utf8_idcont", "utf8_xidstart", "utf8_xidcont",
    "utf8_foldclosures", "Latin1", "AboveLatin1", "utf8_perl_idstart",
    "HasMultiCharFold", "utf8_charname_begin", "utf8_charname_continue",
    "utf8_perl_idcont", "UpperLatin1",
};

static uint64_t root_sv(const char *name)
{
    static const struct { const char *n; uint64_t sv; } map[] = {
        { "main_cv", MAIN_CV }, { "defstash", DEFSTASH }, { "mainstack", MAINSTACK },
        { "strtab", STRTAB }, { "incgv", INCGV }, { "defgv", DEFGV },
        { "errgv", ERRGV }, { "modglobalhv", MODGLOBAL },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(map[i].n, name))
            return addr(map[i].sv);
    return 0;
}

static void header(void)
{
    /* HEADERLEN, NPTRS, NSTRS as src/heap.c writes them for U = P = 8, NV 8 */
    static uint8_t sv_sizes[18][3] = {
        [0] = { 8 + 4 + 8, 1, 0 },
        [T_GLOB] = { 8, 8, 2 }, [T_SCALAR] = { 1 + 2 * 8 + 8, 1, 1 },
        [T_REF] = { 1, 2, 0 }, [T_ARRAY] = { 8 + 1, 0, 0 }, [T_HASH] = { 8, 1, 0 },
        [T_STASH] = { 8, 5, 1 }, [T_CODE] = { 8 + 1 + 8 + 4, 5, 2 },
        [8] = { 2 * 8, 3, 0 }, [9] = { 1 + 2 * 8, 1, 0 },
        [T_OBJECT] = { 8, 0, 0 }, [T_CLASS] = { 8, 6, 1 },
    };
    /* v0.4 ends at the DEBUGREPORT; v0.6 adds PV_SHARED_HEK and MAGICv2 */
    static const uint8_t svx_sizes[11][3] = {
        { 2, 3, 0 }, { 0, 1, 0 }, { 0, 1, 0 }, { 0, 1, 0 }, { 8, 1, 0 },
        { 0, 2, 0 }, { 0, 1, 0 }, { 0, 1, 1 }, { 2 * 8, 0, 1 },
        { 8, 0, 0 }, { 4 + 2 * 8, 5, 0 },
    };
    if (v6) {
        sv_sizes[T_GLOB][0] += 8;                 /* NAME_HEK */
        sv_sizes[T_CODE][0] += 8;
    }
    static const uint8_t ctx_sizes[4][3] = {
        { 1 + 8, 0, 1 }, { 4, 2, 0 }, { 0, 0, 0 }, { 0, 1, 0 },
    };
    put("PMAT", 4);
    u8(0x16);                     /* UINT 8, PTR 8, ithreads; little-endian, double NV */
    u8(0); u8(0); u8(v6 ? 6 : 4);  /* zero, format 0.4 / 0.6 */
    u32(v6 ? (5u << 24) | (42u << 16) | 0u : (5u << 24) | (36u << 16) | 0u);
    u8(v6 ? 18 : 16); put(sv_sizes, v6 ? sizeof sv_sizes : 16 * 3);
    u8(v6 ? 11 : 9);  put(svx_sizes, v6 ? sizeof svx_sizes : 9 * 3);
    u8(4);  put(ctx_sizes, sizeof ctx_sizes);

    u64(IMM_UNDEF); u64(IMM_YES); u64(IMM_NO);
    u32((uint32_t)(sizeof root_names / sizeof root_names[0]));
    for (size_t i = 0; i < sizeof root_names / sizeof root_names[0]; i++) {
        cstr(root_names[i]);
        u64(root_sv(root_names[i]));
    }
    u64(0);                       /* stack: empty */
}

static void fixed_part(uint64_t nchunks, uint64_t stride, uint64_t nstrings,
                       uint64_t first_string)
{
    /* %main:: */
    sv_stash(DEFSTASH, "main", 10);
    hent("main::", MAINGV); hent("INC", INCGV); hent("_", DEFGV); hent("@", ERRGV);
    hent("Leak::", LEAKGV); hent("Record::", RECORDGV); hent("Cache::", CACHEGV);
    hent("CACHE", CACHE_GV);
    hent("RECORDS", RECORDS_GV); hent("STRINGS", STRINGS_GV);

    common(T_CODE, MAIN_CV, 2, 136, 0);
    u64(0); u8(0); u64(0); u32(1);
    if (v6)
        u64(0);                                 /* NAME_HEK: main_cv has none */
    u64(addr(DEFSTASH)); u64(0); u64(0); u64(0); u64(0);
    cstr("gen-pmat"); str(NULL, 0);
    u8(0);                                      /* end of CODE body */

    sv_array(MAINSTACK, 1, 0);
    if (v6) {
        /* PL_strtab: the strings of the keys and names above and below; its
         * values are no SVs (share counts), written as NULL */
        static const char *const shared[] = {
            "main::", "INC", "_", "@", "Leak::", "Record::", "Cache::", "CACHE", "RECORDS",
            "STRINGS", "Widget::", "Entry::", "widgets", "id", "name", "score", "tags", "new",
        };
        size_t ns = sizeof shared / sizeof shared[0];
        sv_hash(STRTAB, 1, ns, 0);
        for (size_t k = 0; k < ns; k++) {
            cstr(shared[k]);
            u64(hek_of(shared[k]));
            u64(0);
        }
    } else
        sv_hash(STRTAB, 1, 0, 0);
    sv_hash(MODGLOBAL, 1, 0, 0);

    sv_glob(INCGV, DEFSTASH, "INC", NONE, INC_AV, INC_HV);
    sv_hash(INC_HV, 1, 0, 0);
    sv_array(INC_AV, 1, 0);
    sv_glob(DEFGV, DEFSTASH, "_", NONE, NONE, NONE);
    sv_glob(ERRGV, DEFSTASH, "@", ERRSV, NONE, NONE);
    sv_pv(ERRSV, "", 0);

    sv_glob(MAINGV, DEFSTASH, "main::", NONE, NONE, DEFSTASH);
    sv_glob(LEAKGV, DEFSTASH, "Leak::", NONE, NONE, LEAKSTASH);
    sv_stash(LEAKSTASH, "Leak", 1); hent("Widget::", WIDGETGV);
    sv_glob(WIDGETGV, LEAKSTASH, "Widget::", NONE, NONE, WIDGETSTASH);
    sv_stash(WIDGETSTASH, "Leak::Widget", 0);
    sv_glob(RECORDGV, DEFSTASH, "Record::", NONE, NONE, RECORDSTASH);
    sv_stash(RECORDSTASH, "Record", 0);
    sv_glob(CACHEGV, DEFSTASH, "Cache::", NONE, NONE, CACHESTASH);
    sv_stash(CACHESTASH, "Cache", 1); hent("Entry::", ENTRYGV);
    sv_glob(ENTRYGV, CACHESTASH, "Entry::", NONE, NONE, ENTRYSTASH);
    sv_stash(ENTRYSTASH, "Cache::Entry", 0);

    /* %main::CACHE = ( widgets => [ \T1, \T2 ] ) */
    sv_glob(CACHE_GV, DEFSTASH, "CACHE", NONE, NONE, CACHE_HV);
    sv_hash(CACHE_HV, 1, 1, 0); hent("widgets", CACHE_REF);
    sv_ref(CACHE_REF, CACHE_AV);
    sv_array(CACHE_AV, 1, 2); u64(addr(T1_REF)); u64(addr(T2_REF));
    sv_ref(T1_REF, T1);
    sv_hash(T1, 1, 1, WIDGETSTASH); hent("id", T1_ID);
    sv_iv(T1_ID, -1);
    sv_ref(T2_REF, T2);
    sv_hash(T2, 1, 1, WIDGETSTASH); hent("id", T2_ID);
    sv_iv(T2_ID, -2);

    /* the orphan: a refcount nobody holds */
    sv_hash(ORPHAN, 1, 1, WIDGETSTASH); hent("id", ORPHAN_ID);
    sv_iv(ORPHAN_ID, -3);

    sv_glob(RECORDS_GV, DEFSTASH, "RECORDS", NONE, RECORDS_AV, NONE);
    sv_array(RECORDS_AV, 1, nchunks);
    for (uint64_t c = 0; c < nchunks; c++)
        u64(addr(NFIXED + c * stride));         /* chunk c's REF */
    sv_glob(STRINGS_GV, DEFSTASH, "STRINGS", NONE, STRINGS_AV, NONE);
    sv_array(STRINGS_AV, 1, nstrings);
    for (uint64_t s = 0; s < nstrings; s++)
        u64(addr(first_string + s));
}

/* v0.6: the last four SVs (first = their first SV number): a shared-PV
 * SCALAR, a CLASS, an OBJECT of it, a SCALAR with MagicV2. */
static void v6_specials(uint64_t first)
{
    uint64_t spv = first, cls = first + 1, obj = first + 2, mg = first + 3;
    sv_pv(spv, "widgets", 7);
    u8(0x89); u64(addr(spv)); u64(hek_of("widgets"));

    common(T_CLASS, cls, 2, 200, 0);
    u64(1);                                     /* one entry */
    u64(0); u64(0); u64(0); u64(0); u64(0);     /* backrefs, the 4 MROs */
    u64(0);                                     /* ADJUST_BLOCKS */
    cstr("Point");
    hent("new", MAIN_CV);
    u8(1); u64(0); cstr("$x");                  /* fields */
    u8(1); u64(1); cstr("$y");
    u8(0);

    common(T_OBJECT, obj, 1, 40, cls);
    u64(2); u64(addr(T1_ID)); u64(addr(T2_ID));

    sv_pv(mg, "magic", 5);
    /* MAGICv2: SHAPE, FLAGS (HAS_KEYIV), PRIV, PTRLEN, KEYIV; FUNCS AUXSV
     * PTR KEYSV USERSTRUCT */
    u8(0x8A); u64(addr(mg));
    u8(1); u8(0x02); u8(0x34); u8(0x12); u64(8); u64(42);
    u64(BASE + 0x2000); u64(addr(obj)); u64(BASE + 0x3000); u64(addr(spv)); u64(0);
}

/* ---- main ---------------------------------------------------------------- */

#define PER_RECORD 9
#define PER_CHUNK 1000

static const char *const pkgs[3] = { "Record", "Leak::Widget", "Cache::Entry" };
static const uint64_t pkg_stash[3] = { RECORDSTASH, WIDGETSTASH, ENTRYSTASH };

int main(int argc, char **argv)
{
    uint64_t n = 50000000;
    int i;
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--svs") && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--format") && i + 1 < argc &&
                 (!strcmp(argv[i + 1], "0.4") || !strcmp(argv[i + 1], "0.6")))
            v6 = !strcmp(argv[++i], "0.6");
        else {
            fprintf(stderr, "usage: gen-pmat [--svs N] [--format 0.4|0.6] OUTFILE\n");
            return 2;
        }
    }
    if (i != argc - 1) {
        fprintf(stderr, "usage: gen-pmat [--svs N] [--format 0.4|0.6] OUTFILE\n");
        return 2;
    }
    outpath = argv[i];
    if (n < NFIXED) {
        fprintf(stderr, "gen-pmat: at least %d SVs\n", NFIXED);
        return 2;
    }

    /* Layout: NFIXED, then for each chunk its REF, its ARRAY and its
     * records, then the padding strings. */
    uint64_t left = n - NFIXED;
    uint64_t full = left / (2 + (uint64_t)PER_CHUNK * PER_RECORD);
    uint64_t rem = left - full * (2 + (uint64_t)PER_CHUNK * PER_RECORD);
    uint64_t last = 0;                          /* records in a partial chunk */
    if (rem >= 2 + PER_RECORD) {
        last = (rem - 2) / PER_RECORD;
        rem -= 2 + last * PER_RECORD;
    }
    uint64_t nchunks = full + (last ? 1 : 0);
    uint64_t nrecords = full * PER_CHUNK + last;
    uint64_t nstrings = rem;
    uint64_t first_string = n - nstrings;

    uint64_t narenas = n / SLOTS + 1;
    amask = 1;
    while (amask < narenas)
        amask <<= 1;
    amask -= 1;

    buf = malloc(BUFSZ);
    if (!buf) { perror("gen-pmat: malloc"); return 1; }
    fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        fprintf(stderr, "gen-pmat: %s: %s\n", outpath, strerror(errno));
        return 1;
    }

    /* chunk c: its REF at NFIXED + c * stride, its ARRAY right after */
    uint64_t stride = 2 + (uint64_t)PER_CHUNK * PER_RECORD;
    header();
    fixed_part(nchunks, stride, nstrings, first_string);
    if (nwritten != NFIXED) {
        fprintf(stderr, "gen-pmat: internal: fixed part wrote %" PRIu64 " SVs\n", nwritten);
        return 1;
    }

    uint64_t bcount[3] = { 0, 0, 0 };
    bcount[1] = 3;                              /* T1, T2, ORPHAN */
    char s[64];
    uint64_t k = 0;                             /* record number */
    for (uint64_t c = 0; c < nchunks; c++) {
        uint64_t cs = NFIXED + c * stride;
        uint64_t nr = (c < full) ? PER_CHUNK : last;
        uint64_t r0 = cs + 2;                   /* first record's REF */
        sv_ref(cs, cs + 1);
        sv_array(cs + 1, 1, nr);
        for (uint64_t j = 0; j < nr; j++)
            u64(addr(r0 + j * PER_RECORD));
        for (uint64_t j = 0; j < nr; j++, k++) {
            uint64_t b = r0 + j * PER_RECORD;
            int p = (int)(k % 3);
            bcount[p]++;
            sv_ref(b, b + 1);
            sv_hash(b + 1, 1, 4, pkg_stash[p]);
            hent("id", b + 2); hent("name", b + 3); hent("score", b + 4); hent("tags", b + 5);
            sv_iv(b + 2, (int64_t)k);
            sv_pv(b + 3, s, (size_t)snprintf(s, sizeof s, "record %" PRIu64, k));
            sv_nv(b + 4, (double)k / 7);
            sv_ref(b + 5, b + 6);
            sv_array(b + 6, 1, 2); u64(addr(b + 7)); u64(addr(b + 8));
            sv_iv(b + 7, (int64_t)(k % 13));
            sv_pv(b + 8, s, (size_t)snprintf(s, sizeof s, "tag%" PRIu64, k));
        }
    }
    uint64_t nspecial = v6 && nstrings >= 4 ? 4 : 0;
    for (uint64_t j = 0; j + nspecial < nstrings; j++)
        sv_pv(first_string + j, s, (size_t)snprintf(s, sizeof s, "padding string %" PRIu64, j));
    if (nspecial)
        v6_specials(n - 4);

    u8(0);                                      /* end of heap */
    u8(0);                                      /* end of contexts */
    if (v6) {                                   /* mortals: COUNT, PTRs, FLOOR */
        u64(2); u64(addr(T1_ID)); u64(addr(ERRSV)); u64(1);
    }
    flush_buf();
    if (close(fd) < 0) {
        fprintf(stderr, "gen-pmat: close %s: %s\n", outpath, strerror(errno));
        return 1;
    }
    if (nwritten != n) {
        fprintf(stderr, "gen-pmat: internal: wrote %" PRIu64 " SVs, wanted %" PRIu64 "\n",
                nwritten, n);
        return 1;
    }

    printf("svs %" PRIu64 "\n", n);
    printf("records %" PRIu64 "\n", nrecords);
    printf("bytes %" PRIu64 "\n", written);
    for (int p = 0; p < 3; p++)
        printf("blessed %s %" PRIu64 "\n", pkgs[p], bcount[p]);
    static const char *const tn[T_CLASS + 1] = { 0, "GLOB", "SCALAR", "REF", "ARRAY", "HASH",
                                                 "STASH", "CODE", [T_OBJECT] = "OBJECT",
                                                 [T_CLASS] = "CLASS" };
    for (int t = 1; t <= T_CLASS; t++)
        if (tn[t] && (t < T_MAX || tcount[t]))
            printf("type %s %" PRIu64 "\n", tn[t], tcount[t]);
    printf("target 0x%" PRIx64 "\n", addr(T1));
    printf("target2 0x%" PRIx64 "\n", addr(T2));
    printf("orphan 0x%" PRIx64 "\n", addr(ORPHAN));
    printf("cache_hv 0x%" PRIx64 "\n", addr(CACHE_HV));
    printf("cache_av 0x%" PRIx64 "\n", addr(CACHE_AV));
    printf("record0 0x%" PRIx64 "\n", nrecords ? addr(NFIXED + 3) : 0);
    return 0;
}
