/*
 * test-process.c - processes against a real mpdd: targets, exit codes,
 * joins, signals and groups, daemonic workers, start failures at every
 * stage, descriptor passing, environment, the template's death, ownership,
 * limits and concurrency.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "harness.h"

static struct mpdd d;

static void teardown(void)
{
	mpdd_cleanup(&d);
}

TestSuite(process, .fini = teardown, .timeout = 120);

static const char *module(void)
{
	const char *m = getenv("MPD_TEST_MODULE");

	cr_assert(m != NULL, "MPD_TEST_MODULE is not set");
	return m;
}

/* process.create with start: true; returns the record, asserting success. */
static json_t *start_proc(int fd, json_t *params)
{
	json_t *reply, *rec;

	json_object_set_new(params, "start", json_true());
	reply = test_call(fd, "process.create", params);
	rec = json_incref(test_result(reply));
	json_decref(reply);
	cr_assert_str_eq(json_string_value(json_object_get(rec, "state")),
			 "running");
	return rec;
}

static json_t *start_fds(int fd, json_t *params, const int *fds, int nfds)
{
	json_t *reply, *rec;

	json_object_set_new(params, "start", json_true());
	reply = test_call_fds(fd, "process.create", params, fds, nfds);
	rec = json_incref(test_result(reply));
	json_decref(reply);
	return rec;
}

/* process.join (timeout < 0: none); returns the record. */
static json_t *join(int fd, long long id, double timeout)
{
	json_t *params = json_pack("{s:I}", "id", (json_int_t)id);
	json_t *reply, *rec;

	if (timeout >= 0)
		json_object_set_new(params, "timeout", json_real(timeout));
	reply = test_call(fd, "process.join", params);
	rec = json_incref(test_result(reply));
	json_decref(reply);
	return rec;
}

/* Start, join, and return the exit code (asserting it ended). */
static long long run_exitcode(int fd, json_t *params)
{
	json_t *rec = start_proc(fd, params);
	long long id = test_int(rec, "id"), code;

	json_decref(rec);
	rec = join(fd, id, -1);
	cr_assert_str_eq(json_string_value(json_object_get(rec, "state")),
			 "exited");
	code = test_int(rec, "exitcode");
	json_decref(rec);
	return code;
}

static json_t *fn_params(const char *function, json_t *args)
{
	return json_pack("{s:s, s:s, s:o}", "module", module(), "function",
			 function, "args", args != NULL ? args : json_null());
}

/* Read one line from a pipe (without the newline), with the timeout. */
static char *pipe_line(int fd)
{
	return test_read_line(fd, TEST_TIMEOUT_MS);
}

static void simple_call(int fd, const char *method, long long id)
{
	json_decref(test_call(fd, method, json_pack("{s:I}", "id", id)));
}

Test(process, argv_exit_codes_and_signals)
{
	json_t *rec;
	long long id;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	cr_assert_eq(run_exitcode(fd, json_pack("{s:[sss]}", "argv", "sh", "-c",
						"exit 0")),
		     0);
	cr_assert_eq(run_exitcode(fd, json_pack("{s:[sss]}", "argv", "sh", "-c",
						"exit 3")),
		     3);
	rec = start_proc(fd, json_pack("{s:[sss]}", "argv", "sh", "-c",
				       "kill -KILL $$"));
	id = test_int(rec, "id");
	json_decref(rec);
	rec = join(fd, id, -1);
	cr_assert_eq(test_int(rec, "exitcode"), -9);
	cr_assert_str_eq(json_string_value(json_object_get(rec, "signal")),
			 "SIGKILL");
	json_decref(rec);
	close(fd);
	mpdd_stop(&d);
}

Test(process, function_targets_both_start_methods)
{
	json_t *p, *rec;
	long long id;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	cr_assert_eq(run_exitcode(fd, fn_params("exit_with", json_integer(42))),
		     42);
	p = fn_params("exit_with", json_integer(7));
	json_object_set_new(p, "start_method", json_string("spawn"));
	cr_assert_eq(run_exitcode(fd, p), 7);
	p = json_pack("{s:[sss], s:s}", "argv", "sh", "-c", "exit 9",
		      "start_method", "spawn");
	cr_assert_eq(run_exitcode(fd, p), 9);

	/* Death by SIGSEGV. */
	rec = start_proc(fd, fn_params("crash", NULL));
	id = test_int(rec, "id");
	json_decref(rec);
	rec = join(fd, id, -1);
	cr_assert_eq(test_int(rec, "exitcode"), -SIGSEGV);
	cr_assert_str_eq(json_string_value(json_object_get(rec, "signal")),
			 "SIGSEGV");
	cr_assert(json_is_boolean(json_object_get(rec, "core_dumped")));
	json_decref(rec);
	close(fd);
	mpdd_stop(&d);
}

Test(process, passed_stdout_receives_the_output)
{
	const char *methods[] = { "forkserver", "spawn" };
	int fd, pfd[2];
	json_t *p, *rec;
	char *line;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	for (int i = 0; i < 2; i++) {
		cr_assert(pipe(pfd) == 0);
		p = fn_params("echo_args",
			      json_pack("{s:[ii], s:s}", "a", 1, 2, "b", "x"));
		json_object_set_new(p, "stdout", json_string("pass"));
		json_object_set_new(p, "start_method", json_string(methods[i]));
		rec = start_fds(fd, p, &pfd[1], 1);
		close(pfd[1]);
		line = pipe_line(pfd[0]);
		cr_assert_str_eq(line, "{\"a\":[1,2],\"b\":\"x\"}");
		free(line);
		json_decref(join(fd, test_int(rec, "id"), -1));
		json_decref(rec);
		test_forget(pfd[0]);
		close(pfd[0]);
	}
	/* The example module's square, through an exec'd shell too. */
	cr_assert(pipe(pfd) == 0);
	p = json_pack("{s:s, s:s, s:i, s:s}", "module",
		      getenv("MPD_EXAMPLE_MODULE"), "function", "square",
		      "args", 7, "stdout", "pass");
	rec = start_fds(fd, p, &pfd[1], 1);
	close(pfd[1]);
	line = pipe_line(pfd[0]);
	cr_assert_str_eq(line, "49");
	free(line);
	json_decref(rec);
	test_forget(pfd[0]);
	close(pfd[0]);
	close(fd);
	mpdd_stop(&d);
}

/*
 * Args far larger than the template's request arena (256 KiB of parsed
 * JSON) spill into the heap: each worker still gets them whole, start
 * after start, and so does the one after them with small args.
 */
Test(process, large_args_reach_the_worker_whole)
{
	json_t *big = json_array(), *p, *rec;
	char *want, *line;
	long long id;
	int fd, pfd[2];

	for (int i = 0; i < 20000; i++)
		json_array_append_new(big, json_sprintf("item-%d", i));
	want = json_dumps(big, JSON_COMPACT);
	cr_assert(want != NULL);
	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	for (int i = 0; i < 4; i++) {
		bool small = i == 3;

		cr_assert(pipe(pfd) == 0);
		p = fn_params("echo_args",
			      small ? json_integer(5) : json_incref(big));
		json_object_set_new(p, "stdout", json_string("pass"));
		rec = start_fds(fd, p, &pfd[1], 1);
		close(pfd[1]);
		line = pipe_line(pfd[0]);
		cr_assert(line != NULL);
		if (small)
			cr_assert_str_eq(line, "5");
		else
			cr_assert(strcmp(line, want) == 0,
				  "start %d: args differ (%zu bytes, want %zu)",
				  i, strlen(line), strlen(want));
		free(line);
		id = test_int(rec, "id");
		json_decref(rec);
		rec = join(fd, id, -1);
		cr_assert_eq(test_int(rec, "exitcode"), 0);
		json_decref(rec);
		test_forget(pfd[0]);
		close(pfd[0]);
	}
	free(want);
	json_decref(big);
	close(fd);
	mpdd_stop(&d);
}

Test(process, all_three_streams_passed_and_files)
{
	char path[PATH_MAX + 16], buf[64];
	int fd, in[2], out[2], err[2], fds[3];
	json_t *rec;
	char *line;
	FILE *f;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	cr_assert(pipe(in) == 0 && pipe(out) == 0 && pipe(err) == 0);
	fds[0] = in[0];
	fds[1] = out[1];
	fds[2] = err[1];
	rec = start_fds(fd,
			json_pack("{s:[sss], s:s, s:s, s:s}", "argv", "sh",
				  "-c", "read x; echo out:$x; echo err:$x >&2",
				  "stdin", "pass", "stdout", "pass", "stderr",
				  "pass"),
			fds, 3);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	test_send_str(in[1], "hey\n");
	line = pipe_line(out[0]);
	cr_assert_str_eq(line, "out:hey");
	free(line);
	line = pipe_line(err[0]);
	cr_assert_str_eq(line, "err:hey");
	free(line);
	json_decref(join(fd, test_int(rec, "id"), -1));
	json_decref(rec);

	/* {"file": ...}: truncate, then append. */
	snprintf(path, sizeof(path), "%s/out.txt", d.dir);
	for (int i = 0; i < 2; i++) {
		json_t *p = json_pack("{s:[sss], s:{s:s, s:b}}", "argv", "sh",
				      "-c", "echo line", "stdout", "file", path,
				      "append", i == 1);

		cr_assert_eq(run_exitcode(fd, p), 0);
	}
	f = fopen(path, "r");
	cr_assert(f != NULL);
	memset(buf, 0, sizeof(buf));
	cr_assert(fread(buf, 1, sizeof(buf) - 1, f) > 0);
	fclose(f);
	cr_assert_str_eq(buf, "line\nline\n");
	close(fd);
	mpdd_stop(&d);
}

Test(process, env_cwd_and_mpd_variables)
{
	int fd, pfd[2];
	json_t *rec, *p;
	char *line, want[2 * PATH_MAX + 256];
	long long id;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	cr_assert(pipe(pfd) == 0);
	p = json_pack("{s:[sss], s:{s:s}, s:s, s:s, s:s}", "argv", "sh", "-c",
		      "echo $FOO:$MPD_PROCESS_ID:$MPD_PROCESS_NAME:"
		      "$MPD_SOCKET:${MPD_PARENT_ID-none}:$(pwd)",
		      "env", "FOO", "bar baz", "cwd", d.dir, "name", "envtest",
		      "stdout", "pass");
	rec = start_fds(fd, p, &pfd[1], 1);
	id = test_int(rec, "id");
	line = pipe_line(pfd[0]);
	snprintf(want, sizeof(want), "bar baz:%lld:envtest:%s:none:%s", id,
		 d.socket, d.dir);
	cr_assert_str_eq(line, want);
	free(line);
	json_decref(rec);

	/* env_clear: only what was given, and mpd's own. */
	p = json_pack("{s:[s], s:{s:s}, s:b, s:s}", "argv", "/usr/bin/env",
		      "env", "ONLY", "1", "env_clear", 1, "stdout", "pass");
	rec = start_fds(fd, p, &pfd[1], 1);
	close(pfd[1]);
	for (int i = 0; i < 4; i++) {
		line = pipe_line(pfd[0]);
		cr_assert(line != NULL);
		cr_assert(strncmp(line, "ONLY=1", 6) == 0 ||
				  strncmp(line, "MPD_", 4) == 0,
			  "unexpected variable %s", line);
		free(line);
	}
	cr_assert_null(pipe_line(pfd[0]));
	json_decref(rec);
	close(fd);
	mpdd_stop(&d);
}

/* Write an executable (mode) file at dir/name with text. */
static void write_tool(const char *dir, const char *name, const char *text,
		       mode_t mode)
{
	char path[PATH_MAX + 64];
	int f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	cr_assert(f >= 0, "%s: %s", path, strerror(errno));
	cr_assert(write(f, text, strlen(text)) == (ssize_t)strlen(text));
	close(f);
}

/* A start of params (stolen) that fails: asserts stage and errno. */
static void assert_start_fails(int fd, json_t *params, const char *stage,
			       int err)
{
	json_t *r, *data;
	const char *name;

	json_object_set_new(params, "start", json_true());
	r = test_call(fd, "process.create", params);
	cr_assert_eq(test_error_code(r, &name), 8);
	data = json_object_get(json_object_get(r, "error"), "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "stage")),
			 stage);
	cr_assert_eq(test_int(data, "errno"), err, "errno %lld, not %d",
		     test_int(data, "errno"), err);
	json_decref(r);
}

/*
 * argv[0] without a '/' is searched in the worker's PATH (its env), not
 * the daemon's; with none, in /bin:/usr/bin. A file the kernel cannot
 * run (no #!) is run by /bin/sh; one found but not executable is EACCES,
 * one found nowhere ENOENT. The same for both start methods.
 */
Test(process, a_program_is_searched_in_the_workers_path)
{
	static const char *const methods[] = { "forkserver", "spawn" };
	char bin[PATH_MAX], path[PATH_MAX + 32];
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	snprintf(bin, sizeof(bin), "%s/bin", d.dir);
	cr_assert(mkdir(bin, 0755) == 0);
	write_tool(bin, "mpdtool", "#!/bin/sh\nexit 9\n", 0755);
	write_tool(bin, "plain", "exit 11\n", 0755);
	write_tool(bin, "noexec", "exit 0\n", 0644);
	snprintf(path, sizeof(path), "/nonexistent:%s:/usr/bin:/bin", bin);
	for (int m = 0; m < 2; m++) {
		const char *sm = methods[m];

		cr_assert_eq(run_exitcode(fd, json_pack("{s:[s], s:{s:s}, s:s}",
							"argv", "mpdtool",
							"env", "PATH", path,
							"start_method", sm)),
			     9, "%s", sm);
		cr_assert_eq(run_exitcode(fd, json_pack("{s:[s], s:{s:s}, s:s}",
							"argv", "plain", "env",
							"PATH", path,
							"start_method", sm)),
			     11, "%s", sm);
		cr_assert_eq(run_exitcode(fd,
					  json_pack("{s:[s], s:{s:s}, s:b, "
						    "s:s}",
						    "argv", "mpdtool", "env",
						    "PATH", bin, "env_clear", 1,
						    "start_method", sm)),
			     9, "%s", sm);
		/* No PATH at all: /bin:/usr/bin. */
		cr_assert_eq(run_exitcode(fd,
					  json_pack("{s:[s], s:b, s:s}", "argv",
						    "true", "env_clear", 1,
						    "start_method", sm)),
			     0, "%s", sm);
		assert_start_fails(fd,
				   json_pack("{s:[s], s:{s:s}, s:s}", "argv",
					     "noexec", "env", "PATH", bin,
					     "start_method", sm),
				   "exec", EACCES);
		assert_start_fails(fd,
				   json_pack("{s:[s], s:{s:s}, s:s}", "argv",
					     "no-such-tool", "env", "PATH",
					     path, "start_method", sm),
				   "exec", ENOENT);
		/* Not in the daemon's PATH. */
		assert_start_fails(fd,
				   json_pack("{s:[s], s:s}", "argv", "mpdtool",
					     "start_method", sm),
				   "exec", ENOENT);
	}
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop(&d);
}

Test(process, join_timeouts_and_many_joiners)
{
	enum { NJ = 8 };
	int fd, js[NJ], in[2];
	json_t *rec;
	long long id;
	char line[128];

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	cr_assert(pipe(in) == 0);
	rec = start_fds(fd,
			json_pack("{s:[sss], s:s}", "argv", "sh", "-c",
				  "read x; exit 4", "stdin", "pass"),
			&in[0], 1);
	close(in[0]);
	id = test_int(rec, "id");
	json_decref(rec);

	/* Timeout 0 and a short one: answered with the running record. */
	rec = join(fd, id, 0);
	cr_assert(json_is_null(json_object_get(rec, "exitcode")));
	json_decref(rec);
	rec = join(fd, id, 0.05);
	cr_assert_str_eq(json_string_value(json_object_get(rec, "state")),
			 "running");
	json_decref(rec);

	/* Many joiners on many connections, all parked, then the exit. */
	for (int i = 0; i < NJ; i++) {
		js[i] = test_connect(d.socket);
		snprintf(line, sizeof(line),
			 "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":"
			 "\"process.join\",\"params\":{\"id\":%lld}}\n",
			 i, id);
		test_send_str(js[i], line);
	}
	/* Every join is parked once a later request on it is answered. */
	for (int i = 0; i < NJ; i++) {
		json_t *r = test_call(js[i], "daemon.ping", NULL);

		test_result(r);
		json_decref(r);
	}
	test_send_str(in[1], "go\n");
	for (int i = 0; i < NJ; i++) {
		char *text = test_read_line(js[i], TEST_TIMEOUT_MS);
		json_t *r = json_loads(text, 0, NULL);

		cr_assert_eq(test_int(r, "id"), i);
		cr_assert_eq(test_int(test_result(r), "exitcode"), 4);
		json_decref(r);
		free(text);
		test_forget(js[i]);
		close(js[i]);
	}
	close(in[1]);
	close(fd);
	mpdd_stop(&d);
}

Test(process, parked_joins_answer_out_of_order)
{
	int fd, a[2], b[2];
	json_t *ra, *rb, *r;
	char line[256], *text;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	cr_assert(pipe(a) == 0 && pipe(b) == 0);
	ra = start_fds(fd,
		       json_pack("{s:[sss], s:s}", "argv", "sh", "-c",
				 "read x; exit 1", "stdin", "pass"),
		       &a[0], 1);
	rb = start_fds(fd,
		       json_pack("{s:[sss], s:s}", "argv", "sh", "-c",
				 "read x; exit 2", "stdin", "pass"),
		       &b[0], 1);
	close(a[0]);
	close(b[0]);
	snprintf(
		line, sizeof(line),
		"{\"jsonrpc\":\"2.0\",\"id\":\"A\",\"method\":\"process.join\","
		"\"params\":{\"id\":%lld}}\n"
		"{\"jsonrpc\":\"2.0\",\"id\":\"B\",\"method\":\"process.join\","
		"\"params\":{\"id\":%lld}}\n",
		test_int(ra, "id"), test_int(rb, "id"));
	test_send_str(fd, line);
	json_decref(test_call(fd, "daemon.ping", NULL));
	test_send_str(b[1], "\n");
	text = test_read_line(fd, TEST_TIMEOUT_MS);
	r = json_loads(text, 0, NULL);
	cr_assert_str_eq(json_string_value(json_object_get(r, "id")), "B");
	cr_assert_eq(test_int(test_result(r), "exitcode"), 2);
	json_decref(r);
	free(text);
	test_send_str(a[1], "\n");
	text = test_read_line(fd, TEST_TIMEOUT_MS);
	r = json_loads(text, 0, NULL);
	cr_assert_str_eq(json_string_value(json_object_get(r, "id")), "A");
	cr_assert_eq(test_int(test_result(r), "exitcode"), 1);
	json_decref(r);
	free(text);
	json_decref(ra);
	json_decref(rb);
	close(fd);
	mpdd_stop(&d);
}

Test(process, terminate_then_kill_a_worker_that_ignores_sigterm)
{
	int fd, pfd[2];
	json_t *rec, *p;
	long long id;
	char *line;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	cr_assert(pipe(pfd) == 0);
	p = fn_params("ignore_term", NULL);
	json_object_set_new(p, "stdout", json_string("pass"));
	rec = start_fds(fd, p, &pfd[1], 1);
	close(pfd[1]);
	id = test_int(rec, "id");
	json_decref(rec);
	line = pipe_line(pfd[0]); /* SIGTERM is ignored from here on */
	cr_assert_str_eq(line, "ready");
	free(line);
	simple_call(fd, "process.terminate", id);
	rec = join(fd, id, 0.3);
	cr_assert_str_eq(json_string_value(json_object_get(rec, "state")),
			 "running");
	json_decref(rec);
	simple_call(fd, "process.kill", id);
	rec = join(fd, id, -1);
	cr_assert_eq(test_int(rec, "exitcode"), -9);
	json_decref(rec);
	close(fd);
	mpdd_stop(&d);
}

/* True when the process behind pidfd has exited. */
static bool exited(int pidfd, int timeout_ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1;
}

/* Start spawn_grandchild; return the record and the grandchild's pidfd. */
static json_t *start_family(int fd, int *gpidfd, pid_t *gpid)
{
	int pfd[2];
	json_t *rec, *p = fn_params("spawn_grandchild", NULL);
	char *line;

	cr_assert(pipe(pfd) == 0);
	json_object_set_new(p, "stdout", json_string("pass"));
	rec = start_fds(fd, p, &pfd[1], 1);
	close(pfd[1]);
	line = pipe_line(pfd[0]);
	*gpid = (pid_t)atoi(line);
	free(line);
	*gpidfd = pidfd_open(*gpid, 0);
	cr_assert(*gpidfd >= 0, "pidfd_open: %s", strerror(errno));
	test_forget(pfd[0]);
	close(pfd[0]);
	return rec;
}

Test(process, group_kill_reaches_a_grandchild)
{
	int fd, gfd;
	json_t *rec;
	pid_t gpid;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	rec = start_family(fd, &gfd, &gpid);
	simple_call(fd, "process.kill", test_int(rec, "id"));
	json_decref(join(fd, test_int(rec, "id"), -1));
	cr_assert(exited(gfd, TEST_TIMEOUT_MS), "the grandchild survived");
	close(gfd);
	json_decref(rec);
	close(fd);
	mpdd_stop(&d);
}

Test(process, no_signal_after_exit_and_group_false)
{
	int fd, gfd;
	json_t *rec, *r;
	long long id;
	pid_t gpid;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	rec = start_family(fd, &gfd, &gpid);
	id = test_int(rec, "id");
	/* The leader alone. */
	json_decref(test_call(fd, "process.kill",
			      json_pack("{s:I, s:b}", "id", id, "group", 0)));
	json_decref(join(fd, id, -1));
	cr_assert(!exited(gfd, 0), "group false reached the grandchild");
	/* The process has ended: signalling it, even as a group, must not
	 * reach anything, though its group lives on in the grandchild. */
	r = test_call(fd, "process.kill", json_pack("{s:I}", "id", id));
	cr_assert_str_eq(
		json_string_value(json_object_get(test_result(r), "state")),
		"exited");
	json_decref(r);
	r = test_call(fd, "process.signal",
		      json_pack("{s:I, s:s}", "id", id, "signal", "TERM"));
	test_result(r);
	json_decref(r);
	cr_assert(!exited(gfd, 100), "a signal after exit reached the group");
	kill(gpid, SIGKILL);
	cr_assert(exited(gfd, TEST_TIMEOUT_MS));
	close(gfd);
	json_decref(rec);
	close(fd);
	mpdd_stop(&d);
}

Test(process, signal_by_name_and_number)
{
	int fd;
	json_t *rec, *r;
	long long id;
	const char *name;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	rec = start_proc(fd, json_pack("{s:[ss]}", "argv", "sleep", "100"));
	id = test_int(rec, "id");
	r = test_call(fd, "process.signal",
		      json_pack("{s:I, s:s}", "id", id, "signal", "SIGBOGUS"));
	cr_assert_eq(test_error_code(r, &name), -32602);
	json_decref(r);
	r = test_call(fd, "process.signal",
		      json_pack("{s:I, s:i}", "id", id, "signal", 0));
	cr_assert_eq(test_error_code(r, &name), -32602);
	json_decref(r);
	r = test_call(fd, "process.signal",
		      json_pack("{s:I, s:s}", "id", id, "signal", "usr1"));
	test_result(r);
	json_decref(r);
	json_decref(rec);
	rec = join(fd, id, -1);
	cr_assert_eq(test_int(rec, "exitcode"), -SIGUSR1);
	json_decref(rec);
	rec = start_proc(fd, json_pack("{s:[ss]}", "argv", "sleep", "100"));
	json_decref(test_call(fd, "process.signal",
			      json_pack("{s:I, s:i}", "id", test_int(rec, "id"),
					"signal", SIGHUP)));
	json_decref(rec);
	rec = join(fd, id + 1, -1);
	cr_assert_eq(test_int(rec, "exitcode"), -SIGHUP);
	cr_assert_str_eq(json_string_value(json_object_get(rec, "signal")),
			 "SIGHUP");
	json_decref(rec);
	close(fd);
	mpdd_stop(&d);
}

Test(process, daemonic_workers_die_with_their_client)
{
	const char *extra[] = { "--kill-grace", "0.2", NULL };
	int a, b, pfd[2];
	json_t *dm, *keep, *stubborn, *p, *rec;
	char *line;

	mpdd_start(&d, extra);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	dm = start_proc(a, json_pack("{s:[ss], s:b}", "argv", "sleep", "100",
				     "daemon", 1));
	keep = start_proc(a, json_pack("{s:[ss]}", "argv", "sleep", "100"));
	cr_assert(pipe(pfd) == 0);
	p = fn_params("ignore_term", NULL);
	json_object_set_new(p, "stdout", json_string("pass"));
	json_object_set_new(p, "daemon", json_true());
	stubborn = start_fds(a, p, &pfd[1], 1);
	close(pfd[1]);
	line = pipe_line(pfd[0]);
	cr_assert_str_eq(line, "ready");
	free(line);
	cr_assert(json_is_true(json_object_get(dm, "daemon")));
	close(a);

	rec = join(b, test_int(dm, "id"), -1);
	cr_assert_eq(test_int(rec, "exitcode"), -SIGTERM);
	json_decref(rec);
	/* One that ignores SIGTERM gets SIGKILL after the grace period. */
	rec = join(b, test_int(stubborn, "id"), -1);
	cr_assert_eq(test_int(rec, "exitcode"), -SIGKILL);
	json_decref(rec);
	rec = join(b, test_int(keep, "id"), 0.2);
	cr_assert_str_eq(json_string_value(json_object_get(rec, "state")),
			 "running");
	json_decref(rec);
	simple_call(b, "process.kill", test_int(keep, "id"));
	json_decref(join(b, test_int(keep, "id"), -1));
	json_decref(dm);
	json_decref(keep);
	json_decref(stubborn);
	close(b);
	mpdd_stop(&d);
}

/* Parameters are copied into the test worker: arrays, not pointers. */
struct failure {
	char target[16]; /* "argv", "module" or "function" */
	char what[64]; /* the program, module path or symbol */
	char field[8]; /* "", "cwd" or "stdout" */
	char method[16];
	char stage[8];
	int err; /* expected errno, or 0 for null */
};

ParameterizedTestParameters(process, start_failures_name_their_stage)
{
	static struct failure cases[] = {
		{ "argv", "no-such-program-xyz", "", "forkserver", "exec", 2 },
		{ "argv", "/nonexistent/prog", "", "spawn", "exec", 2 },
		{ "argv", "/etc", "", "forkserver", "exec", 13 },
		{ "argv", "true", "cwd", "forkserver", "cwd", 2 },
		{ "argv", "true", "stdout", "forkserver", "stdio", 2 },
		/* A controlling terminal needs a terminal on stdin. */
		{ "argv", "true", "ctty", "forkserver", "stdio", ENOTTY },
		{ "argv", "true", "ctty", "spawn", "stdio", ENOTTY },
		{ "function", "exit_with", "ctty", "forkserver", "stdio",
		  ENOTTY },
		{ "module", "/nonexistent/mod.so", "", "forkserver", "dlopen",
		  0 },
		{ "module", "/nonexistent/mod.so", "", "spawn", "dlopen", 0 },
		{ "function", "no_such_function", "", "forkserver", "dlsym",
		  0 },
		{ "function", "no_such_function", "", "spawn", "dlsym", 0 },
	};
	return cr_make_param_array(struct failure, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct failure *c, process, start_failures_name_their_stage)
{
	json_t *p, *r, *data, *rec;
	const char *name;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	if (strcmp(c->target, "argv") == 0)
		p = json_pack("{s:[s]}", "argv", c->what);
	else if (strcmp(c->target, "module") == 0)
		p = json_pack("{s:s, s:s}", "module", c->what, "function", "x");
	else
		p = json_pack("{s:s, s:s}", "module", module(), "function",
			      c->what);
	if (strcmp(c->field, "cwd") == 0)
		json_object_set_new(p, "cwd", json_string("/nonexistent/dir"));
	if (strcmp(c->field, "ctty") == 0)
		json_object_set_new(p, "ctty", json_true());
	if (strcmp(c->field, "stdout") == 0)
		json_object_set_new(p, "stdout",
				    json_pack("{s:s}", "file",
					      "/nonexistent/dir/out"));
	json_object_set_new(p, "start_method", json_string(c->method));
	json_object_set_new(p, "start", json_true());
	r = test_call(fd, "process.create", p);
	cr_assert_eq(test_error_code(r, &name), 8);
	cr_assert_str_eq(name, "spawn_failed");
	data = json_object_get(json_object_get(r, "error"), "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "stage")),
			 c->stage);
	cr_assert_eq(test_int(data, "id"), 1); /* the record that failed */
	if (c->err != 0)
		cr_assert_eq(test_int(data, "errno"), c->err);
	else
		cr_assert(json_is_null(json_object_get(data, "errno")));
	cr_assert(strlen(json_string_value(json_object_get(data, "message"))) >
		  0);
	json_decref(r);
	/* The record stays, failed, with the same error. */
	r = test_call(fd, "process.list", NULL);
	rec = json_array_get(json_object_get(test_result(r), "processes"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(rec, "state")),
			 "failed");
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(rec, "error"), "stage")),
			 c->stage);
	cr_assert(json_is_null(json_object_get(rec, "exitcode")));
	json_decref(r);
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop(&d);
}

Test(process, template_killed_while_workers_run)
{
	int fd, in[2], tfd;
	json_t *r, *sleeper, *reader, *rec;
	long long tpid;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	r = test_call(fd, "daemon.info", NULL);
	tpid = test_int(json_object_get(test_result(r), "template"), "pid");
	json_decref(r);
	sleeper = start_proc(fd, json_pack("{s:[ss]}", "argv", "sleep", "100"));
	cr_assert(pipe(in) == 0);
	reader = start_fds(fd,
			   json_pack("{s:[sss], s:s}", "argv", "sh", "-c",
				     "read x; exit 5", "stdin", "pass"),
			   &in[0], 1);
	close(in[0]);

	tfd = pidfd_open((pid_t)tpid, 0);
	cr_assert(tfd >= 0);
	cr_assert(kill((pid_t)tpid, SIGKILL) == 0);
	cr_assert(exited(tfd, TEST_TIMEOUT_MS));
	close(tfd);

	/* Workers outlive it; their exits are still reported. */
	test_send_str(in[1], "\n");
	rec = join(fd, test_int(reader, "id"), -1);
	cr_assert_eq(test_int(rec, "exitcode"), 5);
	json_decref(rec);
	simple_call(fd, "process.kill", test_int(sleeper, "id"));
	rec = join(fd, test_int(sleeper, "id"), -1);
	cr_assert_eq(test_int(rec, "exitcode"), -9);
	json_decref(rec);
	/* New spawns work (they wait for the new template if need be). */
	cr_assert_eq(run_exitcode(fd, json_pack("{s:[sss]}", "argv", "sh", "-c",
						"exit 6")),
		     6);
	cr_assert_eq(run_exitcode(fd, fn_params("exit_with", json_integer(8))),
		     8);
	r = test_call(fd, "daemon.info", NULL);
	rec = json_object_get(test_result(r), "template");
	cr_assert_eq(test_int(rec, "restarts"), 1);
	cr_assert_neq(test_int(rec, "pid"), tpid);
	json_decref(r);
	json_decref(sleeper);
	json_decref(reader);
	close(fd);
	mpdd_stop(&d);
}

/* In a child running as nobody: the checks of the ownership test. Exit
 * status: 0 when all held, else the number of the check that failed. */
static int as_nobody(const char *socket, long long root_proc)
{
	char pname[64];
	json_t *r, *err;
	const char *name;
	int fd, code;

	if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
		return 1;
	fd = test_try_connect(socket);
	if (fd < 0)
		return 2;
	const char *methods[] = { "process.kill",  "process.terminate",
				  "process.close", "process.info",
				  "process.join",  "process.start" };
	for (int i = 0; i < 6; i++) {
		r = test_call(fd, methods[i],
			      json_pack("{s:I}", "id", root_proc));
		code = json_integer_value(
			json_object_get(json_object_get(r, "error"), "code"));
		name = json_string_value(json_object_get(
			json_object_get(json_object_get(r, "error"), "data"),
			"name"));
		if (code != 4 || name == NULL ||
		    strcmp(name, "permission_denied") != 0)
			return 10 + i;
		json_decref(r);
	}
	r = test_call(fd, "process.list", NULL);
	if (json_array_size(json_object_get(json_object_get(r, "result"),
					    "processes")) != 0)
		return 20;
	json_decref(r);
	/* Its name is taken, and that is all another user learns. */
	snprintf(pname, sizeof(pname), "Process-%lld", root_proc);
	r = test_call(fd, "process.create",
		      json_pack("{s:[s], s:s}", "argv", "true", "name", pname));
	err = json_object_get(r, "error");
	if (json_integer_value(json_object_get(err, "code")) != 2 ||
	    strstr(json_string_value(json_object_get(err, "message")),
		   "(another user's)") == NULL ||
	    json_object_get(json_object_get(err, "data"), "id") != NULL ||
	    json_object_get(json_object_get(err, "data"), "state") != NULL)
		return 22;
	json_decref(r);
	/* Its own process is its to control. */
	r = test_call(fd, "process.create",
		      json_pack("{s:[ss], s:b}", "argv", "sleep", "100",
				"start", 1));
	if (json_object_get(r, "result") == NULL)
		return 21;
	json_decref(r);
	return 0;
}

/* Kill the template with SIGKILL and wait until it is gone. */
static void kill_template(int fd)
{
	long long tpid;
	json_t *r;
	int tfd;

	r = test_call(fd, "daemon.info", NULL);
	tpid = test_int(json_object_get(test_result(r), "template"), "pid");
	json_decref(r);
	tfd = pidfd_open((pid_t)tpid, 0);
	cr_assert(tfd >= 0);
	cr_assert(kill((pid_t)tpid, SIGKILL) == 0);
	cr_assert(exited(tfd, TEST_TIMEOUT_MS));
	close(tfd);
}

/*
 * A package upgrade replaces the daemon's file while it runs: a template
 * restarted afterwards, and a worker started with a fresh image, are still
 * the running daemon's image, not a file that is gone or newer.
 */
Test(process, the_binary_removed_under_mpdd_changes_nothing)
{
	char path[PATH_MAX + 8];
	json_t *r, *p;
	int fd;

	mpdd_start_copy(&d, NULL);
	snprintf(path, sizeof(path), "%s/mpdd", d.dir);
	cr_assert_eq(unlink(path), 0, "%s: %s", path, strerror(errno));
	fd = test_connect(d.socket);
	kill_template(fd);
	cr_assert_eq(run_exitcode(fd, json_pack("{s:[sss]}", "argv", "sh", "-c",
						"exit 6")),
		     6);
	cr_assert_eq(run_exitcode(fd, fn_params("exit_with", json_integer(8))),
		     8);
	p = fn_params("exit_with", json_integer(9));
	json_object_set_new(p, "start_method", json_string("spawn"));
	cr_assert_eq(run_exitcode(fd, p), 9);
	r = test_call(fd, "daemon.info", NULL);
	cr_assert_eq(test_int(json_object_get(test_result(r), "template"),
			      "restarts"),
		     1);
	json_decref(r);
	close(fd);
	mpdd_stop(&d);
}

Test(process, another_uid_cannot_touch_a_process)
{
	json_t *rec, *r;
	int fd, status;
	pid_t pid;

	if (getuid() != 0)
		cr_skip_test("needs root to switch to nobody");
	mpdd_start(&d, NULL);
	/* Let nobody reach the socket; ownership is what is tested. */
	cr_assert(chmod(d.dir, 0755) == 0 && chmod(d.socket, 0666) == 0);
	fd = test_connect(d.socket);
	rec = start_proc(fd, json_pack("{s:[ss]}", "argv", "sleep", "100"));
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(as_nobody(d.socket, test_int(rec, "id")));
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "check %d failed as nobody", WEXITSTATUS(status));
	/* Root sees and controls both. */
	r = test_call(fd, "process.list", NULL);
	cr_assert_eq(
		json_array_size(json_object_get(test_result(r), "processes")),
		2);
	for (int i = 0; i < 2; i++) {
		json_t *p = json_array_get(
			json_object_get(test_result(r), "processes"), i);

		simple_call(fd, "process.kill", test_int(p, "id"));
		json_decref(join(fd, test_int(p, "id"), -1));
	}
	json_decref(r);
	json_decref(rec);
	close(fd);
	mpdd_stop(&d);
}

Test(process, live_process_limit)
{
	const char *extra[] = { "--max-processes", "2", NULL };
	json_t *a, *b, *r, *rec;
	const char *name;
	int fd;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	a = start_proc(fd, json_pack("{s:[ss]}", "argv", "sleep", "100"));
	b = start_proc(fd, json_pack("{s:[ss]}", "argv", "sleep", "100"));
	r = test_call(fd, "process.create",
		      json_pack("{s:[s], s:s, s:b}", "argv", "true", "name",
				"third", "start", 1));
	cr_assert_eq(test_error_code(r, &name), 9);
	cr_assert_str_eq(name, "limit");
	cr_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(json_object_get(r, "error"), "data"),
			"limit")),
		"max_processes");
	json_decref(r);
	/* The record stays, not started; room frees up when one ends. */
	simple_call(fd, "process.kill", test_int(a, "id"));
	json_decref(join(fd, test_int(a, "id"), -1));
	r = test_call(fd, "process.start", json_pack("{s:s}", "name", "third"));
	rec = test_result(r);
	cr_assert_str_eq(json_string_value(json_object_get(rec, "state")),
			 "running");
	json_decref(join(fd, test_int(rec, "id"), -1));
	json_decref(r);
	simple_call(fd, "process.kill", test_int(b, "id"));
	json_decref(a);
	json_decref(b);
	close(fd);
	mpdd_stop(&d);
}

Test(process, fork_failure_is_spawn_failed)
{
	json_t *r, *data;
	const char *name;
	int fd;

	if (getuid() != 0)
		cr_skip_test("needs root to run mpdd as another uid");
	/* mpdd runs as a uid of its own with room for itself and its
	 * template only: the template's fork fails with EAGAIN. */
	mpdd_init(&d);
	cr_assert(chown(d.dir, 60123, 60123) == 0);
	mpdd_start_limited(&d, 60123, 2);
	fd = test_connect(d.socket);
	r = test_call(fd, "process.create",
		      json_pack("{s:[s], s:b}", "argv", "true", "start", 1));
	cr_assert_eq(test_error_code(r, &name), 8);
	data = json_object_get(json_object_get(r, "error"), "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "stage")),
			 "fork");
	cr_assert_eq(test_int(data, "errno"), EAGAIN);
	json_decref(r);
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop(&d);
}

struct worker_args {
	const char *socket;
	int client;
	int bad; /* wrong exit codes seen */
	int errors;
};

static void *concurrent_client(void *arg)
{
	struct worker_args *w = arg;
	int fd = test_try_connect(w->socket);
	char script[32];

	if (fd < 0) {
		w->errors++;
		return NULL;
	}
	for (int i = 0; i < 50; i++) {
		int want = (w->client * 50 + i) % 256;
		json_t *r, *rec;

		snprintf(script, sizeof(script), "exit %d", want);
		r = test_call(fd, "process.create",
			      json_pack("{s:[sss], s:b}", "argv", "sh", "-c",
					script, "start", 1));
		rec = json_object_get(r, "result");
		if (rec == NULL) {
			w->errors++;
			json_decref(r);
			continue;
		}
		json_int_t id = json_integer_value(json_object_get(rec, "id"));

		json_decref(r);
		r = test_call(fd, "process.join", json_pack("{s:I}", "id", id));
		rec = json_object_get(r, "result");
		if (rec == NULL ||
		    json_integer_value(json_object_get(rec, "exitcode")) !=
			    want)
			w->bad++;
		json_decref(r);
		json_decref(test_call(fd, "process.close",
				      json_pack("{s:I}", "id", id)));
	}
	test_forget(fd);
	close(fd);
	return NULL;
}

Test(process, two_hundred_runs_from_four_clients)
{
	struct worker_args w[4];
	pthread_t t[4];

	mpdd_start(&d, NULL);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker_args){ .socket = d.socket, .client = i };
		cr_assert(pthread_create(&t[i], NULL, concurrent_client,
					 &w[i]) == 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(w[i].errors, 0, "client %d: %d failed calls", i,
			     w[i].errors);
		cr_assert_eq(w[i].bad, 0, "client %d: %d wrong exit codes", i,
			     w[i].bad);
	}
	mpdd_stop(&d);
}

Test(process, preload_runs_init_once_in_the_template)
{
	char arg[PATH_MAX + 32];
	const char *extra[] = { "--preload", arg, NULL };
	int fd, pfd[2];
	json_t *r, *p, *rec;
	char *line;

	snprintf(arg, sizeof(arg), "%s:testmod_init", module());
	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	r = test_call(fd, "daemon.info", NULL);
	cr_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(json_object_get(test_result(r),
								 "template"),
						 "preloaded"),
				 0)),
			 arg);
	json_decref(r);
	cr_assert(pipe(pfd) == 0);
	p = fn_params("preloaded_value", NULL);
	json_object_set_new(p, "stdout", json_string("pass"));
	rec = start_fds(fd, p, &pfd[1], 1);
	close(pfd[1]);
	line = pipe_line(pfd[0]);
	cr_assert_str_eq(line, "42");
	free(line);
	json_decref(rec);
	close(fd);
	mpdd_stop(&d);
}

/*
 * A template that cannot come back (its preloaded module was removed):
 * a start waiting for it fails, naming why, instead of waiting for ever,
 * and mpdd serves on.
 */
Test(process, a_template_that_cannot_restart_fails_the_waiting_starts)
{
	char copy[PATH_MAX], arg[PATH_MAX + 8];
	const char *extra[] = { "--preload", arg, NULL };
	const char *name, *msg;
	json_t *r, *data;
	int fd, in, out;
	char buf[65536];
	ssize_t n;

	mpdd_init(&d);
	snprintf(copy, sizeof(copy), "%s/pre.so", d.dir);
	in = open(module(), O_RDONLY | O_CLOEXEC);
	out = open(copy, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	cr_assert(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
	snprintf(arg, sizeof(arg), "%s", copy);
	mpdd_start_in(&d, extra);
	fd = test_connect(d.socket);
	cr_assert_eq(unlink(copy), 0);
	kill_template(fd);

	r = test_call(fd, "process.create",
		      json_pack("{s:[s], s:b}", "argv", "true", "start", 1));
	cr_assert_eq(test_error_code(r, &name), 8);
	data = json_object_get(json_object_get(r, "error"), "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "stage")),
			 "fork");
	msg = json_string_value(
		json_object_get(json_object_get(r, "error"), "message"));
	cr_assert_not_null(strstr(msg, "before it was ready"), "%s", msg);
	json_decref(r);
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop(&d);
}

struct bad_preload {
	char suffix[32];
	char says[32];
};

ParameterizedTestParameters(process, preload_failure_stops_start_up)
{
	static struct bad_preload cases[] = {
		{ "-missing.so", "cannot open" },
		{ ":fail_init", "returned 1" },
		{ ":no_such_init", "init function" },
	};
	return cr_make_param_array(struct bad_preload, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_preload *c, process,
		  preload_failure_stops_start_up)
{
	char arg[PATH_MAX + 64];
	const char *extra[] = { "--preload", arg, NULL };
	char *log;
	int status;

	snprintf(arg, sizeof(arg), "%s%s", module(), c->suffix);
	status = mpdd_run_to_exit(&d, extra);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	log = mpdd_log(&d);
	cr_assert(strstr(log, c->says) != NULL, "log: %s", log);
	cr_assert(access(d.socket, F_OK) == -1, "a socket was created");
	free(log);
}

struct bad_create {
	char params[160];
	int code;
	char field[16];
};

ParameterizedTestParameters(process, bad_create_params)
{
	static struct bad_create cases[] = {
		{ "{}", -32602, "module" },
		{ "{\"argv\":[]}", -32602, "argv" },
		{ "{\"argv\":[1]}", -32602, "argv" },
		{ "{\"argv\":[\"\"]}", -32602, "argv" },
		{ "{\"argv\":\"true\"}", -32602, "argv" },
		{ "{\"argv\":[\"true\"],\"module\":\"m\",\"function\":\"f\"}",
		  -32602, "argv" },
		{ "{\"module\":\"m\"}", -32602, "function" },
		{ "{\"function\":\"f\"}", -32602, "module" },
		{ "{\"argv\":[\"true\"],\"args\":1}", -32602, "args" },
		{ "{\"argv\":[\"true\"],\"env\":{\"A=B\":\"x\"}}", -32602,
		  "env" },
		{ "{\"argv\":[\"true\"],\"env\":{\"A\":1}}", -32602, "env" },
		{ "{\"argv\":[\"true\"],\"env\":[]}", -32602, "env" },
		{ "{\"argv\":[\"true\"],\"stdout\":\"loud\"}", -32602,
		  "stdout" },
		{ "{\"argv\":[\"true\"],\"stdin\":{\"file\":\"\"}}", -32602,
		  "stdin" },
		{ "{\"argv\":[\"true\"],\"stderr\":{\"file\":\"/x\","
		  "\"mode\":1}}",
		  -32602, "stderr" },
		{ "{\"argv\":[\"true\"],\"stdout\":\"pass\"}", -32602,
		  "stdout" },
		{ "{\"argv\":[\"true\"],\"start_method\":\"fork\"}", -32602,
		  "start_method" },
		{ "{\"argv\":[\"true\"],\"name\":\"123\"}", -32602, "name" },
		{ "{\"argv\":[\"true\"],\"name\":\"\"}", -32602, "name" },
		{ "{\"argv\":[\"true\"],\"daemon\":\"yes\"}", -32602,
		  "daemon" },
		{ "{\"argv\":[\"true\"],\"bogus\":1}", -32602, "bogus" },
	};
	return cr_make_param_array(struct bad_create, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_create *c, process, bad_create_params)
{
	json_t *r, *data;
	const char *name;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	r = test_call(fd, "process.create", json_loads(c->params, 0, NULL));
	cr_assert_eq(test_error_code(r, &name), c->code, "%s", c->params);
	data = json_object_get(json_object_get(r, "error"), "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "field")),
			 c->field, "%s", c->params);
	json_decref(r);
	/* Nothing was created. */
	r = test_call(fd, "process.list", NULL);
	cr_assert_eq(
		json_array_size(json_object_get(test_result(r), "processes")),
		0);
	json_decref(r);
	close(fd);
	mpdd_stop(&d);
}

Test(process, state_errors)
{
	char msg[128];
	json_t *r, *rec;
	const char *name;
	long long id;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	r = test_call(fd, "process.create",
		      json_pack("{s:[ss], s:s}", "argv", "sleep", "100", "name",
				"w"));
	id = test_int(test_result(r), "id");
	json_decref(r);
	r = test_call(fd, "process.create",
		      json_pack("{s:[s], s:s}", "argv", "true", "name", "w"));
	cr_assert_eq(test_error_code(r, &name), 2);
	cr_assert_str_eq(name, "exists");
	snprintf(msg, sizeof(msg),
		 "a process named \"w\" exists (id %lld, created)", id);
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(r, "error"), "message")),
			 msg);
	cr_assert_eq(
		json_integer_value(json_object_get(
			json_object_get(json_object_get(r, "error"), "data"),
			"id")),
		id);
	json_decref(r);
	r = test_call(fd, "process.join", json_pack("{s:s}", "name", "w"));
	cr_assert_eq(test_error_code(r, &name), 3);
	json_decref(r);
	r = test_call(fd, "process.start", json_pack("{s:I}", "id", id));
	test_result(r);
	json_decref(r);
	r = test_call(fd, "process.start", json_pack("{s:I}", "id", id));
	cr_assert_eq(test_error_code(r, &name), 3);
	cr_assert_str_eq(name, "invalid_state");
	json_decref(r);
	r = test_call(fd, "process.close", json_pack("{s:I}", "id", id));
	cr_assert_eq(test_error_code(r, &name), 3);
	json_decref(r);
	r = test_call(fd, "process.info", json_pack("{s:I}", "id", 999));
	cr_assert_eq(test_error_code(r, &name), 1);
	cr_assert_str_eq(name, "not_found");
	json_decref(r);
	r = test_call(fd, "process.info", json_pack("{s:s}", "name", "nope"));
	cr_assert_eq(test_error_code(r, &name), 1);
	json_decref(r);
	r = test_call(fd, "process.info",
		      json_pack("{s:I, s:s}", "id", id, "name", "w"));
	cr_assert_eq(test_error_code(r, &name), -32602);
	json_decref(r);
	/* A negative timeout is 0, as in Python: the record as it is now. */
	r = test_call(fd, "process.join",
		      json_pack("{s:I, s:f}", "id", id, "timeout", -2.5));
	rec = test_result(r);
	cr_assert_str_eq(json_string_value(json_object_get(rec, "state")),
			 "running");
	cr_assert(json_is_null(json_object_get(rec, "exitcode")));
	json_decref(r);
	r = test_call(fd, "process.join",
		      json_pack("{s:I, s:f}", "id", id, "timeout", 4e7));
	cr_assert_eq(test_error_code(r, &name), -32602);
	json_decref(r);
	/* info has the details; close works once it ended. */
	r = test_call(fd, "process.info", json_pack("{s:s}", "name", "w"));
	rec = test_result(r);
	cr_assert(json_is_object(json_object_get(rec, "env")));
	cr_assert(json_is_array(json_object_get(rec, "stdio")));
	json_decref(r);
	simple_call(fd, "process.kill", id);
	json_decref(join(fd, id, -1));
	/* An ended record keeps its name until it is closed, and says so. */
	r = test_call(fd, "process.create",
		      json_pack("{s:[s], s:s}", "argv", "true", "name", "w"));
	cr_assert_eq(test_error_code(r, &name), 2);
	snprintf(msg, sizeof(msg),
		 "a process named \"w\" exists (id %lld, exited): close it "
		 "to free the name",
		 id);
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(r, "error"), "message")),
			 msg);
	json_decref(r);
	r = test_call(fd, "process.close", json_pack("{s:I}", "id", id));
	test_result(r);
	json_decref(r);
	r = test_call(fd, "process.info", json_pack("{s:I}", "id", id));
	cr_assert_eq(test_error_code(r, &name), 1);
	json_decref(r);
	/* Then the name is free. */
	json_decref(start_proc(fd, json_pack("{s:[s], s:s}", "argv", "true",
					     "name", "w")));
	close(fd);
	mpdd_stop(&d);
}

Test(process, list_filters_parent_and_retention)
{
	const char *extra[] = { "--max-exited", "3", NULL };
	char *cli = test_built("client/cli/mpd-cli");
	json_t *r, *list, *rec;
	long long parent;
	int fd;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	/* A worker that creates a process through mpd-cli is its parent. */
	rec = start_proc(fd, json_pack("{s:[ssss], s:s}", "argv", cli, "rpc",
				       "process.create",
				       "{\"argv\":[\"true\"],\"name\":\"kid\","
				       "\"start\":true}",
				       "name", "parent-1"));
	parent = test_int(rec, "id");
	json_decref(rec);
	rec = join(fd, parent, -1);
	cr_assert_eq(test_int(rec, "exitcode"), 0);
	json_decref(rec);
	r = test_call(fd, "process.info", json_pack("{s:s}", "name", "kid"));
	cr_assert_eq(test_int(test_result(r), "parent"), parent);
	json_decref(r);
	r = test_call(fd, "process.list",
		      json_pack("{s:I}", "parent", (json_int_t)parent));
	list = json_object_get(test_result(r), "processes");
	cr_assert_eq(json_array_size(list), 1);
	json_decref(r);
	r = test_call(fd, "process.list",
		      json_pack("{s:s}", "name_prefix", "par"));
	cr_assert_eq(
		json_array_size(json_object_get(test_result(r), "processes")),
		1);
	json_decref(r);
	r = test_call(fd, "process.list", json_pack("{s:s}", "state", "nah"));
	cr_assert_eq(test_error_code(r, NULL), -32602);
	json_decref(r);

	/* Past --max-exited, the oldest ended records go. */
	for (int i = 0; i < 4; i++)
		run_exitcode(fd, json_pack("{s:[s]}", "argv", "true"));
	r = test_call(fd, "process.list",
		      json_pack("{s:s}", "state", "exited"));
	list = json_object_get(test_result(r), "processes");
	cr_assert_eq(json_array_size(list), 3);
	cr_assert_eq(test_int(json_array_get(list, 2), "id"), 6);
	json_decref(r);
	free(cli);
	close(fd);
	mpdd_stop(&d);
}

/*
 * With --max-exited 0 an ended record is dropped at once, but only after
 * everyone waiting on it has had it: the starter of a failed start gets
 * its spawn_failed, a joiner the exit code, and the daemon serves on.
 */
Test(process, max_exited_0_answers_before_it_drops)
{
	const char *extra[] = { "--max-exited", "0", NULL };
	json_t *r, *rec, *data;
	char line[256], *reply;
	const char *name;
	int fd, in[2];
	long long id;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	r = test_call(fd, "process.create",
		      json_pack("{s:[s], s:b}", "argv", "/nonexistent/prog",
				"start", 1));
	cr_assert_eq(test_error_code(r, &name), 8);
	data = json_object_get(json_object_get(r, "error"), "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "stage")),
			 "exec");
	json_decref(r);
	cr_assert(pipe(in) == 0);
	rec = start_fds(fd,
			json_pack("{s:[sss], s:s}", "argv", "sh", "-c",
				  "read x; exit 6", "stdin", "pass"),
			&in[0], 1);
	close(in[0]);
	id = test_int(rec, "id");
	json_decref(rec);
	/* The join waits before the process can end (it reads stdin): the
	 * ping's answer, after the join on one connection, says it was
	 * taken. Then the end, answered before the record is dropped. */
	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"process.join\","
		 "\"params\":{\"id\":%lld}}\n"
		 "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"daemon.ping\"}\n",
		 id);
	test_send_str(fd, line);
	reply = test_read_line(fd, TEST_TIMEOUT_MS);
	cr_assert_not_null(strstr(reply, "\"id\":11"), "%s", reply);
	free(reply);
	cr_assert(write(in[1], "\n", 1) == 1);
	close(in[1]);
	reply = test_read_line(fd, TEST_TIMEOUT_MS);
	r = json_loads(reply, 0, NULL);
	free(reply);
	cr_assert_eq(json_integer_value(json_object_get(r, "id")), 10);
	cr_assert_eq(test_int(test_result(r), "exitcode"), 6);
	json_decref(r);
	/* Gone now. */
	r = test_call(fd, "process.info",
		      json_pack("{s:I}", "id", (json_int_t)id));
	test_error_code(r, &name);
	cr_assert_str_eq(name, "not_found");
	json_decref(r);
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop(&d);
}

Test(process, worker_knows_itself_and_calls_back)
{
	int fd, pfd[2];
	json_t *rec, *p, *who;
	char *line;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	cr_assert(pipe(pfd) == 0);
	p = fn_params("whoami", NULL);
	json_object_set_new(p, "stdout", json_string("pass"));
	json_object_set_new(p, "cwd", json_string(d.dir));
	json_object_set_new(p, "name", json_string("me"));
	rec = start_fds(fd, p, &pfd[1], 1);
	close(pfd[1]);
	line = pipe_line(pfd[0]);
	who = json_loads(line, 0, NULL);
	cr_assert(who != NULL, "%s", line);
	cr_assert_eq(test_int(who, "id"), test_int(rec, "id"));
	cr_assert_str_eq(json_string_value(json_object_get(who, "name")), "me");
	cr_assert_eq(test_int(who, "parent"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(who, "socket")),
			 d.socket);
	cr_assert_str_eq(json_string_value(json_object_get(who, "cwd")), d.dir);
	json_decref(who);
	free(line);
	json_decref(rec);
	cr_assert_eq(run_exitcode(fd, fn_params("call_daemon", NULL)), 0);
	close(fd);
	mpdd_stop(&d);
}
