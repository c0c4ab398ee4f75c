/* libFuzzer target for the consent record parser (mirror_record_parse, bidder/mirror_table.c) and the
 * fairness counter field parser (fairness_parse_field, bidder/fairness/control.c): the two places Redis hash
 * contents enter the bidder. The input is split at '\n' into field/value pairs passed with lengths, as
 * hiredis hands them over. Oracles: a record with any optout (minor) value other than exactly "0" is an
 * opt-out (a minor): bad values fail toward privacy; a record not understood (a bad value, an odd element
 * count, a near-miss of a known field name) is MIRROR_F_RESTRICT with a reason, and only then; no flag
 * outside the packed word; a field that parses prints back to itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/fairness/fairness.h"
#include "bidder/consent/mirror_table.h"
#include "filters/fair.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                                             \
    do {                                                                                                     \
        if (!(x)) abort();                                                                                   \
    } while (0)

#define MAXKV 32

/* the count letters of the Redis fields, one per FAIR_C_* (eligible, bid, win, throttled, spend): written out
 * here, not taken from the bidder, so the oracle is independent; the assert catches a new count */
static const char count_letters[] = "ebwts";
_Static_assert(sizeof count_letters - 1 == FAIR_NCOUNT,
               "a FAIR_C_* count was added: give it its letter here");

static bool is(const char *s, size_t n, const char *lit)
{
    return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    const char *kv[MAXKV];
    size_t lens[MAXKV], n = 0, i = 0;
    while (n < MAXKV && i <= size) {
        const char *e = memchr(p + i, '\n', size - i);
        size_t l = e ? (size_t)(e - (p + i)) : size - i;
        kv[n] = p + i;
        lens[n++] = l;
        i += l + 1;
        if (!e) break;
    }
    uint32_t flags = 0xdeadbeef;
    int unknown = 0;
    const char *why = NULL;
    bool rec = mirror_record_parse_why(kv, lens, n, &flags, &unknown, &why);
    CHECK(rec == (n >= 1));
    CHECK((flags & ~(MIRROR_F_MASK | MIRROR_F_OPTOUT | MIRROR_F_MINOR)) == 0);
    CHECK(unknown >= 0);
    bool optout = false, minor = false, bad = (n & 1) != 0;
    for (size_t k = 0; k + 1 < n; k += 2) {
        bool zero = is(kv[k + 1], lens[k + 1], "0"), one = is(kv[k + 1], lens[k + 1], "1");
        if (is(kv[k], lens[k], "optout") || is(kv[k], lens[k], "minor")) {
            if (!zero && !one) bad = true;
            if (!zero) *(is(kv[k], lens[k], "optout") ? &optout : &minor) = true;
        }
    }
    /* a bad value or an odd count restricts; the parser may find more (near-miss names), never fewer */
    if (bad) CHECK(why != NULL);
    if (why) {
        CHECK(flags == MIRROR_F_RESTRICT);
    } else {
        CHECK(((flags & MIRROR_F_OPTOUT) != 0) == optout);
        CHECK(((flags & MIRROR_F_MINOR) != 0) == minor);
    }
    /* fail toward privacy either way: every opt-out or minor the fields state is in the flags */
    if (optout) CHECK(flags & MIRROR_F_OPTOUT);
    if (minor) CHECK(flags & MIRROR_F_MINOR);

    for (size_t k = 0; k < n; k++) {
        int g = -7, c = -7;
        if (fairness_parse_field(kv[k], lens[k], &g, &c) == 0) {
            CHECK(g >= 0 && g < FAIR_NGROUPS && c >= 0 && c < FAIR_NCOUNT);
            char back[64];
            int bl = snprintf(back, sizeof back, "%s:%c", fair_group_name(g), count_letters[c]);
            CHECK(bl > 0 && (size_t)bl == lens[k] && memcmp(back, kv[k], lens[k]) == 0);
        } else {
            CHECK(g == -7 && c == -7);
        }
    }
    return 0;
}
