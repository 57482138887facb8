/*
 * broker.c - what queues, values and arrays share: names, limits, the
 * byte count, timeouts and listings.
 *
 * Every broker object counts against --max-objects, and every byte it
 * holds (queue items, strings and JSON values, array elements) against
 * --max-broker-bytes, so no client can make the daemon grow without end.
 * A call that would pass a limit gets `limit` and changes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "mpdd.h"

struct broker_stats broker;

/*
 * Is there room for objects more objects and bytes more bytes? Returns
 * true, or false with r answered (limit).
 */
bool broker_room(struct req *r, size_t objects, uint64_t bytes)
{
	if (objects > 0 && broker.objects + objects > mpdd.opt.max_objects) {
		req_error(r, MPD_RPC_LIMIT,
			  json_pack("{s:s, s:I}", "limit", "max_objects", "max",
				    (json_int_t)mpdd.opt.max_objects),
			  "the broker holds %zu objects (max_objects)",
			  broker.objects);
		return false;
	}
	if (bytes > 0 && broker.bytes + bytes > mpdd.opt.max_broker_bytes) {
		req_error(r, MPD_RPC_LIMIT,
			  json_pack("{s:s, s:I}", "limit", "max_broker_bytes",
				    "max",
				    (json_int_t)mpdd.opt.max_broker_bytes),
			  "the broker would hold more than %llu bytes "
			  "(max_broker_bytes)",
			  (unsigned long long)mpdd.opt.max_broker_bytes);
		return false;
	}
	return true;
}

/*
 * Is v (a param given as field) nested too deep for the broker to keep
 * (MPD_MAX_ITEM_DEPTH: every reply that hands it out must be readable)?
 * Returns false, or true with r answered (invalid_params).
 */
bool broker_too_deep(struct req *r, const char *field, const json_t *v)
{
	if (mpd_json_depth(v, MPD_MAX_ITEM_DEPTH) <= MPD_MAX_ITEM_DEPTH)
		return false;
	req_error(r, MPD_RPC_INVALID_PARAMS,
		  json_pack("{s:s, s:i}", "field", field, "max_depth",
			    MPD_MAX_ITEM_DEPTH),
		  "\"%s\": a value may nest at most %d levels (every reader "
		  "must be able to read it)",
		  field, MPD_MAX_ITEM_DEPTH);
	return true;
}

/*
 * Parse a "mode" param (NULL: absent, the owner only). Returns true, or
 * false with r answered (invalid_params).
 */
bool chan_mode_parse(struct req *r, const char *text, enum chan_mode *mode)
{
	if (text == NULL || strcmp(text, "owner") == 0)
		*mode = CHAN_OWNER;
	else if (strcmp(text, "group") == 0)
		*mode = CHAN_GROUP;
	else if (strcmp(text, "everyone") == 0)
		*mode = CHAN_EVERYONE;
	else {
		req_bad_param(r, "mode",
			      "must be \"owner\", \"group\" or "
			      "\"everyone\"");
		return false;
	}
	return true;
}

const char *chan_mode_name(enum chan_mode mode)
{
	return mode == CHAN_EVERYONE ? "everyone" :
	       mode == CHAN_GROUP    ? "group" :
				       "owner";
}

/* May the peer of c use an object of uid and gid shared as mode? */
bool chan_may(const struct conn *c, uid_t uid, gid_t gid, enum chan_mode mode)
{
	if (c->uid == 0 || c->uid == uid || mode == CHAN_EVERYONE)
		return true;
	if (mode != CHAN_GROUP)
		return false;
	if (c->gid == gid)
		return true;
	for (int i = 0; i < c->ngroups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

/* The descriptors held for each uid's listeners and segments. */
static struct chan_use {
	uid_t uid;
	size_t fds;
} * chan_uses;
static size_t nchan_uses;

static struct chan_use *chan_use_of(uid_t uid, bool add)
{
	struct chan_use *n;

	for (size_t i = 0; i < nchan_uses; i++)
		if (chan_uses[i].uid == uid)
			return &chan_uses[i];
	if (!add)
		return NULL;
	n = realloc(chan_uses, (nchan_uses + 1) * sizeof(*n));
	if (n == NULL)
		return NULL;
	chan_uses = n;
	chan_uses[nchan_uses] = (struct chan_use){ .uid = uid };
	return &chan_uses[nchan_uses++];
}

/*
 * Count delta descriptors held for uid's listeners and segments (pending
 * ends, segments, ends in replies not yet written), in all and for uid.
 */
void chan_fds_add(uid_t uid, long delta)
{
	struct chan_use *u = chan_use_of(uid, delta > 0);

	mpdd.fd_chan += (size_t)delta;
	if (u == NULL)
		return; /* out of memory: counted in all only */
	u->fds += (size_t)delta;
	if (u->fds == 0) {
		/* Forget it: the table holds the uids that hold some. */
		*u = chan_uses[--nchan_uses];
		if (nchan_uses == 0) {
			free(chan_uses);
			chan_uses = NULL;
		}
	}
}

/*
 * May the daemon hold n more descriptors for listeners and shared memory,
 * on behalf of r's uid? They may take a quarter of its descriptors at
 * most, so that process starts and connections keep theirs, and one uid
 * other than root half of that, so that one user cannot take them all
 * from the others. Returns true, or false with r answered (limit).
 */
bool chan_fd_room(struct req *r, size_t n)
{
	size_t all = mpdd.fd_limit / 4, share = all / 2;
	const struct chan_use *u = chan_use_of(r->conn->uid, false);
	size_t mine = u != NULL ? u->fds : 0;

	if (mpdd.fd_chan + n > all || !spawner_fd_room()) {
		req_error(r, MPD_RPC_LIMIT,
			  json_pack("{s:s, s:I}", "limit", "open_files", "max",
				    (json_int_t)mpdd.fd_limit),
			  "too few file descriptors left (limit %zu, %zu held "
			  "by listeners and shared memory)",
			  mpdd.fd_limit, mpdd.fd_chan);
		return false;
	}
	if (r->conn->uid != 0 && mine + n > share) {
		req_error(r, MPD_RPC_LIMIT,
			  json_pack("{s:s, s:I}", "limit", "open_files_per_uid",
				    "max", (json_int_t)share),
			  "uid %ld holds %zu descriptors of listeners and "
			  "shared memory, its share of %zu",
			  (long)r->conn->uid, mine, share);
		return false;
	}
	return true;
}

/* Who a connection's peer is, as the daemon read it at accept. */
json_t *conn_creds_json(const struct conn *c)
{
	return json_pack(
		"{s:I, s:I, s:I, s:I, s:o}", "connection", (json_int_t)c->id,
		"pid", (json_int_t)c->pid, "uid", (json_int_t)c->uid, "gid",
		(json_int_t)c->gid, "process",
		c->proc_id != 0 ? json_integer(c->proc_id) : json_null());
}

/* Account for bytes taken (delta > 0) or given back. */
void broker_bytes(int64_t delta)
{
	broker.bytes += (uint64_t)delta;
}

/* The broker part of daemon.info (a new reference). */
json_t *broker_info(void)
{
	return json_pack(
		"{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
		"s:I, s:I, s:I, s:I}",
		"queues", (json_int_t)broker.queues, "values",
		(json_int_t)broker.values, "arrays", (json_int_t)broker.arrays,
		"dicts", (json_int_t)broker.dicts, "lists",
		(json_int_t)broker.lists, "locks", (json_int_t)broker.locks,
		"semaphores", (json_int_t)broker.semaphores, "events",
		(json_int_t)broker.events, "conditions",
		(json_int_t)broker.conditions, "barriers",
		(json_int_t)broker.barriers, "listeners",
		(json_int_t)broker.listeners, "shms", (json_int_t)broker.shms,
		"shm_bytes", (json_int_t)broker.shm_bytes, "bytes",
		(json_int_t)broker.bytes);
}

static const char *(*sort_name)(void *);

static int by_name(const void *a, const void *b)
{
	return strcmp(sort_name(*(void *const *)a),
		      sort_name(*(void *const *)b));
}

/*
 * Answer r with {key: [row(obj), ...]} in name order. objs (n of them,
 * from hmap_values(); freed here) may be NULL when n is 0.
 */
void broker_reply_list(struct req *r, const char *key, void **objs, size_t n,
		       json_t *(*row)(void *), const char *(*name)(void *))
{
	json_t *list = json_array();

	if (n > 0 && objs == NULL) {
		json_decref(list);
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return;
	}
	sort_name = name;
	if (n > 1)
		qsort(objs, n, sizeof(*objs), by_name);
	for (size_t i = 0; list != NULL && i < n; i++)
		if (json_array_append_new(list, row(objs[i])) == -1) {
			json_decref(list);
			list = NULL;
		}
	free(objs);
	if (list == NULL) {
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return;
	}
	req_result(r, json_pack("{s:o}", key, list));
}
