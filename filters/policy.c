/* policy: lookups in the compiled policy tables. See policy.h. */
#include "filters/policy.h"

#include <string.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

enum { NOT_NUMBER = -2 };

/* The decimal number grammar (sign, digits, fraction, exponent) over [p, e): the integer it denotes, or
 * NOT_NUMBER when the text is not in that grammar. */
static int canon_number(const char *p, const char *e, char *out, size_t cap, size_t *n)
{
    bool neg = false;
    if (p < e && (*p == '+' || *p == '-')) neg = *p++ == '-';
    const char *i0 = p;
    while (p < e && is_digit(*p)) p++;
    const char *i1 = p, *f0 = p, *f1 = p;
    if (p < e && *p == '.') {
        f0 = ++p;
        while (p < e && is_digit(*p)) p++;
        f1 = p;
    }
    if (i1 == i0 && f1 == f0) return NOT_NUMBER;
    long ex = 0;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        bool eneg = false;
        if (p < e && (*p == '+' || *p == '-')) eneg = *p++ == '-';
        const char *x0 = p;
        for (; p < e && is_digit(*p); p++)
            if (ex < 1000000) ex = ex * 10 + (*p - '0');
        if (p == x0) return NOT_NUMBER;
        if (eneg) ex = -ex;
    }
    if (p != e) return NOT_NUMBER;
    /* the significant digits dig[0..k) times 10^shift */
    const char *d = i0;
    while (d < i1 && *d == '0') d++;
    long shift = ex - (long)(f1 - f0);
    char dig[40];
    size_t k = 0;
    for (const char *q = d; q < f1; q++) {
        if (q == i1) continue;                     /* the point */
        if (k == 0 && *q == '0') continue;         /* zeros right after the point, before any other digit */
        if (k == sizeof dig) return POLICY_ID_BAD; /* more digits than any integer an id is read into */
        dig[k++] = *q;
    }
    while (k && dig[k - 1] == '0' && shift < 0) { /* "399.000", "39900e-2" */
        k--;
        shift++;
    }
    if (k == 0) { /* zero, however written ("-0", "0.0e5") */
        if (cap) out[0] = '0';
        *n = 1;
        return cap ? POLICY_ID_OK : POLICY_ID_LONG;
    }
    if (neg || shift < 0 || (long)k + shift > 18) return POLICY_ID_BAD; /* a fraction, negative, or huge */
    size_t len = k + (size_t)shift;
    for (size_t i = 0; i < len && i < cap; i++) out[i] = i < k ? dig[i] : '0';
    *n = len;
    return len <= cap ? POLICY_ID_OK : POLICY_ID_LONG;
}

int policy_id_canon(struct sv id, char *out, size_t cap, size_t *n)
{
    *n = 0;
    if (!id.p) return POLICY_ID_BAD;
    const char *p = id.p, *e = id.p + id.n;
    while (p < e && is_blank(*p)) p++;
    while (e > p && is_blank(e[-1])) e--;
    if (p == e) return POLICY_ID_BAD;
    int rc = canon_number(p, e, out, cap, n);
    if (rc != NOT_NUMBER) return rc;
    /* not a number: letters, digits, '-', '_' */
    size_t len = (size_t)(e - p);
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (c >= 'a' && c <= 'z') c = (char)(c - 32);
        if (!(is_digit(c) || (c >= 'A' && c <= 'Z') || c == '-' || c == '_')) return POLICY_ID_BAD;
        if (i < cap) out[i] = c;
    }
    *n = len;
    return len <= cap ? POLICY_ID_OK : POLICY_ID_LONG;
}

/* Already in canonical form (an integer without leading zeros, or an upper-case letter then upper-case
 * letters, digits, '-' and '_'): two such ids are the same id only byte for byte, so most comparisons (IAB
 * ids as exchanges send them) need no canonicalisation. */
static bool canonical(struct sv s)
{
    /* a byte-class look-up per byte: every request's bcat, cat and segment ids pass here */
    enum { DIGIT = 1, UPPER = 2, SEP = 4 };
    static const unsigned char cls[256] = {
        ['0'] = DIGIT, ['1'] = DIGIT, ['2'] = DIGIT, ['3'] = DIGIT, ['4'] = DIGIT, ['5'] = DIGIT,
        ['6'] = DIGIT, ['7'] = DIGIT, ['8'] = DIGIT, ['9'] = DIGIT, ['A'] = UPPER, ['B'] = UPPER,
        ['C'] = UPPER, ['D'] = UPPER, ['E'] = UPPER, ['F'] = UPPER, ['G'] = UPPER, ['H'] = UPPER,
        ['I'] = UPPER, ['J'] = UPPER, ['K'] = UPPER, ['L'] = UPPER, ['M'] = UPPER, ['N'] = UPPER,
        ['O'] = UPPER, ['P'] = UPPER, ['Q'] = UPPER, ['R'] = UPPER, ['S'] = UPPER, ['T'] = UPPER,
        ['U'] = UPPER, ['V'] = UPPER, ['W'] = UPPER, ['X'] = UPPER, ['Y'] = UPPER, ['Z'] = UPPER,
        ['-'] = SEP,   ['_'] = SEP};
    if (!s.p || s.n - 1 >= 32) return false; /* empty (wraps) or longer than 32 */
    const unsigned char *p = (const unsigned char *)s.p;
    unsigned c0 = cls[p[0]], want;
    if (c0 & DIGIT) {
        if (p[0] == '0') return s.n == 1;
        want = DIGIT; /* an integer: digits only */
    } else if (c0 & UPPER) {
        want = DIGIT | UPPER | SEP;
    } else {
        return false;
    }
    for (size_t i = 1; i < s.n; i++)
        if (!(cls[p[i]] & want)) return false;
    return true;
}

bool policy_id_eq(struct sv a, struct sv b)
{
    if (sv_eq(a, b)) return true;
    if (canonical(a) && canonical(b)) return false;
    char ca[32], cb[32];
    size_t na, nb;
    if (policy_id_canon(a, ca, sizeof ca, &na) != POLICY_ID_OK ||
        policy_id_canon(b, cb, sizeof cb, &nb) != POLICY_ID_OK)
        return false;
    return na == nb && memcmp(ca, cb, na) == 0;
}

/* policy_id_eq(v[i], id) for each i, with what depends on id alone (whether it is canonical, its canonical
 * form) worked out once, when first needed, instead of once per entry. */
bool policy_id_in(const struct sv *v, uint32_t n, struct sv id)
{
    int id_canonical = -1, id_ok = -1; /* -1: not yet known */
    char cb[32];
    size_t nb = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (sv_eq(v[i], id)) return true;
        if (id_canonical < 0) id_canonical = canonical(id);
        if (id_canonical && canonical(v[i])) continue;
        if (id_ok < 0) id_ok = policy_id_canon(id, cb, sizeof cb, &nb) == POLICY_ID_OK;
        if (!id_ok) continue;
        char ca[32];
        size_t na;
        if (policy_id_canon(v[i], ca, sizeof ca, &na) != POLICY_ID_OK) continue;
        if (na == nb && memcmp(ca, cb, na) == 0) return true;
    }
    return false;
}

bool policy_ids_canonical(const struct sv *v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (!canonical(v[i])) return false;
    return true;
}

bool policy_id_in_list(const struct sv *v, uint32_t n, bool v_canonical, struct sv id)
{
    return policy_id_in_known(v, n, v_canonical, id, v_canonical && canonical(id));
}

static uint64_t pack(int32_t tax, const char *s, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)(unsigned char)s[i] << (8 * i);
    return ((uint64_t)tax << 56) | v;
}

uint64_t policy_key(int32_t tax, struct sv id)
{
    if (tax < 1 || tax > 255) return 0;
    if (canonical(id)) return id.n <= POLICY_ID_MAX ? pack(tax, id.p, id.n) : 0; /* the common case */
    char b[POLICY_ID_MAX];
    size_t n;
    if (policy_id_canon(id, b, sizeof b, &n) != POLICY_ID_OK) return 0;
    return pack(tax, b, n);
}

static bool tax_bit(const uint64_t m[4], int32_t tax)
{
    return tax >= 0 && tax < 256 && ((m[tax >> 6] >> (tax & 63)) & 1);
}

static void tax_mark(struct policy_table *t, uint64_t key, uint32_t classes)
{
    uint32_t tax = (uint32_t)(key >> 56);
    if (classes) t->classified[tax >> 6] |= 1ull << (tax & 63);
    for (int i = 0; i < POLICY_ID_MAX; i++) {
        char c = (char)((key >> (8 * i)) & 0xff);
        if (c && !is_digit(c)) t->alnum[tax >> 6] |= 1ull << (tax & 63);
    }
}

void policy_table_init(struct policy_table *t, struct policy_entry *slots, uint32_t cap)
{
    t->slots = slots;
    t->cap = cap;
    t->n = 0;
    for (int i = 0; i < 4; i++) t->classified[i] = t->alnum[i] = 0;
    for (uint32_t i = 0; i < cap; i++) slots[i] = (struct policy_entry){0, 0, 0};
}

int policy_table_put(struct policy_table *t, uint64_t key, uint32_t classes, uint32_t flags)
{
    if (!key || !t->cap) return -1;
    uint32_t mask = t->cap - 1;
    for (uint32_t i = (uint32_t)policy_hash(key) & mask;; i = (i + 1) & mask) {
        struct policy_entry *e = &t->slots[i];
        if (e->key == key) {
            e->classes |= classes;
            e->flags |= flags;
            tax_mark(t, key, classes);
            return 0;
        }
        if (e->key == 0) {
            /* keep the load at most 1/2 so probes stay short and a miss always finds an empty slot */
            if ((uint64_t)(t->n + 1) * 2 > t->cap) return -1;
            *e = (struct policy_entry){key, classes, flags};
            t->n++;
            tax_mark(t, key, classes);
            return 0;
        }
    }
}

const struct policy_entry *policy_table_get(const struct policy_table *t, uint64_t key)
{
    if (!key || !t->cap) return NULL;
    uint32_t mask = t->cap - 1;
    for (uint32_t i = (uint32_t)policy_hash(key) & mask;; i = (i + 1) & mask) {
        const struct policy_entry *e = &t->slots[i];
        if (e->key == key) return e;
        if (e->key == 0) return NULL;
    }
}

static uint32_t entry_classes(const struct policy_table *t, uint64_t key)
{
    const struct policy_entry *e = policy_table_get(t, key);
    return e ? e->classes : 0;
}

/* The classes of id in taxonomy tax under every reading of it (policy.h); unreadable: POLICY_UNREADABLE and
 * every class in `could`. */
static uint32_t read_classes(const struct policy_table *t, int32_t tax, struct sv id, uint32_t could,
                             bool lookup)
{
    if (tax < 1 || tax > 255) return 0;
    bool strict = tax_bit(t->classified, tax);
    if (canonical(id) && id.n <= POLICY_ID_MAX) { /* the common case: one reading, no copy */
        if (strict && !is_digit(id.p[0]) && !tax_bit(t->alnum, tax)) return POLICY_UNREADABLE | could;
        return lookup ? entry_classes(t, pack(tax, id.p, id.n)) : 0;
    }
    char b[POLICY_ID_MAX];
    size_t n;
    int rc = policy_id_canon(id, b, sizeof b, &n);
    if (rc == POLICY_ID_BAD) return strict ? POLICY_UNREADABLE | could : 0;
    size_t m = n < sizeof b ? n : sizeof b, nlead = 0;
    while (nlead < m && is_digit(b[nlead])) nlead++;
    bool integer = nlead == n;
    /* where every id is an integer, anything else is a guess at one ("399abc", "0x18f") */
    if (strict && !integer && !tax_bit(t->alnum, tax)) return POLICY_UNREADABLE | could;
    if (!lookup) return 0;
    uint32_t cls = rc == POLICY_ID_OK ? entry_classes(t, pack(tax, b, n)) : 0;
    if (!integer && nlead) { /* its leading digits, as parseInt/strtol read them */
        size_t z = 0;
        while (z + 1 < nlead && b[z] == '0') z++;
        cls |= entry_classes(t, pack(tax, b + z, nlead - z));
    }
    if (rc == POLICY_ID_OK && n > 2 && b[0] == '0' && b[1] == 'X') { /* "0x18f", as JavaScript's Number() */
        uint32_t v = 0;
        size_t i = 2;
        for (; i < n; i++) {
            int d = is_digit(b[i]) ? b[i] - '0' : (b[i] >= 'A' && b[i] <= 'F') ? b[i] - 'A' + 10 : -1;
            if (d < 0) break;
            v = v * 16 + (uint32_t)d;
        }
        char dec[12];
        size_t k = sizeof dec;
        do dec[--k] = (char)('0' + v % 10);
        while ((v /= 10) != 0);
        if (i == n) cls |= entry_classes(t, pack(tax, dec + k, sizeof dec - k));
    }
    return cls;
}

uint32_t policy_segment_classes(const struct policy *p, int32_t segtax, struct sv id)
{
    if (!p) return 0;
    return read_classes(&p->seg, segtax, id, class_mask_sensitive | class_mask_vulnerability, true);
}

bool policy_segment_unreadable(const struct policy *p, int32_t segtax, struct sv id)
{
    return p && read_classes(&p->seg, segtax, id, 0, false);
}

uint64_t policy_segment_key(const struct policy *p, int32_t segtax, struct sv id, bool *unreadable)
{
    if (segtax < 1 || segtax > 255) {
        *unreadable = false;
        return 0;
    }
    if (canonical(id) && id.n <= POLICY_ID_MAX) { /* read_classes' and policy_key's common case, once */
        *unreadable =
            tax_bit(p->seg.classified, segtax) && !is_digit(id.p[0]) && !tax_bit(p->seg.alnum, segtax);
        return pack(segtax, id.p, id.n);
    }
    *unreadable = read_classes(&p->seg, segtax, id, 0, false) != 0;
    return policy_key(segtax, id);
}

uint32_t policy_cat_classes(const struct policy *p, int32_t cattax, struct sv id)
{
    if (!p) return 0;
    return read_classes(&p->cat, cattax, id, class_mask_high_risk, true);
}

const struct policy_camp_key *policy_camp_find(const struct policy_camp *pc, uint64_t key)
{
    uint32_t lo = 0, hi = pc->nkeys;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (pc->keys[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < pc->nkeys && pc->keys[lo].key == key ? &pc->keys[lo] : NULL;
}

size_t policy_key_id(uint64_t key, char *buf)
{
    size_t n = 0;
    for (; n < POLICY_ID_MAX; n++) {
        char ch = (char)((key >> (8 * n)) & 0xff);
        if (!ch) break;
        buf[n] = ch;
    }
    buf[n] = '\0';
    return n;
}
