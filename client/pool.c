/*
 * pool.c - libmpd's pools: the pool.* methods of mpdd, and Python's
 * Pool.map(), imap() and imap_unordered() on top of them.
 *
 * The typed calls build the params docs/protocol.md ("Pools") describes,
 * sending optional ones only when they differ from the default, with the
 * builders broker.c and process.c share (client.h). Task outcomes come
 * back as struct mpd_task_result: a failed task is not a failed call, so
 * its error is filled the way a daemon error is (client_error_fill()),
 * and owned by the outcome.
 *
 * mpd_pool_map() and the iterators fetch outcomes in batches: as many as
 * fit half of the daemon's max_output (the room the daemon itself sizes
 * replies to), estimated from the size of the answers so far. A batch the
 * daemon refuses as too large (limit) is asked again at half the size, so
 * a wrong estimate costs a round trip, never a failure, unless a single
 * outcome does not fit.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "mpd.h"
#include "proto.h"

/* Outcomes asked for in the first batch, before any size is known. */
#define POOL_FIRST_BATCH 64
/* The most reply bytes a batch aims at: the client's own limit on a
 * response is 64 MiB, and no daemon's max_output needs more. */
#define POOL_MAX_BUDGET (32 * 1024 * 1024)
/* Room for the envelope and the "remaining" member of a batch's reply. */
#define POOL_REPLY_SLACK 256

static const char *const pool_orders[] = {
	[MPD_POOL_ORDER_ALL] = "all",
	[MPD_POOL_ORDER_SUBMISSION] = "submission",
	[MPD_POOL_ORDER_COMPLETION] = "completion",
};

/* Set key to the string s in obj. Returns 0, MPD_E_INVAL (s not UTF-8,
 * named with fn and key) or MPD_E_NOMEM. */
static int add_string(const char *fn, json_t *obj, const char *key,
		      const char *s, struct mpd_error *err)
{
	json_t *v = NULL;
	int r = broker_new_string(fn, key, s, &v, err);

	if (r < 0)
		return r;
	return broker_add_new(obj, key, v, err);
}

/* Add the seconds of a task's or pool's run limit: > 0 and finite, or 0
 * for none (nothing sent). Returns 0 or a negative code. */
static int add_limit(const char *fn, json_t *obj, double timeout,
		     struct mpd_error *err)
{
	if (timeout == 0)
		return 0;
	if (!(timeout > 0) || isinf(timeout))
		return client_fail(err, MPD_E_INVAL, 0,
				   "%s: timeout %g is not > 0 and finite (0: "
				   "none)",
				   fn, timeout);
	return broker_add_new(obj, "timeout", json_real(timeout), err);
}

/* Stdio of a pool or a task: no capture (the daemon keeps no output for
 * them), and for a pool no stdin. */
static int check_stdio(const char *fn, const struct mpd_stdio *stdio, bool pool,
		       struct mpd_error *err)
{
	if (pool && stdio[0].mode != MPD_STDIO_DEFAULT)
		return client_fail(err, MPD_E_INVAL, 0,
				   "%s: a pool takes no stdin", fn);
	for (int i = 0; i < 3; i++)
		if (stdio[i].mode == MPD_STDIO_CAPTURE)
			return client_fail(err, MPD_E_INVAL, 0,
					   "%s: %s cannot be captured", fn,
					   i == 0 ? "stdin" :
					   i == 1 ? "stdout" :
						    "stderr");
	return 0;
}

/* The params of pool.create from opts (NULL: the defaults); the "pass"
 * descriptors to fds (*nfds of them). */
static int create_params(const char *name, const struct mpd_pool_options *opts,
			 json_t *p, int *fds, size_t *nfds,
			 struct mpd_error *err)
{
	static const char fn[] = "mpd_pool_create";
	const struct mpd_pool_options none = { 0 };
	int r = 0;

	(void)name;
	if (opts == NULL)
		opts = &none;
	if (opts->processes < 0 || opts->processes > MPD_POOL_MAX_PROCESSES)
		return client_fail(err, MPD_E_INVAL, 0,
				   "%s: processes %d is not 1 to %d (0: the "
				   "daemon's cpus)",
				   fn, opts->processes, MPD_POOL_MAX_PROCESSES);
	if (opts->retries < 0 || opts->retries > 100)
		return client_fail(err, MPD_E_INVAL, 0,
				   "%s: retries %d is not 0 to 100", fn,
				   opts->retries);
	if (opts->maxtasksperchild < 0)
		return client_fail(err, MPD_E_INVAL, 0,
				   "%s: maxtasksperchild %d is negative", fn,
				   opts->maxtasksperchild);
	if (opts->module == NULL &&
	    (opts->function != NULL || opts->initializer != NULL ||
	     opts->initargs != NULL || opts->maxtasksperchild != 0))
		return client_fail(err, MPD_E_INVAL, 0,
				   "%s: function, initializer, initargs and "
				   "maxtasksperchild need a module",
				   fn);
	r = check_stdio(fn, opts->stdio, true, err);
	if (r == 0 && opts->processes > 0)
		r = broker_add_new(p, "processes",
				   json_integer(opts->processes), err);
	if (r == 0 && opts->module != NULL)
		r = add_string(fn, p, "module", opts->module, err);
	if (r == 0 && opts->function != NULL)
		r = add_string(fn, p, "function", opts->function, err);
	if (r == 0 && opts->initializer != NULL)
		r = add_string(fn, p, "initializer", opts->initializer, err);
	if (r == 0 && opts->initargs != NULL)
		r = broker_add_new(p, "initargs", json_incref(opts->initargs),
				   err);
	if (r == 0 && opts->maxtasksperchild > 0)
		r = broker_add_new(p, "maxtasksperchild",
				   json_integer(opts->maxtasksperchild), err);
	if (r == 0 && opts->retries > 0)
		r = broker_add_new(p, "retries", json_integer(opts->retries),
				   err);
	if (r == 0)
		r = add_limit(fn, p, opts->timeout, err);
	if (r == 0 && opts->env != NULL)
		r = process_add_env(p, opts->env, err);
	if (r == 0 && opts->env_clear)
		r = broker_add_new(p, "env_clear", json_true(), err);
	if (r == 0 && opts->cwd != NULL)
		r = add_string(fn, p, "cwd", opts->cwd, err);
	if (r == 0 && opts->start_method != NULL)
		r = add_string(fn, p, "start_method", opts->start_method, err);
	if (r == 0)
		r = process_add_stdio(p, opts->stdio, fds, nfds, err);
	if (r == 0 && opts->daemon)
		r = broker_add_new(p, "daemon", json_true(), err);
	if (r == 0 && opts->exist_ok)
		r = broker_add_new(p, "exist_ok", json_true(), err);
	return r;
}

/* Returns 0 with *info, or a negative code; see mpd.h. */
int mpd_pool_create(struct mpd_client *c, const char *name,
		    const struct mpd_pool_options *opts, json_t **info,
		    struct mpd_error *err)
{
	int fds[MPD_MAX_FDS_PER_MESSAGE];
	json_t *p = NULL, *res = NULL;
	size_t nfds = 0;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = create_params(name, opts, p, fds, &nfds, err);
	if (r < 0) {
		json_decref(p);
		return r;
	}
	r = mpd_call_fds(c, MPD_M_POOL_CREATE, p, fds, nfds, &res, err);
	json_decref(p);
	if (r < 0)
		return r;
	if (!json_is_object(res)) {
		r = client_fail(err, MPD_E_PROTO, 0,
				"pool.create returned %s, not an object",
				broker_json_kind(res));
		json_decref(res);
		return r;
	}
	if (info != NULL)
		*info = res;
	else
		json_decref(res);
	return 0;
}

/* One task's params into *out; its "pass" descriptors appended to fds
 * (*nfds counts them, at most MPD_MAX_FDS_PER_MESSAGE). */
static int task_params(const char *fn, size_t i, const struct mpd_task *t,
		       json_t **out, int *fds, size_t *nfds,
		       struct mpd_error *err)
{
	int tfds[3];
	size_t tn = 0;
	json_t *o, *argv = NULL;
	int r = 0;

	if (t->argv != NULL && (t->function != NULL || t->args != NULL))
		return client_fail(err, MPD_E_INVAL, 0,
				   "%s: task %zu has argv and function or "
				   "args",
				   fn, i);
	if (t->argv != NULL && t->argv[0] == NULL)
		return client_fail(err, MPD_E_INVAL, 0,
				   "%s: task %zu has an empty argv", fn, i);
	if (t->argv == NULL && (t->stdio[0].mode != MPD_STDIO_DEFAULT ||
				t->stdio[1].mode != MPD_STDIO_DEFAULT ||
				t->stdio[2].mode != MPD_STDIO_DEFAULT))
		return client_fail(err, MPD_E_INVAL, 0,
				   "%s: task %zu has stdio but no argv (a "
				   "function task's stdio is its pool's)",
				   fn, i);
	r = check_stdio(fn, t->stdio, false, err);
	if (r < 0)
		return r;
	o = json_object();
	if (o == NULL)
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	if (t->function != NULL)
		r = add_string(fn, o, "function", t->function, err);
	if (r == 0 && t->args != NULL)
		r = broker_add_new(o, "args", json_incref(t->args), err);
	if (r == 0 && t->argv != NULL) {
		r = process_string_array(t->argv, "argv", &argv, err);
		if (r == 0)
			r = broker_add_new(o, "argv", argv, err);
	}
	if (r == 0)
		r = process_add_stdio(o, t->stdio, tfds, &tn, err);
	if (r == 0 && *nfds + tn > MPD_MAX_FDS_PER_MESSAGE)
		r = client_fail(err, MPD_E_INVAL, 0,
				"%s: task %zu passes descriptors past the %d "
				"that travel with one request",
				fn, i, MPD_MAX_FDS_PER_MESSAGE);
	if (r == 0)
		r = add_limit(fn, o, t->timeout, err);
	if (r < 0) {
		json_decref(o);
		return r;
	}
	memcpy(fds + *nfds, tfds, tn * sizeof(int));
	*nfds += tn;
	*out = o;
	return 0;
}

/* The params of pool.submit of tasks; the descriptors to fds. */
static int submit_params(const char *fn, const char *name,
			 const struct mpd_task *tasks, size_t n, json_t **out,
			 int *fds, size_t *nfds, struct mpd_error *err)
{
	json_t *p = NULL, *arr, *t = NULL;
	int r = broker_name_params(fn, name, &p, err);

	*nfds = 0;
	if (r == 0)
		r = broker_check_given(fn, "tasks", tasks, err);
	if (r == 0 && (n < 1 || n > MPD_POOL_SUBMIT_MAX))
		r = client_fail(err, MPD_E_INVAL, 0,
				"%s: %zu tasks, not 1 to %d", fn, n,
				MPD_POOL_SUBMIT_MAX);
	if (r < 0) {
		json_decref(p);
		return r;
	}
	arr = json_array();
	r = broker_add_new(p, "tasks", arr, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = task_params(fn, i, &tasks[i], &t, fds, nfds, err);
		if (r == 0 && json_array_append_new(arr, t) < 0)
			r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	}
	if (r < 0) {
		json_decref(p);
		return r;
	}
	*out = p;
	return 0;
}

/* The id of the first task in a pool.submit or pool.map result, into
 * *first. Returns 0 or MPD_E_PROTO. */
static int result_first(const char *method, const json_t *res, int64_t *first,
			struct mpd_error *err)
{
	const json_t *v = json_object_get(res, "first");

	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return client_fail(err, MPD_E_PROTO, 0,
				   "%s returned no \"first\" task id", method);
	*first = json_integer_value(v);
	return 0;
}

/* Returns 0 with *first, or a negative code; see mpd.h. */
int mpd_pool_submit(struct mpd_client *c, const char *name,
		    const struct mpd_task *tasks, size_t n, int64_t *first,
		    struct mpd_error *err)
{
	int fds[MPD_MAX_FDS_PER_MESSAGE];
	json_t *p = NULL, *res = NULL;
	int64_t f = 0;
	size_t nfds;
	int r = submit_params(__func__, name, tasks, n, &p, fds, &nfds, err);

	if (r < 0)
		return r;
	r = mpd_call_fds(c, MPD_M_POOL_SUBMIT, p, fds, nfds, &res, err);
	json_decref(p);
	if (r == 0)
		r = result_first(MPD_M_POOL_SUBMIT, res, &f, err);
	json_decref(res);
	if (r == 0 && first != NULL)
		*first = f;
	return r;
}

/* Release what r holds; see mpd.h. */
void mpd_task_result_clear(struct mpd_task_result *r)
{
	if (r == NULL)
		return;
	json_decref(r->result);
	json_decref((json_t *)r->error.data);
	memset(r, 0, sizeof(*r));
}

/* Clear each outcome and free the array; see mpd.h. */
void mpd_task_results_free(struct mpd_task_result *results, size_t n)
{
	if (results == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		mpd_task_result_clear(&results[i]);
	free(results);
}

/*
 * One outcome of pool.result's "results" into *out (zeroed first; index
 * id - first). Returns 0, or MPD_E_PROTO naming what is wrong.
 */
static int parse_outcome(const json_t *o, int64_t first,
			 struct mpd_task_result *out, struct mpd_error *err)
{
	const json_t *id = json_object_get(o, "id");
	const char *state = json_string_value(json_object_get(o, "state"));
	const json_t *e, *code, *msg, *data;

	memset(out, 0, sizeof(*out));
	if (!json_is_integer(id) || state == NULL)
		return client_fail(err, MPD_E_PROTO, 0,
				   "pool.result returned an outcome without "
				   "\"id\" and \"state\"");
	out->id = json_integer_value(id);
	out->index = out->id - first;
	if (strcmp(state, "done") == 0) {
		out->done = 1;
		out->result = json_incref(json_object_get(o, "result"));
		if (out->result == NULL)
			out->result = json_null();
		return 0;
	}
	e = json_object_get(o, "error");
	code = json_object_get(e, "code");
	msg = json_object_get(e, "message");
	data = json_object_get(e, "data");
	if (strcmp(state, "failed") != 0 || !json_is_integer(code))
		return client_fail(err, MPD_E_PROTO, 0,
				   "pool.result returned task %" PRId64
				   " %s without an error",
				   out->id, state);
	json_incref((json_t *)data);
	client_error_fill(&out->error, (int)json_integer_value(code),
			  json_string_value(msg), data);
	return 0;
}

/*
 * The outcomes of a pool.result answer res (borrowed) into *results (a
 * malloc'd array, NULL when empty) and *n, and "remaining" into
 * *remaining. Returns 0, or MPD_E_PROTO / MPD_E_NOMEM.
 */
static int parse_results(const json_t *res, int64_t first,
			 struct mpd_task_result **results, size_t *n,
			 size_t *remaining, struct mpd_error *err)
{
	const json_t *arr = json_object_get(res, "results");
	const json_t *rem = json_object_get(res, "remaining");
	struct mpd_task_result *out = NULL;
	size_t k = json_array_size(arr);
	int r = 0;

	if (!json_is_array(arr) || !json_is_integer(rem) ||
	    json_integer_value(rem) < 0)
		return client_fail(err, MPD_E_PROTO, 0,
				   "pool.result returned no \"results\" and "
				   "\"remaining\"");
	if (k > 0 && (out = calloc(k, sizeof(*out))) == NULL)
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	for (size_t i = 0; i < k && r == 0; i++)
		r = parse_outcome(json_array_get(arr, i), first, &out[i], err);
	if (r < 0) {
		mpd_task_results_free(out, k);
		return r;
	}
	*results = out;
	*n = k;
	*remaining = (size_t)json_integer_value(rem);
	return 0;
}

/* The params of pool.result for q, and the first id of its range (for
 * the outcomes' index). */
static int result_params(const char *fn, const char *name,
			 const struct mpd_pool_query *q, double timeout,
			 json_t **out, int64_t *first, struct mpd_error *err)
{
	json_t *p = NULL, *ids;
	int r = broker_name_params(fn, name, &p, err);

	if (r == 0)
		r = broker_check_given(fn, "q", q, err);
	if (r == 0)
		r = broker_check_timeout(fn, timeout, err);
	if (r == 0 && (unsigned)q->order > MPD_POOL_ORDER_COMPLETION)
		r = client_fail(err, MPD_E_INVAL, 0, "%s: order %d is unknown",
				fn, (int)q->order);
	if (r == 0 && q->ids != NULL &&
	    (q->nids < 1 || q->nids > MPD_POOL_RESULT_IDS_MAX))
		r = client_fail(err, MPD_E_INVAL, 0, "%s: %zu ids, not 1 to %d",
				fn, q->nids, MPD_POOL_RESULT_IDS_MAX);
	if (r == 0 && q->ids == NULL && q->first < 1)
		r = client_fail(err, MPD_E_INVAL, 0,
				"%s: first %" PRId64 " is not a task id (>= 1)",
				fn, q->first);
	if (r == 0 && q->ids != NULL) {
		ids = json_array();
		r = broker_add_new(p, "ids", ids, err);
		for (size_t i = 0; r == 0 && i < q->nids; i++) {
			if (q->ids[i] < 1)
				r = client_fail(err, MPD_E_INVAL, 0,
						"%s: ids[%zu] %" PRId64
						" is not a task id (>= 1)",
						fn, i, q->ids[i]);
			else if (json_array_append_new(
					 ids, json_integer(q->ids[i])) < 0)
				r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
		}
		*first = q->ids[0];
	} else if (r == 0) {
		r = broker_add_new(p, "first", json_integer(q->first), err);
		if (r == 0 && q->count > 1)
			r = broker_add_new(p, "count",
					   json_integer((json_int_t)q->count),
					   err);
		*first = q->first;
	}
	if (r == 0 && q->order != MPD_POOL_ORDER_ALL)
		r = add_string(fn, p, "order", pool_orders[q->order], err);
	if (r == 0 && q->max > 0)
		r = broker_add_new(p, "max", json_integer((json_int_t)q->max),
				   err);
	if (r == 0 && q->keep)
		r = broker_add_new(p, "keep", json_true(), err);
	if (r == 0)
		r = broker_add_timeout(p, timeout, err);
	if (r < 0) {
		json_decref(p);
		return r;
	}
	*out = p;
	return 0;
}

/* The error of a wait that ended with nothing: the timeout passed. */
static int timed_out(const char *name, double timeout, struct mpd_error *err)
{
	return client_fail(err, MPD_E_TIMEOUT, 0,
			   "pool %s: no outcome ready within %g seconds", name,
			   timeout);
}

/* Returns 0 with the outcomes, or a negative code; see mpd.h. */
int mpd_pool_result(struct mpd_client *c, const char *name,
		    const struct mpd_pool_query *q, double timeout,
		    struct mpd_task_result **results, size_t *n,
		    size_t *remaining, struct mpd_error *err)
{
	struct mpd_task_result *out = NULL;
	json_t *p = NULL, *res = NULL;
	size_t k = 0, rem = 0;
	int64_t first = 0;
	int r = broker_check_given(__func__, "results", results, err);

	if (r == 0)
		r = broker_check_given(__func__, "n", n, err);
	if (r == 0)
		r = result_params(__func__, name, q, timeout, &p, &first, err);
	if (r < 0)
		return r;
	r = broker_call(c, r, MPD_M_POOL_RESULT, p, NULL, &res, err);
	if (r == 0)
		r = parse_results(res, first, &out, &k, &rem, err);
	json_decref(res);
	if (r < 0)
		return r;
	if (k == 0 && rem > 0)
		return timed_out(name, timeout, err);
	*results = out;
	*n = k;
	if (remaining != NULL)
		*remaining = rem;
	return 0;
}

/* Returns 0 with *r, or a negative code; see mpd.h. */
int mpd_pool_get(struct mpd_client *c, const char *name, int64_t id,
		 double timeout, struct mpd_task_result *r,
		 struct mpd_error *err)
{
	struct mpd_pool_query q = { .first = id, .count = 1 };
	struct mpd_task_result *out = NULL;
	size_t n = 0, rem = 0;
	int rc = broker_check_given(__func__, "r", r, err);

	if (rc == 0)
		rc = mpd_pool_result(c, name, &q, timeout, &out, &n, &rem, err);
	if (rc < 0)
		return rc;
	if (n == 0 && rem == 0)
		return client_fail(err, MPD_E_NOT_FOUND, 0,
				   "pool %s: the outcome of task %" PRId64
				   " was fetched already",
				   name, id);
	if (n != 1) {
		mpd_task_results_free(out, n);
		return client_fail(err, MPD_E_PROTO, 0,
				   "pool.result returned %zu outcomes for "
				   "task %" PRId64,
				   n, id);
	}
	*r = out[0];
	free(out);
	return 0;
}

/*
 * The failed outcome o as the return of a call: its code, err filled
 * from its error with the data kept by the client (borrowed, as a daemon
 * error's).
 */
static int task_error(struct mpd_client *c, const struct mpd_task_result *o,
		      struct mpd_error *err)
{
	const json_t *data = client_keep_err_data(c, (json_t *)o->error.data);
	int code = o->error.code < 0 ? o->error.code : MPD_E_REMOTE;

	if (err != NULL) {
		*err = o->error;
		err->code = code;
		err->data = data;
	}
	return code;
}

/* Returns 0 with *result, or a negative code; see mpd.h. */
int mpd_pool_apply(struct mpd_client *c, const char *name,
		   const struct mpd_task *task, json_t **result,
		   struct mpd_error *err)
{
	struct mpd_task_result o = { 0 };
	int64_t id = 0;
	int r = mpd_pool_submit(c, name, task, 1, &id, err);

	if (r == 0)
		r = mpd_pool_get(c, name, id, -1, &o, err);
	if (r < 0)
		return r;
	if (!o.done) {
		r = task_error(c, &o, err);
	} else if (result != NULL) {
		*result = o.result;
		o.result = NULL;
	}
	mpd_task_result_clear(&o);
	return r;
}

/* The params of pool.map. */
static int map_params(const char *fn, const char *name, const char *function,
		      json_t *items, size_t chunksize, double timeout,
		      json_t **out, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(fn, name, &p, err);

	if (r == 0 && !json_is_array(items))
		r = client_fail(err, MPD_E_INVAL, 0,
				"%s: items is not an array", fn);
	if (r == 0 && function != NULL)
		r = add_string(fn, p, "function", function, err);
	if (r == 0)
		r = broker_add_new(p, "items", json_incref(items), err);
	if (r == 0 && chunksize > 0)
		r = broker_add_new(p, "chunksize",
				   json_integer((json_int_t)chunksize), err);
	if (r == 0)
		r = add_limit(fn, p, timeout, err);
	if (r < 0) {
		json_decref(p);
		return r;
	}
	*out = p;
	return 0;
}

/* pool.map on behalf of fn: *first, *count and *cs from its result. */
static int map_start(struct mpd_client *c, const char *fn, const char *name,
		     const char *function, json_t *items, size_t chunksize,
		     double timeout, int64_t *first, size_t *count, size_t *cs,
		     struct mpd_error *err)
{
	json_t *p = NULL, *res = NULL, *n, *k;
	size_t len = json_array_size(items);
	int64_t f = 0;
	int r = map_params(fn, name, function, items, chunksize, timeout, &p,
			   err);

	r = broker_call(c, r, MPD_M_POOL_MAP, p, NULL, &res, err);
	/* No items, no task: its "first" names none. */
	if (r == 0 && len > 0)
		r = result_first(MPD_M_POOL_MAP, res, &f, err);
	if (r == 0) {
		n = json_object_get(res, "count");
		k = json_object_get(res, "chunksize");
		/* Chunks of k items cover the items: ceil(len / k) of them. */
		if (!json_is_integer(n) || !json_is_integer(k) ||
		    (len > 0 && json_integer_value(k) < 1) ||
		    (len == 0 && json_integer_value(n) != 0) ||
		    (len > 0 && (size_t)json_integer_value(n) !=
					(len + (size_t)json_integer_value(k) -
					 1) / (size_t)json_integer_value(k)))
			r = client_fail(err, MPD_E_PROTO, 0,
					"pool.map returned no \"count\" and "
					"\"chunksize\" that cover its %zu "
					"items",
					len);
	}
	if (r == 0) {
		*first = f;
		*count = (size_t)json_integer_value(n);
		if (cs != NULL)
			*cs = (size_t)json_integer_value(k);
	}
	json_decref(res);
	return r;
}

/* Returns 0 with the chunks' ids, or a negative code; see mpd.h. */
int mpd_pool_map_async(struct mpd_client *c, const char *name,
		       const char *function, json_t *items, size_t chunksize,
		       double timeout, int64_t *first, size_t *count,
		       size_t *chunksize_used, struct mpd_error *err)
{
	int r = broker_check_given(__func__, "first", first, err);

	if (r == 0)
		r = broker_check_given(__func__, "count", count, err);
	if (r < 0)
		return r;
	return map_start(c, __func__, name, function, items, chunksize, timeout,
			 first, count, chunksize_used, err);
}

/*
 * Batches of outcomes sized to the daemon's room for replies: budget is
 * half its max_output (or of the default, when it does not say), per the
 * bytes an outcome took in the last answer (0: not known yet).
 */
struct batcher {
	size_t budget;
	size_t per;
	size_t max; /* outcomes the next fetch asks for */
};

/* Ask the daemon for its max_output (daemon.info). Returns 0, or the
 * error of a connection that failed: a daemon error leaves the default. */
static int batcher_init(struct mpd_client *c, struct batcher *b,
			struct mpd_error *err)
{
	json_t *info = NULL, *mo;
	int r = mpd_daemon_info(c, &info, err);
	size_t max_output = MPD_DAEMON_DEFAULT_MAX_OUTPUT;

	if (r == MPD_E_IO || r == MPD_E_PROTO || r == MPD_E_TOOBIG ||
	    r == MPD_E_NOMEM || r == MPD_E_INVAL)
		return r;
	mo = json_object_get(json_object_get(info, "limits"), "max_output");
	if (json_is_integer(mo) && json_integer_value(mo) > 0)
		max_output = (size_t)json_integer_value(mo);
	json_decref(info);
	b->budget = max_output / 2;
	if (b->budget > POOL_MAX_BUDGET)
		b->budget = POOL_MAX_BUDGET;
	if (b->budget > POOL_REPLY_SLACK)
		b->budget -= POOL_REPLY_SLACK;
	b->per = 0;
	b->max = POOL_FIRST_BATCH;
	return 0;
}

/* After an answer of len bytes with n outcomes: size the next batch. */
static void batcher_learn(struct batcher *b, size_t len, size_t n)
{
	if (n == 0)
		return;
	b->per = len / n + 1;
	b->max = b->budget / b->per;
	if (b->max < 1)
		b->max = 1;
	if (b->max > MPD_POOL_RESULT_IDS_MAX)
		b->max = MPD_POOL_RESULT_IDS_MAX;
}

/*
 * One fetch of at most b->max outcomes of q, halving the batch while the
 * daemon refuses it as too large. Returns as mpd_pool_result().
 */
static int batch_fetch(struct mpd_client *c, const char *name,
		       struct batcher *b, struct mpd_pool_query *q,
		       double timeout, struct mpd_task_result **out, size_t *n,
		       size_t *remaining, struct mpd_error *err)
{
	int r;

	for (;;) {
		q->max = b->max;
		r = mpd_pool_result(c, name, q, timeout, out, n, remaining,
				    err);
		if (r != MPD_E_LIMIT || b->max == 1)
			break;
		b->max /= 2;
	}
	if (r == 0)
		batcher_learn(b, client_last_len(c), *n);
	return r;
}

/* Returns 0 with *results, or a negative code; see mpd.h. */
int mpd_pool_map(struct mpd_client *c, const char *name, const char *function,
		 json_t *items, size_t chunksize, double timeout,
		 json_t **results, size_t *index, struct mpd_error *err)
{
	struct mpd_task_result *out = NULL, failure = { 0 };
	struct mpd_pool_query q = { .order = MPD_POOL_ORDER_SUBMISSION };
	size_t len = json_array_size(items), count = 0, cs = 0, n = 0;
	size_t rem = 0, fail_index = 0;
	struct batcher b;
	json_t *all = NULL, *v;
	int r = broker_check_given(__func__, "results", results, err);

	if (r == 0)
		r = batcher_init(c, &b, err);
	if (r == 0)
		r = map_start(c, __func__, name, function, items, chunksize,
			      timeout, &q.first, &count, &cs, err);
	if (r < 0)
		return r;
	q.count = count;
	all = json_array();
	if (all == NULL)
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	rem = count;
	while (rem > 0) {
		r = batch_fetch(c, name, &b, &q, -1, &out, &n, &rem, err);
		if (r < 0)
			goto out;
		for (size_t i = 0; i < n; i++) {
			struct mpd_task_result *o = &out[i];
			size_t start = (size_t)o->index * cs;

			if (o->index < 0 || (size_t)o->index >= count) {
				r = client_fail(err, MPD_E_PROTO, 0,
						"pool.result returned task "
						"%" PRId64 ", not one of the "
						"map's",
						o->id);
				goto out;
			}
			if (!o->done) {
				if (failure.id != 0)
					continue;
				v = json_object_get(o->error.data, "index");
				fail_index =
					json_is_integer(v) ?
						(size_t)json_integer_value(v) :
						start;
				failure = *o;
				memset(o, 0, sizeof(*o));
				continue;
			}
			/* In id order: chunk k holds items k*cs and on. */
			if (failure.id != 0)
				continue;
			if (!json_is_array(o->result) ||
			    json_array_size(all) != start ||
			    json_array_size(o->result) !=
				    (start + cs <= len ? cs : len - start)) {
				r = client_fail(err, MPD_E_PROTO, 0,
						"pool.result returned chunk "
						"%" PRId64 " not as the "
						"array of its items' results",
						o->id);
				goto out;
			}
			if (json_array_extend(all, o->result) < 0) {
				r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
				goto out;
			}
		}
		mpd_task_results_free(out, n);
		out = NULL;
		n = 0;
	}
	if (failure.id != 0) {
		r = task_error(c, &failure, err);
		if (index != NULL)
			*index = fail_index;
		goto out;
	}
	*results = all;
	all = NULL;
out:
	mpd_task_results_free(out, n);
	mpd_task_result_clear(&failure);
	json_decref(all);
	return r;
}

struct mpd_pool_iter {
	struct mpd_client *c;
	char *name;
	struct mpd_pool_query q;
	struct batcher b;
	bool sized; /* b learnt the daemon's max_output */
	size_t remaining; /* tasks not fetched yet */
	/* Outcomes fetched and not handed out: out[pos..n). For an imap,
	 * a chunk's done outcome is handed out item by item: sub is the
	 * next item of out[pos]. */
	struct mpd_task_result *out;
	size_t n, pos, sub;
	/* imap: items and chunk size; 0 for an iterator of tasks. */
	size_t items, chunksize;
};

/* Returns 0 with *out, or a negative code; see mpd.h. */
int mpd_pool_iter_new(struct mpd_client *c, const char *name, int64_t first,
		      size_t count, enum mpd_pool_order order,
		      struct mpd_pool_iter **out, struct mpd_error *err)
{
	struct mpd_pool_iter *it;
	int r = broker_check_name(__func__, name, err);

	if (r == 0)
		r = broker_check_given(__func__, "out", out, err);
	if (r == 0 && c == NULL)
		r = client_fail(err, MPD_E_INVAL, 0, "%s: client is NULL",
				__func__);
	if (r == 0 && first < 1)
		r = client_fail(err, MPD_E_INVAL, 0,
				"%s: first %" PRId64 " is not a task id (>= 1)",
				__func__, first);
	if (r == 0 && count < 1)
		r = client_fail(err, MPD_E_INVAL, 0, "%s: count is 0",
				__func__);
	if (r == 0 && order != MPD_POOL_ORDER_SUBMISSION &&
	    order != MPD_POOL_ORDER_COMPLETION)
		r = client_fail(err, MPD_E_INVAL, 0,
				"%s: order %d is not submission or "
				"completion",
				__func__, (int)order);
	if (r < 0)
		return r;
	it = calloc(1, sizeof(*it));
	if (it == NULL || (it->name = strdup(name)) == NULL) {
		free(it);
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	}
	it->c = c;
	it->q.first = first;
	it->q.count = count;
	it->q.order = order;
	it->remaining = count;
	*out = it;
	return 0;
}

/* Returns 0 with *out, or a negative code; see mpd.h. */
int mpd_pool_imap(struct mpd_client *c, const char *name, const char *function,
		  json_t *items, size_t chunksize, double timeout,
		  enum mpd_pool_order order, struct mpd_pool_iter **out,
		  struct mpd_error *err)
{
	struct mpd_pool_iter *it = NULL;
	size_t count = 0, cs = 0;
	int64_t first = 0;
	int r;

	/* Checked before the map starts, so that a bad one starts none. */
	r = mpd_pool_iter_new(c, name, 1, 1, order, &it, err);
	if (r < 0)
		return r;
	r = map_start(c, __func__, name, function, items, chunksize, timeout,
		      &first, &count, &cs, err);
	if (r < 0) {
		mpd_pool_iter_free(it);
		return r;
	}
	it->q.first = first;
	it->q.count = count;
	it->remaining = count;
	it->items = json_array_size(items);
	it->chunksize = cs;
	*out = it;
	return 0;
}

void mpd_pool_iter_free(struct mpd_pool_iter *it)
{
	if (it == NULL)
		return;
	mpd_task_results_free(it->out, it->n);
	free(it->name);
	free(it);
}

/*
 * Hand out the next outcome buffered in it into *r: a task's, or for an
 * imap an item's. Returns 1, or 0 when none is buffered; MPD_E_PROTO or
 * MPD_E_NOMEM when a chunk's result is not the array of its items'.
 */
static int iter_take(struct mpd_pool_iter *it, struct mpd_task_result *r,
		     struct mpd_error *err)
{
	struct mpd_task_result *o;
	size_t start, len;
	json_t *v;

	while (it->pos < it->n) {
		o = &it->out[it->pos];
		if (it->chunksize == 0 || !o->done) {
			if (it->chunksize > 0) {
				/* A failed chunk: at its failing item. */
				v = json_object_get(o->error.data, "index");
				o->index =
					json_is_integer(v) ?
						json_integer_value(v) :
						o->index *
							(int64_t)it->chunksize;
			}
			*r = *o;
			memset(o, 0, sizeof(*o));
			it->pos++;
			return 1;
		}
		start = (size_t)o->index * it->chunksize;
		len = start + it->chunksize <= it->items ? it->chunksize :
							   it->items - start;
		if (o->index < 0 || start >= it->items ||
		    !json_is_array(o->result) ||
		    json_array_size(o->result) != len)
			return client_fail(err, MPD_E_PROTO, 0,
					   "pool.result returned chunk "
					   "%" PRId64 " not as the array of "
					   "its items' results",
					   o->id);
		if (it->sub < len) {
			memset(r, 0, sizeof(*r));
			r->id = o->id;
			r->index = (int64_t)(start + it->sub);
			r->done = 1;
			r->result =
				json_incref(json_array_get(o->result, it->sub));
			it->sub++;
			return 1;
		}
		mpd_task_result_clear(o);
		it->pos++;
		it->sub = 0;
	}
	return 0;
}

/* Returns 1 with *r, 0 at the end, or a negative code; see mpd.h. */
int mpd_pool_iter_next(struct mpd_pool_iter *it, double timeout,
		       struct mpd_task_result *r, struct mpd_error *err)
{
	int rc = broker_check_given(__func__, "it", it, err);

	if (rc == 0)
		rc = broker_check_given(__func__, "r", r, err);
	if (rc == 0)
		rc = broker_check_timeout(__func__, timeout, err);
	if (rc < 0)
		return rc;
	rc = iter_take(it, r, err);
	if (rc != 0)
		return rc;
	if (it->remaining == 0)
		return 0;
	if (!it->sized) {
		rc = batcher_init(it->c, &it->b, err);
		if (rc < 0)
			return rc;
		it->sized = true;
	}
	mpd_task_results_free(it->out, it->n);
	it->out = NULL;
	it->n = it->pos = it->sub = 0;
	rc = batch_fetch(it->c, it->name, &it->b, &it->q, timeout, &it->out,
			 &it->n, &it->remaining, err);
	if (rc < 0)
		return rc;
	rc = iter_take(it, r, err);
	return rc;
}

/* What an asynchronous pool call's callback needs. */
struct pool_async {
	mpd_pool_result_fn *result_fn;
	mpd_pool_submit_fn *submit_fn;
	void *arg;
	int64_t first; /* pool.result: of the range, for the index */
	char name[MPD_MAX_NAME + 1]; /* for the timeout's message */
	double timeout;
};

/* Send method with params (stolen) and fds without waiting: cb runs with
 * a malloc'd copy of *a, which it frees. Returns as mpd_call_async(). */
static int async_send(struct mpd_client *c, const char *method, json_t *p,
		      const int *fds, size_t nfds, mpd_reply_fn cb,
		      const struct pool_async *a, struct mpd_error *err)
{
	struct pool_async *copy = malloc(sizeof(*copy));
	int r;

	if (copy == NULL) {
		json_decref(p);
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	}
	*copy = *a;
	r = client_call_async_fds(c, method, p, fds, nfds, cb, copy, err);
	json_decref(p);
	if (r < 0)
		free(copy);
	return r;
}

/* The reply of an asynchronous pool.result: parse it, hand it on. */
static void result_async_cb(struct mpd_client *c, int status,
			    const json_t *result, const struct mpd_error *err,
			    void *arg)
{
	struct pool_async *a = arg;
	struct mpd_task_result *out = NULL;
	struct mpd_error e = { 0 };
	size_t n = 0, rem = 0;

	if (status == 0 &&
	    (status = parse_results(result, a->first, &out, &n, &rem, &e)) ==
		    0 &&
	    n == 0 && rem > 0)
		status = timed_out(a->name, a->timeout, &e);
	if (status < 0 && err == NULL)
		err = &e;
	a->result_fn(c, status, status == 0 ? out : NULL, status == 0 ? n : 0,
		     rem, status < 0 ? err : NULL, a->arg);
	mpd_task_results_free(out, n);
	free(a);
}

/* Returns 0 when sent, or a negative code; see mpd.h. */
int mpd_pool_result_start(struct mpd_client *c, const char *name,
			  const struct mpd_pool_query *q, double timeout,
			  mpd_pool_result_fn *fn, void *arg,
			  struct mpd_error *err)
{
	struct pool_async a;
	json_t *p = NULL;
	int64_t first = 0;
	int r = broker_check_given(__func__, "fn", (const void *)fn, err);

	if (r == 0)
		r = result_params(__func__, name, q, timeout, &p, &first, err);
	if (r < 0)
		return r;
	a = (struct pool_async){
		.result_fn = fn, .arg = arg, .first = first, .timeout = timeout
	};
	snprintf(a.name, sizeof(a.name), "%s", name);
	return async_send(c, MPD_M_POOL_RESULT, p, NULL, 0, result_async_cb, &a,
			  err);
}

/* The reply of an asynchronous pool.submit. */
static void submit_async_cb(struct mpd_client *c, int status,
			    const json_t *result, const struct mpd_error *err,
			    void *arg)
{
	struct pool_async *a = arg;
	struct mpd_error e = { 0 };
	int64_t first = 0;

	if (status == 0 &&
	    (status = result_first(MPD_M_POOL_SUBMIT, result, &first, &e)) < 0)
		err = &e;
	a->submit_fn(c, status, first, status < 0 ? err : NULL, a->arg);
	free(a);
}

/* Returns 0 when sent, or a negative code; see mpd.h. */
int mpd_pool_submit_start(struct mpd_client *c, const char *name,
			  const struct mpd_task *tasks, size_t n,
			  mpd_pool_submit_fn *fn, void *arg,
			  struct mpd_error *err)
{
	int fds[MPD_MAX_FDS_PER_MESSAGE];
	struct pool_async a;
	json_t *p = NULL;
	size_t nfds = 0;
	int r = broker_check_given(__func__, "fn", (const void *)fn, err);

	if (r == 0)
		r = submit_params(__func__, name, tasks, n, &p, fds, &nfds,
				  err);
	if (r < 0)
		return r;
	a = (struct pool_async){ .submit_fn = fn, .arg = arg };
	return async_send(c, MPD_M_POOL_SUBMIT, p, fds, nfds, submit_async_cb,
			  &a, err);
}

/* Returns 0 with *info, or a negative code; see mpd.h. */
int mpd_pool_info(struct mpd_client *c, const char *name, json_t **info,
		  struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_given(__func__, "info", info, err);
	return broker_call(c, r, MPD_M_POOL_INFO, p, NULL, info, err);
}

/* Returns 0 with *list, or a negative code; see mpd.h. */
int mpd_pool_list(struct mpd_client *c, json_t **list, struct mpd_error *err)
{
	return broker_list_call(c, __func__, MPD_M_POOL_LIST, "pools", list,
				err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_pool_close(struct mpd_client *c, const char *name,
		   struct mpd_error *err)
{
	return broker_name_call(c, __func__, MPD_M_POOL_CLOSE, name, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_pool_terminate(struct mpd_client *c, const char *name,
		       struct mpd_error *err)
{
	return broker_name_call(c, __func__, MPD_M_POOL_TERMINATE, name, err);
}

/* Returns 0, MPD_E_TIMEOUT, or another negative code; see mpd.h. */
int mpd_pool_join(struct mpd_client *c, const char *name, double timeout,
		  struct mpd_error *err)
{
	json_t *p = NULL, *joined = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_timeout(__func__, timeout, err);
	if (r == 0)
		r = broker_add_timeout(p, timeout, err);
	r = broker_call(c, r, MPD_M_POOL_JOIN, p, "joined", &joined, err);
	if (r < 0)
		return r;
	if (!json_is_boolean(joined))
		r = client_fail(err, MPD_E_PROTO, 0,
				"pool.join returned %s as \"joined\"",
				broker_json_kind(joined));
	else if (json_is_false(joined))
		r = client_fail(err, MPD_E_TIMEOUT, 0,
				"pool %s: not finished after %g seconds", name,
				timeout);
	json_decref(joined);
	return r;
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_pool_delete(struct mpd_client *c, const char *name,
		    struct mpd_error *err)
{
	return broker_name_call(c, __func__, MPD_M_POOL_DELETE, name, err);
}
