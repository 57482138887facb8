/*
 * client.h - libmpd's internal interface between its source files.
 *
 * client.c owns the connection and the error reporting; process.c,
 * worker.c, broker.c and sync.c build on it, and sync.c on broker.c's
 * helpers too; wait.c looks into client.c's and pipe.c's buffers.
 * Nothing here is installed or exported: libmpd is built with hidden
 * visibility and a version script that exports mpd_* only.
 */
#ifndef MPD_CLIENT_H
#define MPD_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "mpd.h"

/*
 * Fill *err (may be NULL) for a failure found by the library itself and
 * return code. fmt NULL means the code's default message; sys_errno is the
 * errno behind it, or 0. The client, if any, stays usable.
 */
__attribute__((format(printf, 4, 5))) int client_fail(struct mpd_error *err,
						      int code, int sys_errno,
						      const char *fmt, ...);

/*
 * broker.c's helpers, shared with sync.c: every call on a named object of
 * the broker is built and checked with them. fn, in each, is the public
 * function on whose behalf it runs, named in messages.
 */

/* "an integer", "a string", ...: the kind of v, for messages. */
const char *broker_json_kind(const json_t *v);

/* The name of an object: present, not empty. Returns 0 or MPD_E_INVAL. */
int broker_check_name(const char *fn, const char *name, struct mpd_error *err);

/* A timeout: any number but NaN. Returns 0 or MPD_E_INVAL. */
int broker_check_timeout(const char *fn, double timeout, struct mpd_error *err);

/* A number to send: JSON has no NaN or infinity. Returns 0 or
 * MPD_E_INVAL. */
int broker_check_finite(const char *fn, const char *what, double v,
			struct mpd_error *err);

/* A value to keep in the broker (v may be NULL: none), nested no deeper
 * than MPD_MAX_ITEM_DEPTH. Returns 0 or MPD_E_INVAL. */
int broker_check_depth(const char *fn, const char *what, const json_t *v,
		       struct mpd_error *err);

/* An index or slice bound within what the daemon takes (+-(2^53 - 1)):
 * past it, the limit, which no sequence is long enough to tell apart. */
int64_t broker_slice_bound(int64_t bound);

/* A pointer the caller must give (an out-parameter, an item, a type).
 * Returns 0 or MPD_E_INVAL. */
int broker_check_given(const char *fn, const char *what, const void *p,
		       struct mpd_error *err);

/*
 * A new JSON string of s in *out. Returns 0; MPD_E_INVAL naming what when s
 * is not valid UTF-8; or MPD_E_NOMEM.
 */
int broker_new_string(const char *fn, const char *what, const char *s,
		      json_t **out, struct mpd_error *err);

/* Set key to value in obj, stealing value (NULL: it could not be built).
 * Returns 0 or MPD_E_NOMEM. */
int broker_add_new(json_t *obj, const char *key, json_t *value,
		   struct mpd_error *err);

/* Add "timeout", unless timeout is negative or infinite (wait as long as
 * it takes). Returns 0 or MPD_E_NOMEM. */
int broker_add_timeout(json_t *params, double timeout, struct mpd_error *err);

/*
 * The params of a call on the object called name, the first step of each:
 * returns 0 with *out a new {"name": name}, or MPD_E_INVAL (name NULL,
 * empty or not UTF-8), MPD_E_NOMEM. The checks and additions that follow
 * run while r is 0; broker_call() then sends, or frees *out and returns r.
 */
int broker_name_params(const char *fn, const char *name, json_t **out,
		       struct mpd_error *err);

/*
 * Call method with params (stolen; NULL when building them failed, then r
 * is the code that says why) and check that its result is an object. With
 * key, that member of it must be there and is handed back in *out (a new
 * reference; out may be NULL to discard it); without key, *out (may be
 * NULL) receives the whole result. Returns 0, r, as mpd_call(), or
 * MPD_E_PROTO (the client stays usable).
 */
int broker_call(struct mpd_client *c, int r, const char *method, json_t *params,
		const char *key, json_t **out, struct mpd_error *err);

/* Call method with {"name": name} only; discard the result. Returns 0 or
 * as broker_call(). */
int broker_name_call(struct mpd_client *c, const char *fn, const char *method,
		     const char *name, struct mpd_error *err);

/* Call a list method ({} params) and hand back its key array in *list (a
 * new reference). Returns 0, MPD_E_INVAL (list NULL), as broker_call(),
 * or MPD_E_PROTO when key is not an array. */
int broker_list_call(struct mpd_client *c, const char *fn, const char *method,
		     const char *key, json_t **list, struct mpd_error *err);

/*
 * client.c, for pool.c, whose task outcomes carry errors as the daemon
 * sends them. client_error_fill() fills *err (may be NULL) from an error
 * of wire code wire, message (NULL: the code's own) and data (borrowed:
 * err->data points to it) and returns its library code (MPD_E_REMOTE
 * when unknown). client_keep_err_data() keeps a reference to data (may
 * be NULL) in c in place of the last daemon error's, and returns it: an
 * err->data borrowed from the client, as mpd.h promises, until the next
 * call. client_last_len() is the length in bytes of the line of the last
 * successful response to a synchronous call.
 */
int client_error_fill(struct mpd_error *err, int wire, const char *message,
		      const json_t *data);
const json_t *client_keep_err_data(struct mpd_client *c, json_t *data);
size_t client_last_len(const struct mpd_client *c);

/*
 * client.c: mpd_call_async() with descriptors (at most 16) sent with the
 * request, as mpd_call_fds() sends them. Returns as mpd_call_async(), and
 * MPD_E_INVAL as mpd_call_fds() for the descriptors.
 */
int client_call_async_fds(struct mpd_client *c, const char *method,
			  json_t *params, const int *fds, size_t nfds,
			  mpd_reply_fn fn, void *arg, struct mpd_error *err);

/*
 * process.c's builders of process.create's params, shared with pool.c:
 * process_string_array() makes *out a new array of the strings of the
 * NULL-terminated v (key names them in messages); process_add_env() adds
 * "env" from "K=V" strings; process_add_stdio() adds the three streams,
 * the descriptors of "pass" ones to fds (*nfds of them). Each returns 0
 * or a negative code (MPD_E_INVAL naming what is wrong, MPD_E_NOMEM).
 */
int process_string_array(const char *const *v, const char *key, json_t **out,
			 struct mpd_error *err);
int process_add_env(json_t *params, const char *const *env,
		    struct mpd_error *err);
int process_add_stdio(json_t *params, const struct mpd_stdio *stdio, int *fds,
		      size_t *nfds, struct mpd_error *err);

/*
 * client.c, for mpd_wait(): 1 when c has a line from the daemon buffered
 * (a notification read with a reply) or events kept during a synchronous
 * call, so that waiting on its descriptor would miss them; else 0.
 */
int client_buffered(const struct mpd_client *c);

/*
 * pipe.c, for mpd_wait(): 1 when a receive on p would not wait for its
 * descriptor (a whole message buffered, or the stream over or out of
 * step), 0 when it would, MPD_E_INVAL (err filled) when p is NULL or only
 * sends.
 */
int pipe_ready(const struct mpd_pipe *p, struct mpd_error *err);

/* listener.c's, shared with shm.c: add "mode" for mode (nothing for the
 * default, the owner). Returns 0, MPD_E_INVAL naming fn when mode is none
 * of enum mpd_chan_mode, or MPD_E_NOMEM. */
int chan_add_mode(const char *fn, json_t *params, enum mpd_chan_mode mode,
		  struct mpd_error *err);

/*
 * client.c's reading outside a synchronous call, for events.c: see
 * client.c. client_read_ready() returns the lines acted on (0: none came
 * within timeout_ms), or a negative code.
 */
int client_read_ready(struct mpd_client *c, int timeout_ms,
		      struct mpd_error *err);
json_t *client_event_pop(struct mpd_client *c); /* new reference, or NULL */
size_t client_events_kept(const struct mpd_client *c);
void client_set_event_handler(struct mpd_client *c, mpd_event_fn fn, void *arg);
void client_deliver_events(struct mpd_client *c);

#endif /* MPD_CLIENT_H */
