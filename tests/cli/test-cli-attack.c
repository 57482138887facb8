/*
 * test-cli-attack.c - mpd-cli's promises under hostile use: with --json,
 * every failure prints exactly one JSON error object on stdout; the bulk
 * forms (terminate --all, close --exited, --prefix) of a user who is not
 * root touch only that user's processes; a refusal of another user's
 * process by name tells nothing of it; lock run and semaphore run killed
 * while they wait or while CMD runs leave nothing held, CMD holds no
 * socket of theirs, and bad waits are refused before CMD runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static struct mpdd d;

static void teardown(void)
{
	mpdd_teardown(&d);
}

TestSuite(cli_attack, .fini = teardown, .timeout = 120);

/* Run mpd-cli against d with args (NULL-terminated). */
static int cli(struct run_result *r, const char *const *args)
{
	return test_cli(r, d.socket, args, NULL, NULL);
}

/* stdout of a failure with --json is one line: {"error": {...}} with
 * this name, and nothing else. */
static void assert_one_error(const struct run_result *r, const char *name,
			     const char *what)
{
	const char *nl = strchr(r->out, '\n');
	json_t *o, *e;

	cr_assert(nl != NULL && nl[1] == '\0', "%s: stdout is not one line: %s",
		  what, r->out);
	o = test_json(r->out);
	cr_assert(json_is_object(o) && json_object_size(o) == 1, "%s: %s", what,
		  r->out);
	e = json_object_get(o, "error");
	cr_assert(json_is_object(e), "%s: %s", what, r->out);
	cr_assert(json_is_integer(json_object_get(e, "code")));
	cr_assert(json_is_string(json_object_get(e, "message")));
	cr_assert_str_eq(json_string_value(json_object_get(e, "name")), name,
			 "%s: %s", what, r->out);
	cr_assert_neq(r->err[0], '\0', "%s: nothing on stderr", what);
	json_decref(o);
}

/* A failing command: its args, its exit status, its error's name. */
struct fail_case {
	const char *args[8];
	int status;
	const char *name;
};

Test(cli_attack, every_failure_with_json_is_one_error_object)
{
	static const struct fail_case cases[] = {
		{ { "--json", "info", "999" }, 4, "not_found" },
		{ { "--json", "info", "no-such-name" }, 4, "not_found" },
		{ { "--json", "logs", "999" }, 4, "not_found" },
		{ { "--json", "logs", "sl" }, 1, "invalid_state" },
		{ { "--json", "logs", "sl", "-f" }, 1, "invalid_state" },
		{ { "--json", "close", "sl" }, 1, "invalid_state" },
		{ { "--json", "signal", "sl", "BOGUS" }, 1, "invalid_params" },
		{ { "--json", "join", "999" }, 4, "not_found" },
		{ { "--json", "kill", "999" }, 4, "not_found" },
		{ { "--json", "terminate", "no-such-name" }, 4, "not_found" },
		{ { "--json", "queue", "get", "nosuch" }, 4, "not_found" },
		{ { "--json", "queue", "get", "eq", "--timeout", "0.1" },
		  5,
		  "empty" },
		{ { "--json", "queue", "get", "cq" }, 6, "closed" },
		{ { "--json", "queue", "put", "cq", "1" }, 6, "closed" },
		{ { "--json", "queue", "create", "cq" }, 1, "exists" },
		{ { "--json", "value", "get", "nosuch" }, 4, "not_found" },
		{ { "--json", "array", "get", "nosuch" }, 4, "not_found" },
		{ { "--json", "rpc", "no.such" }, 1, "method_not_found" },
	};
	static const char *const setup[][7] = {
		{ "spawn", "--name", "sl", "--", "sleep", "1000" },
		{ "queue", "create", "eq" },
		{ "queue", "create", "cq" },
		{ "queue", "close", "cq" },
	};
	struct run_result r;

	mpdd_start(&d, NULL);
	for (size_t i = 0; i < sizeof(setup) / sizeof(setup[0]); i++) {
		cr_assert_eq(cli(&r, setup[i]), 0, "%s", r.err);
		test_run_free(&r);
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fail_case *c = &cases[i];
		int st = cli(&r, c->args);

		cr_assert_eq(st, c->status, "%s %s %s: exit %d, stderr %s",
			     c->args[1], c->args[2], c->args[3], st, r.err);
		assert_one_error(&r, c->name, c->args[1]);
		test_run_free(&r);
	}
	/* A success that prints nothing without --json prints no error
	 * object with it. */
	{
		const char *args[] = {
			"--json", "queue", "put", "eq", "1", NULL
		};

		cr_assert_eq(cli(&r, args), 0);
		cr_assert_null(strstr(r.out, "\"error\""), "%s", r.out);
		test_run_free(&r);
	}
	mpdd_stop_all(&d);
}

/* Lines of out that are JSON objects with an "error" member. */
static int error_objects(const char *out)
{
	int n = 0;

	for (const char *s = out; (s = strstr(s, "{\"error\":")) != NULL; s++)
		n++;
	return n;
}

/*
 * The bulk forms go on past a process they fail on, reporting each on
 * stderr; with --json, stdout gets an error object per failure and then
 * the array of results: more than one JSON text, and more than one error.
 */
Test(cli_attack, a_bulk_failure_with_json_is_one_error_object)
{
	const char *spawn[] = { "spawn", "--", "sleep", "1000", NULL };
	const char *bulk[] = { "--json", "signal", "--all", "BOGUS", NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(cli(&r, spawn), 0);
		test_run_free(&r);
	}
	cr_assert_eq(cli(&r, bulk), 1);
	cr_assert_eq(error_objects(r.out), 1, "stdout: %s", r.out);
	assert_one_error(&r, "invalid_params", "signal --all");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

/* As nobody: the bulk forms touch nobody's processes only, and root's
 * process by name is refused, telling nothing of its id. Returns the
 * check that failed, 0 when all held. */
static int nobody_bulk(void)
{
	const char *spawn_run[] = { "spawn", "--name", "nb-run", "--",
				    "sleep", "1000",   NULL };
	const char *spawn_done[] = { "spawn", "--name", "nb-done",
				     "--",    "true",	NULL };
	const char *join_done[] = { "join", "nb-done", NULL };
	const char *kill_all[] = { "--json", "kill", "--all", NULL };
	const char *close_all[] = { "--json", "close", "--exited", NULL };
	const char *term_prefix[] = { "--json", "terminate", "--prefix", "root",
				      NULL };
	const char *info_root[] = { "--json", "info", "root-run", NULL };
	struct run_result r;
	json_t *a;
	int st;

	if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
		return 100;
	if (cli(&r, spawn_run) != 0 || cli(&r, spawn_done) != 0 ||
	    cli(&r, join_done) != 0)
		return 101;
	/* kill --all: its own running one only. */
	if (cli(&r, kill_all) != 0)
		return 1;
	a = test_json(r.out);
	if (json_array_size(a) != 1 ||
	    strcmp(json_string_value(
			   json_object_get(json_array_get(a, 0), "name")),
		   "nb-run") != 0)
		return 2;
	json_decref(a);
	/* close --exited: its own ended ones only (nb-done, and nb-run
	 * once it ended: wait for it first). */
	{
		const char *join_run[] = { "join", "nb-run", NULL };

		if (cli(&r, join_run) != 0)
			return 3;
	}
	if (cli(&r, close_all) != 0)
		return 4;
	a = test_json(r.out);
	if (json_array_size(a) != 2)
		return 5;
	json_decref(a);
	/* --prefix names root's processes: none of them is acted on. */
	if (cli(&r, term_prefix) != 0 || strcmp(r.out, "[]\n") != 0)
		return 6;
	/* Root's process by name: permission_denied, its id untold. */
	st = cli(&r, info_root);
	if (st != 1 || strstr(r.out, "permission_denied") == NULL)
		return 7;
	if (strstr(r.out, "process 1 ") != NULL ||
	    strstr(r.out, "\"id\":1") != NULL)
		return 8;
	return 0;
}

/* Copy src to dst, mode 0755. */
static void copy_file(const char *src, const char *dst)
{
	char buf[65536];
	int in, out;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	cr_assert(in >= 0 && out >= 0, "copy %s: %s", src, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
}

/*
 * mpd-cli and libmpd laid out as in the build tree (mpd-cli finds the
 * library at $ORIGIN/..) under d's dir, which nobody can reach: the build
 * tree may be in a directory only root may enter (a fresh mktemp -d).
 * Returns the copy's build dir (malloc'd).
 */
static char *mirror_cli(void)
{
	const char *bld = getenv("MPD_TEST_BUILDDIR");
	char *root, src[PATH_MAX], dst[PATH_MAX + 64];

	cr_assert_not_null(bld);
	cr_assert(asprintf(&root, "%s/bld", d.dir) > 0);
	cr_assert_eq(mkdir(root, 0755), 0);
	snprintf(dst, sizeof(dst), "%s/client", root);
	cr_assert_eq(mkdir(dst, 0755), 0);
	snprintf(dst, sizeof(dst), "%s/client/cli", root);
	cr_assert_eq(mkdir(dst, 0755), 0);
	snprintf(src, sizeof(src), "%s/client/cli/mpd-cli", bld);
	snprintf(dst, sizeof(dst), "%s/client/cli/mpd-cli", root);
	copy_file(src, dst);
	snprintf(src, sizeof(src), "%s/client/libmpd.so.0", bld);
	snprintf(dst, sizeof(dst), "%s/client/libmpd.so.0", root);
	copy_file(src, dst);
	return root;
}

Test(cli_attack, bulk_forms_of_another_user_touch_only_its_processes)
{
	const char *run[] = { "spawn", "--name", "root-run", "--",
			      "sleep", "1000",	 NULL };
	const char *done[] = { "spawn", "--name", "root-done",
			       "--",	"true",	  NULL };
	const char *join[] = { "join", "root-done", NULL };
	const char *info_run[] = { "--json", "info", "root-run", NULL };
	const char *info_done[] = { "--json", "info", "root-done", NULL };
	char *mirror, libdir[PATH_MAX + 16];
	struct run_result r;
	int status;
	pid_t pid;
	json_t *o;

	if (getuid() != 0)
		cr_skip_test("needs root to switch to nobody");
	mpdd_start(&d, NULL);
	cr_assert(chmod(d.dir, 0755) == 0 && chmod(d.socket, 0666) == 0);
	cr_assert_eq(cli(&r, run), 0);
	test_run_free(&r);
	cr_assert_eq(cli(&r, done), 0);
	test_run_free(&r);
	cr_assert_eq(cli(&r, join), 0);
	test_run_free(&r);
	mirror = mirror_cli();
	snprintf(libdir, sizeof(libdir), "%s/client", mirror);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		setenv("MPD_TEST_BUILDDIR", mirror, 1);
		setenv("LD_LIBRARY_PATH", libdir, 1);
		/* Workers start in the caller's directory: one nobody may
		 * enter. */
		if (chdir(d.dir) != 0)
			_exit(102);
		_exit(nobody_bulk());
	}
	free(mirror);
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "check %d failed as nobody", WEXITSTATUS(status));
	/* Root's processes are as they were. */
	cr_assert_eq(cli(&r, info_run), 0);
	o = test_json(r.out);
	cr_assert_str_eq(json_string_value(json_object_get(o, "state")),
			 "running");
	json_decref(o);
	test_run_free(&r);
	cr_assert_eq(cli(&r, info_done), 0);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

/*
 * Run mpd-cli against d with args (NULL-terminated), with descriptor
 * closed (0 or 1; -1: none) shut before its exec; its stdout (when open) is read
 * into *out. A run that hangs is ended by SIGALRM after 30 s. Returns
 * the wait status.
 */
static int cli_closed(int closed, const char *const *args, char **out)
{
	const char *argv[TEST_CLI_ARGV_SIZE];
	char *bin = test_built("client/cli/mpd-cli");
	size_t len = 0, cap = 4096;
	int p[2], status;
	pid_t pid;
	ssize_t n;

	test_cli_argv(argv, bin, d.socket, args);
	cr_assert(pipe(p) == 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		if (closed != 1)
			dup2(p[1], 1);
		close(p[1]);
		if (closed >= 0)
			close(closed);
		alarm(30);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(p[1]);
	*out = malloc(cap);
	cr_assert_not_null(*out);
	while ((n = read(p[0], *out + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2) {
			cap *= 2;
			*out = realloc(*out, cap);
			cr_assert_not_null(*out);
		}
	}
	(*out)[len] = '\0';
	close(p[0]);
	cr_assert(waitpid(pid, &status, 0) == pid);
	free(bin);
	return status;
}

Test(cli_attack, run_pty_with_stdin_or_stdout_closed_ends_with_its_worker)
{
	const char *small[] = { "run", "--pty", "--",
				"sh",  "-c",	"echo hello; exit 3",
				NULL };
	/* More than a terminal's buffer holds. */
	const char *big[] = {
		"run", "--pty", "--",
		"sh",  "-c",	"head -c 300000 /dev/zero | tr '\\0' x; exit 3",
		NULL
	};
	char *out;
	int st;

	mpdd_start(&d, NULL);
	/* stdin closed: the worker's output still comes, once. */
	st = cli_closed(0, small, &out);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 3, "status %#x", st);
	cr_assert_str_eq(out, "hello\r\n");
	free(out);
	st = cli_closed(0, big, &out);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 3, "status %#x", st);
	cr_assert_eq(strlen(out), 300000);
	free(out);
	/* stdout closed: nowhere to put the output, but run ends when its
	 * worker does, with its status. */
	st = cli_closed(1, small, &out);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 3, "status %#x", st);
	free(out);
	st = cli_closed(1, big, &out);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 3,
		  "status %#x (signal %d: hung)", st,
		  WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	free(out);
	mpdd_stop_all(&d);
}

Test(cli_attack, run_pty_ends_when_its_worker_does_though_a_child_writes_on)
{
	/* The child ignores the hang-up of the terminal and writes for
	 * ever; its pid is printed among its first lines (the child may
	 * write before the shell's echo does). */
	const char *args[] = {
		"run",
		"--pty",
		"--",
		"sh",
		"-c",
		"trap '' HUP; (while :; do echo x; done) & echo \"pid $!\"; "
		"exit 5",
		NULL
	};
	const char *line;
	char *out;
	pid_t child = 0;
	int st;

	mpdd_start(&d, NULL);
	st = cli_closed(-1, args, &out);
	line = strstr(out, "pid ");
	cr_assert_not_null(line, "%.40s", out);
	cr_assert_eq(sscanf(line, "pid %d", &child), 1, "%.40s", out);
	cr_assert_gt(child, 0);
	kill(child, SIGKILL);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 5,
		  "status %#x (signal %d: hung)", st,
		  WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	free(out);
	mpdd_stop_all(&d);
}

/* --- lock run and semaphore run under attack ---------------------------- */

/*
 * Start mpd-cli against d with args (NULL-terminated) in the background,
 * stdin /dev/null, its stdout a pipe whose read end goes to *out, stderr
 * kept. Returns its pid.
 */
static pid_t cli_spawn(const char *const *args, int *out)
{
	const char *argv[TEST_CLI_ARGV_SIZE];
	char *bin = test_built("client/cli/mpd-cli");
	int p[2];
	pid_t pid;

	test_cli_argv(argv, bin, d.socket, args);
	cr_assert(pipe2(p, O_CLOEXEC) == 0);
	fflush(NULL);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(p[1], 1);
		unsetenv("MPD_SOCKET");
		alarm(60);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(p[1]);
	free(bin);
	*out = p[0];
	return pid;
}

/* Call method with params (JSON text) on fd; the result (new). */
static json_t *raw_ok(int fd, const char *method, const char *params)
{
	json_t *reply = test_call(fd, method, test_json(params));
	json_t *res = json_incref(test_result(reply));

	json_decref(reply);
	return res;
}

/* Ask kind.info of "db" on fd until its key is want (JSON text). */
static void await_db(int fd, const char *kind, const char *key,
		     const char *want)
{
	char method[32];
	json_t *w = test_json(want);

	snprintf(method, sizeof(method), "%s.info", kind);
	for (int i = 0;; i++) {
		json_t *r = raw_ok(fd, method, "{\"name\":\"db\"}");
		bool same = json_equal(json_object_get(r, key), w);

		json_decref(r);
		if (same)
			break;
		cr_assert_lt(i, TEST_TIMEOUT_MS, "%s %s never became %s", kind,
			     key, want);
		usleep(1000);
	}
	json_decref(w);
}

/* Read what is left on fd until EOF (malloc'd). */
static char *read_rest(int fd)
{
	size_t len = 0, cap = 1024;
	char *buf = malloc(cap);
	ssize_t n;

	cr_assert_not_null(buf);
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
	}
	buf[len] = '\0';
	return buf;
}

/* The first line of fd (at most size - 1 bytes), read byte by byte so
 * that nothing after it is taken. */
static void read_first_line(int fd, char *buf, size_t size)
{
	size_t len = 0;

	while (len + 1 < size && read(fd, buf + len, 1) == 1 &&
	       buf[len] != '\n')
		len++;
	buf[len] = '\0';
}

/*
 * lock run (and semaphore run) killed with SIGKILL while its acquire
 * waits: its wait leaves the queue, the lock never goes to it, and CMD
 * never runs.
 */
Test(cli_attack, a_run_killed_while_it_waits_never_holds_nor_runs)
{
	static const char *const kinds[] = { "lock", "semaphore" };
	char *rest;
	json_t *r;
	int fd, out, st;
	pid_t pid;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	for (size_t k = 0; k < 2; k++) {
		const char *kind = kinds[k];
		const char *args[] = { kind,   "run", "db", "--",
				       "echo", "ran", NULL };
		char method[32];

		snprintf(method, sizeof(method), "%s.create", kind);
		json_decref(raw_ok(fd, method, "{\"name\":\"db\"}"));
		snprintf(method, sizeof(method), "%s.acquire", kind);
		json_decref(raw_ok(fd, method, "{\"name\":\"db\"}"));
		pid = cli_spawn(args, &out);
		await_db(fd, kind, "waiters", "1");
		cr_assert_eq(kill(pid, SIGKILL), 0);
		cr_assert(waitpid(pid, &st, 0) == pid);
		cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
		await_db(fd, kind, "waiters", "0");
		snprintf(method, sizeof(method), "%s.release", kind);
		json_decref(raw_ok(fd, method, "{\"name\":\"db\"}"));
		snprintf(method, sizeof(method), "%s.info", kind);
		r = raw_ok(fd, method, "{\"name\":\"db\"}");
		if (k == 0)
			cr_assert(json_is_false(json_object_get(r, "locked")));
		else
			cr_assert_eq(test_int(r, "value"), 1);
		cr_assert(json_is_false(json_object_get(r, "abandoned")));
		json_decref(r);
		rest = read_rest(out);
		cr_assert_str_eq(rest, "");
		free(rest);
		close(out);
	}
	test_forget(fd);
	close(fd);
	mpdd_stop_all(&d);
}

/*
 * CMD of lock run holds no socket of mpd-cli's (its connection is
 * close-on-exec): killed with SIGKILL while CMD runs, semaphore run's
 * permit comes back although CMD lives on.
 */
Test(cli_attack, a_killed_semaphore_runs_cmd_keeps_no_permit)
{
	const char *fds[] = { "lock",
			      "run",
			      "db",
			      "--",
			      "sh",
			      "-c",
			      "for f in /proc/$$/fd/*; do readlink \"$f\"; "
			      "done",
			      NULL };
	const char *hold[] = { "semaphore",
			       "run",
			       "db",
			       "--",
			       "sh",
			       "-c",
			       "echo $$; exec sleep 1000",
			       NULL };
	char line[64], *rest;
	json_t *r;
	int fd, out, st;
	pid_t pid, cmd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	json_decref(raw_ok(fd, "lock.create", "{\"name\":\"db\"}"));
	pid = cli_spawn(fds, &out);
	rest = read_rest(out);
	close(out);
	cr_assert(waitpid(pid, &st, 0) == pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	cr_assert_not_null(strstr(rest, "pipe:"), "%s", rest);
	cr_assert_null(strstr(rest, "socket:"), "CMD has a socket:\n%s", rest);
	free(rest);

	json_decref(raw_ok(fd, "semaphore.create", "{\"name\":\"db\"}"));
	pid = cli_spawn(hold, &out);
	read_first_line(out, line, sizeof(line));
	cmd = (pid_t)atoi(line);
	cr_assert_gt(cmd, 0, "CMD said '%s'", line);
	r = raw_ok(fd, "semaphore.info", "{\"name\":\"db\"}");
	cr_assert_eq(test_int(r, "value"), 0);
	cr_assert_eq(test_int(json_array_get(json_object_get(r, "holders"), 0),
			      "pid"),
		     pid);
	json_decref(r);
	cr_assert_eq(kill(pid, SIGKILL), 0);
	cr_assert(waitpid(pid, &st, 0) == pid);
	await_db(fd, "semaphore", "value", "1");
	await_db(fd, "semaphore", "holders", "[]");
	cr_assert_eq(kill(cmd, 0), 0, "CMD did not live on");
	kill(cmd, SIGKILL);
	close(out);
	test_forget(fd);
	close(fd);
	mpdd_stop_all(&d);
}

/* Bad --timeout and --lease values: lock run refuses them before CMD
 * runs, and takes nothing. */
Test(cli_attack, lock_run_refuses_bad_waits_without_running_cmd)
{
	static const char *const bad[][2] = {
		{ "--timeout", "nan" },	     { "--timeout", "inf" },
		{ "--timeout", "-1" },	     { "--timeout", "1e999" },
		{ "--timeout", "" },	     { "--timeout", "5s" },
		{ "--timeout", "31536001" }, { "--lease", "0" },
		{ "--lease", "-1" },	     { "--lease", "nan" },
		{ "--lease", "1e999" },	     { "--lease", "31536001" },
	};
	struct run_result r;
	json_t *res;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	json_decref(raw_ok(fd, "lock.create", "{\"name\":\"db\"}"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[] = { "lock",	  "run",     "db",
				       bad[i][0], bad[i][1], "--",
				       "echo",	  "ran",     NULL };
		int st = cli(&r, args);

		cr_assert(st == 1 || st == 2, "%s %s: exit %d", bad[i][0],
			  bad[i][1], st);
		cr_assert_str_eq(r.out, "", "%s %s ran CMD", bad[i][0],
				 bad[i][1]);
		cr_assert_neq(r.err[0], '\0');
		test_run_free(&r);
	}
	res = raw_ok(fd, "lock.info", "{\"name\":\"db\"}");
	cr_assert(json_is_false(json_object_get(res, "locked")));
	cr_assert(json_is_false(json_object_get(res, "abandoned")));
	json_decref(res);
	test_forget(fd);
	close(fd);
	mpdd_stop_all(&d);
}

/*
 * condition notify with -n past 2^31-1, while another client holds the
 * condition's lock: refused as a usage error before anything is asked,
 * not after waiting (for ever, without --timeout) for the lock.
 */
Test(cli_attack, condition_notify_refuses_a_bad_n_before_it_waits)
{
	const char *args[] = { "condition",  "notify",	  "c", "-n",
			       "2147483648", "--timeout", "5", NULL };
	struct run_result r;
	json_t *res;
	int fd, st;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	json_decref(raw_ok(fd, "condition.create", "{\"name\":\"c\"}"));
	json_decref(raw_ok(fd, "condition.acquire", "{\"name\":\"c\"}"));
	st = cli(&r, args);
	cr_assert_eq(st, 2, "exit %d: %s", st, r.err);
	cr_assert_not_null(strstr(r.err, "-n"), "%s", r.err);
	test_run_free(&r);
	res = raw_ok(fd, "condition.info", "{\"name\":\"c\"}");
	cr_assert_eq(test_int(json_object_get(res, "holder"), "pid"), getpid());
	json_decref(res);
	test_forget(fd);
	close(fd);
	mpdd_stop_all(&d);
}
