/*
 * poolmod-client.c - task functions for the tests of libmpd's and
 * mpd-cli's pool calls (test-libmpd-pool.c, test-cli-pool.c).
 *
 * Built as the shared module "mpdpoolclient" (its path is
 * $MPD_POOL_CLIENT_MODULE in the tests' environment), beside the daemon
 * tests' poolmod.c. Each is an mpd_task_fn: a result of a chosen size,
 * so that fetches must come in several batches; a task that waits for a
 * file the test makes, so that the test decides the order tasks finish
 * in without relying on how long anything takes; a task that fails on
 * the items it is told to.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mpd.h>

mpd_task_fn big_string, wait_file, fail_on;

/* A string of arg (an integer) 'x's. */
int big_string(mpd_worker *w, const json_t *arg, json_t **result)
{
	size_t n = json_is_integer(arg) ? (size_t)json_integer_value(arg) : 0;
	char *s = malloc(n + 1);

	if (s == NULL) {
		*result = json_string("big_string: out of memory");
		return 1;
	}
	memset(s, 'x', n);
	s[n] = '\0';
	*result = json_stringn(s, n);
	free(s);
	return 0;
}

/* arg {"path": P, "value": V}: wait until the file P exists, then
 * return V. */
int wait_file(mpd_worker *w, const json_t *arg, json_t **result)
{
	const char *path = json_string_value(json_object_get(arg, "path"));
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	if (path == NULL) {
		*result = json_string("wait_file: no path");
		return 1;
	}
	while (access(path, F_OK) != 0)
		nanosleep(&ts, NULL);
	*result = json_incref(json_object_get(arg, "value"));
	return 0;
}

/* arg [X, FAIL]: fail with the message "no X" when FAIL is true, else
 * return X. */
int fail_on(mpd_worker *w, const json_t *arg, json_t **result)
{
	json_t *x = json_array_get(arg, 0);
	char *text;

	if (json_is_true(json_array_get(arg, 1))) {
		text = json_dumps(x, JSON_ENCODE_ANY | JSON_COMPACT);
		*result = json_sprintf("no %s", text != NULL ? text : "?");
		free(text);
		return 3;
	}
	*result = json_incref(x);
	return 0;
}
