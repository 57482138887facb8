/*
 * test-fds.c - descriptors for workers (process.create "fds") against a
 * real mpdd: a program and a function each get two named descriptors at
 * exactly 3 and 4 (MPD_FDS names them), by every start path (forkserver,
 * spawn, the pool), with nothing else open; sixteen land in their places
 * although their numbers in the template collide with the places; once
 * the worker exits, or its start fails, nobody else holds them (the test
 * sees EOF on the pipe it kept); every bad "fds" gets invalid_params
 * naming it, its descriptors are closed and the daemon goes on serving;
 * and libmpd's side: mpd_process_options' descriptors, mpd_worker_fd()
 * and mpd_fd_by_name().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"
#include "mpd.h"
#include "proto.h"
#include "worker.h"

static struct mpdd d;

static void teardown(void)
{
	mpdd_teardown(&d);
}

/* One timeout for the file's suites: see test-libmpd.c. */
TestSuite(fds, .fini = teardown, .timeout = 120);
TestSuite(fds_libmpd, .fini = teardown, .timeout = 120);

static const char *test_module(void)
{
	const char *p = getenv("MPD_TEST_MODULE");

	cr_assert(p != NULL && access(p, R_OK) == 0,
		  "MPD_TEST_MODULE is not a readable module (run with meson "
		  "test)");
	return p;
}

static void make_pipe(int p[2])
{
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0, "pipe2: %s", strerror(errno));
}

/*
 * Read fd to EOF (at most TEST_TIMEOUT_MS) and close it: the bytes, as a
 * malloc'd string. A writer left open anywhere (the daemon, the template,
 * a worker) fails the test.
 */
static char *read_to_eof(int fd)
{
	size_t len = 0, cap = 256;
	char *buf = malloc(cap);
	struct timespec t0, t;
	ssize_t n;

	cr_assert_not_null(buf);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long left;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = TEST_TIMEOUT_MS - ((t.tv_sec - t0.tv_sec) * 1000 +
					  (t.tv_nsec - t0.tv_nsec) / 1000000);
		cr_assert(left > 0,
			  "no EOF within %d ms (a copy is held); "
			  "read so far: %.*s",
			  TEST_TIMEOUT_MS, (int)len, buf);
		if (poll(&p, 1, (int)left) <= 0)
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

/* Assert that fd (a pipe's read end) has neither data nor EOF: its
 * writing end is still held somewhere. */
static void assert_still_open(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	cr_assert_eq(poll(&p, 1, 0), 0, "the write end is no longer held");
}

/* Read from fd exactly the bytes of want (no EOF before them). */
static void read_exactly(int fd, const char *want)
{
	size_t n = 0, len = strlen(want);
	char buf[256];

	cr_assert_lt(len, sizeof(buf));
	while (n < len) {
		ssize_t k = read(fd, buf + n, len - n);

		if (k < 0 && errno == EINTR)
			continue;
		cr_assert_gt(k, 0, "EOF before \"%s\"", want);
		n += (size_t)k;
	}
	buf[n] = '\0';
	cr_assert_str_eq(buf, want);
}

/* Join process id and return its exit code. */
static long long join_code(int fd, long long id)
{
	json_t *rec = test_ok(fd, "process.join",
			      json_pack("{s:I, s:f}", "id", (json_int_t)id,
					"timeout", TEST_TIMEOUT_MS / 1000.0));
	json_t *code = json_object_get(rec, "exitcode");
	long long c;

	cr_assert(json_is_integer(code), "not ended");
	c = json_integer_value(code);
	json_decref(rec);
	return c;
}

/* The descriptors open in pid, as "0 1 2 ..." in ascending order. */
static void open_fds(pid_t pid, char *out, size_t size)
{
	char path[64];
	bool open[1024] = { false };
	struct dirent *e;
	size_t n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	dir = opendir(path);
	cr_assert_not_null(dir, "%s: %s", path, strerror(errno));
	while ((e = readdir(dir)) != NULL) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] != '.' && fd >= 0 && fd < 1024)
			open[fd] = true;
	}
	closedir(dir);
	out[0] = '\0';
	for (int fd = 0; fd < 1024; fd++)
		if (open[fd])
			n += (size_t)snprintf(out + n, size - n, "%s%d",
					      n > 0 ? " " : "", fd);
}

/* The pipe inode behind descriptor k of pid: "pipe:[N]". */
static void fd_link(pid_t pid, int k, char *out, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%ld/fd/%d", (long)pid, k);
	n = readlink(path, out, size - 1);
	cr_assert_gt(n, 0, "%s: %s", path, strerror(errno));
	out[n] = '\0';
}

static void pipe_link(int fd, char *out, size_t size)
{
	struct stat st;

	cr_assert_eq(fstat(fd, &st), 0);
	snprintf(out, size, "pipe:[%lu]", (unsigned long)st.st_ino);
}

/*
 * A program gets two named descriptors at 3 and 4, by the start method
 * given: the names in MPD_FDS and process.info; nothing else open but 0,
 * 1 and 2 (its stdin a third descriptor, "pass", claimed after the named
 * ones); and once it exits, EOF on both pipes: nobody else kept a copy.
 */
static void program_gets_two(const char *method, const char *const *extra)
{
	int a[2], b[2], in[2], fd, sent[3];
	char want[64], got[64], fds[256];
	json_t *reply, *rec, *names;
	long long id;
	pid_t pid;
	char *text;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	make_pipe(a);
	make_pipe(b);
	make_pipe(in);
	sent[0] = a[1];
	sent[1] = b[1];
	sent[2] = in[0];
	reply = test_call_fds(
		fd, "process.create",
		json_pack("{s:[s, s, s], s:[s, s], s:s, s:{s:s}, s:s, s:b}",
			  "argv", "sh", "-c",
			  "(echo \"$MPD_FDS\" >&3; echo four >&4); read x; "
			  "exit 5",
			  "fds", "in", "results", "stdin", "pass", "env",
			  "MPD_FDS", "not:these", "start_method", method,
			  "start", 1),
		sent, 3);
	rec = test_result(reply);
	id = test_int(rec, "id");
	pid = (pid_t)test_int(rec, "pid");
	json_decref(reply);
	close(a[1]);
	close(b[1]);
	close(in[0]);

	/* The worker has written both lines (in a subshell: a shell's own
	 * redirections hold copies of its descriptors for a while); it
	 * waits for its stdin, with the descriptors in place. */
	read_exactly(a[0], "in:results\n");
	read_exactly(b[0], "four\n");
	open_fds(pid, fds, sizeof(fds));
	cr_assert_str_eq(fds, "0 1 2 3 4", "open in the worker: %s", fds);
	pipe_link(a[0], want, sizeof(want));
	fd_link(pid, 3, got, sizeof(got));
	cr_assert_str_eq(got, want, "fd 3 is %s, not the pipe %s", got, want);
	pipe_link(b[0], want, sizeof(want));
	fd_link(pid, 4, got, sizeof(got));
	cr_assert_str_eq(got, want, "fd 4 is %s, not the pipe %s", got, want);
	pipe_link(in[1], want, sizeof(want));
	fd_link(pid, 0, got, sizeof(got));
	cr_assert_str_eq(got, want, "stdin is %s, not the pipe %s", got, want);

	rec = test_ok(fd, "process.info",
		      json_pack("{s:I}", "id", (json_int_t)id));
	names = json_object_get(rec, "fds");
	text = json_dumps(names, JSON_COMPACT);
	cr_assert_str_eq(text, "[\"in\",\"results\"]");
	free(text);
	json_decref(rec);

	/* It ends: the pipes end with it. */
	test_send(in[1], "\n", 1);
	close(in[1]);
	cr_assert_eq(join_code(fd, id), 5);
	text = read_to_eof(a[0]);
	cr_assert_str_eq(text, "");
	free(text);
	text = read_to_eof(b[0]);
	cr_assert_str_eq(text, "");
	free(text);
	close(fd);
	test_assert_ping(d.socket);
	mpdd_stop(&d);
}

Test(fds, a_forkserver_program_gets_two_descriptors_at_3_and_4)
{
	program_gets_two("forkserver", NULL);
}

Test(fds, a_spawned_program_gets_two_descriptors_at_3_and_4)
{
	program_gets_two("spawn", NULL);
}

/* A worker given no descriptors has no MPD_FDS: neither the daemon's
 * nor one its client puts in "env". */
Test(fds, a_worker_without_descriptors_has_no_mpd_fds)
{
	int fd, o[2];
	json_t *r;
	char *text;

	/* The daemon's environment is this test's. */
	setenv("MPD_FDS", "daemons:own", 1);
	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	make_pipe(o);
	r = test_call_fds(fd, "process.create",
			  json_pack("{s:[s, s, s], s:{s:s}, s:s, s:b}", "argv",
				    "sh", "-c", "echo \"${MPD_FDS-unset}\"",
				    "env", "MPD_FDS", "a:b", "stdout", "pass",
				    "start", 1),
			  &o[1], 1);
	close(o[1]);
	cr_assert_eq(join_code(fd, test_int(test_result(r), "id")), 0);
	json_decref(r);
	text = read_to_eof(o[0]);
	cr_assert_str_eq(text, "unset\n");
	free(text);
	close(fd);
	mpdd_stop(&d);
}

/*
 * A function gets two named descriptors at 3 and 4, found with
 * mpd_worker_fd() and mpd_fd_by_name(); nothing else is open in it; and
 * once it returns, EOF on both pipes.
 */
static void function_gets_two(const char *method, const char *const *extra)
{
	int a[2], b[2], fd, sent[2];
	json_t *r, *rec;
	char *text;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	for (int i = 0; i < 3; i++) {
		make_pipe(a);
		make_pipe(b);
		sent[0] = a[1];
		sent[1] = b[1];
		r = test_call_fds(
			fd, "process.create",
			json_pack("{s:s, s:s, s:[s, s], s:[s, s], s:s, s:b}",
				  "module", test_module(), "function",
				  "report_fds", "args", "in", "results", "fds",
				  "in", "results", "start_method", method,
				  "start", 1),
			sent, 2);
		rec = test_result(r);
		close(a[1]);
		close(b[1]);
		cr_assert_eq(join_code(fd, test_int(rec, "id")), 0);
		json_decref(r);
		text = read_to_eof(a[0]);
		cr_assert_str_eq(text, "in fd=3 by_name=3\nopen: 0 1 2 3 4\n"
				       "MPD_FDS=in:results\n");
		free(text);
		text = read_to_eof(b[0]);
		cr_assert_str_eq(text, "results fd=4 by_name=4\n");
		free(text);
	}
	close(fd);
	mpdd_stop(&d);
}

Test(fds, a_forkserver_function_gets_two_descriptors_at_3_and_4)
{
	function_gets_two("forkserver", NULL);
}

Test(fds, a_spawned_function_gets_two_descriptors_at_3_and_4)
{
	function_gets_two("spawn", NULL);
}

Test(fds, a_pooled_function_gets_two_descriptors_at_3_and_4)
{
	const char *pool[] = { "--pool", "2", NULL };

	function_gets_two("forkserver", pool);
}

Test(fds, a_preloaded_function_gets_two_descriptors_at_3_and_4)
{
	const char *pre[] = { "--preload", test_module(), NULL };

	function_gets_two("forkserver", pre);
}

/*
 * Sixteen descriptors (as many as travel with one request), with stdout
 * and stderr captured (so the template channel carries nineteen): each
 * lands at 3 + its index although, in the template, their numbers
 * overlap the places they go to.
 */
static void sixteen_in_place(bool function, const char *method)
{
	int p[MPD_MAX_FDS_PER_MESSAGE][2], sent[MPD_MAX_FDS_PER_MESSAGE];
	json_t *names = json_array(), *params, *r;
	char name[16], want[64];
	long long id;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	for (int i = 0; i < MPD_MAX_FDS_PER_MESSAGE; i++) {
		make_pipe(p[i]);
		sent[i] = p[i][1];
		snprintf(name, sizeof(name), "n%d", i);
		json_array_append_new(names, json_string(name));
	}
	if (function)
		params = json_pack("{s:s, s:s, s:O}", "module", test_module(),
				   "function", "report_fds", "args", names);
	else
		params = json_pack(
			"{s:[s, s, s]}", "argv", "bash", "-c",
			"for i in $(seq 3 18); do echo $i >&$i; done");
	json_object_set_new(params, "fds", names);
	json_object_set_new(params, "stdout", json_string("capture"));
	json_object_set_new(params, "stderr", json_string("capture"));
	json_object_set_new(params, "start_method", json_string(method));
	json_object_set_new(params, "start", json_true());
	r = test_call_fds(fd, "process.create", params, sent,
			  MPD_MAX_FDS_PER_MESSAGE);
	id = test_int(test_result(r), "id");
	json_decref(r);
	for (int i = 0; i < MPD_MAX_FDS_PER_MESSAGE; i++)
		close(p[i][1]);
	cr_assert_eq(join_code(fd, id), 0);
	for (int i = 0; i < MPD_MAX_FDS_PER_MESSAGE; i++) {
		char *text = read_to_eof(p[i][0]);

		if (function)
			snprintf(want, sizeof(want), "n%d fd=%d by_name=%d\n",
				 i, 3 + i, 3 + i);
		else
			snprintf(want, sizeof(want), "%d\n", 3 + i);
		/* The first also says what was open. */
		cr_assert(strncmp(text, want, strlen(want)) == 0,
			  "descriptor %d got \"%s\", not \"%s\"", 3 + i, text,
			  want);
		if (function && i == 0)
			cr_assert_str_eq(text + strlen(want),
					 "open: 0 1 2 3 4 5 6 7 8 9 10 11 12 "
					 "13 14 15 16 17 18\n"
					 "MPD_FDS=n0:n1:n2:n3:n4:n5:n6:n7:n8:"
					 "n9:n10:n11:n12:n13:n14:n15\n");
		free(text);
	}
	close(fd);
	mpdd_stop(&d);
}

Test(fds, sixteen_descriptors_land_in_place_for_a_program)
{
	sixteen_in_place(false, "forkserver");
}

Test(fds, sixteen_descriptors_land_in_place_for_a_spawned_program)
{
	sixteen_in_place(false, "spawn");
}

Test(fds, sixteen_descriptors_land_in_place_for_a_function)
{
	sixteen_in_place(true, "forkserver");
}

Test(fds, sixteen_descriptors_land_in_place_for_a_spawned_function)
{
	sixteen_in_place(true, "spawn");
}

/* A start that fails after its descriptors came: they are closed (the
 * test sees EOF), and the record is failed at its stage. */
Test(fds, a_failed_start_closes_the_descriptors)
{
	static const struct {
		const char *method, *stage;
		bool function;
	} cases[] = {
		{ "forkserver", "exec", false },
		{ "spawn", "exec", false },
		{ "forkserver", "dlopen", true },
		{ "spawn", "dlopen", true },
	};
	const char *name;
	int fd, p[2];
	json_t *r, *params;
	char *text;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		make_pipe(p);
		params = cases[i].function ? json_pack("{s:s, s:s}", "module",
						       "/nonexistent/mod.so",
						       "function", "f") :
					     json_pack("{s:[s]}", "argv",
						       "/nonexistent/prog");
		json_object_set_new(params, "fds", json_pack("[s]", "out"));
		json_object_set_new(params, "start_method",
				    json_string(cases[i].method));
		json_object_set_new(params, "start", json_true());
		r = test_call_fds(fd, "process.create", params, &p[1], 1);
		close(p[1]);
		cr_assert_eq(test_error_code(r, &name), 8);
		cr_assert_str_eq(
			json_string_value(json_object_get(
				json_object_get(json_object_get(r, "error"),
						"data"),
				"stage")),
			cases[i].stage);
		json_decref(r);
		text = read_to_eof(p[0]);
		cr_assert_str_eq(text, "");
		free(text);
	}
	close(fd);
	test_assert_ping(d.socket);
	mpdd_stop(&d);
}

/*
 * A record created and not started holds its descriptors (they are
 * what it will start with); closing it closes them, and starting it
 * hands them over.
 */
Test(fds, a_created_record_holds_its_descriptors_until_close_or_start)
{
	int fd, p[2], q[2];
	json_t *rec;
	long long id;
	char *text;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	make_pipe(p);
	rec = test_call_fds(fd, "process.create",
			    json_pack("{s:[s, s, s], s:[s]}", "argv", "sh",
				      "-c", "echo started >&3", "fds", "out"),
			    &p[1], 1);
	id = test_int(test_result(rec), "id");
	json_decref(rec);
	close(p[1]);
	assert_still_open(p[0]);
	test_ok0(fd, "process.close", json_pack("{s:I}", "id", (json_int_t)id));
	text = read_to_eof(p[0]);
	cr_assert_str_eq(text, "");
	free(text);

	make_pipe(q);
	rec = test_call_fds(fd, "process.create",
			    json_pack("{s:[s, s, s], s:[s]}", "argv", "sh",
				      "-c", "echo started >&3", "fds", "out"),
			    &q[1], 1);
	id = test_int(test_result(rec), "id");
	json_decref(rec);
	close(q[1]);
	assert_still_open(q[0]);
	json_decref(test_ok(fd, "process.start",
			    json_pack("{s:I}", "id", (json_int_t)id)));
	cr_assert_eq(join_code(fd, id), 0);
	text = read_to_eof(q[0]);
	cr_assert_str_eq(text, "started\n");
	free(text);
	close(fd);
	mpdd_stop(&d);
}

/* One bad "fds": its params, how many pipes go with it, and what the
 * error's field and message say. */
struct bad_case {
	const char *params; /* process.create's, JSON, without "argv" */
	int nfds; /* pipes sent with it */
	const char *field, *message;
};

static const struct bad_case bad_cases[] = {
	{ "{\"fds\":\"in\"}", 1, "fds", "expected an array of names" },
	{ "{\"fds\":{\"in\":3}}", 1, "fds", "expected an array of names" },
	{ "{\"fds\":[3]}", 1, "fds", "\"fds\"[0]: expected a string" },
	{ "{\"fds\":[\"a\",null]}", 2, "fds", "\"fds\"[1]: expected a string" },
	{ "{\"fds\":[\"\"]}", 1, "fds", "is not a descriptor name" },
	{ "{\"fds\":[\"a:b\"]}", 1, "fds", "\"a:b\" is not a descriptor name" },
	{ "{\"fds\":[\"a b\"]}", 1, "fds", "is not a descriptor name" },
	{ "{\"fds\":[\"\\u00e9\"]}", 1, "fds", "is not a descriptor name" },
	{ "{\"fds\":[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaa\"]}",
	  1, "fds", "1 to 64 bytes" },
	{ "{\"fds\":[\"a\",\"b\",\"a\"]}", 3, "fds",
	  "\"fds\"[2]: \"a\" is named twice (\"fds\"[0] too)" },
	{ "{\"fds\":[\"a\",\"b\"]}", 1, "fds",
	  "\"fds\" names 2 descriptors but 1 came with the request" },
	{ "{\"fds\":[\"a\"]}", 0, "fds",
	  "\"fds\" names 1 descriptor but 0 came" },
	{ "{\"fds\":[\"a\"]}", 2, "fds",
	  "1 descriptor came with the request that no name of \"fds\" and no "
	  "\"pass\" stream takes" },
	{ "{\"fds\":[]}", 1, "fds", "1 descriptor came with the request" },
	{ "{\"fds\":[\"a\"],\"stdout\":\"pass\"}", 1, "stdout",
	  "\"stdout\" is \"pass\" but no descriptor came" },
	{ "{\"fds\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\","
	  "\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"]}",
	  1, "fds", "17 names, but at most 16 descriptors" },
};

/* Every bad "fds" is refused with invalid_params naming the field, the
 * descriptors that came with it are closed, nothing is created, and the
 * daemon goes on serving. */
Test(fds, every_bad_fds_is_invalid_params_and_closes_what_came)
{
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		int p[3][2], sent[3];
		json_t *params = test_json(c->params), *r, *data;
		const char *name, *msg;

		for (int k = 0; k < c->nfds; k++) {
			make_pipe(p[k]);
			sent[k] = p[k][1];
		}
		json_object_set_new(params, "argv", json_pack("[s]", "true"));
		r = test_call_fds(fd, "process.create", params, sent, c->nfds);
		cr_assert_eq(test_error_code(r, &name), -32602, "case %zu: %s",
			     i, c->params);
		data = json_object_get(json_object_get(r, "error"), "data");
		cr_assert_str_eq(
			json_string_value(json_object_get(data, "field")),
			c->field, "case %zu: %s", i, c->params);
		msg = json_string_value(json_object_get(
			json_object_get(r, "error"), "message"));
		cr_assert_not_null(strstr(msg, c->message),
				   "case %zu: \"%s\" does not say \"%s\"", i,
				   msg, c->message);
		json_decref(r);
		for (int k = 0; k < c->nfds; k++) {
			char *text;

			close(p[k][1]);
			text = read_to_eof(p[k][0]);
			cr_assert_str_eq(text, "");
			free(text);
		}
		test_assert_ping(d.socket);
	}
	cr_assert_eq(test_info_int(fd, "processes", "records"), 0);
	close(fd);
	mpdd_stop(&d);
}

/*
 * In a batch, the line's descriptors go to the requests in order, each
 * taking its named ones first, then its "pass" streams'.
 */
Test(fds, a_batch_hands_the_descriptors_out_in_order)
{
	int fd, a[2], b[2], o[2], sent[3];
	char *line, *text;
	json_t *reply;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	make_pipe(a);
	make_pipe(b);
	make_pipe(o);
	sent[0] = a[1];
	sent[1] = b[1];
	sent[2] = o[1];
	{
		/* One line, three descriptors on its first byte. */
		const char *batch =
			"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
			"\"process.create\",\"params\":{\"argv\":[\"sh\","
			"\"-c\",\"echo one >&3\"],\"fds\":[\"x\"],\"start\":"
			"true}},{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
			"\"process.create\",\"params\":{\"argv\":[\"sh\","
			"\"-c\",\"echo two >&3; echo out\"],\"fds\":[\"y\"],"
			"\"stdout\":\"pass\",\"start\":true}}]\n";
		union {
			char buf[CMSG_SPACE(sizeof(int) * 3)];
			struct cmsghdr align;
		} cmsg;
		struct iovec iov = { .iov_base = (void *)batch,
				     .iov_len = strlen(batch) };
		struct msghdr mh = { .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = cmsg.buf,
				     .msg_controllen = sizeof(cmsg.buf) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * 3);
		memcpy(CMSG_DATA(cm), sent, sizeof(sent));
		cr_assert_eq(sendmsg(fd, &mh, 0), (ssize_t)strlen(batch));
	}
	close(a[1]);
	close(b[1]);
	close(o[1]);
	line = test_read_line(fd, TEST_TIMEOUT_MS);
	cr_assert_not_null(line);
	reply = test_json(line);
	free(line);
	cr_assert_eq(json_array_size(reply), 2);
	for (size_t i = 0; i < 2; i++)
		test_result(json_array_get(reply, i));
	json_decref(reply);
	text = read_to_eof(a[0]);
	cr_assert_str_eq(text, "one\n");
	free(text);
	text = read_to_eof(b[0]);
	cr_assert_str_eq(text, "two\n");
	free(text);
	text = read_to_eof(o[0]);
	cr_assert_str_eq(text, "out\n");
	free(text);
	close(fd);
	mpdd_stop(&d);
}

/* Starts with descriptors, run, failed and refused, leave mpdd and the
 * template with as many descriptors as before. */
Test(fds, starts_with_descriptors_leave_no_descriptor_behind)
{
	int fd, before, tbefore, p[2];
	long long id;
	pid_t tmpl;
	json_t *r;
	char *text;
	const char *name;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	tmpl = (pid_t)test_info_int(fd, "template", "pid");
	/* Once a start has run, the template has opened all it keeps. */
	r = test_call(fd, "process.create",
		      json_pack("{s:[s], s:b}", "argv", "true", "start", 1));
	id = test_int(test_result(r), "id");
	json_decref(r);
	cr_assert_eq(join_code(fd, id), 0);
	test_ok0(fd, "process.close", json_pack("{s:I}", "id", (json_int_t)id));
	before = test_count_fds(d.pid);
	tbefore = test_count_fds(tmpl);
	for (int i = 0; i < 10; i++) {
		const char *method = i % 2 ? "spawn" : "forkserver";

		/* One that runs. */
		make_pipe(p);
		r = test_call_fds(fd, "process.create",
				  json_pack("{s:[s, s, s], s:[s], s:s, s:b}",
					    "argv", "sh", "-c", "echo x >&3",
					    "fds", "w", "start_method", method,
					    "start", 1),
				  &p[1], 1);
		close(p[1]);
		cr_assert_eq(join_code(fd, test_int(test_result(r), "id")), 0);
		test_ok0(fd, "process.close",
			 json_pack("{s:I}", "id",
				   (json_int_t)test_int(test_result(r), "id")));
		json_decref(r);
		text = read_to_eof(p[0]);
		free(text);
		/* One that fails at exec. */
		make_pipe(p);
		r = test_call_fds(fd, "process.create",
				  json_pack("{s:[s], s:[s], s:s, s:b}", "argv",
					    "/nonexistent/prog", "fds", "w",
					    "start_method", method, "start", 1),
				  &p[1], 1);
		close(p[1]);
		cr_assert_eq(test_error_code(r, &name), 8);
		test_ok0(fd, "process.close",
			 json_pack("{s:I}", "id",
				   (json_int_t)test_int(
					   json_object_get(
						   json_object_get(r, "error"),
						   "data"),
					   "id")));
		json_decref(r);
		text = read_to_eof(p[0]);
		free(text);
		/* One refused. */
		make_pipe(p);
		r = test_call_fds(fd, "process.create",
				  json_pack("{s:[s], s:[s, s]}", "argv", "true",
					    "fds", "w", "w"),
				  &p[1], 1);
		close(p[1]);
		cr_assert_eq(test_error_code(r, &name), -32602);
		json_decref(r);
		text = read_to_eof(p[0]);
		free(text);
	}
	cr_assert_eq(test_info_int(fd, "processes", "records"), 0);
	cr_assert_eq(test_count_fds(d.pid), before,
		     "mpdd had %d descriptors, has %d", before,
		     test_count_fds(d.pid));
	cr_assert_eq(test_count_fds(tmpl), tbefore,
		     "the template had %d descriptors, has %d", tbefore,
		     test_count_fds(tmpl));
	close(fd);
	mpdd_stop(&d);
}

/* libmpd: mpd_run() with two descriptors, for a program and a function;
 * the record shows their names. */
Test(fds_libmpd, run_gives_a_program_and_a_function_their_descriptors)
{
	const char *names[] = { "in", "results" };
	const char *argv[] = { "sh", "-c", "echo $MPD_FDS >&3; echo b >&4",
			       NULL };
	struct mpd_process_options o = { 0 };
	struct mpd_client *c = NULL;
	struct mpd_error err;
	int a[2], b[2], fds[2], code = -1;
	json_t *rec = NULL, *info = NULL, *args;
	char *text;

	mpdd_start(&d, NULL);
	cr_assert_eq(mpd_connect(&c, d.socket, &err), 0, "%s", err.message);
	for (int k = 0; k < 2; k++) {
		make_pipe(a);
		make_pipe(b);
		fds[0] = a[1];
		fds[1] = b[1];
		memset(&o, 0, sizeof(o));
		args = json_pack("[s, s]", "in", "results");
		if (k == 0) {
			o.argv = argv;
		} else {
			o.module = test_module();
			o.function = "report_fds";
			o.args = args;
		}
		o.fd_names = names;
		o.fds = fds;
		o.nfds = 2;
		cr_assert_eq(mpd_run(c, &o, 30, &code, &rec, &err), 0, "%s",
			     err.message);
		json_decref(args);
		cr_assert_eq(code, 0);
		close(a[1]);
		close(b[1]);
		cr_assert_eq(
			mpd_process_info(
				c,
				json_integer_value(json_object_get(rec, "id")),
				&info, &err),
			0);
		text = json_dumps(json_object_get(info, "fds"), JSON_COMPACT);
		cr_assert_str_eq(text, "[\"in\",\"results\"]");
		free(text);
		json_decref(info);
		json_decref(rec);
		text = read_to_eof(a[0]);
		cr_assert_str_eq(text,
				 k == 0 ? "in:results\n" :
					  "in fd=3 by_name=3\nopen: 0 1 2 3 "
					  "4\nMPD_FDS=in:results\n");
		free(text);
		text = read_to_eof(b[0]);
		cr_assert_str_eq(text,
				 k == 0 ? "b\n" : "results fd=4 by_name=4\n");
		free(text);
	}
	mpd_close(c);
	mpdd_stop(&d);
}

/* libmpd refuses bad descriptor options before it sends anything; the
 * client stays usable. */
Test(fds_libmpd, bad_descriptor_options_send_nothing)
{
	const char *argv[] = { "true", NULL };
	const char *ok[] = { "a", "b" }, *dup[] = { "a", "a" };
	const char *bad[] = { "a:b" }, *empty[] = { "" }, *null[] = { NULL };
	const char *many[MPD_MAX_FDS_PER_MESSAGE + 1];
	int fds[MPD_MAX_FDS_PER_MESSAGE + 1], neg[] = { -1 };
	char nm[MPD_MAX_FDS_PER_MESSAGE + 1][8];
	struct mpd_process_options o = { .argv = argv };
	struct mpd_client *c = NULL;
	struct mpd_error err;
	json_t *rec = NULL;

	mpdd_start(&d, NULL);
	cr_assert_eq(mpd_connect(&c, d.socket, &err), 0, "%s", err.message);
	for (int i = 0; i <= MPD_MAX_FDS_PER_MESSAGE; i++) {
		snprintf(nm[i], sizeof(nm[i]), "n%d", i);
		many[i] = nm[i];
		fds[i] = 2;
	}
	o.nfds = 2;
	o.fd_names = ok;
	cr_assert_eq(mpd_process_create(c, &o, &rec, &err), MPD_E_INVAL);
	cr_assert_not_null(strstr(err.message, "without fds"), "%s",
			   err.message);
	o.fds = fds;
	o.fd_names = NULL;
	cr_assert_eq(mpd_process_create(c, &o, &rec, &err), MPD_E_INVAL);
	o.fd_names = dup;
	cr_assert_eq(mpd_process_create(c, &o, &rec, &err), MPD_E_INVAL);
	cr_assert_not_null(strstr(err.message, "fd_names[1] \"a\" is "
					       "fd_names[0] too"),
			   "%s", err.message);
	o.nfds = 1;
	o.fd_names = bad;
	cr_assert_eq(mpd_process_create(c, &o, &rec, &err), MPD_E_INVAL);
	cr_assert_not_null(strstr(err.message, "not a descriptor name"), "%s",
			   err.message);
	o.fd_names = empty;
	cr_assert_eq(mpd_process_create(c, &o, &rec, &err), MPD_E_INVAL);
	o.fd_names = null;
	cr_assert_eq(mpd_process_create(c, &o, &rec, &err), MPD_E_INVAL);
	o.fd_names = ok;
	o.fds = neg;
	cr_assert_eq(mpd_process_create(c, &o, &rec, &err), MPD_E_INVAL);
	o.fds = fds;
	o.fd_names = many;
	o.nfds = MPD_MAX_FDS_PER_MESSAGE + 1;
	cr_assert_eq(mpd_process_create(c, &o, &rec, &err), MPD_E_INVAL);
	/* Fourteen and three "pass" streams are seventeen. */
	o.nfds = MPD_MAX_FDS_PER_MESSAGE - 2;
	for (int i = 0; i < 3; i++)
		o.stdio[i] =
			(struct mpd_stdio){ .mode = MPD_STDIO_PASS, .fd = i };
	cr_assert_eq(mpd_process_create(c, &o, &rec, &err), MPD_E_INVAL);
	cr_assert_not_null(strstr(err.message, "at most 16"), "%s",
			   err.message);
	cr_assert_null(rec);
	cr_assert_eq(mpd_ping(c, &err), 0, "the client stays usable");
	cr_assert_eq(test_info_int(mpd_client_fd(c), "processes", "records"),
		     0);
	mpd_close(c);
	mpdd_stop(&d);
}

/* mpd_worker_fd() reads the struct: a version 2 worker by its names, a
 * version 1 worker (no descriptors) and anything else not. */
Test(fds_libmpd, worker_fd_reads_the_names_of_the_struct)
{
	const char *names[] = { "in", "results" };
	struct mpd_worker w = {
		.magic = MPD_WORKER_MAGIC,
		.version = MPD_WORKER_VERSION,
		.id = 3,
		.name = "w",
		.fd_names = names,
		.nfds = 2,
	};

	cr_assert_eq(mpd_worker_fd(&w, "in"), 3);
	cr_assert_eq(mpd_worker_fd(&w, "results"), 4);
	cr_assert_eq(mpd_worker_fd(&w, "other"), MPD_E_NOT_FOUND);
	cr_assert_eq(mpd_worker_fd(&w, NULL), MPD_E_INVAL);
	cr_assert_eq(mpd_worker_fd(NULL, "in"), MPD_E_INVAL);
	/* A layout 1 worker is still read, and has no descriptors. */
	w.version = 1;
	cr_assert_eq(mpd_worker_id(&w), 3);
	cr_assert_eq(mpd_worker_fd(&w, "in"), MPD_E_NOT_FOUND);
	w.version = MPD_WORKER_VERSION + 1;
	cr_assert_eq(mpd_worker_fd(&w, "in"), MPD_E_INVAL);
	w.version = MPD_WORKER_VERSION;
	w.magic = 0;
	cr_assert_eq(mpd_worker_fd(&w, "in"), MPD_E_INVAL);
}

/* mpd_fd_by_name() reads MPD_FDS at each call, and finds only open
 * descriptors. */
Test(fds_libmpd, fd_by_name_reads_mpd_fds)
{
	/* Names so that the last is at descriptor 100, which this test
	 * controls. */
	char env[1024];
	size_t n = 0;
	int p[2];

	for (int i = 0; i < 98; i++)
		n += (size_t)snprintf(env + n, sizeof(env) - n, "%sn%d",
				      i > 0 ? ":" : "", i);
	unsetenv("MPD_FDS");
	cr_assert_eq(mpd_fd_by_name("n97"), MPD_E_NOT_FOUND);
	setenv("MPD_FDS", env, 1);
	make_pipe(p);
	cr_assert_eq(dup2(p[1], 100), 100);
	cr_assert_eq(mpd_fd_by_name("n97"), 100);
	cr_assert_eq(mpd_fd_by_name("n"), MPD_E_NOT_FOUND);
	cr_assert_eq(mpd_fd_by_name("n970"), MPD_E_NOT_FOUND);
	cr_assert_eq(mpd_fd_by_name(""), MPD_E_INVAL);
	cr_assert_eq(mpd_fd_by_name(NULL), MPD_E_INVAL);
	close(100);
	cr_assert_eq(mpd_fd_by_name("n97"), MPD_E_NOT_FOUND,
		     "a closed descriptor is not found");
	close(p[0]);
	close(p[1]);
}

/* mpd_current_process() takes the names from MPD_FDS, for exec'd
 * programs. */
Test(fds_libmpd, current_process_knows_its_descriptors)
{
	mpd_worker *w;

	setenv("MPD_PROCESS_ID", "7", 1);
	setenv("MPD_FDS", "in:results", 1);
	w = mpd_current_process();
	cr_assert_not_null(w);
	cr_assert_eq(mpd_worker_fd(w, "in"), 3);
	cr_assert_eq(mpd_worker_fd(w, "results"), 4);
	cr_assert_eq(mpd_worker_fd(w, "x"), MPD_E_NOT_FOUND);
}
