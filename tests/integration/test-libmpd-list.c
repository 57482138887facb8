/*
 * test-libmpd-list.c - libmpd's shared lists: the mpd_list_* functions
 * against a real mpdd (the binary this build produced).
 *
 * Round trips of every function; slices with MPD_LIST_NONE and with
 * bounds past what the daemon takes (clamped, selecting the same);
 * the daemon's refusals as their MPD_E_* codes with err->data, and
 * out-parameters left alone on failure; bad arguments refused with
 * MPD_E_INVAL before anything is sent (the list is unchanged, the
 * client still usable); the mode option reaching the daemon, and a
 * second uid (nobody, in a child) refused a list that is not shared with
 * it; a reply larger than max_output as MPD_E_LIMIT.
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

#include "harness.h"
#include "libmpd-test.h"
#include "mpd.h"

/* One timeout for the suite (see test-libmpd-broker.c). */
#define SUITE_TIMEOUT 60

/* A value nested one level deeper than the daemon keeps. */
#define TOO_DEEP 2045

TestSuite(list, .init = start, .fini = teardown, .timeout = SUITE_TIMEOUT);

/* A new JSON value of text. */
static json_t *js(const char *text)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);

	cr_assert_not_null(v, "bad test JSON %s", text);
	return v;
}

/* The whole of list name must be the JSON text want. */
static void assert_list(const char *name, const char *want)
{
	json_t *items = NULL;

	OK(mpd_list_get_slice(c, name, MPD_LIST_NONE, MPD_LIST_NONE,
			      MPD_LIST_NONE, &items, &err));
	assert_json(items, want);
}

/* The length the last call that changed a list left. */
static json_int_t last_length(void)
{
	return member_int(mpd_last_result(c), "length");
}

Test(list, every_function_round_trips)
{
	struct mpd_list_options o = { 0 };
	json_t *v = NULL, *info = NULL, *list = NULL, *tmp;
	size_t n = 0;

	o.items = js("[1,2,3]");
	OK(mpd_list_create(c, "L", &o, &err));
	cr_assert(json_is_true(json_object_get(mpd_last_result(c), "created")));
	json_decref(o.items);
	tmp = js("{\"k\":[true]}");
	OK(mpd_list_append(c, "L", tmp, &err));
	json_decref(tmp);
	cr_assert_eq(last_length(), 4);
	tmp = js("[\"a\",null]");
	OK(mpd_list_extend(c, "L", tmp, &err));
	json_decref(tmp);
	cr_assert_eq(last_length(), 6);
	OK(mpd_list_get(c, "L", 3, &v, &err));
	assert_json(v, "{\"k\":[true]}");
	OK(mpd_list_get(c, "L", -2, &v, &err));
	assert_json(v, "\"a\"");
	OK(mpd_list_get_slice(c, "L", 1, -1, 2, &v, &err));
	assert_json(v, "[2,{\"k\":[true]}]");
	tmp = js("2.5");
	OK(mpd_list_set(c, "L", 0, tmp, &err));
	json_decref(tmp);
	tmp = js("[\"x\",\"y\",\"z\"]");
	OK(mpd_list_set_slice(c, "L", 1, 3, MPD_LIST_NONE, tmp, &err));
	json_decref(tmp);
	cr_assert_eq(last_length(), 7);
	assert_list("L", "[2.5,\"x\",\"y\",\"z\",{\"k\":[true]},\"a\",null]");
	OK(mpd_list_pop(c, "L", -1, &v, &err));
	assert_json(v, "null");
	OK(mpd_list_pop(c, "L", 0, &v, &err));
	assert_json(v, "2.5");
	tmp = js("\"first\"");
	OK(mpd_list_insert(c, "L", -100, tmp, &err));
	json_decref(tmp);
	tmp = js("{\"k\":[true]}");
	OK(mpd_list_remove(c, "L", tmp, &err));
	json_decref(tmp);
	cr_assert_eq(last_length(), 5);
	OK(mpd_list_len(c, "L", &n, &err));
	cr_assert_eq(n, 5);
	assert_list("L", "[\"first\",\"x\",\"y\",\"z\",\"a\"]");
	OK(mpd_list_info(c, "L", &info, &err));
	cr_assert_eq(member_int(info, "length"), 5);
	cr_assert_str_eq(member_str(info, "mode"), "owner");
	cr_assert_eq(member_int(info, "uid"), getuid());
	json_decref(info);
	OK(mpd_list_list(c, &list, &err));
	cr_assert_eq(json_array_size(list), 1);
	cr_assert_str_eq(member_str(json_array_get(list, 0), "name"), "L");
	json_decref(list);
	OK(mpd_list_clear(c, "L", &err));
	OK(mpd_list_len(c, "L", &n, &err));
	cr_assert_eq(n, 0);
	OK(mpd_list_delete(c, "L", &err));
	OK(mpd_list_list(c, &list, &err));
	assert_json(list, "[]");
}

Test(list, slices_take_none_and_bounds_past_the_daemon_s)
{
	struct mpd_list_options o = { .items = NULL };
	json_t *v = NULL, *items;

	o.items = js("[0,1,2,3,4,5]");
	OK(mpd_list_create(c, "L", &o, &err));
	json_decref(o.items);
	OK(mpd_list_get_slice(c, "L", MPD_LIST_NONE, MPD_LIST_NONE, -1, &v,
			      &err));
	assert_json(v, "[5,4,3,2,1,0]");
	OK(mpd_list_get_slice(c, "L", MPD_LIST_NONE, 2, MPD_LIST_NONE, &v,
			      &err));
	assert_json(v, "[0,1]");
	OK(mpd_list_get_slice(c, "L", INT64_MIN + 1, INT64_MAX, MPD_LIST_NONE,
			      &v, &err));
	assert_json(v, "[0,1,2,3,4,5]");
	OK(mpd_list_get_slice(c, "L", INT64_MAX, MPD_LIST_NONE, INT64_MIN + 1,
			      &v, &err));
	assert_json(v, "[5]");
	OK(mpd_list_get_slice(c, "L", -2, MPD_LIST_NONE, MPD_LIST_NONE, &v,
			      &err));
	assert_json(v, "[4,5]");
	/* Inserted past the end, and before the start. */
	items = js("6");
	OK(mpd_list_insert(c, "L", INT64_MAX, items, &err));
	OK(mpd_list_insert(c, "L", INT64_MIN, items, &err));
	json_decref(items);
	assert_list("L", "[6,0,1,2,3,4,5,6]");
	items = js("[\"a\",\"b\",\"c\",\"d\"]");
	OK(mpd_list_set_slice(c, "L", MPD_LIST_NONE, MPD_LIST_NONE, 2, items,
			      &err));
	json_decref(items);
	assert_list("L", "[\"a\",0,\"b\",2,\"c\",4,\"d\",6]");
	items = js("[]");
	OK(mpd_list_set_slice(c, "L", 1, MPD_LIST_NONE, MPD_LIST_NONE, items,
			      &err));
	json_decref(items);
	assert_list("L", "[\"a\"]");
}

Test(list, refusals_come_back_as_codes_with_their_data)
{
	struct mpd_list_options o = { 0 };
	json_t *v = SENTINEL, *one = json_integer(1);
	size_t n = 77;

	FAILS(mpd_list_len(c, "nope", &n, &err), MPD_E_NOT_FOUND);
	cr_assert_eq(n, 77);
	o.items = js("[1,2,3]");
	OK(mpd_list_create(c, "L", &o, &err));
	FAILS(mpd_list_create(c, "L", NULL, &err), MPD_E_EXISTS);
	o.exist_ok = 1;
	OK(mpd_list_create(c, "L", &o, &err));
	cr_assert(
		json_is_false(json_object_get(mpd_last_result(c), "created")));
	json_decref(o.items);
	FAILS(mpd_list_get(c, "L", 3, &v, &err), MPD_E_INVALID_PARAMS);
	cr_assert_eq(v, SENTINEL);
	cr_assert_str_eq(member_str(err.data, "reason"), "out_of_range");
	cr_assert_eq(member_int(err.data, "index"), 3);
	cr_assert_eq(member_int(err.data, "length"), 3);
	/* An index past what the daemon takes: its limit, out of range. */
	FAILS(mpd_list_pop(c, "L", INT64_MIN, &v, &err), MPD_E_INVALID_PARAMS);
	cr_assert_eq(member_int(err.data, "index"), -9007199254740991LL);
	FAILS(mpd_list_set(c, "L", 9, one, &err), MPD_E_INVALID_PARAMS);
	json_decref(one);
	one = json_integer(7);
	FAILS(mpd_list_remove(c, "L", one, &err), MPD_E_INVALID_PARAMS);
	cr_assert_str_eq(member_str(err.data, "reason"), "not_in_list");
	FAILS(mpd_list_set_slice(c, "L", MPD_LIST_NONE, MPD_LIST_NONE, -1, one,
				 &err),
	      MPD_E_INVAL);
	OK(mpd_list_clear(c, "L", &err));
	FAILS(mpd_list_pop(c, "L", -1, &v, &err), MPD_E_EMPTY);
	cr_assert_eq(v, SENTINEL);
	json_decref(one);
}

Test(list, bad_arguments_are_inval_and_unsent)
{
	json_t *v = NULL, *one = json_integer(1), *deep, *arr, *items;
	struct mpd_list_options o = { 0 };
	size_t n;

	OK(mpd_list_create(c, "L", NULL, &err));
	deep = json_array();
	for (int i = 1; i < TOO_DEEP; i++) {
		json_t *outer = json_array();

		json_array_append_new(outer, deep);
		deep = outer;
	}
	FAILS(mpd_list_create(c, NULL, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_list_create(c, "", NULL, &err), MPD_E_INVAL);
	FAILS(mpd_list_create(c, "\xff", NULL, &err), MPD_E_INVAL);
	o.mode = (enum mpd_chan_mode)7;
	FAILS(mpd_list_create(c, "M", &o, &err), MPD_E_INVAL);
	o.mode = MPD_CHAN_OWNER;
	o.items = one;
	FAILS(mpd_list_create(c, "M", &o, &err), MPD_E_INVAL);
	FAILS(mpd_list_append(c, "L", NULL, &err), MPD_E_INVAL);
	FAILS(mpd_list_append(c, "L", deep, &err), MPD_E_INVAL);
	FAILS(mpd_list_insert(c, "L", 0, deep, &err), MPD_E_INVAL);
	FAILS(mpd_list_set(c, "L", 0, deep, &err), MPD_E_INVAL);
	FAILS(mpd_list_extend(c, "L", one, &err), MPD_E_INVAL);
	FAILS(mpd_list_extend(c, "L", NULL, &err), MPD_E_INVAL);
	arr = json_array();
	json_array_append(arr, deep);
	FAILS(mpd_list_extend(c, "L", arr, &err), MPD_E_INVAL);
	json_decref(arr);
	FAILS(mpd_list_get(c, "L", 0, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_list_pop(c, "L", -1, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_list_len(c, "L", NULL, &err), MPD_E_INVAL);
	FAILS(mpd_list_info(c, "L", NULL, &err), MPD_E_INVAL);
	FAILS(mpd_list_list(c, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_list_get_slice(c, "L", 0, 1, 0, &v, &err), MPD_E_INVAL);
	items = js("[]");
	FAILS(mpd_list_set_slice(c, "L", 0, 1, 0, items, &err), MPD_E_INVAL);
	json_decref(items);
	FAILS(mpd_list_remove(c, NULL, one, &err), MPD_E_INVAL);
	FAILS(mpd_list_clear(c, "", &err), MPD_E_INVAL);
	FAILS(mpd_list_delete(c, NULL, &err), MPD_E_INVAL);
	/* Nothing reached the list; the client is still usable. */
	OK(mpd_list_len(c, "L", &n, &err));
	cr_assert_eq(n, 0);
	json_decref(deep);
	json_decref(one);
}

/* In a child running as nobody: private refused, open usable and the
 * only one listed. Exit status 0, or the number of the check that
 * failed. */
static int as_nobody(const char *socket)
{
	struct mpd_client *cl = NULL;
	struct mpd_error e;
	json_t *v = NULL, *list = NULL;

	if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
		return 1;
	if (mpd_connect(&cl, socket, &e) != 0)
		return 2;
	if (mpd_list_get(cl, "private", 0, &v, &e) != MPD_E_PERMISSION_DENIED)
		return 3;
	if (mpd_list_delete(cl, "open", &e) != MPD_E_PERMISSION_DENIED)
		return 4;
	if (mpd_list_pop(cl, "open", -1, &v, &e) != 0 ||
	    json_integer_value(v) != 2)
		return 5;
	json_decref(v);
	if (mpd_list_list(cl, &list, &e) != 0 || json_array_size(list) != 1)
		return 6;
	json_decref(list);
	mpd_close(cl);
	return 0;
}

Test(list, the_mode_says_who_else_may_use_a_list)
{
	struct mpd_list_options o = { .mode = MPD_CHAN_EVERYONE };
	json_t *info = NULL;
	int status;
	pid_t pid;

	if (getuid() != 0)
		cr_skip_test("needs root to switch to nobody");
	cr_assert(chmod(d.dir, 0755) == 0 && chmod(d.socket, 0666) == 0);
	o.items = js("[1,2]");
	OK(mpd_list_create(c, "open", &o, &err));
	OK(mpd_list_info(c, "open", &info, &err));
	cr_assert_str_eq(member_str(info, "mode"), "everyone");
	json_decref(info);
	o.mode = MPD_CHAN_OWNER;
	OK(mpd_list_create(c, "private", &o, &err));
	json_decref(o.items);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(as_nobody(d.socket));
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "check %d failed as nobody", WEXITSTATUS(status));
	assert_list("open", "[1]");
	assert_list("private", "[1,2]");
}

TestSuite(list_limits, .fini = teardown, .timeout = SUITE_TIMEOUT);

Test(list_limits, a_reply_past_max_output_is_limit_and_takes_nothing)
{
	static const char *const extra[] = { "--max-output", "4096", NULL };
	char text[3000];
	json_t *s, *v = SENTINEL;
	size_t n = 0;

	mpdd_start(&d, extra);
	c = connect_ok(d.socket);
	OK(mpd_list_create(c, "L", NULL, &err));
	memset(text, 's', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	s = json_string(text);
	OK(mpd_list_append(c, "L", s, &err));
	OK(mpd_list_append(c, "L", s, &err));
	json_decref(s);
	FAILS(mpd_list_get_slice(c, "L", MPD_LIST_NONE, MPD_LIST_NONE,
				 MPD_LIST_NONE, &v, &err),
	      MPD_E_LIMIT);
	cr_assert_eq(v, SENTINEL);
	cr_assert_str_eq(member_str(err.data, "limit"), "max_output");
	OK(mpd_list_pop(c, "L", -1, &v, &err));
	cr_assert_eq(json_string_length(v), sizeof(text) - 1);
	json_decref(v);
	OK(mpd_list_len(c, "L", &n, &err));
	cr_assert_eq(n, 1);
}
