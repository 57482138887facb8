/*
 * json.c - a strict JSON decoder and a compact encoder for the wire.
 *
 * Every request and every reply crosses the socket as one JSON text, and
 * jansson's own reader and writer go through a callback per byte (and, when
 * writing, a hash table of the containers being written); together they
 * were most of the daemon's work on a small request. These two read the
 * buffer directly and write into one growable buffer, while producing and
 * consuming jansson's json_t values, so the rest of the code is unchanged.
 *
 * They are drop-ins, not dialects: mpd_json_parse() accepts exactly the
 * texts json_loadb() accepts for the flags it supports and builds equal
 * values (objects in the same member order, a repeated key keeping its
 * first place and its last value), and mpd_json_encode() writes the bytes
 * json_dumps(JSON_COMPACT | JSON_ENCODE_ANY) writes, reals included ("%.17g"
 * with jansson's touch-ups). tests/unit/test-json.c checks both against
 * jansson, on hand-picked and on random inputs; a jansson upgrade that
 * changes either side shows up there.
 *
 * Error texts and codes are jansson's, without its "near '...'" context;
 * positions count the bytes read up to and including the offending one,
 * as jansson's do, give or take a byte.
 *
 * Two jansson 2.14 bugs are not copied. json_loadb() skips a NUL byte that
 * directly follows a number or a literal ("[1\0]" is [1] to it); here any
 * NUL byte outside a string is an invalid token, like all other NUL bytes.
 * json_dumps() ignores a key that is not UTF-8 (set with a _nocheck call)
 * and writes the object with the key cut short and unquoted; here that is
 * refused like such a string value.
 */
#include <errno.h>
#include <langinfo.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* Nesting jansson accepts (its JSON_PARSER_MAX_DEPTH); scalars count. */
#define PARSE_MAX_DEPTH 2048
/* The json_loadb() flags mpd_json_parse() implements. */
#define PARSE_FLAGS (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES)
/* Bytes of decoded strings and number tokens kept on the stack. */
#define PARSE_SCRATCH 256
/* What json_loadb() names its source in a json_error_t. */
#define PARSE_SOURCE "<buffer>"

/* First allocation of the encoder's output. */
#define ENCODE_MIN_CAP 256
/* Containers nested deeper than this are checked against their ancestors,
 * which only a cycle can repeat; shallower ones are not checked at all. */
#define ENCODE_CYCLE_DEPTH 32
/* Longest real jansson formats (its MAX_REAL_STR_LENGTH). */
#define REAL_MAX 100
/* Significant digits of a real: jansson's default, "%.17g". */
#define REAL_DIGITS 17
/* Binary exponents of the reals formatted exactly in 128 bits: an odd
 * 53-bit m times 5^32, or shifted left by 74, stays below 2^128. */
#define REAL_EXACT_MIN_E (-32)
#define REAL_EXACT_MAX_E 74
/* Decimal digits of such a real, at most: 2^128 has 39. */
#define REAL_EXACT_DIGITS 39
/* A 64-bit integer in decimal: 20 digits at most, and a sign. */
#define DECIMAL_MAX 21

/* Byte classes inside a string, for both directions. */
enum {
	CH_PLAIN = 0, /* copied as it is */
	CH_QUOTE, /* '"' */
	CH_BACKSLASH, /* '\\' */
	CH_CONTROL, /* below 0x20 */
	CH_UTF8, /* 0x80 and up: part of a multi-byte sequence */
};

static const unsigned char ch_class[256] = {
	[0x00 ... 0x1F] = CH_CONTROL,
	['"'] = CH_QUOTE,
	['\\'] = CH_BACKSLASH,
	[0x80 ... 0xFF] = CH_UTF8,
};

static const char hex_digits[] = "0123456789ABCDEF";

/*
 * Length of the well-formed UTF-8 sequence at p (p < end, *p >= 0x80), or
 * 0: no continuation byte first, no overlong form, no surrogate, nothing
 * above U+10FFFF, nothing cut short by end.
 */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	uint32_t cp;
	size_t n, i;

	if (p[0] < 0xC2)
		return 0; /* a continuation byte, or an overlong 2-byte lead */
	if (p[0] < 0xE0) {
		n = 2;
		cp = p[0] & 0x1F;
	} else if (p[0] < 0xF0) {
		n = 3;
		cp = p[0] & 0x0F;
	} else if (p[0] < 0xF5) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

/* Decoding. */

struct parser {
	const unsigned char *buf; /* the text */
	const unsigned char *p; /* next byte to read */
	const unsigned char *end; /* one past the text */
	size_t flags;
	json_error_t *error; /* may be NULL */
	char *scratch; /* decoded strings and number tokens */
	size_t scratch_cap;
	char scratch_stack[PARSE_SCRATCH];
};

static json_t *parse_value(struct parser *ps, unsigned depth);

static void error_init(json_error_t *e)
{
	e->line = -1;
	e->column = -1;
	e->position = 0;
	memcpy(e->source, PARSE_SOURCE, sizeof(PARSE_SOURCE));
	e->text[0] = '\0';
	e->text[JSON_ERROR_TEXT_LENGTH - 1] = (char)json_error_unknown;
}

/*
 * Report an error found at byte at (end for the end of the text), as
 * jansson's error_set() would: position counts the bytes read up to and
 * including that byte, line and column (in characters) are those of it.
 */
__attribute__((format(printf, 4, 5))) static void
parse_fail(struct parser *ps, const unsigned char *at,
	   enum json_error_code code, const char *fmt, ...)
{
	json_error_t *e = ps->error;
	const unsigned char *q, *stop;
	va_list ap;
	int line = 1, column = 0;

	if (e == NULL)
		return;
	/* jansson's more specific code for running out of text. */
	if (at >= ps->end && code == json_error_invalid_syntax)
		code = json_error_premature_end_of_input;
	stop = at < ps->end ? at + 1 : ps->end;
	for (q = ps->buf; q < stop; q++) {
		if (*q == '\n') {
			line++;
			column = 0;
		} else if ((*q & 0xC0) != 0x80) {
			column++;
		}
	}
	e->line = line;
	e->column = column;
	e->position = (int)(stop - ps->buf);
	va_start(ap, fmt);
	vsnprintf(e->text, JSON_ERROR_TEXT_LENGTH - 1, fmt, ap);
	va_end(ap);
	e->text[JSON_ERROR_TEXT_LENGTH - 1] = (char)code;
}

static void *parse_oom(struct parser *ps)
{
	parse_fail(ps, ps->p, json_error_out_of_memory, "out of memory");
	return NULL;
}

static void skip_space(struct parser *ps)
{
	const unsigned char *p = ps->p, *end = ps->end;

	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	ps->p = p;
}

/*
 * Let go of the scratch buffer (if it is malloc'd), zeroed: it held
 * decoded strings, and a process that forks after parsing (the template)
 * must leave none of them in its heap for the next child to read.
 */
static void scratch_drop(struct parser *ps)
{
	if (ps->scratch != ps->scratch_stack) {
		explicit_bzero(ps->scratch, ps->scratch_cap);
		free(ps->scratch);
	}
}

/* Room for n bytes in the scratch buffer, keeping its first keep bytes. */
static int scratch_reserve(struct parser *ps, size_t keep, size_t n)
{
	size_t cap = ps->scratch_cap;
	char *s;

	if (n <= cap)
		return 0;
	while (cap < n)
		cap = cap > SIZE_MAX / 2 ? n : cap * 2;
	/* Not realloc(): the old buffer is zeroed before it is freed. */
	s = malloc(cap);
	if (s == NULL)
		return -1;
	memcpy(s, ps->scratch, keep);
	scratch_drop(ps);
	ps->scratch = s;
	ps->scratch_cap = cap;
	return 0;
}

/* A raw control character at p inside a string. */
static void fail_control(struct parser *ps, const unsigned char *p)
{
	/* Reported before it: jansson puts it back before complaining. */
	if (*p == '\n')
		parse_fail(ps, p - 1, json_error_invalid_syntax,
			   "unexpected newline");
	else
		parse_fail(ps, p - 1, json_error_invalid_syntax,
			   "control character 0x%x", *p);
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The code unit of \uXXXX at p (p[0] == '\\'), or -1. */
static int32_t unicode_escape(const unsigned char *p, const unsigned char *end)
{
	int32_t v = 0;
	int i, d;

	if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
		return -1;
	for (i = 2; i < 6; i++) {
		d = hex_value(p[i]);
		if (d < 0)
			return -1;
		v = (v << 4) | d;
	}
	return v;
}

static size_t utf8_put(char *out, uint32_t cp)
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

/*
 * The rest of a string from p, its first backslash, on: decoded into the
 * scratch buffer after the len bytes already there. Returns 0 with *n set
 * and ps->p after the closing quote, or -1.
 */
static int scan_escaped(struct parser *ps, const unsigned char *p, size_t len,
			bool key, size_t *n)
{
	const unsigned char *end = ps->end, *run;
	int32_t cp, lo;
	size_t k;
	char c;

	for (;;) {
		run = p;
		while (p < end && ch_class[*p] == CH_PLAIN)
			p++;
		if (p == end) {
			parse_fail(ps, end, json_error_premature_end_of_input,
				   "premature end of input");
			return -1;
		}
		/* 4 is the most one escape or one sequence adds. */
		if (scratch_reserve(ps, len, len + (size_t)(p - run) + 4) < 0) {
			parse_oom(ps);
			return -1;
		}
		memcpy(ps->scratch + len, run, (size_t)(p - run));
		len += (size_t)(p - run);

		switch (ch_class[*p]) {
		case CH_QUOTE:
			ps->p = p + 1;
			*n = len;
			return 0;
		case CH_UTF8:
			k = utf8_len(p, end);
			if (k == 0) {
				parse_fail(ps, p, json_error_invalid_utf8,
					   "unable to decode byte 0x%x", *p);
				return -1;
			}
			memcpy(ps->scratch + len, p, k);
			len += k;
			p += k;
			continue;
		case CH_CONTROL:
			fail_control(ps, p);
			return -1;
		}

		/* A backslash. */
		if (end - p < 2) {
			parse_fail(ps, end, json_error_premature_end_of_input,
				   "premature end of input");
			return -1;
		}
		switch (p[1]) {
		case '"':
		case '\\':
		case '/':
			c = (char)p[1];
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u':
			cp = unicode_escape(p, end);
			if (cp < 0) {
				parse_fail(ps, p + 1, json_error_invalid_syntax,
					   "invalid escape");
				return -1;
			}
			p += 6;
			if (cp >= 0xDC00 && cp <= 0xDFFF) {
				parse_fail(ps, p - 1, json_error_invalid_syntax,
					   "invalid Unicode '\\u%04X'", cp);
				return -1;
			}
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				lo = unicode_escape(p, end);
				if (lo < 0xDC00 || lo > 0xDFFF) {
					parse_fail(ps, p,
						   json_error_invalid_syntax,
						   "invalid Unicode '\\u%04X'",
						   cp);
					return -1;
				}
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				     (lo - 0xDC00);
				p += 6;
			}
			if (cp == 0 && key) {
				parse_fail(
					ps, p - 1, json_error_null_byte_in_key,
					"NUL byte in object key not supported");
				return -1;
			}
			if (cp == 0) {
				parse_fail(ps, p - 1, json_error_null_character,
					   "\\u0000 is not allowed without "
					   "JSON_ALLOW_NUL");
				return -1;
			}
			len += utf8_put(ps->scratch + len, (uint32_t)cp);
			continue;
		default:
			parse_fail(ps, p + 1, json_error_invalid_syntax,
				   "invalid escape");
			return -1;
		}
		ps->scratch[len++] = c;
		p += 2;
	}
}

/*
 * The string whose opening quote is at ps->p (an object key when key is
 * set). On success *s and *n are its decoded bytes: a pointer into the
 * text when it has no escape (*escaped false), else into the scratch
 * buffer, valid until the next string or number. ps->p is left after the
 * closing quote. Returns 0 or -1.
 */
static int scan_string(struct parser *ps, bool key, const char **s, size_t *n,
		       bool *escaped)
{
	const unsigned char *start = ps->p + 1, *p = start, *end = ps->end;
	size_t k;

	for (;;) {
		while (p < end && ch_class[*p] == CH_PLAIN)
			p++;
		if (p == end) {
			parse_fail(ps, end, json_error_premature_end_of_input,
				   "premature end of input");
			return -1;
		}
		switch (ch_class[*p]) {
		case CH_QUOTE:
			ps->p = p + 1;
			*s = (const char *)start;
			*n = (size_t)(p - start);
			*escaped = false;
			return 0;
		case CH_UTF8:
			k = utf8_len(p, end);
			if (k == 0) {
				parse_fail(ps, p, json_error_invalid_utf8,
					   "unable to decode byte 0x%x", *p);
				return -1;
			}
			p += k;
			break;
		case CH_CONTROL:
			fail_control(ps, p);
			return -1;
		default: /* a backslash: decode from here on */
			k = (size_t)(p - start);
			if (scratch_reserve(ps, 0, k) < 0) {
				parse_oom(ps);
				return -1;
			}
			memcpy(ps->scratch, start, k);
			if (scan_escaped(ps, p, k, key, n) < 0)
				return -1;
			*s = ps->scratch;
			*escaped = true;
			return 0;
		}
	}
}

static bool is_digit(const unsigned char *p, const unsigned char *end)
{
	return p < end && *p >= '0' && *p <= '9';
}

/* The decimal point of the current locale, which strtod() expects and
 * printf() writes; jansson's to_locale() and from_locale() swap it for
 * '.'. nl_langinfo() rather than localeconv(), which is not thread-safe. */
static char locale_point(void)
{
	const char *point = nl_langinfo(RADIXCHAR);

	return point != NULL && point[0] != '\0' ? point[0] : '.';
}

/* A number with a fraction or an exponent: start is its first byte, p the
 * first byte after its integer part. */
static json_t *parse_real(struct parser *ps, const unsigned char *start,
			  const unsigned char *p)
{
	const unsigned char *end = ps->end;
	size_t n;
	char *dot, point;
	double d;
	json_t *v;

	if (*p == '.') {
		p++;
		if (!is_digit(p, end))
			goto invalid;
		while (is_digit(p, end))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (!is_digit(p, end))
			goto invalid;
		while (is_digit(p, end))
			p++;
	}
	ps->p = p;

	/* strtod() wants a NUL-terminated string in the current locale. */
	n = (size_t)(p - start);
	if (scratch_reserve(ps, 0, n + 1) < 0)
		return parse_oom(ps);
	memcpy(ps->scratch, start, n);
	ps->scratch[n] = '\0';
	point = locale_point();
	if (point != '.' && (dot = memchr(ps->scratch, '.', n)) != NULL)
		*dot = point;
	errno = 0;
	d = strtod(ps->scratch, NULL);
	if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE) {
		parse_fail(ps, p - 1, json_error_numeric_overflow,
			   "real number overflow");
		return NULL;
	}
	v = json_real(d);
	return v != NULL ? v : parse_oom(ps);

invalid:
	parse_fail(ps, p, json_error_invalid_syntax, "invalid token");
	return NULL;
}

static json_t *parse_number(struct parser *ps)
{
	const unsigned char *start = ps->p, *p = start, *end = ps->end;
	bool neg = *p == '-', overflow = false;
	uint64_t u = 0, limit;
	json_int_t i;
	json_t *v;

	if (neg)
		p++;
	if (!is_digit(p, end)) {
		parse_fail(ps, p, json_error_invalid_syntax, "invalid token");
		return NULL;
	}
	if (*p == '0') {
		p++;
		if (is_digit(p, end)) {
			/* No leading zeros. */
			parse_fail(ps, p - 1, json_error_invalid_syntax,
				   "invalid token");
			return NULL;
		}
	} else {
		do {
			overflow |= __builtin_mul_overflow(u, 10, &u);
			overflow |= __builtin_add_overflow(u, *p - '0', &u);
			p++;
		} while (is_digit(p, end));
	}
	if (p < end && (*p == '.' || *p == 'e' || *p == 'E'))
		return parse_real(ps, start, p);
	ps->p = p;

	limit = neg ? (uint64_t)LLONG_MAX + 1 : (uint64_t)LLONG_MAX;
	if (overflow || u > limit) {
		parse_fail(ps, p - 1, json_error_numeric_overflow,
			   neg ? "too big negative integer" :
				 "too big integer");
		return NULL;
	}
	if (u == (uint64_t)LLONG_MAX + 1)
		i = LLONG_MIN;
	else
		i = neg ? -(json_int_t)u : (json_int_t)u;
	v = json_integer(i);
	return v != NULL ? v : parse_oom(ps);
}

/* true, false or null at ps->p: word, n bytes long, is value. */
static json_t *parse_literal(struct parser *ps, const char *word, size_t n,
			     json_t *value)
{
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) {
		parse_fail(ps, ps->p, json_error_invalid_syntax,
			   "invalid token");
		return NULL;
	}
	ps->p += n;
	return value;
}

/*
 * After a member of an array or an object: a ',' (returns 1: another
 * member follows), the closer (returns 0: the container is done), or an
 * error, reported with expected (returns -1).
 */
static int next_member(struct parser *ps, char closer, const char *expected)
{
	skip_space(ps);
	if (ps->p < ps->end && *ps->p == ',') {
		ps->p++;
		skip_space(ps);
		return 1;
	}
	if (ps->p < ps->end && *ps->p == closer) {
		ps->p++;
		return 0;
	}
	parse_fail(ps, ps->p, json_error_invalid_syntax, "%s", expected);
	return -1;
}

static json_t *parse_array(struct parser *ps, unsigned depth)
{
	json_t *array, *v;
	int r;

	array = json_array();
	if (array == NULL)
		return parse_oom(ps);
	ps->p++;
	skip_space(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return array;
	}
	for (;;) {
		v = parse_value(ps, depth + 1);
		if (v == NULL)
			goto fail;
		/* Steals v even when it fails. */
		if (json_array_append_new(array, v) < 0) {
			parse_oom(ps);
			goto fail;
		}
		r = next_member(ps, ']', "']' expected");
		if (r > 0)
			continue;
		if (r == 0)
			return array;
		goto fail;
	}

fail:
	json_decref(array);
	return NULL;
}

static json_t *parse_object(struct parser *ps, unsigned depth)
{
	json_t *object, *v;
	const unsigned char *key_end;
	const char *key;
	char *owned = NULL;
	size_t len, size;
	int r;
	bool escaped;

	object = json_object();
	if (object == NULL)
		return parse_oom(ps);
	ps->p++;
	skip_space(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return object;
	}
	for (;;) {
		if (ps->p == ps->end || *ps->p != '"') {
			parse_fail(ps, ps->p, json_error_invalid_syntax,
				   "string or '}' expected");
			goto fail;
		}
		if (scan_string(ps, true, &key, &len, &escaped) < 0)
			goto fail;
		/* The value may use the scratch buffer too. */
		if (escaped) {
			owned = malloc(len + 1);
			if (owned == NULL) {
				parse_oom(ps);
				goto fail;
			}
			memcpy(owned, key, len);
			key = owned;
		}
		key_end = ps->p;
		skip_space(ps);
		if (ps->p == ps->end || *ps->p != ':') {
			parse_fail(ps, ps->p, json_error_invalid_syntax,
				   "':' expected");
			goto fail;
		}
		ps->p++;
		skip_space(ps);
		v = parse_value(ps, depth + 1);
		if (v == NULL)
			goto fail;
		/* Steals v even when it fails; a repeated key keeps its place
		 * and takes the new value, as in json_loadb(). Keys are UTF-8
		 * without NUL already, so nothing is left to check. */
		size = json_object_size(object);
		if (json_object_setn_new_nocheck(object, key, len, v) < 0) {
			parse_oom(ps);
			goto fail;
		}
		free(owned);
		owned = NULL;
		/* A repeated key leaves the size as it was: one hash lookup
		 * instead of json_object_getn() before the value. */
		if ((ps->flags & JSON_REJECT_DUPLICATES) &&
		    json_object_size(object) == size) {
			parse_fail(ps, key_end - 1, json_error_duplicate_key,
				   "duplicate object key");
			goto fail;
		}
		r = next_member(ps, '}', "'}' expected");
		if (r > 0)
			continue;
		if (r == 0)
			return object;
		goto fail;
	}

fail:
	free(owned);
	json_decref(object);
	return NULL;
}

/* The value at ps->p (after any whitespace), depth values deep. */
static json_t *parse_value(struct parser *ps, unsigned depth)
{
	const char *s;
	size_t n;
	bool escaped;
	json_t *v;

	if (depth > PARSE_MAX_DEPTH) {
		parse_fail(ps, ps->p, json_error_stack_overflow,
			   "maximum parsing depth reached");
		return NULL;
	}
	if (ps->p == ps->end) {
		parse_fail(ps, ps->end, json_error_premature_end_of_input,
			   "unexpected end of input");
		return NULL;
	}
	switch (*ps->p) {
	case '{':
		return parse_object(ps, depth);
	case '[':
		return parse_array(ps, depth);
	case '"':
		if (scan_string(ps, false, &s, &n, &escaped) < 0)
			return NULL;
		v = json_stringn_nocheck(s, n);
		return v != NULL ? v : parse_oom(ps);
	case '-':
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
	case '8':
	case '9':
		return parse_number(ps);
	case 't':
		return parse_literal(ps, "true", 4, json_true());
	case 'f':
		return parse_literal(ps, "false", 5, json_false());
	case 'n':
		return parse_literal(ps, "null", 4, json_null());
	default:
		if (*ps->p >= 0x80 && utf8_len(ps->p, ps->end) == 0)
			parse_fail(ps, ps->p, json_error_invalid_utf8,
				   "unable to decode byte 0x%x", *ps->p);
		else
			parse_fail(ps, ps->p, json_error_invalid_syntax,
				   "invalid token");
		return NULL;
	}
}

json_t *mpd_json_parse(const char *buf, size_t len, size_t flags,
		       json_error_t *error)
{
	struct parser ps;
	json_t *v = NULL;

	if (error != NULL)
		error_init(error);
	ps.buf = (const unsigned char *)(buf != NULL ? buf : "");
	ps.p = ps.buf;
	ps.end = buf != NULL ? ps.buf + len : ps.buf;
	ps.flags = flags;
	ps.error = error;
	ps.scratch = ps.scratch_stack;
	ps.scratch_cap = sizeof(ps.scratch_stack);

	if (buf == NULL) {
		parse_fail(&ps, ps.end, json_error_invalid_argument,
			   "wrong arguments");
		return NULL;
	}
	if (flags & ~(size_t)PARSE_FLAGS) {
		/* Reported at byte 0: nothing was read. */
		ps.end = ps.buf;
		parse_fail(&ps, ps.end, json_error_invalid_argument,
			   "unsupported flags 0x%zx",
			   flags & ~(size_t)PARSE_FLAGS);
		return NULL;
	}

	skip_space(&ps);
	if (!(flags & JSON_DECODE_ANY) &&
	    (ps.p == ps.end || (*ps.p != '[' && *ps.p != '{'))) {
		parse_fail(&ps, ps.p, json_error_invalid_syntax,
			   "'[' or '{' expected");
		goto out;
	}
	v = parse_value(&ps, 1);
	if (v == NULL)
		goto out;
	skip_space(&ps);
	if (ps.p != ps.end) {
		parse_fail(&ps, ps.p, json_error_end_of_input_expected,
			   "end of file expected");
		json_decref(v);
		v = NULL;
		goto out;
	}
	/* As json_loadb(): the bytes read, even without an error. */
	if (error != NULL)
		error->position = (int)len;

out:
	scratch_drop(&ps);
	explicit_bzero(ps.scratch_stack, sizeof(ps.scratch_stack));
	return v;
}

/* Encoding. */

struct out {
	char *buf;
	size_t len;
	size_t cap;
};

/* A container being written, and the one it is in. */
struct parent {
	const json_t *v;
	const struct parent *up;
};

static int encode_value(struct out *o, const json_t *v, unsigned depth,
			const struct parent *up);

static __attribute__((noinline)) int out_grow(struct out *o, size_t n)
{
	size_t need, cap = o->cap;
	char *b;

	if (n > SIZE_MAX - o->len)
		return -1;
	need = o->len + n;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b = realloc(o->buf, cap);
	if (b == NULL)
		return -1;
	o->buf = b;
	o->cap = cap;
	return 0;
}

/* Room for n more bytes. */
static inline int out_reserve(struct out *o, size_t n)
{
	return o->cap - o->len >= n ? 0 : out_grow(o, n);
}

static inline int out_add(struct out *o, const char *s, size_t n)
{
	if (out_reserve(o, n) < 0)
		return -1;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	return 0;
}

/*
 * A string as jansson's dump_string() writes it without flags: '"', '\\'
 * and control characters escaped (the short forms where JSON has them,
 * else \u00XX in upper case), everything else as it is. Returns -1 for
 * invalid UTF-8, which json_dumps() refuses too.
 */
static int encode_string(struct out *o, const char *str, size_t n)
{
	const unsigned char *p = (const unsigned char *)str, *end = p + n;
	const unsigned char *run;
	size_t k;
	char *w;

	/* Enough when nothing needs an escape; grown at each escape so that
	 * the rest of the string and the closing quote always fit. */
	if (n > SIZE_MAX - 2 || out_reserve(o, n + 2) < 0)
		return -1;
	o->buf[o->len++] = '"';
	for (;;) {
		run = p;
		while (p < end && ch_class[*p] == CH_PLAIN)
			p++;
		memcpy(o->buf + o->len, run, (size_t)(p - run));
		o->len += (size_t)(p - run);
		if (p == end)
			break;
		if (ch_class[*p] == CH_UTF8) {
			k = utf8_len(p, end);
			if (k == 0)
				return -1;
			memcpy(o->buf + o->len, p, k);
			o->len += k;
			p += k;
			continue;
		}
		/* 6 bytes for this one, 1 for each after it, the quote. */
		if (out_reserve(o, 6 + (size_t)(end - p)) < 0)
			return -1;
		w = o->buf + o->len;
		w[0] = '\\';
		switch (*p) {
		case '"':
		case '\\':
			w[1] = (char)*p;
			break;
		case '\b':
			w[1] = 'b';
			break;
		case '\f':
			w[1] = 'f';
			break;
		case '\n':
			w[1] = 'n';
			break;
		case '\r':
			w[1] = 'r';
			break;
		case '\t':
			w[1] = 't';
			break;
		default:
			w[1] = 'u';
			w[2] = '0';
			w[3] = '0';
			w[4] = hex_digits[*p >> 4];
			w[5] = hex_digits[*p & 0xF];
			o->len += 4;
			break;
		}
		o->len += 2;
		p++;
	}
	o->buf[o->len++] = '"';
	return 0;
}

/* Decimal digits of u, most significant first: at least width of them,
 * zero-padded. Returns how many were written to out. */
static size_t put_decimal(char *out, uint64_t u, size_t width)
{
	char tmp[DECIMAL_MAX];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0 || n < width);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

static int encode_integer(struct out *o, json_int_t i)
{
	char buf[DECIMAL_MAX];
	size_t n = 0;

	if (i < 0)
		buf[n++] = '-';
	/* Negated as unsigned, so that LLONG_MIN works too. */
	n += put_decimal(buf + n, i < 0 ? 0 - (uint64_t)i : (uint64_t)i, 0);
	return out_add(o, buf, n);
}

/*
 * d as printf("%.17g") writes it (with '.' for the point), computed
 * exactly in integers for the doubles whose decimal expansion fits in 128
 * bits: m * 2^e with m odd and REAL_EXACT_MIN_E <= e <= REAL_EXACT_MAX_E.
 * That covers integers, short binary fractions and wall-clock timestamps,
 * which are most reals on the wire. Returns the length written to out
 * (REAL_MAX bytes), or 0 for the other doubles.
 */
static size_t format_exact(char *out, double d)
{
	static const uint64_t pow5[] = {
		1ULL,
		5ULL,
		25ULL,
		125ULL,
		625ULL,
		3125ULL,
		15625ULL,
		78125ULL,
		390625ULL,
		1953125ULL,
		9765625ULL,
		48828125ULL,
		244140625ULL,
		1220703125ULL,
		6103515625ULL,
		30517578125ULL,
		152587890625ULL,
		762939453125ULL,
		3814697265625ULL,
		19073486328125ULL,
		95367431640625ULL,
		476837158203125ULL,
		2384185791015625ULL,
		11920928955078125ULL,
		59604644775390625ULL,
		298023223876953125ULL,
		1490116119384765625ULL,
		7450580596923828125ULL, /* 5^27, the largest in 64 bits */
	};
	const uint64_t e19 = 10000000000000000000ULL;
	char dig[REAL_EXACT_DIGITS], *w = out;
	unsigned __int128 n, q;
	uint64_t bits, m, hi, mid, lo;
	int e, k, x, len, i;
	bool up;

	memcpy(&bits, &d, sizeof(bits));
	if (bits >> 63)
		*w++ = '-';
	e = (int)((bits >> 52) & 0x7FF);
	m = bits & ((1ULL << 52) - 1);
	if (e == 0 && m == 0) {
		*w++ = '0';
		return (size_t)(w - out);
	}
	if (e == 0 || e == 0x7FF)
		return 0; /* subnormal (or not finite) */
	m |= 1ULL << 52;
	e -= 1075;
	e += __builtin_ctzll(m);
	m >>= __builtin_ctzll(m);
	if (e < REAL_EXACT_MIN_E || e > REAL_EXACT_MAX_E)
		return 0;

	/* d = n / 10^k exactly. */
	if (e >= 0) {
		n = (unsigned __int128)m << e;
		k = 0;
	} else {
		k = -e;
		n = (unsigned __int128)m * pow5[k < 27 ? k : 27];
		if (k > 27)
			n *= pow5[k - 27];
	}

	/* Its digits, in three pieces of at most 19: n = (hi * 10^19 + mid)
	 * * 10^19 + lo. */
	q = n / e19;
	lo = (uint64_t)(n - q * e19);
	hi = (uint64_t)(q / e19);
	mid = (uint64_t)(q - (unsigned __int128)hi * e19);
	len = 0;
	if (hi != 0)
		len += (int)put_decimal(dig, hi, 0);
	if (len > 0 || mid != 0)
		len += (int)put_decimal(dig + len, mid, len > 0 ? 19 : 0);
	len += (int)put_decimal(dig + len, lo, len > 0 ? 19 : 0);
	x = len - 1 - k; /* d = dig[0].dig[1]... * 10^x */

	/* Rounded to 17 significant digits, ties to even, as printf. */
	if (len > REAL_DIGITS) {
		up = dig[REAL_DIGITS] > '5';
		if (dig[REAL_DIGITS] == '5') {
			up = (dig[REAL_DIGITS - 1] - '0') & 1;
			for (i = REAL_DIGITS + 1; i < len; i++)
				up |= dig[i] != '0';
		}
		len = REAL_DIGITS;
		for (i = len - 1; up && i >= 0; i--) {
			up = dig[i] == '9';
			dig[i] = up ? '0' : (char)(dig[i] + 1);
		}
		if (up) {
			/* Not seen with 17 digits, which tell any two doubles
			 * apart; kept for what printf would do. */
			dig[0] = '1';
			x++;
		}
	}
	while (len > 1 && dig[len - 1] == '0')
		len--;

	/* %g: exponent style outside [-4, precision), trailing zeros of the
	 * fraction dropped, and the point with them. */
	if (x < -4 || x >= REAL_DIGITS) {
		*w++ = dig[0];
		if (len > 1) {
			*w++ = '.';
			memcpy(w, dig + 1, (size_t)len - 1);
			w += len - 1;
		}
		*w++ = 'e';
		*w++ = x < 0 ? '-' : '+';
		w += put_decimal(w, (uint64_t)(x < 0 ? -x : x), 2);
	} else if (x >= 0) {
		for (i = 0; i <= x; i++)
			*w++ = i < len ? dig[i] : '0';
		if (len > x + 1) {
			*w++ = '.';
			memcpy(w, dig + x + 1, (size_t)(len - x - 1));
			w += len - x - 1;
		}
	} else {
		*w++ = '0';
		*w++ = '.';
		for (i = 0; i < -x - 1; i++)
			*w++ = '0';
		memcpy(w, dig, (size_t)len);
		w += len;
	}
	return (size_t)(w - out);
}

/*
 * A real as jansson's jsonp_dtostr() writes it at the default precision:
 * "%.17g", the locale's decimal point turned back into '.', ".0" appended
 * when there is neither '.' nor 'e', the exponent's '+' and leading zeros
 * dropped.
 */
static int encode_real(struct out *o, double d)
{
	char buf[REAL_MAX], *s, *e, *digits, point;
	int n;
	size_t len;

	len = format_exact(buf, d);
	if (len == 0) {
		n = snprintf(buf, sizeof(buf), "%.17g", d);
		if (n < 0 || (size_t)n >= sizeof(buf))
			return -1;
		len = (size_t)n;
		point = locale_point();
		if (point != '.' && (s = memchr(buf, point, len)) != NULL)
			*s = '.';
	}
	e = memchr(buf, 'e', len);
	if (e == NULL && memchr(buf, '.', len) == NULL) {
		if (len + 2 > sizeof(buf))
			return -1;
		memcpy(buf + len, ".0", 2);
		len += 2;
	}
	if (e != NULL) {
		s = e + 1; /* the sign */
		digits = s + 1;
		if (*s == '-')
			s++;
		while (digits < buf + len && *digits == '0')
			digits++;
		if (digits != s) {
			memmove(s, digits, len - (size_t)(digits - buf));
			len -= (size_t)(digits - s);
		}
	}
	return out_add(o, buf, len);
}

/* Whether v is one of the containers it is inside. */
static bool is_ancestor(const json_t *v, const struct parent *up)
{
	for (; up != NULL; up = up->up) {
		if (up->v == v)
			return true;
	}
	return false;
}

static int encode_object(struct out *o, const json_t *v, unsigned depth,
			 const struct parent *up)
{
	struct parent self = { v, up };
	json_t *obj = (json_t *)v; /* the iterator API takes no const */
	void *iter = json_object_iter(obj);

	if (out_add(o, "{", 1) < 0)
		return -1;
	while (iter != NULL) {
		if (encode_string(o, json_object_iter_key(iter),
				  json_object_iter_key_len(iter)) < 0 ||
		    out_add(o, ":", 1) < 0 ||
		    encode_value(o, json_object_iter_value(iter), depth + 1,
				 &self) < 0)
			return -1;
		iter = json_object_iter_next(obj, iter);
		if (iter != NULL && out_add(o, ",", 1) < 0)
			return -1;
	}
	return out_add(o, "}", 1);
}

static int encode_array(struct out *o, const json_t *v, unsigned depth,
			const struct parent *up)
{
	struct parent self = { v, up };
	size_t i, n = json_array_size(v);

	if (out_add(o, "[", 1) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if ((i > 0 && out_add(o, ",", 1) < 0) ||
		    encode_value(o, json_array_get(v, i), depth + 1, &self) < 0)
			return -1;
	}
	return out_add(o, "]", 1);
}

static int encode_value(struct out *o, const json_t *v, unsigned depth,
			const struct parent *up)
{
	if (v == NULL)
		return -1;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		/* json_dumps() refuses a container inside itself. */
		if (depth >= ENCODE_CYCLE_DEPTH && is_ancestor(v, up))
			return -1;
		return json_is_object(v) ? encode_object(o, v, depth, up) :
					   encode_array(o, v, depth, up);
	case JSON_STRING:
		return encode_string(o, json_string_value(v),
				     json_string_length(v));
	case JSON_INTEGER:
		return encode_integer(o, json_integer_value(v));
	case JSON_REAL:
		return encode_real(o, json_real_value(v));
	case JSON_TRUE:
		return out_add(o, "true", 4);
	case JSON_FALSE:
		return out_add(o, "false", 5);
	case JSON_NULL:
		return out_add(o, "null", 4);
	}
	return -1;
}

char *mpd_json_encode(const json_t *v, size_t *len, size_t extra)
{
	struct out o = { NULL, 0, 0 };

	if (v == NULL)
		return NULL;
	o.buf = malloc(ENCODE_MIN_CAP);
	if (o.buf == NULL)
		return NULL;
	o.cap = ENCODE_MIN_CAP;
	if (encode_value(&o, v, 0, NULL) < 0 || out_reserve(&o, extra) < 0) {
		free(o.buf);
		return NULL;
	}
	if (extra > 0)
		o.buf[o.len] = '\0';
	if (len != NULL)
		*len = o.len;
	return o.buf;
}

size_t mpd_json_depth(const json_t *v, size_t limit)
{
	size_t deepest = 1, i;
	const char *key;
	json_t *m;

	if (limit == 0)
		return 1;
	if (json_is_array(v)) {
		json_array_foreach (v, i, m) {
			size_t d = mpd_json_depth(m, limit - 1) + 1;

			if (d > deepest)
				deepest = d;
			if (deepest > limit)
				break;
		}
	} else if (json_is_object(v)) {
		json_object_foreach ((json_t *)v, key, m) {
			size_t d = mpd_json_depth(m, limit - 1) + 1;

			if (d > deepest)
				deepest = d;
			if (deepest > limit)
				break;
		}
	}
	return deepest;
}
