/*
 * test-sync.c - locks, semaphores, events, conditions and barriers against
 * a real mpdd, in raw JSON-RPC lines: every method's result, every error
 * and bad param (the daemon still serving after each), waits and their
 * timeouts, first-come-first-served hand-over, RLock counts, what a holder
 * that goes away (a closed connection, a killed worker, a lease that ran
 * out) gives back and how the next acquirer is told, condition waits that
 * answer only with the lock taken back, barrier rounds and breaks,
 * max_objects, and a counter kept exact under a lock by eight clients.
 * The behaviours follow CPython's _TestLock, _TestSemaphore,
 * _TestCondition, _TestEvent and _TestBarrier where they apply; where mpd
 * differs (holders are connections, order is promised, abandoned), the
 * tests follow docs/protocol.md, "Synchronization".
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "harness.h"

/* A wait meant to pass (0.2 s) must end well within this. */
#define LATE_S	5.0
#define SHORT_S 0.2

static struct mpdd d;

static void teardown(void)
{
	mpdd_teardown(&d);
}

/* One timeout for the suite, long enough for the stress test under the
 * sanitizers: a test's own .timeout leaks a runner allocation of
 * Criterion 2.4 when tests run in parallel, which LeakSanitizer fails. */
TestSuite(sync, .fini = teardown, .timeout = 300);

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Assert the reply to id is the error want; returns its code. */
static int error_for(int fd, const char *id, const char *want)
{
	json_t *r = test_reply_for(fd, id);
	const char *name;
	int code = test_error_code(r, &name);

	cr_assert_str_eq(name, want, "%s: got %s", id, name);
	json_decref(r);
	return code;
}

/* Assert obj has exactly the keys listed (NULL-terminated). */
static void assert_keys(json_t *obj, const char *const *keys)
{
	char *text = json_dumps(obj, JSON_COMPACT);
	size_t n = 0;

	cr_assert(json_is_object(obj), "not an object: %s", text);
	for (; keys[n] != NULL; n++)
		cr_assert(json_object_get(obj, keys[n]) != NULL,
			  "no \"%s\" in %s", keys[n], text);
	cr_assert_eq(json_object_size(obj), n, "keys of %s", text);
	free(text);
}

/* Poll daemon.info until it counts n connections (this one included). */
static void await_connections(int fd, long long n)
{
	double end = now_s() + TEST_TIMEOUT_MS / 1000.0;

	for (;;) {
		json_t *r = test_ok(fd, "daemon.info", NULL);
		long long have = test_int(r, "connections");

		json_decref(r);
		if (have == n)
			return;
		cr_assert(now_s() < end, "%lld connections, want %lld", have,
			  n);
	}
}

static void mklock(int fd, const char *name, bool recursive)
{
	test_ok0(fd, "lock.create",
		 json_pack("{s:s, s:b}", "name", name, "recursive", recursive));
}

/* Acquire name (lock.acquire or condition.acquire), asserting it is
 * taken; returns the result. */
static json_t *take(int fd, const char *method, const char *name)
{
	json_t *r = test_ok(fd, method, test_nm(name));

	cr_assert(test_bool(r, "acquired"), "%s %s not acquired", method, name);
	return r;
}

static void take0(int fd, const char *method, const char *name)
{
	json_decref(take(fd, method, name));
}

/* The connection number of the holder in an info result. */
static long long holder_conn(json_t *inf)
{
	json_t *h = json_object_get(inf, "holder");

	cr_assert(json_is_object(h), "no holder");
	return test_int(h, "connection");
}

/* --- Locks ------------------------------------------------------------ */

Test(sync, lock_results_and_info_have_the_documented_keys)
{
	static const char *const create_keys[] = { "name", "recursive",
						   "created", NULL };
	static const char *const acq_keys[] = { "acquired", "abandoned",
						"count", NULL };
	static const char *const info_keys[] = {
		"name",	   "recursive", "locked", "count", "holder",
		"waiters", "abandoned", "lease",  NULL
	};
	static const char *const holder_keys[] = { "connection", "pid",
						   "process", NULL };
	json_t *r, *list;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	r = test_ok(fd, "lock.create", json_pack("{s:s}", "name", "db"));
	assert_keys(r, create_keys);
	cr_assert_str_eq(json_string_value(json_object_get(r, "name")), "db");
	cr_assert(!test_bool(r, "recursive"));
	cr_assert(test_bool(r, "created"));
	json_decref(r);
	r = test_info(fd, "lock", "db");
	assert_keys(r, info_keys);
	cr_assert(!test_bool(r, "locked"));
	cr_assert_eq(test_int(r, "count"), 0);
	cr_assert(json_is_null(json_object_get(r, "holder")));
	cr_assert_eq(test_int(r, "waiters"), 0);
	cr_assert(!test_bool(r, "abandoned"));
	cr_assert(json_is_null(json_object_get(r, "lease")));
	json_decref(r);

	r = test_ok(fd, "lock.acquire",
		    json_pack("{s:s, s:i}", "name", "db", "timeout", 5));
	assert_keys(r, acq_keys);
	cr_assert(test_bool(r, "acquired"));
	cr_assert(!test_bool(r, "abandoned"));
	cr_assert_eq(test_int(r, "count"), 1);
	json_decref(r);
	r = test_info(fd, "lock", "db");
	assert_keys(r, info_keys);
	cr_assert(test_bool(r, "locked"));
	cr_assert_eq(test_int(r, "count"), 1);
	assert_keys(json_object_get(r, "holder"), holder_keys);
	cr_assert_eq(test_int(json_object_get(r, "holder"), "pid"), getpid());
	cr_assert(json_is_null(
		json_object_get(json_object_get(r, "holder"), "process")));
	cr_assert(holder_conn(r) >= 1);
	json_decref(r);

	r = test_ok(fd, "lock.release", test_nm("db"));
	cr_assert_eq(json_object_size(r), 1);
	cr_assert_eq(test_int(r, "count"), 0);
	json_decref(r);

	mklock(fd, "alpha", true);
	take0(fd, "lock.acquire", "alpha");
	r = test_ok(fd, "lock.list", NULL);
	list = json_object_get(r, "locks");
	cr_assert_eq(json_array_size(list), 2);
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(list, 0), "name")),
			 "alpha");
	cr_assert(json_is_true(
		json_object_get(json_array_get(list, 0), "recursive")));
	cr_assert(json_is_true(
		json_object_get(json_array_get(list, 0), "locked")));
	cr_assert(json_is_false(
		json_object_get(json_array_get(list, 1), "locked")));
	json_decref(r);

	r = test_ok(fd, "lock.delete", test_nm("db"));
	cr_assert_eq(json_object_size(r), 0);
	json_decref(r);
	test_fails(fd, "lock.info", test_nm("db"), "not_found");
	test_hang_up(fd);
	mpdd_stop(&d);
}

/* Python's Lock: acquire(blocking=False) by the holder itself fails. */
Test(sync, a_plain_lock_is_not_reentrant)
{
	json_t *r;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	mklock(fd, "l", false);
	take0(fd, "lock.acquire", "l");
	r = test_ok(fd, "lock.acquire",
		    json_pack("{s:s, s:i}", "name", "l", "timeout", 0));
	cr_assert(!test_bool(r, "acquired"));
	cr_assert_eq(json_object_size(r), 1,
		     "a refused acquire says only "
		     "acquired: false");
	json_decref(r);
	r = test_info(fd, "lock", "l");
	cr_assert_eq(test_int(r, "count"), 1);
	json_decref(r);
	test_ok0(fd, "lock.release", test_nm("l"));
	test_hang_up(fd);
	mpdd_stop(&d);
}

Test(sync, release_refusals_are_invalid_state)
{
	char want[128];
	json_t *r;
	const char *msg;
	int a, b;
	long long conn;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	mklock(a, "db", false);
	/* Never acquired. */
	cr_assert_eq(test_fails(a, "lock.release", test_nm("db"),
				"invalid_state"),
		     3);
	test_assert_ping(d.socket);
	/* Held by another connection, which the message names. */
	take0(a, "lock.acquire", "db");
	r = test_info(a, "lock", "db");
	conn = holder_conn(r);
	json_decref(r);
	r = test_call(b, "lock.release", test_nm("db"));
	cr_assert_eq(test_error_code(r, NULL), 3);
	msg = json_string_value(
		json_object_get(json_object_get(r, "error"), "message"));
	snprintf(want, sizeof(want),
		 "lock \"db\" is held by connection %lld, not this one", conn);
	cr_assert(msg != NULL && strstr(msg, want) != NULL, "message: %s", msg);
	json_decref(r);
	test_assert_ping(d.socket);
	/* Still held by a: the refused release changed nothing. */
	r = test_info(b, "lock", "db");
	cr_assert_eq(holder_conn(r), conn);
	json_decref(r);
	/* Released already. */
	test_ok0(a, "lock.release", test_nm("db"));
	test_fails(a, "lock.release", test_nm("db"), "invalid_state");
	test_assert_ping(d.socket);
	test_hang_up(a);
	test_hang_up(b);
	mpdd_stop(&d);
}

/* Python's RLock: a count per holder, refused to others. */
Test(sync, an_rlock_counts_its_holders_acquisitions)
{
	json_t *r;
	int a, b;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	mklock(a, "r", true);
	for (int i = 1; i <= 3; i++) {
		r = test_ok(a, "lock.acquire",
			    json_pack("{s:s, s:i}", "name", "r", "timeout", 0));
		cr_assert(test_bool(r, "acquired"));
		cr_assert_eq(test_int(r, "count"), i);
		json_decref(r);
	}
	r = test_info(b, "lock", "r");
	cr_assert(test_bool(r, "locked"));
	cr_assert_eq(test_int(r, "count"), 3);
	json_decref(r);
	/* Another connection neither enters nor releases it. */
	r = test_ok(b, "lock.acquire",
		    json_pack("{s:s, s:i}", "name", "r", "timeout", 0));
	cr_assert(!test_bool(r, "acquired"));
	json_decref(r);
	test_fails(b, "lock.release", test_nm("r"), "invalid_state");
	for (int i = 2; i >= 0; i--) {
		r = test_ok(a, "lock.release", test_nm("r"));
		cr_assert_eq(test_int(r, "count"), i);
		json_decref(r);
	}
	r = test_info(b, "lock", "r");
	cr_assert(!test_bool(r, "locked"));
	cr_assert_eq(test_int(r, "count"), 0);
	json_decref(r);
	test_fails(a, "lock.release", test_nm("r"), "invalid_state");
	take0(b, "lock.acquire", "r");
	/* Re-entry does not queue behind waiters: it is the holder's. */
	test_send_call(a, "a", "lock.acquire", test_nm("r"));
	test_settle(a);
	r = test_ok(b, "lock.acquire",
		    json_pack("{s:s, s:i}", "name", "r", "timeout", 0));
	cr_assert(test_bool(r, "acquired"));
	cr_assert_eq(test_int(r, "count"), 2);
	json_decref(r);
	test_ok0(b, "lock.release", test_nm("r"));
	test_ok0(b, "lock.release", test_nm("r"));
	r = test_result_for(a, "a");
	cr_assert(test_bool(r, "acquired"));
	json_decref(r);
	test_assert_ping(d.socket);
	test_hang_up(a);
	test_hang_up(b);
	mpdd_stop(&d);
}

/*
 * Calls that may grant a hold, and barrier.wait, are not run without an
 * id: the lock stays free, no permit or barrier place is taken, and a
 * condition's lock is not released by a wait.
 */
Test(sync, holds_sent_as_notifications_are_not_run)
{
	json_t *r;
	int a, b;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	mklock(a, "l", false);
	test_ok0(a, "semaphore.create",
		 json_pack("{s:s, s:i}", "name", "s", "value", 1));
	test_ok0(a, "condition.create", test_nm("c"));
	test_ok0(a, "barrier.create",
		 json_pack("{s:s, s:i}", "name", "b", "parties", 2));
	test_send_call(a, NULL, "lock.acquire", test_nm("l"));
	test_send_call(a, NULL, "semaphore.acquire", test_nm("s"));
	test_send_call(a, NULL, "condition.acquire", test_nm("c"));
	test_send_call(a, NULL, "barrier.wait", test_nm("b"));
	test_settle(a);
	r = test_info(b, "lock", "l");
	cr_assert(!test_bool(r, "locked"));
	json_decref(r);
	r = test_info(b, "semaphore", "s");
	cr_assert_eq(test_int(r, "value"), 1);
	json_decref(r);
	r = test_info(b, "condition", "c");
	cr_assert(!test_bool(r, "locked"));
	json_decref(r);
	r = test_info(b, "barrier", "b");
	cr_assert_eq(test_int(r, "n_waiting"), 0);
	json_decref(r);
	/* A condition.wait notification leaves the lock with its holder. */
	take0(a, "condition.acquire", "c");
	test_send_call(a, NULL, "condition.wait", test_nm("c"));
	test_settle(a);
	r = test_info(b, "condition", "c");
	cr_assert(test_bool(r, "locked"));
	cr_assert_eq(test_int(r, "waiters"), 0);
	json_decref(r);
	r = test_ok(b, "lock.acquire",
		    json_pack("{s:s, s:i}", "name", "l", "timeout", 0));
	cr_assert(test_bool(r, "acquired"));
	json_decref(r);
	test_assert_ping(d.socket);
	test_hang_up(a);
	test_hang_up(b);
	mpdd_stop(&d);
}

Test(sync, acquire_timeouts_zero_and_short)
{
	double t0, took;
	json_t *r;
	int a, b;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	mklock(a, "l", false);
	take0(a, "lock.acquire", "l");
	t0 = now_s();
	r = test_ok(b, "lock.acquire",
		    json_pack("{s:s, s:i}", "name", "l", "timeout", 0));
	took = now_s() - t0;
	cr_assert(!test_bool(r, "acquired"));
	cr_assert(took < 1.0, "timeout 0 took %.3f s", took);
	json_decref(r);
	t0 = now_s();
	r = test_ok(b, "lock.acquire",
		    json_pack("{s:s, s:f}", "name", "l", "timeout", SHORT_S));
	took = now_s() - t0;
	cr_assert(!test_bool(r, "acquired"));
	cr_assert(took >= SHORT_S, "timeout %.1f answered after %.3f s",
		  SHORT_S, took);
	cr_assert(took < LATE_S, "timeout %.1f answered after %.3f s", SHORT_S,
		  took);
	json_decref(r);
	/* The timed-out waiter left the queue. */
	r = test_info(a, "lock", "l");
	cr_assert_eq(test_int(r, "waiters"), 0);
	json_decref(r);
	test_hang_up(a);
	test_hang_up(b);
	mpdd_stop(&d);
}

Test(sync, waiters_get_the_lock_first_come_first_served)
{
	enum { N = 5 };
	int holder, w[N];
	char id[8];
	json_t *r;

	mpdd_start(&d, NULL);
	holder = test_connect(d.socket);
	mklock(holder, "l", false);
	take0(holder, "lock.acquire", "l");
	for (int i = 0; i < N; i++) {
		w[i] = test_connect(d.socket);
		snprintf(id, sizeof(id), "w%d", i);
		test_send_call(w[i], id, "lock.acquire", test_nm("l"));
		test_settle(w[i]);
		r = test_info(holder, "lock", "l");
		cr_assert_eq(test_int(r, "waiters"), i + 1);
		json_decref(r);
	}
	test_ok0(holder, "lock.release", test_nm("l"));
	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "w%d", i);
		r = test_result_for(w[i], id);
		cr_assert(test_bool(r, "acquired"));
		cr_assert(!test_bool(r, "abandoned"));
		json_decref(r);
		/* The ones behind it are still parked. */
		for (int j = i + 1; j < N; j++)
			test_settle(w[j]);
		r = test_info(holder, "lock", "l");
		cr_assert_eq(test_int(r, "waiters"), N - 1 - i);
		json_decref(r);
		test_ok0(w[i], "lock.release", test_nm("l"));
	}
	for (int i = 0; i < N; i++)
		test_hang_up(w[i]);
	test_hang_up(holder);
	mpdd_stop(&d);
}

/* A release hands the lock over: a releaser that asks again queues. */
Test(sync, a_releaser_that_acquires_again_queues_behind_the_waiter)
{
	json_t *r;
	int a, b;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	mklock(a, "l", false);
	take0(a, "lock.acquire", "l");
	test_send_call(b, "b", "lock.acquire", test_nm("l"));
	test_settle(b);
	test_ok0(a, "lock.release", test_nm("l"));
	test_send_call(a, "again", "lock.acquire", test_nm("l"));
	test_settle(a);
	r = test_result_for(b, "b");
	cr_assert(test_bool(r, "acquired"));
	json_decref(r);
	r = test_info(b, "lock", "l");
	cr_assert_eq(test_int(r, "waiters"), 1);
	json_decref(r);
	test_ok0(b, "lock.release", test_nm("l"));
	r = test_result_for(a, "again");
	cr_assert(test_bool(r, "acquired"));
	json_decref(r);
	test_hang_up(a);
	test_hang_up(b);
	mpdd_stop(&d);
}

Test(sync, a_holder_that_closes_hands_over_abandoned_once)
{
	json_t *r;
	int a, b, c;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	c = test_connect(d.socket);
	mklock(c, "l", true);
	take0(a, "lock.acquire", "l");
	take0(a, "lock.acquire", "l");
	test_send_call(b, "b", "lock.acquire", test_nm("l"));
	test_settle(b);
	test_hang_up(a);
	r = test_result_for(b, "b");
	cr_assert(test_bool(r, "acquired"));
	cr_assert(test_bool(r, "abandoned"));
	cr_assert_eq(test_int(r, "count"), 1);
	json_decref(r);
	/* Reported once: the flag is cleared by the acquire that saw it. */
	r = test_info(c, "lock", "l");
	cr_assert(!test_bool(r, "abandoned"));
	json_decref(r);
	test_ok0(b, "lock.release", test_nm("l"));
	r = take(c, "lock.acquire", "l");
	cr_assert(!test_bool(r, "abandoned"));
	json_decref(r);
	test_ok0(c, "lock.release", test_nm("l"));

	/* With no waiter, the flag stays until an acquire reports it. */
	take0(b, "lock.acquire", "l");
	test_hang_up(b);
	test_await_info(c, "lock", "l", "locked", "false");
	r = test_info(c, "lock", "l");
	cr_assert(test_bool(r, "abandoned"));
	json_decref(r);
	r = take(c, "lock.acquire", "l");
	cr_assert(test_bool(r, "abandoned"));
	json_decref(r);
	test_hang_up(c);
	mpdd_stop(&d);
}

Test(sync, a_waiter_that_closes_leaves_the_queue)
{
	json_t *r;
	int a, b, c;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	c = test_connect(d.socket);
	mklock(a, "l", false);
	take0(a, "lock.acquire", "l");
	test_send_call(b, "b", "lock.acquire", test_nm("l"));
	test_settle(b);
	test_send_call(c, "c", "lock.acquire", test_nm("l"));
	test_settle(c);
	test_hang_up(b);
	test_await_info(a, "lock", "l", "waiters", "1");
	test_ok0(a, "lock.release", test_nm("l"));
	r = test_result_for(c, "c");
	cr_assert(test_bool(r, "acquired"));
	cr_assert(!test_bool(r, "abandoned"));
	json_decref(r);
	r = test_info(a, "lock", "l");
	cr_assert(test_bool(r, "locked"));
	cr_assert_eq(test_int(r, "waiters"), 0);
	json_decref(r);
	test_hang_up(a);
	test_hang_up(c);
	mpdd_stop(&d);
}

Test(sync, a_killed_worker_gives_its_lock_back_abandoned)
{
	json_t *line, *r, *h;
	long long id;
	int fd, b;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	b = test_connect(d.socket);
	mklock(fd, "l", false);
	id = test_start_holder(fd, "lock.acquire", test_nm("l"), "none", &line);
	cr_assert(test_bool(json_object_get(line, "result"), "acquired"));
	json_decref(line);
	/* The holder is shown as the worker. */
	r = test_info(fd, "lock", "l");
	h = json_object_get(r, "holder");
	cr_assert(json_is_object(h));
	cr_assert_eq(test_int(h, "process"), id);
	json_decref(r);
	test_send_call(b, "b", "lock.acquire", test_nm("l"));
	test_settle(b);
	test_ok0(fd, "process.kill", json_pack("{s:I}", "id", (json_int_t)id));
	r = test_result_for(b, "b");
	cr_assert(test_bool(r, "acquired"));
	cr_assert(test_bool(r, "abandoned"));
	json_decref(r);
	test_ok0(b, "lock.release", test_nm("l"));
	r = take(b, "lock.acquire", "l");
	cr_assert(!test_bool(r, "abandoned"));
	json_decref(r);
	test_ok0(fd, "process.join", json_pack("{s:I}", "id", (json_int_t)id));
	test_hang_up(b);
	test_hang_up(fd);
	mpdd_stop_all(&d);
}

/*
 * The worker ended, but a child it left still has its connection open:
 * what the worker held is released all the same.
 */
Test(sync, a_dead_workers_lock_is_released_while_its_child_keeps_the_socket)
{
	json_t *line, *r;
	long long id, child;
	int fd, b;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	b = test_connect(d.socket);
	mklock(fd, "l", false);
	id = test_start_holder(fd, "lock.acquire", test_nm("l"), "after",
			       &line);
	cr_assert(test_bool(json_object_get(line, "result"), "acquired"));
	child = test_int(line, "child");
	json_decref(line);
	test_send_call(b, "b", "lock.acquire", test_nm("l"));
	test_settle(b);
	test_ok0(fd, "process.kill",
		 json_pack("{s:I, s:b}", "id", (json_int_t)id, "group", 0));
	test_ok0(fd, "process.join", json_pack("{s:I}", "id", (json_int_t)id));
	r = test_result_for(b, "b");
	cr_assert(test_bool(r, "acquired"));
	cr_assert(test_bool(r, "abandoned"));
	json_decref(r);
	/* The child still runs, holding the worker's connection. */
	cr_assert_eq(kill((pid_t)child, 0), 0, "the child is gone: %s",
		     strerror(errno));
	kill((pid_t)child, SIGKILL);
	test_hang_up(b);
	test_hang_up(fd);
	mpdd_stop_all(&d);
}

/*
 * A process in a worker's process group (a shell worker's mpd-cli) holds
 * for the worker: the hold goes when the worker ends, though that process
 * lives on.
 */
Test(sync, a_hold_by_a_process_of_a_workers_group_goes_with_the_worker)
{
	json_t *line, *r;
	long long id, child;
	int fd, b;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	b = test_connect(d.socket);
	mklock(fd, "l", false);
	id = test_start_holder(fd, "lock.acquire", test_nm("l"), "before",
			       &line);
	cr_assert(test_bool(json_object_get(line, "result"), "acquired"));
	child = test_int(line, "child");
	json_decref(line);
	r = test_info(fd, "lock", "l");
	cr_assert_eq(test_int(json_object_get(r, "holder"), "pid"), child);
	cr_assert_eq(test_int(json_object_get(r, "holder"), "process"), id);
	json_decref(r);
	test_send_call(b, "b", "lock.acquire", test_nm("l"));
	test_settle(b);
	test_ok0(fd, "process.kill",
		 json_pack("{s:I, s:b}", "id", (json_int_t)id, "group", 0));
	test_ok0(fd, "process.join", json_pack("{s:I}", "id", (json_int_t)id));
	r = test_result_for(b, "b");
	cr_assert(test_bool(r, "acquired"));
	cr_assert(test_bool(r, "abandoned"));
	json_decref(r);
	cr_assert_eq(kill((pid_t)child, 0), 0, "the child is gone: %s",
		     strerror(errno));
	kill((pid_t)child, SIGKILL);
	test_hang_up(b);
	test_hang_up(fd);
	mpdd_stop_all(&d);
}

Test(sync, a_semaphore_permit_of_a_killed_worker_comes_back)
{
	json_t *line, *r;
	long long id;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	test_ok0(fd, "semaphore.create",
		 json_pack("{s:s, s:i}", "name", "s", "value", 1));
	id = test_start_holder(fd, "semaphore.acquire", test_nm("s"), "none",
			       &line);
	cr_assert_eq(test_int(json_object_get(line, "result"), "value"), 0);
	json_decref(line);
	test_ok0(fd, "process.kill", json_pack("{s:I}", "id", (json_int_t)id));
	test_ok0(fd, "process.join", json_pack("{s:I}", "id", (json_int_t)id));
	r = test_ok(fd, "semaphore.acquire",
		    json_pack("{s:s, s:i}", "name", "s", "timeout", 10));
	cr_assert(test_bool(r, "acquired"));
	cr_assert(test_bool(r, "abandoned"));
	json_decref(r);
	test_hang_up(fd);
	mpdd_stop_all(&d);
}

Test(sync, a_lock_lease_that_runs_out_releases_it)
{
	double t0, took;
	json_t *r;
	int a, b;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	mklock(a, "l", false);
	t0 = now_s();
	r = test_ok(a, "lock.acquire",
		    json_pack("{s:s, s:f}", "name", "l", "lease", SHORT_S));
	cr_assert(test_bool(r, "acquired"));
	json_decref(r);
	r = test_info(b, "lock", "l");
	cr_assert(json_is_number(json_object_get(r, "lease")));
	cr_assert(json_number_value(json_object_get(r, "lease")) <= SHORT_S);
	json_decref(r);
	test_await_info(b, "lock", "l", "locked", "false");
	took = now_s() - t0;
	cr_assert(took >= SHORT_S, "a %.1f s lease ran out after %.3f s",
		  SHORT_S, took);
	r = test_info(b, "lock", "l");
	cr_assert(test_bool(r, "abandoned"));
	cr_assert(json_is_null(json_object_get(r, "holder")));
	cr_assert(json_is_null(json_object_get(r, "lease")));
	json_decref(r);
	test_fails(a, "lock.release", test_nm("l"), "invalid_state");
	r = take(b, "lock.acquire", "l");
	cr_assert(test_bool(r, "abandoned"));
	json_decref(r);
	test_ok0(b, "lock.release", test_nm("l"));

	/* An RLock: re-entry keeps the lease, which takes the whole count;
	 * a parked acquirer is served when it runs out. */
	mklock(a, "r", true);
	t0 = now_s();
	json_decref(test_ok(a, "lock.acquire",
			    json_pack("{s:s, s:f}", "name", "r", "lease",
				      SHORT_S)));
	r = take(a, "lock.acquire", "r");
	cr_assert_eq(test_int(r, "count"), 2);
	json_decref(r);
	test_send_call(b, "b", "lock.acquire", test_nm("r"));
	r = test_result_for(b, "b");
	took = now_s() - t0;
	cr_assert(test_bool(r, "acquired"));
	cr_assert(test_bool(r, "abandoned"));
	cr_assert_eq(test_int(r, "count"), 1);
	cr_assert(took >= SHORT_S && took < LATE_S, "lease ran out after %.3f",
		  took);
	json_decref(r);
	test_fails(a, "lock.release", test_nm("r"), "invalid_state");
	test_hang_up(a);
	test_hang_up(b);
	mpdd_stop(&d);
}

/* Deleting an object answers what is parked on it with closed. */
Test(sync, delete_answers_parked_callers_closed)
{
	static const struct {
		const char *kind, *wait;
	} k[] = {
		{ "lock", "lock.acquire" },
		{ "semaphore", "semaphore.acquire" },
		{ "event", "event.wait" },
		{ "condition", "condition.wait" },
		{ "barrier", "barrier.wait" },
	};
	char method[32];
	int a, w;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	w = test_connect(d.socket);
	mklock(a, "x", false);
	take0(a, "lock.acquire", "x");
	test_ok0(a, "semaphore.create",
		 json_pack("{s:s, s:i}", "name", "x", "value", 0));
	test_ok0(a, "event.create", test_nm("x"));
	test_ok0(a, "condition.create", test_nm("x"));
	take0(w, "condition.acquire", "x");
	test_ok0(a, "barrier.create",
		 json_pack("{s:s, s:i}", "name", "x", "parties", 2));
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		test_send_call(w, k[i].wait, k[i].wait, test_nm("x"));
		test_settle(w);
		snprintf(method, sizeof(method), "%s.delete", k[i].kind);
		test_ok0(a, method, test_nm("x"));
		cr_assert_eq(error_for(w, k[i].wait, "closed"), 7);
		test_fails(a, method, test_nm("x"), "not_found");
		test_assert_ping(d.socket);
	}
	test_hang_up(a);
	test_hang_up(w);
	mpdd_stop(&d);
}

/* --- Semaphores ------------------------------------------------------- */

/* Python's test_semaphore with Semaphore(2), and the results' keys. */
Test(sync, a_semaphore_counts_permits)
{
	static const char *const create_keys[] = { "name", "value", "bounded",
						   "created", NULL };
	static const char *const acq_keys[] = { "acquired", "abandoned",
						"value", NULL };
	static const char *const info_keys[] = { "name",      "value",
						 "initial",   "bounded",
						 "holders",   "waiters",
						 "abandoned", NULL };
	json_t *r, *h;
	int fd, b;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	b = test_connect(d.socket);
	r = test_ok(fd, "semaphore.create",
		    json_pack("{s:s, s:i}", "name", "s", "value", 2));
	assert_keys(r, create_keys);
	cr_assert_eq(test_int(r, "value"), 2);
	cr_assert(!test_bool(r, "bounded"));
	cr_assert(test_bool(r, "created"));
	json_decref(r);
	r = test_ok(fd, "semaphore.create", test_nm("one"));
	cr_assert_eq(test_int(r, "value"), 1, "the default value is 1");
	json_decref(r);
	for (int want = 1; want >= 0; want--) {
		r = test_ok(fd, "semaphore.acquire", test_nm("s"));
		assert_keys(r, acq_keys);
		cr_assert(test_bool(r, "acquired"));
		cr_assert(!test_bool(r, "abandoned"));
		cr_assert_eq(test_int(r, "value"), want);
		json_decref(r);
	}
	r = test_ok(fd, "semaphore.acquire",
		    json_pack("{s:s, s:i}", "name", "s", "timeout", 0));
	cr_assert(!test_bool(r, "acquired"));
	json_decref(r);
	r = test_info(b, "semaphore", "s");
	assert_keys(r, info_keys);
	cr_assert_eq(test_int(r, "value"), 0);
	cr_assert_eq(test_int(r, "initial"), 2);
	h = json_object_get(r, "holders");
	cr_assert_eq(json_array_size(h), 1);
	cr_assert_eq(test_int(json_array_get(h, 0), "count"), 2);
	cr_assert_eq(test_int(json_array_get(h, 0), "pid"), getpid());
	json_decref(r);
	for (int want = 1; want <= 2; want++) {
		r = test_ok(fd, "semaphore.release", test_nm("s"));
		cr_assert_eq(test_int(r, "value"), want);
		cr_assert_eq(json_object_size(r), 1);
		json_decref(r);
	}
	/* Not bounded: any connection may release more (Python allows). */
	r = test_ok(b, "semaphore.release",
		    json_pack("{s:s, s:i}", "name", "s", "n", 3));
	cr_assert_eq(test_int(r, "value"), 5);
	json_decref(r);
	r = test_ok(fd, "semaphore.list", NULL);
	h = json_object_get(r, "semaphores");
	cr_assert_eq(json_array_size(h), 2);
	cr_assert_str_eq(json_string_value(
				 json_object_get(json_array_get(h, 0), "name")),
			 "one");
	cr_assert_eq(test_int(json_array_get(h, 1), "value"), 5);
	json_decref(r);
	r = test_ok(fd, "semaphore.delete", test_nm("one"));
	cr_assert_eq(json_object_size(r), 0);
	json_decref(r);
	test_hang_up(b);
	test_hang_up(fd);
	mpdd_stop(&d);
}

Test(sync, semaphore_timeouts_zero_and_short)
{
	double t0, took;
	json_t *r;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	test_ok0(fd, "semaphore.create",
		 json_pack("{s:s, s:i}", "name", "s", "value", 0));
	r = test_ok(fd, "semaphore.acquire",
		    json_pack("{s:s, s:i}", "name", "s", "timeout", 0));
	cr_assert(!test_bool(r, "acquired"));
	json_decref(r);
	t0 = now_s();
	r = test_ok(fd, "semaphore.acquire",
		    json_pack("{s:s, s:f}", "name", "s", "timeout", SHORT_S));
	took = now_s() - t0;
	cr_assert(!test_bool(r, "acquired"));
	cr_assert(took >= SHORT_S && took < LATE_S, "answered after %.3f s",
		  took);
	json_decref(r);
	test_hang_up(fd);
	mpdd_stop(&d);
}

/* Python's BoundedSemaphore raises ValueError past its initial value. */
Test(sync, over_release_is_refused_and_changes_nothing)
{
	const char *msg;
	json_t *r;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	test_ok0(fd, "semaphore.create",
		 json_pack("{s:s, s:i, s:b}", "name", "b", "value", 2,
			   "bounded", 1));
	r = test_call(fd, "semaphore.release", test_nm("b"));
	cr_assert_eq(test_error_code(r, NULL), 3);
	msg = json_string_value(
		json_object_get(json_object_get(r, "error"), "message"));
	cr_assert(msg != NULL && strstr(msg, "released too many times"),
		  "message: %s", msg);
	json_decref(r);
	json_decref(test_ok(fd, "semaphore.acquire", test_nm("b")));
	/* n that would pass the bound: refused whole, not in part. */
	test_fails(fd, "semaphore.release",
		   json_pack("{s:s, s:i}", "name", "b", "n", 2),
		   "invalid_state");
	r = test_info(fd, "semaphore", "b");
	cr_assert_eq(test_int(r, "value"), 1);
	cr_assert(test_bool(r, "bounded"));
	json_decref(r);
	test_ok0(fd, "semaphore.release", test_nm("b"));
	test_assert_ping(d.socket);

	/* Any semaphore stops at 2^31-1. */
	test_ok0(fd, "semaphore.create",
		 json_pack("{s:s, s:I}", "name", "max", "value",
			   (json_int_t)INT32_MAX));
	test_fails(fd, "semaphore.release", test_nm("max"), "invalid_state");
	r = test_info(fd, "semaphore", "max");
	cr_assert_eq(test_int(r, "value"), INT32_MAX);
	json_decref(r);
	test_assert_ping(d.socket);
	test_hang_up(fd);
	mpdd_stop(&d);
}

Test(sync, a_release_of_n_serves_waiters_in_order)
{
	enum { N = 4 };
	int rel, w[N];
	char id[8];
	json_t *r;

	mpdd_start(&d, NULL);
	rel = test_connect(d.socket);
	test_ok0(rel, "semaphore.create",
		 json_pack("{s:s, s:i}", "name", "s", "value", 0));
	for (int i = 0; i < N; i++) {
		w[i] = test_connect(d.socket);
		snprintf(id, sizeof(id), "w%d", i);
		test_send_call(w[i], id, "semaphore.acquire", test_nm("s"));
		test_settle(w[i]);
	}
	r = test_info(rel, "semaphore", "s");
	cr_assert_eq(test_int(r, "waiters"), N);
	json_decref(r);
	r = test_ok(rel, "semaphore.release",
		    json_pack("{s:s, s:i}", "name", "s", "n", 3));
	cr_assert_eq(test_int(r, "value"), 0);
	json_decref(r);
	for (int i = 0; i < 3; i++) {
		snprintf(id, sizeof(id), "w%d", i);
		r = test_result_for(w[i], id);
		cr_assert(test_bool(r, "acquired"));
		json_decref(r);
	}
	test_settle(w[3]);
	r = test_info(rel, "semaphore", "s");
	cr_assert_eq(test_int(r, "waiters"), 1);
	cr_assert_eq(json_array_size(json_object_get(r, "holders")), 3);
	json_decref(r);
	for (int i = 0; i < N; i++)
		test_hang_up(w[i]);
	test_hang_up(rel);
	mpdd_stop(&d);
}

Test(sync, a_closing_holder_gives_its_permits_back)
{
	json_t *r, *h, *it;
	size_t i;
	int a, b, c;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	c = test_connect(d.socket);
	test_ok0(a, "semaphore.create",
		 json_pack("{s:s, s:i}", "name", "s", "value", 3));
	json_decref(test_ok(a, "semaphore.acquire", test_nm("s")));
	json_decref(test_ok(a, "semaphore.acquire", test_nm("s")));
	json_decref(test_ok(b, "semaphore.acquire", test_nm("s")));
	test_send_call(c, "c", "semaphore.acquire", test_nm("s"));
	test_settle(c);
	test_hang_up(a);
	r = test_result_for(c, "c");
	cr_assert(test_bool(r, "acquired"));
	cr_assert(test_bool(r, "abandoned"));
	cr_assert_eq(test_int(r, "value"), 1, "two permits came back");
	json_decref(r);
	r = test_info(b, "semaphore", "s");
	cr_assert_eq(test_int(r, "value"), 1);
	h = json_object_get(r, "holders");
	cr_assert_eq(json_array_size(h), 2);
	json_array_foreach (h, i, it)
		cr_assert_eq(test_int(it, "count"), 1);
	json_decref(r);
	test_hang_up(b);
	test_hang_up(c);
	mpdd_stop(&d);
}

Test(sync, permits_taken_without_owning_stay_taken)
{
	json_t *r;
	int a, b;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	test_ok0(b, "semaphore.create",
		 json_pack("{s:s, s:i}", "name", "s", "value", 1));
	r = test_ok(a, "semaphore.acquire",
		    json_pack("{s:s, s:b}", "name", "s", "own", 0));
	cr_assert(test_bool(r, "acquired"));
	cr_assert_eq(test_int(r, "value"), 0);
	json_decref(r);
	r = test_info(b, "semaphore", "s");
	cr_assert_eq(json_array_size(json_object_get(r, "holders")), 0);
	json_decref(r);
	test_hang_up(a);
	await_connections(b, 1);
	r = test_ok(b, "semaphore.acquire",
		    json_pack("{s:s, s:i}", "name", "s", "timeout", 0));
	cr_assert(!test_bool(r, "acquired"));
	json_decref(r);
	r = test_info(b, "semaphore", "s");
	cr_assert_eq(test_int(r, "value"), 0);
	cr_assert(!test_bool(r, "abandoned"));
	json_decref(r);
	/* Used as a signal: any connection's release serves the acquirer. */
	test_send_call(b, "sig", "semaphore.acquire", test_nm("s"));
	test_settle(b);
	json_decref(test_rpc_text(d.socket, "semaphore.release",
				  "{\"name\":\"s\"}", false));
	r = test_result_for(b, "sig");
	cr_assert(test_bool(r, "acquired"));
	cr_assert(!test_bool(r, "abandoned"));
	json_decref(r);
	test_hang_up(b);
	mpdd_stop(&d);
}

/* semaphore.info has one row per holding connection, leased permits
 * and not: its count, and the soonest of its leases. */
Test(sync, semaphore_info_has_a_row_per_holder)
{
	json_t *r, *h;
	double lease;
	int a, b;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	test_ok0(b, "semaphore.create",
		 json_pack("{s:s, s:i}", "name", "s", "value", 5));
	json_decref(test_ok(a, "semaphore.acquire", test_nm("s")));
	json_decref(
		test_ok(a, "semaphore.acquire",
			json_pack("{s:s, s:i}", "name", "s", "lease", 600)));
	json_decref(
		test_ok(a, "semaphore.acquire",
			json_pack("{s:s, s:i}", "name", "s", "lease", 300)));
	json_decref(test_ok(b, "semaphore.acquire", test_nm("s")));
	r = test_info(b, "semaphore", "s");
	h = json_object_get(r, "holders");
	cr_assert_eq(json_array_size(h), 2);
	cr_assert_eq(test_int(json_array_get(h, 0), "count"), 3);
	lease = json_number_value(
		json_object_get(json_array_get(h, 0), "lease"));
	cr_assert(lease > 290 && lease <= 300, "lease %g", lease);
	cr_assert_eq(test_int(json_array_get(h, 1), "count"), 1);
	cr_assert(json_is_null(json_object_get(json_array_get(h, 1), "lease")));
	json_decref(r);
	test_hang_up(a);
	test_hang_up(b);
	mpdd_stop(&d);
}

/* A release by a holder gives back its own permits first; permits
 * released by anyone else belong to nobody. */
Test(sync, a_holders_release_gives_back_its_own_permits_first)
{
	json_t *r, *h;
	int a, b;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	test_ok0(b, "semaphore.create",
		 json_pack("{s:s, s:i}", "name", "s", "value", 2));
	json_decref(test_ok(a, "semaphore.acquire", test_nm("s")));
	json_decref(test_ok(a, "semaphore.acquire", test_nm("s")));
	test_ok0(a, "semaphore.release", test_nm("s"));
	r = test_info(b, "semaphore", "s");
	h = json_object_get(r, "holders");
	cr_assert_eq(json_array_size(h), 1);
	cr_assert_eq(test_int(json_array_get(h, 0), "count"), 1);
	json_decref(r);
	/* b holds none: its release adds a permit and leaves a's. */
	r = test_ok(b, "semaphore.release", test_nm("s"));
	cr_assert_eq(test_int(r, "value"), 2);
	json_decref(r);
	r = test_info(b, "semaphore", "s");
	h = json_object_get(r, "holders");
	cr_assert_eq(json_array_size(h), 1);
	cr_assert_eq(test_int(json_array_get(h, 0), "count"), 1);
	json_decref(r);
	/* a's last permit comes back when it goes. */
	test_hang_up(a);
	test_await_info(b, "semaphore", "s", "value", "3");
	r = test_info(b, "semaphore", "s");
	cr_assert(test_bool(r, "abandoned"));
	cr_assert_eq(json_array_size(json_object_get(r, "holders")), 0);
	json_decref(r);
	r = test_ok(b, "semaphore.acquire", test_nm("s"));
	cr_assert(test_bool(r, "abandoned"));
	json_decref(r);
	test_hang_up(b);
	mpdd_stop(&d);
}

/* release with own gives back only what this connection holds. */
Test(sync, an_own_release_gives_back_only_held_permits)
{
	json_t *r, *data;
	int a, b;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	test_ok0(b, "semaphore.create",
		 json_pack("{s:s, s:i}", "name", "s", "value", 3));
	json_decref(test_ok(a, "semaphore.acquire", test_nm("s")));
	json_decref(test_ok(a, "semaphore.acquire", test_nm("s")));
	/* b holds none; a holds 2, not 3. */
	test_fails(b, "semaphore.release",
		   json_pack("{s:s, s:b}", "name", "s", "own", 1),
		   "invalid_state");
	r = test_call(a, "semaphore.release",
		      json_pack("{s:s, s:i, s:b}", "name", "s", "n", 3, "own",
				1));
	cr_assert_eq(test_error_code(r, NULL), 3);
	data = json_object_get(json_object_get(r, "error"), "data");
	cr_assert_eq(test_int(data, "held"), 2);
	json_decref(r);
	r = test_info(b, "semaphore", "s");
	cr_assert_eq(test_int(r, "value"), 1);
	cr_assert_eq(test_int(json_array_get(json_object_get(r, "holders"), 0),
			      "count"),
		     2);
	json_decref(r);
	test_assert_ping(d.socket);
	r = test_ok(a, "semaphore.release",
		    json_pack("{s:s, s:i, s:b}", "name", "s", "n", 2, "own",
			      1));
	cr_assert_eq(test_int(r, "value"), 3);
	json_decref(r);
	r = test_info(b, "semaphore", "s");
	cr_assert_eq(json_array_size(json_object_get(r, "holders")), 0);
	json_decref(r);
	/* A permit whose lease ran out is not held any more. */
	r = test_ok(a, "semaphore.acquire",
		    json_pack("{s:s, s:f}", "name", "s", "lease", SHORT_S));
	cr_assert(test_bool(r, "acquired"));
	json_decref(r);
	test_await_info(b, "semaphore", "s", "value", "3");
	test_fails(a, "semaphore.release",
		   json_pack("{s:s, s:b}", "name", "s", "own", 1),
		   "invalid_state");
	r = test_info(b, "semaphore", "s");
	cr_assert_eq(test_int(r, "value"), 3);
	json_decref(r);
	test_hang_up(a);
	test_hang_up(b);
	mpdd_stop(&d);
}

Test(sync, a_semaphore_lease_that_runs_out_gives_the_permit_back)
{
	double t0, took;
	json_t *r;
	int a, b;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	test_ok0(a, "semaphore.create",
		 json_pack("{s:s, s:i}", "name", "s", "value", 1));
	t0 = now_s();
	r = test_ok(a, "semaphore.acquire",
		    json_pack("{s:s, s:f}", "name", "s", "lease", SHORT_S));
	cr_assert(test_bool(r, "acquired"));
	json_decref(r);
	test_send_call(b, "b", "semaphore.acquire", test_nm("s"));
	r = test_result_for(b, "b");
	took = now_s() - t0;
	cr_assert(test_bool(r, "acquired"));
	cr_assert(test_bool(r, "abandoned"));
	cr_assert_eq(test_int(r, "value"), 0);
	cr_assert(took >= SHORT_S && took < LATE_S,
		  "the lease ran out after %.3f s", took);
	json_decref(r);
	r = test_info(a, "semaphore", "s");
	cr_assert_eq(json_array_size(json_object_get(r, "holders")), 1);
	json_decref(r);
	test_hang_up(a);
	test_hang_up(b);
	mpdd_stop(&d);
}

/* --- Events ----------------------------------------------------------- */

Test(sync, set_wakes_every_waiter)
{
	enum { N = 50 };
	static const char *const create_keys[] = { "name", "set", "created",
						   NULL };
	int fd, w[N];
	json_t *r;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	r = test_ok(fd, "event.create", test_nm("go"));
	assert_keys(r, create_keys);
	cr_assert(!test_bool(r, "set"));
	json_decref(r);
	for (int i = 0; i < N; i++) {
		w[i] = test_connect(d.socket);
		test_send_call(w[i], "wait", "event.wait", test_nm("go"));
	}
	for (int i = 0; i < N; i++)
		test_settle(w[i]);
	r = test_info(fd, "event", "go");
	cr_assert_eq(test_int(r, "waiters"), N);
	cr_assert(!test_bool(r, "set"));
	json_decref(r);
	r = test_ok(fd, "event.set", test_nm("go"));
	cr_assert_eq(test_int(r, "woken"), N);
	json_decref(r);
	for (int i = 0; i < N; i++) {
		r = test_result_for(w[i], "wait");
		cr_assert(test_bool(r, "set"));
		cr_assert_eq(json_object_size(r), 1);
		json_decref(r);
		test_hang_up(w[i]);
	}
	r = test_info(fd, "event", "go");
	cr_assert_eq(test_int(r, "waiters"), 0);
	cr_assert(test_bool(r, "set"));
	json_decref(r);
	test_hang_up(fd);
	mpdd_stop(&d);
}

/* Python's test_event: is_set, wait on a set and a clear event. */
Test(sync, event_wait_clear_and_timeouts)
{
	static const char *const info_keys[] = { "name", "set", "waiters",
						 NULL };
	double t0, took;
	json_t *r, *l;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	test_ok0(fd, "event.create", test_nm("e"));
	r = test_ok(fd, "event.wait",
		    json_pack("{s:s, s:i}", "name", "e", "timeout", 0));
	cr_assert(!test_bool(r, "set"));
	json_decref(r);
	t0 = now_s();
	r = test_ok(fd, "event.wait",
		    json_pack("{s:s, s:f}", "name", "e", "timeout", SHORT_S));
	took = now_s() - t0;
	cr_assert(!test_bool(r, "set"));
	cr_assert(took >= SHORT_S && took < LATE_S, "answered after %.3f s",
		  took);
	json_decref(r);
	r = test_ok(fd, "event.set", test_nm("e"));
	cr_assert_eq(test_int(r, "woken"), 0);
	json_decref(r);
	/* Set: every wait returns at once, and it stays set. */
	for (int i = 0; i < 2; i++) {
		r = test_ok(fd, "event.wait", test_nm("e"));
		cr_assert(test_bool(r, "set"));
		json_decref(r);
	}
	r = test_ok(fd, "event.list", NULL);
	l = json_object_get(r, "events");
	cr_assert_eq(json_array_size(l), 1);
	cr_assert(json_is_true(json_object_get(json_array_get(l, 0), "set")));
	json_decref(r);
	r = test_ok(fd, "event.clear", test_nm("e"));
	cr_assert_eq(json_object_size(r), 0);
	json_decref(r);
	r = test_info(fd, "event", "e");
	cr_assert(!test_bool(r, "set"));
	json_decref(r);
	r = test_ok(fd, "event.wait",
		    json_pack("{s:s, s:f}", "name", "e", "timeout", SHORT_S));
	cr_assert(!test_bool(r, "set"));
	json_decref(r);
	/* A waiter that closes leaves. */
	{
		int w = test_connect(d.socket);

		test_send_call(w, "w", "event.wait", test_nm("e"));
		test_settle(w);
		test_hang_up(w);
		test_await_info(fd, "event", "e", "waiters", "0");
	}
	r = test_ok(fd, "event.set", test_nm("e"));
	cr_assert_eq(test_int(r, "woken"), 0);
	json_decref(r);
	r = test_info(fd, "event", "e");
	assert_keys(r, info_keys);
	cr_assert_str_eq(json_string_value(json_object_get(r, "name")), "e");
	json_decref(r);
	r = test_ok(fd, "event.delete", test_nm("e"));
	cr_assert_eq(json_object_size(r), 0);
	json_decref(r);
	test_fails(fd, "event.wait", test_nm("e"), "not_found");
	test_hang_up(fd);
	mpdd_stop(&d);
}

/* --- Conditions ------------------------------------------------------- */

Test(sync, a_condition_wait_releases_the_lock_and_answers_with_it_back)
{
	static const char *const create_keys[] = { "name", "lock", "created",
						   NULL };
	static const char *const info_keys[] = { "name",   "lock",    "locked",
						 "holder", "waiters", NULL };
	static const char *const wait_keys[] = { "notified", "abandoned",
						 NULL };
	long long conn_a;
	json_t *r;
	int a, b;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	r = test_ok(a, "condition.create", test_nm("c"));
	assert_keys(r, create_keys);
	cr_assert(json_is_null(json_object_get(r, "lock")));
	cr_assert(test_bool(r, "created"));
	json_decref(r);
	take0(a, "condition.acquire", "c");
	r = test_info(b, "condition", "c");
	assert_keys(r, info_keys);
	cr_assert(test_bool(r, "locked"));
	conn_a = holder_conn(r);
	json_decref(r);
	test_send_call(a, "wait", "condition.wait", test_nm("c"));
	test_settle(a);
	/* The wait released the lock: another connection takes it. */
	r = test_ok(b, "condition.acquire",
		    json_pack("{s:s, s:i}", "name", "c", "timeout", 0));
	cr_assert(test_bool(r, "acquired"));
	json_decref(r);
	r = test_info(b, "condition", "c");
	cr_assert_eq(test_int(r, "waiters"), 1);
	cr_assert(holder_conn(r) != conn_a);
	json_decref(r);
	r = test_ok(b, "condition.notify", test_nm("c"));
	cr_assert_eq(test_int(r, "woken"), 1);
	json_decref(r);
	/* Notified, but b still holds the lock: a is not answered yet. */
	test_settle(a);
	r = test_info(b, "condition", "c");
	cr_assert_eq(test_int(r, "waiters"), 0);
	json_decref(r);
	r = test_ok(b, "condition.release", test_nm("c"));
	cr_assert_eq(test_int(r, "count"), 0);
	json_decref(r);
	r = test_result_for(a, "wait");
	assert_keys(r, wait_keys);
	cr_assert(test_bool(r, "notified"));
	cr_assert(!test_bool(r, "abandoned"));
	json_decref(r);
	r = test_info(b, "condition", "c");
	cr_assert_eq(holder_conn(r), conn_a);
	json_decref(r);
	r = test_ok(a, "condition.release", test_nm("c"));
	cr_assert_eq(test_int(r, "count"), 0);
	json_decref(r);
	test_hang_up(a);
	test_hang_up(b);
	mpdd_stop(&d);
}

/* Park n waiters, in order, on condition name: each takes the lock and
 * waits. */
static void park_waiters(int *w, int n, const char *name)
{
	for (int i = 0; i < n; i++) {
		w[i] = test_connect(d.socket);
		take0(w[i], "condition.acquire", name);
		test_send_call(w[i], "wait", "condition.wait", test_nm(name));
		test_settle(w[i]);
	}
}

/* Python's test_notify_n: notify(2) wakes exactly two, the oldest. */
Test(sync, notify_n_wakes_exactly_n_in_order)
{
	enum { N = 4 };
	int fd, w[N];
	json_t *r;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	test_ok0(fd, "condition.create", test_nm("c"));
	park_waiters(w, N, "c");
	r = test_info(fd, "condition", "c");
	cr_assert_eq(test_int(r, "waiters"), N);
	cr_assert(!test_bool(r, "locked"));
	json_decref(r);
	take0(fd, "condition.acquire", "c");
	r = test_ok(fd, "condition.notify",
		    json_pack("{s:s, s:i}", "name", "c", "n", 2));
	cr_assert_eq(test_int(r, "woken"), 2);
	json_decref(r);
	test_ok0(fd, "condition.release", test_nm("c"));
	for (int i = 0; i < 2; i++) {
		r = test_result_for(w[i], "wait");
		cr_assert(test_bool(r, "notified"));
		json_decref(r);
		/* The others are still parked, w[1] behind w[i] for the
		 * lock. */
		for (int j = i + 1; j < N; j++)
			test_settle(w[j]);
		test_ok0(w[i], "condition.release", test_nm("c"));
	}
	r = test_info(fd, "condition", "c");
	cr_assert_eq(test_int(r, "waiters"), 2);
	json_decref(r);
	/* Nobody holds the lock now: notify is refused. */
	test_fails(fd, "condition.notify", test_nm("c"), "invalid_state");
	/* notify(n) past the waiters wakes those there are. */
	take0(fd, "condition.acquire", "c");
	r = test_ok(fd, "condition.notify",
		    json_pack("{s:s, s:i}", "name", "c", "n", 10));
	cr_assert_eq(test_int(r, "woken"), 2);
	json_decref(r);
	r = test_ok(fd, "condition.notify", test_nm("c"));
	cr_assert_eq(test_int(r, "woken"), 0);
	json_decref(r);
	test_ok0(fd, "condition.release", test_nm("c"));
	for (int i = 2; i < N; i++) {
		r = test_result_for(w[i], "wait");
		cr_assert(test_bool(r, "notified"));
		json_decref(r);
		test_ok0(w[i], "condition.release", test_nm("c"));
	}
	for (int i = 0; i < N; i++)
		test_hang_up(w[i]);
	test_hang_up(fd);
	mpdd_stop(&d);
}

/* A notified waiter queues for the lock: behind acquirers already
 * waiting for it. */
Test(sync, a_notified_waiter_queues_behind_earlier_acquirers)
{
	json_t *r;
	int a, w, x;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	w = test_connect(d.socket);
	x = test_connect(d.socket);
	test_ok0(a, "condition.create", test_nm("c"));
	take0(w, "condition.acquire", "c");
	test_send_call(w, "w", "condition.wait", test_nm("c"));
	test_settle(w);
	take0(a, "condition.acquire", "c");
	test_send_call(x, "x", "condition.acquire", test_nm("c"));
	test_settle(x);
	test_ok0(a, "condition.notify", test_nm("c"));
	test_ok0(a, "condition.release", test_nm("c"));
	r = test_result_for(x, "x");
	cr_assert(test_bool(r, "acquired"));
	json_decref(r);
	test_settle(w);
	test_ok0(x, "condition.release", test_nm("c"));
	r = test_result_for(w, "w");
	cr_assert(test_bool(r, "notified"));
	json_decref(r);
	test_hang_up(a);
	test_hang_up(w);
	test_hang_up(x);
	mpdd_stop(&d);
}

/* Python's test_notify_all. */
Test(sync, notify_all_wakes_every_waiter)
{
	enum { N = 6 };
	int fd, w[N];
	json_t *r;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	test_ok0(fd, "condition.create", test_nm("c"));
	park_waiters(w, N, "c");
	take0(fd, "condition.acquire", "c");
	r = test_ok(fd, "condition.notify",
		    json_pack("{s:s, s:b}", "name", "c", "all", 1));
	cr_assert_eq(test_int(r, "woken"), N);
	json_decref(r);
	r = test_info(fd, "condition", "c");
	cr_assert_eq(test_int(r, "waiters"), 0);
	json_decref(r);
	test_ok0(fd, "condition.release", test_nm("c"));
	for (int i = 0; i < N; i++) {
		r = test_result_for(w[i], "wait");
		cr_assert(test_bool(r, "notified"));
		json_decref(r);
		test_ok0(w[i], "condition.release", test_nm("c"));
		test_hang_up(w[i]);
	}
	test_hang_up(fd);
	mpdd_stop(&d);
}

/* Python's test_timeout: wait(t) returns False, with the lock held. */
Test(sync, a_wait_that_times_out_answers_not_notified_with_the_lock)
{
	double t0, took;
	json_t *r;
	int a, b;
	long long conn_a;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	test_ok0(a, "condition.create", test_nm("c"));
	take0(a, "condition.acquire", "c");
	r = test_info(b, "condition", "c");
	conn_a = holder_conn(r);
	json_decref(r);
	t0 = now_s();
	r = test_ok(a, "condition.wait",
		    json_pack("{s:s, s:f}", "name", "c", "timeout", SHORT_S));
	took = now_s() - t0;
	cr_assert(!test_bool(r, "notified"));
	cr_assert(took >= SHORT_S && took < LATE_S, "answered after %.3f s",
		  took);
	json_decref(r);
	r = test_info(b, "condition", "c");
	cr_assert(test_bool(r, "locked"));
	cr_assert_eq(holder_conn(r), conn_a);
	json_decref(r);
	/* timeout 0: not notified, at once, lock still held. */
	r = test_ok(a, "condition.wait",
		    json_pack("{s:s, s:i}", "name", "c", "timeout", 0));
	cr_assert(!test_bool(r, "notified"));
	json_decref(r);

	/* The timeout bounds the wait for a notify, not for the lock: with
	 * b holding the lock when it passes, a answers only after b lets
	 * go. */
	test_send_call(a, "wait", "condition.wait",
		       json_pack("{s:s, s:f}", "name", "c", "timeout",
				 SHORT_S));
	test_settle(a);
	take0(b, "condition.acquire", "c");
	test_await_info(b, "condition", "c", "waiters", "0");
	test_settle(a);
	test_ok0(b, "condition.release", test_nm("c"));
	r = test_result_for(a, "wait");
	cr_assert(!test_bool(r, "notified"));
	json_decref(r);
	r = test_info(b, "condition", "c");
	cr_assert_eq(holder_conn(r), conn_a);
	json_decref(r);
	test_ok0(a, "condition.release", test_nm("c"));
	test_hang_up(a);
	test_hang_up(b);
	mpdd_stop(&d);
}

/* The condition's own lock is an RLock: a wait gives back the count. */
Test(sync, a_wait_takes_the_rlock_back_with_its_count)
{
	json_t *r;
	int a, b;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	test_ok0(a, "condition.create", test_nm("c"));
	take0(a, "condition.acquire", "c");
	r = take(a, "condition.acquire", "c");
	cr_assert_eq(test_int(r, "count"), 2);
	json_decref(r);
	test_send_call(a, "wait", "condition.wait", test_nm("c"));
	test_settle(a);
	take0(b, "condition.acquire", "c");
	test_ok0(b, "condition.notify", test_nm("c"));
	test_ok0(b, "condition.release", test_nm("c"));
	json_decref(test_result_for(a, "wait"));
	r = test_ok(a, "condition.release", test_nm("c"));
	cr_assert_eq(test_int(r, "count"), 1);
	json_decref(r);
	r = test_ok(a, "condition.release", test_nm("c"));
	cr_assert_eq(test_int(r, "count"), 0);
	json_decref(r);
	test_hang_up(a);
	test_hang_up(b);
	mpdd_stop(&d);
}

/* The lock a waiter takes back may come from a holder that went away. */
Test(sync, a_wait_reports_a_lock_given_back_by_a_vanished_holder)
{
	json_t *r;
	int a, b;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	test_ok0(a, "condition.create", test_nm("c"));
	take0(a, "condition.acquire", "c");
	test_send_call(a, "wait", "condition.wait", test_nm("c"));
	test_settle(a);
	take0(b, "condition.acquire", "c");
	r = test_ok(b, "condition.notify", test_nm("c"));
	cr_assert_eq(test_int(r, "woken"), 1);
	json_decref(r);
	test_settle(a);
	test_hang_up(b);
	r = test_result_for(a, "wait");
	cr_assert(test_bool(r, "notified"));
	cr_assert(test_bool(r, "abandoned"));
	json_decref(r);
	r = test_ok(a, "condition.release", test_nm("c"));
	cr_assert_eq(test_int(r, "count"), 0);
	json_decref(r);
	test_hang_up(a);
	mpdd_stop(&d);
}

Test(sync, a_condition_waiter_that_closes_leaves)
{
	json_t *r;
	int a, b;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	test_ok0(b, "condition.create", test_nm("c"));
	take0(a, "condition.acquire", "c");
	test_send_call(a, "wait", "condition.wait", test_nm("c"));
	test_settle(a);
	test_hang_up(a);
	test_await_info(b, "condition", "c", "waiters", "0");
	r = test_info(b, "condition", "c");
	cr_assert(!test_bool(r, "locked"));
	json_decref(r);
	take0(b, "condition.acquire", "c");
	r = test_ok(b, "condition.notify", test_nm("c"));
	cr_assert_eq(test_int(r, "woken"), 0);
	json_decref(r);
	/* Woken, queued for the lock, then gone: the lock is not handed to
	 * it. */
	a = test_connect(d.socket);
	test_send_call(a, "wait2", "condition.acquire", test_nm("c"));
	test_settle(a);
	test_ok0(b, "condition.release", test_nm("c"));
	json_decref(test_result_for(a, "wait2"));
	test_send_call(a, "wait3", "condition.wait", test_nm("c"));
	test_settle(a);
	take0(b, "condition.acquire", "c");
	r = test_ok(b, "condition.notify", test_nm("c"));
	cr_assert_eq(test_int(r, "woken"), 1);
	json_decref(r);
	test_hang_up(a);
	await_connections(b, 1);
	test_ok0(b, "condition.release", test_nm("c"));
	r = test_info(b, "condition", "c");
	cr_assert(!test_bool(r, "locked"));
	json_decref(r);
	r = take(b, "condition.acquire", "c");
	cr_assert(!test_bool(r, "abandoned"));
	json_decref(r);
	test_hang_up(b);
	mpdd_stop(&d);
}

Test(sync, notify_and_wait_need_the_lock)
{
	int a, b;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	test_ok0(a, "condition.create", test_nm("c"));
	cr_assert_eq(test_fails(a, "condition.notify", test_nm("c"),
				"invalid_state"),
		     3);
	test_fails(a, "condition.wait", test_nm("c"), "invalid_state");
	test_fails(a, "condition.notify",
		   json_pack("{s:s, s:b}", "name", "c", "all", 1),
		   "invalid_state");
	test_fails(a, "condition.release", test_nm("c"), "invalid_state");
	test_assert_ping(d.socket);
	/* Held by another connection is not held. */
	take0(b, "condition.acquire", "c");
	test_fails(a, "condition.wait", test_nm("c"), "invalid_state");
	test_fails(a, "condition.notify", test_nm("c"), "invalid_state");
	test_fails(a, "condition.release", test_nm("c"), "invalid_state");
	test_assert_ping(d.socket);
	test_hang_up(a);
	test_hang_up(b);
	mpdd_stop(&d);
}

Test(sync, a_condition_on_a_named_lock)
{
	const char *msg;
	json_t *r, *l;
	int a, b;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	test_fails(a, "condition.create",
		   json_pack("{s:s, s:s}", "name", "c", "lock", "m"),
		   "not_found");
	mklock(a, "m", false);
	r = test_ok(a, "condition.create",
		    json_pack("{s:s, s:s}", "name", "c", "lock", "m"));
	cr_assert_str_eq(json_string_value(json_object_get(r, "lock")), "m");
	json_decref(r);
	/* The lock is the same through either noun. */
	take0(a, "lock.acquire", "m");
	r = test_info(b, "condition", "c");
	cr_assert(test_bool(r, "locked"));
	json_decref(r);
	test_send_call(a, "wait", "condition.wait", test_nm("c"));
	test_settle(a);
	r = test_info(b, "lock", "m");
	cr_assert(!test_bool(r, "locked"));
	json_decref(r);
	take0(b, "lock.acquire", "m");
	test_ok0(b, "condition.notify", test_nm("c"));
	test_ok0(b, "lock.release", test_nm("m"));
	json_decref(test_result_for(a, "wait"));
	test_ok0(a, "condition.release", test_nm("c"));
	/* A lock in use by a condition cannot be deleted. */
	r = test_call(a, "lock.delete", test_nm("m"));
	cr_assert_eq(test_error_code(r, NULL), 3);
	msg = json_string_value(
		json_object_get(json_object_get(r, "error"), "message"));
	cr_assert(msg != NULL && strstr(msg, "used by condition \"c\""),
		  "message: %s", msg);
	json_decref(r);
	test_assert_ping(d.socket);
	r = test_ok(a, "condition.list", NULL);
	l = json_object_get(r, "conditions");
	cr_assert_eq(json_array_size(l), 1);
	cr_assert_str_eq(json_string_value(
				 json_object_get(json_array_get(l, 0), "lock")),
			 "m");
	json_decref(r);
	/* Deleting the condition leaves its named lock, which is then free
	 * to go. */
	test_ok0(a, "condition.delete", test_nm("c"));
	r = test_info(a, "lock", "m");
	cr_assert(!test_bool(r, "locked"));
	json_decref(r);
	test_ok0(a, "lock.delete", test_nm("m"));
	test_hang_up(a);
	test_hang_up(b);
	mpdd_stop(&d);
}

/* condition.wait answered closed does not take the lock back. */
Test(sync, a_wait_closed_by_delete_does_not_take_the_lock_back)
{
	json_t *r;
	int a, b;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	mklock(a, "m", false);
	test_ok0(a, "condition.create",
		 json_pack("{s:s, s:s}", "name", "c", "lock", "m"));
	take0(a, "lock.acquire", "m");
	test_send_call(a, "wait", "condition.wait", test_nm("c"));
	test_settle(a);
	test_ok0(b, "condition.delete", test_nm("c"));
	error_for(a, "wait", "closed");
	r = test_info(b, "lock", "m");
	cr_assert(!test_bool(r, "locked"));
	json_decref(r);
	test_fails(a, "lock.release", test_nm("m"), "invalid_state");
	test_hang_up(a);
	test_hang_up(b);
	mpdd_stop(&d);
}

/* --- Barriers --------------------------------------------------------- */

/* One round of barrier name (3 parties) by w[0..2], arriving in order
 * (connected here when first): each gets its index of arrival. */
static void barrier_round(int *w, const char *name, bool first)
{
	json_t *r;
	int seen = 0;

	for (int i = 0; i < 3; i++) {
		if (first)
			w[i] = test_connect(d.socket);
		test_send_call(w[i], "wait", "barrier.wait", test_nm(name));
		if (i < 2) {
			test_settle(w[i]);
			r = test_info(w[i], "barrier", name);
			cr_assert_eq(test_int(r, "n_waiting"), i + 1);
			json_decref(r);
		}
	}
	for (int i = 0; i < 3; i++) {
		long long index;

		r = test_result_for(w[i], "wait");
		index = test_int(r, "index");
		cr_assert_eq(json_object_size(r), 1);
		json_decref(r);
		cr_assert(index >= 0 && index < 3, "index %lld", index);
		seen |= 1 << index;
		/* In order of arrival, as the docs say. */
		cr_assert_eq(index, i);
	}
	cr_assert_eq(seen, 7);
}

Test(sync, a_barrier_lets_its_parties_through_round_after_round)
{
	static const char *const create_keys[] = { "name", "parties", "timeout",
						   "created", NULL };
	static const char *const info_keys[] = { "name",      "parties",
						 "n_waiting", "broken",
						 "timeout",   NULL };
	json_t *r, *l;
	int fd, w[3];

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	r = test_ok(fd, "barrier.create",
		    json_pack("{s:s, s:i}", "name", "b", "parties", 3));
	assert_keys(r, create_keys);
	cr_assert_eq(test_int(r, "parties"), 3);
	cr_assert(json_is_null(json_object_get(r, "timeout")));
	json_decref(r);
	barrier_round(w, "b", true);
	barrier_round(w, "b", false);
	r = test_info(fd, "barrier", "b");
	assert_keys(r, info_keys);
	cr_assert_eq(test_int(r, "n_waiting"), 0);
	cr_assert(!test_bool(r, "broken"));
	json_decref(r);
	r = test_ok(fd, "barrier.list", NULL);
	l = json_object_get(r, "barriers");
	cr_assert_eq(json_array_size(l), 1);
	cr_assert_eq(test_int(json_array_get(l, 0), "parties"), 3);
	json_decref(r);
	for (int i = 0; i < 3; i++)
		test_hang_up(w[i]);
	test_hang_up(fd);
	mpdd_stop(&d);
}

/* Python's test_single_thread: Barrier(1) never blocks. */
Test(sync, a_barrier_of_one_passes_at_once)
{
	json_t *r;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	test_ok0(fd, "barrier.create",
		 json_pack("{s:s, s:i}", "name", "b", "parties", 1));
	for (int i = 0; i < 3; i++) {
		r = test_ok(fd, "barrier.wait", test_nm("b"));
		cr_assert_eq(test_int(r, "index"), 0);
		json_decref(r);
	}
	test_hang_up(fd);
	mpdd_stop(&d);
}

/* Python's test_timeout: a waiter's timeout breaks it for everyone. */
Test(sync, a_waiter_timeout_breaks_the_barrier_until_reset)
{
	double t0, took;
	json_t *r;
	int a, b, w[3];

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	test_ok0(a, "barrier.create",
		 json_pack("{s:s, s:i}", "name", "b", "parties", 3));
	test_send_call(a, "a", "barrier.wait", test_nm("b"));
	test_settle(a);
	t0 = now_s();
	cr_assert_eq(test_fails(b, "barrier.wait",
				json_pack("{s:s, s:f}", "name", "b", "timeout",
					  SHORT_S),
				"broken"),
		     10);
	took = now_s() - t0;
	cr_assert(took >= SHORT_S && took < LATE_S, "broke after %.3f s", took);
	cr_assert_eq(error_for(a, "a", "broken"), 10);
	r = test_info(b, "barrier", "b");
	cr_assert(test_bool(r, "broken"));
	cr_assert_eq(test_int(r, "n_waiting"), 0);
	json_decref(r);
	/* Broken until reset: later waits fail at once. */
	test_fails(b, "barrier.wait", test_nm("b"), "broken");
	test_fails(b, "barrier.wait",
		   json_pack("{s:s, s:i}", "name", "b", "timeout", 0),
		   "broken");
	test_assert_ping(d.socket);
	r = test_ok(b, "barrier.reset", test_nm("b"));
	cr_assert_eq(test_int(r, "woken"), 0);
	json_decref(r);
	r = test_info(b, "barrier", "b");
	cr_assert(!test_bool(r, "broken"));
	json_decref(r);
	barrier_round(w, "b", true);
	for (int i = 0; i < 3; i++)
		test_hang_up(w[i]);
	test_hang_up(a);
	test_hang_up(b);
	mpdd_stop(&d);
}

/* Python's test_default_timeout: Barrier(timeout=) applies to wait(). */
Test(sync, the_barriers_own_timeout_is_the_default)
{
	double t0, took;
	json_t *r;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	r = test_ok(fd, "barrier.create",
		    json_pack("{s:s, s:i, s:f}", "name", "b", "parties", 2,
			      "timeout", SHORT_S));
	cr_assert_float_eq(json_number_value(json_object_get(r, "timeout")),
			   SHORT_S, 1e-9);
	json_decref(r);
	t0 = now_s();
	test_fails(fd, "barrier.wait", test_nm("b"), "broken");
	took = now_s() - t0;
	cr_assert(took >= SHORT_S && took < LATE_S, "broke after %.3f s", took);
	test_hang_up(fd);
	mpdd_stop(&d);
}

/* Python's test_abort. */
Test(sync, abort_breaks_the_barrier)
{
	json_t *r;
	int a, b, fd, w[3];

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	test_ok0(fd, "barrier.create",
		 json_pack("{s:s, s:i}", "name", "b", "parties", 3));
	test_send_call(a, "a", "barrier.wait", test_nm("b"));
	test_settle(a);
	test_send_call(b, "b", "barrier.wait", test_nm("b"));
	test_settle(b);
	r = test_ok(fd, "barrier.abort", test_nm("b"));
	cr_assert_eq(test_int(r, "woken"), 2);
	json_decref(r);
	error_for(a, "a", "broken");
	error_for(b, "b", "broken");
	r = test_info(fd, "barrier", "b");
	cr_assert(test_bool(r, "broken"));
	json_decref(r);
	test_fails(fd, "barrier.wait", test_nm("b"), "broken");
	/* Python's test_abort_and_reset: reset makes it whole again. */
	test_ok0(fd, "barrier.reset", test_nm("b"));
	barrier_round(w, "b", true);
	for (int i = 0; i < 3; i++)
		test_hang_up(w[i]);
	test_hang_up(a);
	test_hang_up(b);
	test_hang_up(fd);
	mpdd_stop(&d);
}

/* Python's test_reset: waiters get BrokenBarrierError, the barrier is
 * whole and empty after. */
Test(sync, reset_wakes_waiters_broken_and_leaves_it_usable)
{
	json_t *r;
	int fd, a, w[3];

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	a = test_connect(d.socket);
	test_ok0(fd, "barrier.create",
		 json_pack("{s:s, s:i}", "name", "b", "parties", 3));
	test_send_call(a, "a", "barrier.wait", test_nm("b"));
	test_settle(a);
	r = test_ok(fd, "barrier.reset", test_nm("b"));
	cr_assert_eq(test_int(r, "woken"), 1);
	json_decref(r);
	error_for(a, "a", "broken");
	r = test_info(fd, "barrier", "b");
	cr_assert(!test_bool(r, "broken"));
	cr_assert_eq(test_int(r, "n_waiting"), 0);
	json_decref(r);
	barrier_round(w, "b", true);
	for (int i = 0; i < 3; i++)
		test_hang_up(w[i]);
	test_hang_up(a);
	test_hang_up(fd);
	mpdd_stop(&d);
}

Test(sync, a_barrier_waiter_that_closes_breaks_it)
{
	json_t *r;
	int fd, a, b;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	test_ok0(fd, "barrier.create",
		 json_pack("{s:s, s:i}", "name", "b", "parties", 3));
	test_send_call(a, "a", "barrier.wait", test_nm("b"));
	test_settle(a);
	test_send_call(b, "b", "barrier.wait", test_nm("b"));
	test_settle(b);
	test_hang_up(a);
	error_for(b, "b", "broken");
	r = test_info(fd, "barrier", "b");
	cr_assert(test_bool(r, "broken"));
	cr_assert_eq(test_int(r, "n_waiting"), 0);
	json_decref(r);
	test_fails(fd, "barrier.wait", test_nm("b"), "broken");
	test_hang_up(b);
	test_hang_up(fd);
	mpdd_stop(&d);
}

/* --- Errors, limits, counts ------------------------------------------- */

Test(sync, every_method_on_a_missing_object_is_not_found)
{
	static const char *const methods[] = {
		"lock.acquire",	    "lock.release",	 "lock.info",
		"lock.delete",	    "semaphore.acquire", "semaphore.release",
		"semaphore.info",   "semaphore.delete",	 "event.set",
		"event.clear",	    "event.wait",	 "event.info",
		"event.delete",	    "condition.acquire", "condition.release",
		"condition.wait",   "condition.notify",	 "condition.info",
		"condition.delete", "barrier.wait",	 "barrier.abort",
		"barrier.reset",    "barrier.info",	 "barrier.delete",
	};
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	/* Each kind has its own namespace: a lock "x" is no semaphore. */
	mklock(fd, "x", false);
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		bool lock = strncmp(methods[i], "lock.", 5) == 0;

		cr_assert_eq(test_fails(fd, methods[i],
					test_nm(lock ? "nope" : "x"),
					"not_found"),
			     1);
	}
	test_assert_ping(d.socket);
	test_hang_up(fd);
	mpdd_stop(&d);
}

Test(sync, create_twice_is_exists_and_exist_ok_must_match)
{
	static const struct {
		const char *method, *params, *same, *other;
	} k[] = {
		{ "lock.create", "{\"name\":\"x\"}",
		  "{\"name\":\"x\",\"recursive\":false,\"exist_ok\":true}",
		  "{\"name\":\"x\",\"recursive\":true,\"exist_ok\":true}" },
		{ "semaphore.create", "{\"name\":\"x\",\"value\":2}",
		  "{\"name\":\"x\",\"value\":2,\"exist_ok\":true}",
		  "{\"name\":\"x\",\"value\":3,\"exist_ok\":true}" },
		{ "semaphore.create", "{\"name\":\"y\",\"bounded\":true}",
		  "{\"name\":\"y\",\"bounded\":true,\"exist_ok\":true}",
		  "{\"name\":\"y\",\"exist_ok\":true}" },
		{ "event.create", "{\"name\":\"x\"}",
		  "{\"name\":\"x\",\"exist_ok\":true}", NULL },
		{ "condition.create", "{\"name\":\"x\"}",
		  "{\"name\":\"x\",\"exist_ok\":true}",
		  "{\"name\":\"x\",\"lock\":\"x\",\"exist_ok\":true}" },
		{ "condition.create", "{\"name\":\"y\",\"lock\":\"x\"}",
		  "{\"name\":\"y\",\"lock\":\"x\",\"exist_ok\":true}",
		  "{\"name\":\"y\",\"exist_ok\":true}" },
		{ "barrier.create", "{\"name\":\"x\",\"parties\":2}",
		  "{\"name\":\"x\",\"parties\":2,\"exist_ok\":true}",
		  "{\"name\":\"x\",\"parties\":3,\"exist_ok\":true}" },
	};
	json_t *r;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		r = test_ok(fd, k[i].method, test_json(k[i].params));
		cr_assert(test_bool(r, "created"), "%s", k[i].params);
		json_decref(r);
		cr_assert_eq(test_fails(fd, k[i].method, test_json(k[i].params),
					"exists"),
			     2);
		r = test_ok(fd, k[i].method, test_json(k[i].same));
		cr_assert(!test_bool(r, "created"), "%s", k[i].same);
		json_decref(r);
		if (k[i].other != NULL)
			test_fails(fd, k[i].method, test_json(k[i].other),
				   "invalid_state");
		test_assert_ping(d.socket);
	}
	/* Nothing was changed by the refusals. */
	r = test_info(fd, "semaphore", "x");
	cr_assert_eq(test_int(r, "value"), 2);
	json_decref(r);
	r = test_info(fd, "barrier", "x");
	cr_assert_eq(test_int(r, "parties"), 2);
	json_decref(r);
	r = test_info(fd, "lock", "x");
	cr_assert(!test_bool(r, "recursive"));
	json_decref(r);
	test_hang_up(fd);
	mpdd_stop(&d);
}

/* Parameters are copied into the test worker: arrays, not pointers. */
struct bad_call {
	char method[24];
	char params[96];
	char field[12]; /* "": not checked */
};

ParameterizedTestParameters(sync, bad_params_are_refused_by_name)
{
	static struct bad_call cases[] = {
		{ "lock.create", "{}", "name" },
		{ "lock.create", "{\"name\":\"\"}", "name" },
		{ "lock.create", "{\"name\":7}", "name" },
		{ "lock.create", "{\"name\":\"n\",\"recursive\":1}",
		  "recursive" },
		{ "lock.create", "{\"name\":\"n\",\"exist_ok\":\"yes\"}",
		  "exist_ok" },
		{ "lock.create", "{\"name\":\"n\",\"bogus\":1}", "bogus" },
		{ "lock.acquire", "{\"name\":\"l\",\"timeout\":-1}",
		  "timeout" },
		{ "lock.acquire", "{\"name\":\"l\",\"timeout\":\"1\"}",
		  "timeout" },
		{ "lock.acquire", "{\"name\":\"l\",\"timeout\":31536001}",
		  "timeout" },
		{ "lock.acquire", "{\"name\":\"l\",\"lease\":0}", "lease" },
		{ "lock.acquire", "{\"name\":\"l\",\"lease\":-0.5}", "lease" },
		{ "lock.acquire", "{\"name\":\"l\",\"lease\":31536001}",
		  "lease" },
		{ "lock.acquire", "{\"name\":\"l\",\"lease\":\"5\"}", "lease" },
		{ "lock.release", "{}", "name" },
		{ "lock.release", "{\"name\":\"l\",\"n\":1}", "n" },
		{ "lock.info", "{\"name\":[]}", "name" },
		{ "semaphore.create", "{\"name\":\"n\",\"value\":-1}",
		  "value" },
		{ "semaphore.create", "{\"name\":\"n\",\"value\":2147483648}",
		  "value" },
		{ "semaphore.create", "{\"name\":\"n\",\"value\":1.5}",
		  "value" },
		{ "semaphore.create", "{\"name\":\"n\",\"bounded\":\"no\"}",
		  "bounded" },
		{ "semaphore.acquire", "{\"name\":\"s\",\"own\":\"no\"}",
		  "own" },
		{ "semaphore.acquire", "{\"name\":\"s\",\"lease\":0}",
		  "lease" },
		{ "semaphore.acquire", "{\"name\":\"s\",\"timeout\":-1}",
		  "timeout" },
		{ "semaphore.acquire",
		  "{\"name\":\"s\",\"own\":false,\"lease\":5}", "" },
		{ "semaphore.release", "{\"name\":\"s\",\"n\":0}", "n" },
		{ "semaphore.release", "{\"name\":\"s\",\"n\":-1}", "n" },
		{ "semaphore.release", "{\"name\":\"s\",\"n\":2147483648}",
		  "n" },
		{ "semaphore.release", "{\"name\":\"s\",\"n\":1.5}", "n" },
		{ "semaphore.release", "{\"name\":\"s\",\"own\":1}", "own" },
		{ "event.create", "{\"name\":\"n\",\"exist_ok\":1}",
		  "exist_ok" },
		{ "event.wait", "{\"name\":\"e\",\"timeout\":-1}", "timeout" },
		{ "event.set", "{\"name\":\"e\",\"timeout\":1}", "timeout" },
		{ "condition.create", "{\"name\":\"n\",\"lock\":5}", "lock" },
		{ "condition.create", "{\"name\":\"n\",\"lock\":\"\"}",
		  "lock" },
		{ "condition.wait", "{\"name\":\"c\",\"timeout\":-1}",
		  "timeout" },
		{ "condition.notify", "{\"name\":\"c\",\"n\":0}", "n" },
		{ "condition.notify", "{\"name\":\"c\",\"n\":2147483648}",
		  "n" },
		{ "condition.notify", "{\"name\":\"c\",\"all\":\"yes\"}",
		  "all" },
		{ "barrier.create", "{\"name\":\"n\"}", "parties" },
		{ "barrier.create", "{\"name\":\"n\",\"parties\":0}",
		  "parties" },
		{ "barrier.create", "{\"name\":\"n\",\"parties\":65537}",
		  "parties" },
		{ "barrier.create", "{\"name\":\"n\",\"parties\":\"3\"}",
		  "parties" },
		{ "barrier.create",
		  "{\"name\":\"n\",\"parties\":2,\"timeout\":-1}", "timeout" },
		{ "barrier.wait", "{\"name\":\"b\",\"timeout\":-1}",
		  "timeout" },
		{ "barrier.abort", "{\"name\":\"b\",\"timeout\":1}",
		  "timeout" },
		{ "lock.list", "{\"name\":\"l\"}", "name" },
	};
	return cr_make_param_array(struct bad_call, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_call *c, sync, bad_params_are_refused_by_name)
{
	json_t *r, *data, *objs;
	const char *name;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	mklock(fd, "l", false);
	test_ok0(fd, "semaphore.create", test_nm("s"));
	test_ok0(fd, "event.create", test_nm("e"));
	test_ok0(fd, "condition.create", test_nm("c"));
	take0(fd, "condition.acquire", "c");
	test_ok0(fd, "barrier.create",
		 json_pack("{s:s, s:i}", "name", "b", "parties", 2));
	r = test_call(fd, c->method, test_json(c->params));
	cr_assert_eq(test_error_code(r, &name), -32602, "%s %s", c->method,
		     c->params);
	cr_assert_str_eq(name, "invalid_params");
	data = json_object_get(json_object_get(r, "error"), "data");
	if (c->field[0] != '\0')
		cr_assert_str_eq(
			json_string_value(json_object_get(data, "field")),
			c->field, "%s %s", c->method, c->params);
	json_decref(r);
	/* Nothing changed, and the daemon still serves. */
	r = test_info(fd, "lock", "l");
	cr_assert(!test_bool(r, "locked"));
	json_decref(r);
	r = test_info(fd, "semaphore", "s");
	cr_assert_eq(test_int(r, "value"), 1);
	json_decref(r);
	r = test_info(fd, "barrier", "b");
	cr_assert_eq(test_int(r, "n_waiting"), 0);
	json_decref(r);
	r = test_info(fd, "condition", "c");
	cr_assert_eq(test_int(r, "waiters"), 0);
	cr_assert(test_bool(r, "locked"));
	json_decref(r);
	r = test_ok(fd, "daemon.info", NULL);
	objs = json_object_get(r, "broker");
	cr_assert_eq(test_int(objs, "locks") + test_int(objs, "semaphores") +
			     test_int(objs, "events") +
			     test_int(objs, "conditions") +
			     test_int(objs, "barriers"),
		     5, "a refused create made an object");
	json_decref(r);
	test_assert_ping(d.socket);
	test_hang_up(fd);
	mpdd_stop(&d);
}

/* The largest values of each range are taken (the refusals are above). */
Test(sync, the_ranges_include_their_maxima)
{
	json_t *r;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	mklock(fd, "l", false);
	r = test_ok(fd, "lock.acquire",
		    json_pack("{s:s, s:i, s:i}", "name", "l", "timeout",
			      31536000, "lease", 31536000));
	cr_assert(test_bool(r, "acquired"));
	json_decref(r);
	r = test_info(fd, "lock", "l");
	cr_assert(json_number_value(json_object_get(r, "lease")) > 31535000);
	json_decref(r);
	test_ok0(fd, "semaphore.create",
		 json_pack("{s:s, s:i}", "name", "zero", "value", 0));
	r = test_ok(fd, "semaphore.release",
		    json_pack("{s:s, s:I}", "name", "zero", "n",
			      (json_int_t)INT32_MAX));
	cr_assert_eq(test_int(r, "value"), INT32_MAX);
	json_decref(r);
	test_ok0(fd, "barrier.create",
		 json_pack("{s:s, s:i}", "name", "b", "parties", 65536));
	test_ok0(fd, "condition.create", test_nm("c"));
	take0(fd, "condition.acquire", "c");
	r = test_ok(fd, "condition.notify",
		    json_pack("{s:s, s:I}", "name", "c", "n",
			      (json_int_t)INT32_MAX));
	cr_assert_eq(test_int(r, "woken"), 0);
	json_decref(r);
	test_hang_up(fd);
	mpdd_stop(&d);
}

Test(sync, max_objects_counts_synchronization_objects)
{
	const char *extra[] = { "--max-objects", "3", NULL };
	static const char *const creates[][2] = {
		{ "lock.create", "{\"name\":\"x\"}" },
		{ "semaphore.create", "{\"name\":\"x\"}" },
		{ "event.create", "{\"name\":\"x\"}" },
		{ "condition.create", "{\"name\":\"x\"}" },
		{ "barrier.create", "{\"name\":\"x\",\"parties\":2}" },
		{ "queue.create", "{\"name\":\"x\"}" },
	};
	json_t *r, *data;
	const char *name;
	int fd;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	test_ok0(fd, "lock.create", test_nm("a"));
	test_ok0(fd, "barrier.create",
		 json_pack("{s:s, s:i}", "name", "a", "parties", 2));
	test_ok0(fd, "value.create",
		 json_pack("{s:s, s:s}", "name", "a", "type", "int"));
	for (size_t i = 0; i < sizeof(creates) / sizeof(creates[0]); i++) {
		r = test_call(fd, creates[i][0], test_json(creates[i][1]));
		cr_assert_eq(test_error_code(r, &name), 9, "%s", creates[i][0]);
		data = json_object_get(json_object_get(r, "error"), "data");
		cr_assert_str_eq(
			json_string_value(json_object_get(data, "limit")),
			"max_objects");
		json_decref(r);
	}
	test_assert_ping(d.socket);
	/* Deleting one gives its place back. */
	test_ok0(fd, "barrier.delete", test_nm("a"));
	test_ok0(fd, "condition.create", test_nm("x"));
	r = test_ok(fd, "daemon.info", NULL);
	data = json_object_get(r, "broker");
	cr_assert_eq(test_int(data, "locks"), 1);
	cr_assert_eq(test_int(data, "conditions"), 1);
	cr_assert_eq(test_int(data, "barriers"), 0);
	cr_assert_eq(test_int(data, "values"), 1);
	json_decref(r);
	test_hang_up(fd);
	mpdd_stop(&d);
}

/*
 * A hold and a parked waiter take broker bytes (daemon/sync.c's
 * HOLD_BYTES): past max_broker_bytes a wait is refused with limit, and
 * the bytes come back when the waiters go (docs/protocol.md,
 * Synchronization, "Limits").
 */
Test(sync, waiters_count_against_max_broker_bytes)
{
	const char *extra[] = { "--max-broker-bytes", "4K", NULL };
	char id[16], ping[16];
	json_t *r, *data;
	const char *name;
	int fd, w, parked = 0;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	w = test_connect(d.socket);
	mklock(fd, "l", false);
	take0(fd, "lock.acquire", "l");
	for (;;) {
		char *text;

		cr_assert(parked < 1000, "1000 waiters parked in 4 KiB");
		snprintf(id, sizeof(id), "w%d", parked);
		snprintf(ping, sizeof(ping), "p%d", parked);
		test_send_call(w, id, "lock.acquire", test_nm("l"));
		test_send_call(w, ping, "daemon.ping", NULL);
		text = test_read_line(w, TEST_TIMEOUT_MS);
		cr_assert(text != NULL);
		r = test_json(text);
		free(text);
		if (strcmp(json_string_value(json_object_get(r, "id")), ping) ==
		    0) {
			json_decref(r);
			parked++;
			continue;
		}
		cr_assert_eq(test_error_code(r, &name), 9);
		data = json_object_get(json_object_get(r, "error"), "data");
		cr_assert_str_eq(
			json_string_value(json_object_get(data, "limit")),
			"max_broker_bytes");
		json_decref(r);
		json_decref(test_reply_for(w, ping));
		break;
	}
	cr_assert(parked > 0);
	r = test_info(fd, "lock", "l");
	cr_assert_eq(test_int(r, "waiters"), parked);
	json_decref(r);
	test_assert_ping(d.socket);
	test_hang_up(w);
	test_await_info(fd, "lock", "l", "waiters", "0");
	w = test_connect(d.socket);
	test_send_call(w, "again", "lock.acquire", test_nm("l"));
	test_settle(w);
	test_hang_up(w);
	test_await_info(fd, "lock", "l", "waiters", "0");
	test_ok0(fd, "lock.release", test_nm("l"));
	test_ok0(fd, "lock.delete", test_nm("l"));
	cr_assert_eq(test_info_int(fd, "broker", "bytes"), 0);
	test_hang_up(fd);
	mpdd_stop(&d);
}

Test(sync, daemon_info_counts_each_kind)
{
	static const char *const kinds[] = { "lock", "semaphore", "event",
					     "condition", "barrier" };
	static const char *const keys[] = { "locks", "semaphores", "events",
					    "conditions", "barriers" };
	char method[32], name[8];
	json_t *r, *b;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	r = test_ok(fd, "daemon.info", NULL);
	b = json_object_get(r, "broker");
	for (size_t k = 0; k < 5; k++)
		cr_assert_eq(test_int(b, keys[k]), 0, "%s", keys[k]);
	json_decref(r);
	/* k + 1 objects of kind k. */
	for (size_t k = 0; k < 5; k++) {
		snprintf(method, sizeof(method), "%s.create", kinds[k]);
		for (size_t i = 0; i <= k; i++) {
			snprintf(name, sizeof(name), "n%zu", i);
			test_ok0(fd, method,
				 k == 4 ? json_pack("{s:s, s:i}", "name", name,
						    "parties", 2) :
					  test_nm(name));
		}
	}
	r = test_ok(fd, "daemon.info", NULL);
	b = json_object_get(r, "broker");
	for (size_t k = 0; k < 5; k++)
		cr_assert_eq(test_int(b, keys[k]), (long long)k + 1, "%s",
			     keys[k]);
	json_decref(r);
	for (size_t k = 0; k < 5; k++) {
		snprintf(method, sizeof(method), "%s.delete", kinds[k]);
		for (size_t i = 0; i <= k; i++) {
			snprintf(name, sizeof(name), "n%zu", i);
			test_ok0(fd, method, test_nm(name));
		}
	}
	r = test_ok(fd, "daemon.info", NULL);
	b = json_object_get(r, "broker");
	for (size_t k = 0; k < 5; k++)
		cr_assert_eq(test_int(b, keys[k]), 0, "%s", keys[k]);
	json_decref(r);
	test_hang_up(fd);
	mpdd_stop(&d);
}

/* --- Many clients ----------------------------------------------------- */

enum { STRESS_CLIENTS = 8, STRESS_CYCLES = 1000 };

struct cycler {
	const char *socket;
	int errors;
};

/* Read-modify-write under the lock, each step waiting for its reply. */
static void *cycle(void *arg)
{
	struct cycler *c = arg;
	int fd = test_try_connect(c->socket);

	if (fd < 0) {
		c->errors++;
		return NULL;
	}
	for (int i = 0; i < STRESS_CYCLES; i++) {
		json_t *r = test_call(fd, "lock.acquire", test_nm("l"));
		json_t *res = json_object_get(r, "result");
		json_int_t v;

		if (!json_is_true(json_object_get(res, "acquired"))) {
			c->errors++;
			json_decref(r);
			break;
		}
		json_decref(r);
		r = test_call(fd, "value.get", test_nm("n"));
		res = json_object_get(r, "result");
		v = json_integer_value(json_object_get(res, "value"));
		if (res == NULL)
			c->errors++;
		json_decref(r);
		r = test_call(fd, "value.set",
			      json_pack("{s:s, s:I}", "name", "n", "value",
					v + 1));
		if (json_object_get(r, "result") == NULL)
			c->errors++;
		json_decref(r);
		r = test_call(fd, "lock.release", test_nm("l"));
		if (json_object_get(r, "result") == NULL)
			c->errors++;
		json_decref(r);
	}
	test_forget(fd);
	close(fd);
	return NULL;
}

Test(sync, eight_clients_counting_under_a_lock_lose_no_update)
{
	struct cycler c[STRESS_CLIENTS];
	pthread_t t[STRESS_CLIENTS];
	json_t *r;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	mklock(fd, "l", false);
	test_ok0(fd, "value.create",
		 json_pack("{s:s, s:s}", "name", "n", "type", "int"));
	for (int i = 0; i < STRESS_CLIENTS; i++) {
		c[i] = (struct cycler){ d.socket, 0 };
		cr_assert(pthread_create(&t[i], NULL, cycle, &c[i]) == 0);
	}
	for (int i = 0; i < STRESS_CLIENTS; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(c[i].errors, 0, "client %d: %d errors", i,
			     c[i].errors);
	}
	r = test_ok(fd, "value.get", test_nm("n"));
	cr_assert_eq(test_int(r, "value"), STRESS_CLIENTS * STRESS_CYCLES);
	json_decref(r);
	r = test_info(fd, "lock", "l");
	cr_assert(!test_bool(r, "locked"));
	cr_assert_eq(test_int(r, "waiters"), 0);
	json_decref(r);
	test_hang_up(fd);
	mpdd_stop(&d);
}
