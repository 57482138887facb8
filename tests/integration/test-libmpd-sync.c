/*
 * test-libmpd-sync.c - libmpd's synchronization API: locks, semaphores,
 * events, conditions and barriers.
 *
 * The "sync" suite drives a real mpdd (the binary this build produced)
 * through the mpd_lock_*, mpd_semaphore_*, mpd_event_*, mpd_condition_*
 * and mpd_barrier_* functions: each success path, the waits that time out
 * (1 got it, 0 timed out, timeout 0 does not wait), waiters parked in a
 * thread with a client of their own and woken by another client, holds
 * that come back "abandoned" when their holder's client closes or its
 * lease runs out, a wait_for whose predicate turns true when another
 * client changes a value, and the daemon's errors as MPD_E_* codes. The
 * "sync_wire" suite puts a forked peer on the socket instead, which logs
 * each request's params and answers with a fixed result: it checks the
 * params each function sends, the results it refuses, and that bad
 * arguments are refused before anything reaches the socket.
 */
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "harness.h"
#include "libmpd-test.h"
#include "mpd.h"
#include "proto.h"

/* One timeout for every suite in this file (see test-libmpd-broker.c). */
#define SUITE_TIMEOUT 60

/* A timeout for waits that must not time out: the test's own bound. */
#define LONG_WAIT ((double)TEST_TIMEOUT_MS / 1000)

/* A value no function may write (see libmpd-test.h). */
#define AB_SENTINEL (-1)

/* Every *_info function. */
typedef int (*info_fn)(struct mpd_client *, const char *, json_t **,
		       struct mpd_error *);

/* The integer member key of info(name), asked on c. */
static json_int_t info_int(info_fn info, const char *name, const char *key)
{
	json_t *obj = NULL, *v;
	json_int_t n;

	OK(info(c, name, &obj, &err));
	v = json_object_get(obj, key);
	cr_assert(json_is_integer(v), "member %s of %s is not an integer", key,
		  name);
	n = json_integer_value(v);
	json_decref(obj);
	return n;
}

/* Wait (at most TEST_TIMEOUT_MS) until info(name)'s key is n: the way to
 * know that a thread's call is parked in the daemon. */
static void wait_member(info_fn info, const char *name, const char *key,
			json_int_t n)
{
	struct timespec tick = { .tv_nsec = 5 * 1000 * 1000 };
	int waited = 0;

	while (info_int(info, name, key) != n) {
		cr_assert_lt(waited, TEST_TIMEOUT_MS, "%s never had %s %lld",
			     name, key, (long long)n);
		nanosleep(&tick, NULL);
		waited += 5;
	}
}

/* Seconds on CLOCK_MONOTONIC. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * A client of its own in a thread, blocked in one waiting call. Criterion
 * asserts only in the test's thread: the waiter records, the test checks
 * after waiter_join().
 */
enum wait_op {
	W_LOCK, /* lock.acquire, then release if it got it */
	W_SEMAPHORE, /* semaphore.acquire */
	W_EVENT, /* event.wait */
	W_CONDITION, /* condition.acquire, condition.wait, release */
	W_WAIT_FOR, /* condition.acquire, wait_for value == 1, release */
	W_BARRIER, /* barrier.wait */
};

struct waiter {
	pthread_t thread;
	enum wait_op op;
	const char *name;
	const char *value; /* W_WAIT_FOR: the int value its pred reads */
	double timeout;
	struct mpd_client *wc;
	int r; /* what the waiting call returned */
	int abandoned;
	int pred_calls;
	int pred_error;
	char message[256];
};

/* W_WAIT_FOR's predicate: the value is 1 (read on the waiter's client,
 * holding the condition's lock). */
static int value_is_one(void *arg)
{
	struct waiter *w = arg;
	int64_t v = 0;
	int r = mpd_value_get_int(w->wc, w->value, &v, NULL);

	w->pred_calls++;
	if (r < 0) {
		w->pred_error = r;
		return 1;
	}
	return v == 1;
}

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	struct mpd_error e;

	w->r = mpd_connect(&w->wc, d.socket, &e);
	if (w->r < 0)
		goto out;
	switch (w->op) {
	case W_LOCK:
		w->r = mpd_lock_acquire(w->wc, w->name, w->timeout, 0,
					&w->abandoned, &e);
		if (w->r == 1 && mpd_lock_release(w->wc, w->name, &e) != 0)
			w->r = -1000;
		break;
	case W_SEMAPHORE:
		w->r = mpd_semaphore_acquire(w->wc, w->name, w->timeout, 0, 1,
					     &w->abandoned, &e);
		break;
	case W_EVENT:
		w->r = mpd_event_wait(w->wc, w->name, w->timeout, &e);
		break;
	case W_CONDITION:
	case W_WAIT_FOR:
		w->r = mpd_condition_acquire(w->wc, w->name, -1, NULL, &e);
		if (w->r != 1)
			break;
		if (w->op == W_CONDITION)
			w->r = mpd_condition_wait(w->wc, w->name, w->timeout,
						  &w->abandoned, &e);
		else
			w->r = mpd_condition_wait_for(w->wc, w->name,
						      value_is_one, w,
						      w->timeout, &w->abandoned,
						      &e);
		if (w->r >= 0 && mpd_condition_release(w->wc, w->name, &e) < 0)
			w->r = -1000;
		break;
	case W_BARRIER:
		w->r = mpd_barrier_wait(w->wc, w->name, w->timeout, &e);
		break;
	}
out:
	if (w->r < 0)
		snprintf(w->message, sizeof(w->message), "%s", e.message);
	mpd_close(w->wc);
	w->wc = NULL;
	return NULL;
}

/* Start w's thread; w is set up. */
static void waiter_run(struct waiter *w)
{
	w->abandoned = AB_SENTINEL;
	cr_assert_eq(pthread_create(&w->thread, NULL, waiter_main, w), 0);
}

static void waiter_start(struct waiter *w, enum wait_op op, const char *name,
			 double timeout)
{
	*w = (struct waiter){ .op = op, .name = name, .timeout = timeout };
	waiter_run(w);
}

/* Join w and assert its call returned want. */
static void waiter_join(struct waiter *w, int want)
{
	cr_assert_eq(pthread_join(w->thread, NULL), 0);
	cr_assert_eq(w->r, want, "waiter on %s: %d, not %d (%s)", w->name, w->r,
		     want, w->message);
}

/* A second client for the test's thread; closed by the caller. */
static struct mpd_client *other(void)
{
	return connect_ok(d.socket);
}

TestSuite(sync, .fini = teardown, .timeout = SUITE_TIMEOUT);

Test(sync, a_lock_is_acquired_released_and_described)
{
	struct mpd_client *o;
	json_t *info = SENTINEL, *holder;
	int ab = AB_SENTINEL;

	start();
	o = other();
	OK(mpd_lock_create(c, "db", 0, 0, &err));
	IS(mpd_lock_locked(c, "db", &err), 0);
	IS(mpd_lock_acquire(c, "db", -1, 0, &ab, &err), 1);
	cr_assert_eq(ab, 0);
	IS(mpd_lock_locked(o, "db", &err), 1);
	OK(mpd_lock_info(o, "db", &info, &err));
	cr_assert(json_is_false(json_object_get(info, "recursive")));
	cr_assert(json_is_true(json_object_get(info, "locked")));
	cr_assert_eq(json_integer_value(json_object_get(info, "count")), 1);
	cr_assert_eq(json_integer_value(json_object_get(info, "waiters")), 0);
	cr_assert(json_is_false(json_object_get(info, "abandoned")));
	cr_assert(json_is_null(json_object_get(info, "lease")));
	holder = json_object_get(info, "holder");
	cr_assert_eq(json_integer_value(json_object_get(holder, "pid")),
		     getpid());
	json_decref(info);

	/* Held elsewhere: timeout 0 does not wait, a short one times out. */
	ab = AB_SENTINEL;
	IS(mpd_lock_acquire(o, "db", 0, 0, &ab, &err), 0);
	cr_assert_eq(ab, 0);
	IS(mpd_lock_acquire(o, "db", 0.05, 0, NULL, &err), 0);
	/* A plain lock its holder takes again waits, as Python's does. */
	IS(mpd_lock_acquire(c, "db", 0, 0, NULL, &err), 0);
	/* Only the holder releases it. */
	FAILS(mpd_lock_release(o, "db", &err), MPD_E_INVALID_STATE);
	IS(mpd_lock_release(c, "db", &err), 0);
	IS(mpd_lock_locked(c, "db", &err), 0);
	FAILS(mpd_lock_release(c, "db", &err), MPD_E_INVALID_STATE);
	IS(mpd_lock_acquire(o, "db", 0, 0, NULL, &err), 1);
	IS(mpd_lock_release(o, "db", &err), 0);
	mpd_close(o);
	stop();
}

Test(sync, an_rlock_counts_its_holders_acquisitions)
{
	json_t *list = SENTINEL;
	int ab = AB_SENTINEL;

	start();
	OK(mpd_lock_create(c, "r", 1, 0, &err));
	IS(mpd_lock_acquire(c, "r", 0, 0, &ab, &err), 1);
	IS(mpd_lock_acquire(c, "r", 0, 0, &ab, &err), 1);
	IS(mpd_lock_acquire(c, "r", -1, 0, &ab, &err), 1);
	cr_assert_eq(ab, 0);
	cr_assert_eq(info_int(mpd_lock_info, "r", "count"), 3);
	IS(mpd_lock_release(c, "r", &err), 2);
	IS(mpd_lock_release(c, "r", &err), 1);
	IS(mpd_lock_locked(c, "r", &err), 1);
	IS(mpd_lock_release(c, "r", &err), 0);
	IS(mpd_lock_locked(c, "r", &err), 0);
	OK(mpd_lock_list(c, &list, &err));
	assert_json(list, "[{\"name\":\"r\",\"recursive\":true,"
			  "\"locked\":false}]");
	stop();
}

Test(sync, lock_create_list_and_delete)
{
	json_t *list = SENTINEL;

	start();
	OK(mpd_lock_list(c, &list, &err));
	assert_json(list, "[]");
	OK(mpd_lock_create(c, "b", 0, 0, &err));
	OK(mpd_lock_create(c, "a", 1, 0, &err));
	FAILS(mpd_lock_create(c, "a", 1, 0, &err), MPD_E_EXISTS);
	OK(mpd_lock_create(c, "a", 1, 1, &err));
	/* exist_ok with the other kind is no match. */
	FAILS(mpd_lock_create(c, "a", 0, 1, &err), MPD_E_INVALID_STATE);
	OK(mpd_lock_list(c, &list, &err));
	assert_json(list, "[{\"name\":\"a\",\"recursive\":true,"
			  "\"locked\":false},"
			  "{\"name\":\"b\",\"recursive\":false,"
			  "\"locked\":false}]");
	OK(mpd_lock_delete(c, "a", &err));
	FAILS(mpd_lock_delete(c, "a", &err), MPD_E_NOT_FOUND);
	FAILS(mpd_lock_acquire(c, "a", 0, 0, NULL, &err), MPD_E_NOT_FOUND);
	stop();
}

Test(sync, a_parked_acquire_is_served_by_a_release_of_another_client)
{
	struct waiter w;

	start();
	OK(mpd_lock_create(c, "l", 0, 0, &err));
	IS(mpd_lock_acquire(c, "l", -1, 0, NULL, &err), 1);
	waiter_start(&w, W_LOCK, "l", LONG_WAIT);
	wait_member(mpd_lock_info, "l", "waiters", 1);
	IS(mpd_lock_release(c, "l", &err), 0);
	waiter_join(&w, 1);
	cr_assert_eq(w.abandoned, 0);
	IS(mpd_lock_locked(c, "l", &err), 0);
	stop();
}

Test(sync, a_lock_whose_holder_closed_is_abandoned_for_the_next_acquirer)
{
	struct mpd_client *h;
	struct waiter w;
	int ab = AB_SENTINEL;

	start();
	OK(mpd_lock_create(c, "l", 0, 0, &err));
	/* Nobody waiting: the next acquire, whenever it comes, is told. */
	h = other();
	IS(mpd_lock_acquire(h, "l", -1, 0, NULL, &err), 1);
	mpd_close(h);
	IS(mpd_lock_acquire(c, "l", LONG_WAIT, 0, &ab, &err), 1);
	cr_assert_eq(ab, 1);
	/* Reported once: a clean release clears it. */
	IS(mpd_lock_release(c, "l", &err), 0);
	ab = AB_SENTINEL;
	IS(mpd_lock_acquire(c, "l", 0, 0, &ab, &err), 1);
	cr_assert_eq(ab, 0);

	/* A parked acquirer is served when the holder goes. */
	h = other();
	waiter_start(&w, W_LOCK, "l", LONG_WAIT);
	wait_member(mpd_lock_info, "l", "waiters", 1);
	mpd_close(c);
	c = h;
	waiter_join(&w, 1);
	cr_assert_eq(w.abandoned, 1);
	stop();
}

Test(sync, a_lease_that_runs_out_releases_the_lock_as_abandoned)
{
	struct mpd_client *o;
	json_t *info = NULL;
	int ab = AB_SENTINEL;

	start();
	o = other();
	OK(mpd_lock_create(c, "l", 1, 0, &err));
	IS(mpd_lock_acquire(c, "l", 0, 0.2, NULL, &err), 1);
	/* Re-entry keeps the lease, which the holder can see. */
	IS(mpd_lock_acquire(c, "l", 0, 0, NULL, &err), 1);
	OK(mpd_lock_info(c, "l", &info, &err));
	cr_assert(json_is_number(json_object_get(info, "lease")));
	json_decref(info);
	IS(mpd_lock_acquire(o, "l", LONG_WAIT, 0, &ab, &err), 1);
	cr_assert_eq(ab, 1);
	/* The lease took the whole count back. */
	FAILS(mpd_lock_release(c, "l", &err), MPD_E_INVALID_STATE);
	IS(mpd_lock_release(o, "l", &err), 0);
	mpd_close(o);
	stop();
}

Test(sync, deleting_a_lock_answers_its_acquirers_closed)
{
	struct waiter w;

	start();
	OK(mpd_lock_create(c, "l", 0, 0, &err));
	IS(mpd_lock_acquire(c, "l", -1, 0, NULL, &err), 1);
	waiter_start(&w, W_LOCK, "l", LONG_WAIT);
	wait_member(mpd_lock_info, "l", "waiters", 1);
	OK(mpd_lock_delete(c, "l", &err));
	waiter_join(&w, MPD_E_CLOSED);
	cr_assert_eq(w.abandoned, AB_SENTINEL);
	stop();
}

Test(sync, a_semaphore_counts_permits)
{
	json_t *info = SENTINEL, *list = SENTINEL;
	int64_t v = INT_SENTINEL;
	int ab = AB_SENTINEL;

	start();
	OK(mpd_semaphore_create(c, "s", 2, 0, 0, &err));
	OK(mpd_semaphore_get_value(c, "s", &v, &err));
	cr_assert_eq(v, 2);
	IS(mpd_semaphore_acquire(c, "s", 0, 0, 1, &ab, &err), 1);
	cr_assert_eq(ab, 0);
	IS(mpd_semaphore_acquire(c, "s", -1, 0, 1, NULL, &err), 1);
	/* None left: timeout 0 does not wait. */
	ab = AB_SENTINEL;
	IS(mpd_semaphore_acquire(c, "s", 0, 0, 1, &ab, &err), 0);
	cr_assert_eq(ab, 0);
	IS(mpd_semaphore_acquire(c, "s", 0.05, 0, 1, NULL, &err), 0);
	OK(mpd_semaphore_get_value(c, "s", &v, &err));
	cr_assert_eq(v, 0);
	OK(mpd_semaphore_info(c, "s", &info, &err));
	cr_assert_eq(json_integer_value(json_object_get(info, "initial")), 2);
	cr_assert(json_is_false(json_object_get(info, "bounded")));
	cr_assert(json_is_array(json_object_get(info, "holders")));
	json_decref(info);
	v = INT_SENTINEL;
	OK(mpd_semaphore_release(c, "s", 1, 0, &v, &err));
	cr_assert_eq(v, 1);
	/* Not bounded: past the initial value is fine. */
	OK(mpd_semaphore_release(c, "s", 5, 0, NULL, &err));
	OK(mpd_semaphore_get_value(c, "s", &v, &err));
	cr_assert_eq(v, 6);
	OK(mpd_semaphore_list(c, &list, &err));
	assert_json(list, "[{\"name\":\"s\",\"value\":6,\"bounded\":false}]");
	OK(mpd_semaphore_delete(c, "s", &err));
	FAILS(mpd_semaphore_get_value(c, "s", &v, &err), MPD_E_NOT_FOUND);
	cr_assert_eq(v, 6);
	stop();
}

Test(sync, a_bounded_semaphore_refuses_a_release_past_its_value)
{
	int64_t v = INT_SENTINEL;

	start();
	OK(mpd_semaphore_create(c, "b", 1, 1, 0, &err));
	FAILS(mpd_semaphore_release(c, "b", 1, 0, &v, &err),
	      MPD_E_INVALID_STATE);
	cr_assert_eq(v, INT_SENTINEL);
	IS(mpd_semaphore_acquire(c, "b", 0, 0, 1, NULL, &err), 1);
	FAILS(mpd_semaphore_release(c, "b", 2, 0, &v, &err),
	      MPD_E_INVALID_STATE);
	OK(mpd_semaphore_release(c, "b", 1, 0, &v, &err));
	cr_assert_eq(v, 1);
	/* exist_ok must match the value and boundedness. */
	OK(mpd_semaphore_create(c, "b", 1, 1, 1, &err));
	FAILS(mpd_semaphore_create(c, "b", 1, 1, 0, &err), MPD_E_EXISTS);
	FAILS(mpd_semaphore_create(c, "b", 2, 1, 1, &err), MPD_E_INVALID_STATE);
	stop();
}

Test(sync, a_parked_semaphore_acquire_is_served_by_a_release)
{
	struct waiter w;
	int64_t v = INT_SENTINEL;

	start();
	OK(mpd_semaphore_create(c, "s", 0, 0, 0, &err));
	waiter_start(&w, W_SEMAPHORE, "s", LONG_WAIT);
	wait_member(mpd_semaphore_info, "s", "waiters", 1);
	OK(mpd_semaphore_release(c, "s", 1, 0, &v, &err));
	/* The permit went straight to the waiter. */
	cr_assert_eq(v, 0);
	waiter_join(&w, 1);
	cr_assert_eq(w.abandoned, 0);
	stop();
}

Test(sync, owned_permits_come_back_abandoned_and_unowned_ones_do_not)
{
	struct mpd_client *h;
	int64_t v = INT_SENTINEL;
	int ab = AB_SENTINEL;

	start();
	OK(mpd_semaphore_create(c, "owned", 1, 0, 0, &err));
	OK(mpd_semaphore_create(c, "signal", 1, 0, 0, &err));
	OK(mpd_lock_create(c, "gone", 0, 0, &err));
	h = other();
	IS(mpd_semaphore_acquire(h, "owned", 0, 0, 1, NULL, &err), 1);
	IS(mpd_semaphore_acquire(h, "signal", 0, 0, 0, NULL, &err), 1);
	IS(mpd_lock_acquire(h, "gone", 0, 0, NULL, &err), 1);
	mpd_close(h);
	IS(mpd_semaphore_acquire(c, "owned", LONG_WAIT, 0, 1, &ab, &err), 1);
	cr_assert_eq(ab, 1);
	/* Once the lock came back, everything h held has. */
	IS(mpd_lock_acquire(c, "gone", LONG_WAIT, 0, NULL, &err), 1);
	OK(mpd_semaphore_get_value(c, "signal", &v, &err));
	cr_assert_eq(v, 0);
	IS(mpd_semaphore_acquire(c, "signal", 0, 0, 1, NULL, &err), 0);
	stop();
}

Test(sync, a_leased_permit_comes_back_abandoned_when_the_lease_runs_out)
{
	json_t *info = NULL, *holders;
	int ab = AB_SENTINEL;

	start();
	OK(mpd_semaphore_create(c, "s", 1, 0, 0, &err));
	IS(mpd_semaphore_acquire(c, "s", 0, 0.2, 1, NULL, &err), 1);
	OK(mpd_semaphore_info(c, "s", &info, &err));
	holders = json_object_get(info, "holders");
	cr_assert_eq(json_array_size(holders), 1);
	cr_assert(json_is_number(
		json_object_get(json_array_get(holders, 0), "lease")));
	json_decref(info);
	IS(mpd_semaphore_acquire(c, "s", LONG_WAIT, 0, 1, &ab, &err), 1);
	cr_assert_eq(ab, 1);
	stop();
}

Test(sync, an_own_release_gives_back_only_what_this_client_holds)
{
	struct mpd_client *o;
	int64_t v = -1;

	start();
	OK(mpd_semaphore_create(c, "s", 2, 0, 0, &err));
	IS(mpd_semaphore_acquire(c, "s", 0, 0.1, 1, NULL, &err), 1);
	/* The lease gives the permit back; an own release then adds none. */
	wait_member(mpd_semaphore_info, "s", "value", 2);
	FAILS(mpd_semaphore_release(c, "s", 1, 1, &v, &err),
	      MPD_E_INVALID_STATE);
	cr_assert_eq(v, -1);
	cr_assert_eq(info_int(mpd_semaphore_info, "s", "value"), 2);
	/* Another client's permit is not this one's to give back. */
	o = other();
	IS(mpd_semaphore_acquire(o, "s", 0, 0, 1, NULL, &err), 1);
	FAILS(mpd_semaphore_release(c, "s", 1, 1, NULL, &err),
	      MPD_E_INVALID_STATE);
	OK(mpd_semaphore_release(o, "s", 1, 1, &v, &err));
	cr_assert_eq(v, 2);
	mpd_close(o);
	stop();
}

Test(sync, an_event_wakes_every_waiter_and_stays_set)
{
	struct waiter w1, w2;
	json_t *info = SENTINEL, *list = SENTINEL;

	start();
	OK(mpd_event_create(c, "go", 0, &err));
	FAILS(mpd_event_create(c, "go", 0, &err), MPD_E_EXISTS);
	OK(mpd_event_create(c, "go", 1, &err));
	IS(mpd_event_is_set(c, "go", &err), 0);
	IS(mpd_event_wait(c, "go", 0, &err), 0);
	IS(mpd_event_wait(c, "go", 0.05, &err), 0);
	waiter_start(&w1, W_EVENT, "go", LONG_WAIT);
	waiter_start(&w2, W_EVENT, "go", -1);
	wait_member(mpd_event_info, "go", "waiters", 2);
	IS(mpd_event_set(c, "go", &err), 2);
	waiter_join(&w1, 1);
	waiter_join(&w2, 1);
	IS(mpd_event_is_set(c, "go", &err), 1);
	IS(mpd_event_wait(c, "go", 0, &err), 1);
	IS(mpd_event_wait(c, "go", -1, &err), 1);
	IS(mpd_event_set(c, "go", &err), 0);
	OK(mpd_event_info(c, "go", &info, &err));
	assert_json(info, "{\"name\":\"go\",\"set\":true,\"waiters\":0}");
	OK(mpd_event_clear(c, "go", &err));
	IS(mpd_event_is_set(c, "go", &err), 0);
	OK(mpd_event_list(c, &list, &err));
	assert_json(list, "[{\"name\":\"go\",\"set\":false}]");
	OK(mpd_event_delete(c, "go", &err));
	FAILS(mpd_event_wait(c, "go", 0, &err), MPD_E_NOT_FOUND);
	FAILS(mpd_event_set(c, "go", &err), MPD_E_NOT_FOUND);
	stop();
}

Test(sync, a_condition_wait_releases_its_lock_and_takes_it_back)
{
	struct waiter w;
	json_t *info = SENTINEL;
	int ab = AB_SENTINEL;

	start();
	OK(mpd_condition_create(c, "cv", NULL, 0, &err));
	OK(mpd_condition_create(c, "cv", NULL, 1, &err));
	/* Not holding the lock. */
	FAILS(mpd_condition_wait(c, "cv", 0, &ab, &err), MPD_E_INVALID_STATE);
	FAILS(mpd_condition_notify(c, "cv", 1, &err), MPD_E_INVALID_STATE);
	FAILS(mpd_condition_notify_all(c, "cv", &err), MPD_E_INVALID_STATE);
	FAILS(mpd_condition_release(c, "cv", &err), MPD_E_INVALID_STATE);
	cr_assert_eq(ab, AB_SENTINEL);

	IS(mpd_condition_acquire(c, "cv", -1, &ab, &err), 1);
	cr_assert_eq(ab, 0);
	/* Its own lock is an RLock. */
	IS(mpd_condition_acquire(c, "cv", 0, NULL, &err), 1);
	IS(mpd_condition_release(c, "cv", &err), 1);
	/* Nobody notifies: timeout 0 returns 0, the lock held again. */
	ab = AB_SENTINEL;
	IS(mpd_condition_wait(c, "cv", 0, &ab, &err), 0);
	cr_assert_eq(ab, 0);
	IS(mpd_condition_wait(c, "cv", 0.05, NULL, &err), 0);
	IS(mpd_condition_notify(c, "cv", 1, &err), 0);
	OK(mpd_condition_info(c, "cv", &info, &err));
	cr_assert(json_is_null(json_object_get(info, "lock")));
	cr_assert(json_is_true(json_object_get(info, "locked")));
	cr_assert_eq(json_integer_value(json_object_get(info, "waiters")), 0);
	json_decref(info);
	IS(mpd_condition_release(c, "cv", &err), 0);

	waiter_start(&w, W_CONDITION, "cv", LONG_WAIT);
	wait_member(mpd_condition_info, "cv", "waiters", 1);
	/* The waiter let the lock go while it waits. */
	IS(mpd_condition_acquire(c, "cv", 0, NULL, &err), 1);
	IS(mpd_condition_notify(c, "cv", 5, &err), 1);
	IS(mpd_condition_release(c, "cv", &err), 0);
	waiter_join(&w, 1);
	cr_assert_eq(w.abandoned, 0);
	stop();
}

Test(sync, a_wait_whose_lock_comes_back_from_a_holder_gone_is_abandoned)
{
	struct mpd_client *h;
	struct waiter w;

	start();
	OK(mpd_condition_create(c, "cv", NULL, 0, &err));
	waiter_start(&w, W_CONDITION, "cv", -1);
	wait_member(mpd_condition_info, "cv", "waiters", 1);
	/* h notifies, then goes away holding the lock. */
	h = other();
	IS(mpd_condition_acquire(h, "cv", LONG_WAIT, NULL, &err), 1);
	IS(mpd_condition_notify(h, "cv", 1, &err), 1);
	mpd_close(h);
	waiter_join(&w, 1);
	cr_assert_eq(w.abandoned, 1);
	stop();
}

Test(sync, notify_all_wakes_every_waiter)
{
	struct waiter w1, w2;

	start();
	OK(mpd_condition_create(c, "cv", NULL, 0, &err));
	waiter_start(&w1, W_CONDITION, "cv", -1);
	waiter_start(&w2, W_CONDITION, "cv", LONG_WAIT);
	wait_member(mpd_condition_info, "cv", "waiters", 2);
	IS(mpd_condition_acquire(c, "cv", LONG_WAIT, NULL, &err), 1);
	IS(mpd_condition_notify_all(c, "cv", &err), 2);
	IS(mpd_condition_release(c, "cv", &err), 0);
	waiter_join(&w1, 1);
	waiter_join(&w2, 1);
	stop();
}

Test(sync, a_condition_over_a_named_lock_shares_it)
{
	json_t *info = SENTINEL, *list = SENTINEL;

	start();
	FAILS(mpd_condition_create(c, "cv", "nolock", 0, &err),
	      MPD_E_NOT_FOUND);
	OK(mpd_lock_create(c, "l", 0, 0, &err));
	OK(mpd_condition_create(c, "cv", "l", 0, &err));
	OK(mpd_condition_create(c, "cv", "l", 1, &err));
	FAILS(mpd_condition_create(c, "cv", NULL, 1, &err),
	      MPD_E_INVALID_STATE);
	/* Taken as the lock, released through the condition. */
	IS(mpd_lock_acquire(c, "l", 0, 0, NULL, &err), 1);
	IS(mpd_condition_notify(c, "cv", 1, &err), 0);
	IS(mpd_condition_wait(c, "cv", 0, NULL, &err), 0);
	IS(mpd_lock_locked(c, "l", &err), 1);
	IS(mpd_condition_release(c, "cv", &err), 0);
	IS(mpd_lock_locked(c, "l", &err), 0);
	OK(mpd_condition_info(c, "cv", &info, &err));
	cr_assert_str_eq(json_string_value(json_object_get(info, "lock")), "l");
	json_decref(info);
	OK(mpd_condition_list(c, &list, &err));
	assert_json(list, "[{\"name\":\"cv\",\"lock\":\"l\"}]");
	FAILS(mpd_lock_delete(c, "l", &err), MPD_E_INVALID_STATE);
	OK(mpd_condition_delete(c, "cv", &err));
	OK(mpd_lock_delete(c, "l", &err));
	FAILS(mpd_condition_acquire(c, "cv", 0, NULL, &err), MPD_E_NOT_FOUND);
	stop();
}

Test(sync, wait_for_returns_once_another_client_makes_pred_true)
{
	struct waiter w;

	start();
	OK(mpd_value_create(c, "ready", "int", NULL, 0, &err));
	OK(mpd_condition_create(c, "cv", NULL, 0, &err));
	w = (struct waiter){ .op = W_WAIT_FOR,
			     .name = "cv",
			     .value = "ready",
			     .timeout = LONG_WAIT };
	waiter_run(&w);
	wait_member(mpd_condition_info, "cv", "waiters", 1);

	/* A notify with pred still false: the waiter waits again. */
	IS(mpd_condition_acquire(c, "cv", LONG_WAIT, NULL, &err), 1);
	IS(mpd_condition_notify(c, "cv", 1, &err), 1);
	IS(mpd_condition_release(c, "cv", &err), 0);
	/* Served first: the waiter had the lock and gave it back waiting. */
	IS(mpd_condition_acquire(c, "cv", LONG_WAIT, NULL, &err), 1);
	cr_assert_eq(info_int(mpd_condition_info, "cv", "waiters"), 1);
	OK(mpd_value_set_int(c, "ready", 1, &err));
	IS(mpd_condition_notify(c, "cv", 1, &err), 1);
	IS(mpd_condition_release(c, "cv", &err), 0);
	waiter_join(&w, 1);
	cr_assert_eq(w.pred_error, 0, "pred: %d", w.pred_error);
	cr_assert_eq(w.pred_calls, 3);
	cr_assert_eq(w.abandoned, 0);
	stop();
}

Test(sync, wait_for_tells_a_lock_that_came_back_from_a_holder_gone)
{
	struct mpd_client *h;
	struct waiter w;

	start();
	OK(mpd_value_create(c, "ready", "int", NULL, 0, &err));
	OK(mpd_condition_create(c, "cv", NULL, 0, &err));
	w = (struct waiter){ .op = W_WAIT_FOR,
			     .name = "cv",
			     .value = "ready",
			     .timeout = LONG_WAIT };
	waiter_run(&w);
	wait_member(mpd_condition_info, "cv", "waiters", 1);
	/* h makes pred true, notifies, and goes away holding the lock. */
	h = other();
	IS(mpd_condition_acquire(h, "cv", LONG_WAIT, NULL, &err), 1);
	OK(mpd_value_set_int(h, "ready", 1, &err));
	IS(mpd_condition_notify(h, "cv", 1, &err), 1);
	mpd_close(h);
	waiter_join(&w, 1);
	cr_assert_eq(w.abandoned, 1);
	stop();
}

static int pred_calls;

static int never(void *arg)
{
	(void)arg;
	pred_calls++;
	return 0;
}

static int always(void *arg)
{
	(void)arg;
	pred_calls++;
	return 7;
}

Test(sync, wait_for_times_out_with_pred_false)
{
	double t0, waited;

	start();
	OK(mpd_condition_create(c, "cv", NULL, 0, &err));
	IS(mpd_condition_acquire(c, "cv", -1, NULL, &err), 1);
	pred_calls = 0;
	IS(mpd_condition_wait_for(c, "cv", always, NULL, 0, NULL, &err), 1);
	cr_assert_eq(pred_calls, 1);
	/* Timeout 0: pred, one wait that does not wait, pred again. */
	pred_calls = 0;
	IS(mpd_condition_wait_for(c, "cv", never, NULL, 0, NULL, &err), 0);
	cr_assert_eq(pred_calls, 2);
	pred_calls = 0;
	t0 = now();
	IS(mpd_condition_wait_for(c, "cv", never, NULL, 0.2, NULL, &err), 0);
	waited = now() - t0;
	cr_assert_geq(waited, 0.15, "waited %.3f s", waited);
	cr_assert_geq(pred_calls, 2);
	/* The lock is still held through all of it. */
	IS(mpd_condition_release(c, "cv", &err), 0);
	FAILS(mpd_condition_wait_for(c, "cv", never, NULL, 0, NULL, &err),
	      MPD_E_INVALID_STATE);
	stop();
}

Test(sync, a_barrier_lets_its_parties_through_together)
{
	struct waiter w;
	json_t *info = SENTINEL, *list = SENTINEL;

	start();
	OK(mpd_barrier_create(c, "one", 1, -1, 0, &err));
	IS(mpd_barrier_wait(c, "one", 0, &err), 0);
	IS(mpd_barrier_wait(c, "one", -1, &err), 0);
	OK(mpd_barrier_create(c, "b", 2, LONG_WAIT, 0, &err));
	FAILS(mpd_barrier_create(c, "b", 2, -1, 0, &err), MPD_E_EXISTS);
	OK(mpd_barrier_create(c, "b", 2, -1, 1, &err));
	FAILS(mpd_barrier_create(c, "b", 3, -1, 1, &err), MPD_E_INVALID_STATE);
	for (int round = 0; round < 2; round++) {
		waiter_start(&w, W_BARRIER, "b", -1);
		wait_member(mpd_barrier_info, "b", "n_waiting", 1);
		IS(mpd_barrier_wait(c, "b", LONG_WAIT, &err), 1);
		waiter_join(&w, 0);
	}
	OK(mpd_barrier_info(c, "b", &info, &err));
	cr_assert_eq(json_integer_value(json_object_get(info, "parties")), 2);
	cr_assert_eq(json_integer_value(json_object_get(info, "n_waiting")), 0);
	cr_assert(json_is_false(json_object_get(info, "broken")));
	cr_assert_eq(json_number_value(json_object_get(info, "timeout")),
		     LONG_WAIT);
	json_decref(info);
	OK(mpd_barrier_list(c, &list, &err));
	assert_json(list, "[{\"name\":\"b\",\"parties\":2,\"n_waiting\":0,"
			  "\"broken\":false},"
			  "{\"name\":\"one\",\"parties\":1,\"n_waiting\":0,"
			  "\"broken\":false}]");
	OK(mpd_barrier_delete(c, "one", &err));
	FAILS(mpd_barrier_wait(c, "one", 0, &err), MPD_E_NOT_FOUND);
	stop();
}

Test(sync, a_barrier_breaks_on_a_timeout_and_an_abort_until_reset)
{
	struct waiter w;

	start();
	OK(mpd_barrier_create(c, "b", 2, -1, 0, &err));
	FAILS(mpd_barrier_wait(c, "b", 0.05, &err), MPD_E_BROKEN);
	cr_assert_eq(info_int(mpd_barrier_info, "b", "n_waiting"), 0);
	/* Broken for everyone until reset. */
	FAILS(mpd_barrier_wait(c, "b", LONG_WAIT, &err), MPD_E_BROKEN);
	OK(mpd_barrier_reset(c, "b", &err));

	waiter_start(&w, W_BARRIER, "b", LONG_WAIT);
	wait_member(mpd_barrier_info, "b", "n_waiting", 1);
	OK(mpd_barrier_abort(c, "b", &err));
	waiter_join(&w, MPD_E_BROKEN);
	FAILS(mpd_barrier_wait(c, "b", 0, &err), MPD_E_BROKEN);
	OK(mpd_barrier_reset(c, "b", &err));

	/* A reset while one waits breaks that round only. */
	waiter_start(&w, W_BARRIER, "b", -1);
	wait_member(mpd_barrier_info, "b", "n_waiting", 1);
	OK(mpd_barrier_reset(c, "b", &err));
	waiter_join(&w, MPD_E_BROKEN);
	waiter_start(&w, W_BARRIER, "b", -1);
	wait_member(mpd_barrier_info, "b", "n_waiting", 1);
	IS(mpd_barrier_wait(c, "b", LONG_WAIT, &err), 1);
	waiter_join(&w, 0);
	stop();
}

Test(sync, deleting_answers_every_parked_waiter_closed)
{
	struct waiter w[5];

	start();
	OK(mpd_semaphore_create(c, "s", 0, 0, 0, &err));
	OK(mpd_event_create(c, "e", 0, &err));
	OK(mpd_condition_create(c, "cv", NULL, 0, &err));
	OK(mpd_barrier_create(c, "b", 3, -1, 0, &err));
	OK(mpd_lock_create(c, "l", 0, 0, &err));
	IS(mpd_lock_acquire(c, "l", 0, 0, NULL, &err), 1);
	waiter_start(&w[0], W_SEMAPHORE, "s", -1);
	waiter_start(&w[1], W_EVENT, "e", -1);
	waiter_start(&w[2], W_CONDITION, "cv", -1);
	waiter_start(&w[3], W_BARRIER, "b", -1);
	waiter_start(&w[4], W_LOCK, "l", -1);
	wait_member(mpd_semaphore_info, "s", "waiters", 1);
	wait_member(mpd_event_info, "e", "waiters", 1);
	wait_member(mpd_condition_info, "cv", "waiters", 1);
	wait_member(mpd_barrier_info, "b", "n_waiting", 1);
	wait_member(mpd_lock_info, "l", "waiters", 1);
	OK(mpd_semaphore_delete(c, "s", &err));
	OK(mpd_event_delete(c, "e", &err));
	OK(mpd_condition_delete(c, "cv", &err));
	OK(mpd_barrier_delete(c, "b", &err));
	OK(mpd_lock_delete(c, "l", &err));
	for (int i = 0; i < 5; i++)
		waiter_join(&w[i], MPD_E_CLOSED);
	OK(mpd_ping(c, &err));
	stop();
}

Test(sync, every_kind_of_a_missing_name_is_not_found)
{
	json_t *j = SENTINEL;
	int64_t v = INT_SENTINEL;
	int ab = AB_SENTINEL;

	start();
	FAILS(mpd_lock_acquire(c, "x", 0, 0, &ab, &err), MPD_E_NOT_FOUND);
	FAILS(mpd_lock_release(c, "x", &err), MPD_E_NOT_FOUND);
	FAILS(mpd_lock_locked(c, "x", &err), MPD_E_NOT_FOUND);
	FAILS(mpd_lock_info(c, "x", &j, &err), MPD_E_NOT_FOUND);
	FAILS(mpd_semaphore_acquire(c, "x", 0, 0, 1, &ab, &err),
	      MPD_E_NOT_FOUND);
	FAILS(mpd_semaphore_release(c, "x", 1, 0, &v, &err), MPD_E_NOT_FOUND);
	FAILS(mpd_semaphore_info(c, "x", &j, &err), MPD_E_NOT_FOUND);
	FAILS(mpd_semaphore_delete(c, "x", &err), MPD_E_NOT_FOUND);
	FAILS(mpd_event_clear(c, "x", &err), MPD_E_NOT_FOUND);
	FAILS(mpd_event_is_set(c, "x", &err), MPD_E_NOT_FOUND);
	FAILS(mpd_event_info(c, "x", &j, &err), MPD_E_NOT_FOUND);
	FAILS(mpd_condition_wait(c, "x", 0, &ab, &err), MPD_E_NOT_FOUND);
	FAILS(mpd_condition_release(c, "x", &err), MPD_E_NOT_FOUND);
	FAILS(mpd_condition_notify(c, "x", 1, &err), MPD_E_NOT_FOUND);
	FAILS(mpd_condition_notify_all(c, "x", &err), MPD_E_NOT_FOUND);
	FAILS(mpd_condition_wait_for(c, "x", never, NULL, 0, NULL, &err),
	      MPD_E_NOT_FOUND);
	FAILS(mpd_condition_info(c, "x", &j, &err), MPD_E_NOT_FOUND);
	FAILS(mpd_condition_delete(c, "x", &err), MPD_E_NOT_FOUND);
	FAILS(mpd_barrier_wait(c, "x", 0, &err), MPD_E_NOT_FOUND);
	FAILS(mpd_barrier_abort(c, "x", &err), MPD_E_NOT_FOUND);
	FAILS(mpd_barrier_reset(c, "x", &err), MPD_E_NOT_FOUND);
	FAILS(mpd_barrier_info(c, "x", &j, &err), MPD_E_NOT_FOUND);
	FAILS(mpd_barrier_delete(c, "x", &err), MPD_E_NOT_FOUND);
	cr_assert_eq(j, SENTINEL);
	cr_assert_eq(v, INT_SENTINEL);
	cr_assert_eq(ab, AB_SENTINEL);
	stop();
}

Test(sync, out_of_range_values_the_daemon_checks_are_invalid_params)
{
	char long_name[MPD_MAX_NAME + 2];

	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	start();
	FAILS(mpd_lock_create(c, long_name, 0, 0, &err), MPD_E_INVALID_PARAMS);
	FAILS(mpd_barrier_create(c, long_name, 2, -1, 0, &err),
	      MPD_E_INVALID_PARAMS);
	OK(mpd_lock_create(c, "l", 0, 0, &err));
	FAILS(mpd_lock_acquire(c, "l", MPD_MAX_TIMEOUT + 1.0, 0, NULL, &err),
	      MPD_E_INVALID_PARAMS);
	FAILS(mpd_lock_acquire(c, "l", 0, MPD_MAX_TIMEOUT + 1.0, NULL, &err),
	      MPD_E_INVALID_PARAMS);
	IS(mpd_lock_locked(c, "l", &err), 0);
	OK(mpd_ping(c, &err));
	stop();
}

Test(sync, limits_count_sync_objects)
{
	const char *extra[] = { "--max-objects", "2", NULL };

	mpdd_start(&d, extra);
	c = connect_ok(d.socket);
	OK(mpd_lock_create(c, "l", 0, 0, &err));
	OK(mpd_event_create(c, "e", 0, &err));
	FAILS(mpd_barrier_create(c, "b", 2, -1, 0, &err), MPD_E_LIMIT);
	cr_assert_str_eq(json_string_value(json_object_get(err.data, "limit")),
			 "max_objects");
	OK(mpd_event_delete(c, "e", &err));
	OK(mpd_barrier_create(c, "b", 2, -1, 0, &err));
	stop();
}

/*
 * The wire, with a forked peer on a socket of its own. For each request
 * line it logs "METHOD PARAMS" (params compact with sorted keys, "-" when
 * absent) to dir/requests and answers with the result its arg gives
 * (PEER_RESULT holds every member a sync function hands back). It exits
 * at EOF.
 */
#define PEER_RESULT                                                      \
	"{\"acquired\":true,\"abandoned\":true,\"count\":1,\"value\":3," \
	"\"woken\":2,\"set\":true,\"notified\":true,\"index\":1,"        \
	"\"locked\":true,\"locks\":[],\"semaphores\":[],\"events\":[],"  \
	"\"conditions\":[],\"barriers\":[],\"name\":\"x\"}"

static struct test_peer p;

static void peer_teardown(void)
{
	mpd_close(c);
	c = NULL;
	test_peer_stop(&p);
}

TestSuite(sync_wire, .fini = peer_teardown, .timeout = SUITE_TIMEOUT);

static void peer_serve(int lfd, void *arg)
{
	static char line[1024 * 1024];
	const char *result = arg;
	int fd = accept(lfd, NULL, NULL);
	FILE *in = fd >= 0 ? fdopen(fd, "r") : NULL;
	FILE *log = fopen(p.requests, "w");
	json_t *req, *params;
	char *text;

	if (in == NULL || log == NULL)
		_exit(2);
	while (fgets(line, sizeof(line), in) != NULL) {
		req = json_loads(line, 0, NULL);
		if (req == NULL)
			_exit(3);
		params = json_object_get(req, "params");
		text = params != NULL ?
			       json_dumps(params,
					  JSON_COMPACT | JSON_SORT_KEYS) :
			       strdup("-");
		fprintf(log, "%s %s\n",
			json_string_value(json_object_get(req, "method")),
			text);
		free(text);
		if (fflush(log) != 0)
			_exit(4);
		if (dprintf(fd,
			    "{\"jsonrpc\":\"2.0\",\"id\":%" JSON_INTEGER_FORMAT
			    ",\"result\":%s}\n",
			    json_integer_value(json_object_get(req, "id")),
			    result) < 0)
			_exit(5);
		json_decref(req);
	}
	_exit(0);
}

/* Start the peer answering result (a JSON object text) and connect. */
static void peer_start(const char *result)
{
	test_peer_start(&p, peer_serve, (void *)result);
	c = connect_ok(p.socket);
}

/* Hang up, wait for the peer to finish, and compare what it logged. */
static void peer_finish(const char *want)
{
	char buf[16384];
	int status, fd;
	ssize_t n;

	mpd_close(c);
	c = NULL;
	status = test_peer_wait(&p);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "peer status %#x", status);
	fd = open(p.requests, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	cr_assert(n >= 0 && n < (ssize_t)sizeof(buf) - 1);
	buf[n] = '\0';
	cr_assert_str_eq(buf, want);
}

Test(sync_wire, lock_and_semaphore_calls_send_the_documented_params)
{
	json_t *got = NULL;
	int64_t v = 0;
	int ab = 0;

	peer_start(PEER_RESULT);
	OK(mpd_lock_create(c, "l", 0, 0, &err));
	OK(mpd_lock_create(c, "l", 1, 1, &err));
	IS(mpd_lock_acquire(c, "l", -1, 0, &ab, &err), 1);
	cr_assert_eq(ab, 1);
	IS(mpd_lock_acquire(c, "l", 0, 2.5, NULL, &err), 1);
	IS(mpd_lock_acquire(c, "l", INFINITY, 0, NULL, &err), 1);
	IS(mpd_lock_release(c, "l", &err), 1);
	IS(mpd_lock_locked(c, "l", &err), 1);
	OK(mpd_lock_info(c, "l", &got, &err));
	cr_assert(json_is_object(got));
	json_decref(got);
	OK(mpd_lock_delete(c, "l", &err));
	OK(mpd_lock_list(c, &got, &err));
	assert_json(got, "[]");

	OK(mpd_semaphore_create(c, "s", 1, 0, 0, &err));
	OK(mpd_semaphore_create(c, "s", 0, 1, 1, &err));
	IS(mpd_semaphore_acquire(c, "s", 1.5, 0, 1, &ab, &err), 1);
	IS(mpd_semaphore_acquire(c, "s", -1, 3, 1, NULL, &err), 1);
	IS(mpd_semaphore_acquire(c, "s", -1, 0, 0, NULL, &err), 1);
	OK(mpd_semaphore_release(c, "s", 1, 0, &v, &err));
	cr_assert_eq(v, 3);
	OK(mpd_semaphore_release(c, "s", 5, 1, NULL, &err));
	v = 0;
	OK(mpd_semaphore_get_value(c, "s", &v, &err));
	cr_assert_eq(v, 3);
	OK(mpd_semaphore_info(c, "s", &got, &err));
	json_decref(got);
	OK(mpd_semaphore_delete(c, "s", &err));
	OK(mpd_semaphore_list(c, &got, &err));
	assert_json(got, "[]");
	peer_finish("lock.create {\"name\":\"l\"}\n"
		    "lock.create {\"exist_ok\":true,\"name\":\"l\","
		    "\"recursive\":true}\n"
		    "lock.acquire {\"name\":\"l\"}\n"
		    "lock.acquire {\"lease\":2.5,\"name\":\"l\","
		    "\"timeout\":0.0}\n"
		    "lock.acquire {\"name\":\"l\"}\n"
		    "lock.release {\"name\":\"l\"}\n"
		    "lock.info {\"name\":\"l\"}\n"
		    "lock.info {\"name\":\"l\"}\n"
		    "lock.delete {\"name\":\"l\"}\n"
		    "lock.list {}\n"
		    "semaphore.create {\"name\":\"s\"}\n"
		    "semaphore.create {\"bounded\":true,\"exist_ok\":true,"
		    "\"name\":\"s\",\"value\":0}\n"
		    "semaphore.acquire {\"name\":\"s\",\"timeout\":1.5}\n"
		    "semaphore.acquire {\"lease\":3.0,\"name\":\"s\"}\n"
		    "semaphore.acquire {\"name\":\"s\",\"own\":false}\n"
		    "semaphore.release {\"name\":\"s\"}\n"
		    "semaphore.release {\"n\":5,\"name\":\"s\","
		    "\"own\":true}\n"
		    "semaphore.info {\"name\":\"s\"}\n"
		    "semaphore.info {\"name\":\"s\"}\n"
		    "semaphore.delete {\"name\":\"s\"}\n"
		    "semaphore.list {}\n");
}

/* true the second time it is asked. */
static int second_time(void *arg)
{
	int *n = arg;

	return ++*n >= 2;
}

Test(sync_wire, event_condition_and_barrier_calls_send_the_documented_params)
{
	json_t *got = NULL;
	int ab = 0, n = 0;

	peer_start(PEER_RESULT);
	OK(mpd_event_create(c, "e", 0, &err));
	OK(mpd_event_create(c, "e", 1, &err));
	IS(mpd_event_set(c, "e", &err), 2);
	OK(mpd_event_clear(c, "e", &err));
	IS(mpd_event_wait(c, "e", -1, &err), 1);
	IS(mpd_event_wait(c, "e", 0.5, &err), 1);
	IS(mpd_event_is_set(c, "e", &err), 1);
	OK(mpd_event_info(c, "e", &got, &err));
	json_decref(got);
	OK(mpd_event_delete(c, "e", &err));
	OK(mpd_event_list(c, &got, &err));
	assert_json(got, "[]");

	OK(mpd_condition_create(c, "cv", NULL, 0, &err));
	OK(mpd_condition_create(c, "cv", "l", 1, &err));
	IS(mpd_condition_acquire(c, "cv", -1, &ab, &err), 1);
	IS(mpd_condition_acquire(c, "cv", 0, NULL, &err), 1);
	IS(mpd_condition_release(c, "cv", &err), 1);
	ab = 0;
	IS(mpd_condition_wait(c, "cv", 2, &ab, &err), 1);
	cr_assert_eq(ab, 1);
	/* pred true at once: nothing sent; else one wait, timed or not. */
	n = 1;
	IS(mpd_condition_wait_for(c, "cv", second_time, &n, -1, NULL, &err), 1);
	n = 0;
	IS(mpd_condition_wait_for(c, "cv", second_time, &n, -1, NULL, &err), 1);
	n = 0;
	IS(mpd_condition_wait_for(c, "cv", second_time, &n, 30, NULL, &err), 1);
	IS(mpd_condition_notify(c, "cv", 1, &err), 2);
	IS(mpd_condition_notify(c, "cv", 3, &err), 2);
	IS(mpd_condition_notify_all(c, "cv", &err), 2);
	OK(mpd_condition_info(c, "cv", &got, &err));
	json_decref(got);
	OK(mpd_condition_delete(c, "cv", &err));
	OK(mpd_condition_list(c, &got, &err));
	assert_json(got, "[]");

	OK(mpd_barrier_create(c, "b", 3, -1, 0, &err));
	OK(mpd_barrier_create(c, "b", 2, 30, 1, &err));
	IS(mpd_barrier_wait(c, "b", -1, &err), 1);
	IS(mpd_barrier_wait(c, "b", INFINITY, &err), 1);
	IS(mpd_barrier_wait(c, "b", 0.25, &err), 1);
	OK(mpd_barrier_abort(c, "b", &err));
	OK(mpd_barrier_reset(c, "b", &err));
	OK(mpd_barrier_info(c, "b", &got, &err));
	json_decref(got);
	OK(mpd_barrier_delete(c, "b", &err));
	OK(mpd_barrier_list(c, &got, &err));
	assert_json(got, "[]");
	peer_finish("event.create {\"name\":\"e\"}\n"
		    "event.create {\"exist_ok\":true,\"name\":\"e\"}\n"
		    "event.set {\"name\":\"e\"}\n"
		    "event.clear {\"name\":\"e\"}\n"
		    "event.wait {\"name\":\"e\"}\n"
		    "event.wait {\"name\":\"e\",\"timeout\":0.5}\n"
		    "event.info {\"name\":\"e\"}\n"
		    "event.info {\"name\":\"e\"}\n"
		    "event.delete {\"name\":\"e\"}\n"
		    "event.list {}\n"
		    "condition.create {\"name\":\"cv\"}\n"
		    "condition.create {\"exist_ok\":true,\"lock\":\"l\","
		    "\"name\":\"cv\"}\n"
		    "condition.acquire {\"name\":\"cv\"}\n"
		    "condition.acquire {\"name\":\"cv\",\"timeout\":0.0}\n"
		    "condition.release {\"name\":\"cv\"}\n"
		    "condition.wait {\"name\":\"cv\",\"timeout\":2.0}\n"
		    "condition.wait {\"name\":\"cv\"}\n"
		    "condition.wait {\"name\":\"cv\",\"timeout\":30.0}\n"
		    "condition.notify {\"name\":\"cv\"}\n"
		    "condition.notify {\"n\":3,\"name\":\"cv\"}\n"
		    "condition.notify {\"all\":true,\"name\":\"cv\"}\n"
		    "condition.info {\"name\":\"cv\"}\n"
		    "condition.delete {\"name\":\"cv\"}\n"
		    "condition.list {}\n"
		    "barrier.create {\"name\":\"b\",\"parties\":3}\n"
		    "barrier.create {\"exist_ok\":true,\"name\":\"b\","
		    "\"parties\":2,\"timeout\":30.0}\n"
		    "barrier.wait {\"name\":\"b\"}\n"
		    "barrier.wait {\"name\":\"b\"}\n"
		    "barrier.wait {\"name\":\"b\",\"timeout\":0.25}\n"
		    "barrier.abort {\"name\":\"b\"}\n"
		    "barrier.reset {\"name\":\"b\"}\n"
		    "barrier.info {\"name\":\"b\"}\n"
		    "barrier.delete {\"name\":\"b\"}\n"
		    "barrier.list {}\n");
}

Test(sync_wire, a_timeout_answer_is_0_and_leaves_abandoned_0)
{
	int ab = AB_SENTINEL;

	peer_start("{\"acquired\":false,\"set\":false}");
	IS(mpd_lock_acquire(c, "l", 0, 0, &ab, &err), 0);
	cr_assert_eq(ab, 0);
	ab = AB_SENTINEL;
	IS(mpd_semaphore_acquire(c, "s", 0, 0, 1, &ab, &err), 0);
	cr_assert_eq(ab, 0);
	IS(mpd_condition_acquire(c, "cv", 0, NULL, &err), 0);
	IS(mpd_event_wait(c, "e", 0, &err), 0);
	peer_finish("lock.acquire {\"name\":\"l\",\"timeout\":0.0}\n"
		    "semaphore.acquire {\"name\":\"s\",\"timeout\":0.0}\n"
		    "condition.acquire {\"name\":\"cv\",\"timeout\":0.0}\n"
		    "event.wait {\"name\":\"e\",\"timeout\":0.0}\n");
}

/*
 * Results the library must refuse (MPD_E_PROTO, its out-parameters left
 * alone, the client still in step). Criterion copies parameters into the
 * test's process: strings are arrays.
 */
struct bad_result {
	char call[32];
	char result[96];
};

static struct bad_result bad_results[] = {
	{ "lock_acquire", "{\"acquired\":1,\"abandoned\":false}" },
	{ "lock_acquire", "{\"acquired\":true}" },
	{ "lock_acquire", "{\"acquired\":true,\"abandoned\":null}" },
	{ "lock_release", "{\"count\":-1}" },
	{ "lock_release", "{\"count\":\"0\"}" },
	{ "lock_release", "{}" },
	{ "lock_locked", "{\"locked\":0}" },
	{ "semaphore_release", "{\"value\":2147483648}" },
	{ "semaphore_get_value", "{\"value\":1.5}" },
	{ "event_set", "{\"woken\":-2}" },
	{ "event_wait", "{\"set\":\"yes\"}" },
	{ "condition_wait", "{\"notified\":false}" },
	{ "condition_notify", "{}" },
	{ "barrier_wait", "{\"index\":65536}" },
	{ "barrier_wait", "{\"index\":-1}" },
	{ "lock_info", "[]" },
	{ "lock_list", "{\"locks\":{}}" },
};

ParameterizedTestParameters(sync_wire, results_of_another_shape_are_proto)
{
	return cr_make_param_array(struct bad_result, bad_results,
				   sizeof(bad_results) /
					   sizeof(bad_results[0]));
}

/* Make the call named call; returns its result. */
static int make_result_call(const char *call, json_t **j, int64_t *v, int *ab)
{
#define CASE(n, call_)              \
	if (strcmp(call, (n)) == 0) \
		return (call_);
	CASE("lock_acquire", mpd_lock_acquire(c, "x", 0, 0, ab, &err));
	CASE("lock_release", mpd_lock_release(c, "x", &err));
	CASE("lock_locked", mpd_lock_locked(c, "x", &err));
	CASE("semaphore_release", mpd_semaphore_release(c, "x", 1, 0, v, &err));
	CASE("semaphore_get_value", mpd_semaphore_get_value(c, "x", v, &err));
	CASE("event_set", mpd_event_set(c, "x", &err));
	CASE("event_wait", mpd_event_wait(c, "x", 0, &err));
	CASE("condition_wait", mpd_condition_wait(c, "x", 0, ab, &err));
	CASE("condition_notify", mpd_condition_notify(c, "x", 1, &err));
	CASE("barrier_wait", mpd_barrier_wait(c, "x", 0, &err));
	CASE("lock_info", mpd_lock_info(c, "x", j, &err));
	CASE("lock_list", mpd_lock_list(c, j, &err));
#undef CASE
	cr_assert_fail("unknown call %s", call);
	return 0;
}

ParameterizedTest(struct bad_result *b, sync_wire,
		  results_of_another_shape_are_proto)
{
	json_t *j = SENTINEL;
	int64_t v = INT_SENTINEL;
	int ab = AB_SENTINEL, r;

	peer_start(b->result);
	r = make_result_call(b->call, &j, &v, &ab);
	cr_assert_eq(r, MPD_E_PROTO, "%s on %s: %d %s", b->call, b->result, r,
		     err.message);
	cr_assert_eq(err.code, MPD_E_PROTO);
	cr_assert_neq(err.message[0], '\0');
	cr_assert_eq(j, SENTINEL);
	cr_assert_eq(v, INT_SENTINEL);
	cr_assert_eq(ab, AB_SENTINEL);
	/* Still in step. */
	OK(mpd_ping(c, &err));
}

/*
 * Calls with a bad argument: each must be MPD_E_INVAL, leave its
 * out-parameters alone, run no predicate and send nothing. The case is
 * looked up by name.
 */
struct bad_call {
	char name[48];
};

static struct bad_call bad_calls[] = {
	{ "null_client" },
	{ "lock_create_null_name" },
	{ "lock_create_empty_name" },
	{ "lock_create_name_not_utf8" },
	{ "lock_acquire_nan_timeout" },
	{ "lock_acquire_negative_lease" },
	{ "lock_acquire_nan_lease" },
	{ "lock_acquire_infinite_lease" },
	{ "lock_release_null_name" },
	{ "lock_locked_empty_name" },
	{ "lock_info_null_out" },
	{ "lock_delete_null_name" },
	{ "lock_list_null_out" },
	{ "semaphore_create_negative_value" },
	{ "semaphore_create_value_too_big" },
	{ "semaphore_create_null_name" },
	{ "semaphore_acquire_nan_timeout" },
	{ "semaphore_acquire_negative_lease" },
	{ "semaphore_acquire_unowned_with_lease" },
	{ "semaphore_release_n_0" },
	{ "semaphore_release_n_too_big" },
	{ "semaphore_get_value_null_out" },
	{ "semaphore_info_null_out" },
	{ "semaphore_delete_empty_name" },
	{ "semaphore_list_null_out" },
	{ "event_create_null_name" },
	{ "event_set_empty_name" },
	{ "event_clear_null_name" },
	{ "event_wait_nan_timeout" },
	{ "event_is_set_name_not_utf8" },
	{ "event_info_null_out" },
	{ "event_delete_null_name" },
	{ "event_list_null_out" },
	{ "condition_create_empty_name" },
	{ "condition_create_empty_lock" },
	{ "condition_create_lock_not_utf8" },
	{ "condition_acquire_nan_timeout" },
	{ "condition_release_null_name" },
	{ "condition_wait_nan_timeout" },
	{ "condition_wait_for_null_client" },
	{ "condition_wait_for_null_name" },
	{ "condition_wait_for_name_not_utf8" },
	{ "condition_wait_for_null_pred" },
	{ "condition_wait_for_nan_timeout" },
	{ "condition_notify_n_0" },
	{ "condition_notify_n_too_big" },
	{ "condition_notify_all_empty_name" },
	{ "condition_info_null_out" },
	{ "condition_delete_null_name" },
	{ "condition_list_null_out" },
	{ "barrier_create_parties_0" },
	{ "barrier_create_parties_too_many" },
	{ "barrier_create_nan_timeout" },
	{ "barrier_create_null_name" },
	{ "barrier_wait_nan_timeout" },
	{ "barrier_abort_null_name" },
	{ "barrier_reset_empty_name" },
	{ "barrier_info_null_out" },
	{ "barrier_delete_null_name" },
	{ "barrier_list_null_out" },
};

ParameterizedTestParameters(sync_wire, bad_arguments_are_inval_and_unsent)
{
	return cr_make_param_array(struct bad_call, bad_calls,
				   sizeof(bad_calls) / sizeof(bad_calls[0]));
}

/* What a bad call may not touch. */
struct outs {
	json_t *j;
	int64_t i;
	int ab;
};

/* Make the call named name; returns its result. */
static int make_bad_call(const char *name, struct outs *o)
{
	const char *bad = "x\xff";

#define CASE(n, call)               \
	if (strcmp(name, (n)) == 0) \
		return (call);
	CASE("null_client", mpd_lock_create(NULL, "l", 0, 0, &err));
	CASE("lock_create_null_name", mpd_lock_create(c, NULL, 0, 0, &err));
	CASE("lock_create_empty_name", mpd_lock_create(c, "", 0, 0, &err));
	CASE("lock_create_name_not_utf8", mpd_lock_create(c, bad, 0, 0, &err));
	CASE("lock_acquire_nan_timeout",
	     mpd_lock_acquire(c, "l", NAN, 0, &o->ab, &err));
	CASE("lock_acquire_negative_lease",
	     mpd_lock_acquire(c, "l", 0, -1, &o->ab, &err));
	CASE("lock_acquire_nan_lease",
	     mpd_lock_acquire(c, "l", 0, NAN, &o->ab, &err));
	CASE("lock_acquire_infinite_lease",
	     mpd_lock_acquire(c, "l", 0, INFINITY, &o->ab, &err));
	CASE("lock_release_null_name", mpd_lock_release(c, NULL, &err));
	CASE("lock_locked_empty_name", mpd_lock_locked(c, "", &err));
	CASE("lock_info_null_out", mpd_lock_info(c, "l", NULL, &err));
	CASE("lock_delete_null_name", mpd_lock_delete(c, NULL, &err));
	CASE("lock_list_null_out", mpd_lock_list(c, NULL, &err));
	CASE("semaphore_create_negative_value",
	     mpd_semaphore_create(c, "s", -1, 0, 0, &err));
	CASE("semaphore_create_value_too_big",
	     mpd_semaphore_create(c, "s", (int64_t)MPD_MAX_SEMAPHORE + 1, 0, 0,
				  &err));
	CASE("semaphore_create_null_name",
	     mpd_semaphore_create(c, NULL, 1, 0, 0, &err));
	CASE("semaphore_acquire_nan_timeout",
	     mpd_semaphore_acquire(c, "s", NAN, 0, 1, &o->ab, &err));
	CASE("semaphore_acquire_negative_lease",
	     mpd_semaphore_acquire(c, "s", 0, -0.5, 1, &o->ab, &err));
	CASE("semaphore_acquire_unowned_with_lease",
	     mpd_semaphore_acquire(c, "s", 0, 1, 0, &o->ab, &err));
	CASE("semaphore_release_n_0",
	     mpd_semaphore_release(c, "s", 0, 0, &o->i, &err));
	CASE("semaphore_release_n_too_big",
	     mpd_semaphore_release(c, "s", (int64_t)MPD_MAX_SEMAPHORE + 1, 0,
				   &o->i, &err));
	CASE("semaphore_get_value_null_out",
	     mpd_semaphore_get_value(c, "s", NULL, &err));
	CASE("semaphore_info_null_out", mpd_semaphore_info(c, "s", NULL, &err));
	CASE("semaphore_delete_empty_name", mpd_semaphore_delete(c, "", &err));
	CASE("semaphore_list_null_out", mpd_semaphore_list(c, NULL, &err));
	CASE("event_create_null_name", mpd_event_create(c, NULL, 0, &err));
	CASE("event_set_empty_name", mpd_event_set(c, "", &err));
	CASE("event_clear_null_name", mpd_event_clear(c, NULL, &err));
	CASE("event_wait_nan_timeout", mpd_event_wait(c, "e", NAN, &err));
	CASE("event_is_set_name_not_utf8", mpd_event_is_set(c, bad, &err));
	CASE("event_info_null_out", mpd_event_info(c, "e", NULL, &err));
	CASE("event_delete_null_name", mpd_event_delete(c, NULL, &err));
	CASE("event_list_null_out", mpd_event_list(c, NULL, &err));
	CASE("condition_create_empty_name",
	     mpd_condition_create(c, "", NULL, 0, &err));
	CASE("condition_create_empty_lock",
	     mpd_condition_create(c, "cv", "", 0, &err));
	CASE("condition_create_lock_not_utf8",
	     mpd_condition_create(c, "cv", bad, 0, &err));
	CASE("condition_acquire_nan_timeout",
	     mpd_condition_acquire(c, "cv", NAN, &o->ab, &err));
	CASE("condition_release_null_name",
	     mpd_condition_release(c, NULL, &err));
	CASE("condition_wait_nan_timeout",
	     mpd_condition_wait(c, "cv", NAN, &o->ab, &err));
	CASE("condition_wait_for_null_client",
	     mpd_condition_wait_for(NULL, "cv", always, NULL, 0, NULL, &err));
	CASE("condition_wait_for_null_name",
	     mpd_condition_wait_for(c, NULL, always, NULL, 0, NULL, &err));
	CASE("condition_wait_for_name_not_utf8",
	     mpd_condition_wait_for(c, bad, always, NULL, 0, NULL, &err));
	CASE("condition_wait_for_null_pred",
	     mpd_condition_wait_for(c, "cv", NULL, NULL, 0, NULL, &err));
	CASE("condition_wait_for_nan_timeout",
	     mpd_condition_wait_for(c, "cv", always, NULL, NAN, NULL, &err));
	CASE("condition_notify_n_0", mpd_condition_notify(c, "cv", 0, &err));
	CASE("condition_notify_n_too_big",
	     mpd_condition_notify(c, "cv", (int64_t)MPD_MAX_SEMAPHORE + 1,
				  &err));
	CASE("condition_notify_all_empty_name",
	     mpd_condition_notify_all(c, "", &err));
	CASE("condition_info_null_out",
	     mpd_condition_info(c, "cv", NULL, &err));
	CASE("condition_delete_null_name", mpd_condition_delete(c, NULL, &err));
	CASE("condition_list_null_out", mpd_condition_list(c, NULL, &err));
	CASE("barrier_create_parties_0",
	     mpd_barrier_create(c, "b", 0, -1, 0, &err));
	CASE("barrier_create_parties_too_many",
	     mpd_barrier_create(c, "b", MPD_MAX_PARTIES + 1, -1, 0, &err));
	CASE("barrier_create_nan_timeout",
	     mpd_barrier_create(c, "b", 2, NAN, 0, &err));
	CASE("barrier_create_null_name",
	     mpd_barrier_create(c, NULL, 2, -1, 0, &err));
	CASE("barrier_wait_nan_timeout", mpd_barrier_wait(c, "b", NAN, &err));
	CASE("barrier_abort_null_name", mpd_barrier_abort(c, NULL, &err));
	CASE("barrier_reset_empty_name", mpd_barrier_reset(c, "", &err));
	CASE("barrier_info_null_out", mpd_barrier_info(c, "b", NULL, &err));
	CASE("barrier_delete_null_name", mpd_barrier_delete(c, NULL, &err));
	CASE("barrier_list_null_out", mpd_barrier_list(c, NULL, &err));
#undef CASE
	cr_assert_fail("unknown case %s", name);
	return 0;
}

ParameterizedTest(struct bad_call *b, sync_wire,
		  bad_arguments_are_inval_and_unsent)
{
	struct outs o = { SENTINEL, INT_SENTINEL, AB_SENTINEL };
	int r;

	peer_start(PEER_RESULT);
	pred_calls = 0;
	r = make_bad_call(b->name, &o);
	cr_assert_eq(r, MPD_E_INVAL, "%s: %d %s", b->name, r, err.message);
	cr_assert_eq(err.code, MPD_E_INVAL);
	cr_assert_neq(err.message[0], '\0');
	cr_assert_eq(o.j, SENTINEL);
	cr_assert_eq(o.i, INT_SENTINEL);
	cr_assert_eq(o.ab, AB_SENTINEL);
	cr_assert_eq(pred_calls, 0, "the predicate ran");
	/* The next request is the first the peer sees. */
	OK(mpd_ping(c, &err));
	peer_finish("daemon.ping -\n");
}
