/* sv_hash.c -- HASH, STASH and CLASS records.
 *
 * The buckets of HvARRAY are walked directly: hv_iterinit/hv_iternext would
 * run tie magic and reset the iterator the program may be in the middle of.
 * A tied hash therefore shows its real (usually empty) contents.  The first
 * pass counts the entries (the COUNT field comes before them) and the bytes
 * of the table; the second writes them.
 *
 * PL_strtab is the one hash whose values are not SVs (each slot holds the
 * shared key's refcount): its values are written as NULL.
 */
/* Included by heap.c only: the kinds that make up nearly every SV of a
 * heap are inlined into the arena walk, which saves a call frame (and the
 * saving and restoring of the registers it needs) per SV. */
#ifndef PMAT_SV_HASH_H
#define PMAT_SV_HASH_H

/* An entry that exists for the reader: not a restricted hash's placeholder,
 * and with a plain key (an SV key only appears in a tied hash's iterator). */
#define ENTRY_WRITTEN(he, strtab) ENTRY_WRITTEN_KV(HeKLEN(he), HeVAL(he), strtab)
/* The same from the key length and value already read. */
#define ENTRY_WRITTEN_KV(klen, val, strtab) \
    ((klen) != HEf_SVKEY && ((strtab) || (val) != &PL_sv_placeholder))

/* v0.6 puts the entry's HEK between key and value: the shared string's
 * own address (for a hash that shares keys, PL_strtab's entry), which lets
 * a reader tell who shares which string. */
static void put_entry(pmat_writer *w, const HE *he, int strtab, int heks)
{
    const char *key = HeKEY(he);
    STRLEN klen = (STRLEN)HeKLEN(he);
    const void *val = strtab ? NULL : HeVAL(he);

    if (klen < w->cap / 4) {
        /* The usual short key: the whole entry in one reservation. */
        if (!pmat_reserve(w, PMAT_UINT_SIZE + klen + 2 * PMAT_PTR_SIZE))
            return;
        pmat_put_uint_nocheck(w, (UV)klen);
        pmat_put_nocheck(w, key, klen);
        if (heks)
            pmat_put_ptr_nocheck(w, HeKEY_hek(he));
        pmat_put_ptr_nocheck(w, val);
        return;
    }
    pmat_put_str(w, key, klen);
    if (pmat_reserve(w, 2 * PMAT_PTR_SIZE)) {
        if (heks)
            pmat_put_ptr_nocheck(w, HeKEY_hek(he));
        pmat_put_ptr_nocheck(w, val);
    }
}

/* Is this stash a `class` (5.38+)?  Its record is then a CLASS: the
 * stash's fields, ADJUST_BLOCKS, and field records after the entries. */
#if PERL_VERSION_GE(5,38,0)  /* HvAUXf_IS_CLASS and xhv_class_* exist from 5.38 */
#  define STASH_IS_CLASS(aux) ((aux)->xhv_aux_flags & HvAUXf_IS_CLASS)
#else
#  define STASH_IS_CLASS(aux) 0
#endif

/* The fixed part of the record: common header, COUNT, BACKREFS and, for a
 * stash, its four MRO pointers (the name follows), and for a class its
 * ADJUST_BLOCKS.  At most PMAT_COMMON_LEN + PMAT_UINT_SIZE + 6 *
 * PMAT_PTR_SIZE bytes. */
static unsigned char *put_hash_fixed(unsigned char *p, const HV *hv, UV size, UV n,
                                     const struct xpvhv_aux *aux,
                                     const struct mro_meta *meta, U8 type)
{
    p = pmat_p_sv_common(p, (const SV *)hv, type, size);
    p = pmat_p_uint(p, n);
    p = pmat_p_ptr(p, aux ? aux->xhv_backreferences : NULL);
    if (type != PMAT_SVt_HASH) {
        p = pmat_p_ptr(p, meta ? meta->mro_linear_all     : NULL);
        p = pmat_p_ptr(p, meta ? meta->mro_linear_current : NULL);
        p = pmat_p_ptr(p, meta ? meta->mro_nextmethod     : NULL);
        p = pmat_p_ptr(p, meta ? meta->isa                : NULL);
    }
#if PERL_VERSION_GE(5,38,0)  /* xhv_class_adjust_blocks exists from 5.38 */
    if (type == PMAT_SVt_CLASS)
        p = pmat_p_ptr(p, aux->xhv_class_adjust_blocks);
#endif
    return p;
}

/* After a CLASS's entries: its field records and their 0 terminator. */
static void put_class_tail(pTHX_ pmat_dump *d, const struct xpvhv_aux *aux, U8 type)
{
#if PERL_VERSION_GE(5,38,0)  /* only a 5.38+ heap has CLASS records */
    if (type == PMAT_SVt_CLASS)
        write_class_fields(aTHX_ d, aux);
#else
    PERL_UNUSED_ARG(d);
    PERL_UNUSED_ARG(aux);
    PERL_UNUSED_ARG(type);
#endif
}

/* The bytes the table adds to SIZE apart from the entries. */
static UV table_size(const HV *hv, const HE *const *buckets, STRLEN max, int has_aux)
{
    UV size = 0;

    PERL_UNUSED_ARG(hv);
    if (buckets) {
        size += (UV)(max + 1) * sizeof(HE *);
#if !PERL_VERSION_GE(5,36,0)
        /* Before 5.36 the aux struct sat at the end of the bucket array. */
        if (has_aux)
            size += sizeof(struct xpvhv_aux);
#else
        PERL_UNUSED_ARG(has_aux);
#endif
    }
    return size;
}

/* What one entry adds to SIZE: the HE and, for a hash without shared keys,
 * its own HEK (the string table's entries are HE and HEK in one block). */
#define ENTRY_SIZE(he, sharekeys) \
    (sizeof(HE) + ((!(sharekeys) && HeKLEN(he) != HEf_SVKEY) \
                   ? HEK_BASESIZE + (UV)HeKLEN(he) + 2 : 0))

/* Keys up to this long are written in the single pass below. */
#define HASH_INLINE_KEY 4096

/* The entries of the one-pass write, from p on, not past limit; adds each
 * entry's bytes to *size_io and each entry written to *n_io.  Returns the
 * end, or NULL when they do not all fit (or a key is longer than
 * HASH_INLINE_KEY).  Inlined with strtab, sharekeys and heks as constants
 * for the common hash, so the tests on them fold away. */
static inline __attribute__((always_inline)) unsigned char *
put_entries(pTHX_ unsigned char *p, const unsigned char *limit, HE *const *buckets,
            STRLEN max, const int strtab, const int sharekeys, const int heks,
            UV *size_io, UV *n_io)
{
    const size_t ptrs = heks ? 2 * PMAT_PTR_SIZE : PMAT_PTR_SIZE;
    HE *const *b = buckets;
    HE *const *const bend = buckets + max + 1;
    UV size = *size_io, n = *n_io;

    for (; b < bend; b++) {
        const HE *he;

        for (he = *b; he; he = HeNEXT(he)) {
            const HEK *hek = HeKEY_hek(he);
            const I32 klen = HEK_LEN(hek);
            const SV *val = HeVAL(he);

            size += ENTRY_SIZE(he, sharekeys);
            if (!ENTRY_WRITTEN_KV(klen, val, strtab))
                continue;
            if ((STRLEN)klen > HASH_INLINE_KEY
                || (size_t)(limit - p) < PMAT_UINT_SIZE + (STRLEN)klen + ptrs)
                return NULL;
            p = pmat_p_uint(p, (UV)klen);
            p = pmat_p_mem(p, HEK_KEY(hek), (STRLEN)klen);
            if (heks)
                p = pmat_p_ptr(p, hek);
            p = pmat_p_ptr(p, strtab ? NULL : val);
            n++;
        }
    }
    *size_io = size;
    *n_io = n;
    return p;
}

/* Not inlined into the walk: a hash is one SV in ten or so, and its loops
 * would cost every other SV the registers they need. */
static __attribute__((noinline)) void write_sv_hash(pTHX_ pmat_dump *d, const HV *hv_c)
{
    HV *hv = (HV *)hv_c;
    pmat_writer *w = &d->w;
    HE **buckets = HvARRAY(hv);
    const STRLEN max = HvMAX(hv);
    const int strtab = hv == PL_strtab;
    const int sharekeys = HvSHAREKEYS(hv) ? 1 : 0;
    const int has_aux = SvOOK(hv) ? 1 : 0;
    const struct xpvhv_aux *aux = has_aux ? HvAUX(hv) : NULL;
    const struct mro_meta *meta = aux ? aux->xhv_mro_meta : NULL;
    const char *name = has_aux ? HvNAME_get(hv) : NULL;
    const STRLEN namelen = name ? (STRLEN)HvNAMELEN_get(hv) : 0;
    const U8 type = !name ? PMAT_SVt_HASH
                  : STASH_IS_CLASS(aux) ? PMAT_SVt_CLASS : PMAT_SVt_STASH;
    /* The fixed part, with the name's length word and bytes for a stash,
     * and ADJUST_BLOCKS for a class. */
    const size_t head_len = name ? PMAT_COMMON_LEN + 2 * PMAT_UINT_SIZE + 5 * PMAT_PTR_SIZE + namelen
                                   + (type == PMAT_SVt_CLASS ? PMAT_PTR_SIZE : 0)
                                 : PMAT_COMMON_LEN + PMAT_UINT_SIZE + PMAT_PTR_SIZE;
    const UV size0 = pmat_sv_body_size_t((const SV *)hv, SVt_PVHV)   /* no string */
                   + table_size(hv, (const HE *const *)buckets, max, has_aux)
                   + (meta ? sizeof(struct mro_meta) : 0)
#if PERL_VERSION_GE(5,38,0)  /* a class's own field list (class.c) */
                   + (type == PMAT_SVt_CLASS ? pmat_class_extra_size(aux) : 0)
#endif
                   ;
    UV size = size0;
    UV n = 0;
    STRLEN i;
    const HE *he;

    /* One pass, when the record fits in what is left of the buffer: write
     * the entries after room left for the head, counting and sizing as we
     * go, then fill the head in.  Each HE is a cache miss of its own, so
     * reading them once matters.  If the buffer runs out first, nothing
     * has been committed (w->len is unchanged), so the two-pass path below
     * simply starts over. */
    if (namelen <= HASH_INLINE_KEY && !w->err && w->cap - w->len >= head_len) {
        unsigned char *const start = pmat_cursor(w);
        unsigned char *p = start + head_len;

        if (buckets) {
            /* Nearly every hash shares its keys and is not the string
             * table: that pass with both as constants. */
            if (!strtab && sharekeys && d->heks)
                p = put_entries(aTHX_ p, w->buf + w->cap, buckets, max, 0, 1, 1, &size, &n);
            else if (!strtab && sharekeys)
                p = put_entries(aTHX_ p, w->buf + w->cap, buckets, max, 0, 1, 0, &size, &n);
            else
                p = put_entries(aTHX_ p, w->buf + w->cap, buckets, max, strtab, sharekeys,
                                d->heks, &size, &n);
        }
        if (p) {
            unsigned char *q = put_hash_fixed(start, hv, size, n, aux, meta, type);
            if (name) {
                q = pmat_p_uint(q, (UV)namelen);
                pmat_p_mem(q, name, namelen);
            }
            pmat_commit(w, p);
            put_class_tail(aTHX_ d, aux, type);
            return;
        }
        size = size0;
        n = 0;
    }

    /* Two passes: count and size the entries (COUNT and SIZE come before
     * them), then write them. */
    if (buckets) {
        for (i = 0; i <= max; i++)
            for (he = buckets[i]; he; he = HeNEXT(he)) {
                size += ENTRY_SIZE(he, sharekeys);
                if (ENTRY_WRITTEN(he, strtab))
                    n++;
            }
    }

    if (!pmat_reserve(w, PMAT_COMMON_LEN + PMAT_UINT_SIZE + 6 * PMAT_PTR_SIZE))
        return;
    pmat_commit(w, put_hash_fixed(pmat_cursor(w), hv, size, n, aux, meta, type));
    if (name)
        pmat_put_str(w, name, namelen);

    if (n) {
        for (i = 0; i <= max; i++)
            for (he = buckets[i]; he; he = HeNEXT(he))
                if (ENTRY_WRITTEN(he, strtab))
                    put_entry(w, he, strtab, d->heks);
    }
    put_class_tail(aTHX_ d, aux, type);
}

#endif
