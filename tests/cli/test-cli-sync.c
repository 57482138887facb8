/*
 * test-cli-sync.c - mpd-cli's lock, semaphore, event, condition and
 * barrier commands, run as a user runs them.
 *
 * Each test starts a real mpdd and runs the built mpd-cli against it.
 * lock run is checked as flock(1) is used: two runs of a script that
 * appends to a file never interleave, CMD's exit status (and death by a
 * signal) comes back, SIGINT, SIGTERM and SIGHUP reach CMD, and a run
 * killed with SIGKILL loses the lock at once although its CMD lives on
 * (CMD does not inherit the daemon's socket), the next holder being
 * warned. What the CLI claims is checked against the daemon over a raw
 * connection, which can also hold a lock or permits while runs queue up
 * behind it. Waits are on events (an mpd event the script sets, a barrier,
 * a process's exit) or, where only the daemon knows (a waiter parked), on
 * its info polled with a deadline; never on fixed sleeps. Last, --help,
 * usage errors and an unreachable daemon for every command.
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

/* "CLI=<the built mpd-cli>", for the scripts CMD runs. */
static char *cli_env;

/* The result of method (new reference); fails the test on an error. */
static json_t *rpc(const char *method, const char *params)
{
	return test_rpc_text(d.socket, method, params, false);
}

static void teardown(void)
{
	mpdd_teardown(&d);
	free(cli_env);
	cli_env = NULL;
}

TestSuite(cli_sync, .fini = teardown, .timeout = 60);

/* The environment of mpd-cli: $CLI for its scripts, MPD_SOCKET unset
 * (--socket names the daemon; run sets MPD_SOCKET for CMD). */
static const char *const *cli_environ(void)
{
	static const char *env[3];
	char *bin;

	if (cli_env == NULL) {
		bin = test_built("client/cli/mpd-cli");
		cr_assert(asprintf(&cli_env, "CLI=%s", bin) > 0);
		free(bin);
	}
	env[0] = cli_env;
	env[1] = "MPD_SOCKET=";
	env[2] = NULL;
	return env;
}

/* Run mpd-cli --socket d.socket with args (NULL-terminated); returns the
 * exit status. */
static int cli_args(struct run_result *r, const char *const *args)
{
	return test_cli(r, d.socket, args, cli_environ(), NULL);
}

#define CLI(r, ...) cli_args(r, (const char *const[]){ __VA_ARGS__, NULL })

/* Run a command that must succeed and print exactly want. */
#define CLI_OK_OUT(want, ...)                                                 \
	do {                                                                  \
		struct run_result r_;                                         \
		cr_assert_eq(CLI(&r_, __VA_ARGS__), 0, "stderr: %s", r_.err); \
		cr_assert_str_eq(r_.out, want);                               \
		cr_assert_str_eq(r_.err, "");                                 \
		test_run_free(&r_);                                           \
	} while (0)

/* Run a command that must succeed and print one line of JSON equal to
 * want (a JSON text): the daemon's members in any order. */
#define CLI_OK_JSON(want, ...)                                                \
	do {                                                                  \
		struct run_result r_;                                         \
		json_t *got_, *want_ = test_json(want);                       \
		cr_assert_eq(CLI(&r_, __VA_ARGS__), 0, "stderr: %s", r_.err); \
		got_ = test_json(r_.out);                                     \
		cr_assert(json_equal(got_, want_), "stdout: %s", r_.out);     \
		cr_assert_eq(strchr(r_.out, '\n'),                            \
			     r_.out + strlen(r_.out) - 1, "not one line: %s", \
			     r_.out);                                         \
		cr_assert_str_eq(r_.err, "");                                 \
		json_decref(got_);                                            \
		json_decref(want_);                                           \
		test_run_free(&r_);                                           \
	} while (0)

/* Run a command that must exit with status and print exactly out on
 * stdout and err on stderr. */
#define CLI_EXIT(status, want_out, want_err, ...)                         \
	do {                                                              \
		struct run_result r_;                                     \
		cr_assert_eq(CLI(&r_, __VA_ARGS__), status, "stderr: %s", \
			     r_.err);                                     \
		cr_assert_str_eq(r_.out, want_out);                       \
		cr_assert_str_eq(r_.err, want_err);                       \
		test_run_free(&r_);                                       \
	} while (0)

/* Run a command that must fail with status, nothing on stdout and the
 * daemon's error name on stderr as "mpd-cli: CMD: MESSAGE (NAME)". */
static void cli_fails(int status, const char *cmd, const char *name,
		      const char *const *args)
{
	struct run_result r;

	cr_assert_eq(cli_args(&r, args), status, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "");
	test_assert_error_line(r.err, cmd, name);
	test_run_free(&r);
}

#define CLI_FAILS(status, cmd, name, ...) \
	cli_fails(status, cmd, name, (const char *const[]){ __VA_ARGS__, NULL })

/* The member key of the object info of kind (lock, event, ...) name, as
 * the daemon has it: a new reference. */
static json_t *info_of(const char *kind, const char *name, const char *key)
{
	char method[64], params[300];
	json_t *res, *v;

	snprintf(method, sizeof(method), "%s.info", kind);
	snprintf(params, sizeof(params), "{\"name\":\"%s\"}", name);
	res = rpc(method, params);
	v = json_incref(json_object_get(res, key));
	cr_assert_not_null(v, "%s %s has no %s", kind, name, key);
	json_decref(res);
	return v;
}

static long long info_int(const char *kind, const char *name, const char *key)
{
	json_t *v = info_of(kind, name, key);
	long long n;

	cr_assert(json_is_integer(v), "%s.%s is not an integer", name, key);
	n = json_integer_value(v);
	json_decref(v);
	return n;
}

static bool info_bool(const char *kind, const char *name, const char *key)
{
	json_t *v = info_of(kind, name, key);
	bool b;

	cr_assert(json_is_boolean(v), "%s.%s is not a boolean", name, key);
	b = json_is_true(v);
	json_decref(v);
	return b;
}

/* Wait (at most TEST_TIMEOUT_MS) until the waiters of kind name, as its
 * info counts them under key, are n: the only way to know a waiter is
 * parked is to ask the daemon. */
static void wait_parked(const char *kind, const char *name, const char *key,
			long long n)
{
	struct timespec tick = { .tv_nsec = 5 * 1000 * 1000 };
	int waited = 0;

	while (info_int(kind, name, key) != n) {
		cr_assert_lt(waited, TEST_TIMEOUT_MS, "%s %s never had %lld %s",
			     kind, name, n, key);
		nanosleep(&tick, NULL);
		waited += 5;
	}
}

/* The whole of file path (malloc'd; "" when it does not exist). */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t size = 0;
	ssize_t n;

	if (f == NULL)
		return strdup("");
	n = getdelim(&buf, &size, '\0', f);
	fclose(f);
	if (n < 0) {
		free(buf);
		return strdup("");
	}
	return buf;
}

/*
 * Start mpd-cli with args in the background (test_cli_spawn()), with
 * $CLI and the environment strings env (NULL-terminated, may be NULL)
 * set, stdin /dev/null and stdout and stderr appended to the files out
 * and err in the test dir (NULL: /dev/null). Returns its pid.
 */
static pid_t spawn_cli(const char *const *args, const char *const *env,
		       const char *out, const char *err)
{
	const char *all[8];
	size_t n = 0;

	cli_environ(); /* sets cli_env */
	all[n++] = cli_env;
	for (int i = 0; env != NULL && env[i] != NULL; i++) {
		cr_assert_lt(n, sizeof(all) / sizeof(all[0]) - 1);
		all[n++] = env[i];
	}
	all[n] = NULL;
	return test_cli_spawn(&d, args, all, NULL, out, err);
}

#define SPAWN(out, err, ...) \
	spawn_cli((const char *const[]){ __VA_ARGS__, NULL }, NULL, out, err)

/* Wait for the child pid and assert it exited with code. */
static void assert_exits(pid_t pid, int code)
{
	int status = test_wait_status(pid);

	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == code,
		  "status 0x%x, not exit %d", status, code);
}

/* Whether pid is alive: exists and is no zombie. */
static bool alive(pid_t pid)
{
	char path[64], buf[512], *paren;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return paren != NULL && paren[1] == ' ' && paren[2] != 'Z' &&
	       paren[2] != 'X';
}

/* Call method with params (JSON text) on the raw connection fd and
 * return its result (a new reference); fails the test on an error. */
static json_t *raw(int fd, const char *method, const char *params)
{
	json_t *reply = test_call(fd, method, test_json(params));
	json_t *res = json_incref(test_result(reply));

	json_decref(reply);
	return res;
}

/* Take lock name on the raw connection fd (it must be free). */
static void raw_acquire(int fd, const char *name)
{
	char params[300];
	json_t *res;

	snprintf(params, sizeof(params), "{\"name\":\"%s\",\"timeout\":0}",
		 name);
	res = raw(fd, "lock.acquire", params);
	cr_assert(json_is_true(json_object_get(res, "acquired")));
	json_decref(res);
}

static void raw_release(int fd, const char *name)
{
	char params[300];

	snprintf(params, sizeof(params), "{\"name\":\"%s\"}", name);
	json_decref(raw(fd, "lock.release", params));
}

Test(cli_sync, lock_create_info_list_and_delete)
{
	struct run_result r;
	json_t *got, *want;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("NAME  RECURSIVE  LOCKED\n", "lock", "list");
	CLI_OK_OUT("", "lock", "create", "db");
	CLI_OK_JSON("{\"name\":\"rl\",\"recursive\":true,\"created\":true}\n",
		    "-j", "lock", "create", "rl", "--recursive");
	CLI_FAILS(1, "lock create", "exists", "lock", "create", "db");
	CLI_OK_JSON("{\"name\":\"db\",\"recursive\":false,\"created\":false}\n",
		    "-j", "lock", "create", "db", "--exist-ok");
	CLI_FAILS(1, "lock create", "invalid_state", "lock", "create", "db",
		  "--exist-ok", "--recursive");
	CLI_OK_OUT("NAME  RECURSIVE  LOCKED\n"
		   "db    no         no\n"
		   "rl    yes        no\n",
		   "lock", "list");
	cr_assert_eq(CLI(&r, "-j", "lock", "list"), 0);
	got = test_json(r.out);
	want = rpc("lock.list", "{}");
	cr_assert(json_equal(got, json_object_get(want, "locks")), "stdout: %s",
		  r.out);
	json_decref(got);
	json_decref(want);
	test_run_free(&r);

	cr_assert_eq(CLI(&r, "lock", "info", "db"), 0, "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.out, "name: db\n"), "stdout: %s", r.out);
	cr_assert_not_null(strstr(r.out, "locked: false\n"), "stdout: %s",
			   r.out);
	cr_assert_not_null(strstr(r.out, "waiters: 0\n"), "stdout: %s", r.out);
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "-j", "lock", "info", "db"), 0);
	got = test_json(r.out);
	want = rpc("lock.info", "{\"name\":\"db\"}");
	cr_assert(json_equal(got, want), "stdout: %s", r.out);
	json_decref(got);
	json_decref(want);
	test_run_free(&r);

	CLI_OK_OUT("{}\n", "-j", "lock", "delete", "rl");
	CLI_OK_OUT("", "lock", "delete", "db");
	CLI_OK_OUT("[]\n", "-j", "lock", "list");
	CLI_FAILS(4, "lock info", "not_found", "lock", "info", "db");
	CLI_FAILS(4, "lock delete", "not_found", "lock", "delete", "db");
	CLI_FAILS(4, "lock run", "not_found", "lock", "run", "db", "--",
		  "true");
	mpdd_stop_all(&d);
}

/* While CMD runs, the lock is held by mpd-cli (CMD's parent); after, it
 * is free, and not marked abandoned: the release was explicit. */
Test(cli_sync, lock_run_holds_the_lock_while_cmd_runs)
{
	struct run_result r;
	json_t *info, *holder;
	char *nl;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "lock", "create", "db");
	cr_assert_eq(CLI(&r, "lock", "run", "db", "--", "sh", "-c",
			 "\"$CLI\" -j lock info db && echo $PPID"),
		     0, "stderr: %s", r.err);
	cr_assert_str_eq(r.err, "");
	nl = strchr(r.out, '\n');
	cr_assert_not_null(nl, "stdout: %s", r.out);
	*nl = '\0';
	info = test_json(r.out);
	cr_assert(json_is_true(json_object_get(info, "locked")), "%s", r.out);
	cr_assert_eq(test_int(info, "count"), 1);
	holder = json_object_get(info, "holder");
	cr_assert_eq(test_int(holder, "pid"), atoll(nl + 1),
		     "the holder is not mpd-cli: %s", r.out);
	json_decref(info);
	test_run_free(&r);
	cr_assert(!info_bool("lock", "db", "locked"));
	cr_assert(!info_bool("lock", "db", "abandoned"));
	mpdd_stop_all(&d);
}

Test(cli_sync, lock_run_exits_with_cmds_status_and_releases)
{
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "lock", "create", "db");
	CLI_EXIT(7, "hi\n", "", "lock", "run", "db", "--", "sh", "-c",
		 "echo hi; exit 7");
	cr_assert(!info_bool("lock", "db", "locked"));
	/* Ended by a signal: 128+N, as a shell gives it. */
	CLI_EXIT(128 + SIGTERM, "", "", "lock", "run", "db", "--", "sh", "-c",
		 "kill -TERM $$");
	cr_assert(!info_bool("lock", "db", "locked"));
	CLI_EXIT(128 + SIGKILL, "", "", "lock", "run", "db", "--timeout", "5",
		 "--", "sh", "-c", "kill -KILL $$");
	cr_assert(!info_bool("lock", "db", "locked"));
	/* CMD's own arguments are its own, options included. */
	CLI_EXIT(0, "--timeout x\n", "", "lock", "run", "db", "--", "echo",
		 "--timeout", "x");
	/* Not started: 127, the reason said; the lock given back. */
	CLI_EXIT(127, "",
		 "mpd-cli: lock run: /nonexistent/cmd: No such file or "
		 "directory\n",
		 "lock", "run", "db", "--", "/nonexistent/cmd");
	cr_assert_eq(CLI(&r, "lock", "run", "db", "--", "no-such-command-x"),
		     127);
	cr_assert_str_eq(r.err, "mpd-cli: lock run: no-such-command-x: No such "
				"file or directory\n");
	test_run_free(&r);
	cr_assert(!info_bool("lock", "db", "locked"));
	cr_assert(!info_bool("lock", "db", "abandoned"));
	mpdd_stop_all(&d);
}

/*
 * Two runs of a script that appends ten lines to a file, one at a time,
 * queue behind a holder; once it lets go, they must run one after the
 * other: the file holds one's ten lines, then the other's. Without the
 * lock they would both be writing at once.
 */
Test(cli_sync, lock_run_excludes_a_concurrent_run)
{
	static const char script[] = "for i in 1 2 3 4 5 6 7 8 9 10; do\n"
				     "  echo \"$1 $i\" >> \"$2\"\n"
				     "  \"$CLI\" lock info db > /dev/null\n"
				     "done\n";
	char *script_path, *out, *text;
	char want_ab[256] = "", want_ba[256] = "", line[16];
	pid_t a, b;
	FILE *f;
	int fd;

	mpdd_start(&d, NULL);
	script_path = test_in_dir(&d, "crit.sh");
	out = test_in_dir(&d, "out");
	f = fopen(script_path, "w");
	cr_assert_not_null(f);
	fputs(script, f);
	fclose(f);
	CLI_OK_OUT("", "lock", "create", "db");
	fd = test_connect(d.socket);
	raw_acquire(fd, "db");
	a = SPAWN(NULL, "err", "lock", "run", "db", "--", "sh", script_path,
		  "A", out);
	b = SPAWN(NULL, "err", "lock", "run", "db", "--", "sh", script_path,
		  "B", out);
	wait_parked("lock", "db", "waiters", 2);
	raw_release(fd, "db");
	assert_exits(a, 0);
	assert_exits(b, 0);
	for (int i = 1; i <= 10; i++) {
		snprintf(line, sizeof(line), "A %d\n", i);
		strcat(want_ab, line);
	}
	for (int i = 1; i <= 10; i++) {
		snprintf(line, sizeof(line), "B %d\n", i);
		strcat(want_ab, line);
		strcat(want_ba, line);
	}
	for (int i = 1; i <= 10; i++) {
		snprintf(line, sizeof(line), "A %d\n", i);
		strcat(want_ba, line);
	}
	text = slurp(out);
	cr_assert(strcmp(text, want_ab) == 0 || strcmp(text, want_ba) == 0,
		  "the runs interleaved:\n%s", text);
	free(text);
	free(out);
	out = test_in_dir(&d, "err");
	text = slurp(out);
	cr_assert_str_eq(text, "");
	free(text);
	free(out);
	free(script_path);
	test_forget(fd);
	close(fd);
	mpdd_stop_all(&d);
}

Test(cli_sync, lock_run_timeout_exits_5_without_running_cmd)
{
	int fd;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "lock", "create", "db");
	fd = test_connect(d.socket);
	raw_acquire(fd, "db");
	CLI_EXIT(5, "", "mpd-cli: lock run: db is still locked after 0 s\n",
		 "lock", "run", "db", "--timeout", "0", "--", "echo", "ran");
	CLI_EXIT(5, "{\"acquired\":false}\n",
		 "mpd-cli: lock run: db is still locked after 0.2 s\n", "-j",
		 "lock", "run", "db", "--timeout", "0.2", "--", "echo", "ran");
	cr_assert_eq(info_int("lock", "db", "waiters"), 0);
	raw_release(fd, "db");
	CLI_EXIT(0, "ran\n", "", "lock", "run", "db", "--timeout", "0", "--",
		 "echo", "ran");
	test_forget(fd);
	close(fd);
	mpdd_stop_all(&d);
}

/*
 * mpd-cli lock run killed with SIGKILL while its CMD runs: its connection
 * closes and the daemon releases the lock, although CMD lives on (it did
 * not inherit the socket). Another client then gets it at once, told that
 * the holder went away; the next lock run warns of it.
 */
Test(cli_sync, a_killed_lock_run_loses_the_lock_though_its_cmd_lives_on)
{
	char *pidfile, *text, pidenv[PATH_MAX + 16];
	const char *env[] = { pidenv, NULL };
	struct run_result r;
	json_t *res, *info;
	pid_t pid, cmd;
	int fd, status;

	mpdd_start(&d, NULL);
	pidfile = test_in_dir(&d, "cmd.pid");
	snprintf(pidenv, sizeof(pidenv), "PIDFILE=%s", pidfile);
	CLI_OK_OUT("", "lock", "create", "db");
	CLI_OK_OUT("", "event", "create", "inside");
	CLI_OK_OUT("", "event", "create", "done");
	pid = spawn_cli(
		(const char *const[]){
			"lock", "run", "db", "--", "sh", "-c",
			"echo $$ > \"$PIDFILE\" && \"$CLI\" event set inside "
			"&& exec \"$CLI\" event wait done --timeout 30",
			NULL },
		env, NULL, NULL);
	CLI_OK_OUT("", "event", "wait", "inside", "--timeout", "20");
	text = slurp(pidfile);
	cmd = (pid_t)atoi(text);
	free(text);
	cr_assert_gt(cmd, 0);
	cr_assert_eq(kill(pid, SIGKILL), 0);
	status = test_wait_status(pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	/* Another client gets it, told the holder went away. */
	fd = test_connect(d.socket);
	res = raw(fd, "lock.acquire", "{\"name\":\"db\",\"timeout\":10}");
	cr_assert(json_is_true(json_object_get(res, "acquired")));
	cr_assert(json_is_true(json_object_get(res, "abandoned")));
	json_decref(res);
	cr_assert(alive(cmd), "CMD did not live on");
	cr_assert_eq(CLI(&r, "-j", "lock", "info", "db"), 0);
	info = test_json(r.out);
	cr_assert_eq(test_int(json_object_get(info, "holder"), "pid"),
		     (long long)getpid(), "%s", r.out);
	json_decref(info);
	test_run_free(&r);
	raw_release(fd, "db");
	test_forget(fd);
	close(fd);

	/* Killed again, holding it: the next run warns. */
	CLI_OK_OUT("", "event", "clear", "inside");
	pid = spawn_cli(
		(const char *const[]){
			"lock", "run", "db", "--", "sh", "-c",
			"\"$CLI\" event set inside && exec \"$CLI\" event wait "
			"done --timeout 30",
			NULL },
		NULL, NULL, NULL);
	CLI_OK_OUT("", "event", "wait", "inside", "--timeout", "20");
	cr_assert_eq(kill(pid, SIGKILL), 0);
	test_wait_status(pid);
	CLI_EXIT(0, "true\n",
		 "mpd-cli: lock db: the previous holder went away while "
		 "holding it\n",
		 "lock", "run", "db", "--timeout", "20", "--", "sh", "-c",
		 "\"$CLI\" -j lock info db | grep -q '\"locked\":true' && "
		 "echo true");
	cr_assert(!info_bool("lock", "db", "abandoned"));
	cr_assert(alive(cmd), "CMD did not live on");
	CLI_OK_OUT("", "event", "set", "done");
	free(pidfile);
	mpdd_stop_all(&d);
}

/* SIGINT, SIGTERM and SIGHUP sent to mpd-cli reach CMD, whose status
 * mpd-cli then exits with; the lock is given back. */
Test(cli_sync, lock_run_passes_on_int_term_and_hup)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	pid_t pid;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "lock", "create", "db");
	CLI_OK_OUT("", "event", "create", "inside");
	CLI_OK_OUT("", "event", "create", "done");
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		CLI_OK_OUT("", "event", "clear", "inside");
		pid = SPAWN(NULL, NULL, "lock", "run", "db", "--", "sh", "-c",
			    "trap 'exit 11' INT; trap 'exit 12' TERM; "
			    "trap 'exit 13' HUP; \"$CLI\" event set inside; "
			    "\"$CLI\" event wait done --timeout 30 & wait");
		CLI_OK_OUT("", "event", "wait", "inside", "--timeout", "20");
		cr_assert_eq(kill(pid, sigs[i]), 0);
		assert_exits(pid, 11 + (int)i);
		cr_assert(!info_bool("lock", "db", "locked"));
		cr_assert(!info_bool("lock", "db", "abandoned"));
	}
	CLI_OK_OUT("", "event", "set", "done");
	mpdd_stop_all(&d);
}

/*
 * A lease gives the lock back while CMD still runs: here CMD itself
 * waits for the lock (as another run), gets it once the lease ran out,
 * told nothing with --quiet. The outer run then has nothing to release:
 * it says so, and still exits with CMD's status.
 */
Test(cli_sync, lock_run_lease_and_quiet)
{
	static const char warning[] = "mpd-cli: lock db: the previous holder "
				      "went away while holding it\n";
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "lock", "create", "db");
	cr_assert_eq(CLI(&r, "lock", "run", "db", "--lease", "0.2", "--", "sh",
			 "-c",
			 "\"$CLI\" lock run db --quiet --timeout 20 -- "
			 "echo inner; echo $?"),
		     0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "inner\n0\n");
	cr_assert_str_eq(r.err, "mpd-cli: lock run: db: its --lease ran out "
				"before CMD ended\n");
	test_run_free(&r);
	cr_assert(!info_bool("lock", "db", "locked"));
	/* Without --quiet the waiter is told. */
	cr_assert_eq(CLI(&r, "lock", "run", "db", "--lease", "0.2", "--", "sh",
			 "-c",
			 "\"$CLI\" lock run db --timeout 20 -- echo inner"),
		     0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "inner\n");
	cr_assert_eq(strncmp(r.err, warning, strlen(warning)), 0, "stderr: %s",
		     r.err);
	cr_assert_str_eq(r.err + strlen(warning),
			 "mpd-cli: lock run: db: its --lease ran out before "
			 "CMD ended\n");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

/* A semaphore run whose lease ran out gives back no second permit: the
 * semaphore keeps its value. */
Test(cli_sync, semaphore_run_lease_gives_back_one_permit)
{
	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "semaphore", "create", "s");
	CLI_EXIT(0, "inner\n",
		 "mpd-cli: semaphore run: s: its --lease ran out before CMD "
		 "ended\n",
		 "semaphore", "run", "s", "--lease", "0.2", "--", "sh", "-c",
		 "\"$CLI\" semaphore run s --quiet --timeout 20 -- echo inner");
	cr_assert_eq(info_int("semaphore", "s", "value"), 1);
	/* Within its lease, a run gives its permit back. */
	CLI_EXIT(0, "", "", "semaphore", "run", "s", "--lease", "60", "--",
		 "true");
	cr_assert_eq(info_int("semaphore", "s", "value"), 1);
	mpdd_stop_all(&d);
}

Test(cli_sync, semaphore_create_release_info_list_and_delete)
{
	struct run_result r;
	json_t *got, *want;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("NAME  VALUE  BOUNDED\n", "semaphore", "list");
	CLI_OK_OUT("", "semaphore", "create", "slots", "--value", "3");
	CLI_OK_JSON("{\"name\":\"b\",\"value\":1,\"bounded\":true,"
		    "\"created\":true}\n",
		    "-j", "semaphore", "create", "b", "--bounded");
	CLI_OK_OUT("", "semaphore", "create", "zero", "--value", "0");
	CLI_FAILS(1, "semaphore create", "exists", "semaphore", "create",
		  "slots");
	CLI_OK_OUT("", "semaphore", "create", "slots", "--value", "3",
		   "--exist-ok");
	CLI_OK_OUT("", "semaphore", "release", "zero");
	CLI_OK_OUT("{\"value\":3}\n", "-j", "semaphore", "release", "zero",
		   "-n", "2");
	CLI_OK_OUT("", "semaphore", "release", "zero", "--permits", "4");
	CLI_FAILS(1, "semaphore release", "invalid_state", "semaphore",
		  "release", "b");
	CLI_OK_OUT("NAME   VALUE  BOUNDED\n"
		   "b      1      yes\n"
		   "slots  3      no\n"
		   "zero   7      no\n",
		   "semaphore", "list");
	cr_assert_eq(CLI(&r, "-j", "semaphore", "list"), 0);
	got = test_json(r.out);
	want = rpc("semaphore.list", "{}");
	cr_assert(json_equal(got, json_object_get(want, "semaphores")),
		  "stdout: %s", r.out);
	json_decref(got);
	json_decref(want);
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "semaphore", "info", "slots"), 0);
	cr_assert_not_null(strstr(r.out, "value: 3\n"), "stdout: %s", r.out);
	cr_assert_not_null(strstr(r.out, "initial: 3\n"), "stdout: %s", r.out);
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "-j", "semaphore", "info", "b"), 0);
	got = test_json(r.out);
	want = rpc("semaphore.info", "{\"name\":\"b\"}");
	cr_assert(json_equal(got, want), "stdout: %s", r.out);
	json_decref(got);
	json_decref(want);
	test_run_free(&r);
	CLI_OK_OUT("{}\n", "-j", "semaphore", "delete", "b");
	CLI_FAILS(4, "semaphore info", "not_found", "semaphore", "info", "b");
	CLI_FAILS(4, "semaphore release", "not_found", "semaphore", "release",
		  "b");
	CLI_FAILS(4, "semaphore run", "not_found", "semaphore", "run", "b",
		  "--", "true");
	mpdd_stop_all(&d);
}

/* Two runs of a semaphore of 2 are inside at once (they meet at a
 * barrier of three with the test); a third finds no permit. */
Test(cli_sync, semaphore_run_lets_n_in_at_once)
{
	struct run_result r;
	pid_t a, b;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "semaphore", "create", "slots", "--value", "2");
	CLI_OK_OUT("", "barrier", "create", "in", "--parties", "3");
	CLI_OK_OUT("", "event", "create", "go");
	a = SPAWN(NULL, NULL, "semaphore", "run", "slots", "--", "sh", "-c",
		  "\"$CLI\" barrier wait in >/dev/null && "
		  "\"$CLI\" event wait go --timeout 20");
	b = SPAWN(NULL, NULL, "semaphore", "run", "slots", "--", "sh", "-c",
		  "\"$CLI\" barrier wait in >/dev/null && "
		  "\"$CLI\" event wait go --timeout 20");
	/* The test's wait returns once both runs are inside. */
	cr_assert_eq(CLI(&r, "barrier", "wait", "in", "--timeout", "20"), 0,
		     "stderr: %s", r.err);
	cr_assert(strlen(r.out) == 2 && r.out[0] >= '0' && r.out[0] <= '2',
		  "stdout: %s", r.out);
	test_run_free(&r);
	cr_assert_eq(info_int("semaphore", "slots", "value"), 0);
	CLI_EXIT(5, "",
		 "mpd-cli: semaphore run: slots has no permit free after 0 "
		 "s\n",
		 "semaphore", "run", "slots", "--timeout", "0", "--", "echo",
		 "ran");
	CLI_OK_OUT("", "event", "set", "go");
	assert_exits(a, 0);
	assert_exits(b, 0);
	cr_assert_eq(info_int("semaphore", "slots", "value"), 2);
	mpdd_stop_all(&d);
}

/*
 * Six runs queue behind a holder of both permits of a semaphore of 2; let
 * go at once, never more than two are inside: each counts itself in and
 * out on a shared value and writes the count it saw.
 */
Test(cli_sync, semaphore_run_never_lets_more_than_n_in)
{
	static const char script[] =
		"n=$(\"$CLI\" value add inside 1) || exit 1\n"
		"echo $n >> \"$1\"\n"
		"\"$CLI\" semaphore info slots > /dev/null\n"
		"\"$CLI\" value add inside -1 > /dev/null\n";
	char *script_path, *out, *text;
	pid_t pids[6];
	json_t *res;
	int fd, lines = 0;
	FILE *f;

	mpdd_start(&d, NULL);
	script_path = test_in_dir(&d, "count.sh");
	out = test_in_dir(&d, "out");
	f = fopen(script_path, "w");
	cr_assert_not_null(f);
	fputs(script, f);
	fclose(f);
	CLI_OK_OUT("", "semaphore", "create", "slots", "--value", "2");
	CLI_OK_OUT("", "value", "create", "inside", "--type", "int");
	fd = test_connect(d.socket);
	for (int i = 0; i < 2; i++) {
		res = raw(fd, "semaphore.acquire",
			  "{\"name\":\"slots\",\"timeout\":0}");
		cr_assert(json_is_true(json_object_get(res, "acquired")));
		json_decref(res);
	}
	for (int i = 0; i < 6; i++)
		pids[i] = SPAWN(NULL, NULL, "semaphore", "run", "slots", "--",
				"sh", script_path, out);
	wait_parked("semaphore", "slots", "waiters", 6);
	json_decref(
		raw(fd, "semaphore.release", "{\"name\":\"slots\",\"n\":2}"));
	for (int i = 0; i < 6; i++)
		assert_exits(pids[i], 0);
	text = slurp(out);
	for (char *p = text; *p != '\0'; p = strchr(p, '\n') + 1) {
		int n = atoi(p);

		cr_assert(n >= 1 && n <= 2, "%d inside at once:\n%s", n, text);
		lines++;
	}
	cr_assert_eq(lines, 6, "%s", text);
	free(text);
	cr_assert_eq(info_int("semaphore", "slots", "value"), 2);
	free(script_path);
	free(out);
	test_forget(fd);
	close(fd);
	mpdd_stop_all(&d);
}

Test(cli_sync, event_create_set_clear_wait_info_list_and_delete)
{
	struct run_result r;
	json_t *got, *want;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("NAME  SET\n", "event", "list");
	CLI_OK_OUT("", "event", "create", "go");
	CLI_OK_JSON("{\"name\":\"b\",\"set\":false,\"created\":true}\n", "-j",
		    "event", "create", "b");
	CLI_FAILS(1, "event create", "exists", "event", "create", "go");
	CLI_OK_OUT("", "event", "create", "go", "--exist-ok");
	CLI_EXIT(5, "", "mpd-cli: event wait: go is still clear after 0 s\n",
		 "event", "wait", "go", "--timeout", "0");
	CLI_EXIT(5, "{\"set\":false}\n",
		 "mpd-cli: event wait: go is still clear after 0.1 s\n", "-j",
		 "event", "wait", "go", "--timeout", "0.1");
	CLI_OK_OUT("{\"woken\":0}\n", "-j", "event", "set", "go");
	CLI_OK_OUT("", "event", "wait", "go");
	CLI_OK_OUT("{\"set\":true}\n", "-j", "event", "wait", "go", "--timeout",
		   "0");
	CLI_OK_OUT("NAME  SET\n"
		   "b     no\n"
		   "go    yes\n",
		   "event", "list");
	cr_assert_eq(CLI(&r, "-j", "event", "list"), 0);
	got = test_json(r.out);
	want = rpc("event.list", "{}");
	cr_assert(json_equal(got, json_object_get(want, "events")),
		  "stdout: %s", r.out);
	json_decref(got);
	json_decref(want);
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "event", "info", "go"), 0, "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.out, "name: go\n"), "stdout: %s", r.out);
	cr_assert_not_null(strstr(r.out, "set: true\n"), "stdout: %s", r.out);
	cr_assert_not_null(strstr(r.out, "waiters: 0\n"), "stdout: %s", r.out);
	test_run_free(&r);
	CLI_OK_OUT("", "event", "clear", "go");
	CLI_OK_JSON("{\"name\":\"go\",\"set\":false,\"waiters\":0}\n", "-j",
		    "event", "info", "go");
	CLI_OK_OUT("", "event", "delete", "go");
	CLI_FAILS(4, "event wait", "not_found", "event", "wait", "go");
	CLI_FAILS(4, "event set", "not_found", "event", "set", "go");
	CLI_FAILS(4, "event clear", "not_found", "event", "clear", "go");
	mpdd_stop_all(&d);
}

/* A waiter in another process returns once the event is set; one waiting
 * on an event deleted under it exits 6. */
Test(cli_sync, event_wait_returns_when_another_process_sets_it)
{
	pid_t a, b;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "event", "create", "go");
	a = SPAWN("a.out", "a.err", "event", "wait", "go", "--timeout", "20");
	b = SPAWN("b.out", "b.err", "-j", "event", "wait", "go", "--timeout",
		  "20");
	wait_parked("event", "go", "waiters", 2);
	CLI_OK_OUT("{\"woken\":2}\n", "-j", "event", "set", "go");
	assert_exits(a, 0);
	assert_exits(b, 0);
	{
		char *p = test_in_dir(&d, "b.out"), *text = slurp(p);

		cr_assert_str_eq(text, "{\"set\":true}\n");
		free(text);
		free(p);
	}
	CLI_OK_OUT("", "event", "clear", "go");
	a = SPAWN(NULL, "c.err", "event", "wait", "go");
	wait_parked("event", "go", "waiters", 1);
	CLI_OK_OUT("", "event", "delete", "go");
	assert_exits(a, 6);
	{
		char *p = test_in_dir(&d, "c.err"), *text = slurp(p);

		test_assert_error_line(text, "event wait", "closed");
		free(text);
		free(p);
	}
	mpdd_stop_all(&d);
}

Test(cli_sync, condition_create_notify_wait_info_list_and_delete)
{
	struct run_result r;
	json_t *got, *want;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("NAME  LOCK\n", "condition", "list");
	CLI_OK_OUT("", "condition", "create", "own");
	CLI_FAILS(4, "condition create", "not_found", "condition", "create",
		  "c", "--lock", "db");
	CLI_OK_OUT("", "lock", "create", "db");
	CLI_OK_JSON("{\"name\":\"c\",\"lock\":\"db\",\"created\":true}\n", "-j",
		    "condition", "create", "c", "--lock", "db");
	CLI_FAILS(1, "condition create", "exists", "condition", "create", "c",
		  "--lock", "db");
	CLI_OK_OUT("", "condition", "create", "c", "--lock", "db",
		   "--exist-ok");
	CLI_FAILS(1, "condition create", "invalid_state", "condition", "create",
		  "c", "--exist-ok");
	CLI_FAILS(1, "lock delete", "invalid_state", "lock", "delete", "db");
	CLI_OK_OUT("NAME  LOCK\n"
		   "c     db\n"
		   "own   -\n",
		   "condition", "list");
	cr_assert_eq(CLI(&r, "-j", "condition", "list"), 0);
	got = test_json(r.out);
	want = rpc("condition.list", "{}");
	cr_assert(json_equal(got, json_object_get(want, "conditions")),
		  "stdout: %s", r.out);
	json_decref(got);
	json_decref(want);
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "-j", "condition", "info", "c"), 0);
	got = test_json(r.out);
	want = rpc("condition.info", "{\"name\":\"c\"}");
	cr_assert(json_equal(got, want), "stdout: %s", r.out);
	json_decref(got);
	json_decref(want);
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "condition", "info", "own"), 0);
	cr_assert_not_null(strstr(r.out, "waiters: 0\n"), "stdout: %s", r.out);
	test_run_free(&r);

	/* Nobody waits: a notify wakes nobody; a wait times out. */
	CLI_OK_OUT("", "condition", "notify", "c");
	CLI_OK_OUT("{\"woken\":0}\n", "-j", "condition", "notify", "own",
		   "--all");
	CLI_EXIT(5, "",
		 "mpd-cli: condition wait: c was not notified after 0.1 s\n",
		 "condition", "wait", "c", "--timeout", "0.1");
	CLI_EXIT(5, "{\"notified\":false}\n",
		 "mpd-cli: condition wait: own was not notified after 0 s\n",
		 "-j", "condition", "wait", "own", "--timeout", "0");
	/* Each gave the lock back. */
	cr_assert(!info_bool("lock", "db", "locked"));
	cr_assert(!info_bool("condition", "own", "locked"));

	CLI_OK_OUT("{}\n", "-j", "condition", "delete", "c");
	CLI_OK_OUT("", "lock", "delete", "db");
	CLI_OK_OUT("", "condition", "delete", "own");
	CLI_FAILS(4, "condition notify", "not_found", "condition", "notify",
		  "own");
	CLI_FAILS(4, "condition wait", "not_found", "condition", "wait", "own");
	CLI_FAILS(4, "condition info", "not_found", "condition", "info", "own");
	mpdd_stop_all(&d);
}

/* A notify from one process wakes a wait in another; --all and -n N wake
 * that many; a notify waits for the lock, at most its --timeout. */
Test(cli_sync, condition_notify_wakes_waiters_in_other_processes)
{
	pid_t w[3];
	int fd;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "lock", "create", "db");
	CLI_OK_OUT("", "condition", "create", "ready", "--lock", "db");
	w[0] = SPAWN("w0.out", NULL, "-j", "condition", "wait", "ready",
		     "--timeout", "20");
	wait_parked("condition", "ready", "waiters", 1);
	CLI_OK_OUT("{\"woken\":1}\n", "-j", "condition", "notify", "ready");
	assert_exits(w[0], 0);
	{
		char *p = test_in_dir(&d, "w0.out"), *text = slurp(p);

		cr_assert_str_eq(text, "{\"notified\":true}\n");
		free(text);
		free(p);
	}
	for (int i = 0; i < 3; i++)
		w[i] = SPAWN(NULL, NULL, "condition", "wait", "ready",
			     "--timeout", "20");
	wait_parked("condition", "ready", "waiters", 3);
	CLI_OK_OUT("{\"woken\":2}\n", "-j", "condition", "notify", "ready",
		   "-n", "2");
	wait_parked("condition", "ready", "waiters", 1);
	CLI_OK_OUT("{\"woken\":1}\n", "-j", "condition", "notify", "ready",
		   "--all");
	for (int i = 0; i < 3; i++)
		assert_exits(w[i], 0);
	cr_assert(!info_bool("lock", "db", "locked"));

	/* The lock held elsewhere: notify waits for it, at most --timeout. */
	fd = test_connect(d.socket);
	raw_acquire(fd, "db");
	CLI_EXIT(5, "",
		 "mpd-cli: condition notify: the lock of ready is still held "
		 "after 0 s\n",
		 "condition", "notify", "ready", "--timeout", "0");
	CLI_EXIT(5, "",
		 "mpd-cli: condition wait: the lock of ready is still held "
		 "after 0.1 s\n",
		 "condition", "wait", "ready", "--timeout", "0.1");
	raw_release(fd, "db");
	test_forget(fd);
	close(fd);
	mpdd_stop_all(&d);
}

Test(cli_sync, barrier_create_info_list_abort_reset_and_delete)
{
	struct run_result r;
	json_t *got, *want;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("NAME  PARTIES  WAITING  BROKEN\n", "barrier", "list");
	CLI_OK_OUT("", "barrier", "create", "start", "--parties", "3");
	CLI_OK_JSON("{\"name\":\"one\",\"parties\":1,\"timeout\":null,"
		    "\"created\":true}\n",
		    "-j", "barrier", "create", "one", "--parties", "1");
	CLI_FAILS(1, "barrier create", "exists", "barrier", "create", "start",
		  "--parties", "3");
	CLI_OK_OUT("", "barrier", "create", "start", "--parties", "3",
		   "--exist-ok");
	CLI_FAILS(1, "barrier create", "invalid_state", "barrier", "create",
		  "start", "--parties", "2", "--exist-ok");
	/* One party: every wait passes at once, index 0. */
	CLI_OK_OUT("0\n", "barrier", "wait", "one");
	CLI_OK_OUT("{\"index\":0}\n", "-j", "barrier", "wait", "one");
	CLI_OK_OUT("NAME   PARTIES  WAITING  BROKEN\n"
		   "one    1        0        no\n"
		   "start  3        0        no\n",
		   "barrier", "list");
	cr_assert_eq(CLI(&r, "-j", "barrier", "list"), 0);
	got = test_json(r.out);
	want = rpc("barrier.list", "{}");
	cr_assert(json_equal(got, json_object_get(want, "barriers")),
		  "stdout: %s", r.out);
	json_decref(got);
	json_decref(want);
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "barrier", "info", "start"), 0);
	cr_assert_not_null(strstr(r.out, "parties: 3\n"), "stdout: %s", r.out);
	cr_assert_not_null(strstr(r.out, "broken: false\n"), "stdout: %s",
			   r.out);
	test_run_free(&r);

	/* A wait that times out breaks it for everyone, until a reset. */
	CLI_FAILS(7, "barrier wait", "broken", "barrier", "wait", "start",
		  "--timeout", "0.1");
	cr_assert(info_bool("barrier", "start", "broken"));
	CLI_FAILS(7, "barrier wait", "broken", "barrier", "wait", "start");
	CLI_OK_OUT("{\"woken\":0}\n", "-j", "barrier", "reset", "start");
	cr_assert(!info_bool("barrier", "start", "broken"));
	CLI_OK_OUT("", "barrier", "abort", "start");
	CLI_FAILS(7, "barrier wait", "broken", "barrier", "wait", "start",
		  "--timeout", "20");
	CLI_OK_OUT("", "barrier", "reset", "start");

	CLI_OK_OUT("{}\n", "-j", "barrier", "delete", "start");
	CLI_OK_OUT("", "barrier", "delete", "one");
	CLI_FAILS(4, "barrier wait", "not_found", "barrier", "wait", "one");
	CLI_FAILS(4, "barrier abort", "not_found", "barrier", "abort", "one");
	CLI_FAILS(4, "barrier info", "not_found", "barrier", "info", "one");
	mpdd_stop_all(&d);
}

/* N parties in N processes: each prints its index, together 0..N-1; an
 * abort breaks the waits of a round not yet full (exit 7). */
Test(cli_sync, barrier_wait_of_n_processes_prints_indexes_0_to_n_minus_1)
{
	char file[32], *path, *text;
	bool seen[4] = { false };
	pid_t pids[4];

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "barrier", "create", "start", "--parties", "4");
	for (int i = 0; i < 4; i++) {
		snprintf(file, sizeof(file), "w%d.out", i);
		pids[i] = SPAWN(file, NULL, "barrier", "wait", "start",
				"--timeout", "20");
	}
	for (int i = 0; i < 4; i++) {
		assert_exits(pids[i], 0);
		snprintf(file, sizeof(file), "w%d.out", i);
		path = test_in_dir(&d, file);
		text = slurp(path);
		cr_assert(strlen(text) == 2 && text[0] >= '0' &&
				  text[0] <= '3' && text[1] == '\n',
			  "printed '%s'", text);
		cr_assert(!seen[text[0] - '0'], "index %c twice", text[0]);
		seen[text[0] - '0'] = true;
		free(text);
		free(path);
	}
	for (int i = 0; i < 2; i++)
		pids[i] = SPAWN(NULL, "abort.err", "barrier", "wait", "start",
				"--timeout", "20");
	wait_parked("barrier", "start", "n_waiting", 2);
	CLI_OK_OUT("{\"woken\":2}\n", "-j", "barrier", "abort", "start");
	for (int i = 0; i < 2; i++)
		assert_exits(pids[i], 7);
	mpdd_stop_all(&d);
}

Test(cli_sync, json_errors_are_an_object_on_stdout)
{
	struct run_result r;
	json_t *o, *e;

	mpdd_start(&d, NULL);
	cr_assert_eq(CLI(&r, "-j", "lock", "run", "nope", "--", "true"), 4);
	o = test_json(r.out);
	e = json_object_get(o, "error");
	cr_assert_eq(test_int(e, "code"), 1);
	cr_assert_str_eq(json_string_value(json_object_get(e, "name")),
			 "not_found");
	json_decref(o);
	test_assert_error_line(r.err, "lock run", "not_found");
	test_run_free(&r);
	CLI_OK_OUT("", "barrier", "create", "b", "--parties", "2");
	CLI_OK_OUT("", "barrier", "abort", "b");
	cr_assert_eq(CLI(&r, "-j", "barrier", "wait", "b"), 7);
	o = test_json(r.out);
	e = json_object_get(o, "error");
	cr_assert_eq(test_int(e, "code"), 10);
	cr_assert_str_eq(json_string_value(json_object_get(e, "name")),
			 "broken");
	json_decref(o);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

/* Every sync command needs the daemon: status 3, the socket named. */
ParameterizedTestParameters(cli_sync, no_daemon_exits_3_naming_the_socket)
{
	static struct test_unreachable_case cases[] = {
		{ { "lock", "create", "l" } },
		{ { "lock", "run", "l", "--", "true" } },
		{ { "lock", "info", "l" } },
		{ { "lock", "delete", "l" } },
		{ { "lock", "list" } },
		{ { "semaphore", "create", "s", "--value", "2" } },
		{ { "semaphore", "run", "s", "--timeout", "1", "--", "true" } },
		{ { "semaphore", "release", "s", "-n", "2" } },
		{ { "semaphore", "info", "s" } },
		{ { "semaphore", "delete", "s" } },
		{ { "semaphore", "list" } },
		{ { "event", "create", "e" } },
		{ { "event", "set", "e" } },
		{ { "event", "clear", "e" } },
		{ { "event", "wait", "e", "--timeout", "1" } },
		{ { "event", "info", "e" } },
		{ { "event", "delete", "e" } },
		{ { "event", "list" } },
		{ { "condition", "create", "c", "--lock", "l" } },
		{ { "condition", "notify", "c", "--all" } },
		{ { "condition", "wait", "c" } },
		{ { "condition", "info", "c" } },
		{ { "condition", "delete", "c" } },
		{ { "condition", "list" } },
		{ { "barrier", "create", "b", "--parties", "2" } },
		{ { "barrier", "wait", "b" } },
		{ { "barrier", "abort", "b" } },
		{ { "barrier", "reset", "b" } },
		{ { "barrier", "info", "b" } },
		{ { "barrier", "delete", "b" } },
		{ { "barrier", "list" } },
	};

	return cr_make_param_array(struct test_unreachable_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct test_unreachable_case *tc, cli_sync,
		  no_daemon_exits_3_naming_the_socket)
{
	test_unreachable_run(&d, tc, cli_environ(), NULL);
}

/* --help at every level: usage on stdout, status 0, nothing on stderr. */
ParameterizedTestParameters(cli_sync, help_at_every_level_exits_0)
{
	static struct test_help_case cases[] = {
		{ { "lock", "--help" },
		  "Usage: mpd-cli [OPTIONS] lock COMMAND\n",
		  "\n  run NAME -- CMD... " },
		{ { "help", "lock" },
		  "Usage: mpd-cli [OPTIONS] lock COMMAND\n",
		  "\n  create NAME [OPTIONS] " },
		{ { "lock", "create", "--help" },
		  "Usage: mpd-cli [OPTIONS] lock create NAME [OPTIONS]\n",
		  "\n      --recursive " },
		{ { "lock", "run", "--help" },
		  "Usage: mpd-cli [OPTIONS] lock run NAME -- CMD...\n",
		  "\n      --lease S " },
		{ { "help", "lock", "run" },
		  "Usage: mpd-cli [OPTIONS] lock run NAME -- CMD...\n",
		  "\n      --quiet " },
		{ { "lock", "run", "db", "-h" },
		  "Usage: mpd-cli [OPTIONS] lock run NAME -- CMD...\n",
		  "Exit status: CMD's (128+N when" },
		{ { "lock", "info", "--help" },
		  "Usage: mpd-cli [OPTIONS] lock info NAME\n",
		  "abandoned" },
		{ { "lock", "delete", "--help" },
		  "Usage: mpd-cli [OPTIONS] lock delete NAME\n",
		  "" },
		{ { "lock", "list", "--help" },
		  "Usage: mpd-cli [OPTIONS] lock list\n",
		  "NAME RECURSIVE" },
		{ { "semaphore", "--help" },
		  "Usage: mpd-cli [OPTIONS] semaphore COMMAND\n",
		  "\n  release NAME [-n N] " },
		{ { "semaphore", "create", "--help" },
		  "Usage: mpd-cli [OPTIONS] semaphore create NAME [OPTIONS]\n",
		  "\n      --bounded " },
		{ { "semaphore", "run", "--help" },
		  "Usage: mpd-cli [OPTIONS] semaphore run NAME -- CMD...\n",
		  "\n      --timeout S " },
		{ { "semaphore", "release", "--help" },
		  "Usage: mpd-cli [OPTIONS] semaphore release NAME [-n N]\n",
		  "\n  -n, --permits N " },
		{ { "semaphore", "info", "--help" },
		  "Usage: mpd-cli [OPTIONS] semaphore info NAME\n",
		  "" },
		{ { "semaphore", "delete", "--help" },
		  "Usage: mpd-cli [OPTIONS] semaphore delete NAME\n",
		  "" },
		{ { "semaphore", "list", "--help" },
		  "Usage: mpd-cli [OPTIONS] semaphore list\n",
		  "" },
		{ { "event", "--help" },
		  "Usage: mpd-cli [OPTIONS] event COMMAND\n",
		  "\n  wait NAME [--timeout S] " },
		{ { "event", "create", "--help" },
		  "Usage: mpd-cli [OPTIONS] event create NAME [--exist-ok]\n",
		  "" },
		{ { "event", "set", "--help" },
		  "Usage: mpd-cli [OPTIONS] event set NAME\n",
		  "" },
		{ { "event", "clear", "--help" },
		  "Usage: mpd-cli [OPTIONS] event clear NAME\n",
		  "" },
		{ { "event", "wait", "--help" },
		  "Usage: mpd-cli [OPTIONS] event wait NAME [--timeout S]\n",
		  "Exit 0 when it was set, 5 when" },
		{ { "event", "info", "--help" },
		  "Usage: mpd-cli [OPTIONS] event info NAME\n",
		  "" },
		{ { "event", "delete", "--help" },
		  "Usage: mpd-cli [OPTIONS] event delete NAME\n",
		  "" },
		{ { "event", "list", "--help" },
		  "Usage: mpd-cli [OPTIONS] event list\n",
		  "" },
		{ { "condition", "--help" },
		  "Usage: mpd-cli [OPTIONS] condition COMMAND\n",
		  "\n  notify NAME [OPTIONS] " },
		{ { "condition", "create", "--help" },
		  "Usage: mpd-cli [OPTIONS] condition create NAME [OPTIONS]\n",
		  "\n      --lock LOCK " },
		{ { "condition", "notify", "--help" },
		  "Usage: mpd-cli [OPTIONS] condition notify NAME [OPTIONS]\n",
		  "\n  -n, --waiters N " },
		{ { "condition", "wait", "--help" },
		  "Usage: mpd-cli [OPTIONS] condition wait NAME [--timeout S]\n",
		  "" },
		{ { "condition", "info", "--help" },
		  "Usage: mpd-cli [OPTIONS] condition info NAME\n",
		  "" },
		{ { "condition", "delete", "--help" },
		  "Usage: mpd-cli [OPTIONS] condition delete NAME\n",
		  "" },
		{ { "condition", "list", "--help" },
		  "Usage: mpd-cli [OPTIONS] condition list\n",
		  "" },
		{ { "barrier", "--help" },
		  "Usage: mpd-cli [OPTIONS] barrier COMMAND\n",
		  "\n  wait NAME [--timeout S] " },
		{ { "barrier", "create", "--help" },
		  "Usage: mpd-cli [OPTIONS] barrier create NAME --parties N\n",
		  "\n      --parties N " },
		{ { "barrier", "wait", "--help" },
		  "Usage: mpd-cli [OPTIONS] barrier wait NAME [--timeout S]\n",
		  "Exit 7 when" },
		{ { "barrier", "abort", "--help" },
		  "Usage: mpd-cli [OPTIONS] barrier abort NAME\n",
		  "" },
		{ { "barrier", "reset", "--help" },
		  "Usage: mpd-cli [OPTIONS] barrier reset NAME\n",
		  "" },
		{ { "barrier", "info", "--help" },
		  "Usage: mpd-cli [OPTIONS] barrier info NAME\n",
		  "" },
		{ { "barrier", "delete", "--help" },
		  "Usage: mpd-cli [OPTIONS] barrier delete NAME\n",
		  "" },
		{ { "help", "barrier", "list" },
		  "Usage: mpd-cli [OPTIONS] barrier list\n",
		  "" },
	};

	return cr_make_param_array(struct test_help_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct test_help_case *tc, cli_sync,
		  help_at_every_level_exits_0)
{
	test_help_run(&d, tc, cli_environ(), 80);
}

Test(cli_sync, top_help_lists_the_sync_commands_and_exit_statuses)
{
	static const char *const lines[] = {
		"\n  lock create NAME [OPTIONS] ",
		"\n  lock run NAME -- CMD... ",
		"\n  lock info NAME ",
		"\n  lock delete NAME ",
		"\n  lock list ",
		"\n  semaphore create NAME [OPTIONS] ",
		"\n  semaphore run NAME -- CMD... ",
		"\n  semaphore release NAME [-n N] ",
		"\n  semaphore info NAME ",
		"\n  semaphore delete NAME ",
		"\n  semaphore list ",
		"\n  event create NAME [--exist-ok] ",
		"\n  event set NAME ",
		"\n  event clear NAME ",
		"\n  event wait NAME [--timeout S] ",
		"\n  event info NAME ",
		"\n  event delete NAME ",
		"\n  event list ",
		"\n  condition create NAME [OPTIONS] ",
		"\n  condition notify NAME [OPTIONS] ",
		"\n  condition wait NAME [--timeout S] ",
		"\n  condition info NAME ",
		"\n  condition delete NAME ",
		"\n  condition list ",
		"\n  barrier create NAME --parties N ",
		"\n  barrier wait NAME [--timeout S] ",
		"\n  barrier abort NAME ",
		"\n  barrier reset NAME ",
		"\n  barrier info NAME ",
		"\n  barrier delete NAME ",
		"\n  barrier list ",
		"\n  mpd-cli lock run db -- ./migrate ",
		"; 4 no such object; 5 the wait ended\nfirst (timeout, empty, "
		"full); 6 closed (or deleted while waiting); 7 the\nbarrier "
		"is broken. run, lock run and semaphore run exit with their "
		"program's\nstatus (128+N when signal N ended it); lock run and "
		"semaphore run exit 5 when\ntheir --timeout passed, run 124 "
		"when its --timeout passed, 127 when it\ncould not be "
		"started.\n",
	};
	struct run_result r;

	mpdd_init(&d);
	cr_assert_eq(CLI(&r, "--help"), 0, "stderr: %s", r.err);
	test_assert_has_all(r.out, lines, sizeof(lines) / sizeof(lines[0]));
	test_assert_columns(r.out, 80);
	test_run_free(&r);
}

/* Usage errors: status 2, one line naming the help to read. */
ParameterizedTestParameters(cli_sync, usage_errors_exit_2_with_one_line)
{
	static struct test_usage_case cases[] = {
		{ { "lock" },
		  "mpd-cli: lock: missing command. Try 'mpd-cli lock "
		  "--help'.\n" },
		{ { "lokc", "list" },
		  "mpd-cli: unknown command 'lokc' (did you mean 'lock'?). Try "
		  "'mpd-cli --help'.\n" },
		{ { "semaphore", "relase", "s" },
		  "mpd-cli: unknown command 'relase' (did you mean "
		  "'release'?). Try 'mpd-cli semaphore --help'.\n" },
		{ { "barrier", "wiat", "b" },
		  "mpd-cli: unknown command 'wiat' (did you mean 'wait'?). Try "
		  "'mpd-cli barrier --help'.\n" },
		{ { "lock", "create" },
		  "mpd-cli: lock create: missing arguments. Try 'mpd-cli lock "
		  "create --help'.\n" },
		{ { "lock", "create", TEST_EMPTY_ARG },
		  "mpd-cli: lock create: NAME is empty. Try 'mpd-cli lock "
		  "create --help'.\n" },
		{ { "lock", "create", "l", "--bounded" },
		  "mpd-cli: unknown option '--bounded'. Try 'mpd-cli lock "
		  "create --help'.\n" },
		{ { "lock", "run" },
		  "mpd-cli: lock run: missing arguments. Try 'mpd-cli lock run "
		  "--help'.\n" },
		{ { "lock", "run", "db" },
		  "mpd-cli: lock run: missing CMD. Try 'mpd-cli lock run "
		  "--help'.\n" },
		{ { "lock", "run", "db", "--" },
		  "mpd-cli: lock run: missing CMD. Try 'mpd-cli lock run "
		  "--help'.\n" },
		{ { "lock", "run", TEST_EMPTY_ARG, "--", "true" },
		  "mpd-cli: lock run: NAME is empty. Try 'mpd-cli lock run "
		  "--help'.\n" },
		{ { "lock", "run", "db", "--timeout", "x", "--", "true" },
		  "mpd-cli: lock run: --timeout takes a number of seconds >= "
		  "0, not 'x'. Try 'mpd-cli lock run --help'.\n" },
		{ { "lock", "run", "db", "--lease", "0", "--", "true" },
		  "mpd-cli: lock run: --lease takes a number of seconds > 0, "
		  "not '0'. Try 'mpd-cli lock run --help'.\n" },
		{ { "lock", "run", "db", "--lease", "-1", "--", "true" },
		  "mpd-cli: lock run: --lease takes a number of seconds > 0, "
		  "not '-1'. Try 'mpd-cli lock run --help'.\n" },
		{ { "lock", "run", "db", "--lease", "0x10", "--", "true" },
		  "mpd-cli: lock run: --lease takes a number of seconds > 0, "
		  "not '0x10'. Try 'mpd-cli lock run --help'.\n" },
		{ { "lock", "run", "db", "--timeout", " 1", "--", "true" },
		  "mpd-cli: lock run: --timeout takes a number of seconds >= "
		  "0, not ' 1'. Try 'mpd-cli lock run --help'.\n" },
		{ { "event", "wait", "e", "--timeout", "1e-400" },
		  "mpd-cli: event wait: --timeout takes a number of seconds >= "
		  "0, not '1e-400'. Try 'mpd-cli event wait --help'.\n" },
		{ { "event", "wait", "e", "--timeout", "inf" },
		  "mpd-cli: event wait: --timeout takes a number of seconds >= "
		  "0, not 'inf'. Try 'mpd-cli event wait --help'.\n" },
		{ { "lock", "run", "db", "ls", "-l" },
		  "mpd-cli: unknown option '-l'. Try 'mpd-cli lock run "
		  "--help'.\n" },
		{ { "lock", "list", "x" },
		  "mpd-cli: lock list: too many arguments. Try 'mpd-cli lock "
		  "list --help'.\n" },
		{ { "semaphore", "create", "s", "--value", "-1" },
		  "mpd-cli: semaphore create: --value -1 is out of range. Try "
		  "'mpd-cli semaphore create --help'.\n" },
		{ { "semaphore", "create", "s", "--value", "two" },
		  "mpd-cli: semaphore create: --value takes an integer, not "
		  "'two'. Try 'mpd-cli semaphore create --help'.\n" },
		{ { "semaphore", "release", "s", "-n", "0" },
		  "mpd-cli: semaphore release: -n 0 is out of range. Try "
		  "'mpd-cli semaphore release --help'.\n" },
		{ { "semaphore", "release", "s", "-n", "x" },
		  "mpd-cli: semaphore release: -n takes an integer, not 'x'. "
		  "Try 'mpd-cli semaphore release --help'.\n" },
		{ { "semaphore", "release", "s", "-n" },
		  "mpd-cli: option '-n' needs an argument. Try 'mpd-cli "
		  "semaphore release --help'.\n" },
		{ { "semaphore", "run", "s", "--timeout", "1" },
		  "mpd-cli: semaphore run: missing CMD. Try 'mpd-cli semaphore "
		  "run --help'.\n" },
		{ { "event", "wait", "e", "--timeout", "-1" },
		  "mpd-cli: event wait: --timeout takes a number of seconds >= "
		  "0, not '-1'. Try 'mpd-cli event wait --help'.\n" },
		{ { "event", "set" },
		  "mpd-cli: event set: missing arguments. Try 'mpd-cli event "
		  "set --help'.\n" },
		{ { "event", "clear", "a", "b" },
		  "mpd-cli: event clear: too many arguments. Try 'mpd-cli "
		  "event clear --help'.\n" },
		{ { "condition", "create", "c", "--lock", TEST_EMPTY_ARG },
		  "mpd-cli: condition create: --lock is empty. Try 'mpd-cli "
		  "condition create --help'.\n" },
		{ { "condition", "notify", "c", "-n", "2", "--all" },
		  "mpd-cli: condition notify: give -n or --all, not both. Try "
		  "'mpd-cli condition notify --help'.\n" },
		{ { "condition", "notify", "c", "-n", "0" },
		  "mpd-cli: condition notify: -n 0 is out of range. Try "
		  "'mpd-cli condition notify --help'.\n" },
		{ { "condition", "wait", "c", "--timeout", "later" },
		  "mpd-cli: condition wait: --timeout takes a number of "
		  "seconds >= 0, not 'later'. Try 'mpd-cli condition wait "
		  "--help'.\n" },
		{ { "barrier", "create", "b" },
		  "mpd-cli: barrier create: --parties is required. Try "
		  "'mpd-cli barrier create --help'.\n" },
		{ { "barrier", "create", "b", "--parties", "0" },
		  "mpd-cli: barrier create: --parties 0 is out of range. Try "
		  "'mpd-cli barrier create --help'.\n" },
		{ { "barrier", "create", "b", "--parties", "x" },
		  "mpd-cli: barrier create: --parties takes an integer, not "
		  "'x'. Try 'mpd-cli barrier create --help'.\n" },
		{ { "barrier", "create", "b", "--parties", "2", "--timeout",
		    "x" },
		  "mpd-cli: barrier create: --timeout takes a number of "
		  "seconds >= 0, not 'x'. Try 'mpd-cli barrier create "
		  "--help'.\n" },
		{ { "barrier", "wait", "b", "--timeout", "soon" },
		  "mpd-cli: barrier wait: --timeout takes a number of seconds "
		  ">= 0, not 'soon'. Try 'mpd-cli barrier wait --help'.\n" },
		{ { "barrier", "abort" },
		  "mpd-cli: barrier abort: missing arguments. Try 'mpd-cli "
		  "barrier abort --help'.\n" },
	};

	return cr_make_param_array(struct test_usage_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct test_usage_case *tc, cli_sync,
		  usage_errors_exit_2_with_one_line)
{
	test_usage_run(&d, tc, cli_environ());
}
