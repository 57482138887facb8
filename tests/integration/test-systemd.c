/*
 * test-systemd.c - mpdd under a service manager, without one: the test
 * plays systemd. It passes a listening socket (LISTEN_FDS, LISTEN_PID),
 * reads sd_notify datagrams on its own NOTIFY_SOCKET (READY, STATUS,
 * WATCHDOG, RELOADING, STOPPING), and drives the config file: -c, -n,
 * every bad-input case, and SIGHUP reloads.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "harness.h"

static struct mpdd d;

static void teardown(void)
{
	mpdd_cleanup(&d);
}

TestSuite(systemd, .fini = teardown, .timeout = 120);

static int bound_socket(const char *path, int type)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	cr_assert(fd >= 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	cr_assert(bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0,
		  "bind %s: %s", path, strerror(errno));
	return fd;
}

/* Read one notification datagram (NUL-terminated) within the timeout. */
static char *notification(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[1024];
	ssize_t n;

	cr_assert(poll(&p, 1, TEST_TIMEOUT_MS) == 1, "no notification came");
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	cr_assert(n > 0);
	buf[n] = '\0';
	return strdup(buf);
}

/* Read notifications until one contains want. */
static void expect(int fd, const char *want)
{
	for (int i = 0; i < 50; i++) {
		char *n = notification(fd);
		bool hit = strstr(n, want) != NULL;

		free(n);
		if (hit)
			return;
	}
	cr_assert_fail("no notification with %s", want);
}

/*
 * Start mpdd the way systemd does: the listening socket as fd 3,
 * LISTEN_FDS=1 and LISTEN_PID set to its own pid, NOTIFY_SOCKET.
 */
static pid_t start_activated(int listen_fd, const char *notify,
			     const char *watchdog_usec)
{
	char *bin = test_built("daemon/mpdd");
	pid_t pid;
	int logfd = open(d.log, O_WRONLY | O_CREAT | O_APPEND, 0600);

	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		char buf[32];

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(logfd, 1);
		dup2(logfd, 2);
		dup2(listen_fd, 3); /* clears close-on-exec */
		snprintf(buf, sizeof(buf), "%ld", (long)getpid());
		setenv("LISTEN_PID", buf, 1);
		setenv("LISTEN_FDS", "1", 1);
		setenv("NOTIFY_SOCKET", notify, 1);
		if (watchdog_usec != NULL) {
			setenv("WATCHDOG_USEC", watchdog_usec, 1);
			setenv("WATCHDOG_PID", buf, 1);
		}
		/* A --socket that does not exist: the passed one is used. */
		execl(bin, bin, "-v", "--socket",
		      "/nonexistent-mpd/dir/unused.sock", (char *)NULL);
		_exit(127);
	}
	close(logfd);
	free(bin);
	return pid;
}

Test(systemd, socket_activation_and_notifications)
{
	char lpath[PATH_MAX + 16], npath[PATH_MAX + 16];
	int lfd, nfd, status;
	json_t *r;
	int fd;

	mpdd_init(&d);
	snprintf(lpath, sizeof(lpath), "%s/mpd.sock", d.dir);
	snprintf(npath, sizeof(npath), "%s/notify", d.dir);
	lfd = bound_socket(lpath, SOCK_STREAM);
	cr_assert(listen(lfd, 16) == 0);
	nfd = bound_socket(npath, SOCK_DGRAM);
	d.pid = start_activated(lfd, npath, "400000");
	close(lfd);

	expect(nfd, "READY=1");
	/* It serves on the socket it was given, and names it. */
	fd = test_connect(lpath);
	r = test_call(fd, "daemon.info", NULL);
	cr_assert_str_eq(
		json_string_value(json_object_get(test_result(r), "socket")),
		lpath);
	json_decref(r);
	r = test_call(fd, "process.create",
		      json_pack("{s:[ss], s:b}", "argv", "sleep", "30", "start",
				1));
	test_result(r);
	json_decref(r);
	/* Status follows the counts; the watchdog is fed. */
	expect(nfd, "STATUS=1 connection, 1 process running");
	expect(nfd, "WATCHDOG=1");
	close(fd);

	status = mpdd_signal_wait(&d, SIGTERM);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	expect(nfd, "STOPPING=1");
	/* The socket is the service manager's: it stays. */
	cr_assert(access(lpath, F_OK) == 0);
	close(nfd);
}

Test(systemd, a_passed_socket_that_is_not_listening_is_refused)
{
	char lpath[PATH_MAX + 16], npath[PATH_MAX + 16];
	int lfd, nfd, status;
	char *log;

	mpdd_init(&d);
	snprintf(lpath, sizeof(lpath), "%s/x.sock", d.dir);
	snprintf(npath, sizeof(npath), "%s/notify", d.dir);
	lfd = bound_socket(lpath, SOCK_DGRAM);
	nfd = bound_socket(npath, SOCK_DGRAM);
	d.pid = start_activated(lfd, npath, NULL);
	close(lfd);
	/* It refuses it and falls back to its own --socket, which cannot
	 * be made: it exits. */
	cr_assert(waitpid(d.pid, &status, 0) == d.pid);
	d.pid = -1;
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	log = mpdd_log(&d);
	cr_assert(strstr(log, "not a listening stream socket") != NULL, "%s",
		  log);
	free(log);
	close(nfd);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert(f != NULL);
	fputs(text, f);
	fclose(f);
}

Test(systemd, config_file_sets_options_and_the_command_line_wins)
{
	char conf[PATH_MAX + 16], sock[PATH_MAX + 16], text[1024];
	const char *extra[] = { "-c", conf, "--max-processes", "7", NULL };
	json_t *r, *lim;
	int fd;

	mpdd_init(&d);
	snprintf(conf, sizeof(conf), "%s/mpdd.conf", d.dir);
	snprintf(sock, sizeof(sock), "%s/mpd.sock", d.dir);
	snprintf(text, sizeof(text),
		 "# a comment\n\n"
		 "max-processes = 99\n"
		 "max-exited=12\n"
		 "  max-message =  64K  \n"
		 "kill-grace = 1.5\n"
		 "shutdown = leave\n"
		 "pool = 5\n"
		 "log-level = warning\n");
	write_file(conf, text);
	mpdd_start_in(&d, extra);
	fd = test_connect(d.socket);
	r = test_call(fd, "daemon.info", NULL);
	lim = json_object_get(test_result(r), "limits");
	cr_assert_eq(test_int(lim, "max_processes"), 7);
	cr_assert_eq(test_int(lim, "max_exited"), 12);
	cr_assert_eq(test_int(json_object_get(test_result(r), "template"),
			      "pool"),
		     5);
	cr_assert_eq(test_int(lim, "max_message"), 65536);
	cr_assert_float_eq(
		json_number_value(json_object_get(lim, "kill_grace")), 1.5,
		1e-9);
	/* -v (from the harness) wins over the file's log-level. */
	cr_assert_str_eq(
		json_string_value(json_object_get(test_result(r), "log_level")),
		"debug");
	json_decref(r);
	close(fd);
	mpdd_stop(&d);
}

/* Parameters are copied into the test worker: arrays, not pointers. */
struct bad_conf {
	char text[64];
	char says[64];
};

ParameterizedTestParameters(systemd, bad_config_files_are_refused_precisely)
{
	static struct bad_conf cases[] = {
		{ "max-processes = 10\nbogus = 1\n",
		  "mpdd.conf:2: unknown key 'bogus'" },
		{ "max-processes = lots\n",
		  "mpdd.conf:1: max-processes: 'lots'" },
		{ "max-message = 12\n", "mpdd.conf:1: max-message" },
		{ "just words\n", "mpdd.conf:1: expected 'key = value'" },
		{ "shutdown = maybe\n", "mpdd.conf:1: shutdown: 'maybe'" },
		{ "log-level = loud\n", "mpdd.conf:1: log-level" },
		{ "socket-mode = 999\n", "mpdd.conf:1: socket-mode" },
		{ "socket-group = no-such-group-x\n",
		  "mpdd.conf:1: socket-group" },
		{ "verbose = 1\n", "mpdd.conf:1: unknown key 'verbose'" },
		{ "kill-grace = -1\n", "mpdd.conf:1: kill-grace" },
		{ "pool = 65\n", "mpdd.conf:1: pool: '65'" },
	};
	return cr_make_param_array(struct bad_conf, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_conf *c, systemd,
		  bad_config_files_are_refused_precisely)
{
	char conf[PATH_MAX + 16];
	char *bin = test_built("daemon/mpdd");
	const char *check[] = { bin, "-c", conf, "-n", NULL };
	const char *run[] = { bin, "-c", conf, "--socket", "/tmp/never.sock",
			      NULL };
	struct run_result r;

	mpdd_init(&d);
	snprintf(conf, sizeof(conf), "%s/mpdd.conf", d.dir);
	write_file(conf, c->text);
	for (int i = 0; i < 2; i++) {
		test_run(&r, i == 0 ? check : run, NULL, NULL);
		cr_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 2,
			  "status 0x%x: %s", r.status, r.err);
		cr_assert(strstr(r.err, c->says) != NULL, "stderr: %s", r.err);
		cr_assert(strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
			  "more than one line: %s", r.err);
		test_run_free(&r);
	}
	free(bin);
}

Test(systemd, check_mode_and_a_missing_file)
{
	char conf[PATH_MAX + 16];
	char *bin = test_built("daemon/mpdd");
	const char *check[] = { bin, "-c", conf, "-n", NULL };
	const char *bare[] = { bin, "-n", NULL };
	struct run_result r;

	mpdd_init(&d);
	snprintf(conf, sizeof(conf), "%s/mpdd.conf", d.dir);
	test_run(&r, check, NULL, NULL);
	cr_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 2);
	cr_assert(strstr(r.err, "No such file or directory") != NULL, "%s",
		  r.err);
	test_run_free(&r);
	write_file(conf, "max-objects = 5\n");
	test_run(&r, check, NULL, NULL);
	cr_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "%s",
		  r.err);
	cr_assert(strstr(r.out, "OK") != NULL);
	test_run_free(&r);
	test_run(&r, bare, NULL, NULL);
	cr_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 2);
	test_run_free(&r);
	free(bin);
}

/* daemon.info's limits.<key> over fd. */
Test(systemd, sighup_reloads_limits_and_keeps_connections_and_workers)
{
	char conf[PATH_MAX + 16];
	const char *extra[] = { "-c", conf, "--max-exited", "50", NULL };
	json_t *r;
	char *log;
	int fd;
	long long wid;

	mpdd_init(&d);
	snprintf(conf, sizeof(conf), "%s/mpdd.conf", d.dir);
	write_file(conf, "max-processes = 10\nmax-objects = 20\n"
			 "spin-usec = 20\n");
	mpdd_start_in(&d, extra);
	fd = test_connect(d.socket);
	r = test_call(fd, "process.create",
		      json_pack("{s:[ss], s:b}", "argv", "sleep", "30", "start",
				1));
	wid = test_int(test_result(r), "id");
	json_decref(r);
	cr_assert_eq(test_info_int(fd, "limits", "max_processes"), 10);
	cr_assert_eq(test_info_int(fd, "limits", "spin_usec"), 20);

	write_file(conf, "max-processes = 3\nmax-objects = 20\n"
			 "max-exited = 7\n");
	cr_assert(kill(d.pid, SIGHUP) == 0);
	/* The same connection sees the new limit once it is applied. */
	for (int i = 0;
	     i < 100000 && test_info_int(fd, "limits", "max_processes") != 3;
	     i++)
		;
	cr_assert_eq(test_info_int(fd, "limits", "max_processes"), 3);
	cr_assert_eq(test_info_int(fd, "limits", "max_objects"), 20);
	/* A key gone from the file is back to its default. */
	cr_assert_eq(test_info_int(fd, "limits", "spin_usec"), 50);
	/* The command line still wins. */
	cr_assert_eq(test_info_int(fd, "limits", "max_exited"), 50);
	/* The worker lives on. */
	r = test_call(fd, "process.info", json_pack("{s:I}", "id", wid));
	cr_assert_str_eq(
		json_string_value(json_object_get(test_result(r), "state")),
		"running");
	json_decref(r);
	/* A broken file changes nothing. */
	write_file(conf, "max-processes = 1\nnonsense\n");
	cr_assert(kill(d.pid, SIGHUP) == 0);
	for (int i = 0; i < 100000; i++) {
		log = mpdd_log(&d);
		bool seen = strstr(log, "reload failed") != NULL;

		free(log);
		if (seen)
			break;
		json_decref(test_call(fd, "daemon.ping", NULL));
	}
	cr_assert_eq(test_info_int(fd, "limits", "max_processes"), 3);
	log = mpdd_log(&d);
	cr_assert(strstr(log, "reload: max_processes 10 -> 3") != NULL, "%s",
		  log);
	cr_assert(strstr(log, "mpdd.conf:2: expected 'key = value'") != NULL,
		  "%s", log);
	free(log);
	json_decref(
		test_call(fd, "process.kill", json_pack("{s:I}", "id", wid)));
	close(fd);
	mpdd_stop(&d);
}
