/*
 * test-taskpool.c - pools (pool.*) against a real mpdd, over the raw
 * protocol: function pools (results, map chunks, the orders pool.result
 * walks, keep, timeouts, worker recycling, deaths of every kind, retries,
 * broken pools, task timeouts), program pools, close, terminate, join and
 * delete, ownership, daemonic pools, and every class of bad params.
 *
 * The task functions are in tests/modules/poolmod.c ($MPD_POOL_MODULE).
 * Nothing waits on timing luck: results are waited for with pool.result's
 * own timeout, which is generous.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "harness.h"

/* How long a test waits for outcomes that will come. */
#define WAIT_S 20

static struct mpdd d;

static void teardown(void)
{
	mpdd_teardown(&d);
}

TestSuite(taskpool, .fini = teardown, .timeout = 300);

static const char *module(void)
{
	const char *m = getenv("MPD_POOL_MODULE");

	cr_assert_not_null(m, "MPD_POOL_MODULE is not set");
	return m;
}

/* Start a daemon and connect to it. */
static int up(void)
{
	mpdd_start(&d, NULL);
	return test_connect(d.socket);
}

/* End a test: the daemon stops cleanly (its pools, their workers and
 * their tasks freed: the sanitizers check it). */
static void down(int fd)
{
	test_hang_up(fd);
	mpdd_stop(&d);
}

/* Create function pool name of processes workers, with extra params
 * (stolen, may be NULL). Returns pool.create's result. */
static json_t *fpool(int fd, const char *name, int processes, json_t *extra)
{
	json_t *p = json_pack("{s:s, s:s, s:i}", "name", name, "module",
			      module(), "processes", processes);

	if (extra != NULL) {
		json_object_update(p, extra);
		json_decref(extra);
	}
	return test_ok(fd, "pool.create", p);
}

/* Submit tasks (stolen); returns the first id. */
static long long submit(int fd, const char *name, json_t *tasks)
{
	json_t *r =
		test_ok(fd, "pool.submit",
			json_pack("{s:s, s:o}", "name", name, "tasks", tasks));
	long long first = test_int(r, "first");

	json_decref(r);
	return first;
}

/* pool.result of ids first to first + count - 1, with extra params
 * (stolen, may be NULL; the timeout is WAIT_S unless given). */
static json_t *results(int fd, const char *name, long long first,
		       long long count, json_t *extra)
{
	json_t *p = json_pack("{s:s, s:I, s:I, s:i}", "name", name, "first",
			      (json_int_t)first, "count", (json_int_t)count,
			      "timeout", WAIT_S);

	if (extra != NULL) {
		json_object_update(p, extra);
		json_decref(extra);
	}
	return test_ok(fd, "pool.result", p);
}

/* The i-th outcome of a pool.result result. */
static json_t *outcome(json_t *res, size_t i)
{
	json_t *list = json_object_get(res, "results");

	cr_assert(json_is_array(list));
	cr_assert_lt(i, json_array_size(list), "only %zu outcomes",
		     json_array_size(list));
	return json_array_get(list, i);
}

static size_t noutcomes(json_t *res)
{
	return json_array_size(json_object_get(res, "results"));
}

/* Assert outcome o is done with result want (JSON text). */
static void assert_done(json_t *o, const char *want)
{
	json_t *w = test_json(want);
	char *got = json_dumps(o, JSON_ENCODE_ANY | JSON_COMPACT);

	cr_assert_str_eq(json_string_value(json_object_get(o, "state")), "done",
			 "not done: %s", got);
	cr_assert(json_equal(json_object_get(o, "result"), w),
		  "result %s, want %s", got, want);
	free(got);
	json_decref(w);
}

/* Assert outcome o failed with error name; returns its error. */
static json_t *assert_failed(json_t *o, const char *name)
{
	json_t *e = json_object_get(o, "error");
	char *got = json_dumps(o, JSON_ENCODE_ANY | JSON_COMPACT);

	cr_assert_str_eq(json_string_value(json_object_get(o, "state")),
			 "failed", "not failed: %s", got);
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(e, "data"), "name")),
			 name, "%s", got);
	free(got);
	return e;
}

static const char *message(json_t *err)
{
	return json_string_value(json_object_get(err, "message"));
}

static json_t *edata(json_t *err)
{
	return json_object_get(err, "data");
}

Test(taskpool, submit_then_result_in_id_order)
{
	int fd = up();
	json_t *info =
		fpool(fd, "sq", 2, json_pack("{s:s}", "function", "square"));
	json_t *r;
	long long first;

	cr_assert(test_bool(info, "created"));
	cr_assert_str_eq(json_string_value(json_object_get(info, "kind")),
			 "function");
	cr_assert_str_eq(json_string_value(json_object_get(info, "state")),
			 "open");
	json_decref(info);
	first = submit(fd, "sq",
		       json_pack("[{s:i}, {s:i}, {s:s, s:s}]", "args", 3,
				 "args", 4, "function", "fail_message", "args",
				 "x"));
	cr_assert_eq(first, 1, "ids count from 1");
	r = results(fd, "sq", 1, 3, NULL);
	cr_assert_eq(noutcomes(r), 3);
	assert_done(outcome(r, 0), "9");
	assert_done(outcome(r, 1), "16");
	{
		json_t *e = assert_failed(outcome(r, 2), "task_failed");

		cr_assert_eq(test_int(e, "code"), 11);
		cr_assert_str_eq(message(e), "failed on \"x\"");
		cr_assert_eq(test_int(edata(e), "return"), 1);
	}
	cr_assert_eq(test_int(r, "remaining"), 0);
	json_decref(r);
	/* A failure with a value that is not a message. */
	first = submit(fd, "sq",
		       json_pack("[{s:s, s:i}]", "function", "fail_value",
				 "args", 5));
	r = results(fd, "sq", first, 1, NULL);
	{
		json_t *e = assert_failed(outcome(r, 0), "task_failed");
		json_t *want = test_json("{\"arg\":5}");

		cr_assert_str_eq(message(e), "task function returned 7");
		cr_assert(json_equal(json_object_get(edata(e), "value"), want));
		json_decref(want);
	}
	json_decref(r);
	/* Fetched outcomes are forgotten. */
	r = results(fd, "sq", 1, 4, NULL);
	cr_assert_eq(noutcomes(r), 0);
	cr_assert_eq(test_int(r, "remaining"), 0);
	json_decref(r);
	info = test_info(fd, "pool", "sq");
	cr_assert_eq(test_int(json_object_get(info, "tasks"), "submitted"), 4);
	cr_assert_eq(json_array_size(json_object_get(info, "workers")), 2);
	json_decref(info);
	down(fd);
}

/* map with chunksizes 1, 7, 100 and the default: the results of the
 * chunks, in order, are the items' squares in order. */
Test(taskpool, map_chunks_keep_item_order)
{
	int fd = up();
	json_t *items = json_array(), *r, *m;
	static const int sizes[] = { 1, 7, 100, 0 };

	json_decref(fpool(fd, "m", 2, NULL));
	for (int i = 0; i < 100; i++)
		json_array_append_new(items, json_integer(i));
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		json_t *p = json_pack("{s:s, s:s, s:O}", "name", "m",
				      "function", "square", "items", items);
		long long want_chunk = sizes[s] ? sizes[s] : 13, k = 0;

		if (sizes[s] > 0)
			json_object_set_new(p, "chunksize",
					    json_integer(sizes[s]));
		m = test_ok(fd, "pool.map", p);
		/* Python's default: ceil(100 / (4 * 2)). */
		cr_assert_eq(test_int(m, "chunksize"), want_chunk);
		cr_assert_eq(test_int(m, "count"),
			     (100 + want_chunk - 1) / want_chunk);
		cr_assert_eq(test_int(m, "items"), 100);
		r = results(fd, "m", test_int(m, "first"), test_int(m, "count"),
			    NULL);
		for (size_t c = 0; c < noutcomes(r); c++) {
			json_t *chunk =
				json_object_get(outcome(r, c), "result");
			json_t *v;
			size_t i;

			cr_assert(json_is_array(chunk));
			json_array_foreach (chunk, i, v) {
				cr_assert_eq(json_integer_value(v), k * k);
				k++;
			}
		}
		cr_assert_eq(k, 100, "chunksize %lld: %lld results", want_chunk,
			     k);
		json_decref(r);
		json_decref(m);
	}
	/* A chunk fails at its first failing item, naming it. */
	m = test_ok(fd, "pool.map",
		    json_pack("{s:s, s:s, s:[i, s, i], s:i}", "name", "m",
			      "function", "square", "items", 1, "two", 3,
			      "chunksize", 3));
	r = results(fd, "m", test_int(m, "first"), 1, NULL);
	cr_assert_eq(
		test_int(edata(assert_failed(outcome(r, 0), "task_failed")),
			 "index"),
		1);
	json_decref(r);
	json_decref(m);
	/* An empty map is no task. */
	m = test_ok(fd, "pool.map",
		    json_pack("{s:s, s:s, s:[]}", "name", "m", "function",
			      "square", "items"));
	cr_assert_eq(test_int(m, "count"), 0);
	json_decref(m);
	json_decref(items);
	down(fd);
}

/* One slow task and one quick one, on two workers: completion order
 * gives the quick one first, submission order waits for the slow one. */
Test(taskpool, submission_and_completion_orders)
{
	int fd = up();
	json_t *r;

	json_decref(fpool(fd, "o", 2,
			  json_pack("{s:s}", "function", "sleep_then")));
	submit(fd, "o",
	       json_pack("[{s:f}, {s:f}, {s:f}]", "args", 1.5, "args", 0.0,
			 "args", 1.5));
	r = results(fd, "o", 1, 3,
		    json_pack("{s:s, s:i}", "order", "completion", "max", 1));
	cr_assert_eq(noutcomes(r), 1);
	cr_assert_eq(test_int(outcome(r, 0), "id"), 2);
	cr_assert_eq(test_int(r, "remaining"), 2);
	json_decref(r);
	/* Submission order: 1 (waited for), then 3; 2 was fetched. */
	r = results(fd, "o", 1, 3, json_pack("{s:s}", "order", "submission"));
	cr_assert_geq(noutcomes(r), 1);
	cr_assert_eq(test_int(outcome(r, 0), "id"), 1);
	if (noutcomes(r) == 1) {
		json_decref(r);
		r = results(fd, "o", 1, 3,
			    json_pack("{s:s}", "order", "submission"));
		cr_assert_eq(test_int(outcome(r, 0), "id"), 3);
	} else {
		cr_assert_eq(test_int(outcome(r, 1), "id"), 3);
	}
	cr_assert_eq(test_int(r, "remaining"), 0);
	json_decref(r);
	/* "ids" names tasks one by one. */
	submit(fd, "o", json_pack("[{s:i}, {s:i}]", "args", 0, "args", 0));
	r = test_ok(fd, "pool.result",
		    json_pack("{s:s, s:[i, i, i], s:i}", "name", "o", "ids", 5,
			      4, 5, "timeout", WAIT_S));
	cr_assert_eq(noutcomes(r), 2);
	cr_assert_eq(test_int(outcome(r, 0), "id"), 4);
	cr_assert_eq(test_int(outcome(r, 1), "id"), 5);
	json_decref(r);
	down(fd);
}

Test(taskpool, result_timeout_takes_nothing_and_keep_leaves_it)
{
	int fd = up();
	json_t *r;
	struct timespec t0, t1;

	json_decref(fpool(fd, "t", 1, NULL));
	submit(fd, "t",
	       json_pack("[{s:s, s:f}, {s:s, s:i}]", "function", "sleep_then",
			 "args", 2.0, "function", "identity", "args", 8));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = results(fd, "t", 1, 1, json_pack("{s:f}", "timeout", 0.2));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert_eq(noutcomes(r), 0);
	cr_assert_eq(test_int(r, "remaining"), 1);
	cr_assert_lt(t1.tv_sec - t0.tv_sec, 2, "the wait passed its timeout");
	json_decref(r);
	r = results(fd, "t", 1, 2, json_pack("{s:i}", "timeout", 0));
	cr_assert_eq(noutcomes(r), 0, "task 1 runs: nothing yet");
	json_decref(r);
	/* keep: fetched twice. */
	for (int i = 0; i < 2; i++) {
		r = results(fd, "t", 2, 1, json_pack("{s:b}", "keep", 1));
		assert_done(outcome(r, 0), "8");
		cr_assert_eq(test_int(r, "remaining"), 1);
		json_decref(r);
	}
	r = results(fd, "t", 1, 2, NULL);
	cr_assert_eq(noutcomes(r), 2);
	assert_done(outcome(r, 0), "2.0");
	cr_assert_eq(test_int(r, "remaining"), 0);
	json_decref(r);
	down(fd);
}

/* maxtasksperchild 2: each worker runs two tasks, then another takes
 * over; the pids seen change every two tasks. */
Test(taskpool, maxtasksperchild_recycles_workers)
{
	int fd = up();
	json_t *r;
	long long pids[6];

	json_decref(fpool(fd, "mt", 1,
			  json_pack("{s:s, s:i}", "function", "worker_pid",
				    "maxtasksperchild", 2)));
	submit(fd, "mt", json_pack("[{}, {}, {}, {}, {}, {}]"));
	r = results(fd, "mt", 1, 6, NULL);
	for (int i = 0; i < 6; i++)
		pids[i] = json_integer_value(
			json_object_get(outcome(r, (size_t)i), "result"));
	json_decref(r);
	for (int i = 0; i < 6; i += 2) {
		cr_assert_eq(pids[i], pids[i + 1], "task %d and %d", i + 1,
			     i + 2);
		if (i > 0)
			cr_assert_neq(pids[i], pids[i - 1],
				      "worker kept past its quota");
	}
	r = test_info(fd, "pool", "mt");
	cr_assert_eq(test_int(r, "worker_deaths"), 0,
		     "a worker let go is no death");
	json_decref(r);
	down(fd);
}

Test(taskpool, close_join_and_records)
{
	int fd = up();
	json_t *r, *r2, *list, *v;
	size_t i;

	json_decref(fpool(fd, "c", 2,
			  json_pack("{s:s}", "function", "sleep_then")));
	submit(fd, "c",
	       json_pack("[{s:f}, {s:f}, {s:f}]", "args", 0.3, "args", 0.3,
			 "args", 0.3));
	test_fails(fd, "pool.join", test_nm("c"), "invalid_state");
	/* The workers are records of the pool, named after it. */
	r = test_ok(fd, "process.list", NULL);
	list = json_object_get(r, "processes");
	cr_assert_eq(json_array_size(list), 2);
	json_array_foreach (list, i, v) {
		cr_assert_str_eq(json_string_value(json_object_get(v, "pool")),
				 "c");
		cr_assert_eq(
			strncmp(json_string_value(json_object_get(v, "name")),
				"c/", 2),
			0);
		r2 = test_call_id(fd, "process.close", test_int(v, "id"), NULL);
		cr_assert_eq(test_error_code(r2, NULL), 3,
			     "a worker the pool uses is not closed");
		json_decref(r2);
	}
	json_decref(r);
	r = test_ok(fd, "pool.close", test_nm("c"));
	cr_assert_str_eq(json_string_value(json_object_get(r, "state")),
			 "closed");
	json_decref(r);
	test_fails(fd, "pool.submit",
		   json_pack("{s:s, s:[{}]}", "name", "c", "tasks"),
		   "invalid_state");
	r = test_ok(fd, "pool.join",
		    json_pack("{s:s, s:i}", "name", "c", "timeout", WAIT_S));
	cr_assert(test_bool(r, "joined"));
	json_decref(r);
	/* Queued tasks ran; their outcomes stay. */
	r = results(fd, "c", 1, 3, NULL);
	cr_assert_eq(noutcomes(r), 3);
	json_decref(r);
	r = test_ok(fd, "process.list", NULL);
	cr_assert_eq(json_array_size(json_object_get(r, "processes")), 0,
		     "the pool closed its workers' records");
	json_decref(r);
	test_ok0(fd, "pool.delete", test_nm("c"));
	test_fails(fd, "pool.info", test_nm("c"), "not_found");
	down(fd);
}

Test(taskpool, terminate_fails_what_is_not_finished)
{
	int fd = up();
	json_t *r;

	json_decref(fpool(fd, "k", 1, NULL));
	submit(fd, "k",
	       json_pack("[{s:s, s:i}]", "function", "identity", "args", 1));
	r = results(fd, "k", 1, 1, json_pack("{s:b}", "keep", 1));
	json_decref(r);
	submit(fd, "k",
	       json_pack("[{s:s, s:i}, {s:s, s:i}, {s:s, s:i}]", "function",
			 "sleep_then", "args", 60, "function", "sleep_then",
			 "args", 60, "function", "sleep_then", "args", 60));
	r = test_ok(fd, "pool.terminate", test_nm("k"));
	cr_assert_str_eq(json_string_value(json_object_get(r, "state")),
			 "terminated");
	json_decref(r);
	r = results(fd, "k", 1, 4, NULL);
	assert_done(outcome(r, 0), "1");
	for (size_t i = 1; i < 4; i++)
		assert_failed(outcome(r, i), "terminated");
	json_decref(r);
	r = test_ok(fd, "pool.join",
		    json_pack("{s:s, s:i}", "name", "k", "timeout", WAIT_S));
	cr_assert(test_bool(r, "joined"));
	json_decref(r);
	test_fails(fd, "pool.submit",
		   json_pack("{s:s, s:[{}]}", "name", "k", "tasks"),
		   "invalid_state");
	down(fd);
}

/* A worker killed, aborting or exiting in a task: that task fails
 * naming the worker, its pid and how it ended; the others complete. */
Test(taskpool, worker_deaths_fail_only_their_task)
{
	int fd = up();
	json_t *r, *e;

	json_decref(
		fpool(fd, "x", 2, json_pack("{s:s}", "function", "identity")));
	submit(fd, "x",
	       json_pack("[{s:s}, {s:i}, {s:s}, {s:i}, {s:s}, {s:i}, {s:s}]",
			 "function", "kill_self", "args", 1, "function",
			 "abort_self", "args", 2, "function", "exit3", "args",
			 3, "function", "garbage"));
	r = results(fd, "x", 1, 7, NULL);
	e = assert_failed(outcome(r, 0), "worker_died");
	cr_assert_str_eq(json_string_value(json_object_get(edata(e), "signal")),
			 "SIGKILL");
	cr_assert_eq(test_int(edata(e), "exitcode"), -9);
	cr_assert_gt(test_int(edata(e), "pid"), 0);
	cr_assert_gt(test_int(edata(e), "worker"), 0);
	cr_assert_eq(test_int(edata(e), "attempts"), 1);
	cr_assert_not_null(strstr(message(e), "killed by SIGKILL"), "%s",
			   message(e));
	e = assert_failed(outcome(r, 2), "worker_died");
	cr_assert_str_eq(json_string_value(json_object_get(edata(e), "signal")),
			 "SIGABRT");
	e = assert_failed(outcome(r, 4), "worker_died");
	cr_assert_eq(test_int(edata(e), "exitcode"), 3);
	cr_assert_not_null(strstr(message(e), "exited with code 3"), "%s",
			   message(e));
	e = assert_failed(outcome(r, 6), "worker_died");
	cr_assert_not_null(strstr(message(e), "not a JSON object"), "%s",
			   message(e));
	assert_done(outcome(r, 1), "1");
	assert_done(outcome(r, 3), "2");
	assert_done(outcome(r, 5), "3");
	json_decref(r);
	/* The pool replaced them and goes on. */
	submit(fd, "x", json_pack("[{s:i}]", "args", 9));
	r = results(fd, "x", 8, 1, NULL);
	assert_done(outcome(r, 0), "9");
	json_decref(r);
	r = test_info(fd, "pool", "x");
	cr_assert_eq(test_int(r, "worker_deaths"), 4);
	cr_assert_str_eq(json_string_value(json_object_get(r, "state")),
			 "open");
	json_decref(r);
	down(fd);
}

Test(taskpool, retries_are_bounded)
{
	int fd = up();
	char path[PATH_MAX + 16];
	json_t *r, *e;

	snprintf(path, sizeof(path), "%s/die-once", d.dir);
	json_decref(fpool(fd, "rt", 1, json_pack("{s:i}", "retries", 2)));
	submit(fd, "rt",
	       json_pack("[{s:s, s:s}, {s:s}]", "function", "die_once", "args",
			 path, "function", "kill_self"));
	r = results(fd, "rt", 1, 2, NULL);
	assert_done(outcome(r, 0), "\"survived\"");
	e = assert_failed(outcome(r, 1), "worker_died");
	cr_assert_eq(test_int(edata(e), "attempts"), 3,
		     "retries 2: three attempts");
	json_decref(r);
	r = test_info(fd, "pool", "rt");
	cr_assert_eq(test_int(r, "worker_deaths"), 4);
	json_decref(r);
	down(fd);
}

Test(taskpool, initializer_runs_once_per_worker)
{
	int fd = up();
	json_t *r, *want = test_json("{\"k\":[1,2]}");

	json_decref(fpool(fd, "in", 1,
			  json_pack("{s:s, s:{s:[i, i]}, s:s}", "initializer",
				    "record_init", "initargs", "k", 1, 2,
				    "function", "init_seen")));
	submit(fd, "in", json_pack("[{}, {}]"));
	r = results(fd, "in", 1, 2, NULL);
	for (size_t i = 0; i < 2; i++) {
		json_t *res = json_object_get(outcome(r, i), "result");

		cr_assert(json_equal(json_array_get(res, 0), want));
	}
	json_decref(r);
	json_decref(want);
	down(fd);
}

/* Workers whose initializer fails break the pool: its tasks fail, new
 * ones are refused, and info says why. */
Test(taskpool, failing_initializer_breaks_the_pool)
{
	int fd = up();
	json_t *r, *e;

	json_decref(fpool(fd, "br", 2,
			  json_pack("{s:s, s:i, s:s}", "initializer",
				    "failing_init", "initargs", 5, "function",
				    "identity")));
	submit(fd, "br", json_pack("[{}, {}]"));
	r = results(fd, "br", 1, 2, NULL);
	e = assert_failed(outcome(r, 0), "worker_died");
	cr_assert_str_eq(json_string_value(json_object_get(edata(e), "stage")),
			 "initializer");
	cr_assert_not_null(strstr(message(e), "exited with code 5"), "%s",
			   message(e));
	json_decref(r);
	r = test_info(fd, "pool", "br");
	cr_assert_str_eq(json_string_value(json_object_get(r, "state")),
			 "broken");
	cr_assert(json_is_string(json_object_get(r, "broken_reason")));
	json_decref(r);
	test_fails(fd, "pool.submit",
		   json_pack("{s:s, s:[{}]}", "name", "br", "tasks"),
		   "invalid_state");
	/* A module that cannot be opened breaks it at the start. */
	json_decref(
		test_ok(fd, "pool.create",
			json_pack("{s:s, s:s, s:i}", "name", "nomod", "module",
				  "/nonexistent/mod.so", "processes", 1)));
	submit(fd, "nomod", json_pack("[{s:s}]", "function", "identity"));
	r = results(fd, "nomod", 1, 1, NULL);
	e = assert_failed(outcome(r, 0), "worker_died");
	cr_assert_str_eq(json_string_value(json_object_get(edata(e), "stage")),
			 "start");
	cr_assert_not_null(strstr(message(e), "dlopen"), "%s", message(e));
	json_decref(r);
	down(fd);
}

Test(taskpool, task_timeout_kills_and_replaces_the_worker)
{
	int fd = up();
	json_t *r, *e;

	json_decref(fpool(fd, "to", 1,
			  json_pack("{s:s}", "function", "sleep_then")));
	submit(fd, "to",
	       json_pack("[{s:i, s:f}, {s:f}]", "args", 60, "timeout", 0.3,
			 "args", 0.0));
	r = results(fd, "to", 1, 2, NULL);
	e = assert_failed(outcome(r, 0), "timeout");
	cr_assert_eq(test_int(e, "code"), 14);
	cr_assert_gt(test_int(edata(e), "pid"), 0);
	assert_done(outcome(r, 1), "0.0");
	json_decref(r);
	/* The pool's default timeout. */
	json_decref(fpool(fd, "to2", 1,
			  json_pack("{s:s, s:f}", "function", "sleep_then",
				    "timeout", 0.3)));
	submit(fd, "to2", json_pack("[{s:i}]", "args", 60));
	r = results(fd, "to2", 1, 1, NULL);
	assert_failed(outcome(r, 0), "timeout");
	json_decref(r);
	down(fd);
}

Test(taskpool, program_pool_runs_each_task_as_a_process)
{
	int fd = up();
	int pfd[2];
	char buf[64] = { 0 };
	ssize_t n;
	json_t *r, *e, *res;

	json_decref(
		test_ok(fd, "pool.create",
			json_pack("{s:s, s:i}", "name", "pg", "processes", 2)));
	submit(fd, "pg",
	       json_pack("[{s:[s]}, {s:[s, s, s]}, {s:[s]}, {s:[s, s], s:f}]",
			 "argv", "true", "argv", "sh", "-c", "exit 4", "argv",
			 "/nonexistent/program", "argv", "sleep", "60",
			 "timeout", 0.3));
	r = results(fd, "pg", 1, 4, NULL);
	res = json_object_get(outcome(r, 0), "result");
	cr_assert_str_eq(
		json_string_value(json_object_get(outcome(r, 0), "state")),
		"done");
	cr_assert_eq(test_int(res, "exitcode"), 0);
	cr_assert_gt(test_int(res, "pid"), 0);
	e = assert_failed(outcome(r, 1), "task_failed");
	cr_assert_eq(test_int(edata(e), "exitcode"), 4);
	e = assert_failed(outcome(r, 2), "spawn_failed");
	cr_assert_str_eq(json_string_value(json_object_get(edata(e), "stage")),
			 "exec");
	assert_failed(outcome(r, 3), "timeout");
	json_decref(r);
	/* A "pass" stdout: the descriptor sent with the submit. */
	cr_assert_eq(pipe(pfd), 0);
	r = test_call_fds(fd, "pool.submit",
			  json_pack("{s:s, s:[{s:[s, s, s], s:s}]}", "name",
				    "pg", "tasks", "argv", "sh", "-c",
				    "echo hello", "stdout", "pass"),
			  &pfd[1], 1);
	test_result(r);
	json_decref(r);
	close(pfd[1]);
	n = read(pfd[0], buf, sizeof(buf) - 1);
	cr_assert_gt(n, 0);
	cr_assert_str_eq(buf, "hello\n");
	close(pfd[0]);
	r = results(fd, "pg", 5, 1, NULL);
	cr_assert_str_eq(
		json_string_value(json_object_get(outcome(r, 0), "state")),
		"done");
	json_decref(r);
	/* map is for function pools. */
	test_fails(fd, "pool.map",
		   json_pack("{s:s, s:s, s:[i]}", "name", "pg", "function", "f",
			     "items", 1),
		   "invalid_state");
	down(fd);
}

/* As nobody: another user's pool is out of reach and out of sight. */
static int as_nobody(const char *socket)
{
	int fd;
	json_t *r;
	const char *name;

	if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
		return 10;
	fd = test_try_connect(socket);
	if (fd < 0)
		return 15;
	r = test_call(fd, "pool.info", test_nm("mine"));
	if (test_error_code(r, &name) != 4)
		return 11;
	json_decref(r);
	r = test_call(fd, "pool.submit",
		      json_pack("{s:s, s:[{}]}", "name", "mine", "tasks"));
	if (test_error_code(r, &name) != 4)
		return 12;
	json_decref(r);
	r = test_ok(fd, "pool.list", NULL);
	if (json_array_size(json_object_get(r, "pools")) != 0)
		return 13;
	json_decref(r);
	r = test_call(fd, "pool.create",
		      json_pack("{s:s, s:s}", "name", "mine", "module", "m"));
	if (test_error_code(r, &name) != 2)
		return 14;
	json_decref(r);
	return 0;
}

Test(taskpool, another_uid_cannot_reach_a_pool)
{
	int fd, status;
	json_t *r;
	pid_t pid;

	if (geteuid() != 0)
		cr_skip_test("needs root to switch to nobody");
	fd = up();
	cr_assert(chmod(d.dir, 0755) == 0 && chmod(d.socket, 0666) == 0);
	json_decref(fpool(fd, "mine", 1, NULL));
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0)
		_exit(as_nobody(d.socket));
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "check %d failed as nobody", WEXITSTATUS(status));
	r = test_ok(fd, "pool.list", NULL);
	cr_assert_eq(json_array_size(json_object_get(r, "pools")), 1);
	json_decref(r);
	down(fd);
}

/* A daemonic pool goes with the connection that made it. */
Test(taskpool, daemonic_pool_ends_with_its_connection)
{
	int fd = up(), other = test_connect(d.socket);
	json_t *r;

	json_decref(fpool(other, "dm", 1, json_pack("{s:b}", "daemon", 1)));
	json_decref(fpool(other, "kept", 1, NULL));
	submit(other, "dm",
	       json_pack("[{s:s, s:i}]", "function", "sleep_then", "args", 60));
	test_hang_up(other);
	/* The daemon sees the close in its own time: ask until it has. */
	for (int i = 0;; i++) {
		r = test_call(fd, "pool.info", test_nm("dm"));
		if (json_object_get(r, "error") != NULL) {
			cr_assert_eq(test_error_code(r, NULL), 1);
			json_decref(r);
			break;
		}
		json_decref(r);
		cr_assert_lt(i, TEST_TIMEOUT_MS / 10, "the pool stayed");
		usleep(10000);
	}
	r = test_info(fd, "pool", "kept");
	json_decref(r);
	/* Its worker was killed, and its record goes with it. */
	for (int i = 0;; i++) {
		size_t n;

		r = test_ok(fd, "process.list",
			    json_pack("{s:s}", "name_prefix", "dm/"));
		n = json_array_size(json_object_get(r, "processes"));
		json_decref(r);
		if (n == 0)
			break;
		cr_assert_lt(i, TEST_TIMEOUT_MS / 10, "its worker stayed");
		usleep(10000);
	}
	down(fd);
}

Test(taskpool, delete_answers_parked_calls)
{
	int fd = up();
	json_t *r;

	json_decref(fpool(fd, "del", 1, NULL));
	submit(fd, "del",
	       json_pack("[{s:s, s:i}]", "function", "sleep_then", "args", 60));
	test_send_call(fd, "w1", "pool.result",
		       json_pack("{s:s, s:i}", "name", "del", "first", 1));
	test_settle(fd);
	test_send_call(fd, "del", "pool.delete", test_nm("del"));
	r = test_reply_for(fd, "w1");
	cr_assert_eq(test_error_code(r, NULL), 7, "closed");
	json_decref(r);
	json_decref(test_result_for(fd, "del"));
	test_fails(fd, "pool.info", test_nm("del"), "not_found");
	down(fd);
}

/* Arrays, not pointers: Criterion hands the cases to a fresh image. */
/* Workers of the "spawn" start method (a fresh worker image) run the
 * same loop, initializer included. */
Test(taskpool, spawn_start_method_workers)
{
	int fd = up();
	json_t *r, *want = test_json("\"fresh\"");

	json_decref(
		fpool(fd, "sp", 2,
		      json_pack("{s:s, s:s, s:s, s:s}", "start_method", "spawn",
				"initializer", "record_init", "initargs",
				"fresh", "function", "init_seen")));
	submit(fd, "sp", json_pack("[{}, {}, {}]"));
	r = results(fd, "sp", 1, 3, NULL);
	for (size_t i = 0; i < 3; i++)
		cr_assert(json_equal(
			json_array_get(json_object_get(outcome(r, i), "result"),
				       0),
			want));
	json_decref(r);
	json_decref(want);
	r = test_ok(fd, "pool.map",
		    json_pack("{s:s, s:s, s:[i, i, i], s:i}", "name", "sp",
			      "function", "square", "items", 2, 3, 4,
			      "chunksize", 2));
	json_decref(r);
	r = results(fd, "sp", 4, 2, NULL);
	assert_done(outcome(r, 0), "[4, 9]");
	assert_done(outcome(r, 1), "[16]");
	json_decref(r);
	down(fd);
}

/* Pools count in max_objects; a reply of outcomes is sized to the
 * connection's room (max_output): fewer outcomes, and limit when not
 * even one fits. */
Test(taskpool, limits_bound_pools_and_replies)
{
	static const char *const args[] = { "--max-objects", "1",
					    "--max-output", "40000", NULL };
	char big[30000];
	json_t *r;
	int fd;

	mpdd_start(&d, args);
	fd = test_connect(d.socket);
	json_decref(fpool(fd, "one", 1,
			  json_pack("{s:s}", "function", "identity")));
	r = test_call(fd, "pool.create",
		      json_pack("{s:s, s:s}", "name", "two", "module",
				module()));
	cr_assert_eq(test_error_code(r, NULL), 9);
	cr_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(json_object_get(r, "error"), "data"),
			"limit")),
		"max_objects");
	json_decref(r);
	/* Outcomes of 12 KB each: a reply takes at most half of the
	 * room, so one at a time. */
	memset(big, 'x', 12000);
	big[12000] = '\0';
	submit(fd, "one",
	       json_pack("[{s:s}, {s:s}]", "args", big, "args", big));
	r = results(fd, "one", 1, 2, NULL);
	cr_assert_eq(noutcomes(r), 1, "one outcome fits");
	cr_assert_eq(test_int(r, "remaining"), 1);
	json_decref(r);
	r = results(fd, "one", 1, 2, NULL);
	cr_assert_eq(test_int(outcome(r, 0), "id"), 2);
	json_decref(r);
	/* One that can never fit: limit, and it stays. */
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	submit(fd, "one", json_pack("[{s:s}]", "args", big));
	r = test_call(fd, "pool.result",
		      json_pack("{s:s, s:i, s:i}", "name", "one", "first", 3,
				"timeout", WAIT_S));
	cr_assert_eq(test_error_code(r, NULL), 9);
	json_decref(r);
	r = test_info(fd, "pool", "one");
	cr_assert_eq(test_int(json_object_get(r, "tasks"), "done"), 1);
	json_decref(r);
	down(fd);
}

/* A subscriber of kind "pool" is told what happens to pools. */
Test(taskpool, events_tell_of_pools)
{
	int fd = up(), sub = test_connect(d.socket);
	static const char *const want[] = { "created", "closed", "terminated",
					    "deleted" };
	static const char *const method[] = { "pool.create", "pool.close",
					      "pool.terminate", "pool.delete" };
	json_t *r;

	r = test_ok(sub, "events.subscribe",
		    json_pack("{s:[s]}", "kinds", "pool"));
	json_decref(r);
	for (size_t i = 0; i < 4; i++) {
		char *line;
		json_t *msg, *params;

		if (i == 0)
			json_decref(fpool(fd, "ev", 1, NULL));
		else
			json_decref(test_ok(fd, method[i], test_nm("ev")));
		line = test_read_line(sub, TEST_TIMEOUT_MS);
		msg = test_json(line);
		params = json_object_get(msg, "params");
		cr_assert_str_eq(
			json_string_value(json_object_get(params, "kind")),
			"pool", "%s", line);
		cr_assert_str_eq(
			json_string_value(json_object_get(params, "event")),
			want[i], "%s", line);
		cr_assert_str_eq(
			json_string_value(json_object_get(params, "name")),
			"ev");
		json_decref(msg);
		free(line);
	}
	test_hang_up(sub);
	down(fd);
}

struct bad {
	char method[24];
	char params[96];
	char error[24];
	char field[24]; /* "": not checked */
};

static struct bad bads[] = {
	{ "pool.create", "{}", "invalid_params", "name" },
	{ "pool.create", "{\"name\":\"\"}", "invalid_params", "name" },
	{ "pool.create", "{\"name\":\"b\",\"processes\":0}", "invalid_params",
	  "processes" },
	{ "pool.create", "{\"name\":\"b\",\"processes\":1025}",
	  "invalid_params", "processes" },
	{ "pool.create", "{\"name\":\"b\",\"module\":5}", "invalid_params",
	  "module" },
	{ "pool.create", "{\"name\":\"b\",\"initializer\":\"i\"}",
	  "invalid_params", "initializer" },
	{ "pool.create", "{\"name\":\"b\",\"maxtasksperchild\":2}",
	  "invalid_params", "maxtasksperchild" },
	{ "pool.create",
	  "{\"name\":\"b\",\"module\":\"m\",\"maxtasksperchild\":0}",
	  "invalid_params", "maxtasksperchild" },
	{ "pool.create", "{\"name\":\"b\",\"retries\":101}", "invalid_params",
	  "retries" },
	{ "pool.create", "{\"name\":\"b\",\"timeout\":-1}", "invalid_params",
	  "timeout" },
	{ "pool.create", "{\"name\":\"b\",\"stdout\":\"capture\"}",
	  "invalid_params", "stdout" },
	{ "pool.create", "{\"name\":\"b\",\"stdout\":\"pass\"}",
	  "invalid_params", "stdout" },
	{ "pool.create", "{\"name\":\"b\",\"start_method\":\"fork\"}",
	  "invalid_params", "start_method" },
	{ "pool.create", "{\"name\":\"b\",\"env\":{\"A=B\":\"x\"}}",
	  "invalid_params", "env" },
	{ "pool.create", "{\"name\":\"b\",\"bogus\":1}", "invalid_params",
	  "bogus" },
	{ "pool.create", "{\"name\":\"fp\",\"module\":\"m\"}", "exists", "" },
	{ "pool.submit", "{\"name\":\"nope\",\"tasks\":[{}]}", "not_found",
	  "" },
	{ "pool.submit", "{\"name\":\"fp\"}", "invalid_params", "tasks" },
	{ "pool.submit", "{\"name\":\"fp\",\"tasks\":[]}", "invalid_params",
	  "tasks" },
	{ "pool.submit", "{\"name\":\"fp\",\"tasks\":[5]}", "invalid_params",
	  "tasks" },
	{ "pool.submit", "{\"name\":\"fp\",\"tasks\":[{\"argv\":[\"x\"]}]}",
	  "invalid_params", "tasks" },
	{ "pool.submit", "{\"name\":\"fp\",\"tasks\":[{\"function\":3}]}",
	  "invalid_params", "tasks" },
	{ "pool.submit",
	  "{\"name\":\"fp\",\"tasks\":[{\"args\":1},{\"timeout\":-2}]}",
	  "invalid_params", "tasks" },
	{ "pool.submit", "{\"name\":\"nf\",\"tasks\":[{\"args\":1}]}",
	  "invalid_params", "tasks" },
	{ "pool.submit", "{\"name\":\"pp\",\"tasks\":[{\"argv\":[]}]}",
	  "invalid_params", "tasks" },
	{ "pool.submit",
	  "{\"name\":\"pp\",\"tasks\":[{\"argv\":[\"a\"],\"stdin\":\"pass\"}]}",
	  "invalid_params", "tasks" },
	{ "pool.submit",
	  "{\"name\":\"pp\",\"tasks\":[{\"argv\":[\"a\"],\"function\":\"f\"}]}",
	  "invalid_params", "tasks" },
	{ "pool.map", "{\"name\":\"fp\",\"items\":5}", "invalid_params",
	  "items" },
	{ "pool.map", "{\"name\":\"fp\",\"items\":[1],\"chunksize\":0}",
	  "invalid_params", "chunksize" },
	{ "pool.map", "{\"name\":\"nf\",\"items\":[1]}", "invalid_params",
	  "function" },
	{ "pool.result", "{\"name\":\"fp\"}", "invalid_params", "first" },
	{ "pool.result", "{\"name\":\"fp\",\"first\":1,\"ids\":[1]}",
	  "invalid_params", "ids" },
	{ "pool.result", "{\"name\":\"fp\",\"first\":1,\"count\":1}",
	  "invalid_params", "first" },
	{ "pool.result", "{\"name\":\"fp\",\"ids\":[1]}", "invalid_params",
	  "ids" },
	{ "pool.result", "{\"name\":\"fp\",\"ids\":[\"a\"]}", "invalid_params",
	  "ids" },
	{ "pool.result", "{\"name\":\"fp\",\"first\":1,\"order\":\"random\"}",
	  "invalid_params", "order" },
	{ "pool.result", "{\"name\":\"fp\",\"first\":0}", "invalid_params",
	  "first" },
	{ "pool.join", "{\"name\":\"fp\"}", "invalid_state", "" },
	{ "pool.info", "{\"name\":\"nope\"}", "not_found", "" },
	{ "pool.close", "{}", "invalid_params", "name" },
	{ "pool.list", "{\"x\":1}", "invalid_params", "x" },
};

ParameterizedTestParameters(taskpool, bad_params_are_refused)
{
	return cr_make_param_array(struct bad, bads,
				   sizeof(bads) / sizeof(bads[0]));
}

ParameterizedTest(struct bad *b, taskpool, bad_params_are_refused)
{
	int fd = up();
	json_t *r, *info;
	const char *name, *field;
	char *text;

	json_decref(
		fpool(fd, "fp", 1, json_pack("{s:s}", "function", "identity")));
	json_decref(fpool(fd, "nf", 1, NULL));
	json_decref(
		test_ok(fd, "pool.create",
			json_pack("{s:s, s:i}", "name", "pp", "processes", 1)));
	r = test_call(fd, b->method, test_json(b->params));
	text = json_dumps(r, JSON_COMPACT);
	name = json_string_value(json_object_get(
		json_object_get(json_object_get(r, "error"), "data"), "name"));
	field = json_string_value(json_object_get(
		json_object_get(json_object_get(r, "error"), "data"), "field"));
	cr_assert(name != NULL && strcmp(name, b->error) == 0,
		  "%s %s: %s, want %s", b->method, b->params, text, b->error);
	if (b->field[0] != '\0')
		cr_assert(field != NULL && strcmp(field, b->field) == 0,
			  "%s %s: %s, want field %s", b->method, b->params,
			  text, b->field);
	free(text);
	json_decref(r);
	/* Nothing was submitted, and the daemon serves on. */
	info = test_info(fd, "pool", "fp");
	cr_assert_eq(test_int(json_object_get(info, "tasks"), "submitted"), 0);
	json_decref(info);
	test_assert_ping(d.socket);
	down(fd);
}
