/*
 * test-libmpd-pool.c - libmpd's pools: the mpd_pool_* calls against a
 * real mpdd.
 *
 * Function pools run the daemon tests' task functions ($MPD_POOL_MODULE:
 * square, fail_message, fail_value, kill_self, worker_pid, sleep_then)
 * and this file's ($MPD_POOL_CLIENT_MODULE: big_string, wait_file,
 * fail_on). The order tasks finish in is decided by the test, never by
 * how long they take: wait_file tasks end when the test makes their file.
 * Every call is checked for its result and for its errors, those found
 * before anything is sent (the client stays usable) and the daemon's.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"
#include "libmpd-test.h"
#include "mpd.h"

/* One timeout for every suite in this file (see test-libmpd-broker.c). */
#define SUITE_TIMEOUT 120

static const char *pool_module(void)
{
	const char *m = getenv("MPD_POOL_MODULE");

	cr_assert_not_null(m, "MPD_POOL_MODULE is not set");
	return m;
}

static const char *client_module(void)
{
	const char *m = getenv("MPD_POOL_CLIENT_MODULE");

	cr_assert_not_null(m, "MPD_POOL_CLIENT_MODULE is not set");
	return m;
}

/* A function pool of module's function, n workers. */
static void make_pool(const char *name, const char *module,
		      const char *function, int n)
{
	struct mpd_pool_options o = { .processes = n,
				      .module = module,
				      .function = function };

	OK(mpd_pool_create(c, name, &o, NULL, &err));
}

/* Submit one task of function (NULL: the pool's) on args (stolen). */
static int64_t submit1(const char *name, const char *function, json_t *args)
{
	struct mpd_task t = { .function = function, .args = args };
	int64_t id = INT_SENTINEL;

	OK(mpd_pool_submit(c, name, &t, 1, &id, &err));
	cr_assert_geq(id, 1);
	json_decref(args);
	return id;
}

/* The outcome of task id, waiting for it. */
static void get(const char *name, int64_t id, struct mpd_task_result *r)
{
	OK(mpd_pool_get(c, name, id, -1, r, &err));
	cr_assert_eq(r->id, id);
}

/* A path in the test's temp dir (malloc'd). */
static char *path_of(const char *file)
{
	return test_in_dir(&d, file);
}

/* Make the file that a wait_file task waits for. */
static void release(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0600);

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	close(fd);
}

/* wait_file's args: {"path": dir/file, "value": value}. */
static json_t *gate(const char *file, json_int_t value)
{
	char *p = path_of(file);
	json_t *a = json_pack("{s:s, s:I}", "path", p, "value", value);

	free(p);
	return a;
}

TestSuite(libmpd_pool, .init = start, .fini = teardown,
	  .timeout = SUITE_TIMEOUT);

Test(libmpd_pool, create_makes_a_function_pool_that_info_and_list_show)
{
	struct mpd_pool_options o = { .processes = 2,
				      .module = pool_module(),
				      .function = "square",
				      .retries = 1 };
	json_t *info = NULL, *list = NULL, *row = NULL;
	size_t i;

	OK(mpd_pool_create(c, "sq", &o, &info, &err));
	cr_assert_str_eq(member_str(info, "name"), "sq");
	cr_assert_str_eq(member_str(info, "kind"), "function");
	cr_assert_str_eq(member_str(info, "state"), "open");
	cr_assert_eq(member_int(info, "processes"), 2);
	cr_assert_eq(member_int(info, "retries"), 1);
	cr_assert_str_eq(member_str(info, "function"), "square");
	cr_assert(json_is_true(json_object_get(info, "created")));
	json_decref(info);

	info = SENTINEL;
	FAILS(mpd_pool_create(c, "sq", &o, &info, &err), MPD_E_EXISTS);
	cr_assert_eq(info, SENTINEL);
	o.exist_ok = 1;
	OK(mpd_pool_create(c, "sq", &o, &info, &err));
	cr_assert(!json_is_true(json_object_get(info, "created")));
	json_decref(info);

	OK(mpd_pool_info(c, "sq", &info, &err));
	cr_assert_str_eq(member_str(info, "module"), pool_module());
	json_decref(info);
	OK(mpd_pool_list(c, &list, &err));
	json_array_foreach (list, i, row)
		if (strcmp(member_str(row, "name"), "sq") == 0)
			break;
	cr_assert_lt(i, json_array_size(list), "pool.list lacks sq");
	cr_assert_str_eq(member_str(row, "kind"), "function");
	json_decref(list);
	FAILS(mpd_pool_info(c, "no-such", &info, &err), MPD_E_NOT_FOUND);
}

Test(libmpd_pool, bad_arguments_are_refused_before_anything_is_sent)
{
	struct mpd_pool_options o = { 0 };
	struct mpd_task t = { 0 };
	struct mpd_pool_query q = { .first = 1 };
	struct mpd_task_result *res = (void *)SENTINEL, r;
	struct mpd_pool_iter *it = (void *)SENTINEL;
	int64_t id = INT_SENTINEL, ids[1] = { 0 };
	const char *argv[] = { "true", NULL }, *empty[] = { NULL };
	size_t n = 77;
	json_t *j = NULL;

	FAILS(mpd_pool_create(c, NULL, NULL, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_pool_create(c, "", NULL, NULL, &err), MPD_E_INVAL);
	o.processes = -1;
	FAILS(mpd_pool_create(c, "p", &o, NULL, &err), MPD_E_INVAL);
	o.processes = MPD_POOL_MAX_PROCESSES + 1;
	FAILS(mpd_pool_create(c, "p", &o, NULL, &err), MPD_E_INVAL);
	o = (struct mpd_pool_options){ .retries = 101 };
	FAILS(mpd_pool_create(c, "p", &o, NULL, &err), MPD_E_INVAL);
	o = (struct mpd_pool_options){ .function = "square" };
	FAILS(mpd_pool_create(c, "p", &o, NULL, &err), MPD_E_INVAL);
	o = (struct mpd_pool_options){ .timeout = NAN };
	FAILS(mpd_pool_create(c, "p", &o, NULL, &err), MPD_E_INVAL);
	o = (struct mpd_pool_options){ .timeout = -1 };
	FAILS(mpd_pool_create(c, "p", &o, NULL, &err), MPD_E_INVAL);
	o = (struct mpd_pool_options){ 0 };
	o.stdio[0].mode = MPD_STDIO_NULL;
	FAILS(mpd_pool_create(c, "p", &o, NULL, &err), MPD_E_INVAL);
	o = (struct mpd_pool_options){ 0 };
	o.stdio[1].mode = MPD_STDIO_CAPTURE;
	FAILS(mpd_pool_create(c, "p", &o, NULL, &err), MPD_E_INVAL);

	FAILS(mpd_pool_submit(c, "p", NULL, 1, &id, &err), MPD_E_INVAL);
	FAILS(mpd_pool_submit(c, "p", &t, 0, &id, &err), MPD_E_INVAL);
	FAILS(mpd_pool_submit(c, "p", &t, MPD_POOL_SUBMIT_MAX + 1, &id, &err),
	      MPD_E_INVAL);
	t.argv = empty;
	FAILS(mpd_pool_submit(c, "p", &t, 1, &id, &err), MPD_E_INVAL);
	t.argv = argv;
	t.function = "square";
	FAILS(mpd_pool_submit(c, "p", &t, 1, &id, &err), MPD_E_INVAL);
	t = (struct mpd_task){ .function = "square" };
	t.stdio[1].mode = MPD_STDIO_NULL;
	FAILS(mpd_pool_submit(c, "p", &t, 1, &id, &err), MPD_E_INVAL);
	cr_assert_eq(id, INT_SENTINEL);

	FAILS(mpd_pool_result(c, "p", NULL, -1, &res, &n, NULL, &err),
	      MPD_E_INVAL);
	FAILS(mpd_pool_result(c, "p", &q, NAN, &res, &n, NULL, &err),
	      MPD_E_INVAL);
	q.order = 7;
	FAILS(mpd_pool_result(c, "p", &q, -1, &res, &n, NULL, &err),
	      MPD_E_INVAL);
	q = (struct mpd_pool_query){ .first = 0 };
	FAILS(mpd_pool_result(c, "p", &q, -1, &res, &n, NULL, &err),
	      MPD_E_INVAL);
	q = (struct mpd_pool_query){ .ids = ids, .nids = 1 };
	FAILS(mpd_pool_result(c, "p", &q, -1, &res, &n, NULL, &err),
	      MPD_E_INVAL);
	q.nids = MPD_POOL_RESULT_IDS_MAX + 1;
	FAILS(mpd_pool_result(c, "p", &q, -1, &res, &n, NULL, &err),
	      MPD_E_INVAL);
	q = (struct mpd_pool_query){ .first = 1 };
	FAILS(mpd_pool_result(c, "p", &q, -1, NULL, &n, NULL, &err),
	      MPD_E_INVAL);
	cr_assert_eq(res, (void *)SENTINEL);
	cr_assert_eq(n, 77);
	FAILS(mpd_pool_get(c, "p", 1, -1, NULL, &err), MPD_E_INVAL);

	j = json_object();
	FAILS(mpd_pool_map(c, "p", NULL, j, 0, 0, &j, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_pool_map(c, "p", NULL, NULL, 0, 0, &j, NULL, &err),
	      MPD_E_INVAL);
	json_decref(j);
	FAILS(mpd_pool_iter_new(c, "p", 0, 1, MPD_POOL_ORDER_SUBMISSION, &it,
				&err),
	      MPD_E_INVAL);
	FAILS(mpd_pool_iter_new(c, "p", 1, 0, MPD_POOL_ORDER_SUBMISSION, &it,
				&err),
	      MPD_E_INVAL);
	FAILS(mpd_pool_iter_new(c, "p", 1, 1, MPD_POOL_ORDER_ALL, &it, &err),
	      MPD_E_INVAL);
	cr_assert_eq(it, (void *)SENTINEL);
	FAILS(mpd_pool_iter_next(NULL, -1, &r, &err), MPD_E_INVAL);
	FAILS(mpd_pool_join(c, "p", NAN, &err), MPD_E_INVAL);
	FAILS(mpd_pool_info(c, "p", NULL, &err), MPD_E_INVAL);
	FAILS(mpd_pool_list(c, NULL, &err), MPD_E_INVAL);
	/* Nothing of it reached the daemon: the client is in step. */
	OK(mpd_ping(c, &err));
	FAILS(mpd_pool_info(c, "p", &j, &err), MPD_E_NOT_FOUND);
}

Test(libmpd_pool, submitted_tasks_give_their_results_by_id)
{
	struct mpd_task tasks[3] = { 0 };
	struct mpd_task_result r;
	int64_t first = 0;

	make_pool("sq", pool_module(), "square", 2);
	for (int i = 0; i < 3; i++)
		tasks[i].args = json_integer(i + 2);
	OK(mpd_pool_submit(c, "sq", tasks, 3, &first, &err));
	for (int i = 0; i < 3; i++)
		json_decref(tasks[i].args);
	cr_assert_eq(first, 1);
	for (int i = 2; i >= 0; i--) {
		get("sq", first + i, &r);
		cr_assert_eq(r.done, 1);
		cr_assert_eq(json_integer_value(r.result), (i + 2) * (i + 2));
		cr_assert_null(r.error.data);
		mpd_task_result_clear(&r);
		cr_assert_null(r.result);
	}
	/* Handed out once: fetched again, it is no more. */
	FAILS(mpd_pool_get(c, "sq", first, 0, &r, &err), MPD_E_NOT_FOUND);
	/* Never submitted: the daemon's invalid_params. */
	FAILS(mpd_pool_get(c, "sq", 99, 0, &r, &err), MPD_E_INVALID_PARAMS);
	FAILS(mpd_pool_get(c, "none", 1, 0, &r, &err), MPD_E_NOT_FOUND);
}

Test(libmpd_pool, a_failed_task_carries_its_code_message_and_data)
{
	struct mpd_task_result r;
	int64_t id;

	make_pool("f", pool_module(), "fail_message", 1);
	id = submit1("f", NULL, json_integer(5));
	get("f", id, &r);
	cr_assert_eq(r.done, 0);
	cr_assert_null(r.result);
	cr_assert_eq(r.error.code, MPD_E_TASK_FAILED);
	cr_assert_str_eq(r.error.name, "task_failed");
	cr_assert_str_eq(r.error.message, "failed on 5");
	cr_assert_eq(member_int(r.error.data, "return"), 1);
	mpd_task_result_clear(&r);

	id = submit1("f", "fail_value", json_string("v"));
	get("f", id, &r);
	cr_assert_eq(r.done, 0);
	cr_assert_eq(r.error.code, MPD_E_TASK_FAILED);
	cr_assert_eq(member_int(r.error.data, "return"), 7);
	assert_json(json_incref(json_object_get(r.error.data, "value")),
		    "{\"arg\":\"v\"}");
	mpd_task_result_clear(&r);
}

Test(libmpd_pool, apply_returns_the_result_or_the_task_s_error)
{
	struct mpd_task t = { .args = json_integer(7) };
	json_t *res = NULL;

	make_pool("sq", pool_module(), "square", 1);
	OK(mpd_pool_apply(c, "sq", &t, &res, &err));
	assert_json(res, "49");
	json_decref(t.args);

	t.function = "fail_message";
	t.args = json_string("x");
	res = SENTINEL;
	FAILS(mpd_pool_apply(c, "sq", &t, &res, &err), MPD_E_TASK_FAILED);
	cr_assert_eq(res, SENTINEL);
	cr_assert_str_eq(err.message, "failed on \"x\"");
	cr_assert_eq(member_int(err.data, "return"), 1);
	FAILS(mpd_pool_apply(c, "none", &t, &res, &err), MPD_E_NOT_FOUND);
	json_decref(t.args);
}

/* Assert that pool name keeps no outcome of any task submitted. */
static void assert_nothing_kept(const char *name)
{
	json_t *info = NULL;
	struct mpd_pool_query q = { .first = 1 };
	struct mpd_task_result *res = NULL;
	size_t n = 9, rem = 9;

	OK(mpd_pool_info(c, name, &info, &err));
	q.count =
		(size_t)member_int(json_object_get(info, "tasks"), "submitted");
	json_decref(info);
	OK(mpd_pool_result(c, name, &q, 0, &res, &n, &rem, &err));
	cr_assert_eq(n, 0);
	cr_assert_eq(rem, 0);
	cr_assert_null(res);
}

/* Check that the outcomes of map items 0..n-1 under function square are
 * the squares, in order. */
static void assert_squares(json_t *results, size_t n)
{
	cr_assert_eq(json_array_size(results), n);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(json_integer_value(json_array_get(results, i)),
			     (json_int_t)(i * i), "item %zu", i);
}

Test(libmpd_pool, map_returns_every_result_in_order_for_any_chunksize)
{
	static const size_t sizes[] = { 0, 1, 7, 100, 1000 };
	json_t *items = json_array(), *results = NULL, *info = NULL;

	make_pool("sq", pool_module(), "square", 3);
	for (int i = 0; i < 100; i++)
		json_array_append_new(items, json_integer(i));
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		OK(mpd_pool_map(c, "sq", NULL, items, sizes[k], 0, &results,
				NULL, &err));
		assert_squares(results, 100);
		json_decref(results);
	}
	/* Nothing of the maps is left in the pool. */
	assert_nothing_kept("sq");
	json_decref(info);
	json_decref(items);
	/* No items: no task, no result. */
	items = json_array();
	OK(mpd_pool_map(c, "sq", NULL, items, 0, 0, &results, NULL, &err));
	assert_json(results, "[]");
	json_decref(items);
}

Test(libmpd_pool, map_async_numbers_the_chunks)
{
	json_t *items = json_pack("[i,i,i,i,i]", 1, 2, 3, 4, 5);
	struct mpd_task_result r;
	size_t count = 0, cs = 0;
	int64_t first = 0;

	make_pool("sq", pool_module(), "square", 2);
	OK(mpd_pool_map_async(c, "sq", NULL, items, 2, 0, &first, &count, &cs,
			      &err));
	cr_assert_eq(first, 1);
	cr_assert_eq(count, 3);
	cr_assert_eq(cs, 2);
	get("sq", 3, &r);
	assert_json(json_incref(r.result), "[25]");
	mpd_task_result_clear(&r);
	json_decref(items);
}

Test(libmpd_pool, map_fetches_large_results_in_batches_that_fit)
{
	static const char *const extra[] = { "--max-output", "65536", NULL };
	json_t *items = json_array(), *results = NULL, *v;
	size_t i;

	/* A daemon that holds 64 KiB of replies: 300 results of 1000 bytes
	 * need several fetches, sized from the first answers. */
	mpd_close(c);
	mpdd_stop(&d);
	mpdd_start(&d, extra);
	c = connect_ok(d.socket);
	make_pool("big", client_module(), "big_string", 2);
	for (i = 0; i < 300; i++)
		json_array_append_new(items, json_integer(1000 + (int)i));
	OK(mpd_pool_map(c, "big", NULL, items, 1, 0, &results, NULL, &err));
	cr_assert_eq(json_array_size(results), 300);
	json_array_foreach (results, i, v) {
		cr_assert_eq(json_string_length(v), 1000 + i);
		cr_assert_eq(json_string_value(v)[999], 'x');
	}
	json_decref(results);
	/* One chunk of results larger than the room: limit. */
	results = SENTINEL;
	FAILS(mpd_pool_map(c, "big", NULL, items, 300, 0, &results, NULL, &err),
	      MPD_E_LIMIT);
	cr_assert_eq(results, SENTINEL);
	json_decref(items);
}

Test(libmpd_pool, map_reports_the_lowest_failing_item_and_leaves_nothing)
{
	json_t *items = json_array(), *results = SENTINEL, *info = NULL;
	size_t index = 77;

	make_pool("f", client_module(), "fail_on", 2);
	for (int i = 0; i < 20; i++)
		json_array_append_new(items,
				      json_pack("[i,b]", i, i == 9 || i == 15));
	FAILS(mpd_pool_map(c, "f", NULL, items, 4, 0, &results, &index, &err),
	      MPD_E_TASK_FAILED);
	cr_assert_eq(results, SENTINEL);
	cr_assert_eq(index, 9);
	cr_assert_str_eq(err.message, "no 9");
	cr_assert_eq(member_int(err.data, "index"), 9);
	cr_assert_eq(member_int(err.data, "return"), 3);
	/* Every chunk was fetched, the failed ones too. */
	assert_nothing_kept("f");
	json_decref(info);
	json_decref(items);
}

/* Three wait_file tasks (gates a, b, c: values 1, 2, 3) on pool "g". */
static int64_t three_gated(void)
{
	struct mpd_task t[3] = { { .args = gate("a", 1) },
				 { .args = gate("b", 2) },
				 { .args = gate("c", 3) } };
	int64_t first = 0;

	make_pool("g", client_module(), "wait_file", 3);
	OK(mpd_pool_submit(c, "g", t, 3, &first, &err));
	for (int i = 0; i < 3; i++)
		json_decref(t[i].args);
	return first;
}

/* Release gate file, then take the iterator's next outcome: value want,
 * of task id. */
static void release_and_next(struct mpd_pool_iter *it, const char *file,
			     int64_t id, json_int_t want)
{
	struct mpd_task_result r;
	char *p = path_of(file);

	release(p);
	free(p);
	IS(mpd_pool_iter_next(it, -1, &r, &err), 1);
	cr_assert_eq(r.id, id);
	cr_assert_eq(r.done, 1);
	cr_assert_eq(json_integer_value(r.result), want);
	mpd_task_result_clear(&r);
}

Test(libmpd_pool, the_completion_iterator_follows_the_order_tasks_end)
{
	struct mpd_pool_iter *it = NULL;
	struct mpd_task_result r;
	int64_t first = three_gated();

	OK(mpd_pool_iter_new(c, "g", first, 3, MPD_POOL_ORDER_COMPLETION, &it,
			     &err));
	/* Nothing has ended: a timeout, and the iteration goes on. */
	FAILS(mpd_pool_iter_next(it, 0, &r, &err), MPD_E_TIMEOUT);
	release_and_next(it, "b", first + 1, 2);
	release_and_next(it, "c", first + 2, 3);
	release_and_next(it, "a", first, 1);
	IS(mpd_pool_iter_next(it, -1, &r, &err), 0);
	mpd_pool_iter_free(it);
}

Test(libmpd_pool, the_submission_iterator_follows_the_ids)
{
	struct mpd_pool_iter *it = NULL;
	struct mpd_task_result r;
	int64_t first = three_gated();
	char *p = path_of("c");

	OK(mpd_pool_iter_new(c, "g", first, 3, MPD_POOL_ORDER_SUBMISSION, &it,
			     &err));
	/* c ends first, but a is next: still nothing to hand out. */
	release(p);
	free(p);
	FAILS(mpd_pool_iter_next(it, 0.2, &r, &err), MPD_E_TIMEOUT);
	release_and_next(it, "a", first, 1);
	release_and_next(it, "b", first + 1, 2);
	IS(mpd_pool_iter_next(it, -1, &r, &err), 1);
	cr_assert_eq(r.id, first + 2);
	mpd_task_result_clear(&r);
	IS(mpd_pool_iter_next(it, -1, &r, &err), 0);
	mpd_pool_iter_free(it);
}

Test(libmpd_pool, imap_hands_out_one_outcome_per_item)
{
	static const enum mpd_pool_order orders[] = {
		MPD_POOL_ORDER_SUBMISSION, MPD_POOL_ORDER_COMPLETION
	};
	json_t *items = json_array();
	struct mpd_pool_iter *it;
	struct mpd_task_result r;
	bool seen[23];
	int k;

	make_pool("f", client_module(), "fail_on", 2);
	for (int i = 0; i < 23; i++)
		json_array_append_new(items, json_pack("[i,b]", i, i == 13));
	for (size_t o = 0; o < 2; o++) {
		it = NULL;
		OK(mpd_pool_imap(c, "f", NULL, items, 5, 0, orders[o], &it,
				 &err));
		memset(seen, 0, sizeof(seen));
		/* 23 items in chunks of 5: items 10-14 are one failed
		 * outcome at 13. */
		for (k = 0; k < 19; k++) {
			IS(mpd_pool_iter_next(it, -1, &r, &err), 1);
			cr_assert_geq(r.index, 0);
			cr_assert_lt(r.index, 23);
			cr_assert(!seen[r.index], "item %lld twice",
				  (long long)r.index);
			seen[r.index] = true;
			if (orders[o] == MPD_POOL_ORDER_SUBMISSION)
				cr_assert_eq(r.index, k < 10 ? k :
						      k < 11 ? 13 :
							       k + 4);
			if (r.index == 13) {
				cr_assert_eq(r.done, 0);
				cr_assert_str_eq(r.error.name, "task_failed");
			} else {
				cr_assert_eq(r.done, 1);
				cr_assert_eq(json_integer_value(r.result),
					     r.index);
			}
			mpd_task_result_clear(&r);
		}
		IS(mpd_pool_iter_next(it, -1, &r, &err), 0);
		mpd_pool_iter_free(it);
	}
	json_decref(items);
}

Test(libmpd_pool, a_worker_that_dies_fails_its_task_naming_it_precisely)
{
	struct mpd_task_result r;
	json_int_t pid;
	json_t *info = NULL, *w;
	int64_t id, wid;

	make_pool("k", pool_module(), "worker_pid", 1);
	get("k", submit1("k", NULL, json_null()), &r);
	pid = json_integer_value(r.result);
	mpd_task_result_clear(&r);
	OK(mpd_pool_info(c, "k", &info, &err));
	w = json_array_get(json_object_get(info, "workers"), 0);
	wid = member_int(w, "id");
	cr_assert_eq(member_int(w, "pid"), pid);
	json_decref(info);

	id = submit1("k", "kill_self", json_null());
	get("k", id, &r);
	cr_assert_eq(r.done, 0);
	cr_assert_eq(r.error.code, MPD_E_WORKER_DIED);
	cr_assert_str_eq(r.error.name, "worker_died");
	cr_assert_eq(member_int(r.error.data, "worker"), wid);
	cr_assert_eq(member_int(r.error.data, "pid"), pid);
	cr_assert_str_eq(member_str(r.error.data, "signal"), "SIGKILL");
	cr_assert_eq(member_int(r.error.data, "exitcode"), -SIGKILL);
	cr_assert_eq(member_int(r.error.data, "attempts"), 1);
	mpd_task_result_clear(&r);

	/* Replaced: the next task runs, in another process. */
	get("k", submit1("k", NULL, json_null()), &r);
	cr_assert_eq(r.done, 1);
	cr_assert_neq(json_integer_value(r.result), pid);
	mpd_task_result_clear(&r);
}

Test(libmpd_pool, close_join_terminate_and_delete)
{
	struct mpd_task t = { .args = json_integer(3) };
	struct mpd_task_result r;
	int64_t id;

	make_pool("sq", pool_module(), "square", 1);
	FAILS(mpd_pool_join(c, "sq", 0, &err), MPD_E_INVALID_STATE);
	id = submit1("sq", NULL, json_integer(4));
	OK(mpd_pool_close(c, "sq", &err));
	FAILS(mpd_pool_submit(c, "sq", &t, 1, NULL, &err), MPD_E_INVALID_STATE);
	OK(mpd_pool_join(c, "sq", -1, &err));
	/* Its outcome outlives the workers. */
	get("sq", id, &r);
	cr_assert_eq(json_integer_value(r.result), 16);
	mpd_task_result_clear(&r);
	OK(mpd_pool_delete(c, "sq", &err));
	FAILS(mpd_pool_delete(c, "sq", &err), MPD_E_NOT_FOUND);
	FAILS(mpd_pool_close(c, "sq", &err), MPD_E_NOT_FOUND);
	FAILS(mpd_pool_terminate(c, "sq", &err), MPD_E_NOT_FOUND);
	json_decref(t.args);

	/* Terminated: running and queued tasks fail with terminated. */
	make_pool("g", client_module(), "wait_file", 1);
	id = submit1("g", NULL, gate("never", 1));
	submit1("g", NULL, gate("never", 2));
	FAILS(mpd_pool_join(c, "g", 0, &err), MPD_E_INVALID_STATE);
	OK(mpd_pool_close(c, "g", &err));
	FAILS(mpd_pool_join(c, "g", 0.1, &err), MPD_E_TIMEOUT);
	OK(mpd_pool_terminate(c, "g", &err));
	OK(mpd_pool_join(c, "g", -1, &err));
	for (int i = 0; i < 2; i++) {
		get("g", id + i, &r);
		cr_assert_eq(r.done, 0);
		cr_assert_eq(r.error.code, MPD_E_TERMINATED);
		cr_assert_str_eq(r.error.name, "terminated");
		mpd_task_result_clear(&r);
	}
}

/* What an asynchronous call's callback saw. */
struct seen {
	int calls, status;
	int64_t first;
	size_t n;
	json_int_t value;
	char name[32];
};

static void submit_seen(struct mpd_client *cl, int status, int64_t first,
			const struct mpd_error *e, void *arg)
{
	struct seen *s = arg;

	s->calls++;
	s->status = status;
	s->first = first;
	if (e != NULL)
		snprintf(s->name, sizeof(s->name), "%s", e->name);
}

static void result_seen(struct mpd_client *cl, int status,
			struct mpd_task_result *results, size_t n,
			size_t remaining, const struct mpd_error *e, void *arg)
{
	struct seen *s = arg;

	s->calls++;
	s->status = status;
	s->n = n;
	if (n > 0)
		s->value = json_integer_value(results[0].result);
	if (e != NULL)
		snprintf(s->name, sizeof(s->name), "%s", e->name);
}

/* Dispatch on c until the callback of s has run. */
static void dispatch_until(struct seen *s)
{
	struct mpd_wait_item w = { .kind = MPD_WAIT_CLIENT, .client = c };

	while (s->calls == 0) {
		IS(mpd_wait(&w, 1, TEST_TIMEOUT_MS / 1000.0, &err), 1);
		cr_assert_geq(mpd_dispatch(c, &err), 0, "%s", err.message);
	}
}

Test(libmpd_pool, submit_and_result_without_waiting)
{
	struct mpd_task t = { .args = json_integer(6) };
	struct mpd_pool_query q = { .order = MPD_POOL_ORDER_COMPLETION };
	struct seen s = { 0 }, rs = { 0 }, gone = { 0 };
	struct mpd_client *c2;

	make_pool("sq", pool_module(), "square", 1);
	OK(mpd_pool_submit_start(c, "sq", &t, 1, submit_seen, &s, &err));
	dispatch_until(&s);
	cr_assert_eq(s.status, 0);
	cr_assert_eq(s.first, 1);
	q.first = s.first;
	OK(mpd_pool_result_start(c, "sq", &q, -1, result_seen, &rs, &err));
	dispatch_until(&rs);
	cr_assert_eq(rs.status, 0);
	cr_assert_eq(rs.n, 1);
	cr_assert_eq(rs.value, 36);
	json_decref(t.args);

	/* A wait whose pool is deleted meanwhile: closed. */
	make_pool("g", client_module(), "wait_file", 1);
	q.first = submit1("g", NULL, gate("never", 1));
	OK(mpd_pool_result_start(c, "g", &q, -1, result_seen, &gone, &err));
	c2 = connect_ok(d.socket);
	OK(mpd_pool_delete(c2, "g", &err));
	mpd_close(c2);
	dispatch_until(&gone);
	cr_assert_eq(gone.status, MPD_E_CLOSED);
	cr_assert_str_eq(gone.name, "closed");

	/* The daemon's refusal comes to the callback. */
	memset(&s, 0, sizeof(s));
	t.args = NULL;
	OK(mpd_pool_submit_start(c, "none", &t, 1, submit_seen, &s, &err));
	dispatch_until(&s);
	cr_assert_eq(s.status, MPD_E_NOT_FOUND);
}

Test(libmpd_pool, result_waits_with_a_timeout_and_keep_leaves_outcomes)
{
	struct mpd_pool_query q = { .count = 2, .keep = 1 };
	struct mpd_task_result *res = NULL;
	size_t n = 0, rem = 99;
	int64_t first = three_gated();
	char *p;

	q.first = first;
	/* all: both must end; a times out while b waits. */
	FAILS(mpd_pool_result(c, "g", &q, 0.1, &res, &n, &rem, &err),
	      MPD_E_TIMEOUT);
	cr_assert_eq(rem, 99);
	p = path_of("a");
	release(p);
	free(p);
	p = path_of("b");
	release(p);
	free(p);
	OK(mpd_pool_result(c, "g", &q, -1, &res, &n, &rem, &err));
	cr_assert_eq(n, 2);
	cr_assert_eq(res[0].id, first);
	cr_assert_eq(res[1].id, first + 1);
	cr_assert_eq(res[1].index, 1);
	cr_assert_eq(rem, 2);
	mpd_task_results_free(res, n);
	/* Kept: they are there again, by ids this time. */
	q = (struct mpd_pool_query){ .ids = (int64_t[]){ first + 1, first },
				     .nids = 2,
				     .max = 1 };
	OK(mpd_pool_result(c, "g", &q, -1, &res, &n, &rem, &err));
	cr_assert_eq(n, 1);
	cr_assert_eq(rem, 1);
	mpd_task_results_free(res, n);
}

Test(libmpd_pool, a_program_pool_runs_argv_tasks_with_passed_stdio)
{
	struct mpd_pool_options o = { .processes = 2 };
	const char *echo[] = { "echo", "hello", NULL };
	const char *fail[] = { "sh", "-c", "exit 3", NULL };
	const char *none[] = { "/no/such/program", NULL };
	struct mpd_task t[3] = { { .argv = echo },
				 { .argv = fail },
				 { .argv = none } };
	struct mpd_task many[9];
	struct mpd_task_result r;
	char buf[64] = { 0 };
	int64_t first = 0;
	int fd = memfd_create("out", MFD_CLOEXEC);

	cr_assert_geq(fd, 0);
	OK(mpd_pool_create(c, "prog", &o, NULL, &err));
	t[0].stdio[1] = (struct mpd_stdio){ .mode = MPD_STDIO_PASS, .fd = fd };
	OK(mpd_pool_submit(c, "prog", t, 3, &first, &err));
	get("prog", first, &r);
	cr_assert_eq(r.done, 1);
	cr_assert_eq(member_int(r.result, "exitcode"), 0);
	mpd_task_result_clear(&r);
	cr_assert_eq(pread(fd, buf, sizeof(buf) - 1, 0), 6);
	cr_assert_str_eq(buf, "hello\n");
	get("prog", first + 1, &r);
	cr_assert_eq(r.done, 0);
	cr_assert_eq(r.error.code, MPD_E_TASK_FAILED);
	cr_assert_eq(member_int(r.error.data, "exitcode"), 3);
	mpd_task_result_clear(&r);
	get("prog", first + 2, &r);
	cr_assert_eq(r.done, 0);
	cr_assert_eq(r.error.code, MPD_E_SPAWN_FAILED);
	cr_assert_str_eq(r.error.name, "spawn_failed");
	mpd_task_result_clear(&r);

	/* Nine tasks passing two descriptors each: one too many. */
	for (int i = 0; i < 9; i++) {
		many[i] = (struct mpd_task){ .argv = echo };
		many[i].stdio[1] = many[i].stdio[2] =
			(struct mpd_stdio){ .mode = MPD_STDIO_PASS, .fd = fd };
	}
	FAILS(mpd_pool_submit(c, "prog", many, 9, NULL, &err), MPD_E_INVAL);
	OK(mpd_pool_submit(c, "prog", many, 8, NULL, &err));
	close(fd);
}
