/*
 * fuzz-json.c - mpd_json_parse() against jansson's json_loadb().
 *
 * proto/json.c promises to be a drop-in for json_loadb() with the flags it
 * supports, so every input is parsed by both under each of those flag
 * sets (none, JSON_DECODE_ANY, JSON_REJECT_DUPLICATES, both), and they must
 * agree: both reject, or both accept with json_equal() values, members in
 * the same order (the compact encodings, which keep member order, are
 * compared byte for byte), and the same end position. A rejection must
 * come with an error text and a position inside the input.
 *
 * The deliberate differences, which the checks allow for:
 * - a NUL byte anywhere outside a string is an error here, always;
 *   jansson 2.14 skips one right after a number or a literal ("[1\0]" is
 *   [1] to it). An input holding a NUL byte must be rejected by
 *   mpd_json_parse(), whatever json_loadb() says.
 * - On a rejected text, the error need not be jansson's: jansson checks
 *   UTF-8 as it reads ahead, so for {"a"2.0<0xDE 0xD3>...} it reports
 *   the invalid byte where mpd_json_parse() reports the missing ':'
 *   first, and positions may differ by a byte. Error codes, texts and
 *   positions of rejections are not compared; positions after success
 *   are.
 * What is the same by design, and so checked as equal: the nesting limit
 * (2048 levels, scalars counting), duplicate keys (rejected with
 * JSON_REJECT_DUPLICATES, else the first place keeps the last value),
 * integers beyond json_int_t and reals beyond double (both rejected),
 * "\u0000" in strings (rejected without JSON_ALLOW_NUL, which neither
 * side is given).
 */
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "proto.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY)

static const size_t all_flags[] = {
	0,
	JSON_DECODE_ANY,
	JSON_REJECT_DUPLICATES,
	JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
};

static void agree(const char *text, size_t len, size_t flags)
{
	json_error_t je, me;
	json_t *j = json_loadb(text, len, flags, &je);
	json_t *m = mpd_json_parse(text, len, flags, &me);
	char *want, *got;
	size_t n = 0;

	if (memchr(text, '\0', len) != NULL) {
		FUZZ_CHECK(m == NULL, "flags %#zx: a NUL byte was accepted",
			   flags);
		json_decref(j);
		j = NULL;
	}
	FUZZ_CHECK((j == NULL) == (m == NULL),
		   "flags %#zx: json_loadb %s (%s), mpd_json_parse %s (%s)",
		   flags, j ? "accepts" : "rejects", j ? "" : je.text,
		   m ? "accepts" : "rejects", m ? "" : me.text);
	if (m == NULL) {
		FUZZ_CHECK(me.text[0] != '\0', "flags %#zx: no error text",
			   flags);
		FUZZ_CHECK(me.position >= 0 && (size_t)me.position <= len,
			   "flags %#zx: error position %d outside %zu bytes",
			   flags, me.position, len);
		return;
	}
	FUZZ_CHECK(json_equal(j, m), "flags %#zx: the values differ", flags);
	FUZZ_CHECK(me.position == je.position,
		   "flags %#zx: position %d after success, json_loadb says %d",
		   flags, me.position, je.position);
	want = json_dumps(j, DUMP_FLAGS);
	got = mpd_json_encode(m, &n, 1);
	FUZZ_CHECK(want != NULL && got != NULL, "flags %#zx: cannot encode",
		   flags);
	FUZZ_CHECK(n == strlen(want) && memcmp(got, want, n) == 0,
		   "flags %#zx: member order or value differs:\n"
		   "  jansson: %s\n  mpd:     %.*s",
		   flags, want, (int)n, got);
	free(want);
	free(got);
	json_decref(j);
	json_decref(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < sizeof(all_flags) / sizeof(all_flags[0]); i++)
		agree((const char *)data, size, all_flags[i]);
	return 0;
}
