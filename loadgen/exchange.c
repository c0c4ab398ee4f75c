/* exchange: BidResponse parsing, competing prices, win notices; see exchange.h. */
#include "loadgen/exchange.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "filters/arena.h"
#include "filters/json.h"

static void parse_bid(struct json *j, struct exch_resp *r)
{
    struct exch_bid b = {0};
    struct sv key;
    if (!json_obj_begin(j)) return;
    while (json_obj_next(j, &key)) {
        if (sv_eq_cstr(key, "price"))
            json_double(j, &b.price);
        else if (sv_eq_cstr(key, "id"))
            json_string(j, &b.id);
        else if (sv_eq_cstr(key, "impid"))
            json_string(j, &b.impid);
        else if (sv_eq_cstr(key, "cid"))
            json_string(j, &b.cid);
        else if (sv_eq_cstr(key, "crid"))
            json_string(j, &b.crid);
        else if (sv_eq_cstr(key, "nurl"))
            json_string(j, &b.nurl);
        else if (sv_eq_cstr(key, "lurl"))
            json_string(j, &b.lurl);
        else
            json_skip(j);
    }
    if (r->nbids < EXCH_MAX_BIDS)
        r->bids[r->nbids++] = b;
    else
        r->dropped++;
}

int exch_parse_response(const char *body, size_t n, struct exch_resp *r, char *scratch, size_t scratch_cap)
{
    struct arena a;
    struct json j;
    struct sv key;
    memset(r, 0, sizeof *r);
    arena_init(&a, scratch, scratch_cap);
    json_init(&j, body, n, &a);
    if (!json_obj_begin(&j)) return -1;
    while (json_obj_next(&j, &key)) {
        if (sv_eq_cstr(key, "id")) {
            json_string(&j, &r->id);
        } else if (sv_eq_cstr(key, "cur")) {
            json_string(&j, &r->cur);
        } else if (sv_eq_cstr(key, "seatbid") && json_peek(&j) == JSON_ARRAY) {
            json_arr_begin(&j);
            while (json_arr_next(&j)) {
                if (!json_obj_begin(&j)) break;
                while (json_obj_next(&j, &key)) {
                    if (sv_eq_cstr(key, "bid") && json_peek(&j) == JSON_ARRAY) {
                        json_arr_begin(&j);
                        while (json_arr_next(&j)) parse_bid(&j, r);
                    } else {
                        json_skip(&j);
                    }
                }
            }
        } else {
            json_skip(&j);
        }
    }
    json_finish(&j);
    return j.err ? -1 : 0;
}

void exch_compete_default(struct exch_compete *c)
{
    c->median = 1.0;
    c->sigma = 0.5;
    for (int g = 0; g < GEN_NGROUPS; g++) c->mult[g] = 1.0;
    c->second_price = false;
}

int exch_parse_compete(const char *spec, struct exch_compete *c, char *err, size_t errcap)
{
    const char *p = spec;
    while (*p) {
        const char *eq = strchr(p, '='), *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        if (!eq || eq > end) {
            snprintf(err, errcap, "--compete: expected group=multiplier in '%.*s'", (int)(end - p), p);
            return -1;
        }
        int g = -1;
        for (int i = 0; i < GEN_NGROUPS; i++)
            if (strlen(gen_group_names[i]) == (size_t)(eq - p) &&
                !strncmp(p, gen_group_names[i], (size_t)(eq - p)))
                g = i;
        char *e;
        double m = strtod(eq + 1, &e);
        if (g < 0 || e != end || !(m > 0) || m > 1000) {
            snprintf(err, errcap,
                     "--compete: bad entry '%.*s' (groups: male, female, other, unknown; multiplier > 0)",
                     (int)(end - p), p);
            return -1;
        }
        c->mult[g] = m;
        p = *end ? end + 1 : end;
    }
    return 0;
}

double exch_draw(const struct exch_compete *c, struct rng *r, int group)
{
    double m = c->median * (group >= 0 && group < GEN_NGROUPS ? c->mult[group] : 1.0);
    return m * exp(c->sigma * rng_normal(r));
}

/* Appends s to out at *o; false when it does not fit. */
static bool put(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
    if (*o + n >= cap) return false;
    memcpy(out + *o, s, n);
    *o += n;
    return true;
}

int exch_expand_nurl(const struct exch_resp *r, const struct exch_bid *b, double price, char *out, size_t cap)
{
    size_t o = 0;
    char num[32];
    int nl = snprintf(num, sizeof num, "%.6f", price);
    const char *s = b->nurl.p, *end = b->nurl.p + b->nurl.n;
    while (s < end) {
        const char *m = memmem(s, (size_t)(end - s), "${AUCTION_", 10);
        if (!m) m = end;
        if (!put(out, cap, &o, s, (size_t)(m - s))) return -1;
        if (m == end) break;
        const char *close = memchr(m, '}', (size_t)(end - m));
        if (!close) {
            if (!put(out, cap, &o, m, (size_t)(end - m))) return -1;
            break;
        }
        struct sv name = {m + 2, (size_t)(close - m - 2)};
        bool ok = true;
        if (sv_eq_cstr(name, "AUCTION_PRICE"))
            ok = put(out, cap, &o, num, (size_t)nl);
        else if (sv_eq_cstr(name, "AUCTION_ID"))
            ok = put(out, cap, &o, r->id.p, r->id.n);
        else if (sv_eq_cstr(name, "AUCTION_BID_ID"))
            ok = put(out, cap, &o, b->id.p, b->id.n);
        else if (sv_eq_cstr(name, "AUCTION_IMP_ID"))
            ok = put(out, cap, &o, b->impid.p, b->impid.n);
        else if (sv_eq_cstr(name, "AUCTION_LOSS"))
            ok = put(out, cap, &o, "102", 3); /* OpenRTB loss reason 102: lost to a higher bid */
        else if (sv_eq_cstr(name, "AUCTION_CURRENCY"))
            ok = r->cur.n ? put(out, cap, &o, r->cur.p, r->cur.n) : put(out, cap, &o, "USD", 3);
        else
            ok = put(out, cap, &o, m, (size_t)(close + 1 - m)); /* unknown macro: left as is */
        if (!ok) return -1;
        s = close + 1;
    }
    out[o] = '\0';
    return (int)o;
}

void exch_tally_add(struct exch_tally *t, struct sv campaign, int group, bool win, double price)
{
    if (group < 0 || group >= GEN_NGROUPS) group = GEN_GROUP_UNKNOWN;
    if (!campaign.n) campaign = SV_LIT("(no cid)");
    struct exch_tally_row *row = NULL;
    size_t cl = campaign.n < 63 ? campaign.n : 63;
    for (unsigned i = 0; i < t->n; i++)
        if (strlen(t->rows[i].campaign) == cl && memcmp(t->rows[i].campaign, campaign.p, cl) == 0) {
            row = &t->rows[i];
            break;
        }
    if (!row) {
        if (t->n < EXCH_MAX_CAMPAIGNS) {
            row = &t->rows[t->n++];
            memcpy(row->campaign, campaign.p, cl);
            row->campaign[cl] = '\0';
        } else {
            row = &t->rows[EXCH_MAX_CAMPAIGNS];
            strcpy(row->campaign, "(other)");
        }
    }
    row->bids[group]++;
    if (win) {
        row->wins[group]++;
        row->spend[group] += price;
    }
}

void exch_tally_merge(struct exch_tally *dst, const struct exch_tally *src)
{
    for (unsigned i = 0; i <= EXCH_MAX_CAMPAIGNS; i++) {
        const struct exch_tally_row *s = &src->rows[i];
        if (i == EXCH_MAX_CAMPAIGNS ? !s->campaign[0] : i >= src->n) continue;
        struct exch_tally_row *d = NULL;
        for (unsigned k = 0; k < dst->n; k++)
            if (!strcmp(dst->rows[k].campaign, s->campaign)) d = &dst->rows[k];
        if (!d) {
            d = dst->n < EXCH_MAX_CAMPAIGNS ? &dst->rows[dst->n++] : &dst->rows[EXCH_MAX_CAMPAIGNS];
            if (!d->campaign[0]) strcpy(d->campaign, s->campaign);
        }
        for (int g = 0; g < GEN_NGROUPS; g++) {
            d->bids[g] += s->bids[g];
            d->wins[g] += s->wins[g];
            d->spend[g] += s->spend[g];
        }
    }
}
