/*
 * test-daemon.c - mpdd start-up, daemon.ping, daemon.info and shutdown,
 * against a real daemon on a socket in a temp dir.
 */
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "harness.h"

#define PING "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"daemon.ping\"}"

static struct mpdd d;

static void teardown(void)
{
	mpdd_cleanup(&d);
}

TestSuite(daemon, .fini = teardown, .timeout = 60);

Test(daemon, ping_answers_with_an_empty_result)
{
	int fd;
	json_t *r;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	r = test_rpc_line(fd, PING);
	cr_assert_str_eq(json_string_value(json_object_get(r, "jsonrpc")),
			 "2.0");
	cr_assert_eq(json_integer_value(json_object_get(r, "id")), 1);
	cr_assert(json_is_object(json_object_get(r, "result")));
	cr_assert_eq(json_object_size(json_object_get(r, "result")), 0);
	json_decref(r);
	close(fd);
	mpdd_stop(&d);
}

Test(daemon, ping_echoes_data_and_string_id)
{
	int fd;
	json_t *r;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	r = test_rpc_line(
		fd, "{\"jsonrpc\":\"2.0\",\"id\":\"a-b\",\"method\":"
		    "\"daemon.ping\",\"params\":{\"data\":\"h\\u00e9\"}}");
	cr_assert_str_eq(json_string_value(json_object_get(r, "id")), "a-b");
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(r, "result"), "data")),
			 "h\xc3\xa9");
	json_decref(r);
	close(fd);
	mpdd_stop(&d);
}

Test(daemon, info_reports_identity_and_limits)
{
	const char *extra[] = { "--max-message",
				"4K",
				"--max-connections",
				"77",
				"--max-output",
				"1M",
				NULL };
	json_t *r, *res, *lim;
	int fd;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	r = test_rpc_line(fd, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
			      "\"daemon.info\"}");
	res = json_object_get(r, "result");
	cr_assert(json_is_object(res));
	cr_assert(json_is_string(json_object_get(res, "version")));
	cr_assert_eq(json_integer_value(json_object_get(res, "protocol")), 6);
	cr_assert_eq(json_integer_value(json_object_get(res, "pid")), d.pid);
	cr_assert_eq(json_integer_value(json_object_get(res, "uid")), getuid());
	cr_assert(json_number_value(json_object_get(res, "uptime")) >= 0);
	cr_assert(json_integer_value(json_object_get(res, "started")) > 0);
	cr_assert(json_integer_value(json_object_get(res, "cpus")) >= 1);
	cr_assert_eq(json_integer_value(json_object_get(res, "connections")),
		     1);
	cr_assert_str_eq(json_string_value(json_object_get(res, "socket")),
			 d.socket);
	lim = json_object_get(res, "limits");
	cr_assert_eq(json_integer_value(json_object_get(lim, "max_message")),
		     4096);
	cr_assert_eq(
		json_integer_value(json_object_get(lim, "max_connections")),
		77);
	cr_assert_eq(json_integer_value(json_object_get(lim, "max_output")),
		     1048576);
	json_decref(r);
	close(fd);
	mpdd_stop(&d);
}

Test(daemon, spin_usec_is_reported_and_bad_values_are_refused)
{
	static const char *const bad[] = { "10001", "-1", "x", "", "5us" };
	const char *zero[] = { "--spin-usec", "0", NULL };
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	cr_assert_eq(test_info_int(fd, "limits", "spin_usec"), 50);
	close(fd);
	mpdd_stop(&d);
	mpdd_start(&d, zero);
	fd = test_connect(d.socket);
	cr_assert_eq(test_info_int(fd, "limits", "spin_usec"), 0);
	close(fd);
	mpdd_stop(&d);
	mpdd_assert_refused("--spin-usec", bad, sizeof(bad) / sizeof(bad[0]));
}

/* Clock ticks of CPU time pid has used (user + system). */
static long long cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "r");
	cr_assert(f != NULL);
	cr_assert(fgets(buf, sizeof(buf), f) != NULL);
	fclose(f);
	p = strrchr(buf, ')');
	cr_assert(p != NULL);
	/* After the comm: state, then fields 4 to 13, then utime, stime. */
	cr_assert(sscanf(p + 2,
			 "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%llu %llu",
			 &ut, &st) == 2);
	return (long long)(ut + st);
}

/*
 * A client calling in a loop has mpdd poll for its next request, and the
 * answers are the same; once the client stops calling (connection still
 * open), mpdd polls no more than --spin-usec and then sleeps: over a
 * second of quiet it uses next to no CPU.
 */
Test(daemon, polling_for_a_lone_client_stops_when_it_goes_quiet)
{
	long hz = sysconf(_SC_CLK_TCK);
	long long before, used;
	struct timespec quiet = { 1, 0 };
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	for (int i = 0; i < 3000; i++) {
		char want[16];
		json_t *r;

		snprintf(want, sizeof(want), "%d", i);
		r = test_call(fd, "daemon.ping",
			      json_pack("{s:s}", "data", want));
		cr_assert_str_eq(json_string_value(json_object_get(
					 test_result(r), "data")),
				 want);
		json_decref(r);
	}
	before = cpu_ticks(d.pid);
	nanosleep(&quiet, NULL);
	used = cpu_ticks(d.pid) - before;
	/* Polling on would be about hz ticks: allow a tenth of that. */
	cr_assert(used <= hz / 10, "mpdd used %lld of %ld ticks while idle",
		  used, hz);
	close(fd);
	mpdd_stop(&d);
}

Test(daemon, socket_is_0600_in_a_new_0700_directory)
{
	char sub[PATH_MAX + 16];
	const char *extra[] = { "--socket", sub, NULL };
	struct stat st;

	/* The harness's --socket comes first; the later one wins. */
	mpdd_init(&d);
	snprintf(sub, sizeof(sub), "%s/run/mpd.sock", d.dir);
	mpdd_start_in(&d, extra);
	cr_assert(stat(sub, &st) == 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0600);
	*strrchr(sub, '/') = '\0';
	cr_assert(stat(sub, &st) == 0);
	cr_assert_eq(st.st_mode & 07777, 0700);
	strcat(sub, "/mpd.sock");
	test_assert_ping(sub);
	snprintf(d.socket, sizeof(d.socket), "%s", sub);
	mpdd_stop(&d);
}

/* Connect to path as uid 65534 from a child; returns 0 or the errno. */
static int connect_as_nobody(const char *path)
{
	int status, fd;
	pid_t pid = fork();

	cr_assert(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
		    setuid(65534) != 0)
			_exit(100);
		fd = test_try_connect(path);
		_exit(fd < 0 ? -fd : 0);
	}
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) != 100);
	return WEXITSTATUS(status);
}

Test(daemon, socket_mode_0666_makes_a_directory_others_can_reach)
{
	char sub[PATH_MAX + 16];
	const char *extra[] = { "--socket", sub, "--socket-mode", "0666",
				NULL };
	struct stat st;

	if (geteuid() != 0)
		cr_skip_test("needs root to connect as another user");
	mpdd_init(&d);
	/* Only the directory mpdd creates is under test: open the temp dir. */
	cr_assert(chmod(d.dir, 0711) == 0);
	snprintf(sub, sizeof(sub), "%s/run/mpd.sock", d.dir);
	mpdd_start_in(&d, extra);
	cr_assert(stat(sub, &st) == 0);
	cr_assert_eq(st.st_mode & 07777, 0666);
	*strrchr(sub, '/') = '\0';
	cr_assert(stat(sub, &st) == 0);
	cr_assert_eq(st.st_mode & 07777, 0755, "directory mode %04o",
		     (unsigned)(st.st_mode & 07777));
	strcat(sub, "/mpd.sock");
	cr_assert_eq(connect_as_nobody(sub), 0);
	snprintf(d.socket, sizeof(d.socket), "%s/run/mpd.sock", d.dir);
	mpdd_stop(&d);
}

Test(daemon, default_socket_mode_keeps_other_users_out)
{
	char sub[PATH_MAX + 16];
	const char *extra[] = { "--socket", sub, NULL };

	if (geteuid() != 0)
		cr_skip_test("needs root to connect as another user");
	mpdd_init(&d);
	cr_assert(chmod(d.dir, 0711) == 0);
	snprintf(sub, sizeof(sub), "%s/run/mpd.sock", d.dir);
	mpdd_start_in(&d, extra);
	cr_assert_eq(connect_as_nobody(sub), EACCES);
	snprintf(d.socket, sizeof(d.socket), "%s/run/mpd.sock", d.dir);
	mpdd_stop(&d);
}

Test(daemon, an_existing_directory_that_keeps_others_out_is_warned_about)
{
	char sub[PATH_MAX + 16];
	const char *extra[] = { "--socket", sub, "--socket-mode", "0666",
				NULL };
	struct stat st;
	char *log;

	mpdd_init(&d);
	snprintf(sub, sizeof(sub), "%s/run", d.dir);
	cr_assert(mkdir(sub, 0700) == 0);
	strcat(sub, "/mpd.sock");
	mpdd_start_in(&d, extra);
	log = mpdd_log(&d);
	cr_assert_not_null(strstr(log, "mode 0700"), "log: %s", log);
	free(log);
	*strrchr(sub, '/') = '\0';
	cr_assert(stat(sub, &st) == 0);
	cr_assert_eq(st.st_mode & 07777, 0700);
	strcat(sub, "/mpd.sock");
	snprintf(d.socket, sizeof(d.socket), "%s/run/mpd.sock", d.dir);
	mpdd_stop(&d);
}

Test(daemon, refuses_to_start_over_a_live_daemon)
{
	struct mpdd other = { 0 };
	const char *extra[] = { "--socket", d.socket, NULL };
	int status;
	char *log;

	mpdd_start(&d, NULL);
	status = mpdd_run_to_exit(&other, extra);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	log = mpdd_log(&other);
	cr_assert(strstr(log, "another mpdd is already serving") != NULL,
		  "log: %s", log);
	/* It checked before it started anything. */
	cr_assert(strstr(log, "template") == NULL, "log: %s", log);
	free(log);
	mpdd_cleanup(&other);
	test_assert_ping(d.socket);
	mpdd_stop(&d);
}

/* A clean stop leaves no file behind: neither the socket nor its lock. */
Test(daemon, a_clean_stop_removes_the_socket_and_its_lock)
{
	char lock[PATH_MAX + 8];
	int status;

	mpdd_start(&d, NULL);
	snprintf(lock, sizeof(lock), "%s.lock", d.socket);
	cr_assert(access(lock, F_OK) == 0, "the daemon holds %s", lock);
	status = mpdd_signal_wait(&d, SIGTERM);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert(access(d.socket, F_OK) == -1 && errno == ENOENT);
	cr_assert(access(lock, F_OK) == -1 && errno == ENOENT,
		  "%s is left behind", lock);
	/* And the next daemon on the path starts as if it were new. */
	mpdd_start_in(&d, NULL);
	test_assert_ping(d.socket);
	mpdd_stop(&d);
}

Test(daemon, replaces_a_stale_socket)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	mpdd_start(&d, NULL);
	mpdd_signal_wait(&d, SIGKILL); /* leaves the socket file behind */
	cr_assert(access(d.socket, F_OK) == 0);
	/* Also a socket that was bound but never listened on. */
	unlink(d.socket);
	strcpy(sun.sun_path, d.socket);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert(bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	close(fd);
	mpdd_start_in(&d, NULL);
	test_assert_ping(d.socket);
	mpdd_stop(&d);
}

Test(daemon, never_replaces_a_file_that_is_not_a_socket)
{
	int status, fd;
	char *log;

	mpdd_start(&d, NULL);
	mpdd_signal_wait(&d, SIGKILL);
	unlink(d.socket);
	fd = open(d.socket, O_CREAT | O_WRONLY, 0600);
	cr_assert(fd >= 0);
	close(fd);
	status = mpdd_run_to_exit(&d, NULL);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	log = mpdd_log(&d);
	cr_assert(strstr(log, "is not a socket") != NULL, "log: %s", log);
	free(log);
	cr_assert(access(d.socket, F_OK) == 0);
}

Test(daemon, sigint_exits_cleanly_and_removes_the_socket)
{
	int status;

	mpdd_start(&d, NULL);
	test_assert_ping(d.socket);
	status = mpdd_signal_wait(&d, SIGINT);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert(access(d.socket, F_OK) == -1 && errno == ENOENT);
}

Test(daemon, sigterm_closes_open_connections)
{
	int fd, status;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	json_decref(test_rpc_line(fd, PING)); /* accepted and served */
	status = mpdd_signal_wait(&d, SIGTERM);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert(test_wait_eof(fd, TEST_TIMEOUT_MS));
	close(fd);
}

/* Parameters are copied into the test worker: arrays, not pointers. */
struct bad_option {
	char args[2][24];
	char says[24];
};

ParameterizedTestParameters(daemon, bad_options_exit_2)
{
	static struct bad_option cases[] = {
		{ { "--max-message", "abc" }, "--max-message" },
		{ { "--max-message", "12" }, "--max-message" },
		{ { "--max-connections", "0" }, "--max-connections" },
		{ { "--max-output", "1Q" }, "--max-output" },
		{ { "--log-level", "loud" }, "--log-level" },
		{ { "--ready-fd", "1" }, "--ready-fd" },
		{ { "--no-such-option" }, "unknown option" },
		{ { "stray" }, "unexpected argument" },
		{ { "--socket=" }, "--socket" },
	};
	return cr_make_param_array(struct bad_option, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_option *c, daemon, bad_options_exit_2)
{
	char *bin = test_built("daemon/mpdd");
	const char *argv[6] = { bin, "--socket", "/nonexistent/x.sock" };
	struct run_result r;
	int n = 3;

	for (int i = 0; i < 2 && c->args[i][0] != '\0'; i++)
		argv[n++] = c->args[i];
	argv[n] = NULL;
	test_run(&r, argv, NULL, NULL);
	cr_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 2,
		  "status 0x%x, stderr: %s", r.status, r.err);
	cr_assert(strstr(r.err, c->says) != NULL, "stderr: %s", r.err);
	cr_assert(strstr(r.err, "Try 'mpdd --help'") != NULL);
	test_run_free(&r);
	free(bin);
}

Test(daemon, help_and_version)
{
	char *bin = test_built("daemon/mpdd");
	const char *help[] = { bin, "--help", NULL };
	const char *version[] = { bin, "--version", NULL };
	struct run_result r;

	test_run(&r, help, NULL, NULL);
	cr_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	cr_assert(strncmp(r.out, "Usage: mpdd", 11) == 0, "%s", r.out);
	cr_assert(strstr(r.out, "--max-connections") != NULL);
	test_run_free(&r);
	test_run(&r, version, NULL, NULL);
	cr_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	cr_assert(strncmp(r.out, "mpdd ", 5) == 0, "%s", r.out);
	test_run_free(&r);
	free(bin);
}

Test(daemon, default_socket_comes_from_the_environment)
{
	char env[PATH_MAX + 32], xdg[PATH_MAX + 32], path[PATH_MAX];

	mpdd_init(&d);
	/* XDG_RUNTIME_DIR rule (non-root), or MPD_SOCKET (any user). */
	snprintf(path, sizeof(path), "%s/env.sock", d.dir);
	snprintf(env, sizeof(env), "MPD_SOCKET=%s", path);
	snprintf(xdg, sizeof(xdg), "XDG_RUNTIME_DIR=%s", d.dir);
	const char *envs[] = { env, xdg, NULL };
	mpdd_start_env(&d, NULL, envs);
	test_assert_ping(path);
	snprintf(d.socket, sizeof(d.socket), "%s", path);
	mpdd_stop(&d);
}

Test(daemon, print_socket_follows_the_default_path_rules)
{
	char *bin = test_built("daemon/mpdd");
	const char *argv[] = { bin, "--print-socket", NULL };
	const char *with_opt[] = { bin, "--socket", "/tmp/a/b.sock",
				   "--print-socket", NULL };
	const char *env_sock[] = { "MPD_SOCKET=/tmp/env/mpd.sock", NULL };
	const char *env_xdg[] = { "MPD_SOCKET=", "XDG_RUNTIME_DIR=/tmp/xdg",
				  NULL };
	struct run_result r;

	test_run(&r, argv, env_sock, NULL);
	cr_assert_eq(r.status, 0);
	cr_assert_str_eq(r.out, "/tmp/env/mpd.sock\n");
	test_run_free(&r);

	test_run(&r, with_opt, env_sock, NULL);
	cr_assert_str_eq(r.out, "/tmp/a/b.sock\n");
	test_run_free(&r);

	test_run(&r, argv, env_xdg, NULL);
	cr_assert_eq(r.status, 0);
	cr_assert_str_eq(r.out, getuid() == 0 ? "/run/mpdd/mpdd.sock\n" :
						"/tmp/xdg/mpdd/mpdd.sock\n");
	test_run_free(&r);
	free(bin);
}
