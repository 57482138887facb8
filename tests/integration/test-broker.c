/*
 * test-broker.c - queues, values and arrays against a real mpdd: blocking
 * and timeouts, back-pressure, FIFO order, close and delete with parked
 * callers, no item lost to a vanished getter, JoinableQueue, atomic adds
 * from concurrent clients, type errors, every limit, and memory given back
 * after a million items.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
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
	mpdd_cleanup(&d);
}

TestSuite(broker, .fini = teardown, .timeout = 120);

/* Send a request without waiting for its reply (it may park). */
static void send_req(int fd, const char *id, const char *method,
		     const char *params)
{
	char line[1024];

	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":\"%s\",\"method\":\"%s\","
		 "\"params\":%s}\n",
		 id, method, params);
	test_send_str(fd, line);
}

/* Read the next reply line and check its id. */
static json_t *reply_for(int fd, const char *id)
{
	char *text = test_read_line(fd, TEST_TIMEOUT_MS);
	json_t *r;

	cr_assert(text != NULL, "no reply for %s", id);
	r = json_loads(text, 0, NULL);
	cr_assert(r != NULL);
	cr_assert_str_eq(json_string_value(json_object_get(r, "id")), id, "%s",
			 text);
	free(text);
	return r;
}

/* Make sure everything sent on fd so far has been read and parked. */
static void settle(int fd)
{
	json_decref(test_ok(fd, "daemon.ping", NULL));
}

static void mkqueue(int fd, const char *name, int maxsize)
{
	json_decref(test_ok(fd, "queue.create",
			    json_pack("{s:s, s:i}", "name", name, "maxsize",
				      maxsize)));
}

Test(broker, parked_get_is_woken_by_a_put_from_another_connection)
{
	int a, b;
	json_t *r;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	mkqueue(a, "q", 0);
	send_req(a, "g", "queue.get", "{\"name\":\"q\"}");
	settle(b);
	r = test_ok(b, "queue.size", json_pack("{s:s}", "name", "q"));
	cr_assert_eq(test_int(r, "getters"), 1);
	json_decref(r);
	json_decref(test_ok(b, "queue.put",
			    json_pack("{s:s, s:{s:[i]}}", "name", "q", "item",
				      "x", 1)));
	r = reply_for(a, "g");
	cr_assert_eq(
		json_integer_value(json_array_get(
			json_object_get(json_object_get(test_result(r), "item"),
					"x"),
			0)),
		1);
	json_decref(r);
	close(a);
	close(b);
	mpdd_stop(&d);
}

Test(broker, timeouts_zero_small_and_absent)
{
	int fd, b;
	json_t *r;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	b = test_connect(d.socket);
	mkqueue(fd, "q", 1);
	test_fails(fd, "queue.get",
		   json_pack("{s:s, s:i}", "name", "q", "timeout", 0), "empty");
	test_fails(fd, "queue.get",
		   json_pack("{s:s, s:f}", "name", "q", "timeout", 0.05),
		   "empty");
	test_fails(fd, "queue.get_many",
		   json_pack("{s:s, s:i, s:f}", "name", "q", "max", 3,
			     "timeout", 0.05),
		   "empty");
	json_decref(test_ok(fd, "queue.put",
			    json_pack("{s:s, s:i}", "name", "q", "item", 1)));
	test_fails(fd, "queue.put",
		   json_pack("{s:s, s:i, s:i}", "name", "q", "item", 2,
			     "timeout", 0),
		   "full");
	test_fails(fd, "queue.put",
		   json_pack("{s:s, s:i, s:f}", "name", "q", "item", 2,
			     "timeout", 0.05),
		   "full");
	/* Absent: waits until it can. */
	send_req(fd, "p", "queue.put", "{\"name\":\"q\",\"item\":2}");
	settle(b);
	r = test_ok(b, "queue.get", json_pack("{s:s}", "name", "q"));
	cr_assert_eq(test_int(r, "item"), 1);
	json_decref(r);
	r = reply_for(fd, "p");
	cr_assert_eq(test_int(test_result(r), "size"), 1);
	json_decref(r);
	r = test_ok(b, "queue.get", json_pack("{s:s}", "name", "q"));
	cr_assert_eq(test_int(r, "item"), 2);
	json_decref(r);
	close(fd);
	close(b);
	mpdd_stop(&d);
}

Test(broker, back_pressure_in_order)
{
	int p, c;
	json_t *r;

	mpdd_start(&d, NULL);
	p = test_connect(d.socket);
	c = test_connect(d.socket);
	mkqueue(c, "q", 2);
	/* Three parked puts behind a full queue, served in order. */
	json_decref(test_ok(p, "queue.put_many",
			    json_pack("{s:s, s:[ii]}", "name", "q", "items", 1,
				      2)));
	send_req(p, "p3", "queue.put", "{\"name\":\"q\",\"item\":3}");
	send_req(p, "p45", "queue.put_many",
		 "{\"name\":\"q\",\"items\":[4,5]}");
	settle(p);
	r = test_ok(c, "queue.size", json_pack("{s:s}", "name", "q"));
	cr_assert_eq(test_int(r, "putters"), 2);
	json_decref(r);
	r = test_ok(c, "queue.get", json_pack("{s:s}", "name", "q"));
	cr_assert_eq(test_int(r, "item"), 1);
	json_decref(r);
	json_decref(reply_for(p, "p3"));
	r = test_ok(c, "queue.get_many",
		    json_pack("{s:s, s:i}", "name", "q", "max", 10));
	cr_assert_eq(json_array_size(json_object_get(r, "items")), 2);
	json_decref(r);
	json_decref(reply_for(p, "p45"));
	r = test_ok(c, "queue.get_many",
		    json_pack("{s:s, s:i}", "name", "q", "max", 10));
	cr_assert_eq(json_integer_value(
			     json_array_get(json_object_get(r, "items"), 0)),
		     4);
	cr_assert_eq(json_integer_value(
			     json_array_get(json_object_get(r, "items"), 1)),
		     5);
	json_decref(r);
	/* More items than maxsize can never fit. */
	test_fails(p, "queue.put_many",
		   json_pack("{s:s, s:[iii]}", "name", "q", "items", 1, 2, 3),
		   "invalid_params");
	close(p);
	close(c);
	mpdd_stop(&d);
}

struct producer {
	const char *socket;
	int id;
	int errors;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	int fd = test_try_connect(p->socket);

	if (fd < 0) {
		p->errors++;
		return NULL;
	}
	for (int i = 0; i < 500; i++) {
		json_t *r = test_call(fd, "queue.put",
				      json_pack("{s:s, s:[ii]}", "name", "q",
						"item", p->id, i));

		if (json_object_get(r, "result") == NULL)
			p->errors++;
		json_decref(r);
	}
	test_forget(fd);
	close(fd);
	return NULL;
}

Test(broker, fifo_per_producer_with_several_producers)
{
	struct producer pr[4];
	pthread_t t[4];
	int fd, next[4] = { 0 }, got = 0;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	mkqueue(fd, "q", 0);
	for (int i = 0; i < 4; i++) {
		pr[i] = (struct producer){ d.socket, i, 0 };
		cr_assert(pthread_create(&t[i], NULL, produce, &pr[i]) == 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(pr[i].errors, 0);
	}
	while (got < 2000) {
		json_t *r = test_ok(fd, "queue.get_many",
				    json_pack("{s:s, s:i}", "name", "q", "max",
					      333));
		json_t *items = json_object_get(r, "items"), *it;
		size_t i;

		json_array_foreach (items, i, it) {
			int who =
				(int)json_integer_value(json_array_get(it, 0));
			int seq =
				(int)json_integer_value(json_array_get(it, 1));

			cr_assert_eq(seq, next[who], "producer %d out of order",
				     who);
			next[who]++;
			got++;
		}
		json_decref(r);
	}
	close(fd);
	mpdd_stop(&d);
}

Test(broker, getters_are_served_in_arrival_order)
{
	int g[3], p;

	mpdd_start(&d, NULL);
	p = test_connect(d.socket);
	mkqueue(p, "q", 0);
	for (int i = 0; i < 3; i++) {
		char id[8];

		g[i] = test_connect(d.socket);
		snprintf(id, sizeof(id), "g%d", i);
		send_req(g[i], id, "queue.get", "{\"name\":\"q\"}");
		settle(g[i]);
	}
	json_decref(test_ok(p, "queue.put_many",
			    json_pack("{s:s, s:[iii]}", "name", "q", "items", 0,
				      1, 2)));
	for (int i = 0; i < 3; i++) {
		char id[8];
		json_t *r;

		snprintf(id, sizeof(id), "g%d", i);
		r = reply_for(g[i], id);
		cr_assert_eq(test_int(test_result(r), "item"), i);
		json_decref(r);
		close(g[i]);
	}
	close(p);
	mpdd_stop(&d);
}

Test(broker, close_and_delete_with_parked_callers)
{
	int a, b, c;
	json_t *r;
	const char *name;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	c = test_connect(d.socket);
	mkqueue(a, "empty", 0);
	mkqueue(a, "full", 1);
	json_decref(
		test_ok(a, "queue.put",
			json_pack("{s:s, s:i}", "name", "full", "item", 1)));
	send_req(b, "g", "queue.get", "{\"name\":\"empty\"}");
	send_req(c, "p", "queue.put", "{\"name\":\"full\",\"item\":2}");
	settle(b);
	settle(c);
	/* close: the parked putter fails; the getter too, as it is drained. */
	json_decref(
		test_ok(a, "queue.close", json_pack("{s:s}", "name", "full")));
	r = reply_for(c, "p");
	cr_assert_eq(test_error_code(r, &name), 7);
	cr_assert_str_eq(name, "closed");
	json_decref(r);
	test_fails(a, "queue.put",
		   json_pack("{s:s, s:i}", "name", "full", "item", 3),
		   "closed");
	/* A closed queue still drains, then says closed. */
	r = test_ok(a, "queue.get", json_pack("{s:s}", "name", "full"));
	cr_assert_eq(test_int(r, "item"), 1);
	json_decref(r);
	test_fails(a, "queue.get", json_pack("{s:s}", "name", "full"),
		   "closed");
	json_decref(
		test_ok(a, "queue.close", json_pack("{s:s}", "name", "full")));
	/* delete: the parked getter gets closed; the queue is gone. */
	json_decref(test_ok(a, "queue.delete",
			    json_pack("{s:s}", "name", "empty")));
	r = reply_for(b, "g");
	cr_assert_eq(test_error_code(r, &name), 7);
	json_decref(r);
	test_fails(a, "queue.get", json_pack("{s:s}", "name", "empty"),
		   "not_found");
	/* A closed queue's parked getter fails when it is drained. */
	mkqueue(a, "q3", 0);
	send_req(b, "g3", "queue.get", "{\"name\":\"q3\"}");
	settle(b);
	json_decref(
		test_ok(a, "queue.close", json_pack("{s:s}", "name", "q3")));
	r = reply_for(b, "g3");
	cr_assert_eq(test_error_code(r, &name), 7);
	json_decref(r);
	close(a);
	close(b);
	close(c);
	mpdd_stop(&d);
}

Test(broker, a_getter_that_disconnects_loses_no_item)
{
	int a, b;
	json_t *r;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	mkqueue(b, "q", 0);
	send_req(a, "g", "queue.get", "{\"name\":\"q\"}");
	settle(a);
	close(a);
	/* Once the daemon has seen it go, the getter is not counted. */
	for (int i = 0; i < 100000; i++) {
		r = test_ok(b, "queue.size", json_pack("{s:s}", "name", "q"));
		long long getters = test_int(r, "getters");

		json_decref(r);
		if (getters == 0)
			break;
	}
	json_decref(test_ok(b, "queue.put",
			    json_pack("{s:s, s:s}", "name", "q", "item",
				      "precious")));
	r = test_ok(b, "queue.get",
		    json_pack("{s:s, s:i}", "name", "q", "timeout", 0));
	cr_assert_str_eq(json_string_value(json_object_get(r, "item")),
			 "precious");
	json_decref(r);
	close(b);
	mpdd_stop(&d);
}

Test(broker, task_done_and_join)
{
	int a, b;
	json_t *r;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	mkqueue(a, "q", 0);
	r = test_ok(a, "queue.join", json_pack("{s:s}", "name", "q"));
	cr_assert(json_is_true(json_object_get(r, "done")));
	json_decref(r);
	json_decref(test_ok(a, "queue.put_many",
			    json_pack("{s:s, s:[ii]}", "name", "q", "items", 1,
				      2)));
	r = test_ok(a, "queue.join",
		    json_pack("{s:s, s:f}", "name", "q", "timeout", 0.05));
	cr_assert(json_is_false(json_object_get(r, "done")));
	cr_assert_eq(test_int(r, "unfinished"), 2);
	json_decref(r);
	send_req(b, "j", "queue.join", "{\"name\":\"q\"}");
	settle(b);
	json_decref(test_ok(a, "queue.get_many",
			    json_pack("{s:s, s:i}", "name", "q", "max", 2)));
	r = test_ok(a, "queue.task_done", json_pack("{s:s}", "name", "q"));
	cr_assert_eq(test_int(r, "unfinished"), 1);
	json_decref(r);
	json_decref(
		test_ok(a, "queue.task_done", json_pack("{s:s}", "name", "q")));
	r = reply_for(b, "j");
	cr_assert(json_is_true(json_object_get(test_result(r), "done")));
	json_decref(r);
	test_fails(a, "queue.task_done", json_pack("{s:s}", "name", "q"),
		   "invalid_state");
	close(a);
	close(b);
	mpdd_stop(&d);
}

struct adder {
	const char *socket;
	int errors;
};

static void *add_many(void *arg)
{
	struct adder *a = arg;
	int fd = test_try_connect(a->socket);

	if (fd < 0) {
		a->errors++;
		return NULL;
	}
	for (int i = 0; i < 10000; i++) {
		json_t *r = test_call(fd, "value.add",
				      json_pack("{s:s, s:i}", "name", "n",
						"delta", 1));

		if (json_object_get(r, "result") == NULL)
			a->errors++;
		json_decref(r);
	}
	test_forget(fd);
	close(fd);
	return NULL;
}

Test(broker, eight_clients_adding_get_the_exact_total)
{
	struct adder a[8];
	pthread_t t[8];
	json_t *r;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	json_decref(
		test_ok(fd, "value.create",
			json_pack("{s:s, s:s}", "name", "n", "type", "int")));
	for (int i = 0; i < 8; i++) {
		a[i] = (struct adder){ d.socket, 0 };
		cr_assert(pthread_create(&t[i], NULL, add_many, &a[i]) == 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(a[i].errors, 0);
	}
	r = test_ok(fd, "value.get", json_pack("{s:s}", "name", "n"));
	cr_assert_eq(test_int(r, "value"), 80000);
	json_decref(r);
	close(fd);
	mpdd_stop(&d);
}

Test(broker, values_of_every_type)
{
	int fd;
	json_t *r;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	json_decref(test_ok(fd, "value.create",
			    json_pack("{s:s, s:s, s:f}", "name", "f", "type",
				      "float", "value", 1.5)));
	r = test_ok(fd, "value.add",
		    json_pack("{s:s, s:i}", "name", "f", "delta", 2));
	cr_assert_float_eq(json_number_value(json_object_get(r, "value")), 3.5,
			   1e-12);
	json_decref(r);
	json_decref(test_ok(fd, "value.create",
			    json_pack("{s:s, s:s}", "name", "s", "type",
				      "string")));
	json_decref(test_ok(fd, "value.set",
			    json_pack("{s:s, s:s}", "name", "s", "value",
				      "hello")));
	r = test_ok(fd, "value.cas",
		    json_pack("{s:s, s:s, s:s}", "name", "s", "expected",
			      "nope", "value", "x"));
	cr_assert(json_is_false(json_object_get(r, "swapped")));
	cr_assert_str_eq(json_string_value(json_object_get(r, "value")),
			 "hello");
	json_decref(r);
	test_fails(fd, "value.add",
		   json_pack("{s:s, s:i}", "name", "s", "delta", 1),
		   "invalid_state");
	json_decref(test_ok(fd, "value.create",
			    json_pack("{s:s, s:s, s:{s:[i]}}", "name", "j",
				      "type", "json", "value", "a", 1)));
	r = test_ok(fd, "value.cas",
		    json_pack("{s:s, s:{s:[i]}, s:[s]}", "name", "j",
			      "expected", "a", 1, "value", "b"));
	cr_assert(json_is_true(json_object_get(r, "swapped")));
	json_decref(r);
	r = test_ok(fd, "value.get", json_pack("{s:s}", "name", "j"));
	cr_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(r, "value"), 0)),
			 "b");
	cr_assert_str_eq(json_string_value(json_object_get(r, "type")), "json");
	json_decref(r);
	json_decref(test_ok(fd, "value.create",
			    json_pack("{s:s, s:s, s:I}", "name", "big", "type",
				      "int", "value", (json_int_t)INT64_MAX)));
	test_fails(fd, "value.add",
		   json_pack("{s:s, s:i}", "name", "big", "delta", 1),
		   "invalid_state");
	r = test_ok(fd, "value.list", NULL);
	cr_assert_eq(json_array_size(json_object_get(r, "values")), 4);
	cr_assert_str_eq(
		json_string_value(json_object_get(
			json_array_get(json_object_get(r, "values"), 0),
			"name")),
		"big");
	json_decref(r);
	json_decref(
		test_ok(fd, "value.delete", json_pack("{s:s}", "name", "big")));
	test_fails(fd, "value.get", json_pack("{s:s}", "name", "big"),
		   "not_found");
	close(fd);
	mpdd_stop(&d);
}

/* Parameters are copied into the test worker: arrays, not pointers. */
struct bad_call {
	char method[20];
	char params[120];
	char name[20]; /* error name */
	char field[12];
};

ParameterizedTestParameters(broker, bad_calls_get_precise_errors)
{
	static struct bad_call cases[] = {
		{ "queue.create", "{}", "invalid_params", "name" },
		{ "queue.create", "{\"name\":\"\"}", "invalid_params", "name" },
		{ "queue.create", "{\"name\":\"q\",\"maxsize\":-1}",
		  "invalid_params", "maxsize" },
		{ "queue.create", "{\"name\":\"q\"}", "exists", "" },
		{ "queue.put", "{\"name\":\"q\"}", "invalid_params", "item" },
		{ "queue.put", "{\"name\":\"nope\",\"item\":1}", "not_found",
		  "" },
		{ "queue.put", "{\"name\":\"q\",\"item\":1,\"timeout\":-1}",
		  "invalid_params", "timeout" },
		{ "queue.put_many", "{\"name\":\"q\",\"items\":[]}",
		  "invalid_params", "items" },
		{ "queue.get_many", "{\"name\":\"q\",\"max\":0}",
		  "invalid_params", "max" },
		{ "queue.get_many", "{\"name\":\"q\",\"max\":10001}",
		  "invalid_params", "max" },
		{ "value.create", "{\"name\":\"v\",\"type\":\"blob\"}",
		  "invalid_params", "type" },
		{ "value.create",
		  "{\"name\":\"v\",\"type\":\"int\",\"value\":1.5}",
		  "invalid_params", "value" },
		{ "value.set", "{\"name\":\"i\",\"value\":\"1\"}",
		  "invalid_params", "value" },
		{ "value.add", "{\"name\":\"i\",\"delta\":0.5}",
		  "invalid_params", "delta" },
		{ "value.cas",
		  "{\"name\":\"i\",\"expected\":\"0\",\"value\":1}",
		  "invalid_params", "expected" },
		{ "value.create",
		  "{\"name\":\"i\",\"type\":\"float\","
		  "\"exist_ok\":true}",
		  "invalid_state", "" },
		{ "array.create", "{\"name\":\"b\",\"type\":\"int\"}",
		  "invalid_params", "length" },
		{ "array.create",
		  "{\"name\":\"b\",\"type\":\"int\",\"values\":"
		  "[1.5]}",
		  "invalid_params", "values" },
		{ "array.create",
		  "{\"name\":\"b\",\"type\":\"int\",\"length\":0}",
		  "invalid_params", "length" },
		{ "array.get", "{\"name\":\"a\",\"index\":4}", "invalid_params",
		  "index" },
		{ "array.get", "{\"name\":\"a\",\"index\":-5}",
		  "invalid_params", "index" },
		{ "array.set", "{\"name\":\"a\",\"index\":0,\"value\":0.5}",
		  "invalid_params", "value" },
		{ "array.set", "{\"name\":\"a\",\"start\":3,\"values\":[1,2]}",
		  "invalid_params", "values" },
		{ "array.add", "{\"name\":\"a\",\"index\":0}", "invalid_params",
		  "delta" },
		{ "array.add", "{\"name\":\"zz\",\"index\":0,\"delta\":1}",
		  "not_found", "" },
	};
	return cr_make_param_array(struct bad_call, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_call *c, broker, bad_calls_get_precise_errors)
{
	json_t *r, *data;
	const char *name;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	mkqueue(fd, "q", 0);
	json_decref(
		test_ok(fd, "value.create",
			json_pack("{s:s, s:s}", "name", "i", "type", "int")));
	json_decref(test_ok(fd, "array.create",
			    json_pack("{s:s, s:s, s:i}", "name", "a", "type",
				      "int", "length", 4)));
	r = test_call(fd, c->method, json_loads(c->params, 0, NULL));
	test_error_code(r, &name);
	cr_assert_str_eq(name, c->name, "%s %s", c->method, c->params);
	data = json_object_get(json_object_get(r, "error"), "data");
	if (c->field[0] != '\0')
		cr_assert_str_eq(
			json_string_value(json_object_get(data, "field")),
			c->field, "%s %s", c->method, c->params);
	json_decref(r);
	/* Nothing changed, and the daemon still serves. */
	r = test_ok(fd, "value.get", json_pack("{s:s}", "name", "i"));
	cr_assert_eq(test_int(r, "value"), 0);
	json_decref(r);
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop(&d);
}

/* An index or a slice that misses says what the array has. */
Test(broker, out_of_range_errors_name_the_length)
{
	static const struct {
		const char *method, *params, *msg;
	} cases[] = {
		{ "array.get", "{\"name\":\"h\",\"index\":9}",
		  "\"index\": 9 is out of range: array \"h\" has length 9 "
		  "(indexes -9 to 8)" },
		{ "array.add", "{\"name\":\"h\",\"index\":-10,\"delta\":1}",
		  "\"index\": -10 is out of range: array \"h\" has length 9 "
		  "(indexes -9 to 8)" },
		{ "array.set", "{\"name\":\"h\",\"index\":9,\"value\":1}",
		  "\"index\": 9 is out of range: array \"h\" has length 9 "
		  "(indexes -9 to 8)" },
		{ "array.set", "{\"name\":\"h\",\"start\":8,\"values\":[1,2]}",
		  "\"values\": 2 values from start 8 do not fit array \"h\" "
		  "of length 9" },
	};
	const char *name;
	json_t *r;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	json_decref(test_ok(fd, "array.create",
			    json_pack("{s:s, s:s, s:i}", "name", "h", "type",
				      "int", "length", 9)));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = test_call(fd, cases[i].method,
			      json_loads(cases[i].params, 0, NULL));
		cr_assert_eq(test_error_code(r, &name), -32602);
		cr_assert_str_eq(
			json_string_value(json_object_get(
				json_object_get(r, "error"), "message")),
			cases[i].msg, "%s", cases[i].params);
		json_decref(r);
	}
	close(fd);
	mpdd_stop(&d);
}

Test(broker, arrays_index_and_slice_like_python)
{
	int fd;
	json_t *r, *v;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	json_decref(test_ok(fd, "array.create",
			    json_pack("{s:s, s:s, s:[iiiii]}", "name", "a",
				      "type", "int", "values", 0, 1, 2, 3, 4)));
	r = test_ok(fd, "array.get",
		    json_pack("{s:s, s:i}", "name", "a", "index", -1));
	cr_assert_eq(test_int(r, "value"), 4);
	json_decref(r);
	r = test_ok(fd, "array.get",
		    json_pack("{s:s, s:i, s:i}", "name", "a", "start", -3,
			      "stop", 100));
	v = json_object_get(r, "values");
	cr_assert_eq(json_array_size(v), 3);
	cr_assert_eq(json_integer_value(json_array_get(v, 0)), 2);
	json_decref(r);
	r = test_ok(fd, "array.get",
		    json_pack("{s:s, s:i, s:i}", "name", "a", "start", 3,
			      "stop", 1));
	cr_assert_eq(json_array_size(json_object_get(r, "values")), 0);
	json_decref(r);
	json_decref(test_ok(fd, "array.set",
			    json_pack("{s:s, s:i, s:[ii]}", "name", "a",
				      "start", 3, "values", 30, 40)));
	json_decref(test_ok(fd, "array.set",
			    json_pack("{s:s, s:i, s:i}", "name", "a", "index",
				      0, "value", -7)));
	r = test_ok(fd, "array.add",
		    json_pack("{s:s, s:i, s:i}", "name", "a", "index", 1,
			      "delta", 9));
	cr_assert_eq(test_int(r, "value"), 10);
	json_decref(r);
	r = test_ok(fd, "array.get", json_pack("{s:s}", "name", "a"));
	v = json_object_get(r, "values");
	cr_assert_eq(json_integer_value(json_array_get(v, 0)), -7);
	cr_assert_eq(json_integer_value(json_array_get(v, 1)), 10);
	cr_assert_eq(json_integer_value(json_array_get(v, 4)), 40);
	json_decref(r);
	json_decref(test_ok(fd, "array.create",
			    json_pack("{s:s, s:s, s:i}", "name", "f", "type",
				      "float", "length", 3)));
	r = test_ok(fd, "array.add",
		    json_pack("{s:s, s:i, s:f}", "name", "f", "index", 2,
			      "delta", 0.25));
	cr_assert_float_eq(json_number_value(json_object_get(r, "value")), 0.25,
			   1e-12);
	json_decref(r);
	r = test_ok(fd, "array.list", NULL);
	cr_assert_eq(json_array_size(json_object_get(r, "arrays")), 2);
	json_decref(r);
	json_decref(
		test_ok(fd, "array.delete", json_pack("{s:s}", "name", "f")));
	close(fd);
	mpdd_stop(&d);
}

Test(broker, every_limit)
{
	const char *extra[] = { "--max-objects",
				"3",
				"--max-queue-items",
				"5",
				"--max-broker-bytes",
				"4K",
				"--max-message",
				"2048",
				NULL };
	char big[1900];
	json_t *r, *data;
	const char *name;
	int fd;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	mkqueue(fd, "q", 0);
	mkqueue(fd, "q2", 0);
	json_decref(
		test_ok(fd, "value.create",
			json_pack("{s:s, s:s}", "name", "v", "type", "int")));
	r = test_call(fd, "array.create",
		      json_pack("{s:s, s:s, s:i}", "name", "a", "type", "int",
				"length", 1));
	cr_assert_eq(test_error_code(r, &name), 9);
	data = json_object_get(json_object_get(r, "error"), "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "limit")),
			 "max_objects");
	json_decref(r);
	/* Items per queue. */
	json_decref(test_ok(fd, "queue.put_many",
			    json_pack("{s:s, s:[iiiii]}", "name", "q", "items",
				      1, 2, 3, 4, 5)));
	r = test_call(fd, "queue.put",
		      json_pack("{s:s, s:i}", "name", "q", "item", 6));
	cr_assert_eq(test_error_code(r, &name), 9);
	data = json_object_get(json_object_get(r, "error"), "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "limit")),
			 "max_queue_items");
	json_decref(r);
	/* An item too big to be answered within max_message. */
	r = test_call(fd, "queue.put",
		      json_pack("{s:s, s:s}", "name", "q2", "item", big));
	cr_assert_eq(test_error_code(r, &name), 9);
	data = json_object_get(json_object_get(r, "error"), "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "limit")),
			 "max_message");
	json_decref(r);
	/* Bytes held by the broker. */
	big[1500] = '\0';
	json_decref(
		test_ok(fd, "queue.put",
			json_pack("{s:s, s:s}", "name", "q2", "item", big)));
	json_decref(
		test_ok(fd, "queue.put",
			json_pack("{s:s, s:s}", "name", "q2", "item", big)));
	r = test_call(fd, "queue.put",
		      json_pack("{s:s, s:s}", "name", "q2", "item", big));
	cr_assert_eq(test_error_code(r, &name), 9);
	data = json_object_get(json_object_get(r, "error"), "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "limit")),
			 "max_broker_bytes");
	json_decref(r);
	/* Draining gives the room back. */
	json_decref(test_ok(fd, "queue.get", json_pack("{s:s}", "name", "q2")));
	json_decref(
		test_ok(fd, "queue.put",
			json_pack("{s:s, s:s}", "name", "q2", "item", big)));
	close(fd);
	mpdd_stop(&d);
}

Test(broker, a_batch_get_never_loses_items_to_the_output_limit)
{
	const char *extra[] = { "--max-output", "64K", NULL };
	char item[6001];
	json_t *r;
	size_t got;
	int fd;

	memset(item, 'i', sizeof(item) - 1);
	item[sizeof(item) - 1] = '\0';
	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	mkqueue(fd, "big", 0);
	for (int i = 0; i < 20; i++)
		json_decref(test_ok(fd, "queue.put",
				    json_pack("{s:s, s:s}", "name", "big",
					      "item", item)));
	/* 120 KB of items cannot go in one 64 KiB reply: it carries what
	 * fits, and the rest stays queued. */
	r = test_ok(fd, "queue.get_many",
		    json_pack("{s:s, s:i}", "name", "big", "max", 20));
	got = json_array_size(json_object_get(r, "items"));
	json_decref(r);
	cr_assert(got >= 1 && got < 20, "got %zu items", got);
	r = test_ok(fd, "queue.size", json_pack("{s:s}", "name", "big"));
	cr_assert_eq(test_int(r, "size") + (long long)got, 20);
	json_decref(r);
	close(fd);
	mpdd_stop(&d);
}

/* Resident set of a process, in KiB. */
static long rss_kib(pid_t pid)
{
	char path[64];
	long pages = -1, resident = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	f = fopen(path, "r");
	cr_assert(f != NULL);
	cr_assert(fscanf(f, "%ld %ld", &pages, &resident) == 2);
	fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Put n items in batches and drain them again. */
static void fill_and_drain(int fd, int n)
{
	enum { BATCH = 10000 };
	json_t *items = json_array(), *r;
	int left;

	for (int i = 0; i < BATCH; i++)
		json_array_append_new(items, json_integer(i));
	for (left = n; left > 0; left -= BATCH) {
		r = test_ok(fd, "queue.put_many",
			    json_pack("{s:s, s:O}", "name", "m", "items",
				      items));
		json_decref(r);
	}
	json_decref(items);
	for (left = n; left > 0; left -= BATCH) {
		r = test_ok(fd, "queue.get_many",
			    json_pack("{s:s, s:i}", "name", "m", "max", BATCH));
		cr_assert_eq(json_array_size(json_object_get(r, "items")),
			     BATCH);
		json_decref(r);
	}
}

Test(broker, memory_returns_after_a_million_items)
{
	const char *san = getenv("MPD_TEST_SANITIZE");
	long before, peak, after;
	json_t *r;
	int fd;

	if (san != NULL && strcmp(san, "none") != 0)
		cr_skip_test("under AddressSanitizer, RSS measures its "
			     "quarantine and shadow memory, not mpdd's");
	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	mkqueue(fd, "m", 0);
	/* Warm up: buffers and allocator arenas reach their working size. */
	fill_and_drain(fd, 20000);
	before = rss_kib(d.pid);
	/* A million items held at once, then drained. */
	{
		json_t *items = json_array();

		for (int i = 0; i < 10000; i++)
			json_array_append_new(items, json_integer(i));
		for (int k = 0; k < 100; k++)
			json_decref(test_ok(fd, "queue.put_many",
					    json_pack("{s:s, s:O}", "name", "m",
						      "items", items)));
		json_decref(items);
	}
	peak = rss_kib(d.pid);
	r = test_ok(fd, "queue.size", json_pack("{s:s}", "name", "m"));
	cr_assert_eq(test_int(r, "size"), 1000000);
	json_decref(r);
	for (int k = 0; k < 100; k++)
		json_decref(test_ok(fd, "queue.get_many",
				    json_pack("{s:s, s:i}", "name", "m", "max",
					      10000)));
	after = rss_kib(d.pid);
	cr_log_info("RSS: %ld KiB before, %ld KiB holding 1M items, %ld KiB "
		    "after draining",
		    before, peak, after);
	cr_assert(peak - before > 2048, "a million items took only %ld KiB",
		  peak - before);
	cr_assert(after - before < 2048,
		  "RSS grew by %ld KiB after a million items came and went",
		  after - before);
	close(fd);
	mpdd_stop(&d);
}

/*
 * Items come back exactly as they went in, whatever their stored form:
 * integers (kept in binary, at every byte-width and sign boundary), texts
 * just under and over the one-byte-header limit, and everything else.
 */
Test(broker, items_round_trip_exactly)
{
	static const char *const texts[] = {
		"0",
		"1",
		"-1",
		"127",
		"128",
		"-128",
		"-129",
		"255",
		"256",
		"32767",
		"32768",
		"-32768",
		"-32769",
		"8388607",
		"8388608",
		"2147483647",
		"2147483648",
		"-2147483648",
		"-2147483649",
		"140737488355327",
		"140737488355328",
		"36028797018963967",
		"36028797018963968",
		"9223372036854775807",
		"-9223372036854775808",
		"1.5",
		"-0.0",
		"1e+300",
		"true",
		"null",
		"\"\"",
		"\"007\"",
		"[1,2]",
		"{\"a\":-5}",
	};
	size_t n = sizeof(texts) / sizeof(texts[0]);
	json_t *items = json_array(), *r, *got;
	char big[400];
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	mkqueue(fd, "rt", 0);
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_loads(texts[i], JSON_DECODE_ANY, NULL);

		cr_assert(v != NULL, "%s", texts[i]);
		json_array_append_new(items, v);
	}
	/* Strings of 189, 190 and 300 characters: texts of 191, 192 and
	 * 302 bytes with their quotes, around the short-header limit. */
	memset(big, 'x', sizeof(big));
	json_array_append_new(items, json_stringn(big, 189));
	json_array_append_new(items, json_stringn(big, 190));
	json_array_append_new(items, json_stringn(big, 300));
	json_decref(
		test_ok(fd, "queue.put_many",
			json_pack("{s:s, s:O}", "name", "rt", "items", items)));
	r = test_ok(fd, "queue.get_many",
		    json_pack("{s:s, s:i}", "name", "rt", "max", 1000));
	got = json_object_get(r, "items");
	cr_assert_eq(json_array_size(got), json_array_size(items));
	for (size_t i = 0; i < json_array_size(items); i++) {
		char *want = json_dumps(json_array_get(items, i),
					JSON_ENCODE_ANY | JSON_COMPACT);
		char *have = json_dumps(json_array_get(got, i),
					JSON_ENCODE_ANY | JSON_COMPACT);

		cr_assert_str_eq(have, want, "item %zu", i);
		free(want);
		free(have);
	}
	/* One at a time too (the single-item reply). */
	json_decref(test_ok(fd, "queue.put",
			    json_pack("{s:s, s:I}", "name", "rt", "item",
				      (json_int_t)-9223372036854775807LL - 1)));
	json_decref(r);
	r = test_ok(fd, "queue.get", json_pack("{s:s}", "name", "rt"));
	cr_assert_eq(json_integer_value(json_object_get(r, "item")),
		     (json_int_t)-9223372036854775807LL - 1);
	json_decref(r);
	json_decref(items);
	close(fd);
	mpdd_stop(&d);
}
