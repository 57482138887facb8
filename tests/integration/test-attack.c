/*
 * test-attack.c - today's features against a hostile local user and a
 * hostile workload: another uid reading or waiting on captured output, a
 * worker that writes at full speed for ever, waits parked by a client
 * that vanishes, a record dropped under a wait, descriptors of capturing
 * starts that succeed, fail or are refused, and "ctty" with stdin that is
 * no terminal of the worker's own; and the synchronization objects: a
 * dead worker's child that keeps its connection, a client that never
 * reads or half-closes while it holds, holds and waits pipelined, in
 * batches, as notifications and under a delete, thousands of waits or
 * holds given back at once, leases, timeouts and counts at their
 * extremes, another uid at a connection's holds, and garbage params.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

TestSuite(attack, .fini = teardown, .timeout = 180);

/* A call on id that must succeed; its reply is dropped. */
static void ok_id(int fd, const char *method, long long id, json_t *extra)
{
	json_t *r = test_call_id(fd, method, id, extra);

	test_result(r);
	json_decref(r);
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
	p = test_sh_capture("echo secret; read x");
	json_object_set_new(p, "name", json_string("w"));
	json_object_set_new(p, "stdin", json_string("pass"));
	json_object_set_new(p, "start", json_true());
	r = test_call_fds(fd, "process.create", p, &in[0], 1);
	id = test_int(test_result(r), "id");
	json_decref(r);
	close(in[0]);
	r = test_call_id(fd, "process.output", id,
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
	test_wait_ended(fd, id);
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
	id = test_start_proc(
		fd, json_pack("{s:[ss], s:s, s:s}", "argv", "sleep", "1000",
			      "name", "secret-name-xyz", "stdout", "capture"));
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
	json_t *r = test_call_id(fd, "process.output", id,
				 json_pack("{s:i}", "max", 1));
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
	id = test_start_proc(fd,
			     test_sh_capture("yes xxxxxxxxxxxxxxxxxxxxxxx & "
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
		json_t *r = test_call_id(fd, "process.output", id, NULL), *res;

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
	test_wait_ended(fd, id);
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

Test(attack, many_waits_of_a_client_that_vanishes_go_with_it)
{
	int fd, w, in, fds0;
	long long id;
	json_t *r;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	only_connection(fd);
	fds0 = test_count_fds(d.pid);
	id = test_start_fed(
		fd, test_sh_capture("read x; echo $x; read y; echo $y"), &in);
	for (int round = 0; round < 3; round++) {
		w = test_connect(d.socket);
		park_many(w, id, 0, 300, 60);
		test_forget(w);
		close(w);
	}
	/* Bytes come to a ring whose waiters' connections are gone. */
	cr_assert_eq(write(in, "late\n", 5), 5);
	r = test_call_id(fd, "process.output", id,
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
	test_wait_ended(fd, id);
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
	a = test_start_proc(fd, test_sh_capture("sleep 1000 & echo $!"));
	ok_id(fd, "process.join", a, NULL);
	r = test_call_id(fd, "process.output", a,
			 json_pack("{s:i, s:i}", "after", 0, "timeout", 20));
	child = (pid_t)atoi(
		json_string_value(json_object_get(test_result(r), "data")));
	next = test_int(test_result(r), "next");
	cr_assert_gt(child, 0);
	json_decref(r);
	w = test_connect(d.socket);
	park_many(w, a, next, 3, 60);
	/* b's end drops a's record, the oldest ended one past max_exited. */
	b = test_start_proc(fd, json_pack("{s:[s]}", "argv", "true"));
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
	r = test_call_id(fd, "process.info", a, NULL);
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
		id = test_start_proc(fd, test_sh_capture("echo hi"));
		ok_id(fd, "process.join", id, NULL);
		test_wait_ended(fd, id);
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
			test_wait_ended(fd, id);
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

/* --- Synchronization objects ------------------------------------------ */

/* The next line on fd, parsed (a new reference); it must come. */
static json_t *next_reply(int fd)
{
	char *text = test_read_line(fd, TEST_TIMEOUT_MS);
	json_t *r;

	cr_assert(text != NULL, "the connection closed");
	r = test_json(text);
	free(text);
	return r;
}

/* daemon.info's broker.bytes, asked on fd. */
static long long broker_bytes(int fd)
{
	json_t *r = test_ok(fd, "daemon.info", NULL);
	long long n = test_int(json_object_get(r, "broker"), "bytes");

	json_decref(r);
	return n;
}

/* condition.notify of name: how many it woke. */
static long long woken(int fd, const char *name)
{
	json_t *r = test_ok(fd, "condition.notify", test_nm(name));
	long long n = test_int(r, "woken");

	json_decref(r);
	return n;
}

static const char *module(void)
{
	const char *m = getenv("MPD_TEST_MODULE");

	cr_assert(m != NULL, "MPD_TEST_MODULE is not set");
	return m;
}

/*
 * Start a worker of the test module's call_and_hold that makes call
 * (method, params: stolen) with fork as it takes it ("none", "after",
 * "before"), its stdout a pipe whose read end goes to *out. Returns the
 * worker's id at once: the call may park.
 */
static long long start_caller(int fd, const char *method, json_t *params,
			      const char *fork, int *out)
{
	json_t *p, *reply;
	int pfd[2];
	long long id;

	cr_assert(pipe2(pfd, O_CLOEXEC) == 0);
	p = json_pack("{s:s, s:s, s:{s:s, s:o, s:s}, s:s, s:b}", "module",
		      module(), "function", "call_and_hold", "args", "method",
		      method, "params", params, "fork", fork, "stdout", "pass",
		      "start", 1);
	reply = test_call_fds(fd, "process.create", p, &pfd[1], 1);
	close(pfd[1]);
	id = test_int(test_result(reply), "id");
	json_decref(reply);
	*out = pfd[0];
	return id;
}

/* The line call_and_hold printed on out (a new reference). */
static json_t *caller_line(int out)
{
	char *text = test_read_line(out, TEST_TIMEOUT_MS);
	json_t *line;

	cr_assert(text != NULL, "the worker printed nothing");
	line = test_json(text);
	free(text);
	return line;
}

/* Kill worker id alone (not its group) and wait for its end. */
static void kill_worker_alone(int fd, long long id)
{
	test_ok0(fd, "process.kill",
		 json_pack("{s:I, s:b}", "id", (json_int_t)id, "group", 0));
	test_ok0(fd, "process.join", json_pack("{s:I}", "id", (json_int_t)id));
}

/* The pids of what holds kind name (lock or semaphore) now: *n of them
 * into pids. */
static void holder_pids(int fd, const char *kind, const char *name,
			long long *pids, size_t *n)
{
	json_t *r = test_info(fd, kind, name), *h, *list;
	size_t i;

	*n = 0;
	if (strcmp(kind, "lock") == 0) {
		h = json_object_get(r, "holder");
		if (json_is_object(h))
			pids[(*n)++] = test_int(h, "pid");
	} else {
		list = json_object_get(r, "holders");
		cr_assert(json_is_array(list));
		json_array_foreach (list, i, h)
			pids[(*n)++] = test_int(h, "pid");
	}
	json_decref(r);
}

/*
 * A worker forks a child (in its group) whose acquire parks, and dies:
 * when the lock (or permit) comes free, the dead worker's connection
 * must not keep it while the child lives on. It goes to the next waiter.
 */
static void dead_workers_parked_acquire(const char *kind)
{
	char create[32], acquire[32], release[32];
	long long id, child, pids[4];
	json_t *line, *res;
	int fd, a, out;
	size_t n;

	snprintf(create, sizeof(create), "%s.create", kind);
	snprintf(acquire, sizeof(acquire), "%s.acquire", kind);
	snprintf(release, sizeof(release), "%s.release", kind);
	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	a = test_connect(d.socket);
	test_ok0(fd, create, test_nm("l"));
	test_ok0(a, acquire, test_nm("l"));
	id = start_caller(fd, acquire, test_nm("l"), "before", &out);
	test_await_info(fd, kind, "l", "waiters", "1");
	kill_worker_alone(fd, id);
	/* Another client queues behind the dead worker's acquire. */
	test_send_call(fd, "next", acquire, test_nm("l"));
	test_await_info(a, kind, "l", "waiters", "2");
	test_ok0(a, release, test_nm("l"));
	res = test_result_for(fd, "next");
	cr_assert(test_bool(res, "acquired"));
	/* Handed to the dead worker's connection for an instant: the
	 * child was answered, and may have touched what it guards. */
	cr_assert(test_bool(res, "abandoned"));
	json_decref(res);
	holder_pids(a, kind, "l", pids, &n);
	cr_assert_eq(n, 1);
	cr_assert_eq(pids[0], getpid());
	/* The child's call was answered; it holds nothing. */
	line = caller_line(out);
	child = test_int(line, "child");
	json_decref(line);
	cr_assert_eq(kill((pid_t)child, SIGKILL), 0);
	test_hang_up(out);
	test_hang_up(a);
	test_hang_up(fd);
	mpdd_stop_all(&d);
}

Test(attack, a_dead_workers_parked_acquire_does_not_keep_the_lock)
{
	dead_workers_parked_acquire("lock");
}

Test(attack, a_dead_workers_parked_acquire_does_not_keep_the_permit)
{
	dead_workers_parked_acquire("semaphore");
}

/*
 * A client that never reads is handed a lock: it holds it (it is alive),
 * the daemon serves everyone else on, and once it leaves more than
 * max_output of replies unread it is dropped and the lock goes to the
 * next waiter, abandoned.
 */
Test(attack, a_client_that_never_reads_loses_its_lock_when_dropped)
{
	const char *opts[] = { "--max-output", "65536", NULL };
	char line[128], *log;
	json_t *r;
	int a, b, slow;

	mpdd_start(&d, opts);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	slow = test_connect(d.socket);
	test_ok0(a, "lock.create", test_nm("l"));
	test_ok0(a, "lock.acquire", test_nm("l"));
	test_send_call(slow, "s", "lock.acquire", test_nm("l"));
	test_await_info(a, "lock", "l", "waiters", "1");
	test_ok0(a, "lock.release", test_nm("l"));
	r = test_info(a, "lock", "l");
	cr_assert(test_bool(r, "locked"));
	json_decref(r);
	test_send_call(b, "b", "lock.acquire", test_nm("l"));
	test_await_info(a, "lock", "l", "waiters", "1");
	test_assert_ping(d.socket);
	/* Replies it never reads pile up: far more than the socket and
	 * max_output take. A write may fail once it is dropped. */
	for (int i = 0; i < 4000; i++) {
		int n = snprintf(line, sizeof(line),
				 "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":"
				 "\"daemon.info\"}\n",
				 i);

		if (send(slow, line, (size_t)n, MSG_NOSIGNAL) != n)
			break;
	}
	r = test_result_for(b, "b");
	cr_assert(test_bool(r, "acquired"));
	cr_assert(test_bool(r, "abandoned"));
	json_decref(r);
	log = mpdd_log(&d);
	cr_assert(strstr(log, "unread") != NULL);
	free(log);
	test_hang_up(slow);
	test_hang_up(a);
	test_hang_up(b);
	mpdd_stop(&d);
}

/*
 * A holder that half-closes (shutdown(SHUT_WR), as nc does) has nothing
 * parked: its connection closes after its replies, and the lock goes,
 * abandoned. One that half-closes with its acquire parked is answered
 * when it gets the lock, and then loses it as its connection closes.
 */
Test(attack, a_half_closed_holder_keeps_the_lock_only_while_served)
{
	json_t *r;
	int a, b, c;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	c = test_connect(d.socket);
	test_ok0(a, "lock.create", test_nm("l"));
	test_ok0(a, "lock.acquire", test_nm("l"));
	test_send_call(b, "b", "lock.acquire", test_nm("l"));
	test_await_info(c, "lock", "l", "waiters", "1");
	cr_assert_eq(shutdown(a, SHUT_WR), 0);
	cr_assert_eq(test_wait_eof(a, TEST_TIMEOUT_MS), 1);
	r = test_result_for(b, "b");
	cr_assert(test_bool(r, "acquired"));
	cr_assert(test_bool(r, "abandoned"));
	json_decref(r);

	/* b holds; c parks, half-closes, and c's acquire is still served. */
	test_send_call(c, "c", "lock.acquire", test_nm("l"));
	test_settle(c);
	cr_assert_eq(shutdown(c, SHUT_WR), 0);
	a = test_connect(d.socket);
	test_send_call(a, "a", "lock.acquire", test_nm("l"));
	test_await_info(b, "lock", "l", "waiters", "2");
	test_ok0(b, "lock.release", test_nm("l"));
	r = test_result_for(c, "c");
	cr_assert(test_bool(r, "acquired"));
	cr_assert(!test_bool(r, "abandoned"));
	json_decref(r);
	cr_assert_eq(test_wait_eof(c, TEST_TIMEOUT_MS), 1);
	r = test_result_for(a, "a");
	cr_assert(test_bool(r, "acquired"));
	cr_assert(test_bool(r, "abandoned"));
	json_decref(r);
	test_hang_up(a);
	test_hang_up(b);
	test_hang_up(c);
	mpdd_stop(&d);
}

/* acquire, release, acquire in one write, then as one batch: answered
 * in order, and the lock is held at the end. */
Test(attack, pipelined_and_batched_acquire_release_acquire)
{
	static const char pipelined[] =
		"{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"method\":\"lock.acquire\","
		"\"params\":{\"name\":\"l\"}}\n"
		"{\"jsonrpc\":\"2.0\",\"id\":\"2\",\"method\":\"lock.release\","
		"\"params\":{\"name\":\"l\"}}\n"
		"{\"jsonrpc\":\"2.0\",\"id\":\"3\",\"method\":\"lock.acquire\","
		"\"params\":{\"name\":\"l\"}}\n";
	static const char batch[] =
		"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lock.release\","
		"\"params\":{\"name\":\"l\"}},"
		"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"lock.acquire\","
		"\"params\":{\"name\":\"l\"}},"
		"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"lock.release\","
		"\"params\":{\"name\":\"l\"}},"
		"{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"lock.acquire\","
		"\"params\":{\"name\":\"l\"}}]\n";
	json_t *r, *res;
	size_t i;
	int fd, b;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	b = test_connect(d.socket);
	test_ok0(fd, "lock.create", test_nm("l"));
	test_send_str(fd, pipelined);
	res = test_result_for(fd, "1");
	cr_assert(test_bool(res, "acquired"));
	json_decref(res);
	res = test_result_for(fd, "2");
	cr_assert_eq(test_int(res, "count"), 0);
	json_decref(res);
	res = test_result_for(fd, "3");
	cr_assert(test_bool(res, "acquired"));
	cr_assert_eq(test_int(res, "count"), 1);
	json_decref(res);

	test_send_str(fd, batch);
	r = next_reply(fd);
	cr_assert(json_is_array(r) && json_array_size(r) == 4);
	json_array_foreach (r, i, res) {
		json_t *v = test_result(res);

		cr_assert_eq(json_integer_value(json_object_get(res, "id")),
			     (json_int_t)i + 1);
		if (i % 2 == 0)
			cr_assert_eq(test_int(v, "count"), 0);
		else
			cr_assert(test_bool(v, "acquired"));
	}
	json_decref(r);
	res = test_info(b, "lock", "l");
	cr_assert(test_bool(res, "locked"));
	cr_assert_eq(test_int(res, "count"), 1);
	json_decref(res);
	test_fails(b, "lock.release", test_nm("l"), "invalid_state");
	test_hang_up(fd);
	test_hang_up(b);
	mpdd_stop(&d);
}

/* Calls that may grant a hold, and barrier.wait, sent as notifications
 * in a batch: not run, no reply, nothing held or counted. */
Test(attack, holds_as_notifications_in_a_batch_are_not_run)
{
	static const char batch[] =
		"[{\"jsonrpc\":\"2.0\",\"method\":\"lock.acquire\","
		"\"params\":{\"name\":\"l\"}},"
		"{\"jsonrpc\":\"2.0\",\"method\":\"semaphore.acquire\","
		"\"params\":{\"name\":\"s\"}},"
		"{\"jsonrpc\":\"2.0\",\"method\":\"condition.acquire\","
		"\"params\":{\"name\":\"c\"}},"
		"{\"jsonrpc\":\"2.0\",\"method\":\"condition.wait\","
		"\"params\":{\"name\":\"c\"}},"
		"{\"jsonrpc\":\"2.0\",\"method\":\"barrier.wait\","
		"\"params\":{\"name\":\"b\"}}]\n";
	long long bytes;
	json_t *r;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	test_ok0(fd, "lock.create", test_nm("l"));
	test_ok0(fd, "semaphore.create", test_nm("s"));
	test_ok0(fd, "condition.create", test_nm("c"));
	test_ok0(fd, "barrier.create",
		 json_pack("{s:s, s:i}", "name", "b", "parties", 2));
	bytes = broker_bytes(fd);
	test_send_str(fd, batch);
	/* No reply line: the ping's is next. */
	test_settle(fd);
	r = test_info(fd, "lock", "l");
	cr_assert(!test_bool(r, "locked"));
	json_decref(r);
	r = test_info(fd, "semaphore", "s");
	cr_assert_eq(test_int(r, "value"), 1);
	json_decref(r);
	r = test_info(fd, "condition", "c");
	cr_assert(!test_bool(r, "locked"));
	json_decref(r);
	r = test_info(fd, "barrier", "b");
	cr_assert_eq(test_int(r, "n_waiting"), 0);
	json_decref(r);
	cr_assert_eq(broker_bytes(fd), bytes);
	test_hang_up(fd);
	mpdd_stop(&d);
}

/* A batch whose barrier.wait members are all the parties passes; one
 * with a condition wait is answered when another client notifies, with
 * the lock back. */
Test(attack, barrier_and_condition_waits_inside_a_batch)
{
	static const char barrier[] =
		"[{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"barrier.wait\","
		"\"params\":{\"name\":\"b\"}},"
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"barrier.wait\","
		"\"params\":{\"name\":\"b\"}},"
		"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"barrier.wait\","
		"\"params\":{\"name\":\"b\"}}]\n";
	static const char cond[] =
		"[{\"jsonrpc\":\"2.0\",\"id\":\"acq\",\"method\":"
		"\"condition.acquire\",\"params\":{\"name\":\"c\"}},"
		"{\"jsonrpc\":\"2.0\",\"id\":\"wait\",\"method\":"
		"\"condition.wait\",\"params\":{\"name\":\"c\","
		"\"timeout\":60}}]\n";
	json_t *r, *res;
	size_t i;
	int fd, o;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	o = test_connect(d.socket);
	test_ok0(fd, "barrier.create",
		 json_pack("{s:s, s:i}", "name", "b", "parties", 3));
	test_send_str(fd, barrier);
	r = next_reply(fd);
	cr_assert(json_is_array(r) && json_array_size(r) == 3);
	json_array_foreach (r, i, res)
		cr_assert_eq(test_int(test_result(res), "index"),
			     json_integer_value(json_object_get(res, "id")));
	json_decref(r);

	test_ok0(fd, "condition.create", test_nm("c"));
	test_send_str(fd, cond);
	test_await_info(o, "condition", "c", "waiters", "1");
	test_ok0(o, "condition.acquire", test_nm("c"));
	cr_assert_eq(woken(o, "c"), 1);
	test_ok0(o, "condition.release", test_nm("c"));
	r = next_reply(fd);
	cr_assert(json_is_array(r) && json_array_size(r) == 2);
	json_array_foreach (r, i, res) {
		const char *id = json_string_value(json_object_get(res, "id"));

		if (strcmp(id, "wait") == 0)
			cr_assert(test_bool(test_result(res), "notified"));
		else
			cr_assert(test_bool(test_result(res), "acquired"));
	}
	json_decref(r);
	r = test_info(o, "condition", "c");
	cr_assert(test_bool(r, "locked"));
	json_decref(r);
	test_ok0(fd, "condition.release", test_nm("c"));
	test_hang_up(fd);
	test_hang_up(o);
	mpdd_stop(&d);
}

/*
 * Objects deleted while a batch waits on each of them: the batch is
 * answered, every member closed, and what the waits counted is given
 * back. A condition's waiter that was notified and waits for the lock
 * back goes too.
 */
Test(attack, deleting_objects_under_a_batch_of_waits_answers_it_closed)
{
	static const char waits[] =
		"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lock.acquire\","
		"\"params\":{\"name\":\"l\"}},"
		"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"semaphore.acquire\","
		"\"params\":{\"name\":\"s\"}},"
		"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"event.wait\","
		"\"params\":{\"name\":\"e\"}},"
		"{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"barrier.wait\","
		"\"params\":{\"name\":\"b\"}},"
		"{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"condition.acquire\","
		"\"params\":{\"name\":\"c\"}}]\n";
	static const char cwait[] =
		"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"condition.wait\","
		"\"params\":{\"name\":\"w\"}}]\n";
	static const char *const kinds[] = { "lock", "semaphore", "event",
					     "barrier", "condition" };
	long long bytes;
	json_t *r, *res;
	const char *name;
	size_t i;
	int fd, a;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	a = test_connect(d.socket);
	test_ok0(a, "lock.create", test_nm("l"));
	test_ok0(a, "semaphore.create",
		 json_pack("{s:s, s:i}", "name", "s", "value", 0));
	test_ok0(a, "event.create", test_nm("e"));
	test_ok0(a, "barrier.create",
		 json_pack("{s:s, s:i}", "name", "b", "parties", 2));
	test_ok0(a, "condition.create", test_nm("c"));
	test_ok0(a, "condition.create", test_nm("w"));
	bytes = broker_bytes(a);
	test_ok0(a, "lock.acquire", test_nm("l"));
	test_ok0(a, "condition.acquire", test_nm("c"));
	test_send_str(fd, waits);
	test_settle(fd);
	cr_assert_gt(broker_bytes(a), bytes);
	for (i = 0; i < 5; i++) {
		char method[32];

		snprintf(method, sizeof(method), "%s.delete", kinds[i]);
		test_ok0(a, method,
			 test_nm(kinds[i][0] == 'l' ? "l" :
				 kinds[i][0] == 's' ? "s" :
				 kinds[i][0] == 'e' ? "e" :
				 kinds[i][0] == 'b' ? "b" :
						      "c"));
	}
	r = next_reply(fd);
	cr_assert(json_is_array(r) && json_array_size(r) == 5);
	json_array_foreach (r, i, res) {
		cr_assert_eq(test_error_code(res, &name), 7);
		cr_assert_str_eq(name, "closed");
	}
	json_decref(r);
	/* a's holds went with the lock and the condition. */
	cr_assert_eq(broker_bytes(a), bytes);

	/* A waiter notified, waiting for the lock a holds, is closed. */
	bytes = broker_bytes(a);
	test_ok0(fd, "condition.acquire", test_nm("w"));
	test_send_str(fd, cwait);
	test_await_info(a, "condition", "w", "waiters", "1");
	test_ok0(a, "condition.acquire", test_nm("w"));
	cr_assert_eq(woken(a, "w"), 1);
	test_ok0(a, "condition.delete", test_nm("w"));
	r = next_reply(fd);
	cr_assert(json_is_array(r) && json_array_size(r) == 1);
	cr_assert_eq(test_error_code(json_array_get(r, 0), &name), 7);
	json_decref(r);
	test_fails(a, "condition.release", test_nm("w"), "not_found");
	cr_assert_eq(broker_bytes(a), bytes);
	test_assert_ping(d.socket);
	test_hang_up(fd);
	test_hang_up(a);
	mpdd_stop(&d);
}

/* Send n waits of each kind on fd (the lock, semaphore, event, condition
 * and barrier of many_parked_waits), then settle. */
static void park_sync_waits(int fd, int n)
{
	static const char *const fmt[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"lock.acquire\","
		"\"params\":{\"name\":\"l\"%s%s}}\n",
		"{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":"
		"\"semaphore.acquire\",\"params\":{\"name\":\"s\"%s%s}}\n",
		"{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"event.wait\","
		"\"params\":{\"name\":\"e\"%s}}\n%s",
		"{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":"
		"\"condition.acquire\",\"params\":{\"name\":\"c\"%s%s}}\n",
		"{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"barrier.wait\","
		"\"params\":{\"name\":\"b\"%s}}\n%s",
	};
	char line[256];

	for (int i = 0; i < n; i++)
		for (size_t k = 0; k < sizeof(fmt) / sizeof(fmt[0]); k++) {
			snprintf(line, sizeof(line), fmt[k], i,
				 i % 2 ? ",\"timeout\":600" : "",
				 i % 3 == 0 && k != 2 && k != 4 ?
					 ",\"lease\":600" :
					 "");
			test_send_str(fd, line);
		}
	test_settle(fd);
}

/*
 * Thousands of waits of every kind parked by one connection, some with
 * timeouts, some with leases to come, then the connection closes: every
 * byte they counted comes back, nothing is handed to the gone client,
 * and the daemon's memory does not grow round after round.
 */
Test(attack, many_parked_waits_of_one_connection_go_with_it)
{
	const int n = 2000;
	long long bytes;
	long rss1 = 0, rss;
	json_t *r;
	int a, w;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	test_ok0(a, "lock.create", test_nm("l"));
	test_ok0(a, "semaphore.create",
		 json_pack("{s:s, s:i}", "name", "s", "value", 0));
	test_ok0(a, "event.create", test_nm("e"));
	test_ok0(a, "condition.create", test_nm("c"));
	test_ok0(a, "lock.acquire", test_nm("l"));
	test_ok0(a, "condition.acquire", test_nm("c"));
	bytes = broker_bytes(a);
	for (int round = 0; round < 5; round++) {
		test_ok0(a, "barrier.create",
			 json_pack("{s:s, s:i}", "name", "b", "parties",
				   65536));
		w = test_connect(d.socket);
		park_sync_waits(w, n);
		/* Each counts (daemon/sync.c's HOLD_BYTES). */
		cr_assert_geq(broker_bytes(a), bytes + 5LL * n * 64);
		r = test_info(a, "barrier", "b");
		cr_assert_eq(test_int(r, "n_waiting"), n);
		json_decref(r);
		test_hang_up(w);
		test_await_info(a, "barrier", "b", "broken", "true");
		cr_assert_eq(broker_bytes(a), bytes);
		test_ok0(a, "barrier.delete", test_nm("b"));
		if (round == 0)
			rss1 = rss_kib(d.pid);
	}
	r = test_info(a, "lock", "l");
	cr_assert_eq(test_int(r, "waiters"), 0);
	cr_assert_eq(test_int(json_object_get(r, "holder"), "pid"), getpid());
	json_decref(r);
	r = test_info(a, "semaphore", "s");
	cr_assert_eq(test_int(r, "waiters"), 0);
	cr_assert_eq(test_int(r, "value"), 0);
	json_decref(r);
	r = test_info(a, "event", "e");
	cr_assert_eq(test_int(r, "waiters"), 0);
	json_decref(r);
	/* A release finds no one to hand it to. */
	test_ok0(a, "condition.release", test_nm("c"));
	r = test_info(a, "condition", "c");
	cr_assert(!test_bool(r, "locked"));
	json_decref(r);
	rss = rss_kib(d.pid);
	if (!sanitized())
		cr_assert_lt(rss - rss1, 4 * 1024,
			     "mpdd grew by %ld KiB in four rounds", rss - rss1);
	test_hang_up(a);
	mpdd_stop(&d);
}

/* Leases and timeouts at their extremes: the largest taken, one past it
 * refused, the tiniest running out at once. */
Test(attack, leases_and_timeouts_at_their_extremes)
{
	static const char *const waits[][2] = {
		{ "lock.acquire", "l" },
		{ "semaphore.acquire", "s" },
		{ "event.wait", "e" },
		{ "condition.acquire", "c" },
	};
	long long bytes, held;
	json_t *r, *p;
	const char *name;
	int a, b;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	test_ok0(a, "lock.create", test_nm("l"));
	test_ok0(a, "semaphore.create",
		 json_pack("{s:s, s:i}", "name", "s", "value", 1));
	test_ok0(a, "event.create", test_nm("e"));
	test_ok0(a, "condition.create", test_nm("c"));
	test_ok0(a, "barrier.create",
		 json_pack("{s:s, s:i}", "name", "b", "parties", 2));
	/* The largest lease is held, and shown. */
	r = test_ok(a, "lock.acquire",
		    json_pack("{s:s, s:i}", "name", "l", "lease", 31536000));
	cr_assert(test_bool(r, "acquired"));
	json_decref(r);
	r = test_info(b, "lock", "l");
	cr_assert_gt(json_number_value(json_object_get(r, "lease")), 31535000);
	json_decref(r);
	test_ok0(a, "lock.release", test_nm("l"));
	/* Past it, or not above zero: refused, naming the field. */
	p = json_pack("{s:s, s:f}", "name", "l", "lease", 31536000.001);
	r = test_call(a, "lock.acquire", p);
	cr_assert_eq(test_error_code(r, &name), -32602);
	cr_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(json_object_get(r, "error"), "data"),
			"field")),
		"lease");
	json_decref(r);
	test_fails(a, "lock.acquire",
		   json_pack("{s:s, s:f}", "name", "l", "lease", -0.0),
		   "invalid_params");
	test_fails(a, "semaphore.acquire",
		   json_pack("{s:s, s:f, s:b}", "name", "s", "lease", 1.0,
			     "own", 0),
		   "invalid_params");
	/* A lease of 1e-9 and of the smallest double: held, then gone. */
	for (int i = 0; i < 2; i++) {
		double lease = i == 0 ? 1e-9 : 4.9406564584124654e-324;

		r = test_ok(a, "lock.acquire",
			    json_pack("{s:s, s:f}", "name", "l", "lease",
				      lease));
		cr_assert(test_bool(r, "acquired"));
		json_decref(r);
		r = test_ok(a, "semaphore.acquire",
			    json_pack("{s:s, s:f}", "name", "s", "lease",
				      lease));
		cr_assert(test_bool(r, "acquired"));
		json_decref(r);
		test_await_info(b, "lock", "l", "locked", "false");
		test_await_info(b, "semaphore", "s", "value", "1");
		test_fails(a, "lock.release", test_nm("l"), "invalid_state");
		r = test_ok(b, "lock.acquire", test_nm("l"));
		cr_assert(test_bool(r, "abandoned"));
		json_decref(r);
		test_ok0(b, "lock.release", test_nm("l"));
		r = test_ok(b, "semaphore.acquire", test_nm("s"));
		cr_assert(test_bool(r, "abandoned"));
		json_decref(r);
		test_ok0(b, "semaphore.release", test_nm("s"));
	}
	/* Timeouts of 1e-9 on what is taken: each wait is answered no. */
	bytes = broker_bytes(a);
	test_ok0(b, "lock.acquire", test_nm("l"));
	test_ok0(b, "semaphore.acquire", test_nm("s"));
	held = broker_bytes(a);
	test_ok0(b, "condition.acquire", test_nm("c"));
	for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
		r = test_ok(a, waits[i][0],
			    json_pack("{s:s, s:f}", "name", waits[i][1],
				      "timeout", 1e-9));
		cr_assert(json_is_false(json_object_get(r, "acquired")) ||
			  json_is_false(json_object_get(r, "set")));
		json_decref(r);
	}
	test_fails(a, "barrier.wait",
		   json_pack("{s:s, s:f}", "name", "b", "timeout", 1e-9),
		   "broken");
	/* A condition wait of 1e-9 comes back with the lock. */
	test_ok0(b, "condition.release", test_nm("c"));
	test_ok0(a, "condition.acquire", test_nm("c"));
	r = test_ok(a, "condition.wait",
		    json_pack("{s:s, s:f}", "name", "c", "timeout", 1e-9));
	cr_assert(!test_bool(r, "notified"));
	json_decref(r);
	test_ok0(a, "condition.release", test_nm("c"));
	cr_assert_gt(held, bytes);
	cr_assert_eq(broker_bytes(a), held);
	test_hang_up(a);
	test_hang_up(b);
	mpdd_stop(&d);
}

/* semaphore.release of n up to 2^31-1 against values near the top: the
 * value never passes 2^31-1, a refusal changes nothing, and a holder
 * that goes gives back no more than room. */
Test(attack, semaphore_counts_at_the_top_of_their_range)
{
	const long long max = 2147483647LL;
	json_t *r;
	int a, b;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	test_ok0(a, "semaphore.create",
		 json_pack("{s:s, s:i}", "name", "s", "value", 0));
	r = test_ok(a, "semaphore.release",
		    json_pack("{s:s, s:I}", "name", "s", "n", (json_int_t)max));
	cr_assert_eq(test_int(r, "value"), max);
	json_decref(r);
	test_fails(a, "semaphore.release", test_nm("s"), "invalid_state");
	test_fails(a, "semaphore.release",
		   json_pack("{s:s, s:I}", "name", "s", "n",
			     (json_int_t)max + 1),
		   "invalid_params");
	/* b takes one; another client fills the room; b goes. */
	test_ok0(b, "semaphore.acquire", test_nm("s"));
	test_fails(a, "semaphore.release",
		   json_pack("{s:s, s:I}", "name", "s", "n", (json_int_t)max),
		   "invalid_state");
	test_ok0(a, "semaphore.release", test_nm("s"));
	r = test_info(a, "semaphore", "s");
	cr_assert_eq(test_int(r, "value"), max);
	json_decref(r);
	test_hang_up(b);
	test_await_info(a, "semaphore", "s", "holders", "[]");
	r = test_info(a, "semaphore", "s");
	cr_assert_eq(test_int(r, "value"), max);
	cr_assert(test_bool(r, "abandoned"));
	json_decref(r);
	/* notify of 2^31-1 with no waiter wakes none. */
	test_ok0(a, "condition.create", test_nm("c"));
	test_ok0(a, "condition.acquire", test_nm("c"));
	r = test_ok(a, "condition.notify",
		    json_pack("{s:s, s:I}", "name", "c", "n", (json_int_t)max));
	cr_assert_eq(test_int(r, "woken"), 0);
	json_decref(r);
	test_hang_up(a);
	mpdd_stop(&d);
}

/* Does reply fail with the error named want? */
static bool fails_with(json_t *reply, const char *want)
{
	const char *name = json_string_value(json_object_get(
		json_object_get(json_object_get(reply, "error"), "data"),
		"name"));

	return name != NULL && strcmp(name, want) == 0;
}

/* Has obj exactly the keys listed (NULL-terminated)? */
static bool has_keys(json_t *obj, const char *const *keys)
{
	size_t n = 0;

	if (!json_is_object(obj))
		return false;
	for (; keys[n] != NULL; n++)
		if (json_object_get(obj, keys[n]) == NULL)
			return false;
	return json_object_size(obj) == n;
}

/*
 * As nobody, against root's lock "l", condition "c" and semaphore "s",
 * all held by root's connection: every release, notify and wait is
 * refused, and info shows the documented keys only. Then it takes its
 * own lock "n", says so on ready and holds it until go closes. Returns
 * the check that failed, 0 when all held.
 */
static int nobody_against_holds(const char *socket, int ready, int go)
{
	static const char *const refused[][2] = {
		{ "lock.release", "{\"name\":\"l\"}" },
		{ "condition.release", "{\"name\":\"c\"}" },
		{ "condition.notify", "{\"name\":\"c\",\"all\":true}" },
		{ "condition.wait", "{\"name\":\"c\",\"timeout\":0}" },
		{ "semaphore.release", "{\"name\":\"s\",\"own\":true}" },
	};
	static const char *const lock_keys[] = {
		"name",	   "recursive", "locked", "count", "holder",
		"waiters", "abandoned", "lease",  NULL
	};
	static const char *const holder_keys[] = { "connection", "pid",
						   "process", NULL };
	static const char *const permit_keys[] = { "connection", "pid",
						   "process",	 "count",
						   "lease",	 NULL };
	json_t *r;
	char c = 0;
	int fd;

	if (!become_nobody())
		return 100;
	fd = test_try_connect(socket);
	if (fd < 0)
		return 101;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		r = test_call(fd, refused[i][0], test_json(refused[i][1]));
		if (!fails_with(r, "invalid_state"))
			return (int)i + 1;
		json_decref(r);
	}
	r = test_call(fd, "lock.info", test_nm("l"));
	if (!has_keys(json_object_get(r, "result"), lock_keys) ||
	    !has_keys(json_object_get(json_object_get(r, "result"), "holder"),
		      holder_keys))
		return 10;
	json_decref(r);
	r = test_call(fd, "semaphore.info", test_nm("s"));
	if (!has_keys(
		    json_array_get(json_object_get(json_object_get(r, "result"),
						   "holders"),
				   0),
		    permit_keys))
		return 11;
	json_decref(r);
	r = test_call(fd, "lock.acquire", test_nm("n"));
	if (!json_is_true(
		    json_object_get(json_object_get(r, "result"), "acquired")))
		return 12;
	json_decref(r);
	if (write(ready, "x", 1) != 1 || read(go, &c, 1) != 0)
		return 13;
	return 0;
}

/*
 * Another uid cannot release, notify or wait on what root's connection
 * holds, and root cannot release what nobody's holds: a hold is its
 * connection's, whatever the uid. Info tells no more than documented.
 */
Test(attack, another_uid_cannot_release_or_use_what_a_connection_holds)
{
	int a, status, ready[2], go[2];
	char c;
	json_t *r;
	pid_t pid;

	if (getuid() != 0)
		cr_skip_test("needs root to switch to nobody");
	mpdd_start(&d, NULL);
	cr_assert(chmod(d.dir, 0755) == 0 && chmod(d.socket, 0666) == 0);
	a = test_connect(d.socket);
	test_ok0(a, "lock.create", test_nm("l"));
	test_ok0(a, "lock.create", test_nm("n"));
	test_ok0(a, "condition.create", test_nm("c"));
	test_ok0(a, "semaphore.create", test_nm("s"));
	test_ok0(a, "lock.acquire", test_nm("l"));
	test_ok0(a, "condition.acquire", test_nm("c"));
	test_ok0(a, "semaphore.acquire", test_nm("s"));
	cr_assert(pipe(ready) == 0 && pipe(go) == 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		_exit(nobody_against_holds(d.socket, ready[1], go[0]));
	}
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &c, 1) == 1) {
		test_fails(a, "lock.release", test_nm("n"), "invalid_state");
		r = test_info(a, "lock", "n");
		cr_assert_eq(test_int(json_object_get(r, "holder"), "pid"),
			     pid);
		json_decref(r);
	}
	close(go[1]);
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "check %d failed", WEXITSTATUS(status));
	close(ready[0]);
	r = test_info(a, "lock", "l");
	cr_assert_eq(test_int(json_object_get(r, "holder"), "pid"), getpid());
	json_decref(r);
	r = test_info(a, "semaphore", "s");
	cr_assert_eq(test_int(r, "value"), 0);
	json_decref(r);
	test_ok0(a, "lock.release", test_nm("l"));
	test_ok0(a, "condition.release", test_nm("c"));
	test_await_info(a, "lock", "n", "locked", "false");
	test_hang_up(a);
	mpdd_stop(&d);
}

/* A sync method, params that are wrong, and the field named. */
struct bad_sync_case {
	char method[24];
	char params[160];
	char field[12];
};

static struct bad_sync_case bad_sync_cases[] = {
	/* names */
	{ "lock.create", "{\"name\":1}", "name" },
	{ "lock.create", "{\"name\":\"\"}", "name" },
	{ "lock.create", "{\"name\":null}", "name" },
	{ "lock.create", "{\"name\":[\"l\"]}", "name" },
	{ "lock.create", "{\"name\":{\"a\":{\"b\":[]}}}", "name" },
	{ "lock.create", "{}", "name" },
	{ "lock.acquire", "{\"name\":true}", "name" },
	{ "semaphore.info", "{\"name\":1.5}", "name" },
	{ "event.wait", "{\"name\":{}}", "name" },
	{ "barrier.wait", "{\"name\":[]}", "name" },
	{ "condition.notify", "{\"name\":-1}", "name" },
	/* flags */
	{ "lock.create", "{\"name\":\"x\",\"recursive\":\"yes\"}",
	  "recursive" },
	{ "lock.create", "{\"name\":\"x\",\"recursive\":1}", "recursive" },
	{ "lock.create", "{\"name\":\"x\",\"exist_ok\":null}", "exist_ok" },
	{ "semaphore.create", "{\"name\":\"x\",\"bounded\":0}", "bounded" },
	{ "semaphore.acquire", "{\"name\":\"s\",\"own\":\"false\"}", "own" },
	{ "semaphore.release", "{\"name\":\"s\",\"own\":[true]}", "own" },
	{ "condition.notify", "{\"name\":\"c\",\"all\":{}}", "all" },
	/* timeouts and leases */
	{ "lock.acquire", "{\"name\":\"l\",\"timeout\":\"1\"}", "timeout" },
	{ "lock.acquire", "{\"name\":\"l\",\"timeout\":\"NaN\"}", "timeout" },
	{ "lock.acquire", "{\"name\":\"l\",\"timeout\":-1}", "timeout" },
	{ "lock.acquire", "{\"name\":\"l\",\"timeout\":-1e-300}", "timeout" },
	{ "lock.acquire", "{\"name\":\"l\",\"timeout\":31536001}", "timeout" },
	{ "lock.acquire", "{\"name\":\"l\",\"timeout\":1e308}", "timeout" },
	{ "lock.acquire", "{\"name\":\"l\",\"timeout\":9223372036854775807}",
	  "timeout" },
	{ "lock.acquire", "{\"name\":\"l\",\"timeout\":null}", "timeout" },
	{ "lock.acquire", "{\"name\":\"l\",\"lease\":0}", "lease" },
	{ "lock.acquire", "{\"name\":\"l\",\"lease\":-5}", "lease" },
	{ "lock.acquire", "{\"name\":\"l\",\"lease\":\"inf\"}", "lease" },
	{ "lock.acquire", "{\"name\":\"l\",\"lease\":1e10}", "lease" },
	{ "condition.acquire", "{\"name\":\"c\",\"lease\":[]}", "lease" },
	{ "semaphore.acquire", "{\"name\":\"s\",\"lease\":0}", "lease" },
	{ "semaphore.acquire", "{\"name\":\"s\",\"timeout\":{}}", "timeout" },
	{ "event.wait", "{\"name\":\"e\",\"timeout\":true}", "timeout" },
	{ "condition.wait", "{\"name\":\"c\",\"timeout\":-0.5}", "timeout" },
	{ "barrier.wait", "{\"name\":\"b\",\"timeout\":\"30\"}", "timeout" },
	{ "barrier.create", "{\"name\":\"x\",\"parties\":2,\"timeout\":-1}",
	  "timeout" },
	/* counts */
	{ "semaphore.create", "{\"name\":\"x\",\"value\":-1}", "value" },
	{ "semaphore.create", "{\"name\":\"x\",\"value\":2147483648}",
	  "value" },
	{ "semaphore.create", "{\"name\":\"x\",\"value\":1.0}", "value" },
	{ "semaphore.create", "{\"name\":\"x\",\"value\":-9223372036854775808}",
	  "value" },
	{ "semaphore.release", "{\"name\":\"s\",\"n\":0}", "n" },
	{ "semaphore.release", "{\"name\":\"s\",\"n\":2147483648}", "n" },
	{ "semaphore.release", "{\"name\":\"s\",\"n\":9223372036854775807}",
	  "n" },
	{ "semaphore.release", "{\"name\":\"s\",\"n\":\"1\"}", "n" },
	{ "condition.notify", "{\"name\":\"c\",\"n\":0}", "n" },
	{ "condition.notify", "{\"name\":\"c\",\"n\":1e3}", "n" },
	{ "barrier.create", "{\"name\":\"x\"}", "parties" },
	{ "barrier.create", "{\"name\":\"x\",\"parties\":0}", "parties" },
	{ "barrier.create", "{\"name\":\"x\",\"parties\":65537}", "parties" },
	{ "barrier.create", "{\"name\":\"x\",\"parties\":[2]}", "parties" },
	/* a condition's lock */
	{ "condition.create", "{\"name\":\"x\",\"lock\":\"\"}", "lock" },
	{ "condition.create", "{\"name\":\"x\",\"lock\":7}", "lock" },
	{ "condition.create", "{\"name\":\"x\",\"lock\":{\"name\":\"l\"}}",
	  "lock" },
	/* keys no method knows */
	{ "lock.acquire", "{\"name\":\"l\",\"blocking\":false}", "blocking" },
	{ "lock.release", "{\"name\":\"l\",\"count\":1}", "count" },
	{ "event.set", "{\"name\":\"e\",\"value\":true}", "value" },
	{ "barrier.abort", "{\"name\":\"b\",\"parties\":2}", "parties" },
	{ "lock.list", "{\"name\":\"l\"}", "name" },
	{ "semaphore.acquire", "{\"name\":\"s\",\"n\":2}", "n" },
};

ParameterizedTestParameters(attack, bad_sync_params_are_refused_by_field)
{
	return cr_make_param_array(struct bad_sync_case, bad_sync_cases,
				   sizeof(bad_sync_cases) /
					   sizeof(bad_sync_cases[0]));
}

/*
 * Garbage params to the sync methods: -32602 naming the field, nothing
 * changed (no object created, nothing held or parked), and the daemon
 * serves on, on the same connection.
 */
ParameterizedTest(struct bad_sync_case *c, attack,
		  bad_sync_params_are_refused_by_field)
{
	static const char *const lists[][2] = {
		{ "lock.list", "locks" },
		{ "semaphore.list", "semaphores" },
		{ "event.list", "events" },
		{ "condition.list", "conditions" },
		{ "barrier.list", "barriers" },
	};
	json_t *r, *data;
	const char *name;
	long long bytes;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	test_ok0(fd, "lock.create", test_nm("l"));
	test_ok0(fd, "semaphore.create", test_nm("s"));
	test_ok0(fd, "event.create", test_nm("e"));
	test_ok0(fd, "condition.create", test_nm("c"));
	test_ok0(fd, "condition.acquire", test_nm("c"));
	test_ok0(fd, "barrier.create",
		 json_pack("{s:s, s:i}", "name", "b", "parties", 2));
	bytes = broker_bytes(fd);
	r = test_call(fd, c->method, test_json(c->params));
	cr_assert_eq(test_error_code(r, &name), -32602, "%s %s", c->method,
		     c->params);
	data = json_object_get(json_object_get(r, "error"), "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "field")),
			 c->field, "%s %s", c->method, c->params);
	json_decref(r);
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		r = test_ok(fd, lists[i][0], NULL);
		cr_assert_eq(json_array_size(json_object_get(r, lists[i][1])),
			     1, "%s after %s", lists[i][0], c->method);
		json_decref(r);
	}
	r = test_info(fd, "semaphore", "s");
	cr_assert_eq(test_int(r, "value"), 1);
	json_decref(r);
	r = test_info(fd, "condition", "c");
	cr_assert(test_bool(r, "locked"));
	json_decref(r);
	cr_assert_eq(broker_bytes(fd), bytes);
	test_hang_up(fd);
	mpdd_stop(&d);
}

/*
 * One client takes a great many leased permits (one hold each): another
 * client's semaphore.info must still be answered within max_output, not
 * cost it its connection. Its holders have one row per connection.
 */
Test(attack, many_leased_permits_do_not_make_semaphore_info_fatal)
{
	const int n = 130000, chunk = 1000;
	char line[160];
	json_t *r, *row;
	int w, v;

	mpdd_start(&d, NULL);
	w = test_connect(d.socket);
	v = test_connect(d.socket);
	test_ok0(w, "semaphore.create",
		 json_pack("{s:s, s:i}", "name", "s", "value", 2147483647));
	for (int i = 0; i < n; i += chunk) {
		for (int j = 0; j < chunk; j++) {
			snprintf(line, sizeof(line),
				 "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":"
				 "\"semaphore.acquire\",\"params\":{\"name\":"
				 "\"s\",\"lease\":600}}\n",
				 i + j);
			test_send_str(w, line);
		}
		for (int j = 0; j < chunk; j++)
			free(test_read_line(w, TEST_TIMEOUT_MS));
	}
	r = test_call(v, "semaphore.info", test_nm("s"));
	cr_assert(json_is_object(r));
	row = json_array_get(
		json_object_get(json_object_get(r, "result"), "holders"), 0);
	cr_assert_eq(json_array_size(json_object_get(
			     json_object_get(r, "result"), "holders")),
		     1);
	cr_assert_eq(json_integer_value(json_object_get(row, "count")), n);
	cr_assert(json_is_number(json_object_get(row, "lease")));
	json_decref(r);
	test_assert_ping(d.socket);
	r = test_call(v, "daemon.ping", NULL);
	test_result(r);
	json_decref(r);
	test_hang_up(w);
	test_hang_up(v);
	mpdd_stop(&d);
}

/* A line to a sync method that is not what it should be, and the error
 * code it gets. */
struct bad_line {
	const char *line;
	int code;
};

/*
 * Whole lines of garbage to the sync methods: numbers JSON cannot carry,
 * a NUL in a name, params that are no object: each gets its error, and
 * the connection serves on with nothing taken.
 */
Test(attack, garbage_lines_to_sync_methods_leave_the_connection_serving)
{
	static const struct bad_line lines[] = {
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lock.acquire\","
		  "\"params\":{\"name\":\"l\",\"timeout\":1e400}}",
		  -32700 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lock.acquire\","
		  "\"params\":{\"name\":\"l\",\"lease\":1e-400}}",
		  -32602 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lock.acquire\","
		  "\"params\":{\"name\":\"l\\u0000x\"}}",
		  -32700 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lock.acquire\","
		  "\"params\":[\"l\"]}",
		  -32602 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lock.acquire\","
		  "\"params\":\"l\"}",
		  -32600 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"semaphore.acquire\","
		  "\"params\":{\"name\":\"s\",\"name\":\"s\"}}",
		  -32700 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":"
		  "\"lock.acquire\",\"params\":{\"name\":\"l\"}}",
		  -32600 },
		{ "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"barrier.wait\","
		  "\"params\":{\"name\":\"b\",\"timeout\":\"x\"}}]",
		  -32602 },
	};
	json_t *r, *e;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	test_ok0(fd, "lock.create", test_nm("l"));
	test_ok0(fd, "semaphore.create", test_nm("s"));
	test_ok0(fd, "barrier.create",
		 json_pack("{s:s, s:i}", "name", "b", "parties", 2));
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		test_send_str(fd, lines[i].line);
		test_send_str(fd, "\n");
		r = next_reply(fd);
		e = json_is_array(r) ? json_array_get(r, 0) : r;
		cr_assert_eq(json_integer_value(json_object_get(
				     json_object_get(e, "error"), "code")),
			     lines[i].code, "%s", lines[i].line);
		json_decref(r);
		test_settle(fd);
	}
	r = test_info(fd, "lock", "l");
	cr_assert(!test_bool(r, "locked"));
	json_decref(r);
	r = test_info(fd, "semaphore", "s");
	cr_assert_eq(test_int(r, "value"), 1);
	json_decref(r);
	r = test_info(fd, "barrier", "b");
	cr_assert_eq(test_int(r, "n_waiting"), 0);
	cr_assert(!test_bool(r, "broken"));
	json_decref(r);
	test_hang_up(fd);
	mpdd_stop(&d);
}

/*
 * A lease never runs out before its time: another client, waiting from
 * before the acquire was sent, is served no sooner than the lease.
 * (libevent's default clock, CLOCK_MONOTONIC_COARSE, made timers fire up
 * to a tick early: mpdd asks for EVENT_BASE_FLAG_PRECISE_TIMER.)
 */
Test(attack, a_lease_never_runs_out_early)
{
	const double lease = 0.02;
	struct timespec t0, t1;
	double took, least = 1;
	json_t *r;
	int a, b;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	test_ok0(a, "lock.create", test_nm("l"));
	for (int i = 0; i < 200; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		test_ok0(a, "lock.acquire",
			 json_pack("{s:s, s:f}", "name", "l", "lease", lease));
		r = test_ok(b, "lock.acquire", test_nm("l"));
		clock_gettime(CLOCK_MONOTONIC, &t1);
		json_decref(r);
		took = (double)(t1.tv_sec - t0.tv_sec) +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (took < least)
			least = took;
		test_ok0(b, "lock.release", test_nm("l"));
	}
	cr_assert_geq(least, lease, "a %g s lease ran out after %.4f s", lease,
		      least);
	test_hang_up(a);
	test_hang_up(b);
	mpdd_stop(&d);
}

/* Take n leased permits of semaphore "s" on fd, pipelined in chunks. */
static void take_leased(int fd, int n)
{
	const int chunk = 1000;
	char line[160];

	for (int i = 0; i < n; i += chunk) {
		for (int j = 0; j < chunk; j++) {
			snprintf(line, sizeof(line),
				 "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":"
				 "\"semaphore.acquire\",\"params\":{\"name\":"
				 "\"s\",\"lease\":600}}\n",
				 i + j);
			test_send_str(fd, line);
		}
		for (int j = 0; j < chunk; j++)
			free(test_read_line(fd, TEST_TIMEOUT_MS));
	}
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Two clients each hold a great many permits (one hold per leased
 * acquire); the second closes. Giving its holds back must take time in
 * proportion to them, not to them times everyone's: the daemon answers
 * a ping at once.
 */
Test(attack, a_client_closing_with_many_holds_does_not_stall_the_daemon)
{
	const int n = 60000;
	double t0, took;
	int a, b, p;
	json_t *r;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	p = test_connect(d.socket);
	test_ok0(a, "semaphore.create",
		 json_pack("{s:s, s:i}", "name", "s", "value", 2147483647));
	take_leased(a, n);
	take_leased(b, n);
	t0 = mono_s();
	test_hang_up(b);
	/* Its close is done once the daemon counts it gone. */
	for (;;) {
		r = test_ok(p, "daemon.info", NULL);
		if (test_int(r, "connections") == 2)
			break;
		json_decref(r);
	}
	json_decref(r);
	took = mono_s() - t0;
	cr_assert_lt(took, 2.0, "%d holds took %.2f s to give back", n, took);
	r = test_info(p, "semaphore", "s");
	cr_assert_eq(test_int(r, "value"), 2147483647LL - n);
	/* One row, a's, holding all of its permits. */
	cr_assert_eq(json_array_size(json_object_get(r, "holders")), 1);
	cr_assert_eq(json_integer_value(json_object_get(
			     json_array_get(json_object_get(r, "holders"), 0),
			     "count")),
		     n);
	json_decref(r);
	test_hang_up(a);
	test_hang_up(p);
	mpdd_stop(&d);
}

/*
 * One client holds a great many permits (one hold per leased acquire):
 * other clients' connections must still open and close as fast as ever
 * (a close walks its own holds, not everyone's).
 */
Test(attack, many_holds_of_one_client_do_not_slow_every_close)
{
	const int n = 300000, cycles = 500;
	double t0, took;
	int a;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	test_ok0(a, "semaphore.create",
		 json_pack("{s:s, s:i}", "name", "s", "value", 2147483647));
	take_leased(a, n);
	t0 = mono_s();
	for (int i = 0; i < cycles; i++)
		test_assert_ping(d.socket);
	took = mono_s() - t0;
	cr_assert_lt(took, 4.0, "%d connections took %.2f s", cycles, took);
	test_hang_up(a);
	mpdd_stop(&d);
}
