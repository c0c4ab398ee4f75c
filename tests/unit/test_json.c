/* Unit tests for filters/json, the pull parser under every request and config: RFC 8259 validation (tables of
 * valid and malformed documents with the error code and the byte offset each must report), numbers at and
 * past their ranges, nesting depth, UTF-8 validation, escapes, sticky errors, and truncation at every prefix
 * with the input placed against a guard page so any over-read crashes. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "filters/json.h"
#include "tests/unit/testutil.h"

static const char *err_name(int e)
{
    switch (e) {
    case JSON_OK:
        return "OK";
    case JSON_ESYNTAX:
        return "ESYNTAX";
    case JSON_ETRUNC:
        return "ETRUNC";
    case JSON_EDEPTH:
        return "EDEPTH";
    case JSON_EUTF8:
        return "EUTF8";
    case JSON_ENUMBER:
        return "ENUMBER";
    case JSON_ETYPE:
        return "ETYPE";
    case JSON_ENOMEM:
        return "ENOMEM";
    case JSON_ETRAILING:
        return "ETRAILING";
    default:
        return "?";
    }
}

/* Validates a whole document the way a skipped value is validated (with an arena, as every real caller has).
 */
static int validate(const char *buf, size_t len, struct json *j)
{
    static _Alignas(16) char mem[1 << 16];
    static struct arena a;
    arena_init(&a, mem, sizeof mem);
    json_init(j, buf, len, &a);
    json_skip(j);
    return json_finish(j);
}

/* ---- the validation table ---- */

#define S(lit) lit, sizeof(lit) - 1
#define NOOFF ((long)-1)

struct vcase {
    const char *name;
    const char *in;
    size_t len;
    int err;
    long off; /* byte offset the error must name, or NOOFF */
};

static const struct vcase vcases[] = {
    /* valid documents */
    {"empty object", S("{}"), JSON_OK, 0},
    {"empty array", S("[]"), JSON_OK, 0},
    {"all value kinds with blanks",
     S(" \t\r\n{ \"a\" : [ 1 , -2.5e+3 , true , false , null , \"x\" , { } , [ ] ] , \"\" : {} } \n"),
     JSON_OK, 0},
    {"every escape", S("\"\\u00e9\\ud83d\\ude00\\n\\/\\\\\\\"\\b\\f\\r\\t\\u0000\""), JSON_OK, 0},
    {"raw UTF-8 2/3/4 bytes", S("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""), JSON_OK, 0},
    {"U+FFFF and U+10FFFF raw", S("\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\""), JSON_OK, 0},
    {"U+D7FF and U+E000 raw (around the surrogates)", S("\"\xed\x9f\xbf\xee\x80\x80\""), JSON_OK, 0},
    {"DEL is not a control character", S("\"\x7f\""), JSON_OK, 0},
    {"zero", S("0"), JSON_OK, 0},
    {"minus zero", S("-0"), JSON_OK, 0},
    {"fraction and exponent", S("0.5e-3"), JSON_OK, 0},
    {"capital E with plus", S("1E+2"), JSON_OK, 0},
    {"1e999 is grammatical (only reading it as a number fails)", S("1e999"), JSON_OK, 0},
    {"20-digit integer is grammatical", S("99999999999999999999"), JSON_OK, 0},
    {"duplicate keys are well-formed", S("{\"a\":1,\"a\":2}"), JSON_OK, 0},
    {"escaped key", S("{\"\\u0061\":1}"), JSON_OK, 0},

    /* missing and trailing commas, misplaced punctuation */
    {"missing comma between members", S("{\"a\":1 \"b\":2}"), JSON_ESYNTAX, 7},
    {"missing comma between elements", S("[1 2]"), JSON_ESYNTAX, 3},
    {"missing comma after string element", S("[\"a\" \"b\"]"), JSON_ESYNTAX, 5},
    {"trailing comma in array", S("[1,]"), JSON_ESYNTAX, 3},
    {"trailing comma in array with blanks", S("[1 , ]"), JSON_ESYNTAX, 5},
    {"double comma in array", S("[1,,2]"), JSON_ESYNTAX, 3},
    {"leading comma in array", S("[,1]"), JSON_ESYNTAX, 1},
    {"trailing comma in object", S("{\"a\":1,}"), JSON_ESYNTAX, 7},
    {"lone comma in object", S("{,}"), JSON_ESYNTAX, 1},
    {"missing colon", S("{\"a\" 1}"), JSON_ESYNTAX, 5},
    {"missing value", S("{\"a\":}"), JSON_ESYNTAX, 5},
    {"number as key", S("{1:2}"), JSON_ESYNTAX, 1},
    {"single-quoted key", S("{'a':1}"), JSON_ESYNTAX, 1},
    {"unquoted key", S("{a:1}"), JSON_ESYNTAX, 1},
    {"colon in array", S("[1:2]"), JSON_ESYNTAX, 2},
    {"close mismatch ]", S("{\"a\":1]"), JSON_ESYNTAX, 6},
    {"close mismatch }", S("[1}"), JSON_ESYNTAX, 2},
    {"extra close", S("[1]]"), JSON_ETRAILING, 3},
    {"two documents", S("{}{}"), JSON_ETRAILING, 2},
    {"garbage after value", S("{} x"), JSON_ETRAILING, 3},
    {"NUL after value", S("{}\0"), JSON_ETRAILING, 2},
    {"comment", S("{} // c"), JSON_ETRAILING, 3},
    {"form feed is not JSON whitespace", S("\f{}"), JSON_ESYNTAX, 0},

    /* truncation */
    {"empty input", S(""), JSON_ETRUNC, 0},
    {"only blanks", S("  \n"), JSON_ETRUNC, 3},
    {"open array", S("["), JSON_ETRUNC, 1},
    {"open object", S("{"), JSON_ETRUNC, 1},
    {"key without colon", S("{\"a\""), JSON_ETRUNC, 4},
    {"key and colon", S("{\"a\":"), JSON_ETRUNC, 5},
    {"after comma", S("[1,"), JSON_ETRUNC, 3},
    {"unterminated string", S("\"abc"), JSON_ETRUNC, 4},
    {"string ends in backslash", S("\"\\"), JSON_ETRUNC, 2},
    {"unterminated string with escape", S("\"a\\n"), JSON_ETRUNC, 4},

    /* escapes */
    {"unknown escape", S("\"\\x\""), JSON_ESYNTAX, 1},
    {"capital U escape", S("\"\\U0041\""), JSON_ESYNTAX, 1},
    {"short \\u escape", S("\"ab\\u12\""), JSON_ESYNTAX, 3},
    {"non-hex \\u escape", S("\"\\u12G4\""), JSON_ESYNTAX, 1},
    {"escaped single quote", S("\"\\'\""), JSON_ESYNTAX, 1},
    {"lone high surrogate", S("\"\\ud800\""), JSON_EUTF8, 1},
    {"lone low surrogate", S("\"\\udc00\""), JSON_EUTF8, 1},
    {"high surrogate then BMP escape", S("\"\\ud800\\u0041\""), JSON_EUTF8, 1},
    {"high surrogate then high surrogate", S("\"\\ud800\\udbff\""), JSON_EUTF8, 1},
    {"high surrogate then text", S("\"x\\ud83dxxxxxx\""), JSON_EUTF8, 2},
    {"lone surrogate in a key", S("{\"\\udfff\":1}"), JSON_EUTF8, 2},

    /* control characters */
    {"SOH in string",
     S("\"a\x01"
       "b\""),
     JSON_ESYNTAX, 2},
    {"raw tab in string", S("\"a\tb\""), JSON_ESYNTAX, 2},
    {"raw newline in string", S("\"a\nb\""), JSON_ESYNTAX, 2},
    {"raw NUL in string", S("\"a\0b\""), JSON_ESYNTAX, 2},
    {"unit separator after an escape", S("\"\\n\x1f\""), JSON_ESYNTAX, 3},
    {"control character in a key", S("{\"a\x02\":1}"), JSON_ESYNTAX, 3},

    /* invalid UTF-8 */
    {"overlong NUL (C0 80)", S("\"\xc0\x80\""), JSON_EUTF8, 1},
    {"overlong 2-byte (C1 BF)", S("\"\xc1\xbf\""), JSON_EUTF8, 1},
    {"overlong 3-byte slash (E0 80 AF)", S("\"\xe0\x80\xaf\""), JSON_EUTF8, 1},
    {"overlong 4-byte (F0 80 80 AF)", S("\"\xf0\x80\x80\xaf\""), JSON_EUTF8, 1},
    {"UTF-8 encoded high surrogate (ED A0 80)", S("\"\xed\xa0\x80\""), JSON_EUTF8, 1},
    {"UTF-8 encoded low surrogate (ED BF BF)", S("\"\xed\xbf\xbf\""), JSON_EUTF8, 1},
    {"UTF-8 encoded surrogate pair (CESU-8)", S("\"\xed\xa0\xbd\xed\xb8\x80\""), JSON_EUTF8, 1},
    {"above U+10FFFF (F4 90 80 80)", S("\"\xf4\x90\x80\x80\""), JSON_EUTF8, 1},
    {"F5 lead byte", S("\"\xf5\x80\x80\x80\""), JSON_EUTF8, 1},
    {"FF byte", S("\"\xff\""), JSON_EUTF8, 1},
    {"FE byte", S("\"ab\xfe\""), JSON_EUTF8, 3},
    {"lone continuation byte", S("\"\x80\""), JSON_EUTF8, 1},
    {"truncated 3-byte sequence before the quote", S("\"\xe2\x82\""), JSON_EUTF8, 1},
    {"truncated 2-byte sequence before the quote", S("\"ab\xc3\""), JSON_EUTF8, 3},
    {"truncated 4-byte sequence at end of input", S("\"\xf0\x9f\x98"), JSON_EUTF8, 1},
    {"bad continuation in 4-byte sequence", S("\"\xf0\x9f\x28\x80\""), JSON_EUTF8, 1},
    {"invalid UTF-8 after an escape", S("\"\\n\xc0\x80\""), JSON_EUTF8, 3},
    {"invalid UTF-8 in a key", S("{\"\xc0\x80\":1}"), JSON_EUTF8, 2},
    {"invalid UTF-8 outside strings", S("[\xc3\xa9]"), JSON_ESYNTAX, 1},

    /* numbers */
    {"leading zero", S("01"), JSON_ETRAILING, 1},
    {"leading zero in array", S("[01]"), JSON_ESYNTAX, 2},
    {"lone minus", S("-"), JSON_ETRUNC, 1},
    {"dot at end", S("1."), JSON_ETRUNC, 2},
    {"dot then exponent", S("1.e1"), JSON_ENUMBER, 2},
    {"dot then bracket", S("[1.]"), JSON_ENUMBER, 3},
    {"plus sign", S("+1"), JSON_ESYNTAX, 0},
    {"leading dot", S(".5"), JSON_ESYNTAX, 0},
    {"exponent without digits", S("1e"), JSON_ETRUNC, 2},
    {"exponent sign without digits", S("1e+"), JSON_ETRUNC, 3},
    {"exponent then letter", S("[1ex]"), JSON_ENUMBER, 3},
    {"hex", S("0x10"), JSON_ETRAILING, 1},
    {"minus letter", S("-a"), JSON_ENUMBER, 1},
    {"NaN", S("NaN"), JSON_ESYNTAX, 0},
    {"Infinity", S("Infinity"), JSON_ESYNTAX, 0},
    {"-Infinity", S("-Infinity"), JSON_ENUMBER, 1},

    /* literals */
    {"truncated true", S("tru"), JSON_ETRUNC, 0},
    {"misspelt true", S("trux"), JSON_ESYNTAX, 0},
    {"truncated null", S("nul"), JSON_ETRUNC, 0},
    {"capitalised True", S("True"), JSON_ESYNTAX, 0},
    {"null with extra l", S("nulll"), JSON_ETRAILING, 4},
    {"two literals without comma", S("[truefalse]"), JSON_ESYNTAX, 5},
    {"undefined", S("undefined"), JSON_ESYNTAX, 0},
};

Test(json, validation_table)
{
    struct tu_guard g;
    tu_guard_init(&g, 4096);
    for (size_t i = 0; i < sizeof vcases / sizeof vcases[0]; i++) {
        const struct vcase *c = &vcases[i];
        const char *in = tu_guard_put(&g, c->in, c->len);
        struct json j;
        int rc = validate(in, c->len, &j);
        cr_expect_eq(rc, c->err, "[%s] error %s (%d), want %s; msg: %s at %zu", c->name, err_name(rc), rc,
                     err_name(c->err), j.err_msg ? j.err_msg : "-", j.err_off);
        if (c->err != JSON_OK) {
            cr_expect_not_null(j.err_msg, "[%s] an error needs a message", c->name);
            if (c->off != NOOFF)
                cr_expect_eq(j.err_off, (size_t)c->off, "[%s] offset %zu, want %ld (%s)", c->name, j.err_off,
                             c->off, j.err_msg ? j.err_msg : "-");
            cr_expect(j.err_off <= c->len, "[%s] offset %zu past the input (%zu)", c->name, j.err_off,
                      c->len);
        }
    }
    tu_guard_fini(&g);
}

/* ---- nesting depth ---- */

static size_t nest(char *buf, int depth, char open, char close)
{
    size_t n = 0;
    for (int i = 0; i < depth; i++) {
        if (open == '{') {
            memcpy(buf + n, "{\"a\":", 5);
            n += 5;
        } else {
            buf[n++] = open;
        }
    }
    buf[n++] = '0';
    for (int i = 0; i < depth; i++) buf[n++] = close;
    return n;
}

Test(json, depth_limit_table)
{
    static char buf[1024];
    static const struct {
        char open, close;
        int depth, err;
        size_t off; /* of the rejected opener */
    } cases[] = {
        {'[', ']', 1, JSON_OK, 0},           {'[', ']', 63, JSON_OK, 0},       {'[', ']', 64, JSON_OK, 0},
        {'[', ']', 65, JSON_EDEPTH, 64},     {'[', ']', 100, JSON_EDEPTH, 64}, {'{', '}', 64, JSON_OK, 0},
        {'{', '}', 65, JSON_EDEPTH, 5 * 64},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = nest(buf, cases[i].depth, cases[i].open, cases[i].close);
        struct json j;
        int rc = validate(buf, n, &j);
        cr_expect_eq(rc, cases[i].err, "%c depth %d: %s, want %s", cases[i].open, cases[i].depth,
                     err_name(rc), err_name(cases[i].err));
        if (cases[i].err)
            cr_expect_eq(j.err_off, cases[i].off, "%c depth %d: offset %zu, want %zu", cases[i].open,
                         cases[i].depth, j.err_off, cases[i].off);
    }
    cr_expect_eq(JSON_MAX_DEPTH, 64);
}

Test(json, depth_is_released_by_closers)
{
    /* [ x63 twice inside one outer array: depth 64 at most, but 127 openers in total */
    static char buf[1024];
    size_t n = 0;
    buf[n++] = '[';
    for (int k = 0; k < 2; k++) {
        if (k) buf[n++] = ',';
        n += nest(buf + n, 63, '[', ']');
    }
    buf[n++] = ']';
    struct json j;
    cr_expect_eq(validate(buf, n, &j), JSON_OK, "siblings at depth 64: %s", j.err_msg ? j.err_msg : "ok");

    /* mixed objects and arrays, 64 deep */
    n = 0;
    for (int i = 0; i < 32; i++) {
        memcpy(buf + n, "{\"k\":[", 6);
        n += 6;
    }
    buf[n++] = '1';
    for (int i = 0; i < 32; i++) {
        buf[n++] = ']';
        buf[n++] = '}';
    }
    cr_expect_eq(validate(buf, n, &j), JSON_OK, "mixed 64: %s", j.err_msg ? j.err_msg : "ok");
    memmove(buf + 1, buf, n);
    buf[0] = '[';
    buf[++n] = ']';
    n++;
    cr_expect_eq(validate(buf, n, &j), JSON_EDEPTH, "mixed 65");
}

/* ---- truncation and mutation ---- */

static const char doc[] = "{\"id\":\"r-1\",\"n\":[0,-1,2.5e-3,1E+2,true,false,null],\"s\":"
                          "\"a\\\"b\\\\c\\u00e9\\ud83d\\ude00\xc3\xa9\","
                          "\"o\":{\"k\":{},\"l\":[],\"m\":[{\"x\":\"\"}]},\"e\":\"\\n\\t\\/\"}";

Test(json, every_prefix_is_an_error)
{
    struct tu_guard g;
    tu_guard_init(&g, sizeof doc);
    size_t len = sizeof doc - 1;
    struct json j;
    cr_assert_eq(validate(doc, len, &j), JSON_OK, "the full document is valid: %s at %zu",
                 j.err_msg ? j.err_msg : "", j.err_off);
    for (size_t n = 0; n < len; n++) {
        const char *in = tu_guard_put(&g, doc, n);
        int rc = validate(in, n, &j);
        cr_expect_neq(rc, JSON_OK, "prefix of %zu bytes accepted", n);
        cr_expect(j.err_off <= n, "prefix %zu: offset %zu past the end", n, j.err_off);
    }
    tu_guard_fini(&g);
}

Test(json, every_byte_mutation_is_safe)
{
    /* Replace each byte with each of a few troublemakers: the parser must answer (either way) without reading
     * past the input, and report an offset inside it. */
    static const unsigned char evil[] = {'"', '\\', '{',  '}',  '[', ']', ',', ':',
                                         0,   0x80, 0xc3, 0xff, '0', 'e', ' '};
    struct tu_guard g;
    tu_guard_init(&g, sizeof doc);
    size_t len = sizeof doc - 1;
    char tmp[sizeof doc];
    for (size_t pos = 0; pos < len; pos++) {
        for (size_t e = 0; e < sizeof evil; e++) {
            memcpy(tmp, doc, len);
            tmp[pos] = (char)evil[e];
            const char *in = tu_guard_put(&g, tmp, len);
            struct json j;
            int rc = validate(in, len, &j);
            if (rc) cr_expect(j.err_off <= len, "byte %zu -> 0x%02x: offset %zu", pos, evil[e], j.err_off);
        }
    }
    tu_guard_fini(&g);
}

/* ---- reading values ---- */

struct icase {
    const char *in;
    int err;
    int64_t want;
    size_t off;
};

Test(json, int_table)
{
    static const struct icase cases[] = {
        {"0", 0, 0, 0},
        {"-0", 0, 0, 0},
        {"300", 0, 300, 0},
        {"300.0", 0, 300, 0},
        {"3e2", 0, 300, 0},
        {"3.5e1", 0, 35, 0},
        {"-42", 0, -42, 0},
        {"9223372036854775807", 0, INT64_MAX, 0},
        {"-9223372036854775808", 0, INT64_MIN, 0},
        {"9223372036854775808", JSON_ENUMBER, 0, 0},
        {"-9223372036854775809", JSON_ENUMBER, 0, 0},
        {"99999999999999999999", JSON_ENUMBER, 0, 0},
        {"18446744073709551616", JSON_ENUMBER, 0, 0},
        {"  99999999999999999999999999999999", JSON_ENUMBER, 0, 2},
        {"1e19", JSON_ENUMBER, 0, 0},
        {"1e999", JSON_ENUMBER, 0, 0},
        {"-1e999", JSON_ENUMBER, 0, 0},
        {"1.5", JSON_ETYPE, 0, 0},
        {"\"1\"", JSON_ETYPE, 0, 0},
        {"true", JSON_ETYPE, 0, 0},
        {"null", JSON_ETYPE, 0, 0},
        {"01", 0, 0, 0}, /* reads the 0; json_finish then reports the 1 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct json j;
        json_init(&j, cases[i].in, strlen(cases[i].in), NULL);
        int64_t v = 12345;
        int rc = json_int(&j, &v);
        cr_expect_eq(rc, cases[i].err, "json_int(%s): %s, want %s", cases[i].in, err_name(rc),
                     err_name(cases[i].err));
        if (!cases[i].err)
            cr_expect_eq(v, cases[i].want, "json_int(%s) = %" PRId64 ", want %" PRId64, cases[i].in, v,
                         cases[i].want);
        else
            cr_expect_eq(j.err_off, cases[i].off, "json_int(%s): offset %zu, want %zu", cases[i].in,
                         j.err_off, cases[i].off);
    }
}

Test(json, int_error_offset_inside_document)
{
    static const char in[] = "[1, 99999999999999999999]";
    struct json j;
    json_init(&j, in, sizeof in - 1, NULL);
    int64_t v;
    cr_assert(json_arr_begin(&j));
    cr_assert(json_arr_next(&j));
    cr_assert_eq(json_int(&j, &v), 0);
    cr_assert(json_arr_next(&j));
    cr_expect_eq(json_int(&j, &v), JSON_ENUMBER);
    cr_expect_eq(j.err_off, 4, "offset %zu names the number", j.err_off);
}

Test(json, double_table)
{
    static const struct {
        const char *in;
        int err;
        double want;
    } cases[] = {
        {"0", 0, 0.0},
        {"0.1", 0, 0.1},
        {"1.25", 0, 1.25},
        {"-2.5e-3", 0, -2.5e-3},
        {"1e308", 0, 1e308},
        {"1e-400", 0, 0.0},
        {"123456789012345", 0, 123456789012345.0},
        {"0.000001", 0, 1e-6},
        {"1e999", JSON_ENUMBER, 0},
        {"-1e999", JSON_ENUMBER, 0},
        {"2e308", JSON_ENUMBER, 0},
        {"\"1\"", JSON_ETYPE, 0},
        {"[1]", JSON_ETYPE, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct json j;
        json_init(&j, cases[i].in, strlen(cases[i].in), NULL);
        double v = -1;
        int rc = json_double(&j, &v);
        cr_expect_eq(rc, cases[i].err, "json_double(%s): %s, want %s", cases[i].in, err_name(rc),
                     err_name(cases[i].err));
        if (!cases[i].err) cr_expect_eq(v, cases[i].want, "json_double(%s) = %.17g", cases[i].in, v);
        if (cases[i].err) cr_expect_eq(j.err_off, 0, "json_double(%s): offset %zu", cases[i].in, j.err_off);
    }
}

/* Documented limit: a number longer than 63 characters cannot be read as a double or a non-plain integer
 * (it is still valid where the value is skipped). */
Test(json, overlong_number_is_refused_when_read)
{
    char in[128];
    memset(in, '0', sizeof in);
    in[0] = '0';
    in[1] = '.';
    in[80] = '1';
    struct json j;
    json_init(&j, in, 81, NULL);
    double v;
    cr_expect_eq(json_double(&j, &v), JSON_ENUMBER);
    cr_expect_eq(validate(in, 81, &j), JSON_OK, "skipping it is fine");
}

Test(json, fast_path_matches_strtod)
{
    /* The hand-written decimal path must be bit-identical to strtod for every form it accepts. */
    uint64_t s = 0x9E3779B97F4A7C15u;
    char in[64];
    for (int i = 0; i < 200000; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        int intd = (int)(s % 9), fracd = (int)((s >> 8) % 12);
        size_t n = 0;
        if ((s >> 20) & 1) in[n++] = '-';
        uint64_t r = s >> 24;
        in[n++] = (char)('1' + r % 9);
        r /= 9;
        for (int k = 0; k < intd; k++, r /= 10) in[n++] = (char)('0' + r % 10);
        if (fracd) {
            in[n++] = '.';
            uint64_t r2 = s * 0x2545F4914F6CDD1Du;
            for (int k = 0; k < fracd; k++, r2 /= 10) in[n++] = (char)('0' + r2 % 10);
        }
        in[n] = '\0';
        struct json j;
        json_init(&j, in, n, NULL);
        double v;
        cr_assert_eq(json_double(&j, &v), 0, "%s", in);
        double want = strtod(in, NULL);
        cr_assert(memcmp(&v, &want, sizeof v) == 0, "%s: %.17g, strtod %.17g", in, v, want);
    }
}

Test(json, bool_and_null)
{
    struct json j;
    bool b = false;
    json_init(&j, "true", 4, NULL);
    cr_expect_eq(json_bool(&j, &b), 0);
    cr_expect(b);
    json_init(&j, "false", 5, NULL);
    cr_expect_eq(json_bool(&j, &b), 0);
    cr_expect(!b);
    json_init(&j, "null", 4, NULL);
    cr_expect_eq(json_bool(&j, &b), JSON_ETYPE);
    json_init(&j, "null", 4, NULL);
    cr_expect_eq(json_null(&j), 0);
    json_init(&j, "0", 1, NULL);
    cr_expect_eq(json_null(&j), JSON_ETYPE);
}

/* ---- strings ---- */

Test(json, string_decoding_table)
{
    static const struct {
        const char *in;
        const char *want;
        size_t wantlen;
    } cases[] = {
        {"\"plain\"", "plain", 5},
        {"\"\"", "", 0},
        {"\"\\u00e9\"", "\xc3\xa9", 2},
        {"\"\\u07FF\\u0800\"", "\xdf\xbf\xe0\xa0\x80", 5},
        {"\"\\u20AC\"", "\xe2\x82\xac", 3},
        {"\"\\uFFFF\"", "\xef\xbf\xbf", 3},
        {"\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4},
        {"\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf", 4},
        {"\"\\u0000\"", "\0", 1},
        {"\"a\\\"b\\\\c\\/d\"", "a\"b\\c/d", 7},
        {"\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t", 5},
        {"\"\xc3\xa9\\n\"", "\xc3\xa9\n", 3},
    };
    static _Alignas(16) char mem[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct arena a;
        arena_init(&a, mem, sizeof mem);
        struct json j;
        json_init(&j, cases[i].in, strlen(cases[i].in), &a);
        struct sv s = {0};
        cr_expect_eq(json_string(&j, &s), 0, "%s: %s", cases[i].in, j.err_msg ? j.err_msg : "");
        cr_expect_eq(s.n, cases[i].wantlen, "%s: length %zu", cases[i].in, s.n);
        cr_expect(s.n == cases[i].wantlen && memcmp(s.p, cases[i].want, s.n) == 0, "%s: bytes differ",
                  cases[i].in);
        cr_expect_eq(json_finish(&j), 0, "%s", cases[i].in);
    }
}

Test(json, plain_strings_are_views_and_escapes_use_the_arena)
{
    static const char in[] = "[\"abc\",\"a\\nb\"]";
    static _Alignas(16) char mem[64];
    struct arena a;
    arena_init(&a, mem, sizeof mem);
    struct json j;
    json_init(&j, in, sizeof in - 1, &a);
    struct sv s1, s2;
    cr_assert(json_arr_begin(&j));
    cr_assert(json_arr_next(&j));
    cr_assert_eq(json_string(&j, &s1), 0);
    cr_expect(s1.p == in + 2, "an escape-free string points into the buffer");
    cr_expect_eq(a.used, 0, "and costs no arena");
    cr_assert(json_arr_next(&j));
    cr_assert_eq(json_string(&j, &s2), 0);
    cr_expect(s2.p >= mem && s2.p < mem + sizeof mem, "an escaped string lives in the arena");
    cr_expect_eq(s2.n, 3);
    cr_expect(!json_arr_next(&j));
    cr_expect_eq(json_finish(&j), 0);
}

Test(json, escapes_without_arena_or_with_a_full_one)
{
    static const char in[] = "\"a\\nbcdefgh\"";
    struct json j;
    struct sv s;
    json_init(&j, in, sizeof in - 1, NULL);
    cr_expect_eq(json_string(&j, &s), JSON_ENOMEM, "NULL arena refuses escapes");

    static _Alignas(16) char mem[64];
    for (size_t cap = 0; cap < 16; cap++) {
        struct arena a;
        arena_init(&a, mem, cap);
        json_init(&j, in, sizeof in - 1, &a);
        int rc = json_string(&j, &s);
        cr_expect(rc == 0 || rc == JSON_ENOMEM, "cap %zu: %s", cap, err_name(rc));
        if (rc == 0) cr_expect(s.n == 9 && memcmp(s.p, "a\nbcdefgh", 9) == 0, "cap %zu: content", cap);
        cr_expect(a.used <= cap, "cap %zu: used %zu", cap, a.used);
    }

    /* skipping validates escapes without spending the arena */
    struct arena a;
    arena_init(&a, mem, 0);
    json_init(&j, in, sizeof in - 1, &a);
    cr_expect_eq(json_skip(&j), 0, "skip needs no arena");
}

/* Skipping validates without decoding, keys included: a skipped object with escaped keys spends no request
 * memory and needs no arena (regression: json_obj_next decoded the key into the arena even when the caller
 * passed a NULL key; found by this test, fixed in b668167). */
Test(json, skipping_escaped_keys_needs_no_arena)
{
    static const char in[] = "{\"\\u0061\":1,\"b\\n\":{\"\\t\":2}}";
    static _Alignas(16) char mem[64];
    struct arena a;
    arena_init(&a, mem, sizeof mem);
    struct json j;
    json_init(&j, in, sizeof in - 1, &a);
    cr_expect_eq(json_skip(&j), 0, "skip: %s", j.err_msg ? j.err_msg : "");
    cr_expect_eq(a.used, 0, "skipping spent %zu bytes of arena on keys nobody reads", a.used);
    json_init(&j, in, sizeof in - 1, NULL);
    cr_expect_eq(json_skip(&j), 0, "skip without an arena: %s", j.err_msg ? j.err_msg : "");
}

/* ---- objects, arrays and the error discipline ---- */

Test(json, object_walk_reports_every_key_in_order)
{
    static const char in[] = "{\"a\":1,\"b\":\"x\",\"a\":[true,null],\"\":{}}";
    static const char *const want[] = {"a", "b", "a", ""};
    struct json j;
    json_init(&j, in, sizeof in - 1, NULL);
    cr_assert(json_obj_begin(&j));
    struct sv k;
    size_t n = 0;
    while (json_obj_next(&j, &k)) {
        cr_assert(n < 4);
        cr_expect(sv_eq_cstr(k, want[n]), "key %zu is %.*s, want %s", n, SV_FMT(k), want[n]);
        cr_expect_eq(json_skip(&j), 0);
        n++;
    }
    cr_expect_eq(n, 4, "duplicate keys are reported each time: the caller decides (ortb keeps the last)");
    cr_expect_eq(json_finish(&j), 0);
}

Test(json, peek_types)
{
    static const struct {
        const char *in;
        enum json_type t;
    } cases[] = {
        {" {", JSON_OBJECT}, {"[", JSON_ARRAY}, {"\"", JSON_STRING}, {"-1", JSON_NUMBER}, {"7", JSON_NUMBER},
        {"t", JSON_TRUE},    {"f", JSON_FALSE}, {"n", JSON_NULL},    {"x", JSON_NONE},    {"", JSON_NONE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct json j;
        json_init(&j, cases[i].in, strlen(cases[i].in), NULL);
        cr_expect_eq(json_peek(&j), cases[i].t, "peek(\"%s\")", cases[i].in);
    }
}

Test(json, type_mismatch_names_the_value)
{
    static const char in[] = "{\"a\": [1]}";
    struct json j;
    json_init(&j, in, sizeof in - 1, NULL);
    struct sv k, s;
    cr_assert(json_obj_begin(&j));
    cr_assert(json_obj_next(&j, &k));
    cr_expect_eq(json_string(&j, &s), JSON_ETYPE);
    cr_expect_eq(j.err_off, 6, "offset %zu is the '['", j.err_off);

    json_init(&j, "[1]", 3, NULL);
    cr_expect(!json_obj_begin(&j));
    cr_expect_eq(j.err, JSON_ETYPE);
    json_init(&j, "{}", 2, NULL);
    cr_expect(!json_arr_begin(&j));
    cr_expect_eq(j.err, JSON_ETYPE);
}

Test(json, errors_are_sticky)
{
    static const char in[] = "[1 2, 3]";
    struct json j;
    json_init(&j, in, sizeof in - 1, NULL);
    int64_t v;
    cr_assert(json_arr_begin(&j));
    cr_assert(json_arr_next(&j));
    cr_assert_eq(json_int(&j, &v), 0);
    cr_expect(!json_arr_next(&j), "missing comma");
    int err = j.err;
    size_t off = j.err_off;
    const char *msg = j.err_msg;
    cr_expect_eq(err, JSON_ESYNTAX);
    cr_expect_eq(json_peek(&j), JSON_NONE);
    cr_expect_eq(json_int(&j, &v), err);
    cr_expect_eq(json_skip(&j), err);
    cr_expect(!json_arr_next(&j));
    cr_expect(!json_obj_begin(&j));
    cr_expect_eq(json_finish(&j), err);
    cr_expect_eq(json_fail(&j, JSON_ETYPE, "later"), err, "json_fail keeps the first error");
    cr_expect_eq(j.err_off, off, "offset unchanged");
    cr_expect(j.err_msg == msg, "message unchanged");
}

Test(json, finish_allows_trailing_blanks_only)
{
    struct json j;
    json_init(&j, "{} \r\n\t", 6, NULL);
    cr_expect_eq(json_skip(&j), 0);
    cr_expect_eq(json_finish(&j), 0);
}
