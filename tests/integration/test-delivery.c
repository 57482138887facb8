/*
 * test-delivery.c - an item leaves a queue only in a reply that is
 * delivered, against a real mpdd: a getter killed with SIGKILL before the
 * daemon has seen it go, a batch whose connection closes before the batch
 * is complete, replies larger than --max-output (batched or pipelined),
 * taking methods sent as notifications, and connections whose peer
 * half-closes (shutdown(SHUT_WR), as socat and nc do) while requests are
 * parked. Every test counts that each item put is got exactly once.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static struct mpdd d;

static void teardown(void)
{
	mpdd_cleanup(&d);
}

TestSuite(delivery, .fini = teardown, .timeout = 240);

static void mkqueue(int fd, const char *name)
{
	json_decref(
		test_ok(fd, "queue.create", json_pack("{s:s}", "name", name)));
}

static long long qsize(int fd, const char *name)
{
	json_t *r = test_ok(fd, "queue.size", json_pack("{s:s}", "name", name));
	long long n = test_int(r, "size");

	json_decref(r);
	return n;
}

/* Read the next reply line (a new reference), asserting its id. */
static json_t *reply_for(int fd, const char *id)
{
	char *text = test_read_line(fd, TEST_TIMEOUT_MS);
	json_t *r;

	cr_assert(text != NULL, "no reply for %s", id);
	r = json_loads(text, 0, NULL);
	cr_assert(r != NULL, "%.200s", text);
	cr_assert_str_eq(json_string_value(json_object_get(r, "id")), id,
			 "%.200s", text);
	free(text);
	return r;
}

/* Take every item left in q (timeout 0) and check they are the integers
 * first..first+n-1, in order. */
static void drain_expect(int fd, const char *q, long long first, long long n)
{
	long long next = first;

	while (next < first + n) {
		json_t *r = test_ok(fd, "queue.get_many",
				    json_pack("{s:s, s:i, s:i}", "name", q,
					      "max", 10000, "timeout", 0));
		json_t *items = json_object_get(r, "items"), *it;
		size_t i;

		json_array_foreach (items, i, it)
			cr_assert_eq(json_integer_value(it), next++,
				     "item %zu: got %lld, want %lld", i,
				     (long long)json_integer_value(it),
				     next - 1);
		json_decref(r);
	}
	cr_assert_eq(qsize(fd, q), 0);
}

/*
 * A getter parks, is SIGKILLed, and a put arrives before the daemon has
 * read the getter's EOF: the daemon is stopped while the put is written and
 * the getter killed, so that on waking it reads the put first and hands the
 * item to a connection whose peer is gone. The item must stay queued.
 */
Test(delivery, a_killed_parked_getter_takes_no_item)
{
	enum { ROUNDS = 40 };
	int b;

	mpdd_start(&d, NULL);
	b = test_connect(d.socket);
	mkqueue(b, "q");
	for (int i = 0; i < ROUNDS; i++) {
		int sync[2], status;
		char byte;
		pid_t child;
		json_t *r;

		cr_assert(pipe(sync) == 0);
		child = fork();
		cr_assert(child >= 0);
		if (child == 0) {
			int a = test_connect(d.socket);
			char *line;

			test_send_str(a, "{\"jsonrpc\":\"2.0\",\"id\":1,"
					 "\"method\":\"queue.get\","
					 "\"params\":{\"name\":\"q\"}}\n"
					 "{\"jsonrpc\":\"2.0\",\"id\":2,"
					 "\"method\":\"daemon.ping\"}\n");
			/* The ping is answered once the get is parked. */
			line = test_read_line(a, TEST_TIMEOUT_MS);
			if (line == NULL || strstr(line, "\"id\":2") == NULL)
				_exit(1);
			if (write(sync[1], "p", 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		close(sync[1]);
		cr_assert_eq(read(sync[0], &byte, 1), 1);
		close(sync[0]);
		cr_assert_eq(kill(d.pid, SIGSTOP), 0);
		cr_assert_eq(waitpid(d.pid, &status, WUNTRACED), d.pid);
		cr_assert(WIFSTOPPED(status));
		{
			char line[128];

			snprintf(line, sizeof(line),
				 "{\"jsonrpc\":\"2.0\",\"id\":\"put\","
				 "\"method\":\"queue.put\",\"params\":"
				 "{\"name\":\"q\",\"item\":%d}}\n",
				 i);
			test_send_str(b, line);
		}
		cr_assert_eq(kill(child, SIGKILL), 0);
		cr_assert_eq(waitpid(child, &status, 0), child);
		cr_assert_eq(kill(d.pid, SIGCONT), 0);
		r = reply_for(b, "put");
		test_result(r);
		json_decref(r);
		/* Taken back now, so that the next getter parks again. */
		r = test_ok(b, "queue.get",
			    json_pack("{s:s, s:i}", "name", "q", "timeout", 0));
		cr_assert_eq(json_integer_value(json_object_get(r, "item")), i);
		json_decref(r);
	}
	cr_assert_eq(qsize(b, "q"), 0);
	test_assert_ping(d.socket);
	close(b);
	mpdd_stop(&d);
}

/*
 * A batch [get on a non-empty queue, get on an empty queue] is held until
 * both are answered; its connection closes first. The item the first get
 * took goes back to the head of its queue, in order.
 */
Test(delivery, a_batch_dropped_with_its_connection_returns_its_items)
{
	enum { ROUNDS = 50 };
	int b;

	mpdd_start(&d, NULL);
	b = test_connect(d.socket);
	mkqueue(b, "q");
	mkqueue(b, "empty");
	for (int i = 0; i < ROUNDS; i++) {
		int a = test_connect(d.socket);

		json_decref(test_ok(b, "queue.put",
				    json_pack("{s:s, s:i}", "name", "q", "item",
					      i)));
		test_send_str(a, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
				 "\"queue.get\",\"params\":{\"name\":\"q\"}},"
				 "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
				 "\"queue.get\",\"params\":{\"name\":"
				 "\"empty\"}}]\n");
		close(a);
	}
	/* Every connection is gone once the daemon counts b's alone: each
	 * batch was read, and dropped with its connection. (No getter left
	 * on "empty" is not enough: a batch not read yet has none.) */
	for (int i = 0;; i++) {
		json_t *info = test_ok(b, "daemon.info", NULL);
		long long conns = test_int(info, "connections");

		json_decref(info);
		if (conns == 1)
			break;
		cr_assert(i < 2000, "%lld connections stayed", conns - 1);
		usleep(5000);
	}
	json_t *sz =
		test_ok(b, "queue.size", json_pack("{s:s}", "name", "empty"));

	cr_assert_eq(test_int(sz, "getters"), 0);
	json_decref(sz);
	drain_expect(b, "q", 0, ROUNDS);
	close(b);
	mpdd_stop(&d);
}

/* Several open batches dropped at once give their items back in order. */
Test(delivery, open_batches_dropped_together_keep_the_order)
{
	static const char batch[] =
		"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"queue.get_many\","
		"\"params\":{\"name\":\"q\",\"max\":2}},"
		"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"queue.get\","
		"\"params\":{\"name\":\"empty\"}}]\n";
	int a, b;

	mpdd_start(&d, NULL);
	b = test_connect(d.socket);
	mkqueue(b, "q");
	mkqueue(b, "empty");
	json_decref(test_ok(b, "queue.put_many",
			    json_pack("{s:s, s:[i, i, i, i, i, i, i]}", "name",
				      "q", "items", 0, 1, 2, 3, 4, 5, 6)));
	a = test_connect(d.socket);
	for (int i = 0; i < 3; i++)
		test_send_str(a, batch);
	/* The three batches are read and hold six items. */
	for (int i = 0; i < 100000 && qsize(b, "q") != 1; i++)
		;
	cr_assert_eq(qsize(b, "q"), 1);
	close(a);
	for (int i = 0; i < 100000 && qsize(b, "q") != 7; i++)
		;
	drain_expect(b, "q", 0, 7);
	close(b);
	mpdd_stop(&d);
}

/* Put n integer-tagged items of about size bytes: [i, "xxx..."]. */
static void put_sized(int fd, const char *q, int n, size_t size)
{
	char *pad = malloc(size + 1);

	memset(pad, 'x', size);
	pad[size] = '\0';
	for (int i = 0; i < n; i++)
		json_decref(test_ok(fd, "queue.put",
				    json_pack("{s:s, s:[i, s]}", "name", q,
					      "item", i, pad)));
	free(pad);
}

/* Check the tagged items (an array of [i, pad]) continue from *next. */
static void check_tagged(json_t *items, int *next)
{
	json_t *it;
	size_t i;

	json_array_foreach (items, i, it)
		cr_assert_eq(json_integer_value(json_array_get(it, 0)),
			     (*next)++);
}

/* Drain q (tagged items) and check they continue from next up to n. */
static void drain_tagged(int fd, const char *q, int next, int n)
{
	while (next < n) {
		json_t *r = test_ok(fd, "queue.get_many",
				    json_pack("{s:s, s:i, s:i}", "name", q,
					      "max", 100, "timeout", 0));

		check_tagged(json_object_get(r, "items"), &next);
		json_decref(r);
	}
	cr_assert_eq(next, n);
	cr_assert_eq(qsize(fd, q), 0);
}

Test(delivery, a_batch_of_get_many_fits_max_output)
{
	const char *extra[] = { "--max-output", "64K", NULL };
	enum { N = 400 };
	json_t *r, *e;
	size_t i;
	int fd, next = 0;
	char *line;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	mkqueue(fd, "q");
	put_sized(fd, "q", N, 900);
	test_send_str(fd, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
			  "\"queue.get_many\",\"params\":{\"name\":\"q\","
			  "\"max\":10000}},"
			  "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
			  "\"queue.get_many\",\"params\":{\"name\":\"q\","
			  "\"max\":10000}}]\n");
	line = test_read_line(fd, TEST_TIMEOUT_MS);
	cr_assert(line != NULL, "the batch's connection was dropped");
	cr_assert(strlen(line) <= 64 * 1024, "%zu bytes", strlen(line));
	r = json_loads(line, 0, NULL);
	free(line);
	cr_assert(json_is_array(r));
	/* Replies in completion order: id 1 first. */
	json_array_foreach (r, i, e) {
		json_t *res = json_object_get(e, "result");

		if (res != NULL)
			check_tagged(json_object_get(res, "items"), &next);
		else
			cr_assert_str_eq(
				json_string_value(json_object_get(
					json_object_get(
						json_object_get(e, "error"),
						"data"),
					"name")),
				"limit");
	}
	json_decref(r);
	cr_assert(next > 0);
	drain_tagged(fd, "q", next, N);
	close(fd);
	mpdd_stop(&d);
}

Test(delivery, pipelined_get_many_wait_for_output_room)
{
	const char *extra[] = { "--max-output", "64K", NULL };
	enum { N = 2000, CALLS = 20 };
	int fd, next = 0;
	char line[256];

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	mkqueue(fd, "q");
	put_sized(fd, "q", N, 900);
	/* Sent without reading: the replies fill the socket and then the
	 * daemon's output room. */
	for (int i = 0; i < CALLS; i++) {
		snprintf(line, sizeof(line),
			 "{\"jsonrpc\":\"2.0\",\"id\":\"%d\",\"method\":"
			 "\"queue.get_many\",\"params\":{\"name\":\"q\","
			 "\"max\":1000}}\n",
			 i);
		test_send_str(fd, line);
	}
	for (int i = 0; i < CALLS; i++) {
		json_t *r;

		snprintf(line, sizeof(line), "%d", i);
		r = reply_for(fd, line);
		check_tagged(json_object_get(test_result(r), "items"), &next);
		json_decref(r);
	}
	drain_tagged(fd, "q", next, N);
	close(fd);
	mpdd_stop(&d);
}

Test(delivery, pipelined_large_gets_wait_for_output_room)
{
	const char *extra[] = { "--max-output", "1M", NULL };
	enum { N = 40 };
	int fd, next = 0;
	char line[256];

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	mkqueue(fd, "q");
	put_sized(fd, "q", N, 100 * 1024);
	for (int i = 0; i < N; i++) {
		snprintf(line, sizeof(line),
			 "{\"jsonrpc\":\"2.0\",\"id\":\"%d\",\"method\":"
			 "\"queue.get\",\"params\":{\"name\":\"q\"}}\n",
			 i);
		test_send_str(fd, line);
	}
	for (int i = 0; i < N; i++) {
		json_t *r, *items;

		snprintf(line, sizeof(line), "%d", i);
		r = reply_for(fd, line);
		items = json_pack("[O]",
				  json_object_get(test_result(r), "item"));
		check_tagged(items, &next);
		json_decref(items);
		json_decref(r);
	}
	cr_assert_eq(next, N);
	cr_assert_eq(qsize(fd, "q"), 0);
	close(fd);
	mpdd_stop(&d);
}

Test(delivery, an_item_larger_than_max_output_stays_queued)
{
	const char *extra[] = { "--max-output", "4K", NULL };
	json_t *reply;
	const char *name;
	int fd;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	mkqueue(fd, "q");
	put_sized(fd, "q", 1, 8192);
	reply = test_call(fd, "queue.get", json_pack("{s:s}", "name", "q"));
	cr_assert_eq(test_error_code(reply, &name), 9);
	cr_assert_str_eq(name, "limit");
	cr_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(json_object_get(reply, "error"), "data"),
			"limit")),
		"max_output");
	json_decref(reply);
	cr_assert_eq(qsize(fd, "q"), 1);
	close(fd);
	mpdd_stop(&d);
}

Test(delivery, taking_methods_sent_as_notifications_take_nothing)
{
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	mkqueue(fd, "q");
	json_decref(test_ok(fd, "queue.put_many",
			    json_pack("{s:s, s:[i, i, i]}", "name", "q",
				      "items", 0, 1, 2)));
	test_send_str(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"queue.get\","
			  "\"params\":{\"name\":\"q\"}}\n"
			  "{\"jsonrpc\":\"2.0\",\"method\":\"queue.get_many\","
			  "\"params\":{\"name\":\"q\",\"max\":3}}\n"
			  "[{\"jsonrpc\":\"2.0\",\"method\":\"queue.get\","
			  "\"params\":{\"name\":\"q\"}}]\n");
	/* Nothing answers a notification; the ping's reply is the next
	 * line. */
	json_decref(test_ok(fd, "daemon.ping", NULL));
	cr_assert_eq(qsize(fd, "q"), 3);
	drain_expect(fd, "q", 0, 3);
	close(fd);
	mpdd_stop(&d);
}

Test(delivery, a_half_closed_connection_gets_its_parked_get)
{
	int a, b;
	json_t *r;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	mkqueue(b, "q");
	test_send_str(a, "{\"jsonrpc\":\"2.0\",\"id\":\"g\",\"method\":"
			 "\"queue.get\",\"params\":{\"name\":\"q\"}}\n");
	cr_assert_eq(shutdown(a, SHUT_WR), 0);
	/* Once the daemon has read the get (and the EOF after it). */
	for (int i = 0; i < 100000; i++) {
		r = test_ok(b, "queue.size", json_pack("{s:s}", "name", "q"));
		long long getters = test_int(r, "getters");

		json_decref(r);
		if (getters == 1)
			break;
	}
	json_decref(test_ok(b, "daemon.ping", NULL));
	json_decref(test_ok(b, "queue.put",
			    json_pack("{s:s, s:i}", "name", "q", "item", 7)));
	r = reply_for(a, "g");
	cr_assert_eq(
		json_integer_value(json_object_get(test_result(r), "item")), 7);
	json_decref(r);
	/* Its last reply sent, the half-closed connection is closed. */
	cr_assert_eq(test_wait_eof(a, TEST_TIMEOUT_MS), 1);
	cr_assert_eq(qsize(b, "q"), 0);
	test_forget(a);
	close(a);
	close(b);
	mpdd_stop(&d);
}

Test(delivery, a_half_closed_connection_gets_its_parked_join)
{
	int a, b;
	long long id;
	char line[256];
	json_t *r;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	r = test_ok(b, "process.create",
		    json_pack("{s:[s, s], s:b}", "argv", "sleep", "1000",
			      "start", 1));
	id = test_int(r, "id");
	json_decref(r);
	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":\"j\",\"method\":"
		 "\"process.join\",\"params\":{\"id\":%lld}}\n",
		 id);
	test_send_str(a, line);
	cr_assert_eq(shutdown(a, SHUT_WR), 0);
	json_decref(test_ok(b, "daemon.ping", NULL));
	json_decref(test_ok(b, "process.kill", json_pack("{s:I}", "id", id)));
	r = reply_for(a, "j");
	cr_assert_eq(test_int(test_result(r), "exitcode"), -9);
	json_decref(r);
	cr_assert_eq(test_wait_eof(a, TEST_TIMEOUT_MS), 1);
	test_forget(a);
	close(a);
	close(b);
	mpdd_stop(&d);
}

Test(delivery, a_half_closed_connection_with_nothing_pending_closes)
{
	int a;
	json_t *r;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	test_send_str(a, "{\"jsonrpc\":\"2.0\",\"id\":\"p\",\"method\":"
			 "\"daemon.ping\"}\n");
	cr_assert_eq(shutdown(a, SHUT_WR), 0);
	r = reply_for(a, "p");
	test_result(r);
	json_decref(r);
	cr_assert_eq(test_wait_eof(a, TEST_TIMEOUT_MS), 1);
	test_forget(a);
	close(a);
	test_assert_ping(d.socket);
	mpdd_stop(&d);
}
