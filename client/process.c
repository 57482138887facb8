/*
 * process.c - libmpd's process API: the process.* methods of mpdd.
 *
 * Each function checks its arguments, builds the params object the
 * protocol describes (docs/protocol.md, "Processes"), makes one call and
 * checks the shape of what comes back before handing it to the caller.
 * mpd_process_create() turns struct mpd_process_options into the params of
 * process.create; the descriptors the worker is given, then those of the
 * "pass" stdio streams, travel with the request (mpd_call_fds()).
 * mpd_run() is create-with-start plus join.
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

/* The stdio streams in the order of the protocol and of their fds. */
static const char *const stdio_keys[3] = { "stdin", "stdout", "stderr" };

/* Set key to value in obj, stealing value. Returns 0, or -1 when value is
 * NULL (it could not be built) or the set failed. */
static int set_new(json_t *obj, const char *key, json_t *value)
{
	if (value == NULL)
		return -1;
	return json_object_set_new(obj, key, value);
}

/* Returns a new {"id": id}, or NULL. */
static json_t *id_params(int64_t id)
{
	return json_pack("{s:I}", "id", (json_int_t)id);
}

/*
 * Call method with params (stolen, NULL: out of memory) and hand back its
 * result, which must be an object, in *record (a new reference; may be
 * NULL to discard). Returns 0, as mpd_call_fds(), or MPD_E_PROTO when the
 * result is not an object (the client stays usable).
 */
static int record_call(struct mpd_client *c, const char *method, json_t *params,
		       const int *fds, size_t nfds, json_t **record,
		       struct mpd_error *err)
{
	json_t *res = NULL;
	int r;

	if (params == NULL)
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	r = mpd_call_fds(c, method, params, fds, nfds, &res, err);
	json_decref(params);
	if (r < 0)
		return r;
	if (!json_is_object(res)) {
		json_decref(res);
		return client_fail(err, MPD_E_PROTO, 0,
				   "%s did not return an object", method);
	}
	if (record != NULL)
		*record = res;
	else
		json_decref(res);
	return 0;
}

/* A process id the library may send: ids start at 1. */
static int check_id(int64_t id, const char *fn, struct mpd_error *err)
{
	if (id < 1)
		return client_fail(err, MPD_E_INVAL, 0,
				   "%s: process id %" PRId64 " is not >= 1", fn,
				   id);
	return 0;
}

/* Call method on process id, returning its record as record_call(). */
static int id_call(struct mpd_client *c, const char *fn, const char *method,
		   int64_t id, json_t **record, struct mpd_error *err)
{
	int r = check_id(id, fn, err);

	if (r < 0)
		return r;
	return record_call(c, method, id_params(id), NULL, 0, record, err);
}

/*
 * A new JSON string of s in *out. Returns 0; MPD_E_INVAL naming what when s
 * is not valid UTF-8; or MPD_E_NOMEM.
 */
static int new_string(const char *s, const char *what, json_t **out,
		      struct mpd_error *err)
{
	json_t *v = json_string(s);

	if (v == NULL) {
		/* Unchecked, it can only fail for want of memory. */
		v = json_string_nocheck(s);
		if (v == NULL)
			return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
		json_decref(v);
		return client_fail(err, MPD_E_INVAL, 0, "%s is not valid UTF-8",
				   what);
	}
	*out = v;
	return 0;
}

/* Set key to the string s in obj. Returns 0, or a code as new_string(). */
static int set_string(json_t *obj, const char *key, const char *s,
		      struct mpd_error *err)
{
	json_t *v = NULL;
	int r = new_string(s, key, &v, err);

	if (r < 0)
		return r;
	if (json_object_set_new(obj, key, v) < 0)
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	return 0;
}

/* Returns 0 with *out a new array of the strings of the NULL-terminated v,
 * or a negative code; see client.h. */
int process_string_array(const char *const *v, const char *key, json_t **out,
			 struct mpd_error *err)
{
	json_t *a = json_array(), *s = NULL;
	char what[64];
	int r;

	if (a == NULL)
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	for (size_t i = 0; v[i] != NULL; i++) {
		snprintf(what, sizeof(what), "%s[%zu]", key, i);
		r = new_string(v[i], what, &s, err);
		if (r == 0 && json_array_append_new(a, s) < 0)
			r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
		if (r < 0) {
			json_decref(a);
			return r;
		}
	}
	*out = a;
	return 0;
}

/* Add the env object built from "K=V" strings. Returns 0 or a code; see
 * client.h. */
int process_add_env(json_t *params, const char *const *env,
		    struct mpd_error *err)
{
	json_t *obj = json_object(), *k = NULL, *v = NULL;
	char what[64];
	const char *eq;
	char *key = NULL;
	int r = 0;

	if (obj == NULL)
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	for (size_t i = 0; env[i] != NULL; i++) {
		eq = strchr(env[i], '=');
		if (eq == NULL || eq == env[i]) {
			r = client_fail(err, MPD_E_INVAL, 0,
					"env[%zu] \"%s\" is not KEY=VALUE", i,
					env[i]);
			goto out;
		}
		key = strndup(env[i], (size_t)(eq - env[i]));
		if (key == NULL) {
			r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
			goto out;
		}
		snprintf(what, sizeof(what), "env[%zu]", i);
		/* The key as a string, only to check its UTF-8. */
		r = new_string(key, what, &k, err);
		json_decref(k);
		k = NULL;
		if (r == 0)
			r = new_string(eq + 1, what, &v, err);
		/* A later string for the same key wins, as with putenv(). */
		if (r == 0 && json_object_set_new_nocheck(obj, key, v) < 0)
			r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
		free(key);
		key = NULL;
		if (r < 0)
			goto out;
	}
	if (json_object_set(params, "env", obj) < 0)
		r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
out:
	json_decref(obj);
	return r;
}

/*
 * Add the three stdio streams; the descriptors of "pass" streams go to
 * fds (stdin, stdout, stderr order), their count to *nfds. Returns 0 or a
 * code.
 */
int process_add_stdio(json_t *params, const struct mpd_stdio *stdio, int *fds,
		      size_t *nfds, struct mpd_error *err)
{
	const char *key;
	json_t *v;
	int r;

	*nfds = 0;
	for (size_t i = 0; i < 3; i++) {
		key = stdio_keys[i];
		switch (stdio[i].mode) {
		case MPD_STDIO_DEFAULT:
			continue;
		case MPD_STDIO_NULL:
			v = json_string("null");
			break;
		case MPD_STDIO_INHERIT:
			v = json_string("inherit");
			break;
		case MPD_STDIO_FILE:
			if (stdio[i].path == NULL || stdio[i].path[0] == '\0')
				return client_fail(err, MPD_E_INVAL, 0,
						   "%s is a file without a "
						   "path",
						   key);
			v = json_object();
			r = v != NULL ?
				    set_string(v, "file", stdio[i].path, err) :
				    client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
			if (r == 0 &&
			    set_new(v, "append",
				    json_boolean(stdio[i].append)) < 0)
				r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
			if (r < 0) {
				json_decref(v);
				return r;
			}
			break;
		case MPD_STDIO_CAPTURE:
			if (i == 0)
				return client_fail(err, MPD_E_INVAL, 0,
						   "stdin cannot be captured");
			v = json_string("capture");
			break;
		case MPD_STDIO_PASS:
			if (stdio[i].fd < 0)
				return client_fail(err, MPD_E_INVAL, 0,
						   "%s passes descriptor %d",
						   key, stdio[i].fd);
			fds[(*nfds)++] = stdio[i].fd;
			v = json_string("pass");
			break;
		default:
			return client_fail(err, MPD_E_INVAL, 0,
					   "%s has an unknown mode %d", key,
					   (int)stdio[i].mode);
		}
		if (set_new(params, key, v) < 0)
			return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	}
	return 0;
}

/*
 * Add "fds", the names of the descriptors the worker is given, and put
 * the descriptors first in fds (*nfds of them): they go before those of
 * the "pass" streams. Returns 0 or a code.
 */
static int add_fds(json_t *params, const struct mpd_process_options *opts,
		   int *fds, size_t *nfds, struct mpd_error *err)
{
	json_t *names;
	int r = 0;

	*nfds = 0;
	if (opts->nfds == 0)
		return 0;
	if (opts->fd_names == NULL || opts->fds == NULL)
		return client_fail(
			err, MPD_E_INVAL, 0,
			"mpd_process_create: %zu descriptors without "
			"%s",
			opts->nfds, opts->fds == NULL ? "fds" : "fd_names");
	if (opts->nfds > MPD_MAX_FDS_PER_MESSAGE)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_process_create: %zu descriptors, at "
				   "most %d travel with one request",
				   opts->nfds, MPD_MAX_FDS_PER_MESSAGE);
	names = json_array();
	if (names == NULL)
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	for (size_t i = 0; i < opts->nfds && r == 0; i++) {
		const char *n = opts->fd_names[i];

		if (n == NULL || !mpd_fd_name_ok(n, strlen(n))) {
			r = client_fail(
				err, MPD_E_INVAL, 0,
				"mpd_process_create: fd_names[%zu] "
				"\"%.64s\" is not a descriptor name (1 "
				"to %d bytes of A-Z, a-z, 0-9, '_', '.' "
				"and '-')",
				i, n != NULL ? n : "(null)", MPD_MAX_FD_NAME);
			break;
		}
		for (size_t k = 0; k < i && r == 0; k++)
			if (strcmp(opts->fd_names[k], n) == 0)
				r = client_fail(err, MPD_E_INVAL, 0,
						"mpd_process_create: "
						"fd_names[%zu] \"%s\" is "
						"fd_names[%zu] too",
						i, n, k);
		if (r == 0 && opts->fds[i] < 0)
			r = client_fail(err, MPD_E_INVAL, 0,
					"mpd_process_create: fds[%zu] is %d", i,
					opts->fds[i]);
		if (r == 0 && json_array_append_new(names, json_string(n)) < 0)
			r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
		fds[i] = opts->fds[i];
	}
	if (r == 0 && json_object_set(params, "fds", names) < 0)
		r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	json_decref(names);
	if (r == 0)
		*nfds = opts->nfds;
	return r;
}

/*
 * Build the params of process.create from opts, with start as given (not
 * opts->start). Returns 0 with *out a new object and the descriptors to
 * pass in fds (their count in *nfds), or a negative code.
 */
static int create_params(const struct mpd_process_options *opts, bool start,
			 json_t **out, int *fds, size_t *nfds,
			 struct mpd_error *err)
{
	bool fn_target;
	json_t *p = NULL, *argv = NULL;
	size_t named = 0;
	int r;

	if (opts == NULL)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_process_create: opts is NULL");
	fn_target = opts->module != NULL || opts->function != NULL;
	if (opts->argv != NULL && fn_target)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_process_create: two targets (argv, "
				   "and module or function)");
	if (opts->argv == NULL && !fn_target)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_process_create: no target (argv, or "
				   "module and function)");
	if (opts->argv != NULL && opts->argv[0] == NULL)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_process_create: argv is empty");
	if (fn_target && (opts->module == NULL || opts->function == NULL))
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_process_create: module and function "
				   "go together");
	if (opts->args != NULL && !fn_target)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_process_create: args without "
				   "function");

	p = json_object();
	if (p == NULL)
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	r = 0;
	if (opts->name != NULL)
		r = set_string(p, "name", opts->name, err);
	if (r == 0 && opts->argv != NULL) {
		r = process_string_array(opts->argv, "argv", &argv, err);
		if (r == 0 && json_object_set_new(p, "argv", argv) < 0)
			r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	}
	if (r == 0 && fn_target) {
		r = set_string(p, "module", opts->module, err);
		if (r == 0)
			r = set_string(p, "function", opts->function, err);
		if (r == 0 && opts->args != NULL &&
		    json_object_set(p, "args", opts->args) < 0)
			r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	}
	if (r == 0 && opts->env != NULL)
		r = process_add_env(p, opts->env, err);
	if (r == 0 && opts->env_clear &&
	    set_new(p, "env_clear", json_true()) < 0)
		r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	if (r == 0 && opts->cwd != NULL)
		r = set_string(p, "cwd", opts->cwd, err);
	if (r == 0)
		r = add_fds(p, opts, fds, &named, err);
	if (r == 0)
		r = process_add_stdio(p, opts->stdio, fds + named, nfds, err);
	if (r == 0 && named + *nfds > MPD_MAX_FDS_PER_MESSAGE)
		r = client_fail(err, MPD_E_INVAL, 0,
				"mpd_process_create: %zu descriptors and %zu "
				"\"pass\" streams, at most %d descriptors "
				"travel with one request",
				named, *nfds, MPD_MAX_FDS_PER_MESSAGE);
	*nfds += named;
	if (r == 0 && opts->ctty && set_new(p, "ctty", json_true()) < 0)
		r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	if (r == 0 && opts->daemon && set_new(p, "daemon", json_true()) < 0)
		r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	if (r == 0 && opts->start_method != NULL)
		r = set_string(p, "start_method", opts->start_method, err);
	if (r == 0 && start && set_new(p, "start", json_true()) < 0)
		r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	if (r < 0) {
		json_decref(p);
		return r;
	}
	*out = p;
	return 0;
}

static int process_create(struct mpd_client *c,
			  const struct mpd_process_options *opts, bool start,
			  json_t **record, struct mpd_error *err)
{
	/* The worker's descriptors, then the "pass" streams'. */
	int fds[MPD_MAX_FDS_PER_MESSAGE + 3];
	size_t nfds = 0;
	json_t *params = NULL;
	int r;

	r = create_params(opts, start, &params, fds, &nfds, err);
	if (r < 0)
		return r;
	return record_call(c, MPD_M_PROCESS_CREATE, params, fds, nfds, record,
			   err);
}

/* Returns 0 with *record, or a negative code; see mpd.h. */
int mpd_process_create(struct mpd_client *c,
		       const struct mpd_process_options *opts, json_t **record,
		       struct mpd_error *err)
{
	return process_create(c, opts, opts != NULL && opts->start, record,
			      err);
}

/* Returns 0 with *record, or a negative code; see mpd.h. */
int mpd_process_start(struct mpd_client *c, int64_t id, json_t **record,
		      struct mpd_error *err)
{
	return id_call(c, "mpd_process_start", MPD_M_PROCESS_START, id, record,
		       err);
}

/* Returns 0 with *record, or a negative code; see mpd.h. */
int mpd_process_join(struct mpd_client *c, int64_t id, double timeout,
		     json_t **record, struct mpd_error *err)
{
	json_t *params;
	int r = check_id(id, "mpd_process_join", err);

	if (r < 0)
		return r;
	if (isnan(timeout))
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_process_join: timeout is NaN");
	params = id_params(id);
	/* Negative or infinite: no timeout member, wait as long as it runs. */
	if (params != NULL && timeout >= 0 && !isinf(timeout) &&
	    set_new(params, "timeout", json_real(timeout)) < 0) {
		json_decref(params);
		params = NULL;
	}
	return record_call(c, MPD_M_PROCESS_JOIN, params, NULL, 0, record, err);
}

/* Returns 0 with *done and *pending, or a negative code; see mpd.h. */
int mpd_process_wait(struct mpd_client *c, const int64_t *ids, size_t n,
		     int all, double timeout, json_t **done, json_t **pending,
		     struct mpd_error *err)
{
	json_t *params, *a, *res = NULL, *d, *p, *v;
	size_t i;
	int r;

	if (ids == NULL || n == 0)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_process_wait: no process to wait for");
	if (isnan(timeout))
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_process_wait: timeout is NaN");
	for (i = 0; i < n; i++) {
		r = check_id(ids[i], "mpd_process_wait", err);
		if (r < 0)
			return r;
	}
	params = json_object();
	a = json_array();
	if (params == NULL || a == NULL ||
	    json_object_set_new(params, "ids", a) < 0) {
		json_decref(params);
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	}
	r = 0;
	for (i = 0; i < n && r == 0; i++)
		r = json_array_append_new(a, json_integer(ids[i]));
	if (r == 0 && all)
		r = set_new(params, "return_when", json_string("all"));
	/* Negative or infinite: no timeout member, as long as it takes. */
	if (r == 0 && timeout >= 0 && !isinf(timeout))
		r = set_new(params, "timeout", json_real(timeout));
	if (r < 0) {
		json_decref(params);
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	}
	r = record_call(c, MPD_M_PROCESS_WAIT, params, NULL, 0, &res, err);
	if (r < 0)
		return r;
	d = json_object_get(res, "done");
	p = json_object_get(res, "pending");
	if (!json_is_array(d) || !json_is_array(p)) {
		json_decref(res);
		return client_fail(err, MPD_E_PROTO, 0,
				   "process.wait did not return done and "
				   "pending arrays");
	}
	json_array_foreach (d, i, v) {
		if (!json_is_object(v) ||
		    !json_is_integer(json_object_get(v, "id"))) {
			json_decref(res);
			return client_fail(err, MPD_E_PROTO, 0,
					   "process.wait returned a record "
					   "without an id");
		}
	}
	json_array_foreach (p, i, v) {
		if (!json_is_integer(v)) {
			json_decref(res);
			return client_fail(err, MPD_E_PROTO, 0,
					   "process.wait returned a pending "
					   "id that is not an integer");
		}
	}
	if (done != NULL)
		*done = json_incref(d);
	if (pending != NULL)
		*pending = json_incref(p);
	json_decref(res);
	return 0;
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_process_terminate(struct mpd_client *c, int64_t id,
			  struct mpd_error *err)
{
	return id_call(c, "mpd_process_terminate", MPD_M_PROCESS_TERMINATE, id,
		       NULL, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_process_kill(struct mpd_client *c, int64_t id, struct mpd_error *err)
{
	return id_call(c, "mpd_process_kill", MPD_M_PROCESS_KILL, id, NULL,
		       err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_process_signal(struct mpd_client *c, int64_t id, int sig, int group,
		       struct mpd_error *err)
{
	int r = check_id(id, "mpd_process_signal", err);

	if (r < 0)
		return r;
	return record_call(c, MPD_M_PROCESS_SIGNAL,
			   json_pack("{s:I,s:i,s:b}", "id", (json_int_t)id,
				     "signal", sig, "group", group != 0),
			   NULL, 0, NULL, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_process_signal_name(struct mpd_client *c, int64_t id, const char *sig,
			    int group, struct mpd_error *err)
{
	json_t *v = NULL;
	int r = check_id(id, "mpd_process_signal_name", err);

	if (r < 0)
		return r;
	if (sig == NULL)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_process_signal_name: sig is NULL");
	r = new_string(sig, "mpd_process_signal_name: sig", &v, err);
	if (r < 0)
		return r;
	return record_call(c, MPD_M_PROCESS_SIGNAL,
			   json_pack("{s:I,s:o,s:b}", "id", (json_int_t)id,
				     "signal", v, "group", group != 0),
			   NULL, 0, NULL, err);
}

/* Returns the line's length, or a negative code; see mpd.h. */
int mpd_process_signal_line(char *buf, size_t size, int64_t id, int sig)
{
	int n;

	if (buf == NULL || id < 1 || sig < 1)
		return MPD_E_INVAL;
	n = snprintf(buf, size,
		     "{\"jsonrpc\":\"2.0\",\"method\":\"" MPD_M_PROCESS_SIGNAL
		     "\",\"params\":{\"id\":%" PRId64 ",\"signal\":%d}}\n",
		     id, sig);
	if (n < 0 || (size_t)n >= size)
		return MPD_E_TOOBIG;
	return n;
}

/* Returns 0 with *record, or a negative code; see mpd.h. */
int mpd_process_info(struct mpd_client *c, int64_t id, json_t **record,
		     struct mpd_error *err)
{
	return id_call(c, "mpd_process_info", MPD_M_PROCESS_INFO, id, record,
		       err);
}

/* Returns 0 with *result, or a negative code; see mpd.h. */
int mpd_process_output(struct mpd_client *c, int64_t id, int64_t after,
		       size_t max, double timeout, json_t **result,
		       struct mpd_error *err)
{
	json_t *params;
	int r = check_id(id, "mpd_process_output", err);

	if (r < 0)
		return r;
	if (isnan(timeout))
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_process_output: timeout is NaN");
	/* Absent, the daemon does not wait: "as long as it takes" is its
	 * longest timeout. */
	if (timeout < 0 || timeout > MPD_MAX_TIMEOUT)
		timeout = MPD_MAX_TIMEOUT;
	params = id_params(id);
	if (params != NULL &&
	    ((after >= 0 &&
	      set_new(params, "after", json_integer((json_int_t)after)) < 0) ||
	     (max > 0 && set_new(params, "max",
				 json_integer(max > (size_t)MPD_MAX_ID ?
						      (json_int_t)MPD_MAX_ID :
						      (json_int_t)max)) < 0) ||
	     (timeout > 0 &&
	      set_new(params, "timeout", json_real(timeout)) < 0))) {
		json_decref(params);
		params = NULL;
	}
	return record_call(c, MPD_M_PROCESS_OUTPUT, params, NULL, 0, result,
			   err);
}

/* Returns 0 with *id, or a negative code; see mpd.h. */
int mpd_process_lookup(struct mpd_client *c, const char *name, int64_t *id,
		       struct mpd_error *err)
{
	json_t *params, *rec = NULL, *v;
	int r;

	if (name == NULL || name[0] == '\0')
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_process_lookup: name is NULL or "
				   "empty");
	params = json_object();
	if (params == NULL)
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	r = set_string(params, "name", name, err);
	if (r < 0) {
		json_decref(params);
		return r;
	}
	r = record_call(c, MPD_M_PROCESS_INFO, params, NULL, 0, &rec, err);
	if (r < 0)
		return r;
	v = json_object_get(rec, "id");
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		json_decref(rec);
		return client_fail(err, MPD_E_PROTO, 0,
				   "process.info returned a record without "
				   "an id");
	}
	if (id != NULL)
		*id = json_integer_value(v);
	json_decref(rec);
	return 0;
}

/* Returns 0 with *page and *next, or a negative code; see mpd.h. */
int mpd_process_list_page(struct mpd_client *c, const char *state,
			  const char *name_prefix, int64_t parent,
			  int64_t after, size_t limit, json_t **page,
			  int64_t *next, struct mpd_error *err)
{
	json_t *params, *res = NULL, *procs, *n;
	int r = 0;

	if (page == NULL)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_process_list_page: page is NULL");
	if (after < 0 || limit > MPD_MAX_LIST_LIMIT)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_process_list_page: after %" PRId64
				   " is negative or limit %zu is over %d",
				   after, limit, MPD_MAX_LIST_LIMIT);
	params = json_object();
	if (params == NULL)
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	if (state != NULL)
		r = set_string(params, "state", state, err);
	if (r == 0 && name_prefix != NULL)
		r = set_string(params, "name_prefix", name_prefix, err);
	if (r == 0 && parent >= 0 &&
	    set_new(params, "parent", json_integer(parent)) < 0)
		r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	if (r == 0 && after > 0 &&
	    set_new(params, "after", json_integer(after)) < 0)
		r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	if (r == 0 && limit > 0 &&
	    set_new(params, "limit", json_integer((json_int_t)limit)) < 0)
		r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	if (r < 0) {
		json_decref(params);
		return r;
	}
	r = record_call(c, MPD_M_PROCESS_LIST, params, NULL, 0, &res, err);
	if (r < 0)
		return r;
	procs = json_object_get(res, "processes");
	n = json_object_get(res, "next");
	if (!json_is_array(procs)) {
		json_decref(res);
		return client_fail(err, MPD_E_PROTO, 0,
				   "process.list did not return an array of "
				   "processes");
	}
	/* A next that does not move on would page forever. */
	if (n != NULL && !json_is_null(n) &&
	    (!json_is_integer(n) || json_integer_value(n) <= after)) {
		json_decref(res);
		return client_fail(err, MPD_E_PROTO, 0,
				   "process.list returned a \"next\" that is "
				   "not an id above %" PRId64,
				   after);
	}
	if (next != NULL)
		*next = json_is_integer(n) ? json_integer_value(n) : 0;
	*page = json_incref(procs);
	json_decref(res);
	return 0;
}

/* Returns 0 with *list, or a negative code; see mpd.h. */
int mpd_process_list(struct mpd_client *c, const char *state,
		     const char *name_prefix, int64_t parent, json_t **list,
		     struct mpd_error *err)
{
	json_t *all, *page = NULL;
	int64_t after = 0;
	int r;

	if (list == NULL)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_process_list: list is NULL");
	all = json_array();
	if (all == NULL)
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	do {
		r = mpd_process_list_page(c, state, name_prefix, parent, after,
					  0, &page, &after, err);
		if (r < 0) {
			json_decref(all);
			return r;
		}
		r = json_array_extend(all, page);
		json_decref(page);
		if (r < 0) {
			json_decref(all);
			return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
		}
	} while (after > 0);
	*list = all;
	return 0;
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_process_close(struct mpd_client *c, int64_t id, struct mpd_error *err)
{
	return id_call(c, "mpd_process_close", MPD_M_PROCESS_CLOSE, id, NULL,
		       err);
}

/*
 * Returns 0 with *exitcode and *record, MPD_E_TIMEOUT with *record, or a
 * negative code; see mpd.h.
 */
int mpd_run(struct mpd_client *c, const struct mpd_process_options *opts,
	    double timeout, int *exitcode, json_t **record,
	    struct mpd_error *err)
{
	json_t *rec = NULL, *v;
	json_int_t id, code;
	int r;

	if (isnan(timeout))
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_run: timeout is NaN");
	r = process_create(c, opts, true, &rec, err);
	if (r < 0)
		return r;
	v = json_object_get(rec, "id");
	id = json_is_integer(v) ? json_integer_value(v) : 0;
	json_decref(rec);
	rec = NULL;
	if (id < 1)
		return client_fail(err, MPD_E_PROTO, 0,
				   "process.create returned a record without "
				   "an id");
	r = mpd_process_join(c, id, timeout, &rec, err);
	if (r < 0)
		return r;
	v = json_object_get(rec, "exitcode");
	if (json_is_null(v)) {
		if (record != NULL)
			*record = rec;
		else
			json_decref(rec);
		return client_fail(err, MPD_E_TIMEOUT, 0,
				   "process %" JSON_INTEGER_FORMAT
				   " still runs after %g seconds",
				   id, timeout);
	}
	code = json_is_integer(v) ? json_integer_value(v) : INT64_MIN;
	if (code < INT32_MIN || code > INT32_MAX) {
		json_decref(rec);
		return client_fail(err, MPD_E_PROTO, 0,
				   "process.join returned a record without "
				   "an exit code");
	}
	if (exitcode != NULL)
		*exitcode = (int)code;
	if (record != NULL)
		*record = rec;
	else
		json_decref(rec);
	return 0;
}
