/* ortb: the OpenRTB 2.6 BidRequest fields fairbid decides on, parsed into plain structs in a per-request
 * arena. Strings are views into the caller's copy of the body (or into the arena when they held escapes).
 * Unknown keys are skipped (but still validated as JSON). 2.5-era `ext` locations of privacy fields are kept
 * separately so the consent rules can apply the "2.6 core wins, ext is the fallback" order and notice
 * malformed values. */
#ifndef FAIRBID_FILTERS_ORTB_H
#define FAIRBID_FILTERS_ORTB_H

#include <stdbool.h>
#include <stdint.h>
#include "filters/arena.h"
#include "filters/json.h"
#include "filters/sv.h"

/* Hard caps: past them a request is rejected (400), never silently truncated, because truncating bcat or a
 * consent list could turn a block into a bid. */
#define ORTB_MAX_IMP 64
#define ORTB_MAX_FORMAT 64
#define ORTB_MAX_LIST 1024    /* bcat, badv, cat, cur, gpp_sid, eids */
#define ORTB_MAX_DATA 64      /* user.data[] */
#define ORTB_MAX_SEGMENT 1024 /* segments per data object */

#define ORTB_UNSET INT32_MIN /* integer field absent */

struct ortb_list { /* list of strings */
    struct sv *v;
    uint32_t n;
};

struct ortb_format {
    int32_t w, h;
};

#define ORTB_MAX_DURS 32   /* video/audio rqddurs */
#define ORTB_MAX_DEALS 64  /* pmp.deals */
#define ORTB_MAX_ASSETS 64 /* native request assets */

/* imp.video or imp.audio: what a creative must satisfy (filters/media.h matches them). Integers are
 * ORTB_UNSET when absent. protocols is a bit mask of protocol ids 1..31 (0 = not given; bit 0 alone = given,
 * but no id fairbid knows is left, so no creative fits: ORTB_PROTO_NONE). */
#define ORTB_PROTO_NONE 1u
struct ortb_av {
    struct ortb_list mimes;
    int32_t minduration, maxduration;
    int32_t *rqddurs;
    uint32_t nrqddurs;
    uint32_t protocols;
    int32_t w, h, placement, plcmt, linearity, skip, skipmin, skipafter, startdelay;
    bool
        seen; /* the object was read once: a second copy, or a scalar above given twice with different
                 values, leaves the imp without this media (no match: which copy the player has is unknown) */
};

/* Native 1.2 request asset (filters/native.h). */
enum ortb_asset_kind {
    ORTB_ASSET_NONE = 0,
    ORTB_ASSET_TITLE,
    ORTB_ASSET_IMG,
    ORTB_ASSET_DATA,
    ORTB_ASSET_VIDEO
};
struct ortb_native_asset {
    int32_t id;
    bool required;
    uint8_t kind; /* enum ortb_asset_kind */
    int32_t len;  /* title.len / data.len, ORTB_UNSET when absent */
    int32_t type; /* img.type (1 icon, 3 main) / data.type, ORTB_UNSET when absent */
    int32_t w, h, wmin, hmin;
};

/* imp.native: the request string parsed at request-parse time; a request we cannot read leaves ok false
 * (the imp gets no native bid: match.native.request), it never rejects the whole bid request. */
struct ortb_native {
    bool ok;
    const char *why; /* static: why the native request could not be read */
    struct ortb_native_asset *assets;
    uint32_t nassets;
};

/* Repeated keys of the trading terms (imp, pmp, deal) take the reading that never lets fairbid bid where
 * one copy forbids it: the higher bidfloor, private_auction 1 if any copy says so (or says anything but 0),
 * the intersection of mimes, wseat and wadomain. Where no reading is safe the request is refused (400 naming
 * the field): a bidfloorcur, imp.id or deal id given twice with different values, pmp.deals given twice, a
 * deal id listed twice in one imp. */
struct ortb_deal {
    struct sv id;
    double bidfloor;       /* 0 when absent */
    struct sv bidfloorcur; /* empty = USD */
    struct ortb_list wseat, wadomain;
};

struct ortb_pmp {
    int32_t private_auction; /* 0 when absent; 1 when any copy is 1 or out of range */
    bool has_deals;          /* pmp.deals was given (even empty): a second copy is refused */
    struct ortb_deal *deals;
    uint32_t ndeals;
};

struct ortb_imp {
    struct sv id;
    bool has_banner, has_video, has_audio, has_native;
    bool banner_seen;           /* imp.banner was read once: a second copy leaves the imp without a banner */
    int32_t banner_w, banner_h; /* ORTB_UNSET when absent */
    struct ortb_format *format;
    uint32_t nformat;
    double bidfloor;       /* 0 when absent */
    struct sv bidfloorcur; /* empty = USD per spec */
    struct ortb_av video, audio;
    struct ortb_native native;
    struct ortb_pmp pmp;
};

struct ortb_data {
    struct sv id, name;
    int32_t segtax;           /* data.ext.segtax, ORTB_UNSET when absent */
    struct ortb_list segment; /* segment[].id */
    bool ambiguous;           /* a segment of it gave its id twice, or the object its id or name twice with
                                 different values (who provides it, e.g. first-party, is unknowable): both
                                 segment ids are in `segment`, and they count
                                 for what restricts (sensitive, vulnerable) but never for targeting or a
                                 fairness group, as no reading tells which id the segment is */
};

enum ortb_context { ORTB_CTX_NONE = 0, ORTB_CTX_SITE, ORTB_CTX_APP, ORTB_CTX_DOOH };

/* site, app or dooh: whichever the request carries (at most one, else the request is rejected). */
struct ortb_context_obj {
    enum ortb_context kind;
    struct sv id, domain, bundle, publisher_id;
    /* cat, sectioncat and pagecat of site/app/dooh, joined: the context is every category any of them (or any
     * repeated copy of them) names, so a second copy can never hide one */
    struct ortb_list cat;
    int32_t cattax;               /* ORTB_UNSET when absent (spec default: 1) */
    struct ortb_list content_cat; /* content.cat, repeated copies joined likewise */
    int32_t content_cattax;
};

struct ortb_geo {
    bool present;
    struct sv country, region, zip;
    double lat, lon;
    bool has_lat, has_lon;
    int32_t type;
};

struct ortb_device {
    bool present;
    struct sv ua, ip, ipv6, ifa;
    struct ortb_geo geo;
    int32_t dnt, lmt, devicetype;
};

/* A privacy field read from a location that may hold the wrong JSON type: we remember that it was present but
 * malformed, so the consent rules can fail toward privacy instead of treating it as absent. */
enum ortb_sig { ORTB_SIG_ABSENT = 0, ORTB_SIG_OK, ORTB_SIG_MALFORMED };

/* Every privacy-relevant field is read through one table-driven reader (ortb_pf[] in ortb.c: path, JSON type,
 * allowed range, what a bad value means). A field given twice (a second time after a non-null value), of the
 * wrong type or out of range is "bad": its value is dropped (ORTB_UNSET / ORTB_SIG_MALFORMED) and its bit set
 * in ortb_privacy.bad, so consent_eval restricts and names the field. The enum order is the reporting order:
 * the fields whose damage forbids every bid first. Containers (regs, regs.ext, user.ext, regs.ext.dsa) count
 * as fields: a repeated one is bad, and regs.ext / user.ext / dsa of the wrong type too (regs itself of the
 * wrong type stays a 400, which refuses more). */
enum ortb_pf {
    ORTB_PF_REGS,           /* regs given twice */
    ORTB_PF_USER,           /* user given twice with a consent string (user.consent / user.ext.consent) in
                               either copy (ORTB_PF_USER_DUP below without one) */
    ORTB_PF_GDPR,           /* regs.gdpr: 0 or 1 */
    ORTB_PF_REGS_EXT,       /* regs.ext: an object */
    ORTB_PF_EXT_GDPR,       /* regs.ext.gdpr: 0 or 1 */
    ORTB_PF_CONSENT,        /* user.consent: a string */
    ORTB_PF_USER_EXT,       /* user.ext: an object */
    ORTB_PF_EXT_CONSENT,    /* user.ext.consent: a string */
    ORTB_PF_GPP_SID,        /* regs.gpp_sid: an array of integers 0..65535 */
    ORTB_PF_EXT_GPP_SID,    /* regs.ext.gpp_sid (the 2.5 location Prebid promotes from): likewise */
    ORTB_PF_COPPA,          /* regs.coppa: 0 or 1 */
    ORTB_PF_EXT_COPPA,      /* regs.ext.coppa (where some exchanges and SDKs put it): likewise */
    ORTB_PF_YOB,            /* user.yob: 1901..9999 here; a year in the future is checked by consent_eval */
    ORTB_PF_US_PRIVACY,     /* regs.us_privacy: a string */
    ORTB_PF_EXT_US_PRIVACY, /* regs.ext.us_privacy: a string */
    ORTB_PF_GPP,            /* regs.gpp: a string */
    ORTB_PF_EXT_GPP,        /* regs.ext.gpp: a string */
    ORTB_PF_USER_DATA,      /* user.data given twice (the array itself: a wrong type stays a 400) */
    ORTB_PF_DATA_EXT,       /* user.data[].ext given twice in one data object */
    ORTB_PF_SEGMENT,        /* user.data[].segment given twice in one data object */
    ORTB_PF_SEGTAX,         /* user.data[].ext.segtax: an integer 1..65535, once */
    ORTB_PF_GPC,            /* regs.ext.gpc: 0, 1, "0" or "1" */
    ORTB_PF_DSA,            /* regs.ext.dsa: an object */
    ORTB_PF_LMT,            /* device.lmt: 0 or 1 */
    ORTB_PF_DNT,            /* device.dnt: 0 or 1 (the browser's Do Not Track) */
    /* Where the person is (jurisdiction, targeting.countries, precise geo) and who (user.gender, fairness
     * groups): given twice, each is bad and keeps no value. Their wrong types stay a 400, as before. */
    ORTB_PF_DEVICE,      /* device given twice (its geo is dropped: the copies' merge is no reading) */
    ORTB_PF_GEO,         /* device.geo given twice (dropped) */
    ORTB_PF_GEO_COUNTRY, /* device.geo.country given twice */
    ORTB_PF_GEO_REGION,  /* device.geo.region given twice */
    ORTB_PF_GEO_LAT,     /* device.geo.lat / lon given twice (both dropped) */
    ORTB_PF_GEO_LON,
    ORTB_PF_USER_DUP, /* user given twice: the copies merge, which no reading of the request gives */
    ORTB_PF_GENDER,   /* user.gender given twice (dropped: the fairness group is "unknown") */
    /* user.geo (where the user says they live): read for the jurisdiction only, whose rules are then those of
     * every place device.geo and user.geo name (filters/jurisdiction.c). Given twice: dropped. */
    ORTB_PF_UGEO,         /* user.geo given twice */
    ORTB_PF_UGEO_COUNTRY, /* user.geo.country given twice */
    ORTB_PF_UGEO_REGION,  /* user.geo.region given twice */
    /* Who the user is for the advertiser's consent store (bidder/consent: buyeruid, else id): given twice,
     * which record holds an opt-out or a minor flag is unknowable, so neither is looked up and the user may
     * be a minor (ORTB_PFC_HIDDEN). */
    ORTB_PF_USER_ID,  /* user.id given twice */
    ORTB_PF_BUYERUID, /* user.buyeruid given twice */
    /* user.ext.data (Prebid's older place for user.data) not an array, given twice, or holding a member of
     * another shape (a data object, segment list, segment or id that is not what user.data's would be): it
     * may hide a vulnerability segment (ORTB_PFC_HIDDEN), and a real exchange may send it, so it is never a
     * 400 as user.data's would be */
    ORTB_PF_USER_EXT_DATA,
    ORTB_PF_N
};

/* ORTB_PFW_CASE: the field's key spelled in another case or with a Unicode fold ("GDPR", "Regs", "uſer"), as
 * a case-folding decoder (Go's encoding/json) reads it and fairbid's exact match does not. */
enum ortb_pf_why { ORTB_PFW_OK = 0, ORTB_PFW_DUP, ORTB_PFW_TYPE, ORTB_PFW_RANGE, ORTB_PFW_CASE, ORTB_PFW_N };

/* What a bad value of the field means for the consent rules. */
enum ortb_pf_class {
    ORTB_PFC_ALL,      /* consent.malformed, no bid at all: GDPR may apply and no consent can be read */
    ORTB_PFC_PERSONAL, /* consent.malformed: no personal-data targeting */
    ORTB_PFC_COPPA,    /* minor.coppa: the user may be a child */
    ORTB_PFC_AGE,      /* minor.age: the user may be a minor */
    ORTB_PFC_HIDDEN,   /* consent.malformed, and the user may be a minor or vulnerable: the field can carry a
                          known-child flag (GPP) or a vulnerability segment (user.data) we could not read */
};

struct ortb_pf_def {
    const char *path;
    uint8_t type; /* ortb.c's PT_* */
    uint8_t cls;  /* enum ortb_pf_class */
    int32_t min, max;
    const char *detail[ORTB_PFW_N]; /* by enum ortb_pf_why: "regs.coppa: duplicate key", ... (static) */
};
extern const struct ortb_pf_def ortb_pf[ORTB_PF_N];

struct ortb_privacy {
    uint64_t seen;          /* bit f: field f had a non-null value */
    uint64_t bad;           /* bit f: field f is bad; why[f] says how (the first problem found) */
    uint8_t why[ORTB_PF_N]; /* enum ortb_pf_why */
};

struct ortb_user {
    bool present;
    struct sv id, buyeruid, gender;
    struct ortb_geo geo; /* country and region only (lat/lon are never read from user.geo) */
    int32_t yob;         /* ORTB_UNSET when absent or bad (see ortb_privacy) */
    struct sv consent;   /* 2.6 user.consent */
    enum ortb_sig consent_sig;
    struct sv ext_consent; /* 2.5 user.ext.consent */
    enum ortb_sig ext_consent_sig;
    struct ortb_data
        *data; /* user.data, then user.ext.data's objects (each `ambiguous`: they restrict only) */
    uint32_t ndata;
    struct ortb_list eid_sources;     /* user.eids[].source */
    struct ortb_list ext_eid_sources; /* user.ext.eids[].source */
};

struct ortb_regs {
    bool present;
    int32_t coppa;          /* 0 or 1; ORTB_UNSET when absent or bad */
    int32_t ext_coppa;      /* regs.ext.coppa, likewise; COPPA applies if either is 1 (consent_eval) */
    int32_t gdpr;           /* 2.6 regs.gdpr, 0 or 1; ORTB_UNSET when absent or bad */
    enum ortb_sig gdpr_sig; /* MALFORMED: not an integer, not 0/1, or given twice */
    int32_t ext_gdpr;       /* 2.5 regs.ext.gdpr */
    enum ortb_sig ext_gdpr_sig;
    struct sv us_privacy;
    enum ortb_sig us_privacy_sig;
    struct sv ext_us_privacy;
    enum ortb_sig ext_us_privacy_sig;
    struct sv gpp;
    enum ortb_sig gpp_sig;
    uint16_t *gpp_sid;
    uint32_t ngpp_sid;
    enum ortb_sig gpp_sid_sig;
    struct sv ext_gpp; /* 2.5-era regs.ext.gpp / regs.ext.gpp_sid (read for what restricts, see consent.c) */
    enum ortb_sig ext_gpp_sig;
    uint16_t *ext_gpp_sid;
    uint32_t ext_ngpp_sid;
    enum ortb_sig ext_gpp_sid_sig;
    bool has_dsa; /* regs.ext.dsa present */
    int32_t gpc;  /* regs.ext.gpc (0/1 or "0"/"1"), ORTB_UNSET when absent or bad */
    enum ortb_sig gpc_sig;
    enum ortb_sig ext_sig; /* regs.ext not an object */
};

struct ortb_request {
    struct sv id;
    int32_t tmax, at, cattax, test;
    struct ortb_list cur, bcat, badv, bapp;
    struct ortb_imp *imp;
    uint32_t nimp;
    struct ortb_context_obj ctx;
    struct ortb_device device;
    struct ortb_user user;
    struct ortb_regs regs;
    struct ortb_privacy priv; /* which privacy fields were bad, and how (see enum ortb_pf) */
};

enum ortb_err {
    ORTB_OK = 0,
    ORTB_EJSON = -1,     /* not well-formed JSON; details in the json state */
    ORTB_ESHAPE = -2,    /* JSON, but not an object */
    ORTB_EREQUIRED = -3, /* id, imp or imp.id missing or empty */
    ORTB_EINVALID = -4, /* breaks an OpenRTB rule fairbid decides on (duplicate imp ids, site and app, ...) */
    ORTB_ELIMIT = -5,   /* more entries than a hard cap */
    ORTB_ENOMEM = -6,   /* the arena ran out */
};

struct ortb_error {
    int code;          /* enum ortb_err */
    const char *msg;   /* static text */
    const char *field; /* static path of the field, or NULL */
    size_t offset;     /* byte offset into the body */
};

/* Parses body[0..len) into *req (zeroed first). Strings point into body or the arena; both must outlive req.
 * Returns 0 or a negative enum ortb_err and fills *err. Cost: one pass over the body, no malloc. */
int ortb_parse(const char *body, size_t len, struct arena *arena, struct ortb_request *req,
               struct ortb_error *err);

/* Callbacks into the caller while the parse runs, so it can start work that depends on a field before the
 * rest of the body has been parsed (the consent mirror prefetches the user's record and the miss overlaps the
 * remaining ~40% of the parse). NULL members are skipped. Hints only: a callback may fire for a request that
 * is rejected later, and must not change the outcome of the parse. */
struct ortb_hooks {
    /* At the end of each well-formed `user` object: its key, user.buyeruid if non-empty, else user.id; not
     * called when both are empty. Once per request unless the body repeats `user` (then once per object,
     * with the fields as merged so far). key points into the body or the arena, valid as long as req. A
     * prefetch hint only: a request whose user.id or user.buyeruid turns out bad (given twice) keeps no key
     * after the parse (ortb.c: no consent-store lookup), though the hook was called. */
    void (*user_key)(void *arg, struct sv key);
    void *arg;
};

/* ortb_parse with hooks (h may be NULL: exactly ortb_parse). Same results and errors as ortb_parse. */
int ortb_parse_ex(const char *body, size_t len, struct arena *arena, struct ortb_request *req,
                  struct ortb_error *err, const struct ortb_hooks *h);
const char *ortb_strerror(int code);

#endif
