/*
 * list.c - libmpd's shared lists: the list.* methods of mpdd.
 *
 * Written as broker.c's calls, on its helpers (client.h): each function
 * checks its arguments before anything is sent (a bad name, a NULL value
 * or out-parameter, a value nested deeper than the daemon keeps, a step
 * of 0), builds the params docs/protocol.md ("Shared lists") describes,
 * sending a slice's bounds only when given (MPD_LIST_NONE is Python's
 * None), makes one call and checks the result member it hands back.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>

#include "client.h"
#include "mpd.h"
#include "proto.h"

/* Add key for index (clamped to what the daemon takes), unless it is
 * MPD_LIST_NONE. Returns 0 or MPD_E_NOMEM. */
static int add_index(json_t *p, const char *key, int64_t index,
		     struct mpd_error *err)
{
	if (index == MPD_LIST_NONE)
		return 0;
	return broker_add_new(p, key, json_integer(broker_slice_bound(index)),
			      err);
}

/* Add "index" for index, clamped (even MPD_LIST_NONE: an index is never
 * left out). Returns 0 or MPD_E_NOMEM. */
static int add_at(json_t *p, int64_t index, struct mpd_error *err)
{
	return broker_add_new(p, "index",
			      json_integer(broker_slice_bound(index)), err);
}

/* Add a value (borrowed) to keep as key, checked first. Returns 0, or
 * MPD_E_INVAL (NULL, too deep), MPD_E_NOMEM. */
static int add_value(const char *fn, json_t *p, const char *key, json_t *value,
		     struct mpd_error *err)
{
	int r = broker_check_given(fn, key, value, err);

	if (r == 0)
		r = broker_check_depth(fn, key, value, err);
	if (r == 0)
		r = broker_add_new(p, key, json_incref(value), err);
	return r;
}

/* Add items (borrowed), an array of values to keep, checked first.
 * Returns 0, or MPD_E_INVAL, MPD_E_NOMEM. */
static int add_items(const char *fn, json_t *p, json_t *items,
		     struct mpd_error *err)
{
	json_t *v;
	size_t i;
	int r = 0;

	if (!json_is_array(items))
		return client_fail(err, MPD_E_INVAL, 0,
				   "%s: items is %s, not an array", fn,
				   broker_json_kind(items));
	json_array_foreach (items, i, v) {
		r = broker_check_depth(fn, "an item", v, err);
		if (r < 0)
			return r;
	}
	return broker_add_new(p, "items", json_incref(items), err);
}

/* Add the slice start:stop:step. Returns 0, or MPD_E_INVAL (a step of 0),
 * MPD_E_NOMEM. */
static int add_slice(const char *fn, json_t *p, int64_t start, int64_t stop,
		     int64_t step, struct mpd_error *err)
{
	int r;

	if (step == 0)
		return client_fail(err, MPD_E_INVAL, 0, "%s: step is 0", fn);
	r = add_index(p, "start", start, err);
	if (r == 0)
		r = add_index(p, "stop", stop, err);
	if (r == 0)
		r = add_index(p, "step", step, err);
	return r;
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_list_create(struct mpd_client *c, const char *name,
		    const struct mpd_list_options *opts, struct mpd_error *err)
{
	static const struct mpd_list_options defaults;
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (opts == NULL)
		opts = &defaults;
	if (r == 0)
		r = chan_add_mode(__func__, p, opts->mode, err);
	if (r == 0 && opts->items != NULL)
		r = add_items(__func__, p, opts->items, err);
	if (r == 0 && opts->exist_ok)
		r = broker_add_new(p, "exist_ok", json_true(), err);
	return broker_call(c, r, MPD_M_LIST_CREATE, p, NULL, NULL, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_list_append(struct mpd_client *c, const char *name, json_t *value,
		    struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = add_value(__func__, p, "value", value, err);
	return broker_call(c, r, MPD_M_LIST_APPEND, p, NULL, NULL, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_list_extend(struct mpd_client *c, const char *name, json_t *items,
		    struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = add_items(__func__, p, items, err);
	return broker_call(c, r, MPD_M_LIST_EXTEND, p, NULL, NULL, err);
}

/* Returns 0 with *value, or a negative code; see mpd.h. */
int mpd_list_get(struct mpd_client *c, const char *name, int64_t index,
		 json_t **value, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_given(__func__, "value", value, err);
	if (r == 0)
		r = add_at(p, index, err);
	return broker_call(c, r, MPD_M_LIST_GET, p, "value", value, err);
}

/* Returns 0 with *items, or a negative code; see mpd.h. */
int mpd_list_get_slice(struct mpd_client *c, const char *name, int64_t start,
		       int64_t stop, int64_t step, json_t **items,
		       struct mpd_error *err)
{
	json_t *p = NULL, *v = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_given(__func__, "items", items, err);
	if (r == 0)
		r = add_slice(__func__, p, start, stop, step, err);
	r = broker_call(c, r, MPD_M_LIST_GET, p, "items", &v, err);
	if (r < 0)
		return r;
	if (!json_is_array(v)) {
		r = client_fail(err, MPD_E_PROTO, 0,
				"list.get returned %s as \"items\", not an "
				"array",
				broker_json_kind(v));
		json_decref(v);
		return r;
	}
	*items = v;
	return 0;
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_list_set(struct mpd_client *c, const char *name, int64_t index,
		 json_t *value, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = add_at(p, index, err);
	if (r == 0)
		r = add_value(__func__, p, "value", value, err);
	return broker_call(c, r, MPD_M_LIST_SET, p, NULL, NULL, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_list_set_slice(struct mpd_client *c, const char *name, int64_t start,
		       int64_t stop, int64_t step, json_t *items,
		       struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = add_slice(__func__, p, start, stop, step, err);
	if (r == 0)
		r = add_items(__func__, p, items, err);
	return broker_call(c, r, MPD_M_LIST_SET, p, NULL, NULL, err);
}

/* Returns 0 with *value, or a negative code; see mpd.h. */
int mpd_list_pop(struct mpd_client *c, const char *name, int64_t index,
		 json_t **value, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_given(__func__, "value", value, err);
	/* The daemon's default is -1: sent only when another. */
	if (r == 0 && index != -1)
		r = add_at(p, index, err);
	return broker_call(c, r, MPD_M_LIST_POP, p, "value", value, err);
}

/* Returns 0 with *length, or a negative code; see mpd.h. */
int mpd_list_len(struct mpd_client *c, const char *name, size_t *length,
		 struct mpd_error *err)
{
	json_t *p = NULL, *v = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_given(__func__, "length", length, err);
	r = broker_call(c, r, MPD_M_LIST_LEN, p, "length", &v, err);
	if (r < 0)
		return r;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > SIZE_MAX)
		r = client_fail(err, MPD_E_PROTO, 0,
				"list.len returned %s as \"length\", not a "
				"length",
				broker_json_kind(v));
	else
		*length = (size_t)json_integer_value(v);
	json_decref(v);
	return r;
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_list_insert(struct mpd_client *c, const char *name, int64_t index,
		    json_t *value, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = add_at(p, index, err);
	if (r == 0)
		r = add_value(__func__, p, "value", value, err);
	return broker_call(c, r, MPD_M_LIST_INSERT, p, NULL, NULL, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_list_remove(struct mpd_client *c, const char *name, json_t *value,
		    struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = add_value(__func__, p, "value", value, err);
	return broker_call(c, r, MPD_M_LIST_REMOVE, p, NULL, NULL, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_list_clear(struct mpd_client *c, const char *name,
		   struct mpd_error *err)
{
	return broker_name_call(c, __func__, MPD_M_LIST_CLEAR, name, err);
}

/* Returns 0 with *info, or a negative code; see mpd.h. */
int mpd_list_info(struct mpd_client *c, const char *name, json_t **info,
		  struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_given(__func__, "info", info, err);
	return broker_call(c, r, MPD_M_LIST_INFO, p, NULL, info, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_list_delete(struct mpd_client *c, const char *name,
		    struct mpd_error *err)
{
	return broker_name_call(c, __func__, MPD_M_LIST_DELETE, name, err);
}

/* Returns 0 with *list, or a negative code; see mpd.h. */
int mpd_list_list(struct mpd_client *c, json_t **list, struct mpd_error *err)
{
	return broker_list_call(c, __func__, MPD_M_LIST_LIST, "lists", list,
				err);
}
