/*
 * test-attack-pool.c - pools, dicts and lists against a hostile workload
 * and a hostile client: workers that break their task channel in every
 * way, clients that go while their calls wait, limits pushed to the edge,
 * params out of every range. The daemon must fail only what was attacked,
 * say precisely why, and go on serving; each test stops it cleanly at its
 * end, so the sanitizer build checks that nothing leaked.
 *
 * The task functions are in tests/modules/poolmod.c ($MPD_POOL_MODULE).
 */
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

/* How long a test waits for outcomes that will come. */
#define WAIT_S 20

static struct mpdd d;

static void teardown(void)
{
	mpdd_teardown(&d);
}

TestSuite(attack_pool, .fini = teardown, .timeout = 300);

static const char *module(void)
{
	const char *m = getenv("MPD_POOL_MODULE");

	cr_assert_not_null(m, "MPD_POOL_MODULE is not set");
	return m;
}

static int up_with(const char *const *args)
{
	mpdd_start(&d, args);
	return test_connect(d.socket);
}

/* The daemon stops cleanly: what it holds is freed (sanitizers check). */
static void down(int fd)
{
	test_hang_up(fd);
	mpdd_stop(&d);
}

static void fpool(int fd, const char *name, int processes, json_t *extra)
{
	json_t *p = json_pack("{s:s, s:s, s:i}", "name", name, "module",
			      module(), "processes", processes);

	if (extra != NULL) {
		json_object_update(p, extra);
		json_decref(extra);
	}
	json_decref(test_ok(fd, "pool.create", p));
}

static long long submit(int fd, const char *name, json_t *tasks)
{
	json_t *r =
		test_ok(fd, "pool.submit",
			json_pack("{s:s, s:o}", "name", name, "tasks", tasks));
	long long first = test_int(r, "first");

	json_decref(r);
	return first;
}

/* The outcome of task id (waited for). */
static json_t *outcome_of(int fd, const char *name, long long id)
{
	json_t *r = test_ok(fd, "pool.result",
			    json_pack("{s:s, s:[I], s:i}", "name", name, "ids",
				      (json_int_t)id, "timeout", WAIT_S));
	json_t *list = json_object_get(r, "results");
	json_t *o;

	cr_assert_eq(json_array_size(list), 1, "no outcome of task %lld", id);
	o = json_incref(json_array_get(list, 0));
	json_decref(r);
	return o;
}

static void assert_done(json_t *o, const char *want)
{
	json_t *w = test_json(want);
	char *got = json_dumps(o, JSON_COMPACT);

	cr_assert_str_eq(json_string_value(json_object_get(o, "state")), "done",
			 "not done: %s", got);
	cr_assert(json_equal(json_object_get(o, "result"), w),
		  "result %s, want %s", got, want);
	free(got);
	json_decref(w);
}

/* Assert o failed with worker_died and a message holding part. */
static void assert_died(json_t *o, const char *part)
{
	json_t *err = json_object_get(o, "error");
	const char *msg = json_string_value(json_object_get(err, "message"));
	char *got = json_dumps(o, JSON_COMPACT);

	cr_assert_str_eq(json_string_value(json_object_get(o, "state")),
			 "failed", "not failed: %s", got);
	cr_assert_not_null(msg, "no message: %s", got);
	cr_assert_not_null(strstr(msg, part), "message %s lacks \"%s\"", msg,
			   part);
	cr_assert_eq(test_int(err, "code"), 12, "not worker_died: %s", got);
	free(got);
}

/* The pool still serves: a task after the attack is done. */
static void assert_serves(int fd, const char *name)
{
	long long id = submit(fd, name,
			      json_pack("[{s:s, s:i}]", "function", "square",
					"args", 7));
	json_t *o = outcome_of(fd, name, id);

	assert_done(o, "49");
	json_decref(o);
}

/*
 * One hostile task on a pool of one worker: it fails with worker_died and
 * a message holding why (and the task's id), the worker is replaced and
 * the pool goes on.
 */
static void hostile(const char *fn, json_t *arg, const char *why)
{
	static const char *const args[] = { "--max-message", "100000", NULL };
	int fd = up_with(args);
	long long id;
	json_t *o;

	fpool(fd, "h", 1, NULL);
	id = submit(fd, "h",
		    json_pack("[{s:s, s:o}]", "function", fn, "args", arg));
	o = outcome_of(fd, "h", id);
	assert_died(o, why);
	assert_died(o, "while it ran task 1");
	json_decref(o);
	assert_serves(fd, "h");
	test_assert_ping(d.socket);
	down(fd);
}

Test(attack_pool, worker_writing_half_a_line_then_exiting)
{
	hostile("partial_exit", json_null(), "exited with code 0");
}

Test(attack_pool, worker_writing_a_line_longer_than_max_message)
{
	hostile("endless_line", json_integer(300000),
		"was killed: it wrote a line longer than max_message");
}

Test(attack_pool, worker_writing_an_outcome_of_a_task_it_does_not_hold)
{
	hostile("wrong_id", json_null(),
		"was killed: it wrote an outcome that is not the one of its "
		"running task");
}

Test(attack_pool, worker_saying_it_is_ready_twice)
{
	hostile("ready_again", json_null(),
		"was killed: it said it was ready twice");
}

/*
 * A task function that closes the channel and runs on: when mpdd sees the
 * channel end, it kills the worker (worker_died). The worker's watcher
 * thread may be polling the channel at that moment, and then the kernel
 * keeps the socket open and mpdd sees no end: the task runs until its
 * timeout, as any long task. Either way it fails with a precise error and
 * the pool goes on.
 */
Test(attack_pool, worker_closing_its_channel_and_running_on)
{
	int fd = up_with(NULL);
	long long id;
	json_t *o, *err;
	const char *msg;

	fpool(fd, "h", 1, NULL);
	id = submit(fd, "h",
		    json_pack("[{s:s, s:n, s:i}]", "function", "close_channel",
			      "args", "timeout", 3));
	o = outcome_of(fd, "h", id);
	err = json_object_get(o, "error");
	msg = json_string_value(json_object_get(err, "message"));
	cr_assert_str_eq(json_string_value(json_object_get(o, "state")),
			 "failed");
	cr_assert_not_null(msg);
	if (test_int(err, "code") == 12)
		cr_assert_not_null(strstr(msg, "was killed: it closed its "
					       "task channel and went on "
					       "running"),
				   "%s", msg);
	else
		cr_assert_eq(test_int(err, "code"), 14, "%s", msg);
	json_decref(o);
	assert_serves(fd, "h");
	test_assert_ping(d.socket);
	down(fd);
}

Test(attack_pool, worker_exiting_while_its_child_keeps_the_channel)
{
	hostile("fork_keeps_channel", json_integer(3), "exited with code 0");
}

Test(attack_pool, worker_replacing_its_channel_with_dev_null)
{
	hostile("dup2_channel", json_null(), "exited with code 0");
}

/* A worker that writes two outcomes for one task: the first counts, the
 * second (for a task it no longer holds) has it killed; with a retry the
 * task it held next is run again, and nothing is lost. */
Test(attack_pool, worker_writing_two_outcomes_for_one_task)
{
	int fd = up_with(NULL);
	json_t *o;

	fpool(fd, "h", 1, json_pack("{s:i}", "retries", 1));
	submit(fd, "h",
	       json_pack("[{s:s, s:s}, {s:s, s:i}]", "function",
			 "forge_outcome", "args",
			 "{\"id\":1,\"result\":\"forged\"}", "function",
			 "square", "args", 3));
	o = outcome_of(fd, "h", 1);
	assert_done(o, "\"forged\"");
	json_decref(o);
	o = outcome_of(fd, "h", 2);
	assert_done(o, "9");
	json_decref(o);
	assert_serves(fd, "h");
	down(fd);
}

/* An outcome line with members besides "id" and "result": they are not
 * the worker's to add to the outcome a client gets (its "state" is the
 * daemon's), whatever their place in the line. */
Test(attack_pool, worker_adding_members_to_its_outcome)
{
	int fd = up_with(NULL);
	json_t *o;
	char *text;

	fpool(fd, "h", 1, json_pack("{s:i}", "retries", 1));
	submit(fd, "h",
	       json_pack("[{s:s, s:s}, {s:s, s:i}]", "function",
			 "forge_outcome", "args",
			 "{\"id\":1,\"result\":1,\"state\":\"forged\","
			 "\"x\":5}",
			 "function", "square", "args", 3));
	o = outcome_of(fd, "h", 1);
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	cr_assert_str_eq(text, "{\"id\":1,\"result\":1,\"state\":\"done\"}");
	free(text);
	json_decref(o);
	o = outcome_of(fd, "h", 2);
	assert_done(o, "9");
	json_decref(o);
	down(fd);
}

/* A map chunk's error naming an item the chunk does not have: not an
 * outcome of the chunk (nor an index for its caller); the worker is
 * killed for it. */
Test(attack_pool, worker_naming_an_item_its_chunk_does_not_have)
{
	int fd = up_with(NULL);
	json_t *r, *o;

	fpool(fd, "h", 1, NULL);
	r = test_ok(fd, "pool.map",
		    json_pack("{s:s, s:s, s:[s]}", "name", "h", "function",
			      "forge_outcome", "items",
			      "{\"id\":1,\"error\":{\"message\":\"m\","
			      "\"index\":9223372036854775807}}"));
	cr_assert_eq(test_int(r, "first"), 1);
	json_decref(r);
	o = outcome_of(fd, "h", 1);
	assert_died(o, "was killed: it wrote an outcome that is not the one "
		       "of its running task");
	json_decref(o);
	assert_serves(fd, "h");
	down(fd);
}

/* A task's timeout counts from when it runs: not while its worker is
 * still in its initializer (the task waits, it does not run). */
Test(attack_pool, a_task_timeout_does_not_count_the_initializer)
{
	int fd = up_with(NULL);
	long long id;
	json_t *o;

	fpool(fd, "slow", 1,
	      json_pack("{s:s, s:f}", "initializer", "slow_init", "initargs",
			2.0));
	id = submit(fd, "slow",
		    json_pack("[{s:s, s:i, s:f}]", "function", "square", "args",
			      4, "timeout", 0.5));
	o = outcome_of(fd, "slow", id);
	assert_done(o, "16");
	json_decref(o);
	down(fd);
}

/* Workers whose initializer writes on the task channel (here: that it
 * is ready, so the worker says it twice) are killed before they take a
 * task, each of them: three in a row break the pool, which must not start
 * them over and over at full speed. */
Test(attack_pool, workers_killed_before_their_first_task_break_the_pool)
{
	int fd = up_with(NULL);
	json_t *r;
	const char *why;

	fpool(fd, "r", 1, json_pack("{s:s}", "initializer", "ready_init"));
	for (int i = 0;; i++) {
		r = test_info(fd, "pool", "r");
		if (strcmp(json_string_value(json_object_get(r, "state")),
			   "broken") == 0)
			break;
		json_decref(r);
		cr_assert_lt(i, TEST_TIMEOUT_MS / 10,
			     "the pool starts its workers over and over");
		usleep(10000);
	}
	why = json_string_value(json_object_get(r, "broken_reason"));
	cr_assert(why != NULL &&
			  strstr(why, "was killed: it said it was ready twice "
				      "before it took a task") != NULL,
		  "broken_reason %s", why);
	cr_assert_eq(test_int(r, "worker_deaths"), 3);
	json_decref(r);
	test_fails(fd, "pool.submit",
		   json_pack("{s:s, s:[{s:s}]}", "name", "r", "tasks",
			     "function", "square"),
		   "invalid_state");
	down(fd);
}

/* ---- clients that go while their calls wait ---- */

/* Calls parked on a pool, then the connection closes; then many parked
 * calls of another connection are answered by a delete. */
Test(attack_pool, parked_calls_of_a_closed_connection_and_a_deleted_pool)
{
	int fd = up_with(NULL), other;
	char id[32];

	fpool(fd, "p", 1, NULL);
	submit(fd, "p",
	       json_pack("[{s:s, s:i}]", "function", "sleep_then", "args", 60));
	test_ok0(fd, "pool.close", test_nm("p"));
	for (int round = 0; round < 3; round++) {
		other = test_connect(d.socket);
		for (int i = 0; i < 50; i++) {
			snprintf(id, sizeof(id), "r%d", i);
			test_send_call(other, id, "pool.result",
				       json_pack("{s:s, s:i, s:i}", "name", "p",
						 "first", 1, "timeout",
						 WAIT_S));
			snprintf(id, sizeof(id), "j%d", i);
			test_send_call(other, id, "pool.join",
				       json_pack("{s:s, s:i}", "name", "p",
						 "timeout", WAIT_S));
		}
		test_settle(other);
		test_hang_up(other);
	}
	test_assert_ping(d.socket);
	other = test_connect(d.socket);
	for (int i = 0; i < 100; i++) {
		snprintf(id, sizeof(id), "r%d", i);
		test_send_call(other, id, "pool.result",
			       json_pack("{s:s, s:i}", "name", "p", "first",
					 1));
	}
	test_settle(other);
	test_ok0(fd, "pool.delete", test_nm("p"));
	for (int i = 0; i < 100; i++) {
		json_t *r;

		snprintf(id, sizeof(id), "r%d", i);
		r = test_reply_for(other, id);
		cr_assert_eq(test_error_code(r, NULL), 7, "closed");
		json_decref(r);
	}
	test_hang_up(other);
	down(fd);
}

/* ---- limits ---- */

/* Submits of big tasks up to max_broker_bytes: the one that does not fit
 * is refused whole (limit), nothing of it is left in the pool, and what
 * it would have taken is counted back. */
Test(attack_pool, submits_up_to_max_broker_bytes_are_all_or_nothing)
{
	static const char *const args[] = { "--max-broker-bytes", "1000000",
					    NULL };
	int fd = up_with(args);
	char *big = malloc(100001);
	long long submitted = 0;
	json_t *r, *tasks;

	cr_assert_not_null(big);
	memset(big, 'a', 100000);
	big[100000] = '\0';
	fpool(fd, "b", 1, json_pack("{s:s}", "function", "identity"));
	test_ok0(fd, "pool.close", test_nm("b"));
	json_decref(test_ok(fd, "pool.terminate", test_nm("b")));
	json_decref(test_ok(fd, "pool.delete", test_nm("b")));
	/* A pool whose worker holds its tasks: a sleeping one first. */
	fpool(fd, "b", 1, json_pack("{s:s}", "function", "identity"));
	submit(fd, "b",
	       json_pack("[{s:s, s:i}]", "function", "sleep_then", "args", 60));
	submitted = 1;
	for (int i = 0; i < 50; i++) {
		tasks = json_pack("[{s:s}, {s:s}, {s:s}]", "args", big, "args",
				  big, "args", big);
		r = test_call(fd, "pool.submit",
			      json_pack("{s:s, s:o}", "name", "b", "tasks",
					tasks));
		if (json_object_get(r, "error") != NULL) {
			cr_assert_eq(test_error_code(r, NULL), 9, "limit");
			json_decref(r);
			break;
		}
		submitted += 3;
		json_decref(r);
		cr_assert_lt(i, 49, "max_broker_bytes never refused");
	}
	r = test_ok(fd, "pool.info", test_nm("b"));
	cr_assert_eq(test_int(json_object_get(r, "tasks"), "submitted"),
		     submitted, "a refused submit left tasks behind");
	json_decref(r);
	json_decref(test_ok(fd, "pool.terminate", test_nm("b")));
	json_decref(test_ok(fd, "pool.delete", test_nm("b")));
	/* What the pool held is counted back: the same submits fit again. */
	fpool(fd, "c", 1, json_pack("{s:s}", "function", "identity"));
	tasks = json_pack("[{s:s}, {s:s}, {s:s}]", "args", big, "args", big,
			  "args", big);
	submit(fd, "c", tasks);
	free(big);
	down(fd);
}

/* More workers asked for than max_processes allows: the pool runs with
 * those there is room for (it does not break), and one that had no room
 * at all starts its worker once room is made. */
Test(attack_pool, workers_beyond_max_processes_wait_for_room)
{
	static const char *const args[] = { "--max-processes", "4", NULL };
	int fd = up_with(args);
	json_t *r, *tasks = json_array();
	long long id;

	fpool(fd, "many", 1024, NULL);
	for (int i = 0; i < 8; i++)
		json_array_append_new(tasks, json_pack("{s:s, s:i}", "function",
						       "square", "args", i));
	id = submit(fd, "many", tasks);
	r = test_ok(fd, "pool.result",
		    json_pack("{s:s, s:I, s:i, s:i}", "name", "many", "first",
			      (json_int_t)id, "count", 8, "timeout", WAIT_S));
	cr_assert_eq(json_array_size(json_object_get(r, "results")), 8);
	for (size_t i = 0; i < 8; i++)
		cr_assert_str_eq(
			json_string_value(json_object_get(
				json_array_get(json_object_get(r, "results"), i),
				"state")),
			"done");
	json_decref(r);
	r = test_info(fd, "pool", "many");
	cr_assert_str_eq(json_string_value(json_object_get(r, "state")),
			 "open");
	cr_assert_eq(test_int(r, "worker_deaths"), 0);
	json_decref(r);
	/* "many" holds all the room: "late" gets its worker once "many"
	 * is gone. */
	fpool(fd, "late", 1, NULL);
	id = submit(fd, "late",
		    json_pack("[{s:s, s:i}]", "function", "square", "args", 6));
	r = test_ok(fd, "pool.result",
		    json_pack("{s:s, s:I, s:i}", "name", "late", "first",
			      (json_int_t)id, "timeout", 0));
	cr_assert_eq(json_array_size(json_object_get(r, "results")), 0);
	json_decref(r);
	json_decref(test_ok(fd, "pool.terminate", test_nm("many")));
	test_ok0(fd, "pool.delete", test_nm("many"));
	r = outcome_of(fd, "late", id);
	assert_done(r, "36");
	json_decref(r);
	down(fd);
}

/* Program tasks beyond what max_processes leaves room for wait for room,
 * as a pool's tasks wait for a worker: none fails for it. */
Test(attack_pool, program_tasks_beyond_max_processes_wait_for_room)
{
	static const char *const args[] = { "--max-processes", "2", NULL };
	int fd = up_with(args);
	json_t *tasks = json_array(), *r;
	long long id;

	json_decref(
		test_ok(fd, "pool.create",
			json_pack("{s:s, s:i}", "name", "pp", "processes", 6)));
	for (int i = 0; i < 6; i++)
		json_array_append_new(tasks,
				      json_pack("{s:[s]}", "argv", "true"));
	id = submit(fd, "pp", tasks);
	r = test_ok(fd, "pool.result",
		    json_pack("{s:s, s:I, s:i, s:i}", "name", "pp", "first",
			      (json_int_t)id, "count", 6, "timeout", WAIT_S));
	cr_assert_eq(json_array_size(json_object_get(r, "results")), 6);
	for (size_t i = 0; i < 6; i++) {
		json_t *o = json_array_get(json_object_get(r, "results"), i);
		char *text = json_dumps(o, JSON_COMPACT);

		cr_assert_str_eq(json_string_value(json_object_get(o, "state")),
				 "done", "%s", text);
		free(text);
	}
	json_decref(r);
	down(fd);
}

/* ---- params out of every range ---- */

struct fuzz {
	const char *method, *params, *field;
};

/* "fp" has had one task (id 1) submitted. */
static const struct fuzz fuzzed[] = {
	{ "pool.result", "{\"name\":\"fp\",\"first\":-1}", "first" },
	{ "pool.result", "{\"name\":\"fp\",\"first\":1e300}", "first" },
	{ "pool.result", "{\"name\":\"fp\",\"first\":\"1\"}", "first" },
	{ "pool.result", "{\"name\":\"fp\",\"first\":9223372036854775807}",
	  "first" },
	{ "pool.result",
	  "{\"name\":\"fp\",\"first\":1,\"count\":9223372036854775807}",
	  "count" },
	{ "pool.result",
	  "{\"name\":\"fp\",\"first\":1,\"count\":9007199254740991}", "count" },
	{ "pool.result", "{\"name\":\"fp\",\"first\":2}", "first" },
	{ "pool.result", "{\"name\":\"fp\",\"first\":1,\"count\":-1}",
	  "count" },
	{ "pool.result", "{\"name\":\"fp\",\"ids\":[]}", "ids" },
	{ "pool.result", "{\"name\":\"fp\",\"ids\":[0]}", "ids" },
	{ "pool.result", "{\"name\":\"fp\",\"ids\":[-1]}", "ids" },
	{ "pool.result", "{\"name\":\"fp\",\"ids\":[1.5]}", "ids" },
	{ "pool.result", "{\"name\":\"fp\",\"ids\":[null]}", "ids" },
	{ "pool.result", "{\"name\":\"fp\",\"ids\":[1,9223372036854775807]}",
	  "ids" },
	{ "pool.result", "{\"name\":\"fp\",\"ids\":{\"a\":1}}", "ids" },
	{ "pool.result", "{\"name\":\"fp\",\"first\":1,\"max\":0}", "max" },
	{ "pool.result", "{\"name\":\"fp\",\"first\":1,\"max\":-5}", "max" },
	{ "pool.result", "{\"name\":\"fp\",\"first\":1,\"timeout\":-0.5}",
	  "timeout" },
	{ "pool.result", "{\"name\":\"fp\",\"first\":1,\"timeout\":1e300}",
	  "timeout" },
	{ "pool.result", "{\"name\":\"fp\",\"first\":1,\"keep\":1}", "keep" },
	{ "pool.result", "{\"name\":[\"fp\"],\"first\":1}", "name" },
	{ "pool.join", "{\"name\":\"fp\",\"timeout\":\"x\"}", "timeout" },
	{ "pool.create", "{\"name\":\"n\",\"processes\":-1}", "processes" },
	{ "pool.create", "{\"name\":\"n\",\"processes\":1e3}", "processes" },
	{ "pool.create", "{\"name\":\"n\",\"processes\":4294967297}",
	  "processes" },
	{ "pool.create", "{\"name\":\"n\",\"retries\":-1}", "retries" },
	{ "pool.create",
	  "{\"name\":\"n\",\"module\":\"m\",\"maxtasksperchild\":-1}",
	  "maxtasksperchild" },
	{ "pool.create", "{\"name\":\"n\",\"timeout\":1e300}", "timeout" },
	{ "pool.create", "{\"name\":\"n\",\"module\":\"\"}", "module" },
	{ "pool.submit", "{\"name\":\"fp\",\"tasks\":[{\"timeout\":1e300}]}",
	  "tasks" },
	{ "pool.submit", "{\"name\":\"fp\",\"tasks\":[{\"function\":\"\"}]}",
	  "tasks" },
	{ "pool.submit", "{\"name\":\"fp\",\"tasks\":[[]]}", "tasks" },
	{ "pool.submit", "{\"name\":\"fp\",\"tasks\":{}}", "tasks" },
	{ "pool.map", "{\"name\":\"fp\",\"items\":[1],\"chunksize\":-1}",
	  "chunksize" },
	{ "pool.map",
	  "{\"name\":\"fp\",\"items\":[1],\"chunksize\":9223372036854775807}",
	  "chunksize" },
	{ "pool.map", "{\"name\":\"fp\",\"items\":[1],\"timeout\":-1}",
	  "timeout" },
};

Test(attack_pool, fuzzed_params_get_a_precise_invalid_params)
{
	int fd = up_with(NULL);
	json_t *ids = json_array(), *r;

	fpool(fd, "fp", 1, json_pack("{s:s}", "function", "identity"));
	submit(fd, "fp", json_pack("[{s:i}]", "args", 1));
	for (size_t i = 0; i < sizeof(fuzzed) / sizeof(fuzzed[0]); i++) {
		const struct fuzz *f = &fuzzed[i];
		json_t *data;
		const char *name, *field;
		char *text;

		r = test_call(fd, f->method, test_json(f->params));
		text = json_dumps(r, JSON_COMPACT);
		data = json_object_get(json_object_get(r, "error"), "data");
		name = json_string_value(json_object_get(data, "name"));
		field = json_string_value(json_object_get(data, "field"));
		cr_assert(name != NULL && strcmp(name, "invalid_params") == 0,
			  "%s %s: %s", f->method, f->params, text);
		cr_assert(field != NULL && strcmp(field, f->field) == 0,
			  "%s %s: %s, want field %s", f->method, f->params,
			  text, f->field);
		free(text);
		json_decref(r);
	}
	/* 10001 ids: refused; duplicates: one outcome. */
	for (int i = 0; i < 10001; i++)
		json_array_append_new(ids, json_integer(1));
	r = test_call(fd, "pool.result",
		      json_pack("{s:s, s:O}", "name", "fp", "ids", ids));
	cr_assert_eq(test_error_code(r, NULL), -32602);
	json_decref(r);
	json_array_remove(ids, 0);
	r = test_ok(fd, "pool.result",
		    json_pack("{s:s, s:o, s:i}", "name", "fp", "ids", ids,
			      "timeout", WAIT_S));
	cr_assert_eq(json_array_size(json_object_get(r, "results")), 1);
	json_decref(r);
	r = test_info(fd, "pool", "fp");
	cr_assert_eq(test_int(json_object_get(r, "tasks"), "submitted"), 1);
	json_decref(r);
	test_assert_ping(d.socket);
	down(fd);
}

/* ---- lists and dicts ---- */

static void assert_items(json_t *r, const char *want)
{
	json_t *w = test_json(want);
	char *got = json_dumps(r, JSON_COMPACT);

	cr_assert(json_equal(json_object_get(r, "items"), w), "%s, want %s",
		  got, want);
	free(got);
	json_decref(w);
}

/* Slices at the edges of the index range, a slice set with a giant
 * items array, keys that are not plain text: answered, never a crash. */
Test(attack_pool, list_and_dict_edges)
{
	static const char *const args[] = { "--max-message", "4000000", NULL };
	int fd = up_with(args);
	json_t *items = json_array(), *r;

	json_decref(test_ok(fd, "list.create", test_nm("l")));
	json_decref(test_ok(fd, "list.extend",
			    json_pack("{s:s, s:[i,i,i,i,i]}", "name", "l",
				      "items", 0, 1, 2, 3, 4)));
	r = test_ok(fd, "list.get",
		    test_json("{\"name\":\"l\",\"start\":-9007199254740991,"
			      "\"stop\":9007199254740991,"
			      "\"step\":9007199254740991}"));
	assert_items(r, "[0]");
	json_decref(r);
	r = test_ok(fd, "list.get",
		    test_json("{\"name\":\"l\",\"start\":9007199254740991,"
			      "\"stop\":-9007199254740991,"
			      "\"step\":-9007199254740991}"));
	assert_items(r, "[4]");
	json_decref(r);
	r = test_ok(fd, "list.get", test_json("{\"name\":\"l\",\"step\":-2}"));
	assert_items(r, "[4,2,0]");
	json_decref(r);
	test_fails(fd, "list.get",
		   test_json("{\"name\":\"l\",\"step\":-9007199254740992}"),
		   "invalid_params");
	/* An extended slice of 3 given 200000 items: refused, unchanged. */
	for (int i = 0; i < 200000; i++)
		json_array_append_new(items, json_integer(i));
	r = test_call(fd, "list.set",
		      json_pack("{s:s, s:i, s:O}", "name", "l", "step", 2,
				"items", items));
	cr_assert_eq(test_error_code(r, NULL), -32602);
	json_decref(r);
	/* A plain slice replaced by them: the list grows, or limit. */
	r = test_call(fd, "list.set",
		      json_pack("{s:s, s:I, s:i, s:o}", "name", "l", "start",
				(json_int_t)-9007199254740991LL, "stop", 1,
				"items", items));
	if (json_object_get(r, "error") != NULL)
		cr_assert_eq(test_error_code(r, NULL), 9);
	else
		cr_assert_eq(test_int(test_result(r), "length"), 200004,
			     "length %lld", test_int(test_result(r), "length"));
	json_decref(r);
	/* Keys with a NUL and with escaped surrogates. */
	json_decref(test_ok(fd, "dict.create", test_nm("dd")));
	r = test_rpc_line(fd, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
			      "\"dict.set\",\"params\":{\"name\":\"dd\","
			      "\"key\":\"a\\u0000b\",\"value\":1}}");
	cr_assert_eq(test_error_code(r, NULL), -32700, "a NUL in a key");
	json_decref(r);
	r = test_rpc_line(fd, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
			      "\"dict.set\",\"params\":{\"name\":\"dd\","
			      "\"key\":\"\\ud800\",\"value\":1}}");
	cr_assert_eq(test_error_code(r, NULL), -32700, "a lone surrogate");
	json_decref(r);
	r = test_ok(fd, "dict.keys", test_nm("dd"));
	cr_assert_eq(json_array_size(json_object_get(r, "keys")), 0);
	json_decref(r);
	test_assert_ping(d.socket);
	down(fd);
}

/* ---- another uid ---- */

/* As nobody, subscribed to pool and process events: every call on root's
 * pool "mine" is refused, and no event of it (or of its worker) comes;
 * the first events that come are of nobody's own pool. in: a byte when
 * root is done with "mine"; out: a byte once subscribed. */
static int nobody_attacks(const char *socket, int in, int out)
{
	static const char *const calls[] = {
		"{\"name\":\"mine\",\"first\":1,\"timeout\":1}",
		"pool.result",
		"{\"name\":\"mine\",\"ids\":[1],\"keep\":true}",
		"pool.result",
		"{\"name\":\"mine\",\"timeout\":0}",
		"pool.join",
		"{\"name\":\"mine\"}",
		"pool.close",
		"{\"name\":\"mine\"}",
		"pool.terminate",
		"{\"name\":\"mine\"}",
		"pool.delete",
		"{\"name\":\"mine\",\"items\":[1],\"function\":\"square\"}",
		"pool.map",
		"{\"name\":\"mine\",\"tasks\":[{\"function\":\"square\"}]}",
		"pool.submit",
	};
	char c;
	int fd;
	json_t *r;

	if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
		return 10;
	fd = test_try_connect(socket);
	if (fd < 0)
		return 11;
	r = test_call(fd, "events.subscribe",
		      json_pack("{s:[s, s]}", "kinds", "pool", "process"));
	if (json_object_get(r, "result") == NULL)
		return 12;
	json_decref(r);
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i += 2) {
		r = test_call(fd, calls[i + 1], test_json(calls[i]));
		if (test_error_code(r, NULL) != 4)
			return 20 + (int)i / 2;
		json_decref(r);
	}
	if (write(out, "s", 1) != 1 || read(in, &c, 1) != 1)
		return 13;
	/* Its replies and events interleave: the events until the
	 * deletion of "theirs" are all of it. */
	test_send_call(fd, "c", "pool.create",
		       json_pack("{s:s, s:s, s:i}", "name", "theirs", "module",
				 "/nonexistent.so", "processes", 1));
	test_send_call(fd, "x", "pool.delete", test_nm("theirs"));
	for (int replies = 0, deleted = 0; replies < 2 || !deleted;) {
		char *line = test_read_line(fd, TEST_TIMEOUT_MS);
		json_t *msg = line != NULL ? test_json(line) : NULL;
		json_t *params = json_object_get(msg, "params");
		const char *name =
			json_string_value(json_object_get(params, "name"));
		const char *ev =
			json_string_value(json_object_get(params, "event"));

		if (msg == NULL)
			return 14;
		if (json_object_get(msg, "id") != NULL) {
			if (json_object_get(msg, "result") == NULL) {
				fprintf(stderr, "nobody got: %s\n", line);
				return 16;
			}
			replies++;
		} else if (name == NULL || strncmp(name, "theirs", 6) != 0) {
			fprintf(stderr, "nobody got: %s\n", line);
			return 15;
		} else if (strcmp(name, "theirs") == 0 && ev != NULL &&
			   strcmp(ev, "deleted") == 0) {
			deleted = 1;
		}
		json_decref(msg);
		free(line);
	}
	return 0;
}

Test(attack_pool, another_uid_can_neither_use_nor_watch_a_pool)
{
	int fd, status, down_p[2], up_p[2];
	long long id;
	char c;
	json_t *o;
	pid_t pid;

	if (geteuid() != 0)
		cr_skip_test("needs root to switch to nobody");
	fd = up_with(NULL);
	cr_assert(chmod(d.dir, 0755) == 0 && chmod(d.socket, 0666) == 0);
	fpool(fd, "mine", 1, NULL);
	id = submit(fd, "mine",
		    json_pack("[{s:s, s:i}]", "function", "square", "args", 2));
	cr_assert(pipe(down_p) == 0 && pipe(up_p) == 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0)
		_exit(nobody_attacks(d.socket, down_p[0], up_p[1]));
	cr_assert_eq(read(up_p[0], &c, 1), 1, "nobody failed before");
	/* What root does to its pool now is not for nobody to see. */
	o = outcome_of(fd, "mine", id);
	assert_done(o, "4");
	json_decref(o);
	test_ok0(fd, "pool.close", test_nm("mine"));
	json_decref(test_ok(fd, "pool.terminate", test_nm("mine")));
	test_ok0(fd, "pool.delete", test_nm("mine"));
	fpool(fd, "mine2", 1, NULL);
	test_ok0(fd, "pool.delete", test_nm("mine2"));
	cr_assert_eq(write(down_p[1], "d", 1), 1);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "check %d failed as nobody", WEXITSTATUS(status));
	close(down_p[0]);
	close(down_p[1]);
	close(up_p[0]);
	close(up_p[1]);
	down(fd);
}

/* A pool deleted while a pool.result reply holding its outcomes is still
 * being written: the reply comes whole, the outcomes go with the pool;
 * then the same with the reader gone before it read. */
Test(attack_pool, delete_while_a_result_reply_is_written)
{
	int fd = up_with(NULL);
	char *big = malloc(200001);

	cr_assert_not_null(big);
	memset(big, 'z', 200000);
	big[200000] = '\0';
	for (int round = 0; round < 2; round++) {
		int reader = test_connect(d.socket);
		json_t *r;

		fpool(fd, "w", 2, json_pack("{s:s}", "function", "identity"));
		for (int i = 0; i < 5; i++) /* within max_message */
			submit(fd, "w",
			       json_pack("[{s:s}, {s:s}, {s:s}, {s:s}]", "args",
					 big, "args", big, "args", big, "args",
					 big));
		test_ok0(fd, "pool.close", test_nm("w"));
		r = test_ok(fd, "pool.join",
			    json_pack("{s:s, s:i}", "name", "w", "timeout",
				      WAIT_S));
		cr_assert(test_bool(r, "joined"));
		json_decref(r);
		/* 4 MB of outcomes: the reply waits in the daemon. */
		test_send_call(reader, "big", "pool.result",
			       json_pack("{s:s, s:i, s:i}", "name", "w",
					 "first", 1, "count", 20));
		for (int i = 0;; i++) {
			size_t n;

			r = test_ok(fd, "pool.result",
				    json_pack("{s:s, s:i, s:i, s:b, s:i}",
					      "name", "w", "first", 1, "count",
					      20, "keep", 1, "timeout", 0));
			n = json_array_size(json_object_get(r, "results"));
			json_decref(r);
			if (n == 0)
				break;
			cr_assert_lt(i, TEST_TIMEOUT_MS / 10,
				     "the reader's call never took them");
			usleep(10000);
		}
		test_ok0(fd, "pool.delete", test_nm("w"));
		if (round == 0) {
			r = test_result_for(reader, "big");
			cr_assert_eq(
				json_array_size(json_object_get(r, "results")),
				20);
			json_decref(r);
		}
		test_hang_up(reader);
	}
	free(big);
	test_assert_ping(d.socket);
	down(fd);
}

/* Program tasks holding "pass" descriptors up to the daemon's descriptor
 * budget: the submit that does not fit is refused whole (open_files), its
 * descriptors closed; the ones held are given back with the pool. */
Test(attack_pool, pass_descriptors_up_to_the_budget)
{
	int fd, p[2], fds[8], base, refused = 0;
	json_t *tasks, *r;

	mpdd_start_nofile(&d, NULL, 256, 256);
	fd = test_connect(d.socket);
	cr_assert(pipe(p) == 0);
	for (int i = 0; i < 8; i++)
		fds[i] = p[0];
	json_decref(
		test_ok(fd, "pool.create",
			json_pack("{s:s, s:i}", "name", "pp", "processes", 1)));
	base = test_count_fds(d.pid);
	for (int round = 0; round < 64 && !refused; round++) {
		tasks = json_array();
		for (int i = 0; i < 8; i++)
			json_array_append_new(tasks,
					      json_pack("{s:[s, s], s:s}",
							"argv", "sleep", "60",
							"stdin", "pass"));
		r = test_call_fds(fd, "pool.submit",
				  json_pack("{s:s, s:o}", "name", "pp", "tasks",
					    tasks),
				  fds, 8);
		if (json_object_get(r, "error") != NULL) {
			json_t *data = json_object_get(
				json_object_get(r, "error"), "data");

			cr_assert_eq(test_error_code(r, NULL), 9);
			cr_assert_str_eq(json_string_value(json_object_get(
						 data, "limit")),
					 "open_files");
			refused = 1;
		}
		json_decref(r);
	}
	cr_assert(refused, "the descriptor budget never refused a submit");
	test_assert_ping(d.socket);
	json_decref(test_ok(fd, "pool.terminate", test_nm("pp")));
	test_ok0(fd, "pool.delete", test_nm("pp"));
	/* Its process ends in its own time: wait for the count to fall. */
	for (int i = 0; test_count_fds(d.pid) > base; i++) {
		cr_assert_lt(i, TEST_TIMEOUT_MS / 10,
			     "%d descriptors, %d before the pool's tasks",
			     test_count_fds(d.pid), base);
		usleep(10000);
	}
	close(p[0]);
	close(p[1]);
	down(fd);
}

/* The peak resident memory of process pid (VmHWM), in KiB. */
static long peak_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	cr_assert_geq(kib, 0, "no VmHWM in %s", path);
	return kib;
}

/* pool.map of a million items, one task each, that max_broker_bytes
 * cannot take: refused before the million tasks are made (they would
 * cost the daemon hundreds of MB for nothing). */
Test(attack_pool, a_map_over_max_broker_bytes_is_refused_before_it_is_made)
{
	static const char *const args[] = { "--max-message", "4000000",
					    "--max-broker-bytes", "1000000",
					    NULL };
	int fd = up_with(args);
	size_t n = 1000000;
	char *line = malloc(2 * n + 256), *p = line;
	json_t *r;
	long before, parse = 0, grew;

	cr_assert_not_null(line);
	fpool(fd, "m", 1, json_pack("{s:s}", "function", "identity"));
	for (int round = 0; round < 2; round++) {
		/* Round 0 names no pool: what parsing the request costs. */
		p = line + sprintf(line,
				   "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
				   "\"pool.map\",\"params\":{\"name\":\"%s\","
				   "\"chunksize\":1,\"items\":[",
				   round == 0 ? "none" : "m");
		for (size_t i = 0; i < n; i++) {
			*p++ = '1';
			*p++ = i + 1 < n ? ',' : ']';
		}
		strcpy(p, "}}");
		before = peak_kib(d.pid);
		r = test_rpc_line(fd, line);
		cr_assert_eq(test_error_code(r, NULL), round == 0 ? 1 : 9);
		json_decref(r);
		if (round == 0)
			parse = peak_kib(d.pid) - before;
	}
	free(line);
	/* A sanitizer's quarantine may not give the parse's memory back
	 * in time: the map may cost a parse again, not its tasks. */
	grew = peak_kib(d.pid) - before;
	cr_assert_lt(grew, parse + 64 * 1024,
		     "the refused map took %ld KiB at its peak (its parse "
		     "%ld KiB)",
		     grew, parse);
	r = test_info(fd, "pool", "m");
	cr_assert_eq(test_int(json_object_get(r, "tasks"), "submitted"), 0);
	json_decref(r);
	down(fd);
}

/* A client pages through dict.keys while another deletes the dict and
 * makes a new one of the same name: each page is of the dict there is,
 * the gone one is not_found, and nothing of it is left behind. */
Test(attack_pool, dict_deleted_while_another_client_pages_through_it)
{
	int fd = up_with(NULL), other = test_connect(d.socket);
	const char *next = NULL;
	char after[32] = "";
	json_t *r;

	json_decref(test_ok(fd, "dict.create", test_nm("pg")));
	for (int i = 0; i < 100; i++) {
		char key[16];

		snprintf(key, sizeof(key), "k%03d", i);
		json_decref(test_ok(fd, "dict.set",
				    json_pack("{s:s, s:s, s:i}", "name", "pg",
					      "key", key, "value", i)));
	}
	r = test_ok(other, "dict.keys",
		    json_pack("{s:s, s:i}", "name", "pg", "limit", 10));
	next = json_string_value(json_object_get(r, "next"));
	cr_assert_str_eq(next, "k009");
	snprintf(after, sizeof(after), "%s", next);
	json_decref(r);
	json_decref(test_ok(fd, "dict.delete", test_nm("pg")));
	test_fails(other, "dict.keys",
		   json_pack("{s:s, s:s, s:i}", "name", "pg", "after", after,
			     "limit", 10),
		   "not_found");
	json_decref(test_ok(fd, "dict.create", test_nm("pg")));
	json_decref(test_ok(fd, "dict.set",
			    json_pack("{s:s, s:s, s:i}", "name", "pg", "key",
				      "k500", "value", 1)));
	r = test_ok(other, "dict.keys",
		    json_pack("{s:s, s:s, s:i}", "name", "pg", "after", after,
			      "limit", 10));
	cr_assert_eq(json_array_size(json_object_get(r, "keys")), 1);
	cr_assert(json_is_null(json_object_get(r, "next")));
	json_decref(r);
	r = test_info(fd, "dict", "pg");
	json_decref(r);
	test_hang_up(other);
	down(fd);
}
