/*
 * test-badinput.c - nothing a client sends can crash or wedge mpdd.
 *
 * Each bad input gets its precise JSON-RPC error (or, where the framing is
 * lost, an error and a close), and every test then checks that the daemon
 * still serves: on the same connection where it stays open, and on a new
 * one.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "harness.h"

#define PING(id) \
	"{\"jsonrpc\":\"2.0\",\"id\":" id ",\"method\":\"daemon.ping\"}"

static struct mpdd d;

static void teardown(void)
{
	mpdd_cleanup(&d);
}

TestSuite(badinput, .fini = teardown, .timeout = 120);

/* The same connection still answers a ping with the right id. */
static void assert_conn_serves(int fd)
{
	json_t *r = test_rpc_line(fd, PING("\"still\""));

	cr_assert(json_is_object(json_object_get(r, "result")),
		  "connection no longer serves");
	cr_assert_str_eq(json_string_value(json_object_get(r, "id")), "still");
	json_decref(r);
}

static const char *error_name(json_t *reply)
{
	return json_string_value(json_object_get(
		json_object_get(json_object_get(reply, "error"), "data"),
		"name"));
}

static const char *error_message(json_t *reply)
{
	return json_string_value(
		json_object_get(json_object_get(reply, "error"), "message"));
}

/* Parameters are copied into the test worker: arrays, not pointers. */
struct bad_line {
	char line[128];
	int code;
	char id_json[8]; /* expected id as JSON text; "" means null */
	char says[16]; /* substring of the error message */
};

ParameterizedTestParameters(badinput, precise_error_and_connection_lives)
{
	static struct bad_line cases[] = {
		/* Not JSON at all. */
		{ "{\"jsonrpc\":\"2.0\",", -32700, "", "parse error" },
		{ "nope", -32700, "", "parse error" },
		{ "{\"a\":1}{\"b\":2}", -32700, "", "parse error" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"daemon."
		  "ping\"}",
		  -32700, "", "duplicate" },
		/* Valid JSON that is not a request. */
		{ "1", -32600, "", "" },
		{ "\"daemon.ping\"", -32600, "", "" },
		{ "null", -32600, "", "" },
		{ "{}", -32600, "", "jsonrpc" },
		{ "{\"jsonrpc\":\"1.0\",\"id\":7,\"method\":\"daemon.ping\"}",
		  -32600, "7", "jsonrpc" },
		{ "{\"jsonrpc\":2,\"id\":7,\"method\":\"daemon.ping\"}", -32600,
		  "7", "jsonrpc" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":7}", -32600, "7", "method" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":5}", -32600, "7",
		  "method" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"daemon.ping\"}",
		  -32600, "", "id" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"daemon.ping\"}",
		  -32600, "", "id" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"daemon.ping\"}",
		  -32600, "", "id" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"daemon.ping\","
		  "\"params\":5}",
		  -32600, "8", "params" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"daemon.ping\","
		  "\"bogus\":1}",
		  -32600, "8", "bogus" },
		/* Unknown method: named. */
		{ "{\"jsonrpc\":\"2.0\",\"id\":\"m\",\"method\":\"no.such\"}",
		  -32601, "\"m\"", "no.such" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":\"m\",\"method\":\"\"}", -32600,
		  "\"m\"", "method" },
		/* Wrong or extra params: the field named. */
		{ "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"daemon.ping\","
		  "\"params\":{\"data\":5}}",
		  -32602, "9", "data" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"daemon.ping\","
		  "\"params\":{\"zork\":true}}",
		  -32602, "9", "zork" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"daemon.info\","
		  "\"params\":[1]}",
		  -32602, "9", "object" },
		/* Empty batch. */
		{ "[]", -32600, "", "empty batch" },
	};
	return cr_make_param_array(struct bad_line, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_line *c, badinput,
		  precise_error_and_connection_lives)
{
	json_t *r, *want_id = NULL;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	r = test_rpc_line(fd, c->line);
	if (c->id_json[0] != '\0')
		want_id = json_loads(c->id_json, JSON_DECODE_ANY, NULL);
	test_assert_error(r, c->code, want_id);
	cr_assert(error_message(r) != NULL);
	cr_assert(strstr(error_message(r), c->says) != NULL,
		  "message '%s' does not mention '%s'", error_message(r),
		  c->says);
	cr_assert(error_name(r) != NULL, "error.data.name missing");
	json_decref(want_id);
	json_decref(r);
	assert_conn_serves(fd);
	close(fd);
	test_assert_ping(d.socket);
	mpdd_stop(&d);
}

Test(badinput, invalid_params_name_the_field_in_data)
{
	json_t *r, *id;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	r = test_rpc_line(fd, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
			      "\"daemon.ping\",\"params\":{\"data\":[]}}");
	id = json_integer(1);
	test_assert_error(r, -32602, id);
	json_decref(id);
	cr_assert_str_eq(error_name(r), "invalid_params");
	cr_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(json_object_get(r, "error"), "data"),
			"field")),
		"data");
	json_decref(r);
	r = test_rpc_line(fd, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
			      "\"nope\"}");
	cr_assert_str_eq(error_name(r), "method_not_found");
	json_decref(r);
	close(fd);
	mpdd_stop(&d);
}

Test(badinput, nul_byte_and_invalid_utf8_are_parse_errors)
{
	static const char nul[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
				  "\"daemon.ping\"\0}\n";
	static const char latin1[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
				     "\"daemon.ping\",\"params\":{\"data\":"
				     "\"\xe9t\xe9\"}}\n";
	json_t *r;
	char *line;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	test_send(fd, nul, sizeof(nul) - 1);
	line = test_read_line(fd, TEST_TIMEOUT_MS);
	r = json_loads(line, 0, NULL);
	test_assert_error(r, -32700, NULL);
	json_decref(r);
	free(line);
	test_send(fd, latin1, sizeof(latin1) - 1);
	line = test_read_line(fd, TEST_TIMEOUT_MS);
	r = json_loads(line, 0, NULL);
	test_assert_error(r, -32700, NULL);
	json_decref(r);
	free(line);
	assert_conn_serves(fd);
	close(fd);
	mpdd_stop(&d);
}

Test(badinput, split_reads_and_many_messages_per_write)
{
	const char *two =
		PING("1") "\n\n  \r\n" PING("2") "\r\n" PING("3") "\n";
	const char *one = PING("4") "\n";
	json_t *r;
	char *line;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	test_send_str(fd, two);
	for (int i = 1; i <= 3; i++) {
		line = test_read_line(fd, TEST_TIMEOUT_MS);
		r = json_loads(line, 0, NULL);
		cr_assert_eq(json_integer_value(json_object_get(r, "id")), i);
		json_decref(r);
		free(line);
	}
	/* One byte per write. */
	for (const char *p = one; *p != '\0'; p++)
		test_send(fd, p, 1);
	line = test_read_line(fd, TEST_TIMEOUT_MS);
	r = json_loads(line, 0, NULL);
	cr_assert_eq(json_integer_value(json_object_get(r, "id")), 4);
	json_decref(r);
	free(line);
	close(fd);
	mpdd_stop(&d);
}

Test(badinput, pipelined_flood_is_answered_in_order)
{
	enum { N = 5000 };
	size_t len = 0;
	char *buf = malloc((size_t)N * 64);
	json_t *r;
	char *line;
	int fd;

	for (int i = 0; i < N; i++)
		len += (size_t)sprintf(buf + len, PING("%d") "\n", i);
	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	test_send(fd, buf, len);
	for (int i = 0; i < N; i++) {
		line = test_read_line(fd, TEST_TIMEOUT_MS);
		cr_assert(line != NULL);
		r = json_loads(line, 0, NULL);
		cr_assert_eq(json_integer_value(json_object_get(r, "id")), i);
		json_decref(r);
		free(line);
	}
	free(buf);
	close(fd);
	mpdd_stop(&d);
}

Test(badinput, notifications_are_never_answered)
{
	json_t *r;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	test_send_str(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\"}\n"
			  "{\"jsonrpc\":\"2.0\",\"method\":\"no.such\"}\n");
	/* The next line is the reply to this request, so the two above
	 * produced nothing. */
	r = test_rpc_line(fd, PING("5"));
	cr_assert_eq(json_integer_value(json_object_get(r, "id")), 5);
	json_decref(r);
	close(fd);
	mpdd_stop(&d);
}

Test(badinput, batch_answers_each_member_and_skips_notifications)
{
	json_t *r, *e;
	size_t i;
	int seen = 0;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	r = test_rpc_line(
		fd,
		"[" PING(
			"1") ","
			     "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\"},"
			     "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"x.y\"},"
			     "5,"
			     "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":"
			     "\"daemon.info\"}]");
	cr_assert(json_is_array(r));
	cr_assert_eq(json_array_size(r), 4);
	json_array_foreach (r, i, e) {
		json_t *id = json_object_get(e, "id");

		if (json_is_null(id)) {
			test_assert_error(e, -32600, NULL);
			seen |= 1;
		} else if (json_integer_value(id) == 1) {
			cr_assert(json_is_object(json_object_get(e, "result")));
			seen |= 2;
		} else if (json_integer_value(id) == 2) {
			test_assert_error(e, -32601, id);
			seen |= 4;
		} else if (json_integer_value(id) == 3) {
			cr_assert(json_is_object(json_object_get(e, "result")));
			seen |= 8;
		}
	}
	cr_assert_eq(seen, 15);
	json_decref(r);

	/* A batch of notifications only: no reply at all. */
	test_send_str(fd,
		      "[{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\"}]\n");
	assert_conn_serves(fd);
	close(fd);
	mpdd_stop(&d);
}

Test(badinput, batch_over_the_limit_is_refused)
{
	size_t n = 1025, len = 0;
	char *line = malloc(n * 60 + 8);
	json_t *r;
	int fd;

	line[len++] = '[';
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(line + len, "%s" PING("%zu"),
				       i ? "," : "", i);
	line[len++] = ']';
	line[len] = '\0';
	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	r = test_rpc_line(fd, line);
	test_assert_error(r, -32600, NULL);
	cr_assert(strstr(error_message(r), "1024") != NULL);
	json_decref(r);
	assert_conn_serves(fd);
	close(fd);
	free(line);
	mpdd_stop(&d);
}

static void over_long_line(bool newline)
{
	const char *extra[] = { "--max-message", "1024", NULL };
	char big[3001];
	json_t *r;
	char *line;
	int fd;

	/* One write: the daemon may close as soon as it has seen too much. */
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	test_send(fd, big, newline ? sizeof(big) : sizeof(big) - 1);
	line = test_read_line(fd, TEST_TIMEOUT_MS);
	cr_assert(line != NULL);
	r = json_loads(line, 0, NULL);
	test_assert_error(r, 9, NULL);
	cr_assert_str_eq(error_name(r), "limit");
	json_decref(r);
	free(line);
	cr_assert(test_wait_eof(fd, TEST_TIMEOUT_MS));
	close(fd);
	test_assert_ping(d.socket);
	mpdd_stop(&d);
}

Test(badinput, over_long_line_gets_an_error_then_close)
{
	over_long_line(true);
}

Test(badinput, over_long_unterminated_line_gets_an_error_then_close)
{
	over_long_line(false);
}

Test(badinput, line_of_exactly_max_message_is_accepted)
{
	const char *extra[] = { "--max-message", "1024", NULL };
	char line[1025];
	const char *head = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"daemon."
			   "ping\",\"params\":{\"data\":\"";
	size_t n = strlen(head);
	json_t *r;
	int fd;

	memcpy(line, head, n);
	memset(line + n, 'a', 1024 - n - 3);
	memcpy(line + 1024 - 3, "\"}}", 4);
	cr_assert_eq(strlen(line), 1024);
	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	r = test_rpc_line(fd, line);
	cr_assert(json_is_object(json_object_get(r, "result")));
	json_decref(r);
	close(fd);
	mpdd_stop(&d);
}

Test(badinput, half_a_line_then_disconnect)
{
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	test_send_str(fd, "{\"jsonrpc\":\"2.0\",\"id\":1,\"meth");
	close(fd);
	test_assert_ping(d.socket);
	mpdd_stop(&d);
}

Test(badinput, silent_client_does_not_block_others)
{
	int silent;

	mpdd_start(&d, NULL);
	silent = test_connect(d.socket);
	test_send_str(silent, "{\"jsonrpc\":");
	test_assert_ping(d.socket);
	test_assert_ping(d.socket);
	close(silent);
	mpdd_stop(&d);
}

Test(badinput, client_that_never_reads_is_dropped)
{
	const char *extra[] = { "--max-output", "64K", NULL };
	int fd, rcvbuf = 4096, dropped = 0;
	char *batch, *log;
	size_t len = 0;

	/* A batch of 500 pings: about 25 KiB in, 17 KiB of replies out. */
	batch = malloc(500 * 60 + 8);
	batch[len++] = '[';
	for (int i = 0; i < 500; i++)
		len += (size_t)sprintf(batch + len, "%s" PING("%d"),
				       i ? "," : "", i);
	batch[len++] = ']';
	batch[len++] = '\n';

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	/* Keep sending, never read. The daemon must drop us long before
	 * 2000 batches (34 MiB of replies) were sent. */
	for (int i = 0; i < 2000 && !dropped; i++) {
		size_t off = 0;

		while (off < len) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			ssize_t n;

			cr_assert(poll(&p, 1, TEST_TIMEOUT_MS) == 1,
				  "daemon stopped reading without dropping");
			n = send(fd, batch + off, len - off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n == -1) {
				cr_assert(errno == EPIPE || errno == ECONNRESET,
					  "send: %s", strerror(errno));
				dropped = 1;
				break;
			}
			off += (size_t)n;
		}
	}
	cr_assert(dropped, "a client that never reads was not dropped");
	close(fd);
	free(batch);
	test_assert_ping(d.socket);
	log = mpdd_log(&d);
	cr_assert(strstr(log, "bytes of replies unread") != NULL, "%s", log);
	free(log);
	mpdd_stop(&d);
}

/* Ask daemon.info until it counts want connections (closes are seen by
 * the daemon asynchronously); bounded by the test timeout. */
static void wait_connections(int fd, long long want)
{
	long long got = -1;

	for (int i = 0; i < 100000 && got != want; i++) {
		json_t *r = test_rpc_line(fd, "{\"jsonrpc\":\"2.0\",\"id\":1,"
					      "\"method\":\"daemon.info\"}");

		got = json_integer_value(json_object_get(
			json_object_get(r, "result"), "connections"));
		json_decref(r);
	}
	cr_assert_eq(got, want);
}

Test(badinput, thousand_connections_opened_and_dropped_at_once)
{
	static int fds[1000];
	struct rlimit rl = { 4096, 4096 };
	int fd;

	cr_assert(setrlimit(RLIMIT_NOFILE, &rl) == 0 ||
		  (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > 1100));
	mpdd_start(&d, NULL);
	for (int i = 0; i < 1000; i++)
		fds[i] = test_connect(d.socket);
	/* Half of them with half a request in flight. */
	for (int i = 0; i < 1000; i += 2)
		test_send_str(fds[i], "{\"jsonrpc\":\"2.0\",\"id\":1,");
	for (int i = 0; i < 1000; i++)
		close(fds[i]);
	fd = test_connect(d.socket);
	assert_conn_serves(fd);
	wait_connections(fd, 1);
	close(fd);
	mpdd_stop(&d);
}

Test(badinput, connections_over_the_limit_are_told_and_closed)
{
	const char *extra[] = { "--max-connections", "2", NULL };
	json_t *r;
	char *line;
	int a, b, c;

	mpdd_start(&d, extra);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	assert_conn_serves(a);
	assert_conn_serves(b);
	c = test_connect(d.socket); /* accepted by the kernel, then refused */
	line = test_read_line(c, TEST_TIMEOUT_MS);
	cr_assert(line != NULL);
	r = json_loads(line, 0, NULL);
	test_assert_error(r, 9, NULL);
	cr_assert(strstr(error_message(r), "too many connections") != NULL);
	json_decref(r);
	free(line);
	cr_assert(test_wait_eof(c, TEST_TIMEOUT_MS));
	close(c);
	close(b);
	wait_connections(a, 1);
	test_assert_ping(d.socket);
	close(a);
	mpdd_stop(&d);
}
