/*
 * test-dict.c - dicts (dict.*) against a real mpdd: every method and its
 * exact result, a missing key answered the same way everywhere, atomic
 * add with its overflow and type refusals, update all or nothing, every
 * limit, pages of keys and items within max_output, what another uid may
 * do, and counters and setdefault claims from 8 processes ending exact.
 */
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

TestSuite(dict, .fini = teardown, .timeout = 180);

/* {"name": name, "key": key} and more (a new reference). */
static json_t *nk(const char *name, const char *key)
{
	return json_pack("{s:s, s:s}", "name", name, "key", key);
}

/* params (stolen) with key set to v (stolen). */
static json_t *with(json_t *params, const char *key, json_t *v)
{
	json_object_set_new(params, key, v);
	return params;
}

/* method's result on fd must be exactly the JSON text want. */
static void expect(int fd, const char *method, json_t *params, const char *want)
{
	json_t *r = test_ok(fd, method, params);
	json_t *w = test_json(want);
	char *got = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);

	cr_assert(json_equal(r, w), "%s: %s, not %s", method, got, want);
	free(got);
	json_decref(w);
	json_decref(r);
}

/* The error of a failed call: its name, and data (borrowed from *reply,
 * which the caller frees). */
static json_t *error_data(json_t *reply, const char **name)
{
	test_error_code(reply, name);
	return json_object_get(json_object_get(reply, "error"), "data");
}

static void mkdict(int fd, const char *name, const char *mode)
{
	json_t *p = test_nm(name);

	if (mode != NULL)
		json_object_set_new(p, "mode", json_string(mode));
	json_decref(test_ok(fd, "dict.create", p));
}

Test(dict, every_method_gives_its_documented_result)
{
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	expect(fd, "dict.create", test_nm("cfg"),
	       "{\"name\":\"cfg\",\"uid\":0,\"mode\":\"owner\",\"len\":0,"
	       "\"created\":true}");
	expect(fd, "dict.create", with(test_nm("cfg"), "exist_ok", json_true()),
	       "{\"name\":\"cfg\",\"uid\":0,\"mode\":\"owner\",\"len\":0,"
	       "\"created\":false}");
	test_fails(fd, "dict.create", test_nm("cfg"), "exists");
	expect(fd, "dict.set",
	       with(nk("cfg", "hosts"), "value", json_pack("[ss]", "a", "b")),
	       "{}");
	expect(fd, "dict.get", nk("cfg", "hosts"),
	       "{\"value\":[\"a\",\"b\"],\"found\":true}");
	expect(fd, "dict.get", with(nk("cfg", "nope"), "default", json_null()),
	       "{\"value\":null,\"found\":false}");
	expect(fd, "dict.setdefault",
	       with(nk("cfg", "leader"), "value", json_string("w1")),
	       "{\"value\":\"w1\",\"inserted\":true}");
	expect(fd, "dict.setdefault",
	       with(nk("cfg", "leader"), "value", json_string("w2")),
	       "{\"value\":\"w1\",\"inserted\":false}");
	/* Without a value, Python's None. */
	expect(fd, "dict.setdefault", nk("cfg", "none"),
	       "{\"value\":null,\"inserted\":true}");
	expect(fd, "dict.contains", nk("cfg", "none"), "{\"found\":true}");
	expect(fd, "dict.contains", nk("cfg", "zz"), "{\"found\":false}");
	expect(fd, "dict.len", test_nm("cfg"), "{\"len\":3}");
	expect(fd, "dict.pop", nk("cfg", "leader"),
	       "{\"value\":\"w1\",\"found\":true}");
	expect(fd, "dict.pop",
	       with(nk("cfg", "leader"), "default", json_integer(7)),
	       "{\"value\":7,\"found\":false}");
	expect(fd, "dict.del", nk("cfg", "none"), "{}");
	expect(fd, "dict.update",
	       with(test_nm("cfg"), "entries",
		    json_pack("{s:i, s:{s:b}, s:s}", "b", 2, "a", "x", 1, "",
			      "empty key")),
	       "{\"len\":4}");
	expect(fd, "dict.update",
	       with(test_nm("cfg"), "entries", json_object()), "{\"len\":4}");
	expect(fd, "dict.keys", test_nm("cfg"),
	       "{\"keys\":[\"\",\"a\",\"b\",\"hosts\"],\"next\":null}");
	expect(fd, "dict.items", with(test_nm("cfg"), "limit", json_integer(2)),
	       "{\"items\":{\"\":\"empty key\",\"a\":{\"x\":true}},"
	       "\"next\":\"a\"}");
	expect(fd, "dict.items",
	       with(test_nm("cfg"), "after", json_string("a")),
	       "{\"items\":{\"b\":2,\"hosts\":[\"a\",\"b\"]},\"next\":null}");
	/* "after" need not be a key. */
	expect(fd, "dict.keys",
	       with(test_nm("cfg"), "after", json_string("ab")),
	       "{\"keys\":[\"b\",\"hosts\"],\"next\":null}");
	expect(fd, "dict.add",
	       with(nk("cfg", "hits"), "delta", json_integer(5)),
	       "{\"value\":5}");
	expect(fd, "dict.list", NULL,
	       "{\"dicts\":[{\"name\":\"cfg\",\"uid\":0,\"mode\":\"owner\","
	       "\"len\":5}]}");
	{
		json_t *info = test_info(fd, "dict", "cfg");

		cr_assert_eq(test_int(info, "len"), 5);
		cr_assert_eq(test_int(info, "gid"), 0);
		cr_assert(test_int(info, "bytes") > 5 * 64);
		cr_assert_eq(test_int(json_object_get(info, "owner"), "uid"),
			     0);
		cr_assert(json_is_real(json_object_get(info, "since")));
		json_decref(info);
	}
	cr_assert_eq(test_info_int(fd, "broker", "dicts"), 1);
	expect(fd, "dict.clear", test_nm("cfg"), "{\"removed\":5}");
	expect(fd, "dict.keys", test_nm("cfg"), "{\"keys\":[],\"next\":null}");
	expect(fd, "dict.delete", test_nm("cfg"), "{}");
	test_fails(fd, "dict.len", test_nm("cfg"), "not_found");
	expect(fd, "dict.list", NULL, "{\"dicts\":[]}");
	cr_assert_eq(test_info_int(fd, "broker", "dicts"), 0);
	close(fd);
	mpdd_stop(&d);
}

/* get, pop and del agree: not_found naming the key; a missing dict is
 * not_found without one. */
Test(dict, a_missing_key_is_not_found_with_the_key_in_data)
{
	static const char *const methods[] = { "dict.get", "dict.pop",
					       "dict.del" };
	const char *name;
	json_t *r, *data;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	mkdict(fd, "d", NULL);
	for (size_t i = 0; i < 3; i++) {
		r = test_call(fd, methods[i], nk("d", "k\"ey"));
		data = error_data(r, &name);
		cr_assert_str_eq(name, "not_found", "%s", methods[i]);
		cr_assert_str_eq(
			json_string_value(json_object_get(data, "key")),
			"k\"ey");
		cr_assert_str_eq(
			json_string_value(json_object_get(
				json_object_get(r, "error"), "message")),
			"dict \"d\" has no key \"k\"ey\"");
		json_decref(r);
		r = test_call(fd, methods[i], nk("gone", "k"));
		data = error_data(r, &name);
		cr_assert_str_eq(name, "not_found");
		cr_assert_null(json_object_get(data, "key"));
		json_decref(r);
	}
	close(fd);
	mpdd_stop(&d);
}

Test(dict, add_keeps_integers_and_refuses_overflow_and_non_numbers)
{
	const char *name;
	json_t *r, *data;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	mkdict(fd, "d", NULL);
	expect(fd, "dict.add", with(nk("d", "n"), "delta", json_integer(-3)),
	       "{\"value\":-3}");
	r = test_ok(fd, "dict.add",
		    with(nk("d", "n"), "delta", json_integer(10)));
	cr_assert(json_is_integer(json_object_get(r, "value")));
	cr_assert_eq(test_int(r, "value"), 7);
	json_decref(r);
	/* A real on either side makes a real. */
	r = test_ok(fd, "dict.add",
		    with(nk("d", "n"), "delta", json_real(0.5)));
	cr_assert(json_is_real(json_object_get(r, "value")));
	cr_assert_float_eq(json_real_value(json_object_get(r, "value")), 7.5,
			   1e-12);
	json_decref(r);
	expect(fd, "dict.set", with(nk("d", "f"), "value", json_real(1.0)),
	       "{}");
	r = test_ok(fd, "dict.add",
		    with(nk("d", "f"), "delta", json_integer(2)));
	cr_assert(json_is_real(json_object_get(r, "value")));
	json_decref(r);
	/* int64 overflow: refused, unchanged. */
	expect(fd, "dict.set",
	       with(nk("d", "big"), "value", json_integer(INT64_MAX)), "{}");
	r = test_call(fd, "dict.add",
		      with(nk("d", "big"), "delta", json_integer(1)));
	data = error_data(r, &name);
	cr_assert_str_eq(name, "invalid_state");
	cr_assert_str_eq(json_string_value(json_object_get(data, "reason")),
			 "overflow");
	cr_assert_str_eq(json_string_value(json_object_get(data, "key")),
			 "big");
	json_decref(r);
	r = test_ok(fd, "dict.get", nk("d", "big"));
	cr_assert_eq(json_integer_value(json_object_get(r, "value")),
		     INT64_MAX);
	json_decref(r);
	/* A double that is not finite: refused. */
	expect(fd, "dict.set", with(nk("d", "huge"), "value", json_real(1e308)),
	       "{}");
	r = test_call(fd, "dict.add",
		      with(nk("d", "huge"), "delta", json_real(1e308)));
	data = error_data(r, &name);
	cr_assert_str_eq(name, "invalid_state");
	cr_assert_str_eq(json_string_value(json_object_get(data, "reason")),
			 "overflow");
	json_decref(r);
	/* Anything but a number. */
	expect(fd, "dict.set", with(nk("d", "s"), "value", json_string("1")),
	       "{}");
	r = test_call(fd, "dict.add",
		      with(nk("d", "s"), "delta", json_integer(1)));
	data = error_data(r, &name);
	cr_assert_str_eq(name, "invalid_state");
	cr_assert_str_eq(json_string_value(json_object_get(data, "reason")),
			 "not_a_number");
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(r, "error"), "message")),
			 "dict \"d\": key \"s\" holds a string, not a number");
	json_decref(r);
	expect(fd, "dict.get", nk("d", "s"),
	       "{\"value\":\"1\",\"found\":true}");
	close(fd);
	mpdd_stop(&d);
}

/* Parameters are copied into the test worker: arrays, not pointers. */
struct bad_call {
	char method[20];
	char params[96];
	char name[20]; /* error name */
	char field[12]; /* data.field, or "" */
};

ParameterizedTestParameters(dict, bad_calls_get_precise_errors)
{
	static struct bad_call cases[] = {
		{ "dict.create", "{}", "invalid_params", "name" },
		{ "dict.create", "{\"name\":\"\"}", "invalid_params", "name" },
		{ "dict.create", "{\"name\":\"n\",\"mode\":\"all\"}",
		  "invalid_params", "mode" },
		{ "dict.create", "{\"name\":\"n\",\"exist_ok\":1}",
		  "invalid_params", "exist_ok" },
		{ "dict.create", "{\"name\":\"d\"}", "exists", "" },
		{ "dict.create", "{\"name\":\"n\",\"size\":1}",
		  "invalid_params", "size" },
		{ "dict.get", "{\"name\":\"d\"}", "invalid_params", "key" },
		{ "dict.get", "{\"name\":\"d\",\"key\":1}", "invalid_params",
		  "key" },
		{ "dict.get", "{\"name\":\"zz\",\"key\":\"k\"}", "not_found",
		  "" },
		{ "dict.set", "{\"name\":\"d\",\"key\":\"k\"}",
		  "invalid_params", "value" },
		{ "dict.set", "{\"key\":\"k\",\"value\":1}", "invalid_params",
		  "name" },
		{ "dict.setdefault", "{\"name\":\"d\",\"key\":null}",
		  "invalid_params", "key" },
		{ "dict.pop", "{\"name\":\"d\",\"key\":[]}", "invalid_params",
		  "key" },
		{ "dict.del", "{\"name\":\"d\",\"key\":\"k\",\"x\":1}",
		  "invalid_params", "x" },
		{ "dict.add", "{\"name\":\"d\",\"key\":\"k\"}",
		  "invalid_params", "delta" },
		{ "dict.add", "{\"name\":\"d\",\"key\":\"k\",\"delta\":\"1\"}",
		  "invalid_params", "delta" },
		{ "dict.update", "{\"name\":\"d\",\"entries\":[]}",
		  "invalid_params", "entries" },
		{ "dict.update", "{\"name\":\"d\"}", "invalid_params",
		  "entries" },
		{ "dict.keys", "{\"name\":\"d\",\"limit\":0}", "invalid_params",
		  "limit" },
		{ "dict.keys", "{\"name\":\"d\",\"limit\":100001}",
		  "invalid_params", "limit" },
		{ "dict.items", "{\"name\":\"d\",\"after\":2}",
		  "invalid_params", "after" },
		{ "dict.len", "{\"name\":7}", "invalid_params", "name" },
		{ "dict.clear", "{\"name\":\"zz\"}", "not_found", "" },
		{ "dict.contains", "{\"name\":\"d\"}", "invalid_params",
		  "key" },
		{ "dict.info", "{}", "invalid_params", "name" },
		{ "dict.delete", "{\"name\":\"zz\"}", "not_found", "" },
		{ "dict.list", "{\"name\":\"d\"}", "invalid_params", "name" },
	};
	return cr_make_param_array(struct bad_call, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_call *c, dict, bad_calls_get_precise_errors)
{
	json_t *r, *data;
	const char *name;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	mkdict(fd, "d", NULL);
	expect(fd, "dict.set", with(nk("d", "k"), "value", json_integer(1)),
	       "{}");
	r = test_call(fd, c->method, json_loads(c->params, 0, NULL));
	data = error_data(r, &name);
	cr_assert_str_eq(name, c->name, "%s %s", c->method, c->params);
	if (c->field[0] != '\0')
		cr_assert_str_eq(
			json_string_value(json_object_get(data, "field")),
			c->field, "%s %s", c->method, c->params);
	json_decref(r);
	/* Nothing changed, and the daemon still serves. */
	expect(fd, "dict.items", test_nm("d"),
	       "{\"items\":{\"k\":1},\"next\":null}");
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop(&d);
}

/* Nesting of v as the daemon counts it: a scalar is 1. */
static int depth(const json_t *v)
{
	int n = 1;

	while (json_is_array(v) && json_array_size(v) == 1) {
		v = json_array_get(v, 0);
		n++;
	}
	return n;
}

/* A request line setting "k" of dict "d" to a value nested depth arrays
 * (method's value param called key). */
static char *deep_request(const char *method, const char *key, int depth)
{
	size_t cap = (size_t)depth * 2 + 256, n;
	char *s = malloc(cap);

	n = (size_t)snprintf(s, cap,
			     "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\","
			     "\"params\":{\"name\":\"d\",\"key\":\"k\",\"%s\":",
			     method, key);
	for (int i = 0; i < depth; i++)
		s[n++] = '[';
	s[n++] = '0';
	for (int i = 0; i < depth; i++)
		s[n++] = ']';
	snprintf(s + n, cap - n, "}}");
	return s;
}

Test(dict, a_value_nested_deeper_than_replies_carry_is_refused)
{
	static const char *const methods[] = { "dict.set", "dict.setdefault" };
	const char *name;
	json_t *r, *data;
	char *line;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	mkdict(fd, "d", NULL);
	for (size_t i = 0; i < 2; i++) {
		line = deep_request(methods[i], "value", 2044);
		r = test_rpc_line(fd, line);
		free(line);
		data = error_data(r, &name);
		cr_assert_str_eq(name, "invalid_params", "%s", methods[i]);
		cr_assert_str_eq(
			json_string_value(json_object_get(data, "field")),
			"value");
		cr_assert_eq(test_int(data, "max_depth"), 2044);
		json_decref(r);
	}
	/* The deepest kept: 2044 levels, read back whole. */
	line = deep_request("dict.set", "value", 2043);
	r = test_rpc_line(fd, line);
	free(line);
	test_result(r);
	json_decref(r);
	r = test_ok(fd, "dict.get", nk("d", "k"));
	cr_assert_eq(depth(json_object_get(r, "value")), 2044);
	json_decref(r);
	/* update: the whole update refused. */
	line = malloc(2 * 2046 + 256);
	{
		size_t n = (size_t)sprintf(
			line, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
			      "\"dict.update\",\"params\":{\"name\":\"d\","
			      "\"entries\":{\"a\":1,\"b\":");

		for (int i = 0; i < 2044; i++)
			line[n++] = '[';
		line[n++] = '0';
		for (int i = 0; i < 2044; i++)
			line[n++] = ']';
		strcpy(line + n, "}}}");
	}
	r = test_rpc_line(fd, line);
	free(line);
	data = error_data(r, &name);
	cr_assert_str_eq(name, "invalid_params");
	cr_assert_str_eq(json_string_value(json_object_get(data, "field")),
			 "entries");
	json_decref(r);
	expect(fd, "dict.contains", nk("d", "a"), "{\"found\":false}");
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop(&d);
}

/* The limit a refused call names. */
static void assert_limit(int fd, const char *method, json_t *params,
			 const char *limit)
{
	json_t *r = test_call(fd, method, params), *data;
	const char *name;

	data = error_data(r, &name);
	cr_assert_str_eq(name, "limit", "%s", method);
	cr_assert_str_eq(json_string_value(json_object_get(data, "limit")),
			 limit, "%s", method);
	json_decref(r);
}

Test(dict, every_limit_refuses_and_changes_nothing)
{
	const char *extra[] = { "--max-objects",
				"2",
				"--max-queue-items",
				"3",
				"--max-broker-bytes",
				"2K",
				NULL };
	char big[1500];
	int fd;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	mkdict(fd, "a", NULL);
	mkdict(fd, "b", NULL);
	assert_limit(fd, "dict.create", test_nm("c"), "max_objects");
	/* Entries in one dict. */
	expect(fd, "dict.update",
	       with(test_nm("a"), "entries",
		    json_pack("{s:i, s:i, s:i}", "x", 1, "y", 2, "z", 3)),
	       "{\"len\":3}");
	assert_limit(fd, "dict.set",
		     with(nk("a", "w"), "value", json_integer(4)),
		     "max_queue_items");
	assert_limit(fd, "dict.setdefault", nk("a", "w"), "max_queue_items");
	assert_limit(fd, "dict.add",
		     with(nk("a", "w"), "delta", json_integer(1)),
		     "max_queue_items");
	/* All or nothing: two old keys and one new one past the count. */
	assert_limit(
		fd, "dict.update",
		with(test_nm("a"), "entries",
		     json_pack("{s:i, s:i, s:i}", "x", 10, "y", 20, "w", 30)),
		"max_queue_items");
	expect(fd, "dict.items", test_nm("a"),
	       "{\"items\":{\"x\":1,\"y\":2,\"z\":3},\"next\":null}");
	/* Replacing an entry needs no new entry. */
	expect(fd, "dict.set", with(nk("a", "x"), "value", json_integer(9)),
	       "{}");
	/* Bytes. */
	expect(fd, "dict.set", with(nk("b", "big"), "value", json_string(big)),
	       "{}");
	assert_limit(fd, "dict.set",
		     with(nk("b", "big2"), "value", json_string(big)),
		     "max_broker_bytes");
	assert_limit(fd, "dict.update",
		     with(test_nm("b"), "entries",
			  json_pack("{s:i, s:s}", "small", 1, "big3", big)),
		     "max_broker_bytes");
	expect(fd, "dict.keys", test_nm("b"),
	       "{\"keys\":[\"big\"],\"next\":null}");
	/* What a pop gives back is room again. */
	{
		json_t *r = test_ok(fd, "dict.pop", nk("b", "big"));

		cr_assert_eq(
			strlen(json_string_value(json_object_get(r, "value"))),
			strlen(big));
		json_decref(r);
	}
	expect(fd, "dict.set", with(nk("b", "big2"), "value", json_string(big)),
	       "{}");
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop(&d);
}

Test(dict, keys_and_items_come_in_pages_within_max_output)
{
	const char *extra[] = { "--max-output", "64K", NULL };
	json_t *entries = json_object(), *r, *page, *v;
	char key[16], val[120], *next = NULL, *big;
	size_t total = 0, pages = 0, i;
	const char *name, *k;
	int fd;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	mkdict(fd, "d", NULL);
	memset(val, 'v', sizeof(val) - 1);
	val[sizeof(val) - 1] = '\0';
	for (i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "k%05zu", i);
		json_object_set_new(entries, key, json_string(val));
	}
	expect(fd, "dict.update", with(test_nm("d"), "entries", entries),
	       "{\"len\":2000}");
	/* items: every entry once, in order, each page within the room. */
	do {
		json_t *p = test_nm("d");
		char *line;

		if (next != NULL)
			json_object_set_new(p, "after", json_string(next));
		r = test_ok(fd, "dict.items", p);
		line = json_dumps(r, JSON_COMPACT);
		cr_assert_lt(strlen(line), 32 * 1024, "a page of %zu bytes",
			     strlen(line));
		free(line);
		page = json_object_get(r, "items");
		json_object_foreach (page, k, v) {
			snprintf(key, sizeof(key), "k%05zu", total);
			cr_assert_str_eq(k, key);
			cr_assert_str_eq(json_string_value(v), val);
			total++;
		}
		free(next);
		next = json_is_string(json_object_get(r, "next")) ?
			       strdup(json_string_value(
				       json_object_get(r, "next"))) :
			       NULL;
		if (next != NULL) {
			snprintf(key, sizeof(key), "k%05zu", total - 1);
			cr_assert_str_eq(next, key);
		}
		pages++;
		json_decref(r);
	} while (next != NULL);
	cr_assert_eq(total, 2000);
	cr_assert_geq(pages, 8, "%zu pages", pages);
	/* keys: smaller rows, fewer pages; limit caps a page. */
	r = test_ok(fd, "dict.keys",
		    with(test_nm("d"), "limit", json_integer(7)));
	cr_assert_eq(json_array_size(json_object_get(r, "keys")), 7);
	cr_assert_str_eq(json_string_value(json_object_get(r, "next")),
			 "k00006");
	json_decref(r);
	/* An entry that cannot fit in the room: limit, and it stays. */
	big = malloc(40000);
	memset(big, 'b', 39999);
	big[39999] = '\0';
	expect(fd, "dict.set",
	       with(nk("d", "a-big"), "value", json_string(big)), "{}");
	free(big);
	r = test_call(fd, "dict.items", test_nm("d"));
	v = error_data(r, &name);
	cr_assert_str_eq(name, "limit");
	cr_assert_str_eq(json_string_value(json_object_get(v, "limit")),
			 "max_output");
	json_decref(r);
	r = test_ok(fd, "dict.keys",
		    with(test_nm("d"), "limit", json_integer(1)));
	cr_assert_str_eq(json_string_value(
				 json_array_get(json_object_get(r, "keys"), 0)),
			 "a-big");
	json_decref(r);
	r = test_ok(fd, "dict.items",
		    with(test_nm("d"), "after", json_string("k01998")));
	cr_assert_eq(json_object_size(json_object_get(r, "items")), 1);
	cr_assert(json_is_null(json_object_get(r, "next")));
	json_decref(r);
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop(&d);
}

/* Does method take a "key"? */
static bool takes_key(const char *method)
{
	static const char *const with_key[] = {
		"dict.get", "dict.set",	     "dict.setdefault", "dict.pop",
		"dict.del", "dict.contains", "dict.add",
	};

	for (size_t i = 0; i < sizeof(with_key) / sizeof(with_key[0]); i++)
		if (strcmp(method, with_key[i]) == 0)
			return true;
	return false;
}

/* In a child running as nobody: what the modes allow. Exit status 0 when
 * all held, else the number of the check that failed. */
static int as_nobody(const char *socket)
{
	static const char *const refused[] = {
		"dict.get",    "dict.set",    "dict.setdefault", "dict.pop",
		"dict.del",    "dict.keys",   "dict.items",	 "dict.len",
		"dict.update", "dict.clear",  "dict.contains",	 "dict.add",
		"dict.info",   "dict.delete",
	};
	json_t *r, *p;
	int fd;

	if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
		return 1;
	fd = test_try_connect(socket);
	if (fd < 0)
		return 2;
	/* Owner-only, and a group nobody is not in: refused everywhere. */
	for (int g = 0; g < 2; g++) {
		for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]);
		     i++) {
			p = json_pack("{s:s, s:s, s:i, s:i, s:{}}", "name",
				      g == 0 ? "private" : "grp", "key", "k",
				      "value", 1, "delta", 1, "entries");
			/* Only the params each method takes. */
			if (strcmp(refused[i], "dict.update") != 0)
				json_object_del(p, "entries");
			if (strcmp(refused[i], "dict.add") != 0)
				json_object_del(p, "delta");
			if (strcmp(refused[i], "dict.set") != 0 &&
			    strcmp(refused[i], "dict.setdefault") != 0)
				json_object_del(p, "value");
			if (!takes_key(refused[i]))
				json_object_del(p, "key");
			r = test_call(fd, refused[i], p);
			if (json_integer_value(json_object_get(
				    json_object_get(r, "error"), "code")) != 4)
				return 10 + (int)i;
			json_decref(r);
		}
	}
	r = test_call(fd, "dict.create",
		      json_pack("{s:s, s:b}", "name", "private", "exist_ok",
				1));
	if (json_integer_value(
		    json_object_get(json_object_get(r, "error"), "code")) != 4)
		return 30;
	json_decref(r);
	r = test_call(fd, "dict.create", test_nm("private"));
	if (json_integer_value(
		    json_object_get(json_object_get(r, "error"), "code")) != 2)
		return 31;
	json_decref(r);
	/* The list shows the shared one alone. */
	r = test_call(fd, "dict.list", NULL);
	p = json_object_get(json_object_get(r, "result"), "dicts");
	if (json_array_size(p) != 1 ||
	    strcmp(json_string_value(
			   json_object_get(json_array_get(p, 0), "name")),
		   "shared") != 0)
		return 32;
	json_decref(r);
	/* Shared with everyone: usable, but not deletable. */
	r = test_call(fd, "dict.add",
		      json_pack("{s:s, s:s, s:i}", "name", "shared", "key", "n",
				"delta", 5));
	if (json_integer_value(json_object_get(json_object_get(r, "result"),
					       "value")) != 6)
		return 33;
	json_decref(r);
	r = test_call(fd, "dict.delete", test_nm("shared"));
	if (json_integer_value(
		    json_object_get(json_object_get(r, "error"), "code")) != 4)
		return 34;
	json_decref(r);
	/* Its own dict. */
	r = test_call(fd, "dict.create", test_nm("mine"));
	if (json_integer_value(json_object_get(json_object_get(r, "result"),
					       "uid")) != 65534)
		return 35;
	json_decref(r);
	return 0;
}

Test(dict, another_uid_gets_only_what_the_mode_allows)
{
	int fd, status;
	json_t *r;
	pid_t pid;

	if (getuid() != 0)
		cr_skip_test("needs root to switch to nobody");
	mpdd_start(&d, NULL);
	cr_assert(chmod(d.dir, 0755) == 0 && chmod(d.socket, 0666) == 0);
	fd = test_connect(d.socket);
	mkdict(fd, "private", NULL);
	mkdict(fd, "grp", "group");
	mkdict(fd, "shared", "everyone");
	expect(fd, "dict.set",
	       with(nk("private", "k"), "value", json_integer(1)), "{}");
	expect(fd, "dict.set",
	       with(nk("shared", "n"), "value", json_integer(1)), "{}");
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(as_nobody(d.socket));
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "check %d failed as nobody", WEXITSTATUS(status));
	/* Nothing of the refused calls changed anything; root sees all. */
	expect(fd, "dict.items", test_nm("private"),
	       "{\"items\":{\"k\":1},\"next\":null}");
	expect(fd, "dict.get", nk("shared", "n"),
	       "{\"value\":6,\"found\":true}");
	r = test_ok(fd, "dict.list", NULL);
	cr_assert_eq(json_array_size(json_object_get(r, "dicts")), 4);
	json_decref(r);
	expect(fd, "dict.delete", test_nm("mine"), "{}");
	close(fd);
	mpdd_stop(&d);
}

#define WORKERS 8
#define ROUNDS	1000
#define CLAIMS	100

/* A child: ROUNDS adds of 1 to "hits" and of 0.5 to "half", and a
 * setdefault of one claim a round; exit status: the claims it won, or
 * 255 on a failure. */
static int hammer(const char *socket, int id)
{
	int fd = test_try_connect(socket), won = 0;
	char key[32];
	json_t *r;

	if (fd < 0)
		return 255;
	for (int i = 0; i < ROUNDS; i++) {
		r = test_call(fd, "dict.add",
			      json_pack("{s:s, s:s, s:i}", "name", "c", "key",
					"hits", "delta", 1));
		if (json_object_get(r, "result") == NULL)
			return 255;
		json_decref(r);
		r = test_call(fd, "dict.add",
			      json_pack("{s:s, s:s, s:f}", "name", "c", "key",
					"half", "delta", 0.5));
		if (json_object_get(r, "result") == NULL)
			return 255;
		json_decref(r);
		snprintf(key, sizeof(key), "claim-%d", (i * 7 + id) % CLAIMS);
		r = test_call(fd, "dict.setdefault",
			      json_pack("{s:s, s:s, s:i}", "name", "c", "key",
					key, "value", id));
		if (json_object_get(r, "result") == NULL)
			return 255;
		won += json_is_true(json_object_get(
			json_object_get(r, "result"), "inserted"));
		json_decref(r);
	}
	return won;
}

Test(dict, adds_and_setdefaults_from_eight_processes_end_exact)
{
	pid_t pids[WORKERS];
	int fd, status, won = 0;
	json_t *r, *items, *v;
	const char *k;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	mkdict(fd, "c", NULL);
	for (int i = 0; i < WORKERS; i++) {
		pids[i] = fork();
		cr_assert(pids[i] >= 0);
		if (pids[i] == 0)
			_exit(hammer(d.socket, i));
	}
	for (int i = 0; i < WORKERS; i++) {
		cr_assert(waitpid(pids[i], &status, 0) == pids[i]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) != 255,
			  "worker %d failed", i);
		won += WEXITSTATUS(status);
	}
	/* Every claim won once, by whoever holds it. */
	cr_assert_eq(won, CLAIMS);
	r = test_ok(fd, "dict.get", nk("c", "hits"));
	cr_assert_eq(test_int(r, "value"), WORKERS * ROUNDS);
	json_decref(r);
	r = test_ok(fd, "dict.get", nk("c", "half"));
	cr_assert_float_eq(json_real_value(json_object_get(r, "value")),
			   WORKERS * ROUNDS * 0.5, 1e-9);
	json_decref(r);
	expect(fd, "dict.len", test_nm("c"), "{\"len\":102}");
	r = test_ok(fd, "dict.items", test_nm("c"));
	items = json_object_get(r, "items");
	json_object_foreach (items, k, v) {
		if (strncmp(k, "claim-", 6) == 0)
			cr_assert(json_integer_value(v) >= 0 &&
				  json_integer_value(v) < WORKERS);
	}
	json_decref(r);
	close(fd);
	mpdd_stop(&d);
}

Test(dict, subscribers_are_told_of_creates_and_deletes)
{
	int sub, fd;
	json_t *ev, *p;
	char *line;

	mpdd_start(&d, NULL);
	sub = test_connect(d.socket);
	fd = test_connect(d.socket);
	json_decref(test_ok(sub, "events.subscribe",
			    json_pack("{s:[s]}", "kinds", "dict")));
	mkdict(fd, "watched", NULL);
	expect(fd, "dict.delete", test_nm("watched"), "{}");
	for (int i = 0; i < 2; i++) {
		line = test_read_line(sub, TEST_TIMEOUT_MS);
		cr_assert_not_null(line);
		ev = test_json(line);
		free(line);
		p = json_object_get(ev, "params");
		cr_assert_str_eq(json_string_value(json_object_get(p, "kind")),
				 "dict");
		cr_assert_str_eq(json_string_value(json_object_get(p, "name")),
				 "watched");
		cr_assert_str_eq(json_string_value(json_object_get(p, "event")),
				 i == 0 ? "created" : "deleted");
		json_decref(ev);
	}
	close(sub);
	close(fd);
	mpdd_stop(&d);
}

/* A batch runs its members in order, in one round trip. */
Test(dict, a_batch_of_dict_calls_is_answered_whole)
{
	json_t *replies, *r;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	mkdict(fd, "d", NULL);
	replies = test_rpc_line(
		fd, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"dict.set\","
		    "\"params\":{\"name\":\"d\",\"key\":\"a\",\"value\":1}},"
		    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"dict.add\","
		    "\"params\":{\"name\":\"d\",\"key\":\"a\",\"delta\":2}},"
		    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"dict.items\","
		    "\"params\":{\"name\":\"d\"}},"
		    "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"dict.get\","
		    "\"params\":{\"name\":\"d\",\"key\":\"b\"}}]");
	cr_assert_eq(json_array_size(replies), 4);
	for (size_t i = 0; i < 4; i++) {
		r = json_array_get(replies, i);
		switch (json_integer_value(json_object_get(r, "id"))) {
		case 2:
			cr_assert_eq(test_int(json_object_get(r, "result"),
					      "value"),
				     3);
			break;
		case 3: {
			json_t *want = test_json(
				"{\"items\":{\"a\":3},\"next\":null}");

			cr_assert(
				json_equal(json_object_get(r, "result"), want));
			json_decref(want);
			break;
		}
		case 4:
			cr_assert_eq(
				json_integer_value(json_object_get(
					json_object_get(r, "error"), "code")),
				1);
			break;
		}
	}
	json_decref(replies);
	close(fd);
	mpdd_stop(&d);
}
