/*
 * test-refusals.c - what the broker refuses at the door so that nothing it
 * keeps can hurt a reader, against a real mpdd: items and values nested
 * deeper than any reply can carry, and arithmetic that would leave int64
 * or the finite doubles. Each refusal names the field, changes nothing,
 * and the daemon serves on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"
#include "mpd.h"
#include "proto.h"

static struct mpdd d;

static void teardown(void)
{
	mpdd_cleanup(&d);
}

TestSuite(refusals, .fini = teardown, .timeout = 120);

/* Assert the call fails with code and data.field == field (or no field
 * when NULL); returns the error message (malloc'd). */
static char *refused(int fd, const char *method, json_t *params, int code,
		     const char *field)
{
	json_t *reply = test_call(fd, method, params), *err, *data;
	const char *name;
	char *msg;

	cr_assert_eq(test_error_code(reply, &name), code, "%s: got %s", method,
		     name);
	err = json_object_get(reply, "error");
	data = json_object_get(err, "data");
	if (field != NULL)
		cr_assert_str_eq(
			json_string_value(json_object_get(data, "field")),
			field);
	msg = strdup(json_string_value(json_object_get(err, "message")));
	json_decref(reply);
	return msg;
}

/* depth levels of arrays around a 0: "[[...[0]...]]" is depth + 1 deep. */
static json_t *nested(int depth)
{
	json_t *v = json_integer(0);

	for (int i = 0; i < depth; i++)
		v = json_pack("[o]", v);
	return v;
}

/* A request line whose params carry "key": value nested depth arrays. */
static char *deep_request(const char *method, const char *key, int depth,
			  bool wrap)
{
	size_t cap = (size_t)depth * 2 + 256, n;
	char *s = malloc(cap);

	n = (size_t)snprintf(s, cap,
			     "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\","
			     "\"params\":{\"name\":\"q\",\"%s\":%s",
			     method, key, wrap ? "[" : "");
	for (int i = 0; i < depth; i++)
		s[n++] = '[';
	s[n++] = '0';
	for (int i = 0; i < depth; i++)
		s[n++] = ']';
	snprintf(s + n, cap - n, "%s}}", wrap ? "]" : "");
	return s;
}

Test(refusals, an_item_nested_deeper_than_replies_carry_is_refused)
{
	int fd;
	json_t *reply, *r;
	char *line;
	const char *name;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	json_decref(
		test_ok(fd, "queue.create", json_pack("{s:s}", "name", "q")));
	json_decref(
		test_ok(fd, "value.create",
			json_pack("{s:s, s:s}", "name", "q", "type", "json")));
	/* 2046 levels around a scalar: the request itself parses. */
	line = deep_request("queue.put", "item", 2045, false);
	reply = test_rpc_line(fd, line);
	free(line);
	cr_assert_eq(test_error_code(reply, &name), -32602, "%s", name);
	cr_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(json_object_get(reply, "error"), "data"),
			"field")),
		"item");
	json_decref(reply);
	line = deep_request("queue.put_many", "items", 2044, true);
	reply = test_rpc_line(fd, line);
	free(line);
	cr_assert_eq(test_error_code(reply, &name), -32602, "%s", name);
	cr_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(json_object_get(reply, "error"), "data"),
			"field")),
		"items");
	json_decref(reply);
	line = deep_request("value.set", "value", 2045, false);
	reply = test_rpc_line(fd, line);
	free(line);
	cr_assert_eq(test_error_code(reply, &name), -32602, "%s", name);
	json_decref(reply);
	r = test_ok(fd, "queue.size", json_pack("{s:s}", "name", "q"));
	cr_assert_eq(test_int(r, "size"), 0);
	json_decref(r);

	/* The deepest item accepted reaches every reader, even get_many in
	 * a batch. */
	json_decref(test_ok(fd, "queue.put",
			    json_pack("{s:s, s:o}", "name", "q", "item",
				      nested(MPD_MAX_ITEM_DEPTH - 1))));
	reply = test_rpc_line(fd, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
				  "\"queue.get_many\",\"params\":{\"name\":"
				  "\"q\",\"max\":1}}]");
	cr_assert(json_is_array(reply));
	r = json_object_get(json_array_get(reply, 0), "result");
	cr_assert(json_is_array(json_object_get(r, "items")));
	json_decref(reply);
	json_decref(test_ok(fd, "value.set",
			    json_pack("{s:s, s:o}", "name", "q", "value",
				      nested(MPD_MAX_ITEM_DEPTH - 1))));
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop(&d);
}

Test(refusals, float_overflow_is_refused_and_changes_nothing)
{
	int fd;
	json_t *r;
	char *msg;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	json_decref(test_ok(fd, "value.create",
			    json_pack("{s:s, s:s, s:f}", "name", "f", "type",
				      "float", "value", 1e308)));
	msg = refused(fd, "value.add",
		      json_pack("{s:s, s:f}", "name", "f", "delta", 1e308), 3,
		      "delta");
	cr_assert(strstr(msg, "overflow") != NULL, "%s", msg);
	free(msg);
	r = test_ok(fd, "value.get", json_pack("{s:s}", "name", "f"));
	cr_assert_eq(json_real_value(json_object_get(r, "value")), 1e308);
	json_decref(r);

	json_decref(test_ok(fd, "array.create",
			    json_pack("{s:s, s:s, s:[f, f]}", "name", "a",
				      "type", "float", "values", 1.0, -1e308)));
	msg = refused(fd, "array.add",
		      json_pack("{s:s, s:i, s:f}", "name", "a", "index", 1,
				"delta", -1e308),
		      3, "delta");
	cr_assert(strstr(msg, "overflow") != NULL, "%s", msg);
	free(msg);
	r = test_ok(fd, "array.get", json_pack("{s:s}", "name", "a"));
	cr_assert_eq(json_real_value(
			     json_array_get(json_object_get(r, "values"), 1)),
		     -1e308);
	json_decref(r);
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop(&d);
}

Test(refusals, int_overflow_is_refused_and_changes_nothing)
{
	int fd;
	json_t *r;
	char *msg;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	json_decref(test_ok(fd, "value.create",
			    json_pack("{s:s, s:s, s:I}", "name", "i", "type",
				      "int", "value", (json_int_t)INT64_MAX)));
	msg = refused(fd, "value.add",
		      json_pack("{s:s, s:i}", "name", "i", "delta", 1), 3,
		      "delta");
	cr_assert(strstr(msg, "overflow") != NULL, "%s", msg);
	free(msg);
	r = test_ok(fd, "value.get", json_pack("{s:s}", "name", "i"));
	cr_assert_eq(json_integer_value(json_object_get(r, "value")),
		     INT64_MAX);
	json_decref(r);
	json_decref(test_ok(fd, "array.create",
			    json_pack("{s:s, s:s, s:[I]}", "name", "a", "type",
				      "int", "values", (json_int_t)INT64_MIN)));
	msg = refused(fd, "array.add",
		      json_pack("{s:s, s:i, s:i}", "name", "a", "index", 0,
				"delta", -1),
		      3, "delta");
	cr_assert(strstr(msg, "overflow") != NULL, "%s", msg);
	free(msg);
	r = test_ok(fd, "array.get",
		    json_pack("{s:s, s:i}", "name", "a", "index", 0));
	cr_assert_eq(json_integer_value(json_object_get(r, "value")),
		     INT64_MIN);
	json_decref(r);
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop(&d);
}

Test(refusals, libmpd_surfaces_the_refusals)
{
	const char *extra[] = { "--max-output", "4K", NULL };
	struct mpd_client *c;
	struct mpd_error err;
	json_t *deep, *item = NULL, *items;
	char *big;
	double f;
	int64_t n;

	mpdd_start(&d, extra);
	cr_assert_eq(mpd_connect(&c, d.socket, &err), 0, "%s", err.message);

	/* Overflow: the daemon's refusal, with its reason. */
	item = json_real(1e308);
	cr_assert_eq(mpd_value_create(c, "f", "float", item, 0, &err), 0);
	json_decref(item);
	item = NULL;
	cr_assert_eq(mpd_value_add_double(c, "f", 1e308, &f, &err),
		     MPD_E_INVALID_STATE);
	cr_assert_str_eq(err.name, "invalid_state");
	cr_assert(strstr(err.message, "overflows a double") != NULL, "%s",
		  err.message);
	cr_assert_str_eq(json_string_value(json_object_get(err.data, "reason")),
			 "overflow");
	cr_assert_eq(mpd_value_get_double(c, "f", &f, &err), 0);
	cr_assert_eq(f, 1e308);
	item = json_integer(INT64_MIN);
	cr_assert_eq(mpd_value_create(c, "i", "int", item, 0, &err), 0);
	json_decref(item);
	item = NULL;
	cr_assert_eq(mpd_value_add_int(c, "i", -1, &n, &err),
		     MPD_E_INVALID_STATE);
	cr_assert(strstr(err.message, "overflows int64") != NULL, "%s",
		  err.message);

	/* Too deep: refused before anything is sent. */
	cr_assert_eq(mpd_queue_create(c, "q", 0, 0, &err), 0);
	deep = nested(MPD_MAX_ITEM_DEPTH);
	cr_assert_eq(mpd_queue_put(c, "q", deep, 0, &err), MPD_E_INVAL);
	cr_assert(strstr(err.message, "deeper") != NULL, "%s", err.message);
	items = json_pack("[i, O]", 1, deep);
	cr_assert_eq(mpd_queue_put_many(c, "q", items, 0, &err), MPD_E_INVAL);
	json_decref(items);
	cr_assert_eq(mpd_value_set(c, "f", deep, &err), MPD_E_INVAL);
	json_decref(deep);
	deep = json_pack("{s:s, s:o}", "name", "q", "item",
			 nested(MPD_MAX_DEPTH));
	cr_assert_eq(mpd_call(c, "queue.put", deep, NULL, &err), MPD_E_INVAL);
	json_decref(deep);
	cr_assert_eq(mpd_ping(c, &err), 0, "%s", err.message);

	/* An item whose reply cannot fit max_output stays queued. */
	big = malloc(8193);
	memset(big, 'b', 8192);
	big[8192] = '\0';
	cr_assert_eq(mpd_queue_put_string(c, "q", big, 0, &err), 0);
	free(big);
	cr_assert_eq(mpd_queue_get(c, "q", 0, &item, &err), MPD_E_LIMIT);
	cr_assert_str_eq(json_string_value(json_object_get(err.data, "limit")),
			 "max_output");
	cr_assert_null(item);
	cr_assert_eq(mpd_queue_size(c, "q", &items, &err), 0);
	cr_assert_eq(json_integer_value(json_object_get(items, "size")), 1);
	json_decref(items);
	mpd_close(c);
	mpdd_stop(&d);
}
