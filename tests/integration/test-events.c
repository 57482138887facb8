/*
 * test-events.c - event subscriptions against a real mpdd, in raw
 * JSON-RPC lines: every kind of event with its fields (process created,
 * started, exited with a code or a signal, failed with a stage; broker
 * objects created, closed, deleted; a lock, a semaphore and a condition
 * abandoned by a holder gone or a lease run out), filters by kind and by
 * name prefix, several subscriptions on one connection, unsubscribe, the
 * per-connection limit, every class of bad param, what another uid may
 * see, and a subscriber that does not read under a flood of events: the
 * daemon stays small, keeps serving others, drops the subscriber's events
 * with a marker that counts them, and never drops the subscriber.
 */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "harness.h"

static struct mpdd d;

static void teardown(void)
{
	mpdd_teardown(&d);
}

TestSuite(events, .fini = teardown, .timeout = 300);

/* Subscribe fd with params (stolen; NULL: everything). Returns the id. */
static long long subscribe(int fd, json_t *params)
{
	json_t *res = test_ok(fd, "events.subscribe",
			      params != NULL ? params : json_object());
	long long id = test_int(res, "subscription");

	json_decref(res);
	return id;
}

/* The params of the next line of fd, which must be an mpd.event
 * notification; NULL when none comes within timeout_ms. */
static json_t *next_event_within(int fd, int timeout_ms)
{
	char *text = test_read_line(fd, timeout_ms);
	json_t *msg, *params;

	if (text == NULL)
		return NULL;
	msg = json_loads(text, 0, NULL);
	cr_assert(msg != NULL, "not JSON: %s", text);
	cr_assert(json_object_get(msg, "id") == NULL, "not a notification: %s",
		  text);
	cr_assert_str_eq(json_string_value(json_object_get(msg, "method")),
			 "mpd.event", "%s", text);
	cr_assert_str_eq(json_string_value(json_object_get(msg, "jsonrpc")),
			 "2.0");
	params = json_incref(json_object_get(msg, "params"));
	cr_assert(json_is_object(params), "%s", text);
	json_decref(msg);
	free(text);
	return params;
}

static json_t *next_event(int fd)
{
	json_t *ev = next_event_within(fd, TEST_TIMEOUT_MS);

	cr_assert(ev != NULL, "no event came");
	return ev;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	cr_assert(s != NULL, "no string \"%s\"", key);
	return s;
}

/* The next event of fd is kind/event about name, carries a seq above
 * *seq (updated), a time, and the subscriptions sub (one id). Returns it
 * for more checks (caller frees). */
static json_t *expect(int fd, const char *kind, const char *event,
		      const char *name, long long sub, long long *seq)
{
	json_t *ev = next_event(fd), *subs;
	char *text = json_dumps(ev, JSON_COMPACT);

	cr_assert_str_eq(str(ev, "kind"), kind, "%s", text);
	cr_assert_str_eq(str(ev, "event"), event, "%s", text);
	cr_assert_str_eq(str(ev, "name"), name, "%s", text);
	cr_assert(json_is_number(json_object_get(ev, "time")), "%s", text);
	if (seq != NULL) {
		cr_assert_gt(test_int(ev, "seq"), *seq, "%s", text);
		*seq = test_int(ev, "seq");
	}
	subs = json_object_get(ev, "subscriptions");
	cr_assert(json_is_array(subs) && json_array_size(subs) == 1 &&
			  json_integer_value(json_array_get(subs, 0)) == sub,
		  "%s", text);
	free(text);
	return ev;
}

static void expect0(int fd, const char *kind, const char *event,
		    const char *name, long long sub, long long *seq)
{
	json_decref(expect(fd, kind, event, name, sub, seq));
}

/* Nothing more is waiting for fd: a ping answered first proves it. */
static void expect_none(int fd)
{
	json_t *r;

	test_send_call(fd, "none", "daemon.ping", NULL);
	r = test_reply_for(fd, "none");
	json_decref(r);
}

Test(events, process_lifecycle)
{
	int sub, fd;
	long long s, seq = 0, id;
	json_t *ev;

	mpdd_start(&d, NULL);
	sub = test_connect(d.socket);
	fd = test_connect(d.socket);
	s = subscribe(sub, json_pack("{s:[s]}", "kinds", "process"));

	/* Created, started, exited with a code. */
	id = test_start_proc(fd, json_pack("{s:[sss], s:s}", "argv", "sh", "-c",
					   "exit 3", "name", "three"));
	ev = expect(sub, "process", "created", "three", s, &seq);
	cr_assert_eq(test_int(ev, "id"), id);
	cr_assert_eq(test_int(ev, "uid"), (long long)getuid());
	cr_assert_str_eq(str(ev, "state"), "created");
	json_decref(ev);
	ev = expect(sub, "process", "started", "three", s, &seq);
	cr_assert_eq(test_int(ev, "id"), id);
	cr_assert_gt(test_int(ev, "pid"), 0);
	cr_assert_str_eq(str(ev, "state"), "running");
	json_decref(ev);
	ev = expect(sub, "process", "exited", "three", s, &seq);
	cr_assert_eq(test_int(ev, "id"), id);
	cr_assert_eq(test_int(ev, "exitcode"), 3);
	cr_assert(json_is_null(json_object_get(ev, "signal")));
	cr_assert_str_eq(str(ev, "state"), "exited");
	json_decref(ev);

	/* Killed: a negative code and the signal's name. */
	id = test_start_proc(fd, json_pack("{s:[ss], s:s}", "argv", "sleep",
					   "100", "name", "sleeper"));
	expect0(sub, "process", "created", "sleeper", s, &seq);
	expect0(sub, "process", "started", "sleeper", s, &seq);
	json_decref(test_call_id(fd, "process.kill", id, NULL));
	ev = expect(sub, "process", "exited", "sleeper", s, &seq);
	cr_assert_eq(test_int(ev, "exitcode"), -9);
	cr_assert_str_eq(str(ev, "signal"), "SIGKILL");
	json_decref(ev);

	/* A start that fails: the stage and the errno. */
	json_decref(test_call(fd, "process.create",
			      json_pack("{s:[s], s:s, s:b}", "argv",
					"/nonexistent/program", "name", "bad",
					"start", 1)));
	expect0(sub, "process", "created", "bad", s, &seq);
	ev = expect(sub, "process", "failed", "bad", s, &seq);
	cr_assert_str_eq(str(ev, "stage"), "exec");
	cr_assert_eq(test_int(ev, "errno"), ENOENT);
	cr_assert_str_eq(str(ev, "state"), "failed");
	json_decref(ev);
	expect_none(sub);
	close(sub);
	close(fd);
	mpdd_stop_all(&d);
}

/* Create and delete an object of every broker kind: each event, in order. */
Test(events, broker_objects)
{
	static const char *const kinds[] = { "value",	  "array", "lock",
					     "semaphore", "event", "condition",
					     "barrier" };
	static const char *const create[] = {
		"{\"name\":\"o\",\"type\":\"int\"}",
		"{\"name\":\"o\",\"type\":\"int\",\"length\":2}",
		"{\"name\":\"o\"}",
		"{\"name\":\"o\"}",
		"{\"name\":\"o\"}",
		"{\"name\":\"o\"}",
		"{\"name\":\"o\",\"parties\":2}",
	};
	long long s, seq = 0;
	int sub, fd;
	char method[32];

	mpdd_start(&d, NULL);
	sub = test_connect(d.socket);
	fd = test_connect(d.socket);
	s = subscribe(sub, NULL);

	test_ok0(fd, "queue.create", test_nm("q"));
	expect0(sub, "queue", "created", "q", s, &seq);
	/* exist_ok on one that exists: nothing was created. */
	test_ok0(fd, "queue.create",
		 json_pack("{s:s, s:b}", "name", "q", "exist_ok", 1));
	test_ok0(fd, "queue.close", test_nm("q"));
	expect0(sub, "queue", "closed", "q", s, &seq);
	/* Closed already: nothing happens, nothing is told. */
	test_ok0(fd, "queue.close", test_nm("q"));
	test_ok0(fd, "queue.delete", test_nm("q"));
	expect0(sub, "queue", "deleted", "q", s, &seq);

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		snprintf(method, sizeof(method), "%s.create", kinds[i]);
		test_ok0(fd, method, test_json(create[i]));
		expect0(sub, kinds[i], "created", "o", s, &seq);
		snprintf(method, sizeof(method), "%s.delete", kinds[i]);
		test_ok0(fd, method, test_nm("o"));
		expect0(sub, kinds[i], "deleted", "o", s, &seq);
	}
	/* The direct channels' objects. */
	test_ok0(fd, "listener.create", test_nm("l"));
	expect0(sub, "listener", "created", "l", s, &seq);
	test_ok0(fd, "listener.close", test_nm("l"));
	expect0(sub, "listener", "closed", "l", s, &seq);
	test_ok0(fd, "shm.create",
		 json_pack("{s:s, s:i}", "name", "m", "size", 4096));
	expect0(sub, "shm", "created", "m", s, &seq);
	test_ok0(fd, "shm.unlink", test_nm("m"));
	expect0(sub, "shm", "deleted", "m", s, &seq);
	expect_none(sub);
	close(sub);
	close(fd);
	mpdd_stop_all(&d);
}

/* A holder that closes, and a lease that runs out: abandoned, with who
 * held it; of a condition's own lock, the condition is named. */
Test(events, abandoned)
{
	long long s, seq = 0, holder_conn;
	int sub, fd, h;
	json_t *ev, *r;

	mpdd_start(&d, NULL);
	sub = test_connect(d.socket);
	fd = test_connect(d.socket);
	test_ok0(fd, "lock.create", test_nm("l"));
	test_ok0(fd, "semaphore.create",
		 json_pack("{s:s, s:i}", "name", "s", "value", 2));
	test_ok0(fd, "condition.create", test_nm("c"));
	s = subscribe(sub, json_pack("{s:[sss]}", "kinds", "lock", "semaphore",
				     "condition"));

	h = test_connect(d.socket);
	test_ok0(h, "lock.acquire", test_nm("l"));
	r = test_ok(h, "lock.info", test_nm("l"));
	holder_conn = test_int(json_object_get(r, "holder"), "connection");
	json_decref(r);
	test_ok0(h, "semaphore.acquire", test_nm("s"));
	test_ok0(h, "condition.acquire", test_nm("c"));
	close(h);
	/* The three, in the order the connection's holds are walked: the
	 * kinds are checked as a set. */
	{
		bool seen_l = false, seen_s = false, seen_c = false;

		for (int i = 0; i < 3; i++) {
			ev = next_event(sub);
			cr_assert_str_eq(str(ev, "event"), "abandoned");
			cr_assert_gt(test_int(ev, "seq"), seq);
			seq = test_int(ev, "seq");
			cr_assert_eq(test_int(json_object_get(ev, "holder"),
					      "connection"),
				     holder_conn);
			cr_assert_eq(test_int(json_object_get(ev, "holder"),
					      "pid"),
				     (long long)getpid());
			if (strcmp(str(ev, "kind"), "lock") == 0)
				seen_l = strcmp(str(ev, "name"), "l") == 0;
			else if (strcmp(str(ev, "kind"), "semaphore") == 0)
				seen_s = strcmp(str(ev, "name"), "s") == 0;
			else if (strcmp(str(ev, "kind"), "condition") == 0)
				seen_c = strcmp(str(ev, "name"), "c") == 0;
			json_decref(ev);
		}
		cr_assert(seen_l && seen_s && seen_c);
	}

	/* A lease that runs out. */
	test_ok0(fd, "lock.acquire",
		 json_pack("{s:s, s:f}", "name", "l", "lease", 0.2));
	expect0(sub, "lock", "abandoned", "l", s, &seq);
	/* Deleting is told, and nothing else was. */
	test_ok0(fd, "lock.delete", test_nm("l"));
	expect0(sub, "lock", "deleted", "l", s, &seq);
	expect_none(sub);
	close(sub);
	close(fd);
	mpdd_stop_all(&d);
}

/* A worker that ends holding a lock abandons it when it ends, though a
 * child it left keeps its connection open: the holder is the worker. */
Test(events, abandoned_by_a_worker_that_ended)
{
	long long s, id, child;
	int sub, fd;
	json_t *line, *ev;

	mpdd_start(&d, NULL);
	sub = test_connect(d.socket);
	fd = test_connect(d.socket);
	test_ok0(fd, "lock.create", test_nm("wl"));
	id = test_start_holder(fd, "lock.acquire", test_nm("wl"), "after",
			       &line);
	cr_assert(test_bool(json_object_get(line, "result"), "acquired"));
	child = test_int(line, "child");
	json_decref(line);
	s = subscribe(sub, json_pack("{s:[s]}", "kinds", "lock"));
	test_ok0(fd, "process.kill",
		 json_pack("{s:I, s:b}", "id", (json_int_t)id, "group", 0));
	ev = expect(sub, "lock", "abandoned", "wl", s, NULL);
	cr_assert_eq(test_int(json_object_get(ev, "holder"), "process"), id);
	json_decref(ev);
	/* The child still holds the worker's connection open. */
	cr_assert_eq(kill((pid_t)child, 0), 0);
	kill((pid_t)child, SIGKILL);
	json_decref(test_call_id(fd, "process.join", id, NULL));
	close(sub);
	close(fd);
	mpdd_stop_all(&d);
}

/* kinds and prefix filter; an event two subscriptions match carries
 * both ids; unsubscribe ends one. */
Test(events, filters_and_unsubscribe)
{
	long long qa, qb, all, seq = 0;
	int sub, fd;
	json_t *ev, *subs;

	mpdd_start(&d, NULL);
	sub = test_connect(d.socket);
	fd = test_connect(d.socket);
	qa = subscribe(sub, json_pack("{s:[s], s:s}", "kinds", "queue",
				      "prefix", "job-"));
	qb = subscribe(sub, json_pack("{s:[s], s:s}", "kinds", "value",
				      "prefix", "v"));
	cr_assert_neq(qa, qb);

	test_ok0(fd, "queue.create", test_nm("other"));
	test_ok0(fd, "value.create",
		 json_pack("{s:s, s:s}", "name", "job-1", "type", "int"));
	test_ok0(fd, "queue.create", test_nm("job-1"));
	expect0(sub, "queue", "created", "job-1", qa, &seq);
	test_ok0(fd, "value.create",
		 json_pack("{s:s, s:s}", "name", "v1", "type", "int"));
	expect0(sub, "value", "created", "v1", qb, &seq);
	expect_none(sub);

	/* One event, two subscriptions: one line with both ids. */
	all = subscribe(sub, NULL);
	test_ok0(fd, "queue.delete", test_nm("job-1"));
	ev = next_event(sub);
	subs = json_object_get(ev, "subscriptions");
	cr_assert_eq(json_array_size(subs), 2);
	cr_assert_eq(json_integer_value(json_array_get(subs, 0)), qa);
	cr_assert_eq(json_integer_value(json_array_get(subs, 1)), all);
	json_decref(ev);

	/* Unsubscribed, it is not told. */
	test_ok0(sub, "events.unsubscribe",
		 json_pack("{s:I}", "subscription", (json_int_t)all));
	test_ok0(fd, "queue.create", test_nm("other2"));
	test_ok0(fd, "queue.create", test_nm("job-2"));
	expect0(sub, "queue", "created", "job-2", qa, &seq);
	/* Not twice, and not another connection's. */
	test_fails(sub, "events.unsubscribe",
		   json_pack("{s:I}", "subscription", (json_int_t)all),
		   "not_found");
	test_fails(fd, "events.unsubscribe",
		   json_pack("{s:I}", "subscription", (json_int_t)qa),
		   "not_found");
	test_ok0(sub, "events.unsubscribe",
		 json_pack("{s:I}", "subscription", (json_int_t)qa));
	test_ok0(sub, "events.unsubscribe",
		 json_pack("{s:I}", "subscription", (json_int_t)qb));
	test_ok0(fd, "queue.create", test_nm("job-3"));
	expect_none(sub);
	close(sub);
	close(fd);
	mpdd_stop_all(&d);
}

Test(events, subscriptions_are_bounded_and_end_with_the_connection)
{
	int sub, fd;
	json_t *r;

	mpdd_start(&d, NULL);
	sub = test_connect(d.socket);
	for (int i = 0; i < 16; i++)
		subscribe(sub, NULL);
	r = test_call(sub, "events.subscribe", NULL);
	{
		const char *name;

		test_error_code(r, &name);
		cr_assert_str_eq(name, "limit");
		cr_assert_str_eq(
			json_string_value(json_object_get(
				json_object_get(json_object_get(r, "error"),
						"data"),
				"limit")),
			"max_subscriptions");
	}
	json_decref(r);
	close(sub);
	/* Gone with its connection: events find nobody, and the daemon
	 * serves on. */
	fd = test_connect(d.socket);
	test_ok0(fd, "queue.create", test_nm("q"));
	sub = test_connect(d.socket);
	subscribe(sub, NULL);
	close(sub);
	test_ok0(fd, "queue.delete", test_nm("q"));
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop_all(&d);
}

/* Arrays, not pointers: Criterion copies the cases to the test's
 * process. */
struct bad_case {
	char method[24];
	char params[48];
	char field[16];
};

ParameterizedTestParameters(events, bad_params)
{
	static struct bad_case cases[] = {
		{ "events.subscribe", "{\"kinds\":\"queue\"}", "kinds" },
		{ "events.subscribe", "{\"kinds\":[]}", "kinds" },
		{ "events.subscribe", "{\"kinds\":[\"nope\"]}", "kinds" },
		{ "events.subscribe", "{\"kinds\":[\"queue\",1]}", "kinds" },
		{ "events.subscribe", "{\"kinds\":[\"Queue\"]}", "kinds" },
		{ "events.subscribe", "{\"prefix\":7}", "prefix" },
		{ "events.subscribe", "{\"prefix\":null}", "prefix" },
		{ "events.subscribe", "{\"other\":1}", "other" },
		{ "events.unsubscribe", "{}", "subscription" },
		{ "events.unsubscribe", "{\"subscription\":0}",
		  "subscription" },
		{ "events.unsubscribe", "{\"subscription\":\"1\"}",
		  "subscription" },
		{ "events.unsubscribe", "{\"subscription\":1.5}",
		  "subscription" },
	};

	return cr_make_param_array(struct bad_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_case *c, events, bad_params)
{
	json_t *r;
	const char *name;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	r = test_call(fd, c->method, test_json(c->params));
	cr_assert_eq(test_error_code(r, &name), -32602);
	cr_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(json_object_get(r, "error"), "data"),
			"field")),
		c->field);
	json_decref(r);
	/* A prefix longer than a name. */
	{
		char big[300];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		r = test_call(fd, "events.subscribe",
			      json_pack("{s:s}", "prefix", big));
		cr_assert_eq(test_error_code(r, NULL), -32602);
		json_decref(r);
	}
	/* Nothing was subscribed: the connection is told nothing. */
	test_ok0(fd, "queue.create", test_nm("q"));
	expect_none(fd);
	close(fd);
	mpdd_stop_all(&d);
}

#define NOBODY 65534

/* As nobody: subscribe to everything, run a process of its own, tell
 * the parent (ready), then read until the queue "done" was created and
 * its own process exited. Returns 0, or the check that failed. */
static int nobody_watches(const char *socket, int ready)
{
	bool done = false, mine = false, open_l = false;
	json_t *r;
	int fd;

	if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 ||
	    setuid(NOBODY) != 0)
		return 100;
	fd = test_try_connect(socket);
	if (fd < 0)
		return 101;
	r = test_call(fd, "events.subscribe", NULL);
	if (json_object_get(r, "result") == NULL)
		return 102;
	json_decref(r);
	/* Its events come before the reply: the loop below skips it. */
	test_send_call(fd, "c", "process.create",
		       json_pack("{s:[s], s:s, s:s, s:b}", "argv", "/bin/true",
				 "name", "nobody-proc", "cwd", "/", "start",
				 1));
	if (write(ready, "r", 1) != 1)
		return 104;
	while (!done || !mine || !open_l) {
		char *text = test_read_line(fd, TEST_TIMEOUT_MS);
		json_t *msg, *ev;
		const char *name;

		if (text == NULL)
			return 105;
		msg = json_loads(text, 0, NULL);
		if (json_object_get(msg, "result") != NULL) {
			json_decref(msg);
			free(text);
			continue; /* process.create's */
		}
		ev = json_object_get(msg, "params");
		name = json_string_value(json_object_get(ev, "name"));
		if (name == NULL)
			return 106;
		if (strstr(text, "root-secret") != NULL)
			return 107; /* another uid's name, anywhere */
		if (strcmp(name, "done") == 0)
			done = true;
		if (strcmp(name, "open-l") == 0)
			open_l = true;
		if (strcmp(name, "nobody-proc") == 0 &&
		    strcmp(json_string_value(json_object_get(ev, "event")),
			   "exited") == 0)
			mine = true;
		json_decref(msg);
		free(text);
	}
	close(fd);
	return 0;
}

/* Another uid's processes are never told, not even their names, nor its
 * listeners that it alone may reach; broker objects, which every client
 * may reach, are, and listeners whose mode lets it connect; root is told
 * of all. */
Test(events, other_uid_sees_only_its_own)
{
	int pfd[2], status, sub, fd;
	long long id, s, nobody_id = 0;
	char c;
	pid_t pid;

	if (getuid() != 0)
		cr_skip_test("needs root to switch to nobody");
	mpdd_start(&d, NULL);
	cr_assert(chmod(d.dir, 0755) == 0 && chmod(d.socket, 0666) == 0);
	sub = test_connect(d.socket);
	fd = test_connect(d.socket);
	s = subscribe(sub, json_pack("{s:[s]}", "kinds", "process"));
	cr_assert(pipe(pfd) == 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		_exit(nobody_watches(d.socket, pfd[1]));
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1) {
		cr_assert(waitpid(pid, &status, 0) == pid);
		cr_assert_fail("nobody's side failed early: check %d",
			       WEXITSTATUS(status));
	}
	close(pfd[0]);
	id = test_start_proc(fd, json_pack("{s:[s], s:s}", "argv", "true",
					   "name", "root-secret"));
	json_decref(test_call_id(fd, "process.join", id, NULL));
	/* A listener of root's alone is not told; one everyone may
	 * connect to is. */
	test_ok0(fd, "listener.create", test_nm("root-secret-l"));
	test_ok0(fd, "listener.create",
		 json_pack("{s:s, s:s}", "name", "open-l", "mode", "everyone"));
	test_ok0(fd, "queue.create", test_nm("done"));
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "check %d failed as nobody", WEXITSTATUS(status));
	/* Root is told of nobody's process, and of its own. */
	for (int seen = 0; seen < 2;) {
		json_t *ev = next_event(sub);

		cr_assert_eq(json_integer_value(json_array_get(
				     json_object_get(ev, "subscriptions"), 0)),
			     s);
		if (strcmp(str(ev, "event"), "exited") == 0) {
			if (strcmp(str(ev, "name"), "nobody-proc") == 0) {
				cr_assert_eq(test_int(ev, "uid"), NOBODY);
				nobody_id = test_int(ev, "id");
				seen++;
			} else if (strcmp(str(ev, "name"), "root-secret") ==
				   0) {
				seen++;
			}
		}
		json_decref(ev);
	}
	cr_assert_gt(nobody_id, 0);
	close(sub);
	close(fd);
	mpdd_stop_all(&d);
}

#define FLOOD_PAIRS 20000 /* queues created and deleted */
#define FLOOD_BATCH 500

/*
 * A subscriber that does not read while 40000 events happen: the
 * daemon's memory does not grow with them, another client is served
 * throughout, the subscriber is not dropped, and when it reads again it
 * gets what was queued and markers counting exactly what was not, then
 * the events that follow.
 */
Test(events, flood_with_a_reader_that_does_not_read)
{
	static const char *const args[] = { "--max-output", "256K", NULL };
	long long s, got = 0, dropped = 0, markers = 0;
	long rss0 = 0, rss1;
	int sub, fd, other;

	mpdd_start(&d, args);
	sub = test_connect(d.socket);
	fd = test_connect(d.socket);
	other = test_connect(d.socket);
	s = subscribe(sub, json_pack("{s:[s]}", "kinds", "queue"));
	for (int b = 0; b < FLOOD_PAIRS / FLOOD_BATCH; b++) {
		json_t *batch = json_array(), *reply;
		char *text, name[32];

		for (int i = 0; i < FLOOD_BATCH; i++) {
			snprintf(name, sizeof(name), "flood-%d",
				 b * FLOOD_BATCH + i);
			json_array_append_new(
				batch, json_pack("{s:s, s:s, s:o, s:i}",
						 "jsonrpc", "2.0", "method",
						 "queue.create", "params",
						 test_nm(name), "id", 2 * i));
			json_array_append_new(
				batch,
				json_pack("{s:s, s:s, s:o, s:i}", "jsonrpc",
					  "2.0", "method", "queue.delete",
					  "params", test_nm(name), "id",
					  2 * i + 1));
		}
		text = json_dumps(batch, JSON_COMPACT);
		reply = test_rpc_line(fd, text);
		cr_assert(json_is_array(reply) &&
			  json_array_size(reply) == 2 * FLOOD_BATCH);
		for (size_t i = 0; i < json_array_size(reply); i++)
			cr_assert(json_object_get(json_array_get(reply, i),
						  "result") != NULL);
		free(text);
		json_decref(reply);
		json_decref(batch);
		/* Others are served meanwhile. */
		test_ok0(other, "daemon.ping", NULL);
		/* The first batches size the daemon's buffers (and the
		 * subscriber's socket fills): from then on, nothing may
		 * grow with the events. */
		if (b == 4)
			rss0 = test_rss_kib(d.pid);
	}
	rss1 = test_rss_kib(d.pid);
	/* The 35000 events since are some 3.5 MiB of lines; what is kept
	 * for an unread subscriber is a quarter of max_output (64 KiB). */
	if (!test_sanitized())
		cr_assert_lt(rss1 - rss0, 1024,
			     "mpdd grew by %ld KiB for an unread subscriber",
			     rss1 - rss0);

	/*
	 * Read everything: what was queued and the markers of what was not
	 * (a drop phase has its marker once room comes back, and the
	 * socket may have taken some lines mid-flood: there may be more
	 * than one). Once they account for every event of the flood,
	 * nothing more is owed, and the next event is the queue "end".
	 */
	while (got + dropped < 2 * FLOOD_PAIRS) {
		json_t *ev = next_event(sub);

		if (strcmp(str(ev, "kind"), "events") == 0) {
			cr_assert_str_eq(str(ev, "event"), "dropped");
			cr_assert_gt(test_int(ev, "count"), 0);
			cr_assert_eq(
				json_integer_value(json_array_get(
					json_object_get(ev, "subscriptions"),
					0)),
				s);
			dropped += test_int(ev, "count");
			markers++;
		} else {
			cr_assert_str_eq(str(ev, "kind"), "queue");
			got++;
		}
		json_decref(ev);
	}
	cr_assert_eq(got + dropped, 2 * FLOOD_PAIRS, "got %lld, dropped %lld",
		     got, dropped);
	cr_assert_gt(markers, 0);
	cr_assert_gt(got, 0);
	test_ok0(fd, "queue.create", test_nm("end"));
	expect0(sub, "queue", "created", "end", s, NULL);
	test_ok0(sub, "daemon.ping", NULL);
	close(other);
	close(sub);
	close(fd);
	mpdd_stop_all(&d);
}
