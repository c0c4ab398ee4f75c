/* Odd input in privacy fields (issue 12): every privacy-relevant field is read through the one table in
 * filters/ortb.c (ortb_pf[]), and a duplicate, a wrong type, a value out of range or a wrong-typed container
 * restricts, with consent.malformed (or minor.* where it is about age) and a detail naming the field, in the
 * consent state, in the decide verdict (what the audit trail copies) and in decide_detail (what `fairbid
 * decide` prints). Each class has its own table; each row also has a clean twin that must not restrict, so
 * over-blocking shows up too. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "bidder/config/config.h"
#include "filters/consent.h"
#include "filters/decide.h"
#include "filters/ortb.h"
#include "filters/reasons.h"

#ifndef FAIRBID_SOURCE_DIR
#define FAIRBID_SOURCE_DIR "."
#endif

#define YEAR 2026
#define NONE (-1)

static _Alignas(64) char amem[1 << 18];
static char body[8192];

struct out {
    struct ortb_request req;
    struct consent_state st;
    int rc;
};

/* {"id":"r","imp":[...],FRAG} with ' for " */
static void eval(const char *frag, struct out *o)
{
    size_t n =
        (size_t)snprintf(body, sizeof body, "{'id':'r','imp':[{'id':'1','banner':{'w':300,'h':250}}]%s%s}",
                         *frag ? "," : "", frag);
    for (size_t i = 0; i < n; i++)
        if (body[i] == '\'') body[i] = '"';
    struct arena a;
    arena_init(&a, amem, sizeof amem);
    struct ortb_error e;
    o->rc = ortb_parse(body, n, &a, &o->req, &e);
    cr_assert_eq(o->rc, 0, "[%s] must parse (a privacy field never makes a 400): %s", frag, e.msg);
    struct consent_config cfg = {.tcf_vendor_id = 1000, .tcf_strict = true};
    consent_eval(&o->req, &cfg, NULL, YEAR, &a, &o->st);
}

struct row {
    const char *frag;
    int all;            /* expected block_all */
    int personal;       /* expected block_personal */
    const char *detail; /* expected detail of the first block (personal's), exactly */
    bool minor;
};

static void run(const char *cls, const struct row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        struct out o;
        eval(r->frag, &o);
        cr_expect_eq(o.st.block_all, r->all, "[%s: %s] block_all %s, want %s", cls, r->frag,
                     o.st.block_all < 0 ? "none" : reason_name(o.st.block_all),
                     r->all < 0 ? "none" : reason_name(r->all));
        cr_expect_eq(o.st.block_personal, r->personal, "[%s: %s] block_personal %s (%.*s), want %s", cls,
                     r->frag, o.st.block_personal < 0 ? "none" : reason_name(o.st.block_personal),
                     SV_FMT(o.st.detail), r->personal < 0 ? "none" : reason_name(r->personal));
        if (r->detail)
            cr_expect(sv_eq_cstr(o.st.detail, r->detail), "[%s: %s] detail \"%.*s\", want \"%s\"", cls,
                      r->frag, SV_FMT(o.st.detail), r->detail);
        if (r->all >= 0 && r->detail)
            cr_expect(sv_eq_cstr(o.st.all_detail, r->detail), "[%s: %s] all_detail \"%.*s\"", cls, r->frag,
                      SV_FMT(o.st.all_detail));
        cr_expect_eq(o.st.minor, r->minor, "[%s: %s] minor %d", cls, r->frag, o.st.minor);
    }
}

#define M REASON_CONSENT_MALFORMED

Test(privacy_fields, duplicates)
{
    static const struct row rows[] = {
        /* the examples seen on main: the out-of-range copy used to win (rd_protective kept the larger) */
        {"'regs':{'coppa':1,'coppa':2}", NONE, REASON_MINOR_COPPA, "regs.coppa: duplicate key", true},
        {"'regs':{'coppa':0,'coppa':1}", NONE, REASON_MINOR_COPPA, "regs.coppa: duplicate key", true},
        {"'device':{'lmt':1,'lmt':2}", NONE, M, "device.lmt: duplicate key", false},
        {"'device':{'dnt':0,'dnt':1}", NONE, M, "device.dnt: duplicate key", false},
        {"'user':{'yob':2015,'yob':9999}", NONE, REASON_MINOR_AGE, "user.yob: duplicate key", true},
        {"'user':{'yob':1980,'yob':1980}", NONE, REASON_MINOR_AGE, "user.yob: duplicate key", true},
        {"'user':{'yob':1980},'user':{'yob':2015}", NONE, REASON_MINOR_AGE, "user.yob: duplicate key", true},
        {"'regs':{'ext':'x','ext':{}}", M, M, "regs.ext: wrong type", false}, /* the first problem found */
        {"'regs':{'ext':{},'ext':{}}", M, M, "regs.ext: duplicate key", false},
        {"'regs':{'coppa':0},'regs':{}", M, M, "regs: duplicate key", false},
        {"'regs':{'gdpr':0,'gdpr':0}", M, M, "regs.gdpr: duplicate key", false},
        {"'regs':{'ext':{'gdpr':0,'gdpr':1}}", M, M, "regs.ext.gdpr: duplicate key", false},
        {"'regs':{'us_privacy':'1YYN','us_privacy':'1NNN'}", NONE, M, "regs.us_privacy: duplicate key",
         false},
        {"'regs':{'ext':{'us_privacy':'1NNN','us_privacy':'1NNN'}}", NONE, M,
         "regs.ext.us_privacy: duplicate key", false},
        {"'regs':{'gpp':'','gpp':''}", NONE, M, "regs.gpp: duplicate key", true},
        {"'regs':{'gpp_sid':[7],'gpp_sid':[]}", M, M, "regs.gpp_sid: duplicate key", false},
        {"'regs':{'ext':{'gpc':1,'gpc':0}}", NONE, M, "regs.ext.gpc: duplicate key", false},
        {"'regs':{'ext':{'dsa':{},'dsa':{}}}", NONE, M, "regs.ext.dsa: duplicate key", false},
        {"'user':{'consent':'','consent':''}", M, M, "user.consent: duplicate key", false},
        {"'user':{'ext':{},'ext':{}}", M, M, "user.ext: duplicate key", false},
        {"'user':{'ext':{'consent':'a','consent':'a'}}", M, M, "user.ext.consent: duplicate key", false},
        /* a user.data with a segtax between the two copies: its own repeat check (one segtax per data object)
         * once reset the seen bits of every field from bit 32 up, so the second copy passed as the first */
        {"'user':{'gender':'F','data':[{'ext':{'segtax':4}}],'gender':'M'}", NONE, M,
         "user.gender: duplicate key", false},
        {"'user':{'id':'a','data':[{'ext':{'segtax':4}}],'id':'b'}", NONE, M, "user.id: duplicate key", true},
        {"'user':{'buyeruid':'a','data':[{'ext':{'segtax':4}}],'buyeruid':'b'}", NONE, M,
         "user.buyeruid: duplicate key", true},
        {"'user':{'geo':{'country':'USA'},'data':[{'ext':{'segtax':4}}],'geo':{'country':'DEU'}}", NONE, M,
         "user.geo: duplicate key", false},
        /* null then a value is the key given once; a value then null is a duplicate */
        {"'regs':{'coppa':null,'coppa':0}", NONE, NONE, NULL, false},
        {"'regs':{'coppa':0,'coppa':null}", NONE, REASON_MINOR_COPPA, "regs.coppa: duplicate key", true},
        /* clean twins */
        {"'regs':{'coppa':0,'ext':{'gpc':0}},'device':{'lmt':0},'user':{'yob':1980}", NONE, NONE, NULL,
         false},
    };
    run("duplicates", rows, sizeof rows / sizeof rows[0]);
}

/* A privacy key spelled in another case or with one of the Unicode folds a case-folding decoder (Go's
 * encoding/json) applies: fairbid's exact match skipped it, so "GDPR": 1 or "COPPA": 1 was read as absent and
 * personal data was allowed, while an exchange or bidder decoding by fold reads the signal. The field it
 * folds to is bad (ORTB_PFW_CASE), in every object that holds privacy keys; a key that folds to none is
 * unknown. */
Test(privacy_fields, key_in_another_case)
{
    static const struct row rows[] = {
        {"'regs':{'GDPR':1}", M, M, "regs.gdpr: key spelled in another case", false},
        {"'regs':{'gdpr':0,'Gdpr':1}", M, M, "regs.gdpr: key spelled in another case", false},
        {"'regs':{'\\u0047DPR':1}", M, M, "regs.gdpr: key spelled in another case", false},
        {"'Regs':{'coppa':1}", M, M, "regs: key spelled in another case", false},
        {"'regs':{'COPPA':1}", NONE, REASON_MINOR_COPPA, "regs.coppa: key spelled in another case", true},
        {"'regs':{'US_PRIVACY':'1YYN'}", NONE, M, "regs.us_privacy: key spelled in another case", false},
        {"'regs':{'GPP':'x'}", NONE, M, "regs.gpp: key spelled in another case", true},
        {"'regs':{'Gpp_Sid':[2]}", M, M, "regs.gpp_sid: key spelled in another case", false},
        {"'regs':{'EXT':{'gdpr':1}}", M, M, "regs.ext: key spelled in another case", false},
        {"'regs':{'ext':{'GDPR':1}}", M, M, "regs.ext.gdpr: key spelled in another case", false},
        {"'regs':{'ext':{'Coppa':1}}", NONE, REASON_MINOR_COPPA,
         "regs.ext.coppa: key spelled in another case", true},
        {"'regs':{'ext':{'GPC':1}}", NONE, M, "regs.ext.gpc: key spelled in another case", false},
        {"'regs':{'ext':{'DSA':{}}}", NONE, M, "regs.ext.dsa: key spelled in another case", false},
        {"'User':{'consent':'x'}", M, M, "user: key spelled in another case", false},
        {"'u\xc5\xbf"
         "er':{'yob':2015}",
         M, M, "user: key spelled in another case", false},
        {"'user':{'YOB':2015}", NONE, REASON_MINOR_AGE, "user.yob: key spelled in another case", true},
        {"'user':{'Consent':'x'}", M, M, "user.consent: key spelled in another case", false},
        {"'user':{'ext':{'CONSENT':'x'}}", M, M, "user.ext.consent: key spelled in another case", false},
        {"'user':{'Data':[]}", NONE, M, "user.data: key spelled in another case", true},
        {"'user':{'data':[{'ext':{'SegTax':4},'segment':[{'id':'1'}]}]}", NONE, M,
         "user.data.ext.segtax: key spelled in another case", true},
        {"'user':{'data':[{'Segment':[{'id':'1'}]}]}", NONE, M,
         "user.data.segment: key spelled in another case", true},
        {"'user':{'data':[{'segment':[{'ID':'399'}]}]}", NONE, M,
         "user.data.segment: key spelled in another case", true},
        {"'user':{'data':[{'Ext':{'segtax':4}}]}", NONE, M, "user.data.ext: key spelled in another case",
         true},
        {"'device':{'LMT':1}", NONE, M, "device.lmt: key spelled in another case", false},
        {"'device':{'DNT':1}", NONE, M, "device.dnt: key spelled in another case", false},
        {"'Device':{'lmt':1}", NONE, M, "device: key spelled in another case", false},
        {"'device':{'geo':{'Country':'DEU'}}", NONE, M, "device.geo.country: key spelled in another case",
         false},
        {"'user':{'geo':{'COUNTRY':'DEU'}}", NONE, M, "user.geo.country: key spelled in another case", false},
        /* the Kelvin sign folds to k only: no privacy key has a k, so it is an unknown key */
        {"'regs':{'coppa':0,'\xe2\x84\xaax':1}", NONE, NONE, NULL, false},
        /* clean twins: exact spellings, and keys that fold to no privacy key */
        {"'regs':{'gdpr':0,'coppa':0,'ext':{'gpc':0,'Other':1}},'user':{'yob':1980,'Keywords':'a'},"
         "'device':{'lmt':0,'Make':'x','geo':{'country':'USA','City':'x'}},'Source':{}",
         NONE, NONE, NULL, false},
    };
    run("key in another case", rows, sizeof rows / sizeof rows[0]);
}

/* A geo country that is no ISO 3166-1 code (two or three letters): "Germany", "276", "DEU " or "DE-BY" may
 * name an EEA country, yet with regs.gdpr 0 it used to be "a country with no rules" and personal data was
 * allowed. Now bad (out of range): no personal data, and the value is dropped. */
Test(privacy_fields, unreadable_country)
{
    static const struct row rows[] = {
        {"'regs':{'gdpr':0},'device':{'geo':{'country':'Germany'}}", NONE, M,
         "device.geo.country: out of range", false},
        {"'device':{'geo':{'country':'276'}}", NONE, M, "device.geo.country: out of range", false},
        {"'device':{'geo':{'country':'DEU '}}", NONE, M, "device.geo.country: out of range", false},
        {"'device':{'geo':{'country':'DE-BY'}}", NONE, M, "device.geo.country: out of range", false},
        {"'device':{'geo':{'country':'D'}}", NONE, M, "device.geo.country: out of range", false},
        {"'user':{'geo':{'country':'Deutschland'}}", NONE, M, "user.geo.country: out of range", false},
        /* clean twins: codes in any case, and "" (nothing said) */
        {"'regs':{'gdpr':0},'device':{'geo':{'country':'usa'}},'user':{'geo':{'country':'CA'}}", NONE, NONE,
         NULL, false},
        {"'device':{'geo':{'country':''}}", NONE, NONE, NULL, false},
    };
    run("unreadable country", rows, sizeof rows / sizeof rows[0]);
}

Test(privacy_fields, out_of_range)
{
    static const struct row rows[] = {
        {"'regs':{'coppa':2}", NONE, REASON_MINOR_COPPA, "regs.coppa: out of range", true},
        {"'regs':{'coppa':-1}", NONE, REASON_MINOR_COPPA, "regs.coppa: out of range", true},
        {"'device':{'lmt':2}", NONE, M, "device.lmt: out of range", false},
        {"'device':{'lmt':-1}", NONE, M, "device.lmt: out of range", false},
        {"'device':{'dnt':2}", NONE, M, "device.dnt: out of range", false},
        {"'user':{'yob':9999}", NONE, REASON_MINOR_AGE, "user.yob: in the future", true},
        {"'user':{'yob':2027}", NONE, REASON_MINOR_AGE, "user.yob: in the future", true},
        {"'user':{'yob':1899}", NONE, REASON_MINOR_AGE, "user.yob: out of range", true},
        {"'user':{'yob':1900}", NONE, REASON_MINOR_AGE, "user.yob: out of range", true},
        {"'user':{'yob':0}", NONE, REASON_MINOR_AGE, "user.yob: out of range", true},
        {"'user':{'yob':10000}", NONE, REASON_MINOR_AGE, "user.yob: out of range", true},
        {"'regs':{'gdpr':2}", M, M, "regs.gdpr: out of range", false},
        {"'regs':{'gdpr':-1}", M, M, "regs.gdpr: out of range", false},
        {"'regs':{'ext':{'gdpr':7}}", M, M, "regs.ext.gdpr: out of range", false},
        {"'regs':{'ext':{'gpc':2}}", NONE, M, "regs.ext.gpc: out of range", false},
        {"'regs':{'ext':{'gpc':'2'}}", NONE, M, "regs.ext.gpc: out of range", false},
        {"'regs':{'gpp_sid':[70000]}", M, M, "regs.gpp_sid: out of range", false},
        {"'regs':{'gpp_sid':[-1]}", M, M, "regs.gpp_sid: out of range", false},
        {"'regs':{'us_privacy':'2YYN'}", NONE, M, "regs.us_privacy: does not decode", false},
        {"'regs':{'ext':{'us_privacy':'1XYZ'}}", NONE, M, "regs.ext.us_privacy: does not decode", false},
        {"'regs':{'gpp':'DBABLA~!'}", NONE, M, "regs.gpp: does not decode", true},
        /* clean twins: the edges of each range */
        {"'regs':{'coppa':0,'gdpr':0,'ext':{'gpc':'0','gdpr':0}},'device':{'lmt':0}", NONE, NONE, NULL,
         false},
        {"'user':{'yob':1901}", NONE, NONE, NULL, false},
        {"'user':{'yob':2008}", NONE, NONE, NULL, false},
        {"'user':{'yob':2026}", NONE, REASON_MINOR_AGE, "user.yob", true},
        {"'regs':{'gpp_sid':[0,65535]}", NONE, NONE, NULL, false},
    };
    run("out of range", rows, sizeof rows / sizeof rows[0]);
}

Test(privacy_fields, wrong_types)
{
    static const struct row rows[] = {
        {"'regs':{'coppa':'1'}", NONE, REASON_MINOR_COPPA, "regs.coppa: wrong type", true},
        {"'regs':{'coppa':true}", NONE, REASON_MINOR_COPPA, "regs.coppa: wrong type", true},
        {"'regs':{'coppa':1.5}", NONE, REASON_MINOR_COPPA, "regs.coppa: wrong type", true},
        {"'regs':{'coppa':1e999}", NONE, REASON_MINOR_COPPA, "regs.coppa: wrong type", true},
        {"'user':{'yob':'1990'}", NONE, REASON_MINOR_AGE, "user.yob: wrong type", true},
        {"'user':{'yob':{}}", NONE, REASON_MINOR_AGE, "user.yob: wrong type", true},
        {"'user':{'yob':99999999999999999999}", NONE, REASON_MINOR_AGE, "user.yob: wrong type", true},
        {"'device':{'lmt':'1'}", NONE, M, "device.lmt: wrong type", false},
        {"'device':{'lmt':[1]}", NONE, M, "device.lmt: wrong type", false},
        {"'device':{'dnt':'1'}", NONE, M, "device.dnt: wrong type", false},
        {"'regs':{'gdpr':'0'}", M, M, "regs.gdpr: wrong type", false},
        {"'regs':{'ext':{'gpc':true}}", NONE, M, "regs.ext.gpc: wrong type", false},
        {"'regs':{'ext':{'gpc':'yes'}}", NONE, M, "regs.ext.gpc: wrong type", false},
        {"'regs':{'us_privacy':1}", NONE, M, "regs.us_privacy: wrong type", false},
        {"'regs':{'gpp':{}}", NONE, M, "regs.gpp: wrong type", true},
        {"'regs':{'gpp_sid':'7'}", M, M, "regs.gpp_sid: wrong type", false},
        {"'regs':{'gpp_sid':[7,'x']}", M, M, "regs.gpp_sid: wrong type", false},
        {"'user':{'consent':5}", M, M, "user.consent: wrong type", false},
        {"'user':{'ext':{'consent':[]}}", M, M, "user.ext.consent: wrong type", false},
        /* wrong-typed containers */
        {"'regs':{'ext':'x'}", M, M, "regs.ext: wrong type", false},
        {"'regs':{'ext':[]}", M, M, "regs.ext: wrong type", false},
        {"'user':{'ext':5}", M, M, "user.ext: wrong type", false},
        {"'user':{'ext':'x'}", M, M, "user.ext: wrong type", false},
        {"'regs':{'ext':{'dsa':'x'}}", NONE, M, "regs.ext.dsa: wrong type", false},
        /* clean twins: null is absent everywhere */
        {"'regs':{'coppa':null,'ext':null,'gpp':null},'user':{'yob':null,'ext':null},'device':{'lmt':null}",
         NONE, NONE, NULL, false},
        {"'regs':{'ext':{'gpc':'1'}}", NONE, REASON_CONSENT_GPC, "regs.ext.gpc = 1", false},
    };
    run("wrong types", rows, sizeof rows / sizeof rows[0]);
}

/* regs.ext.gpp / regs.ext.gpp_sid (where Prebid Server promotes from): read through the same table, for
 * what restricts only. */
Test(privacy_fields, ext_gpp)
{
    static const struct row rows[] = {
        {"'regs':{'ext':{'gpp':'DBABLA~CEAQAAAAAACA.QA','gpp_sid':[7]}}", NONE, REASON_CONSENT_GPP_OPTOUT,
         NULL, false},
        {"'regs':{'ext':{'gpp':'DBABLA~CAAAAAAAAECA.QA'}}", NONE, REASON_MINOR_KNOWN_CHILD, NULL, true},
        {"'regs':{'ext':{'gpp':'DBABLA~CEAqAAAAAACA.QA','gpp_sid':[7]}}", NONE, NONE, NULL, false},
        {"'regs':{'ext':{'gpp':'gppString','gpp_sid':[6]}}", NONE, M, "regs.ext.gpp: does not decode", true},
        {"'regs':{'ext':{'gpp':5}}", NONE, M, "regs.ext.gpp: wrong type", true},
        {"'regs':{'ext':{'gpp':'','gpp':''}}", NONE, M, "regs.ext.gpp: duplicate key", true},
        {"'regs':{'ext':{'gpp_sid':'7'}}", M, M, "regs.ext.gpp_sid: wrong type", false},
        {"'regs':{'ext':{'gpp_sid':[2]}}", REASON_CONSENT_TCF_INVALID, REASON_CONSENT_TCF_INVALID, NULL,
         false},
        {"'regs':{'gpp':'DBABLA~CEAqAAAAAACA.QA','ext':{'gpp':'DBABLA~CEAQAAAAAACA.QA'}}", NONE, M,
         "regs.ext.gpp: differs from regs.gpp", true},
        {"'regs':{'gpp':'DBABLA~CEAqAAAAAACA.QA','ext':{'gpp':'DBABLA~CEAqAAAAAACA.QA'}}", NONE, NONE, NULL,
         false},
    };
    run("ext gpp", rows, sizeof rows / sizeof rows[0]);
}

/* user.data carries the vulnerability segments that keep high-risk ads away: a copy that would replace
 * them, or a segtax that hides which taxonomy they are in, counts as "possibly vulnerable". */
Test(privacy_fields, user_data)
{
    static const struct row rows[] = {
        {"'user':{'data':[{'ext':{'segtax':4},'segment':[{'id':'356'}]}],'data':[]}", NONE, M,
         "user.data: duplicate key", true},
        {"'user':{'data':[{'ext':{'segtax':4}}]},'user':{'data':[]}", NONE, M, "user.data: duplicate key",
         true},
        {"'user':{'data':[{'ext':{'segtax':4},'segment':[{'id':'356'}],'segment':[]}]}", NONE, M,
         "user.data.segment: duplicate key", true},
        {"'user':{'data':[{'ext':{'segtax':4},'ext':{}}]}", NONE, M, "user.data.ext: duplicate key", true},
        {"'user':{'data':[{'ext':{'segtax':4,'segtax':99}}]}", NONE, M, "user.data.ext.segtax: duplicate key",
         true},
        {"'user':{'data':[{'ext':{'segtax':'4'}}]}", NONE, M, "user.data.ext.segtax: wrong type", true},
        {"'user':{'data':[{'ext':{'segtax':4.5}}]}", NONE, M, "user.data.ext.segtax: wrong type", true},
        {"'user':{'data':[{'ext':{'segtax':0}}]}", NONE, M, "user.data.ext.segtax: out of range", true},
        /* clean twins: one segtax per data object, several data objects */
        {"'user':{'data':[{'ext':{'segtax':4},'segment':[{'id':'5'}]},{'ext':{'segtax':6},'segment':[]}]}",
         NONE, NONE, NULL, false},
        {"'user':{'data':[{'ext':{'segtax':null}},{'ext':'x'}]}", NONE, NONE, NULL, false},
        /* user.ext.data (Prebid's older place): of another shape, given twice, or a member of another shape
         * inside: bad (it may hide a vulnerability segment), never a 400 (it used to be one, naming
         * user.data[]), with the detail naming user.ext.data */
        {"'user':{'ext':{'data':{'segment':[]}}}", NONE, M, "user.ext.data: wrong type", true},
        {"'user':{'ext':{'data':['x']}}", NONE, M, "user.ext.data: wrong type", true},
        {"'user':{'ext':{'data':[7,{'ext':{'segtax':4},'segment':[{'id':'1'}]}]}}", NONE, M,
         "user.ext.data: wrong type", true},
        {"'user':{'ext':{'data':[{'segment':{'id':'399'}}]}}", NONE, M, "user.ext.data: wrong type", true},
        {"'user':{'ext':{'data':[{'segment':['399']}]}}", NONE, M, "user.ext.data: wrong type", true},
        {"'user':{'ext':{'data':[{'segment':[{'id':399}]}]}}", NONE, M, "user.ext.data: wrong type", true},
        {"'user':{'ext':{'data':[{'id':5,'segment':[]}]}}", NONE, M, "user.ext.data: wrong type", true},
        {"'user':{'ext':{'data':[{'segment':[]}],'data':[]}}", NONE, M, "user.ext.data: duplicate key", true},
        /* clean twins */
        {"'user':{'ext':{'data':[null,{'id':null,'segment':[null,{'id':null},{'id':'1'}]}]}}", NONE, NONE,
         NULL, false},
        {"'user':{'ext':{'data':null}}", NONE, NONE, NULL, false},
    };
    run("user.data", rows, sizeof rows / sizeof rows[0]);
}

Test(privacy_fields, two_locations_disagree)
{
    static const struct row rows[] = {
        {"'regs':{'gdpr':0,'ext':{'gdpr':1}}", M, M, "regs.ext.gdpr: differs from regs.gdpr", false},
        {"'regs':{'gdpr':1,'ext':{'gdpr':0}}", M, M, "regs.ext.gdpr: differs from regs.gdpr", false},
        {"'regs':{'us_privacy':'1NNN','ext':{'us_privacy':'1YYN'}}", NONE, M,
         "regs.ext.us_privacy: differs from regs.us_privacy", false},
        {"'user':{'consent':'a','ext':{'consent':'b'}}", M, M, "user.ext.consent: differs from user.consent",
         false},
        /* agreeing copies are fine */
        {"'regs':{'gdpr':0,'ext':{'gdpr':0}}", NONE, NONE, NULL, false},
        {"'regs':{'us_privacy':'1NNN','ext':{'us_privacy':'1nnn'}}", NONE, NONE, NULL, false},
    };
    run("two locations", rows, sizeof rows / sizeof rows[0]);
}

/* The table itself: each field's bit, and a bad value leaves no value behind. */
Test(privacy_fields, parser_record)
{
    struct out o;
    eval("'regs':{'coppa':2,'gdpr':0,'ext':{'gpc':'x'}},'user':{'yob':1,'yob':2},'device':{'lmt':1,'lmt':1}",
         &o);
    const struct ortb_privacy *p = &o.req.priv;
    cr_expect(p->bad & (1u << ORTB_PF_COPPA));
    cr_expect_eq(p->why[ORTB_PF_COPPA], ORTB_PFW_RANGE);
    cr_expect(p->bad & (1u << ORTB_PF_GPC));
    cr_expect_eq(p->why[ORTB_PF_GPC], ORTB_PFW_TYPE);
    cr_expect_eq(p->why[ORTB_PF_YOB], ORTB_PFW_RANGE, "the first problem found is kept");
    cr_expect_eq(p->why[ORTB_PF_LMT], ORTB_PFW_DUP);
    cr_expect(!(p->bad & (1u << ORTB_PF_GDPR)));
    cr_expect_eq(o.req.regs.coppa, ORTB_UNSET);
    cr_expect_eq(o.req.user.yob, ORTB_UNSET);
    cr_expect_eq(o.req.device.lmt, ORTB_UNSET, "a duplicated lmt keeps neither copy");
    cr_expect_eq(o.req.regs.gpc_sig, ORTB_SIG_MALFORMED);
    cr_expect_eq(o.req.regs.gdpr, 0);
    for (int f = 0; f < ORTB_PF_N; f++) {
        cr_expect_not_null(ortb_pf[f].path, "field %d has a path", f);
        for (int w = 1; w < ORTB_PFW_N; w++)
            cr_expect(strncmp(ortb_pf[f].detail[w], ortb_pf[f].path, strlen(ortb_pf[f].path)) == 0,
                      "the detail names the field: %s", ortb_pf[f].detail[w]);
    }
}

/* The detail reaches the verdict (decide_verdict.arg is what the audit trail records) and decide_detail
 * (what `fairbid decide` prints); contextual campaigns still bid where only personal data is forbidden. */
Test(privacy_fields, detail_in_verdicts)
{
    static const char cfgtext[] =
        "{\"currency\":\"USD\",\"tcf_vendor_id\":1000,\"campaigns\":["
        "{\"id\":\"ctx\",\"crid\":\"c\",\"bid_cpm\":1,\"formats\":[{\"w\":300,\"h\":250}],\"adm\":\"x\"},"
        "{\"id\":\"age\",\"crid\":\"c\",\"bid_cpm\":2,\"formats\":[{\"w\":300,\"h\":250}],\"adm\":\"x\","
        "\"targeting\":{\"age\":{\"min\":18,\"max\":99}}}]}";
    char err[512];
    struct config *cfg =
        config_parse_load("privacy-fields.json", cfgtext, sizeof cfgtext - 1, NULL, err, sizeof err);
    cr_assert_not_null(cfg, "%s", err);
    static const struct {
        const char *frag, *ctx_reason, *age_reason, *detail;
    } rows[] = {
        {"'user':{'yob':2015,'yob':9999}", "bid", "minor.age", "user.yob: duplicate key"},
        {"'user':{'yob':1980},'regs':{'coppa':1,'coppa':2}", "bid", "minor.coppa",
         "regs.coppa: duplicate key"},
        {"'user':{'yob':1980},'device':{'lmt':2}", "bid", "consent.malformed", "device.lmt: out of range"},
        {"'user':{'yob':1980},'regs':{'ext':'x'}", "consent.malformed", "consent.malformed",
         "regs.ext: wrong type"},
        {"'user':{'yob':1980,'ext':5}", "consent.malformed", "consent.malformed", "user.ext: wrong type"},
        {"'user':{'yob':1980}", "auction.lost", "bid", NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct out o;
        eval(rows[i].frag, &o);
        struct arena a;
        arena_init(&a, amem + (1 << 17), 1 << 17);
        struct decide_env env = {.now_ms = 1790000000000, .year = YEAR};
        struct decide_result res;
        cr_assert_eq(decide_run(&cfg->campaigns, &o.req, &env, &a, &res), 0);
        cr_expect_str_eq(reason_name(res.v[0].reason), rows[i].ctx_reason, "[%s] ctx", rows[i].frag);
        cr_expect_str_eq(reason_name(res.v[1].reason), rows[i].age_reason, "[%s] age", rows[i].frag);
        if (!rows[i].detail) continue;
        cr_expect(sv_eq_cstr(res.v[1].arg, rows[i].detail), "[%s] verdict arg \"%.*s\"", rows[i].frag,
                  SV_FMT(res.v[1].arg));
        char d[256];
        size_t n = decide_detail(&cfg->campaigns, &o.req, &res.v[1], d, sizeof d);
        cr_expect(n >= strlen(rows[i].detail) && strstr(d, rows[i].detail), "[%s] decide_detail \"%s\"",
                  rows[i].frag, d);
    }
    config_free(cfg);
}

/* The shapes a reviewer tries next (issue 12: "in other shapes than the ones named"): each failed open before
 * this table had them (tests/fuzz/privacy_monotone.h keeps trying them). */
Test(privacy_fields, other_shapes)
{
    static const struct row rows[] = {
        /* a repeated object merges its copies, a mix no reading of the request gives: last-wins would drop
           the first copy's yob (the age-targeted campaign bid on the merged one) */
        {"'user':{'yob':1980},'user':{'data':[]}", NONE, M, "user: duplicate key", false},
        {"'user':{'data':[]},'user':{'yob':1980}", NONE, M, "user: duplicate key", false},
        /* ... and with a consent string in either copy, which copy's consent holds is unknowable */
        {"'user':{'consent':'x'},'user':{'yob':1980}", M, M, "user: duplicate key", false},
        {"'user':{'yob':1980},'user':{'ext':{'consent':'x'}}", M, M, "user: duplicate key", false},
        {"'device':{'geo':{'country':'DEU'}},'device':{'lmt':0}", NONE, M, "device: duplicate key", false},
        /* where the person is decides the jurisdiction and targeting.countries */
        {"'device':{'geo':{'country':'DEU'},'geo':{'country':'USA'}}", NONE, M, "device.geo: duplicate key",
         false},
        {"'device':{'geo':{'country':'DEU','country':'USA'}}", NONE, M, "device.geo.country: duplicate key",
         false},
        {"'device':{'geo':{'country':'USA','region':'XX','region':'CA'}}", NONE, M,
         "device.geo.region: duplicate key", false},
        {"'device':{'geo':{'lat':1,'lat':2,'lon':3}}", NONE, M, "device.geo.lat: duplicate key", false},
        {"'device':{'geo':{'lat':1,'lon':3,'lon':4}}", NONE, M, "device.geo.lon: duplicate key", false},
        /* who the person is (gender targeting, fairness groups) */
        {"'user':{'gender':'X','gender':'F'}", NONE, M, "user.gender: duplicate key", false},
        /* numbers that are not exactly integers, whatever a double rounds them to */
        {"'regs':{'coppa':1e-400}", NONE, REASON_MINOR_COPPA, "regs.coppa: wrong type", true},
        {"'regs':{'gdpr':1e-400}", M, M, "regs.gdpr: wrong type", false},
        {"'regs':{'ext':{'gdpr':-1e-400}}", M, M, "regs.ext.gdpr: wrong type", false},
        {"'regs':{'ext':{'gpc':1e-400}}", NONE, M, "regs.ext.gpc: wrong type", false},
        {"'device':{'lmt':0.00000000000000000001}", NONE, M, "device.lmt: wrong type", false},
        {"'user':{'yob':2008.00000000000000001}", NONE, REASON_MINOR_AGE, "user.yob: wrong type", true},
        {"'regs':{'gpp_sid':[7.5]}", M, M, "regs.gpp_sid: wrong type", false},
        /* keys are compared decoded */
        {"'regs':{'co\\u0070pa':1}", NONE, REASON_MINOR_COPPA, "regs.coppa = 1", true},
        {"'regs':{'coppa':1,'\\u0063oppa':0}", NONE, REASON_MINOR_COPPA, "regs.coppa: duplicate key", true},
        {"'regs':{'gdpr':0,'\\u0067dpr':1}", M, M, "regs.gdpr: duplicate key", false},
        {"'regs':{'coppa':0},'\\u0072egs':{}", M, M, "regs: duplicate key", false},
        {"'user':{'yob':1980},'us\\u0065r':{'yob':1980}", NONE, REASON_MINOR_AGE, "user.yob: duplicate key",
         true},
        /* clean twins: numbers that are exactly integers, one copy of each object ("COPPA" used to be a
           clean twin, skipped as an unknown key: a folding decoder reads it, so it now restricts, as the
           scrubber's rule 2 always did; key_in_another_case) */
        {"'regs':{'coppa':1.0}", NONE, REASON_MINOR_COPPA, "regs.coppa = 1", true},
        {"'regs':{'coppa':-0,'gdpr':0.0,'ext':{'gdpr':0e-400,'gpc':0E5}},'device':{'lmt':-0.0}", NONE, NONE,
         NULL, false},
        {"'user':{'yob':1.98e3}", NONE, NONE, NULL, false},
        {"'user':{'yob':19800e-1}", NONE, NONE, NULL, false},
        {"'regs':{'COPPA':1}", NONE, REASON_MINOR_COPPA, "regs.coppa: key spelled in another case", true},
        {"'user':{'yob':1980,'gender':'F','data':[{'segment':[{'id':'1'},{'id':'2'}]}]},'device':{'geo':{"
         "'country':'USA','region':'CA','lat':1,'lon':2}}",
         NONE, NONE, NULL, false},
    };
    run("other shapes", rows, sizeof rows / sizeof rows[0]);
}

/* The fields added by the shape sweep (issue 12, second pass): where the user says they live, who they are
 * for the consent store, and GDPR against an EEA geo. Each with its clean twin. */
Test(privacy_fields, sweep_shapes)
{
    static const struct row rows[] = {
        {"'user':{'geo':{'country':'DEU'},'geo':{'country':'USA'}}", NONE, M, "user.geo: duplicate key",
         false},
        {"'user':{'geo':{'country':'DEU','country':'USA'}}", NONE, M, "user.geo.country: duplicate key",
         false},
        {"'user':{'geo':{'country':'USA','region':'MD','region':'VA'}}", NONE, M,
         "user.geo.region: duplicate key", false},
        /* which consent-store record (an opt-out, a minor) holds: unknowable */
        {"'user':{'id':'a','id':'b'}", NONE, M, "user.id: duplicate key", true},
        {"'user':{'buyeruid':'a','buyeruid':'b'}", NONE, M, "user.buyeruid: duplicate key", true},
        {"'user':{'buyeruid':'a'},'user':{'buyeruid':'b'}", NONE, M, "user: duplicate key", true},
        /* regs.gdpr 0 where a geo is in the EEA */
        {"'regs':{'gdpr':0},'device':{'geo':{'country':'FRA'}}", NONE, M,
         "regs.gdpr: 0 but device.geo.country is in the EEA", false},
        {"'regs':{'ext':{'gdpr':0}},'user':{'geo':{'country':'de'}}", NONE, M,
         "regs.ext.gdpr: 0 but user.geo.country is in the EEA", false},
        /* clean twins */
        {"'user':{'id':'a','buyeruid':'b','geo':{'country':'USA','region':'MD'}}", NONE, NONE, NULL, false},
        {"'regs':{'gdpr':0},'device':{'geo':{'country':'USA'}},'user':{'geo':{'country':'CAN'}}", NONE, NONE,
         NULL, false},
        {"'device':{'geo':{'country':'FRA'}}", NONE, NONE, NULL, false},
    };
    run("sweep shapes", rows, sizeof rows / sizeof rows[0]);

    /* a data object naming its provider twice serves no targeting (it may not be first-party) */
    struct out o;
    eval("'user':{'data':[{'id':'pub1st','id':'dmp','segment':[{'id':'5'}]},{'name':'a','name':'a'}]}", &o);
    cr_expect(o.req.user.ndata == 2 && o.req.user.data[0].ambiguous && !o.req.user.data[1].ambiguous);
}

/* What the parser keeps of them: a repeated where-or-who keeps no value; lists that block join, lists that
 * allow keep what both copies allow. */
Test(privacy_fields, kept_values)
{
    struct out o;
    eval("'device':{'geo':{'country':'DEU','region':'BY','lat':1,'lon':2}},'device':{}", &o);
    cr_expect_eq(o.req.device.geo.country.n, 0, "a repeated device keeps no geo");
    cr_expect(!o.req.device.geo.has_lat && !o.req.device.geo.has_lon);
    eval("'device':{'geo':{'country':'DEU','country':'USA','region':'CA'}}", &o);
    cr_expect_eq(o.req.device.geo.country.n, 0);
    cr_expect(sv_eq_cstr(o.req.device.geo.region, "CA"), "the other members stay");
    eval("'user':{'gender':'M','gender':'F'}", &o);
    cr_expect_eq(o.req.user.gender.n, 0);
    eval("'user':{'data':[{'ext':{'segtax':4},'segment':[{'id':'1','id':'569'}]}]}", &o);
    cr_assert_eq(o.req.user.ndata, 1);
    cr_expect_eq(o.req.user.data[0].segment.n, 2, "both ids of the segment are kept (for what restricts)");
    cr_expect(o.req.user.data[0].ambiguous, "and the data object counts for no targeting");
    eval("'user':{'data':[{'segment':[{'id':'1'},{'id':'569'}]}]}", &o);
    cr_expect(!o.req.user.data[0].ambiguous);
    eval(
        "'bcat':['IAB7','IAB8'],'bcat':[],'badv':['a.example'],'badv':['b.example'],'bapp':['x'],'bapp':null",
        &o);
    cr_expect_eq(o.req.bcat.n, 2, "an empty second bcat lifts nothing");
    cr_expect(o.req.badv.n == 2 && sv_eq_cstr(o.req.badv.v[0], "a.example") &&
              sv_eq_cstr(o.req.badv.v[1], "b.example"));
    cr_expect_eq(o.req.bapp.n, 1);
    eval("'cur':['EUR','USD'],'cur':['usd','GBP']", &o);
    cr_expect(o.req.cur.n == 1 && sv_eq_cstr(o.req.cur.v[0], "usd"), "allowed by both copies");
    eval("'cur':['EUR'],'cur':['USD']", &o);
    cr_expect(o.req.cur.n == 1 && o.req.cur.v[0].n == 0,
              "nothing allowed by both: an entry matching nothing");
    eval("'cur':['EUR'],'cur':[]", &o);
    cr_expect(o.req.cur.n == 1 && sv_eq_cstr(o.req.cur.v[0], "EUR"), "an empty second copy lifts no limit");
    static char q[1024];
    snprintf(
        q, sizeof q, "%s",
        "{'id':'r','imp':[{'id':'1','banner':{'w':300,'h':250},'pmp':{'deals':[{'id':'d','wseat':['a','b'],"
        "'wseat':['b','c'],'wadomain':['x.example'],'wadomain':['y.example']}]}}]}");
    for (char *p = q; *p; p++)
        if (*p == '\'') *p = '"';
    struct arena a;
    arena_init(&a, amem, sizeof amem);
    struct ortb_error e;
    cr_assert_eq(ortb_parse(q, strlen(q), &a, &o.req, &e), 0, "%s", e.msg);
    const struct ortb_deal *d = &o.req.imp[0].pmp.deals[0];
    cr_expect(d->wseat.n == 1 && sv_eq_cstr(d->wseat.v[0], "b"));
    cr_expect(d->wadomain.n == 1 && d->wadomain.v[0].n == 0);
}

/* regs.ext.coppa (where some exchanges and SDKs put COPPA): read by the same rules as regs.coppa, and COPPA
 * applies if either says 1, so a bidder downstream that honours the ext copy never sees fairbid ignore it. A
 * 0 in one place and a 1 in the other is a conflict, and a conflict restricts. */
Test(privacy_fields, ext_coppa)
{
    static const struct row rows[] = {
        {"'regs':{'ext':{'coppa':1}}", NONE, REASON_MINOR_COPPA, "regs.ext.coppa = 1", true},
        {"'regs':{'coppa':0,'ext':{'coppa':1}}", NONE, REASON_MINOR_COPPA, "regs.ext.coppa = 1", true},
        {"'regs':{'coppa':1,'ext':{'coppa':0}}", NONE, REASON_MINOR_COPPA, "regs.coppa = 1", true},
        {"'regs':{'ext':{'coppa':0}},'user':{'yob':1980}", NONE, NONE, NULL, false},
        {"'regs':{'ext':{'coppa':1,'coppa':0}}", NONE, REASON_MINOR_COPPA, "regs.ext.coppa: duplicate key",
         true},
        {"'regs':{'ext':{'coppa':0,'coppa':0}}", NONE, REASON_MINOR_COPPA, "regs.ext.coppa: duplicate key",
         true},
        {"'regs':{'ext':{'coppa':0,'coppa':null}}", NONE, REASON_MINOR_COPPA, "regs.ext.coppa: duplicate key",
         true},
        {"'regs':{'ext':{'coppa':2}}", NONE, REASON_MINOR_COPPA, "regs.ext.coppa: out of range", true},
        {"'regs':{'ext':{'coppa':-1}}", NONE, REASON_MINOR_COPPA, "regs.ext.coppa: out of range", true},
        {"'regs':{'ext':{'coppa':'1'}}", NONE, REASON_MINOR_COPPA, "regs.ext.coppa: wrong type", true},
        {"'regs':{'ext':{'coppa':true}}", NONE, REASON_MINOR_COPPA, "regs.ext.coppa: wrong type", true},
        {"'regs':{'ext':{'coppa':1.5}}", NONE, REASON_MINOR_COPPA, "regs.ext.coppa: wrong type", true},
        {"'regs':{'ext':{'coppa':1e-400}}", NONE, REASON_MINOR_COPPA, "regs.ext.coppa: wrong type", true},
        {"'regs':{'coppa':0,'ext':{'coppa':[0]}}", NONE, REASON_MINOR_COPPA, "regs.ext.coppa: wrong type",
         true},
        /* keys are compared decoded; a repeated regs.ext is its own problem (it may carry GDPR) */
        {"'regs':{'ext':{'coppa':0,'\\u0063oppa':1}}", NONE, REASON_MINOR_COPPA,
         "regs.ext.coppa: duplicate key", true},
        {"'regs':{'ext':{'coppa':0},'ext':{'coppa':1}}", M, M, "regs.ext: duplicate key", true},
        /* clean twins: null is absent, 0 in both is no COPPA, 1.0 is 1 */
        {"'regs':{'ext':{'coppa':null}}", NONE, NONE, NULL, false},
        {"'regs':{'ext':{'coppa':null,'coppa':0}}", NONE, NONE, NULL, false},
        {"'regs':{'coppa':0,'ext':{'coppa':0}}", NONE, NONE, NULL, false},
        {"'regs':{'ext':{'coppa':1.0}}", NONE, REASON_MINOR_COPPA, "regs.ext.coppa = 1", true},
    };
    run("ext coppa", rows, sizeof rows / sizeof rows[0]);

    struct out o;
    eval("'regs':{'coppa':0,'ext':{'coppa':1}}", &o);
    cr_expect_eq(o.req.regs.coppa, 0);
    cr_expect_eq(o.req.regs.ext_coppa, 1);
    cr_expect_eq(o.req.priv.bad, 0, "a conflict is no malformed field: it restricts as COPPA");
    eval("'regs':{'ext':{'coppa':2}}", &o);
    cr_expect_eq(o.req.regs.ext_coppa, ORTB_UNSET, "a bad value keeps no value");
    cr_expect(o.req.priv.bad >> ORTB_PF_EXT_COPPA & 1);
    cr_expect_eq(o.req.priv.why[ORTB_PF_EXT_COPPA], ORTB_PFW_RANGE);
    eval("", &o);
    cr_expect_eq(o.req.regs.ext_coppa, ORTB_UNSET);
}
