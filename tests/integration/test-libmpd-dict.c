/*
 * test-libmpd-dict.c - libmpd's dicts (mpd_dict_*) against a real mpdd:
 * every function's result, a missing key as MPD_E_NOT_FOUND naming it or
 * a default with found 0, arguments refused before anything is sent,
 * out-parameters written only on success, keys and items whole across
 * the daemon's pages or one page at a time, and counters and claims from
 * 8 threads (a client each) ending exact.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "harness.h"
#include "libmpd-test.h"
#include "mpd.h"

/* Values a call borrows, made inline and released after the test. */
static json_t *held;

static json_t *hold(json_t *v)
{
	if (held == NULL)
		held = json_array();
	json_array_append_new(held, v);
	return v;
}

static void fini(void)
{
	json_decref(held);
	held = NULL;
	teardown();
}

TestSuite(libmpd_dict, .init = start, .fini = fini, .timeout = 120);

/* A fresh dict called name on c. */
static void mkdict(const char *name)
{
	OK(mpd_dict_create(c, name, NULL, &err));
}

Test(libmpd_dict, every_function_gives_its_result)
{
	struct mpd_dict_options o = { .mode = MPD_CHAN_EVERYONE };
	json_t *v = SENTINEL, *dflt = json_integer(42), *entries;
	int found = -1, inserted = -1;
	size_t n = 99;
	int64_t sum = INT_SENTINEL;
	double fsum = 0;

	OK(mpd_dict_create(c, "d", &o, &err));
	assert_json(json_incref((json_t *)mpd_last_result(c)),
		    "{\"name\":\"d\",\"uid\":0,\"mode\":\"everyone\","
		    "\"len\":0,\"created\":true}");
	FAILS(mpd_dict_create(c, "d", NULL, &err), MPD_E_EXISTS);
	o.exist_ok = 1;
	OK(mpd_dict_create(c, "d", &o, &err));
	cr_assert(
		json_is_false(json_object_get(mpd_last_result(c), "created")));

	OK(mpd_dict_set(c, "d", "k", hold(json_pack("[i]", 1)), &err));
	OK(mpd_dict_get(c, "d", "k", NULL, &v, &found, &err));
	assert_json(v, "[1]");
	cr_assert_eq(found, 1);
	OK(mpd_dict_get(c, "d", "nope", dflt, &v, &found, &err));
	assert_json(v, "42");
	cr_assert_eq(found, 0);

	OK(mpd_dict_setdefault(c, "d", "s", hold(json_string("first")), &v,
			       &inserted, &err));
	assert_json(v, "\"first\"");
	cr_assert_eq(inserted, 1);
	OK(mpd_dict_setdefault(c, "d", "s", hold(json_string("second")), &v,
			       &inserted, &err));
	assert_json(v, "\"first\"");
	cr_assert_eq(inserted, 0);
	OK(mpd_dict_setdefault(c, "d", "null", NULL, NULL, NULL, &err));

	IS(mpd_dict_contains(c, "d", "null", &err), 1);
	IS(mpd_dict_contains(c, "d", "zz", &err), 0);
	OK(mpd_dict_len(c, "d", &n, &err));
	cr_assert_eq(n, 3);

	OK(mpd_dict_pop(c, "d", "null", NULL, &v, &found, &err));
	assert_json(v, "null");
	cr_assert_eq(found, 1);
	OK(mpd_dict_pop(c, "d", "null", dflt, &v, &found, &err));
	assert_json(v, "42");
	cr_assert_eq(found, 0);
	OK(mpd_dict_del(c, "d", "s", &err));

	entries = json_pack("{s:i, s:s}", "b", 2, "a", "x");
	OK(mpd_dict_update(c, "d", entries, &n, &err));
	cr_assert_eq(n, 3);
	json_decref(entries);

	OK(mpd_dict_add_int(c, "d", "hits", 5, &sum, &err));
	cr_assert_eq(sum, 5);
	OK(mpd_dict_add_int(c, "d", "hits", -2, NULL, &err));
	OK(mpd_dict_add_double(c, "d", "hits", 0.25, &fsum, &err));
	cr_assert_float_eq(fsum, 3.25, 1e-12);
	OK(mpd_dict_add(c, "d", "hits", hold(json_integer(1)), &v, &err));
	assert_json(v, "4.25");

	OK(mpd_dict_keys(c, "d", NULL, 0, &v, NULL, &err));
	assert_json(v, "[\"a\",\"b\",\"hits\",\"k\"]");
	OK(mpd_dict_items(c, "d", "b", 0, &v, NULL, &err));
	assert_json(v, "{\"hits\":4.25,\"k\":[1]}");

	OK(mpd_dict_info(c, "d", &v, &err));
	cr_assert_eq(member_int(v, "len"), 4);
	cr_assert_str_eq(member_str(v, "mode"), "everyone");
	json_decref(v);
	OK(mpd_dict_list(c, &v, &err));
	assert_json(v, "[{\"name\":\"d\",\"uid\":0,\"mode\":\"everyone\","
		       "\"len\":4}]");
	OK(mpd_dict_clear(c, "d", &n, &err));
	cr_assert_eq(n, 4);
	OK(mpd_dict_len(c, "d", &n, &err));
	cr_assert_eq(n, 0);
	OK(mpd_dict_delete(c, "d", &err));
	FAILS(mpd_dict_len(c, "d", &n, &err), MPD_E_NOT_FOUND);
	json_decref(dflt);
}

Test(libmpd_dict, a_missing_key_is_not_found_naming_it)
{
	json_t *v = SENTINEL;
	int found = -1;

	mkdict("d");
	FAILS(mpd_dict_get(c, "d", "k", NULL, &v, &found, &err),
	      MPD_E_NOT_FOUND);
	cr_assert_str_eq(json_string_value(json_object_get(err.data, "key")),
			 "k");
	cr_assert_eq(v, SENTINEL);
	cr_assert_eq(found, -1);
	FAILS(mpd_dict_pop(c, "d", "k", NULL, &v, &found, &err),
	      MPD_E_NOT_FOUND);
	cr_assert_str_eq(json_string_value(json_object_get(err.data, "key")),
			 "k");
	FAILS(mpd_dict_del(c, "d", "k", &err), MPD_E_NOT_FOUND);
	cr_assert_str_eq(json_string_value(json_object_get(err.data, "key")),
			 "k");
	/* A missing dict names no key. */
	FAILS(mpd_dict_get(c, "nod", "k", NULL, &v, NULL, &err),
	      MPD_E_NOT_FOUND);
	cr_assert_null(json_object_get(err.data, "key"));
	cr_assert_eq(v, SENTINEL);
}

Test(libmpd_dict, bad_arguments_are_refused_before_sending)
{
	json_t *v = SENTINEL, *deep = json_integer(0), *one = json_integer(1);
	size_t n = 77;

	mkdict("d");
	for (int i = 0; i < 2100; i++)
		deep = json_pack("[o]", deep);
	FAILS(mpd_dict_create(c, NULL, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_dict_create(c, "", NULL, &err), MPD_E_INVAL);
	FAILS(mpd_dict_create(c, "x",
			      &(struct mpd_dict_options){
				      .mode = (enum mpd_chan_mode)9 },
			      &err),
	      MPD_E_INVAL);
	FAILS(mpd_dict_get(c, "d", NULL, NULL, &v, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_dict_get(c, "d", "k", NULL, NULL, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_dict_get(c, "d", "\xff", NULL, &v, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_dict_set(c, "d", "k", NULL, &err), MPD_E_INVAL);
	FAILS(mpd_dict_set(c, "d", "k", deep, &err), MPD_E_INVAL);
	FAILS(mpd_dict_setdefault(c, "d", "k", deep, NULL, NULL, &err),
	      MPD_E_INVAL);
	FAILS(mpd_dict_update(c, "d", one, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_dict_update(c, "d", NULL, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_dict_add(c, "d", "k", hold(json_string("1")), NULL, &err),
	      MPD_E_INVAL);
	FAILS(mpd_dict_add_double(c, "d", "k", NAN, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_dict_len(c, "d", NULL, &err), MPD_E_INVAL);
	FAILS(mpd_dict_keys(c, "d", NULL, 0, NULL, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_dict_items(c, "d", "\xfe", 0, &v, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_dict_info(c, "d", NULL, &err), MPD_E_INVAL);
	FAILS(mpd_dict_list(c, NULL, &err), MPD_E_INVAL);
	/* Nothing was sent that changed anything. */
	OK(mpd_dict_len(c, "d", &n, &err));
	cr_assert_eq(n, 0);
	cr_assert_eq(v, SENTINEL);
	json_decref(deep);
	json_decref(one);
}

Test(libmpd_dict, add_refuses_overflow_and_non_numbers)
{
	int64_t sum = INT_SENTINEL;

	mkdict("d");
	OK(mpd_dict_set(c, "d", "max", hold(json_integer(INT64_MAX)), &err));
	FAILS(mpd_dict_add_int(c, "d", "max", 1, &sum, &err),
	      MPD_E_INVALID_STATE);
	cr_assert_str_eq(json_string_value(json_object_get(err.data, "reason")),
			 "overflow");
	cr_assert_eq(sum, INT_SENTINEL);
	OK(mpd_dict_set(c, "d", "s", hold(json_string("x")), &err));
	FAILS(mpd_dict_add_int(c, "d", "s", 1, &sum, &err),
	      MPD_E_INVALID_STATE);
	cr_assert_str_eq(json_string_value(json_object_get(err.data, "reason")),
			 "not_a_number");
	/* A real sum is no integer: the add is done, the int form says so. */
	OK(mpd_dict_set(c, "d", "f", hold(json_real(0.5)), &err));
	FAILS(mpd_dict_add_int(c, "d", "f", 1, &sum, &err), MPD_E_PROTO);
	cr_assert_eq(sum, INT_SENTINEL);
}

Test(libmpd_dict, keys_and_items_come_whole_or_a_page_at_a_time)
{
	const char *extra[] = { "--max-output", "64K", NULL };
	json_t *entries = json_object(), *all = NULL, *page = NULL, *v;
	char key[32], val[200], *next = NULL, *after = NULL;
	size_t pages = 0, total = 0, i;
	const char *k;

	mpd_close(c);
	mpdd_stop(&d);
	mpdd_start(&d, extra);
	c = connect_ok(d.socket);
	mkdict("d");
	memset(val, 'v', sizeof(val) - 1);
	val[sizeof(val) - 1] = '\0';
	for (i = 0; i < 1500; i++) {
		snprintf(key, sizeof(key), "k%04zu", i);
		json_object_set_new(entries, key, json_string(val));
	}
	OK(mpd_dict_update(c, "d", entries, NULL, &err));
	json_decref(entries);
	/* Whole: one call, many pages under it. */
	OK(mpd_dict_items(c, "d", NULL, 0, &all, NULL, &err));
	cr_assert_eq(json_object_size(all), 1500);
	json_decref(all);
	OK(mpd_dict_keys(c, "d", NULL, 0, &all, NULL, &err));
	cr_assert_eq(json_array_size(all), 1500);
	json_array_foreach (all, i, v) {
		snprintf(key, sizeof(key), "k%04zu", i);
		cr_assert_str_eq(json_string_value(v), key);
	}
	json_decref(all);
	/* A page at a time. */
	do {
		OK(mpd_dict_items(c, "d", after, 0, &page, &next, &err));
		json_object_foreach (page, k, v) {
			snprintf(key, sizeof(key), "k%04zu", total++);
			cr_assert_str_eq(k, key);
		}
		json_decref(page);
		free(after);
		after = next;
		pages++;
	} while (next != NULL);
	cr_assert_eq(total, 1500);
	cr_assert_geq(pages, 4);
	OK(mpd_dict_keys(c, "d", "k1497", 1, &page, &next, &err));
	assert_json(page, "[\"k1498\"]");
	cr_assert_str_eq(next, "k1498");
	free(next);
	OK(mpd_dict_keys(c, "d", "k1498", 1000000, &page, &next, &err));
	assert_json(page, "[\"k1499\"]");
	cr_assert_null(next);
}

#define THREADS 8
#define ROUNDS	500

static void *adder(void *arg)
{
	struct mpd_client *cl = connect_ok(d.socket);
	struct mpd_error e;
	char key[32];
	intptr_t won = 0;
	int inserted;

	for (int i = 0; i < ROUNDS; i++) {
		if (mpd_dict_add_int(cl, "c", "n", 1, NULL, &e) < 0)
			return (void *)(intptr_t)-1;
		snprintf(key, sizeof(key), "claim-%d",
			 (i + (int)(intptr_t)arg) % 50);
		if (mpd_dict_setdefault(cl, "c", key, NULL, NULL, &inserted,
					&e) < 0)
			return (void *)(intptr_t)-1;
		won += inserted;
	}
	mpd_close(cl);
	return (void *)won;
}

Test(libmpd_dict, adds_and_claims_from_eight_threads_end_exact)
{
	pthread_t t[THREADS];
	intptr_t won = 0;
	int64_t n = 0;
	void *ret;

	mkdict("c");
	for (intptr_t i = 0; i < THREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, adder, (void *)i), 0);
	for (int i = 0; i < THREADS; i++) {
		cr_assert_eq(pthread_join(t[i], &ret), 0);
		cr_assert_geq((intptr_t)ret, 0, "thread %d failed", i);
		won += (intptr_t)ret;
	}
	cr_assert_eq(won, 50);
	OK(mpd_dict_add_int(c, "c", "n", 0, &n, &err));
	cr_assert_eq(n, THREADS * ROUNDS);
}
