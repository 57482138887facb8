/*
 * test-cli-chan.c - mpd-cli's shared memory and listener commands, run as
 * a user runs them.
 *
 * Each test starts a real mpdd and runs the built mpd-cli against it. The
 * shm commands go round a segment: create, write stdin in at an offset,
 * read a range back out, info, list, unlink, with the errors of a segment
 * that is too small for the input or a range past its end. listen and
 * connect are checked as nc is used: a line each way between two
 * mpd-cli processes, a megabyte each way at once (the relay must not
 * stall either way), a listen that accepts one connection after another
 * and whose listener goes away with it, a connect to a listener with no
 * room. What the CLI claims is checked against the daemon over a raw
 * connection, which also holds listeners of its own. Waits are on the
 * processes' exits, or, for what only the daemon knows (a listener
 * created), on its answers polled with a deadline; never on fixed sleeps.
 * Last, --help, usage errors and an unreachable daemon for every command.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
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

TestSuite(cli_chan, .fini = teardown, .timeout = 60);

/* The result of method (new reference); fails the test on an error. */
static json_t *rpc(const char *method, const char *params)
{
	return test_rpc_text(d.socket, method, params, false);
}

/* Run mpd-cli --socket d.socket with args (NULL-terminated) and stdin
 * (NULL: empty); returns the exit status. */
static int cli_in(struct run_result *r, const char *in, const char *const *args)
{
	return test_cli(r, d.socket, args, NULL, in);
}

#define CLI(r, ...) cli_in(r, NULL, (const char *const[]){ __VA_ARGS__, NULL })
#define CLI_IN(r, in, ...) \
	cli_in(r, in, (const char *const[]){ __VA_ARGS__, NULL })

/* Run a command that must succeed and print exactly want. */
#define CLI_OK_OUT(want, ...)                                                 \
	do {                                                                  \
		struct run_result r_;                                         \
		cr_assert_eq(CLI(&r_, __VA_ARGS__), 0, "stderr: %s", r_.err); \
		cr_assert_str_eq(r_.out, want);                               \
		cr_assert_str_eq(r_.err, "");                                 \
		test_run_free(&r_);                                           \
	} while (0)

/* Run a command (stdin in) that must fail with status, nothing on stdout
 * and one error line for cmd (with the daemon's error name, unless
 * NULL). */
static void cli_fails(int status, const char *cmd, const char *name,
		      const char *in, const char *const *args)
{
	struct run_result r;

	cr_assert_eq(cli_in(&r, in, args), status, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "");
	test_assert_error_line(r.err, cmd, name);
	test_run_free(&r);
}

#define CLI_FAILS(status, cmd, name, ...)  \
	cli_fails(status, cmd, name, NULL, \
		  (const char *const[]){ __VA_ARGS__, NULL })

/* The whole of file in the temp dir (malloc'd); *len its length. */
static char *slurp(const char *file, size_t *len)
{
	char *path = test_in_dir(&d, file), *buf = NULL;
	FILE *f = fopen(path, "r");
	size_t size = 0;
	ssize_t n;

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	n = getdelim(&buf, &size, '\0', f);
	cr_assert(feof(f) || n >= 0);
	if (n < 0) {
		free(buf);
		buf = strdup("");
		n = 0;
	}
	/* Binary data holds NULs: read the rest the long way. */
	while (!feof(f)) {
		char chunk[65536];
		size_t k = fread(chunk, 1, sizeof(chunk), f);

		buf = realloc(buf, (size_t)n + k + 1);
		cr_assert_not_null(buf);
		memcpy(buf + n, chunk, k);
		n += (ssize_t)k;
		buf[n] = '\0';
	}
	fclose(f);
	free(path);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

/* Write len bytes of data to file in the temp dir. */
static void spew(const char *file, const char *data, size_t len)
{
	char *path = test_in_dir(&d, file);
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
	free(path);
}

/* Start mpd-cli with the arguments listed in the background, stdin the
 * file in, stdout and stderr the files out and err (see test_cli_spawn()). */
#define SPAWN(in, out, err, ...)                                             \
	test_cli_spawn(&d, (const char *const[]){ __VA_ARGS__, NULL }, NULL, \
		       in, out, err)

/* Wait for the child pid and assert it exited with code; err names the
 * file its stderr went to, shown when it did not. */
static void assert_exits(pid_t pid, int code, const char *err)
{
	int status = test_wait_status(pid);
	char *text;

	if (WIFEXITED(status) && WEXITSTATUS(status) == code)
		return;
	text = slurp(err, NULL);
	cr_assert_fail("status 0x%x, not exit %d; stderr: %s", status, code,
		       text);
}

/* The table of "listener list" or "shm list": head, then rows, each
 * "NAME UID REST" with the UID column as wide as getuid()'s digits need
 * (malloc'd). rows are name, rest pairs; names padded to name_width. */
static char *uid_table(const char *head_name, const char *head_rest,
		       int name_width, const char *const *rows, size_t n)
{
	char uid[32], *t = NULL, *line;
	int w;

	snprintf(uid, sizeof(uid), "%d", (int)getuid());
	w = strlen(uid) > 3 ? (int)strlen(uid) : 3;
	cr_assert(asprintf(&t, "%-*s  %-*s  %s\n", name_width, head_name, w,
			   "UID", head_rest) > 0);
	for (size_t i = 0; i < n; i++) {
		cr_assert(asprintf(&line, "%s%-*s  %-*s  %s\n", t, name_width,
				   rows[2 * i], w, uid, rows[2 * i + 1]) > 0);
		free(t);
		t = line;
	}
	return t;
}

/* Wait (at most TEST_TIMEOUT_MS) until the daemon has listener name with
 * n acceptors waiting: a listen that is ready. */
static void await_acceptors(const char *name, long long n)
{
	struct timespec tick = { .tv_nsec = 5 * 1000 * 1000 };
	char params[128];
	json_t *info;
	int waited = 0;

	snprintf(params, sizeof(params), "{\"name\":\"%s\"}", name);
	for (;;) {
		info = test_rpc_text(d.socket, "listener.info", params, true);
		if (info != NULL && test_int(info, "acceptors") == n) {
			json_decref(info);
			return;
		}
		json_decref(info);
		cr_assert_lt(waited, TEST_TIMEOUT_MS,
			     "listener %s never had %lld acceptors", name, n);
		nanosleep(&tick, NULL);
		waited += 5;
	}
}

Test(cli_chan, shm_create_write_read_info_list_and_unlink)
{
	struct run_result r;
	json_t *got, *want;
	char *text, line[128];

	mpdd_start(&d, NULL);
	CLI_OK_OUT("NAME  SIZE  UID  MODE  TEMPORARY\n", "shm", "list");
	CLI_OK_OUT("", "shm", "create", "seg", "64");
	/* stdin in at an offset, and back out: raw bytes, no newline. */
	cr_assert_eq(CLI_IN(&r, "hello", "shm", "write", "seg", "--offset",
			    "10"),
		     0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "");
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);
	CLI_OK_OUT("hello", "shm", "read", "seg", "--offset", "10", "--length",
		   "5");
	cr_assert_eq(CLI_IN(&r, "ab", "-j", "shm", "write", "seg"), 0);
	got = test_json(r.out);
	want = test_json("{\"name\":\"seg\",\"offset\":0,\"written\":2}");
	cr_assert(json_equal(got, want), "stdout: %s", r.out);
	json_decref(got);
	json_decref(want);
	test_run_free(&r);
	/* The whole segment, its zeros too. */
	cr_assert_eq(CLI(&r, "shm", "read", "seg"), 0);
	cr_assert_eq(memcmp(r.out, "ab\0\0\0\0\0\0\0\0hello\0", 16), 0);
	test_run_free(&r);
	CLI_OK_OUT("", "shm", "read", "seg", "--offset", "64");

	/* What does not fit is an error, what fitted is written. */
	cli_fails(1, "shm write", NULL, "0123456789",
		  (const char *const[]){ "shm", "write", "seg", "--offset",
					 "60", NULL });
	CLI_OK_OUT("0123", "shm", "read", "seg", "--offset", "60");
	CLI_FAILS(1, "shm write", NULL, "shm", "write", "seg", "--offset",
		  "65");
	CLI_FAILS(1, "shm read", NULL, "shm", "read", "seg", "--offset", "60",
		  "--length", "5");
	CLI_FAILS(1, "shm read", NULL, "shm", "read", "seg", "--offset", "65");

	cr_assert_eq(CLI(&r, "shm", "list"), 0);
	snprintf(line, sizeof(line), "seg   64    %-3d  owner  no\n",
		 (int)getuid());
	cr_assert_eq(strncmp(r.out, "NAME  SIZE  UID", 15), 0, "stdout: %s",
		     r.out);
	cr_assert_not_null(strstr(r.out, "  MODE   TEMPORARY\n"), "stdout: %s",
			   r.out);
	cr_assert_eq(strchr(r.out, '\n')[1], 's', "stdout: %s", r.out);
	cr_assert_not_null(strstr(r.out, "\nseg   64    "), "stdout: %s",
			   r.out);
	cr_assert_not_null(strstr(r.out, "  owner  no\n"), "stdout: %s", r.out);
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "-j", "shm", "list"), 0);
	got = test_json(r.out);
	want = rpc("shm.list", "{}");
	cr_assert(json_equal(got, json_object_get(want, "segments")),
		  "stdout: %s", r.out);
	json_decref(got);
	json_decref(want);
	test_run_free(&r);

	cr_assert_eq(CLI(&r, "shm", "info", "seg"), 0, "stderr: %s", r.err);
	cr_assert_eq(strncmp(r.out, "name: seg\nsize: 64\n", 19), 0,
		     "stdout: %s", r.out);
	cr_assert_not_null(strstr(r.out, "\ntemporary: false\n"), "stdout: %s",
			   r.out);
	cr_assert_not_null(strstr(r.out, "\nowner.pid: "), "stdout: %s", r.out);
	text = strstr(r.out, "\nsince: ");
	cr_assert(text != NULL && text[8] >= '1' && text[8] <= '9' &&
			  strchr(text + 8, '-') != NULL,
		  "since is not a local time: %s", r.out);
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "-j", "shm", "info", "seg"), 0);
	got = test_json(r.out);
	cr_assert_eq(test_int(got, "size"), 64);
	cr_assert(json_is_integer(json_object_get(got, "attaches")));
	json_decref(got);
	test_run_free(&r);

	CLI_OK_OUT("{}\n", "-j", "shm", "unlink", "seg");
	CLI_FAILS(4, "shm info", "not_found", "shm", "info", "seg");
	CLI_FAILS(4, "shm unlink", "not_found", "shm", "unlink", "seg");
	CLI_FAILS(4, "shm read", "not_found", "shm", "read", "seg");
	CLI_FAILS(4, "shm write", "not_found", "shm", "write", "seg");
	mpdd_stop_all(&d);
}

Test(cli_chan, shm_create_exist_ok_and_mode)
{
	struct run_result r;
	json_t *got;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "shm", "create", "seg", "4096", "--mode", "everyone");
	CLI_FAILS(1, "shm create", "exists", "shm", "create", "seg", "4096");
	CLI_FAILS(1, "shm create", "invalid_state", "shm", "create", "seg",
		  "8192", "--exist-ok");
	cr_assert_eq(CLI(&r, "-j", "shm", "create", "seg", "4096",
			 "--exist-ok"),
		     0, "stderr: %s", r.err);
	got = test_json(r.out);
	cr_assert(json_is_false(json_object_get(got, "created")));
	cr_assert_str_eq(json_string_value(json_object_get(got, "mode")),
			 "everyone");
	json_decref(got);
	test_run_free(&r);
	/* The segment the CLI made is the daemon's, not the CLI's: it is
	 * still there, not temporary. */
	got = rpc("shm.info", "{\"name\":\"seg\"}");
	cr_assert(json_is_false(json_object_get(got, "temporary")));
	cr_assert_eq(test_int(got, "size"), 4096);
	json_decref(got);
	mpdd_stop_all(&d);
}

Test(cli_chan, listen_and_connect_relay_a_line_each_way)
{
	struct run_result r;
	char *out;
	pid_t pid;

	mpdd_start(&d, NULL);
	spew("listen.in", "from listen\n", 12);
	pid = SPAWN("listen.in", "listen.out", "listen.err", "listen", "svc",
		    "--once");
	await_acceptors("svc", 1);
	cr_assert_eq(CLI_IN(&r, "from connect\n", "connect", "svc"), 0,
		     "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "from listen\n");
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);
	assert_exits(pid, 0, "listen.err");
	out = slurp("listen.out", NULL);
	cr_assert_str_eq(out, "from connect\n");
	free(out);
	out = slurp("listen.err", NULL);
	cr_assert_str_eq(out, "");
	free(out);
	/* The listener went with listen's connection. */
	CLI_FAILS(4, "connect", "not_found", "connect", "svc");
	mpdd_stop_all(&d);
}

Test(cli_chan, a_megabyte_each_way_at_once_gets_through_whole)
{
	const size_t n = 1024 * 1024;
	char *a = malloc(n), *b = malloc(n), *got;
	size_t len;
	pid_t lpid, cpid;

	cr_assert(a != NULL && b != NULL);
	mpdd_start(&d, NULL);
	srandom(42);
	for (size_t i = 0; i < n; i++) {
		a[i] = (char)random();
		b[i] = (char)random();
	}
	spew("a", a, n);
	spew("b", b, n);
	lpid = SPAWN("a", "got_b", "listen.err", "listen", "big", "--once");
	await_acceptors("big", 1);
	cpid = SPAWN("b", "got_a", "connect.err", "connect", "big");
	assert_exits(cpid, 0, "connect.err");
	assert_exits(lpid, 0, "listen.err");
	got = slurp("got_a", &len);
	cr_assert(len == n && memcmp(got, a, n) == 0, "got %zu bytes", len);
	free(got);
	got = slurp("got_b", &len);
	cr_assert(len == n && memcmp(got, b, n) == 0, "got %zu bytes", len);
	free(got);
	free(a);
	free(b);
	mpdd_stop_all(&d);
}

Test(cli_chan, listen_accepts_one_connection_after_another)
{
	static const char *const rows[] = { "svc", "owner  0        0" };
	struct run_result r;
	char *out, *want;
	int status;
	pid_t pid;

	mpdd_start(&d, NULL);
	/* stdin empty: each peer reads EOF, and sends its line. */
	pid = SPAWN(NULL, "listen.out", "listen.err", "listen", "svc",
		    "--backlog", "0");
	await_acceptors("svc", 1);
	cr_assert_eq(CLI_IN(&r, "one\n", "connect", "svc"), 0, "stderr: %s",
		     r.err);
	cr_assert_str_eq(r.out, "");
	test_run_free(&r);
	await_acceptors("svc", 1);
	want = uid_table("NAME", "MODE   BACKLOG  PENDING", 4, rows, 1);
	CLI_OK_OUT(want, "listener", "list");
	free(want);
	cr_assert_eq(CLI_IN(&r, "two\n", "connect", "svc"), 0, "stderr: %s",
		     r.err);
	cr_assert_str_eq(r.out, "");
	test_run_free(&r);
	await_acceptors("svc", 1);
	out = slurp("listen.out", NULL);
	cr_assert_str_eq(out, "one\ntwo\n");
	free(out);
	/* However listen ends, its listener goes with it. */
	cr_assert_eq(kill(pid, SIGTERM), 0);
	status = test_wait_status(pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
		  "status 0x%x", status);
	CLI_OK_OUT("[]\n", "-j", "listener", "list");
	mpdd_stop_all(&d);
}

Test(cli_chan, listen_goes_on_after_a_peer_that_hung_up_at_once)
{
	const size_t n = 1024 * 1024;
	char *data = malloc(n), *out;
	struct run_result r;
	int fd, end;
	pid_t pid;

	cr_assert_not_null(data);
	memset(data, 'x', n);
	mpdd_start(&d, NULL);
	/* More stdin than a socket buffer holds: listen is still sending
	 * when its first peer is gone. */
	spew("listen.in", data, n);
	pid = SPAWN("listen.in", "listen.out", "listen.err", "listen", "svc");
	await_acceptors("svc", 1);
	fd = test_connect(d.socket);
	test_ok0(fd, "listener.connect", test_nm("svc"));
	end = test_take_fd(fd);
	cr_assert_geq(end, 0);
	close(end);
	test_hang_up(fd);
	/* The next connection is served: its line reaches listen's stdout,
	 * and it gets what is left of listen's stdin. */
	await_acceptors("svc", 1);
	cr_assert_eq(CLI_IN(&r, "next\n", "connect", "svc"), 0, "stderr: %s",
		     r.err);
	cr_assert_leq(strlen(r.out), n);
	test_run_free(&r);
	await_acceptors("svc", 1);
	out = slurp("listen.out", NULL);
	cr_assert_str_eq(out, "next\n");
	free(out);
	/* The first peer's end: nothing, or one line saying it hung up. */
	out = slurp("listen.err", NULL);
	cr_assert(out[0] == '\0' ||
			  strcmp(out, "mpd-cli: listen: the peer closed the "
				      "connection\n") == 0,
		  "stderr: %s", out);
	free(out);
	cr_assert_eq(kill(pid, SIGTERM), 0);
	test_wait_status(pid);
	free(data);
	mpdd_stop_all(&d);
}

Test(cli_chan, connect_to_a_listener_without_room_exits_5)
{
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	test_ok0(fd, "listener.create",
		 test_json("{\"name\":\"svc\",\"backlog\":0}"));
	CLI_FAILS(5, "connect", "full", "connect", "svc", "--timeout", "0");
	CLI_FAILS(5, "connect", "timeout", "connect", "svc", "--timeout",
		  "0.05");
	CLI_FAILS(4, "connect", "not_found", "connect", "nope");
	test_hang_up(fd);
	mpdd_stop_all(&d);
}

Test(cli_chan, listener_info_list_and_close)
{
	static const char *const rows[] = { "svc", "everyone  3        1" };
	struct run_result r;
	json_t *got, *want;
	char *table;
	int fd, cfd;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("NAME  UID  MODE  BACKLOG  PENDING\n", "listener", "list");
	fd = test_connect(d.socket);
	test_ok0(fd, "listener.create",
		 test_json("{\"name\":\"svc\",\"backlog\":3,"
			   "\"mode\":\"everyone\"}"));
	/* A connection waits in the backlog. */
	cfd = test_connect(d.socket);
	test_ok0(cfd, "listener.connect", test_nm("svc"));
	table = uid_table("NAME", "MODE      BACKLOG  PENDING", 4, rows, 1);
	CLI_OK_OUT(table, "listener", "list");
	free(table);
	cr_assert_eq(CLI(&r, "listener", "info", "svc"), 0, "stderr: %s",
		     r.err);
	cr_assert_eq(strncmp(r.out, "name: svc\n", 10), 0, "stdout: %s", r.out);
	cr_assert_not_null(strstr(r.out, "\nmode: everyone\n"), "stdout: %s",
			   r.out);
	cr_assert_not_null(strstr(r.out, "\npending: 1\n"), "stdout: %s",
			   r.out);
	cr_assert_not_null(strstr(r.out, "\nowner.connection: "), "stdout: %s",
			   r.out);
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "-j", "listener", "info", "svc"), 0);
	got = test_json(r.out);
	want = rpc("listener.info", "{\"name\":\"svc\"}");
	cr_assert(json_equal(got, want), "stdout: %s", r.out);
	json_decref(got);
	json_decref(want);
	test_run_free(&r);
	CLI_OK_OUT("", "listener", "close", "svc");
	CLI_FAILS(4, "listener close", "not_found", "listener", "close", "svc");
	CLI_FAILS(4, "listener info", "not_found", "listener", "info", "svc");
	CLI_OK_OUT("[]\n", "-j", "listener", "list");
	test_hang_up(cfd);
	test_hang_up(fd);
	mpdd_stop_all(&d);
}

/* Every command needs the daemon: status 3, the socket named. */
ParameterizedTestParameters(cli_chan, no_daemon_exits_3_naming_the_socket)
{
	static struct test_unreachable_case cases[] = {
		{ { "shm", "create", "s", "64" } },
		{ { "shm", "write", "s", "--offset", "1" } },
		{ { "shm", "read", "s", "--length", "1" } },
		{ { "shm", "info", "s" } },
		{ { "shm", "list" } },
		{ { "shm", "unlink", "s" } },
		{ { "listen", "l", "--once" } },
		{ { "connect", "l", "--timeout", "1" } },
		{ { "listener", "list" } },
		{ { "listener", "info", "l" } },
		{ { "listener", "close", "l" } },
	};

	return cr_make_param_array(struct test_unreachable_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct test_unreachable_case *tc, cli_chan,
		  no_daemon_exits_3_naming_the_socket)
{
	test_unreachable_run(&d, tc, NULL, NULL);
}

/* --help at every level: usage on stdout, status 0, nothing on stderr. */
ParameterizedTestParameters(cli_chan, help_at_every_level_exits_0)
{
	static struct test_help_case cases[] = {
		{ { "shm", "--help" },
		  "Usage: mpd-cli [OPTIONS] shm COMMAND\n",
		  "\n  write NAME [--offset N] " },
		{ { "help", "shm" },
		  "Usage: mpd-cli [OPTIONS] shm COMMAND\n",
		  "\n  create NAME SIZE [OPTIONS] " },
		{ { "shm", "create", "--help" },
		  "Usage: mpd-cli [OPTIONS] shm create NAME SIZE [OPTIONS]\n",
		  "There is no --temporary" },
		{ { "shm", "write", "--help" },
		  "Usage: mpd-cli [OPTIONS] shm write NAME [--offset N]\n",
		  "\n      --offset N " },
		{ { "shm", "read", "--help" },
		  "Usage: mpd-cli [OPTIONS] shm read NAME [OPTIONS]\n",
		  "\n      --length N " },
		{ { "shm", "info", "--help" },
		  "Usage: mpd-cli [OPTIONS] shm info NAME\n",
		  "attaches" },
		{ { "shm", "list", "--help" },
		  "Usage: mpd-cli [OPTIONS] shm list\n",
		  "NAME\nSIZE UID MODE TEMPORARY" },
		{ { "help", "shm", "unlink" },
		  "Usage: mpd-cli [OPTIONS] shm unlink NAME\n",
		  "shm_unlink(3)" },
		{ { "listen", "--help" },
		  "Usage: mpd-cli [OPTIONS] listen NAME [OPTIONS]\n",
		  "\n      --backlog N " },
		{ { "help", "listen" },
		  "Usage: mpd-cli [OPTIONS] listen NAME [OPTIONS]\n",
		  "\n      --once " },
		{ { "connect", "--help" },
		  "Usage: mpd-cli [OPTIONS] connect NAME [--timeout S]\n",
		  "Exit 0 when both ways ended" },
		{ { "listener", "--help" },
		  "Usage: mpd-cli [OPTIONS] listener COMMAND\n",
		  "\n  close NAME " },
		{ { "listener", "list", "--help" },
		  "Usage: mpd-cli [OPTIONS] listener list\n",
		  "PENDING" },
		{ { "listener", "info", "--help" },
		  "Usage: mpd-cli [OPTIONS] listener info NAME\n",
		  "acceptors" },
		{ { "listener", "close", "--help" },
		  "Usage: mpd-cli [OPTIONS] listener close NAME\n",
		  "(exit 6)" },
	};

	return cr_make_param_array(struct test_help_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct test_help_case *tc, cli_chan,
		  help_at_every_level_exits_0)
{
	test_help_run(&d, tc, NULL, 80);
}

Test(cli_chan, top_help_lists_the_channel_commands)
{
	static const char *const lines[] = {
		"\n  listen NAME [OPTIONS] ",
		"\n  connect NAME [--timeout S] ",
		"\n  listener list ",
		"\n  listener info NAME ",
		"\n  listener close NAME ",
		"\n  shm create NAME SIZE [OPTIONS] ",
		"\n  shm write NAME [--offset N] ",
		"\n  shm read NAME [OPTIONS] ",
		"\n  shm info NAME ",
		"\n  shm list ",
		"\n  shm unlink NAME ",
	};
	struct run_result r;

	mpdd_init(&d);
	cr_assert_eq(CLI(&r, "--help"), 0, "stderr: %s", r.err);
	test_assert_has_all(r.out, lines, sizeof(lines) / sizeof(lines[0]));
	test_assert_columns(r.out, 80);
	test_run_free(&r);
}

/* Usage errors: status 2, one line naming the help to read. */
ParameterizedTestParameters(cli_chan, usage_errors_exit_2_with_one_line)
{
	static struct test_usage_case cases[] = {
		{ { "shm" },
		  "mpd-cli: shm: missing command. Try 'mpd-cli shm --help'.\n" },
		{ { "shm", "craete", "s", "1" },
		  "mpd-cli: unknown command 'craete' (did you mean 'create'?). "
		  "Try 'mpd-cli shm --help'.\n" },
		{ { "shm", "create", "s" },
		  "mpd-cli: shm create: missing arguments. Try 'mpd-cli shm "
		  "create --help'.\n" },
		{ { "shm", "create", TEST_EMPTY_ARG, "1" },
		  "mpd-cli: shm create: NAME is empty. Try 'mpd-cli shm create "
		  "--help'.\n" },
		{ { "shm", "create", "s", "0" },
		  "mpd-cli: shm create: SIZE 0 is out of range. Try 'mpd-cli "
		  "shm create --help'.\n" },
		{ { "shm", "create", "s", "1099511627777" },
		  "mpd-cli: shm create: SIZE 1099511627777 is out of range. "
		  "Try 'mpd-cli shm create --help'.\n" },
		{ { "shm", "create", "s", "4K" },
		  "mpd-cli: shm create: SIZE takes an integer, not '4K'. Try "
		  "'mpd-cli shm create --help'.\n" },
		{ { "shm", "create", "s", "64", "--temporary" },
		  "mpd-cli: unknown option '--temporary'. Try 'mpd-cli shm "
		  "create --help'.\n" },
		{ { "shm", "create", "s", "64", "--mode", "all" },
		  "mpd-cli: shm create: --mode takes owner, group or everyone, "
		  "not 'all'. Try 'mpd-cli shm create --help'.\n" },
		{ { "shm", "write", "s", "--offset", "-1" },
		  "mpd-cli: shm write: --offset -1 is out of range. Try "
		  "'mpd-cli shm write --help'.\n" },
		{ { "shm", "write", "s", "x" },
		  "mpd-cli: shm write: too many arguments. Try 'mpd-cli shm "
		  "write --help'.\n" },
		{ { "shm", "read", "s", "--length", "ten" },
		  "mpd-cli: shm read: --length takes an integer, not 'ten'. Try "
		  "'mpd-cli shm read --help'.\n" },
		{ { "shm", "read", "s", "--offset" },
		  "mpd-cli: option '--offset' needs an argument. Try 'mpd-cli "
		  "shm read --help'.\n" },
		{ { "shm", "list", "x" },
		  "mpd-cli: shm list: too many arguments. Try 'mpd-cli shm "
		  "list --help'.\n" },
		{ { "shm", "unlink" },
		  "mpd-cli: shm unlink: missing arguments. Try 'mpd-cli shm "
		  "unlink --help'.\n" },
		{ { "listen" },
		  "mpd-cli: listen: missing arguments. Try 'mpd-cli listen "
		  "--help'.\n" },
		{ { "listen", TEST_EMPTY_ARG },
		  "mpd-cli: listen: NAME is empty. Try 'mpd-cli listen "
		  "--help'.\n" },
		{ { "listen", "l", "--backlog", "1025" },
		  "mpd-cli: listen: --backlog 1025 is out of range. Try "
		  "'mpd-cli listen --help'.\n" },
		{ { "listen", "l", "--backlog", "-1" },
		  "mpd-cli: listen: --backlog -1 is out of range. Try 'mpd-cli "
		  "listen --help'.\n" },
		{ { "listen", "l", "--mode", "others" },
		  "mpd-cli: listen: --mode takes owner, group or everyone, not "
		  "'others'. Try 'mpd-cli listen --help'.\n" },
		{ { "listen", "l", "--once=yes" },
		  "mpd-cli: option '--once' takes no argument. Try 'mpd-cli "
		  "listen --help'.\n" },
		{ { "connect", "l", "--timeout", "soon" },
		  "mpd-cli: connect: --timeout takes a number of seconds >= 0, "
		  "not 'soon'. Try 'mpd-cli connect --help'.\n" },
		{ { "connect", "l", "m" },
		  "mpd-cli: connect: too many arguments. Try 'mpd-cli connect "
		  "--help'.\n" },
		{ { "listener" },
		  "mpd-cli: listener: missing command. Try 'mpd-cli listener "
		  "--help'.\n" },
		{ { "listener", "close" },
		  "mpd-cli: listener close: missing arguments. Try 'mpd-cli "
		  "listener close --help'.\n" },
		{ { "listener", "info", TEST_EMPTY_ARG },
		  "mpd-cli: listener info: NAME is empty. Try 'mpd-cli "
		  "listener info --help'.\n" },
	};

	return cr_make_param_array(struct test_usage_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct test_usage_case *tc, cli_chan,
		  usage_errors_exit_2_with_one_line)
{
	test_usage_run(&d, tc, NULL);
}
