/* fields: the one flat record every parser in the comparison fills, so each does the same extraction work.
 * Strings are (pointer, length) views into the input or into the library's own tree; they are only read
 * before the tree is freed (fields_digest). Fixed caps: the comparison inputs stay well below them. Shared by
 * the C drivers and the C++ simdjson shim, so it is plain C that C++ also accepts. */
#ifndef FAIRBID_BENCH_FIELDS_H
#define FAIRBID_BENCH_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FX_MAX_IMP 8
#define FX_MAX_FMT 8
#define FX_MAX_LIST 16
#define FX_MAX_DATA 4
#define FX_UNSET INT32_MIN

#ifdef __cplusplus
extern "C" {
#endif

struct fx_sv {
    const char *p;
    size_t n;
};

struct fx_list {
    uint32_t n;
    struct fx_sv v[FX_MAX_LIST];
};

struct fx_imp {
    struct fx_sv id, bidfloorcur;
    int32_t w, h;
    uint32_t nfmt;
    int32_t fw[FX_MAX_FMT], fh[FX_MAX_FMT];
    double bidfloor;
};

struct fx_data {
    int32_t segtax;
    struct fx_list seg;
};

/* What fairbid decides on (issue 2, "OpenRTB model"), the subset every driver extracts. */
struct fx_req {
    struct fx_sv id;
    int32_t tmax, at;
    struct fx_list cur, bcat, badv;
    uint32_t nimp;
    struct fx_imp imp[FX_MAX_IMP];
    struct fx_sv site_id, domain, bundle, publisher_id;
    struct fx_list cat;
    struct fx_sv ua, ip, country;
    double lat, lon;
    bool has_lat, has_lon;
    struct fx_sv user_id, buyeruid, gender, consent, ext_consent;
    int32_t yob;
    uint32_t ndata;
    struct fx_data data[FX_MAX_DATA];
    int32_t coppa, gdpr, gpc;
    struct fx_sv us_privacy, gpp;
    uint32_t ngpp_sid;
    int32_t gpp_sid[FX_MAX_LIST];
    bool dsa;
};

/* Sets every integer to FX_UNSET and everything else to zero. */
void fields_reset(struct fx_req *r);
/* A canonical text of the record (for checking that every driver extracted the same values). Returns its
 * length (truncated to cap). */
size_t fields_digest(const struct fx_req *r, char *out, size_t cap);

/* The drivers: parse + extract + free, one request, into *r (reset first). buf holds len bytes followed by at
 * least 64 zero bytes (simdjson's padding; yajl and cJSON want the NUL). Returns 0, or -1 when the library
 * rejected the input or a cap was hit. Not thread-safe (drivers keep their parser state in statics). */
int fx_parse_jsmn(const char *buf, size_t len, struct fx_req *r);
int fx_parse_cjson(const char *buf, size_t len, struct fx_req *r);
int fx_parse_jsonc(const char *buf, size_t len, struct fx_req *r);
int fx_parse_yajl(const char *buf, size_t len, struct fx_req *r);
int fx_parse_simdjson(const char *buf, size_t len, struct fx_req *r);
/* When set (checking only, not while timing), the tree-building drivers call it with the record before they
 * free the tree its strings point into. */
extern void (*fx_before_free)(const struct fx_req *r);
/* Library versions, for the report. */
const char *fx_simdjson_version(void);

#ifdef __cplusplus
}
#endif

#endif
