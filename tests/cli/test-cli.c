/*
 * test-cli.c - the built mpd-cli, run as a user runs it.
 *
 * Each test runs the binary this build produced (against a real mpdd where
 * one is needed) and checks what scripts rely on: stdout, the exit status
 * (0 ok, 1 failed, 2 usage, 3 unreachable) and that every failure is
 * exactly one "mpd-cli: ..." line on stderr.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

TestSuite(cli, .fini = teardown, .timeout = 60);

/*
 * Run mpd-cli with args (NULL-terminated) and MPD_SOCKET unset unless env
 * sets it. Returns the exit status; fails the test if it did not exit.
 */
static int cli_run(struct run_result *r, const char *const *args,
		   const char *const *env)
{
	return test_cli(r, NULL, args, env, NULL);
}

/* Assert s is exactly one line starting with "mpd-cli: ". */
static void assert_one_error_line(const char *s)
{
	const char *nl = strchr(s, '\n');

	cr_assert_eq(strncmp(s, "mpd-cli: ", 9), 0, "stderr: %s", s);
	cr_assert(nl != NULL && nl[1] == '\0', "not one line: %s", s);
}

Test(cli, ping_prints_pong_with_the_socket_and_time)
{
	const char *args[] = { "--socket", d.socket, "ping", NULL };
	struct run_result r;
	char expect[PATH_MAX + 32];
	double ms = -1;
	char ms_text[32];

	mpdd_start(&d, NULL);
	cr_assert_eq(cli_run(&r, args, NULL), 0, "stderr: %s", r.err);
	snprintf(expect, sizeof(expect), "pong from %s in ", d.socket);
	cr_assert_eq(strncmp(r.out, expect, strlen(expect)), 0, "stdout: %s",
		     r.out);
	cr_assert_eq(sscanf(r.out + strlen(expect), "%lf ms\n", &ms), 1);
	cr_assert_geq(ms, 0);
	snprintf(ms_text, sizeof(ms_text), "%.3f ms\n", ms);
	cr_assert_str_eq(r.out + strlen(expect), ms_text);
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);
	mpdd_stop(&d);
}

Test(cli, ping_json_prints_the_result)
{
	const char *args[] = { "-s", d.socket, "--json", "ping", NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli_run(&r, args, NULL), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "{}\n");
	test_run_free(&r);
	mpdd_stop(&d);
}

Test(cli, socket_comes_from_MPD_SOCKET_without_an_option)
{
	const char *args[] = { "ping", NULL };
	char env_sock[PATH_MAX + 16];
	const char *env[] = { env_sock, NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	snprintf(env_sock, sizeof(env_sock), "MPD_SOCKET=%s", d.socket);
	cr_assert_eq(cli_run(&r, args, env), 0, "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.out, d.socket), "stdout: %s", r.out);
	test_run_free(&r);
	mpdd_stop(&d);
}

Test(cli, options_after_the_command_are_accepted)
{
	const char *args[] = { "daemon",   "info",   "-j",
			       "--socket", d.socket, NULL };
	struct run_result r;
	json_t *v;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli_run(&r, args, NULL), 0, "stderr: %s", r.err);
	v = test_json(r.out);
	cr_assert(json_is_object(v));
	json_decref(v);
	test_run_free(&r);
	mpdd_stop(&d);
}

/* out has "uptime: N.Ns" and "started: YYYY-MM-DD HH:MM:SS ZONE". */
static void assert_human_times(const char *out)
{
	const char *up = strstr(out, "\nuptime: ");
	const char *st = strstr(out, "\nstarted: ");
	int y, mo, dd, h, mi, sec, n = 0;
	double secs;
	char unit;

	cr_assert_not_null(up, "stdout: %s", out);
	cr_assert_eq(sscanf(up, "\nuptime: %lf%c", &secs, &unit), 2);
	cr_assert_eq(unit, 's', "stdout: %s", out);
	cr_assert_not_null(st, "stdout: %s", out);
	cr_assert_eq(sscanf(st, "\nstarted: %d-%d-%d %d:%d:%d %*s%n", &y, &mo,
			    &dd, &h, &mi, &sec, &n),
		     6, "stdout: %s", out);
	cr_assert_gt(n, 0);
	cr_assert_geq(y, 2020);
}

Test(cli, daemon_info_prints_flattened_key_value_lines)
{
	const char *args[] = { "-s", d.socket, "daemon", "info", NULL };
	struct run_result r;
	char line[PATH_MAX + 32];

	mpdd_start(&d, NULL);
	cr_assert_eq(cli_run(&r, args, NULL), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.err, "");
	snprintf(line, sizeof(line), "\nsocket: %s\n", d.socket);
	cr_assert_not_null(strstr(r.out, line), "stdout: %s", r.out);
	snprintf(line, sizeof(line), "\npid: %d\n", (int)d.pid);
	cr_assert_not_null(strstr(r.out, line), "stdout: %s", r.out);
	cr_assert_eq(strncmp(r.out, "version: ", 9), 0, "stdout: %s", r.out);
	cr_assert_not_null(strstr(r.out, "\nprotocol: 6\n"));
	cr_assert_not_null(strstr(r.out, "\nlimits.max_message: 1048576\n"),
			   "stdout: %s", r.out);
	cr_assert_not_null(strstr(r.out, "\nlimits.max_connections: "));
	cr_assert_not_null(strstr(r.out, "\nlimits.max_output: "));
	/* Times for people: a duration and a local time, not raw seconds. */
	assert_human_times(r.out);
	test_run_free(&r);
	mpdd_stop(&d);
}

Test(cli, daemon_info_json_is_the_object_on_one_line)
{
	const char *args[] = {
		"--json", "-s", d.socket, "daemon", "info", NULL
	};
	struct run_result r;
	json_t *v;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli_run(&r, args, NULL), 0, "stderr: %s", r.err);
	cr_assert_eq(strchr(r.out, '\n'), r.out + strlen(r.out) - 1,
		     "not one line: %s", r.out);
	v = test_json(r.out);
	cr_assert_str_eq(json_string_value(json_object_get(v, "socket")),
			 d.socket);
	cr_assert_eq(json_integer_value(json_object_get(v, "pid")), d.pid);
	cr_assert(json_is_object(json_object_get(v, "limits")));
	json_decref(v);
	test_run_free(&r);
	mpdd_stop(&d);
}

Test(cli, rpc_daemon_ping_prints_its_result)
{
	const char *args[] = { "-s", d.socket, "rpc", "daemon.ping", NULL };
	const char *args2[] = {
		"-s", d.socket, "rpc", "daemon.ping", "{}", NULL
	};
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli_run(&r, args, NULL), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "{}\n");
	test_run_free(&r);
	cr_assert_eq(cli_run(&r, args2, NULL), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "{}\n");
	test_run_free(&r);
	mpdd_stop(&d);
}

Test(cli, rpc_indents_by_default_and_is_compact_with_json)
{
	const char *args[] = { "-s", d.socket, "rpc", "daemon.info", NULL };
	const char *args_json[] = { "-s",  d.socket,	  "-j",
				    "rpc", "daemon.info", NULL };
	struct run_result r;
	json_t *v;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli_run(&r, args, NULL), 0, "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.out, "{\n  \"version\": "), "stdout: %s",
			   r.out);
	v = test_json(r.out);
	cr_assert(json_is_object(v));
	json_decref(v);
	test_run_free(&r);

	cr_assert_eq(cli_run(&r, args_json, NULL), 0, "stderr: %s", r.err);
	cr_assert_eq(strchr(r.out, '\n'), r.out + strlen(r.out) - 1,
		     "not one line: %s", r.out);
	v = test_json(r.out);
	cr_assert(json_is_object(json_object_get(v, "limits")));
	json_decref(v);
	test_run_free(&r);
	mpdd_stop(&d);
}

Test(cli, rpc_unknown_method_exits_1_naming_method_not_found)
{
	const char *args[] = { "-s", d.socket, "rpc", "no.such", NULL };
	const char *ping[] = { "-s", d.socket, "ping", NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli_run(&r, args, NULL), 1);
	assert_one_error_line(r.err);
	cr_assert_eq(strncmp(r.err, "mpd-cli: no.such: ", 18), 0, "stderr: %s",
		     r.err);
	cr_assert_not_null(strstr(r.err, " (method_not_found)\n"), "stderr: %s",
			   r.err);
	cr_assert_str_eq(r.out, "");
	test_run_free(&r);
	cr_assert_eq(cli_run(&r, ping, NULL), 0, "mpdd still serves: %s",
		     r.err);
	test_run_free(&r);
	mpdd_stop(&d);
}

Test(cli, rpc_invalid_params_exits_1_naming_invalid_params)
{
	const char *args[] = { "-s",	      d.socket,	       "rpc",
			       "daemon.ping", "{\"bogus\":1}", NULL };
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli_run(&r, args, NULL), 1);
	assert_one_error_line(r.err);
	cr_assert_eq(strncmp(r.err, "mpd-cli: daemon.ping: ", 22), 0,
		     "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.err, "bogus"), "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.err, " (invalid_params)\n"), "stderr: %s",
			   r.err);
	test_run_free(&r);
	mpdd_stop(&d);
}

/* Bad PARAMS-JSON is a usage error found before connecting: no daemon. */
Test(cli, rpc_bad_json_is_a_usage_error_naming_the_position)
{
	const char *args[] = { "-s",	  "/nonexistent/mpd.sock",
			       "rpc",	  "daemon.ping",
			       "{\"a\":", NULL };
	struct run_result r;

	cr_assert_eq(cli_run(&r, args, NULL), 2, "stderr: %s", r.err);
	assert_one_error_line(r.err);
	cr_assert_not_null(strstr(r.err, "PARAMS-JSON"), "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.err, "position 5"), "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.err, "Try 'mpd-cli rpc --help'."),
			   "stderr: %s", r.err);
	test_run_free(&r);
}

Test(cli, rpc_params_that_are_not_an_object_or_array_are_a_usage_error)
{
	const char *args[] = { "-s",  "/nonexistent/mpd.sock",
			       "rpc", "daemon.ping",
			       "5",   NULL };
	struct run_result r;

	cr_assert_eq(cli_run(&r, args, NULL), 2, "stderr: %s", r.err);
	assert_one_error_line(r.err);
	cr_assert_not_null(strstr(r.err, "object or an array"), "stderr: %s",
			   r.err);
	test_run_free(&r);
}

/*
 * Parameter structs hold their strings, not pointers: Criterion copies them
 * into a test process where the binary's addresses may differ.
 */
#define CASE_ARGS     4
#define CASE_ARG_MAX  32
#define CASE_TEXT_MAX 128

/* Every command that needs the daemon: status 3 and the socket named. */
struct unreachable_case {
	char args[CASE_ARGS][CASE_ARG_MAX]; /* "" ends the list */
};

ParameterizedTestParameters(cli, no_daemon_exits_3_naming_the_socket)
{
	static struct unreachable_case cases[] = {
		{ { "ping" } },
		{ { "daemon", "info" } },
		{ { "rpc", "daemon.ping" } },
		{ { "--json", "rpc", "daemon.info", "{}" } },
	};

	return cr_make_param_array(struct unreachable_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

/* Is --json (or -j) among args (NULL-terminated)? */
static bool has_json_flag(const char *const *args)
{
	for (; *args != NULL; args++)
		if (strcmp(*args, "--json") == 0 || strcmp(*args, "-j") == 0)
			return true;
	return false;
}

ParameterizedTest(struct unreachable_case *tc, cli,
		  no_daemon_exits_3_naming_the_socket)
{
	const char *args[CASE_ARGS + 3];
	char expect[PATH_MAX + 128];
	struct run_result r;
	int n = 0;

	mpdd_init(&d); /* a temp dir, no daemon */
	args[n++] = "--socket";
	args[n++] = d.socket;
	test_case_args(args + n, tc->args[0], CASE_ARGS, CASE_ARG_MAX);
	cr_assert_eq(cli_run(&r, args, NULL), 3, "stderr: %s", r.err);
	snprintf(expect, sizeof(expect),
		 "mpd-cli: cannot connect to mpdd at %s: No such file or "
		 "directory (is mpdd running?)\n",
		 d.socket);
	cr_assert_str_eq(r.err, expect);
	if (has_json_flag(args)) {
		/* --json: the error as an object on stdout too. */
		json_t *o = test_json(r.out), *e = json_object_get(o, "error");

		cr_assert_str_eq(json_string_value(json_object_get(e, "name")),
				 "connect", "stdout: %s", r.out);
		cr_assert_not_null(
			strstr(json_string_value(json_object_get(e, "message")),
			       d.socket));
		json_decref(o);
	} else {
		cr_assert_str_eq(r.out, "");
	}
	test_run_free(&r);
}

/* --help at every level: usage on stdout, status 0, nothing on stderr. */
struct help_case {
	char args[CASE_ARGS][CASE_ARG_MAX];
	char usage[CASE_TEXT_MAX]; /* the first line */
};

ParameterizedTestParameters(cli, help_at_every_level_exits_0)
{
	static struct help_case cases[] = {
		{ { "--help" },
		  "Usage: mpd-cli [OPTIONS] COMMAND [ARGS...]\n" },
		{ { "-h" }, "Usage: mpd-cli [OPTIONS] COMMAND [ARGS...]\n" },
		{ { "help" }, "Usage: mpd-cli [OPTIONS] COMMAND [ARGS...]\n" },
		{ { "ping", "--help" }, "Usage: mpd-cli [OPTIONS] ping\n" },
		{ { "daemon", "--help" },
		  "Usage: mpd-cli [OPTIONS] daemon COMMAND\n" },
		{ { "daemon", "-h" },
		  "Usage: mpd-cli [OPTIONS] daemon COMMAND\n" },
		{ { "daemon", "info", "--help" },
		  "Usage: mpd-cli [OPTIONS] daemon info\n" },
		{ { "rpc", "--help" },
		  "Usage: mpd-cli [OPTIONS] rpc METHOD [PARAMS-JSON]\n" },
		{ { "rpc", "daemon.ping", "--help" },
		  "Usage: mpd-cli [OPTIONS] rpc METHOD [PARAMS-JSON]\n" },
		{ { "help", "daemon", "info" },
		  "Usage: mpd-cli [OPTIONS] daemon info\n" },
		{ { "help", "rpc" },
		  "Usage: mpd-cli [OPTIONS] rpc METHOD [PARAMS-JSON]\n" },
		{ { "help", "--help" },
		  "Usage: mpd-cli [OPTIONS] help [COMMAND...]\n" },
	};

	return cr_make_param_array(struct help_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct help_case *tc, cli, help_at_every_level_exits_0)
{
	const char *args[CASE_ARGS + 1];
	struct run_result r;

	test_case_args(args, tc->args[0], CASE_ARGS, CASE_ARG_MAX);
	cr_assert_eq(cli_run(&r, args, NULL), 0, "stderr: %s", r.err);
	cr_assert_eq(strncmp(r.out, tc->usage, strlen(tc->usage)), 0,
		     "stdout: %s", r.out);
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);
}

Test(cli, top_help_lists_every_command)
{
	const char *args[] = { "--help", NULL };
	struct run_result r;

	cr_assert_eq(cli_run(&r, args, NULL), 0);
	cr_assert_not_null(strstr(r.out, "\n  ping "));
	cr_assert_not_null(strstr(r.out, "\n  daemon info "));
	cr_assert_not_null(strstr(r.out, "\n  rpc METHOD [PARAMS-JSON] "));
	cr_assert_not_null(strstr(r.out, "\n  help [COMMAND...] "));
	test_run_free(&r);
}

Test(cli, version_prints_the_version)
{
	static const char prefix[] = "mpd-cli " MPD_VERSION " (libmpd ";
	const char *args[] = { "--version", NULL };
	struct run_result r;

	cr_assert_eq(cli_run(&r, args, NULL), 0);
	cr_assert_eq(strncmp(r.out, prefix, strlen(prefix)), 0, "stdout: %s",
		     r.out);
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);
}

/* Usage errors: status 2, one line naming the help to read. */
struct usage_case {
	char args[CASE_ARGS][CASE_ARG_MAX];
	char err[CASE_TEXT_MAX]; /* the whole stderr */
};

ParameterizedTestParameters(cli, usage_errors_exit_2_with_one_line)
{
	static struct usage_case cases[] = {
		{ { "" }, "mpd-cli: missing command. Try 'mpd-cli --help'.\n" },
		{ { "nope" },
		  "mpd-cli: unknown command 'nope'. Try 'mpd-cli --help'.\n" },
		{ { "--bogus", "ping" },
		  "mpd-cli: unknown option '--bogus'. Try 'mpd-cli "
		  "--help'.\n" },
		{ { "-x" },
		  "mpd-cli: unknown option '-x'. Try 'mpd-cli --help'.\n" },
		{ { "-s" },
		  "mpd-cli: option '-s' needs an argument. Try 'mpd-cli "
		  "--help'.\n" },
		{ { "daemon" },
		  "mpd-cli: daemon: missing command. Try 'mpd-cli daemon "
		  "--help'.\n" },
		{ { "daemon", "nope" },
		  "mpd-cli: unknown command 'nope'. Try 'mpd-cli daemon "
		  "--help'.\n" },
		{ { "daemon", "info", "extra" },
		  "mpd-cli: daemon info: too many arguments. Try 'mpd-cli "
		  "daemon info --help'.\n" },
		{ { "ping", "--bogus" },
		  "mpd-cli: unknown option '--bogus'. Try 'mpd-cli ping "
		  "--help'.\n" },
		{ { "rpc" },
		  "mpd-cli: rpc: missing arguments. Try 'mpd-cli rpc "
		  "--help'.\n" },
		{ { "rpc", "a", "{}", "extra" },
		  "mpd-cli: rpc: too many arguments. Try 'mpd-cli rpc "
		  "--help'.\n" },
		{ { "help", "nope" },
		  "mpd-cli: unknown command 'nope'. Try 'mpd-cli --help'.\n" },
		/* A near miss gets a suggestion; two as near get none. */
		{ { "pss" },
		  "mpd-cli: unknown command 'pss' (did you mean 'ps'?). Try "
		  "'mpd-cli --help'.\n" },
		{ { "termiante" },
		  "mpd-cli: unknown command 'termiante' (did you mean "
		  "'terminate'?). Try 'mpd-cli --help'.\n" },
		{ { "queue", "gte" },
		  "mpd-cli: unknown command 'gte' (did you mean 'get'?). Try "
		  "'mpd-cli queue --help'.\n" },
		{ { "help", "valeu" },
		  "mpd-cli: unknown command 'valeu' (did you mean 'value'?). "
		  "Try 'mpd-cli --help'.\n" },
		{ { "jo" },
		  "mpd-cli: unknown command 'jo'. Try 'mpd-cli --help'.\n" },
	};

	return cr_make_param_array(struct usage_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct usage_case *tc, cli, usage_errors_exit_2_with_one_line)
{
	const char *args[8];
	struct run_result r;

	test_case_args(args, tc->args[0], CASE_ARGS, CASE_ARG_MAX);
	cr_assert_eq(cli_run(&r, args, NULL), 2, "stderr: %s", r.err);
	cr_assert_str_eq(r.err, tc->err);
	cr_assert_str_eq(r.out, "");
	test_run_free(&r);
}

Test(cli, a_daemon_that_goes_away_is_reported_on_the_next_run)
{
	const char *args[] = { "-s", d.socket, "ping", NULL };
	char sock[PATH_MAX];
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(cli_run(&r, args, NULL), 0, "stderr: %s", r.err);
	test_run_free(&r);
	snprintf(sock, sizeof(sock), "%s", d.socket);
	mpdd_signal_wait(&d, SIGKILL); /* the socket file stays behind */
	cr_assert_eq(cli_run(&r, args, NULL), 3, "stderr: %s", r.err);
	assert_one_error_line(r.err);
	cr_assert_not_null(strstr(r.err, sock), "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.err, "Connection refused"), "stderr: %s",
			   r.err);
	test_run_free(&r);
}
