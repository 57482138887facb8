/*
 * test-output.c - captured output against a real mpdd: "capture" stdout
 * and stderr, process.output's paging, the ring's drops, waits woken by
 * bytes, by the end and by the timeout, children that keep the pipe,
 * bytes that are not UTF-8, ownership, and the capture limits.
 */
#include <fcntl.h>
#include <limits.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static struct mpdd d;

static void teardown(void)
{
	mpdd_teardown(&d);
}

TestSuite(output, .fini = teardown, .timeout = 120);

/* Join id (no timeout), asserting it exited with code. */
static void join_code(int fd, long long id, int code)
{
	json_t *r = test_call(fd, "process.join",
			      json_pack("{s:I}", "id", (json_int_t)id));

	cr_assert_eq(test_int(test_result(r), "exitcode"), code);
	json_decref(r);
}

/* process.output of id with params extra (stolen, may be NULL): the
 * reply (a new reference). */
static json_t *output(int fd, long long id, json_t *extra)
{
	return test_call_id(fd, "process.output", id, extra);
}

/* Assert a process.output result. */
static void assert_out(json_t *reply, const char *data, long long offset,
		       long long next, long long dropped, bool ended)
{
	json_t *res = test_result(reply);
	json_t *s = json_object_get(res, "data");

	cr_assert(json_is_string(s));
	cr_assert_eq(json_string_length(s), strlen(data), "data \"%s\"",
		     json_string_value(s));
	cr_assert_str_eq(json_string_value(s), data);
	cr_assert_eq(test_int(res, "offset"), offset);
	cr_assert_eq(test_int(res, "next"), next);
	cr_assert_eq(test_int(res, "dropped"), dropped);
	cr_assert_eq(json_is_true(json_object_get(res, "ended")), ended);
	json_decref(reply);
}

static void run_order(const char *method)
{
	long long id;
	json_t *p;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	p = test_sh_capture(
		"echo one; echo two >&2; echo three; echo four >&2");
	json_object_set_new(p, "start_method", json_string(method));
	id = test_start_proc(fd, p);
	join_code(fd, id, 0);
	test_wait_ended(fd, id);
	assert_out(output(fd, id, NULL), "one\ntwo\nthree\nfour\n", 0, 19, 0,
		   true);
	close(fd);
	mpdd_stop(&d);
}

Test(output, stdout_and_stderr_are_kept_in_order_forkserver)
{
	run_order("forkserver");
}

Test(output, stdout_and_stderr_are_kept_in_order_spawn)
{
	run_order("spawn");
}

Test(output, the_record_says_capture)
{
	json_t *r, *stdio;
	long long id;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	id = test_start_proc(fd, json_pack("{s:[s], s:s}", "argv", "true",
					   "stderr", "capture"));
	join_code(fd, id, 0);
	r = test_call(fd, "process.info", json_pack("{s:I}", "id", id));
	stdio = json_object_get(test_result(r), "stdio");
	cr_assert_str_eq(json_string_value(json_array_get(stdio, 1)),
			 "inherit");
	cr_assert_str_eq(json_string_value(json_array_get(stdio, 2)),
			 "capture");
	json_decref(r);
	test_wait_ended(fd, id);
	assert_out(output(fd, id, NULL), "", 0, 0, 0, true);
	close(fd);
	mpdd_stop(&d);
}

static void run_function(const char *const *extra, const char *method)
{
	const char *m = getenv("MPD_TEST_MODULE");
	long long id;
	int fd;

	cr_assert(m != NULL);
	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	id = test_start_proc(fd, json_pack("{s:s, s:s, s:s, s:s, s:s}",
					   "module", m, "function", "echo_args",
					   "args", "hello", "stdout", "capture",
					   "start_method", method));
	join_code(fd, id, 0);
	test_wait_ended(fd, id);
	assert_out(output(fd, id, NULL), "\"hello\"\n", 0, 8, 0, true);
	close(fd);
	mpdd_stop(&d);
}

Test(output, a_function_target_is_captured)
{
	run_function(NULL, "forkserver");
}

Test(output, a_function_target_is_captured_with_spawn)
{
	run_function(NULL, "spawn");
}

Test(output, a_function_target_is_captured_from_the_pool)
{
	const char *extra[] = { "--pool", "2", NULL };

	run_function(extra, "forkserver");
}

Test(output, after_and_max_page_through_the_stream)
{
	json_t *r;
	long long id;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	id = test_start_proc(fd, test_sh_capture("printf abcdefgh"));
	join_code(fd, id, 0);
	test_wait_ended(fd, id);
	assert_out(output(fd, id, json_pack("{s:i}", "max", 3)), "abc", 0, 3, 0,
		   false);
	assert_out(output(fd, id,
			  json_pack("{s:i, s:i}", "after", 3, "max", 3)),
		   "def", 3, 6, 0, false);
	assert_out(output(fd, id,
			  json_pack("{s:i, s:i}", "after", 6, "max", 3)),
		   "gh", 6, 8, 0, true);
	assert_out(output(fd, id, json_pack("{s:i}", "after", 8)), "", 8, 8, 0,
		   true);
	/* "end" is the stream's length, whatever the page. */
	r = output(fd, id, json_pack("{s:i, s:i}", "after", 2, "max", 1));
	cr_assert_eq(test_int(test_result(r), "end"), 8);
	json_decref(r);
	close(fd);
	mpdd_stop(&d);
}

Test(output, bad_params_are_refused)
{
	const char *name;
	long long id;
	json_t *r;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	id = test_start_proc(fd, test_sh_capture("printf abc"));
	join_code(fd, id, 0);
	test_wait_ended(fd, id);
	/* Past the end of the stream. */
	r = output(fd, id, json_pack("{s:i}", "after", 4));
	cr_assert_eq(test_error_code(r, NULL), -32602);
	json_decref(r);
	r = output(fd, id, json_pack("{s:i}", "after", -1));
	cr_assert_eq(test_error_code(r, NULL), -32602);
	json_decref(r);
	r = output(fd, id, json_pack("{s:i}", "max", 0));
	cr_assert_eq(test_error_code(r, NULL), -32602);
	json_decref(r);
	r = output(fd, id, json_pack("{s:s}", "timeout", "x"));
	cr_assert_eq(test_error_code(r, NULL), -32602);
	json_decref(r);
	/* stdin cannot be captured. */
	r = test_call(fd, "process.create",
		      json_pack("{s:[s], s:s}", "argv", "true", "stdin",
				"capture"));
	cr_assert_eq(test_error_code(r, NULL), -32602);
	json_decref(r);
	/* A process that does not capture. */
	id = test_start_proc(fd, json_pack("{s:[s]}", "argv", "true"));
	r = output(fd, id, NULL);
	cr_assert_eq(test_error_code(r, &name), 3);
	cr_assert_str_eq(name, "invalid_state");
	json_decref(r);
	join_code(fd, id, 0);
	r = test_call(fd, "process.output", json_pack("{s:i}", "id", 999));
	cr_assert_eq(test_error_code(r, &name), 1);
	cr_assert_str_eq(name, "not_found");
	json_decref(r);
	close(fd);
	test_assert_ping(d.socket);
	mpdd_stop(&d);
}

/*
 * A worker writes lines lines of 10 bytes ("100000000\n", ...) into a
 * ring of size bytes (size_opt): the ring keeps the last size bytes of
 * the stream, and a read from offset 0 is told how many were dropped.
 */
static void run_ring(const char *size_opt, long long size, int lines)
{
	const char *extra[] = { "--capture-size", size_opt, NULL };
	long long total = 10LL * lines, id;
	char script[128], *stream;
	json_t *r, *res;
	int fd;

	stream = malloc((size_t)total + 1);
	cr_assert(stream != NULL);
	for (int i = 0; i < lines; i++)
		snprintf(stream + 10 * i, 11, "%d\n", 100000000 + i);
	snprintf(script, sizeof(script),
		 "i=100000000; while [ $i -lt %d ]; do echo $i; "
		 "i=$((i+1)); done",
		 100000000 + lines);
	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	id = test_start_proc(fd, test_sh_capture(script));
	join_code(fd, id, 0);
	test_wait_ended(fd, id);
	/* Asked from the start: what was lost is counted. */
	r = output(fd, id, json_pack("{s:i}", "after", 0));
	res = test_result(r);
	cr_assert_eq(test_int(res, "offset"), total - size);
	cr_assert_eq(test_int(res, "dropped"), total - size);
	cr_assert_eq(test_int(res, "next"), total);
	cr_assert_eq(test_int(res, "end"), total);
	cr_assert_eq(json_string_length(json_object_get(res, "data")),
		     (size_t)size);
	cr_assert_str_eq(json_string_value(json_object_get(res, "data")),
			 stream + total - size);
	json_decref(r);
	/* From the oldest held: nothing counts as dropped. */
	r = output(fd, id, NULL);
	cr_assert_eq(test_int(test_result(r), "dropped"), 0);
	cr_assert_eq(test_int(test_result(r), "offset"), total - size);
	json_decref(r);
	free(stream);
	close(fd);
	mpdd_stop(&d);
}

Test(output, the_ring_drops_its_oldest_bytes)
{
	run_ring("4096", 4096, 1000);
}

Test(output, a_ring_that_grew_drops_its_oldest_bytes)
{
	/* It starts at 4 KiB and grows to its size before it wraps. */
	run_ring("20000", 20000, 3333);
}

Test(output, invalid_utf8_becomes_replacement_characters)
{
	long long id;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	/* A stray byte, a whole é, an é cut short, a surrogate, a NUL. */
	id = test_start_proc(fd,
			     test_sh_capture("printf '\\377a\\303\\251\\303b"
					     "\\355\\240\\200\\000'"));
	join_code(fd, id, 0);
	test_wait_ended(fd, id);
	assert_out(output(fd, id, NULL),
		   "\xef\xbf\xbd"
		   "a\xc3\xa9\xef\xbf\xbd"
		   "b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
		   0, 10, 0, true);
	/* max never cuts a character: 2 bytes would split the é ... */
	assert_out(output(fd, id,
			  json_pack("{s:i, s:i}", "after", 1, "max", 2)),
		   "a", 1, 2, 0, false);
	/* ... but a first character is sent whole. */
	assert_out(output(fd, id,
			  json_pack("{s:i, s:i}", "after", 2, "max", 1)),
		   "\xc3\xa9", 2, 4, 0, false);
	close(fd);
	mpdd_stop(&d);
}

/*
 * Send a process.output request (id "w") for id on fd, then a ping, and
 * read the ping's reply: the request has been handled, and being
 * unanswered, it waits.
 */
static void park_output(int fd, long long id, long long after, double timeout)
{
	char line[256], *reply;

	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":\"w\",\"method\":"
		 "\"process.output\",\"params\":{\"id\":%lld,\"after\":%lld,"
		 "\"timeout\":%g}}\n"
		 "{\"jsonrpc\":\"2.0\",\"id\":\"p\",\"method\":"
		 "\"daemon.ping\"}\n",
		 id, after, timeout);
	test_send_str(fd, line);
	reply = test_read_line(fd, TEST_TIMEOUT_MS);
	cr_assert(reply != NULL && strstr(reply, "\"id\":\"p\"") != NULL,
		  "expected the ping's reply first, got %s", reply);
	free(reply);
}

/* The reply of the parked request on fd. */
static json_t *parked_reply(int fd)
{
	char *line = test_read_line(fd, TEST_TIMEOUT_MS);
	json_t *r;

	cr_assert(line != NULL);
	r = test_json(line);
	free(line);
	cr_assert_str_eq(json_string_value(json_object_get(r, "id")), "w");
	return r;
}

Test(output, a_wait_is_woken_by_bytes_and_by_the_end)
{
	int fd, w, in;
	long long id;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	w = test_connect(d.socket);
	id = test_start_fed(
		fd, test_sh_capture("read x; echo \"got $x\"; read y; exit 0"),
		&in);
	park_output(w, id, 0, 20);
	cr_assert_eq(write(in, "hi\n", 3), 3);
	assert_out(parked_reply(w), "got hi\n", 0, 7, 0, false);
	/* Nothing after 7 until the stream ends. */
	park_output(w, id, 7, 20);
	close(in);
	assert_out(parked_reply(w), "", 7, 7, 0, true);
	join_code(fd, id, 0);
	close(w);
	close(fd);
	mpdd_stop(&d);
}

Test(output, a_wait_times_out_with_nothing)
{
	long long id;
	int fd, in;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	id = test_start_fed(fd, test_sh_capture("read x; exit 0"), &in);
	assert_out(output(fd, id, json_pack("{s:f}", "timeout", 0.05)), "", 0,
		   0, 0, false);
	/* Without a timeout it answers at once. */
	assert_out(output(fd, id, NULL), "", 0, 0, 0, false);
	close(in);
	join_code(fd, id, 0);
	close(fd);
	mpdd_stop(&d);
}

Test(output, a_wait_whose_connection_closes_is_dropped)
{
	int fd, w, in;
	long long id;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	w = test_connect(d.socket);
	id = test_start_fed(
		fd, test_sh_capture("read x; echo $x; read y; exit 0"), &in);
	park_output(w, id, 0, 20);
	test_forget(w);
	close(w);
	/* Whether the close or the bytes come first, the wait goes. */
	cr_assert_eq(write(in, "late\n", 5), 5);
	close(in);
	join_code(fd, id, 0);
	test_wait_ended(fd, id);
	assert_out(output(fd, id, NULL), "late\n", 0, 5, 0, true);
	close(fd);
	/* Under the sanitizers: nothing of the dropped wait leaks. */
	mpdd_stop(&d);
}

Test(output, a_child_that_keeps_the_pipe_delays_the_end)
{
	json_t *r;
	long long id;
	char *end;
	pid_t child;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	id = test_start_proc(fd, test_sh_capture("sleep 1000 & echo $!"));
	join_code(fd, id, 0);
	/* The worker has exited; its child still holds the pipe. */
	r = output(fd, id, json_pack("{s:f}", "timeout", 20.0));
	child = (pid_t)strtol(
		json_string_value(json_object_get(test_result(r), "data")),
		&end, 10);
	cr_assert(child > 0 && *end == '\n');
	cr_assert(!json_is_true(json_object_get(test_result(r), "ended")));
	json_decref(r);
	cr_assert(kill(child, SIGKILL) == 0);
	test_wait_ended(fd, id);
	close(fd);
	mpdd_stop(&d);
}

Test(output, closing_the_record_wakes_its_waiters)
{
	const char *name;
	long long id;
	pid_t child;
	int fd, w;
	json_t *r;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	w = test_connect(d.socket);
	id = test_start_proc(fd, test_sh_capture("sleep 1000 & echo $!"));
	join_code(fd, id, 0);
	r = output(fd, id, json_pack("{s:f}", "timeout", 20.0));
	child = (pid_t)atoi(
		json_string_value(json_object_get(test_result(r), "data")));
	cr_assert_gt(child, 0);
	park_output(w, id, test_int(test_result(r), "next"), 20);
	json_decref(r);
	json_decref(test_call(fd, "process.close",
			      json_pack("{s:I}", "id", (json_int_t)id)));
	r = parked_reply(w);
	cr_assert_eq(test_error_code(r, &name), 1);
	cr_assert_str_eq(name, "not_found");
	json_decref(r);
	kill(child, SIGKILL);
	close(w);
	close(fd);
	mpdd_stop(&d);
}

static int as_nobody(const char *socket, long long id)
{
	const char *name;
	json_t *r;
	int fd;

	if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
		return 1;
	fd = test_try_connect(socket);
	if (fd < 0)
		return 2;
	r = test_call(fd, "process.output", json_pack("{s:I}", "id", id));
	if (test_error_code(r, &name) != 4 || name == NULL ||
	    strcmp(name, "permission_denied") != 0)
		return 3;
	json_decref(r);
	close(fd);
	return 0;
}

Test(output, another_uid_cannot_read_it)
{
	int fd, status;
	long long id;
	pid_t pid;

	if (getuid() != 0)
		cr_skip_test("needs root to switch to nobody");
	mpdd_start(&d, NULL);
	cr_assert(chmod(d.dir, 0755) == 0 && chmod(d.socket, 0666) == 0);
	fd = test_connect(d.socket);
	id = test_start_proc(fd, test_sh_capture("echo secret"));
	join_code(fd, id, 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(as_nobody(d.socket, id));
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "check %d failed as nobody", WEXITSTATUS(status));
	close(fd);
	mpdd_stop(&d);
}

/* A created (not started) record that captures; returns the reply. */
static json_t *create_capturing(int fd)
{
	return test_call(fd, "process.create",
			 json_pack("{s:[s], s:s}", "argv", "true", "stdout",
				   "capture"));
}

Test(output, the_rings_are_bounded_and_given_back_on_close)
{
	const char *extra[] = { "--capture-size", "8K", "--max-capture-bytes",
				"16K", NULL };
	const char *name;
	long long a, b;
	json_t *r, *data;
	int fd;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	cr_assert_eq(test_info_int(fd, "limits", "capture_size"), 8192);
	cr_assert_eq(test_info_int(fd, "limits", "max_capture_bytes"), 16384);
	r = create_capturing(fd);
	a = test_int(test_result(r), "id");
	json_decref(r);
	r = create_capturing(fd);
	b = test_int(test_result(r), "id");
	json_decref(r);
	cr_assert_eq(test_info_int(fd, "processes", "capture_bytes"), 16384);
	r = create_capturing(fd);
	cr_assert_eq(test_error_code(r, &name), 9);
	cr_assert_str_eq(name, "limit");
	data = json_object_get(json_object_get(r, "error"), "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "limit")),
			 "max_capture_bytes");
	cr_assert_eq(test_int(data, "max"), 16384);
	json_decref(r);
	/* A process that does not capture takes none of it. */
	r = test_call(fd, "process.create",
		      json_pack("{s:[s]}", "argv", "true"));
	json_decref(test_result(r));
	json_decref(r);
	json_decref(test_call(fd, "process.close",
			      json_pack("{s:I}", "id", (json_int_t)a)));
	cr_assert_eq(test_info_int(fd, "processes", "capture_bytes"), 8192);
	r = create_capturing(fd);
	test_result(r);
	json_decref(r);
	(void)b;
	close(fd);
	mpdd_stop(&d);
}

Test(output, bad_capture_limits_stop_start_up)
{
	static const char *const sizes[] = { "0", "4095", "17M", "x", "" };
	static const char *const totals[] = { "0", "-1", "1Q", "" };

	mpdd_assert_refused("--capture-size", sizes,
			    sizeof(sizes) / sizeof(sizes[0]));
	mpdd_assert_refused("--max-capture-bytes", totals,
			    sizeof(totals) / sizeof(totals[0]));
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert(f != NULL);
	fputs(text, f);
	cr_assert(fclose(f) == 0);
}

Test(output, capture_limits_reload_on_sighup_for_new_records)
{
	char conf[PATH_MAX + 16];
	const char *extra[] = { "-c", conf, NULL };
	long long a;
	json_t *r;
	int fd;

	mpdd_init(&d);
	snprintf(conf, sizeof(conf), "%s/mpdd.conf", d.dir);
	write_file(conf, "capture-size = 8K\nmax-capture-bytes = 1M\n");
	mpdd_start_in(&d, extra);
	fd = test_connect(d.socket);
	cr_assert_eq(test_info_int(fd, "limits", "capture_size"), 8192);
	cr_assert_eq(test_info_int(fd, "limits", "max_capture_bytes"),
		     1024 * 1024);
	r = create_capturing(fd);
	a = test_int(test_result(r), "id");
	json_decref(r);
	write_file(conf, "capture-size = 16K\n");
	cr_assert(kill(d.pid, SIGHUP) == 0);
	for (int i = 0;
	     i < 100000 && test_info_int(fd, "limits", "capture_size") != 16384;
	     i++)
		;
	cr_assert_eq(test_info_int(fd, "limits", "capture_size"), 16384);
	cr_assert_eq(test_info_int(fd, "limits", "max_capture_bytes"),
		     256LL * 1024 * 1024);
	/* The old record keeps its ring; a new one takes the new size. */
	r = create_capturing(fd);
	json_decref(r);
	cr_assert_eq(test_info_int(fd, "processes", "capture_bytes"),
		     8192 + 16384);
	json_decref(test_call(fd, "process.close",
			      json_pack("{s:I}", "id", (json_int_t)a)));
	cr_assert_eq(test_info_int(fd, "processes", "capture_bytes"), 16384);
	close(fd);
	mpdd_stop(&d);
}
