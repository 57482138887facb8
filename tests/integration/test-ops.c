/*
 * test-ops.c - mpdd as an administrator runs it: the privilege model of a
 * root daemon (a non-root client's workers run as that client), the
 * per-uid connection limit, and the shutdown policy.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

#define NOBODY 65534

static struct mpdd d;

static void teardown(void)
{
	mpdd_cleanup(&d);
}

TestSuite(ops, .fini = teardown, .timeout = 120);

/* Let any user reach the daemon: what is tested is what it lets them do. */
static void open_socket(void)
{
	cr_assert(chmod(d.dir, 0755) == 0 && chmod(d.socket, 0666) == 0);
}

/*
 * In a child that became uid (with one supplementary group, 4242):
 * create `sh -c 'id -u; id -g; id -G; echo $HOME'` with stdout passed
 * through a pipe, and copy what it printed to out_fd. Exit status 0 when
 * the daemon started it.
 */
static int run_as(uid_t uid, int out_fd)
{
	gid_t extra = 4242;
	json_t *r;
	int fd, p[2];
	char buf[512];
	ssize_t n;

	if (setgroups(1, &extra) != 0 || setgid(uid) != 0 || setuid(uid) != 0)
		return 1;
	fd = test_try_connect(d.socket);
	if (fd < 0 || pipe(p) != 0)
		return 2;
	r = test_call_fds(fd, "process.create",
			  json_pack("{s:[sss], s:s, s:b}", "argv", "sh", "-c",
				    "id -u; id -g; id -G; echo $HOME", "stdout",
				    "pass", "start", 1),
			  &p[1], 1);
	if (json_object_get(r, "result") == NULL)
		return 3;
	close(p[1]);
	for (;;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };

		if (poll(&pfd, 1, TEST_TIMEOUT_MS) != 1)
			return 5; /* the worker said nothing in time */
		n = read(p[0], buf, sizeof(buf));
		if (n <= 0)
			return 0;
		if (write(out_fd, buf, (size_t)n) != n)
			return 4;
	}
}

Test(ops, a_non_root_clients_workers_run_as_that_client)
{
	int out[2], status;
	char buf[512] = { 0 };
	pid_t pid;
	ssize_t n;

	if (getuid() != 0)
		cr_skip_test("needs a root daemon");
	mpdd_start(&d, NULL);
	open_socket();
	cr_assert(pipe(out) == 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		close(out[0]);
		_exit(run_as(NOBODY, out[1]));
	}
	close(out[1]);
	n = 0;
	for (;;) {
		struct pollfd pfd = { .fd = out[0], .events = POLLIN };
		ssize_t m;

		cr_assert(poll(&pfd, 1, TEST_TIMEOUT_MS) == 1,
			  "the client reported nothing in time");
		m = read(out[0], buf + n, sizeof(buf) - 1 - (size_t)n);
		if (m <= 0)
			break;
		n += m;
	}
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the client failed at step %d", WEXITSTATUS(status));
	/* uid, gid, the client's groups (and not root's), nobody's HOME. */
	struct passwd *pw = getpwuid(NOBODY);
	char want[512];

	snprintf(want, sizeof(want), "65534\n65534\n65534 4242\n%s\n",
		 pw != NULL ? pw->pw_dir : "");
	if (pw == NULL) /* no passwd entry: HOME is not replaced */
		cr_assert(strncmp(buf, want, strlen(want) - 1) == 0, "%s", buf);
	else
		cr_assert_str_eq(buf, want);
	close(out[0]);
	mpdd_stop(&d);
}

Test(ops, a_root_clients_workers_run_as_root)
{
	json_t *r;
	int fd, p[2];
	char *line;

	if (getuid() != 0)
		cr_skip_test("needs a root daemon");
	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	cr_assert(pipe(p) == 0);
	r = test_call_fds(fd, "process.create",
			  json_pack("{s:[ss], s:s, s:b}", "argv", "id", "-u",
				    "stdout", "pass", "start", 1),
			  &p[1], 1);
	test_result(r);
	json_decref(r);
	close(p[1]);
	line = test_read_line(p[0], TEST_TIMEOUT_MS);
	cr_assert_str_eq(line, "0");
	free(line);
	close(fd);
	mpdd_stop(&d);
}

/* As nobody: a file the worker opens is opened with nobody's rights. */
static int open_as_nobody(const char *path)
{
	json_t *r, *rec;
	const char *stage;
	int fd;

	if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 ||
	    setuid(NOBODY) != 0)
		return 1;
	fd = test_try_connect(d.socket);
	if (fd < 0)
		return 2;
	r = test_call(fd, "process.create",
		      json_pack("{s:[s], s:{s:s}, s:b}", "argv", "true",
				"stdout", "file", path, "start", 1));
	rec = json_object_get(json_object_get(r, "error"), "data");
	stage = json_string_value(json_object_get(rec, "stage"));
	if (stage == NULL || strcmp(stage, "stdio") != 0 ||
	    json_integer_value(json_object_get(rec, "errno")) != EACCES)
		return 3;
	return 0;
}

Test(ops, a_worker_opens_files_with_its_clients_rights)
{
	char path[PATH_MAX + 32];
	int status, fd;
	pid_t pid;

	if (getuid() != 0)
		cr_skip_test("needs a root daemon");
	mpdd_start(&d, NULL);
	open_socket();
	/* Root's own file, which nobody may not write. */
	snprintf(path, sizeof(path), "%s/root-only", d.dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	cr_assert(fd >= 0);
	close(fd);
	pid = fork();
	if (pid == 0)
		_exit(open_as_nobody(path));
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "step %d failed", WEXITSTATUS(status));
	mpdd_stop(&d);
}

/*
 * Ping over fd without asserting (this runs in a forked child, where a
 * failed assertion must not reach the test runner): true when answered
 * with a result. A refused connection is closed by the daemon, so the
 * send may fail or the reply be an error.
 */
static bool pinged(int fd)
{
	static const char ping[] =
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"daemon.ping\"}\n";
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[512];
	ssize_t n;

	if (send(fd, ping, sizeof(ping) - 1, MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(ping) - 1)
		return false;
	if (poll(&pfd, 1, TEST_TIMEOUT_MS) != 1)
		return false;
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, "\"result\"") != NULL;
}

/* As nobody: connect n times, keeping every connection. Returns how many
 * were served (a ping answered). */
static int connect_many_as_nobody(int n)
{
	int served = 0;

	if (setgid(NOBODY) != 0 || setuid(NOBODY) != 0)
		return -1;
	for (int i = 0; i < n; i++) {
		int fd = test_try_connect(d.socket);

		if (fd >= 0 && pinged(fd))
			served++;
	}
	return served;
}

Test(ops, connections_are_limited_per_uid)
{
	const char *extra[] = { "--max-connections-per-uid", "3", NULL };
	int status;
	pid_t pid;

	if (getuid() != 0)
		cr_skip_test("needs root to switch uid");
	mpdd_start(&d, extra);
	open_socket();
	pid = fork();
	if (pid == 0)
		_exit(connect_many_as_nobody(5));
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status));
	cr_assert_eq(WEXITSTATUS(status), 3, "nobody was served %d times",
		     WEXITSTATUS(status));
	/* Another uid is not affected. */
	test_assert_ping(d.socket);
	mpdd_stop(&d);
}

static bool gone(int pidfd, int timeout_ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1;
}

/*
 * Start `sleep 100`, and a shell that ignores SIGTERM (its sleep too);
 * return pidfds and pids (each leads its process group). Returns once
 * both are set up: each says "ready" through a pipe.
 */
static void start_sleepers(int fd, int pidfds[2], pid_t pids[2])
{
	const char *scripts[2] = { "echo ready; exec sleep 100",
				   "trap '' TERM; echo ready; sleep 100 & "
				   "wait" };

	for (int i = 0; i < 2; i++) {
		int p[2];
		json_t *r;
		char *line;

		cr_assert(pipe(p) == 0);
		r = test_call_fds(fd, "process.create",
				  json_pack("{s:[sss], s:s, s:b}", "argv", "sh",
					    "-c", scripts[i], "stdout", "pass",
					    "start", 1),
				  &p[1], 1);
		close(p[1]);
		pids[i] = (pid_t)test_int(test_result(r), "pid");
		cr_assert(pids[i] > 1);
		pidfds[i] = pidfd_open(pids[i], 0);
		cr_assert(pidfds[i] >= 0);
		json_decref(r);
		line = test_read_line(p[0], TEST_TIMEOUT_MS);
		cr_assert_str_eq(line, "ready");
		free(line);
		test_forget(p[0]);
		close(p[0]);
	}
}

Test(ops, shutdown_terminates_workers_by_default)
{
	const char *extra[] = { "--kill-grace", "0.3", NULL };
	int fd, pidfds[2], status;
	pid_t pids[2] = { 0, 0 };
	char *log;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	start_sleepers(fd, pidfds, pids);
	close(fd);
	status = mpdd_signal_wait(&d, SIGTERM);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert(gone(pidfds[0], 0), "a worker outlived the daemon");
	cr_assert(gone(pidfds[1], 0), "a stubborn worker outlived it");
	log = mpdd_log(&d);
	cr_assert(strstr(log, "stopping: 2 workers ended (1 after SIGKILL), "
			      "0 left running") != NULL,
		  "%s", log);
	free(log);
	close(pidfds[0]);
	close(pidfds[1]);
}

Test(ops, shutdown_leave_keeps_non_daemonic_workers)
{
	const char *extra[] = { "--shutdown", "leave", "--kill-grace", "0.3",
				NULL };
	int fd, pidfds[2], dfd;
	pid_t pids[2] = { 0, 0 };
	json_t *r;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	start_sleepers(fd, pidfds, pids);
	r = test_call(fd, "process.create",
		      json_pack("{s:[ss], s:b, s:b}", "argv", "sleep", "100",
				"daemon", 1, "start", 1));
	dfd = pidfd_open((pid_t)test_int(test_result(r), "pid"), 0);
	json_decref(r);
	mpdd_stop(&d);
	cr_assert(gone(dfd, TEST_TIMEOUT_MS), "the daemonic worker lived on");
	cr_assert(!gone(pidfds[0], 0), "a worker was ended");
	cr_assert(!gone(pidfds[1], 0), "a worker was ended");
	for (int i = 0; i < 2; i++) {
		kill(-pids[i], SIGKILL); /* the whole group: sh and its sleep */
		cr_assert(gone(pidfds[i], TEST_TIMEOUT_MS));
		close(pidfds[i]);
	}
	close(dfd);
	close(fd);
}
