/*
 * test-cli-broker.c - mpd-cli's queue, value and array commands, run as a
 * user runs them.
 *
 * Each test starts a real mpdd and runs the built mpd-cli against it, in
 * shell pipelines where that is how it is meant to be used (printf ... |
 * mpd-cli queue put, while job=$(mpd-cli queue get ...)). What the CLI
 * claims is checked against the daemon over a raw connection. Then the
 * README's queue example end to end: shell and function workers from
 * examples/ pull jobs from one queue, push results to another and bump a
 * shared counter. Last, --help, usage errors and an unreachable daemon for
 * every command.
 */
#include "config.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "harness.h"

static struct mpdd d;

/* The result of method (new reference); fails the test on an error. */
static json_t *rpc(const char *method, const char *params)
{
	return test_rpc_text(d.socket, method, params, false);
}

static void teardown(void)
{
	mpdd_teardown(&d);
}

TestSuite(cli_broker, .fini = teardown, .timeout = 60);

/* Run mpd-cli --socket d.socket with args (NULL-terminated), stdin_data
 * on its stdin (NULL: empty); returns the exit status. */
static int cli_in(struct run_result *r, const char *stdin_data,
		  const char *const *args)
{
	return test_cli(r, d.socket, args, NULL, stdin_data);
}

/* cli_in() with no stdin and the arguments listed. */
#define CLI(r, ...) cli_in(r, NULL, (const char *const[]){ __VA_ARGS__, NULL })
/* cli_in() with stdin_data. */
#define CLI_IN(r, in, ...) \
	cli_in(r, in, (const char *const[]){ __VA_ARGS__, NULL })

/*
 * Run script with /bin/sh -c, stdin_data on its stdin, $CLI the built
 * mpd-cli and MPD_SOCKET the daemon's. Returns the exit status.
 */
static int sh(struct run_result *r, const char *stdin_data, const char *script)
{
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	char *bin = test_built("client/cli/mpd-cli");
	char *cli_env, *sock_env;
	const char *env[3];

	cr_assert(asprintf(&cli_env, "CLI=%s", bin) > 0);
	cr_assert(asprintf(&sock_env, "MPD_SOCKET=%s", d.socket) > 0);
	env[0] = cli_env;
	env[1] = sock_env;
	env[2] = NULL;
	test_run(r, argv, env, stdin_data);
	free(cli_env);
	free(sock_env);
	free(bin);
	cr_assert(WIFEXITED(r->status), "sh did not exit (0x%x): %s", r->status,
		  r->err);
	return WEXITSTATUS(r->status);
}

/* Run a command that must succeed and print exactly want. */
#define CLI_OK_OUT(want, ...)                                                 \
	do {                                                                  \
		struct run_result r_;                                         \
		cr_assert_eq(CLI(&r_, __VA_ARGS__), 0, "stderr: %s", r_.err); \
		cr_assert_str_eq(r_.out, want);                               \
		cr_assert_str_eq(r_.err, "");                                 \
		test_run_free(&r_);                                           \
	} while (0)

/* The integer at key of queue.size of name. */
static long long queue_stat(const char *name, const char *key)
{
	char params[300];
	json_t *res;
	long long v;

	snprintf(params, sizeof(params), "{\"name\":\"%s\"}", name);
	res = rpc("queue.size", params);
	v = test_int(res, key);
	json_decref(res);
	return v;
}

Test(cli_broker, pipeline_of_strings_comes_back_in_order)
{
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "queue", "create", "jobs");
	cr_assert_eq(sh(&r, NULL,
			"printf 'a\\nb\\nc\\n' | \"$CLI\" queue put jobs "
			"--string"),
		     0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "");
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);
	cr_assert_eq(queue_stat("jobs", "size"), 3);
	CLI_OK_OUT("a\nb\nc\n", "queue", "get", "jobs", "--count", "3",
		   "--raw");
	cr_assert_eq(queue_stat("jobs", "size"), 0);
	mpdd_stop_all(&d);
}

Test(cli_broker, json_items_round_trip_as_compact_json)
{
	/* Compact, strings in UTF-8 with only what JSON must escape. */
	static const char items[] = "1\n\"two words\"\n{\"a\":[1,2.5,null]}\n"
				    "true\n0.1\n-7\n[]\n\"\xc3\xa9\\n\"\n";
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "queue", "create", "q");
	/* As arguments, then the same from stdin (blank lines skipped). */
	CLI_OK_OUT("", "queue", "put", "q", "1", "\"two words\"",
		   "{ \"a\": [1, 2.5, null] }", "true", "0.1", "-7", "[]",
		   "\"\\u00e9\\n\"");
	CLI_OK_OUT(items, "queue", "get", "q", "--count", "8", "--timeout",
		   "0");
	cr_assert_eq(CLI_IN(&r,
			    "1\n\n\"two words\"\n  \n{\"a\":[1,2.5,null]}\n"
			    "true\n0.1\n-7\n[]\n\"\\u00e9\\n\"",
			    "queue", "put", "q"),
		     0, "stderr: %s", r.err);
	test_run_free(&r);
	cr_assert_eq(queue_stat("q", "size"), 8);
	CLI_OK_OUT(items, "-j", "queue", "get", "q", "--count", "8",
		   "--timeout", "0", "--raw");
	mpdd_stop_all(&d);
}

Test(cli_broker, get_raw_prints_strings_as_text_and_the_rest_as_json)
{
	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "queue", "create", "q");
	CLI_OK_OUT("", "queue", "put", "q", "\"a \\\"b\\\"\"", "5",
		   "{\"s\":\"x\"}", "\"\"");
	CLI_OK_OUT("a \"b\"\n", "queue", "get", "q", "--raw", "--timeout", "0");
	CLI_OK_OUT("5\n", "queue", "get", "q", "--raw", "--timeout", "0");
	CLI_OK_OUT("{\"s\":\"x\"}\n", "queue", "get", "q", "--raw");
	CLI_OK_OUT("\"\"\n", "queue", "get", "q");
	mpdd_stop_all(&d);
}

Test(cli_broker, get_timeout_0_on_an_empty_queue_exits_5_naming_empty)
{
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "queue", "create", "jobs");
	cr_assert_eq(CLI(&r, "queue", "get", "jobs", "--timeout", "0"), 5);
	cr_assert_str_eq(r.out, "");
	test_assert_error_line(r.err, "queue get", "empty");
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "queue", "get", "jobs", "--count", "5",
			 "--timeout", "0"),
		     5);
	cr_assert_str_eq(r.out, "");
	test_assert_error_line(r.err, "queue get", "empty");
	test_run_free(&r);
	/* It waits for the timeout, not forever: a short one passes too. */
	cr_assert_eq(CLI(&r, "queue", "get", "jobs", "--timeout", "0.2"), 5);
	test_assert_error_line(r.err, "queue get", "empty");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_broker, get_count_stops_early_when_a_batch_finds_the_queue_empty)
{
	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "queue", "create", "q");
	CLI_OK_OUT("", "queue", "put", "q", "1", "2");
	CLI_OK_OUT("1\n2\n", "queue", "get", "q", "--count", "5", "--timeout",
		   "0");
	CLI_OK_OUT("", "queue", "put", "q", "3", "4", "5");
	CLI_OK_OUT("3\n4\n", "queue", "get", "q", "--count", "2");
	CLI_OK_OUT("5\n", "queue", "get", "q");
	mpdd_stop_all(&d);
}

Test(cli_broker, close_drains_then_get_exits_6_naming_closed)
{
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "queue", "create", "jobs");
	CLI_OK_OUT("", "queue", "put", "jobs", "--string", "last");
	CLI_OK_OUT("", "queue", "close", "jobs");
	CLI_OK_OUT("", "queue", "close", "jobs"); /* twice is fine */
	cr_assert_eq(CLI(&r, "queue", "put", "jobs", "1"), 6);
	test_assert_error_line(r.err, "queue put", "closed");
	test_run_free(&r);
	CLI_OK_OUT("last\n", "queue", "get", "jobs", "--raw");
	/* No timeout: closed and drained answers at once. */
	cr_assert_eq(CLI(&r, "queue", "get", "jobs"), 6);
	cr_assert_str_eq(r.out, "");
	test_assert_error_line(r.err, "queue get", "closed");
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "queue", "get", "jobs", "--count", "2"), 6);
	test_assert_error_line(r.err, "queue get", "closed");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_broker, while_get_loop_ends_when_the_queue_is_closed_and_drained)
{
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "queue", "create", "jobs");
	CLI_OK_OUT("", "queue", "put", "jobs", "--string", "a b", "c");
	CLI_OK_OUT("", "queue", "close", "jobs");
	cr_assert_eq(
		sh(&r, NULL,
		   "while job=$(\"$CLI\" queue get jobs --raw 2>/dev/null); "
		   "do echo \"got $job\"; done; echo end"),
		0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "got a b\ngot c\nend\n");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

/*
 * The documented worker loop ends with 0 on a closed queue and fails on a
 * queue deleted under it: each outcome has its own exit status.
 */
Test(cli_broker, a_loop_tells_closed_from_deleted_by_exit_status)
{
	const char *loop =
		"while :; do "
		"job=$(\"$CLI\" queue get jobs --raw 2>/dev/null) || "
		"{ s=$?; echo \"status $s\"; [ $s -eq 6 ] && exit 0; exit 1; }; "
		"echo \"got $job\"; done";
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "queue", "create", "jobs");
	CLI_OK_OUT("", "queue", "put", "jobs", "1");
	CLI_OK_OUT("", "queue", "close", "jobs");
	cr_assert_eq(sh(&r, NULL, loop), 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "got 1\nstatus 6\n");
	test_run_free(&r);
	CLI_OK_OUT("", "queue", "delete", "jobs");
	cr_assert_eq(sh(&r, NULL, loop), 1, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "status 4\n");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

/* With --json an error is also an object on stdout, one line, as the
 * daemon sent it; the text stays on stderr. */
Test(cli_broker, json_errors_are_an_object_on_stdout)
{
	struct run_result r;
	json_t *o, *e;

	mpdd_start(&d, NULL);
	cr_assert_eq(CLI(&r, "--json", "queue", "get", "nope"), 4);
	test_assert_error_line(r.err, "queue get", "not_found");
	o = test_json(r.out);
	e = json_object_get(o, "error");
	cr_assert_eq(json_integer_value(json_object_get(e, "code")), 1);
	cr_assert_str_eq(json_string_value(json_object_get(e, "name")),
			 "not_found");
	cr_assert_not_null(strstr(
		json_string_value(json_object_get(e, "message")), "nope"));
	json_decref(o);
	test_run_free(&r);
	CLI_OK_OUT("", "queue", "create", "q");
	cr_assert_eq(CLI(&r, "-j", "queue", "get", "q", "--timeout", "0"), 5);
	o = test_json(r.out);
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(o, "error"), "name")),
			 "empty");
	json_decref(o);
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "-j", "value", "set", "q", "1.5"), 4);
	o = test_json(r.out);
	cr_assert(json_is_object(json_object_get(o, "error")));
	json_decref(o);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_broker, big_pipeline_is_put_in_batches_in_order)
{
	const int n = 5000;
	struct run_result r;
	char *in = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&in, &len);
	int i;

	cr_assert_not_null(f);
	for (i = 1; i <= n; i++)
		fprintf(f, "%d\n", i);
	fclose(f);
	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "queue", "create", "q");
	cr_assert_eq(CLI_IN(&r, in, "-j", "queue", "put", "q"), 0, "stderr: %s",
		     r.err);
	cr_assert_str_eq(r.out, "{\"put\":5000,\"size\":5000}\n");
	test_run_free(&r);
	cr_assert_eq(queue_stat("q", "size"), n);
	cr_assert_eq(CLI(&r, "queue", "get", "q", "--count", "6000",
			 "--timeout", "0"),
		     0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, in);
	test_run_free(&r);
	free(in);
	/* Every put counts as a task: 5000 unfinished. */
	cr_assert_eq(queue_stat("q", "unfinished"), n);
	mpdd_stop_all(&d);
}

/* 18 MB of items: more than mpdd sends in one reply (it drops a client
 * with over max_output, 8 MiB, unread, and the items with it), so get
 * --count must ask for batches that fit. */
Test(cli_broker, get_count_of_big_items_asks_for_batches_that_fit)
{
	const size_t n = 30, size = 600000;
	struct run_result r;
	char *in = malloc(n * (size + 1) + 1);
	size_t i;

	cr_assert_not_null(in);
	for (i = 0; i < n; i++) {
		memset(in + i * (size + 1), 'a' + (int)(i % 26), size);
		in[i * (size + 1) + size] = '\n';
	}
	in[n * (size + 1)] = '\0';
	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "queue", "create", "big");
	cr_assert_eq(CLI_IN(&r, in, "queue", "put", "big", "--string"), 0,
		     "stderr: %s", r.err);
	test_run_free(&r);
	cr_assert_eq(queue_stat("big", "size"), (long long)n);
	cr_assert_eq(CLI(&r, "queue", "get", "big", "--count", "1000", "--raw",
			 "--timeout", "0"),
		     0, "stderr: %s", r.err);
	cr_assert_eq(strlen(r.out), n * (size + 1));
	cr_assert(strcmp(r.out, in) == 0, "the items differ");
	test_run_free(&r);
	free(in);
	mpdd_stop_all(&d);
}

/* A batch stays within the daemon's max_message, which closes the
 * connection of a longer request line. */
Test(cli_broker, put_batches_fit_a_small_max_message)
{
	static const char *const extra[] = { "--max-message", "4096", NULL };
	char *in = NULL, *want = NULL;
	size_t inlen = 0, wantlen = 0;
	FILE *fi = open_memstream(&in, &inlen);
	FILE *fw = open_memstream(&want, &wantlen);
	struct run_result r;

	cr_assert(fi != NULL && fw != NULL);
	for (int i = 0; i < 100; i++) {
		fprintf(fi, "%0100d\n", i);
		fprintf(fw, "\"%0100d\"\n", i);
	}
	fclose(fi);
	fclose(fw);
	mpdd_start(&d, extra);
	CLI_OK_OUT("", "queue", "create", "q");
	cr_assert_eq(CLI_IN(&r, in, "queue", "put", "q", "--string"), 0,
		     "stderr: %s", r.err);
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "queue", "get", "q", "--count", "100"), 0,
		     "stderr: %s", r.err);
	cr_assert_str_eq(r.out, want);
	test_run_free(&r);
	free(in);
	free(want);
	mpdd_stop_all(&d);
}

Test(cli_broker, put_on_a_bounded_queue_sends_batches_that_fit)
{
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "queue", "create", "q", "--maxsize", "2");
	/* Six items through a queue of two: a getter makes room. */
	cr_assert_eq(
		sh(&r, NULL,
		   "printf '1\\n2\\n3\\n4\\n5\\n6\\n' | \"$CLI\" queue put "
		   "q --timeout 10 & "
		   "\"$CLI\" queue get q --count 6 --timeout 10; "
		   "wait $! && echo put"),
		0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "1\n2\n3\n4\n5\n6\nput\n");
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);
	/* Full: the put that cannot wait fails, and says so. */
	CLI_OK_OUT("", "queue", "put", "q", "7", "8");
	cr_assert_eq(CLI(&r, "queue", "put", "q", "9", "--timeout", "0"), 5);
	test_assert_error_line(r.err, "queue put", "full");
	test_run_free(&r);
	cr_assert_eq(CLI_IN(&r, "9\n10\n", "queue", "put", "q", "--timeout",
			    "0.1"),
		     5);
	test_assert_error_line(r.err, "queue put", "full");
	test_run_free(&r);
	cr_assert_eq(queue_stat("q", "size"), 2);
	mpdd_stop_all(&d);
}

Test(cli_broker, bad_stdin_line_stops_put_after_the_lines_before_it)
{
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "queue", "create", "q");
	cr_assert_eq(CLI_IN(&r, "1\n2\n{\n4\n", "queue", "put", "q"), 1);
	cr_assert_str_eq(r.err,
			 "mpd-cli: queue put: stdin line 3 is not valid JSON: "
			 "string or '}' expected near end of file; the 2 items "
			 "before it were put\n");
	test_run_free(&r);
	cr_assert_eq(queue_stat("q", "size"), 2);
	CLI_OK_OUT("1\n2\n", "queue", "get", "q", "--count", "9", "--timeout",
		   "0");
	mpdd_stop_all(&d);
}

Test(cli_broker, put_to_a_missing_queue_exits_4_naming_not_found)
{
	struct run_result r;

	mpdd_start(&d, NULL);
	cr_assert_eq(CLI(&r, "queue", "put", "nope", "1"), 4);
	test_assert_error_line(r.err, "queue put", "not_found");
	test_run_free(&r);
	cr_assert_eq(CLI_IN(&r, "1\n2\n", "queue", "put", "nope"), 4);
	test_assert_error_line(r.err, "queue put", "not_found");
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "queue", "size", "nope"), 4);
	test_assert_error_line(r.err, "queue size", "not_found");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_broker, create_twice_is_exists_unless_exist_ok)
{
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("{\"name\":\"q\",\"maxsize\":4,\"created\":true}\n", "-j",
		   "queue", "create", "q", "--maxsize", "4");
	cr_assert_eq(CLI(&r, "queue", "create", "q"), 1);
	cr_assert_str_eq(r.out, "");
	test_assert_error_line(r.err, "queue create", "exists");
	test_run_free(&r);
	CLI_OK_OUT("", "queue", "create", "q", "--exist-ok");
	CLI_OK_OUT("{\"name\":\"q\",\"maxsize\":4,\"created\":false}\n",
		   "queue", "create", "q", "--exist-ok", "--json");
	mpdd_stop_all(&d);
}

Test(cli_broker, size_prints_key_value_lines_or_the_object)
{
	json_t *got, *want;
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "queue", "create", "q", "--maxsize", "10");
	CLI_OK_OUT("", "queue", "put", "q", "1", "2");
	cr_assert_eq(CLI(&r, "queue", "size", "q"), 0, "stderr: %s", r.err);
	cr_assert_eq(strncmp(r.out, "size: 2\nmaxsize: 10\nunfinished: 2\n",
			     34),
		     0, "stdout: %s", r.out);
	cr_assert_not_null(strstr(r.out, "\nclosed: false\n"), "stdout: %s",
			   r.out);
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "queue", "size", "q", "--json"), 0);
	got = test_json(r.out);
	want = rpc("queue.size", "{\"name\":\"q\"}");
	cr_assert(json_equal(got, want), "stdout: %s", r.out);
	cr_assert_eq(strchr(r.out, '\n'), r.out + strlen(r.out) - 1);
	json_decref(got);
	json_decref(want);
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_broker, task_done_and_join)
{
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "queue", "create", "jobs");
	CLI_OK_OUT("", "queue", "put", "jobs", "1", "2");
	cr_assert_eq(CLI(&r, "queue", "join", "jobs", "--timeout", "0"), 5);
	cr_assert_str_eq(r.out, "");
	cr_assert_str_eq(r.err, "mpd-cli: queue join: jobs still has 2 "
				"unfinished tasks after 0 s\n");
	test_run_free(&r);
	CLI_OK_OUT("", "queue", "task-done", "jobs");
	CLI_OK_OUT("{\"unfinished\":0}\n", "-j", "queue", "task-done", "jobs");
	CLI_OK_OUT("", "queue", "join", "jobs");
	CLI_OK_OUT("{\"done\":true,\"unfinished\":0}\n", "queue", "join",
		   "jobs", "--timeout", "1", "--json");
	cr_assert_eq(CLI(&r, "queue", "task-done", "jobs"), 1);
	test_assert_error_line(r.err, "queue task-done", "invalid_state");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_broker, join_waits_for_the_workers_task_done)
{
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "queue", "create", "jobs");
	CLI_OK_OUT("", "queue", "put", "jobs", "1");
	/* A getter in the background marks the task done; join returns. */
	cr_assert_eq(sh(&r, NULL,
			"(\"$CLI\" queue get jobs --timeout 10 >/dev/null && "
			"\"$CLI\" queue task-done jobs) & "
			"\"$CLI\" queue join jobs --timeout 10 && echo joined; "
			"wait"),
		     0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "joined\n");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_broker, list_close_and_delete)
{
	json_t *got, *want;
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("NAME  SIZE  MAXSIZE  CLOSED\n", "queue", "list");
	CLI_OK_OUT("", "queue", "create", "results", "--maxsize", "100");
	CLI_OK_OUT("", "queue", "create", "a");
	CLI_OK_OUT("", "queue", "put", "results", "1", "2", "3");
	CLI_OK_OUT("", "queue", "close", "a");
	CLI_OK_OUT("NAME     SIZE  MAXSIZE  CLOSED\n"
		   "a        0     0        yes\n"
		   "results  3     100      no\n",
		   "queue", "list");
	cr_assert_eq(CLI(&r, "--json", "queue", "list"), 0);
	got = test_json(r.out);
	want = rpc("queue.list", "{}");
	cr_assert(json_equal(got, json_object_get(want, "queues")),
		  "stdout: %s", r.out);
	json_decref(got);
	json_decref(want);
	test_run_free(&r);
	CLI_OK_OUT("{}\n", "-j", "queue", "delete", "a");
	CLI_OK_OUT("", "queue", "delete", "results");
	CLI_OK_OUT("[]\n", "-j", "queue", "list");
	cr_assert_eq(CLI(&r, "queue", "get", "results", "--timeout", "0"), 4);
	test_assert_error_line(r.err, "queue get", "not_found");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_broker, value_int_create_get_set_add_cas)
{
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "value", "create", "n", "--type", "int");
	CLI_OK_OUT("0\n", "value", "get", "n");
	CLI_OK_OUT("", "value", "set", "n", "40");
	CLI_OK_OUT("42\n", "value", "add", "n", "2");
	CLI_OK_OUT("37\n", "value", "add", "n", "-5");
	CLI_OK_OUT("swapped 10\n", "value", "cas", "n", "37", "10");
	cr_assert_eq(CLI(&r, "value", "cas", "n", "37", "11"), 1);
	cr_assert_str_eq(r.out, "not swapped 10\n");
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);
	CLI_OK_OUT("{\"value\":10,\"type\":\"int\"}\n", "-j", "value", "get",
		   "n");
	cr_assert_eq(CLI(&r, "-j", "value", "cas", "n", "1", "2"), 1);
	cr_assert_str_eq(r.out, "{\"swapped\":false,\"value\":10}\n");
	test_run_free(&r);
	/* Wrong types are the daemon's to refuse. */
	cr_assert_eq(CLI(&r, "value", "set", "n", "1.5"), 1);
	test_assert_error_line(r.err, "value set", "invalid_params");
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "value", "set", "n", "ten"), 2);
	cr_assert_str_eq(r.err,
			 "mpd-cli: value set: V is not valid JSON: invalid "
			 "token near 'ten' at position 3. Try 'mpd-cli value "
			 "set --help'.\n");
	test_run_free(&r);
	CLI_OK_OUT("10\n", "value", "get", "n");
	cr_assert_eq(CLI(&r, "value", "create", "n", "--type", "int"), 1);
	test_assert_error_line(r.err, "value create", "exists");
	test_run_free(&r);
	CLI_OK_OUT("", "value", "create", "n", "--type", "int", "--exist-ok");
	mpdd_stop_all(&d);
}

Test(cli_broker, value_string_takes_its_argument_verbatim)
{
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "value", "create", "greeting", "--type", "string",
		   "--value", "hi there");
	CLI_OK_OUT("hi there\n", "value", "get", "greeting");
	CLI_OK_OUT("", "value", "set", "greeting", "hello");
	CLI_OK_OUT("hello\n", "value", "get", "greeting");
	/* Verbatim: 42 is the text "42", not a number. */
	CLI_OK_OUT("", "value", "set", "greeting", "42");
	CLI_OK_OUT("{\"value\":\"42\",\"type\":\"string\"}\n", "-j", "value",
		   "get", "greeting");
	CLI_OK_OUT("", "value", "set", "greeting", "--json-value",
		   "\"quoted \\\"q\\\"\"");
	CLI_OK_OUT("quoted \"q\"\n", "value", "get", "greeting");
	cr_assert_eq(CLI(&r, "value", "set", "greeting", "--json-value", "42"),
		     1);
	test_assert_error_line(r.err, "value set", "invalid_params");
	test_run_free(&r);
	CLI_OK_OUT("swapped hello again\n", "value", "cas", "greeting",
		   "quoted \"q\"", "hello again");
	cr_assert_eq(CLI(&r, "value", "add", "greeting", "1"), 1);
	test_assert_error_line(r.err, "value add", "invalid_state");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_broker, add_that_overflows_fails_naming_it_and_changes_nothing)
{
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "value", "create", "f", "--type", "float", "--value",
		   "1e308");
	cr_assert_eq(CLI(&r, "value", "add", "f", "1e308"), 1);
	test_assert_error_line(r.err, "value add", "invalid_state");
	cr_assert(strstr(r.err, "overflows a double") != NULL, "%s", r.err);
	cr_assert_str_eq(r.out, "");
	test_run_free(&r);
	CLI_OK_OUT("1e308\n", "value", "get", "f");
	CLI_OK_OUT("", "value", "create", "n", "--type", "int", "--value",
		   "9223372036854775807");
	cr_assert_eq(CLI(&r, "value", "add", "n", "1"), 1);
	test_assert_error_line(r.err, "value add", "invalid_state");
	cr_assert(strstr(r.err, "9223372036854775807 + 1 overflows int64") !=
			  NULL,
		  "%s", r.err);
	test_run_free(&r);
	CLI_OK_OUT("9223372036854775807\n", "value", "get", "n");
	CLI_OK_OUT("", "array", "create", "a", "--type", "float", "--values",
		   "[1e308]");
	cr_assert_eq(CLI(&r, "array", "add", "a", "0", "1e308"), 1);
	test_assert_error_line(r.err, "array add", "invalid_state");
	test_run_free(&r);
	CLI_OK_OUT("1e308\n", "array", "get", "a", "0");
	mpdd_stop_all(&d);
}

Test(cli_broker, value_float_and_json_print_exactly_and_shortly)
{
	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "value", "create", "f", "--type", "float", "--value",
		   "0.1");
	CLI_OK_OUT("0.1\n", "value", "get", "f");
	CLI_OK_OUT("0.30000000000000004\n", "value", "add", "f", "0.2");
	/* What get prints, cas takes back: the same double. */
	CLI_OK_OUT("swapped 1.5\n", "value", "cas", "f", "0.30000000000000004",
		   "1.5");
	CLI_OK_OUT("", "value", "create", "cfg", "--type", "json", "--value",
		   "{\"a\": [1, \"x\"]}");
	CLI_OK_OUT("{\"a\":[1,\"x\"]}\n", "value", "get", "cfg");
	/* A json value holding a string is printed as JSON. */
	CLI_OK_OUT("", "value", "set", "cfg", "\"text\"");
	CLI_OK_OUT("\"text\"\n", "value", "get", "cfg");
	mpdd_stop_all(&d);
}

Test(cli_broker, value_list_and_delete)
{
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("NAME  TYPE  VALUE\n", "value", "list");
	CLI_OK_OUT("", "value", "create", "zeta", "--type", "json");
	CLI_OK_OUT("", "value", "create", "done", "--type", "int");
	CLI_OK_OUT("NAME  TYPE  VALUE\ndone  int   0\nzeta  json  null\n",
		   "value", "list");
	/* Values as JSON (a string in quotes), a long one cut with "~". */
	CLI_OK_OUT("", "value", "set", "done", "7");
	CLI_OK_OUT("", "value", "create", "s", "--type", "string", "--value",
		   "7");
	CLI_OK_OUT(
		"", "value", "set", "zeta",
		"[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]");
	CLI_OK_OUT(
		"NAME  TYPE    VALUE\ndone  int     7\ns     string  \"7\"\n"
		"zeta  json    [\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa~\n",
		"value", "list");
	CLI_OK_OUT("", "value", "delete", "s");
	CLI_OK_OUT("[{\"name\":\"done\",\"type\":\"int\"},{\"name\":\"zeta\","
		   "\"type\":\"json\"}]\n",
		   "value", "list", "--json");
	CLI_OK_OUT("", "value", "delete", "zeta");
	cr_assert_eq(CLI(&r, "value", "get", "zeta"), 4);
	test_assert_error_line(r.err, "value get", "not_found");
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "value", "set", "zeta", "1"), 4);
	test_assert_error_line(r.err, "value set", "not_found");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_broker, array_create_get_slices_set_add)
{
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "array", "create", "a", "--type", "int", "--length",
		   "5");
	CLI_OK_OUT("0\n0\n0\n0\n0\n", "array", "get", "a");
	CLI_OK_OUT("", "array", "set", "a", "0", "--values",
		   "[10,11,12,13,14]");
	CLI_OK_OUT("12\n", "array", "get", "a", "2");
	CLI_OK_OUT("14\n", "array", "get", "a", "-1");
	CLI_OK_OUT("11\n12\n", "array", "get", "a", "1:3");
	CLI_OK_OUT("12\n13\n14\n", "array", "get", "a", "2:");
	CLI_OK_OUT("10\n11\n", "array", "get", "a", ":2");
	CLI_OK_OUT("13\n14\n", "array", "get", "a", "-2:");
	CLI_OK_OUT("10\n11\n12\n", "array", "get", "a", ":-2");
	CLI_OK_OUT("10\n11\n12\n13\n14\n", "array", "get", "a", ":");
	CLI_OK_OUT("", "array", "get", "a", "4:2"); /* empty, as in Python */
	CLI_OK_OUT("{\"values\":[13,14]}\n", "-j", "array", "get", "a", "3:99");
	CLI_OK_OUT("", "array", "set", "a", "-1", "40");
	CLI_OK_OUT("43\n", "array", "add", "a", "-1", "3");
	CLI_OK_OUT("9\n", "array", "add", "a", "0", "-1");
	CLI_OK_OUT("{\"value\":9}\n", "array", "get", "a", "0", "--json");
	cr_assert_eq(CLI(&r, "array", "get", "a", "5"), 1);
	test_assert_error_line(r.err, "array get", "invalid_params");
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "array", "set", "a", "4", "--values", "[1,2]"), 1);
	test_assert_error_line(r.err, "array set", "invalid_params");
	test_run_free(&r);
	cr_assert_eq(CLI(&r, "array", "set", "a", "0", "1.5"), 1);
	test_assert_error_line(r.err, "array set", "invalid_params");
	test_run_free(&r);

	CLI_OK_OUT("", "array", "create", "f", "--type", "float", "--values",
		   "[0.1, 2, -3.5]");
	CLI_OK_OUT("0.1\n2.0\n-3.5\n", "array", "get", "f");
	CLI_OK_OUT("0.30000000000000004\n", "array", "add", "f", "0", "0.2");
	cr_assert_eq(CLI(&r, "array", "create", "f", "--type", "float",
			 "--length", "3"),
		     1);
	test_assert_error_line(r.err, "array create", "exists");
	test_run_free(&r);
	mpdd_stop_all(&d);
}

Test(cli_broker, array_list_and_delete)
{
	struct run_result r;

	mpdd_start(&d, NULL);
	CLI_OK_OUT("NAME  TYPE  LENGTH\n", "array", "list");
	CLI_OK_OUT("", "array", "create", "counts", "--type", "int", "--length",
		   "1000");
	CLI_OK_OUT("{\"name\":\"b\",\"type\":\"float\",\"length\":2,"
		   "\"created\":true}\n",
		   "-j", "array", "create", "b", "--type", "float", "--values",
		   "[1,2]");
	CLI_OK_OUT("NAME    TYPE   LENGTH\nb       float  2\n"
		   "counts  int    1000\n",
		   "array", "list");
	CLI_OK_OUT("[{\"name\":\"b\",\"type\":\"float\",\"length\":2},"
		   "{\"name\":\"counts\",\"type\":\"int\",\"length\":1000}]\n",
		   "array", "list", "-j");
	CLI_OK_OUT("", "array", "delete", "b");
	cr_assert_eq(CLI(&r, "array", "delete", "b"), 4);
	test_assert_error_line(r.err, "array delete", "not_found");
	test_run_free(&r);
	CLI_OK_OUT("NAME    TYPE  LENGTH\ncounts  int   1000\n", "array",
		   "list");
	mpdd_stop_all(&d);
}

/*
 * The README's example: two shell workers (examples/queue-worker.sh) and
 * two function workers (examples/queue-worker.c) take 20 jobs fed from a
 * pipeline, push 20 results and count to 20; closing the jobs queue ends
 * them all with exit code 0.
 */
Test(cli_broker, example_workers_square_20_jobs)
{
	const char *srcdir = getenv("MPD_TEST_SRCDIR");
	const char *module = getenv("MPD_QUEUE_WORKER_MODULE");
	static const char *const workers[] = { "sh-1", "sh-2", "c-1", "c-2" };
	char *bin = test_built("client/cli/mpd-cli"), *script, *cli_env;
	bool seen[21] = { false };
	struct run_result r;
	json_t *res;
	char *line;
	int n = 0;

	cr_assert_not_null(srcdir, "MPD_TEST_SRCDIR is not set");
	cr_assert_not_null(module, "MPD_QUEUE_WORKER_MODULE is not set");
	cr_assert(asprintf(&script, "%s/examples/queue-worker.sh", srcdir) > 0);
	cr_assert(asprintf(&cli_env, "MPD_CLI=%s", bin) > 0);
	mpdd_start(&d, NULL);
	CLI_OK_OUT("", "queue", "create", "jobs");
	CLI_OK_OUT("", "queue", "create", "results");
	CLI_OK_OUT("", "value", "create", "done", "--type", "int");
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(CLI(&r, "spawn", "--name", workers[i], "--env",
				 cli_env, "--", "sh", script),
			     0, "stderr: %s", r.err);
		test_run_free(&r);
		cr_assert_eq(CLI(&r, "spawn", "--name", workers[2 + i],
				 "--module", module, "--function", "work"),
			     0, "stderr: %s", r.err);
		test_run_free(&r);
	}

	cr_assert_eq(sh(&r, NULL, "seq 20 | \"$CLI\" queue put jobs"), 0,
		     "stderr: %s", r.err);
	test_run_free(&r);
	CLI_OK_OUT("", "queue", "join", "jobs", "--timeout", "30");
	CLI_OK_OUT("20\n", "value", "get", "done");
	cr_assert_eq(CLI(&r, "queue", "get", "results", "--count", "20",
			 "--timeout", "5"),
		     0, "stderr: %s", r.err);
	for (line = strtok(r.out, "\n"); line != NULL;
	     line = strtok(NULL, "\n")) {
		json_t *v = test_json(line);
		long long job = test_int(v, "job");
		const char *by =
			json_string_value(json_object_get(v, "worker"));
		bool known = false;

		cr_assert(job >= 1 && job <= 20 && !seen[job], "line: %s",
			  line);
		seen[job] = true;
		cr_assert_eq(test_int(v, "square"), job * job, "line: %s",
			     line);
		for (size_t w = 0; by != NULL && w < 4; w++)
			known = known || strcmp(by, workers[w]) == 0;
		cr_assert(known, "line: %s", line);
		json_decref(v);
		n++;
	}
	cr_assert_eq(n, 20, "results: %d", n);
	test_run_free(&r);

	/* Closed and drained: every worker ends, exit code 0. */
	CLI_OK_OUT("", "queue", "close", "jobs");
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(CLI(&r, "join", workers[i], "--timeout", "20"), 0,
			     "stderr: %s", r.err);
		cr_assert_not_null(strstr(r.out, ": exited, exitcode 0\n"),
				   "%s: %s", workers[i], r.out);
		test_run_free(&r);
	}
	res = rpc("queue.size", "{\"name\":\"results\"}");
	cr_assert_eq(test_int(res, "size"), 0);
	json_decref(res);
	free(cli_env);
	free(script);
	free(bin);
	mpdd_stop_all(&d);
}

/* Every broker command needs the daemon: status 3, the socket named. */
ParameterizedTestParameters(cli_broker, no_daemon_exits_3_naming_the_socket)
{
	static struct test_unreachable_case cases[] = {
		{ { "queue", "create", "q" } },
		{ { "queue", "put", "q", "1" } },
		{ { "queue", "put", "q", "1", "2" } },
		{ { "queue", "get", "q" } },
		{ { "queue", "get", "q", "--count", "2" } },
		{ { "queue", "size", "q" } },
		{ { "queue", "task-done", "q" } },
		{ { "queue", "join", "q" } },
		{ { "queue", "close", "q" } },
		{ { "queue", "delete", "q" } },
		{ { "queue", "list" } },
		{ { "value", "create", "v", "--type", "int" } },
		{ { "value", "get", "v" } },
		{ { "value", "set", "v", "1" } },
		{ { "value", "add", "v", "-1" } },
		{ { "value", "cas", "v", "1", "2" } },
		{ { "value", "delete", "v" } },
		{ { "value", "list" } },
		{ { "array", "create", "a", "--type", "int", "--length",
		    "1" } },
		{ { "array", "get", "a", "-2:" } },
		{ { "array", "set", "a", "0", "1" } },
		{ { "array", "add", "a", "0", "1" } },
		{ { "array", "delete", "a" } },
		{ { "array", "list" } },
	};

	return cr_make_param_array(struct test_unreachable_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct test_unreachable_case *tc, cli_broker,
		  no_daemon_exits_3_naming_the_socket)
{
	test_unreachable_run(&d, tc, NULL, "1\n");
}

/* --help at every level: usage on stdout, status 0, nothing on stderr. */
ParameterizedTestParameters(cli_broker, help_at_every_level_exits_0)
{
	static struct test_help_case cases[] = {
		{ { "queue", "--help" },
		  "Usage: mpd-cli [OPTIONS] queue COMMAND\n",
		  "\n  put NAME [ITEM...] " },
		{ { "help", "queue" },
		  "Usage: mpd-cli [OPTIONS] queue COMMAND\n",
		  "\n  task-done NAME " },
		{ { "queue", "create", "--help" },
		  "Usage: mpd-cli [OPTIONS] queue create NAME [OPTIONS]\n",
		  "\n      --maxsize N " },
		{ { "queue", "put", "--help" },
		  "Usage: mpd-cli [OPTIONS] queue put NAME [ITEM...]\n",
		  "\n      --string " },
		{ { "queue", "put", "q", "1", "-h" },
		  "Usage: mpd-cli [OPTIONS] queue put NAME [ITEM...]\n",
		  "\n      --timeout S " },
		{ { "queue", "get", "--help" },
		  "Usage: mpd-cli [OPTIONS] queue get NAME [OPTIONS]\n",
		  "\n      --raw " },
		{ { "help", "queue", "get" },
		  "Usage: mpd-cli [OPTIONS] queue get NAME [OPTIONS]\n",
		  "\n      --count N " },
		{ { "queue", "size", "--help" },
		  "Usage: mpd-cli [OPTIONS] queue size NAME\n",
		  "" },
		{ { "queue", "task-done", "--help" },
		  "Usage: mpd-cli [OPTIONS] queue task-done NAME\n",
		  "" },
		{ { "queue", "join", "--help" },
		  "Usage: mpd-cli [OPTIONS] queue join NAME [--timeout S]\n",
		  "\n      --timeout S " },
		{ { "queue", "close", "--help" },
		  "Usage: mpd-cli [OPTIONS] queue close NAME\n",
		  "" },
		{ { "queue", "delete", "--help" },
		  "Usage: mpd-cli [OPTIONS] queue delete NAME\n",
		  "" },
		{ { "queue", "list", "--help" },
		  "Usage: mpd-cli [OPTIONS] queue list\n",
		  "NAME SIZE" },
		{ { "value", "--help" },
		  "Usage: mpd-cli [OPTIONS] value COMMAND\n",
		  "\n  cas NAME EXPECTED NEW " },
		{ { "value", "create", "--help" },
		  "Usage: mpd-cli [OPTIONS] value create NAME [OPTIONS]\n",
		  "\n      --type T " },
		{ { "value", "get", "--help" },
		  "Usage: mpd-cli [OPTIONS] value get NAME\n",
		  "" },
		{ { "value", "set", "--help" },
		  "Usage: mpd-cli [OPTIONS] value set NAME V\n",
		  "\n      --json-value " },
		{ { "value", "add", "--help" },
		  "Usage: mpd-cli [OPTIONS] value add NAME DELTA\n",
		  "" },
		{ { "value", "cas", "--help" },
		  "Usage: mpd-cli [OPTIONS] value cas NAME EXPECTED NEW\n",
		  "\"not swapped VALUE\"" },
		{ { "value", "delete", "--help" },
		  "Usage: mpd-cli [OPTIONS] value delete NAME\n",
		  "" },
		{ { "value", "list", "--help" },
		  "Usage: mpd-cli [OPTIONS] value list\n",
		  "" },
		{ { "array", "--help" },
		  "Usage: mpd-cli [OPTIONS] array COMMAND\n",
		  "\n  get NAME [INDEX|START:STOP] " },
		{ { "array", "create", "--help" },
		  "Usage: mpd-cli [OPTIONS] array create NAME [OPTIONS]\n",
		  "\n      --values JSON " },
		{ { "array", "get", "--help" },
		  "Usage: mpd-cli [OPTIONS] array get NAME [INDEX|START:STOP]\n",
		  "" },
		{ { "array", "set", "--help" },
		  "Usage: mpd-cli [OPTIONS] array set NAME INDEX V\n",
		  "Or: mpd-cli array set NAME START --values JSON\n" },
		{ { "array", "add", "--help" },
		  "Usage: mpd-cli [OPTIONS] array add NAME INDEX DELTA\n",
		  "" },
		{ { "array", "delete", "--help" },
		  "Usage: mpd-cli [OPTIONS] array delete NAME\n",
		  "" },
		{ { "help", "array", "list" },
		  "Usage: mpd-cli [OPTIONS] array list\n",
		  "" },
	};

	return cr_make_param_array(struct test_help_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct test_help_case *tc, cli_broker,
		  help_at_every_level_exits_0)
{
	test_help_run(&d, tc, NULL, 80);
}

Test(cli_broker, top_help_lists_the_broker_commands)
{
	static const char *const lines[] = {
		"\n  queue create NAME [OPTIONS] ",
		"\n  queue put NAME [ITEM...] ",
		"\n  queue get NAME [OPTIONS] ",
		"\n  queue size NAME ",
		"\n  queue task-done NAME ",
		"\n  queue join NAME [--timeout S] ",
		"\n  queue close NAME ",
		"\n  queue delete NAME ",
		"\n  queue list ",
		"\n  value create NAME [OPTIONS] ",
		"\n  value get NAME ",
		"\n  value set NAME V ",
		"\n  value add NAME DELTA ",
		"\n  value cas NAME EXPECTED NEW ",
		"\n  value delete NAME ",
		"\n  value list ",
		"\n  array create NAME [OPTIONS] ",
		"\n  array get NAME [INDEX|START:STOP] ",
		"\n  array set NAME INDEX V ",
		"\n  array add NAME INDEX DELTA ",
		"\n  array delete NAME ",
		"\n  array list ",
		"\n  seq 100 | mpd-cli queue put jobs\n",
	};
	struct run_result r;

	mpdd_init(&d);
	cr_assert_eq(CLI(&r, "--help"), 0, "stderr: %s", r.err);
	test_assert_has_all(r.out, lines, sizeof(lines) / sizeof(lines[0]));
	test_assert_columns(r.out, 80);
	test_run_free(&r);
}

/* Usage errors: status 2, one line naming the help to read. */
ParameterizedTestParameters(cli_broker, usage_errors_exit_2_with_one_line)
{
	static struct test_usage_case cases[] = {
		{ { "queue" },
		  "mpd-cli: queue: missing command. Try 'mpd-cli queue "
		  "--help'.\n" },
		{ { "queue", "bogus" },
		  "mpd-cli: unknown command 'bogus'. Try 'mpd-cli queue "
		  "--help'.\n" },
		{ { "value", "bogus", "x" },
		  "mpd-cli: unknown command 'bogus'. Try 'mpd-cli value "
		  "--help'.\n" },
		{ { "array" },
		  "mpd-cli: array: missing command. Try 'mpd-cli array "
		  "--help'.\n" },
		{ { "queue", "put" },
		  "mpd-cli: queue put: missing arguments. Try 'mpd-cli queue "
		  "put --help'.\n" },
		{ { "queue", "get", "--raw" },
		  "mpd-cli: queue get: missing arguments. Try 'mpd-cli queue "
		  "get --help'.\n" },
		{ { "queue", "size", "a", "b" },
		  "mpd-cli: queue size: too many arguments. Try 'mpd-cli queue "
		  "size --help'.\n" },
		{ { "queue", "list", "x" },
		  "mpd-cli: queue list: too many arguments. Try 'mpd-cli queue "
		  "list --help'.\n" },
		{ { "queue", "create", TEST_EMPTY_ARG },
		  "mpd-cli: queue create: NAME is empty. Try 'mpd-cli queue "
		  "create --help'.\n" },
		{ { "queue", "create", "q", "--maxsize", "-1" },
		  "mpd-cli: queue create: --maxsize -1 is out of range. Try "
		  "'mpd-cli queue create --help'.\n" },
		{ { "queue", "create", "q", "--maxsize", "ten" },
		  "mpd-cli: queue create: --maxsize takes an integer, not "
		  "'ten'. Try 'mpd-cli queue create --help'.\n" },
		{ { "queue", "put", "q", "1", "{" },
		  "mpd-cli: queue put: ITEM 2 is not valid JSON: string or '}' "
		  "expected near end of file at position 1. Try 'mpd-cli queue "
		  "put --help'.\n" },
		{ { "queue", "put", "q", "hello" },
		  "mpd-cli: queue put: ITEM 1 is not valid JSON: invalid token "
		  "near 'hello' at position 5. Try 'mpd-cli queue put "
		  "--help'.\n" },
		{ { "queue", "get", "q", "--count", "0" },
		  "mpd-cli: queue get: --count 0 is out of range. Try 'mpd-cli "
		  "queue get --help'.\n" },
		{ { "queue", "get", "q", "--timeout", "soon" },
		  "mpd-cli: queue get: --timeout takes a number of seconds >= "
		  "0, not 'soon'. Try 'mpd-cli queue get --help'.\n" },
		{ { "queue", "join", "q", "--timeout", "-1" },
		  "mpd-cli: queue join: --timeout takes a number of seconds >= "
		  "0, not '-1'. Try 'mpd-cli queue join --help'.\n" },
		{ { "queue", "get", "q", "--string" },
		  "mpd-cli: unknown option '--string'. Try 'mpd-cli queue get "
		  "--help'.\n" },
		{ { "value", "create", "v" },
		  "mpd-cli: value create: --type is required. Try 'mpd-cli "
		  "value create --help'.\n" },
		{ { "value", "create", "v", "--type", "bool" },
		  "mpd-cli: value create: --type takes int, float, string or "
		  "json, not 'bool'. Try 'mpd-cli value create --help'.\n" },
		{ { "value", "create", "v", "--type", "int", "--value", "abc" },
		  "mpd-cli: value create: --value is not valid JSON: invalid "
		  "token near 'abc' at position 3. Try 'mpd-cli value create "
		  "--help'.\n" },
		{ { "value", "create", "v", "--type", "string",
		    "--json-value" },
		  "mpd-cli: value create: --json-value needs --value. Try "
		  "'mpd-cli value create --help'.\n" },
		{ { "value", "add", "n", "x" },
		  "mpd-cli: value add: DELTA takes a number, not 'x'. Try "
		  "'mpd-cli value add --help'.\n" },
		{ { "value", "cas", "n", "1" },
		  "mpd-cli: value cas: missing arguments. Try 'mpd-cli value "
		  "cas --help'.\n" },
		{ { "value", "get", TEST_EMPTY_ARG },
		  "mpd-cli: value get: NAME is empty. Try 'mpd-cli value get "
		  "--help'.\n" },
		{ { "array", "create", "a", "--type", "string", "--length",
		    "3" },
		  "mpd-cli: array create: --type takes int or float, not "
		  "'string'. Try 'mpd-cli array create --help'.\n" },
		{ { "array", "create", "a", "--type", "int" },
		  "mpd-cli: array create: give --length or --values, one is "
		  "needed. Try 'mpd-cli array create --help'.\n" },
		{ { "array", "create", "a", "--type", "int", "--length", "2",
		    "--values", "[1]" },
		  "mpd-cli: array create: give --length or --values, not both. "
		  "Try 'mpd-cli array create --help'.\n" },
		{ { "array", "create", "a", "--type", "int", "--values", "[]" },
		  "mpd-cli: array create: --values takes a non-empty JSON "
		  "array of numbers, not '[]'. Try 'mpd-cli array create "
		  "--help'.\n" },
		{ { "array", "create", "a", "--type", "int", "--length", "0" },
		  "mpd-cli: array create: --length 0 is out of range. Try "
		  "'mpd-cli array create --help'.\n" },
		{ { "array", "get", "a", "x" },
		  "mpd-cli: array get: INDEX takes an integer, not 'x'. Try "
		  "'mpd-cli array get --help'.\n" },
		{ { "array", "get", "a", "1:x" },
		  "mpd-cli: array get: STOP takes an integer, not 'x'. Try "
		  "'mpd-cli array get --help'.\n" },
		{ { "array", "get", "a", "y:" },
		  "mpd-cli: array get: START takes an integer, not 'y'. Try "
		  "'mpd-cli array get --help'.\n" },
		{ { "array", "get", "a", "1", "2" },
		  "mpd-cli: array get: too many arguments. Try 'mpd-cli array "
		  "get --help'.\n" },
		{ { "array", "set", "a", "0" },
		  "mpd-cli: array set: missing V (or --values). Try 'mpd-cli "
		  "array set --help'.\n" },
		{ { "array", "set", "a", "0", "1", "--values", "[1]" },
		  "mpd-cli: array set: give V or --values, not both. Try "
		  "'mpd-cli array set --help'.\n" },
		{ { "array", "set", "a", "0", "\"x\"" },
		  "mpd-cli: array set: V takes a number, not '\"x\"'. Try "
		  "'mpd-cli array set --help'.\n" },
		{ { "array", "add", "a", "-1", "x" },
		  "mpd-cli: array add: DELTA takes a number, not 'x'. Try "
		  "'mpd-cli array add --help'.\n" },
		{ { "array", "add", "a", "-x", "1" },
		  "mpd-cli: unknown option '-x'. Try 'mpd-cli array add "
		  "--help'.\n" },
	};

	return cr_make_param_array(struct test_usage_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct test_usage_case *tc, cli_broker,
		  usage_errors_exit_2_with_one_line)
{
	test_usage_run(&d, tc, NULL);
}
