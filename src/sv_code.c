/* sv_code.c -- the CODE record of one CV.
 *
 * Layout (SV.pm, Devel::MAT 0.51):
 *   common header (heap.c), then
 *   UINT line, U8 flags, PTR oproot, U32 depth        (21 bytes)
 *   PTR stash, glob, outside, padlist, constval
 *   STR file, name
 *   body records {U8 type, ...} until a 0 byte.
 *
 * What the body holds, in the order the reference dumper writes it:
 *   - one record per constant and per GV the optree uses (CONSTSV/GVSV, or
 *     under ithreads, where those SVs live in the pad, CONSTIX/GVIX with the
 *     pad index), in preorder of the optree;
 *   - PADNAMES (always NULL: since 5.18 the name list is a PADNAMELIST, not
 *     an SV, so there is no SV address to give; the names follow as records)
 *   - PADNAME for every non-NULL pad name 1..max, PADNAME_FLAGS after it when
 *     it has any of the flags the format knows, and PADNAME_FIELD when it
 *     names a `class` field (5.38+);
 *   - PAD for every allocated depth 1..PadlistMAX (the pads are AVs).
 *
 * The PADLIST pointer is written as NULL, as the reference does: on 5.18+ a
 * PADLIST is a bare struct, and the reader would otherwise look it up as an
 * SV.
 *
 * SIZE counts what this CV owns that is not an SV of its own: the SV head
 * and XPVCV body (size.c), its prototype string when it owns one, the PADLIST struct and its array of pad pointers, and --
 * for a CV that is not a clone (clones share the prototype's name list) --
 * the PADNAMELIST struct, its array, and each PADNAME struct with its
 * inline name string.  The shared static padnames (PL_padname_undef,
 * PL_padname_const) and "outer" padnames whose string belongs to another
 * CV's padname count only their struct.  The pads are AVs and are counted
 * as SVs by heap.c.
 */
#define PERL_NO_GET_CONTEXT
#include "dumper.h"


/* PADNAME structs, op_sibparent and the XPVCV layout used here are 5.22+. */
#if !PERL_VERSION_GE(5, 22, 0)
#  error "sv_code.c needs perl 5.22 or later (PADNAME structs)"
#endif

/* CODE header flags. */
#define PMAT_CODEf_CLONE       0x01
#define PMAT_CODEf_CLONED      0x02
#define PMAT_CODEf_XSUB        0x04
#define PMAT_CODEf_WEAKOUTSIDE 0x08
#define PMAT_CODEf_CVGV_RC     0x10
#define PMAT_CODEf_LEXICAL     0x20

/* PADNAME_FLAGS bits. */
#define PMAT_PADNAMEf_OUTER  0x01
#define PMAT_PADNAMEf_STATE  0x02
#define PMAT_PADNAMEf_LVALUE 0x04
#define PMAT_PADNAMEf_TYPED  0x08
#define PMAT_PADNAMEf_OUR    0x10

/* How many nested s///e replacement trees the optree walk follows.  Beyond
 * this (never seen in real code) the deeper replacement optrees are left
 * out rather than growing a stack. */
#define PMAT_REPL_DEPTH 32

/* A corrupt optree must not make the dump loop forever. */
#define PMAT_MAX_OPS ((UV)1 << 28)

/* A constant the op uses: under ithreads perl moved it to the pad and the
 * op keeps its pad index (CONSTIX); otherwise the op holds the SV itself
 * (CONSTSV). */
static void write_const_ref(pmat_writer *w, const OP *o, const SV *sv)
{
#ifdef USE_ITHREADS
    if (o->op_targ) {
        if (!pmat_reserve(w, 1 + PMAT_UINT_SIZE))
            return;
        pmat_put_u8_nocheck(w, PMAT_CODEx_CONSTIX);
        pmat_put_uint_nocheck(w, (UV)o->op_targ);
        return;
    }
#else
    PERL_UNUSED_ARG(o);
#endif
    if (sv) {
        if (!pmat_reserve(w, 1 + PMAT_PTR_SIZE))
            return;
        pmat_put_u8_nocheck(w, PMAT_CODEx_CONSTSV);
        pmat_put_ptr_nocheck(w, sv);
    }
}

static void write_op_refs(pTHX_ pmat_dump *d, const OP *o)
{
    pmat_writer *w = &d->w;

    switch (o->op_type) {
    case OP_CONST:
        write_const_ref(w, o, cSVOPx(o)->op_sv);
        return;

    case OP_METHOD_NAMED:
        /* The method name is a constant too (relocated to the pad under
         * ithreads, like OP_CONST's SV). */
        write_const_ref(w, o, cMETHOPx(o)->op_u.op_meth_sv);
        return;

    case OP_GVSV:
    case OP_GV:
    case OP_AELEMFAST:
#ifdef USE_ITHREADS
        if (!pmat_reserve(w, 1 + PMAT_UINT_SIZE))
            return;
        pmat_put_u8_nocheck(w, PMAT_CODEx_GVIX);
        pmat_put_uint_nocheck(w, (UV)(o->op_targ ? o->op_targ
                                                 : cPADOPx(o)->op_padix));
#else
        if (!pmat_reserve(w, 1 + PMAT_PTR_SIZE))
            return;
        pmat_put_u8_nocheck(w, PMAT_CODEx_GVSV);
        pmat_put_ptr_nocheck(w, cSVOPx(o)->op_sv);
#endif
        return;

    default:
        return;
    }
}

/* The replacement optree of a s///, which hangs off the PMOP rather than
 * being one of its kids.  Of the PMOPs only OP_SUBST has one there: match
 * and qr leave the slot NULL, and split keeps a pad offset or a GV in it. */
static const OP *pmop_repl(const OP *o)
{
    if (o->op_type != OP_SUBST)
        return NULL;
    return cPMOPx(o)->op_pmreplrootu.op_pmreplroot;
}

/* Preorder walk of the optree under root: each op, then its kids, then (for
 * a PMOP) its replacement optree -- the order the reference dumper uses.
 * Iterative: kids via op_first/op_sibling, and back up via op_sibparent
 * (always present since 5.26, PERL_OP_PARENT), so the C stack does not grow
 * with the size of the user's code.  Only nested s///e replacement trees
 * need remembering, in a small fixed array. */
static void walk_optree(pTHX_ pmat_dump *d, const OP *root)
{
    const OP *repl_of[PMAT_REPL_DEPTH];
    int nrepl = 0;
    const OP *o = root;
    UV steps = 0;

    if (!o)
        return;

visit:
    if (++steps > PMAT_MAX_OPS || d->w.err)
        return;
    write_op_refs(aTHX_ d, o);
    if ((o->op_flags & OPf_KIDS) && cUNOPx(o)->op_first) {
        o = cUNOPx(o)->op_first;
        goto visit;
    }

kids_done:
    /* o and everything below it are written; its replacement tree next */
    {
        const OP *repl = pmop_repl(o);
        if (repl && nrepl < PMAT_REPL_DEPTH) {
            repl_of[nrepl++] = o;
            o = repl;
            goto visit;
        }
    }

all_done:
    if (o == root)
        return;
    if (nrepl && pmop_repl(repl_of[nrepl - 1]) == o) {
        /* finished a replacement tree: resume after its PMOP */
        o = repl_of[--nrepl];
        goto all_done;
    }
    if (OpHAS_SIBLING(o)) {
        o = OpSIBLING(o);
        goto visit;
    }
#if PERL_VERSION_GE(5, 26, 0)
    o = o->op_sibparent;        /* last sibling: points at the parent */
#else
    o = op_parent((OP *)o);
#endif
    if (!o)
        return;                 /* detached subtree: nothing more to reach */
    goto kids_done;
}

/* The line of a sub is the line of its first statement. */
static UV cv_line(const CV *cv)
{
    const OP *start;

    if (CvISXSUB(cv) || !CvROOT(cv))
        return 0;
    start = CvSTART(cv);
    if (start && (start->op_type == OP_NEXTSTATE || start->op_type == OP_DBSTATE))
        return (UV)CopLINE((const COP *)start);
    return 0;
}

static UV padnames_size(pTHX_ const PADNAMELIST *pnl)
{
    UV size = sizeof(PADNAMELIST)
            + (UV)(PadnamelistMAX(pnl) + 1) * sizeof(PADNAME *);
    SSize_t ix;

    for (ix = 0; ix <= PadnamelistMAX(pnl); ix++) {
        PADNAME *pn = PadnamelistARRAY(pnl)[ix];
        if (!pn || pn == &PL_padname_undef || pn == &PL_padname_const)
            continue;
        if (PadnamePV(pn) == ((struct padname_with_str *)pn)->xpadn_str)
            size += STRUCT_OFFSET(struct padname_with_str, xpadn_str)
                  + PadnameLEN(pn) + 1;
        else
            size += sizeof(struct padname);
    }
    return size;
}

static U8 padname_flags(const PADNAME *pn)
{
    U8 flags = 0;
    if (PadnameOUTER(pn))
        flags |= PMAT_PADNAMEf_OUTER;
    if (PadnameIsSTATE(pn))
        flags |= PMAT_PADNAMEf_STATE;
    if (PadnameLVALUE(pn))
        flags |= PMAT_PADNAMEf_LVALUE;
    if (PadnameFLAGS(pn) & PADNAMEt_TYPED)
        flags |= PMAT_PADNAMEf_TYPED;
    if (PadnameIsOUR(pn))
        flags |= PMAT_PADNAMEf_OUR;
    return flags;
}

/* A `class` field's pad name: which slot of ObjectFIELDS it names, and the
 * class that declared it (PADNAME_FIELD, after the PADNAME it qualifies). */
static void write_padname_field(pmat_writer *w, const PADNAME *pn, SSize_t ix)
{
#if PERL_VERSION_GE(5,38,0)  /* PadnameIsFIELD and its fieldinfo exist from 5.38 */
    const struct padname_fieldinfo *fi;

    if (!PadnameIsFIELD(pn) || !(fi = PadnameFIELDINFO(pn)))
        return;
    if (!pmat_reserve(w, 1 + 2 * PMAT_UINT_SIZE + PMAT_PTR_SIZE))
        return;
    pmat_put_u8_nocheck(w, PMAT_CODEx_PADNAME_FIELD);
    pmat_put_uint_nocheck(w, (UV)ix);
    pmat_put_uint_nocheck(w, (UV)fi->fieldix);
    pmat_put_ptr_nocheck(w, fi->fieldstash);
#else
    PERL_UNUSED_ARG(w);
    PERL_UNUSED_ARG(pn);
    PERL_UNUSED_ARG(ix);
#endif
}

static void write_padlist(pTHX_ pmat_dump *d, const PADLIST *pl)
{
    pmat_writer *w = &d->w;
    const PADNAMELIST *pnl = PadlistNAMES(pl);
    SSize_t ix;

    if (!pmat_reserve(w, 1 + PMAT_PTR_SIZE))
        return;
    pmat_put_u8_nocheck(w, PMAT_CODEx_PADNAMES);
    pmat_put_ptr_nocheck(w, NULL);

    if (pnl) {
        for (ix = 1; ix <= PadnamelistMAX(pnl); ix++) {
            const PADNAME *pn = PadnamelistARRAY(pnl)[ix];
            U8 flags;

            if (!pn)
                continue;
            if (!pmat_reserve(w, 1 + PMAT_UINT_SIZE))
                return;
            pmat_put_u8_nocheck(w, PMAT_CODEx_PADNAME);
            pmat_put_uint_nocheck(w, (UV)ix);
            pmat_put_str(w, PadnamePV(pn), PadnameLEN(pn));
            if (!pmat_reserve(w, PMAT_PTR_SIZE))
                return;
            pmat_put_ptr_nocheck(w, PadnameIsOUR(pn) ? PadnameOURSTASH(pn) : NULL);

            flags = padname_flags(pn);
            if (flags) {
                if (!pmat_reserve(w, 1 + PMAT_UINT_SIZE + 1))
                    return;
                pmat_put_u8_nocheck(w, PMAT_CODEx_PADNAME_FLAGS);
                pmat_put_uint_nocheck(w, (UV)ix);
                pmat_put_u8_nocheck(w, flags);
            }
            write_padname_field(w, pn, ix);
        }
    }

    for (ix = 1; ix <= PadlistMAX(pl); ix++) {
        const PAD *pad = PadlistARRAY(pl)[ix];
        if (!pad)
            continue;
        if (!pmat_reserve(w, 1 + PMAT_UINT_SIZE + PMAT_PTR_SIZE))
            return;
        pmat_put_u8_nocheck(w, PMAT_CODEx_PAD);
        pmat_put_uint_nocheck(w, (UV)ix);
        pmat_put_ptr_nocheck(w, pad);
    }
}

void write_sv_code(pTHX_ pmat_dump *d, const CV *cv)
{
    pmat_writer *w = &d->w;
    const XPVCV *body = (const XPVCV *)SvANY(cv);
    const PADLIST *pl = CvISXSUB(cv) ? NULL : CvPADLIST(cv);
    UV size = pmat_sv_base_size((const SV *)cv);
    U8 flags = 0;
    const GV *gv = NULL;
    const HEK *name = NULL;
    const SV *constval = NULL;

    /* A CV's PV slot holds its prototype (or an AUTOLOAD name); size.c
     * leaves CVs' strings out, so add an owned one here. */
    if (SvPOK(cv) && SvPVX_const(cv) && SvLEN(cv))
        size += SvLEN(cv);
    if (pl) {
        size += sizeof(PADLIST) + (UV)(PadlistMAX(pl) + 1) * sizeof(PAD *);
        if (PadlistNAMES(pl) && !CvCLONED(cv))
            size += padnames_size(aTHX_ PadlistNAMES(pl));
    }

    if (!write_sv_common(aTHX_ d, (const SV *)cv, PMAT_SVt_CODE, size))
        return;

    if (CvCLONE(cv))       flags |= PMAT_CODEf_CLONE;
    if (CvCLONED(cv))      flags |= PMAT_CODEf_CLONED;
    if (CvISXSUB(cv))      flags |= PMAT_CODEf_XSUB;
    if (CvWEAKOUTSIDE(cv)) flags |= PMAT_CODEf_WEAKOUTSIDE;
    if (CvCVGV_RC(cv))     flags |= PMAT_CODEf_CVGV_RC;
#ifdef CvLEXICAL
    if (CvLEXICAL(cv))     flags |= PMAT_CODEf_LEXICAL;
#endif

    /* Not CvGV(): on a CvNAMED sub that is a function which creates (and
     * so allocates) a GV.  A named sub has a HEK in the same slot. */
    if (CvNAMED(cv))
        name = body->xcv_gv_u.xcv_hek;
    else
        gv = body->xcv_gv_u.xcv_gv;

    /* xcv_start_u is CvSTART on a perl sub and CvXSUBANY on an XSUB: only
     * a constant XSUB has its value there. */
    if (CvISXSUB(cv) && CvCONST(cv))
        constval = (const SV *)CvXSUBANY(cv).any_ptr;

    if (!pmat_reserve(w, PMAT_UINT_SIZE + 1 + PMAT_PTR_SIZE + 4 + 6 * PMAT_PTR_SIZE))
        return;
    pmat_put_uint_nocheck(w, cv_line(cv));
    pmat_put_u8_nocheck(w, flags);
    pmat_put_ptr_nocheck(w, CvISXSUB(cv) ? NULL : CvROOT(cv));
    pmat_put_u32_nocheck(w, (uint32_t)CvDEPTHunsafe(cv));
    if (d->heks)
        pmat_put_ptr_nocheck(w, name);       /* NAME_HEK: the shared name */
    pmat_put_ptr_nocheck(w, CvSTASH(cv));
    pmat_put_ptr_nocheck(w, gv);
    pmat_put_ptr_nocheck(w, CvOUTSIDE(cv));
    pmat_put_ptr_nocheck(w, NULL);           /* PADLIST: not an SV, see top */
    pmat_put_ptr_nocheck(w, constval);

    /* CvFILE is NULL on the main CV and eval CVs: the reference writes ""
     * there, which also spares the reader an undef in cv->location. */
    pmat_put_cstr(w, CvFILE(cv) ? CvFILE(cv) : "");
    if (name)
        pmat_put_str(w, HEK_KEY(name), (STRLEN)HEK_LEN(name));
    else
        pmat_put_str(w, NULL, 0);

    if (!CvISXSUB(cv)) {
        /* The main program's optree hangs off PL_main_root, not its CV. */
        const OP *root = (cv == PL_main_cv) ? PL_main_root : CvROOT(cv);
        walk_optree(aTHX_ d, root);
        if (pl)
            write_padlist(aTHX_ d, pl);
    }

    if (!pmat_reserve(w, 1))
        return;
    pmat_put_u8_nocheck(w, 0);
}
