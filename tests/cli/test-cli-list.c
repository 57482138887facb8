/*
 * test-cli-list.c - mpd-cli's list commands, run as a user runs them.
 *
 * Each test starts a real mpdd and runs the built mpd-cli against it: a
 * list goes through every command, what each prints (and with --json,
 * the daemon's result) checked exactly and what it did checked against
 * the daemon over a raw connection; Python's selections on the command
 * line (negative indexes, START:STOP:STEP); the exit statuses scripts
 * branch on (a missing list, an empty one, an index out of range, a
 * value absent), each with its one error line. Last, --help at every
 * level, usage errors and an unreachable daemon for every command.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "harness.h"

static struct mpdd d;

static void teardown(void)
{
	mpdd_teardown(&d);
}

TestSuite(cli_list, .fini = teardown, .timeout = 60);

/* Run mpd-cli --socket d.socket with args (NULL-terminated); returns the
 * exit status. */
static int cli(struct run_result *r, const char *const *args)
{
	return test_cli(r, d.socket, args, NULL, NULL);
}

#define CLI(r, ...) cli(r, (const char *const[]){ __VA_ARGS__, NULL })

/* Run a command that must succeed and print exactly want. */
#define CLI_OK_OUT(want, ...)                                                 \
	do {                                                                  \
		struct run_result r_;                                         \
		cr_assert_eq(CLI(&r_, __VA_ARGS__), 0, "stderr: %s", r_.err); \
		cr_assert_str_eq(r_.out, want);                               \
		cr_assert_str_eq(r_.err, "");                                 \
		test_run_free(&r_);                                           \
	} while (0)

/* Run a command that must fail with status, nothing on stdout and one
 * error line for cmd (with the daemon's error name, unless NULL). */
static void cli_fails(int status, const char *cmd, const char *name,
		      const char *const *args)
{
	struct run_result r;

	cr_assert_eq(cli(&r, args), status, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "");
	test_assert_error_line(r.err, cmd, name);
	test_run_free(&r);
}

#define CLI_FAILS(status, cmd, name, ...) \
	cli_fails(status, cmd, name, (const char *const[]){ __VA_ARGS__, NULL })

/* The whole of list name, as the daemon says, must be the JSON text
 * want. */
static void assert_items(const char *name, const char *want)
{
	char params[300];
	json_t *res, *w = test_json(want);
	char *got;

	snprintf(params, sizeof(params), "{\"name\":\"%s\"}", name);
	res = test_rpc_text(d.socket, "list.get", params, false);
	got = json_dumps(json_object_get(res, "items"), JSON_COMPACT);
	cr_assert(json_equal(json_object_get(res, "items"), w),
		  "list %s is %s, not %s", name, got, want);
	free(got);
	json_decref(w);
	json_decref(res);
}

Test(cli_list, a_list_goes_through_every_command)
{
	struct run_result r;
	json_t *info;
	char want[256];
	int w;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "list", "create", "L", "--items", "[1,2,3]");
	CLI_OK_OUT("", "list", "append", "L", "{\"k\": [true]}");
	CLI_OK_OUT("", "list", "extend", "--string", "L", "a b", "c");
	CLI_OK_OUT("", "list", "extend", "L", "null", "2.5");
	assert_items("L", "[1,2,3,{\"k\":[true]},\"a b\",\"c\",null,2.5]");
	CLI_OK_OUT("1\n2\n3\n{\"k\":[true]}\n\"a b\"\n\"c\"\nnull\n2.5\n",
		   "list", "get", "L");
	CLI_OK_OUT("\"c\"\n", "list", "get", "L", "-3");
	CLI_OK_OUT("a b\n", "list", "get", "--raw", "L", "4");
	CLI_OK_OUT("2.5\n\"c\"\n{\"k\":[true]}\n2\n", "list", "get", "L",
		   "::-2");
	CLI_OK_OUT("2\n3\n", "list", "get", "L", "1:-5");
	CLI_OK_OUT("", "list", "get", "L", "5:2");
	CLI_OK_OUT("", "list", "set", "L", "0", "\"zero\"");
	CLI_OK_OUT("", "list", "set", "L", "1:4", "x", "y", "--string");
	CLI_OK_OUT("", "list", "set", "L", "-2:");
	assert_items("L", "[\"zero\",\"x\",\"y\",\"a b\",\"c\"]");
	CLI_OK_OUT("\"c\"\n", "list", "pop", "L");
	CLI_OK_OUT("zero\n", "list", "pop", "--raw", "L", "0");
	CLI_OK_OUT("", "list", "insert", "L", "-1", "[0]");
	CLI_OK_OUT("", "list", "insert", "L", "100", "\"end\"");
	CLI_OK_OUT("", "list", "remove", "--string", "L", "y");
	CLI_OK_OUT("4\n", "list", "len", "L");
	assert_items("L", "[\"x\",[0],\"a b\",\"end\"]");
	/* info: key: value lines, the name first. */
	cr_assert_eq(CLI(&r, "list", "info", "L"), 0, "stderr: %s", r.err);
	snprintf(want, sizeof(want), "name: L\nlength: 4\nuid: %ld\n",
		 (long)getuid());
	cr_assert(strncmp(r.out, want, strlen(want)) == 0, "%s", r.out);
	cr_assert(strstr(r.out, "\nmode: owner\n") != NULL, "%s", r.out);
	cr_assert(strstr(r.out, "\nowner.pid: ") != NULL, "%s", r.out);
	test_run_free(&r);
	CLI_OK_OUT("", "list", "create", "B", "--mode", "everyone");
	w = snprintf(NULL, 0, "%ld", (long)getuid());
	w = w > 3 ? w : 3;
	snprintf(want, sizeof(want),
		 "NAME  LENGTH  %-*s  MODE\n"
		 "B     0       %-*ld  everyone\n"
		 "L     4       %-*ld  owner\n",
		 w, "UID", w, (long)getuid(), w, (long)getuid());
	CLI_OK_OUT(want, "list", "list");
	info = test_rpc_text(d.socket, "list.info", "{\"name\":\"B\"}", false);
	cr_assert_str_eq(json_string_value(json_object_get(info, "mode")),
			 "everyone");
	json_decref(info);
	CLI_OK_OUT("", "list", "clear", "L");
	assert_items("L", "[]");
	CLI_OK_OUT("", "list", "delete", "L");
	CLI_OK_OUT("", "list", "delete", "B");
	CLI_OK_OUT("NAME  LENGTH  UID  MODE\n", "list", "list");
}

Test(cli_list, json_prints_the_daemon_s_results)
{
	char want[256];

	mpdd_start(&d, NULL);
	snprintf(want, sizeof(want),
		 "{\"name\":\"L\",\"length\":2,\"uid\":%ld,\"mode\":"
		 "\"owner\",\"created\":true}\n",
		 (long)getuid());
	CLI_OK_OUT(want, "-j", "list", "create", "L", "--items", "[1,\"two\"]");
	CLI_OK_OUT("{\"length\":3}\n", "-j", "list", "append", "L", "3");
	CLI_OK_OUT("{\"items\":[1,\"two\",3]}\n", "-j", "list", "get", "L");
	CLI_OK_OUT("{\"value\":\"two\"}\n", "--json", "list", "get", "L", "1");
	CLI_OK_OUT("{\"value\":3}\n", "-j", "list", "pop", "L");
	CLI_OK_OUT("{\"length\":2}\n", "-j", "list", "len", "L");
	CLI_OK_OUT("{}\n", "-j", "list", "clear", "L");
	snprintf(want, sizeof(want),
		 "[{\"name\":\"L\",\"length\":0,\"uid\":%ld,\"mode\":"
		 "\"owner\"}]\n",
		 (long)getuid());
	CLI_OK_OUT(want, "-j", "list", "list");
}

Test(cli_list, failures_exit_with_the_status_scripts_branch_on)
{
	struct run_result r;
	json_t *out, *err;

	mpdd_start(&d, NULL);
	CLI_FAILS(4, "list get", "not_found", "list", "get", "nope");
	CLI_FAILS(4, "list pop", "not_found", "list", "pop", "nope");
	CLI_OK_OUT("", "list", "create", "L");
	CLI_FAILS(1, "list create", "exists", "list", "create", "L");
	CLI_OK_OUT("", "list", "create", "L", "--exist-ok");
	CLI_FAILS(5, "list pop", "empty", "list", "pop", "L");
	CLI_OK_OUT("", "list", "append", "L", "1");
	CLI_FAILS(1, "list get", "invalid_params", "list", "get", "L", "1");
	CLI_FAILS(1, "list set", "invalid_params", "list", "set", "L", "-2",
		  "0");
	CLI_FAILS(1, "list remove", "invalid_params", "list", "remove", "L",
		  "2");
	CLI_FAILS(1, "list set", "invalid_params", "list", "set", "L", "::2",
		  "1", "2");
	assert_items("L", "[1]");
	/* With --json the error is on stdout too, with its data. */
	cr_assert_eq(CLI(&r, "-j", "list", "get", "L", "5"), 1);
	out = test_json(r.out);
	err = json_object_get(out, "error");
	cr_assert_str_eq(json_string_value(json_object_get(err, "name")),
			 "invalid_params");
	cr_assert_eq(json_integer_value(json_object_get(
			     json_object_get(err, "data"), "length")),
		     1);
	json_decref(out);
	test_run_free(&r);
}

ParameterizedTestParameters(cli_list, no_daemon_exits_3_naming_the_socket)
{
	static struct test_unreachable_case cases[] = {
		{ { "list", "create", "L" } },
		{ { "list", "append", "L", "1" } },
		{ { "list", "extend", "L", "1", "2" } },
		{ { "list", "get", "L", "-1" } },
		{ { "list", "set", "L", "0", "1" } },
		{ { "list", "pop", "L" } },
		{ { "list", "len", "L" } },
		{ { "list", "insert", "L", "0", "1" } },
		{ { "list", "remove", "L", "1" } },
		{ { "list", "clear", "L" } },
		{ { "list", "info", "L" } },
		{ { "list", "delete", "L" } },
		{ { "list", "list" } },
	};

	return cr_make_param_array(struct test_unreachable_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct test_unreachable_case *tc, cli_list,
		  no_daemon_exits_3_naming_the_socket)
{
	test_unreachable_run(&d, tc, NULL, NULL);
}

/* --help at every level: usage on stdout, status 0, nothing on stderr. */
ParameterizedTestParameters(cli_list, help_at_every_level_exits_0)
{
	static struct test_help_case cases[] = {
		{ { "list", "--help" },
		  "Usage: mpd-cli [OPTIONS] list COMMAND\n",
		  "\n  get NAME [INDEX|SLICE] " },
		{ { "help", "list" },
		  "Usage: mpd-cli [OPTIONS] list COMMAND\n",
		  "Manager().list()" },
		{ { "list", "create", "--help" },
		  "Usage: mpd-cli [OPTIONS] list create NAME [OPTIONS]\n",
		  "\n      --items JSON " },
		{ { "list", "append", "--help" },
		  "Usage: mpd-cli [OPTIONS] list append NAME V\n",
		  "\n      --string " },
		{ { "list", "extend", "--help" },
		  "Usage: mpd-cli [OPTIONS] list extend NAME V...\n",
		  "all of them or none" },
		{ { "list", "get", "--help" },
		  "Usage: mpd-cli [OPTIONS] list get NAME [INDEX|SLICE]\n",
		  "\n      --raw " },
		{ { "list", "set", "--help" },
		  "Usage: mpd-cli [OPTIONS] list set NAME INDEX V\n",
		  "Or: mpd-cli list set NAME SLICE [V...]" },
		{ { "list", "pop", "--help" },
		  "Usage: mpd-cli [OPTIONS] list pop NAME [INDEX]\n",
		  "Exits 5" },
		{ { "list", "len", "--help" },
		  "Usage: mpd-cli [OPTIONS] list len NAME\n",
		  "number of items" },
		{ { "list", "insert", "--help" },
		  "Usage: mpd-cli [OPTIONS] list insert NAME INDEX V\n",
		  "insert()" },
		{ { "list", "remove", "--help" },
		  "Usage: mpd-cli [OPTIONS] list remove NAME V\n",
		  "1 and 1.0" },
		{ { "list", "clear", "--help" },
		  "Usage: mpd-cli [OPTIONS] list clear NAME\n",
		  "The list stays" },
		{ { "list", "info", "--help" },
		  "Usage: mpd-cli [OPTIONS] list info NAME\n",
		  "owner" },
		{ { "help", "list", "delete" },
		  "Usage: mpd-cli [OPTIONS] list delete NAME\n",
		  "Only its owner's uid" },
		{ { "list", "list", "--help" },
		  "Usage: mpd-cli [OPTIONS] list list\n",
		  "NAME LENGTH UID\nMODE" },
	};

	return cr_make_param_array(struct test_help_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct test_help_case *tc, cli_list,
		  help_at_every_level_exits_0)
{
	test_help_run(&d, tc, NULL, 80);
}

Test(cli_list, top_help_lists_the_list_commands)
{
	static const char *const lines[] = {
		"\n  list create NAME [OPTIONS] ",
		"\n  list get NAME [INDEX|SLICE] ",
		"\n  list pop NAME [INDEX] ",
		"\n  list list ",
	};
	struct run_result r;

	mpdd_init(&d);
	cr_assert_eq(CLI(&r, "--help"), 0, "stderr: %s", r.err);
	/* (Its 80 columns are for the other command families' tests,
	 * test-cli-chan.c's among them, to check.) */
	test_assert_has_all(r.out, lines, sizeof(lines) / sizeof(lines[0]));
	test_run_free(&r);
}

/* Usage errors: status 2, one line naming the help to read. */
ParameterizedTestParameters(cli_list, usage_errors_exit_2_with_one_line)
{
	static struct test_usage_case cases[] = {
		{ { "list" },
		  "mpd-cli: list: missing command. Try 'mpd-cli list "
		  "--help'.\n" },
		{ { "list", "apend", "L", "1" },
		  "mpd-cli: unknown command 'apend' (did you mean 'append'?). "
		  "Try 'mpd-cli list --help'.\n" },
		{ { "list", "create", TEST_EMPTY_ARG },
		  "mpd-cli: list create: NAME is empty. Try 'mpd-cli list "
		  "create --help'.\n" },
		{ { "list", "create", "L", "--items", "{}" },
		  "mpd-cli: list create: --items takes a JSON array, not '{}'. "
		  "Try 'mpd-cli list create --help'.\n" },
		{ { "list", "create", "L", "--mode", "all" },
		  "mpd-cli: list create: --mode takes owner, group or "
		  "everyone, not 'all'. Try 'mpd-cli list create --help'.\n" },
		{ { "list", "append", "L" },
		  "mpd-cli: list append: missing arguments. Try 'mpd-cli list "
		  "append --help'.\n" },
		{ { "list", "append", "L", "x" },
		  "mpd-cli: list append: V is not valid JSON: invalid token "
		  "near 'x' at position 1. Try 'mpd-cli list append "
		  "--help'.\n" },
		{ { "list", "get", "L", "x" },
		  "mpd-cli: list get: INDEX takes an integer, not 'x'. Try "
		  "'mpd-cli list get --help'.\n" },
		{ { "list", "get", "L", "1:x" },
		  "mpd-cli: list get: STOP takes an integer, not 'x'. Try "
		  "'mpd-cli list get --help'.\n" },
		{ { "list", "get", "L", "::0" },
		  "mpd-cli: list get: STEP must not be 0. Try 'mpd-cli list "
		  "get --help'.\n" },
		{ { "list", "get", "L", "1:2:3:4" },
		  "mpd-cli: list get: STEP takes an integer, not '3:4'. Try "
		  "'mpd-cli list get --help'.\n" },
		{ { "list", "set", "L", "0" },
		  "mpd-cli: list set: INDEX takes one V, not 0. Try 'mpd-cli "
		  "list set --help'.\n" },
		{ { "list", "set", "L", "0", "1", "2" },
		  "mpd-cli: list set: INDEX takes one V, not 2. Try 'mpd-cli "
		  "list set --help'.\n" },
		{ { "list", "pop", "L", "last" },
		  "mpd-cli: list pop: INDEX takes an integer, not 'last'. Try "
		  "'mpd-cli list pop --help'.\n" },
		{ { "list", "insert", "L", "0" },
		  "mpd-cli: list insert: missing arguments. Try 'mpd-cli list "
		  "insert --help'.\n" },
		{ { "list", "len", "L", "M" },
		  "mpd-cli: list len: too many arguments. Try 'mpd-cli list "
		  "len --help'.\n" },
		{ { "list", "list", "--raw" },
		  "mpd-cli: unknown option '--raw'. Try 'mpd-cli list list "
		  "--help'.\n" },
	};

	return cr_make_param_array(struct test_usage_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct test_usage_case *tc, cli_list,
		  usage_errors_exit_2_with_one_line)
{
	test_usage_run(&d, tc, NULL);
}
