/*
 * libmpd-test.h - shared fixtures for the tests that drive mpdd through
 * libmpd: the daemon d and its client c, the error err every call fills,
 * the assertions on a call's result and the JSON helpers.
 *
 * The fixtures are globals (libmpd-test.c) so that start/stop/teardown
 * can be a suite's .init and .fini; a test file that needs a second
 * client or another cleanup keeps its own and uses connect_ok().
 */
#ifndef MPD_TEST_LIBMPD_H
#define MPD_TEST_LIBMPD_H

#include <stdint.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "harness.h"
#include "mpd.h"

extern struct mpdd d;
extern struct mpd_client *c;
extern struct mpd_error err;

/* Values no function may write: out-parameters are set on success only. */
extern json_t test_sentinel_json;
#define SENTINEL     (&test_sentinel_json)
#define INT_SENTINEL ((int64_t)-77)
#define FD_SENTINEL  (-77)

/* call must return want (0, 1, a count). */
#define IS(call, want)                                                        \
	do {                                                                  \
		int is_r_ = (call);                                           \
		cr_assert_eq(is_r_, (want), "%s: %d, not %d: %s (%s)", #call, \
			     is_r_, (want), is_r_ < 0 ? err.message : "",     \
			     is_r_ < 0 ? err.name : "");                      \
	} while (0)

/* call must succeed with 0. */
#define OK(call) IS(call, 0)

/* call must fail with the code want, and say so in err. */
#define FAILS(call, want)                                                    \
	do {                                                                 \
		int fails_r_ = (call);                                       \
		cr_assert_eq(fails_r_, (want), "%s: %d (%s), not %s", #call, \
			     fails_r_, err.message, mpd_err_name(want));     \
		cr_assert_eq(err.code, (want));                              \
		cr_assert_str_eq(err.name, mpd_err_name(want));              \
		cr_assert_neq(err.message[0], '\0');                         \
	} while (0)

/* A new client of the daemon at path; fails the test if it cannot. */
struct mpd_client *connect_ok(const char *path);

/* Start d and connect c: a suite's .init. */
void start(void);

/* Close c and stop d, for a test that checks what follows the stop. */
void stop(void);

/* Close c and clean up after d: a suite's .fini. */
void teardown(void);

/* Assert that a (a new reference, consumed) equals the JSON text want. */
void assert_json(json_t *a, const char *want);

/* The integer member key of obj (borrowed). */
json_int_t member_int(const json_t *obj, const char *key);

/* The string member key of obj (borrowed). */
const char *member_str(const json_t *obj, const char *key);

#endif
