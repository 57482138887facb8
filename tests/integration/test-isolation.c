/*
 * test-isolation.c - what one request can do to another: no byte of a
 * request is readable in a later worker (of another user), every worker
 * starts in a session of its own without the daemon's terminal, a start
 * whose stdio file stalls (a FIFO with no writer) or whose cwd, program
 * or PATH is on a file system that hangs (FUSE) delays no other start,
 * and a relative stdio path is the worker's cwd's.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static struct mpdd d;
static int tty_master = -1;
/* A copy of the test module that the scanning user (nobody) can open: the
 * build tree may be in a directory only its owner can enter. */
static char mod_dir[64], mod_path[96];

static void setup(void);
static void hung_fs_release(void);

static void teardown(void)
{
	/* Before the temp dir is removed: a walk into a hung mount waits. */
	hung_fs_release();
	mpdd_cleanup(&d);
	if (tty_master >= 0)
		close(tty_master);
	tty_master = -1;
	if (mod_dir[0] != '\0') {
		char lib[160];

		snprintf(lib, sizeof(lib), "%s/libmpd.so.0", mod_dir);
		unlink(lib);
		unlink(mod_path);
		rmdir(mod_dir);
	}
	mod_path[0] = mod_dir[0] = '\0';
}

TestSuite(isolation, .init = setup, .fini = teardown, .timeout = 120);

#define NOBODY 65534

/* Copy file from to dir/name, mode 0755. */
static void copy_to(const char *from, const char *dir, const char *name)
{
	char buf[65536], to[160];
	ssize_t n;
	int in, out;

	snprintf(to, sizeof(to), "%s/%s", dir, name);
	in = open(from, O_RDONLY | O_CLOEXEC);
	cr_assert(in >= 0, "%s: %s", from, strerror(errno));
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	cr_assert(out >= 0, "%s: %s", to, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, (size_t)n), n);
	cr_assert_eq(n, 0);
	close(in);
	cr_assert(fchmod(out, 0755) == 0 && close(out) == 0);
}

/*
 * Before each test: the test module, and the libmpd it needs, copied to a
 * directory everyone can read, for the workers of the scanning user
 * (nobody): the build tree may be in a directory only its owner can
 * enter. The daemons started after this find libmpd there.
 */
static void setup(void)
{
	const char *m = getenv("MPD_TEST_MODULE");
	const char *build = getenv("MPD_TEST_BUILDDIR");
	const char *old = getenv("LD_LIBRARY_PATH");
	char lib[PATH_MAX], *path;

	cr_assert(m != NULL && build != NULL, "MPD_TEST_MODULE is not set");
	snprintf(mod_dir, sizeof(mod_dir), "/tmp/mpd-test-module.XXXXXX");
	cr_assert(mkdtemp(mod_dir) != NULL, "mkdtemp: %s", strerror(errno));
	cr_assert(chmod(mod_dir, 0755) == 0);
	copy_to(m, mod_dir, "libmpdtest.so");
	snprintf(lib, sizeof(lib), "%s/client/libmpd.so.0", build);
	copy_to(lib, mod_dir, "libmpd.so.0");
	snprintf(mod_path, sizeof(mod_path), "%s/libmpdtest.so", mod_dir);
	cr_assert(asprintf(&path, "%s%s%s", mod_dir, old != NULL ? ":" : "",
			   old != NULL ? old : "") > 0);
	cr_assert(setenv("LD_LIBRARY_PATH", path, 1) == 0);
	free(path);
}

static const char *module(void)
{
	return mod_path;
}

static json_t *fn_params(const char *function, json_t *args)
{
	return json_pack("{s:s, s:s, s:o}", "module", module(), "function",
			 function, "args", args != NULL ? args : json_null());
}

/* process.create with start: true (fds sent along); returns the record. */
static json_t *start_fds(int fd, json_t *params, const int *fds, int nfds)
{
	json_t *reply, *rec;

	json_object_set_new(params, "start", json_true());
	reply = test_call_fds(fd, "process.create", params, fds, nfds);
	rec = json_incref(test_result(reply));
	json_decref(reply);
	cr_assert_str_eq(json_string_value(json_object_get(rec, "state")),
			 "running");
	return rec;
}

/* Join id (no timeout); returns its exit code. */
static long long join_code(int fd, long long id)
{
	json_t *r = test_call(fd, "process.join",
			      json_pack("{s:I}", "id", (json_int_t)id));
	long long code;

	cr_assert_str_eq(
		json_string_value(json_object_get(test_result(r), "state")),
		"exited");
	code = test_int(test_result(r), "exitcode");
	json_decref(r);
	return code;
}

/* Start params (stolen), join, return the exit code. */
static long long run_code(int fd, json_t *params)
{
	json_t *rec = start_fds(fd, params, NULL, 0);
	long long id = test_int(rec, "id");

	json_decref(rec);
	return join_code(fd, id);
}

/* --- No byte of one request in another's worker ------------------------ */

/* Two markers, unique to the test: one for argv/args, one for env. The
 * workers that look for them get them reversed. */
static char mark[2][64], rmark[2][64];

static void make_marks(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	for (int i = 0; i < 2; i++) {
		size_t n;

		snprintf(mark[i], sizeof(mark[i]), "%sMARK-%ld-%ld-%d",
			 i == 0 ? "ARGS" : "ENV", (long)getpid(),
			 (long)ts.tv_nsec, i);
		n = strlen(mark[i]);
		for (size_t k = 0; k < n; k++)
			rmark[i][k] = mark[i][n - 1 - k];
		rmark[i][n] = '\0';
	}
}

/* A 20 KB string with the marker at its start, middle and end. */
static char *big_with_mark(void)
{
	size_t n = 20 * 1024, m = strlen(mark[0]);
	char *s = malloc(n + 1);

	cr_assert(s != NULL);
	memset(s, 'x', n);
	memcpy(s, mark[0], m);
	memcpy(s + n / 2, mark[0], m);
	memcpy(s + n - m, mark[0], m);
	s[n] = '\0';
	return s;
}

/* As root: a request that carries both markers, of the given kind. */
static void root_request(int fd, bool program)
{
	char *big = big_with_mark(), esc[80], long_esc[600];
	json_t *p;

	if (program)
		p = json_pack("{s:[ss]}", "argv", "true", big);
	else
		p = fn_params("exit_with", json_integer(0));
	if (!program) {
		/* The args carry the marker; exit_with() says 2 for a
		 * non-integer and that is all. */
		json_object_set_new(p, "args", json_pack("[s]", big));
	}
	/* With an escape, a string is decoded into the parser's scratch
	 * space: on the stack when short, else on the heap. */
	snprintf(esc, sizeof(esc), "%s\t", mark[1]);
	memset(long_esc, 'y', sizeof(long_esc) - 1);
	memcpy(long_esc + 100, mark[1], strlen(mark[1]));
	long_esc[sizeof(long_esc) - 2] = '\t';
	long_esc[sizeof(long_esc) - 1] = '\0';
	json_object_set_new(p, "env",
			    json_pack("{s:s, s:s, s:s}", "SECRET", mark[1],
				      "SECRET_ESC", esc, "SECRET_LONG",
				      long_esc));
	cr_assert_eq(run_code(fd, p), program ? 0 : 2);
	free(big);
}

/* In a child, as nobody: start scan_memory for the markers and return
 * its exit code (bit i: marker i found), or 100+ when something failed. */
static int scan_as_nobody(const char *socket)
{
	json_t *r;
	long long id;
	int fd;

	if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 ||
	    setuid(NOBODY) != 0)
		return 101;
	fd = test_try_connect(socket);
	if (fd < 0)
		return 102;
	r = test_call(fd, "process.create",
		      json_pack("{s:s, s:s, s:[ss], s:b}", "module", module(),
				"function", "scan_memory", "args", rmark[0],
				rmark[1], "start", 1));
	if (json_object_get(r, "result") == NULL)
		return 103;
	id = json_integer_value(
		json_object_get(json_object_get(r, "result"), "id"));
	json_decref(r);
	r = test_call(fd, "process.join", json_pack("{s:I}", "id", id));
	if (!json_is_integer(
		    json_object_get(json_object_get(r, "result"), "exitcode")))
		return 104;
	return (int)json_integer_value(
		json_object_get(json_object_get(r, "result"), "exitcode"));
}

/* Fork, scan as nobody, assert no marker was found. */
static void assert_nothing_found(const char *after)
{
	int status;
	pid_t pid = fork();

	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(scan_as_nobody(d.socket));
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status), "the scanning client died");
	cr_assert(WEXITSTATUS(status) < 100, "the scan failed (%d) after %s",
		  WEXITSTATUS(status), after);
	if (WEXITSTATUS(status) != 0) {
		char *log = mpdd_log(&d), *where = strstr(log, "scan_memory:");

		cr_assert_fail("after %s, another user's worker found %s%s%s: "
			       "%s",
			       after,
			       WEXITSTATUS(status) & 1 ? "the args marker" : "",
			       WEXITSTATUS(status) == 3 ? " and " : "",
			       WEXITSTATUS(status) & 2 ? "the env marker" : "",
			       where != NULL ? where : "(not in the log)");
	}
}

/* A root daemon that nobody can reach, with extra options. */
static int start_shared(const char *const *extra)
{
	if (getuid() != 0)
		cr_skip_test("needs root to run a worker as nobody");
	make_marks();
	mpdd_start(&d, extra);
	cr_assert(chmod(d.dir, 0755) == 0 && chmod(d.socket, 0666) == 0);
	return test_connect(d.socket);
}

/* Sanity: the scan does find a marker that is there (its own env). */
Test(isolation, memory_scan_finds_a_marker_that_is_there)
{
	int fd = start_shared(NULL);
	json_t *p =
		fn_params("scan_memory", json_pack("[ss]", rmark[0], rmark[1]));

	json_object_set_new(p, "env", json_pack("{s:s}", "SECRET", mark[1]));
	cr_assert_eq(run_code(fd, p), 2);
	close(fd);
	mpdd_stop(&d);
}

static void program_then_function(const char *const *extra)
{
	int fd = start_shared(extra);

	root_request(fd, true);
	assert_nothing_found("a program request");
	/* And still after a later small request. */
	cr_assert_eq(run_code(fd, json_pack("{s:[s]}", "argv", "true")), 0);
	assert_nothing_found("a program request and a small one");
	close(fd);
	mpdd_stop(&d);
}

static void function_then_function(const char *const *extra)
{
	int fd = start_shared(extra);

	root_request(fd, false);
	assert_nothing_found("a function request");
	root_request(fd, true);
	root_request(fd, false);
	assert_nothing_found("a program and a function request");
	close(fd);
	mpdd_stop(&d);
}

Test(isolation, a_program_request_is_not_readable_in_a_later_worker)
{
	program_then_function(NULL);
}

Test(isolation, a_function_request_is_not_readable_in_a_later_worker)
{
	function_then_function(NULL);
}

Test(isolation, with_the_module_preloaded_no_request_is_readable_later)
{
	const char *const extra[] = { "--preload", module(), NULL };

	program_then_function(extra);
	function_then_function(extra);
}

Test(isolation, with_the_pool_no_request_is_readable_in_a_later_worker)
{
	const char *const extra[] = { "--pool", "2", NULL };

	program_then_function(extra);
	function_then_function(extra);
}

Test(isolation, a_failed_start_leaves_nothing_for_a_later_worker)
{
	int fd = start_shared(NULL);
	json_t *r;
	char path[200];
	const char *name;

	/* The failure's message names the program: it goes back to mpdd
	 * through the template, and must not stay behind in it. */
	snprintf(path, sizeof(path), "/nonexistent/%s", mark[0]);
	r = test_call(fd, "process.create",
		      json_pack("{s:[s], s:o, s:b}", "argv", path, "env",
				json_pack("{s:s}", "SECRET", mark[1]), "start",
				1));
	cr_assert_eq(test_error_code(r, &name), 8);
	json_decref(r);
	assert_nothing_found("a failed program start");
	close(fd);
	mpdd_stop(&d);
}

/* --- A session of its own, no controlling terminal -------------------- */

/* The session, process group and terminal fields of /proc/PID/stat. */
static void stat_fields(const char *stat, long *pid, long *pgrp, long *sid,
			long *tty)
{
	const char *p = strrchr(stat, ')');
	char state;
	long ppid;

	cr_assert(sscanf(stat, "%ld", pid) == 1);
	cr_assert(p != NULL && sscanf(p + 1, " %c %ld %ld %ld %ld", &state,
				      &ppid, pgrp, sid, tty) == 5,
		  "stat: %s", stat);
}

static char *read_file(const char *path)
{
	static char buf[1024];
	int f = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	cr_assert(f >= 0, "%s: %s", path, strerror(errno));
	n = read(f, buf, sizeof(buf) - 1);
	cr_assert(n > 0);
	buf[n] = '\0';
	close(f);
	return buf;
}

/* Start params (stolen) with its stdout on a pipe; return its first
 * line (malloc'd) after it exited 0. */
static char *output_of(int fd, json_t *params)
{
	int p[2];
	json_t *rec;
	char *line;

	cr_assert(pipe2(p, O_CLOEXEC) == 0);
	json_object_set_new(params, "stdout", json_string("pass"));
	rec = start_fds(fd, params, &p[1], 1);
	close(p[1]);
	line = test_read_line(p[0], TEST_TIMEOUT_MS);
	cr_assert(line != NULL, "no output");
	cr_assert_eq(join_code(fd, test_int(rec, "id")), 0);
	json_decref(rec);
	test_forget(p[0]);
	close(p[0]);
	return line;
}

/* A program worker: its own session and group, no terminal. */
static void assert_program_alone(int fd, const char *method)
{
	json_t *p = json_pack("{s:[ss], s:s}", "argv", "cat", "/proc/self/stat",
			      "start_method", method);
	char *line = output_of(fd, p);
	long pid, pgrp, sid, tty;

	stat_fields(line, &pid, &pgrp, &sid, &tty);
	cr_assert_eq(sid, pid, "%s program: session %ld, pid %ld", method, sid,
		     pid);
	cr_assert_eq(pgrp, pid);
	cr_assert_eq(tty, 0, "%s program: has terminal %ld", method, tty);
	free(line);
}

/* A function worker: its own session, and /dev/tty is not there. */
static void assert_function_alone(int fd, const char *method)
{
	json_t *p = fn_params("session_report", NULL);
	char *line;
	long sid, pid;
	int err;

	json_object_set_new(p, "start_method", json_string(method));
	line = output_of(fd, p);
	cr_assert(sscanf(line, "%ld %ld %d", &sid, &pid, &err) == 3, "%s",
		  line);
	cr_assert_eq(sid, pid, "%s function: session %ld, pid %ld", method, sid,
		     pid);
	cr_assert_eq(err, ENXIO, "%s function: /dev/tty: %s", method,
		     strerror(err));
	free(line);
}

static void assert_workers_alone(const char *const *extra)
{
	char path[64];
	long pid, pgrp, sid, tty;
	int fd;

	tty_master = mpdd_start_tty(&d, extra);
	/* The daemon does have the terminal: the test means something. */
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)d.pid);
	stat_fields(read_file(path), &pid, &pgrp, &sid, &tty);
	cr_assert_neq(tty, 0, "mpdd has no controlling terminal");
	fd = test_connect(d.socket);
	for (int round = 0; round < 3; round++) {
		assert_program_alone(fd, "forkserver");
		assert_program_alone(fd, "spawn");
		assert_function_alone(fd, "forkserver");
		assert_function_alone(fd, "spawn");
	}
	close(fd);
	mpdd_stop(&d);
}

Test(isolation, every_worker_has_its_own_session_and_no_terminal)
{
	assert_workers_alone(NULL);
}

Test(isolation, pooled_workers_have_their_own_session_and_no_terminal)
{
	const char *const extra[] = { "--pool", "2", NULL };

	assert_workers_alone(extra);
}

/* --- A stalled stdio open delays nobody else --------------------------- */

/* Send params (stolen) as process.create+start without waiting. */
static void send_start(int fd, json_t *params)
{
	json_t *req = json_pack("{s:s, s:s, s:i, s:o}", "jsonrpc", "2.0",
				"method", "process.create", "id", 79, "params",
				params);
	char *text;

	json_object_set_new(params, "start", json_true());
	text = json_dumps(req, JSON_COMPACT);
	test_send_str(fd, text);
	test_send_str(fd, "\n");
	free(text);
	json_decref(req);
}

/* process.create+start of "sh -c 'read x; exit $x'" with stdin from the
 * FIFO at path, sent without waiting for the reply. */
static void send_stalled_start(int fd, const char *path, const char *name)
{
	send_start(fd, json_pack("{s:[sss], s:{s:s}, s:s}", "argv", "sh", "-c",
				 "read x; exit $x", "stdin", "file", path,
				 "name", name));
}

/* Open the FIFO's write side (the worker holds the read side by now, or
 * will) and write its exit code. */
static void feed_fifo(const char *path, const char *code)
{
	int w = open(path, O_WRONLY | O_CLOEXEC);

	cr_assert(w >= 0, "%s: %s", path, strerror(errno));
	cr_assert(write(w, code, strlen(code)) == (ssize_t)strlen(code));
	close(w);
}

Test(isolation, a_stdin_fifo_without_writer_delays_no_other_start)
{
	char fifo[PATH_MAX];
	json_t *reply, *rec;
	char *line;
	int a, b;

	mpdd_start(&d, NULL);
	snprintf(fifo, sizeof(fifo), "%s/fifo", d.dir);
	cr_assert(mkfifo(fifo, 0600) == 0);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	send_stalled_start(a, fifo, "stalled");
	/* Other starts, of both kinds, go on. */
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(run_code(b, json_pack("{s:[sss]}", "argv", "sh",
						   "-c", "exit 4")),
			     4);
		cr_assert_eq(run_code(b,
				      fn_params("exit_with", json_integer(6))),
			     6);
	}
	/* The stalled worker goes on once there is a writer, and is
	 * tracked to its exit. */
	feed_fifo(fifo, "7\n");
	line = test_read_line(a, TEST_TIMEOUT_MS);
	reply = json_loads(line, 0, NULL);
	free(line);
	cr_assert(reply != NULL);
	rec = test_result(reply);
	cr_assert_str_eq(json_string_value(json_object_get(rec, "state")),
			 "running");
	cr_assert_eq(join_code(a, test_int(rec, "id")), 7);
	json_decref(reply);
	test_forget(a);
	close(a);
	close(b);
	mpdd_stop(&d);
}

Test(isolation, a_client_gone_while_its_start_stalls_leaves_no_leak)
{
	char fifo[PATH_MAX];
	json_t *r;
	int a, b;

	mpdd_start(&d, NULL);
	snprintf(fifo, sizeof(fifo), "%s/fifo", d.dir);
	cr_assert(mkfifo(fifo, 0600) == 0);
	a = test_connect(d.socket);
	send_stalled_start(a, fifo, "orphan");
	b = test_connect(d.socket);
	/* The request has reached the daemon once another is served. */
	cr_assert_eq(run_code(b, json_pack("{s:[s]}", "argv", "true")), 0);
	close(a);
	cr_assert_eq(run_code(b, fn_params("exit_with", json_integer(3))), 3);
	feed_fifo(fifo, "5\n");
	/* The worker is the daemon's to track: it ends with its code. */
	r = test_call(b, "process.join", json_pack("{s:s}", "name", "orphan"));
	cr_assert_str_eq(
		json_string_value(json_object_get(test_result(r), "state")),
		"exited");
	cr_assert_eq(test_int(test_result(r), "exitcode"), 5);
	json_decref(r);
	test_assert_ping(d.socket);
	close(b);
	/* Under the sanitizers, a clean exit means nothing leaked. */
	mpdd_stop(&d);
}

Test(isolation, a_module_path_that_never_opens_delays_no_other_start)
{
	char fifo[PATH_MAX];
	json_t *reply;
	char *line;
	const char *name;
	int a, b;

	mpdd_start(&d, NULL);
	snprintf(fifo, sizeof(fifo), "%s/module.so", d.dir);
	cr_assert(mkfifo(fifo, 0600) == 0);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	/* The template does not open it (to look for the function): only
	 * the worker does, and only the worker waits. */
	send_start(a, json_pack("{s:s, s:s}", "module", fifo, "function", "f"));
	cr_assert_eq(run_code(b, fn_params("exit_with", json_integer(6))), 6);
	cr_assert_eq(run_code(b, json_pack("{s:[s]}", "argv", "true")), 0);
	/* Not a shared object: the worker's dlopen says so. */
	feed_fifo(fifo, "not an ELF file\n");
	line = test_read_line(a, TEST_TIMEOUT_MS);
	reply = json_loads(line, 0, NULL);
	free(line);
	cr_assert_eq(test_error_code(reply, &name), 8);
	cr_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(json_object_get(reply, "error"), "data"),
			"stage")),
		"dlopen");
	json_decref(reply);
	test_forget(a);
	close(a);
	close(b);
	mpdd_stop(&d);
}

/* --- Relative stdio paths are the worker's cwd's ----------------------- */

static void assert_relative_stdio(int fd, json_t *p, const char *sub,
				  const char *want)
{
	char path[PATH_MAX + 32];

	json_object_set_new(p, "cwd", json_string(sub));
	json_object_set_new(p, "stdin", json_pack("{s:s}", "file", "in.txt"));
	json_object_set_new(p, "stdout", json_pack("{s:s}", "file", "out.txt"));
	cr_assert_eq(run_code(fd, p), 0);
	snprintf(path, sizeof(path), "%s/out.txt", sub);
	cr_assert_str_eq(read_file(path), want);
	cr_assert(access("out.txt", F_OK) == -1,
		  "out.txt was made in the test's directory");
	unlink(path);
}

Test(isolation, relative_stdio_paths_are_the_cwds)
{
	char sub[PATH_MAX], path[PATH_MAX + 32];
	int fd, f;

	mpdd_start(&d, NULL);
	snprintf(sub, sizeof(sub), "%s/sub", d.dir);
	cr_assert(mkdir(sub, 0700) == 0);
	snprintf(path, sizeof(path), "%s/in.txt", sub);
	f = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	cr_assert(f >= 0 && write(f, "from in\n", 8) == 8);
	close(f);
	fd = test_connect(d.socket);
	assert_relative_stdio(fd, json_pack("{s:[s]}", "argv", "cat"), sub,
			      "from in\n");
	assert_relative_stdio(fd,
			      json_pack("{s:[s], s:s}", "argv", "cat",
					"start_method", "spawn"),
			      sub, "from in\n");
	assert_relative_stdio(fd, fn_params("echo_args", json_integer(5)), sub,
			      "5\n");
	/* A relative path that is not there, in the cwd: the stdio stage. */
	{
		json_t *p = json_pack("{s:[s], s:s, s:{s:s}, s:b}", "argv",
				      "true", "cwd", sub, "stdin", "file",
				      "missing.txt", "start", 1);
		json_t *r = test_call(fd, "process.create", p);
		const char *name;

		cr_assert_eq(test_error_code(r, &name), 8);
		cr_assert_str_eq(
			json_string_value(json_object_get(
				json_object_get(json_object_get(r, "error"),
						"data"),
				"stage")),
			"stdio");
		json_decref(r);
	}
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop(&d);
}

/* --- A program on a hung file system delays nobody else ---------------- */

/*
 * A FUSE file system whose server never answers: mounted on a directory
 * of d.dir, every lookup under it waits until the connection is aborted
 * (fuse_abort(): the device closed), then fails with ENOTCONN. Skips the
 * test where FUSE cannot be mounted (not root, no /dev/fuse).
 */
struct hung_fs {
	char dir[PATH_MAX];
	int dev;
};

static struct hung_fs *mounted; /* for teardown, should a test fail */

static void hung_fs_mount(struct hung_fs *h)
{
	char opts[128];

	if (geteuid() != 0)
		cr_skip_test("mounting FUSE needs root");
	h->dev = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (h->dev < 0)
		cr_skip_test("/dev/fuse: %s", strerror(errno));
	snprintf(h->dir, sizeof(h->dir), "%s/hung", d.dir);
	cr_assert(mkdir(h->dir, 0755) == 0);
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other",
		 h->dev);
	if (mount("mpd-test", h->dir, "fuse", MS_NOSUID | MS_NODEV, opts) ==
	    -1) {
		int e = errno;

		close(h->dev);
		cr_skip_test("mount fuse: %s", strerror(e));
	}
	mounted = h;
}

/* Abort the connection: what waits on it fails. */
static void hung_fs_abort(struct hung_fs *h)
{
	close(h->dev);
	h->dev = -1;
}

static void hung_fs_unmount(struct hung_fs *h)
{
	if (h->dev >= 0)
		hung_fs_abort(h);
	mounted = NULL;
	cr_assert(umount2(h->dir, MNT_DETACH) == 0, "umount %s: %s", h->dir,
		  strerror(errno));
}

static void hung_fs_release(void)
{
	if (mounted == NULL)
		return;
	if (mounted->dev >= 0)
		close(mounted->dev);
	umount2(mounted->dir, MNT_DETACH);
	mounted = NULL;
}

/* Where a start meets the hung file system. */
enum hung_at { HUNG_CWD, HUNG_PROGRAM, HUNG_PATH, HUNG_STDOUT, HUNG_FN_CWD };

/* The params of a start that waits on the file system at dir. */
static json_t *hung_params(enum hung_at at, const char *dir)
{
	char path[PATH_MAX + 16], env[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/x", dir);
	snprintf(env, sizeof(env), "%s:/usr/bin:/bin", dir);
	switch (at) {
	case HUNG_CWD:
		return json_pack("{s:[s], s:s}", "argv", "true", "cwd", path);
	case HUNG_PROGRAM:
		return json_pack("{s:[s]}", "argv", path);
	case HUNG_PATH:
		/* Searched in the worker's PATH, whose first entry hangs. */
		return json_pack("{s:[s], s:{s:s}}", "argv", "true", "env",
				 "PATH", env);
	case HUNG_STDOUT:
		return json_pack("{s:[s], s:{s:s}}", "argv", "true", "stdout",
				 "file", path);
	case HUNG_FN_CWD:
		break;
	}
	return json_pack("{s:s, s:s, s:n, s:s}", "module", module(), "function",
			 "exit_with", "args", "cwd", path);
}

/*
 * A start whose set-up waits on the hung file system holds only itself:
 * starts of every kind by another client are served meanwhile. Once the
 * file system is aborted, it fails at stage with ENOTCONN, and the daemon
 * serves on.
 */
static void assert_hung_start_alone(enum hung_at at, const char *stage)
{
	struct hung_fs h;
	json_t *reply, *data;
	const char *name;
	char *line;
	int a, b;

	mpdd_start(&d, NULL);
	hung_fs_mount(&h);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	send_start(a, hung_params(at, h.dir));
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(run_code(b, json_pack("{s:[sss]}", "argv", "sh",
						   "-c", "exit 4")),
			     4);
		cr_assert_eq(run_code(b, json_pack("{s:[sss], s:s}", "argv",
						   "sh", "-c", "exit 5",
						   "start_method", "spawn")),
			     5);
		cr_assert_eq(run_code(b,
				      fn_params("exit_with", json_integer(6))),
			     6);
	}
	/* Nothing answered it meanwhile. */
	{
		struct pollfd p = { .fd = a, .events = POLLIN };

		cr_assert_eq(poll(&p, 1, 0), 0);
	}
	hung_fs_abort(&h);
	line = test_read_line(a, TEST_TIMEOUT_MS);
	reply = json_loads(line, 0, NULL);
	free(line);
	cr_assert_eq(test_error_code(reply, &name), 8);
	data = json_object_get(json_object_get(reply, "error"), "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "stage")),
			 stage);
	cr_assert_eq(test_int(data, "errno"), ENOTCONN);
	json_decref(reply);
	test_assert_ping(d.socket);
	test_forget(a);
	close(a);
	close(b);
	hung_fs_unmount(&h);
	mpdd_stop(&d);
}

Test(isolation, a_cwd_on_a_hung_file_system_delays_no_other_start)
{
	assert_hung_start_alone(HUNG_CWD, "cwd");
}

Test(isolation, a_program_on_a_hung_file_system_delays_no_other_start)
{
	assert_hung_start_alone(HUNG_PROGRAM, "exec");
}

Test(isolation, a_path_entry_on_a_hung_file_system_delays_no_other_start)
{
	assert_hung_start_alone(HUNG_PATH, "exec");
}

Test(isolation, a_stdout_on_a_hung_file_system_delays_no_other_start)
{
	assert_hung_start_alone(HUNG_STDOUT, "stdio");
}

Test(isolation, a_function_cwd_on_a_hung_file_system_delays_no_other_start)
{
	assert_hung_start_alone(HUNG_FN_CWD, "cwd");
}

/* The record of name, from process.info. */
static json_t *info_of(int fd, const char *name)
{
	json_t *r =
		test_call(fd, "process.info", json_pack("{s:s}", "name", name));
	json_t *rec = json_incref(test_result(r));

	json_decref(r);
	return rec;
}

/* The pid of name once its child has said it (it is starting). */
static pid_t starting_pid(int fd, const char *name)
{
	for (int i = 0; i < TEST_TIMEOUT_MS / 5; i++) {
		json_t *rec = info_of(fd, name);
		json_t *pid = json_object_get(rec, "pid");
		pid_t p = json_is_integer(pid) ?
				  (pid_t)json_integer_value(pid) :
				  0;

		cr_assert_str_eq(
			json_string_value(json_object_get(rec, "state")),
			"starting");
		json_decref(rec);
		if (p > 0)
			return p;
		usleep(5000);
	}
	cr_assert_fail("%s never said its pid", name);
	return -1;
}

/*
 * A start that hangs on its client's file system can be ended: kill
 * reaches the child at once (it waits in a killable call), the record
 * ends with the signal, and the client that started it gets its answer.
 */
Test(isolation, a_start_hung_on_a_file_system_can_be_killed)
{
	struct hung_fs h;
	json_t *p, *r, *rec;
	char *line;
	int a, b;

	mpdd_start(&d, NULL);
	hung_fs_mount(&h);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	p = hung_params(HUNG_CWD, h.dir);
	json_object_set_new(p, "name", json_string("hung"));
	send_start(a, p);
	starting_pid(b, "hung");
	json_decref(test_call(b, "process.kill",
			      json_pack("{s:s}", "name", "hung")));
	r = test_call(b, "process.join",
		      json_pack("{s:s, s:f}", "name", "hung", "timeout",
				TEST_TIMEOUT_MS / 1000.0));
	rec = test_result(r);
	cr_assert_str_eq(json_string_value(json_object_get(rec, "state")),
			 "exited");
	cr_assert_str_eq(json_string_value(json_object_get(rec, "signal")),
			 "SIGKILL");
	json_decref(r);
	/* Its starter is answered: it ran, and was killed. */
	line = test_read_line(a, TEST_TIMEOUT_MS);
	cr_assert(line != NULL);
	free(line);
	test_assert_ping(d.socket);
	test_forget(a);
	close(a);
	close(b);
	hung_fs_unmount(&h);
	mpdd_stop(&d);
}

/* Is pid gone (ended and reaped)? */
static bool is_gone(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld", (long)pid);
	return access(path, F_OK) == -1 && errno == ENOENT;
}

/* At stop, a start that hangs is ended like a running worker: nothing
 * of it outlives mpdd to run later, not even a zombie. */
Test(isolation, no_hung_start_outlives_stop)
{
	struct hung_fs h;
	json_t *p;
	pid_t pid;
	int a, b, status;

	mpdd_start(&d, NULL);
	hung_fs_mount(&h);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	p = hung_params(HUNG_CWD, h.dir);
	json_object_set_new(p, "name", json_string("hung"));
	send_start(a, p);
	pid = starting_pid(b, "hung");
	close(a);
	close(b);
	/* mpdd_stop(), but with the file system still hung at the check. */
	status = mpdd_signal_wait(&d, SIGTERM);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "mpdd did not exit cleanly (status 0x%x)", status);
	cr_assert(is_gone(pid),
		  "the hung child %ld outlived mpdd (or was left "
		  "a zombie)",
		  (long)pid);
	hung_fs_unmount(&h);
	mpdd_cleanup(&d);
}
