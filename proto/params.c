/*
 * params.c - checking a method's params against its spec, centrally.
 *
 * Every method declares the fields it takes as a table of struct mpd_param
 * rows; the dispatcher runs mpd_params_dispatch() before the handler,
 * which checks them and extracts them into the handler's struct in one
 * pass, so a handler only ever sees params of the right shape and a client gets an
 * answer that names the offending field. Fields not in the spec are errors
 * (and are checked first: a misspelt required field is reported as the
 * unknown field it is, not as missing).
 *
 * Messages quote field names; a client's field name is cut to
 * FIELD_NAME_MAX bytes and a message to the caller's buffer, both on a
 * UTF-8 character boundary so the message can still be sent as JSON.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

/* Bytes of a client's field name quoted in a message. */
#define FIELD_NAME_MAX 64

static const struct {
	const char *name;
	const char *expected; /* with its article, for "expected ..." */
} types[] = {
	[MPD_PT_ANY] = { "any", "any value" },
	[MPD_PT_STRING] = { "string", "a string" },
	[MPD_PT_INT] = { "integer", "an integer" },
	[MPD_PT_NUMBER] = { "number", "a number" },
	[MPD_PT_BOOL] = { "boolean", "a boolean" },
	[MPD_PT_OBJECT] = { "object", "an object" },
	[MPD_PT_ARRAY] = { "array", "an array" },
	[MPD_PT_ID] = { "id", "an integer or a string" },
};

#define N_TYPES (sizeof(types) / sizeof(types[0]))

const char *mpd_param_type_name(enum mpd_param_type type)
{
	if ((size_t)type >= N_TYPES)
		return "unknown";
	return types[type].name;
}

static const char *expected_name(enum mpd_param_type type)
{
	if ((size_t)type >= N_TYPES)
		return "a value of unknown type";
	return types[type].expected;
}

/* What a JSON value is, for "got ...". */
static const char *json_type_label(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		return "null";
	}
	return "unknown";
}

/* Cut an incomplete UTF-8 sequence off the end of s (len bytes). */
static void utf8_trim_tail(char *s, size_t len)
{
	size_t i = len, need;
	unsigned char c;

	while (i > 0 && len - i < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
		i--;
	if (i == 0)
		return;
	c = (unsigned char)s[i - 1];
	if (c < 0xC0)
		return;
	need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
	if (len - (i - 1) < need)
		s[i - 1] = '\0';
}

__attribute__((format(printf, 3, 4))) static int fail(char *msg, size_t size,
						      const char *fmt, ...)
{
	va_list ap;
	int n;

	if (msg == NULL || size == 0)
		return MPD_RPC_INVALID_PARAMS;
	va_start(ap, fmt);
	n = vsnprintf(msg, size, fmt, ap);
	va_end(ap);
	if (n < 0)
		msg[0] = '\0';
	else if ((size_t)n >= size)
		utf8_trim_tail(msg, size - 1);
	return MPD_RPC_INVALID_PARAMS;
}

/* v < min, exactly, for an integer v. */
static bool int_below(json_int_t v, double min)
{
	double c = ceil(min);

	if (isnan(c) || c <= -0x1p63)
		return false;
	if (c >= 0x1p63)
		return true;
	return v < (json_int_t)c;
}

/* v > max, exactly, for an integer v. */
static bool int_above(json_int_t v, double max)
{
	double f = floor(max);

	if (isnan(f) || f >= 0x1p63)
		return false;
	if (f < -0x1p63)
		return true;
	return v > (json_int_t)f;
}

static bool type_matches(enum mpd_param_type type, const json_t *v)
{
	switch (type) {
	case MPD_PT_ANY:
		return true;
	case MPD_PT_STRING:
		return json_is_string(v);
	case MPD_PT_INT:
		return json_is_integer(v);
	case MPD_PT_NUMBER:
		return json_is_number(v);
	case MPD_PT_BOOL:
		return json_is_boolean(v);
	case MPD_PT_OBJECT:
		return json_is_object(v);
	case MPD_PT_ARRAY:
		return json_is_array(v);
	case MPD_PT_ID:
		return json_is_integer(v) || json_is_string(v);
	}
	return false;
}

/* A bound as people write it: a whole number in full (9007199254740991,
 * not 9.00719925474099e+15), anything else in at most 15 digits. */
static const char *bound_text(double v, char *buf, size_t size)
{
	if (v == trunc(v) && fabs(v) < 1e18)
		snprintf(buf, size, "%.0f", v);
	else
		snprintf(buf, size, "%.15g", v);
	return buf;
}

/* An infinite bound is no bound: "at least" or "at most" instead. */
static int range_fail(const struct mpd_param *p, char *msg, size_t size)
{
	char lo[32], hi[32];

	if (isinf(p->max))
		return fail(msg, size, "\"%s\": must be at least %s", p->name,
			    bound_text(p->min, lo, sizeof(lo)));
	if (isinf(p->min))
		return fail(msg, size, "\"%s\": must be at most %s", p->name,
			    bound_text(p->max, hi, sizeof(hi)));
	return fail(msg, size, "\"%s\": must be between %s and %s", p->name,
		    bound_text(p->min, lo, sizeof(lo)),
		    bound_text(p->max, hi, sizeof(hi)));
}

static int check_one(const struct mpd_param *p, const json_t *v, char *msg,
		     size_t size)
{
	size_t n;

	if (!type_matches(p->type, v))
		return fail(msg, size, "\"%s\": expected %s, got %s", p->name,
			    expected_name(p->type), json_type_label(v));

	if (json_is_string(v)) {
		n = json_string_length(v);
		/* Typed strings are names: the handlers use them as C strings. */
		if (p->type != MPD_PT_ANY && strlen(json_string_value(v)) != n)
			return fail(msg, size,
				    "\"%s\": must not contain a NUL byte",
				    p->name);
		if (n == 0 &&
		    (p->type == MPD_PT_ID || (p->flags & MPD_PF_NONEMPTY)))
			return fail(msg, size, "\"%s\": must not be empty",
				    p->name);
	}
	if (p->flags & MPD_PF_NONEMPTY) {
		if ((json_is_array(v) && json_array_size(v) == 0) ||
		    (json_is_object(v) && json_object_size(v) == 0))
			return fail(msg, size, "\"%s\": must not be empty",
				    p->name);
	}
	if (p->type == MPD_PT_ID && json_is_integer(v) &&
	    json_integer_value(v) < 0)
		return fail(msg, size, "\"%s\": must not be negative", p->name);
	if (p->type == MPD_PT_NUMBER && !isfinite(json_number_value(v)))
		return fail(msg, size, "\"%s\": must be a finite number",
			    p->name);

	if (p->flags & MPD_PF_RANGE) {
		if (p->type == MPD_PT_INT &&
		    (int_below(json_integer_value(v), p->min) ||
		     int_above(json_integer_value(v), p->max)))
			return range_fail(p, msg, size);
		if (p->type == MPD_PT_NUMBER &&
		    (json_number_value(v) < p->min ||
		     json_number_value(v) > p->max))
			return range_fail(p, msg, size);
	}
	return 0;
}

/* Write v (NULL: absent) as p says into out. */
static void extract(const struct mpd_param *p, json_t *v, char *out)
{
	void *at = out + p->offset;

	switch (p->flags & MPD_PF_JSON ? MPD_PT_ANY : p->type) {
	case MPD_PT_STRING: {
		const char *s = v != NULL ? json_string_value(v) : NULL;

		memcpy(at, &s, sizeof(s));
		break;
	}
	case MPD_PT_INT: {
		json_int_t i = v != NULL ? json_integer_value(v) :
					   (json_int_t)p->dflt;

		memcpy(at, &i, sizeof(i));
		break;
	}
	case MPD_PT_NUMBER: {
		double d = v != NULL ? json_number_value(v) : p->dflt;

		memcpy(at, &d, sizeof(d));
		break;
	}
	case MPD_PT_BOOL: {
		bool b = v != NULL ? json_is_true(v) : p->dflt != 0;

		memcpy(at, &b, sizeof(b));
		break;
	}
	default:
		memcpy(at, &v, sizeof(v));
		break;
	}
}

int mpd_params_check(const struct mpd_param *spec, json_t *params, char *msg,
		     size_t size, const char **field)
{
	return mpd_params_dispatch(spec, params, NULL, msg, size, field);
}

int mpd_params_dispatch(const struct mpd_param *spec, json_t *params, void *out,
			char *msg, size_t size, const char **field)
{
	const struct mpd_param *p;
	const char *key;
	json_t *v;
	int r;

	if (field != NULL)
		*field = NULL;
	if (msg != NULL && size > 0)
		msg[0] = '\0';

	if (params != NULL && !json_is_object(params))
		return fail(msg, size, "params must be an object");

	json_object_foreach (params, key, v) {
		for (p = spec; p->name != NULL; p++) {
			if (strcmp(p->name, key) == 0)
				break;
		}
		if (p->name == NULL) {
			size_t n = strlen(key);
			size_t cut = n;

			if (cut > FIELD_NAME_MAX) {
				cut = FIELD_NAME_MAX;
				while (cut > 0 &&
				       ((unsigned char)key[cut] & 0xC0) == 0x80)
					cut--;
			}
			if (field != NULL)
				*field = key;
			return fail(msg, size, "unknown field \"%.*s%s\"",
				    (int)cut, key, cut < n ? "..." : "");
		}
	}

	for (p = spec; p->name != NULL; p++) {
		v = params != NULL ? json_object_get(params, p->name) : NULL;
		if (out != NULL && (p->flags & MPD_PF_OUT))
			extract(p, v, out);
		if (v == NULL) {
			if (!(p->flags & MPD_PF_REQUIRED))
				continue;
			if (field != NULL)
				*field = p->name;
			return fail(msg, size, "missing required field \"%s\"",
				    p->name);
		}
		r = check_one(p, v, msg, size);
		if (r != 0) {
			if (field != NULL)
				*field = p->name;
			return r;
		}
	}
	return 0;
}
