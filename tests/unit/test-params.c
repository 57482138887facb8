/*
 * test-params.c - unit tests of the central param check (proto/params.c).
 *
 * One spec with a field of every type and flag; every way a client can get
 * a field wrong must be refused with a message naming that field, and the
 * edges of ranges must fall on the right side.
 */
#include <math.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>

#include "proto.h"

static const struct mpd_param spec[] = {
	{ .name = "name",
	  .type = MPD_PT_STRING,
	  .flags = MPD_PF_REQUIRED | MPD_PF_NONEMPTY },
	{ .name = "count",
	  .type = MPD_PT_INT,
	  .flags = MPD_PF_RANGE,
	  .min = 1,
	  .max = 100 },
	{ .name = "timeout",
	  .type = MPD_PT_NUMBER,
	  .flags = MPD_PF_RANGE,
	  .min = 0,
	  .max = INFINITY },
	{ .name = "ratio",
	  .type = MPD_PT_NUMBER,
	  .flags = MPD_PF_RANGE,
	  .min = -0.5,
	  .max = 0.5 },
	{ .name = "delta",
	  .type = MPD_PT_INT,
	  .flags = MPD_PF_RANGE,
	  .min = -INFINITY,
	  .max = 10 },
	{ .name = "size",
	  .type = MPD_PT_INT,
	  .flags = MPD_PF_RANGE,
	  .min = 0,
	  .max = 9007199254740991.0 },
	{ .name = "level",
	  .type = MPD_PT_NUMBER,
	  .flags = MPD_PF_RANGE,
	  .min = -1e20,
	  .max = 1e20 },
	{ .name = "label", .type = MPD_PT_STRING },
	{ .name = "flag", .type = MPD_PT_BOOL },
	{ .name = "opts", .type = MPD_PT_OBJECT },
	{ .name = "env", .type = MPD_PT_OBJECT, .flags = MPD_PF_NONEMPTY },
	{ .name = "items", .type = MPD_PT_ARRAY, .flags = MPD_PF_NONEMPTY },
	{ .name = "args", .type = MPD_PT_ARRAY },
	{ .name = "id", .type = MPD_PT_ID },
	{ .name = "value", .type = MPD_PT_ANY },
	{ .name = NULL },
};

static json_t *load(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &err);

	cr_assert(ne(ptr, v, NULL), "bad test JSON %s: %s", text, err.text);
	return v;
}

/* Criterion runs each parameter in a fresh process: no pointers in them. */
struct good {
	char json[160];
};

ParameterizedTestParameters(params, good_params_pass)
{
	static struct good cases[] = {
		{ "{\"name\":\"x\"}" },
		{ "{\"name\":\"x\",\"count\":1,\"timeout\":0,\"ratio\":-0.5,"
		  "\"delta\":-9999999999,\"label\":\"\",\"flag\":false,"
		  "\"opts\":{},\"env\":{\"A\":\"1\"},\"items\":[0],\"args\":[],"
		  "\"id\":0,\"value\":null}" },
		{ "{\"name\":\"x\",\"count\":100,\"timeout\":2.5,\"ratio\":0.5,"
		  "\"delta\":10}" },
		{ "{\"name\":\"x\",\"timeout\":1e300}" },
		{ "{\"name\":\"x\",\"timeout\":7}" },
		{ "{\"name\":\"x\",\"ratio\":0}" },
		{ "{\"name\":\"x\",\"id\":\"worker\"}" },
		{ "{\"name\":\"x\",\"id\":9223372036854775807}" },
		{ "{\"name\":\"x\",\"value\":[{\"deep\":true}]}" },
		{ "{\"name\":\"x\",\"value\":\"\"}" },
	};

	return cr_make_param_array(struct good, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct good *c, params, good_params_pass)
{
	json_t *p = load(c->json);
	char msg[128] = "unset";
	const char *field = "unset";

	cr_assert(eq(int, mpd_params_check(spec, p, msg, sizeof(msg), &field),
		     0),
		  "%s: %s", c->json, msg);
	cr_assert(eq(str, msg, ""));
	cr_assert(eq(ptr, (void *)field, NULL));
	json_decref(p);
}

struct bad {
	char json[128];
	char msg[96];
	char field[16];
};

ParameterizedTestParameters(params, bad_params_are_refused)
{
	static struct bad cases[] = {
		/* missing and unknown */
		{ "{}", "missing required field \"name\"", "name" },
		{ "{\"count\":3}", "missing required field \"name\"", "name" },
		{ "{\"name\":\"x\",\"foo\":1}", "unknown field \"foo\"",
		  "foo" },
		{ "{\"nmae\":\"x\"}", "unknown field \"nmae\"", "nmae" },
		{ "{\"name\":\"x\",\"\":1}", "unknown field \"\"", "" },
		/* string */
		{ "{\"name\":1}", "\"name\": expected a string, got integer",
		  "name" },
		{ "{\"name\":null}", "\"name\": expected a string, got null",
		  "name" },
		{ "{\"name\":[]}", "\"name\": expected a string, got array",
		  "name" },
		{ "{\"name\":\"\"}", "\"name\": must not be empty", "name" },
		{ "{\"name\":\"x\",\"label\":{}}",
		  "\"label\": expected a string, got object", "label" },
		/* integer */
		{ "{\"name\":\"x\",\"count\":\"3\"}",
		  "\"count\": expected an integer, got string", "count" },
		{ "{\"name\":\"x\",\"count\":1.5}",
		  "\"count\": expected an integer, got real number", "count" },
		{ "{\"name\":\"x\",\"count\":2.0}",
		  "\"count\": expected an integer, got real number", "count" },
		{ "{\"name\":\"x\",\"count\":true}",
		  "\"count\": expected an integer, got boolean", "count" },
		{ "{\"name\":\"x\",\"count\":0}",
		  "\"count\": must be between 1 and 100", "count" },
		{ "{\"name\":\"x\",\"count\":101}",
		  "\"count\": must be between 1 and 100", "count" },
		{ "{\"name\":\"x\",\"count\":-9223372036854775808}",
		  "\"count\": must be between 1 and 100", "count" },
		{ "{\"name\":\"x\",\"delta\":11}",
		  "\"delta\": must be at most 10", "delta" },
		/* whole bounds in full, others in 15 digits at most */
		{ "{\"name\":\"x\",\"size\":-1}",
		  "\"size\": must be between 0 and 9007199254740991", "size" },
		{ "{\"name\":\"x\",\"level\":1e21}",
		  "\"level\": must be between -1e+20 and 1e+20", "level" },
		/* number */
		{ "{\"name\":\"x\",\"timeout\":\"1\"}",
		  "\"timeout\": expected a number, got string", "timeout" },
		{ "{\"name\":\"x\",\"timeout\":null}",
		  "\"timeout\": expected a number, got null", "timeout" },
		{ "{\"name\":\"x\",\"timeout\":false}",
		  "\"timeout\": expected a number, got boolean", "timeout" },
		{ "{\"name\":\"x\",\"timeout\":-0.001}",
		  "\"timeout\": must be at least 0", "timeout" },
		{ "{\"name\":\"x\",\"timeout\":-1}",
		  "\"timeout\": must be at least 0", "timeout" },
		{ "{\"name\":\"x\",\"ratio\":0.51}",
		  "\"ratio\": must be between -0.5 and 0.5", "ratio" },
		{ "{\"name\":\"x\",\"ratio\":-1}",
		  "\"ratio\": must be between -0.5 and 0.5", "ratio" },
		/* boolean, object, array */
		{ "{\"name\":\"x\",\"flag\":1}",
		  "\"flag\": expected a boolean, got integer", "flag" },
		{ "{\"name\":\"x\",\"flag\":\"true\"}",
		  "\"flag\": expected a boolean, got string", "flag" },
		{ "{\"name\":\"x\",\"opts\":[]}",
		  "\"opts\": expected an object, got array", "opts" },
		{ "{\"name\":\"x\",\"env\":{}}", "\"env\": must not be empty",
		  "env" },
		{ "{\"name\":\"x\",\"items\":{}}",
		  "\"items\": expected an array, got object", "items" },
		{ "{\"name\":\"x\",\"items\":[]}",
		  "\"items\": must not be empty", "items" },
		{ "{\"name\":\"x\",\"args\":\"a b\"}",
		  "\"args\": expected an array, got string", "args" },
		/* id */
		{ "{\"name\":\"x\",\"id\":-1}", "\"id\": must not be negative",
		  "id" },
		{ "{\"name\":\"x\",\"id\":\"\"}", "\"id\": must not be empty",
		  "id" },
		{ "{\"name\":\"x\",\"id\":1.0}",
		  "\"id\": expected an integer or a string, got real number",
		  "id" },
		{ "{\"name\":\"x\",\"id\":null}",
		  "\"id\": expected an integer or a string, got null", "id" },
		{ "{\"name\":\"x\",\"id\":true}",
		  "\"id\": expected an integer or a string, got boolean",
		  "id" },
		{ "{\"name\":\"x\",\"id\":[1]}",
		  "\"id\": expected an integer or a string, got array", "id" },
	};

	return cr_make_param_array(struct bad, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad *c, params, bad_params_are_refused)
{
	json_t *p = load(c->json);
	char msg[128];
	const char *field = "unset";

	cr_assert(eq(int, mpd_params_check(spec, p, msg, sizeof(msg), &field),
		     MPD_RPC_INVALID_PARAMS),
		  "%s", c->json);
	cr_assert(eq(str, msg, c->msg), "%s", c->json);
	cr_assert(ne(ptr, (void *)field, NULL), "%s", c->json);
	cr_assert(eq(str, (char *)field, c->field), "%s", c->json);
	json_decref(p);
}

struct not_object {
	char json[16];
};

/* Positional (array) params included: mpd takes named params only. */
ParameterizedTestParameters(params, non_object_params_are_refused)
{
	static struct not_object cases[] = {
		{ "[]" },  { "[\"x\",1]" }, { "\"x\"" }, { "1" },
		{ "1.5" }, { "true" },	    { "null" },
	};

	return cr_make_param_array(struct not_object, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct not_object *c, params, non_object_params_are_refused)
{
	json_t *p = load(c->json);
	char msg[128];
	const char *field = "unset";

	cr_assert(eq(int, mpd_params_check(spec, p, msg, sizeof(msg), &field),
		     MPD_RPC_INVALID_PARAMS),
		  "%s", c->json);
	cr_assert(eq(str, msg, "params must be an object"), "%s", c->json);
	cr_assert(eq(ptr, (void *)field, NULL), "%s", c->json);
	json_decref(p);
}

Test(params, field_points_into_spec_or_params)
{
	json_t *p = load("{\"name\":5}");
	char msg[128];
	const char *field;
	const char *key;
	json_t *v;

	mpd_params_check(spec, p, msg, sizeof(msg), &field);
	cr_assert(eq(ptr, (void *)field, (void *)spec[0].name));
	json_decref(p);

	p = load("{\"bogus\":5}");
	mpd_params_check(spec, p, msg, sizeof(msg), &field);
	json_object_foreach (p, key, v) {
		cr_assert(eq(ptr, (void *)field, (void *)key));
	}
	json_decref(p);
}

Test(params, null_params_is_an_empty_object)
{
	static const struct mpd_param optional[] = {
		{ .name = "timeout", .type = MPD_PT_NUMBER },
		{ .name = NULL },
	};
	char msg[128];
	const char *field;

	cr_assert(eq(int,
		     mpd_params_check(optional, NULL, msg, sizeof(msg), &field),
		     0));
	cr_assert(eq(int,
		     mpd_params_check(spec, NULL, msg, sizeof(msg), &field),
		     MPD_RPC_INVALID_PARAMS));
	cr_assert(eq(str, msg, "missing required field \"name\""));
	cr_assert(eq(str, (char *)field, "name"));
}

Test(params, empty_spec_takes_only_empty_params)
{
	static const struct mpd_param none[] = { { .name = NULL } };
	json_t *empty = json_object();
	json_t *one = load("{\"a\":1}");
	char msg[128];

	cr_assert(eq(int, mpd_params_check(none, empty, msg, sizeof(msg), NULL),
		     0));
	cr_assert(eq(int, mpd_params_check(none, one, msg, sizeof(msg), NULL),
		     MPD_RPC_INVALID_PARAMS));
	cr_assert(eq(str, msg, "unknown field \"a\""));
	json_decref(empty);
	json_decref(one);
}

Test(params, nul_byte_in_a_string_is_refused)
{
	json_t *p = json_pack("{s:o}", "name", json_stringn("a\0b", 3));
	char msg[128];
	const char *field;

	cr_assert(eq(int, mpd_params_check(spec, p, msg, sizeof(msg), &field),
		     MPD_RPC_INVALID_PARAMS));
	cr_assert(eq(str, msg, "\"name\": must not contain a NUL byte"));
	json_decref(p);
}

Test(params, integer_range_is_exact_beyond_double_precision)
{
	/* 2^53: the next integer up is not a double. */
	static const struct mpd_param big[] = {
		{ .name = "n",
		  .type = MPD_PT_INT,
		  .flags = MPD_PF_RANGE,
		  .min = 0.5,
		  .max = 9007199254740992.0 },
		{ .name = NULL },
	};
	char msg[128];
	json_t *p;

	p = load("{\"n\":9007199254740992}");
	cr_assert(eq(int, mpd_params_check(big, p, msg, sizeof(msg), NULL), 0));
	json_decref(p);
	p = load("{\"n\":9007199254740993}");
	cr_assert(eq(int, mpd_params_check(big, p, msg, sizeof(msg), NULL),
		     MPD_RPC_INVALID_PARAMS));
	json_decref(p);
	/* A fractional bound admits the integers inside it. */
	p = load("{\"n\":1}");
	cr_assert(eq(int, mpd_params_check(big, p, msg, sizeof(msg), NULL), 0));
	json_decref(p);
	p = load("{\"n\":0}");
	cr_assert(eq(int, mpd_params_check(big, p, msg, sizeof(msg), NULL),
		     MPD_RPC_INVALID_PARAMS));
	json_decref(p);
}

Test(params, range_is_only_checked_with_the_flag)
{
	static const struct mpd_param loose[] = {
		{ .name = "n", .type = MPD_PT_INT, .min = 1, .max = 2 },
		{ .name = NULL },
	};
	json_t *p = load("{\"n\":50}");
	char msg[128];

	cr_assert(
		eq(int, mpd_params_check(loose, p, msg, sizeof(msg), NULL), 0));
	json_decref(p);
}

Test(params, long_unknown_field_is_cut_on_a_character)
{
	char key[2 + 2 * 40];
	json_t *p = json_object();
	json_t *s;
	char msg[256];

	/* "a" then 40 two-byte characters: byte 64 is mid-character. */
	key[0] = 'a';
	for (int i = 0; i < 40; i++)
		memcpy(key + 1 + 2 * i, "\xc3\xa9", 2);
	key[sizeof(key) - 1] = '\0';
	json_object_set_new(p, key, json_true());
	cr_assert(eq(int, mpd_params_check(spec, p, msg, sizeof(msg), NULL),
		     MPD_RPC_INVALID_PARAMS));
	cr_assert(eq(sz, strlen(msg), strlen("unknown field \"...\"") + 63));
	s = json_string(msg);
	cr_assert(ne(ptr, s, NULL), "message is not valid UTF-8");
	json_decref(s);
	json_decref(p);
}

Test(params, short_buffer_is_cut_on_a_character)
{
	/* The full message is 22 bytes: "unknown field \"" (15), two 3-byte
	 * characters, '"'. Each buffer size keeps whole characters only. */
	static const struct {
		size_t size;
		const char *want;
	} cuts[] = {
		{ 16, "unknown field \"" },
		{ 17, "unknown field \"" },
		{ 18, "unknown field \"" },
		{ 19, "unknown field \"\xe2\x82\xac" },
		{ 21, "unknown field \"\xe2\x82\xac" },
		{ 22, "unknown field \"\xe2\x82\xac\xe2\x82\xac" },
		{ 23, "unknown field \"\xe2\x82\xac\xe2\x82\xac\"" },
	};
	json_t *p = load("{\"\xe2\x82\xac\xe2\x82\xac\":1}");
	char msg[32];

	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		memset(msg, 'x', sizeof(msg));
		cr_assert(eq(int,
			     mpd_params_check(spec, p, msg, cuts[i].size, NULL),
			     MPD_RPC_INVALID_PARAMS));
		cr_assert(eq(str, msg, (char *)cuts[i].want), "size %zu",
			  cuts[i].size);
		/* Nothing written past the buffer. */
		cr_assert(eq(chr, msg[cuts[i].size], 'x'));
	}
	json_decref(p);
}

Test(params, no_message_buffer_still_fails)
{
	json_t *p = load("{}");
	char one[1] = { 'x' };

	cr_assert(eq(int, mpd_params_check(spec, p, NULL, 0, NULL),
		     MPD_RPC_INVALID_PARAMS));
	cr_assert(eq(int, mpd_params_check(spec, p, one, sizeof(one), NULL),
		     MPD_RPC_INVALID_PARAMS));
	cr_assert(eq(chr, one[0], '\0'));
	json_decref(p);
}

Test(params, type_names)
{
	cr_assert(eq(str, (char *)mpd_param_type_name(MPD_PT_ANY), "any"));
	cr_assert(
		eq(str, (char *)mpd_param_type_name(MPD_PT_STRING), "string"));
	cr_assert(eq(str, (char *)mpd_param_type_name(MPD_PT_INT), "integer"));
	cr_assert(
		eq(str, (char *)mpd_param_type_name(MPD_PT_NUMBER), "number"));
	cr_assert(eq(str, (char *)mpd_param_type_name(MPD_PT_BOOL), "boolean"));
	cr_assert(
		eq(str, (char *)mpd_param_type_name(MPD_PT_OBJECT), "object"));
	cr_assert(eq(str, (char *)mpd_param_type_name(MPD_PT_ARRAY), "array"));
	cr_assert(eq(str, (char *)mpd_param_type_name(MPD_PT_ID), "id"));
	cr_assert(eq(str, (char *)mpd_param_type_name((enum mpd_param_type)99),
		     "unknown"));
}

/* What mpd_params_dispatch() extracts into. */
struct out {
	const char *name;
	json_int_t count;
	double timeout;
	bool flag;
	json_t *value;
	json_t *delta; /* an int, as its JSON */
};

static const struct mpd_param out_spec[] = {
	{ .name = "name",
	  .type = MPD_PT_STRING,
	  .flags = MPD_PF_OUT,
	  .offset = offsetof(struct out, name) },
	{ .name = "count",
	  .type = MPD_PT_INT,
	  .flags = MPD_PF_RANGE | MPD_PF_OUT,
	  .min = 1,
	  .max = 100,
	  .offset = offsetof(struct out, count),
	  .dflt = 7 },
	{ .name = "timeout",
	  .type = MPD_PT_NUMBER,
	  .flags = MPD_PF_OUT,
	  .offset = offsetof(struct out, timeout),
	  .dflt = -1 },
	{ .name = "flag",
	  .type = MPD_PT_BOOL,
	  .flags = MPD_PF_OUT,
	  .offset = offsetof(struct out, flag),
	  .dflt = 1 },
	{ .name = "value",
	  .type = MPD_PT_ANY,
	  .flags = MPD_PF_OUT,
	  .offset = offsetof(struct out, value) },
	{ .name = "delta",
	  .type = MPD_PT_INT,
	  .flags = MPD_PF_OUT | MPD_PF_JSON,
	  .offset = offsetof(struct out, delta) },
	{ .name = "other", .type = MPD_PT_STRING },
	{ .name = NULL },
};

Test(params, dispatch_extracts_every_type)
{
	json_t *p = load("{\"name\":\"q\",\"count\":5,\"timeout\":1.5,"
			 "\"flag\":false,\"value\":[1],\"delta\":-3,"
			 "\"other\":\"x\"}");
	struct out o;
	char msg[128];

	memset(&o, 0xA5, sizeof(o));
	cr_assert(
		eq(int,
		   mpd_params_dispatch(out_spec, p, &o, msg, sizeof(msg), NULL),
		   0));
	cr_assert(eq(str, (char *)o.name, "q"));
	cr_assert(eq(i64, o.count, 5));
	cr_assert(eq(dbl, o.timeout, 1.5));
	cr_assert(not(o.flag));
	cr_assert(eq(ptr, o.value, json_object_get(p, "value")));
	cr_assert(eq(ptr, o.delta, json_object_get(p, "delta")));
	json_decref(p);
}

Test(params, dispatch_writes_defaults_for_absent_fields)
{
	json_t *p = load("{}");
	struct out o;
	char msg[128];

	memset(&o, 0xA5, sizeof(o));
	cr_assert(
		eq(int,
		   mpd_params_dispatch(out_spec, p, &o, msg, sizeof(msg), NULL),
		   0));
	cr_assert(eq(ptr, (void *)o.name, NULL));
	cr_assert(eq(i64, o.count, 7));
	cr_assert(eq(dbl, o.timeout, -1));
	cr_assert(o.flag);
	cr_assert(eq(ptr, o.value, NULL));
	cr_assert(eq(ptr, o.delta, NULL));
	json_decref(p);
}

Test(params, dispatch_checks_as_check_does)
{
	json_t *p = load("{\"count\":500}");
	struct out o;
	char a[128], b[128];
	const char *fa, *fb;

	cr_assert(eq(int,
		     mpd_params_dispatch(out_spec, p, &o, a, sizeof(a), &fa),
		     MPD_RPC_INVALID_PARAMS));
	cr_assert(eq(int, mpd_params_check(out_spec, p, b, sizeof(b), &fb),
		     MPD_RPC_INVALID_PARAMS));
	cr_assert(eq(str, a, b));
	cr_assert(eq(str, (char *)fa, (char *)fb));
	json_decref(p);
}
