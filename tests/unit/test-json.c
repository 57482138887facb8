/*
 * test-json.c - unit tests of the JSON decoder and encoder (proto/json.c).
 *
 * mpd_json_parse() and mpd_json_encode() promise to behave exactly as
 * jansson's json_loadb() and json_dumps(JSON_COMPACT | JSON_ENCODE_ANY), so
 * almost every test here is differential: the same input goes to both, and
 * they must accept and reject alike, build json_equal() values with the
 * same member order, and write the same bytes. The inputs are a table of
 * hand-picked edges (each with the outcome the rules demand, so that both
 * cannot be wrong together unnoticed), then seeded random trees, random
 * mutations of valid texts and random number and string tokens.
 *
 * A failure prints the input as a C string, and for random inputs the
 * round, so that it can be replayed.
 */
#include <float.h>
#include <limits.h>
#include <math.h> /* isfinite(), a macro */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "proto.h"

#define ANY	   JSON_DECODE_ANY
#define DUP	   JSON_REJECT_DUPLICATES
#define DUMP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY)
#define MAX_DEPTH  2048 /* jansson's JSON_PARSER_MAX_DEPTH */

/* Bytes of an input shown in a failure message. */
#define SHOW_MAX 400
/* Rounds of each random test, and their seeds. */
#define RANDOM_ROUNDS  20000
#define SEED_TREES     0x6d70642d6a736f6eULL
#define SEED_MUTATIONS 0x9e3779b97f4a7c15ULL
#define SEED_NUMBERS   0x243f6a8885a308d3ULL
#define SEED_STRINGS   0x13198a2e03707344ULL
#define SEED_REALS     0xa4093822299f31d0ULL
/* Shape of random trees. */
#define TREE_DEPTH 5
#define TREE_WIDTH 6
#define TEXT_CHARS 40 /* code points in a random string, at most */

static const size_t all_flags[] = { 0, ANY, DUP, ANY | DUP };

/* The input as a C string literal, cut to SHOW_MAX bytes, for messages. */
static const char *show(const char *s, size_t n)
{
	static char buf[SHOW_MAX * 4 + 16];
	size_t i, o = 0;

	buf[o++] = '"';
	for (i = 0; i < n && i < SHOW_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			o += (size_t)sprintf(buf + o, "\\%c", c);
		else if (c >= 0x20 && c < 0x7F)
			buf[o++] = (char)c;
		else
			o += (size_t)sprintf(buf + o, "\\x%02x", c);
	}
	buf[o++] = '"';
	if (i < n)
		o += (size_t)sprintf(buf + o, "...");
	buf[o] = '\0';
	return buf;
}

/* Both encoders on v: the same bytes, or both refusing. */
static void expect_same_encoding(const json_t *v, const char *what)
{
	char *want = json_dumps(v, DUMP_FLAGS);
	size_t n = 0;
	char *got = mpd_json_encode(v, &n, 1);

	cr_assert(eq(int, want == NULL, got == NULL),
		  "%s: json_dumps %s, mpd_json_encode %s", what,
		  want ? "encodes" : "refuses", got ? "encodes" : "refuses");
	if (want != NULL) {
		cr_assert(n == strlen(want) && memcmp(got, want, n) == 0,
			  "%s: json_dumps wrote %s", what,
			  show(want, strlen(want)));
		cr_assert(got[n] == '\0', "%s: no NUL after the text", what);
	}
	free(want);
	free(got);
}

/*
 * Both parsers on text: they must agree on acceptance and, when they
 * accept, build equal values with the same member order (the encodings are
 * compared) and report the same position. Returns whether they accepted.
 */
static bool agree(const char *text, size_t len, size_t flags)
{
	json_error_t je, me;
	json_t *j = json_loadb(text, len, flags, &je);
	json_t *m = mpd_json_parse(text, len, flags, &me);
	char *want, *got;
	size_t n = 0;

	/* The one place where jansson is not followed: it skips a NUL byte
	 * right after a number or a literal ("[1\0]" is [1] to it). */
	if (memchr(text, '\0', len) != NULL) {
		cr_assert(m == NULL, "flags %#zx: NUL byte accepted in %s",
			  flags, show(text, len));
		json_decref(j);
		j = NULL;
	}
	cr_assert(eq(int, j == NULL, m == NULL),
		  "flags %#zx, input %s: json_loadb %s (%s), mpd_json_parse "
		  "%s (%s)",
		  flags, show(text, len), j ? "accepts" : "rejects", je.text,
		  m ? "accepts" : "rejects", me.text);
	if (m == NULL) {
		cr_assert(me.text[0] != '\0', "no error text for %s",
			  show(text, len));
		cr_assert(me.position >= 0 && (size_t)me.position <= len,
			  "position %d outside %s", me.position,
			  show(text, len));
		return false;
	}
	cr_assert(json_equal(j, m), "flags %#zx: values differ for %s", flags,
		  show(text, len));
	cr_assert(me.position == je.position,
		  "position %d after success, json_loadb says %d, for %s",
		  me.position, je.position, show(text, len));
	want = json_dumps(j, DUMP_FLAGS);
	got = mpd_json_encode(m, &n, 1);
	cr_assert(want != NULL && got != NULL, "cannot encode %s",
		  show(text, len));
	cr_assert(n == strlen(want) && memcmp(got, want, n) == 0,
		  "for %s: mpd_json_encode wrote %s", show(text, len),
		  show(got, n));
	free(want);
	free(got);
	json_decref(j);
	json_decref(m);
	return true;
}

/* The table: an input, the flags it is meant for, whether it is JSON. */
struct json_case {
	const char *text;
	size_t len;
	size_t flags;
	bool ok;
};

/* sizeof, not strlen: a NUL inside the input counts. */
#define OK(s, f)                          \
	{                                 \
		s, sizeof(s) - 1, f, true \
	}
#define BAD(s, f)                          \
	{                                  \
		s, sizeof(s) - 1, f, false \
	}

/* Each row must come out as it says, and both parsers must agree on it
 * under every flag combination. */
static void run_table(const struct json_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct json_case *c = &cases[i];

		cr_assert(agree(c->text, c->len, c->flags) == c->ok,
			  "row %zu, flags %#zx: %s should be %s", i, c->flags,
			  show(c->text, c->len),
			  c->ok ? "accepted" : "rejected");
		for (size_t f = 0; f < 4; f++)
			agree(c->text, c->len, all_flags[f]);
	}
}

#define RUN_TABLE(t) run_table(t, sizeof(t) / sizeof(t[0]))

Test(json_table, structure_and_whitespace)
{
	static const struct json_case t[] = {
		OK("{}", 0),
		OK("[]", 0),
		OK(" [ ] ", 0),
		OK("\t\n\r[]\r\n\t", 0),
		OK("[1,2,3]", 0),
		OK("[ 1 , 2 , 3 ]", 0),
		OK("{\"a\":1}", 0),
		OK("{ \"a\" : 1 , \"b\" : [ ] }", 0),
		OK("{\"a\":[1,{\"b\":null}],\"c\":{}}", 0),
		OK("[[],[[]],{}]", 0),
		BAD("", 0),
		BAD("", ANY),
		BAD("   ", 0),
		BAD(" \n\t\r", ANY),
		BAD("[", 0),
		BAD("]", 0),
		BAD("{", 0),
		BAD("[1,]", 0),
		BAD("[,1]", 0),
		BAD("[,]", 0),
		BAD("[1 2]", 0),
		BAD("[1,,2]", 0),
		BAD("{\"a\"}", 0),
		BAD("{\"a\":}", 0),
		BAD("{\"a\":1,}", 0),
		BAD("{,}", 0),
		BAD("{1:2}", 0),
		BAD("{null:1}", 0),
		BAD("{\"a\" 1}", 0),
		BAD("{\"a\":1 \"b\":2}", 0),
		BAD("{'a':1}", 0),
		BAD("[1]]", 0),
		BAD("[[1]", 0),
		BAD("{\"a\":1}}", 0),
		BAD("{\"a\":1]", 0),
		BAD("[1}", 0),
		BAD("[1] x", 0),
		BAD("[1]x", 0),
		BAD("{} {}", 0),
		BAD("[],", 0),
		BAD("[1]\0", 0),
		BAD("[1] \0", 0),
		BAD("\0[1]", 0),
		BAD("\f[]", 0),
		BAD("\v[]", 0),
		BAD("[1,\v2]", 0),
		BAD("[\xc2\xa0]", 0),
		BAD("\xef\xbb\xbf[]", 0),
		BAD("\xef\xbb\xbf\"x\"", ANY),
		BAD("[1]//c", 0),
		BAD("/*c*/[1]", 0),
		BAD("[\xc3\xa9]", 0),
		BAD("\xc3\xa9", ANY),
		BAD("[\xff]", 0),
	};

	RUN_TABLE(t);
}

Test(json_table, top_level_and_literals)
{
	static const struct json_case t[] = {
		BAD("1", 0),
		OK("1", ANY),
		OK(" 1 ", ANY),
		BAD("\"s\"", 0),
		OK("\"s\"", ANY),
		BAD("true", 0),
		OK("true", ANY),
		OK("false", ANY),
		OK("null", ANY),
		OK("\n null \n", ANY),
		BAD("1 2", ANY),
		BAD("truefalse", ANY),
		BAD("true false", ANY),
		BAD("tru", ANY),
		BAD("nul", ANY),
		OK("[true,false,null]", 0),
		BAD("[tru]", 0),
		BAD("[truex]", 0),
		BAD("[true1]", 0),
		BAD("[True]", 0),
		BAD("[NULL]", 0),
		BAD("[t]", 0),
		BAD("[nan]", 0),
		BAD("[NaN]", 0),
		BAD("[Infinity]", 0),
		BAD("[-Infinity]", 0),
		BAD("[undefined]", 0),
	};

	RUN_TABLE(t);
}

Test(json_table, numbers)
{
	static const struct json_case t[] = {
		OK("[0]", 0),
		OK("[-0]", 0),
		OK("[0.0]", 0),
		OK("[-0.0]", 0),
		OK("[1]", 0),
		OK("[-1]", 0),
		OK("[1234567890]", 0),
		OK("0", ANY),
		OK("-0", ANY),
		OK("1e5", ANY),
		BAD("01", ANY),
		BAD("1.", ANY),
		BAD("-", ANY),
		BAD("[01]", 0),
		BAD("[-01]", 0),
		BAD("[00]", 0),
		BAD("[+1]", 0),
		BAD("[.5]", 0),
		BAD("[-.5]", 0),
		BAD("[1.]", 0),
		BAD("[1.e5]", 0),
		BAD("[1e]", 0),
		BAD("[1e+]", 0),
		BAD("[1e-]", 0),
		BAD("[1E]", 0),
		BAD("[-]", 0),
		BAD("[--1]", 0),
		BAD("[- 1]", 0),
		BAD("[1.5.5]", 0),
		BAD("[1e5e5]", 0),
		BAD("[1e5.5]", 0),
		BAD("[0x10]", 0),
		BAD("[1_000]", 0),
		BAD("[1,000.5,]", 0),
		OK("[1E+2]", 0),
		OK("[1e2]", 0),
		OK("[1E2]", 0),
		OK("[1e-2]", 0),
		OK("[1e+02]", 0),
		OK("[0e0]", 0),
		OK("[0E-0]", 0),
		OK("[-0e+0]", 0),
		OK("[0.5]", 0),
		OK("[1.25e+10]", 0),
		OK("[0.1]", 0),
		OK("[3.141592653589793]", 0),
		/* json_int_t's edges. */
		OK("[9223372036854775807]", 0),
		BAD("[9223372036854775808]", 0),
		OK("[-9223372036854775808]", 0),
		BAD("[-9223372036854775809]", 0),
		BAD("[18446744073709551615]", 0),
		BAD("[18446744073709551616]", 0),
		BAD("[10000000000000000000]", 0),
		BAD("[99999999999999999999999]", 0),
		BAD("[-99999999999999999999999]", 0),
		BAD("[123456789012345678901234567890]", 0),
		OK("[9223372036854775807.0]", 0),
		OK("[9223372036854775808.0]", 0),
		OK("[123456789012345678901234567890.0]", 0),
		OK("[1e19]", 0),
		OK("[-1e19]", 0),
		/* double's edges. */
		OK("[1e308]", 0),
		OK("[-1e308]", 0),
		BAD("[1e309]", 0),
		BAD("[-1e309]", 0),
		OK("[1.7976931348623157e308]", 0),
		BAD("[1.7976931348623159e308]", 0),
		BAD("[1e999999999999]", 0),
		OK("[5e-324]", 0),
		OK("[-5e-324]", 0),
		OK("[2.2250738585072014e-308]", 0),
		OK("[1e-400]", 0),
		OK("[1e-999999999999]", 0),
		OK("[0.000000000000000000000000000001]", 0),
		OK("[1e-7]", 0),
		OK("[100.0]", 0),
		OK("[1e22]", 0),
		OK("[1e16]", 0),
		OK("[1e17]", 0),
	};

	RUN_TABLE(t);
}

Test(json_table, strings_and_escapes)
{
	static const struct json_case t[] = {
		OK("[\"\"]", 0),
		OK("[\"abc\"]", 0),
		OK("[\"a b\"]", 0),
		OK("[\"\\\"\"]", 0),
		OK("[\"\\\\\"]", 0),
		OK("[\"\\/\"]", 0),
		OK("[\"/\"]", 0),
		OK("[\"\\b\\f\\n\\r\\t\"]", 0),
		OK("[\"a\\tb\\\"c\\\\d\"]", 0),
		OK("[\"\\u0041\"]", 0),
		OK("[\"\\u0001\"]", 0),
		OK("[\"\\u001f\\u001F\"]", 0),
		OK("[\"\\u007f\"]", 0),
		OK("[\"\\u00e9\"]", 0),
		OK("[\"\\u00E9\"]", 0),
		OK("[\"\\u20AC\"]", 0),
		OK("[\"\\u2028\\u2029\"]", 0),
		OK("[\"\\uFEFF\"]", 0),
		OK("[\"\\uFFFF\"]", 0),
		OK("[\"\\uD7FF\\uE000\"]", 0),
		OK("[\"\\uD83D\\uDE00\"]", 0),
		OK("[\"\\ud83d\\ude00\"]", 0),
		OK("[\"\\uD800\\uDC00\"]", 0),
		OK("[\"\\uDBFF\\uDFFF\"]", 0),
		OK("[\"x\\uD83D\\uDE00y\\u00e9z\"]", 0),
		OK("\"\\u00e9\"", ANY),
		BAD("[\"\\a\"]", 0),
		BAD("[\"\\x41\"]", 0),
		BAD("[\"\\U0041\"]", 0),
		BAD("[\"\\u004\"]", 0),
		BAD("[\"\\u00G1\"]", 0),
		BAD("[\"\\u\"]", 0),
		BAD("[\"\\u12", 0),
		BAD("[\"\\\"]", 0),
		BAD("[\"\\'\"]", 0),
		BAD("[\"\\0\"]", 0),
		BAD("[\"\\ \"]", 0),
		BAD("[\"\\", 0),
		/* Surrogates must come in pairs. */
		BAD("[\"\\uD800\"]", 0),
		BAD("[\"\\uDBFF\"]", 0),
		BAD("[\"\\uDC00\"]", 0),
		BAD("[\"\\uDFFF\"]", 0),
		BAD("[\"\\uD800\\u0041\"]", 0),
		BAD("[\"\\uD800\\uD800\"]", 0),
		BAD("[\"\\uDC00\\uD800\"]", 0),
		BAD("[\"\\uD800x\"]", 0),
		BAD("[\"\\uD800\\n\"]", 0),
		BAD("[\"\\uD800\\u\"]", 0),
		BAD("[\"\\uD800\\uDC0\"]", 0),
		BAD("[\"\\uD800auDC00\"]", 0),
		BAD("[\"\\uD800/uDC00\"]", 0),
		/* No \u0000 without JSON_ALLOW_NUL. */
		BAD("[\"\\u0000\"]", 0),
		BAD("[\"a\\u0000b\"]", 0),
		BAD("\"\\u0000\"", ANY),
		BAD("{\"\\u0000\":1}", 0),
		BAD("{\"a\\u0000\":1}", 0),
		/* Raw control characters, but not DEL. */
		BAD("[\"\x01\"]", 0),
		BAD("[\"\x1f\"]", 0),
		BAD("[\"\t\"]", 0),
		BAD("[\"\n\"]", 0),
		BAD("[\"\r\"]", 0),
		BAD("[\"a\0b\"]", 0),
		OK("[\"\x7f\"]", 0),
		/* Unterminated. */
		BAD("[\"abc", 0),
		BAD("\"abc", ANY),
		BAD("[\"abc\\\"]", 0),
		BAD("\"", ANY),
	};

	RUN_TABLE(t);
}

Test(json_table, utf8)
{
	static const struct json_case t[] = {
		OK("[\"\xc3\xa9\"]", 0),
		OK("[\"\xc2\x80\"]", 0),
		OK("[\"\xdf\xbf\"]", 0),
		OK("[\"\xe0\xa0\x80\"]", 0),
		OK("[\"\xe2\x82\xac\"]", 0),
		OK("[\"\xed\x9f\xbf\"]", 0),
		OK("[\"\xee\x80\x80\"]", 0),
		OK("[\"\xef\xbf\xbf\"]", 0),
		OK("[\"\xef\xbb\xbf\"]", 0),
		OK("[\"\xf0\x90\x80\x80\"]", 0),
		OK("[\"\xf0\x9f\x98\x80\"]", 0),
		OK("[\"\xf4\x8f\xbf\xbf\"]", 0),
		OK("{\"\xc3\xa9\":\"\xe2\x82\xac\"}", 0),
		/* Overlong forms. */
		BAD("[\"\xc0\xaf\"]", 0),
		BAD("[\"\xc0\x80\"]", 0),
		BAD("[\"\xc1\xbf\"]", 0),
		BAD("[\"\xe0\x80\xaf\"]", 0),
		BAD("[\"\xe0\x9f\xbf\"]", 0),
		BAD("[\"\xf0\x80\x80\xaf\"]", 0),
		BAD("[\"\xf0\x8f\xbf\xbf\"]", 0),
		/* Surrogates encoded directly; beyond U+10FFFF. */
		BAD("[\"\xed\xa0\x80\"]", 0),
		BAD("[\"\xed\xbf\xbf\"]", 0),
		BAD("[\"\xed\xa0\xbd\xed\xb8\x80\"]", 0),
		BAD("[\"\xf4\x90\x80\x80\"]", 0),
		BAD("[\"\xf5\x80\x80\x80\"]", 0),
		BAD("[\"\xf8\x88\x80\x80\x80\"]", 0),
		BAD("[\"\xfc\x84\x80\x80\x80\x80\"]", 0),
		BAD("[\"\xfe\"]", 0),
		BAD("[\"\xff\"]", 0),
		/* Stray continuation bytes and cut sequences. */
		BAD("[\"\x80\"]", 0),
		BAD("[\"\xbf\"]", 0),
		BAD("[\"a\x80z\"]", 0),
		BAD("[\"\xc3\"]", 0),
		BAD("[\"\xe2\x82\"]", 0),
		BAD("[\"\xf0\x9f\x98\"]", 0),
		BAD("[\"\xc3\x28\"]", 0),
		BAD("[\"\xe2\x28\xa1\"]", 0),
		BAD("[\"\xf0\x28\x8c\xbc\"]", 0),
		BAD("[\"\xc3", 0),
		BAD("\"\xe2\x82", ANY),
		BAD("{\"\xff\":1}", 0),
	};

	RUN_TABLE(t);
}

Test(json_table, objects_and_duplicates)
{
	static const struct json_case t[] = {
		OK("{\"a\":1,\"a\":2}", 0),
		BAD("{\"a\":1,\"a\":2}", DUP),
		OK("{\"a\":1,\"b\":2,\"a\":3}", 0),
		BAD("{\"a\":1,\"b\":2,\"a\":3}", DUP),
		OK("{\"b\":1,\"a\":2,\"c\":3,\"a\":4,\"b\":5}", 0),
		OK("{\"a\":1,\"A\":2}", DUP),
		BAD("{\"\\u0061\":1,\"a\":2}", DUP),
		OK("{\"\\u0061\":1,\"a\":2}", 0),
		BAD("{\"\\n\":1,\"\\u000a\":2}", DUP),
		OK("{\"a\":{\"a\":1}}", DUP),
		OK("[{\"a\":1},{\"a\":2}]", DUP),
		BAD("[{\"a\":1,\"a\":2}]", DUP),
		OK("{\"\":1}", DUP),
		BAD("{\"\":1,\"\":2}", DUP),
		OK("{\"a\\nb\":1,\"a\\\"b\":2}", DUP),
		OK("{\"\\uD83D\\uDE00\":[]}", DUP),
		OK("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"value.add\","
		   "\"params\":{\"name\":\"c\",\"delta\":1}}",
		   ANY | DUP),
		BAD("{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"x\"}",
		    ANY | DUP),
	};

	RUN_TABLE(t);
}

/* n containers, each the only member of the one around it; a scalar in
 * the innermost when leaf is set. Caller frees. */
static char *nested(size_t n, bool object, bool leaf, size_t *len)
{
	const char *open = object ? "{\"k\":" : "[";
	size_t ol = strlen(open), i, o = 0;
	char *s = malloc(n * (ol + 1) + 2);

	cr_assert(s != NULL);
	for (i = 0; i < n; i++, o += ol)
		memcpy(s + o, open, ol);
	if (leaf) {
		s[o++] = '1';
	} else if (object) {
		/* The innermost is {} rather than {"k": with no value. */
		o -= ol;
		s[o++] = '{';
	}
	for (i = 0; i < n; i++)
		s[o++] = object ? '}' : ']';
	s[o] = '\0';
	*len = o;
	return s;
}

Test(json_table, nesting_limit_counts_every_value)
{
	/* Containers at depths 1..n; a leaf is one deeper. */
	static const struct {
		size_t n;
		bool object, leaf, ok;
	} t[] = {
		{ MAX_DEPTH, false, false, true },
		{ MAX_DEPTH + 1, false, false, false },
		{ MAX_DEPTH - 1, false, true, true },
		{ MAX_DEPTH, false, true, false },
		{ MAX_DEPTH, true, false, true },
		{ MAX_DEPTH + 1, true, false, false },
		{ MAX_DEPTH - 1, true, true, true },
		{ MAX_DEPTH, true, true, false },
		{ 100000, false, false, false },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len;
		char *s = nested(t[i].n, t[i].object, t[i].leaf, &len);

		for (size_t f = 0; f < 4; f++)
			cr_assert(agree(s, len, all_flags[f]) == t[i].ok,
				  "%zu nested %s%s: want %s", t[i].n,
				  t[i].object ? "objects" : "arrays",
				  t[i].leaf ? " around a scalar" : "",
				  t[i].ok ? "accepted" : "rejected");
		free(s);
	}
}

Test(json_table, long_tokens_use_the_heap_alike)
{
	static const char *const shapes[] = { "[1%s]",	     "[0.%s1]",
					      "[1.%se5]",    "[\"%s\"]",
					      "[\"\\n%s\"]", "{\"%s\\t\":1}" };
	size_t sizes[] = { 255, 256, 257, 1000, 70000 };
	char *pad, *text;

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		pad = malloc(sizes[s] + 1);
		text = malloc(sizes[s] + 32);
		cr_assert(pad != NULL && text != NULL);
		for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]);
		     k++) {
			memset(pad, k < 3 ? '0' : 'x', sizes[s]);
			pad[sizes[s]] = '\0';
			sprintf(text, shapes[k], pad);
			agree(text, strlen(text), 0);
		}
		free(pad);
		free(text);
	}
}

/* Errors: what they say and where. */

struct error_case {
	const char *text;
	size_t flags;
	enum json_error_code code; /* jansson's, which ours must match */
	const char *says;
	int line;
};

Test(json_errors, have_jansson_codes_texts_and_positions)
{
	static const struct error_case t[] = {
		{ "[1,2", 0, json_error_premature_end_of_input, "expected", 1 },
		{ "{\"a\":1,\"a\":2}", DUP, json_error_duplicate_key,
		  "duplicate object key", 1 },
		{ "[9223372036854775808]", 0, json_error_numeric_overflow,
		  "too big integer", 1 },
		{ "[-9223372036854775809]", 0, json_error_numeric_overflow,
		  "too big negative integer", 1 },
		{ "[1e309]", 0, json_error_numeric_overflow,
		  "real number overflow", 1 },
		{ "[\"\xff\"]", 0, json_error_invalid_utf8, "0xff", 1 },
		{ "[\"\\u0000\"]", 0, json_error_null_character, "\\u0000", 1 },
		{ "{\"\\u0000\":1}", 0, json_error_null_byte_in_key,
		  "NUL byte in object key", 1 },
		{ "[\n\n  x]", 0, json_error_invalid_syntax, "invalid token",
		  3 },
		{ "[1] [2]", 0, json_error_end_of_input_expected,
		  "end of file expected", 1 },
		{ "1", 0, json_error_invalid_syntax, "'[' or '{' expected", 1 },
		{ "[\"a\nb\"]", 0, json_error_invalid_syntax,
		  "unexpected newline", 1 },
		{ "[\"\x01\"]", 0, json_error_invalid_syntax,
		  "control character 0x1", 1 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const struct error_case *c = &t[i];
		size_t len = strlen(c->text);
		json_error_t je, me;

		cr_assert(json_loadb(c->text, len, c->flags, &je) == NULL);
		cr_assert(mpd_json_parse(c->text, len, c->flags, &me) == NULL,
			  "%s accepted", show(c->text, len));
		cr_assert(me.position >= 0 && (size_t)me.position <= len,
			  "position %d outside %s", me.position,
			  show(c->text, len));
		cr_assert(strstr(me.text, c->says) != NULL,
			  "error for %s is '%s', not '%s'", show(c->text, len),
			  me.text, c->says);
		cr_assert(eq(int, json_error_code(&me), json_error_code(&je)),
			  "error code for %s", show(c->text, len));
		cr_assert(eq(int, json_error_code(&me), c->code));
		cr_assert(eq(int, me.line, c->line), "line for %s",
			  show(c->text, len));
		cr_assert(eq(int, me.line, je.line));
		cr_assert(me.column >= 1, "column %d for %s", me.column,
			  show(c->text, len));
		cr_assert(eq(str, me.source, "<buffer>"));
	}
}

Test(json_errors, position_is_the_offending_byte)
{
	json_error_t e;

	cr_assert(mpd_json_parse("  x", 3, 0, &e) == NULL);
	cr_assert(eq(int, e.position, 3));
	cr_assert(eq(int, e.column, 3));
	cr_assert(mpd_json_parse("[1,2", 4, 0, &e) == NULL);
	cr_assert(eq(int, e.position, 4));
	cr_assert(mpd_json_parse("{\"a\":1,\"a\":2}", 13, DUP, &e) == NULL);
	cr_assert(eq(int, e.position, 10));
	cr_assert(mpd_json_parse("[1e400]", 7, 0, &e) == NULL);
	cr_assert(eq(int, e.position, 6));
}

Test(json_errors, deep_nesting_is_a_stack_overflow)
{
	size_t len;
	char *s = nested(MAX_DEPTH + 1, false, false, &len);
	json_error_t e;

	cr_assert(mpd_json_parse(s, len, 0, &e) == NULL);
	cr_assert(eq(int, json_error_code(&e), json_error_stack_overflow));
	cr_assert(eq(str, e.text, "maximum parsing depth reached"));
	free(s);
}

Test(json_errors, unsupported_flags_are_refused)
{
	static const size_t flags[] = { JSON_DISABLE_EOF_CHECK,
					JSON_DECODE_INT_AS_REAL, JSON_ALLOW_NUL,
					ANY | JSON_ALLOW_NUL };
	json_error_t e;

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		cr_assert(mpd_json_parse("[1]", 3, flags[i], &e) == NULL,
			  "flags %#zx accepted", flags[i]);
		cr_assert(strstr(e.text, "unsupported") != NULL, "text '%s'",
			  e.text);
		cr_assert(eq(int, json_error_code(&e),
			     json_error_invalid_argument));
	}
}

Test(json_errors, null_buffer_is_wrong_arguments)
{
	json_error_t e;

	cr_assert(mpd_json_parse(NULL, 0, 0, &e) == NULL);
	cr_assert(eq(str, e.text, "wrong arguments"));
	cr_assert(eq(int, json_error_code(&e), json_error_invalid_argument));
}

Test(json_errors, error_may_be_null)
{
	json_t *v = mpd_json_parse("[1]", 3, 0, NULL);

	cr_assert(v != NULL);
	json_decref(v);
	cr_assert(mpd_json_parse("[1", 2, 0, NULL) == NULL);
}

Test(json_errors, success_leaves_an_empty_error_text)
{
	json_error_t e;
	json_t *v = mpd_json_parse(" [1] ", 5, 0, &e);

	cr_assert(v != NULL);
	cr_assert(eq(str, e.text, ""));
	cr_assert(eq(int, e.position, 5));
	json_decref(v);
}

/* The encoder. */

Test(json_encode, escapes_as_jansson_does)
{
	json_t *v = json_stringn("\x01\x1f\b\f\n\r\t\"\\/\x7f\xc3\xa9\0z", 15);
	size_t n;
	char *s;

	cr_assert(v != NULL);
	s = mpd_json_encode(v, &n, 1);
	cr_assert(eq(str, s,
		     "\"\\u0001\\u001F\\b\\f\\n\\r\\t\\\"\\\\/\x7f\xc3\xa9"
		     "\\u0000z\""));
	cr_assert(eq(sz, n, strlen(s)));
	free(s);
	expect_same_encoding(v, "control characters");
	json_decref(v);
}

Test(json_encode, keeps_member_order)
{
	json_t *v = json_pack("{s:i,s:i,s:i}", "z", 1, "a", 2, "m", 3);
	char *s = mpd_json_encode(v, NULL, 1);

	cr_assert(eq(str, s, "{\"z\":1,\"a\":2,\"m\":3}"));
	free(s);
	json_decref(v);
}

Test(json_encode, integers_at_their_edges)
{
	static const json_int_t t[] = { 0,
					1,
					-1,
					9,
					10,
					-10,
					1000000007,
					LLONG_MAX,
					LLONG_MIN,
					LLONG_MAX - 1,
					LLONG_MIN + 1,
					1000000000000000000LL,
					-999999999999999999LL };
	char what[64];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_t *v = json_integer(t[i]);

		snprintf(what, sizeof(what), "integer %lld", t[i]);
		expect_same_encoding(v, what);
		json_decref(v);
	}
}

Test(json_encode, reals_as_jansson_formats_them)
{
	static const double t[] = { 0.0,
				    -0.0,
				    0.1,
				    0.5,
				    1.0,
				    -1.0,
				    1.5,
				    100.0,
				    1e-5,
				    1e-4,
				    0.0001234,
				    1e15,
				    1e16,
				    1e17,
				    1e21,
				    1e22,
				    1e100,
				    1e308,
				    -1e308,
				    5e-324,
				    -5e-324,
				    1e-300,
				    DBL_MAX,
				    DBL_MIN,
				    DBL_EPSILON,
				    123456789012345678.0,
				    9007199254740993.0,
				    3.141592653589793,
				    2.718281828459045,
				    1.0 / 3.0,
				    299792458.0,
				    6.02214076e23 };
	char what[64];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_t *v = json_real(t[i]);

		cr_assert(v != NULL);
		snprintf(what, sizeof(what), "real %a", t[i]);
		expect_same_encoding(v, what);
		json_decref(v);
	}
}

Test(json_encode, extra_bytes_follow_the_text)
{
	json_t *v = json_pack("{s:[i,s]}", "k", 1, "v");
	size_t n = 0;
	char *s;

	s = mpd_json_encode(v, &n, 0);
	cr_assert(s != NULL);
	cr_assert(eq(sz, n, 13));
	cr_assert(eq(int, memcmp(s, "{\"k\":[1,\"v\"]}", 13), 0));
	free(s);

	/* The sanitizer build checks that the spare bytes are there. */
	s = mpd_json_encode(v, &n, 300);
	cr_assert(s != NULL);
	cr_assert(eq(chr, s[n], '\0'));
	memset(s + n, 'x', 300);
	free(s);
	json_decref(v);
}

Test(json_encode, null_value_is_refused)
{
	size_t n = 7;

	cr_assert(mpd_json_encode(NULL, &n, 1) == NULL);
	cr_assert(eq(sz, n, 7));
}

Test(json_encode, invalid_utf8_string_is_refused_like_json_dumps)
{
	static const char *const bad[] = { "\xff",     "a\x80",
					   "\xc3",     "\xed\xa0\x80",
					   "\xc0\xaf", "\xf4\x90\x80\x80" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *s = json_string_nocheck(bad[i]);

		cr_assert(s != NULL);
		cr_assert(mpd_json_encode(s, NULL, 1) == NULL, "%s encoded",
			  show(bad[i], strlen(bad[i])));
		expect_same_encoding(s, "invalid UTF-8 string");
		json_decref(s);
	}
}

/* json_dumps() ignores the failure for a key and goes on, leaving the key
 * cut short and without its closing quote: no JSON at all. */
Test(json_encode, invalid_utf8_key_is_refused_where_json_dumps_breaks)
{
	json_t *o = json_object();
	char *broken;

	cr_assert(o != NULL);
	json_object_set_new_nocheck(o, "a\xffz", json_true());
	cr_assert(mpd_json_encode(o, NULL, 1) == NULL);
	broken = json_dumps(o, DUMP_FLAGS);
	cr_assert(eq(str, broken, "{\":true}"));
	free(broken);
	json_decref(o);
}

Test(json_encode, container_inside_itself_is_refused)
{
	json_t *a = json_array(), *b = json_object();

	cr_assert(a != NULL && b != NULL);
	json_object_set(b, "a", a);
	json_array_append(a, b);
	cr_assert(mpd_json_encode(a, NULL, 1) == NULL);
	expect_same_encoding(a, "a cycle");
	json_object_clear(b);
	json_decref(a);
	json_decref(b);
}

Test(json_encode, shared_values_in_deep_trees_are_not_cycles)
{
	json_t *leaf = json_pack("{s:[i]}", "x", 1);
	json_t *top = json_array(), *cur = top;
	char *text;

	for (int i = 0; i < 3000; i++) {
		json_t *next = json_array();

		json_array_append(cur, leaf);
		json_array_append_new(cur, next);
		cur = next;
	}
	json_array_append(cur, leaf);
	text = mpd_json_encode(top, NULL, 1);
	cr_assert(text != NULL);
	free(text);
	expect_same_encoding(top, "a deep tree sharing one leaf");
	json_decref(top);
	json_decref(leaf);
}

/* Random inputs. */

struct rng {
	uint64_t s;
};

/* splitmix64: small, seedable, good enough to pick test inputs. */
static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned rng_below(struct rng *r, unsigned n)
{
	return (unsigned)(rng_next(r) % n);
}

static size_t put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static uint32_t rand_codepoint(struct rng *r)
{
	static const uint32_t edges[] = { 0x7F,	  0x80,	   0x7FF,  0x800,
					  0xD7FF, 0xE000,  0xFEFF, 0xFFFD,
					  0xFFFF, 0x10000, 0x2028, 0x10FFFF };
	uint32_t cp;

	switch (rng_below(r, 12)) {
	case 0:
	case 1:
	case 2:
	case 3:
		return 0x20 + rng_below(r, 0x5F);
	case 4:
		/* NUL is rare: a string holding it makes the text invalid. */
		return rng_below(r, 64) == 0 ? 0 : 1 + rng_below(r, 0x1F);
	case 5:
		return (uint32_t) "\"\\/\x7f"[rng_below(r, 4)];
	case 6:
		return 0x80 + rng_below(r, 0x800 - 0x80);
	case 7:
		do
			cp = 0x800 + rng_below(r, 0x10000 - 0x800);
		while (cp >= 0xD800 && cp <= 0xDFFF);
		return cp;
	case 8:
		return 0x10000 + rng_below(r, 0x110000 - 0x10000);
	case 9:
		return edges[rng_below(r, sizeof(edges) / sizeof(edges[0]))];
	default:
		return 'a' + rng_below(r, 26);
	}
}

/* Random UTF-8 text into buf (TEXT_CHARS * 4 bytes); returns its length. */
static size_t rand_text(struct rng *r, char *buf)
{
	unsigned n = rng_below(r, 4) == 0 ? rng_below(r, TEXT_CHARS + 1) :
					    rng_below(r, 8);
	size_t len = 0;

	for (unsigned i = 0; i < n; i++)
		len += put_utf8(buf + len, rand_codepoint(r));
	return len;
}

static json_int_t rand_integer(struct rng *r)
{
	static const json_int_t edges[] = { LLONG_MIN,
					    LLONG_MAX,
					    LLONG_MIN + 1,
					    LLONG_MAX - 1,
					    0,
					    -1,
					    1,
					    1000000000000000000LL,
					    -1000000000000000000LL,
					    4294967296LL };
	uint64_t u = rng_next(r);
	json_int_t i;

	switch (rng_below(r, 4)) {
	case 0:
		memcpy(&i, &u, sizeof(i));
		return i;
	case 1:
		return (json_int_t)rng_below(r, 2001) - 1000;
	case 2:
		return edges[rng_below(r, sizeof(edges) / sizeof(edges[0]))];
	default:
		u >>= rng_below(r, 64);
		return rng_below(r, 2) ? (json_int_t)(u >> 1) :
					 -(json_int_t)(u >> 1);
	}
}

static double rand_real(struct rng *r)
{
	static const double edges[] = {
		0.1,	 1e308,	  5e-324,   -0.0,
		0.0,	 1e22,	  1e16,	    1e17,
		DBL_MAX, DBL_MIN, -DBL_MAX, 1e-7,
		0.5,	 100.0,	  123.456,  2.2250738585072009e-308
	};
	static const double tens[] = { 1e0, 1e1, 1e2, 1e3, 1e4,	 1e5,
				       1e6, 1e7, 1e8, 1e9, 1e10, 1e11 };
	/* Exponent fields of the extremes: subnormal, smallest, largest. */
	static const uint64_t exps[] = { 0, 1, 2, 2045, 2046 };
	uint64_t bits;
	double d;

	switch (rng_below(r, 4)) {
	case 0:
		do {
			bits = rng_next(r);
			memcpy(&d, &bits, sizeof(d));
		} while (!isfinite(d));
		return d;
	case 1:
		return edges[rng_below(r, sizeof(edges) / sizeof(edges[0]))];
	case 2:
		d = (double)((json_int_t)rng_below(r, 2000001) - 1000000);
		return d / tens[rng_below(r, sizeof(tens) / sizeof(tens[0]))];
	default:
		bits = rng_next(r) & 0x800FFFFFFFFFFFFFULL;
		bits |= exps[rng_below(r, sizeof(exps) / sizeof(exps[0]))]
			<< 52;
		memcpy(&d, &bits, sizeof(d));
		return d;
	}
}

static json_t *rand_value(struct rng *r, int depth)
{
	char key[TEXT_CHARS * 4];
	unsigned kind, n;
	size_t len;
	json_t *v;

	kind = depth >= TREE_DEPTH ? 2 + rng_below(r, 6) : rng_below(r, 8);
	switch (kind) {
	case 0:
		v = json_array();
		n = rng_below(r, TREE_WIDTH);
		for (unsigned i = 0; i < n; i++)
			json_array_append_new(v, rand_value(r, depth + 1));
		return v;
	case 1:
		v = json_object();
		n = rng_below(r, TREE_WIDTH);
		for (unsigned i = 0; i < n; i++) {
			len = rand_text(r, key);
			json_object_setn_new(v, key, len,
					     rand_value(r, depth + 1));
		}
		return v;
	case 2:
	case 3:
		len = rand_text(r, key);
		return json_stringn(key, len);
	case 4:
		return json_integer(rand_integer(r));
	case 5:
		return json_real(rand_real(r));
	case 6:
		return json_boolean(rng_below(r, 2));
	default:
		return json_null();
	}
}

/* A text for v as json_dumps() writes it with random layout flags:
 * indentation, \u escapes for all non-ASCII, escaped slashes. */
static char *rand_dump(struct rng *r, const json_t *v)
{
	size_t flags = JSON_ENCODE_ANY;

	if (rng_below(r, 2))
		flags |= JSON_COMPACT;
	if (rng_below(r, 3) == 0)
		flags |= JSON_INDENT(rng_below(r, 5));
	if (rng_below(r, 3) == 0)
		flags |= JSON_ENSURE_ASCII;
	if (rng_below(r, 4) == 0)
		flags |= JSON_ESCAPE_SLASH;
	if (rng_below(r, 4) == 0)
		flags |= JSON_SORT_KEYS;
	return json_dumps(v, flags);
}

Test(json_random, trees_encode_and_decode_alike)
{
	struct rng r = { SEED_TREES };
	char what[64];

	for (int round = 0; round < RANDOM_ROUNDS; round++) {
		json_t *v = rand_value(&r, 0);
		char *text;
		size_t flags = ANY | (rng_below(&r, 2) ? DUP : 0);
		json_t *mine;

		cr_assert(v != NULL, "round %d: no tree", round);
		snprintf(what, sizeof(what), "tree of round %d", round);
		expect_same_encoding(v, what);

		text = rand_dump(&r, v);
		cr_assert(text != NULL, "round %d: json_dumps failed", round);
		if (agree(text, strlen(text), flags)) {
			mine = mpd_json_parse(text, strlen(text), flags, NULL);
			cr_assert(json_equal(mine, v),
				  "round %d: %s does not decode to its tree",
				  round, show(text, strlen(text)));
			json_decref(mine);
		}
		free(text);
		json_decref(v);
	}
}

/* A double that "%.17g" may find hard: the ones proto/json.c formats in
 * integers (timestamps, m * 2^e near its limits, halfway cases, integers)
 * and their neighbours, of either sign. */
static double rand_tricky_real(struct rng *r)
{
	static const double tens[] = { 1e0,  1e1,  1e5,	 1e15, 1e16,
				       1e17, 1e18, 1e22, 1e23, 1e38 };
	uint64_t bits, m = (rng_next(r) >> (11 + rng_below(r, 53))) | 1;
	int e = (int)rng_below(r, 160) - 70; /* a little beyond -32..74 */
	int width = 64 - __builtin_clzll(m);
	double d;

	switch (rng_below(r, 5)) {
	case 0: /* a wall-clock time in seconds, to the nanosecond */
		d = 1.6e9 + rng_below(r, 1000000000) +
		    rng_below(r, 1000000000) / 1e9;
		break;
	case 1: /* odd m * 2^e, built from its bits */
		bits = ((uint64_t)(1023 + e + width - 1) << 52) |
		       ((m << (53 - width)) & ((1ULL << 52) - 1));
		memcpy(&d, &bits, sizeof(d));
		break;
	case 2:
		d = (double)(json_int_t)(rng_next(r) >> rng_below(r, 64));
		break;
	case 3: /* a halfway case at the 18th digit, or near it */
		d = (double)(rng_next(r) >> 12) +
		    (double)rng_below(r, 4) * 0.25;
		break;
	default: /* next to a power of ten */
		d = tens[rng_below(r, sizeof(tens) / sizeof(tens[0]))];
		memcpy(&bits, &d, sizeof(bits));
		bits += (uint64_t)rng_below(r, 5) - 2;
		memcpy(&d, &bits, sizeof(d));
	}
	return rng_below(r, 2) ? d : -d;
}

Test(json_random, reals_encode_alike)
{
	struct rng r = { SEED_REALS };
	char what[64];

	for (int round = 0; round < 10 * RANDOM_ROUNDS; round++) {
		double d = rand_tricky_real(&r);
		json_t *v = json_real(d);

		snprintf(what, sizeof(what), "round %d, real %a", round, d);
		cr_assert(v != NULL, "%s", what);
		expect_same_encoding(v, what);
		json_decref(v);
	}
}

static const char interesting[] = "{}[],:\"\\ \t\n0123456789-+.eEutfnalrsx/"
				  "\x00\x01\x1f\x7f\x80\xbf\xc0\xc3\xdf\xe0"
				  "\xed\xef\xf0\xf4\xf5\xff";

/* Change text (len bytes in a buffer of cap) once; returns the new len. */
static size_t mutate(struct rng *r, char *text, size_t len, size_t cap)
{
	size_t at = len > 0 ? rng_below(r, (unsigned)len) : 0, n;
	char c = rng_below(r, 2) ?
			 interesting[rng_below(r, sizeof(interesting) - 1)] :
			 (char)rng_below(r, 256);

	switch (len > 0 ? rng_below(r, 5) : 1) {
	case 0: /* replace a byte */
		text[at] = c;
		return len;
	case 1: /* insert a byte */
		if (len + 1 > cap)
			return len;
		memmove(text + at + 1, text + at, len - at);
		text[at] = c;
		return len + 1;
	case 2: /* delete a run */
		n = 1 + rng_below(r, 4);
		if (n > len - at)
			n = len - at;
		memmove(text + at, text + at + n, len - at - n);
		return len - n;
	case 3: /* repeat a run */
		n = 1 + rng_below(r, 8);
		if (n > len - at)
			n = len - at;
		if (len + n > cap)
			return len;
		memmove(text + at + n, text + at, len - at);
		return len + n;
	default: /* cut the end */
		return at;
	}
}

Test(json_random, mutated_texts_are_judged_alike)
{
	struct rng r = { SEED_MUTATIONS };
	int accepted = 0;

	for (int round = 0; round < RANDOM_ROUNDS; round++) {
		json_t *v = rand_value(&r, 1);
		char *text = rand_dump(&r, v), *buf;
		size_t len = strlen(text), cap = len + 64;
		unsigned k = 1 + rng_below(&r, 3);

		buf = malloc(cap);
		cr_assert(buf != NULL);
		memcpy(buf, text, len);
		while (k-- > 0)
			len = mutate(&r, buf, len, cap);
		for (size_t f = 0; f < 4; f++)
			accepted += agree(buf, len, all_flags[f]);
		free(buf);
		free(text);
		json_decref(v);
	}
	/* Mutations that keep a text valid are tested too, not just these
	 * that break it. */
	cr_assert(accepted > RANDOM_ROUNDS / 20, "only %d accepted", accepted);
}

static size_t put_digits(struct rng *r, char *out, unsigned n, bool lead)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = (char)('0' + (i == 0 && lead ? 1 + rng_below(r, 9) :
							rng_below(r, 10)));
	return n;
}

/* A number-like token: mostly valid, with every part sometimes wrong. */
static size_t rand_number(struct rng *r, char *out)
{
	static const char *const ints[] = { "9223372036854775807",
					    "9223372036854775808",
					    "9223372036854775806",
					    "18446744073709551616",
					    "0",
					    "00",
					    "01" };
	static const char *const exps[] = { "308", "309", "324", "325",
					    "400", "0",	  "00",	 "022" };
	size_t o = 0;

	switch (rng_below(r, 8)) {
	case 0:
		out[o++] = '+';
		break;
	case 1:
	case 2:
	case 3:
		out[o++] = '-';
		break;
	}
	switch (rng_below(r, 6)) {
	case 0:
		o += (size_t)sprintf(
			out + o, "%s",
			ints[rng_below(r, sizeof(ints) / sizeof(ints[0]))]);
		break;
	case 1:
		if (rng_below(r, 4) != 0)
			out[o++] = '0';
		break;
	default:
		o += put_digits(r, out + o, 1 + rng_below(r, 22),
				rng_below(r, 16) != 0);
	}
	if (rng_below(r, 3) == 0) {
		out[o++] = '.';
		o += put_digits(r, out + o, rng_below(r, 20), false);
	}
	if (rng_below(r, 3) == 0) {
		out[o++] = "eE"[rng_below(r, 2)];
		if (rng_below(r, 2))
			out[o++] = "+-"[rng_below(r, 2)];
		if (rng_below(r, 2))
			o += (size_t)sprintf(
				out + o, "%s",
				exps[rng_below(r, sizeof(exps) /
							  sizeof(exps[0]))]);
		else
			o += put_digits(r, out + o, rng_below(r, 4), false);
	}
	return o;
}

Test(json_random, number_tokens_are_judged_alike)
{
	struct rng r = { SEED_NUMBERS };
	char tok[128], text[140];

	for (int round = 0; round < RANDOM_ROUNDS; round++) {
		size_t n = rand_number(&r, tok);

		agree(tok, n, ANY);
		text[0] = '[';
		memcpy(text + 1, tok, n);
		text[n + 1] = ']';
		agree(text, n + 2, 0);
	}
}

/* A string-like token between quotes: escapes of every kind, good and
 * bad, raw bytes of every kind. */
static size_t rand_string_token(struct rng *r, char *out)
{
	static const char hex[] = "0123456789abcdefABCDEF";
	static const char *const escapes[] = { "\\\"",	 "\\\\", "\\/", "\\b",
					       "\\f",	 "\\n",	 "\\r", "\\t",
					       "\\a",	 "\\x",	 "\\'", "\\u",
					       "\\u0000" };
	unsigned pieces = rng_below(r, 8);
	size_t o = 0;

	out[o++] = '"';
	for (unsigned i = 0; i < pieces; i++) {
		switch (rng_below(r, 10)) {
		case 0:
			out[o++] = (char)('a' + rng_below(r, 26));
			break;
		case 1:
			o += put_utf8(out + o, rand_codepoint(r));
			break;
		case 2:
			out[o++] = (char)(0x80 + rng_below(r, 0x80));
			break;
		case 3:
			o += (size_t)sprintf(
				out + o, "%s",
				escapes[rng_below(r,
						  sizeof(escapes) /
							  sizeof(escapes[0]))]);
			break;
		case 4: /* any \u escape, surrogates included */
			out[o++] = '\\';
			out[o++] = 'u';
			for (int k = 0; k < 4; k++)
				out[o++] = hex[rng_below(r, sizeof(hex) - 1)];
			break;
		case 5: /* a surrogate, mostly in a good pair */
			o += (size_t)sprintf(out + o, "\\u%04X",
					     0xD800 + rng_below(r, 0x800));
			if (rng_below(r, 4) != 0)
				o += (size_t)sprintf(out + o, "\\u%04x",
						     0xDC00 + rng_below(r,
									0x400));
			break;
		case 6:
			out[o++] = (char)rng_below(r, 0x20);
			break;
		default:
			o += (size_t)sprintf(out + o, "\\u%04x",
					     rand_codepoint(r) & 0xFFFF);
		}
	}
	if (rng_below(r, 16) != 0)
		out[o++] = '"';
	return o;
}

Test(json_random, string_tokens_are_judged_alike)
{
	struct rng r = { SEED_STRINGS };
	char tok[256], text[300];

	for (int round = 0; round < RANDOM_ROUNDS; round++) {
		size_t n = rand_string_token(&r, tok);

		agree(tok, n, ANY);
		text[0] = '{';
		memcpy(text + 1, tok, n);
		memcpy(text + 1 + n, ":[", 2);
		memcpy(text + 3 + n, tok, n);
		text[3 + 2 * n] = ']';
		text[4 + 2 * n] = '}';
		agree(text, 5 + 2 * n, DUP);
	}
}

Test(json_depth, counts_as_the_parser_does_and_stops_past_the_limit)
{
	/* Containers at depths 1..n, with or without a scalar inside. */
	static const struct {
		size_t n;
		bool object, leaf;
	} t[] = {
		{ 1, false, false }, { 1, true, true },
		{ 5, false, true },  { 5, true, false },
		{ 100, true, true }, { MAX_DEPTH - 1, false, true },
	};

	json_t *one = json_integer(1);

	cr_assert_eq(mpd_json_depth(one, 10), 1);
	json_decref(one);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len, want = t[i].n + t[i].leaf;
		char *s = nested(t[i].n, t[i].object, t[i].leaf, &len);
		json_t *v = mpd_json_parse(s, len, 0, NULL);

		cr_assert_not_null(v);
		cr_assert_eq(mpd_json_depth(v, MAX_DEPTH), want, "%zu", i);
		/* Past the limit it counts no further than one over. */
		cr_assert_eq(mpd_json_depth(v, want - 1), want, "%zu", i);
		if (want > 2)
			cr_assert_eq(mpd_json_depth(v, want - 2), want - 1,
				     "%zu", i);
		json_decref(v);
		free(s);
	}
}
