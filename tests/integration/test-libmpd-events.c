/*
 * test-libmpd-events.c - libmpd's event subscriptions and its use from an
 * event loop, against a real mpdd: mpd_events_subscribe() with kinds and
 * a prefix, mpd_next_event() with a timeout and with events kept while a
 * call waited, mpd_events_unsubscribe(), the client's bounded store and
 * its marker, mpd_call_async() answered through mpd_dispatch() from a
 * poll() loop with an event handler, a synchronous call while
 * asynchronous ones are in flight, and callbacks told when the
 * connection breaks or the client closes.
 */
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"
#include "libmpd-test.h"
#include "mpd.h"

static struct mpd_client *other;

/* d and c, and a second client. */
static void start_two(void)
{
	start();
	other = connect_ok(d.socket);
}

static void teardown_two(void)
{
	mpd_close(other);
	other = NULL;
	teardown();
}

TestSuite(libmpd_events, .init = start_two, .fini = teardown_two,
	  .timeout = 120);

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The next event of cl, which must come within the test's bound. */
static json_t *next(struct mpd_client *cl)
{
	json_t *ev = NULL;

	OK(mpd_next_event(cl, &ev, TEST_TIMEOUT_MS / 1000.0, &err));
	cr_assert_not_null(ev, "no event came");
	return ev;
}

static void expect(struct mpd_client *cl, const char *kind, const char *event,
		   const char *name)
{
	json_t *ev = next(cl);
	char *text = json_dumps(ev, JSON_COMPACT);

	cr_assert_str_eq(json_string_value(json_object_get(ev, "kind")), kind,
			 "%s", text);
	cr_assert_str_eq(json_string_value(json_object_get(ev, "event")), event,
			 "%s", text);
	cr_assert_str_eq(json_string_value(json_object_get(ev, "name")), name,
			 "%s", text);
	free(text);
	json_decref(ev);
}

static void create_queue(struct mpd_client *cl, const char *name)
{
	OK(mpd_queue_create(cl, name, 0, 0, &err));
}

Test(libmpd_events, next_event_filters_and_times_out)
{
	static const char *const kinds[] = { "queue", NULL };
	int64_t sub = -1;
	json_t *ev = (json_t *)1;
	double t0;

	OK(mpd_events_subscribe(c, kinds, "j", &sub, &err));
	cr_assert_gt(sub, 0);
	create_queue(other, "x");
	OK(mpd_value_create(other, "j-value", "int", NULL, 0, &err));
	create_queue(other, "j1");
	expect(c, "queue", "created", "j1");

	/* Nothing more: NULL after the timeout, not before. */
	t0 = now_s();
	OK(mpd_next_event(c, &ev, 0.3, &err));
	cr_assert_null(ev);
	cr_assert_geq(now_s() - t0, 0.29);
	cr_assert_lt(now_s() - t0, 10);
	/* 0: only what has arrived. */
	ev = (json_t *)1;
	OK(mpd_next_event(c, &ev, 0, &err));
	cr_assert_null(ev);

	/* Events that come while a call waits are kept for later. */
	create_queue(c, "j2");
	OK(mpd_queue_delete(c, "j2", &err));
	cr_assert_eq(mpd_pending(c), 1);
	expect(c, "queue", "created", "j2");
	expect(c, "queue", "deleted", "j2");
	cr_assert_eq(mpd_pending(c), 0);

	OK(mpd_events_unsubscribe(c, sub, &err));
	create_queue(other, "j3");
	OK(mpd_ping(c, &err));
	ev = (json_t *)1;
	OK(mpd_next_event(c, &ev, 0, &err));
	cr_assert_null(ev);
	FAILS(mpd_events_unsubscribe(c, sub, &err), MPD_E_NOT_FOUND);
}

Test(libmpd_events, bad_arguments)
{
	static const char *const none[] = { NULL };
	static const char *const bad[] = { "queue", "nope", NULL };
	int64_t sub = -77;
	json_t *ev;

	FAILS(mpd_events_subscribe(c, NULL, NULL, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_events_subscribe(c, none, NULL, &sub, &err), MPD_E_INVAL);
	FAILS(mpd_events_subscribe(c, bad, NULL, &sub, &err),
	      MPD_E_INVALID_PARAMS);
	cr_assert_eq(sub, -77);
	FAILS(mpd_next_event(c, NULL, 0, &err), MPD_E_INVAL);
	FAILS(mpd_next_event(NULL, &ev, 0, &err), MPD_E_INVAL);
	FAILS(mpd_call_async(c, "", NULL, NULL, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_dispatch(NULL, &err), MPD_E_INVAL);
	for (int i = 0; i < 16; i++)
		OK(mpd_events_subscribe(c, NULL, NULL, &sub, &err));
	FAILS(mpd_events_subscribe(c, NULL, NULL, &sub, &err), MPD_E_LIMIT);
	/* The client is still usable. */
	OK(mpd_ping(c, &err));
}

/* What an asynchronous call's callback saw. */
struct reply {
	int calls;
	int status;
	json_t *result;
	char name[32];
	int order; /* the how-many-th callback it was */
};

static int callbacks;

static void on_reply(struct mpd_client *cl, int status, const json_t *result,
		     const struct mpd_error *e, void *arg)
{
	struct reply *r = arg;

	r->calls++;
	r->status = status;
	r->order = ++callbacks;
	r->result = json_deep_copy(result);
	if (e != NULL)
		snprintf(r->name, sizeof(r->name), "%s", e->name);
}

struct seen {
	json_t *events;
};

static void on_event(struct mpd_client *cl, const json_t *ev, void *arg)
{
	struct seen *s = arg;

	json_array_append(s->events, (json_t *)ev);
}

/* Wait for c's descriptor and dispatch, until done() or the bound. */
static void loop_until(bool (*done)(void *), void *arg)
{
	double end = now_s() + TEST_TIMEOUT_MS / 1000.0;

	while (!done(arg)) {
		struct pollfd p = { .fd = mpd_client_fd(c), .events = POLLIN };

		cr_assert_lt(now_s(), end, "the loop never got there");
		if (!mpd_pending(c))
			poll(&p, 1, 100);
		cr_assert_geq(mpd_dispatch(c, &err), 0, "%s", err.message);
	}
}

static bool three_replies_and_an_event(void *arg)
{
	struct reply *r = arg;
	struct seen *s = (struct seen *)(r + 3);

	return r[0].calls && r[1].calls && r[2].calls &&
	       json_array_size(s->events) >= 1;
}

Test(libmpd_events, async_calls_from_a_poll_loop)
{
	static const char *const kinds[] = { "queue", NULL };
	struct {
		struct reply r[3];
		struct seen s;
	} st = { 0 };
	json_t *params;
	int64_t sub;

	st.s.events = json_array();
	OK(mpd_events_subscribe(c, kinds, NULL, &sub, &err));
	mpd_set_event_handler(c, on_event, &st.s);
	OK(mpd_call_async(c, "daemon.ping", NULL, on_reply, &st.r[0], &err));
	params = json_pack("{s:s}", "name", "aq");
	OK(mpd_call_async(c, "queue.create", params, on_reply, &st.r[1], &err));
	json_decref(params);
	params = json_pack("{s:s, s:i}", "name", "aq", "timeout", 0);
	OK(mpd_call_async(c, "queue.get", params, on_reply, &st.r[2], &err));
	json_decref(params);
	/* Nothing ran yet: nothing was read. */
	cr_assert_eq(callbacks, 0);
	loop_until(three_replies_and_an_event, &st);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(st.r[i].calls, 1);
		cr_assert_eq(st.r[i].order, i + 1, "answered in order");
	}
	cr_assert_eq(st.r[0].status, 0);
	cr_assert(json_is_object(st.r[0].result));
	cr_assert_eq(st.r[1].status, 0);
	cr_assert_str_eq(
		json_string_value(json_object_get(st.r[1].result, "name")),
		"aq");
	cr_assert_eq(st.r[2].status, MPD_E_EMPTY);
	cr_assert_str_eq(st.r[2].name, "empty");
	cr_assert_null(st.r[2].result);
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(st.s.events, 0), "name")),
			 "aq");
	/* Events kept by a synchronous call go to the handler at the next
	 * dispatch, before anything read later. */
	create_queue(c, "later");
	cr_assert_eq(json_array_size(st.s.events), 1);
	cr_assert_geq(mpd_dispatch(c, &err), 0);
	cr_assert_eq(json_array_size(st.s.events), 2);
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(st.s.events, 1), "name")),
			 "later");
	for (int i = 0; i < 3; i++)
		json_decref(st.r[i].result);
	json_decref(st.s.events);
}

/* A synchronous call whose wait meets an asynchronous call's response
 * first: the callback runs, and the call gets its own. */
Test(libmpd_events, sync_call_with_async_in_flight)
{
	struct reply got = { 0 };
	json_t *params, *item = NULL;

	create_queue(c, "q");
	params = json_pack("{s:s, s:i}", "name", "q", "timeout", 30);
	OK(mpd_call_async(c, "queue.get", params, on_reply, &got, &err));
	json_decref(params);
	OK(mpd_ping(c, &err)); /* the get is parked now */
	cr_assert_eq(got.calls, 0);
	item = json_string("hello");
	/* Another client's put wakes the get: its response is written
	 * before anything c sends next is read. */
	OK(mpd_queue_put(other, "q", item, -1, &err));
	json_decref(item);
	cr_assert_eq(got.calls, 0);
	OK(mpd_ping(c, &err));
	cr_assert_eq(got.calls, 1);
	cr_assert_eq(got.status, 0);
	cr_assert_str_eq(json_string_value(json_object_get(got.result, "item")),
			 "hello");
	json_decref(got.result);
	/* And the client goes on. */
	OK(mpd_ping(c, &err));
}

/* Callbacks of calls in flight are told when the daemon goes away, and
 * when the client is closed. */
Test(libmpd_events, callbacks_told_of_a_lost_connection)
{
	struct reply a = { 0 }, b = { 0 };
	json_t *params;
	int r;

	create_queue(other, "never");
	params = json_pack("{s:s}", "name", "never");
	OK(mpd_call_async(other, "queue.get", params, on_reply, &b, &err));
	OK(mpd_call_async(c, "queue.get", params, on_reply, &a, &err));
	json_decref(params);
	OK(mpd_ping(c, &err));
	mpd_close(other);
	other = NULL;
	cr_assert_eq(b.calls, 1);
	cr_assert_eq(b.status, MPD_E_IO);

	mpdd_cleanup(&d); /* SIGKILL: no goodbye */
	for (int i = 0; i < 100 && a.calls == 0; i++) {
		struct pollfd p = { .fd = mpd_client_fd(c), .events = POLLIN };

		poll(&p, 1, 100);
		r = mpd_dispatch(c, &err);
		if (r < 0) {
			cr_assert_eq(r, MPD_E_IO);
			break;
		}
	}
	cr_assert_eq(a.calls, 1);
	cr_assert_eq(a.status, MPD_E_IO);
	FAILS(mpd_ping(c, &err), MPD_E_IO);
}

#define STORE_FLOOD (MPD_EVENTS_KEPT + 300)

/* More events than the client keeps arrive while a call waits: it keeps
 * the first ones and a marker counting the rest. */
Test(libmpd_events, client_store_is_bounded)
{
	static const char *const kinds[] = { "queue", NULL };
	long long got = 0, lost = 0;
	int64_t sub;
	char name[32];
	json_t *ev;

	OK(mpd_events_subscribe(c, kinds, NULL, &sub, &err));
	for (int i = 0; i < STORE_FLOOD; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		create_queue(other, name);
	}
	OK(mpd_ping(c, &err)); /* reads every event on its way */
	/* One taken leaves one slot: still the marker's, later events are
	 * counted on it, not kept after it. */
	ev = next(c);
	json_decref(ev);
	got++;
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		create_queue(other, name);
	}
	OK(mpd_ping(c, &err));
	for (int markers = 0;;) {
		ev = NULL;
		OK(mpd_next_event(c, &ev, 0, &err));
		if (ev == NULL)
			break;
		if (strcmp(json_string_value(json_object_get(ev, "kind")),
			   "events") == 0) {
			cr_assert(json_is_true(json_object_get(ev, "client")));
			cr_assert_eq(++markers, 1);
			lost += json_integer_value(
				json_object_get(ev, "count"));
		} else {
			cr_assert_eq(lost, 0, "an event after the marker");
			got++;
		}
		json_decref(ev);
	}
	cr_assert_eq(got, MPD_EVENTS_KEPT - 1);
	cr_assert_eq(got + lost, STORE_FLOOD + 5);
	/* Room again: later events are kept. */
	create_queue(other, "after");
	expect(c, "queue", "created", "after");
}

/* What an asynchronous call that passes a descriptor saw. */
struct fd_reply {
	int calls;
	int status;
	int fd; /* taken, or -1 */
	bool take;
};

static void on_fd_reply(struct mpd_client *cl, int status, const json_t *result,
			const struct mpd_error *e, void *arg)
{
	struct fd_reply *r = arg;

	r->calls++;
	r->status = status;
	r->fd = r->take ? mpd_take_fd(cl, 0) : -1;
}

/* Descriptors passed with responses: an asynchronous call's callback
 * takes them with mpd_take_fd(), or they are closed when it returns; a
 * synchronous call that met those responses on its way keeps its own. */
Test(libmpd_events, descriptors_in_async_and_sync_replies)
{
	struct fd_reply created = { .take = true }, attached = { 0 };
	json_t *params, *res = NULL;
	struct stat st;
	int before, fd;

	before = test_count_fds(getpid());
	params = json_pack("{s:s, s:i}", "name", "m", "size", 8192);
	OK(mpd_call_async(c, "shm.create", params, on_fd_reply, &created,
			  &err));
	json_decref(params);
	params = json_pack("{s:s}", "name", "m");
	OK(mpd_call_async(c, "shm.attach", params, on_fd_reply, &attached,
			  &err));
	OK(mpd_call(c, "shm.attach", params, &res, &err));
	json_decref(params);
	json_decref(res);
	fd = mpd_take_fd(c, 0);
	cr_assert_geq(fd, 0, "the synchronous call's descriptor: %d", fd);
	cr_assert_eq(created.calls, 1);
	cr_assert_eq(created.status, 0);
	cr_assert_geq(created.fd, 0);
	cr_assert_eq(attached.calls, 1);
	cr_assert_eq(attached.status, 0);
	cr_assert(fstat(created.fd, &st) == 0 && st.st_size == 8192);
	cr_assert(fstat(fd, &st) == 0 && st.st_size == 8192);
	/* The one nobody took was closed. */
	cr_assert_eq(test_count_fds(getpid()), before + 2);
	close(fd);
	close(created.fd);
}
