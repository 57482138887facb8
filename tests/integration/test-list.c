/*
 * test-list.c - shared lists (list.*) at the wire, against a real mpdd:
 * every method; Python's slices, slice assignment and insert() against
 * tables of what Python answers; every class of bad input, each with its
 * precise error and the daemon still serving; a second uid that gets
 * only what a list's mode allows; the limits (objects, bytes, length,
 * nesting, output room), each refusal leaving the list as it was; the
 * bytes counted coming back to nothing; events, told only to those a
 * list's mode admits; and eight clients that append and pop at once, no
 * item lost or duplicated.
 */
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

/* A value nested one level deeper than the broker keeps (2044). */
#define TOO_DEEP 2045
/* A name one byte longer than a name may be. */
#define LONG_NAME 256

static struct mpdd d;

static void teardown(void)
{
	mpdd_cleanup(&d);
}

TestSuite(list, .fini = teardown, .timeout = 120);

/* {"name": name} and the members of the JSON object text extra. */
static json_t *lp(const char *name, const char *extra)
{
	json_t *p = test_json(extra != NULL ? extra : "{}");

	json_object_set_new(p, "name", json_string(name));
	return p;
}

/* The whole of list name must be the JSON text want. */
static void assert_items(int fd, const char *name, const char *want)
{
	json_t *res = test_ok(fd, "list.get", test_nm(name));
	json_t *w = test_json(want);
	char *got = json_dumps(json_object_get(res, "items"), JSON_COMPACT);

	cr_assert(json_equal(json_object_get(res, "items"), w),
		  "list %s is %s, not %s", name, got, want);
	free(got);
	json_decref(w);
	json_decref(res);
}

/* Call method on list name with extra (JSON text), asserting the error
 * named want; returns its data (a new reference). */
static json_t *fails_with(int fd, const char *method, const char *name,
			  const char *extra, const char *want)
{
	json_t *r = test_call(fd, method, lp(name, extra)), *data;
	const char *got = NULL;

	test_error_code(r, &got);
	cr_assert_str_eq(got, want, "%s %s: %s, not %s", method,
			 extra != NULL ? extra : "{}", got, want);
	data = json_incref(
		json_object_get(json_object_get(r, "error"), "data"));
	json_decref(r);
	return data;
}

static const char *str_of(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	cr_assert_not_null(s, "no string \"%s\"", key);
	return s;
}

/* The broker's section of daemon.info: member key. */
static long long broker_int(int fd, const char *key)
{
	return test_info_int(fd, "broker", key);
}

Test(list, every_method_does_what_python_does)
{
	json_t *res, *rows, *owner;
	int a;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	res = test_ok(a, "list.create", lp("L", "{\"items\":[1,2,3]}"));
	cr_assert_str_eq(str_of(res, "name"), "L");
	cr_assert_eq(test_int(res, "length"), 3);
	cr_assert_eq(test_int(res, "uid"), getuid());
	cr_assert_str_eq(str_of(res, "mode"), "owner");
	cr_assert(test_bool(res, "created"));
	json_decref(res);
	res = test_ok(a, "list.append", lp("L", "{\"value\":{\"n\":[4]}}"));
	cr_assert_eq(test_int(res, "length"), 4);
	json_decref(res);
	res = test_ok(a, "list.extend", lp("L", "{\"items\":[null,\"s\"]}"));
	cr_assert_eq(test_int(res, "length"), 6);
	json_decref(res);
	res = test_ok(a, "list.extend", lp("L", "{\"items\":[]}"));
	cr_assert_eq(test_int(res, "length"), 6);
	json_decref(res);
	assert_items(a, "L", "[1,2,3,{\"n\":[4]},null,\"s\"]");
	res = test_ok(a, "list.get", lp("L", "{\"index\":-3}"));
	owner = test_json("{\"n\":[4]}");
	cr_assert(json_equal(json_object_get(res, "value"), owner));
	json_decref(owner);
	json_decref(res);
	json_decref(test_ok(a, "list.set",
			    lp("L", "{\"index\":0,"
				    "\"value\":\"zero\"}")));
	res = test_ok(a, "list.pop", test_nm("L"));
	cr_assert_str_eq(str_of(res, "value"), "s");
	json_decref(res);
	res = test_ok(a, "list.pop", lp("L", "{\"index\":1}"));
	cr_assert_eq(test_int(res, "value"), 2);
	json_decref(res);
	json_decref(test_ok(a, "list.insert",
			    lp("L", "{\"index\":1,\"value\":[1.5]}")));
	res = test_ok(a, "list.remove", lp("L", "{\"value\":null}"));
	cr_assert_eq(test_int(res, "length"), 4);
	json_decref(res);
	assert_items(a, "L", "[\"zero\",[1.5],3,{\"n\":[4]}]");
	res = test_ok(a, "list.len", test_nm("L"));
	cr_assert_eq(test_int(res, "length"), 4);
	json_decref(res);
	res = test_info(a, "list", "L");
	cr_assert_eq(test_int(res, "length"), 4);
	cr_assert_eq(test_int(res, "gid"), getgid());
	owner = json_object_get(res, "owner");
	cr_assert_eq(test_int(owner, "pid"), getpid());
	cr_assert(json_is_real(json_object_get(res, "since")));
	/* "zero", [1.5], 3, {"n":[4]}: their JSON and 16 each. */
	cr_assert_eq(test_int(res, "bytes"), 4 + 5 + 9 + 4 * 16);
	json_decref(res);
	json_decref(test_ok(a, "list.create", test_nm("A")));
	res = test_ok(a, "list.list", NULL);
	rows = json_object_get(res, "lists");
	cr_assert_eq(json_array_size(rows), 2);
	cr_assert_str_eq(str_of(json_array_get(rows, 0), "name"), "A");
	cr_assert_eq(test_int(json_array_get(rows, 1), "length"), 4);
	json_decref(res);
	test_ok0(a, "list.clear", test_nm("L"));
	assert_items(a, "L", "[]");
	test_ok0(a, "list.delete", test_nm("L"));
	test_fails(a, "list.get", test_nm("L"), "not_found");
	test_fails(a, "list.delete", test_nm("L"), "not_found");
	test_ok0(a, "list.delete", test_nm("A"));
	cr_assert_eq(broker_int(a, "lists"), 0);
	test_hang_up(a);
	mpdd_stop(&d);
}

Test(list, create_with_exist_ok_leaves_the_list_as_it_is)
{
	json_t *res;
	int a;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	json_decref(test_ok(a, "list.create", lp("L", "{\"items\":[1]}")));
	json_decref(fails_with(a, "list.create", "L", NULL, "exists"));
	res = test_ok(a, "list.create",
		      lp("L", "{\"exist_ok\":true,\"items\":[7,8],"
			      "\"mode\":\"everyone\"}"));
	cr_assert(!test_bool(res, "created"));
	cr_assert_eq(test_int(res, "length"), 1);
	cr_assert_str_eq(str_of(res, "mode"), "owner");
	json_decref(res);
	assert_items(a, "L", "[1]");
	/* Other kinds of object have names of their own. */
	test_ok0(a, "queue.create", test_nm("L"));
	test_hang_up(a);
}

/* What Python answers for list(range(10))[start:stop:step]. */
static const struct {
	const char *slice, *want;
} get_cases[] = {
	{ "{}", "[0,1,2,3,4,5,6,7,8,9]" },
	{ "{\"step\":-1}", "[9,8,7,6,5,4,3,2,1,0]" },
	{ "{\"start\":2}", "[2,3,4,5,6,7,8,9]" },
	{ "{\"stop\":-1}", "[0,1,2,3,4,5,6,7,8]" },
	{ "{\"start\":-3}", "[7,8,9]" },
	{ "{\"start\":15}", "[]" },
	{ "{\"stop\":-15}", "[]" },
	{ "{\"step\":3}", "[0,3,6,9]" },
	{ "{\"start\":9,\"stop\":0,\"step\":-2}", "[9,7,5,3,1]" },
	{ "{\"start\":-1,\"stop\":-11,\"step\":-1}", "[9,8,7,6,5,4,3,2,1,0]" },
	{ "{\"start\":-100,\"stop\":100}", "[0,1,2,3,4,5,6,7,8,9]" },
	{ "{\"start\":5,\"stop\":2}", "[]" },
	{ "{\"start\":-3,\"stop\":9,\"step\":3}", "[7]" },
	{ "{\"start\":-15,\"stop\":9,\"step\":2}", "[0,2,4,6,8]" },
	{ "{\"start\":-1,\"stop\":2,\"step\":-1}", "[9,8,7,6,5,4,3]" },
	{ "{\"start\":5,\"stop\":2,\"step\":2}", "[]" },
	{ "{\"stop\":2,\"step\":1}", "[0,1]" },
	{ "{\"stop\":10,\"step\":2}", "[0,2,4,6,8]" },
	{ "{\"start\":10,\"stop\":2}", "[]" },
	{ "{\"start\":2,\"stop\":-10,\"step\":-1}", "[2,1]" },
	{ "{\"start\":-15,\"stop\":-15}", "[]" },
	{ "{\"start\":-1,\"stop\":-10,\"step\":-4}", "[9,5,1]" },
	{ "{\"start\":2,\"stop\":9,\"step\":-1}", "[]" },
	{ "{\"stop\":5,\"step\":3}", "[0,3]" },
	{ "{\"start\":15,\"stop\":2,\"step\":3}", "[]" },
	{ "{\"start\":0,\"stop\":10,\"step\":7}", "[0,7]" },
	{ "{\"start\":-10,\"stop\":0,\"step\":3}", "[]" },
	{ "{\"stop\":-1,\"step\":-4}", "[]" },
	{ "{\"start\":-15}", "[0,1,2,3,4,5,6,7,8,9]" },
	{ "{\"start\":0,\"step\":-1}", "[0]" },
	{ "{\"start\":-1,\"stop\":10,\"step\":-1}", "[]" },
	{ "{\"start\":-15,\"step\":-1}", "[]" },
	{ "{\"start\":-1,\"stop\":15,\"step\":2}", "[9]" },
	{ "{\"stop\":5,\"step\":-1}", "[9,8,7,6]" },
	{ "{\"start\":10,\"stop\":2,\"step\":-4}", "[9,5]" },
	{ "{\"start\":5,\"stop\":-3,\"step\":-2}", "[]" },
	{ "{\"start\":5,\"stop\":-3,\"step\":2}", "[5]" },
	{ "{\"start\":-1,\"stop\":2,\"step\":-4}", "[9,5]" },
	{ "{\"start\":-10,\"stop\":2,\"step\":2}", "[0]" },
	{ "{\"start\":2,\"stop\":0,\"step\":2}", "[]" },
	/* Past what any list holds: clamped as well. */
	{ "{\"start\":-9007199254740991,\"stop\":9007199254740991}",
	  "[0,1,2,3,4,5,6,7,8,9]" },
	{ "{\"start\":9007199254740991,\"step\":-9007199254740991}", "[9]" },
};

Test(list, get_of_a_slice_is_python_s)
{
	int a;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	json_decref(test_ok(a, "list.create",
			    lp("L", "{\"items\":[0,1,2,3,4,5,6,7,8,9]}")));
	for (size_t i = 0; i < sizeof(get_cases) / sizeof(get_cases[0]); i++) {
		json_t *res =
			test_ok(a, "list.get", lp("L", get_cases[i].slice));
		json_t *want = test_json(get_cases[i].want);
		char *got =
			json_dumps(json_object_get(res, "items"), JSON_COMPACT);

		cr_assert(json_equal(json_object_get(res, "items"), want),
			  "[%s]: %s, Python says %s", get_cases[i].slice, got,
			  get_cases[i].want);
		free(got);
		json_decref(want);
		json_decref(res);
	}
	/* Indexes, from either end. */
	for (int i = -10; i < 10; i++) {
		char p[32];
		json_t *res;

		snprintf(p, sizeof(p), "{\"index\":%d}", i);
		res = test_ok(a, "list.get", lp("L", p));
		cr_assert_eq(test_int(res, "value"), i < 0 ? i + 10 : i);
		json_decref(res);
	}
	test_hang_up(a);
}

/* What Python leaves in l = list(range(6)) after l[start:stop:step] =
 * items ("error": a ValueError, nothing changed). */
static const struct {
	const char *params, *want;
} set_cases[] = {
	{ "{\"items\":[\"a\"]}", "[\"a\"]" },
	{ "{\"start\":1,\"stop\":3,\"items\":[\"a\",\"b\",\"c\"]}",
	  "[0,\"a\",\"b\",\"c\",3,4,5]" },
	{ "{\"start\":1,\"stop\":1,\"items\":[\"x\"]}", "[0,\"x\",1,2,3,4,5]" },
	{ "{\"start\":2,\"stop\":5,\"items\":[]}", "[0,1,5]" },
	{ "{\"start\":-2,\"items\":[\"y\"]}", "[0,1,2,3,\"y\"]" },
	{ "{\"start\":10,\"stop\":20,\"items\":[\"end\"]}",
	  "[0,1,2,3,4,5,\"end\"]" },
	{ "{\"start\":-10,\"stop\":1,\"items\":[\"h1\",\"h2\"]}",
	  "[\"h1\",\"h2\",1,2,3,4,5]" },
	{ "{\"start\":4,\"stop\":1,\"items\":[\"z\"]}", "[0,1,2,3,\"z\",4,5]" },
	{ "{\"step\":2,\"items\":[\"a\",\"b\",\"c\"]}",
	  "[\"a\",1,\"b\",3,\"c\",5]" },
	{ "{\"step\":-1,\"items\":[\"f\",\"e\",\"d\",\"c\",\"b\",\"a\"]}",
	  "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]" },
	{ "{\"start\":5,\"stop\":0,\"step\":-2,\"items\":[50,30,10]}",
	  "[0,10,2,30,4,50]" },
	{ "{\"start\":1,\"step\":3,\"items\":[7,8]}", "[0,7,2,3,8,5]" },
	{ "{\"step\":-2,\"items\":[\"p\",\"q\",\"r\"]}",
	  "[0,\"r\",2,\"q\",4,\"p\"]" },
	{ "{\"step\":2,\"items\":[\"a\"]}", "error" },
	{ "{\"start\":1,\"stop\":4,\"step\":-1,\"items\":[]}",
	  "[0,1,2,3,4,5]" },
	{ "{\"start\":0,\"stop\":6,\"step\":2,\"items\":[1]}", "error" },
	{ "{\"items\":[]}", "[]" },
	{ "{\"start\":3,\"step\":-1,\"items\":[1,2,3,4]}", "[4,3,2,1,4,5]" },
	{ "{\"step\":1,\"start\":6,\"items\":[6,7]}", "[0,1,2,3,4,5,6,7]" },
};

/* What Python leaves in list(range(6)) after insert(index, "n"). */
static const struct {
	long long index;
	const char *want;
} insert_cases[] = {
	{ -100, "[\"n\",0,1,2,3,4,5]" }, { -7, "[\"n\",0,1,2,3,4,5]" },
	{ -6, "[\"n\",0,1,2,3,4,5]" },	 { -1, "[0,1,2,3,4,\"n\",5]" },
	{ 0, "[\"n\",0,1,2,3,4,5]" },	 { 3, "[0,1,2,\"n\",3,4,5]" },
	{ 6, "[0,1,2,3,4,5,\"n\"]" },	 { 7, "[0,1,2,3,4,5,\"n\"]" },
	{ 100, "[0,1,2,3,4,5,\"n\"]" },
};

/* Make list name list(range(6)) again. */
static void reset6(int fd, const char *name)
{
	json_decref(
		test_ok(fd, "list.set", lp(name, "{\"items\":[0,1,2,3,4,5]}")));
}

Test(list, set_of_a_slice_and_insert_are_python_s)
{
	json_t *res, *data;
	int a;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	json_decref(test_ok(a, "list.create", test_nm("L")));
	for (size_t i = 0; i < sizeof(set_cases) / sizeof(set_cases[0]); i++) {
		reset6(a, "L");
		if (strcmp(set_cases[i].want, "error") == 0) {
			data = fails_with(a, "list.set", "L",
					  set_cases[i].params,
					  "invalid_params");
			cr_assert_str_eq(str_of(data, "field"), "items");
			json_decref(data);
			assert_items(a, "L", "[0,1,2,3,4,5]");
			continue;
		}
		res = test_ok(a, "list.set", lp("L", set_cases[i].params));
		data = test_json(set_cases[i].want);
		cr_assert_eq((size_t)test_int(res, "length"),
			     json_array_size(data));
		json_decref(data);
		json_decref(res);
		assert_items(a, "L", set_cases[i].want);
	}
	for (size_t i = 0; i < sizeof(insert_cases) / sizeof(insert_cases[0]);
	     i++) {
		char p[64];

		reset6(a, "L");
		snprintf(p, sizeof(p), "{\"index\":%lld,\"value\":\"n\"}",
			 insert_cases[i].index);
		json_decref(test_ok(a, "list.insert", lp("L", p)));
		assert_items(a, "L", insert_cases[i].want);
	}
	test_hang_up(a);
}

Test(list, an_index_out_of_range_is_refused_with_the_index_and_length)
{
	static const char *const calls[][2] = {
		{ "list.get", "{\"index\":3}" },
		{ "list.get", "{\"index\":-4}" },
		{ "list.set", "{\"index\":3,\"value\":0}" },
		{ "list.set", "{\"index\":-4,\"value\":0}" },
		{ "list.pop", "{\"index\":3}" },
		{ "list.pop", "{\"index\":-9007199254740991}" },
	};
	json_t *data;
	int a;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	json_decref(test_ok(a, "list.create", lp("L", "{\"items\":[0,1,2]}")));
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		json_t *given = test_json(calls[i][1]);

		data = fails_with(a, calls[i][0], "L", calls[i][1],
				  "invalid_params");
		cr_assert_str_eq(str_of(data, "field"), "index");
		cr_assert_str_eq(str_of(data, "reason"), "out_of_range");
		cr_assert_eq(test_int(data, "index"), test_int(given, "index"));
		json_decref(given);
		cr_assert_eq(test_int(data, "length"), 3);
		json_decref(data);
	}
	assert_items(a, "L", "[0,1,2]");
	/* An empty list: pop says empty, whatever the index. */
	test_ok0(a, "list.clear", test_nm("L"));
	data = fails_with(a, "list.pop", "L", NULL, "empty");
	cr_assert_eq(test_int(data, "length"), 0);
	json_decref(data);
	json_decref(fails_with(a, "list.pop", "L", "{\"index\":5}", "empty"));
	data = fails_with(a, "list.get", "L", "{\"index\":0}",
			  "invalid_params");
	cr_assert_eq(test_int(data, "length"), 0);
	json_decref(data);
	test_assert_ping(d.socket);
	test_hang_up(a);
}

Test(list, remove_takes_the_first_equal_item_only)
{
	json_t *data;
	int a;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	json_decref(test_ok(
		a, "list.create",
		lp("L", "{\"items\":[{\"a\":1,\"b\":2},1,1.0,{\"b\":2,\"a\":1},"
			"1]}")));
	/* Object members in any order; 1 and 1.0 are different. */
	json_decref(test_ok(a, "list.remove",
			    lp("L", "{\"value\":{\"b\":2,\"a\":1}}")));
	json_decref(test_ok(a, "list.remove", lp("L", "{\"value\":1.0}")));
	assert_items(a, "L", "[1,{\"a\":1,\"b\":2},1]");
	json_decref(test_ok(a, "list.remove", lp("L", "{\"value\":1}")));
	assert_items(a, "L", "[{\"a\":1,\"b\":2},1]");
	data = fails_with(a, "list.remove", "L", "{\"value\":1.0}",
			  "invalid_params");
	cr_assert_str_eq(str_of(data, "field"), "value");
	cr_assert_str_eq(str_of(data, "reason"), "not_in_list");
	json_decref(data);
	assert_items(a, "L", "[{\"a\":1,\"b\":2},1]");
	test_hang_up(a);
}

/* A bad request of each class: its error code and data.field. */
static const struct {
	const char *method, *params;
	int code;
	const char *field; /* NULL: none */
} bad_cases[] = {
	{ "list.create", "{}", -32602, "name" },
	{ "list.create", "{\"name\":\"\"}", -32602, "name" },
	{ "list.create", "{\"name\":7}", -32602, "name" },
	{ "list.create", "{\"name\":\"N\",\"mode\":\"world\"}", -32602,
	  "mode" },
	{ "list.create", "{\"name\":\"N\",\"items\":{}}", -32602, "items" },
	{ "list.create", "{\"name\":\"N\",\"exist_ok\":1}", -32602,
	  "exist_ok" },
	{ "list.create", "{\"name\":\"N\",\"size\":1}", -32602, "size" },
	{ "list.append", "{\"name\":\"L\"}", -32602, "value" },
	{ "list.append", "{\"value\":1}", -32602, "name" },
	{ "list.append", "{\"name\":\"nope\",\"value\":1}", 1, NULL },
	{ "list.extend", "{\"name\":\"L\",\"items\":5}", -32602, "items" },
	{ "list.extend", "{\"name\":\"L\"}", -32602, "items" },
	{ "list.get", "{\"name\":\"L\",\"index\":\"0\"}", -32602, "index" },
	{ "list.get", "{\"name\":\"L\",\"index\":1.5}", -32602, "index" },
	{ "list.get", "{\"name\":\"L\",\"index\":9007199254740992}", -32602,
	  "index" },
	{ "list.get", "{\"name\":\"L\",\"index\":0,\"start\":0}", -32602,
	  "index" },
	{ "list.get", "{\"name\":\"L\",\"step\":0}", -32602, "step" },
	{ "list.get", "{\"name\":\"L\",\"stop\":null}", -32602, "stop" },
	{ "list.set", "{\"name\":\"L\",\"index\":0}", -32602, "value" },
	{ "list.set", "{\"name\":\"L\",\"value\":0}", -32602, "items" },
	{ "list.set", "{\"name\":\"L\",\"index\":0,\"items\":[1]}", -32602,
	  "index" },
	{ "list.set", "{\"name\":\"L\",\"start\":0,\"value\":1}", -32602,
	  "items" },
	{ "list.set", "{\"name\":\"L\",\"step\":0,\"items\":[]}", -32602,
	  "step" },
	{ "list.set", "{\"name\":\"L\",\"step\":2,\"items\":[1,2]}", -32602,
	  "items" },
	{ "list.pop", "{\"name\":\"L\",\"index\":true}", -32602, "index" },
	{ "list.insert", "{\"name\":\"L\",\"value\":1}", -32602, "index" },
	{ "list.insert", "{\"name\":\"L\",\"index\":0}", -32602, "value" },
	{ "list.remove", "{\"name\":\"L\"}", -32602, "value" },
	{ "list.remove", "{\"name\":\"L\",\"value\":\"absent\"}", -32602,
	  "value" },
	{ "list.len", "{\"name\":\"L\",\"index\":0}", -32602, "index" },
	{ "list.list", "{\"name\":\"L\"}", -32602, "name" },
	{ "list.list", "[]", -32602, NULL },
	{ "list.clear", "{}", -32602, "name" },
};

Test(list, bad_input_gets_its_precise_error_and_changes_nothing)
{
	char *deep, *line;
	json_t *r, *data;
	size_t n = TOO_DEEP;
	int a;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	json_decref(test_ok(a, "list.create", lp("L", "{\"items\":[1,2]}")));
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		r = test_call(a, bad_cases[i].method,
			      test_json(bad_cases[i].params));
		cr_assert_eq(test_error_code(r, NULL), bad_cases[i].code,
			     "%s %s", bad_cases[i].method, bad_cases[i].params);
		data = json_object_get(json_object_get(r, "error"), "data");
		if (bad_cases[i].field != NULL)
			cr_assert_str_eq(str_of(data, "field"),
					 bad_cases[i].field, "%s %s",
					 bad_cases[i].method,
					 bad_cases[i].params);
		json_decref(r);
	}
	/* A name longer than any name. */
	line = malloc(LONG_NAME + 1);
	cr_assert_not_null(line);
	memset(line, 'n', LONG_NAME);
	line[LONG_NAME] = '\0';
	r = test_call(a, "list.create", test_nm(line));
	cr_assert_eq(test_error_code(r, NULL), -32602);
	json_decref(r);
	free(line);
	/* A value nested deeper than a reply could carry it. */
	deep = malloc(2 * n + 1);
	cr_assert_not_null(deep);
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	deep[2 * n] = '\0';
	line = malloc(2 * n + 256);
	cr_assert_not_null(line);
	for (int m = 0; m < 3; m++) {
		static const char *const fmt[] = {
			"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
			"\"list.append\",\"params\":{\"name\":\"L\","
			"\"value\":%s}}",
			"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
			"\"list.insert\",\"params\":{\"name\":\"L\","
			"\"index\":0,\"value\":%s}}",
			"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
			"\"list.set\",\"params\":{\"name\":\"L\","
			"\"index\":0,\"value\":%s}}",
		};

		sprintf(line, fmt[m], deep);
		r = test_rpc_line(a, line);
		cr_assert_eq(test_error_code(r, NULL), -32602, "%d", m);
		data = json_object_get(json_object_get(r, "error"), "data");
		cr_assert_str_eq(str_of(data, "field"), "value");
		cr_assert_eq(test_int(data, "max_depth"), 2044);
		json_decref(r);
	}
	/* ... and inside items. */
	sprintf(line,
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"list.extend\","
		"\"params\":{\"name\":\"L\",\"items\":[%s]}}",
		deep);
	r = test_rpc_line(a, line);
	cr_assert_eq(test_error_code(r, NULL), -32602);
	cr_assert_str_eq(
		str_of(json_object_get(json_object_get(r, "error"), "data"),
		       "field"),
		"items");
	json_decref(r);
	free(line);
	free(deep);
	assert_items(a, "L", "[1,2]");
	test_assert_ping(d.socket);
	test_hang_up(a);
}

Test(list, a_pop_sent_as_a_notification_takes_nothing)
{
	int a;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	json_decref(test_ok(a, "list.create", lp("L", "{\"items\":[1,2]}")));
	test_send_call(a, NULL, "list.pop", test_nm("L"));
	test_send_call(a, NULL, "list.append", lp("L", "{\"value\":3}"));
	test_settle(a);
	assert_items(a, "L", "[1,2,3]");
	test_hang_up(a);
}

/*
 * In a child running as nobody (in root's group too when in_group): what
 * the lists' modes allow. Exit status 0 when all held, else the number of
 * the check that failed.
 */
static int as_nobody(const char *socket, bool in_group)
{
	static const char *const refused[][2] = {
		{ "list.append", "{\"name\":\"private\",\"value\":1}" },
		{ "list.extend", "{\"name\":\"private\",\"items\":[1]}" },
		{ "list.get", "{\"name\":\"private\"}" },
		{ "list.set",
		  "{\"name\":\"private\",\"index\":0,\"value\":1}" },
		{ "list.pop", "{\"name\":\"private\"}" },
		{ "list.len", "{\"name\":\"private\"}" },
		{ "list.insert", "{\"name\":\"private\",\"index\":0,"
				 "\"value\":1}" },
		{ "list.remove", "{\"name\":\"private\",\"value\":1}" },
		{ "list.clear", "{\"name\":\"private\"}" },
		{ "list.info", "{\"name\":\"private\"}" },
		{ "list.delete", "{\"name\":\"private\"}" },
		{ "list.create", "{\"name\":\"private\",\"exist_ok\":true}" },
		{ "list.delete", "{\"name\":\"open\"}" },
		{ "list.delete", "{\"name\":\"team\"}" },
	};
	gid_t root_group = 0;
	json_t *r, *lists;
	int fd;

	if (setgroups(in_group ? 1 : 0, &root_group) != 0 ||
	    setgid(65534) != 0 || setuid(65534) != 0)
		return 1;
	fd = test_try_connect(socket);
	if (fd < 0)
		return 2;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		r = test_call(fd, refused[i][0], test_json(refused[i][1]));
		if (json_integer_value(json_object_get(
			    json_object_get(r, "error"), "code")) != 4)
			return 10 + (int)i;
		json_decref(r);
	}
	/* The name is taken, whoever's. */
	r = test_call(fd, "list.create", test_json("{\"name\":\"private\"}"));
	if (json_integer_value(
		    json_object_get(json_object_get(r, "error"), "code")) != 2)
		return 30;
	json_decref(r);
	/* Listed: only what it may use. */
	r = test_call(fd, "list.list", NULL);
	lists = json_object_get(json_object_get(r, "result"), "lists");
	if (json_array_size(lists) != (in_group ? 2 : 1) ||
	    strcmp(json_string_value(
			   json_object_get(json_array_get(lists, 0), "name")),
		   "open") != 0)
		return 31;
	json_decref(r);
	/* Shared with everyone (and the group): usable. */
	r = test_call(fd, "list.append",
		      test_json("{\"name\":\"open\",\"value\":\"nobody\"}"));
	if (json_object_get(r, "result") == NULL)
		return 40;
	json_decref(r);
	r = test_call(fd, "list.pop",
		      test_json("{\"name\":\"open\",\"index\":0}"));
	if (json_integer_value(json_object_get(json_object_get(r, "result"),
					       "value")) != 1)
		return 41;
	json_decref(r);
	r = test_call(fd, "list.len", test_json("{\"name\":\"team\"}"));
	if ((json_object_get(r, "result") != NULL) != in_group)
		return 42;
	json_decref(r);
	/* Its own list, which root may use too. */
	r = test_call(fd, "list.create",
		      test_json("{\"name\":\"mine\",\"items\":[\"n\"]}"));
	if (json_object_get(r, "result") == NULL)
		return 50;
	json_decref(r);
	return 0;
}

/* Run as_nobody() in a child; assert that it passed. */
static void run_as_nobody(bool in_group)
{
	int status;
	pid_t pid = fork();

	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(as_nobody(d.socket, in_group));
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "check %d failed as nobody%s", WEXITSTATUS(status),
		  in_group ? " in root's group" : "");
}

Test(list, another_uid_gets_only_what_the_mode_allows)
{
	json_t *res;
	int a;

	if (getuid() != 0)
		cr_skip_test("needs root to switch to nobody");
	mpdd_start(&d, NULL);
	cr_assert(chmod(d.dir, 0755) == 0 && chmod(d.socket, 0666) == 0);
	a = test_connect(d.socket);
	json_decref(
		test_ok(a, "list.create", lp("private", "{\"items\":[1]}")));
	json_decref(test_ok(a, "list.create",
			    lp("open", "{\"items\":[1],\"mode\":"
				       "\"everyone\"}")));
	json_decref(
		test_ok(a, "list.create", lp("team", "{\"mode\":\"group\"}")));
	run_as_nobody(false);
	assert_items(a, "private", "[1]");
	assert_items(a, "open", "[\"nobody\"]");
	/* Root may use and delete what nobody made. */
	res = test_info(a, "list", "mine");
	cr_assert_eq(test_int(res, "uid"), 65534);
	json_decref(res);
	test_ok0(a, "list.delete", test_nm("mine"));
	/* A member of the owner's group may use a group list. */
	json_decref(test_ok(a, "list.append", lp("open", "{\"value\":1}")));
	json_decref(test_ok(a, "list.pop", lp("open", "{\"index\":0}")));
	run_as_nobody(true);
	test_ok0(a, "list.delete", test_nm("mine"));
	test_hang_up(a);
}

Test(list, events_tell_of_lists_created_and_deleted)
{
	char *line;
	json_t *ev, *params;
	int a, s;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	s = test_connect(d.socket);
	json_decref(test_ok(s, "events.subscribe",
			    test_json("{\"kinds\":[\"list\"]}")));
	json_decref(test_ok(a, "list.create", test_nm("E")));
	json_decref(test_ok(a, "list.append", lp("E", "{\"value\":1}")));
	test_ok0(a, "list.delete", test_nm("E"));
	for (int i = 0; i < 2; i++) {
		line = test_read_line(s, TEST_TIMEOUT_MS);
		cr_assert_not_null(line);
		ev = test_json(line);
		free(line);
		params = json_object_get(ev, "params");
		cr_assert_str_eq(str_of(params, "kind"), "list");
		cr_assert_str_eq(str_of(params, "name"), "E");
		cr_assert_str_eq(str_of(params, "event"),
				 i == 0 ? "created" : "deleted");
		json_decref(ev);
	}
	test_hang_up(s);
	test_hang_up(a);
}

/* In a child running as nobody: subscribe to list events, say so on
 * ready, and read the first event, which must be of "o2" (not "p2", made
 * before it and shared with nobody). Exit status 0, or the number of the
 * check that failed. */
static int nobody_watches(const char *socket, int ready)
{
	const char *name, *event;
	json_t *r, *ev;
	char *line;
	int fd, bad;

	if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
		return 1;
	fd = test_try_connect(socket);
	if (fd < 0)
		return 2;
	r = test_call(fd, "events.subscribe",
		      test_json("{\"kinds\":[\"list\"]}"));
	if (json_object_get(r, "result") == NULL)
		return 3;
	json_decref(r);
	if (write(ready, "x", 1) != 1)
		return 4;
	line = test_read_line(fd, TEST_TIMEOUT_MS);
	if (line == NULL)
		return 5;
	ev = test_json(line);
	free(line);
	name = json_string_value(
		json_object_get(json_object_get(ev, "params"), "name"));
	event = json_string_value(
		json_object_get(json_object_get(ev, "params"), "event"));
	bad = name == NULL || strcmp(name, "o2") != 0 || event == NULL ||
	      strcmp(event, "created") != 0;
	json_decref(ev);
	return bad ? 6 : 0;
}

Test(list, events_go_only_to_those_the_mode_admits)
{
	int a, ready[2], status;
	pid_t pid;
	char x;

	if (getuid() != 0)
		cr_skip_test("needs root to switch to nobody");
	mpdd_start(&d, NULL);
	cr_assert(chmod(d.dir, 0755) == 0 && chmod(d.socket, 0666) == 0);
	a = test_connect(d.socket);
	cr_assert(pipe(ready) == 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		close(ready[0]);
		_exit(nobody_watches(d.socket, ready[1]));
	}
	close(ready[1]);
	cr_assert_eq(read(ready[0], &x, 1), 1, "the watcher did not start");
	close(ready[0]);
	json_decref(test_ok(a, "list.create", test_nm("p2")));
	json_decref(
		test_ok(a, "list.create", lp("o2", "{\"mode\":\"everyone\"}")));
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "check %d failed as nobody", WEXITSTATUS(status));
	test_hang_up(a);
}

Test(list, limits_refuse_and_change_nothing)
{
	static const char *const extra[] = { "--max-objects",
					     "2",
					     "--max-queue-items",
					     "5",
					     "--max-broker-bytes",
					     "1000",
					     NULL };
	char big[901], p[2048];
	json_t *data;
	int a;

	mpdd_start(&d, extra);
	a = test_connect(d.socket);
	/* Objects. */
	json_decref(test_ok(a, "list.create", test_nm("A")));
	test_ok0(a, "queue.create", test_nm("Q"));
	data = fails_with(a, "list.create", "B", NULL, "limit");
	cr_assert_str_eq(str_of(data, "limit"), "max_objects");
	json_decref(data);
	test_ok0(a, "queue.delete", test_nm("Q"));
	/* Length. */
	data = fails_with(a, "list.create", "B", "{\"items\":[1,2,3,4,5,6]}",
			  "limit");
	cr_assert_str_eq(str_of(data, "limit"), "max_queue_items");
	cr_assert_eq(test_int(data, "max"), 5);
	json_decref(data);
	cr_assert_eq(broker_int(a, "lists"), 1);
	json_decref(
		test_ok(a, "list.create", lp("B", "{\"items\":[1,2,3,4,5]}")));
	json_decref(
		fails_with(a, "list.append", "B", "{\"value\":6}", "limit"));
	json_decref(fails_with(a, "list.insert", "B",
			       "{\"index\":0,\"value\":6}", "limit"));
	json_decref(
		fails_with(a, "list.extend", "B", "{\"items\":[6]}", "limit"));
	json_decref(fails_with(a, "list.set", "B",
			       "{\"start\":0,\"stop\":1,\"items\":[6,7]}",
			       "limit"));
	json_decref(test_ok(a, "list.set",
			    lp("B", "{\"start\":0,\"stop\":2,"
				    "\"items\":[6,7]}")));
	assert_items(a, "B", "[6,7,3,4,5]");
	json_decref(test_ok(a, "list.pop", test_nm("B")));
	json_decref(test_ok(a, "list.append", lp("B", "{\"value\":8}")));
	test_ok0(a, "list.delete", test_nm("B"));
	/* Bytes: a 900-byte string takes 916 of the 1000. */
	memset(big, 'x', 900);
	big[900] = '\0';
	snprintf(p, sizeof(p), "{\"value\":\"%s\"}", big);
	json_decref(test_ok(a, "list.append", lp("A", p)));
	cr_assert_eq(broker_int(a, "bytes"), 916);
	/* 100 bytes more do not fit, added or in place of it. */
	memset(big, 'y', 100);
	big[100] = '\0';
	snprintf(p, sizeof(p), "{\"value\":\"%s\"}", big);
	data = fails_with(a, "list.append", "A", p, "limit");
	cr_assert_str_eq(str_of(data, "limit"), "max_broker_bytes");
	json_decref(data);
	json_decref(fails_with(a, "list.insert", "A",
			       "{\"index\":0,\"value\":[1,2,3,4,5,6,7,8,9,"
			       "10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,"
			       "25,26,27,28,29,30,31,32,33]}",
			       "limit"));
	memset(big, 'z', 900);
	snprintf(p, sizeof(p), "{\"index\":0,\"value\":[\"%.900s\",\"%.90s\"]}",
		 big, big);
	json_decref(fails_with(a, "list.set", "A", p, "limit"));
	cr_assert_eq(broker_int(a, "bytes"), 916);
	/* Replacing it with less frees the difference. */
	json_decref(test_ok(a, "list.set",
			    lp("A", "{\"index\":0,\"value\":\"short\"}")));
	cr_assert_eq(broker_int(a, "bytes"), 21);
	json_decref(test_ok(a, "list.append", lp("A", "{\"value\":\"0123\"}")));
	test_ok0(a, "list.clear", test_nm("A"));
	cr_assert_eq(broker_int(a, "bytes"), 0);
	test_assert_ping(d.socket);
	test_hang_up(a);
	mpdd_stop(&d);
}

Test(list, the_bytes_counted_come_back_to_nothing)
{
	json_t *res;
	long long sum;
	int a;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	json_decref(test_ok(a, "list.create",
			    lp("L", "{\"items\":[\"abc\",[1,2],{\"k\":true},"
				    "7]}")));
	/* "abc" 3, [1,2] 5, {"k":true} 10, 7 none: and 16 each. */
	sum = 3 + 5 + 10 + 4 * 16;
	res = test_info(a, "list", "L");
	cr_assert_eq(test_int(res, "bytes"), sum);
	json_decref(res);
	cr_assert_eq(broker_int(a, "bytes"), sum);
	/* Every way in and out. */
	for (int i = 0; i < 50; i++) {
		json_decref(test_ok(a, "list.append",
				    lp("L", "{\"value\":\"grow\"}")));
		json_decref(test_ok(a, "list.insert",
				    lp("L", "{\"index\":1,\"value\":[0]}")));
		json_decref(test_ok(a, "list.extend",
				    lp("L", "{\"items\":[1,\"x\"]}")));
	}
	json_decref(test_ok(a, "list.set",
			    lp("L", "{\"start\":2,\"stop\":9,"
				    "\"items\":[]}")));
	json_decref(test_ok(a, "list.set",
			    lp("L", "{\"start\":-1,\"stop\":-16,\"step\":-7,"
				    "\"items\":[0,0,0]}")));
	json_decref(test_ok(a, "list.set",
			    lp("L", "{\"start\":10,\"stop\":100,"
				    "\"items\":[\"a\"]}")));
	for (int i = 0; i < 20; i++)
		json_decref(test_ok(a, "list.pop", lp("L", "{\"index\":3}")));
	json_decref(test_ok(a, "list.remove", lp("L", "{\"value\":[0]}")));
	json_decref(
		test_ok(a, "list.set", lp("L", "{\"index\":0,\"value\":1}")));
	res = test_info(a, "list", "L");
	cr_assert_eq(test_int(res, "bytes"), broker_int(a, "bytes"));
	json_decref(res);
	test_ok0(a, "list.delete", test_nm("L"));
	cr_assert_eq(broker_int(a, "bytes"), 0);
	cr_assert_eq(broker_int(a, "lists"), 0);
	test_hang_up(a);
}

Test(list, a_reply_never_passes_max_output)
{
	static const char *const extra[] = { "--max-output", "8192", NULL };
	char item[1001], p[1100], big[6001];
	json_t *data, *replies;
	char *line;
	int a;

	mpdd_start(&d, extra);
	a = test_connect(d.socket);
	json_decref(test_ok(a, "list.create", test_nm("L")));
	memset(item, 'i', 1000);
	item[1000] = '\0';
	snprintf(p, sizeof(p), "{\"value\":\"%s\"}", item);
	for (int i = 0; i < 12; i++)
		json_decref(test_ok(a, "list.append", lp("L", p)));
	/* Twelve kilobytes never fit in eight. */
	data = fails_with(a, "list.get", "L", NULL, "limit");
	cr_assert_str_eq(str_of(data, "limit"), "max_output");
	cr_assert_eq(test_int(data, "max"), 8192);
	cr_assert(test_int(data, "bytes") > 8192);
	json_decref(data);
	json_decref(test_ok(a, "list.get", lp("L", "{\"stop\":3}")));
	/* One item larger than any reply: get and pop leave it. */
	memset(big, 'B', 6000);
	big[6000] = '\0';
	line = malloc(16000);
	cr_assert_not_null(line);
	snprintf(line, 16000, "{\"value\":[\"%s\",\"%s\"]}", big, big);
	json_decref(test_ok(a, "list.append", lp("L", line)));
	json_decref(fails_with(a, "list.get", "L", "{\"index\":-1}", "limit"));
	json_decref(fails_with(a, "list.pop", "L", NULL, "limit"));
	json_decref(test_ok(a, "list.insert",
			    lp("L", "{\"index\":0,\"value\":\"head\"}")));
	/* In a batch, the room is what the other replies leave: of three
	 * pops of 1000-byte items... */
	test_send_str(a,
		      "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
		      "\"list.pop\",\"params\":{\"name\":\"L\",\"index\":1}},"
		      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"list.pop\","
		      "\"params\":{\"name\":\"L\",\"index\":1}},"
		      "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"list.get\","
		      "\"params\":{\"name\":\"L\",\"stop\":7}}]\n");
	free(line);
	line = test_read_line(a, TEST_TIMEOUT_MS);
	replies = test_json(line);
	free(line);
	cr_assert_eq(json_array_size(replies), 3);
	cr_assert_not_null(
		json_object_get(json_array_get(replies, 0), "result"));
	cr_assert_not_null(
		json_object_get(json_array_get(replies, 1), "result"));
	/* ... the slice of seven more did not fit beside them. */
	cr_assert_eq(test_error_code(json_array_get(replies, 2), NULL), 9);
	json_decref(replies);
	{
		json_t *res = test_ok(a, "list.len", test_nm("L"));

		cr_assert_eq(test_int(res, "length"), 12 - 2 + 2);
		json_decref(res);
	}
	test_assert_ping(d.socket);
	test_hang_up(a);
}

/* How many items each of the clients appends (two a round) and pops
 * (one a round) at once. */
#define NCLIENTS 8
#define ROUNDS	 250

/* A client of the race: appends "k-i-a" and "k-i-b", pops one (from
 * either end), writing what it popped to fd, one a line. Exit status 0,
 * or the number of the call that failed. */
static int racer(const char *socket, int k, int fd)
{
	int c = test_try_connect(socket);
	char p[96];

	if (c < 0)
		return 1;
	for (int i = 0; i < ROUNDS; i++) {
		json_t *r, *v;

		snprintf(p, sizeof(p),
			 "{\"name\":\"R\",\"items\":[\"%d-%d-a\",\"%d-%d-b\"]}",
			 k, i, k, i);
		r = test_call(c, "list.extend", test_json(p));
		if (json_object_get(r, "result") == NULL)
			return 2;
		json_decref(r);
		r = test_call(
			c, "list.pop",
			test_json(i % 2 ? "{\"name\":\"R\"}" :
					  "{\"name\":\"R\",\"index\":0}"));
		v = json_object_get(json_object_get(r, "result"), "value");
		if (!json_is_string(v))
			return 3;
		if (dprintf(fd, "%s\n", json_string_value(v)) < 0)
			return 4;
		json_decref(r);
	}
	return 0;
}

Test(list, eight_clients_appending_and_popping_lose_and_duplicate_nothing)
{
	int pipes[NCLIENTS][2], status, a;
	pid_t pids[NCLIENTS];
	char *seen, *buf;
	size_t total = 0, cap = 1 << 20;
	json_t *res, *v;
	size_t i;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	json_decref(test_ok(a, "list.create", test_nm("R")));
	for (int k = 0; k < NCLIENTS; k++) {
		cr_assert(pipe(pipes[k]) == 0);
		pids[k] = fork();
		cr_assert(pids[k] >= 0);
		if (pids[k] == 0) {
			close(pipes[k][0]);
			_exit(racer(d.socket, k, pipes[k][1]));
		}
		close(pipes[k][1]);
	}
	/* Every item is seen exactly once: popped, or still there. */
	seen = calloc(NCLIENTS * ROUNDS * 2, 1);
	buf = malloc(cap);
	cr_assert(seen != NULL && buf != NULL);
	for (int k = 0; k < NCLIENTS; k++) {
		size_t got = 0;
		ssize_t n;

		while ((n = read(pipes[k][0], buf + got, cap - 1 - got)) > 0)
			got += (size_t)n;
		close(pipes[k][0]);
		cr_assert(waitpid(pids[k], &status, 0) == pids[k]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			  "client %d failed at %d", k, WEXITSTATUS(status));
		buf[got] = '\0';
		for (char *s = strtok(buf, "\n"); s != NULL;
		     s = strtok(NULL, "\n")) {
			int c, r;
			char e;

			cr_assert_eq(sscanf(s, "%d-%d-%c", &c, &r, &e), 3, "%s",
				     s);
			cr_assert(!seen[(c * ROUNDS + r) * 2 + (e == 'b')],
				  "%s popped twice", s);
			seen[(c * ROUNDS + r) * 2 + (e == 'b')] = 1;
			total++;
		}
	}
	cr_assert_eq(total, NCLIENTS * ROUNDS);
	res = test_ok(a, "list.get", test_nm("R"));
	json_array_foreach (json_object_get(res, "items"), i, v) {
		int c, r;
		char e;

		cr_assert_eq(sscanf(json_string_value(v), "%d-%d-%c", &c, &r,
				    &e),
			     3);
		cr_assert(!seen[(c * ROUNDS + r) * 2 + (e == 'b')],
			  "%s popped and still there", json_string_value(v));
		seen[(c * ROUNDS + r) * 2 + (e == 'b')] = 1;
		total++;
	}
	cr_assert_eq(total, NCLIENTS * ROUNDS * 2);
	json_decref(res);
	free(seen);
	free(buf);
	test_hang_up(a);
	/* It stops cleanly with a list full of items. */
	mpdd_stop(&d);
}

/* Members of an answer that say who and when: want takes got's. */
static void adopt(json_t *want, json_t *got)
{
	static const char *const varies[] = { "uid", "gid", "owner", "since" };
	const char *key;
	json_t *w;
	size_t i;

	if (json_is_array(want) && json_is_array(got)) {
		json_array_foreach (want, i, w)
			adopt(w, json_array_get(got, i));
		return;
	}
	if (!json_is_object(want) || !json_is_object(got))
		return;
	for (i = 0; i < sizeof(varies) / sizeof(varies[0]); i++)
		if (json_object_get(want, varies[i]) != NULL &&
		    json_object_get(got, varies[i]) != NULL)
			json_object_set(want, varies[i],
					json_object_get(got, varies[i]));
	json_object_foreach (want, key, w)
		if (strcmp(key, "owner") != 0)
			adopt(w, json_object_get(got, key));
}

/* The examples of docs/protocol.md's "Shared lists", sent in order: the
 * daemon answers what they say, but for who and when (uid, gid, owner,
 * since). */
Test(list, the_protocol_examples_are_what_the_daemon_answers)
{
	const char *src = getenv("MPD_TEST_SRCDIR");
	char path[4096], text[8192];
	json_t *want = NULL;
	bool in = false;
	int a, n = 0;
	FILE *f;

	cr_assert_not_null(src, "MPD_TEST_SRCDIR is not set");
	snprintf(path, sizeof(path), "%s/docs/protocol.md", src);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	while (fgets(text, sizeof(text), f) != NULL) {
		json_t *got, *res;
		char *line;

		if (strncmp(text, "### ", 4) == 0)
			in = strcmp(text, "### Shared lists\n") == 0;
		if (!in)
			continue;
		text[strcspn(text, "\n")] = '\0';
		if (strncmp(text, "→ ", strlen("→ ")) == 0) {
			test_send_str(a, text + strlen("→ "));
			test_send_str(a, "\n");
			continue;
		}
		if (strncmp(text, "← ", strlen("← ")) != 0)
			continue;
		want = test_json(text + strlen("← "));
		line = test_read_line(a, TEST_TIMEOUT_MS);
		got = test_json(line);
		free(line);
		res = json_object_get(got, "result");
		cr_assert_not_null(res, "%s: no result", text);
		adopt(want, got);
		cr_assert(json_equal(got, want), "the daemon answered %s",
			  json_dumps(got, JSON_COMPACT));
		json_decref(got);
		json_decref(want);
		n++;
	}
	fclose(f);
	cr_assert(n >= 13, "only %d examples", n);
	test_hang_up(a);
}
