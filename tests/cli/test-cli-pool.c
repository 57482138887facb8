/*
 * test-cli-pool.c - mpd-cli's pool commands and map, run as a user runs
 * them.
 *
 * Each test starts a real mpdd and runs the built mpd-cli against it. The
 * pool commands drive function pools of the test modules and program
 * pools. map is held to xargs: the same input and command give the same
 * output as xargs -P 1 in input order, and as xargs -P N once sorted with
 * --unordered; its exit status counts the failed jobs; --halt and the
 * signals kill the jobs that run (their pids are checked gone); outputs of
 * several MiB and binary outputs come through whole, each job's in one
 * piece. Jobs that must overlap wait for each other's files, never for
 * time to pass.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
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

TestSuite(cli_pool, .fini = teardown, .timeout = 120);

/* The environment of mpd-cli: MPD_SOCKET unset (--socket names the
 * daemon). */
static const char *const no_socket_env[] = { "MPD_SOCKET=", NULL };

/* Run mpd-cli --socket d.socket with args (NULL-terminated) and stdin;
 * returns the exit status. */
static int cli_in(struct run_result *r, const char *in, const char *const *args)
{
	return test_cli(r, d.socket, args, no_socket_env, in);
}

#define CLI(r, ...) cli_in(r, NULL, (const char *const[]){ __VA_ARGS__, NULL })
#define CLI_IN(r, in, ...) \
	cli_in(r, in, (const char *const[]){ __VA_ARGS__, NULL })

/* Run a command that must succeed and print exactly want, nothing on
 * stderr. */
#define CLI_OK_OUT(want, ...)                                                 \
	do {                                                                  \
		struct run_result r_;                                         \
		cr_assert_eq(CLI(&r_, __VA_ARGS__), 0, "stderr: %s", r_.err); \
		cr_assert_str_eq(r_.out, want);                               \
		cr_assert_str_eq(r_.err, "");                                 \
		test_run_free(&r_);                                           \
	} while (0)

static const char *env_module(const char *var)
{
	const char *m = getenv(var);

	cr_assert_not_null(m, "%s is not set", var);
	return m;
}

/* Run xargs (argv after "xargs") on in: its stdout, malloc'd. */
static char *xargs(const char *in, const char *const *args)
{
	const char *argv[32] = { "/usr/bin/xargs", "-d", "\\n" };
	struct run_result r;
	char *out;
	int n = 3;

	for (; *args != NULL; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	test_run(&r, argv, NULL, in);
	cr_assert(WIFEXITED(r.status), "xargs did not exit");
	out = strdup(r.out);
	test_run_free(&r);
	return out;
}

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* text's lines in sorted order, joined again (malloc'd). */
static char *sorted(const char *text)
{
	char *copy = strdup(text), *save = NULL, *line, **lines = NULL;
	size_t n = 0, len = strlen(text) + 1;
	char *out = calloc(1, len), *o = out;

	for (line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		lines = realloc(lines, (n + 1) * sizeof(*lines));
		lines[n++] = line;
	}
	qsort(lines, n, sizeof(*lines), cmp_lines);
	for (size_t i = 0; i < n; i++)
		o += sprintf(o, "%s\n", lines[i]);
	free(lines);
	free(copy);
	return out;
}

/* The whole content of file in d's dir (malloc'd), its size in *len. */
static char *slurp(const char *file, size_t *len)
{
	char *p = test_in_dir(&d, file), *buf;
	struct stat st;
	int fd = open(p, O_RDONLY);

	cr_assert_geq(fd, 0, "%s: %s", p, strerror(errno));
	cr_assert_eq(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	cr_assert_eq(read(fd, buf, (size_t)st.st_size), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	free(p);
	*len = (size_t)st.st_size;
	return buf;
}

/* Write text to file in d's dir. */
static void spit(const char *file, const char *text, size_t len)
{
	char *p = test_in_dir(&d, file);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	free(p);
}

/* Wait until file exists in d's dir; returns the integer it holds. */
static long await_pid_file(const char *file)
{
	char *p = test_in_dir(&d, file), *buf;
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	long pid = 0;
	size_t len;

	for (int i = 0; i < TEST_TIMEOUT_MS / 10; i++) {
		struct stat st;

		if (stat(p, &st) == 0 && st.st_size > 0)
			break;
		nanosleep(&ts, NULL);
	}
	free(p);
	buf = slurp(file, &len);
	pid = strtol(buf, NULL, 10);
	free(buf);
	cr_assert_gt(pid, 0, "no pid in %s", file);
	return pid;
}

/* Assert that process pid is gone (no zombie of it either). */
static void assert_gone(long pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld", pid);
	cr_assert(kill((pid_t)pid, 0) < 0 && errno == ESRCH,
		  "job %ld still there", pid);
	cr_assert(access(path, F_OK) < 0);
}

Test(cli_pool, the_pool_commands_drive_a_function_pool)
{
	const char *mod = env_module("MPD_POOL_MODULE");
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "pool", "create", "sq", "--module", mod, "--function",
		   "square", "--processes", "2");
	CLI_OK_OUT("1\n2\n", "pool", "submit", "sq", "--args", "3", "--args",
		   "4");
	CLI_OK_OUT("1 done 9\n2 done 16\n", "pool", "result", "sq", "1", "2");
	cr_assert_eq(CLI_IN(&r, "5\n\n6\n", "pool", "submit", "sq"), 0);
	cr_assert_str_eq(r.out, "3\n4\n");
	test_run_free(&r);
	CLI_OK_OUT("3 done 25\n4 done 36\n", "pool", "result", "sq", "--first",
		   "3", "--count", "2", "--order", "submission");
	CLI_OK_OUT("1\n4\n9\n", "pool", "map", "sq", "1", "2", "3");
	cr_assert_eq(CLI_IN(&r, "7\n8\n", "pool", "map", "sq", "--chunksize",
			    "1"),
		     0);
	cr_assert_str_eq(r.out, "49\n64\n");
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "pool", "info", "sq"), 0);
	cr_assert_not_null(strstr(r.out, "name: sq\n"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\nkind: function\n"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\nprocesses: 2\n"), "%s", r.out);
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "pool", "list"), 0);
	cr_assert_not_null(strstr(r.out, "NAME  KIND      STATE  PROCESSES"),
			   "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\nsq    function  open   2"), "%s",
			   r.out);
	test_run_free(&r);
	CLI_OK_OUT("", "pool", "close", "sq");
	cr_assert_eq(CLI(&r, "pool", "submit", "sq", "--args", "1"), 1);
	test_assert_error_line(r.err, "pool submit", "invalid_state");
	test_run_free(&r);
	CLI_OK_OUT("", "pool", "join", "sq");
	CLI_OK_OUT("", "pool", "delete", "sq");
	cr_assert_eq(CLI(&r, "pool", "info", "sq"), 4);
	test_assert_error_line(r.err, "pool info", "not_found");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_pool, result_prints_failures_and_exits_1)
{
	const char *mod = env_module("MPD_POOL_MODULE");
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "pool", "create", "f", "--module", mod, "--function",
		   "square");
	CLI_OK_OUT("1\n2\n", "pool", "submit", "f", "--args", "2", "--args",
		   "\"x\"");
	cr_assert_eq(CLI(&r, "pool", "result", "f", "1", "2"), 1);
	cr_assert_str_eq(r.out, "1 done 4\n2 failed task_failed: square: not "
				"an integer\n");
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);
	/* --json: the daemon's result, failures included. */
	CLI_OK_OUT("3\n", "pool", "submit", "f", "--args", "3");
	cr_assert_eq(CLI(&r, "--json", "pool", "result", "f", "3"), 0);
	cr_assert_str_eq(r.out, "{\"results\":[{\"id\":3,\"state\":\"done\","
				"\"result\":9}],\"remaining\":0}\n");
	test_run_free(&r);
	/* Nothing ready within the timeout: 5. */
	CLI_OK_OUT("4\n", "pool", "submit", "f", "--function", "sleep_then",
		   "--args", "30");
	cr_assert_eq(CLI(&r, "pool", "result", "f", "4", "--timeout", "0"), 5);
	cr_assert_str_eq(r.out, "");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_pool, pool_map_names_the_lowest_failing_item)
{
	const char *mod = env_module("MPD_POOL_CLIENT_MODULE");
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "pool", "create", "f", "--module", mod, "--function",
		   "fail_on", "--processes", "2");
	cr_assert_eq(CLI(&r, "pool", "map", "f", "--chunksize", "2",
			 "[0,false]", "[1,false]", "[2,false]", "[3,true]",
			 "[4,true]"),
		     1);
	cr_assert_str_eq(r.out, "");
	cr_assert_str_eq(r.err,
			 "mpd-cli: pool map: item 3: no 3 (task_failed)\n");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_pool, a_program_pool_runs_commands_and_terminate_ends_them)
{
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "pool", "create", "p", "--processes", "1");
	CLI_OK_OUT("1\n", "pool", "submit", "p", "--", "sh", "-c", "exit 3");
	cr_assert_eq(CLI(&r, "pool", "result", "p", "1"), 1);
	cr_assert_eq(strncmp(r.out, "1 failed task_failed: ", 22), 0, "%s",
		     r.out);
	cr_assert_not_null(strstr(r.out, "exited with code 3"), "%s", r.out);
	test_run_free(&r);
	CLI_OK_OUT("2\n", "pool", "submit", "p", "true");
	cr_assert_eq(CLI(&r, "pool", "result", "p", "2"), 0);
	cr_assert_eq(strncmp(r.out, "2 done {\"exitcode\":0,", 21), 0, "%s",
		     r.out);
	test_run_free(&r);
	CLI_OK_OUT("3\n", "pool", "submit", "p", "sleep", "60");
	CLI_OK_OUT("4\n", "pool", "submit", "p", "sleep", "60");
	CLI_OK_OUT("", "pool", "close", "p");
	cr_assert_eq(CLI(&r, "pool", "join", "p", "--timeout", "0.1"), 5);
	test_run_free(&r);
	CLI_OK_OUT("", "pool", "terminate", "p");
	CLI_OK_OUT("", "pool", "join", "p");
	cr_assert_eq(CLI(&r, "pool", "result", "p", "3", "4"), 1);
	cr_assert_eq(strncmp(r.out, "3 failed terminated: ", 21), 0, "%s",
		     r.out);
	cr_assert_not_null(strstr(r.out, "\n4 failed terminated: "), "%s",
			   r.out);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

/* Input lines with spaces, quotes and a {} of their own. */
static char *some_lines(int n)
{
	char *in = calloc(1, (size_t)n * 32), *p = in;

	for (int i = 0; i < n; i++)
		p += sprintf(p, "line %d 'q' {}\n", i);
	return in;
}

Test(cli_pool, map_prints_in_input_order_what_xargs_P1_prints)
{
	char *in = some_lines(40), *want;
	struct run_result r;

	mpdd_start(&d, NULL);
	/* The line as the last argument. */
	want = xargs(in,
		     (const char *const[]){ "-n", "1", "-P", "1", "sh", "-c",
					    "echo \"<$1>\"", "sh", NULL });
	cr_assert_eq(CLI_IN(&r, in, "map", "-j", "4", "--", "sh", "-c",
			    "echo \"<$1>\"", "sh"),
		     0, "%s", r.err);
	cr_assert_str_eq(r.out, want);
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);
	free(want);
	/* The line in place of {}, inside an argument. */
	want = xargs(in, (const char *const[]){ "-I", "{}", "-P", "1", "echo",
						"a-{}-b", NULL });
	cr_assert_eq(CLI_IN(&r, in, "map", "-j", "3", "echo", "a-{}-b"), 0);
	cr_assert_str_eq(r.out, want);
	test_run_free(&r);
	free(want);
	free(in);
	mpdd_stop_all(&d);
}

Test(cli_pool, map_unordered_prints_what_xargs_PN_prints_in_some_order)
{
	char *in = some_lines(60), *want, *got, *ws;
	struct run_result r;

	mpdd_start(&d, NULL);
	want = xargs(in, (const char *const[]){ "-n", "1", "-P", "4", "sh",
						"-c", "echo \"$1\"; echo $1",
						"sh", NULL });
	cr_assert_eq(CLI_IN(&r, in, "map", "-j", "4", "--unordered", "--", "sh",
			    "-c", "echo \"$1\"; echo $1", "sh"),
		     0);
	got = sorted(r.out);
	ws = sorted(want);
	cr_assert_str_eq(got, ws);
	/* Each job's two lines stay together. */
	for (char *p = r.out; *p != '\0';) {
		char *nl = strchr(p, '\n');

		cr_assert_not_null(nl);
		cr_assert_eq(strncmp(p, nl + 1, (size_t)(nl - p)), 0,
			     "a job's lines apart at: %.40s", p);
		p = strchr(nl + 1, '\n') + 1;
	}
	test_run_free(&r);
	free(got);
	free(ws);
	free(want);
	free(in);
	mpdd_stop_all(&d);
}

Test(cli_pool, map_keeps_stderr_with_its_job_and_reads_a_file)
{
	struct run_result r;

	mpdd_start(&d, NULL);
	spit("in", "a\nb\nc", 5);
	char *path = test_in_dir(&d, "in");

	cr_assert_eq(CLI(&r, "map", "-j", "2", "-a", path, "--", "sh", "-c",
			 "echo out $1; echo err $1 >&2", "sh"),
		     0);
	cr_assert_str_eq(r.out, "out a\nout b\nout c\n");
	cr_assert_str_eq(r.err, "err a\nerr b\nerr c\n");
	test_run_free(&r);
	free(path);
	/* No input: no job. */
	cr_assert_eq(CLI_IN(&r, "", "map", "echo"), 0);
	cr_assert_str_eq(r.out, "");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_pool, map_exits_with_the_number_of_failed_jobs)
{
	char in[2048] = "", *p = in;
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(CLI_IN(&r, "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "map", "-j",
			    "3", "--", "sh", "-c", "exit $(($1 % 3 == 0))",
			    "sh"),
		     3);
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);
	/* A start that fails counts, and says why. */
	cr_assert_eq(CLI_IN(&r, "x\n", "map", "/no/such/program"), 1);
	cr_assert_not_null(strstr(r.err, "mpd-cli: map: job 1: "), "%s", r.err);
	cr_assert_not_null(strstr(r.err, "(spawn_failed)"), "%s", r.err);
	test_run_free(&r);
	/* A signal counts, and says which. */
	cr_assert_eq(CLI_IN(&r, "x\n", "map", "sh", "-c", "kill -9 $$"), 1);
	cr_assert_not_null(strstr(r.err, "killed by SIGKILL"), "%s", r.err);
	test_run_free(&r);
	/* More than 100: 101. */
	for (int i = 0; i < 120; i++)
		p += sprintf(p, "%d\n", i);
	cr_assert_eq(CLI_IN(&r, in, "map", "-j", "8", "false"), 101);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_pool, map_shows_no_progress_line_when_stderr_is_no_terminal)
{
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(CLI_IN(&r, "1\n2\n3\n", "map", "true"), 0);
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);
	/* --progress shows it anyway, and it ends cleared. */
	cr_assert_eq(CLI_IN(&r, "1\n2\n3\n", "map", "--progress", "true"), 0);
	cr_assert_not_null(strstr(r.err, "mpd-cli map: 3/3 done"), "%s", r.err);
	cr_assert_not_null(strstr(r.err, "\r\033[K"), "%s", r.err);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_pool, map_halt_kills_the_running_jobs_at_the_first_failure)
{
	char *pidfile, *script;
	struct run_result r;
	long pid;

	mpdd_start(&d, NULL);
	pidfile = test_in_dir(&d, "pid");
	/* Job 2 starts a long sleep; job 1 fails once it runs; job 3,
	 * which may start before the halt, ends at once. */
	cr_assert(asprintf(&script,
			   "case $1 in fail) while [ ! -s %s ]; do sleep "
			   "0.01; done; exit 1;; sleep) echo $$ > %s; exec "
			   "sleep 60;; esac",
			   pidfile, pidfile) > 0);
	cr_assert_eq(CLI_IN(&r, "fail\nsleep\nnever\n", "map", "-j", "2",
			    "--halt", "--", "sh", "-c", script, "sh"),
		     1, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "");
	test_run_free(&r);
	pid = await_pid_file("pid");
	assert_gone(pid);
	free(script);
	free(pidfile);
	mpdd_stop_all(&d);
}

/* Start map on two sleeping jobs that write their pids, send it sig and
 * check its status and that the jobs are gone. */
static void map_stopped_by(int sig, int status)
{
	char *script, *dir;
	long pids[2];
	pid_t map;
	int ws;

	mpdd_start(&d, NULL);
	dir = test_in_dir(&d, "");
	cr_assert(asprintf(&script, "echo $$ > %spid.$1; exec sleep 60", dir) >
		  0);
	spit("in", "1\n2\n3\n", 6);
	map = test_cli_spawn(&d,
			     (const char *const[]){ "map", "-j", "2", "--",
						    "sh", "-c", script, "sh",
						    NULL },
			     NULL, "in", "out", "err");
	pids[0] = await_pid_file("pid.1");
	pids[1] = await_pid_file("pid.2");
	cr_assert_eq(kill(map, sig), 0);
	ws = test_wait_status(map);
	cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == status,
		  "map ended with 0x%x", ws);
	assert_gone(pids[0]);
	assert_gone(pids[1]);
	free(script);
	free(dir);
	mpdd_stop_all(&d);
}

Test(cli_pool, map_sigint_kills_every_job_and_exits_130)
{
	map_stopped_by(SIGINT, 130);
}

Test(cli_pool, map_sigterm_kills_every_job_and_exits_143)
{
	map_stopped_by(SIGTERM, 143);
}

Test(cli_pool, map_passes_outputs_of_several_mib_whole)
{
	const size_t mib4 = 4 << 20;
	char *out;
	size_t len;
	pid_t map;

	mpdd_start(&d, NULL);
	spit("in", "a\nb\nc\n", 6);
	map = test_cli_spawn(
		&d,
		(const char *const[]){
			"map", "-j", "3", "--unordered", "--", "sh", "-c",
			"head -c 4194304 /dev/zero | tr '\\0' $1", "sh", NULL },
		NULL, "in", "out", "err");
	cr_assert_eq(test_wait_status(map), 0);
	out = slurp("out", &len);
	cr_assert_eq(len, 3 * mib4);
	/* Three runs of 4 MiB, one letter each: never mixed. */
	for (size_t k = 0; k < 3; k++) {
		char c = out[k * mib4];

		cr_assert(c == 'a' || c == 'b' || c == 'c');
		for (size_t i = 0; i < mib4; i++)
			if (out[k * mib4 + i] != c)
				cr_assert_fail("byte %zu of block %zu", i, k);
	}
	free(out);
	mpdd_stop_all(&d);
}

Test(cli_pool, map_passes_binary_output_intact)
{
	char bytes[1024], *path, *in, *out;
	size_t len;
	pid_t map;

	mpdd_start(&d, NULL);
	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (char)(i * 7 % 256);
	spit("bin", bytes, sizeof(bytes));
	path = test_in_dir(&d, "bin");
	cr_assert(asprintf(&in, "%s\n%s\n", path, path) > 0);
	spit("in", in, strlen(in));
	map = test_cli_spawn(&d, (const char *const[]){ "map", "cat", NULL },
			     NULL, "in", "out", "err");
	cr_assert_eq(test_wait_status(map), 0);
	out = slurp("out", &len);
	cr_assert_eq(len, 2 * sizeof(bytes));
	cr_assert_eq(memcmp(out, bytes, sizeof(bytes)), 0);
	cr_assert_eq(memcmp(out + sizeof(bytes), bytes, sizeof(bytes)), 0);
	free(out);
	free(in);
	free(path);
	mpdd_stop_all(&d);
}

Test(cli_pool, map_refuses_what_it_cannot_run_with_255)
{
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(CLI_IN(&r, "a\n\xff\xfe\n", "map", "echo"), 255);
	cr_assert_not_null(strstr(r.err, "mpd-cli: map: input line 2 is not "
					 "valid UTF-8\n"),
			   "%s", r.err);
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "map"), 255);
	cr_assert_str_eq(r.err, "mpd-cli: map: missing arguments. Try "
				"'mpd-cli map --help'.\n");
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "map", "-j", "0", "true"), 255);
	cr_assert_str_eq(r.err, "mpd-cli: map: -j 0 is out of range. Try "
				"'mpd-cli map --help'.\n");
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "map", "--bogus", "true"), 255);
	test_run_free(&r);
	mpdd_stop_all(&d);
	/* No daemon: 255 too, the socket named. */
	cr_assert_eq(CLI_IN(&r, "a\n", "map", "true"), 255);
	cr_assert_str_eq(r.out, "");
	cr_assert_not_null(strstr(r.err, d.socket), "%s", r.err);
	test_run_free(&r);
}

/* Every pool command needs the daemon: status 3, the socket named. */
ParameterizedTestParameters(cli_pool, no_daemon_exits_3_naming_the_socket)
{
	static struct test_unreachable_case cases[] = {
		{ { "pool", "create", "p" } },
		{ { "pool", "submit", "p", "--args", "1" } },
		{ { "pool", "result", "p", "1" } },
		{ { "pool", "map", "p", "1" } },
		{ { "pool", "info", "p" } },
		{ { "pool", "list" } },
		{ { "pool", "close", "p" } },
		{ { "pool", "terminate", "p" } },
		{ { "pool", "join", "p" } },
		{ { "pool", "delete", "p" } },
	};

	return cr_make_param_array(struct test_unreachable_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct test_unreachable_case *tc, cli_pool,
		  no_daemon_exits_3_naming_the_socket)
{
	test_unreachable_run(&d, tc, no_socket_env, NULL);
}

ParameterizedTestParameters(cli_pool, help_at_every_level_exits_0)
{
	static struct test_help_case cases[] = {
		{ { "pool", "--help" },
		  "Usage: mpd-cli [OPTIONS] pool COMMAND\n",
		  "\n  submit NAME [CMD...] " },
		{ { "help", "pool" },
		  "Usage: mpd-cli [OPTIONS] pool COMMAND\n",
		  "\n  terminate NAME " },
		{ { "pool", "create", "--help" },
		  "Usage: mpd-cli [OPTIONS] pool create NAME [OPTIONS]\n",
		  "\n      --maxtasksperchild N " },
		{ { "pool", "submit", "--help" },
		  "Usage: mpd-cli [OPTIONS] pool submit NAME [CMD...]\n",
		  "\n      --args JSON " },
		{ { "pool", "result", "--help" },
		  "Usage: mpd-cli [OPTIONS] pool result NAME [ID...]\n",
		  "\n      --order O " },
		{ { "pool", "map", "--help" },
		  "Usage: mpd-cli [OPTIONS] pool map NAME [OPTIONS] [ITEM...]\n",
		  "\n      --chunksize N " },
		{ { "pool", "info", "--help" },
		  "Usage: mpd-cli [OPTIONS] pool info NAME\n",
		  "" },
		{ { "pool", "list", "--help" },
		  "Usage: mpd-cli [OPTIONS] pool list\n",
		  "NAME KIND STATE" },
		{ { "pool", "close", "--help" },
		  "Usage: mpd-cli [OPTIONS] pool close NAME\n",
		  "" },
		{ { "pool", "terminate", "--help" },
		  "Usage: mpd-cli [OPTIONS] pool terminate NAME\n",
		  "" },
		{ { "pool", "join", "--help" },
		  "Usage: mpd-cli [OPTIONS] pool join NAME [--timeout S]\n",
		  "5 when the" },
		{ { "help", "pool", "delete" },
		  "Usage: mpd-cli [OPTIONS] pool delete NAME\n",
		  "" },
		{ { "map", "--help" },
		  "Usage: mpd-cli [OPTIONS] map [OPTIONS] CMD [ARG...]\n",
		  "\n  -j, --jobs N " },
		{ { "help", "map" },
		  "Usage: mpd-cli [OPTIONS] map [OPTIONS] CMD [ARG...]\n",
		  "Exit status: 0 when every job" },
	};

	return cr_make_param_array(struct test_help_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct test_help_case *tc, cli_pool,
		  help_at_every_level_exits_0)
{
	test_help_run(&d, tc, no_socket_env, 80);
}

Test(cli_pool, map_help_gives_json_no_letter)
{
	struct run_result r;

	mpdd_init(&d);
	cr_assert_eq(test_cli(&r, d.socket,
			      (const char *const[]){ "map", "--help", NULL },
			      no_socket_env, NULL),
		     0);
	cr_assert_not_null(strstr(r.out, "\n      --json "), "%s", r.out);
	cr_assert_null(strstr(r.out, "-j, --json"), "%s", r.out);
	test_run_free(&r);
}
