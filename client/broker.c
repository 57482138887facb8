/*
 * broker.c - libmpd's broker API: the queue.*, value.* and array.* methods
 * of mpdd.
 *
 * Each function checks its arguments before anything is sent (a name that
 * is NULL, empty or not UTF-8, a NaN timeout, a number JSON cannot hold, a
 * missing out-parameter), builds the params docs/protocol.md ("The
 * broker") describes, sending optional ones only when they differ from
 * the default, makes one call and checks the result member it hands back.
 * The typed conveniences (_int, _double, _string), at the end, are one
 * line each over the JSON functions; a queue item of the wrong type has
 * already left the queue when the library sees it, so their error says
 * that it is lost. The helpers that build and check a call (broker_*,
 * declared in client.h) serve sync.c's objects too.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "mpd.h"
#include "proto.h"

/*
 * The largest index the daemon takes (2^53 - 1, which a peer that reads
 * numbers as doubles keeps exact). No array is that long, so a slice bound
 * past it selects the same elements as the limit itself: it is clamped.
 */
#define BROKER_INDEX_MAX ((((int64_t)1) << 53) - 1)

/* mpd.h's copies of the protocol's limits. */
_Static_assert(MPD_QUEUE_GET_MANY_MAX == MPD_MAX_GET_MANY,
	       "mpd.h and proto.h disagree on get_many's max");
_Static_assert(MPD_DAEMON_DEFAULT_MAX_MESSAGE == MPD_DEFAULT_MAX_MESSAGE &&
		       MPD_DAEMON_DEFAULT_MAX_OUTPUT == MPD_DEFAULT_MAX_OUTPUT,
	       "mpd.h and proto.h disagree on the daemon's default limits");

/* Room for "the item taken from queue NAME" and the like. */
#define BROKER_WHAT_MAX (MPD_MAX_NAME + 64)

/* The kind of v, for messages; see client.h. */
const char *broker_json_kind(const json_t *v)
{
	if (v == NULL)
		return "nothing";
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "unknown";
}

/* Returns 0 or MPD_E_INVAL; see client.h. */
int broker_check_name(const char *fn, const char *name, struct mpd_error *err)
{
	if (name == NULL || name[0] == '\0')
		return client_fail(err, MPD_E_INVAL, 0,
				   "%s: name is NULL or empty", fn);
	return 0;
}

/* Returns 0 or MPD_E_INVAL; see client.h. */
int broker_check_timeout(const char *fn, double timeout, struct mpd_error *err)
{
	if (isnan(timeout))
		return client_fail(err, MPD_E_INVAL, 0, "%s: timeout is NaN",
				   fn);
	return 0;
}

/* Returns 0 or MPD_E_INVAL; see client.h. */
int broker_check_finite(const char *fn, const char *what, double v,
			struct mpd_error *err)
{
	if (!isfinite(v))
		return client_fail(err, MPD_E_INVAL, 0, "%s: %s is %g", fn,
				   what, v);
	return 0;
}

/*
 * An item or value to keep: nested no deeper than every reply that hands
 * it out can carry (MPD_MAX_ITEM_DEPTH, which the daemon enforces too).
 * Returns 0 or MPD_E_INVAL.
 */
static int check_depth(const char *fn, const char *what, const json_t *v,
		       struct mpd_error *err)
{
	if (v != NULL &&
	    mpd_json_depth(v, MPD_MAX_ITEM_DEPTH) > MPD_MAX_ITEM_DEPTH)
		return client_fail(err, MPD_E_INVAL, 0,
				   "%s: %s nests deeper than %d levels", fn,
				   what, MPD_MAX_ITEM_DEPTH);
	return 0;
}

/* Returns 0 or MPD_E_INVAL; see client.h. */
int broker_check_depth(const char *fn, const char *what, const json_t *v,
		       struct mpd_error *err)
{
	return check_depth(fn, what, v, err);
}

/* Returns 0 or MPD_E_INVAL; see client.h. */
int broker_check_given(const char *fn, const char *what, const void *p,
		       struct mpd_error *err)
{
	if (p == NULL)
		return client_fail(err, MPD_E_INVAL, 0, "%s: %s is NULL", fn,
				   what);
	return 0;
}

/* Returns 0 with *out, or a negative code; see client.h. */
int broker_new_string(const char *fn, const char *what, const char *s,
		      json_t **out, struct mpd_error *err)
{
	json_t *v = json_string(s);

	if (v == NULL) {
		/* Unchecked, it can only fail for want of memory. */
		v = json_string_nocheck(s);
		if (v == NULL)
			return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
		json_decref(v);
		return client_fail(err, MPD_E_INVAL, 0,
				   "%s: %s is not valid UTF-8", fn, what);
	}
	*out = v;
	return 0;
}

/* Returns 0 or MPD_E_NOMEM; see client.h. */
int broker_add_new(json_t *obj, const char *key, json_t *value,
		   struct mpd_error *err)
{
	if (value == NULL || json_object_set_new(obj, key, value) < 0)
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	return 0;
}

/* Set key to value in obj, which keeps its own reference. Returns 0 or
 * MPD_E_NOMEM. */
static int add(json_t *obj, const char *key, json_t *value,
	       struct mpd_error *err)
{
	return broker_add_new(obj, key, json_incref(value), err);
}

/* Returns 0 or MPD_E_NOMEM; see client.h. */
int broker_add_timeout(json_t *params, double timeout, struct mpd_error *err)
{
	if (timeout < 0 || isinf(timeout))
		return 0;
	return broker_add_new(params, "timeout", json_real(timeout), err);
}

/* Returns 0 with *out, or a negative code; see client.h. */
int broker_name_params(const char *fn, const char *name, json_t **out,
		       struct mpd_error *err)
{
	json_t *p, *n = NULL;
	int r = broker_check_name(fn, name, err);

	if (r == 0)
		r = broker_new_string(fn, "name", name, &n, err);
	if (r < 0)
		return r;
	p = json_object();
	if (p == NULL) {
		json_decref(n);
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	}
	r = broker_add_new(p, "name", n, err);
	if (r < 0) {
		json_decref(p);
		return r;
	}
	*out = p;
	return 0;
}

/* Returns 0 with *out, or a negative code; see client.h. */
int broker_call(struct mpd_client *c, int r, const char *method, json_t *params,
		const char *key, json_t **out, struct mpd_error *err)
{
	json_t *res = NULL, *v;

	if (r < 0) {
		json_decref(params);
		return r;
	}
	r = mpd_call(c, method, params, &res, err);
	json_decref(params);
	if (r < 0)
		return r;
	if (!json_is_object(res)) {
		r = client_fail(err, MPD_E_PROTO, 0,
				"%s returned %s, not an object", method,
				broker_json_kind(res));
		json_decref(res);
		return r;
	}
	v = res;
	if (key != NULL) {
		v = json_object_get(res, key);
		if (v == NULL) {
			json_decref(res);
			return client_fail(err, MPD_E_PROTO, 0,
					   "%s returned no \"%s\"", method,
					   key);
		}
		json_incref(v);
		json_decref(res);
	}
	if (out != NULL)
		*out = v;
	else
		json_decref(v);
	return 0;
}

/* Returns 0, or a negative code; see client.h. */
int broker_name_call(struct mpd_client *c, const char *fn, const char *method,
		     const char *name, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(fn, name, &p, err);

	return broker_call(c, r, method, p, NULL, NULL, err);
}

/* Returns 0 with *list, or a negative code; see client.h. */
int broker_list_call(struct mpd_client *c, const char *fn, const char *method,
		     const char *key, json_t **list, struct mpd_error *err)
{
	json_t *p, *v = NULL;
	int r = broker_check_given(fn, "list", list, err);

	if (r < 0)
		return r;
	p = json_object();
	if (p == NULL)
		r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	r = broker_call(c, r, method, p, key, &v, err);
	if (r < 0)
		return r;
	if (!json_is_array(v)) {
		r = client_fail(err, MPD_E_PROTO, 0,
				"%s returned %s as \"%s\", not an array",
				method, broker_json_kind(v), key);
		json_decref(v);
		return r;
	}
	*list = v;
	return 0;
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_queue_create(struct mpd_client *c, const char *name, int64_t maxsize,
		     int exist_ok, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0 && maxsize < 0)
		r = client_fail(err, MPD_E_INVAL, 0,
				"%s: maxsize %" PRId64 " is negative", __func__,
				maxsize);
	if (r == 0 && maxsize > 0)
		r = broker_add_new(p, "maxsize", json_integer(maxsize), err);
	if (r == 0 && exist_ok)
		r = broker_add_new(p, "exist_ok", json_true(), err);
	return broker_call(c, r, MPD_M_QUEUE_CREATE, p, NULL, NULL, err);
}

/* queue.put of item (borrowed) on behalf of fn. */
static int queue_put(struct mpd_client *c, const char *fn, const char *name,
		     json_t *item, double timeout, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(fn, name, &p, err);

	if (r == 0)
		r = broker_check_given(fn, "item", item, err);
	if (r == 0)
		r = check_depth(fn, "item", item, err);
	if (r == 0)
		r = broker_check_timeout(fn, timeout, err);
	if (r == 0)
		r = add(p, "item", item, err);
	if (r == 0)
		r = broker_add_timeout(p, timeout, err);
	return broker_call(c, r, MPD_M_QUEUE_PUT, p, NULL, NULL, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_queue_put(struct mpd_client *c, const char *name, json_t *item,
		  double timeout, struct mpd_error *err)
{
	return queue_put(c, __func__, name, item, timeout, err);
}

/* queue.get on behalf of fn: *item (not NULL) gets a new reference. */
static int queue_get(struct mpd_client *c, const char *fn, const char *name,
		     double timeout, json_t **item, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(fn, name, &p, err);

	if (r == 0)
		r = broker_check_timeout(fn, timeout, err);
	if (r == 0)
		r = broker_check_given(fn, "the out-parameter", item, err);
	if (r == 0)
		r = broker_add_timeout(p, timeout, err);
	return broker_call(c, r, MPD_M_QUEUE_GET, p, "item", item, err);
}

/* Returns 0 with *item, or a negative code; see mpd.h. */
int mpd_queue_get(struct mpd_client *c, const char *name, double timeout,
		  json_t **item, struct mpd_error *err)
{
	return queue_get(c, __func__, name, timeout, item, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_queue_put_many(struct mpd_client *c, const char *name, json_t *items,
		       double timeout, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0 && (!json_is_array(items) || json_array_size(items) == 0))
		r = client_fail(err, MPD_E_INVAL, 0,
				"%s: items is not a non-empty array", __func__);
	for (size_t i = 0; r == 0 && i < json_array_size(items); i++)
		r = check_depth(__func__, "an item", json_array_get(items, i),
				err);
	if (r == 0)
		r = broker_check_timeout(__func__, timeout, err);
	if (r == 0)
		r = add(p, "items", items, err);
	if (r == 0)
		r = broker_add_timeout(p, timeout, err);
	return broker_call(c, r, MPD_M_QUEUE_PUT_MANY, p, NULL, NULL, err);
}

/* Returns 0 with *items, or a negative code; see mpd.h. */
int mpd_queue_get_many(struct mpd_client *c, const char *name, size_t max,
		       double timeout, json_t **items, struct mpd_error *err)
{
	json_t *p = NULL, *v = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0 && (max < 1 || max > MPD_MAX_GET_MANY))
		r = client_fail(err, MPD_E_INVAL, 0,
				"%s: max %zu is not 1 to %d", __func__, max,
				MPD_MAX_GET_MANY);
	if (r == 0)
		r = broker_check_timeout(__func__, timeout, err);
	if (r == 0)
		r = broker_check_given(__func__, "items", items, err);
	if (r == 0)
		r = broker_add_new(p, "max", json_integer((json_int_t)max),
				   err);
	if (r == 0)
		r = broker_add_timeout(p, timeout, err);
	r = broker_call(c, r, MPD_M_QUEUE_GET_MANY, p, "items", &v, err);
	if (r < 0)
		return r;
	if (!json_is_array(v)) {
		/* Whatever came, it has left the queue. */
		r = client_fail(err, MPD_E_PROTO, 0,
				"queue.get_many returned %s as \"items\", not "
				"an array",
				broker_json_kind(v));
		json_decref(v);
		return r;
	}
	*items = v;
	return 0;
}

/* Returns 0 with *info, or a negative code; see mpd.h. */
int mpd_queue_size(struct mpd_client *c, const char *name, json_t **info,
		   struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_given(__func__, "info", info, err);
	return broker_call(c, r, MPD_M_QUEUE_SIZE, p, NULL, info, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_queue_task_done(struct mpd_client *c, const char *name,
			struct mpd_error *err)
{
	return broker_name_call(c, __func__, MPD_M_QUEUE_TASK_DONE, name, err);
}

/* Returns 0, MPD_E_TIMEOUT, or another negative code; see mpd.h. */
int mpd_queue_join(struct mpd_client *c, const char *name, double timeout,
		   struct mpd_error *err)
{
	json_t *p = NULL, *res = NULL, *done, *left;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_timeout(__func__, timeout, err);
	if (r == 0)
		r = broker_add_timeout(p, timeout, err);
	r = broker_call(c, r, MPD_M_QUEUE_JOIN, p, NULL, &res, err);
	if (r < 0)
		return r;
	done = json_object_get(res, "done");
	left = json_object_get(res, "unfinished");
	if (!json_is_boolean(done) || !json_is_integer(left))
		r = client_fail(err, MPD_E_PROTO, 0,
				"queue.join returned no \"done\" and "
				"\"unfinished\"");
	else if (json_is_false(done))
		r = client_fail(err, MPD_E_TIMEOUT, 0,
				"queue %s: %" JSON_INTEGER_FORMAT
				" tasks unfinished after %g seconds",
				name, json_integer_value(left), timeout);
	json_decref(res);
	return r;
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_queue_close(struct mpd_client *c, const char *name,
		    struct mpd_error *err)
{
	return broker_name_call(c, __func__, MPD_M_QUEUE_CLOSE, name, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_queue_delete(struct mpd_client *c, const char *name,
		     struct mpd_error *err)
{
	return broker_name_call(c, __func__, MPD_M_QUEUE_DELETE, name, err);
}

/* Returns 0 with *list, or a negative code; see mpd.h. */
int mpd_queue_list(struct mpd_client *c, json_t **list, struct mpd_error *err)
{
	return broker_list_call(c, __func__, MPD_M_QUEUE_LIST, "queues", list,
				err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_value_create(struct mpd_client *c, const char *name, const char *type,
		     json_t *initial, int exist_ok, struct mpd_error *err)
{
	json_t *p = NULL, *t = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0 && (type == NULL || type[0] == '\0'))
		r = client_fail(err, MPD_E_INVAL, 0,
				"%s: type is NULL or empty", __func__);
	if (r == 0)
		r = check_depth(__func__, "initial", initial, err);
	if (r == 0)
		r = broker_new_string(__func__, "type", type, &t, err);
	if (r == 0)
		r = broker_add_new(p, "type", t, err);
	if (r == 0 && initial != NULL)
		r = add(p, "value", initial, err);
	if (r == 0 && exist_ok)
		r = broker_add_new(p, "exist_ok", json_true(), err);
	return broker_call(c, r, MPD_M_VALUE_CREATE, p, NULL, NULL, err);
}

/* value.get on behalf of fn: *value (not NULL) gets a new reference. */
static int value_get(struct mpd_client *c, const char *fn, const char *name,
		     json_t **value, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(fn, name, &p, err);

	if (r == 0)
		r = broker_check_given(fn, "the out-parameter", value, err);
	return broker_call(c, r, MPD_M_VALUE_GET, p, "value", value, err);
}

/* Returns 0 with *value, or a negative code; see mpd.h. */
int mpd_value_get(struct mpd_client *c, const char *name, json_t **value,
		  struct mpd_error *err)
{
	return value_get(c, __func__, name, value, err);
}

/* value.set of value (borrowed) on behalf of fn. */
static int value_set(struct mpd_client *c, const char *fn, const char *name,
		     json_t *value, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(fn, name, &p, err);

	if (r == 0)
		r = broker_check_given(fn, "value", value, err);
	if (r == 0)
		r = check_depth(fn, "value", value, err);
	if (r == 0)
		r = add(p, "value", value, err);
	return broker_call(c, r, MPD_M_VALUE_SET, p, NULL, NULL, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_value_set(struct mpd_client *c, const char *name, json_t *value,
		  struct mpd_error *err)
{
	return value_set(c, __func__, name, value, err);
}

/* Returns 0 with *swapped and *current, or a negative code; see mpd.h. */
int mpd_value_cas(struct mpd_client *c, const char *name, json_t *expected,
		  json_t *value, int *swapped, json_t **current,
		  struct mpd_error *err)
{
	json_t *p = NULL, *res = NULL, *sw, *now;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_given(__func__, "expected", expected, err);
	if (r == 0)
		r = broker_check_given(__func__, "value", value, err);
	if (r == 0)
		r = check_depth(__func__, "expected", expected, err);
	if (r == 0)
		r = check_depth(__func__, "value", value, err);
	if (r == 0)
		r = add(p, "expected", expected, err);
	if (r == 0)
		r = add(p, "value", value, err);
	r = broker_call(c, r, MPD_M_VALUE_CAS, p, NULL, &res, err);
	if (r < 0)
		return r;
	sw = json_object_get(res, "swapped");
	now = json_object_get(res, "value");
	if (!json_is_boolean(sw) || now == NULL) {
		json_decref(res);
		return client_fail(err, MPD_E_PROTO, 0,
				   "value.cas returned no \"swapped\" and "
				   "\"value\"");
	}
	if (swapped != NULL)
		*swapped = json_is_true(sw);
	if (current != NULL)
		*current = json_incref(now);
	json_decref(res);
	return 0;
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_value_delete(struct mpd_client *c, const char *name,
		     struct mpd_error *err)
{
	return broker_name_call(c, __func__, MPD_M_VALUE_DELETE, name, err);
}

/* Returns 0 with *list, or a negative code; see mpd.h. */
int mpd_value_list(struct mpd_client *c, json_t **list, struct mpd_error *err)
{
	return broker_list_call(c, __func__, MPD_M_VALUE_LIST, "values", list,
				err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_array_create(struct mpd_client *c, const char *name, const char *type,
		     size_t length, json_t *values, int exist_ok,
		     struct mpd_error *err)
{
	json_t *p = NULL, *t = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0 && (type == NULL || type[0] == '\0'))
		r = client_fail(err, MPD_E_INVAL, 0,
				"%s: type is NULL or empty", __func__);
	if (r == 0 && values == NULL &&
	    (length < 1 || length > MPD_MAX_ARRAY_LENGTH))
		r = client_fail(err, MPD_E_INVAL, 0,
				"%s: length %zu is not 1 to %d", __func__,
				length, MPD_MAX_ARRAY_LENGTH);
	if (r == 0 && values != NULL &&
	    (!json_is_array(values) || json_array_size(values) == 0))
		r = client_fail(err, MPD_E_INVAL, 0,
				"%s: values is not a non-empty array",
				__func__);
	if (r == 0 && values != NULL && length != 0 &&
	    length != json_array_size(values))
		r = client_fail(err, MPD_E_INVAL, 0,
				"%s: length %zu, but %zu values", __func__,
				length, json_array_size(values));
	if (r == 0)
		r = broker_new_string(__func__, "type", type, &t, err);
	if (r == 0)
		r = broker_add_new(p, "type", t, err);
	if (r == 0 && values != NULL)
		r = add(p, "values", values, err);
	if (r == 0 && values == NULL)
		r = broker_add_new(p, "length",
				   json_integer((json_int_t)length), err);
	if (r == 0 && exist_ok)
		r = broker_add_new(p, "exist_ok", json_true(), err);
	return broker_call(c, r, MPD_M_ARRAY_CREATE, p, NULL, NULL, err);
}

/* Returns 0 with *value, or a negative code; see mpd.h. */
int mpd_array_get(struct mpd_client *c, const char *name, int64_t index,
		  json_t **value, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_given(__func__, "value", value, err);
	if (r == 0)
		r = broker_add_new(p, "index", json_integer(index), err);
	return broker_call(c, r, MPD_M_ARRAY_GET, p, "value", value, err);
}

/*
 * array.get of a slice on behalf of fn: p (stolen) holds the name and the
 * bounds, r says whether building it failed. *values (not NULL) gets the
 * array.
 */
static int array_values(struct mpd_client *c, int r, json_t *p, json_t **values,
			struct mpd_error *err)
{
	json_t *v = NULL;

	r = broker_call(c, r, MPD_M_ARRAY_GET, p, "values", &v, err);
	if (r < 0)
		return r;
	if (!json_is_array(v)) {
		r = client_fail(err, MPD_E_PROTO, 0,
				"array.get returned %s as \"values\", not an "
				"array",
				broker_json_kind(v));
		json_decref(v);
		return r;
	}
	*values = v;
	return 0;
}

/* Returns bound within what the daemon takes; see client.h. */
int64_t broker_slice_bound(int64_t bound)
{
	if (bound > BROKER_INDEX_MAX)
		return BROKER_INDEX_MAX;
	if (bound < -BROKER_INDEX_MAX)
		return -BROKER_INDEX_MAX;
	return bound;
}

/* Returns 0 with *values, or a negative code; see mpd.h. */
int mpd_array_get_slice(struct mpd_client *c, const char *name, int64_t start,
			int64_t stop, json_t **values, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_given(__func__, "values", values, err);
	if (r == 0)
		r = broker_add_new(p, "start",
				   json_integer(broker_slice_bound(start)),
				   err);
	if (r == 0)
		r = broker_add_new(p, "stop",
				   json_integer(broker_slice_bound(stop)), err);
	return array_values(c, r, p, values, err);
}

/* Returns 0 with *values, or a negative code; see mpd.h. */
int mpd_array_get_all(struct mpd_client *c, const char *name, json_t **values,
		      struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_given(__func__, "values", values, err);
	return array_values(c, r, p, values, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_array_set(struct mpd_client *c, const char *name, int64_t index,
		  json_t *value, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_given(__func__, "value", value, err);
	if (r == 0)
		r = broker_add_new(p, "index", json_integer(index), err);
	if (r == 0)
		r = add(p, "value", value, err);
	return broker_call(c, r, MPD_M_ARRAY_SET, p, NULL, NULL, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_array_set_slice(struct mpd_client *c, const char *name, int64_t start,
			json_t *values, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0 && !json_is_array(values))
		r = client_fail(err, MPD_E_INVAL, 0,
				"%s: values is not an array", __func__);
	if (r == 0)
		r = broker_add_new(p, "start", json_integer(start), err);
	if (r == 0)
		r = add(p, "values", values, err);
	return broker_call(c, r, MPD_M_ARRAY_SET, p, NULL, NULL, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_array_delete(struct mpd_client *c, const char *name,
		     struct mpd_error *err)
{
	return broker_name_call(c, __func__, MPD_M_ARRAY_DELETE, name, err);
}

/* Returns 0 with *list, or a negative code; see mpd.h. */
int mpd_array_list(struct mpd_client *c, json_t **list, struct mpd_error *err)
{
	return broker_list_call(c, __func__, MPD_M_ARRAY_LIST, "arrays", list,
				err);
}

/*
 * The typed conveniences. Each is one line: a struct scalar_in says which
 * C value goes out (it becomes a JSON value), a struct scalar_out where a
 * JSON value coming back goes (checked against the C type first).
 */
enum scalar_type { SCALAR_INT, SCALAR_DOUBLE, SCALAR_STRING };

/* An int64_t, a double or a string (borrowed) to send. */
struct scalar_in {
	enum scalar_type type;
	union {
		int64_t i;
		double d;
		const char *s;
	};
};

/* Where a received int64_t, double or string (malloc'd) goes; p may be
 * NULL to discard it, unchecked, where mpd.h says "may be NULL". */
struct scalar_out {
	enum scalar_type type;
	void *p;
};

#define IN_INT(v)     ((struct scalar_in){ SCALAR_INT, .i = (v) })
#define IN_DOUBLE(v)  ((struct scalar_in){ SCALAR_DOUBLE, .d = (v) })
#define IN_STRING(v)  ((struct scalar_in){ SCALAR_STRING, .s = (v) })
#define OUT_INT(v)    ((struct scalar_out){ SCALAR_INT, (v) })
#define OUT_DOUBLE(v) ((struct scalar_out){ SCALAR_DOUBLE, (v) })
#define OUT_STRING(v) ((struct scalar_out){ SCALAR_STRING, (v) })

/* What a convenience get adds when it cannot hand back the item it took. */
#define QUEUE_LOST "; it has left the queue"

/*
 * A new JSON value of in, named what in messages, in *out. Returns 0,
 * MPD_E_INVAL (a double that is not finite, a string that is NULL or not
 * UTF-8), or MPD_E_NOMEM.
 */
static int scalar_json(const char *fn, const char *what, struct scalar_in in,
		       json_t **out, struct mpd_error *err)
{
	json_t *v = NULL;
	int r = 0;

	switch (in.type) {
	case SCALAR_INT:
		v = json_integer(in.i);
		break;
	case SCALAR_DOUBLE:
		r = broker_check_finite(fn, what, in.d, err);
		if (r == 0)
			v = json_real(in.d);
		break;
	case SCALAR_STRING:
		r = broker_check_given(fn, what, in.s, err);
		return r < 0 ? r : broker_new_string(fn, what, in.s, out, err);
	}
	if (r == 0 && v == NULL)
		r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	if (r == 0)
		*out = v;
	return r;
}

/*
 * Turn v (stolen) into the C value out asks for: an int64_t from a JSON
 * integer, a double from any number, a malloc'd copy of a string; or drop
 * it when out.p is NULL. what names v for the message, lost (may be "")
 * ends it. Returns 0, or MPD_E_PROTO when v has another type,
 * MPD_E_NOMEM.
 */
static int scalar_take(json_t *v, const char *what, const char *lost,
		       struct scalar_out out, struct mpd_error *err)
{
	static const char *const kinds[] = {
		[SCALAR_INT] = "an integer",
		[SCALAR_DOUBLE] = "a number",
		[SCALAR_STRING] = "a string",
	};
	bool fits = out.type == SCALAR_INT    ? json_is_integer(v) :
		    out.type == SCALAR_DOUBLE ? json_is_number(v) :
						json_is_string(v);
	char *s;
	int r = 0;

	if (out.p == NULL) {
		/* Not wanted: whatever came is fine. */
	} else if (!fits) {
		r = client_fail(err, MPD_E_PROTO, 0, "%s is %s, not %s%s", what,
				broker_json_kind(v), kinds[out.type], lost);
	} else if (out.type == SCALAR_STRING) {
		s = strndup(json_string_value(v), json_string_length(v));
		if (s == NULL)
			r = client_fail(err, MPD_E_NOMEM, ENOMEM,
					"out of memory copying %s%s", what,
					lost);
		else
			*(char **)out.p = s;
	} else if (out.type == SCALAR_INT) {
		*(int64_t *)out.p = json_integer_value(v);
	} else {
		*(double *)out.p = json_number_value(v);
	}
	json_decref(v);
	return r;
}

/* queue.put of in on behalf of fn. */
static int queue_put_scalar(struct mpd_client *c, const char *fn,
			    const char *name, struct scalar_in in,
			    double timeout, struct mpd_error *err)
{
	json_t *item = NULL;
	int r = broker_check_name(fn, name, err);

	if (r == 0)
		r = scalar_json(fn, "the item", in, &item, err);
	if (r == 0)
		r = queue_put(c, fn, name, item, timeout, err);
	json_decref(item);
	return r;
}

/* queue.get into out (not NULL) on behalf of fn. */
static int queue_get_scalar(struct mpd_client *c, const char *fn,
			    const char *name, double timeout,
			    struct scalar_out out, struct mpd_error *err)
{
	char what[BROKER_WHAT_MAX];
	json_t *item = NULL;
	int r = broker_check_given(fn, "the out-parameter", out.p, err);

	if (r == 0)
		r = queue_get(c, fn, name, timeout, &item, err);
	if (r < 0)
		return r;
	snprintf(what, sizeof(what), "the item taken from queue %s", name);
	return scalar_take(item, what, QUEUE_LOST, out, err);
}

/* value.get into out (not NULL) on behalf of fn. */
static int value_get_scalar(struct mpd_client *c, const char *fn,
			    const char *name, struct scalar_out out,
			    struct mpd_error *err)
{
	char what[BROKER_WHAT_MAX];
	json_t *value = NULL;
	int r = broker_check_given(fn, "the out-parameter", out.p, err);

	if (r == 0)
		r = value_get(c, fn, name, &value, err);
	if (r < 0)
		return r;
	snprintf(what, sizeof(what), "value %s", name);
	return scalar_take(value, what, "", out, err);
}

/* value.set of in on behalf of fn. */
static int value_set_scalar(struct mpd_client *c, const char *fn,
			    const char *name, struct scalar_in in,
			    struct mpd_error *err)
{
	json_t *value = NULL;
	int r = broker_check_name(fn, name, err);

	if (r == 0)
		r = scalar_json(fn, "the value", in, &value, err);
	if (r == 0)
		r = value_set(c, fn, name, value, err);
	json_decref(value);
	return r;
}

/*
 * method (value.add, or array.add with index not NULL) of delta on behalf
 * of fn; the sum into result (may be NULL).
 */
static int add_scalar(struct mpd_client *c, const char *fn, const char *method,
		      const char *name, const int64_t *index,
		      struct scalar_in delta, struct scalar_out result,
		      struct mpd_error *err)
{
	json_t *p = NULL, *d = NULL, *v = NULL;
	char what[64];
	int r = broker_name_params(fn, name, &p, err);

	if (r == 0)
		r = scalar_json(fn, "delta", delta, &d, err);
	if (r == 0 && index != NULL)
		r = broker_add_new(p, "index", json_integer(*index), err);
	if (r == 0)
		r = add(p, "delta", d, err);
	json_decref(d);
	r = broker_call(c, r, method, p, "value", &v, err);
	if (r < 0)
		return r;
	snprintf(what, sizeof(what), "the sum %s returned", method);
	return scalar_take(v, what, "", result, err);
}

/* The conveniences: each returns 0, or a negative code; see mpd.h. */

int mpd_queue_put_int(struct mpd_client *c, const char *name, int64_t v,
		      double timeout, struct mpd_error *err)
{
	return queue_put_scalar(c, __func__, name, IN_INT(v), timeout, err);
}

int mpd_queue_put_double(struct mpd_client *c, const char *name, double v,
			 double timeout, struct mpd_error *err)
{
	return queue_put_scalar(c, __func__, name, IN_DOUBLE(v), timeout, err);
}

int mpd_queue_put_string(struct mpd_client *c, const char *name, const char *v,
			 double timeout, struct mpd_error *err)
{
	return queue_put_scalar(c, __func__, name, IN_STRING(v), timeout, err);
}

int mpd_queue_get_int(struct mpd_client *c, const char *name, double timeout,
		      int64_t *v, struct mpd_error *err)
{
	return queue_get_scalar(c, __func__, name, timeout, OUT_INT(v), err);
}

int mpd_queue_get_double(struct mpd_client *c, const char *name, double timeout,
			 double *v, struct mpd_error *err)
{
	return queue_get_scalar(c, __func__, name, timeout, OUT_DOUBLE(v), err);
}

int mpd_queue_get_string(struct mpd_client *c, const char *name, double timeout,
			 char **v, struct mpd_error *err)
{
	return queue_get_scalar(c, __func__, name, timeout, OUT_STRING(v), err);
}

int mpd_value_get_int(struct mpd_client *c, const char *name, int64_t *v,
		      struct mpd_error *err)
{
	return value_get_scalar(c, __func__, name, OUT_INT(v), err);
}

int mpd_value_get_double(struct mpd_client *c, const char *name, double *v,
			 struct mpd_error *err)
{
	return value_get_scalar(c, __func__, name, OUT_DOUBLE(v), err);
}

int mpd_value_get_string(struct mpd_client *c, const char *name, char **v,
			 struct mpd_error *err)
{
	return value_get_scalar(c, __func__, name, OUT_STRING(v), err);
}

int mpd_value_set_int(struct mpd_client *c, const char *name, int64_t v,
		      struct mpd_error *err)
{
	return value_set_scalar(c, __func__, name, IN_INT(v), err);
}

int mpd_value_set_double(struct mpd_client *c, const char *name, double v,
			 struct mpd_error *err)
{
	return value_set_scalar(c, __func__, name, IN_DOUBLE(v), err);
}

int mpd_value_set_string(struct mpd_client *c, const char *name, const char *v,
			 struct mpd_error *err)
{
	return value_set_scalar(c, __func__, name, IN_STRING(v), err);
}

int mpd_value_add_int(struct mpd_client *c, const char *name, int64_t delta,
		      int64_t *result, struct mpd_error *err)
{
	return add_scalar(c, __func__, MPD_M_VALUE_ADD, name, NULL,
			  IN_INT(delta), OUT_INT(result), err);
}

int mpd_value_add_double(struct mpd_client *c, const char *name, double delta,
			 double *result, struct mpd_error *err)
{
	return add_scalar(c, __func__, MPD_M_VALUE_ADD, name, NULL,
			  IN_DOUBLE(delta), OUT_DOUBLE(result), err);
}

int mpd_array_add_int(struct mpd_client *c, const char *name, int64_t index,
		      int64_t delta, int64_t *result, struct mpd_error *err)
{
	return add_scalar(c, __func__, MPD_M_ARRAY_ADD, name, &index,
			  IN_INT(delta), OUT_INT(result), err);
}

int mpd_array_add_double(struct mpd_client *c, const char *name, int64_t index,
			 double delta, double *result, struct mpd_error *err)
{
	return add_scalar(c, __func__, MPD_M_ARRAY_ADD, name, &index,
			  IN_DOUBLE(delta), OUT_DOUBLE(result), err);
}
