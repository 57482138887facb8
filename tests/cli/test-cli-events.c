/*
 * test-cli-events.c - "mpd-cli events" and "mpd-cli ps --watch" against a
 * real mpdd: events printed as they come (human lines, --json), --kind
 * and --prefix, ps --watch showing a process appear and end, and the
 * exit statuses: 0 on SIGTERM or SIGINT, 3 when mpdd goes away, 2 for a
 * kind that is not one.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static struct mpdd d;

/* A running mpd-cli: its pid, its stdout, and what it printed so far. */
struct cli_bg {
	pid_t pid;
	int out;
	char buf[65536];
	size_t len;
};

static struct cli_bg bg = { .pid = -1, .out = -1 };

static void teardown(void)
{
	if (bg.pid > 0) {
		kill(bg.pid, SIGKILL);
		waitpid(bg.pid, NULL, 0);
	}
	if (bg.out >= 0)
		close(bg.out);
	bg.pid = bg.out = -1;
	bg.len = 0;
	mpdd_teardown(&d);
}

TestSuite(cli_events, .fini = teardown, .timeout = 120);

/* Start mpd-cli args in the background, its stdout to a pipe. */
static void bg_start(const char *const *args)
{
	const char *argv[TEST_CLI_ARGV_SIZE];
	char *bin = test_built("client/cli/mpd-cli");
	int out[2];

	test_cli_argv(argv, bin, d.socket, args);
	cr_assert(pipe2(out, O_CLOEXEC) == 0);
	bg.pid = fork();
	cr_assert(bg.pid >= 0);
	if (bg.pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(out[1], 1);
		execv(bin, (char *const *)argv);
		_exit(126);
	}
	close(out[1]);
	free(bin);
	bg.out = out[0];
	bg.len = 0;
	bg.buf[0] = '\0';
}

/* Read what mpd-cli printed for up to ms; false at EOF. */
static bool bg_read(int ms)
{
	struct pollfd p = { .fd = bg.out, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return true;
	n = read(bg.out, bg.buf + bg.len, sizeof(bg.buf) - 1 - bg.len);
	if (n <= 0)
		return false;
	bg.len += (size_t)n;
	bg.buf[bg.len] = '\0';
	return true;
}

/* Wait until mpd-cli printed a line holding every one of words (NULL
 * ended) after offset *from; *from moves past that line. */
static void bg_wait_line(size_t *from, const char *const *words)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		char *line = bg.buf + *from, *end;

		while ((end = strchr(line, '\n')) != NULL) {
			bool all = true;

			*end = '\0';
			for (const char *const *w = words; *w != NULL; w++)
				all = all && strstr(line, *w) != NULL;
			*end = '\n';
			if (all) {
				*from = (size_t)(end + 1 - bg.buf);
				return;
			}
			line = end + 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		cr_assert_lt((t.tv_sec - t0.tv_sec) * 1000 +
				     (t.tv_nsec - t0.tv_nsec) / 1000000,
			     TEST_TIMEOUT_MS, "no line with \"%s\" in:\n%s",
			     words[0], bg.buf);
		cr_assert(bg_read(100), "mpd-cli ended; it printed:\n%s",
			  bg.buf);
	}
}

/* mpd-cli's exit status once it ends. */
static int bg_wait_exit(void)
{
	int status;

	while (bg_read(100))
		;
	cr_assert_eq(waitpid(bg.pid, &status, 0), bg.pid);
	bg.pid = -1;
	cr_assert(WIFEXITED(status), "status 0x%x", status);
	return WEXITSTATUS(status);
}

/* Create queues "probe-N" until mpd-cli shows one: it is subscribed
 * then. Returns the offset past that line. */
static size_t bg_subscribed(int fd)
{
	char name[32];

	for (int i = 0;; i++) {
		size_t from = 0;

		cr_assert_lt(i, TEST_TIMEOUT_MS / 50,
			     "mpd-cli never showed a "
			     "probe:\n%s",
			     bg.buf);
		snprintf(name, sizeof(name), "probe-%d", i);
		test_ok0(fd, "queue.create", test_nm(name));
		bg_read(50);
		if (strstr(bg.buf, "probe-") != NULL) {
			const char *const w[] = { name, NULL };

			bg_wait_line(&from, w);
			return from;
		}
	}
}

Test(cli_events, prints_events_as_they_come)
{
	static const char *const args[] = { "events", NULL };
	size_t at;
	long long id;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	bg_start(args);
	at = bg_subscribed(fd);
	id = test_start_proc(fd, json_pack("{s:[sss], s:s}", "argv", "sh", "-c",
					   "exit 3", "name", "three"));
	{
		char idtext[32];
		const char *const created[] = { "process created three", idtext,
						NULL };
		const char *const exited[] = { "process exited three",
					       "exit code 3", NULL };

		snprintf(idtext, sizeof(idtext), "(id %lld", id);
		bg_wait_line(&at, created);
		bg_wait_line(&at, exited);
	}
	test_ok0(fd, "lock.create", test_nm("db"));
	{
		const char *const w[] = { "lock created db", NULL };

		bg_wait_line(&at, w);
	}
	cr_assert_eq(kill(bg.pid, SIGTERM), 0);
	cr_assert_eq(bg_wait_exit(), 0);
	close(fd);
	mpdd_stop_all(&d);
}

Test(cli_events, json_kind_and_prefix)
{
	static const char *const args[] = { "--json",	"events", "--kind",
					    "process",	"--kind", "queue",
					    "--prefix", "p",	  NULL };
	size_t at;
	int fd;
	char *line, *end;
	json_t *ev;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	bg_start(args);
	at = bg_subscribed(fd);
	/* Not these: another kind, another prefix. */
	test_ok0(fd, "value.create",
		 json_pack("{s:s, s:s}", "name", "pv", "type", "int"));
	test_ok0(fd, "queue.create", test_nm("other"));
	test_ok0(fd, "queue.create", test_nm("pq"));
	{
		const char *const w[] = { "\"pq\"", NULL };
		size_t from = at;

		bg_wait_line(&from, w);
	}
	/* Every line is one event's params as JSON; the first is pq's. */
	line = bg.buf + at;
	end = strchr(line, '\n');
	cr_assert_not_null(end);
	*end = '\0';
	ev = json_loads(line, 0, NULL);
	cr_assert_not_null(ev, "not JSON: %s", line);
	cr_assert_str_eq(json_string_value(json_object_get(ev, "kind")),
			 "queue");
	cr_assert_str_eq(json_string_value(json_object_get(ev, "event")),
			 "created");
	cr_assert_str_eq(json_string_value(json_object_get(ev, "name")), "pq");
	cr_assert(json_is_integer(json_object_get(ev, "seq")));
	json_decref(ev);
	cr_assert_eq(kill(bg.pid, SIGINT), 0);
	cr_assert_eq(bg_wait_exit(), 0);
	close(fd);
	mpdd_stop_all(&d);
}

Test(cli_events, ends_with_3_when_mpdd_goes_away)
{
	static const char *const args[] = { "events", NULL };
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	bg_start(args);
	bg_subscribed(fd);
	close(fd);
	mpdd_cleanup(&d); /* SIGKILL */
	cr_assert_eq(bg_wait_exit(), 3);
}

Test(cli_events, a_kind_that_is_not_one)
{
	static const char *const args[] = { "events", "--kind", "nope", NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(test_cli(&r, d.socket, args, NULL, NULL), 2, "%s", r.err);
	cr_assert(strstr(r.err, "nope") != NULL || strstr(r.err, "kind"), "%s",
		  r.err);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_events, ps_watch_shows_a_process_appear_and_end)
{
	static const char *const args[] = { "ps", "--watch", NULL };
	static const char *const header[] = { "ID", "STATE", NULL };
	static const char *const running[] = { "watched", "running", NULL };
	static const char *const exited[] = { "watched", "exited", NULL };
	size_t at = 0;
	int fd, in;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	bg_start(args);
	bg_wait_line(&at, header); /* the first table: subscribed */
	test_start_fed(fd,
		       json_pack("{s:[sss], s:s}", "argv", "sh", "-c", "read x",
				 "name", "watched"),
		       &in);
	bg_wait_line(&at, running);
	close(in); /* read x ends: the worker exits */
	bg_wait_line(&at, exited);
	cr_assert_eq(kill(bg.pid, SIGTERM), 0);
	cr_assert_eq(bg_wait_exit(), 0);
	close(fd);
	mpdd_stop_all(&d);
}
