/*
 * test-wait.c - process.wait against a real mpdd: waiting for any or all
 * of many processes, timeouts and polls, records that ended before the
 * call, killed and failed workers, duplicates, every class of bad input,
 * ownership, a record closed or dropped while a wait watches it, a client
 * that goes away while parked, notifications, batches, and replies sized
 * to max_output.
 *
 * Workers that must end on cue read their stdin (a pipe the test holds)
 * and exit when it closes, with the code they were given: no sleeps.
 */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
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

static struct mpdd d;

static void teardown(void)
{
	mpdd_teardown(&d);
}

TestSuite(wait, .fini = teardown, .timeout = 120);

/* A worker that exits with code once the pipe *in is closed. */
static long long start_held(int fd, int code, int *in)
{
	char c[16];

	snprintf(c, sizeof(c), "%d", code);
	return test_start_fed(fd,
			      json_pack("{s:[ssss]}", "argv", "sh", "-c",
					"read x; exit $0", c),
			      in);
}

/* A worker that has ended with code, joined. */
static long long start_ended(int fd, int code)
{
	char script[32];
	long long id;

	snprintf(script, sizeof(script), "exit %d", code);
	id = test_start_proc(fd, json_pack("{s:[sss]}", "argv", "sh", "-c",
					   script));
	json_decref(test_ok(fd, "process.join",
			    json_pack("{s:I}", "id", (json_int_t)id)));
	return id;
}

/* End a held worker and wait, on fd, until mpdd has seen it end. */
static void release(int fd, long long id, int *in)
{
	close(*in);
	*in = -1;
	json_decref(test_ok(fd, "process.join",
			    json_pack("{s:I}", "id", (json_int_t)id)));
}

/* The params of a wait on ids (n of them), with return_when (NULL: not
 * given) and timeout (< 0: not given). */
static json_t *wait_params(const long long *ids, size_t n, const char *when,
			   double timeout)
{
	json_t *p = json_object(), *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer(ids[i]));
	json_object_set_new(p, "ids", a);
	if (when != NULL)
		json_object_set_new(p, "return_when", json_string(when));
	if (timeout >= 0)
		json_object_set_new(p, "timeout", json_real(timeout));
	return p;
}

/*
 * A wait's result in short, to compare as a string: "done ID:CODE ...
 * | pending ID ...", in the order of the reply. Asserts the shape.
 * Returns a static buffer.
 */
static const char *shape(json_t *res)
{
	static char buf[4096];
	json_t *done = json_object_get(res, "done");
	json_t *pending = json_object_get(res, "pending");
	json_t *v;
	size_t i, n = 0;

	cr_assert(json_is_object(res) && json_object_size(res) == 2,
		  "a wait's result has done and pending only");
	cr_assert(json_is_array(done) && json_is_array(pending));
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "done");
	json_array_foreach (done, i, v) {
		json_t *code = json_object_get(v, "exitcode");

		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				      " %lld:", test_int(v, "id"));
		if (json_is_integer(code))
			n += (size_t)snprintf(
				buf + n, sizeof(buf) - n, "%lld",
				(long long)json_integer_value(code));
		else
			n += (size_t)snprintf(
				buf + n, sizeof(buf) - n, "%s",
				json_string_value(json_object_get(v, "state")));
	}
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, " | pending");
	json_array_foreach (pending, i, v) {
		cr_assert(json_is_integer(v));
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %lld",
				      (long long)json_integer_value(v));
	}
	cr_assert(n < sizeof(buf) - 1);
	return buf;
}

/* Assert the wait's result res has the shape want (printf-formatted). */
static void assert_shape(json_t *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void assert_shape(json_t *res, const char *fmt, ...)
{
	char want[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	cr_assert_str_eq(shape(res), want);
}

/* Any: answered when the first process ends, with the others pending in
 * the order given; not before. */
Test(wait, any_answers_at_the_first_end_with_the_rest_pending)
{
	int in[3], fd, fd2;
	long long id[3];
	json_t *res;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	fd2 = test_connect(d.socket);
	for (int i = 0; i < 3; i++)
		id[i] = start_held(fd, 10 + i, &in[i]);
	test_send_call(fd, "w", "process.wait", wait_params(id, 3, NULL, -1));
	test_settle(fd);
	release(fd2, id[1], &in[1]);
	res = test_result_for(fd, "w");
	assert_shape(res, "done %lld:11 | pending %lld %lld", id[1], id[0],
		     id[2]);
	/* The record is process.join's, a summary. */
	cr_assert_str_eq(
		json_string_value(json_object_get(
			json_array_get(json_object_get(res, "done"), 0),
			"state")),
		"exited");
	cr_assert_null(json_object_get(
		json_array_get(json_object_get(res, "done"), 0), "env"));
	json_decref(res);
	/* Explicit "any" is the same. */
	test_send_call(fd, "w2", "process.wait",
		       wait_params((long long[]){ id[0], id[2] }, 2, "any",
				   -1));
	test_settle(fd);
	release(fd2, id[2], &in[2]);
	res = test_result_for(fd, "w2");
	assert_shape(res, "done %lld:12 | pending %lld", id[2], id[0]);
	json_decref(res);
	close(in[0]);
	test_settle(fd);
	close(fd2);
	close(fd);
	mpdd_stop_all(&d);
}

/* All: no answer until the last one ends, then every record, in the
 * order given. */
Test(wait, all_waits_for_every_process)
{
	int in[3], fd, fd2;
	long long id[3];
	json_t *res;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	fd2 = test_connect(d.socket);
	for (int i = 0; i < 3; i++)
		id[i] = start_held(fd, 20 + i, &in[i]);
	test_send_call(fd, "w", "process.wait", wait_params(id, 3, "all", -1));
	test_settle(fd);
	release(fd2, id[2], &in[2]);
	test_settle(fd); /* not answered: two still run */
	release(fd2, id[0], &in[0]);
	test_settle(fd);
	release(fd2, id[1], &in[1]);
	res = test_result_for(fd, "w");
	assert_shape(res, "done %lld:20 %lld:21 %lld:22 | pending", id[0],
		     id[1], id[2]);
	json_decref(res);
	close(fd2);
	close(fd);
	mpdd_stop_all(&d);
}

/* A timeout is an answer, not an error: what ended so far, the rest
 * pending; with "any", nothing done. */
Test(wait, timeout_answers_with_what_ended_so_far)
{
	long long ended, id;
	json_t *res;
	int in, fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	ended = start_ended(fd, 7);
	id = start_held(fd, 0, &in);
	res = test_ok(fd, "process.wait",
		      wait_params((long long[]){ id, ended }, 2, "all", 0.2));
	assert_shape(res, "done %lld:7 | pending %lld", ended, id);
	json_decref(res);
	res = test_ok(fd, "process.wait",
		      wait_params((long long[]){ id }, 1, "any", 0.1));
	assert_shape(res, "done | pending %lld", id);
	json_decref(res);
	release(fd, id, &in);
	close(fd);
	mpdd_stop_all(&d);
}

/* Timeout 0 does not wait: a poll, parked nowhere. */
Test(wait, zero_timeout_polls)
{
	long long id[2], ended;
	json_t *res;
	int in[2], fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	id[0] = start_held(fd, 0, &in[0]);
	id[1] = start_held(fd, 0, &in[1]);
	ended = start_ended(fd, 4);
	res = test_ok(fd, "process.wait", wait_params(id, 2, NULL, 0));
	assert_shape(res, "done | pending %lld %lld", id[0], id[1]);
	json_decref(res);
	res = test_ok(fd, "process.wait",
		      wait_params((long long[]){ id[0], ended, id[1] }, 3,
				  "all", 0));
	assert_shape(res, "done %lld:4 | pending %lld %lld", ended, id[0],
		     id[1]);
	json_decref(res);
	for (int i = 0; i < 2; i++)
		release(fd, id[i], &in[i]);
	res = test_ok(fd, "process.wait", wait_params(id, 2, "all", 0));
	assert_shape(res, "done %lld:0 %lld:0 | pending", id[0], id[1]);
	json_decref(res);
	close(fd);
	mpdd_stop_all(&d);
}

/* Records that ended before the call answer it at once, with no timeout:
 * "any" gets every one that has ended, "all" when none runs. A start that
 * failed has ended too. */
Test(wait, ended_records_answer_at_once)
{
	long long a, b, failed, id;
	json_t *reply, *res;
	int in, fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	a = start_ended(fd, 1);
	b = start_ended(fd, 2);
	id = start_held(fd, 0, &in);
	reply = test_call(fd, "process.create",
			  json_pack("{s:[s], s:b}", "argv",
				    "/nonexistent/program", "start", 1));
	cr_assert_eq(test_error_code(reply, NULL), 8);
	failed = test_int(
		json_object_get(json_object_get(reply, "error"), "data"), "id");
	json_decref(reply);
	res = test_ok(fd, "process.wait",
		      wait_params((long long[]){ b, id, a }, 3, NULL, -1));
	assert_shape(res, "done %lld:2 %lld:1 | pending %lld", b, a, id);
	json_decref(res);
	res = test_ok(fd, "process.wait",
		      wait_params((long long[]){ a, failed, b }, 3, "all", -1));
	assert_shape(res, "done %lld:1 %lld:failed %lld:2 | pending", a, failed,
		     b);
	json_decref(res);
	close(in);
	close(fd);
	mpdd_stop_all(&d);
}

/* Workers killed while a wait watches them: exit code -9, signal named. */
Test(wait, killed_workers_end_the_wait_with_minus_nine)
{
	long long id[2];
	json_t *res, *rec;
	size_t i;
	int fd, fd2;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	fd2 = test_connect(d.socket);
	for (i = 0; i < 2; i++)
		id[i] = test_start_proc(fd, json_pack("{s:[ss]}", "argv",
						      "sleep", "1000"));
	test_send_call(fd, "w", "process.wait", wait_params(id, 2, "all", 30));
	test_settle(fd);
	for (i = 0; i < 2; i++)
		json_decref(
			test_ok(fd2, "process.kill",
				json_pack("{s:I}", "id", (json_int_t)id[i])));
	res = test_result_for(fd, "w");
	assert_shape(res, "done %lld:-9 %lld:-9 | pending", id[0], id[1]);
	json_array_foreach (json_object_get(res, "done"), i, rec)
		cr_assert_str_eq(
			json_string_value(json_object_get(rec, "signal")),
			"SIGKILL");
	json_decref(res);
	close(fd2);
	close(fd);
	mpdd_stop_all(&d);
}

/* A process named twice (by id, again, and by name) is watched once and
 * reported once; names alone work as ids do. */
Test(wait, duplicates_are_watched_once)
{
	long long id, other;
	json_t *res, *p;
	int in, in2, fd, fd2;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	fd2 = test_connect(d.socket);
	id = test_start_fed(fd,
			    json_pack("{s:[sss], s:s}", "argv", "sh", "-c",
				      "read x; exit 5", "name", "dup"),
			    &in);
	other = start_held(fd, 0, &in2);
	p = wait_params((long long[]){ id, other, id }, 3, "all", -1);
	json_object_set_new(p, "names", json_pack("[ss]", "dup", "dup"));
	test_send_call(fd, "w", "process.wait", p);
	test_send_call(fd, "n", "process.wait",
		       json_pack("{s:[s]}", "names", "dup"));
	test_settle(fd);
	release(fd2, id, &in);
	res = test_result_for(fd, "n");
	assert_shape(res, "done %lld:5 | pending", id);
	json_decref(res);
	test_settle(fd); /* "w" waits for the other one still */
	release(fd2, other, &in2);
	res = test_result_for(fd, "w");
	assert_shape(res, "done %lld:5 %lld:0 | pending", id, other);
	json_decref(res);
	close(fd2);
	close(fd);
	mpdd_stop_all(&d);
}

/* A wait on many processes that all end at once is answered once; a
 * process watched by many waits on many connections answers them all. */
Test(wait, many_ends_wake_a_wait_once_and_one_end_wakes_many_waits)
{
	enum { NPROC = 24, NCONN = 8 };
	long long id[NPROC];
	int in[NPROC], fd, c[NCONN];
	json_t *res;
	size_t i;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	for (i = 0; i < NPROC; i++)
		id[i] = start_held(fd, 0, &in[i]);
	for (i = 0; i < NCONN; i++) {
		c[i] = test_connect(d.socket);
		test_send_call(c[i], "any", "process.wait",
			       wait_params(id, NPROC, NULL, -1));
		test_send_call(c[i], "last", "process.wait",
			       wait_params(&id[NPROC - 1], 1, NULL, -1));
		test_settle(c[i]);
	}
	/* Every worker's pipe closed in one go: their ends come close
	 * together, each a wake-up for every "any" wait. */
	for (i = 0; i < NPROC; i++) {
		close(in[i]);
		in[i] = -1;
	}
	for (i = 0; i < NPROC; i++)
		json_decref(
			test_ok(fd, "process.join",
				json_pack("{s:I}", "id", (json_int_t)id[i])));
	for (i = 0; i < NCONN; i++) {
		json_t *reply = test_reply_for(c[i], "any");
		json_t *r2;

		res = test_result(reply);
		cr_assert_geq(json_array_size(json_object_get(res, "done")), 1);
		cr_assert_eq(json_array_size(json_object_get(res, "done")) +
				     json_array_size(
					     json_object_get(res, "pending")),
			     NPROC);
		json_decref(reply);
		r2 = test_result_for(c[i], "last");
		assert_shape(r2, "done %lld:0 | pending", id[NPROC - 1]);
		json_decref(r2);
		/* No second answer to "any". */
		test_settle(c[i]);
		close(c[i]);
	}
	close(fd);
	mpdd_stop_all(&d);
}

/* One bad param: what is sent, the field named. */
struct bad_case {
	char params[160];
	char field[16];
};

static struct bad_case bad_cases[] = {
	{ "{}", "ids" },
	{ "{\"ids\":[]}", "ids" },
	{ "{\"names\":[]}", "names" },
	{ "{\"ids\":[],\"names\":[]}", "ids" },
	{ "{\"ids\":5}", "ids" },
	{ "{\"ids\":\"1\"}", "ids" },
	{ "{\"ids\":{\"1\":1}}", "ids" },
	{ "{\"ids\":[0]}", "ids" },
	{ "{\"ids\":[-3]}", "ids" },
	{ "{\"ids\":[1.5]}", "ids" },
	{ "{\"ids\":[\"1\"]}", "ids" },
	{ "{\"ids\":[null]}", "ids" },
	{ "{\"ids\":[9007199254740992]}", "ids" },
	{ "{\"names\":\"w\"}", "names" },
	{ "{\"names\":[\"\"]}", "names" },
	{ "{\"names\":[1]}", "names" },
	{ "{\"ids\":[1],\"return_when\":\"first\"}", "return_when" },
	{ "{\"ids\":[1],\"return_when\":true}", "return_when" },
	{ "{\"ids\":[1],\"timeout\":-1}", "timeout" },
	{ "{\"ids\":[1],\"timeout\":\"1\"}", "timeout" },
	{ "{\"ids\":[1],\"timeout\":31536001}", "timeout" },
	{ "{\"ids\":[1],\"id\":1}", "id" },
};

ParameterizedTestParameters(wait, bad_params_are_refused_naming_the_field)
{
	return cr_make_param_array(struct bad_case, bad_cases,
				   sizeof(bad_cases) / sizeof(bad_cases[0]));
}

ParameterizedTest(struct bad_case *c, wait,
		  bad_params_are_refused_naming_the_field)
{
	json_t *reply, *data;
	const char *name;
	long long id;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	/* Process 1 exists and has ended: only the params are wrong. */
	id = start_ended(fd, 0);
	cr_assert_eq(id, 1);
	reply = test_call(fd, "process.wait", test_json(c->params));
	cr_assert_eq(test_error_code(reply, &name), -32602, "%s", c->params);
	data = json_object_get(json_object_get(reply, "error"), "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "field")),
			 c->field, "%s", c->params);
	json_decref(reply);
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop_all(&d);
}

/* More than MPD_MAX_WAIT (1024) entries, ids and names together, is
 * refused with the limit in data.max; exactly 1024 is taken. */
Test(wait, more_than_1024_processes_are_refused)
{
	json_t *p, *reply, *data, *res;
	long long id;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	id = start_ended(fd, 0);
	p = json_pack("{s:[], s:[]}", "ids", "names");
	for (int i = 0; i < 1000; i++)
		json_array_append_new(json_object_get(p, "ids"),
				      json_integer(id));
	for (int i = 0; i < 24; i++)
		json_array_append_new(json_object_get(p, "names"),
				      json_string("Process-1"));
	res = test_ok(fd, "process.wait", json_incref(p));
	assert_shape(res, "done %lld:0 | pending", id);
	json_decref(res);
	json_array_append_new(json_object_get(p, "names"),
			      json_string("Process-1"));
	reply = test_call(fd, "process.wait", p);
	cr_assert_eq(test_error_code(reply, NULL), -32602);
	data = json_object_get(json_object_get(reply, "error"), "data");
	cr_assert_eq(test_int(data, "max"), 1024);
	cr_assert_str_eq(json_string_value(json_object_get(data, "field")),
			 "ids");
	json_decref(reply);
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop_all(&d);
}

/* Assert reply is the error name, naming entry index of field, with id
 * (0: no "id" in data). */
static void assert_entry_error(json_t *reply, const char *want,
			       const char *field, long long index, long long id)
{
	json_t *data = json_object_get(json_object_get(reply, "error"), "data");
	const char *name;

	test_error_code(reply, &name);
	cr_assert_str_eq(name, want);
	cr_assert_str_eq(json_string_value(json_object_get(data, "field")),
			 field);
	cr_assert_eq(test_int(data, "index"), index);
	if (id > 0)
		cr_assert_eq(test_int(data, "id"), id);
	else
		cr_assert_null(json_object_get(data, "id"));
}

/* An unknown id or name, or a record never started, refuses the whole
 * wait, naming the entry; nothing is parked. */
Test(wait, unknown_and_unstarted_processes_are_refused_by_entry)
{
	long long ended, created;
	json_t *reply, *p;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	ended = start_ended(fd, 0);
	reply = test_call(fd, "process.create",
			  json_pack("{s:[s], s:s}", "argv", "true", "name",
				    "idle"));
	created = test_int(test_result(reply), "id");
	json_decref(reply);

	reply = test_call(fd, "process.wait",
			  wait_params((long long[]){ ended, 999 }, 2, NULL,
				      -1));
	assert_entry_error(reply, "not_found", "ids", 1, 999);
	json_decref(reply);

	p = wait_params((long long[]){ ended }, 1, NULL, -1);
	json_object_set_new(p, "names", json_pack("[ss]", "Process-1", "nope"));
	reply = test_call(fd, "process.wait", p);
	assert_entry_error(reply, "not_found", "names", 1, 0);
	cr_assert(strstr(json_string_value(json_object_get(
				 json_object_get(reply, "error"), "message")),
			 "\"nope\"") != NULL);
	json_decref(reply);

	/* As process.join: a record never started is invalid_state. */
	reply = test_call(fd, "process.wait",
			  wait_params((long long[]){ ended, created }, 2, NULL,
				      -1));
	assert_entry_error(reply, "invalid_state", "ids", 1, created);
	json_decref(reply);
	reply = test_call(fd, "process.wait",
			  json_pack("{s:[s]}", "names", "idle"));
	assert_entry_error(reply, "invalid_state", "names", 0, created);
	json_decref(reply);
	test_settle(fd);
	close(fd);
	mpdd_stop_all(&d);
}

#define NOBODY 65534

/*
 * In a child running as nobody: a wait naming root's process among its
 * own is refused, naming root's entry. Exit status 0 when all held, else
 * the number of the check that failed.
 */
static int wait_as_nobody(const char *socket, long long root_proc)
{
	json_t *r, *res, *data;
	long long own;
	const char *name;
	int fd;

	if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 ||
	    setuid(NOBODY) != 0)
		return 1;
	fd = test_try_connect(socket);
	if (fd < 0)
		return 2;
	r = test_call(fd, "process.create",
		      json_pack("{s:[s], s:b}", "argv", "true", "start", 1));
	res = json_object_get(r, "result");
	if (res == NULL)
		return 3;
	own = json_integer_value(json_object_get(res, "id"));
	json_decref(r);
	json_decref(test_call(fd, "process.join",
			      json_pack("{s:I}", "id", (json_int_t)own)));
	r = test_call(fd, "process.wait",
		      json_pack("{s:[II]}", "ids", (json_int_t)own,
				(json_int_t)root_proc));
	data = json_object_get(json_object_get(r, "error"), "data");
	name = json_string_value(json_object_get(data, "name"));
	if (name == NULL || strcmp(name, "permission_denied") != 0)
		return 4;
	if (json_integer_value(json_object_get(data, "index")) != 1 ||
	    json_integer_value(json_object_get(data, "id")) != root_proc)
		return 5;
	json_decref(r);
	/* By name: refused, and root's id stays untold. */
	r = test_call(fd, "process.wait",
		      json_pack("{s:[s]}", "names", "roots"));
	data = json_object_get(json_object_get(r, "error"), "data");
	name = json_string_value(json_object_get(data, "name"));
	if (name == NULL || strcmp(name, "permission_denied") != 0 ||
	    json_object_get(data, "id") != NULL)
		return 6;
	json_decref(r);
	/* Its own process is its to wait for. */
	r = test_call(fd, "process.wait",
		      json_pack("{s:[I]}", "ids", (json_int_t)own));
	res = json_object_get(r, "result");
	if (json_array_size(json_object_get(res, "done")) != 1)
		return 7;
	json_decref(r);
	close(fd);
	return 0;
}

/* Another uid's process in the list: permission_denied naming which. */
Test(wait, another_users_process_is_permission_denied)
{
	long long root_proc;
	int fd, status, in;
	pid_t pid;

	if (getuid() != 0)
		cr_skip_test("needs root to run a client as nobody");
	mpdd_start(&d, NULL);
	cr_assert(chmod(d.dir, 0755) == 0 && chmod(d.socket, 0666) == 0);
	fd = test_connect(d.socket);
	root_proc = test_start_fed(fd,
				   json_pack("{s:[sss], s:s}", "argv", "sh",
					     "-c", "read x", "name", "roots"),
				   &in);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(wait_as_nobody(d.socket, root_proc));
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the check as nobody failed: %d", WEXITSTATUS(status));
	release(fd, root_proc, &in);
	close(fd);
	mpdd_stop_all(&d);
}

/* process.close of an ended record that a parked "all" wait watches:
 * the close goes through, and the wait is answered at once with that
 * record done and the rest pending, so no ended record is lost. */
Test(wait, closing_a_watched_record_answers_the_wait_at_once)
{
	long long ended, id;
	json_t *res;
	int in, fd, fd2;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	fd2 = test_connect(d.socket);
	ended = start_ended(fd, 3);
	id = start_held(fd, 0, &in);
	test_send_call(fd, "w", "process.wait",
		       wait_params((long long[]){ ended, id }, 2, "all", -1));
	test_settle(fd);
	test_ok0(fd2, "process.close",
		 json_pack("{s:I}", "id", (json_int_t)ended));
	res = test_result_for(fd, "w");
	assert_shape(res, "done %lld:3 | pending %lld", ended, id);
	json_decref(res);
	/* Nothing is left watching: the end of the other is no event. */
	release(fd2, id, &in);
	test_settle(fd);
	test_fails(fd, "process.info",
		   json_pack("{s:I}", "id", (json_int_t)ended), "not_found");
	close(fd2);
	close(fd);
	mpdd_stop_all(&d);
}

/* A watched ended record dropped past --max-exited answers its waits
 * as process.close does. */
Test(wait, a_watched_record_dropped_by_retention_answers_the_wait)
{
	const char *extra[] = { "--max-exited", "1", NULL };
	long long ended, id, next;
	json_t *res;
	int in, in2, fd;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	ended = start_ended(fd, 6);
	id = start_held(fd, 0, &in);
	next = start_held(fd, 0, &in2);
	test_send_call(fd, "w", "process.wait",
		       wait_params((long long[]){ ended, id }, 2, "all", -1));
	test_settle(fd);
	/* A second ended record: the first one is dropped. */
	close(in2);
	res = test_result_for(fd, "w");
	assert_shape(res, "done %lld:6 | pending %lld", ended, id);
	json_decref(res);
	json_decref(test_ok(fd, "process.join",
			    json_pack("{s:I}", "id", (json_int_t)next)));
	test_fails(fd, "process.info",
		   json_pack("{s:I}", "id", (json_int_t)ended), "not_found");
	close(in);
	close(fd);
	mpdd_stop_all(&d);
}

/* Connections open on the daemon, from daemon.info. */
static long long connections(int fd)
{
	json_t *r = test_ok(fd, "daemon.info", NULL);
	long long n = test_int(r, "connections");

	json_decref(r);
	return n;
}

/* Wait until the daemon has only n connections (it saw the others
 * close). */
static void await_connections(int fd, long long n)
{
	struct timespec start, now, pause = { 0, 2000000 };

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (connections(fd) != n) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		cr_assert((now.tv_sec - start.tv_sec) * 1000 +
					  (now.tv_nsec - start.tv_nsec) /
						  1000000 <
				  TEST_TIMEOUT_MS,
			  "the daemon never saw the connections close");
		nanosleep(&pause, NULL);
	}
}

/* A client that goes away with waits parked (alone, with timeouts, in a
 * batch): they are dropped, the records' watcher entries with them, and
 * the ends that come later touch nothing (the sanitizer build checks
 * for use after free and leaks at the daemon's exit). */
Test(wait, a_client_that_goes_away_while_parked_leaves_nothing)
{
	enum { N = 6 };
	long long id[N];
	int in[N], fd, gone;
	char *batch;
	size_t i;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	for (i = 0; i < N; i++)
		id[i] = start_held(fd, 0, &in[i]);
	gone = test_connect(d.socket);
	test_send_call(gone, "a", "process.wait", wait_params(id, N, NULL, -1));
	test_send_call(gone, "b", "process.wait",
		       wait_params(id, N, "all", -1));
	test_send_call(gone, "c", "process.wait",
		       wait_params(id, 2, "all", 100));
	cr_assert(asprintf(&batch,
			   "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
			   "\"process.wait\",\"params\":{\"ids\":[%lld,%lld]}},"
			   "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
			   "\"daemon.ping\"}]\n",
			   id[1], id[2]) > 0);
	test_send_str(gone, batch);
	free(batch);
	test_settle(gone);
	/* One ends while they are parked: "a" is answered, unread. */
	release(fd, id[0], &in[0]);
	test_hang_up(gone);
	await_connections(fd, 1);
	/* The others end after the client is gone. */
	for (i = 1; i < N; i++)
		release(fd, id[i], &in[i]);
	test_assert_ping(d.socket);
	/* And new waits on the same records work. */
	json_decref(test_ok(fd, "process.wait", wait_params(id, N, "all", -1)));
	close(fd);
	mpdd_stop_all(&d);
}

/* Sent as a notification, process.wait is not run (its reply is all it
 * does): nothing parks, and the end of the process sends nothing. */
Test(wait, a_notification_is_not_run)
{
	long long id;
	char *log;
	int in, fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	id = start_held(fd, 0, &in);
	test_send_call(fd, NULL, "process.wait", wait_params(&id, 1, NULL, -1));
	test_settle(fd);
	release(fd, id, &in); /* the join's reply is the next line */
	test_settle(fd);
	log = mpdd_log(&d);
	cr_assert(strstr(log, "process.wait as a notification: not run") !=
		  NULL);
	free(log);
	close(fd);
	mpdd_stop_all(&d);
}

/* In a batch, a parked wait holds the batch's reply until it is
 * answered, as a join does. */
Test(wait, a_wait_in_a_batch_answers_with_the_batch)
{
	json_t *reply, *res = NULL, *m;
	long long id;
	char *line, *text;
	int in, fd, fd2;
	size_t i;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	fd2 = test_connect(d.socket);
	id = start_held(fd, 9, &in);
	cr_assert(asprintf(&line,
			   "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
			   "\"process.wait\",\"params\":{\"ids\":[%lld]}},"
			   "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
			   "\"daemon.ping\"}]\n",
			   id) > 0);
	test_send_str(fd, line);
	free(line);
	release(fd2, id, &in);
	text = test_read_line(fd, TEST_TIMEOUT_MS);
	reply = test_json(text);
	free(text);
	cr_assert_eq(json_array_size(reply), 2);
	json_array_foreach (reply, i, m)
		if (json_integer_value(json_object_get(m, "id")) == 1)
			res = json_object_get(m, "result");
	cr_assert_not_null(res);
	assert_shape(res, "done %lld:9 | pending", id);
	json_decref(reply);
	close(fd2);
	close(fd);
	mpdd_stop_all(&d);
}

/* Records too large to go out together under max_output are cut to a
 * share each, marked "truncated", and the reply fits. */
Test(wait, large_records_are_cut_to_fit_max_output)
{
	const char *extra[] = { "--max-output", "64K", NULL };
	enum { N = 24 };
	long long id[N];
	json_t *p, *argv, *res, *rec, *reply;
	char word[300], *text;
	size_t i;
	int fd;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	memset(word, 'x', sizeof(word) - 1);
	word[sizeof(word) - 1] = '\0';
	for (i = 0; i < N; i++) {
		/* sh -c 'exit 0' and 40 long words: a summary keeps 32 of
		 * them, cut to 256 bytes, some 8 KiB a record. */
		argv = json_pack("[sss]", "sh", "-c", "exit 0");
		for (int k = 0; k < 40; k++)
			json_array_append_new(argv, json_string(word));
		p = json_pack("{s:o}", "argv", argv);
		id[i] = test_start_proc(fd, p);
		json_decref(
			test_ok(fd, "process.join",
				json_pack("{s:I}", "id", (json_int_t)id[i])));
	}
	test_send_call(fd, "w", "process.wait", wait_params(id, N, "all", -1));
	text = test_read_line(fd, TEST_TIMEOUT_MS);
	/* Half the room, less an envelope's slack, for the result. */
	cr_assert_lt(strlen(text), 32 * 1024, "%zu bytes", strlen(text));
	reply = test_json(text);
	free(text);
	res = json_incref(test_result(reply));
	json_decref(reply);
	cr_assert_eq(json_array_size(json_object_get(res, "done")), N);
	json_array_foreach (json_object_get(res, "done"), i, rec) {
		cr_assert_eq(test_int(rec, "id"), id[i]);
		cr_assert_str_eq(json_string_value(json_array_get(
					 json_object_get(rec, "truncated"), 0)),
				 "target");
	}
	json_decref(res);
	close(fd);
	mpdd_stop_all(&d);
}

/* When even the shortest records of what ended cannot fit the room the
 * connection has under max_output, the wait gets limit, as a join does,
 * and the daemon goes on serving. */
Test(wait, no_room_for_the_shortest_records_is_limit)
{
	const char *extra[] = { "--max-output", "64K", NULL };
	enum { N = 160 };
	json_t *reply, *data;
	long long id[N];
	const char *name;
	int fd;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	/* Some 280 bytes each at the shortest: past the 31 KiB a result
	 * may take. */
	for (size_t i = 0; i < N; i++)
		id[i] = start_ended(fd, 0);
	reply = test_call(fd, "process.wait", wait_params(id, N, "all", -1));
	cr_assert_eq(test_error_code(reply, &name), 9);
	cr_assert_str_eq(name, "limit");
	data = json_object_get(json_object_get(reply, "error"), "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "limit")),
			 "max_output");
	json_decref(reply);
	/* A part of them fits. */
	reply = test_call(fd, "process.wait", wait_params(id, 8, "all", -1));
	cr_assert_eq(
		json_array_size(json_object_get(test_result(reply), "done")),
		8);
	json_decref(reply);
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop_all(&d);
}
