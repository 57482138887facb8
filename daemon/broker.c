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

/* Account for bytes taken (delta > 0) or given back. */
void broker_bytes(int64_t delta)
{
	broker.bytes += (uint64_t)delta;
}

/* The broker part of daemon.info (a new reference). */
json_t *broker_info(void)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "queues", (json_int_t)broker.queues, "values",
			 (json_int_t)broker.values, "arrays",
			 (json_int_t)broker.arrays, "locks",
			 (json_int_t)broker.locks, "semaphores",
			 (json_int_t)broker.semaphores, "events",
			 (json_int_t)broker.events, "conditions",
			 (json_int_t)broker.conditions, "barriers",
			 (json_int_t)broker.barriers, "bytes",
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
