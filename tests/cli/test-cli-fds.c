/*
 * test-cli-fds.c - mpd-cli run and spawn --fd NAME=N: the command's own
 * descriptor N goes to the worker as NAME (at 3, 4, ...), as a shell's
 * `N>file` or a pipe set up by the caller would; bad --fd values are
 * usage errors, and the worker's pipe ends with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static struct mpdd d;

static void teardown(void)
{
	mpdd_teardown(&d);
}

TestSuite(cli_fds, .fini = teardown, .timeout = 120);

/*
 * Run mpd-cli with args against d, with src at descriptor at (when src
 * >= 0) as a caller's shell would set it up (`at>&src`), stdin
 * /dev/null. Fills r (stdout, stderr, status) and returns its exit
 * status; fails the test if it does not exit in time.
 */
static int cli_with_fd(struct run_result *r, const char *const *args, int at,
		       int src)
{
	const char *argv[TEST_CLI_ARGV_SIZE];
	char *bin = test_built("client/cli/mpd-cli");
	int out[2], err[2], status;
	struct pollfd p[2];
	size_t len[2] = { 0, 0 }, cap[2] = { 4096, 4096 };
	char *buf[2];
	pid_t pid;

	test_cli_argv(argv, bin, d.socket[0] != '\0' ? d.socket : NULL, args);
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(err, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (src >= 0 && dup2(src, at) != at)
			_exit(126);
		if (null < 0 || dup2(null, 0) != 0 || dup2(out[1], 1) != 1 ||
		    dup2(err[1], 2) != 2)
			_exit(126);
		unsetenv("MPD_SOCKET");
		execv(bin, (char **)argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	buf[0] = malloc(cap[0]);
	buf[1] = malloc(cap[1]);
	cr_assert(buf[0] != NULL && buf[1] != NULL);
	p[0] = (struct pollfd){ .fd = out[0], .events = POLLIN };
	p[1] = (struct pollfd){ .fd = err[0], .events = POLLIN };
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		cr_assert_gt(poll(p, 2, TEST_TIMEOUT_MS), 0,
			     "mpd-cli wrote nothing and did not exit");
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (p[i].fd < 0 || p[i].revents == 0)
				continue;
			if (len[i] + 1 == cap[i]) {
				cap[i] *= 2;
				buf[i] = realloc(buf[i], cap[i]);
				cr_assert_not_null(buf[i]);
			}
			n = read(p[i].fd, buf[i] + len[i], cap[i] - len[i] - 1);
			if (n <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				continue;
			}
			len[i] += (size_t)n;
		}
	}
	buf[0][len[0]] = '\0';
	buf[1][len[1]] = '\0';
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "mpd-cli did not exit: %#x", status);
	r->status = status;
	r->out = buf[0];
	r->err = buf[1];
	free(bin);
	return WEXITSTATUS(status);
}

/* Read fd to EOF (at most TEST_TIMEOUT_MS), close it, return the bytes
 * (malloc'd). */
static char *read_to_eof(int fd)
{
	size_t len = 0;
	char *buf = malloc(4096);
	ssize_t n;

	cr_assert_not_null(buf);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		cr_assert_eq(poll(&p, 1, TEST_TIMEOUT_MS), 1,
			     "no EOF: a copy of the write end is held");
		n = read(fd, buf + len, 4095 - len);
		if (n < 0 && errno == EINTR)
			continue;
		cr_assert_geq(n, 0);
		if (n == 0)
			break;
		len += (size_t)n;
		cr_assert_lt(len, 4095);
	}
	buf[len] = '\0';
	close(fd);
	return buf;
}

Test(cli_fds, run_gives_the_worker_the_callers_descriptor_as_3)
{
	const char *args[] = { "run",
			       "--fd",
			       "out=5",
			       "--",
			       "sh",
			       "-c",
			       "echo hi \"$MPD_FDS\" >&3; echo to-stdout",
			       NULL };
	struct run_result r;
	int p[2];
	char *text;

	mpdd_start(&d, NULL);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(cli_with_fd(&r, args, 5, p[1]), 0, "%s", r.err);
	close(p[1]);
	cr_assert_str_eq(r.out, "to-stdout\n");
	text = read_to_eof(p[0]);
	cr_assert_str_eq(text, "hi out\n");
	free(text);
	test_run_free(&r);
	mpdd_stop(&d);
}

Test(cli_fds, run_gives_a_function_its_descriptor)
{
	const char *module = getenv("MPD_TEST_MODULE");
	const char *args[] = { "run",	     "--fd",   "o=7",
			       "--module",   module,   "--function",
			       "report_fds", "--args", "[\"o\"]",
			       NULL };
	struct run_result r;
	int p[2];
	char *text;

	cr_assert_not_null(module, "run with meson test");
	mpdd_start(&d, NULL);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(cli_with_fd(&r, args, 7, p[1]), 0, "%s", r.err);
	close(p[1]);
	text = read_to_eof(p[0]);
	cr_assert_str_eq(text, "o fd=3 by_name=3\nopen: 0 1 2 3\nMPD_FDS=o\n");
	free(text);
	test_run_free(&r);
	mpdd_stop(&d);
}

/* spawn takes several, in the order given; the worker outlives spawn,
 * and the pipes end with the worker. */
Test(cli_fds, spawn_gives_two_descriptors_in_order)
{
	const char *args[] = { "spawn", "--fd", "a=5",
			       "--fd",	"b=5",	"--",
			       "sh",	"-c",	"echo A >&3; echo B >&4",
			       NULL };
	struct run_result r;
	int p[2];
	char *text;

	mpdd_start(&d, NULL);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	/* The same descriptor twice: the worker gets two copies. */
	cr_assert_eq(cli_with_fd(&r, args, 5, p[1]), 0, "%s", r.err);
	close(p[1]);
	text = read_to_eof(p[0]);
	cr_assert_str_eq(text, "A\nB\n");
	free(text);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_fds, bad_fd_values_are_refused)
{
	static const struct {
		const char *value, *says;
		int status;
	} cases[] = {
		{ "out", "--fd takes NAME=N", 2 },
		{ "=5", "--fd takes NAME=N", 2 },
		{ "out=", "--fd takes NAME=N", 2 },
		{ "out=x", "--fd takes NAME=N", 2 },
		{ "out=5x", "is not a descriptor number", 2 },
		{ "out=99999999999", "is not a descriptor number", 2 },
		{ "out=9", "descriptor 9 is not open", 2 },
		{ "a:b=5", "\"a:b\" is not a descriptor name", 1 },
	};
	struct run_result r;
	int p[2], fd;

	mpdd_start(&d, NULL);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *args[] = { "run", "--fd", cases[i].value,
				       "--",  "true", NULL };

		cr_assert_eq(cli_with_fd(&r, args, 5, p[1]), cases[i].status,
			     "--fd %s: %s", cases[i].value, r.err);
		cr_assert_not_null(strstr(r.err, cases[i].says),
				   "--fd %s: \"%s\" does not say \"%s\"",
				   cases[i].value, r.err, cases[i].says);
		test_run_free(&r);
	}
	close(p[0]);
	close(p[1]);
	test_assert_ping(d.socket);
	fd = test_connect(d.socket);
	cr_assert_eq(test_info_int(fd, "processes", "records"), 0);
	close(fd);
	mpdd_stop(&d);
}

Test(cli_fds, run_and_spawn_help_describe_fd)
{
	for (int i = 0; i < 2; i++) {
		const char *args[] = { i == 0 ? "run" : "spawn", "--help",
				       NULL };
		struct run_result r;

		cr_assert_eq(cli_with_fd(&r, args, -1, -1), 0);
		cr_assert_not_null(strstr(r.out, "--fd NAME=N"), "%s", r.out);
		cr_assert_not_null(strstr(r.out, "MPD_FDS"), "%s", r.out);
		test_run_free(&r);
	}
}
