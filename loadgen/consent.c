/* consent: TCF v2.2, GPP US National and US Privacy string encoders; see consent.h. The bit layouts follow
 * the IAB specifications field by field; comments name each field so a reader can hold them side by side. */
#include "loadgen/consent.h"

#include <string.h>

/* Bits are written most significant first, as the IAB formats define them. 8 KiB holds a bitfield for every
 * possible vendor id twice over (consents and legitimate interests) plus the rest. */
#define BITS_CAP (2 * 65536 + 4096)

struct bits {
    uint8_t b[BITS_CAP / 8];
    size_t n;
    bool overflow;
};

static void bits_put(struct bits *w, uint64_t v, unsigned width)
{
    for (unsigned i = width; i-- > 0;) {
        if (w->n >= BITS_CAP) {
            w->overflow = true;
            return;
        }
        if ((v >> i) & 1) w->b[w->n >> 3] |= (uint8_t)(0x80u >> (w->n & 7));
        w->n++;
    }
}

/* "Compressed" base64url as the IAB libraries write it: pad with zero bits to a whole byte, then to a whole
 * 6-bit character; no '=' padding. Returns the length written or -1. */
static int b64url(const struct bits *w, char *out, size_t cap)
{
    static const char dict[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t nbits = (w->n + 7) / 8 * 8;
    nbits = (nbits + 5) / 6 * 6;
    size_t nch = nbits / 6;
    if (w->overflow || nch + 1 > cap) return -1;
    for (size_t c = 0; c < nch; c++) {
        unsigned v = 0;
        for (size_t k = 0; k < 6; k++) {
            size_t bit = c * 6 + k;
            unsigned one = bit < w->n ? (w->b[bit >> 3] >> (7 - (bit & 7))) & 1u : 0u;
            v = (v << 1) | one;
        }
        out[c] = dict[v];
    }
    out[nch] = '\0';
    return (int)nch;
}

/* ---- TCF v2.2 --------------------------------------------------------------------------------------------
 */

/* Number of range entries for a sorted unique list (runs of consecutive ids). */
static size_t range_entries(const uint16_t *v, size_t n, size_t *singles)
{
    size_t entries = 0, s = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && v[j + 1] == v[j] + 1) j++;
        entries++;
        if (j == i) s++;
        i = j + 1;
    }
    if (singles) *singles = s;
    return entries;
}

/* MaxVendorId(16) IsRangeEncoding(1) then a bitfield of MaxVendorId bits, or NumEntries(12) and entries of
 * IsARange(1) StartOrOnlyVendorId(16) [EndVendorId(16)]. */
static int put_vendors(struct bits *w, const uint16_t *v, size_t n, enum consent_vendor_enc enc)
{
    for (size_t i = 1; i < n; i++)
        if (v[i] <= v[i - 1]) return -1; /* must be sorted and unique */
    if (n && v[0] == 0) return -1;
    uint16_t max = n ? v[n - 1] : 0;
    size_t singles;
    size_t entries = range_entries(v, n, &singles);
    if (entries > 4095) enc = CONSENT_ENC_BITFIELD;
    if (enc == CONSENT_ENC_SHORTEST) {
        size_t range_bits = 12 + entries * 17 + (entries - singles) * 16;
        enc = range_bits < max ? CONSENT_ENC_RANGE : CONSENT_ENC_BITFIELD;
    }
    bits_put(w, max, 16);
    if (enc == CONSENT_ENC_BITFIELD) {
        bits_put(w, 0, 1);
        size_t k = 0;
        for (unsigned id = 1; id <= max; id++) {
            bool on = k < n && v[k] == id;
            if (on) k++;
            bits_put(w, on, 1);
        }
    } else {
        bits_put(w, 1, 1);
        bits_put(w, entries, 12);
        for (size_t i = 0; i < n;) {
            size_t j = i;
            while (j + 1 < n && v[j + 1] == v[j] + 1) j++;
            bits_put(w, j != i, 1);
            bits_put(w, v[i], 16);
            if (j != i) bits_put(w, v[j], 16);
            i = j + 1;
        }
    }
    return 0;
}

static unsigned letter(char c)
{
    if (c >= 'a' && c <= 'z') c = (char)(c - 32);
    return c >= 'A' && c <= 'Z' ? (unsigned)(c - 'A') : 0;
}

int consent_tcf_encode(const struct consent_tcf *t, char *out, size_t cap)
{
    struct bits w; /* 17 KiB on the stack keeps the encoder reentrant */
    memset(&w, 0, sizeof w);
    bits_put(&w, 2, 6);                  /* Version */
    bits_put(&w, t->created_ds, 36);     /* Created */
    bits_put(&w, t->updated_ds, 36);     /* LastUpdated */
    bits_put(&w, t->cmp_id, 12);         /* CmpId */
    bits_put(&w, t->cmp_version, 12);    /* CmpVersion */
    bits_put(&w, t->consent_screen, 6);  /* ConsentScreen */
    bits_put(&w, letter(t->lang[0]), 6); /* ConsentLanguage */
    bits_put(&w, letter(t->lang[1]), 6);
    bits_put(&w, t->vendor_list_version, 12); /* VendorListVersion */
    bits_put(&w, t->policy_version, 6);       /* TcfPolicyVersion */
    bits_put(&w, t->service_specific, 1);     /* IsServiceSpecific */
    bits_put(&w, t->non_standard_texts, 1);   /* UseNonStandardTexts */
    for (unsigned i = 0; i < 12; i++)
        bits_put(&w, (t->special_features >> i) & 1, 1); /* SpecialFeatureOptIns */
    for (unsigned i = 0; i < 24; i++) bits_put(&w, (t->purposes_consent >> i) & 1, 1); /* PurposesConsent */
    for (unsigned i = 0; i < 24; i++) bits_put(&w, (t->purposes_li >> i) & 1, 1); /* PurposesLITransparency */
    bits_put(&w, t->purpose_one_treatment, 1);                                    /* PurposeOneTreatment */
    bits_put(&w, letter(t->publisher_cc[0]), 6);                                  /* PublisherCC */
    bits_put(&w, letter(t->publisher_cc[1]), 6);
    if (put_vendors(&w, t->vendor_consent, t->n_vendor_consent, t->enc) < 0) return -1; /* Vendor Consent */
    if (put_vendors(&w, t->vendor_li, t->n_vendor_li, t->enc) < 0) return -1;           /* Vendor LI */
    bits_put(&w, 0, 12); /* NumPubRestrictions */
    int len = b64url(&w, out, cap);
    if (len < 0 || !t->disclosed) return len;

    memset(&w, 0, sizeof w);
    bits_put(&w, 1, 3); /* SegmentType: disclosed vendors */
    if (put_vendors(&w, t->disclosed, t->n_disclosed, t->enc) < 0) return -1;
    if ((size_t)len + 2 > cap) return -1;
    out[len] = '.';
    int l2 = b64url(&w, out + len + 1, cap - (size_t)len - 1);
    return l2 < 0 ? -1 : len + 1 + l2;
}

/* ---- GPP -------------------------------------------------------------------------------------------------
 */

/* Fibonacci coding as GPP uses it: Zeckendorf bits from F(2)=1 upward, then a terminating 1. */
static void put_fib(struct bits *w, unsigned v)
{
    unsigned fib[32];
    int n = 0;
    fib[n++] = 1;
    fib[n++] = 2;
    while (fib[n - 1] + fib[n - 2] <= v && n < 32) {
        fib[n] = fib[n - 1] + fib[n - 2];
        n++;
    }
    /* The highest Fibonacci number <= v decides the length. */
    int top = n - 1;
    while (top > 0 && fib[top] > v) top--;
    unsigned char code[33];
    unsigned rest = v;
    for (int i = top; i >= 0; i--) {
        code[i] = rest >= fib[i];
        if (code[i]) rest -= fib[i];
    }
    for (int i = 0; i <= top; i++) bits_put(w, code[i], 1);
    bits_put(w, 1, 1);
}

int consent_gpp_usnat_encode(const struct consent_usnat *u, char *out, size_t cap)
{
    struct bits w;
    memset(&w, 0, sizeof w);
    /* Header: Type(6)=3, Version(6)=1, SectionIds as a Fibonacci range: NumEntries(12), then per entry
     * IsRange(1) and the id as an offset from the previous one. One section, id 7. */
    bits_put(&w, 3, 6);
    bits_put(&w, 1, 6);
    bits_put(&w, 1, 12);
    bits_put(&w, 0, 1);
    put_fib(&w, 7);
    int len = b64url(&w, out, cap);
    if (len < 0 || (size_t)len + 2 > cap) return -1;
    out[len++] = '~';

    memset(&w, 0, sizeof w);
    bits_put(&w, 2, 6); /* Version */
    bits_put(&w, u->sharing_notice, 2);
    bits_put(&w, u->sale_opt_out_notice, 2);
    bits_put(&w, u->sharing_opt_out_notice, 2);
    bits_put(&w, u->targeted_advertising_opt_out_notice, 2);
    bits_put(&w, u->sensitive_data_processing_opt_out_notice, 2);
    bits_put(&w, u->sensitive_data_limit_use_notice, 2);
    bits_put(&w, u->sale_opt_out, 2);
    bits_put(&w, u->sharing_opt_out, 2);
    bits_put(&w, u->targeted_advertising_opt_out, 2);
    for (int i = 0; i < CONSENT_USNAT_SENSITIVE; i++) bits_put(&w, u->sensitive_data_processing[i], 2);
    for (int i = 0; i < CONSENT_USNAT_CHILD; i++) bits_put(&w, u->known_child_sensitive_data_consents[i], 2);
    bits_put(&w, u->personal_data_consents, 2);
    bits_put(&w, u->mspa_covered_transaction, 2);
    bits_put(&w, u->mspa_opt_out_option_mode, 2);
    bits_put(&w, u->mspa_service_provider_mode, 2);
    int l2 = b64url(&w, out + len, cap - (size_t)len);
    if (l2 < 0) return -1;
    len += l2;
    if (!u->gpc_included) return len;

    memset(&w, 0, sizeof w);
    bits_put(&w, 1, 2); /* SubsectionType: GPC */
    bits_put(&w, u->gpc, 1);
    if ((size_t)len + 2 > cap) return -1;
    out[len++] = '.';
    int l3 = b64url(&w, out + len, cap - (size_t)len);
    return l3 < 0 ? -1 : len + l3;
}

int consent_usp_encode(char notice, char opt_out, char lspa, char *out, size_t cap)
{
    if (cap < 5) return -1;
    const char ok[] = "YN-";
    if (!strchr(ok, notice) || !strchr(ok, opt_out) || !strchr(ok, lspa) || !notice || !opt_out || !lspa)
        return -1;
    out[0] = '1';
    out[1] = notice;
    out[2] = opt_out;
    out[3] = lspa;
    out[4] = '\0';
    return 4;
}
