/* json_compare: ns per request and MB/s of fairbid's ortb_parse against jsmn, yajl, cJSON, json-c and
 * simdjson, each extracting the same fields (fields.h) from the same bodies. First every driver's extraction
 * is checked against ortb_parse's (a canonical digest); then the drivers are timed round-robin, several runs
 * each, and the medians printed as Markdown tables.
 *
 * usage: bench_json_compare [--runs N] [--ms MS] FILE...   (MS: target duration of one timed run) */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <json-c/json_c_version.h>
#include <yajl/yajl_version.h>

#include "bench/bench_stats.h"
#include "bench/json_compare/fields.h"
#include "bidder/common/clock.h"
#include "filters/arena.h"
#include "filters/ortb.h"

#define PAD 64 /* zero bytes after each body: simdjson's padding, and the NUL yajl and cJSON want */
#define MAX_INPUTS 16
#define MAX_RUNS 64

/* ---- the shared record ---- */

void fields_reset(struct fx_req *r)
{
    memset(r, 0, sizeof *r);
    r->tmax = r->at = r->yob = r->coppa = r->gdpr = r->gpc = FX_UNSET;
    for (int i = 0; i < FX_MAX_IMP; i++) r->imp[i].w = r->imp[i].h = FX_UNSET;
    for (int i = 0; i < FX_MAX_DATA; i++) r->data[i].segtax = FX_UNSET;
}

struct dg {
    char *p;
    size_t n, cap;
};

static void dg_printf(struct dg *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dg_printf(struct dg *d, const char *fmt, ...)
{
    if (d->n >= d->cap) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(d->p + d->n, d->cap - d->n, fmt, ap);
    va_end(ap);
    if (w > 0) d->n += (size_t)w;
    if (d->n > d->cap) d->n = d->cap;
}

static void dg_sv(struct dg *d, const char *name, struct fx_sv s)
{
    if (!s.p)
        dg_printf(d, "%s=- ", name);
    else
        dg_printf(d, "%s=\"%.*s\" ", name, (int)s.n, s.p);
}

static void dg_list(struct dg *d, const char *name, const struct fx_list *l)
{
    dg_printf(d, "%s=[", name);
    for (uint32_t i = 0; i < l->n; i++) dg_sv(d, "", l->v[i]);
    dg_printf(d, "] ");
}

size_t fields_digest(const struct fx_req *r, char *out, size_t cap)
{
    struct dg d = {out, 0, cap};
    dg_sv(&d, "id", r->id);
    dg_printf(&d, "tmax=%d at=%d ", r->tmax, r->at);
    dg_list(&d, "cur", &r->cur);
    dg_list(&d, "bcat", &r->bcat);
    dg_list(&d, "badv", &r->badv);
    for (uint32_t i = 0; i < r->nimp; i++) {
        const struct fx_imp *m = &r->imp[i];
        dg_sv(&d, "\nimp.id", m->id);
        dg_printf(&d, "w=%d h=%d floor=%.6g ", m->w, m->h, m->bidfloor);
        dg_sv(&d, "cur", m->bidfloorcur);
        for (uint32_t f = 0; f < m->nfmt; f++) dg_printf(&d, "fmt=%dx%d ", m->fw[f], m->fh[f]);
    }
    dg_sv(&d, "\nsite.id", r->site_id);
    dg_sv(&d, "domain", r->domain);
    dg_sv(&d, "bundle", r->bundle);
    dg_sv(&d, "pub", r->publisher_id);
    dg_list(&d, "cat", &r->cat);
    dg_sv(&d, "\nua", r->ua);
    dg_sv(&d, "ip", r->ip);
    dg_sv(&d, "country", r->country);
    if (r->has_lat) dg_printf(&d, "lat=%.9g ", r->lat);
    if (r->has_lon) dg_printf(&d, "lon=%.9g ", r->lon);
    dg_sv(&d, "\nuser", r->user_id);
    dg_sv(&d, "buyeruid", r->buyeruid);
    dg_sv(&d, "gender", r->gender);
    dg_printf(&d, "yob=%d ", r->yob);
    dg_sv(&d, "consent", r->consent);
    dg_sv(&d, "ext.consent", r->ext_consent);
    for (uint32_t i = 0; i < r->ndata; i++) {
        dg_printf(&d, "\ndata segtax=%d ", r->data[i].segtax);
        dg_list(&d, "seg", &r->data[i].seg);
    }
    dg_printf(&d, "\nregs coppa=%d gdpr=%d gpc=%d dsa=%d ", r->coppa, r->gdpr, r->gpc, r->dsa);
    dg_sv(&d, "usp", r->us_privacy);
    dg_sv(&d, "gpp", r->gpp);
    dg_printf(&d, "sid=[");
    for (uint32_t i = 0; i < r->ngpp_sid; i++) dg_printf(&d, "%d ", r->gpp_sid[i]);
    dg_printf(&d, "]");
    return d.n;
}

void (*fx_before_free)(const struct fx_req *r);

static char g_got[8192];
static size_t g_got_n;

static void digest_now(const struct fx_req *r)
{
    g_got_n = fields_digest(r, g_got, sizeof g_got);
}

/* ---- our parser as a driver ---- */

static char g_arena_mem[64 * 1024];
static struct arena g_arena;
static struct ortb_request g_req;
static bool g_convert; /* fill the shared record too (checking only; not timed) */

static struct fx_sv fsv(struct sv s)
{
    struct fx_sv o = {s.p, s.n};
    return o;
}

static void flist(struct fx_list *o, const struct ortb_list *l)
{
    for (uint32_t i = 0; i < l->n && i < FX_MAX_LIST; i++) o->v[o->n++] = fsv(l->v[i]);
}

static void ortb_to_fields(const struct ortb_request *q, struct fx_req *r)
{
    fields_reset(r);
    r->id = fsv(q->id);
    r->tmax = q->tmax;
    r->at = q->at;
    flist(&r->cur, &q->cur);
    flist(&r->bcat, &q->bcat);
    flist(&r->badv, &q->badv);
    for (uint32_t i = 0; i < q->nimp && i < FX_MAX_IMP; i++, r->nimp++) {
        const struct ortb_imp *m = &q->imp[i];
        struct fx_imp *o = &r->imp[i];
        o->id = fsv(m->id);
        o->bidfloorcur = fsv(m->bidfloorcur);
        o->w = m->banner_w;
        o->h = m->banner_h;
        o->bidfloor = m->bidfloor;
        for (uint32_t f = 0; f < m->nformat && f < FX_MAX_FMT; f++, o->nfmt++) {
            o->fw[f] = m->format[f].w;
            o->fh[f] = m->format[f].h;
        }
    }
    r->site_id = fsv(q->ctx.id);
    r->domain = fsv(q->ctx.domain);
    r->bundle = fsv(q->ctx.bundle);
    r->publisher_id = fsv(q->ctx.publisher_id);
    flist(&r->cat, &q->ctx.cat);
    r->ua = fsv(q->device.ua);
    r->ip = fsv(q->device.ip);
    r->country = fsv(q->device.geo.country);
    r->has_lat = q->device.geo.has_lat;
    r->has_lon = q->device.geo.has_lon;
    r->lat = q->device.geo.lat;
    r->lon = q->device.geo.lon;
    r->user_id = fsv(q->user.id);
    r->buyeruid = fsv(q->user.buyeruid);
    r->gender = fsv(q->user.gender);
    r->yob = q->user.yob;
    r->consent = fsv(q->user.consent);
    r->ext_consent = fsv(q->user.ext_consent);
    for (uint32_t i = 0; i < q->user.ndata && i < FX_MAX_DATA; i++, r->ndata++) {
        r->data[i].segtax = q->user.data[i].segtax;
        flist(&r->data[i].seg, &q->user.data[i].segment);
    }
    r->coppa = q->regs.coppa;
    r->gdpr = q->regs.gdpr;
    r->gpc = q->regs.gpc;
    r->dsa = q->regs.has_dsa;
    r->us_privacy = fsv(q->regs.us_privacy);
    r->gpp = fsv(q->regs.gpp);
    for (uint32_t i = 0; i < q->regs.ngpp_sid && i < FX_MAX_LIST; i++)
        r->gpp_sid[r->ngpp_sid++] = q->regs.gpp_sid[i];
}

static int fx_parse_ortb(const char *buf, size_t len, struct fx_req *r)
{
    struct ortb_error err;
    arena_reset(&g_arena);
    if (ortb_parse(buf, len, &g_arena, &g_req, &err) != ORTB_OK) return -1;
    if (g_convert) ortb_to_fields(&g_req, r);
    return 0;
}

/* The cost of clearing the shared record, which every library driver pays and ortb_parse does not (it clears
 * its own, smaller, struct instead): subtract it for the pure library cost. */
static int fx_parse_reset_only(const char *buf, size_t len, struct fx_req *r)
{
    (void)buf;
    (void)len;
    fields_reset(r);
    return 0;
}

/* ---- harness ---- */

struct driver {
    const char *name;
    const char *what;
    int (*parse)(const char *buf, size_t len, struct fx_req *r);
    bool ok[MAX_INPUTS];
    double med[MAX_INPUTS];
};

struct input {
    const char *path;
    const char *name;
    char *buf;
    size_t len;
};

static volatile uint32_t g_sink;

static double time_run(const struct driver *d, const struct input *in, long iters, struct fx_req *r)
{
    uint64_t t0 = fb_clock_thread_cpu_ns();
    for (long i = 0; i < iters; i++) {
        d->parse(in->buf, in->len, r);
        g_sink += r->nimp;
    }
    return (double)(fb_clock_thread_cpu_ns() - t0) / (double)iters;
}

static int load(struct input *in, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    /* 64-byte aligned, padded with zeros, the way a server would hold the body */
    in->buf = aligned_alloc(64, ((size_t)n + PAD + 63) / 64 * 64);
    if (!in->buf || fread(in->buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        return -1;
    }
    fclose(f);
    memset(in->buf + n, 0, PAD);
    in->len = (size_t)n;
    in->path = path;
    const char *slash = strrchr(path, '/');
    in->name = slash ? slash + 1 : path;
    return 0;
}

int main(int argc, char **argv)
{
    int runs = 7;
    long ms = 40;
    struct input in[MAX_INPUTS];
    int nin = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--ms") && i + 1 < argc)
            ms = atol(argv[++i]);
        else if (nin < MAX_INPUTS) {
            if (load(&in[nin], argv[i])) return 1;
            nin++;
        }
    }
    if (nin == 0 || runs < 1 || runs > MAX_RUNS || ms < 1) {
        fprintf(stderr, "usage: %s [--runs N] [--ms MS] FILE...\n", argv[0]);
        return 2;
    }
    arena_init(&g_arena, g_arena_mem, sizeof g_arena_mem);

    static char yv[16];
    snprintf(yv, sizeof yv, "%d.%d.%d", YAJL_MAJOR, YAJL_MINOR, YAJL_MICRO);
    static char cv[16];
    snprintf(cv, sizeof cv, "%d.%d.%d", CJSON_VERSION_MAJOR, CJSON_VERSION_MINOR, CJSON_VERSION_PATCH);
    struct driver drv[] = {
        {"fairbid ortb_parse", "pull parser, no tree, validates all", fx_parse_ortb, {0}, {0}},
        {"simdjson DOM", fx_simdjson_version(), fx_parse_simdjson, {0}, {0}},
        {"jsmn (strict)", "1.1.0, tokens only, no unescape", fx_parse_jsmn, {0}, {0}},
        {"cJSON", cv, fx_parse_cjson, {0}, {0}},
        {"yajl tree", yv, fx_parse_yajl, {0}, {0}},
        {"json-c", JSON_C_VERSION, fx_parse_jsonc, {0}, {0}},
        {"(record reset only)", "baseline paid by every library driver", fx_parse_reset_only, {0}, {0}},
    };
    int ndrv = (int)(sizeof drv / sizeof drv[0]);
    static struct fx_req rec, ref;
    static char want[8192];
    int bad = 0;

    /* 1. same extraction everywhere */
    for (int k = 0; k < nin; k++) {
        g_convert = true;
        if (fx_parse_ortb(in[k].buf, in[k].len, &ref)) {
            fprintf(stderr, "%s: ortb_parse rejects it\n", in[k].path);
            return 1;
        }
        size_t wn = fields_digest(&ref, want, sizeof want);
        for (int d = 1; d < ndrv - 1; d++) {
            fields_reset(&rec);
            g_got_n = 0;
            fx_before_free = digest_now;
            int rc = drv[d].parse(in[k].buf, in[k].len, &rec);
            fx_before_free = NULL;
            if (g_got_n == 0) digest_now(&rec); /* drivers whose views outlive the call */
            size_t gn = g_got_n;
            const char *got = g_got;
            drv[d].ok[k] = rc == 0 && gn == wn && memcmp(want, got, wn) == 0;
            if (!drv[d].ok[k]) {
                bad++;
                fprintf(stderr, "MISMATCH %s on %s (rc %d)\n--- ortb_parse:\n%.*s\n--- %s:\n%.*s\n",
                        drv[d].name, in[k].name, rc, (int)wn, want, drv[d].name, (int)gn, got);
            }
        }
        drv[0].ok[k] = drv[ndrv - 1].ok[k] = true;
        g_convert = false;
    }

    /* 2. timing: per input, calibrate each driver to ~ms per run, then round-robin runs so noise from the
     * other tenants of the machine spreads over every driver alike */
    static double samples[8][MAX_RUNS];
    for (int k = 0; k < nin; k++) {
        long iters[8];
        for (int d = 0; d < ndrv; d++) {
            double t = time_run(&drv[d], &in[k], 200, &rec);
            iters[d] = (long)((double)ms * 1e6 / (t > 1 ? t : 1));
            if (iters[d] < 100) iters[d] = 100;
        }
        for (int r = 0; r < runs; r++)
            for (int d = 0; d < ndrv; d++) samples[d][r] = time_run(&drv[d], &in[k], iters[d], &rec);
        for (int d = 0; d < ndrv; d++) drv[d].med[k] = bench_median(samples[d], runs);
    }

    /* 3. tables */
    printf("Median ns of CPU time per request (parse + extract + free), %d runs of ~%ld ms each:\n\n| parser "
           "| version / "
           "notes |",
           runs, ms);
    for (int k = 0; k < nin; k++) printf(" %s (%zu B) |", in[k].name, in[k].len);
    printf("\n|---|---|");
    for (int k = 0; k < nin; k++) printf("---:|");
    printf("\n");
    for (int d = 0; d < ndrv; d++) {
        printf("| %s | %s |", drv[d].name, drv[d].what);
        for (int k = 0; k < nin; k++) printf(" %.0f%s |", drv[d].med[k], drv[d].ok[k] ? "" : " (MISMATCH)");
        printf("\n");
    }
    printf("\nMB/s (input bytes / median time):\n\n| parser |");
    for (int k = 0; k < nin; k++) printf(" %s |", in[k].name);
    printf("\n|---|");
    for (int k = 0; k < nin; k++) printf("---:|");
    printf("\n");
    for (int d = 0; d < ndrv - 1; d++) {
        printf("| %s |", drv[d].name);
        for (int k = 0; k < nin; k++) printf(" %.0f |", (double)in[k].len / drv[d].med[k] * 1e3);
        printf("\n");
    }
    printf("\nExtraction check against ortb_parse: %s\n",
           bad ? "MISMATCHES (see stderr)" : "all drivers agree");
    return bad ? 3 : 0;
}
