/*
 * test-libmpd-broker.c - libmpd's broker API: queues, values and arrays.
 *
 * The "broker" suite drives a real mpdd (the binary this build produced)
 * through the mpd_queue_*, mpd_value_* and mpd_array_* functions: round
 * trips of every convenience type, the waits and their timeouts (empty,
 * full, join), a getter parked in one thread and woken by a put from
 * another client, close and delete, listings, type and range errors. The
 * "broker_wire" suite puts a forked peer on the socket instead, which logs
 * each request's params and answers with a fixed result: it checks the
 * params each function sends, and that bad arguments are refused before
 * anything reaches the socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "harness.h"
#include "libmpd-test.h"
#include "mpd.h"
#include "proto.h"

/*
 * One timeout for every suite in this file: with tests of different
 * timeouts running side by side, Criterion 2.4's watchdog loses a request
 * now and then, which LeakSanitizer reports in the runner.
 */
#define SUITE_TIMEOUT 60

/* More values no function may write (see libmpd-test.h). */
#define DOUBLE_SENTINEL (-7.5)
static char sentinel_str[] = "untouched";
#define STR_SENTINEL sentinel_str

/* The queue's size info; a new reference. */
static json_t *queue_info(const char *name)
{
	json_t *info = NULL;

	OK(mpd_queue_size(c, name, &info, &err));
	return info;
}

static json_int_t queue_member(const char *name, const char *key)
{
	json_t *info = queue_info(name);
	json_int_t v = member_int(info, key);

	json_decref(info);
	return v;
}

/* Wait (at most TEST_TIMEOUT_MS) until queue name has n parked getters. */
static void wait_getters(const char *name, json_int_t n)
{
	struct timespec tick = { .tv_nsec = 5 * 1000 * 1000 };
	int waited = 0;

	while (queue_member(name, "getters") != n) {
		cr_assert_lt(waited, TEST_TIMEOUT_MS,
			     "queue %s never had %lld getters", name,
			     (long long)n);
		nanosleep(&tick, NULL);
		waited += 5;
	}
}

TestSuite(broker, .fini = teardown, .timeout = SUITE_TIMEOUT);

Test(broker, put_and_get_round_trip_every_convenience_type)
{
	json_t *item = json_pack("{s:[i,s,n]}", "n", 1, "x"), *got = SENTINEL;
	int64_t i = INT_SENTINEL;
	double dbl = DOUBLE_SENTINEL;
	char *s = STR_SENTINEL;

	start();
	OK(mpd_queue_create(c, "q", 0, 0, &err));
	OK(mpd_queue_put(c, "q", item, -1, &err));
	cr_assert_eq(item->refcount, 1, "the item stays the caller's");
	/* Past 2^53: the integer must not go through a double. */
	OK(mpd_queue_put_int(c, "q", INT64_MIN + 1, -1, &err));
	OK(mpd_queue_put_double(c, "q", -2.5, 0, &err));
	OK(mpd_queue_put_string(c, "q", "h\xc3\xa9llo \"q\"\n", 0, &err));
	OK(mpd_queue_put_int(c, "q", 3, 1, &err));
	cr_assert_eq(queue_member("q", "size"), 5);

	OK(mpd_queue_get(c, "q", 0, &got, &err));
	cr_assert(json_equal(got, item));
	cr_assert_eq(got->refcount, 1, "the item is the caller's");
	json_decref(got);
	OK(mpd_queue_get_int(c, "q", 0, &i, &err));
	cr_assert_eq(i, INT64_MIN + 1);
	OK(mpd_queue_get_double(c, "q", 0, &dbl, &err));
	cr_assert_eq(dbl, -2.5);
	OK(mpd_queue_get_string(c, "q", 0, &s, &err));
	cr_assert_str_eq(s, "h\xc3\xa9llo \"q\"\n");
	free(s);
	/* get_double takes an integer item too. */
	OK(mpd_queue_get_double(c, "q", -1, &dbl, &err));
	cr_assert_eq(dbl, 3.0);
	cr_assert_eq(queue_member("q", "size"), 0);
	json_decref(item);
	stop();
}

Test(broker, a_convenience_get_of_another_type_is_proto_and_takes_the_item)
{
	int64_t i = INT_SENTINEL;
	double dbl = DOUBLE_SENTINEL;
	char *s = STR_SENTINEL;

	start();
	OK(mpd_queue_create(c, "q", 0, 0, &err));
	OK(mpd_queue_put_string(c, "q", "7", -1, &err));
	OK(mpd_queue_put_double(c, "q", 7.5, -1, &err));
	OK(mpd_queue_put_int(c, "q", 7, -1, &err));
	OK(mpd_queue_put_string(c, "q", "x", -1, &err));

	FAILS(mpd_queue_get_int(c, "q", 0, &i, &err), MPD_E_PROTO);
	cr_assert(strstr(err.message, "left the queue") != NULL, "%s",
		  err.message);
	cr_assert(strstr(err.message, "queue q") != NULL, "%s", err.message);
	/* A real number is no integer either. */
	FAILS(mpd_queue_get_int(c, "q", 0, &i, &err), MPD_E_PROTO);
	FAILS(mpd_queue_get_string(c, "q", 0, &s, &err), MPD_E_PROTO);
	FAILS(mpd_queue_get_double(c, "q", 0, &dbl, &err), MPD_E_PROTO);
	cr_assert_eq(i, INT_SENTINEL);
	cr_assert_eq(dbl, DOUBLE_SENTINEL);
	cr_assert_eq(s, STR_SENTINEL);
	/* Each was taken; the client is still in step. */
	cr_assert_eq(queue_member("q", "size"), 0);
	OK(mpd_ping(c, &err));
	stop();
}

Test(broker, get_with_timeout_0_on_an_empty_queue_is_empty)
{
	json_t *item = SENTINEL;
	int64_t i = INT_SENTINEL;
	struct timespec t0, t1;
	double waited;

	start();
	OK(mpd_queue_create(c, "q", 0, 0, &err));
	FAILS(mpd_queue_get(c, "q", 0, &item, &err), MPD_E_EMPTY);
	FAILS(mpd_queue_get_int(c, "q", 0, &i, &err), MPD_E_EMPTY);
	cr_assert_eq(item, SENTINEL);
	cr_assert_eq(i, INT_SENTINEL);
	/* A short timeout waits about that long, then is empty too. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	FAILS(mpd_queue_get(c, "q", 0.2, &item, &err), MPD_E_EMPTY);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	waited = (double)(t1.tv_sec - t0.tv_sec) +
		 (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_assert_geq(waited, 0.15, "waited %.3f s", waited);
	cr_assert_eq(queue_member("q", "getters"), 0);
	stop();
}

Test(broker, put_on_a_full_queue_with_timeout_0_is_full)
{
	start();
	OK(mpd_queue_create(c, "q", 2, 0, &err));
	OK(mpd_queue_put_int(c, "q", 1, 0, &err));
	OK(mpd_queue_put_int(c, "q", 2, 0, &err));
	FAILS(mpd_queue_put_int(c, "q", 3, 0, &err), MPD_E_FULL);
	FAILS(mpd_queue_put_string(c, "q", "x", 0.1, &err), MPD_E_FULL);
	cr_assert_eq(queue_member("q", "size"), 2);
	cr_assert_eq(queue_member("q", "putters"), 0);
	stop();
}

Test(broker, the_limits_in_mpd_h_are_the_daemons)
{
	json_t *info = NULL, *lim, *got = SENTINEL;

	start();
	OK(mpd_daemon_info(c, &info, &err));
	lim = json_object_get(info, "limits");
	cr_assert_eq(member_int(lim, "max_message"),
		     MPD_DAEMON_DEFAULT_MAX_MESSAGE);
	cr_assert_eq(member_int(lim, "max_output"),
		     MPD_DAEMON_DEFAULT_MAX_OUTPUT);
	json_decref(info);
	OK(mpd_queue_create(c, "q", 0, 0, &err));
	OK(mpd_queue_put_int(c, "q", 1, -1, &err));
	OK(mpd_queue_get_many(c, "q", MPD_QUEUE_GET_MANY_MAX, 0, &got, &err));
	assert_json(got, "[1]");
	got = SENTINEL;
	FAILS(mpd_queue_get_many(c, "q", MPD_QUEUE_GET_MANY_MAX + 1, 0, &got,
				 &err),
	      MPD_E_INVAL);
	cr_assert_eq(got, SENTINEL);
	stop();
}

Test(broker, put_many_and_get_many_move_items_in_order)
{
	json_t *items = json_pack("[i,s,{s:b}]", 1, "two", "three", 1);
	json_t *two = json_pack("[i,i]", 4, 5), *got = SENTINEL;
	json_t *four = json_pack("[i,i,i,i]", 1, 2, 3, 4);

	start();
	OK(mpd_queue_create(c, "q", 3, 0, &err));
	OK(mpd_queue_put_many(c, "q", items, -1, &err));
	cr_assert_eq(items->refcount, 1);
	/* All or nothing: no room for two more. */
	FAILS(mpd_queue_put_many(c, "q", two, 0, &err), MPD_E_FULL);
	/* More than maxsize could never fit. */
	FAILS(mpd_queue_put_many(c, "q", four, 0, &err), MPD_E_INVALID_PARAMS);
	cr_assert_eq(queue_member("q", "size"), 3);

	OK(mpd_queue_get_many(c, "q", 2, 0, &got, &err));
	assert_json(got, "[1,\"two\"]");
	OK(mpd_queue_put_many(c, "q", two, 0, &err));
	OK(mpd_queue_get_many(c, "q", MPD_MAX_GET_MANY, -1, &got, &err));
	assert_json(got, "[{\"three\":true},4,5]");
	got = SENTINEL;
	FAILS(mpd_queue_get_many(c, "q", 5, 0, &got, &err), MPD_E_EMPTY);
	cr_assert_eq(got, SENTINEL);
	json_decref(items);
	json_decref(two);
	json_decref(four);
	stop();
}

Test(broker, size_reports_the_documented_keys)
{
	json_t *info;
	const char *keys[] = { "size",	  "maxsize", "unfinished", "getters",
			       "putters", "closed",  "bytes" };

	start();
	OK(mpd_queue_create(c, "q", 5, 0, &err));
	OK(mpd_queue_put_int(c, "q", 10, -1, &err));
	OK(mpd_queue_put_string(c, "q", "abc", -1, &err));
	info = queue_info("q");
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		cr_assert_not_null(json_object_get(info, keys[k]), "no \"%s\"",
				   keys[k]);
	cr_assert_eq(member_int(info, "size"), 2);
	cr_assert_eq(member_int(info, "maxsize"), 5);
	cr_assert_eq(member_int(info, "unfinished"), 2);
	cr_assert_eq(member_int(info, "getters"), 0);
	cr_assert_eq(member_int(info, "putters"), 0);
	cr_assert(json_is_false(json_object_get(info, "closed")));
	cr_assert_gt(member_int(info, "bytes"), 0);
	json_decref(info);
	stop();
}

Test(broker, join_times_out_while_tasks_are_unfinished)
{
	int64_t i;

	start();
	OK(mpd_queue_create(c, "jobs", 0, 0, &err));
	/* Nothing put yet: nothing to wait for. */
	OK(mpd_queue_join(c, "jobs", 0, &err));
	OK(mpd_queue_put_int(c, "jobs", 1, -1, &err));
	OK(mpd_queue_put_int(c, "jobs", 2, -1, &err));
	FAILS(mpd_queue_join(c, "jobs", 0, &err), MPD_E_TIMEOUT);
	cr_assert(strstr(err.message, "jobs") != NULL, "%s", err.message);
	cr_assert(strstr(err.message, "2 tasks") != NULL, "%s", err.message);

	/* Taking an item does not finish its task; task_done does. */
	OK(mpd_queue_get_int(c, "jobs", 0, &i, &err));
	OK(mpd_queue_get_int(c, "jobs", 0, &i, &err));
	FAILS(mpd_queue_join(c, "jobs", 0.05, &err), MPD_E_TIMEOUT);
	OK(mpd_queue_task_done(c, "jobs", &err));
	FAILS(mpd_queue_join(c, "jobs", 0, &err), MPD_E_TIMEOUT);
	cr_assert(strstr(err.message, "1 tasks") != NULL, "%s", err.message);
	OK(mpd_queue_task_done(c, "jobs", &err));
	OK(mpd_queue_join(c, "jobs", 0, &err));
	OK(mpd_queue_join(c, "jobs", -1, &err));
	/* One task_done too many. */
	FAILS(mpd_queue_task_done(c, "jobs", &err), MPD_E_INVALID_STATE);
	cr_assert_eq(queue_member("jobs", "unfinished"), 0);
	stop();
}

Test(broker, close_refuses_puts_and_lets_getters_drain)
{
	json_t *list = NULL, *row;
	int64_t i = INT_SENTINEL;

	start();
	OK(mpd_queue_create(c, "q", 0, 0, &err));
	OK(mpd_queue_put_int(c, "q", 1, -1, &err));
	OK(mpd_queue_close(c, "q", &err));
	OK(mpd_queue_close(c, "q", &err));
	FAILS(mpd_queue_put_int(c, "q", 2, -1, &err), MPD_E_CLOSED);
	OK(mpd_queue_list(c, &list, &err));
	row = json_array_get(list, 0);
	cr_assert(json_is_true(json_object_get(row, "closed")));
	json_decref(list);
	OK(mpd_queue_get_int(c, "q", -1, &i, &err));
	cr_assert_eq(i, 1);
	/* Drained: no wait, even without a timeout. */
	i = INT_SENTINEL;
	FAILS(mpd_queue_get_int(c, "q", -1, &i, &err), MPD_E_CLOSED);
	cr_assert_eq(i, INT_SENTINEL);
	stop();
}

Test(broker, delete_removes_the_queue_and_its_items)
{
	json_t *item = SENTINEL, *info = SENTINEL;

	start();
	OK(mpd_queue_create(c, "q", 0, 0, &err));
	OK(mpd_queue_put_int(c, "q", 1, -1, &err));
	OK(mpd_queue_delete(c, "q", &err));
	FAILS(mpd_queue_get(c, "q", 0, &item, &err), MPD_E_NOT_FOUND);
	FAILS(mpd_queue_size(c, "q", &info, &err), MPD_E_NOT_FOUND);
	FAILS(mpd_queue_put_int(c, "q", 1, 0, &err), MPD_E_NOT_FOUND);
	FAILS(mpd_queue_delete(c, "q", &err), MPD_E_NOT_FOUND);
	FAILS(mpd_queue_close(c, "q", &err), MPD_E_NOT_FOUND);
	FAILS(mpd_queue_task_done(c, "q", &err), MPD_E_NOT_FOUND);
	FAILS(mpd_queue_join(c, "q", 0, &err), MPD_E_NOT_FOUND);
	cr_assert_eq(item, SENTINEL);
	cr_assert_eq(info, SENTINEL);
	/* The name is free again, for a new empty queue. */
	OK(mpd_queue_create(c, "q", 0, 0, &err));
	cr_assert_eq(queue_member("q", "size"), 0);
	stop();
}

Test(broker, create_of_an_existing_queue_is_exists_unless_exist_ok)
{
	start();
	OK(mpd_queue_create(c, "q", 1, 0, &err));
	FAILS(mpd_queue_create(c, "q", 1, 0, &err), MPD_E_EXISTS);
	/* exist_ok leaves it as it is, maxsize and all. */
	OK(mpd_queue_create(c, "q", 7, 1, &err));
	cr_assert_eq(queue_member("q", "maxsize"), 1);
	stop();
}

Test(broker, list_gives_every_queue_in_name_order)
{
	json_t *list = SENTINEL;

	start();
	OK(mpd_queue_list(c, &list, &err));
	assert_json(list, "[]");
	OK(mpd_queue_create(c, "beta", 0, 0, &err));
	OK(mpd_queue_create(c, "alpha", 3, 0, &err));
	OK(mpd_queue_put_int(c, "beta", 1, -1, &err));
	OK(mpd_queue_list(c, &list, &err));
	assert_json(list, "[{\"name\":\"alpha\",\"size\":0,\"maxsize\":3,"
			  "\"closed\":false},"
			  "{\"name\":\"beta\",\"size\":1,\"maxsize\":0,"
			  "\"closed\":false}]");
	stop();
}

/* A client of its own in a thread, blocked in mpd_queue_get_int(). */
struct getter {
	pthread_t thread;
	const char *socket;
	const char *queue;
	int r;
	int64_t v;
	char message[256];
};

static void *getter_main(void *arg)
{
	struct getter *g = arg;
	struct mpd_client *gc = NULL;
	struct mpd_error e;

	g->v = INT_SENTINEL;
	g->r = mpd_connect(&gc, g->socket, &e);
	if (g->r == 0)
		g->r = mpd_queue_get_int(gc, g->queue, -1, &g->v, &e);
	if (g->r < 0)
		snprintf(g->message, sizeof(g->message), "%s", e.message);
	mpd_close(gc);
	return NULL;
}

static void getter_start(struct getter *g, const char *queue)
{
	*g = (struct getter){ .socket = d.socket, .queue = queue };
	cr_assert_eq(pthread_create(&g->thread, NULL, getter_main, g), 0);
}

static void getter_join(struct getter *g)
{
	cr_assert_eq(pthread_join(g->thread, NULL), 0);
}

Test(broker, a_blocked_get_is_woken_by_a_put_from_another_client)
{
	struct getter g;

	start();
	OK(mpd_queue_create(c, "q", 0, 0, &err));
	getter_start(&g, "q");
	wait_getters("q", 1);
	OK(mpd_queue_put_int(c, "q", 42, -1, &err));
	getter_join(&g);
	cr_assert_eq(g.r, 0, "get: %d %s", g.r, g.message);
	cr_assert_eq(g.v, 42);
	cr_assert_eq(queue_member("q", "size"), 0);
	stop();
}

Test(broker, delete_wakes_a_blocked_get_with_closed)
{
	struct getter g;

	start();
	OK(mpd_queue_create(c, "q", 0, 0, &err));
	getter_start(&g, "q");
	wait_getters("q", 1);
	OK(mpd_queue_delete(c, "q", &err));
	getter_join(&g);
	cr_assert_eq(g.r, MPD_E_CLOSED, "get: %d %s", g.r, g.message);
	cr_assert_eq(g.v, INT_SENTINEL);
	stop();
}

Test(broker, bad_names_are_refused_and_the_daemon_goes_on)
{
	char long_name[MPD_MAX_NAME + 2];
	json_t *info = SENTINEL;

	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	start();
	FAILS(mpd_queue_create(c, long_name, 0, 0, &err), MPD_E_INVALID_PARAMS);
	FAILS(mpd_value_create(c, long_name, "int", NULL, 0, &err),
	      MPD_E_INVALID_PARAMS);
	/* The longest name is fine. */
	long_name[MPD_MAX_NAME] = '\0';
	OK(mpd_queue_create(c, long_name, 0, 0, &err));
	OK(mpd_queue_size(c, long_name, &info, &err));
	json_decref(info);
	FAILS(mpd_queue_create(c, "", 0, 0, &err), MPD_E_INVAL);
	OK(mpd_ping(c, &err));
	stop();
}

Test(broker, limits_are_limit_with_the_limit_named)
{
	const char *extra[] = { "--max-objects", "2", NULL };

	mpdd_start(&d, extra);
	c = connect_ok(d.socket);
	OK(mpd_queue_create(c, "q1", 0, 0, &err));
	OK(mpd_value_create(c, "v1", "int", NULL, 0, &err));
	FAILS(mpd_array_create(c, "a1", "int", 3, NULL, 0, &err), MPD_E_LIMIT);
	cr_assert_not_null(err.data);
	cr_assert_str_eq(json_string_value(json_object_get(err.data, "limit")),
			 "max_objects");
	/* Room again once one is gone. */
	OK(mpd_value_delete(c, "v1", &err));
	OK(mpd_array_create(c, "a1", "int", 3, NULL, 0, &err));
	stop();
}

Test(broker, an_int_value_gets_sets_adds_and_swaps)
{
	json_t *v = SENTINEL, *cur = SENTINEL, *expected, *value;
	int64_t i = INT_SENTINEL, sum = INT_SENTINEL;
	double dbl = DOUBLE_SENTINEL;
	int swapped = -1;

	start();
	OK(mpd_value_create(c, "hits", "int", NULL, 0, &err));
	OK(mpd_value_get(c, "hits", &v, &err));
	assert_json(v, "0");
	OK(mpd_value_set_int(c, "hits", INT64_MAX - 1, &err));
	OK(mpd_value_add_int(c, "hits", 1, &sum, &err));
	cr_assert_eq(sum, INT64_MAX);
	/* Past INT64_MAX: refused, unchanged. */
	FAILS(mpd_value_add_int(c, "hits", 1, &sum, &err), MPD_E_INVALID_STATE);
	cr_assert_eq(sum, INT64_MAX);
	OK(mpd_value_set_int(c, "hits", 5, &err));
	OK(mpd_value_add_int(c, "hits", -8, NULL, &err));
	OK(mpd_value_get_int(c, "hits", &i, &err));
	cr_assert_eq(i, -3);
	/* get_double takes any number. */
	OK(mpd_value_get_double(c, "hits", &dbl, &err));
	cr_assert_eq(dbl, -3.0);

	expected = json_integer(-3);
	value = json_integer(10);
	OK(mpd_value_cas(c, "hits", expected, value, &swapped, &cur, &err));
	cr_assert_eq(swapped, 1);
	assert_json(cur, "10");
	/* Now -3 is stale: no swap, and the value as it is. */
	OK(mpd_value_cas(c, "hits", expected, value, &swapped, &cur, &err));
	cr_assert_eq(swapped, 0);
	assert_json(cur, "10");
	OK(mpd_value_cas(c, "hits", value, expected, NULL, NULL, &err));
	cr_assert_eq(expected->refcount, 1);
	cr_assert_eq(value->refcount, 1);
	OK(mpd_value_get_int(c, "hits", &i, &err));
	cr_assert_eq(i, -3);
	json_decref(expected);
	json_decref(value);
	stop();
}

Test(broker, a_float_value_takes_any_number)
{
	json_t *init = json_real(1.5);
	double dbl = DOUBLE_SENTINEL, sum = DOUBLE_SENTINEL;
	int64_t i = INT_SENTINEL;

	start();
	OK(mpd_value_create(c, "f", "float", init, 0, &err));
	cr_assert_eq(init->refcount, 1);
	OK(mpd_value_add_double(c, "f", 0.25, &sum, &err));
	cr_assert_eq(sum, 1.75);
	OK(mpd_value_get_double(c, "f", &dbl, &err));
	cr_assert_eq(dbl, 1.75);
	OK(mpd_value_set_double(c, "f", -0.5, &err));
	OK(mpd_value_get_double(c, "f", &dbl, &err));
	cr_assert_eq(dbl, -0.5);
	/* An integer is a number too, for a float. */
	OK(mpd_value_set_int(c, "f", 2, &err));
	OK(mpd_value_get_double(c, "f", &dbl, &err));
	cr_assert_eq(dbl, 2.0);
	OK(mpd_value_set_double(c, "f", 2.5, &err));
	/* But not an integer to get_int. */
	FAILS(mpd_value_get_int(c, "f", &i, &err), MPD_E_PROTO);
	cr_assert(strstr(err.message, "value f") != NULL, "%s", err.message);
	cr_assert_eq(i, INT_SENTINEL);
	json_decref(init);
	stop();
}

/* The real member key of obj (borrowed); NaN when it is not a real. */
static double real_member(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_real(v) ? json_real_value(v) : NAN;
}

/*
 * add_int without a result wants no sum, so it does not refuse the real
 * sum of a float value or array (the add was done): mpd-cli adds an
 * integer DELTA so whatever the type, and prints mpd_last_result().
 */
Test(broker, add_int_without_a_result_serves_a_float_too)
{
	json_t *init = json_real(0.5), *vals = json_pack("[f]", 0.25);
	int64_t sum = INT_SENTINEL;
	double dbl = DOUBLE_SENTINEL;

	start();
	OK(mpd_value_create(c, "f", "float", init, 0, &err));
	OK(mpd_value_add_int(c, "f", 2, NULL, &err));
	cr_assert_eq(real_member(mpd_last_result(c), "value"), 2.5);
	OK(mpd_value_get_double(c, "f", &dbl, &err));
	cr_assert_eq(dbl, 2.5);
	/* Asked for an int64_t, a real sum is still not one. */
	FAILS(mpd_value_add_int(c, "f", 1, &sum, &err), MPD_E_PROTO);
	cr_assert_eq(sum, INT_SENTINEL);

	OK(mpd_array_create(c, "a", "float", 0, vals, 0, &err));
	OK(mpd_array_add_int(c, "a", 0, -1, NULL, &err));
	cr_assert_eq(real_member(mpd_last_result(c), "value"), -0.75);
	FAILS(mpd_array_add_int(c, "a", 0, 1, &sum, &err), MPD_E_PROTO);
	cr_assert_eq(sum, INT_SENTINEL);
	json_decref(vals);
	json_decref(init);
	stop();
}

Test(broker, a_string_value_gets_and_sets_copies)
{
	json_t *init = json_string("hi");
	char *s = STR_SENTINEL;
	int64_t sum = INT_SENTINEL;

	start();
	OK(mpd_value_create(c, "s", "string", init, 0, &err));
	OK(mpd_value_get_string(c, "s", &s, &err));
	cr_assert_str_eq(s, "hi");
	free(s);
	OK(mpd_value_set_string(c, "s", "\xe2\x82\xac 5", &err));
	OK(mpd_value_get_string(c, "s", &s, &err));
	cr_assert_str_eq(s, "\xe2\x82\xac 5");
	free(s);
	/* Not a number: no add. */
	FAILS(mpd_value_add_int(c, "s", 1, &sum, &err), MPD_E_INVALID_STATE);
	cr_assert_eq(sum, INT_SENTINEL);
	/* The zero of a string is "". */
	OK(mpd_value_create(c, "empty", "string", NULL, 0, &err));
	OK(mpd_value_get_string(c, "empty", &s, &err));
	cr_assert_str_eq(s, "");
	free(s);
	json_decref(init);
	stop();
}

Test(broker, a_json_value_holds_any_json)
{
	json_t *v = SENTINEL, *obj = json_pack("{s:[i,n]}", "k", 1);
	json_t *other = json_string("x"), *cur = NULL;
	char *s = STR_SENTINEL;
	int swapped = -1;

	start();
	OK(mpd_value_create(c, "j", "json", NULL, 0, &err));
	OK(mpd_value_get(c, "j", &v, &err));
	assert_json(v, "null");
	OK(mpd_value_set(c, "j", obj, &err));
	OK(mpd_value_get(c, "j", &v, &err));
	assert_json(v, "{\"k\":[1,null]}");
	OK(mpd_value_cas(c, "j", obj, other, &swapped, &cur, &err));
	cr_assert_eq(swapped, 1);
	assert_json(cur, "\"x\"");
	/* A JSON string is a string to get_string. */
	OK(mpd_value_get_string(c, "j", &s, &err));
	cr_assert_str_eq(s, "x");
	free(s);
	cr_assert_eq(obj->refcount, 1);
	json_decref(obj);
	json_decref(other);
	stop();
}

Test(broker, values_of_the_wrong_type_are_invalid_params)
{
	json_t *str = json_string("x"), *one = json_integer(1);
	json_t *half = json_real(0.5), *v = SENTINEL;
	int64_t i = INT_SENTINEL;
	char *s = STR_SENTINEL;

	start();
	FAILS(mpd_value_create(c, "v", "int", str, 0, &err),
	      MPD_E_INVALID_PARAMS);
	FAILS(mpd_value_create(c, "v", "no-such-type", NULL, 0, &err),
	      MPD_E_INVALID_PARAMS);
	FAILS(mpd_value_get(c, "v", &v, &err), MPD_E_NOT_FOUND);
	OK(mpd_value_create(c, "v", "int", one, 0, &err));
	FAILS(mpd_value_set_string(c, "v", "x", &err), MPD_E_INVALID_PARAMS);
	FAILS(mpd_value_set(c, "v", half, &err), MPD_E_INVALID_PARAMS);
	FAILS(mpd_value_add_double(c, "v", 0.5, NULL, &err),
	      MPD_E_INVALID_PARAMS);
	FAILS(mpd_value_cas(c, "v", str, one, NULL, NULL, &err),
	      MPD_E_INVALID_PARAMS);
	FAILS(mpd_value_get_string(c, "v", &s, &err), MPD_E_PROTO);
	cr_assert_eq(s, STR_SENTINEL);
	/* Unchanged through it all. */
	OK(mpd_value_get_int(c, "v", &i, &err));
	cr_assert_eq(i, 1);
	FAILS(mpd_value_create(c, "v", "int", NULL, 0, &err), MPD_E_EXISTS);
	OK(mpd_value_create(c, "v", "int", NULL, 1, &err));
	FAILS(mpd_value_create(c, "v", "float", NULL, 1, &err),
	      MPD_E_INVALID_STATE);
	OK(mpd_ping(c, &err));
	json_decref(str);
	json_decref(one);
	json_decref(half);
	stop();
}

Test(broker, value_delete_and_list)
{
	json_t *list = SENTINEL, *v = SENTINEL;

	start();
	OK(mpd_value_list(c, &list, &err));
	assert_json(list, "[]");
	OK(mpd_value_create(c, "b", "json", NULL, 0, &err));
	OK(mpd_value_create(c, "a", "float", NULL, 0, &err));
	OK(mpd_value_create(c, "c", "string", NULL, 0, &err));
	OK(mpd_value_list(c, &list, &err));
	assert_json(list, "[{\"name\":\"a\",\"type\":\"float\"},"
			  "{\"name\":\"b\",\"type\":\"json\"},"
			  "{\"name\":\"c\",\"type\":\"string\"}]");
	OK(mpd_value_delete(c, "b", &err));
	FAILS(mpd_value_get(c, "b", &v, &err), MPD_E_NOT_FOUND);
	FAILS(mpd_value_delete(c, "b", &err), MPD_E_NOT_FOUND);
	cr_assert_eq(v, SENTINEL);
	OK(mpd_value_list(c, &list, &err));
	assert_json(list, "[{\"name\":\"a\",\"type\":\"float\"},"
			  "{\"name\":\"c\",\"type\":\"string\"}]");
	stop();
}

Test(broker, an_array_by_length_starts_as_zeros)
{
	json_t *vals = SENTINEL, *v = SENTINEL, *nine = json_integer(9);
	json_t *two = json_pack("[i,i]", 6, 7);
	int64_t sum = INT_SENTINEL;

	start();
	OK(mpd_array_create(c, "a", "int", 4, NULL, 0, &err));
	OK(mpd_array_get_all(c, "a", &vals, &err));
	assert_json(vals, "[0,0,0,0]");
	OK(mpd_array_set(c, "a", 1, nine, &err));
	OK(mpd_array_set_slice(c, "a", 2, two, &err));
	OK(mpd_array_get_all(c, "a", &vals, &err));
	assert_json(vals, "[0,9,6,7]");
	/* Negative indices count from the end. */
	OK(mpd_array_get(c, "a", -1, &v, &err));
	assert_json(v, "7");
	OK(mpd_array_get(c, "a", 0, &v, &err));
	assert_json(v, "0");
	OK(mpd_array_get_slice(c, "a", 1, 3, &vals, &err));
	assert_json(vals, "[9,6]");
	/* Clamped as Python does. */
	OK(mpd_array_get_slice(c, "a", -100, 100, &vals, &err));
	assert_json(vals, "[0,9,6,7]");
	OK(mpd_array_get_slice(c, "a", -2, INT64_MAX, &vals, &err));
	assert_json(vals, "[6,7]");
	OK(mpd_array_get_slice(c, "a", INT64_MIN, 1, &vals, &err));
	assert_json(vals, "[0]");
	OK(mpd_array_get_slice(c, "a", 3, 1, &vals, &err));
	assert_json(vals, "[]");
	OK(mpd_array_add_int(c, "a", -4, 5, &sum, &err));
	cr_assert_eq(sum, 5);
	OK(mpd_array_add_int(c, "a", 0, -1, NULL, &err));
	OK(mpd_array_get(c, "a", 0, &v, &err));
	assert_json(v, "4");
	cr_assert_eq(nine->refcount, 1);
	cr_assert_eq(two->refcount, 1);
	json_decref(nine);
	json_decref(two);
	stop();
}

Test(broker, an_array_by_values_keeps_them)
{
	json_t *init = json_pack("[f,f,i]", 0.5, 1.5, 2), *vals = SENTINEL;
	json_t *list = SENTINEL;
	double sum = DOUBLE_SENTINEL;

	start();
	OK(mpd_array_create(c, "f", "float", 0, init, 0, &err));
	cr_assert_eq(init->refcount, 1);
	OK(mpd_array_get_all(c, "f", &vals, &err));
	assert_json(vals, "[0.5,1.5,2.0]");
	OK(mpd_array_add_double(c, "f", 1, 1.0, &sum, &err));
	cr_assert_eq(sum, 2.5);
	OK(mpd_array_create(c, "i", "int", 2, NULL, 0, &err));
	OK(mpd_array_list(c, &list, &err));
	assert_json(list, "[{\"name\":\"f\",\"type\":\"float\",\"length\":3},"
			  "{\"name\":\"i\",\"type\":\"int\",\"length\":2}]");
	json_decref(init);
	stop();
}

Test(broker, array_indices_out_of_range_are_invalid_params)
{
	json_t *v = SENTINEL, *one = json_integer(1), *half = json_real(0.5);
	json_t *two = json_pack("[i,i]", 1, 2), *vals = SENTINEL;
	int64_t sum = INT_SENTINEL;

	start();
	OK(mpd_array_create(c, "a", "int", 4, NULL, 0, &err));
	FAILS(mpd_array_get(c, "a", 4, &v, &err), MPD_E_INVALID_PARAMS);
	FAILS(mpd_array_get(c, "a", -5, &v, &err), MPD_E_INVALID_PARAMS);
	FAILS(mpd_array_set(c, "a", 10, one, &err), MPD_E_INVALID_PARAMS);
	FAILS(mpd_array_add_int(c, "a", 4, 1, &sum, &err),
	      MPD_E_INVALID_PARAMS);
	/* A slice that does not fit. */
	FAILS(mpd_array_set_slice(c, "a", 3, two, &err), MPD_E_INVALID_PARAMS);
	/* A float in an int array. */
	FAILS(mpd_array_set(c, "a", 0, half, &err), MPD_E_INVALID_PARAMS);
	cr_assert_eq(v, SENTINEL);
	cr_assert_eq(sum, INT_SENTINEL);
	/* An int that would overflow. */
	OK(mpd_array_add_int(c, "a", 0, INT64_MAX, NULL, &err));
	FAILS(mpd_array_add_int(c, "a", 0, 1, &sum, &err), MPD_E_INVALID_STATE);
	OK(mpd_array_get_all(c, "a", &vals, &err));
	assert_json(vals, "[9223372036854775807,0,0,0]");
	/* exist_ok wants the same type and length. */
	FAILS(mpd_array_create(c, "a", "int", 4, NULL, 0, &err), MPD_E_EXISTS);
	OK(mpd_array_create(c, "a", "int", 4, NULL, 1, &err));
	FAILS(mpd_array_create(c, "a", "int", 5, NULL, 1, &err),
	      MPD_E_INVALID_STATE);
	FAILS(mpd_array_create(c, "b", "string", 5, NULL, 0, &err),
	      MPD_E_INVALID_PARAMS);
	OK(mpd_ping(c, &err));
	json_decref(one);
	json_decref(half);
	json_decref(two);
	stop();
}

Test(broker, array_delete_forgets_it)
{
	json_t *vals = SENTINEL, *list = SENTINEL;

	start();
	OK(mpd_array_create(c, "a", "float", 2, NULL, 0, &err));
	OK(mpd_array_delete(c, "a", &err));
	FAILS(mpd_array_get_all(c, "a", &vals, &err), MPD_E_NOT_FOUND);
	FAILS(mpd_array_delete(c, "a", &err), MPD_E_NOT_FOUND);
	cr_assert_eq(vals, SENTINEL);
	OK(mpd_array_list(c, &list, &err));
	assert_json(list, "[]");
	stop();
}

/*
 * The wire, with a forked peer on a socket of its own. For each request
 * line it logs "METHOD PARAMS" (params compact with sorted keys, "-" when
 * absent) to dir/requests and answers with PEER_RESULT, which holds every
 * member a broker function hands back. It exits at EOF.
 */
#define PEER_RESULT                                               \
	"{\"item\":7,\"items\":[7],\"size\":1,\"unfinished\":0,"  \
	"\"done\":true,\"queues\":[],\"values\":[1],\"value\":1," \
	"\"swapped\":true,\"arrays\":[]}"

static struct test_peer p;

static void peer_teardown(void)
{
	mpd_close(c);
	c = NULL;
	test_peer_stop(&p);
}

TestSuite(broker_wire, .fini = peer_teardown, .timeout = SUITE_TIMEOUT);

static void peer_serve(int lfd, void *arg)
{
	static char line[1024 * 1024];
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
			    ",\"result\":" PEER_RESULT "}\n",
			    json_integer_value(json_object_get(req, "id"))) < 0)
			_exit(5);
		json_decref(req);
	}
	_exit(0);
}

static void peer_start(void)
{
	test_peer_start(&p, peer_serve, NULL);
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

Test(broker_wire, queue_calls_send_the_documented_params)
{
	json_t *item = json_pack("{s:i}", "n", 7), *got = NULL;
	json_t *items = json_pack("[i,i]", 1, 2);
	int64_t i = 0;

	peer_start();
	OK(mpd_queue_create(c, "q", 0, 0, &err));
	OK(mpd_queue_create(c, "q", 5, 1, &err));
	OK(mpd_queue_put(c, "q", item, -1, &err));
	OK(mpd_queue_put(c, "q", item, INFINITY, &err));
	OK(mpd_queue_put_int(c, "q", -3, 0, &err));
	OK(mpd_queue_put_double(c, "q", 1.5, 2.5, &err));
	OK(mpd_queue_put_string(c, "q", "s", -0.5, &err));
	OK(mpd_queue_get(c, "q", -1, &got, &err));
	assert_json(got, "7");
	OK(mpd_queue_get_int(c, "q", 0.25, &i, &err));
	cr_assert_eq(i, 7);
	OK(mpd_queue_put_many(c, "q", items, 1, &err));
	OK(mpd_queue_get_many(c, "q", 3, -1, &got, &err));
	assert_json(got, "[7]");
	OK(mpd_queue_size(c, "q", &got, &err));
	cr_assert(json_is_object(got));
	json_decref(got);
	OK(mpd_queue_task_done(c, "q", &err));
	OK(mpd_queue_join(c, "q", -1, &err));
	OK(mpd_queue_join(c, "q", 3, &err));
	OK(mpd_queue_close(c, "q", &err));
	OK(mpd_queue_delete(c, "q", &err));
	OK(mpd_queue_list(c, &got, &err));
	assert_json(got, "[]");
	json_decref(item);
	json_decref(items);
	peer_finish("queue.create {\"name\":\"q\"}\n"
		    "queue.create {\"exist_ok\":true,\"maxsize\":5,"
		    "\"name\":\"q\"}\n"
		    "queue.put {\"item\":{\"n\":7},\"name\":\"q\"}\n"
		    "queue.put {\"item\":{\"n\":7},\"name\":\"q\"}\n"
		    "queue.put {\"item\":-3,\"name\":\"q\",\"timeout\":0.0}\n"
		    "queue.put {\"item\":1.5,\"name\":\"q\",\"timeout\":2.5}\n"
		    "queue.put {\"item\":\"s\",\"name\":\"q\"}\n"
		    "queue.get {\"name\":\"q\"}\n"
		    "queue.get {\"name\":\"q\",\"timeout\":0.25}\n"
		    "queue.put_many {\"items\":[1,2],\"name\":\"q\","
		    "\"timeout\":1.0}\n"
		    "queue.get_many {\"max\":3,\"name\":\"q\"}\n"
		    "queue.size {\"name\":\"q\"}\n"
		    "queue.task_done {\"name\":\"q\"}\n"
		    "queue.join {\"name\":\"q\"}\n"
		    "queue.join {\"name\":\"q\",\"timeout\":3.0}\n"
		    "queue.close {\"name\":\"q\"}\n"
		    "queue.delete {\"name\":\"q\"}\n"
		    "queue.list {}\n");
}

Test(broker_wire, value_and_array_calls_send_the_documented_params)
{
	json_t *obj = json_pack("{s:[i]}", "a", 1), *one = json_integer(1);
	json_t *two = json_integer(2), *got = NULL;
	json_t *halves = json_pack("[f,f]", 0.5, 1.5);
	json_t *ints = json_pack("[i,i]", 7, 8);
	int64_t sum = 0;
	double dsum = 0;
	int swapped = 0;

	peer_start();
	OK(mpd_value_create(c, "v", "int", NULL, 0, &err));
	OK(mpd_value_create(c, "v", "json", obj, 1, &err));
	OK(mpd_value_get(c, "v", &got, &err));
	assert_json(got, "1");
	OK(mpd_value_set(c, "v", obj, &err));
	OK(mpd_value_set_int(c, "v", 5, &err));
	OK(mpd_value_set_double(c, "v", 0.5, &err));
	OK(mpd_value_set_string(c, "v", "x", &err));
	OK(mpd_value_add_int(c, "v", 2, &sum, &err));
	cr_assert_eq(sum, 1);
	OK(mpd_value_add_double(c, "v", 0.5, &dsum, &err));
	cr_assert_eq(dsum, 1.0);
	OK(mpd_value_cas(c, "v", one, two, &swapped, &got, &err));
	cr_assert_eq(swapped, 1);
	assert_json(got, "1");
	OK(mpd_value_delete(c, "v", &err));
	OK(mpd_value_list(c, &got, &err));
	assert_json(got, "[1]");

	OK(mpd_array_create(c, "a", "int", 4, NULL, 0, &err));
	OK(mpd_array_create(c, "a", "float", 0, halves, 1, &err));
	OK(mpd_array_create(c, "a", "int", 2, ints, 0, &err));
	OK(mpd_array_get(c, "a", -1, &got, &err));
	assert_json(got, "1");
	OK(mpd_array_get_slice(c, "a", 1, 3, &got, &err));
	assert_json(got, "[1]");
	/* Bounds past any length are clamped to the daemon's range. */
	OK(mpd_array_get_slice(c, "a", INT64_MIN, INT64_MAX, &got, &err));
	assert_json(got, "[1]");
	OK(mpd_array_get_all(c, "a", &got, &err));
	assert_json(got, "[1]");
	OK(mpd_array_set(c, "a", 0, two, &err));
	OK(mpd_array_set_slice(c, "a", 1, ints, &err));
	OK(mpd_array_add_int(c, "a", 2, 3, NULL, &err));
	OK(mpd_array_add_double(c, "a", 2, 0.5, NULL, &err));
	OK(mpd_array_delete(c, "a", &err));
	OK(mpd_array_list(c, &got, &err));
	assert_json(got, "[]");
	cr_assert_eq(obj->refcount, 1);
	cr_assert_eq(ints->refcount, 1);
	json_decref(obj);
	json_decref(one);
	json_decref(two);
	json_decref(halves);
	json_decref(ints);
	peer_finish("value.create {\"name\":\"v\",\"type\":\"int\"}\n"
		    "value.create {\"exist_ok\":true,\"name\":\"v\","
		    "\"type\":\"json\",\"value\":{\"a\":[1]}}\n"
		    "value.get {\"name\":\"v\"}\n"
		    "value.set {\"name\":\"v\",\"value\":{\"a\":[1]}}\n"
		    "value.set {\"name\":\"v\",\"value\":5}\n"
		    "value.set {\"name\":\"v\",\"value\":0.5}\n"
		    "value.set {\"name\":\"v\",\"value\":\"x\"}\n"
		    "value.add {\"delta\":2,\"name\":\"v\"}\n"
		    "value.add {\"delta\":0.5,\"name\":\"v\"}\n"
		    "value.cas {\"expected\":1,\"name\":\"v\",\"value\":2}\n"
		    "value.delete {\"name\":\"v\"}\n"
		    "value.list {}\n"
		    "array.create {\"length\":4,\"name\":\"a\","
		    "\"type\":\"int\"}\n"
		    "array.create {\"exist_ok\":true,\"name\":\"a\","
		    "\"type\":\"float\",\"values\":[0.5,1.5]}\n"
		    "array.create {\"name\":\"a\",\"type\":\"int\","
		    "\"values\":[7,8]}\n"
		    "array.get {\"index\":-1,\"name\":\"a\"}\n"
		    "array.get {\"name\":\"a\",\"start\":1,\"stop\":3}\n"
		    "array.get {\"name\":\"a\",\"start\":-9007199254740991,"
		    "\"stop\":9007199254740991}\n"
		    "array.get {\"name\":\"a\"}\n"
		    "array.set {\"index\":0,\"name\":\"a\",\"value\":2}\n"
		    "array.set {\"name\":\"a\",\"start\":1,\"values\":[7,8]}\n"
		    "array.add {\"delta\":3,\"index\":2,\"name\":\"a\"}\n"
		    "array.add {\"delta\":0.5,\"index\":2,\"name\":\"a\"}\n"
		    "array.delete {\"name\":\"a\"}\n"
		    "array.list {}\n");
}

Test(broker_wire, results_of_another_type_are_proto)
{
	char *s = STR_SENTINEL;
	int64_t i = INT_SENTINEL;

	/* PEER_RESULT's item and value are 7 and 1: no strings. */
	peer_start();
	FAILS(mpd_queue_get_string(c, "q", 0, &s, &err), MPD_E_PROTO);
	cr_assert(strstr(err.message, "left the queue") != NULL, "%s",
		  err.message);
	FAILS(mpd_value_get_string(c, "v", &s, &err), MPD_E_PROTO);
	cr_assert_eq(s, STR_SENTINEL);
	/* The same result has the integer get_int wants. */
	OK(mpd_value_get_int(c, "v", &i, &err));
	cr_assert_eq(i, 1);
	OK(mpd_ping(c, &err));
	peer_finish("queue.get {\"name\":\"q\",\"timeout\":0.0}\n"
		    "value.get {\"name\":\"v\"}\n"
		    "value.get {\"name\":\"v\"}\n"
		    "daemon.ping -\n");
}

/*
 * Calls with a bad argument: each must be MPD_E_INVAL, leave its
 * out-parameters alone and send nothing. Criterion copies parameters into
 * the test's process: no pointers, the case is looked up by name.
 */
struct bad_call {
	char name[48];
};

static struct bad_call bad_calls[] = {
	{ "null_client" },
	{ "queue_create_null_name" },
	{ "queue_create_empty_name" },
	{ "queue_create_name_not_utf8" },
	{ "queue_create_negative_maxsize" },
	{ "queue_put_null_item" },
	{ "queue_put_nan_timeout" },
	{ "queue_get_null_out" },
	{ "queue_get_nan_timeout" },
	{ "queue_put_many_null" },
	{ "queue_put_many_empty" },
	{ "queue_put_many_object" },
	{ "queue_get_many_max_0" },
	{ "queue_get_many_max_too_big" },
	{ "queue_get_many_null_out" },
	{ "queue_size_null_out" },
	{ "queue_task_done_null_name" },
	{ "queue_join_nan_timeout" },
	{ "queue_join_empty_name" },
	{ "queue_close_empty_name" },
	{ "queue_delete_null_name" },
	{ "queue_list_null_out" },
	{ "queue_put_int_null_name" },
	{ "queue_put_int_nan_timeout" },
	{ "queue_put_double_nan" },
	{ "queue_put_double_inf" },
	{ "queue_put_string_null" },
	{ "queue_put_string_not_utf8" },
	{ "queue_get_int_null_out" },
	{ "queue_get_double_null_out" },
	{ "queue_get_string_null_out" },
	{ "queue_get_string_nan_timeout" },
	{ "value_create_null_name" },
	{ "value_create_null_type" },
	{ "value_create_empty_type" },
	{ "value_create_type_not_utf8" },
	{ "value_get_null_out" },
	{ "value_set_null_value" },
	{ "value_add_int_empty_name" },
	{ "value_add_double_nan" },
	{ "value_cas_null_expected" },
	{ "value_cas_null_value" },
	{ "value_delete_empty_name" },
	{ "value_list_null_out" },
	{ "value_get_int_null_out" },
	{ "value_get_double_null_out" },
	{ "value_get_string_null_out" },
	{ "value_set_int_null_name" },
	{ "value_set_double_inf" },
	{ "value_set_string_null" },
	{ "value_set_string_not_utf8" },
	{ "array_create_null_type" },
	{ "array_create_length_0" },
	{ "array_create_length_too_big" },
	{ "array_create_values_empty" },
	{ "array_create_values_not_array" },
	{ "array_create_length_not_values" },
	{ "array_get_null_out" },
	{ "array_get_slice_null_out" },
	{ "array_get_all_null_out" },
	{ "array_get_all_name_not_utf8" },
	{ "array_set_null_value" },
	{ "array_set_slice_not_array" },
	{ "array_add_int_null_name" },
	{ "array_add_double_nan" },
	{ "array_delete_null_name" },
	{ "array_list_null_out" },
};

ParameterizedTestParameters(broker_wire, bad_arguments_are_inval_and_unsent)
{
	return cr_make_param_array(struct bad_call, bad_calls,
				   sizeof(bad_calls) / sizeof(bad_calls[0]));
}

/* What a bad call may not touch. */
struct outs {
	json_t *j;
	int64_t i;
	double d;
	char *s;
	int sw;
};

/* Make the call named name; returns its result. */
static int make_bad_call(const char *name, struct outs *o, json_t *one,
			 json_t *empty, json_t *obj)
{
	const char *bad = "q\xff";

#define CASE(n, call)               \
	if (strcmp(name, (n)) == 0) \
		return (call);
	CASE("null_client", mpd_queue_create(NULL, "q", 0, 0, &err));
	CASE("queue_create_null_name", mpd_queue_create(c, NULL, 0, 0, &err));
	CASE("queue_create_empty_name", mpd_queue_create(c, "", 0, 0, &err));
	CASE("queue_create_name_not_utf8",
	     mpd_queue_create(c, bad, 0, 0, &err));
	CASE("queue_create_negative_maxsize",
	     mpd_queue_create(c, "q", -1, 0, &err));
	CASE("queue_put_null_item", mpd_queue_put(c, "q", NULL, 0, &err));
	CASE("queue_put_nan_timeout", mpd_queue_put(c, "q", one, NAN, &err));
	CASE("queue_get_null_out", mpd_queue_get(c, "q", 0, NULL, &err));
	CASE("queue_get_nan_timeout", mpd_queue_get(c, "q", NAN, &o->j, &err));
	CASE("queue_put_many_null", mpd_queue_put_many(c, "q", NULL, 0, &err));
	CASE("queue_put_many_empty",
	     mpd_queue_put_many(c, "q", empty, 0, &err));
	CASE("queue_put_many_object", mpd_queue_put_many(c, "q", obj, 0, &err));
	CASE("queue_get_many_max_0",
	     mpd_queue_get_many(c, "q", 0, 0, &o->j, &err));
	CASE("queue_get_many_max_too_big",
	     mpd_queue_get_many(c, "q", MPD_MAX_GET_MANY + 1, 0, &o->j, &err));
	CASE("queue_get_many_null_out",
	     mpd_queue_get_many(c, "q", 1, 0, NULL, &err));
	CASE("queue_size_null_out", mpd_queue_size(c, "q", NULL, &err));
	CASE("queue_task_done_null_name", mpd_queue_task_done(c, NULL, &err));
	CASE("queue_join_nan_timeout", mpd_queue_join(c, "q", NAN, &err));
	CASE("queue_join_empty_name", mpd_queue_join(c, "", 0, &err));
	CASE("queue_close_empty_name", mpd_queue_close(c, "", &err));
	CASE("queue_delete_null_name", mpd_queue_delete(c, NULL, &err));
	CASE("queue_list_null_out", mpd_queue_list(c, NULL, &err));
	CASE("queue_put_int_null_name", mpd_queue_put_int(c, NULL, 1, 0, &err));
	CASE("queue_put_int_nan_timeout",
	     mpd_queue_put_int(c, "q", 1, NAN, &err));
	CASE("queue_put_double_nan",
	     mpd_queue_put_double(c, "q", NAN, 0, &err));
	CASE("queue_put_double_inf",
	     mpd_queue_put_double(c, "q", -INFINITY, 0, &err));
	CASE("queue_put_string_null",
	     mpd_queue_put_string(c, "q", NULL, 0, &err));
	CASE("queue_put_string_not_utf8",
	     mpd_queue_put_string(c, "q", bad, 0, &err));
	CASE("queue_get_int_null_out",
	     mpd_queue_get_int(c, "q", 0, NULL, &err));
	CASE("queue_get_double_null_out",
	     mpd_queue_get_double(c, "q", 0, NULL, &err));
	CASE("queue_get_string_null_out",
	     mpd_queue_get_string(c, "q", 0, NULL, &err));
	CASE("queue_get_string_nan_timeout",
	     mpd_queue_get_string(c, "q", NAN, &o->s, &err));
	CASE("value_create_null_name",
	     mpd_value_create(c, NULL, "int", NULL, 0, &err));
	CASE("value_create_null_type",
	     mpd_value_create(c, "v", NULL, NULL, 0, &err));
	CASE("value_create_empty_type",
	     mpd_value_create(c, "v", "", NULL, 0, &err));
	CASE("value_create_type_not_utf8",
	     mpd_value_create(c, "v", bad, NULL, 0, &err));
	CASE("value_get_null_out", mpd_value_get(c, "v", NULL, &err));
	CASE("value_set_null_value", mpd_value_set(c, "v", NULL, &err));
	CASE("value_add_int_empty_name",
	     mpd_value_add_int(c, "", 1, &o->i, &err));
	CASE("value_add_double_nan",
	     mpd_value_add_double(c, "v", NAN, &o->d, &err));
	CASE("value_cas_null_expected",
	     mpd_value_cas(c, "v", NULL, one, &o->sw, &o->j, &err));
	CASE("value_cas_null_value",
	     mpd_value_cas(c, "v", one, NULL, &o->sw, &o->j, &err));
	CASE("value_delete_empty_name", mpd_value_delete(c, "", &err));
	CASE("value_list_null_out", mpd_value_list(c, NULL, &err));
	CASE("value_get_int_null_out", mpd_value_get_int(c, "v", NULL, &err));
	CASE("value_get_double_null_out",
	     mpd_value_get_double(c, "v", NULL, &err));
	CASE("value_get_string_null_out",
	     mpd_value_get_string(c, "v", NULL, &err));
	CASE("value_set_int_null_name", mpd_value_set_int(c, NULL, 1, &err));
	CASE("value_set_double_inf",
	     mpd_value_set_double(c, "v", INFINITY, &err));
	CASE("value_set_string_null", mpd_value_set_string(c, "v", NULL, &err));
	CASE("value_set_string_not_utf8",
	     mpd_value_set_string(c, "v", bad, &err));
	CASE("array_create_null_type",
	     mpd_array_create(c, "a", NULL, 3, NULL, 0, &err));
	CASE("array_create_length_0",
	     mpd_array_create(c, "a", "int", 0, NULL, 0, &err));
	CASE("array_create_length_too_big",
	     mpd_array_create(c, "a", "int", MPD_MAX_ARRAY_LENGTH + 1, NULL, 0,
			      &err));
	CASE("array_create_values_empty",
	     mpd_array_create(c, "a", "int", 0, empty, 0, &err));
	CASE("array_create_values_not_array",
	     mpd_array_create(c, "a", "int", 0, obj, 0, &err));
	CASE("array_create_length_not_values",
	     mpd_array_create(c, "a", "int", 2, one, 0, &err));
	CASE("array_get_null_out", mpd_array_get(c, "a", 0, NULL, &err));
	CASE("array_get_slice_null_out",
	     mpd_array_get_slice(c, "a", 0, 1, NULL, &err));
	CASE("array_get_all_null_out", mpd_array_get_all(c, "a", NULL, &err));
	CASE("array_get_all_name_not_utf8",
	     mpd_array_get_all(c, bad, &o->j, &err));
	CASE("array_set_null_value", mpd_array_set(c, "a", 0, NULL, &err));
	CASE("array_set_slice_not_array",
	     mpd_array_set_slice(c, "a", 0, one, &err));
	CASE("array_add_int_null_name",
	     mpd_array_add_int(c, NULL, 0, 1, &o->i, &err));
	CASE("array_add_double_nan",
	     mpd_array_add_double(c, "a", 0, NAN, &o->d, &err));
	CASE("array_delete_null_name", mpd_array_delete(c, NULL, &err));
	CASE("array_list_null_out", mpd_array_list(c, NULL, &err));
#undef CASE
	cr_assert_fail("unknown case %s", name);
	return 0;
}

ParameterizedTest(struct bad_call *b, broker_wire,
		  bad_arguments_are_inval_and_unsent)
{
	struct outs o = { SENTINEL, INT_SENTINEL, DOUBLE_SENTINEL, STR_SENTINEL,
			  -1 };
	json_t *one = json_integer(1), *empty = json_array();
	json_t *obj = json_object();
	int r;

	peer_start();
	r = make_bad_call(b->name, &o, one, empty, obj);
	cr_assert_eq(r, MPD_E_INVAL, "%s: %d %s", b->name, r, err.message);
	cr_assert_eq(err.code, MPD_E_INVAL);
	cr_assert_neq(err.message[0], '\0');
	cr_assert_eq(o.j, SENTINEL);
	cr_assert_eq(o.i, INT_SENTINEL);
	cr_assert_eq(o.d, DOUBLE_SENTINEL);
	cr_assert_eq(o.s, STR_SENTINEL);
	cr_assert_eq(o.sw, -1);
	cr_assert_eq(one->refcount, 1);
	cr_assert_eq(empty->refcount, 1);
	cr_assert_eq(obj->refcount, 1);
	/* The next request is the first the peer sees. */
	OK(mpd_ping(c, &err));
	peer_finish("daemon.ping -\n");
	json_decref(one);
	json_decref(empty);
	json_decref(obj);
}
