/* roots.c -- the immortals and the named roots.
 *
 *   PTR undef, PTR yes, PTR no
 *   U32 NROOTS, then NROOTS x {STR name, PTR addr}
 *
 * The names are those Devel::MAT's Dumpfile.pm knows (it gives them their
 * descriptions and accessors); the order follows the reference dumper.
 * Every root that exists on the running perl is written, NULL or not, so a
 * reader sees the same set from one dump to the next.  Two differ from the
 * reference 0.46 on purpose: the fd-to-pid AV goes out as "fdpidav" (the
 * name the reader knows; the reference writes "fdpid"), and "encoding" and
 * "apiversion" are left out because 5.36 has no such variables.
 */
#define PERL_NO_GET_CONTEXT
#include "dumper.h"


struct pmat_root {
    const char *name;
    const void *addr;
};

#define ROOT(name, var) { name, (const void *)(var) }

void write_roots(pTHX_ pmat_dump *d)
{
    pmat_writer *w = &d->w;
    /* Built on the C stack at dump time: the PL_ variables are per
     * interpreter under ithreads, so this cannot be a static table. */
    const struct pmat_root roots[] = {
        ROOT("main_cv",         PL_main_cv),
        ROOT("defstash",        PL_defstash),
        ROOT("mainstack",       PL_mainstack),
        ROOT("beginav",         PL_beginav),
        ROOT("checkav",         PL_checkav),
        ROOT("unitcheckav",     PL_unitcheckav),
        ROOT("initav",          PL_initav),
        ROOT("endav",           PL_endav),
        ROOT("strtab",          PL_strtab),
        ROOT("envgv",           PL_envgv),
        ROOT("incgv",           PL_incgv),
        ROOT("statgv",          PL_statgv),
        ROOT("statname",        PL_statname),
        ROOT("tmpsv",           PL_Sv),
        ROOT("defgv",           PL_defgv),
        ROOT("argvgv",          PL_argvgv),
        ROOT("argvoutgv",       PL_argvoutgv),
        ROOT("argvout_stack",   PL_argvout_stack),
        ROOT("errgv",           PL_errgv),
        ROOT("fdpidav",         PL_fdpid),
        ROOT("preambleav",      PL_preambleav),
        ROOT("modglobalhv",     PL_modglobal),
#ifdef USE_ITHREADS
        ROOT("regex_padav",     PL_regex_padav),
#endif
        ROOT("sortstash",       PL_sortstash),
        ROOT("firstgv",         PL_firstgv),
        ROOT("secondgv",        PL_secondgv),
        ROOT("debstash",        PL_debstash),
        ROOT("stashcache",      PL_stashcache),
        ROOT("isarev",          PL_isarev),
        ROOT("registered_mros", PL_registered_mros),
        ROOT("rs",              PL_rs),
        ROOT("last_in_gv",      PL_last_in_gv),
        ROOT("defoutgv",        PL_defoutgv),
        ROOT("hintgv",          PL_hintgv),
        ROOT("patchlevel",      PL_patchlevel),
        ROOT("e_script",        PL_e_script),
        ROOT("mess_sv",         PL_mess_sv),
        ROOT("ors_sv",          PL_ors_sv),
        ROOT("ofsgv",           PL_ofsgv),
        ROOT("blockhooks",      PL_blockhooks),
        ROOT("custom_ops",      PL_custom_ops),
        ROOT("custom_op_names", PL_custom_op_names),
        ROOT("custom_op_descs", PL_custom_op_descs),
        /* The Unicode inversion lists the regex engine keeps.  The set
         * changes between perl versions; these 18 are in the intrpvar.h of
         * 5.32, 5.36, 5.40 and 5.42 (checked), so only those name them
         * rather than risk a build failure on a perl not checked. */
#if PERL_VERSION_GE(5, 32, 0) && !PERL_VERSION_GE(5, 43, 0)
        ROOT("utf8_mark",              PL_utf8_mark),
        ROOT("utf8_toupper",           PL_utf8_toupper),
        ROOT("utf8_totitle",           PL_utf8_totitle),
        ROOT("utf8_tolower",           PL_utf8_tolower),
        ROOT("utf8_tofold",            PL_utf8_tofold),
        ROOT("utf8_idstart",           PL_utf8_idstart),
        ROOT("utf8_idcont",            PL_utf8_idcont),
        ROOT("utf8_xidstart",          PL_utf8_xidstart),
        ROOT("utf8_xidcont",           PL_utf8_xidcont),
        ROOT("utf8_foldclosures",      PL_utf8_foldclosures),
        ROOT("Latin1",                 PL_Latin1),
        ROOT("AboveLatin1",            PL_AboveLatin1),
        ROOT("utf8_perl_idstart",      PL_utf8_perl_idstart),
        ROOT("HasMultiCharFold",       PL_HasMultiCharFold),
        ROOT("utf8_charname_begin",    PL_utf8_charname_begin),
        ROOT("utf8_charname_continue", PL_utf8_charname_continue),
        ROOT("utf8_perl_idcont",       PL_utf8_perl_idcont),
        ROOT("UpperLatin1",            PL_UpperLatin1),
#endif
    };
    const size_t nroots = sizeof roots / sizeof roots[0];
    size_t i;

    if (!pmat_reserve(w, 3 * PMAT_PTR_SIZE + 4))
        return;
    pmat_put_ptr_nocheck(w, &PL_sv_undef);
    pmat_put_ptr_nocheck(w, &PL_sv_yes);
    pmat_put_ptr_nocheck(w, &PL_sv_no);
    pmat_put_u32_nocheck(w, (uint32_t)nroots + pmat_extra_roots_count(aTHX));

    for (i = 0; i < nroots; i++) {
        pmat_put_cstr(w, roots[i].name);
        if (!pmat_reserve(w, PMAT_PTR_SIZE))
            return;
        pmat_put_ptr_nocheck(w, roots[i].addr);
    }
    write_extra_roots(aTHX_ d);     /* DMD_ADD_ROOT's, after perl's own */
}
