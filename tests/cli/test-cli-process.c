/*
 * test-cli-process.c - mpd-cli's process commands, run as a user runs them.
 *
 * Each test starts a real mpdd and runs the built mpd-cli against it: run
 * (the worker's output in the caller's stdout, its exit status, signals
 * forwarded, --timeout, start failures), spawn, ps, info, join, terminate,
 * kill, signal and close; then --help, usage errors and an unreachable
 * daemon for every command. What the CLI claims is checked against the
 * daemon over a raw connection (process.list), so "a run leaves nothing
 * behind" is asserted, not assumed. Waits are on events (a line the worker
 * prints, a pidfd), never fixed sleeps.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "harness.h"

static struct mpdd d;

/* The result of method (new reference); fails the test on an error. */
static json_t *rpc(const char *method, const char *params)
{
	return test_rpc_text(d.socket, method, params, false);
}

static void teardown(void)
{
	mpdd_teardown(&d);
}

TestSuite(cli_process, .fini = teardown, .timeout = 60);

/* Run mpd-cli --socket d.socket with args (NULL-terminated), stdin_data
 * on its stdin (NULL: empty); returns the exit status. */
static int cli_in(struct run_result *r, const char *stdin_data,
		  const char *const *args)
{
	return test_cli(r, d.socket, args, NULL, stdin_data);
}

static int cli(struct run_result *r, const char *const *args)
{
	return cli_in(r, NULL, args);
}

/* Assert s is exactly one line starting with prefix. */
static void assert_one_line(const char *s, const char *prefix)
{
	const char *nl = strchr(s, '\n');

	cr_assert_eq(strncmp(s, prefix, strlen(prefix)), 0, "got: %s", s);
	cr_assert(nl != NULL && nl[1] == '\0', "not one line: %s", s);
}

/* The records process.list gives (new reference). */
static json_t *list_processes(void)
{
	json_t *res = rpc("process.list", "{}");
	json_t *list = json_incref(json_object_get(res, "processes"));

	cr_assert(json_is_array(list));
	json_decref(res);
	return list;
}

static void assert_no_records(void)
{
	json_t *list = list_processes();
	char *text = json_dumps(list, JSON_COMPACT);

	cr_assert_eq(json_array_size(list), 0, "records left: %s", text);
	free(text);
	json_decref(list);
}

/* The record of process id over a raw connection (new reference). */
static json_t *record_of(long long id)
{
	char params[64];

	snprintf(params, sizeof(params), "{\"id\":%lld}", id);
	return rpc("process.info", params);
}

/* Start a process over a raw connection; returns its id. */
static long long raw_spawn(const char *params)
{
	json_t *rec = rpc("process.create", params);
	long long id = json_integer_value(json_object_get(rec, "id"));

	cr_assert_gt(id, 0);
	cr_assert_str_eq(json_string_value(json_object_get(rec, "state")),
			 "running");
	json_decref(rec);
	return id;
}

/* Wait for pid (any process) to end: 1 when it did within timeout_ms,
 * 0 when it still runs. */
static int wait_gone(pid_t pid, int timeout_ms)
{
	int pfd = (int)pidfd_open(pid, 0);
	struct pollfd p = { .fd = pfd, .events = POLLIN };
	int n;

	if (pfd < 0 && errno == ESRCH)
		return 1;
	cr_assert(pfd >= 0, "pidfd_open(%d): %s", (int)pid, strerror(errno));
	while ((n = poll(&p, 1, timeout_ms)) == -1 && errno == EINTR)
		;
	close(pfd);
	return n == 1;
}

/* The state letter of pid from /proc (R, S, T, ...), or 0. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *paren;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return paren != NULL && paren[1] == ' ' ? paren[2] : 0;
}

/* Whether pid is alive: exists and is no zombie. */
static int alive(pid_t pid)
{
	char st = proc_state(pid);

	return st != 0 && st != 'Z' && st != 'X';
}

/* Make a FIFO in the test dir, opened read-write (so opening never
 * blocks); returns the fd, path in path. */
static int make_fifo(char *path, size_t size, const char *name)
{
	int fd;

	snprintf(path, size, "%s/%s", d.dir, name);
	cr_assert(mkfifo(path, 0600) == 0, "mkfifo: %s", strerror(errno));
	fd = open(path, O_RDWR | O_CLOEXEC);
	cr_assert(fd >= 0, "open %s: %s", path, strerror(errno));
	return fd;
}

/* Read one line from a pipe or FIFO (the harness's reader is for
 * sockets). Returns a malloc'd string; fails on a timeout or EOF. */
static char *read_pipe_line(int fd, int timeout_ms)
{
	char line[256];
	size_t n = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (n < sizeof(line) - 1) {
		cr_assert_eq(poll(&p, 1, timeout_ms), 1, "no line within %d ms",
			     timeout_ms);
		cr_assert_eq(read(fd, line + n, 1), 1, "EOF before a line");
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	return strdup(line);
}

Test(cli_process, run_prints_the_output_and_exits_with_the_code)
{
	const char *args[] = {
		"run", "--", "sh", "-c", "echo hi; exit 7", NULL
	};
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli(&r, args), 7, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "hi\n");
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);
	assert_no_records();
	mpdd_stop_all(&d);
}

Test(cli_process, run_without_dashes_leaves_the_programs_options_alone)
{
	const char *args[] = { "run", "sh", "-c", "echo \"$0\" --json",
			       "x",   NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli(&r, args), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "x --json\n");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_process, run_writes_the_workers_stderr_to_the_callers)
{
	const char *args[] = { "run", "--", "sh", "-c", "echo oops >&2", NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli(&r, args), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "");
	cr_assert_str_eq(r.err, "oops\n");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_process, run_passes_its_stdin)
{
	const char *args[] = { "run", "--", "cat", NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli_in(&r, "line one\nline two\n", args), 0, "stderr: %s",
		     r.err);
	cr_assert_str_eq(r.out, "line one\nline two\n");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_process, run_death_by_signal_exits_128_plus_the_signal)
{
	const char *args[] = { "run", "--", "sh", "-c", "kill -KILL $$", NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli(&r, args), 128 + SIGKILL, "stderr: %s", r.err);
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);
	assert_no_records();
	mpdd_stop_all(&d);
}

Test(cli_process, run_missing_program_exits_127_naming_stage_exec)
{
	const char *args[] = { "run", "--", "no-such-program-mpd-test", NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli(&r, args), 127, "stderr: %s", r.err);
	assert_one_line(r.err, "mpd-cli: run: ");
	cr_assert_not_null(strstr(r.err, " (spawn_failed, stage exec)\n"),
			   "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "");
	test_run_free(&r);
	assert_no_records(); /* the failed record was closed */
	mpdd_stop_all(&d);
}

Test(cli_process, run_bad_cwd_exits_127_naming_stage_cwd)
{
	const char *args[] = { "run", "--cwd", "/nonexistent/dir",
			       "--",  "true",  NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli(&r, args), 127, "stderr: %s", r.err);
	assert_one_line(r.err, "mpd-cli: run: ");
	cr_assert_not_null(strstr(r.err, " (spawn_failed, stage cwd)\n"),
			   "stderr: %s", r.err);
	test_run_free(&r);
	assert_no_records();
	mpdd_stop_all(&d);
}

Test(cli_process, run_timeout_terminates_and_exits_124)
{
	const char *args[] = { "run",	"--timeout", "0.3", "--",
			       "sleep", "30",	     NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli(&r, args), 124, "stderr: %s", r.err);
	cr_assert_str_eq(r.err, "mpd-cli: run: timed out after 0.3 s\n");
	cr_assert_str_eq(r.out, "");
	test_run_free(&r);
	assert_no_records();
	mpdd_stop_all(&d);
}

/*
 * A worker that ignores SIGTERM is killed after the grace period. The
 * function ignores SIGTERM as its first act, then prints "ready": a
 * worker that was terminated before that would not print it.
 */
Test(cli_process, run_timeout_kills_a_worker_that_ignores_sigterm,
     .timeout = 60)
{
	const char *module = getenv("MPD_TEST_MODULE");
	const char *args[] = { "--json",     "run",	    "--timeout",
			       "1",	     "--module",    module,
			       "--function", "ignore_term", NULL };
	struct run_result r;
	json_t *rec;

	cr_assert_not_null(module, "MPD_TEST_MODULE is not set");
	mpdd_start(&d, NULL);
	cr_assert_eq(cli(&r, args), 124, "stderr: %s", r.err);
	cr_assert_str_eq(r.err, "mpd-cli: run: timed out after 1 s\n");
	cr_assert_eq(strncmp(r.out, "ready\n", 6), 0, "stdout: %s", r.out);
	rec = test_json(r.out + 6);
	cr_assert_eq(json_integer_value(json_object_get(rec, "exitcode")),
		     -SIGKILL, "stdout: %s", r.out);
	json_decref(rec);
	test_run_free(&r);
	assert_no_records();
	mpdd_stop_all(&d);
}

Test(cli_process, run_that_ends_in_time_is_not_a_timeout)
{
	const char *args[] = { "run", "--timeout", "20",     "--",
			       "sh",  "-c",	   "exit 4", NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli(&r, args), 4, "stderr: %s", r.err);
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_process, run_env_adds_variables)
{
	const char *args[] = { "run", "--env", "A=B", "--env",		"C=d=e",
			       "--",  "sh",    "-c",  "echo \"$A $C\"", NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli(&r, args), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "B d=e\n");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_process, run_worker_knows_its_id_and_name)
{
	const char *args[] = { "run",
			       "--name",
			       "named-run",
			       "--",
			       "sh",
			       "-c",
			       "echo \"$MPD_PROCESS_NAME $MPD_SOCKET\"",
			       NULL };
	struct run_result r;
	char expect[PATH_MAX + 96];

	mpdd_start(&d, NULL);
	cr_assert_eq(cli(&r, args), 0, "stderr: %s", r.err);
	snprintf(expect, sizeof(expect), "named-run %s\n", d.socket);
	cr_assert_str_eq(r.out, expect);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_process, run_cwd_sets_the_working_directory)
{
	const char *args[] = { "run", "--cwd", "/tmp", "--", "pwd", NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli(&r, args), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "/tmp\n");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_process, run_relative_cwd_is_the_callers)
{
	const char *args[] = { "run", "--cwd", ".", "--", "pwd", "-P", NULL };
	char here[PATH_MAX], expect[PATH_MAX + 2];
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_not_null(realpath(".", here));
	snprintf(expect, sizeof(expect), "%s\n", here);
	cr_assert_eq(cli(&r, args), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, expect);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

/*
 * Without --cwd, run and spawn start the worker in this command's
 * directory, as a shell does: "./tool" there runs, pwd prints it, and a
 * program that is not found is reported with the directory it was
 * looked for in.
 */
Test(cli_process, run_and_spawn_start_in_the_callers_directory)
{
	const char *pwd[] = { "run", "--", "pwd", "-P", NULL };
	const char *tool[] = { "run", "--", "./tool", "a", NULL };
	const char *spawn[] = { "spawn", "--name", "t", "--stdout", "out",
				"--",	 "./tool", "b", NULL };
	const char *join[] = { "join", "t", NULL };
	const char *missing[] = { "run", "--", "./missing", NULL };
	char dir[PATH_MAX - 32], real[PATH_MAX], path[PATH_MAX];
	char expect[PATH_MAX + 96];
	struct run_result r;
	FILE *f;

	mpdd_start(&d, NULL);
	snprintf(dir, sizeof(dir), "%s/here", d.dir);
	cr_assert_eq(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/tool", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("#!/bin/sh\necho \"tool $1\"\n", f);
	fclose(f);
	cr_assert_eq(chmod(path, 0755), 0);
	/* mpdd keeps the directory it was started in; this command moves. */
	cr_assert_eq(chdir(dir), 0);
	cr_assert_not_null(realpath(dir, real));

	snprintf(expect, sizeof(expect), "%s\n", real);
	cr_assert_eq(cli(&r, pwd), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, expect);
	test_run_free(&r);
	cr_assert_eq(cli(&r, tool), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "tool a\n");
	test_run_free(&r);

	cr_assert_eq(cli(&r, spawn), 0, "stderr: %s", r.err);
	test_run_free(&r);
	cr_assert_eq(cli(&r, join), 0, "stderr: %s", r.err);
	test_run_free(&r);
	snprintf(path, sizeof(path), "%s/out", dir);
	f = fopen(path, "r");
	cr_assert_not_null(f, "spawn --stdout out writes %s", path);
	cr_assert_not_null(fgets(expect, sizeof(expect), f));
	fclose(f);
	cr_assert_str_eq(expect, "tool b\n");

	cr_assert_eq(cli(&r, missing), 127, "stderr: %s", r.err);
	snprintf(expect, sizeof(expect),
		 "./missing: No such file or "
		 "directory (in %s) (spawn_failed, stage exec)\n",
		 real);
	cr_assert_not_null(strstr(r.err, expect), "stderr: %s", r.err);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_process, run_json_prints_the_final_record_after_the_output)
{
	const char *args[] = { "--json", "run", "--name",	   "j", "--",
			       "sh",	 "-c",	"echo hi; exit 3", NULL };
	struct run_result r;
	json_t *rec;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli(&r, args), 3, "stderr: %s", r.err);
	cr_assert_eq(strncmp(r.out, "hi\n{", 4), 0, "stdout: %s", r.out);
	cr_assert_eq(strchr(r.out + 3, '\n'), r.out + strlen(r.out) - 1,
		     "not one line: %s", r.out);
	rec = test_json(r.out + 3);
	cr_assert_str_eq(json_string_value(json_object_get(rec, "name")), "j");
	cr_assert_str_eq(json_string_value(json_object_get(rec, "state")),
			 "exited");
	cr_assert_eq(json_integer_value(json_object_get(rec, "exitcode")), 3);
	json_decref(rec);
	test_run_free(&r);
	assert_no_records();
	mpdd_stop_all(&d);
}

Test(cli_process, run_function_target_gets_its_args)
{
	const char *module = getenv("MPD_TEST_MODULE");
	const char *args[] = { "run",		"--module",  module,
			       "--function",	"echo_args", "--args",
			       "{\"a\":[1,2]}", NULL };
	const char *args_exit[] = { "run",	  "--module",  module,
				    "--function", "exit_with", "--args",
				    "5",	  NULL };
	struct run_result r;

	cr_assert_not_null(module, "MPD_TEST_MODULE is not set");
	mpdd_start(&d, NULL);
	cr_assert_eq(cli(&r, args), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "{\"a\":[1,2]}\n");
	test_run_free(&r);
	cr_assert_eq(cli(&r, args_exit), 5, "stderr: %s", r.err);
	test_run_free(&r);
	assert_no_records();
	mpdd_stop_all(&d);
}

Test(cli_process, run_missing_function_exits_127_naming_stage_dlsym)
{
	const char *module = getenv("MPD_TEST_MODULE");
	const char *args[] = { "run",	     "--module",   module,
			       "--function", "no_such_fn", NULL };
	struct run_result r;

	cr_assert_not_null(module, "MPD_TEST_MODULE is not set");
	mpdd_start(&d, NULL);
	cr_assert_eq(cli(&r, args), 127, "stderr: %s", r.err);
	assert_one_line(r.err, "mpd-cli: run: ");
	cr_assert_not_null(strstr(r.err, " (spawn_failed, stage dlsym)\n"),
			   "stderr: %s", r.err);
	test_run_free(&r);
	assert_no_records();
	mpdd_stop_all(&d);
}

/* Signals mpd-cli run forwards, and the exit status each gives. */
struct forward_case {
	int sig;
	int status;
};

ParameterizedTestParameters(cli_process, run_forwards_a_signal_to_the_worker)
{
	static struct forward_case cases[] = {
		{ SIGINT, 128 + SIGINT },
		{ SIGTERM, 128 + SIGTERM },
		{ SIGHUP, 128 + SIGHUP },
	};

	return cr_make_param_array(struct forward_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

/*
 * Start mpd-cli run with a worker that prints its pid, then sleeps; wait
 * for that line (the worker runs), signal mpd-cli, and check it exits
 * with 128+SIG, the worker is gone and no record is left.
 */
ParameterizedTest(struct forward_case *tc, cli_process,
		  run_forwards_a_signal_to_the_worker)
{
	const char *args[] = {
		"run", "--", "sh", "-c", "echo $$; exec sleep 100", NULL
	};
	const char *argv[TEST_CLI_ARGV_SIZE];
	char *bin = test_built("client/cli/mpd-cli");
	char *line, errbuf[512];
	int out[2], err[2], status;
	pid_t pid, worker;
	ssize_t n;

	mpdd_start(&d, NULL);
	test_cli_argv(argv, bin, d.socket, args);
	cr_assert(pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(bin, (char *const *)argv);
		_exit(126);
	}
	close(out[1]);
	close(err[1]);
	free(bin);

	line = read_pipe_line(out[0], TEST_TIMEOUT_MS);
	worker = (pid_t)atoi(line);
	free(line);
	cr_assert_gt(worker, 0);
	cr_assert(alive(worker));

	cr_assert_eq(kill(pid, tc->sig), 0);
	cr_assert(wait_gone(pid, TEST_TIMEOUT_MS), "mpd-cli did not exit");
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	n = read(err[0], errbuf, sizeof(errbuf) - 1);
	errbuf[n > 0 ? n : 0] = '\0';
	cr_assert(WIFEXITED(status), "status 0x%x", status);
	cr_assert_eq(WEXITSTATUS(status), tc->status, "stderr: %s", errbuf);
	cr_assert_str_eq(errbuf, "");
	cr_assert(!alive(worker), "the worker still runs");
	assert_no_records();
	close(out[0]);
	close(err[0]);
	mpdd_stop_all(&d);
}

/* Start mpd-cli run with args, its stdout on a pipe; read the worker's
 * pid, the first line it prints. Returns mpd-cli's pid. */
static pid_t run_in_background(const char *const *args, int *out_fd,
			       pid_t *worker)
{
	const char *argv[TEST_CLI_ARGV_SIZE];
	char *bin = test_built("client/cli/mpd-cli");
	int out[2];
	char *line;
	pid_t pid;

	test_cli_argv(argv, bin, d.socket, args);
	cr_assert(pipe2(out, O_CLOEXEC) == 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(out[1], 1);
		execv(bin, (char *const *)argv);
		_exit(126);
	}
	close(out[1]);
	free(bin);
	line = read_pipe_line(out[0], TEST_TIMEOUT_MS);
	*worker = (pid_t)atoi(line);
	free(line);
	cr_assert_gt(*worker, 0);
	*out_fd = out[0];
	return pid;
}

/*
 * run is "this command, in the foreground": when mpd-cli run is killed
 * with SIGKILL (nothing to forward), its connection closes and mpdd
 * terminates the worker it started.
 */
Test(cli_process, a_hard_killed_run_takes_its_worker_with_it)
{
	const char *args[] = {
		"run", "--", "sh", "-c", "echo $$; exec sleep 100", NULL
	};
	json_t *res, *rec;
	pid_t pid, worker;
	int out, status;

	mpdd_start(&d, NULL);
	pid = run_in_background(args, &out, &worker);
	cr_assert(alive(worker));
	cr_assert_eq(kill(pid, SIGKILL), 0);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	cr_assert(wait_gone(worker, TEST_TIMEOUT_MS),
		  "the worker outlived the run that started it");
	/* Its record says why; run did not live to close it. */
	res = rpc("process.list", "{}");
	rec = json_array_get(json_object_get(res, "processes"), 0);
	cr_assert_not_null(rec);
	cr_assert(json_is_true(json_object_get(rec, "daemon")));
	json_decref(res);
	close(out);
	mpdd_stop_all(&d);
}

/* Wait (polling /proc, bounded) until pid's state is want or not. */
static bool state_becomes(pid_t pid, char want, bool is)
{
	for (int i = 0; i < TEST_TIMEOUT_MS / 10; i++) {
		if ((proc_state(pid) == want) == is)
			return true;
		usleep(10000);
	}
	return false;
}

/* End run with SIGTERM, passed on: it exits 128+SIGTERM, nothing left. */
static void run_terminate(pid_t pid, int out_fd)
{
	int status;

	cr_assert_eq(kill(pid, SIGTERM), 0);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGTERM,
		  "status 0x%x", status);
	close(out_fd);
	assert_no_records();
}

/* run passes SIGWINCH on. */
Test(cli_process, run_passes_on_winch)
{
	const char *args[] = { "run",
			       "--",
			       "sh",
			       "-c",
			       "trap 'echo winch' WINCH; echo $$; "
			       "while :; do sleep 0.05; done",
			       NULL };
	pid_t pid, worker;
	char *line;
	int out;

	mpdd_start(&d, NULL);
	pid = run_in_background(args, &out, &worker);
	cr_assert_eq(kill(pid, SIGWINCH), 0);
	line = read_pipe_line(out, TEST_TIMEOUT_MS);
	cr_assert_str_eq(line, "winch");
	free(line);
	run_terminate(pid, out);
	mpdd_stop_all(&d);
}

/*
 * Ctrl-Z (SIGTSTP) stops the worker (as SIGSTOP: a worker's own session
 * drops SIGTSTP) and run itself; SIGCONT, passed on, resumes both, as a
 * foreground job. (One process: when a member of a stopped group that is
 * orphaned exits, the kernel sends the group SIGHUP and SIGCONT.)
 */
Test(cli_process, run_stops_and_resumes_with_the_job)
{
	const char *args[] = {
		"run", "--", "sh", "-c", "echo $$; exec sleep 100", NULL
	};
	pid_t pid, worker;
	int out, status;

	mpdd_start(&d, NULL);
	pid = run_in_background(args, &out, &worker);
	cr_assert_eq(kill(pid, SIGTSTP), 0);
	cr_assert_eq(waitpid(pid, &status, WUNTRACED), pid);
	cr_assert(WIFSTOPPED(status), "run did not stop: 0x%x", status);
	cr_assert(state_becomes(worker, 'T', true), "the worker runs on");
	cr_assert_eq(kill(pid, SIGCONT), 0);
	cr_assert(state_becomes(worker, 'T', false),
		  "the worker stays stopped");
	run_terminate(pid, out);
	mpdd_stop_all(&d);
}

/* Without --pty a worker has no terminal; with it, a pseudo-terminal of
 * its own, 24x80 when run's stdin is not a terminal. */
Test(cli_process, run_pty_gives_the_worker_a_controlling_terminal)
{
	const char *script = "tty; test -t 0 && echo term; echo x >/dev/tty; "
			     "stty size; exit 3";
	const char *plain[] = { "run", "--", "sh", "-c", script, NULL };
	const char *pty[] = { "run", "--pty", "--", "sh", "-c", script, NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli(&r, plain), 3, "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.out, "not a tty\n"), "stdout: %s", r.out);
	cr_assert_null(strstr(r.out, "term"), "stdout: %s", r.out);
	test_run_free(&r);
	cr_assert_eq(cli(&r, pty), 3, "stderr: %s", r.err);
	/* The terminal's output ends lines with \r\n. */
	cr_assert_not_null(strstr(r.out, "/dev/pts/"), "stdout: %s", r.out);
	cr_assert_not_null(strstr(r.out, "term\r\nx\r\n24 80\r\n"),
			   "stdout: %s", r.out);
	test_run_free(&r);
	assert_no_records();
	mpdd_stop_all(&d);
}

/* How many lines of text are "ROWS COLS" (stty size's answers). */
static int size_lines(const char *text)
{
	int count = 0, rows, cols, used;

	for (const char *p = text; *p != '\0';) {
		const char *nl = strchr(p, '\n');

		if (nl == NULL)
			break;
		if (sscanf(p, "%d %d%n", &rows, &cols, &used) == 2 &&
		    (p[used] == '\r' || p[used] == '\n'))
			count++;
		p = nl + 1;
	}
	return count;
}

/*
 * run --pty from a terminal: the worker's terminal has run's window size
 * and follows its changes (SIGWINCH), run's terminal is raw meanwhile
 * and as it was afterwards.
 */
Test(cli_process, run_pty_follows_the_callers_terminal)
{
	const char *args[] = {
		"run", "--pty", "--",
		"sh",  "-c",	"stty size; while read l; do stty size; done",
		NULL
	};
	const char *argv[TEST_CLI_ARGV_SIZE];
	char *bin = test_built("client/cli/mpd-cli");
	struct winsize ws = { .ws_row = 30, .ws_col = 100 };
	struct termios before, after;
	char buf[8192] = "", *name;
	size_t n = 0;
	int master, slave, status;
	pid_t pid;

	mpdd_start(&d, NULL);
	test_cli_argv(argv, bin, d.socket, args);
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert(master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0);
	name = ptsname(master);
	cr_assert_not_null(name);
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert(slave >= 0);
	cr_assert_eq(ioctl(master, TIOCSWINSZ, &ws), 0);
	cr_assert_eq(tcgetattr(slave, &before), 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		execv(bin, (char *const *)argv);
		_exit(126);
	}
	free(bin);
	/* The first size, then a change while the worker waits for a line. */
	while (strstr(buf, "30 100") == NULL) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		ssize_t k;

		cr_assert_eq(poll(&p, 1, TEST_TIMEOUT_MS), 1, "got: %.*s",
			     (int)n, buf);
		k = read(master, buf + n, sizeof(buf) - 1 - n);
		cr_assert_gt(k, 0);
		n += (size_t)k;
		buf[n] = '\0';
	}
	cr_assert_eq(tcgetattr(slave, &after), 0);
	cr_assert_eq(after.c_lflag & ICANON, 0, "run's terminal is not raw");
	ws.ws_row = 40;
	ws.ws_col = 120;
	cr_assert_eq(ioctl(master, TIOCSWINSZ, &ws), 0); /* SIGWINCH to run */
	/* Each line makes the worker print its size again: until it has
	 * the new one (run passes it on when its handler runs). */
	for (int tries = 0; strstr(buf, "40 120") == NULL; tries++) {
		int sizes = size_lines(buf);

		cr_assert_lt(tries, 200, "got: %s", buf);
		cr_assert_eq(write(master, "\r", 1), 1);
		/* The answer to this line, not its echo, before the next. */
		while (size_lines(buf) == sizes) {
			struct pollfd p = { .fd = master, .events = POLLIN };
			ssize_t k;

			cr_assert_eq(poll(&p, 1, TEST_TIMEOUT_MS), 1, "got: %s",
				     buf);
			k = read(master, buf + n, sizeof(buf) - 1 - n);
			cr_assert_gt(k, 0, "got: %s", buf);
			n += (size_t)k;
			buf[n] = '\0';
		}
	}
	cr_assert_eq(write(master, "\x04", 1), 1); /* end of input */
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "status 0x%x: %s", status, buf);
	cr_assert_eq(tcgetattr(slave, &after), 0);
	cr_assert_eq(after.c_lflag, before.c_lflag,
		     "run's terminal was not restored");
	close(slave);
	close(master);
	assert_no_records();
	mpdd_stop_all(&d);
}

Test(cli_process, spawn_prints_an_id_and_ps_lists_it)
{
	const char *spawn[] = { "spawn", "--name", "sleepy", "--",
				"sleep", "100",	   NULL };
	const char *ps[] = { "ps", NULL };
	struct run_result r;
	char id[32], name[64], pid[32], state[32], exitcode[32], age[32],
		cmd[64], cmd2[64];
	json_t *rec;
	long long n;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli(&r, spawn), 0, "stderr: %s", r.err);
	cr_assert_eq(sscanf(r.out, "%lld", &n), 1, "stdout: %s", r.out);
	snprintf(id, sizeof(id), "%lld\n", n);
	cr_assert_str_eq(r.out, id);
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);
	rec = record_of(n);
	cr_assert_str_eq(json_string_value(json_object_get(rec, "state")),
			 "running");

	cr_assert_eq(cli(&r, ps), 0, "stderr: %s", r.err);
	cr_assert_eq(strncmp(r.out, "ID  NAME    PID", 15), 0, "stdout: %s",
		     r.out);
	cr_assert_not_null(strstr(r.out, "  STATE    EXITCODE  AGE  COMMAND\n"),
			   "stdout: %s", r.out);
	cr_assert_eq(sscanf(strchr(r.out, '\n') + 1,
			    "%31s %63s %31s %31s "
			    "%31s %31s %63s %63s",
			    id, name, pid, state, exitcode, age, cmd, cmd2),
		     8, "stdout: %s", r.out);
	cr_assert_eq(atoll(id), n);
	cr_assert_str_eq(name, "sleepy");
	cr_assert_eq(atoll(pid),
		     json_integer_value(json_object_get(rec, "pid")));
	cr_assert_str_eq(state, "running");
	cr_assert_str_eq(exitcode, "-");
	cr_assert(strcmp(age, "0s") == 0 || strcmp(age, "1s") == 0 ||
			  strcmp(age, "2s") == 0,
		  "age: %s", age);
	cr_assert_str_eq(cmd, "sleep");
	cr_assert_str_eq(cmd2, "100");
	test_run_free(&r);
	json_decref(rec);
	mpdd_stop_all(&d);
}

Test(cli_process, spawn_json_prints_the_running_record)
{
	const char *spawn[] = { "-j", "spawn", "--", "sleep", "100", NULL };
	struct run_result r;
	json_t *rec;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli(&r, spawn), 0, "stderr: %s", r.err);
	rec = test_json(r.out);
	cr_assert_str_eq(json_string_value(json_object_get(rec, "state")),
			 "running");
	cr_assert(json_is_integer(json_object_get(rec, "pid")));
	json_decref(rec);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_process, spawn_redirects_to_files_and_appends)
{
	char out[PATH_MAX], err[PATH_MAX], buf[128];
	const char *spawn[] = { "spawn",
				"--name",
				"w",
				"--stdout",
				out,
				"--stderr",
				err,
				"--",
				"sh",
				"-c",
				"echo o; echo e >&2",
				NULL };
	const char *spawn_append[] = { "spawn",
				       "--name",
				       "w2",
				       "--stdout",
				       out,
				       "--stderr",
				       err,
				       "--append",
				       "--",
				       "sh",
				       "-c",
				       "echo o2; "
				       "echo e2 >&2",
				       NULL };
	const char *join[] = { "join", "w", NULL };
	const char *join2[] = { "join", "w2", NULL };
	struct run_result r;
	FILE *f;
	size_t n;

	mpdd_start(&d, NULL);
	snprintf(out, sizeof(out), "%s/out.txt", d.dir);
	snprintf(err, sizeof(err), "%s/err.txt", d.dir);
	cr_assert_eq(cli(&r, spawn), 0, "stderr: %s", r.err);
	test_run_free(&r);
	cr_assert_eq(cli(&r, join), 0, "stderr: %s", r.err);
	test_run_free(&r);
	cr_assert_eq(cli(&r, spawn_append), 0, "stderr: %s", r.err);
	test_run_free(&r);
	cr_assert_eq(cli(&r, join2), 0, "stderr: %s", r.err);
	test_run_free(&r);

	f = fopen(out, "r");
	cr_assert_not_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	cr_assert_str_eq(buf, "o\no2\n");
	f = fopen(err, "r");
	cr_assert_not_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	cr_assert_str_eq(buf, "e\ne2\n");
	mpdd_stop_all(&d);
}

Test(cli_process, spawn_capture_keeps_the_output_and_logs_prints_it)
{
	const char *spawn[] = {
		"spawn",  "--capture",
		"--name", "talker",
		"--",	  "sh",
		"-c",	  "echo one; echo two >&2; printf three",
		NULL
	};
	const char *follow[] = { "logs", "-f", "talker", NULL };
	const char *logs[] = { "logs", "talker", NULL };
	const char *tail[] = { "logs", "--tail", "7", "talker", NULL };
	const char *tail_all[] = { "logs", "talker", "--tail", "1000", NULL };
	const char *json[] = { "--json", "logs", "--follow", "talker", NULL };
	struct run_result r;
	json_t *rec, *res;
	long long id;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli(&r, spawn), 0, "stderr: %s", r.err);
	id = atoll(r.out);
	test_run_free(&r);
	/* -f ends, exit 0, when the worker's stream ends. */
	cr_assert_eq(cli(&r, follow), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "one\ntwo\nthree");
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);
	cr_assert_eq(cli(&r, logs), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "one\ntwo\nthree");
	test_run_free(&r);
	/* --tail N: the last N bytes; more than there are: all of them. */
	cr_assert_eq(cli(&r, tail), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "o\nthree");
	test_run_free(&r);
	cr_assert_eq(cli(&r, tail_all), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "one\ntwo\nthree");
	test_run_free(&r);
	/* --json: a result a line, the last one ended. */
	cr_assert_eq(cli(&r, json), 0, "stderr: %s", r.err);
	res = test_json(r.out);
	cr_assert_str_eq(json_string_value(json_object_get(res, "data")),
			 "one\ntwo\nthree");
	cr_assert(json_is_true(json_object_get(res, "ended")));
	json_decref(res);
	test_run_free(&r);
	rec = record_of(id);
	cr_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(rec, "stdio"), 1)),
			 "capture");
	json_decref(rec);
	mpdd_stop_all(&d);
}

Test(cli_process, logs_follow_prints_bytes_as_they_come)
{
	char params[64], *line, *argv[7];
	int fd, in[2], out[2], status;
	json_t *reply, *rec;
	long long id;
	pid_t pid;

	mpdd_start(&d, NULL);
	/* A worker that writes a line for each line this test feeds it
	 * (its stdin passed over a raw connection). */
	cr_assert(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0);
	fd = test_connect(d.socket);
	reply = test_call_fds(fd, "process.create",
			      json_pack("{s:s, s:[sss], s:s, s:s, s:s, s:b}",
					"name", "slow", "argv", "sh", "-c",
					"read x; echo $x; read y; echo $y",
					"stdin", "pass", "stdout", "capture",
					"stderr", "capture", "start", 1),
			      &in[0], 1);
	id = test_int(test_result(reply), "id");
	json_decref(reply);
	close(in[0]);
	argv[0] = test_built("client/cli/mpd-cli");
	argv[1] = "--socket";
	argv[2] = d.socket;
	argv[3] = "logs";
	argv[4] = "-f";
	argv[5] = "slow";
	argv[6] = NULL;
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		dup2(out[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	/* Each line shows up while the worker still runs. */
	cr_assert_eq(write(in[1], "first\n", 6), 6);
	line = test_read_line(out[0], TEST_TIMEOUT_MS);
	cr_assert_str_eq(line, "first");
	free(line);
	cr_assert_eq(write(in[1], "second\n", 7), 7);
	line = test_read_line(out[0], TEST_TIMEOUT_MS);
	cr_assert_str_eq(line, "second");
	free(line);
	close(in[1]);
	/* The stream ends with the worker: logs -f exits 0. */
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	test_forget(out[0]);
	close(out[0]);
	free(argv[0]);
	snprintf(params, sizeof(params), "{\"id\":%lld}", id);
	json_decref(test_call(fd, "process.join", test_json(params)));
	rec = record_of(id);
	cr_assert_eq(json_integer_value(json_object_get(rec, "exitcode")), 0);
	json_decref(rec);
	test_forget(fd);
	close(fd);
	mpdd_stop(&d);
}

Test(cli_process, logs_of_a_process_that_does_not_capture_exits_1)
{
	const char *logs[] = { "logs", "1", NULL };
	const char *nope[] = { "logs", "nope", NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	json_decref(rpc("process.create", "{\"argv\":[\"true\"]}"));
	cr_assert_eq(cli(&r, logs), 1, "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.err, "(invalid_state)"), "stderr: %s",
			   r.err);
	cr_assert_str_eq(r.out, "");
	test_run_free(&r);
	cr_assert_eq(cli(&r, nope), 4, "stderr: %s", r.err);
	test_run_free(&r);
	mpdd_stop(&d);
}

Test(cli_process, spawn_stdin_reads_a_file)
{
	char in[PATH_MAX], out[PATH_MAX], buf[64];
	const char *spawn[] = { "spawn",    "--name", "c",  "--stdin", in,
				"--stdout", out,      "--", "cat",     NULL };
	const char *join[] = { "join", "c", NULL };
	struct run_result r;
	FILE *f;
	size_t n;

	mpdd_start(&d, NULL);
	snprintf(in, sizeof(in), "%s/in.txt", d.dir);
	snprintf(out, sizeof(out), "%s/out.txt", d.dir);
	f = fopen(in, "w");
	cr_assert_not_null(f);
	fputs("from a file\n", f);
	fclose(f);
	cr_assert_eq(cli(&r, spawn), 0, "stderr: %s", r.err);
	test_run_free(&r);
	cr_assert_eq(cli(&r, join), 0, "stderr: %s", r.err);
	test_run_free(&r);
	f = fopen(out, "r");
	cr_assert_not_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	cr_assert_str_eq(buf, "from a file\n");
	mpdd_stop_all(&d);
}

Test(cli_process, spawn_failure_exits_1_and_leaves_no_record)
{
	const char *args[] = { "spawn", "--", "/nonexistent/program", NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli(&r, args), 1, "stderr: %s", r.err);
	assert_one_line(r.err, "mpd-cli: spawn: ");
	cr_assert_not_null(strstr(r.err, " (spawn_failed, stage exec)\n"),
			   "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "");
	test_run_free(&r);
	assert_no_records();
	mpdd_stop_all(&d);
}

Test(cli_process, spawn_existing_name_exits_1_naming_exists)
{
	const char *args[] = { "spawn", "--name", "dup", "--",
			       "sleep", "100",	  NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli(&r, args), 0, "stderr: %s", r.err);
	test_run_free(&r);
	cr_assert_eq(cli(&r, args), 1, "stderr: %s", r.err);
	assert_one_line(r.err, "mpd-cli: spawn: ");
	cr_assert_not_null(strstr(r.err, " (exists)\n"), "stderr: %s", r.err);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

/* The names in a JSON list of records, joined by spaces. */
static void names_of(const char *json, char *buf, size_t size)
{
	json_t *list = test_json(json), *rec;
	size_t i, len = 0;

	cr_assert(json_is_array(list), "not a list: %s", json);
	buf[0] = '\0';
	json_array_foreach (list, i, rec) {
		len += (size_t)snprintf(
			buf + len, size - len, "%s%s", i > 0 ? " " : "",
			json_string_value(json_object_get(rec, "name")));
		cr_assert_lt(len, size);
	}
	json_decref(list);
}

Test(cli_process, ps_json_prints_the_list_and_filters_apply)
{
	const char *ps[] = { "--json", "ps", NULL };
	const char *ps_state[] = { "ps", "--json", "--state", "exited", NULL };
	const char *ps_name[] = { "ps", "--json", "--name", "web-", NULL };
	const char *ps_parent[] = { "ps", "--json", "--parent", "999", NULL };
	const char *ps_failed[] = { "ps", "--state", "failed", NULL };
	const char *ps_bad[] = { "ps", "--state", "sleepy", NULL };
	struct run_result r;
	char names[256];
	json_t *rec;

	mpdd_start(&d, NULL);
	raw_spawn("{\"name\":\"web-1\",\"argv\":[\"sleep\",\"100\"],"
		  "\"start\":true}");
	raw_spawn("{\"name\":\"db\",\"argv\":[\"sleep\",\"100\"],"
		  "\"start\":true}");
	raw_spawn("{\"name\":\"web-2\",\"argv\":[\"sleep\",\"0\"],"
		  "\"start\":true}");
	rec = rpc("process.join", "{\"name\":\"web-2\"}");
	cr_assert_eq(json_integer_value(json_object_get(rec, "exitcode")), 0);
	json_decref(rec);

	cr_assert_eq(cli(&r, ps), 0, "stderr: %s", r.err);
	names_of(r.out, names, sizeof(names));
	cr_assert_str_eq(names, "web-1 db web-2");
	test_run_free(&r);
	cr_assert_eq(cli(&r, ps_state), 0, "stderr: %s", r.err);
	names_of(r.out, names, sizeof(names));
	cr_assert_str_eq(names, "web-2");
	test_run_free(&r);
	cr_assert_eq(cli(&r, ps_name), 0, "stderr: %s", r.err);
	names_of(r.out, names, sizeof(names));
	cr_assert_str_eq(names, "web-1 web-2");
	test_run_free(&r);
	cr_assert_eq(cli(&r, ps_parent), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "[]\n");
	test_run_free(&r);
	/* No rows: the header alone. */
	cr_assert_eq(cli(&r, ps_failed), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out,
			 "ID  NAME  PID  STATE  EXITCODE  AGE  COMMAND\n");
	test_run_free(&r);
	/* The daemon validates the state. */
	cr_assert_eq(cli(&r, ps_bad), 1, "stderr: %s", r.err);
	assert_one_line(r.err, "mpd-cli: ps: ");
	cr_assert_not_null(strstr(r.err, "(invalid_params)\n"), "stderr: %s",
			   r.err);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_process, ps_shows_exit_codes_and_function_targets)
{
	const char *module = getenv("MPD_TEST_MODULE");
	const char *ps[] = { "ps", "--wide", NULL };
	struct run_result r;
	char params[PATH_MAX + 128], expect[PATH_MAX + 64];
	json_t *rec;

	cr_assert_not_null(module, "MPD_TEST_MODULE is not set");
	mpdd_start(&d, NULL);
	snprintf(params, sizeof(params),
		 "{\"name\":\"fn\",\"module\":\"%s\",\"function\":"
		 "\"exit_with\",\"args\":3,\"start\":true}",
		 module);
	raw_spawn(params);
	rec = rpc("process.join", "{\"name\":\"fn\"}");
	json_decref(rec);
	cr_assert_eq(cli(&r, ps), 0, "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.out, "  exited  3         "), "stdout: %s",
			   r.out);
	snprintf(expect, sizeof(expect), "s   %s:exit_with\n", module);
	cr_assert_not_null(strstr(r.out, expect), "stdout: %s", r.out);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

/*
 * ps fits 80 columns when stdout is not a terminal, cutting the command
 * (then the name) with a "~"; it quotes arguments as a shell would; --wide
 * prints everything.
 */
Test(cli_process, ps_fits_80_columns_and_quotes_as_a_shell)
{
	const char *ps[] = { "ps", NULL };
	const char *wide[] = { "ps", "--wide", NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	raw_spawn("{\"name\":\"q\",\"argv\":[\"sh\",\"-c\",\"exit 2\",\"\","
		  "\"it's\"],\"start\":true}");
	raw_spawn(
		"{\"name\":\"a-rather-long-name-for-a-process-that-goes-"
		"on\",\"argv\":[\"sh\",\"-c\",\"sleep 100\",\"x\",\"xxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"],"
		"\"start\":true}");
	json_decref(rpc("process.join", "{\"name\":\"q\"}"));
	cr_assert_eq(cli(&r, ps), 0, "stderr: %s", r.err);
	test_assert_columns(r.out, 80);
	/* The name is cut where the line needs it, ending in "~". */
	cr_assert_not_null(strstr(r.out, "  a-rather-long-name-for-a-"),
			   "stdout: %s", r.out);
	cr_assert_null(strstr(r.out, "that-goes-on"), "stdout: %s", r.out);
	cr_assert_not_null(strstr(r.out, "~  "), "stdout: %s", r.out);
	cr_assert_not_null(strstr(r.out, "  sh -c 'exit~\n"), "stdout: %s",
			   r.out);
	test_run_free(&r);
	cr_assert_eq(cli(&r, wide), 0, "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.out, "  sh -c 'exit 2' '' 'it'\\''s'\n"),
			   "stdout: %s", r.out);
	cr_assert_not_null(strstr(r.out, "a-rather-long-name-for-a-process-"
					 "that-goes-on  "),
			   "stdout: %s", r.out);
	cr_assert_not_null(strstr(r.out, "  sh -c 'sleep 100' x xxxxxxxxxx"),
			   "stdout: %s", r.out);
	cr_assert_not_null(strstr(r.out, "xxxxxxxxxx\n"), "stdout: %s", r.out);
	cr_assert_null(strstr(r.out, "~"), "stdout: %s", r.out);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

/* Count the lines of s. */
static int count_lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/*
 * Twelve records of 900 KB each, more than --max-output holds at once:
 * ps still lists them all, following the daemon's pages.
 */
Test(cli_process, ps_lists_every_record_of_900_kb)
{
	const char *extra[] = { "--max-output", "64K", NULL };
	const char *ps[] = { "ps", NULL };
	const char *ps_json[] = { "--json", "ps", NULL };
	struct run_result r;
	json_t *argv, *list, *rec;
	char *params;
	size_t i;

	mpdd_start(&d, extra);
	argv = json_pack("[s]", "true");
	for (int j = 0; j < 9; j++) {
		char *arg = malloc(100 * 1000 + 1);

		cr_assert_not_null(arg);
		memset(arg, 'b' + j, 100 * 1000);
		arg[100 * 1000] = '\0';
		json_array_append_new(argv, json_string(arg));
		free(arg);
	}
	params = json_dumps(argv, JSON_COMPACT);
	json_decref(argv);
	cr_assert_not_null(params);
	{
		char *p;

		cr_assert(asprintf(&p, "{\"argv\":%s}", params) > 0);
		free(params);
		params = p;
	}
	for (int k = 0; k < 12; k++)
		json_decref(rpc("process.create", params));
	free(params);

	cr_assert_eq(cli(&r, ps), 0, "stderr: %s", r.err);
	cr_assert_eq(count_lines(r.out), 13, "stdout: %.2000s", r.out);
	cr_assert_not_null(strstr(r.out, "  true bbbb"), "stdout: %.2000s",
			   r.out);
	test_run_free(&r);
	cr_assert_eq(cli(&r, ps_json), 0, "stderr: %s", r.err);
	list = test_json(r.out);
	cr_assert_eq(json_array_size(list), 12);
	json_array_foreach (list, i, rec)
		cr_assert_eq(json_integer_value(json_object_get(rec, "id")),
			     (json_int_t)i + 1);
	json_decref(list);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_process, info_prints_key_value_lines_by_id_and_by_name)
{
	const char *info_name[] = { "info", "inf", NULL };
	const char *info_json[] = { "--json", "info", "1", NULL };
	struct run_result r;
	json_t *rec;

	mpdd_start(&d, NULL);
	cr_assert_eq(raw_spawn("{\"name\":\"inf\",\"argv\":[\"sleep\","
			       "\"100\"],\"env\":{\"K\":\"v\"},\"cwd\":"
			       "\"/tmp\",\"start\":true}"),
		     1);
	cr_assert_eq(cli(&r, info_name), 0, "stderr: %s", r.err);
	cr_assert_eq(strncmp(r.out, "id: 1\n", 6), 0, "stdout: %s", r.out);
	cr_assert_not_null(strstr(r.out, "\nname: inf\n"), "stdout: %s", r.out);
	cr_assert_not_null(strstr(r.out, "\nstate: running\n"), "stdout: %s",
			   r.out);
	cr_assert_not_null(strstr(r.out,
				  "\ntarget.argv: [\"sleep\",\"100\"]\n"),
			   "stdout: %s", r.out);
	cr_assert_not_null(strstr(r.out, "\nenv.K: v\n"), "stdout: %s", r.out);
	cr_assert_not_null(strstr(r.out, "\ncwd: /tmp\n"), "stdout: %s", r.out);
	cr_assert_not_null(strstr(r.out, "\nexitcode: null\n"), "stdout: %s",
			   r.out);
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);

	cr_assert_eq(cli(&r, info_json), 0, "stderr: %s", r.err);
	rec = test_json(r.out);
	cr_assert_str_eq(json_string_value(json_object_get(rec, "name")),
			 "inf");
	cr_assert_str_eq(json_string_value(json_object_get(rec, "cwd")),
			 "/tmp");
	json_decref(rec);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

/* Every command that names a process: not_found is status 1, one line. */
struct not_found_case {
	char args[4][16];
	char prefix[32];
};

ParameterizedTestParameters(cli_process, unknown_process_exits_4_not_found)
{
	static struct not_found_case cases[] = {
		{ { "info", "42" }, "mpd-cli: info: " },
		{ { "info", "nobody" }, "mpd-cli: info: " },
		{ { "join", "42" }, "mpd-cli: join: " },
		{ { "join", "nobody", "--timeout", "1" }, "mpd-cli: join: " },
		{ { "wait", "42" }, "mpd-cli: wait: " },
		{ { "wait", "nobody", "--all" }, "mpd-cli: wait: " },
		{ { "terminate", "42" }, "mpd-cli: terminate: " },
		{ { "kill", "nobody" }, "mpd-cli: kill: " },
		{ { "signal", "42", "USR1" }, "mpd-cli: signal: " },
		{ { "close", "nobody" }, "mpd-cli: close: " },
	};

	return cr_make_param_array(struct not_found_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct not_found_case *tc, cli_process,
		  unknown_process_exits_4_not_found)
{
	const char *args[6];
	struct run_result r;

	test_case_args(args, tc->args[0], 4, 16);
	mpdd_start(&d, NULL);
	cr_assert_eq(cli(&r, args), 4, "stderr: %s", r.err);
	assert_one_line(r.err, tc->prefix);
	cr_assert_not_null(strstr(r.err, " (not_found)\n"), "stderr: %s",
			   r.err);
	cr_assert_str_eq(r.out, "");
	test_run_free(&r);
	test_assert_ping(d.socket);
	mpdd_stop_all(&d);
}

Test(cli_process, join_timeout_on_a_running_process_exits_5)
{
	const char *join[] = { "join", "slow", "--timeout", "0.1", NULL };
	const char *join_json[] = { "-j", "join", "1", "--timeout", "0", NULL };
	struct run_result r;
	json_t *rec;

	mpdd_start(&d, NULL);
	raw_spawn("{\"name\":\"slow\",\"argv\":[\"sleep\",\"100\"],"
		  "\"start\":true}");
	cr_assert_eq(cli(&r, join), 5, "stderr: %s", r.err);
	cr_assert_eq(strncmp(r.out, "slow (id 1): running, pid ", 26), 0,
		     "stdout: %s", r.out);
	cr_assert_str_eq(r.err,
			 "mpd-cli: join: slow is still running after 0.1 s\n");
	test_run_free(&r);
	cr_assert_eq(cli(&r, join_json), 5, "stderr: %s", r.err);
	rec = test_json(r.out);
	cr_assert(json_is_null(json_object_get(rec, "exitcode")));
	json_decref(rec);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

/* wait: any or all, exit 0 when the wait ended as asked, 5 when the
 * timeout passed first; the records of the ended, then the pending ids. */
Test(cli_process, wait_any_or_all_exits_0_when_met_and_5_on_timeout)
{
	const char *any[] = { "wait", "slow", "quick", NULL };
	const char *all_t[] = { "wait",	 "--all", "--timeout", "0.1",
				"quick", "slow",  NULL };
	const char *poll[] = { "wait", "slow", "--timeout", "0", NULL };
	const char *all_json[] = { "-j", "wait", "--all", "--timeout",
				   "0",	 "1",	 "2",	  NULL };
	const char *all[] = { "wait", "--all", "1", "slow", "1", NULL };
	const char *parked[] = { "wait", "--all", "a", "b", NULL };
	struct run_result r;
	json_t *res;

	mpdd_start(&d, NULL);
	raw_spawn("{\"name\":\"quick\",\"argv\":[\"sh\",\"-c\",\"exit 6\"],"
		  "\"start\":true}");
	raw_spawn("{\"name\":\"slow\",\"argv\":[\"sleep\",\"100\"],"
		  "\"start\":true}");
	json_decref(rpc("process.join", "{\"id\":1}"));

	cr_assert_eq(cli(&r, any), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "quick (id 1): exited, exitcode 6\n"
				"pending: 2\n");
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);

	cr_assert_eq(cli(&r, all_t), 5, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "quick (id 1): exited, exitcode 6\n"
				"pending: 2\n");
	cr_assert_str_eq(r.err, "mpd-cli: wait: 1 of 2 processes still "
				"running after 0.1 s\n");
	test_run_free(&r);

	cr_assert_eq(cli(&r, poll), 5, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "pending: 2\n");
	test_run_free(&r);

	cr_assert_eq(cli(&r, all_json), 5, "stderr: %s", r.err);
	res = test_json(r.out);
	cr_assert_eq(json_array_size(json_object_get(res, "done")), 1);
	cr_assert_eq(json_integer_value(json_array_get(
			     json_object_get(res, "pending"), 0)),
		     2);
	json_decref(res);
	test_run_free(&r);

	json_decref(rpc("process.kill", "{\"id\":2}"));
	cr_assert_eq(cli(&r, all), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "quick (id 1): exited, exitcode 6\n"
				"slow (id 2): exited, exitcode -9 (SIGKILL)\n");
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);

	/* A wait that parks until both end on their own. */
	raw_spawn("{\"name\":\"a\",\"argv\":[\"sh\",\"-c\",\"sleep 0.2; "
		  "exit 1\"],\"start\":true}");
	raw_spawn("{\"name\":\"b\",\"argv\":[\"sh\",\"-c\",\"sleep 0.3; "
		  "exit 2\"],\"start\":true}");
	cr_assert_eq(cli(&r, parked), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "a (id 3): exited, exitcode 1\n"
				"b (id 4): exited, exitcode 2\n");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

/* Read all of the file at path (a new string). */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	cr_assert(f != NULL && buf != NULL, "%s: %s", path, strerror(errno));
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A wait --all without --timeout answered early, because a record it
 * watched was closed meanwhile, exits 5 and says so. */
Test(cli_process, wait_all_answered_by_a_close_exits_5)
{
	const char *args[] = { "wait", "--all", "quick", "slow", NULL };
	const char *argv[TEST_CLI_ARGV_SIZE];
	char *bin = test_built("client/cli/mpd-cli"), *log, *out, *err;
	char out_path[PATH_MAX + 16], err_path[PATH_MAX + 16];
	int status, fd;
	pid_t pid;

	mpdd_start(&d, NULL);
	raw_spawn("{\"name\":\"quick\",\"argv\":[\"sh\",\"-c\",\"exit 6\"],"
		  "\"start\":true}");
	raw_spawn("{\"name\":\"slow\",\"argv\":[\"sleep\",\"100\"],"
		  "\"start\":true}");
	json_decref(rpc("process.join", "{\"id\":1}"));
	snprintf(out_path, sizeof(out_path), "%s/wait.out", d.dir);
	snprintf(err_path, sizeof(err_path), "%s/wait.err", d.dir);
	test_cli_argv(argv, bin, d.socket, args);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		execv(bin, (char *const *)argv);
		_exit(126);
	}
	free(bin);
	/* The daemon logs a call before it runs it, and runs the next
	 * request only after: once the wait is in the log, it is parked by
	 * the time the close comes. */
	for (;;) {
		log = mpdd_log(&d);
		if (strstr(log, ": process.wait\n") != NULL)
			break;
		free(log);
		cr_assert_eq(waitpid(pid, &status, WNOHANG), 0,
			     "mpd-cli wait ended before its wait was seen");
		usleep(2000);
	}
	free(log);
	json_decref(rpc("process.close", "{\"id\":1}"));
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	out = slurp(out_path);
	err = slurp(err_path);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 5,
		  "status 0x%x, stderr: %s", status, err);
	cr_assert_str_eq(out, "quick (id 1): exited, exitcode 6\n"
			      "pending: 2\n");
	cr_assert_str_eq(err, "mpd-cli: wait: 1 of 2 processes still "
			      "running (an ended one was closed meanwhile)\n");
	free(out);
	free(err);
	mpdd_stop_all(&d);
}

Test(cli_process, join_an_ended_process_prints_its_state_and_exits_0)
{
	const char *join[] = { "join", "quick", NULL };
	const char *join_t[] = { "join", "--timeout", "10", "1", NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	raw_spawn("{\"name\":\"quick\",\"argv\":[\"sh\",\"-c\",\"exit 6\"],"
		  "\"start\":true}");
	cr_assert_eq(cli(&r, join), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "quick (id 1): exited, exitcode 6\n");
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);
	cr_assert_eq(cli(&r, join_t), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "quick (id 1): exited, exitcode 6\n");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

/* terminate, kill and signal end a sleeping process with their signal. */
struct signal_case {
	char args[4][16];
	char line[96]; /* what join prints afterwards */
};

ParameterizedTestParameters(cli_process, signalling_commands_end_the_process)
{
	static struct signal_case cases[] = {
		{ { "terminate", "s" },
		  "s (id 1): exited, exitcode -15 (SIGTERM)\n" },
		{ { "kill", "1" },
		  "s (id 1): exited, exitcode -9 (SIGKILL)\n" },
		{ { "signal", "s", "USR1" },
		  "s (id 1): exited, exitcode -10 (SIGUSR1)\n" },
		{ { "signal", "1", "SIGUSR2" },
		  "s (id 1): exited, exitcode -12 (SIGUSR2)\n" },
		{ { "signal", "s", "2" },
		  "s (id 1): exited, exitcode -2 (SIGINT)\n" },
		{ { "terminate", "--no-group", "s" },
		  "s (id 1): exited, exitcode -15 (SIGTERM)\n" },
		{ { "signal", "s", "HUP", "--no-group" },
		  "s (id 1): exited, exitcode -1 (SIGHUP)\n" },
	};

	return cr_make_param_array(struct signal_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct signal_case *tc, cli_process,
		  signalling_commands_end_the_process)
{
	const char *join[] = { "join", "s", "--timeout", "15", NULL };
	const char *args[6];
	struct run_result r;

	test_case_args(args, tc->args[0], 4, 16);
	mpdd_start(&d, NULL);
	raw_spawn("{\"name\":\"s\",\"argv\":[\"sleep\",\"100\"],"
		  "\"start\":true}");
	cr_assert_eq(cli(&r, args), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "");
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);
	cr_assert_eq(cli(&r, join), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, tc->line);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

/* The state of process id, from a raw connection. */
static const char *state_of(long long id, char *buf, size_t size)
{
	json_t *rec = record_of(id);

	snprintf(buf, size, "%s",
		 json_string_value(json_object_get(rec, "state")));
	json_decref(rec);
	return buf;
}

/* Wait (on joins, not sleeps) until process id has ended. */
static void joined(long long id)
{
	char params[64];

	snprintf(params, sizeof(params), "{\"id\":%lld}", id);
	json_decref(rpc("process.join", params));
}

/*
 * terminate --prefix, terminate --all and close --exited act on every
 * process they select, as supervisorctl stop all does, and say what they
 * did to each.
 */
Test(cli_process, bulk_terminate_and_close_select_by_prefix_and_state)
{
	const char *by_prefix[] = { "terminate", "--prefix", "web-", NULL };
	const char *all[] = { "--json", "kill", "--all", NULL };
	const char *close_web[] = { "close", "--prefix", "web-", NULL };
	const char *close_all[] = { "close", "--exited", NULL };
	const char *both[] = { "terminate", "db", "--all", NULL };
	const char *none[] = { "terminate", NULL };
	long long w1, w2, db;
	struct run_result r;
	char st[32], expect[128];
	json_t *arr;

	mpdd_start(&d, NULL);
	w1 = raw_spawn("{\"name\":\"web-1\",\"argv\":[\"sleep\",\"100\"],"
		       "\"start\":true}");
	w2 = raw_spawn("{\"name\":\"web-2\",\"argv\":[\"sleep\",\"100\"],"
		       "\"start\":true}");
	db = raw_spawn("{\"name\":\"db\",\"argv\":[\"sleep\",\"100\"],"
		       "\"start\":true}");

	cr_assert_eq(cli(&r, both), 2);
	cr_assert_str_eq(r.err, "mpd-cli: terminate: give ID|NAME or "
				"--all/--prefix, not both. Try 'mpd-cli "
				"terminate --help'.\n");
	test_run_free(&r);
	cr_assert_eq(cli(&r, none), 2);
	test_run_free(&r);

	cr_assert_eq(cli(&r, by_prefix), 0, "stderr: %s", r.err);
	snprintf(expect, sizeof(expect),
		 "web-1 (id %lld): terminated\nweb-2 (id %lld): terminated\n",
		 w1, w2);
	cr_assert_str_eq(r.out, expect);
	test_run_free(&r);
	joined(w1);
	joined(w2);
	cr_assert_str_eq(state_of(db, st, sizeof(st)), "running");

	/* Ended records are closed by prefix; db is running: not touched. */
	cr_assert_eq(cli(&r, close_web), 0, "stderr: %s", r.err);
	snprintf(expect, sizeof(expect),
		 "web-1 (id %lld): closed\nweb-2 (id %lld): closed\n", w1, w2);
	cr_assert_str_eq(r.out, expect);
	test_run_free(&r);

	cr_assert_eq(cli(&r, all), 0, "stderr: %s", r.err);
	arr = test_json(r.out);
	cr_assert_eq(json_array_size(arr), 1, "stdout: %s", r.out);
	cr_assert_eq(json_integer_value(
			     json_object_get(json_array_get(arr, 0), "id")),
		     db);
	json_decref(arr);
	test_run_free(&r);
	joined(db);
	cr_assert_eq(cli(&r, close_all), 0, "stderr: %s", r.err);
	snprintf(expect, sizeof(expect), "db (id %lld): closed\n", db);
	cr_assert_str_eq(r.out, expect);
	test_run_free(&r);
	assert_no_records();
	/* Nothing selected is no error. */
	cr_assert_eq(cli(&r, close_all), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_process, signal_json_prints_the_record)
{
	const char *args[] = { "--json", "kill", "s", NULL };
	struct run_result r;
	json_t *rec;

	mpdd_start(&d, NULL);
	raw_spawn("{\"name\":\"s\",\"argv\":[\"sleep\",\"100\"],"
		  "\"start\":true}");
	cr_assert_eq(cli(&r, args), 0, "stderr: %s", r.err);
	rec = test_json(r.out);
	cr_assert_str_eq(json_string_value(json_object_get(rec, "name")), "s");
	json_decref(rec);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_process, signal_unknown_name_exits_1_naming_invalid_params)
{
	const char *args[] = { "signal", "s", "SIGNOPE", NULL };
	const char *zero[] = { "signal", "s", "0", NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	raw_spawn("{\"name\":\"s\",\"argv\":[\"sleep\",\"100\"],"
		  "\"start\":true}");
	cr_assert_eq(cli(&r, args), 1, "stderr: %s", r.err);
	assert_one_line(r.err, "mpd-cli: signal: ");
	cr_assert_not_null(strstr(r.err, " (invalid_params)\n"), "stderr: %s",
			   r.err);
	test_run_free(&r);
	cr_assert_eq(cli(&r, zero), 1, "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.err, " (invalid_params)\n"), "stderr: %s",
			   r.err);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

/*
 * The worker forks a grandchild in its process group and writes the
 * grandchild's pid to a FIFO. kill reaches both; kill --no-group only the
 * worker.
 */
static void group_case(bool group)
{
	const char *module = getenv("MPD_TEST_MODULE");
	char fifo[PATH_MAX];
	const char *spawn[] = { "spawn",    "--name",	  "g",
				"--stdout", fifo,	  "--module",
				module,	    "--function", "spawn_grandchild",
				NULL };
	const char *kill_g[] = { "kill", "g", group ? NULL : "--no-group",
				 NULL };
	const char *join[] = { "join", "g", NULL };
	struct run_result r;
	char *line;
	pid_t gpid;
	int fd;

	cr_assert_not_null(module, "MPD_TEST_MODULE is not set");
	mpdd_start(&d, NULL);
	fd = make_fifo(fifo, sizeof(fifo), "out");
	cr_assert_eq(cli(&r, spawn), 0, "stderr: %s", r.err);
	test_run_free(&r);
	line = read_pipe_line(fd, TEST_TIMEOUT_MS);
	gpid = (pid_t)atoi(line);
	free(line);
	cr_assert_gt(gpid, 0);
	cr_assert(alive(gpid));

	cr_assert_eq(cli(&r, kill_g), 0, "stderr: %s", r.err);
	test_run_free(&r);
	cr_assert_eq(cli(&r, join), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "g (id 1): exited, exitcode -9 (SIGKILL)\n");
	test_run_free(&r);
	if (group) {
		cr_assert(wait_gone(gpid, TEST_TIMEOUT_MS),
			  "the grandchild survived");
	} else {
		cr_assert(alive(gpid), "--no-group reached the grandchild");
		kill(gpid, SIGKILL);
	}
	close(fd);
	mpdd_stop_all(&d);
}

Test(cli_process, kill_reaches_the_process_group)
{
	group_case(true);
}

Test(cli_process, kill_no_group_reaches_the_process_alone)
{
	group_case(false);
}

Test(cli_process, close_refuses_a_running_process_and_forgets_an_ended_one)
{
	const char *close_c[] = { "close", "c", NULL };
	const char *kill_c[] = { "kill", "c", NULL };
	const char *join_c[] = { "join", "c", NULL };
	const char *info_c[] = { "info", "c", NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	raw_spawn("{\"name\":\"c\",\"argv\":[\"sleep\",\"100\"],"
		  "\"start\":true}");
	cr_assert_eq(cli(&r, close_c), 1, "stderr: %s", r.err);
	assert_one_line(r.err, "mpd-cli: close: ");
	cr_assert_not_null(strstr(r.err, " (invalid_state)\n"), "stderr: %s",
			   r.err);
	test_run_free(&r);
	cr_assert_eq(cli(&r, kill_c), 0, "stderr: %s", r.err);
	test_run_free(&r);
	cr_assert_eq(cli(&r, join_c), 0, "stderr: %s", r.err);
	test_run_free(&r);
	cr_assert_eq(cli(&r, close_c), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "");
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);
	assert_no_records();
	cr_assert_eq(cli(&r, info_c), 4, "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.err, " (not_found)\n"), "stderr: %s",
			   r.err);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

/* Every process command needs the daemon: status 3, the socket named. */
ParameterizedTestParameters(cli_process, no_daemon_exits_3_naming_the_socket)
{
	static struct test_unreachable_case cases[] = {
		{ { "run", "--", "true" } },
		{ { "spawn", "true" } },
		{ { "ps" } },
		{ { "info", "1" } },
		{ { "join", "x", "--timeout", "1" } },
		{ { "wait", "1", "2", "--all" } },
		{ { "terminate", "1" } },
		{ { "kill", "x" } },
		{ { "signal", "1", "USR1" } },
		{ { "close", "1" } },
	};

	return cr_make_param_array(struct test_unreachable_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct test_unreachable_case *tc, cli_process,
		  no_daemon_exits_3_naming_the_socket)
{
	test_unreachable_run(&d, tc, NULL, NULL);
}

/* --help at every level: usage on stdout, status 0, nothing on stderr. */
ParameterizedTestParameters(cli_process, help_at_every_level_exits_0)
{
	static struct test_help_case cases[] = {
		{ { "run", "--help" },
		  "Usage: mpd-cli [OPTIONS] run [OPTIONS] CMD [ARG...]\n",
		  "\n      --timeout S " },
		{ { "run", "-h" },
		  "Usage: mpd-cli [OPTIONS] run [OPTIONS] CMD [ARG...]\n",
		  "\n      --env K=V " },
		{ { "run", "--name", "x", "--help" },
		  "Usage: mpd-cli [OPTIONS] run [OPTIONS] CMD [ARG...]\n",
		  "\n      --module PATH " },
		{ { "help", "run" },
		  "Usage: mpd-cli [OPTIONS] run [OPTIONS] CMD [ARG...]\n",
		  "\n      --function NAME " },
		{ { "spawn", "--help" },
		  "Usage: mpd-cli [OPTIONS] spawn [OPTIONS] CMD [ARG...]\n",
		  "\n      --stdout FILE " },
		{ { "help", "spawn" },
		  "Usage: mpd-cli [OPTIONS] spawn [OPTIONS] CMD [ARG...]\n",
		  "\n      --append " },
		{ { "spawn", "--help" },
		  "Usage: mpd-cli [OPTIONS] spawn [OPTIONS] CMD [ARG...]\n",
		  "\n      --capture " },
		{ { "logs", "--help" },
		  "Usage: mpd-cli [OPTIONS] logs ID|NAME [-f] [--tail N]\n",
		  "\n  -f, --follow " },
		{ { "logs", "x", "-h" },
		  "Usage: mpd-cli [OPTIONS] logs ID|NAME [-f] [--tail N]\n",
		  "" },
		{ { "ps", "--help" },
		  "Usage: mpd-cli [OPTIONS] ps [OPTIONS]\n",
		  "\n      --state S " },
		{ { "info", "--help" },
		  "Usage: mpd-cli [OPTIONS] info ID|NAME\n",
		  "" },
		{ { "info", "x", "--help" },
		  "Usage: mpd-cli [OPTIONS] info ID|NAME\n",
		  "" },
		{ { "join", "--help" },
		  "Usage: mpd-cli [OPTIONS] join ID|NAME [--timeout S]\n",
		  "\n      --timeout S " },
		{ { "wait", "--help" },
		  "Usage: mpd-cli [OPTIONS] wait ID|NAME... [OPTIONS]\n",
		  "\n      --all " },
		{ { "help", "wait" },
		  "Usage: mpd-cli [OPTIONS] wait ID|NAME... [OPTIONS]\n",
		  "\n      --timeout S " },
		{ { "terminate", "--help" },
		  "Usage: mpd-cli [OPTIONS] terminate ID|NAME [--no-group]\n",
		  "\n      --no-group " },
		{ { "kill", "--help" },
		  "Usage: mpd-cli [OPTIONS] kill ID|NAME [--no-group]\n",
		  "\n      --no-group " },
		{ { "signal", "--help" },
		  "Usage: mpd-cli [OPTIONS] signal ID|NAME SIG [--no-group]\n",
		  "\n      --no-group " },
		{ { "help", "signal" },
		  "Usage: mpd-cli [OPTIONS] signal ID|NAME SIG [--no-group]\n",
		  "" },
		{ { "close", "--help" },
		  "Usage: mpd-cli [OPTIONS] close ID|NAME\n",
		  "" },
	};

	return cr_make_param_array(struct test_help_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct test_help_case *tc, cli_process,
		  help_at_every_level_exits_0)
{
	test_help_run(&d, tc, NULL, 0);
}

Test(cli_process, top_help_lists_the_process_commands)
{
	static const char *const lines[] = {
		"\n  run [OPTIONS] CMD [ARG...] ",
		"\n  spawn [OPTIONS] CMD [ARG...] ",
		"\n  ps [OPTIONS] ",
		"\n  info ID|NAME ",
		"\n  logs ID|NAME [-f] [--tail N] ",
		"\n  join ID|NAME [--timeout S] ",
		"\n  wait ID|NAME... [OPTIONS] ",
		"\n  terminate ID|NAME [--no-group] ",
		"\n  kill ID|NAME [--no-group] ",
		"\n  signal ID|NAME SIG [--no-group] ",
		"\n  close ID|NAME ",
		"124 when its --timeout passed, 127 when it\ncould not be started.\n",
	};
	const char *args[] = { "help", NULL };
	struct run_result r;

	mpdd_init(&d);
	cr_assert_eq(cli(&r, args), 0, "stderr: %s", r.err);
	test_assert_has_all(r.out, lines, sizeof(lines) / sizeof(lines[0]));
	test_assert_columns(r.out, 80);
	test_run_free(&r);
}

/* Usage errors: status 2, one line naming the help to read. */
ParameterizedTestParameters(cli_process, usage_errors_exit_2_with_one_line)
{
	static struct test_usage_case cases[] = {
		{ { "run" },
		  "mpd-cli: run: missing CMD (or --module and --function). "
		  "Try 'mpd-cli run --help'.\n" },
		{ { "run", "--module", "m.so" },
		  "mpd-cli: run: --module and --function go together. Try "
		  "'mpd-cli run --help'.\n" },
		{ { "run", "--module", "m", "--function", "f", "ls" },
		  "mpd-cli: run: give CMD or --module and --function, not "
		  "both. Try 'mpd-cli run --help'.\n" },
		{ { "run", "--args", "1", "ls" },
		  "mpd-cli: run: --args needs --function. Try 'mpd-cli run "
		  "--help'.\n" },
		{ { "run", "--module", "m", "--function", "f", "--args", "{" },
		  "mpd-cli: run: --args is not valid JSON: string or '}' "
		  "expected near end of file at position 1. Try 'mpd-cli run "
		  "--help'.\n" },
		{ { "run", "--timeout", "-1", "ls" },
		  "mpd-cli: run: --timeout takes a number of seconds >= 0, not "
		  "'-1'. Try 'mpd-cli run --help'.\n" },
		{ { "run", "--timeout", "soon", "ls" },
		  "mpd-cli: run: --timeout takes a number of seconds >= 0, not "
		  "'soon'. Try 'mpd-cli run --help'.\n" },
		{ { "run", "--env", "NOEQ", "ls" },
		  "mpd-cli: run: --env takes K=V, not 'NOEQ'. Try 'mpd-cli run "
		  "--help'.\n" },
		{ { "run", "--name", "a", "--name", "b", "ls" },
		  "mpd-cli: option '--name' given twice. Try 'mpd-cli run "
		  "--help'.\n" },
		{ { "spawn", "--daemon=yes", "ls" },
		  "mpd-cli: option '--daemon' takes no argument. Try 'mpd-cli "
		  "spawn --help'.\n" },
		{ { "run", "--daemon", "ls" },
		  "mpd-cli: unknown option '--daemon'. Try 'mpd-cli run "
		  "--help'.\n" },
		{ { "run", "--bogus", "ls" },
		  "mpd-cli: unknown option '--bogus'. Try 'mpd-cli run "
		  "--help'.\n" },
		{ { "run", "--timeout" },
		  "mpd-cli: option '--timeout' needs an argument. Try 'mpd-cli "
		  "run --help'.\n" },
		{ { "spawn", "--append", "ls" },
		  "mpd-cli: spawn: --append needs --stdout or --stderr. Try "
		  "'mpd-cli spawn --help'.\n" },
		{ { "spawn", "--timeout", "1", "ls" },
		  "mpd-cli: unknown option '--timeout'. Try 'mpd-cli spawn "
		  "--help'.\n" },
		{ { "ps", "extra" },
		  "mpd-cli: ps: too many arguments. Try 'mpd-cli ps --help'.\n" },
		{ { "ps", "--parent", "web" },
		  "mpd-cli: ps: --parent takes a process id, not 'web'. Try "
		  "'mpd-cli ps --help'.\n" },
		{ { "info" },
		  "mpd-cli: info: missing arguments. Try 'mpd-cli info "
		  "--help'.\n" },
		{ { "logs", "-f" },
		  "mpd-cli: logs: missing arguments. Try 'mpd-cli logs "
		  "--help'.\n" },
		{ { "logs", "--tail", "-1", "1" },
		  "mpd-cli: logs: --tail -1 is out of range. Try 'mpd-cli logs "
		  "--help'.\n" },
		{ { "logs", "-x", "1" },
		  "mpd-cli: unknown option '-x'. Try 'mpd-cli logs "
		  "--help'.\n" },
		{ { "info", "1", "2" },
		  "mpd-cli: info: too many arguments. Try 'mpd-cli info "
		  "--help'.\n" },
		{ { "info", TEST_EMPTY_ARG },
		  "mpd-cli: info: ID|NAME is empty. Try 'mpd-cli info "
		  "--help'.\n" },
		{ { "info", "99999999999999999999" },
		  "mpd-cli: info: id 99999999999999999999 is out of range. Try "
		  "'mpd-cli info --help'.\n" },
		{ { "kill", "0" },
		  "mpd-cli: kill: id 0 is out of range. Try 'mpd-cli kill "
		  "--help'.\n" },
		{ { "join", "1", "--timeout", "x" },
		  "mpd-cli: join: --timeout takes a number of seconds >= 0, not "
		  "'x'. Try 'mpd-cli join --help'.\n" },
		{ { "wait", "--all" },
		  "mpd-cli: wait: missing arguments. Try 'mpd-cli wait "
		  "--help'.\n" },
		{ { "wait", "1", "--timeout", "-1" },
		  "mpd-cli: wait: --timeout takes a number of seconds >= 0, not "
		  "'-1'. Try 'mpd-cli wait --help'.\n" },
		{ { "wait", "1", "0" },
		  "mpd-cli: wait: id 0 is out of range. Try 'mpd-cli wait "
		  "--help'.\n" },
		{ { "wait", "1", "--all=yes" },
		  "mpd-cli: option '--all' takes no argument. Try 'mpd-cli "
		  "wait --help'.\n" },
		{ { "terminate" },
		  "mpd-cli: terminate: missing arguments. Try 'mpd-cli "
		  "terminate --help'.\n" },
		{ { "kill", "1", "--group" },
		  "mpd-cli: unknown option '--group'. Try 'mpd-cli kill "
		  "--help'.\n" },
		{ { "signal", "1" },
		  "mpd-cli: signal: missing arguments. Try 'mpd-cli signal "
		  "--help'.\n" },
		{ { "close", "--no-group", "1" },
		  "mpd-cli: unknown option '--no-group'. Try 'mpd-cli close "
		  "--help'.\n" },
	};

	return cr_make_param_array(struct test_usage_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct test_usage_case *tc, cli_process,
		  usage_errors_exit_2_with_one_line)
{
	test_usage_run(&d, tc, NULL);
}
