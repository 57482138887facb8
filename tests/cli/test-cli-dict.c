/*
 * test-cli-dict.c - the "dict" commands of mpd-cli against a real mpdd,
 * as a script uses them: what each prints, with and without --json, the
 * exit statuses scripts rely on (4 for a missing key, 1 for contains
 * saying no), counters from parallel shells ending exact, --help at every
 * level, usage errors found before connecting, and no daemon.
 */
#include "config.h"

#include <limits.h>
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
	mpdd_teardown(&d);
}

TestSuite(cli_dict, .fini = teardown, .timeout = 120);

/* Run mpd-cli dict with args (NULL-terminated); assert its status and
 * stdout (NULL: not checked) and an empty stderr when it is 0. */
static void dict_cli(int status, const char *out, const char *const *args)
{
	struct run_result r;

	cr_assert_eq(test_cli(&r, d.socket, args, NULL, NULL), status,
		     "%s: status, stderr: %s", args[1], r.err);
	if (out != NULL)
		cr_assert_str_eq(r.out, out, "%s", args[1]);
	if (status == 0)
		cr_assert_str_eq(r.err, "", "%s", args[1]);
	test_run_free(&r);
}

#define CLI(status, out, ...) \
	dict_cli(status, out, \
		 (const char *const[]){ "dict", __VA_ARGS__, NULL })

Test(cli_dict, every_command_prints_what_its_help_says)
{
	mpdd_start(&d, NULL);
	CLI(0, "", "create", "d");
	CLI(0,
	    "{\"name\":\"d\",\"uid\":0,\"mode\":\"owner\",\"len\":0,"
	    "\"created\":false}\n",
	    "create", "d", "--exist-ok", "--json");
	CLI(0, "", "set", "d", "n", "41");
	CLI(0, "", "set", "d", "s", "hello world", "--string");
	CLI(0, "\"hello world\"\n", "get", "d", "s");
	CLI(0, "hello world\n", "get", "d", "s", "--raw");
	CLI(0, "41\n", "get", "d", "n");
	CLI(0, "{\"value\":41,\"found\":true}\n", "--json", "get", "d", "n");
	CLI(0, "0\n", "get", "d", "zz", "--default", "0");
	CLI(0, "42\n", "add", "d", "n", "1");
	CLI(0, "0.5\n", "add", "d", "f", "0.5");
	CLI(0, "42\n", "setdefault", "d", "n", "7");
	CLI(0, "[1,2]\n", "setdefault", "d", "list", "[1,2]");
	CLI(0, "null\n", "setdefault", "d", "nothing");
	CLI(0, "", "update", "d", "{\"a\":{\"b\":true},\"z\":\"last\"}");
	CLI(0, "a\nf\nlist\nn\nnothing\ns\nz\n", "keys", "d");
	CLI(0, "s\nz\n", "keys", "d", "--after", "nothing");
	CLI(0, "s\t\"hello world\"\nz\t\"last\"\n", "items", "d", "--after",
	    "nothing");
	CLI(0, "s\thello world\nz\tlast\n", "items", "d", "--after", "nothing",
	    "--raw");
	CLI(0, "{\"items\":{\"s\":\"hello world\",\"z\":\"last\"}}\n", "--json",
	    "items", "d", "--after", "nothing");
	CLI(0, "{\"keys\":[\"z\"]}\n", "--json", "keys", "d", "--after", "s");
	CLI(0, "7\n", "len", "d");
	CLI(0, "true\n", "contains", "d", "z");
	CLI(1, "false\n", "contains", "d", "y");
	CLI(0, "\"last\"\n", "pop", "d", "z");
	CLI(0, "\"gone\"\n", "pop", "d", "z", "--default", "gone", "--string");
	CLI(0, "", "del", "d", "nothing");
	CLI(0, "{\"removed\":5}\n", "--json", "clear", "d");
	CLI(0, "NAME  LEN  UID  MODE\nd     0    0    owner\n", "list");
	CLI(0, "", "delete", "d");
	CLI(0, "NAME  LEN  UID  MODE\n", "list");
}

Test(cli_dict, info_prints_key_value_lines)
{
	struct run_result r;
	static const char *const parts[] = { "name: shared\n",
					     "mode: everyone\n", "len: 1\n",
					     "owner.uid: 0\n", "bytes: " };

	mpdd_start(&d, NULL);
	CLI(0, "", "create", "shared", "--mode", "everyone");
	CLI(0, "", "set", "shared", "k", "1");
	cr_assert_eq(test_cli(&r, d.socket,
			      (const char *const[]){ "dict", "info", "shared",
						     NULL },
			      NULL, NULL),
		     0);
	cr_assert(strncmp(r.out, "name: shared\n", 13) == 0, "%s", r.out);
	test_assert_has_all(r.out, parts, sizeof(parts) / sizeof(parts[0]));
	test_run_free(&r);
}

/* Failures: one line "mpd-cli: CMD: MESSAGE (NAME)" and the status. */
static void dict_fails(int status, const char *cmd, const char *name,
		       const char *const *args)
{
	struct run_result r;

	cr_assert_eq(test_cli(&r, d.socket, args, NULL, NULL), status,
		     "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "");
	test_assert_error_line(r.err, cmd, name);
	test_run_free(&r);
}

#define FAILS(status, cmd, name, ...) \
	dict_fails(status, cmd, name, \
		   (const char *const[]){ "dict", __VA_ARGS__, NULL })

Test(cli_dict, failures_exit_with_the_status_scripts_rely_on)
{
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI(0, "", "create", "d");
	CLI(0, "", "set", "d", "s", "\"text\"");
	FAILS(4, "dict get", "not_found", "get", "d", "missing");
	FAILS(4, "dict pop", "not_found", "pop", "d", "missing");
	FAILS(4, "dict del", "not_found", "del", "d", "missing");
	FAILS(4, "dict len", "not_found", "len", "nodict");
	FAILS(1, "dict create", "exists", "create", "d");
	FAILS(1, "dict add", "invalid_state", "add", "d", "s", "1");
	/* --json: the error object on stdout too. */
	cr_assert_eq(test_cli(&r, d.socket,
			      (const char *const[]){ "--json", "dict", "get",
						     "d", "missing", NULL },
			      NULL, NULL),
		     4);
	cr_assert(strstr(r.out, "\"key\":\"missing\"") != NULL, "%s", r.out);
	test_run_free(&r);
	test_assert_ping(d.socket);
}

/* Shells adding at once: every add counted. */
Test(cli_dict, adds_from_parallel_shells_end_exact)
{
	char script[2 * PATH_MAX + 128], *cli;
	pid_t pids[8];
	int status;

	mpdd_start(&d, NULL);
	CLI(0, "", "create", "c");
	cli = test_built("client/cli/mpd-cli");
	snprintf(script, sizeof(script),
		 "i=0; while [ $i -lt 25 ]; do %s --socket %s dict add c n 2 "
		 ">/dev/null || exit 1; i=$((i+1)); done",
		 cli, d.socket);
	for (int i = 0; i < 8; i++) {
		pids[i] = fork();
		cr_assert(pids[i] >= 0);
		if (pids[i] == 0) {
			execl("/bin/sh", "sh", "-c", script, (char *)NULL);
			_exit(127);
		}
	}
	for (int i = 0; i < 8; i++) {
		cr_assert(waitpid(pids[i], &status, 0) == pids[i]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	free(cli);
	CLI(0, "400\n", "get", "c", "n");
}

ParameterizedTestParameters(cli_dict, no_daemon_exits_3_naming_the_socket)
{
	static struct test_unreachable_case cases[] = {
		{ { "dict", "create", "d" } },
		{ { "dict", "get", "d", "k" } },
		{ { "dict", "set", "d", "k", "1" } },
		{ { "dict", "setdefault", "d", "k" } },
		{ { "dict", "pop", "d", "k" } },
		{ { "dict", "del", "d", "k" } },
		{ { "dict", "keys", "d" } },
		{ { "dict", "items", "d" } },
		{ { "dict", "len", "d" } },
		{ { "dict", "update", "d", "{}" } },
		{ { "dict", "clear", "d" } },
		{ { "dict", "contains", "d", "k" } },
		{ { "dict", "add", "d", "k", "1" } },
		{ { "dict", "info", "d" } },
		{ { "dict", "delete", "d" } },
		{ { "dict", "list" } },
	};

	return cr_make_param_array(struct test_unreachable_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct test_unreachable_case *tc, cli_dict,
		  no_daemon_exits_3_naming_the_socket)
{
	test_unreachable_run(&d, tc, NULL, NULL);
}

ParameterizedTestParameters(cli_dict, help_at_every_level_exits_0)
{
	static struct test_help_case cases[] = {
		{ { "dict", "--help" },
		  "Usage: mpd-cli [OPTIONS] dict COMMAND\n",
		  "\n  setdefault NAME KEY [V] " },
		{ { "help", "dict" },
		  "Usage: mpd-cli [OPTIONS] dict COMMAND\n",
		  "Manager().dict()" },
		{ { "dict", "create", "--help" },
		  "Usage: mpd-cli [OPTIONS] dict create NAME [OPTIONS]\n",
		  "\n      --mode M " },
		{ { "dict", "get", "--help" },
		  "Usage: mpd-cli [OPTIONS] dict get NAME KEY [OPTIONS]\n",
		  "exits 4" },
		{ { "dict", "set", "--help" },
		  "Usage: mpd-cli [OPTIONS] dict set NAME KEY V [OPTIONS]\n",
		  "\n      --string " },
		{ { "dict", "setdefault", "--help" },
		  "Usage: mpd-cli [OPTIONS] dict setdefault NAME KEY [V]\n",
		  "atomic" },
		{ { "dict", "pop", "--help" },
		  "Usage: mpd-cli [OPTIONS] dict pop NAME KEY [OPTIONS]\n",
		  "--default" },
		{ { "dict", "del", "--help" },
		  "Usage: mpd-cli [OPTIONS] dict del NAME KEY\n",
		  "exits 4" },
		{ { "dict", "keys", "--help" },
		  "Usage: mpd-cli [OPTIONS] dict keys NAME [OPTIONS]\n",
		  "\n      --after K " },
		{ { "dict", "items", "--help" },
		  "Usage: mpd-cli [OPTIONS] dict items NAME [OPTIONS]\n",
		  "KEY<TAB>VALUE" },
		{ { "dict", "len", "--help" },
		  "Usage: mpd-cli [OPTIONS] dict len NAME\n",
		  "" },
		{ { "dict", "update", "--help" },
		  "Usage: mpd-cli [OPTIONS] dict update NAME ENTRIES\n",
		  "all or" },
		{ { "dict", "clear", "--help" },
		  "Usage: mpd-cli [OPTIONS] dict clear NAME\n",
		  "removed" },
		{ { "dict", "contains", "--help" },
		  "Usage: mpd-cli [OPTIONS] dict contains NAME KEY\n",
		  "exits 1" },
		{ { "dict", "add", "--help" },
		  "Usage: mpd-cli [OPTIONS] dict add NAME KEY DELTA\n",
		  "counts as\n0" },
		{ { "dict", "info", "--help" },
		  "Usage: mpd-cli [OPTIONS] dict info NAME\n",
		  "bytes" },
		{ { "dict", "delete", "--help" },
		  "Usage: mpd-cli [OPTIONS] dict delete NAME\n",
		  "owner" },
		{ { "dict", "list", "--help" },
		  "Usage: mpd-cli [OPTIONS] dict list\n",
		  "NAME LEN UID MODE" },
	};

	return cr_make_param_array(struct test_help_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct test_help_case *tc, cli_dict,
		  help_at_every_level_exits_0)
{
	test_help_run(&d, tc, NULL, 80);
}

ParameterizedTestParameters(cli_dict, usage_errors_exit_2_with_one_line)
{
	static struct test_usage_case cases[] = {
		{ { "dict" },
		  "mpd-cli: dict: missing command. Try 'mpd-cli dict "
		  "--help'.\n" },
		{ { "dict", "get", "d" },
		  "mpd-cli: dict get: missing arguments. Try 'mpd-cli dict get "
		  "--help'.\n" },
		{ { "dict", "get", TEST_EMPTY_ARG, "k" },
		  "mpd-cli: dict get: NAME is empty. Try 'mpd-cli dict get "
		  "--help'.\n" },
		{ { "dict", "set", "d", "k", "{bad" },
		  "mpd-cli: dict set: V is not valid JSON: string or '}' "
		  "expected near 'bad' at position 4. Try 'mpd-cli dict set "
		  "--help'.\n" },
		{ { "dict", "add", "d", "k", "one" },
		  "mpd-cli: dict add: DELTA takes a number, not 'one'. Try "
		  "'mpd-cli dict add --help'.\n" },
		{ { "dict", "update", "d", "[1]" },
		  "mpd-cli: dict update: ENTRIES is not a JSON object. Try "
		  "'mpd-cli dict update --help'.\n" },
		{ { "dict", "create", "d", "--mode", "all" },
		  "mpd-cli: dict create: --mode takes owner, group or "
		  "everyone, not 'all'. Try 'mpd-cli dict create --help'.\n" },
		{ { "dict", "get", "d", "k", "--default", "{" },
		  "mpd-cli: dict get: --default is not valid JSON: string or "
		  "'}' expected near end of file at position 1. Try 'mpd-cli "
		  "dict get --help'.\n" },
	};

	return cr_make_param_array(struct test_usage_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct test_usage_case *tc, cli_dict,
		  usage_errors_exit_2_with_one_line)
{
	test_usage_run(&d, tc, NULL);
}
