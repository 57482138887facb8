/*
 * list.c - the list.* methods: Python's Manager().list(), brokered.
 *
 * A list is a named sequence of JSON values, kept as a growable array of
 * json_t *: indexing is O(1), append and pop at the end amortized O(1)
 * (the array doubles when full and halves when a quarter used); insert
 * and pop elsewhere move the tail, as Python's list does. Indexes and
 * slices are Python's: a negative index counts from the end, slice
 * bounds are clamped, a step may be given (slice.indices() semantics).
 * The daemon is single-threaded, so every method is atomic: clients that
 * append and pop at once never lose or duplicate an item.
 *
 * Limits, as for the other broker objects: a list counts in max_objects;
 * each item its compact JSON and 16 bytes (value_size()) against
 * max_broker_bytes; a list holds at most max_queue_items items; an item
 * nests at most MPD_MAX_ITEM_DEPTH levels. A reply never passes its
 * connection's room under max_output: a get or pop whose reply would is
 * refused with `limit` and changes nothing. Every check is made before
 * anything changes, so a refused call leaves the list as it was.
 *
 * Ownership, as for listeners and shared memory: a list belongs to the
 * uid that created it; its mode (owner, group, everyone: chan_may())
 * says who else may read and change it; only its owner's uid (and root)
 * may delete it. Another uid gets permission_denied, and list.list and
 * the events show it nothing of a list it may not use.
 */
#include <stdlib.h>
#include <string.h>

#include "mpdd.h"

/* The fewest slots a list's array has once it has any. */
#define LIST_MIN_CAP 8
/* Room a reply needs besides its result: envelope, id, keys. */
#define LIST_REPLY_OVERHEAD 256

struct list {
	char *name;
	json_t **v; /* the items, owned */
	size_t len, cap;
	uint64_t bytes; /* the items', counted in the broker's */
	uid_t uid;
	gid_t gid;
	enum chan_mode mode;
	json_t *owner; /* the creating connection's credentials */
	double created;
};

static struct hmap lists;

/* The params of the list.* methods, as the dispatcher extracts them; the
 * target first. */
struct largs {
	struct list *l;
	json_t *name; /* list.create's */
	const char *mode;
	json_t *value, *items;
	json_t *index, *start, *stop, *step; /* NULL when not given */
	bool exist_ok;
};

static const struct mpd_param create_params[] = {
	ARG_NAME(struct largs, name),
	ARG("mode", MPD_PT_STRING, 0, struct largs, mode),
	ARG("items", MPD_PT_ARRAY, 0, struct largs, items),
	ARG("exist_ok", MPD_PT_BOOL, 0, struct largs, exist_ok),
	PARAMS_END,
};
static const struct mpd_param name_params[] = { PARAM_NAME, PARAMS_END };
static const struct mpd_param append_params[] = {
	PARAM_NAME,
	ARG("value", MPD_PT_ANY, MPD_PF_REQUIRED, struct largs, value),
	PARAMS_END,
};
static const struct mpd_param extend_params[] = {
	PARAM_NAME,
	ARG("items", MPD_PT_ARRAY, MPD_PF_REQUIRED, struct largs, items),
	PARAMS_END,
};
static const struct mpd_param get_params[] = {
	PARAM_NAME,
	ARG_INDEX("index", 0, struct largs, index),
	ARG_INDEX("start", 0, struct largs, start),
	ARG_INDEX("stop", 0, struct largs, stop),
	ARG_INDEX("step", 0, struct largs, step),
	PARAMS_END,
};
static const struct mpd_param set_params[] = {
	PARAM_NAME,
	ARG_INDEX("index", 0, struct largs, index),
	ARG("value", MPD_PT_ANY, 0, struct largs, value),
	ARG_INDEX("start", 0, struct largs, start),
	ARG_INDEX("stop", 0, struct largs, stop),
	ARG_INDEX("step", 0, struct largs, step),
	ARG("items", MPD_PT_ARRAY, 0, struct largs, items),
	PARAMS_END,
};
static const struct mpd_param pop_params[] = {
	PARAM_NAME,
	ARG_INDEX("index", 0, struct largs, index),
	PARAMS_END,
};
static const struct mpd_param insert_params[] = {
	PARAM_NAME,
	ARG_INDEX("index", MPD_PF_REQUIRED, struct largs, index),
	ARG("value", MPD_PT_ANY, MPD_PF_REQUIRED, struct largs, value),
	PARAMS_END,
};
static const struct mpd_param remove_params[] = {
	PARAM_NAME,
	ARG("value", MPD_PT_ANY, MPD_PF_REQUIRED, struct largs, value),
	PARAMS_END,
};

/* Found by name; who may do what is checked by each method, since it
 * depends on the list's mode. */
static const struct target_type list_target = {
	.noun = "list",
	.map = &lists,
	.bounded_name = true,
};

static void oom(struct req *r)
{
	req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
}

/* May r's client read and change l? Returns true, or false with r
 * answered (permission_denied). */
static bool may_use(struct req *r, const struct list *l)
{
	if (chan_may(r->conn, l->uid, l->gid, l->mode))
		return true;
	req_error(r, MPD_RPC_PERMISSION_DENIED, NULL,
		  "list \"%s\" belongs to uid %ld and is not shared with uid "
		  "%ld",
		  l->name, (long)l->uid, (long)r->conn->uid);
	return false;
}

/* --- the array --- */

/* Room for n more items. Returns false when out of memory. */
static bool grow(struct list *l, size_t n)
{
	size_t cap = l->cap < LIST_MIN_CAP ? LIST_MIN_CAP : l->cap;
	json_t **v;

	if (l->len + n <= l->cap)
		return true;
	while (cap < l->len + n)
		cap *= 2;
	v = realloc(l->v, cap * sizeof(*v));
	if (v == NULL)
		return false;
	l->v = v;
	l->cap = cap;
	return true;
}

/* Give back half of the array once a quarter of it is used, so that a
 * list that shrank does not keep its peak, and a push after a pop never
 * reallocates. */
static void shrink(struct list *l)
{
	json_t **v;

	if (l->len == 0) {
		free(l->v);
		l->v = NULL;
		l->cap = 0;
		return;
	}
	if (l->cap <= LIST_MIN_CAP || l->len >= l->cap / 4)
		return;
	v = realloc(l->v, l->cap / 2 * sizeof(*v));
	if (v != NULL) { /* else it keeps the larger array */
		l->v = v;
		l->cap /= 2;
	}
}

/* Account delta bytes of items (taken, or given back when negative). */
static void count_bytes(struct list *l, int64_t delta)
{
	l->bytes += (uint64_t)delta;
	broker_bytes(delta);
}

/*
 * Put n items (borrowed from src, references taken) at i, moving the
 * tail right; the room was made by grow().
 */
static void put_at(struct list *l, size_t i, json_t *const *src, size_t n)
{
	memmove(l->v + i + n, l->v + i, (l->len - i) * sizeof(*l->v));
	for (size_t k = 0; k < n; k++)
		l->v[i + k] = json_incref(src[k]);
	l->len += n;
}

/* Drop the n items from i (their references and bytes), moving the tail
 * left. */
static void drop_at(struct list *l, size_t i, size_t n)
{
	int64_t freed = 0;

	for (size_t k = i; k < i + n; k++) {
		freed += (int64_t)value_size(l->v[k]);
		json_decref(l->v[k]);
	}
	memmove(l->v + i, l->v + i + n, (l->len - i - n) * sizeof(*l->v));
	l->len -= n;
	count_bytes(l, -freed);
}

/* --- checks before a change --- */

/*
 * May list name, of len items, go to one with added items more and
 * dropped fewer, and the broker hold bytes more and freed fewer? Returns
 * true, or false with r answered (limit).
 */
static bool room_for(struct req *r, const char *name, size_t len, size_t added,
		     size_t dropped, uint64_t bytes, uint64_t freed)
{
	if (added > dropped &&
	    len - dropped + added > mpdd.opt.max_queue_items) {
		req_error(
			r, MPD_RPC_LIMIT,
			json_pack("{s:s, s:I}", "limit", "max_queue_items",
				  "max", (json_int_t)mpdd.opt.max_queue_items),
			"list \"%s\" would hold %zu items, more than "
			"max_queue_items (%zu)",
			name, len - dropped + added, mpdd.opt.max_queue_items);
		return false;
	}
	return bytes <= freed || broker_room(r, 0, bytes - freed);
}

/*
 * The items of the array param field (borrowed): none nested too deep.
 * Returns true with *bytes what they would hold, or false with r
 * answered.
 */
static bool items_ok(struct req *r, const char *field, const json_t *items,
		     uint64_t *bytes)
{
	const json_t *v;
	size_t i;

	*bytes = 0;
	json_array_foreach (items, i, v) {
		if (broker_too_deep(r, field, v))
			return false;
		*bytes += value_size(v);
	}
	return true;
}

/* A Python index into l: true with *out in [0, len), else false. */
static bool resolve(const struct list *l, json_int_t idx, size_t *out)
{
	if (idx < 0)
		idx += (json_int_t)l->len;
	if (idx < 0 || idx >= (json_int_t)l->len)
		return false;
	*out = (size_t)idx;
	return true;
}

/* Refuse index (the param field) as resolve() did: out of range. */
static void index_fail(struct req *r, const struct list *l, const char *field,
		       json_int_t index)
{
	json_t *data = json_pack("{s:s, s:s, s:I, s:I}", "field", field,
				 "reason", "out_of_range", "index", index,
				 "length", (json_int_t)l->len);

	if (l->len == 0)
		req_error(r, MPD_RPC_INVALID_PARAMS, data,
			  "\"%s\": %" JSON_INTEGER_FORMAT
			  " is out of range: list \"%s\" is empty",
			  field, index, l->name);
	else
		req_error(r, MPD_RPC_INVALID_PARAMS, data,
			  "\"%s\": %" JSON_INTEGER_FORMAT
			  " is out of range: list \"%s\" has %zu items "
			  "(indexes -%zu to %zu)",
			  field, index, l->name, l->len, l->len, l->len - 1);
}

/* A slice of l, as Python's slice.indices() makes it. */
struct slice {
	int64_t start, stop, step;
	size_t count; /* items it selects */
};

/* A slice bound b (NULL: dflt) clamped as Python clamps it. */
static int64_t clamp(const json_t *b, int64_t dflt, int64_t len, int64_t step)
{
	int64_t v;

	if (b == NULL)
		return dflt;
	v = json_integer_value(b);
	if (v < 0) {
		v += len;
		if (v < 0)
			v = step < 0 ? -1 : 0;
	} else if (v >= len) {
		v = step < 0 ? len - 1 : len;
	}
	return v;
}

/* The slice start:stop:step of in names in l. Returns true, or false
 * with r answered (a step of 0). */
static bool slice_of(struct req *r, const struct list *l,
		     const struct largs *in, struct slice *s)
{
	int64_t len = (int64_t)l->len;

	s->step = in->step != NULL ? json_integer_value(in->step) : 1;
	if (s->step == 0) {
		req_bad_param(r, "step", "\"step\": must not be 0");
		return false;
	}
	s->start = clamp(in->start, s->step < 0 ? len - 1 : 0, len, s->step);
	s->stop = clamp(in->stop, s->step < 0 ? -1 : len, len, s->step);
	if (s->step > 0)
		s->count = s->start < s->stop ?
				   (size_t)((s->stop - s->start - 1) / s->step +
					    1) :
				   0;
	else
		s->count =
			s->stop < s->start ?
				(size_t)((s->start - s->stop - 1) / -s->step +
					 1) :
				0;
	return true;
}

/* Bytes r's reply needs besides its result: envelope, id, keys. */
static size_t reply_overhead(const struct req *r)
{
	size_t id = json_is_string(r->id) ? json_string_length(r->id) : 0;

	/* A string id may grow six-fold when escaped. */
	return LIST_REPLY_OVERHEAD + 6 * id;
}

/* Refuse r: its reply, of need bytes or more, does not fit in its
 * connection's room under max_output (now, or ever). */
static void no_room(struct req *r, size_t need)
{
	req_error(r, MPD_RPC_LIMIT,
		  json_pack("{s:s, s:I, s:I}", "limit", "max_output", "max",
			    (json_int_t)mpdd.opt.max_output, "bytes",
			    (json_int_t)need),
		  need > mpdd.opt.max_output ?
			  "a reply of %zu bytes would pass max_output (%zu): "
			  "ask for a smaller slice" :
			  "no room in this connection's output for a reply of "
			  "%zu bytes (max_output %zu): read the replies first",
		  need, mpdd.opt.max_output);
}

/*
 * Encode result (stolen) for r's reply, if it fits in r's connection's
 * room under max_output. Returns the text (malloc'd, *len bytes) to
 * answer with (req_result_text()), or NULL with r answered (limit, or
 * out of memory).
 */
static char *reply_text(struct req *r, json_t *result, size_t *len)
{
	char *text = result != NULL ? mpd_json_encode(result, len, 0) : NULL;
	size_t need;

	json_decref(result);
	if (text == NULL) {
		oom(r);
		return NULL;
	}
	need = *len + reply_overhead(r);
	if (need <= req_room(r))
		return text;
	free(text);
	no_room(r, need);
	return NULL;
}

/* Answer r with result (stolen) as reply_text() allows. */
static void reply_fitting(struct req *r, json_t *result)
{
	size_t len;
	char *text = reply_text(r, result, &len);

	if (text != NULL)
		req_result_text(r, text, len);
	free(text);
}

/* --- the methods --- */

static json_t *list_row(void *o)
{
	struct list *l = o;

	return json_pack("{s:s, s:I, s:I, s:s}", "name", l->name, "length",
			 (json_int_t)l->len, "uid", (json_int_t)l->uid, "mode",
			 chan_mode_name(l->mode));
}

static const char *list_name(void *o)
{
	return ((struct list *)o)->name;
}

/* Answer r with {"length"}: what the methods that change a length say. */
static void reply_length(struct req *r, const struct list *l)
{
	req_result(r, json_pack("{s:I}", "length", (json_int_t)l->len));
}

static void list_create(struct req *r, json_t *params, void *args)
{
	struct largs *in = args;
	size_t n = json_array_size(in->items);
	bool created = false;
	enum chan_mode mode;
	const char *name;
	uint64_t bytes;
	struct list *l;
	json_t *res;

	if (!req_name_ok(r, in->name) || !chan_mode_parse(r, in->mode, &mode))
		return;
	name = json_string_value(in->name);
	if ((l = hmap_get(&lists, name)) != NULL) {
		/* Another uid learns that the name is taken, nothing more. */
		if (!in->exist_ok)
			req_error(r, MPD_RPC_EXISTS, NULL,
				  "a list named \"%s\" exists", name);
		else if (may_use(r, l))
			goto answer;
		return;
	}
	if (!items_ok(r, "items", in->items, &bytes) ||
	    !room_for(r, name, 0, n, 0, bytes, 0) || !broker_room(r, 1, 0))
		return;
	l = calloc(1, sizeof(*l));
	if (l == NULL || (l->name = strdup(name)) == NULL ||
	    (l->owner = conn_creds_json(r->conn)) == NULL || !grow(l, n) ||
	    hmap_put(&lists, l->name, l) == -1) {
		if (l != NULL) {
			json_decref(l->owner);
			free(l->v);
			free(l->name);
		}
		free(l);
		oom(r);
		return;
	}
	for (size_t i = 0; i < n; i++)
		l->v[i] = json_incref(json_array_get(in->items, i));
	l->len = n;
	count_bytes(l, (int64_t)bytes);
	l->uid = r->conn->uid;
	l->gid = r->conn->gid;
	l->mode = mode;
	l->created = now_wall();
	broker.objects++;
	broker.lists++;
	created = true;
	events_emit_chan("list", l->name, "created", l->uid, l->gid, l->mode);
answer:
	res = list_row(l);
	if (res == NULL ||
	    json_object_set_new(res, "created", json_boolean(created)) == -1) {
		json_decref(res);
		oom(r);
		return;
	}
	req_result(r, res);
}

/* Append n items (borrowed from src), holding bytes, to l for r. */
static void append(struct req *r, struct list *l, json_t *const *src, size_t n,
		   uint64_t bytes)
{
	if (!room_for(r, l->name, l->len, n, 0, bytes, 0))
		return;
	if (!grow(l, n)) {
		oom(r);
		return;
	}
	put_at(l, l->len, src, n);
	count_bytes(l, (int64_t)bytes);
	reply_length(r, l);
}

static void list_append(struct req *r, json_t *params, void *args)
{
	struct largs *in = args;

	if (!may_use(r, in->l) || broker_too_deep(r, "value", in->value))
		return;
	append(r, in->l, &in->value, 1, value_size(in->value));
}

static void list_extend(struct req *r, json_t *params, void *args)
{
	struct largs *in = args;
	size_t n = json_array_size(in->items);
	uint64_t bytes;
	json_t **src;

	if (!may_use(r, in->l) || !items_ok(r, "items", in->items, &bytes))
		return;
	if (n == 0) {
		reply_length(r, in->l);
		return;
	}
	src = malloc(n * sizeof(*src));
	if (src == NULL) {
		oom(r);
		return;
	}
	for (size_t i = 0; i < n; i++)
		src[i] = json_array_get(in->items, i);
	append(r, in->l, src, n, bytes);
	free(src);
}

static void list_get(struct req *r, json_t *params, void *args)
{
	struct largs *in = args;
	struct list *l = in->l;
	size_t i, least;
	struct slice s;
	json_t *items;

	if (!may_use(r, l))
		return;
	if (in->index != NULL) {
		if (in->start != NULL || in->stop != NULL || in->step != NULL) {
			req_bad_param(r, "index",
				      "\"index\": give an index or a slice "
				      "(start, stop, step), not both");
			return;
		}
		if (!resolve(l, json_integer_value(in->index), &i)) {
			index_fail(r, l, "index",
				   json_integer_value(in->index));
			return;
		}
		reply_fitting(r, json_pack("{s:O}", "value", l->v[i]));
		return;
	}
	if (!slice_of(r, l, in, &s))
		return;
	/* A slice far too large is refused before it is encoded: an item
	 * takes a byte at least, a string its length and quotes. */
	least = reply_overhead(r) + sizeof("{\"items\":[]}") - 1;
	for (size_t k = 0; k < s.count && least <= req_room(r); k++) {
		const json_t *v = l->v[s.start + (int64_t)k * s.step];

		least += (k > 0) +
			 (json_is_string(v) ? json_string_length(v) + 2 : 1);
	}
	if (least > req_room(r)) {
		no_room(r, least);
		return;
	}
	items = json_array();
	for (size_t k = 0; items != NULL && k < s.count; k++)
		if (json_array_append(
			    items, l->v[s.start + (int64_t)k * s.step]) == -1) {
			json_decref(items);
			items = NULL;
		}
	if (items == NULL) {
		oom(r);
		return;
	}
	reply_fitting(r, json_pack("{s:o}", "items", items));
}

/* list.set of one index: {index, value}. */
static void set_index(struct req *r, struct list *l, const struct largs *in)
{
	uint64_t bytes, freed;
	size_t i;

	if (in->value == NULL) {
		req_bad_param(r, "value",
			      "\"value\": missing: an index is set to a value");
		return;
	}
	if (!resolve(l, json_integer_value(in->index), &i)) {
		index_fail(r, l, "index", json_integer_value(in->index));
		return;
	}
	if (broker_too_deep(r, "value", in->value))
		return;
	bytes = value_size(in->value);
	freed = value_size(l->v[i]);
	if (!room_for(r, l->name, l->len, 0, 0, bytes, freed))
		return;
	json_decref(l->v[i]);
	l->v[i] = json_incref(in->value);
	count_bytes(l, (int64_t)bytes - (int64_t)freed);
	reply_length(r, l);
}

/*
 * list.set of a slice: {start?, stop?, step?, items}, as Python's
 * a[start:stop:step] = items. With step 1 the slice is replaced by the
 * items, whatever their number (an empty slice is an insertion at
 * start); an extended slice takes exactly as many items as it selects.
 */
static void set_slice(struct req *r, struct list *l, const struct largs *in)
{
	size_t n = json_array_size(in->items), at;
	uint64_t bytes, freed = 0;
	struct slice s;
	json_t **src;

	if (!slice_of(r, l, in, &s))
		return;
	if (s.step != 1 && n != s.count) {
		req_error(r, MPD_RPC_INVALID_PARAMS,
			  json_pack("{s:s, s:I, s:I}", "field", "items",
				    "items", (json_int_t)n, "slice",
				    (json_int_t)s.count),
			  "\"items\": %zu items for an extended slice (step "
			  "%lld) of %zu: they must be as many",
			  n, (long long)s.step, s.count);
		return;
	}
	if (!items_ok(r, "items", in->items, &bytes))
		return;
	for (size_t k = 0; k < s.count; k++)
		freed += value_size(l->v[s.start + (int64_t)k * s.step]);
	if (!room_for(r, l->name, l->len, n, s.count, bytes, freed))
		return;
	if (s.step != 1) {
		for (size_t k = 0; k < n; k++) {
			json_t **slot = &l->v[s.start + (int64_t)k * s.step];

			json_decref(*slot);
			*slot = json_incref(json_array_get(in->items, k));
		}
		count_bytes(l, (int64_t)bytes - (int64_t)freed);
		reply_length(r, l);
		return;
	}
	src = malloc((n > 0 ? n : 1) * sizeof(*src));
	if (src == NULL || (n > s.count && !grow(l, n - s.count))) {
		free(src);
		oom(r);
		return;
	}
	for (size_t k = 0; k < n; k++)
		src[k] = json_array_get(in->items, k);
	at = (size_t)s.start;
	drop_at(l, at, s.count);
	put_at(l, at, src, n);
	free(src);
	count_bytes(l, (int64_t)bytes);
	shrink(l);
	reply_length(r, l);
}

static void list_set(struct req *r, json_t *params, void *args)
{
	struct largs *in = args;
	bool slice = in->start != NULL || in->stop != NULL || in->step != NULL;

	if (!may_use(r, in->l))
		return;
	if (in->index != NULL && !slice && in->items == NULL) {
		set_index(r, in->l, in);
		return;
	}
	if (in->items != NULL && in->index == NULL && in->value == NULL) {
		set_slice(r, in->l, in);
		return;
	}
	req_bad_param(r, in->index != NULL ? "index" : "items",
		      "\"%s\": give index and value, or a slice (start, stop, "
		      "step) and items",
		      in->index != NULL ? "index" : "items");
}

static void list_pop(struct req *r, json_t *params, void *args)
{
	struct largs *in = args;
	json_int_t index = in->index != NULL ? json_integer_value(in->index) :
					       -1;
	struct list *l = in->l;
	size_t i, len;
	char *text;

	if (!may_use(r, l))
		return;
	if (l->len == 0) {
		req_error(r, MPD_RPC_EMPTY, json_pack("{s:i}", "length", 0),
			  "pop from list \"%s\", which is empty", l->name);
		return;
	}
	if (!resolve(l, index, &i)) {
		index_fail(r, l, "index", index);
		return;
	}
	/* The reply first: an item that cannot be handed out stays. */
	text = reply_text(r, json_pack("{s:O}", "value", l->v[i]), &len);
	if (text == NULL)
		return;
	drop_at(l, i, 1);
	shrink(l);
	req_result_text(r, text, len);
	free(text);
}

static void list_len(struct req *r, json_t *params, void *args)
{
	struct largs *in = args;

	if (may_use(r, in->l))
		reply_length(r, in->l);
}

static void list_insert(struct req *r, json_t *params, void *args)
{
	struct largs *in = args;
	json_int_t index = json_integer_value(in->index);
	struct list *l = in->l;
	uint64_t bytes;

	if (!may_use(r, l) || broker_too_deep(r, "value", in->value))
		return;
	/* Python's clamping: before the first, or after the last. */
	if (index < 0)
		index += (json_int_t)l->len;
	if (index < 0)
		index = 0;
	if (index > (json_int_t)l->len)
		index = (json_int_t)l->len;
	bytes = value_size(in->value);
	if (!room_for(r, l->name, l->len, 1, 0, bytes, 0))
		return;
	if (!grow(l, 1)) {
		oom(r);
		return;
	}
	put_at(l, (size_t)index, &in->value, 1);
	count_bytes(l, (int64_t)bytes);
	reply_length(r, l);
}

static void list_remove(struct req *r, json_t *params, void *args)
{
	struct largs *in = args;
	struct list *l = in->l;

	if (!may_use(r, l))
		return;
	for (size_t i = 0; i < l->len; i++) {
		if (json_equal(l->v[i], in->value)) {
			drop_at(l, i, 1);
			shrink(l);
			reply_length(r, l);
			return;
		}
	}
	req_error(r, MPD_RPC_INVALID_PARAMS,
		  json_pack("{s:s, s:s}", "field", "value", "reason",
			    "not_in_list"),
		  "\"value\": not in list \"%s\"", l->name);
}

/* Drop every item of l. */
static void clear(struct list *l)
{
	for (size_t i = 0; i < l->len; i++)
		json_decref(l->v[i]);
	l->len = 0;
	count_bytes(l, -(int64_t)l->bytes);
	shrink(l);
}

static void list_clear(struct req *r, json_t *params, void *args)
{
	struct largs *in = args;

	if (!may_use(r, in->l))
		return;
	clear(in->l);
	req_result(r, json_object());
}

static void list_info(struct req *r, json_t *params, void *args)
{
	struct largs *in = args;
	struct list *l = in->l;
	json_t *res;

	if (!may_use(r, l))
		return;
	res = list_row(l);
	if (res == NULL ||
	    json_object_update_new(res, json_pack("{s:I, s:I, s:O, s:f}",
						  "bytes", (json_int_t)l->bytes,
						  "gid", (json_int_t)l->gid,
						  "owner", l->owner, "since",
						  l->created)) == -1) {
		json_decref(res);
		oom(r);
		return;
	}
	req_result(r, res);
}

static void list_free(struct list *l)
{
	events_emit_chan("list", l->name, "deleted", l->uid, l->gid, l->mode);
	clear(l);
	hmap_del(&lists, l->name);
	broker.objects--;
	broker.lists--;
	json_decref(l->owner);
	free(l->name);
	free(l);
}

static void list_delete(struct req *r, json_t *params, void *args)
{
	struct largs *in = args;

	if (!req_may_access(r, in->l->uid)) {
		req_error(r, MPD_RPC_PERMISSION_DENIED, NULL,
			  "only uid %ld may delete list \"%s\"",
			  (long)in->l->uid, in->l->name);
		return;
	}
	list_free(in->l);
	req_result(r, json_object());
}

static void list_list(struct req *r, json_t *params, void *args)
{
	void **all = hmap_values(&lists);
	size_t n = 0;

	if (all == NULL && lists.n > 0) {
		oom(r);
		return;
	}
	/* Only those the caller may use. */
	for (size_t i = 0; i < lists.n; i++) {
		struct list *l = all[i];

		if (chan_may(r->conn, l->uid, l->gid, l->mode))
			all[n++] = l;
	}
	broker_reply_list(r, "lists", all, n, list_row, list_name);
}

/* At exit: every list goes. */
void list_shutdown(void)
{
	void **all = hmap_values(&lists);

	for (size_t i = 0, n = lists.n; all != NULL && i < n; i++)
		list_free(all[i]);
	free(all);
	hmap_free(&lists);
}

#define ROW(M, fn, params, flags)                                \
	{                                                        \
		MPD_METHOD_##M, fn, params, &list_target, flags, \
			sizeof(struct largs)                     \
	}

const struct method list_methods[] = {
	ROW(LIST_APPEND, list_append, append_params, 0),
	ROW(LIST_CLEAR, list_clear, name_params, 0),
	{ MPD_METHOD_LIST_CREATE, list_create, create_params, NULL, 0,
	  sizeof(struct largs) },
	ROW(LIST_DELETE, list_delete, name_params, 0),
	ROW(LIST_EXTEND, list_extend, extend_params, 0),
	ROW(LIST_GET, list_get, get_params, 0),
	ROW(LIST_INFO, list_info, name_params, 0),
	ROW(LIST_INSERT, list_insert, insert_params, 0),
	ROW(LIST_LEN, list_len, name_params, 0),
	{ MPD_METHOD_LIST_LIST, list_list, no_params, NULL, 0, 0 },
	/* A popped item is handed out in its reply: never to nobody. */
	ROW(LIST_POP, list_pop, pop_params, METHOD_TAKES),
	ROW(LIST_REMOVE, list_remove, remove_params, 0),
	ROW(LIST_SET, list_set, set_params, 0),
	{ 0 },
};
