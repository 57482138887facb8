/*
 * fuzz-json-write.c - mpd_json_encode(), against json_dumps() and back.
 *
 * The value written comes from the input: a JSON text as jansson reads it
 * (with JSON_ALLOW_NUL, so strings may hold NUL bytes), or else the input
 * is a little program that builds one, which reaches what no text does:
 * any double, strings and keys that are not UTF-8 (set with the _nocheck
 * calls), containers shared by several parents or holding their own
 * ancestors (cycles), deep nesting.
 *
 * The properties:
 * - mpd_json_encode() writes exactly json_dumps(JSON_COMPACT |
 *   JSON_ENCODE_ANY)'s bytes, and refuses what it refuses (a string that
 *   is not UTF-8, a container inside itself). The deliberate difference:
 *   an object key that is not UTF-8 is refused here, where json_dumps()
 *   writes broken JSON for it.
 * - The spare bytes asked for follow the text, the first a NUL.
 * - Round trip: mpd_json_parse() reads the text back to a json_equal()
 *   value that encodes to the same bytes, unless the value holds what the
 *   reader refuses by design: a NUL in a string or key ("\u0000" needs
 *   JSON_ALLOW_NUL, which the wire does not use), or nesting deeper than
 *   2048 levels (jansson's limit, scalars counting). Then it must refuse.
 */
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "proto.h"

#define DUMP_FLAGS  (JSON_COMPACT | JSON_ENCODE_ANY)
#define PARSE_DEPTH 2048 /* jansson's JSON_PARSER_MAX_DEPTH */
#define BUILD_DEPTH 2100 /* a little past it */
#define MAX_NODES   4096 /* containers a program may make */
/* Values a shared tree may expand to; past it (a few containers shared
 * by two parents at each level double it) both writers would only spend
 * the time, so such a value is not checked. */
#define MAX_EXPANDED 100000

struct program {
	const uint8_t *p, *end;
	json_t *stack[BUILD_DEPTH];
	size_t depth;
	json_t *nodes[MAX_NODES]; /* every container, one reference each */
	size_t nnodes;
};

static bool more(const struct program *pr, size_t n)
{
	return (size_t)(pr->end - pr->p) >= n;
}

/* n bytes of the program as a string (up to 255 of them). */
static const char *bytes(struct program *pr, size_t *n)
{
	const char *s;

	*n = more(pr, 1) ? *pr->p++ : 0;
	if (!more(pr, *n))
		*n = (size_t)(pr->end - pr->p);
	s = (const char *)pr->p;
	pr->p += *n;
	return s;
}

/* Put v (stolen) into the container on top of the stack. */
static void add(struct program *pr, json_t *v)
{
	json_t *top = pr->stack[pr->depth - 1];
	const char *key;
	size_t n;

	if (v == NULL)
		return;
	if (json_is_array(top)) {
		json_array_append_new(top, v);
		return;
	}
	key = bytes(pr, &n);
	json_object_setn_new_nocheck(top, key, n, v);
}

static void push(struct program *pr, json_t *c)
{
	if (c == NULL || pr->nnodes == MAX_NODES || pr->depth == BUILD_DEPTH) {
		json_decref(c);
		return;
	}
	pr->nodes[pr->nnodes++] = json_incref(c);
	add(pr, json_incref(c));
	pr->stack[pr->depth++] = c;
	json_decref(c);
}

static json_t *run(struct program *pr)
{
	json_t *root = json_array();
	uint64_t u;
	double d;
	size_t n;
	const char *s;

	pr->nodes[pr->nnodes++] = json_incref(root);
	pr->stack[pr->depth++] = root;
	while (more(pr, 1)) {
		uint8_t op = *pr->p++;

		switch (op % 10) {
		case 0:
			push(pr, json_array());
			break;
		case 1:
			push(pr, json_object());
			break;
		case 2:
			if (pr->depth > 1)
				pr->depth--;
			break;
		case 3: /* any bytes, UTF-8 or not */
			s = bytes(pr, &n);
			add(pr, json_stringn_nocheck(s, n));
			break;
		case 4:
			s = bytes(pr, &n);
			add(pr, json_stringn(s, n));
			break;
		case 5:
		case 6:
			u = 0;
			n = more(pr, 8) ? 8 : (size_t)(pr->end - pr->p);
			memcpy(&u, pr->p, n);
			pr->p += n;
			if (op % 10 == 5) {
				add(pr, json_integer((json_int_t)u));
			} else {
				memcpy(&d, &u, sizeof(d));
				add(pr, json_real(d)); /* NULL if not finite */
			}
			break;
		case 7:
			add(pr,
			    op & 0x80 ? json_null() : json_boolean(op & 0x40));
			break;
		case 8: /* a container made before: shared, or a cycle */
			if (more(pr, 1))
				add(pr,
				    json_incref(
					    pr->nodes[*pr->p++ % pr->nnodes]));
			break;
		default: /* a value to the container on top, then pop */
			add(pr, json_integer(op));
			if (pr->depth > 1)
				pr->depth--;
		}
	}
	return root;
}

/* Break every cycle, then let go of the program's references. */
static void release(struct program *pr)
{
	for (size_t i = 0; i < pr->nnodes; i++) {
		if (json_is_array(pr->nodes[i]))
			json_array_clear(pr->nodes[i]);
		else
			json_object_clear(pr->nodes[i]);
	}
	for (size_t i = 0; i < pr->nnodes; i++)
		json_decref(pr->nodes[i]);
}

struct traits {
	size_t depth; /* levels, scalars counting */
	bool nul; /* a NUL in a string or key */
	bool bad_key; /* a key that is not UTF-8 */
};

static bool utf8_ok(const char *s, size_t n)
{
	json_t *t = json_stringn(s, n);

	json_decref(t);
	return t != NULL;
}

/* Only called on values without cycles, of bounded size. */
static size_t scan(const json_t *v, struct traits *t)
{
	size_t d = 0, i;
	const char *key;
	json_t *m;

	if (json_is_string(v)) {
		if (memchr(json_string_value(v), '\0', json_string_length(v)))
			t->nul = true;
	} else if (json_is_array(v)) {
		json_array_foreach (v, i, m) {
			size_t c = scan(m, t);

			d = c > d ? c : d;
		}
	} else if (json_is_object(v)) {
		size_t klen;

		json_object_keylen_foreach((json_t *)v, key, klen, m)
		{
			size_t c = scan(m, t);

			if (memchr(key, '\0', klen) != NULL)
				t->nul = true;
			if (!utf8_ok(key, klen))
				t->bad_key = true;
			d = c > d ? c : d;
		}
	}
	return d + 1;
}

/*
 * Count the values v expands to, sharing undone, up to MAX_EXPANDED; a
 * path longer than any program can nest is a cycle.
 */
static void expand(const json_t *v, size_t depth, size_t *count, bool *cycle)
{
	size_t i;
	const char *key;
	json_t *m;

	if (*count > MAX_EXPANDED || *cycle)
		return;
	if (depth > BUILD_DEPTH + 1) {
		*cycle = true;
		return;
	}
	++*count;
	if (json_is_array(v)) {
		json_array_foreach (v, i, m)
			expand(m, depth + 1, count, cycle);
	} else if (json_is_object(v)) {
		json_object_foreach ((json_t *)v, key, m)
			expand(m, depth + 1, count, cycle);
	}
}

static void check(const json_t *v, size_t extra)
{
	char *want, *got, *again;
	size_t n = 0, n2 = 0, count = 0;
	struct traits t = { 0, false, false };
	bool cycle = false;
	json_t *back;

	expand(v, 0, &count, &cycle);
	if (cycle) {
		got = mpd_json_encode(v, &n, extra);
		FUZZ_CHECK(got == NULL,
			   "a container inside itself was written");
		return;
	}
	if (count > MAX_EXPANDED)
		return;
	want = json_dumps(v, DUMP_FLAGS);
	got = mpd_json_encode(v, &n, extra);
	if (want == NULL) {
		/* Refused by jansson: a string that is not UTF-8. */
		FUZZ_CHECK(got == NULL, "json_dumps refuses, mpd writes %.*s",
			   (int)n, got);
		return;
	}
	t.depth = scan(v, &t);
	if (t.bad_key) {
		FUZZ_CHECK(got == NULL, "a key that is not UTF-8 was written");
		free(want);
		return;
	}
	FUZZ_CHECK(got != NULL, "json_dumps writes %s, mpd refuses", want);
	FUZZ_CHECK(n == strlen(want) && memcmp(got, want, n) == 0,
		   "\n  jansson: %s\n  mpd:     %.*s", want, (int)n, got);
	FUZZ_CHECK(extra == 0 || got[n] == '\0', "no NUL after the text");

	back = mpd_json_parse(got, n, JSON_DECODE_ANY, NULL);
	if (t.nul || t.depth > PARSE_DEPTH) {
		FUZZ_CHECK(back == NULL,
			   "a text with \\u0000 or %zu levels was read back",
			   t.depth);
	} else {
		FUZZ_CHECK(back != NULL, "cannot read back %s", got);
		FUZZ_CHECK(json_equal(back, v), "read back differently: %s",
			   got);
		again = mpd_json_encode(back, &n2, 0);
		FUZZ_CHECK(again != NULL && n2 == n &&
				   memcmp(again, got, n) == 0,
			   "a second round changed the text: %s", got);
		free(again);
		json_decref(back);
	}
	free(want);
	free(got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct program pr;
	size_t extra = size > 0 ? data[size - 1] % 4 : 0;
	json_t *v, *first;

	v = json_loadb((const char *)data, size,
		       JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (v != NULL) {
		check(v, extra);
		json_decref(v);
		return 0;
	}
	memset(&pr, 0, sizeof(pr));
	pr.p = data;
	pr.end = data + size;
	v = run(&pr);
	check(v, extra);
	first = json_array_get(v, 0);
	if (first != NULL)
		check(first, extra);
	release(&pr);
	json_decref(v);
	return 0;
}
