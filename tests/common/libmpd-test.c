/*
 * libmpd-test.c - shared fixtures for the tests that drive mpdd through
 * libmpd (see libmpd-test.h).
 */
#include <stdlib.h>

#include "libmpd-test.h"

struct mpdd d;
struct mpd_client *c;
struct mpd_error err;
json_t test_sentinel_json;

struct mpd_client *connect_ok(const char *path)
{
	struct mpd_client *cl = NULL;
	struct mpd_error e;
	int r = mpd_connect(&cl, path, &e);

	cr_assert_eq(r, 0, "mpd_connect(%s): %d %s", path, r, e.message);
	return cl;
}

void start(void)
{
	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
}

void stop(void)
{
	mpd_close(c);
	c = NULL;
	mpdd_stop(&d);
}

void teardown(void)
{
	mpd_close(c);
	c = NULL;
	mpdd_cleanup(&d);
}

void assert_json(json_t *a, const char *want)
{
	json_t *w = json_loads(want, JSON_DECODE_ANY, NULL);
	char *text = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);

	cr_assert_not_null(w, "bad test JSON %s", want);
	cr_assert(json_equal(a, w), "got %s, want %s", text, want);
	free(text);
	json_decref(w);
	json_decref(a);
}

json_int_t member_int(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	cr_assert(json_is_integer(v), "member %s is not an integer", key);
	return json_integer_value(v);
}

const char *member_str(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	cr_assert(json_is_string(v), "member %s is not a string", key);
	return json_string_value(v);
}
