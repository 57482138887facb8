/*
 * value.c - the value.* and array.* methods: Python's Value and Array,
 * brokered, with atomic add and compare-and-swap.
 *
 * The daemon is single-threaded, so every method is atomic by
 * construction: value.add is Python's `with v.get_lock(): v.value += 1` in
 * one round trip. Values are typed (int64, double, string, any JSON) and
 * every set is type-checked; arrays are fixed-length int64 or double
 * vectors addressed like Python sequences (negative indices, clamped
 * slices).
 *
 * Arithmetic never leaves its type: an add whose result would not fit in
 * int64, or would not be a finite double (JSON has no infinity or NaN, so
 * no reader could take it), is refused with `invalid_state` naming the
 * delta, and the value is left as it was. A json value nested deeper than
 * any reply can carry (MPD_MAX_ITEM_DEPTH) is refused at the door.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mpdd.h"

enum vtype { V_INT, V_FLOAT, V_STRING, V_JSON };
static const char *const vtype_names[] = { "int", "float", "string", "json" };

struct value {
	char *name;
	enum vtype type;
	json_t *v; /* always of the type */
	uint64_t bytes; /* accounted */
};

struct array {
	char *name;
	bool is_float;
	size_t len;
	union {
		int64_t *i;
		double *f;
	} e;
};

static struct hmap values, arrays;

/* The params of the value.* and array.* methods, as the dispatcher
 * extracts them; the target first. */
struct vargs {
	union {
		struct value *v;
		struct array *a;
	};
	json_t *name; /* the *.create methods' */
	const char *type;
	json_t *value, *expected, *delta, *values;
	json_t *index, *start, *stop; /* NULL when not given */
	json_int_t length; /* 0: not given */
	bool exist_ok;
};

#define TYPE_ARG     ARG("type", MPD_PT_STRING, MPD_PF_REQUIRED, struct vargs, type)
#define EXIST_OK_ARG ARG("exist_ok", MPD_PT_BOOL, 0, struct vargs, exist_ok)

static const struct mpd_param value_create_params[] = {
	ARG_NAME(struct vargs, name),
	TYPE_ARG,
	ARG("value", MPD_PT_ANY, 0, struct vargs, value),
	EXIST_OK_ARG,
	PARAMS_END,
};
static const struct mpd_param value_name_params[] = { PARAM_NAME, PARAMS_END };
static const struct mpd_param value_set_params[] = {
	PARAM_NAME,
	ARG("value", MPD_PT_ANY, MPD_PF_REQUIRED, struct vargs, value),
	PARAMS_END,
};
static const struct mpd_param value_add_params[] = {
	PARAM_NAME,
	ARG_JSON("delta", MPD_PT_NUMBER, MPD_PF_REQUIRED, struct vargs, delta),
	PARAMS_END,
};
static const struct mpd_param value_cas_params[] = {
	PARAM_NAME,
	ARG("expected", MPD_PT_ANY, MPD_PF_REQUIRED, struct vargs, expected),
	ARG("value", MPD_PT_ANY, MPD_PF_REQUIRED, struct vargs, value),
	PARAMS_END,
};
static const struct mpd_param array_create_params[] = {
	ARG_NAME(struct vargs, name),
	TYPE_ARG,
	ARG_RANGE("length", MPD_PT_INT, 0, 1, MPD_MAX_ARRAY_LENGTH,
		  struct vargs, length),
	ARG("values", MPD_PT_ARRAY, MPD_PF_NONEMPTY, struct vargs, values),
	EXIST_OK_ARG,
	PARAMS_END,
};
static const struct mpd_param array_get_params[] = {
	PARAM_NAME,
	ARG_INDEX("index", 0, struct vargs, index),
	ARG_INDEX("start", 0, struct vargs, start),
	ARG_INDEX("stop", 0, struct vargs, stop),
	PARAMS_END,
};
static const struct mpd_param array_set_params[] = {
	PARAM_NAME,
	ARG_INDEX("index", 0, struct vargs, index),
	ARG_JSON("value", MPD_PT_NUMBER, 0, struct vargs, value),
	ARG_INDEX("start", 0, struct vargs, start),
	ARG("values", MPD_PT_ARRAY, MPD_PF_NONEMPTY, struct vargs, values),
	PARAMS_END,
};
static const struct mpd_param array_add_params[] = {
	PARAM_NAME,
	ARG_INDEX("index", MPD_PF_REQUIRED, struct vargs, index),
	ARG_JSON("delta", MPD_PT_NUMBER, MPD_PF_REQUIRED, struct vargs, delta),
	PARAMS_END,
};

/* Refuse an add of delta to what (the object's name, and "[i]" for an
 * array element) whose result leaves its type; nothing changed. */
static void overflow(struct req *r, const char *what, const char *type,
		     const json_t *cur, const json_t *delta)
{
	char *a = json_dumps(cur, JSON_ENCODE_ANY);
	char *b = json_dumps(delta, JSON_ENCODE_ANY);

	req_error(r, MPD_RPC_INVALID_STATE,
		  json_pack("{s:s, s:s, s:O, s:O}", "field", "delta", "reason",
			    "overflow", "value", cur, "delta", delta),
		  "%s: %s + %s overflows %s; unchanged", what,
		  a != NULL ? a : "?", b != NULL ? b : "?", type);
	free(a);
	free(b);
}

/* --- values --- */

static int vtype_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, vtype_names[i]) == 0)
			return i;
	return -1;
}

/*
 * v (borrowed) as a value of type t: a new reference (a float value
 * accepts integers), or NULL when v is of another type.
 */
static json_t *coerce(enum vtype t, json_t *v)
{
	switch (t) {
	case V_INT:
		/* A copy: value.add changes it in place. */
		return json_is_integer(v) ?
			       json_integer(json_integer_value(v)) :
			       NULL;
	case V_FLOAT:
		return json_is_number(v) ? json_real(json_number_value(v)) :
					   NULL;
	case V_STRING:
		return json_is_string(v) ? json_incref(v) : NULL;
	case V_JSON:
		return json_incref(v);
	}
	return NULL;
}

/* Bytes a value holds, for the broker limit. */
uint64_t value_size(const json_t *v)
{
	if (json_is_string(v))
		return json_string_length(v) + 16;
	if (json_is_object(v) || json_is_array(v))
		return json_dumpb(v, NULL, 0, JSON_COMPACT) + 16;
	return 16;
}

static const struct target_type value_target = {
	.noun = "value",
	.map = &values,
	.bounded_name = true,
};

static void type_error(struct req *r, const char *field, enum vtype t)
{
	req_bad_param(r, field, "\"%s\": expected %s: the value's type is %s",
		      field,
		      t == V_INT    ? "an integer" :
		      t == V_FLOAT  ? "a number" :
		      t == V_STRING ? "a string" :
				      "JSON",
		      vtype_names[t]);
}

/* Replace v's value by nv (stolen), if the bytes fit. */
static bool value_store(struct req *r, struct value *v, json_t *nv)
{
	uint64_t size = value_size(nv);

	if (size > v->bytes && !broker_room(r, 0, size - v->bytes)) {
		json_decref(nv);
		return false;
	}
	broker_bytes((int64_t)size - (int64_t)v->bytes);
	v->bytes = size;
	json_decref(v->v);
	v->v = nv;
	return true;
}

static void value_create(struct req *r, json_t *params, void *args)
{
	struct vargs *in = args;
	json_t *init = in->value, *nv;
	const char *name, *tname;
	struct value *v;
	int t;

	if (!req_name_ok(r, in->name))
		return;
	name = json_string_value(in->name);
	tname = in->type;
	t = vtype_parse(tname);
	if (t < 0) {
		req_bad_param(r, "type", "\"type\": %s",
			      "expected int, float, string or json");
		return;
	}
	v = hmap_get(&values, name);
	if (v != NULL) {
		if (!in->exist_ok)
			req_error(r, MPD_RPC_EXISTS, NULL,
				  "a value named \"%s\" exists", name);
		else if ((int)v->type != t)
			req_error(r, MPD_RPC_INVALID_STATE, NULL,
				  "value \"%s\" exists with type %s", name,
				  vtype_names[v->type]);
		else
			req_result(r, json_pack("{s:s, s:s, s:O, s:b}", "name",
						name, "type", tname, "value",
						v->v, "created", 0));
		return;
	}
	if (init != NULL && broker_too_deep(r, "value", init))
		return;
	if (init == NULL)
		nv = t == V_INT	   ? json_integer(0) :
		     t == V_FLOAT  ? json_real(0) :
		     t == V_STRING ? json_string("") :
				     json_null();
	else
		nv = coerce(t, init);
	if (nv == NULL) {
		type_error(r, "value", t);
		return;
	}
	if (!broker_room(r, 1, value_size(nv))) {
		json_decref(nv);
		return;
	}
	v = calloc(1, sizeof(*v));
	if (v == NULL || (v->name = strdup(name)) == NULL ||
	    hmap_put(&values, v->name, v) == -1) {
		if (v != NULL)
			free(v->name);
		free(v);
		json_decref(nv);
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return;
	}
	v->type = (enum vtype)t;
	v->v = nv;
	v->bytes = value_size(nv);
	broker_bytes((int64_t)v->bytes);
	broker.objects++;
	broker.values++;
	events_emit_object("value", name, "created", EVENTS_ANY_UID);
	req_result(r, json_pack("{s:s, s:s, s:O, s:b}", "name", name, "type",
				tname, "value", nv, "created", 1));
}

static void value_get(struct req *r, json_t *params, void *args)
{
	struct vargs *in = args;
	struct value *v = in->v;

	req_result(r, json_pack("{s:O, s:s}", "value", v->v, "type",
				vtype_names[v->type]));
}

static void value_set(struct req *r, json_t *params, void *args)
{
	struct vargs *in = args;
	struct value *v = in->v;
	json_t *nv;

	if (broker_too_deep(r, "value", in->value))
		return;
	nv = coerce(v->type, in->value);
	if (nv == NULL) {
		type_error(r, "value", v->type);
		return;
	}
	if (value_store(r, v, nv))
		req_result(r, json_pack("{s:O}", "value", v->v));
}

/* a + b for int64, or false on overflow. */
static bool add_int(int64_t a, int64_t b, int64_t *out)
{
	return !__builtin_add_overflow(a, b, out);
}

static void value_add(struct req *r, json_t *params, void *args)
{
	struct vargs *in = args;
	json_t *delta = in->delta;
	struct value *v = in->v;
	char what[MPD_MAX_NAME + 16];
	int64_t sum;
	double fsum;

	snprintf(what, sizeof(what), "value \"%s\"", v->name);
	if (v->type == V_INT) {
		if (!json_is_integer(delta)) {
			req_bad_param(r, "delta", "\"delta\": %s",
				      "expected an integer for an int value");
			return;
		}
		if (!add_int(json_integer_value(v->v),
			     json_integer_value(delta), &sum)) {
			overflow(r, what, "int64", v->v, delta);
			return;
		}
		json_integer_set(v->v, sum);
	} else if (v->type == V_FLOAT) {
		fsum = json_real_value(v->v) + json_number_value(delta);
		if (!isfinite(fsum) || json_real_set(v->v, fsum) == -1) {
			overflow(r, what, "a double", v->v, delta);
			return;
		}
	} else {
		req_error(r, MPD_RPC_INVALID_STATE, NULL,
			  "value \"%s\" is a %s: add needs int or float",
			  v->name, vtype_names[v->type]);
		return;
	}
	req_result(r, json_pack("{s:O}", "value", v->v));
}

static void value_cas(struct req *r, json_t *params, void *args)
{
	struct vargs *in = args;
	struct value *v = in->v;
	json_t *expected, *nv;
	bool equal;

	if (broker_too_deep(r, "expected", in->expected) ||
	    broker_too_deep(r, "value", in->value))
		return;
	expected = coerce(v->type, in->expected);
	if (expected == NULL) {
		type_error(r, "expected", v->type);
		return;
	}
	nv = coerce(v->type, in->value);
	if (nv == NULL) {
		json_decref(expected);
		type_error(r, "value", v->type);
		return;
	}
	equal = v->type == V_FLOAT ?
			json_real_value(v->v) == json_real_value(expected) :
			json_equal(v->v, expected);
	json_decref(expected);
	if (!equal) {
		json_decref(nv);
		req_result(r, json_pack("{s:b, s:O}", "swapped", 0, "value",
					v->v));
		return;
	}
	if (value_store(r, v, nv))
		req_result(r, json_pack("{s:b, s:O}", "swapped", 1, "value",
					v->v));
}

static void value_free(struct value *v)
{
	hmap_del(&values, v->name);
	broker_bytes(-(int64_t)v->bytes);
	broker.objects--;
	broker.values--;
	json_decref(v->v);
	free(v->name);
	free(v);
}

static void value_delete(struct req *r, json_t *params, void *args)
{
	struct vargs *in = args;
	struct value *v = in->v;

	events_emit_object("value", v->name, "deleted", EVENTS_ANY_UID);
	value_free(v);
	req_result(r, json_object());
}

static json_t *value_row(void *o)
{
	struct value *v = o;

	return json_pack("{s:s, s:s}", "name", v->name, "type",
			 vtype_names[v->type]);
}

static const char *value_name(void *o)
{
	return ((struct value *)o)->name;
}

static void value_list(struct req *r, json_t *params, void *args)
{
	broker_reply_list(r, "values", hmap_values(&values), values.n,
			  value_row, value_name);
}

/* --- arrays --- */

static const struct target_type array_target = {
	.noun = "array",
	.map = &arrays,
	.bounded_name = true,
};

static json_t *array_elem(const struct array *a, size_t i)
{
	return a->is_float ? json_real(a->e.f[i]) : json_integer(a->e.i[i]);
}

/* Check that v fits an element of a. */
static bool elem_ok(const struct array *a, json_t *v)
{
	return a->is_float ? json_is_number(v) : json_is_integer(v);
}

static void elem_set(struct array *a, size_t i, json_t *v)
{
	if (a->is_float)
		a->e.f[i] = json_number_value(v);
	else
		a->e.i[i] = json_integer_value(v);
}

/* A Python index into a: true with *out in [0, len), else false. */
static bool resolve_index(const struct array *a, json_int_t idx, size_t *out)
{
	if (idx < 0)
		idx += (json_int_t)a->len;
	if (idx < 0 || idx >= (json_int_t)a->len)
		return false;
	*out = (size_t)idx;
	return true;
}

/* A Python slice bound, clamped to [0, len]. */
static size_t clamp_bound(const struct array *a, json_t *b, size_t dflt)
{
	json_int_t v;

	if (b == NULL)
		return dflt;
	v = json_integer_value(b);
	if (v < 0)
		v += (json_int_t)a->len;
	if (v < 0)
		return 0;
	return v > (json_int_t)a->len ? a->len : (size_t)v;
}

static void array_create(struct req *r, json_t *params, void *args)
{
	struct vargs *in = args;
	json_t *init = in->values, *e;
	const char *name, *tname;
	struct array *a;
	size_t len, i;
	bool is_float;

	if (!req_name_ok(r, in->name))
		return;
	name = json_string_value(in->name);
	tname = in->type;
	if (strcmp(tname, "int") != 0 && strcmp(tname, "float") != 0) {
		req_bad_param(r, "type", "\"type\": %s",
			      "expected int or float");
		return;
	}
	is_float = strcmp(tname, "float") == 0;
	if ((in->length == 0) == (init == NULL)) {
		req_bad_param(r, "length", "\"length\": %s",
			      "give exactly one of length and values");
		return;
	}
	len = in->length != 0 ? (size_t)in->length : json_array_size(init);
	if (len > MPD_MAX_ARRAY_LENGTH) {
		req_bad_param(r, "values", "\"values\": %s",
			      "too many elements");
		return;
	}
	json_array_foreach (init, i, e) {
		if (is_float ? !json_is_number(e) : !json_is_integer(e)) {
			req_bad_param(r, "values", "\"values\": %s",
				      is_float ? "expected numbers" :
						 "expected integers");
			return;
		}
	}
	a = hmap_get(&arrays, name);
	if (a != NULL) {
		if (!in->exist_ok)
			req_error(r, MPD_RPC_EXISTS, NULL,
				  "an array named \"%s\" exists", name);
		else if (a->is_float != is_float || a->len != len)
			req_error(r, MPD_RPC_INVALID_STATE, NULL,
				  "array \"%s\" exists as %s[%zu]", name,
				  a->is_float ? "float" : "int", a->len);
		else
			req_result(r, json_pack("{s:s, s:s, s:I, s:b}", "name",
						name, "type", tname, "length",
						(json_int_t)len, "created", 0));
		return;
	}
	if (!broker_room(r, 1, len * 8))
		return;
	a = calloc(1, sizeof(*a));
	if (a == NULL || (a->name = strdup(name)) == NULL ||
	    (a->e.i = calloc(len, 8)) == NULL ||
	    hmap_put(&arrays, a->name, a) == -1) {
		if (a != NULL) {
			free(a->e.i);
			free(a->name);
		}
		free(a);
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return;
	}
	a->is_float = is_float;
	a->len = len;
	json_array_foreach (init, i, e)
		elem_set(a, i, e);
	broker_bytes((int64_t)(len * 8));
	broker.objects++;
	broker.arrays++;
	events_emit_object("array", name, "created", EVENTS_ANY_UID);
	req_result(r,
		   json_pack("{s:s, s:s, s:I, s:b}", "name", name, "type",
			     tname, "length", (json_int_t)len, "created", 1));
}

/* Refuse an index that resolve_index() did not take, naming the length. */
static void index_fail(struct req *r, const struct array *a, json_t *index)
{
	req_bad_param(r, "index",
		      "\"index\": %" JSON_INTEGER_FORMAT
		      " is out of range: array \"%s\" has length %zu "
		      "(indexes -%zu to %zu)",
		      json_integer_value(index), a->name, a->len, a->len,
		      a->len - 1);
}

static void array_get(struct req *r, json_t *params, void *args)
{
	struct vargs *in = args;
	json_t *index = in->index;
	struct array *a = in->a;
	json_t *list;
	size_t i, start, stop;

	if (index != NULL) {
		if (in->start != NULL || in->stop != NULL) {
			req_bad_param(r, "index", "\"index\": %s",
				      "give an index or a slice, not both");
			return;
		}
		if (!resolve_index(a, json_integer_value(index), &i)) {
			index_fail(r, a, index);
			return;
		}
		req_result(r, json_pack("{s:o}", "value", array_elem(a, i)));
		return;
	}
	start = clamp_bound(a, in->start, 0);
	stop = clamp_bound(a, in->stop, a->len);
	list = json_array();
	for (i = start; list != NULL && i < stop; i++)
		if (json_array_append_new(list, array_elem(a, i)) == -1) {
			json_decref(list);
			list = NULL;
		}
	if (list == NULL) {
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return;
	}
	req_result(r, json_pack("{s:o}", "values", list));
}

static void array_set(struct req *r, json_t *params, void *args)
{
	struct vargs *in = args;
	json_t *index = in->index;
	json_t *value = in->value;
	json_t *start = in->start;
	json_t *vals = in->values, *e;
	struct array *a = in->a;
	size_t i, from;

	if (index != NULL && value != NULL && start == NULL && vals == NULL) {
		if (!resolve_index(a, json_integer_value(index), &i)) {
			index_fail(r, a, index);
			return;
		}
		if (!elem_ok(a, value)) {
			req_bad_param(r, "value", "\"value\": %s",
				      a->is_float ? "expected a number" :
						    "expected an integer");
			return;
		}
		elem_set(a, i, value);
		req_result(r, json_object());
		return;
	}
	if (start == NULL || vals == NULL || index != NULL || value != NULL) {
		const char *field = index != NULL || value != NULL ? "value" :
								     "values";

		req_bad_param(r, field,
			      "\"%s\": give index and value, or start and "
			      "values",
			      field);
		return;
	}
	if (!resolve_index(a, json_integer_value(start), &from) ||
	    json_array_size(vals) > a->len - from) {
		req_bad_param(
			r, "values",
			"\"values\": %zu values from start %" JSON_INTEGER_FORMAT
			" do not fit array \"%s\" of length %zu",
			json_array_size(vals), json_integer_value(start),
			a->name, a->len);
		return;
	}
	json_array_foreach (vals, i, e) {
		if (!elem_ok(a, e)) {
			req_bad_param(r, "values", "\"values\": %s",
				      a->is_float ? "expected numbers" :
						    "expected integers");
			return;
		}
	}
	json_array_foreach (vals, i, e)
		elem_set(a, from + i, e);
	req_result(r, json_object());
}

static void array_add(struct req *r, json_t *params, void *args)
{
	struct vargs *in = args;
	json_t *delta = in->delta;
	struct array *a = in->a;
	char what[MPD_MAX_NAME + 48];
	size_t i;

	if (!resolve_index(a, json_integer_value(in->index), &i)) {
		index_fail(r, a, in->index);
		return;
	}
	snprintf(what, sizeof(what), "array \"%s\"[%zu]", a->name, i);
	if (a->is_float) {
		double sum = a->e.f[i] + json_number_value(delta);

		if (!isfinite(sum)) {
			json_t *cur = array_elem(a, i);

			overflow(r, what, "a double", cur, delta);
			json_decref(cur);
			return;
		}
		a->e.f[i] = sum;
	} else {
		int64_t sum;

		if (!json_is_integer(delta)) {
			req_bad_param(r, "delta", "\"delta\": %s",
				      "expected an integer for an int array");
			return;
		}
		if (!add_int(a->e.i[i], json_integer_value(delta), &sum)) {
			json_t *cur = array_elem(a, i);

			overflow(r, what, "int64", cur, delta);
			json_decref(cur);
			return;
		}
		a->e.i[i] = sum;
	}
	req_result(r, json_pack("{s:o}", "value", array_elem(a, i)));
}

static void array_free(struct array *a)
{
	hmap_del(&arrays, a->name);
	broker_bytes(-(int64_t)(a->len * 8));
	broker.objects--;
	broker.arrays--;
	free(a->e.i);
	free(a->name);
	free(a);
}

static void array_delete(struct req *r, json_t *params, void *args)
{
	struct vargs *in = args;
	struct array *a = in->a;

	events_emit_object("array", a->name, "deleted", EVENTS_ANY_UID);
	array_free(a);
	req_result(r, json_object());
}

static json_t *array_row(void *o)
{
	struct array *a = o;

	return json_pack("{s:s, s:s, s:I}", "name", a->name, "type",
			 a->is_float ? "float" : "int", "length",
			 (json_int_t)a->len);
}

static const char *array_name(void *o)
{
	return ((struct array *)o)->name;
}

static void array_list(struct req *r, json_t *params, void *args)
{
	broker_reply_list(r, "arrays", hmap_values(&arrays), arrays.n,
			  array_row, array_name);
}

/* At exit: free every value and array. */
void value_shutdown(void)
{
	void **all = hmap_values(&values);
	size_t n = values.n;

	for (size_t i = 0; all != NULL && i < n; i++)
		value_free(all[i]);
	free(all);
	all = hmap_values(&arrays);
	n = arrays.n;
	for (size_t i = 0; all != NULL && i < n; i++)
		array_free(all[i]);
	free(all);
	hmap_free(&values);
	hmap_free(&arrays);
}

const struct method value_methods[] = {
	{ MPD_METHOD_ARRAY_ADD, array_add, array_add_params, &array_target, 0,
	  sizeof(struct vargs) },
	{ MPD_METHOD_ARRAY_CREATE, array_create, array_create_params, NULL, 0,
	  sizeof(struct vargs) },
	{ MPD_METHOD_ARRAY_DELETE, array_delete, value_name_params,
	  &array_target, 0, sizeof(struct vargs) },
	{ MPD_METHOD_ARRAY_GET, array_get, array_get_params, &array_target, 0,
	  sizeof(struct vargs) },
	{ MPD_METHOD_ARRAY_LIST, array_list, no_params, NULL, 0, 0 },
	{ MPD_METHOD_ARRAY_SET, array_set, array_set_params, &array_target, 0,
	  sizeof(struct vargs) },
	{ MPD_METHOD_VALUE_ADD, value_add, value_add_params, &value_target, 0,
	  sizeof(struct vargs) },
	{ MPD_METHOD_VALUE_CAS, value_cas, value_cas_params, &value_target, 0,
	  sizeof(struct vargs) },
	{ MPD_METHOD_VALUE_CREATE, value_create, value_create_params, NULL, 0,
	  sizeof(struct vargs) },
	{ MPD_METHOD_VALUE_DELETE, value_delete, value_name_params,
	  &value_target, 0, sizeof(struct vargs) },
	{ MPD_METHOD_VALUE_GET, value_get, value_name_params, &value_target, 0,
	  sizeof(struct vargs) },
	{ MPD_METHOD_VALUE_LIST, value_list, no_params, NULL, 0, 0 },
	{ MPD_METHOD_VALUE_SET, value_set, value_set_params, &value_target, 0,
	  sizeof(struct vargs) },
	{ 0 },
};
