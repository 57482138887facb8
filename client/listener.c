/*
 * listener.c - libmpd's listeners: the listener.* methods of mpdd, named
 * rendezvous whose connections are socketpairs the daemon makes and hands
 * out, one end to the acceptor and one to the connector.
 *
 * Written as broker.c is, on its helpers (client.h): the arguments are
 * checked before anything is sent, optional params are sent only when
 * they differ from the default, and each result is checked before use.
 * An accept or a connect takes the descriptor its reply names
 * (mpd_take_fd()) before it checks the rest, and closes it on any failure
 * after; one the reply does not name the client closes at its next call.
 * The daemon answers a wait that ran out with empty (an accept) or
 * full (a connect) and reason "timeout" in its data; the library turns
 * those into MPD_E_TIMEOUT, which no other outcome of these calls gives.
 * chan_add_mode() serves shm.c's segments too.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "mpd.h"
#include "proto.h"

/* The wire name of mode, or NULL when it is none of them. */
static const char *chan_mode_text(enum mpd_chan_mode mode)
{
	switch (mode) {
	case MPD_CHAN_OWNER:
		return "owner";
	case MPD_CHAN_GROUP:
		return "group";
	case MPD_CHAN_EVERYONE:
		return "everyone";
	}
	return NULL;
}

/* Returns 0 or a negative code; see client.h. */
int chan_add_mode(const char *fn, json_t *params, enum mpd_chan_mode mode,
		  struct mpd_error *err)
{
	const char *text = chan_mode_text(mode);

	if (text == NULL)
		return client_fail(err, MPD_E_INVAL, 0,
				   "%s: mode %d is unknown", fn, (int)mode);
	if (mode == MPD_CHAN_OWNER)
		return 0;
	return broker_add_new(params, "mode", json_string(text), err);
}

/*
 * The daemon's answer to a wait that ran out (code want, data reason
 * "timeout") as MPD_E_TIMEOUT: err keeps the daemon's message and data.
 * Returns the code to return.
 */
static int timed_out(int r, int want, struct mpd_error *err)
{
	const json_t *reason;

	if (r != want)
		return r;
	reason = json_object_get(err->data, "reason");
	if (!json_is_string(reason) ||
	    strcmp(json_string_value(reason), "timeout") != 0)
		return r;
	err->code = MPD_E_TIMEOUT;
	snprintf(err->name, sizeof(err->name), "%s",
		 mpd_err_name(MPD_E_TIMEOUT));
	return MPD_E_TIMEOUT;
}

/*
 * An accept or a connect on behalf of fn: method on name, waiting at most
 * timeout; want the daemon's error for a wait that ran out. Returns 0
 * with *fd and *peer (may be NULL), or a negative code.
 */
static int rendezvous(struct mpd_client *c, const char *fn, const char *method,
		      int want, const char *name, double timeout, int *fd,
		      json_t **peer, struct mpd_error *err)
{
	json_t *p = NULL, *res = NULL, *idx, *who;
	struct mpd_error own;
	int r, end = -1;

	/* The daemon's data tells a timeout from the rest: keep it. */
	if (err == NULL)
		err = &own;
	r = broker_name_params(fn, name, &p, err);
	if (r == 0)
		r = broker_check_timeout(fn, timeout, err);
	if (r == 0)
		r = broker_check_given(fn, "fd", fd, err);
	if (r == 0)
		r = broker_add_timeout(p, timeout, err);
	r = broker_call(c, r, method, p, NULL, &res, err);
	if (r < 0)
		return timed_out(r, want, err);
	idx = json_object_get(res, "fd");
	if (!json_is_integer(idx)) {
		r = client_fail(err, MPD_E_PROTO, 0,
				"%s returned %s as \"fd\", not an integer",
				method, broker_json_kind(idx));
		goto out;
	}
	if (json_integer_value(idx) < 0 || json_integer_value(idx) > INT_MAX ||
	    (end = mpd_take_fd(c, (int)json_integer_value(idx))) < 0) {
		end = -1;
		r = client_fail(err, MPD_E_PROTO, 0,
				"%s passed no descriptor %" JSON_INTEGER_FORMAT,
				method, json_integer_value(idx));
		goto out;
	}
	/* null: the daemon could not say (out of memory), the connection
	 * is good all the same. */
	who = json_object_get(res, "peer");
	if (!json_is_object(who) && !json_is_null(who)) {
		r = client_fail(err, MPD_E_PROTO, 0,
				"%s returned %s as \"peer\", not an object",
				method, broker_json_kind(who));
		goto out;
	}
	if (peer != NULL)
		*peer = json_incref(who);
	*fd = end;
	end = -1;
out:
	if (end >= 0)
		close(end);
	json_decref(res);
	return r;
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_listener_create(struct mpd_client *c, const char *name,
			const struct mpd_listener_options *opts,
			struct mpd_error *err)
{
	static const struct mpd_listener_options defaults;
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (opts == NULL)
		opts = &defaults;
	if (r == 0 && opts->backlog != MPD_LISTENER_NO_BACKLOG &&
	    (opts->backlog < 0 || opts->backlog > MPD_LISTENER_MAX_BACKLOG))
		r = client_fail(err, MPD_E_INVAL, 0,
				"%s: backlog %d is not 0 to %d or "
				"MPD_LISTENER_NO_BACKLOG",
				__func__, opts->backlog,
				MPD_LISTENER_MAX_BACKLOG);
	if (r == 0 && opts->backlog != 0)
		r = broker_add_new(
			p, "backlog",
			json_integer(opts->backlog == MPD_LISTENER_NO_BACKLOG ?
					     0 :
					     opts->backlog),
			err);
	if (r == 0)
		r = chan_add_mode(__func__, p, opts->mode, err);
	return broker_call(c, r, MPD_M_LISTENER_CREATE, p, NULL, NULL, err);
}

/* Returns 0 with *fd and *peer, or a negative code; see mpd.h. */
int mpd_listener_accept(struct mpd_client *c, const char *name, double timeout,
			int *fd, json_t **peer, struct mpd_error *err)
{
	return rendezvous(c, __func__, MPD_M_LISTENER_ACCEPT, MPD_E_EMPTY, name,
			  timeout, fd, peer, err);
}

/* Returns 0 with *fd and *peer, or a negative code; see mpd.h. */
int mpd_listener_connect(struct mpd_client *c, const char *name, double timeout,
			 int *fd, json_t **peer, struct mpd_error *err)
{
	return rendezvous(c, __func__, MPD_M_LISTENER_CONNECT, MPD_E_FULL, name,
			  timeout, fd, peer, err);
}

/* Returns 0 with *info, or a negative code; see mpd.h. */
int mpd_listener_info(struct mpd_client *c, const char *name, json_t **info,
		      struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_given(__func__, "info", info, err);
	return broker_call(c, r, MPD_M_LISTENER_INFO, p, NULL, info, err);
}

/* Returns 0 with *list, or a negative code; see mpd.h. */
int mpd_listener_list(struct mpd_client *c, json_t **list,
		      struct mpd_error *err)
{
	return broker_list_call(c, __func__, MPD_M_LISTENER_LIST, "listeners",
				list, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_listener_close(struct mpd_client *c, const char *name,
		       struct mpd_error *err)
{
	return broker_name_call(c, __func__, MPD_M_LISTENER_CLOSE, name, err);
}

/*
 * An accept sent without waiting (mpd_listener_accept_start()): filled by
 * its callback when the reply is read. Freed by the caller once done, or
 * by the callback when the caller let it go before.
 */
struct mpd_accept {
	struct mpd_client *c;
	bool done, orphaned;
	int status; /* 0, or the accept's error */
	int fd; /* the end, -1 once taken */
	json_t *peer;
	struct mpd_error err; /* the accept's error; data not kept */
};

static void accept_free(struct mpd_accept *a)
{
	if (a->fd >= 0)
		close(a->fd);
	json_decref(a->peer);
	free(a);
}

static void accept_cb(struct mpd_client *c, int status, const json_t *result,
		      const struct mpd_error *err, void *arg)
{
	struct mpd_accept *a = arg;
	const json_t *idx, *who;

	a->done = true;
	a->status = status;
	if (status < 0) {
		if (err != NULL) {
			a->err = *err;
			status = timed_out(status, MPD_E_EMPTY, &a->err);
			a->err.data = NULL; /* the client's, only for now */
		} else {
			client_fail(&a->err, status, 0, NULL);
		}
		a->status = status;
	} else {
		idx = json_object_get(result, "fd");
		who = json_object_get(result, "peer");
		if (json_is_integer(idx) && json_integer_value(idx) >= 0 &&
		    json_integer_value(idx) <= INT_MAX)
			a->fd = mpd_take_fd(c, (int)json_integer_value(idx));
		if (a->fd < 0 || (!json_is_object(who) && !json_is_null(who)))
			a->status = client_fail(&a->err, MPD_E_PROTO, 0,
						"listener.accept returned no "
						"descriptor or no peer");
		else
			a->peer = json_incref((json_t *)who);
	}
	if (a->orphaned)
		accept_free(a);
}

/* Returns 0 with *out, or a negative code; see mpd.h. */
int mpd_listener_accept_start(struct mpd_client *c, const char *name,
			      double timeout, struct mpd_accept **out,
			      struct mpd_error *err)
{
	const char *fn = __func__;
	struct mpd_accept *a;
	json_t *p = NULL;
	int r = broker_name_params(fn, name, &p, err);

	if (r == 0)
		r = broker_check_timeout(fn, timeout, err);
	if (r == 0 && out == NULL)
		r = client_fail(err, MPD_E_INVAL, 0, "%s: out is NULL", fn);
	if (r == 0)
		r = broker_add_timeout(p, timeout, err);
	if (r < 0) {
		json_decref(p);
		return r;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		json_decref(p);
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	}
	a->c = c;
	a->fd = -1;
	r = mpd_call_async(c, MPD_M_LISTENER_ACCEPT, p, accept_cb, a, err);
	json_decref(p);
	if (r < 0) {
		free(a);
		return r;
	}
	*out = a;
	return 0;
}

/* Returns 1 with *fd, 0 when not yet, or a negative code; see mpd.h. */
int mpd_accept_poll(struct mpd_accept *a, int *fd, json_t **peer,
		    struct mpd_error *err)
{
	int r;

	if (a == NULL || fd == NULL)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_accept_poll: %s is NULL",
				   a == NULL ? "a" : "fd");
	if (!a->done) {
		r = mpd_dispatch(a->c, err);
		if (r < 0 && !a->done)
			return r;
	}
	if (!a->done)
		return 0;
	if (a->status < 0) {
		if (err != NULL)
			*err = a->err;
		return a->status;
	}
	if (a->fd < 0)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_accept_poll: the descriptor was "
				   "taken already");
	*fd = a->fd;
	a->fd = -1;
	if (peer != NULL)
		*peer = json_incref(a->peer);
	return 1;
}

/* Frees a; an accept still in flight is freed when its reply comes. */
void mpd_accept_free(struct mpd_accept *a)
{
	if (a == NULL)
		return;
	if (a->done)
		accept_free(a);
	else
		a->orphaned = true;
}
