/*
 * test-attack.c - today's features against a hostile local user and a
 * hostile workload: another uid reading or waiting on captured output, a
 * worker that writes at full speed for ever, waits parked by a client
 * that vanishes, a record dropped under a wait, descriptors of capturing
 * starts that succeed, fail or are refused, and "ctty" with stdin that is
 * no terminal of the worker's own.
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
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "harness.h"

static struct mpdd d;

static void teardown(void)
{
	mpdd_teardown(&d);
}

TestSuite(attack, .fini = teardown, .timeout = 180);

/* process.create (start: true) of params; returns the id. */
static long long start_proc(int fd, json_t *params)
{
	json_t *reply;
	long long id;

	json_object_set_new(params, "start", json_true());
	reply = test_call(fd, "process.create", params);
	id = test_int(test_result(reply), "id");
	json_decref(reply);
	return id;
}

/* "sh -c script" with stdout and stderr captured. */
static json_t *sh_capture(const char *script)
{
	return json_pack("{s:[sss], s:s, s:s}", "argv", "sh", "-c", script,
			 "stdout", "capture", "stderr", "capture");
}

/* A call on id with params extra (stolen, may be NULL); the reply. */
static json_t *call_id(int fd, const char *method, long long id, json_t *extra)
{
	json_t *params = extra != NULL ? extra : json_object();

	json_object_set_new(params, "id", json_integer(id));
	return test_call(fd, method, params);
}

/* A call on id that must succeed; its reply is dropped. */
static void ok_id(int fd, const char *method, long long id, json_t *extra)
{
	json_t *r = call_id(fd, method, id, extra);

	test_result(r);
	json_decref(r);
}

/* Read id's stream until it ends, waiting for it. */
static void wait_ended(int fd, long long id)
{
	long long after = -1;
	bool ended = false;

	while (!ended) {
		json_t *p = json_pack("{s:i}", "timeout", 20), *r;

		if (after >= 0)
			json_object_set_new(p, "after", json_integer(after));
		r = call_id(fd, "process.output", id, p);
		ended = json_is_true(json_object_get(test_result(r), "ended"));
		after = test_int(test_result(r), "next");
		json_decref(r);
	}
}

/* Wait until fd is the daemon's only connection (it saw the others
 * close), asking it on fd. */
static void only_connection(int fd)
{
	for (int i = 0;; i++) {
		json_t *r = test_call(fd, "daemon.info", NULL);
		long long n = test_int(test_result(r), "connections");

		json_decref(r);
		if (n == 1)
			return;
		cr_assert_lt(i, TEST_TIMEOUT_MS, "%lld connections", n);
		usleep(1000);
	}
}

/* Resident memory of process pid, in KiB. */
static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "r");
	cr_assert(f != NULL);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	cr_assert_gt(kib, 0);
	return kib;
}

static bool sanitized(void)
{
	const char *s = getenv("MPD_TEST_SANITIZE");

	return s != NULL && *s != '\0' && strcmp(s, "none") != 0;
}

/* Drop root for nobody; false when that fails. */
static bool become_nobody(void)
{
	return setgroups(0, NULL) == 0 && setgid(65534) == 0 &&
	       setuid(65534) == 0;
}

/* The error of reply is permission_denied, and it tells nothing of the
 * stream: no data, no offsets. */
static bool denied_quietly(json_t *reply)
{
	json_t *err = json_object_get(reply, "error");
	const char *name = NULL;

	if (json_object_get(reply, "result") != NULL || err == NULL ||
	    json_integer_value(json_object_get(err, "code")) != 4)
		return false;
	name = json_string_value(
		json_object_get(json_object_get(err, "data"), "name"));
	if (name == NULL || strcmp(name, "permission_denied") != 0)
		return false;
	return json_object_get(json_object_get(err, "data"), "end") == NULL &&
	       json_object_get(json_object_get(err, "data"), "offset") == NULL;
}

/* As nobody: every process.output of root's process id ("w" by name),
 * whatever its params, is refused at once, telling nothing. Returns the
 * number of the check that failed, 0 when all held. */
static int nobody_reads(const char *socket, long long id, long long end)
{
	json_t *params[] = {
		json_pack("{s:I}", "id", id),
		json_pack("{s:s}", "name", "w"),
		/* Past the end: invalid_params would tell the length. */
		json_pack("{s:I, s:I}", "id", id, "after", end + 1000),
		json_pack("{s:I, s:I}", "id", id, "after", end),
		json_pack("{s:I, s:i}", "id", id, "max", 1),
		/* A wait must not park: it answers at once. */
		json_pack("{s:I, s:I, s:i}", "id", id, "after", end, "timeout",
			  60),
		json_pack("{s:s, s:i}", "name", "w", "timeout", 60),
	};
	int fd;

	if (!become_nobody())
		return 100;
	fd = test_try_connect(socket);
	if (fd < 0)
		return 101;
	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		json_t *r = test_call(fd, "process.output", params[i]);

		if (!denied_quietly(r))
			return (int)i + 1;
		json_decref(r);
	}
	close(fd);
	return 0;
}

Test(attack, another_uid_can_neither_read_nor_wait_on_output)
{
	int fd, in[2], status;
	long long id, end;
	json_t *p, *r;
	pid_t pid;

	if (getuid() != 0)
		cr_skip_test("needs root to switch to nobody");
	mpdd_start(&d, NULL);
	cr_assert(chmod(d.dir, 0755) == 0 && chmod(d.socket, 0666) == 0);
	fd = test_connect(d.socket);
	/* A live stream (so a wait could park), with bytes in it. */
	cr_assert(pipe2(in, O_CLOEXEC) == 0);
	p = sh_capture("echo secret; read x");
	json_object_set_new(p, "name", json_string("w"));
	json_object_set_new(p, "stdin", json_string("pass"));
	json_object_set_new(p, "start", json_true());
	r = test_call_fds(fd, "process.create", p, &in[0], 1);
	id = test_int(test_result(r), "id");
	json_decref(r);
	close(in[0]);
	r = call_id(fd, "process.output", id,
		    json_pack("{s:i, s:i}", "after", 0, "timeout", 20));
	end = test_int(test_result(r), "next");
	cr_assert_eq(end, 7);
	json_decref(r);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(nobody_reads(d.socket, id, end));
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "check %d failed as nobody", WEXITSTATUS(status));
	close(in[1]);
	wait_ended(fd, id);
	close(fd);
	mpdd_stop_all(&d);
}

/* Does the error of reply tell id: as data.id, or as "process ID" or
 * "id ID" in its message? */
static bool tells_id(json_t *reply, long long id)
{
	json_t *err = json_object_get(reply, "error");
	const char *msg = json_string_value(json_object_get(err, "message"));
	char pat[2][48];

	if (json_object_get(json_object_get(err, "data"), "id") != NULL)
		return true;
	snprintf(pat[0], sizeof(pat[0]), "process %lld", id);
	snprintf(pat[1], sizeof(pat[1]), "id %lld", id);
	for (int i = 0; i < 2 && msg != NULL; i++) {
		const char *at = strstr(msg, pat[i]);

		if (at != NULL &&
		    (at[strlen(pat[i])] < '0' || at[strlen(pat[i])] > '9'))
			return true;
	}
	return false;
}

/* As nobody, addressing root's process by name: does any refusal tell
 * its id? Returns the check that failed, 0 when none did. */
static int nobody_by_name(const char *socket, long long id)
{
	static const char *const methods[] = { "process.output", "process.info",
					       "process.join",
					       "process.close" };
	int fd;

	if (!become_nobody())
		return 100;
	fd = test_try_connect(socket);
	if (fd < 0)
		return 101;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		json_t *r = test_call(fd, methods[i],
				      json_pack("{s:s}", "name",
						"secret-name-xyz"));
		if (json_object_get(r, "error") == NULL || tells_id(r, id))
			return (int)i + 1;
		json_decref(r);
	}
	/* What process.create's "exists" promises already. */
	{
		json_t *r = test_call(fd, "process.create",
				      json_pack("{s:[s], s:s}", "argv", "true",
						"name", "secret-name-xyz"));
		const char *msg = json_string_value(json_object_get(
			json_object_get(r, "error"), "message"));

		if (msg == NULL || tells_id(r, id) ||
		    strstr(msg, "running") != NULL)
			return 10;
		json_decref(r);
	}
	close(fd);
	return 0;
}

Test(attack, a_refusal_by_name_does_not_tell_another_users_id)
{
	int fd, status;
	long long id = 0;
	json_t *r;
	pid_t pid;

	if (getuid() != 0)
		cr_skip_test("needs root to switch to nobody");
	mpdd_start(&d, NULL);
	cr_assert(chmod(d.dir, 0755) == 0 && chmod(d.socket, 0666) == 0);
	fd = test_connect(d.socket);
	/* An id that is not 1. */
	for (int i = 0; i < 4; i++) {
		r = test_call(fd, "process.create",
			      json_pack("{s:[s]}", "argv", "true"));
		ok_id(fd, "process.close", test_int(test_result(r), "id"),
		      NULL);
		json_decref(r);
	}
	id = start_proc(fd, json_pack("{s:[ss], s:s, s:s}", "argv", "sleep",
				      "1000", "name", "secret-name-xyz",
				      "stdout", "capture"));
	cr_assert_eq(id, 5);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(nobody_by_name(d.socket, id));
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "check %d told the id of another user's process",
		  WEXITSTATUS(status));
	ok_id(fd, "process.kill", id, NULL);
	ok_id(fd, "process.join", id, NULL);
	close(fd);
	mpdd_stop_all(&d);
}

/* The stream's length so far ("end") of id's output. */
static long long output_end(int fd, long long id)
{
	json_t *r =
		call_id(fd, "process.output", id, json_pack("{s:i}", "max", 1));
	long long end = test_int(test_result(r), "end");

	json_decref(r);
	return end;
}

Test(attack, a_worker_writing_for_ever_keeps_the_daemon_bounded_and_serving)
{
	const long long flood = 256LL << 20;
	long long id, end = 0;
	long rss0, rss1;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	test_assert_ping(d.socket);
	rss0 = rss_kib(d.pid);
	/* Both streams into one ring, as fast as the pipe takes them. */
	id = start_proc(fd, sh_capture("yes xxxxxxxxxxxxxxxxxxxxxxx & "
				       "yes yyyyyyyyyyyyyyyyyyyy >&2"));
	while ((end = output_end(fd, id)) < flood)
		test_assert_ping(d.socket); /* others are served meanwhile */
	rss1 = rss_kib(d.pid);
	/* The ring is 64 KiB; the rest of the daemon's memory does not grow
	 * with what went through it. */
	if (!sanitized())
		cr_assert_lt(rss1 - rss0, 16 * 1024,
			     "mpdd grew by %ld KiB after %lld bytes",
			     rss1 - rss0, end);
	{
		json_t *r = call_id(fd, "process.output", id, NULL), *res;

		res = test_result(r);
		cr_assert_geq(test_int(res, "offset"), flood - (64 << 10));
		cr_assert_leq(
			strlen(json_string_value(json_object_get(res, "data"))),
			64 << 10);
		json_decref(r);
	}
	/* The kill reaches the group: both writers go, the stream ends. */
	ok_id(fd, "process.kill", id, NULL);
	ok_id(fd, "process.join", id, NULL);
	wait_ended(fd, id);
	close(fd);
	mpdd_stop_all(&d);
}

/* Send n process.output waits on id from after (timeout seconds) on fd,
 * then a ping; returns once the ping's reply came (all are parked). */
static void park_many(int fd, long long id, long long after, int n, int timeout)
{
	char line[256], *reply;

	for (int i = 0; i < n; i++) {
		snprintf(line, sizeof(line),
			 "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":"
			 "\"process.output\",\"params\":{\"id\":%lld,"
			 "\"after\":%lld,\"timeout\":%d}}\n",
			 i, id, after, timeout);
		test_send_str(fd, line);
	}
	test_send_str(fd, "{\"jsonrpc\":\"2.0\",\"id\":\"p\",\"method\":"
			  "\"daemon.ping\"}\n");
	reply = test_read_line(fd, TEST_TIMEOUT_MS);
	cr_assert(reply != NULL && strstr(reply, "\"id\":\"p\"") != NULL,
		  "expected the ping's reply first, got %s", reply);
	free(reply);
}

/* Start "sh -c script" capturing, stdin from a pipe whose write end goes
 * to *in. Returns the id. */
static long long start_fed(int fd, const char *script, int *in)
{
	json_t *p = sh_capture(script), *reply;
	int pfd[2];
	long long id;

	cr_assert(pipe2(pfd, O_CLOEXEC) == 0);
	json_object_set_new(p, "stdin", json_string("pass"));
	json_object_set_new(p, "start", json_true());
	reply = test_call_fds(fd, "process.create", p, &pfd[0], 1);
	id = test_int(test_result(reply), "id");
	json_decref(reply);
	close(pfd[0]);
	*in = pfd[1];
	return id;
}

Test(attack, many_waits_of_a_client_that_vanishes_go_with_it)
{
	int fd, w, in, fds0;
	long long id;
	json_t *r;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	only_connection(fd);
	fds0 = test_count_fds(d.pid);
	id = start_fed(fd, "read x; echo $x; read y; echo $y", &in);
	for (int round = 0; round < 3; round++) {
		w = test_connect(d.socket);
		park_many(w, id, 0, 300, 60);
		test_forget(w);
		close(w);
	}
	/* Bytes come to a ring whose waiters' connections are gone. */
	cr_assert_eq(write(in, "late\n", 5), 5);
	r = call_id(fd, "process.output", id,
		    json_pack("{s:i, s:i}", "after", 0, "timeout", 20));
	cr_assert_eq(test_int(test_result(r), "next"), 5);
	json_decref(r);
	/* A new waiter still gets them, and then the end. */
	w = test_connect(d.socket);
	park_many(w, id, 5, 5, 20);
	cr_assert_eq(write(in, "more\n", 5), 5);
	for (int i = 0; i < 5; i++) {
		char *line = test_read_line(w, TEST_TIMEOUT_MS);

		cr_assert(line != NULL);
		r = test_json(line);
		free(line);
		cr_assert_str_eq(json_string_value(json_object_get(
					 test_result(r), "data")),
				 "more\n");
		json_decref(r);
	}
	close(in);
	ok_id(fd, "process.join", id, NULL);
	wait_ended(fd, id);
	ok_id(fd, "process.close", id, NULL);
	test_forget(w);
	close(w);
	only_connection(fd);
	/* Nothing of the pipe, the waits or their connections is left. */
	cr_assert_eq(test_count_fds(d.pid), fds0);
	close(fd);
	mpdd_stop(&d);
}

Test(attack, a_record_dropped_under_a_wait_answers_it_not_found)
{
	const char *extra[] = { "--max-exited", "1", NULL };
	long long a, b, next;
	const char *name;
	int fd, w;
	pid_t child;
	json_t *r;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	/* a ends at once; its child keeps the pipe, so its stream goes on. */
	a = start_proc(fd, sh_capture("sleep 1000 & echo $!"));
	ok_id(fd, "process.join", a, NULL);
	r = call_id(fd, "process.output", a,
		    json_pack("{s:i, s:i}", "after", 0, "timeout", 20));
	child = (pid_t)atoi(
		json_string_value(json_object_get(test_result(r), "data")));
	next = test_int(test_result(r), "next");
	cr_assert_gt(child, 0);
	json_decref(r);
	w = test_connect(d.socket);
	park_many(w, a, next, 3, 60);
	/* b's end drops a's record, the oldest ended one past max_exited. */
	b = start_proc(fd, json_pack("{s:[s]}", "argv", "true"));
	ok_id(fd, "process.join", b, NULL);
	for (int i = 0; i < 3; i++) {
		char *line = test_read_line(w, TEST_TIMEOUT_MS);

		cr_assert(line != NULL);
		r = test_json(line);
		free(line);
		cr_assert_eq(test_error_code(r, &name), 1);
		cr_assert_str_eq(name, "not_found");
		json_decref(r);
	}
	r = call_id(fd, "process.info", a, NULL);
	cr_assert_eq(test_error_code(r, &name), 1);
	json_decref(r);
	cr_assert_eq(test_info_int(fd, "processes", "capture_bytes"), 0);
	/* The child writes on into a pipe nobody reads: it gets EPIPE, and
	 * the daemon, whose ring is gone, nothing. */
	kill(child, SIGKILL);
	test_assert_ping(d.socket);
	test_forget(w);
	close(w);
	close(fd);
	mpdd_stop_all(&d);
}

Test(attack, capturing_starts_leave_no_descriptor_behind)
{
	const char *extra[] = { "--capture-size", "4K", "--max-capture-bytes",
				"8K", NULL };
	const char *name;
	int fd, fds0;
	long long held;
	json_t *r;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	only_connection(fd);
	fds0 = test_count_fds(d.pid);
	for (int i = 0; i < 20; i++) {
		long long id;

		/* One that runs. */
		id = start_proc(fd, sh_capture("echo hi"));
		ok_id(fd, "process.join", id, NULL);
		wait_ended(fd, id);
		ok_id(fd, "process.close", id, NULL);
		/* One that fails at exec, and one at stdio (ctty). */
		for (int k = 0; k < 2; k++) {
			json_t *p = json_pack(
				"{s:[s], s:s, s:s, s:b, s:s}", "argv",
				k == 0 ? "/nonexistent/prog" : "true", "stdout",
				"capture", "stderr", "capture", "start", 1,
				"start_method", i % 2 ? "spawn" : "forkserver");

			if (k == 1)
				json_object_set_new(p, "ctty", json_true());
			r = test_call(fd, "process.create", p);
			cr_assert_eq(test_error_code(r, &name), 8);
			id = test_int(
				json_object_get(json_object_get(r, "error"),
						"data"),
				"id");
			json_decref(r);
			wait_ended(fd, id);
			ok_id(fd, "process.close", id, NULL);
		}
	}
	/* Creates refused by max_capture_bytes. */
	r = test_call(fd, "process.create",
		      json_pack("{s:[s], s:s}", "argv", "true", "stdout",
				"capture"));
	held = test_int(test_result(r), "id");
	json_decref(r);
	r = test_call(fd, "process.create",
		      json_pack("{s:[s], s:s}", "argv", "true", "stdout",
				"capture"));
	test_result(r);
	json_decref(r);
	for (int i = 0; i < 10; i++) {
		r = test_call(fd, "process.create",
			      json_pack("{s:[s], s:s, s:b}", "argv", "true",
					"stderr", "capture", "start", 1));
		cr_assert_eq(test_error_code(r, &name), 9);
		json_decref(r);
	}
	ok_id(fd, "process.close", held, NULL);
	only_connection(fd);
	cr_assert_eq(test_count_fds(d.pid), fds0);
	close(fd);
	mpdd_stop_all(&d);
}

/* ctty with a stdin that is no terminal the worker may take. */
struct ctty_case {
	char stdin_kind[8]; /* pipe, file, null, slave, master */
	char method[16];
	bool pool;
	int err;
};

ParameterizedTestParameters(attack, ctty_without_a_terminal_of_its_own_fails)
{
	static struct ctty_case cases[] = {
		{ "pipe", "forkserver", false, ENOTTY },
		{ "pipe", "spawn", false, ENOTTY },
		{ "pipe", "forkserver", true, ENOTTY },
		{ "file", "forkserver", false, ENOTTY },
		{ "file", "spawn", true, ENOTTY },
		{ "null", "forkserver", true, ENOTTY },
		/* The daemon's own terminal, by its slave or its master:
		 * another session's, never stolen. */
		{ "slave", "forkserver", false, EPERM },
		{ "slave", "spawn", false, EPERM },
		{ "slave", "forkserver", true, EPERM },
		{ "master", "forkserver", false, EPERM },
		{ "master", "spawn", true, EPERM },
	};
	return cr_make_param_array(struct ctty_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

/* The tty_nr of process pid (0: none). */
static long tty_nr(pid_t pid)
{
	char path[64], buf[1024], *p;
	long nr = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "r");
	cr_assert(f != NULL);
	cr_assert(fgets(buf, sizeof(buf), f) != NULL);
	fclose(f);
	p = strrchr(buf, ')');
	cr_assert(p != NULL);
	cr_assert_eq(sscanf(p + 2, "%*c %*d %*d %*d %ld", &nr), 1);
	return nr;
}

ParameterizedTest(struct ctty_case *c, attack,
		  ctty_without_a_terminal_of_its_own_fails)
{
	const char *pool[] = { "--pool", "1", NULL };
	int master, fd, pass = -1, other = -1;
	json_t *p, *r, *data;
	const char *name;
	long tty;

	master = mpdd_start_tty(&d, c->pool ? pool : NULL);
	tty = tty_nr(d.pid);
	cr_assert_neq(tty, 0);
	fd = test_connect(d.socket);
	p = json_pack("{s:[s], s:b, s:b, s:s}", "argv", "true", "ctty", 1,
		      "start", 1, "start_method", c->method);
	if (strcmp(c->stdin_kind, "pipe") == 0) {
		int pfd[2];

		cr_assert(pipe2(pfd, O_CLOEXEC) == 0);
		pass = pfd[0];
		other = pfd[1];
	} else if (strcmp(c->stdin_kind, "slave") == 0) {
		pass = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
		cr_assert(pass >= 0);
	} else if (strcmp(c->stdin_kind, "master") == 0) {
		pass = master;
	} else if (strcmp(c->stdin_kind, "file") == 0) {
		json_object_set_new(p, "stdin",
				    json_pack("{s:s}", "file", d.log));
	} else {
		json_object_set_new(p, "stdin", json_string("null"));
	}
	if (pass >= 0) {
		json_object_set_new(p, "stdin", json_string("pass"));
		r = test_call_fds(fd, "process.create", p, &pass, 1);
	} else {
		r = test_call(fd, "process.create", p);
	}
	cr_assert_eq(test_error_code(r, &name), 8, "ctty with stdin %s",
		     c->stdin_kind);
	cr_assert_str_eq(name, "spawn_failed");
	data = json_object_get(json_object_get(r, "error"), "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "stage")),
			 "stdio");
	cr_assert_eq(test_int(data, "errno"), c->err);
	json_decref(r);
	/* The daemon keeps its terminal, and serves on. */
	cr_assert_eq(tty_nr(d.pid), tty);
	test_assert_ping(d.socket);
	if (pass >= 0 && pass != master)
		close(pass);
	if (other >= 0)
		close(other);
	close(fd);
	/* Stop it before the hang-up (SIGHUP reloads it). */
	mpdd_stop_all(&d);
	close(master);
}
