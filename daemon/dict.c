/*
 * dict.c - the dict.* methods: Python's Manager().dict(), brokered.
 *
 * A dict maps string keys to any JSON values. The daemon is
 * single-threaded, so every method is atomic: dict.update sets all its
 * entries or none, dict.setdefault is Python's `d.setdefault(k, v)` in one
 * round trip, and dict.add is `d[k] = d.get(k, 0) + delta` without a lock
 * around it.
 *
 * A dict belongs to the uid that created it and lives until dict.delete,
 * which only that uid (and root) may call. Who may read and write it is
 * its mode, as for listeners and shared memory (chan_may()): the owner,
 * also its group, or everyone; another uid gets permission_denied and
 * does not see it in dict.list.
 *
 * Limits: a dict counts in max_objects; each entry holds the bytes of its
 * key, of its value as compact JSON and DICT_ENTRY_BYTES of bookkeeping
 * against max_broker_bytes; a dict holds at most max_queue_items entries;
 * a value nests at most MPD_MAX_ITEM_DEPTH levels. dict.keys and
 * dict.items answer in pages, in key order, sized to the connection's
 * room under max_output (req_budget()), as process.list does.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "mpdd.h"

/* Bytes an entry holds besides its key and value: its struct, the hash
 * table's entry and the value's json_t, near enough. */
#define DICT_ENTRY_BYTES 64
/* Bytes of a page's text around its rows: {"items":{},"next":}. */
#define DICT_PAGE_FRAME 32

struct dentry {
	char *key;
	json_t *v;
	uint64_t bytes; /* accounted */
};

struct dict {
	char *name;
	struct hmap map; /* key -> struct dentry */
	uint64_t bytes; /* of its entries */
	uid_t uid;
	gid_t gid;
	enum chan_mode mode;
	json_t *owner; /* the creator's credentials */
	double created;
};

static struct hmap dicts;

/* The params of the dict.* methods, as the dispatcher extracts them; the
 * target first. */
struct dargs {
	struct dict *d;
	json_t *name; /* dict.create's */
	const char *mode;
	const char *key, *after;
	json_t *value, *dflt, *delta, *entries;
	json_int_t limit; /* 0: not given */
	bool exist_ok;
};

#define KEY_ARG ARG("key", MPD_PT_STRING, MPD_PF_REQUIRED, struct dargs, key)

static const struct mpd_param create_params[] = {
	ARG_NAME(struct dargs, name),
	ARG("mode", MPD_PT_STRING, 0, struct dargs, mode),
	ARG("exist_ok", MPD_PT_BOOL, 0, struct dargs, exist_ok),
	PARAMS_END,
};
static const struct mpd_param name_params[] = { PARAM_NAME, PARAMS_END };
static const struct mpd_param key_params[] = { PARAM_NAME, KEY_ARG,
					       PARAMS_END };
static const struct mpd_param get_params[] = {
	PARAM_NAME,
	KEY_ARG,
	ARG("default", MPD_PT_ANY, 0, struct dargs, dflt),
	PARAMS_END,
};
static const struct mpd_param set_params[] = {
	PARAM_NAME,
	KEY_ARG,
	ARG("value", MPD_PT_ANY, MPD_PF_REQUIRED, struct dargs, value),
	PARAMS_END,
};
static const struct mpd_param setdefault_params[] = {
	PARAM_NAME,
	KEY_ARG,
	ARG("value", MPD_PT_ANY, 0, struct dargs, value),
	PARAMS_END,
};
static const struct mpd_param add_params[] = {
	PARAM_NAME,
	KEY_ARG,
	ARG_JSON("delta", MPD_PT_NUMBER, MPD_PF_REQUIRED, struct dargs, delta),
	PARAMS_END,
};
static const struct mpd_param update_params[] = {
	PARAM_NAME,
	ARG("entries", MPD_PT_OBJECT, MPD_PF_REQUIRED, struct dargs, entries),
	PARAMS_END,
};
static const struct mpd_param page_params[] = {
	PARAM_NAME,
	ARG("after", MPD_PT_STRING, 0, struct dargs, after),
	ARG_RANGE("limit", MPD_PT_INT, 0, 1, MPD_MAX_LIST_LIMIT, struct dargs,
		  limit),
	PARAMS_END,
};

/* Found by name; who may do what is checked by each method, since it
 * depends on the dict's mode. */
static const struct target_type dict_target = {
	.noun = "dict",
	.map = &dicts,
	.bounded_name = true,
};

static void oom(struct req *r)
{
	req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
}

/* May r's client read and write d? Returns true, or false with r answered
 * (permission_denied). */
static bool may_use(struct req *r, const struct dict *d)
{
	if (chan_may(r->conn, d->uid, d->gid, d->mode))
		return true;
	req_error(r, MPD_RPC_PERMISSION_DENIED, NULL,
		  "dict \"%s\" belongs to uid %ld and is not shared with uid "
		  "%ld",
		  d->name, (long)d->uid, (long)r->conn->uid);
	return false;
}

/* The bytes an entry of key and value v holds, for max_broker_bytes. */
static uint64_t entry_size(const char *key, const json_t *v)
{
	return strlen(key) +
	       json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY) +
	       DICT_ENTRY_BYTES;
}

/* Is there room in d for added more entries? Returns true, or false with
 * r answered (limit max_queue_items). */
static bool entries_room(struct req *r, const struct dict *d, size_t added)
{
	if (added == 0 || d->map.n + added <= mpdd.opt.max_queue_items)
		return true;
	req_error(r, MPD_RPC_LIMIT,
		  json_pack("{s:s, s:I}", "limit", "max_queue_items", "max",
			    (json_int_t)mpdd.opt.max_queue_items),
		  "dict \"%s\" holds %zu entries (max_queue_items)", d->name,
		  d->map.n);
	return false;
}

/* Answer r: d has no entry key (not_found, data.key). */
static void no_key(struct req *r, const struct dict *d, const char *key)
{
	req_error(r, MPD_RPC_NOT_FOUND, json_pack("{s:s}", "key", key),
		  "dict \"%s\" has no key \"%s\"", d->name, key);
}

/* Account for bytes taken (delta > 0) or given back by d. */
static void dict_bytes(struct dict *d, int64_t delta)
{
	d->bytes += (uint64_t)delta;
	broker_bytes(delta);
}

/* A new entry of key and v (a new reference, stolen) in d, accounted;
 * bytes are its entry_size(), whose room was checked. Returns it, or NULL
 * (out of memory, v released). */
static struct dentry *entry_new(struct dict *d, const char *key, json_t *v,
				uint64_t bytes)
{
	struct dentry *e = calloc(1, sizeof(*e));

	if (e == NULL || (e->key = strdup(key)) == NULL ||
	    hmap_put(&d->map, e->key, e) == -1) {
		if (e != NULL)
			free(e->key);
		free(e);
		json_decref(v);
		return NULL;
	}
	e->v = v;
	e->bytes = bytes;
	dict_bytes(d, (int64_t)bytes);
	return e;
}

/* Replace e's value by v (a new reference, stolen) of bytes, whose room
 * was checked. */
static void entry_replace(struct dict *d, struct dentry *e, json_t *v,
			  uint64_t bytes)
{
	dict_bytes(d, (int64_t)bytes - (int64_t)e->bytes);
	e->bytes = bytes;
	json_decref(e->v);
	e->v = v;
}

/* Remove e from d and free it; its value is released too unless kept. */
static void entry_free(struct dict *d, struct dentry *e, bool keep_value)
{
	hmap_del(&d->map, e->key);
	dict_bytes(d, -(int64_t)e->bytes);
	if (!keep_value)
		json_decref(e->v);
	free(e->key);
	free(e);
}

/*
 * Set key to v (borrowed) in d, checking the limits first. Returns true,
 * or false with r answered (limit, internal_error) and d unchanged.
 */
static bool entry_store(struct req *r, struct dict *d, const char *key,
			json_t *v)
{
	struct dentry *e = hmap_get(&d->map, key);
	uint64_t size = entry_size(key, v);

	if (e == NULL && !entries_room(r, d, 1))
		return false;
	if ((e == NULL || size > e->bytes) &&
	    !broker_room(r, 0, e == NULL ? size : size - e->bytes))
		return false;
	if (e != NULL) {
		entry_replace(d, e, json_incref(v), size);
		return true;
	}
	if (entry_new(d, key, json_incref(v), size) == NULL) {
		oom(r);
		return false;
	}
	return true;
}

static json_t *dict_row(void *o)
{
	struct dict *d = o;

	return json_pack("{s:s, s:I, s:s, s:I}", "name", d->name, "uid",
			 (json_int_t)d->uid, "mode", chan_mode_name(d->mode),
			 "len", (json_int_t)d->map.n);
}

static const char *dict_name(void *o)
{
	return ((struct dict *)o)->name;
}

static void dict_create(struct req *r, json_t *params, void *args)
{
	struct dargs *in = args;
	enum chan_mode mode;
	const char *name;
	json_t *res;
	struct dict *d;

	if (!req_name_ok(r, in->name) || !chan_mode_parse(r, in->mode, &mode))
		return;
	name = json_string_value(in->name);
	if ((d = hmap_get(&dicts, name)) != NULL) {
		/* The mode first: another uid learns that the name is
		 * taken, nothing more. */
		if (!in->exist_ok) {
			req_error(r, MPD_RPC_EXISTS, NULL,
				  "a dict named \"%s\" exists", name);
		} else if (may_use(r, d)) {
			res = dict_row(d);
			if (res == NULL ||
			    json_object_set_new(res, "created", json_false()) ==
				    -1) {
				json_decref(res);
				oom(r);
				return;
			}
			req_result(r, res);
		}
		return;
	}
	if (!broker_room(r, 1, 0))
		return;
	d = calloc(1, sizeof(*d));
	if (d == NULL || (d->name = strdup(name)) == NULL ||
	    (d->owner = conn_creds_json(r->conn)) == NULL ||
	    hmap_put(&dicts, d->name, d) == -1) {
		if (d != NULL) {
			json_decref(d->owner);
			free(d->name);
		}
		free(d);
		oom(r);
		return;
	}
	d->uid = r->conn->uid;
	d->gid = r->conn->gid;
	d->mode = mode;
	d->created = now_wall();
	broker.objects++;
	broker.dicts++;
	events_emit_chan("dict", d->name, "created", d->uid, d->gid, d->mode);
	res = dict_row(d);
	if (res != NULL)
		json_object_set_new(res, "created", json_true());
	req_result(r, res);
}

static void dict_get(struct req *r, json_t *params, void *args)
{
	struct dargs *in = args;
	struct dentry *e;

	if (!may_use(r, in->d))
		return;
	e = hmap_get(&in->d->map, in->key);
	if (e != NULL)
		req_result(r,
			   json_pack("{s:O, s:b}", "value", e->v, "found", 1));
	else if (in->dflt != NULL)
		req_result(r, json_pack("{s:O, s:b}", "value", in->dflt,
					"found", 0));
	else
		no_key(r, in->d, in->key);
}

static void dict_set(struct req *r, json_t *params, void *args)
{
	struct dargs *in = args;

	if (!may_use(r, in->d) || broker_too_deep(r, "value", in->value))
		return;
	if (entry_store(r, in->d, in->key, in->value))
		req_result(r, json_object());
}

static void dict_setdefault(struct req *r, json_t *params, void *args)
{
	struct dargs *in = args;
	json_t *v = in->value != NULL ? json_incref(in->value) : json_null();
	struct dentry *e;

	if (!may_use(r, in->d) || broker_too_deep(r, "value", v))
		goto out;
	e = hmap_get(&in->d->map, in->key);
	if (e != NULL)
		req_result(r, json_pack("{s:O, s:b}", "value", e->v, "inserted",
					0));
	else if (entry_store(r, in->d, in->key, v))
		req_result(r,
			   json_pack("{s:O, s:b}", "value", v, "inserted", 1));
out:
	json_decref(v);
}

static void dict_pop(struct req *r, json_t *params, void *args)
{
	struct dargs *in = args;
	struct dentry *e;
	json_t *v;

	if (!may_use(r, in->d))
		return;
	e = hmap_get(&in->d->map, in->key);
	if (e == NULL) {
		if (in->dflt != NULL)
			req_result(r, json_pack("{s:O, s:b}", "value", in->dflt,
						"found", 0));
		else
			no_key(r, in->d, in->key);
		return;
	}
	v = e->v;
	entry_free(in->d, e, true);
	req_result(r, json_pack("{s:o, s:b}", "value", v, "found", 1));
}

static void dict_del(struct req *r, json_t *params, void *args)
{
	struct dargs *in = args;
	struct dentry *e;

	if (!may_use(r, in->d))
		return;
	e = hmap_get(&in->d->map, in->key);
	if (e == NULL) {
		no_key(r, in->d, in->key);
		return;
	}
	entry_free(in->d, e, false);
	req_result(r, json_object());
}

static void dict_len(struct req *r, json_t *params, void *args)
{
	struct dargs *in = args;

	if (may_use(r, in->d))
		req_result(r,
			   json_pack("{s:I}", "len", (json_int_t)in->d->map.n));
}

static void dict_contains(struct req *r, json_t *params, void *args)
{
	struct dargs *in = args;

	if (may_use(r, in->d))
		req_result(r,
			   json_pack("{s:b}", "found",
				     hmap_get(&in->d->map, in->key) != NULL));
}

/*
 * Set every entry of in->entries, or none: the limits are checked for all
 * of them first, and the new keys are entered before any value changes,
 * so that running out of memory on the way can be undone.
 */
static void dict_update(struct req *r, json_t *params, void *args)
{
	struct dargs *in = args;
	struct dict *d = in->d;
	struct dentry **fresh = NULL, *e;
	size_t nfresh = 0, i = 0;
	uint64_t add = 0, drop = 0;
	const char *key;
	json_t *v;

	if (!may_use(r, d))
		return;
	json_object_foreach (in->entries, key, v) {
		uint64_t size;

		if (broker_too_deep(r, "entries", v))
			return;
		size = entry_size(key, v);
		e = hmap_get(&d->map, key);
		if (e == NULL)
			nfresh++;
		if (e == NULL || size > e->bytes)
			add += size - (e != NULL ? e->bytes : 0);
		else
			drop += e->bytes - size;
	}
	if (!entries_room(r, d, nfresh) ||
	    (add > drop && !broker_room(r, 0, add - drop)))
		return;
	if (nfresh > 0 && (fresh = calloc(nfresh, sizeof(*fresh))) == NULL) {
		oom(r);
		return;
	}
	/* The new keys, holding null until every one is in. */
	json_object_foreach (in->entries, key, v) {
		if (hmap_get(&d->map, key) != NULL)
			continue;
		fresh[i] = entry_new(d, key, json_null(),
				     entry_size(key, json_null()));
		if (fresh[i] == NULL) {
			while (i > 0)
				entry_free(d, fresh[--i], false);
			free(fresh);
			oom(r);
			return;
		}
		i++;
	}
	free(fresh);
	json_object_foreach (in->entries, key, v) {
		e = hmap_get(&d->map, key);
		entry_replace(d, e, json_incref(v), entry_size(key, v));
	}
	req_result(r, json_pack("{s:I}", "len", (json_int_t)d->map.n));
}

/* Free every entry of d. Returns 0, or -1 (out of memory) with d as it
 * was. */
static int dict_empty(struct dict *d)
{
	void **all = hmap_values(&d->map);
	size_t n = d->map.n;

	if (all == NULL && n > 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct dentry *e = all[i];

		json_decref(e->v);
		free(e->key);
		free(e);
	}
	free(all);
	hmap_free(&d->map);
	dict_bytes(d, -(int64_t)d->bytes);
	return 0;
}

static void dict_clear(struct req *r, json_t *params, void *args)
{
	struct dargs *in = args;
	size_t n = in->d->map.n;

	if (!may_use(r, in->d))
		return;
	if (dict_empty(in->d) == -1) {
		oom(r);
		return;
	}
	req_result(r, json_pack("{s:I}", "removed", (json_int_t)n));
}

/*
 * dict.add: an absent entry starts at 0; integers stay int64 (an overflow
 * is refused), a real on either side makes a real (one that is not finite
 * is refused, JSON cannot carry it).
 */
static void dict_add(struct req *r, json_t *params, void *args)
{
	struct dargs *in = args;
	struct dict *d = in->d;
	json_t *delta = in->delta, *cur, *sum;
	struct dentry *e;
	int64_t isum;
	double fsum;

	if (!may_use(r, d))
		return;
	e = hmap_get(&d->map, in->key);
	cur = e != NULL ? e->v : NULL;
	if (cur != NULL && !json_is_number(cur)) {
		req_error(r, MPD_RPC_INVALID_STATE,
			  json_pack("{s:s, s:s, s:O}", "key", in->key, "reason",
				    "not_a_number", "value", cur),
			  "dict \"%s\": key \"%s\" holds %s, not a number",
			  d->name, in->key,
			  json_is_string(cur)  ? "a string" :
			  json_is_object(cur)  ? "an object" :
			  json_is_array(cur)   ? "an array" :
			  json_is_boolean(cur) ? "a boolean" :
						 "null");
		return;
	}
	if ((cur == NULL || json_is_integer(cur)) && json_is_integer(delta)) {
		if (__builtin_add_overflow(
			    cur != NULL ? json_integer_value(cur) : 0,
			    json_integer_value(delta), &isum))
			goto overflow;
		sum = json_integer(isum);
	} else {
		fsum = (cur != NULL ? json_number_value(cur) : 0) +
		       json_number_value(delta);
		if (!isfinite(fsum))
			goto overflow;
		sum = json_real(fsum);
	}
	if (sum == NULL) {
		oom(r);
		return;
	}
	if (entry_store(r, d, in->key, sum))
		req_result(r, json_pack("{s:O}", "value", sum));
	json_decref(sum);
	return;
overflow : {
	char *a = json_dumps(cur, JSON_ENCODE_ANY);
	char *b = json_dumps(delta, JSON_ENCODE_ANY);

	req_error(r, MPD_RPC_INVALID_STATE,
		  json_pack("{s:s, s:s, s:s, s:O, s:O}", "key", in->key,
			    "field", "delta", "reason", "overflow", "value",
			    cur, "delta", delta),
		  "dict \"%s\": key \"%s\": %s + %s overflows %s; unchanged",
		  d->name, in->key, a != NULL ? a : "?", b != NULL ? b : "?",
		  json_is_integer(cur) && json_is_integer(delta) ? "int64" :
								   "a double");
	free(a);
	free(b);
}
}

static int by_key(const void *a, const void *b)
{
	return strcmp((*(struct dentry *const *)a)->key,
		      (*(struct dentry *const *)b)->key);
}

/* s (a key, borrowed) as JSON text (malloc'd) of *len bytes, or NULL
 * when out of memory. */
static char *key_text(const char *s, size_t *len)
{
	json_t *k = json_string_nocheck(s);
	char *text = k != NULL ? mpd_json_encode(k, len, 0) : NULL;

	json_decref(k);
	return text;
}

/*
 * A page of d's keys (or entries, with items) in key order, after the key
 * "after": as many as "limit" allows and the connection has room for.
 * "next" is the key to pass as "after" for the next page, or null when
 * this page ends the listing.
 */
static void dict_page(struct req *r, struct dargs *in, bool items)
{
	struct dict *d = in->d;
	size_t max = in->limit != 0 ? (size_t)in->limit : SIZE_MAX;
	size_t budget = req_budget(r), n = 0, m = 0, klen, vlen = 0;
	char *ktext = NULL, *vtext = NULL, *last = NULL;
	struct evbuffer *b = NULL;
	void **all = NULL;
	size_t lastlen = 0;
	int rc;

	if (!may_use(r, d))
		return;
	if ((d->map.n > 0 && (all = hmap_values(&d->map)) == NULL) ||
	    (b = evbuffer_new()) == NULL)
		goto nomem;
	for (size_t i = 0; i < d->map.n; i++) {
		struct dentry *e = all[i];

		if (in->after == NULL || strcmp(e->key, in->after) > 0)
			all[m++] = e;
	}
	if (m > 1)
		qsort(all, m, sizeof(*all), by_key);
	if (evbuffer_add_printf(b, items ? "{\"items\":{" : "{\"keys\":[") < 0)
		goto nomem;
	for (; n < m && n < max; n++) {
		struct dentry *e = all[n];

		if ((ktext = key_text(e->key, &klen)) == NULL ||
		    (items &&
		     (vtext = mpd_json_encode(e->v, &vlen, 0)) == NULL))
			goto nomem;
		/* This row, and its key again as "next". */
		if (evbuffer_get_length(b) + 2 + klen + vlen + klen +
			    DICT_PAGE_FRAME >
		    budget) {
			if (n == 0) {
				free(ktext);
				free(vtext);
				evbuffer_free(b);
				free(all);
				req_error(r, MPD_RPC_LIMIT,
					  json_pack("{s:s, s:I}", "limit",
						    "max_output", "max",
						    (json_int_t)mpdd.opt
							    .max_output),
					  "no room for an entry of dict "
					  "\"%s\" in the unread output "
					  "(max_output)",
					  d->name);
				return;
			}
			break;
		}
		rc = (n > 0 ? evbuffer_add(b, ",", 1) : 0) ||
		     evbuffer_add(b, ktext, klen) ||
		     (items && (evbuffer_add(b, ":", 1) ||
				evbuffer_add(b, vtext, vlen)));
		free(vtext);
		vtext = NULL;
		free(last);
		last = ktext;
		lastlen = klen;
		ktext = NULL;
		if (rc != 0)
			goto nomem;
	}
	free(vtext);
	vtext = NULL;
	/* More to come: the last key sent is where the next page starts. */
	rc = evbuffer_add_printf(b, items ? "},\"next\":" : "],\"next\":") <
		     0 ||
	     (n < m ? evbuffer_add(b, last, lastlen) :
		      evbuffer_add(b, "null", 4)) ||
	     evbuffer_add(b, "}", 1);
	free(ktext);
	free(last);
	free(all);
	ktext = last = NULL;
	all = NULL;
	if (rc != 0)
		goto nomem;
	{
		size_t len = evbuffer_get_length(b);
		const char *text = (const char *)evbuffer_pullup(b, -1);

		if (text == NULL)
			goto nomem;
		req_result_text(r, text, len);
	}
	evbuffer_free(b);
	return;
nomem:
	free(ktext);
	free(vtext);
	free(last);
	free(all);
	if (b != NULL)
		evbuffer_free(b);
	oom(r);
}

static void dict_keys(struct req *r, json_t *params, void *args)
{
	dict_page(r, args, false);
}

static void dict_items(struct req *r, json_t *params, void *args)
{
	dict_page(r, args, true);
}

static void dict_info(struct req *r, json_t *params, void *args)
{
	struct dargs *in = args;
	struct dict *d = in->d;
	json_t *res;

	if (!may_use(r, d))
		return;
	res = dict_row(d);
	if (res == NULL ||
	    json_object_update_new(res, json_pack("{s:I, s:I, s:O, s:f}", "gid",
						  (json_int_t)d->gid, "bytes",
						  (json_int_t)d->bytes, "owner",
						  d->owner, "since",
						  d->created)) == -1) {
		json_decref(res);
		oom(r);
		return;
	}
	req_result(r, res);
}

/* Remove d with its entries. */
static void dict_free(struct dict *d)
{
	events_emit_chan("dict", d->name, "deleted", d->uid, d->gid, d->mode);
	hmap_del(&dicts, d->name);
	if (dict_empty(d) == -1)
		log_warnx("%s: out of memory: the entries of dict %s leak",
			  __func__, d->name);
	broker.objects--;
	broker.dicts--;
	json_decref(d->owner);
	free(d->name);
	free(d);
}

static void dict_delete(struct req *r, json_t *params, void *args)
{
	struct dargs *in = args;

	if (!req_may_access(r, in->d->uid)) {
		req_error(r, MPD_RPC_PERMISSION_DENIED, NULL,
			  "only uid %ld may delete dict \"%s\"",
			  (long)in->d->uid, in->d->name);
		return;
	}
	dict_free(in->d);
	req_result(r, json_object());
}

static void dict_list(struct req *r, json_t *params, void *args)
{
	void **all = hmap_values(&dicts);
	size_t n = 0;

	if (all == NULL && dicts.n > 0) {
		oom(r);
		return;
	}
	/* Only those the caller may use. */
	for (size_t i = 0; i < dicts.n; i++) {
		struct dict *d = all[i];

		if (chan_may(r->conn, d->uid, d->gid, d->mode))
			all[n++] = d;
	}
	broker_reply_list(r, "dicts", all, n, dict_row, dict_name);
}

/* At exit: free every dict. */
void dict_shutdown(void)
{
	void **all = hmap_values(&dicts);

	for (size_t i = 0, n = dicts.n; all != NULL && i < n; i++)
		dict_free(all[i]);
	free(all);
	hmap_free(&dicts);
}

#define ROW(M, fn, params)                                   \
	{                                                    \
		MPD_METHOD_##M, fn, params, &dict_target, 0, \
			sizeof(struct dargs)                 \
	}

const struct method dict_methods[] = {
	ROW(DICT_ADD, dict_add, add_params),
	ROW(DICT_CLEAR, dict_clear, name_params),
	ROW(DICT_CONTAINS, dict_contains, key_params),
	{ MPD_METHOD_DICT_CREATE, dict_create, create_params, NULL, 0,
	  sizeof(struct dargs) },
	ROW(DICT_DEL, dict_del, key_params),
	ROW(DICT_DELETE, dict_delete, name_params),
	ROW(DICT_GET, dict_get, get_params),
	ROW(DICT_INFO, dict_info, name_params),
	ROW(DICT_ITEMS, dict_items, page_params),
	ROW(DICT_KEYS, dict_keys, page_params),
	ROW(DICT_LEN, dict_len, name_params),
	{ MPD_METHOD_DICT_LIST, dict_list, no_params, NULL, 0, 0 },
	ROW(DICT_POP, dict_pop, get_params),
	ROW(DICT_SET, dict_set, set_params),
	ROW(DICT_SETDEFAULT, dict_setdefault, setdefault_params),
	ROW(DICT_UPDATE, dict_update, update_params),
	{ 0 },
};
