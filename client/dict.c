/*
 * dict.c - libmpd's dicts: the dict.* methods of mpdd (Python's
 * Manager().dict()).
 *
 * Written as broker.c's calls, on its helpers (client.h): the arguments
 * are checked before anything is sent, the params docs/protocol.md
 * ("Shared dicts") describes are built, optional ones only when given,
 * and the result members a function reads are checked (MPD_E_PROTO when
 * one is missing). mpd_dict_keys() and mpd_dict_items() without a next
 * out-parameter follow the daemon's pages until the last.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "mpd.h"
#include "proto.h"

/* The params {name, key} of a call on behalf of fn, in *out. Returns 0 or
 * a negative code, as broker_name_params(). */
static int key_params(const char *fn, const char *name, const char *key,
		      json_t **out, struct mpd_error *err)
{
	json_t *k = NULL;
	int r = broker_name_params(fn, name, out, err);

	if (r == 0)
		r = broker_check_given(fn, "key", key, err);
	if (r == 0)
		r = broker_new_string(fn, "key", key, &k, err);
	if (r == 0)
		r = broker_add_new(*out, "key", k, err);
	if (r < 0 && *out != NULL) {
		json_decref(*out);
		*out = NULL;
	}
	return r;
}

/* Add key: v (borrowed) to p. Returns 0 or MPD_E_NOMEM. */
static int add_ref(json_t *p, const char *key, json_t *v, struct mpd_error *err)
{
	return broker_add_new(p, key, json_incref(v), err);
}

/*
 * The boolean flag and the member "value" of res (stolen), into *flag and
 * *value (each may be NULL). Returns 0, or MPD_E_PROTO naming method.
 */
static int value_and_flag(json_t *res, const char *method, const char *flag,
			  json_t **value, int *out, struct mpd_error *err)
{
	json_t *v = json_object_get(res, "value");
	json_t *f = json_object_get(res, flag);

	if (v == NULL || !json_is_boolean(f)) {
		json_decref(res);
		return client_fail(err, MPD_E_PROTO, 0,
				   "%s returned no \"value\" and \"%s\"",
				   method, flag);
	}
	if (value != NULL)
		*value = json_incref(v);
	if (out != NULL)
		*out = json_is_true(f);
	json_decref(res);
	return 0;
}

/* A count member key of res (stolen) into *n (may be NULL). Returns 0, or
 * MPD_E_PROTO naming method. */
static int take_count(json_t *res, const char *method, const char *key,
		      size_t *n, struct mpd_error *err)
{
	json_t *v = json_object_get(res, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		json_decref(res);
		return client_fail(err, MPD_E_PROTO, 0,
				   "%s returned no count \"%s\"", method, key);
	}
	if (n != NULL)
		*n = (size_t)json_integer_value(v);
	json_decref(res);
	return 0;
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_dict_create(struct mpd_client *c, const char *name,
		    const struct mpd_dict_options *opts, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0 && opts != NULL)
		r = chan_add_mode(__func__, p, opts->mode, err);
	if (r == 0 && opts != NULL && opts->exist_ok)
		r = broker_add_new(p, "exist_ok", json_true(), err);
	return broker_call(c, r, MPD_M_DICT_CREATE, p, NULL, NULL, err);
}

/* dict.get or dict.pop (method) on behalf of fn. */
static int get_or_pop(struct mpd_client *c, const char *fn, const char *method,
		      const char *name, const char *key, json_t *dflt,
		      json_t **value, int *found, struct mpd_error *err)
{
	json_t *p = NULL, *res = NULL;
	int r = key_params(fn, name, key, &p, err);

	if (r == 0 && dflt != NULL)
		r = add_ref(p, "default", dflt, err);
	r = broker_call(c, r, method, p, NULL, &res, err);
	if (r < 0)
		return r;
	return value_and_flag(res, method, "found", value, found, err);
}

/* Returns 0 with *value, or a negative code; see mpd.h. */
int mpd_dict_get(struct mpd_client *c, const char *name, const char *key,
		 json_t *dflt, json_t **value, int *found,
		 struct mpd_error *err)
{
	int r = broker_check_given(__func__, "the out-parameter", value, err);

	return r < 0 ? r :
		       get_or_pop(c, __func__, MPD_M_DICT_GET, name, key, dflt,
				  value, found, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_dict_pop(struct mpd_client *c, const char *name, const char *key,
		 json_t *dflt, json_t **value, int *found,
		 struct mpd_error *err)
{
	return get_or_pop(c, __func__, MPD_M_DICT_POP, name, key, dflt, value,
			  found, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_dict_set(struct mpd_client *c, const char *name, const char *key,
		 json_t *value, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = key_params(__func__, name, key, &p, err);

	if (r == 0)
		r = broker_check_given(__func__, "value", value, err);
	if (r == 0)
		r = broker_check_depth(__func__, "value", value, err);
	if (r == 0)
		r = add_ref(p, "value", value, err);
	return broker_call(c, r, MPD_M_DICT_SET, p, NULL, NULL, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_dict_setdefault(struct mpd_client *c, const char *name, const char *key,
			json_t *value, json_t **now, int *inserted,
			struct mpd_error *err)
{
	json_t *p = NULL, *res = NULL;
	int r = key_params(__func__, name, key, &p, err);

	if (r == 0)
		r = broker_check_depth(__func__, "value", value, err);
	if (r == 0 && value != NULL)
		r = add_ref(p, "value", value, err);
	r = broker_call(c, r, MPD_M_DICT_SETDEFAULT, p, NULL, &res, err);
	if (r < 0)
		return r;
	return value_and_flag(res, MPD_M_DICT_SETDEFAULT, "inserted", now,
			      inserted, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_dict_del(struct mpd_client *c, const char *name, const char *key,
		 struct mpd_error *err)
{
	json_t *p = NULL;
	int r = key_params(__func__, name, key, &p, err);

	return broker_call(c, r, MPD_M_DICT_DEL, p, NULL, NULL, err);
}

/* Returns 1, 0, or a negative code; see mpd.h. */
int mpd_dict_contains(struct mpd_client *c, const char *name, const char *key,
		      struct mpd_error *err)
{
	json_t *p = NULL, *found = NULL;
	int r = key_params(__func__, name, key, &p, err);

	r = broker_call(c, r, MPD_M_DICT_CONTAINS, p, "found", &found, err);
	if (r < 0)
		return r;
	r = json_is_boolean(found) ?
		    json_is_true(found) :
		    client_fail(err, MPD_E_PROTO, 0,
				"dict.contains returned %s as \"found\"",
				broker_json_kind(found));
	json_decref(found);
	return r;
}

/* Returns 0 with *len, or a negative code; see mpd.h. */
int mpd_dict_len(struct mpd_client *c, const char *name, size_t *len,
		 struct mpd_error *err)
{
	json_t *p = NULL, *res = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_given(__func__, "len", len, err);
	r = broker_call(c, r, MPD_M_DICT_LEN, p, NULL, &res, err);
	return r < 0 ? r : take_count(res, MPD_M_DICT_LEN, "len", len, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_dict_update(struct mpd_client *c, const char *name, json_t *entries,
		    size_t *len, struct mpd_error *err)
{
	json_t *p = NULL, *res = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0 && !json_is_object(entries))
		r = client_fail(err, MPD_E_INVAL, 0,
				"%s: entries is %s, not an object", __func__,
				broker_json_kind(entries));
	if (r == 0)
		r = broker_check_depth(__func__, "entries", entries, err);
	if (r == 0)
		r = add_ref(p, "entries", entries, err);
	r = broker_call(c, r, MPD_M_DICT_UPDATE, p, NULL, &res, err);
	return r < 0 ? r : take_count(res, MPD_M_DICT_UPDATE, "len", len, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_dict_clear(struct mpd_client *c, const char *name, size_t *removed,
		   struct mpd_error *err)
{
	json_t *p = NULL, *res = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	r = broker_call(c, r, MPD_M_DICT_CLEAR, p, NULL, &res, err);
	return r < 0 ? r :
		       take_count(res, MPD_M_DICT_CLEAR, "removed", removed,
				  err);
}

/* dict.add of delta (borrowed) on behalf of fn: the sum into *value (may
 * be NULL). */
static int dict_add(struct mpd_client *c, const char *fn, const char *name,
		    const char *key, json_t *delta, json_t **value,
		    struct mpd_error *err)
{
	json_t *p = NULL;
	int r = key_params(fn, name, key, &p, err);

	if (r == 0 && !json_is_number(delta))
		r = client_fail(err, MPD_E_INVAL, 0,
				"%s: delta is %s, not a number", fn,
				broker_json_kind(delta));
	if (r == 0 && json_is_real(delta))
		r = broker_check_finite(fn, "delta", json_real_value(delta),
					err);
	if (r == 0)
		r = add_ref(p, "delta", delta, err);
	return broker_call(c, r, MPD_M_DICT_ADD, p, "value", value, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_dict_add(struct mpd_client *c, const char *name, const char *key,
		 json_t *delta, json_t **value, struct mpd_error *err)
{
	return dict_add(c, __func__, name, key, delta, value, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_dict_add_int(struct mpd_client *c, const char *name, const char *key,
		     int64_t delta, int64_t *value, struct mpd_error *err)
{
	json_t *d = json_integer(delta), *sum = NULL;
	int r = d != NULL ? dict_add(c, __func__, name, key, d, &sum, err) :
			    client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);

	json_decref(d);
	if (r < 0)
		return r;
	if (!json_is_integer(sum))
		r = client_fail(err, MPD_E_PROTO, 0,
				"the sum dict.add returned is %s, not an "
				"integer (the add is done)",
				broker_json_kind(sum));
	else if (value != NULL)
		*value = json_integer_value(sum);
	json_decref(sum);
	return r;
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_dict_add_double(struct mpd_client *c, const char *name, const char *key,
			double delta, double *value, struct mpd_error *err)
{
	json_t *d = NULL, *sum = NULL;
	int r = broker_check_finite(__func__, "delta", delta, err);

	if (r == 0 && (d = json_real(delta)) == NULL)
		r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	if (r == 0)
		r = dict_add(c, __func__, name, key, d, &sum, err);
	json_decref(d);
	if (r < 0)
		return r;
	if (!json_is_number(sum))
		r = client_fail(err, MPD_E_PROTO, 0,
				"the sum dict.add returned is %s, not a number "
				"(the add is done)",
				broker_json_kind(sum));
	else if (value != NULL)
		*value = json_number_value(sum);
	json_decref(sum);
	return r;
}

/*
 * One page of dict.keys or dict.items (method; its result's member key,
 * an array or an object) on behalf of fn: *page gets it, *next the key
 * after which the next page starts (malloc'd) or NULL at the end.
 */
static int one_page(struct mpd_client *c, const char *fn, const char *method,
		    const char *key, const char *name, const char *after,
		    size_t limit, json_t **page, char **next,
		    struct mpd_error *err)
{
	json_t *p = NULL, *res = NULL, *v, *n, *a = NULL;
	int r = broker_name_params(fn, name, &p, err);

	if (r == 0 && after != NULL)
		r = broker_new_string(fn, "after", after, &a, err);
	if (r == 0 && a != NULL)
		r = broker_add_new(p, "after", a, err);
	/* The daemon's largest page; a smaller one is the same listing. */
	if (r == 0 && limit > 0)
		r = broker_add_new(p, "limit",
				   json_integer(limit < MPD_MAX_LIST_LIMIT ?
							(json_int_t)limit :
							MPD_MAX_LIST_LIMIT),
				   err);
	r = broker_call(c, r, method, p, NULL, &res, err);
	if (r < 0)
		return r;
	v = json_object_get(res, key);
	n = json_object_get(res, "next");
	if ((strcmp(key, "keys") == 0 ? !json_is_array(v) :
					!json_is_object(v)) ||
	    !(json_is_null(n) || json_is_string(n))) {
		json_decref(res);
		return client_fail(err, MPD_E_PROTO, 0,
				   "%s returned no \"%s\" and \"next\"", method,
				   key);
	}
	*next = NULL;
	if (json_is_string(n) &&
	    (*next = strdup(json_string_value(n))) == NULL) {
		json_decref(res);
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	}
	*page = json_incref(v);
	json_decref(res);
	return 0;
}

/* dict.keys or dict.items on behalf of fn: one page with next, every
 * page without. */
static int pages(struct mpd_client *c, const char *fn, const char *method,
		 const char *key, const char *name, const char *after,
		 size_t limit, json_t **out, char **next, struct mpd_error *err)
{
	json_t *all = NULL, *page = NULL;
	char *at = NULL, *more = NULL;
	int r = broker_check_given(fn, "the out-parameter", out, err);

	if (r < 0)
		return r;
	if (next != NULL)
		return one_page(c, fn, method, key, name, after, limit, out,
				next, err);
	do {
		r = one_page(c, fn, method, key, name, at != NULL ? at : after,
			     limit, &page, &more, err);
		free(at);
		at = more;
		if (r < 0)
			break;
		if (all == NULL) {
			all = page;
		} else if ((json_is_array(all) ?
				    json_array_extend(all, page) :
				    json_object_update(all, page)) == -1) {
			json_decref(page);
			r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
			break;
		} else {
			json_decref(page);
		}
		page = NULL;
	} while (at != NULL);
	free(at);
	if (r < 0) {
		json_decref(all);
		return r;
	}
	*out = all;
	return 0;
}

/* Returns 0 with *keys, or a negative code; see mpd.h. */
int mpd_dict_keys(struct mpd_client *c, const char *name, const char *after,
		  size_t limit, json_t **keys, char **next,
		  struct mpd_error *err)
{
	return pages(c, __func__, MPD_M_DICT_KEYS, "keys", name, after, limit,
		     keys, next, err);
}

/* Returns 0 with *items, or a negative code; see mpd.h. */
int mpd_dict_items(struct mpd_client *c, const char *name, const char *after,
		   size_t limit, json_t **items, char **next,
		   struct mpd_error *err)
{
	return pages(c, __func__, MPD_M_DICT_ITEMS, "items", name, after, limit,
		     items, next, err);
}

/* Returns 0 with *info, or a negative code; see mpd.h. */
int mpd_dict_info(struct mpd_client *c, const char *name, json_t **info,
		  struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_given(__func__, "info", info, err);
	return broker_call(c, r, MPD_M_DICT_INFO, p, NULL, info, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_dict_delete(struct mpd_client *c, const char *name,
		    struct mpd_error *err)
{
	return broker_name_call(c, __func__, MPD_M_DICT_DELETE, name, err);
}

/* Returns 0 with *list, or a negative code; see mpd.h. */
int mpd_dict_list(struct mpd_client *c, json_t **list, struct mpd_error *err)
{
	return broker_list_call(c, __func__, MPD_M_DICT_LIST, "dicts", list,
				err);
}
