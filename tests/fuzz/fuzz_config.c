/* libFuzzer target for bidder/config: config_parse over arbitrary bytes. A rejected config must come with a
 * message that names the file and a line inside it; an accepted one must hold only validated campaigns.
 * config_parse is pure (the policy file is read by the separate load step, config_load_policy), so any input
 * may be fed: no path needs to be kept away from it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/config/config.h"
#include "bidder/obs/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet) {
        log_set_level(LOG_ERROR); /* unknown keys are logged at warn level: not interesting here */
        quiet = 1;
    }
    static const char name[] = "/nonexistent-fairbid-fuzz/f.json";
    char err[512] = "";
    struct config *c = config_parse(name, (const char *)data, size, NULL, err, sizeof err);
    if (!c) {
        size_t nl = sizeof name - 1;
        if (strncmp(err, name, nl) != 0) abort(); /* parsing reads no other file */
        if (err[nl] == ':' && err[nl + 1] >= '0' && err[nl + 1] <= '9') {
            long line = strtol(err + nl + 1, NULL, 10);
            long lines = 1;
            for (size_t i = 0; i < size; i++) lines += data[i] == '\n';
            if (line < 1 || line > lines) abort();
        }
        return 0;
    }
    if (c->campaigns.n > CAMPAIGN_MAX || strlen(c->currency) != 3) abort();
    if (c->threads < 1 || c->threads > 256) abort();
    if (c->no_bid_status != 204 && c->no_bid_status != 200) abort();
    for (uint32_t i = 0; i < c->campaigns.n; i++) {
        const struct campaign *k = &c->campaigns.v[i];
        /* banner formats with adm/nurl, or typed creatives (docs/formats.md) */
        if (!k->id.n || !k->crid.n || !(k->nformats || k->ncreatives) || k->bid_micros <= 0) abort();
        if (k->nformats && !k->adm.n && !k->nurl.n) abort();
        for (uint32_t f = 0; f < k->nformats; f++)
            if (k->formats[f].w < 1 || k->formats[f].h < 1) abort();
        if (k->t.has_age && k->t.age_min > k->t.age_max) abort();
        for (uint32_t n = 0; n < k->t.countries.n; n++)
            if (k->t.countries.v[n].n != 3) abort();
        if (k->personal != (k->t.nsegments > 0 || k->t.has_age || k->t.gender_mask != 0 || k->t.has_near))
            abort();
        for (uint32_t p = 0; p < i; p++)
            if (sv_eq(c->campaigns.v[p].id, k->id)) abort();
    }
    config_free(c);
    return 0;
}
