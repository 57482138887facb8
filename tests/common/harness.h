/*
 * harness.h - shared fixtures for the integration and CLI tests.
 *
 * Every test that needs a daemon starts its own real mpdd (the binary this
 * build produced) on a socket in a fresh temporary directory, and waits for
 * the daemon to say it is ready over a pipe (--ready-fd): no sleeps, no
 * polling, no system-wide daemon. The daemon gets PR_SET_PDEATHSIG, so a
 * crashed test never leaves one behind.
 */
#ifndef MPD_TEST_HARNESS_H
#define MPD_TEST_HARNESS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/un.h>

#include <jansson.h>

/* Generous: tests wait on events, the timeout only bounds a hang. */
#define TEST_TIMEOUT_MS 20000

struct mpdd {
	pid_t pid;
	char dir[PATH_MAX - 64]; /* temp dir holding the socket and the log */
	char socket[PATH_MAX]; /* dir/mpd.sock */
	char log[PATH_MAX]; /* dir/mpdd.log: the daemon's stderr */
};

/* Path of a built binary: "daemon/mpdd", "client/cli/mpd-cli". Static
 * buffer per call site is not needed: returns a malloc'd string. */
char *test_built(const char *relpath);

/* Make a fresh temp dir and set d's paths; no daemon yet. */
void mpdd_init(struct mpdd *d);

/*
 * Start mpdd with -v, --socket in a fresh temp dir, and the extra args
 * (NULL-terminated list, may be NULL). Returns once the daemon is ready;
 * fails the test (cr_assert) if it exits or does not become ready in time.
 */
void mpdd_start(struct mpdd *d, const char *const *extra);

/* Like mpdd_start(), in the dir d already has (after mpdd_init() or a
 * daemon that was killed). */
void mpdd_start_in(struct mpdd *d, const char *const *extra);

/* Like mpdd_start_in(), but without the harness's --socket argument and
 * with env ("K=V" strings, NULL-terminated, may be NULL) added to the
 * daemon's environment: for the default socket path rules. */
void mpdd_start_env(struct mpdd *d, const char *const *extra,
		    const char *const *env);

/* Like mpdd_start(), with a new pseudo-terminal as the daemon's
 * controlling terminal (in a session of its own), as when it is started
 * from a terminal. Returns the pty's master side, to keep open while the
 * daemon runs (closing it hangs the terminal up) and close after. */
int mpdd_start_tty(struct mpdd *d, const char *const *extra);

/* Like mpdd_start_in(), running the daemon as uid (and gid uid) with
 * RLIMIT_NPROC nproc. Needs root. */
void mpdd_start_limited(struct mpdd *d, uid_t uid, unsigned nproc);
/* Like mpdd_start(), running a copy of the daemon binary, dir/mpdd, which
 * a test may then remove or replace (as a package upgrade does). */
void mpdd_start_copy(struct mpdd *d, const char *const *extra);

/* Like mpdd_start(), with RLIMIT_NOFILE set to soft and hard in the
 * daemon before its exec. */
void mpdd_start_nofile(struct mpdd *d, const char *const *extra, unsigned soft,
		       unsigned hard);

/*
 * Start mpdd like mpdd_start() but without waiting: returns the child's
 * exit status once it exits, for tests of start-up failures. Waits at most
 * TEST_TIMEOUT_MS (then fails the test).
 */
int mpdd_run_to_exit(struct mpdd *d, const char *const *extra);

/*
 * For each of the n values: start mpdd (in a fresh dir) with option and
 * that value, and check that it refuses to start and names the option in
 * its log.
 */
void mpdd_assert_refused(const char *option, const char *const *values,
			 size_t n);

/* Send sig to the daemon and wait for it; returns the wait status. */
int mpdd_signal_wait(struct mpdd *d, int sig);

/*
 * SIGTERM the daemon, wait, assert it exited with status 0 (under the
 * sanitizer build that includes "no leaks"), assert the socket file was
 * removed, then remove the temp dir.
 */
void mpdd_stop(struct mpdd *d);

/* Kill and join every process of d's daemon still starting or running,
 * so no worker outlives its test (used by teardowns). */
void mpdd_kill_workers(struct mpdd *d);

/* Remove the temp dir and everything in it. */
void mpdd_cleanup(struct mpdd *d);

/* mpdd_kill_workers(), then mpdd_stop(): mpdd leaves its workers running
 * when it stops (only daemonic ones are terminated), and a worker that
 * outlives its test keeps the test's output open. */
void mpdd_stop_all(struct mpdd *d);

/* For teardowns: kill the workers of d's daemon if it still answers (a
 * test that failed midway), then mpdd_cleanup(). */
void mpdd_teardown(struct mpdd *d);

/* Descriptors open in process pid (from /proc); fails the test when it
 * cannot tell. */
int test_count_fds(pid_t pid);

/*
 * Start a worker of the test module (MPD_TEST_MODULE) that makes call
 * (method, params: stolen) and holds on; fork as its call_and_hold takes
 * it: "none", "after" (a child keeps the worker's connection open too),
 * "before" (a child makes the call). Returns the worker's id; *line gets
 * what it printed (the call's result and the child's pid), a new
 * reference.
 */
long long test_start_holder(int fd, const char *method, json_t *params,
			    const char *fork, json_t **line);

/* Resident memory of process pid (VmRSS), in KiB; fails the test when it
 * cannot tell. */
long test_rss_kib(pid_t pid);

/* Do the tests run under the sanitizers (MPD_TEST_SANITIZE)? Their
 * quarantine makes memory figures meaningless. */
bool test_sanitized(void);

/* Contents of the daemon's log so far (malloc'd, NUL-terminated). */
char *mpdd_log(const struct mpdd *d);

/* Connect a raw SOCK_STREAM socket to path; fails the test on error. */
int test_connect(const char *path);
/* Same, returning -errno instead of failing. */
int test_try_connect(const char *path);

/* Write all of buf; fails the test on error. */
void test_send(int fd, const void *buf, size_t len);
void test_send_str(int fd, const char *s);

/*
 * Read one line (without '\n') with a timeout. Returns a malloc'd string,
 * or NULL on EOF/ECONNRESET with nothing buffered. Fails the test on a
 * timeout. Lines are buffered per fd internally; call test_forget(fd)
 * before closing an fd.
 */
char *test_read_line(int fd, int timeout_ms);
void test_forget(int fd);
/* The oldest descriptor the daemon passed on fd (SCM_RIGHTS with a reply
 * test_read_line() read), now the caller's; -1 when none came. */
int test_take_fd(int fd);
/* Wait until the peer closes: returns 1 on EOF, fails on timeout. Data
 * arriving before EOF is discarded. */
int test_wait_eof(int fd, int timeout_ms);

/* Send a line (a '\n' is appended) and parse the one reply line. */
json_t *test_rpc_line(int fd, const char *line);

/*
 * Call method with params (stolen; NULL: none) on fd and return the whole
 * reply (a new reference). test_call_fds() sends fds with the request as
 * SCM_RIGHTS. Fails the test if no reply line comes.
 */
json_t *test_call(int fd, const char *method, json_t *params);
json_t *test_call_fds(int fd, const char *method, json_t *params,
		      const int *fds, int nfds);
/* reply's result, asserting it is a success (borrowed from reply). */
json_t *test_result(json_t *reply);
/* reply's error code, asserting it is an error; *name gets data.name. */
int test_error_code(json_t *reply, const char **name);
/* test_call() asserting success: the result (a new reference), or
 * nothing (test_ok0()). */
json_t *test_ok(int fd, const char *method, json_t *params);
void test_ok0(int fd, const char *method, json_t *params);
/* test_call() asserting it failed with the error named want; returns
 * its code. */
int test_fails(int fd, const char *method, json_t *params, const char *want);
/* {"name": name}, the params of most broker calls (a new reference). */
json_t *test_nm(const char *name);
/* A boolean member of obj, asserting it is one. */
bool test_bool(json_t *obj, const char *key);

/* Requests whose replies come later (they may park). Send one (params
 * stolen, NULL: none; id NULL: a notification) without reading. */
void test_send_call(int fd, const char *id, const char *method, json_t *params);
/* The next line on fd, which must be the reply to id (a new reference). */
json_t *test_reply_for(int fd, const char *id);
/* Its result, asserting success (a new reference). */
json_t *test_result_for(int fd, const char *id);
/* Everything sent on fd so far has been read and run, and nothing parked
 * on it answered: a ping's reply is the next line. */
void test_settle(int fd);
/* Close a test connection (and forget its buffered lines). */
void test_hang_up(int fd);
/* kind.info of name, as kind.info answers (a new reference). */
json_t *test_info(int fd, const char *kind, const char *name);
/* Ask kind.info of name until its key equals want (JSON text): for what
 * the daemon does on its own (a connection it sees close, a lease that
 * runs out). Fails after TEST_TIMEOUT_MS. */
void test_await_info(int fd, const char *kind, const char *name,
		     const char *key, const char *want);

/* Processes. process.create with "start": true of params (stolen);
 * returns the id. */
long long test_start_proc(int fd, json_t *params);
/* The same, with stdin a pipe whose writing end goes to *in. */
long long test_start_fed(int fd, json_t *params, int *in);
/* The params of "sh -c script" with stdout and stderr captured. */
json_t *test_sh_capture(const char *script);
/* method on process id, with params extra (stolen, may be NULL) beside
 * "id": the whole reply. */
json_t *test_call_id(int fd, const char *method, long long id, json_t *extra);
/* Read id's captured output until it ends, waiting for it. */
void test_wait_ended(int fd, long long id);
/* An integer member of an object (asserting it is an integer). */
long long test_int(json_t *obj, const char *key);
/* Integer key of the object section ("limits", "template") of the
 * daemon's daemon.info, asked on fd; fails the test when it is none. */
long long test_info_int(int fd, const char *section, const char *key);

/*
 * Call method with params (JSON text) over a fresh connection to socket.
 * Returns the result (a new reference), or NULL for an error reply when
 * may_fail; fails the test on an error reply otherwise.
 */
json_t *test_rpc_text(const char *socket, const char *method,
		      const char *params, bool may_fail);

/* Parse s as JSON (any value); fails the test if it is not. Returns a
 * new reference. */
json_t *test_json(const char *s);

/* Open a fresh connection, send daemon.ping and assert a valid result. */
void test_assert_ping(const char *socket);

/* Assert reply is an error response with this code and id (NULL: null). */
void test_assert_error(json_t *reply, int code, json_t *id);

/*
 * Run a program to completion with a timeout, capturing stdout and stderr.
 * argv[0] is a path. env_extra: "K=V" strings added to the environment
 * (NULL-terminated, may be NULL); "K=" with no value unsets K.
 * stdin_data (may be NULL) is written to its stdin, then closed.
 */
struct run_result {
	int status; /* wait status */
	char *out;
	char *err;
};
void test_run(struct run_result *r, const char *const *argv,
	      const char *const *env_extra, const char *stdin_data);
/* The same, for a run that may take longer than TEST_TIMEOUT_MS. */
void test_run_for(struct run_result *r, const char *const *argv,
		  const char *const *env_extra, const char *stdin_data,
		  int timeout_ms);
void test_run_free(struct run_result *r);

/* The most arguments test_cli() and test_cli_argv() take after their own. */
#define TEST_CLI_MAX_ARGS 24
/* The size of an argv for test_cli_argv(). */
#define TEST_CLI_ARGV_SIZE (TEST_CLI_MAX_ARGS + 4)

/*
 * Fill argv (TEST_CLI_ARGV_SIZE pointers) to run bin, the built mpd-cli
 * (test_built("client/cli/mpd-cli")), with "--socket SOCKET" when socket
 * is not NULL, then args (NULL-terminated). Fails the test when args are
 * more than TEST_CLI_MAX_ARGS.
 */
void test_cli_argv(const char **argv, char *bin, const char *socket,
		   const char *const *args);

/*
 * Run the built mpd-cli as test_cli_argv() puts it, with env added to its
 * environment as test_run() does (NULL: MPD_SOCKET unset) and stdin_data
 * on its stdin (NULL: empty). Returns its exit status; fails the test if
 * it did not exit.
 */
int test_cli(struct run_result *r, const char *socket, const char *const *args,
	     const char *const *env, const char *stdin_data);

/*
 * The arguments of a parameterized case. Criterion copies a case into the
 * test's process, so its strings are arrays, not pointers: count arrays
 * of size bytes from first, the list ending at the first empty one (or
 * after count). TEST_EMPTY_ARG stands for "". Fills args (count + 1
 * pointers, into the case) with them and a NULL; returns how many.
 */
#define TEST_EMPTY_ARG "<empty>"
int test_case_args(const char **args, const char *first, size_t count,
		   size_t size);

/* Assert that every line of text is at most max columns wide. */
void test_assert_columns(const char *text, size_t max);

/*
 * The cases of the parameterized tests every command family has. Their
 * strings are arrays (see test_case_args()): args the command's
 * arguments, the list ending at the first empty one.
 */
#define TEST_CASE_ARGS	   10
#define TEST_CASE_ARG_MAX  24
#define TEST_CASE_TEXT_MAX 200

/* A command that needs the daemon. */
struct test_unreachable_case {
	char args[TEST_CASE_ARGS][TEST_CASE_ARG_MAX];
};

/* --help at some level. */
struct test_help_case {
	char args[TEST_CASE_ARGS][TEST_CASE_ARG_MAX];
	char usage[TEST_CASE_TEXT_MAX]; /* the first line */
	char text[TEST_CASE_TEXT_MAX]; /* something its help says, or "" */
};

/* A usage error. */
struct test_usage_case {
	char args[TEST_CASE_ARGS][TEST_CASE_ARG_MAX];
	char err[TEST_CASE_TEXT_MAX]; /* the whole stderr */
};

/*
 * Each runs the case's command as test_cli() does, with env and
 * stdin_data, against d given a temp dir and no daemon (mpdd_init()),
 * and asserts what every command does there. Without a daemon: status 3,
 * nothing on stdout and one line on stderr naming the socket.
 */
void test_unreachable_run(struct mpdd *d,
			  const struct test_unreachable_case *tc,
			  const char *const *env, const char *stdin_data);

/* --help: status 0, nothing on stderr; stdout starts with the case's
 * usage, lists the global --socket option and says its text; its lines
 * are at most columns wide unless columns is 0. */
void test_help_run(struct mpdd *d, const struct test_help_case *tc,
		   const char *const *env, size_t columns);

/* A usage error is found before connecting: status 2, nothing on stdout
 * and exactly the case's err on stderr. */
void test_usage_run(struct mpdd *d, const struct test_usage_case *tc,
		    const char *const *env);

/* Assert that text holds each of the n strings of parts. */
void test_assert_has_all(const char *text, const char *const *parts, size_t n);

/*
 * Assert err is exactly one line "mpd-cli: CMD: MESSAGE (NAME)": a
 * daemon error, reported the way scripts can rely on. With name NULL,
 * "mpd-cli: CMD: MESSAGE": an error of mpd-cli's own.
 */
void test_assert_error_line(const char *err, const char *cmd, const char *name);

/* The path of file in d's temp dir (malloc'd). */
char *test_in_dir(const struct mpdd *d, const char *file);

/*
 * Start the built mpd-cli as test_cli_argv() puts it (--socket d's) in
 * the background: MPD_SOCKET unset, then the "K=V" strings env
 * (NULL-terminated, may be NULL) put in its environment; stdin the file
 * in, stdout and stderr appended to the files out and err (all in d's
 * temp dir, created if need be; NULL: /dev/null); SIGINT, SIGTERM,
 * SIGHUP and SIGPIPE at their defaults. Returns its pid; reap it with
 * test_wait_status().
 */
pid_t test_cli_spawn(const struct mpdd *d, const char *const *args,
		     const char *const *env, const char *in, const char *out,
		     const char *err);

/* Wait for the child pid; returns its wait status. */
int test_wait_status(pid_t pid);

/*
 * A scripted peer in place of mpdd, for what a real daemon never sends: a
 * forked child listening on socket, in a fresh temp dir (short, so that
 * the path fits a sockaddr_un), which runs serve(lfd, arg). serve accepts
 * the connections it wants and must end with _exit(); it may log to the
 * files requests and params in dir. The child dies with the test
 * (PR_SET_PDEATHSIG).
 */
struct test_peer {
	char dir[64];
	char socket[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
	char requests[96]; /* dir/requests */
	char params[96]; /* dir/params */
	pid_t pid;
};

void test_peer_start(struct test_peer *p, void (*serve)(int lfd, void *arg),
		     void *arg);
/* Wait for the peer to exit; returns its wait status, or -1 when it was
 * waited for already. */
int test_peer_wait(struct test_peer *p);
/* For teardowns: kill the peer if it still runs and remove its dir; a
 * no-op when none was started. */
void test_peer_stop(struct test_peer *p);

#endif /* MPD_TEST_HARNESS_H */
