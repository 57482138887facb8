/*
 * test-libmpd.c - libmpd's process and worker API.
 *
 * The "libmpd" suite runs processes through a real mpdd (the binary this
 * build produced) with the test modules of this build ($MPD_TEST_MODULE,
 * $MPD_EXAMPLE_MODULE): options turned into process.create params, run,
 * join with a timeout, lookup, list, close, signals, stdio passed as
 * descriptors, and what a worker learns through the mpd_worker accessors.
 * The "libmpd_fds" suite checks how mpd_call_fds() puts descriptors on the
 * wire, and that bad options never reach the socket, with a forked peer
 * that reads each request with recvmsg(). The "libmpd_worker" suite builds
 * mpd_current_process() from the environment; Criterion runs every test in
 * a process of its own, so each one sees a fresh pthread_once.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "harness.h"
#include "mpd.h"
#include "proto.h"
#include "worker.h"

/*
 * One timeout for every suite in this file: with tests of different
 * timeouts running side by side, Criterion 2.4's watchdog (BoxFort's
 * timeout list) loses a request now and then, which LeakSanitizer reports
 * in the runner and the sanitizer build fails.
 */
#define SUITE_TIMEOUT 60

static struct mpdd d;

static void teardown(void)
{
	mpdd_cleanup(&d);
}

TestSuite(libmpd, .fini = teardown, .timeout = SUITE_TIMEOUT);

/* Values no function may write: out-parameters are set on success only. */
static json_t sentinel_json;
#define SENTINEL    (&sentinel_json)
#define ID_SENTINEL ((int64_t)-77)
/* A descriptor number that is never open: fcntl() gives EBADF. */
#define CLOSED_FD (INT_MAX - 1)

static struct mpd_client *connect_ok(const char *path)
{
	struct mpd_client *c = NULL;
	struct mpd_error err;
	int r = mpd_connect(&c, path, &err);

	cr_assert_eq(r, 0, "mpd_connect(%s): %d %s", path, r, err.message);
	return c;
}

/* A module path from the environment meson gives the tests. */
static const char *module(const char *var)
{
	const char *p = getenv(var);

	cr_assert(p != NULL && access(p, R_OK) == 0,
		  "%s is not a readable module (run with meson test)", var);
	return p;
}

#define TEST_MODULE    module("MPD_TEST_MODULE")
#define EXAMPLE_MODULE module("MPD_EXAMPLE_MODULE")

static json_int_t rec_int(const json_t *rec, const char *key)
{
	json_t *v = json_object_get(rec, key);

	cr_assert(json_is_integer(v), "record member %s is not an integer",
		  key);
	return json_integer_value(v);
}

static const char *rec_str(const json_t *rec, const char *key)
{
	json_t *v = json_object_get(rec, key);

	cr_assert(json_is_string(v), "record member %s is not a string", key);
	return json_string_value(v);
}

static void make_pipe(int p[2])
{
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0, "pipe2: %s", strerror(errno));
}

/*
 * Read fd until EOF (at most timeout_ms) and close it. Returns the bytes
 * as a malloc'd string. A writer that never closes fails the test: the
 * daemon must not keep a passed descriptor once the worker has it.
 */
static char *read_all(int fd, int timeout_ms)
{
	struct timespec t0, t;
	size_t len = 0, cap = 256;
	char *buf = malloc(cap);
	long left;
	ssize_t n;

	cr_assert_not_null(buf);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = timeout_ms - ((t.tv_sec - t0.tv_sec) * 1000 +
				     (t.tv_nsec - t0.tv_nsec) / 1000000);
		cr_assert(left > 0, "no EOF within %d ms; read so far: %.*s",
			  timeout_ms, (int)len, buf);
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if (len + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		cr_assert_geq(n, 0, "read: %s", strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fd);
	return buf;
}

/* Read one line (without '\n') from a pipe, a byte at a time so nothing
 * after it is consumed. Fails the test on EOF or after timeout_ms. */
static void read_line(int fd, char *line, size_t size, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t n = 0;
	char ch;

	for (;;) {
		cr_assert_eq(poll(&pfd, 1, timeout_ms), 1,
			     "no line within %d ms", timeout_ms);
		cr_assert_eq(read(fd, &ch, 1), 1, "EOF before a line");
		if (ch == '\n')
			break;
		cr_assert_lt(n + 1, size, "line too long");
		line[n++] = ch;
	}
	line[n] = '\0';
}

/* Whether pid ends within timeout_ms (through a pidfd: a zombie has
 * ended). A pid that is gone already has ended. */
static int ends_within(pid_t pid, int timeout_ms)
{
	int pfd = pidfd_open(pid, 0);
	struct pollfd p = { .fd = pfd, .events = POLLIN };
	int r;

	if (pfd < 0 && errno == ESRCH)
		return 1;
	cr_assert_geq(pfd, 0, "pidfd_open(%d): %s", (int)pid, strerror(errno));
	while ((r = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	close(pfd);
	return r == 1;
}

/* mpd_run that must succeed with exit code want; the record in *rec (may
 * be NULL). */
static void run_expect(struct mpd_client *c,
		       const struct mpd_process_options *o, int want,
		       json_t **rec)
{
	struct mpd_error err;
	json_t *r_rec = NULL;
	char *text;
	int code = -1000, r;

	r = mpd_run(c, o, 30, &code, &r_rec, &err);
	cr_assert_eq(r, 0, "mpd_run: %d %s (%s)", r, err.message, err.name);
	if (code != want) {
		text = json_dumps(r_rec, JSON_COMPACT);
		cr_assert_fail("exit code %d, not %d: %s", code, want, text);
	}
	if (rec != NULL)
		*rec = r_rec;
	else
		json_decref(r_rec);
}

Test(libmpd, run_of_a_program_returns_its_exit_code)
{
	const char *argv[] = { "sh", "-c", "exit 3", NULL };
	struct mpd_process_options o = { .argv = argv };
	struct mpd_client *c;
	json_t *rec = NULL;

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	run_expect(c, &o, 3, &rec);
	cr_assert_str_eq(rec_str(rec, "state"), "exited");
	cr_assert_eq(rec_int(rec, "exitcode"), 3);
	cr_assert(json_is_null(json_object_get(rec, "signal")));
	cr_assert_eq(rec->refcount, 1, "the record must be the caller's");
	/* The record stays until it is closed. */
	cr_assert_eq(mpd_process_close(c, rec_int(rec, "id"), NULL), 0);
	json_decref(rec);
	/* Exit code and record are optional. */
	cr_assert_eq(mpd_run(c, &o, -1, NULL, NULL, NULL), 0);
	mpd_close(c);
	mpdd_stop(&d);
}

Test(libmpd, run_of_square_writes_49_to_a_passed_pipe)
{
	struct mpd_process_options o = { .function = "square" };
	struct mpd_client *c;
	char *out;
	int p[2];

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	make_pipe(p);
	o.module = EXAMPLE_MODULE;
	o.args = json_integer(7);
	o.stdio[1] = (struct mpd_stdio){ .mode = MPD_STDIO_PASS, .fd = p[1] };
	run_expect(c, &o, 0, NULL);
	cr_assert_eq(o.args->refcount, 1, "args must stay the caller's");
	close(p[1]);
	out = read_all(p[0], TEST_TIMEOUT_MS);
	cr_assert_str_eq(out, "49\n");
	free(out);
	json_decref(o.args);
	mpd_close(c);
	mpdd_stop(&d);
}

Test(libmpd, passed_streams_go_to_stdin_stdout_stderr_in_that_order)
{
	const char *argv[] = { "sh", "-c", "cat; echo err >&2", NULL };
	struct mpd_process_options o = { .argv = argv };
	struct mpd_client *c;
	int in[2], out[2], errp[2];
	char *o_text, *e_text;

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	make_pipe(in);
	make_pipe(out);
	make_pipe(errp);
	cr_assert_eq(write(in[1], "abc", 3), 3);
	close(in[1]);
	o.stdio[0] = (struct mpd_stdio){ .mode = MPD_STDIO_PASS, .fd = in[0] };
	o.stdio[1] = (struct mpd_stdio){ .mode = MPD_STDIO_PASS, .fd = out[1] };
	o.stdio[2] =
		(struct mpd_stdio){ .mode = MPD_STDIO_PASS, .fd = errp[1] };
	run_expect(c, &o, 0, NULL);
	close(in[0]);
	close(out[1]);
	close(errp[1]);
	o_text = read_all(out[0], TEST_TIMEOUT_MS);
	e_text = read_all(errp[0], TEST_TIMEOUT_MS);
	cr_assert_str_eq(o_text, "abc");
	cr_assert_str_eq(e_text, "err\n");
	free(o_text);
	free(e_text);
	mpd_close(c);
	mpdd_stop(&d);
}

Test(libmpd, run_past_its_timeout_is_timeout_with_the_running_record)
{
	struct mpd_process_options o = { .function = "sleeper" };
	struct mpd_client *c;
	struct mpd_error err;
	json_t *rec = SENTINEL, *end = NULL;
	int code = -1000;
	json_int_t id;

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	o.module = EXAMPLE_MODULE;
	o.args = json_integer(30);
	cr_assert_eq(mpd_run(c, &o, 0.2, &code, &rec, &err), MPD_E_TIMEOUT);
	cr_assert_eq(err.code, MPD_E_TIMEOUT);
	cr_assert_str_eq(err.name, "timeout");
	cr_assert_eq(code, -1000, "no exit code on a timeout");
	cr_assert_neq(rec, SENTINEL, "the record comes with the timeout");
	cr_assert(json_is_null(json_object_get(rec, "exitcode")));
	cr_assert_str_eq(rec_str(rec, "state"), "running");
	id = rec_int(rec, "id");
	json_decref(rec);

	cr_assert_eq(mpd_process_kill(c, id, &err), 0, "%s", err.message);
	cr_assert_eq(mpd_process_join(c, id, -1, &end, &err), 0, "%s",
		     err.message);
	cr_assert_eq(rec_int(end, "exitcode"), -SIGKILL);
	cr_assert_str_eq(rec_str(end, "signal"), "SIGKILL");
	json_decref(end);
	json_decref(o.args);
	mpd_close(c);
	mpdd_stop(&d);
}

Test(libmpd, create_start_join_and_info_step_by_step)
{
	const char *argv[] = { "sh", "-c", "exit 5", NULL };
	const char *env[] = { "MPD_TEST_A=1=2", NULL };
	struct mpd_process_options o = { .argv = argv,
					 .name = "step",
					 .env = env };
	struct mpd_client *c;
	struct mpd_error err;
	json_t *rec = NULL, *info = NULL;
	json_int_t id;

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	cr_assert_eq(mpd_process_create(c, &o, &rec, &err), 0, "%s",
		     err.message);
	id = rec_int(rec, "id");
	cr_assert_geq(id, 1);
	cr_assert_str_eq(rec_str(rec, "name"), "step");
	cr_assert_str_eq(rec_str(rec, "state"), "created");
	cr_assert(json_is_null(json_object_get(rec, "pid")));
	json_decref(rec);

	/* Joining what never started is an error of state. */
	rec = SENTINEL;
	cr_assert_eq(mpd_process_join(c, id, 0, &rec, &err),
		     MPD_E_INVALID_STATE);
	cr_assert_eq(rec, SENTINEL);

	cr_assert_eq(mpd_process_info(c, id, &info, &err), 0, "%s",
		     err.message);
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(info, "env"), "MPD_TEST_A")),
			 "1=2", "env splits at the first '='");
	cr_assert_not_null(json_object_get(info, "cwd"));
	cr_assert_not_null(json_object_get(info, "stdio"));
	json_decref(info);

	cr_assert_eq(mpd_process_start(c, id, &rec, &err), 0, "%s",
		     err.message);
	cr_assert_geq(rec_int(rec, "pid"), 1);
	json_decref(rec);
	cr_assert_eq(mpd_process_start(c, id, NULL, &err), MPD_E_INVALID_STATE);
	cr_assert_eq(mpd_process_join(c, id, 10, &rec, &err), 0, "%s",
		     err.message);
	cr_assert_eq(rec_int(rec, "exitcode"), 5);
	json_decref(rec);
	mpd_close(c);
	mpdd_stop(&d);
}

/* Run argv with env and env_clear; returns its stdout. */
static char *run_output(struct mpd_client *c, const char *const *argv,
			const char *const *env, int env_clear)
{
	struct mpd_process_options o = { .argv = argv,
					 .env = env,
					 .env_clear = env_clear };
	int p[2];

	make_pipe(p);
	o.stdio[1] = (struct mpd_stdio){ .mode = MPD_STDIO_PASS, .fd = p[1] };
	run_expect(c, &o, 0, NULL);
	close(p[1]);
	return read_all(p[0], TEST_TIMEOUT_MS);
}

Test(libmpd, env_is_added_and_env_clear_drops_the_daemons)
{
	/* meson gives MPD_TEST_SRCDIR to the test, and so to its mpdd. */
	const char *argv[] = { "/bin/sh", "-c",
			       "printf '%s|%s' \"$MPD_TEST_A\" "
			       "\"${MPD_TEST_SRCDIR-unset}\"",
			       NULL };
	const char *env[] = { "MPD_TEST_A=x=y", NULL };
	const char *srcdir = getenv("MPD_TEST_SRCDIR");
	struct mpd_client *c;
	char want[PATH_MAX + 16], *out;

	cr_assert_not_null(srcdir, "run the tests with meson test");
	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	out = run_output(c, argv, env, 0);
	snprintf(want, sizeof(want), "x=y|%s", srcdir);
	cr_assert_str_eq(out, want);
	free(out);
	out = run_output(c, argv, env, 1);
	cr_assert_str_eq(out, "x=y|unset");
	free(out);
	mpd_close(c);
	mpdd_stop(&d);
}

Test(libmpd, stdout_to_a_file_truncates_or_appends)
{
	const char *argv[] = { "sh", "-c", "echo hi", NULL };
	struct mpd_process_options o = { .argv = argv };
	struct mpd_client *c;
	char path[PATH_MAX + 16], *text;
	int fd;

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	snprintf(path, sizeof(path), "%s/out.txt", d.dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "old old old\n", 12), 12);
	close(fd);

	o.stdio[1] = (struct mpd_stdio){ .mode = MPD_STDIO_FILE, .path = path };
	run_expect(c, &o, 0, NULL);
	o.stdio[1].append = 1;
	run_expect(c, &o, 0, NULL);
	text = read_all(open(path, O_RDONLY | O_CLOEXEC), TEST_TIMEOUT_MS);
	cr_assert_str_eq(text, "hi\nhi\n");
	free(text);
	mpd_close(c);
	mpdd_stop(&d);
}

Test(libmpd, captured_output_is_read_page_by_page_to_its_end)
{
	const char *argv[] = { "sh", "-c", "echo out; echo err >&2", NULL };
	struct mpd_process_options o = { .argv = argv, .start = 1 };
	struct mpd_client *c;
	struct mpd_error err;
	json_t *rec = NULL, *res = NULL;
	char text[64] = "";
	int64_t id, after = -1;
	bool ended = false;

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	o.stdio[1].mode = MPD_STDIO_CAPTURE;
	o.stdio[2].mode = MPD_STDIO_CAPTURE;
	cr_assert_eq(mpd_process_create(c, &o, &rec, &err), 0, "%s",
		     err.message);
	id = rec_int(rec, "id");
	json_decref(rec);
	/* Three bytes at most a call, waiting as long as it takes. */
	while (!ended) {
		cr_assert_eq(mpd_process_output(c, id, after, 3, -1, &res,
						&err),
			     0, "%s", err.message);
		cr_assert_leq(json_string_length(json_object_get(res, "data")),
			      3);
		strncat(text, json_string_value(json_object_get(res, "data")),
			sizeof(text) - strlen(text) - 1);
		after = rec_int(res, "next");
		ended = json_is_true(json_object_get(res, "ended"));
		json_decref(res);
	}
	cr_assert_str_eq(text, "out\nerr\n");
	cr_assert_eq(after, 8);
	/* From the oldest byte, all of it, at once. */
	cr_assert_eq(mpd_process_output(c, id, -1, 0, 0, &res, &err), 0);
	cr_assert_str_eq(rec_str(res, "data"), "out\nerr\n");
	cr_assert_eq(rec_int(res, "offset"), 0);
	cr_assert_eq(rec_int(res, "dropped"), 0);
	json_decref(res);
	cr_assert_eq(mpd_process_info(c, id, &rec, &err), 0);
	cr_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(rec, "stdio"), 2)),
			 "capture");
	json_decref(rec);
	mpd_close(c);
	mpdd_stop(&d);
}

Test(libmpd, output_checks_its_arguments)
{
	const char *argv[] = { "true", NULL };
	struct mpd_process_options o = { .argv = argv, .start = 1 };
	struct mpd_client *c;
	struct mpd_error err;
	json_t *res = SENTINEL, *rec;
	int64_t id;

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	cr_assert_eq(mpd_process_output(c, 0, -1, 0, 0, &res, &err),
		     MPD_E_INVAL);
	cr_assert_eq(mpd_process_output(c, 1, -1, 0, NAN, &res, &err),
		     MPD_E_INVAL);
	cr_assert_eq(mpd_process_output(NULL, 1, -1, 0, 0, &res, &err),
		     MPD_E_INVAL);
	o.stdio[0].mode = MPD_STDIO_CAPTURE;
	cr_assert_eq(mpd_process_create(c, &o, NULL, &err), MPD_E_INVAL);
	o.stdio[0].mode = MPD_STDIO_DEFAULT;
	cr_assert_eq(mpd_process_output(c, 12345, -1, 0, 0, &res, &err),
		     MPD_E_NOT_FOUND);
	/* A process that does not capture. */
	cr_assert_eq(mpd_process_create(c, &o, &rec, &err), 0, "%s",
		     err.message);
	id = rec_int(rec, "id");
	json_decref(rec);
	cr_assert_eq(mpd_process_output(c, id, -1, 0, 0, &res, &err),
		     MPD_E_INVALID_STATE);
	cr_assert_eq(res, SENTINEL);
	cr_assert_eq(mpd_process_join(c, id, -1, NULL, &err), 0);
	cr_assert_eq(mpd_ping(c, &err), 0, "the client stays usable");
	mpd_close(c);
	mpdd_stop(&d);
}

Test(libmpd, a_program_that_is_not_found_is_spawn_failed_at_exec)
{
	const char *argv[] = { "/nonexistent/mpd-test-prog", NULL };
	struct mpd_process_options o = { .argv = argv };
	struct mpd_client *c;
	struct mpd_error err;
	json_t *rec = SENTINEL;
	int code = -1000;

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	cr_assert_eq(mpd_run(c, &o, 5, &code, &rec, &err), MPD_E_SPAWN_FAILED);
	cr_assert_eq(rec, SENTINEL);
	cr_assert_eq(code, -1000);
	cr_assert_str_eq(err.name, "spawn_failed");
	cr_assert_str_eq(json_string_value(json_object_get(err.data, "stage")),
			 "exec");
	cr_assert_eq(json_integer_value(json_object_get(err.data, "errno")),
		     ENOENT);
	cr_assert_eq(mpd_ping(c, &err), 0, "the client stays usable");
	mpd_close(c);
	mpdd_stop(&d);
}

Test(libmpd, lookup_finds_a_process_by_name)
{
	const char *argv[] = { "true", NULL };
	struct mpd_process_options o = { .argv = argv, .name = "lookup-me" };
	struct mpd_client *c;
	struct mpd_error err;
	json_t *rec = NULL;
	int64_t id = ID_SENTINEL;

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	cr_assert_eq(mpd_process_create(c, &o, &rec, &err), 0, "%s",
		     err.message);
	cr_assert_eq(mpd_process_lookup(c, "lookup-me", &id, &err), 0, "%s",
		     err.message);
	cr_assert_eq(id, rec_int(rec, "id"));
	json_decref(rec);

	id = ID_SENTINEL;
	cr_assert_eq(mpd_process_lookup(c, "no-such-name", &id, &err),
		     MPD_E_NOT_FOUND);
	cr_assert_str_eq(err.name, "not_found");
	cr_assert_eq(id, ID_SENTINEL);
	cr_assert_eq(mpd_process_lookup(c, "", &id, &err), MPD_E_INVAL);
	cr_assert_eq(mpd_process_lookup(c, NULL, &id, &err), MPD_E_INVAL);
	cr_assert_eq(id, ID_SENTINEL);
	/* A name that is taken stays taken. */
	cr_assert_eq(mpd_process_create(c, &o, NULL, &err), MPD_E_EXISTS);
	mpd_close(c);
	mpdd_stop(&d);
}

/* The names in a list of records, joined with ','. */
static void list_names(const json_t *list, char *buf, size_t size)
{
	size_t i, n = 0;
	json_t *rec;

	buf[0] = '\0';
	json_array_foreach (list, i, rec) {
		n += (size_t)snprintf(buf + n, size - n, "%s%s",
				      i > 0 ? "," : "", rec_str(rec, "name"));
		cr_assert_lt(n, size);
	}
}

static void assert_list(struct mpd_client *c, const char *state,
			const char *prefix, int64_t parent, const char *want)
{
	struct mpd_error err;
	json_t *list = NULL;
	char names[512];

	cr_assert_eq(mpd_process_list(c, state, prefix, parent, &list, &err), 0,
		     "%s", err.message);
	cr_assert(json_is_array(list));
	cr_assert_eq(list->refcount, 1, "the list must be the caller's");
	list_names(list, names, sizeof(names));
	cr_assert_str_eq(names, want, "state %s, prefix %s, parent %lld", state,
			 prefix, (long long)parent);
	json_decref(list);
}

Test(libmpd, list_filters_by_state_name_prefix_and_parent)
{
	const char *argv[] = { "true", NULL };
	struct mpd_process_options a1 = { .argv = argv, .name = "list-a-1" };
	struct mpd_process_options a2 = { .argv = argv, .name = "list-a-2" };
	struct mpd_process_options b1 = { .argv = argv, .name = "list-b-1" };
	struct mpd_client *c;
	struct mpd_error err;
	json_t *list = SENTINEL;

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	cr_assert_eq(mpd_process_create(c, &a1, NULL, &err), 0, "%s",
		     err.message);
	run_expect(c, &a2, 0, NULL);
	cr_assert_eq(mpd_process_create(c, &b1, NULL, &err), 0, "%s",
		     err.message);

	assert_list(c, NULL, NULL, -1, "list-a-1,list-a-2,list-b-1");
	assert_list(c, NULL, "list-a-", -1, "list-a-1,list-a-2");
	assert_list(c, "created", NULL, -1, "list-a-1,list-b-1");
	assert_list(c, "exited", "list-", -1, "list-a-2");
	assert_list(c, "running", NULL, -1, "");
	/* None of them has a parent: the test is not a worker. */
	assert_list(c, NULL, NULL, 1, "");

	cr_assert_eq(mpd_process_list(c, NULL, NULL, -1, NULL, &err),
		     MPD_E_INVAL);
	cr_assert_eq(mpd_process_list(c, "no-such-state", NULL, -1, &list,
				      &err),
		     MPD_E_INVALID_PARAMS);
	cr_assert_eq(list, SENTINEL);
	mpd_close(c);
	mpdd_stop(&d);
}

/* argv for a 900 KB record: "true" and nine arguments of 100 KB. */
static char **huge_argv(void)
{
	char **argv = calloc(11, sizeof(*argv));

	cr_assert(argv != NULL);
	argv[0] = strdup("true");
	for (int j = 1; j < 10; j++) {
		argv[j] = malloc(100 * 1000 + 1);
		cr_assert(argv[j] != NULL);
		memset(argv[j], 'a' + j, 100 * 1000);
		argv[j][100 * 1000] = '\0';
	}
	return argv;
}

/*
 * Twelve records of 900 KB through a connection that may hold 16 KB of
 * replies: the listing comes in many pages, and mpd_process_list() follows
 * them all.
 */
Test(libmpd, list_follows_every_page_of_huge_records)
{
	const char *extra[] = { "--max-output", "16K", NULL };
	char **argv = huge_argv();
	struct mpd_process_options o = { .argv = (const char *const *)argv };
	struct mpd_client *c;
	struct mpd_error err;
	json_t *list = NULL, *page = SENTINEL, *rec = NULL;
	int64_t ids[12], next = ID_SENTINEL, after = 0;
	int pages = 0, seen = 0;
	size_t i;

	mpdd_start(&d, extra);
	c = connect_ok(d.socket);
	for (int k = 0; k < 12; k++) {
		cr_assert_eq(mpd_process_create(c, &o, &rec, &err), 0, "%s",
			     err.message);
		ids[k] = rec_int(rec, "id");
		json_decref(rec);
	}
	cr_assert_eq(mpd_process_list(c, NULL, NULL, -1, &list, &err), 0, "%s",
		     err.message);
	cr_assert_eq(json_array_size(list), 12);
	json_array_foreach (list, i, rec) {
		cr_assert_eq(rec_int(rec, "id"), ids[i]);
		cr_assert(json_is_array(json_object_get(rec, "truncated")));
	}
	json_decref(list);

	/* Page by page: limit 5, but the room holds fewer. */
	do {
		cr_assert_eq(mpd_process_list_page(c, NULL, NULL, -1, after, 5,
						   &page, &next, &err),
			     0, "%s", err.message);
		cr_assert(json_array_size(page) >= 1 &&
			  json_array_size(page) <= 5);
		json_array_foreach (page, i, rec)
			cr_assert_eq(rec_int(rec, "id"), ids[seen++]);
		json_decref(page);
		after = next;
		pages++;
	} while (next > 0);
	cr_assert_eq(seen, 12);
	cr_assert_gt(pages, 3, "the room should have split the listing");

	/* process.info cuts what does not fit, and says so. */
	cr_assert_eq(mpd_process_info(c, ids[0], &rec, &err), 0, "%s",
		     err.message);
	cr_assert(json_is_array(json_object_get(rec, "truncated")));
	json_decref(rec);

	page = SENTINEL;
	next = ID_SENTINEL;
	cr_assert_eq(mpd_process_list_page(c, NULL, NULL, -1, -1, 0, &page,
					   &next, &err),
		     MPD_E_INVAL);
	cr_assert_eq(mpd_process_list_page(c, NULL, NULL, -1, 0, 100001, &page,
					   &next, &err),
		     MPD_E_INVAL);
	cr_assert_eq(mpd_process_list_page(c, NULL, NULL, -1, 0, 0, NULL, &next,
					   &err),
		     MPD_E_INVAL);
	cr_assert_eq(page, SENTINEL);
	cr_assert_eq(next, ID_SENTINEL);
	cr_assert_eq(mpd_ping(c, &err), 0);
	for (int j = 0; j < 10; j++)
		free(argv[j]);
	free(argv);
	mpd_close(c);
	mpdd_stop(&d);
}

Test(libmpd, close_forgets_ended_records_and_refuses_running_ones)
{
	const char *argv[] = { "true", NULL };
	struct mpd_process_options o = { .argv = argv };
	struct mpd_process_options s = { .function = "sleeper" };
	struct mpd_client *c;
	struct mpd_error err;
	json_t *rec = NULL;
	json_int_t id;

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	/* Never started. */
	cr_assert_eq(mpd_process_create(c, &o, &rec, &err), 0, "%s",
		     err.message);
	id = rec_int(rec, "id");
	json_decref(rec);
	cr_assert_eq(mpd_process_close(c, id, &err), 0, "%s", err.message);
	cr_assert_eq(mpd_process_info(c, id, NULL, &err), MPD_E_NOT_FOUND);
	cr_assert_eq(mpd_process_close(c, id, &err), MPD_E_NOT_FOUND);

	/* Running, then ended. */
	s.module = EXAMPLE_MODULE;
	s.args = json_integer(30);
	s.start = 1;
	cr_assert_eq(mpd_process_create(c, &s, &rec, &err), 0, "%s",
		     err.message);
	id = rec_int(rec, "id");
	json_decref(rec);
	cr_assert_eq(mpd_process_close(c, id, &err), MPD_E_INVALID_STATE);
	cr_assert_eq(mpd_process_terminate(c, id, &err), 0, "%s", err.message);
	cr_assert_eq(mpd_process_join(c, id, -1, &rec, &err), 0, "%s",
		     err.message);
	cr_assert_eq(rec_int(rec, "exitcode"), -SIGTERM);
	json_decref(rec);
	cr_assert_eq(mpd_process_close(c, id, &err), 0, "%s", err.message);
	cr_assert_eq(mpd_process_info(c, id, NULL, &err), MPD_E_NOT_FOUND);
	json_decref(s.args);
	mpd_close(c);
	mpdd_stop(&d);
}

/* Start spawn_grandchild with stdout to a pipe; returns its id and the
 * grandchild's pid. */
static json_int_t start_family(struct mpd_client *c, pid_t *grandchild)
{
	struct mpd_process_options o = { .function = "spawn_grandchild",
					 .start = 1 };
	struct mpd_error err;
	json_t *rec = NULL;
	json_int_t id;
	char line[32];
	int p[2];

	o.module = TEST_MODULE;
	make_pipe(p);
	o.stdio[1] = (struct mpd_stdio){ .mode = MPD_STDIO_PASS, .fd = p[1] };
	cr_assert_eq(mpd_process_create(c, &o, &rec, &err), 0, "%s",
		     err.message);
	close(p[1]);
	id = rec_int(rec, "id");
	json_decref(rec);
	read_line(p[0], line, sizeof(line), TEST_TIMEOUT_MS);
	close(p[0]);
	*grandchild = (pid_t)atoi(line);
	cr_assert_gt(*grandchild, 1, "grandchild pid: %s", line);
	return id;
}

Test(libmpd, signal_with_group_0_reaches_the_process_alone)
{
	struct mpd_client *c;
	struct mpd_error err;
	json_t *rec = NULL;
	json_int_t id;
	pid_t gc;

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	id = start_family(c, &gc);
	cr_assert_eq(mpd_process_signal(c, id, SIGKILL, 0, &err), 0, "%s",
		     err.message);
	cr_assert_eq(mpd_process_join(c, id, -1, &rec, &err), 0, "%s",
		     err.message);
	cr_assert_eq(rec_int(rec, "exitcode"), -SIGKILL);
	json_decref(rec);
	cr_assert_not(ends_within(gc, 200), "the grandchild was signalled");
	kill(gc, SIGKILL);
	mpd_close(c);
	mpdd_stop(&d);
}

Test(libmpd, signal_by_default_reaches_the_whole_group)
{
	struct mpd_client *c;
	struct mpd_error err;
	json_t *rec = NULL;
	json_int_t id;
	pid_t gc;

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	id = start_family(c, &gc);
	cr_assert_eq(mpd_process_signal(c, id, SIGUSR1, 1, &err), 0, "%s",
		     err.message);
	cr_assert_eq(mpd_process_join(c, id, -1, &rec, &err), 0, "%s",
		     err.message);
	cr_assert_eq(rec_int(rec, "exitcode"), -SIGUSR1);
	cr_assert_str_eq(rec_str(rec, "signal"), "SIGUSR1");
	json_decref(rec);
	cr_assert(ends_within(gc, TEST_TIMEOUT_MS),
		  "the grandchild was not signalled");
	mpd_close(c);
	mpdd_stop(&d);
}

Test(libmpd, signal_by_name_takes_the_protocols_names)
{
	static const char *const names[] = { "USR1", "SIGUSR1", "sigusr1" };
	struct mpd_client *c;
	struct mpd_error err;
	json_t *rec = NULL;
	json_int_t id;
	pid_t gc;

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		id = start_family(c, &gc);
		cr_assert_eq(mpd_process_signal_name(c, id, names[i], 1, &err),
			     0, "%s: %s", names[i], err.message);
		cr_assert_eq(mpd_process_join(c, id, -1, &rec, &err), 0, "%s",
			     err.message);
		cr_assert_str_eq(rec_str(rec, "signal"), "SIGUSR1", "%s",
				 names[i]);
		json_decref(rec);
		cr_assert(ends_within(gc, TEST_TIMEOUT_MS),
			  "%s did not reach the group", names[i]);
	}
	/* A name the daemon does not know is its invalid_params; the
	 * process runs on. */
	id = start_family(c, &gc);
	cr_assert_eq(mpd_process_signal_name(c, id, "SIGNOPE", 1, &err),
		     MPD_E_INVALID_PARAMS);
	cr_assert_not_null(strstr(err.message, "signal"), "%s", err.message);
	cr_assert_eq(mpd_process_signal_name(c, id, "", 1, &err),
		     MPD_E_INVALID_PARAMS);
	cr_assert_eq(mpd_process_signal_name(c, id, NULL, 1, &err),
		     MPD_E_INVAL);
	cr_assert_eq(mpd_process_signal_name(c, id, "\xff", 1, &err),
		     MPD_E_INVAL);
	cr_assert_eq(mpd_process_signal_name(c, 0, "TERM", 1, &err),
		     MPD_E_INVAL);
	cr_assert_eq(mpd_process_signal_name(c, id, "HUP", 0, &err), 0, "%s",
		     err.message);
	cr_assert_eq(mpd_process_join(c, id, -1, &rec, &err), 0, "%s",
		     err.message);
	cr_assert_str_eq(rec_str(rec, "signal"), "SIGHUP");
	json_decref(rec);
	cr_assert_not(ends_within(gc, 200), "the grandchild was signalled");
	kill(gc, SIGKILL);
	mpd_close(c);
	mpdd_stop(&d);
}

/*
 * The line mpd_process_signal_line() formats, sent on a second connection
 * while the first waits in a join, signals the process, and the daemon
 * answers nothing on that connection (it is a notification).
 */
Test(libmpd, a_signal_line_sent_raw_signals_and_is_not_answered)
{
	struct mpd_client *c, *c2;
	struct mpd_error err;
	char line[96], small[16], buf[64];
	json_t *rec = NULL;
	json_int_t id;
	pid_t gc;
	int n;

	cr_assert_eq(mpd_process_signal_line(NULL, 96, 1, SIGTERM),
		     MPD_E_INVAL);
	cr_assert_eq(mpd_process_signal_line(line, sizeof(line), 0, SIGTERM),
		     MPD_E_INVAL);
	cr_assert_eq(mpd_process_signal_line(line, sizeof(line), 1, 0),
		     MPD_E_INVAL);
	cr_assert_eq(mpd_process_signal_line(small, sizeof(small), 1, 15),
		     MPD_E_TOOBIG);
	n = mpd_process_signal_line(line, sizeof(line), INT64_MAX, SIGRTMAX);
	cr_assert_gt(n, 0, "the longest line fits 96 bytes");

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	c2 = connect_ok(d.socket);
	id = start_family(c, &gc);
	n = mpd_process_signal_line(line, sizeof(line), id, SIGUSR2);
	cr_assert_gt(n, 0);
	cr_assert_eq(line[n - 1], '\n');
	cr_assert_eq((size_t)n, strlen(line));
	cr_assert_eq(send(mpd_client_fd(c2), line, (size_t)n, MSG_NOSIGNAL), n);
	cr_assert_eq(mpd_process_join(c, id, -1, &rec, &err), 0, "%s",
		     err.message);
	cr_assert_str_eq(rec_str(rec, "signal"), "SIGUSR2");
	json_decref(rec);
	cr_assert(ends_within(gc, TEST_TIMEOUT_MS),
		  "the line's signal did not reach the group");
	/* Nothing came back on c2: its next call reads its own answer. */
	cr_assert_eq(recv(mpd_client_fd(c2), buf, sizeof(buf), MSG_DONTWAIT),
		     -1);
	cr_assert_eq(errno, EAGAIN);
	cr_assert_eq(mpd_ping(c2, &err), 0, "%s", err.message);
	mpd_close(c2);
	mpd_close(c);
	mpdd_stop(&d);
}

/* mpd_last_result() is the whole result of the last answered call, a
 * copy of what the typed functions return, and NULL after an error. */
Test(libmpd, last_result_is_the_whole_result_of_the_last_call)
{
	const char *argv[] = { "sh", "-c", "exit 4", NULL };
	struct mpd_process_options o = { .argv = argv, .name = "lr" };
	struct mpd_client *c;
	struct mpd_error err;
	const json_t *last;
	json_t *rec = NULL;
	int64_t id = 0;
	int code = -1;

	cr_assert_null(mpd_last_result(NULL));
	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	cr_assert_null(mpd_last_result(c), "no call made yet");
	cr_assert_eq(mpd_ping(c, &err), 0, "%s", err.message);
	last = mpd_last_result(c);
	cr_assert(json_is_object(last) && json_object_size(last) == 0,
		  "ping's result is {}");
	cr_assert_eq(mpd_last_result(c), last, "parsed once, then kept");

	cr_assert_eq(mpd_run(c, &o, -1, &code, &rec, &err), 0, "%s",
		     err.message);
	cr_assert_eq(code, 4);
	last = mpd_last_result(c);
	cr_assert(json_equal((json_t *)last, rec), "run ends with the join");
	cr_assert_neq(last, rec, "the caller's record is its own");
	cr_assert_eq(rec->refcount, 1);
	json_decref(rec);

	/* A call that returns nothing of the result still keeps it whole. */
	cr_assert_eq(mpd_process_lookup(c, "lr", &id, &err), 0, "%s",
		     err.message);
	last = mpd_last_result(c);
	cr_assert_eq(json_integer_value(json_object_get(last, "id")), id);
	cr_assert_str_eq(json_string_value(json_object_get(last, "state")),
			 "exited");
	cr_assert_not_null(json_object_get(last, "env"),
			   "lookup's process.info record has env");

	cr_assert_eq(mpd_process_info(c, 999999, NULL, &err), MPD_E_NOT_FOUND);
	cr_assert_null(mpd_last_result(c), "cleared by the failed request");
	cr_assert_eq(mpd_process_close(c, id, &err), 0, "%s", err.message);
	cr_assert_not_null(mpd_last_result(c));
	/* Refused before sending: left as it was. */
	cr_assert_eq(mpd_process_info(c, 0, NULL, &err), MPD_E_INVAL);
	cr_assert_not_null(mpd_last_result(c));
	mpd_close(c);
	mpdd_stop(&d);
}

/*
 * A function worker that returns flushes stdio and runs no atexit handler
 * (docs/protocol.md says so); one that calls exit() runs them.
 */
Test(libmpd, a_returning_function_runs_no_atexit_handler)
{
	struct mpd_process_options o = { .function = "atexit_mark" };
	struct mpd_client *c;
	struct mpd_error err;
	char path[PATH_MAX], *out;
	int code = -1, p[2];

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	o.module = TEST_MODULE;
	snprintf(path, sizeof(path), "%s/atexit-ran", d.dir);
	for (int call_exit = 0; call_exit <= 1; call_exit++) {
		make_pipe(p);
		o.stdio[1] = (struct mpd_stdio){ .mode = MPD_STDIO_PASS,
						 .fd = p[1] };
		o.args = json_pack("{s:s, s:b}", "path", path, "exit",
				   call_exit);
		cr_assert_eq(mpd_run(c, &o, -1, &code, NULL, &err), 0, "%s",
			     err.message);
		json_decref(o.args);
		close(p[1]);
		out = read_all(p[0], TEST_TIMEOUT_MS);
		cr_assert_eq(code, 0);
		cr_assert_str_eq(out, "buffered", "stdio is flushed");
		free(out);
		if (call_exit)
			cr_assert_eq(access(path, F_OK), 0,
				     "exit() runs the handlers");
		else
			cr_assert_eq(access(path, F_OK), -1,
				     "a return runs no atexit handler");
	}
	mpd_close(c);
	mpdd_stop(&d);
}

Test(libmpd, a_worker_knows_itself_through_the_accessors)
{
	struct mpd_process_options o = { .function = "whoami", .name = "who" };
	struct mpd_client *c;
	json_t *rec = NULL, *me;
	json_error_t jerr;
	char idstr[32], dir[PATH_MAX], *out;
	int p[2];

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	o.module = TEST_MODULE;
	o.cwd = d.dir;
	make_pipe(p);
	o.stdio[1] = (struct mpd_stdio){ .mode = MPD_STDIO_PASS, .fd = p[1] };
	run_expect(c, &o, 0, &rec);
	close(p[1]);
	out = read_all(p[0], TEST_TIMEOUT_MS);
	me = json_loads(out, 0, &jerr);
	cr_assert_not_null(me, "whoami printed %s: %s", out, jerr.text);
	cr_assert_eq(rec_int(me, "id"), rec_int(rec, "id"));
	cr_assert_str_eq(rec_str(me, "name"), "who");
	cr_assert_eq(rec_int(me, "parent"), 0);
	cr_assert_str_eq(rec_str(me, "socket"), d.socket);
	snprintf(idstr, sizeof(idstr), "%lld", (long long)rec_int(rec, "id"));
	cr_assert_str_eq(rec_str(me, "env_id"), idstr);
	cr_assert_not_null(realpath(d.dir, dir));
	cr_assert_str_eq(rec_str(me, "cwd"), dir);
	cr_assert_eq(rec_int(me, "uid"), getuid());
	json_decref(me);
	json_decref(rec);
	free(out);
	mpd_close(c);
	mpdd_stop(&d);
}

Test(libmpd, a_worker_calls_the_daemon_through_its_client)
{
	struct mpd_process_options o = { .function = "call_daemon" };
	struct mpd_client *c;

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	o.module = TEST_MODULE;
	run_expect(c, &o, 0, NULL);
	mpd_close(c);
	mpdd_stop(&d);
}

Test(libmpd, process_calls_check_their_arguments)
{
	struct mpd_client *c;
	struct mpd_error err;
	json_t *rec = SENTINEL;

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	cr_assert_eq(mpd_process_start(c, 0, &rec, &err), MPD_E_INVAL);
	cr_assert_eq(mpd_process_join(c, -1, 1, &rec, &err), MPD_E_INVAL);
	cr_assert_eq(mpd_process_join(c, 1, NAN, &rec, &err), MPD_E_INVAL);
	cr_assert_eq(mpd_process_info(NULL, 1, &rec, &err), MPD_E_INVAL);
	cr_assert_eq(mpd_process_kill(c, 0, &err), MPD_E_INVAL);
	cr_assert_eq(rec, SENTINEL);
	/* Well-formed, but no such process. */
	cr_assert_eq(mpd_process_info(c, 12345, &rec, &err), MPD_E_NOT_FOUND);
	cr_assert_eq(mpd_process_terminate(c, 12345, &err), MPD_E_NOT_FOUND);
	cr_assert_eq(mpd_process_signal(c, 12345, SIGUSR1, 1, &err),
		     MPD_E_NOT_FOUND);
	cr_assert_eq(mpd_process_join(c, 12345, 0, &rec, &err),
		     MPD_E_NOT_FOUND);
	cr_assert_eq(rec, SENTINEL);
	cr_assert_eq(mpd_ping(c, &err), 0, "the client stays usable");
	mpd_close(c);
	mpdd_stop(&d);
}

/* The ids of a wait's pending array, as "4 6". Returns a static buffer. */
static const char *pending_ids(const json_t *pending)
{
	static char buf[256];
	size_t i, n = 0;
	json_t *v;

	buf[0] = '\0';
	json_array_foreach (pending, i, v)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%lld",
				      i > 0 ? " " : "",
				      (long long)json_integer_value(v));
	return buf;
}

Test(libmpd, wait_gives_done_records_and_pending_ids_in_the_order_given)
{
	const char *held_argv[] = { "sh", "-c", "read x; exit 4", NULL };
	const char *sleep_argv[] = { "sleep", "1000", NULL };
	const char *exit_argv[] = { "sh", "-c", "exit 3", NULL };
	struct mpd_process_options o = { .argv = exit_argv };
	json_t *rec = NULL, *done = SENTINEL, *pending = SENTINEL;
	int64_t ended, sleeper, held;
	struct mpd_client *c;
	struct mpd_error err;
	char want[128];
	int in[2];

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	run_expect(c, &o, 3, &rec);
	ended = rec_int(rec, "id");
	json_decref(rec);
	o = (struct mpd_process_options){ .argv = sleep_argv, .start = true };
	cr_assert_eq(mpd_process_create(c, &o, &rec, &err), 0, "%s",
		     err.message);
	sleeper = rec_int(rec, "id");
	json_decref(rec);
	make_pipe(in);
	o = (struct mpd_process_options){ .argv = held_argv, .start = true };
	o.stdio[0] = (struct mpd_stdio){ .mode = MPD_STDIO_PASS, .fd = in[0] };
	cr_assert_eq(mpd_process_create(c, &o, &rec, &err), 0, "%s",
		     err.message);
	held = rec_int(rec, "id");
	json_decref(rec);
	close(in[0]);

	/* Any, with one ended: at once, without a timeout. */
	cr_assert_eq(mpd_process_wait(c, (int64_t[]){ sleeper, ended, held }, 3,
				      0, -1, &done, &pending, &err),
		     0, "%s", err.message);
	cr_assert_eq(json_array_size(done), 1);
	cr_assert_eq(rec_int(json_array_get(done, 0), "id"), ended);
	cr_assert_eq(rec_int(json_array_get(done, 0), "exitcode"), 3);
	snprintf(want, sizeof(want), "%lld %lld", (long long)sleeper,
		 (long long)held);
	cr_assert_str_eq(pending_ids(pending), want);
	json_decref(done);
	json_decref(pending);

	/* All, past its timeout: no error, the rest pending. */
	cr_assert_eq(mpd_process_wait(c, (int64_t[]){ held, ended }, 2, 1, 0.1,
				      &done, &pending, &err),
		     0, "%s", err.message);
	cr_assert_eq(json_array_size(done), 1);
	snprintf(want, sizeof(want), "%lld", (long long)held);
	cr_assert_str_eq(pending_ids(pending), want);
	json_decref(done);
	json_decref(pending);

	/* All, until the held one ends; either result may be dropped. */
	close(in[1]);
	cr_assert_eq(mpd_process_wait(c, (int64_t[]){ held, ended }, 2, 1, -1,
				      &done, NULL, &err),
		     0, "%s", err.message);
	cr_assert_eq(json_array_size(done), 2);
	cr_assert_eq(rec_int(json_array_get(done, 0), "exitcode"), 4);
	cr_assert_eq(rec_int(json_array_get(done, 1), "exitcode"), 3);
	json_decref(done);

	cr_assert_eq(mpd_process_kill(c, sleeper, &err), 0, "%s", err.message);
	cr_assert_eq(mpd_process_wait(c, &sleeper, 1, 0, INFINITY, &done,
				      &pending, &err),
		     0, "%s", err.message);
	cr_assert_eq(rec_int(json_array_get(done, 0), "exitcode"), -SIGKILL);
	cr_assert_eq(json_array_size(pending), 0);
	json_decref(done);
	json_decref(pending);
	mpd_close(c);
	mpdd_stop(&d);
}

Test(libmpd, wait_checks_its_arguments_and_names_the_wrong_entry)
{
	const char *argv[] = { "true", NULL };
	struct mpd_process_options o = { .argv = argv };
	json_t *rec = NULL, *done = SENTINEL, *pending = SENTINEL;
	int64_t ids[1025], created, ended;
	struct mpd_client *c;
	struct mpd_error err;

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	run_expect(c, &o, 0, &rec);
	ended = rec_int(rec, "id");
	json_decref(rec);
	cr_assert_eq(mpd_process_create(c, &o, &rec, &err), 0, "%s",
		     err.message);
	created = rec_int(rec, "id");
	json_decref(rec);
	cr_assert_eq(mpd_process_wait(c, NULL, 1, 0, -1, &done, &pending, &err),
		     MPD_E_INVAL);
	cr_assert_eq(mpd_process_wait(c, &created, 0, 0, -1, &done, &pending,
				      &err),
		     MPD_E_INVAL);
	cr_assert_eq(mpd_process_wait(c, (int64_t[]){ created, 0 }, 2, 0, -1,
				      &done, &pending, &err),
		     MPD_E_INVAL);
	cr_assert_eq(mpd_process_wait(c, &created, 1, 0, NAN, &done, &pending,
				      &err),
		     MPD_E_INVAL);
	/* The daemon's refusals, with the entry in err.data. */
	cr_assert_eq(mpd_process_wait(c, (int64_t[]){ ended, 12345 }, 2, 0, -1,
				      &done, &pending, &err),
		     MPD_E_NOT_FOUND);
	cr_assert_eq(json_integer_value(json_object_get(err.data, "index")), 1);
	cr_assert_eq(json_integer_value(json_object_get(err.data, "id")),
		     12345);
	cr_assert_eq(mpd_process_wait(c, (int64_t[]){ ended, created }, 2, 1, 0,
				      &done, &pending, &err),
		     MPD_E_INVALID_STATE, "never started, as for join");
	cr_assert_eq(json_integer_value(json_object_get(err.data, "id")),
		     created);
	for (size_t i = 0; i < 1025; i++)
		ids[i] = ended;
	cr_assert_eq(mpd_process_wait(c, ids, 1025, 0, 0, &done, &pending,
				      &err),
		     MPD_E_INVALID_PARAMS);
	cr_assert_eq(json_integer_value(json_object_get(err.data, "max")),
		     1024);
	cr_assert_eq(done, SENTINEL);
	cr_assert_eq(pending, SENTINEL);
	cr_assert_eq(mpd_ping(c, &err), 0, "the client stays usable");
	mpd_close(c);
	mpdd_stop(&d);
}

Test(libmpd, worker_accessors_check_the_struct)
{
	struct mpd_worker w = {
		.magic = MPD_WORKER_MAGIC,
		.version = MPD_WORKER_VERSION,
		.id = 9,
		.parent = 4,
		.name = "nine",
	};
	struct mpd_client *c;
	struct mpd_error err;

	cr_assert_eq(mpd_worker_id(&w), 9);
	cr_assert_eq(mpd_worker_parent(&w), 4);
	cr_assert_str_eq(mpd_worker_name(&w), "nine");

	/* The client is opened once, to the worker's socket, and kept. */
	mpdd_start(&d, NULL);
	w.socket = d.socket;
	cr_assert_str_eq(mpd_worker_socket(&w), d.socket);
	c = mpd_worker_client(&w, &err);
	cr_assert_not_null(c, "%s", err.message);
	cr_assert_eq(mpd_worker_client(&w, &err), c);
	cr_assert_eq(w.client, c);
	cr_assert_eq(mpd_ping(c, &err), 0, "%s", err.message);
	mpd_close(c);
	mpdd_stop(&d);

	/* NULL, a foreign struct, or another layout version. */
	cr_assert_eq(mpd_worker_id(NULL), 0);
	cr_assert_null(mpd_worker_name(NULL));
	cr_assert_eq(mpd_worker_parent(NULL), 0);
	cr_assert_null(mpd_worker_socket(NULL));
	cr_assert_null(mpd_worker_client(NULL, &err));
	cr_assert_eq(err.code, MPD_E_INVAL);
	w.client = NULL;
	w.magic = 0;
	cr_assert_eq(mpd_worker_id(&w), 0);
	cr_assert_null(mpd_worker_name(&w));
	w.magic = MPD_WORKER_MAGIC;
	w.version = MPD_WORKER_VERSION + 1;
	cr_assert_eq(mpd_worker_id(&w), 0);
	cr_assert_null(mpd_worker_socket(&w));
	cr_assert_eq(mpd_worker_parent(&w), 0);
	cr_assert_null(mpd_worker_client(&w, NULL));
}

/*
 * The wire, with a forked peer. For each request line it reads, the peer
 * writes "fd I\n" into the I-th descriptor it received, logs
 * "METHOD FIRST TOTAL" (descriptors with the line's first byte, and in all)
 * to dir/requests and the params (compact, keys sorted; "-" when absent or
 * longer than PEER_PARAMS_MAX) to dir/params, and answers
 * {"first": FIRST, "total": TOTAL}. It exits at EOF.
 */
#define PEER_PARAMS_MAX 4096

static struct test_peer p;

static void peer_teardown(void)
{
	test_peer_stop(&p);
}

TestSuite(libmpd_fds, .fini = peer_teardown, .timeout = SUITE_TIMEOUT);

/* One recvmsg(); appends the descriptors that came with it to fds. */
static ssize_t peer_recv(int fd, char *buf, size_t len, int *fds, int *nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 64)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *cm;
	ssize_t n;
	int k;

	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0 || (mh.msg_flags & MSG_CTRUNC))
		return -1;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		if (*nfds + k > 64)
			return -1;
		memcpy(fds + *nfds, CMSG_DATA(cm), sizeof(int) * (size_t)k);
		*nfds += k;
	}
	return n;
}

/* Log one request; returns 0, or -1. */
static int peer_log_request(FILE *log, FILE *plog, json_t *req, int first,
			    int nfds)
{
	json_t *params = json_object_get(req, "params");
	char *text = NULL;

	if (params != NULL)
		text = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
	fprintf(log, "%s %d %d\n",
		json_string_value(json_object_get(req, "method")), first, nfds);
	fprintf(plog, "%s\n",
		text != NULL && strlen(text) <= PEER_PARAMS_MAX ? text : "-");
	free(text);
	return fflush(log) == 0 && fflush(plog) == 0 ? 0 : -1;
}

static void peer_serve(int lfd, void *arg)
{
	static char line[4 * 1024 * 1024];
	int fd = accept(lfd, NULL, NULL), fds[64], nfds, first;
	FILE *log = fopen(p.requests, "w"), *plog = fopen(p.params, "w");
	json_t *req, *reply;
	size_t len;
	ssize_t n;
	char *out;

	if (fd < 0 || log == NULL || plog == NULL)
		_exit(2);
	for (;;) {
		nfds = 0;
		/* One byte first: which descriptors come with it? */
		n = peer_recv(fd, line, 1, fds, &nfds);
		if (n == 0)
			break;
		if (n < 0)
			_exit(3);
		first = nfds;
		len = 1;
		/* libmpd waits for each reply: a line ends a read. */
		while (line[len - 1] != '\n') {
			n = peer_recv(fd, line + len, sizeof(line) - len, fds,
				      &nfds);
			if (n <= 0)
				_exit(4);
			len += (size_t)n;
		}
		req = json_loadb(line, len, 0, NULL);
		if (req == NULL)
			_exit(5);
		for (int i = 0; i < nfds; i++) {
			dprintf(fds[i], "fd %d\n", i);
			close(fds[i]);
		}
		if (peer_log_request(log, plog, req, first, nfds) < 0)
			_exit(6);
		reply = json_pack("{s:s,s:O,s:{s:i,s:i}}", "jsonrpc", "2.0",
				  "id", json_object_get(req, "id"), "result",
				  "first", first, "total", nfds);
		out = reply != NULL ? mpd_rpc_encode(reply, &len) : NULL;
		if (out == NULL ||
		    send(fd, out, len, MSG_NOSIGNAL) != (ssize_t)len)
			_exit(7);
		free(out);
		json_decref(reply);
		json_decref(req);
	}
	_exit(0);
}

static void peer_start(void)
{
	test_peer_start(&p, peer_serve, NULL);
}

/* Wait for the peer to finish (the client has hung up). */
static void peer_wait(void)
{
	int status = test_peer_wait(&p);

	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "peer status %#x", status);
}

/* What the peer logged: a new string. */
static char *peer_file(const char *path)
{
	return read_all(open(path, O_RDONLY | O_CLOEXEC), TEST_TIMEOUT_MS);
}

static void assert_peer_file(const char *path, const char *want)
{
	char *text = peer_file(path);

	cr_assert_str_eq(text, want);
	free(text);
}

/* The first and total counts the peer answered with. */
static void assert_counts(json_t *res, int first, int total)
{
	cr_assert_eq(json_integer_value(json_object_get(res, "first")), first);
	cr_assert_eq(json_integer_value(json_object_get(res, "total")), total);
}

Test(libmpd_fds, descriptors_travel_on_the_first_byte_of_their_request)
{
	struct mpd_client *c;
	struct mpd_error err;
	int pipes[3][2], fds[3];
	json_t *res = NULL, *big;
	char *text, *filler;
	size_t big_len = 2 * 1024 * 1024;

	peer_start();
	c = connect_ok(p.socket);
	for (int i = 0; i < 3; i++) {
		make_pipe(pipes[i]);
		fds[i] = pipes[i][1];
	}
	cr_assert_eq(mpd_call_fds(c, "t.fds", NULL, fds, 3, &res, &err), 0,
		     "%s", err.message);
	assert_counts(res, 3, 3);
	json_decref(res);
	/* In order: the peer's I-th descriptor is fds[I]. */
	for (int i = 0; i < 3; i++) {
		char want[16], got[16];

		snprintf(want, sizeof(want), "fd %d", i);
		read_line(pipes[i][0], got, sizeof(got), TEST_TIMEOUT_MS);
		cr_assert_str_eq(got, want);
	}

	/* A line larger than the socket buffer: the fds still go once. */
	filler = malloc(big_len + 1);
	cr_assert_not_null(filler);
	memset(filler, 'x', big_len);
	filler[big_len] = '\0';
	big = json_pack("{s:s}", "filler", filler);
	cr_assert_eq(mpd_call_fds(c, "t.big", big, fds + 1, 1, &res, &err), 0,
		     "%s", err.message);
	assert_counts(res, 1, 1);
	json_decref(res);
	cr_assert_eq(big->refcount, 1);
	json_decref(big);
	free(filler);

	/* mpd_call() sends none; the caller's descriptors stay open. */
	cr_assert_eq(mpd_call(c, "t.none", NULL, &res, &err), 0);
	assert_counts(res, 0, 0);
	json_decref(res);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(fcntl(fds[i], F_GETFD), FD_CLOEXEC);
	mpd_close(c);

	peer_wait();
	assert_peer_file(p.requests, "t.fds 3 3\nt.big 1 1\nt.none 0 0\n");
	for (int i = 0; i < 3; i++) {
		close(pipes[i][1]);
		text = read_all(pipes[i][0], TEST_TIMEOUT_MS);
		cr_assert_str_eq(text, i == 1 ? "fd 0\n" : "",
				 "pipe %d after t.big", i);
		free(text);
	}
}

Test(libmpd_fds, bad_descriptor_arguments_send_nothing)
{
	int fds[MPD_MAX_FDS_PER_MESSAGE + 1], closed[1] = { CLOSED_FD };
	int devnull;
	struct mpd_client *c;
	struct mpd_error err;
	json_t *res = SENTINEL;

	peer_start();
	c = connect_ok(p.socket);
	/* The peer writes into what it gets: one /dev/null, many times. */
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	cr_assert_geq(devnull, 0);
	for (int i = 0; i <= MPD_MAX_FDS_PER_MESSAGE; i++)
		fds[i] = devnull;

	cr_assert_eq(mpd_call_fds(c, "t.x", NULL, fds,
				  MPD_MAX_FDS_PER_MESSAGE + 1, &res, &err),
		     MPD_E_INVAL);
	cr_assert_eq(mpd_call_fds(c, "t.x", NULL, NULL, 1, &res, &err),
		     MPD_E_INVAL);
	cr_assert_eq(mpd_call_fds(c, "t.x", NULL, closed, 1, &res, &err),
		     MPD_E_INVAL);
	cr_assert_eq(err.sys_errno, EBADF);
	cr_assert_eq(res, SENTINEL);
	/* Exactly the limit is fine; no fds with NULL too. */
	cr_assert_eq(mpd_call_fds(c, "t.max", NULL, fds,
				  MPD_MAX_FDS_PER_MESSAGE, &res, &err),
		     0, "%s", err.message);
	assert_counts(res, MPD_MAX_FDS_PER_MESSAGE, MPD_MAX_FDS_PER_MESSAGE);
	json_decref(res);
	cr_assert_eq(mpd_call_fds(c, "t.zero", NULL, NULL, 0, NULL, &err), 0);
	mpd_close(c);

	peer_wait();
	assert_peer_file(p.requests, "t.max 16 16\nt.zero 0 0\n");
	close(devnull);
}

/* Option sets that must be refused before anything is sent. Criterion
 * copies parameters into the test's process: no pointers. */
struct bad_opts {
	char name[48];
};

static struct bad_opts bad_opts_cases[] = {
	{ "null_opts" },
	{ "no_target" },
	{ "argv_and_module" },
	{ "argv_and_function" },
	{ "module_without_function" },
	{ "function_without_module" },
	{ "empty_argv" },
	{ "args_without_function" },
	{ "env_without_equals" },
	{ "env_with_empty_key" },
	{ "argv_not_utf8" },
	{ "env_not_utf8" },
	{ "file_without_path" },
	{ "pass_of_a_negative_fd" },
	{ "pass_of_a_closed_fd" },
	{ "unknown_stdio_mode" },
};

ParameterizedTestParameters(libmpd_fds, bad_options_are_inval_and_unsent)
{
	return cr_make_param_array(struct bad_opts, bad_opts_cases,
				   sizeof(bad_opts_cases) /
					   sizeof(bad_opts_cases[0]));
}

ParameterizedTest(struct bad_opts *b, libmpd_fds,
		  bad_options_are_inval_and_unsent)
{
	static const char *const argv[] = { "true", NULL };
	static const char *const no_argv[] = { NULL };
	static const char *const bad_argv[] = { "tr\xff", NULL };
	static const char *const env_noeq[] = { "A=1", "JUSTKEY", NULL };
	static const char *const env_nokey[] = { "=1", NULL };
	static const char *const env_bad[] = { "A=\xc3", NULL };
	struct mpd_process_options o = { .argv = argv };
	const struct mpd_process_options *op = &o;
	struct mpd_client *c;
	struct mpd_error err;
	json_t *rec = SENTINEL, *args = json_object();
	int code = -1000;

	if (strcmp(b->name, "null_opts") == 0) {
		op = NULL;
	} else if (strcmp(b->name, "no_target") == 0) {
		o.argv = NULL;
	} else if (strcmp(b->name, "argv_and_module") == 0) {
		o.module = "m.so";
		o.function = "f";
	} else if (strcmp(b->name, "argv_and_function") == 0) {
		o.function = "f";
	} else if (strcmp(b->name, "module_without_function") == 0) {
		o.argv = NULL;
		o.module = "m.so";
	} else if (strcmp(b->name, "function_without_module") == 0) {
		o.argv = NULL;
		o.function = "f";
	} else if (strcmp(b->name, "empty_argv") == 0) {
		o.argv = no_argv;
	} else if (strcmp(b->name, "args_without_function") == 0) {
		o.args = args;
	} else if (strcmp(b->name, "env_without_equals") == 0) {
		o.env = env_noeq;
	} else if (strcmp(b->name, "env_with_empty_key") == 0) {
		o.env = env_nokey;
	} else if (strcmp(b->name, "argv_not_utf8") == 0) {
		o.argv = bad_argv;
	} else if (strcmp(b->name, "env_not_utf8") == 0) {
		o.env = env_bad;
	} else if (strcmp(b->name, "file_without_path") == 0) {
		o.stdio[1].mode = MPD_STDIO_FILE;
	} else if (strcmp(b->name, "pass_of_a_negative_fd") == 0) {
		o.stdio[0] =
			(struct mpd_stdio){ .mode = MPD_STDIO_PASS, .fd = -1 };
	} else if (strcmp(b->name, "pass_of_a_closed_fd") == 0) {
		o.stdio[2] = (struct mpd_stdio){ .mode = MPD_STDIO_PASS,
						 .fd = CLOSED_FD };
	} else if (strcmp(b->name, "unknown_stdio_mode") == 0) {
		o.stdio[1].mode = (enum mpd_stdio_mode)42;
	} else {
		cr_assert_fail("unknown case %s", b->name);
	}

	peer_start();
	c = connect_ok(p.socket);
	cr_assert_eq(mpd_process_create(c, op, &rec, &err), MPD_E_INVAL,
		     "%s: create", b->name);
	cr_assert_eq(err.code, MPD_E_INVAL);
	cr_assert_neq(err.message[0], '\0');
	cr_assert_eq(mpd_run(c, op, 1, &code, &rec, &err), MPD_E_INVAL,
		     "%s: run", b->name);
	cr_assert_eq(rec, SENTINEL);
	cr_assert_eq(code, -1000);
	cr_assert_eq(args->refcount, 1);
	/* The next request is the first the peer sees. */
	cr_assert_eq(mpd_ping(c, &err), 0, "%s", err.message);
	mpd_close(c);
	peer_wait();
	assert_peer_file(p.requests, "daemon.ping 0 0\n");
	json_decref(args);
}

Test(libmpd_fds, create_sends_the_documented_params)
{
	static const char *const env[] = { "A=1", "B=x=y", "A=2", NULL };
	struct mpd_process_options o = {
		.name = "n",
		.module = "m.so",
		.function = "f",
		.env = env,
		.env_clear = 1,
		.cwd = "/tmp",
		.daemon = 1,
		.start_method = "spawn",
		.start = 1,
	};
	struct mpd_client *c;
	struct mpd_error err;
	int pin[2], perr[2];
	json_t *res = NULL, *args = json_pack("{s:[i,i]}", "k", 1, 2);
	char *text;

	o.args = args;
	make_pipe(pin);
	make_pipe(perr);
	/* Write ends both, so the peer can mark them; the library does not
	 * care which way a descriptor points. */
	o.stdio[0] = (struct mpd_stdio){ .mode = MPD_STDIO_PASS, .fd = pin[1] };
	o.stdio[1] = (struct mpd_stdio){ .mode = MPD_STDIO_FILE,
					 .path = "/tmp/o",
					 .append = 1 };
	o.stdio[2] =
		(struct mpd_stdio){ .mode = MPD_STDIO_PASS, .fd = perr[1] };
	peer_start();
	c = connect_ok(p.socket);
	cr_assert_eq(mpd_process_create(c, &o, &res, &err), 0, "%s",
		     err.message);
	assert_counts(res, 2, 2);
	json_decref(res);

	/* The defaults are left out; mpd_run() always starts. */
	o = (struct mpd_process_options){ .argv = (const char *const[]){
						  "a", "b c", NULL } };
	o.stdio[0].mode = MPD_STDIO_NULL;
	o.stdio[2].mode = MPD_STDIO_INHERIT;
	o.stdio[1] =
		(struct mpd_stdio){ .mode = MPD_STDIO_FILE, .path = "/tmp/o" };
	cr_assert_eq(mpd_process_create(c, &o, NULL, &err), 0, "%s",
		     err.message);
	mpd_close(c);

	peer_wait();
	assert_peer_file(p.requests,
			 "process.create 2 2\nprocess.create 0 0\n");
	assert_peer_file(
		p.params,
		"{\"args\":{\"k\":[1,2]},\"cwd\":\"/tmp\",\"daemon\":true,"
		"\"env\":{\"A\":\"2\",\"B\":\"x=y\"},\"env_clear\":true,"
		"\"function\":\"f\",\"module\":\"m.so\",\"name\":\"n\","
		"\"start\":true,\"start_method\":\"spawn\","
		"\"stderr\":\"pass\",\"stdin\":\"pass\","
		"\"stdout\":{\"append\":true,\"file\":\"/tmp/o\"}}\n"
		"{\"argv\":[\"a\",\"b c\"],\"stderr\":\"inherit\","
		"\"stdin\":\"null\",\"stdout\":{\"append\":false,"
		"\"file\":\"/tmp/o\"}}\n");
	/* stdin's descriptor came first, stderr's second. */
	close(pin[1]);
	close(perr[1]);
	text = read_all(pin[0], TEST_TIMEOUT_MS);
	cr_assert_str_eq(text, "fd 0\n");
	free(text);
	text = read_all(perr[0], TEST_TIMEOUT_MS);
	cr_assert_str_eq(text, "fd 1\n");
	free(text);
	json_decref(args);
}

Test(libmpd_fds, process_calls_send_the_documented_params)
{
	struct mpd_client *c;
	struct mpd_error err;
	json_t *list = NULL, *rec = NULL;

	peer_start();
	c = connect_ok(p.socket);
	/* The peer's answer is an object, so these calls take it as a
	 * record; list wants {"processes": [...]} and refuses it. */
	cr_assert_eq(mpd_process_start(c, 3, NULL, &err), 0);
	cr_assert_eq(mpd_process_join(c, 3, -1, NULL, &err), 0);
	cr_assert_eq(mpd_process_join(c, 3, 2.5, &rec, &err), 0);
	cr_assert(json_is_object(rec));
	json_decref(rec);
	cr_assert_eq(mpd_process_join(c, 3, INFINITY, NULL, &err), 0);
	cr_assert_eq(mpd_process_terminate(c, 3, &err), 0);
	cr_assert_eq(mpd_process_kill(c, 3, &err), 0);
	cr_assert_eq(mpd_process_signal(c, 3, SIGUSR1, 0, &err), 0);
	cr_assert_eq(mpd_process_signal(c, 3, SIGHUP, 1, &err), 0);
	cr_assert_eq(mpd_process_info(c, 3, NULL, &err), 0);
	cr_assert_eq(mpd_process_close(c, 3, &err), 0);
	cr_assert_eq(mpd_process_list(c, NULL, NULL, -1, &list, &err),
		     MPD_E_PROTO);
	cr_assert_eq(mpd_process_list(c, "running", "w-", 2, &list, &err),
		     MPD_E_PROTO);
	cr_assert_null(list);
	/* lookup wants an id in the record. */
	cr_assert_eq(mpd_process_lookup(c, "w-1", NULL, &err), MPD_E_PROTO);
	cr_assert_eq(mpd_ping(c, &err), 0, "the client stays usable");
	mpd_close(c);

	peer_wait();
	assert_peer_file(p.requests, "process.start 0 0\nprocess.join 0 0\n"
				     "process.join 0 0\nprocess.join 0 0\n"
				     "process.terminate 0 0\nprocess.kill 0 0\n"
				     "process.signal 0 0\nprocess.signal 0 0\n"
				     "process.info 0 0\nprocess.close 0 0\n"
				     "process.list 0 0\nprocess.list 0 0\n"
				     "process.info 0 0\ndaemon.ping 0 0\n");
	assert_peer_file(
		p.params,
		"{\"id\":3}\n{\"id\":3}\n{\"id\":3,\"timeout\":2.5}\n"
		"{\"id\":3}\n{\"id\":3}\n{\"id\":3}\n"
		"{\"group\":false,\"id\":3,\"signal\":10}\n"
		"{\"group\":true,\"id\":3,\"signal\":1}\n"
		"{\"id\":3}\n{\"id\":3}\n{}\n"
		"{\"name_prefix\":\"w-\",\"parent\":2,\"state\":\"running\"}\n"
		"{\"name\":\"w-1\"}\n-\n");
}

/* process.wait's params as the protocol has them; a result without
 * "done" and "pending" arrays is MPD_E_PROTO, nothing handed back. */
Test(libmpd_fds, wait_sends_the_documented_params)
{
	json_t *done = SENTINEL, *pending = SENTINEL;
	struct mpd_client *c;
	struct mpd_error err;

	peer_start();
	c = connect_ok(p.socket);
	cr_assert_eq(mpd_process_wait(c, (int64_t[]){ 3, 4 }, 2, 1, 2.5, &done,
				      &pending, &err),
		     MPD_E_PROTO);
	cr_assert_eq(mpd_process_wait(c, (int64_t[]){ 5 }, 1, 0, -1, &done,
				      &pending, &err),
		     MPD_E_PROTO);
	cr_assert_eq(mpd_process_wait(c, (int64_t[]){ 5 }, 1, 0, 0, NULL, NULL,
				      &err),
		     MPD_E_PROTO);
	cr_assert_eq(done, SENTINEL);
	cr_assert_eq(pending, SENTINEL);
	mpd_close(c);
	peer_wait();
	assert_peer_file(p.requests, "process.wait 0 0\nprocess.wait 0 0\n"
				     "process.wait 0 0\n");
	assert_peer_file(p.params, "{\"ids\":[3,4],\"return_when\":\"all\","
				   "\"timeout\":2.5}\n{\"ids\":[5]}\n"
				   "{\"ids\":[5],\"timeout\":0.0}\n");
}

/*
 * mpd_current_process() from the environment. Each test is a process of
 * its own, so pthread_once runs afresh with the variables it sets.
 */
static void clear_mpd_env(void)
{
	unsetenv(MPD_ENV_PROCESS_ID);
	unsetenv(MPD_ENV_PROCESS_NAME);
	unsetenv(MPD_ENV_PARENT_ID);
	unsetenv(MPD_ENV_SOCKET);
}

TestSuite(libmpd_worker, .init = clear_mpd_env, .timeout = SUITE_TIMEOUT);

Test(libmpd_worker, current_process_is_null_outside_mpd)
{
	setenv(MPD_ENV_PROCESS_NAME, "not-a-worker", 1);
	cr_assert_null(mpd_current_process());
	cr_assert_null(mpd_current_process());
	cr_assert_eq(mpd_parent_process(), 0);
	/* Decided once: setting the id later changes nothing. */
	setenv(MPD_ENV_PROCESS_ID, "4", 1);
	cr_assert_null(mpd_current_process());
}

Test(libmpd_worker, current_process_is_built_from_the_environment)
{
	mpd_worker *w;

	setenv(MPD_ENV_PROCESS_ID, "17", 1);
	setenv(MPD_ENV_PROCESS_NAME, "worker-x", 1);
	setenv(MPD_ENV_PARENT_ID, "5", 1);
	setenv(MPD_ENV_SOCKET, "/tmp/mpd-test-none.sock", 1);
	w = mpd_current_process();
	cr_assert_not_null(w);
	cr_assert_eq(mpd_worker_id(w), 17);
	cr_assert_str_eq(mpd_worker_name(w), "worker-x");
	cr_assert_eq(mpd_worker_parent(w), 5);
	cr_assert_str_eq(mpd_worker_socket(w), "/tmp/mpd-test-none.sock");
	cr_assert_eq(mpd_parent_process(), 5);
	/* The same object, with copies of what the environment said. */
	setenv(MPD_ENV_PROCESS_NAME, "changed", 1);
	setenv(MPD_ENV_PROCESS_ID, "18", 1);
	cr_assert_eq(mpd_current_process(), w);
	cr_assert_str_eq(mpd_worker_name(w), "worker-x");
	cr_assert_eq(mpd_worker_id(w), 17);
}

Test(libmpd_worker, current_process_without_parent_or_socket)
{
	mpd_worker *w;

	setenv(MPD_ENV_PROCESS_ID, "3", 1);
	w = mpd_current_process();
	cr_assert_not_null(w);
	cr_assert_eq(mpd_worker_id(w), 3);
	cr_assert_eq(mpd_worker_parent(w), 0);
	cr_assert_eq(mpd_parent_process(), 0);
	cr_assert_str_eq(mpd_worker_name(w), "");
	cr_assert_null(mpd_worker_socket(w));
}

Test(libmpd_worker, current_process_client_talks_to_its_daemon)
{
	struct mpd_client *c;
	struct mpd_error err;
	mpd_worker *w;

	mpdd_start(&d, NULL);
	setenv(MPD_ENV_PROCESS_ID, "1", 1);
	setenv(MPD_ENV_SOCKET, d.socket, 1);
	w = mpd_current_process();
	cr_assert_not_null(w);
	c = mpd_worker_client(w, &err);
	cr_assert_not_null(c, "%s", err.message);
	cr_assert_str_eq(mpd_client_socket(c), d.socket);
	cr_assert_eq(mpd_worker_client(w, &err), c);
	cr_assert_eq(mpd_ping(c, &err), 0, "%s", err.message);
	mpdd_stop(&d);
}

struct bad_id {
	char value[32];
};

static struct bad_id bad_ids[] = {
	{ "" },	   { "0" },  { "-3" },	 { "12x" },
	{ " 12" }, { "+5" }, { "0x10" }, { "99999999999999999999" },
};

ParameterizedTestParameters(libmpd_worker, a_bad_process_id_is_no_worker)
{
	return cr_make_param_array(struct bad_id, bad_ids,
				   sizeof(bad_ids) / sizeof(bad_ids[0]));
}

ParameterizedTest(struct bad_id *b, libmpd_worker,
		  a_bad_process_id_is_no_worker)
{
	setenv(MPD_ENV_PROCESS_ID, b->value, 1);
	setenv(MPD_ENV_PROCESS_NAME, "w", 1);
	cr_assert_null(mpd_current_process(), "MPD_PROCESS_ID=\"%s\"",
		       b->value);
	cr_assert_eq(mpd_parent_process(), 0);
}
