/*
 * events.c - libmpd's event subscriptions (events.subscribe), and the
 * calls that let a program use a client from its own event loop:
 * mpd_next_event(), mpd_dispatch() and the event handler.
 *
 * The reading itself is client.c's (client_read_ready()), since it shares
 * the stream with the synchronous calls: whatever reads a line acts on it,
 * keeping events and running asynchronous calls' callbacks, so every
 * way of reading keeps the stream in step.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "mpd.h"
#include "proto.h"

/* Returns 0 with *sub set, or a negative code; see mpd.h. */
int mpd_events_subscribe(struct mpd_client *c, const char *const *kinds,
			 const char *prefix, int64_t *sub,
			 struct mpd_error *err)
{
	json_t *params, *a, *res = NULL;
	int r;

	if (sub == NULL)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_events_subscribe: sub is NULL");
	if (kinds != NULL && kinds[0] == NULL)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_events_subscribe: kinds is empty: "
				   "give NULL for every kind");
	params = json_object();
	if (params == NULL)
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	r = 0;
	if (kinds != NULL) {
		a = json_array();
		for (size_t i = 0; a != NULL && kinds[i] != NULL && r == 0;
		     i++) {
			json_t *k = NULL;

			r = broker_new_string("mpd_events_subscribe", "kinds",
					      kinds[i], &k, err);
			if (r == 0 && json_array_append_new(a, k) == -1)
				r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
		}
		if (r == 0)
			r = broker_add_new(params, "kinds", a, err);
		else
			json_decref(a);
	}
	if (r == 0 && prefix != NULL && prefix[0] != '\0') {
		json_t *p = NULL;

		r = broker_new_string("mpd_events_subscribe", "prefix", prefix,
				      &p, err);
		if (r == 0)
			r = broker_add_new(params, "prefix", p, err);
	}
	if (r < 0) {
		json_decref(params);
		return r;
	}
	r = broker_call(c, 0, MPD_M_EVENTS_SUBSCRIBE, params, "subscription",
			&res, err);
	if (r < 0)
		return r;
	if (!json_is_integer(res)) {
		json_decref(res);
		return client_fail(err, MPD_E_PROTO, 0,
				   "events.subscribe: \"subscription\" is not "
				   "an integer");
	}
	*sub = json_integer_value(res);
	json_decref(res);
	return 0;
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_events_unsubscribe(struct mpd_client *c, int64_t sub,
			   struct mpd_error *err)
{
	json_t *params = json_pack("{s:I}", "subscription", (json_int_t)sub);

	return broker_call(c, params == NULL ? MPD_E_NOMEM : 0,
			   MPD_M_EVENTS_UNSUBSCRIBE, params, NULL, NULL, err);
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Returns 0 with *ev set (NULL: none in time), or a negative code. */
int mpd_next_event(struct mpd_client *c, json_t **ev, double timeout,
		   struct mpd_error *err)
{
	double deadline = 0;
	int r;

	if (c == NULL || ev == NULL)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_next_event: %s is NULL",
				   c == NULL ? "client" : "ev");
	if (isnan(timeout))
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_next_event: timeout is NaN");
	*ev = NULL;
	if (timeout >= 0 && isfinite(timeout))
		deadline = mono_now() + timeout;
	for (;;) {
		int ms = -1;

		if ((*ev = client_event_pop(c)) != NULL)
			return 0;
		if (timeout >= 0 && isfinite(timeout)) {
			double left = deadline - mono_now();

			/* Rounded up: never wake a little early, then spin. */
			ms = left <= 0	  ? 0 :
			     left > 86400 ? 86400000 :
					    (int)ceil(left * 1000);
		}
		r = client_read_ready(c, ms, err);
		if (r < 0)
			return r;
		if (r == 0 && ms == 0 && client_events_kept(c) == 0)
			return 0; /* none in time */
	}
}

void mpd_set_event_handler(struct mpd_client *c, mpd_event_fn fn, void *arg)
{
	if (c != NULL)
		client_set_event_handler(c, fn, arg);
}

/* Reads one mpd_dispatch() makes at most; what is left stays readable. */
#define DISPATCH_READS 64

/* Returns the lines acted on, or a negative code; see mpd.h. */
int mpd_dispatch(struct mpd_client *c, struct mpd_error *err)
{
	int total = 0, r;

	if (c == NULL)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_dispatch: client is NULL");
	/* Events kept by the calls since the last dispatch go first. */
	client_deliver_events(c);
	/* A bounded turn: a daemon that never stops talking must not keep
	 * the caller's loop from its other work. */
	for (int i = 0; i < DISPATCH_READS; i++) {
		r = client_read_ready(c, 0, err);
		if (r <= 0)
			return r < 0 ? r : total;
		total += r;
	}
	return total;
}
