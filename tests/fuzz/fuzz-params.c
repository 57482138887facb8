/*
 * fuzz-params.c - the central param check (proto/params.c) against a model.
 *
 * The daemon's param specs live with their handlers in daemon/, out of
 * proto's reach, so the specs here are the shapes they use: the table of
 * tests/unit/test-params.c (a field of every type and flag), and specs
 * built from the input itself, rows of any type, flags and bounds (the
 * edges: infinities, 2^53, 2^63, fractions). Input: one byte of row count
 * (0 takes the fixed table), three bytes per row, one byte choosing the
 * message buffer's size; the rest is the params as JSON text.
 *
 * The model says, the simple way, what the check must decide: the first
 * unknown member (in the object's order) is the offending field, then the
 * first spec row (in spec order) that is missing while required or whose
 * value is wrong; ranges are compared exactly (long double holds every
 * int64 and double). The check must agree on the verdict and the field,
 * write a NUL-terminated, UTF-8 message within the buffer it is given
 * (exactly that many bytes, so ASan sees a byte too far), and never touch
 * a NULL or empty buffer.
 */
#include <math.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "proto.h"

#define MAX_ROWS 8

static const struct mpd_param fixed_spec[] = {
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

static const char *const row_names[] = {
	"name", "id", "timeout", "max", "items", "value", "a", "\xc3\xa9"
};

static const double bounds[] = {
	-INFINITY,
	INFINITY,
	0,
	1,
	-0.5,
	0.5,
	100,
	-1,
	9007199254740991.0,
	-9007199254740991.0,
	0x1p53,
	0x1p63,
	-0x1p63,
	0x1p63 - 1024,
	1e300,
	-1e300,
};

static const size_t msg_sizes[] = { 0, 1, 2, 3, 5, 8, 16, 24, 64, 512 };

static bool type_ok(enum mpd_param_type t, const json_t *v)
{
	switch (t) {
	case MPD_PT_ANY:
		return true;
	case MPD_PT_STRING:
		return json_is_string(v);
	case MPD_PT_INT:
		return json_is_integer(v);
	case MPD_PT_NUMBER:
		return json_is_integer(v) || json_is_real(v);
	case MPD_PT_BOOL:
		return json_is_true(v) || json_is_false(v);
	case MPD_PT_OBJECT:
		return json_is_object(v);
	case MPD_PT_ARRAY:
		return json_is_array(v);
	case MPD_PT_ID:
		return json_is_integer(v) || json_is_string(v);
	}
	return false;
}

/* The value exactly, for range checks. */
static long double exact(const json_t *v)
{
	if (json_is_integer(v))
		return (long double)json_integer_value(v);
	return (long double)json_real_value(v);
}

static bool value_ok(const struct mpd_param *p, const json_t *v)
{
	if (!type_ok(p->type, v))
		return false;
	if (json_is_string(v)) {
		size_t n = json_string_length(v);

		if (p->type != MPD_PT_ANY &&
		    memchr(json_string_value(v), '\0', n) != NULL)
			return false;
		if (n == 0 &&
		    (p->type == MPD_PT_ID || (p->flags & MPD_PF_NONEMPTY)))
			return false;
	}
	if ((p->flags & MPD_PF_NONEMPTY) &&
	    ((json_is_array(v) && json_array_size(v) == 0) ||
	     (json_is_object(v) && json_object_size(v) == 0)))
		return false;
	if (p->type == MPD_PT_ID && json_is_integer(v) &&
	    json_integer_value(v) < 0)
		return false;
	if ((p->flags & MPD_PF_RANGE) &&
	    (p->type == MPD_PT_INT || p->type == MPD_PT_NUMBER) &&
	    (exact(v) < (long double)p->min || exact(v) > (long double)p->max))
		return false;
	return true;
}

/* The model's verdict: true when params pass, else *field names the
 * offending one (NULL when params itself is wrong). */
static bool model(const struct mpd_param *spec, json_t *params,
		  const char **field)
{
	const struct mpd_param *p;
	const char *key;
	json_t *v;

	*field = NULL;
	if (params != NULL && !json_is_object(params))
		return false;
	json_object_foreach (params, key, v) {
		for (p = spec; p->name != NULL; p++)
			if (strcmp(p->name, key) == 0)
				break;
		if (p->name == NULL) {
			*field = key;
			return false;
		}
	}
	for (p = spec; p->name != NULL; p++) {
		v = params != NULL ? json_object_get(params, p->name) : NULL;
		if ((v == NULL && (p->flags & MPD_PF_REQUIRED)) ||
		    (v != NULL && !value_ok(p, v))) {
			*field = p->name;
			return false;
		}
	}
	return true;
}

static void check(const struct mpd_param *spec, json_t *params, size_t size)
{
	const char *field = (const char *)1, *want_field;
	bool want = model(spec, params, &want_field);
	char *msg = size > 0 ? malloc(size) : NULL;
	json_t *text;
	int r;

	if (size > 0)
		memset(msg, 'x', size);
	r = mpd_params_check(spec, params, msg, size, &field);
	FUZZ_CHECK(r == 0 || r == MPD_RPC_INVALID_PARAMS, "returned %d", r);
	FUZZ_CHECK((r == 0) == want, "the check %s, the model %s (field %s)",
		   r == 0 ? "accepts" : "rejects", want ? "accepts" : "rejects",
		   want ? field : want_field);
	if (want_field == NULL || field == NULL)
		FUZZ_CHECK(field == want_field, "field %s, the model says %s",
			   field ? field : "(none)",
			   want_field ? want_field : "(none)");
	else
		FUZZ_CHECK(strcmp(field, want_field) == 0,
			   "field %s, the model says %s", field, want_field);
	if (size > 0) {
		FUZZ_CHECK(memchr(msg, '\0', size) != NULL,
			   "the message is not NUL-terminated");
		FUZZ_CHECK(r != 0 || msg[0] == '\0',
			   "a message for good params: %s", msg);
		text = json_string(msg);
		FUZZ_CHECK(text != NULL, "the message is not UTF-8: %s", msg);
		json_decref(text);
	}
	free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mpd_param spec[MAX_ROWS + 1];
	const struct mpd_param *use = fixed_spec;
	size_t rows, i, k = 0, msg_size;
	json_t *params;

	if (size < 2)
		return 0;
	rows = data[0] % (MAX_ROWS + 1);
	if (size < 2 + 3 * rows)
		return 0;
	for (i = 0; i < rows; i++) {
		const uint8_t *b = data + 1 + 3 * i;
		const char *name = row_names[b[0] % 8];
		size_t j;

		for (j = 0; j < k && strcmp(spec[j].name, name) != 0; j++)
			;
		if (j < k)
			continue; /* a spec names each field once */
		spec[k].name = name;
		spec[k].type = (enum mpd_param_type)((b[0] >> 3) % 8);
		spec[k].flags = b[1] & 7;
		spec[k].min = bounds[b[2] & 15];
		spec[k].max = bounds[(b[2] >> 4) ^ (b[1] >> 4)];
		k++;
	}
	if (rows > 0) {
		spec[k].name = NULL;
		use = spec;
	}
	data += 1 + 3 * rows;
	size -= 1 + 3 * rows;
	msg_size = msg_sizes[data[0] % 10];
	data++;
	size--;

	if (size == 0) {
		check(use, NULL, msg_size);
		return 0;
	}
	params =
		mpd_json_parse((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (params == NULL)
		return 0;
	check(use, params, msg_size);
	json_decref(params);
	return 0;
}
